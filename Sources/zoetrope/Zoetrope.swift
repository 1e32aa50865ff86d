import ArgumentParser
import Engine
import Foundation
import GenerateCLI
import HistoryStore
import RunArchive
import Studio

@main
struct Zoetrope: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoetrope",
        abstract: "Text-to-video generation in the terminal.",
        version: RunArchive.engineVersion,
        subcommands: [StudioCommand.self, GenerateCommand.self, ModelsCommand.self, HistoryCommand.self],
        defaultSubcommand: StudioCommand.self)
}

struct StudioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "studio", abstract: "Open the ncurses studio (the default).")

    @Option(help: "How to show pictures: kitty, sixel, truecolor, 256, ascii-colour, ascii or auto (default: detect; also ZOETROPE_GRAPHICS).")
    var graphics: String?

    @Option(help: "Theme name (dark, light, high-contrast, monochrome, or one in ~/.config/zoetrope/themes).")
    var theme: String?

    @Option(help: ArgumentHelp(
        "The model the compose screen starts with: a bundled id or a diffusers model folder (default: $ZOETROPE_MODEL, else \(JobRequest.bundledModelID)).",
        valueName: "id-or-path"))
    var model: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The data folder for history (default: $ZOETROPE_DATA_DIR, $XDG_DATA_HOME/zoetrope or ~/.local/share/zoetrope).",
        valueName: "dir"))
    var dataDir: String?

    @Option(name: .customLong("export-dir"), help: ArgumentHelp(
        "Where exported runs go (default: the current folder).", valueName: "dir"))
    var exportDir: String?

    func run() async throws {
        let (history, warnings) = openHistory()
        let engine = Engine(loader: PipelineLoader())
        try await Studio.run(StudioOptions(graphics: graphics, theme: theme, model: model,
                                           service: EngineGenerationService(engine: engine),
                                           history: history, warnings: warnings))
    }

    /// The history store at the data folder, with its notices; if it cannot be opened at all
    /// the studio still opens, keeping history in memory, and says so.
    func openHistory() -> (HistoryProviding?, [String]) {
        let directory = StoreLocation.dataDirectory(flag: dataDir)
        let exports = URL(fileURLWithPath: (exportDir.map { ($0 as NSString).expandingTildeInPath })
                          ?? FileManager.default.currentDirectoryPath, isDirectory: true)
        do {
            let history = try StoreHistory.open(at: directory, exportFolder: exports,
                                                engineVersion: Zoetrope.configuration.version)
            return (history, history.notices)
        } catch {
            return (nil, ["History is kept in memory for this session only: \(error)"])
        }
    }
}
