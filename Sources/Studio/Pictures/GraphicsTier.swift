/// How pictures are shown, best first.
public enum GraphicsTier: String, CaseIterable, Sendable, Comparable {
    case kitty
    case sixel
    case halfBlockTruecolor = "truecolor"
    case halfBlock256 = "256"
    case colouredASCII = "ascii-colour"
    case plainASCII = "ascii"

    /// Parses an override (`ZOETROPE_GRAPHICS`, `--graphics`, config `graphics =`).
    public init?(name: String) {
        switch name.lowercased().trimmingCharacters(in: .whitespaces) {
        case "kitty": self = .kitty
        case "sixel": self = .sixel
        case "truecolor", "truecolour", "24bit", "halfblock", "half-block": self = .halfBlockTruecolor
        case "256", "halfblock256", "half-block-256": self = .halfBlock256
        case "ascii-colour", "ascii-color", "colour-ascii", "color-ascii": self = .colouredASCII
        case "ascii", "plain", "none": self = .plainASCII
        default: return nil
        }
    }

    public static func < (a: GraphicsTier, b: GraphicsTier) -> Bool {
        // "Less" means better: earlier in allCases.
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The character mode for this tier, or for the half-block tier drawn in the cells under
    /// a pixel picture.
    public var cellMode: CellPictureMode {
        switch self {
        case .kitty, .sixel, .halfBlockTruecolor: return .halfBlockTruecolor
        case .halfBlock256: return .halfBlock256
        case .colouredASCII: return .colouredASCII
        case .plainASCII: return .plainASCII
        }
    }

    public var usesPixels: Bool { self == .kitty || self == .sixel }
}

import Foundation

/// What the terminal can do, from the environment and from its replies to a query.
public struct TerminalCapabilities: Equatable, Sendable {
    public var kitty = false
    public var sixel = false
    public var truecolor = false
    public var colours256 = false
    public var anyColour = true
    public var multiplexer = false
    public var cellPixels: (width: Int, height: Int)? = nil
    /// XTVERSION's reply, e.g. "kitty(0.35.2)".
    public var terminalName: String? = nil
    /// The terminal answered the query (DA1): what it did not announce, it does not do.
    public var answered = false

    public init() {}

    public static func == (a: Self, b: Self) -> Bool {
        a.kitty == b.kitty && a.sixel == b.sixel && a.truecolor == b.truecolor && a.colours256 == b.colours256
            && a.anyColour == b.anyColour && a.multiplexer == b.multiplexer && a.terminalName == b.terminalName
            && a.answered == b.answered
            && a.cellPixels?.width == b.cellPixels?.width && a.cellPixels?.height == b.cellPixels?.height
    }

    /// Guesses from environment variables alone.
    public static func fromEnvironment(_ env: [String: String]) -> TerminalCapabilities {
        var c = TerminalCapabilities()
        let term = env["TERM"] ?? ""
        let program = (env["TERM_PROGRAM"] ?? "") + " " + (env["LC_TERMINAL"] ?? "")
        c.multiplexer = env["TMUX"] != nil || term.hasPrefix("screen") || term.hasPrefix("tmux")
        if env["KITTY_WINDOW_ID"] != nil || term == "xterm-kitty" || term == "xterm-ghostty" { c.kitty = true }
        if program.contains("WezTerm") { c.kitty = true; c.sixel = true }
        if program.contains("iTerm") { c.sixel = true }
        let colorterm = (env["COLORTERM"] ?? "").lowercased()
        if colorterm.contains("truecolor") || colorterm.contains("24bit") || term.hasSuffix("-direct") || c.kitty {
            c.truecolor = true
        }
        c.colours256 = c.truecolor || term.contains("256color") || term.contains("kitty")
        c.anyColour = !(term == "dumb" || term.isEmpty || env["NO_COLOR"] != nil)
        return c
    }

    /// Adds what the terminal's replies say (the bytes read after the query, up to DA1's
    /// `ESC [ ? … c`).
    public mutating func absorb(reply: [UInt8]) {
        let s = String(decoding: reply, as: UTF8.self)
        if s.contains("\u{1B}_Gi=31;OK") { kitty = true }
        // DA1: ESC [ ? 6 2 ; 4 ; 2 2 c — attribute 4 means sixel.
        if let da1 = s.range(of: "\u{1B}[?", options: .backwards), let end = s[da1.upperBound...].firstIndex(of: "c") {
            answered = true
            let attributes = s[da1.upperBound..<end].split(separator: ";")
            if attributes.contains("4") { sixel = true }
        }
        // XTVERSION: DCS > | name ST
        if let start = s.range(of: "\u{1B}P>|"), let end = s[start.upperBound...].range(of: "\u{1B}\\") {
            terminalName = String(s[start.upperBound..<end.lowerBound])
        }
        // Cell size: ESC [ 6 ; height ; width t
        if let start = s.range(of: "\u{1B}[6;"), let end = s[start.upperBound...].firstIndex(of: "t") {
            let parts = s[start.upperBound..<end].split(separator: ";").compactMap { Int($0) }
            if parts.count == 2, parts[0] > 0, parts[1] > 0 { cellPixels = (parts[1], parts[0]) }
        }
    }

    /// A cell's size from a window size in cells and pixels (xterm: 964×684 px for 120×40
    /// cells → 8×17); nil when the pixel size is unknown (0) or smaller than the cells.
    public static func cellPixels(columns: Int, rows: Int, widthPixels: Int,
                                  heightPixels: Int) -> (width: Int, height: Int)? {
        guard columns > 0, rows > 0, widthPixels >= columns, heightPixels >= rows else { return nil }
        return (widthPixels / columns, heightPixels / rows)
    }

    /// The cell size a pixel picture is drawn for when the terminal says nothing.
    public static let assumedCellPixels = (width: 10, height: 20)

    /// The best tier this terminal supports. Under a multiplexer, pixel protocols fall back
    /// to half-blocks (tmux passes sixel only from 3.4 and small images).
    public var bestTier: GraphicsTier {
        if !multiplexer && kitty { return .kitty }
        if !multiplexer && sixel { return .sixel }
        if truecolor { return .halfBlockTruecolor }
        if colours256 { return .halfBlock256 }
        if anyColour { return .colouredASCII }
        return .plainASCII
    }

    /// The query written to the terminal: kitty, XTVERSION, sixel registers, cell size, then
    /// DA1 (answered by every terminal, so it ends the read).
    public static let query = "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\\u{1B}[>0q\u{1B}[?2;1;0S\u{1B}[16t\u{1B}[c"

    /// Whether `reply` is complete (ends with DA1's reply).
    public static func replyIsComplete(_ reply: [UInt8]) -> Bool {
        let s = String(decoding: reply, as: UTF8.self)
        guard let r = s.range(of: "\u{1B}[?", options: .backwards) else { return false }
        return s[r.upperBound...].contains("c")
    }
}

/// Picks the tier: a flag beats `ZOETROPE_GRAPHICS`, which beats the config, which beats
/// detection.
public func chooseGraphicsTier(flag: String?, environment: [String: String], config: String?,
                               detected: TerminalCapabilities) -> (tier: GraphicsTier, warning: String?) {
    for (source, value) in [("--graphics", flag), ("ZOETROPE_GRAPHICS", environment["ZOETROPE_GRAPHICS"]),
                            ("config graphics", config)] {
        guard let value, !value.isEmpty, value != "auto" else { continue }
        if let tier = GraphicsTier(name: value) { return (tier, unshownWarning(tier, source: source, value: value, detected)) }
        return (detected.bestTier,
                "\(source) = \(value) is not a graphics mode (kitty, sixel, truecolor, 256, ascii-colour, ascii, auto)")
    }
    return (detected.bestTier, nil)
}

/// Issue #20: a forced pixel tier the terminal cannot show drew nothing, and nothing said why.
/// The forced tier is kept (the user may know better than a terminal's answer, e.g. over a
/// connection that swallows the query), but when the terminal answered without announcing it,
/// or a multiplexer sits between, the studio says so and what to use instead.
func unshownWarning(_ tier: GraphicsTier, source: String, value: String, _ detected: TerminalCapabilities) -> String? {
    let name: String, announced: Bool
    switch tier {
    case .kitty: (name, announced) = ("kitty graphics", detected.kitty)
    case .sixel: (name, announced) = ("sixel", detected.sixel)
    default: return nil
    }
    if detected.multiplexer {
        // Passed on by some versions only: worth saying whatever the terminal announced.
    } else if announced || !detected.answered {
        return nil
    }
    let why = detected.multiplexer ? "runs inside tmux or screen, which may not pass \(name) on"
        : "did not announce \(name) when asked"
    return "\(source) = \(value), but this terminal \(why); if no pictures appear, use --graphics "
        + detected.bestTier.rawValue
}
