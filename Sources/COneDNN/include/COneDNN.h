#ifndef ZOETROPE_CONEDNN_H
#define ZOETROPE_CONEDNN_H
// bf16 GEMMs through oneDNN's matmul primitive (Debian: libdnnl-dev), for TensorCore's
// `--precision bf16`. oneDNN is opened at run time (dlopen "libdnnl.so.2"), not linked, so
// Zoetrope builds and runs in fp32 where it is missing; its headers are needed at build time
// for the types (without them every call reports that the build lacks oneDNN).
//
// Each call narrows A and B to bf16 (round to nearest even), multiplies them with fp32
// accumulation and writes C in fp32: C = alpha · op(A) · op(B) + beta · C, row-major, as
// cblas_sgemm. oneDNN runs the product on its own OpenMP threads.
#include <stddef.h>
#include <stdint.h>

/// Opens oneDNN once. `threads` sets its OpenMP thread count (OMP_NUM_THREADS before the
/// library loads). Returns 0 when it is open; otherwise writes why into `message` and returns
/// -1. Later calls return the first call's answer.
int zk_onednn_open(int threads, char *message, size_t length);

/// 0 when oneDNN is open and this CPU has bf16 dot products (AVX512-BF16 or AMX); otherwise -1
/// and why in `message`.
int zk_bf16_supported(char *message, size_t length);

/// A matmul primitive for one GEMM shape (with alpha and beta), made by `zk_bf16_plan_create`.
typedef struct zk_bf16_plan zk_bf16_plan;

/// Makes the primitive for C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C with row
/// stride `ldc`; A and B are passed packed (see `zk_bf16_plan_run`), narrowed to bf16 when
/// `narrow` is 1. With `narrow` 0 the operands stay f32: the same primitive machinery on CPUs
/// without bf16, which is how tests check layouts, strides, alpha, beta and scratchpads on any
/// machine. NULL (and `message`) when oneDNN is not open, bf16 is asked of a CPU without it,
/// oneDNN refuses the shape, or it would only run it with its slow reference implementation.
zk_bf16_plan *zk_bf16_plan_create(int narrow, int transpose_a, int transpose_b, int64_t m, int64_t n, int64_t k,
                                  int64_t ldc, float alpha, float beta, char *message, size_t length);

/// Runs `plan` on A (stored [m, k] with row stride lda, or [k, m] when transposed) and B
/// (stored [k, n] with row stride ldb, or [n, k]); both are copied packed first (narrowed to
/// bf16 for a narrowing plan). Safe to call from several threads (runs are serialised). 0 on success; -1 and
/// `message` on failure (C is then unspecified).
int zk_bf16_plan_run(const zk_bf16_plan *plan, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float *c, char *message, size_t length);

/// Frees a plan's primitive.
void zk_bf16_plan_destroy(zk_bf16_plan *plan);

/// The implementation oneDNN chose for `plan` (e.g. "brg:avx512_core_bf16"), for benchmarks.
const char *zk_bf16_plan_implementation(const zk_bf16_plan *plan);

/// dst[i] = bf16 bits of src[i], rounded to nearest even (NaN stays NaN).
void zk_narrow_bf16(const float *src, uint16_t *dst, ptrdiff_t count);

#endif
