import Foundation

/// The parsed and validated header of a safetensors file.
///
/// Layout (https://github.com/huggingface/safetensors): 8-byte little-endian header length
/// `N`, then `N` bytes of UTF-8 JSON mapping tensor names to
/// `{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}` (offsets relative to the
/// data section, which starts at `8 + N`), plus an optional `"__metadata__"` object of strings.
struct SafetensorsHeader: Sendable {
    /// One tensor's declared type, shape and absolute byte range in the file.
    struct Entry: Sendable {
        let info: TensorInfo
        /// Byte range within the whole file (data offsets + data section start).
        let fileRange: Range<Int>
    }

    /// Largest header accepted: real headers are well under 1 MB; a larger one means a
    /// corrupt length field, and reading it would waste memory.
    static let maxHeaderLength = 100_000_000

    let entries: [String: Entry]
    let metadata: [String: String]
    /// Where the data section starts in the file.
    let dataStart: Int

    /// Parses and validates the header of `bytes` (the whole file). Checks every entry's
    /// dtype, shape, byte length and offsets, and that no two tensors' bytes overlap.
    init(bytes: UnsafeRawBufferPointer, path: String) throws {
        guard bytes.count >= 8 else {
            throw SafetensorsError.truncated(path: path, fileSize: bytes.count)
        }
        if bytes.starts(with: "version https://git-lfs".utf8) {
            throw SafetensorsError.gitLFSPointer(path: path)
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declared <= UInt64(Self.maxHeaderLength), Int(declared) <= bytes.count - 8 else {
            throw SafetensorsError.headerLengthOutOfRange(path: path, headerLength: declared,
                                                          fileSize: bytes.count, limit: Self.maxHeaderLength)
        }
        let headerLength = Int(declared)
        dataStart = 8 + headerLength
        let dataSize = bytes.count - dataStart

        let json = Data(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]))
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: json)
        } catch {
            throw SafetensorsError.headerNotJSON(path: path, reason: Self.describe(error))
        }
        guard case let .object(fields) = root else {
            throw SafetensorsError.headerNotObject(path: path, found: root.typeName)
        }

        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in fields {
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(value, path: path)
                continue
            }
            entries[name] = try Self.parseEntry(value, name: name, path: path, dataSize: dataSize,
                                                dataStart: dataStart)
        }
        try Self.checkNoOverlap(entries, dataStart: dataStart, path: path)
        self.entries = entries
        self.metadata = metadata
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
        switch value {
        case .null:
            return [:]
        case let .object(fields):
            var metadata: [String: String] = [:]
            for (key, item) in fields {
                guard let text = item.stringValue else {
                    throw SafetensorsError.invalidMetadata(
                        path: path, reason: "value for '\(key)' must be a string, found \(item.typeName) \(item)")
                }
                metadata[key] = text
            }
            return metadata
        default:
            throw SafetensorsError.invalidMetadata(path: path, reason: "must be an object of strings, found \(value.typeName)")
        }
    }

    private static func parseEntry(_ value: JSONValue, name: String, path: String,
                                   dataSize: Int, dataStart: Int) throws -> Entry {
        func malformed(_ reason: String) -> SafetensorsError {
            .malformedEntry(path: path, tensor: name, reason: reason)
        }
        guard case let .object(fields) = value else {
            throw malformed("entry must be an object with dtype, shape and data_offsets, found \(value.typeName) \(value)")
        }
        // dtype
        guard let dtypeValue = fields["dtype"] else { throw malformed("missing \"dtype\"") }
        guard let dtypeName = dtypeValue.stringValue else {
            throw malformed("\"dtype\" must be a string, found \(dtypeValue)")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        // shape
        guard let shapeValue = fields["shape"] else { throw malformed("missing \"shape\"") }
        guard case let .array(dims) = shapeValue else {
            throw malformed("\"shape\" must be an array of integers, found \(shapeValue)")
        }
        var shape: [Int] = []
        var elementCount = 1
        for dim in dims {
            guard case let .int(size) = dim else {
                throw SafetensorsError.invalidShape(path: path, tensor: name, shape: shapeValue.description,
                                                    reason: "dimension \(dim) is not an integer")
            }
            guard size >= 0 else {
                throw SafetensorsError.invalidShape(path: path, tensor: name, shape: shapeValue.description,
                                                    reason: "dimension \(size) is negative")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw SafetensorsError.invalidShape(path: path, tensor: name, shape: shapeValue.description,
                                                    reason: "element count overflows a 64-bit integer")
            }
            elementCount = product
            shape.append(size)
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw SafetensorsError.invalidShape(path: path, tensor: name, shape: shapeValue.description,
                                                reason: "byte size overflows a 64-bit integer")
        }
        // data_offsets
        guard let offsetsValue = fields["data_offsets"] else { throw malformed("missing \"data_offsets\"") }
        guard case let .array(offsets) = offsetsValue, offsets.count == 2,
              case let .int(begin) = offsets[0], case let .int(end) = offsets[1] else {
            throw malformed("\"data_offsets\" must be two integers [begin, end], found \(offsetsValue)")
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw SafetensorsError.offsetsOutOfBounds(path: path, tensor: name, begin: begin, end: end,
                                                      dataSize: dataSize)
        }
        guard end - begin == byteCount else {
            throw SafetensorsError.byteLengthMismatch(path: path, tensor: name, dtype: dtype, shape: shape,
                                                      expected: byteCount, actual: end - begin)
        }
        return Entry(info: TensorInfo(dtype: dtype, shape: shape),
                     fileRange: (dataStart + begin)..<(dataStart + end))
    }

    /// Sorts the non-empty ranges and checks each starts at or after the previous end.
    private static func checkNoOverlap(_ entries: [String: Entry], dataStart: Int, path: String) throws {
        let ranges = entries.filter { !$0.value.fileRange.isEmpty }
            .map { (name: $0.key, range: $0.value.fileRange) }
            .sorted { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        // Reported relative to the data section, as the header's data_offsets write them.
        func relative(_ range: Range<Int>) -> Range<Int> { (range.lowerBound - dataStart)..<(range.upperBound - dataStart) }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw SafetensorsError.overlappingRanges(path: path, first: previous.name, firstRange: relative(previous.range),
                                                     second: next.name, secondRange: relative(next.range))
        }
    }

    private static func describe(_ error: Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            let underlying = (context.underlyingError as NSError?)?.localizedDescription
            return underlying.map { "\(context.debugDescription): \($0)" } ?? context.debugDescription
        }
        return String(describing: error)
    }
}
