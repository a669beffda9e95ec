/* table: see include/table.h. */
#include "table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t table_find(const table *t, const char *name)
{
    for (int32_t c = 0; c < t->n_cols; c++)
        if (t->cols[c].name && strcmp(t->cols[c].name, name) == 0)
            return c;
    return -1;
}

void table_free(table *t)
{
    for (int32_t c = 0; t->cols && c < t->n_cols; c++) {
        table_col *col = &t->cols[c];
        free(col->name);
        if (!col->borrowed && !col->in_slab)
            free(col->num);
        free(col->code);
        free(col->missing);
        for (int32_t k = 0; k < col->n_cats; k++)
            free(col->cats[k]);
        free(col->cats);
    }
    free(t->cols);
    free(t->slab); /* mem_floats_raw's block: mem_free is free() */
    memset(t, 0, sizeof *t);
}

#define SUMMARY_ROWS 64 /* rows per block of table_summarize */

/* Pass 1 (sums, lowest, highest) or 2 (squares about the mean) of
 * table_summarize over rows [r0, r1). */
static void summarize_rows(const table *t, table_summary *st, int pass, int64_t r0, int64_t r1)
{
    for (int32_t c = 0; c < t->n_cols; c++) {
        const table_col *col = &t->cols[c];
        if (col->kind != TABLE_NUMERIC || !col->num)
            continue;
        table_summary *a = &st[c];
        const int64_t s = table_stride(col);
        double mean = pass == 2 && a->m ? a->sum / (double)a->m : 0;
        for (int64_t r = r0; r < r1; r++) {
            if (col->missing && col->missing[r])
                continue;
            double v = col->num[r * s];
            if (pass == 2) {
                a->ss += (v - mean) * (v - mean);
                continue;
            }
            if (a->m++ == 0)
                a->lo = a->hi = v;
            a->sum += v;
            a->lo = v < a->lo ? v : a->lo;
            a->hi = v > a->hi ? v : a->hi;
        }
    }
}

void table_summarize(const table *t, table_summary *st)
{
    memset(st, 0, (size_t)t->n_cols * sizeof *st);
    for (int pass = 1; pass <= 2; pass++)
        for (int64_t r0 = 0; r0 < t->n_rows; r0 += SUMMARY_ROWS)
            summarize_rows(t, st, pass, r0,
                           t->n_rows - r0 < SUMMARY_ROWS ? t->n_rows : r0 + SUMMARY_ROWS);
}

int table_init(table *t, int32_t n_cols, err_t *err)
{
    memset(t, 0, sizeof *t);
    t->cols = calloc(n_cols > 0 ? (size_t)n_cols : 1, sizeof *t->cols);
    if (!t->cols)
        return err_set(err, ERR_RUNTIME, "out of memory for %d table columns", n_cols);
    t->n_cols = n_cols;
    return 0;
}

int table_set_missing(table *t, int32_t c, int64_t r, err_t *err)
{
    table_col *col = &t->cols[c];
    if (!col->missing) {
        col->missing = calloc(t->n_rows > 0 ? (size_t)t->n_rows : 1, 1);
        if (!col->missing)
            return err_set(err, ERR_RUNTIME, "out of memory for the missing flags of column %d", c + 1);
    }
    if (!col->missing[r]) {
        col->missing[r] = 1;
        col->n_missing++;
    }
    if (col->kind == TABLE_NUMERIC && col->num && !col->borrowed)
        col->num[r * table_stride(col)] = NAN;
    if (col->kind == TABLE_TEXT && col->code)
        col->code[r] = -1;
    return 0;
}

/* ---- interning ----------------------------------------------------------- */

/* FNV-1a, 32 bits. */
static uint32_t hash_bytes(const char *s, uint32_t len)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int rehash(table_intern *in, uint32_t n_slots)
{
    int32_t *slots = malloc((size_t)n_slots * sizeof *slots);
    if (!slots)
        return -1;
    memset(slots, 0xff, (size_t)n_slots * sizeof *slots);
    for (int32_t i = 0; i < in->n; i++) {
        uint32_t h = hash_bytes(in->strs[i], in->lens[i]) & (n_slots - 1);
        while (slots[h] >= 0)
            h = (h + 1) & (n_slots - 1);
        slots[h] = i;
    }
    free(in->slots);
    in->slots = slots;
    in->n_slots = n_slots;
    return 0;
}

int32_t table_intern_add(table_intern *in, const char *s, uint32_t len)
{
    if (in->n_slots == 0 && rehash(in, 64) < 0)
        return -1;
    uint32_t h = hash_bytes(s, len) & (in->n_slots - 1);
    for (; in->slots[h] >= 0; h = (h + 1) & (in->n_slots - 1)) {
        int32_t i = in->slots[h];
        if (in->lens[i] == len && memcmp(in->strs[i], s, len) == 0)
            return i;
    }
    if (in->n == INT32_MAX / 4)
        return -1;
    if (in->n == in->cap_strs) {
        int32_t cap = in->cap_strs ? 2 * in->cap_strs : 16;
        char **strs = realloc(in->strs, (size_t)cap * sizeof *strs);
        if (!strs)
            return -1;
        in->strs = strs;
        uint32_t *lens = realloc(in->lens, (size_t)cap * sizeof *lens);
        if (!lens)
            return -1;
        in->lens = lens;
        in->cap_strs = cap;
    }
    char *copy = malloc((size_t)len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    int32_t i = in->n++;
    in->strs[i] = copy;
    in->lens[i] = len;
    in->slots[h] = i;
    if ((uint32_t)in->n * 2 > in->n_slots && rehash(in, in->n_slots * 2) < 0) {
        /* the string is in; only the table could not grow: still correct,
         * but fails the next add that needs a slot. Report it now. */
        return -1;
    }
    return i;
}

void table_intern_move(table_intern *in, table_col *col)
{
    col->cats = in->strs;
    col->n_cats = in->n;
    in->strs = NULL;
    in->n = 0;
    table_intern_free(in);
}

void table_intern_free(table_intern *in)
{
    for (int32_t i = 0; i < in->n; i++)
        free(in->strs[i]);
    free(in->strs);
    free(in->lens);
    free(in->slots);
    memset(in, 0, sizeof *in);
}
