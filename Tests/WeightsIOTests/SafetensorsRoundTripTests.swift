import Foundation
import XCTest
import TensorCore
@testable import WeightsIO

final class SafetensorsRoundTripTests: XCTestCase {
    func testFloat32RoundTripIsExact() throws {
        let folder = try makeTemporaryDirectory(self)
        let url = folder.appendingPathComponent("a.safetensors")
        let tensors: [String: Tensor] = [
            "b.weight": Tensor(shape: [3, 2], data: [1, -2, 3.5, .pi, -0.0, 1e-30]),
            "a.bias": Tensor(shape: [3], data: [7, 8, 9]),
            "scalar": Tensor(scalar: 42),
            "empty": Tensor(zeros: [2, 0]),
        ]
        try SafetensorsWriter.write(tensors, to: url, metadata: ["format": "pt", "quote\"d": "new\nline"])
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.names, ["a.bias", "b.weight", "empty", "scalar"])
        XCTAssertEqual(file.metadata, ["format": "pt", "quote\"d": "new\nline"])
        for (name, tensor) in tensors {
            XCTAssertEqual(try file.tensor(name), tensor, name)
            XCTAssertEqual(try file.info(name).dtype, .float32)
        }
    }

    func testHeaderIsSpacePaddedToEightBytesAndDataIsSortedByName() throws {
        let folder = try makeTemporaryDirectory(self)
        let url = folder.appendingPathComponent("a.safetensors")
        try SafetensorsWriter.write(["z": Tensor(scalar: 1), "y": Tensor(shape: [2], data: [2, 3])], to: url)
        let bytes = try [UInt8](Data(contentsOf: url))
        let length = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(length % 8, 0)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"y":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"z":"#), header)
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces).last, "}")
        XCTAssertEqual(bytes.count, 8 + length + 12)
    }

    func testHalfAndBFloat16WritingRoundsToNearestEven() throws {
        let folder = try makeTemporaryDirectory(self)
        let source = Tensor(shape: [4], data: [1, 1.0 / 3.0, 65504, -2.5])
        for dtype in [SafetensorsDType.float16, .bfloat16] {
            let url = folder.appendingPathComponent("\(dtype).safetensors")
            try SafetensorsWriter.write(["w": source], to: url, dtype: dtype)
            let file = try SafetensorsFile(url: url)
            XCTAssertEqual(try file.info("w").dtype, dtype)
            let expected = source.data.map {
                dtype == .float16 ? Float(Float16($0)) : HalfPrecision.float(fromBFloat16Bits: HalfPrecision.bfloat16Bits(from: $0))
            }
            XCTAssertEqual(try file.tensor("w").data, expected, "\(dtype)")
        }
    }

    func testStoredTensorKeepsDTypeAndWidensLater() throws {
        let folder = try makeTemporaryDirectory(self)
        let url = folder.appendingPathComponent("h.safetensors")
        // Large enough that widening splits across threads.
        let count = 200_000
        let source = Tensor(shape: [count / 100, 100], data: (0..<count).map { Float($0 % 2048) })  // exact in F16
        try SafetensorsWriter.write(["w": source], to: url, dtype: .float16)
        let stored = try SafetensorsFile(url: url).stored("w")  // the file value is dropped; the mapping lives on
        XCTAssertEqual(stored.dtype, .float16)
        XCTAssertEqual(stored.byteCount, 2 * count)
        XCTAssertEqual(stored.widened(), source)
    }

    func testStoredTensorsWriteAsIs() throws {
        let folder = try makeTemporaryDirectory(self)
        let url = folder.appendingPathComponent("s.safetensors")
        let ids = try StoredTensor(dtype: .int32, shape: [2], bytes: [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        try SafetensorsWriter.write(stored: ["ids": ids], to: url)
        XCTAssertEqual(try SafetensorsFile(url: url).tensor("ids").data, [1, -1])
    }

    func testNarrowingToIntegerTypeIsRejected() {
        assertThrowsMessage(try StoredTensor(Tensor(scalar: 1), as: .int64, name: "w"), contains: ["'w'", "I64"])
    }

    func testReservedNameIsRejected() throws {
        let url = try makeTemporaryDirectory(self).appendingPathComponent("r.safetensors")
        assertThrowsMessage(try SafetensorsWriter.write(["__metadata__": Tensor(scalar: 1)], to: url),
                            contains: ["r.safetensors", "__metadata__"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
