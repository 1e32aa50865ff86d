// Port of diffusers/schedulers/scheduling_euler_ancestral_discrete.py, class
// EulerAncestralDiscreteScheduler (diffusers 0.42.1). Stochastic: every step draws
// `randn_tensor(model_output.shape)` from the scheduler's generator, as diffusers' `step(...,
// generator=g)` does (the last step too, where the noise is scaled by σ_up = 0).
// Precision follows diffusers: float32 ᾱ and sigmas, `set_timesteps` in numpy float64 stored as
// float32, the step in float32 torch arithmetic.
import TensorCore

/// Settings of `EulerAncestralDiscreteScheduler` (keys and defaults of its `__init__`).
/// `trained_betas` is refused; `prediction_type` "sample" is refused as diffusers refuses it.
public struct EulerAncestralDiscreteSchedulerConfig: Decodable, Sendable, Equatable {
    /// The training schedule.
    public var schedule = BetaScheduleConfig()
    /// `prediction_type`: epsilon or v_prediction.
    public var predictionType = NoisePrediction.epsilon
    /// `timestep_spacing`, `steps_offset`.
    public var timestepSpacing = TimestepSpacing.linspace
    public var stepsOffset = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case predictionType = "prediction_type"
        case timestepSpacing = "timestep_spacing"
        case stepsOffset = "steps_offset"
    }

    public init(from decoder: any Decoder) throws {
        schedule = try BetaScheduleConfig(from: decoder, defaults: BetaScheduleConfig())
        let c = try decoder.container(keyedBy: CodingKeys.self)
        predictionType = try c.alphaPredictionType(.predictionType)
        if predictionType == .sample {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: "prediction_type", value: "\"sample\"",
                                                         supported: "\"epsilon\", \"v_prediction\"")
        }
        timestepSpacing = try c.choice(.timestepSpacing, default: .linspace)
        stepsOffset = try c.value(.stepsOffset, default: 0)
    }
}

/// Ancestral Euler sampling (k-diffusion's `sample_euler_ancestral`); matches diffusers'
/// `EulerAncestralDiscreteScheduler` with the pipeline's generator passed to `step`.
///
/// Each step goes down to `σ_down` deterministically and adds `σ_up·noise`, with
/// `σ_up = √(σ_to²(σ_from² − σ_to²)/σ_from²)`, `σ_down = √(σ_to² − σ_up²)`.
public struct EulerAncestralDiscreteScheduler: SigmaScheduler {
    /// The settings it was built from.
    public let config: EulerAncestralDiscreteSchedulerConfig
    public let stepCount: Int
    public let timesteps: [Float]
    public let sigmas: [Float]
    public let initNoiseSigma: Float
    public private(set) var nextStepIndex = 0
    /// The generator the ancestral noise is drawn from (advanced by every step).
    public private(set) var generator: TorchGenerator

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount)`); `generator` is
    /// the one the pipeline passes to `step`.
    public init(config: EulerAncestralDiscreteSchedulerConfig, stepCount: Int, generator: TorchGenerator) throws {
        guard stepCount >= 1 else { throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount) }
        self.config = config
        self.generator = generator
        let trainCount = config.schedule.trainTimestepCount
        var alphasCumprod = config.schedule.alphasCumprod()
        if config.schedule.rescaleBetasZeroSNR { alphasCumprod[trainCount - 1] = 0x1p-24 }
        let train = trainSigmas(alphasCumprod)
        let steps = spacedFloatTimesteps(config.timestepSpacing, trainCount: trainCount, stepCount: stepCount,
                                         stepsOffset: config.stepsOffset)
        let sigmas = steps.map { Float(numpyInterp(Double($0), train)) } + [0]
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
                     "EulerAncestralDiscreteScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        let sigma = sigmas[stepIndex]
        let x0 = predictedOriginalSample(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        let from = sigma, to = sigmas[stepIndex + 1]
        let fromSquare = from * from, toSquare = to * to
        let up = (toSquare * (fromSquare - toSquare) / fromSquare).squareRoot()
        let down = (toSquare - up * up).squareRoot()
        let dt = down - sigma
        let noise = generator.randn(modelOutput.shape)
        nextStepIndex += 1
        return zipMap(sample, x0, noise) { x, x0, n in
            let derivative = (x - x0) / sigma
            let previous = x + derivative * dt
            return previous + n * up
        }
    }
}
