/* Suite augment: the distortions do what they say (moves, rotations, zooms,
 * shears land pixels where expected; the draws stay in their ranges; the
 * elastic field is smooth, centred and linear in alpha), all parameters 0
 * is exactly dataset_scale_pixels, the output is a pure function of
 * (params, key, src), and its bits are pinned (test_golden_digest), the
 * same on every CPU. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "bits.h"
#include "eval.h"
#include "rng.h"
#include "testutil.h"

#define N 28 /* MNIST's side */

/* Every distortion on, at the sizes Simard et al. used for MNIST. */
static const aug_params ALL_ON = {.shift = 2.0, .rotate = 15.0, .scale = 0.15, .shear = 10.0,
                                  .elastic_alpha = 34.0, .elastic_sigma = 4.0};
/* The extremes aug_params_check still accepts, or near them. */
static const aug_params EXTREME = {.shift = 100.0, .rotate = 180.0, .scale = 0.99, .shear = 80.0,
                                   .elastic_alpha = 1000.0, .elastic_sigma = 4.0};

/* A synthetic digit-like image, rows x cols: a ring of ink with a
 * gradient, and every byte value 0..255 somewhere when rows*cols >= 256. */
static void synth_image(uint8_t *img, int rows, int cols)
{
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            double u = x - 0.5 * (cols - 1), v = y - 0.5 * (rows - 1);
            double r2 = u * u + v * v, R = 0.3 * (rows < cols ? rows : cols);
            int ring = r2 > (R - 2) * (R - 2) && r2 < (R + 2) * (R + 2);
            img[y * cols + x] = ring ? (uint8_t)(128 + (x * 5 + y * 3) % 128)
                                     : (uint8_t)((y * cols + x) % 256 < 16 ? 0 : (y * cols + x) % 256);
        }
}

/* A scratch buffer filled with NaNs: the result must not read what it held. */
static float *nan_scratch(int rows, int cols)
{
    size_t n = aug_scratch_floats(rows, cols);
    float *s = malloc(n * sizeof *s);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++)
        s[i] = NAN;
    return s;
}

static uint64_t key_of(uint64_t seed, uint64_t epoch, uint64_t example)
{
    return rng_mix(rng_mix(rng_mix(seed, AUG_DOMAIN), epoch), example);
}

START_TEST(test_zero_params_is_scale_pixels)
{
    uint8_t img[N * N];
    synth_image(img, N, N);
    float want[N * N], got[N * N];
    dataset_scale_pixels(img, N * N, want);
    float *scratch = nan_scratch(N, N);
    aug_params zero = {0};
    for (uint64_t k = 0; k < 50; k++) {
        aug_image(&zero, key_of(1, 0, k), img, N, N, scratch, got);
        for (int i = 0; i < N * N; i++)
            ck_assert_msg(f32_bits(got[i]) == f32_bits(want[i]), "key %d pixel %d: %a, not %a",
                          (int)k, i, got[i], want[i]);
    }
    /* A sigma alone distorts nothing: alpha 0 is off. */
    zero.elastic_sigma = 4.0;
    aug_image(&zero, 5, img, N, N, scratch, got);
    ck_assert_mem_eq(got, want, sizeof want);
    free(scratch);
}
END_TEST

START_TEST(test_active)
{
    aug_params p = {0};
    ck_assert(!aug_active(&p));
    p.elastic_sigma = 4.0;
    ck_assert(!aug_active(&p)); /* sigma only shapes alpha's field */
    double *field[] = {&p.shift, &p.rotate, &p.scale, &p.shear, &p.elastic_alpha};
    for (size_t i = 0; i < sizeof field / sizeof field[0]; i++) {
        *field[i] = 0.5;
        ck_assert_msg(aug_active(&p), "field %d", (int)i);
        *field[i] = 0.0;
    }
    ck_assert(aug_active(&ALL_ON));
}
END_TEST

START_TEST(test_same_key_same_bits)
{
    uint8_t img[N * N];
    synth_image(img, N, N);
    float a[N * N], b[N * N];
    float *s1 = nan_scratch(N, N), *s2 = nan_scratch(N, N);
    for (size_t i = 0; i < aug_scratch_floats(N, N); i++)
        s2[i] = (float)i; /* other garbage */
    uint64_t key = key_of(42, 3, 1234);
    aug_image(&ALL_ON, key, img, N, N, s1, a);
    aug_image(&ALL_ON, key, img, N, N, s2, b);
    ck_assert_mem_eq(a, b, sizeof a);
    aug_image(&ALL_ON, key, img, N, N, s1, b); /* scratch now holds the last call's */
    ck_assert_mem_eq(a, b, sizeof a);
    free(s1);
    free(s2);
}
END_TEST

START_TEST(test_different_keys_differ)
{
    uint8_t img[N * N];
    synth_image(img, N, N);
    float a[N * N], b[N * N];
    float *scratch = nan_scratch(N, N);
    /* Each distortion on its own, and all of them: the next example, the
     * next epoch and another seed each give another image. */
    aug_params one[6] = {{.shift = 2}, {.rotate = 15}, {.scale = 0.15}, {.shear = 10},
                         {.elastic_alpha = 34, .elastic_sigma = 4}, ALL_ON};
    for (int i = 0; i < 6; i++) {
        aug_image(&one[i], key_of(7, 1, 100), img, N, N, scratch, a);
        uint64_t others[3] = {key_of(7, 1, 101), key_of(7, 2, 100), key_of(8, 1, 100)};
        for (int j = 0; j < 3; j++) {
            aug_image(&one[i], others[j], img, N, N, scratch, b);
            ck_assert_msg(memcmp(a, b, sizeof a) != 0, "params %d, key %d", i, j);
        }
    }
    free(scratch);
}
END_TEST

/* out and want agree within tol at every pixel. */
static void assert_near_image(const float *out, const float *want, int n, double tol,
                              const char *what)
{
    for (int i = 0; i < n; i++)
        ck_assert_msg(fabs((double)out[i] - want[i]) <= tol, "%s: pixel %d is %.9g, not %.9g",
                      what, i, out[i], want[i]);
}

START_TEST(test_warp_integer_shift)
{
    /* An exact integer shift moves every pixel exactly, with zeros coming
     * in; through aug_affine the map is exactly x - 3, y + 2. */
    uint8_t img[N * N];
    synth_image(img, N, N);
    aug_draw_t d = {.shift_x = 3, .shift_y = -2, .rotate = 0, .scale = 1, .shear = 0};
    double a[6];
    aug_affine(&d, N, N, a);
    double want_a[6] = {1, 0, -3, 0, 1, 2};
    for (int i = 0; i < 6; i++)
        ck_assert_msg(a[i] == want_a[i], "a[%d] = %a", i, a[i]);
    float out[N * N];
    aug_warp(img, N, N, a, NULL, NULL, out);
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++) {
            int sx = x - 3, sy = y + 2;
            float want = sx >= 0 && sy < N ? img[sy * N + sx] * (1.0f / 255.0f) : 0.0f;
            ck_assert_msg(f32_bits(out[y * N + x]) == f32_bits(want), "(%d, %d)", x, y);
        }
    /* And a zero field changes nothing. */
    float zero[N * N] = {0}, out2[N * N];
    aug_warp(img, N, N, a, zero, zero, out2);
    ck_assert_mem_eq(out, out2, sizeof out);
}
END_TEST

START_TEST(test_warp_identity)
{
    /* Zoom 1, no rotation, shear or shift: exactly the identity map and
     * exactly dataset_scale_pixels, also on a non-square image. */
    enum { R = 7, C = 40 };
    uint8_t img[R * C];
    synth_image(img, R, C);
    aug_draw_t d = {.scale = 1};
    double a[6];
    aug_affine(&d, R, C, a);
    double id[6] = {1, 0, 0, 0, 1, 0};
    for (int i = 0; i < 6; i++)
        ck_assert_msg(a[i] == id[i], "a[%d] = %a", i, a[i]);
    float out[R * C], want[R * C];
    aug_warp(img, R, C, a, NULL, NULL, out);
    dataset_scale_pixels(img, R * C, want);
    ck_assert_mem_eq(out, want, sizeof out);
}
END_TEST

START_TEST(test_warp_rotate_90)
{
    /* +90 degrees turns the content clockwise as displayed: source pixel
     * (x, y) lands at (n-1-y, x), about the centre; for odd and even sides. */
    int sides[2] = {N, 5};
    for (int t = 0; t < 2; t++) {
        int n = sides[t];
        uint8_t img[N * N];
        synth_image(img, n, n);
        float want[N * N], out[N * N];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                want[x * n + (n - 1 - y)] = img[y * n + x] / 255.0f;
        aug_draw_t d = {.rotate = 90, .scale = 1};
        double a[6];
        aug_affine(&d, n, n, a);
        aug_warp(img, n, n, a, NULL, NULL, out);
        assert_near_image(out, want, n * n, 1e-5, "rotate 90");
        /* -90 undoes it; 180 is both flips. */
        float back[N * N], src[N * N];
        dataset_scale_pixels(img, n * n, src);
        d.rotate = 180;
        aug_affine(&d, n, n, a);
        aug_warp(img, n, n, a, NULL, NULL, out);
        for (int i = 0; i < n * n; i++)
            want[n * n - 1 - i] = src[i];
        assert_near_image(out, want, n * n, 1e-5, "rotate 180");
        d.rotate = -90;
        aug_affine(&d, n, n, a);
        uint8_t turned[N * N];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                turned[x * n + (n - 1 - y)] = img[y * n + x];
        aug_warp(turned, n, n, a, NULL, NULL, back);
        assert_near_image(back, src, n * n, 1e-5, "rotate -90 after +90");
    }
}
END_TEST

START_TEST(test_warp_zoom_and_shear)
{
    enum { S = 9 }; /* centre 4 */
    uint8_t img[S * S];
    synth_image(img, S, S);
    float src[S * S], out[S * S];
    dataset_scale_pixels(img, S * S, src);
    double a[6];
    /* Zoom 2 enlarges about the centre: output x samples 4 + (x - 4)/2,
     * exact at even x - 4; zoom 1/2 samples 4 + 2 (x - 4). */
    aug_draw_t d = {.scale = 2};
    aug_affine(&d, S, S, a);
    aug_warp(img, S, S, a, NULL, NULL, out);
    for (int y = 0; y < S; y += 2)
        for (int x = 0; x < S; x += 2)
            ck_assert_float_eq(out[y * S + x], src[(4 + (y - 4) / 2) * S + 4 + (x - 4) / 2]);
    /* Between, the bilinear mean of the two neighbours. */
    ck_assert_float_eq_tol(out[4 * S + 5], 0.5f * (src[4 * S + 4] + src[4 * S + 5]), 1e-6f);
    d.scale = 0.5;
    aug_affine(&d, S, S, a);
    aug_warp(img, S, S, a, NULL, NULL, out);
    for (int y = 2; y <= 6; y++)
        for (int x = 2; x <= 6; x++)
            ck_assert_float_eq(out[y * S + x], src[(4 + 2 * (y - 4)) * S + 4 + 2 * (x - 4)]);
    ck_assert_float_eq(out[0], 0.0f); /* samples (-4, -4): outside */
    /* Shear 45 degrees: source (u, v) goes to (u + v, v), so row y of the
     * output is the source row moved right by y - 4. */
    d = (aug_draw_t){.scale = 1, .shear = 45};
    aug_affine(&d, S, S, a);
    aug_warp(img, S, S, a, NULL, NULL, out);
    float want[S * S];
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            int sx = x - (y - 4);
            want[y * S + x] = sx >= 0 && sx < S ? src[y * S + sx] : 0.0f;
        }
    assert_near_image(out, want, S * S, 1e-5, "shear 45");
}
END_TEST

START_TEST(test_draw_ranges)
{
    aug_params p = {.shift = 2.5, .rotate = 15, .scale = 0.2, .shear = 30};
    double lo[5] = {1e9, 1e9, 1e9, 1e9, 1e9}, hi[5] = {-1e9, -1e9, -1e9, -1e9, -1e9};
    double sum[5] = {0};
    double half[5] = {2.5, 2.5, 15, 0.2, 30}; /* each draw's half-width */
    int n = 20000;
    for (int i = 0; i < n; i++) {
        aug_draw_t d;
        aug_draw(&p, key_of(9, i / 100, i % 100), &d);
        double v[5] = {d.shift_x, d.shift_y, d.rotate, d.scale - 1.0, d.shear};
        for (int j = 0; j < 5; j++) {
            ck_assert_msg(v[j] >= -half[j] && v[j] <= half[j], "draw %d = %g", j, v[j]);
            lo[j] = v[j] < lo[j] ? v[j] : lo[j];
            hi[j] = v[j] > hi[j] ? v[j] : hi[j];
            sum[j] += v[j];
        }
    }
    for (int j = 0; j < 5; j++) {
        /* Both signs, out to the ends (uniform: the extremes of 20000 draws
         * are within 0.1% of them), centred. */
        ck_assert_msg(lo[j] < -0.99 * half[j] && hi[j] > 0.99 * half[j], "draw %d: [%g, %g]",
                      j, lo[j], hi[j]);
        ck_assert_msg(fabs(sum[j] / n) < 0.02 * half[j], "draw %d: mean %g", j, sum[j] / n);
    }
    /* Shift and angle are independent draws. */
    aug_draw_t d;
    aug_draw(&p, 77, &d);
    ck_assert(d.shift_x != d.shift_y);
    /* Off: exactly none. */
    aug_params zero = {0};
    aug_draw(&zero, 77, &d);
    ck_assert(d.shift_x == 0 && d.shift_y == 0 && d.rotate == 0 && d.shear == 0 && d.scale == 1);
}
END_TEST

/* The elastic field of key for p, 28 x 28. */
static void field_of(const aug_params *p, uint64_t key, float *dx, float *dy)
{
    float *scratch = malloc(aug_field_scratch_floats(N, N) * sizeof *scratch);
    ck_assert_ptr_nonnull(scratch);
    aug_field(p, key, N, N, scratch, dx, dy);
    free(scratch);
}

START_TEST(test_field_smooth_and_centred)
{
    aug_params p = {.elastic_alpha = 1, .elastic_sigma = 4};
    /* Over 1000 fields, at interior pixels (at least 3 sigma from the edge,
     * where the zero padding does not reach): the mean, the variance and
     * the correlation of horizontal and vertical neighbours. */
    double s = 0, s2 = 0, sxy = 0, syy = 0, dxdy = 0, raw_xy = 0, raw2 = 0;
    long n = 0;
    aug_params raw = {.elastic_alpha = 1, .elastic_sigma = 0.01}; /* no smoothing */
    for (int k = 0; k < 1000; k++) {
        float dx[N * N], dy[N * N], rx[N * N], ry[N * N];
        field_of(&p, key_of(3, 0, k), dx, dy);
        field_of(&raw, key_of(3, 0, k), rx, ry);
        for (int y = 12; y < N - 13; y++)
            for (int x = 12; x < N - 13; x++) {
                const float *f[2] = {dx, dy};
                for (int c = 0; c < 2; c++) {
                    int j = y * N + x;
                    s += f[c][j];
                    s2 += (double)f[c][j] * f[c][j];
                    sxy += (double)f[c][j] * f[c][j + 1];
                    syy += (double)f[c][j] * f[c][j + N];
                    n++;
                }
                dxdy += (double)dx[y * N + x] * dy[y * N + x];
                raw_xy += (double)rx[y * N + x] * rx[y * N + x + 1];
                raw2 += (double)rx[y * N + x] * rx[y * N + x];
                /* The raw field is the draw itself, uniform in [-1, 1). */
                ck_assert(rx[y * N + x] >= -1.0f && rx[y * N + x] < 1.0f);
            }
    }
    double var = s2 / n;
    /* White noise of variance 1/3 through a normalised Gaussian of std
     * sigma (sum of squares ~ 1 / (2 sqrt(pi) sigma) per axis): std ~0.0407. */
    double g2 = 0, g = 0;
    for (int k = -12; k <= 12; k++) {
        g += exp(-k * k / 32.0);
        g2 += exp(-k * k / 16.0);
    }
    double want_var = (1.0 / 3.0) * (g2 / (g * g)) * (g2 / (g * g));
    ck_assert_msg(fabs(var / want_var - 1.0) < 0.15, "variance %g, expected %g", var, want_var);
    ck_assert_msg(fabs(s / n) < 0.2 * sqrt(var), "mean %g (std %g)", s / n, sqrt(var));
    /* Neighbours: correlation exp(-1 / (4 sigma^2)) = 0.98 in theory. */
    ck_assert_msg(sxy / s2 > 0.9 && syy / s2 > 0.9, "neighbour correlation %g, %g", sxy / s2,
                  syy / s2);
    /* dx and dy are independent draws. */
    ck_assert_msg(fabs(2.0 * dxdy / s2) < 0.15, "dx, dy correlation %g", 2.0 * dxdy / s2);
    /* Unsmoothed, neighbours are independent. */
    ck_assert_msg(fabs(raw_xy / raw2) < 0.1, "raw neighbour correlation %g", raw_xy / raw2);
}
END_TEST

START_TEST(test_field_linear_in_alpha)
{
    float d1x[N * N], d1y[N * N], dax[N * N], day[N * N];
    aug_params p = {.elastic_alpha = 1, .elastic_sigma = 4};
    uint64_t key = key_of(5, 2, 9);
    field_of(&p, key, d1x, d1y);
    double alphas[3] = {2.0, 34.0, 1000.0};
    for (int i = 0; i < 3; i++) {
        p.elastic_alpha = alphas[i];
        field_of(&p, key, dax, day);
        double m1 = 0, ma = 0;
        for (int j = 0; j < N * N; j++) {
            ck_assert(fabs(dax[j] - alphas[i] * d1x[j]) <= 1e-6 * alphas[i] * fabs(d1x[j]));
            ck_assert(fabs(day[j] - alphas[i] * d1y[j]) <= 1e-6 * alphas[i] * fabs(d1y[j]));
            m1 += fabs(d1x[j]) + fabs(d1y[j]);
            ma += fabs(dax[j]) + fabs(day[j]);
        }
        ck_assert(fabs(ma / m1 / alphas[i] - 1.0) < 1e-6);
    }
    /* alpha 0: no field at all. */
    p.elastic_alpha = 0;
    field_of(&p, key, dax, day);
    for (int j = 0; j < N * N; j++)
        ck_assert(dax[j] == 0.0f && day[j] == 0.0f);
}
END_TEST

START_TEST(test_extreme_params_stay_in_range)
{
    /* Whatever aug_params_check lets through, on odd shapes too, gives
     * finite pixels in [0, 1]. */
    aug_params ps[5] = {EXTREME, EXTREME, EXTREME, ALL_ON, ALL_ON};
    ps[1].elastic_sigma = 0.01;  /* no smoothing: raw field times 1000 */
    ps[2].elastic_sigma = 1e6;   /* the kernel reaches across the image */
    ps[2].shear = 89.999;
    ps[4].elastic_sigma = 0.3;
    int shapes[4][2] = {{N, N}, {7, 40}, {1, 1}, {2, 3}};
    err_t err;
    for (int i = 0; i < 5; i++) {
        ck_assert_msg(aug_params_check(&ps[i], &err) == 0, "%s", err.msg);
        for (int s = 0; s < 4; s++) {
            int rows = shapes[s][0], cols = shapes[s][1];
            uint8_t img[N * N];
            synth_image(img, rows, cols);
            memset(img, 255, (size_t)(rows * cols) / 2); /* full ink too */
            float *scratch = nan_scratch(rows, cols), out[N * N];
            for (int k = 0; k < 40; k++) {
                aug_image(&ps[i], key_of(11, i, k), img, rows, cols, scratch, out);
                for (int j = 0; j < rows * cols; j++)
                    ck_assert_msg(isfinite(out[j]) && out[j] >= 0.0f && out[j] <= 1.0f,
                                  "params %d shape %d key %d pixel %d: %g", i, s, k, j, out[j]);
            }
            free(scratch);
        }
    }
}
END_TEST

START_TEST(test_params_check)
{
    err_t err;
    aug_params zero = {0};
    ck_assert_int_eq(aug_params_check(&zero, &err), 0);
    ck_assert_int_eq(aug_params_check(&ALL_ON, &err), 0);
    struct {
        aug_params p;
        const char *word;
    } bad[] = {
        {{.shift = -1}, "shift"},
        {{.shift = NAN}, "shift"},
        {{.rotate = 181}, "rotate"},
        {{.rotate = -1}, "rotate"},
        {{.scale = 1}, "scale"},
        {{.shear = 90}, "shear"},
        {{.elastic_alpha = HUGE_VAL, .elastic_sigma = 4}, "elastic_alpha"},
        {{.elastic_alpha = 34}, "elastic_sigma"},
        {{.elastic_alpha = 34, .elastic_sigma = NAN}, "elastic_sigma"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(aug_params_check(&bad[i].p, &err), -1);
        ck_assert_int_eq(err.code, ERR_INPUT);
        ck_assert_msg(strstr(err.msg, bad[i].word), "case %d: %s", (int)i, err.msg);
    }
}
END_TEST

START_TEST(test_golden_digest)
{
    /* FNV-1a over the output floats' bits (little-endian on every CPU the
     * project runs on), for fixed keys and all distortions on: one image,
     * then 64 images (32 of ALL_ON, 32 of EXTREME) chained. Written from
     * x86-64 (gcc 12 -O3); the same came out of clang 14 -O2 -march=native
     * (AVX-512) and aarch64 (gcc 12 under qemu, .ci/aarch64.sh). They change only when augment.c's (or detmath's, or rng_mix's)
     * arithmetic or draws change. */
    uint8_t img[N * N];
    synth_image(img, N, N);
    float out[N * N];
    float *scratch = nan_scratch(N, N);
    aug_image(&ALL_ON, key_of(2024, 3, 17), img, N, N, scratch, out);
    uint64_t one = tu_fnv1a(out, sizeof out);
    uint64_t many = 0;
    for (int k = 0; k < 64; k++) {
        aug_image(k % 2 ? &EXTREME : &ALL_ON, key_of(2024, 4, k), img, N, N, scratch, out);
        uint64_t h[2] = {many, tu_fnv1a(out, sizeof out)};
        many = tu_fnv1a(h, sizeof h);
    }
    printf("augment: digests one %#018llx many %#018llx\n", (unsigned long long)one,
           (unsigned long long)many);
    fflush(stdout);
    free(scratch);
    ck_assert_uint_eq(one, 0x6601cc5dbe400b13ULL);
    ck_assert_uint_eq(many, 0x8952bd61a7092323ULL);
}
END_TEST

TU_MAIN("augment", test_zero_params_is_scale_pixels, test_active, test_same_key_same_bits,
        test_different_keys_differ, test_warp_integer_shift, test_warp_identity,
        test_warp_rotate_90, test_warp_zoom_and_shear, test_draw_ranges,
        test_field_smooth_and_centred, test_field_linear_in_alpha,
        test_extreme_params_stay_in_range, test_params_check, test_golden_digest)
