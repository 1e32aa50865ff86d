// What the DDPM-family schedulers of diffusers 0.42.1 share: the training noise schedule
// (betas → ᾱ, `rescale_zero_terminal_snr`, `betas_for_alpha_bar`, as in scheduling_ddim.py and
// copied into every sibling file), the `timestep_spacing` rules of `set_timesteps`, numpy's
// `interp` / `arange`, the Karras sigmas and `_sigma_to_t` (scheduling_euler_discrete.py), and the
// float32 elementwise updates, rounded as the torch expressions round.
//
// Precision, as diffusers computes it:
// - betas and ᾱ are float32 torch tensors. `torch.linspace` (float32) evaluates each entry as one
//   fused multiply-add from the nearer end (`fma(step, i, start)`, `fma(−step, n−1−i, end)`), and
//   `torch.cumprod` on the CPU accumulates in float64, rounding each output to float32.
// - `set_timesteps` runs in numpy float64 from those float32 values.
// - the per-step scalars are 0-dim float32 tensors, and each tensor product is rounded before the
//   sum it enters.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

// MARK: - Training schedule

/// The keys of the training noise schedule shared by the DDPM-family schedulers
/// (`num_train_timesteps`, `beta_start`, `beta_end`, `beta_schedule`, `rescale_betas_zero_snr`).
public struct BetaScheduleConfig: Sendable, Equatable {
    /// `num_train_timesteps`.
    public var trainTimestepCount: Int
    /// `beta_start`, `beta_end`.
    public var betaStart: Double
    public var betaEnd: Double
    /// `beta_schedule`.
    public var betaSchedule: BetaSchedule
    /// `rescale_betas_zero_snr`: rescale so the last timestep has zero SNR.
    public var rescaleBetasZeroSNR: Bool

    public init(trainTimestepCount: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
                betaSchedule: BetaSchedule = .linear, rescaleBetasZeroSNR: Bool = false) {
        self.trainTimestepCount = trainTimestepCount
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.betaSchedule = betaSchedule
        self.rescaleBetasZeroSNR = rescaleBetasZeroSNR
    }

    enum CodingKeys: String, CodingKey {
        case trainTimestepCount = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case rescaleBetasZeroSNR = "rescale_betas_zero_snr"
    }

    /// Decodes the keys, each defaulting to the matching field of `defaults`; `trained_betas`
    /// must be null.
    init(from decoder: any Decoder, defaults: BetaScheduleConfig) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trainTimestepCount = try c.value(.trainTimestepCount, default: defaults.trainTimestepCount)
        betaStart = try c.value(.betaStart, default: defaults.betaStart)
        betaEnd = try c.value(.betaEnd, default: defaults.betaEnd)
        betaSchedule = try c.choice(.betaSchedule, default: defaults.betaSchedule)
        rescaleBetasZeroSNR = try c.value(.rescaleBetasZeroSNR, default: defaults.rescaleBetasZeroSNR)
        try c.requireNull(.trainedBetas)
        if trainTimestepCount < 2 {
            throw SchedulerConfigError.invalidValue(file: "", key: "num_train_timesteps",
                                                    value: "\(trainTimestepCount)", expected: "an integer ≥ 2")
        }
    }

    /// The float32 betas of `__init__` (before any zero-SNR rescale).
    func betas() -> [Float] {
        let n = trainTimestepCount
        switch betaSchedule {
        case .linear:
            return torchLinspace(betaStart, betaEnd, count: n)
        case .scaledLinear:
            return torchLinspace(betaStart.squareRoot(), betaEnd.squareRoot(), count: n).map { $0 * $0 }
        case .squaredCosCapV2:
            return betasForAlphaBar(count: n).map { Float($0) }
        }
    }

    /// ᾱ (`alphas_cumprod`), float32, as the DDIM / DDPM / DPM-Solver / Euler schedulers compute it.
    func alphasCumprod() -> [Float] {
        var betas = self.betas()
        if rescaleBetasZeroSNR { betas = rescaleZeroTerminalSNR(betas: betas) }
        return torchCumprod(betas.map { 1 - $0 })
    }
}

/// `torch.linspace(start, end, count, dtype=torch.float32)` on the CPU, bit for bit.
func torchLinspace(_ start: Double, _ end: Double, count: Int) -> [Float] {
    guard count > 1 else { return count == 1 ? [Float(start)] : [] }
    let first = Float(start), last = Float(end)
    let step = (last - first) / Float(count - 1)
    let halfway = count / 2
    return (0..<count).map { i in
        i < halfway ? first.addingProduct(step, Float(i)) : last.addingProduct(-step, Float(count - 1 - i))
    }
}

/// `torch.cumprod` of a float32 tensor on the CPU: a float64 running product, each entry rounded.
func torchCumprod(_ values: [Float]) -> [Float] {
    var product = 1.0
    return values.map { value in
        product *= Double(value)
        return Float(product)
    }
}

/// diffusers' `betas_for_alpha_bar` with the cosine transform (`squaredcos_cap_v2`), in float64.
func betasForAlphaBar(count: Int, maxBeta: Double = 0.999) -> [Double] {
    func alphaBar(_ t: Double) -> Double {
        let c = cos((t + 0.008) / 1.008 * Double.pi / 2)
        return c * c
    }
    return (0..<count).map { i in
        let t1 = Double(i) / Double(count)
        let t2 = Double(i + 1) / Double(count)
        return min(1 - alphaBar(t2) / alphaBar(t1), maxBeta)
    }
}

/// diffusers' `rescale_zero_terminal_snr` on float32 betas (scheduling_ddim.py).
func rescaleZeroTerminalSNR(betas: [Float]) -> [Float] {
    let cumprod = torchCumprod(betas.map { 1 - $0 })
    var roots = cumprod.map { $0.squareRoot() }
    let first = roots[0], last = roots[roots.count - 1]
    let scale = first / (first - last)
    roots = roots.map { ($0 - last) * scale }
    let bars = roots.map { $0 * $0 }
    var alphas = [bars[0]]
    for i in 1..<bars.count { alphas.append(bars[i] / bars[i - 1]) }
    return alphas.map { 1 - $0 }
}

/// The training sigmas `√((1 − ᾱ)/ᾱ)` in float32, ascending in t.
func trainSigmas(_ alphasCumprod: [Float]) -> [Float] {
    alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
}

// MARK: - Timestep spacing

/// numpy's `round` (half to even).
func roundHalfEven(_ x: Double) -> Double { x.rounded(.toNearestOrEven) }

/// `numpy.arange(start, stop, step)` for floats: `start + i·δ` with `δ = (start + step) − start`.
func numpyArange(_ start: Double, _ stop: Double, _ step: Double) -> [Double] {
    let count = max(Int(((stop - start) / step).rounded(.up)), 0)
    guard count > 0 else { return [] }
    let delta = (start + step) - start
    return (0..<count).map { i in i == 0 ? start : (i == 1 ? start + step : start + Double(i) * delta) }
}

/// The integer timesteps of DDIM / DDPM / CogVideoX `set_timesteps` for `timestep_spacing`.
func spacedTimesteps(_ spacing: TimestepSpacing, trainCount: Int, stepCount: Int, stepsOffset: Int) -> [Int] {
    switch spacing {
    case .linspace:
        return numpyLinspace(0, Double(trainCount - 1), count: stepCount).map { Int(roundHalfEven($0)) }.reversed()
    case .leading:
        let ratio = trainCount / stepCount
        return (0..<stepCount).reversed().map { $0 * ratio + stepsOffset }
    case .trailing:
        let ratio = Double(trainCount) / Double(stepCount)
        return numpyArange(Double(trainCount), 0, -ratio).map { Int(roundHalfEven($0)) - 1 }
    }
}

/// The integer timesteps of the multistep solvers' `set_timesteps` (DPM-Solver, UniPC) for
/// `timestep_spacing`: like ``spacedTimesteps(_:trainCount:stepCount:stepsOffset:)`` but over
/// `stepCount + 1` points with the last dropped, up to `lastTimestep` (DPM-Solver's
/// `lambda_min_clipped` cut; `trainCount` otherwise). The count may differ from `stepCount` for
/// trailing spacing, as numpy's `arange` decides.
func multistepTimesteps(_ spacing: TimestepSpacing, trainCount: Int, lastTimestep: Int, stepCount: Int,
                        stepsOffset: Int) -> [Int] {
    switch spacing {
    case .linspace:
        return numpyLinspace(0, Double(lastTimestep - 1), count: stepCount + 1)
            .map { Int(roundHalfEven($0)) }.reversed().dropLast()
    case .leading:
        let ratio = lastTimestep / (stepCount + 1)
        return (0...stepCount).reversed().dropLast().map { $0 * ratio + stepsOffset }
    case .trailing:
        let ratio = Double(trainCount) / Double(stepCount)
        return numpyArange(Double(lastTimestep), 0, -ratio).map { Int(roundHalfEven($0)) - 1 }
    }
}

/// The float32 timesteps of the Euler schedulers' `set_timesteps` for `timestep_spacing`.
func spacedFloatTimesteps(_ spacing: TimestepSpacing, trainCount: Int, stepCount: Int, stepsOffset: Int) -> [Float] {
    switch spacing {
    case .linspace:
        return numpyLinspace(0, Double(trainCount - 1), count: stepCount).map { Float($0) }.reversed()
    case .leading:
        let ratio = trainCount / stepCount
        return (0..<stepCount).reversed().map { Float($0 * ratio) + Float(stepsOffset) }
    case .trailing:
        let ratio = Double(trainCount) / Double(stepCount)
        return numpyArange(Double(trainCount), 0, -ratio).map { Float(roundHalfEven($0)) - 1 }
    }
}

/// `numpy.interp(x, arange(len(values)), values)` in float64.
func numpyInterp(_ x: Double, _ values: [Float]) -> Double {
    let last = values.count - 1
    if x <= 0 { return Double(values[0]) }
    if x >= Double(last) { return Double(values[last]) }
    let j = Int(x.rounded(.down))
    if Double(j) == x { return Double(values[j]) }
    let slope = (Double(values[j + 1]) - Double(values[j])) / 1.0
    return slope * (x - Double(j)) + Double(values[j])
}

/// diffusers' `_convert_to_karras` (ρ = 7), float64.
func karrasSigmas(sigmaMin: Double, sigmaMax: Double, count: Int) -> [Double] {
    let rho = 7.0
    let minInvRho = pow(sigmaMin, 1 / rho)
    let maxInvRho = pow(sigmaMax, 1 / rho)
    return numpyLinspace(0, 1, count: count).map { ramp in pow(maxInvRho + ramp * (minInvRho - maxInvRho), rho) }
}

/// diffusers' `_sigma_to_t`: the fractional training timestep whose log-sigma is `sigma`'s,
/// interpolated linearly in log σ. `logSigmas` is the float32 `np.log(sigmas)`.
func sigmaToTimestep(_ sigma: Double, logSigmas: [Float]) -> Double {
    let logSigma = log(max(sigma, 1e-10))
    var low = 0
    for (k, value) in logSigmas.enumerated() where logSigma - Double(value) >= 0 { low = k }
    low = min(low, logSigmas.count - 2)
    let lowValue = logSigmas[low], highValue = logSigmas[low + 1]
    var w = (Double(lowValue) - logSigma) / Double(lowValue - highValue)
    w = min(max(w, 0), 1)
    return (1 - w) * Double(low) + w * Double(low + 1)
}

/// `np.log` of the float32 training sigmas.
func logSigmas(_ sigmas: [Float]) -> [Float] {
    sigmas.map { Float(log(Double($0))) }
}

// MARK: - Predictions of the ᾱ-parameterised schedulers

/// What a noise-schedule (ᾱ or Karras-sigma) sampler's model predicts: every `PredictionType`
/// but flow, which those samplers cannot take (their configs refuse it when decoded), so
/// their formulas need no flow case.
public enum NoisePrediction: String, Sendable, CaseIterable {
    case epsilon
    case sample
    case vPrediction = "v_prediction"

    /// The same, among every prediction type.
    public var predictionType: PredictionType {
        switch self {
        case .epsilon: return .epsilon
        case .sample: return .sample
        case .vPrediction: return .vPrediction
        }
    }
}

/// x₀ from the model output at ᾱ, with `√ᾱ` and `√(1 − ᾱ)` already rounded to float32:
/// epsilon `(x − √(1−ᾱ)·ε)/√ᾱ`, v-prediction `√ᾱ·x − √(1−ᾱ)·v`, sample: the output itself.
func alphaPredictedOriginalSample(_ type: NoisePrediction, modelOutput: Tensor, sample: Tensor,
                                  sqrtAlpha: Float, sqrtBeta: Float) -> Tensor {
    precondition(modelOutput.shape == sample.shape, "model output \(modelOutput.shape) vs sample \(sample.shape)")
    switch type {
    case .epsilon:
        return zipMap(sample, modelOutput) { x, e in (x - sqrtBeta * e) / sqrtAlpha }
    case .vPrediction:
        return zipMap(sample, modelOutput) { x, v in sqrtAlpha * x - sqrtBeta * v }
    case .sample:
        return modelOutput
    }
}

// MARK: - Float32 elementwise arithmetic

/// `f(a[i], b[i])` elementwise.
@inline(__always)
func zipMap(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    precondition(a.shape == b.shape, "shapes \(a.shape) vs \(b.shape)")
    return Tensor(shape: a.shape, unsafeUninitialized: { out in
        a.data.withUnsafeBufferPointer { x in
            b.data.withUnsafeBufferPointer { y in
                for i in 0..<out.count { out[i] = f(x[i], y[i]) }
            }
        }
    })
}

/// `f(a[i], b[i], c[i])` elementwise.
@inline(__always)
func zipMap(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ f: (Float, Float, Float) -> Float) -> Tensor {
    precondition(a.shape == b.shape && a.shape == c.shape, "shapes \(a.shape), \(b.shape), \(c.shape)")
    return Tensor(shape: a.shape, unsafeUninitialized: { out in
        a.data.withUnsafeBufferPointer { x in
            b.data.withUnsafeBufferPointer { y in
                c.data.withUnsafeBufferPointer { z in
                    for i in 0..<out.count { out[i] = f(x[i], y[i], z[i]) }
                }
            }
        }
    })
}

/// `f(a[i])` elementwise.
@inline(__always)
func mapValues(_ a: Tensor, _ f: (Float) -> Float) -> Tensor {
    Tensor(shape: a.shape, unsafeUninitialized: { out in
        a.data.withUnsafeBufferPointer { x in
            for i in 0..<out.count { out[i] = f(x[i]) }
        }
    })
}

/// `clamp(x, −range, range)` as `torch.clamp` (NaN stays NaN).
func clampValues(_ x: Tensor, range: Float) -> Tensor {
    mapValues(x) { v in v.isNaN ? v : min(max(v, -range), range) }
}
