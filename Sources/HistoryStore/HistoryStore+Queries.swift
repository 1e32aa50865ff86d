// Reading and editing the history: list, filter, search, star, tag, delete, export, remix.
import Foundation
import GRDB

extension HistoryStore {
    /// Adds finished (or any) records as they are, in one transaction, e.g. to import
    /// history. Rows added this way have no owner process. Their folders are not checked.
    public func add(_ records: [RunRecord]) throws {
        try write { db in
            for record in records { try RunRow.insert(record, owner: nil, db) }
        }
    }

    /// One run, or nil if no run has this id.
    public func run(id: String) throws -> RunRecord? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(RunRow.selection) FROM run WHERE id = ?",
                                             arguments: [id]) else { return nil }
            let tags = try RunRow.tags(of: [id], db)[id] ?? []
            return try RunRow.record(row, tags: tags, indexPath: indexURL.path)
        }
    }

    /// Ids of runs that start with `prefix` (ASCII letters compared without case), at most
    /// `limit` of them, so a person can name a run by the first few characters of its id.
    public func runIDs(startingWith prefix: String, limit: Int = 10) throws -> [String] {
        let escaped = prefix.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        return try read { db in
            try String.fetchAll(db, sql: "SELECT id FROM run WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
                                arguments: [escaped + "%", max(0, limit)])
        }
    }

    /// Runs matching `filter`, newest first, one page at a time.
    /// - Parameters:
    ///   - limit: the page size (at most this many records).
    ///   - offset: how many matching runs to skip (page × limit).
    public func runs(matching filter: RunFilter = RunFilter(), limit: Int = 50, offset: Int = 0) throws -> [RunRecord] {
        try read { db in
            let (sql, arguments) = listSQL(filter, limit: limit, offset: offset)
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let ids = rows.map { $0["id"] as String }
            let tags = try RunRow.tags(of: ids, db)
            return try rows.map { try RunRow.record($0, tags: tags[$0["id"]] ?? [], indexPath: indexURL.path) }
        }
    }

    /// How many runs match `filter`.
    public func count(matching filter: RunFilter = RunFilter()) throws -> Int {
        try read { db in
            let (clause, arguments) = filter.sql(searchMode: searchMode)
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run \(clause)", arguments: arguments) ?? 0
        }
    }

    /// Runs whose prompt or negative prompt contain every word of `text` (as word prefixes),
    /// newest first. Shorthand for `runs(matching:)` with `filter.text` set.
    public func search(_ text: String, filter: RunFilter = RunFilter(), limit: Int = 50, offset: Int = 0) throws -> [RunRecord] {
        var filter = filter
        filter.text = text
        return try runs(matching: filter, limit: limit, offset: offset)
    }

    /// SQLite's plan for the list query, one line per step (for tests and diagnostics).
    public func queryPlan(matching filter: RunFilter = RunFilter(), limit: Int = 50) throws -> [String] {
        try read { db in
            let (sql, arguments) = listSQL(filter, limit: limit, offset: 0)
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }
        }
    }

    /// Stars or unstars a run.
    public func setStarred(_ starred: Bool, forRun id: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE run SET starred = ? WHERE id = ?", arguments: [starred, id])
            if db.changesCount == 0 { throw HistoryStoreError.runNotFound(id: id) }
        }
        updateSidecar(ofRun: id) { $0["starred"] = starred }
    }

    /// Replaces a run's tags (trimmed, empties and duplicates dropped).
    public func setTags(_ tags: [String], forRun id: String) throws {
        try write { db in
            _ = try status(of: id, db)
            try RunRow.replaceTags(tags, runID: id, db)
        }
        updateSidecar(ofRun: id) { $0["tags"] = RunRow.normalizedTags(tags) }
    }

    /// Every tag in use, sorted.
    public func allTags() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT tag FROM run_tag ORDER BY tag") }
    }

    /// The settings of a past run, to remix it.
    public func settings(ofRun id: String) throws -> RunSettings {
        guard let record = try run(id: id) else { throw HistoryStoreError.runNotFound(id: id) }
        return record.settings
    }

    /// Deletes a run's row and its folder together.
    ///
    /// The folder is first renamed into `trash/`; if the row cannot be deleted it is renamed
    /// back. A crash in between is repaired on the next open. A running run cannot be deleted
    /// (cancel it first).
    public func deleteRun(_ id: String) throws {
        guard !isReadOnly else { throw HistoryStoreError.readOnly(path: indexURL.path) }
        guard let record = try run(id: id) else { throw HistoryStoreError.runNotFound(id: id) }
        if record.status == .running, try read({ db in try ownerIsAlive(id, db) }) {
            throw HistoryStoreError.wrongStatus(id: id, status: .running,
                                                expected: [.finished, .failed, .cancelled, .interrupted])
        }
        let folder = folderURL(for: record)
        let trashRoot = directory.appendingPathComponent(StoreLayout.trashFolderName, isDirectory: true)
        let trashed = trashRoot.appendingPathComponent(id, isDirectory: true)
        var moved = false
        if fileSystem.exists(folder) {
            try fileSystem.createDirectory(at: trashRoot)
            try fileSystem.remove(trashed)
            try fileSystem.move(folder, to: trashed)
            moved = true
        }
        do {
            try write { db in try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [id]) }
        } catch {
            if moved { try? fileSystem.move(trashed, to: folder) }
            throw error
        }
        if moved { try fileSystem.remove(trashed) }
        try fileSystem.remove(stagingURL(id))
    }

    /// Copies a run's folder to `destination` (which must not exist yet).
    /// - Returns: `destination`.
    /// - Throws: `.missingRunFolder` if the run has no folder on disk (e.g. it was cancelled),
    ///   `.destinationExists`, `.diskFull`, `.notWritable`.
    @discardableResult
    public func exportRun(_ id: String, to destination: URL) throws -> URL {
        guard let record = try run(id: id) else { throw HistoryStoreError.runNotFound(id: id) }
        let folder = folderURL(for: record)
        guard fileSystem.exists(folder) else {
            throw HistoryStoreError.missingRunFolder(id: id, path: folder.path)
        }
        try fileSystem.createDirectory(at: destination.deletingLastPathComponent())
        do {
            try fileSystem.copyTree(folder, to: destination)
        } catch let error as HistoryStoreError {
            if case .destinationExists = error { throw error }
            try? fileSystem.remove(destination) // a half copy is not an export
            throw error
        }
        return destination
    }

    /// The settings in a PNG's text chunks (our `zoetrope` JSON chunk), for remix.
    /// Equivalent to `ZoetropeMetadata.settings(fromTextChunks:)`.
    public static func importSettings(fromPNGTextChunks chunks: [(keyword: String, text: String)]) throws -> RunSettings {
        try ZoetropeMetadata.settings(fromTextChunks: chunks)
    }

    // MARK: Helpers

    func listSQL(_ filter: RunFilter, limit: Int, offset: Int) -> (String, StatementArguments) {
        var (clause, arguments) = filter.sql(searchMode: searchMode)
        arguments += [max(0, limit), max(0, offset)]
        return ("SELECT \(RunRow.selection) FROM run \(clause) ORDER BY run.created_at DESC, run.seq DESC LIMIT ? OFFSET ?",
                arguments)
    }

    private func ownerIsAlive(_ id: String, _ db: Database) throws -> Bool {
        guard let row = try Row.fetchOne(db, sql: "SELECT owner_pid, owner_start, owner_token FROM run WHERE id = ?",
                                         arguments: [id]),
              let pid = row["owner_pid"] as Int64? else { return false }
        return ProcessIdentity(pid: Int32(truncatingIfNeeded: pid), startMarker: row["owner_start"],
                               token: row["owner_token"] ?? "").isAlive()
    }
}

extension HistoryStore {
    /// The largest sidecar read for timings; a real one is a few KB.
    static let sidecarReadLimit = 1 << 20

    /// The phase timings (seconds by phase name, as `finishRun` kept them in each run's
    /// sidecar) of the newest finished runs of `modelID`, newest first: what a time estimate is
    /// calibrated from. Runs without timings, or whose sidecar is missing, oversized or
    /// unreadable, are passed over; non-finite or negative seconds are dropped.
    public func phaseTimings(ofModel modelID: String, limit: Int = 20) throws -> [(record: RunRecord, timings: [String: Double])] {
        let records = try runs(matching: RunFilter(statuses: [.finished], modelID: modelID), limit: max(0, limit))
        return records.compactMap { record in
            let path = folderURL(for: record).appendingPathComponent(StoreLayout.sidecarFileName).path
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
                  size <= Self.sidecarReadLimit, let data = FileManager.default.contents(atPath: path),
                  let timings = RunSidecar.timings(from: data), !timings.isEmpty else { return nil }
            return (record, timings)
        }
    }
}
