// bf16 GEMMs through oneDNN's matmul primitive, opened at run time. See COneDNN.h.
#include "COneDNN.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(char *message, size_t length, const char *text) {
    if (message && length) snprintf(message, length, "%s", text);
}

void zk_narrow_bf16(const float *src, uint16_t *dst, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &src[i], 4);
        if ((bits & 0x7fffffffu) > 0x7f800000u) {
            dst[i] = (uint16_t)((bits >> 16) | 0x40u);  // quiet NaN, sign kept
        } else {
            bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest, ties to even
            dst[i] = (uint16_t)(bits >> 16);
        }
    }
}

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>

// The oneDNN functions used, looked up by name in libdnnl.so.2.
#define ZK_DNNL_FUNCTIONS(X) \
    X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_stream_wait) \
    X(dnnl_get_effective_cpu_isa) \
    X(dnnl_memory_desc_init_by_strides) X(dnnl_memory_desc_get_size) \
    X(dnnl_memory_create) X(dnnl_memory_destroy) \
    X(dnnl_matmul_desc_init) \
    X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) \
    X(dnnl_primitive_attr_set_scratchpad_mode) X(dnnl_primitive_attr_set_output_scales) \
    X(dnnl_primitive_attr_set_post_ops) X(dnnl_post_ops_create) X(dnnl_post_ops_destroy) \
    X(dnnl_post_ops_append_sum) \
    X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_desc_query) \
    X(dnnl_primitive_desc_query_md) \
    X(dnnl_primitive_create) X(dnnl_primitive_destroy) X(dnnl_primitive_execute)

#define ZK_DECLARE(name) static __typeof__(name) *p_##name;
ZK_DNNL_FUNCTIONS(ZK_DECLARE)

static pthread_once_t open_once = PTHREAD_ONCE_INIT;
static int open_threads = 1;
static int open_status = -1;
static char open_message[512] = "oneDNN was not opened";
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;

static int bf16_status = -1;
static char bf16_message[512] = "";  // read only once oneDNN is open (else open_message)

static void open_library(void) {
    // oneDNN's OpenMP runtime reads its thread count when it loads: Zoetrope's own count
    // (ZOETROPE_THREADS or the cores) decides, as it does for every other loop.
    char threads[16];
    snprintf(threads, sizeof threads, "%d", open_threads > 0 ? open_threads : 1);
    setenv("OMP_NUM_THREADS", threads, 1);
    void *library = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(open_message, sizeof open_message,
                 "bf16 computes through oneDNN, which is not installed (%s); install it with "
                 "`apt-get install libdnnl2` (or libdnnl-dev), or use --precision fp32", dlerror());
        return;
    }
#define ZK_LOOK_UP(name) \
    p_##name = (__typeof__(name) *)dlsym(library, #name); \
    if (!p_##name) { \
        snprintf(open_message, sizeof open_message, "libdnnl.so.2 lacks %s: oneDNN 2.x is needed for bf16", #name); \
        return; \
    }
    ZK_DNNL_FUNCTIONS(ZK_LOOK_UP)
    if (p_dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success
        || p_dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        snprintf(open_message, sizeof open_message, "oneDNN could not create its CPU engine");
        return;
    }
    open_status = 0;
    open_message[0] = 0;
    dnnl_cpu_isa_t isa = p_dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core_bf16) != dnnl_cpu_isa_avx512_core_bf16) {
        const char *best = isa == dnnl_cpu_isa_avx512_core_vnni ? "AVX-512 VNNI"
                         : isa == dnnl_cpu_isa_avx512_core ? "AVX-512"
                         : isa == dnnl_cpu_isa_avx2_vnni ? "AVX2 VNNI"
                         : isa == dnnl_cpu_isa_avx2 ? "AVX2"
                         : isa == dnnl_cpu_isa_avx ? "AVX" : "SSE4.1 or less";
        snprintf(bf16_message, sizeof bf16_message,
                 "this CPU has no bf16 dot-product instructions (AVX512-BF16 or AMX; it has %s), so bf16 "
                 "would be slower than fp32: use --precision fp32", best);
        return;
    }
    bf16_status = 0;
}

int zk_onednn_open(int threads, char *message, size_t length) {
    open_threads = threads;  // read by the first call only
    pthread_once(&open_once, open_library);
    if (open_status != 0) say(message, length, open_message);
    return open_status;
}

int zk_bf16_supported(char *message, size_t length) {
    if (open_status != 0) { say(message, length, open_message); return -1; }
    if (bf16_status != 0) say(message, length, bf16_message);
    return bf16_status;
}

struct zk_bf16_plan {
    int narrow;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t a_md, b_md, c_md, scratch_md;
    int transpose_a, transpose_b;
    int64_t m, n, k;
    char implementation[64];
};

zk_bf16_plan *zk_bf16_plan_create(int narrow, int transpose_a, int transpose_b, int64_t m, int64_t n, int64_t k,
                                  int64_t ldc, float alpha, float beta, char *message, size_t length) {
    if (open_status != 0) { say(message, length, open_message); return NULL; }
    if (narrow && bf16_status != 0) { say(message, length, bf16_message); return NULL; }
    zk_bf16_plan *plan = calloc(1, sizeof *plan);
    if (!plan) { say(message, length, "out of memory for a bf16 GEMM plan"); return NULL; }
    plan->narrow = narrow;
    dnnl_data_type_t operands = narrow ? dnnl_bf16 : dnnl_f32;
    plan->transpose_a = transpose_a; plan->transpose_b = transpose_b;
    plan->m = m; plan->n = n; plan->k = k;
    // A and B arrive packed: A [m, k] (strides k, 1) or stored [k, m] (strides 1, m);
    // B [k, n] (strides n, 1) or stored [n, k] (strides 1, k). C keeps the caller's row stride.
    dnnl_dims_t a_dims = {m, k}, b_dims = {k, n}, c_dims = {m, n};
    dnnl_dims_t a_strides = {transpose_a ? 1 : k, transpose_a ? m : 1};
    dnnl_dims_t b_strides = {transpose_b ? 1 : n, transpose_b ? k : 1};
    dnnl_dims_t c_strides = {ldc, 1};
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    const char *failed = NULL;
    if (p_dnnl_memory_desc_init_by_strides(&plan->a_md, 2, a_dims, operands, a_strides) != dnnl_success
        || p_dnnl_memory_desc_init_by_strides(&plan->b_md, 2, b_dims, operands, b_strides) != dnnl_success
        || p_dnnl_memory_desc_init_by_strides(&plan->c_md, 2, c_dims, dnnl_f32, c_strides) != dnnl_success) {
        failed = "memory descriptors";
    } else if (p_dnnl_matmul_desc_init(&desc, &plan->a_md, &plan->b_md, NULL, &plan->c_md) != dnnl_success) {
        failed = "matmul descriptor";
    } else if (p_dnnl_primitive_attr_create(&attr) != dnnl_success
               || p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success) {
        failed = "attributes";
    } else if (alpha != 1.0f && p_dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha) != dnnl_success) {
        failed = "alpha (output scale)";
    } else if (beta != 0.0f && (p_dnnl_post_ops_create(&post_ops) != dnnl_success
                                || p_dnnl_post_ops_append_sum(post_ops, beta) != dnnl_success
                                || p_dnnl_primitive_attr_set_post_ops(attr, post_ops) != dnnl_success)) {
        failed = "beta (sum post-op)";
    } else if (p_dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) != dnnl_success) {
        failed = "primitive descriptor (no bf16 matmul for this shape)";
    }
    if (!failed) {
        const char *impl = NULL;
        p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        snprintf(plan->implementation, sizeof plan->implementation, "%s", impl ? impl : "unknown");
        if (strncmp(plan->implementation, "ref", 3) == 0) {
            failed = "primitive (oneDNN offers only its slow reference bf16 matmul here)";
        } else {
            const dnnl_memory_desc_t *scratch = p_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
            if (scratch) plan->scratch_md = *scratch;
            if (p_dnnl_primitive_create(&plan->primitive, pd) != dnnl_success) failed = "primitive";
        }
    }
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    if (post_ops) p_dnnl_post_ops_destroy(post_ops);
    if (attr) p_dnnl_primitive_attr_destroy(attr);
    if (failed) {
        if (message && length)
            snprintf(message, length, "oneDNN %s matmul %lldx%lldx%lld (transpose A %d, B %d): %s failed",
                     narrow ? "bf16" : "f32", (long long)m, (long long)n, (long long)k, transpose_a, transpose_b, failed);
        free(plan);
        return NULL;
    }
    return plan;
}

const char *zk_bf16_plan_implementation(const zk_bf16_plan *plan) { return plan->implementation; }

void zk_bf16_plan_destroy(zk_bf16_plan *plan) {
    if (!plan) return;
    if (plan->primitive) p_dnnl_primitive_destroy(plan->primitive);
    free(plan);
}

// Copies `rows` rows of `columns` floats (row stride `stride`) into a packed matrix, narrowed
// to bf16 or as f32.
static void pack(int narrow, const float *src, int64_t rows, int64_t columns, int64_t stride, void *dst) {
    for (int64_t r = 0; r < rows; r++) {
        if (narrow) zk_narrow_bf16(src + r * stride, (uint16_t *)dst + r * columns, columns);
        else memcpy((float *)dst + r * columns, src + r * stride, (size_t)columns * sizeof(float));
    }
}

int zk_bf16_plan_run(const zk_bf16_plan *plan, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float *c, char *message, size_t length) {
    int64_t a_rows = plan->transpose_a ? plan->k : plan->m, a_columns = plan->transpose_a ? plan->m : plan->k;
    int64_t b_rows = plan->transpose_b ? plan->n : plan->k, b_columns = plan->transpose_b ? plan->k : plan->n;
    size_t scratch_size = p_dnnl_memory_desc_get_size(&plan->scratch_md);
    size_t element = plan->narrow ? 2 : 4;
    void *a_packed = malloc((size_t)(a_rows * a_columns) * element + 64);
    void *b_packed = malloc((size_t)(b_rows * b_columns) * element + 64);
    void *scratch = scratch_size ? malloc(scratch_size) : NULL;
    int status = -1;
    if (!a_packed || !b_packed || (scratch_size && !scratch)) {
        say(message, length, "out of memory for a bf16 GEMM's operands");
        goto done;
    }
    pack(plan->narrow, a, a_rows, a_columns, lda, a_packed);
    pack(plan->narrow, b, b_rows, b_columns, ldb, b_packed);
    dnnl_memory_t a_mem = NULL, b_mem = NULL, c_mem = NULL, s_mem = NULL;
    if (p_dnnl_memory_create(&a_mem, &plan->a_md, engine, a_packed) == dnnl_success
        && p_dnnl_memory_create(&b_mem, &plan->b_md, engine, b_packed) == dnnl_success
        && p_dnnl_memory_create(&c_mem, &plan->c_md, engine, c) == dnnl_success
        && (!scratch_size || p_dnnl_memory_create(&s_mem, &plan->scratch_md, engine, scratch) == dnnl_success)) {
        dnnl_exec_arg_t args[4] = {
            {DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}, {DNNL_ARG_SCRATCHPAD, s_mem},
        };
        pthread_mutex_lock(&run_lock);
        dnnl_status_t ran = p_dnnl_primitive_execute(plan->primitive, stream, scratch_size ? 4 : 3, args);
        if (ran == dnnl_success) ran = p_dnnl_stream_wait(stream);
        pthread_mutex_unlock(&run_lock);
        if (ran == dnnl_success) status = 0;
        else say(message, length, "oneDNN bf16 matmul failed to run");
    } else {
        say(message, length, "oneDNN could not wrap a bf16 GEMM's operands");
    }
    if (a_mem) p_dnnl_memory_destroy(a_mem);
    if (b_mem) p_dnnl_memory_destroy(b_mem);
    if (c_mem) p_dnnl_memory_destroy(c_mem);
    if (s_mem) p_dnnl_memory_destroy(s_mem);
done:
    free(a_packed); free(b_packed); free(scratch);
    return status;
}

#else  // built without oneDNN's headers

static const char *no_onednn = "this build of Zoetrope has no oneDNN (its headers were missing): install "
                               "libdnnl-dev and rebuild for bf16, or use --precision fp32";
int zk_onednn_open(int threads, char *message, size_t length) {
    (void)threads;
    say(message, length, no_onednn);
    return -1;
}
int zk_bf16_supported(char *message, size_t length) { return zk_onednn_open(0, message, length); }
zk_bf16_plan *zk_bf16_plan_create(int narrow, int transpose_a, int transpose_b, int64_t m, int64_t n, int64_t k,
                                  int64_t ldc, float alpha, float beta, char *message, size_t length) {
    (void)narrow; (void)transpose_a; (void)transpose_b; (void)m; (void)n; (void)k; (void)ldc; (void)alpha; (void)beta;
    zk_onednn_open(0, message, length);
    return NULL;
}
int zk_bf16_plan_run(const zk_bf16_plan *plan, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float *c, char *message, size_t length) {
    (void)plan; (void)a; (void)lda; (void)b; (void)ldb; (void)c;
    return zk_onednn_open(0, message, length);
}
void zk_bf16_plan_destroy(zk_bf16_plan *plan) { (void)plan; }
const char *zk_bf16_plan_implementation(const zk_bf16_plan *plan) { (void)plan; return "none"; }

#endif
