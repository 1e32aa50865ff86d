/// Bit-exact conversions between `Float` and the 16- and 8-bit float formats found in
/// checkpoints. Widening is exact; narrowing rounds to nearest, ties to even (as torch's
/// `.half()` / `.bfloat16()` do).
enum HalfPrecision {
    // MARK: IEEE binary16 (F16)

    /// Widens IEEE half-precision bits to `Float` (exact; NaN payloads kept).
    ///
    /// Integer operations and selects only, so a loop over a tensor vectorises: `Float(Float16)`
    /// compiles to a call of the soft-float `__extendhfsf2` per element on x86_64 without F16C,
    /// which was 7% of a bundled-model run's cycles (its linear weights are stored in F16 and
    /// widened one layer at a time).
    @inline(__always)
    static func float(fromHalfBits bits: UInt16) -> Float {
        let h = UInt32(bits)
        let magnitude = (h & 0x7FFF) << 13                // exponent and mantissa at Float's places
        // Read as a Float, those bits are the half's value · 2^-112 (a Float subnormal for the
        // half's subnormals), so one exact multiply re-biases normals and subnormals alike;
        // only inf / NaN (all-ones exponent) need their exponent set instead.
        let finite = (Float(bitPattern: magnitude) * 0x1p112).bitPattern
        let widened = magnitude >= 0x0F80_0000 ? magnitude | 0x7F80_0000 : finite
        return Float(bitPattern: widened | ((h & 0x8000) << 16))
    }

    /// Narrows a `Float` to IEEE half-precision bits (round to nearest even; overflow to ±inf).
    @inline(__always)
    static func halfBits(from value: Float) -> UInt16 {
        #if arch(x86_64) && os(macOS)
        return halfBitsPortable(from: value)
        #else
        return Float16(value).bitPattern
        #endif
    }

    /// Widening written out case by case: the reference the tests compare
    /// `float(fromHalfBits:)` and `Float16` against.
    static func floatFromHalfBitsPortable(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        if exponent == 0x1F {  // inf / NaN: keep the payload
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {  // zero or subnormal: mantissa · 2^-24, exact in Float
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// Portable narrowing with round-to-nearest-even (see `floatFromHalfBitsPortable`).
    static func halfBitsPortable(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {  // inf / NaN (NaN stays quiet NaN)
            return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {  // subnormal half (or zero)
            if halfExponent < -10 { return sign }
            let full = mantissa | 0x80_0000
            let shift = UInt32(14 - halfExponent)
            var half = full >> shift
            let rest = full & ((1 << shift) - 1)
            let halfway: UInt32 = 1 << (shift - 1)
            if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = (UInt32(halfExponent) << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && half & 1 == 1) { half += 1 }  // a carry rounds up to inf
        return sign | UInt16(half)
    }

    // MARK: bfloat16 (BF16)

    /// Widens bfloat16 bits to `Float` (exact: bfloat16 is the top half of a Float).
    @inline(__always)
    static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows a `Float` to bfloat16 bits, round to nearest even; NaN stays a quiet NaN.
    @inline(__always)
    static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }

    // MARK: 8-bit floats

    /// Widens float8 e4m3fn bits (bias 7, no infinities, S.1111.111 is NaN) to `Float`.
    static func float(fromE4M3Bits bits: UInt8) -> Float {
        let negative = bits & 0x80 != 0
        let exponent = Int((bits >> 3) & 0xF)
        let mantissa = Float(bits & 0x7)
        let magnitude: Float
        if exponent == 0xF && bits & 0x7 == 0x7 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = mantissa * 0x1p-9
        } else {
            magnitude = (8 + mantissa) * Float(sign: .plus, exponent: exponent - 10, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }

    /// Widens float8 e5m2 bits (the top byte of an IEEE half) to `Float`.
    static func float(fromE5M2Bits bits: UInt8) -> Float {
        float(fromHalfBits: UInt16(bits) << 8)
    }
}
