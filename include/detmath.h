/* detmath: log, exp, cos and sin that give the same bits on every CPU.
 *
 * The C library's log, exp and cos are not the same code everywhere: glibc
 * on x86-64 picks an FMA or a non-FMA variant at load time, aarch64 builds
 * them differently again, and other libcs differ more. Their results agree
 * to about an ulp, not bit for bit, and a trained model that must be
 * byte-identical on every machine cannot take a single libm result into
 * its numbers. These functions use nothing but IEEE-754 double +, -, *, /
 * (each correctly rounded, so the same everywhere), comparisons and integer
 * work on the bit pattern; no libm call, no fma, no long double. Compile
 * with -ffp-contract=off (the Makefile does) so that no compiler fuses an
 * a*b+c into an fma behind our back.
 *
 * Accuracy: within 1 ulp of the true value (measured figures in
 * src/detmath.c). Not the C library's results: the same bits as each other
 * on every platform, which is the point. */
#ifndef NNTRAIN_DETMATH_H
#define NNTRAIN_DETMATH_H

/* Natural logarithm. dm_log(+-0) = -inf, dm_log(x < 0) = NaN,
 * dm_log(+inf) = +inf, dm_log(NaN) = NaN; subnormal x are exact inputs. */
double dm_log(double x);

/* y[i] = dm_log(x[i]) for i < n, the same bits, faster than n calls. */
void dm_log_n(const double *x, double *y, int n);

/* e^x. Overflows to +inf above about 709.78, gives subnormals below about
 * -708.4 and 0 below about -745.13; dm_exp(-inf) = 0, dm_exp(NaN) = NaN. */
double dm_exp(double x);

/* Cosine of x in radians, for any finite x (exact range reduction: the
 * project only needs x in [0, 2*pi)). dm_cos(+-inf) = dm_cos(NaN) = NaN. */
double dm_cos(double x);

/* Sine of x in radians, for any finite x, by the same reductions and
 * kernels as dm_cos. dm_sin(+-0) = +-0, dm_sin(+-inf) = dm_sin(NaN) = NaN. */
double dm_sin(double x);

#endif
