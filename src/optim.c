/* optim: see include/optim.h. */
#include "optim.h"

void optim_sgd(float *params, const float *grad, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        params[i] -= scale * grad[i];
}
