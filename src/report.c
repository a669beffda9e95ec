/* report: see include/report.h. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsx.h"

#define BAR_WIDTH 30
#define REDRAW_SECONDS 0.2

double report_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *report_csv_header(void)
{
    return "epoch,train_loss,eval_loss,eval_accuracy,seconds,examples_per_s,learning_rate,augment_seconds,"
           "eval_rmse,eval_mae,eval_r2";
}

void report_format_csv(const train_epoch_stats *s, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%d,%.6f,%.6f,%.6f,%.4f,%.1f,%.6g,%.4f", s->epoch, s->train_loss,
                     s->eval_loss, s->eval_accuracy, s->seconds, s->examples_per_s,
                     s->learning_rate, s->augment_seconds);
    /* A regression's figures in the target's units; empty for classes. */
    if (w >= 0 && (size_t)w < n)
        snprintf(buf + w, n - w, s->regression ? ",%.6g,%.6g,%.6f" : ",,,", s->eval_rmse,
                 s->eval_mae, s->eval_r2);
}

void report_format_epoch(const train_epoch_stats *s, char *buf, size_t n)
{
    int w = snprintf(buf, n, "epoch %*d/%d  loss %.4f", s->epochs >= 100 ? 3 : s->epochs >= 10 ? 2 : 1,
                     s->epoch, s->epochs, s->train_loss);
    if (s->regression && w >= 0 && (size_t)w < n)
        w += snprintf(buf + w, n - w, "  rmse %.4g  r2 %.4f", s->eval_rmse, s->eval_r2);
    else if (s->eval_accuracy >= 0 && w >= 0 && (size_t)w < n)
        w += snprintf(buf + w, n - w, "  accuracy %6.2f%%", 100.0 * s->eval_accuracy);
    if (w >= 0 && (size_t)w < n)
        w += snprintf(buf + w, n - w, "  lr %.4g", s->learning_rate);
    if (w >= 0 && (size_t)w < n)
        w += snprintf(buf + w, n - w, "  %.1f s  %.0f ex/s", s->seconds, s->examples_per_s);
    /* Augmentation's share: CPU seconds of all threads, so against the
     * epoch's wall time times the thread count. */
    if (s->augment_seconds > 0 && w >= 0 && (size_t)w < n)
        snprintf(buf + w, n - w, "  augment %.1f s", s->augment_seconds);
}

/* ---- the metrics file --------------------------------------------------
 *
 * Why rewrite the whole file each epoch instead of appending a line: the
 * file is small (about 80 bytes an epoch: 1000 epochs are 80 KB), and an
 * atomic rewrite (fsx_write_atomic) is the one way every other output is
 * written, with its guarantees. Appending could leave a half row on a full
 * disk or at a crash, and a resumed run would then append after it; a
 * failed rewrite leaves the previous file whole, and the next epoch's
 * rewrite carries every row, so a disk that fills up for a while loses
 * nothing. A reader (nntrain plot, a person) always sees whole rows. The
 * cost is one small write and an fsync an epoch. */

/* Appends n bytes of s to the text; -1 when out of memory. */
static int add_text(report_t *r, const char *s, size_t n)
{
    if (r->metrics_len + n + 1 > r->metrics_cap) {
        size_t cap = r->metrics_cap ? r->metrics_cap : 4096;
        while (cap < r->metrics_len + n + 1)
            cap *= 2;
        char *p = realloc(r->metrics, cap);
        if (!p)
            return -1;
        r->metrics = p;
        r->metrics_cap = cap;
    }
    memcpy(r->metrics + r->metrics_len, s, n);
    r->metrics_len += n;
    r->metrics[r->metrics_len] = '\0';
    return 0;
}

/* The rows of the run being resumed, as they are in the file (none if
 * there is no file yet). */
static int read_existing(report_t *r, err_t *err)
{
    FILE *f = fopen(r->metrics_path, "rb");
    if (!f)
        return errno == ENOENT ? 0
                               : err_set(err, ERR_RUNTIME, "%s: cannot read the metrics file: %s",
                                         r->metrics_path, strerror(errno));
    char buf[4096];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, f)) > 0)
        if (add_text(r, buf, n) != 0)
            rc = err_set(err, ERR_RUNTIME, "%s: out of memory reading the metrics file",
                         r->metrics_path);
    if (rc == 0 && ferror(f))
        rc = err_set(err, ERR_RUNTIME, "%s: cannot read the metrics file: %s", r->metrics_path,
                     strerror(errno));
    fclose(f);
    return rc;
}

static int write_metrics(report_t *r, err_t *err)
{
    return fsx_write_bytes(r->metrics_path, "metrics file", r->metrics, r->metrics_len, err);
}

int report_open(report_t *r, const char *metrics_path, int quiet, int append, err_t *err)
{
    memset(r, 0, sizeof *r);
    r->quiet = quiet;
    r->progress = !quiet && isatty(STDERR_FILENO);
    if (!metrics_path || !metrics_path[0])
        return 0;
    snprintf(r->metrics_path, sizeof r->metrics_path, "%s", metrics_path);
    const char *header = report_csv_header();
    int rc = append ? read_existing(r, err) : 0;
    if (rc == 0 && r->metrics_len == 0 && /* new or empty: the header first */
        (add_text(r, header, strlen(header)) != 0 || add_text(r, "\n", 1) != 0))
        rc = err_set(err, ERR_RUNTIME, "%s: out of memory", metrics_path);
    if (rc == 0)
        rc = write_metrics(r, err);
    if (rc != 0) {
        free(r->metrics);
        r->metrics = NULL;
    }
    return rc;
}

int report_close(report_t *r, err_t *err)
{
    int rc = 0;
    if (r->metrics) {
        if (r->metrics_behind && write_metrics(r, &r->metrics_err) == 0)
            r->metrics_behind = 0;
        if (r->metrics_behind || r->metrics_lost) {
            if (err)
                *err = r->metrics_err;
            rc = -1;
        }
    }
    free(r->metrics);
    r->metrics = NULL;
    r->metrics_len = r->metrics_cap = 0;
    return rc;
}

void report_progress(void *user, int epoch, long long done, long long total, double loss)
{
    report_t *r = user;
    if (!r->progress)
        return;
    double now = report_now();
    if (done == 0 || r->epoch_start == 0.0)
        r->epoch_start = now;
    if (now - r->last_draw < REDRAW_SECONDS && done < total)
        return;
    r->last_draw = now;
    double frac = total > 0 ? (double)done / total : 0.0;
    double elapsed = now - r->epoch_start;
    double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
    char bar[BAR_WIDTH + 1];
    int filled = (int)(frac * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\repoch %d [%s] %5.1f%%  loss %.4f  ETA %4.0f s ", epoch, bar,
            100.0 * frac, loss, eta);
    fflush(stderr);
}

int report_epoch(void *user, const train_epoch_stats *s)
{
    report_t *r = user;
    char line[256];
    if (r->progress)
        fprintf(stderr, "\r%*s\r", BAR_WIDTH + 50, "");
    r->epoch_start = 0.0;
    if (!r->quiet) {
        report_format_epoch(s, line, sizeof line);
        printf("%s\n", line);
        fflush(stdout);
    }
    if (r->metrics) {
        /* Written every epoch, so a crash loses at most the epoch in flight.
         * A failure cannot be returned here (non-zero means "stop early"):
         * it is said once and kept for report_close. */
        report_format_csv(s, line, sizeof line);
        size_t n = strlen(line);
        line[n++] = '\n';
        if (!r->metrics_lost && add_text(r, line, n) != 0) {
            r->metrics_lost = 1;
            err_set(&r->metrics_err, ERR_RUNTIME, "%s: out of memory: epoch %d and later are "
                    "not in the metrics file", r->metrics_path, s->epoch);
            fprintf(stderr, "warning: %s\n", r->metrics_err.msg);
        }
        if (!r->metrics_lost) {
            int was_behind = r->metrics_behind;
            r->metrics_behind = write_metrics(r, &r->metrics_err) != 0;
            if (r->metrics_behind && !was_behind)
                fprintf(stderr, "warning: %s (retried each epoch)\n", r->metrics_err.msg);
        }
    }
    return 0;
}
