import Foundation
import CCursesShim

/// The terminal through ncursesw. Only cells that changed since the last frame are handed
/// to curses; truecolor cells (half-block pictures) and pixel pictures are written as raw
/// escape sequences right after `doupdate`, where curses cannot disturb them.
final class CursesScreen: Screen {
    private var previous: CellGrid?
    private var lastTitle = ""
    private let attributeBits: (bold: Int32, dim: Int32, reverse: Int32, underline: Int32)
    let colourCount: Int
    /// With fewer than 256 colours, the background drawn where a style leaves it to the
    /// terminal (`BasicColours.base(of:)` of the theme): the terminal's own may be white or black.
    var basicBackground = 0 {
        didSet { if basicBackground != oldValue { pairs = [:] } }
    }
    let truecolorRaw: Bool
    private var pairs: [Int64: Int32] = [:]

    /// Starts curses. `truecolor`: write `.rgb` cells as 24-bit escapes (else they are
    /// quantised to the 256-colour palette).
    init(truecolor: Bool) throws {
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        switch zc_initialize() {
        case 0: break
        case -2:
            throw StudioError.terminal("TERM=\(term.isEmpty ? "(unset)" : term) names a terminal that cannot move the "
                + "cursor, and the studio draws a whole screen; run it in a terminal such as xterm-256color, or "
                + "use `zoetrope generate` for plain output")
        default:
            throw StudioError.terminal("curses does not know the terminal TERM=\(term.isEmpty ? "(unset)" : term); "
                + "set TERM to one this system's terminfo has (e.g. xterm-256color), or use `zoetrope generate`")
        }
        zc_install_restore_handlers()
        attributeBits = (zc_attr_bold(), zc_attr_dim(), zc_attr_reverse(), zc_attr_underline())
        colourCount = Int(zc_colors())
        truecolorRaw = truecolor
        // Bracketed paste on, so pasted newlines do not press Enter.
        write("\u{1B}[?2004h")
    }

    func close() {
        zc_restore_terminal()
    }

    var size: (columns: Int, rows: Int) { (Int(zc_cols()), Int(zc_lines())) }

    /// Forgets what is on screen so the next frame is drawn in full (after a resize).
    func invalidate() {
        previous = nil
        zc_redraw_all()
    }

    func present(_ grid: CellGrid, cursor: (row: Int, column: Int)?, overlays: [GraphicsOverlay], title: String) {
        let old = previous.flatMap { $0.width == grid.width && $0.height == grid.height ? $0 : nil }
        if old == nil { zc_redraw_all() }
        var rawRows: [Int] = []
        for row in 0..<grid.height {
            var rowChanged = false
            var hasRaw = false
            for column in 0..<grid.width {
                let cell = grid[row, column]
                let isRaw = truecolorRaw && cell.style.isTruecolor
                if isRaw { hasRaw = true }
                if let old, old[row, column] == cell { continue }
                rowChanged = true
                if old.map({ truecolorRaw && $0[row, column].style.isTruecolor && !isRaw }) == true {
                    zc_redraw_line(Int32(row))  // curses believes a blank is there: make it repaint
                }
                if cell.isContinuation { continue }
                if isRaw {
                    _ = zc_put_cell(Int32(row), Int32(column), " ", 0, 0)
                } else {
                    _ = zc_put_cell(Int32(row), Int32(column), cell.text, attributes(cell.style.attributes), pair(cell.style))
                }
            }
            if hasRaw && rowChanged { rawRows.append(row) }
        }
        for overlay in overlays {
            for row in overlay.repaintRows ?? 0..<0 where row >= 0 && row < grid.height {
                zc_redraw_line(Int32(row))  // curses writes the row again, covering old pixels
                if truecolorRaw, !rawRows.contains(row), (0..<grid.width).contains(where: { grid[row, $0].style.isTruecolor }) {
                    rawRows.append(row)  // its 24-bit cells are written after curses, as always
                }
            }
        }
        if let cursor { zc_set_cursor(Int32(cursor.row), Int32(cursor.column)) } else { zc_set_cursor(-1, -1) }
        zc_refresh()
        var out = ""
        for row in rawRows { out += truecolorRun(grid, row: row) }
        if !out.isEmpty { write("\u{1B}7" + out + "\u{1B}[0m\u{1B}8") }
        for overlay in overlays where !overlay.bytes.isEmpty {
            var bytes = Array("\u{1B}[?2026h\u{1B}7\u{1B}[\(overlay.row + 1);\(overlay.column + 1)H".utf8)
            bytes += overlay.bytes
            bytes += Array("\u{1B}8\u{1B}[?2026l".utf8)
            writeBytes(bytes)
        }
        if title != lastTitle {
            write("\u{1B}]2;\(title)\u{07}")
            lastTitle = title
        }
        previous = grid
    }

    /// The 24-bit escape sequences for the truecolor cells of one row.
    private func truecolorRun(_ grid: CellGrid, row: Int) -> String {
        var s = ""
        var lastStyle: CellStyle?
        var expectedColumn = -1
        for column in 0..<grid.width {
            let cell = grid[row, column]
            guard cell.style.isTruecolor, !cell.isContinuation else { continue }
            if column != expectedColumn { s += "\u{1B}[\(row + 1);\(column + 1)H" }
            if cell.style != lastStyle {
                s += "\u{1B}[0m" + sgr(cell.style.foreground, base: 38) + sgr(cell.style.background, base: 48)
                lastStyle = cell.style
            }
            s += cell.text
            expectedColumn = column + max(1, DisplayWidth.of(cell.text))
        }
        return s
    }

    private func sgr(_ colour: TerminalColor, base: Int) -> String {
        switch colour {
        case .default: return "\u{1B}[\(base + 1)m"
        case .indexed(let i): return "\u{1B}[\(base);5;\(i)m"
        case .rgb(let r, let g, let b): return "\u{1B}[\(base);2;\(r);\(g);\(b)m"
        }
    }

    private func attributes(_ a: CellAttributes) -> Int32 {
        var bits: Int32 = 0
        if a.contains(.bold) { bits |= attributeBits.bold }
        if a.contains(.dim) { bits |= attributeBits.dim }
        if a.contains(.reverse) { bits |= attributeBits.reverse }
        if a.contains(.underline) { bits |= attributeBits.underline }
        return bits
    }

    /// A 256-colour terminal's number for `c` (-1: the terminal's default).
    private func colourNumber(_ c: TerminalColor) -> Int32 {
        switch c {
        case .default: return -1
        case .indexed(let i): return Int32(i)
        case .rgb(let r, let g, let b): return Int32(Palette256.nearest(Int(r), Int(g), Int(b)))
        }
    }

    private func pair(_ style: CellStyle) -> Int32 {
        guard colourCount > 0 else { return 0 }
        let fg: Int32, bg: Int32
        if colourCount >= 256 {
            (fg, bg) = (colourNumber(style.foreground), colourNumber(style.background))
        } else {
            // 8 or 16 colours: the theme's own base background and a readable foreground.
            let basic = BasicColours.pair(foreground: style.foreground, background: style.background,
                                          base: basicBackground, count: colourCount >= 16 ? 16 : 8)
            (fg, bg) = (Int32(basic.0), Int32(basic.1))
        }
        let key = Int64(fg) << 32 | Int64(UInt32(bitPattern: bg))
        if let p = pairs[key] { return p }
        let p = zc_pair(fg, bg)
        pairs[key] = p
        return p
    }

    private func write(_ s: String) { writeBytes(Array(s.utf8)) }

    private func writeBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { zc_write_raw($0.baseAddress, Int32($0.count)) }
        }
    }
}

extension CellStyle {
    var isTruecolor: Bool {
        if case .rgb = foreground { return true }
        if case .rgb = background { return true }
        return false
    }
}

/// Errors starting the studio.
public enum StudioError: Error, CustomStringConvertible {
    case terminal(String)
    case notATerminal

    public var description: String {
        switch self {
        case .terminal(let m): return "terminal: \(m)"
        case .notATerminal: return "the studio needs a terminal (stdin and stdout must be a tty); use `zoetrope generate` in scripts"
        }
    }
}
