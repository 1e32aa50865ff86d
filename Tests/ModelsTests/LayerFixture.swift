import Foundation
import TensorCore
import WeightsIO
import XCTest

/// One case `<name>` of Tests/Fixtures/layers/layers.safetensors (tools/reference/layers_fixtures.py):
/// the module's weights under `<name>.weights.`, its input, output and extra tensors under `<name>.`.
struct LayerFixture {
    static let path = "layers/layers.safetensors"
    let name: String
    let file: SafetensorsFile
    /// A store of its own, so that which weights the block took can be checked.
    let store: WeightStore

    init(_ name: String) throws {
        self.name = name
        file = try Fixtures.cases(Self.path)
        store = try WeightStore(files: [file], source: Fixtures.url(Self.path).path)
    }

    /// The module's weights, with diffusers' state_dict keys.
    var weights: WeightScope { store.scoped("\(name).weights.") }

    /// `<name>.<key>`, e.g. `input`, `output`, `context`.
    func tensor(_ key: String) throws -> Tensor { try file.tensor("\(name).\(key)") }

    /// Fails unless the block loaded every weight of the case (strict loading for a store that
    /// holds other cases too; a missing key or wrong shape already threw while loading).
    func assertAllWeightsUsed(file: StaticString = #filePath, line: UInt = #line) {
        let unused = store.unusedKeys.filter { $0.hasPrefix("\(name).weights.") }
        XCTAssertEqual(unused, [], "\(name): weights not loaded", file: file, line: line)
    }

    /// Asserts the block's output against `<name>.output` within `tolerance` (max relative error).
    func assertOutput(_ actual: Tensor, tolerance: Float, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try tensor("output")
        if actual.shape == expected.shape {
            print("\(name): max relative error \(maxRelativeError(actual, expected))")
        }
        assertClose(actual, expected, tolerance: tolerance, name, file: file, line: line)
        assertAllWeightsUsed(file: file, line: line)
    }
}
