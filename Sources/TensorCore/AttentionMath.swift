// Row kernels for the online softmax of `scaledDotProductAttention`.
//
// Written as plain scalar loops with no library calls and no trapping conversions, so that
// LLVM vectorises them in release builds and they stay reasonably fast in debug builds
// (generic SIMD types are very slow unoptimised).

enum AttentionMath {
    /// e^x (`VectorMath.exp`): inputs below −87.34, including −inf, give exactly 0.
    @inline(__always)
    static func exp(_ input: Float) -> Float { VectorMath.exp(input) }

    /// Largest of `row[0..<count]` (−inf when empty; NaNs are skipped).
    @inline(__always)
    static func max(_ row: UnsafePointer<Float>, _ count: Int) -> Float {
        // Eight running maxima, so the loop becomes vector compares (one running maximum is
        // a chain of dependent scalar compares; it was 13% of the attention kernel's time).
        var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0, m4 = m0, m5 = m0, m6 = m0, m7 = m0
        var j = 0
        while j + 8 <= count {
            m0 = row[j] > m0 ? row[j] : m0; m1 = row[j + 1] > m1 ? row[j + 1] : m1
            m2 = row[j + 2] > m2 ? row[j + 2] : m2; m3 = row[j + 3] > m3 ? row[j + 3] : m3
            m4 = row[j + 4] > m4 ? row[j + 4] : m4; m5 = row[j + 5] > m5 ? row[j + 5] : m5
            m6 = row[j + 6] > m6 ? row[j + 6] : m6; m7 = row[j + 7] > m7 ? row[j + 7] : m7
            j += 8
        }
        m0 = m1 > m0 ? m1 : m0; m2 = m3 > m2 ? m3 : m2; m4 = m5 > m4 ? m5 : m4; m6 = m7 > m6 ? m7 : m6
        m0 = m2 > m0 ? m2 : m0; m4 = m6 > m4 ? m6 : m4
        m0 = m4 > m0 ? m4 : m0
        while j < count {
            if row[j] > m0 { m0 = row[j] }
            j += 1
        }
        return m0
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
