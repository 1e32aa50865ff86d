import Foundation
import Pipelines
import Synchronization
import TensorCore
import XCTest
@testable import Engine

/// The engine's contract on the real pipeline: the tiny random WanPipeline folder (UMT5,
/// WanTransformer3DModel, AutoencoderKLWan, UniPC) loaded by `PipelineLoader` and run by a
/// real `Engine`. A 9-frame 16×32 3-step job takes well under a second in a debug build.
///
/// Nothing here measures time: cancel and delivery latencies are printed by
/// `zoetrope-engine-bench`. Where a test needs a cancel to land at a known point, the worker
/// is held after a step until the cancel has arrived (`HoldingLoader`), so the outcome is exact.
final class PipelineEngineTests: XCTestCase {
    static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/wan/pipeline")
    }

    /// The call the pipeline fixtures were made with: 9 frames of 16×32, 3 steps, guidance 5.
    func request(model: String = PipelineEngineTests.folder.path, frames: Int = 9, steps: Int = 3,
                 seed: UInt64? = 42, preview: PreviewSettings = .none) -> JobRequest {
        JobRequest(model: model, prompt: "a red circle moving left", negativePrompt: "blurry", frames: frames,
                   width: 32, height: 16, steps: steps, guidanceScale: 5, seed: seed, preview: preview,
                   options: ["max_sequence_length": .integer(16)])
    }

    func collect(_ handle: JobHandle) async -> [TimedEvent] {
        var events: [TimedEvent] = []
        for await e in handle.events { events.append(e) }
        return events
    }

    func run(_ engine: Engine, _ request: JobRequest) async -> [JobEvent] {
        await collect(await engine.submit(request)).map(\.event)
    }

    /// Runs `request` and returns its result, failing the test if it did not finish.
    func finished(_ engine: Engine, _ request: JobRequest, file: StaticString = #filePath,
                  line: UInt = #line) async throws -> JobResult {
        let events = await run(engine, request)
        return try XCTUnwrap(result(events, file: file, line: line), file: file, line: line)
    }

    func finals(_ events: [JobEvent]) -> [JobEvent] { events.filter(\.isFinal) }

    func steps(_ events: [JobEvent]) -> [Int] {
        events.compactMap { if case .step(let i, _, _, _) = $0 { return i } else { return nil } }
    }

    func previews(_ events: [JobEvent]) -> [PreviewFrames] {
        events.compactMap { if case .preview(let p) = $0 { return p } else { return nil } }
    }

    func loads(_ events: [JobEvent]) -> Int {
        events.filter { if case .loading = $0 { return true } else { return false } }.count
    }

    func result(_ events: [JobEvent], file: StaticString = #filePath, line: UInt = #line) -> JobResult? {
        guard case .finished(let result) = events.last else {
            XCTFail("did not finish: \(events.suffix(2))", file: file, line: line)
            return nil
        }
        return result
    }

    // MARK: Order

    func testEventOrderFromQueuedToFinished() async throws {
        let engine = Engine(loader: PipelineLoader())
        let timed = await collect(await engine.submit(request(preview: .default)))
        let events = timed.map(\.event)
        // queued → loading… → encodingText → (step, preview)… → decoding… → finished
        func rank(_ event: JobEvent) -> Int {
            switch event {
            case .queued: return 0
            case .loading: return 1
            case .encodingText: return 2
            case .denoising, .step, .preview, .decodingPreview: return 3
            case .decoding: return 4
            case .finished, .failed, .cancelled: return 5
            }
        }
        let ranks = events.map(rank)
        XCTAssertEqual(ranks, ranks.sorted(), "\(events)")
        XCTAssertEqual(Set(ranks), [0, 1, 2, 3, 4, 5])
        guard case .queued(0) = events.first else { return XCTFail("\(events[0])") }
        XCTAssertEqual(finals(events).count, 1)
        XCTAssertEqual(events.filter { if case .encodingText = $0 { return true } else { return false } }.count, 1)
        // The denoising phase is announced once, after the text and before the first step.
        let denoising = events.indices.filter { if case .denoising = events[$0] { return true } else { return false } }
        XCTAssertEqual(denoising.count, 1, "\(events)")
        let firstStep = events.firstIndex { if case .step = $0 { return true } else { return false } }
        if let announced = denoising.first, let firstStep {
            XCTAssertLessThan(announced, firstStep)
            guard case .denoising(let steps) = events[announced], case .step(_, let count, _, _) = events[firstStep] else {
                return XCTFail("\(events)")
            }
            XCTAssertEqual(steps, count)
        }
        let fractions = events.compactMap { if case .loading(_, let f) = $0 { return f } else { return nil } }
        XCTAssertEqual(fractions, fractions.sorted())
        XCTAssertEqual(fractions.last, 1)

        // Each step is followed by its preview.
        var lastStep = 0
        for event in events {
            switch event {
            case .step(let index, let count, let perStep, let eta):
                XCTAssertEqual(index, lastStep + 1)
                XCTAssertEqual(count, 3)
                XCTAssertGreaterThan(perStep, 0)
                XCTAssertEqual(eta.map { $0 >= 0 }, true)
                if index == count { XCTAssertEqual(eta, 0) }
                lastStep = index
            case .preview(let preview):
                XCTAssertEqual(preview.step, lastStep)
            default: break
            }
        }
        XCTAssertEqual(steps(events), [1, 2, 3])
        XCTAssertEqual(previews(events).map(\.step), [1, 2, 3])
        let chunks = events.compactMap { e -> (Int, Int)? in
            if case .decoding(let chunk, let count) = e { return (chunk, count) } else { return nil }
        }
        XCTAssertFalse(chunks.isEmpty)
        XCTAssertEqual(chunks.map(\.0), Array(1...chunks[0].1))

        // Timestamps never go back.
        let times = timed.map(\.time)
        XCTAssertEqual(times, times.sorted())

        let result = try XCTUnwrap(result(events))
        XCTAssertEqual(result.seed, 42)
        XCTAssertEqual(result.request, request(preview: .default))
        XCTAssertEqual(result.frames.count, 9)
        XCTAssertEqual([result.width, result.height], [32, 16])
        XCTAssertTrue(result.frames.allSatisfy { $0.count == 32 * 16 * 3 })
        XCTAssertEqual(result.video.count, 9 * 16 * 32 * 3)
        XCTAssertEqual(Set(result.timings.keys), [.loading, .encoding, .denoising, .decoding])
        XCTAssertGreaterThan(result.peakMemoryBytes, 0)
        let outcome = await engine.outcome(of: timed[0].job)
        guard case .finished = outcome else { return XCTFail("\(String(describing: outcome))") }
    }

    func testBadFrameCountFailsOnceAndKeepsTheModel() async throws {
        let engine = Engine(loader: PipelineLoader())
        let events = await run(engine, request(frames: 8))
        XCTAssertEqual(finals(events).count, 1)
        guard case .failed(let failure) = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(failure.kind, .badRequest)
        XCTAssertTrue(failure.message.contains("frames"), failure.message)
        XCTAssertTrue(steps(events).isEmpty)
        XCTAssertFalse(events.contains { if case .encodingText = $0 { return true } else { return false } })
        // The model loaded for the bad request stays loaded for the next job.
        let next = await run(engine, request())
        XCTAssertEqual(loads(next), 0)
        _ = result(next)
    }

    // MARK: Cancelling

    func testCancelBeforeStart() async {
        let engine = Engine(loader: PipelineLoader())
        await engine.pauseAfterCurrent(true)
        let handle = await engine.submit(request())
        await handle.cancel()
        let events = await collect(handle).map(\.event)
        guard events.count == 2, case .queued(0) = events[0], case .cancelled(nil) = events[1] else {
            return XCTFail("\(events)")
        }
        let outcome = await engine.outcome(of: handle.id)
        guard case .cancelled(nil) = outcome else { return XCTFail("\(String(describing: outcome))") }
        let loaded = await engine.loadedModelID
        XCTAssertNil(loaded, "a job cancelled before it started loaded nothing")
    }

    func testCancelOnTheFirstStepStopsInsideTheSecond() async {
        let engine = Engine(loader: HoldingLoader(afterStep: 1))
        let handle = await engine.submit(request(steps: 3, preview: .default))
        var events: [JobEvent] = []
        for await e in handle.events {
            events.append(e.event)
            if case .step(1, _, _, _) = e.event { await handle.cancel() }
        }
        XCTAssertEqual(finals(events).count, 1)
        guard case .cancelled(atStep: 2) = events.last else { return XCTFail("\(events.suffix(2))") }
        XCTAssertEqual(steps(events), [1])
        XCTAssertFalse(events.contains { if case .decoding = $0 { return true } else { return false } })
        let outcome = await engine.outcome(of: handle.id)
        guard case .cancelled(atStep: 2) = outcome else { return XCTFail("\(String(describing: outcome))") }
        // The engine goes on, with the model still loaded.
        let next = await run(engine, request())
        XCTAssertEqual(loads(next), 0)
        _ = result(next)
    }

    func testConsumerDroppingItsStreamCancelsTheJobOnce() async throws {
        let engine = Engine(loader: HoldingLoader(afterStep: 1))
        var handle: JobHandle? = await engine.submit(request(steps: 3))
        let id = handle!.id
        var iterator: AsyncStream<TimedEvent>.Iterator? = handle!.events.makeAsyncIterator()
        while let e = await iterator?.next() {
            if case .step(1, _, _, _) = e.event { break }
        }
        // Drop every reference to the stream while the worker is held after step 1.
        iterator = nil
        handle = nil
        var outcome: JobEvent?
        for _ in 0..<3000 {
            outcome = await engine.outcome(of: id)
            if outcome != nil { break }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        guard case .cancelled(atStep: 2) = outcome else { return XCTFail("outcome \(String(describing: outcome))") }
        _ = result(await run(engine, request()))
    }

    // MARK: Queue

    func testQueueOfThreeWithTheMiddleRemoved() async {
        let engine = Engine(loader: PipelineLoader())
        await engine.pauseAfterCurrent(true)
        let a = await engine.submit(request(seed: 1))
        let b = await engine.submit(request(seed: 2))
        let c = await engine.submit(request(seed: 3))
        let removed = await engine.remove(b.id)
        XCTAssertTrue(removed)
        let waiting = await engine.queue.waiting.map(\.id)
        XCTAssertEqual(waiting, [a.id, c.id])
        await engine.pauseAfterCurrent(false)
        let (ea, eb, ec) = await (collect(a).map(\.event), collect(b).map(\.event), collect(c).map(\.event))
        for events in [ea, eb, ec] { XCTAssertEqual(finals(events).count, 1) }
        XCTAssertEqual(result(ea)?.seed, 1)
        XCTAssertEqual(result(ec)?.seed, 3)
        guard eb.count == 2, case .queued(1) = eb[0], case .cancelled(nil) = eb[1] else { return XCTFail("\(eb)") }
        // c moved up as b left and a started; it ran on the model a loaded.
        let positions = ec.compactMap { if case .queued(let p) = $0 { return p } else { return nil } }
        XCTAssertEqual(positions, [2, 1, 0])
        XCTAssertGreaterThan(loads(ea), 0)
        XCTAssertEqual(loads(ec), 0)
    }

    // MARK: Determinism and loaded models

    func testSameRequestAndSeedGiveBitIdenticalOutput() async throws {
        let engine = Engine(loader: PipelineLoader())
        let one = try await finished(engine, request(seed: 1234))
        let two = try await finished(engine, request(seed: 1234))
        let fresh = try await finished(Engine(loader: PipelineLoader()), request(seed: 1234))
        for other in [two, fresh] {
            XCTAssertEqual(one.video.map(\.bitPattern), other.video.map(\.bitPattern))
            XCTAssertEqual(one.frames, other.frames)
        }
        let otherSeed = try await finished(engine, request(seed: 1235))
        XCTAssertNotEqual(one.video, otherSeed.video)
    }

    func testModelsStayLoadedAndSwitchingReloads() async throws {
        // A second name for the same folder is a second model to the engine.
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("zoetrope-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let other = directory.appendingPathComponent("pipeline")
        try FileManager.default.createSymbolicLink(at: other, withDestinationURL: Self.folder)

        let engine = Engine(loader: PipelineLoader())
        let firstRun = await run(engine, request())
        XCTAssertGreaterThan(loads(firstRun), 0)
        weak let first = await engine.loadedModel
        XCTAssertNotNil(first)
        let secondRun = await run(engine, request(seed: 5))
        XCTAssertEqual(loads(secondRun), 0)
        _ = result(secondRun)
        do {
            let current = await engine.loadedModel
            XCTAssertTrue(current === first, "the same model object ran the second job")
        }

        let switched = await run(engine, request(model: other.path))
        XCTAssertGreaterThan(loads(switched), 0)
        _ = result(switched)
        let loaded = await engine.loadedModelID
        XCTAssertEqual(loaded, other.path)
        XCTAssertNil(first, "the first model's weights were freed when the engine switched")
        let back = await run(engine, request())
        XCTAssertGreaterThan(loads(back), 0)
    }

    func testReleasingTransientMemoryFreesTheTextEncoderUntilTheNextJob() async throws {
        let engine = Engine(loader: PipelineLoader())
        let before = try await finished(engine, request())
        let loaded = await engine.loadedModel
        let model = try XCTUnwrap(loaded as? PipelineModel)
        let pipeline = try XCTUnwrap(model.pipeline as? WanPipeline)
        XCTAssertTrue(pipeline.isTextEncoderLoaded)
        await engine.releaseTransientMemory()
        XCTAssertFalse(pipeline.isTextEncoderLoaded)
        let events = await run(engine, request())
        XCTAssertEqual(loads(events), 0, "only the text encoder is read again, inside the job")
        let after = try XCTUnwrap(result(events))
        XCTAssertTrue(pipeline.isTextEncoderLoaded)
        XCTAssertEqual(before.video.map(\.bitPattern), after.video.map(\.bitPattern))
    }

    // MARK: Previews

    func testProjectedPreviewsEveryStepAreLatentSized() async {
        let events = await run(Engine(loader: PipelineLoader()), request(preview: .projectionsOnly))
        let shown = previews(events)
        XCTAssertEqual(shown.map(\.step), [1, 2, 3])
        for preview in shown {
            XCTAssertFalse(preview.isDecoded)
            XCTAssertFalse(preview.isNoisy)
            // latents [1, 16, 3, 2, 4]: one 4×2 frame per latent frame
            XCTAssertEqual([preview.width, preview.height], [4, 2])
            XCTAssertEqual(preview.frames.count, 3)
            XCTAssertTrue(preview.frames.allSatisfy { $0.count == 4 * 2 * 3 })
        }
    }

    func testDecodedPreviewsEveryNStepsAreFullSize() async {
        let engine = Engine(loader: PipelineLoader())
        let mixed = previews(await run(engine, request(steps: 5, preview: PreviewSettings(projectEveryStep: true,
                                                                                          decodeEvery: 2))))
        XCTAssertEqual(mixed.map(\.step), [1, 2, 3, 4, 5])
        XCTAssertEqual(mixed.map(\.isDecoded), [false, true, false, true, false])
        for preview in mixed where preview.isDecoded {
            XCTAssertEqual([preview.width, preview.height], [32, 16])
            XCTAssertEqual(preview.frames.count, 9)
            XCTAssertTrue(preview.frames.allSatisfy { $0.count == 32 * 16 * 3 })
        }
        // Decodes alone: every step but the last, which the final decode follows at once.
        let decodedOnly = previews(await run(engine, request(preview: PreviewSettings(projectEveryStep: false,
                                                                                      decodeEvery: 1))))
        XCTAssertEqual(decodedOnly.map(\.step), [1, 2])
        XCTAssertTrue(decodedOnly.allSatisfy(\.isDecoded))
        let none = previews(await run(engine, request(preview: .none)))
        XCTAssertTrue(none.isEmpty)
    }

    func testNoisyPreviewsShowTheNoisyLatent() async {
        let engine = Engine(loader: PipelineLoader())
        let clean = previews(await run(engine, request(preview: .projectionsOnly)))
        let noisy = previews(await run(engine, request(preview: PreviewSettings(projectEveryStep: true, decodeBudget: 0,
                                                                                showNoisy: true))))
        XCTAssertEqual(noisy.map(\.step), [1, 2, 3])
        XCTAssertTrue(noisy.allSatisfy(\.isNoisy))
        XCTAssertNotEqual(clean.first?.frames, noisy.first?.frames)
    }

    /// The UNet families through the real engine (issue #17): every denoising step sends a
    /// preview — the cheap projection each step, and with `decodeEvery` a real decode of all
    /// frames — and the clip has the requested frames. TextToVideoSD, and AnimateDiff with its
    /// motion adapter given as a component.
    func testUNetFamiliesPreviewEveryStepThroughTheEngine() async throws {
        let fixtures = PipelineEngineTests.folder.deletingLastPathComponent().deletingLastPathComponent()
        let requests = [
            JobRequest(model: fixtures.appendingPathComponent("text-to-video-sd/pipeline").path, prompt: "a red circle",
                       frames: 5, width: 24, height: 16, steps: 4, guidanceScale: 6, seed: 1,
                       preview: PreviewSettings(projectEveryStep: true, decodeEvery: 2)),
            JobRequest(model: fixtures.appendingPathComponent("animatediff/sd15").path, prompt: "a red circle",
                       frames: 5, width: 24, height: 16, steps: 4, guidanceScale: 6, seed: 1,
                       preview: PreviewSettings(projectEveryStep: true, decodeEvery: 2),
                       components: ["motion_adapter": fixtures.appendingPathComponent("animatediff/motion_adapter").path]),
        ]
        for request in requests {
            let engine = Engine(loader: PipelineLoader())
            let events = await run(engine, request)
            let previews = events.compactMap { event -> PreviewFrames? in
                if case .preview(let preview) = event { return preview } else { return nil }
            }
            XCTAssertEqual(previews.map(\.step), [1, 2, 3, 4], request.model)
            // Step 2 is decoded (all 5 frames at full size); steps 1 and 3 are projected; the last
            // step is left to the final decode.
            XCTAssertEqual(previews.map(\.isDecoded), [false, true, false, false], request.model)
            XCTAssertEqual(previews[1].frames.count, 5)
            XCTAssertEqual([previews[1].width, previews[1].height], [24, 16])
            let clip = try XCTUnwrap(result(events))
            XCTAssertEqual(clip.frames.count, 5)
        }
    }
}

/// `PipelineLoader`, with the model wrapped so that the worker, once, waits after step
/// `afterStep` until the job is cancelled (at most 30 s, so a broken cancel fails instead of
/// hanging). A cancel sent on that step's event then lands at a known point: the first
/// cancellation check of the next step.
final class HoldingLoader: ModelLoader {
    let afterStep: Int
    let armed = Atomic<Bool>(true)

    init(afterStep: Int) { self.afterStep = afterStep }

    func load(_ model: String, context: JobContext) throws -> LoadedModel {
        HoldingModel(try PipelineLoader().load(model, context: context), loader: self)
    }
}

final class HoldingModel: LoadedModel {
    let inner: LoadedModel
    let loader: HoldingLoader

    init(_ inner: LoadedModel, loader: HoldingLoader) {
        self.inner = inner
        self.loader = loader
    }

    var id: String { inner.id }
    func validate(_ request: JobRequest) throws { try inner.validate(request) }
    func releaseTransientMemory() { inner.releaseTransientMemory() }

    func generate(_ request: JobRequest, seed: UInt64, context: JobContext) throws -> GeneratedClip {
        let loader = self.loader
        let holding = JobContext(id: context.id, cancellation: context.cancellation) { event in
            context.emit(event)
            if case .step(loader.afterStep, _, _, _) = event,
               loader.armed.exchange(false, ordering: .relaxed) {
                spin(until: context.cancellation)
            }
        }
        return try inner.generate(request, seed: seed, context: holding)
    }
}
