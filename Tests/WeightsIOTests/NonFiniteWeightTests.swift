// Issue #19 (silent wrong results): NaN or infinite weights are found once, at load, by their
// exponent bits, and named with their tensor and element.
import Foundation
import TensorCore
@testable import WeightsIO
import XCTest

final class NonFiniteWeightTests: XCTestCase {
    func testEveryFloatDtypeFindsTheFirstNaNOrInfinityAndNothingElse() throws {
        let finite: [Float] = [0, -0, 1, -2.5, 65504, -65504, 6e-8, 1e-40]  // incl. F16's largest, subnormals
        for dtype in [SafetensorsDType.float32, .float16, .bfloat16] {
            XCTAssertNil(try StoredTensor(Tensor(shape: [finite.count], data: finite), as: dtype).firstNonFinite, "\(dtype)")
            for (value, isNaN) in [(Float.nan, true), (Float.infinity, false), (-Float.infinity, false)] {
                let stored = try StoredTensor(Tensor(shape: [4], data: [1, 2, value, .nan]), as: dtype)
                let bad = try XCTUnwrap(stored.firstNonFinite, "\(dtype) \(value)")
                XCTAssertEqual(bad.index, 2, "\(dtype) \(value)")
                XCTAssertEqual(bad.isNaN, isNaN, "\(dtype) \(value)")
            }
        }
        var bytes: [UInt8] = []
        for value in [1.0, Double.infinity] { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        XCTAssertEqual(try StoredTensor(dtype: .float64, shape: [2], bytes: bytes).firstNonFinite?.index, 1)
        XCTAssertNil(try StoredTensor(dtype: .int32, shape: [1], bytes: [0xFF, 0xFF, 0x80, 0x7F]).firstNonFinite,
                     "integers have no NaN")
    }

    func testALoadNamesTheTensorTheFileAndTheElement() throws {
        let folder = try makeTemporaryDirectory(self)
        let url = folder.appendingPathComponent("diffusion_pytorch_model.safetensors")
        try SafetensorsWriter.write(["ok": Tensor(shape: [2], data: [1, 2]),
                                     "bad.weight": Tensor(shape: [2, 2], data: [0, 1, .infinity, 3])], to: url, dtype: .float16)
        let store = try WeightStore(folder: folder)
        XCTAssertNoThrow(try store.tensor("ok", shape: [2]))
        assertThrowsMessage(try store.tensor("bad.weight", shape: [2, 2]),
                            contains: ["'bad.weight'", "diffusion_pytorch_model.safetensors", "an infinity at element 2"])
    }
}
