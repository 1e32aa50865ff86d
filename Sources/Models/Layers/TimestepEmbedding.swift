// diffusers 0.42.1 models/embeddings.py `TimestepEmbedding` (without `cond_proj` and
// `post_act_fn`, which no ported family sets):
//   linear_2(act(linear_1(sample)))        act: `act_fn`, "silu" by default
// Its input is the sinusoid of `Timesteps`, which is TensorCore's `SinusoidalEmbedding.timesteps`.
import TensorCore
import WeightsIO

/// The MLP that turns a timestep sinusoid into the time embedding (`time_embedder.` /
/// `time_embedding.` prefixes).
public struct TimestepEmbedding: Sendable {
    /// `linear_1`: `[time_embed_dim, in_channels]`.
    public let linear1: Linear
    /// `linear_2`: `[out_dim, time_embed_dim]`.
    public let linear2: Linear
    /// `act_fn` (diffusers `get_activation`: "silu", "swish", "gelu", "relu", "mish" — this port
    /// takes the ones TensorCore's `Activation` has).
    public let activation: Activation

    /// Loads `linear_1` and `linear_2` under `source`; `outDim` defaults to `timeEmbedDim`.
    public init(_ source: some WeightSource, inChannels: Int, timeEmbedDim: Int, activation: Activation = .silu,
                outDim: Int? = nil, sampleProjectionBias: Bool = true) throws {
        linear1 = try Linear(source.scoped("linear_1."), inFeatures: inChannels, outFeatures: timeEmbedDim,
                             bias: sampleProjectionBias)
        linear2 = try Linear(source.scoped("linear_2."), inFeatures: timeEmbedDim, outFeatures: outDim ?? timeEmbedDim,
                             bias: sampleProjectionBias)
        self.activation = activation
    }

    /// sample: [B, in_channels] -> [B, out_dim]
    public func callAsFunction(_ sample: Tensor) -> Tensor {
        var h = linear1(sample)                 // [B, time_embed_dim]
        h.activateInPlace(activation)
        return linear2(h)
    }
}
