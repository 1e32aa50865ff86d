// Naive attention for tests: the full score matrix, a full two-pass softmax, then P·V,
// all in Double.

import Foundation

extension Reference {
    /// `softmax(q·kᵀ·scale + mask) · v` with `q: [B, H, Sq, D]`, `k: [B, H, Sk, D]`,
    /// `v: [B, H, Sk, Dv]` and an optional full mask `[B, H, Sq, Sk]`. A row whose keys are
    /// all masked (`-inf`) gives zeros.
    public static func attention(q: [Float], k: [Float], v: [Float],
                                 batch B: Int, heads H: Int, queries Sq: Int, keys Sk: Int,
                                 headDim D: Int, valueDim Dv: Int,
                                 mask: [Float]?, scale: Float) -> [Float] {
        var out = [Float](repeating: 0, count: B * H * Sq * Dv)
        for b in 0..<B {
            for h in 0..<H {
                let bh = b * H + h
                for i in 0..<Sq {
                    var scores = [Double](repeating: 0, count: Sk)
                    for j in 0..<Sk {
                        var dot = 0.0
                        for d in 0..<D {
                            dot += Double(q[(bh * Sq + i) * D + d]) * Double(k[(bh * Sk + j) * D + d])
                        }
                        scores[j] = dot * Double(scale) + Double(mask?[(bh * Sq + i) * Sk + j] ?? 0)
                    }
                    let top = scores.max() ?? -.infinity
                    if top == -.infinity { continue }
                    let weights = scores.map { exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for d in 0..<Dv {
                        var sum = 0.0
                        for j in 0..<Sk { sum += weights[j] * Double(v[(bh * Sk + j) * Dv + d]) }
                        out[(bh * Sq + i) * Dv + d] = Float(sum / total)
                    }
                }
            }
        }
        return out
    }
}
