// adaLN-style modulation used by the DiT blocks (Wan, CogVideoX, EasyAnimate, Latte):
//   x * (1 + scale) + shift        and        residual + gate * y
// with per-sample, per-channel scale/shift/gate broadcast over the token axis.

extension Tensor {
    /// Rows of `[B, …, D]` that belong to each batch sample, and the per-sample
    /// parameter stride (D when the parameter has one row per sample, 0 when shared).
    private func modulationLayout(_ parameter: Tensor, name: String)
        throws(TensorShapeError) -> (batch: Int, rowsPerSample: Int, width: Int, sampleStride: Int) {
        guard rank >= 2 else {
            throw TensorShapeError(operation: name, shapes: [shape, parameter.shape],
                                   expected: "an input [B, …, D] of rank 2 or more")
        }
        let batch = shape[0]
        let width = shape[rank - 1]
        let rowsPerSample = batch == 0 || width == 0 ? 0 : count / (batch * width)
        let sampleStride: Int
        if parameter.count == batch * width {
            sampleStride = width
        } else if parameter.count == width {
            sampleStride = 0
        } else {
            throw TensorShapeError(operation: name, shapes: [shape, parameter.shape],
                                   expected: "a parameter of B·D or D elements ([B, D], [B, 1, D] or [D]) "
                                       + "for the input's B = \(batch), D = \(width)")
        }
        return (batch, rowsPerSample, width, sampleStride)
    }

    /// `x * (1 + scale) + shift` for `x: [B, …, D]` with `scale`, `shift` of shape
    /// `[B, 1, D]`, `[B, D]` (one row per sample) or `[D]` / `[1, 1, D]` (shared).
    /// Throws `TensorShapeError` when `scale` or `shift` fits none of those.
    public func modulated(scale: Tensor, shift: Tensor) throws(TensorShapeError) -> Tensor {
        // x: [B, S, D], scale/shift: [B, D] (any shape with B·D or D elements)
        let l = try modulationLayout(scale, name: "modulated(scale:)")
        let l2 = try modulationLayout(shift, name: "modulated(shift:)")
        let rows = l.batch * l.rowsPerSample
        let width = l.width
        return Tensor(shape: shape) { out in
            data.withUnsafeBufferPointer { x in
                scale.data.withUnsafeBufferPointer { sc in
                    shift.data.withUnsafeBufferPointer { sh in
                        Parallel.forEach(rows, grain: max(1, 8_192 / max(1, width))) { range in
                            for row in range {
                                let b = row / Swift.max(1, l.rowsPerSample)
                                let ps = sc.baseAddress! + b * l.sampleStride
                                let pt = sh.baseAddress! + b * l2.sampleStride
                                let px = x.baseAddress! + row * width
                                let po = out.baseAddress! + row * width
                                for j in 0..<width { po[j] = px[j] * (1 + ps[j]) + pt[j] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `self += gate * y` for `self, y: [B, …, D]` and `gate` of shape `[B, 1, D]`, `[B, D]`
    /// or `[D]` (the gated residual of DiT blocks). Throws `TensorShapeError` when `y` differs
    /// from `self` in shape or `gate` fits none of those.
    public mutating func addGatedInPlace(_ y: Tensor, gate: Tensor) throws(TensorShapeError) {
        guard y.shape == shape else {
            throw TensorShapeError(operation: "addGatedInPlace", shapes: [shape, y.shape],
                                   expected: "y of the same shape as self")
        }
        let l = try modulationLayout(gate, name: "addGatedInPlace(gate:)")
        let rows = l.batch * l.rowsPerSample
        let width = l.width
        guard rows > 0 else { return }
        y.data.withUnsafeBufferPointer { py in
            gate.data.withUnsafeBufferPointer { pg in
                data.withUnsafeMutableBufferPointer { x in
                    Parallel.forEach(rows, grain: max(1, 8_192 / max(1, width))) { range in
                        for row in range {
                            let b = row / Swift.max(1, l.rowsPerSample)
                            let g = pg.baseAddress! + b * l.sampleStride
                            let src = py.baseAddress! + row * width
                            let dst = x.baseAddress! + row * width
                            for j in 0..<width { dst[j] += g[j] * src[j] }
                        }
                    }
                }
            }
        }
    }

    /// `self + gate * y` (see `addGatedInPlace`).
    public func addingGated(_ y: Tensor, gate: Tensor) throws(TensorShapeError) -> Tensor {
        var out = self
        try out.addGatedInPlace(y, gate: gate)
        return out
    }
}
