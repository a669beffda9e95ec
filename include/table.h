/* table: the raw table every data reader fills (src/data/: csv, npy).
 *
 * A table is n_rows x n_cols cells, seen column by column. Each column has
 * a name and one kind for all its cells:
 *
 *   TABLE_NUMERIC  num           cell r at num[r * table_stride]: the value as a
 *                                float32 (what the network takes; readers round
 *                                each number once, correctly); a missing cell
 *                                holds NaN
 *   TABLE_TEXT     code[n_rows]  the index of the cell's value in cats[n_cats]
 *                                (the column's distinct values, interned, in the
 *                                order first seen); a missing cell holds -1
 *
 * and, for both kinds, missing[n_rows] (1 = the cell is missing) when the
 * column has any missing cell, else NULL (n_missing == 0).
 *
 * A numeric column's cells need not be contiguous: cell r is
 * num[r * stride] (stride 0 or 1: contiguous). Two kinds of table hold
 * columns a row apart:
 *   - the CSV reader's: its numeric columns share one block, the table's
 *     slab, row by row (row r at slab + r * slab_cols, the k-th numeric
 *     column at slab + k, stride slab_cols; in huge pages: filling one
 *     allocation per column took a page fault per 4 KB). in_slab is 1 and
 *     table_free frees the slab once, never such a column's num. A column
 *     that turned to text is not in it (num NULL, in_slab 0).
 *     Preprocessing may turn the rows into the network's inputs where they
 *     lie (prep_apply_consumed); the numeric columns are gone then (num
 *     NULL, in_slab 0, kind still NUMERIC: only table_free may follow).
 *   - a library caller's row-major array (nnt_train_arrays: column j of X
 *     is X + j, one row every d floats): borrowed is 1, and such a table
 *     is never written to; table_free leaves num alone.
 * NumPy's reader makes contiguous columns. Read a numeric cell with
 * table_num, or num[r * table_stride(col)]. A numeric value is
 * never NaN or infinite unless missing: the readers refuse non-finite input,
 * so NaN in num[] always means "missing".
 *
 * Names and categories are NUL-terminated, valid UTF-8 without NUL bytes.
 * Names are distinct. The readers name unnamed columns: a headerless CSV
 * "0".."n-1", NumPy features "x0".."x{d-1}" and labels "y" (or "y0".."y{k-1}").
 *
 * Nothing here knows about files; what a column means (feature, label,
 * category to one-hot encode) is decided by the consumer. */
#ifndef NNTRAIN_TABLE_H
#define NNTRAIN_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

typedef enum { TABLE_NUMERIC = 0, TABLE_TEXT = 1 } table_kind;

typedef struct {
    char *name;         /* the column's name */
    table_kind kind;
    float *num;         /* NUMERIC: cell r at num[r * table_stride]; NaN = missing. NULL for TEXT */
    int32_t *code;      /* TEXT: [n_rows] index into cats, -1 = missing. NULL for NUMERIC */
    uint8_t *missing;   /* [n_rows] 1 = missing; NULL when n_missing == 0 */
    int64_t n_missing;  /* how many cells are missing */
    int32_t n_cats;     /* TEXT: how many distinct values */
    char **cats;        /* TEXT: [n_cats] the distinct values, first-seen order */
    int64_t stride;     /* NUMERIC: cell r is num[r * stride]; 0 or 1: contiguous */
    int borrowed;       /* 1: num is the caller's (read only, not freed) */
    int in_slab;        /* 1: num lies in the table's slab (freed with it, not on its own) */
} table_col;

/* Floats from one numeric cell to the next down the column. */
static inline int64_t table_stride(const table_col *col)
{
    return col->stride > 1 ? col->stride : 1;
}

/* The value of numeric cell r (NaN when missing). */
static inline float table_num(const table_col *col, int64_t r)
{
    return col->num[r * table_stride(col)];
}

typedef struct {
    int64_t n_rows;
    int32_t n_cols;
    table_col *cols;    /* [n_cols] */
    float *slab;        /* NULL, or the block (mem_floats_raw) holding the columns with
                         * in_slab set, row by row; freed by table_free */
    int32_t slab_cols;  /* floats per row of the slab */
    int64_t slab_rows;  /* rows the slab has room for (n_rows or more) */
} table;

/* 1 if cell (row r, column c) is missing. */
static inline int table_is_missing(const table *t, int32_t c, int64_t r)
{
    return t->cols[c].missing ? t->cols[c].missing[r] : 0;
}

/* The text of a TEXT cell, or NULL when it is missing. */
static inline const char *table_text(const table *t, int32_t c, int64_t r)
{
    int32_t k = t->cols[c].code[r];
    return k < 0 ? NULL : t->cols[c].cats[k];
}

/* Index of the column named name, or -1. */
int32_t table_find(const table *t, const char *name);

/* A numeric column's summary over some rows: its m cells not missing,
 * their sum, lowest and highest (the first of equal values: -0 before 0
 * stays), and the sum of their squared deviations from the mean (sum /
 * m), each added in row order: the same bits however the table is laid
 * out and however many threads share the work. */
typedef struct {
    int64_t m;
    double sum, lo, hi, ss;
} table_summary;

/* The summaries of numeric columns cols[0..nc) of t (cols NULL: every
 * column, nc = n_cols; a text column's summary is zeroes) over rows
 * rows[0..n) (rows NULL: rows 0..n-1) into st[nc]. Eight columns at a
 * time, their sums in registers down the rows and both passes before the
 * next eight, so a table laid out row by row is read a few cache lines a
 * row; threads take whole work items (eight columns, or one with missing
 * cells) from a million cells on. -1 on out of memory. */
int table_summarize(const table *t, const int32_t *cols, int32_t nc, const int64_t *rows,
                    int64_t n, table_summary *st);

/* Frees everything t owns and zeroes it (safe on a zeroed table). */
void table_free(table *t);

/* ---- for readers --------------------------------------------------------- */

/* Allocates n_cols zeroed columns (kind NUMERIC, no names yet) and sets
 * n_rows to 0; -1 with ERR_RUNTIME on out of memory. */
int table_init(table *t, int32_t n_cols, err_t *err);

/* Marks cell r of column c missing (allocating the missing[] array of
 * n_rows zeroes on first use) and stores NaN or -1 in it (a borrowed
 * column already holds its NaN and is left as it is). */
int table_set_missing(table *t, int32_t c, int64_t r, err_t *err);

/* A string interner: open addressing, strings copied in first-seen order.
 * Used for a text column's categories. */
typedef struct {
    char **strs;        /* [n] the strings, in insertion order */
    uint32_t *lens;     /* [n] their byte lengths */
    int32_t n, cap_strs;
    int32_t *slots;     /* [n_slots] index into strs, -1 = empty */
    uint32_t n_slots;   /* a power of two, kept >= 2n */
} table_intern;

/* The index of s[0..len) in in, adding it if new; -1 on out of memory. */
int32_t table_intern_add(table_intern *in, const char *s, uint32_t len);
/* Hands the strings to a column (cats, n_cats) and frees the rest. */
void table_intern_move(table_intern *in, table_col *col);
void table_intern_free(table_intern *in);

#endif
