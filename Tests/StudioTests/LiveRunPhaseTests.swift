// Issue #20 finding 8: "encoding text" stayed up through the whole first step. The engine now
// announces the denoising phase when the text is encoded, and the run's line follows it.
import Engine
import Foundation
@testable import Studio
import XCTest

final class LiveRunPhaseTests: XCTestCase {
    func testThePhaseFollowsTheEngineFromTextToTheFirstStep() {
        let job = JobID(), t0 = Date(timeIntervalSince1970: 1000)
        var run = LiveRun(id: job, request: JobRequest(prompt: "a red circle", steps: 20), submitted: t0, decodeSeconds: nil)
        run.apply(TimedEvent(time: t0, job: job, event: .encodingText))
        XCTAssertEqual(run.phase, "encoding text")
        run.apply(TimedEvent(time: t0 + 3, job: job, event: .denoising(steps: 20)))
        XCTAssertEqual(run.phase, "denoising", "the first step is under way, the text is done")
        XCTAssertEqual(run.stepCount, 20)
        XCTAssertEqual(run.step, 0)
        // Step 1 is timed from the denoising's start: its 1 s, not the 3 s of text encoding before it.
        run.apply(TimedEvent(time: t0 + 4, job: job, event: .step(index: 1, count: 20, secondsPerStep: 1, etaSeconds: 19)))
        XCTAssertEqual(run.eta.secondsPerStep ?? 0, 1, accuracy: 1e-9)
    }
}
