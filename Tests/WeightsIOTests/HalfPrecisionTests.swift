import XCTest
@testable import WeightsIO

/// Conversions are bit-exact operations, so every comparison here is exact.
final class HalfPrecisionTests: XCTestCase {
    func testHalfWideningKnownValues() {
        let cases: [(UInt16, Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24),
            (0x0400, 0x1p-14), (0x7C00, .infinity), (0xFC00, -.infinity), (0x0000, 0),
        ]
        for (bits, value) in cases {
            XCTAssertEqual(HalfPrecision.float(fromHalfBits: bits), value, "bits \(String(bits, radix: 16))")
            XCTAssertEqual(HalfPrecision.floatFromHalfBitsPortable(bits), value, "bits \(String(bits, radix: 16))")
        }
        XCTAssertTrue(HalfPrecision.float(fromHalfBits: 0x7E00).isNaN)
    }

    /// The vectorisable widening, the case-by-case reference and (where the platform has it)
    /// `Float16` agree on every half value, bit for bit (NaNs: both NaN).
    func testHalfWideningMatchesReferenceEverywhere() {
        for bits in 0...UInt16.max {
            let a = HalfPrecision.floatFromHalfBitsPortable(bits)
            var others = [HalfPrecision.float(fromHalfBits: bits)]
            #if !(arch(x86_64) && os(macOS))
            others.append(Float(Float16(bitPattern: bits)))
            #endif
            for b in others {
                if a.isNaN || b.isNaN {
                    XCTAssertTrue(a.isNaN && b.isNaN, "bits \(bits)")
                } else {
                    XCTAssertEqual(a.bitPattern, b.bitPattern, "bits \(bits)")
                }
            }
        }
    }

    /// Narrowing: the portable rounding must match Float16(Float) (round to nearest even)
    /// on values around every half boundary, subnormals and overflow included.
    func testPortableHalfNarrowingMatchesFloat16() {
        var generator = SystemRandomNumberGenerator()
        var samples: [Float] = [0, -0, 65504, 65520, 65519.99, 1e10, 0x1p-25, 0x1.8p-25, 0x1p-26, .infinity, -.infinity]
        for bits in stride(from: UInt16(0), to: 0x7C00, by: 7) {
            let value = HalfPrecision.float(fromHalfBits: bits)
            samples += [value, value.nextUp, value.nextDown, -value]
            let next = HalfPrecision.float(fromHalfBits: bits + 1)
            samples.append((value + next) / 2)  // exact tie
        }
        for _ in 0..<10_000 { samples.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))) }
        for value in samples where !value.isNaN {
            XCTAssertEqual(HalfPrecision.halfBitsPortable(from: value), HalfPrecision.halfBits(from: value), "value \(value)")
        }
        XCTAssertEqual(HalfPrecision.halfBitsPortable(from: .nan) & 0x7E00, 0x7E00)
    }

    func testBFloat16() {
        XCTAssertEqual(HalfPrecision.float(fromBFloat16Bits: 0x3F80), 1)
        XCTAssertEqual(HalfPrecision.float(fromBFloat16Bits: 0xC049), -3.140625)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 3.14159265), 0x4049)
        // Ties go to even: 1 + 2^-8 lies halfway between 1 (0x3F80) and 1 + 2^-7 (0x3F81).
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1 + 0x1p-8), 0x3F80)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1 + 0x1p-7 + 0x1p-8), 0x3F82)
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: .infinity), 0x7F80)
        XCTAssertTrue(HalfPrecision.float(fromBFloat16Bits: HalfPrecision.bfloat16Bits(from: .nan)).isNaN)
    }

    func testFloat8() {
        XCTAssertEqual(HalfPrecision.float(fromE4M3Bits: 0x38), 1)      // exponent 7, mantissa 0
        XCTAssertEqual(HalfPrecision.float(fromE4M3Bits: 0x7E), 448)    // largest finite e4m3fn
        XCTAssertEqual(HalfPrecision.float(fromE4M3Bits: 0x01), 0x1p-9) // smallest subnormal
        XCTAssertEqual(HalfPrecision.float(fromE4M3Bits: 0xC0), -2)
        XCTAssertTrue(HalfPrecision.float(fromE4M3Bits: 0x7F).isNaN)
        XCTAssertEqual(HalfPrecision.float(fromE5M2Bits: 0x3C), 1)
        XCTAssertEqual(HalfPrecision.float(fromE5M2Bits: 0x7B), 57344)  // largest finite e5m2
    }
}
