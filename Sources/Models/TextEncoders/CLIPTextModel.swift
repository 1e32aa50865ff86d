// transformers 5.24.0 models/clip/modeling_clip.py `CLIPTextModel` (with `CLIPTextEmbeddings`
// and `CLIPEncoder`). Fixtures: Tests/Fixtures/clip/.
import Foundation
import TensorCore
import WeightsIO

/// `CLIPTextModel`'s two outputs.
public struct CLIPTextOutput: Sendable {
    /// `[B, L, D]`, after `final_layer_norm`.
    public let lastHiddenState: Tensor
    /// `[B, D]`: `lastHiddenState` at each row's pooled token (see `CLIPPoolingRule`).
    public let pooledOutput: Tensor
}

/// The CLIP text encoder (ModelScope's OpenCLIP-H, AnimateDiff's CLIP-L): token ids ->
/// `last_hidden_state`.
///
/// Token embedding plus a learned position embedding, pre-LayerNorm layers with causal
/// attention (and, with an attention mask, `finfo.min` on padded keys), then
/// `final_layer_norm`. Weights are immutable; the model is `Sendable`.
public struct CLIPTextModel: TextEncoder {
    public let config: CLIPTextConfig
    /// `embeddings.token_embedding.weight` `[vocab, D]`, in the checkpoint's dtype.
    let tokenEmbedding: TokenEmbedding
    /// `embeddings.position_embedding.weight` `[P, D]`.
    let positionEmbedding: Tensor
    /// `encoder.layers.{i}`
    let layers: [CLIPEncoderLayer]
    /// `final_layer_norm`
    let finalLayerNorm: LayerNorm

    public var hiddenSize: Int { config.hiddenSize }
    public var maxPositions: Int? { config.maxPositionEmbeddings }

    /// transformers ≤ 4 saved `CLIPTextModel` under `text_model.`; transformers 5 does not.
    public static let keyRenames: [KeyRenameRule] = [.stripPrefix("text_model.")]
    /// Old checkpoints also persisted the `position_ids` buffer (always `arange(P)`).
    public static let allowedUnusedKeys = ["embeddings.position_ids"]

    /// Builds the encoder from `config` and `weights` (transformers 5 keys, without `text_model.`;
    /// open the store with `keyRenames` to accept either). Throws `TextEncoderError` for an
    /// unsupported config. Wrap in `WeightStore.load` for strict loading.
    public init(config: CLIPTextConfig, weights: some WeightSource) throws {
        let activation = try config.activation()
        let D = config.hiddenSize
        for (field, value) in [("vocab_size", config.vocabSize), ("hidden_size", D),
                               ("intermediate_size", config.intermediateSize),
                               ("num_attention_heads", config.headCount),
                               ("max_position_embeddings", config.maxPositionEmbeddings)] where value <= 0 {
            throw TextEncoderError.invalidConfig(field: field, value: "\(value)", reason: "must be positive")
        }
        for (field, value, limit) in [("num_hidden_layers", config.layerCount, ModelSizeLimits.layers),
                                      ("num_attention_heads", config.headCount, ModelSizeLimits.heads),
                                      ("hidden_size", D, ModelSizeLimits.width)] where value > limit || value < 0 {
            throw TextEncoderError.invalidConfig(field: field, value: "\(value)", reason: "must be from 0 to \(limit)")
        }
        guard D % config.headCount == 0 else {
            throw TextEncoderError.invalidConfig(field: "hidden_size", value: "\(D)",
                                                 reason: "must be a multiple of num_attention_heads \(config.headCount)")
        }
        self.config = config
        tokenEmbedding = try TokenEmbedding(weights, key: "embeddings.token_embedding.weight",
                                            vocabSize: config.vocabSize, dim: D)
        positionEmbedding = try weights.tensor("embeddings.position_embedding.weight",
                                               shape: [config.maxPositionEmbeddings, D])
        layers = try (0..<config.layerCount).map { index in
            try CLIPEncoderLayer(weights.scoped("encoder.layers.\(index)."), config: config, activation: activation)
        }
        finalLayerNorm = try LayerNorm(weights.scoped("final_layer_norm."), dim: D, eps: config.layerNormEps)
    }

    /// Loads a transformers model folder (`config.json` + `model.safetensors` or shards), with or
    /// without the `text_model.` prefix, strictly: one `StrictLoadError` lists every missing,
    /// unused or mis-shaped key.
    public static func load(folder: URL) throws -> CLIPTextModel {
        let config = try ConfigDecoding.decode(CLIPTextConfig.self, from: folder.appendingPathComponent("config.json"))
        let store = try WeightStore(folder: folder, renames: keyRenames)
        return try store.load(allowUnused: allowedUnusedKeys) { try CLIPTextModel(config: config, weights: $0) }
    }

    // MARK: Forward

    /// `inputIDs: [B][L]` with L ≤ `max_position_embeddings`, `attentionMask: [B][L]`
    /// (1 = token, 0 = padding) or nil -> `last_hidden_state` `[B, L, D]`.
    /// Throws `TextEncoderError.sequenceTooLong` or `.tokenOutOfRange` naming the value.
    public func callAsFunction(inputIDs: [[Int]], attentionMask: [[Int]]? = nil,
                               cancellation: CancellationFlag = .never) throws -> Tensor {
        try hiddenState(inputIDs: inputIDs, attentionMask: attentionMask, cancellation: cancellation).state
    }

    public func encode(inputIDs: [[Int]], attentionMask: [[Int]]?, cancellation: CancellationFlag) throws -> Tensor {
        try self(inputIDs: inputIDs, attentionMask: attentionMask, cancellation: cancellation)
    }

    /// The hidden state `skippingLastLayers` layers before the last, through the final layer
    /// norm: what the SD-family pipelines' `clip_skip` gives (`hidden_states[-(clip_skip + 1)]`
    /// then `final_layer_norm`); 0 is `last_hidden_state`. `[B, L, D]`.
    public func encode(inputIDs: [[Int]], attentionMask: [[Int]]? = nil, skippingLastLayers skip: Int,
                       cancellation: CancellationFlag = .never) throws -> Tensor {
        guard skip >= 0, skip < layers.count else {
            throw TextEncoderError.invalidClipSkip(skip: skip, layerCount: layers.count)
        }
        return try hiddenState(inputIDs: inputIDs, attentionMask: attentionMask, layerCount: layers.count - skip,
                               cancellation: cancellation).state
    }

    /// `last_hidden_state` and `pooler_output` (the hidden state at each row's EOS).
    public func encodeWithPooling(inputIDs: [[Int]], attentionMask: [[Int]]? = nil,
                                  cancellation: CancellationFlag = .never) throws -> CLIPTextOutput {
        let (state, batch) = try hiddenState(inputIDs: inputIDs, attentionMask: attentionMask, cancellation: cancellation)
        let L = batch.length, D = config.hiddenSize
        let rule = config.poolingRule
        var pooled = [Float]()
        pooled.reserveCapacity(batch.batch * D)
        for b in 0..<batch.batch {
            let row = batch.ids[(b * L)..<((b + 1) * L)]
            let position: Int
            switch rule {
            case .largestTokenID:
                let largest = row.max() ?? 0
                position = (row.firstIndex(of: largest) ?? row.startIndex) - row.startIndex
            case let .firstEOS(eos):
                position = (row.firstIndex(of: eos) ?? row.startIndex) - row.startIndex
            }
            let start = (b * L + position) * D
            pooled.append(contentsOf: state.data[start..<(start + D)])
        }
        return CLIPTextOutput(lastHiddenState: state, pooledOutput: Tensor(shape: [batch.batch, D], data: pooled))
    }

    private func hiddenState(inputIDs: [[Int]], attentionMask: [[Int]]?, layerCount: Int? = nil,
                             cancellation: CancellationFlag) throws -> (state: Tensor, batch: TokenBatch) {
        let P = config.maxPositionEmbeddings
        if let longest = inputIDs.map(\.count).max(), longest > P {
            throw TextEncoderError.sequenceTooLong(length: longest, maxPositions: P)
        }
        let batch = try TokenBatch(inputIDs: inputIDs, attentionMask: attentionMask, vocabSize: config.vocabSize)
        let B = batch.batch, L = batch.length, D = config.hiddenSize
        var x = try tokenEmbedding.rows(batch.ids).reshaped([B, L, D])  // [B, L, D]
        try x += positionEmbedding.sliced(axis: 0, 0..<L)  // + [L, D] positions 0..<L
        let keyMask = batch.additiveKeyMask  // [B, 1, 1, L] or nil
        for layer in layers.prefix(layerCount ?? layers.count) {
            try cancellation.check()
            x = try layer(x, keyMask: keyMask)
        }
        return (finalLayerNorm(x), batch)
    }
}
