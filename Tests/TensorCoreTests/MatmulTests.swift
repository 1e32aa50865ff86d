import XCTest
import Reference
@testable import TensorCore

/// Seeded test data and comparisons shared by the GEMM-bound op tests.
enum GemmTestData {
    /// Uniform values in [-1, 1) from a fixed-seed 64-bit LCG, so failures reproduce.
    static func uniform(_ shape: [Int], seed: UInt64) -> Tensor {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let n = shape.reduce(1, *)
        var data = [Float](repeating: 0, count: n)
        for i in 0..<n {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            data[i] = Float(state >> 40) / Float(1 << 23) - 1
        }
        return Tensor(shape: shape, data: data)
    }

    /// Asserts `max |actual − expected| ≤ tolerance · max(1, rms(expected))`.
    static func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float,
                            _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "element count \(message)", file: file, line: line)
        guard actual.count == expected.count, !expected.isEmpty else { return }
        let rms = (expected.reduce(Float(0)) { $0 + $1 * $1 } / Float(expected.count)).squareRoot()
        let bound = tolerance * max(1, rms)
        var worst: Float = 0, worstIndex = 0
        for i in actual.indices {
            let error = abs(actual[i] - expected[i])
            if !(error <= worst) { worst = error; worstIndex = i }
        }
        XCTAssertLessThanOrEqual(worst, bound,
                                 "\(message): worst error at \(worstIndex): \(actual[worstIndex]) vs \(expected[worstIndex])",
                                 file: file, line: line)
    }

    /// Tolerance for a float32 dot product of length `k` against a Double reference:
    /// float32's unit roundoff is 6e-8 and accumulation error grows like √k (blocked /
    /// pairwise sums in OpenBLAS), so 1e-5·√k relative to the output's RMS leaves a wide
    /// margin for summation order while any indexing error (a whole term wrong) is O(1).
    static func dotTolerance(_ k: Int) -> Float { 1e-5 * Float(max(1, k)).squareRoot() }
}

final class MatmulTests: XCTestCase {
    func testMatmulNonSquare() {
        let a = GemmTestData.uniform([37, 53], seed: 1)
        let b = GemmTestData.uniform([53, 19], seed: 2)
        let c = matmul(a, b)
        XCTAssertEqual(c.shape, [37, 19])
        GemmTestData.assertClose(c.data, Reference.matmul(a.data, b.data, m: 37, k: 53, n: 19),
                                 tolerance: GemmTestData.dotTolerance(53), "matmul")
    }

    func testBatchedMatmulAllTransposes() {
        let (m, k, n) = (13, 29, 7)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = GemmTestData.uniform([2, 3] + (transposeA ? [k, m] : [m, k]), seed: 3)
                let b = GemmTestData.uniform([2, 3] + (transposeB ? [n, k] : [k, n]), seed: 4)
                let c = batchedMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
                XCTAssertEqual(c.shape, [2, 3, m, n])
                var expected = [Float]()
                for index in 0..<6 {
                    let aSlice = Array(a.data[index * m * k..<(index + 1) * m * k])
                    let bSlice = Array(b.data[index * k * n..<(index + 1) * k * n])
                    expected += Reference.matmul(aSlice, bSlice, m: m, k: k, n: n,
                                                 transposeA: transposeA, transposeB: transposeB)
                }
                GemmTestData.assertClose(c.data, expected, tolerance: GemmTestData.dotTolerance(k),
                                         "transposeA \(transposeA) transposeB \(transposeB)")
            }
        }
    }

    func testBatchedMatmulBroadcastsTwoDimensionalOperand() {
        let (m, k, n) = (5, 11, 9)
        let a = GemmTestData.uniform([4, m, k], seed: 5)
        let b = GemmTestData.uniform([n, k], seed: 6)
        let shared = batchedMatmul(a, b, transposeB: true)  // folded into one GEMM
        XCTAssertEqual(shared.shape, [4, m, n])
        let expected = Reference.matmul(a.data, b.data, m: 4 * m, k: k, n: n, transposeB: true)
        GemmTestData.assertClose(shared.data, expected, tolerance: GemmTestData.dotTolerance(k), "2-D b")

        let left = GemmTestData.uniform([k, m], seed: 7)
        let right = GemmTestData.uniform([3, k, n], seed: 8)
        let c = batchedMatmul(left, right, transposeA: true)
        XCTAssertEqual(c.shape, [3, m, n])
        var expectedLeft = [Float]()
        for index in 0..<3 {
            expectedLeft += Reference.matmul(left.data, Array(right.data[index * k * n..<(index + 1) * k * n]),
                                             m: m, k: k, n: n, transposeA: true)
        }
        GemmTestData.assertClose(c.data, expectedLeft, tolerance: GemmTestData.dotTolerance(k), "2-D a")
    }

    func testLinearOnThreeDimensionalInput() {
        let x = GemmTestData.uniform([2, 7, 48], seed: 9)
        let weight = GemmTestData.uniform([33, 48], seed: 10)
        let bias = GemmTestData.uniform([33], seed: 11)
        for useBias in [false, true] {
            let y = linear(x, weight: weight, bias: useBias ? bias : nil)
            XCTAssertEqual(y.shape, [2, 7, 33])
            let expected = Reference.linear(x.data, rows: 14, inFeatures: 48, weight: weight.data,
                                            outFeatures: 33, bias: useBias ? bias.data : nil)
            GemmTestData.assertClose(y.data, expected, tolerance: GemmTestData.dotTolerance(48),
                                     "linear bias \(useBias)")
        }
        // The bias is really added: with zero weights the output is the bias on every row.
        let biasOnly = linear(x, weight: Tensor(zeros: [33, 48]), bias: bias)
        XCTAssertEqual(Array(biasOnly.data[33 * 5..<33 * 6]), bias.data)
    }
}
