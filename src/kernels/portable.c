/* The portable path: plain C, one lane, fmaf for every fused multiply-add.
 * The reference the vector paths must match bit for bit. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bits.h"
#include "impl.h"

#define KATTR
#define VW 1
typedef float vf;
typedef int vm;
typedef uint32_t vi; /* unsigned: wrapping, never undefined, on NaN garbage */

static inline vf v_zero(void) { return 0.0f; }
static inline vf v_set1(float x) { return x; }
static inline vf v_load(const float *p) { return *p; }
static inline vf v_loadn(const float *p, int n) { return n > 0 ? *p : 0.0f; }
static inline void v_store(float *p, vf v) { *p = v; }
static inline void v_storen(float *p, vf v, int n)
{
    if (n > 0)
        *p = v;
}
static inline vf v_add(vf a, vf b) { return a + b; }
static inline vf v_sub(vf a, vf b) { return a - b; }
static inline vf v_mul(vf a, vf b) { return a * b; }
static inline vf v_div(vf a, vf b) { return a / b; }
static inline vf v_sqrt(vf a) { return sqrtf(a); }
static inline vf v_fma(vf a, vf b, vf c) { return fmaf(a, b, c); }
static inline vm v_gt(vf a, vf b) { return a > b; }
static inline vm v_lt(vf a, vf b) { return a < b; }
static inline vf v_sel(vm m, vf a, vf b) { return m ? a : b; }
static inline vi v_bits(vf x) { return f32_bits(x); }
static inline vf v_float(vi i) { return f32_of(i); }
static inline vi v_iadd(vi a, vi b) { return a + b; }
static inline vi v_isub(vi a, vi b) { return a - b; }
static inline vi v_iset1(int x) { return (vi)x; }
static inline vi v_isra1(vi a) { return (vi)((int32_t)a >> 1); }
static inline vi v_ishl23(vi a) { return a << 23; }

/* The tree of the 16 lane sums, the same in every path. */
static inline float v_sum16(const vf *l)
{
    float t8[8], t4[4], t2[2];
    for (int i = 0; i < 8; i++)
        t8[i] = l[i] + l[i + 8];
    for (int i = 0; i < 4; i++)
        t4[i] = t8[i] + t8[i + 4];
    for (int i = 0; i < 2; i++)
        t2[i] = t4[i] + t4[i + 2];
    return t2[0] + t2[1];
}
static inline void v_transpose(vf *r) { (void)r; }

#define MR 4
#define NV 4
#define NT_MI 1
#define NT_NJ 1

static int cpu_has(void) { return 1; }
#define KIMPL kern_impl_portable
#define KNAME "portable"
#define KCPU_HAS cpu_has

#include "template.h"
