/* Tests for pgm: P5 and P2 reading, comments, maxval scaling, rejected
 * files, and a write -> read round trip. Files live in a mkdtemp dir. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgm.h"
#include "testutil.h"

static char pathbuf[512];

/* Writes n bytes to tmpdir/name; returns the path. */
static const char *put(const char *name, const void *buf, size_t n)
{
    snprintf(pathbuf, sizeof pathbuf, "%s/%s", tmpdir, name);
    FILE *f = fopen(pathbuf, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    return pathbuf;
}

static const char *put_str(const char *name, const char *s)
{
    return put(name, s, strlen(s));
}

/* Reads path expecting failure with the file name and word in the message. */
static void expect_fail(const char *path, const char *word)
{
    int rows = -1, cols = -1;
    uint8_t *px = (uint8_t *)1;
    err_t err;
    err_clear(&err);
    ck_assert_int_eq(pgm_read(path, &rows, &cols, &px, &err), -1);
    ck_assert_int_ne(err.code, ERR_OK);
    ck_assert_ptr_null(px);
    ck_assert_msg(strstr(err.msg, path), "message does not name the file: %s", err.msg);
    ck_assert_msg(strstr(err.msg, word), "missing '%s' in: %s", word, err.msg);
}

START_TEST(test_p5)
{
    /* 3 wide, 2 high. */
    const unsigned char b[] = "P5\n3 2\n255\n\x00\x01\x7f\x80\xfe\xff";
    const char *p = put("a.pgm", b, sizeof b - 1);
    int rows, cols;
    uint8_t *px;
    err_t err;
    ck_assert_msg(pgm_read(p, &rows, &cols, &px, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(rows, 2);
    ck_assert_int_eq(cols, 3);
    const uint8_t want[6] = {0, 1, 127, 128, 254, 255};
    ck_assert_mem_eq(px, want, 6);
    free(px);
}
END_TEST

START_TEST(test_p2_comments)
{
    const char *p = put_str("b.pgm",
                            "P2\n# made by hand\n2 # width\n# height next\n 3\n255\n"
                            "0 10\n# a comment between rows\n20\t30\n\n40   255\n");
    int rows, cols;
    uint8_t *px;
    err_t err;
    ck_assert_msg(pgm_read(p, &rows, &cols, &px, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(rows, 3);
    ck_assert_int_eq(cols, 2);
    const uint8_t want[6] = {0, 10, 20, 30, 40, 255};
    ck_assert_mem_eq(px, want, 6);
    free(px);

    /* A comment in a P5 header too. */
    const unsigned char b[] = "P5 # binary\n2 1 # one row\n255\n\x05\x06";
    p = put("c.pgm", b, sizeof b - 1);
    ck_assert_msg(pgm_read(p, &rows, &cols, &px, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(px[0], 5);
    ck_assert_int_eq(px[1], 6);
    free(px);
}
END_TEST

START_TEST(test_maxval_scaling)
{
    const char *p = put_str("s.pgm", "P2 4 1 15 0 1 8 15");
    int rows, cols;
    uint8_t *px;
    err_t err;
    ck_assert_msg(pgm_read(p, &rows, &cols, &px, &err) == 0, "%s", err.msg);
    /* v * 255 / 15 = v * 17 exactly. */
    const uint8_t want[4] = {0, 17, 136, 255};
    ck_assert_mem_eq(px, want, 4);
    free(px);

    const unsigned char b[] = "P5 2 1 15\n\x00\x0f";
    p = put("s5.pgm", b, sizeof b - 1);
    ck_assert_msg(pgm_read(p, &rows, &cols, &px, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(px[0], 0);
    ck_assert_int_eq(px[1], 255);
    free(px);

    /* Rounding: maxval 2 -> 0, 128, 255. */
    p = put_str("s2.pgm", "P2 3 1 2 0 1 2");
    ck_assert_msg(pgm_read(p, &rows, &cols, &px, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(px[1], 128);
    free(px);

    /* A sample above maxval is an error, not clipped. */
    expect_fail(put_str("hi.pgm", "P2 2 1 15 3 16"), "above maxval 15");
    const unsigned char c[] = "P5 2 1 15\n\x00\x10";
    expect_fail(put("hi5.pgm", c, sizeof c - 1), "above maxval 15");
    expect_fail(put_str("m0.pgm", "P2 1 1 0 0"), "maxval 0");
    expect_fail(put_str("m16.pgm", "P5 1 1 65535\n\x00\x00"), "16-bit");
}
END_TEST

START_TEST(test_truncated)
{
    const unsigned char b[] = "P5\n4 4\n255\n\x01\x02\x03";
    expect_fail(put("t5.pgm", b, sizeof b - 1), "truncated");
    expect_fail(put("t5.pgm", b, sizeof b - 1), "4x4 = 16 pixels, file has 3");
    expect_fail(put_str("t2.pgm", "P2\n2 2\n255\n1 2 3\n"), "truncated");
    expect_fail(put_str("th.pgm", "P5\n4 "), "truncated");
    expect_fail(put_str("th2.pgm", "P5\n4 4\n255"), "truncated");
}
END_TEST

START_TEST(test_bad_magic)
{
    expect_fail(put_str("m.pgm", "P6\n1 1\n255\nabc"), "not a greyscale PGM");
    expect_fail(put_str("m.pgm", "P6\n1 1\n255\nabc"), "colour");
    const unsigned char png[] = "\x89PNG\r\n";
    expect_fail(put("m.png", png, sizeof png - 1), "byte 0x89");
    expect_fail(put("e.pgm", "", 0), "end of file");
    expect_fail(put_str("x.pgm", "P5x 1 1 255\n\x01"), "whitespace");
}
END_TEST

START_TEST(test_bad_size)
{
    expect_fail(put_str("w0.pgm", "P2 0 1 255\n"), "width is 0");
    expect_fail(put_str("h0.pgm", "P2 1 0 255\n"), "height is 0");
    expect_fail(put_str("big.pgm", "P5 100000 1 255\n"), "expected 1 to 16384");
    expect_fail(put_str("huge.pgm", "P5 99999999999999999999 1 255\n"), "width");
    expect_fail(put_str("neg.pgm", "P2 -1 1 255\n"), "expected the width");
    expect_fail(put_str("neg.pgm", "P2 2 1 255\n1 x"), ":2: expected the pixel value");
    expect_fail(put_str("n12.pgm", "P2 2 1 255 1 2x"), "whitespace");
}
END_TEST

START_TEST(test_missing)
{
    snprintf(pathbuf, sizeof pathbuf, "%s/none.pgm", tmpdir);
    expect_fail(pathbuf, "cannot open");
}
END_TEST

START_TEST(test_round_trip)
{
    enum { R = 7, C = 5 };
    uint8_t img[R * C];
    for (int i = 0; i < R * C; i++)
        img[i] = (uint8_t)(i * 37 + 3);
    snprintf(pathbuf, sizeof pathbuf, "%s/rt.pgm", tmpdir);
    err_t err;
    ck_assert_msg(pgm_write(pathbuf, R, C, img, &err) == 0, "%s", err.msg);
    int rows, cols;
    uint8_t *px;
    ck_assert_msg(pgm_read(pathbuf, &rows, &cols, &px, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(rows, R);
    ck_assert_int_eq(cols, C);
    ck_assert_mem_eq(px, img, R * C);
    free(px);

    /* Failures: no directory, bad size. */
    snprintf(pathbuf, sizeof pathbuf, "%s/no/dir.pgm", tmpdir);
    ck_assert_int_eq(pgm_write(pathbuf, R, C, img, &err), -1);
    ck_assert_msg(strstr(err.msg, pathbuf) && strstr(err.msg, "cannot create"), "%s", err.msg);
    ck_assert_int_eq(pgm_write(pathbuf, 0, C, img, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
}
END_TEST

TU_MAIN_TMPDIR("pgm", test_p5, test_p2_comments, test_maxval_scaling,
        test_truncated, test_bad_magic, test_bad_size,
        test_missing, test_round_trip)
