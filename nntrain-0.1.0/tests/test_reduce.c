/* Suite reduce: shard gradients are summed in shard order, bit for bit the
 * same whatever the number of threads sharing the work. */
#include <check.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "reduce.h"
#include "rng.h"
#include "testutil.h"

START_TEST(test_left_to_right_order)
{
    /* In float, (1e8 + 1) + -1e8 is 0 (1e8 + 1 rounds to 1e8) while
     * (1e8 + -1e8) + 1 is 1: the result shows the order of addition. */
    float a[1] = {1e8f}, b[1] = {1.0f}, c[1] = {-1e8f}, out[1];
    float *bufs[3] = {a, b, c};
    reduce_sum(bufs, 3, 1, out);
    ck_assert(out[0] == (1e8f + 1.0f) + -1e8f);
    float *other[3] = {a, c, b};
    reduce_sum(other, 3, 1, out);
    ck_assert(out[0] == 1.0f);
}
END_TEST

START_TEST(test_in_place_and_single_buffer)
{
    float a[4] = {1, 2, 3, 4}, b[4] = {10, 20, 30, 40};
    float *bufs[2] = {a, b};
    reduce_sum(bufs, 2, 4, a);
    ck_assert(a[0] == 11 && a[1] == 22 && a[2] == 33 && a[3] == 44);
    float out[4];
    reduce_sum(bufs, 1, 4, out);
    ck_assert(memcmp(out, a, sizeof out) == 0);
}
END_TEST

START_TEST(test_same_bits_for_any_thread_count)
{
    enum { N = 10007, NB = 7 };
    rng_t r;
    rng_seed(&r, 5);
    float *mem = malloc(sizeof(float) * N * NB);
    float *bufs[NB];
    for (int b = 0; b < NB; b++) {
        bufs[b] = mem + (size_t)b * N;
        for (int i = 0; i < N; i++)
            bufs[b][i] = (float)((rng_uniform(&r) - 0.5) * (1 << (b * 3)));
    }
    float *ref = malloc(sizeof(float) * N), *out = malloc(sizeof(float) * N);
    reduce_sum(bufs, NB, N, ref); /* outside a parallel region: one thread */
    for (int t = 1; t <= 4; t++) {
        memset(out, 0, sizeof(float) * N);
#pragma omp parallel num_threads(t)
        reduce_sum(bufs, NB, N, out);
        ck_assert_msg(memcmp(out, ref, sizeof(float) * N) == 0, "%d threads differ", t);
    }
    free(mem);
    free(ref);
    free(out);
}
END_TEST

TU_MAIN("reduce", test_left_to_right_order, test_in_place_and_single_buffer,
        test_same_bits_for_any_thread_count)
