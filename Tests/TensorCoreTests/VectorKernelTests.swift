import CVectorKernels
import Foundation
import XCTest
@testable import TensorCore

/// CVectorKernels: the softmax row kernels and activations as compiled for this CPU (an
/// AVX-512, AVX2 or baseline clone) against Double references, and the F16 widening against
/// the Swift reference on every half value.
final class VectorKernelTests: XCTestCase {
    /// Values spread over [-lo, hi] with some lengths that are not multiples of any vector width.
    private func values(_ count: Int, scale: Float, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Float(state >> 40) / Float(1 << 23) - 1) * scale
        }
    }

    func testRowMaxAndExpShiftedSum() {
        for count in [0, 1, 7, 16, 17, 100, 513] {
            var row = values(count, scale: 30, seed: UInt64(count) + 1)
            let expectedMax = row.max() ?? -.infinity
            XCTAssertEqual(zk_row_max(row, count), expectedMax, "max of \(count)")
            let shift = expectedMax
            // The argument is rounded to float first (x − shift in float, as torch does too).
            let exact = row.map { Foundation.exp(Double($0 - shift)) }
            let sum = zk_exp_shifted_sum(&row, count, shift)
            // Each e^x within ~1e-7 relative (Cephes' expf, a fused multiply-add or not); the
            // sum of ≤ 513 terms in float adds ~count·6e-8 relative.
            for (j, value) in row.enumerated() {
                XCTAssertEqual(Double(value), exact[j], accuracy: 1e-6 * exact[j], "e^(x − max) at \(j) of \(count)")
            }
            let exactSum = exact.reduce(0, +)
            XCTAssertEqual(Double(sum), exactSum, accuracy: 1e-6 * Double(max(1, count)) * exactSum, "sum of \(count)")
        }
        // NaNs are skipped by the max; −inf rows give −inf.
        XCTAssertEqual(zk_row_max([1, .nan, 3, .nan], 4), 3)
        XCTAssertEqual(zk_row_max([-.infinity, -.infinity], 2), -.infinity)
        var masked: [Float] = [-.infinity, 0]
        XCTAssertEqual(zk_exp_shifted_sum(&masked, 2, 0), 1)
        XCTAssertEqual(masked, [0, 1])
    }

    func testActivationsMatchTheSwiftOnesAndTheirDefinitions() {
        let c = (2 / Double.pi).squareRoot()
        let cases: [(Int32, Activation, (Double) -> Double)] = [
            (ZK_SILU, .silu, { $0 / (1 + Foundation.exp(-$0)) }),
            (ZK_SIGMOID, .sigmoid, { 1 / (1 + Foundation.exp(-$0)) }),
            (ZK_GELU_TANH, .geluTanh, { 0.5 * $0 * (1 + Foundation.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }),
            (ZK_QUICK_GELU, .quickGELU, { $0 / (1 + Foundation.exp(-1.702 * $0)) }),
            // erf by a rational approximation, |error| ≤ 4.5e-7: GELU within 2.25e-7·|x|.
            (ZK_GELU, .gelu, { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }),
        ]
        let input = values(1001, scale: 20, seed: 9) + [-1000, 1000, 0, -0.0, .infinity, -.infinity]
        for (kind, activation, exact) in cases {
            var x = input
            zk_activate(kind, &x, x.count)
            for (i, v) in input.enumerated() where v.isFinite {
                // As VectorMathTests: 2e-6 · max(1, |x|) of the exact function; within a few ulps
                // of the Swift path (which does not fuse multiply-adds).
                XCTAssertEqual(Double(x[i]), exact(Double(v)), accuracy: 2e-6 * max(1, abs(Double(v))), "\(activation)(\(v))")
                XCTAssertEqual(x[i], activation(v), accuracy: 1e-6 * max(1, abs(v)), "\(activation)(\(v)) vs Swift")
            }
            // Saturation (±1000) gives limits, not NaN. (At ±inf, x / (1 + e^-x) is −inf/inf = NaN
            // for −inf, as torch's x · sigmoid(x) is −inf · 0 = NaN.)
            XCTAssertFalse(zip(input, x).contains { $0.0.isFinite && $0.1.isNaN }, "\(activation) gives NaN for a finite input")
        }
    }

    /// The erf inside ZK_GELU on every float from -6 to 6 in steps of 2⁻¹²: within 4.5e-7 of
    /// the double erf (what the approximation's authors state, measured here in float), odd,
    /// and ±1 beyond ±4; through gating, value · GELU(gate) as the activation computes it.
    func testGELUErfApproximationOverItsWholeRange() {
        let gates = stride(from: -6.0 * 2.0.squareRoot(), through: 6.0 * 2.0.squareRoot(), by: 1.0 / 4096).map { Float($0) }
        var got = gates
        zk_activate(ZK_GELU, &got, got.count)
        var worst = 0.0
        for (g, y) in zip(gates, got) {
            let exact = 0.5 * Double(g) * (1 + Foundation.erf(Double(g) / 2.0.squareRoot()))
            // |GELU error| ≤ 0.5·|g|·4.5e-7 from erf, plus the float rounding of the product.
            let bound = 0.5 * abs(Double(g)) * 4.5e-7 + 2.4e-7 * abs(exact) + 1e-12
            worst = max(worst, abs(Double(y) - exact) / max(bound, 1e-30))
            XCTAssertLessThanOrEqual(abs(Double(y) - exact), bound, "GELU(\(g))")
        }
        print("ZK_GELU: worst error \(worst) of its bound")
        let values = gates.map { Float(Foundation.sin(Double($0))) }
        var gated = [Float](repeating: 0, count: gates.count)
        zk_gated(ZK_GELU, values, gates, &gated, gates.count)
        XCTAssertEqual(gated, zip(values, got).map { $0 * $1 })
        var nan: [Float] = [.nan]
        zk_activate(ZK_GELU, &nan, 1)
        XCTAssertTrue(nan[0].isNaN)
    }

    func testNormStatisticsInDouble() {
        // Sixteen partial Double sums against one running Double sum: ~1e-16 relative apart.
        for count in [0, 1, 15, 16, 33, 1000] {
            let x = values(count, scale: 3, seed: UInt64(count) + 7).map { $0 + 100 }   // a large mean
            let sum = x.reduce(0.0) { $0 + Double($1) }
            let mean = count == 0 ? 0 : sum / Double(count)
            let deviations = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
            let squares = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(zk_sum(x, count), sum, accuracy: 1e-12 * max(1, abs(sum)), "sum of \(count)")
            XCTAssertEqual(zk_sum_squared_deviations(x, count, mean), deviations, accuracy: 1e-12 * max(1, deviations),
                           "deviations of \(count)")
            XCTAssertEqual(zk_sum_squares(x, count), squares, accuracy: 1e-12 * max(1, squares), "squares of \(count)")
        }
    }

    func testF16WideningIsExactOnEveryValue() {
        let bits = (0...UInt16.max).map { $0 }
        var widened = [Float](repeating: 0, count: bits.count)
        zk_widen_f16(bits, &widened, bits.count)
        for (i, b) in bits.enumerated() {
            let expected = Float(Float16(bitPattern: b))
            if expected.isNaN {
                XCTAssertTrue(widened[i].isNaN, "bits \(b)")
            } else {
                XCTAssertEqual(widened[i].bitPattern, expected.bitPattern, "bits \(b)")
            }
        }
    }
}
