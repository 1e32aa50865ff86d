// Extra component folders (diffusers' `from_pretrained(model, motion_adapter=…)`) through the
// whole stack for a family defined here: without its `adapter` it makes one frame (as an SD
// image UNet without a motion adapter), with one it makes up to 16. The registry, the engine,
// `generate --component` and the studio's settings pane carry the folder; nothing else knows.
import ArgumentParser
import Engine
import Foundation
import GenerateCLI
import Pipelines
import Schedulers
import TensorCore
import XCTest
@testable import Studio

/// The stand-in family of StandInFamilyTests with an optional `adapter` component.
enum AdapterFamily {
    static let className = "StandInAdapterPipeline"
    static let slot = ComponentSlot(name: "adapter", label: "Adapter", classes: ["StandInAdapter"],
                                    help: "makes clips; without it the model makes one frame")

    static func capabilities(_ extra: [String: URL]) -> PipelineCapabilities {
        var caps = StandInPipeline.capabilities
        caps.pipelineClass = className
        caps.maxFrames = extra["adapter"] == nil ? 1 : 16
        return caps
    }

    static let registration = PipelineRegistration(
        className: className, components: [:], slots: [slot],
        describe: { _, extra in capabilities(extra) },
        load: { folder, extra, _ in AdapterPipeline(folder: folder.url, capabilities: capabilities(extra)) })
}

final class AdapterPipeline: VideoPipeline {
    let folder: URL
    let capabilities: PipelineCapabilities
    let inner: StandInPipeline
    init(folder: URL, capabilities: PipelineCapabilities) {
        self.folder = folder
        self.capabilities = capabilities
        inner = StandInPipeline(folder: folder)
    }
    func latentShape(for settings: VideoSettings) -> [Int] { inner.latentShape(for: settings) }
    func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator,
               cancellation: CancellationFlag) throws -> StandInPipeline.Run {
        _ = try resolved(settings)
        return try inner.start(settings, noise: noise, generator: generator, cancellation: cancellation)
    }
    func decode(_ latents: Tensor, cancellation: CancellationFlag?, progress: ((Int, Int) -> Void)?) throws -> Tensor {
        try inner.decode(latents, cancellation: cancellation, progress: progress)
    }
    func previewFrames(_ latents: Tensor) -> LatentPreviewFrames { inner.previewFrames(latents) }
    func releaseTransientMemory() {}
}

final class ComponentSlotTests: XCTestCase {
    var folder: URL!
    var adapter: URL!

    override func setUpWithError() throws {
        PipelineRegistry.register(AdapterFamily.registration)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-slot-\(UUID())")
        adapter = folder.appendingPathComponent("adapter")
        try FileManager.default.createDirectory(at: adapter, withIntermediateDirectories: true)
        try Data(#"{"_class_name": "StandInAdapterPipeline"}"#.utf8).write(to: folder.appendingPathComponent("model_index.json"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func request(frames: Int, adapter: String?) -> JobRequest {
        JobRequest(model: folder.path, prompt: "grey", frames: frames, width: 8, height: 4, steps: 2, guidanceScale: 1,
                   seed: 1, components: adapter.map { ["adapter": $0] } ?? [:])
    }

    func final(_ engine: Engine, _ request: JobRequest) async -> JobEvent? {
        var last: JobEvent?
        for await timed in await engine.submit(request).events where timed.event.isFinal { last = timed.event }
        return last
    }

    func testTheEngineLoadsTheModelWithItsComponentAndKeepsThemApart() async throws {
        let engine = Engine(loader: PipelineLoader())
        let plain = try await engine.describe(folder.path)
        XCTAssertEqual(plain.maxFrames, 1)
        XCTAssertEqual(plain.components, [AdapterFamily.slot])
        let withAdapter = try await engine.describe(folder.path, components: ["adapter": adapter.path])
        XCTAssertEqual(withAdapter.maxFrames, 16)

        guard case .failed(let failure)? = await final(engine, request(frames: 3, adapter: nil)) else {
            return XCTFail("3 frames without the adapter must be refused")
        }
        XCTAssertTrue(failure.message.contains("between 1 and 1"), failure.message)
        guard case .finished(let result)? = await final(engine, request(frames: 3, adapter: adapter.path)) else {
            return XCTFail("3 frames with the adapter")
        }
        XCTAssertEqual(result.frames.count, 3)
        XCTAssertEqual(result.request.components, ["adapter": adapter.path])
        let loaded = await engine.loadedModelID
        XCTAssertEqual(loaded, ModelReference(model: folder.path, components: ["adapter": adapter.path]).key)

        guard case .failed(let missing)? = await final(engine, request(frames: 3, adapter: "/no/such/adapter")) else {
            return XCTFail("a missing component folder")
        }
        XCTAssertTrue(missing.message.contains("no adapter folder at /no/such/adapter"), missing.message)
        let wrongName = JobRequest(model: folder.path, prompt: "p", frames: 1, width: 8, height: 4, steps: 1, seed: 1,
                                   components: ["motion_adapter": adapter.path])
        guard case .failed(let unknown)? = await final(engine, wrongName) else { return XCTFail("an unknown component") }
        XCTAssertTrue(unknown.message.contains("adapter (StandInAdapter)"), unknown.message)
    }

    func testGenerateTakesItWithComponent() async throws {
        let output = folder.appendingPathComponent("out")
        let command = try GenerateCommand.parse(["--no-history", "--model", folder.path, "--prompt", "grey", "--frames", "3",
                                                 "--width", "8", "--height", "4", "--steps", "2", "--seed", "3",
                                                 "--component", "adapter=\(adapter.path)", "--output", output.path])
        try await command.run()
        let files = try FileManager.default.contentsOfDirectory(atPath: output.path)
        XCTAssertEqual(files.filter { $0.hasSuffix(".png") }.count, 3, "\(files)")
    }

    func testTheStudioShowsAFieldForItAndRereadsTheModelsRules() async throws {
        let service = ScriptedGenerationService()
        let performer = EffectPerformer(service: service, history: InMemoryHistory(), seedSource: { 5 })
        let screen = HeadlessScreen(columns: 120, rows: 40)
        let themes = ThemeCatalog(userFolder: nil)
        let core = StudioCore(state: StudioState(columns: 120, rows: 40, themeNames: themes.names,
                                                 request: JobRequest(model: folder.path, prompt: "", frames: 3)),
                              screen: screen, themes: themes, colours: .palette256)
        func send(_ event: StudioEvent) async {
            for effect in core.send(event) {
                let (events, _) = await performer.perform(effect)
                for e in events { await send(e) }
            }
            core.render()
        }
        let (events, _) = await performer.perform(.describeModel(ModelReference(model: folder.path)))
        for e in events { await send(e) }
        XCTAssertEqual(core.state.compose.settings.fields.prefix(3), [.model, .component("adapter"), .frames])
        XCTAssertNotNil(screen.text.split(separator: "\n").first { $0.contains("Adapter") }, screen.text)
        XCTAssertFalse(core.state.compose.settings.check(.frames).isValid, "3 frames without the adapter")

        for ch in "grey" { await send(.key(.character(ch))) }
        await send(.key(.tab)); await send(.key(.tab)); await send(.key(.tab))  // prompt → negative → model → adapter
        XCTAssertEqual(core.state.compose.focus, .setting(.component("adapter")))
        await send(.key(.paste(adapter.path)))
        XCTAssertEqual(core.state.compose.settings.capabilities?.maxFrames, 16, "described again with the adapter")
        XCTAssertTrue(core.state.compose.settings.check(.frames).isValid)
        await send(.key(.enter))
        XCTAssertEqual(service.submitted.first?.components, ["adapter": adapter.path])
    }
}
