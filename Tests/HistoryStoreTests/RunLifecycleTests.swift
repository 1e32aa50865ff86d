// A run's life: begin (row before frames), write to staging, finish (rename then commit),
// fail, cancel; and what is on disk at each point.
import Foundation
import XCTest
@testable import HistoryStore

final class RunLifecycleTests: XCTestCase {
    func testBeginWritesRunningRowBeforeAnyFrame() throws {
        let dir = try makeDataDirectory(self)
        let store = try HistoryStore.open(at: dir)
        let settings = sampleSettings(1, seed: .max)
        let run = try store.beginRun(settings, tags: ["b", "a", "a", " "])

        // A second connection (as after a crash) already sees the seed and settings.
        let other = try HistoryStore.open(at: dir, options: .init(readOnly: true))
        let seen = try XCTUnwrap(try other.run(id: run.id))
        XCTAssertEqual(seen.status, .running)
        XCTAssertEqual(seen.settings, settings)
        XCTAssertEqual(seen.settings.seed, UInt64.max, "UInt64 seeds above Int64.max survive the INTEGER column")
        XCTAssertEqual(seen.tags, ["a", "b"])
        XCTAssertNil(seen.finishedAt)
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.stagingURL(run.id).path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.folderURL(for: run).path))
    }

    func testFinishMovesFilesIntoPlaceAndWritesSidecar() throws {
        let dir = try makeDataDirectory(self)
        let store = try HistoryStore.open(at: dir)
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let run = try store.beginRun(sampleSettings(2), createdAt: created)
        try store.writeFile(named: "frame-0000.png", data: Data([1, 2, 3]), forRun: run.id)
        try store.writeFile(named: "preview.apng", forRun: run.id) { url in
            try Data([9, 9]).write(to: url)
        }
        let done = try store.finishRun(run.id, engineVersion: "0.1", timings: ["denoise": 2],
                                       finishedAt: created.addingTimeInterval(5))
        XCTAssertEqual(done.status, .finished)
        XCTAssertEqual(done.duration ?? -1, 5, accuracy: 1e-6, "REAL seconds keep microseconds at 2023 epochs")

        let folder = store.folderURL(for: done)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("frame-0000.png")), Data([1, 2, 3]))
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("preview.apng")), Data([9, 9]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.stagingURL(run.id).path), "staging is gone after the rename")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary files are left behind")

        let sidecarData = try Data(contentsOf: folder.appendingPathComponent("run.json"))
        let sidecar = try XCTUnwrap(try JSONSerialization.jsonObject(with: sidecarData) as? [String: Any])
        XCTAssertEqual(sidecar["id"] as? String, run.id)
        XCTAssertEqual(sidecar["engine_version"] as? String, "0.1")
        XCTAssertEqual((sidecar["seed"] as? NSNumber)?.uint64Value, 1236)
        XCTAssertEqual(sidecar["files"] as? [String], ["frame-0000.png", "preview.apng"])
        XCTAssertEqual((sidecar["request"] as? [String: Any])?["n"] as? Int, 2, "the request is embedded as JSON")
        XCTAssertEqual((sidecar["timings"] as? [String: Any])?["denoise"] as? Double, 2)

        let stored = try XCTUnwrap(try store.run(id: run.id))
        XCTAssertEqual(stored, done)
        XCTAssertThrowsError(try store.writeFile(named: "late.png", data: Data([0]), forRun: run.id)) { error in
            XCTAssertEqual(error as? HistoryStoreError, .wrongStatus(id: run.id, status: .finished, expected: [.running]))
        }
    }

    func testCancelKeepsSettingsAndNoFrames() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let run = try store.beginRun(sampleSettings(3))
        try store.writeFile(named: "frame-0000.png", data: Data([1]), forRun: run.id)
        try store.cancelRun(run.id)
        let stored = try XCTUnwrap(try store.run(id: run.id))
        XCTAssertEqual(stored.status, .cancelled)
        XCTAssertEqual(stored.settings, sampleSettings(3))
        XCTAssertNotNil(stored.finishedAt)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.stagingURL(run.id).path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.folderURL(for: stored).path))
        XCTAssertThrowsError(try store.cancelRun(run.id), "a cancelled run cannot be cancelled again")
    }

    func testFailRecordsMessage() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let run = try store.beginRun(sampleSettings(4))
        try store.failRun(run.id, message: "out of memory in the VAE")
        let stored = try XCTUnwrap(try store.run(id: run.id))
        XCTAssertEqual(stored.status, .failed)
        XCTAssertEqual(stored.errorMessage, "out of memory in the VAE")
        XCTAssertThrowsError(try store.finishRun(run.id, engineVersion: "x"))
    }

    func testFileNamesAreChecked() throws {
        let store = try HistoryStore.open(at: try makeDataDirectory(self))
        let run = try store.beginRun(sampleSettings(5))
        for bad in ["", "../escape.png", ".hidden", "a/b.png", "run.json"] {
            XCTAssertThrowsError(try store.writeFile(named: bad, data: Data([1]), forRun: run.id)) { error in
                XCTAssertEqual(error as? HistoryStoreError, .invalidFileName(bad))
            }
        }
        XCTAssertThrowsError(try store.writeFile(named: "f.png", data: Data(), forRun: "no-such-run")) { error in
            XCTAssertEqual(error as? HistoryStoreError, .runNotFound(id: "no-such-run"))
        }
    }

    func testOwnRunningRunIsNotInterruptedByReopen() throws {
        let dir = try makeDataDirectory(self)
        let store = try HistoryStore.open(at: dir)
        let run = try store.beginRun(sampleSettings(6))
        // Same process opens again (e.g. a second window): its own run is alive.
        let again = try HistoryStore.open(at: dir)
        XCTAssertEqual(try again.run(id: run.id)?.status, .running)
        XCTAssertFalse(again.notices.contains { if case .markedInterrupted = $0 { return true } else { return false } })
    }
}
