import Foundation

/// Animated GIF89a writer: fixed 256-colour palette with ordered dithering (see `GIFPalette`),
/// a hand-written LZW encoder (see `GIFLZW`), and the NETSCAPE2.0 extension for looping
/// forever.
///
/// GIF is written here rather than through a library because it is small and fully specified
/// (GIF89a, 1990) and doing so avoids a fourth system library.
///
/// Delays are in hundredths of a second, so most frame rates cannot be hit exactly; frame i
/// gets `round(100 (i+1) / fps) − round(100 i / fps)` so the total time is right (24 fps →
/// 4, 4, 5, 4, 4, 4, 5 …). Delays under 2 cs are raised to 2, since browsers slow 0–1 cs
/// frames down to 10 cs.
public enum GIF {
    /// The largest side GIF's 16-bit sizes allow.
    public static let maxSide = 65535

    /// Encodes `frames` (all the same size) at `fps`. Each string of `comments` becomes a
    /// comment extension (UTF-8) before the first frame.
    public static func encode(frames: [RGBImage], fps: Double, comments: [String] = []) throws -> Data {
        guard let first = frames.first else { throw MediaError.noFrames(format: "GIF") }
        guard fps.isFinite, fps > 0 else { throw MediaError.invalidFrameRate(fps) }
        guard first.width <= maxSide, first.height <= maxSide else {
            throw MediaError.imageTooLarge(format: "GIF", width: first.width, height: first.height, limit: maxSide)
        }
        for (index, frame) in frames.enumerated() where frame.width != first.width || frame.height != first.height {
            throw MediaError.frameSizeMismatch(index: index, expected: first.sizeDescription, got: frame.sizeDescription)
        }
        let width = UInt16(first.width), height = UInt16(first.height)

        var out: [UInt8] = Array("GIF89a".utf8)
        // Logical screen descriptor: global colour table present, 8-bit colour resolution,
        // table of 2^(7+1) = 256 entries.
        out.appendLittleEndian(width)
        out.appendLittleEndian(height)
        out += [0xF7, 0, 0]  // flags, background colour index, pixel aspect ratio
        for c in GIFPalette.colors { out += [c.r, c.g, c.b] }
        // NETSCAPE2.0 application extension: loop count 0 = forever.
        out += [0x21, 0xFF, 11] + Array("NETSCAPE2.0".utf8) + [3, 1, 0, 0, 0]
        for comment in comments where !comment.isEmpty {
            out += [0x21, 0xFE]
            appendSubBlocks(Array(comment.utf8), to: &out)
        }

        let delays = delaysInCentiseconds(frameCount: frames.count, fps: fps)
        for (index, frame) in frames.enumerated() {
            // Graphic control extension: disposal 1 (leave in place), no transparency.
            out += [0x21, 0xF9, 4, 0x04]
            out.appendLittleEndian(delays[index])
            out += [0, 0]
            // Image descriptor: whole canvas, no local colour table, not interlaced.
            out.append(0x2C)
            out.appendLittleEndian(0)
            out.appendLittleEndian(0)
            out.appendLittleEndian(width)
            out.appendLittleEndian(height)
            out.append(0)
            out.append(8)  // LZW minimum code size for 256 colours
            appendSubBlocks(GIFLZW.encode(GIFPalette.indices(for: frame), minCodeSize: 8), to: &out)
        }
        out.append(0x3B)  // trailer
        return Data(out)
    }

    /// Encodes and writes atomically.
    public static func write(frames: [RGBImage], fps: Double, comments: [String] = [], to url: URL) throws {
        try AtomicFile.write(encode(frames: frames, fps: fps, comments: comments), to: url)
    }

    /// Per-frame delays whose running sum tracks `100 i / fps` (see the type's comment).
    static func delaysInCentiseconds(frameCount: Int, fps: Double) -> [UInt16] {
        (0..<frameCount).map { i in
            let a = (100 * Double(i) / fps).rounded(), b = (100 * Double(i + 1) / fps).rounded()
            return UInt16(min(65535, max(2, b - a)))
        }
    }

    /// Data sub-blocks: runs of at most 255 bytes, each preceded by its length, then a 0 block.
    private static func appendSubBlocks(_ bytes: [UInt8], to out: inout [UInt8]) {
        var i = 0
        while i < bytes.count {
            let n = min(255, bytes.count - i)
            out.append(UInt8(n))
            out += bytes[i..<(i + n)]
            i += n
        }
        out.append(0)
    }
}
