import Foundation

/// PNG's chunk layer (PNG spec §5.3): `length (4, big-endian) · type (4) · data · CRC-32 of
/// type + data`. Used to take libpng's output apart and to assemble APNG files; libpng itself
/// does not write APNG.
public struct PNGChunk: Sendable, Equatable {
    /// The four-letter chunk type, e.g. "IHDR".
    public var type: String
    public var data: [UInt8]

    public init(type: String, data: [UInt8]) {
        self.type = type
        self.data = data
    }

    /// The 8-byte PNG signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The chunk as bytes, CRC included.
    public var encoded: [UInt8] {
        let typeBytes = Array(type.utf8)
        precondition(typeBytes.count == 4, "PNG chunk type must be 4 ASCII letters, got \(type)")
        var out: [UInt8] = []
        out.reserveCapacity(12 + data.count)
        out.appendBigEndian(UInt32(data.count))
        out += typeBytes
        out += data
        var crc = CRC32()
        crc.update(typeBytes)
        crc.update(data)
        out.appendBigEndian(crc.value)
        return out
    }

    /// Splits a PNG file into chunks, checking the signature, every length and every CRC.
    /// `source` names the data in errors.
    public static func parse(_ bytes: [UInt8], source: String = "<memory>") throws -> [PNGChunk] {
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { throw MediaError.notPNG(path: source) }
        var chunks: [PNGChunk] = []
        var offset = 8
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else {
                throw MediaError.truncatedPNG(path: source, reason: "chunk header at byte \(offset) is cut off")
            }
            let length = Int(bytes.readBigEndianUInt32(at: offset))
            let typeBytes = Array(bytes[(offset + 4)..<(offset + 8)])
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= bytes.count - offset - 12 else {
                throw MediaError.truncatedPNG(path: source, reason: "chunk \(type) at byte \(offset) needs \(length) bytes")
            }
            let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            var crc = CRC32()
            crc.update(typeBytes)
            crc.update(data)
            let stored = bytes.readBigEndianUInt32(at: offset + 8 + length)
            guard crc.value == stored else {
                throw MediaError.corruptPNG(path: source, reason: "CRC mismatch in chunk \(type) at byte \(offset)")
            }
            chunks.append(PNGChunk(type: type, data: data))
            offset += 12 + length
            if type == "IEND" { break }
        }
        return chunks
    }
}

/// CRC-32 as PNG and zlib define it (polynomial 0xEDB88320, reflected, initial and final
/// XOR 0xFFFFFFFF). A table of 256 entries, computed once.
public struct CRC32: Sendable {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
    private var state: UInt32 = 0xFFFF_FFFF

    public init() {}

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        var c = state
        Self.table.withUnsafeBufferPointer { table in
            for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        state = c
    }

    public var value: UInt32 { state ^ 0xFFFF_FFFF }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ v: UInt32) {
        append(UInt8(v >> 24)); append(UInt8((v >> 16) & 0xFF)); append(UInt8((v >> 8) & 0xFF)); append(UInt8(v & 0xFF))
    }

    mutating func appendBigEndian(_ v: UInt16) {
        append(UInt8(v >> 8)); append(UInt8(v & 0xFF))
    }

    mutating func appendLittleEndian(_ v: UInt16) {
        append(UInt8(v & 0xFF)); append(UInt8(v >> 8))
    }

    func readBigEndianUInt32(at i: Int) -> UInt32 {
        UInt32(self[i]) << 24 | UInt32(self[i + 1]) << 16 | UInt32(self[i + 2]) << 8 | UInt32(self[i + 3])
    }
}
