import Foundation
import RegularFiles

/// Decodes JSON config files (`config.json`, `scheduler_config.json`) into `Decodable`
/// structs, turning `DecodingError` into `DiffusersFolderError.configInvalid` naming the
/// file, the key path (`down_block_types[2]`), what was expected and what was found.
public enum ConfigDecoding {
    /// Decodes the JSON file at `url` as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw DiffusersFolderError.configMissing(path: path)
        }
        let data: Data
        do {
            data = try RegularFile.contents(of: url)
        } catch let error as RegularFile.NotRegular {
            throw DiffusersFolderError.configUnreadable(path: path, reason: error.reason)
        }
        return try decode(type, from: data, path: path)
    }

    /// Decodes JSON `data` as `T`; `path` names the source in errors.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw DiffusersFolderError.configUnreadable(path: path, reason: "not valid JSON (\(underlyingMessage(error)))")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            let (keyPath, problem) = describe(error, root: root)
            throw DiffusersFolderError.configInvalid(path: path, keyPath: keyPath, problem: problem)
        }
    }

    /// The key path and a readable problem for a decoding error; `root` supplies the value found.
    static func describe(_ error: DecodingError, root: JSONValue) -> (keyPath: String, problem: String) {
        switch error {
        case let .keyNotFound(key, context):
            return (render(context.codingPath + [key]), "missing required key")
        case let .typeMismatch(type, context):
            let found = value(at: context.codingPath, in: root).map { "found \($0.typeName) \($0)" } ?? "found another type"
            return (render(context.codingPath), "expected \(typeName(type)), \(found)")
        case let .valueNotFound(type, context):
            return (render(context.codingPath), "expected \(typeName(type)), found null")
        case let .dataCorrupted(context):
            let found = value(at: context.codingPath, in: root).map { " (found \($0))" } ?? ""
            return (render(context.codingPath), context.debugDescription + found)
        @unknown default:
            return ("", String(describing: error))
        }
    }

    /// `a.b[2].c` for a coding path.
    static func render(_ path: [CodingKey]) -> String {
        guard !path.isEmpty else { return "<root>" }
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    /// The JSON value at `path`, if it exists.
    static func value(at path: [CodingKey], in root: JSONValue) -> JSONValue? {
        var current = root
        for key in path {
            switch current {
            case let .object(fields):
                guard let next = fields[key.stringValue] else { return nil }
                current = next
            case let .array(items):
                guard let index = key.intValue, items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "a boolean"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") { return "an array" }
            if name.hasPrefix("Dictionary<") { return "an object" }
            return name
        }
    }

    private static func underlyingMessage(_ error: Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error, let underlying = context.underlyingError {
            return underlying.localizedDescription
        }
        return error.localizedDescription
    }
}
