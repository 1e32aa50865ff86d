/// A grid being drawn, with the theme's styles at hand.
struct Painter {
    var grid: CellGrid
    let theme: Theme
    let colours: ColourSupport
    /// Where the terminal cursor should be shown (the focused text field's caret).
    var cursor: (row: Int, column: Int)?

    init(columns: Int, rows: Int, theme: Theme, colours: ColourSupport) {
        self.theme = theme
        self.colours = colours
        grid = CellGrid(width: columns, height: rows)
        grid.fill(Rect(row: 0, column: 0, width: columns, height: rows), with: Cell(" ", style: style(.text)))
    }

    func style(_ role: ThemeRole) -> CellStyle { theme.style(role, colours: colours) }

    @discardableResult
    mutating func text(_ s: String, row: Int, column: Int, _ role: ThemeRole = .text, limit: Int? = nil) -> Int {
        grid.put(s, row: row, column: column, style: style(role), limit: limit)
    }

    mutating func box(_ rect: Rect, title: String, focused: Bool) {
        grid.box(rect, style: style(focused ? .focus : .border), title: title, titleStyle: style(focused ? .focus : .title))
    }

    mutating func fill(_ rect: Rect, _ role: ThemeRole) {
        grid.fill(rect, with: Cell(" ", style: style(role)))
    }
}
