/* augment: per-example affine and elastic distortions. See include/augment.h.
 *
 * aug_image = aug_draw (five numbers) -> aug_affine (the inverse map, a[6])
 *           + aug_field (the elastic displacement dx, dy, rows x cols each)
 *           -> aug_warp (bilinear resampling of src/255).
 *
 * Same bits everywhere: only IEEE double and float +, -, *, / (each
 * correctly rounded), floor, comparisons, integer work, and detmath's
 * dm_exp, dm_cos and dm_sin; no libm transcendental, and -ffp-contract=off
 * (Makefile.am; the pragma for clang) keeps a*b+c two roundings. The loops
 * the compiler may vectorise (the smoothing) run across independent
 * elements, each element's sum taken in the written order, so a vector and
 * a scalar build give the same bits.
 *
 * Cost per 28 x 28 image: the field is 2 * 784 rng_mix draws and four
 * passes of a (2r+1)-tap filter (r = ceil(3 sigma), 25 taps at sigma 4);
 * the warp a few dozen operations per pixel. */
#include "augment.h"

#include <math.h>
#include <string.h>

#include "detmath.h"
#include "rng.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define PI 0x1.921fb54442d18p+1 /* the double nearest pi */

int aug_active(const aug_params *p)
{
    return p->shift != 0 || p->rotate != 0 || p->scale != 0 || p->shear != 0 ||
           p->elastic_alpha != 0;
}

/* -1 with a message when !(lo <= v <= hi) (or v < hi when hi_open). */
static int check_range(const char *name, double v, double lo, double hi, int hi_open,
                       err_t *err)
{
    if (v >= lo && (hi_open ? v < hi : v <= hi))
        return 0;
    return err_set(err, ERR_INPUT, "augmentation %s must be in [%g, %g%c, not %g", name, lo, hi,
                   hi_open ? ')' : ']', v);
}

int aug_params_check(const aug_params *p, err_t *err)
{
    if (check_range("shift", p->shift, 0, HUGE_VAL, 1, err) ||
        check_range("rotate", p->rotate, 0, 180, 0, err) ||
        check_range("scale", p->scale, 0, 1, 1, err) ||
        check_range("shear", p->shear, 0, 90, 1, err) ||
        check_range("elastic_alpha", p->elastic_alpha, 0, HUGE_VAL, 1, err))
        return -1;
    if (p->elastic_alpha > 0 && !(p->elastic_sigma > 0 && p->elastic_sigma < HUGE_VAL))
        return err_set(err, ERR_INPUT,
                       "augmentation elastic_sigma must be finite and > 0 when elastic_alpha is "
                       "on, not %g",
                       p->elastic_sigma);
    return 0;
}

/* ---- the affine part --------------------------------------------------------- */

/* Uniform in [-1, 1): 53 bits of rng_mix(key, ctr), exactly. */
static double draw_sym(uint64_t key, uint64_t ctr)
{
    return (double)(rng_mix(key, ctr) >> 11) * 0x1p-52 - 1.0;
}

void aug_draw(const aug_params *p, uint64_t key, aug_draw_t *out)
{
    out->shift_x = p->shift * draw_sym(key, AUG_CTR_SHIFT_X);
    out->shift_y = p->shift * draw_sym(key, AUG_CTR_SHIFT_Y);
    out->rotate = p->rotate * draw_sym(key, AUG_CTR_ROTATE);
    out->scale = 1.0 + p->scale * draw_sym(key, AUG_CTR_SCALE);
    out->shear = p->shear * draw_sym(key, AUG_CTR_SHEAR);
}

/* The forward map, source to output, about the centre c:
 *     out = c + t + z * R * H * (src - c),
 * H = [1 tan(shear); 0 1] (horizontal shear), R = [cos -sin; sin cos]
 * (clockwise on screen, y being down), z the zoom, t the shift. Inverted:
 *     src = c + M * (out - c - t),   M = (1/z) H^-1 R^-1
 *         = (1/z) [cos + tan*sin   sin - tan*cos;  -sin   cos]. */
void aug_affine(const aug_draw_t *d, int rows, int cols, double a[6])
{
    double th = d->rotate * (PI / 180.0), sh = d->shear * (PI / 180.0);
    double c = dm_cos(th), s = dm_sin(th), t = dm_sin(sh) / dm_cos(sh);
    double z = d->scale;
    double m00 = (c + t * s) / z, m01 = (s - t * c) / z;
    double m10 = -s / z, m11 = c / z;
    double cx = 0.5 * (cols - 1), cy = 0.5 * (rows - 1);
    double ox = cx + d->shift_x, oy = cy + d->shift_y; /* where src's centre lands */
    a[0] = m00;
    a[1] = m01;
    a[2] = cx - (m00 * ox + m01 * oy);
    a[3] = m10;
    a[4] = m11;
    a[5] = cy - (m10 * ox + m11 * oy);
}

/* ---- the elastic field --------------------------------------------------------- */

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* The kernel's radius: ceil(3 sigma), at most max(rows, cols) - 1 (taps
 * beyond that reach only the zero padding). 0 (no smoothing) for sigma
 * below 1/16 (or not a number): there every tap but the centre,
 * exp(-1 / (2 sigma^2)) < exp(-128), rounds to float 0 anyway, so the
 * result is the same and 2 sigma^2 never underflows. */
static int kernel_radius(double sigma, int rows, int cols)
{
    int rmax = max_int(rows, cols) - 1;
    double r3 = 3.0 * sigma;
    if (!(sigma >= 0.0625))
        return 0;
    if (r3 >= rmax)
        return rmax;
    int r = (int)r3;
    return r < r3 ? r + 1 : r;
}

size_t aug_field_scratch_floats(int rows, int cols)
{
    /* the kernel (at most 2 * rmax + 1 taps) and one rows x cols pass */
    return (size_t)2 * max_int(rows, cols) + (size_t)rows * cols;
}

/* Tap k = -r .. r of the unnormalised Gaussian, exp(-k^2 / (2 sigma^2)). */
static double gauss_tap(int k, double sigma)
{
    return k == 0 ? 1.0 : dm_exp(-(double)k * k / (2.0 * sigma * sigma));
}

/* g[0 .. 2r] (g[k + r] for k = -r .. r): the Gaussian truncated at r and
 * divided by its sum, so it sums to 1 (to float rounding). */
static void gaussian_kernel(double sigma, int r, float *g)
{
    double sum = 0.0;
    for (int k = -r; k <= r; k++)
        sum += gauss_tap(k, sigma);
    for (int k = -r; k <= r; k++)
        g[k + r] = (float)(gauss_tap(k, sigma) / sum);
}

/* f[rows*cols] = alpha * (f smoothed by g[0 .. 2r], first along the rows,
 * then along the columns, zero outside the image); tmp[rows*cols]. Each
 * output's sum runs k = -r .. r in order, so vectorising across x (the
 * inner loops) keeps the bits. */
static void smooth(float *f, int rows, int cols, const float *g, int r, float alpha, float *tmp)
{
    for (int y = 0; y < rows; y++) {
        const float *in = f + (size_t)y * cols;
        float *o = tmp + (size_t)y * cols;
        memset(o, 0, (size_t)cols * sizeof *o);
        for (int k = -r; k <= r; k++) {
            int lo = k < 0 ? -k : 0, hi = k > 0 ? cols - k : cols;
            float gk = g[k + r];
            for (int x = lo; x < hi; x++)
                o[x] += gk * in[x + k];
        }
    }
    for (int y = 0; y < rows; y++) {
        float *o = f + (size_t)y * cols;
        memset(o, 0, (size_t)cols * sizeof *o);
        for (int k = -r; k <= r; k++) {
            if (y + k < 0 || y + k >= rows)
                continue;
            const float *in = tmp + (size_t)(y + k) * cols;
            float gk = g[k + r];
            for (int x = 0; x < cols; x++)
                o[x] += gk * in[x];
        }
        for (int x = 0; x < cols; x++)
            o[x] *= alpha;
    }
}

void aug_field(const aug_params *p, uint64_t key, int rows, int cols, float *scratch, float *dx,
               float *dy)
{
    size_t n = (size_t)rows * cols;
    if (p->elastic_alpha == 0) {
        memset(dx, 0, n * sizeof *dx);
        memset(dy, 0, n * sizeof *dy);
        return;
    }
    /* Simard's raw field: each pixel's (dx, dy) uniform in [-1, 1), exactly
     * (2u - 1 with u a multiple of 2^-24 is a float). */
    for (size_t j = 0; j < n; j++) {
        dx[j] = 2.0f * rng_unit24(rng_mix(key, AUG_CTR_FIELD + 2 * j)) - 1.0f;
        dy[j] = 2.0f * rng_unit24(rng_mix(key, AUG_CTR_FIELD + 2 * j + 1)) - 1.0f;
    }
    int r = kernel_radius(p->elastic_sigma, rows, cols);
    float *g = scratch, *tmp = scratch + 2 * max_int(rows, cols);
    gaussian_kernel(p->elastic_sigma, r, g);
    float alpha = (float)p->elastic_alpha;
    smooth(dx, rows, cols, g, r, alpha, tmp);
    smooth(dy, rows, cols, g, r, alpha, tmp);
}

/* ---- the warp ------------------------------------------------------------------ */

/* src's pixel (x, y) / 255 as dataset_scale_pixels writes it; 0 outside. */
static float pixel(const uint8_t *src, int rows, int cols, int x, int y)
{
    if (x < 0 || x >= cols || y < 0 || y >= rows)
        return 0.0f;
    return src[(size_t)y * cols + x] * (1.0f / 255.0f);
}

void aug_warp(const uint8_t *src, int rows, int cols, const double a[6], const float *dx,
              const float *dy, float *out)
{
    for (int y = 0; y < rows; y++) {
        for (int x = 0; x < cols; x++) {
            size_t j = (size_t)y * cols + x;
            double sx = a[0] * x + a[1] * y + a[2];
            double sy = a[3] * x + a[4] * y + a[5];
            if (dx) {
                sx += dx[j];
                sy += dy[j];
            }
            /* Outside (-1, cols) x (-1, rows) all four neighbours are off the
             * image; NaN fails the test too. Inside, the ints cannot overflow. */
            if (!(sx > -1.0 && sx < cols && sy > -1.0 && sy < rows)) {
                out[j] = 0.0f;
                continue;
            }
            double x0 = floor(sx), y0 = floor(sy);
            int ix = (int)x0, iy = (int)y0;
            float fx = (float)(sx - x0), fy = (float)(sy - y0); /* in [0, 1] */
            float v00 = pixel(src, rows, cols, ix, iy), v01 = pixel(src, rows, cols, ix + 1, iy);
            float v10 = pixel(src, rows, cols, ix, iy + 1);
            float v11 = pixel(src, rows, cols, ix + 1, iy + 1);
            /* At fx = fy = 0 this is v00 exactly: v00 * 1 + v01 * 0, times 1, plus 0. */
            float v = (v00 * (1.0f - fx) + v01 * fx) * (1.0f - fy) +
                      (v10 * (1.0f - fx) + v11 * fx) * fy;
            out[j] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        }
    }
}

/* ---- all of it ----------------------------------------------------------------- */

size_t aug_scratch_floats(int rows, int cols)
{
    return (size_t)2 * rows * cols + aug_field_scratch_floats(rows, cols); /* dx, dy, field's */
}

void aug_image(const aug_params *p, uint64_t key, const uint8_t *src, int rows, int cols,
               float *scratch, float *out)
{
    aug_draw_t d;
    double a[6];
    aug_draw(p, key, &d);
    aug_affine(&d, rows, cols, a);
    if (p->elastic_alpha == 0) {
        aug_warp(src, rows, cols, a, NULL, NULL, out);
        return;
    }
    size_t n = (size_t)rows * cols;
    float *dx = scratch, *dy = scratch + n;
    aug_field(p, key, rows, cols, scratch + 2 * n, dx, dy);
    aug_warp(src, rows, cols, a, dx, dy, out);
}
