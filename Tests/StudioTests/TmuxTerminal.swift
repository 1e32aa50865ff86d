import Foundation

/// A real terminal for end-to-end tests: one detached tmux session of a fixed size on a
/// private server (`tmux -L socket`, no user configuration), driven with `send-keys` and read
/// with `capture-pane`. `kill()` stops that server and everything running in it.
final class TmuxTerminal {
    enum Failure: Error, CustomStringConvertible {
        /// tmux is not on the PATH.
        case tmuxMissing(searched: [String])
        /// A tmux command itself failed.
        case command([String], status: Int32, stderr: String)
        /// The screen never showed what was awaited.
        case timedOut(waitingFor: String, seconds: Double, screen: String)

        var description: String {
            switch self {
            case .tmuxMissing(let searched):
                return "tmux is not installed (looked in \(searched.joined(separator: ":"))); "
                    + "`tools/setup.sh` installs it (apt-get install tmux)"
            case .command(let arguments, let status, let stderr):
                return "`tmux \(arguments.joined(separator: " "))` failed with status \(status): \(stderr)"
            case .timedOut(let what, let seconds, let screen):
                return "timed out after \(Int(seconds)) s waiting for \(what); the screen was:\n\(screen)"
            }
        }
    }

    let tmux: URL
    let socket: String
    let session = "e2e"
    let columns: Int
    let rows: Int
    /// The server's socket file, removed by `kill()` (tmux leaves it behind).
    private var socketPath: String?

    /// Finds tmux on the PATH.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        guard let tmux = ChildProcess.locate("tmux", environment: environment) else {
            throw Failure.tmuxMissing(searched: ChildProcess.searchFolders(environment: environment))
        }
        return tmux
    }

    init(tmux: URL, columns: Int = 120, rows: Int = 40) {
        self.tmux = tmux
        socket = "zoetrope-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
        self.columns = columns
        self.rows = rows
    }

    /// Starts the session running `command` (argv, executed directly), in `directory`.
    func start(_ command: [String], in directory: URL) throws {
        try tmuxCommand(["-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "\(columns)", "-y", "\(rows)",
                         "-c", directory.path, "--"] + command)
        // A fixed size even if a client ever attaches; keep the pane after its program exits.
        try tmuxCommand(["set-option", "-t", session, "window-size", "manual"])
        try tmuxCommand(["set-option", "-t", session, "remain-on-exit", "on"])
        socketPath = try query("#{socket_path}")
    }

    /// Types `text` literally (no key names).
    func type(_ text: String) throws {
        try tmuxCommand(["send-keys", "-t", session, "-l", "--", text])
    }

    /// Presses keys by tmux name: `Enter`, `Escape`, `C-x`, or single characters.
    func press(_ keys: String...) throws {
        try tmuxCommand(["send-keys", "-t", session, "--"] + keys)
    }

    /// The visible pane as text; with `escapes`, including colour and attribute sequences.
    func capture(escapes: Bool = false) throws -> String {
        try tmuxCommand(["capture-pane", "-p", "-t", session] + (escapes ? ["-e"] : []))
    }

    /// A tmux format of the pane, e.g. `#{alternate_on}`.
    func query(_ format: String) throws -> String {
        try tmuxCommand(["display-message", "-p", "-t", session, format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls the screen until `condition` holds; returns that screen, or throws with the last
    /// one seen.
    @discardableResult
    func waitFor(_ what: String, timeout: Double, escapes: Bool = false,
                 _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while true {
            screen = try capture(escapes: escapes)
            if condition(screen) { return screen }
            if Date() > deadline {
                let plain = escapes ? ((try? capture()) ?? screen) : screen
                throw Failure.timedOut(waitingFor: what, seconds: timeout, screen: plain)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Stops the private server and whatever still runs in it. Safe to call twice.
    func kill() {
        _ = try? tmuxCommand(["kill-server"])
        if let socketPath, socketPath.contains(socket) { try? FileManager.default.removeItem(atPath: socketPath) }
        socketPath = nil
    }

    @discardableResult
    private func tmuxCommand(_ arguments: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil  // a test run from inside tmux still gets its own server
        let (status, stdout, stderr) = try ChildProcess.run(tmux.path, ["tmux", "-L", socket] + arguments,
                                                            environment: environment)
        guard status == 0 else { throw Failure.command(arguments, status: status, stderr: stderr) }
        return stdout
    }
}
