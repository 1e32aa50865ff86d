import ArgumentParser
import Studio

@main
struct Zoetrope: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoetrope",
        abstract: "Text-to-video generation in the terminal.",
        version: "0.1.0",
        subcommands: [StudioCommand.self, GenerateCommand.self, ModelsCommand.self, HistoryCommand.self],
        defaultSubcommand: StudioCommand.self)
}

struct StudioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "studio", abstract: "Open the ncurses studio (the default).")

    @Option(help: "How to show pictures: kitty, sixel, truecolor, 256, ascii-colour, ascii or auto (default: detect; also ZOETROPE_GRAPHICS).")
    var graphics: String?

    @Option(help: "Theme name (dark, light, high-contrast, monochrome, or one in ~/.config/zoetrope/themes).")
    var theme: String?

    func run() async throws {
        try await Studio.run(StudioOptions(graphics: graphics, theme: theme))
    }
}

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate a video from a prompt.")
    func run() async throws { throw ValidationError("generation is not built yet") }
}

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List and inspect models.")
    func run() async throws { throw ValidationError("model listing is not built yet") }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Browse past runs.")
    func run() async throws { throw ValidationError("history is not built yet") }
}
