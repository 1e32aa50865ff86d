// TextToVideoSDPipeline (ModelScope / zeroscope: UNet3DConditionModel, AutoencoderKL frame by
// frame, CLIP text) on the pipeline core, against diffusers on the tiny random folder of
// tools/reference/text_to_video_sd_fixtures.py: the prompt embeddings, every step's latents and
// the video, with DDIM (the folder's scheduler) from the same latents and from a seed alone, and
// with DPM-Solver++ swapped in by name as diffusers' from_config does.
import Foundation
import Schedulers
import TensorCore
import WeightsIO
import XCTest
@testable import Pipelines

final class TextToVideoSDPipelineTests: XCTestCase {
    static var folder: URL { PipelineFixtures.root.appendingPathComponent("text-to-video-sd/pipeline") }

    /// The fixture call: 3 frames of 16×24, 3 steps, guidance 6.
    func settings(sampler: String = SamplerNames.modelDefault) -> VideoSettings {
        VideoSettings(prompt: "a red circle moving left", negativePrompt: "blurry", frames: 3, width: 24, height: 16,
                      steps: 3, guidanceScale: 6, sampler: sampler)
    }

    func cases(_ name: String) throws -> SafetensorsFile {
        try PipelineFixtures.cases(name, folder: "text-to-video-sd")
    }

    func testTheFolderLoadsWithThisFamilysRules() throws {
        let pipeline = try TextToVideoSDPipeline.load(folder: Self.folder)
        let caps = pipeline.capabilities
        XCTAssertEqual(caps.frameRule, .any)
        XCTAssertEqual(caps.sizeMultiple, 2, "the tiny VAE's two levels; 8 for SD's four")
        XCTAssertEqual(caps.predictionType, "epsilon")
        XCTAssertEqual(caps.defaultSampler, "ddim")
        // Every catalogue sampler that runs an epsilon model; none of the flow-only ones.
        XCTAssertEqual(caps.samplers, ["ddim", "ddpm", "dpm++2m", "dpm++2m-karras", "euler", "euler-a", "unipc",
                                       "cogvideox-ddim", "cogvideox-dpm"])
        XCTAssertEqual(caps.option("clip_skip")?.kind, .integer(0...1))
        XCTAssertEqual(pipeline.text.maxTextLength, 77)
        XCTAssertEqual(try PipelineRegistry.describe(folder: Self.folder), caps)
        let inspection = try ModelInspection.inspect(Self.folder)
        XCTAssertTrue(inspection.runnable, inspection.problem ?? "")
        XCTAssertEqual(inspection.registryEntry, "TextToVideoSDPipeline")
        XCTAssertEqual(pipeline.latentShape(for: settings()), [1, 4, 3, 8, 12])
    }

    /// CLIP padded to 77 tokens, every position kept: the same `[1, 77, D]` as encode_prompt
    /// (1e-4 relative, the CLIP encoder tests' tolerance).
    func testPromptEmbeddingsMatchEncodePrompt() throws {
        let pipeline = try TextToVideoSDPipeline.load(folder: Self.folder)
        let cases = try cases("ddim_latents")
        let prompt = try pipeline.text.encode("a red circle moving left", clipSkip: 0, cancellation: .never)
        XCTAssertLessThanOrEqual(relativeError(prompt, try cases.tensor("prompt_embeds")), 1e-4)
        let negative = try pipeline.text.encode("blurry", clipSkip: 0, cancellation: .never)
        XCTAssertLessThanOrEqual(relativeError(negative, try cases.tensor("negative_prompt_embeds")), 1e-4)
        let skipped = try pipeline.text.encode("a red circle moving left", clipSkip: 1, cancellation: .never)
        XCTAssertLessThanOrEqual(relativeError(skipped, try cases.tensor("prompt_embeds_clip_skip1")), 1e-4)
    }

    /// Per step within 1e-4 relative of diffusers' latents, the video within PSNR 40 dB: float32
    /// sums in another order (UNet ≤ 9e-7, VAE ≤ 2e-6 measured on the parts), amplified by the
    /// solver over 3 steps — the tolerances of the Wan pipeline tests.
    func runMatches(_ fixture: String, sampler: String = SamplerNames.modelDefault, noise: Tensor? = nil,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        let pipeline = try TextToVideoSDPipeline.load(folder: Self.folder)
        let cases = try cases(fixture)
        var run = try pipeline.start(settings(sampler: sampler), noise: try noise ?? cases.tensor("latents"))
        XCTAssertEqual(run.scheduler.timesteps, try cases.tensor("timesteps").data, file: file, line: line)
        while !run.isFinished {
            let i = run.nextStep
            let result = try run.step()
            XCTAssertLessThanOrEqual(relativeError(result.latents, try cases.tensor("step\(i).latents_out")), 1e-4,
                                     "\(fixture) step \(i)", file: file, line: line)
        }
        let video = try pipeline.decode(run.latents, cancellation: nil, progress: nil)
        XCTAssertEqual(video.shape, [3, 16, 24, 3], file: file, line: line)
        XCTAssertGreaterThanOrEqual(psnr(video, try cases.tensor("video")), 40, fixture, file: file, line: line)
    }

    func testDDIMFromTheSameLatentsGivesDiffusersFrames() throws {
        try runMatches("ddim_latents")
    }

    func testDDIMFromASeedAloneGivesDiffusersFrames() throws {
        let pipeline = try TextToVideoSDPipeline.load(folder: Self.folder)
        var generator = TorchGenerator(seed: 42)
        let noise = pipeline.noise(for: settings(), generator: &generator)
        XCTAssertEqual(noise, try cases("ddim_generator").tensor("noise"))
        try runMatches("ddim_generator", noise: noise)
    }

    func testDPMSolverSwappedInByNameGivesDiffusersFrames() throws {
        try runMatches("dpmpp2m_latents", sampler: "dpm++2m")
    }

    func testDPMSolverFromASeedAloneGivesDiffusersFrames() throws {
        let pipeline = try TextToVideoSDPipeline.load(folder: Self.folder)
        var generator = TorchGenerator(seed: 42)
        try runMatches("dpmpp2m_generator", sampler: "dpm++2m", noise: pipeline.noise(for: settings(), generator: &generator))
    }

    /// Folders this version cannot run are explained: an SDXL pipeline (no registry entry), and
    /// an SD folder whose UNet is SDXL's (`addition_embed_type: text_time`, named by key).
    func testFoldersOfOtherFamiliesAreExplained() throws {
        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-sdxl-\(UUID())")
        defer { try? FileManager.default.removeItem(at: temp) }
        try FileManager.default.copyItem(at: AnimateDiffPipelineTests.sd15, to: temp)
        let index = temp.appendingPathComponent("model_index.json")
        let original = try String(contentsOf: index, encoding: .utf8)
        try original.replacingOccurrences(of: "\"StableDiffusionPipeline\"", with: "\"StableDiffusionXLPipeline\"")
            .write(to: index, atomically: true, encoding: .utf8)
        var inspection = try ModelInspection.inspect(temp)
        XCTAssertFalse(inspection.runnable)
        XCTAssertTrue(inspection.problem?.contains("StableDiffusionXLPipeline") ?? false, inspection.problem ?? "")
        try original.write(to: index, atomically: true, encoding: .utf8)
        let unetConfig = temp.appendingPathComponent("unet/config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: unetConfig)) as? [String: Any] ?? [:]
        config["addition_embed_type"] = "text_time"
        try JSONSerialization.data(withJSONObject: config).write(to: unetConfig)
        inspection = try ModelInspection.inspect(temp)
        XCTAssertFalse(inspection.runnable)
        XCTAssertTrue(inspection.problem?.contains("addition_embed_type") ?? false, inspection.problem ?? "")
    }

    func testAFlowSamplerIsRefusedWithTheOnesThatFit() throws {
        let pipeline = try TextToVideoSDPipeline.load(folder: Self.folder)
        XCTAssertThrowsError(try pipeline.resolved(settings(sampler: "flow-euler"))) { error in
            XCTAssertTrue("\(error)".contains("the samplers that fit it: default, ddim"), "\(error)")
        }
        var odd = settings()
        odd.width = 25
        XCTAssertThrowsError(try pipeline.resolved(odd)) { error in
            XCTAssertTrue("\(error)".contains("multiple of 2"), "\(error)")
        }
    }
}
