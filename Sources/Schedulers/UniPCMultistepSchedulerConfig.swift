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

/// `beta_schedule`: the training noise schedule of the DDPM-family schedulers.
public enum BetaSchedule: String, Sendable, CaseIterable {
    case linear
    case scaledLinear = "scaled_linear"
    case squaredCosCapV2 = "squaredcos_cap_v2"
}

/// `timestep_spacing`: how the inference timesteps are picked from the training ones.
public enum TimestepSpacing: String, Sendable, CaseIterable {
    case linspace, leading, trailing
}

/// Settings of `UniPCMultistepScheduler`.
///
/// Two modes, as in diffusers:
/// - flow (`use_flow_sigmas` true, as Wan 2.1 configures it): `prediction_type` must be
///   `flow_prediction` and `predict_x0` true; `flow_shift`, dynamic shifting and `shift_terminal`
///   apply; Karras sigmas are refused.
/// - VP (`use_flow_sigmas` false): `prediction_type` epsilon, v_prediction or sample on the
///   training schedule (`beta_*`, `rescale_betas_zero_snr`), spaced by `timestep_spacing` or by
///   Karras sigmas; `predict_x0` true (data prediction) or false (noise prediction).
///
/// Refused in both (`unsupportedSetting`): thresholding, exponential / beta sigmas, `solver_p`,
/// `trained_betas`; in VP mode also dynamic shifting (diffusers ignores it there); and, with
/// `final_sigmas_type` "zero", the settings whose last step diffusers computes as NaN or ±inf
/// (`solver_type` bh1, `lower_order_final` false at order ≥ 2, `predict_x0` false).
public struct UniPCMultistepSchedulerConfig: Decodable, Sendable, Equatable {
    /// The training schedule (`num_train_timesteps`, `beta_*`, `rescale_betas_zero_snr`); in flow
    /// mode only `num_train_timesteps` is used.
    public var schedule = BetaScheduleConfig()
    /// `solver_order`: how many past model outputs the multistep update uses (1…3 here).
    public var solverOrder = 2
    /// `prediction_type`.
    public var predictionType = PredictionType.epsilon
    /// `predict_x0`: the solver works on data predictions x₀ (UniPC's default) rather than noise.
    public var predictX0 = true
    /// `solver_type`.
    public var solverType = UniPCSolverType.bh2
    /// `lower_order_final`: use lower orders for the last steps.
    public var lowerOrderFinal = true
    /// `disable_corrector`: step indices whose corrector is skipped.
    public var disableCorrector: [Int] = []
    /// `use_karras_sigmas` (VP mode), with `sigma_min` / `sigma_max` overriding the ends of the
    /// Karras range (nil: the training sigmas' ends).
    public var useKarrasSigmas = false
    public var sigmaMin: Double? = nil
    public var sigmaMax: Double? = nil
    /// `use_flow_sigmas`: flow-matching sigmas `σ' = sσ / (1 + (s − 1)σ)` with `s` = `flow_shift`.
    public var useFlowSigmas = false
    public var flowShift = 1.0
    /// `final_sigmas_type`.
    public var finalSigmasType = FinalSigmasType.zero
    /// `use_dynamic_shifting` with `time_shift_type` (flow mode): shift by `mu` instead of `flow_shift`.
    public var useDynamicShifting = false
    public var timeShiftType = TimeShiftType.exponential
    /// `shift_terminal` (flow mode).
    public var shiftTerminal: Double? = nil
    /// `timestep_spacing`, `steps_offset` (VP mode without Karras sigmas).
    public var timestepSpacing = TimestepSpacing.linspace
    public var stepsOffset = 0

    /// diffusers' defaults: VP mode, epsilon prediction, linear betas.
    public init() {}

    /// The Wan 2.1 hub config (flow mode) with `flow_shift` = `flowShift`.
    public init(flowShift: Double = 3.0) {
        self.useFlowSigmas = true
        self.predictionType = .flowPrediction
        self.flowShift = flowShift
    }

    enum CodingKeys: String, CodingKey {
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
        case sigmaMin = "sigma_min"
        case sigmaMax = "sigma_max"
        case shiftTerminal = "shift_terminal"
    }

    public init(from decoder: any Decoder) throws {
        schedule = try BetaScheduleConfig(from: decoder, defaults: BetaScheduleConfig())
        let c = try decoder.container(keyedBy: CodingKeys.self)
        solverOrder = try c.value(.solverOrder, default: 2)
        predictionType = try c.choice(.predictionType, default: .epsilon)
        predictX0 = try c.value(.predictX0, default: true)
        // diffusers maps the DPM-Solver names "midpoint", "heun", "logrho" to bh2.
        if let text = try c.decodeIfPresent(String.self, forKey: .solverType),
           ["midpoint", "heun", "logrho"].contains(text) {
            solverType = .bh2
        } else {
            solverType = try c.choice(.solverType, default: .bh2)
        }
        lowerOrderFinal = try c.value(.lowerOrderFinal, default: true)
        disableCorrector = try c.value(.disableCorrector, default: [])
        useKarrasSigmas = try c.value(.useKarrasSigmas, default: false)
        sigmaMin = try c.decodeIfPresent(Double.self, forKey: .sigmaMin)
        sigmaMax = try c.decodeIfPresent(Double.self, forKey: .sigmaMax)
        useFlowSigmas = try c.value(.useFlowSigmas, default: false)
        flowShift = try c.value(.flowShift, default: 1.0)
        timestepSpacing = try c.choice(.timestepSpacing, default: .linspace)
        stepsOffset = try c.value(.stepsOffset, default: 0)
        finalSigmasType = try c.choice(.finalSigmasType, default: .zero)
        useDynamicShifting = try c.value(.useDynamicShifting, default: false)
        timeShiftType = try c.choice(.timeShiftType, default: .exponential)
        shiftTerminal = try c.decodeIfPresent(Double.self, forKey: .shiftTerminal)

        if useFlowSigmas {
            if predictionType != .flowPrediction {
                throw SchedulerConfigError.unsupportedSetting(
                    file: "", key: "prediction_type", value: "\"\(predictionType.rawValue)\"",
                    supported: "\"flow_prediction\" when use_flow_sigmas is true")
            }
            if !predictX0 {
                // diffusers raises for flow_prediction with predict_x0 false.
                throw SchedulerConfigError.unsupportedSetting(
                    file: "", key: "predict_x0", value: "false", supported: "true when use_flow_sigmas is true")
            }
            try c.requireFalse(.useKarrasSigmas)
        } else {
            if predictionType == .flowPrediction {
                // diffusers would mix flow x₀ with VP sigmas; flow prediction needs flow sigmas.
                throw SchedulerConfigError.unsupportedSetting(
                    file: "", key: "use_flow_sigmas", value: "false", supported: "true (flow mode only)")
            }
            if shiftTerminal != nil {
                throw SchedulerConfigError.invalidValue(
                    file: "", key: "shift_terminal", value: "\(shiftTerminal ?? 0)",
                    expected: "null unless use_flow_sigmas is true (diffusers raises)")
            }
            if useDynamicShifting {
                throw SchedulerConfigError.unsupportedSetting(
                    file: "", key: "use_dynamic_shifting", value: "true", supported: "false unless use_flow_sigmas is true")
            }
        }
        // Combinations whose last step diffusers 0.42.1 computes as NaN or ±inf (λ = +∞ at a final
        // sigma of 0): refused rather than reproduced, or silently replaced by the finite limit.
        if finalSigmasType == .zero {
            let why = "with final_sigmas_type \"zero\" diffusers 0.42.1 returns a non-finite last step"
            if solverType == .bh1 {
                // The first-order predictor multiplies B(h) = −h = −∞ by its zero residual: NaN.
                throw SchedulerConfigError.unsupportedSetting(
                    file: "", key: "solver_type", value: "\"bh1\"",
                    supported: "\"bh2\", or final_sigmas_type \"sigma_min\" (\(why))")
            }
            if !lowerOrderFinal && solverOrder >= 2 {
                // A multistep last step divides by r = (λ_s1 − λ_s0)/h = 0: ±inf.
                throw SchedulerConfigError.unsupportedSetting(
                    file: "", key: "lower_order_final", value: "false",
                    supported: "true, or final_sigmas_type \"sigma_min\" (\(why))")
            }
            if !predictX0 {
                // Noise prediction scales ε by σ_t·expm1(h) = 0·∞: NaN.
                throw SchedulerConfigError.unsupportedSetting(
                    file: "", key: "predict_x0", value: "false",
                    supported: "true, or final_sigmas_type \"sigma_min\" (\(why))")
            }
        }
        try c.requireFalse(.thresholding)
        try c.requireFalse(.useExponentialSigmas)
        try c.requireFalse(.useBetaSigmas)
        try c.requireNull(.solverP)
        if !(1...3).contains(solverOrder) {
            throw SchedulerConfigError.invalidValue(file: "", key: "solver_order", value: "\(solverOrder)",
                                                    expected: "1, 2 or 3")
        }
    }
}
