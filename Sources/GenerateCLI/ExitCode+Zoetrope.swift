import ArgumentParser

/// The exit codes `zoetrope generate` uses, so scripts can tell outcomes apart.
enum ZoetropeExit {
    /// The clip was written.
    static let success = ExitCode(0)
    /// Generation or writing failed.
    static let failure = ExitCode(1)
    /// The request cannot run as given (frames, size, steps, a noise file of the wrong shape…).
    static let badRequest = ExitCode(2)
    /// The model folder is missing, unreadable or of a kind this version cannot run.
    static let badModel = ExitCode(3)
    /// Interrupted (SIGINT / SIGTERM): 128 + SIGINT, as shells report it.
    static let cancelled = ExitCode(130)
}
