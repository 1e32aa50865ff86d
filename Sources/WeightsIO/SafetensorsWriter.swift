import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// Writes safetensors files in the layout the Python `safetensors` library produces:
/// the JSON header (`__metadata__` first, then tensors sorted by name, compact) padded with
/// spaces to a multiple of 8 bytes, then each tensor's bytes in name order with no gaps.
///
/// The file is written to a temporary name beside the target and renamed into place, so a
/// failed write never leaves a half-written file under the final name.
public enum SafetensorsWriter {
    /// Writes `tensors` narrowed to `dtype` (F32, F16 or BF16) with `metadata`.
    public static func write(_ tensors: [String: Tensor], to url: URL, dtype: SafetensorsDType = .float32,
                             metadata: [String: String] = [:]) throws {
        var stored: [String: StoredTensor] = [:]
        for (name, tensor) in tensors {
            stored[name] = try StoredTensor(tensor, as: dtype, name: name)
        }
        try write(stored: stored, to: url, metadata: metadata)
    }

    /// Where a write to `url` goes: through a symbolic link to the file it names, and never over
    /// something that is not a regular file (a device, FIFO, socket or folder is refused, not
    /// replaced — `--save-tensor /dev/…` turned a device node into a regular file).
    static func target(_ url: URL) throws -> URL {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return url }
        var resolved = url
        if (info.st_mode & S_IFMT) == S_IFLNK {
            resolved = url.resolvingSymlinksInPath()
            guard stat(resolved.path, &info) == 0 else { return resolved }
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError.writeFailed(path: url.path, reason: "it is not a regular file (a device, FIFO, "
                                                   + "socket or folder); it is not replaced")
        }
        return resolved
    }

    /// Writes stored tensors as they are (any dtype) with `metadata`.
    public static func write(stored tensors: [String: StoredTensor], to url: URL,
                             metadata: [String: String] = [:]) throws {
        let url = try target(url)
        let path = url.path
        if let reserved = tensors.keys.first(where: { $0 == "__metadata__" }) {
            throw SafetensorsError.writeFailed(path: path, reason: "'\(reserved)' is reserved and cannot name a tensor")
        }
        let header = headerBytes(tensors, metadata: metadata)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw SafetensorsError.writeFailed(path: path, reason: "cannot create \(temporary.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            var length = UInt64(header.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: header)
            for name in tensors.keys.sorted() {
                guard let tensor = tensors[name] else { continue }
                try tensor.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
            }
            try handle.synchronize()
            // rename(2) replaces the target atomically; an old mapping of it stays valid.
            guard rename(temporary.path, path) == 0 else {
                throw SafetensorsError.writeFailed(path: path, reason: "rename failed: " + String(cString: strerror(errno)))
            }
        } catch let error as SafetensorsError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw SafetensorsError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }

    /// The JSON header, space-padded to a multiple of 8 bytes.
    static func headerBytes(_ tensors: [String: StoredTensor], metadata: [String: String]) -> Data {
        var fields: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in tensors.keys.sorted() {
            guard let tensor = tensors[name] else { continue }
            let end = offset + tensor.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(quoted(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Data(("{" + fields.joined(separator: ",") + "}").utf8)
        let padding = (8 - header.count % 8) % 8
        header.append(contentsOf: [UInt8](repeating: 0x20, count: padding))
        return header
    }

    /// A JSON string literal (escapes quotes, backslashes and control characters).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
