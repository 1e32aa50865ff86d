import XCTest
import Engine
@testable import Studio

/// Found by the tmux test: `f` pressed the moment a run finished said "nothing finished to
/// star yet", because the run was still being written to history. The star now waits for
/// the entry and lands when it exists.
final class StarWhileSavingTests: XCTestCase {
    func testStarPressedBeforeTheRunIsSavedLandsWhenItIs() throws {
        let t0 = Date(timeIntervalSince1970: 10_000)
        var state = StudioState(now: t0)
        let job = JobID()
        let request = JobRequest(prompt: "a red square", steps: 2)
        _ = StudioReducer.reduce(&state, .jobSubmitted(job, request.withSeed(3), at: t0, historyID: "42"))
        let result = JobResult(request: request.withSeed(3), seed: 3, frames: [], width: 64, height: 64,
                               video: [], timings: [:], peakMemoryBytes: 0)
        let effects = StudioReducer.reduce(&state, .engine(TimedEvent(time: t0 + 1, job: job, event: .finished(result))))
        XCTAssertTrue(effects.contains(.endRun(RunEnding(job: job, runID: "42", outcome: .finished, durationSeconds: 1))),
                      "\(effects)")

        // The record effect has not come back yet: Esc, f.
        _ = StudioReducer.reduce(&state, .key(.escape))
        XCTAssertEqual(StudioReducer.reduce(&state, .key(.character("f"))), [], "nothing to star in the store yet")
        XCTAssertEqual(state.message?.text.hasPrefix("★ starred"), true, "\(String(describing: state.message))")

        let entry = HistoryEntry(id: "42", date: t0, status: .finished, request: result.request, durationSeconds: 1)
        XCTAssertEqual(StudioReducer.reduce(&state, .historyRecorded(entry, job: job)), [.star("42", true)])
        XCTAssertEqual(state.message?.text, "★ starred")
        XCTAssertTrue(state.pendingStars.isEmpty)

        // Once saved, f stars at once.
        XCTAssertEqual(StudioReducer.reduce(&state, .key(.character("f"))), [.star("42", true)])
    }

    func testNothingToStarWhileRunning() {
        var state = StudioState()
        let job = JobID()
        _ = StudioReducer.reduce(&state, .jobSubmitted(job, JobRequest(prompt: "x", seed: 1), at: Date(), historyID: "1"))
        _ = StudioReducer.reduce(&state, .key(.escape))
        XCTAssertEqual(StudioReducer.reduce(&state, .key(.character("f"))), [])
        XCTAssertEqual(state.message?.text, "nothing finished to star yet")
        XCTAssertTrue(state.pendingStars.isEmpty)
    }
}
