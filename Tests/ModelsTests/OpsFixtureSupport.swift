import Foundation
import Reference
import TensorCore
import XCTest

// Seeded inputs, absolute-error comparisons against Double references, and the torch op
// fixture Tests/Fixtures/ops/tensor_ops.json, for the layer tests of this target (the same
// helpers TensorCoreTests uses; the generator and the fixture reader live in Reference).

/// Uniform values in `range`, reproducible from `seed`.
func randomTensor(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -2...2) -> Tensor {
    Tensor(shape: shape, data: Reference.randomValues(count: shape.reduce(1, *), seed: seed, in: range))
}

/// Asserts `|actual − expected| ≤ tolerance` elementwise, reporting the worst element.
func assertClose(_ actual: Tensor, _ expected: [Double], tolerance: Double,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "count mismatch \(message)", file: file, line: line)
    var worst = 0.0
    var at = 0
    for i in 0..<min(actual.count, expected.count) {
        let d = Swift.abs(Double(actual.data[i]) - expected[i])
        if !(d <= worst) { worst = d; at = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance,
                             "max |Δ| \(worst) at \(at) (got \(actual.data.isEmpty ? 0 : actual.data[at]), want \(expected.isEmpty ? 0 : expected[at])) \(message)",
                             file: file, line: line)
}

/// The torch reference values of tools/reference/tensor_ops_fixtures.py, as tensors.
struct OpsFixture {
    let file: Reference.OpsFixture

    static func load() throws -> OpsFixture { OpsFixture(file: try Reference.OpsFixture.load()) }

    func callAsFunction(_ name: String) throws -> Tensor {
        let c = try file.values(name)
        return Tensor(shape: c.shape, data: c.data)
    }
}

extension Tensor {
    var doubles: [Double] { data.map(Double.init) }
}
