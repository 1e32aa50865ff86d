/// The fixed GIF palette: a 6 × 7 × 6 RGB cube (252 colours, seven green levels because the
/// eye is most sensitive to green) plus four greys, with 8 × 8 ordered (Bayer) dithering.
///
/// A fixed palette and a position-only dither pattern make the same colour at the same pixel
/// map to the same index in every frame, so animations do not shimmer; a per-frame median-cut
/// palette would shift colours from frame to frame.
enum GIFPalette {
    static let redLevels = 6, greenLevels = 7, blueLevels = 6

    /// Palette entry values of level `k` of `n`: round(k * 255 / (n - 1)).
    static func levelValue(_ k: Int, of n: Int) -> UInt8 {
        UInt8((k * 255 * 2 + (n - 1)) / (2 * (n - 1)))
    }

    /// 256 RGB entries: index r*42 + g*6 + b for the cube, then four greys.
    static let colors: [RGB] = {
        var colors: [RGB] = []
        for r in 0..<redLevels {
            for g in 0..<greenLevels {
                for b in 0..<blueLevels {
                    colors.append(RGB(levelValue(r, of: redLevels), levelValue(g, of: greenLevels),
                                      levelValue(b, of: blueLevels)))
                }
            }
        }
        for v: UInt8 in [64, 96, 160, 192] { colors.append(RGB(v, v, v)) }
        return colors
    }()

    /// The 8 × 8 Bayer matrix, values 0…63.
    static let bayer: [Int] = {
        var m = [Int](repeating: 0, count: 64)
        for y in 0..<8 {
            for x in 0..<8 {
                var v = 0
                var xc = x, yc = x ^ y
                for _ in 0..<3 {
                    v = (v << 2) | ((yc & 1) << 1) | (xc & 1)
                    xc >>= 1
                    yc >>= 1
                }
                m[y * 8 + x] = v
            }
        }
        return m
    }()

    /// Quantises one channel value to a level in 0..<n with threshold t (0…63):
    /// floor(v * (n-1) / 255 + t / 64), in integers. A value that is exactly a palette level
    /// stays on that level for every t (the rounding excess of `levelValue` is below 1/64).
    @inline(__always)
    static func level(_ v: UInt8, levels n: Int, threshold t: Int) -> Int {
        min(n - 1, (Int(v) * (n - 1) * 64 + t * 255) / (255 * 64))
    }

    /// Palette indices for an image, dithered by pixel position only.
    static func indices(for image: RGBImage) -> [UInt8] {
        let w = image.width, h = image.height
        return image.pixels.withUnsafeBufferPointer { px in
            [UInt8](unsafeUninitializedCapacity: w * h) { out, initialized in
                for y in 0..<h {
                    for x in 0..<w {
                        let t = bayer[(y & 7) * 8 + (x & 7)]
                        let i = (y * w + x) * 3
                        let r = level(px[i], levels: redLevels, threshold: t)
                        let g = level(px[i + 1], levels: greenLevels, threshold: t)
                        let b = level(px[i + 2], levels: blueLevels, threshold: t)
                        out[y * w + x] = UInt8(r * greenLevels * blueLevels + g * blueLevels + b)
                    }
                }
                initialized = w * h
            }
        }
    }
}
