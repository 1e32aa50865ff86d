/// How a picture is drawn with characters.
public enum CellPictureMode: Equatable, Sendable {
    /// `▀` with 24-bit foreground (upper pixel) and background (lower pixel).
    case halfBlockTruecolor
    /// `▀` with 256-colour palette entries, ordered-dithered.
    case halfBlock256
    /// Characters by brightness, coloured with palette entries.
    case colouredASCII
    /// Characters by brightness only.
    case plainASCII
}

/// Draws pictures into a `CellGrid` with characters: half-blocks or ASCII.
public enum CellPictureRenderer {
    /// Brightness ramp for ASCII, dark to light.
    static let ramp: [Character] = Array(" .:-=+*#%@")

    /// The cells (columns × rows) a picture covers in `rect`, keeping its aspect ratio: a cell
    /// is taken as about twice as tall as wide, in every mode.
    public static func fittedSize(imageWidth: Int, imageHeight: Int, in rect: Rect) -> (columns: Int, rows: Int) {
        guard imageWidth > 0, imageHeight > 0, rect.width > 0, rect.height > 0 else { return (0, 0) }
        // Image pixels per cell column: 1; a cell is ~2 pixel-widths tall.
        let aspect = Double(imageHeight) / Double(imageWidth)  // rows per column, in pixels
        var columns = rect.width
        var rows = Int((Double(columns) * aspect / 2).rounded())
        if rows > rect.height {
            rows = rect.height
            columns = min(rect.width, Int((Double(rows) * 2 / aspect).rounded()))
        }
        return (max(1, columns), max(1, rows))
    }

    /// Draws `image` scaled (nearest neighbour) into `rect`, centred.
    public static func draw(_ image: PixelImage, into grid: inout CellGrid, rect: Rect, mode: CellPictureMode) {
        let (columns, rows) = fittedSize(imageWidth: image.width, imageHeight: image.height, in: rect)
        guard columns > 0, rows > 0 else { return }
        let left = rect.column + (rect.width - columns) / 2
        let top = rect.row + (rect.height - rows) / 2
        let halfBlock = mode == .halfBlockTruecolor || mode == .halfBlock256
        let pixelRows = halfBlock ? rows * 2 : rows
        func sample(_ cx: Int, _ py: Int) -> (Int, Int, Int) {
            let x = min(image.width - 1, cx * image.width / columns)
            let y = min(image.height - 1, py * image.height / pixelRows)
            let (r, g, b) = image.pixel(x, y)
            return (Int(r), Int(g), Int(b))
        }
        for row in 0..<rows {
            for column in 0..<columns {
                let cell: Cell
                switch mode {
                case .halfBlockTruecolor:
                    let u = sample(column, 2 * row), l = sample(column, 2 * row + 1)
                    cell = Cell("▀", style: CellStyle(foreground: .rgb(UInt8(u.0), UInt8(u.1), UInt8(u.2)),
                                                      background: .rgb(UInt8(l.0), UInt8(l.1), UInt8(l.2))))
                case .halfBlock256:
                    let u = sample(column, 2 * row), l = sample(column, 2 * row + 1)
                    let fu = Palette256.dithered(u.0, u.1, u.2, x: column, y: 2 * row)
                    let fl = Palette256.dithered(l.0, l.1, l.2, x: column, y: 2 * row + 1)
                    cell = Cell("▀", style: CellStyle(foreground: .indexed(fu), background: .indexed(fl)))
                case .colouredASCII, .plainASCII:
                    let p = sample(column, row)
                    let luma = (299 * p.0 + 587 * p.1 + 114 * p.2) / 1000
                    let ch = ramp[min(ramp.count - 1, luma * ramp.count / 256)]
                    let style = mode == .colouredASCII
                        ? CellStyle(foreground: .indexed(Palette256.nearest(p.0, p.1, p.2))) : .plain
                    cell = Cell(String(ch), style: style)
                }
                let r = top + row, c = left + column
                if r >= 0, r < grid.height, c >= 0, c < grid.width { grid[r, c] = cell }
            }
        }
    }
}
