/* kmath_ulp: the accuracy of the kernels' elementwise functions (e^x,
 * sigmoid, tanh), in ulps of the float result, against double-precision
 * libm, over a dense sweep of inputs, on every kernel path this CPU runs.
 * Also checks that every path gives the same bits.
 *
 *   make bench/kmath_ulp && bench/kmath_ulp [STEP]
 *
 * STEP (default 1): every STEP-th float in each range is tried; 1 tries
 * every float (about 2.2 billion inputs for exp, a minute a path). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "kernels.h"

enum { F_EXP, F_SIGMOID, F_TANH, F_COUNT };
static const char *fname[F_COUNT] = {"exp", "sigmoid", "tanh"};

static double ref(int f, double x)
{
    switch (f) {
    case F_EXP: return exp(x);
    case F_SIGMOID: return 1.0 / (1.0 + exp(-x));
    default: return tanh(x);
    }
}

static void apply(int f, float *x, size_t n)
{
    if (f == F_EXP)
        kern_exp(x, n);
    else
        kern_act_forward(f == F_SIGMOID ? KERN_SIGMOID : KERN_TANH, x, n);
}

/* The inputs: every step-th float of [lo, hi] (both signs crossed in bit
 * order: negative floats from lo up to -0, then +0 up to hi). */
#define CHUNK 65536

int main(int argc, char **argv)
{
    uint32_t step = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1;
    if (step == 0)
        step = 1;
    /* exp: its clamped domain; sigmoid and tanh: where they are not yet
     * exactly 0 or +-1 in float, and a margin beyond. */
    static const float range[F_COUNT][2] = {{-103.0f, 88.7f}, {-104.0f, 20.0f}, {-10.0f, 10.0f}};
    static float in[CHUNK], out[CHUNK];
    int n_paths = kern_path_count();
    printf("max error in ulps against double libm, every %u-th float of each range\n", step);
    printf("%-8s %-18s", "function", "range");
    for (int p = 0; p < n_paths; p++)
        printf(" %10s", kern_path_name(p));
    printf("  same bits\n");
    int all_same = 1;
    for (int f = 0; f < F_COUNT; f++) {
        double worst[8] = {0};
        float worst_x[8] = {0};
        uint64_t digest[8];
        for (int p = 0; p < n_paths; p++) {
            err_t err;
            if (kern_use(kern_path_name(p), &err) != 0) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            digest[p] = 1469598103934665603ULL;
            /* Walk negative floats from range lo down in magnitude to -0,
             * then positive floats from +0 up to hi. */
            uint32_t neg_hi = f32_bits(range[f][0]), pos_hi = f32_bits(range[f][1]);
            for (int sign = 0; sign < 2; sign++) {
                uint32_t top = sign ? pos_hi : neg_hi & 0x7fffffffu;
                for (uint64_t u = 0; u <= top;) {
                    size_t n = 0;
                    for (; n < CHUNK && u <= top; u += step)
                        in[n++] = f32_of((uint32_t)u | (sign ? 0 : 0x80000000u));
                    memcpy(out, in, n * sizeof *out);
                    apply(f, out, n);
                    for (size_t i = 0; i < n; i++) {
                        double e = f32_ulps(out[i], ref(f, in[i]));
                        if (e > worst[p]) {
                            worst[p] = e;
                            worst_x[p] = in[i];
                        }
                        digest[p] = (digest[p] ^ f32_bits(out[i])) * 1099511628211ULL;
                    }
                }
            }
        }
        char r[32];
        snprintf(r, sizeof r, "[%g, %g]", range[f][0], range[f][1]);
        printf("%-8s %-18s", fname[f], r);
        int same = 1;
        for (int p = 0; p < n_paths; p++) {
            printf(" %10.3f", worst[p]);
            same &= digest[p] == digest[0];
        }
        printf("  %s (worst at x = %.9g)\n", same ? "yes" : "NO", worst_x[0]);
        all_same &= same;
    }
    return all_same ? 0 : 1;
}
