/* The avx512 path: 16 lanes of AVX-512F, compiled with a target attribute
 * and chosen at run time. */
#include "impl.h"

#ifdef KERN_HAVE_X86
#include <immintrin.h>

#define KATTR __attribute__((target("avx512f,fma")))
#define KL static inline __attribute__((always_inline)) KATTR
#define VW 16
typedef __m512 vf;
typedef __mmask16 vm;
typedef __m512i vi;

KL __mmask16 mask_n(int n) { return (__mmask16)((1u << n) - 1); }

KL vf v_zero(void) { return _mm512_setzero_ps(); }
KL vf v_set1(float x) { return _mm512_set1_ps(x); }
KL vf v_load(const float *p) { return _mm512_loadu_ps(p); }
KL vf v_loadn(const float *p, int n) { return _mm512_maskz_loadu_ps(mask_n(n), p); }
KL void v_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
KL void v_storen(float *p, vf v, int n) { _mm512_mask_storeu_ps(p, mask_n(n), v); }
KL vf v_add(vf a, vf b) { return _mm512_add_ps(a, b); }
KL vf v_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
KL vf v_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
KL vf v_div(vf a, vf b) { return _mm512_div_ps(a, b); }
KL vf v_sqrt(vf a) { return _mm512_sqrt_ps(a); }
KL vf v_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
KL vm v_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
KL vm v_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
KL vf v_sel(vm m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }
KL vi v_bits(vf x) { return _mm512_castps_si512(x); }
KL vf v_float(vi i) { return _mm512_castsi512_ps(i); }
KL vi v_iadd(vi a, vi b) { return _mm512_add_epi32(a, b); }
KL vi v_isub(vi a, vi b) { return _mm512_sub_epi32(a, b); }
KL vi v_iset1(int x) { return _mm512_set1_epi32(x); }
KL vi v_isra1(vi a) { return _mm512_srai_epi32(a, 1); }
KL vi v_ishl23(vi a) { return _mm512_slli_epi32(a, 23); }

/* Lanes 0..15 in one vector; the tree of portable.c. */
KL float v_sum16(const vf *l)
{
    __m256 t8 = _mm256_add_ps(_mm512_castps512_ps256(l[0]), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(l[0]), 1)));
    __m128 t4 = _mm_add_ps(_mm256_castps256_ps128(t8), _mm256_extractf128_ps(t8, 1));
    __m128 t2 = _mm_add_ps(t4, _mm_movehl_ps(t4, t4));
    return _mm_cvtss_f32(_mm_add_ss(t2, _mm_movehdup_ps(t2)));
}

/* 16x16 transpose: pairs of floats, pairs of doubles, then 128-bit lanes
 * twice. */
KL void v_transpose(vf *r)
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

/* 8 rows x 32 columns: 16 of the 32 registers accumulate. */
#define MR 8
#define NV 2
#define NT_MI 4
#define NT_NJ 4

static int cpu_has(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}
#define KIMPL kern_impl_avx512
#define KNAME "avx512"
#define KCPU_HAS cpu_has

#include "template.h"
#endif
