// Colours for terminals with 8 or 16 colours (issue #20 finding 10: on an 8-colour xterm with a
// white background the dark theme's titles and text vanished). Themes are drawn in the 256-colour
// palette; with fewer colours each style is mapped to the nearest basic colour, every cell gets
// the theme's own base background instead of the terminal's (which may be white or black), and a
// foreground too close to its background is replaced by the nearest colour that reads on it.

import Foundation

/// The 8 / 16 basic terminal colours, and the mapping of the studio's styles onto them.
enum BasicColours {
    /// xterm's RGB for colours 0–15 (the usual defaults; terminals may differ a little).
    static let rgb: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255),
        (255, 255, 255),
    ]

    /// The least contrast a foreground keeps with its background: WCAG's ratio for large or
    /// bold text (3:1), since every role that must be read is drawn in a terminal's text size.
    static let minimumContrast = 3.0

    /// The basic colour (of the first `count`, 8 or 16) nearest `colour`.
    static func nearest(_ colour: (Int, Int, Int), count: Int) -> Int {
        (0..<min(count, rgb.count)).min { distance(rgb[$0], colour) < distance(rgb[$1], colour) } ?? 0
    }

    /// The base background for `theme` with few colours: black (0) for a dark theme, white (7)
    /// for a light one, judged by whether its text colour is light.
    static func base(of theme: Theme) -> Int {
        let text = theme.style(.text, colours: .palette256).foreground
        guard case .indexed(let index) = text else { return 0 }
        return luminance(Palette256.rgb(of: index)) > 0.4 ? 0 : 7
    }

    /// The basic colour numbers of `style`'s foreground and background: the terminal default
    /// background becomes `base`, and a foreground that would not read on its background is
    /// replaced by the nearest colour that does.
    static func pair(foreground: TerminalColor, background: TerminalColor, base: Int, count: Int) -> (Int, Int) {
        let bg = number(background, count: count) ?? base
        let wanted = rgb(of: foreground) ?? rgb[base == 0 ? 7 : 0]
        var fg = nearest(wanted, count: count)
        if contrast(rgb[fg], rgb[bg]) < minimumContrast {
            // A grey that reads (a dark border or track stays neutral instead of turning red).
            let greys = [0, 8, 7, 15].filter { $0 < count && contrast(rgb[$0], rgb[bg]) >= minimumContrast }
            fg = greys.min { distance(rgb[$0], wanted) < distance(rgb[$1], wanted) } ?? (luminance(rgb[bg]) > 0.4 ? 0 : 15)
        }
        return (fg, bg)
    }

    static func number(_ colour: TerminalColor, count: Int) -> Int? {
        rgb(of: colour).map { nearest($0, count: count) }
    }

    static func rgb(of colour: TerminalColor) -> (Int, Int, Int)? {
        switch colour {
        case .default: return nil
        case .indexed(let i): return Palette256.rgb(of: i)
        case .rgb(let r, let g, let b): return (Int(r), Int(g), Int(b))
        }
    }

    /// WCAG 2 contrast ratio of two sRGB colours, 1 to 21.
    static func contrast(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Double {
        let (la, lb) = (luminance(a), luminance(b))
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }

    /// WCAG 2 relative luminance of an sRGB colour.
    static func luminance(_ c: (Int, Int, Int)) -> Double {
        func linear(_ v: Int) -> Double {
            let s = Double(v) / 255
            return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(c.0) + 0.7152 * linear(c.1) + 0.0722 * linear(c.2)
    }

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let (dr, dg, db) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
        return dr * dr + dg * dg + db * db
    }
}
