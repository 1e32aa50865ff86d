import Foundation

// Numerically stable softmax over the last dimension: exp(x - max) / Σ exp(x - max).
// The exponentials are Float; the row sum is accumulated in Double so long rows
// (attention over ~75k tokens) lose no precision in the normaliser.

/// Row-wise softmax kernels on raw buffers, for callers (attention) that own the memory.
public enum Softmax {
    /// Softmax of `rows` contiguous rows of `width` elements, in place.
    public static func rowsInPlace(_ p: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        guard width > 0 else { return }
        Parallel.forEach(rows, grain: max(1, 4_096 / width)) { range in
            for row in range { rowInPlace(p + row * width, width: width) }
        }
    }

    /// Softmax of one row in place (single-threaded).
    @inline(__always)
    public static func rowInPlace(_ r: UnsafeMutablePointer<Float>, width: Int) {
        var m = -Float.infinity
        for j in 0..<width where r[j] > m { m = r[j] }
        if m == -.infinity {
            // All entries are -inf (a fully masked row): torch returns NaN; so do we.
            for j in 0..<width { r[j] = .nan }
            return
        }
        var s = 0.0
        for j in 0..<width {
            let e = Foundation.exp(r[j] - m)
            r[j] = e
            s += Double(e)
        }
        let inv = Float(1 / s)
        for j in 0..<width { r[j] *= inv }
    }
}

extension Tensor {
    /// Softmax over the last dimension.
    public func softmax() -> Tensor {
        var out = self
        out.softmaxInPlace()
        return out
    }

    /// Softmax over the last dimension, in place.
    public mutating func softmaxInPlace() {
        precondition(rank >= 1, "softmax needs at least one dimension, got \(shape)")
        let width = shape[rank - 1]
        guard width > 0, count > 0 else { return }
        let rows = count / width
        data.withUnsafeMutableBufferPointer { p in
            Softmax.rowsInPlace(p.baseAddress!, rows: rows, width: width)
        }
    }
}
