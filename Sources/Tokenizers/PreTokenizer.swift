// Pre-tokenizers of the `tokenizers` library (tokenizers/src/pre_tokenizers/*) that T5 and CLIP
// files use: Sequence, WhitespaceSplit, Metaspace, Split and ByteLevel.

/// A piece of text between pre-tokenizer boundaries.
struct PreToken: Equatable {
    var text: String
    /// Whether the piece starts at the beginning of the input (Metaspace `prepend_scheme: first`).
    var atStart: Bool
}

/// How Split treats the delimiters it finds (`SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious",
         mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

/// One pre-tokenization step.
indirect enum PreTokenizer: Sendable {
    case sequence([PreTokenizer])
    /// Split on Unicode White_Space, dropping it.
    case whitespaceSplit
    /// Replace " " by `replacement`, prepend it per `prependScheme`, optionally split before each one.
    case metaspace(replacement: Character, prependScheme: PrependScheme, split: Bool)
    case split(TextPattern, SplitBehavior, invert: Bool)
    /// GPT-2 byte-level: optional GPT-2 regex split, then bytes mapped to printable characters.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)

    enum PrependScheme: String, Sendable { case always, first, never }

    /// GPT-2's pattern, used by ByteLevel when `use_regex` is true.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Applies the step to every piece.
    func apply(_ pieces: [PreToken]) -> [PreToken] {
        switch self {
        case let .sequence(steps):
            return steps.reduce(pieces) { $1.apply($0) }
        case .whitespaceSplit:
            return pieces.flatMap { piece -> [PreToken] in
                var out: [PreToken] = []
                var current = String.UnicodeScalarView()
                var first = piece.atStart
                var startsAtZero = true
                for scalar in piece.text.unicodeScalars {
                    if scalar.properties.isWhitespace {
                        if !current.isEmpty { out.append(PreToken(text: String(current), atStart: first && startsAtZero)) }
                        current = String.UnicodeScalarView()
                        startsAtZero = false
                        first = false
                    } else {
                        current.append(scalar)
                    }
                }
                if !current.isEmpty { out.append(PreToken(text: String(current), atStart: first && startsAtZero)) }
                return out
            }
        case let .metaspace(replacement, scheme, split):
            let rep = String(replacement)
            return pieces.flatMap { piece -> [PreToken] in
                let repScalar = replacement.unicodeScalars.first ?? "\u{2581}"
                var scalars = String.UnicodeScalarView()
                for scalar in piece.text.unicodeScalars {
                    if scalar == " " { scalars.append(contentsOf: rep.unicodeScalars) } else { scalars.append(scalar) }
                }
                let startsWithReplacement = scalars.first == repScalar
                switch scheme {
                case .always: if !startsWithReplacement { scalars.insert(contentsOf: rep.unicodeScalars, at: scalars.startIndex) }
                case .first: if !startsWithReplacement, piece.atStart { scalars.insert(contentsOf: rep.unicodeScalars, at: scalars.startIndex) }
                case .never: break
                }
                let text = String(scalars)
                guard split else { return [PreToken(text: text, atStart: piece.atStart)] }
                var out: [PreToken] = []
                var current = String.UnicodeScalarView()
                for scalar in text.unicodeScalars {
                    if scalar == repScalar, !current.isEmpty {
                        out.append(PreToken(text: String(current), atStart: piece.atStart && out.isEmpty))
                        current = String.UnicodeScalarView()
                    }
                    current.append(scalar)
                }
                if !current.isEmpty { out.append(PreToken(text: String(current), atStart: piece.atStart && out.isEmpty)) }
                return out
            }
        case let .split(pattern, behavior, invert):
            return pieces.flatMap { Self.split($0, pattern: pattern, behavior: behavior, invert: invert) }
        case let .byteLevel(addPrefixSpace, useRegex):
            let gpt2 = useRegex ? Self.gpt2 : nil
            return pieces.flatMap { piece -> [PreToken] in
                var piece = piece
                if addPrefixSpace, piece.text.unicodeScalars.first != " " { piece.text = " " + piece.text }
                let parts = gpt2.map { Self.split(piece, pattern: $0, behavior: .isolated, invert: false) } ?? [piece]
                return parts.map { PreToken(text: ByteLevel.encode($0.text), atStart: $0.atStart) }
            }
        }
    }

    private static let gpt2: TextPattern? = try? TextPattern(regex: gpt2Pattern, path: "", key: "")

    private static func split(_ piece: PreToken, pattern: TextPattern, behavior: SplitBehavior, invert: Bool) -> [PreToken] {
        let text = piece.text
        // (range, isDelimiter) segments covering the text
        var segments: [(Range<String.Index>, Bool)] = []
        var last = text.startIndex
        for m in pattern.matches(in: text) {
            if last < m.lowerBound { segments.append((last..<m.lowerBound, invert)) }
            segments.append((m, !invert))
            last = m.upperBound
        }
        if last < text.endIndex { segments.append((last..<text.endIndex, invert)) }
        var ranges: [Range<String.Index>] = []
        switch behavior {
        case .removed:
            ranges = segments.filter { !$0.1 }.map(\.0)
        case .isolated:
            ranges = segments.map(\.0)
        case .mergedWithPrevious:
            for (r, isDelimiter) in segments {
                if isDelimiter, let prev = ranges.last { ranges[ranges.count - 1] = prev.lowerBound..<r.upperBound } else { ranges.append(r) }
            }
        case .mergedWithNext:
            var pendingStart: String.Index?
            for (r, isDelimiter) in segments {
                if isDelimiter {
                    if pendingStart == nil { pendingStart = r.lowerBound } else { ranges.append(pendingStart!..<r.lowerBound); pendingStart = r.lowerBound }
                } else {
                    ranges.append((pendingStart ?? r.lowerBound)..<r.upperBound)
                    pendingStart = nil
                }
            }
            if let start = pendingStart { ranges.append(start..<text.endIndex) }
        case .contiguous:
            for (r, isDelimiter) in segments {
                if isDelimiter, let prev = ranges.last, prev.upperBound == r.lowerBound,
                   let prevSeg = segments.first(where: { $0.0 == prev }), prevSeg.1 {
                    ranges[ranges.count - 1] = prev.lowerBound..<r.upperBound
                } else {
                    ranges.append(r)
                }
            }
        }
        return ranges.map { r in
            PreToken(text: String(text.unicodeScalars[r]), atStart: piece.atStart && r.lowerBound == text.startIndex)
        }
    }

    /// Builds a pre-tokenizer from its `tokenizer.json` object; `path` names the file in errors.
    static func fromJSON(_ json: Any?, path: String) throws -> PreTokenizer? {
        guard let object = json as? [String: Any] else { return nil }
        let type = object["type"] as? String ?? ""
        switch type {
        case "Sequence":
            let items = object["pretokenizers"] as? [Any] ?? []
            return .sequence(try items.compactMap { try fromJSON($0, path: path) })
        case "WhitespaceSplit":
            return .whitespaceSplit
        case "Metaspace":
            let replacement = (object["replacement"] as? String ?? "▁").first ?? "▁"
            var scheme = PrependScheme.always
            if let raw = object["prepend_scheme"] as? String {
                guard let s = PrependScheme(rawValue: raw) else {
                    throw TokenizerError.unsupported(path: path, component: "Metaspace.prepend_scheme", value: raw)
                }
                scheme = s
            } else if let add = object["add_prefix_space"] as? Bool {
                scheme = add ? .always : .never
            }
            return .metaspace(replacement: replacement, prependScheme: scheme, split: object["split"] as? Bool ?? true)
        case "Split":
            let pattern = try TextPattern.fromJSON(object["pattern"], path: path, key: "pre_tokenizer.Split.pattern")
            let raw = object["behavior"] as? String ?? "Removed"
            guard let behavior = SplitBehavior(rawValue: raw) else {
                throw TokenizerError.unsupported(path: path, component: "Split.behavior", value: raw)
            }
            return .split(pattern, behavior, invert: object["invert"] as? Bool ?? false)
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: object["add_prefix_space"] as? Bool ?? true,
                              useRegex: object["use_regex"] as? Bool ?? true)
        default:
            throw TokenizerError.unsupported(path: path, component: "pre_tokenizer", value: type)
        }
    }
}
