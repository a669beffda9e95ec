/* image: see include/image.h. */
#include "image.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"

int img_create(img_t *im, int w, int h, img_rgb bg, err_t *err)
{
    im->w = im->h = 0;
    im->px = NULL;
    if (w < 1 || h < 1 || (long long)w * h > IMG_MAX_PIXELS)
        return err_set(err, ERR_INPUT, "a %dx%d picture is too large (at most %lld pixels)", w, h,
                       IMG_MAX_PIXELS);
    size_t n = (size_t)w * h;
    im->px = malloc(n * 3);
    if (!im->px)
        return err_set(err, ERR_RUNTIME, "out of memory for a %dx%d picture", w, h);
    im->w = w;
    im->h = h;
    for (size_t i = 0; i < n; i++) {
        im->px[3 * i + 0] = bg.r;
        im->px[3 * i + 1] = bg.g;
        im->px[3 * i + 2] = bg.b;
    }
    return 0;
}

void img_free(img_t *im)
{
    free(im->px);
    im->px = NULL;
    im->w = im->h = 0;
}

void img_set(img_t *im, int x, int y, img_rgb c)
{
    if (x < 0 || y < 0 || x >= im->w || y >= im->h)
        return;
    uint8_t *p = im->px + 3 * ((size_t)y * im->w + x);
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
}

img_rgb img_get(const img_t *im, int x, int y)
{
    img_rgb c = {0, 0, 0};
    if (x < 0 || y < 0 || x >= im->w || y >= im->h)
        return c;
    const uint8_t *p = im->px + 3 * ((size_t)y * im->w + x);
    c.r = p[0];
    c.g = p[1];
    c.b = p[2];
    return c;
}

void img_fill_rect(img_t *im, int x, int y, int w, int h, img_rgb c)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > im->w ? im->w : x + w, y1 = y + h > im->h ? im->h : y + h;
    for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++)
            img_set(im, xx, yy, c);
}

img_rgb img_mix(img_rgb a, img_rgb b, double t)
{
    if (!(t > 0)) /* also NaN */
        t = 0;
    if (t > 1)
        t = 1;
    img_rgb c = {(uint8_t)(a.r + (b.r - a.r) * t + 0.5), (uint8_t)(a.g + (b.g - a.g) * t + 0.5),
                 (uint8_t)(a.b + (b.b - a.b) * t + 0.5)};
    return c;
}

/* ---- font ---------------------------------------------------------------- */

/* Each glyph is 5 rows of 3 bits, the high bit the left column. */
typedef struct {
    char ch;
    uint8_t row[IMG_GLYPH_H];
} glyph;

static const glyph font[] = {
    {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}},
    {'3', {7, 1, 7, 1, 7}}, {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}},
    {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 2, 2}}, {'8', {7, 5, 7, 5, 7}},
    {'9', {7, 5, 7, 1, 7}},
    {'A', {2, 5, 7, 5, 5}}, {'B', {6, 5, 6, 5, 6}}, {'C', {3, 4, 4, 4, 3}},
    {'D', {6, 5, 5, 5, 6}}, {'E', {7, 4, 6, 4, 7}}, {'F', {7, 4, 6, 4, 4}},
    {'G', {3, 4, 5, 5, 3}}, {'H', {5, 5, 7, 5, 5}}, {'I', {7, 2, 2, 2, 7}},
    {'J', {1, 1, 1, 5, 2}}, {'K', {5, 5, 6, 5, 5}}, {'L', {4, 4, 4, 4, 7}},
    {'M', {5, 7, 7, 5, 5}}, {'N', {6, 5, 5, 5, 5}}, {'O', {2, 5, 5, 5, 2}},
    {'P', {6, 5, 6, 4, 4}}, {'Q', {2, 5, 5, 6, 3}}, {'R', {6, 5, 6, 5, 5}},
    {'S', {3, 4, 2, 1, 6}}, {'T', {7, 2, 2, 2, 2}}, {'U', {5, 5, 5, 5, 7}},
    {'V', {5, 5, 5, 5, 2}}, {'W', {5, 5, 7, 7, 5}}, {'X', {5, 5, 2, 5, 5}},
    {'Y', {5, 5, 2, 2, 2}}, {'Z', {7, 1, 2, 4, 7}},
    {'.', {0, 0, 0, 0, 2}}, {',', {0, 0, 0, 2, 4}}, {':', {0, 2, 0, 2, 0}},
    {'-', {0, 0, 7, 0, 0}}, {'+', {0, 2, 7, 2, 0}}, {'=', {0, 7, 0, 7, 0}},
    {'/', {1, 1, 2, 4, 4}}, {'%', {5, 1, 2, 4, 5}}, {'>', {4, 2, 1, 2, 4}},
    {'<', {1, 2, 4, 2, 1}}, {'(', {1, 2, 2, 2, 1}}, {')', {4, 2, 2, 2, 4}},
    {'_', {0, 0, 0, 0, 7}}, {'#', {5, 7, 5, 7, 5}},
};

static const glyph *find_glyph(char ch)
{
    if (ch >= 'a' && ch <= 'z')
        ch = (char)(ch - 'a' + 'A');
    for (size_t i = 0; i < sizeof font / sizeof font[0]; i++)
        if (font[i].ch == ch)
            return &font[i];
    return NULL; /* blank */
}

int img_text_width(int n_chars, int scale)
{
    return n_chars > 0 ? ((IMG_GLYPH_W + 1) * n_chars - 1) * scale : 0;
}

int img_text(img_t *im, int x, int y, const char *s, int scale, img_rgb c)
{
    for (; *s; s++, x += (IMG_GLYPH_W + 1) * scale) {
        const glyph *g = find_glyph(*s);
        if (!g)
            continue;
        for (int r = 0; r < IMG_GLYPH_H; r++)
            for (int k = 0; k < IMG_GLYPH_W; k++)
                if (g->row[r] >> (IMG_GLYPH_W - 1 - k) & 1)
                    img_fill_rect(im, x + k * scale, y + r * scale, scale, scale, c);
    }
    return x;
}

/* ---- PNG ----------------------------------------------------------------- */

/* libpng reports errors through these: the message (and errno, as the
 * failing fwrite left it) is kept for err_t and control returns to the
 * setjmp in the caller. Nothing is printed. */
typedef struct {
    char msg[256];
    int err_no;
} png_ctx;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    ctx->err_no = errno;
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

typedef struct {
    const img_t *im;
    png_bytep *rows; /* im's rows, top first */
    png_ctx *ctx;
} png_args;

/* The whole PNG file: fsx_write_atomic's callback. */
static int write_png(FILE *f, const void *user)
{
    const png_args *a = user;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, a->ctx, on_png_error,
                                              on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        snprintf(a->ctx->msg, sizeof a->ctx->msg, "out of memory");
        errno = ENOMEM;
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        errno = a->ctx->err_no;
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)a->im->w, (png_uint_32)a->im->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, a->rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int img_write_png(const char *path, const img_t *im, err_t *err)
{
    png_bytep *rows = malloc((size_t)im->h * sizeof *rows);
    if (!rows)
        return err_set(err, ERR_RUNTIME, "%s: out of memory", path);
    for (int y = 0; y < im->h; y++)
        rows[y] = im->px + (size_t)y * im->w * 3;
    png_ctx ctx = {"", 0};
    png_args a = {im, rows, &ctx};
    int rc = fsx_write_atomic(path, "PNG picture", write_png, &a, err);
    free(rows);
    if (rc != 0 && ctx.msg[0] && err) {
        /* libpng's own words, after fsx's (which name the file and step). */
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        err_set(err, err->code, "%.700s (libpng: %.200s)", m, ctx.msg);
    }
    return rc;
}

int img_read_png(const char *path, img_t *im, err_t *err)
{
    im->w = im->h = 0;
    im->px = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: %s", path, strerror(errno));
    uint8_t sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fclose(f);
        return err_set(err, ERR_INPUT, "%s: not a PNG file", path);
    }
    png_ctx ctx = {"", 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_png_error,
                                             on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return err_set(err, ERR_RUNTIME, "%s: out of memory", path);
    }
    /* Written after setjmp, read after a longjmp: volatile. */
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        free(rows);
        img_free(im);
        return err_set(err, ERR_INPUT, "%s: bad PNG: %s", path, ctx.msg);
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int type = png_get_color_type(png, info);
    png_set_expand(png); /* palette and low-bit grey to 8-bit, tRNS to alpha */
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3)
        png_error(png, "unexpected row size after conversion to RGB");
    img_rgb black = {0, 0, 0};
    err_t e2;
    if (img_create(im, (int)w, (int)h, black, &e2) != 0)
        png_error(png, e2.msg);
    rows = malloc((size_t)h * sizeof *rows);
    if (!rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = im->px + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    free(rows);
    return 0;
}
