import CVectorKernels
import TensorCore

/// A tensor kept in its file's element type (typically F16 or BF16 weights), so a model can
/// hold half the memory and widen one layer at a time with `widened()`.
///
/// A stored tensor read from a `SafetensorsFile` points into the file's memory mapping and
/// keeps it alive; nothing is copied until it is widened. Values are immutable and `Sendable`.
public struct StoredTensor: Sendable {
    /// Element type of the bytes.
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first (PyTorch order).
    public let shape: [Int]
    private let storage: Storage

    private enum Storage: Sendable {
        case mapped(MappedFile, Range<Int>)
        case owned([UInt8])
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
    /// Size of the data in bytes.
    public var byteCount: Int { elementCount * dtype.byteSize }
    /// The dtype and shape.
    public var info: TensorInfo { TensorInfo(dtype: dtype, shape: shape) }

    init(dtype: SafetensorsDType, shape: [Int], mapping: MappedFile, range: Range<Int>) {
        precondition(range.count == shape.reduce(1, *) * dtype.byteSize && range.upperBound <= mapping.count,
                     "validated header range does not match \(dtype) \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.storage = .mapped(mapping, range)
    }

    /// A stored tensor owning `bytes` (little-endian elements of `dtype`).
    /// Throws if the byte count does not match the shape.
    public init(dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) throws {
        let info = TensorInfo(dtype: dtype, shape: shape)
        guard shape.allSatisfy({ $0 >= 0 }), bytes.count == info.byteCount else {
            throw SafetensorsError.byteLengthMismatch(path: "<memory>", tensor: "<unnamed>", dtype: dtype, shape: shape,
                                                      expected: info.byteCount, actual: bytes.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = .owned(bytes)
    }

    /// Narrows `tensor` to `dtype` (F32, F16 or BF16; rounding to nearest even).
    /// Throws `SafetensorsError.unsupportedConversion` for other dtypes.
    public init(_ tensor: Tensor, as dtype: SafetensorsDType, name: String = "<unnamed>") throws {
        var bytes = [UInt8](repeating: 0, count: tensor.count * dtype.byteSize)
        switch dtype {
        case .float32:
            tensor.data.withUnsafeBytes { source in bytes.withUnsafeMutableBytes { $0.copyMemory(from: source) } }
        case .float16, .bfloat16:
            let toHalf = dtype == .float16
            tensor.data.withUnsafeBufferPointer { source in
                bytes.withUnsafeMutableBytes { target in
                    for i in source.indices {
                        let bits = toHalf ? HalfPrecision.halfBits(from: source[i]) : HalfPrecision.bfloat16Bits(from: source[i])
                        target.storeBytes(of: bits.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                    }
                }
            }
        default:
            throw SafetensorsError.unsupportedConversion(tensor: name, from: "F32", to: dtype.rawValue)
        }
        try self.init(dtype: dtype, shape: tensor.shape, bytes: bytes)
    }

    /// Calls `body` with the raw little-endian bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case let .mapped(mapping, range):
            return try body(UnsafeRawBufferPointer(rebasing: mapping.bytes[range]))
        case let .owned(bytes):
            return try bytes.withUnsafeBytes(body)
        }
    }

    /// The first element that is NaN or infinite, for the IEEE float dtypes (F64, F32, F16,
    /// BF16); nil when every element is finite, and for integer and 8-bit float dtypes. A scan
    /// of the exponent bits, with no conversion.
    public var firstNonFinite: (index: Int, isNaN: Bool)? {
        let size: Int, exponent: UInt64, mantissa: UInt64
        switch dtype {
        case .float64: (size, exponent, mantissa) = (8, 0x7FF0_0000_0000_0000, 0x000F_FFFF_FFFF_FFFF)
        case .float32: (size, exponent, mantissa) = (4, 0x7F80_0000, 0x007F_FFFF)
        case .float16: (size, exponent, mantissa) = (2, 0x7C00, 0x03FF)
        case .bfloat16: (size, exponent, mantissa) = (2, 0x7F80, 0x007F)
        default: return nil
        }
        return withUnsafeBytes { raw -> (index: Int, isNaN: Bool)? in
            for index in 0..<(raw.count / size) {
                let bits: UInt64
                switch size {
                case 8: bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))
                case 4: bits = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
                default: bits = UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
                }
                if bits & exponent == exponent { return (index, bits & mantissa != 0) }
            }
            return nil
        }
    }

    /// The values converted to `Float` (exact for F32, F16, BF16 and the 8-bit floats;
    /// integers beyond 2^24 and F64 values are rounded). Large tensors convert in parallel.
    public func widened() -> Tensor {
        let dtype = self.dtype
        return withUnsafeBytes { source in
            Tensor(shape: shape, unsafeUninitialized: { target in
                Parallel.forEach(target.count, grain: 1 << 16) { range in
                    StoredTensor.convert(source, dtype, into: target, range)
                }
            })
        }
    }

    /// Converts elements `range` of `source` (elements of `dtype`) into `target`.
    private static func convert(_ source: UnsafeRawBufferPointer, _ dtype: SafetensorsDType,
                                into target: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>) {
        // Safetensors data is little-endian and the data section need not be aligned for
        // every dtype, hence unaligned loads (a plain load on x86_64 and arm64).
        switch dtype {
        case .float32:
            UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: target[range]))
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(4 * range.lowerBound)..<(4 * range.upperBound)]))
        case .float16:
            if let base = source.baseAddress, Int(bitPattern: base) % 2 == 0, let out = target.baseAddress {
                // Aligned (safetensors offsets of F16 data are even in practice): at the CPU's
                // vector width (CVectorKernels; the same exact widening).
                zk_widen_f16(base.assumingMemoryBound(to: UInt16.self) + range.lowerBound, out + range.lowerBound,
                             range.count)
            } else {
                for i in range {
                    target[i] = HalfPrecision.float(fromHalfBits: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        case .bfloat16:
            for i in range {
                target[i] = HalfPrecision.float(fromBFloat16Bits: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .float64:
            for i in range {
                target[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .float8E4M3:
            for i in range { target[i] = HalfPrecision.float(fromE4M3Bits: source[i]) }
        case .float8E5M2:
            for i in range { target[i] = HalfPrecision.float(fromE5M2Bits: source[i]) }
        case .int64:
            for i in range { target[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
        case .int32:
            for i in range { target[i] = Float(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case .int16:
            for i in range { target[i] = Float(Int16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case .int8:
            for i in range { target[i] = Float(Int8(bitPattern: source[i])) }
        case .uint8:
            for i in range { target[i] = Float(source[i]) }
        case .bool:
            for i in range { target[i] = source[i] == 0 ? 0 : 1 }
        }
    }
}

#if !_endian(little)
#error("WeightsIO reads safetensors data (little-endian) by plain memory copies; big-endian hosts are not supported")
#endif
