// diffusers 0.42.1 pipelines/deprecated/text_to_video_synthesis/pipeline_text_to_video_synth.py
// `TextToVideoSDPipeline` (ModelScope text-to-video-ms-1.7b, zeroscope): CLIP text (padded to the
// tokenizer's 77 tokens, every position kept) → UNet3DConditionModel denoising of [B, 4, F, h, w]
// latents under classifier-free guidance (batch [uncond, cond]) with the folder's scheduler (DDIM)
// or any sampler that fits its prediction type → AutoencoderKL decode frame by frame.
//
// The pipeline holds the loaded components (immutable, shared between jobs); a run's latents,
// scheduler and generator live in its `TextToVideoSDRun`.
import Foundation
import Models
import Schedulers
import TensorCore
import Tokenizers
import WeightsIO

/// A loaded TextToVideoSDPipeline folder.
public final class TextToVideoSDPipeline: VideoPipeline {
    /// The diffusers `_class_name` this type runs.
    public static let className = "TextToVideoSDPipeline"

    public let folder: URL
    public let text: CLIPPromptEncoder
    public let unet: UNet3DConditionModel
    public let vae: AutoencoderKL
    /// The folder's `scheduler/scheduler_config.json`.
    public let schedulerConfig: SchedulerConfig
    public let capabilities: PipelineCapabilities
    let preview: LatentRGBProjection

    public init(folder: URL, text: CLIPPromptEncoder, unet: UNet3DConditionModel, vae: AutoencoderKL,
                schedulerConfig: SchedulerConfig, memory: MemoryModel? = nil) {
        self.folder = folder
        self.text = text
        self.unet = unet
        self.vae = vae
        self.schedulerConfig = schedulerConfig
        var capabilities = Self.capabilities(vaeScale: vae.config.spatialScale, sampleSize: unet.config.sampleSize,
                                             textLayers: text.textEncoder.config.layerCount,
                                             maxTextLength: text.maxTextLength, scheduler: schedulerConfig)
        capabilities.memory = memory
        self.capabilities = capabilities
        preview = LatentRGBProjection.load(folder: folder, channels: vae.config.latentChannels)
            ?? .fallback(channels: vae.config.latentChannels)
    }

    /// Any frame count (the VAE is applied frame by frame), sides multiples of the VAE's scale,
    /// the samplers that fit the scheduler's prediction type, and `clip_skip`. Defaults are
    /// those of `__call__`: 16 frames, `sample_size · scale` square, 50 steps, guidance 9.
    static func capabilities(vaeScale: Int, sampleSize: Int?, textLayers: Int, maxTextLength: Int,
                             scheduler: SchedulerConfig) -> PipelineCapabilities {
        let side = (sampleSize ?? 32) * vaeScale
        let prediction = scheduler.predictionType
        var caps = PipelineCapabilities(
            pipelineClass: className, frameRule: .any, sizeMultiple: vaeScale, maxFrames: 1_024,
            latentLayout: .channelsFirst,
            defaults: SettingDefaults(frames: 16, width: side, height: side, steps: 50, guidanceScale: 9),
            predictionType: prediction.rawValue, samplers: SamplerCatalog.names(for: prediction),
            defaultSampler: SamplerCatalog.name(of: scheduler),
            options: [CLIPPromptEncoder.clipSkipOption(layers: textLayers)])
        caps.maxTextLength = maxTextLength
        return caps
    }

    public func latentShape(for settings: VideoSettings) -> [Int] {
        let s = vae.config.spatialScale
        return [1, unet.config.inChannels, settings.frames, settings.height / s, settings.width / s]
    }

    public func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator,
                      cancellation: CancellationFlag) throws -> TextToVideoSDRun {
        try start(settings, noise: noise, generator: Optional(generator), cancellation: cancellation)
    }

    /// Encodes the prompts and starts a run from `noise` (`[1, 4, F, h, w]`, the pipeline's `latents=`).
    public func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator? = nil,
                      cancellation: CancellationFlag = .never) throws -> TextToVideoSDRun {
        let settings = try resolved(settings)
        let expected = latentShape(for: settings)
        guard noise.shape == expected else {
            throw PipelineError.noiseShape(file: "initial noise", shape: noise.shape, expected: expected)
        }
        let clipSkip = settings.options["clip_skip"]?.intValue ?? 0
        let prompt = try text.encode(settings.prompt, clipSkip: clipSkip, cancellation: cancellation)
        // [uncond, cond]: the pipeline's one batch of two for guidance.
        let embeddings = settings.usesGuidance
            ? Tensor.concatenate([try text.encode(settings.negativePrompt, clipSkip: clipSkip,
                                                  cancellation: cancellation), prompt], axis: 0)
            : prompt
        let scheduler = try SamplerCatalog.scheduler(settings.sampler, config: schedulerConfig,
                                                     fitting: capabilities.samplers, steps: settings.steps,
                                                     generator: generator)
        return TextToVideoSDRun(pipeline: self, settings: settings, text: embeddings, scheduler: scheduler,
                                latents: noise * scheduler.initNoiseSigma)
    }

    /// `decode_latents` then `postprocess_video(output_type="np")`: `latents / scaling_factor`
    /// decoded frame by frame → `[F, H, W, 3]` in [0, 1].
    public func decode(_ latents: Tensor, cancellation: CancellationFlag?,
                       progress: ((_ chunk: Int, _ count: Int) -> Void)?) throws -> Tensor {
        try vae.decodeFrames(latents, cancellation: cancellation, progress: progress)
    }

    public func previewFrames(_ latents: Tensor) -> LatentPreviewFrames { preview.previewFrames(latents) }

    public func releaseTransientMemory() {}
}

/// One TextToVideoSDPipeline run in progress.
public struct TextToVideoSDRun: DenoiseRun {
    public let pipeline: TextToVideoSDPipeline
    public let settings: VideoSettings
    /// `[2, 77, D]` ([uncond, cond]) with guidance, else `[1, 77, D]`.
    public let text: Tensor
    public private(set) var scheduler: any Scheduler
    public private(set) var latents: Tensor

    public var stepCount: Int { scheduler.stepCount }
    public var nextStep: Int { scheduler.nextStepIndex }

    /// One step of `__call__`'s loop: the UNet on `[latents] * 2` (scaled), guidance, then the
    /// scheduler on the latents folded to `[B·F, C, h, w]` — the layout diffusers steps in, which
    /// decides the order a stochastic sampler draws its noise in.
    public mutating func step(cancellation: CancellationFlag? = nil) throws -> DenoiseStepResult {
        let index = scheduler.nextStepIndex
        let (unet, text) = (pipeline.unet, text)
        // prediction: [1, C, F, h, w]
        let prediction = try guidedPrediction(latents: latents, batch: text.shape[0], scheduler: scheduler, index: index,
                                              guidance: settings.guidanceScale) { input, timesteps in
            try unet(input, timestep: timesteps, encoderHiddenStates: text, cancellation: cancellation)
        }
        // [1, C, F, h, w] -> [F, C, h, w] for the scheduler, and back.
        let folded = latents.permuted([0, 2, 1, 3, 4]).reshaped([latents.shape[2], latents.shape[1],
                                                                  latents.shape[3], latents.shape[4]])
        let foldedPrediction = prediction.permuted([0, 2, 1, 3, 4]).reshaped(folded.shape)
        let clean = scheduler.predictedOriginalSample(modelOutput: foldedPrediction, stepIndex: index, sample: folded)
        let next = scheduler.step(modelOutput: foldedPrediction, stepIndex: index, sample: folded)
        latents = Self.unfold(next, like: latents)
        return DenoiseStepResult(index: index, count: stepCount, latents: latents,
                                 predictedClean: Self.unfold(clean, like: latents))
    }

    /// `[F, C, h, w]` → `[1, C, F, h, w]`.
    static func unfold(_ x: Tensor, like latents: Tensor) -> Tensor {
        x.reshaped([1, latents.shape[2], latents.shape[1], latents.shape[3], latents.shape[4]]).permuted([0, 2, 1, 3, 4])
    }
}
