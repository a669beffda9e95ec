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
#include <zlib.h>

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

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A two-member zip (X.npy = x, y.npy = y) at path. */
static void write_zip(const char *path, const uint8_t *x, size_t xl, const uint8_t *y, size_t yl,
                      int deflated)
{
    const char *names[2] = {"X.npy", "y.npy"};
    const uint8_t *d[2] = {x, y};
    size_t l[2] = {xl, yl};
    size_t cap = 1024 + 2 * (xl + yl) + 64;
    unsigned char *z = calloc(cap, 1), cd[256];
    size_t zn = 0, cdn = 0;
    memset(cd, 0, sizeof cd);
    for (int i = 0; i < 2; i++) {
        uint32_t crc = (uint32_t)crc32(0, d[i], (uInt)l[i]);
        unsigned char *comp = (unsigned char *)d[i], *tmp = NULL;
        size_t clen = l[i];
        if (deflated) {
            uLongf bound = compressBound((uLong)l[i]) + 64;
            tmp = malloc(bound);
            z_stream s;
            memset(&s, 0, sizeof s);
            if (deflateInit2(&s, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
            s.next_in = (unsigned char *)d[i];
            s.avail_in = (uInt)l[i];
            s.next_out = tmp;
            s.avail_out = (uInt)bound;
            if (deflate(&s, Z_FINISH) != Z_STREAM_END) abort();
            clen = s.total_out;
            deflateEnd(&s);
            comp = tmp;
        }
        size_t off = zn;
        unsigned char *h = z + zn;
        put32(h, 0x04034b50);
        put16(h + 4, 20);
        put16(h + 8, deflated ? 8 : 0);
        put32(h + 14, crc);
        put32(h + 18, (uint32_t)clen);
        put32(h + 22, (uint32_t)l[i]);
        put16(h + 26, 5);
        memcpy(h + 30, names[i], 5);
        zn += 35;
        memcpy(z + zn, comp, clen);
        zn += clen;
        unsigned char *c = cd + cdn;
        put32(c, 0x02014b50);
        put16(c + 4, 20);
        put16(c + 6, 20);
        put16(c + 10, deflated ? 8 : 0);
        put32(c + 16, crc);
        put32(c + 20, (uint32_t)clen);
        put32(c + 24, (uint32_t)l[i]);
        put16(c + 28, 5);
        put32(c + 42, (uint32_t)off);
        memcpy(c + 46, names[i], 5);
        cdn += 51;
        free(tmp);
    }
    size_t cdoff = zn;
    memcpy(z + zn, cd, cdn);
    zn += cdn;
    unsigned char *e = z + zn;
    memset(e, 0, 22);
    put32(e, 0x06054b50);
    put16(e + 8, 2);
    put16(e + 10, 2);
    put32(e + 12, (uint32_t)cdn);
    put32(e + 16, (uint32_t)cdoff);
    zn += 22;
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
                    if (isinf(t.cols[c].num[r]) || (isnan(t.cols[c].num[r]) != table_is_missing(&t, c, r)))
                        abort();
            table_free(&t);
        }
    }
    return 0;
}
