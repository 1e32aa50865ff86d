/// A rectangle on the screen, in cells.
public struct Rect: Hashable, Sendable {
    public var row: Int
    public var column: Int
    public var width: Int
    public var height: Int

    public init(row: Int, column: Int, width: Int, height: Int) {
        self.row = row
        self.column = column
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var bottom: Int { row + height }
    public var right: Int { column + width }

    public func contains(row r: Int, column c: Int) -> Bool {
        r >= row && r < bottom && c >= column && c < right
    }

    /// The rectangle shrunk by `by` cells on every side.
    public func inset(_ by: Int) -> Rect {
        Rect(row: row + by, column: column + by, width: width - 2 * by, height: height - 2 * by)
    }
}

/// A picture of the whole screen as cells: what the views draw into and what a `Screen`
/// presents. Drawing outside the grid is clipped.
public struct CellGrid: Equatable, Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
    }

    public subscript(row: Int, column: Int) -> Cell {
        get { cells[row * width + column] }
        set { cells[row * width + column] = newValue }
    }

    /// Fills `rect` with `cell`.
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        for r in max(0, rect.row)..<min(height, rect.bottom) where rect.column < width {
            for c in max(0, rect.column)..<min(width, rect.right) { self[r, c] = cell }
        }
    }

    /// Writes `text` from (row, column), one grapheme per cell (two for wide ones), stopping
    /// at `limit` columns (or the edge). Newlines and controls are shown as spaces.
    /// Returns the number of columns written.
    @discardableResult
    public mutating func put(_ text: String, row: Int, column: Int, style: CellStyle = .plain,
                             limit: Int? = nil) -> Int {
        guard row >= 0, row < height else { return 0 }
        let end = min(width, column + (limit ?? width))
        var c = column
        for grapheme in text {
            var w = DisplayWidth.of(grapheme)
            var shown = String(grapheme)
            if w == 0 {
                if grapheme.unicodeScalars.first.map({ $0.properties.generalCategory == .control }) ?? true {
                    shown = " "; w = 1
                } else { continue }  // a lone combining mark: nothing to draw on its own
            }
            if c + w > end { break }
            if c >= 0 {
                // Overwriting half of a wide grapheme blanks its other half.
                clearWideNeighbours(row: row, column: c, width: w)
                self[row, c] = Cell(shown, style: style)
                if w == 2 { self[row, c + 1] = Cell("", style: style) }
            }
            c += w
        }
        return c - column
    }

    private mutating func clearWideNeighbours(row: Int, column: Int, width w: Int) {
        if self[row, column].isContinuation, column > 0 {
            self[row, column - 1] = Cell(" ", style: self[row, column - 1].style)
        }
        let after = column + w
        if after < self.width, self[row, after].isContinuation {
            self[row, after] = Cell(" ", style: self[row, after].style)
        }
    }

    /// Draws a box border around `rect` with an optional title on the top edge.
    public mutating func box(_ rect: Rect, style: CellStyle, title: String? = nil, titleStyle: CellStyle? = nil) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        for c in rect.column + 1..<rect.right - 1 {
            put("─", row: rect.row, column: c, style: style)
            put("─", row: rect.bottom - 1, column: c, style: style)
        }
        for r in rect.row + 1..<rect.bottom - 1 {
            put("│", row: r, column: rect.column, style: style)
            put("│", row: r, column: rect.right - 1, style: style)
        }
        put("┌", row: rect.row, column: rect.column, style: style)
        put("┐", row: rect.row, column: rect.right - 1, style: style)
        put("└", row: rect.bottom - 1, column: rect.column, style: style)
        put("┘", row: rect.bottom - 1, column: rect.right - 1, style: style)
        if let title, rect.width > 4 {
            put(" \(title) ", row: rect.row, column: rect.column + 1, style: titleStyle ?? style,
                limit: rect.width - 2)
        }
    }

    /// The text of one row (continuation cells skipped), trailing spaces kept.
    public func text(ofRow row: Int) -> String {
        var s = ""
        for c in 0..<width where !self[row, c].isContinuation { s += self[row, c].text }
        return s
    }

    /// The whole grid as text, one line per row, trailing spaces removed.
    public var text: String {
        (0..<height).map { text(ofRow: $0).replacingTrailingSpaces() }.joined(separator: "\n")
    }
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
