// The bundled tiny-shapes model: found from any working directory, runnable, and giving
// diffusers' clip from the same noise (tools/reference/tiny_shapes_fixtures.py).
import BundledModels
import Foundation
import TensorCore
import XCTest
@testable import Pipelines

final class BundledModelTests: XCTestCase {
    func folder() throws -> URL {
        try XCTUnwrap(BundledModels.folder(BundledModels.defaultID),
                      "the bundled model is missing from \(BundledModels.root.path)")
    }

    func testTheBundledModelIsFoundAndRunnable() throws {
        XCTAssertTrue(BundledModels.ids.contains("tiny-shapes"), "\(BundledModels.ids)")
        let inspection = try ModelInspection.inspect(try folder())
        XCTAssertTrue(inspection.runnable, inspection.problem ?? "")
        // The size budget of the issue: 20 MB for all the weights.
        let weights = inspection.components.map(\.weightBytes).reduce(0, +)
        XCTAssertLessThanOrEqual(weights, 20_000_000)
        XCTAssertNotNil(LatentRGBProjection.load(folder: try folder(), channels: 8), "latent_preview.json")
    }

    func testSwiftGivesDiffusersClipFromTheSameNoiseAndSeed() throws {
        let cases = try PipelineFixtures.cases("reference", folder: "tiny-shapes")
        let pipeline = try WanPipeline.load(folder: try folder())
        // Zoetrope's defaults, as the fixture script calls diffusers.
        let settings = VideoSettings(prompt: "a yellow square moving up on a blue background", frames: 17,
                                     width: 64, height: 64, steps: 20, guidanceScale: 5)
        let noise = try cases.tensor("latents")
        XCTAssertEqual(pipeline.noise(frames: 17, height: 64, width: 64, seed: 7), noise)
        var run = try pipeline.start(settings, noise: noise)
        while !run.isFinished { _ = try run.step() }
        let video = try pipeline.decode(run.latents)
        // The bar: PSNR ≥ 40 dB against diffusers' frames.
        let quality = psnr(video, try cases.tensor("video"))
        XCTAssertGreaterThanOrEqual(quality, 40, "PSNR \(quality) dB")
    }
}
