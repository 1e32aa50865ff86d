// diffusers 0.42.1 models/attention.py `BasicTransformerBlock` (norm_type "layer_norm", no ada-norm,
// optionally `positional_embeddings="sinusoidal"` with embeddings.py `SinusoidalPositionalEmbedding`, as
// AnimateDiff's motion modules use it: `pe` is added to the NORMALISED input of attn1 and of attn2) and models/transformers/transformer_2d.py `Transformer2DModel` on continuous
// input (the spatial transformers of the SD-family UNets: UNet3DConditionModel, UNetMotionModel,
// UNet2DConditionModel):
//   BasicTransformerBlock:  x += attn1(norm1(x))                       self-attention
//                           x += attn2(norm2(x), context)              cross-attention (cross_attention_dim),
//                                                                      or self-attention (double_self_attention)
//                           x += ff(norm3(x))                          GEGLU by default
//   Transformer2DModel:     res = x; x = GN(groups, eps 1e-6)(x)
//                           use_linear_projection: [N, C, H, W] → [N, HW, C] → proj_in (Linear C → inner)
//                           otherwise:             proj_in (1×1 conv) → [N, HW, inner] (the same numbers)
//                           blocks → proj_out (inner → C) → [N, C, H, W] → + res
// Attention runs over the H·W tokens of each image with TensorCore's tiled SDPA, so the score
// matrix of a whole image is never held.
import TensorCore
import WeightsIO

/// diffusers `SinusoidalPositionalEmbedding` (`pos_embed.`): the persistent buffer `pe`
/// `[1, max_seq_length, dim]` (interleaved sin / cos, read from the checkpoint), added to a
/// sequence as `x + pe[:, :S]`.
public struct SinusoidalPositionalEmbedding: Sendable {
    /// `pe`: `[1, max_seq_length, dim]`.
    public let pe: Tensor

    /// Loads `pe` (`[1, maxSeqLength, dim]`) under `source`.
    public init(_ source: some WeightSource, dim: Int, maxSeqLength: Int) throws {
        pe = try source.tensor("pe", shape: [1, maxSeqLength, dim])
    }

    /// The longest sequence the table covers (`max_seq_length`).
    public var maxSeqLength: Int { pe.shape[1] }

    /// x: [N, S, dim] -> [N, S, dim] (x + pe[:, :S]). Throws for S > max_seq_length (diffusers' broadcast
    /// would fail too).
    public func callAsFunction(_ x: Tensor) throws(TensorShapeError) -> Tensor {
        let S = x.shape[1]
        guard S <= maxSeqLength else {
            throw TensorShapeError(operation: "SinusoidalPositionalEmbedding", shapes: [x.shape, pe.shape],
                                   expected: "at most max_seq_length = \(maxSeqLength) positions")
        }
        var out = x
        try out += pe.sliced(axis: 1, 0..<S)                                // [1, S, dim] broadcast over N
        return out
    }
}

/// diffusers `BasicTransformerBlock` with `norm_type="layer_norm"` (`transformer_blocks.N.`): keys
/// `norm1`, `attn1`, `norm2`, `attn2` (when it has one), `norm3`, `ff`, and `pos_embed.pe` with
/// sinusoidal positional embeddings.
public struct BasicTransformerBlock: Sendable {
    /// `positional_embeddings="sinusoidal"` with `num_positional_embeddings`; nil for none.
    public let posEmbed: SinusoidalPositionalEmbedding?
    public let norm1: LayerNorm
    public let attn1: Attention
    /// `norm2` / `attn2`, present with a `cross_attention_dim` or `double_self_attention`.
    public let norm2: LayerNorm?
    public let attn2: Attention?
    public let norm3: LayerNorm
    public let ff: FeedForward

    /// Loads the block with diffusers' arguments: width `dim`, `heads × headDim` attention (inner
    /// width `heads · headDim`), `attention_bias` for q/k/v, LayerNorm eps `normEps` (1e-5) with
    /// affine weights. `attn2` attends to a `crossAttentionDim`-wide context, or to the block's
    /// own tokens when `doubleSelfAttention` (then `to_k` is `[inner, dim]`). With
    /// `sinusoidalPositions` (diffusers' `num_positional_embeddings`) the block loads `pos_embed.pe`
    /// `[1, sinusoidalPositions, dim]` and adds it to the normalised input of both attentions.
    public init(_ source: some WeightSource, dim: Int, heads: Int, headDim: Int, crossAttentionDim: Int? = nil,
                doubleSelfAttention: Bool = false, attentionBias: Bool = false,
                activation: FeedForward.ActivationFunction = .geglu, normEps: Float = 1e-5,
                sinusoidalPositions: Int? = nil) throws {
        posEmbed = try sinusoidalPositions.map {
            try SinusoidalPositionalEmbedding(source.scoped("pos_embed."), dim: dim, maxSeqLength: $0)
        }
        norm1 = try LayerNorm(source.scoped("norm1."), dim: dim, eps: normEps)
        attn1 = try Attention(source.scoped("attn1."), queryDim: dim, heads: heads, dimHead: headDim,
                              bias: attentionBias)
        if crossAttentionDim != nil || doubleSelfAttention {
            norm2 = try LayerNorm(source.scoped("norm2."), dim: dim, eps: normEps)
            attn2 = try Attention(source.scoped("attn2."), queryDim: dim,
                                  crossAttentionDim: doubleSelfAttention ? nil : crossAttentionDim,
                                  heads: heads, dimHead: headDim, bias: attentionBias)
        } else {
            norm2 = nil
            attn2 = nil
        }
        norm3 = try LayerNorm(source.scoped("norm3."), dim: dim, eps: normEps)
        ff = try FeedForward(source.scoped("ff."), dim: dim, activation: activation)
    }

    /// x: [N, S, dim], encoderHiddenStates: [N, L, cross_attention_dim] or nil (attn2 then attends
    /// to x itself) -> [N, S, dim]
    public func callAsFunction(_ x: Tensor, encoderHiddenStates: Tensor? = nil) throws(TensorShapeError) -> Tensor {
        var h = x
        var n = norm1(h)
        if let posEmbed { n = try posEmbed(n) }                             // PE on the normalised input
        try h += attn1(n)                                                   // [N, S, dim]
        if let attn2, let norm2 {
            n = norm2(h)
            if let posEmbed { n = try posEmbed(n) }
            try h += attn2(n, context: encoderHiddenStates)
        }
        try h += ff(norm3(h))
        return h
    }
}

/// diffusers `Transformer2DModel` on continuous input `[N, C, H, W]` (keys `norm`, `proj_in`,
/// `transformer_blocks.N.`, `proj_out`), with linear (`use_linear_projection`) or 1×1-conv
/// projections.
public struct Transformer2DModel: Sendable {
    public let norm: GroupNorm
    /// `proj_in` as a linear layer `[inner, C]` (a 1×1 conv weight `[inner, C, 1, 1]` is loaded
    /// into the same form).
    public let projIn: Linear
    public let transformerBlocks: [BasicTransformerBlock]
    /// `proj_out`: `[C_out, inner]`.
    public let projOut: Linear
    public let inChannels: Int
    public let outChannels: Int

    /// Loads the model with diffusers' constructor arguments: `numAttentionHeads × attentionHeadDim`
    /// attention (inner width their product), `normNumGroups` groups (GroupNorm eps 1e-6), one
    /// block per `numLayers`. `outChannels` defaults to `inChannels`.
    public init(_ source: some WeightSource, numAttentionHeads: Int, attentionHeadDim: Int, inChannels: Int,
                outChannels: Int? = nil, numLayers: Int = 1, crossAttentionDim: Int? = nil, normNumGroups: Int = 32,
                useLinearProjection: Bool = false, attentionBias: Bool = false, doubleSelfAttention: Bool = false,
                normEps: Float = 1e-5) throws {
        let inner = numAttentionHeads * attentionHeadDim
        let out = outChannels ?? inChannels
        norm = try GroupNorm(source.scoped("norm."), channels: inChannels, groups: normNumGroups, eps: 1e-6)
        projIn = try Self.projection(source.scoped("proj_in."), inFeatures: inChannels, outFeatures: inner,
                                     linear: useLinearProjection)
        transformerBlocks = try (0..<numLayers).map { i in
            try BasicTransformerBlock(source.scoped("transformer_blocks.\(i)."), dim: inner, heads: numAttentionHeads,
                                      headDim: attentionHeadDim, crossAttentionDim: crossAttentionDim,
                                      doubleSelfAttention: doubleSelfAttention, attentionBias: attentionBias,
                                      normEps: normEps)
        }
        projOut = try Self.projection(source.scoped("proj_out."), inFeatures: inner, outFeatures: out,
                                      linear: useLinearProjection)
        self.inChannels = inChannels
        self.outChannels = out
    }

    /// A Linear layer, or a 1×1 conv (`[out, in, 1, 1]`) read as one: both map each pixel's
    /// channels the same way, so the conv path of diffusers gives the same sums.
    private static func projection(_ source: some WeightSource, inFeatures: Int, outFeatures: Int,
                                   linear: Bool) throws -> Linear {
        if linear { return try Linear(source, inFeatures: inFeatures, outFeatures: outFeatures) }
        let weight = try source.tensor("weight", shape: [outFeatures, inFeatures, 1, 1])
        let bias = try source.tensor("bias", shape: [outFeatures])
        return Linear(weight: weight.reshaped([outFeatures, inFeatures]), bias: bias)
    }

    /// x: [N, C, H, W], encoderHiddenStates: [N, L, cross_attention_dim] or nil -> [N, C_out, H, W]
    /// (C_out = C: the residual is added).
    public func callAsFunction(_ x: Tensor, encoderHiddenStates: Tensor? = nil) throws(TensorShapeError) -> Tensor {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var h = norm(x)
            .permuted([0, 2, 3, 1])
            .reshaped([N, H * W, C])                                        // -> [N, HW, C]
        h = projIn(h)                                                       // -> [N, HW, inner]
        for block in transformerBlocks {
            h = try block(h, encoderHiddenStates: encoderHiddenStates)
        }
        h = projOut(h)                                                      // -> [N, HW, C_out]
        var out = h.reshaped([N, H, W, outChannels])
            .permuted([0, 3, 1, 2])                                         // -> [N, C_out, H, W]
        try out += x
        return out
    }
}
