/* tables: see include/tables.h. */
#include "tables.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "rng.h"

/* Separates the split's draws from every other use of the seed. */
#define SPLIT_DOMAIN 0x73706c6974ULL /* "split" */

void tables_prep_opts(const cfg_t *c, prep_opts *o)
{
    static const prep_task tasks[] = {[CFG_TASK_CLASSIFICATION] = PREP_CLASSIFICATION,
                                      [CFG_TASK_REGRESSION] = PREP_REGRESSION};
    static const prep_scale scales[] = {[CFG_SCALE_STANDARD] = PREP_SCALE_STANDARD,
                                        [CFG_SCALE_MINMAX] = PREP_SCALE_MINMAX,
                                        [CFG_SCALE_NONE] = PREP_SCALE_NONE};
    static const prep_missing missing[] = {[CFG_MISSING_ERROR] = PREP_MISSING_ERROR,
                                           [CFG_MISSING_MEAN] = PREP_MISSING_MEAN,
                                           [CFG_MISSING_MEDIAN] = PREP_MISSING_MEDIAN,
                                           [CFG_MISSING_MOST_FREQUENT] = PREP_MISSING_MOST_FREQUENT};
    *o = (prep_opts){.task = tasks[c->task], .scale = scales[c->scale], .missing = missing[c->missing]};
}

/* The names of a cfg_names list as pointers, for prep_opts. */
typedef struct {
    const char *label[CFG_MAX_NAMES], *ignore[CFG_MAX_NAMES], *categorical[CFG_MAX_NAMES],
        *features[CFG_MAX_NAMES];
} name_ptrs;

static void point_names(const cfg_names *n, const char **out)
{
    for (int i = 0; i < n->n; i++)
        out[i] = n->v[i];
}

static void full_prep_opts(const cfg_t *c, name_ptrs *np, prep_opts *o)
{
    tables_prep_opts(c, o);
    point_names(&c->label, np->label);
    point_names(&c->ignore, np->ignore);
    point_names(&c->categorical, np->categorical);
    point_names(&c->features, np->features);
    o->labels = np->label;
    o->n_labels = c->label.n;
    o->ignore = np->ignore;
    o->n_ignore = c->ignore.n;
    o->categorical = np->categorical;
    o->n_categorical = c->categorical.n;
    o->features = np->features;
    o->n_features = c->features.n;
}

/* The reader's options from c's data keys; y_path (CFG_PATH_MAX * 2
 * bytes) holds the labels' .npy path, which o points into. */
static int table_opts(const cfg_t *c, const char *path, int with_labels, reader_opts *out,
                      char *y_path, err_t *err)
{
    static const char delims[] = {0, ',', ';', '\t', '|'}; /* CFG_DELIM_AUTO, then the names */
    reader_opts o;
    memset(&o, 0, sizeof o);
    csv_opts_default(&o.csv);
    o.csv.header = c->header;
    o.csv.delim = delims[c->delimiter];
    o.csv.threads = c->threads;
    if (c->missing_values.n >= CSV_MAX_MISSING)
        return err_set(err, ERR_INPUT, "data.missing_values: at most %d names, got %d",
                       CSV_MAX_MISSING - 1, c->missing_values.n);
    for (int i = 0; i <= c->missing_values.n; i++)
        o.csv.missing[i] = i < c->missing_values.n ? c->missing_values.v[i] : NULL;
    cfg_data_path(c, c->npz_y, y_path, CFG_PATH_MAX * 2);
    o.x_name = c->npz_x;
    /* .npz: an array's name; .npy: the labels' own file. */
    size_t n = strlen(path);
    o.y_name = n > 4 && strcmp(path + n - 4, ".npy") == 0 ? y_path : c->npz_y;
    o.with_labels = with_labels;
    *out = o;
    return 0;
}

int tables_read(const cfg_t *c, const char *path, int with_labels, table *out, err_t *err)
{
    reader_opts o;
    char y_path[CFG_PATH_MAX * 2];
    memset(out, 0, sizeof *out);
    if (table_opts(c, path, with_labels, &o, y_path, err) != 0)
        return -1;
    return reader_read(path, &o, out, err);
}

int tables_each(const cfg_t *c, const char *path, int with_labels, csv_rows_fn fn, void *user,
                err_t *err)
{
    reader_opts o;
    char y_path[CFG_PATH_MAX * 2];
    if (table_opts(c, path, with_labels, &o, y_path, err) != 0)
        return -1;
    return reader_each(path, &o, fn, user, err);
}

/* prep_source's locate for a file read as the config (src->user) says:
 * the cell's FILE:LINE:COL, from a second read of the file (reader_locate;
 * only ever for an error message). */
static int locate_cell(const prep_source *src, int64_t record, int32_t column, char *buf,
                       size_t n)
{
    reader_opts o;
    char y_path[CFG_PATH_MAX * 2];
    err_t err;
    long long line, col;
    if (table_opts(src->user, src->name, 0, &o, y_path, &err) != 0 ||
        reader_locate(src->name, &o, record, column, &line, &col, &err) != 0)
        return -1;
    snprintf(buf, n, "%s:%lld:%lld", src->name, line, col);
    return 0;
}

prep_source tables_source(const cfg_t *c, const char *path, int64_t first_record)
{
    return (prep_source){.name = path, .first_record = first_record, .locate = locate_cell,
                         .user = c};
}

/* The rows of each set, in file order. */
typedef struct {
    int64_t *fit, *val, *test;
    int64_t n_fit, n_val, n_test;
} split_t;

static void split_free(split_t *s)
{
    free(s->fit);
    free(s->val);
    free(s->test);
    memset(s, 0, sizeof *s);
}

/* n rows of the training file (the test file has n_test_file, or -1 for
 * none): shuffled by the seed, then cut as the header says. */
static int split_rows(const cfg_t *c, int64_t n, int64_t n_test_file, const char *source,
                      split_t *s, err_t *err)
{
    memset(s, 0, sizeof *s);
    if (n > INT32_MAX)
        return err_set(err, ERR_INPUT, "%s: %lld rows, at most %d", source, (long long)n,
                       INT32_MAX);
    int64_t n_test = n_test_file >= 0 ? 0 : (int64_t)llround(c->test_fraction * (double)n);
    int64_t n_val = cfg_validation_rows(c, n - n_test);
    if (n_test + n_val >= n) {
        /* The key that held out the most rows: where to look. */
        const char *key = n_test >= n_val            ? "data.test_fraction"
                          : c->validation_fraction > 0 ? "data.validation_fraction"
                                                       : "data.validation";
        char at[CFG_PATH_MAX + 64];
        cfg_where(c, key, at, sizeof at);
        return err_set(err, ERR_INPUT, "%s: %s: %s has %lld rows: %lld held out for the test set "
                       "and %lld for validation leave none to train on", at, key, source,
                       (long long)n, (long long)n_test, (long long)n_val);
    }
    int *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    s->fit = malloc((size_t)(n > 0 ? n : 1) * sizeof *s->fit);
    s->val = malloc((size_t)(n_val > 0 ? n_val : 1) * sizeof *s->val);
    s->test = malloc((size_t)((n_test_file > 0 ? n_test_file : n_test) + 1) * sizeof *s->test);
    if (!perm || !s->fit || !s->val || !s->test) {
        free(perm);
        split_free(s);
        return err_set(err, ERR_RUNTIME, "out of memory for the split of %lld rows", (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        perm[i] = (int)i;
    rng_t r;
    rng_seed(&r, rng_mix(c->seed, SPLIT_DOMAIN));
    rng_shuffle(&r, perm, (int)n);
    /* Each row's set by its place in the shuffle, then each set's rows in
     * file order: perm holds every row once, so this is the sort. */
    uint8_t *set = malloc((size_t)(n > 0 ? n : 1));
    if (!set) {
        free(perm);
        split_free(s);
        return err_set(err, ERR_RUNTIME, "out of memory for the split of %lld rows", (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        set[perm[i]] = i < n_test ? 0 : i < n_test + n_val ? 1 : 2;
    free(perm);
    for (int64_t r = 0; r < n; r++) {
        if (set[r] == 0)
            s->test[s->n_test++] = r;
        else if (set[r] == 1)
            s->val[s->n_val++] = r;
        else
            s->fit[s->n_fit++] = r;
    }
    free(set);
    if (n_test_file >= 0)
        for (int64_t i = 0; i < n_test_file; i++)
            s->test[s->n_test++] = i;
    return 0;
}

/* The columns the config names (data.label, data.features, data.ignore,
 * data.categorical) are columns of t (source, the training file): else
 * an error at the key's file:line:col, naming the file and its columns. */
static int check_names(const cfg_t *c, const table *t, const char *source, err_t *err)
{
    static const struct {
        const char *key;
        size_t off;
    } lists[] = {{"data.label", offsetof(cfg_t, label)},
                 {"data.features", offsetof(cfg_t, features)},
                 {"data.ignore", offsetof(cfg_t, ignore)},
                 {"data.categorical", offsetof(cfg_t, categorical)}};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        const cfg_names *names = (const cfg_names *)((const char *)c + lists[l].off);
        for (int i = 0; i < names->n; i++) {
            if (prep_find_column(t, names->v[i]) >= 0)
                continue;
            char at[CFG_PATH_MAX + 64], cols[PREP_COLUMN_LIST_MAX];
            cfg_where(c, lists[l].key, at, sizeof at);
            prep_column_list(t, cols, sizeof cols);
            return err_set(err, ERR_INPUT, "%s: %s '%s': no such column in %s (its %ld "
                           "columns: %s; or give a 0-based index below %ld)", at,
                           lists[l].key, names->v[i], source, (long)t->n_cols, cols,
                           (long)t->n_cols);
        }
    }
    return 0;
}

/* A text column counts as a typo in a numeric one when at least this
 * share of its cells that are not missing are numbers. */
#define NUMERIC_SHARE 0.9

/* 1 if one of the names (or indexes) in n is column j of t. */
static int names_have(const table *t, int32_t j, const cfg_names *n)
{
    for (int i = 0; i < n->n; i++)
        if (prep_find_column(t, n->v[i]) == j)
            return 1;
    return 0;
}

/* A feature column that reads as text only because of a few cells (one
 * typo, "1O65" for 1065, or an unlisted missing-value token) would become
 * a categorical feature of a hundred categories without a word: that is
 * an error naming the first such cell, unless data.categorical lists the
 * column (its values are then categories, as asked). */
static int check_typos(const cfg_t *c, const table *t, const prep_source *src, err_t *err)
{
    for (int32_t j = 0; j < t->n_cols; j++) {
        const table_col *col = &t->cols[j];
        int label = c->label.n > 0 ? names_have(t, j, &c->label) : j == t->n_cols - 1;
        if (col->kind != TABLE_TEXT || col->n_cats < 1 || names_have(t, j, &c->categorical) ||
            label || names_have(t, j, &c->ignore) ||
            (c->features.n > 0 && !names_have(t, j, &c->features)))
            continue;
        uint8_t *num = malloc((size_t)col->n_cats);
        if (!num)
            return err_set(err, ERR_RUNTIME, "out of memory");
        for (int32_t k = 0; k < col->n_cats; k++)
            num[k] = (uint8_t)csv_cell_is_number(col->cats[k], strlen(col->cats[k]));
        int64_t numbers = 0, others = 0, first = -1;
        for (int64_t r = 0; r < t->n_rows; r++) {
            int32_t k = col->code[r];
            if (k < 0)
                continue;
            numbers += num[k];
            others += !num[k];
            if (!num[k] && first < 0)
                first = r;
        }
        free(num);
        if (others == 0 || (double)numbers < NUMERIC_SHARE * (double)(numbers + others))
            continue;
        return prep_cell_error(src, t, col, first, err,
                               "'%.64s' is not a number, though %lld of the column's %lld other "
                               "cells are: fix the cell, add it to data.missing_values if it "
                               "means missing, or list the column in data.categorical to take "
                               "its values as categories", table_text(t, j, first),
                               (long long)numbers, (long long)(numbers + others - 1));
    }
    return 0;
}

/* The training rows then the validation rows, as one list. */
static int64_t *fit_then_val(const split_t *s)
{
    int64_t *rows = malloc((size_t)(s->n_fit + s->n_val + 1) * sizeof *rows);
    if (rows) {
        memcpy(rows, s->fit, (size_t)s->n_fit * sizeof *rows);
        memcpy(rows + s->n_fit, s->val, (size_t)s->n_val * sizeof *rows);
    }
    return rows;
}

/* rows[0..n) of t, from src, through prep into out, with their targets;
 * with consume t is not read again (prep_apply_consumed). */
static int apply_split(const prep_t *prep, table *t, int consume, const int64_t *rows, int64_t n,
                       const prep_source *src, dataset *out, err_t *err)
{
    return consume ? prep_apply_consumed(prep, t, rows, n, 1, src, out, err)
                   : prep_apply(prep, t, rows, n, 1, src, out, err);
}

/* The split and the preprocessing of tables already read: tt (its first
 * n_rows count) and ut (NULL: none), from train_src and test_src. With
 * consume, tables_load's own tables, which preprocessing may write its
 * inputs over (prep_apply_consumed): the test rows come first when they
 * share the training table (so a bad cell among them is reported before
 * one among the training rows). */
static int split_apply(const cfg_t *c, table *tt, int64_t n_rows, table *ut, int consume,
                       const prep_source *train_src, const prep_source *test_src, prep_t *prep,
                       int fit, dataset *train, dataset *test, err_t *err)
{
    split_t s = {0};
    int64_t *rows = NULL;
    name_ptrs np;
    prep_opts po;
    int rc = -1;
    if (fit && (check_names(c, tt, train_src->name, err) != 0 ||
                check_typos(c, tt, train_src, err) != 0))
        return -1;
    if (split_rows(c, n_rows, ut ? ut->n_rows : -1, train_src->name, &s, err) != 0)
        goto done;
    full_prep_opts(c, &np, &po);
    if (fit && prep_fit(prep, tt, s.fit, s.n_fit, &po, train_src, err) != 0)
        goto done;
    if (!(rows = fit_then_val(&s))) {
        err_set(err, ERR_RUNTIME, "out of memory");
        goto fail;
    }
    if (test && !ut && apply_split(prep, tt, 0, s.test, s.n_test, train_src, test, err) != 0)
        goto fail;
    if (train && apply_split(prep, tt, consume, rows, s.n_fit + s.n_val, train_src, train, err) != 0)
        goto fail;
    if (test && ut && apply_split(prep, ut, consume, s.test, s.n_test, test_src, test, err) != 0)
        goto fail;
    rc = 0;
    goto done;
fail:
    if (train)
        dataset_free(train);
    if (test)
        dataset_free(test);
    if (fit)
        prep_free(prep);
done:
    free(rows);
    split_free(&s);
    return rc;
}

int tables_load(const cfg_t *c, prep_t *prep, int fit, dataset *train, dataset *test, err_t *err)
{
    char train_path[CFG_PATH_MAX * 2], test_path[CFG_PATH_MAX * 2] = "";
    table tt = {0}, ut = {0};
    int rc = -1;
    if (train)
        memset(train, 0, sizeof *train);
    if (test)
        memset(test, 0, sizeof *test);
    cfg_data_path(c, c->train_table, train_path, sizeof train_path);
    if (c->test_table[0])
        cfg_data_path(c, c->test_table, test_path, sizeof test_path);
    if (tables_read(c, train_path, READER_WITH_LABELS, &tt, err) != 0 ||
        (c->test_table[0] && tables_read(c, test_path, READER_WITH_LABELS, &ut, err) != 0))
        goto done;
    if (c->train_limit > 0 && tt.n_rows > c->train_limit)
        tt.n_rows = c->train_limit; /* the columns keep their length; only the first rows count */
    prep_source train_src = tables_source(c, train_path, 0);
    prep_source test_src = tables_source(c, test_path, 0);
    rc = split_apply(c, &tt, tt.n_rows, c->test_table[0] ? &ut : NULL, 1, &train_src, &test_src,
                     prep, fit, train, test, err);
done:
    table_free(&tt);
    table_free(&ut);
    return rc;
}

int tables_load_table(const cfg_t *c, const table *train_t, const table *test_t, prep_t *prep,
                      int fit, dataset *train, dataset *test, err_t *err)
{
    if (train)
        memset(train, 0, sizeof *train);
    if (test)
        memset(test, 0, sizeof *test);
    int64_t n = train_t->n_rows;
    if (c->train_limit > 0 && n > c->train_limit)
        n = c->train_limit;
    /* Arrays in memory: cells are named by record (row) and column. */
    prep_source train_src = {.name = "the training table"}, test_src = {.name = "the test table"};
    /* consume 0: the caller's tables are only read */
    return split_apply(c, (table *)train_t, n, (table *)test_t, 0, &train_src, &test_src, prep,
                       fit, train, test, err);
}
