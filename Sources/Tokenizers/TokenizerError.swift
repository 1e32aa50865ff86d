// Typed errors of the Tokenizers module. Every message names the file and what was wrong.

/// An error loading tokenizer files. Each case names the file it concerns.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be read.
    case missingFile(path: String)
    /// The file is not valid JSON / protobuf, or lacks a required part.
    case corruptFile(path: String, reason: String)
    /// The file uses a component (normalizer, pre-tokenizer, model type …) this module does not implement.
    case unsupported(path: String, component: String, value: String)
    /// A token the configuration needs is not in the vocabulary.
    case unknownToken(path: String, key: String, token: String)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "tokenizer file not found or unreadable: \(path)"
        case let .corruptFile(path, reason):
            return "corrupt tokenizer file \(path): \(reason)"
        case let .unsupported(path, component, value):
            return "\(path): unsupported \(component) \"\(value)\""
        case let .unknownToken(path, key, token):
            return "\(path): \(key) \"\(token)\" is not in the vocabulary"
        }
    }
}
