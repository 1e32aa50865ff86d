// Port of diffusers/schedulers/scheduling_flow_match_euler_discrete.py,
// class FlowMatchEulerDiscreteScheduler (diffusers 0.42.1), deterministic sampling only.
// Precision follows diffusers: the training sigmas and the per-step update are float32 (torch),
// `set_timesteps` computes in float64 (numpy) and stores float32.
import Foundation
import TensorCore

/// How `use_dynamic_shifting` maps `mu` onto sigmas (`time_shift_type`).
public enum TimeShiftType: String, Sendable, CaseIterable {
    /// `σ' = e^μ / (e^μ + (1/σ − 1))`.
    case exponential
    /// `σ' = μ / (μ + (1/σ − 1))`.
    case linear
}

/// Settings of `FlowMatchEulerDiscreteScheduler` (keys and defaults of its `__init__`).
/// `use_karras_sigmas`, `use_exponential_sigmas`, `use_beta_sigmas` and `stochastic_sampling`
/// must be false (decoding throws `unsupportedSetting` otherwise).
public struct FlowMatchEulerDiscreteSchedulerConfig: Decodable, Sendable, Equatable {
    /// `num_train_timesteps`.
    public var trainTimestepCount: Int = 1000
    /// `shift`: the static timestep shift `s` in `sσ / (1 + (s − 1)σ)`.
    public var shift: Double = 1.0
    /// `use_dynamic_shifting`: shift by `mu` (given to `set_timesteps`) instead of `shift`.
    public var useDynamicShifting: Bool = false
    /// `base_shift`, `max_shift`, `base_image_seq_len`, `max_image_seq_len`: inputs of
    /// ``calculateShift(imageSequenceLength:)``.
    public var baseShift: Double = 0.5
    public var maxShift: Double = 1.15
    public var baseImageSequenceLength: Int = 256
    public var maxImageSequenceLength: Int = 4096
    /// `invert_sigmas`: use `1 − σ` (and end at σ = 1).
    public var invertSigmas: Bool = false
    /// `shift_terminal`: stretch the shifted schedule so it ends at this sigma.
    public var shiftTerminal: Double? = nil
    /// `time_shift_type`.
    public var timeShiftType: TimeShiftType = .exponential

    public init() {}

    enum CodingKeys: String, CodingKey {
        case trainTimestepCount = "num_train_timesteps"
        case shift
        case useDynamicShifting = "use_dynamic_shifting"
        case baseShift = "base_shift"
        case maxShift = "max_shift"
        case baseImageSequenceLength = "base_image_seq_len"
        case maxImageSequenceLength = "max_image_seq_len"
        case invertSigmas = "invert_sigmas"
        case shiftTerminal = "shift_terminal"
        case timeShiftType = "time_shift_type"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case stochasticSampling = "stochastic_sampling"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trainTimestepCount = try c.value(.trainTimestepCount, default: 1000)
        shift = try c.value(.shift, default: 1.0)
        useDynamicShifting = try c.value(.useDynamicShifting, default: false)
        baseShift = try c.value(.baseShift, default: 0.5)
        maxShift = try c.value(.maxShift, default: 1.15)
        baseImageSequenceLength = try c.value(.baseImageSequenceLength, default: 256)
        maxImageSequenceLength = try c.value(.maxImageSequenceLength, default: 4096)
        invertSigmas = try c.value(.invertSigmas, default: false)
        shiftTerminal = try c.decodeIfPresent(Double.self, forKey: .shiftTerminal)
        timeShiftType = try c.choice(.timeShiftType, default: .exponential)
        try c.requireFalse(.useKarrasSigmas)
        try c.requireFalse(.useExponentialSigmas)
        try c.requireFalse(.useBetaSigmas)
        try c.requireFalse(.stochasticSampling)
        if trainTimestepCount < 1 {
            throw SchedulerConfigError.invalidValue(file: "", key: "num_train_timesteps",
                                                    value: "\(trainTimestepCount)", expected: "an integer ≥ 1")
        }
    }

    /// diffusers' `calculate_shift`: `mu` linear in the image sequence length, from `base_shift`
    /// at `base_image_seq_len` to `max_shift` at `max_image_seq_len`.
    public func calculateShift(imageSequenceLength: Int) -> Double {
        let slope = (maxShift - baseShift) / Double(maxImageSequenceLength - baseImageSequenceLength)
        let intercept = baseShift - slope * Double(baseImageSequenceLength)
        return Double(imageSequenceLength) * slope + intercept
    }
}

/// Euler integration of a flow-matching ODE; matches diffusers'
/// `FlowMatchEulerDiscreteScheduler` (deterministic mode) step for step.
///
/// The model predicts the velocity `v ≈ ε − x₀` at `timesteps[i] = 1000·σᵢ` (a float), and
/// `x ← x + (σᵢ₊₁ − σᵢ)·v`.
public struct FlowMatchEulerDiscreteScheduler: SigmaScheduler {
    /// The settings it was built from.
    public let config: FlowMatchEulerDiscreteSchedulerConfig
    public let stepCount: Int
    public let timesteps: [Float]
    public let sigmas: [Float]
    public private(set) var nextStepIndex: Int = 0

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount, mu=mu)`).
    /// Throws ``SchedulerConfigError/missingMu(file:)`` if dynamic shifting is on and `mu` is nil,
    /// ``SchedulerConfigError/invalidStepCount(file:stepCount:)`` if `stepCount < 1`.
    public init(config: FlowMatchEulerDiscreteSchedulerConfig, stepCount: Int, mu: Double? = nil) throws {
        guard stepCount >= 1 else { throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount) }
        if config.useDynamicShifting && mu == nil { throw SchedulerConfigError.missingMu(file: "") }
        self.config = config
        self.stepCount = stepCount
        let trainCount = config.trainTimestepCount

        // __init__: float32 training sigmas 1000/1000 … 1/1000, shifted unless dynamic.
        let trainSigmas: [Float] = (0..<trainCount).map { k in
            let sigma = Float(trainCount - k) / Float(trainCount)
            if config.useDynamicShifting { return sigma }
            let shift = Float(config.shift)
            return (shift * sigma) / (1 + Float(config.shift - 1) * sigma)
        }
        let sigmaMax = Double(trainSigmas[0])
        let sigmaMin = Double(trainSigmas[trainCount - 1])

        // set_timesteps: float64 (numpy) up to the cast to float32.
        let train = Double(trainCount)
        var shifted = numpyLinspace(sigmaMax * train, sigmaMin * train, count: stepCount).map { $0 / train }
        shifted = shifted.map { sigma in
            if config.useDynamicShifting, let mu {
                return timeShift(config.timeShiftType, mu: mu, sigma: sigma)
            }
            return config.shift * sigma / (1 + (config.shift - 1) * sigma)
        }
        // diffusers computes these without a check: a shift of 0 gives σ = 0/0 at the first step, a
        // negative one a pole inside (0, 1], and a large mu overflows e^μ; each makes NaN or
        // infinite sigmas that would run to a NaN clip. Name the value instead.
        if let bad = (trainSigmas.map(Double.init) + shifted).first(where: { !$0.isFinite }) {
            throw SchedulerConfigError.invalidValue(
                file: "", key: config.useDynamicShifting ? "mu" : "shift",
                value: config.useDynamicShifting ? "\(mu ?? .nan)" : "\(config.shift)",
                expected: "a value whose shifted sigmas are finite (this one gives σ = \(bad))")
        }
        if let terminal = config.shiftTerminal, terminal != 0 {
            shifted = try stretchToTerminal(shifted, terminal: terminal)
        }
        var sigmas32 = shifted.map { Float($0) }
        let scale = Float(trainCount)
        if config.invertSigmas {
            sigmas32 = sigmas32.map { 1 - $0 }
            self.timesteps = sigmas32.map { $0 * scale }
            self.sigmas = sigmas32 + [1]
        } else {
            self.timesteps = sigmas32.map { $0 * scale }
            self.sigmas = sigmas32 + [0]
        }
    }

    /// Flow prediction: the model's output is the velocity.
    public var predictionType: PredictionType { .flowPrediction }

    public func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        flowPredictedOriginalSample(modelOutput: modelOutput, sample: sample, sigma: sigmas[stepIndex])
    }

    public mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        precondition(stepIndex == nextStepIndex && stepIndex < stepCount,
                     "FlowMatchEulerDiscreteScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        precondition(modelOutput.shape == sample.shape,
                     "model output \(modelOutput.shape) vs sample \(sample.shape)")
        let dt = sigmas[stepIndex + 1] - sigmas[stepIndex]
        nextStepIndex += 1
        // x: any shape; x + dt·v, with the product rounded before the sum as in torch.
        return Tensor(shape: sample.shape, unsafeUninitialized: { out in
            sample.data.withUnsafeBufferPointer { x in
                modelOutput.data.withUnsafeBufferPointer { v in
                    for i in 0..<out.count {
                        let delta = dt * v[i]
                        out[i] = x[i] + delta
                    }
                }
            }
        })
    }
}

/// `numpy.linspace(start, stop, count)` bit for bit: `i·step + start`, the last value `stop`.
func numpyLinspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
    guard count > 1 else { return count == 1 ? [start] : [] }
    let step = (stop - start) / Double(count - 1)
    var values = (0..<count).map { i -> Double in
        let offset = Double(i) * step
        return offset + start
    }
    values[count - 1] = stop
    return values
}

/// diffusers' `time_shift(mu, 1.0, t)`.
func timeShift(_ type: TimeShiftType, mu: Double, sigma: Double) -> Double {
    switch type {
    case .exponential: return exp(mu) / (exp(mu) + (1 / sigma - 1))
    case .linear: return mu / (mu + (1 / sigma - 1))
    }
}

/// diffusers' `stretch_shift_to_terminal`: rescales `1 − σ` so the last sigma is `terminal`.
/// Throws where diffusers silently makes NaN or infinity — one step (the last shifted sigma is
/// 1, so the scale is 0) or `shift_terminal` 1 — which would end in NaN frames, or a trap
/// converting NaN to an integer timestep.
func stretchToTerminal(_ sigmas: [Double], terminal: Double) throws -> [Double] {
    guard let last = sigmas.last else { return sigmas }
    guard terminal < 1, terminal > -1 else {
        throw SchedulerConfigError.invalidValue(
            file: "", key: "shift_terminal", value: "\(terminal)",
            expected: "a value below 1 (the sigma the schedule ends at; at 1 nothing would be denoised)")
    }
    let scaleFactor = (1 - last) / (1 - terminal)
    let stretched = sigmas.map { 1 - ((1 - $0) / scaleFactor) }
    guard stretched.allSatisfy(\.isFinite) else {
        throw SchedulerConfigError.invalidValue(
            file: "", key: "shift_terminal", value: "\(terminal)",
            expected: "a value below 1 with at least 2 steps (with \(sigmas.count) step(s) and this value the "
                + "stretched schedule is NaN, in diffusers too)")
    }
    return stretched
}
