// diffusers 0.42.1 models/attention_processor.py `Attention` run by `AttnProcessor2_0`, with
// the q/k norms of its `qk_norm` option and the rotary embedding of the processors that take
// one (transformer_wan.py `WanAttnProcessor`, attention_processor.py `CogVideoXAttnProcessor2_0`):
//   q = to_q(x); k, v = to_k(ctx), to_v(ctx)             ctx = x for self-attention
//   "rms_norm_across_heads": q, k = RMSNorm(Nh·dh)(q, k)   before the head split (Wan, LTX)
//   split heads → [B, S, Nh, dh]
//   "rms_norm" / "layer_norm": q, k = norm(dh)(q, k)       per head (CogVideoX: "layer_norm")
//   rotary on q, and on k for self-attention (rows from `rotaryTokenOffset` on)
//   SDPA (scale dh^-0.5, no mask) → merge heads → to_out.0 (to_out.1 is Dropout)
// Not ported (no family here sets them): group_norm, spatial_norm, norm_cross, added k/v
// projections, kv_heads, residual_connection, rescale_output_factor, attention masks.
import TensorCore
import WeightsIO

/// A diffusers attention layer (`attn1.`, `attn2.`, …): self-attention, or cross-attention
/// when called with a context.
public struct Attention: Sendable {
    /// diffusers' `qk_norm`.
    public enum QKNorm: String, Sendable, CaseIterable {
        /// `nn.LayerNorm(dim_head, elementwise_affine=…)`, per head (CogVideoX).
        case layerNorm = "layer_norm"
        /// `RMSNorm(dim_head, elementwise_affine=…)`, per head.
        case rmsNorm = "rms_norm"
        /// `RMSNorm(dim_head · heads)` with a weight, over all heads before the split (Wan, LTX).
        case rmsNormAcrossHeads = "rms_norm_across_heads"
    }

    /// One of the q/k norm layers.
    enum Norm: Sendable {
        case layer(LayerNorm)
        case rms(RMSNorm)

        /// x: [..., width] -> [..., width]
        func callAsFunction(_ x: Tensor) -> Tensor {
            switch self {
            case let .layer(norm): return norm(x)
            case let .rms(norm): return norm(x)
            }
        }
    }

    /// `to_q`: `[inner, query_dim]`.
    public let toQ: Linear
    /// `to_k`, `to_v`: `[inner, cross_attention_dim]` (`query_dim` when not given).
    public let toK: Linear
    public let toV: Linear
    /// `to_out.0`: `[out_dim, inner]`.
    public let toOut: Linear
    public let qkNorm: QKNorm?
    /// `norm_q`, `norm_k`, present when `qkNorm` is set.
    let normQ: Norm?
    let normK: Norm?
    public let heads: Int
    public let headDim: Int

    /// Loads `to_q`, `to_k`, `to_v`, `to_out.0` and, with `qkNorm`, `norm_q` / `norm_k` under
    /// `source`, with diffusers' constructor arguments and defaults: inner width
    /// `out_dim ?? dim_head · heads`, heads `out_dim / dim_head` when `out_dim` is given, output
    /// width `out_dim ?? query_dim`; `bias` for q/k/v, `outBias` for `to_out.0`;
    /// `elementwiseAffine` for the per-head norms (the across-heads norm always has a weight).
    public init(_ source: some WeightSource, queryDim: Int, crossAttentionDim: Int? = nil, heads: Int = 8,
                dimHead: Int = 64, outDim: Int? = nil, bias: Bool = false, outBias: Bool = true,
                qkNorm: QKNorm? = nil, eps: Float = 1e-5, elementwiseAffine: Bool = true) throws {
        let inner = outDim ?? dimHead * heads
        let keyDim = crossAttentionDim ?? queryDim
        self.heads = outDim.map { $0 / dimHead } ?? heads
        headDim = dimHead
        toQ = try Linear(source.scoped("to_q."), inFeatures: queryDim, outFeatures: inner, bias: bias)
        toK = try Linear(source.scoped("to_k."), inFeatures: keyDim, outFeatures: inner, bias: bias)
        toV = try Linear(source.scoped("to_v."), inFeatures: keyDim, outFeatures: inner, bias: bias)
        toOut = try Linear(source.scoped("to_out.0."), inFeatures: inner, outFeatures: outDim ?? queryDim, bias: outBias)
        self.qkNorm = qkNorm
        func norm(_ prefix: String) throws -> Norm? {
            let scope = source.scoped(prefix)
            switch qkNorm {
            case nil:
                return nil
            case .layerNorm:
                return .layer(elementwiseAffine ? try LayerNorm(scope, dim: dimHead, eps: eps) : LayerNorm(eps: eps))
            case .rmsNorm:
                return .rms(elementwiseAffine ? try RMSNorm(scope, dim: dimHead, eps: eps) : RMSNorm(eps: eps))
            case .rmsNormAcrossHeads:
                return .rms(try RMSNorm(scope, dim: inner, eps: eps))
            }
        }
        normQ = try norm("norm_q.")
        normK = try norm("norm_k.")
    }

    /// x: [B, S, query_dim], context: [B, L, cross_attention_dim] (nil: self-attention),
    /// rotary: [S − rotaryTokenOffset, ≤ dh] -> [B, S, out_dim]
    ///
    /// The rotary table turns the query rows from `rotaryTokenOffset` on (CogVideoX's video
    /// tokens after its text tokens) and, for self-attention only, the key rows likewise.
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil, rotary: RotaryTable? = nil,
                               rotaryTokenOffset: Int = 0) -> Tensor {
        let kv = context ?? x
        let (B, S, L) = (x.shape[0], x.shape[1], kv.shape[1])
        var q = toQ(x), k = toK(kv)                                // [B, S, inner], [B, L, inner]
        if qkNorm == .rmsNormAcrossHeads, let normQ, let normK {
            q = normQ(q)
            k = normK(k)
        }
        q = q.reshaped([B, S, heads, headDim])                    // -> [B, S, Nh, dh]
        k = k.reshaped([B, L, heads, headDim])                    // -> [B, L, Nh, dh]
        let v = toV(kv).reshaped([B, L, heads, headDim])          // -> [B, L, Nh, dh]
        if qkNorm != .rmsNormAcrossHeads, let normQ, let normK {
            // Over dh, row by row: the same numbers as diffusers' [B, Nh, S, dh] after transpose.
            q = normQ(q)
            k = normK(k)
        }
        if let rotary {
            q = q.applyingRotary(rotary, layout: .sequenceHeads, tokenOffset: rotaryTokenOffset)
            if context == nil {
                k = k.applyingRotary(rotary, layout: .sequenceHeads, tokenOffset: rotaryTokenOffset)
            }
        }
        let o = scaledDotProductAttention(q, k, v, scale: 1 / Float(headDim).squareRoot(),
                                          layout: .batchSequenceHead)   // [B, S, Nh, dh]
        return toOut(o.reshaped([B, S, heads * headDim]))
    }
}
