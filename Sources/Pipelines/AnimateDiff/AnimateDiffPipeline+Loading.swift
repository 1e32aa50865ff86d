// Loading a Stable Diffusion 1.5 pipeline folder, with a MotionAdapter folder when one is given
// (what `AnimateDiffPipeline.from_pretrained(sd15, motion_adapter=MotionAdapter.from_pretrained(…))`
// reads).
import Foundation
import Models
import Schedulers
import WeightsIO

extension AnimateDiffPipeline {
    /// The component folder that turns the image model into a video model.
    public static let motionAdapterSlot = ComponentSlot(
        name: "motion_adapter", label: "Adapter", classes: ["MotionAdapter"],
        help: "an AnimateDiff MotionAdapter folder; without one the model makes single images (one-frame videos)")

    /// The registry's line for this family.
    public static let registration: PipelineRegistration = {
        var entry = PipelineRegistration(
            className: className,
            components: ["tokenizer": CLIPPromptEncoder.tokenizerClasses,
                         "text_encoder": CLIPPromptEncoder.textEncoderClasses,
                         "unet": ["UNet2DConditionModel"], "vae": ["AutoencoderKL"],
                         "scheduler": ComponentReader.unetSchedulers.map(\.rawValue)],
            slots: [motionAdapterSlot],
            describe: { folder, extra in try describe(folder, adapter: extra["motion_adapter"]) },
            load: { folder, extra, progress in try load(folder: folder, adapter: extra["motion_adapter"], progress: progress) })
        // Stable Diffusion folders ship these; AnimateDiff does not use them.
        entry.ignoredComponents = ["safety_checker": ["StableDiffusionSafetyChecker"],
                                   "feature_extractor": ["CLIPImageProcessor", "CLIPFeatureExtractor"],
                                   "image_encoder": ["CLIPVisionModelWithProjection"]]
        return entry
    }()

    /// The capabilities of a folder (and adapter) from configs alone.
    static func describe(_ folder: DiffusersModelFolder, adapter: URL?) throws -> PipelineCapabilities {
        let unet = try ConfigDecoding.decode(UNet2DConditionConfig.self, from: try folder.configURL(component: "unet"))
        let vae = try ConfigDecoding.decode(AutoencoderKLConfig.self, from: try folder.configURL(component: "vae"))
        let text = try ConfigDecoding.decode(CLIPTextConfig.self, from: try folder.configURL(component: "text_encoder"))
        let scheduler = try folder.schedulerConfig()
        try ComponentReader.requireUNetPrediction(scheduler, path: folder.url.path)
        let motion = try adapter.map {
            try ConfigDecoding.decode(MotionAdapterConfig.self, from: $0.appendingPathComponent("config.json"))
                .motionModules(for: unet)
        }
        var capabilities = capabilities(
            vaeScale: vae.spatialScale, sampleSize: unet.sampleSize, maxFrames: motion?.maxSeqLength,
            textLayers: text.layerCount,
            maxTextLength: try CLIPPromptEncoder.maxTextLength(folder, positions: text.maxPositionEmbeddings),
            scheduler: scheduler)
        // Weight files that cannot be opened are the loader's to report, with its own message.
        capabilities.memory = try? memoryModel(folder, unet: unet, adapter: adapter)
        return capabilities
    }

    /// The memory model of a folder and adapter (see Shared/UNetPipelineMemory.swift).
    static func memoryModel(_ folder: DiffusersModelFolder, unet: UNet2DConditionConfig, adapter: URL?) throws
        -> MemoryModel {
        try UNetPipelineMemory.model(folder, unetChannels: unet.blockOutChannels, layersPerBlock: unet.layersPerBlock,
                                     extraWeights: adapter.map { [$0] } ?? [])
    }

    /// Loads the SD 1.5 folder `url` with the MotionAdapter folder `adapter` (or none).
    public static func load(folder url: URL, adapter: URL?,
                            progress: (_ component: String, _ fraction: Double) -> Void = { _, _ in }) throws
        -> AnimateDiffPipeline {
        try load(folder: try DiffusersModelFolder(url: url), adapter: adapter, progress: progress)
    }

    static func load(folder: DiffusersModelFolder, adapter: URL?,
                     progress: (_ component: String, _ fraction: Double) -> Void) throws -> AnimateDiffPipeline {
        guard folder.pipelineClassName == className else {
            throw PipelineError.unsupportedPipeline(path: folder.url.path, className: folder.pipelineClassName,
                                                    supported: [className])
        }
        // ComponentReader keeps `progress` for the reads below, which all end before this returns.
        return try withoutActuallyEscaping(progress) { progress in
            let reader = ComponentReader(folder: folder, order: ["tokenizer", "text_encoder", "unet", "vae", "scheduler"],
                                         progress: progress)
            let text = try CLIPPromptEncoder.load(reader)
            let unet = try UNetMotionModel.load(unetFolder: try reader.component("unet", of: ["UNet2DConditionModel"]),
                                                motionAdapterFolder: adapter)
            let vae = try AutoencoderKL.load(folder: try reader.component("vae", of: ["AutoencoderKL"]))
            let scheduler = try reader.unetScheduler(ComponentReader.unetSchedulers)
            return AnimateDiffPipeline(folder: folder.url, text: text, unet: unet, vae: vae, schedulerConfig: scheduler,
                                       memory: try memoryModel(folder, unet: unet.config, adapter: adapter))
        }
    }
}
