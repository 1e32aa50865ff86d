// Row kernels for the online softmax of `scaledDotProductAttention`: the row loops are C
// (CVectorKernels), compiled for the CPU's vector width, in debug builds too.

import CVectorKernels

enum AttentionMath {
    /// e^x (`VectorMath.exp`): inputs below −87.34, including −inf, give exactly 0.
    @inline(__always)
    static func exp(_ input: Float) -> Float { VectorMath.exp(input) }

    /// Largest of `row[0..<count]` (−inf when empty; NaNs are skipped), at the CPU's vector
    /// width (CVectorKernels).
    @inline(__always)
    static func max(_ row: UnsafePointer<Float>, _ count: Int) -> Float {
        zk_row_max(row, count)
    }

    /// Replaces `row[j]` by e^(row[j] − shift) and returns their sum (CVectorKernels: the same
    /// exp as `VectorMath.exp`, at the CPU's vector width; sixteen partial sums).
    @inline(__always)
    static func expShiftedSum(_ row: UnsafeMutablePointer<Float>, _ count: Int, shift: Float) -> Float {
        zk_exp_shifted_sum(row, count, shift)
    }
}
