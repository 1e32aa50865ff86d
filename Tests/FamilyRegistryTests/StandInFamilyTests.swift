// The proof that a pipeline family is a folder of its own plus one registry line: a family
// defined only here — its own frame and size rules, latents in [B, F, C, H, W], a sampler and
// an option no real family has — registered with `PipelineRegistry.register` and run through
// the real engine, `zoetrope generate` and the studio's settings pane, with nothing outside this
// file knowing it exists.
import ArgumentParser
import Engine
import Foundation
import GenerateCLI
import Pipelines
import Schedulers
import TensorCore
import XCTest
@testable import Studio

// MARK: The stand-in family

/// Any frame count up to 16, sides multiples of 4 up to 64, one option `strength` in [0, 2]
/// (default 1). Each step moves every latent halfway to `strength / 2`, so after N steps the
/// video is grey `strength / 4 + 1/2` up to the seeded noise / 2^N.
final class StandInPipeline: VideoPipeline {
    static let className = "StandInVideoPipeline"
    static let registration = PipelineRegistration(
        className: className, components: [:],
        describe: { _ in StandInPipeline.capabilities },
        load: { folder, progress in
            progress("everything", 0)
            return StandInPipeline(folder: folder.url)
        })
    static let capabilities = PipelineCapabilities(
        pipelineClass: className, frameRule: .any, sizeMultiple: 4, maxFrames: 16, maxSide: 64, maxSteps: 50,
        latentLayout: .framesFirst, defaults: SettingDefaults(frames: 3, width: 8, height: 8, steps: 4, guidanceScale: 1),
        predictionType: "sample", samplers: ["halfway"], defaultSampler: "halfway",
        options: [OptionSpec(name: "strength", label: "Strength", kind: .number(0...2), defaultValue: .number(1),
                             help: "how bright the grey is")])

    let folder: URL
    var capabilities: PipelineCapabilities { Self.capabilities }
    init(folder: URL) { self.folder = folder }

    struct Run: DenoiseRun {
        var latents: Tensor
        var target: Float
        var stepCount: Int
        var nextStep = 0

        mutating func step(cancellation: CancellationFlag?) throws -> DenoiseStepResult {
            try cancellation?.check()
            let target = target
            latents = latents.map { $0 * 0.5 + target * 0.5 }
            nextStep += 1
            return DenoiseStepResult(index: nextStep - 1, count: stepCount, latents: latents,
                                     predictedClean: latents.map { _ in target })
        }
    }

    func latentShape(for settings: VideoSettings) -> [Int] { [1, settings.frames, 3, settings.height, settings.width] }

    func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator,
               cancellation: CancellationFlag) throws -> Run {
        let settings = try resolved(settings)
        let strength = Float(settings.options["strength"]?.doubleValue ?? 1)
        return Run(latents: noise, target: strength / 2, stepCount: settings.steps)
    }

    func decode(_ latents: Tensor, cancellation: CancellationFlag?,
                progress: ((Int, Int) -> Void)?) throws -> Tensor {
        progress?(1, 1)
        // latents: [1, F, 3, H, W] -> [F, H, W, 3] in [0, 1]
        return latents.squeezed(axis: 0).permuted([0, 2, 3, 1]).map { min(1, max(0, $0 / 2 + 0.5)) }
    }

    func previewFrames(_ latents: Tensor) -> LatentPreviewFrames {
        let (f, h, w) = (latents.shape[1], latents.shape[3], latents.shape[4])
        let frames = (try? decode(latents, cancellation: nil, progress: nil)) ?? Tensor(zeros: [f, h, w, 3])
        let n = h * w * 3
        return LatentPreviewFrames(width: w, height: h, frames: (0..<f).map { i in
            frames.data[(i * n)..<((i + 1) * n)].map { UInt8(($0 * 255).rounded()) }
        })
    }

    func releaseTransientMemory() {}
}

// MARK: Tests

final class StandInFamilyTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        PipelineRegistry.register(StandInPipeline.registration)  // the one registry line
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-standin-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(#"{"_class_name": "StandInVideoPipeline", "_diffusers_version": "0.42.1"}"#.utf8)
            .write(to: folder.appendingPathComponent("model_index.json"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func request(strength: Double?, frames: Int = 3, steps: Int = 8) -> JobRequest {
        JobRequest(model: folder.path, prompt: "grey", frames: frames, width: 8, height: 4, steps: steps,
                   guidanceScale: 1, seed: 7, options: strength.map { ["strength": .number($0)] } ?? [:])
    }

    func outcome(_ engine: Engine, _ request: JobRequest) async -> (steps: Int, previews: Int, final: JobEvent?) {
        let handle = await engine.submit(request)
        var steps = 0, previews = 0
        var final: JobEvent?
        for await timed in handle.events {
            switch timed.event {
            case .step: steps += 1
            case .preview: previews += 1
            default: if timed.event.isFinal { final = timed.event }
            }
        }
        return (steps, previews, final)
    }

    func testTheEngineRunsAFamilyItHasNeverHeardOf() async throws {
        let engine = Engine(loader: PipelineLoader())
        let described = try await engine.describe(folder.path)
        XCTAssertEqual(described, StandInPipeline.capabilities)

        // Its option changes the output as the family says: grey strength / 4 + 1/2.
        for (strength, grey) in [(1.5, 0.875), (0.5, 0.625), (nil, 0.75)] as [(Double?, Double)] {
            let run = await outcome(engine, request(strength: strength))
            XCTAssertEqual(run.steps, 8)
            XCTAssertEqual(run.previews, 8, "a preview per step from the family's own projection")
            guard case .finished(let result)? = run.final else { return XCTFail("\(String(describing: run.final))") }
            XCTAssertEqual(result.frames.count, 3)
            XCTAssertEqual(result.width, 8)
            XCTAssertEqual(result.height, 4)
            let mean = result.video.map(Double.init).reduce(0, +) / Double(result.video.count)
            // Seeded noise (|x| < 6) halved 8 times and mapped by x / 2: at most 0.012 from the grey.
            XCTAssertEqual(mean, grey, accuracy: 0.012, "strength \(String(describing: strength))")
        }

        // Its rules, not Wan's: 3 frames and 8×4 are fine; a size off its multiple, a strength
        // out of range and an option it does not have are refused, naming what is valid.
        let bad: [(JobRequest, String)] = [
            (JobRequest(model: folder.path, prompt: "p", frames: 3, width: 6, height: 4, steps: 2, seed: 1),
             "width must be a multiple of 4"),
            (request(strength: 3), "strength must be a number from 0.0 to 2.0; nearest: 2.0"),
            (JobRequest(model: folder.path, prompt: "p", frames: 3, width: 8, height: 4, steps: 2, seed: 1,
                        options: ["flow_shift": .number(3)]), "this model's options are strength"),
            (JobRequest(model: folder.path, prompt: "p", frames: 3, width: 8, height: 4, steps: 2,
                        sampler: "unipc", seed: 1), "the samplers that fit it: default, halfway"),
        ]
        for (request, message) in bad {
            let run = await outcome(engine, request)
            guard case .failed(let failure)? = run.final else { return XCTFail("\(String(describing: run.final))") }
            XCTAssertEqual(failure.kind, .badRequest)
            XCTAssertTrue(failure.message.contains(message), failure.message)
        }
    }

    func testGenerateRunsItWithItsOptions() async throws {
        let output = folder.appendingPathComponent("out")
        let command = try GenerateCommand.parse(["--no-history", "--model", folder.path, "--prompt", "grey", "--frames", "3",
                                                 "--width", "8", "--height", "4", "--steps", "4", "--seed", "3",
                                                 "--set", "strength=2", "--output", output.path])
        try await command.run()
        let files = try FileManager.default.contentsOfDirectory(atPath: output.path)
        XCTAssertEqual(files.filter { $0.hasSuffix(".png") }.count, 3, "\(files)")
        XCTAssertTrue(files.contains("video.apng"), "\(files)")

        // An option the family does not have: exit 2 (bad request), nothing written.
        let refused = folder.appendingPathComponent("refused")
        let wrong = try GenerateCommand.parse(["--no-history", "--model", folder.path, "--prompt", "grey", "--frames", "3",
                                               "--width", "8", "--height", "4", "--set", "flow_shift=3",
                                               "--output", refused.path])
        do {
            try await wrong.run()
            XCTFail("an option the model lacks must be refused")
        } catch let exit as ExitCode {
            XCTAssertEqual(exit.rawValue, 2)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused.path))
    }

    func testTheStudioSettingsPaneShowsAndChecksItsOption() async throws {
        // The studio's scripted engine describes models with the real loader, so it sees the
        // family only through the registry.
        let service = ScriptedGenerationService()
        let performer = EffectPerformer(service: service, history: InMemoryHistory(), seedSource: { 5 })
        let screen = HeadlessScreen(columns: 120, rows: 40)
        let themes = ThemeCatalog(userFolder: nil)
        let core = StudioCore(state: StudioState(columns: 120, rows: 40, themeNames: themes.names,
                                                 request: JobRequest(model: folder.path, prompt: "")),
                              screen: screen, themes: themes, colours: .palette256)
        func send(_ event: StudioEvent) async {
            for effect in core.send(event) {
                let (events, _) = await performer.perform(effect)
                for e in events { await send(e) }
            }
            core.render()
        }
        func press(_ keys: Key...) async { for key in keys { await send(.key(key)) } }
        func type(_ text: String) async { for ch in text { await send(.key(.character(ch))) } }
        func line(_ needle: String) -> String? { screen.text.split(separator: "\n").first { $0.contains(needle) }.map(String.init) }

        let (events, _) = await performer.perform(.describeModel(ModelReference(model: folder.path)))  // as the app does at start
        for e in events { await send(e) }
        XCTAssertEqual(core.state.compose.settings.fields,
                       [.model, .frames, .size, .steps, .guidance, .sampler, .option("strength"), .seed, .fps,
                        .liveDecode, .precision])
        XCTAssertNotNil(line("Strength model's 1.0"), screen.text)

        // Its own rules: 3 frames are fine (Wan would want 4k + 1); 6×4 is not a multiple of 4.
        await type("grey")
        await press(.tab, .tab, .tab, .control("u"))  // prompt → negative → model → frames
        await type("3")
        XCTAssertTrue(core.state.compose.settings.check(.frames).isValid)
        await press(.tab, .control("u"))
        await type("6x4")
        XCTAssertNotNil(line("Size: width must be a multiple of 4"), screen.text)
        await press(.enter)
        XCTAssertEqual(core.state.compose.settings.text(.size), "8x4")

        // The sampler cycles through what the family lists; the option is checked against its limits.
        await press(.tab, .tab, .tab)  // steps → CFG → sampler
        await press(.character(" "))
        XCTAssertEqual(core.state.compose.settings.sampler, "halfway")
        await press(.tab)
        XCTAssertEqual(core.state.compose.focus, .setting(.option("strength")))
        XCTAssertNotNil(line("strength: how bright the grey is"), screen.text)
        await type("5")
        XCTAssertNotNil(line("Strength: must be a number from 0.0 to 2.0"), screen.text)
        XCTAssertNotNil(line("⏎ → 2.0"), screen.text)
        await press(.enter)
        XCTAssertEqual(core.state.compose.settings.text(.option("strength")), "2.0")

        // Enter starts a run carrying the option.
        await press(.enter)
        XCTAssertEqual(service.submitted.count, 1)
        XCTAssertEqual(service.submitted.first?.options, ["strength": .number(2)])
        XCTAssertEqual(service.submitted.first?.sampler, "halfway")
        XCTAssertEqual(service.submitted.first?.frames, 3)
    }
}
