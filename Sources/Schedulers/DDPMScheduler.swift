// Port of diffusers/schedulers/scheduling_ddpm.py, class DDPMScheduler (diffusers 0.42.1).
// Stochastic: every step with t > 0 adds noise drawn from the scheduler's generator, where and
// as diffusers' `step(..., generator=g)` draws it (`randn_tensor(model_output.shape)`).
// Precision follows diffusers: ᾱ and the per-step scalars are float32 torch values.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// `variance_type` of `DDPMScheduler`, the implemented ones (the learned variants need a model
/// that outputs twice the channels and are refused).
public enum DDPMVarianceType: String, Sendable, CaseIterable {
    /// `β̃_t = (1 − ᾱ_prev)/(1 − ᾱ_t)·β_t`, noise scaled by `√β̃_t` (the DDPM paper's choice).
    case fixedSmall = "fixed_small"
    /// The same variance through `exp(½·log β̃_t)`.
    case fixedSmallLog = "fixed_small_log"
    /// `β_t`, noise scaled by `√β_t`.
    case fixedLarge = "fixed_large"
}

/// Settings of `DDPMScheduler` (keys and defaults of its `__init__`). `thresholding`,
/// `trained_betas` and the `learned`, `learned_range` and `fixed_large_log` variance types are
/// refused (`unsupportedSetting`).
public struct DDPMSchedulerConfig: Decodable, Sendable, Equatable {
    /// The training schedule.
    public var schedule = BetaScheduleConfig()
    /// `variance_type`.
    public var varianceType = DDPMVarianceType.fixedSmall
    /// `clip_sample`, `clip_sample_range`.
    public var clipSample = true
    public var clipSampleRange = 1.0
    /// `prediction_type`: epsilon, v_prediction or sample.
    public var predictionType = NoisePrediction.epsilon
    /// `timestep_spacing`, `steps_offset`.
    public var timestepSpacing = TimestepSpacing.leading
    public var stepsOffset = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case varianceType = "variance_type"
        case clipSample = "clip_sample"
        case clipSampleRange = "clip_sample_range"
        case predictionType = "prediction_type"
        case thresholding
        case timestepSpacing = "timestep_spacing"
        case stepsOffset = "steps_offset"
    }

    public init(from decoder: any Decoder) throws {
        schedule = try BetaScheduleConfig(from: decoder, defaults: BetaScheduleConfig())
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try c.decodeIfPresent(String.self, forKey: .varianceType),
           ["learned", "learned_range", "fixed_large_log"].contains(text) {
            throw SchedulerConfigError.unsupportedSetting(
                file: "", key: "variance_type", value: "\"\(text)\"",
                supported: DDPMVarianceType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        varianceType = try c.choice(.varianceType, default: .fixedSmall)
        clipSample = try c.value(.clipSample, default: true)
        clipSampleRange = try c.value(.clipSampleRange, default: 1.0)
        predictionType = try c.alphaPredictionType(.predictionType)
        timestepSpacing = try c.choice(.timestepSpacing, default: .leading)
        stepsOffset = try c.value(.stepsOffset, default: 0)
        try c.requireFalse(.thresholding)
    }
}

/// Denoising diffusion probabilistic models (Ho et al. 2020); matches diffusers'
/// `DDPMScheduler` with the pipeline's generator passed to `step`.
///
/// From `t` the update goes to the next timestep of the schedule (`prev_t`), through the
/// posterior mean `c₀·x₀ + c_t·x`, plus `σ·noise` while `t > 0`.
public struct DDPMScheduler: Scheduler {
    /// The settings it was built from.
    public let config: DDPMSchedulerConfig
    public let stepCount: Int
    /// The timesteps as diffusers' int64 tensor.
    public let integerTimesteps: [Int]
    public let timesteps: [Float]
    /// ᾱ for every training timestep (float32).
    public let alphasCumprod: [Float]
    public private(set) var nextStepIndex = 0
    /// The generator the noise is drawn from (advanced by every stochastic step).
    public private(set) var generator: TorchGenerator

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount)`); `generator`
    /// is the one diffusers' pipeline passes to `step` (usually the one the initial latents were
    /// drawn from, in the state after that draw).
    public init(config: DDPMSchedulerConfig, stepCount: Int, generator: TorchGenerator) throws {
        let trainCount = config.schedule.trainTimestepCount
        guard stepCount >= 1, stepCount <= trainCount else {
            throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount)
        }
        self.config = config
        self.generator = generator
        alphasCumprod = config.schedule.alphasCumprod()
        integerTimesteps = spacedTimesteps(config.timestepSpacing, trainCount: trainCount, stepCount: stepCount,
                                           stepsOffset: config.stepsOffset)
        timesteps = integerTimesteps.map { Float($0) }
        self.stepCount = integerTimesteps.count
    }

    public var predictionType: PredictionType { config.predictionType.predictionType }

    private func alphas(_ stepIndex: Int) -> (alpha: Float, alphaPrev: Float) {
        let t = integerTimesteps[stepIndex]
        let alphaPrev: Float = stepIndex + 1 < integerTimesteps.count ? alphasCumprod[integerTimesteps[stepIndex + 1]] : 1
        return (alphasCumprod[t], alphaPrev)
    }

    public func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        let alpha = alphas(stepIndex).alpha
        let x0 = alphaPredictedOriginalSample(config.predictionType, modelOutput: modelOutput, sample: sample,
                                              sqrtAlpha: alpha.squareRoot(), sqrtBeta: (1 - alpha).squareRoot())
        return config.clipSample ? clampValues(x0, range: Float(config.clipSampleRange)) : x0
    }

    public mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        precondition(stepIndex == nextStepIndex && stepIndex < stepCount,
                     "DDPMScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        let (alpha, alphaPrev) = alphas(stepIndex)
        let beta = 1 - alpha, betaPrev = 1 - alphaPrev
        let currentAlpha = alpha / alphaPrev
        let currentBeta = 1 - currentAlpha
        let x0 = predictedOriginalSample(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        let x0Coefficient = (alphaPrev.squareRoot() * currentBeta) / beta
        let sampleCoefficient = currentAlpha.squareRoot() * betaPrev / beta
        var previous = zipMap(x0, sample) { x0, x in x0Coefficient * x0 + sampleCoefficient * x }
        if integerTimesteps[stepIndex] > 0 {
            let noise = generator.randn(modelOutput.shape)
            // _get_variance, float32: β̃ = (1 − ᾱ_prev)/(1 − ᾱ_t)·β_t, clamped to ≥ 1e-20.
            let variance = max(betaPrev / beta * currentBeta, Float(1e-20))
            let scale: Float
            switch config.varianceType {
            case .fixedSmall: scale = variance.squareRoot()
            case .fixedSmallLog: scale = expf(0.5 * logf(variance))
            case .fixedLarge: scale = currentBeta.squareRoot()
            }
            previous = zipMap(previous, noise) { p, n in p + scale * n }
        }
        nextStepIndex += 1
        return previous
    }
}
