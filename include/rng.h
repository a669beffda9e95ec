/* rng: the project's own seeded, portable pseudo-random numbers.
 *
 * splitmix64: 64 bits of state, the same sequence on every platform and
 * compiler, so a seed reproduces a run anywhere. Never rand(). */
#ifndef NNTRAIN_RNG_H
#define NNTRAIN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} rng_t;

void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
/* Uniform in [0, n), without modulo bias. n > 0. */
uint64_t rng_below(rng_t *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(rng_t *r);
/* Standard normal N(0, 1) by Box-Muller (one value per call, the pair's
 * second half is discarded so the stream position is easy to reason about). */
double rng_normal(rng_t *r);
/* Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle(rng_t *r, int *idx, int n);

#endif
