import Foundation

/// Everything that can go wrong reading or writing a safetensors file. Every case names
/// the file, and where it applies the tensor and the offending value.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file could not be opened, inspected or mapped.
    case unreadable(path: String, reason: String)
    /// The file is shorter than the 8-byte header length that starts every safetensors file.
    case truncated(path: String, fileSize: Int)
    /// The file is a Git LFS pointer, not the weights it stands for.
    case gitLFSPointer(path: String)
    /// The header length read from the first 8 bytes does not fit the file or is absurd.
    case headerLengthOutOfRange(path: String, headerLength: UInt64, fileSize: Int, limit: Int)
    /// The header is not valid UTF-8 JSON.
    case headerNotJSON(path: String, reason: String)
    /// The header is JSON but not an object mapping tensor names to entries.
    case headerNotObject(path: String, found: String)
    /// A tensor's entry lacks a field or has one of the wrong JSON type.
    case malformedEntry(path: String, tensor: String, reason: String)
    /// A tensor's `dtype` is not one this reader knows.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A tensor's shape has a negative dimension or its size overflows.
    case invalidShape(path: String, tensor: String, shape: String, reason: String)
    /// A tensor's byte range length does not match its shape and dtype.
    case byteLengthMismatch(path: String, tensor: String, dtype: SafetensorsDType, shape: [Int],
                            expected: Int, actual: Int)
    /// A tensor's `data_offsets` are reversed or reach past the end of the data section.
    case offsetsOutOfBounds(path: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingRanges(path: String, first: String, firstRange: Range<Int>,
                           second: String, secondRange: Range<Int>)
    /// `__metadata__` is not an object of strings.
    case invalidMetadata(path: String, reason: String)
    /// A tensor asked for by name is not in the file.
    case tensorNotFound(path: String, tensor: String, suggestion: String?)
    /// A tensor could not be converted or narrowed to the requested dtype.
    case unsupportedConversion(tensor: String, from: String, to: String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read safetensors file \(path): \(reason)"
        case let .truncated(path, size):
            return "safetensors file \(path) is truncated: \(size) bytes, but at least 8 are needed for the header length"
        case let .gitLFSPointer(path):
            return "\(path) is a Git LFS pointer file, not safetensors data: fetch the real file (`git lfs pull`,"
                + " or download with huggingface-cli / hf download)"
        case let .headerLengthOutOfRange(path, length, size, limit):
            return "safetensors file \(path) declares a header of \(length) bytes, but the file has \(size) bytes"
                + " (header must fit in the file after the 8-byte length and be at most \(limit) bytes);"
                + " the file is truncated or not a safetensors file"
        case let .headerNotJSON(path, reason):
            return "safetensors file \(path): header is not valid JSON (\(reason))"
        case let .headerNotObject(path, found):
            return "safetensors file \(path): header must be a JSON object of tensor entries, found \(found)"
        case let .malformedEntry(path, tensor, reason):
            return "safetensors file \(path), tensor '\(tensor)': \(reason)"
        case let .unknownDType(path, tensor, dtype):
            return "safetensors file \(path), tensor '\(tensor)': unknown dtype '\(dtype)'"
                + " (known: \(SafetensorsDType.knownSpellings))"
        case let .invalidShape(path, tensor, shape, reason):
            return "safetensors file \(path), tensor '\(tensor)': invalid shape \(shape): \(reason)"
        case let .byteLengthMismatch(path, tensor, dtype, shape, expected, actual):
            return "safetensors file \(path), tensor '\(tensor)': data_offsets span \(actual) bytes,"
                + " but shape \(shape) of \(dtype) needs \(expected) bytes"
        case let .offsetsOutOfBounds(path, tensor, begin, end, dataSize):
            return "safetensors file \(path), tensor '\(tensor)': data_offsets [\(begin), \(end)]"
                + " are outside the data section of \(dataSize) bytes (need 0 ≤ begin ≤ end ≤ \(dataSize));"
                + " the file may be truncated"
        case let .overlappingRanges(path, first, firstRange, second, secondRange):
            return "safetensors file \(path): tensors '\(first)' (bytes \(firstRange.lowerBound)..<\(firstRange.upperBound))"
                + " and '\(second)' (bytes \(secondRange.lowerBound)..<\(secondRange.upperBound)) overlap"
        case let .invalidMetadata(path, reason):
            return "safetensors file \(path): __metadata__ \(reason)"
        case let .tensorNotFound(path, tensor, suggestion):
            return "safetensors file \(path) has no tensor '\(tensor)'"
                + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
        case let .unsupportedConversion(tensor, from, to):
            return "tensor '\(tensor)': cannot store \(from) as \(to) (supported: F32, F16, BF16)"
        case let .writeFailed(path, reason):
            return "cannot write safetensors file \(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// The closest name to `name` among `candidates` (for "did you mean" hints): a candidate
/// that ends with or is a suffix of the name, else the one sharing the longest prefix.
func closestName(to name: String, in candidates: some Sequence<String>) -> String? {
    var best: (String, Int)?
    for candidate in candidates {
        let score: Int
        if candidate.hasSuffix("." + name) || name.hasSuffix("." + candidate) {
            score = Int.max
        } else {
            score = zip(candidate, name).prefix { $0 == $1 }.count
        }
        if let current = best, score < current.1 || (score == current.1 && candidate >= current.0) {
            continue
        }
        best = (candidate, score)
    }
    guard let (candidate, score) = best, score >= max(1, name.count / 2) else { return nil }
    return candidate
}
