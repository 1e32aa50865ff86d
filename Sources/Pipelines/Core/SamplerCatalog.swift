// The sampler names a pipeline offers, from the Schedulers catalogue (`SamplerName`) and the
// model's prediction type, as every family reads them.
import Schedulers

/// Which sampler names a model takes, and what each means for it.
public enum SamplerCatalog {
    /// The names a request may give a model predicting `predictionType`, besides `default`:
    /// the catalogue's samplers that fit it. For a flow model the Euler method is
    /// `FlowMatchEulerDiscreteScheduler`, so `euler` names it there (the name requests used
    /// before the catalogue existed).
    public static func names(for predictionType: PredictionType) -> [String] {
        SamplerName.fitting(predictionType).map { name in
            name == .flowEuler ? SamplerName.euler.rawValue : name.rawValue
        }
    }

    /// The scheduler a run uses: `config` (the folder's own) for `default`, else the catalogue's
    /// `sampler` read from it as diffusers' `from_config` does; `fitting` names the samplers the
    /// model offers, for the message when `sampler` is not one. `generator` feeds samplers that
    /// draw noise while stepping.
    public static func scheduler(_ sampler: String, config: SchedulerConfig, fitting: [String], steps: Int,
                                 generator: TorchGenerator?) throws -> any Scheduler {
        var config = config
        if sampler != SamplerNames.modelDefault {
            guard let name = resolve(sampler, for: config.predictionType) else {
                throw PipelineError.invalidSetting(
                    name: "sampler", value: sampler, valid: "the samplers that fit this model: " + fitting.joined(separator: ", "))
            }
            config = try SchedulerConfig.forSampler(name, basedOn: config)
        }
        return try makeScheduler(config: config, stepCount: steps, generator: generator)
    }

    /// The catalogue name of the sampler a scheduler config is (`default` when none is).
    public static func name(of config: SchedulerConfig) -> String {
        guard let name = SamplerName.allCases.first(where: { $0.schedulerClass == config.schedulerClass }) else {
            return SamplerNames.modelDefault
        }
        return config.predictionType == .flowPrediction && name == .flowEuler ? SamplerName.euler.rawValue : name.rawValue
    }

    /// The catalogue entry `name` means for a model predicting `predictionType`, or nil when
    /// the catalogue has no such name.
    public static func resolve(_ name: String, for predictionType: PredictionType) -> SamplerName? {
        if predictionType == .flowPrediction, name == SamplerName.euler.rawValue { return .flowEuler }
        return SamplerName(rawValue: name)
    }
}
