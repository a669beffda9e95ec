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

#define SUMMARY_LANES 8 /* columns summarized at once, their sums in registers */
#define SUMMARY_PARALLEL_CELLS (1 << 20) /* cells from which threads share the work */

/* Row i of the rows summarized. */
static inline int64_t row_at(const int64_t *rows, int64_t i)
{
    return rows ? rows[i] : i;
}

/* SUMMARY_LANES columns with no cell missing, p[k] a cell every s[k]
 * floats, over rows[0..n) (n >= 1), into st[0..SUMMARY_LANES). */
static void summarize_lanes(const float *const *p, const int64_t *s, const int64_t *rows,
                            int64_t n, table_summary *st)
{
    double sum[SUMMARY_LANES], lo[SUMMARY_LANES], hi[SUMMARY_LANES], ss[SUMMARY_LANES];
    int64_t r = row_at(rows, 0);
    for (int k = 0; k < SUMMARY_LANES; k++)
        lo[k] = hi[k] = p[k][r * s[k]], sum[k] = 0, ss[k] = 0;
    for (int64_t i = 0; i < n; i++) {
        r = row_at(rows, i);
        for (int k = 0; k < SUMMARY_LANES; k++) {
            double v = p[k][r * s[k]];
            sum[k] += v;
            lo[k] = v < lo[k] ? v : lo[k];
            hi[k] = v > hi[k] ? v : hi[k];
        }
    }
    double mean[SUMMARY_LANES];
    for (int k = 0; k < SUMMARY_LANES; k++)
        mean[k] = sum[k] / (double)n;
    for (int64_t i = 0; i < n; i++) {
        r = row_at(rows, i);
        for (int k = 0; k < SUMMARY_LANES; k++) {
            double v = p[k][r * s[k]];
            ss[k] += (v - mean[k]) * (v - mean[k]);
        }
    }
    for (int k = 0; k < SUMMARY_LANES; k++)
        st[k] = (table_summary){.m = n, .sum = sum[k], .lo = lo[k], .hi = hi[k], .ss = ss[k]};
}

/* One numeric column (any missing cells skipped) over rows[0..n). */
static void summarize_one(const table_col *col, const int64_t *rows, int64_t n, table_summary *a)
{
    const float *num = col->num;
    const uint8_t *miss = col->missing;
    const int64_t s = table_stride(col);
    double sum = 0, lo = 0, hi = 0, ss = 0;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = row_at(rows, i);
        if (miss && miss[r])
            continue;
        double v = num[r * s];
        if (m++ == 0)
            lo = hi = v;
        sum += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (m > 0) {
        double mean = sum / (double)m;
        for (int64_t i = 0; i < n; i++) {
            int64_t r = row_at(rows, i);
            if (miss && miss[r])
                continue;
            double v = num[r * s];
            ss += (v - mean) * (v - mean);
        }
    }
    *a = (table_summary){.m = m, .sum = sum, .lo = lo, .hi = hi, .ss = ss};
}

int table_summarize(const table *t, const int32_t *cols, int32_t nc, const int64_t *rows,
                    int64_t n, table_summary *st)
{
    if (!cols)
        nc = t->n_cols;
    memset(st, 0, (size_t)(nc > 0 ? nc : 0) * sizeof *st);
    /* Work items: SUMMARY_LANES numeric columns with nothing missing
     * (first[w] their first, lanes[w] = SUMMARY_LANES), or one column. */
    int32_t *first = malloc(((size_t)nc + 1) * sizeof *first);
    uint8_t *lanes = malloc((size_t)nc + 1);
    if (!first || !lanes) {
        free(first);
        free(lanes);
        return -1;
    }
    int32_t items = 0;
    for (int32_t k = 0; k < nc;) {
        int m = 0;
        while (m < SUMMARY_LANES && k + m < nc) {
            const table_col *c = &t->cols[cols ? cols[k + m] : k + m];
            if (c->kind != TABLE_NUMERIC || !c->num || c->missing)
                break;
            m++;
        }
        first[items] = k;
        lanes[items++] = m == SUMMARY_LANES ? SUMMARY_LANES : 1;
        k += m == SUMMARY_LANES ? SUMMARY_LANES : 1;
    }
#pragma omp parallel for schedule(dynamic, 1) if ((double)n * nc >= SUMMARY_PARALLEL_CELLS)
    for (int32_t w = 0; w < items; w++) {
        int32_t k = first[w];
        if (lanes[w] == SUMMARY_LANES && n > 0) {
            const float *p[SUMMARY_LANES];
            int64_t s[SUMMARY_LANES];
            for (int j = 0; j < SUMMARY_LANES; j++) {
                const table_col *c = &t->cols[cols ? cols[k + j] : k + j];
                p[j] = c->num;
                s[j] = table_stride(c);
            }
            summarize_lanes(p, s, rows, n, st + k);
        } else {
            const table_col *c = &t->cols[cols ? cols[k] : k];
            if (c->kind == TABLE_NUMERIC && c->num)
                summarize_one(c, rows, n, st + k);
        }
    }
    free(first);
    free(lanes);
    return 0;
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
