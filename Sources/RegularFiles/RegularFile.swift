// Reading small files (configs, indexes, tokenizer files, a PNG's metadata) without trusting
// what sits at the path: a FIFO, socket or device in place of `config.json` would block `open`
// or a read forever (a FIFO with no writer blocked `zoetrope generate` for good, ignoring
// SIGINT). A module of its own, below everything that reads such files.
import Foundation

/// Whole-file reads of regular files only.
public enum RegularFile {
    /// Why a path cannot be read as a regular file.
    public struct NotRegular: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// The largest file read whole by default: configs and indexes are kilobytes; 64 MB bounds
    /// a hostile one.
    public static let maxSize = 64 << 20

    /// The contents of the regular file at `url`. Opens without blocking (`O_NONBLOCK`), checks
    /// the file type and size (at most `maxSize` bytes) before reading, and throws `NotRegular`
    /// for anything else.
    public static func contents(of url: URL, maxSize: Int = RegularFile.maxSize) throws -> Data {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw NotRegular(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw NotRegular(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw NotRegular(path: path, reason: "not a regular file (a FIFO, socket, device or folder)")
        }
        let size = Int(info.st_size)
        guard size <= maxSize else {
            throw NotRegular(path: path, reason: "\(size) bytes; a file of this kind is read only up to \(maxSize) bytes")
        }
        var data = Data(count: size)
        var done = 0
        try data.withUnsafeMutableBytes { buffer in
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n == 0 { break }
                guard n > 0 else {
                    if errno == EINTR { continue }
                    throw NotRegular(path: path, reason: String(cString: strerror(errno)))
                }
                done += n
            }
        }
        return data.prefix(done)
    }
}
