/* pgm: see include/pgm.h.
 *
 * The header is "P5" or "P2", then width, height and maxval as decimal
 * numbers separated by whitespace, with "#" comments running to the end of a
 * line. P5 follows maxval with exactly one whitespace byte and then
 * width*height raw bytes; P2 follows with width*height decimal numbers. */
#include "pgm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"

/* Larger than any image worth classifying, and small enough that
 * width*height always fits an int. */
#define PGM_MAX_SIDE 16384

/* A FILE with a line counter, for "file:line:" in header errors. */
typedef struct {
    FILE *f;
    const char *path;
    int line;
} reader;

static int next(reader *r)
{
    int c = getc(r->f);
    if (c == '\n')
        r->line++;
    return c;
}

static void back(reader *r, int c)
{
    if (c == '\n')
        r->line--;
    ungetc(c, r->f);
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Describes c for a message: 'x', or a byte value when unprintable. */
static const char *show(int c, char *buf, size_t cap)
{
    if (c == EOF)
        snprintf(buf, cap, "end of file");
    else if (c > 32 && c < 127)
        snprintf(buf, cap, "'%c'", c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
    return buf;
}

/* Skips whitespace and comments; leaves the next other byte unread. */
static void skip_blank(reader *r)
{
    int c;
    while ((c = next(r)) != EOF) {
        if (c == '#') {
            while ((c = next(r)) != EOF && c != '\n')
                ;
            if (c == EOF)
                return;
        } else if (!is_space(c)) {
            back(r, c);
            return;
        }
    }
}

/* Reads a decimal number for `what`. Values above max are reported as such
 * (digits keep being consumed, so huge numbers do not overflow). */
static int read_number(reader *r, const char *what, int *out, err_t *err)
{
    char sbuf[32];
    skip_blank(r);
    if (ferror(r->f))
        return err_set(err, ERR_RUNTIME, "%s: cannot read: %s", r->path, strerror(errno));
    int c = next(r);
    if (c == EOF)
        return err_set(err, ERR_INPUT, "%s: truncated: file ends where the %s should be",
                       r->path, what);
    if (c < '0' || c > '9')
        return err_set(err, ERR_INPUT, "%s:%d: expected the %s (a number), found %s",
                       r->path, r->line, what, show(c, sbuf, sizeof sbuf));
    long long v = 0;
    for (; c >= '0' && c <= '9'; c = next(r))
        if (v <= 1000000000LL)
            v = v * 10 + (c - '0');
    if (c != EOF && !is_space(c) && c != '#')
        return err_set(err, ERR_INPUT, "%s:%d: expected whitespace after the %s, found %s",
                       r->path, r->line, what, show(c, sbuf, sizeof sbuf));
    if (c != EOF)
        back(r, c);
    *out = v > 0x7fffffffLL ? 0x7fffffff : (int)v;
    return 0;
}

static int check_side(const reader *r, const char *what, int v, err_t *err)
{
    if (v < 1 || v > PGM_MAX_SIDE)
        return err_set(err, ERR_INPUT, "%s: image %s is %d; expected 1 to %d",
                       r->path, what, v, PGM_MAX_SIDE);
    return 0;
}

/* Reads "P5"/"P2" and the three header numbers. */
static int read_header(reader *r, int *plain, int *w, int *h, int *maxval, err_t *err)
{
    int c0 = next(r), c1 = next(r);
    if (c0 != 'P' || (c1 != '5' && c1 != '2')) {
        const char *hint = "";
        if (c0 == 'P' && (c1 == '6' || c1 == '3'))
            hint = ": P6/P3 is a colour PPM image";
        else if (c0 == 'P' && (c1 == '4' || c1 == '1'))
            hint = ": P4/P1 is a bitmap PBM image";
        char b0[32], b1[32];
        return err_set(err, ERR_INPUT,
                       "%s: not a greyscale PGM file (starts with %s %s; expected P5 or P2%s)",
                       r->path, show(c0, b0, sizeof b0), show(c1, b1, sizeof b1), hint);
    }
    *plain = c1 == '2';
    int c = next(r);
    if (!is_space(c) && c != '#') {
        char b[32];
        return err_set(err, ERR_INPUT, "%s:%d: expected whitespace after P%c, found %s",
                       r->path, r->line, c1, show(c, b, sizeof b));
    }
    back(r, c);
    if (read_number(r, "width", w, err) < 0 || check_side(r, "width", *w, err) < 0 ||
        read_number(r, "height", h, err) < 0 || check_side(r, "height", *h, err) < 0 ||
        read_number(r, "maxval", maxval, err) < 0)
        return -1;
    if (*maxval < 1 || *maxval > 255)
        return err_set(err, ERR_INPUT, "%s: maxval %d %s; expected 1 to 255", r->path, *maxval,
                       *maxval > 255 && *maxval <= 65535 ? "(16-bit samples) is unsupported"
                                                         : "is invalid");
    return 0;
}

/* Brings a sample in 0..maxval to 0..255, rounding to nearest. */
static uint8_t scale(int v, int maxval)
{
    return (uint8_t)((v * 255 + maxval / 2) / maxval);
}

static int read_p5(reader *r, int w, int h, int maxval, uint8_t *px, err_t *err)
{
    /* Exactly one whitespace byte separates maxval from the data. */
    int c = next(r);
    if (c == EOF)
        return err_set(err, ERR_INPUT, "%s: truncated: header says %dx%d = %d pixels, file has 0",
                       r->path, w, h, w * h);
    if (!is_space(c)) {
        char b[32];
        return err_set(err, ERR_INPUT, "%s:%d: expected one whitespace byte after maxval, found %s",
                       r->path, r->line, show(c, b, sizeof b));
    }
    size_t n = (size_t)w * (size_t)h;
    size_t got = fread(px, 1, n, r->f);
    if (got < n) {
        if (ferror(r->f))
            return err_set(err, ERR_RUNTIME, "%s: cannot read: %s", r->path, strerror(errno));
        return err_set(err, ERR_INPUT, "%s: truncated: header says %dx%d = %zu pixels, file has %zu",
                       r->path, w, h, n, got);
    }
    for (size_t i = 0; i < n; i++) {
        if (px[i] > maxval)
            return err_set(err, ERR_INPUT, "%s: pixel %zu (row %zu, col %zu) is %d, above maxval %d",
                           r->path, i, i / (size_t)w, i % (size_t)w, px[i], maxval);
        px[i] = scale(px[i], maxval);
    }
    return 0;
}

static int read_p2(reader *r, int w, int h, int maxval, uint8_t *px, err_t *err)
{
    int n = w * h;
    for (int i = 0; i < n; i++) {
        skip_blank(r);
        int c = next(r);
        if (c == EOF) {
            if (ferror(r->f))
                return err_set(err, ERR_RUNTIME, "%s: cannot read: %s", r->path, strerror(errno));
            return err_set(err, ERR_INPUT, "%s: truncated: header says %dx%d = %d pixels, file has %d",
                           r->path, w, h, n, i);
        }
        back(r, c);
        int v;
        if (read_number(r, "pixel value", &v, err) < 0)
            return -1;
        if (v > maxval)
            return err_set(err, ERR_INPUT, "%s:%d: pixel %d (row %d, col %d) is %d, above maxval %d",
                           r->path, r->line, i, i / w, i % w, v, maxval);
        px[i] = scale(v, maxval);
    }
    return 0;
}

int pgm_read(const char *path, int *rows, int *cols, uint8_t **pixels, err_t *err)
{
    *rows = *cols = 0;
    *pixels = NULL;
    reader r = {fopen(path, "rb"), path, 1};
    if (!r.f)
        return err_set(err, ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));

    int plain = 0, w = 0, h = 0, maxval = 0;
    uint8_t *px = NULL;
    if (read_header(&r, &plain, &w, &h, &maxval, err) < 0)
        goto fail;
    px = malloc((size_t)w * (size_t)h);
    if (!px) {
        err_set(err, ERR_RUNTIME, "%s: out of memory for %dx%d pixels", path, w, h);
        goto fail;
    }
    if ((plain ? read_p2(&r, w, h, maxval, px, err) : read_p5(&r, w, h, maxval, px, err)) < 0)
        goto fail;
    /* Anything after the pixels is ignored: the format allows several
     * images in one file, and we want the first. */
    fclose(r.f);
    *rows = h;
    *cols = w;
    *pixels = px;
    return 0;

fail:
    free(px);
    fclose(r.f);
    return -1;
}

typedef struct {
    int rows, cols;
    const uint8_t *pixels;
} pgm_image;

static int write_pgm(FILE *f, const void *user)
{
    const pgm_image *im = user;
    size_t n = (size_t)im->rows * (size_t)im->cols;
    return fprintf(f, "P5\n%d %d\n255\n", im->cols, im->rows) > 0 &&
                   fwrite(im->pixels, 1, n, f) == n
               ? 0
               : -1;
}

int pgm_write(const char *path, int rows, int cols, const uint8_t *pixels, err_t *err)
{
    if (rows < 1 || rows > PGM_MAX_SIDE || cols < 1 || cols > PGM_MAX_SIDE)
        return err_set(err, ERR_INPUT, "%s: cannot write a %dx%d image; sides must be 1 to %d",
                       path, cols, rows, PGM_MAX_SIDE);
    pgm_image im = {rows, cols, pixels};
    return fsx_write_atomic(path, "PGM image", write_pgm, &im, err);
}
