import Foundation

/// Errors opening a weight store or fetching one key from it.
public enum WeightStoreError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The component folder does not exist.
    case folderMissing(path: String)
    /// No safetensors weights were found in the folder. `found` lists the files present.
    case noWeights(folder: String, expected: [String], found: [String])
    /// A `*.safetensors.index.json` file is unreadable or malformed.
    case invalidIndex(path: String, reason: String)
    /// An index names a shard file that is not there.
    case shardMissing(index: String, shard: String)
    /// An index maps a key to a shard that does not contain it.
    case indexKeyNotInShard(index: String, key: String, shard: String)
    /// Two stored tensors have the same key (after renaming).
    case duplicateKey(key: String, first: String, second: String)
    /// A requested key is not in the store.
    case missingKey(source: String, key: String, suggestion: String?)
    /// A requested key's stored shape differs from the shape the model expects.
    case shapeMismatch(source: String, key: String, file: String, expected: [Int], actual: [Int])
    /// A stored weight holds NaN or an infinity (`value` says which) at element `index`.
    case nonFinite(source: String, key: String, file: String, index: Int, value: String)

    public var description: String {
        switch self {
        case let .folderMissing(path):
            return "weights folder \(path) does not exist"
        case let .noWeights(folder, expected, found):
            let bin = found.filter { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".ckpt") }
            return "no safetensors weights in \(folder): looked for \(expected.joined(separator: ", "));"
                + " the folder holds \(found.isEmpty ? "no files" : found.sorted().joined(separator: ", "))"
                + (bin.isEmpty ? "" : ". Only safetensors is supported; convert \(bin.sorted().joined(separator: ", "))"
                    + " with `safetensors.torch.save_file` or re-save the model with diffusers")
        case let .invalidIndex(path, reason):
            return "weight index \(path) is invalid: \(reason)"
        case let .shardMissing(index, shard):
            return "weight index \(index) names shard '\(shard)', which is not in the folder (incomplete download?)"
        case let .indexKeyNotInShard(index, key, shard):
            return "weight index \(index) maps '\(key)' to '\(shard)', but that file has no such tensor"
        case let .duplicateKey(key, first, second):
            return "weight key '\(key)' appears twice: \(first) and \(second)"
        case let .missingKey(source, key, suggestion):
            return "weights in \(source) have no key '\(key)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
        case let .shapeMismatch(source, key, file, expected, actual):
            return "weight '\(key)' in \(source) (\(file)) has shape \(actual), but the model expects \(expected)"
                + " — does config.json match these weights?"
        case let .nonFinite(source, key, file, index, value):
            return "weight '\(key)' in \(source) (\(file)) holds \(value) at element \(index); a model cannot run on it "
                + "(a damaged download or a broken export: get or export the weights again)"
        }
    }

    public var errorDescription: String? { description }
}

/// The one error a strict load raises: every missing key, unused key and shape mismatch.
public struct StrictLoadError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A key the model asked for that the store lacks.
    public struct Missing: Sendable, Equatable {
        public let key: String
        /// The shape the model expected, when it said.
        public let expectedShape: [Int]?
    }
    /// A stored key the model never asked for.
    public struct Unused: Sendable, Equatable {
        public let key: String
        /// The key as spelled in the file, before renaming.
        public let fileKey: String
        public let file: String
        public let shape: [Int]
    }
    /// A key whose stored shape differs from the model's.
    public struct Mismatch: Sendable, Equatable {
        public let key: String
        public let file: String
        public let expected: [Int]
        public let actual: [Int]
    }

    /// The folder or file the store was opened from.
    public let source: String
    public let missing: [Missing]
    public let unused: [Unused]
    public let mismatched: [Mismatch]
    /// Suggestions, such as a prefix rule that would line missing and unused keys up.
    public let hints: [String]

    /// Lines listed per category before "… and N more".
    static let listLimit = 40

    public var description: String {
        var lines = ["strict weight loading failed for \(source): \(missing.count) missing, \(unused.count) unused,"
                     + " \(mismatched.count) shape mismatch\(mismatched.count == 1 ? "" : "es")"]
        func list<T>(_ items: [T], _ title: String, _ line: (T) -> String) {
            guard !items.isEmpty else { return }
            lines.append("\(title):")
            lines += items.prefix(Self.listLimit).map { "  " + line($0) }
            if items.count > Self.listLimit { lines.append("  … and \(items.count - Self.listLimit) more") }
        }
        list(mismatched, "shape mismatches") { "\($0.key): model expects \($0.expected), \($0.file) has \($0.actual)" }
        list(missing, "missing keys") { item in item.key + (item.expectedShape.map { " (expected \($0))" } ?? "") }
        list(unused, "unused keys") { item in
            item.key + (item.fileKey == item.key ? "" : " (stored as '\(item.fileKey)')") + " \(item.shape) in \(item.file)"
        }
        lines += hints.map { "hint: " + $0 }
        return lines.joined(separator: "\n")
    }

    public var errorDescription: String? { description }

    /// A hint when the missing and unused keys differ by a constant prefix.
    static func prefixHints(missing: [Missing], unused: [Unused]) -> [String] {
        let unusedKeys = unused.map(\.key)
        for item in missing {
            if let match = unusedKeys.first(where: { $0.hasSuffix("." + item.key) }) {
                let prefix = String(match.dropLast(item.key.count))
                return ["stored keys carry an extra prefix '\(prefix)' (e.g. '\(match)' for '\(item.key)');"
                        + " add KeyRenameRule.stripPrefix(\"\(prefix)\")"]
            }
            if let match = unusedKeys.first(where: { item.key.hasSuffix("." + $0) }) {
                let prefix = String(item.key.dropLast(match.count))
                return ["stored keys lack the prefix '\(prefix)' (e.g. '\(match)' for '\(item.key)');"
                        + " add KeyRenameRule.addPrefix(\"\(prefix)\")"]
            }
        }
        return []
    }
}
