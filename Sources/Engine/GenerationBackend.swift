import Foundation
import Synchronization
import TensorCore

/// A clip a model produced.
public struct GeneratedClip: Sendable {
    public var width: Int
    public var height: Int
    /// `[frames, height, width, 3]` floats in [0, 1], as diffusers returns with `output_type="np"`.
    public var video: [Float]
    public var frameCount: Int

    public init(width: Int, height: Int, frameCount: Int, video: [Float]) {
        self.width = width
        self.height = height
        self.frameCount = frameCount
        self.video = video
    }

    /// RGB8 frames, rounding as diffusers' `numpy_to_pil` does: `(x * 255).round()`.
    public var rgbFrames: [[UInt8]] {
        let n = width * height * 3
        return (0..<frameCount).map { f in
            let base = f * n
            return (0..<n).map { i in
                let v = (video[base + i] * 255).rounded(.toNearestOrEven)
                return UInt8(max(0, min(255, v)))
            }
        }
    }
}

/// A model loaded in memory, ready to run jobs. Weights are immutable and shared; every
/// job's changing state (latents, scheduler, caches, RNG) lives inside `generate`.
public protocol LoadedModel: AnyObject, Sendable {
    /// The model id or path the engine loaded it from.
    var id: String { get }
    /// Throws `JobFailure(.badRequest, …)` when the request cannot run on this model.
    func validate(_ request: JobRequest) throws
    /// Runs one job synchronously on the engine's worker thread, reporting progress through
    /// `context` and checking `context.cancellation` inside long work.
    func generate(_ request: JobRequest, seed: UInt64, context: JobContext) throws -> GeneratedClip
    /// Frees components not needed until the next job (e.g. the text encoder), if memory is short.
    func releaseTransientMemory()
}

/// Loads models by id or path.
public protocol ModelLoader: Sendable {
    func load(_ model: String, context: JobContext) throws -> LoadedModel
}

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
