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
public final class WanPipeline: VideoPipeline {
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
    public let capabilities: PipelineCapabilities
    /// `model_index.json`'s `expand_timesteps` (Wan 2.2 TI2V): the transformer is given one
    /// timestep per latent token (`[B, F·H/2·W/2]`) instead of one per sample.
    public let expandTimesteps: Bool
    /// The linear latent → RGB map previews use (the folder's fitted one, or a stand-in).
    public let preview: LatentRGBProjection

    /// - Parameter expandTimesteps: per-token timesteps (see ``expandTimesteps``).
    /// - Parameter reloadTextEncoder: reads the text encoder again after `releaseTextEncoder()`;
    ///   nil keeps it in memory for the life of the pipeline.
    /// - Parameter memory: how a run's memory grows with its settings (`memoryModel(_:)` of
    ///   the folder), which the engine checks before a run.
    public init(folder: URL, tokenizer: any Tokenizer, textEncoder: any TextEncoder,
                reloadTextEncoder: (@Sendable () throws -> any TextEncoder)? = nil,
                transformer: WanTransformer3DModel, vae: AutoencoderKLWan, schedulerConfig: SchedulerConfig,
                expandTimesteps: Bool = false, memory: MemoryModel? = nil) {
        self.folder = folder
        self.expandTimesteps = expandTimesteps
        self.tokenizer = tokenizer
        textEncoderSlot = ReloadableComponent(textEncoder, reload: reloadTextEncoder)
        textHiddenSize = textEncoder.hiddenSize
        textMaxPositions = textEncoder.maxPositions
        self.transformer = transformer
        self.vae = vae
        self.schedulerConfig = schedulerConfig
        var capabilities = Self.capabilities(Shape(
            latentChannels: vae.config.zDim, temporalScale: vae.config.scaleFactorTemporal,
            spatialScale: vae.config.scaleFactorSpatial, patchSize: transformer.config.patchSize,
            textMaxPositions: textEncoder.maxPositions, schedulerConfig: schedulerConfig))
        capabilities.memory = memory
        self.capabilities = capabilities
        preview = LatentRGBProjection.load(folder: folder, channels: vae.config.zDim)
            ?? .fallback(channels: vae.config.zDim)
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

    /// Reads the settings a WanPipeline folder's configs fix (no weights): the VAE's scales, the
    /// transformer's patch, the text encoder's position limit and the scheduler.
    struct Shape: Sendable {
        var latentChannels: Int
        var temporalScale: Int
        var spatialScale: Int
        var patchSize: [Int]
        var textMaxPositions: Int?
        var schedulerConfig: SchedulerConfig
    }

    /// The capabilities of a WanPipeline with these configs: frames `4k + 1` (the causal VAE's
    /// temporal scale × the patch's), sides multiples of VAE scale × patch (16 for Wan 2.1),
    /// flow prediction, and the options `flow_shift` and `max_sequence_length`. Defaults are
    /// those of `WanPipeline.__call__` (81 frames, 480×832, 50 steps, guidance 5).
    static func capabilities(_ shape: Shape) -> PipelineCapabilities {
        let folderShift = flowShift(of: shape.schedulerConfig)
        let folderSampler = SamplerCatalog.name(of: shape.schedulerConfig)
        let textLimit = shape.textMaxPositions ?? 4_096
        let options = [
            OptionSpec(name: "flow_shift", label: "Shift", kind: .number(0.001...100), defaultValue: .number(folderShift),
                       help: "the sampler's flow shift: higher spends more steps on coarse structure"),
            OptionSpec(name: "max_sequence_length", label: "Text len", kind: .integer(1...textLimit),
                       defaultValue: .integer(min(512, shape.textMaxPositions ?? 512)),
                       help: "text tokens the prompt is padded to (diffusers' max_sequence_length)"),
        ]
        return PipelineCapabilities(
            pipelineClass: className, frameRule: .stridePlusOne(shape.temporalScale * shape.patchSize[0]),
            sizeMultiple: shape.spatialScale * max(shape.patchSize[1], shape.patchSize[2]),
            latentLayout: .channelsFirst,
            defaults: SettingDefaults(frames: 81, width: 832, height: 480, steps: 50, guidanceScale: 5),
            predictionType: PredictionType.flowPrediction.rawValue,
            samplers: SamplerCatalog.names(for: .flowPrediction), defaultSampler: folderSampler, options: options)
    }

    /// The flow shift a run uses (`settings` resolved by `capabilities`).
    func flowShift(_ settings: VideoSettings) -> Double? { settings.options["flow_shift"]?.doubleValue }

    /// The text length a run pads its prompts to (`settings` resolved by `capabilities`).
    func maxSequenceLength(_ settings: VideoSettings) -> Int {
        settings.options["max_sequence_length"]?.intValue ?? defaultMaxSequenceLength
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

    public func latentShape(for settings: VideoSettings) -> [Int] {
        latentShape(frames: settings.frames, height: settings.height, width: settings.width)
    }

    /// The flow shift a scheduler config sets (`shift` for FlowMatch Euler, `flow_shift` for
    /// UniPC and DPM-Solver in flow mode).
    static func flowShift(of config: SchedulerConfig) -> Double {
        switch config.classSettings {
        case .flowMatchEulerDiscrete(let s): return s.shift
        case .uniPCMultistep(let s): return s.flowShift
        case .dpmSolverMultistep(let s): return s.flowShift
        default: return 1
        }
    }

    /// The sampler a run uses: the folder's own, or the catalogue's `sampler` read from the
    /// folder's config as diffusers' `from_config` does, with `flowShift` replacing the
    /// folder's flow shift. `generator` feeds samplers that draw noise while stepping.
    public func makeScheduler(_ sampler: String, flowShift: Double?, steps: Int,
                              generator: TorchGenerator? = nil) throws -> any Scheduler {
        var config = schedulerConfig
        if let flowShift {
            let key = config.schedulerClass == .flowMatchEulerDiscrete ? "shift" : "flow_shift"
            config = try config.converted(to: config.schedulerClass, overriding: [key: .number(flowShift)])
        }
        return try SamplerCatalog.scheduler(sampler, config: config, fitting: capabilities.samplers, steps: steps,
                                            generator: generator)
    }

    public func previewFrames(_ latents: Tensor) -> LatentPreviewFrames { preview.previewFrames(latents) }

    public func releaseTransientMemory() { releaseTextEncoder() }
}
