/* Suite rng: the same seed gives the same stream everywhere. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "rng.h"
#include "testutil.h"

START_TEST(test_known_values)
{
    /* splitmix64's published first outputs for seed 0. */
    rng_t r;
    rng_seed(&r, 0);
    ck_assert_uint_eq(rng_next(&r), 0xe220a8397b1dcdafULL);
    ck_assert_uint_eq(rng_next(&r), 0x6e789e6aa1b965f4ULL);
}
END_TEST

START_TEST(test_same_seed_same_stream)
{
    rng_t a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(rng_next(&a), rng_next(&b));
    rng_seed(&b, 43);
    ck_assert_uint_ne(rng_next(&a), rng_next(&b));
}
END_TEST

START_TEST(test_below_and_uniform_ranges)
{
    rng_t r;
    rng_seed(&r, 7);
    int counts[5] = {0};
    for (int i = 0; i < 50000; i++) {
        uint64_t v = rng_below(&r, 5);
        ck_assert_uint_lt(v, 5);
        counts[v]++;
        double u = rng_uniform(&r);
        ck_assert(u >= 0.0 && u < 1.0);
    }
    for (int i = 0; i < 5; i++)
        ck_assert_int_gt(counts[i], 9000);
}
END_TEST

START_TEST(test_normal_moments)
{
    rng_t r;
    rng_seed(&r, 1);
    double s = 0, s2 = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = rng_normal(&r);
        ck_assert(isfinite(x));
        s += x;
        s2 += x * x;
    }
    ck_assert(fabs(s / n) < 0.01);
    ck_assert(fabs(s2 / n - 1.0) < 0.02);
}
END_TEST

START_TEST(test_shuffle_is_permutation)
{
    rng_t r;
    rng_seed(&r, 3);
    int idx[100], seen[100] = {0}, moved = 0;
    for (int i = 0; i < 100; i++)
        idx[i] = i;
    rng_shuffle(&r, idx, 100);
    for (int i = 0; i < 100; i++) {
        ck_assert(idx[i] >= 0 && idx[i] < 100);
        seen[idx[i]]++;
        moved += idx[i] != i;
    }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved, 50);
}
END_TEST

START_TEST(test_mix_is_the_stream_at_a_counter)
{
    /* rng_mix(key, i) is the (i+1)-th output of the stream seeded with key,
     * a pure function of its arguments. */
    rng_t r;
    rng_seed(&r, 12345);
    for (uint64_t i = 0; i < 100; i++)
        ck_assert_uint_eq(rng_mix(12345, i), rng_next(&r));
    /* Nearby keys and counters give unrelated values: about half the bits
     * of the 24-bit unit draws differ, and their mean is about 1/2. */
    double sum = 0;
    for (uint64_t i = 0; i < 10000; i++) {
        float u = rng_unit24(rng_mix(rng_mix(7, i), 3));
        ck_assert(u >= 0.0f && u < 1.0f);
        sum += u;
    }
    ck_assert(fabs(sum / 10000 - 0.5) < 0.01);
    ck_assert(rng_unit24(UINT64_MAX) < 1.0f);
    ck_assert(rng_unit24(0) == 0.0f);
}
END_TEST

TU_MAIN("rng", test_known_values, test_same_seed_same_stream, test_below_and_uniform_ranges, test_normal_moments, test_shuffle_is_permutation,
        test_mix_is_the_stream_at_a_counter)
