/* curves: learning curves from metrics CSV files (report.h) as an SVG chart.
 *
 * The chart has panels over the epoch axis: the loss (training loss as a
 * solid line, evaluation loss dashed) on top and, below, the evaluation
 * accuracy in percent, or for regression runs the evaluation R² on its own
 * plain scale (it may be negative). Regression runs get a third panel: the
 * evaluation RMSE (solid) and MAE (dashed) in the target's units, from 0
 * up (with several targets the CSV's figures are the means over the
 * targets, and the panel's title says so). One colour per run, and a
 * legend naming each run (its file name). Each series is one <polyline>
 * with one point per epoch that has a finite value (epochs without an
 * evaluation set, -1 or an empty eval_r2 in the CSV, are left out), with
 * a dot on every point so one-epoch runs still show. A classification
 * chart has the first two panels only. */
#ifndef NNTRAIN_CURVES_H
#define NNTRAIN_CURVES_H

#include "err.h"

#define CURVES_MAX_RUNS 64
#define CURVES_MAX_EPOCHS 1000000

typedef struct {
    char name[256];      /* legend text: the file name as given */
    int n;               /* rows */
    int *epoch;          /* n each */
    double *train_loss;
    double *eval_loss;   /* -1: none */
    double *eval_acc;    /* fraction 0..1; -1: none */
    double *eval_r2;     /* a regression's R² (any value up to 1); NaN: none (may be
                          * NULL when regression is 0) */
    double *eval_rmse;   /* a regression's RMSE and MAE in the target's units; NaN: none */
    double *eval_mae;    /* (both may be NULL when regression is 0) */
    int regression;      /* some row has an eval_r2 value: the second panel shows R²,
                          * a third RMSE and MAE */
    int faded;           /* drawn pale (a sweep's trial stopped early) */
} curves_run;

/* Reads a metrics CSV: a header naming at least the columns epoch,
 * train_loss, eval_loss and eval_accuracy (in any order; others are
 * ignored), then one row per epoch. The columns eval_r2, eval_rmse and
 * eval_mae (report.c writes them empty for classification, with figures
 * for a regression) are optional: a run with an R² is a regression
 * (run->regression). A file that mixes
 * rows with R² and rows with an accuracy but no R² is refused. Errors name
 * file:line (ERR_INPUT; a missing file is ERR_INPUT too). */
int curves_read_csv(const char *path, curves_run *run, err_t *err);
void curves_run_free(curves_run *run);

/* Writes the chart of runs[0..n_runs) to path, atomically (fsx_write_atomic;
 * ERR_RUNTIME on I/O errors, ERR_INPUT when there is nothing to draw, or
 * when the runs mix classification (an accuracy) and regression (R²): the
 * lower panel has one scale, so such runs are refused, naming one of each). */
int curves_write_svg(const char *path, const curves_run *runs, int n_runs, err_t *err);

#endif
