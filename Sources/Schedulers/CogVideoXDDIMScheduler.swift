// Port of diffusers/schedulers/scheduling_ddim_cogvideox.py, class CogVideoXDDIMScheduler
// (diffusers 0.42.1), and the settings it shares with CogVideoXDPMScheduler.
// Precision follows diffusers: the scaled_linear betas are float64 (`torch.linspace(...,
// dtype=torch.float64)`), so ᾱ, the SNR shift, the zero-SNR rescale and every per-step scalar
// are float64; each scalar is rounded to float32 where it multiplies a float32 tensor.
import TensorCore

/// Settings of `CogVideoXDDIMScheduler` and `CogVideoXDPMScheduler` (the two `__init__`s have the
/// same keys and defaults). Only `beta_schedule` "scaled_linear" (every CogVideoX checkpoint's)
/// is implemented; `clip_sample` is accepted and, as in diffusers, not applied.
public struct CogVideoXSchedulerConfig: Decodable, Sendable, Equatable {
    /// `num_train_timesteps`, `beta_start`, `beta_end`, `beta_schedule`.
    public var trainTimestepCount = 1000
    public var betaStart = 0.00085
    public var betaEnd = 0.012
    /// `set_alpha_to_one`: ᾱ after the last step is 1 (else ᾱ₀).
    public var setAlphaToOne = true
    /// `steps_offset`, `timestep_spacing`.
    public var stepsOffset = 0
    public var timestepSpacing = TimestepSpacing.leading
    /// `prediction_type`: epsilon, v_prediction or sample.
    public var predictionType = NoisePrediction.epsilon
    /// `rescale_betas_zero_snr`: applied to √ᾱ directly, so ᾱ at the last timestep is 0.
    public var rescaleBetasZeroSNR = false
    /// `snr_shift_scale` s: `ᾱ ← ᾱ/(s + (1 − s)ᾱ)` (the SNR divided by s).
    public var snrShiftScale = 3.0

    public init() {}

    /// The CogVideoX-2b hub config (`snr_shift_scale` 3; the 5b and 1.5 models use 1).
    public static func cogVideoX(snrShiftScale: Double = 3.0) -> CogVideoXSchedulerConfig {
        var config = CogVideoXSchedulerConfig()
        config.predictionType = .vPrediction
        config.rescaleBetasZeroSNR = true
        config.timestepSpacing = .trailing
        config.snrShiftScale = snrShiftScale
        return config
    }

    enum CodingKeys: String, CodingKey {
        case trainTimestepCount = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case setAlphaToOne = "set_alpha_to_one"
        case stepsOffset = "steps_offset"
        case predictionType = "prediction_type"
        case timestepSpacing = "timestep_spacing"
        case rescaleBetasZeroSNR = "rescale_betas_zero_snr"
        case snrShiftScale = "snr_shift_scale"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trainTimestepCount = try c.value(.trainTimestepCount, default: 1000)
        betaStart = try c.value(.betaStart, default: 0.00085)
        betaEnd = try c.value(.betaEnd, default: 0.012)
        let schedule = try c.choice(.betaSchedule, default: BetaSchedule.scaledLinear)
        if schedule != .scaledLinear {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: "beta_schedule",
                                                         value: "\"\(schedule.rawValue)\"", supported: "\"scaled_linear\"")
        }
        setAlphaToOne = try c.value(.setAlphaToOne, default: true)
        stepsOffset = try c.value(.stepsOffset, default: 0)
        predictionType = try c.alphaPredictionType(.predictionType)
        timestepSpacing = try c.choice(.timestepSpacing, default: .leading)
        rescaleBetasZeroSNR = try c.value(.rescaleBetasZeroSNR, default: false)
        snrShiftScale = try c.value(.snrShiftScale, default: 3.0)
        try c.requireNull(.trainedBetas)
        if trainTimestepCount < 2 {
            throw SchedulerConfigError.invalidValue(file: "", key: "num_train_timesteps",
                                                    value: "\(trainTimestepCount)", expected: "an integer ≥ 2")
        }
    }

    /// ᾱ in float64: scaled_linear betas, cumprod, SNR shift, then the zero-SNR rescale of √ᾱ.
    func alphasCumprod() -> [Double] {
        let n = trainTimestepCount
        let start = betaStart.squareRoot(), end = betaEnd.squareRoot()
        // torch.linspace in float64: fma from the nearer end, as for float32.
        let step = (end - start) / Double(n - 1)
        let betas = (0..<n).map { i -> Double in
            let root = i < n / 2 ? start.addingProduct(step, Double(i)) : end.addingProduct(-step, Double(n - 1 - i))
            return root * root
        }
        var product = 1.0
        var alphas = betas.map { beta -> Double in
            product *= 1 - beta
            return product
        }
        let s = snrShiftScale
        alphas = alphas.map { $0 / (s + (1 - s) * $0) }
        if rescaleBetasZeroSNR {
            var roots = alphas.map { $0.squareRoot() }
            let first = roots[0], last = roots[n - 1]
            let scale = first / (first - last)
            roots = roots.map { ($0 - last) * scale }
            alphas = roots.map { $0 * $0 }
        }
        return alphas
    }
}

/// The settings of `CogVideoXDDIMScheduler`.
public typealias CogVideoXDDIMSchedulerConfig = CogVideoXSchedulerConfig
/// The settings of `CogVideoXDPMScheduler` (the same keys and defaults).
public typealias CogVideoXDPMSchedulerConfig = CogVideoXSchedulerConfig

/// CogVideoX's deterministic DDIM; matches diffusers' `CogVideoXDDIMScheduler`.
///
/// From step `t` to `t − T/N`: `x' = c₁·x + c₂·x₀` with `c₁ = √((1 − ᾱ_prev)/(1 − ᾱ))`,
/// `c₂ = √ᾱ_prev − √ᾱ·c₁` (the DDIM update written without ε; no clipping).
public struct CogVideoXDDIMScheduler: Scheduler {
    /// The settings it was built from.
    public let config: CogVideoXSchedulerConfig
    public let stepCount: Int
    /// The timesteps as diffusers' int64 tensor.
    public let integerTimesteps: [Int]
    public let timesteps: [Float]
    /// ᾱ for every training timestep (float64, as diffusers keeps it).
    public let alphasCumprod: [Double]
    public private(set) var nextStepIndex = 0
    private let finalAlphaCumprod: Double
    private let stride: Int

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount)`).
    public init(config: CogVideoXSchedulerConfig, stepCount: Int) throws {
        guard stepCount >= 1, stepCount <= config.trainTimestepCount else {
            throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount)
        }
        self.config = config
        alphasCumprod = config.alphasCumprod()
        finalAlphaCumprod = config.setAlphaToOne ? 1 : alphasCumprod[0]
        integerTimesteps = spacedTimesteps(config.timestepSpacing, trainCount: config.trainTimestepCount,
                                           stepCount: stepCount, stepsOffset: config.stepsOffset)
        timesteps = integerTimesteps.map { Float($0) }
        self.stepCount = integerTimesteps.count
        stride = config.trainTimestepCount / stepCount
    }

    public var predictionType: PredictionType { config.predictionType.predictionType }

    private func alphas(_ stepIndex: Int) -> (alpha: Double, alphaPrev: Double) {
        let t = integerTimesteps[stepIndex]
        let prev = t - stride
        return (alphasCumprod[t], prev >= 0 ? alphasCumprod[prev] : finalAlphaCumprod)
    }

    public func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        let alpha = alphas(stepIndex).alpha
        return alphaPredictedOriginalSample(config.predictionType, modelOutput: modelOutput, sample: sample,
                                            sqrtAlpha: Float(alpha.squareRoot()),
                                            sqrtBeta: Float((1 - alpha).squareRoot()))
    }

    public mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        precondition(stepIndex == nextStepIndex && stepIndex < stepCount,
                     "CogVideoXDDIMScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        let (alpha, alphaPrev) = alphas(stepIndex)
        let x0 = predictedOriginalSample(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        let a = ((1 - alphaPrev) / (1 - alpha)).squareRoot()
        let b = alphaPrev.squareRoot() - alpha.squareRoot() * a
        let a32 = Float(a), b32 = Float(b)
        nextStepIndex += 1
        return zipMap(sample, x0) { x, x0 in a32 * x + b32 * x0 }
    }
}
