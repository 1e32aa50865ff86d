// The history store: a SQLite index (GRDB, WAL) plus one folder per run.
//
//   <data>/history.sqlite      the index (run rows, tags, prompt search)
//   <data>/runs/<id>/          a finished run's files: frames, preview, thumbnail, run.json
//   <data>/staging/<id>/       frames of a run under way; renamed into runs/ when complete
//   <data>/trash/<id>/         a folder being deleted (renamed here before its row goes)
import Foundation
import GRDB

/// Persistent, searchable history of generation runs that survives crashes.
///
/// A run's row is written `running` before generation starts; its files go to a staging
/// folder and are renamed into place before the row becomes `finished`. On open, rows left
/// `running` by a process that has died are marked `interrupted`.
public final class HistoryStore: Sendable {
    /// How to open the store.
    public struct Options: Sendable {
        /// Open without writing anything (no migration, no recovery).
        public var readOnly: Bool
        /// The file operations for run folders (inject failures in tests).
        public var fileSystem: any StoreFileSystem
        /// Mark runs of dead processes `interrupted` and clear their staging (default true).
        public var recoversInterruptedRuns: Bool

        public init(readOnly: Bool = false, fileSystem: any StoreFileSystem = LocalFileSystem(),
                    recoversInterruptedRuns: Bool = true) {
            self.readOnly = readOnly
            self.fileSystem = fileSystem
            self.recoversInterruptedRuns = recoversInterruptedRuns
        }
    }

    /// The name of the index file inside the data folder (`history.sqlite`).
    public static let indexFileName = StoreLayout.indexFileName

    /// The data folder.
    public let directory: URL
    /// The SQLite index file.
    public let indexURL: URL
    /// True when the store cannot change (asked for, or the folder or index is not writable,
    /// or the index is damaged or from a newer version). Writes throw `.readOnly`.
    public let isReadOnly: Bool
    /// What happened while opening, for the UI to show once.
    public let notices: [StoreNotice]
    /// How prompt search works with this SQLite.
    public let searchMode: SearchMode

    let database: any DatabaseWriter
    let fileSystem: any StoreFileSystem

    private init(directory: URL, database: any DatabaseWriter, isReadOnly: Bool, notices: [StoreNotice],
                 searchMode: SearchMode, fileSystem: any StoreFileSystem) {
        self.directory = directory
        self.indexURL = directory.appendingPathComponent(StoreLayout.indexFileName)
        self.database = database
        self.isReadOnly = isReadOnly
        self.notices = notices
        self.searchMode = searchMode
        self.fileSystem = fileSystem
    }

    /// Opens (creating if needed) the store in `directory`.
    ///
    /// A file that is not a SQLite database, or a database that is not a Zoetrope history,
    /// is renamed aside (never deleted) and a new index is begun. A damaged index, one from
    /// a newer Zoetrope, or a folder that cannot be written opens read-only instead. Each
    /// case adds a `StoreNotice`.
    /// - Throws: `HistoryStoreError.notWritable` when there is no index and none can be
    ///   created; `.database` when even a read-only open fails.
    public static func open(at directory: URL, options: Options = Options()) throws -> HistoryStore {
        let fs = options.fileSystem
        let indexURL = directory.appendingPathComponent(StoreLayout.indexFileName)
        let indexExists = fs.exists(indexURL)
        var notices: [StoreNotice] = []

        if options.readOnly {
            return try openReadOnly(directory, indexURL: indexURL, notices: notices, fileSystem: fs)
        }
        // Can we write here at all?
        var unwritableReason: String?
        do {
            try fs.createDirectory(at: directory)
            if !fs.canWrite(inDirectory: directory) { unwritableReason = "no file can be created in it" }
        } catch let error as HistoryStoreError {
            unwritableReason = error.description
        }
        if let reason = unwritableReason {
            guard indexExists else { throw HistoryStoreError.notWritable(path: directory.path, reason: reason) }
            notices.append(.openedReadOnly(reason: "the data folder \(directory.path) cannot be written (\(reason))."))
            return try openReadOnly(directory, indexURL: indexURL, notices: notices, fileSystem: fs)
        }

        // Look before writing anything: opening for writing switches the file to WAL,
        // which rewrites its header.
        if indexExists {
            switch inspect(indexURL) {
            case .usable:
                break
            case let .unreadable(reason):
                let movedTo = try moveAside(indexURL, fileSystem: fs)
                notices.append(.movedAsideUnreadableIndex(original: indexURL.path, movedTo: movedTo.path,
                                                          reason: reason))
            case let .readOnly(reason):
                notices.append(.openedReadOnly(reason: reason))
                return try openReadOnly(directory, indexURL: indexURL, notices: notices, fileSystem: fs)
            }
        }
        let pool: DatabasePool
        do {
            pool = try openPool(indexURL)
        } catch {
            guard fs.exists(indexURL) else { throw map(error, path: indexURL.path) }
            notices.append(.openedReadOnly(reason: "the index could not be opened for writing (\(map(error, path: indexURL.path)))."))
            return try openReadOnly(directory, indexURL: indexURL, notices: notices, fileSystem: fs)
        }
        let migrator = Schema.migrator
        do {
            try migrator.migrate(pool)
        } catch {
            throw map(error, path: indexURL.path)
        }
        let mode = try pool.read(Schema.searchMode)
        let store = HistoryStore(directory: directory, database: pool, isReadOnly: false, notices: notices,
                                 searchMode: mode, fileSystem: fs)
        var opened = notices
        if options.recoversInterruptedRuns {
            opened += try store.recoverInterruptedRuns()
            // A zero-byte, truncated or replaced index: the runs' own folders say what it held.
            if try store.indexLostItsRuns() {
                let report = try store.repair()
                opened.append(.restoredFromRunFolders(count: report.restored.count, skipped: report.skipped.count))
            }
        }
        guard opened != notices else { return store }
        return HistoryStore(directory: directory, database: pool, isReadOnly: false,
                            notices: opened, searchMode: mode, fileSystem: fs)
    }

    /// The absolute folder of a run: `runs/<id>` inside the data directory, derived by the
    /// store itself — never the `folder_path` a database cell says (`runs`, `../elsewhere`),
    /// so deleting a run can only delete its own folder. Ids are checked to be one folder name
    /// when rows are read.
    public func folderURL(for record: RunRecord) -> URL {
        directory.appendingPathComponent(StoreLayout.runsFolderName, isDirectory: true)
            .appendingPathComponent(record.id, isDirectory: true)
    }

    /// The staging folder of a running run.
    func stagingURL(_ id: String) -> URL {
        directory.appendingPathComponent(StoreLayout.stagingFolderName, isDirectory: true)
            .appendingPathComponent(id, isDirectory: true)
    }

    // MARK: Database access with errors mapped

    /// Runs `body` in a write transaction; throws `.readOnly` on a read-only store.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        guard !isReadOnly else { throw HistoryStoreError.readOnly(path: indexURL.path) }
        do {
            return try database.write(body)
        } catch {
            throw Self.map(error, path: indexURL.path)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw Self.map(error, path: indexURL.path)
        }
    }

    static func map(_ error: Error, path: String) -> Error {
        if error is HistoryStoreError { return error }
        guard let dbError = error as? DatabaseError else {
            return HistoryStoreError.database(path: path, reason: "\(error)")
        }
        switch dbError.resultCode {
        case .SQLITE_FULL: return HistoryStoreError.diskFull(path: path)
        case .SQLITE_READONLY, .SQLITE_PERM: return HistoryStoreError.notWritable(path: path, reason: dbError.message ?? "read-only")
        case .SQLITE_IOERR where dbError.extendedResultCode == .SQLITE_IOERR_WRITE:
            // EFBIG (a file-size limit) and EIO land here; ENOSPC is SQLITE_FULL above.
            return HistoryStoreError.database(
                path: path, reason: "writing failed (the disk is full, a file-size limit was reached, or the "
                    + "disk is failing); the last change was rolled back and runs stored earlier are untouched")
        default: return HistoryStoreError.database(path: path, reason: dbError.message ?? "\(dbError)")
        }
    }

    // MARK: Opening helpers

    private static func configuration(readOnly: Bool) -> Configuration {
        var config = Configuration()
        config.readonly = readOnly
        // Another Zoetrope process may hold the write lock for a moment.
        config.busyMode = .timeout(5)
        config.label = "zoetrope-history"
        return config
    }

    /// What a read-only look at an existing index found.
    private enum Inspection {
        /// Ours (or empty) and sound: open it for writing.
        case usable
        /// Not a database, or someone else's: move it aside.
        case unreadable(String)
        /// Damaged pages or a newer schema: open read-only, change nothing.
        case readOnly(String)
    }

    /// Examines an existing index through a read-only connection, which writes nothing.
    private static func inspect(_ indexURL: URL) -> Inspection {
        do {
            let queue = try DatabaseQueue(path: indexURL.path, configuration: configuration(readOnly: true))
            defer { try? queue.close() }
            return try queue.read { db -> Inspection in
                let tables = try String.fetchAll(db, sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                    """)
                if !tables.isEmpty && !tables.contains("run") {
                    return .unreadable("it is a SQLite database of something else (tables: "
                        + tables.prefix(5).joined(separator: ", ") + ")")
                }
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check(3)")
                if check != ["ok"] {
                    return .readOnly("the index \(indexURL.path) is damaged (\(check.joined(separator: "; "))); "
                        + "nothing was changed. Move it aside to start a new history.")
                }
                let migrator = Schema.migrator
                let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
                if !unknown.isEmpty {
                    return .readOnly(HistoryStoreError.newerSchema(path: indexURL.path,
                                                                   unknownMigrations: unknown.sorted()).description)
                }
                return .usable
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            return .unreadable("it is not a SQLite database")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT {
            return .readOnly("the index \(indexURL.path) is damaged (\(error.message ?? "corrupt")); "
                + "nothing was changed. Move it aside to start a new history.")
        } catch {
            // Not readable even read-only (permissions, locks): let the writable open report it.
            return .usable
        }
    }

    private static func openPool(_ url: URL) throws -> DatabasePool {
        try DatabasePool(path: url.path, configuration: configuration(readOnly: false))
    }

    private static func openReadOnly(_ directory: URL, indexURL: URL, notices: [StoreNotice],
                                     fileSystem: any StoreFileSystem) throws -> HistoryStore {
        guard fileSystem.exists(indexURL) else {
            throw HistoryStoreError.database(path: indexURL.path, reason: "there is no index to open read-only")
        }
        do {
            let queue = try DatabaseQueue(path: indexURL.path, configuration: configuration(readOnly: true))
            let mode = (try? queue.read(Schema.searchMode)) ?? .like
            var all = notices
            if all.isEmpty { all.append(.openedReadOnly(reason: "read-only was asked for.")) }
            return HistoryStore(directory: directory, database: queue, isReadOnly: true, notices: all,
                                searchMode: mode, fileSystem: fileSystem)
        } catch {
            throw map(error, path: indexURL.path)
        }
    }

    /// Renames the index and its WAL files to `<name>.unreadable-<time>`; returns the new path.
    private static func moveAside(_ indexURL: URL, fileSystem: any StoreFileSystem) throws -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        var target = indexURL.appendingPathExtension("unreadable-\(formatter.string(from: Date()))")
        var attempt = 1
        while fileSystem.exists(target) {
            attempt += 1
            target = indexURL.appendingPathExtension("unreadable-\(formatter.string(from: Date()))-\(attempt)")
        }
        for suffix in ["-wal", "-shm"] {
            let side = URL(fileURLWithPath: indexURL.path + suffix)
            if fileSystem.exists(side) { try fileSystem.move(side, to: URL(fileURLWithPath: target.path + suffix)) }
        }
        try fileSystem.move(indexURL, to: target)
        return target
    }
}
