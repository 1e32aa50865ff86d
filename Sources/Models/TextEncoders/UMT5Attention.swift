// transformers 5.24.0 models/umt5/modeling_umt5.py `UMT5Attention` (encoder self-attention;
// the same as T5's `T5Attention`): bias-free q/k/v/o, no 1/√d scaling, an additive
// relative-position bias.
import TensorCore
import WeightsIO

/// T5 / UMT5 self-attention, loaded from `…layer.0.SelfAttention.`.
struct UMT5Attention: Sendable {
    let q: Linear
    let k: Linear
    let v: Linear
    let o: Linear
    /// `relative_attention_bias.weight` `[buckets, H]` when this layer owns a table
    /// (every UMT5 layer; only layer 0 of T5).
    let relativeBias: Tensor?
    let headCount: Int
    let headDim: Int

    init(_ source: some WeightSource, config: UMT5Config, hasRelativeBias: Bool) throws {
        let D = config.modelDim, inner = config.headCount * config.headDim
        q = try Linear(source.scoped("q."), inFeatures: D, outFeatures: inner, bias: false)
        k = try Linear(source.scoped("k."), inFeatures: D, outFeatures: inner, bias: false)
        v = try Linear(source.scoped("v."), inFeatures: D, outFeatures: inner, bias: false)
        o = try Linear(source.scoped("o."), inFeatures: inner, outFeatures: D, bias: false)
        relativeBias = hasRelativeBias
            ? try source.tensor("relative_attention_bias.weight",
                                shape: [config.relativeAttentionBucketCount, config.headCount])
            : nil
        headCount = config.headCount
        headDim = config.headDim
    }

    /// The position bias `[1, H, Lq, Lk]` (`compute_bias`): `bias[0, h, i, j] = table[bucket(i, j), h]`.
    /// `buckets`: `[Lq * Lk]` from `RelativePositionBuckets.table`.
    static func positionBias(table: Tensor, buckets: [Int], queries: Int, keys: Int) -> Tensor {
        let H = table.shape[1]
        let plane = queries * keys
        return Tensor(shape: [1, H, queries, keys]) { out in
            table.data.withUnsafeBufferPointer { t in
                for h in 0..<H {
                    let o = out.baseAddress! + h * plane
                    for n in 0..<plane { o[n] = t[buckets[n] * H + h] }
                }
            }
        }
    }

    /// x: `[B, L, D]`, mask: additive, broadcastable to `[B, H, L, L]` (position bias plus
    /// key padding) -> `[B, L, D]`.
    func callAsFunction(_ x: Tensor, mask: Tensor) -> Tensor {
        let B = x.shape[0], L = x.shape[1]
        let query = q(x).reshaped([B, L, headCount, headDim])  // [B, L, H, dh]
        let key = k(x).reshaped([B, L, headCount, headDim])
        let value = v(x).reshaped([B, L, headCount, headDim])
        // softmax(q·kᵀ + bias + mask)·v with scale 1 (T5 folds 1/√d into its init).
        let attended = scaledDotProductAttention(query, key, value, mask: mask, scale: 1,
                                                 layout: .batchSequenceHead)  // [B, L, H, dh]
        return o(attended.reshaped([B, L, headCount * headDim]))  // [B, L, D]
    }
}
