/// Encodes RGB pictures as DEC sixel: `ESC P 0;1;0 q "1;1;W;H`, colour registers
/// `#i;2;r;g;b` (percent), then bands of six pixel rows, each colour's row of sixel
/// characters (`?`…`~`, runs as `!n c`) separated by `$`, bands ended by `-`, then `ESC \`.
/// Colours are the 6×6×6 cube (216 registers), ordered-dithered like the 256-colour path.
public enum SixelEncoder {
    public static func encode(_ image: PixelImage) -> [UInt8] {
        let w = image.width, h = image.height
        var out: [UInt8] = Array("\u{1B}P0;1;0q\"1;1;\(w);\(h)".utf8)
        // Palette index per pixel (0..<216).
        var index = [UInt8](repeating: 0, count: w * h)
        var used = [Bool](repeating: false, count: 216)
        for y in 0..<h {
            for x in 0..<w {
                let (r, g, b) = image.pixel(x, y)
                let t = Palette256.bayer4[(y & 3) * 4 + (x & 3)] * 40 / 16 - 20
                let i = 36 * Palette256.nearestLevel(Palette256.clamp(Int(r) + t))
                    + 6 * Palette256.nearestLevel(Palette256.clamp(Int(g) + t))
                    + Palette256.nearestLevel(Palette256.clamp(Int(b) + t))
                index[y * w + x] = UInt8(i)
                used[i] = true
            }
        }
        for i in 0..<216 where used[i] {
            let (r, g, b) = Palette256.rgb(of: UInt8(16 + i))
            out += Array("#\(i);2;\(r * 100 / 255);\(g * 100 / 255);\(b * 100 / 255)".utf8)
        }
        var band = 0
        while band * 6 < h {
            let y0 = band * 6
            var coloursInBand: [Int] = []
            var seen = [Bool](repeating: false, count: 216)
            for y in y0..<min(h, y0 + 6) {
                for x in 0..<w where !seen[Int(index[y * w + x])] {
                    seen[Int(index[y * w + x])] = true
                    coloursInBand.append(Int(index[y * w + x]))
                }
            }
            for (n, colour) in coloursInBand.enumerated() {
                if n > 0 { out.append(UInt8(ascii: "$")) }
                out += Array("#\(colour)".utf8)
                var run: UInt8 = 0, runLength = 0
                func flush() {
                    guard runLength > 0 else { return }
                    if runLength > 3 { out += Array("!\(runLength)".utf8); out.append(run) }
                    else { out += [UInt8](repeating: run, count: runLength) }
                }
                for x in 0..<w {
                    var bits: UInt8 = 0
                    for dy in 0..<6 where y0 + dy < h && Int(index[(y0 + dy) * w + x]) == colour {
                        bits |= 1 << dy
                    }
                    let ch = 63 + bits
                    if ch == run { runLength += 1 } else { flush(); run = ch; runLength = 1 }
                }
                flush()
            }
            out.append(UInt8(ascii: "-"))
            band += 1
        }
        out += [0x1B, UInt8(ascii: "\\")]
        return out
    }
}
