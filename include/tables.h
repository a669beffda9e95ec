/* tables: a config's table data (data.train, data.test) read, split and
 * turned into datasets through the preprocessing (prep.h), exactly as a
 * training run does it, so that eval and the other commands that take a
 * config see the same rows.
 *
 * The split, without data.test: the rows of data.train (its first
 * data.train_limit, when set) are shuffled with a generator seeded by
 * train.seed; the first round(data.test_fraction * n) are the test set,
 * the next data.validation (or round(data.validation_fraction * m) of
 * the m rows left: cfg_validation_rows) the validation set, the rest are
 * trained on.
 * With data.test, that file is the test set and only the validation set
 * is drawn. Each set keeps the file's row order. */
#ifndef NNTRAIN_TABLES_H
#define NNTRAIN_TABLES_H

#include "cfg.h"
#include "dataset.h"
#include "err.h"
#include "prep.h"
#include "csv.h"
#include "reader.h"
#include "table.h"

/* How the config reads a table file: CSV options and the NumPy arrays.
 * with_labels: which arrays of a NumPy file (READER_*, reader.h). */
int tables_read(const cfg_t *c, const char *path, int with_labels, table *out, err_t *err);

/* The same a piece at a time (reader_each): a CSV in chunks, so a file
 * larger than memory can be predicted. */
int tables_each(const cfg_t *c, const char *path, int with_labels, csv_rows_fn fn, void *user,
                err_t *err);

/* Where the rows of a table read from path as c says come from, for
 * prep's messages (prep_source): a cell of a CSV file is named
 * FILE:LINE:COL, found by reading the file again up to it (only when an
 * error is reported); a NumPy file's by record and column. first_record:
 * the file's record of the table's row 0 (a piece of tables_each starts
 * further on). c and path must outlive the result. */
prep_source tables_source(const cfg_t *c, const char *path, int64_t first_record);

/* Reads and splits the config's tables. fit: prep is fitted on the
 * training rows first (a run); else prep is the model's, applied as it is
 * (eval). train gets the training rows then the validation rows (the last
 * data.validation examples), test the test rows; either may be NULL. On
 * error nothing stays allocated (prep included, when fit). */
int tables_load(const cfg_t *c, prep_t *prep, int fit, dataset *train, dataset *test, err_t *err);

/* The same for tables already in memory (a library caller's arrays):
 * train_t, and test_t as the test set (NULL: data.test_fraction of
 * train_t's rows), split and preprocessed exactly as tables_load does
 * the files' (the config's file keys are not read). */
int tables_load_table(const cfg_t *c, const table *train_t, const table *test_t, prep_t *prep,
                      int fit, dataset *train, dataset *test, err_t *err);

/* The config's data keys as prep's options, but for the column lists
 * (labels, ignore, categorical: tables_load points them at c's). */
void tables_prep_opts(const cfg_t *c, prep_opts *o);

#endif
