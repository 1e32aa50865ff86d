import Foundation
import Synchronization
import TensorCore

/// What a running job may do: send non-final events, record phases, see cancellation.
public final class JobContext: Sendable {
    public let id: JobID
    public let cancellation: CancellationFlag
    private let sink: @Sendable (JobEvent) -> Void
    private let phases = Mutex<(current: JobPhase?, started: Date, totals: [JobPhase: Double])>(
        (nil, Date(), [:]))

    init(id: JobID, cancellation: CancellationFlag, sink: @escaping @Sendable (JobEvent) -> Void) {
        self.id = id
        self.cancellation = cancellation
        self.sink = sink
    }

    /// Sends a progress event. Final events are the engine's to send and are ignored here.
    public func emit(_ event: JobEvent) {
        guard !event.isFinal else { return }
        sink(event)
    }

    /// Starts timing `phase` (ending the previous one).
    public func begin(_ phase: JobPhase) {
        phases.withLock { state in
            let now = Date()
            if let current = state.current {
                state.totals[current, default: 0] += now.timeIntervalSince(state.started)
            }
            state.current = phase
            state.started = now
        }
    }

    /// Whether the job has entered the denoising loop.
    var reachedDenoising: Bool { phases.withLock { $0.totals[.denoising] != nil || $0.current == .denoising } }

    /// Ends the current phase and returns the totals.
    func finishTimings() -> [JobPhase: Double] {
        phases.withLock { state in
            if let current = state.current {
                state.totals[current, default: 0] += Date().timeIntervalSince(state.started)
                state.current = nil
            }
            return state.totals
        }
    }
}
