/// Encodes RGB pictures as DEC sixel: `ESC P 0;1;0 q "1;1;W;H`, colour registers
/// `#i;2;r;g;b` (percent) from the picture's own palette (`SixelPalette`), then bands of six
/// pixel rows, each colour's row of sixel characters (`?`…`~`, runs as `!n c`, ending at the
/// colour's last pixel in the band) separated by `$`, bands ended by `-`, then `ESC \`.
public enum SixelEncoder {
    /// `image` at its own size.
    public static func encode(_ image: PixelImage) -> [UInt8] {
        encode(image, width: image.width, height: image.height)
    }

    /// `image` scaled (nearest neighbour) to `width × height` pixels. The palette and each
    /// source pixel's register are worked out on the source picture, so the cost of a large
    /// picture is its bands, not its colours.
    public static func encode(_ image: PixelImage, width w: Int, height h: Int) -> [UInt8] {
        guard w > 0, h > 0, image.width > 0, image.height > 0 else { return [] }
        var out: [UInt8] = Array("\u{1B}P0;1;0q\"1;1;\(w);\(h)".utf8)
        out.reserveCapacity(w * h / 4)
        let palette = SixelPalette(image)
        let sourceRegisters = (0..<(image.width * image.height)).map {
            UInt16(palette.register(image.rgb[3 * $0], image.rgb[3 * $0 + 1], image.rgb[3 * $0 + 2]))
        }
        let sourceColumn = (0..<w).map { min(image.width - 1, $0 * image.width / w) }
        for (i, c) in palette.colours.enumerated() {
            out += Array("#\(i);2;\((c.r * 100 + 127) / 255);\((c.g * 100 + 127) / 255);\((c.b * 100 + 127) / 255)".utf8)
        }
        var slotOfRegister = [Int](repeating: -1, count: palette.colours.count)
        var registersInBand: [Int] = []
        var lastColumn: [Int] = []
        var bits: [UInt8] = []
        var row = [Int](repeating: 0, count: w)
        var y0 = 0
        while y0 < h {
            registersInBand.removeAll(keepingCapacity: true)
            lastColumn.removeAll(keepingCapacity: true)
            bits.removeAll(keepingCapacity: true)
            // One pass over the band's (up to) six rows: each register's six-bit columns.
            for dy in 0..<min(6, h - y0) {
                let sourceRow = min(image.height - 1, (y0 + dy) * image.height / h) * image.width
                for x in 0..<w { row[x] = Int(sourceRegisters[sourceRow + sourceColumn[x]]) }
                for x in 0..<w {
                    var slot = slotOfRegister[row[x]]
                    if slot < 0 {
                        slot = registersInBand.count
                        slotOfRegister[row[x]] = slot
                        registersInBand.append(row[x])
                        lastColumn.append(0)
                        bits += [UInt8](repeating: 0, count: w)
                    }
                    bits[slot * w + x] |= 1 << dy
                    if x > lastColumn[slot] { lastColumn[slot] = x }
                }
            }
            for (slot, register) in registersInBand.enumerated() {
                if slot > 0 { out.append(UInt8(ascii: "$")) }
                out += Array("#\(register)".utf8)
                var run: UInt8 = 0, runLength = 0
                func flush() {
                    guard runLength > 0 else { return }
                    if runLength > 3 { out += Array("!\(runLength)".utf8); out.append(run) }
                    else { out += [UInt8](repeating: run, count: runLength) }
                }
                for x in 0...lastColumn[slot] {
                    let ch = 63 + bits[slot * w + x]
                    if ch == run { runLength += 1 } else { flush(); run = ch; runLength = 1 }
                }
                flush()
                slotOfRegister[register] = -1
            }
            out.append(UInt8(ascii: "-"))
            y0 += 6
        }
        out += [0x1B, UInt8(ascii: "\\")]
        return out
    }
}
