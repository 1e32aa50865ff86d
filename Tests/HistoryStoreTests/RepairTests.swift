// Issue #19: a zero-byte or truncated index showed "0 runs" while the run folders, each with
// its run.json, sat orphaned. `repair` restores their rows, and opening an index that has
// lost every run does it by itself.
import Foundation
import GRDB
import XCTest
@testable import HistoryStore

final class RepairTests: XCTestCase {
    /// Two finished runs (one starred and tagged) and a cancelled one, in a new store.
    func makeHistory(_ directory: URL) throws -> [RunRecord] {
        let store = try HistoryStore.open(at: directory)
        let t0 = Date(timeIntervalSince1970: 1_750_000_000.25)
        let first = try makeFinishedRun(store, sampleSettings(1, prompt: "a red circle «moving» left"), createdAt: t0)
        let second = try makeFinishedRun(store, sampleSettings(2), createdAt: t0.addingTimeInterval(60))
        try store.setStarred(true, forRun: second.id)
        try store.setTags(["keep", "blue"], forRun: second.id)
        let cancelled = try store.beginRun(sampleSettings(3), createdAt: t0.addingTimeInterval(120))
        try store.cancelRun(cancelled.id)
        return try [first.id, second.id].map { try XCTUnwrap(store.run(id: $0)) }
    }

    func assertSameRun(_ restored: RunRecord?, _ original: RunRecord, file: StaticString = #filePath, line: UInt = #line) {
        guard let restored else { return XCTFail("run \(original.id) was not restored", file: file, line: line) }
        XCTAssertEqual(restored.status, original.status, file: file, line: line)
        XCTAssertEqual(restored.isStarred, original.isStarred, file: file, line: line)
        XCTAssertEqual(restored.tags, original.tags, file: file, line: line)
        XCTAssertEqual(restored.engineVersion, original.engineVersion, file: file, line: line)
        XCTAssertEqual(restored.createdAt.timeIntervalSince1970, original.createdAt.timeIntervalSince1970, accuracy: 0.001,
                       file: file, line: line)
        XCTAssertEqual(restored.duration ?? -1, original.duration ?? -2, accuracy: 0.001, file: file, line: line)
        var settings = restored.settings, expected = original.settings
        // The request comes back as the same JSON value (re-serialised compactly).
        let a = try? JSONSerialization.jsonObject(with: Data(settings.requestJSON.utf8)) as? NSDictionary
        let b = try? JSONSerialization.jsonObject(with: Data(expected.requestJSON.utf8)) as? NSDictionary
        XCTAssertEqual(a, b, file: file, line: line)
        settings.requestJSON = ""
        expected.requestJSON = ""
        XCTAssertEqual(settings, expected, file: file, line: line)
    }

    func testAZeroByteIndexIsRebuiltFromTheRunFoldersOnOpen() throws {
        let directory = try makeDataDirectory(self)
        let originals = try makeHistory(directory)
        let index = directory.appendingPathComponent(HistoryStore.indexFileName)
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: index.path + suffix)
        }
        XCTAssertTrue(FileManager.default.createFile(atPath: index.path, contents: Data()))

        let store = try HistoryStore.open(at: directory)
        XCTAssertEqual(store.notices, [.restoredFromRunFolders(count: 2, skipped: 0)])
        XCTAssertEqual(try store.count(), 2, "the cancelled run had no folder, so it cannot come back")
        for original in originals { assertSameRun(try store.run(id: original.id), original) }
        // Opening again finds nothing to do.
        XCTAssertEqual(try HistoryStore.open(at: directory).notices, [])
    }

    func testRepairRestoresOrphanedFoldersOnlyAndSaysWhatItSkipped() throws {
        let directory = try makeDataDirectory(self)
        let originals = try makeHistory(directory)
        let store = try HistoryStore.open(at: directory)
        // The row of one run is lost; one folder's run.json is damaged; one folder has none.
        try store.database.write { db in try db.execute(sql: "DELETE FROM run WHERE id = ?", arguments: [originals[0].id]) }
        let runs = directory.appendingPathComponent("runs")
        let broken = runs.appendingPathComponent("broken-run")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data("{\"format\": \"zoetrope-run-sidecar\", \"version\"".utf8).write(to: broken.appendingPathComponent("run.json"))
        let bare = runs.appendingPathComponent("no-sidecar")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        // A sidecar copied into a folder of another name is not trusted.
        let copy = runs.appendingPathComponent("copied")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: runs.appendingPathComponent(originals[1].id).appendingPathComponent("run.json"),
                                        to: copy.appendingPathComponent("run.json"))

        let report = try store.repair()
        XCTAssertEqual(report.restored, [originals[0].id])
        XCTAssertEqual(report.alreadyIndexed, 1)
        XCTAssertEqual(report.skipped.map(\.folder), ["broken-run", "copied", "no-sidecar"])
        XCTAssertTrue(report.skipped[0].reason.contains("not a run sidecar"), report.skipped[0].reason)
        XCTAssertTrue(report.skipped[1].reason.contains("names run \(originals[1].id)"), report.skipped[1].reason)
        XCTAssertTrue(report.skipped[2].reason.contains("no readable run.json"), report.skipped[2].reason)
        assertSameRun(try store.run(id: originals[0].id), originals[0])
        // Nothing was deleted or moved.
        for name in ["broken-run", "no-sidecar", "copied", originals[0].id, originals[1].id] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: runs.appendingPathComponent(name).path), name)
        }
        let again = try store.repair()
        XCTAssertEqual(again.restored, [])
        XCTAssertEqual(again.alreadyIndexed, 2)
    }
}
