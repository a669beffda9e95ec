/* train: mini-batch gradient descent (SGD, momentum, Adam: optim.h) over a
 * data set, data-parallel with OpenMP.
 *
 * Each epoch shuffles the training examples with the run's seeded rng; each
 * mini-batch's mean gradient makes one optimizer step. The gradient is computed
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
 *     The classic data-parallel shape, and the one MPI ranks take
 *     (opts->group: each rank its block of shards, summed across ranks in
 *     the same order).
 *
 * No allocation happens inside the training loop.
 *
 * Checkpoints and resuming: the whole state of a run between two
 * mini-batches is the weights, the rng, the current epoch's permutation and
 * the position in it, and the optimizer's state (train_state). train_run hands that state to the
 * on_checkpoint hook every checkpoint_every epochs and when *stop becomes
 * non-zero (a signal); given it back as opts->resume, it continues exactly
 * where it left off: the final weights are bitwise those of an
 * uninterrupted run, for any thread count. */
#ifndef NNTRAIN_TRAIN_H
#define NNTRAIN_TRAIN_H

#include <signal.h>
#include <stdint.h>
#include "err.h"
#include "augment.h"
#include "idx.h"
#include "net.h"
#include "lrsched.h"
#include "optim.h"
#include "reduce.h"

typedef struct {
    double learning_rate; /* the base rate; each step's is sched_rate(&sched, learning_rate, ...) */
    sched_t sched;        /* zero: constant */
    int batch_size;
    int epochs;
    uint64_t seed;   /* shuffling */
    int threads;     /* 0 = every core */
    double work_per_thread; /* 0: TRAIN_WORK_PER_THREAD (train_threads); the
                             * tests set 1 to run a small net on every
                             * thread they ask for */
    int shards;      /* 0 = automatic: train_auto_shards() */
    int shard_buffers; /* 1: shards mode; 0: fused mode (see above) */
    int deterministic; /* shards mode, 0: one shard per thread (results then depend on threads) */
    optim_params optim; /* the update rule (optim.h); zero = plain SGD */
    /* The ranks of an MPI job training this one model together (reduce.h;
     * NULL: this process alone). Shards mode with determinism only: each
     * rank computes its block of every batch's shards, reduce_ranks_sum
     * adds them in shard order, and every rank takes the same step, so the
     * weights are bitwise those of one process, for any rank count. Every
     * rank must call train_run with the same arguments; each calls the
     * hooks (the caller decides who prints or writes). */
    const reduce_group *group;
    /* With group: sum each layer's gradients across the ranks while the
     * layers below are computed (train.overlap, off by default); the bits
     * are the same. */
    int overlap;

    /* Regularisation (all zero = off). */
    float dropout[NET_MAX_LAYERS]; /* of each weight layer's inputs, [0] the pixels (net_dropout) */
    double max_norm;        /* > 0: each unit's incoming weights kept within this norm */
    double label_smoothing; /* targets (1 - s) one-hot + s / classes */
    const float *class_weights; /* (outputs) each class's weight on its examples' cost; NULL: 1 */
    aug_params augment;     /* distortions of each training image (augment.h); zero = none */

    /* Checkpointing (all optional, zero = off). */
    int checkpoint_every; /* call on_checkpoint after every N-th epoch; 0 = never */
    /* Polled between mini-batches (by one thread): when non-zero, training
     * stops after the current mini-batch, calls on_checkpoint and returns
     * TRAIN_STOPPED. NULL = never. Set it from a signal handler. */
    const volatile sig_atomic_t *stop;
    const struct train_state *resume; /* continue from here; NULL = start afresh */
    /* > 0 and < epochs: after this epoch, call on_checkpoint and return
     * TRAIN_PAUSED (a sweep's rung: the run goes on later from that
     * checkpoint, bitwise as if it had never paused). 0 = never. */
    int pause_after;

    /* Early stopping (patience 0 = off): after each epoch the evaluation
     * set's accuracy (or, monitor_loss, its mean cost) is compared with the
     * best so far; the best epoch's weights are kept in *best, and training
     * stops once `patience` epochs in a row have not improved on it (ties
     * do not improve). Needs an evaluation set. net ends with the last
     * epoch's weights: the caller chooses which to keep. */
    int patience;
    int monitor_loss;
    struct train_best *best; /* patience > 0: the caller's, best->params of n_params floats */
    /* Called with the state to save (see train_state); the weights are
     * finite. Returns 0, or -1 with err filled: training stops with it. */
    int (*on_checkpoint)(void *user, const net_t *net, const struct train_state *s, err_t *err);
    void *ckpt_user;
} train_opts;

/* Early stopping's state: the best model so far and how long ago it was. */
typedef struct train_best {
    float *params;    /* (n_params) the weights after epoch `epoch` */
    int epoch;        /* 1-based; 0: no epoch evaluated yet */
    int since;        /* epochs evaluated after it, none better */
    double value;     /* its evaluation accuracy (or mean cost, monitor_loss) */
} train_best;

/* Where a run stands between two mini-batches: with the weights, all that
 * decides the rest of the run. */
typedef struct train_state {
    int epoch;        /* 1-based epoch in progress, whose shuffle is done */
    int step;         /* its mini-batches done, 0..n_batches (n_batches: epoch complete) */
    int n_batches;    /* mini-batches per epoch */
    int epochs;       /* the run's train.epochs, for messages */
    uint64_t rng;     /* the shuffling rng's state after this epoch's shuffle */
    int n_train;
    int *perm;        /* (n_train) this epoch's order; the next epoch shuffles it in place */
    double loss_sum;  /* the epoch's example costs summed so far (for its report) */
    int stopping;     /* 1: saved because *stop was set; 0: every checkpoint_every epochs */
    train_best *best; /* early stopping's state (checkpointed too); NULL when off */
    optim_state opt;  /* the optimizer's state: its kind must be opts->optim's */
} train_state;

/* train_run's return value when *opts->stop ended it. */
#define TRAIN_STOPPED 1
/* ... and when it paused after opts->pause_after epochs. */
#define TRAIN_PAUSED 3

/* What one epoch did, handed to the on_epoch hook. */
typedef struct {
    int epoch;            /* 1-based */
    int epochs;
    double train_loss;    /* mean cost over the epoch's training examples */
    double eval_loss;     /* mean cost on the evaluation set (-1 if none) */
    double eval_accuracy; /* the evaluation set's score (-1 if none): the fraction correct,
                           * or for a regression R² (what early stopping and sweeps rank) */
    int regression;       /* the evaluation set has targets: the three below are set */
    double eval_rmse, eval_mae, eval_r2; /* in the target's own units, averaged over targets */
    double learning_rate; /* the rate of the epoch's last mini-batch (lrsched.h) */
    double seconds;       /* wall time of the training part of the epoch */
    double augment_seconds; /* of which augmentation, CPU time summed over the threads (0 if off) */
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

/* Multiply-adds of a mini-batch's forward pass (batch size x parameters)
 * that make another thread worth its barriers. Below it a step takes
 * microseconds and a second thread costs more than it brings: on a 2-core
 * Zen 5 VM (2026-12-04, quiet, ex/s at 1 and 2 threads) 784-30-10 at
 * batch 10 (0.24M) ran 5x slower on two, 784-16-16-10 (0.13M) and digits
 * 64-100-10 at batch 32 (0.24M) no faster, while 784-100-10 at batch 32
 * (2.5M) ran 1.57x faster, 784-256-10 at 32 (6.5M) 1.55x and 784-128-10
 * at 128 (13M) 1.8x. (A Zen 4 once gained 1.2-1.3x at 0.24M: the
 * threshold is the machine's, and a wrong second thread costs more than a
 * wrong first one.) */
#define TRAIN_WORK_PER_THREAD 1048576.0

/* The threads a run uses: train.threads (0: every core), but no more than
 * its mini-batches' work keeps busy (TRAIN_WORK_PER_THREAD each). The
 * bits never depend on it (fused mode, and shards mode with determinism),
 * except in shards mode without determinism, which takes the threads as
 * asked. */
int train_threads(const train_opts *o, int batch_size, size_t n_params);

/* How many parts a batch of batch_size is split into: shards (shards mode)
 * or threads (fused mode, or shards mode without determinism). */
int train_parts(const train_opts *o, int batch_size, size_t n_params);

/* Trains net (already initialised, or loaded from a checkpoint with
 * opts->resume) on train; after each epoch evaluates on eval_set (may be
 * NULL). Input images are scaled to 0..1; targets are one-hot of the labels
 * (labels must be < the output size). Returns 0 when done, TRAIN_STOPPED
 * when *opts->stop stopped it (after on_checkpoint), TRAIN_PAUSED after
 * opts->pause_after epochs (after on_checkpoint), -1 with err filled on
 * an error. A mini-batch loss or weight that is not finite stops training
 * with an error naming the epoch and step; no checkpoint is written then. */
int train_run(net_t *net, const dataset *train, const dataset *eval_set,
              const train_opts *opts, const train_hooks *hooks, err_t *err);

/* scikit-learn's "balanced" class weights of d's labels over n_classes:
 * w_c = n / (n_classes * n_c), 0 for a class with no example. */
void train_balanced_weights(const dataset *d, int n_classes, float *w);

/* Estimated bytes of memory training needs beyond the loaded data: the
 * parameters, gradient buffers, workspaces and batch buffers. Computed in
 * double, so absurd sizes give a large number rather than overflowing. */
double train_memory_bytes(int n_layers, const int *sizes, const train_opts *o, int n_train);

/* Refuses (ERR_INPUT, with the estimate) sizes whose memory cannot be
 * allocated: more than size_t can address, or more than this machine's
 * physical memory together with data_bytes already loaded. */
int train_check_memory(int n_layers, const int *sizes, const train_opts *o, int n_train,
                       double data_bytes, err_t *err);

#endif
