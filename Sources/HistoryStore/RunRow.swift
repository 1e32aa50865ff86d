// Mapping between `RunRecord` and the `run` table's columns.
import Foundation
import GRDB

enum RunRow {
    /// The columns read into a `RunRecord` (tags come from `run_tag`).
    static let selection = """
        run.id, run.created_at, run.finished_at, run.status, run.model_id, run.prompt,
        run.negative_prompt, run.frame_count, run.width, run.height, run.step_count,
        run.guidance_scale, run.sampler, run.seed, run.fps, run.duration, run.error_message,
        run.folder_path, run.request_json, run.starred, run.engine_version
        """

    /// A record from a row of `selection`. A cell of the wrong type (text where a number
    /// belongs, a seed past 2^64) or an id that is not one folder name throws
    /// `HistoryStoreError.database` naming the run and the column; GRDB's subscripts would
    /// trap instead.
    static func record(_ row: Row, tags: [String], indexPath: String) throws -> RunRecord {
        var id = "?"
        func value<T: DatabaseValueConvertible>(_ column: String, as type: T.Type = T.self) throws -> T {
            do {
                return try row.decode(T.self, forColumn: column)
            } catch {
                throw HistoryStoreError.database(
                    path: indexPath, reason: "run \(id): column \(column) holds \(row[column] as DatabaseValue), "
                        + "which is not a \(T.self)")
            }
        }
        id = try value("id", as: String.self)
        guard StoreLayout.isSafeFolderName(id) else {
            throw HistoryStoreError.database(
                path: indexPath, reason: "run id \"\(id)\" is not a folder name (it must not be empty, \".\", "
                    + "\"..\" or contain \"/\"); the store never touches such a path")
        }
        let statusText = try value("status", as: String.self)
        guard let status = RunStatus(rawValue: statusText) else {
            throw HistoryStoreError.database(
                path: indexPath,
                reason: "run \(id) has the unknown status \"\(statusText)\" (known: "
                    + RunStatus.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        let settings = RunSettings(
            modelID: try value("model_id"), prompt: try value("prompt"), negativePrompt: try value("negative_prompt"),
            frameCount: try value("frame_count"), width: try value("width"), height: try value("height"),
            stepCount: try value("step_count"), guidanceScale: try value("guidance_scale"),
            sampler: try value("sampler"), seed: UInt64(bitPattern: try value("seed", as: Int64.self)),
            fps: try value("fps"), requestJSON: try value("request_json"))
        let finished: Double? = try value("finished_at")
        return RunRecord(
            id: id, createdAt: Date(timeIntervalSince1970: try value("created_at")),
            finishedAt: finished.map(Date.init(timeIntervalSince1970:)), status: status, settings: settings,
            isStarred: try value("starred"), tags: tags, duration: try value("duration"),
            errorMessage: try value("error_message"), folderPath: try value("folder_path"),
            engineVersion: try value("engine_version"))
    }

    /// Inserts a record's row (not its tags) with an optional owner for `running` rows.
    static func insert(_ record: RunRecord, owner: ProcessIdentity?, _ db: Database) throws {
        let s = record.settings
        // A cached statement: bulk imports insert thousands of rows in one transaction.
        let statement = try db.cachedStatement(sql: """
            INSERT INTO run (id, created_at, finished_at, status, model_id, prompt, negative_prompt,
                frame_count, width, height, step_count, guidance_scale, sampler, seed, fps, duration,
                error_message, folder_path, request_json, starred, engine_version,
                owner_pid, owner_start, owner_token)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [
                record.id, record.createdAt.timeIntervalSince1970, record.finishedAt?.timeIntervalSince1970,
                record.status.rawValue, s.modelID, s.prompt, s.negativePrompt, s.frameCount, s.width,
                s.height, s.stepCount, s.guidanceScale, s.sampler, Int64(bitPattern: s.seed), s.fps,
                record.duration, record.errorMessage, record.folderPath, s.requestJSON, record.isStarred,
                record.engineVersion, owner.map { Int64($0.pid) }, owner?.startMarker, owner?.token,
            ])
        if !record.tags.isEmpty { try replaceTags(record.tags, runID: record.id, db) }
    }

    /// Replaces a run's tags.
    static func replaceTags(_ tags: [String], runID: String, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM run_tag WHERE run_id = ?", arguments: [runID])
        for tag in normalizedTags(tags) {
            try db.execute(sql: "INSERT INTO run_tag(run_id, tag) VALUES (?, ?)", arguments: [runID, tag])
        }
    }

    /// Tags trimmed, without empties and duplicates, sorted.
    static func normalizedTags(_ tags: [String]) -> [String] {
        Array(Set(tags.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty })).sorted()
    }

    /// Tags of many runs at once.
    static func tags(of ids: [String], _ db: Database) throws -> [String: [String]] {
        guard !ids.isEmpty else { return [:] }
        var result: [String: [String]] = [:]
        // SQLite allows many variables (250000 in Debian's build), but chunk to stay portable.
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try Row.fetchAll(db, sql: "SELECT run_id, tag FROM run_tag WHERE run_id IN (\(marks)) ORDER BY tag",
                                        arguments: StatementArguments(chunk))
            for row in rows { result[row["run_id"], default: []].append(row["tag"]) }
        }
        return result
    }
}

extension Date {
    /// The date as it comes back from the index (seconds since 1970 in a REAL column), so a
    /// record returned by a write equals the same record read back.
    var storageNormalized: Date { Date(timeIntervalSince1970: timeIntervalSince1970) }
}
