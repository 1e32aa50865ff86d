// Issue #20 finding 8: the preview showed the latent frames through a linear map, never a real
// decode of every frame while denoising. A budgeted schedule now decodes the current estimate
// as often as a fifth of the run's time allows (`LiveDecodeSchedule`), timed apart as
// `previewing`.
import Foundation
import Pipelines
import XCTest
@testable import Engine

final class LiveDecodeScheduleTests: XCTestCase {
    /// The steps a run of `count` steps decodes after, each decode taking `actual` seconds.
    func decodedSteps(_ schedule: LiveDecodeSchedule, count: Int, secondsPerStep: Double,
                      actual: Double) -> (steps: [Int], spent: Double) {
        var schedule = schedule
        var steps: [Int] = []
        for done in 1...count where schedule.shouldDecode(after: done, of: count, secondsPerStep: secondsPerStep) {
            steps.append(done)
            schedule.decoded(seconds: actual)
        }
        return (steps, schedule.spentSeconds)
    }

    func testWithoutAKnownDecodeCostABudgetDecodesNothing() {
        let schedule = LiveDecodeSchedule(every: 0, budget: 0.2, decodeSeconds: nil)
        XCTAssertEqual(decodedSteps(schedule, count: 20, secondsPerStep: 1, actual: 0.1).steps, [])
        XCTAssertNil(schedule.interval(count: 20, secondsPerStep: 1))
    }

    func testAFixedIntervalDecodesEveryNStepsButTheLast() {
        let schedule = LiveDecodeSchedule(every: 2, budget: 0, decodeSeconds: nil)
        XCTAssertEqual(decodedSteps(schedule, count: 6, secondsPerStep: 1, actual: 100).steps, [2, 4])
    }

    /// The bundled model's shape: 20 steps of 0.1 s, a 0.28 s decode. A fifth of its 2.28 s is
    /// 0.456 s: one decode, halfway.
    func testTheBudgetFitsOneDecodeOfASmallModelHalfway() {
        let schedule = LiveDecodeSchedule(every: 0, budget: 0.2, decodeSeconds: 0.28)
        XCTAssertEqual(decodedSteps(schedule, count: 20, secondsPerStep: 0.1, actual: 0.28).steps, [10])
    }

    /// Cheap decodes next to slow steps: every step but the last.
    func testCheapDecodesGoEveryStep() {
        let schedule = LiveDecodeSchedule(every: 0, budget: 0.2, decodeSeconds: 0.1)
        XCTAssertEqual(decodedSteps(schedule, count: 20, secondsPerStep: 1, actual: 0.1).steps, Array(1...19))
    }

    /// A decode slower than expected (2 s, not 0.1 s) spaces the rest out and stops before the
    /// budget is overdrawn: 0.2 × (20 × 1 s + 2 s) = 4.4 s allows two.
    func testADecodeSlowerThanExpectedSpacesTheRestOut() {
        let schedule = LiveDecodeSchedule(every: 0, budget: 0.2, decodeSeconds: 0.1)
        let (steps, spent) = decodedSteps(schedule, count: 20, secondsPerStep: 1, actual: 2)
        XCTAssertEqual(steps, [1, 7])
        XCTAssertLessThanOrEqual(spent, 0.2 * (20 + 2))
    }

    /// Over many shapes, with decodes costing what was expected, the decodes never take more
    /// than the budget's share of the run (denoising plus the final decode), and are spread
    /// over the run rather than bunched at its start.
    func testDecodesStayWithinTheBudgetForManyShapes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let count = Int.random(in: 1...60, using: &generator)
            let perStep = Double.random(in: 0.001...10, using: &generator)
            let decode = Double.random(in: 0.001...100, using: &generator)
            let budget = Double.random(in: 0...1, using: &generator)
            let schedule = LiveDecodeSchedule(every: 0, budget: budget, decodeSeconds: decode)
            let (steps, spent) = decodedSteps(schedule, count: count, secondsPerStep: perStep, actual: decode)
            let run = perStep * Double(count) + decode
            XCTAssertLessThanOrEqual(spent, budget * run * (1 + 1e-12),
                                     "count \(count), step \(perStep) s, decode \(decode) s, budget \(budget)")
            XCTAssertFalse(steps.contains(count), "the last step is the final decode's")
            if steps.count >= 2 {
                // Evenly spaced: the same gap between every pair.
                let gaps = Set(zip(steps, steps.dropFirst()).map { $1 - $0 })
                XCTAssertEqual(gaps.count, 1, "\(steps)")
            }
        }
    }

    func testNonsenseSettingsDecodeNothing() {
        for budget in [-1.0, .nan, 0] {
            let schedule = LiveDecodeSchedule(every: -3, budget: budget, decodeSeconds: 0.1)
            XCTAssertEqual(decodedSteps(schedule, count: 10, secondsPerStep: 1, actual: 0.1).steps, [], "\(budget)")
        }
        for cost in [0.0, -1, .nan, .infinity] {
            let schedule = LiveDecodeSchedule(every: 0, budget: 0.2, decodeSeconds: cost)
            XCTAssertEqual(decodedSteps(schedule, count: 10, secondsPerStep: 1, actual: 0.1).steps, [], "\(cost)")
        }
    }
}

/// The schedule in the real engine on the tiny Wan pipeline folder.
extension PipelineEngineTests {
    /// A model's first run has no decode cost to plan with and decodes nothing while
    /// denoising; its final decode teaches the engine the cost, so the next run decodes every
    /// frame at full size, timed as `previewing` and announced by `decodingPreview`.
    func testTheEngineLearnsTheDecodeCostAndDecodesWhileDenoising() async throws {
        let engine = Engine(loader: PipelineLoader())
        // Budget 1: at least one decode fits whatever the steps cost (after step 2; after step 1
        // too when a decode costs less than the three steps), so the outcome does not depend on
        // how fast this machine is.
        let budgeted = PreviewSettings(projectEveryStep: true, decodeBudget: 1)
        let first = await run(engine, request(preview: budgeted))
        XCTAssertEqual(previews(first).map(\.isDecoded), [false, false, false])
        XCTAssertNil(try XCTUnwrap(result(first)).timings[.previewing])

        let second = await run(engine, request(preview: budgeted))
        let shown = previews(second)
        XCTAssertEqual(shown.map(\.step), [1, 2, 3])
        guard shown.count == 3 else { return }
        XCTAssertTrue(shown[1].isDecoded, "\(shown.map(\.isDecoded))")
        XCTAssertFalse(shown[2].isDecoded, "the last step is left to the final decode")
        let decoded = shown[1]
        XCTAssertEqual([decoded.width, decoded.height], [32, 16])
        XCTAssertEqual(decoded.frames.count, 9, "every frame of the clip, not one per latent frame")
        let announced = second.firstIndex { if case .decodingPreview(2) = $0 { return true } else { return false } }
        let delivered = second.firstIndex { if case .preview(let p) = $0 { return p.isDecoded && p.step == 2 } else { return false } }
        XCTAssertNotNil(announced)
        XCTAssertLessThan(try XCTUnwrap(announced), try XCTUnwrap(delivered))
        let timings = try XCTUnwrap(result(second)).timings
        XCTAssertGreaterThan(try XCTUnwrap(timings[.previewing]), 0)
        XCTAssertNotNil(timings[.denoising])
    }

    /// The caller's estimate (the studio's, from runs in its history) plans the first run.
    func testTheCallersEstimatePlansAFirstRun() async throws {
        let engine = Engine(loader: PipelineLoader())
        let events = await run(engine, request(preview: PreviewSettings(decodeBudget: 1, expectedDecodeSeconds: 1e-6)))
        XCTAssertTrue(previews(events).contains(where: \.isDecoded), "\(previews(events).map(\.isDecoded))")
    }

    /// Settings written before the budget existed read back with today's default budget.
    func testOldPreviewSettingsDecodeWithTheDefaultBudget() throws {
        let old = #"{"projectEveryStep":true,"decodeEvery":0,"showNoisy":false}"#
        let settings = try JSONDecoder().decode(PreviewSettings.self, from: Data(old.utf8))
        XCTAssertEqual(settings, PreviewSettings.default)
        XCTAssertEqual(settings.decodeBudget, PreviewSettings.defaultDecodeBudget)
    }
}
