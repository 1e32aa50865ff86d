// The studio's history on the real SQLite store: each run is written with the store's
// lifecycle — the row `running` when the job is submitted (`begin`), then frames into
// staging and `finish`, or `fail`, or `cancel` — and read back as `HistoryEntry`s with
// their thumbnails. The run folder's files are `RunArchive`'s, as `zoetrope generate`
// writes them.
import Foundation
import Engine
import HistoryStore
import Media
import RunArchive

/// `HistoryProviding` backed by a `HistoryStore` (SQLite index plus run folders).
///
/// The store's run ids (UUID strings) are the entries' ids. The store's calls block on
/// SQLite and the disk; they are short (one small transaction, a few small files).
public final class StoreHistory: HistoryProviding {
    /// The store everything goes to.
    public let store: HistoryStore
    /// Where `export(_:)` puts run folders.
    public let exportFolder: URL
    /// Kept in each run's row and sidecar.
    public let engineVersion: String
    /// At most this many entries are listed, newest first.
    public let listLimit: Int

    /// Makes each finished run's MP4 (nil: none).
    public let ffmpeg: URL?

    /// `ffmpeg`: the first on PATH unless given.
    public init(store: HistoryStore, exportFolder: URL, engineVersion: String, listLimit: Int = 500,
                ffmpeg: URL? = VideoExporter.findExecutable("ffmpeg")) {
        self.store = store
        self.ffmpeg = ffmpeg
        self.exportFolder = exportFolder
        self.engineVersion = engineVersion
        self.listLimit = listLimit
    }

    /// Opens the history in `directory` as the studio does at start. Runs left `running` by a
    /// process that has died (killed, crashed, power lost) are marked `interrupted` on the
    /// way, their half-written frames removed; `notices` says so.
    public static func open(at directory: URL, exportFolder: URL, engineVersion: String) throws -> StoreHistory {
        let store = try HistoryStore.open(at: directory, options: HistoryStore.Options(recoversInterruptedRuns: true))
        return StoreHistory(store: store, exportFolder: exportFolder, engineVersion: engineVersion)
    }

    /// What happened while the store opened, in words to show once (runs marked interrupted,
    /// an index moved aside, read-only).
    public var notices: [String] { store.notices.map(\.description) }

    // MARK: HistoryProviding

    public func entries(matching query: HistoryQuery) async throws -> [HistoryEntry] {
        let text = query.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let filter = RunFilter(starredOnly: query.starredOnly, text: text.isEmpty ? nil : text)
        return try store.runs(matching: filter, limit: listLimit).map(entry(for:))
    }

    public func begin(request: JobRequest, started: Date) async throws -> String {
        guard request.seed != nil else { throw HistoryWriteError.seedNotChosen }
        return try store.beginRun(RunArchive.settings(for: request), createdAt: started).id
    }

    public func finish(_ id: String, result: JobResult, durationSeconds: Double) async throws -> HistoryEntry {
        try RunArchive.finish(id, result: result, in: store, engineVersion: engineVersion, durationSeconds: durationSeconds,
                              ffmpeg: ffmpeg)
        return try entry(for: record(id))
    }

    public func fail(_ id: String, message: String) async throws -> HistoryEntry {
        try store.failRun(id, message: message)
        return try entry(for: record(id))
    }

    public func cancel(_ id: String) async throws -> HistoryEntry {
        try store.cancelRun(id)
        return try entry(for: record(id))
    }

    public func timingSamples(model: String) async throws -> [RunTimingSample] {
        try RunArchive.timingSamples(of: model, in: store)
    }

    public func setStarred(_ id: String, _ starred: Bool) async throws {
        try store.setStarred(starred, forRun: id)
    }

    public func delete(_ id: String) async throws {
        try store.deleteRun(id)
    }

    public func request(of id: String) async throws -> JobRequest? {
        try store.run(id: id).map { RunArchive.request(from: $0.settings) }
    }

    public func frames(of id: String) async throws -> [PixelImage] {
        let folder = store.folderURL(for: try record(id))
        return try Self.frameFiles(in: folder).map { url in
            let image = try PNG.read(contentsOf: url).image
            return PixelImage(width: image.width, height: image.height, rgb: image.pixels)
        }
    }

    public func export(_ id: String) async throws -> URL {
        let record = try record(id)
        let stamp = Self.exportDateFormat.string(from: record.createdAt)
        let base = "zoetrope-\(stamp)-\(record.id.prefix(8).lowercased())"
        var destination = exportFolder.appendingPathComponent(base, isDirectory: true)
        var attempt = 1
        while FileManager.default.fileExists(atPath: destination.path) {
            attempt += 1
            destination = exportFolder.appendingPathComponent("\(base)-\(attempt)", isDirectory: true)
        }
        return try store.exportRun(id, to: destination)
    }

    // MARK: Files

    /// The frame PNGs in a run folder, in frame order (none if the folder is missing).
    static func frameFiles(in folder: URL) throws -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix("frame_") && $0.hasSuffix(".png") }.sorted()
            .map { folder.appendingPathComponent($0) }
    }

    // MARK: Helpers

    private func record(_ id: String) throws -> HistoryStore::RunRecord {
        guard let record = try store.run(id: id) else { throw HistoryStoreError.runNotFound(id: id) }
        return record
    }

    private func entry(for record: HistoryStore::RunRecord) -> HistoryEntry {
        HistoryEntry(id: record.id, date: record.createdAt, status: record.status,
                     request: RunArchive.request(from: record.settings), durationSeconds: record.duration ?? 0,
                     starred: record.isStarred, thumbnail: thumbnail(of: record), failureMessage: record.errorMessage)
    }

    /// The run's thumbnail, or nil when it has none (not finished, or the file is unreadable).
    private func thumbnail(of record: HistoryStore::RunRecord) -> PixelImage? {
        guard record.status == .finished else { return nil }
        let url = store.folderURL(for: record).appendingPathComponent(RunArchive.thumbnailFileName)
        guard let image = try? PNG.read(contentsOf: url).image else { return nil }
        return PixelImage(width: image.width, height: image.height, rgb: image.pixels)
    }

    private static let exportDateFormat: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f
    }()
}
