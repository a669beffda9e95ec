/* eval: a network's accuracy, mean cost and confusion matrix on a data set
 * (forward passes only, batched, threads over batches). */
#ifndef NNTRAIN_EVAL_H
#define NNTRAIN_EVAL_H

#include "dataset.h"
#include "net.h"

#define EVAL_MAX_CLASSES 256 /* for a confusion matrix */
#define EVAL_BATCH 256       /* examples per forward pass */

typedef struct {
    int n;
    int correct;
    double accuracy;  /* correct / n */
    double mean_cost;
    int n_classes;    /* = output size */
    long long *confusion; /* (n_classes, n_classes): [true][predicted]; NULL unless asked */
} eval_result;

/* Checks that d fits net: rows*cols inputs, every label below the output
 * size. `what` names the data in messages ("test", a file name...). */
int eval_check_data(const net_t *net, const dataset *d, const char *what, err_t *err);

/* Scratch memory for evaluating net on up to max_n examples with `threads`
 * threads (0 = all), made once so that evaluating after every epoch of a
 * run allocates nothing. */
typedef struct {
    int threads, max_n;
    net_ws *ws;  /* (threads) one workspace of EVAL_BATCH rows each */
    float *in;   /* (threads, EVAL_BATCH, n_in) */
    float *y;    /* (threads, EVAL_BATCH, n_out) */
    int *pred;   /* (max_n) each example's predicted class */
    double *cost; /* (batches) each batch's cost sum, added in order */
} eval_ctx;

int eval_ctx_create(eval_ctx *x, const net_t *net, int threads, int max_n, err_t *err);
void eval_ctx_free(eval_ctx *x);

/* Runs net over every example of d (d->n <= x->max_n; images scaled to
 * 0..1) and fills r. Totals are summed in example order, whatever the
 * thread count. If want_confusion, allocates r->confusion (free with
 * eval_result_free; at most EVAL_MAX_CLASSES outputs). */
int eval_run(eval_ctx *x, const net_t *net, const dataset *d, int want_confusion,
             eval_result *r, err_t *err);

/* eval_ctx_create, eval_run and eval_ctx_free in one, for a single use. */
int eval_dataset(const net_t *net, const dataset *d, int threads,
                 int want_confusion, eval_result *r, err_t *err);
void eval_result_free(eval_result *r);

/* The targets of examples [first, first + count) of d into y (count,
 * n_out): labels one-hot (on for the class, off elsewhere), or a
 * regression's targets as they are. */
void eval_targets(const dataset *d, int first, int count, int n_out, float on, float off,
                  float *y);

/* Index of the largest of v[0..n) (first one on ties). */
int eval_argmax(const float *v, int n);


#endif
