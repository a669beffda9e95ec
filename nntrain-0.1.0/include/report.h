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
    /* The metrics CSV's whole text (header and every row so far), rewritten
     * atomically each epoch; NULL if there is no metrics file. */
    char *metrics;
    size_t metrics_len, metrics_cap;
    char metrics_path[1024]; /* its name, for messages */
    int metrics_behind;      /* the last write failed: the file lacks rows */
    int metrics_lost;        /* a row could not be kept (out of memory) */
    err_t metrics_err;       /* why, when behind or lost */
    int progress;      /* draw the bar (stderr is a terminal and not quiet) */
    int quiet;         /* no per-epoch lines */
    double last_draw;  /* time of the last bar drawn, to rate-limit */
    double epoch_start;
} report_t;

/* Opens the metrics CSV (path "" = none) and writes its header. With
 * append (a resumed run), rows go after those already there, and the
 * header is written only if the file is new or empty.
 *
 * The file is small (one row an epoch), so it is rewritten whole each
 * epoch by fsx_write_atomic: a crash, a full disk or a failed write never
 * leaves a half row or loses rows already there. A failed epoch write is
 * reported once on stderr and retried at the next epoch and at
 * report_close, which returns the error (naming the file) only if the file
 * still lacks rows. */
int report_open(report_t *r, const char *metrics_path, int quiet, int append, err_t *err);
/* Writes what is still missing, frees the text; always leaves r closed. */
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
