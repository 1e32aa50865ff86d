// Loading a Stable Diffusion 1.5 pipeline folder, with a MotionAdapter folder when one is given
// (what `AnimateDiffPipeline.from_pretrained(sd15, motion_adapter=MotionAdapter.from_pretrained(…))`
// reads).
import Foundation
import Models
import Schedulers
import Tokenizers
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
            components: ["tokenizer": TextToVideoSDPipeline.tokenizers, "text_encoder": TextToVideoSDPipeline.textEncoders,
                         "unet": ["UNet2DConditionModel"], "vae": ["AutoencoderKL"],
                         "scheduler": TextToVideoSDPipeline.schedulers.map(\.rawValue)],
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
        try TextToVideoSDPipeline.requireUNetPrediction(scheduler, path: folder.url.path)
        let motion = try adapter.map {
            try ConfigDecoding.decode(MotionAdapterConfig.self, from: $0.appendingPathComponent("config.json"))
                .motionModules(for: unet)
        }
        return capabilities(vaeScale: vae.spatialScale, sampleSize: unet.sampleSize, maxFrames: motion?.maxSeqLength,
                            textLayers: text.layerCount,
                            maxTextLength: try TextToVideoSDPipeline.maxTextLength(folder, positions: text.maxPositionEmbeddings),
                            scheduler: scheduler)
    }

    /// Loads the SD 1.5 folder `url` with the MotionAdapter folder `adapter` (or none).
    public static func load(folder url: URL, adapter: URL?,
                            progress: (_ component: String, _ fraction: Double) -> Void = { _, _ in }) throws
        -> AnimateDiffPipeline {
        try load(folder: try DiffusersModelFolder(url: url), adapter: adapter, progress: progress)
    }

    static func load(folder: DiffusersModelFolder, adapter: URL?,
                     progress: (_ component: String, _ fraction: Double) -> Void) throws -> AnimateDiffPipeline {
        let url = folder.url
        guard folder.pipelineClassName == className else {
            throw PipelineError.unsupportedPipeline(path: url.path, className: folder.pipelineClassName,
                                                    supported: [className])
        }
        func require(_ name: String, _ supported: [String]) throws {
            guard let component = folder.modelIndex.components[name], component.isPresent,
                  let className = component.className else {
                throw PipelineError.missingComponent(path: url.path, component: name)
            }
            guard supported.contains(className) else {
                throw PipelineError.unsupportedComponent(path: url.path, component: name, className: className,
                                                         supported: supported)
            }
        }
        let steps = ["tokenizer", "text_encoder", "unet", "vae", "scheduler"]
        func report(_ name: String) { progress(name, Double(steps.firstIndex(of: name) ?? 0) / Double(steps.count)) }

        report("tokenizer")
        try require("tokenizer", TextToVideoSDPipeline.tokenizers)
        let tokenizer = try BPETokenizer(directory: try folder.componentFolder("tokenizer"))
        report("text_encoder")
        try require("text_encoder", TextToVideoSDPipeline.textEncoders)
        let textEncoder = try CLIPTextModel.load(folder: try folder.componentFolder("text_encoder"))
        report("unet")
        try require("unet", ["UNet2DConditionModel"])
        let unet = try UNetMotionModel.load(unetFolder: try folder.componentFolder("unet"), motionAdapterFolder: adapter)
        report("vae")
        try require("vae", ["AutoencoderKL"])
        let vae = try AutoencoderKL.load(folder: try folder.componentFolder("vae"))
        report("scheduler")
        try require("scheduler", TextToVideoSDPipeline.schedulers.map(\.rawValue))
        let scheduler = try folder.schedulerConfig()
        try TextToVideoSDPipeline.requireUNetPrediction(scheduler, path: url.path)
        progress("scheduler", 1)
        return AnimateDiffPipeline(
            folder: url, tokenizer: tokenizer,
            maxTextLength: try TextToVideoSDPipeline.maxTextLength(folder, positions: textEncoder.config.maxPositionEmbeddings),
            textEncoder: textEncoder, unet: unet, vae: vae, schedulerConfig: scheduler)
    }
}
