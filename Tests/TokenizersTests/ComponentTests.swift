// Unit tests of the pieces: protobuf wire format, sentencepiece model parsing, the precompiled
// charsmap normaliser, and typed errors for missing or corrupt files.

import Foundation
import XCTest
@testable import Tokenizers

final class ProtobufReaderTests: XCTestCase {
    func testReadsEveryWireType() throws {
        // field 1 varint 300 (0xAC 0x02); field 2 bytes "hi"; field 3 fixed32 float 1.5;
        // field 4 varint −1 as int32 (ten-byte sign-extended varint); field 5 fixed64 7
        var bytes: [UInt8] = [0x08, 0xAC, 0x02, 0x12, 0x02, 0x68, 0x69, 0x1D]
        bytes += withUnsafeBytes(of: Float(1.5).bitPattern.littleEndian, Array.init)
        bytes += [0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        bytes += [0x29, 7, 0, 0, 0, 0, 0, 0, 0]
        let fields = try ProtobufReader.fields(of: bytes[...])
        XCTAssertEqual(fields.map(\.number), [1, 2, 3, 4, 5])
        XCTAssertEqual(fields[0].value.int, 300)
        XCTAssertEqual(fields[1].value.string, "hi")
        XCTAssertEqual(fields[2].value.float, 1.5)
        XCTAssertEqual(fields[3].value.int, -1)
        guard case let .fixed64(v) = fields[4].value else { return XCTFail("field 5 is not fixed64") }
        XCTAssertEqual(v, 7)
    }

    func testTruncatedInputThrows() {
        // a length-delimited field that claims 5 bytes but has 2
        XCTAssertThrowsError(try ProtobufReader.fields(of: [0x12, 0x05, 0x61, 0x62][...])) { error in
            XCTAssertEqual(error as? ProtobufError, .truncated(offset: 2))
        }
        // wire type 3 (group) is not supported
        XCTAssertThrowsError(try ProtobufReader.fields(of: [0x0B][...]))
    }

    func testParsesTheFixtureSentencePieceModel() throws {
        let url = Fixtures.unigram.appendingPathComponent("spiece.model")
        let model = try SentencePieceModel(bytes: Array(try Data(contentsOf: url)), path: url.path)
        // trained by tools/reference/tokenizers_fixtures.py with T5's layout
        XCTAssertEqual(model.modelType, 1)
        XCTAssertEqual(model.unkID, 2)
        XCTAssertEqual(model.eosID, 1)
        XCTAssertEqual(model.padID, 0)
        XCTAssertEqual(model.bosID, -1)
        XCTAssertFalse(model.byteFallback)
        XCTAssertEqual(model.normalizerName, "nmt_nfkc")
        XCTAssertTrue(model.addDummyPrefix)
        XCTAssertTrue(model.removeExtraWhitespaces)
        XCTAssertEqual(model.pieces[0], .init(piece: "<pad>", score: 0, type: .control))
        XCTAssertEqual(model.pieces[1], .init(piece: "</s>", score: 0, type: .control))
        XCTAssertEqual(model.pieces[2], .init(piece: "<unk>", score: 0, type: .unknown))
        XCTAssertEqual(model.pieces[3].piece, "▁")
        // the tokenizer.json written by transformers carries the same pieces and scores, and the
        // loader reads them exactly (JSONSerialization on Linux would be an ulp off for some)
        let fromJSON = try UnigramTokenizer(tokenizerJSON: Fixtures.unigram.appendingPathComponent("tokenizer.json"))
        guard case let .unigram(unigram) = fromJSON.pipeline.model else { return XCTFail("not a Unigram model") }
        for (i, piece) in model.pieces.enumerated() {
            XCTAssertEqual(unigram.pieces[i].piece, piece.piece)
            XCTAssertEqual(unigram.pieces[i].score, Double(piece.score), "score of piece \(i)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.unigram.appendingPathComponent("tokenizer.json"))) as? [String: Any]
        // and the same charsmap
        let normalizer = json?["normalizer"] as? [String: Any]
        let blob = Data(base64Encoded: normalizer?["precompiled_charsmap"] as? String ?? "")
        XCTAssertEqual(blob.map(Array.init), model.precompiledCharsmap)
    }
}

final class PrecompiledCharsmapTests: XCTestCase {
    private func charsmap() throws -> PrecompiledCharsmap {
        let url = Fixtures.unigram.appendingPathComponent("spiece.model")
        let model = try SentencePieceModel(bytes: Array(try Data(contentsOf: url)), path: url.path)
        return try PrecompiledCharsmap(blob: model.precompiledCharsmap)
    }

    func testNFKCFoldsFullWidthAndLigatures() throws {
        let map = try charsmap()
        XCTAssertEqual(map.normalize("ＡＢＣ１"), "ABC1")
        XCTAssertEqual(map.normalize("ﬁ"), "fi")
        XCTAssertEqual(map.normalize("Ⅻ"), "XII")
        XCTAssertEqual(map.normalize("x²"), "x2")
        XCTAssertEqual(map.normalize("cafe\u{301}"), "café")
        XCTAssertEqual(map.normalize("plain ascii"), "plain ascii")
    }

    func testNMTRulesMapWhitespaceAndDropControls() throws {
        let map = try charsmap()
        // nmt_nfkc: tab/newline → space, no-break space → space, BEL removed; NUL ends a trie
        // key, so it has no entry and stays (as in `tokenizers`)
        XCTAssertEqual(map.normalize("a\tb\nc\u{00A0}d"), "a b c d")
        XCTAssertEqual(map.normalize("a\u{0}b\u{7}c"), "a\u{0}bc")
        XCTAssertEqual(map.normalize("\u{200B}|\u{FEFF}|\u{200D}"), " | |\u{200D}")
    }

    func testSixByteGraphemeFallsBackToScalars() throws {
        let map = try charsmap()
        // ｶﾞ is one 6-byte grapheme: the `tokenizers` quirk looks its scalars up one by one,
        // giving カ + combining ゙ (U+3099) rather than the precomposed ガ.
        XCTAssertEqual(Array(map.normalize("\u{FF76}\u{FF9E}").unicodeScalars), ["\u{30AB}", "\u{3099}"])
        // a 3-byte grapheme takes the whole-grapheme entry
        XCTAssertEqual(map.normalize("\u{FF76}"), "\u{30AB}")
        // a grapheme under 6 bytes takes the entry of its *shortest* matching prefix and drops
        // the rest of the grapheme (values checked against `tokenizers.normalizers.Precompiled`)
        XCTAssertEqual(Array(map.normalize("e\u{301}\u{301}").unicodeScalars), ["\u{E9}"])
        XCTAssertEqual(map.normalize("\u{FB01}\u{301}"), "fi")
        XCTAssertEqual(Array(map.normalize("A\u{30A}\u{301}").unicodeScalars), ["\u{C5}"])
    }

    func testCorruptBlobThrows() {
        XCTAssertThrowsError(try PrecompiledCharsmap(blob: [1, 0]))
        XCTAssertThrowsError(try PrecompiledCharsmap(blob: [0xFF, 0xFF, 0, 0, 1, 2, 3, 4]))
    }
}

final class TokenizerErrorTests: XCTestCase {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testMissingFilesNameThemselves() throws {
        let dir = try temporaryDirectory()
        XCTAssertThrowsError(try UnigramTokenizer(directory: dir)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingFile(path: dir.appendingPathComponent("spiece.model").path))
            XCTAssertTrue(String(describing: error).contains("spiece.model"))
        }
        XCTAssertThrowsError(try BPETokenizer(directory: dir)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingFile(path: dir.appendingPathComponent("vocab.json").path))
        }
        try Data("{}".utf8).write(to: dir.appendingPathComponent("vocab.json"))
        XCTAssertThrowsError(try BPETokenizer(directory: dir)) { error in
            // an empty vocab.json is reported before merges.txt is looked for
            guard case let .corruptFile(path, _) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("vocab.json"))
        }
    }

    func testCorruptFilesNameThemselves() throws {
        let dir = try temporaryDirectory()
        let json = dir.appendingPathComponent("tokenizer.json")
        try Data("{ not json".utf8).write(to: json)
        XCTAssertThrowsError(try UnigramTokenizer(tokenizerJSON: json)) { error in
            guard case let .corruptFile(path, _) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, json.path)
        }
        // Issue #19 item 6: an added-token id of 2^63 − 1 overflowed "max id + 1".
        for id in ["9223372036854775807", "-1", "16777216"] {
            let models = [(#"{"type": "Unigram", "unk_id": 0, "vocab": [["a", 0.0]]}"#, { _ = try UnigramTokenizer(tokenizerJSON: json) }),
                          (#"{"type": "BPE", "vocab": {"a": 0}, "merges": []}"#, { _ = try BPETokenizer(tokenizerJSON: json) })]
            for (model, make) in models {
                try Data(#"{"added_tokens": [{"id": \#(id), "content": "<x>"}], "model": \#(model)}"#.utf8).write(to: json)
                XCTAssertThrowsError(try make(), id) { error in
                    guard case let .corruptFile(path, reason) = error as? TokenizerError else { return XCTFail("\(error)") }
                    XCTAssertEqual(path, json.path)
                    XCTAssertTrue(reason.contains("<x>") && reason.contains(id), reason)
                }
            }
        }
        try Data(#"{"model": {"type": "WordPiece", "vocab": {}}}"#.utf8).write(to: json)
        XCTAssertThrowsError(try UnigramTokenizer(tokenizerJSON: json)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported(path: json.path, component: "model.type", value: "WordPiece"))
        }
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: json)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported(path: json.path, component: "model.type", value: "WordPiece"))
        }
        let spm = dir.appendingPathComponent("spiece.model")
        try Data([0x0A, 0x50, 0x01, 0x02]).write(to: spm)
        XCTAssertThrowsError(try UnigramTokenizer(sentencePieceModel: spm)) { error in
            guard case let .corruptFile(path, _) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, spm.path)
        }
        try Data().write(to: spm)
        XCTAssertThrowsError(try UnigramTokenizer(sentencePieceModel: spm)) { error in
            guard case let .corruptFile(path, reason) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, spm.path)
            XCTAssertTrue(reason.contains("no pieces"))
        }
    }

    func testUnknownPadTokenIsReported() throws {
        let dir = try temporaryDirectory()
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(at: Fixtures.clip.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        try Data(#"{"pad_token": "<nope>"}"#.utf8).write(to: dir.appendingPathComponent("special_tokens_map.json"))
        XCTAssertThrowsError(try BPETokenizer(directory: dir)) { error in
            XCTAssertEqual(error as? TokenizerError,
                           .unknownToken(path: dir.appendingPathComponent("vocab.json").path, key: "pad_token", token: "<nope>"))
        }
    }
}

final class DecodeTests: XCTestCase {
    func testRoundTrips() throws {
        let t5 = try UnigramTokenizer(directory: Fixtures.unigram)
        XCTAssertEqual(t5.decode(t5.encode("a red circle moving left")), "a red circle moving left")
        XCTAssertEqual(t5.decode(t5.encode("a red circle"), skipSpecialTokens: false), "a red circle</s>")
        let clip = try BPETokenizer(directory: Fixtures.clip)
        XCTAssertEqual(clip.decode(clip.encode("A Red circle, moving?")), "a red circle , moving ?")
        // "!" is this fixture's pad token, a special token, so decoding skips it by default
        XCTAssertEqual(clip.decode(clip.encode("wow!")), "wow")
        XCTAssertEqual(clip.decode(clip.encode("猫 café")), "猫 café")
    }

    func testPaddingAndTruncationShape() throws {
        let clip = try BPETokenizer(directory: Fixtures.clip)
        let long = String(repeating: "a red circle ", count: 40)
        let e = clip.encode(long, maxLength: 77, padding: true, truncation: true)
        XCTAssertEqual(e.ids.count, 77)
        XCTAssertEqual(e.ids.first, clip.specialTokenIDs.bos)
        XCTAssertEqual(e.ids.last, clip.specialTokenIDs.eos, "truncation keeps EOS")
        let short = clip.encode("", maxLength: 77, padding: true, truncation: true)
        XCTAssertEqual(short.attentionMask.reduce(0, +), 2)
        XCTAssertEqual(short.ids[2...].allSatisfy { $0 == clip.specialTokenIDs.pad }, true)
        let unpadded = clip.encode(long, maxLength: 77, padding: false, truncation: false)
        XCTAssertEqual(unpadded.ids, clip.encode(long))
    }
}

final class SpecialTokenConfigTests: XCTestCase {
    /// A tokenizer_config.json with `added_tokens_decoder` (as transformers ≥ 4.34 saves it): the
    /// special_tokens_map.json beside it is not read, the decoder's flags hold, and an entry's id is
    /// the one the vocabulary gives its content. Ids from transformers 5.24.0 `CLIPTokenizer` on these
    /// same files (the tiny CLIP vocabulary: `<|startoftext|>` 833, `<|endoftext|>` 834).
    func testAddedTokensDecoderWinsOverSpecialTokensMap() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-clip-atd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(at: Fixtures.clip.appendingPathComponent(name), to: url.appendingPathComponent(name))
        }
        let config = """
            {"added_tokens_decoder": {"0": {"content": "!", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
             "1099": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false, "special": true}},
             "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "!", "unk_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer"}
            """
        try Data(config.utf8).write(to: url.appendingPathComponent("tokenizer_config.json"))
        try Data(#"{"pad_token": "<|endoftext|>", "bos_token": "<|endoftext|>"}"#.utf8).write(to: url.appendingPathComponent("special_tokens_map.json"))
        let tokenizer = try BPETokenizer(directory: url)
        XCTAssertEqual(tokenizer.specialTokenIDs.pad, 0)
        XCTAssertEqual(tokenizer.specialTokenIDs.bos, 833)
        XCTAssertEqual(tokenizer.specialTokenIDs.eos, 834)
        XCTAssertEqual(tokenizer.pipeline.added.tokens.sorted { $0.id < $1.id }.map { "\($0.id) \($0.content) \($0.normalized)" },
                       ["0 ! false", "833 <|startoftext|> false", "834 <|endoftext|> true"])
        XCTAssertEqual(tokenizer.encode("a <|ENDOFTEXT|> b!"), [833, 320, 834, 321, 0, 834])
        XCTAssertEqual(tokenizer.encode("x <|STARTOFTEXT|>"), [833, 343, 27, 347, 528, 547, 83, 78, 69, 83, 68, 87, 339, 91, 285, 834])
    }
}
