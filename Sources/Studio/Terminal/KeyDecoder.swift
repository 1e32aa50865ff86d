/// Turns what curses reads (characters and key codes) into `Key`s: control characters,
/// Alt as a leading ESC, bracketed paste (`ESC[200~ … ESC[201~`) and a lone Esc after a
/// timeout. Pure, so it is tested without a terminal.
public struct KeyDecoder: Sendable {
    /// One read from the terminal.
    public enum Input: Equatable, Sendable {
        case character(UInt32)
        case keyCode(Int32)
        /// Nothing arrived within the read timeout.
        case timeout
    }

    /// ncurses key codes (ncurses.h; stable across versions).
    public enum Code {
        public static let down: Int32 = 258, up: Int32 = 259, left: Int32 = 260, right: Int32 = 261
        public static let home: Int32 = 262, backspace: Int32 = 263, f0: Int32 = 264
        public static let delete: Int32 = 330, pageDown: Int32 = 338, pageUp: Int32 = 339
        public static let enter: Int32 = 343, backTab: Int32 = 353, end: Int32 = 360
    }

    /// Key codes the terminal's terminfo assigns at run time (ctrl-arrows and the like).
    public var extraCodes: [Int32: Key]
    private var escape = false
    private var sequence = ""
    private var paste: String?

    public init(extraCodes: [Int32: Key] = [:]) {
        self.extraCodes = extraCodes
    }

    public mutating func feed(_ input: Input) -> [Key] {
        if paste != nil { return feedPaste(input) }
        switch input {
        case .timeout:
            if escape && sequence.isEmpty {
                escape = false
                return [.escape]
            }
            return []
        case .keyCode(let code):
            escape = false
            sequence = ""
            return key(forCode: code).map { [$0] } ?? []
        case .character(let value):
            guard let scalar = Unicode.Scalar(value) else { return [] }
            if escape { return continueEscape(scalar) }
            if value == 27 {
                escape = true
                sequence = ""
                return []
            }
            return plainKey(scalar).map { [$0] } ?? []
        }
    }

    private mutating func continueEscape(_ scalar: Unicode.Scalar) -> [Key] {
        if sequence.isEmpty {
            switch scalar {
            case "[", "O":
                sequence = String(scalar)
                return []
            case "\u{1B}":
                return [.escape]  // stay in escape: the second ESC may start a sequence
            case "\u{7F}", "\u{08}":
                escape = false
                return [.altBackspace]
            case "\r", "\n":
                escape = false
                return [.altEnter]
            default:
                escape = false
                if scalar.value >= 0x20 { return [.alt(Character(scalar))] }
                return [.escape] + (plainKey(scalar).map { [$0] } ?? [])
            }
        }
        sequence.unicodeScalars.append(scalar)
        // A CSI sequence ends with a byte in 0x40…0x7E.
        guard (0x40...0x7E).contains(scalar.value) else { return [] }
        defer { escape = false; sequence = "" }
        switch sequence {
        case "[200~":
            paste = ""
            return []
        case "[1;5D", "[1;3D", "[5D": return [.wordLeft]
        case "[1;5C", "[1;3C", "[5C": return [.wordRight]
        case "[A", "OA": return [.up]
        case "[B", "OB": return [.down]
        case "[C", "OC": return [.right]
        case "[D", "OD": return [.left]
        case "[H", "OH", "[1~": return [.home]
        case "[F", "OF", "[4~": return [.end]
        case "[3~": return [.delete]
        case "[Z": return [.backTab]
        case "OP": return [.function(1)]
        default: return []  // an unknown sequence is dropped, not typed
        }
    }

    private mutating func feedPaste(_ input: Input) -> [Key] {
        guard case .character(let value) = input, let scalar = Unicode.Scalar(value) else { return [] }
        paste?.unicodeScalars.append(scalar)
        let end = "\u{1B}[201~"
        if let text = paste, text.hasSuffix(end) {
            paste = nil
            return [.paste(String(text.dropLast(end.count)))]
        }
        return []
    }

    private func plainKey(_ scalar: Unicode.Scalar) -> Key? {
        switch scalar.value {
        case 13: return .enter
        case 10: return .control("j")
        case 9: return .tab
        case 8, 127: return .backspace
        case 31: return .control("_")
        case 26: return .control("z")
        case 1...26: return .control(Character(Unicode.Scalar(scalar.value + 96)!))
        case 0, 28...30: return nil
        default: return .character(Character(scalar))
        }
    }

    private func key(forCode code: Int32) -> Key? {
        if let extra = extraCodes[code] { return extra }
        switch code {
        case Code.down: return .down
        case Code.up: return .up
        case Code.left: return .left
        case Code.right: return .right
        case Code.home: return .home
        case Code.end: return .end
        case Code.backspace: return .backspace
        case Code.delete: return .delete
        case Code.pageDown: return .pageDown
        case Code.pageUp: return .pageUp
        case Code.enter: return .enter
        case Code.backTab: return .backTab
        case Code.f0 + 1...Code.f0 + 12: return .function(Int(code - Code.f0))
        default: return nil
        }
    }
}
