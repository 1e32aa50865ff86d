// Settings of diffusers/schedulers/scheduling_unipc_multistep.py, class UniPCMultistepScheduler
// (diffusers 0.42.1): the keys and defaults of its `__init__`.

/// `prediction_type`: what the model predicts.
public enum PredictionType: String, Sendable, CaseIterable {
    case epsilon
    case sample
    case vPrediction = "v_prediction"
    case flowPrediction = "flow_prediction"
}

/// `solver_type` of UniPC: the `B(h)` used by the predictor and corrector.
public enum UniPCSolverType: String, Sendable, CaseIterable {
    /// `B(h) = −h` (recommended below 10 steps by the UniPC authors).
    case bh1
    /// `B(h) = expm1(−h)`.
    case bh2
}

/// `final_sigmas_type`: the sigma after the last step.
public enum FinalSigmasType: String, Sendable, CaseIterable {
    case zero
    case sigmaMin = "sigma_min"
}

/// `beta_schedule` (unused in flow mode, decoded so configs round-trip and are checked).
public enum BetaSchedule: String, Sendable, CaseIterable {
    case linear
    case scaledLinear = "scaled_linear"
    case squaredCosCapV2 = "squaredcos_cap_v2"
}

/// `timestep_spacing` (unused in flow mode).
public enum TimestepSpacing: String, Sendable, CaseIterable {
    case linspace, leading, trailing
}

/// Settings of `UniPCMultistepScheduler`. Only flow mode is implemented: decoding throws
/// `unsupportedSetting` unless `use_flow_sigmas` is true, `prediction_type` is
/// `flow_prediction` and `predict_x0` is true, and throws for karras/exponential/beta sigmas,
/// thresholding, `solver_p` and `trained_betas`.
public struct UniPCMultistepSchedulerConfig: Decodable, Sendable, Equatable {
    /// `num_train_timesteps`.
    public var trainTimestepCount: Int = 1000
    /// `beta_start`, `beta_end`, `beta_schedule` (not used in flow mode).
    public var betaStart: Double = 0.0001
    public var betaEnd: Double = 0.02
    public var betaSchedule: BetaSchedule = .linear
    /// `solver_order`: how many past model outputs the multistep update uses (1…3 here).
    public var solverOrder: Int = 2
    /// `prediction_type` (must be `flow_prediction`).
    public var predictionType: PredictionType = .flowPrediction
    /// `solver_type`.
    public var solverType: UniPCSolverType = .bh2
    /// `lower_order_final`: use lower orders for the last steps.
    public var lowerOrderFinal: Bool = true
    /// `disable_corrector`: step indices whose corrector is skipped.
    public var disableCorrector: [Int] = []
    /// `flow_shift`: `σ' = sσ / (1 + (s − 1)σ)`.
    public var flowShift: Double = 1.0
    /// `final_sigmas_type`.
    public var finalSigmasType: FinalSigmasType = .zero
    /// `use_dynamic_shifting` with `time_shift_type`: shift by `mu` instead of `flow_shift`.
    public var useDynamicShifting: Bool = false
    public var timeShiftType: TimeShiftType = .exponential
    /// `shift_terminal`.
    public var shiftTerminal: Double? = nil
    /// `timestep_spacing`, `steps_offset` (not used in flow mode).
    public var timestepSpacing: TimestepSpacing = .linspace
    public var stepsOffset: Int = 0

    /// The Wan 2.1 hub config with `flow_shift` = `flowShift`.
    public init(flowShift: Double = 3.0) {
        self.flowShift = flowShift
    }

    enum CodingKeys: String, CodingKey {
        case trainTimestepCount = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case solverOrder = "solver_order"
        case predictionType = "prediction_type"
        case thresholding
        case predictX0 = "predict_x0"
        case solverType = "solver_type"
        case lowerOrderFinal = "lower_order_final"
        case disableCorrector = "disable_corrector"
        case solverP = "solver_p"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case useFlowSigmas = "use_flow_sigmas"
        case flowShift = "flow_shift"
        case timestepSpacing = "timestep_spacing"
        case stepsOffset = "steps_offset"
        case finalSigmasType = "final_sigmas_type"
        case useDynamicShifting = "use_dynamic_shifting"
        case timeShiftType = "time_shift_type"
        case shiftTerminal = "shift_terminal"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trainTimestepCount = try c.value(.trainTimestepCount, default: 1000)
        betaStart = try c.value(.betaStart, default: 0.0001)
        betaEnd = try c.value(.betaEnd, default: 0.02)
        betaSchedule = try c.choice(.betaSchedule, default: .linear)
        solverOrder = try c.value(.solverOrder, default: 2)
        predictionType = try c.choice(.predictionType, default: .epsilon)
        // diffusers maps the DPM-Solver names "midpoint", "heun", "logrho" to bh2.
        if let text = try c.decodeIfPresent(String.self, forKey: .solverType),
           ["midpoint", "heun", "logrho"].contains(text) {
            solverType = .bh2
        } else {
            solverType = try c.choice(.solverType, default: .bh2)
        }
        lowerOrderFinal = try c.value(.lowerOrderFinal, default: true)
        disableCorrector = try c.value(.disableCorrector, default: [])
        flowShift = try c.value(.flowShift, default: 1.0)
        timestepSpacing = try c.choice(.timestepSpacing, default: .linspace)
        stepsOffset = try c.value(.stepsOffset, default: 0)
        finalSigmasType = try c.choice(.finalSigmasType, default: .zero)
        useDynamicShifting = try c.value(.useDynamicShifting, default: false)
        timeShiftType = try c.choice(.timeShiftType, default: .exponential)
        shiftTerminal = try c.decodeIfPresent(Double.self, forKey: .shiftTerminal)

        let useFlowSigmas = try c.value(.useFlowSigmas, default: false)
        let predictX0 = try c.value(.predictX0, default: true)
        if !useFlowSigmas {
            throw SchedulerConfigError.unsupportedSetting(
                file: "", key: "use_flow_sigmas", value: "false", supported: "true (flow mode only)")
        }
        if predictionType != .flowPrediction {
            throw SchedulerConfigError.unsupportedSetting(
                file: "", key: "prediction_type", value: "\"\(predictionType.rawValue)\"",
                supported: "\"flow_prediction\" (flow mode only)")
        }
        if !predictX0 {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: "predict_x0", value: "false", supported: "true")
        }
        try c.requireFalse(.thresholding)
        try c.requireFalse(.useKarrasSigmas)
        try c.requireFalse(.useExponentialSigmas)
        try c.requireFalse(.useBetaSigmas)
        try c.requireNull(.solverP)
        try c.requireNull(.trainedBetas)
        if !(1...3).contains(solverOrder) {
            throw SchedulerConfigError.invalidValue(file: "", key: "solver_order", value: "\(solverOrder)",
                                                    expected: "1, 2 or 3")
        }
        if trainTimestepCount < 1 {
            throw SchedulerConfigError.invalidValue(file: "", key: "num_train_timesteps",
                                                    value: "\(trainTimestepCount)", expected: "an integer ≥ 1")
        }
    }
}
