// The denoising loop of WanPipeline.__call__ (diffusers 0.42.1), one step per call:
//   for t in timesteps:
//       noise_pred = transformer(latents, t.expand(B), prompt_embeds)          # cond first
//       if guidance > 1: noise_uncond = transformer(latents, t, negative_embeds)
//                        noise_pred = noise_uncond + g · (noise_pred − noise_uncond)
//       latents = scheduler.step(noise_pred, t, latents)
// Two departures that leave the numbers as diffusers' (each sample's rows are computed alone):
// the prompts' cross-attention keys and values are made once per run, not at every step, and
// with guidance the two transformer calls are one call on a batch of two while the clip is
// small enough for the batch to pay (`batchedGuidanceTokenLimit`).
import Models
import Schedulers
import TensorCore

/// One text-to-video run in progress: the latents, the sampler state and the prompt
/// embeddings. A value owned by one job; the pipeline it came from is shared.
public struct WanDenoiseRun: DenoiseRun {
    public let pipeline: WanPipeline
    public let settings: VideoSettings
    /// `[1, L, D]` each; `negative` is nil when guidance is off.
    public let promptEmbeds: Tensor
    public let negativeEmbeds: Tensor?
    public private(set) var latents: Tensor
    public private(set) var scheduler: any Scheduler
    /// The prompt (and, with guidance, the negative prompt) as the transformer's blocks see
    /// them: made once here, reused at every step.
    let prompts: EncodedPrompts

    /// How the prompts are encoded for the transformer calls of a step.
    enum EncodedPrompts {
        /// Guidance off: the prompt alone.
        case single(WanEncodedText)
        /// Guidance as two calls: the prompt's, then the negative prompt's.
        case separate(WanEncodedText, WanEncodedText)
        /// Guidance as one call on a batch of two: the prompt, then the negative prompt.
        case batched(WanEncodedText)
    }

    /// Up to this many tokens per sample, guidance's two transformer passes run as one batch
    /// of two: small GEMMs and attention with few heads use the cores better at twice the rows
    /// (bundled tiny-shapes, 320 tokens: see BENCHMARKS.md). Above it the batch would only
    /// double the activations' memory.
    public static let batchedGuidanceTokenLimit = 4096

    /// Whether guidance's two passes run as one batch (`EncodedPrompts.batched`).
    var batchesGuidance: Bool {
        if case .batched = prompts { return true }
        return false
    }

    public var stepCount: Int { scheduler.stepCount }
    public var nextStep: Int { scheduler.nextStepIndex }

    /// Starts a run from `noise` (`[1, C, F, h, w]`, the pipeline's `latents=`), with the
    /// prompt embeddings already computed (see `WanPipeline.encodePrompt`). With guidance, the
    /// two passes run as one batch up to `guidanceBatchTokenLimit` tokens (tests lower it to
    /// run the two-call path on small clips).
    public init(pipeline: WanPipeline, settings: VideoSettings, promptEmbeds: Tensor, negativeEmbeds: Tensor?,
                noise: Tensor, generator: TorchGenerator? = nil,
                guidanceBatchTokenLimit: Int = WanDenoiseRun.batchedGuidanceTokenLimit) throws {
        self.pipeline = pipeline
        self.settings = settings
        self.promptEmbeds = promptEmbeds
        self.negativeEmbeds = settings.usesGuidance ? negativeEmbeds : nil
        scheduler = try pipeline.makeScheduler(settings.sampler, flowShift: pipeline.flowShift(settings),
                                               steps: settings.steps, generator: generator)
        latents = noise * scheduler.initNoiseSigma
        let tokens = try pipeline.transformer.tokenCount(forLatentShape: noise.shape)
        if let negative = self.negativeEmbeds {
            if tokens <= guidanceBatchTokenLimit, negative.shape == promptEmbeds.shape {
                prompts = .batched(try pipeline.transformer.encodeText(Tensor.concatenate([promptEmbeds, negative], axis: 0)))
            } else {
                prompts = .separate(try pipeline.transformer.encodeText(promptEmbeds),
                                    try pipeline.transformer.encodeText(negative))
            }
        } else {
            prompts = .single(try pipeline.transformer.encodeText(promptEmbeds))
        }
    }

    /// Takes the next step. Checks `cancellation` inside the transformer (per block).
    public mutating func step(cancellation: CancellationFlag? = nil) throws -> DenoiseStepResult {
        let index = scheduler.nextStepIndex
        let t = scheduler.timesteps[index]
        let input = scheduler.scaleModelInput(latents, stepIndex: index)
        // noise_pred: [1, C, F, h, w]
        // expand_timesteps (Wan 2.2): `(mask[0][0][:, ::2, ::2] * t).flatten()` per sample — for
        // text-to-video every token of the [B, F·H/2·W/2] grid gets t.
        let tokens = pipeline.expandTimesteps ? try pipeline.transformer.tokenCount(forLatentShape: input.shape) : 0
        func transformer(_ input: Tensor, _ text: WanEncodedText) throws -> Tensor {
            let B = input.shape[0]
            if pipeline.expandTimesteps {
                let rows = [[Float]](repeating: [Float](repeating: t, count: tokens), count: B)
                return try pipeline.transformer(input, tokenTimesteps: rows, text: text, cancellation: cancellation)
            }
            return try pipeline.transformer(input, timestep: [Float](repeating: t, count: B), text: text,
                                            cancellation: cancellation)
        }
        let prediction: Tensor
        switch prompts {
        case let .single(prompt):
            prediction = try transformer(input, prompt)
        case let .separate(prompt, negative):
            let cond = try transformer(input, prompt)
            let uncond = try transformer(input, negative)
            prediction = classifierFreeGuidance(uncond: uncond, cond: cond, scale: settings.guidanceScale)
        case let .batched(both):
            // [2, C, F, h, w]: the prompt's prediction, then the negative prompt's
            let outputs = try transformer(Tensor.concatenate([input, input], axis: 0), both).chunked(2, axis: 0)
            prediction = classifierFreeGuidance(uncond: outputs[1], cond: outputs[0], scale: settings.guidanceScale)
        }
        let predictedClean = scheduler.predictedOriginalSample(modelOutput: prediction, stepIndex: index, sample: latents)
        latents = scheduler.step(modelOutput: prediction, stepIndex: index, sample: latents)
        return DenoiseStepResult(index: index, count: stepCount, latents: latents, predictedClean: predictedClean)
    }
}

extension WanPipeline {
    /// Encodes the prompts and starts a run from `noise`, with `generator` for samplers that
    /// draw noise while stepping (the diffusers pipeline's `generator`). Checks `cancellation`
    /// inside the text encoder (per layer).
    public func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator,
                      cancellation: CancellationFlag) throws -> WanDenoiseRun {
        try start(settings, noise: noise, generator: Optional(generator), cancellation: cancellation)
    }

    /// Encodes the prompts and starts a run from `noise`. Checks `cancellation` inside the
    /// text encoder (per layer).
    public func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator? = nil,
                      cancellation: CancellationFlag = .never) throws -> WanDenoiseRun {
        let settings = try resolved(settings)
        let expected = latentShape(for: settings)
        guard noise.shape == expected else {
            throw PipelineError.noiseShape(file: "initial noise", shape: noise.shape, expected: expected)
        }
        let length = maxSequenceLength(settings)
        let prompt = try encodePrompt(settings.prompt, maxSequenceLength: length, cancellation: cancellation)
        let negative = settings.usesGuidance
            ? try encodePrompt(settings.negativePrompt, maxSequenceLength: length, cancellation: cancellation) : nil
        return try WanDenoiseRun(pipeline: self, settings: settings, promptEmbeds: prompt, negativeEmbeds: negative,
                                 noise: noise, generator: generator)
    }

    /// The seeded initial noise: `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))`,
    /// which is what `prepare_latents` draws.
    public func noise(frames: Int, height: Int, width: Int, seed: UInt64) -> Tensor {
        var generator = TorchGenerator(seed: seed)
        return generator.randn(latentShape(frames: frames, height: height, width: width))
    }

    /// Denormalises the final latents (`z / (1 / std) + mean`) and decodes them to frames
    /// `[F, H, W, 3]` in [0, 1]. Checks `cancellation` between the VAE's temporal chunks.
    public func decode(_ latents: Tensor, cancellation: CancellationFlag? = nil,
                       progress: ((_ chunk: Int, _ count: Int) -> Void)? = nil) throws -> Tensor {
        let video = try vae.decode(vae.denormalize(latents), cancellation: cancellation, progress: progress)
        return VideoProcessor.postprocess(video)
    }
}
