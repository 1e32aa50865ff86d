import Foundation
import Engine

/// How to start the studio.
public struct StudioOptions: Sendable {
    /// `--graphics`: kitty, sixel, truecolor, 256, ascii-colour, ascii or auto.
    public var graphics: String?
    /// `--theme`: a theme name.
    public var theme: String?
    /// `--model`: the compose screen's model at start (a bundled id or a model folder); nil
    /// takes `$ZOETROPE_MODEL`, else the bundled model.
    public var model: String?
    /// The generation engine; nil starts an `Engine` whose loader says the model is not
    /// available yet.
    public var service: GenerationService?
    /// The history store; nil keeps history in memory for this session.
    public var history: HistoryProviding?
    public var environment: [String: String]
    /// Ask the terminal about graphics before starting (300 ms at most).
    public var queryTerminal: Bool
    /// Messages to show once the studio is up (e.g. the history store opened read-only).
    public var warnings: [String]

    public init(graphics: String? = nil, theme: String? = nil, model: String? = nil, service: GenerationService? = nil,
                history: HistoryProviding? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                queryTerminal: Bool = true, warnings: [String] = []) {
        self.graphics = graphics
        self.theme = theme
        self.model = model
        self.service = service
        self.history = history
        self.environment = environment
        self.queryTerminal = queryTerminal
        self.warnings = warnings
    }
}

/// The ncurses studio.
public enum Studio {
    /// The environment variable naming the studio's starting model.
    public static let modelVariable = "ZOETROPE_MODEL"

    /// Whether cells with RGB colours are written as 24-bit escapes rather than quantised to
    /// the 256-colour palette: when the terminal says it can, and whenever the tier asked for
    /// (`--graphics truecolor`, or kitty / sixel with their half-block contact sheets) draws
    /// true colour — a choice the user made should not depend on `COLORTERM` being passed on
    /// (tmux, ssh and sudo often drop it).
    public static func writesTruecolor(tier: GraphicsTier, detected: TerminalCapabilities) -> Bool {
        detected.truecolor || tier.cellMode == .halfBlockTruecolor
    }

    /// The model the compose screen starts with: the flag, else `$ZOETROPE_MODEL`, else the
    /// bundled model. Empty values count as unset. A path (anything with a `/`) is made
    /// absolute, so history records a folder that still resolves from another directory.
    public static func initialModel(flag: String?, environment: [String: String],
                                    currentDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        for candidate in [flag, environment[modelVariable]] {
            guard let value = candidate?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { continue }
            guard value.contains("/") else { return value }
            let expanded = (value as NSString).expandingTildeInPath
            let absolute = expanded.hasPrefix("/") ? expanded : (currentDirectory as NSString).appendingPathComponent(expanded)
            return (absolute as NSString).standardizingPath
        }
        return JobRequest.bundledModelID
    }

    /// Runs the studio until the user quits. The terminal is restored on every exit path.
    public static func run(_ options: StudioOptions) async throws {
        guard isatty(0) != 0, isatty(1) != 0 else { throw StudioError.notATerminal }
        let env = options.environment
        let config = StudioConfig.load(environment: env)
        var capabilities = TerminalCapabilities.fromEnvironment(env)
        // A dumb terminal would print the query's escapes as text.
        let term = env["TERM"] ?? ""
        if options.queryTerminal, term != "dumb", !term.isEmpty {
            capabilities.absorb(reply: queryTerminal(timeoutMilliseconds: 300))
        }
        // Cell size: the terminal's answer to CSI 16t, else the kernel's window size in pixels,
        // else an assumption that is said out loud (issue #20: xterm does not answer 16t by
        // default, and 10×20 cells made sixel pictures run past the screen's bottom edge).
        if capabilities.cellPixels == nil { capabilities.cellPixels = windowCellPixels() }
        let (tier, tierWarning) = chooseGraphicsTier(flag: options.graphics, environment: env,
                                                     config: config.graphics, detected: capabilities)
        var cellWarning: String?
        if tier == .sixel, capabilities.cellPixels == nil {
            let assumed = TerminalCapabilities.assumedCellPixels
            cellWarning = "The terminal did not say its cell size in pixels; sixel pictures assume "
                + "\(assumed.width)×\(assumed.height)-pixel cells and may not fit their pane."
        }
        let themes = ThemeCatalog(userFolder: StudioConfig.configFolder(environment: env).appendingPathComponent("themes"))
        let (theme, themeWarning) = themes.theme(named: options.theme ?? config.theme ?? "dark")
        let service = options.service
            ?? EngineGenerationService(engine: Engine(loader: UnavailableModelLoader()))
        let history = options.history ?? InMemoryHistory()
        let warnings = options.warnings + config.warnings + themes.warnings + [tierWarning, themeWarning, cellWarning].compactMap { $0 }
        let app = StudioApp(performer: EffectPerformer(service: service, history: history), themes: themes,
                            theme: theme.name, tier: tier, truecolor: writesTruecolor(tier: tier, detected: capabilities),
                            colours: capabilities.anyColour ? .palette256 : .none, warnings: warnings,
                            model: initialModel(flag: options.model, environment: env),
                            cellPixels: capabilities.cellPixels)
        try await app.run()
    }
}
