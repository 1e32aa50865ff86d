import Foundation
import XCTest
@testable import WeightsIO

/// Malformed files must fail on open with an error naming the file, the tensor and the
/// value at fault — never crash or read out of bounds.
final class SafetensorsValidationTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryDirectory(self)
    }

    private func file(_ name: String, header: String, data: [UInt8], declaredLength: UInt64? = nil) throws -> URL {
        try writeRawSafetensors(folder.appendingPathComponent(name), header: header, data: data,
                                declaredLength: declaredLength)
    }

    func testValidMinimalFileOpens() throws {
        let url = try file("ok.safetensors", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                           data: [0, 0, 0x80, 0x3F])
        XCTAssertEqual(try SafetensorsFile(url: url).tensor("w").data, [1])
    }

    func testMissingFile() {
        assertThrowsMessage(try SafetensorsFile(url: folder.appendingPathComponent("nope.safetensors")),
                            contains: ["nope.safetensors", "No such file"])
    }

    func testDirectoryIsNotAFile() {
        assertThrowsMessage(try SafetensorsFile(url: folder), contains: [folder.path, "not a regular file"])
    }

    func testEmptyAndTruncatedFiles() throws {
        let empty = folder.appendingPathComponent("empty.safetensors")
        try Data().write(to: empty)
        assertThrowsMessage(try SafetensorsFile(url: empty), contains: ["empty.safetensors", "truncated", "0 bytes"])
        let short = folder.appendingPathComponent("short.safetensors")
        try Data([1, 2, 3]).write(to: short)
        assertThrowsMessage(try SafetensorsFile(url: short), contains: ["short.safetensors", "truncated", "3 bytes"])
    }

    func testHeaderLengthPastEnd() throws {
        let url = try file("long.safetensors", header: "{}", data: [], declaredLength: 1000)
        assertThrowsMessage(try SafetensorsFile(url: url), contains: ["long.safetensors", "1000 bytes", "10 bytes"])
    }

    func testAbsurdHeaderLength() throws {
        let url = try file("huge.safetensors", header: "{}", data: [], declaredLength: UInt64.max)
        assertThrowsMessage(try SafetensorsFile(url: url), contains: ["huge.safetensors", "\(UInt64.max)"])
    }

    func testGitLFSPointer() throws {
        let url = folder.appendingPathComponent("lfs.safetensors")
        try Data("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n".utf8).write(to: url)
        assertThrowsMessage(try SafetensorsFile(url: url), contains: ["lfs.safetensors", "Git LFS pointer"])
    }

    func testNonJSONHeader() throws {
        let url = try file("text.safetensors", header: "PK\u{3}\u{4} zip?", data: [])
        assertThrowsMessage(try SafetensorsFile(url: url), contains: ["text.safetensors", "not valid JSON"])
    }

    func testHeaderNotAnObject() throws {
        let url = try file("array.safetensors", header: "[1, 2]", data: [])
        assertThrowsMessage(try SafetensorsFile(url: url), contains: ["array.safetensors", "an array"])
    }

    func testTruncatedData() throws {
        let url = try file("cut.safetensors", header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
                           data: [0, 0, 0, 0])
        assertThrowsMessage(try SafetensorsFile(url: url),
                            contains: ["cut.safetensors", "'w'", "[0, 16]", "4 bytes", "truncated"])
    }

    func testOffsetsPastEndAndReversed() throws {
        let past = try file("past.safetensors", header: #"{"w":{"dtype":"U8","shape":[2],"data_offsets":[7,9]}}"#,
                            data: [UInt8](repeating: 0, count: 8))
        assertThrowsMessage(try SafetensorsFile(url: past), contains: ["past.safetensors", "'w'", "[7, 9]", "8 bytes"])
        let reversed = try file("rev.safetensors", header: #"{"w":{"dtype":"U8","shape":[2],"data_offsets":[4,2]}}"#,
                                data: [UInt8](repeating: 0, count: 8))
        assertThrowsMessage(try SafetensorsFile(url: reversed), contains: ["rev.safetensors", "'w'", "[4, 2]"])
    }

    func testOverlappingRanges() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let url = try file("overlap.safetensors", header: header, data: [UInt8](repeating: 0, count: 12))
        assertThrowsMessage(try SafetensorsFile(url: url),
                            contains: ["overlap.safetensors", "'a'", "'b'", "0..<8", "4..<12", "overlap"])
    }

    func testEmptyTensorsMayShareAnOffset() throws {
        let header = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let url = try file("zero.safetensors", header: header, data: [UInt8](repeating: 0, count: 4))
        XCTAssertEqual(try SafetensorsFile(url: url).names, ["a", "b"])
    }

    func testWrongByteLengthForDType() throws {
        let url = try file("len.safetensors", header: #"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,12]}}"#,
                           data: [UInt8](repeating: 0, count: 12))
        assertThrowsMessage(try SafetensorsFile(url: url),
                            contains: ["len.safetensors", "'w'", "12 bytes", "[3] of BF16 needs 6 bytes"])
    }

    func testAbsurdShapeOverflows() throws {
        let url = try file("shape.safetensors",
                           header: #"{"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}"#,
                           data: [0, 0, 0, 0])
        assertThrowsMessage(try SafetensorsFile(url: url),
                            contains: ["shape.safetensors", "'w'", "1099511627776", "overflow"])
    }

    func testNegativeAndNonIntegerDimensions() throws {
        let negative = try file("neg.safetensors", header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, data: [])
        assertThrowsMessage(try SafetensorsFile(url: negative), contains: ["neg.safetensors", "'w'", "-1", "negative"])
        let fractional = try file("frac.safetensors", header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,
                                  data: [0, 0, 0, 0])
        assertThrowsMessage(try SafetensorsFile(url: fractional), contains: ["frac.safetensors", "'w'", "1.5"])
        let boolean = try file("bool.safetensors", header: #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#,
                               data: [0, 0, 0, 0])
        assertThrowsMessage(try SafetensorsFile(url: boolean), contains: ["bool.safetensors", "'w'", "true"])
    }

    func testUnknownDType() throws {
        let url = try file("dtype.safetensors", header: #"{"w":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,4]}}"#,
                           data: [0, 0, 0, 0])
        assertThrowsMessage(try SafetensorsFile(url: url), contains: ["dtype.safetensors", "'w'", "'Q4_K'", "BF16"])
    }

    func testMissingFields() throws {
        let url = try file("fields.safetensors", header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0])
        assertThrowsMessage(try SafetensorsFile(url: url), contains: ["fields.safetensors", "'w'", "data_offsets"])
        let notObject = try file("entry.safetensors", header: #"{"w":[1,2]}"#, data: [])
        assertThrowsMessage(try SafetensorsFile(url: notObject), contains: ["entry.safetensors", "'w'", "an array"])
    }

    func testBadMetadata() throws {
        let url = try file("meta.safetensors", header: #"{"__metadata__":{"format":3}}"#, data: [])
        assertThrowsMessage(try SafetensorsFile(url: url), contains: ["meta.safetensors", "__metadata__", "'format'", "3"])
    }
}
