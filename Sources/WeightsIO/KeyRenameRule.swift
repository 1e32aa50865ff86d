import Foundation

/// One rule for mapping a checkpoint's key spelling onto the spelling a model asks for.
///
/// Rules are data: a loader passes an ordered list (`[KeyRenameRule]`) and every key in
/// the files is rewritten by each rule in turn. For example transformers ≤ 4 saved CLIP
/// text encoders with a `text_model.` prefix that transformers 5 drops:
/// `[.stripPrefix("text_model.")]` makes both spellings load the same way.
public enum KeyRenameRule: Sendable, Equatable, CustomStringConvertible {
    /// Removes `prefix` from keys that start with it.
    case stripPrefix(String)
    /// Prepends `prefix` to every key.
    case addPrefix(String)
    /// Replaces a leading `prefix` with `replacement`.
    case replacePrefix(String, with: String)
    /// Replaces a trailing `suffix` with `replacement`.
    case replaceSuffix(String, with: String)
    /// Replaces every occurrence of `text` with `replacement`.
    case replaceSubstring(String, with: String)

    /// The key after this rule.
    public func apply(to key: String) -> String {
        switch self {
        case let .stripPrefix(prefix):
            return key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
        case let .addPrefix(prefix):
            return prefix + key
        case let .replacePrefix(prefix, replacement):
            return key.hasPrefix(prefix) ? replacement + key.dropFirst(prefix.count) : key
        case let .replaceSuffix(suffix, replacement):
            return key.hasSuffix(suffix) ? key.dropLast(suffix.count) + replacement : key
        case let .replaceSubstring(text, replacement):
            return text.isEmpty ? key : key.replacingOccurrences(of: text, with: replacement)
        }
    }

    public var description: String {
        switch self {
        case let .stripPrefix(prefix): return "strip prefix '\(prefix)'"
        case let .addPrefix(prefix): return "add prefix '\(prefix)'"
        case let .replacePrefix(prefix, replacement): return "prefix '\(prefix)' → '\(replacement)'"
        case let .replaceSuffix(suffix, replacement): return "suffix '\(suffix)' → '\(replacement)'"
        case let .replaceSubstring(text, replacement): return "'\(text)' → '\(replacement)'"
        }
    }
}

extension Array where Element == KeyRenameRule {
    /// The key after every rule, in order.
    public func apply(to key: String) -> String {
        reduce(key) { $1.apply(to: $0) }
    }
}
