// diffusers 0.42.1 models/transformers/transformer_temporal.py `TransformerTemporalModel` and
// models/unets/unet_motion_model.py `AnimateDiffTransformer3D`: the same computation, attention across
// the frames of each spatial position, written once (UNet3DConditionModel's `temp_attentions` /
// `transformer_in`, UNetMotionModel's `motion_modules`):
//   res = x;  x [B·F, C, H, W] → [B, C, F, H, W];  x = GroupNorm(groups, eps 1e-6)(x)   stats over C/G × F × H × W
//   x → [B·H·W, F, C] → proj_in (Linear C → inner)
//   BasicTransformerBlock × num_layers (double_self_attention: attn1 and attn2 both self-attention over the
//   F frames; AnimateDiff adds sinusoidal `pos_embed.pe[:F]` to the normalised input of both)
//   proj_out (inner → C) → [B·F, C, H, W] → + res
// The tokens of one position are its F frames, so attention is O(F²) per position.
import TensorCore
import WeightsIO

/// diffusers `TransformerTemporalModel` / `AnimateDiffTransformer3D` (`temp_attentions.N.`,
/// `transformer_in.`, `motion_modules.N.`). Keys `norm`, `proj_in`, `transformer_blocks.N.`, `proj_out`.
public struct TransformerTemporalModel: Sendable {
    public let norm: GroupNorm
    /// `proj_in`: `[inner, C]`.
    public let projIn: Linear
    public let transformerBlocks: [BasicTransformerBlock]
    /// `proj_out`: `[C, inner]`.
    public let projOut: Linear

    /// `heads × headDim` attention (inner width their product) on `channels`-wide features, GroupNorm
    /// of `groups` groups, `numLayers` blocks. `sinusoidalPositions` (AnimateDiff's
    /// `num_positional_embeddings` = `motion_max_seq_length`) gives every block a `pos_embed.pe`
    /// `[1, sinusoidalPositions, inner]`; nil (UNet3D) gives none.
    public init(_ source: some WeightSource, heads: Int, headDim: Int, channels C: Int, groups: Int,
                numLayers: Int = 1, sinusoidalPositions: Int? = nil) throws {
        let inner = heads * headDim
        norm = try GroupNorm(source.scoped("norm."), channels: C, groups: groups, eps: 1e-6)
        projIn = try Linear(source.scoped("proj_in."), inFeatures: C, outFeatures: inner)
        // double_self_attention: attn2 is a second self-attention (cross_attention_dim is ignored).
        transformerBlocks = try (0..<numLayers).map { i in
            try BasicTransformerBlock(source.scoped("transformer_blocks.\(i)."), dim: inner, heads: heads,
                                      headDim: headDim, doubleSelfAttention: true,
                                      sinusoidalPositions: sinusoidalPositions)
        }
        projOut = try Linear(source.scoped("proj_out."), inFeatures: inner, outFeatures: C)
    }

    /// x: [B·F, C, H, W] -> [B·F, C, H, W]. Throws when F exceeds the positional table.
    public func callAsFunction(_ x: Tensor, frames F: Int) throws(TensorShapeError) -> Tensor {
        let (BF, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let B = BF / F
        var h = norm(x.reshaped([B, F, C, H, W]).permuted([0, 2, 1, 3, 4]))    // GN over [B, C, F, H, W]
            .permuted([0, 3, 4, 2, 1])
            .reshaped([B * H * W, F, C])                                       // -> [B·H·W, F, C]
        h = projIn(h)                                                          // -> [B·H·W, F, inner]
        for block in transformerBlocks { h = try block(h) }
        h = projOut(h)                                                         // -> [B·H·W, F, C]
        var out = h.reshaped([B, H, W, F, C])
            .permuted([0, 3, 4, 1, 2])                                         // -> [B, F, C, H, W]
            .reshaped([BF, C, H, W])
        try out += x
        return out
    }
}
