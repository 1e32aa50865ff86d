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
