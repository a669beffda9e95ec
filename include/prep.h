/* prep: what a table model learns of its data besides the weights, so
 * that raw rows go in and answers in the data's own terms come out. It is
 * fitted on the training split only, stored in the model file and applied
 * by every command that takes a model.
 *
 *   numeric column  -> 1 input: (v - offset) / scale, where offset and scale
 *                      are the training split's mean and standard deviation
 *                      (data.scale: standard), min and range (minmax), or
 *                      0 and 1 (none); a missing cell takes `fill` (the
 *                      mean, median or most frequent value, data.missing),
 *                      or is an error;
 *   text column     -> one input per category seen in training (one-hot,
 *                      categories sorted by their bytes); a category never
 *                      seen gives all zeros; a missing cell takes the most
 *                      frequent category, or is an error;
 *   classification  -> the label column's classes, sorted (numbers by value,
 *                      text by bytes); class k is output unit k;
 *   regression      -> each target column standardised: y = (v - mean) / sd,
 *                      with mean and sd kept to answer in the target's units.
 *
 * Everything is computed in double, in row order: the same bits on every
 * machine. Nothing here reads files or trains: tables come from the readers
 * (table.h), datasets go to training (dataset.h). */
#ifndef NNTRAIN_PREP_H
#define NNTRAIN_PREP_H

#include <stddef.h>
#include <stdint.h>
#include "dataset.h"
#include "err.h"
#include "table.h"

#define PREP_MAX_CLASSES 256  /* labels are bytes (dataset.h) */
#define PREP_MAX_TARGETS 64

typedef enum { PREP_CLASSIFICATION, PREP_REGRESSION } prep_task;
typedef enum { PREP_SCALE_STANDARD, PREP_SCALE_MINMAX, PREP_SCALE_NONE } prep_scale;
typedef enum {
    PREP_MISSING_ERROR, PREP_MISSING_MEAN, PREP_MISSING_MEDIAN, PREP_MISSING_MOST_FREQUENT
} prep_missing;

/* One feature column and how it becomes inputs. */
typedef struct {
    char *name;
    int categorical;      /* 0: one numeric input; 1: n_cats one-hot inputs */
    double fill;          /* numeric: a missing cell's value; NaN: missing is an error */
    double offset, scale; /* numeric: input = (v - offset) / scale (scale > 0) */
    int n_cats;           /* categorical: the categories seen in training, sorted */
    char **cats;
    int fill_cat;         /* categorical: a missing cell's category; -1: an error */
} prep_feature;

typedef struct {
    prep_task task;
    int n_features;
    prep_feature *features; /* (n_features) in input order */
    int n_inputs;           /* the network's input size */
    int n_targets;          /* label columns: 1 for classification */
    char **targets;         /* (n_targets) their names */
    double *y_offset;       /* (n_targets) regression: y = (v - offset) / scale */
    double *y_scale;
    int n_classes;          /* classification: the network's output size */
    char **classes;         /* (n_classes) */
} prep_t;

/* How to fit: the config's data keys, as prep needs them. */
typedef struct {
    prep_task task;
    prep_scale scale;
    prep_missing missing;
    const char *const *labels;  /* the label columns, by name or 0-based index ("3");
                                 * none: the last column */
    int n_labels;
    const char *const *ignore;  /* columns that are neither feature nor label */
    int n_ignore;
    const char *const *features; /* when n_features > 0, the only feature columns
                                  * (in the file's order); none may be a label
                                  * or ignored */
    int n_features;
    const char *const *categorical; /* numeric columns to treat as categories */
    int n_categorical;
} prep_opts;

/* A column of t given by name, or by its 0-based index when no column has
 * that name and it is all digits; -1 when there is none (how prep_fit
 * finds o->labels, o->ignore and o->categorical). */
int32_t prep_find_column(const table *t, const char *key);

/* The first PREP_LIST_COLUMNS column names of t for a message, "a, b, c",
 * then " and N more" (each name cut at 40 bytes); buf of
 * PREP_COLUMN_LIST_MAX bytes holds it all. */
#define PREP_LIST_COLUMNS 8
#define PREP_COLUMN_LIST_MAX (PREP_LIST_COLUMNS * 45 + 32)
void prep_column_list(const table *t, char *buf, size_t n);

/* Where a table's rows come from, for messages. A message about one cell
 * (a missing value, text in a numeric column, a class unseen in training)
 * starts "WHERE: column 'NAME': ", WHERE being what locate writes for the
 * cell (a CSV's "FILE:LINE:COL": tables_source in tables.h), or, without
 * locate or when it fails, "NAME: record N" (N counts the data records
 * from 1). Every other message starts "NAME: ". */
typedef struct prep_source {
    const char *name;     /* the file, or e.g. "the training table" */
    int64_t first_record; /* the record (0-based) of the table's row 0: a
                           * piece of a file read a chunk at a time starts
                           * further on */
    /* NULL, or: the place of data record `record` (0-based), column
     * `column` of the table, into buf[n]; 0, or -1 when it cannot tell.
     * Called only to compose an error message. */
    int (*locate)(const struct prep_source *src, int64_t record, int32_t column, char *buf,
                  size_t n);
    const void *user;     /* for locate */
} prep_source;

/* An error (ERR_INPUT) about the cell of col (a column of t) in row, which
 * comes from src: "WHERE: column 'NAME': " then fmt's message, WHERE as
 * prep_source says. Returns -1. */
int prep_cell_error(const prep_source *src, const table *t, const table_col *col, int64_t row,
                    err_t *err, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Fits p to rows[0..n) of t (the training split), which come from src.
 * On error nothing stays allocated. */
int prep_fit(prep_t *p, const table *t, const int64_t *rows, int64_t n, const prep_opts *o,
             const prep_source *src, err_t *err);

/* The inputs and targets of rows[0..n) of t (from src) as a dataset (x and
 * labels or y, y_scale pointing into p). t's columns are found by name,
 * so a test file may order them otherwise; with_targets 0 leaves the
 * targets out (prediction: the label columns may be missing). */
int prep_apply(const prep_t *p, const table *t, const int64_t *rows, int64_t n,
               int with_targets, const prep_source *src, dataset *out, err_t *err);

/* prep_apply for a table not needed afterwards: when every feature is a
 * numeric column of t's slab with no cell missing and rows ascend, the
 * inputs are written over t's own rows and the slab becomes out->x (t's
 * numeric columns are gone then; the rest of t stays for table_free). A
 * fresh page costs more than filling it on the VM measured (MNIST as CSV:
 * 188 MB not asked for twice). The same bits as prep_apply either way. */
int prep_apply_consumed(const prep_t *p, table *t, const int64_t *rows, int64_t n,
                        int with_targets, const prep_source *src, dataset *out, err_t *err);

/* A model file's copy of p: len bytes (little-endian), and back, every
 * field checked (source names the file in messages). */
int prep_write(const prep_t *p, uint8_t **buf, size_t *len, err_t *err);
int prep_read(prep_t *p, const uint8_t *buf, size_t len, const char *source, err_t *err);

/* The answer of output unit k in the data's terms: a class name, or, for a
 * regression, the target's value in its own units from the network's v. */
const char *prep_class_name(const prep_t *p, int k);
double prep_target_value(const prep_t *p, int k, double v);

void prep_free(prep_t *p);

#endif
