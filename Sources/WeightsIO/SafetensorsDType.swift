/// An element type that may appear in a safetensors header (the `dtype` field).
///
/// Every case converts to `Float` (`StoredTensor.widened()`); the integer and 64-bit
/// types lose precision past 2^24, which is fine for the index-like tensors (position
/// ids, buffers) that checkpoints carry beside their weights.
public enum SafetensorsDType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float64 = "F64"
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case float8E4M3 = "F8_E4M3"
    case float8E5M2 = "F8_E5M2"
    case int64 = "I64"
    case int32 = "I32"
    case int16 = "I16"
    case int8 = "I8"
    case uint8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .float8E4M3, .float8E5M2, .int8, .uint8, .bool: return 1
        }
    }

    /// Whether the type is a floating-point type (as opposed to integer or boolean).
    public var isFloatingPoint: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16, .float8E4M3, .float8E5M2: return true
        case .int64, .int32, .int16, .int8, .uint8, .bool: return false
        }
    }

    /// The spelling used in safetensors headers (`"F32"`, `"BF16"`, …).
    public var description: String { rawValue }

    /// All spellings this reader knows, for error messages.
    static var knownSpellings: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The dtype and shape of one tensor in a safetensors file, as its header declares them.
public struct TensorInfo: Sendable, Equatable {
    /// Element type stored in the file.
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first (PyTorch order).
    public let shape: [Int]
    /// Number of elements (product of `shape`; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Size of the tensor's data in bytes.
    public var byteCount: Int { elementCount * dtype.byteSize }

    public init(dtype: SafetensorsDType, shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }
}
