import Foundation
import Engine
import Synchronization
@testable import Studio

/// Drives the studio headless: events go through the state machine, effects are carried out
/// at once against the scripted engine and the in-memory history, and the screen is redrawn
/// after every event, as the app would. No threads, no timing. Seeds the studio picks for
/// "random" are `firstSeed`, `firstSeed + 1`, … in submission order.
final class StudioHarness {
    static let firstSeed: UInt64 = 1001
    let screen: HeadlessScreen
    let service: ScriptedGenerationService
    let history: InMemoryHistory
    let performer: EffectPerformer
    let core: StudioCore
    private var streams: [JobID: AsyncStream<TimedEvent>.AsyncIterator] = [:]
    private(set) var effects: [StudioEffect] = []

    /// - Parameter provider: a history store to use instead of `history` (e.g. a `StoreHistory`).
    /// - Parameter model: the compose screen's starting model (as `--model` sets it).
    init(columns: Int = 120, rows: Int = 40, history entries: [HistoryEntry] = [], graphics: GraphicsTier = .halfBlock256,
         provider: HistoryProviding? = nil, model: String = JobRequest.bundledModelID,
         describer: (@Sendable (ModelReference) throws -> ModelCapabilities)? = nil) {
        screen = HeadlessScreen(columns: columns, rows: rows)
        let describe = describer ?? { _ in try StudioHarness.fixtureCapabilities() }
        service = ScriptedGenerationService(describer: describe)
        history = InMemoryHistory(entries: entries)
        let seeds = SeedCounter(next: Self.firstSeed)
        performer = EffectPerformer(service: service, history: provider ?? history, seedSource: { seeds.draw() })
        let themes = ThemeCatalog(userFolder: nil)
        core = StudioCore(state: StudioState(columns: columns, rows: rows, now: Date(timeIntervalSince1970: 1000),
                                             themeNames: themes.names, graphics: graphics,
                                             request: JobRequest(model: model, prompt: "")),
                          screen: screen, themes: themes, colours: .palette256)
        // As the app does at start (`.describeModel`): what the starting model takes. Unless
        // told otherwise, the scripted engine describes every model as the tiny random
        // WanPipeline of the test fixtures does (frames 4k + 1, sides multiples of 16).
        core.send(.modelDescribed(model: model, try? describe(ModelReference(model: model)), problem: nil))
        core.render()
    }

    /// The rules of `Tests/Fixtures/wan/pipeline`, read by the engine's loader from its configs.
    static func fixtureCapabilities() throws -> ModelCapabilities {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/wan/pipeline")
        return try PipelineLoader().describe(folder.path)
    }

    var state: StudioState { core.state }
    var text: String { screen.text }

    func send(_ event: StudioEvent) async {
        for effect in core.send(event) {
            effects.append(effect)
            let (events, job) = await performer.perform(effect)
            if let job { streams[job.id] = job.events.makeAsyncIterator() }
            for e in events { await send(e) }
        }
        core.render()
    }

    func press(_ keys: Key...) async {
        for key in keys { await send(.key(key)) }
    }

    func type(_ text: String) async {
        for ch in text { await send(.key(.character(ch))) }
    }

    /// Has the scripted engine send `event` for `job` and delivers it to the studio.
    func emit(_ event: JobEvent, job: JobID, at time: Date) async {
        service.emit(event, to: job, at: time)
        guard var iterator = streams[job], let timed = await iterator.next() else { return }
        streams[job] = iterator
        performer.observe(timed)
        await send(.engine(timed))
    }

    /// The screen line containing `needle`, if any.
    func line(containing needle: String) -> String? {
        text.split(separator: "\n").map(String.init).first { $0.contains(needle) }
    }
}

/// Deterministic "random" seeds for the harness.
final class SeedCounter: Sendable {
    private let next: Mutex<UInt64>
    init(next: UInt64) { self.next = Mutex(next) }
    func draw() -> UInt64 {
        next.withLock { next in
            defer { next += 1 }
            return next
        }
    }
}
