// AnimateDiffPipeline on the pipeline core: a Stable Diffusion 1.5 folder plus a MotionAdapter
// folder (the component slot `motion_adapter`), against diffusers on the tiny random setup of
// tools/reference/animatediff_fixtures.py — every step's latents and the video, with DDIM from
// the same latents and from a seed alone, and with DPM-Solver++ swapped in by name. Without an
// adapter the folder is a text-to-image model: one frame.
import Foundation
import Schedulers
import TensorCore
import WeightsIO
import XCTest
@testable import Pipelines

final class AnimateDiffPipelineTests: XCTestCase {
    static var root: URL { PipelineFixtures.root.appendingPathComponent("animatediff") }
    static var sd15: URL { root.appendingPathComponent("sd15") }
    static var adapter: URL { root.appendingPathComponent("motion_adapter") }

    func settings(sampler: String = SamplerNames.modelDefault, frames: Int = 3) -> VideoSettings {
        VideoSettings(prompt: "a red circle moving left", negativePrompt: "blurry", frames: frames, width: 24,
                      height: 16, steps: 3, guidanceScale: 6, sampler: sampler)
    }

    func cases(_ name: String) throws -> SafetensorsFile { try PipelineFixtures.cases(name, folder: "animatediff") }

    func testWithAndWithoutTheAdapter() throws {
        let plain = try PipelineRegistry.describe(folder: Self.sd15)
        XCTAssertEqual(plain.pipelineClass, "StableDiffusionPipeline")
        XCTAssertEqual(plain.maxFrames, 1, "an image model without a motion adapter")
        XCTAssertEqual(plain.components.map(\.name), ["motion_adapter"])
        let video = try PipelineRegistry.describe(folder: Self.sd15, components: ["motion_adapter": Self.adapter])
        XCTAssertEqual(video.maxFrames, 32, "the adapter's motion_max_seq_length")
        XCTAssertEqual(video.defaultSampler, "ddim")
        let pipeline = try AnimateDiffPipeline.load(folder: Self.sd15, adapter: Self.adapter)
        XCTAssertEqual(pipeline.capabilities, video)
        XCTAssertThrowsError(try AnimateDiffPipeline.load(folder: Self.sd15, adapter: nil).resolved(settings())) { error in
            XCTAssertTrue("\(error)".contains("frames 3") && "\(error)".contains("between 1 and 1"), "\(error)")
        }
    }

    /// Per step within 1e-4 relative, the video within PSNR 40 dB: float32 sums in another order
    /// (UNetMotionModel ≤ 1.1e-6, VAE ≤ 2e-6 measured on the parts), amplified over 3 steps.
    func runMatches(_ fixture: String, sampler: String = SamplerNames.modelDefault, noise: Tensor? = nil,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        let pipeline = try AnimateDiffPipeline.load(folder: Self.sd15, adapter: Self.adapter)
        let cases = try cases(fixture)
        XCTAssertLessThanOrEqual(relativeError(try pipeline.text.encode("a red circle moving left", clipSkip: 0,
                                                                          cancellation: .never),
                                               try cases.tensor("prompt_embeds")), 1e-4, file: file, line: line)
        var run = try pipeline.start(settings(sampler: sampler), noise: try noise ?? cases.tensor("latents"))
        XCTAssertEqual(run.scheduler.timesteps, try cases.tensor("timesteps").data, file: file, line: line)
        while !run.isFinished {
            let i = run.nextStep
            let result = try run.step()
            XCTAssertLessThanOrEqual(relativeError(result.latents, try cases.tensor("step\(i).latents_out")), 1e-4,
                                     "\(fixture) step \(i)", file: file, line: line)
        }
        let video = try pipeline.decode(run.latents, cancellation: nil, progress: nil)
        XCTAssertGreaterThanOrEqual(psnr(video, try cases.tensor("video")), 40, fixture, file: file, line: line)
    }

    func testDDIMFromTheSameLatentsGivesDiffusersFrames() throws { try runMatches("ddim_latents") }

    func testDDIMFromASeedAloneGivesDiffusersFrames() throws {
        let pipeline = try AnimateDiffPipeline.load(folder: Self.sd15, adapter: Self.adapter)
        var generator = TorchGenerator(seed: 42)
        let noise = pipeline.noise(for: settings(), generator: &generator)
        XCTAssertEqual(noise, try cases("ddim_generator").tensor("noise"))
        try runMatches("ddim_generator", noise: noise)
    }

    func testDPMSolverSwappedInByNameGivesDiffusersFrames() throws {
        try runMatches("dpmpp2m_latents", sampler: "dpm++2m")
    }

    func testDPMSolverFromASeedAloneGivesDiffusersFrames() throws {
        let pipeline = try AnimateDiffPipeline.load(folder: Self.sd15, adapter: Self.adapter)
        var generator = TorchGenerator(seed: 42)
        try runMatches("dpmpp2m_generator", sampler: "dpm++2m", noise: pipeline.noise(for: settings(), generator: &generator))
    }
}
