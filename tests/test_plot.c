/* Tests for image, plot and curves (the plot command: tests/test_cli.sh): every picture is drawn from
 * small synthetic inputs, written into a mkdtemp dir and read back (PNGs
 * decoded with libpng, SVGs checked as text); errors for unwritable paths,
 * bad CSVs and bad command lines. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curves.h"
#include "image.h"
#include "model.h"
#include "net.h"
#include "plot.h"
#include "report.h"
#include "testutil.h"


/* tmpdir/name, in a buffer of its own per call site (up to 4 at a time). */
static const char *tmp_path(const char *name)
{
    static char bufs[4][512];
    static int k;
    char *b = bufs[k++ % 4];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

static void put_str(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(s, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes im as a PNG and decodes it back into *back. */
static void round_trip(const img_t *im, const char *name, img_t *back)
{
    err_t err;
    const char *p = tmp_path(name);
    ck_assert_msg(img_write_png(p, im, &err) == 0, "%s", err.msg);
    ck_assert_msg(img_read_png(p, back, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(back->w, im->w);
    ck_assert_int_eq(back->h, im->h);
}

static int is_blueish(img_rgb c) { return c.b > c.r + 60 && c.b > c.g + 60; }
static int is_redish(img_rgb c) { return c.r > c.b + 60 && c.r > c.g + 60; }

/* Pixels of exactly colour c. */
static long count_colour(const img_t *im, img_rgb c)
{
    long n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            img_rgb p = img_get(im, x, y);
            n += p.r == c.r && p.g == c.g && p.b == c.b;
        }
    return n;
}

/* Whether an s x s square of colour c is anywhere in im. */
static int has_square(const img_t *im, int s, img_rgb c)
{
    for (int y = 0; y + s <= im->h; y++)
        for (int x = 0; x + s <= im->w; x++) {
            int all = 1;
            for (int dy = 0; all && dy < s; dy++)
                for (int dx = 0; all && dx < s; dx++) {
                    img_rgb p = img_get(im, x + dx, y + dy);
                    all = p.r == c.r && p.g == c.g && p.b == c.b;
                }
            if (all)
                return 1;
        }
    return 0;
}

/* ---- image ---------------------------------------------------------------- */

START_TEST(test_png_round_trip)
{
    err_t err;
    img_t im, back;
    img_rgb bg = {10, 20, 30}, c = {200, 100, 50};
    ck_assert_int_eq(img_create(&im, 7, 5, bg, &err), 0);
    img_fill_rect(&im, 2, 1, 3, 2, c);
    img_fill_rect(&im, -5, -5, 6, 6, c); /* clipped: only (0,0) */
    round_trip(&im, "rt.png", &back);
    ck_assert_mem_eq(back.px, im.px, (size_t)7 * 5 * 3);
    img_rgb p = img_get(&back, 4, 2);
    ck_assert_int_eq(p.r, 200);
    ck_assert_int_eq(p.g, 100);
    ck_assert_int_eq(p.b, 50);
    p = img_get(&back, 1, 1);
    ck_assert_int_eq(p.r, 10);
    p = img_get(&back, 0, 0);
    ck_assert_int_eq(p.r, 200);
    img_free(&im);
    img_free(&back);
}
END_TEST

START_TEST(test_png_errors)
{
    err_t err;
    img_t im, back;
    img_rgb bg = {0, 0, 0};
    ck_assert_int_eq(img_create(&im, 2, 2, bg, &err), 0);
    err_clear(&err);
    ck_assert_int_eq(img_write_png("/nonexistent-dir/x.png", &im, &err), -1);
    ck_assert_int_eq(err.code, ERR_RUNTIME);
    ck_assert_msg(strstr(err.msg, "/nonexistent-dir/x.png"), "%s", err.msg);
    img_free(&im);

    const char *p = tmp_path("not.png");
    put_str(p, "this is not a PNG file at all");
    err_clear(&err);
    ck_assert_int_eq(img_read_png(p, &back, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, p), "%s", err.msg);
    ck_assert_ptr_null(back.px);

    /* A truncated PNG: libpng's error comes back as a message, not a crash. */
    ck_assert_int_eq(img_create(&im, 40, 40, bg, &err), 0);
    const char *q = tmp_path("trunc.png");
    ck_assert_int_eq(img_write_png(q, &im, &err), 0);
    img_free(&im);
    ck_assert_int_eq(truncate(q, 60), 0);
    err_clear(&err);
    ck_assert_int_eq(img_read_png(q, &back, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_ptr_null(back.px);

    ck_assert_int_eq(img_create(&im, 0, 3, bg, &err), -1);
    ck_assert_int_eq(img_create(&im, 1 << 20, 1 << 20, bg, &err), -1);
}
END_TEST

START_TEST(test_font)
{
    err_t err;
    img_t im;
    img_rgb white = {255, 255, 255}, ink = {0, 0, 0};
    ck_assert_int_eq(img_create(&im, 7, 5, white, &err), 0);
    ck_assert_int_eq(img_text(&im, 0, 0, "1T", 1, ink), 8);
    ck_assert_int_eq(img_text_width(2, 1), 7);
    ck_assert_int_eq(img_text_width(3, 2), 22);
    /* '1' = .#. ##. .#. .#. ###, then a blank column, then 'T' = ### .#. ... */
    const char *want[5] = {".#..###", "##...#.", ".#...#.", ".#...#.", "###..#."};
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++)
            ck_assert_msg((img_get(&im, x, y).r == 0) == (want[y][x] == '#'),
                          "pixel (%d,%d)", x, y);
    img_free(&im);
}
END_TEST

/* ---- weights -------------------------------------------------------------- */

/* A 4-3-2 network whose 3 first-layer units see 2x2 images: unit 0 has
 * positive weights, unit 1 negative ones, unit 2 a zero, a small positive
 * and a large negative weight. */
static void weights_net(net_t *net)
{
    err_t err;
    int sizes[3] = {4, 3, 2};
    net_act act[2] = {ACT_SIGMOID, ACT_SIGMOID};
    ck_assert_msg(net_create(net, 2, sizes, act, COST_QUADRATIC, &err) == 0, "%s", err.msg);
    float *W = net->params + net->w_off[0]; /* W[i * 3 + j]: input i -> unit j */
    const float w[4][3] = {{0.5f, -0.5f, 0.0f}, {0.5f, -0.5f, 0.1f}, {0.5f, -0.5f, -8.0f},
                           {0.25f, -0.25f, 0.1f}};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            W[i * 3 + j] = w[i][j];
}

START_TEST(test_weights_png)
{
    err_t err;
    net_t net;
    weights_net(&net);
    img_t im, back;
    const int scale = 3, tile = 2 * scale + PLOT_GAP;
    ck_assert_msg(plot_weights(&net, 2, 2, scale, 0, &im, &err) == 0, "%s", err.msg);
    round_trip(&im, "w.png", &back);
    /* 3 tiles: a 2x2 grid of 6x6 tiles with 2 px gaps. */
    ck_assert_int_eq(back.w, 2 * tile + PLOT_GAP);
    ck_assert_int_eq(back.h, 2 * tile + PLOT_GAP);
    /* Pixel (r, c) of unit j, at the middle of its scale x scale block. */
#define PX(img, j, r, c) img_get(&(img), PLOT_GAP + ((j) % 2) * tile + (c) * scale + 1, \
                                 PLOT_GAP + ((j) / 2) * tile + (r) * scale + 1)
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++) {
            ck_assert_msg(is_blueish(PX(back, 0, r, c)), "unit 0 (%d,%d)", r, c);
            ck_assert_msg(is_redish(PX(back, 1, r, c)), "unit 1 (%d,%d)", r, c);
        }
    /* Per-unit scale: unit 0's largest weight is full blue, whatever the
     * other units hold; its 0.25 is half as strong (lighter). */
    img_rgb full = PX(back, 0, 0, 0), half = PX(back, 0, 1, 1);
    ck_assert_int_eq(full.r, 20);
    ck_assert_int_eq(full.b, 200);
    ck_assert_int_gt(half.r, full.r + 50);
    /* Unit 2: zero is white, -8 (its largest) full red, 0.1 nearly white. */
    img_rgb z = PX(back, 2, 0, 0), neg = PX(back, 2, 1, 0), small = PX(back, 2, 0, 1);
    ck_assert_int_eq(z.r + z.g + z.b, 3 * 255);
    ck_assert_int_eq(neg.r, 200);
    ck_assert_int_eq(neg.g, 30);
    ck_assert_int_gt(small.r, 240);
    ck_assert_int_gt(small.b, small.r);
    /* The gap and the empty fourth tile are grey. */
    img_rgb g = img_get(&back, 0, 0), e = PX(back, 3, 0, 0);
    ck_assert_int_eq(g.r, 128);
    ck_assert_int_eq(e.r, 128);
    img_free(&im);
    img_free(&back);

    /* Global scale: unit 0's 0.5 is now weak against the layer's 8. */
    ck_assert_int_eq(plot_weights(&net, 2, 2, scale, 1, &im, &err), 0);
    img_rgb weak = PX(im, 0, 0, 0);
    ck_assert_int_gt(weak.r, 200);
    ck_assert_int_gt(weak.b, weak.r);
#undef PX
    img_free(&im);
    net_free(&net);
}
END_TEST

START_TEST(test_weights_bad_shape)
{
    err_t err;
    net_t net;
    weights_net(&net);
    img_t im;
    err_clear(&err);
    ck_assert_int_eq(plot_weights(&net, 3, 2, 3, 0, &im, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "4 inputs"), "%s", err.msg);
    ck_assert_ptr_null(im.px);
    ck_assert_int_eq(plot_weights(&net, 2, 2, 0, 0, &im, &err), -1);
    net_free(&net);
}
END_TEST

/* ---- confusion ------------------------------------------------------------ */

START_TEST(test_confusion_png)
{
    err_t err;
    img_t im, back;
    const img_rgb blue = {20, 60, 200}, red = {200, 30, 30};
    /* Class 0: all right. Class 1: 3 of 4 right, one taken for 2. */
    const long long conf[9] = {5, 0, 0, 0, 3, 1, 0, 0, 2};
    ck_assert_msg(plot_confusion(conf, 3, &im, &err) == 0, "%s", err.msg);
    round_trip(&im, "c.png", &back);
    /* Diagonal cells with all of their row are full blue; the worst (only)
     * confusion is full red; both big enough to be cells, not text. */
    ck_assert(has_square(&back, 12, blue));
    ck_assert(has_square(&back, 12, red));
    ck_assert_int_gt(count_colour(&back, (img_rgb){0, 0, 0}), 50); /* labels, counts */
    int w1 = im.w;
    img_free(&im);
    img_free(&back);

    /* No confusion: no red at all; a larger count makes wider cells. */
    const long long perfect[9] = {5, 0, 0, 0, 4, 0, 0, 0, 123456};
    ck_assert_int_eq(plot_confusion(perfect, 3, &back, &err), 0);
    ck_assert_int_eq(count_colour(&back, red), 0);
    ck_assert(has_square(&back, 12, blue));
    ck_assert_int_gt(back.w, w1 + 3 * 20);
    img_free(&back);

    err_clear(&err);
    ck_assert_int_eq(plot_confusion(conf, 0, &im, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
}
END_TEST

/* ---- errors sheet --------------------------------------------------------- */

/* 5 examples of 2x2 images; example k is all (k * 60) grey... except that
 * example 4 is all 255 (black ink). */
static void small_set(dataset *d, uint8_t *images, uint8_t *labels)
{
    for (int k = 0; k < 5; k++) {
        memset(images + 4 * k, k == 4 ? 255 : k * 30, 4);
        labels[k] = (uint8_t)(k % 2);
    }
    memset(d, 0, sizeof *d);
    d->n = 5;
    d->rows = d->cols = 2;
    d->n_in = 4;
    d->images = images;
    d->labels = labels;
}

START_TEST(test_errors_png)
{
    err_t err;
    dataset d;
    uint8_t images[20], labels[5];
    small_set(&d, images, labels);
    const img_rgb black = {0, 0, 0}, red = {200, 30, 30}, green = {0, 130, 40};
    img_t im, back;

    /* Only example 4 is wrong: its all-black 20x20 tile is on the sheet,
     * with a red P and a green T label. */
    int pred[5] = {0, 1, 0, 1, 7};
    ck_assert_msg(plot_errors(&d, pred, 10, 10, &im, &err) == 0, "%s", err.msg);
    round_trip(&im, "e.png", &back);
    ck_assert(has_square(&back, 20, black));
    ck_assert_int_gt(count_colour(&back, red), 10);
    ck_assert_int_gt(count_colour(&back, green), 10);
    img_free(&im);
    img_free(&back);

    /* Example 4 right, 1 and 3 wrong (light images): no black square. */
    int pred2[5] = {0, 0, 0, 0, 0};
    ck_assert_int_eq(plot_errors(&d, pred2, 10, 10, &im, &err), 0);
    ck_assert(!has_square(&im, 20, black));
    long red2 = count_colour(&im, red);
    img_free(&im);
    /* --max 1 shows one of the two: half the red labels. */
    ck_assert_int_eq(plot_errors(&d, pred2, 1, 10, &im, &err), 0);
    ck_assert_int_eq(2 * count_colour(&im, red), red2);
    img_free(&im);

    /* None wrong: still a picture (the header says so), with no labels. */
    int right[5] = {0, 1, 0, 1, 0};
    ck_assert_int_eq(plot_errors(&d, right, 10, 10, &im, &err), 0);
    ck_assert_int_eq(count_colour(&im, red), 0);
    img_free(&im);

    err_clear(&err);
    ck_assert_int_eq(plot_errors(&d, pred, 0, 2, &im, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
}
END_TEST

START_TEST(test_predict)
{
    /* One linear layer: output j = pixel j's value, so the prediction is
     * the brighter of pixels 0 and 1. */
    err_t err;
    net_t net;
    int sizes[2] = {4, 2};
    net_act act[1] = {ACT_LINEAR};
    ck_assert_int_eq(net_create(&net, 1, sizes, act, COST_QUADRATIC, &err), 0);
    float *W = net.params + net.w_off[0];
    W[0 * 2 + 0] = 1;
    W[1 * 2 + 1] = 1;
    dataset d = {0};
    uint8_t images[3 * 4] = {200, 10, 0, 0, 10, 200, 0, 0, 0, 255, 255, 255};
    uint8_t labels[3] = {0, 1, 1};
    d.n = 3;
    d.rows = d.cols = 2;
    d.n_in = 4;
    d.images = images;
    d.labels = labels;
    int pred[3] = {-1, -1, -1};
    ck_assert_msg(plot_predict(&net, &d, pred, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(pred[0], 0);
    ck_assert_int_eq(pred[1], 1);
    ck_assert_int_eq(pred[2], 1);
    d.cols = 3;
    ck_assert_int_eq(plot_predict(&net, &d, pred, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    net_free(&net);
}
END_TEST

/* ---- curves --------------------------------------------------------------- */

static int count_str(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub))
        n++;
    return n;
}

/* Points in the k-th polyline of svg (0-based); -1 if there is none. */
static int polyline_points(const char *svg, int k)
{
    const char *p = svg;
    for (int i = 0; i <= k; i++) {
        p = strstr(p, "<polyline");
        if (!p)
            return -1;
        p++;
    }
    p = strstr(p, "points=\"");
    ck_assert_ptr_nonnull(p);
    p += 8;
    int n = 0;
    for (; *p != '"'; p++)
        n += *p == ',';
    return n;
}

START_TEST(test_curves_svg)
{
    err_t err;
    const char *a = tmp_path("run&a.csv"), *b = tmp_path("b.csv"), *out = tmp_path("c.svg");
    put_str(a, "epoch,train_loss,eval_loss,eval_accuracy,seconds,examples_per_s\n"
               "1,0.5,0.4,0.90,1.0,100\n2,0.3,0.35,0.93,1.0,100\n3,0.2,0.33,0.95,1.0,100\n");
    /* No evaluation set (-1), CRLF line ends, columns reordered, a blank line. */
    put_str(b, "train_loss,epoch,eval_accuracy,eval_loss\r\n0.6,1,-1,-1\r\n\r\n0.45,2,-1,-1\r\n");
    curves_run runs[2];
    ck_assert_msg(curves_read_csv(a, &runs[0], &err) == 0, "%s", err.msg);
    ck_assert_msg(curves_read_csv(b, &runs[1], &err) == 0, "%s", err.msg);
    ck_assert_int_eq(runs[0].n, 3);
    ck_assert_int_eq(runs[1].n, 2);
    ck_assert_int_eq(runs[1].epoch[1], 2);
    ck_assert_double_eq(runs[1].train_loss[1], 0.45);
    ck_assert_double_eq(runs[0].eval_acc[2], 0.95);

    ck_assert_msg(curves_write_svg(out, runs, 2, &err) == 0, "%s", err.msg);
    char *svg = (char *)tu_read_file(out, NULL);
    ck_assert_msg(strncmp(svg, "<svg ", 5) == 0, "starts: %.40s", svg);
    ck_assert_msg(strstr(svg, "</svg>\n") && svg[strlen(svg) - 1] == '\n', "not closed");
    ck_assert_int_eq(count_str(svg, "<"), count_str(svg, ">"));
    /* Run a: train loss, eval loss (loss panel), accuracy; run b: train loss. */
    ck_assert_int_eq(count_str(svg, "<polyline"), 4);
    ck_assert_int_eq(polyline_points(svg, 0), 3);
    ck_assert_int_eq(polyline_points(svg, 1), 3);
    ck_assert_int_eq(polyline_points(svg, 2), 2);
    ck_assert_int_eq(polyline_points(svg, 3), 3);
    ck_assert_int_eq(count_str(svg, "stroke-dasharray"), 1);
    ck_assert_int_eq(count_str(svg, "<circle"), 3 + 3 + 2 + 3);
    /* The legend names both files, escaped for XML. */
    ck_assert_msg(strstr(svg, "run&amp;a.csv</text>"), "legend lacks run a");
    ck_assert_msg(strstr(svg, "/b.csv</text>"), "legend lacks b");
    ck_assert_ptr_null(strstr(svg, "run&a.csv"));
    /* Axis labels and ticks: accuracy ticks in percent. */
    ck_assert_ptr_nonnull(strstr(svg, ">epoch</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">95</text>"));
    free(svg);

    err_clear(&err);
    ck_assert_int_eq(curves_write_svg("/nonexistent-dir/c.svg", runs, 2, &err), -1);
    ck_assert_int_eq(err.code, ERR_RUNTIME);
    ck_assert_msg(strstr(err.msg, "/nonexistent-dir/c.svg"), "%s", err.msg);
    curves_run_free(&runs[0]);
    curves_run_free(&runs[1]);
}
END_TEST

/* Reading path must fail naming it, with want in the message. */
static void expect_csv_fail(const char *name, const char *text, const char *want)
{
    err_t err;
    curves_run r;
    const char *p = tmp_path(name);
    if (text)
        put_str(p, text);
    err_clear(&err);
    ck_assert_int_eq(curves_read_csv(p, &r, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, p), "message does not name the file: %s", err.msg);
    ck_assert_msg(strstr(err.msg, want), "missing '%s' in: %s", want, err.msg);
    ck_assert_ptr_null(r.epoch);
}

START_TEST(test_curves_bad_csv)
{
    expect_csv_fail("missing.csv", NULL, "No such file");
    expect_csv_fail("empty.csv", "", "empty");
    expect_csv_fail("nohdr.csv", "1,0.5,0.4,0.9\n", ":1: no 'epoch' column");
    expect_csv_fail("short.csv", "epoch,train_loss,eval_loss,eval_accuracy\n1,0.5,0.4\n",
                    ":2: 3 values, expected 4");
    expect_csv_fail("nan.csv", "epoch,train_loss,eval_loss,eval_accuracy\n1,0.5,0.4,0.9\n2,x,0.4,0.9\n",
                    ":3: train_loss 'x' is not a number");
    expect_csv_fail("epoch.csv", "epoch,train_loss,eval_loss,eval_accuracy\n1.5,0.5,0.4,0.9\n",
                    ":2: epoch '1.5'");

    /* Only a header: nothing to draw. */
    err_t err;
    curves_run r;
    const char *p = tmp_path("hdr.csv");
    put_str(p, "epoch,train_loss,eval_loss,eval_accuracy\n");
    ck_assert_int_eq(curves_read_csv(p, &r, &err), 0);
    ck_assert_int_eq(r.n, 0);
    ck_assert_int_eq(curves_write_svg(tmp_path("x.svg"), &r, 1, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    curves_run_free(&r);
}
END_TEST

/* A metrics CSV as report.c writes it: rows of (epoch, train loss, eval
 * loss, score); regression: the score is R², else the accuracy, and the
 * RMSE and MAE are 2 epoch + 1 and epoch. */
static void put_metrics(const char *path, int regression, int n, const double (*rows)[4])
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", report_csv_header());
    for (int i = 0; i < n; i++) {
        train_epoch_stats s = {.epoch = (int)rows[i][0], .epochs = n, .train_loss = rows[i][1],
                               .eval_loss = rows[i][2], .eval_accuracy = rows[i][3],
                               .regression = regression, .eval_rmse = 2 * rows[i][0] + 1,
                               .eval_mae = rows[i][0],
                               .eval_r2 = rows[i][3]};
        char line[512];
        report_format_csv(&s, line, sizeof line);
        fprintf(f, "%s\n", line);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* A regression run's second panel is R² on a plain scale, negative values
 * included, and a third its RMSE and MAE from 0 up; a classification run
 * and a regression run on one chart are refused, naming both; a run
 * without evaluation goes with either. */
START_TEST(test_curves_regression)
{
    static const double regr[][4] = {{1, 1.2, 1.1, -0.25}, {2, 0.6, 0.5, 0.4}, {3, 0.3, 0.35, 0.75}};
    static const double cls[][4] = {{1, 0.5, 0.4, 0.90}, {2, 0.3, 0.35, 0.93}};
    static const double none[][4] = {{1, 0.9, -1, -1}, {2, 0.7, -1, -1}};
    err_t err;
    char r_csv[512], c_csv[512], n_csv[512], out[512];
    snprintf(r_csv, sizeof r_csv, "%s", tmp_path("regr.csv"));
    snprintf(c_csv, sizeof c_csv, "%s", tmp_path("cls.csv"));
    snprintf(n_csv, sizeof n_csv, "%s", tmp_path("none.csv"));
    snprintf(out, sizeof out, "%s", tmp_path("regr.svg"));
    put_metrics(r_csv, 1, 3, regr);
    put_metrics(c_csv, 0, 2, cls);
    put_metrics(n_csv, 0, 2, none);
    curves_run runs[3];
    ck_assert_msg(curves_read_csv(r_csv, &runs[0], &err) == 0, "%s", err.msg);
    ck_assert_msg(curves_read_csv(n_csv, &runs[1], &err) == 0, "%s", err.msg);
    ck_assert_msg(curves_read_csv(c_csv, &runs[2], &err) == 0, "%s", err.msg);
    ck_assert_int_eq(runs[0].regression, 1);
    ck_assert_int_eq(runs[1].regression, 0);
    ck_assert_int_eq(runs[2].regression, 0);
    ck_assert_double_eq(runs[0].eval_r2[0], -0.25);
    ck_assert_double_eq(runs[0].eval_rmse[2], 7);
    ck_assert_double_eq(runs[0].eval_mae[0], 1);
    ck_assert(isnan(runs[2].eval_rmse[0]) && isnan(runs[2].eval_mae[1]));

    /* The regression run with the one without evaluation. */
    ck_assert_msg(curves_write_svg(out, runs, 2, &err) == 0, "%s", err.msg);
    char *svg = (char *)tu_read_file(out, NULL);
    ck_assert_msg(strstr(svg, ">evaluation R²</text>"), "no R² title");
    ck_assert_ptr_null(strstr(svg, "accuracy"));
    ck_assert_ptr_null(strstr(svg, "(%)"));
    /* Loss: 2 + 1 series; R²: 3 points, the negative one too; RMSE and
     * MAE (dashed) of the regression run, 3 points each. */
    ck_assert_int_eq(count_str(svg, "<polyline"), 6);
    ck_assert_int_eq(polyline_points(svg, 3), 3);
    ck_assert_int_eq(polyline_points(svg, 4), 3);
    ck_assert_int_eq(polyline_points(svg, 5), 3);
    const char *err_panel = strstr(svg, ">evaluation RMSE (solid), MAE (dashed): target units, "
                                        "mean of targets</text>");
    ck_assert_msg(err_panel, "no RMSE and MAE panel");
    ck_assert_int_eq(count_str(err_panel, "<polyline"), 2);
    ck_assert_int_eq(count_str(err_panel, "stroke-dasharray"), 1);
    /* Its ticks run from 0 to the largest RMSE, 7, in the target's units. */
    ck_assert_ptr_nonnull(strstr(err_panel, "text-anchor=\"end\">0</text>"));
    ck_assert_ptr_nonnull(strstr(err_panel, "text-anchor=\"end\">7</text>"));
    ck_assert_ptr_null(strstr(err_panel, "text-anchor=\"end\">8</text>"));
    /* Plain ticks around -0.25..0.75, every 0.2 (not percent: no -25 or 75). */
    const char *r2_panel = strstr(svg, ">evaluation R²</text>");
    ck_assert_ptr_nonnull(strstr(r2_panel, ">-0.4</text>"));
    ck_assert_ptr_nonnull(strstr(r2_panel, ">0.8</text>"));
    ck_assert_ptr_null(strstr(r2_panel, ">80</text>"));
    free(svg);

    /* Classification and regression together: refused, both named. */
    err_clear(&err);
    ck_assert_int_eq(curves_write_svg(out, runs, 3, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "regr.csv is a regression run") && strstr(err.msg, "cls.csv") &&
                  strstr(err.msg, "plot them separately"), "%s", err.msg);
    /* The classification run alone keeps its percent panel. */
    ck_assert_msg(curves_write_svg(out, &runs[1], 2, &err) == 0, "%s", err.msg);
    svg = (char *)tu_read_file(out, NULL);
    ck_assert_ptr_nonnull(strstr(svg, ">evaluation accuracy (%)</text>"));
    ck_assert_ptr_null(strstr(svg, "R²"));
    ck_assert_ptr_null(strstr(svg, "RMSE")); /* two panels, as before */
    ck_assert_int_eq(count_str(svg, "<polyline"), 4);
    ck_assert_ptr_nonnull(strstr(svg, "height=\"650\""));
    free(svg);
    for (int k = 0; k < 3; k++)
        curves_run_free(&runs[k]);

    /* One file mixing both kinds of rows, and an R² that is not a number. */
    const char *p = tmp_path("mixed.csv");
    put_str(p, "epoch,train_loss,eval_loss,eval_accuracy,eval_r2\n1,0.5,0.4,0.8,0.8\n"
               "2,0.4,0.3,0.9,\n");
    ck_assert_int_eq(curves_read_csv(p, &runs[0], &err), -1);
    ck_assert_msg(strstr(err.msg, ":3: line 2 has a regression's eval_r2 but line 3 only a "
                         "classification's eval_accuracy"), "%s", err.msg);
    p = tmp_path("badr2.csv");
    put_str(p, "epoch,train_loss,eval_loss,eval_accuracy,eval_r2\n1,0.5,0.4,0.8,x\n");
    ck_assert_int_eq(curves_read_csv(p, &runs[0], &err), -1);
    ck_assert_msg(strstr(err.msg, ":2: eval_r2 'x' is not a number"), "%s", err.msg);
    p = tmp_path("badrmse.csv");
    put_str(p, "epoch,train_loss,eval_loss,eval_accuracy,eval_rmse,eval_r2\n1,0.5,0.4,0.8,y,0.8\n");
    ck_assert_int_eq(curves_read_csv(p, &runs[0], &err), -1);
    ck_assert_msg(strstr(err.msg, ":2: eval_rmse 'y' is not a number"), "%s", err.msg);
}
END_TEST

TU_MAIN_TMPDIR("plot", test_png_round_trip, test_png_errors, test_font,
        test_weights_png, test_weights_bad_shape, test_confusion_png,
        test_errors_png, test_predict, test_curves_svg,
        test_curves_bad_csv, test_curves_regression)
