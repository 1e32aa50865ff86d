// The typed bag of a family's own settings (flow shift, text length, …): what a request
// carries beside the settings every family shares, checked against the options the loaded
// pipeline declares (`PipelineCapabilities.options`).
import Foundation

/// One option's value. Encoded as a plain JSON value (`5`, `5.5`, `"karras"`, `true`).
///
/// Numbers compare by value (`.integer(3) == .number(3)`): JSON does not keep the difference,
/// so a stored request reads back equal to the one written.
public enum OptionValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case text(String)
    case flag(Bool)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .flag(b); return }
        if let i = try? c.decode(Int.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        self = .text(try c.decode(String.self))
    }

    public static func == (a: OptionValue, b: OptionValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        switch (a, b) {
        case let (.text(x), .text(y)): return x == y
        case let (.flag(x), .flag(y)): return x == y
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .integer, .number: hasher.combine(doubleValue)
        case .text(let s): hasher.combine(s)
        case .flag(let b): hasher.combine(b)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .text(let s): try c.encode(s)
        case .flag(let b): try c.encode(b)
        }
    }

    /// A value typed without knowing its option's kind (`--set name=value`): a whole number,
    /// a number, `true`/`false`, else text. The option's spec converts it where it can
    /// (a whole number for a real option).
    public init(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let i = Int(t) { self = .integer(i) }
        else if let d = Double(t), d.isFinite { self = .number(d) }
        else if t == "true" || t == "false" { self = .flag(t == "true") }
        else { self = .text(t) }
    }

    /// The value as a number, when it is one.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        case .text, .flag: return nil
        }
    }

    /// The value as a whole number, when it is one.
    public var intValue: Int? {
        switch self {
        case .integer(let i): return i
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? Int(d) : nil
        case .text, .flag: return nil
        }
    }

    public var description: String {
        switch self {
        case .integer(let i): return String(i)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
        case .text(let s): return s
        case .flag(let b): return b ? "true" : "false"
        }
    }
}

/// A request's family options by their diffusers-style names (`flow_shift`,
/// `max_sequence_length`). An absent option takes the model's default.
public typealias ModelOptions = [String: OptionValue]

/// What one option of a pipeline is: its name, what it takes, its default and limits.
public struct OptionSpec: Sendable, Equatable {
    /// What values the option takes.
    public enum Kind: Sendable, Equatable {
        /// A real number in `range`.
        case number(ClosedRange<Double>)
        /// A whole number in `range`.
        case integer(ClosedRange<Int>)
        /// One of `choices`.
        case choice([String])
        case flag
    }

    /// The name requests use (`flow_shift`); the diffusers argument or config key it sets.
    public var name: String
    /// A short label for a settings pane ("Shift").
    public var label: String
    public var kind: Kind
    /// The model's own value, used when a request leaves the option out.
    public var defaultValue: OptionValue
    /// One line saying what it does.
    public var help: String

    public init(name: String, label: String, kind: Kind, defaultValue: OptionValue, help: String) {
        self.name = name
        self.label = label
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    /// What valid values look like, for messages: "a number from 0.1 to 100".
    public var validValues: String {
        switch kind {
        case .number(let r): return "a number from \(OptionValue.number(r.lowerBound)) to \(OptionValue.number(r.upperBound))"
        case .integer(let r): return "a whole number from \(r.lowerBound) to \(r.upperBound)"
        case .choice(let choices): return "one of " + choices.joined(separator: ", ")
        case .flag: return "true or false"
        }
    }

    /// Reads a value typed as text (`--set flow_shift=5`, a settings field).
    public func parse(_ text: String) -> OptionValue? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .number: return Double(t).map(OptionValue.number)
        case .integer: return Int(t).map(OptionValue.integer)
        case .choice: return .text(t)
        case .flag:
            switch t.lowercased() {
            case "true", "yes", "on", "1": return .flag(true)
            case "false", "no", "off", "0": return .flag(false)
            default: return nil
            }
        }
    }

    /// The value if it is valid for this option (a whole number is accepted for a real one).
    public func checked(_ value: OptionValue) -> OptionValue? {
        switch kind {
        case .number(let range):
            guard let d = value.doubleValue, d.isFinite, range.contains(d) else { return nil }
            return .number(d)
        case .integer(let range):
            guard let i = value.intValue, range.contains(i) else { return nil }
            return .integer(i)
        case .choice(let choices):
            guard case .text(let s) = value, choices.contains(s) else { return nil }
            return value
        case .flag:
            guard case .flag = value else { return nil }
            return value
        }
    }

    /// The nearest valid value to `value`, when there is one to suggest.
    public func nearest(_ value: OptionValue) -> OptionValue? {
        switch kind {
        case .number(let range):
            guard let d = value.doubleValue, !d.isNaN else { return nil }
            return .number(Swift.min(range.upperBound, Swift.max(range.lowerBound, d)))
        case .integer(let range):
            guard let d = value.doubleValue, !d.isNaN else { return nil }
            let clamped = Swift.min(Double(range.upperBound), Swift.max(Double(range.lowerBound), d.rounded()))
            return .integer(Int(clamped))
        case .choice, .flag:
            return nil
        }
    }
}
