// A run's life as the studio writes it to the real SQLite store: the row `running` (with the
// seed the studio chose) as soon as the job is submitted, then that same row finished with
// its frames, cancelled without frames, or failed with its message; and a row left
// `running` by a process that was killed becomes `interrupted` when the studio opens.
import Foundation
import HistoryCLI
import HistoryStore
import Synchronization
import TestSupport
import XCTest
import Engine
import RunArchive
@testable import Studio

final class RunLifecycleOnStoreTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 10_000)

    /// A data folder in the temp dir, removed when the test ends.
    func makeFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("zoetrope-run-lifecycle-tests", isDirectory: true)
            .appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The studio on a store in a fresh folder, opened as the app opens it.
    func makeStudio() throws -> (StudioHarness, StoreHistory) {
        let folder = try makeFolder()
        let history = try StoreHistory.open(at: folder.appendingPathComponent("data"),
                                            exportFolder: folder.appendingPathComponent("exports"), engineVersion: "test")
        return (StudioHarness(provider: history), history)
    }

    /// Types `prompt` and presses Enter; returns the job and the request the engine got.
    func submit(_ h: StudioHarness, _ prompt: String) async throws -> (JobID, JobRequest) {
        await h.type(prompt)
        await h.press(.enter)
        let job = try XCTUnwrap(h.service.jobIDs.last)
        return (job, try XCTUnwrap(h.service.submitted.last))
    }

    func result(for request: JobRequest) throws -> JobResult {
        let seed = try XCTUnwrap(request.seed)
        let frame = [UInt8](repeating: 120, count: request.width * request.height * 3)
        return JobResult(request: request, seed: seed, frames: Array(repeating: frame, count: request.frames),
                         width: request.width, height: request.height, video: [], timings: [.denoising: 2],
                         peakMemoryBytes: 0)
    }

    func files(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    /// What `zoetrope history show RUN` prints for the store in `directory`.
    func historyShow(_ run: String, in directory: URL) -> (status: Int32, text: String) {
        let out = Mutex("")
        let console = HistoryConsole(out: { text in out.withLock { $0 += text } },
                                     err: { text in out.withLock { $0 += text } },
                                     inputIsTerminal: false, readLine: { nil })
        let status = HistoryCommandRunner(dataDirectory: directory, console: console,
                                          timeZone: TimeZone(identifier: "UTC")!).show(run)
        return (status, out.withLock { $0 })
    }

    func testSubmittedRunIsRunningWithItsSeedThenTheSameRowFinishes() async throws {
        let (h, history) = try makeStudio()
        let store = history.store
        let (job, request) = try await submit(h, "a blue circle growing")

        // Before any engine event: one running row with the seed the engine was given.
        XCTAssertEqual(request.seed, StudioHarness.firstSeed, "the studio chose the seed and submitted it")
        var records = try store.runs()
        XCTAssertEqual(records.count, 1)
        let begun = try XCTUnwrap(records.first)
        XCTAssertEqual(begun.status, .running)
        XCTAssertEqual(begun.settings.seed, request.seed)
        XCTAssertEqual(begun.settings.prompt, "a blue circle growing")
        XCTAssertEqual(RunArchive.request(from: begun.settings), request, "the row holds the request as submitted")
        XCTAssertEqual(h.state.live?.historyID, begun.id, "the job keeps its row's id")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.folderURL(for: begun).path), "no frames yet")
        XCTAssertNotNil(h.line(containing: "seed \(StudioHarness.firstSeed)"), "the seed shows from the start:\n\(h.text)")

        // Steps change nothing in the store; the final event finishes that same row.
        await h.emit(.step(index: 1, count: request.steps, secondsPerStep: 1, etaSeconds: nil), job: job, at: t0)
        XCTAssertEqual(try store.run(id: begun.id)?.status, .running)
        await h.emit(.finished(try result(for: request)), job: job, at: t0 + 1)
        XCTAssertNil(h.state.message.flatMap { $0.kind == .error ? $0.text : nil })
        XCTAssertNotNil(h.line(containing: "seed \(StudioHarness.firstSeed)"), h.text)

        records = try store.runs()
        XCTAssertEqual(records.map(\.id), [begun.id], "no second row")
        let finished = try XCTUnwrap(records.first)
        XCTAssertEqual(finished.status, .finished)
        XCTAssertEqual(finished.settings, begun.settings)
        let names = files(in: store.folderURL(for: finished))
        XCTAssertEqual(names.filter { $0.hasPrefix("frame_") }.count, request.frames, "\(names)")
        XCTAssertTrue(names.contains("run.json") && names.contains("video.apng") && names.contains("thumbnail.png"), "\(names)")
        XCTAssertEqual(h.state.recorded[job], begun.id)
        XCTAssertEqual(files(in: store.directory.appendingPathComponent("staging")), [], "staging is empty")
    }

    func testCancelledRunKeepsSettingsAndSeedButNoFrames() async throws {
        let (h, history) = try makeStudio()
        let store = history.store
        let (job, request) = try await submit(h, "a green triangle spinning")
        // A second job waits in the queue: it has its row too.
        await h.press(.enter)
        let waiting = h.service.jobIDs[1]
        XCTAssertEqual(try store.count(matching: RunFilter(statuses: [.running])), 2)

        // The running one is cancelled after a step and a preview.
        await h.emit(.step(index: 1, count: request.steps, secondsPerStep: 1, etaSeconds: nil), job: job, at: t0)
        await h.emit(.preview(PreviewFrames(step: 1, width: 4, height: 4,
                                            frames: [[UInt8](repeating: 50, count: 48)], isDecoded: false, isNoisy: true)),
                     job: job, at: t0)
        await h.press(.control("x"))
        await h.emit(.cancelled(atStep: 1), job: job, at: t0 + 1)
        // The waiting one is removed from the queue: the engine cancels it before it starts.
        await h.emit(.cancelled(atStep: nil), job: waiting, at: t0 + 2)
        XCTAssertNil(h.state.message.flatMap { $0.kind == .error ? $0.text : nil })

        let records = try store.runs()
        XCTAssertEqual(records.map(\.status), [.cancelled, .cancelled])
        XCTAssertEqual(Set(records.map(\.settings.seed)), [StudioHarness.firstSeed, StudioHarness.firstSeed + 1],
                       "each keeps the seed it was given, never a placeholder")
        for record in records {
            XCTAssertEqual(record.settings.prompt, "a green triangle spinning")
            XCTAssertEqual(record.settings.stepCount, request.steps)
            XCTAssertFalse(FileManager.default.fileExists(atPath: store.folderURL(for: record).path), "no frames")
        }
        XCTAssertEqual(files(in: store.directory.appendingPathComponent("staging")), [], "no half-written frames")
        XCTAssertEqual(files(in: store.directory.appendingPathComponent("runs")), [])

        // `zoetrope history show` names the seed used.
        let cancelled = try XCTUnwrap(records.first { $0.settings.seed == request.seed })
        let (status, text) = historyShow(cancelled.id, in: store.directory)
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("status:   cancelled"), text)
        XCTAssertTrue(text.contains("seed:     \(StudioHarness.firstSeed)\n"), text)
        XCTAssertTrue(text.contains("(no files)"), text)
    }

    func testFailedRunKeepsItsMessageAndSeed() async throws {
        let (h, history) = try makeStudio()
        let store = history.store
        let (job, request) = try await submit(h, "a red square melting")
        await h.emit(.failed(JobFailure(.generation, "out of memory in the VAE")), job: job, at: t0)

        let record = try XCTUnwrap(try store.runs().first)
        XCTAssertEqual(record.status, .failed)
        XCTAssertEqual(record.errorMessage, "out of memory in the VAE")
        XCTAssertEqual(record.settings.seed, request.seed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.folderURL(for: record).path))

        let (status, text) = historyShow(record.id, in: store.directory)
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("status:   failed — out of memory in the VAE"), text)
        XCTAssertTrue(text.contains("seed:     \(StudioHarness.firstSeed)\n"), text)

        // The studio's history detail says why too (issue #20 item 11).
        await h.press(.escape, .character("h"))
        XCTAssertEqual(h.state.mode, .history)
        XCTAssertEqual(h.state.history.current?.failureMessage, "out of memory in the VAE")
        XCTAssertNotNil(h.line(containing: "why       out of memory in the VAE"), h.text)
    }

    /// A failed write at submission does not stop the run; the studio says it is not kept.
    func testRunStillStartsWhenHistoryCannotBeginIt() async throws {
        let folder = try makeFolder()
        let data = folder.appendingPathComponent("data")
        _ = try HistoryStore.open(at: data)
        let readOnly = StoreHistory(store: try HistoryStore.open(at: data, options: HistoryStore.Options(readOnly: true)),
                                    exportFolder: folder, engineVersion: "test")
        let h = StudioHarness(provider: readOnly)
        let (job, request) = try await submit(h, "a yellow star")
        XCTAssertEqual(h.service.submitted.count, 1, "the job runs anyway")
        XCTAssertNil(h.state.live?.historyID)
        XCTAssertEqual(h.state.message?.kind, .error)
        XCTAssertTrue(h.state.message?.text.contains("not kept") ?? false, "\(String(describing: h.state.message))")
        await h.emit(.finished(try result(for: request)), job: job, at: t0)
        XCTAssertFalse(h.effects.contains { if case .endRun = $0 { return true }; return false }, "no row to end")
    }

    /// A real process begins a run and is killed with SIGKILL; the studio's history, opened
    /// afterwards, finds the row interrupted with its seed, and says so.
    func testRunOfAKilledProcessIsInterruptedWhenTheStudioOpens() async throws {
        let folder = try makeFolder()
        let data = folder.appendingPathComponent("data")
        let child = Process()
        child.executableURL = try Self.crasherURL()
        child.arguments = ["hang", data.path]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        let ready = try XCTUnwrap(Self.readLine(startingWith: "ready ", from: output.fileHandleForReading))
        let runID = String(ready.dropFirst("ready ".count))
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()

        let history = try StoreHistory.open(at: data, exportFolder: folder, engineVersion: "test")
        let record = try XCTUnwrap(try history.store.run(id: runID))
        XCTAssertEqual(record.status, .interrupted)
        XCTAssertEqual(record.settings.seed, 1000, "the seed written before generating survives")
        XCTAssertTrue(history.notices.contains { $0.contains("marked interrupted") }, "\(history.notices)")

        // In the studio: listed as interrupted ("!"), with its settings to remix.
        let h = StudioHarness(provider: history)
        await h.press(.escape, .character("h"))
        let entry = try XCTUnwrap(h.state.history.entries.first)
        XCTAssertEqual(entry.id, runID)
        XCTAssertEqual(entry.status, .interrupted)
        XCTAssertEqual(entry.seed, 1000)
        let row = try XCTUnwrap(h.line(containing: "crash test prompt 0"), h.text)
        XCTAssertTrue(row.contains("! "), row)
        // Opening again finds nothing more to do.
        let again = try StoreHistory.open(at: data, exportFolder: folder, engineVersion: "test")
        XCTAssertEqual(again.notices, [])
    }

    // MARK: The crasher child

    /// `zoetrope-store-crasher`, built beside the test bundle by `swift build`.
    static func crasherURL() throws -> URL {
        try BuiltProducts.executable("zoetrope-store-crasher")
    }

    /// Reads until a line starts with `prefix` (nil if the child closes its output first).
    static func readLine(startingWith prefix: String, from handle: FileHandle) -> String? {
        var buffer = ""
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer += String(decoding: chunk, as: UTF8.self)
            if let line = buffer.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
        }
    }
}
