// Vectorised row kernels for the online softmax of `scaledDotProductAttention`.

enum AttentionMath {
    /// e^x for 8 lanes (Cephes `expf` range reduction and polynomial; relative error
    /// ≈ 1e-7). Lanes below −87.33 (including −inf) give exactly 0.
    @inline(__always)
    static func exp(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let underflow = input .< SIMD8(repeating: -87.33654)
        var x = input.clamped(lowerBound: SIMD8(repeating: -87.33654),
                              upperBound: SIMD8(repeating: 88.37626))
        let n = (x * 1.442_695_04).rounded(.toNearestOrEven)
        x = x - n * 0.693_359_375
        x = x - n * -2.121_944_40e-4
        var p = SIMD8<Float>(repeating: 1.987_569_150_0e-4)
        p = p * x + 1.398_199_950_7e-3
        p = p * x + 8.333_451_907_3e-3
        p = p * x + 4.166_579_589_4e-2
        p = p * x + 1.666_666_545_9e-1
        p = p * x + 5.000_000_120_1e-1
        p = p * (x * x) + x + 1
        let exponent = (SIMD8<Int32>(n) &+ 127) &<< 23
        var result = p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
        result.replace(with: 0, where: underflow)
        return result
    }

    /// Scalar e^x with the same numerics as the vector version.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        exp(SIMD8(repeating: x))[0]
    }

    /// Largest of `row[0..<count]` (−inf when empty).
    @inline(__always)
    static func max(_ row: UnsafePointer<Float>, _ count: Int) -> Float {
        var best = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= count {
            best = pointwiseMax(best, UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self))
            j += 8
        }
        var result = best.max()
        while j < count { result = Swift.max(result, row[j]); j += 1 }
        return result
    }

    /// Replaces `row[j]` by e^(row[j] − shift) and returns their sum.
    @inline(__always)
    static func expShiftedSum(_ row: UnsafeMutablePointer<Float>, _ count: Int, shift: Float) -> Float {
        var sum = SIMD8<Float>(repeating: 0)
        let s = SIMD8<Float>(repeating: shift)
        var j = 0
        while j + 8 <= count {
            let raw = UnsafeMutableRawPointer(row + j)
            let e = exp(raw.loadUnaligned(as: SIMD8<Float>.self) - s)
            raw.storeBytes(of: e, as: SIMD8<Float>.self)
            sum += e
            j += 8
        }
        var total = sum.sum()
        while j < count {
            let e = exp(row[j] - shift)
            row[j] = e
            total += e
            j += 1
        }
        return total
    }
}
