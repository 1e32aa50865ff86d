import XCTest
@testable import TensorCore

final class TensorTests: XCTestCase {
    func testRowMajorStridesAndIndexing() {
        var t = Tensor(zeros: [2, 3, 4])
        XCTAssertEqual(t.strides, [12, 4, 1])
        t[1, 2, 3] = 5
        XCTAssertEqual(t.data[23], 5)
        XCTAssertEqual(t.reshaped([-1, 4]).shape, [6, 4])
    }

    func testParallelForCoversEveryIndexOnce() {
        let n = 10_007
        let hits = UnsafeMutableBufferPointer<Int32>.allocate(capacity: n)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)
        Parallel.forEach(n, grain: 16) { range in
            for i in range { hits[i] += 1 }
        }
        XCTAssertTrue(hits.allSatisfy { $0 == 1 })
    }
}
