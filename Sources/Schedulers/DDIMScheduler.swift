// Port of diffusers/schedulers/scheduling_ddim.py, class DDIMScheduler (diffusers 0.42.1),
// deterministic sampling (eta = 0, which every diffusers pipeline passes unless told otherwise).
// Precision follows diffusers: ᾱ and every per-step scalar are float32 torch values; the
// timesteps are numpy integers.
import TensorCore

/// Settings of `DDIMScheduler` (keys and defaults of its `__init__`). `thresholding` and
/// `trained_betas` are refused (`unsupportedSetting`); `clip_sample` is implemented.
public struct DDIMSchedulerConfig: Decodable, Sendable, Equatable {
    /// The training schedule (`num_train_timesteps`, `beta_*`, `rescale_betas_zero_snr`).
    public var schedule = BetaScheduleConfig()
    /// `clip_sample`, `clip_sample_range`: clamp x₀ to ±range.
    public var clipSample = true
    public var clipSampleRange = 1.0
    /// `set_alpha_to_one`: ᾱ after the last step is 1 (else ᾱ₀).
    public var setAlphaToOne = true
    /// `steps_offset`: added to `leading` timesteps.
    public var stepsOffset = 0
    /// `prediction_type`: epsilon, v_prediction or sample.
    public var predictionType = NoisePrediction.epsilon
    /// `timestep_spacing`.
    public var timestepSpacing = TimestepSpacing.leading

    public init() {}

    enum CodingKeys: String, CodingKey {
        case clipSample = "clip_sample"
        case clipSampleRange = "clip_sample_range"
        case setAlphaToOne = "set_alpha_to_one"
        case stepsOffset = "steps_offset"
        case predictionType = "prediction_type"
        case thresholding
        case timestepSpacing = "timestep_spacing"
    }

    public init(from decoder: any Decoder) throws {
        schedule = try BetaScheduleConfig(from: decoder, defaults: BetaScheduleConfig())
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clipSample = try c.value(.clipSample, default: true)
        clipSampleRange = try c.value(.clipSampleRange, default: 1.0)
        setAlphaToOne = try c.value(.setAlphaToOne, default: true)
        stepsOffset = try c.value(.stepsOffset, default: 0)
        predictionType = try c.alphaPredictionType(.predictionType)
        timestepSpacing = try c.choice(.timestepSpacing, default: .leading)
        try c.requireFalse(.thresholding)
    }
}

/// Denoising diffusion implicit models (Song et al. 2020), deterministic (η = 0); matches
/// diffusers' `DDIMScheduler`.
///
/// The model gets the integer `timesteps[i]`; `scale_model_input` is the identity. From step
/// `t` the update goes to `t − T/N` (a fixed stride, whatever the spacing):
/// `x' = √ᾱ_prev·x₀ + √(1 − ᾱ_prev)·ε`.
public struct DDIMScheduler: Scheduler {
    /// The settings it was built from.
    public let config: DDIMSchedulerConfig
    public let stepCount: Int
    /// The timesteps as diffusers' int64 tensor.
    public let integerTimesteps: [Int]
    public let timesteps: [Float]
    /// ᾱ for every training timestep (float32, as diffusers keeps it).
    public let alphasCumprod: [Float]
    public private(set) var nextStepIndex = 0
    private let finalAlphaCumprod: Float
    private let stride: Int

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount)`).
    /// Throws ``SchedulerConfigError/invalidStepCount(file:stepCount:)`` unless
    /// `1 ≤ stepCount ≤ num_train_timesteps`.
    public init(config: DDIMSchedulerConfig, stepCount: Int) throws {
        let trainCount = config.schedule.trainTimestepCount
        guard stepCount >= 1, stepCount <= trainCount else {
            throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount)
        }
        self.config = config
        alphasCumprod = config.schedule.alphasCumprod()
        finalAlphaCumprod = config.setAlphaToOne ? 1 : alphasCumprod[0]
        integerTimesteps = spacedTimesteps(config.timestepSpacing, trainCount: trainCount, stepCount: stepCount,
                                           stepsOffset: config.stepsOffset)
        timesteps = integerTimesteps.map { Float($0) }
        self.stepCount = integerTimesteps.count
        stride = trainCount / stepCount
    }

    public var predictionType: PredictionType { config.predictionType.predictionType }

    private func alphas(_ stepIndex: Int) -> (alpha: Float, alphaPrev: Float) {
        let t = integerTimesteps[stepIndex]
        let prev = t - stride
        return (alphasCumprod[t], prev >= 0 ? alphasCumprod[prev] : finalAlphaCumprod)
    }

    public func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        let alpha = alphas(stepIndex).alpha
        let x0 = alphaPredictedOriginalSample(config.predictionType, modelOutput: modelOutput, sample: sample,
                                              sqrtAlpha: alpha.squareRoot(), sqrtBeta: (1 - alpha).squareRoot())
        return config.clipSample ? clampValues(x0, range: Float(config.clipSampleRange)) : x0
    }

    public mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        precondition(stepIndex == nextStepIndex && stepIndex < stepCount,
                     "DDIMScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        let (alpha, alphaPrev) = alphas(stepIndex)
        let sqrtAlpha = alpha.squareRoot(), sqrtBeta = (1 - alpha).squareRoot()
        let x0 = predictedOriginalSample(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        // pred_epsilon from the unclipped prediction, as diffusers does.
        let epsilon: Tensor
        switch config.predictionType {
        case .epsilon: epsilon = modelOutput
        case .vPrediction: epsilon = zipMap(modelOutput, sample) { v, x in sqrtAlpha * v + sqrtBeta * x }
        case .sample:
            let unclipped = modelOutput
            epsilon = zipMap(sample, unclipped) { x, x0 in (x - sqrtAlpha * x0) / sqrtBeta }
        }
        // σ_t = η·√variance = 0; (1 − ᾱ_prev − σ_t²)^½ · ε + √ᾱ_prev · x₀
        let direction = (1 - alphaPrev - 0).squareRoot()
        let sqrtAlphaPrev = alphaPrev.squareRoot()
        nextStepIndex += 1
        return zipMap(x0, epsilon) { x0, e in sqrtAlphaPrev * x0 + direction * e }
    }
}

extension KeyedDecodingContainer {
    /// `prediction_type` of an ᾱ-parameterised scheduler: epsilon, v_prediction or sample.
    func alphaPredictionType(_ key: Key, default defaultValue: NoisePrediction = .epsilon) throws -> NoisePrediction {
        let type = try choice(key, default: defaultValue.predictionType)
        guard let noise = NoisePrediction(rawValue: type.rawValue) else {
            throw SchedulerConfigError.unsupportedSetting(
                file: "", key: key.stringValue, value: "\"\(type.rawValue)\"",
                supported: "\"epsilon\", \"v_prediction\", \"sample\"")
        }
        return noise
    }
}
