/* dataset: the one type every reader fills (src/idx.c for IDX images; the
 * table readers of src/data/ next) and that training, evaluation, predict,
 * serve and export consume.
 *
 *   n examples, each n_in inputs and a target: a class label, or
 *   n_targets numbers (regression).
 *
 * Inputs are stored in one of two ways:
 *   images (n, n_in) bytes 0..255: pixels, compact, scaled by 1/255 as
 *          they go into the network (dataset_inputs); rows * cols = n_in,
 *          which augmentation and the pictures need;
 *   x      (n, n_in) floats: a table's features, exactly as they go in
 *          (preprocessing has been applied already).
 * Targets likewise: labels (n) classes 0..255, or y (n, n_targets).
 * Training and the kernels see only dataset_inputs' floats and the
 * targets; they know nothing of files or formats. */
#ifndef NNTRAIN_DATASET_H
#define NNTRAIN_DATASET_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n;           /* examples */
    int n_in;        /* inputs per example */
    int rows, cols;  /* images: rows * cols = n_in; a table: 0, 0 */
    uint8_t *images; /* (n, n_in) pixels, or NULL */
    float *x;        /* (n, n_in) features, or NULL: exactly one of images, x */
    uint8_t *labels; /* (n) classes (classification), or NULL */
    float *y;        /* (n, n_targets) targets (regression), or NULL: one of labels, y */
    int n_targets;   /* 0 for classification */
    const double *y_scale; /* (n_targets) one unit of y in the target's own units, or NULL: 1 */
    int x_borrowed;  /* 1: x is a library caller's array, read only (never freed here) */
} dataset;

/* Room for n floats, not zeroed (every one is written before use), freed
 * by free(): big ones 2 MB aligned and offered as transparent huge pages,
 * so that filling them takes one page fault per 2 MB, not per 4 KB. */
float *dataset_floats(size_t n);

/* Pixels 0..255 as the network sees them: px[i] * (1/255), n of them. */
void dataset_scale_pixels(const uint8_t *px, int n, float *out);

/* The inputs of examples [first, first + count) as floats, (count, n_in)
 * into out: pixels scaled to 0..1, features copied. */
void dataset_inputs(const dataset *d, int first, int count, float *out);

/* The inputs of example e into out (n_in floats). */
void dataset_input(const dataset *d, int e, float *out);

/* Asks the CPU to start fetching example e's inputs into cache (a hint,
 * no effect on results): a shuffled batch reads its examples from
 * scattered places, and converting one while the next one arrives hides
 * the memory's latency. */
void dataset_prefetch(const dataset *d, int e);

/* Examples [first, first + count) of d, sharing its memory (never freed
 * through the view). */
dataset dataset_view(const dataset *d, int first, int count);

void dataset_free(dataset *d);

#endif
