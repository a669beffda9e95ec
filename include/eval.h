/* eval: a network's figures on a data set (forward passes only, batched,
 * threads over batches):
 *   every data set: the mean cost (the network's own cost, in the units
 *     the network sees: standardised targets for a regression);
 *   classification (d->labels): accuracy, macro F1, log loss and, when
 *     asked, the confusion matrix;
 *   regression (d->y): per target and averaged over the targets, RMSE,
 *     MAE (both in the target's own units, through d->y_scale) and R^2.
 * Every sum is in double and in a fixed order (each batch's, then the
 * batches' in order; or example order), so a result has the same bits for
 * any thread count. */
#ifndef NNTRAIN_EVAL_H
#define NNTRAIN_EVAL_H

#include "dataset.h"
#include "net.h"

#define EVAL_MAX_CLASSES 256 /* for a confusion matrix */
#define EVAL_MAX_TARGETS 64  /* targets of a regression: eval_result's arrays */
#define EVAL_BATCH 256       /* examples per forward pass */
/* Multiply-adds (examples x parameters) that make a second thread worth
 * waking for one evaluation: below it, it runs on one thread. A woken
 * thread keeps spinning for milliseconds afterwards (libgomp's default
 * wait), and on the 2-core VM measured that slowed the single-threaded
 * work after it: digits' final test (359 x 4810) on 2 threads made the
 * whole run 35-40 ms instead of 33. 2^26 is about a millisecond of work. */
#define EVAL_WORK_PER_THREAD 67108864.0

typedef struct {
    int n;
    double mean_cost; /* cost sum / n */
    int n_classes;    /* = output size */

    /* Classification (d->labels); 0 for a regression. */
    int correct;
    double accuracy;  /* correct / n */
    /* Macro F1: the mean over classes of F1_c = 2 TP_c / (2 TP_c + FP_c +
     * FN_c) (= 2 P R / (P + R)), the predicted class being the largest
     * output. A class absent from both the truth and the predictions
     * (0 / 0) is left out of the mean; one that is predicted but never
     * true, or true but never predicted, counts with F1 = 0. */
    double macro_f1;
    /* Log loss: the mean over examples of -ln p(true class), p clamped
     * below at FLT_MIN as the cross-entropy cost does. p is the output
     * itself for a softmax output, and for a sigmoid output (one-vs-rest)
     * the outputs normalised to sum 1 (p = a_true / sum_k a_k, 0 where
     * the sum is 0). Other outputs give no probabilities: NAN, which a
     * printer shows as "n/a" (or an empty CSV field). */
    double log_loss;
    long long *confusion; /* (n_classes, n_classes): [true][predicted]; NULL unless asked */

    /* Regression (d->y); 0 and zeros for a classification. Per target t
     * (t < n_targets <= EVAL_MAX_TARGETS), with e = output - target in
     * the network's units and s_t = d->y_scale[t] (1 without y_scale):
     *   rmse[t] = s_t sqrt(sum e^2 / n),  mae[t] = s_t sum |e| / n,
     *   r2[t]   = 1 - SSE / SST, SST = sum (y - mean y)^2 about this data
     *             set's own mean of target t: scale-free. When SST = 0 (a
     *             constant target) r2[t] is 1 if SSE = 0, else 0 (as
     *             scikit-learn's r2_score with force_finite).
     * The mean_* are the plain means over the targets. */
    int n_targets;
    double rmse[EVAL_MAX_TARGETS], mae[EVAL_MAX_TARGETS], r2[EVAL_MAX_TARGETS];
    double mean_rmse, mean_mae, mean_r2;
} eval_result;

/* Checks that d fits net: rows*cols inputs, every label below the output
 * size; a regression's targets: as many as the outputs, at most
 * EVAL_MAX_TARGETS, y_scale (when set) positive and finite. `what` names
 * the data in messages ("test", a file name...). */
int eval_check_data(const net_t *net, const dataset *d, const char *what, err_t *err);

/* Scratch memory for evaluating net on up to max_n examples with
 * `threads` threads (0: every core the work keeps busy, at least
 * EVAL_WORK_PER_THREAD each; the results are the same for any count; never
 * more than the batches), made once so that evaluating after every epoch of a
 * run allocates nothing. */
typedef struct {
    int threads, max_n;
    net_ws *ws;  /* (threads) one workspace of EVAL_BATCH rows each */
    float *in;   /* (threads, EVAL_BATCH, n_in) */
    float *y;    /* (threads, EVAL_BATCH, n_out) */
    int *pred;   /* (max_n) each example's predicted class */
    double *cost; /* (batches) each batch's cost sum, added in order */
    double *log_loss; /* (batches) each batch's sum of -ln p(true class) */
    double *sse, *sae; /* (batches, n_err) each batch's sums of e^2 and |e| per
                        * target; n_err = outputs, or 0 when there are more
                        * than EVAL_MAX_TARGETS (no regression fits then) */
    int n_err;
    int *count;  /* (3, outputs): true, predicted and true positives per class */
} eval_ctx;

int eval_ctx_create(eval_ctx *x, const net_t *net, int threads, int max_n, err_t *err);
void eval_ctx_free(eval_ctx *x);

/* Runs net over every example of d (d->n <= x->max_n; images scaled to
 * 0..1) and fills r. Totals are summed in a fixed order, whatever the
 * thread count. If want_confusion, allocates r->confusion (free with
 * eval_result_free; at most EVAL_MAX_CLASSES outputs); nothing else in r
 * is allocated. */
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
