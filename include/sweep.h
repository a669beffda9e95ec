/* sweep: hyperparameter sweeps described in a config's `sweep:` section.
 *
 *   sweep:
 *     dir: runs/sweep-mnist        # one sub-directory per trial, plus the tables
 *     method: grid                 # grid (every combination) or random
 *     samples: 20                  # random: how many trials
 *     seed: 1                      # random: the sampling seed
 *     parallel: 0                  # trials at once (0: one per core), threads shared out
 *     # or: method: halving / hyperband, min_epochs: 1, eta: 3 (trials: the
 *     # grid, or `samples` random draws when samples is given)
 *     params:
 *       train.learning_rate: [0.05, 0.1, 0.2]      # candidate values
 *       network.sizes: [[784, 100, 10], [784, 300, 10]]
 *       train.batch_size: {min: 8, max: 64, int: true}           # random only
 *       train.learning_rate: {min: 0.01, max: 1, scale: log}     # random only
 *
 * A trial is the base config (the file's other sections) with one value per
 * swept key applied as `-s key=value` would be. Every trial is checked
 * before any runs. sweep knows nothing of training: the caller passes a
 * function that runs one trial. */
#ifndef NNTRAIN_SWEEP_H
#define NNTRAIN_SWEEP_H

#include <stdint.h>
#include "cfg.h"
#include "err.h"

#define SWEEP_MAX_KEYS 16
#define SWEEP_MAX_VALUES 64
#define SWEEP_MAX_TRIALS 10000
#define SWEEP_VALUE_MAX 256
#define SWEEP_MAX_RUNGS 32

/* sweep_spec.schedule: every trial to train.epochs, or successive halving
 * (one bracket), or Hyperband (brackets of successive halving). */
#define SWEEP_FULL 0
#define SWEEP_HALVING 1
#define SWEEP_HYPERBAND 2

typedef struct {
    char key[48];                                  /* dotted config key */
    int line, col;                                 /* where the key is, for messages */
    int n_values;                                  /* candidates (0 for a range) */
    char values[SWEEP_MAX_VALUES][SWEEP_VALUE_MAX]; /* each as YAML text */
    int is_range;                                  /* {min, max}: random only */
    double lo, hi;
    int log_scale, integer;
} sweep_param;

typedef struct {
    char source[CFG_PATH_MAX];
    char dir[CFG_PATH_MAX];
    int random;        /* 0 grid, 1 random */
    int schedule;      /* SWEEP_FULL, SWEEP_HALVING, SWEEP_HYPERBAND */
    int min_epochs;    /* halving, hyperband: the smallest rung's epochs (default 1) */
    int eta;           /* halving, hyperband: 1/eta of a rung go on (default 3) */
    int method_line, method_col, min_line, min_col, eta_line, eta_col; /* for messages */
    int samples;       /* random */
    uint64_t seed;     /* random */
    int parallel;      /* trials at once (0: one per core), each in its own
                        * process with its share of the threads (results
                        * never depend on it) */
    int n_params;
    sweep_param params[SWEEP_MAX_KEYS];
} sweep_spec;

/* One trial: a value (YAML text) for each of the spec's params, in order. */
typedef struct {
    char values[SWEEP_MAX_KEYS][SWEEP_VALUE_MAX];
} sweep_trial;

/* What running one trial produced (filled by the caller's run function). */
typedef struct {
    double eval_accuracy;  /* final validation (or test) accuracy; with early stopping the kept model's */
    double best_accuracy;  /* best over the epochs */
    int best_epoch;
    double final_loss;     /* training loss of the last epoch */
    double test_accuracy;
    double seconds;
    /* halving / hyperband segments (sweep_seg_fn) */
    int paused;            /* 1: stopped at the rung's epoch, checkpoint written */
} sweep_result;

/* Successive halving and Hyperband, with synchronous rungs. The plan is a
 * function of the spec, the trial count and train.epochs only:
 *   bracket b has rungs 0..n_rungs-1 of epochs[k] epochs (the last one
 *   train.epochs) and keep[k] trials at rung k (keep[0]: its trials);
 *   trial i belongs to bracket of_trial[i].
 * Halving is one bracket: min_epochs, eta*min_epochs, ..., train.epochs,
 * keep[k+1] = max(1, keep[k] / eta). Hyperband (Li et al. 2018): with
 * s_max the largest s where min_epochs * eta^s <= train.epochs, brackets
 * s = s_max..0 start with n_s = ceil((s_max+1)/(s+1) * eta^s) trials at
 * floor(train.epochs / eta^s) epochs; the sweep's trials are shared out
 * over the brackets in proportion to n_s (interleaved: trial i goes to the
 * bracket furthest behind its share).
 *
 * Rung k of every bracket runs as one round: all its trials (parallel or
 * over the MPI ranks), then a barrier; the best keep[k+1] of a rung (by
 * the monitored validation metric at the rung's epoch as metrics.csv has
 * it, ties to the lower trial number) go on from their checkpoints. So
 * every decision depends on results alone, never on timing. Each finished
 * segment leaves trial-NNN/rung-K.csv: a rerun picks up where it stopped. */
typedef struct {
    int n_rungs;
    int epochs[SWEEP_MAX_RUNGS];
    int keep[SWEEP_MAX_RUNGS];
} sweep_bracket;

typedef struct {
    int n_brackets;
    sweep_bracket b[SWEEP_MAX_RUNGS];
    int n_trials;
    int *of_trial;     /* (n_trials) each trial's bracket */
    int epochs;        /* train.epochs */
} sweep_plan;

/* The plan for n trials of spec (schedule != SWEEP_FULL) and base's
 * train.epochs; errors at the sweep key's file:line:col. sweep_plan_free. */
int sweep_make_plan(const sweep_spec *s, const cfg_t *base, int n, sweep_plan *p, err_t *err);
void sweep_plan_free(sweep_plan *p);

/* One segment of a trial: train from the trial's checkpoint (when the file
 * exists) or afresh, and stop after pause_after epochs (0: to the end). */
typedef struct {
    int pause_after;
    const char *checkpoint;
    int rung;
} sweep_segment;

typedef int (*sweep_seg_fn)(const cfg_t *c, const char *dir, const sweep_segment *g,
                            sweep_result *r, void *user, err_t *err);

/* Called by every rank after each round with its status (0 or an exit
 * code); returns the status all agree on (non-zero if any failed). NULL
 * with one process. */
typedef int (*sweep_sync_fn)(int rc, void *user, err_t *err);

/* A halving or hyperband sweep's share of rank (of n_ranks, as
 * sweep_run_share), round by round; sync (NULL alone) meets the other
 * ranks after each. Rounds already on disk are skipped. */
int sweep_run_rungs(const sweep_spec *s, const cfg_t *base, int rank, int n_ranks,
                    sweep_seg_fn run, sweep_sync_fn sync, void *user, int *n_run, err_t *err);

/* After a halving or hyperband sweep: epochs spent in all, what the full
 * sweep would spend (trials x train.epochs), and stopped[i] = 1 for each
 * trial stopped before train.epochs (stopped may be NULL; n_trials
 * ints). */
int sweep_rung_summary(const sweep_spec *s, const cfg_t *base, long *spent, long *full,
                       int *stopped, err_t *err);

/* Reads the `sweep:` section of the YAML file at path. *found is 0 (and
 * nothing else happens) when the file has none. */
int sweep_load(const char *path, sweep_spec *s, int *found, err_t *err);

/* The trials: every combination (grid) or `samples` draws (random, from the
 * spec's seed). Each is applied to a copy of base and validated; errors name
 * the sweep entry's file:line:col. Allocates *trials (free()). */
int sweep_expand(const sweep_spec *s, const cfg_t *base, sweep_trial **trials, int *n,
                 err_t *err);

/* How many trials the spec makes; -1 when a grid has more than
 * SWEEP_MAX_TRIALS. */
int sweep_trial_count(const sweep_spec *s);

/* base with trial t's values applied (and validated). */
int sweep_apply(const sweep_spec *s, const sweep_trial *t, const cfg_t *base, cfg_t *out,
                err_t *err);

/* Runs one trial whose config is c, writing in dir; fills r. */
typedef int (*sweep_run_fn)(const cfg_t *c, const char *dir, sweep_result *r, void *user,
                            err_t *err);

/* Runs every trial not yet finished (a trial is finished when its
 * directory holds result.csv: an interrupted sweep resumes), then writes
 * the tables (sweep_write_results). Each trial's directory gets
 * config.yaml, and output.model / output.metrics point into it. *n_run
 * counts the trials run now (the rest were done before). */
int sweep_run(const sweep_spec *s, const cfg_t *base, sweep_run_fn run, void *user,
              int *n_run, err_t *err);

/* sweep_run's first half, for one of n_ranks processes sharing a sweep
 * (the ranks of an MPI job): runs the unfinished trials i with
 * i % n_ranks == rank, and writes no table. With n_ranks > 1 they run in
 * this process one after another (`parallel` is not used: no fork inside
 * an MPI job); with rank 0 of 1 this is every trial, `parallel` at once. */
int sweep_run_share(const sweep_spec *s, const cfg_t *base, int rank, int n_ranks,
                    sweep_run_fn run, void *user, int *n_run, err_t *err);

/* sweep_run's second half: reads every trial's result.csv (whoever ran it)
 * and writes dir/results.csv and dir/results.md (sorted by validation
 * accuracy, best first) and dir/best.yaml, the best trial's whole config.
 * A trial without a result is an error naming it. Every file a sweep
 * writes (these, and each trial's config.yaml and result.csv) is written
 * whole or not at all (fsx_write_atomic). */
int sweep_write_results(const sweep_spec *s, const cfg_t *base, err_t *err);

/* The signal (SIGINT, SIGTERM) that stopped the last sweep_run of
 * parallel trials, or 0. */
int sweep_stop_signal(void);

#endif
