/// Quantising RGB to the xterm 256-colour palette: the 6×6×6 cube (16 + 36r + 6g + b) and
/// the 24-step grey ramp (232–255), with ordered (Bayer 4×4) dithering so that identical
/// input always gives identical cells and frames do not shimmer from step to step.
public enum Palette256 {
    /// The cube's channel levels.
    static let levels: [Int] = [0, 95, 135, 175, 215, 255]

    /// Bayer 4×4 threshold matrix, values 0…15.
    static let bayer4: [Int] = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5]

    /// The RGB value of a palette index (16…255; 0…15 approximated by the xterm defaults).
    public static func rgb(of index: UInt8) -> (Int, Int, Int) {
        let i = Int(index)
        if i >= 232 { let v = 8 + 10 * (i - 232); return (v, v, v) }
        if i >= 16 {
            let c = i - 16
            return (levels[c / 36], levels[(c / 6) % 6], levels[c % 6])
        }
        let basic: [(Int, Int, Int)] = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238),
                                        (205, 0, 205), (0, 205, 205), (229, 229, 229), (127, 127, 127),
                                        (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255),
                                        (255, 0, 255), (0, 255, 255), (255, 255, 255)]
        return basic[i]
    }

    /// The nearest cube level index (0…5) to a channel value.
    static func nearestLevel(_ v: Int) -> Int {
        if v < 48 { return 0 }
        if v < 115 { return 1 }
        return min(5, (v - 35) / 40)
    }

    /// The nearest palette entry to (r, g, b), cube or grey ramp, without dithering.
    public static func nearest(_ r: Int, _ g: Int, _ b: Int) -> UInt8 {
        nearest(r, g, b, judgedAgainst: (r, g, b))
    }

    /// Picks the cube and grey candidates for (r, g, b) and keeps the one closer to `target`
    /// (the undithered colour, so dithering never trades a cube corner for a grey).
    static func nearest(_ r: Int, _ g: Int, _ b: Int, judgedAgainst target: (Int, Int, Int)) -> UInt8 {
        let (ri, gi, bi) = (nearestLevel(r), nearestLevel(g), nearestLevel(b))
        let cube = (levels[ri], levels[gi], levels[bi])
        let grey = (r + g + b) / 3
        let gIndex = max(0, min(23, (grey - 3) / 10))
        let gv = 8 + 10 * gIndex
        let (tr, tg, tb) = target
        let dCube = sq(cube.0 - tr) + sq(cube.1 - tg) + sq(cube.2 - tb)
        let dGrey = sq(gv - tr) + sq(gv - tg) + sq(gv - tb)
        return dGrey < dCube ? UInt8(232 + gIndex) : UInt8(16 + 36 * ri + 6 * gi + bi)
    }

    /// The palette entry for the pixel at (x, y), ordered-dithered: the pixel is nudged by
    /// the Bayer threshold (±half a cube step) before choosing the nearest entry.
    public static func dithered(_ r: Int, _ g: Int, _ b: Int, x: Int, y: Int) -> UInt8 {
        let t = bayer4[(y & 3) * 4 + (x & 3)]
        // The cube's steps are ~40 apart: spread the threshold over one step.
        let offset = (t * 40) / 16 - 20
        return nearest(clamp(r + offset), clamp(g + offset), clamp(b + offset), judgedAgainst: (r, g, b))
    }

    @inline(__always) static func sq(_ x: Int) -> Int { x * x }
    @inline(__always) static func clamp(_ x: Int) -> Int { max(0, min(255, x)) }
}
