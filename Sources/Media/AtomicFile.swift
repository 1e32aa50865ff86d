import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that readers see either the old file or the complete new one, never a
/// half-written file: the bytes go to a hidden temporary file in the same folder, which is
/// then renamed over the target (rename(2) is atomic within one file system).
enum AtomicFile {
    /// A hidden temporary path next to `url`, unique per call.
    static func temporaryURL(besides url: URL, suffix: String = "") -> URL {
        url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp\(suffix)")
    }

    static func write(_ data: Data, to url: URL) throws {
        let url = try target(url)
        let temporary = temporaryURL(besides: url)
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)  // a full disk leaves no .tmp behind
            throw MediaError.unwritable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        try moveIntoPlace(temporary, url)
    }

    /// Where a write to `url` goes: through a symbolic link to the file it names (a rename
    /// would replace the link itself), and never over something that is not a regular file —
    /// a device, FIFO, socket or folder at the path is refused, not replaced (issue #19: a
    /// device node became a regular file).
    static func target(_ url: URL) throws -> URL {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return url }  // nothing there yet
        var resolved = url
        if (info.st_mode & S_IFMT) == S_IFLNK {
            resolved = url.resolvingSymlinksInPath()
            guard stat(resolved.path, &info) == 0 else { return resolved }  // a link to a file not yet made
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw MediaError.unwritable(path: url.path, reason: "it is not a regular file (a device, FIFO, socket or "
                                            + "folder); it is not replaced")
        }
        return resolved
    }

    /// Renames `temporary` over `url`; on failure removes `temporary` and throws.
    static func moveIntoPlace(_ temporary: URL, _ url: URL) throws {
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw MediaError.unwritable(path: url.path, reason: reason)
        }
    }
}
