// The sentencepiece "precompiled charsmap" normaliser (e.g. nmt_nfkc), as the Rust `tokenizers`
// `Precompiled` normalizer applies it (tokenizers/src/normalizers/precompiled.rs over the
// `spm_precompiled` crate), which is what transformers' T5Tokenizer uses.
//
// Blob layout (sentencepiece normalizer.cc): a little-endian uint32 = the byte size of the
// darts-clone double-array trie, the trie units (uint32 each), then the replacement strings,
// each terminated by a NUL. A trie key is the UTF-8 of a source sequence; its value is the
// byte offset of its replacement string.

/// A compiled sentencepiece normalisation map.
public struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    private let normalized: [UInt8]

    /// Parses a `precompiled_charsmap` blob; throws a description of the problem.
    public init(blob: [UInt8]) throws {
        guard blob.count >= 4 else {
            throw TokenizerError.corruptFile(path: "precompiled_charsmap", reason: "shorter than its 4-byte header")
        }
        let trieSize = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard trieSize % 4 == 0, trieSize > 0, 4 + trieSize <= blob.count else {
            throw TokenizerError.corruptFile(path: "precompiled_charsmap",
                                             reason: "trie size \(trieSize) does not fit the \(blob.count)-byte blob")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for i in 0..<units.count {
            let o = 4 + 4 * i
            units[i] = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
        }
        self.units = units
        self.normalized = Array(blob[(4 + trieSize)...])
    }

    // darts-clone unit accessors
    private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    private static func value(_ u: UInt32) -> Int { Int(u & ((1 << 31) - 1)) }
    private static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// Values of every trie key that is a prefix of `key`, shortest first
    /// (darts-clone `commonPrefixSearch`).
    func commonPrefixSearch<C: Collection>(_ key: C) -> [Int] where C.Element == UInt8 {
        var results: [Int] = []
        guard !units.isEmpty else { return results }
        var nodePos = Self.offset(units[0])
        for c in key {
            if c == 0 { break }
            nodePos ^= Int(c)
            guard nodePos >= 0, nodePos < units.count else { return results }
            let unit = units[nodePos]
            if Self.label(unit) != UInt32(c) { return results }
            nodePos ^= Self.offset(unit)
            if Self.hasLeaf(unit) {
                guard nodePos < units.count else { return results }
                results.append(Self.value(units[nodePos]))
            }
        }
        return results
    }

    /// The replacement for `chunk` (UTF-8): the string of the *first* (shortest) trie key that
    /// prefixes it, as `spm_precompiled::Precompiled::transform`; nil when no key matches.
    func transform<C: Collection>(_ chunk: C) -> ArraySlice<UInt8>? where C.Element == UInt8 {
        guard let start = commonPrefixSearch(chunk).first, start <= normalized.count else { return nil }
        var end = start
        while end < normalized.count, normalized[end] != 0 { end += 1 }
        return normalized[start..<end]
    }

    /// Normalises `text`: each grapheme cluster shorter than 6 UTF-8 bytes is looked up whole;
    /// otherwise (or when it has no entry) each of its scalars is looked up on its own, and kept
    /// unchanged when it has no entry. This quirk is the `tokenizers` behaviour and decides ids.
    public func normalize(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for grapheme in text {
            let bytes = Array(grapheme.utf8)
            if bytes.count < 6, let replacement = transform(bytes) {
                out.append(contentsOf: replacement)
                continue
            }
            for scalar in grapheme.unicodeScalars {
                let part = Array(String(scalar).utf8)
                if let replacement = transform(part) {
                    out.append(contentsOf: replacement)
                } else {
                    out.append(contentsOf: part)
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
