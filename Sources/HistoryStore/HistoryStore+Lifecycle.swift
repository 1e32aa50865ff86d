// A run's life in the store: begin (row first), write files to staging, then finish
// (rename into place, then commit), fail or cancel; and recovery after a crash.
import Foundation
import GRDB

extension HistoryStore {
    /// Records a run as `running` before generation starts, and makes its staging folder.
    ///
    /// The row holds the seed and settings from this moment on, so a crash or kill loses
    /// only the frames. The row names this process (pid, start marker, token) as its owner.
    /// - Returns: the stored record.
    /// - Throws: `.readOnly`, `.diskFull`, `.notWritable`; if the staging folder cannot be
    ///   made, the row is marked `failed` with that reason before the error is thrown.
    @discardableResult
    public func beginRun(_ settings: RunSettings, id: String = UUID().uuidString,
                         createdAt: Date = Date(), tags: [String] = []) throws -> RunRecord {
        let record = RunRecord(id: id, createdAt: createdAt.storageNormalized, status: .running, settings: settings,
                               tags: RunRow.normalizedTags(tags))
        try write { db in try RunRow.insert(record, owner: .current, db) }
        do {
            try fileSystem.createDirectory(at: stagingURL(id))
        } catch {
            try? finish(id, as: .failed, errorMessage: "\(error)", extra: [])
            throw error
        }
        return record
    }

    /// Writes one file of a running run (a frame PNG, the preview, the thumbnail) into its
    /// staging folder. Encoded bytes come from the caller; the store encodes nothing.
    /// - Parameter name: a plain file name such as `frame-0001.png`.
    public func writeFile(named name: String, data: Data, forRun id: String) throws {
        let folder = try stagingFolder(forRunning: id, fileName: name)
        try fileSystem.write(data, to: folder.appendingPathComponent(name))
    }

    /// Lets the caller write one file of a running run itself: `body` gets a temporary URL
    /// in the staging folder, and the file is renamed to `name` when `body` returns.
    public func writeFile(named name: String, forRun id: String, _ body: (URL) throws -> Void) throws {
        let folder = try stagingFolder(forRunning: id, fileName: name)
        let temporary = folder.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
        do {
            try body(temporary)
        } catch {
            try? fileSystem.remove(temporary)
            throw error
        }
        let target = folder.appendingPathComponent(name)
        try fileSystem.remove(target)
        try fileSystem.move(temporary, to: target)
    }

    /// Completes a run: writes `run.json`, renames the staging folder to `runs/<id>`, and
    /// only then commits the row as `finished`.
    ///
    /// If the commit fails the folder is moved back to staging and the run stays `running`,
    /// so the caller can still fail or cancel it.
    /// - Parameters:
    ///   - engineVersion: the engine's version string, kept in the row and the sidecar.
    ///   - timings: named phase durations in seconds (e.g. `"text_encode"`, `"denoise"`, `"decode"`).
    @discardableResult
    public func finishRun(_ id: String, engineVersion: String, timings: [String: Double] = [:],
                          finishedAt: Date = Date()) throws -> RunRecord {
        guard let record = try run(id: id) else { throw HistoryStoreError.runNotFound(id: id) }
        guard record.status == .running else {
            throw HistoryStoreError.wrongStatus(id: id, status: record.status, expected: [.running])
        }
        let staging = stagingURL(id)
        try fileSystem.createDirectory(at: staging)
        let finishedAt = finishedAt.storageNormalized
        var done = record
        done.status = .finished
        done.finishedAt = finishedAt
        done.duration = finishedAt.timeIntervalSince(record.createdAt)
        done.engineVersion = engineVersion
        let files = fileSystem.contents(ofDirectory: staging).filter { !$0.hasPrefix(".") }
            .filter { $0 != StoreLayout.sidecarFileName }.sorted()
        let sidecar = RunSidecar.json(for: done, timings: timings, files: files)
        try fileSystem.write(Data(sidecar.utf8), to: staging.appendingPathComponent(StoreLayout.sidecarFileName))

        let folder = folderURL(for: done)
        try fileSystem.createDirectory(at: folder.deletingLastPathComponent())
        try fileSystem.move(staging, to: folder)
        do {
            try write { db in
                try db.execute(sql: """
                    UPDATE run SET status = 'finished', finished_at = ?, duration = ?, engine_version = ?,
                        error_message = NULL, owner_pid = NULL, owner_start = NULL, owner_token = NULL
                    WHERE id = ? AND status = 'running'
                    """, arguments: [finishedAt.timeIntervalSince1970, done.duration, engineVersion, id])
                if db.changesCount != 1 {
                    throw HistoryStoreError.wrongStatus(id: id, status: try status(of: id, db), expected: [.running])
                }
            }
        } catch {
            try? fileSystem.move(folder, to: staging)
            throw error
        }
        return done
    }

    /// Marks a running run `failed` with a message; its staging folder is removed.
    public func failRun(_ id: String, message: String) throws {
        try finish(id, as: .failed, errorMessage: message, extra: [.running])
    }

    /// Marks a running run `cancelled`: settings kept, no frames (staging removed).
    public func cancelRun(_ id: String) throws {
        try finish(id, as: .cancelled, errorMessage: nil, extra: [.running])
    }

    /// Marks runs left `running` by dead processes as `interrupted`, removes staging folders
    /// of runs that are no longer running, and finishes deletes cut short by a crash.
    /// Called by `open`; safe to call again.
    /// - Returns: notices of what was done (empty if nothing).
    @discardableResult
    public func recoverInterruptedRuns() throws -> [StoreNotice] {
        guard !isReadOnly else { return [] }
        let now = Date()
        let interrupted: [String] = try write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, created_at, owner_pid, owner_start, owner_token FROM run WHERE status = 'running'
                """)
            var dead: [String] = []
            for row in rows {
                let owner = (row["owner_pid"] as Int64?).map {
                    ProcessIdentity(pid: Int32(truncatingIfNeeded: $0), startMarker: row["owner_start"],
                                    token: row["owner_token"] ?? "")
                }
                if let owner, owner.isAlive() { continue }
                let id: String = row["id"]
                let pidText = owner.map { "pid \($0.pid)" } ?? "an unknown process"
                try db.execute(sql: """
                    UPDATE run SET status = 'interrupted', finished_at = ?, duration = ? - created_at,
                        error_message = ?, owner_pid = NULL, owner_start = NULL, owner_token = NULL
                    WHERE id = ?
                    """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970,
                                     "The process that ran it (\(pidText)) ended before it finished.", id])
                dead.append(id)
            }
            return dead
        }
        var notices: [StoreNotice] = []
        if !interrupted.isEmpty { notices.append(.markedInterrupted(ids: interrupted)) }

        // Staging folders whose run is not running any more hold half-written frames.
        let stagingRoot = directory.appendingPathComponent(StoreLayout.stagingFolderName, isDirectory: true)
        var removed: [String] = []
        for name in fileSystem.contents(ofDirectory: stagingRoot) where !name.hasPrefix(".") {
            let status = try read { db in try String.fetchOne(db, sql: "SELECT status FROM run WHERE id = ?", arguments: [name]) }
            if status == RunStatus.running.rawValue { continue }
            try fileSystem.remove(stagingRoot.appendingPathComponent(name))
            removed.append(name)
        }
        if !removed.isEmpty { notices.append(.removedStaleStaging(ids: removed.sorted())) }

        // A delete cut short: folder in trash. Restore it if the row is still there.
        let trashRoot = directory.appendingPathComponent(StoreLayout.trashFolderName, isDirectory: true)
        for name in fileSystem.contents(ofDirectory: trashRoot) where !name.hasPrefix(".") {
            let folder = trashRoot.appendingPathComponent(name)
            if let record = try run(id: name), !fileSystem.exists(folderURL(for: record)) {
                try fileSystem.move(folder, to: folderURL(for: record))
            } else {
                try fileSystem.remove(folder)
            }
        }
        return notices
    }

    // MARK: Helpers

    /// Sets a final status on a run in one of `extra` statuses (any status if empty) and
    /// removes its staging folder.
    private func finish(_ id: String, as status: RunStatus, errorMessage: String?, extra: [RunStatus]) throws {
        let now = Date()
        try write { db in
            let current = try self.status(of: id, db)
            if !extra.isEmpty && !extra.contains(current) {
                throw HistoryStoreError.wrongStatus(id: id, status: current, expected: extra)
            }
            try db.execute(sql: """
                UPDATE run SET status = ?, finished_at = ?, duration = ? - created_at, error_message = ?,
                    owner_pid = NULL, owner_start = NULL, owner_token = NULL
                WHERE id = ?
                """, arguments: [status.rawValue, now.timeIntervalSince1970, now.timeIntervalSince1970,
                                 errorMessage, id])
        }
        try fileSystem.remove(stagingURL(id))
    }

    func status(of id: String, _ db: Database) throws -> RunStatus {
        guard let text = try String.fetchOne(db, sql: "SELECT status FROM run WHERE id = ?", arguments: [id]) else {
            throw HistoryStoreError.runNotFound(id: id)
        }
        return RunStatus(rawValue: text) ?? .failed
    }

    /// The staging folder of a running run, checking the file name.
    private func stagingFolder(forRunning id: String, fileName: String) throws -> URL {
        guard !fileName.isEmpty, !fileName.hasPrefix("."), !fileName.contains("/"),
              fileName != StoreLayout.sidecarFileName else {
            throw HistoryStoreError.invalidFileName(fileName)
        }
        guard !isReadOnly else { throw HistoryStoreError.readOnly(path: indexURL.path) }
        let current = try read { db in try status(of: id, db) }
        guard current == .running else {
            throw HistoryStoreError.wrongStatus(id: id, status: current, expected: [.running])
        }
        let folder = stagingURL(id)
        if !fileSystem.exists(folder) { try fileSystem.createDirectory(at: folder) }
        return folder
    }
}
