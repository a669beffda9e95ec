/* optim: see include/optim.h. */
#include "optim.h"

/* Orphaned `omp for`, like reduce_sum: shared by a parallel region's
 * threads when called inside one. */
void optim_sgd(float *params, const float *grad, size_t n, float scale)
{
    long long len = (long long)n;
#pragma omp for schedule(static)
    for (long long i = 0; i < len; i++)
        params[i] -= scale * grad[i];
}
