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

/* Counter-based draws: a pure function of (key, counter), splitmix64's
 * output at position counter of the stream seeded with key. Chained, it
 * names a draw by its place in the run, e.g. a dropout mask bit by
 *     rng_mix(rng_mix(rng_mix(rng_mix(seed, domain), epoch), example), unit)
 * so no split of the work among threads, shards or ranks can change it. */
uint64_t rng_mix(uint64_t key, uint64_t counter);
/* The top 24 bits of h as a float in [0, 1): exact, the same everywhere. */
static inline float rng_unit24(uint64_t h) { return (float)(h >> 40) * (1.0f / 16777216.0f); }

#endif
