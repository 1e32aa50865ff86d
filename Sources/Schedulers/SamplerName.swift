// The samplers a user picks by name, each a diffusers scheduler class (diffusers 0.42.1) plus
// option overrides, read from the model's own scheduler config the way diffusers users swap
// samplers: `NewScheduler.from_config(pipe.scheduler.config, **overrides)`.

/// A user-facing sampler name and what it means.
public enum SamplerName: String, CaseIterable, Sendable {
    /// `DDIMScheduler` (deterministic, η = 0).
    case ddim
    /// `DDPMScheduler` (stochastic).
    case ddpm
    /// `DPMSolverMultistepScheduler`, DPM-Solver++ order 2.
    case dpmPlusPlus2M = "dpm++2m"
    /// The same with Karras sigmas.
    case dpmPlusPlus2MKarras = "dpm++2m-karras"
    /// `EulerDiscreteScheduler`.
    case euler
    /// `EulerAncestralDiscreteScheduler` (stochastic).
    case eulerAncestral = "euler-a"
    /// `UniPCMultistepScheduler` (flow mode on a flow model, VP mode on an epsilon / v / sample model).
    case unipc
    /// `FlowMatchEulerDiscreteScheduler`.
    case flowEuler = "flow-euler"
    /// `CogVideoXDDIMScheduler`.
    case cogVideoXDDIM = "cogvideox-ddim"
    /// `CogVideoXDPMScheduler` (stochastic).
    case cogVideoXDPM = "cogvideox-dpm"

    /// The diffusers class it runs.
    public var schedulerClass: SchedulerClass {
        switch self {
        case .ddim: return .ddim
        case .ddpm: return .ddpm
        case .dpmPlusPlus2M, .dpmPlusPlus2MKarras: return .dpmSolverMultistep
        case .euler: return .eulerDiscrete
        case .eulerAncestral: return .eulerAncestralDiscrete
        case .unipc: return .uniPCMultistep
        case .flowEuler: return .flowMatchEulerDiscrete
        case .cogVideoXDDIM: return .cogVideoXDDIM
        case .cogVideoXDPM: return .cogVideoXDPM
        }
    }

    /// The config keys the name fixes, on top of the model's config.
    public var overrides: [String: ConfigValue] {
        switch self {
        case .dpmPlusPlus2M:
            return ["algorithm_type": .string("dpmsolver++"), "solver_order": .integer(2),
                    "use_karras_sigmas": .bool(false)]
        case .dpmPlusPlus2MKarras:
            return ["algorithm_type": .string("dpmsolver++"), "solver_order": .integer(2),
                    "use_karras_sigmas": .bool(true)]
        default:
            return [:]
        }
    }

    /// The prediction types (what the model outputs) this sampler can run.
    public var predictionTypes: [PredictionType] {
        switch self {
        case .ddim, .ddpm, .dpmPlusPlus2MKarras, .cogVideoXDDIM, .cogVideoXDPM:
            return [.epsilon, .vPrediction, .sample]
        case .dpmPlusPlus2M, .unipc:
            return [.epsilon, .vPrediction, .sample, .flowPrediction]
        case .euler:
            return [.epsilon, .vPrediction, .sample]
        case .eulerAncestral:
            return [.epsilon, .vPrediction]
        case .flowEuler:
            return [.flowPrediction]
        }
    }

    /// The samplers that can run a model with `predictionType`, in catalogue order.
    public static func fitting(_ predictionType: PredictionType) -> [SamplerName] {
        allCases.filter { $0.predictionTypes.contains(predictionType) }
    }
}

extension SchedulerConfig {
    /// The config of sampler `name` for the model whose scheduler config is `base`: `base` read
    /// as `name`'s class with `name`'s overrides (see ``converted(to:overriding:)``). Throws
    /// ``SchedulerConfigError/samplerDoesNotFit(file:sampler:predictionType:fitting:)``, listing
    /// the samplers that fit, when `name` cannot run `base`'s prediction type.
    public static func forSampler(_ name: SamplerName, basedOn base: SchedulerConfig) throws -> SchedulerConfig {
        let predictionType = base.predictionType
        guard name.predictionTypes.contains(predictionType) else {
            throw SchedulerConfigError.samplerDoesNotFit(
                file: base.source, sampler: name.rawValue, predictionType: predictionType.rawValue,
                fitting: SamplerName.fitting(predictionType).map(\.rawValue))
        }
        return try base.converted(to: name.schedulerClass, overriding: name.overrides)
    }
}
