/* reduce: many shard gradients -> one gradient.
 *
 * The one place where gradients computed apart are summed. The order of the
 * sum is fixed (shard 0 + shard 1 + ... in that order, for every element),
 * so the result does not depend on how many threads did the work. A
 * cross-process reducer (an MPI all-reduce over ranks) plugs in here: it
 * would sum the local result across ranks in rank order after this. */
#ifndef NNTRAIN_REDUCE_H
#define NNTRAIN_REDUCE_H

#include <stddef.h>

/* out[i] = bufs[0][i] + bufs[1][i] + ... + bufs[n_bufs-1][i], added left to
 * right, for i < n. out may be bufs[0]. Parallel over i with OpenMP (the
 * split over i does not change any element's order of addition). */
void reduce_sum(float *const *bufs, int n_bufs, size_t n, float *out);

#endif
