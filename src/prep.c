/* prep: see include/prep.h. */
#include "prep.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_locale.h"
#include "csv.h"
#include "le.h"
#include "mem.h"

/* ---- small helpers ----------------------------------------------------------- */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A number (a table cell: a float32) as a category or class name: the
 * shortest of %.6g .. %.9g that reads back to the same float ("3", "0.1",
 * "1234567"). In the "C" locale, on whatever thread: prep_apply's OpenMP
 * threads run in the process's locale, not in the one the library's
 * entry points give the calling thread (nnt.c), and a decimal comma
 * ("0,5") would name no category the fit made. */
static void number_name(float v, char *buf, size_t n)
{
    locale_t c = c_locale();
    locale_t old = c ? uselocale(c) : (locale_t)0;
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, n, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    if (old)
        uselocale(old);
}

/* The index of name in the sorted names[0..n), or -1. */
static int find_sorted(char *const *names, int n, const char *name)
{
    char *const *hit = bsearch(&name, names, (size_t)n, sizeof *names, cmp_str);
    return hit ? (int)(hit - names) : -1;
}

/* The index of name among names[0..n) in any order, or -1 (classes are
 * few: at most PREP_MAX_CLASSES). */
static int find_name(char *const *names, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (strcmp(names[k], name) == 0)
            return k;
    return -1;
}

int prep_cell_error(const prep_source *src, const table *t, const table_col *col, int64_t row,
                    err_t *err, const char *fmt, ...)
{
    char where[600], what[600];
    int64_t record = src->first_record + row;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (src->locate && src->locate(src, record, (int32_t)(col - t->cols), where, sizeof where) == 0)
        return err_set(err, ERR_INPUT, "%s: column '%.100s': %s", where, col->name, what);
    return err_set(err, ERR_INPUT, "%.500s: record %lld, column '%.100s': %s", src->name,
                   (long long)record + 1, col->name, what);
}

int32_t prep_find_column(const table *t, const char *key)
{
    int32_t c = table_find(t, key);
    if (c >= 0 || !*key || strspn(key, "0123456789") != strlen(key))
        return c;
    long i = strtol(key, NULL, 10);
    return i < t->n_cols ? (int32_t)i : -1;
}

void prep_column_list(const table *t, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    int32_t shown = t->n_cols < PREP_LIST_COLUMNS ? t->n_cols : PREP_LIST_COLUMNS;
    size_t len = 0;
    for (int32_t c = 0; c < shown && len < n; c++) {
        int w = snprintf(buf + len, n - len, "%s%.40s%s", c ? ", " : "", t->cols[c].name,
                         strlen(t->cols[c].name) > 40 ? "..." : "");
        len += w > 0 ? (size_t)w : 0;
    }
    if (t->n_cols > shown && len < n)
        snprintf(buf + len, n - len, " and %ld more", (long)(t->n_cols - shown));
}

static int no_column(const table *t, const char *key, const char *what, const char *source,
                     err_t *err)
{
    char names[PREP_COLUMN_LIST_MAX];
    prep_column_list(t, names, sizeof names);
    return err_set(err, ERR_INPUT, "%s: %s '%s': no such column (the columns: %s)", source,
                   what, key, names);
}

/* The cell's value as a category or class name into buf; NULL when it is
 * missing. */
static const char *cell_name(const table_col *col, int64_t r, char *buf, size_t n)
{
    if (col->missing && col->missing[r])
        return NULL;
    if (col->kind == TABLE_TEXT)
        return col->cats[col->code[r]];
    number_name(table_num(col, r), buf, n);
    return buf;
}

#define FEW_DISTINCT 64 /* distinct values few_distinct looks for before it leaves them to qsort */

/* When v[0..m) holds at most FEW_DISTINCT distinct values (by ==), as a
 * class label does, moves them to the front, the first of equal ones (-0
 * and 0) in row order, and returns how many: then only those are sorted,
 * not every row's (MNIST's 60,000 labels: 10 values). Otherwise leaves v
 * as it is and returns m. */
static int64_t few_distinct(double *v, int64_t m)
{
    double few[FEW_DISTINCT];
    int k = 0;
    for (int64_t i = 0; i < m; i++) {
        int j = 0;
        while (j < k && few[j] != v[i])
            j++;
        if (j < k)
            continue;
        if (k == FEW_DISTINCT)
            return m;
        few[k++] = v[i];
    }
    memcpy(v, few, (size_t)k * sizeof *v);
    return k;
}

/* The distinct names of a column's cells over rows, sorted: by value for
 * a numeric column (class labels 2 < 10), by bytes for text. */
static int distinct_names(const table_col *col, const int64_t *rows, int64_t n, int numeric_order,
                          char ***out, int *n_out, err_t *err)
{
    *out = NULL;
    *n_out = 0;
    int cap = 0, count = 0;
    char **names = NULL;
    if (col->kind == TABLE_NUMERIC) {
        double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
        if (!v)
            return err_set(err, ERR_RUNTIME, "out of memory");
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (!(col->missing && col->missing[rows[i]]))
                v[m++] = table_num(col, rows[i]);
        m = few_distinct(v, m);
        qsort(v, (size_t)m, sizeof *v, cmp_double);
        int oom = 0;
        for (int64_t i = 0; i < m && !oom; i++) {
            if (i > 0 && v[i] == v[i - 1])
                continue;
            if (count == cap) {
                char **g = realloc(names, (size_t)(cap ? 2 * cap : 16) * sizeof *names);
                if (!(oom = !g)) {
                    names = g;
                    cap = cap ? 2 * cap : 16;
                }
            }
            char buf[40];
            number_name(v[i], buf, sizeof buf);
            if (!oom && !(oom = !(names[count] = dup_str(buf))))
                count++;
        }
        free(v);
        if (oom) {
            for (int k = 0; k < count; k++)
                free(names[k]);
            free(names);
            return err_set(err, ERR_RUNTIME, "out of memory");
        }
        /* By value already; text order is wanted only for categories. */
        if (!numeric_order)
            qsort(names, (size_t)count, sizeof *names, cmp_str);
    } else {
        uint8_t *seen = calloc((size_t)(col->n_cats > 0 ? col->n_cats : 1), 1);
        names = malloc((size_t)(col->n_cats > 0 ? col->n_cats : 1) * sizeof *names);
        if (!seen || !names) {
            free(seen);
            free(names);
            return err_set(err, ERR_RUNTIME, "out of memory");
        }
        for (int64_t i = 0; i < n; i++) {
            int32_t k = col->code[rows[i]];
            if (k >= 0 && !seen[k]) {
                seen[k] = 1;
                names[count++] = col->cats[k]; /* borrowed until copied below */
            }
        }
        free(seen);
        qsort(names, (size_t)count, sizeof *names, cmp_str);
        for (int k = 0; k < count; k++)
            if (!(names[k] = dup_str(names[k]))) {
                for (int j = 0; j < k; j++)
                    free(names[j]);
                free(names);
                return err_set(err, ERR_RUNTIME, "out of memory");
            }
    }
    *out = names;
    *n_out = count;
    return 0;
}

static void free_names(char **names, int n)
{
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* The first of rows whose cell in col is missing, or -1. */
static int64_t first_missing(const table_col *col, const int64_t *rows, int64_t n)
{
    for (int64_t i = 0; col->missing && i < n; i++)
        if (col->missing[rows[i]])
            return rows[i];
    return -1;
}

/* The first of rows whose cell in the text column col is not a number, or
 * -1. A column turns text at its first such cell, but every cell of it is
 * text then, the numbers before that one included: the cell to blame is
 * this one, not the first cell. */
static int64_t first_not_number(const table_col *col, const int64_t *rows, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        int32_t k = col->code[rows[i]];
        if (k >= 0 && !csv_cell_is_number(col->cats[k], strlen(col->cats[k])))
            return rows[i];
    }
    return -1;
}

/* The first of rows whose cell in the text column col is not a number;
 * when they are all numbers, the first such cell of the column's n_rows
 * (another set's row made the column text). */
static int64_t text_cell(const table_col *col, const int64_t *rows, int64_t n, int64_t n_rows)
{
    int64_t bad = first_not_number(col, rows, n);
    for (int64_t r = 0; bad < 0 && r < n_rows; r++)
        bad = first_not_number(col, &r, 1);
    return bad;
}

/* A column that turned text where numbers are needed (a numeric feature,
 * a regression target): the error at its first cell that is not a number
 * (rows first; what: the column's role, for the message). */
static int text_error(const prep_source *src, const table *t, const table_col *col,
                      const int64_t *rows, int64_t n, const char *what, err_t *err)
{
    int64_t bad = text_cell(col, rows, n, t->n_rows);
    if (bad < 0)
        return err_set(err, ERR_INPUT, "%s: column '%s' holds text (%s)", src->name, col->name,
                       what);
    return prep_cell_error(src, t, col, bad, err, "'%.64s' is not a number (%s)",
                      col->cats[col->code[bad]], what);
}

static int missing_error(const prep_source *src, const table *t, const table_col *col,
                         int64_t row, err_t *err)
{
    return prep_cell_error(src, t, col, row, err, "missing value (set data.missing to mean, median "
                      "or most_frequent to fill it)");
}

/* ---- fitting -------------------------------------------------------------------- */

/* Inputs per block of rows in prep_apply: about 128 KB, so that a block's
 * cells of every column stay in cache while each column takes its part,
 * whether the columns are contiguous (NumPy's reader) or a row-major
 * array's (the CSV reader's slab, the library's arrays). */
#define BLOCK_CELLS 32768
#define PREP_PARALLEL_CELLS (1 << 20) /* cells from which fit and apply use every core */

static int64_t block_rows(int64_t cells_per_row)
{
    int64_t b = BLOCK_CELLS / (cells_per_row > 0 ? cells_per_row : 1);
    return b < 16 ? 16 : b;
}

/* How many of columns cols[k..nc) from k on are one run of a row-major
 * array (a library caller's, or the CSV reader's slab): one stride > 1,
 * the next column's cells right after the previous one's, none missing;
 * 1 when col k starts none. */
static int row_run(const table *t, const int32_t *cols, int k, int nc)
{
    const table_col *c0 = &t->cols[cols[k]];
    int len = 1;
    if (c0->kind != TABLE_NUMERIC || table_stride(c0) < 2 || c0->missing)
        return 1;
    while (k + len < nc) {
        const table_col *c = &t->cols[cols[k + len]];
        if (c->kind != TABLE_NUMERIC || c->missing ||
            table_stride(c) != table_stride(c0) || c->num != c0->num + len)
            break;
        len++;
    }
    return len;
}

/* A numeric feature: fill value, then offset and scale, over the rows
 * (st: the column's table_summarize). */
static int fit_numeric(prep_feature *f, const table *t, const table_col *col,
                       const table_summary *st, const int64_t *rows, int64_t n, const prep_opts *o,
                       const prep_source *src, err_t *err)
{
    int64_t miss = first_missing(col, rows, n);
    if (miss >= 0 && o->missing == PREP_MISSING_ERROR)
        return missing_error(src, t, col, miss, err);
    int64_t m = st->m;
    if (m == 0)
        return err_set(err, ERR_INPUT, "%s: column '%s' has no values in the training rows",
                       src->name, col->name);
    double mean = st->sum / m, lo = st->lo, hi = st->hi;
    double sd = sqrt(st->ss / m);
    f->fill = NAN;
    f->fill_cat = -1;
    if (o->missing == PREP_MISSING_MEAN) {
        f->fill = mean;
    } else if (o->missing == PREP_MISSING_MEDIAN || o->missing == PREP_MISSING_MOST_FREQUENT) {
        /* Only a median or the most frequent value needs the values in
         * order (sorting 784 columns of 60,000 took most of an MNIST
         * table's fit). */
        double *v = malloc((size_t)m * sizeof *v);
        if (!v)
            return err_set(err, ERR_RUNTIME, "out of memory");
        int64_t s = table_stride(col), k = 0;
        for (int64_t i = 0; i < n; i++)
            if (!(col->missing && col->missing[rows[i]]))
                v[k++] = col->num[rows[i] * s];
        qsort(v, (size_t)m, sizeof *v, cmp_double);
        if (o->missing == PREP_MISSING_MEDIAN) {
            f->fill = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
        } else {
            /* The value seen most often; ties: the smallest. */
            int64_t best = 0, run = 0;
            for (int64_t i = 0; i < m; i++) {
                run = i > 0 && v[i] == v[i - 1] ? run + 1 : 1;
                if (run > best) {
                    best = run;
                    f->fill = v[i];
                }
            }
        }
        free(v);
    }
    f->offset = 0;
    f->scale = 1;
    if (o->scale == PREP_SCALE_STANDARD) {
        f->offset = mean;
        f->scale = sd > 0 ? sd : 1;
    } else if (o->scale == PREP_SCALE_MINMAX) {
        f->offset = lo;
        f->scale = hi > lo ? hi - lo : 1;
    }
    return 0;
}

/* A categorical feature: the categories seen, and a missing cell's. */
static int fit_categorical(prep_feature *f, const table *t, const table_col *col,
                           const int64_t *rows, int64_t n, const prep_opts *o,
                           const prep_source *src, err_t *err)
{
    int64_t miss = first_missing(col, rows, n);
    if (miss >= 0 && o->missing == PREP_MISSING_ERROR)
        return missing_error(src, t, col, miss, err);
    f->categorical = 1;
    f->fill = NAN;
    f->offset = 0;
    f->scale = 1;
    f->fill_cat = -1;
    if (distinct_names(col, rows, n, 0, &f->cats, &f->n_cats, err) != 0)
        return -1;
    if (f->n_cats == 0)
        return err_set(err, ERR_INPUT, "%s: column '%s' has no values in the training rows",
                       src->name, col->name);
    if (o->missing == PREP_MISSING_ERROR)
        return 0;
    /* Any fill policy fills a category with the most frequent one. */
    long long *count = calloc((size_t)f->n_cats, sizeof *count);
    if (!count)
        return err_set(err, ERR_RUNTIME, "out of memory");
    char buf[40];
    for (int64_t i = 0; i < n; i++) {
        const char *s = cell_name(col, rows[i], buf, sizeof buf);
        if (s)
            count[find_sorted(f->cats, f->n_cats, s)]++;
    }
    f->fill_cat = 0;
    for (int k = 1; k < f->n_cats; k++)
        if (count[k] > count[f->fill_cat])
            f->fill_cat = k;
    free(count);
    return 0;
}

static int in_list(const table *t, int32_t c, const char *const *keys, int n)
{
    for (int i = 0; i < n; i++)
        if (prep_find_column(t, keys[i]) == c)
            return 1;
    return 0;
}

/* The label columns (o->labels, default the last) into cols. */
static int label_columns(const table *t, const prep_opts *o, const char *source, int32_t *cols,
                         int *n, err_t *err)
{
    *n = o->n_labels > 0 ? o->n_labels : 1;
    if (*n > PREP_MAX_TARGETS)
        return err_set(err, ERR_INPUT, "%s: data.label: %d columns, at most %d", source, *n,
                       PREP_MAX_TARGETS);
    for (int i = 0; i < *n; i++) {
        cols[i] = o->n_labels > 0 ? prep_find_column(t, o->labels[i]) : t->n_cols - 1;
        if (cols[i] < 0)
            return no_column(t, o->labels[i], "data.label", source, err);
    }
    return 0;
}

static int fit_targets(prep_t *p, const table *t, const int32_t *lc, const int64_t *rows,
                       int64_t n, const prep_source *src, err_t *err)
{
    p->targets = calloc((size_t)p->n_targets, sizeof *p->targets);
    if (!p->targets)
        return err_set(err, ERR_RUNTIME, "out of memory");
    for (int j = 0; j < p->n_targets; j++)
        if (!(p->targets[j] = dup_str(t->cols[lc[j]].name)))
            return err_set(err, ERR_RUNTIME, "out of memory");
    for (int j = 0; j < p->n_targets; j++) {
        const table_col *col = &t->cols[lc[j]];
        int64_t miss = first_missing(col, rows, n);
        if (miss >= 0)
            return prep_cell_error(src, t, col, miss, err, "missing label");
    }
    if (p->task == PREP_CLASSIFICATION) {
        const table_col *col = &t->cols[lc[0]];
        if (distinct_names(col, rows, n, 1, &p->classes, &p->n_classes, err) != 0)
            return -1;
        if (p->n_classes < 2)
            return err_set(err, ERR_INPUT, "%s: column '%s' has a single class%s%s in the "
                           "training rows: nothing to learn (data.task: regression?)", src->name,
                           col->name, p->n_classes ? " " : "",
                           p->n_classes ? p->classes[0] : "");
        if (p->n_classes > PREP_MAX_CLASSES)
            return err_set(err, ERR_INPUT, "%s: column '%s' has %d classes, at most %d (a "
                           "number to predict? data.task: regression)", src->name, col->name,
                           p->n_classes, PREP_MAX_CLASSES);
        return 0;
    }
    p->y_offset = calloc((size_t)p->n_targets, sizeof *p->y_offset);
    p->y_scale = calloc((size_t)p->n_targets, sizeof *p->y_scale);
    if (!p->y_offset || !p->y_scale)
        return err_set(err, ERR_RUNTIME, "out of memory");
    for (int j = 0; j < p->n_targets; j++) {
        const table_col *col = &t->cols[lc[j]];
        if (col->kind != TABLE_NUMERIC)
            return text_error(src, t, col, rows, n, "a regression target must be numbers; "
                              "data.task: classification?", err);
        double sum = 0, ss = 0;
        for (int64_t i = 0; i < n; i++)
            sum += table_num(col, rows[i]);
        double mean = n ? sum / n : 0;
        for (int64_t i = 0; i < n; i++)
            ss += (table_num(col, rows[i]) - mean) * (table_num(col, rows[i]) - mean);
        double sd = n ? sqrt(ss / n) : 0;
        p->y_offset[j] = mean;
        p->y_scale[j] = sd > 0 ? sd : 1;
    }
    return 0;
}

int prep_fit(prep_t *p, const table *t, const int64_t *rows, int64_t n, const prep_opts *o,
             const prep_source *src, err_t *err)
{
    const char *source = src->name;
    memset(p, 0, sizeof *p);
    p->task = o->task;
    int32_t lc[PREP_MAX_TARGETS];
    if (n < 1)
        return err_set(err, ERR_INPUT, "%s: no training rows", source);
    if (label_columns(t, o, source, lc, &p->n_targets, err) != 0)
        return -1;
    for (int i = 0; i < o->n_ignore; i++)
        if (prep_find_column(t, o->ignore[i]) < 0)
            return no_column(t, o->ignore[i], "data.ignore", source, err);
    for (int i = 0; i < o->n_categorical; i++)
        if (prep_find_column(t, o->categorical[i]) < 0)
            return no_column(t, o->categorical[i], "data.categorical", source, err);
    for (int i = 0; i < o->n_features; i++) {
        int32_t c = prep_find_column(t, o->features[i]);
        if (c < 0)
            return no_column(t, o->features[i], "data.features", source, err);
        for (int j = 0; j < p->n_targets; j++)
            if (lc[j] == c)
                return err_set(err, ERR_INPUT, "%s: data.features '%s' is a label column "
                               "(data.label): a column is a feature or a label", source,
                               o->features[i]);
        if (in_list(t, c, o->ignore, o->n_ignore))
            return err_set(err, ERR_INPUT, "%s: data.features '%s' is also in data.ignore",
                           source, o->features[i]);
    }
    /* What each column is: 0 not a feature, 1 numeric, 2 categorical. */
    uint8_t *kind = calloc((size_t)t->n_cols + 1, 1);
    int32_t *num_cols = malloc(((size_t)t->n_cols + 1) * sizeof *num_cols);
    table_summary *st = NULL;
    int n_num = 0;
    p->features = calloc((size_t)t->n_cols, sizeof *p->features);
    if (!kind || !num_cols || !p->features) {
        free(kind);
        free(num_cols);
        return err_set(err, ERR_RUNTIME, "out of memory");
    }
    for (int32_t c = 0; c < t->n_cols; c++) {
        int is_label = 0;
        for (int j = 0; j < p->n_targets; j++)
            is_label |= lc[j] == c;
        if (is_label || in_list(t, c, o->ignore, o->n_ignore) ||
            (o->n_features > 0 && !in_list(t, c, o->features, o->n_features)))
            continue;
        kind[c] = t->cols[c].kind == TABLE_TEXT || in_list(t, c, o->categorical,
                                                            o->n_categorical) ? 2 : 1;
        if (kind[c] == 1)
            num_cols[n_num++] = c;
    }
    int rc = 0;
    if (!(st = malloc(((size_t)n_num + 1) * sizeof *st)) ||
        table_summarize(t, num_cols, n_num, rows, n, st) != 0)
        rc = err_set(err, ERR_RUNTIME, "out of memory");
    for (int32_t c = 0, k = 0; c < t->n_cols && rc == 0; c++) {
        if (!kind[c])
            continue;
        const table_col *col = &t->cols[c];
        prep_feature *f = &p->features[p->n_features++];
        if (!(f->name = dup_str(col->name)))
            rc = err_set(err, ERR_RUNTIME, "out of memory");
        else if (kind[c] == 2)
            rc = fit_categorical(f, t, col, rows, n, o, src, err);
        else
            rc = fit_numeric(f, t, col, &st[k++], rows, n, o, src, err);
        p->n_inputs += f->categorical ? f->n_cats : 1;
    }
    free(kind);
    free(num_cols);
    free(st);
    if (rc == 0 && p->n_features == 0)
        rc = err_set(err, ERR_INPUT, "%s: no feature columns left beside the label", source);
    if (rc == 0)
        rc = fit_targets(p, t, lc, rows, n, src, err);
    if (rc != 0)
        prep_free(p);
    return rc;
}

/* ---- applying ---------------------------------------------------------------------- */

/* Each of col's categories (a text column's codes) as the index of that
 * category in f, or -1 for one never seen in training. */
static int code_map(const prep_feature *f, const table_col *col, int **out, err_t *err)
{
    *out = NULL;
    if (col->kind != TABLE_TEXT)
        return 0;
    *out = malloc((size_t)(col->n_cats > 0 ? col->n_cats : 1) * sizeof **out);
    if (!*out)
        return err_set(err, ERR_RUNTIME, "out of memory");
    for (int k = 0; k < col->n_cats; k++)
        (*out)[k] = find_sorted(f->cats, f->n_cats, col->cats[k]);
    return 0;
}

/* The first error prep_apply would meet filling feature f's inputs from
 * column c of t (rows in order), or 0: a text column for a numeric
 * feature, or a missing cell with nothing to fill it. */
static int check_feature(const prep_feature *f, const table *t, int32_t c, const int64_t *rows,
                         int64_t n, const prep_source *src, err_t *err)
{
    const table_col *col = &t->cols[c];
    if (!f->categorical && col->kind != TABLE_NUMERIC)
        return text_error(src, t, col, rows, n, "the column is numeric in training", err);
    if (f->categorical ? f->fill_cat < 0 : isnan(f->fill)) {
        int64_t miss = first_missing(col, rows, n);
        if (miss >= 0)
            return missing_error(src, t, col, miss, err);
    }
    return 0;
}

/* Rows [i0, i1) of feature f's inputs (checked: nothing can fail), from
 * col; map: code_map's, for a text column. */
static void apply_feature(const prep_feature *f, const table_col *col, const int *map,
                          const int64_t *rows, int64_t i0, int64_t i1, int first, int n_in,
                          float *x)
{
    if (!f->categorical) {
        const float *num = col->num;
        const uint8_t *miss = col->missing;
        int64_t s = table_stride(col);
        for (int64_t i = i0; i < i1; i++) {
            int64_t r = rows[i];
            double v = miss && miss[r] ? f->fill : num[r * s];
            x[(size_t)i * n_in + first] = (float)((v - f->offset) / f->scale);
        }
        return;
    }
    char buf[40];
    for (int64_t i = i0; i < i1; i++) {
        int64_t r = rows[i];
        int k;
        if (col->missing && col->missing[r])
            k = f->fill_cat;
        else if (map)
            k = map[col->code[r]];
        else
            k = find_sorted(f->cats, f->n_cats, cell_name(col, r, buf, sizeof buf));
        float *xi = x + (size_t)i * n_in + first;
        memset(xi, 0, (size_t)f->n_cats * sizeof *xi);
        if (k >= 0) /* a category never seen: all zeros */
            xi[k] = 1.0f;
    }
}

/* Rows [i0, i1) of numeric features [a, a + len): inputs first..first +
 * len, their cells one run of each row of a row-major array (src: the
 * first one's column, a row every `stride` floats), none missing. Row by
 * row, so both the array's row and the inputs' are read and written in
 * order: apply_feature's expression, lane by lane. */
__attribute__((noinline)) static void apply_run(const float *restrict src, int64_t stride, const double *restrict off,
                      const double *restrict scale, int len, const int64_t *rows, int64_t i0,
                      int64_t i1, int first, int n_in, float *restrict x)
{
    for (int64_t i = i0; i < i1; i++) {
        const float *restrict a = src + rows[i] * stride;
        float *restrict xi = x + (size_t)i * n_in + first;
        for (int k = 0; k < len; k++)
            xi[k] = (float)(((double)a[k] - off[k]) / scale[k]);
    }
}

static int apply_targets(const prep_t *p, const table *t, const int64_t *rows, int64_t n,
                         const prep_source *src, dataset *out, err_t *err)
{
    int32_t lc[PREP_MAX_TARGETS];
    for (int j = 0; j < p->n_targets; j++)
        if ((lc[j] = table_find(t, p->targets[j])) < 0)
            return no_column(t, p->targets[j], "the label column", src->name, err);
    char buf[40];
    if (p->task == PREP_CLASSIFICATION) {
        const table_col *col = &t->cols[lc[0]];
        if (!(out->labels = malloc((size_t)(n > 0 ? n : 1))))
            return err_set(err, ERR_RUNTIME, "out of memory");
        /* A numeric label's class by its float's bits, once found: the
         * same name, so the same class, without printing it again. */
        uint32_t seen_bits[PREP_MAX_CLASSES];
        uint8_t seen_class[PREP_MAX_CLASSES];
        int n_seen = 0;
        for (int64_t i = 0; i < n; i++) {
            uint32_t bits = 0;
            if (col->kind == TABLE_NUMERIC && !(col->missing && col->missing[rows[i]])) {
                float v = table_num(col, rows[i]);
                memcpy(&bits, &v, sizeof bits);
                int h = 0;
                while (h < n_seen && seen_bits[h] != bits)
                    h++;
                if (h < n_seen) {
                    out->labels[i] = seen_class[h];
                    continue;
                }
            }
            const char *s = cell_name(col, rows[i], buf, sizeof buf);
            if (!s)
                return prep_cell_error(src, t, col, rows[i], err, "missing label");
            int k = find_name(p->classes, p->n_classes, s);
            if (k < 0)
                return prep_cell_error(src, t, col, rows[i], err, "class '%.64s' was not seen in "
                                  "training", s);
            out->labels[i] = (uint8_t)k;
            if (col->kind == TABLE_NUMERIC && n_seen < PREP_MAX_CLASSES) {
                seen_bits[n_seen] = bits;
                seen_class[n_seen++] = (uint8_t)k;
            }
        }
        return 0;
    }
    out->n_targets = p->n_targets;
    out->y_scale = p->y_scale;
    out->y = malloc((size_t)(n > 0 ? n : 1) * p->n_targets * sizeof *out->y);
    if (!out->y)
        return err_set(err, ERR_RUNTIME, "out of memory");
    for (int j = 0; j < p->n_targets; j++) {
        const table_col *col = &t->cols[lc[j]];
        if (col->kind != TABLE_NUMERIC)
            return text_error(src, t, col, rows, n, "a regression target must be numbers", err);
        for (int64_t i = 0; i < n; i++) {
            if (col->missing && col->missing[rows[i]])
                return prep_cell_error(src, t, col, rows[i], err, "missing target");
            out->y[(size_t)i * p->n_targets + j] =
                (float)((table_num(col, rows[i]) - p->y_offset[j]) / p->y_scale[j]);
        }
    }
    return 0;
}

/* The column of t named name, tried first at guess (features usually
 * keep the table's order: the column after the previous feature's). */
static int32_t find_from(const table *t, const char *name, int32_t guess)
{
    if (guess >= 0 && guess < t->n_cols && strcmp(t->cols[guess].name, name) == 0)
        return guess;
    return table_find(t, name);
}

/* 1 when every input of rows[0..n) is its cell unchanged, the cells of a
 * row-major array's consecutive rows: numeric features scaled by
 * (v - 0) / 1, in the array's column order, none missing. (float)((v - 0.0)
 * / 1.0) is v for every finite float, -0 included, so the array itself is
 * the inputs; *x its first row. */
static int inputs_are_rows(const prep_t *p, const table *t, const int32_t *cols,
                           const int64_t *rows, int64_t n, const float **x)
{
    if (n < 1 || p->n_inputs != p->n_features)
        return 0;
    const table_col *c0 = &t->cols[cols[0]];
    for (int i = 0; i < p->n_features; i++) {
        const prep_feature *f = &p->features[i];
        const table_col *col = &t->cols[cols[i]];
        if (f->categorical || f->offset != 0.0 || f->scale != 1.0 ||
            col->kind != TABLE_NUMERIC || col->missing || !col->borrowed ||
            table_stride(col) != p->n_inputs || col->num != c0->num + i)
            return 0;
    }
    for (int64_t i = 1; i < n; i++)
        if (rows[i] != rows[0] + i)
            return 0;
    *x = c0->num + rows[0] * table_stride(c0);
    return 1;
}

/* Runs of numeric features whose cells are consecutive in a row-major
 * array's rows: run[i] features from i (0: none, or inside one). */
static void feature_runs(const prep_t *p, const table *t, const int32_t *cols, int *run)
{
    int nf = p->n_features;
    for (int i = 0; i < nf;) {
        int end = i;
        while (end < nf && !p->features[end].categorical)
            end++;
        if (end == i)
            run[i++] = 0;
        while (i < end) {
            int len = row_run(t, cols, i, end);
            for (int k = 0; k < len; k++)
                run[i + k] = k == 0 && len > 1 ? len : 0;
            i += len;
        }
    }
}

/* Rows [i0, i1) of every feature's inputs into x (rows n_in floats
 * apart), the features' cells in t's columns cols[] (as prep_apply found
 * them). */
static void apply_rows(const prep_t *p, const table *t, const int32_t *cols, int *const *maps,
                       const double *off, const double *scale, const int *run,
                       const int64_t *rows, int64_t i0, int64_t i1, float *x)
{
    for (int i = 0, first = 0; i < p->n_features;) {
        const prep_feature *f = &p->features[i];
        const table_col *col = &t->cols[cols[i]];
        if (run[i]) {
            apply_run(col->num, table_stride(col), off + i, scale + i, run[i], rows, i0, i1,
                      first, p->n_inputs, x);
            first += run[i];
            i += run[i];
        } else {
            apply_feature(f, col, maps[i], rows, i0, i1, first, p->n_inputs, x);
            first += f->categorical ? f->n_cats : 1;
            i++;
        }
    }
}

/* Rows [0, n) of every feature's inputs into x, blocks of rows shared by
 * the threads (they are independent) from PREP_PARALLEL_CELLS on. */
static void apply_blocks(const prep_t *p, const table *t, const int32_t *cols, int *const *maps,
                         const double *off, const double *scale, const int *run,
                         const int64_t *rows, int64_t n, float *x)
{
    int64_t block = block_rows(p->n_inputs);
#pragma omp parallel for schedule(dynamic, 4) if ((double)n * p->n_inputs >= PREP_PARALLEL_CELLS)
    for (int64_t i0 = 0; i0 < n; i0 += block)
        apply_rows(p, t, cols, maps, off, scale, run, rows, i0, n - i0 < block ? n : i0 + block, x);
}

/* How many of rows[0..n) of t, from the first, can become the inputs
 * where they lie in t's slab, 0 for none: every feature numeric, a column
 * of the slab with no cell missing, no more inputs than the slab's row
 * has floats; then the longest run of ascending rows from rows[0] (the
 * training rows before the validation ones), when it is half the rows or
 * more. */
static int64_t fits_in_place(const prep_t *p, const table *t, const int32_t *cols,
                             const int64_t *rows, int64_t n)
{
    if (!t->slab || n < 1 || p->n_inputs != p->n_features || p->n_inputs > t->slab_cols ||
        rows[0] < 0)
        return 0;
    for (int i = 0; i < p->n_features; i++) {
        const table_col *col = &t->cols[cols[i]];
        if (p->features[i].categorical || col->kind != TABLE_NUMERIC || !col->in_slab ||
            col->missing || table_stride(col) != t->slab_cols)
            return 0;
    }
    int64_t m = 1;
    while (m < n && rows[m] > rows[m - 1])
        m++;
    return 2 * m >= n ? m : 0;
}

#define IN_PLACE_CELLS 8192 /* cells per piece of apply_in_place: 32 KB, in L1 */
#define IN_PLACE_PIECES 16  /* pieces per block when the threads share one */

/* The inputs of rows[0..n) of t written over t's slab, which becomes
 * out->x; t's numeric columns are gone then. Rows [0, m) ascend
 * (fits_in_place); the others' inputs are made first, aside, and go in
 * after. Rows [0, m) a block at a time, in order: the block's slab rows
 * are copied aside first, every one of them (the threads share the
 * copying, then wait for each other), then its inputs are written. The
 * inputs of rows [0, i1) end at float i1 * n_in <= i1 * w <= rows[i1] *
 * w, where the first row not yet copied begins (rows ascend from 0 or
 * more, so rows[i] >= i). */
static int apply_in_place(const prep_t *p, table *t, const int32_t *cols, int *const *maps,
                          const double *off, const double *scale, const int *run,
                          const int64_t *rows, int64_t n, int64_t m, dataset *out, err_t *err)
{
    const size_t n_in = (size_t)p->n_inputs;
    float *rest = NULL;
    if (m < n) {
        if (!(rest = dataset_floats((size_t)(n - m) * n_in)))
            return err_set(err, ERR_RUNTIME, "out of memory");
        apply_blocks(p, t, cols, maps, off, scale, run, rows + m, n - m, rest);
    }
    const int64_t w = t->slab_cols;
    const int parallel = (double)m * w >= PREP_PARALLEL_CELLS;
    /* The copy is small (a fresh page costs more than its filling), one
     * piece on one thread. */
    int64_t piece = IN_PLACE_CELLS / w < 16 ? 16 : IN_PLACE_CELLS / w;
    int64_t block = parallel ? IN_PLACE_PIECES * piece : piece;
    block = block < m ? block : m;
    float *copy = malloc((size_t)block * (size_t)w * sizeof *copy);
    int64_t *local = malloc((size_t)block * sizeof *local);
    /* The features' columns in the copy: the same places in a row. */
    table view = *t;
    view.cols = malloc((size_t)t->n_cols * sizeof *view.cols);
    if (!copy || !local || !view.cols) {
        free(copy);
        free(local);
        free(view.cols);
        free(rest);
        return err_set(err, ERR_RUNTIME, "out of memory");
    }
    memcpy(view.cols, t->cols, (size_t)t->n_cols * sizeof *view.cols);
    for (int i = 0; i < p->n_features; i++)
        view.cols[cols[i]].num = copy + (t->cols[cols[i]].num - t->slab);
    for (int64_t k = 0; k < block; k++)
        local[k] = k;
    float *const x = t->slab;
#pragma omp parallel if (parallel)
    for (int64_t i0 = 0; i0 < m; i0 += block) {
        int64_t i1 = m - i0 < block ? m : i0 + block;
#pragma omp for schedule(static)
        for (int64_t i = i0; i < i1; i++)
            memcpy(copy + (i - i0) * w, x + rows[i] * w, (size_t)w * sizeof *copy);
#pragma omp for schedule(static)
        for (int64_t j0 = 0; j0 < i1 - i0; j0 += piece)
            apply_rows(p, &view, cols, maps, off, scale, run, local, j0,
                       i1 - i0 - j0 < piece ? i1 - i0 : j0 + piece,
                       x + (size_t)i0 * (size_t)p->n_inputs);
    }
    free(view.cols);
    free(copy);
    free(local);
    size_t used = (size_t)m * n_in;
    if (rest) {
        memcpy(x + used, rest, (size_t)(n - m) * n_in * sizeof *x);
        free(rest);
        used = (size_t)n * n_in;
    }
    /* The slab past the inputs goes back to the kernel (with
     * data.train_limit, the rows past it too). */
    size_t held = (size_t)t->slab_rows * (size_t)w;
    if (held > used)
        mem_release(x + used, (held - used) * sizeof *x);
    for (int32_t c = 0; c < t->n_cols; c++)
        if (t->cols[c].in_slab) {
            t->cols[c].num = NULL;
            t->cols[c].in_slab = 0;
        }
    t->slab = NULL;
    out->x = x;
    return 0;
}

/* prep_apply, and with consume (t then non-const) the inputs written over
 * t's own rows when they can be. */
static int apply(const prep_t *p, table *t, int consume, const int64_t *rows, int64_t n,
                 int with_targets, const prep_source *src, dataset *out, err_t *err)
{
    const char *source = src->name;
    memset(out, 0, sizeof *out);
    if (n > INT32_MAX)
        return err_set(err, ERR_INPUT, "%s: %lld rows, at most %d", source, (long long)n,
                       INT32_MAX);
    out->n = (int)n;
    out->n_in = p->n_inputs;
    int nf = p->n_features, n_in = p->n_inputs, rc = 0;
    int32_t *cols = malloc(((size_t)nf + 1) * sizeof *cols);
    int **maps = calloc((size_t)nf + 1, sizeof *maps);
    double *off = malloc(((size_t)nf + 1) * sizeof *off);
    double *scale = malloc(((size_t)nf + 1) * sizeof *scale);
    int *run = malloc(((size_t)nf + 1) * sizeof *run);
    if (!cols || !maps || !off || !scale || !run) {
        rc = err_set(err, ERR_RUNTIME, "out of memory");
        goto done;
    }
    /* Every check first, feature by feature: the error that filling a
     * feature at a time would meet first. */
    for (int i = 0; i < nf && rc == 0; i++) {
        const prep_feature *f = &p->features[i];
        if ((cols[i] = find_from(t, f->name, i ? cols[i - 1] + 1 : 0)) < 0) {
            rc = no_column(t, f->name, "the feature", source, err);
            break;
        }
        rc = check_feature(f, t, cols[i], rows, n, src, err);
        if (rc == 0 && f->categorical)
            rc = code_map(f, &t->cols[cols[i]], &maps[i], err);
        off[i] = f->offset;
        scale[i] = f->scale;
    }
    if (rc != 0)
        goto done;
    feature_runs(p, t, cols, run);
    const float *same;
    int64_t m = consume ? fits_in_place(p, t, cols, rows, n) : 0;
    if (m > 0) {
        /* the targets first: their column may lie under the inputs */
        if ((with_targets && (rc = apply_targets(p, t, rows, n, src, out, err)) != 0) ||
            (rc = apply_in_place(p, t, cols, maps, off, scale, run, rows, n, m, out, err)) != 0)
            goto done;
        with_targets = 0;
    } else if (inputs_are_rows(p, t, cols, rows, n, &same)) {
        out->x = (float *)same; /* the caller's; dataset_free leaves it */
        out->x_borrowed = 1;
    } else {
        out->x = dataset_floats((size_t)(n > 0 ? n : 1) * n_in);
        if (!out->x) {
            rc = err_set(err, ERR_RUNTIME, "out of memory for %lld x %d features",
                         (long long)n, n_in);
            goto done;
        }
        apply_blocks(p, t, cols, maps, off, scale, run, rows, n, out->x);
    }
    if (with_targets)
        rc = apply_targets(p, t, rows, n, src, out, err);
done:
    for (int i = 0; maps && i < nf; i++)
        free(maps[i]);
    free(maps);
    free(cols);
    free(off);
    free(scale);
    free(run);
    if (rc != 0)
        dataset_free(out);
    return rc;
}

int prep_apply(const prep_t *p, const table *t, const int64_t *rows, int64_t n,
               int with_targets, const prep_source *src, dataset *out, err_t *err)
{
    return apply(p, (table *)t, 0, rows, n, with_targets, src, out, err); /* never written */
}

int prep_apply_consumed(const prep_t *p, table *t, const int64_t *rows, int64_t n,
                        int with_targets, const prep_source *src, dataset *out, err_t *err)
{
    return apply(p, t, 1, rows, n, with_targets, src, out, err);
}

const char *prep_class_name(const prep_t *p, int k)
{
    return p->task == PREP_CLASSIFICATION && k >= 0 && k < p->n_classes ? p->classes[k] : "?";
}

double prep_target_value(const prep_t *p, int k, double v)
{
    if (p->task != PREP_REGRESSION || k < 0 || k >= p->n_targets)
        return v;
    return v * p->y_scale[k] + p->y_offset[k];
}

/* ---- the model file's copy ------------------------------------------------------- */

/* A growing little-endian byte buffer. */
typedef struct {
    uint8_t *b;
    size_t len, cap;
    int failed;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
    if (w->failed)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *g = realloc(w->b, cap);
        if (!g) {
            w->failed = 1;
            return;
        }
        w->b = g;
        w->cap = cap;
    }
    memcpy(w->b + w->len, p, n);
    w->len += n;
}

static void put_u32(wbuf *w, uint32_t v)
{
    uint8_t b[4];
    le_put_u32(b, v);
    put(w, b, 4);
}

static void put_f64(wbuf *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    uint8_t b[8];
    le_put_u64(b, bits);
    put(w, b, 8);
}

static void put_str(wbuf *w, const char *s)
{
    put_u32(w, (uint32_t)strlen(s));
    put(w, s, strlen(s));
}

int prep_write(const prep_t *p, uint8_t **buf, size_t *len, err_t *err)
{
    wbuf w = {0};
    put_u32(&w, (uint32_t)p->task);
    put_u32(&w, (uint32_t)p->n_features);
    for (int i = 0; i < p->n_features; i++) {
        const prep_feature *f = &p->features[i];
        put_str(&w, f->name);
        put_u32(&w, (uint32_t)f->categorical);
        put_f64(&w, f->fill);
        put_f64(&w, f->offset);
        put_f64(&w, f->scale);
        put_u32(&w, (uint32_t)f->n_cats);
        for (int k = 0; k < f->n_cats; k++)
            put_str(&w, f->cats[k]);
        put_u32(&w, (uint32_t)(f->fill_cat + 1)); /* 0: none */
    }
    put_u32(&w, (uint32_t)p->n_targets);
    for (int j = 0; j < p->n_targets; j++) {
        put_str(&w, p->targets[j]);
        put_f64(&w, p->task == PREP_REGRESSION ? p->y_offset[j] : 0);
        put_f64(&w, p->task == PREP_REGRESSION ? p->y_scale[j] : 1);
    }
    put_u32(&w, (uint32_t)p->n_classes);
    for (int k = 0; k < p->n_classes; k++)
        put_str(&w, p->classes[k]);
    if (w.failed) {
        free(w.b);
        return err_set(err, ERR_RUNTIME, "out of memory for the model's preprocessing");
    }
    *buf = w.b;
    *len = w.len;
    return 0;
}

/* Reading: every count and length checked against what is left. */
typedef struct {
    const uint8_t *b;
    size_t len, at;
    int bad;
} rbuf;

static uint32_t get_u32(rbuf *r)
{
    if (r->bad || r->len - r->at < 4) {
        r->bad = 1;
        return 0;
    }
    uint32_t v = le_get_u32(r->b + r->at);
    r->at += 4;
    return v;
}

static double get_f64(rbuf *r)
{
    if (r->bad || r->len - r->at < 8) {
        r->bad = 1;
        return 0;
    }
    uint64_t bits = le_get_u64(r->b + r->at);
    r->at += 8;
    double v;
    memcpy(&v, &bits, 8);
    return v;
}

static char *get_str(rbuf *r)
{
    uint32_t n = get_u32(r);
    if (r->bad || n > (1u << 20) || r->len - r->at < n) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, r->b + r->at, n);
    s[n] = '\0';
    r->at += n;
    if (strlen(s) != n) { /* a NUL inside */
        free(s);
        r->bad = 1;
        return NULL;
    }
    return s;
}

/* A count of at most max items of at least `least` bytes each. */
static int get_count(rbuf *r, uint32_t max, size_t least)
{
    uint32_t n = get_u32(r);
    if (r->bad || n > max || (size_t)n * least > r->len - r->at) {
        r->bad = 1;
        return 0;
    }
    return (int)n;
}

static char **get_strs(rbuf *r, int n)
{
    char **s = calloc((size_t)(n > 0 ? n : 1), sizeof *s);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    for (int k = 0; k < n && !r->bad; k++)
        s[k] = get_str(r);
    return s;
}

/* Class names: present and distinct. */
static int distinct_ok(char *const *s, int n)
{
    for (int k = 0; k < n; k++)
        if (!s[k] || find_name(s, k, s[k]) >= 0)
            return 0;
    return 1;
}

/* Names sorted strictly (so lookups by bsearch find them). */
static int sorted_unique(char *const *s, int n)
{
    for (int k = 1; k < n; k++)
        if (!s[k - 1] || !s[k] || strcmp(s[k - 1], s[k]) >= 0)
            return 0;
    return 1;
}

static int read_feature(rbuf *r, prep_feature *f)
{
    f->name = get_str(r);
    uint32_t cat = get_u32(r);
    f->fill = get_f64(r);
    f->offset = get_f64(r);
    f->scale = get_f64(r);
    f->n_cats = get_count(r, 1u << 24, 4);
    f->categorical = cat == 1;
    if (r->bad || cat > 1)
        return -1;
    f->cats = get_strs(r, f->n_cats);
    uint32_t fill_cat = get_u32(r); /* stored + 1: 0 is none */
    if (fill_cat > (uint32_t)f->n_cats)
        return -1;
    f->fill_cat = (int)fill_cat - 1;
    if (r->bad || !isfinite(f->offset) || !isfinite(f->scale) || !(f->scale > 0) ||
        isinf(f->fill) || f->fill_cat < -1 || f->fill_cat >= f->n_cats ||
        (!f->categorical && f->fill_cat != -1) ||
        (f->categorical ? f->n_cats < 1 || !sorted_unique(f->cats, f->n_cats) : f->n_cats != 0))
        return -1;
    return 0;
}

int prep_read(prep_t *p, const uint8_t *buf, size_t len, const char *source, err_t *err)
{
    memset(p, 0, sizeof *p);
    rbuf r = {buf, len, 0, 0};
    uint32_t task = get_u32(&r);
    p->task = task == PREP_REGRESSION ? PREP_REGRESSION : PREP_CLASSIFICATION;
    p->n_features = get_count(&r, 1u << 24, 40);
    if (task > PREP_REGRESSION)
        r.bad = 1;
    if (!r.bad && !(p->features = calloc((size_t)(p->n_features > 0 ? p->n_features : 1),
                                         sizeof *p->features)))
        r.bad = 1;
    for (int i = 0; i < p->n_features && !r.bad; i++) {
        if (read_feature(&r, &p->features[i]) != 0)
            r.bad = 1;
        else
            p->n_inputs += p->features[i].categorical ? p->features[i].n_cats : 1;
    }
    p->n_targets = get_count(&r, PREP_MAX_TARGETS, 20);
    if (!r.bad) {
        p->targets = calloc((size_t)(p->n_targets > 0 ? p->n_targets : 1), sizeof *p->targets);
        p->y_offset = calloc((size_t)(p->n_targets > 0 ? p->n_targets : 1), sizeof *p->y_offset);
        p->y_scale = calloc((size_t)(p->n_targets > 0 ? p->n_targets : 1), sizeof *p->y_scale);
        r.bad = !p->targets || !p->y_offset || !p->y_scale;
    }
    for (int j = 0; j < p->n_targets && !r.bad; j++) {
        p->targets[j] = get_str(&r);
        p->y_offset[j] = get_f64(&r);
        p->y_scale[j] = get_f64(&r);
        if (!isfinite(p->y_offset[j]) || !isfinite(p->y_scale[j]) || !(p->y_scale[j] > 0))
            r.bad = 1;
    }
    p->n_classes = get_count(&r, PREP_MAX_CLASSES, 4);
    if (!r.bad)
        p->classes = get_strs(&r, p->n_classes);
    if (!r.bad && (p->n_features < 1 || p->n_targets < 1 ||
                   (p->task == PREP_CLASSIFICATION
                        ? p->n_targets != 1 || p->n_classes < 2 || !distinct_ok(p->classes, p->n_classes)
                        : p->n_classes != 0) ||
                   r.at != len))
        r.bad = 1;
    if (r.bad) {
        prep_free(p);
        return err_set(err, ERR_INPUT, "%s: the preprocessing section is corrupt", source);
    }
    if (p->task == PREP_CLASSIFICATION) {
        free(p->y_offset);
        free(p->y_scale);
        p->y_offset = p->y_scale = NULL;
    }
    return 0;
}

void prep_free(prep_t *p)
{
    for (int i = 0; p->features && i < p->n_features; i++) {
        free(p->features[i].name);
        free_names(p->features[i].cats, p->features[i].n_cats);
    }
    free(p->features);
    free_names(p->targets, p->n_targets);
    free(p->y_offset);
    free(p->y_scale);
    free_names(p->classes, p->n_classes);
    memset(p, 0, sizeof *p);
}
