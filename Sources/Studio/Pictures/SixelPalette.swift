/// The colour registers for one sixel picture: at most 256 colours chosen for that picture by
/// median cut (Heckbert, "Color image quantization for frame buffer display", 1982) over a
/// histogram of 5 bits per channel. A fixed 6×6×6 cube with ordered dithering, as the 256-colour
/// cells use, left sixel pictures further from the frame than half-blocks in 24-bit colour
/// (26.5 against 31.3 dB in an xterm, `StudioXtermTests`): the cube's first step is 95 levels
/// wide and no dither of ±20 spans it. Written here rather than taken from libsixel because
/// the studio's system packages are ncurses, OpenBLAS and libpng, and the cut is a page.
struct SixelPalette {
    /// The registers' colours, 0…255 per channel.
    private(set) var colours: [(r: Int, g: Int, b: Int)] = []
    /// Register of each histogram bin (`bin(r, g, b)`); bins no pixel fell in are 0.
    private var registerOfBin = [UInt8](repeating: 0, count: 1 << 15)

    static let maximumColours = 256

    init(_ image: PixelImage, maximumColours: Int = SixelPalette.maximumColours) {
        var count = [Int](repeating: 0, count: 1 << 15)
        var sum = [Int](repeating: 0, count: 3 << 15)
        let rgb = image.rgb
        for i in stride(from: 0, to: rgb.count, by: 3) {
            let b = Self.bin(rgb[i], rgb[i + 1], rgb[i + 2])
            count[b] += 1
            sum[3 * b] += Int(rgb[i]); sum[3 * b + 1] += Int(rgb[i + 1]); sum[3 * b + 2] += Int(rgb[i + 2])
        }
        // A box of bins, each bin standing for the mean colour of its pixels.
        struct Bin { var index: Int; var colour: (Int, Int, Int); var count: Int }
        func channel(_ bin: Bin, _ c: Int) -> Int { c == 0 ? bin.colour.0 : c == 1 ? bin.colour.1 : bin.colour.2 }
        var boxes: [[Bin]] = [count.indices.compactMap { b in
            count[b] == 0 ? nil : Bin(index: b, colour: (sum[3 * b] / count[b], sum[3 * b + 1] / count[b], sum[3 * b + 2] / count[b]),
                                      count: count[b])
        }]
        if boxes[0].isEmpty { boxes = [] }
        // Split the box whose widest channel, weighted by its pixels, is largest, at the pixel
        // median along that channel, until there are enough boxes or none can split.
        func widest(_ box: [Bin]) -> (channel: Int, score: Int) {
            var best = (channel: 0, score: -1)
            let pixels = box.reduce(0) { $0 + $1.count }
            for c in 0..<3 {
                let values = box.map { channel($0, c) }
                let range = (values.max() ?? 0) - (values.min() ?? 0)
                if range * pixels > best.score { best = (c, range * pixels) }
            }
            return best
        }
        var scores = boxes.map { $0.count > 1 ? widest($0) : (channel: 0, score: -1) }
        while boxes.count < maximumColours,
              let k = scores.indices.max(by: { scores[$0].score < scores[$1].score }), scores[k].score > 0 {
            let c = scores[k].channel
            let sorted = boxes[k].sorted { channel($0, c) < channel($1, c) }
            let half = sorted.reduce(0) { $0 + $1.count } / 2
            var running = 0, cut = 1
            for (i, bin) in sorted.enumerated() where i < sorted.count - 1 {
                running += bin.count
                cut = i + 1
                if running >= half { break }
            }
            let low = Array(sorted[..<cut]), high = Array(sorted[cut...])
            boxes[k] = low
            boxes.append(high)
            scores[k] = low.count > 1 ? widest(low) : (0, -1)
            scores.append(high.count > 1 ? widest(high) : (0, -1))
        }
        for (register, box) in boxes.enumerated() {
            let pixels = box.reduce(0) { $0 + $1.count }
            var total = (0, 0, 0)
            for bin in box {
                total.0 += sum[3 * bin.index]; total.1 += sum[3 * bin.index + 1]; total.2 += sum[3 * bin.index + 2]
                registerOfBin[bin.index] = UInt8(register)
            }
            colours.append(((total.0 + pixels / 2) / pixels, (total.1 + pixels / 2) / pixels, (total.2 + pixels / 2) / pixels))
        }
    }

    /// The register a pixel of this colour is drawn with.
    @inline(__always) func register(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        Int(registerOfBin[Self.bin(r, g, b)])
    }

    @inline(__always) static func bin(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3)
    }
}
