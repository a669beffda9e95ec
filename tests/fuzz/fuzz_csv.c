/* libFuzzer harness: the CSV reader (src/data/csv.c) and its number parser.
 *
 * Each input is:
 *   1. read as a CSV file with the default options and with the options
 *      its last byte picks (header on/off, the delimiter given or
 *      detected, a missing token list of its own);
 *   2. read again with those options but tiny chunks (1 and 7 bytes) and 2
 *      parts per chunk: the result must be the same (the same success or
 *      failure and message, the same table), so the chunk seams and the
 *      record splitting are checked on every input;
 *   3. gzipped and read again: the same result again;
 *   4. its first line given to csv_parse_double and csv_parse_float, which
 *      must agree bit for bit with strtod and strtof in the C locale
 *      whenever they accept a number, and to csv_plain_float (the fast path),
 *      which must agree with csv_parse_float whenever it takes the line.
 * A table that reads must hold its invariants (kinds, codes within the
 * categories, missing flags and counts, no NaN but missing, distinct names). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "csv.h"
#include "fuzz_util.h"

static void check_table(const table *t)
{
    if (t->n_rows <= 0 || t->n_cols <= 0 || t->n_cols > CSV_MAX_COLS) abort();
    for (int c = 0; c < t->n_cols; c++) {
        const table_col *col = &t->cols[c];
        if (!col->name) abort();
        for (int d = 0; d < c; d++)
            if (strcmp(t->cols[d].name, col->name) == 0) abort();
        int64_t miss = 0;
        for (int64_t r = 0; r < t->n_rows; r++) {
            int m = col->missing ? col->missing[r] : 0;
            miss += m;
            if (col->kind == TABLE_NUMERIC) {
                if (!col->num || col->code) abort();
                if (isnan(table_num(col, r)) != m || isinf(table_num(col, r))) abort();
            } else {
                if (!col->code || col->num) abort();
                int32_t k = col->code[r];
                if (m ? k != -1 : (k < 0 || k >= col->n_cats)) abort();
            }
        }
        if (miss != col->n_missing || (miss == 0) != (col->missing == NULL)) abort();
        for (int32_t k = 0; k < col->n_cats; k++)
            if (!col->cats[k]) abort();
    }
}

static int same_table(const table *a, const table *b)
{
    if (a->n_rows != b->n_rows || a->n_cols != b->n_cols) return 0;
    for (int c = 0; c < a->n_cols; c++) {
        const table_col *x = &a->cols[c], *y = &b->cols[c];
        if (strcmp(x->name, y->name) || x->kind != y->kind || x->n_missing != y->n_missing ||
            x->n_cats != y->n_cats)
            return 0;
        for (int32_t k = 0; k < x->n_cats; k++)
            if (strcmp(x->cats[k], y->cats[k])) return 0;
        for (int64_t r = 0; r < a->n_rows; r++) {
            if (x->kind == TABLE_NUMERIC && memcmp(&(float){table_num(x, r)}, &(float){table_num(y, r)}, sizeof(float))) return 0;
            if (x->kind == TABLE_TEXT && x->code[r] != y->code[r]) return 0;
        }
    }
    return 1;
}

/* Reads path with o; returns rc, with the table in t and message in err. */
static int rd(const char *path, const csv_opts *o, table *t, err_t *err)
{
    err_clear(err);
    int rc = csv_read(path, o, t, err);
    if (rc != 0 && rc != -1) abort();
    if (rc == -1 && (err->msg[0] == '\0' || t->cols)) abort();
    /* the record count made before parsing disagreed with the parse:
     * "PATH:LINE:COL: internal error: ..." (not a cell or name saying so) */
    if (rc == -1 && strncmp(err->msg, path, strlen(path)) == 0) {
        const char *m = err->msg + strlen(path);
        long long line, col;
        int used = 0;
        if (sscanf(m, ":%lld:%lld: %n", &line, &col, &used) == 2 && used > 0 &&
            strncmp(m + used, "internal error", 14) == 0)
            abort();
    }
    if (rc == 0) check_table(t);
    return rc;
}

/* The same outcome: rc, message (after the file name), table. */
static void agree(int rc1, const table *t1, const err_t *e1, const char *p1,
                  int rc2, const table *t2, const err_t *e2, const char *p2, const char *what)
{
    if (rc1 != rc2) {
        fprintf(stderr, "%s: rc %d vs %d (%s | %s)\n", what, rc1, rc2, e1->msg, e2->msg);
        abort();
    }
    if (rc1 == 0 && !same_table(t1, t2)) {
        fprintf(stderr, "%s: tables differ\n", what);
        abort();
    }
    if (rc1 != 0) {
        size_t l1 = strlen(p1), l2 = strlen(p2);
        if (strncmp(e1->msg, p1, l1) == 0 && strncmp(e2->msg, p2, l2) == 0 &&
            e1->code == ERR_INPUT && e2->code == ERR_INPUT && strcmp(e1->msg + l1, e2->msg + l2) != 0 &&
            !strstr(e1->msg, "gzip") && !strstr(e2->msg, "gzip")) {
            fprintf(stderr, "%s: messages differ:\n  %s\n  %s\n", what, e1->msg, e2->msg);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *raw = fuzz_path("csv"), *gz = fuzz_path("csvgz");
    fuzz_write(raw, data, size);
    err_t e1, e2;
    table t1, t2;

    /* 1. defaults */
    int rc = rd(raw, NULL, &t1, &e1);
    if (rc == 0) table_free(&t1);

    csv_opts o;
    csv_opts_default(&o);
    unsigned sel = size ? data[size - 1] : 0;
    o.header = !(sel & 1);
    static const char delims[4] = {0, ';', '\t', '|'};
    o.delim = delims[(sel >> 1) & 3];
    if (sel & 8) {
        o.missing[0] = "-1";
        o.missing[1] = "x";
        o.missing[2] = NULL;
    }
    o.max_record = (sel & 16) ? 64 : CSV_MAX_RECORD;
    o.max_cols = (sel & 32) ? 5 : CSV_MAX_COLS;
    o.threads = 1;
    int rc1 = rd(raw, &o, &t1, &e1);

    /* 2. chunk seams and parts */
    static const long chunks[2] = {1, 7};
    for (int i = 0; i < 2; i++) {
        csv_opts p = o;
        p.chunk_bytes = chunks[i];
        p.threads = 2;
        int rc2 = rd(raw, &p, &t2, &e2);
        agree(rc1, &t1, &e1, raw, rc2, &t2, &e2, raw, "chunked");
        if (rc2 == 0) table_free(&t2);
    }

    /* 3. gzipped */
    gzFile f = gzopen(gz, "wb1");
    if (!f) abort();
    if (size && gzwrite(f, data, (unsigned)size) != (int)size) abort();
    if (gzclose(f) != Z_OK) abort();
    int rc3 = rd(gz, &o, &t2, &e2);
    int is_gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (!is_gz) agree(rc1, &t1, &e1, raw, rc3, &t2, &e2, gz, "gzipped");
    if (rc3 == 0) table_free(&t2);
    if (rc1 == 0) table_free(&t1);

    /* 4. the number parser against strtod in the C locale (the harness
     * never changes the locale) */
    size_t n = 0;
    while (n < size && n < 400 && data[n] != '\n' && data[n] != 0) n++;
    double v;
    int r = csv_parse_double((const char *)data, n, &v);
    if (r == 1 || r == -1) {
        char buf[401];
        memcpy(buf, data, n);
        buf[n] = '\0';
        char *end;
        double w = strtod(buf, &end);
        if (end != buf + n) abort();
        if (r == 1 && (memcmp(&v, &w, sizeof v) != 0 || isinf(v) || isnan(v))) {
            fprintf(stderr, "csv_parse_double(%s) = %.17g, strtod %.17g\n", buf, v, w);
            abort();
        }
        if (r == -1 && isfinite(w)) abort();
        float fv, fw = strtof(buf, &end);
        int rf = csv_parse_float((const char *)data, n, &fv);
        if (rf == 1 && (memcmp(&fv, &fw, sizeof fv) != 0 || !isfinite(fv))) {
            fprintf(stderr, "csv_parse_float(%s) = %.9g, strtof %.9g\n", buf, fv, fw);
            abort();
        }
        if (rf == -1 && isfinite(fw)) abort();
        if (rf != r && !(r == 1 && rf == -1 && isinf(fw))) abort();
        /* the reader's fast path: csv_parse_float's bits when it takes the
         * number */
        float fp;
        size_t np = csv_plain_float((const char *)data, (const char *)data + n, &fp);
        if (np == n && (rf != 1 || memcmp(&fp, &fv, sizeof fp) != 0)) abort();
    }
    return 0;
}
