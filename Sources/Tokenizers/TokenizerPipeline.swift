// The stages of one tokenizer wired together (`tokenizers` tokenizer/mod.rs `encode`), plus the
// truncation and padding of transformers' `PreTrainedTokenizerBase.__call__`.

/// The model that turns a pre-tokenized word into ids.
enum TokenModel: Sendable {
    case unigram(UnigramModel)
    case bpe(BPEModel)

    func tokenize(_ word: String) -> [Int] {
        switch self {
        case let .unigram(model): return model.tokenize(word)
        case let .bpe(model): return model.tokenize(word)
        }
    }
}

/// How ids are turned back into text.
enum TokenDecoder: Sendable {
    /// `▁` back to spaces, the leading one dropped (T5).
    case metaspace(replacement: Character)
    /// Byte-level characters back to bytes, the end-of-word suffix to spaces, trimmed (CLIP).
    case byteLevel(endOfWordSuffix: String)
}

/// A complete tokenizer: added tokens, normalizer, pre-tokenizer, model, special tokens, padding.
struct TokenizerPipeline: Sendable {
    var added: AddedVocabulary
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var model: TokenModel
    /// Ids the post-processor puts before / after the content (CLIP: [BOS] / [EOS]; T5: [] / [</s>]).
    var prefix: [Int]
    var suffix: [Int]
    var special: SpecialTokenIDs
    var padID: Int
    /// Token strings by id, for decoding.
    var idToToken: [Int: String]
    var decoder: TokenDecoder

    /// Content ids of `text`, without special tokens.
    func contentIDs(_ text: String) -> [Int] {
        var ids: [Int] = []
        for segment in added.extractAndNormalize(text, normalizer: normalizer) {
            switch segment {
            case let .token(id):
                ids.append(id)
            case let .text(piece, atStart):
                let start = [PreToken(text: piece, atStart: atStart)]
                for word in preTokenizer?.apply(start) ?? start where !word.text.isEmpty {
                    ids.append(contentsOf: model.tokenize(word.text))
                }
            }
        }
        return ids
    }

    func encode(_ text: String) -> [Int] {
        prefix + contentIDs(text) + suffix
    }

    func encode(_ text: String, maxLength: Int, padding: Bool, truncation: Bool) -> Encoding {
        var content = contentIDs(text)
        let specialCount = prefix.count + suffix.count
        if truncation, content.count + specialCount > maxLength {
            content = Array(content.prefix(max(0, maxLength - specialCount)))
        }
        var ids = prefix + content + suffix
        var mask = [Int](repeating: 1, count: ids.count)
        if padding, ids.count < maxLength {
            let extra = maxLength - ids.count
            ids += [Int](repeating: padID, count: extra)
            mask += [Int](repeating: 0, count: extra)
        }
        return Encoding(ids: ids, attentionMask: mask)
    }

    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        let specialIDs = Set(added.tokens.filter(\.special).map(\.id))
        let tokens = ids.compactMap { id -> String? in
            if skipSpecialTokens, specialIDs.contains(id) { return nil }
            return idToToken[id]
        }
        switch decoder {
        case let .metaspace(replacement):
            var text = String(tokens.joined().map { $0 == replacement ? " " : $0 })
            if text.first == " " { text.removeFirst() }
            return text
        case let .byteLevel(suffix):
            var text = ByteLevel.decode(tokens.joined())
            if !suffix.isEmpty { text = text.split(separator: suffix, omittingEmptySubsequences: false).joined(separator: " ") }
            return String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        }
    }
}
