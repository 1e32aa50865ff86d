// diffusers 0.42.1 models/transformers/transformer_wan.py `WanAttention` + `WanAttnProcessor`
// (text-to-video: no added k/v projections), MODELS.md §5.3 and §14 item 8.
//   q, k, v = to_q(x), to_k(ctx), to_v(ctx)          (all with bias; ctx = x for self-attention)
//   q, k = RMSNorm(Nh·dh)(q), RMSNorm(Nh·dh)(k)     ("across heads": before the head split)
//   split heads [B, S, Nh, dh]; interleaved RoPE on q, k (self-attention only)
//   SDPA (scale dh^-0.5, no mask) → merge heads → to_out.0
import TensorCore
import WeightsIO

/// One Wan attention layer (`attn1` self-attention with RoPE, or `attn2` cross-attention).
struct WanAttention: Sendable {
    let toQ: Linear
    let toK: Linear
    let toV: Linear
    let toOut: Linear
    let normQ: RMSNorm
    let normK: RMSNorm
    let heads: Int
    let headDim: Int

    /// Loads `to_q`, `to_k`, `to_v`, `to_out.0`, `norm_q`, `norm_k` under `source`.
    init(_ source: some WeightSource, dim: Int, heads: Int, eps: Float) throws {
        toQ = try Linear(source.scoped("to_q."), inFeatures: dim, outFeatures: dim)
        toK = try Linear(source.scoped("to_k."), inFeatures: dim, outFeatures: dim)
        toV = try Linear(source.scoped("to_v."), inFeatures: dim, outFeatures: dim)
        toOut = try Linear(source.scoped("to_out.0."), inFeatures: dim, outFeatures: dim)
        normQ = try RMSNorm(source.scoped("norm_q."), dim: dim, eps: eps)
        normK = try RMSNorm(source.scoped("norm_k."), dim: dim, eps: eps)
        self.heads = heads
        headDim = dim / heads
    }

    /// x: [B, S, D], context: [B, L, D] (nil = self-attention), rotary: [S, dh] -> [B, S, D]
    func callAsFunction(_ x: Tensor, context: Tensor? = nil, rotary: RotaryTable? = nil) -> Tensor {
        let kv = context ?? x
        let (B, S, L) = (x.shape[0], x.shape[1], kv.shape[1])
        var q = normQ(toQ(x)).reshaped([B, S, heads, headDim])    // -> [B, S, Nh, dh]
        var k = normK(toK(kv)).reshaped([B, L, heads, headDim])   // -> [B, L, Nh, dh]
        let v = toV(kv).reshaped([B, L, heads, headDim])          // -> [B, L, Nh, dh]
        if let rotary {
            q = q.applyingRotary(rotary, layout: .sequenceHeads)
            k = k.applyingRotary(rotary, layout: .sequenceHeads)
        }
        let o = scaledDotProductAttention(q, k, v, scale: 1 / Float(headDim).squareRoot(),
                                          layout: .batchSequenceHead)   // [B, S, Nh, dh]
        return toOut(o.reshaped([B, S, heads * headDim]))
    }
}
