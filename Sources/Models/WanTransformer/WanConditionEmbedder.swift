// diffusers 0.42.1 models/transformers/transformer_wan.py `WanTimeTextImageEmbedding`
// (text-to-video: no image embedder):
//   tp    = Timesteps(freq_dim, flip_sin_to_cos=True, shift=0)(t)
//   temb  = time_embedder(tp)             TimestepEmbedding(freq_dim, D): linear_2(silu(linear_1(tp)))   [B, D]
//   tproj = time_proj(silu(temb))                                                                    [B, 6D]
//   ctx   = text_embedder(text)           PixArtAlphaTextProjection(text_dim, D, act_fn="gelu_tanh")
import TensorCore
import WeightsIO

/// The timestep and text conditioning of the Wan transformer (`condition_embedder.*`).
struct WanConditionEmbedder: Sendable {
    let frequencyDim: Int
    /// `time_embedder.linear_1` / `linear_2`.
    let timeEmbedder: TimestepEmbedding
    /// `time_proj`: `[6D, D]`.
    let timeProjection: Linear
    /// `text_embedder.linear_1` / `linear_2`.
    let textEmbedder: PixArtAlphaTextProjection

    init(_ source: some WeightSource, dim: Int, frequencyDim: Int, textDim: Int) throws {
        self.frequencyDim = frequencyDim
        timeEmbedder = try TimestepEmbedding(source.scoped("time_embedder."), inChannels: frequencyDim,
                                             timeEmbedDim: dim)
        timeProjection = try Linear(source.scoped("time_proj."), inFeatures: dim, outFeatures: 6 * dim)
        textEmbedder = try PixArtAlphaTextProjection(source.scoped("text_embedder."), inFeatures: textDim,
                                                     hiddenSize: dim, activation: .geluTanh)
    }

    /// timesteps: B values (int timesteps as exact Floats) -> (temb [B, D], timestep_proj [B, 6D])
    func time(_ timesteps: [Float]) -> (temb: Tensor, projection: Tensor) {
        let sinusoid = SinusoidalEmbedding.timesteps(timesteps, dim: frequencyDim,
                                                     flipSinToCos: true, downscaleFreqShift: 0)   // [B, freq]
        let temb = timeEmbedder(sinusoid)                       // [B, D]
        return (temb, timeProjection(temb.silu()))              // [B, 6D]
    }

    /// text: [B, L, text_dim] -> [B, L, D]
    func text(_ text: Tensor) -> Tensor {
        textEmbedder(text)
    }
}
