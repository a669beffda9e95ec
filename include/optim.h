/* optim: one update of the flat parameter buffer from the flat gradient. */
#ifndef NNTRAIN_OPTIM_H
#define NNTRAIN_OPTIM_H

#include <stddef.h>

/* Plain SGD: params[i] -= scale * grad[i] for i < n, where scale is
 * learning_rate / batch_size (grad holds the batch's SUM). Threads may
 * update disjoint ranges at the same time. */
void optim_sgd(float *params, const float *grad, size_t n, float scale);

#endif
