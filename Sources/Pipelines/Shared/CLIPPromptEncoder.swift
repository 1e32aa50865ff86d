// The prompt encoding the Stable Diffusion family of pipelines shares (diffusers 0.42.1
// StableDiffusionPipeline.encode_prompt, copied into TextToVideoSDPipeline and
// AnimateDiffPipeline): CLIP byte-level BPE padded or cut to the tokenizer's
// `model_max_length` (77), every position through the CLIP text model without a mask, and
// `clip_skip`.
import Foundation
import Models
import Schedulers
import TensorCore
import Tokenizers
import WeightsIO
import RegularFiles

/// A CLIP tokenizer and text encoder, as the SD-family pipelines use them.
public struct CLIPPromptEncoder: Sendable {
    public let tokenizer: any Tokenizer
    public let textEncoder: CLIPTextModel
    /// Tokens every prompt is padded or cut to.
    public let maxTextLength: Int

    public init(tokenizer: any Tokenizer, textEncoder: CLIPTextModel, maxTextLength: Int) {
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
        self.maxTextLength = maxTextLength
    }

    /// `[1, maxTextLength, D]`: the hidden state `clipSkip` layers before the last, through the
    /// final layer norm (0: `last_hidden_state`).
    public func encode(_ text: String, clipSkip: Int, cancellation: CancellationFlag) throws -> Tensor {
        let encoding = tokenizer.encode(text, maxLength: maxTextLength, padding: true, truncation: true)
        return try textEncoder.encode(inputIDs: [encoding.ids], attentionMask: nil, skippingLastLayers: clipSkip,
                                      cancellation: cancellation)
    }

    /// The `clip_skip` option of a text encoder with `layers` layers.
    public static func clipSkipOption(layers: Int) -> OptionSpec {
        OptionSpec(name: "clip_skip", label: "ClipSkip", kind: .integer(0...max(0, layers - 1)), defaultValue: .integer(0),
                   help: "text encoder layers skipped from the end (diffusers' clip_skip; 0 uses the last)")
    }

    /// `tokenizer_config.json`'s `model_max_length`, never past the text encoder's positions
    /// (some tokenizer files say 1e30).
    static func maxTextLength(_ folder: DiffusersModelFolder, positions: Int) throws -> Int {
        let url = try folder.componentFolder("tokenizer").appendingPathComponent("tokenizer_config.json")
        guard let data = try? RegularFile.contents(of: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let length = (object["model_max_length"] as? NSNumber)?.doubleValue, length >= 1 else { return positions }
        return Int(min(Double(positions), length))
    }

    /// Reads the `tokenizer` and `text_encoder` components of `reader`'s folder.
    static func load(_ reader: ComponentReader) throws -> CLIPPromptEncoder {
        let tokenizer = try BPETokenizer(directory: try reader.component("tokenizer", of: tokenizerClasses))
        let textEncoder = try CLIPTextModel.load(folder: try reader.component("text_encoder", of: textEncoderClasses))
        return CLIPPromptEncoder(tokenizer: tokenizer, textEncoder: textEncoder,
                                 maxTextLength: try maxTextLength(reader.folder,
                                                                  positions: textEncoder.config.maxPositionEmbeddings))
    }

    static let tokenizerClasses = ["CLIPTokenizer", "CLIPTokenizerFast"]
    static let textEncoderClasses = ["CLIPTextModel"]
}

/// Reads a pipeline folder's components in order: checks each one's class against what the
/// pipeline takes and reports it to `progress` before it is read.
struct ComponentReader {
    let folder: DiffusersModelFolder
    let order: [String]
    let progress: (_ component: String, _ fraction: Double) -> Void

    /// The folder of component `name`, whose class must be one of `supported`.
    func component(_ name: String, of supported: [String]) throws -> URL {
        progress(name, Double(order.firstIndex(of: name) ?? 0) / Double(max(1, order.count)))
        guard let component = folder.modelIndex.components[name], component.isPresent,
              let className = component.className else {
            throw PipelineError.missingComponent(path: folder.url.path, component: name)
        }
        guard supported.contains(className) else {
            throw PipelineError.unsupportedComponent(path: folder.url.path, component: name, className: className,
                                                     supported: supported)
        }
        return try folder.componentFolder(name)
    }

    /// The scheduler config, which must name one of `supported` and not predict flow (a UNet
    /// predicts noise, velocity or the sample).
    func unetScheduler(_ supported: [SchedulerClass]) throws -> SchedulerConfig {
        _ = try component("scheduler", of: supported.map(\.rawValue))
        let scheduler = try folder.schedulerConfig()
        try Self.requireUNetPrediction(scheduler, path: folder.url.path)
        progress("scheduler", 1)
        return scheduler
    }

    static func requireUNetPrediction(_ scheduler: SchedulerConfig, path: String) throws {
        guard scheduler.predictionType != .flowPrediction else {
            throw PipelineError.unsupportedComponent(
                path: path, component: "scheduler",
                className: "\(scheduler.schedulerClass.rawValue) with prediction_type flow_prediction",
                supported: ["an epsilon, v-prediction or sample scheduler (a UNet does not predict flow)"])
        }
    }

    /// Scheduler classes a UNet pipeline's folder may name (all but the flow-only one).
    static let unetSchedulers: [SchedulerClass] = SchedulerClass.allCases.filter { $0 != .flowMatchEulerDiscrete }
}
