import Foundation
import GRDB
import XCTest
import HistoryCLI
import HistoryStore
import Media

/// The `zoetrope history` commands through `HistoryCommandRunner`, on real SQLite files.
final class HistoryCommandTests: XCTestCase {
    /// Five runs over five days: ids chosen so prefixes can be tested.
    func populated() throws -> URL {
        let folder = try makeFolder(self)
        let store = try HistoryStore.open(at: folder)
        try store.add([
            record("AAAA1111-0000-0000-0000-000000000001", "a yellow square moving up", day: "2025-03-01"),
            record("AAAA2222-0000-0000-0000-000000000002", "a red ball bouncing", day: "2025-03-02", status: .failed),
            record("BBBB3333-0000-0000-0000-000000000003", "a blue circle", day: "2025-03-03", model: "wan-1.3b",
                   starred: true),
            record("CCCC4444-0000-0000-0000-000000000004", "yellow stars twinkling", day: "2025-03-04",
                   status: .cancelled),
            record("DDDD5555-0000-0000-0000-000000000005", "a green snake", day: "2025-03-05"),
        ])
        return folder
    }

    func ids(_ json: String) throws -> [String] {
        try XCTUnwrap(parseJSON(json) as? [[String: Any]]).map { $0["id"] as! String }
    }

    func testListNewestFirstWithPagingAndFilters() throws {
        let folder = try populated()
        var c = CapturedConsole()
        XCTAssertEqual(runner(folder, c).list(HistoryListOptions(limit: 2)), 0)
        let lines = c.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, c.out)
        XCTAssertTrue(lines[0].hasPrefix("ID "), c.out)
        XCTAssertTrue(lines[1].hasPrefix("DDDD5555  2025-03-05 12:00  finished"), c.out)
        XCTAssertTrue(lines[2].hasPrefix("CCCC4444"), c.out)
        XCTAssertEqual(lines[3], "1–2 of 5 runs; more with --offset 2.")

        func listed(_ options: HistoryListOptions) throws -> [String] {
            let c = CapturedConsole()
            XCTAssertEqual(runner(folder, c, json: true).list(options), 0, c.err)
            return try ids(c.out).map { String($0.prefix(4)) }
        }
        XCTAssertEqual(try listed(HistoryListOptions(limit: 2, offset: 2)), ["BBBB", "AAAA"])
        XCTAssertEqual(try listed(HistoryListOptions(statuses: ["failed,cancelled"])), ["CCCC", "AAAA"])
        XCTAssertEqual(try listed(HistoryListOptions(statuses: ["failed", "CANCELLED"])), ["CCCC", "AAAA"])
        XCTAssertEqual(try listed(HistoryListOptions(model: "wan-1.3b")), ["BBBB"])
        XCTAssertEqual(try listed(HistoryListOptions(starredOnly: true)), ["BBBB"])
        XCTAssertEqual(try listed(HistoryListOptions(since: "2025-03-02", until: "2025-03-04")), ["CCCC", "BBBB", "AAAA"])
        XCTAssertEqual(try listed(HistoryListOptions(until: "2025-03-02T12:00")), ["AAAA"])
        XCTAssertEqual(try listed(HistoryListOptions(since: "2025-03-05T11:00:00Z")), ["DDDD"])

        // Bad values name the option, the value and what is valid; exit code 1.
        for (options, words) in [(HistoryListOptions(statuses: ["bogus"]), ["--status", "bogus", "interrupted"]),
                                 (HistoryListOptions(since: "last tuesday"), ["--since", "last tuesday", "YYYY-MM-DD"]),
                                 (HistoryListOptions(limit: 0), ["--limit", "0"]),
                                 (HistoryListOptions(since: "2025-03-05", until: "2025-03-01"), ["--since/--until"])] {
            c = CapturedConsole()
            XCTAssertEqual(runner(folder, c).list(options), 1)
            XCTAssertEqual(c.out, "")
            for word in words { XCTAssertTrue(c.err.contains(word), "\(word) not in \(c.err)") }
        }
    }

    func testSearchUsesThePromptIndex() throws {
        let folder = try populated()
        let c = CapturedConsole()
        XCTAssertEqual(runner(folder, c, json: true).search("yell", HistoryListOptions()), 0, c.err)
        XCTAssertEqual(try ids(c.out).map { String($0.prefix(4)) }, ["CCCC", "AAAA"])
        let filtered = CapturedConsole()
        XCTAssertEqual(runner(folder, filtered).search("yellow", HistoryListOptions(statuses: ["finished"])), 0)
        XCTAssertTrue(filtered.out.contains("AAAA1111"), filtered.out)
        XCTAssertFalse(filtered.out.contains("CCCC4444"), filtered.out)
        let none = CapturedConsole()
        XCTAssertEqual(runner(folder, none).search("purple", HistoryListOptions()), 0)
        XCTAssertEqual(none.out, "No runs match “purple”.\n")
    }

    func testShowStarUnstarByIdOrPrefix() throws {
        let folder = try populated()
        var c = CapturedConsole()
        XCTAssertEqual(runner(folder, c).show("bbbb"), 0, c.err)
        XCTAssertTrue(c.out.contains("id:       BBBB3333-0000-0000-0000-000000000003"), c.out)
        XCTAssertTrue(c.out.contains("prompt:   a blue circle"), c.out)
        XCTAssertTrue(c.out.contains("seed:     1234"), c.out)
        XCTAssertTrue(c.out.contains("starred:  yes"), c.out)

        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c, json: true).star("AAAA1111"), 0, c.err)
        var object = try XCTUnwrap(parseJSON(c.out) as? [String: Any])
        XCTAssertEqual(object["starred"] as? Bool, true)
        XCTAssertEqual((object["request"] as? [String: Any])?["seed"] as? Int, 1234, "the request is embedded as JSON")

        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c, json: true).list(HistoryListOptions(starredOnly: true)), 0)
        XCTAssertEqual(try ids(c.out).map { String($0.prefix(4)) }, ["BBBB", "AAAA"])

        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c).setStarred("BBBB3333-0000-0000-0000-000000000003", false), 0)
        XCTAssertEqual(c.out, "Unstarred run BBBB3333-0000-0000-0000-000000000003 (a blue circle).\n")
        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c, json: true).show("BBBB"), 0)
        object = try XCTUnwrap(parseJSON(c.out) as? [String: Any])
        XCTAssertEqual(object["starred"] as? Bool, false)
        XCTAssertEqual(object["files"] as? [String], [])

        // Ambiguous and unknown runs: a message naming them, exit code 1.
        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c).show("AAAA"), 1)
        XCTAssertTrue(c.err.contains("\"AAAA\" names more than one run (AAAA1111-"), c.err)
        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c).star("nope"), 1)
        XCTAssertEqual(c.err, "error: No run with id nope is in the history.\n")
        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c).show("%"), 1, "LIKE wildcards are not wildcards")
    }

    func testExportThenImportSettingsFromAFrame() throws {
        let folder = try makeFolder(self)
        let store = try HistoryStore.open(at: folder.appendingPathComponent("data"))
        let id = try addFinishedRun(store, prompt: "a yellow square", seed: 42)
        let data = folder.appendingPathComponent("data")

        // A new folder becomes the copy; an existing folder receives <id>/; nothing is overwritten.
        let target = folder.appendingPathComponent("out")
        var c = CapturedConsole()
        XCTAssertEqual(runner(data, c).export(String(id.prefix(8)), to: target.path), 0, c.err)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target.path).sorted(),
                       ["frame_0000.png", "frame_0001.png", "run.json"])
        XCTAssertEqual(c.out, "Exported run \(id) to \(target.path) (3 files).\n")
        c = CapturedConsole()
        XCTAssertEqual(runner(data, c, json: true).export(id, to: target.path), 0, c.err)
        let object = try XCTUnwrap(parseJSON(c.out) as? [String: Any])
        XCTAssertEqual(object["path"] as? String, target.appendingPathComponent(id).path)
        c = CapturedConsole()
        XCTAssertEqual(runner(data, c).export(id, to: target.path), 1)
        XCTAssertTrue(c.err.contains("already exists"), c.err)

        // The frame's metadata loads back.
        let frame = target.appendingPathComponent("frame_0001.png").path
        c = CapturedConsole()
        XCTAssertEqual(runner(data, c).importSettings(fromPNG: frame), 0, c.err)
        XCTAssertTrue(c.out.contains("prompt:   a yellow square"), c.out)
        XCTAssertTrue(c.out.contains("seed:     42"), c.out)
        c = CapturedConsole()
        XCTAssertEqual(runner(data, c, json: true).importSettings(fromPNG: frame), 0)
        let imported = try XCTUnwrap(parseJSON(c.out) as? [String: Any])
        XCTAssertEqual(imported["seed"] as? Int, 42)
        XCTAssertEqual((imported["request"] as? [String: Any])?["prompt"] as? String, "a yellow square")

        // A PNG without our chunk, a file that is no PNG, a missing file: each named, exit 1.
        let plain = folder.appendingPathComponent("plain.png")
        try PNG.write(RGBImage(width: 2, height: 2), to: plain, texts: [PNGText(keyword: "parameters", text: "x")])
        let text = folder.appendingPathComponent("notes.png")
        try Data("hello".utf8).write(to: text)
        for path in [plain.path, text.path, folder.appendingPathComponent("missing.png").path] {
            c = CapturedConsole()
            XCTAssertEqual(runner(data, c).importSettings(fromPNG: path), 1)
            XCTAssertTrue(c.err.hasPrefix("error: ") && c.err.contains(path), c.err)
        }
        XCTAssertTrue(c.err.contains("error: "), c.err)

        // A cancelled run has no folder to export.
        let cancelled = try store.beginRun(settings("stopped"), id: "cancelled-run")
        try store.cancelRun(cancelled.id)
        c = CapturedConsole()
        XCTAssertEqual(runner(data, c).export("cancelled-run", to: folder.appendingPathComponent("c").path), 1)
        XCTAssertTrue(c.err.contains("The folder of run cancelled-run is missing"), c.err)
    }

    /// Issue #19: import-settings decoded every pixel to read a text chunk (a 44-byte file
    /// declaring a huge image took 2.1 GB) and printed the prompt's escape sequences raw.
    func testImportSettingsReadsOnlyTextAndShowsControlCharacters() throws {
        let folder = try makeFolder(self)
        var hostile = settings("\u{1B}[2J\u{1B}]0;owned\u{07}red circle")
        hostile.requestJSON = "{}"
        let chunk = ZoetropeMetadata.textChunk(for: hostile, runID: nil)
        let ihdr: [UInt8] = [0x00, 0x98, 0x96, 0x80, 0x00, 0x98, 0x96, 0x80, 8, 2, 0, 0, 0]  // 10⁷ × 10⁷ RGB
        let bytes = PNGChunk.signature + PNGChunk(type: "IHDR", data: ihdr).encoded
            + PNGChunk(type: "iTXt", data: Array(chunk.keyword.utf8) + [0, 0, 0, 0, 0] + Array(chunk.text.utf8)).encoded
            + PNGChunk(type: "IEND", data: []).encoded
        let png = folder.appendingPathComponent("bomb.png")
        try Data(bytes).write(to: png)

        var c = CapturedConsole()
        XCTAssertEqual(runner(folder, c).importSettings(fromPNG: png.path), 0, c.err)
        XCTAssertFalse(c.out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, c.out)
        XCTAssertTrue(c.out.contains("prompt:   \\u001B[2J\\u001B]0;owned\\u0007red circle"), c.out)
        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c, json: true).importSettings(fromPNG: png.path), 0, c.err)
        let object = try XCTUnwrap(parseJSON(c.out) as? [String: Any])
        XCTAssertEqual(object["prompt"] as? String, hostile.prompt, "JSON keeps the exact prompt, escaped")
    }

    /// Issue #19: an index that lost its rows showed "0 runs" beside the run folders.
    func testRepairRestoresRunsTheIndexLost() throws {
        let folder = try makeFolder(self)
        let data = folder.appendingPathComponent("data")
        let store = try HistoryStore.open(at: data)
        let lost = try addFinishedRun(store, prompt: "a lost green triangle", seed: 5)
        let kept = try addFinishedRun(store, prompt: "a kept red circle", seed: 6)
        let queue = try DatabaseQueue(path: data.appendingPathComponent(HistoryStore.indexFileName).path)
        try queue.write { try $0.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [lost]) }
        try queue.close()

        var c = CapturedConsole()
        XCTAssertEqual(runner(data, c).repair(), 0, c.err)
        XCTAssertEqual(c.out, "Restored 1 run from their folders; 1 already in the index.\n  restored \(lost)\n")
        c = CapturedConsole()
        XCTAssertEqual(runner(data, c).show(String(lost.prefix(8))), 0, c.err)
        XCTAssertTrue(c.out.contains("a lost green triangle"), c.out)
        c = CapturedConsole()
        XCTAssertEqual(runner(data, c, json: true).repair(), 0, c.err)
        let object = try XCTUnwrap(parseJSON(c.out) as? [String: Any])
        XCTAssertEqual(object["restored"] as? [String], [])
        XCTAssertEqual(object["already_indexed"] as? Int, 2)
        _ = kept
    }

    func testRemoveAsksOrNeedsYes() throws {
        let folder = try makeFolder(self)
        let store = try HistoryStore.open(at: folder)
        let id = try addFinishedRun(store, prompt: "to delete")
        let runFolder = store.folderURL(for: try XCTUnwrap(store.run(id: id)))

        // Not a terminal and no --yes: refused.
        var c = CapturedConsole(isTerminal: false)
        XCTAssertEqual(runner(folder, c).remove(id, yes: false), 1)
        XCTAssertTrue(c.err.contains("add --yes"), c.err)
        // Asked, answered no: kept.
        c = CapturedConsole(isTerminal: true, answers: ["n"])
        XCTAssertEqual(runner(folder, c).remove(id, yes: false), 1)
        XCTAssertTrue(c.err.contains("[y/N]") && c.err.contains("was kept"), c.err)
        XCTAssertNotNil(try store.run(id: id))
        // Asked, answered yes: gone, files too.
        c = CapturedConsole(isTerminal: true, answers: ["y"])
        XCTAssertEqual(runner(folder, c).remove(String(id.prefix(8)), yes: false), 0, c.err)
        XCTAssertEqual(c.out, "Deleted run \(id).\n")
        XCTAssertNil(try store.run(id: id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: runFolder.path))

        let second = try addFinishedRun(store, prompt: "also to delete")
        c = CapturedConsole(isTerminal: false)
        XCTAssertEqual(runner(folder, c, json: true).remove(second, yes: true), 0, c.err)
        XCTAssertEqual(try XCTUnwrap(parseJSON(c.out) as? [String: String]), ["deleted": second])
    }

    func testMissingForeignCorruptAndReadOnlyStores() throws {
        // No history yet: list is empty (and creates nothing); show says there is none.
        let empty = try makeFolder(self).appendingPathComponent("never-used")
        var c = CapturedConsole()
        XCTAssertEqual(runner(empty, c, json: true).list(HistoryListOptions()), 0)
        XCTAssertEqual(c.out, "[]\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: empty.path))
        c = CapturedConsole()
        XCTAssertEqual(runner(empty, c).show("abc"), 1)
        XCTAssertTrue(c.err.contains("There is no history in \(empty.path)"), c.err)

        // Not a database: named, kept aside, exit 1.
        let garbage = try makeFolder(self)
        try Data("not sqlite at all, just text".utf8).write(to: garbage.appendingPathComponent("history.sqlite"))
        c = CapturedConsole()
        XCTAssertEqual(runner(garbage, c).list(HistoryListOptions()), 1)
        XCTAssertTrue(c.err.contains(garbage.appendingPathComponent("history.sqlite").path), c.err)
        XCTAssertTrue(c.err.contains("not a SQLite database") && c.err.contains("unreadable-"), c.err)
        XCTAssertEqual(c.out, "")

        // Someone else's database under our name: the same.
        let foreign = try makeFolder(self)
        try makeForeignDatabase(at: foreign.appendingPathComponent("history.sqlite"))
        c = CapturedConsole()
        XCTAssertEqual(runner(foreign, c).list(HistoryListOptions()), 1)
        XCTAssertTrue(c.err.contains("a SQLite database of something else"), c.err)

        // Read-only (a folder that cannot be written): reading works, changing names the file.
        let folder = try populated()
        let readOnly = HistoryStore.Options(fileSystem: ReadOnlyFileSystem())
        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c, options: readOnly).list(HistoryListOptions()), 0)
        XCTAssertTrue(c.err.contains("note: History opened read-only"), c.err)
        XCTAssertTrue(c.out.contains("DDDD5555"), c.out)
        c = CapturedConsole()
        XCTAssertEqual(runner(folder, c, options: readOnly).star("DDDD"), 1)
        XCTAssertTrue(c.err.contains("error: The history at \(folder.appendingPathComponent("history.sqlite").path) is open read-only"), c.err)
    }

    func testRunsOfDeadProcessesAreMarkedInterruptedOnOpen() throws {
        let folder = try makeFolder(self)
        // A `running` row with no live owner, as a killed process leaves it.
        try HistoryStore.open(at: folder).add([record("EEEE6666-0000-0000-0000-000000000006", "killed midway",
                                                      day: "2025-03-06", status: .running)])
        let c = CapturedConsole()
        XCTAssertEqual(runner(folder, c).list(HistoryListOptions()), 0)
        XCTAssertTrue(c.err.contains("note: 1 run(s) left running by a process that ended were marked interrupted."), c.err)
        XCTAssertTrue(c.out.contains("EEEE6666  2025-03-06 12:00  interrupted"), c.out)
    }
}

extension HistoryCommandRunner {
    func star(_ run: String) -> Int32 { setStarred(run, true) }
}

/// The local file system as seen in a folder that cannot be written (tests run as root,
/// where permissions do not stop writes).
struct ReadOnlyFileSystem: StoreFileSystem {
    let base = LocalFileSystem()
    func createDirectory(at url: URL) throws { throw HistoryStoreError.notWritable(path: url.path, reason: "Read-only file system") }
    func write(_ data: Data, to url: URL) throws { throw HistoryStoreError.notWritable(path: url.path, reason: "Read-only file system") }
    func move(_ source: URL, to destination: URL) throws { throw HistoryStoreError.notWritable(path: source.path, reason: "Read-only file system") }
    func remove(_ url: URL) throws { throw HistoryStoreError.notWritable(path: url.path, reason: "Read-only file system") }
    func copyTree(_ source: URL, to destination: URL) throws { try base.copyTree(source, to: destination) }
    func exists(_ url: URL) -> Bool { base.exists(url) }
    func canWrite(inDirectory url: URL) -> Bool { false }
    func contents(ofDirectory url: URL) -> [String] { base.contents(ofDirectory: url) }
}

/// A SQLite file of another program (a recipe book).
func makeForeignDatabase(at url: URL) throws {
    let queue = try DatabaseQueue(path: url.path)
    try queue.write { try $0.execute(sql: "CREATE TABLE recipe (name TEXT NOT NULL)") }
    try queue.close()
}
