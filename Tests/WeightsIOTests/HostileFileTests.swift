// Issue #19 (hang): a FIFO in place of a weights or config file blocked `open()` forever and
// `models inspect` called the folder runnable. Every file a folder is read through is opened
// without blocking and refused unless it is a regular file.
import Foundation
import XCTest
import TestSupport
import RegularFiles
@testable import WeightsIO

final class HostileFileTests: XCTestCase {
    /// Fails if `body` has not returned within `seconds` (a blocked open would hang the run).
    func returnsPromptly(_ what: String, seconds: Double = 10, _ body: @escaping @Sendable () throws -> Void) {
        XCTAssertTrue(Deadline.finishes(within: seconds) {
            do { try body() } catch { XCTFail("\(what): \(error)") }
        }, "\(what) blocked")
    }

    func testAFIFOInPlaceOfAFileIsRefusedNotWaitedOn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-fifo-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("config.json")
        let weights = dir.appendingPathComponent("diffusion_pytorch_model.safetensors")
        XCTAssertEqual(mkfifo(config.path, 0o644), 0)
        XCTAssertEqual(mkfifo(weights.path, 0o644), 0)

        returnsPromptly("config.json") {
            XCTAssertThrowsError(try ConfigDecoding.decode(JSONValue.self, from: config)) { error in
                XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
            }
        }
        returnsPromptly("the weights file") {
            XCTAssertThrowsError(try SafetensorsFile(url: weights)) { error in
                XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
            }
        }
        returnsPromptly("a RegularFile read") {
            XCTAssertThrowsError(try RegularFile.contents(of: config))
            XCTAssertThrowsError(try RegularFile.contents(of: dir))
        }
        // An ordinary file still reads.
        let plain = dir.appendingPathComponent("plain.json")
        try Data(#"{"a": 1}"#.utf8).write(to: plain)
        XCTAssertEqual(try RegularFile.contents(of: plain), Data(#"{"a": 1}"#.utf8))
    }
}
