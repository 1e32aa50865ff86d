// diffusers 0.42.1 models/embeddings.py `PixArtAlphaTextProjection`:
//   linear_2(act_1(linear_1(caption)))     act_1: GELU(tanh) ("gelu_tanh", default) or SiLU ("silu")
// The caption projection of PixArt-α, Wan (`condition_embedder.text_embedder`), Latte, LTX.
// ("silu_fp32" is SiLU computed in float32, which is what "silu" already is here.)
import TensorCore
import WeightsIO

/// Projects text-encoder states to the transformer width (`text_embedder.` / `caption_projection.`).
public struct PixArtAlphaTextProjection: Sendable {
    /// diffusers' `act_fn`.
    public enum ActivationFunction: String, Sendable, CaseIterable {
        case geluTanh = "gelu_tanh"
        case silu = "silu"
    }

    /// `linear_1`: `[hidden, in]`.
    public let linear1: Linear
    /// `linear_2`: `[out, hidden]`.
    public let linear2: Linear
    public let activation: ActivationFunction

    /// Loads `linear_1` and `linear_2` (both with bias) under `source`; `outFeatures`
    /// defaults to `hiddenSize`.
    public init(_ source: some WeightSource, inFeatures: Int, hiddenSize: Int, outFeatures: Int? = nil,
                activation: ActivationFunction = .geluTanh) throws {
        linear1 = try Linear(source.scoped("linear_1."), inFeatures: inFeatures, outFeatures: hiddenSize)
        linear2 = try Linear(source.scoped("linear_2."), inFeatures: hiddenSize, outFeatures: outFeatures ?? hiddenSize)
        self.activation = activation
    }

    /// caption: [B, L, in] -> [B, L, out]
    public func callAsFunction(_ caption: Tensor) -> Tensor {
        var h = linear1(caption)                // [B, L, hidden]
        switch activation {
        case .geluTanh: h.activateInPlace(.geluTanh)
        case .silu: h.activateInPlace(.silu)
        }
        return linear2(h)
    }
}
