// Reading tokenizer files: whole files with typed errors, JSON objects, and the special-token
// names that `tokenizer_config.json` / `special_tokens_map.json` give.

import Foundation

enum TokenizerFiles {
    /// The bytes of `url`, or `TokenizerError.missingFile` naming it.
    static func read(_ url: URL) throws -> Data {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError.missingFile(path: url.path)
        }
        return data
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

    /// Special-token names from `tokenizer_config.json` (preferred) and `special_tokens_map.json`
    /// in `directory`, when those files exist: keys `bos_token`, `eos_token`, `unk_token`,
    /// `pad_token`, plus `extra_ids`.
    static func specialTokenNames(in directory: URL) throws -> [String: Any] {
        var names: [String: Any] = [:]
        for file in ["special_tokens_map.json", "tokenizer_config.json"] {
            let url = directory.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let object = try jsonObject(url)
            for key in ["bos_token", "eos_token", "unk_token", "pad_token"] {
                if let token = tokenString(object[key]) { names[key] = token }
            }
            if let extra = int(object["extra_ids"]) { names["extra_ids"] = extra }
        }
        return names
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
