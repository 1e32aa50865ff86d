// Scheduler configs decoded from a diffusers `scheduler_config.json` (diffusers 0.42.1): the
// keys and defaults are those of the matching scheduler's `__init__`. Keys this port does not
// model (e.g. `_diffusers_version`) are ignored, as diffusers ignores unknown keys.
import Foundation

/// The scheduler classes this module implements, by their diffusers `_class_name`.
public enum SchedulerClass: String, Sendable, CaseIterable {
    case flowMatchEulerDiscrete = "FlowMatchEulerDiscreteScheduler"
    case uniPCMultistep = "UniPCMultistepScheduler"
}

/// A decoded `scheduler_config.json`.
public struct SchedulerConfig: Sendable, Equatable {
    /// The class-specific settings.
    public enum Settings: Sendable, Equatable {
        case flowMatchEulerDiscrete(FlowMatchEulerDiscreteSchedulerConfig)
        case uniPCMultistep(UniPCMultistepSchedulerConfig)
    }

    /// The settings, by class.
    public var settings: Settings
    /// Where the config came from (a path, or a label), for error messages.
    public var source: String

    /// The diffusers class named by `_class_name`.
    public var schedulerClass: SchedulerClass {
        switch settings {
        case .flowMatchEulerDiscrete: return .flowMatchEulerDiscrete
        case .uniPCMultistep: return .uniPCMultistep
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
        let decoder = JSONDecoder()
        do {
            let header = try decoder.decode(ClassNameHeader.self, from: data)
            guard let name = header.className else {
                throw SchedulerConfigError.missingKey(file: source, key: "_class_name")
            }
            guard let schedulerClass = SchedulerClass(rawValue: name) else {
                throw SchedulerConfigError.unknownClassName(
                    file: source, name: name, supported: SchedulerClass.allCases.map(\.rawValue))
            }
            switch schedulerClass {
            case .flowMatchEulerDiscrete:
                let config = try decoder.decode(FlowMatchEulerDiscreteSchedulerConfig.self, from: data)
                return SchedulerConfig(settings: .flowMatchEulerDiscrete(config), source: source)
            case .uniPCMultistep:
                let config = try decoder.decode(UniPCMultistepSchedulerConfig.self, from: data)
                return SchedulerConfig(settings: .uniPCMultistep(config), source: source)
            }
        } catch let error as SchedulerConfigError {
            throw error.inFile(source)
        } catch let error as DecodingError {
            throw SchedulerConfigError(decodingError: error, file: source)
        }
    }

    private struct ClassNameHeader: Decodable {
        var className: String?
        enum CodingKeys: String, CodingKey { case className = "_class_name" }
    }
}

/// Builds the scheduler a config names, with its timesteps set for `stepCount` steps.
/// `mu` is the resolution-dependent shift, required when the config has
/// `use_dynamic_shifting: true` and ignored otherwise (as diffusers does).
public func makeScheduler(config: SchedulerConfig, stepCount: Int, mu: Double? = nil) throws -> any Scheduler {
    do {
        switch config.settings {
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
    /// The step count is not positive.
    case invalidStepCount(file: String, stepCount: Int)

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
            return "\(file): step count \(stepCount) is invalid; it must be at least 1"
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
