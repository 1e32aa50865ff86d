// OpenAI CLIP's real 49,408-token vocabulary (Tests/Fixtures/tokenizers/clip-openai/, built from
// open_clip's bpe_simple_vocab_16e6.txt.gz) against transformers 5.24.0 `CLIPTokenizer` on the whole
// hostile corpus: SD 1.x configs through vocab.json + merges.txt and through tokenizer.json, SD 2.x /
// ModelScope configs (pad "!") through vocab.json + merges.txt. Exact equality: no tolerance.

import Foundation
import XCTest
@testable import Tokenizers

final class OpenAICLIPTests: XCTestCase {
    private let expectedFile = "clip-openai/expected.json"
    private let cases: [String: Int?] = ["plain": nil, "pad77": 77]

    private var vocabURL: URL { Fixtures.clipOpenAI.appendingPathComponent("vocab.json") }
    private var mergesURL: URL { Fixtures.clipOpenAI.appendingPathComponent("merges.txt") }

    /// A folder holding the real vocab.json + merges.txt (linked) and the SD 2.x configs of clip-openai/sd2/.
    private func sd2Directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-clip-sd2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.createSymbolicLink(at: url.appendingPathComponent(name),
                                                       withDestinationURL: Fixtures.clipOpenAI.appendingPathComponent(name))
        }
        for name in ["special_tokens_map.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: Fixtures.clipOpenAI.appendingPathComponent("sd2").appendingPathComponent(name),
                                             to: url.appendingPathComponent(name))
        }
        return url
    }

    func testFromVocabAndMerges() throws {
        let tokenizer = try BPETokenizer(vocabulary: vocabURL, merges: mergesURL)
        try check(tokenizer, kind: "sd15", expectedFile: expectedFile, divergenceKey: "clip-openai",
                  label: "OpenAI CLIP vocab.json + merges.txt (SD 1.x configs)", cases: cases)
    }

    func testFromTokenizerJSON() throws {
        let tokenizer = try BPETokenizer(tokenizerJSON: Fixtures.clipOpenAI.appendingPathComponent("tokenizer.json"))
        try check(tokenizer, kind: "sd15", expectedFile: expectedFile, divergenceKey: "clip-openai",
                  label: "OpenAI CLIP tokenizer.json (SD 1.x configs)", cases: cases)
    }

    func testSD2ConfigsPadWithBangAndMatchSpecialTextAfterNormalising() throws {
        let tokenizer = try BPETokenizer(directory: try sd2Directory())
        try check(tokenizer, kind: "sd2", expectedFile: expectedFile, divergenceKey: "clip-openai-sd2",
                  label: "OpenAI CLIP vocab.json + merges.txt (SD 2.x configs)", cases: cases)
    }

    func testSpecialTokensAndAddedTokenFlagsMatchTransformers() throws {
        let root = try Fixtures.json(expectedFile)
        let loaded: [(String, BPETokenizer)] = [
            ("sd15", try BPETokenizer(vocabulary: vocabURL, merges: mergesURL)),
            ("sd15", try BPETokenizer(directory: Fixtures.clipOpenAI)),
            ("sd2", try BPETokenizer(directory: try sd2Directory())),
        ]
        for (kind, tokenizer) in loaded {
            let header = try Fixtures.expected(kind, file: expectedFile).header
            XCTAssertEqual(tokenizer.vocabularySize, header["vocab_size"], kind)
            XCTAssertEqual(tokenizer.specialTokenIDs.bos, header["bos_id"], kind)
            XCTAssertEqual(tokenizer.specialTokenIDs.eos, header["eos_id"], kind)
            XCTAssertEqual(tokenizer.specialTokenIDs.pad, header["pad_id"], kind)
            XCTAssertEqual(tokenizer.specialTokenIDs.unk, header["unk_id"], kind)
            // which added tokens exist and whether each is matched before or after normalisation
            let want = ((root[kind] as? [String: Any])?["added_tokens"] as? [String: [String: Any]] ?? [:])
                .map { id, t in AddedToken(content: t["content"] as? String ?? "", id: Int(id) ?? -1,
                                           special: t["special"] as? Bool ?? false, normalized: t["normalized"] as? Bool ?? false,
                                           lstrip: t["lstrip"] as? Bool ?? false, rstrip: t["rstrip"] as? Bool ?? false) }
                .sorted { $0.id < $1.id }
            XCTAssertFalse(want.isEmpty)
            XCTAssertEqual(tokenizer.pipeline.added.tokens.sorted { $0.id < $1.id }, want, kind)
        }
    }

    func testTheIDsEverySDUserKnows() throws {
        let tokenizer = try BPETokenizer(directory: Fixtures.clipOpenAI)
        XCTAssertEqual(tokenizer.encode("a photo of an astronaut riding a horse"),
                       [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 49407])
        let encoding = tokenizer.encode("a photo of an astronaut riding a horse", maxLength: 77)
        XCTAssertEqual(encoding.ids.count, 77)
        XCTAssertEqual(Array(encoding.ids[10...]), [Int](repeating: 49407, count: 67))
        XCTAssertEqual(encoding.attentionMask.reduce(0, +), 10)
        XCTAssertEqual(tokenizer.decode(encoding.ids, skipSpecialTokens: true), "a photo of an astronaut riding a horse")
    }

    func testTruncationKeepsEndOfTextAtPosition76() throws {
        let tokenizer = try BPETokenizer(directory: Fixtures.clipOpenAI)
        let long = String(repeating: "cat ", count: 200)
        let encoding = tokenizer.encode(long, maxLength: 77)
        XCTAssertEqual(encoding.ids.count, 77)
        XCTAssertEqual(encoding.ids.first, 49406)
        XCTAssertEqual(encoding.ids[76], 49407)
        XCTAssertEqual(Set(encoding.ids[1..<76]), [2368]) // "cat</w>"
        XCTAssertEqual(encoding.attentionMask, [Int](repeating: 1, count: 77))
    }
}
