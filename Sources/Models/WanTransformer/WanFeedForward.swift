// diffusers 0.42.1 models/attention.py `FeedForward(dim, inner_dim=ffn_dim,
// activation_fn="gelu-approximate")` as used by transformer_wan.py `WanTransformerBlock.ffn`
// (MODELS.md §0.2): net.2(gelu_tanh(net.0.proj(x))); net.1 is Dropout.
import TensorCore
import WeightsIO

/// Wan's feed-forward: `ffn.net.0.proj` (D → ffn_dim), GELU-tanh, `ffn.net.2` (ffn_dim → D).
struct WanFeedForward: Sendable {
    let proj: Linear
    let out: Linear

    init(_ source: some WeightSource, dim: Int, innerDim: Int) throws {
        proj = try Linear(source.scoped("net.0.proj."), inFeatures: dim, outFeatures: innerDim)
        out = try Linear(source.scoped("net.2."), inFeatures: innerDim, outFeatures: dim)
    }

    /// x: [B, S, D] -> [B, S, D]
    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = proj(x)                 // [B, S, ffn]
        h.activateInPlace(.geluTanh)
        return out(h)
    }
}
