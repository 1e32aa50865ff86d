// diffusers 0.42.1 models/transformers/transformer_wan.py `WanTimeTextImageEmbedding`
// (text-to-video: no image embedder), MODELS.md §0.1 and §5.2:
//   tp    = Timesteps(freq_dim, flip_sin_to_cos=True, shift=0)(t)
//   temb  = time_embedder.linear_2(silu(time_embedder.linear_1(tp)))     [B, D]
//   tproj = time_proj(silu(temb))                                          [B, 6D]
//   ctx   = text_embedder.linear_2(gelu_tanh(text_embedder.linear_1(text)))  (PixArtAlphaTextProjection)
import TensorCore
import WeightsIO

/// The timestep and text conditioning of the Wan transformer (`condition_embedder.*`).
struct WanConditionEmbedder: Sendable {
    let frequencyDim: Int
    let timeLinear1: Linear
    let timeLinear2: Linear
    let timeProjection: Linear
    let textLinear1: Linear
    let textLinear2: Linear

    init(_ source: some WeightSource, dim: Int, frequencyDim: Int, textDim: Int) throws {
        self.frequencyDim = frequencyDim
        timeLinear1 = try Linear(source.scoped("time_embedder.linear_1."), inFeatures: frequencyDim, outFeatures: dim)
        timeLinear2 = try Linear(source.scoped("time_embedder.linear_2."), inFeatures: dim, outFeatures: dim)
        timeProjection = try Linear(source.scoped("time_proj."), inFeatures: dim, outFeatures: 6 * dim)
        textLinear1 = try Linear(source.scoped("text_embedder.linear_1."), inFeatures: textDim, outFeatures: dim)
        textLinear2 = try Linear(source.scoped("text_embedder.linear_2."), inFeatures: dim, outFeatures: dim)
    }

    /// timesteps: B values (int timesteps as exact Floats) -> (temb [B, D], timestep_proj [B, 6D])
    func time(_ timesteps: [Float]) -> (temb: Tensor, projection: Tensor) {
        let sinusoid = SinusoidalEmbedding.timesteps(timesteps, dim: frequencyDim,
                                                     flipSinToCos: true, downscaleFreqShift: 0)   // [B, freq]
        let temb = timeLinear2(timeLinear1(sinusoid).silu())    // [B, D]
        return (temb, timeProjection(temb.silu()))              // [B, 6D]
    }

    /// text: [B, L, text_dim] -> [B, L, D]
    func text(_ text: Tensor) -> Tensor {
        var h = textLinear1(text)
        h.activateInPlace(.geluTanh)
        return textLinear2(h)
    }
}
