// The sampler interface, in the style of apple/ml-stable-diffusion's
// swift/StableDiffusion/pipeline/Scheduler.swift. Each conforming type names the diffusers class
// it matches (diffusers 0.42.1).
import TensorCore

/// A diffusion sampler: a fixed schedule of timesteps plus a stateful update rule.
///
/// A scheduler is a value owned by one job. Make it with ``makeScheduler(config:stepCount:mu:)``
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
    /// Noise levels: `stepCount + 1` entries, the last one the terminal sigma (0 unless
    /// `invert_sigmas`).
    var sigmas: [Float] { get }
    /// The factor the initial Gaussian noise is scaled by (`init_noise_sigma`).
    var initNoiseSigma: Float { get }
    /// The index of the next step `step` expects.
    var nextStepIndex: Int { get }

    /// Scales the model input for step `stepIndex` (`scale_model_input`).
    func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor

    /// One sampler update: from `sample` at step `stepIndex` and the model's output there, the
    /// sample for step `stepIndex + 1`.
    /// - Precondition: `stepIndex == nextStepIndex` and the shapes of `modelOutput` and `sample`
    ///   agree (programming errors).
    mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor
}

extension Scheduler {
    /// Identity for flow-matching schedulers.
    public func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor { sample }
    /// 1 for every scheduler implemented here.
    public var initNoiseSigma: Float { 1 }
}
