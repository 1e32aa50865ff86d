import Foundation

/// The studio's settings from `$XDG_CONFIG_HOME/zoetrope/config.toml` (default
/// `~/.config/zoetrope/config.toml`): simple `key = value` lines, quotes optional.
/// Keys: `theme`, `graphics`. Unknown keys are reported, not fatal.
public struct StudioConfig: Equatable, Sendable {
    public var theme: String?
    public var graphics: String?
    public var warnings: [String] = []

    public init(theme: String? = nil, graphics: String? = nil) {
        self.theme = theme
        self.graphics = graphics
    }

    /// The folder for configuration (and user themes).
    public static func configFolder(environment env: [String: String]) -> URL {
        if let xdg = env["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("zoetrope")
        }
        let home = env["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".config/zoetrope")
    }

    public static func load(environment env: [String: String]) -> StudioConfig {
        let url = configFolder(environment: env).appendingPathComponent("config.toml")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return StudioConfig() }
        return parse(text, file: url.path)
    }

    public static func parse(_ text: String, file: String) -> StudioConfig {
        var config = StudioConfig()
        var section = ""
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if line.isEmpty { continue }
            if line.hasPrefix("[") { section = line; continue }
            guard let eq = line.firstIndex(of: "=") else {
                config.warnings.append("\(file) line \(n + 1): expected `key = value`")
                continue
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard section.isEmpty || section == "[studio]" else { continue }
            switch key {
            case "theme": config.theme = value
            case "graphics": config.graphics = value
            default: config.warnings.append("\(file) line \(n + 1): unknown key `\(key)` (theme, graphics)")
            }
        }
        return config
    }
}
