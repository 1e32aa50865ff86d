// Loading a TextToVideoSDPipeline folder (diffusers `DiffusionPipeline.from_pretrained`):
// model_index.json names each component's class; each is read from its own sub-folder.
import Foundation
import Models
import Schedulers
import Tokenizers
import WeightsIO

extension TextToVideoSDPipeline {
    static let tokenizers = ["CLIPTokenizer", "CLIPTokenizerFast"]
    static let textEncoders = ["CLIPTextModel"]
    /// Scheduler classes the folder may name: those whose prediction type a UNet has (epsilon,
    /// v-prediction, sample).
    static let schedulers: [SchedulerClass] = SchedulerClass.allCases.filter { $0 != .flowMatchEulerDiscrete }

    /// The registry's line for this family.
    public static let registration = PipelineRegistration(
        className: className,
        components: ["tokenizer": tokenizers, "text_encoder": textEncoders, "unet": ["UNet3DConditionModel"],
                     "vae": ["AutoencoderKL"], "scheduler": schedulers.map(\.rawValue)],
        describe: { folder in try describe(folder) },
        load: { folder, progress in try load(folder: folder, progress: progress) })

    /// `tokenizer_config.json`'s `model_max_length`, never past the text encoder's positions
    /// (some tokenizer files say 1e30).
    static func maxTextLength(_ folder: DiffusersModelFolder, positions: Int) throws -> Int {
        let url = try folder.componentFolder("tokenizer").appendingPathComponent("tokenizer_config.json")
        guard let data = try? RegularFile.contents(of: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let length = (object["model_max_length"] as? NSNumber)?.doubleValue, length >= 1 else { return positions }
        return Int(min(Double(positions), length))
    }

    /// The capabilities of a folder from its configs alone (no weights read).
    static func describe(_ folder: DiffusersModelFolder) throws -> PipelineCapabilities {
        let unet = try ConfigDecoding.decode(UNet3DConditionConfig.self, from: try folder.configURL(component: "unet"))
        let vae = try ConfigDecoding.decode(AutoencoderKLConfig.self, from: try folder.configURL(component: "vae"))
        let text = try ConfigDecoding.decode(CLIPTextConfig.self, from: try folder.configURL(component: "text_encoder"))
        let scheduler = try folder.schedulerConfig()
        try requireUNetPrediction(scheduler, path: folder.url.path)
        return capabilities(vaeScale: vae.spatialScale, sampleSize: unet.sampleSize, textLayers: text.layerCount,
                            maxTextLength: try maxTextLength(folder, positions: text.maxPositionEmbeddings),
                            scheduler: scheduler)
    }

    /// A UNet predicts noise, velocity or the sample — never flow.
    static func requireUNetPrediction(_ scheduler: SchedulerConfig, path: String) throws {
        guard scheduler.predictionType != .flowPrediction else {
            throw PipelineError.unsupportedComponent(
                path: path, component: "scheduler",
                className: "\(scheduler.schedulerClass.rawValue) with prediction_type flow_prediction",
                supported: ["an epsilon, v-prediction or sample scheduler (a UNet3D model does not predict flow)"])
        }
    }

    /// Loads every component of the folder `url`, reporting each component before it starts.
    public static func load(folder url: URL,
                            progress: (_ component: String, _ fraction: Double) -> Void = { _, _ in }) throws
        -> TextToVideoSDPipeline {
        try load(folder: try DiffusersModelFolder(url: url), progress: progress)
    }

    static func load(folder: DiffusersModelFolder,
                     progress: (_ component: String, _ fraction: Double) -> Void) throws -> TextToVideoSDPipeline {
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
        try require("tokenizer", tokenizers)
        let tokenizer = try BPETokenizer(directory: try folder.componentFolder("tokenizer"))

        report("text_encoder")
        try require("text_encoder", textEncoders)
        let textEncoder = try CLIPTextModel.load(folder: try folder.componentFolder("text_encoder"))

        report("unet")
        try require("unet", ["UNet3DConditionModel"])
        let unet = try UNet3DConditionModel.load(folder: try folder.componentFolder("unet"))

        report("vae")
        try require("vae", ["AutoencoderKL"])
        let vae = try AutoencoderKL.load(folder: try folder.componentFolder("vae"))

        report("scheduler")
        try require("scheduler", schedulers.map(\.rawValue))
        let scheduler = try folder.schedulerConfig()
        try requireUNetPrediction(scheduler, path: url.path)
        progress("scheduler", 1)

        return TextToVideoSDPipeline(
            folder: url, tokenizer: tokenizer,
            maxTextLength: try maxTextLength(folder, positions: textEncoder.config.maxPositionEmbeddings),
            textEncoder: textEncoder, unet: unet, vae: vae, schedulerConfig: scheduler)
    }
}
