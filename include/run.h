/* run: the hand-off from a validated config to one finished training run.
 *
 * One run is four named steps, each a short function:
 *
 *   run_setup   read the data, build the training options from the config
 *               (run_train_opts), check memory and output paths, create
 *               the network and initialise it, or load it from --resume's
 *               checkpoint;
 *   run_train   train_run with checkpoints (output.checkpoint);
 *   run_finish  keep early stopping's best weights, save the last model
 *               when asked, evaluate on the test set, save the model;
 *   run_free.
 *
 * This module prints nothing, never exits and installs no signal handler:
 * progress and epoch figures go to the caller's hooks (train_hooks), a stop
 * request comes in through args->stop, and errors come back in err_t. The
 * command (src/cmd_train.c) prints; a library caller can do otherwise.
 *
 * Under MPI every rank of the group runs the same steps with the same
 * arguments; only args->write_files (rank 0) writes checkpoints and the
 * model and evaluates on the test set. */
#ifndef NNTRAIN_RUN_H
#define NNTRAIN_RUN_H

#include <signal.h>
#include <stdint.h>
#include "cfg.h"
#include "ckpt.h"
#include "err.h"
#include "eval.h"
#include "idx.h"
#include "net.h"
#include "prep.h"
#include "reduce.h"
#include "train.h"

/* Training options from a validated config: every train_opts field that a
 * config key decides, set by name. The caller's fields (group, stop,
 * resume, checkpoint hook, best buffer) are left zero. */
void run_train_opts(const cfg_t *c, train_opts *o);

/* What the caller decides about a run beyond its config. */
typedef struct {
    const char *resume;                /* --resume: a checkpoint or a directory of them; NULL: afresh */
    const volatile sig_atomic_t *stop; /* non-zero: stop after the mini-batch (NULL: never) */
    const reduce_group *group;         /* the MPI ranks training this model together; NULL: alone */
    int write_files;                   /* this process writes checkpoints and the model, and
                                        * evaluates on the test set (rank 0) */
    int pause_after;                   /* > 0: stop after this epoch with a checkpoint
                                        * (train_opts.pause_after; a sweep's rung) */
    const table *train_table;          /* a table in memory to train on instead of the
                                        * config's data files (the library's arrays); NULL: none */
    const table *test_table;           /* ... and its test set (NULL: data.test_fraction of it) */
} run_args;

typedef struct {
    const cfg_t *cfg;            /* the run's own copy: a table's sizes come from its data */
    run_args args;
    prep_t prep;                 /* a table's preprocessing (has_prep), saved with the model */
    int has_prep;
    dataset train, test;     /* as read from the files */
    dataset fit, val;        /* views of train: val is its last data.validation examples */
    const dataset *eval_set; /* what each epoch is evaluated on: val, or test without one */
    net_t net;
    train_opts opts;
    train_best best;             /* early stopping's best weights (train.patience > 0) */
    float *class_w;              /* train.class_weights: balanced, each class's weight */
    char *config_text;           /* the checkpoint's identity (ckpt_config_text); NULL when
                                  * nothing compares it: no checkpoint, resume or MPI */

    /* Checkpoints. */
    char ckpt_path[CFG_PATH_MAX + 32]; /* where they go; "" = none */
    char resume_path[CFG_PATH_MAX * 2]; /* the one resumed from, when args.resume */
    ckpt_t resumed;
    int ckpt_epoch, ckpt_step;   /* the last position handed to the checkpoint hook */
    int ckpt_saved;              /* a checkpoint exists at ckpt_path (this run's or resumed) */

    /* What training reached (run_train). */
    double best_accuracy;        /* the best evaluation accuracy of any epoch, and when */
    int best_epoch;
    double final_loss;           /* the last epoch's training loss */
    double final_accuracy;       /* the kept model's evaluation accuracy (run_finish: the
                                  * best epoch's, with early stopping) */

    /* What run_finish did, in order, so the caller can say it. */
    int last_saved;              /* output.save_last: the last epoch's model at last_path */
    char last_path[CFG_PATH_MAX + 8];
    int tested;                  /* the test_* figures are set */
    double test_accuracy;        /* the score: accuracy, or R² for a regression */
    int test_correct, test_n;
    double test_f1, test_log_loss;             /* classification */
    int regression;
    double test_rmse, test_mae, test_r2;       /* regression, in the target's units */
    int model_saved;             /* written to output.model */
} run_t;

/* The first step: everything before training (see above). r is zeroed
 * first. On error r still needs run_free. */
int run_setup(run_t *r, const cfg_t *c, const run_args *args, err_t *err);

/* A digest of what every MPI rank must share before training: the
 * training data (inside the config text) and the starting weights. */
uint64_t run_hash(const run_t *r);

/* Trains; hooks (may be NULL) see the progress and each epoch. Returns 0,
 * TRAIN_STOPPED when args->stop stopped it (after a checkpoint, when
 * output.checkpoint is set), TRAIN_PAUSED after args->pause_after epochs
 * (likewise), or -1 with err filled (naming the checkpoint
 * resumed from, or the last one written, when that helps). */
int run_train(run_t *r, const train_hooks *hooks, err_t *err);

/* After run_train returned 0, on the process that writes files: keeps the
 * best weights (early stopping), saves output.model's ".last" copy when
 * asked, evaluates on the test set, saves the model. 0, or -1 with err;
 * the flags above say how far it got. */
int run_finish(run_t *r, err_t *err);

void run_free(run_t *r);

#endif
