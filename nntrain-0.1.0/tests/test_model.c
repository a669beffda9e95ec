/* Tests for model: the exact byte layout, bitwise-exact round trips, every
 * rejected file, and atomic saving (temp files cleaned up, the old file
 * surviving a failed save). Files live in a mkdtemp dir. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "model.h"
#include "rng.h"
#include "testutil.h"

static char pathbuf[2][512];

static const char *tpath(int slot, const char *name)
{
    snprintf(pathbuf[slot], sizeof pathbuf[slot], "%s/%s", tmpdir, name);
    return pathbuf[slot];
}

static void write_all(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Recomputes the trailing crc after a test patched the header, so that the
 * check under test is reached rather than the checksum. */
static void fix_crc(unsigned char *b, size_t n)
{
    wr32(b + n - 4, (uint32_t)crc32(0L, b, (uInt)(n - 4)));
}

/* Offset of params in a file with L layers. */
static size_t params_off(int L)
{
    return 8 + 4 + 4 + 4 * (size_t)(L + 1) + 4 * (size_t)L + 4 + 8;
}

/* A net with random params and a few awkward bit patterns. */
static void make_net(net_t *net, int L, const int *sizes, const net_act *act, net_cost cost)
{
    err_t err;
    ck_assert_msg(net_create(net, L, sizes, act, cost, &err) == 0, "%s", err.msg);
    rng_t r;
    rng_seed(&r, 1234);
    net_init_params(net, INIT_HE, &r);
    const uint32_t odd[] = {0x80000000u /* -0 */, 0x00000001u /* denormal */,
                            0x7fc00123u /* NaN with payload */, 0xff800000u /* -inf */};
    for (size_t i = 0; i < 4 && i < net->n_params; i++)
        memcpy(&net->params[i], &odd[i], 4);
}

/* Loads path expecting failure, with the file name and word in the message
 * and nothing left allocated. */
static void expect_fail(const char *path, const char *word)
{
    net_t net;
    err_t err;
    err_clear(&err);
    ck_assert_int_eq(model_load(path, &net, &err), -1);
    ck_assert_int_ne(err.code, ERR_OK);
    ck_assert_ptr_null(net.params);
    ck_assert_msg(strstr(err.msg, path), "message does not name the file: %s", err.msg);
    ck_assert_msg(strstr(err.msg, word), "missing '%s' in: %s", word, err.msg);
}

static void round_trip(int L, const int *sizes, const net_act *act, net_cost cost)
{
    net_t a, b;
    make_net(&a, L, sizes, act, cost);
    const char *p = tpath(0, "m.bin");
    err_t err;
    ck_assert_msg(model_save(p, &a, &err) == 0, "%s", err.msg);
    ck_assert_msg(model_load(p, &b, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(b.n_layers, L);
    for (int i = 0; i <= L; i++)
        ck_assert_int_eq(b.sizes[i], sizes[i]);
    for (int l = 0; l < L; l++)
        ck_assert_int_eq(b.act[l], act[l]);
    ck_assert_int_eq(b.cost, cost);
    ck_assert_uint_eq(b.n_params, a.n_params);
    ck_assert(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0);

    size_t n;
    unsigned char *raw = tu_read_file(p, &n);
    ck_assert_uint_eq(n, params_off(L) + 4 * a.n_params + 4);
    free(raw);
    net_free(&a);
    net_free(&b);
}

START_TEST(test_round_trip)
{
    int s1[] = {784, 30, 10};
    net_act a1[] = {ACT_SIGMOID, ACT_SIGMOID};
    round_trip(2, s1, a1, COST_QUADRATIC);

    int s2[] = {3, 5, 4, 2};
    net_act a2[] = {ACT_RELU, ACT_TANH, ACT_SOFTMAX};
    round_trip(3, s2, a2, COST_CROSS_ENTROPY);

    int s3[] = {4, 1};
    net_act a3[] = {ACT_LINEAR};
    round_trip(1, s3, a3, COST_QUADRATIC);

    int s4[NET_MAX_LAYERS + 1];
    net_act a4[NET_MAX_LAYERS];
    for (int i = 0; i <= NET_MAX_LAYERS; i++)
        s4[i] = 2 + i % 3;
    for (int l = 0; l < NET_MAX_LAYERS; l++)
        a4[l] = ACT_LEAKY_RELU;
    round_trip(NET_MAX_LAYERS, s4, a4, COST_QUADRATIC);
}
END_TEST

/* The layout in model.h, byte for byte: this is what keeps files portable. */
START_TEST(test_exact_layout)
{
    int sizes[] = {1, 1};
    net_act act[] = {ACT_LINEAR};
    net_t net;
    err_t err;
    ck_assert_int_eq(net_create(&net, 1, sizes, act, COST_QUADRATIC, &err), 0);
    net.params[0] = 1.0f;  /* 0x3f800000 */
    net.params[1] = -2.0f; /* 0xc0000000 */
    const char *p = tpath(0, "tiny.bin");
    ck_assert_msg(model_save(p, &net, &err) == 0, "%s", err.msg);
    net_free(&net);

    const unsigned char want[] = {
        'N', 'N', 'T', 'R', 'M', 'O', 'D', 'L',
        1, 0, 0, 0,                         /* version */
        1, 0, 0, 0,                         /* n_layers */
        1, 0, 0, 0, 1, 0, 0, 0,             /* sizes */
        (unsigned char)ACT_LINEAR, 0, 0, 0, /* act */
        (unsigned char)COST_QUADRATIC, 0, 0, 0,
        2, 0, 0, 0, 0, 0, 0, 0,             /* n_params */
        0x00, 0x00, 0x80, 0x3f,             /* 1.0f */
        0x00, 0x00, 0x00, 0xc0,             /* -2.0f */
    };
    size_t n;
    unsigned char *raw = tu_read_file(p, &n);
    ck_assert_uint_eq(n, sizeof want + 4);
    ck_assert_mem_eq(raw, want, sizeof want);
    ck_assert_uint_eq(rd32(raw + sizeof want), (uint32_t)crc32(0L, want, sizeof want));
    free(raw);
}
END_TEST

/* A saved 3-5-2 model's bytes, for the corruption tests. */
static unsigned char *saved_model(const char *p, size_t *n, net_t *keep)
{
    int sizes[] = {3, 5, 2};
    net_act act[] = {ACT_TANH, ACT_SIGMOID};
    net_t net;
    make_net(&net, 2, sizes, act, COST_CROSS_ENTROPY);
    err_t err;
    ck_assert_msg(model_save(p, &net, &err) == 0, "%s", err.msg);
    if (keep)
        *keep = net;
    else
        net_free(&net);
    return tu_read_file(p, n);
}

START_TEST(test_flipped_byte)
{
    const char *p = tpath(0, "m.bin");
    size_t n;
    unsigned char *raw = saved_model(p, &n, NULL);
    /* Every byte of the params, and the stored crc itself. */
    for (size_t i = params_off(2); i < n; i++) {
        raw[i] ^= 0x10;
        write_all(p, raw, n);
        expect_fail(p, "checksum mismatch (file is corrupt)");
        raw[i] ^= 0x10;
    }
    /* Undone, it loads again. */
    write_all(p, raw, n);
    net_t net;
    err_t err;
    ck_assert_msg(model_load(p, &net, &err) == 0, "%s", err.msg);
    net_free(&net);
    free(raw);
}
END_TEST

START_TEST(test_truncated)
{
    const char *p = tpath(0, "m.bin");
    size_t n;
    unsigned char *raw = saved_model(p, &n, NULL);
    const size_t cuts[] = {0, 5, 8, 14, 30, params_off(2), params_off(2) + 7, n - 4, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_all(p, raw, cuts[i]);
        expect_fail(p, "truncated");
    }
    write_all(p, raw, n - 1);
    expect_fail(p, "header says 32 params = 180 bytes, file has 179");

    /* One byte too many. */
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, raw, n);
    longer[n] = 0;
    write_all(p, longer, n + 1);
    expect_fail(p, "trailing bytes");
    free(longer);
    free(raw);
}
END_TEST

START_TEST(test_bad_magic_and_version)
{
    const char *p = tpath(0, "m.bin");
    size_t n;
    unsigned char *raw = saved_model(p, &n, NULL);

    raw[3] = 'X';
    write_all(p, raw, n);
    expect_fail(p, "not an nntrain model (bad magic)");
    write_all(p, "GIF89a", 6);
    expect_fail(p, "bad magic");
    raw[3] = 'R';

    wr32(raw + 8, 7);
    fix_crc(raw, n);
    write_all(p, raw, n);
    expect_fail(p, "model format version 7 is newer than this nntrain reads (2)");
    wr32(raw + 8, 0);
    fix_crc(raw, n);
    write_all(p, raw, n);
    expect_fail(p, "version 0");
    free(raw);
}
END_TEST

START_TEST(test_bad_fields)
{
    const char *p = tpath(0, "m.bin");
    size_t n;
    unsigned char *raw = saved_model(p, &n, NULL);
    unsigned char *b = malloc(n);

    /* n_layers 0 and huge: rejected before anything is allocated. */
    const uint32_t layers[] = {0, NET_MAX_LAYERS + 1, 0xffffffffu};
    for (int i = 0; i < 3; i++) {
        memcpy(b, raw, n);
        wr32(b + 12, layers[i]);
        fix_crc(b, n);
        write_all(p, b, n);
        expect_fail(p, "layers; expected 1 to 16");
    }

    /* Sizes 0 and beyond NET_MAX_UNITS (16 + 4*i is sizes[i]). */
    const uint32_t sizes[] = {0, NET_MAX_UNITS + 1, 0xffffffffu};
    for (int i = 0; i < 3; i++) {
        memcpy(b, raw, n);
        wr32(b + 16 + 4, sizes[i]);
        fix_crc(b, n);
        write_all(p, b, n);
        expect_fail(p, "layer size 1 is");
    }

    /* A huge but legal size: n_params no longer matches. */
    memcpy(b, raw, n);
    wr32(b + 16 + 4, NET_MAX_UNITS);
    fix_crc(b, n);
    write_all(p, b, n);
    expect_fail(p, "n_params");

    /* act (after 3 sizes) and cost out of range. */
    memcpy(b, raw, n);
    wr32(b + 16 + 12, ACT_COUNT);
    fix_crc(b, n);
    write_all(p, b, n);
    expect_fail(p, "unknown activation");
    memcpy(b, raw, n);
    wr32(b + 16 + 12 + 8, COST_COUNT);
    fix_crc(b, n);
    write_all(p, b, n);
    expect_fail(p, "unknown cost");

    /* n_params disagreeing with the sizes. */
    memcpy(b, raw, n);
    wr32(b + 16 + 12 + 8 + 4, 31);
    fix_crc(b, n);
    write_all(p, b, n);
    expect_fail(p, "n_params is 31 but layer sizes 3-5-2 need 32");

    /* Each field in range, the combination not: net_create's message,
     * with the file name. */
    memcpy(b, raw, n);
    wr32(b + 16 + 12, ACT_SOFTMAX);
    fix_crc(b, n);
    write_all(p, b, n);
    expect_fail(p, "softmax");

    /* A header field changed without fixing the crc. */
    memcpy(b, raw, n);
    wr32(b + 16 + 12, ACT_RELU);
    write_all(p, b, n);
    expect_fail(p, "checksum mismatch");

    free(b);
    free(raw);
}
END_TEST

START_TEST(test_missing_and_not_regular)
{
    expect_fail(tpath(0, "none.bin"), "cannot open");
    expect_fail(tmpdir, "not a regular file");
}
END_TEST

/* Names in tmpdir containing ".tmp." (left-over temporary files). */
static int count_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp."))
            k++;
    closedir(d);
    return k;
}

START_TEST(test_save_failures)
{
    net_t net;
    int sizes[] = {4, 3};
    net_act act[] = {ACT_SIGMOID};
    make_net(&net, 1, sizes, act, COST_QUADRATIC);
    err_t err;

    const char *p = tpath(0, "missing/m.bin");
    ck_assert_int_eq(model_save(p, &net, &err), -1);
    ck_assert_int_ne(err.code, ERR_OK);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "No such file or directory"),
                  "%s", err.msg);
    ck_assert_int_eq(count_temp_files(tmpdir), 0);

    /* The temp file is written, then rename fails (a directory is in the
     * way): it must be removed. */
    p = tpath(0, "adir");
    ck_assert_int_eq(mkdir(p, 0700), 0);
    ck_assert_int_eq(model_save(p, &net, &err), -1);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "rename"), "%s", err.msg);
    ck_assert_int_eq(count_temp_files(tmpdir), 0);

    /* A read-only directory (meaningless as root, who may write anyway). */
    if (geteuid() != 0) {
        const char *ro = tpath(1, "ro");
        ck_assert_int_eq(mkdir(ro, 0500), 0);
        p = tpath(0, "ro/m.bin");
        ck_assert_int_eq(model_save(p, &net, &err), -1);
        ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "Permission denied"), "%s", err.msg);
    }
    net_free(&net);
}
END_TEST

/* A save that fails while writing must leave the previous file untouched.
 * RLIMIT_FSIZE makes writes past 4 KB fail with EFBIG (SIGXFSZ ignored). */
START_TEST(test_old_file_survives)
{
    const char *p = tpath(0, "m.bin");
    size_t n0;
    unsigned char *before = saved_model(p, &n0, NULL);

    int sizes[] = {784, 30, 10};
    net_act act[] = {ACT_SIGMOID, ACT_SIGMOID};
    net_t big;
    make_net(&big, 2, sizes, act, COST_QUADRATIC);

    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    err_t err;
    int rc = model_save(p, &big, &err);
    /* Restore before any assertion: Check itself writes files. */
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_sig);
    net_free(&big);

    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(err.code, ERR_RUNTIME);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "File too large"), "%s", err.msg);
    ck_assert_int_eq(count_temp_files(tmpdir), 0);

    size_t n1;
    unsigned char *after = tu_read_file(p, &n1);
    ck_assert_uint_eq(n1, n0);
    ck_assert_mem_eq(after, before, n0);
    free(after);
    free(before);
    net_t ok;
    ck_assert_msg(model_load(p, &ok, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(ok.sizes[1], 5);
    net_free(&ok);
}
END_TEST

/* Saving over an existing model replaces it. */
START_TEST(test_overwrite)
{
    const char *p = tpath(0, "m.bin");
    size_t n;
    free(saved_model(p, &n, NULL));
    int sizes[] = {2, 2};
    net_act act[] = {ACT_RELU};
    net_t a, b;
    make_net(&a, 1, sizes, act, COST_QUADRATIC);
    err_t err;
    ck_assert_msg(model_save(p, &a, &err) == 0, "%s", err.msg);
    ck_assert_msg(model_load(p, &b, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(b.n_layers, 1);
    ck_assert(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0);
    ck_assert_int_eq(count_temp_files(tmpdir), 0);
    net_free(&a);
    net_free(&b);
}
END_TEST

/* Version 2: a data section after the parameters round-trips byte for
 * byte, is covered by the checksum and the length checks, and a model
 * without one is still written as version 1. */
START_TEST(test_data_section)
{
    const int sizes[] = {3, 4, 2};
    const net_act act[] = {ACT_TANH, ACT_SOFTMAX};
    net_t a, b;
    make_net(&a, 2, sizes, act, COST_CROSS_ENTROPY);
    const char *p = tpath(0, "x.bin");
    const uint8_t extra[] = "a table model's preprocessing";
    err_t err;
    ck_assert_msg(model_save_with(p, &a, extra, sizeof extra, &err) == 0, "%s", err.msg);
    uint8_t *got;
    size_t got_len;
    ck_assert_msg(model_load_with(p, &b, &got, &got_len, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(got_len, sizeof extra);
    ck_assert_mem_eq(got, extra, sizeof extra);
    ck_assert_mem_eq(b.params, a.params, a.n_params * sizeof(float));
    free(got);
    net_free(&b);
    /* model_load takes it too, leaving the section. */
    ck_assert_msg(model_load(p, &b, &err) == 0, "%s", err.msg);
    net_free(&b);
    size_t n;
    unsigned char *raw = (unsigned char *)tu_read_file(p, &n);
    ck_assert_int_eq(raw[8], 2); /* version */
    ck_assert_uint_eq(n, (size_t)model_file_size(&a) + 4 + sizeof extra);
    size_t section = (size_t)model_file_size(&a) - 4; /* where its length starts */
    for (size_t i = section; i < n; i++) {
        raw[i] ^= 0x01;
        write_all(p, raw, n);
        net_t c;
        ck_assert_int_eq(model_load_with(p, &c, &got, &got_len, &err), -1);
        ck_assert_ptr_null(got);
        ck_assert_ptr_null(c.params);
        raw[i] ^= 0x01;
    }
    for (size_t cut = section; cut < n; cut += 5) {
        write_all(p, raw, cut);
        expect_fail(p, "truncated");
    }
    free(raw);
    /* Without a section: version 1, the bytes model_save writes. */
    ck_assert_msg(model_save_with(p, &a, NULL, 0, &err) == 0, "%s", err.msg);
    raw = (unsigned char *)tu_read_file(p, &n);
    ck_assert_int_eq(raw[8], 1);
    ck_assert_uint_eq(n, (size_t)model_file_size(&a));
    free(raw);
    net_free(&a);
}
END_TEST

TU_MAIN_TMPDIR("model", test_round_trip, test_exact_layout, test_flipped_byte,
        test_truncated, test_bad_magic_and_version, test_bad_fields,
        test_missing_and_not_regular, test_save_failures, test_old_file_survives,
        test_overwrite, test_data_section)
