// Token ids and attention masks against transformers 5.24.0 on the hostile corpus, for both
// tokenizers and both loading paths. Exact equality: no tolerance.

import Foundation
import XCTest
@testable import Tokenizers

extension XCTestCase {
    /// Compares `tokenizer` with the expected ids of `kind` (a section of `expectedFile`) for every
    /// case and prompt; `cases` maps a case name to max_length (padding and truncation on) or nil for
    /// plain encode. Prompts whose `known_divergent` names `divergenceKey` (default `kind`) are skipped.
    func check(_ tokenizer: some Tokenizer, kind: String, expectedFile: String = "expected.json",
               divergenceKey: String? = nil, label: String, cases: [String: Int?],
               file: StaticString = #filePath, line: UInt = #line) throws {
        let prompts = try Fixtures.prompts()
        let (expected, _) = try Fixtures.expected(kind, file: expectedFile)
        let key = divergenceKey ?? kind
        XCTAssertEqual(prompts.count, expected.count, "corpus.json and \(expectedFile) differ in length; \(Fixtures.regenerate)")
        XCTAssertGreaterThanOrEqual(prompts.count, 200)
        var failures: [String] = []
        var checked = 0
        for (prompt, want) in zip(prompts, expected) {
            XCTAssertEqual(prompt.name, want.name, Fixtures.regenerate)
            if prompt.knownDivergent[key] != nil { continue }
            for (caseName, maxLength) in cases {
                guard let wantCase = want.cases[caseName] else {
                    XCTFail("expected.json lacks case \(caseName) for \(want.name); \(Fixtures.regenerate)")
                    continue
                }
                let got: Encoding
                if let maxLength {
                    got = tokenizer.encode(prompt.text, maxLength: maxLength, padding: true, truncation: true)
                } else {
                    let ids = tokenizer.encode(prompt.text)
                    got = Encoding(ids: ids, attentionMask: [Int](repeating: 1, count: ids.count))
                }
                checked += 1
                if got.ids != wantCase.ids || got.attentionMask != wantCase.mask {
                    failures.append("\(prompt.name) [\(caseName)]\n  want \(wantCase.ids)\n  got  \(got.ids)\n  want tokens \(want.tokens)")
                }
            }
        }
        let skipped = prompts.filter { $0.knownDivergent[key] != nil }.count
        XCTAssertEqual(checked, (prompts.count - skipped) * cases.count, "every prompt and case must be compared")
        XCTAssertTrue(failures.isEmpty, "\(label): \(failures.count) of \(checked) encodings differ from transformers:\n"
                      + failures.prefix(20).joined(separator: "\n") + (failures.count > 20 ? "\n…" : ""), file: file, line: line)
    }
}

final class CorpusTests: XCTestCase {
    private let unigramCases: [String: Int?] = ["plain": nil, "pad16": 16]
    private let clipCases: [String: Int?] = ["plain": nil, "pad77": 77, "pad8": 8]

    func testUnigramFromTokenizerJSON() throws {
        let tokenizer = try UnigramTokenizer(tokenizerJSON: Fixtures.unigram.appendingPathComponent("tokenizer.json"))
        try check(tokenizer, kind: "unigram", label: "Unigram tokenizer.json", cases: unigramCases)
    }

    func testUnigramFromSentencePieceModel() throws {
        let tokenizer = try UnigramTokenizer(sentencePieceModel: Fixtures.unigram.appendingPathComponent("spiece.model"))
        try check(tokenizer, kind: "unigram", label: "Unigram spiece.model", cases: unigramCases)
    }

    func testCLIPFromTokenizerJSON() throws {
        let tokenizer = try BPETokenizer(tokenizerJSON: Fixtures.clip.appendingPathComponent("tokenizer.json"))
        try check(tokenizer, kind: "clip", label: "CLIP tokenizer.json", cases: clipCases)
    }

    func testCLIPFromVocabAndMerges() throws {
        let tokenizer = try BPETokenizer(vocabulary: Fixtures.clip.appendingPathComponent("vocab.json"),
                                         merges: Fixtures.clip.appendingPathComponent("merges.txt"))
        try check(tokenizer, kind: "clip", label: "CLIP vocab.json + merges.txt", cases: clipCases)
    }

    func testSpecialTokenIDsMatchTransformers() throws {
        let unigramHeader = try Fixtures.expected("unigram").header
        let clipHeader = try Fixtures.expected("clip").header
        for tokenizer in [try UnigramTokenizer(directory: Fixtures.unigram) as any Tokenizer,
                          try UnigramTokenizer(sentencePieceModel: Fixtures.unigram.appendingPathComponent("spiece.model"))] {
            XCTAssertEqual(tokenizer.specialTokenIDs.eos, unigramHeader["eos_id"])
            XCTAssertEqual(tokenizer.specialTokenIDs.pad, unigramHeader["pad_id"])
            XCTAssertEqual(tokenizer.specialTokenIDs.unk, unigramHeader["unk_id"])
            XCTAssertNil(tokenizer.specialTokenIDs.bos)
        }
        for tokenizer in [try BPETokenizer(directory: Fixtures.clip) as any Tokenizer,
                          try BPETokenizer(vocabulary: Fixtures.clip.appendingPathComponent("vocab.json"),
                                           merges: Fixtures.clip.appendingPathComponent("merges.txt"))] {
            XCTAssertEqual(tokenizer.specialTokenIDs.bos, clipHeader["bos_id"])
            XCTAssertEqual(tokenizer.specialTokenIDs.eos, clipHeader["eos_id"])
            // the fixture pads with "!" (id 0) like SD2-derived repos, not with <|endoftext|>
            XCTAssertEqual(tokenizer.specialTokenIDs.pad, clipHeader["pad_id"])
            XCTAssertEqual(tokenizer.specialTokenIDs.pad, 0)
        }
    }
}
