// A finished run as the history keeps it, shared by the studio and `zoetrope generate` (so a
// run made either way is the same run in `zoetrope history`): the store's settings for a
// request and back, the text chunks every picture carries, and the run folder's files.
//
// A finished run's folder (`runs/<id>/`):
//   frame_0000.png …   every frame, with a `parameters` text chunk (readable) and a
//                      `zoetrope` JSON chunk (`ZoetropeMetadata`) so any frame remixes
//   video.apng         the clip, looping, with the same two chunks
//   video.gif          the clip for players without APNG, the parameters as its comment
//   video.mp4          when an ffmpeg is on PATH: the clip for video players
//   thumbnail.png      the first frame, longer side at most `thumbnailMaxSide`
//   run.json           the store's sidecar (settings, timings, file list)
import Foundation
import Engine
import HistoryStore
import Media

public enum RunArchive {
    /// Zoetrope's version, kept in every run's row and sidecar (and `zoetrope --version`).
    public static let engineVersion = "0.1.0"

    public static let videoFileName = "video.apng"
    public static let gifFileName = "video.gif"
    public static let mp4FileName = "video.mp4"
    public static let thumbnailFileName = "thumbnail.png"
    public static let thumbnailMaxSide = 64

    /// The file name of frame `index` (0-based), as `VideoExporter` names frames.
    public static func frameFileName(_ index: Int) -> String { String(format: "frame_%04d.png", index) }

    /// The store's settings for a request: indexed columns plus the request's JSON. The
    /// request must carry the seed it runs with (`HistoryStore.beginRun` keeps it).
    public static func settings(for request: JobRequest) -> RunSettings {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(request)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        var sampler = request.sampler
        if let shift = request.options["flow_shift"]?.doubleValue { sampler += " shift \(format(shift))" }
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
    public static func pngTexts(for settings: RunSettings, runID: String?) -> [PNGText] {
        let json = ZoetropeMetadata.textChunk(for: settings, runID: runID)
        return PNGText.generationMetadata(parameters: parametersText(for: settings), json: json.text)
    }

    /// Settings in the readable `parameters` form that AUTOMATIC1111 and sd.cpp write, with the
    /// model's own options the request set (`flow_shift` is already in the sampler). The one
    /// form for the studio's runs and `zoetrope generate`'s.
    public static func parametersText(for s: RunSettings) -> String {
        var text = s.prompt
        if !s.negativePrompt.isEmpty { text += "\nNegative prompt: \(s.negativePrompt)" }
        text += "\nSteps: \(s.stepCount), Sampler: \(s.sampler), CFG scale: \(format(s.guidanceScale)), "
            + "Seed: \(s.seed), Size: \(s.width)x\(s.height), Frames: \(s.frameCount), "
            + "FPS: \(format(s.fps)), Model: \(s.modelID)"
        for (name, value) in request(from: s).options.sorted(by: { $0.key < $1.key }) where name != "flow_shift" {
            text += ", \(name): \(value)"
        }
        return text
    }

    /// Frames, the APNG, the GIF, the MP4 (with `ffmpeg`) and the thumbnail of `result`, into
    /// the staging folder of the store's running run `id` (`HistoryStore.finishRun` then moves
    /// them into place). Returns why there is no MP4 when ffmpeg failed (the run is kept
    /// without it).
    @discardableResult
    public static func writeFiles(of result: JobResult, settings: RunSettings, runID id: String,
                                  into store: HistoryStore, ffmpeg: URL? = nil) throws -> String? {
        let texts = pngTexts(for: settings, runID: id)
        var images: [RGBImage] = []
        for (index, rgb) in result.frames.enumerated() {
            let image = try RGBImage(width: result.width, height: result.height, pixels: rgb)
            images.append(image)
            try store.writeFile(named: frameFileName(index), data: PNG.encode(image, texts: texts), forRun: id)
        }
        guard let first = images.first else { return nil }
        try store.writeFile(named: videoFileName,
                            data: APNG.encode(frames: images, fps: settings.fps, texts: texts), forRun: id)
        // A GIF too: what chat apps and browsers without APNG support play (issue #20).
        try store.writeFile(named: gifFileName,
                            data: GIF.encode(frames: images, fps: settings.fps, comments: [parametersText(for: settings)]),
                            forRun: id)
        try store.writeFile(named: thumbnailFileName, data: PNG.encode(first.thumbnail(maxSide: thumbnailMaxSide)),
                            forRun: id)
        // The MP4 the CLI writes beside its frames (issue #20: studio runs had none).
        guard let ffmpeg else { return nil }
        var mp4Note: String?
        do {
            try store.writeFile(named: mp4FileName, forRun: id) { temporary in
                if let failure = VideoExporter.runFFmpeg(ffmpeg, frames: images, fps: Double(settings.fps),
                                                         comment: parametersText(for: settings), to: temporary) {
                    throw MP4NotWritten(reason: failure)
                }
            }
        } catch let failed as MP4NotWritten {
            mp4Note = failed.reason
        }
        return mp4Note
    }

    /// ffmpeg did not make the MP4; the run is kept without it.
    struct MP4NotWritten: Error {
        var reason: String
    }

    /// Writes `result` into the running run `id` and finishes it; on any failure the run is
    /// marked failed (keeping its settings) and the error rethrown.
    @discardableResult
    public static func finish(_ id: String, result: JobResult, in store: HistoryStore, engineVersion: String,
                              durationSeconds: Double, ffmpeg: URL? = nil) throws -> RunRecord {
        guard let begun = try store.run(id: id) else { throw HistoryStoreError.runNotFound(id: id) }
        do {
            guard result.seed == begun.settings.seed else {
                throw SeedMismatch(begun: begun.settings.seed, used: result.seed)
            }
            try writeFiles(of: result, settings: begun.settings, runID: id, into: store, ffmpeg: ffmpeg)
            let timings = Dictionary(uniqueKeysWithValues: result.timings.map { ($0.key.rawValue, $0.value) })
            return try store.finishRun(id, engineVersion: engineVersion, timings: timings,
                                       finishedAt: begun.createdAt.addingTimeInterval(max(0, durationSeconds)))
        } catch {
            // Keep the settings; never leave the row `running` behind a live process.
            try? store.failRun(id, message: "saving the run failed: \(error)")
            throw error
        }
    }

    /// The result says the engine used another seed than the one the run was begun with.
    public struct SeedMismatch: Error, Equatable, CustomStringConvertible {
        public var begun: UInt64
        public var used: UInt64
        public init(begun: UInt64, used: UInt64) {
            self.begun = begun
            self.used = used
        }
        public var description: String {
            "The run was begun with seed \(begun) but the engine used \(used); its frames were not saved under the wrong seed."
        }
    }

    /// "5.0", "0.75": whole numbers keep one decimal, others as short as they read.
    public static func format(_ x: Double) -> String {
        x == x.rounded() ? String(format: "%.1f", x) : String(format: "%g", x)
    }
}
