import Foundation

// Elementwise arithmetic with NumPy / PyTorch broadcasting (see Broadcast.swift), scalar
// arithmetic, and in-place variants. Tensor ⊕ tensor throws `TensorShapeError` when the shapes
// do not broadcast (torch raises a RuntimeError there); scalar ops cannot fail.

extension Tensor {
    /// The shape two tensors broadcast to (NumPy rules, right-aligned), or nil if incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        BroadcastPlan.broadcastShape(a, b)
    }

    fileprivate static func binary<Op: BinaryFloatOp>(_ op: Op.Type, _ a: Tensor, _ b: Tensor,
                                                       _ name: String) throws(TensorShapeError) -> Tensor {
        let plan = try BroadcastPlan(a.shape, b.shape, operation: name)
        if plan.outputShape.contains(0) { return Tensor(zeros: plan.outputShape) }
        return Tensor(shape: plan.outputShape) { out in
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    broadcastKernel(op, plan: plan, pa.baseAddress!, pb.baseAddress!, out.baseAddress!)
                }
            }
        }
    }

    fileprivate mutating func binaryInPlace<Op: BinaryFloatOp>(_ op: Op.Type, _ b: Tensor,
                                                               _ name: String) throws(TensorShapeError) {
        guard BroadcastPlan.broadcastShape(shape, b.shape) == shape else {
            throw TensorShapeError(operation: name, shapes: [shape, b.shape],
                                   expected: "a right operand that broadcasts to the left one's shape \(shape)")
        }
        let plan = BroadcastPlan(outputShape: shape, a: shape, b: b.shape)
        guard count > 0 else { return }
        b.data.withUnsafeBufferPointer { pb in
            data.withUnsafeMutableBufferPointer { pa in
                broadcastKernel(op, plan: plan, UnsafePointer(pa.baseAddress!), pb.baseAddress!, pa.baseAddress!)
            }
        }
    }

    // MARK: Tensor ⊕ Tensor (broadcasting)

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) throws(TensorShapeError) -> Tensor { try binary(AddOp.self, a, b, "a + b") }
    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) throws(TensorShapeError) -> Tensor { try binary(SubOp.self, a, b, "a - b") }
    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) throws(TensorShapeError) -> Tensor { try binary(MulOp.self, a, b, "a * b") }
    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) throws(TensorShapeError) -> Tensor { try binary(DivOp.self, a, b, "a / b") }
    /// Elementwise maximum with broadcasting.
    public static func maximum(_ a: Tensor, _ b: Tensor) throws(TensorShapeError) -> Tensor { try binary(MaxOp.self, a, b, "maximum") }
    /// Elementwise minimum with broadcasting.
    public static func minimum(_ a: Tensor, _ b: Tensor) throws(TensorShapeError) -> Tensor { try binary(MinOp.self, a, b, "minimum") }

    /// `self += other`, with `other` broadcast to `self.shape` (which does not change).
    public mutating func addInPlace(_ other: Tensor) throws(TensorShapeError) { try binaryInPlace(AddOp.self, other, "addInPlace") }
    /// `self -= other`, with `other` broadcast to `self.shape`.
    public mutating func subtractInPlace(_ other: Tensor) throws(TensorShapeError) { try binaryInPlace(SubOp.self, other, "subtractInPlace") }
    /// `self *= other`, with `other` broadcast to `self.shape`.
    public mutating func multiplyInPlace(_ other: Tensor) throws(TensorShapeError) { try binaryInPlace(MulOp.self, other, "multiplyInPlace") }
    /// `self /= other`, with `other` broadcast to `self.shape`.
    public mutating func divideInPlace(_ other: Tensor) throws(TensorShapeError) { try binaryInPlace(DivOp.self, other, "divideInPlace") }

    public static func += (a: inout Tensor, b: Tensor) throws(TensorShapeError) { try a.addInPlace(b) }
    public static func -= (a: inout Tensor, b: Tensor) throws(TensorShapeError) { try a.subtractInPlace(b) }
    public static func *= (a: inout Tensor, b: Tensor) throws(TensorShapeError) { try a.multiplyInPlace(b) }
    public static func /= (a: inout Tensor, b: Tensor) throws(TensorShapeError) { try a.divideInPlace(b) }

    // MARK: Scalars

    /// `self * a + b` elementwise, in place (one pass).
    public mutating func scaleAndShiftInPlace(multiplier a: Float, offset b: Float) {
        data.withUnsafeMutableBufferPointer { p in
            Parallel.forEach(p.count, grain: 32_768) { range in
                for i in range { p[i] = p[i] * a + b }
            }
        }
    }

    /// `self * a + b` elementwise.
    public func scaledAndShifted(multiplier a: Float, offset b: Float) -> Tensor {
        var out = self
        out.scaleAndShiftInPlace(multiplier: a, offset: b)
        return out
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a.scaledAndShifted(multiplier: 1, offset: s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.scaledAndShifted(multiplier: 1, offset: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.scaledAndShifted(multiplier: 1, offset: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.scaledAndShifted(multiplier: -1, offset: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.scaledAndShifted(multiplier: s, offset: 0) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.scaledAndShifted(multiplier: s, offset: 0) }
    /// Division by a scalar (a true division per element, as torch does for float32).
    public static func / (a: Tensor, s: Float) -> Tensor { a.map { $0 / s } }
    public static prefix func - (a: Tensor) -> Tensor { a.scaledAndShifted(multiplier: -1, offset: 0) }
    public static func += (a: inout Tensor, s: Float) { a.scaleAndShiftInPlace(multiplier: 1, offset: s) }
    public static func -= (a: inout Tensor, s: Float) { a.scaleAndShiftInPlace(multiplier: 1, offset: -s) }
    public static func *= (a: inout Tensor, s: Float) { a.scaleAndShiftInPlace(multiplier: s, offset: 0) }

    // MARK: Unary maps

    /// Applies `f` to every element (in parallel). For hot paths prefer the named ops.
    public func map(_ f: (Float) -> Float) -> Tensor {
        Tensor(shape: shape) { out in
            data.withUnsafeBufferPointer { src in
                Parallel.forEach(src.count, grain: 16_384) { range in
                    for i in range { out[i] = f(src[i]) }
                }
            }
        }
    }

    /// Applies `f` to every element in place (in parallel).
    public mutating func mapInPlace(_ f: (Float) -> Float) {
        data.withUnsafeMutableBufferPointer { p in
            Parallel.forEach(p.count, grain: 16_384) { range in
                for i in range { p[i] = f(p[i]) }
            }
        }
    }

    /// Elements limited to `[lower, upper]` (torch `clamp`; NaN stays NaN).
    public func clamped(min lower: Float, max upper: Float) -> Tensor {
        map { $0 < lower ? lower : ($0 > upper ? upper : $0) }
    }

    /// Clamps every element to `[lower, upper]` in place.
    public mutating func clampInPlace(min lower: Float, max upper: Float) {
        mapInPlace { $0 < lower ? lower : ($0 > upper ? upper : $0) }
    }

    /// Elementwise `exp`.
    public func exp() -> Tensor { map { Foundation.exp($0) } }
    /// Elementwise square root.
    public func sqrt() -> Tensor { map { $0.squareRoot() } }
    /// Elementwise absolute value.
    public func abs() -> Tensor { map { Swift.abs($0) } }

    // MARK: Reductions (Double accumulation)

    /// Sum of all elements, accumulated in Double.
    public func sum() -> Double {
        data.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) }
            return s
        }
    }

    /// Mean of all elements, accumulated in Double.
    public func mean() -> Double { count == 0 ? .nan : sum() / Double(count) }

    /// Largest absolute difference to another tensor of the same shape.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "maxAbsDifference: \(shape) vs \(other.shape)")
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, Swift.abs(data[i] - other.data[i])) }
        return m
    }
}
