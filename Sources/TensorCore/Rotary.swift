import Foundation

// Rotary position embeddings, matching diffusers 0.42.1:
//   embeddings.get_1d_rotary_pos_embed(use_real=True, repeat_interleave_real=True)   `table`
//   a 3-D table built from three 1-D tables, one per grid axis                        `table3D`
//   embeddings.apply_rotary_emb(use_real_unbind_dim=-1) and Wan's apply_rotary_emb    `applyingRotary`
// How a family splits dh between the axes and which positions it uses lives with the family:
//   Sources/Models/WanTransformer/WanRotaryPosEmbed.swift   (transformer_wan.WanRotaryPosEmbed)
//   Sources/Models/Layers/Get3DRotaryPosEmbed.swift         (embeddings.get_3d_rotary_pos_embed:
//                                                             CogVideoX 5B/1.5, EasyAnimate)
// Every table is "real, interleaved": cos[s, 2i] = cos[s, 2i+1] = cos(pos_s · ω_i), and the
// rotation of each pair is (x0, x1) → (x0·cos − x1·sin, x0·sin + x1·cos).

/// Cos/sin tables of a rotary embedding, each `[S, dh]` with every value repeated for the
/// two elements of a rotated pair.
public struct RotaryTable: Sendable, Equatable {
    /// `[S, dh]`.
    public var cos: Tensor
    /// `[S, dh]`.
    public var sin: Tensor

    public init(cos: Tensor, sin: Tensor) {
        precondition(cos.shape == sin.shape && cos.rank == 2 && cos.shape[1] % 2 == 0,
                     "rotary cos \(cos.shape) / sin \(sin.shape) must be equal [S, even dh]")
        self.cos = cos
        self.sin = sin
    }

    /// Number of positions S.
    public var sequenceLength: Int { cos.shape[0] }
    /// Rotated width dh.
    public var headDim: Int { cos.shape[1] }

    /// Tables side by side along dh, per token (`torch.cat(..., dim=-1)`).
    public static func concatenated(_ tables: [RotaryTable]) -> RotaryTable {
        RotaryTable(cos: Tensor.concatenate(tables.map(\.cos), axis: 1),
                    sin: Tensor.concatenate(tables.map(\.sin), axis: 1))
    }
}

/// Memory layout of the query/key tensor a rotary table is applied to.
public enum RotaryLayout: Sendable {
    /// `[B, S, Nh, dh]` (Wan: `sequence_dim=1`).
    case sequenceHeads
    /// `[B, Nh, S, dh]` (CogVideoX / EasyAnimate after the head split: `sequence_dim=2`).
    case headsSequence
}

/// Builders for rotary tables.
public enum Rotary {
    /// Arithmetic in which the angles are computed before the cast to Float.
    public enum Precision: Sendable {
        /// torch float32 (diffusers' default `freqs_dtype`; CogVideoX, EasyAnimate).
        case float32
        /// torch float64, then cast (Wan).
        case float64
    }

    /// 1-D table for `positions` over `dim` rotated channels:
    /// `ω_i = 1 / theta^(2i/dim)`, angle `pos · ω_i`, `i < dim/2`.
    public static func table(positions: [Double], dim: Int, theta: Double = 10_000,
                             precision: Precision = .float32) -> RotaryTable {
        precondition(dim % 2 == 0 && dim >= 0, "rotary dim \(dim) must be even")
        let half = dim / 2
        let s = positions.count
        var c = [Float](repeating: 0, count: s * dim)
        var sn = [Float](repeating: 0, count: s * dim)
        switch precision {
        case .float32:
            // freqs = 1.0 / (theta ** (arange(0, dim, 2, float32) / dim)) ; outer(pos, freqs)
            let freqs = (0..<half).map { i in 1 / Foundation.pow(Float(theta), Float(2 * i) / Float(dim)) }
            for (p, pos) in positions.enumerated() {
                for i in 0..<half {
                    let angle = Float(pos) * freqs[i]
                    let (cv, sv) = (Foundation.cos(angle), Foundation.sin(angle))
                    c[p * dim + 2 * i] = cv; c[p * dim + 2 * i + 1] = cv
                    sn[p * dim + 2 * i] = sv; sn[p * dim + 2 * i + 1] = sv
                }
            }
        case .float64:
            let freqs = (0..<half).map { i in 1 / Foundation.pow(theta, Double(2 * i) / Double(dim)) }
            for (p, pos) in positions.enumerated() {
                for i in 0..<half {
                    let angle = pos * freqs[i]
                    let (cv, sv) = (Float(Foundation.cos(angle)), Float(Foundation.sin(angle)))
                    c[p * dim + 2 * i] = cv; c[p * dim + 2 * i + 1] = cv
                    sn[p * dim + 2 * i] = sv; sn[p * dim + 2 * i + 1] = sv
                }
            }
        }
        return RotaryTable(cos: Tensor(shape: [s, dim], data: c), sin: Tensor(shape: [s, dim], data: sn))
    }

    /// 3-D table for a token grid in row-major (frame, row, column) order: the per-token
    /// vector is `[t | h | w]` with widths `dims`, each axis with its own frequencies.
    public static func table3D(framePositions: [Double], rowPositions: [Double], columnPositions: [Double],
                               dims: (time: Int, height: Int, width: Int), theta: Double = 10_000,
                               precision: Precision) -> RotaryTable {
        let t = table(positions: framePositions, dim: dims.time, theta: theta, precision: precision)
        let h = table(positions: rowPositions, dim: dims.height, theta: theta, precision: precision)
        let w = table(positions: columnPositions, dim: dims.width, theta: theta, precision: precision)
        let nf = framePositions.count, nh = rowPositions.count, nw = columnPositions.count
        let dh = dims.time + dims.height + dims.width
        var c = [Float](repeating: 0, count: nf * nh * nw * dh)
        var s = c
        for f in 0..<nf {
            for y in 0..<nh {
                for x in 0..<nw {
                    let base = ((f * nh + y) * nw + x) * dh
                    for (offset, part, row, width) in [(0, t, f, dims.time), (dims.time, h, y, dims.height),
                                                       (dims.time + dims.height, w, x, dims.width)] {
                        for j in 0..<width {
                            c[base + offset + j] = part.cos.data[row * width + j]
                            s[base + offset + j] = part.sin.data[row * width + j]
                        }
                    }
                }
            }
        }
        let shape = [nf * nh * nw, dh]
        return RotaryTable(cos: Tensor(shape: shape, data: c), sin: Tensor(shape: shape, data: s))
    }

    /// torch `linspace(start, end, count)` in float32 (first half counted up from `start`,
    /// second half down from `end`).
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> [Float] {
        if count <= 0 { return [] }
        if count == 1 { return [start] }
        let step = (end - start) / Float(count - 1)
        let halfway = count / 2
        return (0..<count).map { i in i < halfway ? start + step * Float(i) : end - step * Float(count - i - 1) }
    }
}

extension Tensor {
    /// Applies a rotary table to the last dim of a query/key tensor:
    /// `out[2i] = x[2i]·cos − x[2i+1]·sin`, `out[2i+1] = x[2i]·sin + x[2i+1]·cos`.
    ///
    /// `self` is `[B, S, Nh, dh]` (`.sequenceHeads`) or `[B, Nh, S, dh]` (`.headsSequence`).
    /// Tokens before `tokenOffset` (e.g. the text tokens of CogVideoX's joint sequence) are
    /// left unchanged; token `s ≥ tokenOffset` uses table row `s − tokenOffset`, so the
    /// table has `S − tokenOffset` rows. The table's dh may be smaller than the tensor's;
    /// the trailing channels are then left unchanged.
    public func applyingRotary(_ table: RotaryTable, layout: RotaryLayout = .sequenceHeads,
                               tokenOffset: Int = 0) -> Tensor {
        precondition(rank == 4, "applyingRotary expects a 4-D tensor, got \(shape)")
        let (b, s, nh, dh) = layout == .sequenceHeads ? (shape[0], shape[1], shape[2], shape[3])
                                                      : (shape[0], shape[2], shape[1], shape[3])
        let rd = table.headDim
        precondition(table.sequenceLength == s - tokenOffset && rd <= dh,
                     "rotary table [\(table.sequenceLength), \(rd)] does not fit \(shape) with tokenOffset \(tokenOffset)")
        let rows = b * s * nh
        var out = self
        if rows == 0 || dh == 0 { return out }
        out.data.withUnsafeMutableBufferPointer { x in
            table.cos.data.withUnsafeBufferPointer { cp in
                table.sin.data.withUnsafeBufferPointer { sp in
                    Parallel.forEach(rows, grain: max(1, 8_192 / dh)) { range in
                        for row in range {
                            // Token index of this row in either layout.
                            let token = layout == .sequenceHeads ? (row / nh) % s : row % s
                            if token < tokenOffset { continue }
                            let c = cp.baseAddress! + (token - tokenOffset) * rd
                            let sn = sp.baseAddress! + (token - tokenOffset) * rd
                            let p = x.baseAddress! + row * dh
                            var i = 0
                            while i < rd {
                                let x0 = p[i], x1 = p[i + 1]
                                let cv = c[i], sv = sn[i + 1]
                                p[i] = x0 * cv - x1 * sv
                                p[i + 1] = x0 * sv + x1 * cv
                                i += 2
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
