import Foundation

/// When a running job decodes its current estimate with the real VAE, for a preview of every
/// frame at full resolution while it forms (issue #20).
///
/// With a fixed interval (`PreviewSettings.decodeEvery`) it decodes every N steps. With a
/// budget it spends at most `budget` × the run's own time (denoising plus the final decode) on
/// these decodes: once it knows what a step and a decode cost, it spreads as many decodes as
/// fit evenly over the steps, and never starts one that would overdraw the budget. The last
/// step is never decoded: the final decode follows it at once.
///
/// Without an estimate of a decode's cost (a model's first run on this machine) a budget
/// schedule decodes nothing; the engine learns the cost from that run's final decode.
struct LiveDecodeSchedule: Sendable, Equatable {
    /// Decode every N steps regardless of cost (0: by budget).
    var every: Int
    /// The share of the run's time live decodes may take (0: none).
    var budget: Double
    /// Seconds one full decode of this clip is expected to take (nil: unknown).
    var decodeSeconds: Double?
    /// Seconds spent on live decodes so far in this run.
    private(set) var spentSeconds = 0.0

    init(every: Int, budget: Double, decodeSeconds: Double?) {
        self.every = max(0, every)
        self.budget = budget.isFinite ? min(max(budget, 0), 1) : 0
        self.decodeSeconds = decodeSeconds.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
    }

    /// How many steps apart the decodes fall for a run of `count` steps at `secondsPerStep`
    /// (nil: none fit the budget).
    func interval(count: Int, secondsPerStep: Double) -> Int? {
        if every > 0 { return every }
        guard budget > 0, let decode = decodeSeconds, count > 1, secondsPerStep.isFinite, secondsPerStep >= 0 else {
            return nil
        }
        let fitting = (budget * runSeconds(count: count, secondsPerStep: secondsPerStep, decode: decode) / decode)
            .rounded(.down)
        guard fitting >= 1 else { return nil }
        // `fitting` decodes evenly over the steps before the last: every ⌈count / (fitting + 1)⌉.
        let decodes = min(fitting, Double(count - 1))
        return max(1, Int((Double(count) / (decodes + 1)).rounded(.up)))
    }

    /// Whether to decode after step `done` (1-based) of `count`.
    func shouldDecode(after done: Int, of count: Int, secondsPerStep: Double) -> Bool {
        guard done < count, let interval = interval(count: count, secondsPerStep: secondsPerStep),
              done % interval == 0 else { return false }
        if every > 0 { return true }
        // The budget again with what has been spent: a decode slower than estimated must not
        // let the next one overdraw it.
        guard let decode = decodeSeconds else { return false }
        return spentSeconds + decode <= budget * runSeconds(count: count, secondsPerStep: secondsPerStep, decode: decode)
    }

    /// The run the budget is a share of: `count` steps and the final decode.
    private func runSeconds(count: Int, secondsPerStep: Double, decode: Double) -> Double {
        secondsPerStep * Double(count) + decode
    }

    /// Records a live decode that took `seconds`; later decisions expect the same cost.
    mutating func decoded(seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        spentSeconds += seconds
        decodeSeconds = max(seconds, 1e-6)
    }
}
