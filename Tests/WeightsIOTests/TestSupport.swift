import Foundation
import XCTest
@testable import WeightsIO

/// A fresh temporary directory removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("weightsio-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Writes a raw safetensors-like file: an 8-byte length (default: the header's byte count),
/// the header text and `data`, so tests can build malformed files.
@discardableResult
func writeRawSafetensors(_ url: URL, header: String, data: [UInt8], declaredLength: UInt64? = nil) throws -> URL {
    let headerBytes = Array(header.utf8)
    var length = (declaredLength ?? UInt64(headerBytes.count)).littleEndian
    var file = Data(bytes: &length, count: 8)
    file.append(contentsOf: headerBytes)
    file.append(contentsOf: data)
    try file.write(to: url)
    return url
}

/// The committed fixture folder `Tests/Fixtures/weights`.
let weightsFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/weights", isDirectory: true)

/// Asserts that `body` throws an error whose description contains every one of `fragments`,
/// and returns the error.
@discardableResult
func assertThrowsMessage<T>(_ body: @autoclosure () throws -> T, contains fragments: [String],
                            file: StaticString = #filePath, line: UInt = #line) -> Error? {
    do {
        _ = try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
        return nil
    } catch {
        let message = String(describing: error)
        for fragment in fragments where !message.contains(fragment) {
            XCTFail("error message lacks '\(fragment)':\n\(message)", file: file, line: line)
        }
        return error
    }
}
