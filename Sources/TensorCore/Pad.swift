// Padding (torch `F.pad`) with constant or replicate (edge) mode, any rank.

/// How `Tensor.padded` fills the new elements.
public enum PaddingMode: Sendable, Equatable {
    /// Fill with a value (torch `mode="constant"`, `value=`).
    case constant(Float)
    /// Repeat the edge element (torch `mode="replicate"`).
    case replicate
}

extension Tensor {
    /// The tensor padded by `before[d]` / `after[d]` elements on each dim `d`
    /// (both arrays have `rank` entries, all ≥ 0).
    public func padded(before: [Int], after: [Int], mode: PaddingMode = .constant(0)) -> Tensor {
        precondition(before.count == rank && after.count == rank, "pad widths \(before)/\(after) for \(shape)")
        precondition(before.allSatisfy { $0 >= 0 } && after.allSatisfy { $0 >= 0 }, "negative padding \(before)/\(after)")
        let outShape = (0..<rank).map { shape[$0] + before[$0] + after[$0] }
        if before.allSatisfy({ $0 == 0 }) && after.allSatisfy({ $0 == 0 }) { return self }
        if outShape.contains(0) { return Tensor(zeros: outShape) }
        if case .replicate = mode {
            precondition(!shape.contains(0), "replicate padding of an empty tensor \(shape)")
        }
        if rank == 0 { return self }
        let fill: Float
        if case .constant(let v) = mode { fill = v } else { fill = 0 }
        let replicate = mode == .replicate
        let inStrides = strides
        let width = outShape[rank - 1]
        let inWidth = shape[rank - 1]
        let left = before[rank - 1]
        let outerDims = Array(outShape.dropLast())
        let rows = outerDims.reduce(1, *)
        let inShape = shape
        return Tensor(shape: outShape) { out in
            data.withUnsafeBufferPointer { src in
                Parallel.forEach(rows, grain: max(1, 8_192 / width)) { range in
                    for row in range {
                        let dst = out.baseAddress! + row * width
                        // Source row offset, or nil when this row lies in a constant border.
                        var rest = row
                        var off = 0
                        var inside = true
                        var d = outerDims.count - 1
                        while d >= 0 {
                            var i = rest % outerDims[d] - before[d]
                            rest /= outerDims[d]
                            if i < 0 || i >= inShape[d] {
                                if replicate { i = i < 0 ? 0 : inShape[d] - 1 } else { inside = false }
                            }
                            off += i * inStrides[d]
                            d -= 1
                        }
                        if !inside {
                            dst.update(repeating: fill, count: width)
                            continue
                        }
                        let s = src.baseAddress! + off
                        let lo: Float = replicate ? s[0] : fill
                        let hi: Float = replicate ? s[inWidth - 1] : fill
                        for j in 0..<left { dst[j] = lo }
                        (dst + left).update(from: s, count: inWidth)
                        for j in (left + inWidth)..<width { dst[j] = hi }
                    }
                }
            }
        }
    }

    /// Padding in torch `F.pad` order: `pad` lists (before, after) pairs starting from the
    /// **last** dim, e.g. `[wLeft, wRight, hTop, hBottom, fFront, fBack]`.
    public func padded(torchPad pad: [Int], mode: PaddingMode = .constant(0)) -> Tensor {
        precondition(pad.count % 2 == 0 && pad.count / 2 <= rank, "torch pad \(pad) for \(shape)")
        var before = [Int](repeating: 0, count: rank)
        var after = [Int](repeating: 0, count: rank)
        for k in 0..<(pad.count / 2) {
            before[rank - 1 - k] = pad[2 * k]
            after[rank - 1 - k] = pad[2 * k + 1]
        }
        return padded(before: before, after: after, mode: mode)
    }
}
