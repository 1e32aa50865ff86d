// Loading a TextToVideoSDPipeline folder (diffusers `DiffusionPipeline.from_pretrained`):
// model_index.json names each component's class; each is read from its own sub-folder.
import Foundation
import Models
import Schedulers
import WeightsIO

extension TextToVideoSDPipeline {
    /// The registry's line for this family.
    public static let registration = PipelineRegistration(
        className: className,
        components: ["tokenizer": CLIPPromptEncoder.tokenizerClasses, "text_encoder": CLIPPromptEncoder.textEncoderClasses,
                     "unet": ["UNet3DConditionModel"], "vae": ["AutoencoderKL"],
                     "scheduler": ComponentReader.unetSchedulers.map(\.rawValue)],
        describe: { folder in try describe(folder) },
        load: { folder, progress in try load(folder: folder, progress: progress) })

    /// The capabilities of a folder from its configs alone (no weights read).
    static func describe(_ folder: DiffusersModelFolder) throws -> PipelineCapabilities {
        let unet = try ConfigDecoding.decode(UNet3DConditionConfig.self, from: try folder.configURL(component: "unet"))
        let vae = try ConfigDecoding.decode(AutoencoderKLConfig.self, from: try folder.configURL(component: "vae"))
        let text = try ConfigDecoding.decode(CLIPTextConfig.self, from: try folder.configURL(component: "text_encoder"))
        let scheduler = try folder.schedulerConfig()
        try ComponentReader.requireUNetPrediction(scheduler, path: folder.url.path)
        var capabilities = capabilities(
            vaeScale: vae.spatialScale, sampleSize: unet.sampleSize, textLayers: text.layerCount,
            maxTextLength: try CLIPPromptEncoder.maxTextLength(folder, positions: text.maxPositionEmbeddings),
            scheduler: scheduler)
        // Weight files that cannot be opened are the loader's to report, with its own message.
        capabilities.memory = try? memoryModel(folder, unet: unet)
        return capabilities
    }

    /// The memory model of a folder (see Shared/UNetPipelineMemory.swift).
    static func memoryModel(_ folder: DiffusersModelFolder, unet: UNet3DConditionConfig) throws -> MemoryModel {
        try UNetPipelineMemory.model(folder, unetChannels: unet.blockOutChannels,
                                     layersPerBlock: [Int](repeating: unet.layersPerBlock, count: unet.blockOutChannels.count))
    }

    /// Loads every component of the folder `url`, reporting each component before it starts.
    public static func load(folder url: URL,
                            progress: (_ component: String, _ fraction: Double) -> Void = { _, _ in }) throws
        -> TextToVideoSDPipeline {
        try load(folder: try DiffusersModelFolder(url: url), progress: progress)
    }

    static func load(folder: DiffusersModelFolder,
                     progress: (_ component: String, _ fraction: Double) -> Void) throws -> TextToVideoSDPipeline {
        guard folder.pipelineClassName == className else {
            throw PipelineError.unsupportedPipeline(path: folder.url.path, className: folder.pipelineClassName,
                                                    supported: [className])
        }
        // ComponentReader keeps `progress` for the reads below, which all end before this returns.
        return try withoutActuallyEscaping(progress) { progress in
            let reader = ComponentReader(folder: folder, order: ["tokenizer", "text_encoder", "unet", "vae", "scheduler"],
                                         progress: progress)
            let text = try CLIPPromptEncoder.load(reader)
            let unet = try UNet3DConditionModel.load(folder: try reader.component("unet", of: ["UNet3DConditionModel"]))
            let vae = try AutoencoderKL.load(folder: try reader.component("vae", of: ["AutoencoderKL"]))
            let scheduler = try reader.unetScheduler(ComponentReader.unetSchedulers)
            return TextToVideoSDPipeline(folder: folder.url, text: text, unet: unet, vae: vae, schedulerConfig: scheduler,
                                         memory: try memoryModel(folder, unet: unet.config))
        }
    }
}
