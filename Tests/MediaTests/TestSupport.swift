import Foundation
import XCTest
@testable import Media

/// Builds PNG files by hand (stored, uncompressed deflate blocks) so the reader can be tested on
/// colour types and bit depths that `PNG.encode` never writes, without another encoder.
enum MiniPNG {
    /// A zlib stream holding `data` in stored deflate blocks (RFC 1950/1951).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, data.count - i)
            let final: UInt8 = i + n == data.count ? 1 : 0
            out.append(final)
            out.appendLittleEndian(UInt16(n))
            out.appendLittleEndian(~UInt16(n))
            out += data[i..<(i + n)]
            i += n
        } while i < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        out.appendBigEndian(b << 16 | a)
        return out
    }

    static func ihdr(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, interlace: UInt8 = 0) -> PNGChunk {
        var d: [UInt8] = []
        d.appendBigEndian(UInt32(width))
        d.appendBigEndian(UInt32(height))
        d += [bitDepth, colorType, 0, 0, interlace]
        return PNGChunk(type: "IHDR", data: d)
    }

    /// A non-interlaced PNG whose rows are given already packed (filter byte 0 is prepended).
    static func file(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]],
                     extra: [PNGChunk] = [], after: [PNGChunk] = []) -> [UInt8] {
        let raw: [UInt8] = rows.flatMap { row -> [UInt8] in [UInt8(0)] + row }
        return assemble([ihdr(width: width, height: height, bitDepth: bitDepth, colorType: colorType)] + extra
            + [PNGChunk(type: "IDAT", data: zlibStored(raw))] + after + [PNGChunk(type: "IEND", data: [])])
    }

    static func assemble(_ chunks: [PNGChunk]) -> [UInt8] {
        PNGChunk.signature + chunks.flatMap(\.encoded)
    }
}

/// A GIF reader for tests: walks the blocks and LZW-decodes each frame's indices.
struct GIFTestReader {
    struct Frame {
        var delay: Int
        var disposal: Int
        var left = 0, top = 0, width = 0, height = 0
        var indices: [UInt8] = []
    }
    var width = 0, height = 0
    var globalPalette: [RGB] = []
    var loopCount: Int?
    var comments: [String] = []
    var frames: [Frame] = []

    init(_ bytes: [UInt8]) throws {
        var p = 0
        func u8() throws -> Int {
            guard p < bytes.count else { throw Failure("GIF ends early at byte \(p)") }
            p += 1
            return Int(bytes[p - 1])
        }
        func u16() throws -> Int { try u8() | (try u8() << 8) }
        func subBlocks() throws -> [UInt8] {
            var out: [UInt8] = []
            while true {
                let n = try u8()
                if n == 0 { return out }
                guard p + n <= bytes.count else { throw Failure("sub-block past the end") }
                out += bytes[p..<(p + n)]
                p += n
            }
        }
        guard bytes.count >= 13, String(decoding: bytes[0..<6], as: UTF8.self) == "GIF89a" else {
            throw Failure("no GIF89a header")
        }
        p = 6
        width = try u16()
        height = try u16()
        let flags = try u8()
        p += 2
        if flags & 0x80 != 0 {
            let n = 1 << ((flags & 7) + 1)
            for _ in 0..<n { globalPalette.append(RGB(UInt8(try u8()), UInt8(try u8()), UInt8(try u8()))) }
        }
        var pendingDelay = 0, pendingDisposal = 0
        loop: while true {
            switch try u8() {
            case 0x21:
                let label = try u8()
                let data = try subBlocks()
                if label == 0xF9 {
                    pendingDisposal = Int(data[0] >> 2) & 7
                    pendingDelay = Int(data[1]) | Int(data[2]) << 8
                } else if label == 0xFF, data.count >= 14, String(decoding: data[0..<11], as: UTF8.self) == "NETSCAPE2.0" {
                    loopCount = Int(data[12]) | Int(data[13]) << 8
                } else if label == 0xFE {
                    comments.append(String(decoding: data, as: UTF8.self))
                }
            case 0x2C:
                var f = Frame(delay: pendingDelay, disposal: pendingDisposal)
                f.left = try u16(); f.top = try u16(); f.width = try u16(); f.height = try u16()
                let imageFlags = try u8()
                guard imageFlags & 0x80 == 0 else { throw Failure("unexpected local colour table") }
                let minCodeSize = try u8()
                f.indices = try GIFTestReader.lzwDecode(try subBlocks(), minCodeSize: minCodeSize)
                frames.append(f)
            case 0x3B:
                break loop
            case let other:
                throw Failure("unknown block 0x\(String(other, radix: 16)) at byte \(p - 1)")
            }
        }
        guard p == bytes.count else { throw Failure("\(bytes.count - p) bytes after the trailer") }
    }

    /// Plain LZW decoder written from the GIF89a spec (Appendix F), independent of the encoder.
    static func lzwDecode(_ data: [UInt8], minCodeSize: Int) throws -> [UInt8] {
        let clear = 1 << minCodeSize, end = clear + 1
        var table: [[UInt8]] = []
        func reset() { table = (0..<clear).map { [UInt8($0)] } + [[], []] }
        reset()
        var codeSize = minCodeSize + 1
        var bitPos = 0
        var out: [UInt8] = []
        var previous: [UInt8]?
        while true {
            guard bitPos + codeSize <= data.count * 8 else { throw Failure("LZW data ends without end code") }
            var code = 0
            for i in 0..<codeSize {
                let bit = (Int(data[(bitPos + i) / 8]) >> ((bitPos + i) % 8)) & 1
                code |= bit << i
            }
            bitPos += codeSize
            if code == clear {
                reset()
                codeSize = minCodeSize + 1
                previous = nil
                continue
            }
            if code == end { break }
            let entry: [UInt8]
            if code < table.count {
                entry = table[code]
                if let previous, table.count < 4096 { table.append(previous + [entry[0]]) }
            } else if code == table.count, let previous {
                entry = previous + [previous[0]]
                table.append(entry)
            } else {
                throw Failure("LZW code \(code) beyond table size \(table.count)")
            }
            out += entry
            previous = entry
            if table.count == (1 << codeSize) && codeSize < 12 { codeSize += 1 }
        }
        return out
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh temporary folder, removed at the end of the test.
func temporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-media-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A deterministic test picture: smooth gradients plus a hashed component so neighbouring
/// pixels differ (exercises PNG filters and every GIF palette index range).
func testImage(width: Int, height: Int, seed: Int = 0) -> RGBImage {
    var pixels: [UInt8] = []
    pixels.reserveCapacity(width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let h = (x &* 73_856_093) ^ (y &* 19_349_663) ^ (seed &* 83_492_791)
            pixels += [UInt8((x * 255) / max(1, width - 1)), UInt8((y * 255) / max(1, height - 1)),
                       UInt8(truncatingIfNeeded: h >> 3)]
        }
    }
    return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
}
