import COneDNN
import Foundation
import TestSupport
import XCTest
@testable import TensorCore

/// `BLAS.sgemm` under `ComputePrecision.bfloat16`: A and B narrowed to bf16, products
/// accumulated in fp32 by oneDNN (Sources/COneDNN, `OneDNNGEMM`).
///
/// The tolerances, derived. Summing k products in fp32 is off by at most (k + 2)·2⁻²⁴·Σ|alpha·a·b|
/// (the recursive-summation bound, which holds for any order, so for oneDNN's blocked one; the
/// 2 covers alpha's and beta's multiplications), plus 2⁻²³·|beta·c| for adding the old C. bf16
/// keeps 8 significant bits, so narrowing by round-to-nearest moves each operand by a relative
/// δ with |δ| ≤ u = 2⁻⁸, and a product of two narrowed operands by at most (2u + u²)·|a·b|: bf16
/// adds (2u + u²)·Σ|alpha·a·b|. A layout or stride mistake misplaces whole terms, far outside
/// either bound.
final class BF16GemmTests: XCTestCase {
    private struct Case {
        var transposeA = false, transposeB = false
        var m: Int, n: Int, k: Int
        var alpha: Float = 1, beta: Float = 0
        var pad = 0  // extra elements per row in lda, ldb, ldc
    }

    /// How a case is multiplied: `BLAS.sgemm` in a precision, or oneDNN's matmul with f32 operands.
    private enum Route { case sgemm(ComputePrecision), oneDNNFloat32 }

    private struct Outcome {
        var result: [Float] = [], exact: [Double] = []
        /// Σ_l |alpha·a_il·b_lj| and |beta·c_ij| per element, for the bounds.
        var magnitude: [Double] = [], oldTerm: [Double] = []
        var k = 0

        func fp32Bound(_ i: Int) -> Double {
            Double(k + 2) * 0x1p-24 * magnitude[i] + 0x1p-23 * oldTerm[i]
        }

        func bf16Bound(_ i: Int) -> Double {
            let u = 0x1p-8
            return (2 * u + u * u) * magnitude[i] + fp32Bound(i)
        }

        var worstError: Double { zip(result, exact).map { abs(Double($0) - $1) }.max() ?? 0 }
    }

    private func run(_ c: Case, _ route: Route, values: (Int, UInt64) -> [Float]) -> Outcome {
        let (aRows, aCols) = c.transposeA ? (c.k, c.m) : (c.m, c.k)
        let (bRows, bCols) = c.transposeB ? (c.n, c.k) : (c.k, c.n)
        let (lda, ldb, ldc) = (aCols + c.pad, bCols + c.pad, c.n + c.pad)
        let a = values(aRows * lda, 1), b = values(bRows * ldb, 2), c0 = values(c.m * ldc, 3)
        var out = c0
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { cp in
                    switch route {
                    case .sgemm(let precision):
                        ComputePrecision.with(precision) {
                            BLAS.sgemm(transposeA: c.transposeA, transposeB: c.transposeB, m: c.m, n: c.n, k: c.k,
                                       alpha: c.alpha, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                       beta: c.beta, c: cp.baseAddress!, ldc: ldc)
                        }
                    case .oneDNNFloat32:
                        let ran = OneDNNGEMM.gemm(narrow: false, c.transposeA, c.transposeB, c.m, c.n, c.k, c.alpha,
                                                  ap.baseAddress!, lda, bp.baseAddress!, ldb, c.beta, cp.baseAddress!, ldc)
                        XCTAssertTrue(ran, "oneDNN refused \(c): \(OneDNNGEMM.lastRefusal ?? "")")
                    }
                }
            }
        }
        var outcome = Outcome(k: c.k)
        for i in 0..<c.m {
            for j in 0..<c.n {
                var sum = 0.0, magnitude = 0.0
                for l in 0..<c.k {
                    let x = Double(c.transposeA ? a[l * lda + i] : a[i * lda + l])
                    let y = Double(c.transposeB ? b[j * ldb + l] : b[l * ldb + j])
                    sum += x * y
                    magnitude += abs(Double(c.alpha) * x * y)
                }
                let old = Double(c.beta) * Double(c0[i * ldc + j])
                outcome.exact.append(Double(c.alpha) * sum + old)
                outcome.magnitude.append(magnitude)
                outcome.oldTerm.append(abs(old))
                outcome.result.append(out[i * ldc + j])
            }
        }
        return outcome
    }

    private func uniform(_ count: Int, _ seed: UInt64) -> [Float] {
        GemmTestData.uniform([count], seed: seed).data
    }

    /// Whole numbers -16 … 15: exact in bf16, and the sums of their products exact in fp32.
    private func integers(_ count: Int, _ seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 59) - 16)
        }
    }

    private let cases: [Case] = [
        Case(m: 96, n: 80, k: 64),                                       // 491,520 products
        Case(transposeB: true, m: 128, n: 96, k: 48, alpha: 0.5),        // a linear layer's x · Wᵀ
        Case(transposeA: true, m: 72, n: 130, k: 40, beta: 1, pad: 3),   // conv-like accumulation, strided
        Case(transposeA: true, transposeB: true, m: 64, n: 64, k: 100, alpha: -1.25, beta: 0.5, pad: 5),
        Case(m: 1, n: 1024, k: 512),                                     // one row
    ]

    /// With alpha 0.5 and beta 2 (exact factors) where a case has them, for integer operands.
    private var exactCases: [Case] {
        cases.map { c in
            var c = c
            if c.alpha != 1 { c.alpha = 0.5 }
            if c.beta != 0 { c.beta = 2 }
            return c
        }
    }

    /// oneDNN's matmul with f32 operands, on any CPU: the plan cache, packing, strides,
    /// transposes, alpha (output scale) and beta (sum post-op) that bf16 uses, checked where
    /// the CPU has no bf16.
    func testOneDNNMatmulsInF32MatchTheExactProduct() throws {
        XCTAssertNil(OneDNNGEMM.unavailableReason, "tools/setup.sh installs libdnnl-dev")
        for c in cases {
            let got = run(c, .oneDNNFloat32, values: uniform)
            for i in got.exact.indices {
                XCTAssertLessThanOrEqual(abs(Double(got.result[i]) - got.exact[i]), got.fp32Bound(i), "\(c) element \(i)")
            }
        }
        for c in exactCases {
            let got = run(c, .oneDNNFloat32, values: integers)
            XCTAssertEqual(got.result.map(Double.init), got.exact, "\(c)")
        }
    }

    func testBF16GemmsStayWithinTheRoundingBoundAndAreNotFP32() throws {
        guard CPUFeatures.hasBF16 else {
            // Without the instructions bf16 is refused in words that say what to use instead.
            let reason = try XCTUnwrap(ComputePrecision.bfloat16.unavailableReason, "bf16 offered on a CPU without it")
            XCTAssertTrue(reason.contains("--precision fp32"), reason)
            return
        }
        XCTAssertNil(ComputePrecision.bfloat16.unavailableReason, "this CPU lists bf16 dot products")
        let refusedBefore = OneDNNGEMM.refusedCount
        for c in cases {
            XCTAssertGreaterThanOrEqual(c.m * c.n * c.k, BLAS.bf16MinimumProducts, "\(c) would stay fp32")
            let bf16 = run(c, .sgemm(.bfloat16), values: uniform)
            let fp32 = run(c, .sgemm(.float32), values: uniform)
            for i in bf16.exact.indices {
                XCTAssertLessThanOrEqual(abs(Double(bf16.result[i]) - bf16.exact[i]), bf16.bf16Bound(i), "\(c) element \(i)")
            }
            // bf16 really ran: uniform values lose ~16 bits each when narrowed, so its error is
            // far above fp32's.
            XCTAssertGreaterThan(bf16.worstError, 20 * fp32.worstError, "\(c): the result looks like fp32's")
        }
        XCTAssertEqual(OneDNNGEMM.refusedCount, refusedBefore, "oneDNN refused: \(OneDNNGEMM.lastRefusal ?? "")")
    }

    /// Operands with at most 8 significant bits narrow exactly, and small integer sums are exact
    /// in fp32: the bf16 GEMM must then give exactly alpha · A · B + beta · C.
    func testExactlyRepresentableOperandsGiveExactResultsInBF16() throws {
        guard CPUFeatures.hasBF16 else {
            XCTAssertNotNil(ComputePrecision.bfloat16.unavailableReason, "bf16 offered on a CPU without it")
            return
        }
        for c in exactCases {
            let got = run(c, .sgemm(.bfloat16), values: integers)
            XCTAssertEqual(got.result.map(Double.init), got.exact, "\(c)")
        }
    }

    /// Small GEMMs, and GEMMs inside a parallel chunk (attention's tiles), stay fp32: the same
    /// bits as without bf16, on any CPU.
    func testSmallGemmsAndChunkGemmsStayFP32() {
        let small = Case(m: 16, n: 16, k: 16)
        XCTAssertLessThan(small.m * small.n * small.k, BLAS.bf16MinimumProducts)
        XCTAssertEqual(run(small, .sgemm(.bfloat16), values: uniform).result,
                       run(small, .sgemm(.float32), values: uniform).result)
        let large = Case(m: 96, n: 80, k: 64)
        let fp32 = run(large, .sgemm(.float32), values: uniform).result
        var insideChunk: [Float] = [], wasInside = false
        Parallel.forEach(Parallel.threadCount, grain: 1) { range in
            guard range.contains(0) else { return }
            wasInside = Parallel.isInsideChunk
            insideChunk = run(large, .sgemm(.bfloat16), values: uniform).result
        }
        // One thread runs no chunks (the loop runs inline), so there is nothing to check.
        if Parallel.threadCount > 1 { XCTAssertTrue(wasInside) }
        if wasInside || !CPUFeatures.hasBF16 { XCTAssertEqual(insideChunk, fp32) }
    }

    func testPrecisionIsPerThreadAndRestored() {
        XCTAssertEqual(ComputePrecision.current, .float32)
        ComputePrecision.with(.bfloat16) {
            XCTAssertEqual(ComputePrecision.current, .bfloat16)
            ComputePrecision.with(.float32) { XCTAssertEqual(ComputePrecision.current, .float32) }
            XCTAssertEqual(ComputePrecision.current, .bfloat16)
            // another thread (not `DispatchQueue.sync`, which may run the block on this one)
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var elsewhere: ComputePrecision?
            Thread {
                elsewhere = ComputePrecision.current
                done.signal()
            }.start()
            done.wait()
            XCTAssertEqual(elsewhere, .float32)
        }
        XCTAssertEqual(ComputePrecision.current, .float32)
    }

    func testNarrowingRoundsToNearestEven() {
        // 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷: ties go to the even one (1);
        // 1 + 3·2⁻⁸ halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: to the even one (1 + 2⁻⁶).
        let values: [Float] = [1, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-8 + 0x1p-20, -2.5, .infinity, .nan, 0x1p-130]
        var bits = [UInt16](repeating: 0, count: values.count)
        zk_narrow_bf16(values, &bits, values.count)
        let widened = bits.map { Float(bitPattern: UInt32($0) << 16) }
        XCTAssertEqual(widened[0], 1)
        XCTAssertEqual(widened[1], 1)
        XCTAssertEqual(widened[2], 1 + 0x1p-6)
        XCTAssertEqual(widened[3], 1 + 0x1p-7)
        XCTAssertEqual(widened[4], -2.5)
        XCTAssertEqual(widened[5], .infinity)
        XCTAssertTrue(widened[6].isNaN)
        XCTAssertEqual(widened[7], 0x1p-130)  // subnormal, and exactly representable
    }
}
