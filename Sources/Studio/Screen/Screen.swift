/// Pixels to write at a cell position after the cells are shown (sixel or kitty bytes).
public struct GraphicsOverlay: Equatable, Sendable {
    public var row: Int
    public var column: Int
    public var bytes: [UInt8]
    /// Screen rows whose cells must be written again before `bytes`, because an earlier
    /// picture lies under them: sixel pixels stay until text is written over them, and
    /// curses would skip cells it believes unchanged (issue #20: help and dialogs were drawn
    /// over the last picture, which showed through their blank cells).
    public var repaintRows: Range<Int>?

    public init(row: Int, column: Int, bytes: [UInt8], repaintRows: Range<Int>? = nil) {
        self.row = row
        self.column = column
        self.bytes = bytes
        self.repaintRows = repaintRows
    }
}

/// A terminal surface the studio draws on. The studio renders a whole `CellGrid` each frame;
/// a screen shows it, writing only what changed where it can.
public protocol Screen: AnyObject {
    /// Columns and rows available.
    var size: (columns: Int, rows: Int) { get }
    /// Shows `grid`, then writes `overlays` and sets the window title.
    func present(_ grid: CellGrid, cursor: (row: Int, column: Int)?, overlays: [GraphicsOverlay], title: String)
}

/// A screen in memory, for tests: keeps the last grid, title and overlays.
public final class HeadlessScreen: Screen {
    public private(set) var columns: Int
    public private(set) var rows: Int
    public private(set) var grid: CellGrid
    public private(set) var cursor: (row: Int, column: Int)?
    public private(set) var overlays: [GraphicsOverlay] = []
    public private(set) var title = ""
    public private(set) var presentCount = 0

    public init(columns: Int = 120, rows: Int = 40) {
        self.columns = columns
        self.rows = rows
        grid = CellGrid(width: columns, height: rows)
    }

    public var size: (columns: Int, rows: Int) { (columns, rows) }

    public func resize(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }

    public func present(_ grid: CellGrid, cursor: (row: Int, column: Int)?, overlays: [GraphicsOverlay], title: String) {
        self.grid = grid
        self.cursor = cursor
        self.overlays = overlays
        self.title = title
        presentCount += 1
    }

    /// The screen's text, one line per row, trailing spaces removed.
    public var text: String { grid.text }
}
