import XCTest
import Engine
@testable import Studio

/// Whole stories through the headless studio: what a person does, what the screen shows,
/// and what the studio asks of the engine and the history store.
final class StudioStoryTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 10_000)

    func olderRun() -> HistoryEntry {
        HistoryEntry(id: "1", date: Date(timeIntervalSince1970: 5_000), status: .finished,
                     request: JobRequest(prompt: "a red ball bouncing", seed: 7), durationSeconds: 12)
    }

    func result(for request: JobRequest, seed: UInt64) -> JobResult {
        let frame = [UInt8](repeating: 200, count: request.width * request.height * 3)
        return JobResult(request: request.withSeed(seed), seed: seed,
                         frames: Array(repeating: frame, count: request.frames), width: request.width,
                         height: request.height, video: [], timings: [.decoding: 0.5], peakMemoryBytes: 0)
    }

    func preview(step: Int, frames: Int = 5) -> PreviewFrames {
        // A left-to-right red ramp, 16×16.
        var rgb = [UInt8]()
        for _ in 0..<16 { for x in 0..<16 { rgb += [UInt8(x * 16), 0, 0] } }
        return PreviewFrames(step: step, width: 16, height: 16, frames: Array(repeating: rgb, count: frames),
                             isDecoded: false, isNoisy: false)
    }

    func testComposeRunCancelRerunStarSearchRemixExportDelete() async throws {
        let h = StudioHarness(history: [olderRun()])

        // Type a prompt with CJK and emoji; it shows as typed.
        await h.type("a cat 猫 walking 🐈")
        XCTAssertEqual(h.state.compose.prompt.text, "a cat 猫 walking 🐈")
        XCTAssertNotNil(h.line(containing: "│ a cat 猫 walking 🐈"), h.text)
        await h.press(.tab)
        await h.type("blurry")

        // Frames: an impossible value is explained and offered rounded; Enter takes the offer.
        await h.press(.tab, .tab)  // model → frames
        XCTAssertEqual(h.state.compose.focus, .setting(.frames))
        await h.press(.control("u"))
        await h.type("18")
        XCTAssertNotNil(h.line(containing: "Frames: frames must be 4k+1"), h.text)
        XCTAssertNotNil(h.line(containing: "⏎ → 17"), h.text)
        await h.press(.enter)
        XCTAssertEqual(h.state.compose.settings.text(.frames), "17")
        XCTAssertTrue(h.service.submitted.isEmpty, "accepting a suggestion must not start a job")

        // Size not divisible by 16.
        await h.press(.tab, .control("u"))
        await h.type("60x64")
        XCTAssertNotNil(h.line(containing: "width must be a multiple of 16"), h.text)
        await h.press(.enter)
        XCTAssertEqual(h.state.compose.settings.text(.size), "64x64")

        // Steps 0 is refused; generating while invalid explains instead of submitting.
        await h.press(.tab, .control("u"))
        await h.type("0")
        XCTAssertNotNil(h.line(containing: "steps must be between 1 and 1000"), h.text)
        await h.press(.backspace)
        await h.type("4")

        // Start: the effect carries the request built from the fields; the seed is random, so
        // the studio draws it and submits it, and the run is in history (running) at once.
        await h.press(.enter)
        XCTAssertEqual(h.service.submitted.count, 1)
        let expected = JobRequest(prompt: "a cat 猫 walking 🐈", negativePrompt: "blurry", frames: 17, width: 64,
                                  height: 64, steps: 4, sampler: SamplerNames.modelDefault, seed: nil)
        XCTAssertEqual(h.effects.last { if case .submit = $0 { return true }; return false }, .submit(expected))
        let seed1 = StudioHarness.firstSeed, seed2 = StudioHarness.firstSeed + 1
        XCTAssertEqual(h.service.submitted[0], expected.withSeed(seed1))
        var runs = await h.history.entries(matching: HistoryQuery())
        XCTAssertEqual(runs.map(\.status), [.running, .finished])
        XCTAssertEqual(runs.first?.seed, seed1)
        let job1 = try XCTUnwrap(h.service.jobIDs.first)

        // Progress: step count, bar, ETA hidden for the first two steps then shown.
        await h.emit(.queued(position: 0), job: job1, at: t0)
        await h.emit(.encodingText, job: job1, at: t0)
        await h.emit(.step(index: 1, count: 4, secondsPerStep: 1, etaSeconds: nil), job: job1, at: t0 + 1)
        await h.send(.tick(t0 + 1))
        XCTAssertNotNil(h.line(containing: "1/4"), h.text)
        XCTAssertNil(h.line(containing: "ETA 3"), h.text)
        await h.emit(.step(index: 2, count: 4, secondsPerStep: 1, etaSeconds: nil), job: job1, at: t0 + 2)
        XCTAssertNil(h.line(containing: "ETA 2"), h.text)
        await h.emit(.preview(preview(step: 2)), job: job1, at: t0 + 2)
        XCTAssertTrue(h.text.contains("▀"), "the preview is drawn with half-blocks")
        XCTAssertNotNil(h.line(containing: "step 2/4"), h.text)
        await h.emit(.step(index: 3, count: 4, secondsPerStep: 1, etaSeconds: nil), job: job1, at: t0 + 3)
        await h.send(.tick(t0 + 3))
        // One step left at 1 s/step: ETA 1.0 s.
        XCTAssertNotNil(h.line(containing: "3/4 · 1.00 s/it · ETA 1.0 s"), h.text)
        XCTAssertTrue(h.screen.title.contains("3/4"), h.screen.title)

        // Cancel with ^X: the engine is asked; the cancelled event shows.
        await h.press(.control("x"))
        XCTAssertTrue(h.service.log.contains("cancel \(job1)"), "\(h.service.log)")
        await h.emit(.cancelled(atStep: 4), job: job1, at: t0 + 3.5)
        XCTAssertNotNil(h.line(containing: "cancelled at step 4"), h.text)
        // The cancelled run stays in history with its settings and seed, without frames.
        runs = await h.history.entries(matching: HistoryQuery())
        XCTAssertEqual(runs.map(\.status), [.cancelled, .finished])
        XCTAssertEqual(runs.first?.request, expected.withSeed(seed1))
        let cancelledFrames = await h.history.frames(of: runs[0].id)
        XCTAssertEqual(cancelledFrames, [])

        // Start again (a new random seed) and finish: the seed used is shown, and the run's
        // row is finished with its frames.
        await h.press(.enter)
        XCTAssertEqual(h.service.submitted.count, 2)
        XCTAssertEqual(h.service.submitted[1].seed, seed2)
        let job2 = h.service.jobIDs[1]
        await h.emit(.step(index: 4, count: 4, secondsPerStep: 1, etaSeconds: 0), job: job2, at: t0 + 10)
        await h.emit(.finished(result(for: expected, seed: seed2)), job: job2, at: t0 + 11)
        XCTAssertNotNil(h.line(containing: "seed \(seed2)"), h.text)
        XCTAssertEqual(h.state.compose.settings.lastSeedUsed, seed2)
        runs = await h.history.entries(matching: HistoryQuery())
        // The older run, the cancelled one and this one (cancelled runs are kept since the
        // history writes every run's row at submission).
        XCTAssertEqual(runs.map(\.status), [.finished, .cancelled, .finished])

        // Star the result from the run view.
        await h.press(.escape, .character("f"))
        runs = await h.history.entries(matching: HistoryQuery(starredOnly: true))
        XCTAssertEqual(runs.map(\.prompt), ["a cat 猫 walking 🐈"])

        // History: find it by search.
        await h.press(.character("h"))
        XCTAssertEqual(h.state.mode, .history)
        XCTAssertNotNil(h.line(containing: "a red ball bouncing"), h.text)
        await h.press(.character("/"))
        await h.type("猫")
        await h.press(.enter)
        XCTAssertEqual(h.state.history.entries.map(\.status), [.finished, .cancelled], "this run and the cancelled one")
        XCTAssertNil(h.line(containing: "a red ball bouncing"), h.text)
        XCTAssertNotNil(h.line(containing: "★ ✓"), h.text)

        // Export it.
        await h.press(.character("e"))
        let exported = await h.history.exported
        XCTAssertEqual(exported.count, 1)
        XCTAssertNotNil(h.line(containing: "exported to"), h.text)

        // Remix: the compose fields come back, with the seed that was used, locked.
        await h.press(.character("r"))
        XCTAssertEqual(h.state.mode, .compose)
        XCTAssertEqual(h.state.compose.prompt.text, "a cat 猫 walking 🐈")
        XCTAssertEqual(h.state.compose.negative.text, "blurry")
        XCTAssertEqual(h.state.compose.settings.text(.steps), "4")
        XCTAssertEqual(h.state.compose.settings.text(.seed), "\(seed2)")
        XCTAssertTrue(h.state.compose.settings.seedLocked)
        XCTAssertEqual(h.state.compose.settings.request(prompt: "p", negativePrompt: "")?.seed, seed2)

        // Delete asks first; n keeps, y deletes.
        await h.press(.escape, .character("h"), .character("d"))
        XCTAssertNotNil(h.line(containing: "Delete “"), h.text)
        await h.press(.character("n"))
        var count = await h.history.entries(matching: HistoryQuery()).count
        XCTAssertEqual(count, 3)
        await h.press(.character("d"), .character("y"))
        count = await h.history.entries(matching: HistoryQuery()).count
        XCTAssertEqual(count, 2)
    }

    /// Issue #20 item 5: typing into a number field appended (Steps 20, type 8 → 208). The first
    /// character typed after focusing replaces the value; later ones append; an edit key keeps it.
    func testTypingIntoAFreshlyFocusedNumberFieldReplacesIt() async {
        let h = StudioHarness()
        await h.type("x")
        await h.press(.tab, .tab, .tab, .tab, .tab)  // prompt → negative → model → frames → size → steps
        XCTAssertEqual(h.state.compose.focus, .setting(.steps))
        XCTAssertEqual(h.state.compose.settings.text(.steps), "20")
        await h.type("8")
        XCTAssertEqual(h.state.compose.settings.text(.steps), "8")
        await h.type("0")
        XCTAssertEqual(h.state.compose.settings.text(.steps), "80")
        await h.press(.tab, .backTab, .backspace)  // back to steps, then an edit key: the value stays
        await h.type("5")
        XCTAssertEqual(h.state.compose.settings.text(.steps), "85")
        await h.press(.backTab)  // size: a pasted value replaces too
        await h.send(.key(.paste("32x32")))
        XCTAssertEqual(h.state.compose.settings.text(.size), "32x32")
        await h.press(.backTab, .backTab)  // frames → model: a path is edited, not replaced
        await h.type("/")
        XCTAssertEqual(h.state.compose.settings.text(.model), JobRequest.bundledModelID + "/")
    }

    /// Issue #20 item 4: the key bar offered "^Z undo", but ^Z is the terminal's suspend key
    /// and never reaches the studio. It offers ^_, which undoes.
    func testTheKeyBarOffersAnUndoKeyTheTerminalDelivers() async {
        let h = StudioHarness()
        XCTAssertNotNil(h.line(containing: "^_ undo"), h.text)
        XCTAssertNil(h.line(containing: "^Z"), h.text)
        await h.type("a cat")
        await h.press(.control("_"))
        XCTAssertNotEqual(h.state.compose.prompt.text, "a cat")
    }

    /// Issue #20 item 6: quitting dropped three queued runs without asking. `q` asks when
    /// runs would be cancelled; any other key stays; `y` quits; `Q` quits at once.
    func testQuittingWithRunsUnfinishedAsksFirst() async {
        let h = StudioHarness()
        await h.type("a cat")
        await h.press(.enter, .enter, .enter)  // three runs: the scripted engine never ends them
        XCTAssertEqual(h.service.submitted.count, 3)
        await h.press(.escape, .character("q"))
        XCTAssertFalse(h.state.quitting)
        XCTAssertEqual(h.state.overlay, .confirmQuit(3))
        XCTAssertNotNil(h.line(containing: "Quit? 3 runs are not finished."), h.text)
        await h.press(.character("n"))
        XCTAssertFalse(h.state.quitting)
        XCTAssertNil(h.state.overlay)
        XCTAssertFalse(h.effects.contains(.quit))
        await h.press(.character("q"), .character("y"))
        XCTAssertTrue(h.state.quitting)
        XCTAssertTrue(h.effects.contains(.quit))

        let fresh = StudioHarness()
        await fresh.type("a dog")
        await fresh.press(.enter, .escape, .character("Q"))
        XCTAssertTrue(fresh.state.quitting, "Q quits without asking")
        let idle = StudioHarness()
        await idle.press(.escape, .character("q"))
        XCTAssertTrue(idle.state.quitting, "nothing to lose: no question")
    }

    func testGenerateWithEmptyPromptOrInvalidFieldExplains() async {
        let h = StudioHarness()
        await h.press(.enter)
        XCTAssertNotNil(h.line(containing: "write a prompt first"), h.text)
        await h.type("x")
        await h.press(.tab, .tab, .tab, .control("u"))
        await h.type("6")
        await h.press(.escape, .character("g"))
        XCTAssertTrue(h.service.submitted.isEmpty)
        XCTAssertEqual(h.state.compose.focus, .setting(.frames))
        XCTAssertNotNil(h.line(containing: "4k+1"), h.text)
    }

    func testIdleLineFitsTheScreenShowing() async {
        let h = StudioHarness(history: [olderRun()])
        XCTAssertNotNil(h.line(containing: "write a prompt and press ⏎"), h.text)
        await h.press(.escape, .character("h"))
        XCTAssertEqual(h.state.mode, .history)
        XCTAssertNotNil(h.line(containing: "1 run in history"), h.text)
        XCTAssertNil(h.line(containing: "write a prompt"), "the history screen has no prompt to write: \(h.text)")
        await h.press(.escape, .character("u"))
        XCTAssertEqual(h.state.mode, .queue)
        XCTAssertNotNil(h.line(containing: "queue empty"), h.text)
    }

    func testJobsWaitingInTheQueueShowAsQueuedInHistory() async {
        let h = StudioHarness()
        await h.type("one")
        await h.press(.enter, .enter, .enter)
        XCTAssertEqual(h.state.queue.waiting.count, 2)
        await h.press(.escape, .character("h"))
        XCTAssertEqual(h.state.history.entries.map(\.status), [.running, .running, .running])
        let queued = h.state.history.entries.filter { h.state.isQueued(historyID: $0.id) }
        XCTAssertEqual(queued.count, 2, "the running job's row is not queued; the two waiting ones are")
        XCTAssertEqual(h.text.components(separatedBy: "⧗").count - 1, 2, h.text)
        XCTAssertEqual(h.text.components(separatedBy: " … ").count - 1, 1, h.text)
    }

    func testQueuePanelOperations() async {
        let h = StudioHarness()
        await h.type("one")
        await h.press(.enter, .enter, .enter)
        XCTAssertEqual(h.service.submitted.count, 3)
        await h.press(.escape, .character("u"))
        XCTAssertEqual(h.state.mode, .queue)
        XCTAssertEqual(h.state.queue.waiting.count, 2)
        await h.press(.character("j"), .character("j"), .character("K"))
        XCTAssertTrue(h.service.log.contains("move \(h.service.jobIDs[2]) 0"), "\(h.service.log)")
        await h.press(.character("p"))
        XCTAssertTrue(h.service.log.contains("pause true"))
        XCTAssertNotNil(h.line(containing: "paused after the current job"), h.text)
        await h.press(.character("s"))
        XCTAssertTrue(h.service.log.contains("skip"))
        await h.press(.character("x"))
        XCTAssertTrue(h.service.log.contains { $0.hasPrefix("remove") }, "\(h.service.log)")
    }

    func testHelpListsEveryKeyAndTooSmallSaysSo() async {
        let h = StudioHarness()
        await h.press(.escape, .character("?"))
        XCTAssertNotNil(h.line(containing: "Keys — any key closes"), h.text)
        XCTAssertNotNil(h.line(containing: "contact sheet"), h.text)
        await h.press(.character("x"))
        XCTAssertNil(h.state.overlay)
        await h.send(.resize(columns: 60, rows: 20))
        h.screen.resize(columns: 60, rows: 20)
        h.core.render()
        XCTAssertNotNil(h.line(containing: "needs at least 80×24"), h.text)
    }

    func testThemeCyclesWithT() async {
        let h = StudioHarness()
        let first = h.state.themeName
        await h.press(.escape, .character("t"))
        XCTAssertNotEqual(h.state.themeName, first)
    }

    func testPreviewStepsCanBeScrubbedAndPlayed() async throws {
        let h = StudioHarness()
        await h.type("p")
        await h.press(.enter)
        let job = try XCTUnwrap(h.service.jobIDs.first)
        await h.emit(.preview(preview(step: 1)), job: job, at: t0)
        await h.emit(.preview(preview(step: 2)), job: job, at: t0 + 1)
        await h.press(.escape, .character("["))
        XCTAssertEqual(h.state.playback.scrubStep, 1)
        XCTAssertNotNil(h.line(containing: "step 1/20 (scrubbing)"), h.text)
        await h.press(.character("]"))
        XCTAssertNil(h.state.playback.scrubStep, "past the newest step the view follows live again")
        // Playback at 8 fps: 0.25 s after the first preview is frame 3 of 5.
        await h.send(.tick(t0 + 0.25))
        XCTAssertNotNil(h.line(containing: "frame 3/5"), h.text)
        await h.press(.character("c"))
        XCTAssertNotNil(h.line(containing: "contact sheet · 5 frames"), h.text)
    }
}
