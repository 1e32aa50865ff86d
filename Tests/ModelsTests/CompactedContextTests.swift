import Foundation
@testable import Models
import TensorCore
import XCTest

/// `CompactedContext`: a prompt's trailing run of identical rows (WanPipeline's zero padding to
/// max_sequence_length) kept once with log n on its logit gives cross-attention's output over
/// all the rows.
final class CompactedContextTests: XCTestCase {
    /// [B, L, D] with sample b's rows after `real[b]` all equal to `pad`.
    private func padded(_ real: [Int], length: Int, width: Int, pad: Float = 0) -> Tensor {
        var state: UInt64 = 12345
        return Tensor(shape: [real.count, length, width]) { out in
            for b in real.indices {
                for j in 0..<length {
                    for d in 0..<width {
                        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        let value = Float(state >> 40) / Float(1 << 23) - 1
                        out[(b * length + j) * width + d] = j < real[b] ? value : pad
                    }
                }
            }
        }
    }

    func testRunsAreKeptOnceWithTheirLogCount() {
        let x = padded([3, 1], length: 8, width: 4)
        let compact = CompactedContext(x)
        // sample 0: 3 rows + 5 padding rows -> 4 rows; sample 1: 1 row + 7 -> 2 rows; L' = 4
        XCTAssertEqual(compact.rows.shape, [2, 4, 4])
        XCTAssertEqual(Array(compact.rows.data[0..<16]), Array(x.data[0..<16]))
        XCTAssertEqual(Array(compact.rows.data[16..<24]), Array(x.data[32..<40]))
        XCTAssertEqual(Array(compact.rows.data[24..<32]), [Float](repeating: 0, count: 8))
        let bias = compact.keyBias?.data ?? []
        XCTAssertEqual(Array(bias[0..<3]), [0, 0, 0])
        XCTAssertEqual(bias[3], Float(log(5.0)), accuracy: 1e-7)
        XCTAssertEqual(bias[4], 0)
        XCTAssertEqual(bias[5], Float(log(7.0)), accuracy: 1e-7)
        XCTAssertEqual(Array(bias[6..<8]), [-.infinity, -.infinity])
    }

    func testNothingToMergeLeavesTheInput() {
        let x = padded([8, 8], length: 8, width: 4)
        let compact = CompactedContext(x)
        XCTAssertNil(compact.keyBias)
        XCTAssertEqual(compact.rows.data, x.data)
    }

    func testCrossAttentionOverTheCompactedRowsEqualsItOverAllRows() throws {
        // The Wan fixture's first block: attn2 with across-heads RMS norm on q and k.
        let model = try WanTransformer3DModel.load(folder: Fixtures.url("wan/transformer"))
        let attention = model.blocks[0].crossAttention
        let dim = model.config.innerDim
        let context = padded([5, 2], length: 40, width: dim, pad: 0.25)   // padding that is not zero
        let x = padded([6, 6], length: 6, width: dim)
        let full = attention(x, context: context)
        let compact = CompactedContext(context)
        XCTAssertEqual(compact.rows.shape, [2, 6, dim])
        let merged = attention(x, keysValues: attention.keysValues(context: compact.rows, keyBias: compact.keyBias))
        // Float sums of 35 equal terms vs one term times 35: a few ulps (measured below 1e-6);
        // a wrong weight (log n missing) moves the output by O(0.1).
        print("CompactedContext: max relative error \(maxRelativeError(merged, full))")
        assertClose(merged, full, tolerance: 1e-5, "compacted cross-attention")
        let unweighted = attention(x, keysValues: attention.keysValues(context: compact.rows))
        XCTAssertGreaterThan(maxRelativeError(unweighted, full), 1e-2, "the log-count weight matters here")
    }
}
