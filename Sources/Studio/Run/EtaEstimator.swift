import Foundation

/// An ETA people can trust: an exponentially weighted average of seconds per step, hidden
/// for the first steps (which include warm-up), plus the phases still to come (the final
/// decode, as measured last time). Between step events it only counts down: time passing
/// never makes it grow.
public struct EtaEstimator: Equatable, Sendable {
    /// Weight of the newest step in the average.
    public var smoothing: Double = 0.3
    /// The ETA is hidden until this many steps are done.
    public var hiddenSteps: Int = 2
    /// Seconds the final decode took last time (nil: not measured yet).
    public var decodeSeconds: Double?

    public private(set) var secondsPerStep: Double?
    public private(set) var stepsDone = 0
    public private(set) var stepCount = 0
    private var lastStepTime: Date?
    /// The remaining seconds estimated at `estimatedAt`.
    private var remainingAtEstimate: Double?
    private var estimatedAt: Date?

    public init(decodeSeconds: Double? = nil) {
        self.decodeSeconds = decodeSeconds
    }

    /// Starts timing the denoising loop (the moment before step 1 begins).
    public mutating func start(at time: Date) {
        lastStepTime = time
        stepsDone = 0
        secondsPerStep = nil
        remainingAtEstimate = nil
        estimatedAt = nil
    }

    /// Records that step `index` of `count` finished at `time`.
    public mutating func stepFinished(_ index: Int, of count: Int, at time: Date) {
        stepCount = count
        if let last = lastStepTime, index > stepsDone {
            let per = max(0, time.timeIntervalSince(last)) / Double(index - stepsDone)
            secondsPerStep = secondsPerStep.map { smoothing * per + (1 - smoothing) * $0 } ?? per
        }
        lastStepTime = time
        stepsDone = index
        if index > hiddenSteps, let per = secondsPerStep {
            remainingAtEstimate = per * Double(max(0, count - index)) + (decodeSeconds ?? 0)
            estimatedAt = time
        } else {
            remainingAtEstimate = nil
            estimatedAt = nil
        }
    }

    /// Seconds left at `now`, or nil while hidden. Counts down from the last estimate and
    /// stops at zero.
    public func remaining(at now: Date) -> Double? {
        guard let r = remainingAtEstimate, let t = estimatedAt else { return nil }
        return max(0, r - max(0, now.timeIntervalSince(t)))
    }
}
