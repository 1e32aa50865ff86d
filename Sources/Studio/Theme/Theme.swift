import Foundation

/// The parts of the interface a theme colours.
public enum ThemeRole: String, CaseIterable, Sendable {
    case text, muted, border, title, focus, selection, error, warning, success, star, progress, track, status, key
}

/// A colour as a theme file gives it.
public enum ThemeColor: Equatable, Sendable {
    case `default`
    case index(UInt8)
    case rgb(UInt8, UInt8, UInt8)
}

/// How many colours the terminal has, for resolving a theme.
public enum ColourSupport: Sendable {
    case none, palette256, truecolor
}

/// A named set of styles, one per role.
public struct Theme: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var foreground: ThemeColor = .default
        public var background: ThemeColor = .default
        public var attributes: CellAttributes = []
    }
    public var name: String
    public var entries: [ThemeRole: Entry]

    public init(name: String, entries: [ThemeRole: Entry] = [:]) {
        self.name = name
        self.entries = entries
    }

    /// The style of `role` for a terminal with `colours`.
    public func style(_ role: ThemeRole, colours: ColourSupport) -> CellStyle {
        let e = entries[role] ?? Entry()
        func resolve(_ c: ThemeColor) -> TerminalColor {
            switch (c, colours) {
            case (_, .none), (.default, _): return .default
            case (.index(let i), _): return .indexed(i)
            case (.rgb(let r, let g, let b), _): return .indexed(Palette256.nearest(Int(r), Int(g), Int(b)))
            }
        }
        return CellStyle(foreground: resolve(e.foreground), background: resolve(e.background), attributes: e.attributes)
    }
}

/// A theme file that could not be read, naming the file and line.
public struct ThemeError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file) line \(line): \(message)" }
}

/// Reads the theme format described in themes/README.md.
public enum ThemeParser {
    public static func parse(_ text: String, name: String, file: String) throws -> Theme {
        var theme = Theme(name: name)
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ message: String) -> ThemeError { ThemeError(file: file, line: n + 1, message: message) }
            guard let eq = line.firstIndex(of: "=") else {
                throw fail("expected `role.part = value`, got `\(line)`")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            let parts = key.split(separator: ".")
            guard parts.count == 2 else { throw fail("expected `role.part`, got `\(key)`") }
            guard let role = ThemeRole(rawValue: String(parts[0])) else {
                throw fail("unknown role `\(parts[0])` (roles: \(ThemeRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var entry = theme.entries[role] ?? Theme.Entry()
            switch parts[1] {
            case "fg":
                guard let c = parseColour(value) else { throw fail(badColour(value)) }
                entry.foreground = c
            case "bg":
                guard let c = parseColour(value) else { throw fail(badColour(value)) }
                entry.background = c
            case "attrs":
                var attrs: CellAttributes = []
                for word in value.split(separator: " ") {
                    switch word {
                    case "bold": attrs.insert(.bold)
                    case "dim": attrs.insert(.dim)
                    case "reverse": attrs.insert(.reverse)
                    case "underline": attrs.insert(.underline)
                    case "none": break
                    default: throw fail("unknown attribute `\(word)` (bold, dim, reverse, underline, none)")
                    }
                }
                entry.attributes = attrs
            default:
                throw fail("unknown part `\(parts[1])` (fg, bg, attrs)")
            }
            theme.entries[role] = entry
        }
        return theme
    }

    static func badColour(_ value: String) -> String {
        "`\(value)` is not a colour (use #rrggbb, a palette number 0–255, or default)"
    }

    static func parseColour(_ value: String) -> ThemeColor? {
        if value == "default" { return .default }
        if let n = Int(value), (0...255).contains(n) { return .index(UInt8(n)) }
        guard value.hasPrefix("#"), value.count == 7, let v = UInt32(value.dropFirst(), radix: 16) else { return nil }
        return .rgb(UInt8(v >> 16), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF))
    }
}

/// The themes available: built in, then the user's folder (a user theme replaces a built-in
/// one of the same name).
public struct ThemeCatalog: Sendable {
    public private(set) var themes: [Theme]
    /// Problems met while loading (a bad file is skipped, with its file and line).
    public private(set) var warnings: [String] = []

    public init(userFolder: URL?) {
        themes = BuiltinThemes.all.compactMap { try? ThemeParser.parse($0.text, name: $0.name, file: "themes/\($0.name).theme") }
        guard let userFolder,
              let files = try? FileManager.default.contentsOfDirectory(at: userFolder, includingPropertiesForKeys: nil)
        else { return }
        for url in files.sorted(by: { $0.path < $1.path }) where url.pathExtension == "theme" {
            let name = url.deletingPathExtension().lastPathComponent
            do {
                let text = try String(contentsOf: url, encoding: .utf8)
                let theme = try ThemeParser.parse(text, name: name, file: url.path)
                if let i = themes.firstIndex(where: { $0.name == name }) { themes[i] = theme } else { themes.append(theme) }
            } catch {
                warnings.append("\(error); using the dark theme instead")
            }
        }
    }

    public var names: [String] { themes.map(\.name) }

    /// The theme called `name`, or the default (`dark`) with a warning.
    public func theme(named name: String) -> (Theme, String?) {
        if let t = themes.first(where: { $0.name == name }) { return (t, nil) }
        let fallback = themes.first { $0.name == "dark" } ?? Theme(name: "dark")
        return (fallback, "no theme named `\(name)` (have: \(names.joined(separator: ", "))); using dark")
    }
}
