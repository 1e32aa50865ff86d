import Foundation

// Fixed sinusoidal position embeddings of diffusers 0.42.1 models/embeddings.py
// `get_1d_sincos_pos_embed_from_grid` (float64) and
// `get_2d_sincos_pos_embed` (PatchEmbed / Latte; grid in float32, embedding in float64).

extension SinusoidalEmbedding {
    /// `get_1d_sincos_pos_embed_from_grid(dim, positions)`: `cat[sin(pos·ω), cos(pos·ω)]`
    /// with `ω_i = 1/10000^(i/(dim/2))`, computed in Double → `[M, dim]`.
    public static func positions1D(_ positions: [Double], dim: Int, flipSinToCos: Bool = false) -> Tensor {
        precondition(dim % 2 == 0, "sincos embedding dim \(dim) must be even")
        let half = dim / 2
        let omega = (0..<half).map { 1 / Foundation.pow(10_000.0, Double($0) / (Double(dim) / 2)) }
        var out = [Float](repeating: 0, count: positions.count * dim)
        for (m, pos) in positions.enumerated() {
            for i in 0..<half {
                let (s, c) = (Float(Foundation.sin(pos * omega[i])), Float(Foundation.cos(pos * omega[i])))
                out[m * dim + i] = flipSinToCos ? c : s
                out[m * dim + half + i] = flipSinToCos ? s : c
            }
        }
        return Tensor(shape: [positions.count, dim], data: out)
    }

    /// `get_2d_sincos_pos_embed(dim, (height, width), base_size:, interpolation_scale:)` →
    /// `[height·width, dim]`, tokens row-major over (h, w); each token is
    /// `cat[1d(dim/2, x = column coordinate), 1d(dim/2, y = row coordinate)]`.
    public static func positions2D(dim: Int, height: Int, width: Int, baseSize: Int = 16,
                                   interpolationScale: Double = 1) -> Tensor {
        precondition(dim % 4 == 0, "2-D sincos embedding dim \(dim) must be divisible by 4")
        // grid = arange(n, float32) / (n / base_size) / interpolation_scale, all in float32.
        func grid(_ n: Int) -> [Double] {
            (0..<n).map { Double(Float($0) / Float(Double(n) / Double(baseSize)) / Float(interpolationScale)) }
        }
        let gy = grid(height), gx = grid(width)
        let xs = positions1D(gx, dim: dim / 2)   // [W, dim/2]
        let ys = positions1D(gy, dim: dim / 2)   // [H, dim/2]
        let half = dim / 2
        var out = [Float](repeating: 0, count: height * width * dim)
        for h in 0..<height {
            for w in 0..<width {
                let base = (h * width + w) * dim
                for j in 0..<half {
                    out[base + j] = xs.data[w * half + j]
                    out[base + half + j] = ys.data[h * half + j]
                }
            }
        }
        return Tensor(shape: [height * width, dim], data: out)
    }
}
