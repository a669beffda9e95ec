/* The neon path: 4 lanes of AArch64 Advanced SIMD (every aarch64 CPU). */
#include "impl.h"

#ifdef KERN_HAVE_NEON
#include <arm_neon.h>
#include <string.h>

#define KATTR
#define KL static inline __attribute__((always_inline))
#define VW 4
typedef float32x4_t vf;
typedef uint32x4_t vm;
typedef int32x4_t vi;

KL vf v_zero(void) { return vdupq_n_f32(0.0f); }
KL vf v_set1(float x) { return vdupq_n_f32(x); }
KL vf v_load(const float *p) { return vld1q_f32(p); }
KL vf v_loadn(const float *p, int n)
{
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(t, p, (size_t)n * sizeof *t);
    return vld1q_f32(t);
}
KL void v_store(float *p, vf v) { vst1q_f32(p, v); }
KL void v_storen(float *p, vf v, int n)
{
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, (size_t)n * sizeof *t);
}
KL vf v_add(vf a, vf b) { return vaddq_f32(a, b); }
KL vf v_sub(vf a, vf b) { return vsubq_f32(a, b); }
KL vf v_mul(vf a, vf b) { return vmulq_f32(a, b); }
KL vf v_div(vf a, vf b) { return vdivq_f32(a, b); }
KL vf v_sqrt(vf a) { return vsqrtq_f32(a); }
KL vf v_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
KL vm v_gt(vf a, vf b) { return vcgtq_f32(a, b); }
KL vm v_lt(vf a, vf b) { return vcltq_f32(a, b); }
KL vf v_sel(vm m, vf a, vf b) { return vbslq_f32(m, a, b); }
KL vi v_bits(vf x) { return vreinterpretq_s32_f32(x); }
KL vf v_float(vi i) { return vreinterpretq_f32_s32(i); }
KL vi v_iadd(vi a, vi b) { return vaddq_s32(a, b); }
KL vi v_isub(vi a, vi b) { return vsubq_s32(a, b); }
KL vi v_iset1(int x) { return vdupq_n_s32(x); }
KL vi v_isra1(vi a) { return vshrq_n_s32(a, 1); }
KL vi v_ishl23(vi a) { return vshlq_n_s32(a, 23); }

/* Lanes 0..15 are l[0] (0..3) .. l[3] (12..15); the tree of portable.c. */
KL float v_sum16(const vf *l)
{
    vf lo = vaddq_f32(l[0], l[2]), hi = vaddq_f32(l[1], l[3]); /* i + (i+8), i = 0..7 */
    vf t4 = vaddq_f32(lo, hi);                                  /* + 4 */
    float32x2_t t2 = vadd_f32(vget_low_f32(t4), vget_high_f32(t4)); /* + 2 */
    return vget_lane_f32(t2, 0) + vget_lane_f32(t2, 1);
}

KL void v_transpose(vf *r)
{
    float32x4x2_t a = vtrnq_f32(r[0], r[1]), b = vtrnq_f32(r[2], r[3]);
    r[0] = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
    r[1] = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
    r[2] = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
    r[3] = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
}

/* 8 rows x 8 columns: 16 of the 32 registers accumulate. */
#define MR 8
#define NV 2
#define NT_MI 2
#define NT_NJ 2

static int cpu_has(void) { return 1; }
#define KIMPL kern_impl_neon
#define KNAME "neon"
#define KCPU_HAS cpu_has

#include "template.h"
#endif
