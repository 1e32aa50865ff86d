// List, page, filter, search, star, tag, delete, export and remix over a real SQLite file.
import Foundation
import XCTest
@testable import HistoryStore

final class QueryTests: XCTestCase {
    private let day: TimeInterval = 86_400
    private let start = Date(timeIntervalSince1970: 1_750_000_000)

    /// Ten runs a day apart: even ones on model A, odd on model B; every third starred.
    private func populated() throws -> HistoryStore {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let records = (0..<10).map { n in
            finishedRecord(n, createdAt: start.addingTimeInterval(Double(n) * day),
                           model: n % 2 == 0 ? "model-a" : "model-b",
                           prompt: n == 7 ? "a red balloon drifting over the sea" : nil,
                           starred: n % 3 == 0, tags: n < 2 ? ["early"] : [])
        }
        try store.add(records)
        return store
    }

    func testSearchModeIsFTS5WithDebianSQLite() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        // Debian's libsqlite3 is built with ENABLE_FTS5; a build without it falls back to FTS4 or LIKE.
        XCTAssertEqual(store.searchMode, .fts5)
    }

    func testListIsNewestFirstAndPaged() throws {
        let store = try populated()
        let first = try store.runs(limit: 4)
        let second = try store.runs(limit: 4, offset: 4)
        let third = try store.runs(limit: 4, offset: 8)
        XCTAssertEqual(first.map(\.settings.seed), [1243, 1242, 1241, 1240])
        XCTAssertEqual(second.map(\.settings.seed), [1239, 1238, 1237, 1236])
        XCTAssertEqual(third.map(\.settings.seed), [1235, 1234])
        XCTAssertEqual(try store.count(), 10)
    }

    func testFilters() throws {
        let store = try populated()
        XCTAssertEqual(try store.count(matching: RunFilter(modelID: "model-a")), 5)
        XCTAssertEqual(try store.runs(matching: RunFilter(starredOnly: true)).map(\.settings.seed), [1243, 1240, 1237, 1234])
        let range = RunFilter(createdFrom: start.addingTimeInterval(2 * day), createdBefore: start.addingTimeInterval(5 * day))
        XCTAssertEqual(try store.runs(matching: range).map(\.settings.seed), [1238, 1237, 1236])
        XCTAssertEqual(try store.count(matching: RunFilter(statuses: [.finished])), 10)
        XCTAssertEqual(try store.count(matching: RunFilter(statuses: [.failed, .cancelled])), 0)
        XCTAssertEqual(try store.count(matching: RunFilter(statuses: [])), 0, "an empty status set matches nothing")
        XCTAssertEqual(try store.runs(matching: RunFilter(tag: "early")).map(\.settings.seed), [1235, 1234])
        let combined = RunFilter(modelID: "model-b", starredOnly: true, createdFrom: start.addingTimeInterval(4 * day))
        XCTAssertEqual(try store.runs(matching: combined).map(\.settings.seed), [1243], "n = 9 is odd, starred, late")
    }

    func testFullTextSearch() throws {
        let store = try populated()
        XCTAssertEqual(try store.search("balloon").map(\.settings.seed), [1241])
        XCTAssertEqual(try store.search("BALL").map(\.settings.seed), [1241], "case-insensitive word prefixes")
        XCTAssertEqual(try store.search("red sea").count, 1, "all words must match")
        XCTAssertEqual(try store.search("red square").count, 0)
        XCTAssertEqual(try store.search("blurry").count, 10, "negative prompts are searched too")
        XCTAssertEqual(try store.search("yellow", filter: RunFilter(modelID: "model-a")).count, 5)
        XCTAssertEqual(try store.search("\"unbalanced AND ( NOT").count, 0, "operators in user text are not FTS syntax")
        XCTAssertEqual(try store.search("   ").count, 10, "no words: no text filter")
    }

    func testSearchFollowsPromptEditsAndDeletes() throws {
        let store = try populated()
        let target = try XCTUnwrap(try store.search("balloon").first)
        try store.deleteRun(target.id)
        XCTAssertEqual(try store.search("balloon").count, 0, "the FTS index forgets deleted rows")
        XCTAssertEqual(try store.count(), 9)
    }

    func testStarAndTags() throws {
        let store = try populated()
        let run = try XCTUnwrap(try store.runs(limit: 1).first)
        try store.setStarred(false, forRun: run.id)
        XCTAssertEqual(try store.run(id: run.id)?.isStarred, false)
        try store.setStarred(true, forRun: run.id)
        XCTAssertEqual(try store.run(id: run.id)?.isStarred, true)
        try store.setTags(["keeper", "sea", "keeper"], forRun: run.id)
        XCTAssertEqual(try store.run(id: run.id)?.tags, ["keeper", "sea"])
        XCTAssertEqual(try store.allTags(), ["early", "keeper", "sea"])
        XCTAssertThrowsError(try store.setStarred(true, forRun: "missing")) { error in
            XCTAssertEqual(error as? HistoryStoreError, .runNotFound(id: "missing"))
        }
    }

    func testDeleteRemovesFilesAndRowTogether() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let keep = try makeFinishedRun(store, sampleSettings(1))
        let gone = try makeFinishedRun(store, sampleSettings(2))
        try store.setTags(["x"], forRun: gone.id)
        try store.deleteRun(gone.id)
        XCTAssertNil(try store.run(id: gone.id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.folderURL(for: gone).path))
        XCTAssertEqual(try store.allTags(), [], "tags go with the row (ON DELETE CASCADE)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.folderURL(for: keep).path))
        XCTAssertEqual(try store.runs().map(\.id), [keep.id])
    }

    func testDeleteOfLiveRunningRunIsRefused() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let run = try store.beginRun(sampleSettings(1))
        XCTAssertThrowsError(try store.deleteRun(run.id))
        try store.cancelRun(run.id)
        XCTAssertNoThrow(try store.deleteRun(run.id))
    }

    func testExportCopiesFolder() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let run = try makeFinishedRun(store, sampleSettings(1), frames: 3)
        let destination = try makeDataDirectory(self).appendingPathComponent("exported")
        try store.exportRun(run.id, to: destination)
        let names = try FileManager.default.contentsOfDirectory(atPath: destination.path).sorted()
        XCTAssertEqual(names, ["frame-0000.png", "frame-0001.png", "frame-0002.png", "run.json"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.folderURL(for: run).path), "export copies, not moves")
        XCTAssertThrowsError(try store.exportRun(run.id, to: destination)) { error in
            XCTAssertEqual(error as? HistoryStoreError, .destinationExists(path: destination.path))
        }
    }

    func testExportOfMissingFolderSaysSo() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let run = try makeFinishedRun(store, sampleSettings(1))
        try FileManager.default.removeItem(at: store.folderURL(for: run))
        let destination = try makeDataDirectory(self).appendingPathComponent("out")
        XCTAssertThrowsError(try store.exportRun(run.id, to: destination)) { error in
            XCTAssertEqual(error as? HistoryStoreError,
                           .missingRunFolder(id: run.id, path: store.folderURL(for: run).path))
            XCTAssertTrue("\(error)".contains("settings are still in the history"))
        }
        // The row and its settings are still there for remix, and delete still works.
        XCTAssertEqual(try store.settings(ofRun: run.id), sampleSettings(1))
        XCTAssertNoThrow(try store.deleteRun(run.id))
    }

    func testSettingsForRemix() throws {
        let store = try populated()
        let run = try XCTUnwrap(try store.search("balloon").first)
        let settings = try store.settings(ofRun: run.id)
        XCTAssertEqual(settings.prompt, "a red balloon drifting over the sea")
        XCTAssertEqual(settings.requestJSON, #"{"model":"model-b","steps":20,"guidance":5.0,"n":7}"#,
                       "the request comes back byte for byte")
        XCTAssertThrowsError(try store.settings(ofRun: "nope"))
    }
}
