/* cmd_describe: `nntrain describe FILE...`: what a table file holds, as
 * nntrain reads it: rows, columns, and for each column its kind (numeric
 * or text), missing cells, and its range and mean, or its categories. The
 * first thing to run on a new data set, and how reading speed is measured
 * (bench/). -c CONFIG says how to read a CSV (data.delimiter, data.header,
 * data.missing_values). A NumPy file shows the arrays it has: a .npy alone
 * (never the labels' file data.y would name for training), an .npz its X
 * and its y when there is one (READER_LABELS_IF_PRESENT). The command
 * table in src/main.c has checked the options. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cli.h"
#include "commands.h"
#include "report.h"
#include "tables.h"

#define TOP_CATEGORIES 3 /* the most frequent categories shown */

static void describe_numeric(const table_summary *a)
{
    if (a->m == 0) {
        printf("  (no values)\n");
        return;
    }
    printf("  min %-12.6g mean %-12.6g max %-12.6g sd %.6g\n", a->lo, a->sum / a->m, a->hi,
           sqrt(a->ss / a->m));
}

static void describe_text(const table_col *col, int64_t n)
{
    long long *count = calloc((size_t)(col->n_cats > 0 ? col->n_cats : 1), sizeof *count);
    if (!count) {
        printf("  %d categories\n", col->n_cats);
        return;
    }
    for (int64_t r = 0; r < n; r++)
        if (col->code[r] >= 0)
            count[col->code[r]]++;
    printf("  %d categories:", col->n_cats);
    /* The TOP_CATEGORIES most frequent, ties by first seen. */
    for (int k = 0; k < TOP_CATEGORIES && k < col->n_cats; k++) {
        int best = -1;
        for (int j = 0; j < col->n_cats; j++)
            if (count[j] >= 0 && (best < 0 || count[j] > count[best]))
                best = j;
        printf("%s %.24s (%lld)", k ? "," : "", col->cats[best], count[best]);
        count[best] = -1;
    }
    printf("%s\n", col->n_cats > TOP_CATEGORIES ? ", ..." : "");
    free(count);
}

static int describe_file(const cfg_t *c, const char *path, int quiet, err_t *err)
{
    table t;
    double t0 = report_now();
    if (tables_read(c, path, READER_LABELS_IF_PRESENT, &t, err) != 0)
        return -1;
    double seconds = report_now() - t0;
    printf("%s: %lld rows, %d columns (read in %.3f s)\n", path, (long long)t.n_rows, t.n_cols,
           seconds);
    table_summary *st = quiet ? NULL : malloc((size_t)(t.n_cols > 0 ? t.n_cols : 1) * sizeof *st);
    if (!quiet && (!st || table_summarize(&t, NULL, 0, NULL, t.n_rows, st) != 0)) {
        free(st);
        table_free(&t);
        return err_set(err, ERR_RUNTIME, "out of memory");
    }
    for (int32_t k = 0; !quiet && k < t.n_cols; k++) {
        const table_col *col = &t.cols[k];
        printf("%4d %-24.24s %-7s missing %-8lld", k, col->name,
               col->kind == TABLE_NUMERIC ? "numeric" : "text", (long long)col->n_missing);
        if (col->kind == TABLE_NUMERIC)
            describe_numeric(&st[k]);
        else
            describe_text(col, t.n_rows);
    }
    free(st);
    table_free(&t);
    return 0;
}

int cmd_describe(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    cfg_t *c = malloc(sizeof *c);
    int rc = 0;
    if (!c) {
        err_set(&err, ERR_RUNTIME, "out of memory");
        return cli_fail(&err);
    }
    if (cli_load_config(o->config, o->overrides, o->n_overrides, o->data_dir, c, &err) != 0)
        rc = cli_fail(&err);
    for (int i = 0; rc == 0 && i < o->n_files; i++)
        if (describe_file(c, o->files[i], o->quiet, &err) != 0)
            rc = cli_fail(&err);
    free(c);
    return rc;
}
