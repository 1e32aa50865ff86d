import Foundation
import XCTest
@testable import TensorCore

/// `BLAS.sgemm` splits a GEMM into row or column blocks over `Parallel`'s threads. A split GEMM
/// must give the unsplit one's numbers — for every transpose and for strided operands — up to
/// the last bits: OpenBLAS picks its kernels by the block's size (its small-matrix kernels sum
/// in another order), so about a fifth of the elements of an 83×70×45 product differ by 1–2
/// ulps (measured ≤ 1.5e-6 on values of rms ~2.5). The tolerance is the GEMM tests' √k bound;
/// an offset or stride mistake puts whole terms in the wrong place, errors of order 1.
final class ParallelGemmTests: XCTestCase {
    /// op(A) [m, k] · op(B) [k, n] + beta · C, with leading dimensions padded by 3 so that
    /// offsets into a block use lda / ldb / ldc rather than the plain widths.
    private func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, beta: Float,
                      blocks: (count: Int, size: Int, alongRows: Bool)) -> [Float] {
        let (aRows, aCols) = transposeA ? (k, m) : (m, k)
        let (bRows, bCols) = transposeB ? (n, k) : (k, n)
        let (lda, ldb, ldc) = (aCols + 3, bCols + 3, n + 3)
        let a = GemmTestData.uniform([aRows * lda], seed: 1).data
        let b = GemmTestData.uniform([bRows * ldb], seed: 2).data
        var c = GemmTestData.uniform([m * ldc], seed: 3).data
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(transposeA, transposeB, m, n, k, 0.75, ap.baseAddress!, lda, bp.baseAddress!, ldb,
                               beta, cp.baseAddress!, ldc, blocks: blocks)
                }
            }
        }
        return c
    }

    func testSplitGemmEqualsUnsplit() {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for beta: Float in [0, 1] {
                    let (m, n, k) = (83, 70, 45)
                    let whole = gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: beta,
                                     blocks: (1, m, true))
                    // rows in blocks of 16 (the last one short), then columns likewise
                    for blocks in [(6, 16, true), (5, 16, false), (2, 48, true)] {
                        let split = gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, beta: beta,
                                         blocks: blocks)
                        GemmTestData.assertClose(split, whole, tolerance: GemmTestData.dotTolerance(k),
                                                 "transposeA \(transposeA) transposeB \(transposeB) beta \(beta) \(blocks)")
                    }
                }
            }
        }
    }

    func testBlocksCoverTheMatrixInTilesOf16() {
        // Too small to split, or a single thread: one block.
        XCTAssertEqual(BLAS.parallelBlocks(m: 8, n: 8, k: 8, threads: 2).count, 1)
        XCTAssertEqual(BLAS.parallelBlocks(m: 1000, n: 1000, k: 1000, threads: 1).count, 1)
        for (m, n, threads) in [(320, 128, 2), (17, 4096, 2), (640, 512, 3), (4096, 16, 4), (33, 33, 2)] {
            let blocks = BLAS.parallelBlocks(m: m, n: n, k: 256, threads: threads)
            let length = blocks.alongRows ? m : n
            XCTAssertGreaterThan(blocks.count, 1, "\(m)×\(n) on \(threads) threads")
            XCTAssertLessThanOrEqual(blocks.count, threads, "\(m)×\(n) on \(threads) threads")
            XCTAssertEqual(blocks.size % 16, 0, "\(m)×\(n): block \(blocks.size)")
            XCTAssertGreaterThanOrEqual(blocks.count * blocks.size, length, "\(m)×\(n): blocks leave rows out")
            XCTAssertLessThan((blocks.count - 1) * blocks.size, length, "\(m)×\(n): an empty block")
        }
        // Few rows and many columns: split the columns.
        XCTAssertFalse(BLAS.parallelBlocks(m: 17, n: 4096, k: 256, threads: 2).alongRows)
    }

    func testLoopsInsideAChunkRunOnItsThread() {
        // Inside a chunk of a loop with several chunks, a nested loop is one chunk on the same
        // thread; outside any loop the mark is off.
        XCTAssertFalse(Parallel.isInsideChunk)
        let lock = NSLock()
        var nestedChunks: [Int] = []
        var marks: [Bool] = []
        Parallel.forEach(Parallel.threadCount * 2) { _ in
            var chunks = 0
            Parallel.forEach(1000) { _ in chunks += 1 }
            lock.lock()
            nestedChunks.append(chunks)
            marks.append(Parallel.isInsideChunk)
            lock.unlock()
        }
        XCTAssertEqual(nestedChunks, [Int](repeating: 1, count: nestedChunks.count))
        if Parallel.threadCount > 1 { XCTAssertEqual(marks, [Bool](repeating: true, count: marks.count)) }
        XCTAssertFalse(Parallel.isInsideChunk)
    }
}
