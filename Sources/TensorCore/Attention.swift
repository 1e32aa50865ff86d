// torch.nn.functional.scaled_dot_product_attention, tiled with an online softmax
// ("flash attention" on the CPU): the Sq×Sk score matrix is never materialised; one
// [queryBlock, keyBlock] tile of scores exists at a time.

/// Memory layout of the q, k, v and output tensors of `scaledDotProductAttention`.
public enum AttentionLayout: Sendable, Equatable {
    /// `[B, H, S, D]`: heads before the sequence (torch SDPA's layout).
    case batchHeadSequence
    /// `[B, S, H, D]`: the sequence before the heads — what a linear projection gives after
    /// `reshaped([B, S, H, D])`, so no permute is needed on either side.
    case batchSequenceHead
}

/// Scaled dot-product attention: `softmax(q·kᵀ·scale + mask) · v`, per batch and head.
///
/// - `q: [B, H, Sq, D]`, `k: [B, H, Sk, D]`, `v: [B, H, Sk, Dv]` in `.batchHeadSequence`
///   layout, or `[B, Sq, H, D]`, `[B, Sk, H, D]`, `[B, Sk, H, Dv]` in `.batchSequenceHead`.
/// - `mask`: an additive Float mask broadcastable (right-aligned, size-1 dimensions) to
///   `[B, H, Sq, Sk]` whatever the layout — e.g. `[B, 1, 1, Sk]` key padding or `[Sq, Sk]`.
///   Use `-Float.infinity` to exclude a key (see `AttentionMask`).
/// - `isCausal`: query `i` sees keys `j ≤ i` only (torch's `is_causal`, top-left aligned);
///   key blocks entirely above the diagonal are skipped.
/// - `scale`: defaults to `1/√D`. T5 / UMT5 use `1`.
/// - returns `[B, H, Sq, Dv]` (or `[B, Sq, H, Dv]` in `.batchSequenceHead` layout).
///
/// A query row whose keys are all masked out returns zeros (torch returns NaN there).
/// The softmax runs in Float with a running max and running sum per query row.
public func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor,
                                      mask: Tensor? = nil, isCausal: Bool = false,
                                      scale: Float? = nil,
                                      layout: AttentionLayout = .batchHeadSequence) -> Tensor {
    scaledDotProductAttention(q, k, v, mask: mask, isCausal: isCausal, scale: scale,
                              layout: layout, queryBlock: 512, keyBlock: 512)
}

/// Convenience builders for attention masks (additive, `0` keeps, `-inf` drops).
public enum AttentionMask {
    /// Key-padding mask `[B, 1, 1, Sk]` from per-batch flags, `true` = attend to this key.
    public static func keyPadding(_ keep: [[Bool]]) -> Tensor {
        let keys = keep.first?.count ?? 0
        precondition(keep.allSatisfy { $0.count == keys }, "AttentionMask.keyPadding: rows differ in length")
        return Tensor(shape: [keep.count, 1, 1, keys],
                      data: keep.flatMap { $0.map { $0 ? 0 : -Float.infinity } })
    }

    /// Key-padding mask `[B, 1, 1, Sk]` from a transformers-style `attention_mask [B, Sk]`
    /// (1 = real token, 0 = padding).
    public static func keyPadding(attentionMask: Tensor) -> Tensor {
        precondition(attentionMask.rank == 2, "AttentionMask.keyPadding: expects [B, Sk], got \(attentionMask.shape)")
        return Tensor(shape: [attentionMask.shape[0], 1, 1, attentionMask.shape[1]],
                      data: attentionMask.data.map { $0 != 0 ? 0 : -Float.infinity })
    }

    /// Causal mask `[Sq, Sk]`: query `i` sees keys `j ≤ i` (torch `is_causal`). Prefer
    /// `isCausal: true`, which needs no mask tensor and skips masked key blocks.
    public static func causal(queries: Int, keys: Int) -> Tensor {
        Tensor(shape: [queries, keys]) { out in
            for i in 0..<queries {
                for j in 0..<keys { out[i * keys + j] = j <= i ? 0 : -Float.infinity }
            }
        }
    }
}

/// Strides (in elements) for indexing one attention operand.
private struct HeadStrides {
    var batch: Int, head: Int, row: Int

    init(shape: [Int], layout: AttentionLayout) {
        // shape in the tensor's own layout; dims 0..3
        let (s1, s2, d) = (shape[1], shape[2], shape[3])
        switch layout {
        case .batchHeadSequence: batch = s1 * s2 * d; head = s2 * d; row = d
        case .batchSequenceHead: batch = s1 * s2 * d; head = d; row = s2 * d
        }
    }
}

/// The tiled kernel, with its tile sizes exposed (for tests and `zoetrope-bench sdpa`'s sweep).
public func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor,
                               mask: Tensor?, isCausal: Bool, scale: Float?,
                               layout: AttentionLayout,
                               queryBlock: Int, keyBlock: Int) -> Tensor {
    precondition(q.rank == 4 && k.rank == 4 && v.rank == 4,
                 "scaledDotProductAttention: q, k, v must be 4-D, got \(q.shape), \(k.shape), \(v.shape)")
    precondition(queryBlock > 0 && keyBlock > 0, "scaledDotProductAttention: tile sizes must be positive")
    let sequenceAxis = layout == .batchHeadSequence ? 2 : 1
    let headAxis = 3 - sequenceAxis
    let B = q.shape[0], H = q.shape[headAxis], Sq = q.shape[sequenceAxis], D = q.shape[3]
    let Sk = k.shape[sequenceAxis], Dv = v.shape[3]
    precondition(k.shape[0] == B && k.shape[headAxis] == H && k.shape[3] == D,
                 "scaledDotProductAttention: k \(k.shape) does not match q \(q.shape) (\(layout))")
    precondition(v.shape[0] == B && v.shape[headAxis] == H && v.shape[sequenceAxis] == Sk,
                 "scaledDotProductAttention: v \(v.shape) does not match k \(k.shape) (\(layout))")
    let alpha = scale ?? 1 / Float(D).squareRoot()

    // Mask strides into logical [B, H, Sq, Sk] (0 on broadcast dimensions).
    var maskStrides = [0, 0, 0, 0]
    if let mask {
        precondition(mask.rank <= 4, "scaledDotProductAttention: mask \(mask.shape) has more than 4 dimensions")
        let target = [B, H, Sq, Sk]
        let padded = [Int](repeating: 1, count: 4 - mask.rank) + mask.shape
        let own = Tensor.strides(for: padded)
        for axis in 0..<4 {
            precondition(padded[axis] == target[axis] || padded[axis] == 1,
                         "scaledDotProductAttention: mask \(mask.shape) does not broadcast to \(target)")
            maskStrides[axis] = padded[axis] == 1 ? 0 : own[axis]
        }
    }
    let qs = HeadStrides(shape: q.shape, layout: layout)
    let ks = HeadStrides(shape: k.shape, layout: layout)
    let vs = HeadStrides(shape: v.shape, layout: layout)
    let outShape = layout == .batchHeadSequence ? [B, H, Sq, Dv] : [B, Sq, H, Dv]
    let os = HeadStrides(shape: outShape, layout: layout)
    let bq = min(queryBlock, max(1, Sq)), bk = min(keyBlock, max(1, Sk))

    let queryBlocks = (Sq + bq - 1) / bq

    return Tensor(shape: outShape) { out in
        out.initialize(repeating: 0)
        guard let o = out.baseAddress, Sk > 0, D > 0 || Dv > 0 else { return }
        let maskData = mask?.data ?? []
        q.data.withUnsafeBufferPointer { qBuf in
        k.data.withUnsafeBufferPointer { kBuf in
        v.data.withUnsafeBufferPointer { vBuf in
        maskData.withUnsafeBufferPointer { maskBuf in
            guard let qp = qBuf.baseAddress, let kp = kBuf.baseAddress, let vp = vBuf.baseAddress else { return }
            let maskBase = mask == nil ? nil : maskBuf.baseAddress
            // A cancelled job's attention stops between tiles (the caller's next check throws).
            let cancellation = CancellationFlag.current
            // One task per (batch, head, query block), spread over the threads; each task's
            // GEMMs and softmax rows run on its thread. With a single task they use all threads.
            Parallel.forEach(B * H * queryBlocks) { tasks in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: bq * bk)
                let runningMax = UnsafeMutablePointer<Float>.allocate(capacity: bq)
                let runningSum = UnsafeMutablePointer<Float>.allocate(capacity: bq)
                defer { scores.deallocate(); runningMax.deallocate(); runningSum.deallocate() }
                for task in tasks {
                    if cancellation?.isCancelled == true { return }
                    let (b, h, i0) = (task / (H * queryBlocks), task / queryBlocks % H, task % queryBlocks * bq)
                    let qHead = qp + b * qs.batch + h * qs.head
                    let kHead = kp + b * ks.batch + h * ks.head
                    let vHead = vp + b * vs.batch + h * vs.head
                    let oHead = o + b * os.batch + h * os.head
                    let maskHead = maskBase.map { $0 + b * maskStrides[0] + h * maskStrides[1] }
                    let rows = min(bq, Sq - i0)
                    runningMax.update(repeating: -.infinity, count: rows)
                    runningSum.update(repeating: 0, count: rows)
                    var j0 = 0
                    // With a causal mask, keys past the block's last query are never seen.
                    let keyEnd = isCausal ? min(Sk, i0 + rows) : Sk
                    while j0 < keyEnd {
                        if cancellation?.isCancelled == true { return }
                        let cols = min(bk, keyEnd - j0)
                        // scores[rows, cols] = alpha · Q[i0.., :] · K[j0.., :]ᵀ
                        BLAS.sgemm(transposeB: true, m: rows, n: cols, k: D, alpha: alpha,
                                   a: qHead + i0 * qs.row, lda: qs.row,
                                   b: kHead + j0 * ks.row, ldb: ks.row,
                                   c: scores, ldc: cols)
                        onlineSoftmaxTile(
                            scores: scores, rows: rows, cols: cols, i0: i0, j0: j0,
                            isCausal: isCausal, mask: maskHead, maskStrides: maskStrides,
                            runningMax: runningMax, runningSum: runningSum,
                            output: oHead + i0 * os.row, outputRow: os.row, valueWidth: Dv)
                        // O[i0.., :] += P[rows, cols] · V[j0.., :]
                        BLAS.sgemm(m: rows, n: Dv, k: cols,
                                   a: scores, lda: cols,
                                   b: vHead + j0 * vs.row, ldb: vs.row,
                                   beta: 1, c: oHead + i0 * os.row, ldc: os.row)
                        j0 += cols
                    }
                    // O[i, :] /= l_i (rows with every key masked stay 0)
                    Parallel.forEach(rows, grain: 64) { range in
                        for r in range {
                            let l = runningSum[r]
                            let inverse: Float = l > 0 ? 1 / l : 0
                            let row = oHead + (i0 + r) * os.row
                            for d in 0..<Dv { row[d] *= inverse }
                        }
                    }
                }
            }
        }
        }
        }
        }
    }
}

/// One tile of the online softmax. On entry `scores[r, c]` holds the scaled logits of query
/// `i0 + r` against key `j0 + c`; on exit it holds `exp(logit − m_new)`, the running max and
/// sum are updated, and the output row is rescaled by `exp(m_old − m_new)` so that the next
/// GEMM can accumulate into it.
private func onlineSoftmaxTile(scores: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                               i0: Int, j0: Int, isCausal: Bool,
                               mask: UnsafePointer<Float>?, maskStrides: [Int],
                               runningMax: UnsafeMutablePointer<Float>,
                               runningSum: UnsafeMutablePointer<Float>,
                               output: UnsafeMutablePointer<Float>, outputRow: Int, valueWidth: Int) {
    let maskRowStride = maskStrides[2], maskColStride = maskStrides[3]
    Parallel.forEach(rows, grain: max(1, 8192 / max(1, cols))) { range in
        for r in range {
            let s = scores + r * cols
            let i = i0 + r
            if let mask {
                let m = mask + i * maskRowStride + j0 * maskColStride
                if maskColStride == 0 {
                    let add = m[0]
                    for c in 0..<cols { s[c] += add }
                } else {
                    for c in 0..<cols { s[c] += m[c * maskColStride] }
                }
            }
            if isCausal && j0 + cols - 1 > i {
                // keys j > i are invisible to query i
                let firstHidden = max(0, i - j0 + 1)
                (s + firstHidden).update(repeating: -.infinity, count: cols - firstHidden)
            }
            let tileMax = AttentionMath.max(s, cols)
            if tileMax == -.infinity {
                // Every key of this tile is masked for this row: it contributes nothing.
                s.update(repeating: 0, count: cols)
                continue
            }
            let oldMax = runningMax[r]
            let newMax = Swift.max(oldMax, tileMax)
            let correction = AttentionMath.exp(oldMax - newMax)  // 0 when oldMax = −inf
            let tileSum = AttentionMath.expShiftedSum(s, cols, shift: newMax)
            runningSum[r] = runningSum[r] * correction + tileSum
            runningMax[r] = newMax
            if correction != 1 {
                let o = output + r * outputRow
                for d in 0..<valueWidth { o[d] *= correction }
            }
        }
    }
}
