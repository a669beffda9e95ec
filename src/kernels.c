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
 * ...) and adds them up in a fixed tree at the end; nt_packed, nn and tn
 * run one FMA chain over k = 0..K-1. Tiles at the matrix edges do the very
 * same arithmetic as full tiles, so how rows are grouped never changes a
 * bit. */
#include "kernels.h"

#include <math.h>
#include <stdatomic.h>
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

/* What becomes of a finished sum c at row i, column j: f(c + bias[j])
 * forward, c * f'(y[i][j]) backward (y's rows are ldy apart). */
static inline float epi_scalar(const kern_epi *e, float c, size_t i, size_t j, size_t ldy)
{
    if (!e)
        return c;
    if (e->y)
        return c * act_d(e->f, e->y[i * ldy + j]);
    return act_f(e->f, c + (e->bias ? e->bias[j] : 0.0f));
}

static void nt_portable(int M, int N, int K, const float *A, const float *B,
                        const kern_epi *e, float *C)
{
    for (int i = 0; i < M; i++) {
        const float *a = A + (size_t)i * K;
        float *c = C + (size_t)i * N;
        for (int j = 0; j < N; j++) {
            const float *b = B + (size_t)j * K;
            float s = 0.0f;
            for (int k = 0; k < K; k++)
                s += a[k] * b[k];
            c[j] = epi_scalar(e, s, (size_t)i, (size_t)j, (size_t)N);
        }
    }
}

/* C (M,N) = sum over k of A(i,k) B(k,j), with A(i,k) = A[i*rs + k*cs]:
 * rs = K, cs = 1 is A stored (M,K) (the nn product); rs = 1, cs = lda is A
 * stored (K,M) (the tn product). B(k,j) is B[k*N + j], or B[j*K + k] when
 * bt (B stored transposed, (N,K): the packed nt product). Then the
 * epilogue e, if any. */
static void bcast_portable(int M, int N, int K, const float *A, size_t rs, size_t cs,
                           const float *B, int bt, const kern_epi *e, float *C)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * N;
        memset(c, 0, (size_t)N * sizeof *c);
        for (int k = 0; k < K; k++) {
            float a = A[i * rs + k * cs];
            if (bt) {
                for (int j = 0; j < N; j++)
                    c[j] += a * B[(size_t)j * K + k];
            } else {
                const float *b = B + (size_t)k * N;
                for (int j = 0; j < N; j++)
                    c[j] += a * b[j];
            }
        }
        for (int j = 0; j < N && e; j++)
            c[j] = epi_scalar(e, c[j], (size_t)i, (size_t)j, (size_t)N);
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
                           const kern_epi *e, size_t i0, size_t j0, float *C, int ldc)
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
    for (int r = 0; r < ni; r++)
        for (int c = 0; c < nj; c++)
            C[(size_t)r * ldc + c] = epi_scalar(e, sum[r][c], i0 + r, j0 + c, (size_t)ldc);
}

#define NT_ROW_BLOCK 64 /* rows of A kept hot in L2 while B's rows stream past */

AVX512 static void nt_avx512(int M, int N, int K, const float *A, const float *B,
                             const kern_epi *e, float *C)
{
    for (int i1 = 0; i1 < M; i1 += NT_ROW_BLOCK) {
        int i_end = i1 + NT_ROW_BLOCK < M ? i1 + NT_ROW_BLOCK : M;
        for (int j = 0; j < N; j += 4) {
            int nj = N - j < 4 ? N - j : 4;
            const float *b = B + (size_t)j * K;
            for (int i = i1; i < i_end; i += 4) {
                int ni = i_end - i < 4 ? i_end - i : 4;
                float *c = C + (size_t)i * N + j;
                if (ni == 4 && nj == 4)
                    nt_tile(4, 4, K, A + (size_t)i * K, b, e, i, j, c, N);
                else
                    nt_tile(ni, nj, K, A + (size_t)i * K, b, e, i, j, c, N);
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

/* Stores one vector of a bcast tile through the epilogue: times f'(Y) when
 * Y is given (backward), else f(c + bias) (forward; bias may be NULL). */
INLINE_AVX512 void bcast_store(float *C, const float *Y, const float *bias, __mmask16 m,
                               kern_act f, __m512 c)
{
    if (Y) {
        _mm512_mask_storeu_ps(C, m, times_dact(f, c, _mm512_maskz_loadu_ps(m, Y)));
        return;
    }
    if (bias)
        c = _mm512_add_ps(c, _mm512_maskz_loadu_ps(m, bias));
    if (f == KERN_RELU) /* c <= 0: c * 0, so a NaN stays NaN, as in act_f */
        c = _mm512_mask_mul_ps(c, _mm512_cmp_ps_mask(c, _mm512_setzero_ps(), _CMP_LE_OQ), c,
                               _mm512_setzero_ps());
    _mm512_mask_storeu_ps(C, m, c);
    if (f != KERN_LINEAR && f != KERN_RELU) /* the rest in scalar: expf, tanhf */
        for (int e = 0; e < 16; e++)
            if (m >> e & 1)
                C[e] = act_f(f, C[e]);
}

/* The bcast tiles compute C rows of 8 by 32 columns, one FMA chain over k
 * per element. K is cut into blocks of KC: the chain of a block starts from
 * C as the block before left it (zero for the first), so the sum is the
 * same single chain k = 0..K-1 whatever the blocking. The epilogue runs
 * after the last block. B comes in rows ldb floats apart: the packed panel
 * (ldb = 32) or, when there is no reuse to pay for packing, B itself. */
#define KC 256

/* Full tile: 8 rows, up to 32 columns (m0, m1 mask the columns at the
 * right edge), 16 accumulators in registers. */
INLINE_AVX512 void bcast_tile8(int kc, const float *A, size_t rs, size_t cs, const float *B,
                               size_t ldb, float *C, size_t ldc, int first, int last,
                               const kern_epi *e, __mmask16 m0, __mmask16 m1)
{
    __m512 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
#define INIT(r)                                                                         \
    c##r##0 = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, C + (r) * ldc);   \
    c##r##1 = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, C + (r) * ldc + 16);
    INIT(0) INIT(1) INIT(2) INIT(3) INIT(4) INIT(5) INIT(6) INIT(7)
#undef INIT
    for (int k = 0; k < kc; k++) {
        const float *bk = B + (size_t)k * ldb, *ak = A + k * cs;
        __m512 b0 = _mm512_maskz_loadu_ps(m0, bk), b1 = _mm512_maskz_loadu_ps(m1, bk + 16), a;
#define ROW(r)                                          \
        a = _mm512_set1_ps(ak[(r) * rs]);               \
        c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0);      \
        c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    }
#define STORE(r)                                                                       \
    if (last) {                                                                        \
        bcast_store(C + (r) * ldc, e->y ? e->y + (r) * ldc : NULL, e->bias, m0, e->f,   \
                    c##r##0);                                                          \
        bcast_store(C + (r) * ldc + 16, e->y ? e->y + (r) * ldc + 16 : NULL,           \
                    e->bias ? e->bias + 16 : NULL, m1, e->f, c##r##1);                 \
    } else {                                                                           \
        _mm512_mask_storeu_ps(C + (r) * ldc, m0, c##r##0);                              \
        _mm512_mask_storeu_ps(C + (r) * ldc + 16, m1, c##r##1);                         \
    }
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
#undef STORE
}

/* Edge tile: ni (<= 8) rows; columns masked by m0, m1. The same chain. */
INLINE_AVX512 void bcast_edge(int ni, int kc, const float *A, size_t rs, size_t cs,
                              const float *B, size_t ldb, float *C, size_t ldc, int first,
                              int last, const kern_epi *e, __mmask16 m0, __mmask16 m1)
{
    __m512 acc0[8], acc1[8];
    for (int r = 0; r < 8; r++) {
        acc0[r] = first || r >= ni ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, C + r * ldc);
        acc1[r] = first || r >= ni ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, C + r * ldc + 16);
    }
    if (m1) {
        for (int k = 0; k < kc; k++) {
            const float *bk = B + (size_t)k * ldb, *ak = A + k * cs;
            __m512 b0 = _mm512_maskz_loadu_ps(m0, bk), b1 = _mm512_maskz_loadu_ps(m1, bk + 16);
            for (int r = 0; r < ni; r++) {
                __m512 a = _mm512_set1_ps(ak[r * rs]);
                acc0[r] = _mm512_fmadd_ps(a, b0, acc0[r]);
                acc1[r] = _mm512_fmadd_ps(a, b1, acc1[r]);
            }
        }
    } else { /* 16 columns or fewer (an output layer): half the work */
        for (int k = 0; k < kc; k++) {
            const float *bk = B + (size_t)k * ldb, *ak = A + k * cs;
            __m512 b0 = _mm512_maskz_loadu_ps(m0, bk);
#pragma GCC unroll 8
            for (int r = 0; r < ni; r++)
                acc0[r] = _mm512_fmadd_ps(_mm512_set1_ps(ak[r * rs]), b0, acc0[r]);
        }
    }
    for (int r = 0; r < ni; r++) {
        if (last) {
            bcast_store(C + r * ldc, e->y ? e->y + r * ldc : NULL, e->bias, m0, e->f, acc0[r]);
            bcast_store(C + r * ldc + 16, e->y ? e->y + r * ldc + 16 : NULL,
                        e->bias ? e->bias + 16 : NULL, m1, e->f, acc1[r]);
        } else {
            _mm512_mask_storeu_ps(C + r * ldc, m0, acc0[r]);
            _mm512_mask_storeu_ps(C + r * ldc + 16, m1, acc1[r]);
        }
    }
}

/* r[0..16) <- its transpose: three rounds of shuffles (pairs of floats,
 * pairs of doubles, then 128-bit lanes twice). */
INLINE_AVX512 void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
#define PD(x) _mm512_castps_pd(x)
#define PS(x) _mm512_castpd_ps(x)
    for (int i = 0; i < 16; i += 4) {
        r[i] = PS(_mm512_unpacklo_pd(PD(t[i]), PD(t[i + 2])));
        r[i + 1] = PS(_mm512_unpackhi_pd(PD(t[i]), PD(t[i + 2])));
        r[i + 2] = PS(_mm512_unpacklo_pd(PD(t[i + 1]), PD(t[i + 3])));
        r[i + 3] = PS(_mm512_unpackhi_pd(PD(t[i + 1]), PD(t[i + 3])));
    }
#undef PD
#undef PS
    for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
        }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

/* The panel of a transposed B: P (kc, 32) = rows j..j+nj of B (N, ldk),
 * columns k0..k0+kc, transposed 16x16 at a time; zero past nj. */
AVX512 static void pack_panel_t(int kc, int nj, const float *B, size_t ldk, float *P)
{
    for (int h = 0; h < 32; h += 16)
        for (int k = 0; k < kc; k += 16) {
            int nk = kc - k < 16 ? kc - k : 16;
            __mmask16 mk = (__mmask16)(nk == 16 ? 0xffff : (1u << nk) - 1);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = h + i < nj ? _mm512_maskz_loadu_ps(mk, B + (size_t)(h + i) * ldk + k)
                                  : _mm512_setzero_ps();
            transpose16(r);
            for (int i = 0; i < nk; i++)
                _mm512_store_ps(P + (size_t)(k + i) * 32 + h, r[i]);
        }
}

#define NC 256 /* columns of B packed per block: KC x NC floats = 256 KB, in L2 */

/* Packs B rows k0..k0+kc, columns j0..j0+nc into nc/32 dense (kc, 32)
 * panels, zero-filled past nc. Reads each row of B as one contiguous run,
 * which the hardware prefetcher follows; panel by panel would walk down
 * columns, one page per row. */
AVX512 static void pack_block(int kc, int nc, const float *B, size_t N, float *P)
{
    for (int k = 0; k < kc; k++)
        for (int p = 0; p * 32 < nc; p++) {
            int nj = nc - p * 32 < 32 ? nc - p * 32 : 32;
            __mmask16 m0 = (__mmask16)(nj >= 16 ? 0xffff : (1u << nj) - 1);
            __mmask16 m1 = (__mmask16)(nj >= 32 ? 0xffff : nj > 16 ? (1u << (nj - 16)) - 1 : 0);
            const float *src = B + (size_t)k * N + p * 32;
            float *dst = P + (size_t)p * KC * 32 + (size_t)k * 32;
            _mm512_store_ps(dst, _mm512_maskz_loadu_ps(m0, src));
            _mm512_store_ps(dst + 16, _mm512_maskz_loadu_ps(m1, src + 16));
        }
}

AVX512 static void bcast_avx512(int M, int N, int K, const float *A, size_t rs, size_t cs,
                                const float *B, int bt, const kern_epi *epi, float *C)
{
    _Alignas(64) static _Thread_local float block[KC * NC];
    /* One row tile reads each panel once: packing would only add a copy,
     * unless B comes transposed and must be turned around anyway. */
    int pack = M > 8 || bt;
    for (int j0 = 0; j0 < N; j0 += NC) {
        int nc = N - j0 < NC ? N - j0 : NC;
        for (int k0 = 0; k0 < K || k0 == 0; k0 += KC) {
            int kc = K - k0 < KC ? K - k0 : KC;
            int first = k0 == 0, last = k0 + kc >= K;
            if (bt)
                for (int p = 0; p * 32 < nc; p++)
                    pack_panel_t(kc, nc - p * 32 < 32 ? nc - p * 32 : 32,
                                 B + (size_t)(j0 + p * 32) * K + k0, (size_t)K,
                                 block + (size_t)p * KC * 32);
            else if (pack)
                pack_block(kc, nc, B + (size_t)k0 * N + j0, (size_t)N, block);
            for (int i = 0; i < M; i += 8) {
                const float *a = A + (size_t)i * rs + (size_t)k0 * cs;
                for (int j = j0; j < j0 + nc; j += 32) {
                    int nj = j0 + nc - j < 32 ? j0 + nc - j : 32;
                    __mmask16 m0 = (__mmask16)(nj >= 16 ? 0xffff : (1u << nj) - 1);
                    __mmask16 m1 = (__mmask16)(nj >= 32 ? 0xffff : nj > 16 ? (1u << (nj - 16)) - 1 : 0);
                    const float *bp = pack ? block + (size_t)(j - j0) / 32 * KC * 32
                                           : B + (size_t)k0 * N + j;
                    size_t ldb = pack ? 32 : (size_t)N;
                    float *c = C + (size_t)i * N + j;
                    /* The tiles see the epilogue from their own corner. */
                    kern_epi e = {epi && epi->bias ? epi->bias + j : NULL,
                                  epi ? epi->f : KERN_LINEAR,
                                  epi && epi->y ? epi->y + (size_t)i * N + j : NULL};
                    /* Narrow right edges (16 columns or fewer) waste half a
                     * full tile: the edge code does them with one vector. */
                    if (M - i >= 8 && nj > 16)
                        bcast_tile8(kc, a, rs, cs, bp, ldb, c, (size_t)N, first, last, &e,
                                    m0, m1);
                    else
                        bcast_edge(M - i < 8 ? M - i : 8, kc, a, rs, cs, bp, ldb, c,
                                   (size_t)N, first, last, &e, m0, m1);
                }
            }
            if (K == 0)
                break;
        }
    }
}
#endif

/* ---- dispatch ---------------------------------------------------------- */

typedef struct {
    const char *name;
    void (*nt)(int, int, int, const float *, const float *, const kern_epi *, float *);
    void (*bcast)(int, int, int, const float *, size_t, size_t, const float *, int,
                  const kern_epi *, float *);
} kern_impl;

static const kern_impl portable_impl = {"portable", nt_portable, bcast_portable};
#ifdef HAVE_AVX512_PATH
static const kern_impl avx512_impl = {"avx512", nt_avx512, bcast_avx512};
#endif

/* Chosen on first use. Atomic because the first use may come from several
 * threads at once (they all store the same pointer). */
static _Atomic(const kern_impl *) impl;

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
    const kern_impl *p = atomic_load_explicit(&impl, memory_order_relaxed);
    if (!p) {
        p = choose();
        atomic_store_explicit(&impl, p, memory_order_relaxed);
    }
    return p;
}

void kern_gemm_nn(int M, int N, int K, const float *A, const float *B, const kern_epi *e,
                  float *C)
{
    get()->bcast(M, N, K, A, (size_t)K, 1, B, 0, e, C);
}

void kern_gemm_nt(int M, int N, int K, const float *A, const float *B, int packed,
                  const kern_epi *e, float *C)
{
    if (packed)
        get()->bcast(M, N, K, A, (size_t)K, 1, B, 1, e, C);
    else
        get()->nt(M, N, K, A, B, e, C);
}

void kern_gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, float *C)
{
    get()->bcast(M, N, K, A, 1, (size_t)lda, B, 0, NULL, C);
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
