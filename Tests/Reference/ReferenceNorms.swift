import Foundation

// Naive normalisation references in Double, straight from the formulas of torch.nn.LayerNorm / GroupNorm / RMSNorm and diffusers' WanRMS_norm.

extension Reference {
    /// LayerNorm over rows of `width`: (x − μ)/√(σ² + eps)·w + b.
    public static func layerNorm(_ x: [Float], width: Int, weight: [Float]?, bias: [Float]?, eps: Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for r in 0..<(x.count / width) {
            let row = (0..<width).map { Double(x[r * width + $0]) }
            let mu = row.reduce(0, +) / Double(width)
            let variance = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(width)
            for j in 0..<width {
                out[r * width + j] = (row[j] - mu) / (variance + eps).squareRoot()
                    * Double(weight?[j] ?? 1) + Double(bias?[j] ?? 0)
            }
        }
        return out
    }

    /// RMSNorm over rows of `width`: x/√(mean(x²) + eps)·w.
    public static func rmsNorm(_ x: [Float], width: Int, weight: [Float]?, eps: Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for r in 0..<(x.count / width) {
            let row = (0..<width).map { Double(x[r * width + $0]) }
            let ms = row.map { $0 * $0 }.reduce(0, +) / Double(width)
            for j in 0..<width { out[r * width + j] = row[j] / (ms + eps).squareRoot() * Double(weight?[j] ?? 1) }
        }
        return out
    }

    /// GroupNorm of `[B, C, *]`, visiting elements by multi-index.
    public static func groupNorm(_ x: [Float], shape: [Int], groups: Int, weight: [Float]?, bias: [Float]?, eps: Double) -> [Double] {
        let c = shape[1]
        var sums = [Double](repeating: 0, count: shape[0] * groups)
        var counts = [Double](repeating: 0, count: shape[0] * groups)
        func key(_ i: Int) -> Int {
            let idx = multiIndex(i, shape: shape)
            return idx[0] * groups + idx[1] / (c / groups)
        }
        for i in 0..<x.count { sums[key(i)] += Double(x[i]); counts[key(i)] += 1 }
        let means = zip(sums, counts).map { $0 / $1 }
        var sq = [Double](repeating: 0, count: sums.count)
        for i in 0..<x.count { let d = Double(x[i]) - means[key(i)]; sq[key(i)] += d * d }
        return (0..<x.count).map { i in
            let k = key(i)
            let ch = multiIndex(i, shape: shape)[1]
            return (Double(x[i]) - means[k]) / (sq[k] / counts[k] + eps).squareRoot()
                * Double(weight?[ch] ?? 1) + Double(bias?[ch] ?? 0)
        }
    }

    /// WanRMS_norm: x / max(‖x‖₂ over `axis`, 1e-12) · √C · γ[c].
    public static func wanRMSNorm(_ x: [Float], shape: [Int], gamma: [Float], axis: Int) -> [Double] {
        let c = shape[axis]
        return (0..<x.count).map { i in
            var idx = multiIndex(i, shape: shape)
            let ch = idx[axis]
            var ss = 0.0
            for k in 0..<c {
                idx[axis] = k
                let v = Double(x[flatIndex(idx, shape: shape)])
                ss += v * v
            }
            return Double(x[i]) / max(ss.squareRoot(), 1e-12) * Double(c).squareRoot() * Double(gamma[ch])
        }
    }
}
