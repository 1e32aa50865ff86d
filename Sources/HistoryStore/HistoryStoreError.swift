// Errors and notices of the history store. Each message names the path and what to do.
import Foundation

/// A failure of the history store. `description` is a sentence a user can act on.
public enum HistoryStoreError: Error, CustomStringConvertible, Equatable {
    /// The data folder (or a file in it) cannot be written: permissions or a read-only disk.
    case notWritable(path: String, reason: String)
    /// A write failed because the disk (or a size limit) is full. Nothing stored earlier is touched.
    case diskFull(path: String)
    /// The store was opened read-only (see `HistoryStore.notices`), so it cannot change.
    case readOnly(path: String)
    /// The index database could not be opened or read.
    case database(path: String, reason: String)
    /// The index was written by a newer Zoetrope (schema steps this one does not know).
    case newerSchema(path: String, unknownMigrations: [String])
    /// No run with this id is in the index.
    case runNotFound(id: String)
    /// A run's folder named by the index is not on disk.
    case missingRunFolder(id: String, path: String)
    /// The operation needs the run in another status (e.g. writing frames to a finished run).
    case wrongStatus(id: String, status: RunStatus, expected: [RunStatus])
    /// A file name given for a run's folder is empty, hidden or has a path separator.
    case invalidFileName(String)
    /// The export destination already exists; the store never overwrites it.
    case destinationExists(path: String)
    /// Another file-system failure, with the errno text.
    case io(path: String, operation: String, reason: String)
    /// No PNG text chunk with our keyword was among the chunks given.
    case noZoetropeMetadata(keywordsFound: [String])
    /// Our PNG text chunk was there but its JSON is not valid metadata.
    case badMetadata(reason: String)

    public var description: String {
        switch self {
        case let .notWritable(path, reason):
            return "The Zoetrope data folder \(path) cannot be written (\(reason)). "
                + "Choose another folder with --data-dir or ZOETROPE_DATA_DIR, or fix its permissions."
        case let .diskFull(path):
            return "The disk is full while writing \(path). Runs stored earlier are untouched; "
                + "free some space and try again."
        case let .readOnly(path):
            return "The history at \(path) is open read-only, so it cannot be changed now."
        case let .database(path, reason):
            return "The history index \(path) could not be used: \(reason)."
        case let .newerSchema(path, unknown):
            return "The history index \(path) was written by a newer Zoetrope (schema steps "
                + "\(unknown.joined(separator: ", "))). It is opened read-only; update Zoetrope to change it."
        case let .runNotFound(id):
            return "No run with id \(id) is in the history."
        case let .missingRunFolder(id, path):
            return "The folder of run \(id) is missing: \(path). Its settings are still in the history."
        case let .wrongStatus(id, status, expected):
            return "Run \(id) is \(status.rawValue); this needs it to be "
                + expected.map(\.rawValue).joined(separator: " or ") + "."
        case let .invalidFileName(name):
            return "\"\(name)\" is not a valid file name inside a run folder (no '/', not empty, not hidden)."
        case let .destinationExists(path):
            return "\(path) already exists; choose another export destination."
        case let .io(path, operation, reason):
            return "Could not \(operation) \(path): \(reason)."
        case let .noZoetropeMetadata(found):
            return "This PNG carries no '\(ZoetropeMetadata.keyword)' text chunk"
                + (found.isEmpty ? " (it has no text chunks)." : " (its text chunks: \(found.joined(separator: ", "))).")
        case let .badMetadata(reason):
            return "The PNG's '\(ZoetropeMetadata.keyword)' metadata is not valid: \(reason)."
        }
    }
}

/// Something the store did or noticed while opening, for the UI to show once.
public enum StoreNotice: Sendable, Equatable, CustomStringConvertible {
    /// The index file was not a usable database; it was renamed, not deleted, and a new one begun.
    case movedAsideUnreadableIndex(original: String, movedTo: String, reason: String)
    /// The store could not open for writing and opened read-only instead.
    case openedReadOnly(reason: String)
    /// Runs left `running` by a process that no longer exists were marked `interrupted`.
    case markedInterrupted(ids: [String])
    /// Half-written frames of dead runs were removed from the staging folder.
    case removedStaleStaging(ids: [String])
    /// The index had no runs while run folders were there: their rows were restored from
    /// each folder's `run.json` (`skipped` folders could not be read).
    case restoredFromRunFolders(count: Int, skipped: Int)

    public var description: String {
        switch self {
        case let .movedAsideUnreadableIndex(original, movedTo, reason):
            return "The history index \(original) could not be read (\(reason)); it was kept as "
                + "\(movedTo) and a new, empty history was started."
        case let .openedReadOnly(reason):
            return "History opened read-only: \(reason)"
        case let .markedInterrupted(ids):
            return "\(ids.count) run(s) left running by a process that ended were marked interrupted."
        case let .removedStaleStaging(ids):
            return "Removed unfinished frames of \(ids.count) interrupted run(s)."
        case let .restoredFromRunFolders(count, skipped):
            return "The history index had lost its runs: \(count) run(s) were restored from their folders' run.json"
                + (skipped == 0 ? "." : "; \(skipped) folder(s) could not be read (zoetrope history repair lists them).")
        }
    }
}
