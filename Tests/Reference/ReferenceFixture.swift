// Test inputs shared by the test targets that check ops and layers (TensorCoreTests,
// ModelsTests): seeded random values, and the torch reference values of
// tools/reference/tensor_ops_fixtures.py in Tests/Fixtures/ops/tensor_ops.json
// (regenerate: tools/reference/generate_all.sh). Plain arrays, so this target depends on
// nothing it checks; each test target wraps them in its own tensor type.

import Foundation

/// A small deterministic generator (SplitMix64) so that test inputs never change.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Reference {
    /// `count` uniform values in `range`, reproducible from `seed`.
    public static func randomValues(count: Int, seed: UInt64, in range: ClosedRange<Float> = -2...2) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: range, using: &g) }
    }

    /// The cases of Tests/Fixtures/ops/tensor_ops.json: name → shape and row-major values.
    public struct OpsFixture: Sendable {
        public static let regenerate = "tools/reference/generate_all.sh"
        public let cases: [String: (shape: [Int], data: [Float])]

        public static func load() throws -> OpsFixture {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/ops/tensor_ops.json")
            let data = try Data(contentsOf: url)
            guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  root["format_version"] as? Int == 1,
                  let cases = root["cases"] as? [String: [String: Any]] else {
                throw NSError(domain: "OpsFixture", code: 2, userInfo: [NSLocalizedDescriptionKey:
                    "unreadable fixture \(url.path); regenerate with \(regenerate)"])
            }
            var out: [String: (shape: [Int], data: [Float])] = [:]
            for (name, entry) in cases {
                let shape = (entry["shape"] as? [NSNumber] ?? []).map(\.intValue)
                let values = (entry["data"] as? [NSNumber] ?? []).map { Float($0.doubleValue) }
                out[name] = (shape, values)
            }
            return OpsFixture(cases: out)
        }

        /// Case `name`, or an error naming the regenerate command.
        public func values(_ name: String) throws -> (shape: [Int], data: [Float]) {
            guard let c = cases[name] else {
                throw NSError(domain: "OpsFixture", code: 1, userInfo: [NSLocalizedDescriptionKey:
                    "fixture case \(name) missing; regenerate with \(OpsFixture.regenerate)"])
            }
            return c
        }
    }
}
