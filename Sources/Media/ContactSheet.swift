/// Tiles frames into one picture: a grid of `columns` cells, row by row, with `gap` pixels of
/// `background` between cells and around the edge. Used for the model card and history
/// thumbnails.
public enum ContactSheet {
    /// The grid for `frames`. `columns` defaults to ⌈√N⌉ (so 17 frames → 5 × 4). Each cell is
    /// as large as the largest frame; smaller frames are centred in their cell.
    /// The sheet is `columns * cellWidth + (columns + 1) * gap` wide and
    /// `rows * cellHeight + (rows + 1) * gap` high, with `rows = ⌈N / columns⌉`.
    public static func make(_ frames: [RGBImage], columns: Int? = nil, gap: Int = 2,
                            background: RGB = .black) throws -> RGBImage {
        guard !frames.isEmpty else { throw MediaError.noFrames(format: "contact sheet") }
        let columns = columns ?? Int(Double(frames.count).squareRoot().rounded(.up))
        guard columns >= 1 else {
            throw MediaError.invalidArgument(name: "contact sheet columns", value: "\(columns)", valid: "1 or more")
        }
        guard gap >= 0 else {
            throw MediaError.invalidArgument(name: "contact sheet gap", value: "\(gap)", valid: "0 or more pixels")
        }
        let cols = min(columns, frames.count)
        let rows = (frames.count + cols - 1) / cols
        let cellWidth = frames.map(\.width).max() ?? 1
        let cellHeight = frames.map(\.height).max() ?? 1
        var sheet = RGBImage(width: cols * cellWidth + (cols + 1) * gap,
                             height: rows * cellHeight + (rows + 1) * gap, fill: background)
        for (index, frame) in frames.enumerated() {
            let x0 = gap + (index % cols) * (cellWidth + gap) + (cellWidth - frame.width) / 2
            let y0 = gap + (index / cols) * (cellHeight + gap) + (cellHeight - frame.height) / 2
            sheet.paste(frame, x: x0, y: y0)
        }
        return sheet
    }
}

extension RGBImage {
    /// Copies `image` with its top-left corner at (x, y); parts outside are cut off.
    public mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        let x0 = max(0, x), x1 = min(width, x + image.width)
        guard x0 < x1 else { return }
        let rowBytes = (x1 - x0) * 3
        let srcWidth = image.width, dstWidth = width
        image.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for row in max(0, y)..<max(max(0, y), min(height, y + image.height)) {
                    let s = ((row - y) * srcWidth + (x0 - x)) * 3
                    let d = (row * dstWidth + x0) * 3
                    for k in 0..<rowBytes { dst[d + k] = src[s + k] }
                }
            }
        }
    }
}
