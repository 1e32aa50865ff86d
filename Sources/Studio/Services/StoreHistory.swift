// The studio's history on the real SQLite store: each run is written with the store's
// lifecycle — the row `running` when the job is submitted (`begin`), then frames into
// staging and `finish`, or `fail`, or `cancel` — and read back as `HistoryEntry`s with
// their thumbnails.
//
// A finished run's folder (`runs/<id>/`):
//   frame_0000.png …   every frame, with a `parameters` text chunk (readable) and a
//                      `zoetrope` JSON chunk (`ZoetropeMetadata`) so any frame remixes
//   video.apng         the clip, looping, with the same two chunks
//   video.gif          the clip for players without APNG, the parameters as its comment
//   thumbnail.png      the first frame, longer side at most `thumbnailMaxSide`
//   run.json           the store's sidecar (settings, timings, file list)
import Foundation
import Engine
import HistoryStore
import Media

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

    public static let videoFileName = "video.apng"
    public static let gifFileName = "video.gif"
    public static let thumbnailFileName = "thumbnail.png"
    public static let thumbnailMaxSide = 64

    /// The file name of frame `index` (0-based), as `VideoExporter` names frames.
    public static func frameFileName(_ index: Int) -> String { String(format: "frame_%04d.png", index) }

    public init(store: HistoryStore, exportFolder: URL, engineVersion: String, listLimit: Int = 500) {
        self.store = store
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
        return try store.beginRun(Self.settings(for: request), createdAt: started).id
    }

    public func finish(_ id: String, result: JobResult, durationSeconds: Double) async throws -> HistoryEntry {
        let begun = try record(id)
        do {
            guard result.seed == begun.settings.seed else {
                throw HistoryWriteError.seedMismatch(begun: begun.settings.seed, used: result.seed)
            }
            try writeFiles(of: result, settings: begun.settings, runID: id)
            let timings = Dictionary(uniqueKeysWithValues: result.timings.map { ($0.key.rawValue, $0.value) })
            try store.finishRun(id, engineVersion: engineVersion, timings: timings,
                                finishedAt: begun.createdAt.addingTimeInterval(max(0, durationSeconds)))
        } catch {
            // Keep the settings; never leave the row `running` behind a live process.
            try? store.failRun(id, message: "saving the run failed: \(error)")
            throw error
        }
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

    public func setStarred(_ id: String, _ starred: Bool) async throws {
        try store.setStarred(starred, forRun: id)
    }

    public func delete(_ id: String) async throws {
        try store.deleteRun(id)
    }

    public func request(of id: String) async throws -> JobRequest? {
        try store.run(id: id).map { Self.request(from: $0.settings) }
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

    // MARK: Mapping

    /// The store's settings for a request: indexed columns plus the request's JSON. The
    /// request carries the seed it runs with (`begin` refuses one without).
    public static func settings(for request: JobRequest) -> RunSettings {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(request)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        var sampler = request.sampler
        if let shift = request.options["flow_shift"]?.doubleValue { sampler += " shift \(ComposeSettings.format(shift))" }
        return RunSettings(modelID: request.model, prompt: request.prompt, negativePrompt: request.negativePrompt,
                           frameCount: request.frames, width: request.width, height: request.height,
                           stepCount: request.steps, guidanceScale: request.guidanceScale, sampler: sampler,
                           seed: request.seed ?? 0, fps: Double(request.fps), requestJSON: json)
    }

    /// The request a run was made with: its JSON when it decodes, else rebuilt from the
    /// indexed columns (runs imported from elsewhere, or written by another version).
    public static func request(from settings: RunSettings) -> JobRequest {
        if let request = try? JSONDecoder().decode(JobRequest.self, from: Data(settings.requestJSON.utf8)) {
            return request
        }
        // The indexed column holds "name" or "name shift S" (see `settings(for:)`): the name
        // is kept, the model's own options are left to the model.
        let words = settings.sampler.split(separator: " ").map(String.init)
        return JobRequest(model: settings.modelID, prompt: settings.prompt, negativePrompt: settings.negativePrompt,
                          frames: settings.frameCount, width: settings.width, height: settings.height,
                          steps: settings.stepCount, guidanceScale: settings.guidanceScale,
                          sampler: words.first ?? SamplerNames.modelDefault, seed: settings.seed,
                          fps: max(1, Int(settings.fps.rounded())))
    }

    /// The two text chunks of every picture of a run: `parameters`, then `zoetrope` JSON.
    public static func pngTexts(for settings: RunSettings, runID: String) -> [PNGText] {
        let json = ZoetropeMetadata.textChunk(for: settings, runID: runID)
        return PNGText.generationMetadata(parameters: parametersText(for: settings), json: json.text)
    }

    /// Settings in the readable `parameters` form that AUTOMATIC1111 and sd.cpp write.
    public static func parametersText(for s: RunSettings) -> String {
        var text = s.prompt
        if !s.negativePrompt.isEmpty { text += "\nNegative prompt: \(s.negativePrompt)" }
        text += "\nSteps: \(s.stepCount), Sampler: \(s.sampler), CFG scale: \(ComposeSettings.format(s.guidanceScale)), "
            + "Seed: \(s.seed), Size: \(s.width)x\(s.height), Frames: \(s.frameCount), "
            + "FPS: \(ComposeSettings.format(s.fps)), Model: \(s.modelID)"
        return text
    }

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
                     request: Self.request(from: record.settings), durationSeconds: record.duration ?? 0,
                     starred: record.isStarred, thumbnail: thumbnail(of: record), failureMessage: record.errorMessage)
    }

    /// The run's thumbnail, or nil when it has none (not finished, or the file is unreadable).
    private func thumbnail(of record: HistoryStore::RunRecord) -> PixelImage? {
        guard record.status == .finished else { return nil }
        let url = store.folderURL(for: record).appendingPathComponent(Self.thumbnailFileName)
        guard let image = try? PNG.read(contentsOf: url).image else { return nil }
        return PixelImage(width: image.width, height: image.height, rgb: image.pixels)
    }

    /// Frames, the APNG and the thumbnail, into the run's staging folder.
    private func writeFiles(of result: JobResult, settings: RunSettings, runID id: String) throws {
        let texts = Self.pngTexts(for: settings, runID: id)
        var images: [RGBImage] = []
        for (index, rgb) in result.frames.enumerated() {
            let image = try RGBImage(width: result.width, height: result.height, pixels: rgb)
            images.append(image)
            try store.writeFile(named: Self.frameFileName(index), data: PNG.encode(image, texts: texts), forRun: id)
        }
        guard let first = images.first else { return }
        try store.writeFile(named: Self.videoFileName,
                            data: APNG.encode(frames: images, fps: settings.fps, texts: texts), forRun: id)
        // A GIF too, as `zoetrope generate` writes: what chat apps and browsers without APNG
        // support play (issue #20). The parameters text goes into its comment.
        try store.writeFile(named: Self.gifFileName,
                            data: GIF.encode(frames: images, fps: settings.fps,
                                             comments: [Self.parametersText(for: settings)]), forRun: id)
        try store.writeFile(named: Self.thumbnailFileName,
                            data: PNG.encode(first.thumbnail(maxSide: Self.thumbnailMaxSide)), forRun: id)
    }

    private static let exportDateFormat: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f
    }()
}
