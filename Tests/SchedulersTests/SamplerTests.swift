import Foundation
import XCTest
import TensorCore
@testable import Schedulers

/// The DDPM-family samplers (DDIM, DDPM, DPM-Solver++, Euler, Euler ancestral, CogVideoX DDIM and
/// DPM, UniPC in VP mode) against diffusers 0.42.1: tools/reference/sampler_fixtures.py → samplers.json.
final class SamplerTests: XCTestCase {
    struct SamplersFixture: Decodable {
        struct Schedule: Decodable {
            var config: JSONValue
            var steps: Int
            var init_noise_sigma: Double
            var timesteps_int: [Int]?
            var timesteps: String?
            var sigmas: String?
        }
        struct Alphas: Decodable {
            var config: JSONValue
            var alphas_cumprod: String?
            var alphas_cumprod_f64: String?
        }
        struct Loop: Decodable {
            var config: JSONValue
            var steps: Int
            var seed: UInt64
            var shape: [Int]
            var timestep_count: Int
            var samples: String
            var model_inputs: String
            var model_outputs: String
            var pred_original: String
        }
        struct Conversion: Decodable {
            var source: JSONValue
            var target: String
            var overrides: JSONValue
            var config: [String: JSONValue]
            var timesteps_int: [Int]?
            var timesteps: String?
            var sigmas: String?
            var init_noise_sigma: Double
        }
        var meta: FixtureMeta
        var schedules: [Schedule]
        var alphas: [Alphas]
        var loops: [Loop]
        var conversions: [Conversion]
    }

    static let fixture: Result<SamplersFixture, any Error> = Result {
        try Fixtures.load(SamplersFixture.self, "samplers.json")
    }

    private func load() throws -> SamplersFixture { try Self.fixture.get() }

    static func doubles(_ base64: String) throws -> [Double] {
        guard let data = Data(base64Encoded: base64), data.count % 8 == 0 else { throw Fixtures.FixtureError.badBase64 }
        return stride(from: 0, to: data.count, by: 8).map { offset in
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(data[offset + k]) << (8 * k) }
            return Double(bitPattern: bits)
        }
    }

    private func decode(_ json: JSONValue, _ label: String) throws -> SchedulerConfig {
        try SchedulerConfig.decode(json.data, source: label)
    }

    /// Relative difference, floored at `floor` so values near 0 compare absolutely.
    private func relative(_ got: Float, _ want: Float, floor: Float = 1) -> Float {
        if got == want { return 0 }
        return abs(got - want) / max(abs(want), floor)
    }

    private func slice(_ values: [Float], _ index: Int, _ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, data: Array(values[(index * n)..<((index + 1) * n)]))
    }

    private func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape)
        return zip(a.data, b.data).map { $0 == $1 ? 0 : abs($0 - $1) }.max() ?? 0
    }

    // MARK: - Training schedules

    /// ᾱ over all 1000 training timesteps for linear, scaled_linear, squaredcos_cap_v2, the zero-SNR
    /// rescale and both CogVideoX configs. The Swift code repeats torch's float32 linspace (one
    /// fma per entry), float64-accumulated cumprod, and float64 (CogVideoX) arithmetic in the same
    /// order; squaredcos goes through libm's cos in float64. These are expected bit-equal; the bound
    /// is 2 float32 ulps (2.4e-7 relative) for the float32 schedules and 4 double ulps (9e-16) for
    /// CogVideoX, to allow a different libm cos rounding in one place only.
    /// The float32 zero-SNR rescale is the exception: torch's `Tensor.sqrt()` goes through MKL's
    /// vector math (measured: 182 of 1000 results 1 ulp from the correctly rounded sqrt Swift
    /// uses), and √ᾱ is squared and divided, so ᾱ may differ by up to ~4 ulps (6e-7 relative).
    /// Near t = T the rescale subtracts √ᾱ_T from nearly equal √ᾱ_t, so there the error is
    /// absolute, ~4 ulps of ᾱ at the 1e-2 scale: the comparison floors |ᾱ| at 1e-2. The float64
    /// CogVideoX rescale has the same cancellation (torch's double sqrt through MKL too):
    /// 4 double ulps (9e-16) with the same floor.
    func testTrainingAlphasMatchDiffusers() throws {
        let fixture = try load()
        XCTAssertEqual(fixture.meta.diffusers, "0.42.1")
        var bitEqual = 0, total = 0
        for item in fixture.alphas {
            let config = try decode(item.config, "samplers.json alphas")
            let scheduler = try makeScheduler(config: config, stepCount: 10, generator: TorchGenerator(seed: 0))
            if let wanted = item.alphas_cumprod {
                let want = try Fixtures.floats(wanted)
                let got: [Float]
                switch scheduler {
                case let s as DDIMScheduler: got = s.alphasCumprod
                default: return XCTFail("unexpected \(type(of: scheduler))")
                }
                XCTAssertEqual(got.count, want.count)
                let bound: Float = Self.isRescaledFloat32(item.config) ? 6e-7 : 2.4e-7
                for (g, w) in zip(got, want) {
                    let floor: Float = Self.isRescaledFloat32(item.config) ? 1e-2 : 1e-30
                    XCTAssertLessThanOrEqual(relative(g, w, floor: floor), bound, "\(item.config)")
                    bitEqual += g == w ? 1 : 0
                    total += 1
                }
            } else {
                let want = try Self.doubles(try XCTUnwrap(item.alphas_cumprod_f64))
                let got: [Double]
                switch scheduler {
                case let s as CogVideoXDDIMScheduler: got = s.alphasCumprod
                case let s as CogVideoXDPMScheduler: got = s.alphasCumprod
                default: return XCTFail("unexpected \(type(of: scheduler))")
                }
                XCTAssertEqual(got.count, want.count)
                for (g, w) in zip(got, want) {
                    XCTAssertLessThanOrEqual(g == w ? 0 : abs(g - w) / max(abs(w), 1e-2), 9e-16, "\(item.config)")
                    bitEqual += g == w ? 1 : 0
                    total += 1
                }
            }
        }
        print("SamplerTests alphas: \(bitEqual)/\(total) bit-equal")
    }

    // MARK: - Timesteps and sigmas

    /// Every class at N = 1, 2, 3, 10, 25, 50 (and the loop's N) for each loop config: integer
    /// timesteps exactly; float timesteps (Euler) and sigmas within `scheduleTolerance`.
    func testTimestepsAndSigmasMatchDiffusers() throws {
        let fixture = try load()
        XCTAssertGreaterThan(fixture.schedules.count, 100)
        var worstTimestep: Float = 0, worstSigma: Float = 0
        for item in fixture.schedules {
            let config = try decode(item.config, "samplers.json schedule")
            let label = "\(item.config) N=\(item.steps)"
            let scheduler = try makeScheduler(config: config, stepCount: item.steps, generator: TorchGenerator(seed: 0))
            let (timestep, sigma) = try compareSchedule(scheduler, timestepsInt: item.timesteps_int,
                                                        timesteps: item.timesteps, sigmas: item.sigmas,
                                                        initNoiseSigma: item.init_noise_sigma, label: label,
                                                        tolerance: Self.isRescaledFloat32(item.config)
                                                            ? Self.rescaledTolerance : scheduleTolerance)
            worstTimestep = max(worstTimestep, timestep)
            worstSigma = max(worstSigma, sigma)
        }
        print("SamplerTests schedules: worst relative timestep \(worstTimestep), sigma \(worstSigma)")
    }

    /// Whether a config rescales float32 betas to zero terminal SNR (not CogVideoX, which works in
    /// float64), so its ᾱ carries MKL's sqrt rounding (see testTrainingAlphasMatchDiffusers).
    static func isRescaledFloat32(_ config: JSONValue) -> Bool {
        guard case .object(let object) = config, object["rescale_betas_zero_snr"] == .bool(true),
              case .string(let name)? = object["_class_name"] else { return false }
        return !name.hasPrefix("CogVideoX")
    }

    /// With a rescaled float32 ᾱ (up to ~4 ulps off, above), σ = √((1 − ᾱ)/ᾱ) at t = 0 amplifies
    /// the difference by ᾱ/(2(1 − ᾱ)): ≈ 1.2e4 for squaredcos_cap_v2 (ᾱ₀ = 0.99996), so 4 ulps
    /// (2.4e-7) become 3e-3 relative on σ₀ (measured 1.45e-3); later steps inherit that through
    /// the sigmas. The same bound covers those configs' loops.
    static let rescaledTolerance: Float = 3e-3

    /// Float schedule values: set_timesteps is numpy float64 on float32 inputs, reproduced in the
    /// same order, then rounded to float32. What can differ is numpy's float32 `log` (its own SIMD
    /// routine) against libm's in `_sigma_to_t` for Karras timesteps, and libm `pow` — each a
    /// float64/float32 last-bit difference that moves a Karras timestep by ≲ 1e-4 of a step
    /// (relative ≲ 1e-6 of values up to 999). 4e-6 relative (≈ 32 float32 ulps) bounds that.
    let scheduleTolerance: Float = 4e-6

    private func compareSchedule(_ scheduler: any Scheduler, timestepsInt: [Int]?, timesteps: String?,
                                 sigmas: String?, initNoiseSigma: Double, label: String,
                                 tolerance: Float) throws -> (Float, Float) {
        var worstTimestep: Float = 0, worstSigma: Float = 0
        if let integers = timestepsInt {
            XCTAssertEqual(scheduler.timesteps, integers.map { Float($0) }, label)
        } else {
            let want = try Fixtures.floats(try XCTUnwrap(timesteps, label))
            XCTAssertEqual(scheduler.timesteps.count, want.count, label)
            for (g, w) in zip(scheduler.timesteps, want) {
                let r = relative(g, w)
                worstTimestep = max(worstTimestep, r)
                XCTAssertLessThanOrEqual(r, tolerance, label)
            }
        }
        XCTAssertEqual(scheduler.stepCount, scheduler.timesteps.count, label)
        if let sigmas {
            let want = try Fixtures.floats(sigmas)
            let schedule = try XCTUnwrap(scheduler as? any SigmaScheduler, label)
            XCTAssertEqual(schedule.sigmas.count, want.count, label)
            for (g, w) in zip(schedule.sigmas, want) {
                let r = relative(g, w, floor: 1e-3)
                worstSigma = max(worstSigma, r)
                XCTAssertLessThanOrEqual(r, tolerance, label)
            }
        }
        XCTAssertLessThanOrEqual(relative(scheduler.initNoiseSigma, Float(initNoiseSigma)), tolerance, label)
        return (worstTimestep, worstSigma)
    }

    // MARK: - Loops

    /// The scheduler of a loop fixture, with the generator in the state diffusers' pipeline hands
    /// to `step`: seeded, after drawing the initial noise. Returns the initial noise too.
    private func start(_ loop: SamplersFixture.Loop) throws -> (any Scheduler, Tensor) {
        let config = try decode(loop.config, "samplers.json loop")
        var generator = TorchGenerator(seed: loop.seed, kernel: .vectorized)
        let noise = generator.randn(loop.shape)
        let scheduler = try makeScheduler(config: config, stepCount: loop.steps, generator: generator)
        XCTAssertEqual(scheduler.timesteps.count, loop.timestep_count)
        let x = Tensor(shape: noise.shape, data: noise.data.map { $0 * scheduler.initNoiseSigma })
        return (scheduler, x)
    }

    /// Teacher-forced: every step gets diffusers' own sample and model output, so only scheduler
    /// arithmetic is compared — the scaled model input, the predicted x₀ and the next sample
    /// (with the noise drawn from the scheduler's own generator, bit-identical to torch's).
    ///
    /// Tolerance 1e-5 relative to max(|value|, 1): the float32 tensor operations are torch's, in
    /// torch's order, so an exact match is the norm. Differences come from scalars: float32 logf /
    /// expf (DPM λ, h) and float64 log / exp / expm1 (CogVideoX-DPM) in libm vs torch (≤ 1 ulp
    /// each), and float32 ᾱ rounding differences in x₀ = (x − √(1−ᾱ)ε)/√ᾱ at small ᾱ, where 1/√ᾱ
    /// reaches ~15 (ModelScope, t = 999) and ~70 for zero-terminal-SNR configs (ᾱ = 2⁻²⁴ … 0 gives
    /// x₀ amplification up to 4096 for epsilon; only v-prediction is used there). A 1-ulp scalar
    /// difference (6e-8) times coefficients up to ~100 gives ≤ 6e-6; and torch evaluates tensor
    /// `sqrt` / `log` / `exp` through MKL's vector math (≤ 1 ulp, not correctly rounded), which
    /// reaches the Euler sigmas (measured worst 8.6e-6). 2e-5 bounds it; zero-SNR float32 configs
    /// use `rescaledTolerance`.
    func testTeacherForcedLoopsMatchDiffusers() throws {
        let fixture = try load()
        XCTAssertGreaterThanOrEqual(fixture.loops.count, 25)
        var report: [String: Float] = [:]
        for loop in fixture.loops {
            var (scheduler, x) = try start(loop)
            let label = "\(loop.config) N=\(loop.steps)"
            let samples = try Fixtures.floats(loop.samples)
            let inputs = try Fixtures.floats(loop.model_inputs)
            let outputs = try Fixtures.floats(loop.model_outputs)
            let x0s = try Fixtures.floats(loop.pred_original)
            // The noise is bit-equal; init_noise_sigma (Euler: the largest σ) may be 1 ulp off.
            XCTAssertLessThanOrEqual(relativeDifference(x, slice(samples, 0, loop.shape)), 2.4e-7,
                                     "initial noise \(label)")
            var worst: Float = 0
            for i in 0..<scheduler.stepCount {
                let sample = slice(samples, i, loop.shape)
                let output = slice(outputs, i, loop.shape)
                let scaled = scheduler.scaleModelInput(sample, stepIndex: i)
                worst = max(worst, relativeDifference(scaled, slice(inputs, i, loop.shape)))
                let x0 = scheduler.predictedOriginalSample(modelOutput: output, stepIndex: i, sample: sample)
                worst = max(worst, relativeDifference(x0, slice(x0s, i, loop.shape)))
                let next = scheduler.step(modelOutput: output, stepIndex: i, sample: sample)
                worst = max(worst, relativeDifference(next, slice(samples, i + 1, loop.shape)))
                x = next
            }
            XCTAssertLessThanOrEqual(worst, Self.isRescaledFloat32(loop.config) ? Self.rescaledTolerance : 2e-5, label)
            let name = "\(type(of: scheduler))"
            report[name] = max(report[name] ?? 0, worst)
        }
        for (name, worst) in report.sorted(by: { $0.key < $1.key }) {
            print("SamplerTests teacher-forced \(name): worst relative |Δ| = \(worst)")
        }
    }

    /// `max |a − b| / max(|b|, 1)`.
    private func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape)
        var worst: Float = 0
        for (x, y) in zip(a.data, b.data) where x != y {
            worst = max(worst, abs(x - y) / max(abs(y), 1))
        }
        return worst
    }

    /// Free-running: the Swift loop runs its own fake model on its own samples from the same seed,
    /// as a pipeline would. Besides the scheduler differences above, tanh differs by ≤ 2 ulps
    /// between glibc and torch's Sleef (≤ 2.4e-7 per model call); with update coefficients of
    /// order 1 (x₀ amplification up to ~15 at the first epsilon step) over ≤ 20 steps these add
    /// to a few 1e-5 at most. 1e-4 relative to max(|value|, 1) is the bound.
    func testFreeRunningLoopsMatchDiffusers() throws {
        let fixture = try load()
        var report: [String: Float] = [:]
        for loop in fixture.loops {
            var (scheduler, x) = try start(loop)
            let label = "\(loop.config) N=\(loop.steps)"
            let samples = try Fixtures.floats(loop.samples)
            var worst: Float = 0
            for i in 0..<scheduler.stepCount {
                let input = scheduler.scaleModelInput(x, stepIndex: i)
                let output = LoopTests.fakeModel(input, timestep: scheduler.timesteps[i])
                x = scheduler.step(modelOutput: output, stepIndex: i, sample: x)
                worst = max(worst, relativeDifference(x, slice(samples, i + 1, loop.shape)))
            }
            XCTAssertEqual(scheduler.nextStepIndex, scheduler.stepCount)
            XCTAssertLessThanOrEqual(worst, 1e-4, label)
            let name = "\(type(of: scheduler))"
            report[name] = max(report[name] ?? 0, worst)
        }
        for (name, worst) in report.sorted(by: { $0.key < $1.key }) {
            print("SamplerTests free-running \(name): worst relative |Δ| = \(worst)")
        }
    }

    // MARK: - from_config

    /// `Target.from_config(source.config, **overrides)` against diffusers: the converted config's
    /// schedule at N = 10 must be diffusers'. The FlowMatch ↔ UniPC / DPM cases compare with
    /// diffusers given the shift (and flow mode) explicitly, which Zoetrope carries across itself.
    func testConversionsMatchDiffusersFromConfig() throws {
        let fixture = try load()
        XCTAssertGreaterThanOrEqual(fixture.conversions.count, 10)
        for item in fixture.conversions {
            let source = try decode(item.source, "samplers.json conversion")
            let target = try XCTUnwrap(SchedulerClass(rawValue: item.target))
            let label = "\(item.source) → \(item.target)"
            var overrides: [String: ConfigValue] = [:]
            if case .object(let object) = item.overrides {
                let shiftKeys: Set<String> = ["flow_shift", "shift", "use_flow_sigmas", "prediction_type"]
                for (key, value) in object where !shiftKeys.contains(key) {
                    overrides[key] = try JSONDecoder().decode(ConfigValue.self, from: value.data)
                }
            }
            let converted = try source.converted(to: target, overriding: overrides)
            XCTAssertEqual(converted.schedulerClass, target, label)
            if case .string(let spacing)? = item.config["timestep_spacing"], target != .flowMatchEulerDiscrete {
                XCTAssertEqual(converted.json["timestep_spacing"].flatMap { value -> String? in
                    if case .string(let s) = value { return s }
                    return nil
                } ?? Self.defaultSpacing(target), spacing, label)
            }
            if case .string(let prediction)? = item.config["prediction_type"] {
                XCTAssertEqual(converted.predictionType.rawValue, prediction, label)
            }
            let scheduler = try makeScheduler(config: converted, stepCount: 10, generator: TorchGenerator(seed: 0))
            _ = try compareSchedule(scheduler, timestepsInt: item.timesteps_int, timesteps: item.timesteps,
                                    sigmas: item.sigmas, initNoiseSigma: item.init_noise_sigma, label: label,
                                    tolerance: scheduleTolerance)
        }
    }

    private static func defaultSpacing(_ target: SchedulerClass) -> String {
        switch target {
        case .ddim, .ddpm, .cogVideoXDDIM, .cogVideoXDPM: return "leading"
        default: return "linspace"
        }
    }

    // MARK: - UniPC in VP mode

    /// Whether a fixture config is UniPC in VP mode (`use_flow_sigmas` absent or false).
    private static func isUniPCVP(_ config: JSONValue) -> Bool {
        guard case .object(let object) = config, object["_class_name"] == .string("UniPCMultistepScheduler") else {
            return false
        }
        return object["use_flow_sigmas"] == nil || object["use_flow_sigmas"] == .bool(false)
    }

    /// The UniPC VP cases are in the fixture (so a regeneration that loses them fails here) and
    /// their int64 timesteps are diffusers' exactly, at N = 1, 2, 10 and 25 among others. The
    /// generic tests above compare their sigmas (`scheduleTolerance`, or `rescaledTolerance` for
    /// the zero-SNR config), loops and conversions. UniPC's loops add these scalar sources to the
    /// ones listed at `testTeacherForcedLoopsMatchDiffusers`: α = 1/√(σ² + 1), σ_t = σ·α, λ = ln α −
    /// ln σ_t (logf), expm1f(±h) and the order-3 ρ from a 2×2 / 3×3 float32 solve (sgesv vs the
    /// same partial-pivoting elimination here) — each ≤ a few ulps, multiplied by coefficients of
    /// order 1 (ρ, B(h), φ) and by x₀'s 1/α ≤ 15 (ModelScope epsilon at t = 999), so ≤ ~1e-5: within
    /// the 2e-5 teacher-forced and 1e-4 free-running bounds (measured 1.7e-6 for both).
    func testUniPCVPCasesAreCoveredWithExactTimesteps() throws {
        let fixture = try load()
        let loops = fixture.loops.filter { Self.isUniPCVP($0.config) }
        XCTAssertGreaterThanOrEqual(loops.count, 11)
        XCTAssertTrue(loops.contains { if case .object(let o) = $0.config { return o["predict_x0"] == .bool(false) }
                                       return false })
        let schedules = fixture.schedules.filter { Self.isUniPCVP($0.config) }
        XCTAssertTrue(Set([1, 2, 10, 25]).isSubset(of: Set(schedules.map(\.steps))))
        for item in schedules {
            let label = "\(item.config) N=\(item.steps)"
            let config = try decode(item.config, "samplers.json schedule")
            let scheduler = try XCTUnwrap(try makeScheduler(config: config, stepCount: item.steps)
                                          as? UniPCMultistepScheduler, label)
            XCTAssertEqual(scheduler.integerTimesteps, try XCTUnwrap(item.timesteps_int, label).map { Int64($0) }, label)
            XCTAssertEqual(scheduler.sigmas.count, scheduler.stepCount + 1, label)
        }
        let conversions = fixture.conversions.filter { $0.target == SchedulerClass.uniPCMultistep.rawValue }
        XCTAssertGreaterThanOrEqual(conversions.count, 4)
    }

    /// The sampler name on an epsilon model reads its DDIM config as UniPC, as
    /// `UniPCMultistepScheduler.from_config(pipe.scheduler.config)` does: VP mode, epsilon,
    /// scaled_linear, diffusers' linspace timesteps.
    func testUniPCFromAnEpsilonConfig() throws {
        let modelScope = try SchedulerConfig.decode(Data(Self.modelScopeDDIM.utf8), source: "ms")
        let config = try SchedulerConfig.forSampler(.unipc, basedOn: modelScope)
        guard case .uniPCMultistep(let u) = config.classSettings else { return XCTFail("\(config)") }
        XCTAssertFalse(u.useFlowSigmas)
        XCTAssertEqual(u.predictionType, .epsilon)
        XCTAssertEqual(u.schedule.betaSchedule, .scaledLinear)
        XCTAssertEqual(u.timestepSpacing, .linspace)
        let scheduler = try makeScheduler(config: config, stepCount: 10)
        XCTAssertEqual(scheduler.timesteps, [999, 899, 799, 699, 599, 500, 400, 300, 200, 100])
        XCTAssertEqual(scheduler.predictionType, .epsilon)
        // Back to a flow model's config, UniPC stays in flow mode.
        let wan = try SchedulerConfig.decode(Data(ConfigTests.wanConfig.utf8), source: "wan")
        guard case .uniPCMultistep(let w) = try SchedulerConfig.forSampler(.unipc, basedOn: wan).classSettings else {
            return XCTFail("wan")
        }
        XCTAssertEqual(w, UniPCMultistepSchedulerConfig(flowShift: 3))
    }

    /// Settings diffusers accepts but this port refuses, each naming its key: the ones whose last
    /// step diffusers computes as NaN / ±inf with a zero final sigma, dynamic shifting outside flow
    /// mode, and the flow / VP mismatches.
    func testUniPCRefusesWhatItDoesNotMatch() throws {
        func assertRefused(_ keys: String, key: String, file: StaticString = #filePath, line: UInt = #line) {
            let text = #"{"_class_name": "UniPCMultistepScheduler", "# + keys + "}"
            XCTAssertThrowsError(try SchedulerConfig.decode(Data(text.utf8), source: "u"), file: file, line: line) {
                switch $0 as? SchedulerConfigError {
                case .unsupportedSetting(_, let k, _, _)?, .invalidValue(_, let k, _, _)?:
                    XCTAssertEqual(k, key, file: file, line: line)
                default:
                    XCTFail("\($0)", file: file, line: line)
                }
            }
        }
        assertRefused(#""solver_type": "bh1""#, key: "solver_type")
        assertRefused(#""lower_order_final": false"#, key: "lower_order_final")
        assertRefused(#""predict_x0": false"#, key: "predict_x0")
        assertRefused(#""use_dynamic_shifting": true"#, key: "use_dynamic_shifting")
        assertRefused(#""shift_terminal": 0.1"#, key: "shift_terminal")
        assertRefused(#""prediction_type": "flow_prediction""#, key: "use_flow_sigmas")
        assertRefused(#""use_flow_sigmas": true, "prediction_type": "epsilon""#, key: "prediction_type")
        assertRefused(#""use_flow_sigmas": true, "prediction_type": "flow_prediction", "use_karras_sigmas": true"#,
                      key: "use_karras_sigmas")
        assertRefused(#""use_flow_sigmas": true, "prediction_type": "flow_prediction", "solver_type": "bh1""#,
                      key: "solver_type")
        assertRefused(#""thresholding": true"#, key: "thresholding")
        assertRefused(#""use_exponential_sigmas": true"#, key: "use_exponential_sigmas")
        assertRefused(#""trained_betas": [0.1, 0.2]"#, key: "trained_betas")
        // With a non-zero final sigma the same settings are fine (and in the fixtures).
        for keys in [#""solver_type": "bh1""#, #""lower_order_final": false"#, #""predict_x0": false"#] {
            let text = #"{"_class_name": "UniPCMultistepScheduler", "final_sigmas_type": "sigma_min", "# + keys + "}"
            XCTAssertNoThrow(try SchedulerConfig.decode(Data(text.utf8), source: "u"), keys)
        }
    }

    // MARK: - Catalogue

    static let modelScopeDDIM = """
    {"_class_name": "DDIMScheduler", "_diffusers_version": "0.8.0", "beta_end": 0.012,
     "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": false,
     "num_train_timesteps": 1000, "prediction_type": "epsilon", "set_alpha_to_one": false,
     "skip_prk_steps": true, "steps_offset": 1, "trained_betas": null}
    """

    func testSamplerCatalogueFitsPredictionTypes() {
        XCTAssertEqual(SamplerName.fitting(.flowPrediction), [.dpmPlusPlus2M, .unipc, .flowEuler])
        XCTAssertEqual(SamplerName.fitting(.epsilon),
                       [.ddim, .ddpm, .dpmPlusPlus2M, .dpmPlusPlus2MKarras, .euler, .eulerAncestral, .unipc,
                        .cogVideoXDDIM, .cogVideoXDPM])
        XCTAssertEqual(SamplerName.fitting(.vPrediction), SamplerName.fitting(.epsilon))
        XCTAssertEqual(SamplerName(rawValue: "dpm++2m-karras"), .dpmPlusPlus2MKarras)
        XCTAssertEqual(SamplerName.allCases.map(\.rawValue),
                       ["ddim", "ddpm", "dpm++2m", "dpm++2m-karras", "euler", "euler-a", "unipc", "flow-euler",
                        "cogvideox-ddim", "cogvideox-dpm"])
    }

    func testForSamplerRefusesWhatDoesNotFitAndListsWhatDoes() throws {
        let wan = try SchedulerConfig.decode(Data(ConfigTests.wanConfig.utf8), source: "wan/scheduler_config.json")
        XCTAssertThrowsError(try SchedulerConfig.forSampler(.euler, basedOn: wan)) { error in
            let expected = SchedulerConfigError.samplerDoesNotFit(
                file: "wan/scheduler_config.json", sampler: "euler", predictionType: "flow_prediction",
                fitting: ["dpm++2m", "unipc", "flow-euler"])
            XCTAssertEqual(error as? SchedulerConfigError, expected)
            XCTAssertEqual("\(error)", "wan/scheduler_config.json: sampler \"euler\" cannot run a model whose "
                           + "prediction_type is \"flow_prediction\"; samplers that fit: dpm++2m, unipc, flow-euler")
        }
        let modelScope = try SchedulerConfig.decode(Data(Self.modelScopeDDIM.utf8), source: "ms/scheduler_config.json")
        XCTAssertThrowsError(try SchedulerConfig.forSampler(.flowEuler, basedOn: modelScope)) { error in
            guard case .samplerDoesNotFit(_, _, "epsilon", let fitting)? = error as? SchedulerConfigError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(fitting.first, "ddim")
        }
    }

    func testForSamplerBuildsTheNamedClass() throws {
        let modelScope = try SchedulerConfig.decode(Data(Self.modelScopeDDIM.utf8), source: "ms")
        let karras = try SchedulerConfig.forSampler(.dpmPlusPlus2MKarras, basedOn: modelScope)
        guard case .dpmSolverMultistep(let dpm) = karras.classSettings else { return XCTFail("\(karras)") }
        XCTAssertTrue(dpm.useKarrasSigmas)
        XCTAssertEqual(dpm.solverOrder, 2)
        XCTAssertEqual(dpm.schedule.betaSchedule, .scaledLinear)
        XCTAssertEqual(dpm.timestepSpacing, .linspace)  // DDIM's "leading" was a default, not in the file
        // DPM++2M from the ModelScope (DDIM, scaled-linear) config, as diffusers 0.42.1 builds it.
        let plain = try makeScheduler(config: try SchedulerConfig.forSampler(.dpmPlusPlus2M, basedOn: modelScope),
                                      stepCount: 10)
        XCTAssertEqual(plain.timesteps, [999, 899, 799, 699, 599, 500, 400, 300, 200, 100])
        let ddim = try makeScheduler(config: modelScope, stepCount: 10)
        XCTAssertEqual(ddim.timesteps, [901, 801, 701, 601, 501, 401, 301, 201, 101, 1])

        // Flow: UniPC's flow_shift becomes FlowMatch's shift and back.
        let wan = try SchedulerConfig.decode(Data(ConfigTests.wanConfig.utf8), source: "wan")
        let flowEuler = try SchedulerConfig.forSampler(.flowEuler, basedOn: wan)
        guard case .flowMatchEulerDiscrete(let fm) = flowEuler.classSettings else { return XCTFail("\(flowEuler)") }
        XCTAssertEqual(fm.shift, 3)
        var easyAnimate = FlowMatchEulerDiscreteSchedulerConfig()
        easyAnimate.shift = 7
        let flowMatch = try SchedulerConfig.decode(Data(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 7.0}"#.utf8),
                                                   source: "fm")
        let uniPC = try SchedulerConfig.forSampler(.unipc, basedOn: flowMatch)
        guard case .uniPCMultistep(let u) = uniPC.classSettings else { return XCTFail("\(uniPC)") }
        XCTAssertEqual(u.flowShift, 7)
        let dpmFlow = try SchedulerConfig.forSampler(.dpmPlusPlus2M, basedOn: wan)
        guard case .dpmSolverMultistep(let d) = dpmFlow.classSettings else { return XCTFail("\(dpmFlow)") }
        XCTAssertTrue(d.useFlowSigmas)
        XCTAssertEqual(d.flowShift, 3)
        XCTAssertEqual(d.predictionType, .flowPrediction)
    }

    func testStochasticSamplersNeedAGenerator() throws {
        let modelScope = try SchedulerConfig.decode(Data(Self.modelScopeDDIM.utf8), source: "ms")
        for name in [SamplerName.ddpm, .eulerAncestral, .cogVideoXDPM] {
            let config = try SchedulerConfig.forSampler(name, basedOn: modelScope)
            XCTAssertTrue(config.schedulerClass.isStochastic)
            XCTAssertThrowsError(try makeScheduler(config: config, stepCount: 4)) { error in
                XCTAssertEqual(error as? SchedulerConfigError,
                               .missingGenerator(file: "ms", schedulerClass: name.schedulerClass.rawValue))
            }
            XCTAssertNoThrow(try makeScheduler(config: config, stepCount: 4, generator: TorchGenerator(seed: 1)))
        }
    }

    func testRefusedSettingsNameTheKey() {
        func assertUnsupported(_ text: String, key: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try SchedulerConfig.decode(Data(text.utf8), source: "c"), file: file, line: line) {
                guard case .unsupportedSetting(_, let k, _, _)? = $0 as? SchedulerConfigError else {
                    return XCTFail("\($0)", file: file, line: line)
                }
                XCTAssertEqual(k, key, file: file, line: line)
            }
        }
        assertUnsupported(#"{"_class_name": "DDIMScheduler", "thresholding": true}"#, key: "thresholding")
        assertUnsupported(#"{"_class_name": "DDPMScheduler", "variance_type": "learned_range"}"#, key: "variance_type")
        assertUnsupported(#"{"_class_name": "DPMSolverMultistepScheduler", "algorithm_type": "sde-dpmsolver++"}"#,
                          key: "algorithm_type")
        assertUnsupported(#"{"_class_name": "EulerDiscreteScheduler", "use_exponential_sigmas": true}"#,
                          key: "use_exponential_sigmas")
        assertUnsupported(#"{"_class_name": "DDIMScheduler", "prediction_type": "flow_prediction"}"#,
                          key: "prediction_type")
        assertUnsupported(#"{"_class_name": "CogVideoXDDIMScheduler", "beta_schedule": "linear"}"#,
                          key: "beta_schedule")
    }

    /// diffusers writes `lambda_min_clipped: -Infinity` (bare) in DPM-Solver configs.
    func testReadsInfinityAndKeepsItThroughConversion() throws {
        let text = #"{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity}"#
        let config = try SchedulerConfig.decode(Data(text.utf8), source: "dpm")
        guard case .dpmSolverMultistep(let dpm) = config.classSettings else { return XCTFail("\(config)") }
        XCTAssertEqual(dpm.lambdaMinClipped, -.infinity)
        let back = try config.converted(to: .eulerDiscrete).converted(to: .dpmSolverMultistep)
        XCTAssertEqual(back.classSettings, config.classSettings)
    }
}
