// See include/CVectorKernels.h.
#include "CVectorKernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define ZK_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ZK_CLONES
#endif

static const float lowest_input = -87.33654f;  // e^x below this is not a normal float: 0
static const float highest_input = 88.0f;      // above this: +inf

static inline float bits_to_float(uint32_t bits) { float f; memcpy(&f, &bits, 4); return f; }
static inline uint32_t float_to_bits(float f) { uint32_t bits; memcpy(&bits, &f, 4); return bits; }

// VectorMath.exp: e^x with relative error ~1e-7; 0 below lowest_input (and -inf), +inf above
// highest_input, NaN for NaN.
static inline float zk_exp(float input) {
    float x = input < lowest_input ? lowest_input : input;
    x = x > highest_input ? highest_input : x;
    float shifted = x * 1.44269504f + 12582912.0f;   // round(x / ln 2) in the low mantissa bits
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    float two_to_n = bits_to_float((float_to_bits(shifted) - 0x4B400000u + 127u) << 23);
    float value = input > highest_input ? INFINITY : p * two_to_n;
    return input < lowest_input ? 0.0f : value;
}

// erf(x) as x·P(x²)/Q(x²), the rational approximation XLA and Eigen use for float
// (`generic_fast_erf_float`), inputs clamped to [-4, 4] (erf(±4) is ±1 in float). Its absolute
// error is at most 4.5e-7 over the floats of [-6, 6] (measured against the double erf), against
// libm erff's ~6e-8; unlike erff it vectorises.
static inline float zk_erf(float input) {
    float x = input < -4.0f ? -4.0f : input;
    x = x > 4.0f ? 4.0f : x;
    float x2 = x * x;
    float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = x2 * p + -2.10102402082508e-06f;
    p = x2 * p + -5.69250639462346e-05f;
    p = x2 * p + -7.34990630326855e-04f;
    p = x2 * p + -2.95459980854025e-03f;
    p = x2 * p + -1.60960333262415e-02f;
    p = x * p;
    float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
    q = x2 * q + -1.68282697438203e-03f;
    q = x2 * q + -7.37332916720468e-03f;
    q = x2 * q + -1.42647390514189e-02f;
    return input != input ? input : p / q;
}

static const float sqrt_half = 0.70710678118654752440f;
static const float sqrt_two_over_pi = 0.79788456080286535588f;

static inline float zk_gelu(float v) { return 0.5f * v * (1.0f + zk_erf(v * sqrt_half)); }
static inline float zk_gelu_tanh(float v) {
    return v / (1.0f + zk_exp(-2.0f * sqrt_two_over_pi * (v + 0.044715f * (v * v * v))));
}
static inline float zk_silu(float v) { return v / (1.0f + zk_exp(-v)); }

ZK_CLONES
float zk_row_max(const float *row, ptrdiff_t count) {
    float m[16];
    for (int l = 0; l < 16; l++) m[l] = -INFINITY;
    ptrdiff_t j = 0;
    for (; j + 16 <= count; j += 16) {
        for (int l = 0; l < 16; l++) m[l] = row[j + l] > m[l] ? row[j + l] : m[l];
    }
    float best = -INFINITY;
    for (int l = 0; l < 16; l++) best = m[l] > best ? m[l] : best;
    for (; j < count; j++) best = row[j] > best ? row[j] : best;
    return best;
}

ZK_CLONES
float zk_exp_shifted_sum(float *row, ptrdiff_t count, float shift) {
    for (ptrdiff_t j = 0; j < count; j++) row[j] = zk_exp(row[j] - shift);
    float s[16] = {0};
    ptrdiff_t j = 0;
    for (; j + 16 <= count; j += 16) {
        for (int l = 0; l < 16; l++) s[l] += row[j + l];
    }
    float total = 0;
    for (int l = 0; l < 16; l++) total += s[l];
    for (; j < count; j++) total += row[j];
    return total;
}

ZK_CLONES
void zk_activate(int kind, float *x, ptrdiff_t count) {
    switch (kind) {
    case ZK_SILU:
        for (ptrdiff_t i = 0; i < count; i++) x[i] = zk_silu(x[i]);
        break;
    case ZK_SIGMOID:
        for (ptrdiff_t i = 0; i < count; i++) x[i] = 1.0f / (1.0f + zk_exp(-x[i]));
        break;
    case ZK_GELU_TANH:
        for (ptrdiff_t i = 0; i < count; i++) x[i] = zk_gelu_tanh(x[i]);
        break;
    case ZK_GELU:
        for (ptrdiff_t i = 0; i < count; i++) x[i] = zk_gelu(x[i]);
        break;
    case ZK_QUICK_GELU:
        for (ptrdiff_t i = 0; i < count; i++) x[i] = x[i] / (1.0f + zk_exp(-1.702f * x[i]));
        break;
    default:
        break;
    }
}

ZK_CLONES
void zk_gated(int kind, const float *value, const float *gate, float *out, ptrdiff_t count) {
    switch (kind) {
    case ZK_GELU:
        for (ptrdiff_t j = 0; j < count; j++) out[j] = value[j] * zk_gelu(gate[j]);
        break;
    case ZK_GELU_TANH:
        for (ptrdiff_t j = 0; j < count; j++) out[j] = value[j] * zk_gelu_tanh(gate[j]);
        break;
    case ZK_SILU:
        for (ptrdiff_t j = 0; j < count; j++) out[j] = value[j] * zk_silu(gate[j]);
        break;
    default:
        break;
    }
}

ZK_CLONES
double zk_sum(const float *x, ptrdiff_t count) {
    double s[16] = {0};
    ptrdiff_t j = 0;
    for (; j + 16 <= count; j += 16) {
        for (int l = 0; l < 16; l++) s[l] += (double)x[j + l];
    }
    double total = 0;
    for (int l = 0; l < 16; l++) total += s[l];
    for (; j < count; j++) total += (double)x[j];
    return total;
}

ZK_CLONES
double zk_sum_squared_deviations(const float *x, ptrdiff_t count, double mean) {
    double s[16] = {0};
    ptrdiff_t j = 0;
    for (; j + 16 <= count; j += 16) {
        for (int l = 0; l < 16; l++) { double d = (double)x[j + l] - mean; s[l] += d * d; }
    }
    double total = 0;
    for (int l = 0; l < 16; l++) total += s[l];
    for (; j < count; j++) { double d = (double)x[j] - mean; total += d * d; }
    return total;
}

ZK_CLONES
double zk_sum_squares(const float *x, ptrdiff_t count) {
    double s[16] = {0};
    ptrdiff_t j = 0;
    for (; j + 16 <= count; j += 16) {
        for (int l = 0; l < 16; l++) { double d = (double)x[j + l]; s[l] += d * d; }
    }
    double total = 0;
    for (int l = 0; l < 16; l++) total += s[l];
    for (; j < count; j++) { double d = (double)x[j]; total += d * d; }
    return total;
}

ZK_CLONES
void zk_widen_f16(const uint16_t *source, float *target, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        uint32_t h = source[i];
        uint32_t magnitude = (h & 0x7FFFu) << 13;
        uint32_t finite = float_to_bits(bits_to_float(magnitude) * 0x1p112f);
        uint32_t widened = magnitude >= 0x0F800000u ? (magnitude | 0x7F800000u) : finite;
        target[i] = bits_to_float(widened | ((h & 0x8000u) << 16));
    }
}
