import Foundation

/// Programs the end-to-end tests run (tmux, Xvfb, xterm, xdotool, xwd), started with
/// posix_spawn rather than Foundation's `Process`: on Linux `Process` learns that a child ended
/// when a pipe it hands the child closes, and a server that daemonizes (tmux) keeps that pipe,
/// so `waitUntilExit` would never return. Output goes through files.
enum ChildProcess {
    struct Failure: Error, CustomStringConvertible {
        var argv: [String]
        var reason: String
        var description: String { "`\(argv.joined(separator: " "))` \(reason)" }
    }

    /// The first executable `name` on `PATH` or in the usual folders, or nil.
    static func locate(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        searchFolders(environment: environment).lazy.map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// `PATH`'s folders, then the usual ones.
    static func searchFolders(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
            + ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"]
    }

    /// Starts `path` with `argv` (argv[0] first) and stdin from /dev/null; stdout and stderr go
    /// to the given files (created or truncated); `extraFile`, if given, is opened for writing
    /// as descriptor 3 (Xvfb's `-displayfd 3`). Returns the child's pid.
    static func spawn(_ path: String, _ argv: [String], environment: [String: String],
                      stdout: String, stderr: String, extraFile: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let extraFile { posix_spawn_file_actions_addopen(&actions, 3, extraFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        let cArgv = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, cArgv, cEnv)
        guard spawned == 0 else { throw Failure(argv: argv, reason: "could not start: \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// Waits for `pid` to end; its exit status (128 + signal if killed).
    static func wait(_ pid: pid_t, argv: [String]) throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure(argv: argv, reason: "waitpid: errno \(errno)") }
        }
        return exitStatus(status)
    }

    /// The exit status of `pid` if it has ended (reaping it), nil while it runs.
    static func poll(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid ? exitStatus(status) : nil
    }

    /// Runs `path` to completion: its exit status, stdout and stderr.
    static func run(_ path: String, _ argv: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let folder = FileManager.default.temporaryDirectory
        let outPath = folder.appendingPathComponent("zoetrope-child-\(UUID().uuidString).out").path
        let errPath = folder.appendingPathComponent("zoetrope-child-\(UUID().uuidString).err").path
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let pid = try spawn(path, argv, environment: environment, stdout: outPath, stderr: errPath)
        let status = try wait(pid, argv: argv)
        return (status, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// WIFEXITED / WEXITSTATUS by hand (they are macros).
    private static func exitStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
