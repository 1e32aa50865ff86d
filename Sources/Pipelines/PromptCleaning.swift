// diffusers pipelines/wan/pipeline_wan.py `prompt_clean` / `basic_clean` / `whitespace_clean`
// (diffusers 0.42.1), without ftfy: diffusers uses `ftfy.fix_text` only when ftfy is
// installed, and the fixtures were made without it.
import Foundation

enum PromptCleaning {
    /// `whitespace_clean(basic_clean(text))`: HTML entities unescaped twice, runs of
    /// whitespace collapsed to one space, the ends stripped.
    static func clean(_ text: String) -> String {
        let unescaped = unescapeHTML(unescapeHTML(text))
        return unescaped.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Python's `html.unescape` for numeric references and the common named entities.
    static func unescapeHTML(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";"),
               let decoded = decodeEntity(String(after[..<semi])) {
                out += decoded
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"
                rest = after
            }
        }
        return out + rest
    }

    private static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
        "#39": "'", "hellip": "…", "mdash": "—", "ndash": "–", "copy": "©", "reg": "®",
    ]

    private static func decodeEntity(_ name: String) -> String? {
        if let value = named[name] { return value }
        guard name.hasPrefix("#") else { return nil }
        let digits = name.dropFirst()
        let code: UInt32?
        if digits.first == "x" || digits.first == "X" {
            code = UInt32(digits.dropFirst(), radix: 16)
        } else {
            code = UInt32(digits)
        }
        guard let code, let scalar = Unicode.Scalar(code) else { return nil }
        return String(Character(scalar))
    }
}
