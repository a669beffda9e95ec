/* sweep: hyperparameter sweeps described in a config's `sweep:` section.
 *
 *   sweep:
 *     dir: runs/sweep-mnist        # one sub-directory per trial, plus the tables
 *     method: grid                 # grid (every combination) or random
 *     samples: 20                  # random: how many trials
 *     seed: 1                      # random: the sampling seed
 *     parallel: 0                  # trials at once (0: one per core), threads shared out
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
} sweep_result;

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
