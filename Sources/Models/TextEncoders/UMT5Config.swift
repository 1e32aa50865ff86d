// The config of transformers 5.24.0 models/umt5/configuration_umt5.py `UMT5Config` (and
// models/t5/configuration_t5.py `T5Config`, whose encoder differs only in sharing the
// relative-position bias): the `text_encoder/config.json` of a Wan (UMT5) or CogVideoX /
// Latte (T5 v1.1) pipeline.
import Foundation
import TensorCore
import WeightsIO

/// `UMT5Config` / `T5Config`, decoded from `config.json` (keys in transformers spelling).
///
/// Keys that transformers itself defaults are optional here with the same defaults; the
/// shape-defining keys are required. `feed_forward_proj` is kept as written and interpreted by
/// `feedForward()`, which names an unsupported value in `TextEncoderError.unsupportedFeedForward`.
public struct UMT5Config: Decodable, Sendable, Equatable {
    public var vocabSize: Int
    /// Model width `D` (4096 for UMT5-XXL).
    public var modelDim: Int
    /// Width of one attention head.
    public var headDim: Int
    /// Inner width of the feed-forward network.
    public var feedForwardDim: Int
    public var layerCount: Int
    public var headCount: Int
    public var relativeAttentionBucketCount: Int
    public var relativeAttentionMaxDistance: Int
    /// `"gated-gelu"` (UMT5, T5 v1.1), `"relu"` (original T5), `"gated-silu"`, ….
    public var feedForwardProjection: String
    public var layerNormEpsilon: Float
    public var padTokenID: Int
    public var eosTokenID: Int
    /// `"umt5"` or `"t5"`; decides `variant`.
    public var modelType: String?
    public var architectures: [String]?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case modelDim = "d_model"
        case headDim = "d_kv"
        case feedForwardDim = "d_ff"
        case layerCount = "num_layers"
        case headCount = "num_heads"
        case relativeAttentionBucketCount = "relative_attention_num_buckets"
        case relativeAttentionMaxDistance = "relative_attention_max_distance"
        case feedForwardProjection = "feed_forward_proj"
        case layerNormEpsilon = "layer_norm_epsilon"
        case padTokenID = "pad_token_id"
        case eosTokenID = "eos_token_id"
        case modelType = "model_type"
        case architectures
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        modelDim = try c.decode(Int.self, forKey: .modelDim)
        headDim = try c.decode(Int.self, forKey: .headDim)
        feedForwardDim = try c.decode(Int.self, forKey: .feedForwardDim)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        headCount = try c.decode(Int.self, forKey: .headCount)
        relativeAttentionBucketCount = try c.decodeIfPresent(Int.self, forKey: .relativeAttentionBucketCount) ?? 32
        relativeAttentionMaxDistance = try c.decodeIfPresent(Int.self, forKey: .relativeAttentionMaxDistance) ?? 128
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        // transformers' defaults: UMT5Config "gated-gelu", T5Config "relu".
        feedForwardProjection = try c.decodeIfPresent(String.self, forKey: .feedForwardProjection)
            ?? (modelType == "t5" ? "relu" : "gated-gelu")
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-6
        padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID) ?? 0
        eosTokenID = try c.decodeIfPresent(Int.self, forKey: .eosTokenID) ?? 1
    }

    /// Which encoder the config describes.
    public enum Variant: Sendable, Equatable {
        /// `UMT5EncoderModel`: every layer has its own relative-position bias table.
        case umt5
        /// `T5EncoderModel`: layer 0 owns the table and every layer adds the same bias.
        case t5
    }

    /// `.umt5` for `model_type` "umt5" (or a `UMT5…` architecture), `.t5` for "t5" (or `T5…`).
    public func variant() throws -> Variant {
        switch modelType {
        case "umt5": return .umt5
        case "t5": return .t5
        default:
            if let architectures {
                if architectures.contains(where: { $0.hasPrefix("UMT5") }) { return .umt5 }
                if architectures.contains(where: { $0.hasPrefix("T5") }) { return .t5 }
            }
            throw TextEncoderError.invalidConfig(field: "model_type", value: modelType ?? "null",
                                                 reason: "expected \"umt5\" or \"t5\"")
        }
    }

    /// The feed-forward network `feed_forward_proj` asks for, by transformers' rule:
    /// `"gated-{act}"` is gated, `"{act}"` is not, and `"gated-gelu"` means the tanh GELU
    /// (`gelu_new`). Throws `TextEncoderError.unsupportedFeedForward` naming any other value.
    public func feedForward() throws -> UMT5FeedForwardKind {
        let parts = feedForwardProjection.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let gated = parts.count == 2 && parts[0] == "gated"
        guard parts.count == 1 || gated else {
            throw TextEncoderError.unsupportedFeedForward(feedForwardProjection)
        }
        let name = feedForwardProjection == "gated-gelu" ? "gelu_new" : parts[parts.count - 1]
        guard let activation = Activation(configName: name), activation != .identity else {
            throw TextEncoderError.unsupportedFeedForward(feedForwardProjection)
        }
        return gated ? .gated(activation) : .dense(activation)
    }
}

/// The feed-forward network of a T5 / UMT5 layer.
public enum UMT5FeedForwardKind: Sendable, Equatable {
    /// `wo(act(wi_0 h) ⊙ wi_1 h)` (`T5DenseGatedActDense`).
    case gated(Activation)
    /// `wo(act(wi h))` (`T5DenseActDense`).
    case dense(Activation)
}
