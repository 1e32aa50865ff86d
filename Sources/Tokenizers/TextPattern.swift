// The `pattern` of `tokenizers` Replace / Split: a literal string or an Oniguruma regex.
// Regexes run on Swift Regex with Unicode-scalar semantics; for the patterns T5 and CLIP use
// (`\s+`, ` {2,}`, CLIP's split pattern, GPT-2's byte-level pattern) the two engines agree:
// `\s` is the Unicode White_Space property in both, `\p{L}` / `\p{N}` the general categories.

/// A literal or regular-expression pattern.
struct TextPattern: @unchecked Sendable {
    // Regex<AnyRegexOutput> is not Sendable; it is immutable once built and only read.
    private let literal: String?
    private let regex: Regex<AnyRegexOutput>?
    /// The source text, for messages and for recognising well-known patterns.
    let source: String

    /// A literal pattern.
    init(literal: String) {
        self.literal = literal
        self.regex = nil
        self.source = literal
    }

    /// A regular expression; `path` and `key` name the file and key in errors.
    init(regex source: String, path: String, key: String) throws {
        do {
            self.regex = try Regex(source).matchingSemantics(.unicodeScalar)
        } catch {
            throw TokenizerError.unsupported(path: path, component: key, value: source)
        }
        self.literal = nil
        self.source = source
    }

    /// `{"String": "…"}` or `{"Regex": "…"}` from `tokenizer.json`.
    static func fromJSON(_ json: Any?, path: String, key: String) throws -> TextPattern {
        guard let object = json as? [String: Any] else {
            throw TokenizerError.corruptFile(path: path, reason: "\(key) is missing")
        }
        if let s = object["String"] as? String { return TextPattern(literal: s) }
        if let r = object["Regex"] as? String { return try TextPattern(regex: r, path: path, key: key) }
        throw TokenizerError.corruptFile(path: path, reason: "\(key) has neither \"String\" nor \"Regex\"")
    }

    /// Non-overlapping matches, left to right, as ranges of `text`'s scalar view.
    func matches(in text: String) -> [Range<String.Index>] {
        if let literal {
            guard !literal.isEmpty else { return [] }
            var out: [Range<String.Index>] = []
            let hay = text.unicodeScalars
            let needle = Array(literal.unicodeScalars)
            var i = hay.startIndex
            while i < hay.endIndex {
                var j = i
                var k = 0
                while k < needle.count, j < hay.endIndex, hay[j] == needle[k] {
                    j = hay.index(after: j)
                    k += 1
                }
                if k == needle.count {
                    out.append(i..<j)
                    i = j
                } else {
                    i = hay.index(after: i)
                }
            }
            return out
        }
        guard let regex else { return [] }
        return text.matches(of: regex).map(\.range).filter { !$0.isEmpty }
    }

    /// `text` with every match replaced by `content`.
    func replacingMatches(in text: String, with content: String) -> String {
        let found = matches(in: text)
        guard !found.isEmpty else { return text }
        var out = String.UnicodeScalarView()
        var last = text.startIndex
        for range in found {
            out.append(contentsOf: text.unicodeScalars[last..<range.lowerBound])
            out.append(contentsOf: content.unicodeScalars)
            last = range.upperBound
        }
        out.append(contentsOf: text.unicodeScalars[last...])
        return String(out)
    }
}
