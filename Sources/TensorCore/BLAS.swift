import CBLAS

/// A thin, typed wrapper over OpenBLAS's `cblas_sgemm`, the one place TensorCore calls BLAS.
///
/// Every GEMM-bound op (matmul, linear, conv, attention) goes through `BLAS.sgemm`, so the
/// row-major convention and the leading-dimension rules live here only. OpenBLAS runs its
/// own thread pool inside each call; callers do not wrap GEMMs in `Parallel.forEach`.
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
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasInt(m), blasInt(n), blasInt(k),
                    alpha, a, blasInt(lda), b, blasInt(ldb),
                    beta, c, blasInt(ldc))
    }

    /// Number of threads OpenBLAS uses inside one GEMM.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

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
