// Scheduler configs decoded from a diffusers `scheduler_config.json` (diffusers 0.42.1): the
// keys and defaults are those of the matching scheduler's `__init__`. Keys this port does not
// model (e.g. `_diffusers_version`) are ignored, as diffusers ignores unknown keys. The JSON
// object is kept, so a config can be read as another class (diffusers'
// `configuration_utils.py`, `ConfigMixin.from_config` / `extract_init_dict`).
import Foundation

/// The scheduler classes this module implements, by their diffusers `_class_name`.
public enum SchedulerClass: String, Sendable, CaseIterable {
    case cogVideoXDDIM = "CogVideoXDDIMScheduler"
    case cogVideoXDPM = "CogVideoXDPMScheduler"
    case ddim = "DDIMScheduler"
    case ddpm = "DDPMScheduler"
    case dpmSolverMultistep = "DPMSolverMultistepScheduler"
    case eulerAncestralDiscrete = "EulerAncestralDiscreteScheduler"
    case eulerDiscrete = "EulerDiscreteScheduler"
    case flowMatchEulerDiscrete = "FlowMatchEulerDiscreteScheduler"
    case uniPCMultistep = "UniPCMultistepScheduler"

    /// Whether `step` draws noise, so ``makeScheduler(config:stepCount:mu:generator:)`` needs a generator.
    public var isStochastic: Bool {
        switch self {
        case .ddpm, .eulerAncestralDiscrete, .cogVideoXDPM: return true
        default: return false
        }
    }
}

/// A decoded `scheduler_config.json`: the class-specific settings plus the JSON object they came
/// from, which ``converted(to:overriding:)`` reads again as another class (diffusers'
/// `OtherScheduler.from_config(scheduler.config)`).
public struct SchedulerConfig: Sendable, Equatable {
    /// The class-specific settings, one case per class.
    public enum Settings: Sendable, Equatable {
        case cogVideoXDDIM(CogVideoXDDIMSchedulerConfig)
        case cogVideoXDPM(CogVideoXDPMSchedulerConfig)
        case ddim(DDIMSchedulerConfig)
        case ddpm(DDPMSchedulerConfig)
        case dpmSolverMultistep(DPMSolverMultistepSchedulerConfig)
        case eulerAncestralDiscrete(EulerAncestralDiscreteSchedulerConfig)
        case eulerDiscrete(EulerDiscreteSchedulerConfig)
        case flowMatchEulerDiscrete(FlowMatchEulerDiscreteSchedulerConfig)
        case uniPCMultistep(UniPCMultistepSchedulerConfig)
    }

    /// The class-specific settings.
    public private(set) var classSettings: Settings
    /// The JSON object the settings were decoded from (keys as given; absent keys take the class
    /// defaults, as diffusers' `_use_default_values` arranges for `from_config`).
    public private(set) var json: [String: ConfigValue]
    /// Where the config came from (a path, or a label), for error messages.
    public var source: String

    /// The diffusers class named by `_class_name`.
    public var schedulerClass: SchedulerClass {
        switch classSettings {
        case .cogVideoXDDIM: return .cogVideoXDDIM
        case .cogVideoXDPM: return .cogVideoXDPM
        case .ddim: return .ddim
        case .ddpm: return .ddpm
        case .dpmSolverMultistep: return .dpmSolverMultistep
        case .eulerAncestralDiscrete: return .eulerAncestralDiscrete
        case .eulerDiscrete: return .eulerDiscrete
        case .flowMatchEulerDiscrete: return .flowMatchEulerDiscrete
        case .uniPCMultistep: return .uniPCMultistep
        }
    }

    /// What the model's output means under this config (`prediction_type`; flow for FlowMatch).
    public var predictionType: PredictionType {
        switch classSettings {
        case .cogVideoXDDIM(let s), .cogVideoXDPM(let s): return s.predictionType.predictionType
        case .ddim(let s): return s.predictionType.predictionType
        case .ddpm(let s): return s.predictionType.predictionType
        case .dpmSolverMultistep(let s): return s.predictionType
        case .eulerAncestralDiscrete(let s): return s.predictionType.predictionType
        case .eulerDiscrete(let s): return s.predictionType.predictionType
        case .flowMatchEulerDiscrete: return .flowPrediction
        case .uniPCMultistep(let s): return s.predictionType
        }
    }

    /// Reads and decodes a `scheduler_config.json`.
    public static func load(contentsOf url: URL) throws -> SchedulerConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SchedulerConfigError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        return try decode(data, source: url.path)
    }

    /// Decodes the JSON text of a `scheduler_config.json`; `source` names it in errors.
    public static func decode(_ data: Data, source: String) throws -> SchedulerConfig {
        // Foundation's JSON5 scanner traps on a key that is not valid UTF-8 (found by
        // tools/fuzz: FoundationEssentials/CodableUtilities.swift:685) instead of throwing:
        // check the text first.
        if let bad = firstInvalidUTF8Offset(data) {
            throw SchedulerConfigError.unreadable(file: source, reason: "not UTF-8 text (an invalid byte at offset \(bad))")
        }
        let decoder = JSONDecoder()
        // Python's json writes ±Infinity bare (diffusers' `lambda_min_clipped: -Infinity`), which
        // JSON5 reads; re-encoded configs carry them as strings.
        decoder.allowsJSON5 = true
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            let json = try decoder.decode([String: ConfigValue].self, from: data)
            guard case .string(let name)? = json["_class_name"] else {
                if json["_class_name"] == nil || json["_class_name"] == .null {
                    throw SchedulerConfigError.missingKey(file: source, key: "_class_name")
                }
                throw SchedulerConfigError.invalidValue(file: source, key: "_class_name", value: "of another type",
                                                        expected: "a string")
            }
            guard let schedulerClass = SchedulerClass(rawValue: name) else {
                throw SchedulerConfigError.unknownClassName(
                    file: source, name: name, supported: SchedulerClass.allCases.map(\.rawValue))
            }
            let settings: Settings
            switch schedulerClass {
            case .cogVideoXDDIM: settings = .cogVideoXDDIM(try decoder.decode(CogVideoXDDIMSchedulerConfig.self, from: data))
            case .cogVideoXDPM: settings = .cogVideoXDPM(try decoder.decode(CogVideoXDPMSchedulerConfig.self, from: data))
            case .ddim: settings = .ddim(try decoder.decode(DDIMSchedulerConfig.self, from: data))
            case .ddpm: settings = .ddpm(try decoder.decode(DDPMSchedulerConfig.self, from: data))
            case .dpmSolverMultistep:
                settings = .dpmSolverMultistep(try decoder.decode(DPMSolverMultistepSchedulerConfig.self, from: data))
            case .eulerAncestralDiscrete:
                settings = .eulerAncestralDiscrete(
                    try decoder.decode(EulerAncestralDiscreteSchedulerConfig.self, from: data))
            case .eulerDiscrete: settings = .eulerDiscrete(try decoder.decode(EulerDiscreteSchedulerConfig.self, from: data))
            case .flowMatchEulerDiscrete:
                settings = .flowMatchEulerDiscrete(
                    try decoder.decode(FlowMatchEulerDiscreteSchedulerConfig.self, from: data))
            case .uniPCMultistep: settings = .uniPCMultistep(try decoder.decode(UniPCMultistepSchedulerConfig.self, from: data))
            }
            return SchedulerConfig(classSettings: settings, json: json, source: source)
        } catch let error as SchedulerConfigError {
            throw error.inFile(source)
        } catch let error as DecodingError {
            throw SchedulerConfigError(decodingError: error, file: source)
        }
    }

    /// The same JSON read as `target` (diffusers' `Target.from_config(config, **overrides)`):
    /// keys `target` does not know are ignored, keys absent take `target`'s defaults, and
    /// `overrides` replace keys. Unlike diffusers, the flow shift is carried across between
    /// `FlowMatchEulerDiscreteScheduler` (`shift`) and the multistep solvers (`flow_shift`), and a
    /// FlowMatch config read as UniPC or DPM-Solver turns on their flow mode (`use_flow_sigmas`,
    /// `prediction_type` "flow_prediction") — what a flow model needs.
    public func converted(to target: SchedulerClass, overriding overrides: [String: ConfigValue] = [:]) throws
        -> SchedulerConfig {
        var json = self.json
        json["_class_name"] = .string(target.rawValue)
        let flowSolvers: Set<SchedulerClass> = [.uniPCMultistep, .dpmSolverMultistep]
        if schedulerClass == .flowMatchEulerDiscrete, flowSolvers.contains(target) {
            json["flow_shift"] = json["shift"] ?? .number(1)
            json["use_flow_sigmas"] = .bool(true)
            json["prediction_type"] = .string(PredictionType.flowPrediction.rawValue)
        } else if target == .flowMatchEulerDiscrete, flowSolvers.contains(schedulerClass),
                  predictionType == .flowPrediction {
            json["shift"] = json["flow_shift"] ?? .number(1)
        }
        for (key, value) in overrides { json[key] = value }
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.nonConformingFloatEncodingStrategy = .convertToString(
                positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
            data = try encoder.encode(json)
        } catch {
            throw SchedulerConfigError.malformed(file: source, reason: "\(error)")
        }
        return try SchedulerConfig.decode(data, source: source)
    }
}

/// A JSON value of a scheduler config, kept so a config can be read again as another class.
public enum ConfigValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([ConfigValue])
    case object([String: ConfigValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([ConfigValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: ConfigValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// Builds the scheduler a config names, with its timesteps set for `stepCount` steps.
/// `mu` is the resolution-dependent shift, required when a flow config has
/// `use_dynamic_shifting: true` and ignored otherwise (as diffusers does). `generator` is the
/// generator diffusers' pipeline passes to `step` — required by the stochastic samplers
/// (``SchedulerClass/isStochastic``: DDPM, Euler ancestral, CogVideoX-DPM), which throw
/// ``SchedulerConfigError/missingGenerator(file:schedulerClass:)`` without one rather than
/// silently picking a seed; ignored by the others.
public func makeScheduler(config: SchedulerConfig, stepCount: Int, mu: Double? = nil,
                          generator: TorchGenerator? = nil) throws -> any Scheduler {
    do {
        func requireGenerator() throws -> TorchGenerator {
            guard let generator else {
                throw SchedulerConfigError.missingGenerator(file: config.source,
                                                            schedulerClass: config.schedulerClass.rawValue)
            }
            return generator
        }
        switch config.classSettings {
        case .cogVideoXDDIM(let settings):
            return try CogVideoXDDIMScheduler(config: settings, stepCount: stepCount)
        case .cogVideoXDPM(let settings):
            return try CogVideoXDPMScheduler(config: settings, stepCount: stepCount, generator: try requireGenerator())
        case .ddim(let settings):
            return try DDIMScheduler(config: settings, stepCount: stepCount)
        case .ddpm(let settings):
            return try DDPMScheduler(config: settings, stepCount: stepCount, generator: try requireGenerator())
        case .dpmSolverMultistep(let settings):
            return try DPMSolverMultistepScheduler(config: settings, stepCount: stepCount)
        case .eulerAncestralDiscrete(let settings):
            return try EulerAncestralDiscreteScheduler(config: settings, stepCount: stepCount,
                                                       generator: try requireGenerator())
        case .eulerDiscrete(let settings):
            return try EulerDiscreteScheduler(config: settings, stepCount: stepCount)
        case .flowMatchEulerDiscrete(let settings):
            return try FlowMatchEulerDiscreteScheduler(config: settings, stepCount: stepCount, mu: mu)
        case .uniPCMultistep(let settings):
            return try UniPCMultistepScheduler(config: settings, stepCount: stepCount, mu: mu)
        }
    } catch let error as SchedulerConfigError {
        throw error.inFile(config.source)
    }
}

/// Why a scheduler config could not be decoded or used.
public enum SchedulerConfigError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The JSON is malformed or not an object.
    case malformed(file: String, reason: String)
    /// A required key is absent.
    case missingKey(file: String, key: String)
    /// `_class_name` names a scheduler this module does not implement.
    case unknownClassName(file: String, name: String, supported: [String])
    /// A key holds a value of the wrong type or outside its allowed set.
    case invalidValue(file: String, key: String, value: String, expected: String)
    /// A valid diffusers setting this port does not implement.
    case unsupportedSetting(file: String, key: String, value: String, supported: String)
    /// `use_dynamic_shifting` is on but no `mu` was given.
    case missingMu(file: String)
    /// The step count is not positive (or exceeds `num_train_timesteps` where diffusers refuses that).
    case invalidStepCount(file: String, stepCount: Int)
    /// A stochastic sampler was built without a generator.
    case missingGenerator(file: String, schedulerClass: String)
    /// The chosen sampler cannot run a model with this prediction type; `fitting` lists those that can.
    case samplerDoesNotFit(file: String, sampler: String, predictionType: String, fitting: [String])

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read the scheduler config (\(reason))"
        case let .malformed(file, reason):
            return "\(file): not a valid scheduler config JSON object (\(reason))"
        case let .missingKey(file, key):
            return "\(file): missing required key \"\(key)\""
        case let .unknownClassName(file, name, supported):
            return "\(file): \"_class_name\" is \"\(name)\", which is not implemented; supported: "
                + supported.joined(separator: ", ")
        case let .invalidValue(file, key, value, expected):
            return "\(file): key \"\(key)\" has value \(value); expected \(expected)"
        case let .unsupportedSetting(file, key, value, supported):
            return "\(file): \"\(key)\": \(value) is a valid diffusers setting but is not implemented here; "
                + "supported: \(supported)"
        case let .missingMu(file):
            return "\(file): \"use_dynamic_shifting\" is true, so set_timesteps needs mu (none was given)"
        case let .invalidStepCount(file, stepCount):
            return "\(file): step count \(stepCount) is invalid; it must be at least 1 (and at most num_train_timesteps)"
        case let .missingGenerator(file, schedulerClass):
            return "\(file): \(schedulerClass) draws noise in every step, so it needs a generator (none was given)"
        case let .samplerDoesNotFit(file, sampler, predictionType, fitting):
            return "\(file): sampler \"\(sampler)\" cannot run a model whose prediction_type is \"\(predictionType)\"; "
                + "samplers that fit: " + fitting.joined(separator: ", ")
        }
    }

    /// The same error attributed to `file` (errors thrown while decoding carry an empty name).
    func inFile(_ file: String) -> SchedulerConfigError {
        switch self {
        case let .unreadable(f, r): return .unreadable(file: f.isEmpty ? file : f, reason: r)
        case let .malformed(f, r): return .malformed(file: f.isEmpty ? file : f, reason: r)
        case let .missingKey(f, k): return .missingKey(file: f.isEmpty ? file : f, key: k)
        case let .unknownClassName(f, n, s): return .unknownClassName(file: f.isEmpty ? file : f, name: n, supported: s)
        case let .invalidValue(f, k, v, e):
            return .invalidValue(file: f.isEmpty ? file : f, key: k, value: v, expected: e)
        case let .unsupportedSetting(f, k, v, s):
            return .unsupportedSetting(file: f.isEmpty ? file : f, key: k, value: v, supported: s)
        case let .missingMu(f): return .missingMu(file: f.isEmpty ? file : f)
        case let .invalidStepCount(f, n): return .invalidStepCount(file: f.isEmpty ? file : f, stepCount: n)
        case let .missingGenerator(f, c): return .missingGenerator(file: f.isEmpty ? file : f, schedulerClass: c)
        case let .samplerDoesNotFit(f, s, p, fit):
            return .samplerDoesNotFit(file: f.isEmpty ? file : f, sampler: s, predictionType: p, fitting: fit)
        }
    }

    init(decodingError: DecodingError, file: String) {
        func keyPath(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch decodingError {
        case let .typeMismatch(type, context):
            self = .invalidValue(file: file, key: keyPath(context.codingPath),
                                 value: "of another type", expected: "a value of type \(type)")
        case let .valueNotFound(type, context):
            self = .invalidValue(file: file, key: keyPath(context.codingPath),
                                 value: "null", expected: "a value of type \(type)")
        case let .keyNotFound(key, context):
            self = .missingKey(file: file, key: keyPath(context.codingPath + [key]))
        case let .dataCorrupted(context):
            self = .malformed(file: file, reason: context.debugDescription)
        @unknown default:
            self = .malformed(file: file, reason: "\(decodingError)")
        }
    }
}

/// Helpers for configs whose every key has a diffusers default.
extension KeyedDecodingContainer {
    func value<T: Decodable>(_ key: Key, default defaultValue: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? defaultValue
    }

    /// A one-of-N string setting, with the allowed spellings named in the error.
    func choice<T: RawRepresentable & CaseIterable>(_ key: Key, default defaultValue: T) throws -> T
    where T.RawValue == String {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return defaultValue }
        guard let value = T(rawValue: text) else {
            throw SchedulerConfigError.invalidValue(
                file: "", key: key.stringValue, value: "\"\(text)\"",
                expected: "one of " + T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        return value
    }

    /// Throws `unsupportedSetting` when a boolean flag this port does not implement is set.
    func requireFalse(_ key: Key) throws {
        if try decodeIfPresent(Bool.self, forKey: key) == true {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: key.stringValue, value: "true",
                                                         supported: "false")
        }
    }

    /// Throws `unsupportedSetting` when a key this port does not implement is non-null.
    func requireNull(_ key: Key) throws {
        if contains(key), try !decodeNil(forKey: key) {
            throw SchedulerConfigError.unsupportedSetting(file: "", key: key.stringValue, value: "non-null",
                                                         supported: "null")
        }
    }
}

/// The offset of the first byte of `data` that does not belong to valid UTF-8, or nil.
func firstInvalidUTF8Offset(_ data: Data) -> Int? {
    var iterator = data.makeIterator()
    var decoder = Unicode.UTF8.ForwardParser()
    var offset = 0
    while true {
        switch decoder.parseScalar(from: &iterator) {
        case .valid(let scalar): offset += scalar.count
        case .emptyInput: return nil
        case .error: return offset
        }
    }
}
