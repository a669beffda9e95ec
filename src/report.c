/* report: see include/report.h. */
#include "report.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    return "epoch,train_loss,eval_loss,eval_accuracy,seconds,examples_per_s,learning_rate,augment_seconds";
}

void report_format_csv(const train_epoch_stats *s, char *buf, size_t n)
{
    snprintf(buf, n, "%d,%.6f,%.6f,%.6f,%.4f,%.1f,%.6g,%.4f", s->epoch, s->train_loss,
             s->eval_loss, s->eval_accuracy, s->seconds, s->examples_per_s, s->learning_rate,
             s->augment_seconds);
}

void report_format_epoch(const train_epoch_stats *s, char *buf, size_t n)
{
    int w = snprintf(buf, n, "epoch %*d/%d  loss %.4f", s->epochs >= 100 ? 3 : s->epochs >= 10 ? 2 : 1,
                     s->epoch, s->epochs, s->train_loss);
    if (s->eval_accuracy >= 0 && w >= 0 && (size_t)w < n)
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

int report_open(report_t *r, const char *metrics_path, int quiet, int append, err_t *err)
{
    memset(r, 0, sizeof *r);
    r->quiet = quiet;
    r->progress = !quiet && isatty(STDERR_FILENO);
    if (metrics_path && metrics_path[0]) {
        snprintf(r->metrics_path, sizeof r->metrics_path, "%s", metrics_path);
        r->metrics = fopen(metrics_path, append ? "a" : "w");
        if (!r->metrics)
            return err_set(err, ERR_RUNTIME, "%s: cannot write the metrics file: %s",
                           metrics_path, strerror(errno));
        if (ftell(r->metrics) == 0) /* "a" starts at the end: 0 means empty */
            fprintf(r->metrics, "%s\n", report_csv_header());
        fflush(r->metrics);
    }
    return 0;
}

int report_close(report_t *r, err_t *err)
{
    int rc = 0;
    if (r->metrics) {
        errno = 0;
        int failed = ferror(r->metrics);
        failed |= fclose(r->metrics);
        if (failed)
            rc = err_set(err, ERR_RUNTIME, "%s: writing the metrics file failed%s%s",
                         r->metrics_path, errno ? ": " : "", errno ? strerror(errno) : "");
    }
    r->metrics = NULL;
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
        report_format_csv(s, line, sizeof line);
        fprintf(r->metrics, "%s\n", line);
        /* Flushed every epoch so a crash loses at most the epoch in flight. */
        fflush(r->metrics);
    }
    return 0;
}
