/// One PNG text chunk: a keyword and its text.
///
/// On write the text goes into a `tEXt` chunk when every character is Latin-1 (U+0001–U+00FF),
/// else into an uncompressed `iTXt` chunk as UTF-8. On read, `tEXt`, `zTXt` and `iTXt` are all
/// returned.
public struct PNGText: Sendable, Equatable, Hashable {
    public var keyword: String
    public var text: String

    public init(keyword: String, text: String) {
        self.keyword = keyword
        self.text = text
    }

    /// The human-readable settings line(s), as AUTOMATIC1111 and stable-diffusion.cpp write them.
    public static let parametersKeyword = "parameters"
    /// Zoetrope's JSON of every generation setting.
    public static let zoetropeKeyword = "zoetrope"

    /// The two chunks Zoetrope writes into every picture: `parameters` (readable) and
    /// `zoetrope` (JSON).
    public static func generationMetadata(parameters: String, json: String) -> [PNGText] {
        [PNGText(keyword: parametersKeyword, text: parameters), PNGText(keyword: zoetropeKeyword, text: json)]
    }

    /// Whether the text fits a `tEXt` chunk: Latin-1 without NUL.
    public var isLatin1: Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 1 && $0.value <= 0xFF }
    }

    /// The keyword as Latin-1 bytes, or an error naming what is wrong with it
    /// (PNG spec 11.3.4.2: 1–79 bytes, printable Latin-1, no leading/trailing/double spaces).
    func keywordBytes() throws -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in keyword.unicodeScalars {
            let v = scalar.value
            guard (v >= 32 && v <= 126) || (v >= 161 && v <= 255) else {
                throw MediaError.invalidTextKeyword(
                    keyword: keyword, reason: "character U+\(String(v, radix: 16, uppercase: true)) is not printable Latin-1")
            }
            bytes.append(UInt8(v))
        }
        guard !bytes.isEmpty, bytes.count <= 79 else {
            throw MediaError.invalidTextKeyword(keyword: keyword, reason: "it is \(bytes.count) characters long")
        }
        if bytes.first == 32 || bytes.last == 32 || keyword.contains("  ") {
            throw MediaError.invalidTextKeyword(keyword: keyword, reason: "it has a leading, trailing or double space")
        }
        return bytes
    }

    /// The text as bytes for the chunk it will go into: Latin-1 for tEXt, UTF-8 for iTXt.
    /// NUL characters (not allowed in either chunk) are dropped.
    func textBytes() -> (bytes: [UInt8], isUTF8: Bool) {
        if isLatin1 {
            return (text.unicodeScalars.map { UInt8($0.value) }, false)
        }
        return (Array(text.utf8).filter { $0 != 0 }, true)
    }

    /// Decodes chunk bytes read back: Latin-1 for tEXt/zTXt, UTF-8 for iTXt (invalid UTF-8 is
    /// repaired with U+FFFD).
    static func decodeText(_ bytes: some Collection<UInt8>, isUTF8: Bool) -> String {
        if isUTF8 { return String(decoding: bytes, as: UTF8.self) }
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(b)) }
        return String(s)
    }
}

extension Array where Element == PNGText {
    /// The text of the first chunk with this keyword.
    public func text(forKeyword keyword: String) -> String? {
        first { $0.keyword == keyword }?.text
    }
}
