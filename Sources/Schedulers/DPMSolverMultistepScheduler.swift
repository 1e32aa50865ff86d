// Port of diffusers/schedulers/scheduling_dpmsolver_multistep.py, class
// DPMSolverMultistepScheduler (diffusers 0.42.1): algorithm_type "dpmsolver++" (DPM-Solver++,
// Lu et al. 2022) with solver orders 1–3, midpoint or heun second-order rule, Karras sigmas and
// flow sigmas (how diffusers runs DPM++ 2M on a flow model such as Wan).
// Precision follows diffusers: `set_timesteps` in numpy float64 from float32 ᾱ, sigmas stored
// float32; every per-step scalar (α, σ, λ, h, e^{−h}) and tensor operation in float32, rounded in
// the order of the torch expressions.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// `solver_type` of DPM-Solver: the second-order rule.
public enum DPMSolverType: String, Sendable, CaseIterable {
    case midpoint
    case heun
}

/// Settings of `DPMSolverMultistepScheduler` (keys and defaults of its `__init__`).
/// Implemented: `algorithm_type` "dpmsolver++" (and "deis", which diffusers maps to it).
/// Refused (`unsupportedSetting`): the SDE and first-generation algorithm types, thresholding,
/// exponential / beta / Lu-lambda sigmas, learned variance, dynamic shifting, `trained_betas`.
public struct DPMSolverMultistepSchedulerConfig: Decodable, Sendable, Equatable {
    /// The training schedule (unused in flow mode).
    public var schedule = BetaScheduleConfig()
    /// `solver_order`: 1, 2 or 3 (2 = DPM++ 2M).
    public var solverOrder = 2
    /// `prediction_type`: epsilon, v_prediction, sample or flow_prediction.
    public var predictionType = PredictionType.epsilon
    /// `solver_type` (diffusers maps the UniPC names "logrho", "bh1", "bh2" to midpoint).
    public var solverType = DPMSolverType.midpoint
    /// `lower_order_final`: lower orders for the last steps when there are fewer than 15.
    public var lowerOrderFinal = true
    /// `euler_at_final`: a first-order last step.
    public var eulerAtFinal = false
    /// `use_karras_sigmas`: Karras et al.'s ρ = 7 sigma spacing.
    public var useKarrasSigmas = false
    /// `sigma_min`, `sigma_max`: not keys of this class in diffusers 0.42.1 (its Karras spacing
    /// always spans the training sigmas); kept nil.
    /// `use_flow_sigmas`, `flow_shift`: flow-matching sigmas `sσ/(1 + (s − 1)σ)`.
    public var useFlowSigmas = false
    public var flowShift = 1.0
    /// `final_sigmas_type`.
    public var finalSigmasType = FinalSigmasType.zero
    /// `lambda_min_clipped`: clip λ for numerical stability (cosine schedules).
    public var lambdaMinClipped = -Double.infinity
    /// `timestep_spacing`, `steps_offset`.
    public var timestepSpacing = TimestepSpacing.linspace
    public var stepsOffset = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case solverOrder = "solver_order"
        case predictionType = "prediction_type"
        case thresholding
        case algorithmType = "algorithm_type"
        case solverType = "solver_type"
        case lowerOrderFinal = "lower_order_final"
        case eulerAtFinal = "euler_at_final"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case useLuLambdas = "use_lu_lambdas"
        case useFlowSigmas = "use_flow_sigmas"
        case flowShift = "flow_shift"
        case finalSigmasType = "final_sigmas_type"
        case lambdaMinClipped = "lambda_min_clipped"
        case varianceType = "variance_type"
        case timestepSpacing = "timestep_spacing"
        case stepsOffset = "steps_offset"
        case useDynamicShifting = "use_dynamic_shifting"
    }

    public init(from decoder: any Decoder) throws {
        schedule = try BetaScheduleConfig(from: decoder, defaults: BetaScheduleConfig())
        let c = try decoder.container(keyedBy: CodingKeys.self)
        solverOrder = try c.value(.solverOrder, default: 2)
        predictionType = try c.choice(.predictionType, default: .epsilon)
        let algorithm = try c.decodeIfPresent(String.self, forKey: .algorithmType) ?? "dpmsolver++"
        guard ["dpmsolver++", "deis"].contains(algorithm) else {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: "algorithm_type", value: "\"\(algorithm)\"",
                                                         supported: "\"dpmsolver++\"")
        }
        if let text = try c.decodeIfPresent(String.self, forKey: .solverType), ["logrho", "bh1", "bh2"].contains(text) {
            solverType = .midpoint
        } else {
            solverType = try c.choice(.solverType, default: .midpoint)
        }
        lowerOrderFinal = try c.value(.lowerOrderFinal, default: true)
        eulerAtFinal = try c.value(.eulerAtFinal, default: false)
        useKarrasSigmas = try c.value(.useKarrasSigmas, default: false)
        useFlowSigmas = try c.value(.useFlowSigmas, default: false)
        flowShift = try c.value(.flowShift, default: 1.0)
        finalSigmasType = try c.choice(.finalSigmasType, default: .zero)
        if try c.contains(.lambdaMinClipped) && !c.decodeNil(forKey: .lambdaMinClipped) {
            lambdaMinClipped = try c.decode(Double.self, forKey: .lambdaMinClipped)
        }
        timestepSpacing = try c.choice(.timestepSpacing, default: .linspace)
        stepsOffset = try c.value(.stepsOffset, default: 0)
        try c.requireFalse(.thresholding)
        try c.requireFalse(.useExponentialSigmas)
        try c.requireFalse(.useBetaSigmas)
        try c.requireFalse(.useLuLambdas)
        try c.requireFalse(.useDynamicShifting)
        // diffusers reads variance_type only when it is "learned" / "learned_range" (the model
        // then outputs twice the channels); other values (e.g. DDPM's "fixed_small") are inert.
        if let variance = try c.decodeIfPresent(String.self, forKey: .varianceType),
           ["learned", "learned_range"].contains(variance) {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: "variance_type", value: "\"\(variance)\"",
                                                         supported: "null")
        }
        if !(1...3).contains(solverOrder) {
            throw SchedulerConfigError.invalidValue(file: "", key: "solver_order", value: "\(solverOrder)",
                                                    expected: "1, 2 or 3")
        }
        if predictionType == .flowPrediction && !useFlowSigmas {
            throw SchedulerConfigError.unsupportedSetting(
                file: "", key: "use_flow_sigmas", value: "false",
                supported: "true when prediction_type is \"flow_prediction\"")
        }
    }
}

/// DPM-Solver++ multistep (DPM++ 1S / 2M / 3M); matches diffusers'
/// `DPMSolverMultistepScheduler` with `algorithm_type="dpmsolver++"`.
///
/// Each model output is turned into x₀, and the update integrates in λ = log(α/σ):
/// `x' = (σ_t/σ_s)·x − α_t(e^{−h} − 1)·D₀ [− ½α_t(e^{−h} − 1)·D₁]`. With non-flow sigmas
/// `α = 1/√(σ² + 1)`, `σ_t = σ·α`; with flow sigmas `α = 1 − σ`.
public struct DPMSolverMultistepScheduler: SigmaScheduler {
    /// The settings it was built from.
    public let config: DPMSolverMultistepSchedulerConfig
    public let stepCount: Int
    /// The timesteps as diffusers' int64 tensor.
    public let integerTimesteps: [Int]
    public let timesteps: [Float]
    public let sigmas: [Float]
    public private(set) var nextStepIndex = 0
    /// Past x₀ predictions, oldest first (`model_outputs`; at most `solver_order`).
    private var history: [Tensor] = []
    private var lowerOrderCount = 0

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount)`).
    public init(config: DPMSolverMultistepSchedulerConfig, stepCount: Int) throws {
        guard stepCount >= 1 else { throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount) }
        self.config = config
        let trainCount = config.schedule.trainTimestepCount
        let alphasCumprod = config.schedule.alphasCumprod()
        var alphasForSigmas = alphasCumprod
        if config.schedule.rescaleBetasZeroSNR { alphasForSigmas[trainCount - 1] = 0x1p-24 }
        let train = trainSigmas(alphasForSigmas)

        // lambda_min_clipped: how many of the (ascending in λ) flipped λ_t lie below it.
        var lastTimestep = trainCount
        if config.lambdaMinClipped > -Double.infinity {
            let lambdas: [Float] = alphasForSigmas.map { a in logf(a.squareRoot()) - logf((1 - a).squareRoot()) }
            let clipped = lambdas.reversed().filter { Double($0) < config.lambdaMinClipped }.count
            lastTimestep = trainCount - clipped
        }
        var steps = multistepTimesteps(config.timestepSpacing, trainCount: trainCount, lastTimestep: lastTimestep,
                                       stepCount: stepCount, stepsOffset: config.stepsOffset)

        var sigmas64: [Double]
        if config.useKarrasSigmas {
            let logs = logSigmas(train)
            let descending = Array(train.reversed())
            sigmas64 = karrasSigmas(sigmaMin: Double(descending[descending.count - 1]),
                                    sigmaMax: Double(descending[0]), count: stepCount)
            steps = sigmas64.map { sigma in
                let t = sigmaToTimestep(sigma, logSigmas: logs)
                return Int(config.schedule.betaSchedule == .squaredCosCapV2 ? t : roundHalfEven(t))
            }
        } else if config.useFlowSigmas {
            let shift = config.flowShift
            let alphas = numpyLinspace(1, 1 / Double(trainCount), count: stepCount + 1)
            let shifted = alphas.map { 1 - $0 }.map { shift * $0 / (1 + (shift - 1) * $0) }
            sigmas64 = Array(shifted.reversed().dropLast())
            steps = sigmas64.map { Int($0 * Double(trainCount)) }  // truncation, as .to(int64)
        } else {
            sigmas64 = steps.map { numpyInterp(Double($0), train) }
        }
        let last: Double
        switch config.finalSigmasType {
        case .zero: last = 0
        case .sigmaMin: last = Double(((1 - alphasCumprod[0]) / alphasCumprod[0]).squareRoot())
        }
        sigmas = (sigmas64 + [last]).map { Float($0) }
        integerTimesteps = steps
        timesteps = steps.map { Float($0) }
        self.stepCount = steps.count
    }

    public var predictionType: PredictionType { config.predictionType }

    /// `_sigma_to_alpha_sigma_t`, float32.
    private func alphaSigma(_ index: Int) -> (alpha: Float, sigma: Float) {
        let sigma = sigmas[index]
        if config.useFlowSigmas { return (1 - sigma, sigma) }
        let alpha = 1 / (sigma * sigma + 1).squareRoot()
        return (alpha, sigma * alpha)
    }

    private func lambda(_ index: Int) -> (alpha: Float, sigma: Float, lambda: Float) {
        let (alpha, sigma) = alphaSigma(index)
        return (alpha, sigma, logf(alpha) - logf(sigma))
    }

    /// `convert_model_output` (dpmsolver++): the x₀ the model output implies.
    public func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        switch config.predictionType {
        case .epsilon:
            let (alpha, sigma) = alphaSigma(stepIndex)
            return zipMap(sample, modelOutput) { x, e in (x - sigma * e) / alpha }
        case .vPrediction:
            let (alpha, sigma) = alphaSigma(stepIndex)
            return zipMap(sample, modelOutput) { x, v in alpha * x - sigma * v }
        case .flowPrediction:
            return flowPredictedOriginalSample(modelOutput: modelOutput, sample: sample, sigma: sigmas[stepIndex])
        case .sample:
            return modelOutput
        }
    }

    public mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        precondition(stepIndex == nextStepIndex && stepIndex < stepCount,
                     "DPMSolverMultistepScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        let i = stepIndex
        let lowerOrderFinal = i == stepCount - 1
            && (config.eulerAtFinal || (config.lowerOrderFinal && stepCount < 15) || config.finalSigmasType == .zero)
        let lowerOrderSecond = i == stepCount - 2 && config.lowerOrderFinal && stepCount < 15
        let x0 = predictedOriginalSample(modelOutput: modelOutput, stepIndex: i, sample: sample)
        history.append(x0)
        if history.count > config.solverOrder { history.removeFirst() }

        let next: Tensor
        if config.solverOrder == 1 || lowerOrderCount < 1 || lowerOrderFinal {
            next = firstOrder(x0, sample: sample, index: i)
        } else if config.solverOrder == 2 || lowerOrderCount < 2 || lowerOrderSecond {
            next = secondOrder(sample: sample, index: i)
        } else {
            next = thirdOrder(sample: sample, index: i)
        }
        if lowerOrderCount < config.solverOrder { lowerOrderCount += 1 }
        nextStepIndex += 1
        return next
    }

    /// `dpm_solver_first_order_update`.
    private func firstOrder(_ x0: Tensor, sample: Tensor, index: Int) -> Tensor {
        let (alphaT, sigmaT, lambdaT) = lambda(index + 1)
        let (_, sigmaS, lambdaS) = lambda(index)
        let h = lambdaT - lambdaS
        let a = sigmaT / sigmaS
        let c = alphaT * (expf(-h) - 1)
        return zipMap(sample, x0) { x, m in a * x - c * m }
    }

    /// `multistep_dpm_solver_second_order_update`.
    private func secondOrder(sample: Tensor, index: Int) -> Tensor {
        let (alphaT, sigmaT, lambdaT) = lambda(index + 1)
        let (_, sigmaS0, lambdaS0) = lambda(index)
        let lambdaS1 = lambda(index - 1).lambda
        let m0 = history[history.count - 1], m1 = history[history.count - 2]
        let h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1
        let r0 = h0 / h
        let inverseR0 = 1 / r0
        let d1 = zipMap(m0, m1) { a, b in inverseR0 * (a - b) }
        let a = sigmaT / sigmaS0
        let expm = expf(-h) - 1
        let c0 = alphaT * expm
        switch config.solverType {
        case .midpoint:
            let c1 = 0.5 * c0
            return zipMap(sample, m0, d1) { x, d0, d1 in a * x - c0 * d0 - c1 * d1 }
        case .heun:
            let c1 = alphaT * (expm / h + 1)
            return zipMap(sample, m0, d1) { x, d0, d1 in a * x - c0 * d0 + c1 * d1 }
        }
    }

    /// `multistep_dpm_solver_third_order_update`.
    private func thirdOrder(sample: Tensor, index: Int) -> Tensor {
        let (alphaT, sigmaT, lambdaT) = lambda(index + 1)
        let (_, sigmaS0, lambdaS0) = lambda(index)
        let lambdaS1 = lambda(index - 1).lambda, lambdaS2 = lambda(index - 2).lambda
        let m0 = history[history.count - 1], m1 = history[history.count - 2], m2 = history[history.count - 3]
        let h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1, h1 = lambdaS1 - lambdaS2
        let r0 = h0 / h, r1 = h1 / h
        let inverseR0 = 1 / r0, inverseR1 = 1 / r1
        let d10 = zipMap(m0, m1) { a, b in inverseR0 * (a - b) }
        let d11 = zipMap(m1, m2) { a, b in inverseR1 * (a - b) }
        let ratio = r0 / (r0 + r1), inverseSum = 1 / (r0 + r1)
        let d1 = zipMap(d10, d11) { a, b in a + ratio * (a - b) }
        let d2 = zipMap(d10, d11) { a, b in inverseSum * (a - b) }
        let a = sigmaT / sigmaS0
        let expm = expf(-h) - 1
        let c0 = alphaT * expm
        let c1 = alphaT * (expm / h + 1)
        let c2 = alphaT * ((expm + h) / (h * h) - 0.5)
        let partial = zipMap(sample, m0, d1) { x, d0, d1 in a * x - c0 * d0 + c1 * d1 }
        return zipMap(partial, d2) { p, d2 in p - c2 * d2 }
    }
}
