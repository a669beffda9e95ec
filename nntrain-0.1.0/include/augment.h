/* augment: random distortions of training images, on the fly, per example
 * (Simard, Steinkraus, Platt 2003: "Best practices for convolutional neural
 * networks applied to visual document analysis").
 *
 * One call distorts one image with one combined warp. For each output pixel
 * (x, y) (x the column, y the row, both pixel indices, y downwards):
 *
 *     source = A(x, y) + (dx[y][x], dy[y][x])
 *
 * where A is the inverse of an affine map about the image centre (shear,
 * then rotation, then zoom, then translation: the map that carries the
 * source image onto the output) and (dx, dy) is Simard's elastic field:
 * every pixel's displacement drawn uniform in [-1, 1) on each axis, smoothed
 * by a normalised Gaussian of std elastic_sigma, times elastic_alpha. The
 * output pixel is the bilinear interpolation of src/255 at source, reading 0
 * outside the image.
 *
 * Reproducible: every random number is rng_mix(key, i) for a fixed counter
 * i per use (AUG_CTR_*), and all the arithmetic is IEEE +, -, *, /, floor
 * and detmath's functions, so the output's bits depend only on
 * (params, key, src) - not on the CPU, the compiler, or the thread. */
#ifndef NNTRAIN_AUGMENT_H
#define NNTRAIN_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The domain of augmentation's draws in a run: the caller keys example
 * `example` of epoch `epoch` by
 *     rng_mix(rng_mix(rng_mix(seed, AUG_DOMAIN), epoch), example)
 * ("augment" in ASCII, so no other domain of the run's seed collides). */
#define AUG_DOMAIN 0x006175676d656e74ULL

typedef struct {
    double shift;          /* pixels: translation uniform in [-shift, shift] on each axis; 0 = none */
    double rotate;         /* degrees: rotation uniform in [-rotate, rotate] */
    double scale;          /* fraction: zoom factor uniform in [1-scale, 1+scale] */
    double shear;          /* degrees: horizontal shear angle uniform in [-shear, shear] */
    double elastic_alpha;  /* pixels: elastic displacement scale; 0 = no elastic distortion */
    double elastic_sigma;  /* pixels, > 0: std dev of the Gaussian that smooths the displacement field */
} aug_params;

/* Non-zero when any distortion is on (a caller may then skip aug_image for
 * dataset_scale_pixels, which gives the same bits when all are off). */
int aug_active(const aug_params *p);

/* 0 when p is usable, else -1 with an ERR_INPUT message naming the field:
 * all finite, shift >= 0, 0 <= rotate <= 180, 0 <= scale < 1,
 * 0 <= shear < 90, elastic_alpha >= 0, and elastic_sigma > 0 when
 * elastic_alpha > 0. aug_image's output is defined (finite, in [0, 1]) for
 * any p that passes. */
int aug_params_check(const aug_params *p, err_t *err);

/* Floats of scratch one aug_image call needs for a rows x cols image: the
 * caller allocates it once per thread and reuses it. */
size_t aug_scratch_floats(int rows, int cols);

/* out[rows*cols] (floats in [0, 1], row-major) = src[rows*cols] (bytes,
 * row-major) distorted with the draws that key names; scratch holds
 * aug_scratch_floats(rows, cols) floats. Pure: the result depends only on
 * (*p, key, src). With every parameter 0 it is exactly
 * dataset_scale_pixels(src, rows*cols, out). */
void aug_image(const aug_params *p, uint64_t key, const uint8_t *src, int rows, int cols,
               float *scratch, float *out);

/* ---- the pieces of aug_image, exposed for the tests ----------------------- */

/* The counters of the draws: rng_mix(key, AUG_CTR_...). The elastic field's
 * pixel j (row-major) takes AUG_CTR_FIELD + 2j for dx and + 2j + 1 for dy.
 * Each draw has its own counter whatever p is, so turning one distortion on
 * or off leaves the others' draws as they were. */
enum {
    AUG_CTR_SHIFT_X = 0,
    AUG_CTR_SHIFT_Y = 1,
    AUG_CTR_ROTATE = 2,
    AUG_CTR_SCALE = 3,
    AUG_CTR_SHEAR = 4,
    AUG_CTR_FIELD = 8
};

/* One example's affine draws. */
typedef struct {
    double shift_x, shift_y; /* pixels, each in [-shift, shift] (+x right, +y down) */
    double rotate;           /* degrees in [-rotate, rotate]; positive turns the
                                content clockwise as displayed (y down) */
    double scale;            /* zoom factor in [1-scale, 1+scale]; > 1 enlarges */
    double shear;            /* degrees in [-shear, shear]: source (u, v) about the
                                centre goes to (u + tan(shear) * v, v) */
} aug_draw_t;

/* The affine draws key names for p (a parameter of 0 draws exactly 0, or a
 * zoom of exactly 1). */
void aug_draw(const aug_params *p, uint64_t key, aug_draw_t *out);

/* a[6], the inverse affine map of d for a rows x cols image: output pixel
 * (x, y) samples the source at
 *     (a[0]*x + a[1]*y + a[2],  a[3]*x + a[4]*y + a[5]),
 * about the centre ((cols-1)/2, (rows-1)/2). Zero draws give exactly the
 * identity {1, 0, 0, 0, 1, 0}; a pure integer shift exact integers. */
void aug_affine(const aug_draw_t *d, int rows, int cols, double a[6]);

/* Scratch floats aug_field needs beyond dx and dy. */
size_t aug_field_scratch_floats(int rows, int cols);

/* dx[rows*cols], dy[rows*cols]: the elastic displacement in pixels that key
 * names, elastic_alpha times the field smoothed with elastic_sigma (zero
 * padded at the border). scratch holds aug_field_scratch_floats(rows, cols)
 * floats. All zero when elastic_alpha is 0. */
void aug_field(const aug_params *p, uint64_t key, int rows, int cols, float *scratch, float *dx,
               float *dy);

/* out[rows*cols] = bilinear samples of src/255 (src rows x cols bytes) at
 * the source positions of a[6] (see aug_affine) plus (dx, dy) (pixels, may
 * both be NULL for none), 0 outside the image, clamped to [0, 1]. A sample
 * at an exact pixel position gives that pixel's src * (1.0f/255.0f). */
void aug_warp(const uint8_t *src, int rows, int cols, const double a[6], const float *dx,
              const float *dy, float *out);

#endif
