// A sentencepiece Unigram tokenizer (T5, UMT5), matching transformers 5.24.0
// `models/t5/tokenization_t5.py` `T5Tokenizer` (a `tokenizers` Unigram backend): precompiled
// charsmap normalisation, whitespace split + Metaspace `▁` prefix, Viterbi segmentation,
// `</s>` appended, `<pad>` padding.

import Foundation

/// A Unigram tokenizer loaded from `tokenizer.json` or from a sentencepiece `spiece.model`.
public struct UnigramTokenizer: Tokenizer {
    let pipeline: TokenizerPipeline

    /// Number of ids the model knows (vocabulary plus added tokens).
    public let vocabularySize: Int

    public var specialTokenIDs: SpecialTokenIDs { pipeline.special }

    /// Loads `tokenizer.json` from `directory` when present, otherwise `spiece.model`;
    /// `tokenizer_config.json` / `special_tokens_map.json` there name the special tokens.
    public init(directory: URL) throws {
        let json = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) {
            try self.init(tokenizerJSON: json)
        } else {
            try self.init(sentencePieceModel: directory.appendingPathComponent("spiece.model"))
        }
    }

    /// Loads a `tokenizer.json` whose model is Unigram, interpreting its normalizer,
    /// pre-tokenizer, post-processor and added tokens. Special-token names come from the
    /// `tokenizer_config.json` / `special_tokens_map.json` beside it, else T5's defaults.
    public init(tokenizerJSON url: URL) throws {
        let path = url.path
        let root = try TokenizerFiles.jsonObject(url)
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.corruptFile(path: path, reason: "no \"model\" object")
        }
        let type = model["type"] as? String ?? "(none)"
        guard type == "Unigram" else { throw TokenizerError.unsupported(path: path, component: "model.type", value: type) }
        if model["byte_fallback"] as? Bool == true {
            throw TokenizerError.unsupported(path: path, component: "model.byte_fallback", value: "true")
        }
        // Scores are read with JSONDecoder: JSONSerialization on Linux rounds some doubles
        // off by an ulp, and Viterbi ties depend on the exact f64 scores.
        let pieces: [(piece: String, score: Double)]
        do {
            let file = try JSONDecoder().decode(UnigramVocabularyFile.self, from: try TokenizerFiles.read(url))
            pieces = file.model.vocab.map { ($0.piece, $0.score) }
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw TokenizerError.corruptFile(path: path, reason: "model.vocab is not a list of [piece, score] pairs (\(error))")
        }
        guard !pieces.isEmpty else { throw TokenizerError.corruptFile(path: path, reason: "model.vocab is empty") }
        guard let unkID = TokenizerFiles.int(model["unk_id"]), unkID >= 0, unkID < pieces.count else {
            throw TokenizerError.corruptFile(path: path, reason: "model.unk_id is missing or outside the vocabulary")
        }
        let unigram = UnigramModel(pieces: pieces, unkID: unkID)
        let added = try TokenizerFiles.addedTokens(root["added_tokens"], path: path)
        let names = try TokenizerFiles.specialTokenNames(in: url.deletingLastPathComponent())
        var idToToken: [Int: String] = [:]
        for (id, entry) in pieces.enumerated() { idToToken[id] = entry.piece }
        for token in added { idToToken[token.id] = token.content }
        let lookup = Self.lookup(unigram: unigram, added: added)
        let eosName = names["eos_token"] as? String ?? "</s>"
        let padName = names["pad_token"] as? String ?? "<pad>"
        guard let eos = lookup(eosName) else { throw TokenizerError.unknownToken(path: path, key: "eos_token", token: eosName) }
        guard let pad = lookup(padName) else { throw TokenizerError.unknownToken(path: path, key: "pad_token", token: padName) }
        let post = try TokenizerFiles.postProcessor(root["post_processor"], path: path) ?? (prefix: [], suffix: [eos])
        pipeline = TokenizerPipeline(
            added: AddedVocabulary(added),
            normalizer: try Normalizer.fromJSON(root["normalizer"], path: path),
            preTokenizer: try PreTokenizer.fromJSON(root["pre_tokenizer"], path: path),
            model: .unigram(unigram), prefix: post.prefix, suffix: post.suffix,
            special: SpecialTokenIDs(bos: nil, eos: eos, pad: pad, unk: unkID), padID: pad,
            idToToken: idToToken, decoder: .metaspace(replacement: "▁"))
        vocabularySize = max(pieces.count, (added.map(\.id).max() ?? -1) + 1)
    }

    /// Loads a sentencepiece model file and builds what transformers' `T5Tokenizer` builds from
    /// it: the pieces (ids = piece index) followed by `extraIDs` sentinels `<extra_id_{n-1}>` …
    /// `<extra_id_0>`; the charsmap normaliser; whitespace split + Metaspace; `</s>` appended.
    /// Control and unknown pieces and the sentinels are special added tokens, user-defined
    /// pieces plain added tokens. `extraIDs` defaults to `extra_ids` of a `tokenizer_config.json`
    /// beside the file, else 100 (T5's default).
    public init(sentencePieceModel url: URL, extraIDs: Int? = nil) throws {
        let path = url.path
        let spm = try SentencePieceModel(bytes: Array(try TokenizerFiles.read(url)), path: path)
        guard spm.modelType == 1 else {
            throw TokenizerError.unsupported(path: path, component: "trainer_spec.model_type", value: "\(spm.modelType) (only 1 = Unigram)")
        }
        if spm.byteFallback {
            throw TokenizerError.unsupported(path: path, component: "trainer_spec.byte_fallback", value: "true")
        }
        let names = try TokenizerFiles.specialTokenNames(in: url.deletingLastPathComponent())
        let sentinelCount = extraIDs ?? names["extra_ids"] as? Int ?? 100
        var pieces = spm.pieces.map { (piece: $0.piece, score: Double($0.score)) }
        var added: [AddedToken] = []
        for (id, piece) in spm.pieces.enumerated() where [.control, .unknown, .userDefined].contains(piece.type) {
            added.append(AddedToken(content: piece.piece, id: id, special: piece.type != .userDefined,
                                    normalized: false, lstrip: false, rstrip: false))
        }
        for n in stride(from: sentinelCount - 1, through: 0, by: -1) {
            let content = "<extra_id_\(n)>"
            added.append(AddedToken(content: content, id: pieces.count, special: true, normalized: false, lstrip: false, rstrip: false))
            pieces.append((content, 0))
        }
        let unigram = UnigramModel(pieces: pieces, unkID: spm.unkID)
        let lookup = Self.lookup(unigram: unigram, added: added)
        let eosName = names["eos_token"] as? String ?? (spm.eosID >= 0 && spm.eosID < spm.pieces.count ? spm.pieces[spm.eosID].piece : "</s>")
        let padName = names["pad_token"] as? String ?? (spm.padID >= 0 && spm.padID < spm.pieces.count ? spm.pieces[spm.padID].piece : "<pad>")
        guard let eos = lookup(eosName) else { throw TokenizerError.unknownToken(path: path, key: "eos_token", token: eosName) }
        guard let pad = lookup(padName) else { throw TokenizerError.unknownToken(path: path, key: "pad_token", token: padName) }
        var normalizer: Normalizer?
        if !spm.precompiledCharsmap.isEmpty {
            do {
                normalizer = .precompiled(try PrecompiledCharsmap(blob: spm.precompiledCharsmap))
            } catch let TokenizerError.corruptFile(_, reason) {
                throw TokenizerError.corruptFile(path: path, reason: "normalizer_spec.precompiled_charsmap: \(reason)")
            }
        }
        var idToToken: [Int: String] = [:]
        for (id, entry) in pieces.enumerated() { idToToken[id] = entry.piece }
        pipeline = TokenizerPipeline(
            added: AddedVocabulary(added), normalizer: normalizer,
            preTokenizer: .sequence([.whitespaceSplit, .metaspace(replacement: "▁", prependScheme: .always, split: true)]),
            model: .unigram(unigram), prefix: [], suffix: [eos],
            special: SpecialTokenIDs(bos: nil, eos: eos, pad: pad, unk: spm.unkID), padID: pad,
            idToToken: idToToken, decoder: .metaspace(replacement: "▁"))
        vocabularySize = pieces.count
    }

    private static func lookup(unigram: UnigramModel, added: [AddedToken]) -> (String) -> Int? {
        { name in
            if let token = added.first(where: { $0.content == name }) { return token.id }
            let id = unigram.id(of: name)
            return id == unigram.unkID && unigram.pieces[id].piece != name ? nil : id
        }
    }

    public func encode(_ text: String) -> [Int] { pipeline.encode(text) }

    public func encode(_ text: String, maxLength: Int, padding: Bool = true, truncation: Bool = true) -> Encoding {
        pipeline.encode(text, maxLength: maxLength, padding: padding, truncation: truncation)
    }

    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        pipeline.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }
}

/// The part of a Unigram `tokenizer.json` read with JSONDecoder (for exact scores).
private struct UnigramVocabularyFile: Decodable {
    struct Entry: Decodable {
        var piece: String
        var score: Double

        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            piece = try container.decode(String.self)
            score = try container.decode(Double.self)
        }
    }

    struct Model: Decodable {
        var vocab: [Entry]
    }

    var model: Model
}
