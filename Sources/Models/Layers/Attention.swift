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

    /// The keys and values of a cross-attention context, `[B, L, Nh, dh]` each (after `norm_k`).
    /// They depend on the context alone, so a denoising loop computes them once per prompt
    /// (`keysValues(context:keyBias:)`) instead of once per step.
    public struct KeysValues: Sendable {
        public let keys: Tensor
        public let values: Tensor
        /// Additive offsets of each key's logits, `[B, 1, 1, L]`, or nil: log n for a key that
        /// stands for n identical keys, −inf for a key that is only batch padding.
        public let keyBias: Tensor?
    }

    /// context: [B, L, cross_attention_dim] -> its keys and values (no rotary: cross-attention),
    /// with `keyBias` ([B, 1, 1, L]) added to the logits of each key.
    public func keysValues(context: Tensor, keyBias: Tensor? = nil) -> KeysValues {
        let (B, L) = (context.shape[0], context.shape[1])
        var k = toK(context)                                      // [B, L, inner]
        if qkNorm == .rmsNormAcrossHeads, let normK { k = normK(k) }
        k = k.reshaped([B, L, heads, headDim])                    // -> [B, L, Nh, dh]
        if qkNorm != .rmsNormAcrossHeads, let normK { k = normK(k) }
        return KeysValues(keys: k, values: toV(context).reshaped([B, L, heads, headDim]), keyBias: keyBias)
    }

    /// x: [B, S, query_dim], context: [B, L, cross_attention_dim] (nil: self-attention),
    /// rotary: [S − rotaryTokenOffset, ≤ dh] -> [B, S, out_dim]
    ///
    /// The rotary table turns the query rows from `rotaryTokenOffset` on (CogVideoX's video
    /// tokens after its text tokens) and, for self-attention only, the key rows likewise.
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil, rotary: RotaryTable? = nil,
                               rotaryTokenOffset: Int = 0) -> Tensor {
        if let context {
            return attend(x, keysValues: keysValues(context: context), rotary: rotary, rotaryTokenOffset: rotaryTokenOffset)
        }
        // self-attention: keys and values of x itself, rotated like the queries
        var kv = keysValues(context: x)
        if let rotary {
            kv = KeysValues(keys: kv.keys.applyingRotary(rotary, layout: .sequenceHeads, tokenOffset: rotaryTokenOffset),
                            values: kv.values, keyBias: nil)
        }
        return attend(x, keysValues: kv, rotary: rotary, rotaryTokenOffset: rotaryTokenOffset)
    }

    /// Cross-attention of x: [B, S, query_dim] over precomputed `keysValues` ([B, L, Nh, dh]) ->
    /// [B, S, out_dim]; the same numbers as `callAsFunction(x, context:)` with their context.
    public func callAsFunction(_ x: Tensor, keysValues: KeysValues) -> Tensor {
        attend(x, keysValues: keysValues, rotary: nil, rotaryTokenOffset: 0)
    }

    /// Queries of x, attention over `keysValues`, output projection.
    private func attend(_ x: Tensor, keysValues kv: KeysValues, rotary: RotaryTable?, rotaryTokenOffset: Int) -> Tensor {
        let (B, S) = (x.shape[0], x.shape[1])
        var q = toQ(x)                                            // [B, S, inner]
        if qkNorm == .rmsNormAcrossHeads, let normQ { q = normQ(q) }
        q = q.reshaped([B, S, heads, headDim])                    // -> [B, S, Nh, dh]
        // Over dh, row by row: the same numbers as diffusers' [B, Nh, S, dh] after transpose.
        if qkNorm != .rmsNormAcrossHeads, let normQ { q = normQ(q) }
        if let rotary { q = q.applyingRotary(rotary, layout: .sequenceHeads, tokenOffset: rotaryTokenOffset) }
        let o = scaledDotProductAttention(q, kv.keys, kv.values, mask: kv.keyBias,
                                          scale: 1 / Float(headDim).squareRoot(),
                                          layout: .batchSequenceHead)   // [B, S, Nh, dh]
        return toOut(o.reshaped([B, S, heads * headDim]))
    }
}
