// A CLIP byte-level BPE tokenizer, matching transformers 5.24.0
// `models/clip/tokenization_clip.py` `CLIPTokenizer` (a `tokenizers` 0.23 BPE backend; transformers 5
// has no separate Python tokenizer and never calls ftfy): NFC, runs of whitespace to one space,
// lowercase; CLIP's split pattern; byte-level characters; BPE with the `</w>` end-of-word suffix;
// `<|startoftext|>` … `<|endoftext|>`; padding with the pad token the files name (SD 2.x / ModelScope
// repos pad with "!", SD 1.x with `<|endoftext|>`). The special tokens and their flags are resolved as
// `PreTrainedTokenizerBase.from_pretrained` and `TokenizersBackend.__init__` resolve them
// (`resolveAddedTokens`). Checked token for token against transformers on OpenAI CLIP's real
// 49,408-token vocabulary (Tests/Fixtures/tokenizers/clip-openai/).

import Foundation

/// A CLIP-style BPE tokenizer loaded from `tokenizer.json` or from `vocab.json` + `merges.txt`.
public struct BPETokenizer: Tokenizer {
    let pipeline: TokenizerPipeline

    /// Number of ids in the vocabulary (added tokens included).
    public let vocabularySize: Int

    public var specialTokenIDs: SpecialTokenIDs { pipeline.special }

    /// CLIP's split pattern (transformers `CLIPTokenizer`).
    static let clipPattern = #"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"#

    /// Loads `tokenizer.json` from `directory` when present, otherwise `vocab.json` + `merges.txt`;
    /// `tokenizer_config.json` / `special_tokens_map.json` there name the special tokens.
    public init(directory: URL) throws {
        let json = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) {
            try self.init(tokenizerJSON: json)
        } else {
            try self.init(vocabulary: directory.appendingPathComponent("vocab.json"),
                          merges: directory.appendingPathComponent("merges.txt"))
        }
    }

    /// Loads a `tokenizer.json` whose model is BPE, interpreting its normalizer, pre-tokenizer,
    /// post-processor and added tokens. The named special tokens (pad among them) come from
    /// `tokenizer_config.json` / `special_tokens_map.json` beside it, else CLIPTokenizer's defaults
    /// (`<|endoftext|>`); the file's own added tokens keep their flags.
    public init(tokenizerJSON url: URL) throws {
        let path = url.path
        let root = try TokenizerFiles.jsonObject(url)
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.corruptFile(path: path, reason: "no \"model\" object")
        }
        let type = model["type"] as? String ?? "(none)"
        guard type == "BPE" else { throw TokenizerError.unsupported(path: path, component: "model.type", value: type) }
        if let prefix = model["continuing_subword_prefix"] as? String, !prefix.isEmpty {
            throw TokenizerError.unsupported(path: path, component: "model.continuing_subword_prefix", value: prefix)
        }
        for flag in ["byte_fallback", "ignore_merges"] where model[flag] as? Bool == true {
            throw TokenizerError.unsupported(path: path, component: "model.\(flag)", value: "true")
        }
        guard let vocabObject = model["vocab"] as? [String: Any], !vocabObject.isEmpty else {
            throw TokenizerError.corruptFile(path: path, reason: "model.vocab is missing or empty")
        }
        var vocab: [String: Int] = [:]
        for (token, value) in vocabObject {
            guard let id = TokenizerFiles.int(value) else {
                throw TokenizerError.corruptFile(path: path, reason: "model.vocab[\"\(token)\"] is not an integer id")
            }
            vocab[token] = id
        }
        var merges: [(String, String)] = []
        for (i, item) in (model["merges"] as? [Any] ?? []).enumerated() {
            if let line = item as? String, let pair = Self.mergePair(line) {
                merges.append(pair)
            } else if let pair = item as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String {
                merges.append((a, b))
            } else {
                throw TokenizerError.corruptFile(path: path, reason: "model.merges[\(i)] is not a pair")
            }
        }
        let config = try TokenizerFiles.specialTokenConfig(in: url.deletingLastPathComponent())
        let added = try Self.resolveAddedTokens(base: try TokenizerFiles.addedTokens(root["added_tokens"], path: path),
                                                config: config, vocab: vocab, path: path)
        let names = config.names
        let unkName = model["unk_token"] as? String
        let bpe = BPEModel(vocab: vocab, merges: merges, endOfWordSuffix: model["end_of_word_suffix"] as? String ?? "",
                           unkID: unkName.flatMap { vocab[$0] })
        let post = try TokenizerFiles.postProcessor(root["post_processor"], path: path) ?? (prefix: [], suffix: [])
        try self.init(bpe: bpe, added: added, names: names, path: path,
                      normalizer: try Normalizer.fromJSON(root["normalizer"], path: path),
                      preTokenizer: try PreTokenizer.fromJSON(root["pre_tokenizer"], path: path),
                      post: post)
    }

    /// Loads CLIP's `vocab.json` + `merges.txt` and builds what transformers' `CLIPTokenizer`
    /// builds from them. Special tokens, their ids and their `normalized` / `lstrip` / `rstrip` flags
    /// come from `special_tokens_map.json` / `tokenizer_config.json` beside `vocab.json` (see
    /// `resolveAddedTokens`), else CLIP's defaults.
    public init(vocabulary vocabURL: URL, merges mergesURL: URL) throws {
        let vocabObject = try TokenizerFiles.jsonObject(vocabURL)
        var vocab: [String: Int] = [:]
        for (token, value) in vocabObject {
            guard let id = TokenizerFiles.int(value) else {
                throw TokenizerError.corruptFile(path: vocabURL.path, reason: "\"\(token)\" has no integer id")
            }
            vocab[token] = id
        }
        guard !vocab.isEmpty else { throw TokenizerError.corruptFile(path: vocabURL.path, reason: "empty vocabulary") }
        guard let text = String(data: try TokenizerFiles.read(mergesURL), encoding: .utf8) else {
            throw TokenizerError.corruptFile(path: mergesURL.path, reason: "not UTF-8 text")
        }
        var merges: [(String, String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if line.isEmpty || (number == 0 && line.hasPrefix("#version")) { continue }
            guard let pair = Self.mergePair(line) else {
                throw TokenizerError.corruptFile(path: mergesURL.path, reason: "line \(number + 1) is not \"left right\": \(line)")
            }
            merges.append(pair)
        }
        let config = try TokenizerFiles.specialTokenConfig(in: vocabURL.deletingLastPathComponent())
        let added = try Self.resolveAddedTokens(base: [], config: config, vocab: vocab, path: vocabURL.path)
        let names = Self.withCLIPDefaults(config).names
        let unkName = names["unk_token"] as? String ?? "<|endoftext|>"
        let bosName = names["bos_token"] as? String ?? "<|startoftext|>"
        let eosName = names["eos_token"] as? String ?? "<|endoftext|>"
        let padName = names["pad_token"] as? String ?? "<|endoftext|>"
        var ids: [String: Int] = [:]
        for (key, name) in [("unk_token", unkName), ("bos_token", bosName), ("eos_token", eosName), ("pad_token", padName)] {
            guard let id = vocab[name] else { throw TokenizerError.unknownToken(path: vocabURL.path, key: key, token: name) }
            ids[key] = id
        }
        let bpe = BPEModel(vocab: vocab, merges: merges, endOfWordSuffix: "</w>", unkID: vocab[unkName])
        let split = try TextPattern(regex: Self.clipPattern, path: vocabURL.path, key: "CLIP pattern")
        try self.init(bpe: bpe, added: added,
                      names: ["bos_token": bosName, "eos_token": eosName, "pad_token": padName], path: vocabURL.path,
                      normalizer: .sequence([.nfc, .replace(try TextPattern(regex: #"\s+"#, path: "", key: ""), " "), .lowercase]),
                      preTokenizer: .sequence([.split(split, .removed, invert: true), .byteLevel(addPrefixSpace: false, useRegex: true)]),
                      post: (prefix: ids["bos_token"].map { [$0] } ?? [], suffix: ids["eos_token"].map { [$0] } ?? []))
    }

    private init(bpe: BPEModel, added: [AddedToken], names: [String: Any], path: String,
                 normalizer: Normalizer?, preTokenizer: PreTokenizer?, post: (prefix: [Int], suffix: [Int])) throws {
        func lookup(_ key: String, _ fallback: String) throws -> Int {
            let name = names[key] as? String ?? fallback
            if let token = added.first(where: { $0.content == name }) { return token.id }
            guard let id = bpe.vocab[name] else { throw TokenizerError.unknownToken(path: path, key: key, token: name) }
            return id
        }
        let pad = try lookup("pad_token", "<|endoftext|>")
        let bos = names["bos_token"] != nil ? try lookup("bos_token", "") : post.prefix.first
        let eos = names["eos_token"] != nil ? try lookup("eos_token", "") : post.suffix.last
        var idToToken: [Int: String] = [:]
        for (token, id) in bpe.vocab { idToToken[id] = token }
        for token in added { idToToken[token.id] = token.content }
        pipeline = TokenizerPipeline(
            added: AddedVocabulary(added), normalizer: normalizer, preTokenizer: preTokenizer,
            model: .bpe(bpe), prefix: post.prefix, suffix: post.suffix,
            special: SpecialTokenIDs(bos: bos, eos: eos, pad: pad, unk: bpe.unkID), padID: pad,
            idToToken: idToToken, decoder: .byteLevel(endOfWordSuffix: bpe.endOfWordSuffix))
        vocabularySize = (idToToken.keys.max() ?? -1) + 1
    }

    /// `config` with CLIPTokenizer's defaults for the named tokens it lacks (`__init__` arguments
    /// `unk_token` / `bos_token` / `eos_token` / `pad_token`, plain strings).
    private static func withCLIPDefaults(_ config: TokenizerFiles.SpecialTokenConfig) -> TokenizerFiles.SpecialTokenConfig {
        let defaults = ["bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                        "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"]
        var config = config
        let present = Set(config.named.map(\.key))
        for (key, content) in defaults where !present.contains(key) {
            config.named.append((key, AddedToken(content: content, id: -1, special: true, normalized: false, lstrip: false, rstrip: false)))
        }
        let order = TokenizerFiles.specialTokenKeys
        config.named.sort { (order.firstIndex(of: $0.key) ?? order.count) < (order.firstIndex(of: $1.key) ?? order.count) }
        return config
    }

    /// The added tokens transformers 5.24.0 `TokenizersBackend.__init__` ends up with: `base` (the
    /// `added_tokens` of a tokenizer.json), then the config's `added_tokens_decoder` entries not
    /// identical to one of those, then every named special token (CLIP's defaults for missing ones)
    /// whose content is in neither list. They are added in that order and, as in `tokenizers`'
    /// `AddedVocabulary::add_tokens`, a later definition of the same content replaces the flags of the
    /// earlier one. The flags matter: a `normalized` token is matched after lower-casing, so with
    /// SD 1.x files `<|STARTOFTEXT|>` typed by a user is the special token and `<|ENDOFTEXT|>` is not.
    static func resolveAddedTokens(base: [AddedToken], config: TokenizerFiles.SpecialTokenConfig,
                                   vocab: [String: Int], path: String) throws -> [AddedToken] {
        func sameDefinition(_ a: AddedToken, _ b: AddedToken) -> Bool {
            a.content == b.content && a.special == b.special && a.normalized == b.normalized
                && a.lstrip == b.lstrip && a.rstrip == b.rstrip
        }
        var toAdd = config.addedTokensDecoder.filter { token in !base.contains { sameDefinition($0, token) } }
        let known = Set(base.map(\.content) + toAdd.map(\.content))
        for (_, named) in withCLIPDefaults(config).named {
            var token = named
            token.special = true // transformers marks every named token special
            if !known.contains(token.content), !toAdd.contains(where: { sameDefinition($0, token) }) { toAdd.append(token) }
        }
        var tokens = base
        for token in toAdd {
            if let i = tokens.firstIndex(where: { $0.content == token.content }) {
                tokens[i] = AddedToken(content: token.content, id: tokens[i].id, special: token.special,
                                       normalized: token.normalized, lstrip: token.lstrip, rstrip: token.rstrip)
                continue
            }
            // `tokenizers` takes the id the vocabulary gives the content; a token new to it would get
            // a new id, which no CLIP file needs and which this loader refuses.
            guard let id = vocab[token.content] ?? (token.id >= 0 ? token.id : nil) else {
                let key = config.named.first { $0.token.content == token.content }?.key ?? "added token"
                throw TokenizerError.unknownToken(path: path, key: key, token: token.content)
            }
            var resolved = token
            resolved.id = id
            tokens.append(resolved)
        }
        return tokens
    }

    private static func mergePair(_ line: String) -> (String, String)? {
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    public func encode(_ text: String) -> [Int] { pipeline.encode(text) }

    public func encode(_ text: String, maxLength: Int, padding: Bool = true, truncation: Bool = true) -> Encoding {
        pipeline.encode(text, maxLength: maxLength, padding: padding, truncation: truncation)
    }

    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        pipeline.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }
}
