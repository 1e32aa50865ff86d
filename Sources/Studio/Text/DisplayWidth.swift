/// How many terminal columns a grapheme cluster takes, like `wcwidth` but per grapheme:
/// East Asian Wide/Fullwidth and emoji take 2, combining marks and zero-width characters 0,
/// everything else 1. A small table, not the full Unicode data: close enough for prompts.
public enum DisplayWidth {
    /// Columns taken by one grapheme cluster.
    public static func of(_ grapheme: Character) -> Int {
        let scalars = grapheme.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if first.value < 0x20 || (first.value >= 0x7F && first.value < 0xA0) { return 0 }
        if scalars.contains(where: { $0.value == 0xFE0F }) { return 2 }  // emoji presentation selector
        if first.properties.isEmojiPresentation { return 2 }
        if isWide(first.value) { return 2 }
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if first.value == 0x200B { return 0 }
        return 1
    }

    /// Columns taken by a string.
    public static func of(_ text: String) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    /// East Asian Wide and Fullwidth ranges (Unicode 15, EastAsianWidth.txt, abridged).
    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
             0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
             0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF, 0x1F300...0x1F64F,
             0x1F900...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// The longest prefix of `text` that fits in `columns`, and its width.
    public static func prefix(of text: String, fitting columns: Int) -> (String, Int) {
        var out = "", used = 0
        for g in text {
            let w = of(g)
            if used + w > columns { break }
            out.append(g)
            used += w
        }
        return (out, used)
    }

    /// `text` broken into lines of at most `columns` display columns: at spaces where it can,
    /// inside a word only when the word alone is wider. Newlines in `text` are kept. An empty
    /// text is one empty line.
    public static func wrap(_ text: String, width columns: Int) -> [String] {
        let columns = max(1, columns)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = "", used = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
                var word = word, w = of(word)
                if used > 0, used + 1 + w <= columns {
                    line += " " + word
                    used += 1 + w
                    continue
                }
                if used > 0 || !line.isEmpty {
                    lines.append(line)
                    line = ""
                    used = 0
                }
                while w > columns {
                    let (head, headWidth) = prefix(of: word, fitting: columns)
                    guard headWidth > 0 else { break }  // one grapheme wider than the line
                    lines.append(head)
                    word.removeFirst(head.count)
                    w = of(word)
                }
                line = word
                used = w
            }
            lines.append(line)
        }
        return lines
    }

    /// `text` if it fits in `columns`, else "…" and as much of its end as fits: for paths,
    /// whose last components say the most.
    public static func keepingEnd(of text: String, fitting columns: Int) -> String {
        guard of(text) > columns else { return text }
        guard columns > 1 else { return columns == 1 ? "…" : "" }
        var tail = "", used = 0
        for g in text.reversed() {
            let w = of(g)
            if used + w > columns - 1 { break }
            tail.insert(g, at: tail.startIndex)
            used += w
        }
        return "…" + tail
    }
}
