import XCTest
import Reference
@testable import TensorCore

final class ResampleTests: XCTestCase {
    func testNearestByScalesAndSizes() {
        let x = randomTensor([2, 3, 4, 5], seed: 51)
        // Nearest copies values: exact.
        XCTAssertEqual(x.upsampledNearest(scales: [2, 2]).data,
                       Reference.nearest(x.data, shape: x.shape, size: [8, 10], exact: false))
        let v = randomTensor([1, 2, 3, 4, 5], seed: 52)
        let up = v.upsampledNearest(scales: [2, 2, 2])
        XCTAssertEqual(up.shape, [1, 2, 6, 8, 10])
        XCTAssertEqual(up.data, Reference.nearest(v.data, shape: v.shape, size: [6, 8, 10], exact: false))
        for exact in [false, true] {
            XCTAssertEqual(x.upsampledNearest(size: [7, 3], mode: exact ? .nearestExact : .nearest).data,
                           Reference.nearest(x.data, shape: x.shape, size: [7, 3], exact: exact), "exact \(exact)")
        }
    }

    func testLinearAgainstReference() {
        let v = randomTensor([2, 3, 3, 4, 5], seed: 53)
        // Up to 7 Float multiply-adds of weights ≤ 1 on values ≤ 2: ≤ 8 ulp(2) ≈ 2e-6.
        for (size, ac) in [([6, 8, 10], false), ([5, 3, 7], false), ([3, 4, 5], true), ([6, 2, 9], true)] {
            assertClose(v.interpolatedLinear(size: size, alignCorners: ac),
                        Reference.linear(v.data, shape: v.shape, size: size, alignCorners: ac), tolerance: 2e-6, "\(size) \(ac)")
        }
        let x = randomTensor([2, 3, 7], seed: 54)
        assertClose(x.interpolatedLinear(size: [15]),
                    Reference.linear(x.data, shape: x.shape, size: [15], alignCorners: false), tolerance: 2e-6)
    }

    func testInterpolationAgainstTorch() throws {
        let fixture = try OpsFixture.load()
        let v = try fixture("interp_input")   // [1, 1, 2, 3, 4]
        // Same arithmetic order as torch's nested interpolation; 1e-6 leaves room for 1–2 ulp.
        assertClose(v.interpolatedLinear(size: [3, 5, 7]), try fixture("trilinear_3_5_7").doubles, tolerance: 1e-6)
        assertClose(v.interpolatedLinear(size: [4, 3, 4]), try fixture("trilinear_scale_2_1_1").doubles, tolerance: 1e-6)
        assertClose(v.interpolatedLinear(size: [3, 2, 5], alignCorners: true), try fixture("trilinear_ac_3_2_5").doubles, tolerance: 1e-6)
        let frame = v.selecting(axis: 2, index: 0)   // [1, 1, 3, 4]
        XCTAssertEqual(frame.upsampledNearest(size: [5, 7]).data, try fixture("nearest_5_7").data)
        XCTAssertEqual(frame.upsampledNearest(size: [5, 7], mode: .nearestExact).data, try fixture("nearest_exact_5_7").data)
    }

    func testAveragePool() {
        let x = randomTensor([2, 3, 7, 2], seed: 55)
        let y = x.averagePooled(axis: 2, kernel: 2)
        XCTAssertEqual(y.shape, [2, 3, 3, 2])
        for i in 0..<y.count {
            let idx = Reference.multiIndex(i, shape: y.shape)
            let a = x[idx[0], idx[1], 2 * idx[2], idx[3]], b = x[idx[0], idx[1], 2 * idx[2] + 1, idx[3]]
            XCTAssertEqual(y.data[i], (a + b) / 2)   // same two Float operations: exact
        }
    }
}
