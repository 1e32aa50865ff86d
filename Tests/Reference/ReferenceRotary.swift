import Foundation

// Rotary and sinusoidal references in Double, written as complex multiplication:
// each pair (x[2i], x[2i+1]) is the complex number x[2i] + i·x[2i+1], multiplied by e^{iθ}.

extension Reference {
    /// Rotates one head vector `x` (dh values) by the angles of axis parts: `parts` lists
    /// (position, width) for consecutive slices of the vector ([t | h | w] for 3-D RoPE).
    public static func rotate(_ x: [Double], parts: [(position: Double, width: Int)], theta: Double = 10_000) -> [Double] {
        var out = x
        var offset = 0
        for (position, width) in parts {
            for i in 0..<(width / 2) {
                let angle = position / pow(theta, Double(2 * i) / Double(width))
                let (re, im) = (x[offset + 2 * i], x[offset + 2 * i + 1])
                let (c, s) = (cos(angle), sin(angle))
                // (re + i·im)(c + i·s)
                out[offset + 2 * i] = re * c - im * s
                out[offset + 2 * i + 1] = re * s + im * c
            }
            offset += width
        }
        return out
    }

    /// `rotate` applied to every head vector of `x: [B, S, Nh, dh]` (row-major), token `s`
    /// rotated by the parts `tokenParts(s)`.
    public static func rotateHeads(_ x: [Float], shape: [Int],
                                   tokenParts: (Int) -> [(position: Double, width: Int)]) -> [Double] {
        let (b, s, nh, dh) = (shape[0], shape[1], shape[2], shape[3])
        var out: [Double] = []
        out.reserveCapacity(x.count)
        for row in 0..<(b * s * nh) {
            let v = x[(row * dh)..<((row + 1) * dh)].map(Double.init)
            out += rotate(v, parts: tokenParts((row / nh) % s))
        }
        return out
    }

    /// `get_timestep_embedding` evaluated in Double.
    public static func timestepEmbedding(_ t: Double, dim: Int, flipSinToCos: Bool, shift: Double,
                                         scale: Double, maxPeriod: Double) -> [Double] {
        let half = dim / 2
        var sines = [Double](), cosines = [Double]()
        for i in 0..<half {
            let arg = scale * t * exp(-log(maxPeriod) * Double(i) / (Double(half) - shift))
            sines.append(sin(arg)); cosines.append(cos(arg))
        }
        var out = flipSinToCos ? cosines + sines : sines + cosines
        if dim % 2 == 1 { out.append(0) }
        return out
    }
}
