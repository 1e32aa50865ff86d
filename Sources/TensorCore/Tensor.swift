import Foundation

/// A dense, contiguous tensor of `Float` values.
///
/// **Memory layout.** Row-major (C order) with dimensions in PyTorch order: the last
/// dimension is contiguous. A video latent is `[B, C, F, H, W]`, a token sequence
/// `[B, S, D]`, a linear weight `[out, in]`, a conv3d weight `[out, in, kT, kH, kW]` —
/// exactly as diffusers and safetensors files store them, so weights load with no
/// transposition. Every op in this module reads and writes this layout.
///
/// Values live in a Swift array (copy-on-write), so a `Tensor` is a value type and
/// `Sendable`; weights are shared between jobs without copying.
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `data.count == shape.product`.
    public var data: [Float]

    /// Creates a tensor from its shape and row-major elements.
    /// - Precondition: `data.count` equals the product of `shape` (a programming error otherwise).
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) holds \(shape.reduce(1, *)) elements, data has \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A tensor filled with one value.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor whose elements are written by `body` into uninitialised storage.
    /// `body` must initialise every element.
    public init(shape: [Int], unsafeUninitialized body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = shape.reduce(1, *)
        let data = [Float](unsafeUninitializedCapacity: n) { buffer, count in
            body(buffer)
            count = n
        }
        self.init(shape: shape, data: data)
    }

    /// A 0-d tensor holding one value.
    public init(scalar: Float) { self.init(shape: [], data: [scalar]) }

    /// Number of elements.
    public var count: Int { data.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Row-major strides, in elements.
    public var strides: [Int] { Tensor.strides(for: shape) }

    /// Row-major strides of a shape, in elements.
    public static func strides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The same elements viewed with another shape of equal element count.
    /// One dimension may be `-1` and is inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        return Tensor(shape: resolved, data: data)
    }

    /// Normalises a possibly negative axis index.
    public func axis(_ a: Int) -> Int {
        let r = a < 0 ? a + rank : a
        precondition(r >= 0 && r < rank, "axis \(a) out of range for shape \(shape)")
        return r
    }

    /// Element at a full multi-index (slow; for tests and small lookups).
    public subscript(_ index: Int...) -> Float {
        get { data[flatIndex(index)] }
        set { data[flatIndex(index)] = newValue }
    }

    /// Row-major offset of a full multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) does not match shape \(shape)")
        var offset = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(index) out of bounds for shape \(shape)")
            offset = offset * shape[axis] + i
        }
        return offset
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = data.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(preview)\(count > 8 ? ", …" : "")]"
    }
}
