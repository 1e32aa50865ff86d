import Foundation
import TensorCore
import WeightsIO
import XCTest

/// The committed WanPipeline fixtures (tools/reference/wan_fixtures.py).
enum PipelineFixtures {
    static let regenerate = "tools/reference/generate_all.sh"

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
    }

    /// The tiny random WanPipeline folder (UMT5 + WanTransformer3DModel + AutoencoderKLWan + UniPC).
    static var pipelineFolder: URL { root.appendingPathComponent("wan/pipeline") }

    /// `Tests/Fixtures/<folder>/<name>.safetensors`.
    static func cases(_ name: String, folder: String = "wan") throws -> SafetensorsFile {
        let url = root.appendingPathComponent("\(folder)/\(name).safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureMissing(description: "missing fixture \(url.path); regenerate with: \(regenerate)")
        }
        return try SafetensorsFile(url: url)
    }

    struct FixtureMissing: Error, CustomStringConvertible { let description: String }

    /// The call every pipeline fixture was made with (wan_fixtures.py PIPELINE_CALL).
    static let prompt = "a red circle moving left"
    static let negativePrompt = "blurry"
    static let frames = 9, height = 16, width = 32, steps = 3
    static let guidance: Float = 5
    static let maxSequenceLength = 16
    static let generatorSeed: UInt64 = 42
}

/// Peak signal-to-noise ratio of two clips in [0, 1], in dB.
func psnr(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
    var sum = 0.0
    for i in 0..<a.count {
        let d = Double(a.data[i]) - Double(b.data[i])
        sum += d * d
    }
    let mse = sum / Double(max(1, a.count))
    return mse == 0 ? .infinity : 10 * log10(1 / mse)
}

/// max |a − b| / max |b|.
func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
    let scale = b.data.reduce(Float(0)) { max($0, abs($1)) }
    return a.maxAbsDifference(b) / max(scale, .leastNormalMagnitude)
}
