// diffusers 0.42.1 pipelines/animatediff/pipeline_animatediff.py `AnimateDiffPipeline`: a Stable
// Diffusion 1.5 folder (UNet2DConditionModel, AutoencoderKL, CLIP) with a MotionAdapter given
// from a folder of its own (`from_pretrained(sd15, motion_adapter=…)`): CLIP text padded to 77,
// the prompt repeated per frame (`repeat_interleave(num_frames)`), UNetMotionModel denoising of
// [B, 4, F, h, w] under classifier-free guidance (batch [uncond, cond]), the scheduler stepping on
// the 5-D latents, AutoencoderKL frame by frame. Without an adapter the same UNet is Stable
// Diffusion's text-to-image model: a one-frame video. FreeNoise, FreeInit, IP-Adapter and
// context windows are not ported.
import Foundation
import Models
import Schedulers
import TensorCore
import Tokenizers
import WeightsIO

/// A loaded Stable Diffusion 1.5 folder, with or without a motion adapter.
public final class AnimateDiffPipeline: VideoPipeline {
    /// The diffusers `_class_name` of the folders it runs: an SD 1.5 pipeline folder.
    public static let className = "StableDiffusionPipeline"

    public let folder: URL
    public let text: CLIPPromptEncoder
    public let unet: UNetMotionModel
    public let vae: AutoencoderKL
    public let schedulerConfig: SchedulerConfig
    public let capabilities: PipelineCapabilities
    let preview: LatentRGBProjection

    public init(folder: URL, text: CLIPPromptEncoder, unet: UNetMotionModel, vae: AutoencoderKL,
                schedulerConfig: SchedulerConfig, memory: MemoryModel? = nil) {
        self.folder = folder
        self.text = text
        self.unet = unet
        self.vae = vae
        self.schedulerConfig = schedulerConfig
        var capabilities = Self.capabilities(vaeScale: vae.config.spatialScale, sampleSize: unet.config.sampleSize,
                                             maxFrames: unet.motion?.maxSeqLength,
                                             textLayers: text.textEncoder.config.layerCount,
                                             maxTextLength: text.maxTextLength, scheduler: schedulerConfig)
        capabilities.memory = memory
        self.capabilities = capabilities
        preview = LatentRGBProjection.load(folder: folder, channels: vae.config.latentChannels)
            ?? .fallback(channels: vae.config.latentChannels)
    }

    /// Any frame count up to the adapter's `motion_max_seq_length` (32), or one frame without an
    /// adapter; sides multiples of the VAE's scale; the samplers that fit the prediction type;
    /// `clip_skip`. Defaults are `__call__`'s: 16 frames, `sample_size · scale` square, 50 steps,
    /// guidance 7.5.
    static func capabilities(vaeScale: Int, sampleSize: Int?, maxFrames: Int?, textLayers: Int, maxTextLength: Int,
                             scheduler: SchedulerConfig) -> PipelineCapabilities {
        let side = (sampleSize ?? 64) * vaeScale
        let prediction = scheduler.predictionType
        var caps = PipelineCapabilities(
            pipelineClass: className, frameRule: .any, sizeMultiple: vaeScale, maxFrames: maxFrames ?? 1,
            latentLayout: .channelsFirst,
            defaults: SettingDefaults(frames: min(16, maxFrames ?? 1), width: side, height: side, steps: 50,
                                      guidanceScale: 7.5),
            predictionType: prediction.rawValue, samplers: SamplerCatalog.names(for: prediction),
            defaultSampler: SamplerCatalog.name(of: scheduler),
            options: [CLIPPromptEncoder.clipSkipOption(layers: textLayers)])
        caps.components = [motionAdapterSlot]
        caps.maxTextLength = maxTextLength
        return caps
    }

    public func latentShape(for settings: VideoSettings) -> [Int] {
        let s = vae.config.spatialScale
        return [1, unet.config.inChannels, settings.frames, settings.height / s, settings.width / s]
    }

    public func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator,
                      cancellation: CancellationFlag) throws -> AnimateDiffRun {
        try start(settings, noise: noise, generator: Optional(generator), cancellation: cancellation)
    }

    /// Encodes the prompts (repeated per frame) and starts a run from `noise` (`[1, 4, F, h, w]`).
    public func start(_ settings: VideoSettings, noise: Tensor, generator: TorchGenerator? = nil,
                      cancellation: CancellationFlag = .never) throws -> AnimateDiffRun {
        let settings = try resolved(settings)
        let expected = latentShape(for: settings)
        guard noise.shape == expected else {
            throw PipelineError.noiseShape(file: "initial noise", shape: noise.shape, expected: expected)
        }
        let clipSkip = settings.options["clip_skip"]?.intValue ?? 0
        let prompt = try text.encode(settings.prompt, clipSkip: clipSkip, cancellation: cancellation)
        // [uncond, cond] (or [cond]), each repeated once per frame: [B·F, 77, D].
        let rows = settings.usesGuidance
            ? [try text.encode(settings.negativePrompt, clipSkip: clipSkip, cancellation: cancellation), prompt]
            : [prompt]
        let embeddings = Tensor.concatenate(rows.flatMap { Array(repeating: $0, count: settings.frames) }, axis: 0)
        let scheduler = try SamplerCatalog.scheduler(settings.sampler, config: schedulerConfig,
                                                     fitting: capabilities.samplers, steps: settings.steps,
                                                     generator: generator)
        return AnimateDiffRun(pipeline: self, settings: settings, batch: rows.count, text: embeddings,
                              scheduler: scheduler, latents: noise * scheduler.initNoiseSigma)
    }

    /// `decode_latents` then `postprocess_video(output_type="np")` → `[F, H, W, 3]` in [0, 1].
    public func decode(_ latents: Tensor, cancellation: CancellationFlag?,
                       progress: ((_ chunk: Int, _ count: Int) -> Void)?) throws -> Tensor {
        try vae.decodeFrames(latents, cancellation: cancellation, progress: progress)
    }

    public func previewFrames(_ latents: Tensor) -> LatentPreviewFrames { preview.previewFrames(latents) }

    public func releaseTransientMemory() {}
}

/// One AnimateDiffPipeline run in progress.
public struct AnimateDiffRun: DenoiseRun {
    public let pipeline: AnimateDiffPipeline
    public let settings: VideoSettings
    /// 2 with guidance ([uncond, cond]), else 1.
    public let batch: Int
    /// `[batch·F, 77, D]`: each prompt row repeated per frame.
    public let text: Tensor
    public private(set) var scheduler: any Scheduler
    public private(set) var latents: Tensor

    public var stepCount: Int { scheduler.stepCount }
    public var nextStep: Int { scheduler.nextStepIndex }

    /// One step of `__call__`'s loop: the UNet on `[latents] * batch` (scaled), guidance, then the
    /// scheduler on the 5-D latents.
    public mutating func step(cancellation: CancellationFlag? = nil) throws -> DenoiseStepResult {
        let index = scheduler.nextStepIndex
        let (unet, text) = (pipeline.unet, text)
        // prediction: [1, C, F, h, w]; text: [batch·F, 77, D]
        let prediction = try guidedPrediction(latents: latents, batch: batch, scheduler: scheduler, index: index,
                                              guidance: settings.guidanceScale) { input, timesteps in
            try unet(input, timestep: timesteps, encoderHiddenStates: text, cancellation: cancellation)
        }
        let clean = scheduler.predictedOriginalSample(modelOutput: prediction, stepIndex: index, sample: latents)
        latents = scheduler.step(modelOutput: prediction, stepIndex: index, sample: latents)
        return DenoiseStepResult(index: index, count: stepCount, latents: latents, predictedClean: clean)
    }
}
