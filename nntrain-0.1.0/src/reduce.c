/* reduce: see include/reduce.h. */
#include "reduce.h"

/* An orphaned `omp for`: inside a parallel region the threads share the
 * elements; called outside one it simply runs on the calling thread. Either
 * way each element is summed over the buffers in the same order. */
void reduce_sum(float *const *bufs, int n_bufs, size_t n, float *out)
{
    long long len = (long long)n;
#pragma omp for schedule(static)
    for (long long i = 0; i < len; i++) {
        float s = bufs[0][i];
        for (int b = 1; b < n_bufs; b++)
            s += bufs[b][i];
        out[i] = s;
    }
}

void reduce_block(const reduce_group *g, int n_bufs, int *lo, int *hi)
{
    if (!g) {
        *lo = 0;
        *hi = n_bufs;
        return;
    }
    *lo = (int)((long long)n_bufs * g->rank / g->size);
    *hi = (int)((long long)n_bufs * (g->rank + 1) / g->size);
}
