import Foundation

// Naive elementwise references: every element computed from its full multi-index, in Double.

extension Reference {
    /// Row-major multi-index of a flat offset.
    public static func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
        var index = [Int](repeating: 0, count: shape.count)
        var rest = flat
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }

    /// Row-major flat offset of a multi-index.
    public static func flatIndex(_ index: [Int], shape: [Int]) -> Int {
        var offset = 0
        for d in 0..<shape.count { offset = offset * shape[d] + index[d] }
        return offset
    }

    /// NumPy broadcasting of a binary op, element by element.
    public static func broadcast(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int],
                                 _ op: (Double, Double) -> Double) -> (shape: [Int], data: [Double]) {
        let rank = max(aShape.count, bShape.count)
        let pa = [Int](repeating: 1, count: rank - aShape.count) + aShape
        let pb = [Int](repeating: 1, count: rank - bShape.count) + bShape
        let out = (0..<rank).map { max(pa[$0], pb[$0]) }
        let n = out.reduce(1, *)
        var data = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let idx = multiIndex(i, shape: out)
            let ia = flatIndex((0..<rank).map { pa[$0] == 1 ? 0 : idx[$0] }, shape: pa)
            let ib = flatIndex((0..<rank).map { pb[$0] == 1 ? 0 : idx[$0] }, shape: pb)
            data[i] = op(Double(a[ia]), Double(b[ib]))
        }
        return (out, data)
    }

    public static func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }
    public static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    public static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
    public static func geluTanh(_ x: Double) -> Double {
        0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
    public static func quickGELU(_ x: Double) -> Double { x / (1 + exp(-1.702 * x)) }

    /// Softmax of each row of `width` elements.
    public static func softmax(_ x: [Float], width: Int) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for r in 0..<(x.count / width) {
            let row = x[(r * width)..<((r + 1) * width)].map(Double.init)
            let m = row.max()!
            let e = row.map { exp($0 - m) }
            let s = e.reduce(0, +)
            for j in 0..<width { out[r * width + j] = e[j] / s }
        }
        return out
    }
}
