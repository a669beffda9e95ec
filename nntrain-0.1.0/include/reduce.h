/* reduce: many shard gradients -> one gradient.
 *
 * The one place where gradients computed apart are summed. The order of the
 * sum is fixed (shard 0 + shard 1 + ... in that order, for every element),
 * so the result does not depend on how many threads did the work.
 *
 * Across processes (an MPI job, include/ranks.h): the shards of a batch are
 * split into one contiguous block per rank, in rank order (reduce_block);
 * each rank computes its own block's gradients, and reduce_ranks_sum gives
 * every rank the sum reduce_sum would give on one process, bit for bit: a
 * chain in rank order. Rank 0 adds its shards left to right and sends the
 * partial sums to rank 1, which goes on adding its own shards to them, and
 * so on; the last rank holds the sum of every shard, in shard order, and
 * broadcasts it (a copy: no arithmetic). The chain is pipelined over chunks
 * of the gradient, so its time is about one pass over the gradient plus
 * R-1 chunks, not R passes. The result is the same for any R, divisible or
 * not: only the balance between ranks depends on the split. */
#ifndef NNTRAIN_REDUCE_H
#define NNTRAIN_REDUCE_H

#include <stddef.h>

/* out[i] = bufs[0][i] + bufs[1][i] + ... + bufs[n_bufs-1][i], added left to
 * right, for i < n. out may be bufs[0]. Parallel over i with OpenMP (the
 * split over i does not change any element's order of addition). */
void reduce_sum(float *const *bufs, int n_bufs, size_t n, float *out);

/* The processes of one job (ranks.h makes it). NULL everywhere below
 * means this process alone: nothing is communicated. */
typedef struct reduce_group {
    int rank, size;
    int *counts, *displs; /* (size) scratch of reduce_ranks_gather */
} reduce_group;

/* Shards [*lo, *hi) of n_bufs that this rank computes: rank r of R has
 * [r * n_bufs / R, (r + 1) * n_bufs / R), which may be empty. */
void reduce_block(const reduce_group *g, int n_bufs, int *lo, int *hi);

/* Every rank calls it (one thread per rank) with its own block
 * bufs[lo..hi) filled (reduce_block); then out on every rank holds
 * reduce_sum(bufs, n_bufs, n, out) of all ranks' shards, the same bits.
 * out may be bufs[0]. The other buffers are left as they were or used as
 * scratch. */
void reduce_ranks_sum(const reduce_group *g, float *const *bufs, int n_bufs, size_t n, float *out);

/* Per-example values (the batch's losses) of `rows` examples cut into
 * n_bufs shards of `per` examples (the last one shorter): each rank's block
 * of shards is copied to every other rank, so that v[0..rows) is complete
 * everywhere. One thread per rank. */
void reduce_ranks_gather(const reduce_group *g, double *v, int n_bufs, int per, int rows);

/* 1 if flag is non-zero on any rank, else 0, on every rank: decisions that
 * must be the same everywhere (stop now, a failed allocation). */
int reduce_ranks_any(const reduce_group *g, int flag);

#endif
