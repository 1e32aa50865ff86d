import CBLAS

/// A thin, typed wrapper over OpenBLAS's `cblas_sgemm`, the one place TensorCore calls BLAS.
///
/// Every GEMM-bound op (matmul, linear, conv, attention) goes through `BLAS.sgemm`, so the
/// row-major convention and the leading-dimension rules live here only.
///
/// Threads: OpenBLAS runs single-threaded, and `sgemm` splits a GEMM into row (or column)
/// blocks over `Parallel`'s threads itself; called inside a `Parallel.forEach` chunk it runs
/// on that thread alone. OpenBLAS's own pool spins (`sched_yield`) between calls, which on
/// this 2-core machine took 27% of the cycles of a bundled-model run away from the loops that
/// are not GEMMs, and it cannot run one small GEMM per attention head on each core. The split
/// is fixed by the sizes and the thread count, so results are reproducible for a given thread
/// count; across thread counts they may differ in the last bits (OpenBLAS picks kernels by
/// block size), as they did under OpenBLAS's own threading.
public enum BLAS {
    /// Row-major single-precision GEMM: `C = alpha · op(A) · op(B) + beta · C`.
    ///
    /// - `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`.
    /// - `lda`, `ldb`, `ldc` are row strides (in elements) of the matrices *as stored*:
    ///   A is stored `[m, k]` (or `[k, m]` when `transposeA`), B `[k, n]` (or `[n, k]`).
    ///
    /// The pointers may point into the middle of larger tensors, which is how strided
    /// views (one head of a `[B, S, H, D]` tensor, a column block of an output) are
    /// multiplied without copying.
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        // A cancelled job's products are skipped (C left as it is): what remains of the block
        // runs in a blink and the caller's next check throws (`CancellationFlag.current`).
        if CancellationFlag.current?.isCancelled == true { return }
        if k == 0 {
            // OpenBLAS handles k = 0, but be explicit: C = beta · C.
            for row in 0..<m {
                let r = c + row * ldc
                for col in 0..<n { r[col] = beta == 0 ? 0 : beta * r[col] }
            }
            return
        }
        precondition(lda >= max(1, transposeA ? m : k), "sgemm: lda \(lda) too small")
        precondition(ldb >= max(1, transposeB ? k : n), "sgemm: ldb \(ldb) too small")
        precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small")
        // bf16 (`ComputePrecision`): large GEMMs outside parallel chunks go to oneDNN, which
        // threads them itself; a shape it refuses runs in fp32 below.
        if m * n * k >= bf16MinimumProducts, ComputePrecision.current == .bfloat16, !Parallel.isInsideChunk,
           OneDNNGEMM.gemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
            return
        }
        sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
              blocks: parallelBlocks(m: m, n: n, k: k, threads: Parallel.threadCount))
    }

    /// GEMMs with fewer multiply-adds stay fp32 under bf16: narrowing the operands and
    /// starting oneDNN's threads costs more than the faster products save (the same size
    /// below which a GEMM is not split over threads).
    static let bf16MinimumProducts = 1 << 18

    /// `sgemm` split into `blocks` (internal so tests can force a split on any machine).
    static func sgemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                      blocks: (count: Int, size: Int, alongRows: Bool)) {
        _ = singleThreaded
        if blocks.count <= 1 {
            call(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        Parallel.forEach(blocks.count) { range in
            for index in range {
                let (start, end) = (blocks.size * index, min(blocks.size * (index + 1), blocks.alongRows ? m : n))
                if blocks.alongRows {
                    // rows start..<end of op(A) and of C
                    call(transposeA, transposeB, end - start, n, k, alpha,
                         transposeA ? a + start : a + start * lda, lda, b, ldb, beta, c + start * ldc, ldc)
                } else {
                    // columns start..<end of op(B) and of C
                    call(transposeA, transposeB, m, end - start, k, alpha, a, lda,
                         transposeB ? b + start * ldb : b + start, ldb, beta, c + start, ldc)
                }
            }
        }
    }

    /// How to split an `m × n × k` GEMM over the threads: `count` blocks of `size` rows (or
    /// columns, when there are more of them) — one block when it is too small to be worth a
    /// thread, or when already on a `Parallel` worker. Block sizes are multiples of 16,
    /// OpenBLAS's kernel tile on x86.
    static func parallelBlocks(m: Int, n: Int, k: Int, threads: Int) -> (count: Int, size: Int, alongRows: Bool) {
        // Below ~2^18 multiply-adds a thread costs more than it saves.
        guard threads > 1, m * n * k >= 1 << 18, !Parallel.isInsideChunk else { return (1, m, true) }
        // Split the larger side: each block packs all of the other operand, so the smaller
        // one is packed once per thread (a convolution's [O, K] weights, not its columns).
        let alongRows = m >= n
        let length = alongRows ? m : n
        let size = max(16, (length + threads - 1) / threads + 15) / 16 * 16
        return ((length + size - 1) / size, size, alongRows)
    }

    /// One single-threaded OpenBLAS call.
    private static func call(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasInt(m), blasInt(n), blasInt(k),
                    alpha, a, blasInt(lda), b, blasInt(ldb),
                    beta, c, blasInt(ldc))
    }

    /// OpenBLAS told once, before the first GEMM, to use one thread per call.
    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// Number of threads one large GEMM runs on (`Parallel.threadCount`).
    public static var threadCount: Int { Parallel.threadCount }

    /// The OpenBLAS build string (kernel family and threading), for benchmarks and logs.
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// OpenBLAS's index type (`blasint`, 32-bit in Debian's build); every size must fit.
    static func blasInt(_ value: Int) -> blasint {
        precondition(value <= Int(blasint.max), "sgemm: size \(value) exceeds OpenBLAS's index type")
        return blasint(value)
    }
}
