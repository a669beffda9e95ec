/* Tests for idx: round trips, data sets, and every rejected header. Each
 * test works in its own mkdtemp directory, removed afterwards. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "idx.h"
#include "testutil.h"

static char pathbuf[4][512];

/* A path inside tmpdir; slot keeps up to 4 alive at once. */
static const char *tpath(int slot, const char *name)
{
    snprintf(pathbuf[slot], sizeof pathbuf[slot], "%s/%s", tmpdir, name);
    return pathbuf[slot];
}

static void write_bytes(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_gz_bytes(const char *path, const void *buf, size_t n)
{
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, buf, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

/* Deterministic noise: incompressible, so gzip stores it verbatim. */
static void fill_noise(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (uint8_t)(seed >> 24);
    }
}

/* Reads path expecting failure; the message must name the file and contain
 * each of the given words. */
static void expect_fail(const char *path, const char *w1, const char *w2)
{
    idx_array a;
    err_t err;
    err_clear(&err);
    ck_assert_int_eq(idx_read(path, &a, &err), -1);
    ck_assert_int_ne(err.code, ERR_OK);
    ck_assert_ptr_null(a.data);
    ck_assert_msg(strstr(err.msg, path), "message does not name the file: %s", err.msg);
    if (w1)
        ck_assert_msg(strstr(err.msg, w1), "missing '%s' in: %s", w1, err.msg);
    if (w2)
        ck_assert_msg(strstr(err.msg, w2), "missing '%s' in: %s", w2, err.msg);
}

static void round_trip(int gz)
{
    const char *p = tpath(0, gz ? "a.idx.gz" : "a.idx");
    int dims[3] = {3, 4, 5};
    uint8_t data[60];
    fill_noise(data, sizeof data, 7);
    err_t err;
    err_clear(&err);
    ck_assert_msg(idx_write(p, 3, dims, data, gz, &err) == 0, "%s", err.msg);

    /* The file really is (or is not) gzip: checked by content. */
    size_t n;
    unsigned char *raw = tu_read_file(p, &n);
    if (gz) {
        ck_assert(raw[0] == 0x1f && raw[1] == 0x8b);
    } else {
        ck_assert_uint_eq(n, 4 + 12 + 60);
        ck_assert(raw[0] == 0 && raw[1] == 0 && raw[2] == 8 && raw[3] == 3);
        ck_assert(raw[4] == 0 && raw[5] == 0 && raw[6] == 0 && raw[7] == 3);
    }
    free(raw);

    idx_array a;
    ck_assert_msg(idx_read(p, &a, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(a.ndims, 3);
    ck_assert_int_eq(a.dims[0], 3);
    ck_assert_int_eq(a.dims[1], 4);
    ck_assert_int_eq(a.dims[2], 5);
    ck_assert_int_eq(a.count, 60);
    ck_assert_mem_eq(a.data, data, 60);
    idx_array_free(&a);
    ck_assert_ptr_null(a.data);
}

START_TEST(test_round_trip_raw) { round_trip(0); }
END_TEST

START_TEST(test_round_trip_gz) { round_trip(1); }
END_TEST

/* Writes n images of rows x cols and n labels (i % 10). */
static void write_set(const char *ip, const char *lp, int n, int rows, int cols, int gz)
{
    int idims[3] = {n, rows, cols};
    int ldims[1] = {n};
    uint8_t *im = malloc((size_t)n * rows * cols);
    uint8_t *lb = malloc((size_t)n);
    for (int i = 0; i < n * rows * cols; i++)
        im[i] = (uint8_t)(i * 7);
    for (int i = 0; i < n; i++)
        lb[i] = (uint8_t)(i % 10);
    err_t err;
    ck_assert_msg(idx_write(ip, 3, idims, im, gz, &err) == 0, "%s", err.msg);
    ck_assert_msg(idx_write(lp, 1, ldims, lb, gz, &err) == 0, "%s", err.msg);
    free(im);
    free(lb);
}

START_TEST(test_dataset_good)
{
    const char *ip = tpath(0, "img.gz"), *lp = tpath(1, "lbl");
    write_set(ip, lp, 12, 2, 3, 1);
    dataset d;
    err_t err;
    ck_assert_msg(idx_load_dataset(ip, lp, 0, &d, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(d.n, 12);
    ck_assert_int_eq(d.rows, 2);
    ck_assert_int_eq(d.cols, 3);
    for (int i = 0; i < 12 * 6; i++)
        ck_assert_uint_eq(d.images[i], (uint8_t)(i * 7));
    for (int i = 0; i < 12; i++)
        ck_assert_uint_eq(d.labels[i], (uint8_t)(i % 10));
    dataset_free(&d);
    ck_assert_ptr_null(d.images);
}
END_TEST

START_TEST(test_dataset_max_n)
{
    const char *ip = tpath(0, "img"), *lp = tpath(1, "lbl");
    write_set(ip, lp, 10, 4, 4, 0);
    dataset d;
    err_t err;
    ck_assert_msg(idx_load_dataset(ip, lp, 3, &d, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(d.n, 3);
    for (int i = 0; i < 3 * 16; i++)
        ck_assert_uint_eq(d.images[i], (uint8_t)(i * 7));
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(d.labels[i], (uint8_t)(i % 10));
    dataset_free(&d);

    /* max_n beyond the file keeps everything. */
    ck_assert_msg(idx_load_dataset(ip, lp, 100, &d, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(d.n, 10);
    dataset_free(&d);
}
END_TEST

START_TEST(test_bad_magic)
{
    const char *p = tpath(0, "x.idx");
    const unsigned char b[] = {'P', 'K', 0x03, 0x04, 0, 0, 0, 1, 42};
    write_bytes(p, b, sizeof b);
    expect_fail(p, "not an IDX file", "0x50 0x4b 0x03 0x04");

    /* Gzipped twice: one layer comes off, the other shows as magic. */
    const char *q = tpath(1, "x.idx.gz");
    const char *r = tpath(2, "x.idx.gz.gz");
    int dims[1] = {3};
    uint8_t d[3] = {1, 2, 3};
    err_t err;
    ck_assert_int_eq(idx_write(q, 1, dims, d, 1, &err), 0);
    size_t n;
    unsigned char *raw = tu_read_file(q, &n);
    write_gz_bytes(r, raw, n);
    free(raw);
    expect_fail(r, "not an IDX file", "0x1f 0x8b");

    /* Too short even for the magic. */
    write_bytes(p, b, 2);
    expect_fail(p, "truncated", NULL);
}
END_TEST

START_TEST(test_wrong_type)
{
    const char *p = tpath(0, "f.idx");
    const unsigned char b[] = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    write_bytes(p, b, sizeof b);
    expect_fail(p, "0x0D", "float");

    const unsigned char c[] = {0, 0, 0x42, 1, 0, 0, 0, 1, 0};
    write_bytes(p, c, sizeof c);
    expect_fail(p, "0x42", "unsupported");
}
END_TEST

START_TEST(test_zero_dim)
{
    const char *p = tpath(0, "z.idx");
    const unsigned char b[] = {0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 0};
    write_bytes(p, b, sizeof b);
    expect_fail(p, "dimension 2 is 0", NULL);
}
END_TEST

START_TEST(test_dims_count)
{
    const char *p = tpath(0, "d.idx");
    unsigned char b[4 + 4 * 5 + 1] = {0, 0, 8, 5};
    for (int i = 0; i < 5; i++)
        b[4 + 4 * i + 3] = 1;
    write_bytes(p, b, sizeof b);
    expect_fail(p, "5 dimensions", "expected 1 to 4");

    b[3] = 0;
    write_bytes(p, b, 4);
    expect_fail(p, "0 dimensions", NULL);
}
END_TEST

START_TEST(test_too_large)
{
    /* 65536 x 65536 = 2^32 bytes: rejected from the header alone. */
    const char *p = tpath(0, "big.idx");
    const unsigned char b[] = {0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0, 1, 2, 3};
    write_bytes(p, b, sizeof b);
    expect_fail(p, "too large", NULL);
}
END_TEST

START_TEST(test_truncated_raw)
{
    const char *p = tpath(0, "t.idx");
    /* Header says 2x5 = 10 bytes; only 7 follow. */
    const unsigned char b[] = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7};
    write_bytes(p, b, sizeof b);
    expect_fail(p, "truncated", "2x5 = 10 data bytes, file has 7");

    /* Cut inside the dimension sizes. */
    write_bytes(p, b, 9);
    expect_fail(p, "truncated", NULL);
}
END_TEST

START_TEST(test_truncated_gz)
{
    /* A complete gzip stream of a short IDX file. */
    const char *p = tpath(0, "t.idx.gz");
    const unsigned char b[] = {0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3};
    write_gz_bytes(p, b, sizeof b);
    expect_fail(p, "truncated", "= 10 data bytes, file has 3");

    /* A valid gzip file of a valid IDX file, cut in half. */
    const char *q = tpath(1, "cut.idx.gz");
    int dims[1] = {50000};
    uint8_t *data = malloc(50000);
    fill_noise(data, 50000, 3);
    err_t err;
    ck_assert_msg(idx_write(q, 1, dims, data, 1, &err) == 0, "%s", err.msg);
    free(data);
    size_t n;
    unsigned char *raw = tu_read_file(q, &n);
    write_bytes(q, raw, n / 2);
    expect_fail(q, "truncated", NULL);

    /* Cut inside the 8-byte gzip trailer: every data byte is there, but the
     * stream's CRC cannot be checked. */
    write_bytes(q, raw, n - 3);
    expect_fail(q, "truncated", NULL);
    free(raw);
}
END_TEST

/* The data buffer grows while data arrives (from 1 MiB, doubling): arrays
 * ending just below, at and just past a growth step read back intact. */
START_TEST(test_round_trip_growth)
{
    const int sizes[] = {(1 << 20) - 1, 1 << 20, (1 << 20) + 1, (5 << 20) / 2};
    uint8_t *data = malloc((size_t)sizes[3]);
    ck_assert_ptr_nonnull(data);
    fill_noise(data, (size_t)sizes[3], 11);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int gz = 0; gz <= (i == 3); gz++) {
            const char *p = tpath(0, gz ? "g.idx.gz" : "g.idx");
            err_t err;
            idx_array a;
            ck_assert_msg(idx_write(p, 1, &sizes[i], data, gz, &err) == 0, "%s", err.msg);
            ck_assert_msg(idx_read(p, &a, &err) == 0, "%s", err.msg);
            ck_assert_int_eq(a.count, sizes[i]);
            ck_assert_int_eq(memcmp(a.data, data, (size_t)sizes[i]), 0);
            idx_array_free(&a);
        }
    }
    free(data);
}
END_TEST

/* Cut exactly where the buffer would grow: still "truncated", with the
 * right count. */
START_TEST(test_truncated_at_growth_step)
{
    const char *p = tpath(0, "step.idx");
    int dims[1] = {4 << 20};
    uint8_t *data = calloc((size_t)dims[0], 1);
    ck_assert_ptr_nonnull(data);
    err_t err;
    ck_assert_msg(idx_write(p, 1, dims, data, 0, &err) == 0, "%s", err.msg);
    free(data);
    ck_assert_int_eq(truncate(p, 8 + (2 << 20)), 0);
    expect_fail(p, "truncated", "= 4194304 data bytes, file has 2097152");
}
END_TEST

/* Bytes of address space in use now, from /proc; -1 if unknown. */
static long long vm_size(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long pages = -1;
    if (f) {
        if (fscanf(f, "%lld", &pages) != 1)
            pages = -1;
        fclose(f);
    }
    return pages < 0 ? -1 : pages * sysconf(_SC_PAGESIZE);
}

/* A 26-byte file whose header claims 40000x40000 = 1.6 GB must fail as
 * truncated (ERR_INPUT) having allocated about what it holds. Reading used
 * to allocate the claim first, which on a small machine failed as "out of
 * memory" (ERR_RUNTIME) instead. An address-space limit 512 MB above what
 * is in use makes such an allocation fail here too (it is lifted again
 * before any check can fail). Raw and gzipped. */
START_TEST(test_truncated_huge_claim)
{
    const unsigned char b[] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0x9c, 0x40, 0, 0, 0x9c, 0x40,
                               1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    const char *paths[2] = {tpath(0, "huge.idx"), tpath(1, "huge.idx.gz")};
    write_bytes(paths[0], b, sizeof b);
    write_gz_bytes(paths[1], b, sizeof b);
    for (int i = 0; i < 2; i++) {
        struct rlimit old, lim;
        ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
        long long vm = vm_size();
        int limited = 0;
        if (vm > 0) {
            lim = old;
            rlim_t cap = (rlim_t)vm + ((rlim_t)512 << 20);
            if (old.rlim_cur == RLIM_INFINITY || cap < old.rlim_cur)
                lim.rlim_cur = cap;
            limited = setrlimit(RLIMIT_AS, &lim) == 0;
        }
        idx_array a;
        err_t err;
        err_clear(&err);
        int rc = idx_read(paths[i], &a, &err);
        if (limited)
            ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(err.code == ERR_INPUT, "code %d: %s", err.code, err.msg);
        ck_assert_msg(strstr(err.msg, "truncated"), "%s", err.msg);
        ck_assert_msg(strstr(err.msg, "1x40000x40000 = 1600000000 data bytes, file has 10"), "%s",
                      err.msg);
        ck_assert_ptr_null(a.data);
    }
}
END_TEST

START_TEST(test_trailing)
{
    const char *p = tpath(0, "tr.idx");
    const unsigned char b[] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3, 4, 5};
    write_bytes(p, b, sizeof b);
    expect_fail(p, "trailing bytes", "file has 5 (2 extra)");

    const char *q = tpath(1, "tr.idx.gz");
    write_gz_bytes(q, b, sizeof b);
    expect_fail(q, "trailing", NULL);
}
END_TEST

START_TEST(test_corrupt_gz)
{
    /* Noise is stored verbatim by deflate, so flipping bytes in the middle
     * leaves every length intact and only the CRC catches it. */
    const char *p = tpath(0, "c.idx.gz");
    int dims[2] = {100, 100};
    uint8_t data[10000];
    fill_noise(data, sizeof data, 11);
    err_t err;
    ck_assert_msg(idx_write(p, 2, dims, data, 1, &err) == 0, "%s", err.msg);
    size_t n;
    unsigned char *raw = tu_read_file(p, &n);
    for (size_t i = n / 2; i < n / 2 + 4; i++)
        raw[i] ^= 0xA5;
    write_bytes(p, raw, n);
    free(raw);
    expect_fail(p, "corrupt", NULL);

    /* Compressible data: a flipped byte breaks the Huffman-coded stream
     * somehow; whatever zlib says, the read must fail and name the file. */
    const char *q = tpath(1, "c2.idx.gz");
    for (int i = 0; i < 10000; i++)
        data[i] = (uint8_t)(i % 17);
    ck_assert_msg(idx_write(q, 2, dims, data, 1, &err) == 0, "%s", err.msg);
    raw = tu_read_file(q, &n);
    for (size_t i = n / 2; i < n / 2 + 4; i++)
        raw[i] ^= 0xFF;
    write_bytes(q, raw, n);
    free(raw);
    expect_fail(q, NULL, NULL);
}
END_TEST

START_TEST(test_missing_file)
{
    const char *p = tpath(0, "nope.idx");
    expect_fail(p, "cannot open", "No such file");

    dataset d;
    err_t err;
    ck_assert_int_eq(idx_load_dataset(p, p, 0, &d, &err), -1);
    ck_assert_ptr_null(d.images);
    ck_assert_ptr_nonnull(strstr(err.msg, p));
}
END_TEST

START_TEST(test_count_mismatch)
{
    const char *ip = tpath(0, "img"), *lp = tpath(1, "lbl");
    write_set(ip, lp, 5, 2, 2, 0);
    int ldims[1] = {4};
    uint8_t lb[4] = {0};
    err_t err;
    ck_assert_int_eq(idx_write(lp, 1, ldims, lb, 0, &err), 0);
    dataset d;
    ck_assert_int_eq(idx_load_dataset(ip, lp, 0, &d, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_ptr_null(d.images);
    ck_assert_msg(strstr(err.msg, ip) && strstr(err.msg, lp), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "5 images") && strstr(err.msg, "4 labels"), "%s", err.msg);
}
END_TEST

START_TEST(test_images_1dim)
{
    const char *ip = tpath(0, "img"), *lp = tpath(1, "lbl");
    int dims[1] = {4};
    uint8_t b[4] = {0};
    err_t err;
    ck_assert_int_eq(idx_write(ip, 1, dims, b, 0, &err), 0);
    ck_assert_int_eq(idx_write(lp, 1, dims, b, 0, &err), 0);
    dataset d;
    ck_assert_int_eq(idx_load_dataset(ip, lp, 0, &d, &err), -1);
    ck_assert_msg(strstr(err.msg, ip) && strstr(err.msg, "3 dimensions"), "%s", err.msg);

    /* And labels with 3 dims (images passed twice). */
    write_set(ip, lp, 2, 2, 2, 0);
    ck_assert_int_eq(idx_load_dataset(ip, ip, 0, &d, &err), -1);
    ck_assert_msg(strstr(err.msg, "label file must have 1 dimension"), "%s", err.msg);
}
END_TEST

START_TEST(test_write_errors)
{
    const char *p = tpath(0, "no/such/dir/x.idx");
    int dims[1] = {3};
    uint8_t b[3] = {1, 2, 3};
    err_t err;
    ck_assert_int_eq(idx_write(p, 1, dims, b, 0, &err), -1);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "cannot create"), "%s", err.msg);
    ck_assert_int_eq(idx_write(p, 1, dims, b, 1, &err), -1);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "cannot create"), "%s", err.msg);

    int bad[1] = {0};
    ck_assert_int_eq(idx_write(tpath(1, "y.idx"), 1, bad, b, 0, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
}
END_TEST

TU_MAIN_TMPDIR("idx", test_round_trip_raw, test_round_trip_gz, test_dataset_good,
        test_dataset_max_n, test_bad_magic, test_wrong_type,
        test_zero_dim, test_dims_count, test_too_large,
        test_truncated_raw, test_truncated_gz, test_round_trip_growth,
        test_truncated_at_growth_step, test_truncated_huge_claim, test_trailing,
        test_corrupt_gz, test_missing_file, test_count_mismatch,
        test_images_1dim, test_write_errors)
