/* kernels: see include/kernels.h.
 *
 * Two implementations of the same products:
 *   - portable: plain loops the compiler may vectorise where that does not
 *     reorder a sum (the j loops of nn and tn);
 *   - avx512: register-blocked tiles with AVX-512 FMAs, compiled with a
 *     target attribute and chosen at run time when the CPU has AVX-512F.
 * NNTRAIN_KERNELS=portable in the environment forces the portable path.
 *
 * Reproducibility: in both, each output element's sum over k runs in an
 * order fixed by K alone. nt keeps 16 lane sums (lane l adds k = l, l+16,
 * ...) and adds them up in a fixed tree at the end; nn and tn run one FMA
 * chain over k = 0..K-1. Tiles at the matrix edges do the very same
 * arithmetic as full tiles, so how rows are grouped never changes a bit. */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- elementwise functions (shared by both paths) ---------------------- */

static inline float act_f(kern_act f, float z)
{
    switch (f) {
    case KERN_SIGMOID: return 1.0f / (1.0f + expf(-z));
    case KERN_TANH: return tanhf(z);
    case KERN_RELU: return z > 0.0f ? z : 0.0f * z; /* NaN stays NaN */
    case KERN_LEAKY_RELU: return z > 0.0f ? z : KERN_LEAKY_SLOPE * z;
    case KERN_LINEAR:
    default: return z;
    }
}

/* f'(z) written in terms of y = f(z). */
static inline float act_d(kern_act f, float y)
{
    switch (f) {
    case KERN_SIGMOID: return y * (1.0f - y);
    case KERN_TANH: return 1.0f - y * y;
    case KERN_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case KERN_LEAKY_RELU: return y > 0.0f ? 1.0f : KERN_LEAKY_SLOPE;
    case KERN_LINEAR:
    default: return 1.0f;
    }
}

void kern_act_forward(kern_act f, float *x, size_t n)
{
    if (f == KERN_RELU) { /* the common case, branch-free so it vectorises */
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f * x[i];
        return;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = act_f(f, x[i]);
}

void kern_act_backward(kern_act f, const float *y, float *d, size_t n)
{
    if (f == KERN_LINEAR)
        return;
    for (size_t i = 0; i < n; i++)
        d[i] *= act_d(f, y[i]);
}

/* ---- portable ---------------------------------------------------------- */

static void nt_portable(int M, int N, int K, const float *A, const float *B,
                        const float *bias, kern_act f, float *C)
{
    for (int i = 0; i < M; i++) {
        const float *a = A + (size_t)i * K;
        float *c = C + (size_t)i * N;
        for (int j = 0; j < N; j++) {
            const float *b = B + (size_t)j * K;
            float s = 0.0f;
            for (int k = 0; k < K; k++)
                s += a[k] * b[k];
            c[j] = act_f(f, s + (bias ? bias[j] : 0.0f));
        }
    }
}

/* C (M,N) = sum over k of A(i,k) B(k,:), times f'(Y) when Y != NULL, with
 * A(i,k) = A[i*rs + k*cs]: rs = K, cs = 1 is A stored (M,K) (the nn
 * product); rs = 1, cs = lda is A stored (K,M) (the tn product). */
static void bcast_portable(int M, int N, int K, const float *A, size_t rs, size_t cs,
                           const float *B, kern_act f, const float *Y, float *C)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * N;
        memset(c, 0, (size_t)N * sizeof *c);
        for (int k = 0; k < K; k++) {
            float a = A[i * rs + k * cs];
            const float *b = B + (size_t)k * N;
            for (int j = 0; j < N; j++)
                c[j] += a * b[j];
        }
        if (Y)
            kern_act_backward(f, Y + (size_t)i * N, c, (size_t)N);
    }
}

/* ---- avx512 ------------------------------------------------------------ */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX512_PATH 1
#define AVX512 __attribute__((target("avx512f,fma")))
#define INLINE_AVX512 static inline __attribute__((always_inline, target("avx512f,fma")))

/* nt tile: ni (<= 4) rows of A against nj (<= 4) rows of B, 16 lane-sum
 * accumulators each. Full tiles pass the constant 4, 4 so the loops unroll
 * into registers; edge tiles do the same arithmetic on fewer elements. */
INLINE_AVX512 void nt_tile(int ni, int nj, int K, const float *A, const float *B,
                           const float *bias, kern_act f, float *C, int ldc)
{
    __m512 acc[4][4];
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++)
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            acc[r][c] = _mm512_setzero_ps();
    __m512 b[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
    int k = 0;
    for (; k + 16 <= K; k += 16) {
#pragma GCC unroll 4
        for (int c = 0; c < nj; c++)
            b[c] = _mm512_loadu_ps(B + (size_t)c * K + k);
#pragma GCC unroll 4
        for (int r = 0; r < ni; r++) {
            __m512 a = _mm512_loadu_ps(A + (size_t)r * K + k);
#pragma GCC unroll 4
            for (int c = 0; c < nj; c++)
                acc[r][c] = _mm512_fmadd_ps(a, b[c], acc[r][c]);
        }
    }
    if (k < K) { /* the last K % 16 columns: masked lanes add zeros */
        __mmask16 m = (__mmask16)((1u << (K - k)) - 1);
#pragma GCC unroll 4
        for (int c = 0; c < nj; c++)
            b[c] = _mm512_maskz_loadu_ps(m, B + (size_t)c * K + k);
#pragma GCC unroll 4
        for (int r = 0; r < ni; r++) {
            __m512 a = _mm512_maskz_loadu_ps(m, A + (size_t)r * K + k);
#pragma GCC unroll 4
            for (int c = 0; c < nj; c++)
                acc[r][c] = _mm512_fmadd_ps(a, b[c], acc[r][c]);
        }
    }
    /* Epilogue: lane sums -> one sum per element, + bias, activation. */
    float sum[4][4];
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++)
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            sum[r][c] = _mm512_reduce_add_ps(acc[r][c]);
    for (int r = 0; r < ni; r++) {
        float *cr = C + (size_t)r * ldc;
        for (int c = 0; c < nj; c++)
            cr[c] = sum[r][c] + (bias ? bias[c] : 0.0f);
        if (f != KERN_LINEAR)
            for (int c = 0; c < nj; c++)
                cr[c] = act_f(f, cr[c]);
    }
}

#define NT_ROW_BLOCK 64 /* rows of A kept hot in L2 while B's rows stream past */

AVX512 static void nt_avx512(int M, int N, int K, const float *A, const float *B,
                             const float *bias, kern_act f, float *C)
{
    for (int i1 = 0; i1 < M; i1 += NT_ROW_BLOCK) {
        int i_end = i1 + NT_ROW_BLOCK < M ? i1 + NT_ROW_BLOCK : M;
        for (int j = 0; j < N; j += 4) {
            int nj = N - j < 4 ? N - j : 4;
            const float *b = B + (size_t)j * K;
            const float *bi = bias ? bias + j : NULL;
            for (int i = i1; i < i_end; i += 4) {
                int ni = i_end - i < 4 ? i_end - i : 4;
                float *c = C + (size_t)i * N + j;
                if (ni == 4 && nj == 4)
                    nt_tile(4, 4, K, A + (size_t)i * K, b, bi, f, c, N);
                else
                    nt_tile(ni, nj, K, A + (size_t)i * K, b, bi, f, c, N);
            }
        }
    }
}

/* c * f'(y), vectorised; the same formulas as act_d. */
INLINE_AVX512 __m512 times_dact(kern_act f, __m512 c, __m512 y)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    switch (f) {
    case KERN_SIGMOID: return _mm512_mul_ps(c, _mm512_mul_ps(y, _mm512_sub_ps(one, y)));
    case KERN_TANH: return _mm512_mul_ps(c, _mm512_sub_ps(one, _mm512_mul_ps(y, y)));
    case KERN_RELU:
        return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ), c);
    case KERN_LEAKY_RELU: {
        __mmask16 pos = _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ);
        return _mm512_mask_mov_ps(_mm512_mul_ps(c, _mm512_set1_ps(KERN_LEAKY_SLOPE)), pos, c);
    }
    case KERN_LINEAR:
    default: return c;
    }
}

/* Stores one vector of a bcast tile, times f'(Y) when Y is given. */
INLINE_AVX512 void bcast_store(float *C, const float *Y, __mmask16 m, kern_act f, __m512 c)
{
    if (Y)
        c = times_dact(f, c, _mm512_maskz_loadu_ps(m, Y));
    _mm512_mask_storeu_ps(C, m, c);
}

/* A full bcast tile: 8 rows of C by 32 columns, one FMA chain over k per
 * element, 16 accumulators in registers. */
INLINE_AVX512 void bcast_tile8(int K, const float *A, size_t rs, size_t cs, const float *B,
                               int N, kern_act f, const float *Y, float *C)
{
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00,
           c61 = c00, c70 = c00, c71 = c00;
    for (int k = 0; k < K; k++) {
        const float *bk = B + (size_t)k * N, *ak = A + k * cs;
        __m512 b0 = _mm512_loadu_ps(bk), b1 = _mm512_loadu_ps(bk + 16), a;
#define ROW(r)                                          \
        a = _mm512_set1_ps(ak[(r) * rs]);               \
        c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0);      \
        c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    }
#define STORE(r)                                                                     \
    bcast_store(C + (size_t)(r) * N, Y ? Y + (size_t)(r) * N : NULL, 0xffff, f, c##r##0); \
    bcast_store(C + (size_t)(r) * N + 16, Y ? Y + (size_t)(r) * N + 16 : NULL, 0xffff, f, c##r##1);
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
#undef STORE
}

/* An edge tile: ni (< 8) rows and/or columns masked by m0, m1. */
INLINE_AVX512 void bcast_edge(int ni, int K, const float *A, size_t rs, size_t cs,
                              const float *B, int N, kern_act f, const float *Y, float *C,
                              __mmask16 m0, __mmask16 m1)
{
    __m512 acc0[8], acc1[8];
    for (int r = 0; r < 8; r++)
        acc0[r] = acc1[r] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const float *bk = B + (size_t)k * N, *ak = A + k * cs;
        __m512 b0 = _mm512_maskz_loadu_ps(m0, bk), b1 = _mm512_maskz_loadu_ps(m1, bk + 16);
        for (int r = 0; r < ni; r++) {
            __m512 a = _mm512_set1_ps(ak[r * rs]);
            acc0[r] = _mm512_fmadd_ps(a, b0, acc0[r]);
            acc1[r] = _mm512_fmadd_ps(a, b1, acc1[r]);
        }
    }
    for (int r = 0; r < ni; r++) {
        bcast_store(C + (size_t)r * N, Y ? Y + (size_t)r * N : NULL, m0, f, acc0[r]);
        bcast_store(C + (size_t)r * N + 16, Y ? Y + (size_t)r * N + 16 : NULL, m1, f, acc1[r]);
    }
}

AVX512 static void bcast_avx512(int M, int N, int K, const float *A, size_t rs, size_t cs,
                                const float *B, kern_act f, const float *Y, float *C)
{
    /* Column panels outermost: a panel of B (K x 32) stays in L1/L2 while
     * every row tile of A passes over it. */
    for (int j = 0; j < N; j += 32) {
        int nj = N - j < 32 ? N - j : 32;
        __mmask16 m0 = (__mmask16)(nj >= 16 ? 0xffff : (1u << nj) - 1);
        __mmask16 m1 = (__mmask16)(nj >= 32 ? 0xffff : nj > 16 ? (1u << (nj - 16)) - 1 : 0);
        for (int i = 0; i < M; i += 8) {
            const float *a = A + (size_t)i * rs;
            const float *y = Y ? Y + (size_t)i * N + j : NULL;
            float *c = C + (size_t)i * N + j;
            if (M - i >= 8 && nj == 32)
                bcast_tile8(K, a, rs, cs, B + j, N, f, y, c);
            else
                bcast_edge(M - i < 8 ? M - i : 8, K, a, rs, cs, B + j, N, f, y, c, m0, m1);
        }
    }
}
#endif

/* ---- dispatch ---------------------------------------------------------- */

typedef struct {
    const char *name;
    void (*nt)(int, int, int, const float *, const float *, const float *, kern_act, float *);
    void (*bcast)(int, int, int, const float *, size_t, size_t, const float *, kern_act,
                  const float *, float *);
} kern_impl;

static const kern_impl portable_impl = {"portable", nt_portable, bcast_portable};
#ifdef HAVE_AVX512_PATH
static const kern_impl avx512_impl = {"avx512", nt_avx512, bcast_avx512};
#endif

/* Chosen once; if two threads race here they store the same pointer. */
static const kern_impl *impl;

static const kern_impl *choose(void)
{
    const char *want = getenv("NNTRAIN_KERNELS");
    if (want && strcmp(want, "portable") == 0)
        return &portable_impl;
#ifdef HAVE_AVX512_PATH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return &avx512_impl;
#endif
    return &portable_impl;
}

static inline const kern_impl *get(void)
{
    if (!impl)
        impl = choose();
    return impl;
}

void kern_gemm_nt(int M, int N, int K, const float *A, const float *B,
                  const float *bias, kern_act f, float *C)
{
    get()->nt(M, N, K, A, B, bias, f, C);
}

void kern_gemm_nn(int M, int N, int K, const float *A, const float *B,
                  kern_act f, const float *Y, float *C)
{
    get()->bcast(M, N, K, A, (size_t)K, 1, B, f, Y, C);
}

void kern_gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, float *C)
{
    get()->bcast(M, N, K, A, 1, (size_t)lda, B, KERN_LINEAR, NULL, C);
}

void kern_colsum(int rows, int cols, const float *A, int lda, float *out)
{
    memset(out, 0, (size_t)cols * sizeof *out);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            out[j] += A[(size_t)i * lda + j];
}

const char *kern_isa(void)
{
    return get()->name;
}
