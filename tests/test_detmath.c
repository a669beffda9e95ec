/* Suite detmath: dm_log, dm_exp, dm_cos and dm_sin are within 2 ulp of the C
 * library (libm is used here only as the reference), handle the special
 * values, and give exactly the pinned bits: a platform or compiler that
 * computes one bit differently fails test_pinned_digests. Each sweep prints
 * its measured maximum ulp distance (see tests/test_detmath.log). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "detmath.h"
#include "rng.h"
#include "bits.h"
#include "testutil.h"

#define TWO_PI 6.283185307179586 /* the double nearest 2*pi, as rng.c uses */

/* Doubles mapped to integers in the same order, so that the difference of
 * two is their distance in ulps (-0 and +0 are both 0). */
static int64_t ordinal(double x)
{
    int64_t i;
    memcpy(&i, &x, sizeof i);
    return i < 0 ? INT64_MIN - i : i;
}

static uint64_t ulp_distance(double a, double b)
{
    int64_t d = ordinal(a) - ordinal(b);
    return d < 0 ? (uint64_t)-d : (uint64_t)d;
}

/* The largest ulp distance of f from ref seen so far, and where. */
typedef struct {
    const char *name;
    uint64_t max;
    double at;
    long n;
} sweep_t;

static void sweep_point(sweep_t *s, double (*f)(double), double (*ref)(double), double x)
{
    uint64_t d = ulp_distance(f(x), ref(x));
    if (d > s->max || s->n == 0) {
        s->max = d;
        s->at = x;
    }
    s->n++;
}

static void sweep_done(const sweep_t *s)
{
    printf("detmath: %-36s max %llu ulp from libm (at %a), %ld points\n", s->name,
           (unsigned long long)s->max, s->at, s->n);
    fflush(stdout);
    ck_assert_msg(s->max <= 2, "%s: %llu ulp from libm at %a", s->name,
                  (unsigned long long)s->max, s->at);
}

/* A random positive finite double, subnormals included, from its bits. */
static double random_positive(rng_t *r)
{
    for (;;) {
        double x = f64_of(rng_next(r) >> 1);
        if (x > 0 && x <= DBL_MAX)
            return x;
    }
}

/* A random double in [1, DBL_MAX], its exponent uniform: both of dm_cos's
 * range reductions, in every binade. */
static double random_above_one(rng_t *r)
{
    uint64_t exponent = 1023 + rng_below(r, 1024);
    return f64_of((exponent << 52) | (rng_next(r) & 0x000fffffffffffffULL));
}

START_TEST(test_log_sweep)
{
    sweep_t s = {.name = "log on (0, 1], 300000 steps"};
    for (int i = 1; i <= 300000; i++)
        sweep_point(&s, dm_log, log, i / 300000.0);
    sweep_done(&s);

    /* What rng_normal feeds it: 1 - u for 53-bit uniform u. */
    sweep_t u = {.name = "log of 1 - rng_uniform, 200000"};
    rng_t r;
    rng_seed(&r, 11);
    for (int i = 0; i < 200000; i++)
        sweep_point(&u, dm_log, log, 1.0 - rng_uniform(&r));
    /* The ends: 1 - k*2^-53 and the smallest draws. */
    for (int k = 0; k < 1000; k++) {
        sweep_point(&u, dm_log, log, 1.0 - k * 0x1p-53);
        sweep_point(&u, dm_log, log, (k + 1) * 0x1p-53);
    }
    sweep_done(&u);

    sweep_t w = {.name = "log of random doubles, 200000"};
    rng_seed(&r, 12);
    for (int i = 0; i < 200000; i++)
        sweep_point(&w, dm_log, log, random_positive(&r));
    sweep_done(&w);
}
END_TEST

START_TEST(test_exp_sweep)
{
    sweep_t s = {.name = "exp on [-700, 700], 300001 steps"};
    for (int i = 0; i <= 300000; i++)
        sweep_point(&s, dm_exp, exp, -700.0 + i * (1400.0 / 300000.0));
    sweep_done(&s);

    /* Up to overflow, and down through the subnormal results to 0. */
    sweep_t e = {.name = "exp on [-745.2, 709.8] and near 0"};
    rng_t r;
    rng_seed(&r, 13);
    for (int i = 0; i < 100000; i++) {
        sweep_point(&e, dm_exp, exp, -745.2 + 1455.0 * rng_uniform(&r));
        sweep_point(&e, dm_exp, exp, -708.4 - 36.8 * rng_uniform(&r));
        sweep_point(&e, dm_exp, exp, 1e-3 * (2.0 * rng_uniform(&r) - 1.0));
    }
    sweep_done(&e);
}
END_TEST

START_TEST(test_cos_sweep)
{
    sweep_t s = {.name = "cos on [0, 2pi), 300000 steps"};
    for (int i = 0; i < 300000; i++)
        sweep_point(&s, dm_cos, cos, TWO_PI * (i / 300000.0));
    sweep_done(&s);

    /* What rng_normal feeds it: 2pi * u. */
    sweep_t u = {.name = "cos of 2pi * rng_uniform, 200000"};
    rng_t r;
    rng_seed(&r, 14);
    for (int i = 0; i < 200000; i++)
        sweep_point(&u, dm_cos, cos, TWO_PI * rng_uniform(&r));
    sweep_done(&u);

    sweep_t h = {.name = "cos on [-100, 100], 200000"};
    for (int i = 0; i < 200000; i++)
        sweep_point(&h, dm_cos, cos, -100.0 + 200.0 * rng_uniform(&r));
    sweep_done(&h);

    /* Both reductions: Cody-Waite below 2^20 * pi/2, Payne-Hanek above. */
    sweep_t w = {.name = "cos of random doubles >= 1, 100000"};
    for (int i = 0; i < 100000; i++) {
        sweep_point(&w, dm_cos, cos, random_above_one(&r));
        sweep_point(&w, dm_cos, cos, 1e6 + 1e6 * rng_uniform(&r));
    }
    sweep_done(&w);
}
END_TEST

START_TEST(test_sin_sweep)
{
    sweep_t s = {.name = "sin on [-2pi, 2pi), 300000 steps"};
    for (int i = 0; i < 300000; i++)
        sweep_point(&s, dm_sin, sin, TWO_PI * (i / 150000.0 - 1.0));
    sweep_done(&s);

    /* What augment.c feeds it: angles in degrees * pi/180, up to 180. */
    sweep_t a = {.name = "sin of pi * (2u - 1), 200000"};
    rng_t r;
    rng_seed(&r, 16);
    for (int i = 0; i < 200000; i++)
        sweep_point(&a, dm_sin, sin, (2.0 * rng_uniform(&r) - 1.0) * 180.0 * (TWO_PI / 360.0));
    sweep_done(&a);

    /* Near 0, where sin x ~ x, down to the subnormals. */
    sweep_t z = {.name = "sin near 0, 100000"};
    for (int i = 0; i < 100000; i++) {
        double x = ldexp(1.0 + rng_uniform(&r), -(int)rng_below(&r, 1074));
        sweep_point(&z, dm_sin, sin, i % 2 ? x : -x);
    }
    sweep_done(&z);

    sweep_t h = {.name = "sin on [-100, 100], 200000"};
    for (int i = 0; i < 200000; i++)
        sweep_point(&h, dm_sin, sin, -100.0 + 200.0 * rng_uniform(&r));
    sweep_done(&h);

    sweep_t w = {.name = "sin of random doubles >= 1, 100000"};
    for (int i = 0; i < 100000; i++) {
        sweep_point(&w, dm_sin, sin, random_above_one(&r));
        sweep_point(&w, dm_sin, sin, -(1e6 + 1e6 * rng_uniform(&r)));
    }
    sweep_done(&w);
}
END_TEST

/* Within 1 ulp of the correctly rounded value want (from mpmath at 2000
 * bits); most of them are exact. */
#define ck_near(got, want)                                                       \
    ck_assert_msg(ulp_distance((got), (want)) <= 1, "%s = %a, want %a (1 ulp)", #got, \
                  (got), (want))

START_TEST(test_log_specials)
{
    double inf = HUGE_VAL;
    ck_assert_uint_eq(f64_bits(dm_log(0.0)), f64_bits(-inf));
    ck_assert_uint_eq(f64_bits(dm_log(-0.0)), f64_bits(-inf));
    ck_assert(isnan(dm_log(-1.0)));
    ck_assert(isnan(dm_log(-DBL_MIN)));
    ck_assert(isnan(dm_log(-inf)));
    ck_assert(isnan(dm_log(NAN)));
    ck_assert_uint_eq(f64_bits(dm_log(inf)), f64_bits(inf));
    ck_assert_uint_eq(f64_bits(dm_log(1.0)), f64_bits(0.0)); /* +0 */
    /* ln 2, ln 2^-1074, ln DBL_MAX. */
    ck_near(dm_log(2.0), 0x1.62e42fefa39efp-1);
    ck_near(dm_log(0x1p-1074), -0x1.74385446d71c3p+9);
    ck_near(dm_log(DBL_MAX), 0x1.62e42fefa39efp+9);
    /* Exact powers of two and subnormals agree with libm to an ulp. */
    for (int k = -1074; k <= 1023; k++) {
        double x = ldexp(1.0, k);
        ck_assert_msg(ulp_distance(dm_log(x), log(x)) <= 1, "log(2^%d)", k);
        ck_assert_msg(ulp_distance(dm_log(3 * x), log(3 * x)) <= 1, "log(3 * 2^%d)", k);
    }
}
END_TEST

/* dm_log_n gives dm_log's bits for every element, at every length, the
 * specials among ordinary values. */
START_TEST(test_log_n_same_bits)
{
    enum { N = 1000 };
    static double x[N], got[N];
    rng_t r;
    rng_seed(&r, 13);
    const double specials[] = {0.0, -0.0, -1.0, NAN, HUGE_VAL, -HUGE_VAL, 0x1p-1074, DBL_MIN, DBL_MAX, 1.0};
    for (int i = 0; i < N; i++)
        x[i] = i % 37 == 0 ? specials[(i / 37) % 10] : i % 2 ? rng_uniform(&r) : random_positive(&r);
    for (int n = 0; n <= N; n += n < 70 ? 1 : 131) {
        for (int i = 0; i <= n && i < N; i++)
            got[i] = 42.0; /* past n must stay */
        dm_log_n(x, got, n);
        for (int i = 0; i < n; i++)
            ck_assert_msg(f64_bits(got[i]) == f64_bits(dm_log(x[i])), "n %d, x[%d] = %a", n, i, x[i]);
        if (n < N)
            ck_assert(got[n] == 42.0);
    }
}
END_TEST

START_TEST(test_exp_specials)
{
    double inf = HUGE_VAL;
    ck_assert_uint_eq(f64_bits(dm_exp(0.0)), f64_bits(1.0));
    ck_assert_uint_eq(f64_bits(dm_exp(-0.0)), f64_bits(1.0));
    ck_assert_uint_eq(f64_bits(dm_exp(0x1p-1074)), f64_bits(1.0));
    ck_assert_uint_eq(f64_bits(dm_exp(inf)), f64_bits(inf));
    ck_assert_uint_eq(f64_bits(dm_exp(-inf)), f64_bits(0.0));
    ck_assert(isnan(dm_exp(NAN)));
    ck_assert_uint_eq(f64_bits(dm_exp(710.0)), f64_bits(inf));
    ck_assert_uint_eq(f64_bits(dm_exp(1e300)), f64_bits(inf));
    ck_assert_uint_eq(f64_bits(dm_exp(-746.0)), f64_bits(0.0));
    ck_assert_uint_eq(f64_bits(dm_exp(-1e300)), f64_bits(0.0));
    /* e (dm_exp(1) is the double above, 0.67 ulp off, as in fdlibm), the
     * largest finite result, the smallest subnormal. */
    ck_near(dm_exp(1.0), 0x1.5bf0a8b145769p+1);
    ck_near(dm_exp(0x1.62e42fefa39efp+9), 0x1.fffffffffff2ap+1023);
    ck_assert_uint_eq(f64_bits(dm_exp(-745.0)), f64_bits(0x1p-1074));
    /* Round trips through the log of exact values. */
    ck_near(dm_exp(dm_log(10.0)), 10.0);
    ck_near(dm_exp(-dm_log(3.0)), 1.0 / 3.0);
}
END_TEST

START_TEST(test_cos_specials)
{
    double inf = HUGE_VAL;
    ck_assert_uint_eq(f64_bits(dm_cos(0.0)), f64_bits(1.0));
    ck_assert_uint_eq(f64_bits(dm_cos(-0.0)), f64_bits(1.0));
    ck_assert_uint_eq(f64_bits(dm_cos(0x1p-1074)), f64_bits(1.0));
    ck_assert(isnan(dm_cos(inf)));
    ck_assert(isnan(dm_cos(-inf)));
    ck_assert(isnan(dm_cos(NAN)));
    /* cos of the doubles nearest pi/2 and pi, of 1e22, and of
     * 6381956970095103 * 2^797, the double closest to a multiple of pi/2
     * (Kahan-McDonald), where 61 bits cancel. */
    ck_near(dm_cos(0x1.921fb54442d18p+0), 0x1.1a62633145c07p-54);
    ck_assert_uint_eq(f64_bits(dm_cos(0x1.921fb54442d18p+1)), f64_bits(-1.0));
    ck_near(dm_cos(1e22), 0x1.0be2cef01c8f4p-1);
    ck_near(dm_cos(0x1.6ac5b262ca1ffp+849), -0x1.14ae72e6ba22fp-61);
    /* Even, and never outside [-1, 1]. */
    rng_t r;
    rng_seed(&r, 15);
    for (int i = 0; i < 10000; i++) {
        double x = random_positive(&r);
        double c = dm_cos(x);
        ck_assert_uint_eq(f64_bits(c), f64_bits(dm_cos(-x)));
        ck_assert(c >= -1.0 && c <= 1.0);
    }
}
END_TEST

START_TEST(test_sin_specials)
{
    double inf = HUGE_VAL;
    ck_assert_uint_eq(f64_bits(dm_sin(0.0)), f64_bits(0.0));
    ck_assert_uint_eq(f64_bits(dm_sin(-0.0)), f64_bits(-0.0));
    ck_assert_uint_eq(f64_bits(dm_sin(0x1p-1074)), f64_bits(0x1p-1074));
    ck_assert_uint_eq(f64_bits(dm_sin(-0x1p-30)), f64_bits(-0x1p-30));
    ck_assert(isnan(dm_sin(inf)));
    ck_assert(isnan(dm_sin(-inf)));
    ck_assert(isnan(dm_sin(NAN)));
    /* sin of the doubles nearest pi/2 and pi (pi's is pi - that double). */
    ck_assert_uint_eq(f64_bits(dm_sin(0x1.921fb54442d18p+0)), f64_bits(1.0));
    ck_near(dm_sin(0x1.921fb54442d18p+1), 0x1.1a62633145c07p-53);
    /* Odd, never outside [-1, 1], and sin^2 + cos^2 = 1 to rounding. */
    rng_t r;
    rng_seed(&r, 17);
    for (int i = 0; i < 10000; i++) {
        double x = i % 2 ? random_positive(&r) : 10.0 * rng_uniform(&r);
        double s = dm_sin(x), c = dm_cos(x);
        ck_assert_uint_eq(f64_bits(-s), f64_bits(dm_sin(-x)));
        ck_assert(s >= -1.0 && s <= 1.0);
        ck_assert(fabs(s * s + c * c - 1.0) < 1e-15);
    }
}
END_TEST

/* FNV-1a 64 over the bytes of the results' bit patterns, low byte first. */
static uint64_t fnv1a(uint64_t h, double v)
{
    uint64_t u = f64_bits(v);
    for (int i = 0; i < 8; i++) {
        h ^= (u >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV_BASIS 0xcbf29ce484222325ULL

START_TEST(test_pinned_digests)
{
    /* 1000 inputs per function: 500 evenly over the range training uses,
     * 500 from rng's pinned splitmix64 stream over a wider one. */
    uint64_t hl = FNV_BASIS, he = FNV_BASIS, hc = FNV_BASIS, hs = FNV_BASIS;
    for (int i = 0; i < 500; i++) {
        hl = fnv1a(hl, dm_log((i + 1) / 500.0));
        he = fnv1a(he, dm_exp(-700.0 + i * 2.8));
        hc = fnv1a(hc, dm_cos(TWO_PI * (i / 500.0)));
        hs = fnv1a(hs, dm_sin(TWO_PI * (i / 250.0 - 1.0)));
    }
    rng_t rl, re, rc, rs;
    rng_seed(&rl, 2024);
    rng_seed(&re, 2025);
    rng_seed(&rc, 2026);
    rng_seed(&rs, 2027);
    for (int i = 0; i < 500; i++) {
        hl = fnv1a(hl, dm_log(random_positive(&rl)));
        he = fnv1a(he, dm_exp(-745.2 + 1455.0 * rng_uniform(&re)));
        hc = fnv1a(hc, i % 2 ? dm_cos(-200.0 + 400.0 * rng_uniform(&rc))
                             : dm_cos(random_above_one(&rc)));
        hs = fnv1a(hs, i % 2 ? dm_sin(-200.0 + 400.0 * rng_uniform(&rs))
                             : dm_sin(random_above_one(&rs)));
    }
    printf("detmath: digests log %#018llx exp %#018llx cos %#018llx sin %#018llx\n",
           (unsigned long long)hl, (unsigned long long)he, (unsigned long long)hc,
           (unsigned long long)hs);
    fflush(stdout);
    /* Written from this suite's run on x86-64 with AVX-512 (gcc 12 -O2 and
     * -O3 -march=native, clang 14); the same came out of aarch64 (gcc 12
     * under qemu), and must on every CPU and compiler. They change only when
     * src/detmath.c's arithmetic changes, and then every pinned training
     * result changes with them. Built with -ffp-contract=fast on an FMA
     * machine, all three differ. */
    ck_assert_uint_eq(hl, 0x718ac9da3ae77410ULL);
    ck_assert_uint_eq(he, 0xd25d7aa524ac0966ULL);
    ck_assert_uint_eq(hc, 0xb8bb937dfe650396ULL);
    /* sin's, added with dm_sin: from x86-64 gcc 12 -O3, and the same from
     * aarch64 (gcc 12 under qemu, .ci/aarch64.sh). */
    ck_assert_uint_eq(hs, 0x3700798d0cf87bf8ULL);
}
END_TEST

TU_MAIN("detmath", test_log_sweep, test_exp_sweep, test_cos_sweep, test_sin_sweep,
        test_log_specials, test_exp_specials, test_cos_specials, test_sin_specials,
        test_pinned_digests, test_log_n_same_bits)
