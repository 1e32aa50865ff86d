// Errors a pipeline reports to its caller, in words a person can act on.

/// Why a pipeline could not load or run.
public enum PipelineError: Error, Equatable, CustomStringConvertible {
    /// The folder is not a diffusers pipeline folder (no readable `model_index.json`).
    case notAModelFolder(path: String, reason: String)
    /// `model_index.json` names a pipeline class this version cannot run.
    case unsupportedPipeline(path: String, className: String, supported: [String])
    /// A component's class is not one this pipeline can load.
    case unsupportedComponent(path: String, component: String, className: String, supported: [String])
    /// A component the pipeline needs is absent.
    case missingComponent(path: String, component: String)
    /// A setting of the request is outside what this model can take.
    case invalidSetting(name: String, value: String, valid: String)
    /// The initial-noise tensor does not have the shape the pipeline needs.
    case noiseShape(file: String, shape: [Int], expected: [Int])
    /// The initial-noise file has no usable `latents` tensor.
    case noiseFile(file: String, reason: String)

    public var description: String {
        switch self {
        case let .notAModelFolder(path, reason):
            return "\(path) is not a diffusers model folder: \(reason)"
        case let .unsupportedPipeline(path, className, supported):
            return "\(path): model_index.json names \(className), which this version of Zoetrope cannot run; "
                + "it runs: \(supported.joined(separator: ", "))"
        case let .unsupportedComponent(path, component, className, supported):
            return "\(path): component \"\(component)\" is a \(className); supported: \(supported.joined(separator: ", "))"
        case let .missingComponent(path, component):
            return "\(path): the pipeline needs a \"\(component)\" component, and model_index.json has none"
        case let .invalidSetting(name, value, valid):
            return "\(name) \(value) cannot be used with this model: \(valid)"
        case let .noiseShape(file, shape, expected):
            return "\(file): tensor \"latents\" has shape \(shape); this request needs \(expected) "
                + "([batch, latent channels, latent frames, height / scale, width / scale])"
        case let .noiseFile(file, reason):
            return "\(file): \(reason)"
        }
    }

    /// Whether the error is about the request (as opposed to the model folder).
    public var isBadRequest: Bool {
        switch self {
        case .invalidSetting, .noiseShape, .noiseFile: return true
        default: return false
        }
    }
}
