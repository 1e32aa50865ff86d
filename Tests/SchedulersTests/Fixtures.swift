import Foundation
import XCTest

/// Reads the JSON fixtures written by tools/reference/schedulers_fixtures.py.
enum Fixtures {
    static let regenerate = "tools/reference/generate_all.sh"

    static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Fixtures/schedulers")
    }

    static func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        let url = directory.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url) else {
            throw FixtureError.missing("missing fixture \(url.path); regenerate with: \(regenerate)")
        }
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// Little-endian float32 values from base64.
    static func floats(_ base64: String) throws -> [Float] {
        guard let data = Data(base64Encoded: base64), data.count % 4 == 0 else {
            throw FixtureError.badBase64
        }
        return stride(from: 0, to: data.count, by: 4).map { offset in
            let bits = UInt32(data[offset]) | UInt32(data[offset + 1]) << 8
                | UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    enum FixtureError: Error { case badBase64, missing(String) }
}

struct FixtureMeta: Decodable {
    var format_version: Int
    var torch: String
    var diffusers: String
}

/// Any JSON value, to carry a fixture's scheduler config back to JSON text.
enum JSONValue: Codable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    var data: Data { (try? JSONEncoder().encode(self)) ?? Data() }
}
