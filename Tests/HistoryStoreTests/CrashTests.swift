// Real processes: a child killed with SIGKILL between writing frames and committing its row,
// and a child whose file-size limit (RLIMIT_FSIZE) makes every write fail like a full disk.
import Foundation
import GRDB
import TestSupport
import XCTest
@testable import HistoryStore

final class CrashTests: XCTestCase {
    /// The helper executable, built beside the test bundle by `swift build` / `swift test`.
    private func crasherURL() throws -> URL {
        try BuiltProducts.executable("zoetrope-store-crasher")
    }

    /// Starts the crasher and returns it with a reader of its standard output.
    private func launch(_ arguments: [String]) throws -> (Process, FileHandle) {
        let process = Process()
        process.executableURL = try crasherURL()
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        return (process, output.fileHandleForReading)
    }

    /// Reads lines until one starts with `prefix` (or the child closes its output).
    private func readLine(startingWith prefix: String, from handle: FileHandle) -> String? {
        var buffer = ""
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer += String(decoding: chunk, as: UTF8.self)
            if let line = buffer.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
        }
    }

    func testKill9BetweenFramesAndCommitLeavesInterruptedRun() throws {
        let dir = try makeDataDirectory(self)
        let kept: RunRecord
        do {
            let store = try HistoryStore.open(at: dir)
            kept = try makeFinishedRun(store, sampleSettings(1))
        }
        let (child, output) = try launch(["hang", dir.path])
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        let ready = try XCTUnwrap(readLine(startingWith: "ready ", from: output), "the child never said ready")
        let runID = String(ready.dropFirst("ready ".count))

        // While the child lives, another process must not steal its run.
        let watcher = try HistoryStore.open(at: dir)
        XCTAssertEqual(try watcher.run(id: runID)?.status, .running, "a live owner (pid + start marker) keeps its run")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: watcher.stagingURL(runID).path).count, 3)

        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)

        let store = try HistoryStore.open(at: dir)
        let run = try XCTUnwrap(try store.run(id: runID))
        XCTAssertEqual(run.status, .interrupted)
        XCTAssertEqual(run.settings.seed, 1000, "the seed the child wrote before generating survives")
        XCTAssertTrue(run.errorMessage?.contains("pid \(child.processIdentifier)") ?? false, "\(String(describing: run.errorMessage))")
        XCTAssertTrue(store.notices.contains(.markedInterrupted(ids: [runID])), "\(store.notices)")
        XCTAssertTrue(store.notices.contains(.removedStaleStaging(ids: [runID])), "\(store.notices)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.stagingURL(runID).path), "half-written frames are cleared")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.folderURL(for: run).path), "no half run in runs/")
        XCTAssertEqual(try store.run(id: kept.id), kept)
        XCTAssertEqual(try store.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }, "ok")
        // Opening again changes nothing more.
        XCTAssertEqual(try HistoryStore.open(at: dir).notices, [])
    }

    func testFileSizeLimitFailsWritesWithoutLosingStoredRuns() throws {
        let dir = try makeDataDirectory(self)
        let kept: RunRecord
        do {
            let store = try HistoryStore.open(at: dir)
            kept = try makeFinishedRun(store, sampleSettings(1))
        }
        // 256 KiB: larger than a fresh index (a few 4 KiB pages), small enough that the
        // child's write-ahead log reaches it after some runs.
        let (child, output) = try launch(["fill", dir.path, "262144"])
        let line = readLine(startingWith: "", from: output) ?? "(no output)"
        child.waitUntilExit()
        print("fill child: \(line)")
        XCTAssertEqual(child.terminationStatus, 0, line)
        XCTAssertTrue(line.hasPrefix("failed after "), line)

        let store = try HistoryStore.open(at: dir)
        XCTAssertEqual(try store.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }, "ok")
        XCTAssertEqual(try store.run(id: kept.id), kept)
        XCTAssertEqual(try store.count(matching: RunFilter(statuses: [.running])), 0, "no run is left running")
        let finished = try store.runs(matching: RunFilter(statuses: [.finished]), limit: 100_000)
        XCTAssertGreaterThan(finished.count, 1, "the child finished some runs before the limit")
        for run in finished {
            let folder = store.folderURL(for: run)
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("run.json").path), run.id)
        }
    }
}
