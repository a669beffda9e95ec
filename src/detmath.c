/* detmath: deterministic log, exp, cos and sin. See include/detmath.h.
 *
 * Why the bits come out the same everywhere: every operation below is an
 * IEEE-754 double +, -, *, / or a conversion between double and integer,
 * all correctly rounded (round to nearest even) by the standard, plus
 * comparisons and integer work on the bit pattern (read through memcpy).
 * The order of evaluation is the one written: C does not reassociate
 * floating point without -ffast-math, and -ffp-contract=off (in AM_CFLAGS;
 * also GCC's default under -std=c11; clang gets the pragma below) forbids
 * fusing a*b+c into one fma. No libm, no fma(), no long double; the #error
 * refuses a target that would evaluate doubles in wider registers (x87).
 *
 * The algorithms are the classic ones of Sun's fdlibm (the basis of most
 * BSD and musl libms), rewritten here; the polynomial coefficients are
 * fdlibm's published minimax constants, written as hex literals so that
 * no decimal-to-binary conversion is involved:
 *
 *   log: x = 2^k * y with y in [sqrt(2)/2, sqrt(2)), f = y - 1 (exact),
 *        s = f / (2 + f), so log(y) = log(1+f) = 2 atanh(s)
 *        = 2s + 2s^3/3 + 2s^5/5 + ...; with R(z) a degree-7 polynomial in
 *        z = s^2 (|error of the fit| < 2^-58.45 on |s| <= 0.1716),
 *        log(1+f) = f - f^2/2 + s*(f^2/2 + R), and
 *        log(x) = k*ln2_hi + (log(1+f) + k*ln2_lo), ln2 split in two so
 *        that k*ln2_hi is exact.
 *   exp: x = k*ln2 + r, k = round(x/ln2), |r| <= ln2/2, r kept as hi - lo
 *        (ln2 split as above, so x - k*ln2_hi is exact). With
 *        c(r) = r - r^2*(P1 + ... + P5 r^8) (a degree-5 polynomial in r^2,
 *        |fit error| < 2^-59), exp(r) = 1 + r + r*c/(2 - c); the result
 *        is scaled by 2^k through the exponent bits (in two steps when the
 *        result is subnormal).
 *   cos: cos is even, so x = |x|. Reduce x = n*(pi/2) + r, |r| <= ~pi/4,
 *        r carried as a head and a tail (y0 + y1). For x < 2^20*pi/2 this
 *        is Cody-Waite: pi/2 as 33+33+33+53 bit pieces, n*piece exact,
 *        the second and third pieces used only when the first subtraction
 *        cancelled many bits. Beyond, Payne-Hanek: the fraction of
 *        x * 2/pi taken exactly in integer arithmetic from a 1216-bit table
 *        of 2/pi. Then by n mod 4: cos(r), -sin(r), -cos(r) or sin(r),
 *        each a degree-6 polynomial in r^2 on [-pi/4, pi/4] (after the
 *        exact leading terms; fit errors below 2^-58), with the tail y1
 *        folded in. sin is odd, so sin(x) = sign(x) * sin(|x|), and
 *        by n mod 4 the same kernels give sin(r), cos(r), -sin(r), -cos(r).
 *
 * Measured accuracy, as the error against the true value (mpmath at 200
 * bits, 1300 for the large cosines) on 1.2 million random inputs per line,
 * and as the distance from glibc 2.36's libm on tests/test_detmath.c's
 * sweeps (0.6 to 0.9 million points per function, printed by the suite):
 *   dm_log: max 0.82 ulp on (0, 1], 0.72 ulp on random positive doubles
 *           (subnormals to 1e308); at most 1 ulp from glibc.
 *   dm_exp: max 0.87 ulp on [-745, 709.78]; at most 1 ulp from glibc.
 *   dm_cos: max 0.74 ulp on [0, 2*pi), 0.76 ulp on [-100, 100] and on
 *           random doubles from 1e6 to 1e308; at most 1 ulp from glibc.
 *   dm_sin: the same kernels and reductions as dm_cos; at most 1 ulp from
 *           glibc on tests/test_detmath.c's sweeps (not measured
 *           against mpmath).
 * So always within 1 ulp, usually correctly rounded (about 90% (exp) to
 * 97% (cos) of the sweep points give glibc's exact bits).
 * Outside round-to-nearest (never set by this project) results degrade. */
#include "detmath.h"

#include "bits.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "detmath.c needs doubles evaluated as doubles (FLT_EVAL_METHOD 0: SSE2, NEON, ...)"
#endif
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- bits ------------------------------------------------------------------ */

/* 2^k for -1022 <= k <= 1023, exactly. */
static double pow2(int k)
{
    return f64_of((uint64_t)(k + 1023) << 52);
}

#define EXP_MASK 0x7ff0000000000000ULL
#define MANT_MASK 0x000fffffffffffffULL
#define POS_INF 0x7ff0000000000000ULL
#define NEG_INF 0xfff0000000000000ULL
#define QNAN 0x7ff8000000000000ULL

/* ---- log ------------------------------------------------------------------- */

static const double
    LN2_HI = 0x1.62e42fee00000p-1, /* ln 2, top 32 bits: k*LN2_HI is exact */
    LN2_LO = 0x1.a39ef35793c76p-33, /* ln 2 - LN2_HI */
    LG1 = 0x1.5555555555593p-1, /* R(z) = LG1 z + LG2 z^2 + ... + LG7 z^7 */
    LG2 = 0x1.999999997fa04p-2,
    LG3 = 0x1.2492494229359p-2,
    LG4 = 0x1.c71c51d8e78afp-3,
    LG5 = 0x1.7466496cb03dep-3,
    LG6 = 0x1.39a09d078c69fp-3,
    LG7 = 0x1.2f112df3e5244p-3;

/* The body of dm_log, inline so that dm_log_n's loop holds it whole: then
 * the CPU overlaps the independent logs of consecutive elements, which a
 * call per element does not let it do. */
static inline double log_one(double x)
{
    uint64_t u = f64_bits(x);
    if (x != x)
        return x; /* NaN */
    if ((u & ~(1ULL << 63)) == 0)
        return f64_of(NEG_INF); /* log(+-0) */
    if (u >> 63)
        return f64_of(QNAN); /* x < 0 */
    if (u == POS_INF)
        return x;

    int k = 0;
    if ((u & EXP_MASK) == 0) { /* subnormal: scale up by 2^54 (exact) */
        u = f64_bits(x * 0x1p54);
        k = -54;
    }
    k += (int)(u >> 52) - 1023;
    /* y = the significand in [1, 2); halve it when above sqrt(2). The
     * threshold is sqrt(2)'s significand bits 0x6a09e667f3bcd. */
    uint64_t m = u & MANT_MASK;
    uint64_t ybits = m | 0x3ff0000000000000ULL;
    if (m > 0x6a09e667f3bccULL) {
        ybits = m | 0x3fe0000000000000ULL;
        k += 1;
    }
    double f = f64_of(ybits) - 1.0; /* exact (Sterbenz), in [-0.293, 0.415) */

    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double odd = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    double even = w * (LG2 + w * (LG4 + w * LG6));
    double R = odd + even;
    double hfsq = 0.5 * f * f;
    double dk = (double)k;
    /* log(1+f) = f - hfsq + s*(hfsq + R), summed smallest first. */
    return dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
}

double dm_log(double x)
{
    return log_one(x);
}

void dm_log_n(const double *x, double *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = log_one(x[i]);
}

/* ---- exp ------------------------------------------------------------------- */

static const double
    EXP_OVER = 0x1.62e42fefa39efp+9, /* 709.78...: above, e^x overflows */
    EXP_UNDER = -0x1.74910d52d3051p+9, /* -745.13...: below, e^x rounds to 0 */
    INV_LN2 = 0x1.71547652b82fep+0,
    P1 = 0x1.555555555553ep-3, /* c(r) = r - (P1 r^2 + P2 r^4 + ... + P5 r^10) */
    P2 = -0x1.6c16c16bebd93p-9,
    P3 = 0x1.1566aaf25de2cp-14,
    P4 = -0x1.bbd41c5d26bf1p-20,
    P5 = 0x1.6376972bea4d0p-25;

double dm_exp(double x)
{
    if (x != x)
        return x; /* NaN */
    if (x > EXP_OVER)
        return f64_of(POS_INF);
    if (x < EXP_UNDER)
        return 0.0; /* also -inf */
    double ax = x < 0 ? -x : x;
    if (ax < 0x1p-28)
        return 1.0 + x; /* e^x = 1 + x + x^2/2..., x^2/2 below half an ulp */

    /* x = k*ln2 + (hi - lo), k the nearest integer to x/ln2 (ties away). */
    int k = 0;
    double hi = x, lo = 0.0;
    if (ax > 0.5 * LN2_HI) {
        double t = INV_LN2 * x;
        k = (int)(x < 0 ? t - 0.5 : t + 0.5); /* truncates toward 0 */
        double dk = (double)k;
        hi = x - dk * LN2_HI; /* exact */
        lo = dk * LN2_LO;
    }
    double r = hi - lo;
    double t = r * r;
    double c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);

    if (k >= -1021) {
        if (k > 1023) /* only k = 1024, for x in (709.09, 709.78] */
            return y * 2.0 * pow2(1023);
        return y * pow2(k);
    }
    /* Subnormal (or nearly): scale in two steps, rounding only in the last. */
    return y * pow2(k + 1000) * pow2(-1000);
}

/* ---- cos ------------------------------------------------------------------- */

static const double
    C1 = 0x1.555555555554cp-5, /* cos r = 1 - r^2/2 + r^4 (C1 + C2 r^2 + ... + C6 r^10) */
    C2 = -0x1.6c16c16c15177p-10,
    C3 = 0x1.a01a019cb1590p-16,
    C4 = -0x1.27e4f809c52adp-22,
    C5 = 0x1.1ee9ebdb4b1c4p-29,
    C6 = -0x1.8fae9be8838d4p-37,
    S1 = -0x1.5555555555549p-3, /* sin r = r + r^3 (S1 + S2 r^2 + ... + S6 r^10) */
    S2 = 0x1.111111110f8a6p-7,
    S3 = -0x1.a01a019c161d5p-13,
    S4 = 0x1.71de357b1fe7dp-19,
    S5 = -0x1.ae5e68a2b9cebp-26,
    S6 = 0x1.5d93a5acfd57cp-33;

/* cos(x + y) for |x| <= ~pi/4, y a tail below half an ulp of x. */
static double kernel_cos(double x, double y)
{
    double z = x * x;
    double w = z * z;
    double r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    double hz = 0.5 * z;
    double one_hz = 1.0 - hz;
    /* 1 - hz rounded, plus what that rounding lost, plus the rest. The
     * tail enters as -sin(x)*y ~ -x*y. */
    return one_hz + (((1.0 - one_hz) - hz) + (z * r - x * y));
}

/* sin(x + y) for |x| <= ~pi/4, y a tail below half an ulp of x. */
static double kernel_sin(double x, double y)
{
    double z = x * x;
    double w = z * z;
    double r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    double v = z * x;
    /* x + x^3 (S1 + z r) + y (1 - x^2/2): the tail's cos(x)*y. */
    return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

static const double
    PIO4 = 0x1.921fb54442d18p-1,
    INV_PIO2 = 0x1.45f306dc9c883p-1,
    PIO2_1 = 0x1.921fb54400000p+0, /* first 33 bits of pi/2 */
    PIO2_1T = 0x1.0b4611a626331p-34, /* pi/2 - PIO2_1 */
    PIO2_2 = 0x1.0b4611a600000p-34, /* next 33 bits */
    PIO2_2T = 0x1.3198a2e037073p-69, /* pi/2 - PIO2_1 - PIO2_2 */
    PIO2_3 = 0x1.3198a2e000000p-69, /* next 33 bits */
    PIO2_3T = 0x1.b839a252049c1p-104, /* pi/2 - PIO2_1 - PIO2_2 - PIO2_3 */
    PIO2_HI = 0x1.921fb54442d18p+0, /* pi/2 as a double-double */
    PIO2_LO = 0x1.1a62633145c07p-54,
    MEDIUM_MAX = 0x1.921fb54442d18p+20; /* 2^20 * pi/2: n fits in 20 bits */

static int biased_exponent(double x)
{
    return (int)((f64_bits(x) >> 52) & 0x7ff);
}

/* Cody-Waite: x = n*pi/2 + y[0] + y[1], for 0 <= x < MEDIUM_MAX. Each
 * n * PIO2_i is exact (n has at most 21 bits, PIO2_i 33), so only the
 * tails round; a further piece is used when the result has lost more than
 * 16 (then 49) bits to cancellation against x. */
static int reduce_medium(double x, double y[2])
{
    int n = (int)(x * INV_PIO2 + 0.5);
    double fn = (double)n;
    double r = x - fn * PIO2_1; /* exact */
    double w = fn * PIO2_1T;
    double y0 = r - w;
    int ex = biased_exponent(x);
    if (ex - biased_exponent(y0) > 16) {
        double t = r;
        w = fn * PIO2_2;
        r = t - w;
        w = fn * PIO2_2T - ((t - r) - w);
        y0 = r - w;
        if (ex - biased_exponent(y0) > 49) {
            t = r;
            w = fn * PIO2_3;
            r = t - w;
            w = fn * PIO2_3T - ((t - r) - w);
            y0 = r - w;
        }
    }
    y[0] = y0;
    y[1] = (r - y0) - w;
    return n;
}

/* 2/pi's first 1216 bits after the binary point, 32 to a word (mpmath at
 * 2000 bits; the same digits as fdlibm's two_over_pi table). Enough for the
 * largest double: a 192-bit window starting at bit e - 1 with e <= 971. */
static const uint32_t TWO_OVER_PI[38] = {
    0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0, 0xdb629599, 0x3c439041,
    0xfe5163ab, 0xdebbc561, 0xb7246e3a, 0x424dd2e0, 0x06492eea, 0x09d1921c,
    0xfe1deb1c, 0xb129a73e, 0xe88235f5, 0x2ebb4484, 0xe99c7026, 0xb45f7e41,
    0x3991d639, 0x835339f4, 0x9c845f8b, 0xbdf9283b, 0x1ff897ff, 0xde05980f,
    0xef2f118b, 0x5a0a6d1f, 0x6d367ecf, 0x27cb09b7, 0x4f463f66, 0x9e5fea2d,
    0x7527bac7, 0xebe5f17b, 0x3d0739f7, 0x8a5292ea, 0x6bfb5fb1, 0x1f8d5d08,
    0x56033046, 0xfc7b6bab,
};

/* Bits [pos, pos + 64) of the 256-bit little-endian number p (8 words of
 * 32), 0 <= pos < 256; bits past the top read as 0. */
static uint64_t bits_at(const uint32_t p[8], int pos)
{
    int w = pos / 32, sh = pos % 32;
    uint64_t v = (uint64_t)p[w] >> sh;
    if (w + 1 < 8)
        v |= (uint64_t)p[w + 1] << (32 - sh);
    if (w + 2 < 8 && sh > 0)
        v |= (uint64_t)p[w + 2] << (64 - sh);
    return v;
}

/* a * b = hi + lo exactly (Dekker), for |a|, |b| well inside the range. */
static void two_product(double a, double b, double *hi, double *lo)
{
    const double split = 0x1p27 + 1.0;
    double ca = split * a, cb = split * b;
    double ah = ca - (ca - a), al = a - ah;
    double bh = cb - (cb - b), bl = b - bh;
    *hi = a * b;
    *lo = ((ah * bh - *hi) + ah * bl + al * bh) + al * bl;
}

/* Payne-Hanek: x = n*pi/2 + y[0] + y[1] for finite x >= MEDIUM_MAX.
 * x = m * 2^e with m a 53-bit integer. Bits of 2/pi worth 2^-i with
 * i < e - 1 only add multiples of 4 to x * 2/pi, which do not change the
 * quadrant, so a 192-bit window from bit max(1, e - 1) suffices: m times
 * the window is x * 2/pi mod 4 with 190 or more fraction bits, exact but
 * for the bits of 2/pi past the window (worth < 2^-137). */
static int reduce_large(double x, double y[2])
{
    uint64_t u = f64_bits(x);
    uint64_t m = (u & MANT_MASK) | (1ULL << 52);
    int e = (int)(u >> 52) - 1075; /* >= -32 here */
    int i0 = e - 1 > 1 ? e - 1 : 1; /* first bit of 2/pi used (1 = 2^-1) */

    /* The window, little-endian 32-bit words: win[5] holds bits i0..i0+31. */
    uint32_t win[6];
    for (int j = 0; j < 6; j++) {
        int off = i0 - 1 + 32 * j; /* bit offset into the table, from 0 */
        int w = off / 32, sh = off % 32;
        uint64_t v = (uint64_t)TWO_OVER_PI[w] << sh;
        if (sh > 0)
            v |= TWO_OVER_PI[w + 1] >> (32 - sh);
        win[5 - j] = (uint32_t)v;
    }
    /* prod = m * win, 256 bits. */
    uint32_t prod[8] = {0};
    uint32_t mw[2] = {(uint32_t)m, (uint32_t)(m >> 32)};
    for (int a = 0; a < 2; a++) {
        uint64_t carry = 0;
        for (int b = 0; b < 6; b++) {
            uint64_t t = (uint64_t)mw[a] * win[b] + prod[a + b] + carry;
            prod[a + b] = (uint32_t)t;
            carry = t >> 32;
        }
        for (int c = a + 6; carry && c < 8; c++) {
            uint64_t t = (uint64_t)prod[c] + carry;
            prod[c] = (uint32_t)t;
            carry = t >> 32;
        }
    }
    /* prod = (x * 2/pi mod 4, roughly) * 2^s: s fraction bits. */
    int s = i0 + 191 - e; /* 190 ... 224 */
    int n = (int)(bits_at(prod, s) & 3);
    uint64_t fh = bits_at(prod, s - 64), fl = bits_at(prod, s - 128);
    /* fraction f = (fh, fl) / 2^128 in [0, 1); use f - 1 when f >= 1/2. */
    int neg = 0;
    if (fh >> 63) {
        n = (n + 1) & 3;
        neg = 1;
        fl = ~fl + 1;
        fh = ~fh + (fl == 0);
    }
    if (fh == 0 && fl == 0) { /* cannot happen for a double; keep it defined */
        y[0] = y[1] = 0.0;
        return n;
    }
    int lz = 0; /* normalise so that fh's top bit is set */
    while (!(fh >> 63)) {
        fh = (fh << 1) | (fl >> 63);
        fl <<= 1;
        lz++;
    }
    /* |f| = t1 * 2^(-53-lz) + t2 * 2^(-106-lz) + (below 2^(-128-lz)) */
    uint64_t t1 = fh >> 11;
    uint64_t t2 = ((fh & 0x7ff) << 42) | (fl >> 22);
    double f1 = (double)t1 * pow2(-53 - lz); /* both exact */
    double f2 = (double)t2 * pow2(-106 - lz);
    /* r = (f1 + f2) * (PIO2_HI + PIO2_LO) */
    double p, pe;
    two_product(f1, PIO2_HI, &p, &pe);
    double tail = pe + (f1 * PIO2_LO + f2 * PIO2_HI);
    double r0 = p + tail;
    double r1 = tail - (r0 - p);
    y[0] = neg ? -r0 : r0;
    y[1] = neg ? -r1 : r1;
    return n;
}

double dm_cos(double x)
{
    uint64_t u = f64_bits(x) & ~(1ULL << 63);
    if (u >= POS_INF)
        return f64_of(QNAN); /* inf or NaN */
    x = f64_of(u); /* |x|: cos is even */
    if (x <= PIO4)
        return kernel_cos(x, 0.0);
    double y[2];
    int n = x < MEDIUM_MAX ? reduce_medium(x, y) : reduce_large(x, y);
    switch (n & 3) {
    case 0: return kernel_cos(y[0], y[1]);
    case 1: return -kernel_sin(y[0], y[1]);
    case 2: return -kernel_cos(y[0], y[1]);
    default: return kernel_sin(y[0], y[1]);
    }
}

double dm_sin(double x)
{
    uint64_t u = f64_bits(x);
    if ((u & ~(1ULL << 63)) >= POS_INF)
        return f64_of(QNAN); /* inf or NaN */
    double ax = f64_of(u & ~(1ULL << 63));
    double s;
    if (ax <= PIO4) {
        s = kernel_sin(ax, 0.0);
    } else {
        double y[2];
        int n = ax < MEDIUM_MAX ? reduce_medium(ax, y) : reduce_large(ax, y);
        switch (n & 3) {
        case 0: s = kernel_sin(y[0], y[1]); break;
        case 1: s = kernel_cos(y[0], y[1]); break;
        case 2: s = -kernel_sin(y[0], y[1]); break;
        default: s = -kernel_cos(y[0], y[1]); break;
        }
    }
    return u >> 63 ? -s : s; /* odd: sin(-0) = -0 */
}
