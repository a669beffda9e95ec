/* plot: see include/plot.h. */
#include "plot.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

static const img_rgb WHITE = {255, 255, 255};
static const img_rgb BLACK = {0, 0, 0};
static const img_rgb GAP_GREY = {128, 128, 128};
static const img_rgb LINE_GREY = {210, 210, 210};
static const img_rgb TEXT_GREY = {170, 170, 170};
static const img_rgb BLUE = {20, 60, 200};
static const img_rgb RED = {200, 30, 30};
static const img_rgb GREEN = {0, 130, 40};

#define FONT_SCALE 2 /* labels: 6x10 pixel glyphs */
#define MARGIN 10

/* Columns of a near-square grid of n tiles. */
static int grid_cols(int n)
{
    int c = 1;
    while (c * c < n)
        c++;
    return c;
}

static int n_digits(long long v)
{
    int d = 1;
    for (; v >= 10; v /= 10)
        d++;
    return d;
}

/* A w x h picture, with the sizes checked in 64 bits first. */
static int create(img_t *im, long long w, long long h, img_rgb bg, err_t *err)
{
    if (w > INT_MAX || h > INT_MAX || w * h > IMG_MAX_PIXELS)
        return err_set(err, ERR_INPUT, "a %lldx%lld picture is too large (at most %lld pixels)",
                       w, h, IMG_MAX_PIXELS);
    return img_create(im, (int)w, (int)h, bg, err);
}

/* ---- weights ------------------------------------------------------------- */

int plot_weights(const net_t *net, int rows, int cols, int scale, int global, img_t *out,
                 err_t *err)
{
    out->px = NULL;
    if (rows < 1 || cols < 1 || (long long)rows * cols != net->sizes[0])
        return err_set(err, ERR_INPUT, "the model's first layer takes %d inputs, not %d x %d = %lld",
                       net->sizes[0], rows, cols, (long long)rows * cols);
    if (scale < 1 || scale > 64)
        return err_set(err, ERR_INPUT, "scale %d is out of range 1..64", scale);

    int n_in = net->sizes[0], n_units = net->sizes[1];
    const float *W = net->params + net->w_off[0]; /* W[i * n_units + j]: input i -> unit j */
    int gc = grid_cols(n_units), gr = (n_units + gc - 1) / gc;
    long long tw = (long long)cols * scale, th = (long long)rows * scale;
    if (create(out, gc * (tw + PLOT_GAP) + PLOT_GAP, gr * (th + PLOT_GAP) + PLOT_GAP, GAP_GREY,
               err) != 0)
        return -1;

    float layer_max = 0;
    for (size_t k = 0; k < (size_t)n_in * n_units; k++)
        if (fabsf(W[k]) > layer_max)
            layer_max = fabsf(W[k]);
    for (int j = 0; j < n_units; j++) {
        float m = layer_max;
        if (!global) {
            m = 0;
            for (int i = 0; i < n_in; i++)
                if (fabsf(W[(size_t)i * n_units + j]) > m)
                    m = fabsf(W[(size_t)i * n_units + j]);
        }
        int x0 = PLOT_GAP + (int)((j % gc) * (tw + PLOT_GAP));
        int y0 = PLOT_GAP + (int)((j / gc) * (th + PLOT_GAP));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                float w = W[((size_t)r * cols + c) * n_units + j];
                double t = m > 0 ? fabsf(w) / m : 0;
                img_fill_rect(out, x0 + c * scale, y0 + r * scale, scale, scale,
                              img_mix(WHITE, w >= 0 ? BLUE : RED, t));
            }
    }
    return 0;
}

/* ---- confusion matrix ---------------------------------------------------- */

/* Draws s centred on (cx, cy). */
static void text_centred(img_t *im, int cx, int cy, const char *s, int scale, img_rgb c)
{
    int w = img_text_width((int)strlen(s), scale);
    img_text(im, cx - w / 2, cy - IMG_GLYPH_H * scale / 2, s, scale, c);
}

int plot_confusion(const long long *conf, int n, img_t *out, err_t *err)
{
    out->px = NULL;
    if (n < 1 || n > EVAL_MAX_CLASSES)
        return err_set(err, ERR_INPUT, "%d classes: a confusion matrix has 1..%d", n,
                       EVAL_MAX_CLASSES);
    long long max_count = 0, max_off = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            long long v = conf[(size_t)i * n + j];
            if (v < 0)
                return err_set(err, ERR_INPUT, "confusion matrix cell [%d][%d] is negative", i, j);
            if (v > max_count)
                max_count = v;
            if (i != j && v > max_off)
                max_off = v;
        }

    const int fs = FONT_SCALE, line = IMG_GLYPH_H * fs + 8;
    int cell = img_text_width(n_digits(max_count), fs) + 10;
    if (cell < 30)
        cell = 30;
    int label_w = img_text_width(4, fs); /* "TRUE" */
    if (img_text_width(n_digits(n - 1), fs) > label_w)
        label_w = img_text_width(n_digits(n - 1), fs);
    int gx = MARGIN + label_w + 8, gy = MARGIN + 2 * line;
    if (create(out, (long long)gx + (long long)n * cell + MARGIN,
               (long long)gy + (long long)n * cell + MARGIN, WHITE, err) != 0)
        return -1;

    text_centred(out, gx + n * cell / 2, MARGIN + line / 2, "PREDICTED", fs, BLACK);
    img_text(out, MARGIN, MARGIN + line + (line - IMG_GLYPH_H * fs) / 2, "TRUE", fs, BLACK);
    char s[32];
    for (int k = 0; k < n; k++) {
        snprintf(s, sizeof s, "%d", k);
        text_centred(out, gx + k * cell + cell / 2, MARGIN + line + line / 2, s, fs, BLACK);
        int w = img_text_width((int)strlen(s), fs);
        img_text(out, gx - 8 - w, gy + k * cell + (cell - IMG_GLYPH_H * fs) / 2, s, fs, BLACK);
    }
    img_fill_rect(out, gx, gy, n * cell + 1, n * cell + 1, LINE_GREY);
    for (int i = 0; i < n; i++) {
        long long row = 0;
        for (int j = 0; j < n; j++)
            row += conf[(size_t)i * n + j];
        for (int j = 0; j < n; j++) {
            long long v = conf[(size_t)i * n + j];
            double t;
            img_rgb c;
            if (i == j) {
                t = row > 0 ? (double)v / row : 0;
                c = img_mix(WHITE, BLUE, t);
            } else {
                t = max_off > 0 ? (double)v / max_off : 0;
                c = img_mix(WHITE, RED, t);
            }
            int x = gx + j * cell, y = gy + i * cell;
            img_fill_rect(out, x + 1, y + 1, cell - 1, cell - 1, c);
            snprintf(s, sizeof s, "%lld", v);
            text_centred(out, x + cell / 2 + 1, y + cell / 2 + 1, s, fs,
                         t > 0.5 ? WHITE : v == 0 ? TEXT_GREY : BLACK);
        }
    }
    return 0;
}

/* ---- misclassified examples ---------------------------------------------- */

int plot_errors(const dataset *d, const int *pred, int max_images, int scale, img_t *out,
                err_t *err)
{
    out->px = NULL;
    if (max_images < 1)
        return err_set(err, ERR_INPUT, "at most %d images: need at least 1", max_images);
    if (scale < 1 || scale > 64)
        return err_set(err, ERR_INPUT, "scale %d is out of range 1..64", scale);
    if (d->rows < 1 || d->cols < 1)
        return err_set(err, ERR_INPUT, "the images are %dx%d", d->rows, d->cols);

    int n_wrong = 0, shown = 0;
    for (int i = 0; i < d->n; i++)
        if (pred[i] != d->labels[i])
            n_wrong++;
    shown = n_wrong < max_images ? n_wrong : max_images;

    /* Tile: the image, then its label line "P<pred> T<true>". */
    const int fs = FONT_SCALE, line = IMG_GLYPH_H * fs + 8, pad = 6;
    long long tw = (long long)d->cols * scale, th = (long long)d->rows * scale;
    long long cw = tw > img_text_width(9, fs) ? tw : img_text_width(9, fs); /* "P255 T255" */
    long long ch = th + line;
    int gc = shown < 10 ? (shown > 0 ? shown : 1) : 10, gr = (shown + gc - 1) / gc;

    char head1[96], head2[96];
    snprintf(head1, sizeof head1, "%d OF %d MISCLASSIFIED", n_wrong, d->n);
    if (shown < n_wrong)
        snprintf(head2, sizeof head2, "FIRST %d: P=PREDICTED T=TRUE", shown);
    else
        snprintf(head2, sizeof head2, "P=PREDICTED T=TRUE");
    long long head_w = img_text_width((int)strlen(head2), fs);
    if (img_text_width((int)strlen(head1), fs) > head_w)
        head_w = img_text_width((int)strlen(head1), fs);
    long long w = gc * (cw + pad) - pad + 2 * MARGIN, h = 2 * MARGIN + 2 * line + gr * (ch + pad);
    if (w < head_w + 2 * MARGIN)
        w = head_w + 2 * MARGIN;
    if (create(out, w, h, WHITE, err) != 0)
        return -1;

    img_text(out, MARGIN, MARGIN, head1, fs, BLACK);
    img_text(out, MARGIN, MARGIN + line, head2, fs, BLACK);
    size_t n_px = (size_t)d->rows * d->cols;
    int k = 0;
    for (int i = 0; i < d->n && k < shown; i++) {
        if (pred[i] == d->labels[i])
            continue;
        int x0 = MARGIN + (int)((k % gc) * (cw + pad));
        int y0 = MARGIN + 2 * line + (int)((k / gc) * (ch + pad));
        const uint8_t *px = d->images + (size_t)i * n_px;
        for (int r = 0; r < d->rows; r++)
            for (int c = 0; c < d->cols; c++) {
                uint8_t v = (uint8_t)(255 - px[(size_t)r * d->cols + c]);
                img_rgb g = {v, v, v};
                img_fill_rect(out, x0 + c * scale, y0 + r * scale, scale, scale, g);
            }
        char p[16], t[16];
        snprintf(p, sizeof p, "P%d ", pred[i]);
        snprintf(t, sizeof t, "T%d", d->labels[i]);
        int x = img_text(out, x0, y0 + (int)th + 4, p, fs, RED);
        img_text(out, x, y0 + (int)th + 4, t, fs, GREEN);
        k++;
    }
    return 0;
}

#define PREDICT_BATCH 256

int plot_predict(const net_t *net, const dataset *d, int *pred, err_t *err)
{
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    if ((long long)d->rows * d->cols != n_in)
        return err_set(err, ERR_INPUT, "the network takes %d inputs but the images have %dx%d = %d pixels",
                       n_in, d->rows, d->cols, d->rows * d->cols);
    net_ws ws;
    if (net_ws_create(&ws, net, PREDICT_BATCH, err) != 0)
        return -1;
    float *x = malloc((size_t)PREDICT_BATCH * n_in * sizeof *x);
    if (!x) {
        net_ws_free(&ws);
        return err_set(err, ERR_RUNTIME, "out of memory for predictions");
    }
    for (int start = 0; start < d->n; start += PREDICT_BATCH) {
        int B = d->n - start < PREDICT_BATCH ? d->n - start : PREDICT_BATCH;
        dataset_scale_pixels(d->images + (size_t)start * n_in, B * n_in, x);
        net_forward(net, &ws, x, B);
        const float *y = net_output(net, &ws);
        for (int b = 0; b < B; b++)
            pred[start + b] = eval_argmax(y + (size_t)b * n_out, n_out);
    }
    free(x);
    net_ws_free(&ws);
    return 0;
}
