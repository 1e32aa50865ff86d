import XCTest
import TensorCore
@testable import Schedulers

/// Full denoising loops against diffusers, with the fixture's deterministic fake model.
final class LoopTests: XCTestCase {
    struct LoopsFixture: Decodable {
        struct Loop: Decodable {
            var config: JSONValue
            var steps: Int
            var mu: Double?
            var guidance: Float?
            var shape: [Int]
            var samples: String
            var model_outputs: String
        }
        var meta: FixtureMeta
        var loops: [Loop]
    }

    /// The fixture's model: `tanh(0.5·x + 0.1·t/1000)` in float32.
    static func fakeModel(_ x: Tensor, timestep t: Float) -> Tensor {
        let bias = Float(0.1) * t / 1000
        return Tensor(shape: x.shape, data: x.data.map { tanhf(Float(0.5) * $0 + bias) })
    }

    static func output(_ x: Tensor, timestep: Float, guidance: Float?) -> Tensor {
        let cond = fakeModel(x, timestep: timestep)
        guard let guidance else { return cond }
        let half = Tensor(shape: x.shape, data: x.data.map { $0 * 0.5 })
        return classifierFreeGuidance(uncond: fakeModel(half, timestep: timestep), cond: cond, scale: guidance)
    }

    private func slice(_ values: [Float], _ index: Int, _ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, data: Array(values[(index * n)..<((index + 1) * n)]))
    }

    private func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
    }

    /// Teacher-forced: each step gets diffusers' own sample and model output, so only the
    /// scheduler arithmetic is compared. The float32 operations are the same as torch's, in the
    /// same order; what can differ is libm's logf/expm1f vs torch's (≤ 1 ulp in λ and h), and
    /// the 2×2 solve for ρ (LAPACK vs ours, a few ulps). Those scalars multiply values of
    /// magnitude ≤ ~4 here, so differences stay at a few float ulps of 4 (≈ 5e-7); 2e-6 allows 4×.
    func testTeacherForcedStepsMatchDiffusers() throws {
        let fixture = try Fixtures.load(LoopsFixture.self, "loops.json")
        XCTAssertGreaterThanOrEqual(fixture.loops.count, 3)
        for loop in fixture.loops {
            let config = try SchedulerConfig.decode(loop.config.data, source: "loops.json")
            var scheduler = try makeScheduler(config: config, stepCount: loop.steps, mu: loop.mu)
            let samples = try Fixtures.floats(loop.samples)
            let outputs = try Fixtures.floats(loop.model_outputs)
            var worst: Float = 0
            for i in 0..<loop.steps {
                let next = scheduler.step(modelOutput: slice(outputs, i, loop.shape), stepIndex: i,
                                          sample: slice(samples, i, loop.shape))
                worst = max(worst, maxAbsDifference(next, slice(samples, i + 1, loop.shape)))
            }
            XCTAssertLessThan(worst, 2e-6, "\(config.schedulerClass.rawValue) \(loop.config)")
            print("LoopTests teacher-forced \(config.schedulerClass.rawValue): max |Δ| = \(worst)")
        }
    }

    /// Free-running: the Swift loop uses its own fake model from the same initial noise (drawn
    /// with TorchGenerator seed 1234, which must equal the fixture's first sample bit for bit).
    /// Besides the scheduler differences above, tanh differs by ≤ 2 ulps between glibc and torch
    /// (Sleef), i.e. ≤ 2.4e-7 per model call; over 10 steps with update coefficients of order 1
    /// (and ×5 under guidance) these add to a few 1e-6. 2e-5 is the bound.
    func testFreeRunningLoopsMatchDiffusers() throws {
        let fixture = try Fixtures.load(LoopsFixture.self, "loops.json")
        for loop in fixture.loops {
            let config = try SchedulerConfig.decode(loop.config.data, source: "loops.json")
            var scheduler = try makeScheduler(config: config, stepCount: loop.steps, mu: loop.mu)
            let samples = try Fixtures.floats(loop.samples)
            var generator = TorchGenerator(seed: 1234, kernel: .vectorized)
            var x = generator.randn(loop.shape)
            XCTAssertEqual(x.data.map(\.bitPattern), slice(samples, 0, loop.shape).data.map(\.bitPattern),
                           "initial noise")
            var worst: Float = 0
            for i in 0..<scheduler.stepCount {
                let v = Self.output(x, timestep: scheduler.timesteps[i], guidance: loop.guidance)
                x = scheduler.step(modelOutput: v, stepIndex: i, sample: x)
                worst = max(worst, maxAbsDifference(x, slice(samples, i + 1, loop.shape)))
            }
            XCTAssertEqual(scheduler.nextStepIndex, loop.steps)
            XCTAssertLessThan(worst, 2e-5, "\(config.schedulerClass.rawValue) \(loop.config)")
            print("LoopTests free-running \(config.schedulerClass.rawValue): max |Δ| = \(worst)")
        }
    }
}
