/* eval: a network's accuracy, mean cost and confusion matrix on a data set
 * (forward passes only, batched, threads over batches). */
#ifndef NNTRAIN_EVAL_H
#define NNTRAIN_EVAL_H

#include "idx.h"
#include "net.h"

#define EVAL_MAX_CLASSES 256

typedef struct {
    int n;
    int correct;
    double accuracy;  /* correct / n */
    double mean_cost;
    int n_classes;    /* = output size */
    long long *confusion; /* (n_classes, n_classes): [true][predicted]; NULL unless asked */
} eval_result;

/* Runs net over every example of d (images scaled to 0..1). If want_confusion,
 * allocates r->confusion (free with eval_result_free). threads 0 = all.
 * Returns -1 on allocation failure or labels >= output size. */
int eval_dataset(const net_t *net, const idx_dataset *d, int threads,
                 int want_confusion, eval_result *r, err_t *err);
void eval_result_free(eval_result *r);

/* Index of the largest of v[0..n) (first one on ties). */
int eval_argmax(const float *v, int n);

/* Scales n bytes to floats in 0..1. */
void eval_scale_pixels(const uint8_t *px, int n, float *out);

#endif
