// GPT-2 / CLIP byte-to-unicode mapping (`bytes_to_unicode` in transformers' tokenization_clip
// history; `tokenizers` pre_tokenizers/byte_level.rs): every byte gets a printable character,
// printable Latin-1 bytes map to themselves, the other bytes to U+0100 upwards.

enum ByteLevel {
    /// Character for each byte value.
    static let byteToChar: [Character] = {
        var bytes: [Int] = Array(Int(UInt8(ascii: "!"))...Int(UInt8(ascii: "~"))) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var chars = bytes
        var n = 0
        for b in 0..<256 where !bytes.contains(b) {
            bytes.append(b)
            chars.append(256 + n)
            n += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (b, c) in zip(bytes, chars) { table[b] = Character(Unicode.Scalar(UInt32(c))!) }
        return table
    }()

    /// Byte for each mapped character.
    static let charToByte: [Character: UInt8] = {
        var map: [Character: UInt8] = [:]
        for (b, c) in byteToChar.enumerated() { map[c] = UInt8(b) }
        return map
    }()

    /// The UTF-8 bytes of `text`, each replaced by its character.
    static func encode(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for byte in text.utf8 { out.append(contentsOf: byteToChar[Int(byte)].unicodeScalars) }
        return String(out)
    }

    /// Inverse of `encode` (characters outside the table are kept as UTF-8).
    static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            if let b = charToByte[Character(scalar)] { bytes.append(b) } else { bytes.append(contentsOf: Array(String(scalar).utf8)) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
