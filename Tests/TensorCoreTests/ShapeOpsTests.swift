import XCTest
import Reference
@testable import TensorCore

// Shape ops move values without arithmetic, so every comparison is exact.

final class ShapeOpsTests: XCTestCase {
    func testPermuteMatchesReference() {
        let cases: [([Int], [Int])] = [
            ([2, 3, 4, 5, 6], [0, 2, 1, 3, 4]),   // [B, C, F, H, W] → [B, F, C, H, W]
            ([2, 3, 4, 5, 6], [0, 2, 3, 4, 1]),   // channels last
            ([2, 3, 4, 5, 6], [0, 4, 1, 3, 2]),   // scattered
            ([2, 5, 3, 4], [0, 2, 1, 3]),         // [B, S, Nh, dh] → [B, Nh, S, dh]
            ([37, 45], [1, 0]),                   // 2-D, tiles with ragged edges
            ([3, 33, 70], [0, 2, 1]),             // batched transpose
            ([2, 1, 3, 1, 4], [4, 3, 2, 1, 0]),   // size-1 dims
            ([2, 3, 4], [0, 1, 2]),               // identity
        ]
        for (shape, order) in cases {
            let x = randomTensor(shape, seed: 41)
            let got = x.permuted(order)
            XCTAssertEqual(got.shape, order.map { shape[$0] }, "\(shape) \(order)")
            XCTAssertEqual(got.data, Reference.permute(x.data, shape: shape, order: order), "\(shape) \(order)")
        }
        let x = randomTensor([2, 3, 4], seed: 42)
        XCTAssertEqual(x.transposed(0, 2).data, Reference.permute(x.data, shape: [2, 3, 4], order: [2, 1, 0]))
        XCTAssertEqual(x.transposed(-1, -2).shape, [2, 4, 3])
    }

    func testPadConstantAndReplicate() {
        let shape = [2, 3, 4, 5]
        let x = randomTensor(shape, seed: 43)
        let before = [0, 1, 2, 0], after = [1, 0, 1, 3]
        XCTAssertEqual(x.padded(before: before, after: after, mode: .constant(-7)).data,
                       Reference.pad(x.data, shape: shape, before: before, after: after, value: -7, replicate: false))
        XCTAssertEqual(x.padded(before: before, after: after, mode: .replicate).data,
                       Reference.pad(x.data, shape: shape, before: before, after: after, value: nil, replicate: true))
        // torch order: (wLeft, wRight, hTop, hBottom) = last dim first.
        let t = x.padded(torchPad: [0, 3, 2, 1])
        XCTAssertEqual(t.shape, [2, 3, 7, 8])
        XCTAssertEqual(t.data, Reference.pad(x.data, shape: shape, before: [0, 0, 2, 0], after: [0, 0, 1, 3], value: 0, replicate: false))
    }

    func testConcatSplitChunkNarrow() {
        let a = randomTensor([2, 3, 4], seed: 44)
        let b = randomTensor([2, 5, 4], seed: 45)
        let c = Tensor.concatenate([a, b], axis: 1)
        XCTAssertEqual(c.shape, [2, 8, 4])
        let expected: [Float] = (0..<64).map { i in
            let idx = Reference.multiIndex(i, shape: [2, 8, 4])
            return idx[1] < 3 ? a[idx[0], idx[1], idx[2]] : b[idx[0], idx[1] - 3, idx[2]]
        }
        XCTAssertEqual(c.data, expected)
        let parts = c.split(sizes: [3, 5], axis: 1)
        XCTAssertEqual(parts, [a, b])
        XCTAssertEqual(c.chunked(2, axis: -2).map(\.shape), [[2, 4, 4], [2, 4, 4]])
        // torch.chunk: size ⌈n/chunks⌉, so 5 in 3 → 2, 2, 1 and 6 in 4 → 2, 2, 2.
        XCTAssertEqual(randomTensor([5], seed: 1).chunked(3, axis: 0).map(\.shape), [[2], [2], [1]])
        XCTAssertEqual(randomTensor([6], seed: 1).chunked(4, axis: 0).map(\.shape), [[2], [2], [2]])
        let n = c.narrowed(axis: 2, start: 1, length: 2)
        XCTAssertEqual(n.data, Reference.gather(c.data, shape: [2, 8, 4], axis: 2, outSize: 2) { $0 + 1 })
        XCTAssertEqual(c.selecting(axis: 0, index: 1).data, Array(c.data[32...]))
        XCTAssertEqual(Tensor.concatenate(a.chunked(3, axis: 1), axis: 1), a)
    }

    func testRepeatAndRepeatInterleave() {
        let x = randomTensor([2, 3, 4], seed: 46)
        XCTAssertEqual(x.repeated(3, axis: 1).data,
                       Reference.gather(x.data, shape: [2, 3, 4], axis: 1, outSize: 9) { $0 % 3 })
        XCTAssertEqual(x.repeatedInterleaved(3, axis: 0).data,
                       Reference.gather(x.data, shape: [2, 3, 4], axis: 0, outSize: 6) { $0 / 3 })
        XCTAssertEqual(x.repeatedInterleaved(2, axis: 2).data,
                       Reference.gather(x.data, shape: [2, 3, 4], axis: 2, outSize: 8) { $0 / 2 })
        XCTAssertEqual(try x.expanded(to: [2, 2, 3, 4]).data, x.data + x.data)
    }

    func testViews() {
        let x = randomTensor([2, 3, 4, 5], seed: 47)
        XCTAssertEqual(x.flattened(from: 1, to: 2).shape, [2, 12, 5])
        XCTAssertEqual(x.flattened().shape, [120])
        XCTAssertEqual(x.unflattened(axis: 2, sizes: [2, -1]).shape, [2, 3, 2, 2, 5])
        XCTAssertEqual(x.unsqueezed(axis: -1).shape, [2, 3, 4, 5, 1])
        XCTAssertEqual(x.unsqueezed(axis: 1).squeezed(axis: 1), x)
    }
}
