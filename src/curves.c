/* curves: see include/curves.h. */
#include "curves.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"

/* ---- reading ------------------------------------------------------------- */

void curves_run_free(curves_run *run)
{
    free(run->epoch);
    free(run->train_loss);
    free(run->eval_loss);
    free(run->eval_acc);
    free(run->eval_r2);
    free(run->eval_rmse);
    free(run->eval_mae);
    run->epoch = NULL;
    run->train_loss = run->eval_loss = run->eval_acc = run->eval_r2 = NULL;
    run->eval_rmse = run->eval_mae = NULL;
    run->n = 0;
    run->regression = 0;
}

/* Splits line at commas in place (stripping the line end); returns the
 * number of fields, at most max. */
static int split(char *line, char **fields, int max)
{
    line[strcspn(line, "\r\n")] = '\0';
    int n = 0;
    for (char *p = line;; p++) {
        if (n < max)
            fields[n] = p;
        n++;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = '\0';
    }
    return n;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && errno != ERANGE ? 0 : -1;
}

/* *p resized to n doubles; -1 (and *p as it was) when out of memory. */
static int grow(double **p, int n)
{
    double *q = realloc(*p, (size_t)n * sizeof *q);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

/* A regression's optional field (column col, -1: the file has none):
 * NAN when absent or empty, else its number; -1 if it is not one. */
static int optional_double(char **fields, int col, const char *name, const char *path,
                           int lineno, double *out, err_t *err)
{
    *out = NAN;
    if (col < 0 || fields[col][0] == '\0')
        return 0;
    if (parse_double(fields[col], out) != 0)
        return err_set(err, ERR_INPUT, "%s:%d: %s '%s' is not a number", path, lineno, name,
                       fields[col]);
    return 0;
}

enum { COL_EPOCH, COL_TRAIN_LOSS, COL_EVAL_LOSS, COL_EVAL_ACC, N_COLS };
static const char *const col_names[N_COLS] = {"epoch", "train_loss", "eval_loss", "eval_accuracy"};

#define MAX_FIELDS 64

int curves_read_csv(const char *path, curves_run *run, err_t *err)
{
    memset(run, 0, sizeof *run);
    snprintf(run->name, sizeof run->name, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: %s", path, strerror(errno));
    char *line = NULL, *fields[MAX_FIELDS];
    size_t cap = 0;
    int col[N_COLS], n_fields = 0, lineno = 0, rc = -1, alloc = 0;
    int col_r2 = -1, col_rmse = -1, col_mae = -1; /* optional: older files lack them */
    int r2_line = 0, acc_line = 0; /* a row with R², a row with an accuracy but no R² */

    if (getline(&line, &cap, f) < 0) {
        err_set(err, ERR_INPUT, "%s: empty file, expected a metrics CSV header", path);
        goto done;
    }
    lineno = 1;
    n_fields = split(line, fields, MAX_FIELDS);
    if (n_fields > MAX_FIELDS) {
        err_set(err, ERR_INPUT, "%s:1: more than %d columns", path, MAX_FIELDS);
        goto done;
    }
    for (int c = 0; c < N_COLS; c++) {
        col[c] = -1;
        for (int k = 0; k < n_fields; k++)
            if (strcmp(fields[k], col_names[c]) == 0)
                col[c] = k;
        if (col[c] < 0) {
            err_set(err, ERR_INPUT, "%s:1: no '%s' column: not a metrics CSV written by nntrain (header %s)",
                    path, col_names[c], "epoch,train_loss,eval_loss,eval_accuracy,...");
            goto done;
        }
    }
    for (int k = 0; k < n_fields; k++)
        if (strcmp(fields[k], "eval_r2") == 0)
            col_r2 = k;
        else if (strcmp(fields[k], "eval_rmse") == 0)
            col_rmse = k;
        else if (strcmp(fields[k], "eval_mae") == 0)
            col_mae = k;

    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue; /* blank line */
        int n = split(line, fields, MAX_FIELDS);
        if (n != n_fields) {
            err_set(err, ERR_INPUT, "%s:%d: %d values, expected %d as in the header", path, lineno,
                    n, n_fields);
            goto done;
        }
        if (run->n == alloc) {
            if (alloc >= CURVES_MAX_EPOCHS) {
                err_set(err, ERR_INPUT, "%s:%d: more than %d rows", path, lineno, CURVES_MAX_EPOCHS);
                goto done;
            }
            alloc = alloc ? 2 * alloc : 64;
            int *e = realloc(run->epoch, (size_t)alloc * sizeof *e);
            if (e)
                run->epoch = e;
            if (!e || grow(&run->train_loss, alloc) || grow(&run->eval_loss, alloc) ||
                grow(&run->eval_acc, alloc) || grow(&run->eval_r2, alloc) ||
                grow(&run->eval_rmse, alloc) || grow(&run->eval_mae, alloc)) {
                err_set(err, ERR_RUNTIME, "%s: out of memory", path);
                goto done;
            }
        }
        double v[N_COLS];
        for (int c = 0; c < N_COLS; c++)
            if (parse_double(fields[col[c]], &v[c]) != 0) {
                err_set(err, ERR_INPUT, "%s:%d: %s '%s' is not a number", path, lineno,
                        col_names[c], fields[col[c]]);
                goto done;
            }
        if (!(v[COL_EPOCH] >= 0 && v[COL_EPOCH] <= CURVES_MAX_EPOCHS) ||
            v[COL_EPOCH] != floor(v[COL_EPOCH])) {
            err_set(err, ERR_INPUT, "%s:%d: epoch '%s' is not a whole number 0..%d", path, lineno,
                    fields[col[COL_EPOCH]], CURVES_MAX_EPOCHS);
            goto done;
        }
        run->epoch[run->n] = (int)v[COL_EPOCH];
        run->train_loss[run->n] = v[COL_TRAIN_LOSS];
        run->eval_loss[run->n] = v[COL_EVAL_LOSS];
        run->eval_acc[run->n] = v[COL_EVAL_ACC];
        /* A regression's R² (report.c leaves the field empty for classes). */
        double r2, rmse, mae;
        if (optional_double(fields, col_r2, "eval_r2", path, lineno, &r2, err) != 0 ||
            optional_double(fields, col_rmse, "eval_rmse", path, lineno, &rmse, err) != 0 ||
            optional_double(fields, col_mae, "eval_mae", path, lineno, &mae, err) != 0)
            goto done;
        if (!isnan(r2)) {
            if (!r2_line)
                r2_line = lineno;
        } else if (isfinite(v[COL_EVAL_ACC]) && v[COL_EVAL_ACC] >= 0 && !acc_line) {
            acc_line = lineno;
        }
        if (r2_line && acc_line) {
            err_set(err, ERR_INPUT, "%s:%d: line %d has a regression's eval_r2 but line %d only a "
                    "classification's eval_accuracy: one file, one kind of run", path,
                    r2_line > acc_line ? r2_line : acc_line, r2_line, acc_line);
            goto done;
        }
        run->eval_r2[run->n] = r2;
        run->eval_rmse[run->n] = rmse;
        run->eval_mae[run->n] = mae;
        run->n++;
    }
    if (ferror(f)) {
        err_set(err, ERR_RUNTIME, "%s: read error: %s", path, strerror(errno));
        goto done;
    }
    run->regression = r2_line > 0;
    rc = 0;
done:
    free(line);
    fclose(f);
    if (rc != 0)
        curves_run_free(run);
    return rc;
}

/* ---- drawing ------------------------------------------------------------- */

/* Geometry of the chart, in SVG user units (pixels). */
#define CH_LEFT 80      /* left edge of the plot areas */
#define CH_WIDTH 600    /* width of the plot areas */
#define CH_TOP 40       /* top of the first panel */
#define CH_PANEL 230    /* height of each panel */
#define CH_SPACING 90   /* between the panels */
#define CH_BOTTOM 60    /* under the last panel */
#define CH_LEGEND_X (CH_LEFT + CH_WIDTH + 30)

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define N_PALETTE (int)(sizeof palette / sizeof palette[0])

/* An axis: data range [lo, hi] and the tick step. */
typedef struct {
    double lo, hi, step;
} axis;

/* 1, 2 or 5 times a power of ten, near x. */
static double nice_step(double x)
{
    double p = pow(10, floor(log10(x))), f = x / p;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

/* Rounds [lo, hi] out to about five ticks. min_step: 1 for epochs. */
static axis make_axis(double lo, double hi, double min_step)
{
    if (hi - lo < 1e-9 * (fabs(hi) > 1 ? fabs(hi) : 1)) {
        double pad = lo != 0 ? 0.1 * fabs(lo) : 1;
        lo -= pad;
        hi += pad;
    }
    axis a;
    a.step = nice_step((hi - lo) / 5);
    if (a.step < min_step)
        a.step = min_step;
    a.lo = floor(lo / a.step + 1e-9) * a.step;
    a.hi = ceil(hi / a.step - 1e-9) * a.step;
    return a;
}

static int tick_decimals(double step)
{
    return step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
}

static double map(double v, const axis *a, double from, double to)
{
    return from + (v - a->lo) / (a->hi - a->lo) * (to - from);
}

/* Writes s with &, <, >, " and ' escaped. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Which value of a run a series shows. */
enum { SER_TRAIN_LOSS, SER_EVAL_LOSS, SER_EVAL_ACC, SER_EVAL_RMSE, SER_EVAL_MAE };

/* The series' value at row i, or NAN when it has none there: the
 * accuracy in percent, or a regression's R² as it is (negative too), and
 * a regression's RMSE and MAE in the target's units. */
static double series_value(const curves_run *r, int ser, int i)
{
    if (ser == SER_EVAL_RMSE || ser == SER_EVAL_MAE) {
        double v = !r->regression ? NAN : ser == SER_EVAL_RMSE ? r->eval_rmse[i] : r->eval_mae[i];
        return isfinite(v) ? v : NAN;
    }
    if (ser == SER_EVAL_ACC && r->regression)
        return isfinite(r->eval_r2[i]) ? r->eval_r2[i] : NAN;
    double v = ser == SER_TRAIN_LOSS ? r->train_loss[i]
             : ser == SER_EVAL_LOSS  ? r->eval_loss[i]
                                     : r->eval_acc[i];
    if (!isfinite(v) || (ser != SER_TRAIN_LOSS && v < 0)) /* -1: no evaluation set */
        return NAN;
    return ser == SER_EVAL_ACC ? 100 * v : v;
}

/* The range of some series over every run; 0 if none has a value. */
static int series_range(const curves_run *runs, int n_runs, int ser_lo, int ser_hi, double *lo,
                        double *hi)
{
    int any = 0;
    for (int k = 0; k < n_runs; k++)
        for (int s = ser_lo; s <= ser_hi; s++)
            for (int i = 0; i < runs[k].n; i++) {
                double v = series_value(&runs[k], s, i);
                if (isnan(v))
                    continue;
                if (!any || v < *lo)
                    *lo = v;
                if (!any || v > *hi)
                    *hi = v;
                any = 1;
            }
    return any;
}

/* One panel: frame, grid, ticks, labels and the series ser_lo..ser_hi of
 * every run (the second one dashed). */
static void panel(FILE *f, const curves_run *runs, int n_runs, const axis *x, const axis *y,
                  int top, const char *title, int ser_lo, int ser_hi)
{
    int bottom = top + CH_PANEL, right = CH_LEFT + CH_WIDTH;
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">", CH_LEFT, top - 12);
    xml_text(f, title);
    fprintf(f, "</text>\n");
    int dx = tick_decimals(x->step), dy = tick_decimals(y->step);
    for (int k = 0; x->lo + k * x->step <= x->hi + 1e-9 * x->step; k++) {
        double v = x->lo + k * x->step, px = map(v, x, CH_LEFT, right);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e5e5e5\"/>\n", px,
                top, px, bottom);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>\n", px,
                bottom, px, bottom + 5);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%.*f</text>\n",
                px, bottom + 18, dx, v);
    }
    for (int k = 0; y->lo + k * y->step <= y->hi + 1e-9 * y->step; k++) {
        double v = y->lo + k * y->step, py = map(v, y, bottom, top);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n",
                CH_LEFT, py, right, py);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\"/>\n",
                CH_LEFT - 5, py, CH_LEFT, py);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%.*f</text>\n",
                CH_LEFT - 8, py + 4, dy, v);
    }
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n",
            CH_LEFT, top, CH_WIDTH, CH_PANEL);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">epoch</text>\n",
            CH_LEFT + CH_WIDTH / 2, bottom + 36);

    for (int k = 0; k < n_runs; k++) {
        const char *colour = palette[k % N_PALETTE];
        for (int s = ser_lo; s <= ser_hi; s++) {
            int n_pts = 0;
            for (int i = 0; i < runs[k].n; i++)
                n_pts += !isnan(series_value(&runs[k], s, i));
            if (n_pts == 0)
                continue;
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s points=\"",
                    colour, s > ser_lo ? " stroke-dasharray=\"6,4\"" : "",
                    runs[k].faded ? " stroke-opacity=\"0.25\"" : "");
            const char *sep = "";
            for (int i = 0; i < runs[k].n; i++) {
                double v = series_value(&runs[k], s, i);
                if (isnan(v))
                    continue;
                fprintf(f, "%s%.1f,%.1f", sep, map(runs[k].epoch[i], x, CH_LEFT, right),
                        map(v, y, bottom, top));
                sep = " ";
            }
            fprintf(f, "\"/>\n");
            for (int i = 0; i < runs[k].n; i++) {
                double v = series_value(&runs[k], s, i);
                if (!isnan(v))
                    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n",
                            map(runs[k].epoch[i], x, CH_LEFT, right), map(v, y, bottom, top),
                            colour);
            }
        }
    }
}

/* What write_svg draws: the runs and the layout curves_write_svg chose. */
typedef struct {
    const curves_run *runs;
    int n_runs;
    const axis *x, *yl, *ya, *ye;
    int width, height, top2;
    const char *score_title; /* the second panel's: accuracy or R² */
    int top3;                /* a regression's third panel, RMSE and MAE (ye); 0: none */
} svg_args;

/* The metrics CSV's eval_rmse and eval_mae are each the mean over a
 * regression's targets (report.h): one target's own with one target. */
#define ERROR_TITLE "evaluation RMSE (solid), MAE (dashed): target units, mean of targets"

/* The whole SVG file: fsx_write_atomic's callback. Its fprintfs are not
 * checked one by one: fsx checks the stream's error flag after. */
static int write_svg(FILE *f, const void *user)
{
    const svg_args *a = user;
    const curves_run *runs = a->runs;
    int n_runs = a->n_runs, width = a->width, height = a->height;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n", width, height, width, height);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    panel(f, runs, n_runs, a->x, a->yl, CH_TOP, "loss (solid: training, dashed: evaluation)",
          SER_TRAIN_LOSS, SER_EVAL_LOSS);
    panel(f, runs, n_runs, a->x, a->ya, a->top2, a->score_title, SER_EVAL_ACC, SER_EVAL_ACC);
    if (a->top3)
        panel(f, runs, n_runs, a->x, a->ye, a->top3, ERROR_TITLE, SER_EVAL_RMSE, SER_EVAL_MAE);
    for (int k = 0; k < n_runs; k++) {
        int y = CH_TOP + 10 + 20 * k;
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"%s/>\n",
                CH_LEGEND_X, y, CH_LEGEND_X + 28, y, palette[k % N_PALETTE],
                runs[k].faded ? " stroke-opacity=\"0.25\"" : "");
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">", CH_LEGEND_X + 36, y + 4);
        xml_text(f, runs[k].name);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>\n");
    return 0;
}

int curves_write_svg(const char *path, const curves_run *runs, int n_runs, err_t *err)
{
    if (n_runs < 1 || n_runs > CURVES_MAX_RUNS)
        return err_set(err, ERR_INPUT, "%d metrics files: give 1..%d", n_runs, CURVES_MAX_RUNS);
    /* One lower panel, one scale: a classification's accuracy (%) or a
     * regression's R², not both. A run without any evaluation is either. */
    int a_class = -1, a_regr = -1;
    for (int k = 0; k < n_runs; k++) {
        if (runs[k].regression) {
            if (a_regr < 0)
                a_regr = k;
            continue;
        }
        for (int i = 0; i < runs[k].n && a_class < 0; i++)
            if (!isnan(series_value(&runs[k], SER_EVAL_ACC, i)))
                a_class = k;
    }
    if (a_class >= 0 && a_regr >= 0)
        return err_set(err, ERR_INPUT, "%s is a regression run (eval_r2: R²) but %s a "
                       "classification run (eval_accuracy: %%): the chart has one evaluation "
                       "panel; plot them separately", runs[a_regr].name, runs[a_class].name);
    int regression = a_regr >= 0;
    double x_lo = 0, x_hi = 0, l_lo = 0, l_hi = 0, a_lo = 0, a_hi = 0;
    int any_loss = series_range(runs, n_runs, SER_TRAIN_LOSS, SER_EVAL_LOSS, &l_lo, &l_hi);
    int any_acc = series_range(runs, n_runs, SER_EVAL_ACC, SER_EVAL_ACC, &a_lo, &a_hi);
    if (!any_loss && !any_acc)
        return err_set(err, ERR_INPUT, "%s%s: no epochs with finite values to plot", runs[0].name,
                       n_runs > 1 ? " and the other files" : "");
    int first = 1;
    for (int k = 0; k < n_runs; k++)
        for (int i = 0; i < runs[k].n; i++) {
            if (first || runs[k].epoch[i] < x_lo)
                x_lo = runs[k].epoch[i];
            if (first || runs[k].epoch[i] > x_hi)
                x_hi = runs[k].epoch[i];
            first = 0;
        }
    axis x = make_axis(x_lo, x_hi, 1);
    axis yl = make_axis(any_loss ? l_lo : 0, any_loss ? l_hi : 1, 0);
    double top = regression ? 1 : 100; /* R² and accuracy: at most 1 and 100% */
    axis ya = make_axis(any_acc ? a_lo : 0, any_acc ? a_hi : top, 0);
    if (ya.hi > top && a_hi <= top)
        ya.hi = top;
    /* A regression's RMSE and MAE: a third panel, from 0 (errors are >= 0). */
    double e_lo = 0, e_hi = 0;
    int any_err = regression && series_range(runs, n_runs, SER_EVAL_RMSE, SER_EVAL_MAE, &e_lo, &e_hi);
    axis ye = make_axis(0, any_err ? e_hi : 1, 0);

    size_t name_len = 0;
    for (int k = 0; k < n_runs; k++)
        if (strlen(runs[k].name) > name_len)
            name_len = strlen(runs[k].name);
    int width = CH_LEGEND_X + 40 + 7 * (int)name_len + 20;
    int top2 = CH_TOP + CH_PANEL + CH_SPACING, top3 = any_err ? top2 + CH_PANEL + CH_SPACING : 0;
    int height = (top3 ? top3 : top2) + CH_PANEL + CH_BOTTOM;

    svg_args a = {runs, n_runs, &x, &yl, &ya, &ye, width, height, top2,
                  regression ? "evaluation R²" : "evaluation accuracy (%)", top3};
    return fsx_write_atomic(path, "learning curves", write_svg, &a, err);
}
