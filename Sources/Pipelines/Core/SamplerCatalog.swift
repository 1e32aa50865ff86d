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

    /// The catalogue entry `name` means for a model predicting `predictionType`, or nil when
    /// the catalogue has no such name.
    public static func resolve(_ name: String, for predictionType: PredictionType) -> SamplerName? {
        if predictionType == .flowPrediction, name == SamplerName.euler.rawValue { return .flowEuler }
        return SamplerName(rawValue: name)
    }
}
