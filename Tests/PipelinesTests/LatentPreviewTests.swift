import Foundation
import Pipelines
import TensorCore
import XCTest

/// `LatentRGBProjection`: the cheap x0 preview's linear map, with its own map for the causal
/// VAE's first latent frame.
final class LatentPreviewTests: XCTestCase {
    /// Latents [1, 2, 3, 1, 1]: channel 0 is 1 everywhere, channel 1 is 0.
    private let latents = Tensor(shape: [1, 2, 3, 1, 1], data: [1, 1, 1, 0, 0, 0])

    func testFirstFrameMapAppliesToLatentFrameZeroOnly() {
        // Main map: red = channel 0 → 255; first-frame map: blue = channel 0 → 255.
        let map = LatentRGBProjection(weights: [[1, 0], [-1, 0], [-1, 0]], bias: [0, 0, 0],
                                      firstFrame: .init(weights: [[-1, 0], [-1, 0], [1, 0]], bias: [0, 0, 0]))
        let frames = map.frames(latents)
        XCTAssertEqual(frames, [[0, 0, 255], [255, 0, 0], [255, 0, 0]])
        let plain = LatentRGBProjection(weights: map.weights, bias: map.bias)
        XCTAssertEqual(plain.frames(latents), [[255, 0, 0], [255, 0, 0], [255, 0, 0]])
    }

    func testFileWithAndWithoutFirstFrameLoads() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("preview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(LatentRGBProjection.fileName)
        let main = #""weights": [[1, 0], [0, 1], [0, 0]], "bias": [0, 0, 0]"#
        try Data("{\(main)}".utf8).write(to: file)
        XCTAssertNil(try XCTUnwrap(LatentRGBProjection.load(folder: folder, channels: 2)).firstFrame)
        try Data(#"{\#(main), "first_frame": {"weights": [[0, 1], [1, 0], [0, 0]], "bias": [0.5, 0, 0]}}"#.utf8)
            .write(to: file)
        let loaded = try XCTUnwrap(LatentRGBProjection.load(folder: folder, channels: 2))
        XCTAssertEqual(loaded.firstFrame?.bias, [0.5, 0, 0])
        // A first-frame map for another channel count does not fit this model: no map at all.
        try Data(#"{\#(main), "first_frame": {"weights": [[0], [1], [0]], "bias": [0, 0, 0]}}"#.utf8).write(to: file)
        XCTAssertNil(LatentRGBProjection.load(folder: folder, channels: 2))
    }
}
