// Row kernels for the online softmax of `scaledDotProductAttention`.
//
// Written as plain scalar loops with no library calls and no trapping conversions, so that
// LLVM vectorises them in release builds and they stay reasonably fast in debug builds
// (generic SIMD types are very slow unoptimised).

enum AttentionMath {
    /// Lowest input whose e^x is a normal Float; anything below (including −inf) gives 0.
    static let lowestInput: Float = -87.336_54

    /// e^x by Cephes `expf`'s range reduction and degree-5 polynomial (relative error
    /// ≈ 1e-7 for inputs ≤ 0, which is all the softmax needs). Inputs below `lowestInput`,
    /// including −inf, give exactly 0. Inputs must be ≤ 88.
    @inline(__always)
    static func exp(_ input: Float) -> Float {
        let x = input < lowestInput ? lowestInput : input
        // n = round(x / ln 2) by the 1.5·2²³ trick: the low mantissa bits of `shifted` hold n.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        var r = x - n * 0.693_359_375
        r = r - n * -2.121_944_40e-4
        var p: Float = 1.987_569_150_0e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        // 2ⁿ from the integer n held in `shifted`'s bits: (n + 127) << 23.
        let twoToN = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        return input < lowestInput ? 0 : p * twoToN
    }

    /// Largest of `row[0..<count]` (−inf when empty).
    @inline(__always)
    static func max(_ row: UnsafePointer<Float>, _ count: Int) -> Float {
        var best = -Float.infinity
        for j in 0..<count where row[j] > best { best = row[j] }
        return best
    }

    /// Replaces `row[j]` by e^(row[j] − shift) and returns their sum.
    @inline(__always)
    static func expShiftedSum(_ row: UnsafeMutablePointer<Float>, _ count: Int, shift: Float) -> Float {
        for j in 0..<count { row[j] = exp(row[j] - shift) }
        // Eight partial sums: the strict Float order of one running sum would keep the
        // compiler from vectorising, and they are also a little more accurate.
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
        var j = 0
        while j + 8 <= count {
            s0 += row[j]; s1 += row[j + 1]; s2 += row[j + 2]; s3 += row[j + 3]
            s4 += row[j + 4]; s5 += row[j + 5]; s6 += row[j + 6]; s7 += row[j + 7]
            j += 8
        }
        var total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
        while j < count { total += row[j]; j += 1 }
        return total
    }
}
