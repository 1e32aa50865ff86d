// diffusers 0.42.1 models/transformers/transformer_wan.py `WanTransformerBlock` (Wan 2.1:
// timestep_proj [B, 6, D]; Wan 2.2 TI2V: [B, S, 6, D], one row per token, here K distinct rows
// and a row index per token, see WanTimeConditioning.swift). Its children are the generic
// layers: `attn1` / `attn2` are transformer_wan.py `WanAttention` = `Attention` with
// "rms_norm_across_heads" q/k norms and biased projections (text-to-video: no added k/v
// projections); `ffn` is `FeedForward(activation_fn="gelu-approximate")`.
//   shift, scale, gate, c_shift, c_scale, c_gate = (scale_shift_table [1,6,D] + tproj).chunk(6, dim=1)
//   x = x + attn1(LN1(x)·(1+scale) + shift, rope) · gate          LN1/LN3: FP32 LayerNorm, no affine
//   x = x + attn2(norm2(x), ctx)                                   norm2: affine LN if cross_attn_norm; NO gate
//   x = x + ffn(LN3(x)·(1+c_scale) + c_shift) · c_gate
import TensorCore
import WeightsIO

/// One Wan DiT block (`blocks.N.*`).
struct WanTransformerBlock: Sendable {
    /// `[1, 6, D]`: shift, scale, gate, c_shift, c_scale, c_gate offsets.
    let scaleShiftTable: Tensor
    let selfAttention: Attention
    let crossAttention: Attention
    /// Affine LayerNorm before cross-attention, or nil (identity) when `cross_attn_norm` is false.
    let norm2: LayerNorm?
    let feedForward: FeedForward
    let eps: Float

    init(_ source: some WeightSource, config: WanTransformerConfig) throws {
        let dim = config.innerDim
        scaleShiftTable = try source.tensor("scale_shift_table", shape: [1, 6, dim])
        selfAttention = try Self.attention(source.scoped("attn1."), config: config)
        crossAttention = try Self.attention(source.scoped("attn2."), config: config)
        norm2 = config.crossAttentionNorm ? try LayerNorm(source.scoped("norm2."), dim: dim, eps: config.eps) : nil
        feedForward = try FeedForward(source.scoped("ffn."), dim: dim, innerDim: config.ffnDim,
                                      activation: .geluApproximate)
        eps = config.eps
    }

    /// transformer_wan.py `WanAttention(dim, heads, dim_head=dim // heads, eps)`: q/k/v/out with
    /// bias, RMSNorm over all heads on q and k.
    private static func attention(_ source: some WeightSource, config: WanTransformerConfig) throws -> Attention {
        try Attention(source, queryDim: config.innerDim, heads: config.attentionHeadCount,
                      dimHead: config.attentionHeadDim, bias: true, qkNorm: .rmsNormAcrossHeads, eps: config.eps)
    }

    /// x: [B, S, D], text: attn2's keys and values of the context ([B, L, Nh, dh] each,
    /// `crossAttention.keysValues(context:)`), timestepProjection: [B, 6, D] (or [K, 6, D] with
    /// `tokenRows`: B·S row indices, token r modulated by row tokenRows[r]), rotary: [S, dh] -> [B, S, D]
    func callAsFunction(_ x: Tensor, text: Attention.KeysValues, timestepProjection: Tensor, tokenRows: [Int]? = nil,
                        rotary: RotaryTable) throws(TensorShapeError) -> Tensor {
        // each [B, 1, D] (or [K, 1, D]), in the order shift, scale, gate, c_shift, c_scale, c_gate
        let m = try (scaleShiftTable + timestepProjection).chunked(6, axis: 1)
        var x = x

        // 1. self-attention (gated)
        let n1 = try x.layerNorm(eps: eps).modulated(scale: m[1], shift: m[0], rows: tokenRows)
        try x.addGatedInPlace(selfAttention(n1, rotary: rotary), gate: m[2], rows: tokenRows)

        // 2. cross-attention (not gated)
        let n2 = norm2.map { $0(x) } ?? x
        try x.addInPlace(crossAttention(n2, keysValues: text))

        // 3. feed-forward (gated)
        let n3 = try x.layerNorm(eps: eps).modulated(scale: m[4], shift: m[3], rows: tokenRows)
        try x.addGatedInPlace(feedForward(n3), gate: m[5], rows: tokenRows)
        return x
    }
}
