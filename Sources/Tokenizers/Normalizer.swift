// Normalizers of the `tokenizers` library (tokenizers/src/normalizers/*), as far as T5 and CLIP
// files use them: Sequence, Precompiled, NFC/NFD/NFKC/NFKD, Lowercase, Replace, Strip, Prepend.

import Foundation

/// One text normalisation step (a `tokenizers` normalizer).
indirect enum Normalizer: Sendable {
    case sequence([Normalizer])
    case precompiled(PrecompiledCharsmap)
    case nfc, nfd, nfkc, nfkd
    /// Per-scalar full lowercase mapping (Rust `char::to_lowercase`; no final-sigma rule).
    case lowercase
    case replace(TextPattern, String)
    case strip(left: Bool, right: Bool)
    case prepend(String)

    /// `text` normalised.
    func apply(_ text: String) -> String {
        switch self {
        case let .sequence(steps):
            return steps.reduce(text) { $1.apply($0) }
        case let .precompiled(map):
            return map.normalize(text)
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase:
            var out = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
            return String(out)
        case let .replace(pattern, content):
            return pattern.replacingMatches(in: text, with: content)
        case let .strip(left, right):
            let scalars = Array(text.unicodeScalars)
            var lo = 0
            var hi = scalars.count
            if left { while lo < hi, scalars[lo].properties.isWhitespace { lo += 1 } }
            if right { while hi > lo, scalars[hi - 1].properties.isWhitespace { hi -= 1 } }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: scalars[lo..<hi])
            return String(out)
        case let .prepend(prefix):
            return text.isEmpty ? text : prefix + text
        }
    }

    /// Builds a normalizer from its `tokenizer.json` object; `path` names the file in errors.
    static func fromJSON(_ json: Any?, path: String) throws -> Normalizer? {
        guard let object = json as? [String: Any] else { return nil }
        let type = object["type"] as? String ?? ""
        switch type {
        case "Sequence":
            let items = object["normalizers"] as? [Any] ?? []
            return .sequence(try items.compactMap { try fromJSON($0, path: path) })
        case "Precompiled":
            guard let base64 = object["precompiled_charsmap"] as? String else {
                // transformers writes `null` when the sentencepiece model had no charsmap: identity.
                return .sequence([])
            }
            guard let data = Data(base64Encoded: base64) else {
                throw TokenizerError.corruptFile(path: path, reason: "normalizer.precompiled_charsmap is not base64")
            }
            do {
                return .precompiled(try PrecompiledCharsmap(blob: Array(data)))
            } catch let TokenizerError.corruptFile(_, reason) {
                throw TokenizerError.corruptFile(path: path, reason: "normalizer.precompiled_charsmap: \(reason)")
            }
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Replace":
            let pattern = try TextPattern.fromJSON(object["pattern"], path: path, key: "normalizer.Replace.pattern")
            return .replace(pattern, object["content"] as? String ?? "")
        case "Strip":
            return .strip(left: object["strip_left"] as? Bool ?? true, right: object["strip_right"] as? Bool ?? true)
        case "Prepend":
            return .prepend(object["prepend"] as? String ?? "")
        default:
            throw TokenizerError.unsupported(path: path, component: "normalizer", value: type)
        }
    }
}
