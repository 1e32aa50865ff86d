// Added tokens (`tokenizers` tokenizer/added_vocabulary.rs): tokens such as `</s>`, `<pad>`,
// `<|endoftext|>` that are cut out of the text before normalisation (`normalized: false`) or
// after it (`normalized: true`), leftmost-longest, and map straight to their ids.

/// A token matched on the text before the model runs.
struct AddedToken: Sendable, Equatable {
    var content: String
    var id: Int
    var special: Bool
    /// Matched on normalised text (true) or on the raw input (false).
    var normalized: Bool
    /// Also swallow whitespace on the left / right of a match.
    var lstrip: Bool
    var rstrip: Bool
}

/// A stretch of input: text for the model, or an added token's id.
enum Segment: Equatable {
    case text(String, atStart: Bool)
    case token(Int)
}

/// The added tokens of a tokenizer and the splitting they imply.
struct AddedVocabulary: Sendable {
    private(set) var tokens: [AddedToken]

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
    }

    /// Splits `text` on raw-matched tokens, normalises the rest with `normalizer`, then splits
    /// that on normalised-matched tokens (`AddedVocabulary::extract_and_normalize`).
    func extractAndNormalize(_ text: String, normalizer: Normalizer?) -> [Segment] {
        let raw = tokens.filter { !$0.normalized }.map { (Array($0.content.utf8), $0) }
        let normalizedTokens = tokens.filter(\.normalized).map { token -> ([UInt8], AddedToken) in
            (Array((normalizer?.apply(token.content) ?? token.content).utf8), token)
        }
        var out: [Segment] = []
        for segment in Self.split(text, on: raw, atStart: true) {
            guard case let .text(piece, atStart) = segment else { out.append(segment); continue }
            let normalized = normalizer?.apply(piece) ?? piece
            out.append(contentsOf: Self.split(normalized, on: normalizedTokens, atStart: atStart))
        }
        return out
    }

    private static func split(_ text: String, on patterns: [([UInt8], AddedToken)], atStart: Bool) -> [Segment] {
        let bytes = Array(text.utf8)
        let usable = patterns.filter { !$0.0.isEmpty }
        guard !usable.isEmpty, !bytes.isEmpty else { return bytes.isEmpty ? [] : [.text(text, atStart: atStart)] }
        var out: [Segment] = []
        var textStart = 0
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        while i < bytes.count {
            var best: (length: Int, token: AddedToken)?
            for (pattern, token) in usable where pattern.count > (best?.length ?? 0) && i + pattern.count <= bytes.count {
                if bytes[i] == pattern[0], bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                    best = (pattern.count, token)
                }
            }
            guard let match = best else { i += 1; continue }
            var start = i
            var end = i + match.length
            if match.token.lstrip { while start > textStart, isSpace(bytes[start - 1]) { start -= 1 } }
            if match.token.rstrip { while end < bytes.count, isSpace(bytes[end]) { end += 1 } }
            if start > textStart {
                out.append(.text(String(decoding: bytes[textStart..<start], as: UTF8.self), atStart: atStart && textStart == 0))
            }
            out.append(.token(match.token.id))
            i = end
            textStart = end
        }
        if textStart < bytes.count {
            out.append(.text(String(decoding: bytes[textStart...], as: UTF8.self), atStart: atStart && textStart == 0))
        }
        return out
    }
}
