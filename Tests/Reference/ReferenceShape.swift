import Foundation

// Naive shape-op references: every output element located by its multi-index.

extension Reference {
    /// torch `permute`: output dim i is input dim order[i].
    public static func permute(_ x: [Float], shape: [Int], order: [Int]) -> [Float] {
        let out = order.map { shape[$0] }
        return (0..<x.count).map { i in
            let o = multiIndex(i, shape: out)
            var idx = [Int](repeating: 0, count: shape.count)
            for (k, d) in order.enumerated() { idx[d] = o[k] }
            return x[flatIndex(idx, shape: shape)]
        }
    }

    /// Padding with a constant or the nearest edge element.
    public static func pad(_ x: [Float], shape: [Int], before: [Int], after: [Int], value: Float?, replicate: Bool) -> [Float] {
        let out = (0..<shape.count).map { shape[$0] + before[$0] + after[$0] }
        return (0..<out.reduce(1, *)).map { i in
            let o = multiIndex(i, shape: out)
            var idx = [Int](repeating: 0, count: shape.count)
            for d in 0..<shape.count {
                let s = o[d] - before[d]
                if s < 0 || s >= shape[d] {
                    if !replicate { return value ?? 0 }
                    idx[d] = min(max(s, 0), shape[d] - 1)
                } else {
                    idx[d] = s
                }
            }
            return x[flatIndex(idx, shape: shape)]
        }
    }

    /// Output index → input index along one axis, for ops that gather along an axis
    /// (narrow, repeat, repeat_interleave, concat of one part).
    public static func gather(_ x: [Float], shape: [Int], axis: Int, outSize: Int, source: (Int) -> Int) -> [Float] {
        var out = shape
        out[axis] = outSize
        return (0..<out.reduce(1, *)).map { i in
            var idx = multiIndex(i, shape: out)
            idx[axis] = source(idx[axis])
            return x[flatIndex(idx, shape: shape)]
        }
    }

    /// Nearest-neighbour sampling of the trailing dims with an explicit source rule.
    public static func nearest(_ x: [Float], shape: [Int], size: [Int], exact: Bool) -> [Float] {
        let k = size.count
        let out = Array(shape.dropLast(k)) + size
        return (0..<out.reduce(1, *)).map { i in
            var idx = multiIndex(i, shape: out)
            for d in 0..<k {
                let axis = shape.count - k + d
                let scale = Double(shape[axis]) / Double(size[d])
                let src = exact ? floor((Double(idx[axis]) + 0.5) * scale) : floor(Double(idx[axis]) * scale)
                idx[axis] = min(Int(src), shape[axis] - 1)
            }
            return x[flatIndex(idx, shape: shape)]
        }
    }

    /// Multilinear interpolation of the trailing dims: the sum over the 2^k corner
    /// neighbours of the product of their weights (torch's source-index rule).
    public static func linear(_ x: [Float], shape: [Int], size: [Int], alignCorners: Bool) -> [Double] {
        let k = size.count
        let out = Array(shape.dropLast(k)) + size
        return (0..<out.reduce(1, *)).map { i in
            let idx = multiIndex(i, shape: out)
            var lo = [Int](), hi = [Int](), lam = [Double]()
            for d in 0..<k {
                let axis = shape.count - k + d
                let n = shape[axis], m = size[d]
                var src: Double
                if alignCorners {
                    src = m > 1 ? Double(idx[axis]) * Double(n - 1) / Double(m - 1) : 0
                } else {
                    src = max(0, (Double(idx[axis]) + 0.5) * Double(n) / Double(m) - 0.5)
                }
                let l = min(Int(floor(src)), n - 1)
                lo.append(l); hi.append(min(l + 1, n - 1)); lam.append(src - Double(l))
            }
            var total = 0.0
            for corner in 0..<(1 << k) {
                var src = idx
                var w = 1.0
                for d in 0..<k {
                    let axis = shape.count - k + d
                    let up = (corner >> d) & 1 == 1
                    src[axis] = up ? hi[d] : lo[d]
                    w *= up ? lam[d] : 1 - lam[d]
                }
                total += w * Double(x[flatIndex(src, shape: shape)])
            }
            return total
        }
    }
}
