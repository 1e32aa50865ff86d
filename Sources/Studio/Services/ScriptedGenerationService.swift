import Foundation
import Engine
import Synchronization

/// A generation service that runs nothing: it records what was asked and sends the events a
/// test (or a demo) chooses. Submitted jobs wait until `emit` sends their events.
public final class ScriptedGenerationService: GenerationService {
    private struct Job {
        var id: JobID
        var request: JobRequest
        var continuation: AsyncStream<TimedEvent>.Continuation
        var finished = false
    }
    private struct State {
        var jobs: [Job] = []
        var paused = false
        var log: [String] = []
    }
    private let state = Mutex(State())

    /// Answers `describe`: by default from the model's real folder (configs only, no weights),
    /// so the studio checks settings against the rules the model states.
    private let describer: @Sendable (ModelReference) throws -> ModelCapabilities

    public init(describer: @escaping @Sendable (ModelReference) throws -> ModelCapabilities = {
        try PipelineLoader().describe($0)
    }) {
        self.describer = describer
    }

    public func describe(_ reference: ModelReference) async throws -> ModelCapabilities { try describer(reference) }

    /// Every request submitted, in order.
    public var submitted: [JobRequest] { state.withLock { $0.jobs.map(\.request) } }
    /// Every job id submitted, in order.
    public var jobIDs: [JobID] { state.withLock { $0.jobs.map(\.id) } }
    /// Queue operations received, as text ("cancel <id>", "skip", "pause true" …).
    public var log: [String] { state.withLock { $0.log } }

    /// Sends `event` on job `id`'s stream (a final event ends the stream).
    public func emit(_ event: JobEvent, to id: JobID, at time: Date = Date()) {
        state.withLock { s in
            guard let i = s.jobs.firstIndex(where: { $0.id == id }), !s.jobs[i].finished else { return }
            s.jobs[i].continuation.yield(TimedEvent(time: time, job: id, event: event))
            if event.isFinal {
                s.jobs[i].finished = true
                s.jobs[i].continuation.finish()
            }
        }
    }

    public func submit(_ request: JobRequest) async -> SubmittedJob {
        let (stream, continuation) = AsyncStream<TimedEvent>.makeStream(bufferingPolicy: .unbounded)
        let id = JobID()
        state.withLock { $0.jobs.append(Job(id: id, request: request, continuation: continuation)) }
        return SubmittedJob(id: id, events: stream)
    }

    public func cancel(_ id: JobID) async {
        state.withLock { $0.log.append("cancel \(id)") }
    }

    public func remove(_ id: JobID) async -> Bool {
        state.withLock { s in
            s.log.append("remove \(id)")
            return s.jobs.contains { $0.id == id && !$0.finished }
        }
    }

    public func move(_ id: JobID, to position: Int) async {
        state.withLock { $0.log.append("move \(id) \(position)") }
    }

    public func skip() async { state.withLock { $0.log.append("skip") } }

    public func pauseAfterCurrent(_ pause: Bool) async {
        state.withLock { $0.paused = pause; $0.log.append("pause \(pause)") }
    }

    public func queue() async -> QueueState {
        state.withLock { s in
            let open = s.jobs.filter { !$0.finished }.map { QueueState.Item(id: $0.id, request: $0.request) }
            return QueueState(running: open.first, waiting: Array(open.dropFirst()), pausedAfterCurrent: s.paused)
        }
    }
}
