/* train: mini-batch SGD over a data set, data-parallel with OpenMP.
 *
 * Each epoch shuffles the training examples with the run's seeded rng; each
 * mini-batch's mean gradient makes one SGD step. The gradient is computed
 * in one of two ways, both bitwise the same for 1, 2, 3... threads:
 *
 *   fused (default): the threads split the batch's rows for the forward
 *     pass and the deltas, then split the network's units for the weight
 *     gradients, each summed over the whole batch in example order inside
 *     the matrix product. No per-thread buffers, no reduction pass; the
 *     result does not even depend on the shard count.
 *   shards: the batch is split into a fixed number of shards (from the
 *     config and batch size, never the thread count); each shard's gradient
 *     goes to its own buffer; reduce_sum adds the buffers in shard order.
 *     The classic data-parallel shape, and the one MPI ranks will take.
 *
 * No allocation happens inside the training loop. */
#ifndef NNTRAIN_TRAIN_H
#define NNTRAIN_TRAIN_H

#include <stdint.h>
#include "err.h"
#include "idx.h"
#include "net.h"

typedef struct {
    double learning_rate;
    int batch_size;
    int epochs;
    uint64_t seed;   /* shuffling */
    int threads;     /* 0 = every core */
    int shards;      /* 0 = automatic: train_auto_shards() */
    int shard_buffers; /* 1: shards mode; 0: fused mode (see above) */
    int deterministic; /* shards mode, 0: one shard per thread (results then depend on threads) */
} train_opts;

/* What one epoch did, handed to the on_epoch hook. */
typedef struct {
    int epoch;            /* 1-based */
    int epochs;
    double train_loss;    /* mean cost over the epoch's training examples */
    double eval_loss;     /* mean cost on the evaluation set (-1 if none) */
    double eval_accuracy; /* fraction correct on the evaluation set (-1 if none) */
    double seconds;       /* wall time of the training part of the epoch */
    double examples_per_s;
    int n_examples;
} train_epoch_stats;

typedef struct {
    /* Called during an epoch, about every few hundred ms at most. */
    void (*on_progress)(void *user, int epoch, long long done, long long total, double loss_so_far);
    /* Called after each epoch; return non-zero to stop training early. */
    int (*on_epoch)(void *user, const train_epoch_stats *s);
    void *user;
} train_hooks;

/* The shard count used when opts->shards is 0: a function of the batch size
 * and network size only. */
int train_auto_shards(int batch_size, size_t n_params);

/* How many parts a batch of batch_size is split into: shards (shards mode)
 * or threads (fused mode, or shards mode without determinism). */
int train_parts(const train_opts *o, int batch_size, size_t n_params);

/* Trains net (already initialised) on train; after each epoch evaluates on
 * eval_set (may be NULL). Input images are scaled to 0..1; targets are
 * one-hot of the labels (labels must be < the output size). */
int train_run(net_t *net, const idx_dataset *train, const idx_dataset *eval_set,
              const train_opts *opts, const train_hooks *hooks, err_t *err);

/* Threads that `threads` (0 = all) means on this machine. */
int train_resolve_threads(int threads);

#endif
