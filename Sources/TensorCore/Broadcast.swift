// NumPy / PyTorch broadcasting for binary elementwise ops.
//
// A binary op walks the output in row-major order. Its shape is reduced to a few
// "collapsed" dimensions: size-1 output dims are dropped and neighbours whose strides in
// both operands are contiguous with each other are merged. Trailing-dim broadcasting
// ([B, S, D] + [D]) becomes [B·S, D] with strides (D, 1) and (0, 1); per-channel
// broadcasting ([B, C, F, H, W] · [1, C, 1, 1, 1]) becomes [B, C, F·H·W] with the
// inner stride 0 for the channel operand. The innermost collapsed dimension is the
// inner loop; the outer ones are split across threads.

/// The row-major walk of a broadcast binary op, reduced to as few dimensions as possible.
struct BroadcastPlan {
    /// The broadcast output shape (uncollapsed).
    let outputShape: [Int]
    /// Collapsed dimension sizes (at least one).
    let dims: [Int]
    /// Element strides of the first operand along `dims` (0 where broadcast).
    let aStrides: [Int]
    /// Element strides of the second operand along `dims` (0 where broadcast).
    let bStrides: [Int]

    /// The broadcast of two shapes, or nil when they are incompatible.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides of `shape` laid out inside `outputShape` (right-aligned), 0 on broadcast dims.
    private static func broadcastStrides(_ shape: [Int], into outputShape: [Int]) -> [Int] {
        let own = Tensor.strides(for: shape)
        let offset = outputShape.count - shape.count
        return (0..<outputShape.count).map { i in
            i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
        }
    }

    /// The plan of `a ⊕ b`; throws when the shapes do not broadcast (NumPy rules).
    init(_ a: [Int], _ b: [Int], operation: String) throws(TensorShapeError) {
        guard let out = BroadcastPlan.broadcastShape(a, b) else {
            throw TensorShapeError(operation: operation, shapes: [a, b],
                                   expected: "shapes that broadcast: right-aligned, each dimension equal or 1")
        }
        self.init(outputShape: out, a: a, b: b)
    }

    /// A plan writing `outputShape` from operands of shapes `a` and `b` (each must
    /// broadcast to `outputShape`).
    init(outputShape out: [Int], a: [Int], b: [Int]) {
        outputShape = out
        let sa = BroadcastPlan.broadcastStrides(a, into: out)
        let sb = BroadcastPlan.broadcastStrides(b, into: out)
        var dims: [Int] = []
        var ca: [Int] = []
        var cb: [Int] = []
        for i in 0..<out.count where out[i] != 1 {
            if let last = dims.last,
               ca[ca.count - 1] == sa[i] * out[i], cb[cb.count - 1] == sb[i] * out[i] {
                dims[dims.count - 1] = last * out[i]
                ca[ca.count - 1] = sa[i]
                cb[cb.count - 1] = sb[i]
            } else {
                dims.append(out[i]); ca.append(sa[i]); cb.append(sb[i])
            }
        }
        if dims.isEmpty { dims = [1]; ca = [0]; cb = [0] }
        self.dims = dims
        aStrides = ca
        bStrides = cb
    }
}

/// A binary float function, as a type so that generic kernels specialise on it.
protocol BinaryFloatOp { static func apply(_ a: Float, _ b: Float) -> Float }
enum AddOp: BinaryFloatOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum SubOp: BinaryFloatOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum MulOp: BinaryFloatOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum DivOp: BinaryFloatOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
enum MaxOp: BinaryFloatOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) } }
enum MinOp: BinaryFloatOp { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { Swift.min(a, b) } }

/// Runs `out[i] = Op(a[ia], b[ib])` over a broadcast plan. `out` may alias `a` when `a`
/// has the output's shape (in-place ops).
func broadcastKernel<Op: BinaryFloatOp>(_: Op.Type, plan: BroadcastPlan,
                                        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                        _ out: UnsafeMutablePointer<Float>) {
    let dims = plan.dims
    let rank = dims.count
    let inner = dims[rank - 1]
    let ia = plan.aStrides[rank - 1]
    let ib = plan.bStrides[rank - 1]
    let rows = dims.dropLast().reduce(1, *)
    let outerDims = Array(dims.dropLast())
    let outerA = Array(plan.aStrides.dropLast())
    let outerB = Array(plan.bStrides.dropLast())
    Parallel.forEach(rows, grain: max(1, 16_384 / max(1, inner))) { range in
        for row in range {
            // Offsets of this row in a and b from its multi-index over the outer dims.
            var rest = row
            var offA = 0
            var offB = 0
            var d = outerDims.count - 1
            while d >= 0 {
                let i = rest % outerDims[d]
                rest /= outerDims[d]
                offA += i * outerA[d]
                offB += i * outerB[d]
                d -= 1
            }
            let pa = a + offA
            let pb = b + offB
            let po = out + row * inner
            if ia == 1 && ib == 1 {
                for j in 0..<inner { po[j] = Op.apply(pa[j], pb[j]) }
            } else if ia == 1 && ib == 0 {
                let vb = pb[0]
                for j in 0..<inner { po[j] = Op.apply(pa[j], vb) }
            } else if ia == 0 && ib == 1 {
                let va = pa[0]
                for j in 0..<inner { po[j] = Op.apply(va, pb[j]) }
            } else {
                for j in 0..<inner { po[j] = Op.apply(pa[j * ia], pb[j * ib]) }
            }
        }
    }
}
