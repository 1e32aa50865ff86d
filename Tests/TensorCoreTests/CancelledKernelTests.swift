// Kernels too long for a block-boundary check (issue #20: "≤ 1 s from ^X or SIGTERM to a
// clean stop at any size") skip their work once the calling thread's job is cancelled
// (`CancellationFlag.current`), and compute as always otherwise. What they leave is
// meaningless; the engine's next check throws before anything reads it.
import TensorCore
import XCTest

final class CancelledKernelTests: XCTestCase {
    let a = Tensor(shape: [1, 2, 3, 4], data: (0..<24).map { Float($0) / 10 })

    func testWithoutACancelledJobEveryKernelComputes() {
        let flag = CancellationFlag()
        CancellationFlag.withCurrent(flag) {
            XCTAssertTrue(CancellationFlag.current === flag)
            let attended = scaledDotProductAttention(a, a, a)
            XCTAssertGreaterThan(attended.data.map(abs).reduce(0, +), 1, "attention computed")
            let conv = conv3d(Tensor(shape: [1, 1, 1, 2, 2], data: [1, 2, 3, 4]),
                              weight: Tensor(shape: [1, 1, 1, 1, 1], data: [2]), bias: Tensor(shape: [1], data: [0.5]))
            XCTAssertEqual(conv.data, [2.5, 4.5, 6.5, 8.5])
            XCTAssertEqual(matmul(Tensor(shape: [1, 2], data: [1, 2]), Tensor(shape: [2, 1], data: [3, 4])).data, [11])
            XCTAssertEqual(Tensor(shape: [2], data: [-1, 2]).activated(.relu).data, [0, 2])
        }
        XCTAssertNil(CancellationFlag.current, "the flag is the current one only inside withCurrent")
    }

    func testACancelledJobsKernelsSkipTheirWork() {
        let flag = CancellationFlag()
        flag.cancel()
        CancellationFlag.withCurrent(flag) {
            // Attention leaves its zero-initialised output.
            XCTAssertEqual(scaledDotProductAttention(a, a, a).data, [Float](repeating: 0, count: 24))
            // A 3×3 convolution (im2col + GEMM, the chunked path) leaves the bias.
            let x = Tensor(shape: [1, 1, 1, 4, 4], data: [Float](repeating: 1, count: 16))
            let conv = conv3d(x, weight: Tensor(shape: [1, 1, 1, 3, 3], data: [Float](repeating: 1, count: 9)),
                              bias: Tensor(shape: [1], data: [0.5]), spatialPadding: .uniform(1))
            XCTAssertEqual(conv.data, [Float](repeating: 0.5, count: 16))
            // A GEMM leaves C as it was.
            var c: [Float] = [7]
            [Float(1), 2].withUnsafeBufferPointer { x in
                [Float(3), 4].withUnsafeBufferPointer { y in
                    c.withUnsafeMutableBufferPointer { out in
                        BLAS.sgemm(m: 1, n: 1, k: 2, a: x.baseAddress!, lda: 2, b: y.baseAddress!, ldb: 1,
                                   c: out.baseAddress!, ldc: 1)
                    }
                }
            }
            XCTAssertEqual(c, [7])
            XCTAssertEqual(Tensor(shape: [2], data: [-1, 2]).activated(.relu).data, [-1, 2], "activation skipped")
            XCTAssertEqual(Tensor(shape: [1, 2], data: [3, 1]).gated(.gelu).data, [0], "the gate is left at zero")
        }
        // Another thread's job is not this one's: the same kernels compute there.
        let computed = Tensor(shape: [2], data: [-1, 2]).activated(.relu).data
        XCTAssertEqual(computed, [0, 2])
    }
}
