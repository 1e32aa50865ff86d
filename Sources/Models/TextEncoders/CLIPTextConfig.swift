// The config of transformers 5.24.0 models/clip/configuration_clip.py `CLIPTextConfig`: the
// `text_encoder/config.json` of a ModelScope (OpenCLIP-H) or AnimateDiff (CLIP-L) pipeline.
import Foundation
import TensorCore
import WeightsIO

/// `CLIPTextConfig`, decoded from `config.json` (keys in transformers spelling).
///
/// The shape-defining keys are required; the others default as in transformers.
/// `hidden_act` is kept as written and interpreted by `activation()`, which names an
/// unsupported value in `TextEncoderError.unsupportedActivation`.
public struct CLIPTextConfig: Decodable, Sendable, Equatable {
    public var vocabSize: Int
    /// Model width `D` (768 for CLIP-L, 1024 for OpenCLIP-H).
    public var hiddenSize: Int
    /// Inner width of the MLP.
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// Learned positions (77).
    public var maxPositionEmbeddings: Int
    /// `"quick_gelu"` (CLIP-L) or `"gelu"` (OpenCLIP-H).
    public var hiddenAct: String
    public var layerNormEps: Float
    public var padTokenID: Int
    public var bosTokenID: Int
    public var eosTokenID: Int

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case padTokenID = "pad_token_id"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        headCount = try c.decode(Int.self, forKey: .headCount)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 77
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "quick_gelu"
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
        padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID) ?? 1
        bosTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID) ?? 49406
        eosTokenID = try c.decodeIfPresent(Int.self, forKey: .eosTokenID) ?? 49407
    }

    /// The MLP activation named by `hidden_act` (transformers' `ACT2FN` spelling).
    public func activation() throws -> Activation {
        guard let activation = Activation(configName: hiddenAct), activation != .identity else {
            throw TextEncoderError.unsupportedActivation(hiddenAct)
        }
        return activation
    }

    /// How `CLIPTextModel` finds the token it pools: configs written before transformers PR
    /// #24773 carry `eos_token_id` 2 and pool at the largest id; the others at the first EOS.
    public var poolingRule: CLIPPoolingRule { eosTokenID == 2 ? .largestTokenID : .firstEOS(eosTokenID) }
}

/// Where `CLIPTextModel`'s `pooler_output` is taken from, per row.
public enum CLIPPoolingRule: Sendable, Equatable {
    /// The first position holding the largest id (the EOS of the original CLIP vocabulary).
    case largestTokenID
    /// The first position holding this id (position 0 when there is none, as torch's argmax).
    case firstEOS(Int)
}
