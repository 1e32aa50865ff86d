// The file operations the store performs on run folders, behind a protocol so tests can
// inject failures (a full disk, a read-only folder) without needing a real one.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File operations used for run folders. Every throwing method throws `HistoryStoreError`
/// (`.diskFull`, `.notWritable` or `.io`) naming the path.
public protocol StoreFileSystem: Sendable {
    /// Creates a folder and its parents; succeeds if it exists.
    func createDirectory(at url: URL) throws
    /// Writes a whole file (to a temporary name beside it, then renamed over `url`).
    func write(_ data: Data, to url: URL) throws
    /// Renames in one step; fails if `destination` exists.
    func move(_ source: URL, to destination: URL) throws
    /// Removes a file or folder tree; succeeds if it is already gone.
    func remove(_ url: URL) throws
    /// Copies a folder tree; fails if `destination` exists.
    func copyTree(_ source: URL, to destination: URL) throws
    /// Whether something exists at `url`.
    func exists(_ url: URL) -> Bool
    /// Whether a folder can be written (a file can be created in it and removed).
    func canWrite(inDirectory url: URL) -> Bool
    /// The entries of a folder (names only); empty if the folder is missing.
    func contents(ofDirectory url: URL) -> [String]
}

/// The real file system, with POSIX errno turned into `HistoryStoreError`.
public struct LocalFileSystem: StoreFileSystem {
    public init() {}

    public func createDirectory(at url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw Self.translate(error, path: url.path, operation: "create the folder")
        }
    }

    public func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw Self.posix(errno, path: temporary.path, operation: "create") }
        var failure: HistoryStoreError?
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let written = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = Self.posix(errno, path: url.path, operation: "write")
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = Self.posix(errno, path: url.path, operation: "flush") }
        close(fd)
        if let failure {
            unlink(temporary.path)
            throw failure
        }
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            unlink(temporary.path)
            throw Self.posix(code, path: url.path, operation: "rename into place")
        }
    }

    public func move(_ source: URL, to destination: URL) throws {
        if exists(destination) { throw HistoryStoreError.destinationExists(path: destination.path) }
        if rename(source.path, destination.path) != 0 {
            throw Self.posix(errno, path: source.path, operation: "move to \(destination.path)")
        }
    }

    public func remove(_ url: URL) throws {
        guard exists(url) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw Self.translate(error, path: url.path, operation: "remove")
        }
    }

    public func copyTree(_ source: URL, to destination: URL) throws {
        if exists(destination) { throw HistoryStoreError.destinationExists(path: destination.path) }
        do {
            try FileManager.default.copyItem(at: source, to: destination)
        } catch {
            throw Self.translate(error, path: destination.path, operation: "copy \(source.path) to")
        }
    }

    public func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    public func canWrite(inDirectory url: URL) -> Bool {
        let probe = url.appendingPathComponent(".write-probe-\(UUID().uuidString)")
        let fd = open(probe.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { return false }
        close(fd)
        unlink(probe.path)
        return true
    }

    public func contents(ofDirectory url: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    }

    /// Maps an errno to the store's error.
    static func posix(_ code: Int32, path: String, operation: String) -> HistoryStoreError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT, EFBIG: return .diskFull(path: path)
        case EROFS, EACCES, EPERM: return .notWritable(path: path, reason: reason)
        case EEXIST: return .destinationExists(path: path)
        default: return .io(path: path, operation: operation, reason: reason)
        }
    }

    /// Maps a Foundation error (which wraps errno) to the store's error.
    static func translate(_ error: Error, path: String, operation: String) -> HistoryStoreError {
        if let storeError = error as? HistoryStoreError { return storeError }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return posix(Int32(underlying.code), path: path, operation: operation)
        }
        if nsError.domain == NSPOSIXErrorDomain { return posix(Int32(nsError.code), path: path, operation: operation) }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileWriteOutOfSpace: return .diskFull(path: path)
            case .fileWriteVolumeReadOnly, .fileWriteNoPermission: return .notWritable(path: path, reason: cocoa.localizedDescription)
            case .fileWriteFileExists: return .destinationExists(path: path)
            default: break
            }
        }
        return .io(path: path, operation: operation, reason: nsError.localizedDescription)
    }
}

/// `write(2)` under one name on both C libraries (Swift sees Glibc's and Darwin's alike,
/// but the name `write` is taken by the protocol method inside the struct).
@inline(__always)
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
