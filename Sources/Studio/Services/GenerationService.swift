import Engine

/// A job the service accepted: its id and every event it will send, ending with exactly one
/// final event.
public struct SubmittedJob: Sendable {
    public var id: JobID
    public var events: AsyncStream<TimedEvent>
    public init(id: JobID, events: AsyncStream<TimedEvent>) {
        self.id = id
        self.events = events
    }
}

/// The queue as the studio shows it.
public struct QueueState: Equatable, Sendable {
    public struct Item: Equatable, Sendable {
        public var id: JobID
        public var request: JobRequest
        public init(id: JobID, request: JobRequest) {
            self.id = id
            self.request = request
        }
    }
    public var running: Item?
    public var waiting: [Item]
    public var pausedAfterCurrent: Bool

    public init(running: Item? = nil, waiting: [Item] = [], pausedAfterCurrent: Bool = false) {
        self.running = running
        self.waiting = waiting
        self.pausedAfterCurrent = pausedAfterCurrent
    }
}

/// What the studio needs from a generation engine. `EngineGenerationService` adapts the real
/// `Engine`; tests use `ScriptedGenerationService`.
public protocol GenerationService: Sendable {
    func submit(_ request: JobRequest) async -> SubmittedJob
    func cancel(_ id: JobID) async
    /// Removes a waiting job; false if it was not waiting.
    func remove(_ id: JobID) async -> Bool
    func move(_ id: JobID, to position: Int) async
    /// Cancels the running job and goes on with the queue.
    func skip() async
    func pauseAfterCurrent(_ pause: Bool) async
    func queue() async -> QueueState
    /// What `model` takes and offers (rules, defaults, samplers, options), without loading it.
    func describe(_ reference: ModelReference) async throws -> ModelCapabilities
}

/// The real engine behind `GenerationService`.
public struct EngineGenerationService: GenerationService {
    public let engine: Engine
    public init(engine: Engine) { self.engine = engine }

    public func submit(_ request: JobRequest) async -> SubmittedJob {
        let handle = await engine.submit(request)
        return SubmittedJob(id: handle.id, events: handle.events)
    }
    public func cancel(_ id: JobID) async { await engine.cancel(id) }
    public func remove(_ id: JobID) async -> Bool { await engine.remove(id) }
    public func move(_ id: JobID, to position: Int) async { await engine.move(id, to: position) }
    public func skip() async { await engine.skip() }
    public func pauseAfterCurrent(_ pause: Bool) async { await engine.pauseAfterCurrent(pause) }
    public func describe(_ reference: ModelReference) async throws -> ModelCapabilities {
        try await engine.describe(reference.model, components: reference.components)
    }
    public func queue() async -> QueueState {
        let q = await engine.queue
        return QueueState(running: q.running.map { .init(id: $0.id, request: $0.request) },
                          waiting: q.waiting.map { .init(id: $0.id, request: $0.request) },
                          pausedAfterCurrent: q.pausedAfterCurrent)
    }
}

/// A loader for when no model pipeline is available yet: every job fails with a message
/// saying so. Lets the studio start, queue and show an honest failure.
public struct UnavailableModelLoader: ModelLoader {
    public var reason: String
    public init(reason: String = "model not available yet: the generation pipeline is not built into this version") {
        self.reason = reason
    }
    public func load(_ model: String, context: JobContext) throws -> LoadedModel {
        throw JobFailure(.badModel, "\(model): \(reason)")
    }
}
