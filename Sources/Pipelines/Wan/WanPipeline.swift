// diffusers pipelines/wan/pipeline_wan.py `WanPipeline` (diffusers 0.42.1): text → UMT5 (or
// CLIP) embeddings → WanTransformer3DModel denoising under a flow sampler with classifier-free
// guidance → AutoencoderKLWan decode.
//
// The pipeline holds the loaded components (immutable, shared between jobs). Everything a run
// changes — latents, scheduler state, the generator — lives in a `WanDenoiseRun` owned by the
// caller, which drives it one step at a time (progress, previews and cancellation need no
// callbacks in model code).
import Foundation
import Models
import Schedulers
import TensorCore
import Tokenizers
import WeightsIO

/// A loaded Wan-family text-to-video pipeline.
public final class WanPipeline: Sendable {
    /// The diffusers `_class_name` this type runs.
    public static let className = "WanPipeline"

    public let folder: URL
    public let tokenizer: any Tokenizer
    /// The text encoder, which `releaseTextEncoder()` may drop between jobs.
    let textEncoderSlot: ReloadableComponent<any TextEncoder>
    /// The text encoder's hidden width and position limit, kept while its weights are released.
    public let textHiddenSize: Int
    public let textMaxPositions: Int?
    public let transformer: WanTransformer3DModel
    public let vae: AutoencoderKLWan
    /// The folder's `scheduler/scheduler_config.json`.
    public let schedulerConfig: SchedulerConfig

    /// - Parameter reloadTextEncoder: reads the text encoder again after `releaseTextEncoder()`;
    ///   nil keeps it in memory for the life of the pipeline.
    public init(folder: URL, tokenizer: any Tokenizer, textEncoder: any TextEncoder,
                reloadTextEncoder: (@Sendable () throws -> any TextEncoder)? = nil,
                transformer: WanTransformer3DModel, vae: AutoencoderKLWan, schedulerConfig: SchedulerConfig) {
        self.folder = folder
        self.tokenizer = tokenizer
        textEncoderSlot = ReloadableComponent(textEncoder, reload: reloadTextEncoder)
        textHiddenSize = textEncoder.hiddenSize
        textMaxPositions = textEncoder.maxPositions
        self.transformer = transformer
        self.vae = vae
        self.schedulerConfig = schedulerConfig
    }

    /// The text encoder, read again from the folder if it was released.
    public func textEncoder() throws -> any TextEncoder { try textEncoderSlot.get() }

    /// Frees the text encoder's weights until the next prompt needs them (they are read again
    /// from the folder then). A job uses the text encoder once, before denoising.
    public func releaseTextEncoder() { textEncoderSlot.release() }

    /// Whether the text encoder's weights are in memory.
    public var isTextEncoderLoaded: Bool { textEncoderSlot.isLoaded }

    /// Latent channels (the VAE's `z_dim`).
    public var latentChannels: Int { vae.config.zDim }
    public var temporalScale: Int { vae.config.scaleFactorTemporal }
    public var spatialScale: Int { vae.config.scaleFactorSpatial }

    /// The frame and size rules of this model: frames `4k + 1`, sides multiples of
    /// VAE scale × patch size (WanPipeline itself asks for multiples of 16 = 8 × 2).
    public var constraints: VideoConstraints {
        let patch = transformer.config.patchSize
        return VideoConstraints(temporalScale: temporalScale * patch[0],
                                spatialMultiple: spatialScale * max(patch[1], patch[2]))
    }

    /// The text length WanPipeline pads every prompt to: 512, or the encoder's position
    /// limit when it has absolute positions (CLIP: 77).
    public var defaultMaxSequenceLength: Int {
        min(512, textMaxPositions ?? 512)
    }

    /// `[1, C, (F − 1)/4 + 1, H/8, W/8]`: the latents `prepare_latents` draws.
    public func latentShape(frames: Int, height: Int, width: Int) -> [Int] {
        [1, latentChannels, (frames - 1) / temporalScale + 1, height / spatialScale, width / spatialScale]
    }

    /// The sampler a run uses: the folder's own, or UniPC / FlowMatch Euler built from the
    /// folder's flow shift, with `flowShift` overriding it.
    public func makeScheduler(_ choice: SamplerChoice, flowShift: Double?, steps: Int) throws -> any Scheduler {
        var config = schedulerConfig
        let folderShift: Double
        switch config.settings {
        case .uniPCMultistep(let s): folderShift = s.flowShift
        case .flowMatchEulerDiscrete(let s): folderShift = s.shift
        }
        let shift = flowShift ?? folderShift
        switch (choice, config.settings) {
        case (.modelDefault, .uniPCMultistep(var s)), (.unipc, .uniPCMultistep(var s)):
            s.flowShift = shift
            config.settings = .uniPCMultistep(s)
        case (.modelDefault, .flowMatchEulerDiscrete(var s)), (.euler, .flowMatchEulerDiscrete(var s)):
            s.shift = shift
            config.settings = .flowMatchEulerDiscrete(s)
        case (.unipc, .flowMatchEulerDiscrete):
            config.settings = .uniPCMultistep(UniPCMultistepSchedulerConfig(flowShift: shift))
        case (.euler, .uniPCMultistep):
            var s = FlowMatchEulerDiscreteSchedulerConfig()
            s.shift = shift
            config.settings = .flowMatchEulerDiscrete(s)
        }
        return try Schedulers.makeScheduler(config: config, stepCount: steps)
    }

    /// Checks `settings` against this model and returns them with the defaults filled in.
    public func resolved(_ settings: VideoSettings) throws -> VideoSettings {
        try constraints.validate(settings)
        var settings = settings
        let length = settings.maxSequenceLength ?? defaultMaxSequenceLength
        if let limit = textMaxPositions, length > limit {
            throw PipelineError.invalidSetting(
                name: "max sequence length", value: "\(length)",
                valid: "this model's text encoder has \(limit) positions")
        }
        settings.maxSequenceLength = length
        return settings
    }

    /// Post-processed frames from decoded video: `(x / 2 + 0.5).clamp(0, 1)` and
    /// `[1, 3, F, H, W]` → `[F, H, W, 3]`, as `VideoProcessor.postprocess_video(output_type="np")`.
    public static func postprocess(_ video: Tensor) -> Tensor {
        // video: [1, 3, F, H, W] -> [F, H, W, 3]
        let frames = video.squeezed(axis: 0).permuted([1, 2, 3, 0])
        return frames.map { Swift.min(1, Swift.max(0, $0 / 2 + 0.5)) }
    }
}
