// Where `zoetrope history` writes and how it asks: the real terminal, or a capture in tests.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard streams as the history commands use them. Results go to `out` (so `--json`
/// output stays clean for scripts); notices, questions and errors go to `err`.
public struct HistoryConsole: Sendable {
    /// Writes text to standard output (the text carries its own newlines).
    public var out: @Sendable (String) -> Void
    /// Writes text to standard error.
    public var err: @Sendable (String) -> Void
    /// Whether standard input is a terminal (a person can be asked).
    public var inputIsTerminal: Bool
    /// Reads one line of the answer; nil at end of input.
    public var readLine: @Sendable () -> String?

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void,
                inputIsTerminal: Bool, readLine: @escaping @Sendable () -> String?) {
        self.out = out
        self.err = err
        self.inputIsTerminal = inputIsTerminal
        self.readLine = readLine
    }

    /// The process's own standard streams.
    public static var standard: HistoryConsole {
        HistoryConsole(out: { text in FileHandle.standardOutput.write(Data(text.utf8)) },
                       err: { text in FileHandle.standardError.write(Data(text.utf8)) },
                       inputIsTerminal: isatty(0) != 0,
                       readLine: { Swift.readLine(strippingNewline: true) })
    }
}

extension HistoryConsole {
    /// This console with control characters in everything it writes (but newline and tab)
    /// replaced by `\u001B`-style escapes: an escape sequence in a prompt is shown, not
    /// obeyed by the terminal. The form is a valid JSON escape too, so `--json` output stays
    /// JSON (its own encoder already escapes U+0000–U+001F; DEL and C1 are not).
    public func showingControlCharacters() -> HistoryConsole {
        let out = self.out, err = self.err
        return HistoryConsole(out: { out(Self.showingControlCharacters(in: $0)) },
                              err: { err(Self.showingControlCharacters(in: $0)) },
                              inputIsTerminal: inputIsTerminal, readLine: readLine)
    }

    /// `text` with C0 controls other than newline and tab, DEL and C1 controls as `\uXXXX`.
    public static func showingControlCharacters(in text: String) -> String {
        func isControl(_ v: UInt32) -> Bool { (v < 0x20 && v != 0x0A && v != 0x09) || (0x7F...0x9F).contains(v) }
        guard text.unicodeScalars.contains(where: { isControl($0.value) }) else { return text }
        var shown = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar.value) {
                shown += String(format: "\\u%04X", scalar.value)
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}
