#ifndef ZOETROPE_CVECTORKERNELS_H
#define ZOETROPE_CVECTORKERNELS_H
// Elementwise kernels compiled once per x86-64 level (AVX-512, AVX2+FMA, baseline SSE2) and
// chosen at load time by the CPU (`target_clones`, an ifunc). Swift cannot compile one function
// for several CPU levels, and compiling all of TensorCore for AVX2 would stop it running on
// older CPUs; these few loops are where the vector width pays (the attention softmax was 15% of
// a medium Wan step and ran 4-wide). Other platforms get the same C code at their baseline.
//
// The formulas are TensorCore's VectorMath.swift ones (Cephes expf reduction and polynomial),
// and for GELU's erf the rational approximation XLA and Eigen use;
// the compiler may fuse multiply-adds, which changes results in the last bit only (tests in
// Tests/TensorCoreTests/VectorKernelTests.swift compare with Double references).
#include <stddef.h>
#include <stdint.h>

/// Largest of row[0..<count] (-inf when empty; NaNs are skipped).
float zk_row_max(const float *row, ptrdiff_t count);

/// row[j] = e^(row[j] - shift) for every j; returns their sum.
float zk_exp_shifted_sum(float *row, ptrdiff_t count, float shift);

/// The activations of TensorCore's `Activation`, in place.
#define ZK_SILU 0        /* x / (1 + e^-x) */
#define ZK_SIGMOID 1     /* 1 / (1 + e^-x) */
#define ZK_GELU_TANH 2   /* x / (1 + e^(-2·sqrt(2/pi)·(x + 0.044715 x^3))) */
#define ZK_QUICK_GELU 3  /* x / (1 + e^(-1.702 x)) */
#define ZK_GELU 4        /* 0.5 x (1 + erf(x / sqrt 2)), erf by a rational approximation (abs. error <= 4.5e-7) */
void zk_activate(int kind, float *x, ptrdiff_t count);

/// out[j] = value[j] · act(gate[j]) for ZK_GELU, ZK_GELU_TANH and ZK_SILU (diffusers' GEGLU
/// and its kin); other kinds leave `out` untouched.
void zk_gated(int kind, const float *value, const float *gate, float *out, ptrdiff_t count);

/// Row statistics for the norms, accumulated in double with sixteen partial sums (the order
/// differs from one running sum by ~1e-16 relative, far below float's rounding):
/// Σ x[j], Σ (x[j] − mean)², Σ x[j]².
double zk_sum(const float *x, ptrdiff_t count);
double zk_sum_squared_deviations(const float *x, ptrdiff_t count, double mean);
double zk_sum_squares(const float *x, ptrdiff_t count);

/// IEEE half-precision bits to float, exactly (NaN payloads kept).
void zk_widen_f16(const uint16_t *source, float *target, ptrdiff_t count);

#endif
