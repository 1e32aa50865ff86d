import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file. The mapping lives as long as this object;
/// `StoredTensor`s that point into it keep it alive.
///
/// The pages are mapped `MAP_PRIVATE` and `PROT_READ`, so nothing is read from disk until a
/// tensor is touched, and the kernel may drop clean pages under memory pressure. (If another
/// process truncates the file while it is mapped, touching the lost pages raises SIGBUS;
/// no user-space check can prevent that.)
final class MappedFile: @unchecked Sendable {
    // Sendable: the mapping is read-only and never changes after init.
    let path: String
    private let base: UnsafeRawPointer?
    let count: Int

    /// Maps the file at `path`. Throws `SafetensorsError.unreadable` naming the OS error.
    init(path: String) throws {
        self.path = path
        // O_NONBLOCK: opening a FIFO with no writer would block forever; the type check below
        // then refuses it (the flag changes nothing for the regular files that are mapped).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw SafetensorsError.unreadable(path: path, reason: MappedFile.osError())
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafetensorsError.unreadable(path: path, reason: MappedFile.osError())
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError.unreadable(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        count = size
        if size == 0 {
            base = nil  // mmap rejects a zero length; the reader reports the file as truncated
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw SafetensorsError.unreadable(path: path, reason: "mmap failed: " + MappedFile.osError())
        }
        base = UnsafeRawPointer(address)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The mapped bytes (empty for an empty file).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    private static func osError() -> String { String(cString: strerror(errno)) }
}
