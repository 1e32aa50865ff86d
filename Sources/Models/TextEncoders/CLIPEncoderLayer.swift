// transformers 5.24.0 models/clip/modeling_clip.py `CLIPEncoderLayer` with `CLIPAttention` and
// `CLIPMLP`: pre-LayerNorm residual sublayers, biased projections, scale dh^-0.5.
import TensorCore
import WeightsIO

/// CLIP self-attention, loaded from `…self_attn.`.
struct CLIPAttention: Sendable {
    let q: Linear
    let k: Linear
    let v: Linear
    let out: Linear
    let headCount: Int
    let headDim: Int

    init(_ source: some WeightSource, config: CLIPTextConfig) throws {
        let D = config.hiddenSize
        q = try Linear(source.scoped("q_proj."), inFeatures: D, outFeatures: D)
        k = try Linear(source.scoped("k_proj."), inFeatures: D, outFeatures: D)
        v = try Linear(source.scoped("v_proj."), inFeatures: D, outFeatures: D)
        out = try Linear(source.scoped("out_proj."), inFeatures: D, outFeatures: D)
        headCount = config.headCount
        headDim = D / config.headCount
    }

    /// x: `[B, L, D]`, keyMask: additive `[B, 1, 1, L]` or nil; always causal -> `[B, L, D]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?) -> Tensor {
        let B = x.shape[0], L = x.shape[1]
        let query = q(x).reshaped([B, L, headCount, headDim])  // [B, L, H, dh]
        let key = k(x).reshaped([B, L, headCount, headDim])
        let value = v(x).reshaped([B, L, headCount, headDim])
        let attended = scaledDotProductAttention(query, key, value, mask: keyMask, isCausal: true,
                                                 scale: 1 / Float(headDim).squareRoot(),
                                                 layout: .batchSequenceHead)  // [B, L, H, dh]
        return out(attended.reshaped([B, L, headCount * headDim]))  // [B, L, D]
    }
}

/// `fc2(act(fc1 x))`, loaded from `…mlp.`.
struct CLIPMLP: Sendable {
    let fc1: Linear
    let fc2: Linear
    let activation: Activation

    init(_ source: some WeightSource, config: CLIPTextConfig, activation: Activation) throws {
        fc1 = try Linear(source.scoped("fc1."), inFeatures: config.hiddenSize, outFeatures: config.intermediateSize)
        fc2 = try Linear(source.scoped("fc2."), inFeatures: config.intermediateSize, outFeatures: config.hiddenSize)
        self.activation = activation
    }

    /// x: `[B, L, D]` -> `[B, L, D]`.
    func callAsFunction(_ x: Tensor) -> Tensor {
        var hidden = fc1(x)  // [B, L, I]
        hidden.activateInPlace(activation)
        return fc2(hidden)
    }
}

/// One encoder layer, loaded from `encoder.layers.{i}.`.
struct CLIPEncoderLayer: Sendable {
    let layerNorm1: LayerNorm
    let attention: CLIPAttention
    let layerNorm2: LayerNorm
    let mlp: CLIPMLP

    init(_ source: some WeightSource, config: CLIPTextConfig, activation: Activation) throws {
        let D = config.hiddenSize, eps = config.layerNormEps
        layerNorm1 = try LayerNorm(source.scoped("layer_norm1."), dim: D, eps: eps)
        attention = try CLIPAttention(source.scoped("self_attn."), config: config)
        layerNorm2 = try LayerNorm(source.scoped("layer_norm2."), dim: D, eps: eps)
        mlp = try CLIPMLP(source.scoped("mlp."), config: config, activation: activation)
    }

    /// x: `[B, L, D]` -> `[B, L, D]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?) throws(TensorShapeError) -> Tensor {
        var x = x
        try x += attention(layerNorm1(x), keyMask: keyMask)
        try x += mlp(layerNorm2(x))
        return x
    }
}
