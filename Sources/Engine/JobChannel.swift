import Foundation
import Synchronization
import TensorCore

/// One job's event channel. Guarantees exactly one final event: after `finish` nothing
/// more is delivered, and a second `finish` is ignored.
final class JobChannel: Sendable {
    let id: JobID
    let request: JobRequest
    let cancellation = CancellationFlag()
    private let continuation: AsyncStream<TimedEvent>.Continuation
    private let state = Mutex<(finished: Bool, finalEvent: JobEvent?, lastStep: (index: Int, count: Int)?)>(
        (false, nil, nil))

    init(id: JobID, request: JobRequest, continuation: AsyncStream<TimedEvent>.Continuation) {
        self.id = id
        self.request = request
        self.continuation = continuation
    }

    /// Delivers a non-final event unless the job has already ended.
    func send(_ event: JobEvent) {
        precondition(!event.isFinal, "final events go through finish(_:)")
        let open = state.withLock { s -> Bool in
            if case .step(let index, let count, _, _) = event { s.lastStep = (index, count) }
            return !s.finished
        }
        if open { continuation.yield(TimedEvent(job: id, event: event)) }
    }

    /// Delivers the final event, once. Returns `false` if the job had already ended.
    @discardableResult
    func finish(_ event: JobEvent) -> Bool {
        precondition(event.isFinal, "finish(_:) takes a final event")
        let first = state.withLock { s -> Bool in
            if s.finished { return false }
            s.finished = true
            s.finalEvent = event
            return true
        }
        guard first else { return false }
        continuation.yield(TimedEvent(job: id, event: event))
        continuation.finish()
        return true
    }

    /// The last step reported done (1-based) and the job's step count, if a step was reported.
    var lastStep: (index: Int, count: Int)? { state.withLock { $0.lastStep } }

    var isFinished: Bool { state.withLock { $0.finished } }
    var finalEvent: JobEvent? { state.withLock { $0.finalEvent } }
}

/// What the caller of `Engine.submit` gets: the job's events and a way to cancel it.
public struct JobHandle: Sendable {
    public let id: JobID
    /// Every event of the job, in order, ending with exactly one final event.
    public let events: AsyncStream<TimedEvent>
    private let cancelAction: @Sendable () async -> Void
    private let flag: CancellationFlag

    init(id: JobID, events: AsyncStream<TimedEvent>, flag: CancellationFlag, cancel: @escaping @Sendable () async -> Void) {
        self.id = id
        self.events = events
        self.flag = flag
        self.cancelAction = cancel
    }

    /// Cancels the job: a queued job is removed, a running one stops at its next check.
    public func cancel() async { await cancelAction() }

    /// Sets the job's cancellation flag at once, from any thread, without waiting for the
    /// engine: a running job stops at its next check, a waiting one as soon as it would start.
    /// For a signal handler, where an `await` could wait for a thread the computation holds
    /// (`cancel()` still removes a waiting job from the queue).
    public func cancelNow() { flag.cancel() }
}
