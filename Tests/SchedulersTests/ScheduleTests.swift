import XCTest
import TensorCore
@testable import Schedulers

final class ScheduleTests: XCTestCase {
    struct SchedulesFixture: Decodable {
        struct Case: Decodable {
            var config: JSONValue
            var steps: Int
            var mu: Double?
            var timestep_dtype: String
            var sigmas: String
            var timesteps: String?
            var timesteps_int: [Int64]?
        }
        var meta: FixtureMeta
        var cases: [Case]
    }

    /// Whole timestep and sigma arrays for every fixture config (UniPC flow shift 3 at
    /// N = 1, 2, 3, 10, 20, 50, shift 5, order 3; FlowMatch shift 1, 3, 7 at N = 1, 2, 10, 20,
    /// dynamic exponential/linear shifting, invert_sigmas, shift_terminal). Each config goes
    /// through `SchedulerConfig.decode` and `makeScheduler`, as a pipeline would.
    ///
    /// Integer timesteps must be equal. Floats within 1e-6 relative: the computation repeats
    /// numpy's float64 operations in the same order and rounds to float32 at the same points,
    /// so they are expected to be bit-equal; the only ulp-level freedom is libm's `exp` in
    /// dynamic shifting (float64, ≤ 1 ulp ≈ 1e-16), which can flip at most one float32 rounding
    /// (1 ulp ≈ 6e-8 relative). 1e-6 (~8 float ulps) leaves room for that and nothing more.
    func testTimestepsAndSigmasMatchDiffusers() throws {
        let fixture = try Fixtures.load(SchedulesFixture.self, "schedules.json")
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 20)
        var exactFloats = 0, totalFloats = 0
        for item in fixture.cases {
            let config = try SchedulerConfig.decode(item.config.data, source: "schedules.json case")
            let scheduler = try makeScheduler(config: config, stepCount: item.steps, mu: item.mu)
            let label = "\(config.schedulerClass.rawValue) \(item.config) N=\(item.steps)"
            XCTAssertEqual(scheduler.stepCount, item.steps, label)
            let sigmas = try Fixtures.floats(item.sigmas)
            let schedule = try XCTUnwrap(scheduler as? any SigmaScheduler, label)
            XCTAssertEqual(schedule.sigmas.count, sigmas.count, label)
            for (got, want) in zip(schedule.sigmas, sigmas) {
                XCTAssertEqual(got, want, accuracy: 1e-6 * max(abs(want), 1e-3), label)
                exactFloats += got == want ? 1 : 0
                totalFloats += 1
            }
            if let integers = item.timesteps_int {
                let uniPC = try XCTUnwrap(scheduler as? UniPCMultistepScheduler, label)
                XCTAssertEqual(uniPC.integerTimesteps, integers, label)
                XCTAssertEqual(uniPC.timesteps, integers.map { Float($0) }, label)
            } else {
                let timesteps = try Fixtures.floats(try XCTUnwrap(item.timesteps, label))
                XCTAssertEqual(scheduler.timesteps.count, timesteps.count, label)
                for (got, want) in zip(scheduler.timesteps, timesteps) {
                    XCTAssertEqual(got, want, accuracy: 1e-6 * max(abs(want), 1), label)
                    exactFloats += got == want ? 1 : 0
                    totalFloats += 1
                }
            }
        }
        XCTAssertGreaterThan(totalFloats, 300)
        // Reported, not asserted beyond the tolerance above: all are expected bit-equal.
        print("ScheduleTests: \(exactFloats)/\(totalFloats) float schedule values bit-equal")
    }

    /// The N = 10 schedules of UniPC (flow shift 3) and FlowMatch Euler, as diffusers 0.42.1 prints them.
    func testGuideTable() throws {
        let uniPC = try UniPCMultistepScheduler(config: UniPCMultistepSchedulerConfig(flowShift: 3), stepCount: 10)
        XCTAssertEqual(uniPC.integerTimesteps, [999, 964, 923, 875, 818, 750, 667, 563, 429, 251])
        var config = FlowMatchEulerDiscreteSchedulerConfig()
        config.shift = 3
        let flow = try FlowMatchEulerDiscreteScheduler(config: config, stepCount: 10)
        let expected: [Float] = [1000, 960.13, 913.35, 857.69, 790.37, 707.28, 602.15, 464.88, 278.05, 8.93]
        for (got, want) in zip(flow.timesteps, expected) {
            XCTAssertEqual(got, want, accuracy: 0.006)  // the table is rounded to 2 decimals
        }
        XCTAssertEqual(flow.sigmas.last, 0)
    }

    func testNumpyLinspace() {
        XCTAssertEqual(numpyLinspace(0, 1, count: 5), [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(numpyLinspace(3, 7, count: 1), [3])
        XCTAssertEqual(numpyLinspace(1, 0.001, count: 3).last, 0.001)
    }
}
