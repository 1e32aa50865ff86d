// transformers 5.24.0 models/umt5/modeling_umt5.py `UMT5Block` (encoder: no cross-attention),
// with `UMT5LayerSelfAttention` and `UMT5LayerFF`: pre-RMS-norm residual sublayers.
import TensorCore
import WeightsIO

/// One encoder layer, loaded from `encoder.block.{i}.`.
struct UMT5Block: Sendable {
    /// `layer.0.layer_norm`
    let attentionNorm: RMSNorm
    /// `layer.0.SelfAttention`
    let attention: UMT5Attention
    /// `layer.1.layer_norm`
    let feedForwardNorm: RMSNorm
    /// `layer.1.DenseReluDense`
    let feedForward: UMT5FeedForward

    init(_ source: some WeightSource, config: UMT5Config, feedForward kind: UMT5FeedForwardKind,
         hasRelativeBias: Bool) throws {
        let D = config.modelDim, eps = config.layerNormEpsilon
        attentionNorm = try RMSNorm(source.scoped("layer.0.layer_norm."), dim: D, eps: eps)
        attention = try UMT5Attention(source.scoped("layer.0.SelfAttention."), config: config,
                                      hasRelativeBias: hasRelativeBias)
        feedForwardNorm = try RMSNorm(source.scoped("layer.1.layer_norm."), dim: D, eps: eps)
        feedForward = try UMT5FeedForward(source.scoped("layer.1.DenseReluDense."), config: config, kind: kind)
    }

    /// x: `[B, L, D]`, mask: additive `[B or 1, H, L, L]` -> `[B, L, D]`.
    func callAsFunction(_ x: Tensor, mask: Tensor) throws(TensorShapeError) -> Tensor {
        var x = x
        try x += attention(attentionNorm(x), mask: mask)  // x + O(SelfAttn(RMS(x)))
        try x += feedForward(feedForwardNorm(x))  // x + FF(RMS(x))
        return x
    }
}
