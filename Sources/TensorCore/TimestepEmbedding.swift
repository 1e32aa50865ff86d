import Foundation

// Sinusoidal timestep embedding: diffusers 0.42.1 models/embeddings.py
// `get_timestep_embedding` (used by the `Timesteps` module).
// Every step is float32 like torch:
//   exponent_i = f32(−ln(max_period)) · i / f32(half − downscale_freq_shift)
//   freq_i = exp(exponent_i) ; arg = scale · (t · freq_i)
//   emb = [sin(arg), cos(arg)]  (or [cos, sin] with flip_sin_to_cos); odd dim: a zero column.

/// Builders for sinusoidal embeddings.
public enum SinusoidalEmbedding {
    /// `get_timestep_embedding(timesteps, dim, flip_sin_to_cos, downscale_freq_shift, scale,
    /// max_period)` → `[N, dim]` for `N` timesteps (given as Float, i.e. after `t.float()`).
    /// Wan and CogVideoX use `flipSinToCos: true, downscaleFreqShift: 0`.
    public static func timesteps(_ timesteps: [Float], dim: Int, flipSinToCos: Bool = true,
                                 downscaleFreqShift: Float = 0, scale: Float = 1,
                                 maxPeriod: Float = 10_000) -> Tensor {
        precondition(dim >= 1, "timestep embedding dim \(dim)")
        let half = dim / 2
        let logPeriod = Float(-Foundation.log(Double(maxPeriod)))
        let denominator = Float(half) - downscaleFreqShift
        let freqs: [Float] = (0..<half).map { i in
            Foundation.exp((logPeriod * Float(i)) / denominator)
        }
        let n = timesteps.count
        var out = [Float](repeating: 0, count: n * dim)
        for (row, t) in timesteps.enumerated() {
            for i in 0..<half {
                let arg = scale * (t * freqs[i])
                let (s, c) = (Foundation.sin(arg), Foundation.cos(arg))
                out[row * dim + i] = flipSinToCos ? c : s
                out[row * dim + half + i] = flipSinToCos ? s : c
            }
        }
        return Tensor(shape: [n, dim], data: out)
    }
}
