// Writes a finished clip: PNG frames with the settings in their text chunks, an animated
// APNG and GIF (MP4 when ffmpeg is on the PATH), and optionally the raw float tensor.
import Engine
import Foundation
import HistoryStore
import Media
import TensorCore
import WeightsIO

enum ClipWriter {
    /// The human-readable `parameters` text (the convention of other image tools).
    static func parametersText(_ request: JobRequest, seed: UInt64) -> String {
        var lines = [request.prompt]
        if !request.negativePrompt.isEmpty { lines.append("Negative prompt: \(request.negativePrompt)") }
        var settings = "Steps: \(request.steps), Sampler: \(request.sampler), "
            + "CFG scale: \(request.guidanceScale), Seed: \(seed), Size: \(request.width)x\(request.height), "
            + "Frames: \(request.frames), FPS: \(request.fps), Model: \(request.model)"
        for (name, value) in request.options.sorted(by: { $0.key < $1.key }) { settings += ", \(name): \(value)" }
        lines.append(settings)
        return lines.joined(separator: "\n")
    }

    /// The text chunks every frame carries: `parameters` and the `zoetrope` JSON settings.
    static func texts(_ result: JobResult) -> [PNGText] {
        let request = result.request
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let requestJSON = (try? encoder.encode(request)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        let settings = RunSettings(modelID: request.model, prompt: request.prompt, negativePrompt: request.negativePrompt,
                                   frameCount: request.frames, width: request.width, height: request.height,
                                   stepCount: request.steps, guidanceScale: request.guidanceScale,
                                   sampler: request.sampler, seed: result.seed, fps: Double(request.fps),
                                   requestJSON: requestJSON)
        let chunk = ZoetropeMetadata.textChunk(for: settings)
        return [PNGText(keyword: PNGText.parametersKeyword, text: parametersText(request, seed: result.seed)),
                PNGText(keyword: chunk.keyword, text: chunk.text)]
    }

    /// Writes the clip into `folder`; returns what was written.
    static func write(_ result: JobResult, to folder: URL) throws -> VideoExporter.Result {
        let frames = try RGBImage.frames(floats: result.video, frameCount: result.frames.count,
                                         width: result.width, height: result.height)
        return try VideoExporter().export(frames: frames, fps: Double(result.request.fps), to: folder,
                                          texts: texts(result))
    }

    /// `--save-tensor`: the decoded video as float32 `video` `[frames, height, width, 3]` in
    /// [0, 1], as diffusers returns with `output_type="np"`.
    static func saveTensor(_ result: JobResult, to url: URL) throws {
        let video = Tensor(shape: [result.frames.count, result.height, result.width, 3], data: result.video)
        try SafetensorsWriter.write(["video": video], to: url,
                                    metadata: ["seed": "\(result.seed)", "prompt": result.request.prompt])
    }
}
