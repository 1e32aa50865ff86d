// Where the store lives on disk, and the names inside it.
import Foundation

/// Finds the data folder: a `--data-dir` flag, then `ZOETROPE_DATA_DIR`, then
/// `$XDG_DATA_HOME/zoetrope`, then `~/.local/share/zoetrope`.
public enum StoreLocation {
    /// The environment variable that overrides the data folder.
    public static let environmentVariable = "ZOETROPE_DATA_DIR"

    /// The data folder to use.
    /// - Parameters:
    ///   - flag: the value of a command-line flag, if the user gave one (wins over everything).
    ///   - environment: the process environment (injected for tests).
    /// - Returns: an absolute file URL; a relative flag or variable is taken from the current directory.
    public static func dataDirectory(flag: String? = nil,
                                     environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let flag, !flag.isEmpty { return absolute(flag) }
        if let value = environment[environmentVariable], !value.isEmpty { return absolute(value) }
        // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("zoetrope", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true)
            .appendingPathComponent(".local/share/zoetrope", isDirectory: true)
    }

    private static func absolute(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        return URL(fileURLWithPath: expanded, isDirectory: true).standardizedFileURL
    }
}

/// Names of the files and folders inside the data folder.
enum StoreLayout {
    /// The SQLite index.
    static let indexFileName = "history.sqlite"
    /// Finished runs, one folder each: `runs/<id>/`.
    static let runsFolderName = "runs"
    /// Frames of runs under way: `staging/<id>/`, renamed into `runs/` when complete.
    static let stagingFolderName = "staging"
    /// Folders on their way out (delete renames here first).
    static let trashFolderName = "trash"
    /// The JSON sidecar in every run folder.
    static let sidecarFileName = "run.json"

    /// Whether `name` is one path component the store may use as a run folder: not empty,
    /// not `.` or `..`, no `/` or NUL.
    static func isSafeFolderName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }
}
