// Port of diffusers/schedulers/scheduling_unipc_multistep.py, class UniPCMultistepScheduler
// (diffusers 0.42.1): flow mode (`use_flow_sigmas`, `prediction_type="flow_prediction"`, as Wan 2.1
// configures it) and VP mode (epsilon / v_prediction / sample on a DDPM training schedule, spaced
// timesteps or Karras sigmas), each with `predict_x0` (VP mode also without), solver orders 1–3,
// bh1 / bh2, the corrector and `disable_corrector`.
// Precision follows diffusers: `set_timesteps` in float64 (numpy) from float32 ᾱ, sigmas stored
// float32; every per-step scalar (α, σ, λ, h, expm1, ρ) and tensor operation in float32, rounded
// in the same order as the torch expressions (VP α, σ as DPM-Solver's `_sigma_to_alpha_sigma_t`).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// UniPC (predictor UniP + corrector UniC, Zhao et al. 2023); matches diffusers'
/// `UniPCMultistepScheduler`.
///
/// The model gets integer timesteps (``integerTimesteps``; ``timesteps`` holds them as floats).
/// Flow mode: `timesteps` are `Int64(1000·σᵢ)` (truncated, as diffusers casts to int64),
/// `αᵢ = 1 − σᵢ`, and a velocity `v` becomes `x₀ = x − σᵢ·v`. VP mode: `σᵢ = √((1 − ᾱ)/ᾱ)` at
/// the spaced timesteps (or Karras sigmas with their nearest timesteps), `αᵢ = 1/√(σᵢ² + 1)`,
/// `σ_tᵢ = σᵢ·αᵢ`. Either way `λᵢ = ln αᵢ − ln σ_tᵢ` and the update integrates in λ.
public struct UniPCMultistepScheduler: SigmaScheduler {
    /// The settings it was built from.
    public let config: UniPCMultistepSchedulerConfig
    public let stepCount: Int
    /// The timesteps as diffusers' int64 tensor.
    public let integerTimesteps: [Int64]
    public let timesteps: [Float]
    public let sigmas: [Float]
    public private(set) var nextStepIndex: Int = 0

    /// Past solver outputs (x₀, or ε when `predict_x0` is false), oldest first (`model_outputs`;
    /// at most `solver_order`).
    private var history: [Tensor] = []
    private var lowerOrderCount = 0
    private var lastSample: Tensor?
    private var thisOrder = 1

    /// Builds the scheduler and sets its timesteps (`set_timesteps(stepCount, mu=mu)`).
    /// Throws ``SchedulerConfigError/missingMu(file:)`` if dynamic shifting is on and `mu` is nil,
    /// ``SchedulerConfigError/invalidStepCount(file:stepCount:)`` if `stepCount < 1`.
    public init(config: UniPCMultistepSchedulerConfig, stepCount: Int, mu: Double? = nil) throws {
        guard stepCount >= 1 else { throw SchedulerConfigError.invalidStepCount(file: "", stepCount: stepCount) }
        if config.useDynamicShifting && mu == nil { throw SchedulerConfigError.missingMu(file: "") }
        self.config = config
        let integers: [Int64]
        let sigmas: [Double]
        if config.useFlowSigmas {
            (integers, sigmas) = try Self.flowSchedule(config, stepCount: stepCount, mu: mu)
        } else {
            (integers, sigmas) = Self.vpSchedule(config, stepCount: stepCount)
        }
        self.stepCount = integers.count
        self.integerTimesteps = integers
        self.timesteps = integers.map { Float($0) }
        self.sigmas = sigmas.map { Float($0) }
    }

    /// The flow branch of `set_timesteps`: timesteps and the `stepCount + 1` sigmas in float64.
    private static func flowSchedule(_ config: UniPCMultistepSchedulerConfig, stepCount: Int, mu: Double?)
        throws -> ([Int64], [Double]) {
        let train = Double(config.schedule.trainTimestepCount)
        var sigmas = Array(numpyLinspace(1, 1 / train, count: stepCount + 1).dropLast())
        sigmas = sigmas.map { sigma in
            if config.useDynamicShifting, let mu {
                return timeShift(config.timeShiftType, mu: mu, sigma: sigma)
            }
            return config.flowShift * sigma / (1 + (config.flowShift - 1) * sigma)
        }
        if let terminal = config.shiftTerminal, terminal != 0 {
            sigmas = try stretchToTerminal(sigmas, terminal: terminal)
        }
        if abs(sigmas[0] - 1) < 1e-6 { sigmas[0] -= 1e-6 }
        // A shift, terminal or mu far enough out makes σ infinite, NaN or too large for an Int64
        // timestep.
        if let bad = sigmas.first(where: { !(abs($0 * train) < Double(Int64.max)) }) {
            throw SchedulerConfigError.invalidValue(
                file: "", key: config.useDynamicShifting ? "mu" : "flow_shift",
                value: config.useDynamicShifting ? "\(mu ?? .nan)" : "\(config.flowShift)",
                expected: "a value whose flow sigmas are finite timesteps (this one gives σ = \(bad))")
        }
        let integers = sigmas.map { Int64($0 * train) }  // truncation toward zero
        let last: Double = config.finalSigmasType == .zero ? 0 : sigmas[sigmas.count - 1]
        return (integers, sigmas + [last])
    }

    /// The VP branches of `set_timesteps` (spaced timesteps with interpolated training sigmas, or
    /// Karras sigmas with rounded `_sigma_to_t` timesteps): timesteps and sigmas in float64 from the
    /// float32 training sigmas.
    private static func vpSchedule(_ config: UniPCMultistepSchedulerConfig, stepCount: Int) -> ([Int64], [Double]) {
        let trainCount = config.schedule.trainTimestepCount
        var alphasCumprod = config.schedule.alphasCumprod()
        let first = alphasCumprod[0]
        // "Close to 0 without being 0 so first sigma is not inf" (FP16's smallest subnormal).
        if config.schedule.rescaleBetasZeroSNR { alphasCumprod[trainCount - 1] = 0x1p-24 }
        let train = trainSigmas(alphasCumprod)
        var steps = multistepTimesteps(config.timestepSpacing, trainCount: trainCount, lastTimestep: trainCount,
                                       stepCount: stepCount, stepsOffset: config.stepsOffset)
        var sigmas: [Double]
        let last: Double
        if config.useKarrasSigmas {
            let logs = logSigmas(train)
            // `in_sigmas[-1].item()` / `[0].item()` of the flipped float32 sigmas, unless configured.
            sigmas = karrasSigmas(sigmaMin: config.sigmaMin ?? Double(train[0]),
                                  sigmaMax: config.sigmaMax ?? Double(train[trainCount - 1]), count: stepCount)
            steps = sigmas.map { Int(roundHalfEven(sigmaToTimestep($0, logSigmas: logs))) }
            last = config.finalSigmasType == .zero ? 0 : sigmas[sigmas.count - 1]
        } else {
            sigmas = steps.map { numpyInterp(Double($0), train) }
            // ((1 − ᾱ₀)/ᾱ₀) ** 0.5 on a float32 0-dim tensor.
            last = config.finalSigmasType == .zero ? 0 : Double(((1 - first) / first).squareRoot())
        }
        return (steps.map { Int64($0) }, sigmas + [last])
    }

    public var predictionType: PredictionType { config.predictionType }

    /// `_sigma_to_alpha_sigma_t` of `sigmas[index]`, float32.
    private func alphaSigma(_ index: Int) -> (alpha: Float, sigma: Float) {
        let sigma = sigmas[index]
        if config.useFlowSigmas { return (1 - sigma, sigma) }
        let alpha = 1 / (sigma * sigma + 1).squareRoot()
        return (alpha, sigma * alpha)
    }

    /// x₀ from the model output (`convert_model_output` with `predict_x0`).
    public func predictedOriginalSample(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        switch config.predictionType {
        case .flowPrediction:
            return flowPredictedOriginalSample(modelOutput: modelOutput, sample: sample, sigma: sigmas[stepIndex])
        case .epsilon:
            let (alpha, sigma) = alphaSigma(stepIndex)
            return zipMap(sample, modelOutput) { x, e in (x - sigma * e) / alpha }
        case .vPrediction:
            let (alpha, sigma) = alphaSigma(stepIndex)
            return zipMap(sample, modelOutput) { x, v in alpha * x - sigma * v }
        case .sample:
            precondition(modelOutput.shape == sample.shape, "model output \(modelOutput.shape) vs sample \(sample.shape)")
            return modelOutput
        }
    }

    /// `convert_model_output`: x₀ when `predict_x0`, else the noise ε.
    private func convertModelOutput(_ modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        if config.predictX0 {
            return predictedOriginalSample(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        }
        let (alpha, sigma) = alphaSigma(stepIndex)
        switch config.predictionType {
        case .epsilon:
            return modelOutput
        case .sample:
            return zipMap(sample, modelOutput) { x, m in (x - alpha * m) / sigma }
        case .vPrediction:
            return zipMap(sample, modelOutput) { x, v in alpha * v + sigma * x }
        case .flowPrediction:
            // The noise a flow prediction implies (x = α·x₀ + σ·ε with α = 1 − σ, v = ε − x₀):
            // ε = x + α·v. diffusers raises for predict_x0 false with flow, and decoding refuses
            // that combination too, so no run takes this branch; it is the formula, not a trap.
            return zipMap(sample, modelOutput) { x, v in x + alpha * v }
        }
    }

    public mutating func step(modelOutput: Tensor, stepIndex: Int, sample: Tensor) -> Tensor {
        precondition(stepIndex == nextStepIndex && stepIndex < stepCount,
                     "UniPCMultistepScheduler: step \(stepIndex) out of order (expected \(nextStepIndex))")
        precondition(modelOutput.shape == sample.shape,
                     "model output \(modelOutput.shape) vs sample \(sample.shape)")
        let i = stepIndex
        let converted = convertModelOutput(modelOutput, stepIndex: i, sample: sample)

        var current = sample
        if i > 0, !config.disableCorrector.contains(i - 1), let last = lastSample {
            current = corrector(modelOutput: converted, lastSample: last, thisSample: sample, order: thisOrder, index: i)
        }
        history.append(converted)
        if history.count > config.solverOrder { history.removeFirst() }

        var order = config.lowerOrderFinal ? min(config.solverOrder, stepCount - i) : config.solverOrder
        order = min(order, lowerOrderCount + 1)
        thisOrder = order
        lastSample = current
        let next = predictor(sample: current, order: order, index: i)
        if lowerOrderCount < config.solverOrder { lowerOrderCount += 1 }
        nextStepIndex += 1
        return next
    }

    // MARK: - UniP / UniC (multistep_uni_p_bh_update, multistep_uni_c_bh_update)

    private func lambda(_ index: Int) -> Float {
        let (alpha, sigma) = alphaSigma(index)
        return logf(alpha) - logf(sigma)
    }

    /// The shared coefficients: `h·φ₁ = expm1(hh)`, `B(h)`, the ratios `rₖ`, and `b`, with
    /// `hh = −h` for data prediction (`predict_x0`) and `h` for noise prediction.
    private func coefficients(t: Int, s0: Int, previous: [Int], order: Int)
        -> (hPhi1: Float, bH: Float, ratios: [Float], b: [Float]) {
        let lambdaS0 = lambda(s0)
        let h = lambda(t) - lambdaS0
        var ratios = previous.map { (lambda($0) - lambdaS0) / h }
        ratios.append(1)
        let hh = config.predictX0 ? -h : h
        let hPhi1 = expm1f(hh)
        let bH: Float = config.solverType == .bh1 ? hh : expm1f(hh)
        var hPhiK = hPhi1 / hh - 1
        var factorial = 1
        var b: [Float] = []
        for k in 1...order {
            b.append(hPhiK * Float(factorial) / bH)
            factorial *= k + 1
            hPhiK = hPhiK / hh - Float(1.0 / Double(factorial))
        }
        return (hPhi1, bH, ratios, b)
    }

    /// The factors of `x_t_ = a·x − c·m0` and of the residual term `− c·B(h)·res`: data prediction
    /// `a = σ_t/σ_s0`, `c = α_t`; noise prediction `a = α_t/α_s0`, `c = σ_t`.
    private func updateFactors(t: Int, s0: Int) -> (ratio: Float, weight: Float) {
        let (alphaT, sigmaT) = alphaSigma(t)
        let (alphaS0, sigmaS0) = alphaSigma(s0)
        return config.predictX0 ? (sigmaT / sigmaS0, alphaT) : (alphaT / alphaS0, sigmaT)
    }

    /// `R[k][j] = ratios[j]^k` for the first `size` rows and columns.
    private static func vandermonde(_ ratios: [Float], size: Int) -> [[Float]] {
        (0..<size).map { k in
            (0..<size).map { j in
                switch k {
                case 0: return 1
                case 1: return ratios[j]
                default: return ratios[j] * ratios[j]
                }
            }
        }
    }

    /// UniP from step `index` (s0) to `index + 1` (t).
    private func predictor(sample x: Tensor, order: Int, index: Int) -> Tensor {
        let m0 = history[history.count - 1]
        let previous = (1..<max(order, 1)).map { index - $0 }
        let (hPhi1, bH, ratios, b) = coefficients(t: index + 1, s0: index, previous: previous, order: order)
        let (ratio, weight) = updateFactors(t: index + 1, s0: index)
        // x_t_ = (σ_t/σ_s0)·x − (α_t·hφ₁)·m0   (noise prediction: (α_t/α_s0)·x − (σ_t·hφ₁)·m0)
        var result = Self.combine(x, ratio, m0, weight * hPhi1, subtract: true, scaleFirst: true)
        if order >= 2 {
            let differences = (1..<order).map { k in
                Self.scaledDifference(history[history.count - 1 - k], m0, divisor: ratios[k - 1])
            }
            let rhos: [Float] = order == 2
                ? [0.5]
                : Self.solve(Self.vandermonde(ratios, size: order - 1), Array(b.prefix(order - 1)))
            let residual = Self.weightedSum(differences, rhos)
            result = Self.combine(result, 1, residual, weight * bH, subtract: true, scaleFirst: false)
        }
        return result
    }

    /// UniC at step `index` (t) from `index − 1` (s0), using the new converted output `modelOutput`.
    private func corrector(modelOutput: Tensor, lastSample x: Tensor, thisSample: Tensor, order: Int,
                           index: Int) -> Tensor {
        let m0 = history[history.count - 1]
        let previous = (1..<max(order, 1)).map { index - ($0 + 1) }
        let (hPhi1, bH, ratios, b) = coefficients(t: index, s0: index - 1, previous: previous, order: order)
        let (ratio, weight) = updateFactors(t: index, s0: index - 1)
        let rhos: [Float] = order == 1 ? [0.5] : Self.solve(Self.vandermonde(ratios, size: order), b)
        let base = Self.combine(x, ratio, m0, weight * hPhi1, subtract: true, scaleFirst: true)
        // corr_res + ρ_last·(model_t − m0)
        let differenceT = Self.combine(modelOutput, 1, m0, 1, subtract: true, scaleFirst: false)
        var correction = Self.scaled(differenceT, by: rhos[rhos.count - 1])
        if order >= 2 {
            let differences = (1..<order).map { k in
                Self.scaledDifference(history[history.count - 1 - k], m0, divisor: ratios[k - 1])
            }
            let residual = Self.weightedSum(differences, Array(rhos.dropLast()))
            correction = Self.combine(residual, 1, correction, 1, subtract: false, scaleFirst: false)
        }
        return Self.combine(base, 1, correction, weight * bH, subtract: true, scaleFirst: false)
    }

    // MARK: - Float32 tensor arithmetic, rounded like the torch expressions

    /// `a·x ± c·y` elementwise (`a·x` only rounded when `scaleFirst`; with a = 1 it is exact).
    private static func combine(_ x: Tensor, _ a: Float, _ y: Tensor, _ c: Float,
                                subtract: Bool, scaleFirst: Bool) -> Tensor {
        Tensor(shape: x.shape, unsafeUninitialized: { out in
            x.data.withUnsafeBufferPointer { xs in
                y.data.withUnsafeBufferPointer { ys in
                    for i in 0..<out.count {
                        let left = scaleFirst ? a * xs[i] : xs[i]
                        let right = c * ys[i]
                        out[i] = subtract ? left - right : left + right
                    }
                }
            }
        })
    }

    /// `a·x` elementwise.
    private static func scaled(_ x: Tensor, by a: Float) -> Tensor {
        Tensor(shape: x.shape, unsafeUninitialized: { out in
            x.data.withUnsafeBufferPointer { xs in
                for i in 0..<out.count { out[i] = a * xs[i] }
            }
        })
    }

    /// `(m − m0) / r` elementwise (D1 in diffusers).
    private static func scaledDifference(_ m: Tensor, _ m0: Tensor, divisor: Float) -> Tensor {
        Tensor(shape: m.shape, unsafeUninitialized: { out in
            m.data.withUnsafeBufferPointer { a in
                m0.data.withUnsafeBufferPointer { b in
                    for i in 0..<out.count { out[i] = (a[i] - b[i]) / divisor }
                }
            }
        })
    }

    /// `Σₖ wₖ·tₖ` (the einsum over the history axis), summed in k order.
    private static func weightedSum(_ tensors: [Tensor], _ weights: [Float]) -> Tensor {
        precondition(tensors.count == weights.count && !tensors.isEmpty)
        var sum = scaled(tensors[0], by: weights[0])
        for k in 1..<tensors.count {
            sum = combine(sum, 1, tensors[k], weights[k], subtract: false, scaleFirst: false)
        }
        return sum
    }

    /// Solves the small system `R·ρ = b` by Gaussian elimination with partial pivoting in
    /// float32 (LAPACK's sgesv, which `torch.linalg.solve` calls, pivots the same way).
    static func solve(_ matrix: [[Float]], _ rhs: [Float]) -> [Float] {
        var a = matrix
        var b = rhs
        let n = b.count
        for column in 0..<n {
            var pivot = column
            for row in column..<n where abs(a[row][column]) > abs(a[pivot][column]) { pivot = row }
            if pivot != column { a.swapAt(pivot, column); b.swapAt(pivot, column) }
            for row in (column + 1)..<max(n, column + 1) {
                let factor = a[row][column] / a[column][column]
                for j in column..<n { a[row][j] -= factor * a[column][j] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Float](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var value = b[row]
            for j in (row + 1)..<max(n, row + 1) { value -= a[row][j] * x[j] }
            x[row] = value / a[row][row]
        }
        return x
    }
}
