import Foundation
import TensorCore

/// A safetensors file opened by memory-mapping it; its header is fully validated on open
/// (see `SafetensorsHeader`), so every later read is in bounds.
///
/// ```swift
/// let file = try SafetensorsFile(url: url)
/// let w = try file.tensor("proj_out.weight")   // widened to Float
/// let h = try file.stored("proj_out.weight")   // kept as F16/BF16, widened later
/// ```
public struct SafetensorsFile: Sendable {
    /// Path of the file, as used in error messages.
    public let path: String
    /// The `__metadata__` strings (empty if the header has none).
    public let metadata: [String: String]
    private let mapping: MappedFile
    private let header: SafetensorsHeader

    /// Opens and validates the file at `url`.
    /// Throws `SafetensorsError` naming the file, and the tensor and value at fault.
    public init(url: URL) throws {
        let path = url.path
        mapping = try MappedFile(path: path)
        header = try SafetensorsHeader(bytes: mapping.bytes, path: path)
        metadata = header.metadata
        self.path = path
    }

    /// Tensor names, sorted.
    public var names: [String] { header.entries.keys.sorted() }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { header.entries[name] != nil }

    /// The dtype and shape of `name`, or throws `SafetensorsError.tensorNotFound`.
    public func info(_ name: String) throws -> TensorInfo { try entry(name).info }

    /// The tensor `name` converted to `Float` (see `StoredTensor.widened()`).
    public func tensor(_ name: String) throws -> Tensor { try stored(name).widened() }

    /// The tensor `name` in its stored dtype, pointing into the mapping (no copy).
    public func stored(_ name: String) throws -> StoredTensor {
        let entry = try entry(name)
        return StoredTensor(dtype: entry.info.dtype, shape: entry.info.shape, mapping: mapping, range: entry.fileRange)
    }

    /// Alias of `stored(_:)`: the tensor's dtype and raw bytes.
    public func raw(_ name: String) throws -> StoredTensor { try stored(name) }

    private func entry(_ name: String) throws -> SafetensorsHeader.Entry {
        guard let entry = header.entries[name] else {
            throw SafetensorsError.tensorNotFound(path: path, tensor: name,
                                                  suggestion: closestName(to: name, in: header.entries.keys))
        }
        return entry
    }
}
