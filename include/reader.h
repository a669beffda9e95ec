/* reader: one entry to the readers of src/data/, chosen by the file's
 * name, so that every consumer reads every format the same way:
 *
 *   .csv .tsv .txt, each also .gz   CSV (csv.h; the delimiter detected or set)
 *   .npy                            NumPy features; labels from a second .npy
 *   .npz                            NumPy arrays named x_name and y_name
 *
 * Adding a format: a reader beside the others filling a table (table.h),
 * one row in READERS[] (src/data/reader.c), and its files in
 * tests/test_data.c's every-format tests. */
#ifndef NNTRAIN_READER_H
#define NNTRAIN_READER_H

#include "csv.h"
#include "err.h"
#include "table.h"

typedef struct {
    csv_opts csv;         /* CSV files */
    const char *x_name;   /* .npz: the features' array ("X") */
    const char *y_name;   /* .npz: the labels' array ("y"); .npy: the labels' .npy file
                           * ("" or NULL: none) */
    int with_labels;      /* which arrays a NumPy file gives: READER_* below */
} reader_opts;

/* reader_opts.with_labels. A CSV is read whole whatever it says: its
 * label columns are columns like the others. */
enum {
    READER_FEATURES_ONLY = 0,     /* X alone (prediction): no labels read */
    READER_WITH_LABELS = 1,       /* X and the labels (training): a missing y is an error */
    READER_LABELS_IF_PRESENT = 2  /* what the file has (describe): an .npz's y when it has
                                   * one; a .npy alone (its labels are another file) */
};

/* Reads path into out as its name says. ERR_INPUT names the file for an
 * unknown extension. */
int reader_read(const char *path, const reader_opts *o, table *out, err_t *err);

/* Hands path's rows to fn a piece at a time, in file order (csv_rows_fn):
 * a CSV a chunk at a time (csv_read_each: memory stays at a chunk), the
 * NumPy formats in one piece. */
int reader_each(const char *path, const reader_opts *o, csv_rows_fn fn, void *user, err_t *err);

/* Where record `record` (0-based), column `column` of the table read from
 * path lies in the file: for a CSV, *line and *col (csv_locate: the file
 * read again); the other formats have no lines (-1). */
int reader_locate(const char *path, const reader_opts *o, long long record, int32_t column,
                  long long *line, long long *col, err_t *err);

#endif
