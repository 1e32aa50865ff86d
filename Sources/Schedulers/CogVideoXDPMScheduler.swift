// Port of diffusers/schedulers/scheduling_dpm_cogvideox.py, class CogVideoXDPMScheduler
// (diffusers 0.42.1). Stochastic: `step` draws `randn_tensor(sample.shape)` from the scheduler's
// generator once, and once more (discarding the first draw's result) whenever a previous x₀ exists
// and the step is not the last, exactly as diffusers does with the pipeline's generator.
// Precision follows diffusers: float64 ᾱ and scalars (λ, h, the multipliers, with IEEE
// infinities at ᾱ = 0 and ᾱ_prev = 1), each rounded to float32 where it multiplies a tensor.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// CogVideoX's stochastic second-order DPM-Solver; matches diffusers' `CogVideoXDPMScheduler`
/// driven as `CogVideoXPipeline` drives it (`timestep_back` = the previous step's timestep, and
/// the previous step's x₀ carried over — both kept inside this value).
///
/// With `λ(ᾱ) = log √(ᾱ/(1 − ᾱ))`, `h = λ_prev − λ_t`, `r = (λ_t − λ_back)/h`:
/// `x' = m₁·x − m₂·D + m_n·noise`, `m₁ = √((1−ᾱ_prev)/(1−ᾱ))·e^{−h}`, `m₂ = expm1(−2h)·√ᾱ_prev`,
/// `m_n = √(1−ᾱ_prev)·√(1 − e^{−2h})`, and `D = x₀` on the first step, else
/// `(1 + 1/2r)·x₀ − (1/2r)·x₀_old`.
public struct CogVideoXDPMScheduler: Scheduler {
    /// The settings it was built from.
    public let config: CogVideoXSchedulerConfig
    public let stepCount: Int
    /// The timesteps as diffusers' int64 tensor.
    public let integerTimesteps: [Int]
    public let timesteps: [Float]
    /// ᾱ for every training timestep (float64).
    public let alphasCumprod: [Double]
    public private(set) var nextStepIndex = 0
    /// The generator the noise is drawn from (advanced by every step).
    public private(set) var generator: TorchGenerator
    private let finalAlphaCumprod: Double
    private let stride: Int
    /// The previous step's x₀ (`old_pred_original_sample`).
    private var previousX0: Tensor?

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount)`); `generator` is
    /// the one the pipeline passes to `step`.
    public init(config: CogVideoXSchedulerConfig, stepCount: Int, generator: TorchGenerator) throws {
        guard stepCount >= 1, stepCount <= config.trainTimestepCount else {
            throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount)
        }
        self.config = config
        self.generator = generator
        alphasCumprod = config.alphasCumprod()
        finalAlphaCumprod = config.setAlphaToOne ? 1 : alphasCumprod[0]
        integerTimesteps = spacedTimesteps(config.timestepSpacing, trainCount: config.trainTimestepCount,
                                           stepCount: stepCount, stepsOffset: config.stepsOffset)
        timesteps = integerTimesteps.map { Float($0) }
        self.stepCount = integerTimesteps.count
        stride = config.trainTimestepCount / stepCount
    }

    public var predictionType: PredictionType { config.predictionType.predictionType }

    public func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        let alpha = alphasCumprod[integerTimesteps[stepIndex]]
        return alphaPredictedOriginalSample(config.predictionType, modelOutput: modelOutput, sample: sample,
                                            sqrtAlpha: Float(alpha.squareRoot()),
                                            sqrtBeta: Float((1 - alpha).squareRoot()))
    }

    private static func lambda(_ alpha: Double) -> Double { log((alpha / (1 - alpha)).squareRoot()) }

    public mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        precondition(stepIndex == nextStepIndex && stepIndex < stepCount,
                     "CogVideoXDPMScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        let t = integerTimesteps[stepIndex]
        let prev = t - stride
        let alpha = alphasCumprod[t]
        let alphaPrev = prev >= 0 ? alphasCumprod[prev] : finalAlphaCumprod
        let x0 = predictedOriginalSample(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)

        // get_variables / get_mult, float64.
        let lambdaT = Self.lambda(alpha), lambdaNext = Self.lambda(alphaPrev)
        let h = lambdaNext - lambdaT
        let m1 = Float(((1 - alphaPrev) / (1 - alpha)).squareRoot() * exp(-h))
        let m2 = Float(expm1(-2 * h) * alphaPrev.squareRoot())
        let noiseScale = Float((1 - alphaPrev).squareRoot() * (1 - exp(-2 * h)).squareRoot())

        var noise = generator.randn(sample.shape)
        var next = zipMap(sample, x0, noise) { x, x0, n in m1 * x - m2 * x0 + noiseScale * n }
        if stepIndex > 0, prev >= 0, let old = previousX0 {
            let alphaBack = alphasCumprod[integerTimesteps[stepIndex - 1]]
            let r = (lambdaT - Self.lambda(alphaBack)) / h
            let m3 = Float(1 + 1 / (2 * r)), m4 = Float(1 / (2 * r))
            let denoised = zipMap(x0, old) { x0, old in m3 * x0 - m4 * old }
            noise = generator.randn(sample.shape)
            next = zipMap(sample, denoised, noise) { x, d, n in m1 * x - m2 * d + noiseScale * n }
        }
        previousX0 = x0
        nextStepIndex += 1
        return next
    }
}
