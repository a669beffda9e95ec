/* Tests for the data readers (src/data/): every reader through the same
 * tests, like the kernel tests over every kernel path.
 *
 *   1. one small table, written by this test in every format a reader takes
 *      (.csv, .tsv, .csv.gz, CRLF + BOM, quoted, a .npy pair with both byte
 *      orders, .npz stored and deflated), must read back to the same table;
 *   2. CSV semantics: quotes, text columns, missing tokens, delimiters,
 *      correctly rounded numbers, a comma-decimal locale, chunk seams;
 *   3. hostile inputs, one table per reader: each must fail with ERR_INPUT
 *      and "FILE:LINE:COL: " plus the expected words (npy: "FILE: ").
 * Every file is made here, in a fresh temporary directory. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "csv.h"
#include "npy.h"
#include "reader.h"
#include "table.h"
#include "testutil.h"
#include "ziptest.h"

/* ---- the reference table ----------------------------------------------------
 * 6 rows: x0, x1, x2 (doubles, some awkward for a float32: subnormal, the
 * largest, 2^24 + 1 exactly halfway) and y (small integers). Every reader
 * must give each value rounded once to a float32. */
#define REF_ROWS 6
#define REF_X 3
static const double ref_x[REF_ROWS][REF_X] = {
    {0.1, -2.5e-8, 3e38},
    {123456789012345678.0, 1.5e-45, -0.0},
    {1.0 / 3.0, 1.1754943508222875e-38, 3.4028234663852886e38},
    {-7.0, 0.5, 16777217.0},
    {3.14159, -1e-40, 42.0},
    {6.02214076e23, 1e-5, -123.456},
};
static const int64_t ref_y[REF_ROWS] = {0, 1, 2, 1, 0, 2};

/* The reference as CSV text: header x0,x1,x2,y; %.17g round-trips. */
static size_t ref_csv(char *buf, size_t cap, char delim, int crlf, int bom, int quote)
{
    size_t n = 0;
    const char *eol = crlf ? "\r\n" : "\n";
    if (bom)
        n += (size_t)snprintf(buf + n, cap - n, "\xEF\xBB\xBF");
    n += (size_t)snprintf(buf + n, cap - n, "x0%cx1%c\"x2\"%cy%s", delim, delim, delim, eol);
    for (int r = 0; r < REF_ROWS; r++) {
        for (int c = 0; c < REF_X; c++)
            n += (size_t)snprintf(buf + n, cap - n, quote ? "\"%.17g\"%c" : "%.17g%c", ref_x[r][c], delim);
        n += (size_t)snprintf(buf + n, cap - n, "%lld%s", (long long)ref_y[r], eol);
    }
    return n;
}

static void check_ref_table(const table *t, const char *what)
{
    ck_assert_msg(t->n_rows == REF_ROWS && t->n_cols == REF_X + 1, "%s: %lld x %d", what,
                  (long long)t->n_rows, t->n_cols);
    static const char *names[] = {"x0", "x1", "x2", "y"};
    for (int c = 0; c <= REF_X; c++) {
        ck_assert_msg(strcmp(t->cols[c].name, names[c]) == 0, "%s: column %d named %s", what, c,
                      t->cols[c].name);
        ck_assert_msg(t->cols[c].kind == TABLE_NUMERIC, "%s: column %d not numeric", what, c);
        ck_assert_msg(t->cols[c].n_missing == 0 && !t->cols[c].missing, "%s: missing cells", what);
        for (int r = 0; r < REF_ROWS; r++) {
            float want = c < REF_X ? (float)ref_x[r][c] : (float)ref_y[r];
            float got = table_num(&t->cols[c], r);
            ck_assert_msg(memcmp(&want, &got, sizeof got) == 0, "%s: [%d][%d] = %.9g, want %.9g",
                          what, r, c, got, want);
        }
    }
}

static void read_csv_ok(const char *path, const csv_opts *o, table *t)
{
    err_t err;
    err_clear(&err);
    ck_assert_msg(csv_read(path, o, t, &err) == 0, "%s", err.msg);
}

/* ---- npy / npz writers (the test's own, from the format spec) -------------- */

/* A .npy v1.0 image of count values of dtype descr (e.g. "<f8", ">i4") and
 * shape; the header padded to a multiple of 64. Returns malloc'd bytes. */
static unsigned char *npy_image(const char *descr, int ndim, const long long *shape,
                                const double *vals, long long count, size_t *len, int version)
{
    char dict[256];
    int dn = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < ndim; i++)
        dn += snprintf(dict + dn, sizeof dict - (size_t)dn, ndim == 1 ? "%lld," : i ? ", %lld" : "%lld", shape[i]);
    dn += snprintf(dict + dn, sizeof dict - (size_t)dn, "), }");
    size_t pre = version == 1 ? 10 : 12;
    size_t hl = (size_t)dn + 1;
    while ((pre + hl) % 64)
        hl++;
    char kind = descr[1];
    int size = atoi(descr + 2);
    int big = descr[0] == '>';
    size_t total = pre + hl + (size_t)count * (size_t)size;
    unsigned char *b = calloc(total, 1);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)version;
    b[7] = 0;
    if (version == 1) {
        b[8] = (unsigned char)hl;
        b[9] = (unsigned char)(hl >> 8);
    } else {
        for (int i = 0; i < 4; i++)
            b[8 + i] = (unsigned char)(hl >> (8 * i));
    }
    memset(b + pre, ' ', hl);
    memcpy(b + pre, dict, (size_t)dn);
    b[pre + hl - 1] = '\n';
    unsigned char *d = b + pre + hl;
    for (long long i = 0; i < count; i++) {
        unsigned char raw[8];
        if (kind == 'f' && size == 8) {
            double v = vals[i];
            memcpy(raw, &v, 8);
        } else if (kind == 'f' && size == 4) {
            float v = (float)vals[i];
            memcpy(raw, &v, 4);
        } else {
            int64_t v = (int64_t)vals[i];
            memcpy(raw, &v, 8); /* little-endian host: low bytes first */
        }
        for (int j = 0; j < size; j++)
            d[(size_t)i * (size_t)size + (size_t)j] = raw[big ? size - 1 - j : j];
    }
    *len = total;
    return b;
}

/* A zip of n members (names[i], data[i], lens[i]) at path, stored or
 * deflated (level 6): ziptest.h. */
static void write_zip(const char *path, int n, const char *const *names, const unsigned char *const *data,
                      const size_t *lens, int deflated)
{
    size_t zn;
    unsigned char *z = ziptest_zip(n, names, data, lens, deflated ? 6 : 0, &zn);
    ck_assert_ptr_nonnull(z);
    tu_write_file(path, z, zn);
    free(z);
}

/* X (REF_ROWS x REF_X) and y (REF_ROWS) as doubles. */
static void ref_arrays(double *x, double *y)
{
    for (int r = 0; r < REF_ROWS; r++) {
        for (int c = 0; c < REF_X; c++)
            x[r * REF_X + c] = ref_x[r][c];
        y[r] = (double)ref_y[r];
    }
}

/* ---- 1. every reader, the same table ---------------------------------------- */

START_TEST(test_same_table_every_reader)
{
    char buf[4096];
    table t;
    /* CSV: comma, tab (.tsv), semicolon, pipe; LF and CRLF; BOM; quoted;
     * gzipped; the delimiter detected and given. */
    struct {
        const char *name;
        char delim;
        int crlf, bom, quote, gz, given;
    } v[] = {
        {"plain.csv", ',', 0, 0, 0, 0, 0},  {"tabs.tsv", '\t', 0, 0, 0, 0, 0},
        {"semi.csv", ';', 1, 0, 0, 0, 0},   {"pipe.csv", '|', 0, 1, 1, 0, 1},
        {"crlf.csv", ',', 1, 1, 1, 0, 0},   {"gz.csv.gz", ',', 0, 0, 0, 1, 0},
        {"tabgz.tsv.gz", '\t', 1, 1, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = ref_csv(buf, sizeof buf, v[i].delim, v[i].crlf, v[i].bom, v[i].quote);
        const char *p = tu_path(0, v[i].name);
        if (v[i].gz)
            tu_write_gz(p, buf, n);
        else
            tu_write_file(p, buf, n);
        for (int threads = 1; threads <= 3; threads++)
            for (long chunk = 1; chunk <= 1 << 20; chunk *= 32)
                for (int stream = 0; stream <= 1; stream++) { /* plain: mapped, then streamed */
                csv_opts o;
                csv_opts_default(&o);
                o.threads = threads;
                o.chunk_bytes = chunk;
                o.stream = stream;
                if (v[i].given)
                    o.delim = v[i].delim;
                read_csv_ok(p, &o, &t);
                check_ref_table(&t, v[i].name);
                table_free(&t);
            }
    }

    /* NumPy: X and y as .npy files, in several dtypes and both byte orders. */
    double x[REF_ROWS * REF_X], y[REF_ROWS];
    ref_arrays(x, y);
    long long xs[2] = {REF_ROWS, REF_X}, ys[1] = {REF_ROWS};
    struct {
        const char *xd, *yd;
        int version;
    } d[] = {{"<f8", "<i8", 1}, {">f8", ">i8", 2}, {"<f8", "|u1", 3}, {">f8", "<i2", 1}};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        size_t xl, yl;
        unsigned char *xb = npy_image(d[i].xd, 2, xs, x, REF_ROWS * REF_X, &xl, d[i].version);
        unsigned char *yb = npy_image(d[i].yd, 1, ys, y, REF_ROWS, &yl, d[i].version);
        tu_write_file(tu_path(0, "X.npy"), xb, xl);
        tu_write_file(tu_path(1, "y.npy"), yb, yl);
        npy_array X, Y;
        err_t err;
        err_clear(&err);
        ck_assert_msg(npy_read(tu_path(0, "X.npy"), &X, &err) == 0, "%s", err.msg);
        ck_assert_msg(npy_read(tu_path(1, "y.npy"), &Y, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(X.ndim, 2);
        ck_assert_int_eq(Y.ndim, 1);
        ck_assert_msg(npy_to_table(&X, &Y, &t, &err) == 0, "%s", err.msg);
        check_ref_table(&t, d[i].xd);
        table_free(&t);
        npy_array_free(&X);
        npy_array_free(&Y);

        /* the same two arrays in an .npz, stored and deflated */
        const char *names[3] = {"y.npy", "notes.npy", "X.npy"};
        const unsigned char *datas[3] = {yb, yb, xb};
        size_t lens[3] = {yl, yl, xl};
        for (int deflated = 0; deflated <= 1; deflated++) {
            write_zip(tu_path(2, "d.npz"), 3, names, datas, lens, deflated);
            ck_assert_msg(npz_read_xy(tu_path(2, "d.npz"), NULL, NULL, &t, &err) == 0, "%s", err.msg);
            check_ref_table(&t, deflated ? "npz deflated" : "npz stored");
            table_free(&t);
        }
        free(xb);
        free(yb);
    }
}
END_TEST

/* ---- 2. CSV semantics ---------------------------------------------------------- */

/* Quotes, escaped quotes, a quoted CRLF, a blank line, missing tokens and
 * padded numbers: 5 records, 4 columns (two of them text). */
static const char QUOTES_CSV[] = "id,name,score,note\n"
                                 "1,\"Smith, J\",2.5,\"said \"\"hi\"\"\"\n"
                                 "2,Ünïcødé,NA,\"two\r\nlines\"\n"
                                 "\n"
                                 "3,\"\",?, x \n"
                                 "4,Smith,  7  ,NaN\r\n"
                                 "5,\"Smith, J\",,\"\"";

START_TEST(test_csv_quotes_text_missing)
{
    const char *text = QUOTES_CSV;
    const char *p = tu_path(0, "q.csv");
    tu_write_file(p, text, strlen(text));
    for (long chunk = 1; chunk <= 4096; chunk *= 4)
        for (int threads = 1; threads <= 2; threads++)
            for (int stream = 0; stream <= 1; stream++) { /* mapped, then streamed */
            csv_opts o;
            csv_opts_default(&o);
            o.chunk_bytes = chunk;
            o.threads = threads;
            o.stream = stream;
            table t;
            read_csv_ok(p, &o, &t);
            ck_assert_int_eq(t.n_rows, 5);
            ck_assert_int_eq(t.n_cols, 4);
            ck_assert_int_eq(t.cols[0].kind, TABLE_NUMERIC);
            ck_assert_int_eq(t.cols[1].kind, TABLE_TEXT);
            ck_assert_int_eq(t.cols[2].kind, TABLE_NUMERIC);
            ck_assert_int_eq(t.cols[3].kind, TABLE_TEXT);
            /* name: "Smith, J", Ünïcødé, missing, Smith, "Smith, J" */
            ck_assert_int_eq(t.cols[1].n_cats, 3);
            ck_assert_str_eq(t.cols[1].cats[0], "Smith, J");
            ck_assert_str_eq(t.cols[1].cats[1], "Ünïcødé");
            ck_assert_str_eq(t.cols[1].cats[2], "Smith");
            ck_assert_int_eq(t.cols[1].code[0], 0);
            ck_assert_int_eq(t.cols[1].code[2], -1);
            ck_assert_int_eq(t.cols[1].code[4], 0);
            ck_assert_int_eq(t.cols[1].n_missing, 1);
            ck_assert(table_is_missing(&t, 1, 2));
            /* score: 2.5, NA, ?, "  7  ", "" */
            ck_assert(table_num(&t.cols[2], 0) == 2.5 && table_num(&t.cols[2], 3) == 7.0);
            ck_assert_int_eq(t.cols[2].n_missing, 3);
            ck_assert(isnan(table_num(&t.cols[2], 1)) && table_is_missing(&t, 2, 1) && !table_is_missing(&t, 2, 3));
            /* note: quotes unescaped, CRLF inside quotes kept, spaces kept */
            ck_assert_str_eq(table_text(&t, 3, 0), "said \"hi\"");
            ck_assert_str_eq(table_text(&t, 3, 1), "two\r\nlines");
            ck_assert_str_eq(table_text(&t, 3, 2), " x ");
            ck_assert_ptr_null(table_text(&t, 3, 3));
            ck_assert_ptr_null(table_text(&t, 3, 4));
            ck_assert_int_eq(table_find(&t, "note"), 3);
            ck_assert_int_eq(table_find(&t, "nope"), -1);
            table_free(&t);
        }

    /* headerless, own missing tokens: "-999" is missing, NA is text */
    const char *t2 = "1;-999\n2;NA\n";
    tu_write_file(p, t2, strlen(t2));
    csv_opts o;
    csv_opts_default(&o);
    o.header = 0;
    o.missing[0] = "-999";
    o.missing[1] = NULL;
    table t;
    read_csv_ok(p, &o, &t);
    ck_assert_int_eq(t.n_rows, 2);
    ck_assert_str_eq(t.cols[0].name, "0");
    ck_assert_str_eq(t.cols[1].name, "1");
    ck_assert_int_eq(t.cols[1].kind, TABLE_TEXT);
    ck_assert_int_eq(t.cols[1].n_cats, 1);
    ck_assert_str_eq(t.cols[1].cats[0], "NA");
    ck_assert(table_is_missing(&t, 1, 0));
    table_free(&t);

    /* a column that turns text only in a later chunk: pass 2 */
    char big[20000];
    size_t n = (size_t)snprintf(big, sizeof big, "a,b\n");
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%d,%d\n", i, i % 7);
    n += (size_t)snprintf(big + n, sizeof big - n, "x,7\n");
    tu_write_file(p, big, n);
    csv_opts_default(&o);
    o.chunk_bytes = 64;
    read_csv_ok(p, &o, &t);
    ck_assert_int_eq(t.n_rows, 1001);
    ck_assert_int_eq(t.cols[0].kind, TABLE_TEXT);
    ck_assert_int_eq(t.cols[0].n_cats, 1001);
    ck_assert_str_eq(table_text(&t, 0, 999), "999");
    ck_assert_str_eq(table_text(&t, 0, 1000), "x");
    ck_assert_int_eq(t.cols[1].kind, TABLE_NUMERIC);
    ck_assert(table_num(&t.cols[1], 1000) == 7.0);
    table_free(&t);
}
END_TEST

/* A cell as text, to compare tables cell by cell: a number to 9 digits,
 * a category's text, "<missing>". */
static void cell_text(const table *t, int c, int64_t r, char *buf, size_t n)
{
    if (table_is_missing(t, c, r))
        snprintf(buf, n, "<missing>");
    else if (t->cols[c].kind == TABLE_NUMERIC)
        snprintf(buf, n, "%.9g", table_num(&t->cols[c], r));
    else
        snprintf(buf, n, "%s", table_text(t, c, r));
}

typedef struct {
    char cells[64][4][64]; /* the first 64 rows' cells */
    int rows, calls;
    uint64_t hash;         /* of every cell's text, in order */
} each_seen;

static int each_collect(void *user, table *t, err_t *err)
{
    (void)err;
    each_seen *s = user;
    s->calls++;
    for (int64_t r = 0; r < t->n_rows; r++, s->rows++)
        for (int c = 0; c < 4 && c < t->n_cols; c++) {
            char b[64];
            cell_text(t, c, r, b, sizeof b);
            s->hash = tu_fnv1a(b, strlen(b) + 1) ^ (s->hash * 1099511628211ULL);
            if (s->rows < 64)
                memcpy(s->cells[s->rows][c], b, sizeof b);
        }
    return 0;
}

/* csv_read_each hands over every record once, in order, with csv_read's
 * cells, whatever the chunk size (a chunk is at least what is already
 * buffered, so a small file comes in one piece; the 5000-record file below
 * comes in many). */
START_TEST(test_csv_read_each_same_cells)
{
    const char *text = QUOTES_CSV;
    const char *p = tu_path(0, "each.csv");
    tu_write_file(p, text, strlen(text));
    table whole;
    read_csv_ok(p, NULL, &whole);
    for (long chunk = 1; chunk <= 4096; chunk *= 4) {
        csv_opts o;
        csv_opts_default(&o);
        o.chunk_bytes = chunk;
        static each_seen seen;
        memset(&seen, 0, sizeof seen);
        err_t err;
        ck_assert_msg(csv_read_each(p, &o, each_collect, &seen, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(seen.rows, 5);
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 4; c++) {
                char want[64];
                cell_text(&whole, c, r, want, sizeof want);
                ck_assert_msg(strcmp(want, seen.cells[r][c]) == 0, "chunk %ld [%d][%d]: %s, want %s",
                              chunk, r, c, seen.cells[r][c], want);
            }
    }
    table_free(&whole);
    /* 5000 records in 1 KB chunks: many calls, the same cells in order; a
     * column turns text in a late chunk (its earlier chunks numeric). */
    FILE *f = fopen(p, "w");
    fprintf(f, "i,x,kind,late\n");
    for (int r = 0; r < 5000; r++)
        fprintf(f, "%d,%.3f,%s,%s\n", r, r * 0.25, r % 3 ? "odd" : "even", r == 4000 ? "text" : "1");
    fclose(f);
    read_csv_ok(p, NULL, &whole);
    each_seen ref = {0};
    each_collect(&ref, &whole, NULL);
    table_free(&whole);
    csv_opts small;
    csv_opts_default(&small);
    small.chunk_bytes = 1024;
    static each_seen many;
    memset(&many, 0, sizeof many);
    err_t e2;
    ck_assert_msg(csv_read_each(p, &small, each_collect, &many, &e2) == 0, "%s", e2.msg);
    ck_assert_int_eq(many.rows, 5000);
    ck_assert_msg(many.calls > 10, "%d calls", many.calls);
    ck_assert_msg(many.hash == ref.hash, "the cells differ from csv_read's");
    /* errors at the same place as csv_read, from any chunk */
    tu_write_file(p, "a,b\n1,2\n3,4\n5\n", 15);
    csv_opts o;
    csv_opts_default(&o);
    o.chunk_bytes = 4;
    each_seen seen = {0};
    err_t err;
    ck_assert_int_eq(csv_read_each(p, &o, each_collect, &seen, &err), -1);
    ck_assert_msg(strstr(err.msg, ":4:") && strstr(err.msg, "ragged"), "%s", err.msg);
    tu_write_file(p, "a,b\n", 4);
    ck_assert_int_eq(csv_read_each(p, NULL, each_collect, &seen, &err), -1);
    ck_assert_msg(strstr(err.msg, "no data records"), "%s", err.msg);
}
END_TEST

/* csv_locate: where a cell of QUOTES_CSV lies, past a quoted CRLF, a
 * blank line and a CRLF record, plain and gzipped, with a byte-order mark,
 * at every chunk size (whole chunks before the record are skipped by
 * counting their records). Line and column as csv_read's errors count. */
START_TEST(test_csv_locate)
{
    static const struct {
        long long record;
        int field;
        long long line, col;
    } cells[] = {{0, 0, 2, 1}, {0, 1, 2, 3},  {0, 3, 2, 18}, {1, 2, 3, 15}, {1, 3, 3, 18},
                 {2, 3, 6, 8}, {3, 2, 7, 9},  {4, 3, 8, 15}, {5, 0, -1, -1}, {0, 4, -1, -1}};
    char text[sizeof QUOTES_CSV + 3] = "\xEF\xBB\xBF";
    memcpy(text + 3, QUOTES_CSV, sizeof QUOTES_CSV);
    const char *p = tu_path(0, "at.csv"), *g = tu_path(1, "at.csv.gz");
    tu_write_file(p, text, strlen(text));
    tu_write_gz(g, text, strlen(text));
    for (int gz = 0; gz < 2; gz++)
        for (long chunk = 1; chunk <= 4096; chunk *= 4) {
            csv_opts o;
            csv_opts_default(&o);
            o.chunk_bytes = chunk;
            for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
                long long line = 0, col = 0;
                err_t err;
                err_clear(&err);
                int rc = csv_locate(gz ? g : p, &o, cells[k].record, cells[k].field, &line, &col,
                                    &err);
                if (cells[k].line < 0) {
                    ck_assert_msg(rc == -1 && err.code == ERR_INPUT, "record %lld field %d: found",
                                  cells[k].record, cells[k].field);
                    continue;
                }
                ck_assert_msg(rc == 0, "%s", err.msg);
                ck_assert_msg(line == cells[k].line && col == cells[k].col,
                              "%s, chunk %ld: record %lld field %d at %lld:%lld, want %lld:%lld",
                              gz ? "gzip" : "plain", chunk, cells[k].record, cells[k].field, line,
                              col, cells[k].line, cells[k].col);
            }
        }
    /* Without a header the first line is record 0. */
    csv_opts o;
    csv_opts_default(&o);
    o.header = 0;
    long long line = 0, col = 0;
    err_t err;
    ck_assert_msg(csv_locate(p, &o, 1, 2, &line, &col, &err) == 0, "%s", err.msg);
    ck_assert_msg(line == 2 && col == 14, "headerless: %lld:%lld", line, col);
}
END_TEST

/* Two tables equal cell for cell: kinds, names, numbers to the bit,
 * missing flags, text. what names the read in a failure. */
static void same_table(const table *t, const table *ref, const char *what)
{
    ck_assert_msg(t->n_rows == ref->n_rows && t->n_cols == ref->n_cols, "%s: %lld x %d, want %lld x %d",
                  what, (long long)t->n_rows, t->n_cols, (long long)ref->n_rows, ref->n_cols);
    for (int c = 0; c < t->n_cols; c++) {
        const table_col *a = &t->cols[c], *b = &ref->cols[c];
        ck_assert_msg(a->kind == b->kind && strcmp(a->name, b->name) == 0 && a->n_missing == b->n_missing,
                      "%s: column %d differs", what, c);
        for (int64_t r = 0; r < t->n_rows; r++) {
            TU_CHECK(table_is_missing(t, c, r) == table_is_missing(ref, c, r), "%s: [%lld][%d] missing",
                     what, (long long)r, c);
            if (a->kind == TABLE_NUMERIC)
                TU_CHECK(memcmp(&(float){table_num(a, r)}, &(float){table_num(b, r)}, sizeof(float)) == 0, "%s: [%lld][%d] = %a, want %a",
                         what, (long long)r, c, table_num(a, r), table_num(b, r));
            else if (!table_is_missing(t, c, r))
                TU_CHECK(strcmp(table_text(t, c, r), table_text(ref, c, r)) == 0, "%s: [%lld][%d] = %s, want %s",
                         what, (long long)r, c, table_text(t, c, r), table_text(ref, c, r));
        }
    }
}

/* The numeric columns live in one slab (include/table.h), row by row:
 * the k-th numeric column at slab + k, a cell every slab_cols (= how many
 * are numeric) floats; the text columns out of it. */
static void check_slab(const table *t, const char *what)
{
    int k = 0;
    for (int c = 0; c < t->n_cols; c++) {
        const table_col *col = &t->cols[c];
        if (col->kind == TABLE_TEXT) {
            ck_assert_msg(!col->num && !col->in_slab, "%s: text column %d keeps its numbers", what, c);
            continue;
        }
        ck_assert_msg(t->slab && col->in_slab && col->num == t->slab + k && table_stride(col) == t->slab_cols,
                      "%s: column %d not at slab + %d, stride %d", what, c, k, t->slab_cols);
        k++;
    }
    ck_assert_msg(t->slab_cols == k, "%s: slab rows of %d floats, %d numeric columns", what, t->slab_cols, k);
    ck_assert_msg(t->slab_rows >= t->n_rows, "%s: room for %lld rows, %lld read", what,
                  (long long)t->slab_rows, (long long)t->n_rows);
}

/* The CSV text of test_csv_slab_growth's files: i, x (every 97th missing), late1 and
 * late2 (numbers that turn to text in the last rows: two neighbouring
 * columns), y, kind (text from the
 * first row). long_rows: the first rows padded long, so that the
 * file-size estimate made at the first chunk falls short. */
static char *slab_csv(int rows, int long_rows, size_t *len)
{
    size_t cap = (size_t)rows * 64 + (size_t)long_rows * 256 + 64, n = 0;
    char *b = malloc(cap);
    ck_assert_ptr_nonnull(b);
    n += (size_t)snprintf(b + n, cap - n, "i,x,late1,late2,y,kind\n");
    for (int r = 0; r < rows; r++) {
        const char *late = r >= rows - 3 ? "text" : "1";
        if (r % 97 == 5)
            n += (size_t)snprintf(b + n, cap - n, "%d,NA,", r);
        else if (r < long_rows)
            n += (size_t)snprintf(b + n, cap - n, "%d,%.200f,", r, r * 0.25);
        else
            n += (size_t)snprintf(b + n, cap - n, "%d,%.2f,", r, r * 0.25);
        n += (size_t)snprintf(b + n, cap - n, "%s,%s,%.1f,%s\n", late, r == rows - 1 ? "x" : "2",
                              (r % 1000) * 0.5, r % 3 ? "odd" : "even");
    }
    *len = n;
    return b;
}

/* The slab the numeric columns live in (include/table.h), grown: gzipped,
 * where the rows are not known, at chunk sizes that make it grow many
 * times (from a chunk's rows, doubling: 4 KB chunks grow it about ten
 * times here, 100 KB ones, parsed by threads, about five), and plain with
 * a first chunk of long rows, where the file-size estimate falls short.
 * Every read equals the plain one cell for cell and the values written;
 * two neighbouring columns turn to text in the last three rows (their
 * cells in the slab left unused), their neighbours intact. */
START_TEST(test_csv_slab_growth)
{
    enum { ROWS = 60000 };
    size_t n;
    char *text = slab_csv(ROWS, 0, &n);
    const char *p = tu_path(0, "slab.csv"), *g = tu_path(1, "slab.csv.gz");
    tu_write_file(p, text, n);
    tu_write_gz(g, text, n);
    free(text);
    table ref;
    read_csv_ok(p, NULL, &ref);
    check_slab(&ref, "plain");
    ck_assert_int_eq(ref.n_rows, ROWS);
    ck_assert_int_eq(ref.cols[2].kind, TABLE_TEXT);
    ck_assert_int_eq(ref.cols[3].kind, TABLE_TEXT);
    ck_assert_int_eq(ref.cols[5].kind, TABLE_TEXT);
    for (int r = 0; r < ROWS; r++) {
        TU_CHECK(table_num(&ref.cols[0], r) == (float)r, "row %d: i", r);
        TU_CHECK(r % 97 == 5 ? table_is_missing(&ref, 1, r) && isnan(table_num(&ref.cols[1], r))
                             : table_num(&ref.cols[1], r) == (float)(r * 0.25), "row %d: x", r);
        TU_CHECK(table_num(&ref.cols[4], r) == (float)((r % 1000) * 0.5), "row %d: y", r);
        TU_CHECK(strcmp(table_text(&ref, 2, r), r >= ROWS - 3 ? "text" : "1") == 0, "row %d: late1 %s", r,
                 table_text(&ref, 2, r));
        TU_CHECK(strcmp(table_text(&ref, 3, r), r == ROWS - 1 ? "x" : "2") == 0, "row %d: late2 %s", r,
                 table_text(&ref, 3, r));
    }
    ck_assert_int_eq(ref.cols[1].n_missing, (ROWS - 5 + 96) / 97);
    static const long chunks[] = {0, 4096, 100000};
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++)
        for (int threads = 1; threads <= 2; threads++)
            for (int gz = 0; gz <= 1; gz++) {
                csv_opts o;
                csv_opts_default(&o);
                o.chunk_bytes = chunks[k];
                o.threads = threads;
                char what[128];
                snprintf(what, sizeof what, "%s, chunk %ld, %d threads", gz ? "gzip" : "plain", chunks[k], threads);
                table t;
                read_csv_ok(gz ? g : p, &o, &t);
                check_slab(&t, what);
                same_table(&t, &ref, what);
                table_free(&t);
            }
    table_free(&ref);

    /* the estimate falls short: long rows first, then short ones */
    text = slab_csv(ROWS, 2000, &n);
    tu_write_file(p, text, n);
    tu_write_gz(g, text, n);
    free(text);
    csv_opts o;
    csv_opts_default(&o);
    o.chunk_bytes = 100000; /* the first chunk holds only long rows */
    read_csv_ok(g, &o, &ref);
    check_slab(&ref, "gzip, long rows first");
    for (int r = 0; r < ROWS; r++)
        TU_CHECK(r % 97 == 5 || table_num(&ref.cols[1], r) == (float)(r * 0.25), "row %d: x", r);
    for (int threads = 1; threads <= 2; threads++) {
        o.threads = threads;
        table t;
        read_csv_ok(p, &o, &t);
        check_slab(&t, "plain, long rows first");
        same_table(&t, &ref, "plain, long rows first");
        table_free(&t);
    }
    table_free(&ref);
}
END_TEST

/* Numbers: the parser agrees bit for bit with glibc's strtod in the C
 * locale (correctly rounded) on awkward and random inputs. */
START_TEST(test_csv_numbers_correctly_rounded)
{
    static const char *s[] = {
        "0", "-0", "+1", "1.", ".5", "0.1", "0.30000000000000004", "1e23", "8.98846567431158e307",
        "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9e-324", "2.4703282292062328e-324",
        "1e-400", "9007199254740993", "9007199254740992.5", "123456789012345678901234567890",
        "0.000000000000000000000000000001234", "1.7976931348623157e308", "3.141592653589793238462643",
        "1E5", "1e+5", "-1.5E-5", "00001.2500000000000000000000000000000001", "7.038531e-26",
        "1.00000000000000011102230246251565404236316680908203125", "5e-324", "1e22", "1e-22",
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        double v = -1, want = strtod(s[i], NULL);
        ck_assert_msg(csv_parse_double(s[i], strlen(s[i]), &v) == 1, "%s not parsed", s[i]);
        ck_assert_msg(memcmp(&v, &want, sizeof v) == 0, "%s: %.17g, want %.17g", s[i], v, want);
    }
    uint64_t st = 12345;
    char b[64];
    for (int i = 0; i < 200000; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        int digits = 1 + (int)(st >> 60);
        int e = (int)((st >> 40) % 80) - 40;
        uint64_t m = st >> 5 & ((1ULL << 58) - 1);
        int len = snprintf(b, sizeof b, "%llu", (unsigned long long)m);
        if (len > digits)
            len = digits;
        b[len] = '\0';
        if (i % 3 == 0 && len > 1) { /* a decimal point inside */
            memmove(b + 2, b + 1, (size_t)len);
            b[1] = '.';
            len++;
        }
        len += snprintf(b + len, sizeof b - (size_t)len, "e%d", e);
        double v, want = strtod(b, NULL);
        TU_CHECK(csv_parse_double(b, (size_t)len, &v) == 1, "%s not parsed", b);
        TU_CHECK(memcmp(&v, &want, sizeof v) == 0, "%s: %.17g, want %.17g", b, v, want);
    }
    static const char *bad[] = {"", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,5", "0x10", " 1", "1 ", "--1", "1e5x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        ck_assert_msg(csv_parse_double(bad[i], strlen(bad[i]), &v) == 0, "'%s' parsed", bad[i]);
    }
    static const char *inf[] = {"inf", "-Inf", "INFINITY", "nan", "+NaN", "1e309", "-2e400"};
    for (size_t i = 0; i < sizeof inf / sizeof inf[0]; i++) {
        double v;
        ck_assert_msg(csv_parse_double(inf[i], strlen(inf[i]), &v) == -1, "'%s'", inf[i]);
    }
}
END_TEST

/* csv_parse_float rounds once, as strtof: the double nearest a number just
 * above or below halfway between two floats is that halfway point itself,
 * and rounding it again would go to the even float, the wrong side. */
START_TEST(test_parse_float_rounds_once)
{
    static const char *s[] = {
        "1.000000059604644775390625000001",  /* just above 1 + 2^-24: up */
        "1.000000059604644775390624999999",  /* just below: down */
        "1.000000059604644775390625",        /* exactly halfway: to even (1) */
        "16777217", "16777219", "0.1", "-2.5e-8", "1e-45", "7e-46", "3.4028234663852886e38",
        "3.4028235677973362e38", "1.17549435e-38", "-0", "123456789", "0.30000001192092896",
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        float v = -1, want = strtof(s[i], NULL);
        ck_assert_msg(csv_parse_float(s[i], strlen(s[i]), &v) == 1, "%s not parsed", s[i]);
        ck_assert_msg(memcmp(&v, &want, sizeof v) == 0, "%s: %.9g, want %.9g", s[i], v, want);
    }
    float v;
    ck_assert_int_eq(csv_parse_float(s[0], strlen(s[0]), &v), 1);
    ck_assert(v == 1.00000012f);
    /* beyond float32 (a double would hold them): not finite */
    static const char *big[] = {"3.4028235677973366e38", "3.5e38", "-1e39", "1e300", "inf"};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
        ck_assert_msg(csv_parse_float(big[i], strlen(big[i]), &v) == -1, "'%s'", big[i]);
    ck_assert_int_eq(csv_parse_float("1,5", 3, &v), 0);
    /* 200,000 random decimals near float ties: strtof's bits */
    uint64_t st = 99;
    char b[64];
    for (int i = 0; i < 200000; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        float f = (float)((st >> 11) * 0x1.0p-53 * 1e6);
        float g = nextafterf(f, INFINITY);
        double mid = ((double)f + (double)g) / 2;
        int len = snprintf(b, sizeof b, "%.*g", 10 + (int)(st >> 60), mid);
        float want = strtof(b, NULL);
        TU_CHECK(csv_parse_float(b, (size_t)len, &v) == 1, "%s not parsed", b);
        TU_CHECK(memcmp(&v, &want, sizeof v) == 0, "%s: %.9g, want %.9g", b, v, want);
    }
}
END_TEST

/* csv_plain_float (the reader's fast path for short plain decimals) gives
 * csv_parse_float's bits on every number it takes, and takes exactly the
 * plain ones: awkward cases, float halfway points, millions of random short
 * decimals. */
static void expect_plain(const char *s, int taken)
{
    /* ck_assert costs a write to check's pipe even when it holds: only
     * failures go through check here (millions of calls) */
    size_t len = strlen(s);
    float v = -1, want = -2;
    size_t n = csv_plain_float(s, s + len, &v);
    if (!taken) {
        if (n != 0)
            ck_abort_msg("'%s' taken (%zu bytes)", s, n);
        return;
    }
    if (n != len)
        ck_abort_msg("'%s': %zu of %zu bytes taken", s, n, len);
    if (csv_parse_float(s, len, &want) != 1)
        ck_abort_msg("'%s' not a number", s);
    if (memcmp(&v, &want, sizeof v) != 0)
        ck_abort_msg("%s: fast %a, csv_parse_float %a", s, v, want);
}

START_TEST(test_plain_float_same_bits)
{
    static const char *yes[] = {
        "0", "-0", "+0", "0.0", "-0.000", "1.", ".5", "-.5", "+7", "255", "00000000000001",
        "16777216", "16777217", "16777219", "-16777217", "8388608.5", "8388609.5", "0.1",
        "0.30000001192092", "123456789012345", "999999999999999", "0.00000000000001",
        ".000000000000001", "3.14159", "-123.456",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        expect_plain(yes[i], 1);
    static const char *no[] = {
        "", "-", "+", ".", "-.", "1e5", "1E-5", "2.5e3", "1234567890123456", "0.0000000000000001",
        "1234567890.123456", "e5", " 1", "x1", "--1", "+-1", "nan", "inf",
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        expect_plain(no[i], 0);
    /* what follows the number is the caller's: taken up to it */
    float v;
    ck_assert_uint_eq(csv_plain_float("12,3", "12,3" + 4, &v), 2);
    ck_assert_uint_eq(csv_plain_float("-4.5\r\n", "-4.5\r\n" + 6, &v), 4);
    ck_assert(v == -4.5f);
    ck_assert_uint_eq(csv_plain_float("7 ", "7 " + 2, &v), 1);
    ck_assert_uint_eq(csv_plain_float("123", "123" + 2, &v), 2); /* stops at end */
    ck_assert(v == 12.0f);

    /* exactly halfway between two floats, with at most 15 digits: odd
     * multiples of half a float ulp, as integers (2^24 .. 2^49) and with a
     * fraction (2^14 .. 2^24): the double is the halfway point itself, and
     * only the text decides (ties to even) */
    char b[64];
    uint64_t st = 7;
    for (int k = 14; k < 50; k++) {
        for (int j = 0; j < 2000; j++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            double f = ldexp(1.0 + (double)(st >> 41) * 0x1p-23, k); /* a float in [2^k, 2^k+1) */
            double mid = f + ldexp(1.0, k - 24);
            int frac = k >= 24 ? 0 : 24 - k;
            int len = snprintf(b, sizeof b, "%s%.*f", j & 1 ? "-" : "", frac, mid);
            int digits = len - (j & 1) - (frac > 0);
            expect_plain(b, digits <= CSV_PLAIN_DIGITS);
            float want = strtof(b, NULL);
            if (digits <= CSV_PLAIN_DIGITS) {
                csv_plain_float(b, b + len, &v);
                if (memcmp(&v, &want, sizeof v) != 0)
                    ck_abort_msg("%s: %a, strtof %a", b, v, want);
            }
        }
    }

    /* near halfway: the same points cut to 15 significant digits. Often the
     * text is then not halfway but its double is (the text lies within half
     * a double ulp of the point), and rounding that double to a float would
     * round twice: csv_parse_float decides from the text, and so must the
     * fast path. Such texts must turn up here. */
    int traps = 0;
    for (int i = 0; i < 200000; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = (int)(st >> 59) - 8; /* binades 2^-8 .. 2^23 */
        double mid = ldexp(1.0 + (double)(st >> 41) * 0x1p-23 + 0x1p-24, k);
        int intdigits = mid < 1 ? 1 : 1 + (int)floor(log10(mid));
        snprintf(b, sizeof b, "%.*f", CSV_PLAIN_DIGITS - intdigits, mid);
        expect_plain(b, 1);
        traps += strtod(b, NULL) == mid && strtof(b, NULL) != (float)mid;
    }
    ck_assert_msg(traps > 0, "no double-rounding trap among the near-halfway cases");

    /* 3,000,000 random short decimals: sign, 0..15 integer digits (leading
     * zeros sometimes), maybe a point and 0..15 more digits */
    for (int i = 0; i < 3000000; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = st >> 16;
        int len = 0;
        int sign = (int)(r % 3);
        r /= 3;
        if (sign)
            b[len++] = sign == 1 ? '-' : '+';
        int nint = (int)(r % 16), point = (int)(r >> 4 & 1), nfrac = point ? (int)(r >> 5 & 15) : 0;
        int zeros = (int)(r >> 9 & 3) == 0;
        uint64_t d = st * 0x9E3779B97F4A7C15ULL;
        for (int k = 0; k < nint; k++, d = d * 6364136223846793005ULL + 1)
            b[len++] = zeros && k < nint / 2 ? '0' : (char)('0' + (d >> 33) % 10);
        if (point)
            b[len++] = '.';
        for (int k = 0; k < nfrac; k++, d = d * 6364136223846793005ULL + 1)
            b[len++] = (char)('0' + (d >> 33) % 10);
        b[len] = '\0';
        int digits = nint + nfrac;
        expect_plain(b, digits >= 1 && digits <= CSV_PLAIN_DIGITS);
    }
}
END_TEST

/* The reader takes the same numbers through its fast path (unquoted plain
 * cells) as through the general one (the same cells quoted): tables equal
 * to the bit, at every chunk size and thread count, LF or CRLF, with blank
 * lines and quoted newlines in a text column; and every cell is
 * csv_parse_float of its text. */
START_TEST(test_csv_fast_path_same_table)
{
    enum { ROWS = 3000, COLS = 12 };
    static char cell[ROWS][COLS][32];
    uint64_t st = 2024;
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            uint64_t x = st >> 11;
            char *s = cell[r][c];
            switch (c % 6) {
            case 0: snprintf(s, 32, "%llu", (unsigned long long)(x % 256)); break;
            case 1: snprintf(s, 32, "-%llu.%0*llu", (unsigned long long)(x % 1000), 1 + (int)(x >> 50) % 6,
                             (unsigned long long)(x >> 20) % 100000); break;
            case 2: snprintf(s, 32, "%.*f", (int)(x % 12), (double)(x >> 30) * 1e-3); break;
            case 3: snprintf(s, 32, "%lld", (long long)(16777217 + 2 * (long long)(x % 1000))); break;
            case 4: snprintf(s, 32, r % 7 ? "%.6g" : "%.3e", (double)x * 1e-9); break; /* some exponents */
            default: snprintf(s, 32, r % 5 ? "%llu.%06llu" : " %llu.5 ", (unsigned long long)(x % 99999),
                              (unsigned long long)(x >> 24) % 1000000); break;
            }
        }
    size_t cap = (size_t)ROWS * COLS * 40 + 4096;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    table ref;
    memset(&ref, 0, sizeof ref);
    for (int variant = 0; variant < 4; variant++) {
        int quoted = variant & 1, crlf = variant >> 1;
        const char *eol = crlf ? "\r\n" : "\n";
        size_t n = 0;
        for (int c = 0; c < COLS; c++)
            n += (size_t)snprintf(text + n, cap - n, "c%d,", c);
        n += (size_t)snprintf(text + n, cap - n, "note%s", eol);
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < COLS; c++)
                n += (size_t)snprintf(text + n, cap - n, quoted ? "\"%s\"," : "%s,", cell[r][c]);
            if (r % 97)
                n += (size_t)snprintf(text + n, cap - n, "n%d%s", r % 3, eol);
            else
                n += (size_t)snprintf(text + n, cap - n, "\"two%slines\"%s", eol, eol);
            if (r % 211 == 0)
                n += (size_t)snprintf(text + n, cap - n, "%s", eol); /* a blank line */
        }
        const char *p = tu_path(0, "fast.csv");
        tu_write_file(p, text, n);
        static const long chunks[] = {0, 1, 777, 100000};
        for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++)
            for (int threads = 1; threads <= 3; threads++) {
                csv_opts o;
                csv_opts_default(&o);
                o.chunk_bytes = chunks[k];
                o.threads = threads;
                table t;
                read_csv_ok(p, &o, &t);
                ck_assert_int_eq(t.n_rows, ROWS);
                ck_assert_int_eq(t.n_cols, COLS + 1);
                ck_assert_int_eq(t.cols[COLS].kind, TABLE_TEXT);
                ck_assert_int_eq(t.cols[COLS].n_cats, 4);
                if (!ref.cols) {
                    for (int c = 0; c < COLS; c++)
                        for (int r = 0; r < ROWS; r++) {
                            const char *s = cell[r][c];
                            size_t len = strlen(s);
                            while (*s == ' ')
                                s++, len--;
                            while (len && s[len - 1] == ' ')
                                len--;
                            float want;
                            if (csv_parse_float(s, len, &want) != 1 ||
                                memcmp(&(float){table_num(&t.cols[c], r)}, &want, sizeof want) != 0)
                                ck_abort_msg("row %d col %d '%s': %a, want %a", r, c, cell[r][c],
                                             table_num(&t.cols[c], r), want);
                        }
                    ref = t;
                    continue;
                }
                for (int c = 0; c < COLS; c++)
                    for (int r = 0; r < ROWS; r++)
                        if (memcmp(&(float){table_num(&t.cols[c], r)}, &(float){table_num(&ref.cols[c], r)},
                                   sizeof(float)) != 0)
                            ck_abort_msg("variant %d, chunk %ld, %d threads: column %d row %d differs",
                                         variant, chunks[k], threads, c, r);
                ck_assert(memcmp(t.cols[COLS].code, ref.cols[COLS].code, ROWS * sizeof(int32_t)) == 0);
                table_free(&t);
            }
    }
    table_free(&ref);
    free(text);
}
END_TEST

/* Under a locale whose decimal separator is a comma, numbers read the same.
 * The locale is compiled here with localedef (Debian's `locales` package:
 * /usr/share/i18n/locales/de_DE) into the test's directory and found
 * through LOCPATH, so nothing system-wide is needed; only when localedef
 * or the de_DE source is absent does the test say so and skip. */
START_TEST(test_csv_comma_locale)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1", tmpdir);
    int rc = system(cmd);
    if (rc != 0 || !(WIFEXITED(rc) && WEXITSTATUS(rc) == 0)) {
        fprintf(stderr, "test_csv_comma_locale: SKIPPED: localedef -i de_DE -f UTF-8 failed "
                        "(install Debian's 'locales' package, which has localedef and the de_DE source)\n");
        return;
    }
    setenv("LOCPATH", tmpdir, 1);
    const char *loc = setlocale(LC_ALL, "de_DE.UTF-8");
    ck_assert_msg(loc != NULL, "setlocale(de_DE.UTF-8) failed with LOCPATH=%s", tmpdir);
    ck_assert_str_eq(localeconv()->decimal_point, ",");
    ck_assert(strtod("1.5", NULL) == 1.0); /* the locale really is in force */

    const char *text = "a,b\n1.5,1.17549435e-38\n-0.125,123456789012345678901234567890\n";
    const char *p = tu_path(0, "loc.csv");
    tu_write_file(p, text, strlen(text));
    table t;
    for (int threads = 1; threads <= 2; threads++) {
        csv_opts o;
        csv_opts_default(&o);
        o.threads = threads;
        read_csv_ok(p, &o, &t);
        ck_assert(table_num(&t.cols[0], 0) == 1.5 && table_num(&t.cols[0], 1) == -0.125);
        ck_assert(table_num(&t.cols[1], 0) == 1.17549435e-38f);
        ck_assert(table_num(&t.cols[1], 1) == 123456789012345678901234567890.0f);
        table_free(&t);
    }
    setlocale(LC_ALL, "C");
    unsetenv("LOCPATH");
}
END_TEST

/* ---- 3. hostile inputs ---------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *bytes;
    size_t len;    /* 0: strlen(bytes) */
    int header;    /* -1: default */
    long max_record;
    int max_cols;
    long long line, col;
    const char *words;
} csv_bad;

#define B(s) s, sizeof(s) - 1

/* The default reader options with what case c sets (header, max_record, max_cols). */
static void bad_opts(const csv_bad *c, csv_opts *o)
{
    csv_opts_default(o);
    if (c->header >= 0)
        o->header = c->header;
    if (c->max_record)
        o->max_record = c->max_record;
    if (c->max_cols)
        o->max_cols = c->max_cols;
}

static void expect_csv_fail(const char *path, const csv_opts *o, long long line, long long col,
                            const char *words, const char *what)
{
    table t;
    err_t err;
    err_clear(&err);
    time_t t0 = time(NULL);
    int rc = csv_read(path, o, &t, &err);
    ck_assert_msg(rc == -1, "%s: read succeeded", what);
    ck_assert_msg(time(NULL) - t0 < 10, "%s: took %ld s", what, (long)(time(NULL) - t0));
    ck_assert_msg(err.code == ERR_INPUT, "%s: code %d: %s", what, err.code, err.msg);
    ck_assert_ptr_null(t.cols);
    char pre[700];
    snprintf(pre, sizeof pre, "%s:%lld:%lld: ", path, line, col);
    ck_assert_msg(strncmp(err.msg, pre, strlen(pre)) == 0, "%s: want prefix '%s' in: %s", what, pre,
                  err.msg);
    ck_assert_msg(strstr(err.msg, words), "%s: want '%s' in: %s", what, words, err.msg);
}

START_TEST(test_csv_hostile)
{
    static const csv_bad cases[] = {
        {"ragged short", B("a,b,c\n1,2,3\n4,5\n"), -1, 0, 0, 3, 4, "ragged record: 2 fields, expected 3"},
        {"ragged long", B("a,b\n1,2\n3,4,5\n"), -1, 0, 0, 3, 5, "ragged record: more than the 2 fields"},
        {"unterminated quote", B("a,b\n1,\"2\n3,4\n"), -1, 0, 0, 2, 3, "unterminated quoted field"},
        {"after closing quote", B("a,b\n\"1\"x,2\n"), -1, 0, 0, 2, 4, "unexpected character after a closing quote"},
        {"duplicate names", B("a,b,a\n1,2,3\n"), -1, 0, 0, 1, 5, "duplicate column name \"a\" (also column 1)"},
        {"empty file", B(""), -1, 0, 0, 1, 1, "empty file"},
        {"blank lines only", B("\n\r\n\n"), -1, 0, 0, 4, 1, "empty file"},
        {"header no rows", B("a,b\n"), -1, 0, 0, 1, 1, "a header and no data records"},
        {"header no rows, no newline", B("a,b"), -1, 0, 0, 1, 1, "a header and no data records"},
        {"NUL in field", B("a,b\n1,2\n3,x\0y\n"), -1, 0, 0, 3, 4, "NUL byte"},
        {"NUL in quotes", B("a,b\n1,\"2\0\"\n"), -1, 0, 0, 2, 5, "NUL byte"},
        {"NUL in header", B("a\0,b\n1,2\n"), -1, 0, 0, 1, 2, "NUL byte"},
        {"UTF-16", B("\xff\xfe" "a\0,\0b\0\n\0"), -1, 0, 0, 1, 4, "NUL byte"},
        {"bad UTF-8 text", B("a,b\n1,ok\n2,caf\xe9\n"), -1, 0, 0, 3, 6, "invalid UTF-8 in a text cell of column 2 (\"b\")"},
        {"overlong UTF-8", B("a\n\xc0\xaf\n"), -1, 0, 0, 2, 1, "invalid UTF-8"},
        {"surrogate UTF-8", B("a\nx\xed\xa0\x80\n"), -1, 0, 0, 2, 2, "invalid UTF-8"},
        {"bad UTF-8 name", B("a,\xff\n1,2\n"), -1, 0, 0, 1, 3, "invalid UTF-8 in a column name"},
        {"inf", B("a,b\n1,2\n3,inf\n"), -1, 0, 0, 3, 3, "column 2 (\"b\"): \"inf\" is not a finite number"},
        {"-Infinity", B("a;b\n-Infinity;2\n"), -1, 0, 0, 2, 1, "\"-Infinity\" is not a finite number"},
        {"nan lowercase", B("a\n1\nnan\n"), -1, 0, 0, 3, 1, "\"nan\" is not a finite number"},
        {"overflow", B("a,b\n1, 1e400\n"), -1, 0, 0, 2, 4, "\"1e400\" is not a finite number"},
        {"long record", B("a,b\n1,2\n3,456789012345\n"), -1, 10, 0, 3, 1, "record longer than 10 bytes"},
        {"unterminated, long", B("a,b\n1,\"2345678901234567890\n"), -1, 10, 0, 2, 3, "unterminated quoted field"},
        {"too many columns", B("a,b,c,d\n1,2,3,4\n"), -1, 0, 3, 1, 7, "more than 3 columns"},
        {"too many, headerless", B("1,2,3,4\n"), 0, 0, 3, 1, 7, "more than 3 columns"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const csv_bad *c = &cases[i];
        const char *p = tu_path(0, "bad.csv");
        tu_write_file(p, c->bytes, c->len ? c->len : strlen(c->bytes));
        for (int threads = 1; threads <= 2; threads++)
            for (long chunk = 1; chunk <= 1 << 20; chunk *= 1024)
                for (int stream = 0; stream <= 1; stream++) { /* mapped, then streamed */
                    csv_opts o;
                    bad_opts(c, &o);
                    o.threads = threads;
                    o.chunk_bytes = chunk;
                    o.stream = stream;
                    expect_csv_fail(p, &o, c->line, c->col, c->words, c->name);
                }
        /* and gzipped: the same message */
        const char *g = tu_path(1, "bad.csv.gz");
        tu_write_gz(g, c->bytes, c->len ? c->len : strlen(c->bytes));
        csv_opts o;
        bad_opts(c, &o);
        expect_csv_fail(g, &o, c->line, c->col, c->words, c->name);
    }
    /* a file that is not there, and a corrupt gzip stream */
    table t;
    err_t err;
    ck_assert_int_eq(csv_read(tu_path(0, "nope.csv"), NULL, &t, &err), -1);
    ck_assert_msg(strstr(err.msg, "cannot open"), "%s", err.msg);
    unsigned char junk[64] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff};
    tu_write_file(tu_path(0, "junk.csv.gz"), junk, sizeof junk);
    ck_assert_int_eq(csv_read(tu_path(0, "junk.csv.gz"), NULL, &t, &err), -1);
    ck_assert_msg(err.code == ERR_INPUT && strstr(err.msg, "gzip"), "%s", err.msg);
}
END_TEST

/* A 1 GB line (gzipped: about 1 MB on disk) fails at the record limit
 * after reading about that much, and a million columns at the column
 * limit: both within seconds, in bounded memory. */
START_TEST(test_csv_huge_line_and_columns)
{
    const char *p = tu_path(0, "line.csv.gz");
    gzFile f = gzopen(p, "wb1");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzputs(f, "a,b\n1,"), 6);
    static char block[1 << 20];
    memset(block, '7', sizeof block);
    for (int i = 0; i < 1024; i++)
        ck_assert_int_eq(gzwrite(f, block, sizeof block), (int)sizeof block);
    ck_assert_int_eq(gzclose(f), Z_OK);
    csv_opts o;
    csv_opts_default(&o);
    expect_csv_fail(p, &o, 2, 1, "record longer than 16777216 bytes", "1 GB line");

    /* the same through a quote that never closes: the limit names it */
    f = gzopen(p, "wb1");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzputs(f, "a,b\n1,\"x\n"), 9);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(gzwrite(f, block, sizeof block), (int)sizeof block);
    ck_assert_int_eq(gzclose(f), Z_OK);
    expect_csv_fail(p, &o, 2, 1, "the quote opened at line 2, column 3 is still open", "open quote");

    const char *q = tu_path(1, "cols.csv");
    FILE *g = fopen(q, "wb");
    ck_assert_ptr_nonnull(g);
    for (int i = 0; i < 1000000; i++)
        fprintf(g, i ? ",c%d" : "c%d", i);
    fputs("\n", g);
    ck_assert_int_eq(fclose(g), 0);
    expect_csv_fail(q, &o, 1, 688891, "more than 100000 columns", "a million columns");
}
END_TEST

/* .npy and .npz: each hostile file, made by changing a good one. */
static void expect_npy_fail(const char *path, const char *prefix, const char *words, const char *what)
{
    npy_array a;
    table t;
    err_t err;
    err_clear(&err);
    int rc = strstr(path, ".npz") ? npz_read_xy(path, NULL, NULL, &t, &err) : npy_read(path, &a, &err);
    ck_assert_msg(rc == -1, "%s: read succeeded", what);
    ck_assert_msg(err.code == ERR_INPUT, "%s: code %d: %s", what, err.code, err.msg);
    ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0, "%s: want prefix '%s' in: %s", what,
                  prefix, err.msg);
    ck_assert_msg(strstr(err.msg, words), "%s: want '%s' in: %s", what, words, err.msg);
}

/* Replaces the first occurrence of from with to (same length) in b. */
static void patch(unsigned char *b, size_t n, const char *from, const char *to)
{
    size_t k = strlen(from);
    ck_assert_uint_eq(k, strlen(to));
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(b + i, from, k) == 0) {
            memcpy(b + i, to, k);
            return;
        }
    ck_abort_msg("patch: '%s' not found", from);
}

START_TEST(test_npy_hostile)
{
    double x[REF_ROWS * REF_X], y[REF_ROWS];
    ref_arrays(x, y);
    long long xs[2] = {REF_ROWS, REF_X};
    size_t n;
    unsigned char *good = npy_image("<f8", 2, xs, x, REF_ROWS * REF_X, &n, 1);
    unsigned char *b = malloc(n + 64);
    const char *p = tu_path(0, "bad.npy");
    char pre[600];
    snprintf(pre, sizeof pre, "%s: ", p);
    struct {
        const char *name, *from, *to;
        long cut; /* bytes to drop at the end (< 0: add -cut bytes) */
        const char *words;
    } cases[] = {
        {"bad magic", "NUMPY", "NUMPZ", 0, "not a .npy file (bad magic"},
        {"Fortran order", "'fortran_order': False", "'fortran_order': True ", 0, "Fortran-order array refused"},
        {"object dtype", "'<f8'", "'|O' ", 0, "object array: refused"},
        {"structured dtype", "'descr': '<f8'", "'descr': [('a'", 0, "structured dtype"},
        {"complex dtype", "'<f8'", "'<c8'", 0, "dtype '<c8' is unsupported"},
        {"no byte order", "'<f8'", "'|f8'", 0, "only for 1-byte types"},
        {"wrong key", "'shape'", "'shapf'", 0, "unexpected key 'shapf'"},
        {"0-d", "(6, 3)", "()    ", 0, "0-d (scalar) array"},
        {"shape too small", "(6, 3)", "(5, 3)", 0, "trailing bytes: header says shape (5, 3) of 8-byte items = 120 data bytes, file has 144 (24 extra)"},
        {"shape too big", "(6, 3)", "(7, 3)", 0, "truncated: header says shape (7, 3) of 8-byte items = 168 data bytes, file has 144"},
        {"absurd shape", "(6, 3)", "(9999999999999, 9999999999999)", 0, "overflows"},
        {"truncated data", NULL, NULL, 5, "truncated: header says shape (6, 3) of 8-byte items = 144 data bytes, file has 139"},
        {"trailing data", NULL, NULL, -3, "trailing bytes"},
        {"truncated header", NULL, NULL, (long)n - 20, "truncated: the header says it is"},
        {"truncated prefix", NULL, NULL, (long)n - 5, "truncated: 5 bytes"},
        {"empty", NULL, NULL, (long)n, "truncated: 0 bytes"},
        {"not a dict", "{'descr'", "['descr'", 0, "not a Python dict"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t m = n;
        if (cases[i].from && strlen(cases[i].from) != strlen(cases[i].to)) {
            /* a longer value: rebuild the header in place of the padding */
            memcpy(b, good, n);
            char *h = (char *)b + 10;
            char *at = strstr(h, cases[i].from);
            ck_assert_ptr_nonnull(at);
            size_t fl = strlen(cases[i].from), tl = strlen(cases[i].to);
            memmove(at + tl, at + fl, (size_t)((char *)b + 10 + 118 - (at + fl)) - (tl - fl));
            memcpy(at, cases[i].to, tl);
        } else {
            memcpy(b, good, n);
            if (cases[i].from)
                patch(b, n, cases[i].from, cases[i].to);
        }
        if (cases[i].cut > 0)
            m = n - (size_t)cases[i].cut;
        else if (cases[i].cut < 0) {
            memset(b + n, 0, (size_t)-cases[i].cut);
            m = n + (size_t)-cases[i].cut;
        }
        tu_write_file(p, b, m);
        expect_npy_fail(p, pre, cases[i].words, cases[i].name);
    }
    /* version 4.0 */
    memcpy(b, good, n);
    b[6] = 4;
    tu_write_file(p, b, n);
    expect_npy_fail(p, pre, "version 4.0 is unsupported", "version");

    /* .npz: a good archive, then damaged ones */
    long long ys[1] = {REF_ROWS};
    size_t yl;
    unsigned char *yb = npy_image("<i8", 1, ys, y, REF_ROWS, &yl, 1);
    const char *z = tu_path(1, "bad.npz");
    snprintf(pre, sizeof pre, "%s: ", z);
    const char *names[2] = {"X.npy", "y.npy"};
    const unsigned char *datas[2] = {good, yb};
    size_t lens[2] = {n, yl};

    write_zip(z, 2, names, datas, lens, 0);
    size_t zl;
    unsigned char *zb = tu_read_file(z, &zl);
    zb[30 + 5 + 128 + 7] ^= 1; /* a data byte of X: the CRC must catch it */
    tu_write_file(z, zb, zl);
    expect_npy_fail(z, pre, "member 'X.npy': CRC-32 mismatch", "crc");
    free(zb);

    write_zip(z, 2, names, datas, lens, 1);
    zb = tu_read_file(z, &zl);
    for (int i = 0; i < 16; i++)
        zb[30 + 5 + 2 + i] ^= 0x55; /* inside X's deflate stream */
    tu_write_file(z, zb, zl);
    expect_npy_fail(z, pre, "member 'X.npy'", "corrupt deflate");
    free(zb);

    const char *other[2] = {"X.npy", "labels.npy"};
    write_zip(z, 2, other, datas, lens, 1);
    expect_npy_fail(z, pre, "no array named 'y' (members: X.npy, labels.npy)", "missing member");

    write_zip(z, 2, names, datas, lens, 0);
    zb = tu_read_file(z, &zl);
    zb[8] = 12; /* X's local method; the central one too: */
    size_t cdo = zl - 22 - (46 + 5) * 2;
    zb[cdo + 10] = 12;
    tu_write_file(z, zb, zl);
    expect_npy_fail(z, pre, "compression method 12 is unsupported", "method");
    zb[cdo + 10] = 8;
    zb[cdo + 24] = 0xff; /* uncompressed size claims 4 GB from 128 bytes */
    zb[cdo + 25] = 0xff;
    zb[cdo + 26] = 0xff;
    zb[cdo + 27] = 0x7f;
    tu_write_file(z, zb, zl);
    expect_npy_fail(z, pre, "cannot inflate from", "inflate bomb");
    zb[cdo + 42] = 0xf0; /* local header offset past the directory */
    zb[cdo + 43] = 0xff;
    tu_write_file(z, zb, zl);
    expect_npy_fail(z, pre, "local header missing or bad", "local offset");
    tu_write_file(z, zb, 100); /* cut: no end record */
    expect_npy_fail(z, pre, "not a zip archive", "cut zip");
    free(zb);
    tu_write_file(z, "PK\x05\x06", 4);
    expect_npy_fail(z, pre, "not a zip archive", "tiny zip");

    /* X and y disagree; an infinite value */
    long long ys5[1] = {REF_ROWS - 1};
    unsigned char *y5 = npy_image("<i8", 1, ys5, y, REF_ROWS - 1, &yl, 1);
    datas[1] = y5;
    lens[1] = yl;
    write_zip(z, 2, names, datas, lens, 1);
    char w[700];
    snprintf(w, sizeof w, "X.npy: 6 rows, but %s:y.npy has 5", z);
    expect_npy_fail(z, z, w, "rows");
    x[4] = INFINITY;
    unsigned char *xi = npy_image("<f8", 2, xs, x, REF_ROWS * REF_X, &n, 1);
    datas[0] = xi;
    datas[1] = yb;
    lens[0] = n;
    lens[1] = REF_ROWS * 8 + 128;
    write_zip(z, 2, names, datas, lens, 0);
    expect_npy_fail(z, z, "X.npy: value [1, 1] is infinite", "inf");
    free(xi);
    free(y5);
    free(yb);
    free(good);
    free(b);
}
END_TEST

/* What `nntrain describe` reads (READER_LABELS_IF_PRESENT): a lone .npy's
 * own columns, never the labels' file that data.y names; an .npz's X and
 * its y only when it has one. Training (READER_WITH_LABELS) still needs
 * both. */
START_TEST(test_reader_labels_if_present)
{
    double x[REF_ROWS * REF_X], y[REF_ROWS];
    ref_arrays(x, y);
    long long xs[2] = {REF_ROWS, REF_X}, ys[1] = {REF_ROWS};
    size_t xl, yl;
    unsigned char *xb = npy_image("<f8", 2, xs, x, REF_ROWS * REF_X, &xl, 1);
    unsigned char *yb = npy_image("<i8", 1, ys, y, REF_ROWS, &yl, 1);
    char x_npy[512], only_x[512], x_and_y[512];
    snprintf(x_npy, sizeof x_npy, "%s", tu_path(0, "lone.npy"));
    snprintf(only_x, sizeof only_x, "%s", tu_path(1, "onlyX.npz"));
    snprintf(x_and_y, sizeof x_and_y, "%s", tu_path(2, "xy.npz"));
    tu_write_file(x_npy, xb, xl);
    const char *names[2] = {"X.npy", "y.npy"};
    const unsigned char *datas[2] = {xb, yb};
    size_t lens[2] = {xl, yl};
    write_zip(only_x, 1, names, datas, lens, 0);
    write_zip(x_and_y, 2, names, datas, lens, 1);

    reader_opts o;
    memset(&o, 0, sizeof o);
    csv_opts_default(&o.csv);
    o.x_name = "X";
    o.y_name = "no/such/dir/y"; /* a .npy's labels file, as data.dir + data.y make it */
    o.with_labels = READER_LABELS_IF_PRESENT;
    table t;
    err_t err;
    err_clear(&err);
    ck_assert_msg(reader_read(x_npy, &o, &t, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(t.n_rows, REF_ROWS);
    ck_assert_int_eq(t.n_cols, REF_X);
    ck_assert_str_eq(t.cols[0].name, "x0");
    table_free(&t);

    o.y_name = "y";
    ck_assert_msg(reader_read(only_x, &o, &t, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(t.n_cols, REF_X);
    table_free(&t);
    ck_assert_msg(reader_read(x_and_y, &o, &t, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(t.n_cols, REF_X + 1);
    ck_assert_str_eq(t.cols[REF_X].name, "y");
    ck_assert_double_eq(table_num(&t.cols[REF_X], 1), y[1]);
    table_free(&t);

    int has = -1;
    ck_assert_msg(npz_has(x_and_y, "y", &has, &err) == 0 && has == 1, "%s", err.msg);
    ck_assert_msg(npz_has(only_x, "y", &has, &err) == 0 && has == 0, "%s", err.msg);
    ck_assert_int_eq(npz_has(x_npy, "y", &has, &err), -1); /* not a zip archive */

    /* Training still needs the labels: the same files are refused. */
    o.with_labels = READER_WITH_LABELS;
    err_clear(&err);
    ck_assert_int_eq(reader_read(only_x, &o, &t, &err), -1);
    ck_assert_msg(strstr(err.msg, "no array named 'y'"), "%s", err.msg);
    o.y_name = "no/such/dir/y";
    err_clear(&err);
    ck_assert_int_eq(reader_read(x_npy, &o, &t, &err), -1);
    ck_assert_msg(strstr(err.msg, "no/such/dir/y: cannot open"), "%s", err.msg);
    free(xb);
    free(yb);
}
END_TEST

/* ---- summaries ----------------------------------------------------------------- */

/* The plain reference of table_summarize for column c over rows[0..n):
 * one pass down the column for the sums, one for the squares. */
static table_summary summary_ref(const table *t, int32_t c, const int64_t *rows, int64_t n)
{
    table_summary a = {0};
    const table_col *col = &t->cols[c];
    for (int64_t i = 0; i < n; i++) {
        int64_t r = rows ? rows[i] : i;
        if (table_is_missing(t, c, r))
            continue;
        double v = table_num(col, r);
        if (a.m++ == 0)
            a.lo = a.hi = v;
        a.sum += v;
        a.lo = v < a.lo ? v : a.lo;
        a.hi = v > a.hi ? v : a.hi;
    }
    for (int64_t i = 0; a.m && i < n; i++) {
        int64_t r = rows ? rows[i] : i;
        if (!table_is_missing(t, c, r))
            a.ss += (table_num(col, r) - a.sum / a.m) * (table_num(col, r) - a.sum / a.m);
    }
    return a;
}

/* table_summarize gives the reference's bits over the CSV reader's
 * row-major slab and over the same columns one contiguous array each, for
 * every column or a list of them, all rows or a list in any order, on one
 * thread (small) and on every core (over a million cells), eight columns
 * at a time or one (a column with missing cells, a text one). */
START_TEST(test_summary_same_bits_every_layout)
{
    enum { R = 130000, C = 10 };
    char *text = malloc((size_t)R * 120 + 128);
    size_t len = (size_t)sprintf(text, "a,b,c,d,e,f,g,h,miss,word\n");
    for (int r = 0; r < R; r++) {
        len += (size_t)sprintf(text + len, "%.7g,%d,%.3f,%g,%d,%.5g,%g,%.9g,", (r % 977) * 0.37 - 100,
                               r % 13 - 6, r * 1e-3, r == 1 ? -0.0 : 1e-30 * r,
                               (r * 7919) % 65536, 1.0 / (r + 1), (double)r * r * 1.5, sin(r) * 1e6);
        len += (size_t)sprintf(text + len, "%s,%s\n", r % 101 == 3 ? "" : "2.5", r % 3 ? "x" : "y");
    }
    const char *path = tu_path(0, "summary.csv");
    tu_write_file(path, text, len);
    free(text);
    table rm, cm;
    read_csv_ok(path, NULL, &rm);
    ck_assert_ptr_nonnull(rm.slab);
    ck_assert_int_eq(rm.cols[8].kind, TABLE_NUMERIC);
    ck_assert_int_gt(rm.cols[8].n_missing, 0);
    ck_assert_int_eq(rm.cols[9].kind, TABLE_TEXT);
    /* the same columns, each its own array */
    err_t err;
    ck_assert_int_eq(table_init(&cm, C, &err), 0);
    cm.n_rows = R;
    for (int c = 0; c < C - 1; c++) {
        cm.cols[c].num = malloc(R * sizeof(float));
        for (int r = 0; r < R; r++)
            cm.cols[c].num[r] = table_num(&rm.cols[c], r);
        if (rm.cols[c].missing) {
            cm.cols[c].missing = malloc(R);
            memcpy(cm.cols[c].missing, rm.cols[c].missing, R);
            cm.cols[c].n_missing = rm.cols[c].n_missing;
        }
    }
    cm.cols[C - 1].kind = TABLE_TEXT;
    int64_t *down = malloc(R * sizeof *down), *some = malloc(R * sizeof *some);
    int64_t n_some = 0;
    for (int r = 0; r < R; r++) {
        down[r] = R - 1 - r;
        if (r % 7 < 3)
            some[n_some++] = r;
    }
    static const int32_t list[C] = {9, 7, 0, 1, 2, 3, 4, 5, 6, 8};
    struct {
        const int32_t *cols;
        const int64_t *rows;
        int64_t n;
    } cases[] = {{NULL, NULL, R}, {list, NULL, R}, {NULL, down, R}, {list, some, n_some},
                 {NULL, some, 500}, {list, down + 7, 900}};
    const table *layouts[2] = {&rm, &cm};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int l = 0; l < 2; l++) {
            table_summary st[C];
            ck_assert_int_eq(table_summarize(layouts[l], cases[k].cols, C, cases[k].rows, cases[k].n, st), 0);
            for (int j = 0; j < C; j++) {
                int32_t c = cases[k].cols ? cases[k].cols[j] : j;
                table_summary want = c == C - 1 ? (table_summary){0}
                                                : summary_ref(layouts[l], c, cases[k].rows, cases[k].n);
                ck_assert_msg(memcmp(&st[j], &want, sizeof want) == 0,
                              "case %zu, %s, column %d: m %lld sum %a lo %a hi %a ss %a, want %lld %a %a %a %a",
                              k, l ? "columns" : "slab", c, (long long)st[j].m, st[j].sum, st[j].lo, st[j].hi,
                              st[j].ss, (long long)want.m, want.sum, want.lo, want.hi, want.ss);
            }
        }
    free(down);
    free(some);
    table_free(&rm);
    table_free(&cm);
}
END_TEST

TU_MAIN_TMPDIR("data", test_same_table_every_reader, test_csv_quotes_text_missing,
               test_csv_numbers_correctly_rounded, test_parse_float_rounds_once, test_plain_float_same_bits, test_csv_fast_path_same_table,
               test_csv_read_each_same_cells, test_csv_locate, test_csv_slab_growth, test_csv_comma_locale, test_csv_hostile,
               test_csv_huge_line_and_columns, test_npy_hostile, test_reader_labels_if_present,
               test_summary_same_bits_every_layout)
