/* csv_read: what `nntrain describe` will do, timed: csv_read (src/data/csv.c)
 * then one line per column (type, missing, min/mean/max or categories).
 *
 *   csv_read FILE [THREADS] [-q]     THREADS 0 (default): one per core
 * Prints the rows, columns and seconds on the last line ("read: ..."). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: csv_read FILE [THREADS] [-q]\n");
        return 2;
    }
    csv_opts o;
    csv_opts_default(&o);
    if (argc > 2)
        o.threads = atoi(argv[2]);
    int quiet = argc > 3 && strcmp(argv[3], "-q") == 0;
    double t0 = now();
    table t;
    err_t err;
    if (csv_read(argv[1], &o, &t, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return err.code;
    }
    double t1 = now();
    table_summary *st = malloc((size_t)(t.n_cols > 0 ? t.n_cols : 1) * sizeof *st);
    if (!st || table_summarize(&t, NULL, 0, NULL, t.n_rows, st) != 0) {
        fprintf(stderr, "out of memory\n");
        free(st);
        table_free(&t);
        return 1;
    }
    for (int c = 0; c < t.n_cols; c++) {
        const table_col *col = &t.cols[c];
        if (col->kind == TABLE_TEXT) {
            if (!quiet)
                printf("%-16s text     missing %lld  %d categories\n", col->name, (long long)col->n_missing,
                       col->n_cats);
            continue;
        }
        if (!quiet)
            printf("%-16s numeric  missing %lld  min %g mean %g max %g\n", col->name,
                   (long long)col->n_missing, st[c].lo, st[c].m ? st[c].sum / (double)st[c].m : 0.0,
                   st[c].hi);
    }
    free(st);
    double t2 = now();
    printf("read: %lld rows x %d columns in %.3f s (parse %.3f s, stats %.3f s)\n", (long long)t.n_rows,
           t.n_cols, t2 - t0, t1 - t0, t2 - t1);
    table_free(&t);
    return 0;
}
