// `zoetrope history …`: argument parsing only; `HistoryCommandRunner` (HistoryCLI) does the work.
import ArgumentParser
import Foundation
import HistoryCLI
import HistoryStore

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Browse, search, star, export and delete past runs.",
        discussion: """
            Runs are named by their id or its first characters (as `list` shows them).
            The history lives in --data-dir, else $\(StoreLocation.environmentVariable), else \
            $XDG_DATA_HOME/zoetrope, else ~/.local/share/zoetrope.
            """,
        subcommands: [List.self, Show.self, Star.self, Unstar.self, Search.self, Export.self, Remove.self,
                      ImportSettings.self, Repair.self],
        defaultSubcommand: List.self)
}

/// Options every history subcommand takes.
struct HistoryGlobalOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The data folder holding history.sqlite and the run folders.", valueName: "dir"))
    var dataDir: String?

    @Flag(help: "Print JSON (for scripts) instead of text.")
    var json = false

    func runner() -> HistoryCommandRunner {
        HistoryCommandRunner(dataDirectory: StoreLocation.dataDirectory(flag: dataDir), json: json)
    }
}

/// Paging and filters of `list` and `search`.
struct HistoryFilterOptions: ParsableArguments {
    @Option(help: "Show at most this many runs.") var limit = 20
    @Option(help: "Skip this many runs (for the next page).") var offset = 0
    @Option(help: ArgumentHelp("Only runs in this status: running, finished, failed, cancelled, interrupted "
                               + "(repeat or separate with commas).", valueName: "status"))
    var status: [String] = []
    @Option(help: "Only runs of this model id.") var model: String?
    @Flag(help: "Only starred runs.") var starred = false
    @Option(help: ArgumentHelp("Only runs created on or after this date (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z]).",
                               valueName: "date"))
    var since: String?
    @Option(help: ArgumentHelp("Only runs created before this moment; a date alone includes that day.",
                               valueName: "date"))
    var until: String?

    var options: HistoryListOptions {
        HistoryListOptions(limit: limit, offset: offset, statuses: status, model: model, starredOnly: starred,
                           since: since, until: until)
    }
}

/// Turns a runner's exit code into the process's.
private func finish(_ code: Int32) throws {
    if code != 0 { throw ExitCode(code) }
}

extension HistoryCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @OptionGroup var global: HistoryGlobalOptions
        @OptionGroup var filter: HistoryFilterOptions
        func run() throws { try finish(global.runner().list(filter.options)) }
    }

    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List runs whose prompt or negative prompt contains every word (as word starts).")
        @Argument(help: "The words to look for.") var text: [String]
        @OptionGroup var global: HistoryGlobalOptions
        @OptionGroup var filter: HistoryFilterOptions
        func run() throws { try finish(global.runner().search(text.joined(separator: " "), filter.options)) }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every setting of a run and its files.")
        @Argument(help: ArgumentHelp("The run's id or its first characters.", valueName: "run")) var runID: String
        @OptionGroup var global: HistoryGlobalOptions
        func run() throws { try finish(global.runner().show(runID)) }
    }

    struct Star: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Star a run (a favourite).")
        @Argument(help: ArgumentHelp("The run's id or its first characters.", valueName: "run")) var runID: String
        @OptionGroup var global: HistoryGlobalOptions
        func run() throws { try finish(global.runner().setStarred(runID, true)) }
    }

    struct Unstar: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a run's star.")
        @Argument(help: ArgumentHelp("The run's id or its first characters.", valueName: "run")) var runID: String
        @OptionGroup var global: HistoryGlobalOptions
        func run() throws { try finish(global.runner().setStarred(runID, false)) }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a run's folder (frames with metadata, APNG, thumbnail, run.json).",
            discussion: "If DIR is an existing folder the run goes into DIR/<run id>; otherwise DIR is created. "
                + "Nothing is overwritten.")
        @Argument(help: ArgumentHelp("The run's id or its first characters.", valueName: "run")) var runID: String
        @Option(help: ArgumentHelp("Where to put the copy.", valueName: "dir")) var to: String
        @OptionGroup var global: HistoryGlobalOptions
        func run() throws { try finish(global.runner().export(runID, to: to)) }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Delete a run and its files (asks first unless --yes).")
        @Argument(help: ArgumentHelp("The run's id or its first characters.", valueName: "run")) var runID: String
        @Flag(name: [.short, .long], help: "Delete without asking (needed when standard input is not a terminal).")
        var yes = false
        @OptionGroup var global: HistoryGlobalOptions
        func run() throws { try finish(global.runner().remove(runID, yes: yes)) }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore runs the index has lost from their folders' run.json.",
            discussion: "Rows already in the index are not changed and no file is moved or deleted; folders "
                + "that cannot be read are listed. Opening a history whose index has no runs while run "
                + "folders exist does this by itself.")
        @OptionGroup var global: HistoryGlobalOptions
        func run() throws { try finish(global.runner().repair()) }
    }

    struct ImportSettings: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-settings", abstract: "Print the settings carried in a PNG's Zoetrope metadata.")
        @Argument(help: "A frame PNG (or APNG) written by Zoetrope.") var png: String
        @OptionGroup var global: HistoryGlobalOptions
        func run() throws { try finish(global.runner().importSettings(fromPNG: png)) }
    }
}
