/* dataset: see include/dataset.h. */
#include "dataset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

float *dataset_floats(size_t n)
{
    return mem_floats_raw(n); /* freed by free(), as mem_free does */
}

void dataset_scale_pixels(const uint8_t *px, int n, float *out)
{
    for (int i = 0; i < n; i++)
        out[i] = px[i] * (1.0f / 255.0f);
}

void dataset_inputs(const dataset *d, int first, int count, float *out)
{
    size_t off = (size_t)first * d->n_in, len = (size_t)count * d->n_in;
    if (d->images)
        dataset_scale_pixels(d->images + off, (int)len, out);
    else
        memcpy(out, d->x + off, len * sizeof *out);
}

void dataset_input(const dataset *d, int e, float *out)
{
    dataset_inputs(d, e, 1, out);
}

void dataset_prefetch(const dataset *d, int e)
{
    size_t off = (size_t)e * d->n_in, bytes;
    const char *p;
    if (d->images) {
        p = (const char *)(d->images + off);
        bytes = (size_t)d->n_in;
    } else {
        p = (const char *)(d->x + off);
        bytes = (size_t)d->n_in * sizeof *d->x;
    }
    for (size_t b = 0; b < bytes; b += 64) /* a cache line at a time */
        __builtin_prefetch(p + b);
}

dataset dataset_view(const dataset *d, int first, int count)
{
    dataset v = *d;
    size_t in = (size_t)first * d->n_in;
    v.n = count;
    v.images = d->images ? d->images + in : NULL;
    v.x = d->x ? d->x + in : NULL;
    v.labels = d->labels ? d->labels + first : NULL;
    v.y = d->y ? d->y + (size_t)first * d->n_targets : NULL;
    return v;
}

void dataset_free(dataset *d)
{
    free(d->images);
    if (!d->x_borrowed)
        free(d->x);
    free(d->labels);
    free(d->y);
    memset(d, 0, sizeof *d);
}
