/* The avx2 path: 8 lanes of AVX2 + FMA (x86-64 CPUs since 2013-2015),
 * compiled with a target attribute and chosen at run time. */
#include "impl.h"

#ifdef KERN_HAVE_X86
#include <immintrin.h>
#include <stdint.h>

#define KATTR __attribute__((target("avx2,fma")))
#define KL static inline __attribute__((always_inline)) KATTR
#define VW 8
typedef __m256 vf;
typedef __m256 vm;
typedef __m256i vi;

/* loadn/storen masks: the n first lanes set. */
static const int32_t lane_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
KL __m256i mask_n(int n) { return _mm256_loadu_si256((const __m256i *)(lane_mask + 8 - n)); }

KL vf v_zero(void) { return _mm256_setzero_ps(); }
KL vf v_set1(float x) { return _mm256_set1_ps(x); }
KL vf v_load(const float *p) { return _mm256_loadu_ps(p); }
KL vf v_loadn(const float *p, int n) { return _mm256_maskload_ps(p, mask_n(n)); }
KL void v_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
KL void v_storen(float *p, vf v, int n) { _mm256_maskstore_ps(p, mask_n(n), v); }
KL vf v_add(vf a, vf b) { return _mm256_add_ps(a, b); }
KL vf v_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
KL vf v_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
KL vf v_div(vf a, vf b) { return _mm256_div_ps(a, b); }
KL vf v_sqrt(vf a) { return _mm256_sqrt_ps(a); }
KL vf v_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
KL vm v_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
KL vm v_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
KL vf v_sel(vm m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
KL vi v_bits(vf x) { return _mm256_castps_si256(x); }
KL vf v_float(vi i) { return _mm256_castsi256_ps(i); }
KL vi v_iadd(vi a, vi b) { return _mm256_add_epi32(a, b); }
KL vi v_isub(vi a, vi b) { return _mm256_sub_epi32(a, b); }
KL vi v_iset1(int x) { return _mm256_set1_epi32(x); }
KL vi v_isra1(vi a) { return _mm256_srai_epi32(a, 1); }
KL vi v_ishl23(vi a) { return _mm256_slli_epi32(a, 23); }

/* Lanes 0..15 are l[0] (0..7) and l[1] (8..15); the tree of portable.c. */
KL float v_sum16(const vf *l)
{
    __m256 t8 = _mm256_add_ps(l[0], l[1]);                                     /* i + (i+8) */
    __m128 t4 = _mm_add_ps(_mm256_castps256_ps128(t8), _mm256_extractf128_ps(t8, 1)); /* + 4 */
    __m128 t2 = _mm_add_ps(t4, _mm_movehl_ps(t4, t4));                         /* + 2 */
    return _mm_cvtss_f32(_mm_add_ss(t2, _mm_movehdup_ps(t2)));                 /* 0 + 1 */
}

/* 8x8 transpose: pairs of floats, pairs of pairs, then 128-bit halves. */
KL void v_transpose(vf *r)
{
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* 4 rows x 24 columns: 12 accumulators, 3 vectors of B and one broadcast
 * of A fill AVX2's 16 registers. 4 x 24 measured 3-10% faster than BLIS's
 * 6 x 16 on Zen 4 (bench/kernels_bench), and 4 rows divide the batch sizes
 * people use. */
#define MR 4
#define NV 3
#define NT_MI 2
#define NT_NJ 2

static int cpu_has(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#define KIMPL kern_impl_avx2
#define KNAME "avx2"
#define KCPU_HAS cpu_has

#include "template.h"
#endif
