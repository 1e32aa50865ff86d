// The timestep conditioning of diffusers 0.42.1 models/transformers/transformer_wan.py
// `WanTransformer3DModel.forward` in its two shapes:
//   timestep [B]     (Wan 2.1, Wan 2.2 A14B): temb [B, D], timestep_proj [B, 6, D]
//   timestep [B, S]  (Wan 2.2 TI2V, `expand_timesteps`): temb [B, S, D], timestep_proj [B, S, 6, D];
//                    every block and `norm_out` then shift/scale/gate each token by its own row.
// diffusers computes one embedding per token. Here the embedding is computed once per
// distinct timestep value (K rows) and each token keeps the index of its row: the same
// numbers (the embedding is a row-wise function of t), without a [B, S, 6, D] tensor —
// 2 GB per call for TI2V-5B at 704×1280×121 (S = 27,280, D = 3,072).
import TensorCore

/// The timestep embeddings of one transformer call and which row each token uses.
struct WanTimeConditioning: Sendable {
    /// `[K, D]`: `time_embedder` output, one row per distinct timestep (per sample when
    /// `tokenRows` is nil).
    let temb: Tensor
    /// `[K, 6, D]`: `time_proj(silu(temb))` unflattened to the six modulation vectors.
    let projection: Tensor
    /// nil: row `b` serves every token of sample `b` (one timestep per sample, K = B).
    /// Otherwise one entry per token, `B·S` in (b, s) order, indexing rows of `temb` / `projection`.
    let tokenRows: [Int]?

    /// One timestep per sample (diffusers' 1-D `timestep`): `times` has B values.
    init(perSample times: [Float], embedder: WanConditionEmbedder, dim: Int) {
        let (temb, projection) = embedder.time(times)                        // [B, D], [B, 6D]
        self.temb = temb
        self.projection = projection.reshaped([times.count, 6, dim])         // [B, 6, D]
        tokenRows = nil
    }

    /// One timestep per token (diffusers' 2-D `timestep`): `times[b][s]`, every row S long.
    init(perToken times: [[Float]], embedder: WanConditionEmbedder, dim: Int) {
        var distinct: [Float] = []
        var rowOf: [Float: Int] = [:]
        var rows: [Int] = []
        rows.reserveCapacity(times.reduce(0) { $0 + $1.count })
        for t in times.joined() {
            if let row = rowOf[t] {
                rows.append(row)
            } else {
                rowOf[t] = distinct.count
                rows.append(distinct.count)
                distinct.append(t)
            }
        }
        let (temb, projection) = embedder.time(distinct)                     // [K, D], [K, 6D]
        self.temb = temb
        self.projection = projection.reshaped([distinct.count, 6, dim])      // [K, 6, D]
        tokenRows = rows
    }
}

extension Tensor {
    /// `x * (1 + scale[row]) + shift[row]` for `x: [B, S, D]` where token `r` (of the B·S, in
    /// (b, s) order) uses row `rows[r]` of `scale`, `shift: [K, 1, D]` (or `[K, D]`).
    /// `rows == nil`: row `b` for every token of sample b (`modulated(scale:shift:)`).
    func modulated(scale: Tensor, shift: Tensor, rows: [Int]?) throws(TensorShapeError) -> Tensor {
        guard let rows else { return try modulated(scale: scale, shift: shift) }
        try checkTokenRows(rows, [scale, shift], "modulated(scale:shift:rows:)")
        let width = shape[rank - 1]
        return Tensor(shape: shape, unsafeUninitialized: { out in
            data.withUnsafeBufferPointer { x in
                scale.data.withUnsafeBufferPointer { sc in
                    shift.data.withUnsafeBufferPointer { sh in
                        Parallel.forEach(rows.count, grain: max(1, 8_192 / max(1, width))) { range in
                            for r in range {
                                let ps = sc.baseAddress! + rows[r] * width
                                let pt = sh.baseAddress! + rows[r] * width
                                let px = x.baseAddress! + r * width
                                let po = out.baseAddress! + r * width
                                // the expression of `modulated(scale:shift:)`, so a uniform t gives the same bits
                                for j in 0..<width { po[j] = px[j] * (1 + ps[j]) + pt[j] }
                            }
                        }
                    }
                }
            }
        })
    }

    /// `self += gate[row] * y` for `self, y: [B, S, D]` where token `r` uses row `rows[r]` of
    /// `gate: [K, 1, D]`; `rows == nil`: `addGatedInPlace(_:gate:)`.
    mutating func addGatedInPlace(_ y: Tensor, gate: Tensor, rows: [Int]?) throws(TensorShapeError) {
        guard let rows else { return try addGatedInPlace(y, gate: gate) }
        guard y.shape == shape else {
            throw TensorShapeError(operation: "addGatedInPlace(_:gate:rows:)", shapes: [shape, y.shape],
                                   expected: "y of the same shape as self")
        }
        try checkTokenRows(rows, [gate], "addGatedInPlace(_:gate:rows:)")
        let width = shape[rank - 1]
        y.data.withUnsafeBufferPointer { py in
            gate.data.withUnsafeBufferPointer { pg in
                data.withUnsafeMutableBufferPointer { x in
                    Parallel.forEach(rows.count, grain: max(1, 8_192 / max(1, width))) { range in
                        for r in range {
                            let g = pg.baseAddress! + rows[r] * width
                            let src = py.baseAddress! + r * width
                            let dst = x.baseAddress! + r * width
                            for j in 0..<width { dst[j] += g[j] * src[j] }
                        }
                    }
                }
            }
        }
    }

    /// Checks that `rows` has one entry per token row of `self [B, S, D]` and that every entry
    /// names a D-wide row of each parameter.
    private func checkTokenRows(_ rows: [Int], _ parameters: [Tensor], _ operation: String) throws(TensorShapeError) {
        let width = rank >= 2 ? shape[rank - 1] : 0
        for parameter in parameters {
            let count = width == 0 ? 0 : parameter.count / width
            guard rank >= 2, rows.count * width == self.count, parameter.count == count * width,
                  rows.allSatisfy({ $0 >= 0 && $0 < count }) else {
                throw TensorShapeError(operation: operation, shapes: [shape, parameter.shape, [rows.count]],
                                       expected: "x [B, S, D], parameters [K, 1, D] and one row index in 0..<K per token")
            }
        }
    }
}
