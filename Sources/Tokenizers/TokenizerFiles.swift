// Reading tokenizer files: whole files with typed errors, JSON objects, and the special-token
// names that `tokenizer_config.json` / `special_tokens_map.json` give.

import Foundation
import RegularFiles

enum TokenizerFiles {
    /// Tokenizer files are at most this large (a T5 `tokenizer.json` is 2.4 MB, CLIP's
    /// vocab.json 1 MB; a UMT5 one 16 MB).
    static let maxFileBytes = 256 << 20

    /// The bytes of `url`, or `TokenizerError.missingFile` naming it. Opened without blocking
    /// and only if it is a regular file: a FIFO at the path is refused, not waited on (issue #19).
    static func read(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TokenizerError.missingFile(path: url.path)
        }
        do {
            return try RegularFile.contents(of: url, maxSize: maxFileBytes)
        } catch let error as RegularFile.NotRegular {
            throw TokenizerError.corruptFile(path: url.path, reason: error.reason)
        }
    }

    /// The top-level JSON object of `url`.
    static func jsonObject(_ url: URL) throws -> [String: Any] {
        let data = try read(url)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TokenizerError.corruptFile(path: url.path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let object = parsed as? [String: Any] else {
            throw TokenizerError.corruptFile(path: url.path, reason: "the top level is not a JSON object")
        }
        return object
    }

    /// A token written as `"</s>"` or as `{"content": "</s>", …}`.
    static func tokenString(_ value: Any?) -> String? {
        if let s = value as? String { return s }
        if let object = value as? [String: Any] { return object["content"] as? String }
        return nil
    }

    /// A JSON number as Double (JSONSerialization hands out NSNumber).
    static func double(_ value: Any?) -> Double? {
        if let n = value as? NSNumber { return n.doubleValue }
        return value as? Double
    }

    /// A JSON number as Int.
    static func int(_ value: Any?) -> Int? {
        if let n = value as? NSNumber { return n.intValue }
        return value as? Int
    }

    /// The named special tokens of transformers' `SPECIAL_TOKENS_ATTRIBUTES`, in its order.
    static let specialTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    /// What `tokenizer_config.json` and `special_tokens_map.json` say about special tokens, read as
    /// transformers 5.24.0 `PreTrainedTokenizerBase.from_pretrained` reads them: the config's values,
    /// overridden by `special_tokens_map.json` unless the config has `added_tokens_decoder` (then the map
    /// is not read at all).
    struct SpecialTokenConfig {
        /// Named special tokens (`bos_token` …) in `specialTokenKeys` order, with the flags their files
        /// give: a plain string is `normalized: false`; an AddedToken dict keeps its `normalized`
        /// (default: false in special_tokens_map.json, where transformers marks it special; true in
        /// tokenizer_config.json unless the dict says `special: true`). Ids are not known here (-1).
        var named: [(key: String, token: AddedToken)] = []
        /// `added_tokens_decoder` of tokenizer_config.json, in id order.
        var addedTokensDecoder: [AddedToken] = []
        /// `extra_ids` (T5 sentinel count), if given.
        var extraIDs: Int?

        /// key → token content, plus `extra_ids`.
        var names: [String: Any] {
            var out: [String: Any] = [:]
            for (key, token) in named { out[key] = token.content }
            if let extraIDs { out["extra_ids"] = extraIDs }
            return out
        }
    }

    /// Reads the special-token files in `directory` (either may be missing).
    static func specialTokenConfig(in directory: URL) throws -> SpecialTokenConfig {
        func load(_ name: String) throws -> (object: [String: Any], path: String)? {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            return (try jsonObject(url), url.path)
        }
        let config = try load("tokenizer_config.json")
        var result = SpecialTokenConfig()
        var values: [String: (token: AddedToken, fromMap: Bool)] = [:]
        if let (object, path) = config {
            for key in specialTokenKeys {
                if let token = try specialToken(object[key], inSpecialTokensMap: false, path: path, key: key) {
                    values[key] = (token, false)
                }
            }
            result.extraIDs = int(object["extra_ids"])
            if let decoder = object["added_tokens_decoder"] as? [String: Any] {
                for (idText, value) in decoder {
                    guard let id = Int(idText), id >= 0, id < maxTokenID,
                          var token = try specialToken(value, inSpecialTokensMap: false, path: path, key: "added_tokens_decoder[\(idText)]") else {
                        throw TokenizerError.corruptFile(path: path, reason: "added_tokens_decoder entry \"\(idText)\" is not an id from 0 to \(maxTokenID - 1) with a token")
                    }
                    token.id = id
                    result.addedTokensDecoder.append(token)
                }
                result.addedTokensDecoder.sort { $0.id < $1.id }
            }
        }
        if config?.object["added_tokens_decoder"] == nil, let (object, path) = try load("special_tokens_map.json") {
            for key in specialTokenKeys {
                if let token = try specialToken(object[key], inSpecialTokensMap: true, path: path, key: key) {
                    values[key] = (token, true)
                }
            }
        }
        result.named = specialTokenKeys.compactMap { key in values[key].map { (key, $0.token) } }
        return result
    }

    /// A special token written as `"<|endoftext|>"` or as an AddedToken dict; nil for null / absent.
    private static func specialToken(_ value: Any?, inSpecialTokensMap: Bool, path: String, key: String) throws -> AddedToken? {
        if value == nil || value is NSNull { return nil }
        if let content = value as? String {
            return AddedToken(content: content, id: -1, special: true, normalized: false, lstrip: false, rstrip: false)
        }
        guard let object = value as? [String: Any], let content = object["content"] as? String else {
            throw TokenizerError.corruptFile(path: path, reason: "\(key) is neither a string nor a token object with \"content\"")
        }
        // transformers' AddedToken: `normalized` defaults to `not special`; special_tokens_map.json
        // entries are made special, tokenizer_config.json ones only when they say so.
        let special = inSpecialTokensMap || object["special"] as? Bool == true
        return AddedToken(content: content, id: -1, special: special,
                          normalized: object["normalized"] as? Bool ?? !special,
                          lstrip: object["lstrip"] as? Bool ?? false, rstrip: object["rstrip"] as? Bool ?? false)
    }

    /// Special-token names (`bos_token`, `eos_token`, `unk_token`, `pad_token` …, plus `extra_ids`)
    /// from the files in `directory`, with transformers' precedence (see `specialTokenConfig`).
    static func specialTokenNames(in directory: URL) throws -> [String: Any] {
        try specialTokenConfig(in: directory).names
    }

    /// Added tokens from a `tokenizer.json` `added_tokens` array.
    /// The largest token id + 1 a file may name: 2^24, far above any real vocabulary
    /// (UMT5 256,384; CLIP 49,408) and small enough that vocabulary sizes cannot overflow.
    static let maxTokenID = 1 << 24

    static func addedTokens(_ json: Any?, path: String) throws -> [AddedToken] {
        guard let list = json as? [Any] else { return [] }
        return try list.map { item in
            guard let object = item as? [String: Any], let content = object["content"] as? String,
                  let id = int(object["id"]) else {
                throw TokenizerError.corruptFile(path: path, reason: "an added_tokens entry lacks \"content\" or \"id\"")
            }
            // An id sizes tables (vocabulary size = max id + 1): bound it before anything is
            // allocated or added to (2^63 − 1 overflowed).
            guard id >= 0, id < maxTokenID else {
                throw TokenizerError.corruptFile(
                    path: path, reason: "added token \"\(content)\" has id \(id); ids must be from 0 to \(maxTokenID - 1)")
            }
            return AddedToken(content: content, id: id, special: object["special"] as? Bool ?? false,
                              normalized: object["normalized"] as? Bool ?? false,
                              lstrip: object["lstrip"] as? Bool ?? false, rstrip: object["rstrip"] as? Bool ?? false)
        }
    }

    /// (prefix, suffix) ids of a `post_processor` for a single sequence.
    static func postProcessor(_ json: Any?, path: String) throws -> (prefix: [Int], suffix: [Int])? {
        guard let object = json as? [String: Any] else { return nil }
        let type = object["type"] as? String ?? ""
        switch type {
        case "TemplateProcessing":
            let specials = object["special_tokens"] as? [String: Any] ?? [:]
            var prefix: [Int] = []
            var suffix: [Int] = []
            var seenSequence = false
            for item in object["single"] as? [Any] ?? [] {
                guard let entry = item as? [String: Any] else { continue }
                if entry["Sequence"] != nil {
                    seenSequence = true
                } else if let special = entry["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                    guard let spec = specials[name] as? [String: Any], let ids = spec["ids"] as? [Any] else {
                        throw TokenizerError.corruptFile(path: path, reason: "post_processor special token \"\(name)\" has no ids")
                    }
                    let values = ids.compactMap { int($0) }
                    if seenSequence { suffix += values } else { prefix += values }
                }
            }
            return (prefix, suffix)
        case "RobertaProcessing", "BertProcessing":
            guard let cls = object["cls"] as? [Any], cls.count == 2, let clsID = int(cls[1]),
                  let sep = object["sep"] as? [Any], sep.count == 2, let sepID = int(sep[1]) else {
                throw TokenizerError.corruptFile(path: path, reason: "post_processor \(type) lacks cls/sep")
            }
            return ([clsID], [sepID])
        default:
            throw TokenizerError.unsupported(path: path, component: "post_processor", value: type)
        }
    }
}
