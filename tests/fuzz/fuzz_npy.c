/* libFuzzer harness: the NumPy readers (src/data/npy.c).
 *
 * Each input is:
 *   1. read as a .npy file (npy_read, streaming) and parsed from memory
 *      (npy_parse): both must give the same outcome and values;
 *   2. read as an .npz archive (npz_read_xy: the zip directory, zip64,
 *      inflate, CRC, then the members as .npy);
 *   3. put as "X.npy" into a stored and a deflated zip next to a valid
 *      "y.npy" of as many rows as it claims (up to 64), and read as .npz,
 *      so mutated .npy bytes also run through the archive path and
 *      npy_to_table.
 * Errors must come back as -1 with a message, never as a crash. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ziptest.h"
#include "fuzz_util.h"
#include "npy.h"

static void chk(int rc, const err_t *e, const char *what)
{
    if ((rc != 0 && rc != -1) || (rc == -1 && e->msg[0] == '\0')) {
        fprintf(stderr, "%s: rc %d without a message\n", what, rc);
        abort();
    }
}

static int64_t count_of(const npy_array *a)
{
    return a->shape[0] * (a->ndim == 2 ? a->shape[1] : 1);
}

/* A two-member zip (X.npy = x, y.npy = y) at path, stored or deflated
 * (level 1): ../ziptest.h. */
static void write_zip(const char *path, const uint8_t *x, size_t xl, const uint8_t *y, size_t yl,
                      int deflated)
{
    const char *names[2] = {"X.npy", "y.npy"};
    const unsigned char *d[2] = {x, y};
    size_t l[2] = {xl, yl}, zn;
    unsigned char *z = ziptest_zip(2, names, d, l, deflated ? 1 : 0, &zn);
    if (!z) abort();
    fuzz_write(path, z, zn);
    free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_path("npy"), *z = fuzz_path("npz");
    fuzz_write(p, data, size);
    err_t e1, e2;
    npy_array a, b;

    /* 1. file and memory agree */
    err_clear(&e1);
    int rc1 = npy_read(p, &a, &e1);
    chk(rc1, &e1, "npy_read");
    err_clear(&e2);
    int rc2 = npy_parse(p, data, size, &b, &e2);
    chk(rc2, &e2, "npy_parse");
    if (rc1 != rc2 || (rc1 == 0 && (a.ndim != b.ndim || memcmp(a.shape, b.shape, sizeof a.shape) ||
                                    memcmp(a.data, b.data, (size_t)count_of(&a) * sizeof(double))))) {
        fprintf(stderr, "npy_read and npy_parse disagree: %d %d (%s | %s)\n", rc1, rc2, e1.msg, e2.msg);
        abort();
    }
    if (rc1 == -1 && e1.code == ERR_INPUT && strcmp(e1.msg, e2.msg) != 0 &&
        !strstr(e1.msg, "truncated") && !strstr(e1.msg, "cannot")) {
        fprintf(stderr, "messages differ:\n  %s\n  %s\n", e1.msg, e2.msg);
        abort();
    }
    int64_t rows = rc1 == 0 ? a.shape[0] : 1;
    if (rc1 == 0) {
        if (a.ndim < 1 || a.ndim > 2 || a.shape[0] < 0 || a.shape[1] < 0) abort();
        npy_array_free(&a);
        npy_array_free(&b);
    }

    /* 2. as an archive */
    table t;
    err_clear(&e1);
    int rc = npz_read_xy(p, NULL, NULL, &t, &e1);
    chk(rc, &e1, "npz_read_xy");
    if (rc == 0) table_free(&t);

    /* 3. as X.npy inside an archive, with a y of as many rows */
    if (rows < 1 || rows > 64) rows = 1 + (rows < 0 ? 0 : rows % 64);
    unsigned char y[128 + 64];
    memcpy(y, "\x93NUMPY\x01\x00\x76\x00", 10); /* v1.0, 118-byte header */
    char dict[119];
    memset(dict, ' ', sizeof dict);
    int dn = snprintf(dict, sizeof dict, "{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }", (int)rows);
    dict[dn] = ' ';
    dict[117] = '\n';
    memcpy(y + 10, dict, 118);
    for (int i = 0; i < rows; i++) y[128 + i] = (unsigned char)(i % 3);
    for (int deflated = 0; deflated <= 1; deflated++) {
        write_zip(z, data, size, y, 128 + (size_t)rows, deflated);
        err_clear(&e1);
        rc = npz_read_xy(z, NULL, NULL, &t, &e1);
        chk(rc, &e1, "npz_read_xy (wrapped)");
        if (rc == 0) {
            if (t.n_rows != rows) abort();
            for (int c = 0; c < t.n_cols; c++)
                for (int64_t r = 0; r < t.n_rows; r++)
                    if (isinf(table_num(&t.cols[c], r)) || (isnan(table_num(&t.cols[c], r)) != table_is_missing(&t, c, r)))
                        abort();
            table_free(&t);
        }
    }
    return 0;
}
