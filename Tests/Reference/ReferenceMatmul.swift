// Naive matrix products for tests: triple loops, accumulated in Double so that the only
// rounding under test is the fast kernel's.

extension Reference {
    /// `op(A)[m, k] · op(B)[k, n]` for row-major `a` (stored `[m, k]`, or `[k, m]` when
    /// `transposeA`) and `b` (stored `[k, n]`, or `[n, k]` when `transposeB`).
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int,
                              transposeA: Bool = false, transposeB: Bool = false) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p * m + i] : a[i * k + p]
                    let bv = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += Double(av) * Double(bv)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    /// `y[r, o] = Σ_i x[r, i] · weight[o, i] + bias[o]`.
    public static func linear(_ x: [Float], rows: Int, inFeatures: Int,
                              weight: [Float], outFeatures: Int, bias: [Float]?) -> [Float] {
        var y = [Float](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var sum = Double(bias?[o] ?? 0)
                for i in 0..<inFeatures {
                    sum += Double(x[r * inFeatures + i]) * Double(weight[o * inFeatures + i])
                }
                y[r * outFeatures + o] = Float(sum)
            }
        }
        return y
    }
}
