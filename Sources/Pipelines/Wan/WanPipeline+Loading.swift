// Loading a WanPipeline folder (diffusers `DiffusionPipeline.from_pretrained` for WanPipeline):
// model_index.json names each component's class; each is read from its own sub-folder.
import Foundation
import Models
import Schedulers
import Tokenizers
import WeightsIO

extension WanPipeline {
    /// Tokenizer classes read as a sentencepiece Unigram model (T5 / UMT5).
    static let unigramTokenizers = ["T5Tokenizer", "T5TokenizerFast", "AutoTokenizer"]
    /// Tokenizer classes read as CLIP byte-level BPE.
    static let bpeTokenizers = ["CLIPTokenizer", "CLIPTokenizerFast"]
    static let t5Encoders = ["UMT5EncoderModel", "T5EncoderModel"]
    static let clipEncoders = ["CLIPTextModel", "CLIPTextModelWithProjection"]
    /// Scheduler classes a Wan folder may name: the flow-matching ones (a flow model's
    /// `scheduler_config.json` must say `flow_prediction` for UniPC and DPM-Solver).
    static let flowSchedulers: [SchedulerClass] = [.uniPCMultistep, .flowMatchEulerDiscrete, .dpmSolverMultistep]

    /// The registry's line for this family.
    public static let registration = PipelineRegistration(
        className: className,
        components: ["tokenizer": unigramTokenizers + bpeTokenizers, "text_encoder": t5Encoders + clipEncoders,
                     "transformer": ["WanTransformer3DModel"], "vae": ["AutoencoderKLWan"],
                     "scheduler": flowSchedulers.map(\.rawValue)],
        describe: { folder in try describe(folder) },
        load: { folder, progress in try load(folder: folder, progress: progress) })

    /// `model_index.json`'s `expand_timesteps`: absent or null is false (Wan 2.1).
    static func expandTimesteps(_ folder: DiffusersModelFolder) throws -> Bool {
        switch folder.modelIndex.options["expand_timesteps"] {
        case nil, .null?: return false
        case .bool(let value)?: return value
        case let other?:
            throw PipelineError.unsupportedComponent(path: folder.url.path, component: "expand_timesteps",
                                                     className: "\(other)", supported: ["true", "false"])
        }
    }

    /// The capabilities of a WanPipeline folder from its configs alone (no weights read).
    static func describe(_ folder: DiffusersModelFolder) throws -> PipelineCapabilities {
        let transformer = try WanTransformerConfig.load(folder: try folder.componentFolder("transformer"))
        // What the model would refuse at load is refused here too, so `models inspect` and
        // the studio's model check do not call such a folder runnable (issue #19).
        try transformer.validate()
        let vae = try ConfigDecoding.decode(WanVAEConfig.self, from: try folder.configURL(component: "vae"))
        let encoderClass = folder.modelIndex.components["text_encoder"]?.className ?? ""
        let textMaxPositions = clipEncoders.contains(encoderClass)
            ? try ConfigDecoding.decode(CLIPTextConfig.self, from: try folder.configURL(component: "text_encoder"))
                .maxPositionEmbeddings
            : nil
        let scheduler = try folder.schedulerConfig()
        var capabilities = capabilities(Shape(latentChannels: vae.zDim, temporalScale: vae.scaleFactorTemporal,
                                              spatialScale: vae.scaleFactorSpatial, patchSize: transformer.patchSize,
                                              textMaxPositions: textMaxPositions, schedulerConfig: scheduler))
        // Weight files that cannot be opened are the loader's to report, with its own message.
        capabilities.memory = try? memoryModel(folder)
        return capabilities
    }

    /// Loads every component of the WanPipeline folder `url`, reporting each component's
    /// name and the fraction of components loaded so far before it starts.
    public static func load(folder url: URL,
                            progress: (_ component: String, _ fraction: Double) -> Void = { _, _ in }) throws -> WanPipeline {
        try load(folder: try DiffusersModelFolder(url: url), progress: progress)
    }

    static func load(folder: DiffusersModelFolder,
                     progress: (_ component: String, _ fraction: Double) -> Void) throws -> WanPipeline {
        let url = folder.url
        guard folder.pipelineClassName == className else {
            throw PipelineError.unsupportedPipeline(path: url.path, className: folder.pipelineClassName,
                                                    supported: [className])
        }
        if let second = folder.modelIndex.components["transformer_2"], second.isPresent {
            throw PipelineError.unsupportedComponent(
                path: url.path, component: "transformer_2", className: second.className ?? "?",
                supported: ["none (Wan 2.2's two-expert transformers are not supported yet)"])
        }
        func componentClass(_ name: String) throws -> String {
            guard let component = folder.modelIndex.components[name], component.isPresent,
                  let className = component.className else {
                throw PipelineError.missingComponent(path: url.path, component: name)
            }
            return className
        }
        func require(_ name: String, _ supported: [String]) throws -> String {
            let className = try componentClass(name)
            guard supported.contains(className) else {
                throw PipelineError.unsupportedComponent(path: url.path, component: name, className: className,
                                                         supported: supported)
            }
            return className
        }
        let steps = ["tokenizer", "text_encoder", "transformer", "vae", "scheduler"]
        func report(_ name: String) { progress(name, Double(steps.firstIndex(of: name) ?? 0) / Double(steps.count)) }

        report("tokenizer")
        let tokenizerClass = try require("tokenizer", unigramTokenizers + bpeTokenizers)
        let tokenizerFolder = try folder.componentFolder("tokenizer")
        let tokenizer: any Tokenizer = bpeTokenizers.contains(tokenizerClass)
            ? try BPETokenizer(directory: tokenizerFolder)
            : try UnigramTokenizer(directory: tokenizerFolder)

        report("text_encoder")
        let encoderClass = try require("text_encoder", t5Encoders + clipEncoders)
        let encoderFolder = try folder.componentFolder("text_encoder")
        let isCLIP = clipEncoders.contains(encoderClass)
        @Sendable func loadTextEncoder() throws -> any TextEncoder {
            isCLIP ? try CLIPTextModel.load(folder: encoderFolder) : try UMT5EncoderModel.load(folder: encoderFolder)
        }
        let textEncoder = try loadTextEncoder()

        report("transformer")
        _ = try require("transformer", ["WanTransformer3DModel"])
        let transformer = try WanTransformer3DModel.load(folder: try folder.componentFolder("transformer"))

        report("vae")
        _ = try require("vae", ["AutoencoderKLWan"])
        let vae = try AutoencoderKLWan.load(folder: try folder.componentFolder("vae"))

        report("scheduler")
        _ = try require("scheduler", flowSchedulers.map(\.rawValue))
        let scheduler = try folder.schedulerConfig()
        guard scheduler.predictionType == .flowPrediction else {
            throw PipelineError.unsupportedComponent(
                path: url.path, component: "scheduler",
                className: "\(scheduler.schedulerClass.rawValue) with prediction_type \(scheduler.predictionType.rawValue)",
                supported: ["a flow-prediction scheduler (Wan models predict flow)"])
        }
        progress("scheduler", 1)

        return WanPipeline(folder: url, tokenizer: tokenizer, textEncoder: textEncoder,
                           reloadTextEncoder: loadTextEncoder, transformer: transformer, vae: vae,
                           schedulerConfig: scheduler, expandTimesteps: try expandTimesteps(folder),
                           memory: try memoryModel(folder))
    }
}
