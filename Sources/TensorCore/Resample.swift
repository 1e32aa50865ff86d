// Interpolation over the trailing (spatial / temporal) dims, matching torch
// `F.interpolate` on CPU in float32:
//   nearest        src = min(floor(dst · in/out), in − 1)
//   nearest-exact  src = min(floor((dst + 0.5) · in/out), in − 1)
//   linear / bilinear / trilinear (align_corners=False):
//                  src = max(0, (dst + 0.5) · in/out − 0.5), i0 = floor(src),
//                  i1 = min(i0 + 1, in − 1), λ = src − i0, y = (1−λ)·x[i0] + λ·x[i1]
//                  (align_corners=True: src = dst · (in−1)/(out−1))
// For integer scale factors `in/out` equals torch's `1/scale_factor` exactly, so
// `scale_factor=` and `size=` calls agree. Linear modes are applied one dim at a time,
// innermost first, which is the same arithmetic as torch's nested interpolation.

/// Index rule for nearest-neighbour resampling.
public enum NearestMode: Sendable {
    /// torch `mode="nearest"`.
    case nearest
    /// torch `mode="nearest-exact"`.
    case nearestExact
}

extension Tensor {
    /// Nearest-neighbour resampling of the trailing `size.count` dims to `size`
    /// (e.g. `size: [2H, 2W]` on `[B, C, H, W]`, or `[F', H', W']` on `[B, C, F, H, W]`).
    public func upsampledNearest(size: [Int], mode: NearestMode = .nearest) -> Tensor {
        let k = size.count
        precondition(k >= 1 && k <= rank && size.allSatisfy { $0 >= 0 }, "nearest size \(size) for \(shape)")
        let inTail = Array(shape.suffix(k))
        // Source index of every output index, per resampled dim.
        let maps: [[Int]] = (0..<k).map { d in
            let n = inTail[d], m = size[d]
            if n == m { return Array(0..<m) }
            let scale = Float(n) / Float(m)
            return (0..<m).map { o in
                let s = mode == .nearest ? (Float(o) * scale).rounded(.down) : ((Float(o) + 0.5) * scale).rounded(.down)
                return Swift.min(Int(s), n - 1)
            }
        }
        return gatherTrailing(size: size, maps: maps)
    }

    /// Nearest-neighbour up-sampling of the trailing `scales.count` dims by integer factors
    /// (e.g. `[2, 2]` over H, W; `[2, 2, 2]` over F, H, W).
    public func upsampledNearest(scales: [Int]) -> Tensor {
        precondition(scales.allSatisfy { $0 >= 1 } && scales.count <= rank, "nearest scales \(scales) for \(shape)")
        let tail = shape.suffix(scales.count)
        return upsampledNearest(size: zip(tail, scales).map { $0 * $1 })
    }

    /// Output `[lead..., size...]` with `out[..., o] = in[..., maps[d][o_d] ...]`.
    private func gatherTrailing(size: [Int], maps: [[Int]]) -> Tensor {
        let k = size.count
        let lead = Array(shape.dropLast(k))
        let outShape = lead + size
        if outShape.contains(0) { return Tensor(zeros: outShape) }
        let inTail = Array(shape.suffix(k))
        let inTailStrides = Tensor.strides(for: inTail)
        let inBlock = inTail.reduce(1, *)
        let outBlock = size.reduce(1, *)
        let width = size[k - 1]
        let lastMap = maps[k - 1]
        let rowDims = Array(size.dropLast())           // output dims of one block, except the last
        let rowsPerBlock = rowDims.reduce(1, *)
        let blocks = lead.reduce(1, *)
        return Tensor(shape: outShape) { out in
            data.withUnsafeBufferPointer { src in
                Parallel.forEach(blocks * rowsPerBlock, grain: max(1, 8_192 / width)) { range in
                    for item in range {
                        let b = item / rowsPerBlock
                        var rest = item % rowsPerBlock
                        var off = b * inBlock
                        var d = rowDims.count - 1
                        while d >= 0 {
                            off += maps[d][rest % rowDims[d]] * inTailStrides[d]
                            rest /= rowDims[d]
                            d -= 1
                        }
                        let s = src.baseAddress! + off
                        let dst = out.baseAddress! + b * outBlock + (item % rowsPerBlock) * width
                        for j in 0..<width { dst[j] = s[lastMap[j]] }
                    }
                }
            }
        }
    }

    /// Linear interpolation of the trailing `size.count` dims (1 = linear, 2 = bilinear,
    /// 3 = trilinear over F, H, W of `[B, C, F, H, W]`), torch semantics.
    public func interpolatedLinear(size: [Int], alignCorners: Bool = false) -> Tensor {
        precondition(size.count >= 1 && size.count <= rank && size.allSatisfy { $0 > 0 },
                     "linear interpolation size \(size) for \(shape)")
        var x = self
        // Innermost dim first, as torch nests its interpolation.
        for d in stride(from: size.count - 1, through: 0, by: -1) {
            let axis = rank - size.count + d
            if x.shape[axis] != size[d] || alignCorners {
                x = x.interpolatedLinear(axis: axis, to: size[d], alignCorners: alignCorners)
            }
        }
        return x
    }

    /// 1-D linear interpolation of one axis to `m` points.
    private func interpolatedLinear(axis a: Int, to m: Int, alignCorners: Bool) -> Tensor {
        let (outer, n, inner) = splitAround(a)
        precondition(n > 0, "interpolating an empty axis of \(shape)")
        var i0 = [Int](repeating: 0, count: m)
        var i1 = [Int](repeating: 0, count: m)
        var l0 = [Float](repeating: 0, count: m)
        var l1 = [Float](repeating: 0, count: m)
        let scale: Float = alignCorners ? (m > 1 ? Float(n - 1) / Float(m - 1) : 0) : Float(n) / Float(m)
        for o in 0..<m {
            var src = alignCorners ? scale * Float(o) : scale * (Float(o) + 0.5) - 0.5
            if src < 0 { src = 0 }
            let lo = Swift.min(Int(src), n - 1)
            i0[o] = lo
            i1[o] = lo < n - 1 ? lo + 1 : lo
            l1[o] = src - Float(lo)
            l0[o] = 1 - l1[o]
        }
        var outShape = shape
        outShape[a] = m
        if outer == 0 || inner == 0 { return Tensor(zeros: outShape) }
        return Tensor(shape: outShape) { out in
            data.withUnsafeBufferPointer { src in
                if inner == 1 {
                    // Interpolating the innermost axis: one output row per outer index.
                    Parallel.forEach(outer, grain: max(1, 8_192 / m)) { range in
                        for row in range {
                            let s = src.baseAddress! + row * n
                            let dst = out.baseAddress! + row * m
                            for o in 0..<m { dst[o] = l0[o] * s[i0[o]] + l1[o] * s[i1[o]] }
                        }
                    }
                } else {
                    // Interpolating an outer axis: combine two contiguous input rows of `inner`.
                    Parallel.forEach(outer * m, grain: max(1, 8_192 / inner)) { range in
                        for item in range {
                            let b = item / m
                            let o = item % m
                            let s0 = src.baseAddress! + (b * n + i0[o]) * inner
                            let s1 = src.baseAddress! + (b * n + i1[o]) * inner
                            let dst = out.baseAddress! + item * inner
                            let w0 = l0[o], w1 = l1[o]
                            for j in 0..<inner { dst[j] = w0 * s0[j] + w1 * s1[j] }
                        }
                    }
                }
            }
        }
    }

    /// Average of non-overlapping windows of `kernel` elements along `axis`
    /// (torch `avg_pool1d(kernel, stride: kernel)` on that axis; a remainder is dropped).
    public func averagePooled(axis: Int, kernel: Int) -> Tensor {
        let a = self.axis(axis)
        precondition(kernel >= 1, "pool kernel \(kernel)")
        let (outer, n, inner) = splitAround(a)
        let m = n / kernel
        var outShape = shape
        outShape[a] = m
        if outer == 0 || inner == 0 || m == 0 { return Tensor(zeros: outShape) }
        let divisor = Float(kernel)
        return Tensor(shape: outShape) { out in
            data.withUnsafeBufferPointer { src in
                Parallel.forEach(outer * m, grain: max(1, 8_192 / inner)) { range in
                    for item in range {
                        let b = item / m
                        let o = item % m
                        let dst = out.baseAddress! + item * inner
                        let s = src.baseAddress! + (b * n + o * kernel) * inner
                        for j in 0..<inner { dst[j] = s[j] }
                        for k in 1..<kernel {
                            let sk = s + k * inner
                            for j in 0..<inner { dst[j] += sk[j] }
                        }
                        for j in 0..<inner { dst[j] /= divisor }
                    }
                }
            }
        }
    }
}
