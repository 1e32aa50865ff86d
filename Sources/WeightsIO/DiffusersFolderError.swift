import Foundation

/// Errors reading a diffusers pipeline folder, its `model_index.json` and component configs.
public enum DiffusersFolderError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The folder does not exist.
    case folderMissing(path: String)
    /// The folder has no `model_index.json`. `found` lists what it holds.
    case notADiffusersFolder(path: String, found: [String])
    /// `model_index.json` is not valid JSON or lacks `_class_name`.
    case invalidModelIndex(path: String, reason: String)
    /// A component folder is absent. `reason` says whether model_index.json lists it.
    case componentMissing(component: String, folder: String, reason: String)
    /// A config file is absent.
    case configMissing(path: String)
    /// A config file cannot be read or is not valid JSON.
    case configUnreadable(path: String, reason: String)
    /// A config file is valid JSON but does not decode: `keyPath` names the key.
    case configInvalid(path: String, keyPath: String, problem: String)
    /// No tokenizer files were found in a tokenizer folder.
    case tokenizerMissing(path: String, expected: [String])

    public var description: String {
        switch self {
        case let .folderMissing(path):
            return "model folder \(path) does not exist"
        case let .notADiffusersFolder(path, found):
            return "\(path) is not a diffusers model folder: it has no model_index.json"
                + " (it holds \(found.isEmpty ? "nothing" : found.sorted().joined(separator: ", ")));"
                + " download a diffusers-format repository (e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers)"
        case let .invalidModelIndex(path, reason):
            return "\(path) is invalid: \(reason)"
        case let .componentMissing(component, folder, reason):
            return "component '\(component)' is missing from \(folder): \(reason)"
        case let .configMissing(path):
            return "config file \(path) does not exist"
        case let .configUnreadable(path, reason):
            return "cannot read config file \(path): \(reason)"
        case let .configInvalid(path, keyPath, problem):
            return "config file \(path), key '\(keyPath)': \(problem)"
        case let .tokenizerMissing(path, expected):
            return "no tokenizer files in \(path): expected one of \(expected.joined(separator: ", "))"
        }
    }

    public var errorDescription: String? { description }
}
