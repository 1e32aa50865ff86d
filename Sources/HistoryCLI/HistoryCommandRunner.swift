// What `zoetrope history …` does, apart from parsing arguments: open the store at the data
// folder, carry out one command, print for people or as JSON, and turn every failure into
// a message naming the file or run plus a non-zero exit code. Callable from tests.
import Foundation
import HistoryStore
import Media

/// Carries out the `zoetrope history` subcommands against the store in `dataDirectory`.
///
/// Each command returns the process exit code: 0 on success, 1 on any failure (with one
/// message on standard error). The store is opened once per command; opening marks runs
/// left `running` by dead processes as `interrupted`, and the store's notices are printed
/// to standard error.
public struct HistoryCommandRunner: Sendable {
    public var dataDirectory: URL
    /// Print JSON on standard output instead of text.
    public var json: Bool
    public var console: HistoryConsole
    /// How to open the store (tests inject a failing file system or read-only).
    public var storeOptions: HistoryStore.Options
    /// For dates typed and shown.
    public var timeZone: TimeZone

    public init(dataDirectory: URL, json: Bool = false, console: HistoryConsole = .standard,
                storeOptions: HistoryStore.Options = HistoryStore.Options(), timeZone: TimeZone = .current) {
        self.dataDirectory = dataDirectory
        self.json = json
        // Prompts and messages come from the store and from PNGs anyone can write: their
        // control characters are shown, never sent to the terminal (issue #19).
        self.console = console.showingControlCharacters()
        self.storeOptions = storeOptions
        self.timeZone = timeZone
    }

    // MARK: Commands

    /// `list`: runs newest first, one page.
    public func list(_ options: HistoryListOptions) -> Int32 {
        listing(options, text: nil)
    }

    /// `search TEXT`: runs whose prompt or negative prompt has every word (as word prefixes).
    public func search(_ text: String, _ options: HistoryListOptions) -> Int32 {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            return fail(HistoryCommandError.badOption("TEXT", text, valid: "at least one word to search for"))
        }
        return listing(options, text: trimmed)
    }

    /// `show RUN`: every field of one run and the files of its folder.
    public func show(_ run: String) -> Int32 {
        withStore(creating: false) { store in
            let record = try resolve(run, in: store)
            let folder = store.folderURL(for: record)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
                .filter { !$0.hasPrefix(".") }.sorted()
            if json {
                var object = RunFormatting.json(record, folder: folder)
                object["files"] = files
                console.out(RunFormatting.jsonText(object))
            } else {
                console.out(RunFormatting.page(record, folder: folder, files: files, timeZone: timeZone))
            }
        }
    }

    /// `star RUN` / `unstar RUN`.
    public func setStarred(_ run: String, _ starred: Bool) -> Int32 {
        withStore(creating: false) { store in
            let id = try resolve(run, in: store).id
            try store.setStarred(starred, forRun: id)
            let record = try store.run(id: id) ?? { throw HistoryStoreError.runNotFound(id: id) }()
            if json {
                console.out(RunFormatting.jsonText(RunFormatting.json(record, folder: store.folderURL(for: record))))
            } else {
                console.out("\(starred ? "Starred" : "Unstarred") run \(id) (\(RunFormatting.oneLine(record.settings.prompt, limit: 50))).\n")
            }
        }
    }

    /// `export RUN --to DIR`: copies the run's folder. If `DIR` exists (a folder), the run goes
    /// into `DIR/<run id>`; otherwise `DIR` itself becomes the copy. Never overwrites.
    public func export(_ run: String, to path: String) -> Int32 {
        withStore(creating: false) { store in
            let record = try resolve(run, in: store)
            let target = URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL
            var isFolder: ObjCBool = false
            let destination: URL
            if FileManager.default.fileExists(atPath: target.path, isDirectory: &isFolder) {
                guard isFolder.boolValue else { throw HistoryStoreError.destinationExists(path: target.path) }
                destination = target.appendingPathComponent(record.id, isDirectory: true)
            } else {
                destination = target
            }
            try store.exportRun(record.id, to: destination)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? [])
                .filter { !$0.hasPrefix(".") }.sorted()
            if json {
                console.out(RunFormatting.jsonText(["id": record.id, "path": destination.path, "files": files] as [String: Any]))
            } else {
                console.out("Exported run \(record.id) to \(destination.path) (\(files.count) files).\n")
            }
        }
    }

    /// `rm RUN`: deletes the run's row and folder, after asking (unless `yes`). Without a
    /// terminal to ask on, `yes` is required.
    public func remove(_ run: String, yes: Bool) -> Int32 {
        withStore(creating: false) { store in
            let record = try resolve(run, in: store)
            if !yes {
                guard console.inputIsTerminal else { throw HistoryCommandError.confirmationNeeded(id: record.id) }
                console.err("Delete run \(record.id) (“\(RunFormatting.oneLine(record.settings.prompt, limit: 50))”, "
                            + "\(record.status.rawValue)) and its files? [y/N] ")
                let answer = console.readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                guard answer == "y" || answer == "yes" else { throw HistoryCommandError.declined(id: record.id) }
            }
            try store.deleteRun(record.id)
            if json {
                console.out(RunFormatting.jsonText(["deleted": record.id]))
            } else {
                console.out("Deleted run \(record.id).\n")
            }
        }
    }

    /// `import-settings PNG`: the settings in a PNG's `zoetrope` text chunk. Needs no store.
    public func importSettings(fromPNG path: String) -> Int32 {
        run {
            let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
            // The text chunks alone: decoding the picture only to read its settings let a
            // 44-byte file with a huge declared size take gigabytes (issue #19).
            let texts = try PNGMetadataReader.texts(contentsOf: url)
            let settings: RunSettings
            do {
                settings = try ZoetropeMetadata.settings(fromTextChunks: texts.map { ($0.keyword, $0.text) })
            } catch let error as HistoryStoreError {
                throw HistoryCommandError.noSettings(path: url.path, reason: error.description)
            }
            if json {
                console.out(RunFormatting.jsonText(RunFormatting.settingsJSON(settings)))
            } else {
                console.out(RunFormatting.settingsText(settings))
            }
        }
    }

    /// `repair`: restores the rows of run folders the index has lost, from their `run.json`.
    /// Rows already there are not changed; folders that cannot be read are listed, not touched.
    public func repair() -> Int32 {
        withStore(creating: true) { store in
            let report = try store.repair()
            if json {
                console.out(RunFormatting.jsonText([
                    "restored": report.restored, "already_indexed": report.alreadyIndexed,
                    "skipped": report.skipped.map { ["folder": $0.folder, "reason": $0.reason] },
                ]))
                return
            }
            var text = "Restored \(report.restored.count) run\(report.restored.count == 1 ? "" : "s") from their "
                + "folders; \(report.alreadyIndexed) already in the index.\n"
            for id in report.restored { text += "  restored \(id)\n" }
            for skipped in report.skipped { text += "  skipped runs/\(skipped.folder): \(skipped.reason)\n" }
            console.out(text)
        }
    }

    // MARK: Helpers

    private func listing(_ options: HistoryListOptions, text: String?) -> Int32 {
        if !hasIndex {
            // Nothing generated with this folder yet: an empty list, not an error.
            return run {
                _ = try options.filter(text: text, timeZone: timeZone)
                console.out(json ? "[]\n" : "No runs (there is no history in \(dataDirectory.path) yet).\n")
            }
        }
        return withStore(creating: false) { store in
            let filter = try options.filter(text: text, timeZone: timeZone)
            let records = try store.runs(matching: filter, limit: options.limit, offset: options.offset)
            if json {
                console.out(RunFormatting.jsonText(records.map { RunFormatting.json($0, folder: store.folderURL(for: $0)) }))
                return
            }
            let total = try store.count(matching: filter)
            if records.isEmpty {
                console.out(total == 0 ? "No runs\(text == nil ? "" : " match “\(text!)”").\n"
                                       : "No runs on this page (\(total) in all; try a smaller --offset).\n")
                return
            }
            console.out(RunFormatting.table(records, timeZone: timeZone))
            let first = options.offset + 1, last = options.offset + records.count
            var footer = "\(first)–\(last) of \(total) run\(total == 1 ? "" : "s")"
            if last < total { footer += "; more with --offset \(last)" }
            console.out(footer + ".\n")
        }
    }

    private var hasIndex: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent(HistoryStore.indexFileName).path)
    }

    /// The run named by a full id or an unambiguous start of one.
    func resolve(_ name: String, in store: HistoryStore) throws -> RunRecord {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw HistoryCommandError.badOption("RUN", name, valid: "a run id or its first characters") }
        if let record = try store.run(id: trimmed) { return record }
        let matches = try store.runIDs(startingWith: trimmed, limit: 6)
        switch matches.count {
        case 0: throw HistoryStoreError.runNotFound(id: trimmed)
        case 1: return try store.run(id: matches[0]) ?? { throw HistoryStoreError.runNotFound(id: trimmed) }()
        default: throw HistoryCommandError.ambiguousRun(prefix: trimmed, matches: matches)
        }
    }

    /// Opens the store and runs `body`. Without an index and `creating` false, nothing is
    /// created: commands that need runs report that there are none.
    private func withStore(creating: Bool, _ body: (HistoryStore) throws -> Void) -> Int32 {
        run {
            if !creating && !hasIndex {
                throw HistoryCommandError.noHistory(path: dataDirectory.path)
            }
            let store = try HistoryStore.open(at: dataDirectory, options: storeOptions)
            for notice in store.notices {
                console.err("note: \(notice)\n")
                if case .movedAsideUnreadableIndex = notice,
                   !store.notices.contains(where: { if case .restoredFromRunFolders = $0 { return true }; return false }) {
                    // The history the user meant is not what we opened (and its runs could not
                    // be restored from their folders); say so and stop.
                    throw HistoryCommandError.unreadableIndex(notice: notice.description)
                }
            }
            try body(store)
        }
    }

    /// Runs `body`, printing any error as one message; returns the exit code.
    private func run(_ body: () throws -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch {
            return fail(error)
        }
    }

    private func fail(_ error: Error) -> Int32 {
        let message = "\(error)"
        console.err("error: \(message)\n")
        return 1
    }
}

/// Failures of the history commands themselves (the store's own are `HistoryStoreError`).
public enum HistoryCommandError: Error, CustomStringConvertible, Equatable {
    case badOption(String, String, valid: String)
    case ambiguousRun(prefix: String, matches: [String])
    case noHistory(path: String)
    case unreadableIndex(notice: String)
    case confirmationNeeded(id: String)
    case declined(id: String)
    case noSettings(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badOption(option, value, valid):
            return "\(option) \"\(value)\" is not valid; expected \(valid)."
        case let .ambiguousRun(prefix, matches):
            return "\"\(prefix)\" names more than one run (\(matches.prefix(5).joined(separator: ", "))"
                + (matches.count > 5 ? ", …" : "") + "); give more characters of the id."
        case let .noHistory(path):
            return "There is no history in \(path) yet (no \(HistoryStore.indexFileName)). "
                + "Choose another folder with --data-dir or ZOETROPE_DATA_DIR."
        case let .unreadableIndex(notice):
            return notice + " Run the command again to use the new history, or restore the old file."
        case let .confirmationNeeded(id):
            return "Not deleting run \(id): add --yes to delete without asking (standard input is not a terminal)."
        case let .declined(id):
            return "Run \(id) was kept."
        case let .noSettings(path, reason):
            return "\(path) carries no Zoetrope settings: \(reason)"
        }
    }
}
