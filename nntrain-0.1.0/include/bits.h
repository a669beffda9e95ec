/* bits: a float's or double's bits as an unsigned integer and back, exactly
 * (through memcpy, never through a pointer cast or a union); and how far a
 * float is from an exact value, in the float's own spacing (ulps). */
#ifndef NNTRAIN_BITS_H
#define NNTRAIN_BITS_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t f32_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float f32_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline uint64_t f64_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double f64_of(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* |got - want| in ulps of a float near want (the spacing of floats in
 * want's binade; the subnormal spacing below FLT_MIN). Two NaNs are 0 apart,
 * a NaN and a number infinitely far. */
static inline double f32_ulps(float got, double want)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want) ? 0 : INFINITY;
    int e;
    frexp(fabs(want) < FLT_MIN ? FLT_MIN : fabs(want), &e);
    return fabs((double)got - want) / ldexp(1.0, e - 24);
}

#endif
