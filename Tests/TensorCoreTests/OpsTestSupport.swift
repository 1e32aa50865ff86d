import Foundation
import XCTest
@testable import TensorCore

// Shared helpers of the op tests: seeded random tensors, comparisons, and the torch fixture
// Tests/Fixtures/ops/tensor_ops.json (regenerate: tools/reference/generate_all.sh).

/// A small deterministic generator (SplitMix64) so that test inputs never change.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Uniform values in `range`, reproducible from `seed`.
func randomTensor(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -2...2) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, data: (0..<n).map { _ in Float.random(in: range, using: &g) })
}

/// Asserts `|actual − expected| ≤ tolerance` elementwise, reporting the worst element.
func assertClose(_ actual: [Float], _ expected: [Double], tolerance: Double,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "count mismatch \(message)", file: file, line: line)
    var worst = 0.0
    var at = 0
    for i in 0..<min(actual.count, expected.count) {
        let d = Swift.abs(Double(actual[i]) - expected[i])
        if !(d <= worst) { worst = d; at = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance,
                             "max |Δ| \(worst) at \(at) (got \(actual.isEmpty ? 0 : actual[at]), want \(expected.isEmpty ? 0 : expected[at])) \(message)",
                             file: file, line: line)
}

func assertClose(_ actual: Tensor, _ expected: [Double], tolerance: Double,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose(actual.data, expected, tolerance: tolerance, message, file: file, line: line)
}

/// The torch reference values of tools/reference/tensor_ops_fixtures.py.
struct OpsFixture {
    static let regenerate = "tools/reference/generate_all.sh"
    let cases: [String: Tensor]

    static func load() throws -> OpsFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ops/tensor_ops.json")
        let data = try Data(contentsOf: url)
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              root["format_version"] as? Int == 1,
              let cases = root["cases"] as? [String: [String: Any]] else {
            throw NSError(domain: "OpsFixture", code: 2, userInfo: [NSLocalizedDescriptionKey:
                "unreadable fixture \(url.path); regenerate with \(regenerate)"])
        }
        var out: [String: Tensor] = [:]
        for (name, entry) in cases {
            let shape = (entry["shape"] as? [NSNumber] ?? []).map(\.intValue)
            let values = (entry["data"] as? [NSNumber] ?? []).map { Float($0.doubleValue) }
            out[name] = Tensor(shape: shape, data: values)
        }
        return OpsFixture(cases: out)
    }

    func callAsFunction(_ name: String) throws -> Tensor {
        guard let t = cases[name] else {
            throw NSError(domain: "OpsFixture", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "fixture case \(name) missing; regenerate with \(OpsFixture.regenerate)"])
        }
        return t
    }
}

extension Tensor {
    var doubles: [Double] { data.map(Double.init) }
}
