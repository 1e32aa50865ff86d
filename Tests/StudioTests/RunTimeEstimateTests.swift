// The time estimate before a run (issue #20, "An estimate before a run"): seconds scaled from
// this model's earlier runs on this machine, shown beside the settings, and a run over a
// minute asks before it starts.
import Engine
import Foundation
@testable import Studio
import XCTest
import RunArchive

final class RunTimeEstimateTests: XCTestCase {
    /// 17 frames of 64×64, 20 guided steps: 0.5 s text, 8 s denoising, 1 s decoding, 0.5 s saving.
    let small = RunTimingSample(frames: 17, width: 64, height: 64, steps: 20, guided: true,
                                seconds: [.loading: 3, .encoding: 0.5, .denoising: 8, .decoding: 1, .saving: 0.5])

    func testTheSameSettingsGiveTheSameTimeAndLargerOnesScale() throws {
        let same = try XCTUnwrap(RunTimeEstimate.estimate(frames: 17, width: 64, height: 64, steps: 20, guided: true, from: [small]))
        XCTAssertEqual(same.seconds, 10, accuracy: 1e-9, "text + denoising + decoding + saving; loading is not counted")
        // Twice the steps: denoising doubles. Four times the pixels: denoising, decoding and
        // saving grow four times; the text encoder does not.
        let steps = try XCTUnwrap(RunTimeEstimate.estimate(frames: 17, width: 64, height: 64, steps: 40, guided: true, from: [small]))
        XCTAssertEqual(steps.seconds, 0.5 + 16 + 1.5, accuracy: 1e-9)
        let larger = try XCTUnwrap(RunTimeEstimate.estimate(frames: 17, width: 128, height: 128, steps: 20, guided: true, from: [small]))
        XCTAssertEqual(larger.seconds, 0.5 + 32 + 6, accuracy: 1e-9)
        // Without guidance the denoiser runs once a step, not twice.
        let unguided = try XCTUnwrap(RunTimeEstimate.estimate(frames: 17, width: 64, height: 64, steps: 20, guided: false, from: [small]))
        XCTAssertEqual(unguided.seconds, 0.5 + 4 + 1.5, accuracy: 1e-9)
    }

    func testTheNearestRunIsTheBasis() throws {
        let big = RunTimingSample(frames: 65, width: 256, height: 256, steps: 20, guided: true,
                                  seconds: [.encoding: 0.5, .denoising: 400, .decoding: 30, .saving: 5])
        let near = try XCTUnwrap(RunTimeEstimate.estimate(frames: 65, width: 256, height: 256, steps: 25, guided: true,
                                                          from: [small, big]))
        XCTAssertEqual(near.basis, big)
        XCTAssertEqual(near.seconds, 0.5 + 500 + 35, accuracy: 1e-9)
        XCTAssertTrue(near.needsConfirmation)
        XCTAssertEqual(RunTimeEstimate.estimate(frames: 17, width: 64, height: 64, steps: 20, guided: true, from: [small, big])?.basis,
                       small)
    }

    func testNoRunsNoEstimate() {
        XCTAssertNil(RunTimeEstimate.estimate(frames: 17, width: 64, height: 64, steps: 20, guided: true, from: []))
        let undenoised = RunTimingSample(frames: 17, width: 64, height: 64, steps: 20, guided: true, seconds: [.loading: 2])
        XCTAssertNil(RunTimeEstimate.estimate(frames: 17, width: 64, height: 64, steps: 20, guided: true, from: [undenoised]),
                     "a run that never denoised (cancelled while loading) calibrates nothing")
        XCTAssertNil(RunTimeEstimate.estimate(frames: 0, width: 64, height: 64, steps: 20, guided: true, from: [small]))
    }

    /// The compose screen shows the estimate once the model has run here; a run estimated over
    /// a minute asks first: `y` starts it, any other key goes back without starting.
    func testALongRunAsksBeforeItStarts() async throws {
        let studio = StudioHarness()
        await studio.send(.memoryAvailable(8 << 30))
        XCTAssertNotNil(studio.line(containing: "time: known after a first run here"), studio.text)
        let model = studio.state.compose.settings.modelReference.model
        await studio.send(.timingSamples(model: model, [small]))
        XCTAssertNotNil(studio.line(containing: "time ≈ 10 s"), "17 frames, 64×64, 20 steps as the sample:\n\(studio.text)")

        await studio.type("a red square")
        // 8 × the steps: 0.5 + 64 + 1.5 = 66 s.
        var settings = studio.state.compose.settings
        settings.texts[.steps] = "160"
        XCTAssertEqual(try XCTUnwrap(settings.timeEstimate).seconds, 66, accuracy: 1e-9)
        await setSteps(studio, "160")
        XCTAssertNotNil(studio.line(containing: "time ≈ 1 min 6 s · memory ≈"), studio.text)

        await studio.press(.enter)
        guard case .confirmLongRun(let estimate, let request)? = studio.state.overlay else {
            return XCTFail("⏎ on a 66 s run did not ask: \(String(describing: studio.state.overlay))\n\(studio.text)")
        }
        XCTAssertEqual(estimate.seconds, 66, accuracy: 1e-9)
        XCTAssertEqual(request.steps, 160)
        XCTAssertNotNil(studio.line(containing: "This run takes ≈ 1 min 6 s."), studio.text)
        XCTAssertFalse(studio.effects.contains { if case .submit = $0 { return true } else { return false } }, "not started yet")

        await studio.press(.character("n"))
        XCTAssertNil(studio.state.overlay)
        XCTAssertEqual(studio.state.message?.text, "not started")
        XCTAssertFalse(studio.effects.contains { if case .submit = $0 { return true } else { return false } })

        await studio.press(.enter)
        await studio.press(.character("y"))
        let submitted = studio.effects.compactMap { effect -> JobRequest? in if case .submit(let r) = effect { return r } else { return nil } }
        XCTAssertEqual(submitted.map(\.steps), [160], "y starts exactly the run that was estimated")
    }

    /// A run under a minute starts at once, and its own timings calibrate the next estimate.
    func testAShortRunStartsAtOnceAndCalibratesTheNext() async throws {
        let studio = StudioHarness()
        await studio.send(.memoryAvailable(8 << 30))
        await studio.send(.timingSamples(model: studio.state.compose.settings.modelReference.model, [small]))
        await studio.type("a red square")
        await studio.press(.enter)
        XCTAssertNil(studio.state.overlay)
        let submitted = studio.effects.compactMap { effect -> JobRequest? in if case .submit(let r) = effect { return r } else { return nil } }
        XCTAssertEqual(submitted.count, 1, "a 10 s run does not ask")
        let job = try XCTUnwrap(studio.state.live?.id)
        let request = try XCTUnwrap(studio.state.live?.request)
        var seededRequest = request
        seededRequest.seed = StudioHarness.firstSeed
        let result = JobResult(request: seededRequest, seed: StudioHarness.firstSeed,
                               frames: [[UInt8]](repeating: [UInt8](repeating: 0, count: 64 * 64 * 3), count: 17),
                               width: 64, height: 64, video: [], timings: [.encoding: 1, .denoising: 20, .decoding: 2, .saving: 1],
                               peakMemoryBytes: 0)
        await studio.emit(.finished(result), job: job, at: Date(timeIntervalSince1970: 1030))
        XCTAssertEqual(studio.state.compose.settings.timingSamples.first?.seconds[.denoising], 20, "the newest run comes first")
        XCTAssertEqual(try XCTUnwrap(studio.state.compose.settings.timeEstimate).seconds, 24, accuracy: 1e-9)
    }

    /// Types `value` into the Steps field (replacing it), as a person would: Tab from the
    /// prompt to the field, then the digits.
    private func setSteps(_ studio: StudioHarness, _ value: String) async {
        for _ in 0..<20 where studio.state.compose.focus != .setting(.steps) { await studio.press(.tab) }
        await studio.type(value)
        XCTAssertEqual(studio.state.compose.settings.text(.steps), value)
    }
}
