// Executables the package builds beside its test bundle (`zoetrope`, `zoetrope-store-crasher`),
// for the tests that run them as real processes. Used only by tests.
import Foundation

public enum BuiltProducts {
    /// The folders a test looks in: `$ZOETROPE_BINARY`'s folder when set, the running test
    /// binary's folder, and the folder of every loaded `.xctest` bundle (Linux puts products
    /// beside the bundle; macOS inside the bundle's parent).
    public static var folders: [URL] {
        var folders: [URL] = []
        if let path = ProcessInfo.processInfo.environment["ZOETROPE_BINARY"] {
            folders.append(URL(fileURLWithPath: path).deletingLastPathComponent())
        }
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        folders += Bundle.allBundles.filter { $0.bundleURL.pathExtension == "xctest" }
            .map { $0.bundleURL.deletingLastPathComponent() }
        return folders
    }

    /// The executable `name` built beside the tests; throws `MissingExecutable` (a failure,
    /// never a skip) naming where it looked.
    public static func executable(_ name: String) throws -> URL {
        let searched = folders.map { $0.appendingPathComponent(name) }
        guard let found = searched.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw MissingExecutable(name: name, searched: searched.map(\.path))
        }
        return found
    }
}

/// A product a test runs is not built.
public struct MissingExecutable: Error, CustomStringConvertible {
    public var name: String
    public var searched: [String]
    public var description: String {
        "\(name) is not built beside the tests (looked at \(searched.joined(separator: ", "))); "
            + "run `swift build --build-tests` first"
    }
}
