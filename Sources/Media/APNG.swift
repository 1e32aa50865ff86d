import Foundation

/// Animated PNG writer (APNG 1.0, https://wiki.mozilla.org/APNG_Specification).
///
/// libpng does not write APNG, so each frame is encoded by libpng into memory and its
/// compressed image data is moved into the APNG container built here:
///
///     signature · IHDR · acTL · tEXt/iTXt… · fcTL(0) · IDAT…            (frame 0)
///               · fcTL(1) · fdAT(2)…  · fcTL(n) · fdAT(n+1)… · IEND    (later frames)
///
/// fcTL and fdAT share one sequence counter starting at 0. The animation loops forever
/// (`num_plays` = 0); every frame covers the whole canvas (no offsets, dispose NONE, blend
/// SOURCE). A reader without APNG support shows frame 0, which is the default image.
public enum APNG {
    /// Encodes `frames` (all the same size) at `fps` frames per second.
    public static func encode(frames: [RGBImage], fps: Double, texts: [PNGText] = [],
                              compressionLevel: Int = 6) throws -> Data {
        guard let first = frames.first else { throw MediaError.noFrames(format: "APNG") }
        let delay = try frameDelay(fps: fps)
        for (index, frame) in frames.enumerated() where frame.width != first.width || frame.height != first.height {
            throw MediaError.frameSizeMismatch(index: index, expected: first.sizeDescription, got: frame.sizeDescription)
        }

        var out = PNGChunk.signature
        var sequence: UInt32 = 0
        func fcTL() -> PNGChunk {
            var d: [UInt8] = []
            d.appendBigEndian(sequence)
            d.appendBigEndian(UInt32(first.width))
            d.appendBigEndian(UInt32(first.height))
            d.appendBigEndian(UInt32(0))  // x offset
            d.appendBigEndian(UInt32(0))  // y offset
            d.appendBigEndian(delay.numerator)
            d.appendBigEndian(delay.denominator)
            d.append(0)  // dispose_op: APNG_DISPOSE_OP_NONE
            d.append(0)  // blend_op: APNG_BLEND_OP_SOURCE
            sequence += 1
            return PNGChunk(type: "fcTL", data: d)
        }

        for (index, frame) in frames.enumerated() {
            let png = try PNG.encode(frame, texts: index == 0 ? texts : [], compressionLevel: compressionLevel)
            let chunks = try PNGChunk.parse([UInt8](png), source: "libpng output for APNG frame \(index)")
            let imageData = chunks.filter { $0.type == "IDAT" }
            if index == 0 {
                for chunk in chunks where chunk.type != "IDAT" && chunk.type != "IEND" {
                    out += chunk.encoded
                    if chunk.type == "IHDR" {
                        var actl: [UInt8] = []
                        actl.appendBigEndian(UInt32(frames.count))  // num_frames
                        actl.appendBigEndian(UInt32(0))             // num_plays: 0 = loop forever
                        out += PNGChunk(type: "acTL", data: actl).encoded
                    }
                }
                out += fcTL().encoded
                for chunk in imageData { out += chunk.encoded }
            } else {
                out += fcTL().encoded
                for chunk in imageData {
                    var d: [UInt8] = []
                    d.reserveCapacity(4 + chunk.data.count)
                    d.appendBigEndian(sequence)
                    d += chunk.data
                    sequence += 1
                    out += PNGChunk(type: "fdAT", data: d).encoded
                }
            }
        }
        out += PNGChunk(type: "IEND", data: []).encoded
        return Data(out)
    }

    /// Encodes and writes atomically.
    public static func write(frames: [RGBImage], fps: Double, texts: [PNGText] = [], to url: URL,
                             compressionLevel: Int = 6) throws {
        try AtomicFile.write(encode(frames: frames, fps: fps, texts: texts, compressionLevel: compressionLevel), to: url)
    }

    /// The per-frame delay `numerator / denominator` seconds for `fps`, both 16-bit.
    /// Exact for whole fps (1/fps) and for rates with up to three decimals such as 23.976
    /// (1000 / 23976 = 125 / 2997); other rates are approximated with the largest denominator that fits.
    static func frameDelay(fps: Double) throws -> (numerator: UInt16, denominator: UInt16) {
        guard fps.isFinite, fps > 0 else { throw MediaError.invalidFrameRate(fps) }
        let millis = (fps * 1000).rounded()
        // Whole milliseconds (checked below 2^31 before the Int conversion, which traps above Int.max).
        if millis < 2_147_483_648, abs(fps * 1000 - millis) < 1e-6, millis >= 1 {
            var num = 1000, den = Int(millis)
            let g = gcd(num, den)
            num /= g
            den /= g
            if den <= 65535 { return (UInt16(num), UInt16(den)) }
        }
        let seconds = 1 / fps
        let den = min(65535, max(1, (65535 / max(1, seconds)).rounded(.down)))
        let num = min(65535, max(1, (seconds * den).rounded()))
        return (UInt16(num), UInt16(den))
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
