// Issue #20 finding 8: the studio never asked for a real decode while denoising, and showed
// whichever preview came last, so a full-size decode would have been replaced by the next
// step's latent-sized projection at once. The Live VAE setting (auto by default: a fifth of
// the run's time at most) asks for them; the pane keeps the newest decode on screen.
import Engine
import Foundation
@testable import Studio
import XCTest
import RunArchive

final class LiveDecodeSettingTests: XCTestCase {
    func settings(_ text: String? = nil) -> ComposeSettings {
        var settings = ComposeSettings(from: JobRequest(prompt: "", frames: 17, width: 64, height: 64, steps: 20))
        if let text { settings.texts[.liveDecode] = text }
        return settings
    }

    func testARunAsksForLiveDecodesWithinAFifthOfItsTimeByDefault() throws {
        var settings = settings()
        XCTAssertTrue(settings.fields.contains(.liveDecode))
        XCTAssertEqual(settings.text(.liveDecode), "auto")
        var preview = try XCTUnwrap(settings.request(prompt: "a red circle", negativePrompt: "")).preview
        XCTAssertEqual(preview.decodeBudget, 0.2)
        XCTAssertEqual(preview.decodeEvery, 0)
        XCTAssertTrue(preview.projectEveryStep)
        XCTAssertNil(preview.expectedDecodeSeconds, "no run of this model here yet")

        // An earlier run of the model here: 17 × 32² decoded in 0.5 s, so 17 × 64² in 2 s.
        settings.timingSamples = [RunTimingSample(frames: 17, width: 32, height: 32, steps: 20, guided: true,
                                                  seconds: [.encoding: 0.1, .denoising: 2, .decoding: 0.5])]
        preview = try XCTUnwrap(settings.request(prompt: "a red circle", negativePrompt: "")).preview
        XCTAssertEqual(try XCTUnwrap(preview.expectedDecodeSeconds), 2, accuracy: 1e-9)
    }

    func testOffAndEveryNStepsAndNonsense() throws {
        let off = try XCTUnwrap(settings("off").request(prompt: "x", negativePrompt: "")).preview
        XCTAssertEqual(off, .projectionsOnly)
        let every = try XCTUnwrap(settings(" 4 ").request(prompt: "x", negativePrompt: "")).preview
        XCTAssertEqual(every.decodeEvery, 4)
        for bad in ["0", "-2", "sometimes", ""] {
            let s = settings(bad)
            guard case .invalid(let message, let suggestion) = s.check(.liveDecode) else {
                XCTFail("\(bad) accepted"); continue
            }
            XCTAssertTrue(message.contains("auto") && message.contains("off"), message)
            XCTAssertEqual(suggestion, "auto")
            XCTAssertEqual(s.firstInvalid, .liveDecode)
            XCTAssertNil(s.request(prompt: "x", negativePrompt: ""))
        }
    }

    /// + and − walk off, auto, 1, 2 … up to the step count.
    func testSteppingWalksOffAutoAndIntervals() {
        var s = settings()
        s.adjust(.liveDecode, by: -1)
        XCTAssertEqual(s.text(.liveDecode), "off")
        s.adjust(.liveDecode, by: -1)
        XCTAssertEqual(s.text(.liveDecode), "off")
        for expected in ["auto", "1", "2"] {
            s.adjust(.liveDecode, by: 1)
            XCTAssertEqual(s.text(.liveDecode), expected)
        }
        s.texts[.liveDecode] = "20"
        s.adjust(.liveDecode, by: 1)
        XCTAssertEqual(s.text(.liveDecode), "20", "no further than the step count")
        s.texts[.liveDecode] = String(Int.max)
        s.adjust(.liveDecode, by: 1)
        XCTAssertEqual(s.text(.liveDecode), "20")
    }

    /// Remixing a run puts its live-decode choice back in the field.
    func testRemixRestoresTheChoice() {
        var s = settings()
        s.load(JobRequest(prompt: "x", preview: PreviewSettings(decodeEvery: 5)))
        XCTAssertEqual(s.text(.liveDecode), "5")
        s.load(JobRequest(prompt: "x", preview: .projectionsOnly))
        XCTAssertEqual(s.text(.liveDecode), "off")
    }

    func projection(step: Int) -> PreviewFrames {
        PreviewFrames(step: step, width: 4, height: 4, frames: [[UInt8]](repeating: [UInt8](repeating: 9, count: 48), count: 5),
                      isDecoded: false, isNoisy: false)
    }

    func testThePaneKeepsTheNewestDecodeOverLaterProjections() {
        let job = JobID(), t0 = Date(timeIntervalSince1970: 1000)
        var run = LiveRun(id: job, request: JobRequest(prompt: "x", frames: 17, width: 64, height: 64, steps: 20),
                          submitted: t0, decodeSeconds: nil)
        run.apply(TimedEvent(time: t0, job: job, event: .denoising(steps: 20)))
        for step in 1...9 { run.apply(TimedEvent(time: t0, job: job, event: .preview(projection(step: step)))) }
        XCTAssertEqual(run.shownStep, 9)
        XCTAssertEqual(run.frames(atStep: nil).first?.width, 4)

        run.apply(TimedEvent(time: t0, job: job, event: .decodingPreview(step: 10)))
        XCTAssertEqual(run.phase, "decoding step 10 for the preview")
        let decoded = PreviewFrames(step: 10, width: 64, height: 64,
                                    frames: [[UInt8]](repeating: [UInt8](repeating: 200, count: 64 * 64 * 3), count: 17),
                                    isDecoded: true, isNoisy: false)
        run.apply(TimedEvent(time: t0, job: job, event: .preview(decoded)))
        XCTAssertEqual(run.phase, "denoising")
        run.apply(TimedEvent(time: t0, job: job, event: .preview(projection(step: 11))))
        XCTAssertEqual(run.shownStep, 10)
        let shown = run.frames(atStep: nil)
        XCTAssertEqual(shown.count, 17, "every frame of the clip")
        XCTAssertEqual(shown.first.map { [$0.width, $0.height] }, [64, 64], "at full size")
        // Scrubbing still shows any step's own preview.
        XCTAssertEqual(run.frames(atStep: 11).first?.width, 4)
    }
}
