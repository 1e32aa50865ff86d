// Matrix products on `Tensor` (torch.matmul / torch.bmm semantics for the cases the models use).
//
// Shape mismatches here are programming errors (a model wired wrongly), not user input:
// weight shapes are checked by the loader before any op runs, so these use `precondition`.

/// Matrix product of two 2-D tensors.
///
/// `a: [M, K]`, `b: [K, N]` → `[M, N]`. One `cblas_sgemm` call.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul: expects 2-D tensors, got \(a.shape) and \(b.shape)")
    return batchedMatmul(a, b)
}

/// Batched matrix product over the last two dimensions, with optional transposes.
///
/// - `a: [..., M, K]` (or `[..., K, M]` when `transposeA`)
/// - `b: [..., K, N]` (or `[..., N, K]` when `transposeB`)
/// - returns `[..., M, N]`.
///
/// The leading (batch) dimensions of `a` and `b` must be equal, or one side must be
/// exactly 2-D, in which case that matrix is shared by every batch entry (as in
/// `torch.matmul`'s broadcasting of a 2-D operand). When `b` is 2-D and `a` is not
/// transposed, the whole batch is folded into one GEMM.
public func batchedMatmul(_ a: Tensor, _ b: Tensor,
                          transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2,
                 "batchedMatmul: expects rank >= 2, got \(a.shape) and \(b.shape)")
    let aRows = a.shape[a.rank - 2], aCols = a.shape[a.rank - 1]
    let bRows = b.shape[b.rank - 2], bCols = b.shape[b.rank - 1]
    let m = transposeA ? aCols : aRows
    let k = transposeA ? aRows : aCols
    let kB = transposeB ? bCols : bRows
    let n = transposeB ? bRows : bCols
    precondition(k == kB, "batchedMatmul: inner sizes differ: a \(a.shape)\(transposeA ? "ᵀ" : ""), "
                 + "b \(b.shape)\(transposeB ? "ᵀ" : "")")
    let aBatchShape = Array(a.shape.dropLast(2))
    let bBatchShape = Array(b.shape.dropLast(2))
    precondition(aBatchShape == bBatchShape || a.rank == 2 || b.rank == 2,
                 "batchedMatmul: batch dimensions differ: \(a.shape) vs \(b.shape)")
    let batchShape = aBatchShape.count >= bBatchShape.count ? aBatchShape : bBatchShape
    let batch = batchShape.reduce(1, *)
    let aStride = a.rank == 2 ? 0 : aRows * aCols
    let bStride = b.rank == 2 ? 0 : bRows * bCols

    return Tensor(shape: batchShape + [m, n]) { out in
        guard let c = out.baseAddress else { return }
        if k == 0 { out.initialize(repeating: 0); return }
        a.data.withUnsafeBufferPointer { aBuf in
            b.data.withUnsafeBufferPointer { bBuf in
                guard let aPtr = aBuf.baseAddress, let bPtr = bBuf.baseAddress else { return }
                if bStride == 0 && !transposeA {
                    // [batch·M, K] · op(B): one GEMM for the whole batch.
                    BLAS.sgemm(transposeB: transposeB, m: batch * m, n: n, k: k,
                               a: aPtr, lda: aCols, b: bPtr, ldb: bCols, c: c, ldc: n)
                    return
                }
                for index in 0..<batch {
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                               a: aPtr + index * aStride, lda: aCols,
                               b: bPtr + index * bStride, ldb: bCols,
                               c: c + index * m * n, ldc: n)
                }
            }
        }
    }
}
