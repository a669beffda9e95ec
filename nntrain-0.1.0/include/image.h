/* image: an RGB raster to draw pictures on, a tiny bitmap font, and PNG
 * files (libpng).
 *
 * Pixels are 8-bit RGB, row-major from the top-left corner: pixel (x, y) is
 * px[3 * (y * w + x) + 0..2]. Drawing clips to the image, so callers may draw
 * partly outside it.
 *
 * The font is 3x5 pixels per glyph (digits, A-Z, a little punctuation;
 * lower case draws as upper case, anything else as a blank), drawn at an
 * integer scale with one column of spacing: a string of n glyphs is
 * img_text_width(n, scale) = (4n - 1) * scale pixels wide and 5 * scale high. */
#ifndef NNTRAIN_IMAGE_H
#define NNTRAIN_IMAGE_H

#include <stdint.h>
#include "err.h"

#define IMG_MAX_PIXELS (1LL << 27) /* 134M pixels, ~400 MB: a sane upper bound */
#define IMG_GLYPH_W 3
#define IMG_GLYPH_H 5

typedef struct {
    uint8_t r, g, b;
} img_rgb;

typedef struct {
    int w, h;
    uint8_t *px; /* w * h * 3 bytes */
} img_t;

/* Allocates a w x h image filled with bg. Fails (ERR_INPUT) on sizes < 1 or
 * beyond IMG_MAX_PIXELS, ERR_RUNTIME when out of memory. */
int img_create(img_t *im, int w, int h, img_rgb bg, err_t *err);
void img_free(img_t *im);

void img_set(img_t *im, int x, int y, img_rgb c);
img_rgb img_get(const img_t *im, int x, int y); /* outside: black */
void img_fill_rect(img_t *im, int x, int y, int w, int h, img_rgb c);

/* a + (b - a) * t for t in 0..1 (clamped), per channel. */
img_rgb img_mix(img_rgb a, img_rgb b, double t);

/* Draws s with its top-left corner at (x, y); returns the x after it. */
int img_text(img_t *im, int x, int y, const char *s, int scale, img_rgb c);
int img_text_width(int n_chars, int scale);

/* Writes an 8-bit RGB PNG, atomically (fsx_write_atomic). Errors name the
 * file (ERR_RUNTIME). */
int img_write_png(const char *path, const img_t *im, err_t *err);

/* Reads any PNG, converted to 8-bit RGB (alpha dropped). ERR_INPUT for a
 * file that is missing or not a readable PNG. */
int img_read_png(const char *path, img_t *im, err_t *err);

#endif
