import XCTest
import Engine
@testable import Studio
import RunArchive

/// Issue #19, data loss 3 and 4: the studio said "finished" before the run was saved, so a
/// kill in that moment, or a full disk, lost a run the screen called finished. Now
/// "finished" appears only once the history has the run, and a run that could not be saved
/// says so in a dialog that stays until a key acknowledges it.
final class UnsavedRunTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 10_000)

    func result(for request: JobRequest, seed: UInt64) -> JobResult {
        let frame = [UInt8](repeating: 90, count: request.width * request.height * 3)
        return JobResult(request: request.withSeed(seed), seed: seed,
                         frames: Array(repeating: frame, count: request.frames), width: request.width,
                         height: request.height, video: [], timings: [:], peakMemoryBytes: 0)
    }

    func testFinishedIsSaidOnlyOnceTheRunIsRecorded() {
        var state = StudioState(now: t0)
        let job = JobID()
        let request = JobRequest(prompt: "a red square", steps: 2, seed: 3)
        _ = StudioReducer.reduce(&state, .jobSubmitted(job, request, at: t0, historyID: "42"))
        _ = StudioReducer.reduce(&state, .engine(TimedEvent(time: t0 + 2, job: job,
                                                            event: .finished(result(for: request, seed: 3)))))
        XCTAssertEqual(state.live?.phase, "saving")
        let saving = state.message?.text ?? ""
        XCTAssertFalse(saving.contains("finished"), saving)
        XCTAssertTrue(saving.contains("saving"), saving)

        let entry = HistoryEntry(id: "42", date: t0, status: .finished, request: request, durationSeconds: 2)
        _ = StudioReducer.reduce(&state, .historyRecorded(entry, job: job))
        XCTAssertEqual(state.live?.phase, "finished")
        XCTAssertEqual(state.message?.text, "finished in 2.0 s · seed 3 · saved")
        XCTAssertNil(state.overlay)
    }

    func testARunTheDiskCannotTakeIsReportedUntilAcknowledged() async throws {
        let history = UnwritableHistory(failing: .finish)
        let h = StudioHarness(provider: history)
        await h.type("a blue circle")
        await h.press(.enter)
        let job = try XCTUnwrap(h.service.jobIDs.first)
        let request = h.service.submitted[0]
        await h.emit(.finished(result(for: request, seed: request.seed ?? 0)), job: job, at: t0 + 1)

        XCTAssertEqual(h.state.overlay, .runNotSaved(UnwritableHistory.diskFull))
        XCTAssertNotNil(h.line(containing: "The run finished but is not in history"), h.text)
        // The whole reason is on the screen, wrapped inside the box rather than cut at its edge.
        let words = UnwritableHistory.diskFull.split(separator: " ")
        let screen = h.text.replacingOccurrences(of: "│", with: " ")
        for word in words { XCTAssertTrue(screen.contains(word), "'\(word)' missing:\n\(h.text)") }
        XCTAssertNil(h.line(containing: "finished in"), "never 'finished in' for a run that is not saved:\n\(h.text)")

        // Ticks and other events do not take it away; a key does, and the status line still says so.
        await h.send(.tick(t0 + 5))
        XCTAssertEqual(h.state.overlay, .runNotSaved(UnwritableHistory.diskFull))
        await h.press(.character("x"))
        XCTAssertNil(h.state.overlay)
        XCTAssertEqual(h.state.compose.prompt.text, "a blue circle", "the acknowledging key is not typed")
        XCTAssertNotNil(h.line(containing: "finished, but not saved"), h.text)
        XCTAssertEqual(h.state.live?.phase, "finished, not saved")
    }

    func testARunWhoseRowCouldNotBeBegunSaysSoWhenItFinishes() async throws {
        let h = StudioHarness(provider: UnwritableHistory(failing: .begin))
        await h.type("a green triangle")
        await h.press(.enter)
        XCTAssertNotNil(h.line(containing: "it runs, but is not kept"), h.text)
        let job = try XCTUnwrap(h.service.jobIDs.first)
        let request = h.service.submitted[0]
        await h.emit(.finished(result(for: request, seed: request.seed ?? 0)), job: job, at: t0 + 1)
        guard case .runNotSaved(let reason)? = h.state.overlay else {
            return XCTFail("no dialog: \(String(describing: h.state.overlay))\n\(h.text)")
        }
        XCTAssertTrue(reason.contains("could not be written"), reason)
        XCTAssertNil(h.line(containing: "finished in"), h.text)
    }
}

/// A history whose disk is full at one moment of a run's life.
actor UnwritableHistory: HistoryProviding {
    func timingSamples(model: String) -> [RunTimingSample] { [] }
    enum Moment { case begin, finish }
    static let diskFull = "writing frame_0000.png into the run folder failed: No space left on device (errno 28)"
    let failing: Moment
    let inner = InMemoryHistory()

    init(failing: Moment) { self.failing = failing }

    struct DiskFull: Error, CustomStringConvertible { var description: String { UnwritableHistory.diskFull } }

    func entries(matching query: HistoryQuery) async throws -> [HistoryEntry] { await inner.entries(matching: query) }
    func begin(request: JobRequest, started: Date) async throws -> String {
        if failing == .begin { throw DiskFull() }
        return try await inner.begin(request: request, started: started)
    }
    func finish(_ id: String, result: JobResult, durationSeconds: Double) async throws -> HistoryEntry {
        if failing == .finish { throw DiskFull() }
        return try await inner.finish(id, result: result, durationSeconds: durationSeconds)
    }
    func fail(_ id: String, message: String) async throws -> HistoryEntry { try await inner.fail(id, message: message) }
    func cancel(_ id: String) async throws -> HistoryEntry { try await inner.cancel(id) }
    func setStarred(_ id: String, _ starred: Bool) async throws { await inner.setStarred(id, starred) }
    func delete(_ id: String) async throws { await inner.delete(id) }
    func request(of id: String) async throws -> JobRequest? { await inner.request(of: id) }
    func frames(of id: String) async throws -> [PixelImage] { await inner.frames(of: id) }
    func export(_ id: String) async throws -> URL { await inner.export(id) }
}

/// Issue #20 item 8: a clip paused (space) stayed paused when the next run started.
final class PlaybackOnNewRunTests: XCTestCase {
    func testANewRunPlaysEvenIfTheLastClipWasPaused() {
        let t0 = Date(timeIntervalSince1970: 20_000)
        var state = StudioState(now: t0)
        let first = JobID(), second = JobID()
        _ = StudioReducer.reduce(&state, .jobSubmitted(first, JobRequest(prompt: "a", seed: 1), at: t0, historyID: "1"))
        _ = StudioReducer.reduce(&state, .engine(TimedEvent(time: t0 + 1, job: first, event: .cancelled(atStep: nil))))
        state.compose.editing = false
        _ = StudioReducer.reduce(&state, .key(.character(" ")))
        _ = StudioReducer.reduce(&state, .key(.character(".")))
        XCTAssertFalse(state.playback.playing, "paused by the user")
        _ = StudioReducer.reduce(&state, .jobSubmitted(second, JobRequest(prompt: "b", seed: 2), at: t0 + 2, historyID: "2"))
        XCTAssertEqual(state.live?.id, second)
        XCTAssertTrue(state.playback.playing)
        XCTAssertEqual(state.playback.frame, 0)
    }
}

