import Foundation
import XCTest
import Reference
@testable import TensorCore

final class AttentionTests: XCTestCase {
    /// Broadcasts an additive mask (right-aligned) to a full [B, H, Sq, Sk] array for the reference.
    private func fullMask(_ mask: Tensor, _ B: Int, _ H: Int, _ Sq: Int, _ Sk: Int) -> [Float] {
        let shape = [Int](repeating: 1, count: 4 - mask.rank) + mask.shape
        let own = Tensor.strides(for: shape)
        let strides = (0..<4).map { shape[$0] == 1 ? 0 : own[$0] }
        var out = [Float](repeating: 0, count: B * H * Sq * Sk)
        for b in 0..<B { for h in 0..<H { for i in 0..<Sq {
            let source = b * strides[0] + h * strides[1] + i * strides[2]
            let target = ((b * H + h) * Sq + i) * Sk
            for j in 0..<Sk { out[target + j] = mask.data[source + j * strides[3]] }
        } } }
        return out
    }

    /// [B, X, Y, D] -> [B, Y, X, D] (switches between the two attention layouts).
    private func swapMiddle(_ t: Tensor) -> Tensor {
        let (B, X, Y, D) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        return Tensor(shape: [B, Y, X, D]) { out in
            for b in 0..<B { for x in 0..<X { for y in 0..<Y { for d in 0..<D {
                out[((b * Y + y) * X + x) * D + d] = t.data[((b * X + x) * Y + y) * D + d]
            } } } }
        }
    }

    /// Compares the tiled kernel with the full-softmax reference. Outputs are convex
    /// combinations of values in [-1, 1]; the dominant float32 error is the length-Sk sum
    /// of P·V (plus ~1e-7 from the vectorised exp), hence `dotTolerance(Sk)`.
    private func check(B: Int = 1, H: Int = 2, Sq: Int, Sk: Int, D: Int = 16, Dv: Int = 16,
                       mask: Tensor? = nil, isCausal: Bool = false, scale: Float? = nil,
                       queryBlock: Int = 256, keyBlock: Int = 256, _ label: String, line: UInt = #line) {
        let q = GemmTestData.uniform([B, H, Sq, D], seed: 71)
        let k = GemmTestData.uniform([B, H, Sk, D], seed: 72)
        let v = GemmTestData.uniform([B, H, Sk, Dv], seed: 73)
        let y = scaledDotProductAttention(q, k, v, mask: mask, isCausal: isCausal, scale: scale,
                                          layout: .batchHeadSequence, queryBlock: queryBlock, keyBlock: keyBlock)
        XCTAssertEqual(y.shape, [B, H, Sq, Dv], label, line: line)
        var full = mask.map { fullMask($0, B, H, Sq, Sk) }
        if isCausal {
            let causal = fullMask(AttentionMask.causal(queries: Sq, keys: Sk), B, H, Sq, Sk)
            full = full.map { zip($0, causal).map(+) } ?? causal
        }
        let expected = Reference.attention(q: q.data, k: k.data, v: v.data, batch: B, heads: H,
                                           queries: Sq, keys: Sk, headDim: D, valueDim: Dv, mask: full,
                                           scale: scale ?? 1 / Float(D).squareRoot())
        GemmTestData.assertClose(y.data, expected, tolerance: GemmTestData.dotTolerance(Sk), label)
    }

    func testLongSequenceTiledWithoutMask() {
        check(Sq: 700, Sk: 700, "700×700, tiles 256 (uneven last tile)")
        // T5 / UMT5 use scale 1: larger logits exercise the running-max rescaling.
        check(Sq: 300, Sk: 700, D: 8, scale: 1, queryBlock: 128, "scale 1")
    }

    func testQueriesDifferFromKeysAndValueWidth() {
        check(B: 2, Sq: 300, Sk: 700, D: 16, Dv: 24, queryBlock: 128, keyBlock: 256, "Sq 300, Sk 700, Dv 24")
        check(Sq: 700, Sk: 77, keyBlock: 32, "cross-attention to 77 keys")
    }

    func testKeyPaddingAndFloatMasks() {
        let (B, Sk) = (2, 700)
        // Batch 0 keeps the first 650 keys, batch 1 every third key.
        let keep = (0..<B).map { b in (0..<Sk).map { j in b == 0 ? j < 650 : j % 3 == 0 } }
        check(B: B, H: 1, Sq: 700, Sk: Sk, mask: AttentionMask.keyPadding(keep), "key padding [B,1,1,Sk]")
        // A finite additive [Sq, Sk] mask (relative-position-bias style).
        let bias = GemmTestData.uniform([700, Sk], seed: 81)
        check(B: B, H: 1, Sq: 700, Sk: Sk, mask: Tensor(shape: [700, Sk], data: bias.data.map { $0 * 3 }), "float [Sq,Sk]")
        // A per-head [1, H, 1, Sk] mask.
        check(B: 1, H: 2, Sq: 300, Sk: Sk, mask: GemmTestData.uniform([1, 2, 1, Sk], seed: 82), "[1,H,1,Sk]")
    }

    func testFullyMaskedKeyBlocks() {
        // Keys 256..<512 are exactly the second key tile: every row skips a whole tile.
        let middle = AttentionMask.keyPadding([(0..<700).map { !(256..<512).contains($0) }])
        check(Sq: 700, Sk: 700, mask: middle, "masked middle key tile")
        // Keys 0..<300 masked: the first tile is fully masked, so the running max starts at −inf
        // and is first set by the second tile.
        let leading = AttentionMask.keyPadding([(0..<700).map { $0 >= 300 }])
        check(Sq: 700, Sk: 700, mask: leading, "masked leading keys")
    }

    func testCausal() {
        check(Sq: 520, Sk: 520, isCausal: true, queryBlock: 128, keyBlock: 256, "isCausal")
        check(Sq: 300, Sk: 500, isCausal: true, queryBlock: 100, keyBlock: 64, "isCausal, Sq < Sk")
        // The explicit mask and the flag agree.
        let q = GemmTestData.uniform([1, 1, 200, 8], seed: 91)
        let byFlag = scaledDotProductAttention(q, q, q, isCausal: true)
        let byMask = scaledDotProductAttention(q, q, q, mask: AttentionMask.causal(queries: 200, keys: 200))
        // Same tiles, same arithmetic except that the flag skips key tiles of exact zeros.
        GemmTestData.assertClose(byFlag.data, byMask.data, tolerance: 1e-6, "flag vs mask")
    }

    func testFullyMaskedRowGivesZeros() {
        let q = GemmTestData.uniform([1, 1, 4, 8], seed: 92)
        let mask = Tensor(shape: [4, 1], data: [0, -.infinity, 0, 0])  // row 1 sees no key
        let y = scaledDotProductAttention(q, q, q, mask: mask)
        XCTAssertEqual(Array(y.data[8..<16]), [Float](repeating: 0, count: 8))
        XCTAssertFalse(y.data.contains { $0.isNaN })
        XCTAssertNotEqual(Array(y.data[0..<8]), [Float](repeating: 0, count: 8))
    }

    func testSequenceHeadLayoutMatchesHeadSequenceLayout() {
        let q = GemmTestData.uniform([2, 3, 300, 16], seed: 101)  // [B, H, S, D]
        let k = GemmTestData.uniform([2, 3, 280, 16], seed: 102)
        let v = GemmTestData.uniform([2, 3, 280, 16], seed: 103)
        let mask = AttentionMask.keyPadding([(0..<280).map { $0 < 250 }, (0..<280).map { $0 % 2 == 0 }])
        let headFirst = scaledDotProductAttention(q, k, v, mask: mask)
        let sequenceFirst = scaledDotProductAttention(swapMiddle(q), swapMiddle(k), swapMiddle(v), mask: mask,
                                                      layout: .batchSequenceHead)
        XCTAssertEqual(sequenceFirst.shape, [2, 300, 3, 16])
        // The same GEMMs on strided views: only OpenBLAS's blocking may differ.
        GemmTestData.assertClose(swapMiddle(sequenceFirst).data, headFirst.data, tolerance: 1e-5, "layouts")
    }
}

/// `VectorMath`: the exp behind the softmax (`AttentionMath.exp`, and CVectorKernels' copy) and
/// the sigmoid-based activations.
final class VectorMathTests: XCTestCase {
    func testExpAccuracyOverItsWholeRange() {
        // Cephes' expf reduction and polynomial: a few float32 ulps (~2e-7 relative) wherever
        // the result is a normal Float; 1e-6 leaves room for the reduction's rounding.
        var x: Float = -87.3
        while x <= 88 {
            let expected = Float(Foundation.exp(Double(x)))
            XCTAssertEqual(VectorMath.exp(x), expected, accuracy: 1e-6 * expected, "x = \(x)")
            x += 0.0917
        }
        XCTAssertEqual(VectorMath.exp(0), 1)
        XCTAssertEqual(VectorMath.exp(-.infinity), 0)
        XCTAssertEqual(VectorMath.exp(-100), 0)
        XCTAssertEqual(VectorMath.exp(88.5), .infinity)
        XCTAssertEqual(VectorMath.exp(.infinity), .infinity)
        XCTAssertTrue(VectorMath.exp(.nan).isNaN)
    }

    func testActivationsMatchTheirDefinitionsInDouble() {
        // torch's float32 kernels are within a few ulps of the exact function; ours must be too.
        // Absolute error ≤ 2e-6 · max(1, |x|): GELU and SiLU grow like x, and for x near 0 the
        // values themselves are near 0.
        func check(_ activation: Activation, _ exact: (Double) -> Double) {
            var x: Float = -20
            while x <= 20 {
                let expected = exact(Double(x))
                let actual = Double(activation(x))
                XCTAssertEqual(actual, expected, accuracy: 2e-6 * max(1, abs(Double(x))), "\(activation)(\(x))")
                x += 0.0371
            }
        }
        let c = (2 / Double.pi).squareRoot()
        check(.silu) { $0 / (1 + Foundation.exp(-$0)) }
        check(.sigmoid) { 1 / (1 + Foundation.exp(-$0)) }
        check(.quickGELU) { $0 / (1 + Foundation.exp(-1.702 * $0)) }
        check(.geluTanh) { 0.5 * $0 * (1 + Foundation.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }
        // Saturation: no NaN from inf / inf, the right limits.
        XCTAssertEqual(Activation.silu(-1000), 0)
        XCTAssertEqual(Activation.geluTanh(-1000), 0)
        XCTAssertEqual(Activation.geluTanh(1000), 1000)
        XCTAssertEqual(Activation.sigmoid(1000), 1)
    }
}
