// Issue #19 (hang): a FIFO in place of a tokenizer file blocked `open()` forever, as it did for
// weights and configs. Tokenizer files are now opened without blocking and refused unless
// they are regular files.
import Foundation
import XCTest
import TestSupport
@testable import Tokenizers

final class HostileTokenizerFileTests: XCTestCase {
    /// Fails if `body` has not returned within `seconds` (a blocked open would hang the run).
    func returnsPromptly(_ what: String, seconds: Double = 10, _ body: @escaping @Sendable () throws -> Void) {
        XCTAssertTrue(Deadline.finishes(within: seconds) {
            do { try body() } catch { XCTFail("\(what): \(error)") }
        }, "\(what) blocked")
    }

    func testAFIFOInPlaceOfATokenizerFileIsRefusedNamingIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-tok-fifo-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["tokenizer.json", "spiece.model", "merges.txt"] {
            XCTAssertEqual(mkfifo(dir.appendingPathComponent(name).path, 0o644), 0, name)
        }
        try Data(#"{"a": 0, "b": 1}"#.utf8).write(to: dir.appendingPathComponent("vocab.json"))

        func refuses(_ what: String, naming file: String, _ load: @escaping @Sendable () throws -> Void) {
            returnsPromptly(what) {
                XCTAssertThrowsError(try load(), what) { error in
                    let message = "\(error)"
                    XCTAssertTrue(message.contains("not a regular file") && message.contains(file), "\(what): \(message)")
                }
            }
        }
        refuses("a BPE folder", naming: "tokenizer.json") { _ = try BPETokenizer(directory: dir) }
        refuses("a Unigram folder", naming: "tokenizer.json") { _ = try UnigramTokenizer(directory: dir) }
        refuses("spiece.model", naming: "spiece.model") {
            _ = try UnigramTokenizer(sentencePieceModel: dir.appendingPathComponent("spiece.model"))
        }
        refuses("merges.txt", naming: "merges.txt") {
            _ = try BPETokenizer(vocabulary: dir.appendingPathComponent("vocab.json"),
                                 merges: dir.appendingPathComponent("merges.txt"))
        }
    }
}
