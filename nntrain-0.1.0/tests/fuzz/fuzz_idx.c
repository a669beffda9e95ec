/* libFuzzer harness: the IDX reader (src/idx.c), raw and gzipped.
 *
 * Each input is:
 *   1. read as an IDX file as is (idx_read; an input that starts with the
 *      gzip magic exercises the gzip path directly);
 *   2. gzipped and read again: the result must be the same as (1) - the
 *      same success or failure, and on success the same dims and bytes;
 *   3. read as the image file of idx_load_dataset, with a small valid label
 *      file whose count is taken from the input's first dim (so that the
 *      counts can agree) and max_n from the last input byte.
 * Errors must come back as -1 with a message, never as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_util.h"
#include "idx.h"

static void check_err(int rc, const err_t *err, const char *what)
{
    if (rc != 0 && rc != -1) {
        fprintf(stderr, "%s returned %d\n", what, rc);
        abort();
    }
    if (rc == -1 && err->msg[0] == '\0') {
        fprintf(stderr, "%s failed without a message\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *raw = fuzz_path("raw"), *gz = fuzz_path("gz"), *lab = fuzz_path("labels");
    err_t err;

    /* 1. as is */
    fuzz_write(raw, data, size);
    idx_array a;
    err_clear(&err);
    int rc = idx_read(raw, &a, &err);
    check_err(rc, &err, "idx_read (raw)");
    if (rc == 0) {
        long long count = 1;
        for (int i = 0; i < a.ndims; i++) count *= a.dims[i];
        if (a.ndims < 1 || a.ndims > IDX_MAX_DIMS || count != a.count || count <= 0) {
            fprintf(stderr, "idx_read: inconsistent dims\n");
            abort();
        }
        /* every byte must be readable */
        volatile unsigned sum = 0;
        for (long long i = 0; i < a.count; i++) sum += a.data[i];
    }

    /* 2. gzipped: same outcome */
    int is_gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (!is_gz) {
        gzFile f = gzopen(gz, "wb1");
        if (!f) abort();
        if (size && gzwrite(f, data, (unsigned)size) != (int)size) abort();
        if (gzclose(f) != Z_OK) abort();
        idx_array b;
        err_clear(&err);
        int rc2 = idx_read(gz, &b, &err);
        check_err(rc2, &err, "idx_read (gz)");
        if (rc2 != rc) {
            fprintf(stderr, "raw and gzipped disagree: raw %d, gz %d (%s)\n", rc, rc2, err.msg);
            abort();
        }
        if (rc == 0) {
            if (a.ndims != b.ndims || a.count != b.count ||
                memcmp(a.dims, b.dims, sizeof a.dims) != 0 ||
                memcmp(a.data, b.data, (size_t)a.count) != 0) {
                fprintf(stderr, "raw and gzipped read differently\n");
                abort();
            }
            idx_array_free(&b);
        }
    }
    if (rc == 0) idx_array_free(&a);

    /* 3. as the images of a data set */
    uint32_t n = 1;
    if (size >= 8) n = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 |
                       (uint32_t)data[6] << 8 | data[7];
    if (n == 0 || n > 4096) n = 1 + (n % 4096);
    static uint8_t labels[4096];
    for (uint32_t i = 0; i < n; i++) labels[i] = (uint8_t)(i % 10);
    int dim = (int)n;
    err_clear(&err);
    if (idx_write(lab, 1, &dim, labels, 0, &err) != 0) {
        fprintf(stderr, "idx_write: %s\n", err.msg);
        abort();
    }
    int max_n = size ? data[size - 1] % 8 : 0;
    dataset ds;
    err_clear(&err);
    rc = idx_load_dataset(raw, lab, max_n, &ds, &err);
    check_err(rc, &err, "idx_load_dataset");
    if (rc == 0) {
        if (ds.n <= 0 || ds.rows <= 0 || ds.cols <= 0 || (max_n > 0 && ds.n > max_n)) abort();
        volatile unsigned sum = 0;
        for (long long i = 0; i < (long long)ds.n * ds.rows * ds.cols; i++) sum += ds.images[i];
        for (int i = 0; i < ds.n; i++) sum += ds.labels[i];
        dataset_free(&ds);
    }
    return 0;
}
