// A tiny random Wan 2.2 TI2V-style pipeline (tools/reference/wan22_fixtures.py: residual
// patchified AutoencoderKLWan with z 8 and 16× spatial compression, `expand_timesteps: true`,
// UniPC) on the same pipeline code as Wan 2.1 — no special case in shared code — against
// diffusers' WanPipeline end to end, from the same latents and from a seed alone.
import Foundation
import Schedulers
import TensorCore
import TestSupport
import WeightsIO
import XCTest
@testable import Pipelines

final class Wan22PipelineTests: XCTestCase {
    static var folder: URL { PipelineFixtures.root.appendingPathComponent("wan22/pipeline") }

    /// The call the wan22 fixtures were made with: 5 frames of 32×64, 3 steps, guidance 5,
    /// no negative prompt, 16 text tokens.
    func settings() -> VideoSettings {
        VideoSettings(prompt: PipelineFixtures.prompt, frames: 5, width: 64, height: 32, steps: 3, guidanceScale: 5,
                      options: ["max_sequence_length": .integer(16)])
    }

    func testTheFolderLoadsWithItsOwnRules() throws {
        let pipeline = try WanPipeline.load(folder: Self.folder)
        XCTAssertTrue(pipeline.expandTimesteps)
        // VAE 16× (4× more than 2.1) × patch 2: sides are multiples of 32; latents z 8 at H/16.
        XCTAssertEqual(pipeline.capabilities.sizeMultiple, 32)
        XCTAssertEqual(pipeline.capabilities.frameRule, .stridePlusOne(4))
        XCTAssertEqual(pipeline.latentShape(for: settings()), [1, 8, 2, 2, 4])
        XCTAssertEqual(try PipelineRegistry.describe(folder: Self.folder), pipeline.capabilities)
        XCTAssertTrue(try ModelInspection.inspect(Self.folder).runnable)
        var wrong = settings()
        wrong.width = 48
        XCTAssertThrowsError(try pipeline.resolved(wrong)) { error in
            XCTAssertTrue("\(error)".contains("width 48") && "\(error)".contains("multiple of 32"), "\(error)")
        }
    }

    /// Per step within 1e-4 relative, the video within PSNR 40 dB: the tolerances of the 2.1
    /// pipeline test (float32 sums in another order, amplified by the 3-step solver); measured on
    /// the model parts alone, the transformer calls agree to 1.02e-6 and the decode to 1.7e-6.
    func testSameLatentsGiveDiffusersFrames() throws {
        let pipeline = try WanPipeline.load(folder: Self.folder)
        let cases = try PipelineFixtures.cases("pipeline_unipc_latents", folder: "wan22")
        var run = try pipeline.start(settings(), noise: try cases.tensor("latents"))
        XCTAssertEqual(run.scheduler.timesteps, try cases.tensor("timesteps").data)
        while !run.isFinished {
            let i = run.nextStep
            let result = try run.step()
            XCTAssertLessThanOrEqual(relativeError(result.latents, try cases.tensor("step\(i).latents_out")), 1e-4,
                                     "step \(i)")
        }
        XCTAssertGreaterThanOrEqual(psnr(try pipeline.decode(run.latents), try cases.tensor("video")), 40)
    }

    /// `--seed` alone: the seeded noise is torch's `randn` bit for bit, then the same run.
    func testSeedAloneGivesDiffusersFrames() throws {
        let pipeline = try WanPipeline.load(folder: Self.folder)
        let cases = try PipelineFixtures.cases("pipeline_unipc_generator", folder: "wan22")
        var generator = TorchGenerator(seed: 42)
        let noise = pipeline.noise(for: settings(), generator: &generator)
        XCTAssertEqual(noise, try cases.tensor("noise"))
        var run = try pipeline.start(settings(), noise: noise)
        while !run.isFinished { _ = try run.step() }
        XCTAssertGreaterThanOrEqual(psnr(try pipeline.decode(run.latents), try cases.tensor("video")), 40)
    }
}
