// Writes a finished clip: PNG frames with the settings in their text chunks, an animated
// APNG and GIF (MP4 when ffmpeg is on the PATH), and optionally the raw float tensor.
import Engine
import Foundation
import HistoryStore
import Media
import RunArchive
import TensorCore
import WeightsIO

enum ClipWriter {
    /// The text chunks every frame carries: `parameters` and the `zoetrope` JSON settings, as
    /// the studio's runs carry them (`RunArchive`).
    static func texts(_ result: JobResult) -> [PNGText] {
        RunArchive.pngTexts(for: RunArchive.settings(for: result.request.withSeed(result.seed)), runID: nil)
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
