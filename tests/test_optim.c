/* Suite optim: one SGD step. */
#include <check.h>
#include <omp.h>
#include <stdlib.h>

#include "optim.h"
#include "testutil.h"

START_TEST(test_sgd_step)
{
    float p[3] = {1.0f, -2.0f, 0.5f};
    const float g[3] = {0.5f, 1.0f, -4.0f};
    optim_sgd(p, g, 3, 0.25f);
    ck_assert(p[0] == 1.0f - 0.125f);
    ck_assert(p[1] == -2.25f);
    ck_assert(p[2] == 1.5f);
}
END_TEST

START_TEST(test_sgd_in_parallel_region_matches)
{
    enum { N = 5003 };
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *g = malloc(N * sizeof *g);
    for (int i = 0; i < N; i++) {
        a[i] = b[i] = (float)i * 0.01f;
        g[i] = (float)(i % 17) - 8.0f;
    }
    optim_sgd(a, g, N, 0.1f);
    /* Three threads on three disjoint ranges: the same as one pass. */
#pragma omp parallel num_threads(3)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t lo = (size_t)N * t / nt, hi = (size_t)N * (t + 1) / nt;
        optim_sgd(b + lo, g + lo, hi - lo, 0.1f);
    }
    for (int i = 0; i < N; i++)
        ck_assert(a[i] == b[i]);
    free(a);
    free(b);
    free(g);
}
END_TEST

TU_MAIN("optim", test_sgd_step, test_sgd_in_parallel_region_matches)
