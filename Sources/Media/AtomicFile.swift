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
        let temporary = temporaryURL(besides: url)
        do {
            try data.write(to: temporary)
        } catch {
            throw MediaError.unwritable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        try moveIntoPlace(temporary, url)
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
