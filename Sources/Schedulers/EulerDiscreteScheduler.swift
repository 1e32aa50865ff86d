// Port of diffusers/schedulers/scheduling_euler_discrete.py, class EulerDiscreteScheduler
// (diffusers 0.42.1), deterministic (s_churn = 0, as every pipeline calls it).
// Precision follows diffusers: float32 ᾱ and training sigmas, `set_timesteps` in numpy float64
// (interp, Karras) stored as float32; the step in float32 torch arithmetic.
import TensorCore

/// Settings of `EulerDiscreteScheduler` (keys and defaults of its `__init__`). Refused
/// (`unsupportedSetting`): `interpolation_type` "log_linear", exponential / beta sigmas,
/// `timestep_type` "continuous", `trained_betas`.
public struct EulerDiscreteSchedulerConfig: Decodable, Sendable, Equatable {
    /// The training schedule.
    public var schedule = BetaScheduleConfig()
    /// `prediction_type`: epsilon, v_prediction or sample.
    public var predictionType = NoisePrediction.epsilon
    /// `use_karras_sigmas`, with `sigma_min` / `sigma_max` overriding the Karras range.
    public var useKarrasSigmas = false
    public var sigmaMin: Double? = nil
    public var sigmaMax: Double? = nil
    /// `timestep_spacing`, `steps_offset`.
    public var timestepSpacing = TimestepSpacing.linspace
    public var stepsOffset = 0
    /// `final_sigmas_type`.
    public var finalSigmasType = FinalSigmasType.zero

    public init() {}

    enum CodingKeys: String, CodingKey {
        case predictionType = "prediction_type"
        case interpolationType = "interpolation_type"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case sigmaMin = "sigma_min"
        case sigmaMax = "sigma_max"
        case timestepSpacing = "timestep_spacing"
        case timestepType = "timestep_type"
        case stepsOffset = "steps_offset"
        case finalSigmasType = "final_sigmas_type"
    }

    public init(from decoder: any Decoder) throws {
        schedule = try BetaScheduleConfig(from: decoder, defaults: BetaScheduleConfig())
        let c = try decoder.container(keyedBy: CodingKeys.self)
        predictionType = try c.alphaPredictionType(.predictionType)
        useKarrasSigmas = try c.decodeIfPresent(Bool.self, forKey: .useKarrasSigmas) ?? false
        sigmaMin = try c.decodeIfPresent(Double.self, forKey: .sigmaMin)
        sigmaMax = try c.decodeIfPresent(Double.self, forKey: .sigmaMax)
        timestepSpacing = try c.choice(.timestepSpacing, default: .linspace)
        stepsOffset = try c.value(.stepsOffset, default: 0)
        finalSigmasType = try c.choice(.finalSigmasType, default: .zero)
        if let interpolation = try c.decodeIfPresent(String.self, forKey: .interpolationType), interpolation != "linear" {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: "interpolation_type",
                                                         value: "\"\(interpolation)\"", supported: "\"linear\"")
        }
        if let type = try c.decodeIfPresent(String.self, forKey: .timestepType), type != "discrete" {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: "timestep_type", value: "\"\(type)\"",
                                                         supported: "\"discrete\"")
        }
        try c.requireFalse(.useExponentialSigmas)
        try c.requireFalse(.useBetaSigmas)
    }
}

/// Euler's method on the probability-flow ODE in σ (Karras et al. 2022, Algorithm 2 without
/// churn); matches diffusers' `EulerDiscreteScheduler`.
///
/// The model gets `x / √(σᵢ² + 1)` (``scaleModelInput(_:stepIndex:)``) at the float timestep
/// `timesteps[i]`; the sample starts at `initNoiseSigma · noise`, and
/// `x ← x + (x − x₀)/σᵢ · (σᵢ₊₁ − σᵢ)`.
public struct EulerDiscreteScheduler: SigmaScheduler {
    /// The settings it was built from.
    public let config: EulerDiscreteSchedulerConfig
    public let stepCount: Int
    public let timesteps: [Float]
    public let sigmas: [Float]
    public let initNoiseSigma: Float
    public private(set) var nextStepIndex = 0

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount)`).
    public init(config: EulerDiscreteSchedulerConfig, stepCount: Int) throws {
        guard stepCount >= 1 else { throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount) }
        self.config = config
        let trainCount = config.schedule.trainTimestepCount
        var alphasCumprod = config.schedule.alphasCumprod()
        if config.schedule.rescaleBetasZeroSNR { alphasCumprod[trainCount - 1] = 0x1p-24 }
        let train = trainSigmas(alphasCumprod)

        var steps = spacedFloatTimesteps(config.timestepSpacing, trainCount: trainCount, stepCount: stepCount,
                                         stepsOffset: config.stepsOffset)
        var sigmas64 = steps.map { numpyInterp(Double($0), train) }
        if config.useKarrasSigmas {
            let logs = logSigmas(train)
            sigmas64 = karrasSigmas(sigmaMin: config.sigmaMin ?? sigmas64[sigmas64.count - 1],
                                    sigmaMax: config.sigmaMax ?? sigmas64[0], count: stepCount)
            steps = sigmas64.map { Float(sigmaToTimestep($0, logSigmas: logs)) }
        }
        let last: Double
        switch config.finalSigmasType {
        case .zero: last = 0
        case .sigmaMin: last = Double(((1 - alphasCumprod[0]) / alphasCumprod[0]).squareRoot())
        }
        let sigmas = (sigmas64 + [last]).map { Float($0) }
        self.sigmas = sigmas
        timesteps = steps
        self.stepCount = steps.count
        initNoiseSigma = karrasInitNoiseSigma(sigmas, spacing: config.timestepSpacing)
    }

    public var predictionType: PredictionType { config.predictionType.predictionType }

    public func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor {
        karrasScaledModelInput(sample, sigma: sigmas[stepIndex])
    }

    public func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        karrasPredictedOriginalSample(config.predictionType, modelOutput: modelOutput, sample: sample,
                                      sigma: sigmas[stepIndex])
    }

    public mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        precondition(stepIndex == nextStepIndex && stepIndex < stepCount,
                     "EulerDiscreteScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        let sigma = sigmas[stepIndex]  // σ̂ = σ·(γ + 1) with γ = 0
        let x0 = predictedOriginalSample(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        let dt = sigmas[stepIndex + 1] - sigma
        nextStepIndex += 1
        return zipMap(sample, x0) { x, x0 in
            let derivative = (x - x0) / sigma
            return x + derivative * dt
        }
    }
}

/// The Karras-style samplers' model input, `sample / √(σ² + 1)` (float32).
func karrasScaledModelInput(_ sample: Tensor, sigma: Float) -> Tensor {
    let scale = (sigma * sigma + 1).squareRoot()
    return mapValues(sample) { $0 / scale }
}

/// x₀ of the Karras-style samplers: epsilon `x − σ·ε`; v-prediction
/// `v·(−σ/√(σ² + 1)) + x/(σ² + 1)`; sample: the output.
func karrasPredictedOriginalSample(_ type: NoisePrediction, modelOutput: Tensor, sample: Tensor,
                                   sigma: Float) -> Tensor {
    switch type {
    case .epsilon:
        return zipMap(sample, modelOutput) { x, e in x - sigma * e }
    case .vPrediction:
        let square = sigma * sigma + 1
        let c = -sigma / square.squareRoot()
        return zipMap(modelOutput, sample) { v, x in v * c + x / square }
    case .sample:
        return modelOutput
    }
}

/// `init_noise_sigma` of the Euler schedulers: the largest sigma, or `√(σ_max² + 1)` for
/// `leading` spacing (float32).
func karrasInitNoiseSigma(_ sigmas: [Float], spacing: TimestepSpacing) -> Float {
    let largest = sigmas.max() ?? 1
    switch spacing {
    case .linspace, .trailing: return largest
    case .leading: return (largest * largest + 1).squareRoot()
    }
}
