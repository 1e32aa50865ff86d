// transformers 5.24.0 models/umt5/modeling_umt5.py `UMT5EncoderModel` (with its `UMT5Stack`),
// and — with `UMT5Config.Variant.t5` — models/t5/modeling_t5.py `T5EncoderModel`
// Fixtures: Tests/Fixtures/wan/text_encoder*, wan/pipeline_prompt.
import Foundation
import TensorCore
import WeightsIO

/// The UMT5 (Wan) or T5 v1.1 (CogVideoX, Latte) text encoder: token ids -> `last_hidden_state`.
///
/// Unscaled token embedding, then per layer `x += O(SelfAttn(RMS(x)))` and
/// `x += FF(RMS(x))`, then a final RMS norm. Attention has no 1/√d scaling and adds a
/// bidirectional relative-position bias (UMT5: one table per layer; T5: layer 0's table for
/// every layer) and, with an attention mask, `finfo.min` on padded keys.
///
/// Weights are immutable; the model is `Sendable`. The embedding table stays in the
/// checkpoint's dtype (only looked-up rows are widened).
public struct UMT5EncoderModel: TextEncoder {
    public let config: UMT5Config
    public let variant: UMT5Config.Variant
    /// `shared.weight` (or `encoder.embed_tokens.weight`) `[vocab, D]`.
    let embedding: TokenEmbedding
    /// `encoder.block.{i}`
    let blocks: [UMT5Block]
    /// `encoder.final_layer_norm`
    let finalNorm: RMSNorm

    /// Whether the linear weights are held in half precision (a F16 / BF16 checkpoint).
    public var holdsHalfPrecisionWeights: Bool { blocks.first?.attention.q.isHalf ?? false }

    public var hiddenSize: Int { config.modelDim }
    public var maxPositions: Int? { nil }

    /// transformers ties `encoder.embed_tokens.weight` to `shared.weight` and saves only the
    /// latter; some checkpoints carry both, some only the former. When `shared.weight` is
    /// present, `encoder.embed_tokens.weight` may go unused (it is the same table).
    public static let allowedUnusedKeys = ["encoder.embed_tokens.weight"]

    /// The key renames for a checkpoint whose stored keys are `keys`: a checkpoint with only
    /// `encoder.embed_tokens.weight` has it read as `shared.weight`.
    public static func keyRenames(storedKeys keys: [String]) -> [KeyRenameRule] {
        keys.contains("shared.weight") || !keys.contains("encoder.embed_tokens.weight")
            ? [] : [.replacePrefix("encoder.embed_tokens.", with: "shared.")]
    }

    /// Builds the encoder from `config` and `weights` (keys as transformers saves them,
    /// `shared.weight`, `encoder.block.{i}.layer.{0,1}.…`, `encoder.final_layer_norm.weight`).
    /// Throws `TextEncoderError` for an unsupported config. Wrap in `WeightStore.load` (with
    /// `allowedUnusedKeys`) for strict loading.
    public init(config: UMT5Config, weights: some WeightSource) throws {
        let variant = try config.variant()
        let kind = try config.feedForward()
        try Self.validate(config)
        self.config = config
        self.variant = variant
        embedding = try TokenEmbedding(weights, key: "shared.weight", vocabSize: config.vocabSize, dim: config.modelDim)
        blocks = try (0..<config.layerCount).map { index in
            try UMT5Block(weights.scoped("encoder.block.\(index)."), config: config, feedForward: kind,
                          hasRelativeBias: variant == .umt5 || index == 0)
        }
        finalNorm = try RMSNorm(weights.scoped("encoder.final_layer_norm."), dim: config.modelDim,
                                eps: config.layerNormEpsilon)
    }

    /// Loads a transformers model folder (`config.json` + `model.safetensors` or shards),
    /// strictly: one `StrictLoadError` lists every missing, unused or mis-shaped key.
    public static func load(folder: URL) throws -> UMT5EncoderModel {
        let config = try ConfigDecoding.decode(UMT5Config.self, from: folder.appendingPathComponent("config.json"))
        let probe = try WeightStore(folder: folder)
        let renames = keyRenames(storedKeys: probe.keys)
        let store = renames.isEmpty ? probe : try WeightStore(folder: folder, renames: renames)
        return try store.load(allowUnused: allowedUnusedKeys) { try UMT5EncoderModel(config: config, weights: $0) }
    }

    private static func validate(_ config: UMT5Config) throws {
        let positive: [(String, Int)] = [("vocab_size", config.vocabSize), ("d_model", config.modelDim),
                                         ("d_kv", config.headDim), ("d_ff", config.feedForwardDim),
                                         ("num_heads", config.headCount)]
        for (field, value) in positive where value <= 0 {
            throw TextEncoderError.invalidConfig(field: field, value: "\(value)", reason: "must be positive")
        }
        if config.layerCount < 0 {
            throw TextEncoderError.invalidConfig(field: "num_layers", value: "\(config.layerCount)", reason: "must not be negative")
        }
        for (field, value, limit) in [("num_layers", config.layerCount, ModelSizeLimits.layers),
                                      ("num_heads", config.headCount, ModelSizeLimits.heads)] where value > limit {
            throw TextEncoderError.invalidConfig(field: field, value: "\(value)", reason: "must be at most \(limit)")
        }
        let (width, overflow) = config.headCount.multipliedReportingOverflow(by: config.headDim)
        if overflow || width > ModelSizeLimits.width {
            throw TextEncoderError.invalidConfig(field: "d_kv", value: "\(config.headDim)",
                                                 reason: "num_heads × d_kv must be at most \(ModelSizeLimits.width)")
        }
        if config.relativeAttentionBucketCount < 4 {
            throw TextEncoderError.invalidConfig(field: "relative_attention_num_buckets",
                                                 value: "\(config.relativeAttentionBucketCount)", reason: "must be at least 4")
        }
        if config.relativeAttentionMaxDistance <= config.relativeAttentionBucketCount / 4 {
            throw TextEncoderError.invalidConfig(field: "relative_attention_max_distance",
                                                 value: "\(config.relativeAttentionMaxDistance)",
                                                 reason: "must exceed relative_attention_num_buckets / 4")
        }
    }

    // MARK: Forward

    /// `inputIDs: [B][L]`, `attentionMask: [B][L]` (1 = token, 0 = padding) or nil
    /// -> `last_hidden_state` `[B, L, D]` (after the final RMS norm; padded rows are not zeroed).
    /// Throws `TextEncoderError.tokenOutOfRange` naming an id outside the vocabulary.
    public func callAsFunction(inputIDs: [[Int]], attentionMask: [[Int]]? = nil,
                               cancellation: CancellationFlag = .never) throws -> Tensor {
        try run(inputIDs: inputIDs, attentionMask: attentionMask, cancellation: cancellation, keepLayerOutputs: false).last
    }

    public func encode(inputIDs: [[Int]], attentionMask: [[Int]]?, cancellation: CancellationFlag) throws -> Tensor {
        try self(inputIDs: inputIDs, attentionMask: attentionMask, cancellation: cancellation)
    }

    /// The output of every layer `[B, L, D]` (before the final RMS norm), in order.
    public func layerOutputs(inputIDs: [[Int]], attentionMask: [[Int]]? = nil,
                             cancellation: CancellationFlag = .never) throws -> [Tensor] {
        try run(inputIDs: inputIDs, attentionMask: attentionMask, cancellation: cancellation, keepLayerOutputs: true).layers
    }

    private func run(inputIDs: [[Int]], attentionMask: [[Int]]?, cancellation: CancellationFlag,
                     keepLayerOutputs: Bool) throws -> (layers: [Tensor], last: Tensor) {
        let batch = try TokenBatch(inputIDs: inputIDs, attentionMask: attentionMask, vocabSize: config.vocabSize)
        let B = batch.batch, L = batch.length, D = config.modelDim
        var x = try embedding.rows(batch.ids).reshaped([B, L, D])  // [B, L, D], not scaled
        let keyMask = batch.additiveKeyMask  // [B, 1, 1, L] or nil
        let buckets = RelativePositionBuckets.table(queries: L, keys: L,
                                                    bucketCount: config.relativeAttentionBucketCount,
                                                    maxDistance: config.relativeAttentionMaxDistance)
        var mask: Tensor? = nil  // [B or 1, H, L, L]: position bias + key padding
        var layers: [Tensor] = []
        for block in blocks {
            try cancellation.check()
            if let table = block.attention.relativeBias {
                let bias = UMT5Attention.positionBias(table: table, buckets: buckets, queries: L, keys: L)
                mask = try keyMask.map { try bias + $0 } ?? bias
            }
            guard let mask else { break }  // unreachable: layer 0 always owns a table
            x = try block(x, mask: mask)
            if keepLayerOutputs { layers.append(x) }
        }
        return (layers, finalNorm(x))
    }
}
