import Foundation
import XCTest
import TensorCore
@testable import WeightsIO

/// Reads `Tests/Fixtures/weights/sample.safetensors`, written by the Python safetensors
/// library (regenerate: `tools/reference/generate_all.sh`).
/// All expected values are exactly representable, so comparisons are exact.
final class SafetensorsReferenceTests: XCTestCase {
    private func open() throws -> SafetensorsFile {
        try SafetensorsFile(url: weightsFixtures.appendingPathComponent("sample.safetensors"))
    }

    func testNamesAndMetadata() throws {
        let file = try open()
        XCTAssertEqual(file.names, ["bf16.values", "empty", "half.values", "linear.weight", "position_ids", "scale"])
        XCTAssertEqual(file.metadata, ["format": "pt", "generator": "tools/reference/safetensors_fixtures.py"])
        XCTAssertEqual(try file.info("half.values"), TensorInfo(dtype: .float16, shape: [8]))
        XCTAssertEqual(try file.info("bf16.values"), TensorInfo(dtype: .bfloat16, shape: [5, 1]))
        XCTAssertEqual(try file.info("position_ids"), TensorInfo(dtype: .int64, shape: [1, 4]))
    }

    func testFloat32Values() throws {
        let file = try open()
        XCTAssertEqual(try file.tensor("linear.weight"), Tensor(shape: [2, 3], data: [0, 0.5, 1, 1.5, 2, 2.5]))
        XCTAssertEqual(try file.tensor("scale"), Tensor(scalar: 3.25))
        XCTAssertEqual(try file.tensor("empty").shape, [0, 3])
    }

    func testFloat16Values() throws {
        let file = try open()
        let stored = try file.stored("half.values")
        let bits = stored.withUnsafeBytes { raw in (0..<8).map { raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) } }
        XCTAssertEqual(bits, [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x0400, 0x3555, 0x8000])
        let values = stored.widened().data
        XCTAssertEqual(values, [1, -2, 0.5, 65504, 0x1p-24, 0x1p-14, 0.333251953125, -0.0])
        XCTAssertEqual(values[7].sign, .minus, "-0 keeps its sign")
    }

    func testBFloat16Values() throws {
        let file = try open()
        let tensor = try file.tensor("bf16.values")
        XCTAssertEqual(tensor.shape, [5, 1])
        // 0x714a << 16 is 1e30 rounded to bfloat16.
        XCTAssertEqual(tensor.data, [1, -2, 3.140625, 0x1p-126, Float(bitPattern: 0x714A_0000)])
    }

    func testInt64Values() throws {
        XCTAssertEqual(try open().tensor("position_ids"), Tensor(shape: [1, 4], data: [0, 1, 2, 3]))
    }

    func testMissingTensorNamesFileAndSuggestion() throws {
        let file = try open()
        assertThrowsMessage(try file.tensor("linear.weights"),
                            contains: ["sample.safetensors", "'linear.weights'", "did you mean 'linear.weight'"])
    }
}
