// Crashes at the other points of a run's life, simulated in-process by leaving the disk as
// a killed process would (the real kill -9 is in CrashTests).
import Foundation
import GRDB
import XCTest
@testable import HistoryStore

final class RecoveryTests: XCTestCase {
    /// Makes a run's owner look dead, as after the owning process was killed.
    private func orphan(_ id: String, in store: HistoryStore) throws {
        try store.write { db in
            try db.execute(sql: "UPDATE run SET owner_pid = NULL, owner_token = NULL WHERE id = ?", arguments: [id])
        }
    }

    func testCrashAfterRenameBeforeCommit() throws {
        let dir = try makeDataDirectory(self)
        let store = try HistoryStore.open(at: dir)
        let run = try store.beginRun(sampleSettings(1))
        try store.writeFile(named: "frame-0000.png", data: Data([1]), forRun: run.id)
        // finishRun's rename happened, its commit did not.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("runs"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: store.stagingURL(run.id), to: store.folderURL(for: run))
        try orphan(run.id, in: store)

        let reopened = try HistoryStore.open(at: dir)
        let stored = try XCTUnwrap(try reopened.run(id: run.id))
        XCTAssertEqual(stored.status, .interrupted)
        XCTAssertTrue(FileManager.default.fileExists(atPath: reopened.folderURL(for: stored).path),
                      "the complete folder is kept; the row says interrupted")
        try reopened.deleteRun(run.id)
        XCTAssertFalse(FileManager.default.fileExists(atPath: reopened.folderURL(for: stored).path))
    }

    func testCrashDuringDeleteRestoresFolder() throws {
        let dir = try makeDataDirectory(self)
        let store = try HistoryStore.open(at: dir)
        let run = try makeFinishedRun(store, sampleSettings(1))
        // deleteRun's first step (rename into trash/) happened, the row delete did not.
        let trash = dir.appendingPathComponent("trash", isDirectory: true)
        try FileManager.default.createDirectory(at: trash, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: store.folderURL(for: run), to: trash.appendingPathComponent(run.id))

        let reopened = try HistoryStore.open(at: dir)
        XCTAssertEqual(try reopened.run(id: run.id), run)
        XCTAssertTrue(FileManager.default.fileExists(atPath: reopened.folderURL(for: run).appendingPathComponent("run.json").path),
                      "the folder went back where the row says it is")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: trash.path), [])
    }

    func testOrphanStagingWithoutRowIsCleared() throws {
        let dir = try makeDataDirectory(self)
        let stray = dir.appendingPathComponent("staging/not-a-run", isDirectory: true)
        try FileManager.default.createDirectory(at: stray, withIntermediateDirectories: true)
        let store = try HistoryStore.open(at: dir)
        XCTAssertTrue(store.notices.contains(.removedStaleStaging(ids: ["not-a-run"])), "\(store.notices)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stray.path))
    }
}
