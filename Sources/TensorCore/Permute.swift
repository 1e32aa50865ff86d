// General N-d permute (torch `permute(...).contiguous()`) and two-axis transpose.
//
// The permutation is first simplified: size-1 dims are dropped and input dims that stay
// adjacent and in order are merged. Then:
//   - if the innermost input dim stays innermost, whole runs are copied (memcpy per row);
//   - if the result is a (batched) 2-D transpose [N, A, B] → [N, B, A], it is done in
//     cache-sized tiles;
//   - otherwise each output row gathers with a stride.

extension Tensor {
    /// The tensor with its dims reordered: output dim `i` is input dim `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order.map { axis($0) }).count == rank,
                     "permute order \(order) is not a permutation of \(rank) dims")
        let perm = order.map { axis($0) }
        let outShape = perm.map { shape[$0] }
        if count == 0 { return Tensor(zeros: outShape) }

        // Simplify: drop size-1 dims, then merge input dims that stay adjacent in order.
        let kept = perm.filter { shape[$0] != 1 }
        var groups: [[Int]] = []   // runs of consecutive input dims, in output order
        for d in kept {
            if let last = groups.last?.last, last < d, shape[(last + 1)..<d].allSatisfy({ $0 == 1 }) {
                groups[groups.count - 1].append(d)
            } else {
                groups.append([d])
            }
        }
        // The merged input shape is the groups in input order.
        let inputOrder = groups.indices.sorted { groups[$0][0] < groups[$1][0] }
        let mergedIn = inputOrder.map { groups[$0].reduce(1) { $0 * shape[$1] } }
        var position = [Int](repeating: 0, count: groups.count)   // group → merged input dim
        for (k, g) in inputOrder.enumerated() { position[g] = k }
        let mergedPerm = groups.indices.map { position[$0] }
        if mergedPerm == Array(mergedPerm.indices) { return reshaped(outShape) }

        let inStrides = Tensor.strides(for: mergedIn)
        let dims = mergedPerm.map { mergedIn[$0] }            // output dims (merged)
        let strides = mergedPerm.map { inStrides[$0] }        // input stride of each output dim
        let r = dims.count
        return Tensor(shape: outShape) { out in
            data.withUnsafeBufferPointer { src in
                let s = src.baseAddress!
                let o = out.baseAddress!
                if r == 2 || (r == 3 && mergedPerm == [0, 2, 1]) {
                    // [N, A, B] → [N, B, A] (N = 1 for a plain 2-D transpose).
                    let n = r == 3 ? dims[0] : 1
                    let rowsOut = dims[r - 2]   // B
                    let colsOut = dims[r - 1]   // A
                    Tensor.tiledTranspose(s, o, batch: n, rows: colsOut, cols: rowsOut)
                    return
                }
                let inner = dims[r - 1]
                let innerStride = strides[r - 1]
                let outerDims = Array(dims.dropLast())
                let outerStrides = Array(strides.dropLast())
                let rows = outerDims.reduce(1, *)
                Parallel.forEach(rows, grain: max(1, 16_384 / inner)) { range in
                    for row in range {
                        var rest = row
                        var off = 0
                        var d = outerDims.count - 1
                        while d >= 0 {
                            off += (rest % outerDims[d]) * outerStrides[d]
                            rest /= outerDims[d]
                            d -= 1
                        }
                        let dst = o + row * inner
                        if innerStride == 1 {
                            dst.update(from: s + off, count: inner)
                        } else {
                            for j in 0..<inner { dst[j] = s[off + j * innerStride] }
                        }
                    }
                }
            }
        }
    }

    /// Transposes `batch` row-major matrices `[rows, cols]` into `[cols, rows]`, in 32×32 tiles.
    static func tiledTranspose(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                               batch: Int, rows: Int, cols: Int) {
        let tile = 32
        let tileRows = (rows + tile - 1) / tile
        let tileCols = (cols + tile - 1) / tile
        let perMatrix = tileRows * tileCols
        Parallel.forEach(batch * perMatrix, grain: 4) { range in
            for item in range {
                let m = item / perMatrix
                let t = item % perMatrix
                let r0 = (t / tileCols) * tile
                let c0 = (t % tileCols) * tile
                let s = src + m * rows * cols
                let d = dst + m * rows * cols
                for r in r0..<Swift.min(r0 + tile, rows) {
                    for c in c0..<Swift.min(c0 + tile, cols) {
                        d[c * rows + r] = s[r * cols + c]
                    }
                }
            }
        }
    }

    /// The tensor with two dims swapped (torch `transpose(a, b).contiguous()`).
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(axis(a), axis(b))
        return permuted(order)
    }
}
