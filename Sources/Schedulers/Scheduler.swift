// The sampler interface, in the style of apple/ml-stable-diffusion's
// swift/StableDiffusion/pipeline/Scheduler.swift. Each conforming type names the diffusers class
// it matches (diffusers 0.42.1).
import TensorCore

/// A diffusion sampler: a fixed schedule of timesteps plus a stateful update rule, for a model
/// that predicts noise (epsilon), velocity (v-prediction) or flow.
///
/// A scheduler is a value owned by one job (stochastic samplers own their generator too). Make it with ``makeScheduler(config:stepCount:mu:)``
/// or a concrete initialiser, then for each `i` in `0..<stepCount`: call the model at
/// `timesteps[i]` on `scaleModelInput(sample, stepIndex: i)` and pass its output to
/// `step(modelOutput:stepIndex:sample:)`, which returns the next sample. Steps must be taken in
/// order, starting at 0 (as diffusers pipelines do after `set_begin_index(0)`).
public protocol Scheduler: Sendable {
    /// Number of denoising steps (`num_inference_steps`).
    var stepCount: Int { get }
    /// The timestep value given to the model at each step, `stepCount` entries. Integer-valued
    /// schedulers (UniPC) hold the integers exactly as floats.
    var timesteps: [Float] { get }
    /// What the model's output means (the config's `prediction_type`).
    var predictionType: PredictionType { get }
    /// The factor the initial Gaussian noise is scaled by (`init_noise_sigma`).
    var initNoiseSigma: Float { get }
    /// The index of the next step `step` expects.
    var nextStepIndex: Int { get }

    /// Scales the model input for step `stepIndex` (`scale_model_input`).
    func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor

    /// The clean sample x₀ the model's output at step `stepIndex` implies (what previews
    /// show): `x − σ·v` for flow, `(x − √(1−ᾱ)·ε)/√ᾱ` for epsilon, `√ᾱ·x − √(1−ᾱ)·v` for
    /// v-prediction — the `pred_original_sample` diffusers' schedulers compute in `step`.
    func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor

    /// One sampler update: from `sample` at step `stepIndex` and the model's output there, the
    /// sample for step `stepIndex + 1`.
    /// - Precondition: `stepIndex == nextStepIndex` and the shapes of `modelOutput` and `sample`
    ///   agree (programming errors).
    mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor
}

/// A sampler whose schedule is a list of noise levels σ (flow matching, and the Karras-style
/// samplers such as Euler and DPM-Solver): `stepCount + 1` entries, the last one the terminal
/// sigma (0 unless `invert_sigmas`).
public protocol SigmaScheduler: Scheduler {
    var sigmas: [Float] { get }
}

extension Scheduler {
    /// Identity for flow-matching schedulers.
    public func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor { sample }
    /// 1 for every scheduler implemented here.
    public var initNoiseSigma: Float { 1 }
}

/// x₀ of a flow model: `x − σ·v`, the product rounded before the difference (as torch does
/// `sample - sigma * model_output`).
func flowPredictedOriginalSample(modelOutput: Tensor, sample: Tensor, sigma: Float) -> Tensor {
    precondition(modelOutput.shape == sample.shape, "model output \(modelOutput.shape) vs sample \(sample.shape)")
    return Tensor(shape: sample.shape, unsafeUninitialized: { out in
        sample.data.withUnsafeBufferPointer { x in
            modelOutput.data.withUnsafeBufferPointer { v in
                for i in 0..<out.count {
                    let scaled = v[i] * sigma
                    out[i] = x[i] - scaled
                }
            }
        }
    })
}
