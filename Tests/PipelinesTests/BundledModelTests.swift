// The bundled models (tiny-shapes, and tiny-shapes-unet once it ships): found from any working
// directory, runnable, within the size budget, and giving diffusers' clip from the same noise
// (tools/reference/tiny_shapes_fixtures.py writes Tests/Fixtures/<id>/reference.safetensors for
// every bundled folder; a bundled model without one fails here).
import BundledModels
import Foundation
import Schedulers
import TensorCore
import XCTest
@testable import Pipelines

final class BundledModelTests: XCTestCase {
    func testTheDefaultModelIsBundled() throws {
        XCTAssertTrue(BundledModels.ids.contains(BundledModels.defaultID), "\(BundledModels.ids)")
        XCTAssertEqual(BundledModels.folder(BundledModels.defaultID)?.lastPathComponent, "tiny-shapes")
    }

    func testEveryBundledModelIsRunnableWithinTheSizeBudget() throws {
        for id in BundledModels.ids {
            let folder = try XCTUnwrap(BundledModels.folder(id), id)
            let inspection = try ModelInspection.inspect(folder)
            XCTAssertTrue(inspection.runnable, "\(id): \(inspection.problem ?? "")")
            // The size budget of issue #21: 20 MB for all the weights of each model.
            let weights = inspection.components.map(\.weightBytes).reduce(0, +)
            XCTAssertLessThanOrEqual(weights, 20_000_000, id)
            let pipeline = try PipelineRegistry.load(folder: folder)
            let channels = pipeline.latentShape(for: Self.settings)[1]
            XCTAssertNotNil(LatentRGBProjection.load(folder: folder, channels: channels), "\(id): latent_preview.json")
        }
    }

    func testSwiftGivesDiffusersClipFromTheSameNoiseAndSeed() throws {
        XCTAssertFalse(BundledModels.ids.isEmpty)
        for id in BundledModels.ids {
            let cases = try PipelineFixtures.cases("reference", folder: id)
            let pipeline = try PipelineRegistry.load(folder: try XCTUnwrap(BundledModels.folder(id), id))
            let video = try Self.generate(pipeline, noise: try cases.tensor("latents"), id: id)
            // The issue's bar: PSNR ≥ 40 dB against diffusers' frames.
            let quality = psnr(video, try cases.tensor("video"))
            XCTAssertGreaterThanOrEqual(quality, 40, "\(id): PSNR \(quality) dB")
        }
    }

    /// Zoetrope's defaults, as the fixture script calls diffusers.
    static let settings = VideoSettings(prompt: "a yellow square moving up on a blue background", frames: 17,
                                        width: 64, height: 64, steps: 20, guidanceScale: 5)

    /// The clip `pipeline` makes from `noise`, after checking that seed 7 draws that noise
    /// (the fixture's seeded diffusers run and its run from `latents=` are equal).
    static func generate<P: VideoPipeline>(_ pipeline: P, noise: Tensor, id: String) throws -> Tensor {
        let settings = try pipeline.resolved(Self.settings)
        var generator = TorchGenerator(seed: 7)
        XCTAssertEqual(pipeline.noise(for: settings, generator: &generator), noise, "\(id): seed 7's noise")
        var run = try pipeline.start(settings, noise: noise, generator: generator, cancellation: CancellationFlag())
        while !run.isFinished { _ = try run.step(cancellation: nil) }
        return try pipeline.decode(run.latents, cancellation: nil, progress: nil)
    }
}
