/* report: what a person sees during and after training.
 *
 * A live progress bar with ETA (only when stderr is a terminal), one line per
 * epoch on stdout, and the same figures in a CSV metrics file. */
#ifndef NNTRAIN_REPORT_H
#define NNTRAIN_REPORT_H

#include <stdio.h>
#include "err.h"
#include "train.h"

typedef struct {
    FILE *metrics;     /* CSV, NULL if none */
    char metrics_path[1024]; /* its name, for messages */
    int progress;      /* draw the bar (stderr is a terminal and not quiet) */
    int quiet;         /* no per-epoch lines */
    double last_draw;  /* time of the last bar drawn, to rate-limit */
    double epoch_start;
} report_t;

/* Opens the metrics CSV (path "" = none) and writes its header. With
 * append (a resumed run), rows go after those already there, and the
 * header is written only if the file is new or empty. */
int report_open(report_t *r, const char *metrics_path, int quiet, int append, err_t *err);
int report_close(report_t *r, err_t *err);

/* train_hooks callbacks; user is a report_t *. */
void report_progress(void *user, int epoch, long long done, long long total, double loss);
int report_epoch(void *user, const train_epoch_stats *s);

/* Formats one epoch line (no newline) into buf, e.g.
 * "epoch  3/30  loss 0.0812  accuracy 95.31%  lr 0.1  12.4 s  48211 ex/s"
 * (lr: the learning rate of the epoch's last mini-batch). */
void report_format_epoch(const train_epoch_stats *s, char *buf, size_t n);

/* The CSV header and one row, as written to the metrics file. */
const char *report_csv_header(void);
void report_format_csv(const train_epoch_stats *s, char *buf, size_t n);

/* Seconds from a monotonic clock. */
double report_now(void);

#endif
