import Foundation
import XCTest
import TensorCore
@testable import Schedulers

final class ConfigTests: XCTestCase {
    /// Wan 2.1's hub scheduler_config.json (Wan-AI/Wan2.1-T2V-1.3B-Diffusers).
    static let wanConfig = """
    {"_class_name": "UniPCMultistepScheduler", "_diffusers_version": "0.33.0.dev0",
     "beta_end": 0.02, "beta_schedule": "linear", "beta_start": 0.0001, "disable_corrector": [],
     "dynamic_thresholding_ratio": 0.995, "final_sigmas_type": "zero", "flow_shift": 3.0,
     "lower_order_final": true, "num_train_timesteps": 1000, "predict_x0": true,
     "prediction_type": "flow_prediction", "rescale_betas_zero_snr": false, "sample_max_value": 1.0,
     "solver_order": 2, "solver_p": null, "solver_type": "bh2", "steps_offset": 0,
     "thresholding": false, "timestep_spacing": "linspace", "trained_betas": null,
     "use_beta_sigmas": false, "use_exponential_sigmas": false, "use_flow_sigmas": true,
     "use_karras_sigmas": false}
    """

    private func decode(_ text: String) throws -> SchedulerConfig {
        try SchedulerConfig.decode(Data(text.utf8), source: "test/scheduler_config.json")
    }

    private func assertError(_ text: String, _ expected: SchedulerConfigError,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(text), file: file, line: line) { error in
            XCTAssertEqual(error as? SchedulerConfigError, expected, "\(error)", file: file, line: line)
        }
    }

    func testDecodesWanConfig() throws {
        let config = try decode(Self.wanConfig)
        guard case .uniPCMultistep(let settings) = config.classSettings else { return XCTFail("\(config)") }
        XCTAssertEqual(settings, UniPCMultistepSchedulerConfig(flowShift: 3))
        XCTAssertEqual(config.schedulerClass, .uniPCMultistep)
        let scheduler = try makeScheduler(config: config, stepCount: 50)
        XCTAssertEqual(scheduler.timesteps.count, 50)
        XCTAssertEqual(try XCTUnwrap(scheduler as? any SigmaScheduler).sigmas.count, 51)
        XCTAssertEqual(scheduler.initNoiseSigma, 1)
    }

    func testFlowMatchDefaultsAndKeys() throws {
        let config = try decode("""
        {"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 7.0, "use_dynamic_shifting": true,
         "base_shift": 0.4, "max_shift": 1.2, "base_image_seq_len": 100, "max_image_seq_len": 1100,
         "time_shift_type": "linear", "invert_sigmas": false, "shift_terminal": null}
        """)
        guard case .flowMatchEulerDiscrete(let s) = config.classSettings else { return XCTFail("\(config)") }
        XCTAssertEqual(s.shift, 7)
        XCTAssertTrue(s.useDynamicShifting)
        XCTAssertEqual(s.timeShiftType, .linear)
        XCTAssertEqual(s.trainTimestepCount, 1000)
        XCTAssertEqual(s.calculateShift(imageSequenceLength: 600), 0.8, accuracy: 1e-12)
    }

    func testUnknownClassName() {
        assertError(#"{"_class_name": "PNDMScheduler"}"#,
                    .unknownClassName(file: "test/scheduler_config.json", name: "PNDMScheduler",
                                      supported: SchedulerClass.allCases.map(\.rawValue)))
    }

    func testMissingClassName() {
        assertError(#"{"shift": 3.0}"#, .missingKey(file: "test/scheduler_config.json", key: "_class_name"))
    }

    func testInvalidEnumValueNamesChoices() {
        assertError(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "time_shift_type": "cubic"}"#,
                    .invalidValue(file: "test/scheduler_config.json", key: "time_shift_type", value: "\"cubic\"",
                                  expected: "one of \"exponential\", \"linear\""))
    }

    func testWrongTypeNamesKey() throws {
        XCTAssertThrowsError(try decode(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": "big"}"#)) {
            guard case .invalidValue(let file, let key, _, _)? = $0 as? SchedulerConfigError else {
                return XCTFail("\($0)")
            }
            XCTAssertEqual(file, "test/scheduler_config.json")
            XCTAssertEqual(key, "shift")
        }
    }

    func testUnsupportedSettings() {
        let epsilon = Self.wanConfig
            .replacingOccurrences(of: "\"use_flow_sigmas\": true", with: "\"use_flow_sigmas\": false")
        assertError(epsilon, .unsupportedSetting(file: "test/scheduler_config.json", key: "use_flow_sigmas",
                                                 value: "false", supported: "true (flow mode only)"))
        assertError(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "stochastic_sampling": true}"#,
                    .unsupportedSetting(file: "test/scheduler_config.json", key: "stochastic_sampling",
                                        value: "true", supported: "false"))
        assertError(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "use_karras_sigmas": true}"#,
                    .unsupportedSetting(file: "test/scheduler_config.json", key: "use_karras_sigmas",
                                        value: "true", supported: "false"))
    }

    func testFlowShiftWithoutATimestepIsAnErrorNotACrash() throws {
        // UniPC's flow_shift 0 made σ = 0/0 at the first step, and converting that NaN to an
        // integer timestep trapped (found by the config fuzzer). Making the scheduler now throws,
        // naming the key; a pipeline rejects such a shift before this (GenerateCommandTests).
        for shift in ["0.0", "-0.0"] {
            let unipc = try decode(Self.wanConfig.replacingOccurrences(of: "\"flow_shift\": 3.0",
                                                                       with: "\"flow_shift\": \(shift)"))
            XCTAssertThrowsError(try makeScheduler(config: unipc, stepCount: 10)) {
                guard case .invalidValue(_, let key, let value, _)? = $0 as? SchedulerConfigError else {
                    return XCTFail("\($0)")
                }
                XCTAssertEqual(key, "flow_shift")
                XCTAssertEqual(value, shift)
            }
        }
    }

    func testFlowMatchShiftWithNaNSigmasIsAnError() throws {
        // FlowMatchEuler's shift 0 gives σ = 0/0 from the first training sigma on, and a mu past
        // Double's exponent range makes e^μ infinite: diffusers runs either to a NaN clip. Making
        // the scheduler throws instead, naming the key and its value.
        for shift in ["0.0", "-0.0"] {
            let config = try decode(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": \#(shift)}"#)
            XCTAssertThrowsError(try makeScheduler(config: config, stepCount: 10)) {
                guard case .invalidValue(let file, let key, let value, _)? = $0 as? SchedulerConfigError else {
                    return XCTFail("\($0)")
                }
                XCTAssertEqual(file, "test/scheduler_config.json")
                XCTAssertEqual(key, "shift")
                XCTAssertEqual(value, shift)
            }
        }
        let dynamic = try decode(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "use_dynamic_shifting": true}"#)
        XCTAssertThrowsError(try makeScheduler(config: dynamic, stepCount: 10, mu: 1000)) {
            guard case .invalidValue(_, let key, let value, _)? = $0 as? SchedulerConfigError else {
                return XCTFail("\($0)")
            }
            XCTAssertEqual(key, "mu")
            XCTAssertEqual(value, "1000.0")
        }
        // A shift that is merely unusual still makes a schedule, as in diffusers.
        let half = try decode(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 0.5}"#)
        XCTAssertNoThrow(try makeScheduler(config: half, stepCount: 10))
    }

    func testMalformedJSON() {
        XCTAssertThrowsError(try decode("{not json")) {
            guard case .malformed(let file, _)? = $0 as? SchedulerConfigError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, "test/scheduler_config.json")
        }
    }

    func testMissingMuAndBadStepCount() throws {
        let config = try decode(#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "use_dynamic_shifting": true}"#)
        XCTAssertThrowsError(try makeScheduler(config: config, stepCount: 10)) {
            XCTAssertEqual($0 as? SchedulerConfigError, .missingMu(file: "test/scheduler_config.json"))
        }
        XCTAssertThrowsError(try makeScheduler(config: config, stepCount: 0, mu: 1)) {
            XCTAssertEqual($0 as? SchedulerConfigError,
                           .invalidStepCount(file: "test/scheduler_config.json", stepCount: 0))
        }
    }

    func testLoadNamesMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/scheduler_config.json")
        XCTAssertThrowsError(try SchedulerConfig.load(contentsOf: url)) {
            guard case .unreadable(let file, _)? = $0 as? SchedulerConfigError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, url.path)
        }
    }

    func testErrorDescriptionsNameFileAndKey() {
        let error = SchedulerConfigError.invalidValue(file: "a/scheduler_config.json", key: "solver_order",
                                                      value: "7", expected: "1, 2 or 3")
        XCTAssertTrue(error.description.contains("a/scheduler_config.json"))
        XCTAssertTrue(error.description.contains("solver_order"))
        XCTAssertTrue(error.description.contains("7"))
    }
}

final class GuidanceTests: XCTestCase {
    func testFormula() {
        let uncond = Tensor(shape: [2, 2], data: [1, -2, 0.5, 3])
        let cond = Tensor(shape: [2, 2], data: [2, 2, 0.5, -1])
        let out = classifierFreeGuidance(uncond: uncond, cond: cond, scale: 5)
        XCTAssertEqual(out.shape, [2, 2])
        // u + 5(c − u): 1+5, −2+20, 0.5+0, 3−20 (all exact in float32)
        XCTAssertEqual(out.data, [6, 18, 0.5, -17])
    }

    func testScaleOneIsCondAndZeroIsUncond() {
        let uncond = Tensor(shape: [3], data: [0.25, -1, 4])
        let cond = Tensor(shape: [3], data: [1, 2, -8])
        XCTAssertEqual(classifierFreeGuidance(uncond: uncond, cond: cond, scale: 1).data, cond.data)
        XCTAssertEqual(classifierFreeGuidance(uncond: uncond, cond: cond, scale: 0).data, uncond.data)
    }
}

final class ShiftTerminalTests: XCTestCase {
    /// Issue #19 item 5: `"shift_terminal": 0.1` with one step made NaN sigmas (diffusers too) and
    /// UniPC trapped converting NaN to its integer timestep. Now a clear error naming the key.
    func testShiftTerminalThatStretchesToNaNIsRefused() throws {
        let configs = [
            #"{"_class_name": "UniPCMultistepScheduler", "prediction_type": "flow_prediction", "use_flow_sigmas": true, "flow_shift": 3.0, "shift_terminal": 0.1}"#,
            #"{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0, "shift_terminal": 0.1}"#,
            #"{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0, "shift_terminal": 1.0}"#,
        ]
        for text in configs {
            let config = try SchedulerConfig.decode(Data(text.utf8), source: "test/scheduler_config.json")
            let steps = text.contains("1.0}") ? 10 : 1
            XCTAssertThrowsError(try makeScheduler(config: config, stepCount: steps), text) { error in
                guard case .invalidValue(_, let key, _, _)? = error as? SchedulerConfigError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(key, "shift_terminal")
            }
            if steps == 1 { XCTAssertNoThrow(try makeScheduler(config: config, stepCount: 2), text) }
        }
    }

    /// Found by tools/fuzz/run.sh config: a key that is not valid UTF-8 made Foundation's JSON5
    /// scanner trap (SIGILL) instead of throwing.
    func testAConfigThatIsNotUTF8IsAnErrorNotATrap() {
        var bytes = Array(#"{"_class_name": "DDIMScheduler", "num_train_timesteps": 1000, ""#.utf8)
        bytes += [0xFF, 0xC3, 0x28]
        bytes += Array(#"": 1}"#.utf8)
        XCTAssertThrowsError(try SchedulerConfig.decode(Data(bytes), source: "bad/scheduler_config.json")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("bad/scheduler_config.json") && message.contains("not UTF-8")
                          && message.contains("offset 63"), message)
        }
        XCTAssertNil(firstInvalidUTF8Offset(Data("ok ✓ 猫".utf8)))
        XCTAssertEqual(firstInvalidUTF8Offset(Data([0x61, 0xE2, 0x9C])), 1, "a cut-off sequence")
    }
}
