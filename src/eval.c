/* eval: see include/eval.h. */
#include "eval.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cores.h"
#include "detmath.h"


int eval_argmax(const float *v, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

void eval_result_free(eval_result *r)
{
    free(r->confusion);
    r->confusion = NULL;
}

int eval_check_data(const net_t *net, const dataset *d, const char *what, err_t *err)
{
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    if (d->n_in != n_in) {
        if (d->images)
            return err_set(err, ERR_INPUT, "%s: the images have %dx%d = %d pixels but the "
                           "network takes %d inputs", what, d->rows, d->cols, d->n_in, n_in);
        return err_set(err, ERR_INPUT, "%s: %d features per example but the network takes %d "
                       "inputs", what, d->n_in, n_in);
    }
    if (!d->images == !d->x)
        return err_set(err, ERR_INPUT, "%s: a data set holds either images or features", what);
    if (!d->labels == !d->y)
        return err_set(err, ERR_INPUT, "%s: a data set holds either labels or targets", what);
    if (d->y && d->n_targets != n_out)
        return err_set(err, ERR_INPUT, "%s: %d targets per example but the network has %d "
                       "outputs", what, d->n_targets, n_out);
    if (d->y && d->n_targets > EVAL_MAX_TARGETS)
        return err_set(err, ERR_INPUT, "%s: %d targets per example; a regression takes at most %d",
                       what, d->n_targets, EVAL_MAX_TARGETS);
    for (int t = 0; d->y && d->y_scale && t < d->n_targets; t++)
        if (!(d->y_scale[t] > 0) || !isfinite(d->y_scale[t]))
            return err_set(err, ERR_INPUT, "%s: target %d's scale is %g; it must be positive and "
                           "finite", what, t + 1, d->y_scale[t]);
    for (int i = 0; d->labels && i < d->n; i++)
        if (d->labels[i] >= n_out)
            return err_set(err, ERR_INPUT, "%s: label %d (example %d) does not fit the "
                           "network's %d outputs", what, d->labels[i], i, n_out);
    return 0;
}

/* The targets of examples [first, first + count) into y (count, n_out):
 * one-hot of the labels with `on` and `off`, or the regression targets. */
void eval_targets(const dataset *d, int first, int count, int n_out, float on, float off,
                  float *y)
{
    if (d->y) {
        memcpy(y, d->y + (size_t)first * n_out, (size_t)count * n_out * sizeof *y);
        return;
    }
    for (int i = 0; i < count; i++) {
        float *yi = y + (size_t)i * n_out;
        for (int k = 0; k < n_out; k++)
            yi[k] = off;
        yi[d->labels[first + i]] = on;
    }
}

void eval_ctx_free(eval_ctx *x)
{
    if (x->ws)
        for (int t = 0; t < x->threads; t++)
            net_ws_free(&x->ws[t]);
    free(x->ws);
    free(x->in);
    free(x->y);
    free(x->pred);
    free(x->cost);
    free(x->log_loss);
    free(x->sse);
    free(x->sae);
    free(x->count);
    memset(x, 0, sizeof *x);
}

int eval_ctx_create(eval_ctx *x, const net_t *net, int threads, int max_n, err_t *err)
{
    memset(x, 0, sizeof *x);
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    int n_batches = (max_n + EVAL_BATCH - 1) / EVAL_BATCH;
    int T = cores_resolve(threads);
    double useful = (double)max_n * (double)net->n_params / EVAL_WORK_PER_THREAD;
    if (threads <= 0 && useful < T) /* every core, as far as the work keeps them busy */
        T = useful < 1 ? 1 : (int)useful;
    x->threads = T < n_batches ? T : n_batches > 0 ? n_batches : 1;
    x->max_n = max_n;
    x->ws = calloc((size_t)x->threads, sizeof *x->ws);
    x->in = malloc((size_t)x->threads * EVAL_BATCH * n_in * sizeof *x->in);
    x->y = malloc((size_t)x->threads * EVAL_BATCH * n_out * sizeof *x->y);
    x->pred = malloc(((size_t)max_n + 1) * sizeof *x->pred);
    x->cost = malloc(((size_t)n_batches + 1) * sizeof *x->cost);
    x->log_loss = malloc(((size_t)n_batches + 1) * sizeof *x->log_loss);
    x->n_err = n_out <= EVAL_MAX_TARGETS ? n_out : 0;
    x->sse = malloc(((size_t)n_batches + 1) * x->n_err * sizeof *x->sse + 1);
    x->sae = malloc(((size_t)n_batches + 1) * x->n_err * sizeof *x->sae + 1);
    x->count = malloc(3 * (size_t)n_out * sizeof *x->count);
    if (!x->ws || !x->in || !x->y || !x->pred || !x->cost || !x->log_loss || !x->sse ||
        !x->sae || !x->count) {
        eval_ctx_free(x);
        return err_set(err, ERR_RUNTIME, "out of memory for evaluation");
    }
    for (int t = 0; t < x->threads; t++)
        if (net_ws_create(&x->ws[t], net, EVAL_BATCH, err) != 0) {
            eval_ctx_free(x);
            return -1;
        }
    return 0;
}

/* ---- metrics -------------------------------------------------------------- */

/* Sum over B examples of -ln p(true class): p = out[label] for softmax, the
 * outputs normalised to sum 1 for sigmoid; clamped below at FLT_MIN as the
 * cross-entropy cost clamps. */
static double batch_log_loss(const float *out, const uint8_t *labels, int B, int n_out,
                             net_act act)
{
    double s = 0.0;
    for (int i = 0; i < B; i++) {
        const float *a = out + (size_t)i * n_out;
        double p = a[labels[i]];
        if (act != ACT_SOFTMAX) {
            double sum = 0.0;
            for (int k = 0; k < n_out; k++)
                sum += a[k];
            p = sum > 0 ? p / sum : 0.0;
        }
        s -= dm_log(fmax(p, FLT_MIN));
    }
    return s;
}

/* Each target's sums over B examples of e^2 and |e|, e = output - target
 * (in double), into sse and sae (n). */
static void batch_errors(const float *out, const float *y, int B, int n, double *sse,
                         double *sae)
{
    for (int t = 0; t < n; t++)
        sse[t] = sae[t] = 0.0;
    for (int i = 0; i < B; i++)
        for (int t = 0; t < n; t++) {
            double e = (double)out[(size_t)i * n + t] - y[(size_t)i * n + t];
            sse[t] += e * e;
            sae[t] += fabs(e);
        }
}

/* Macro F1 from the predictions in x->pred and d's labels: F1_c =
 * 2 TP / (2 TP + FP + FN) = 2 TP / (true_c + predicted_c), over the
 * classes that are true or predicted at least once. */
static double macro_f1(eval_ctx *x, const dataset *d, int n_out)
{
    int *truth = x->count, *predicted = x->count + n_out, *tp = x->count + 2 * (size_t)n_out;
    memset(x->count, 0, 3 * (size_t)n_out * sizeof *x->count);
    for (int i = 0; i < d->n; i++) {
        truth[d->labels[i]]++;
        predicted[x->pred[i]]++;
        tp[x->pred[i]] += x->pred[i] == d->labels[i];
    }
    double sum = 0.0;
    int classes = 0;
    for (int c = 0; c < n_out; c++)
        if (truth[c] + predicted[c] > 0) {
            sum += 2.0 * tp[c] / ((double)truth[c] + predicted[c]);
            classes++;
        }
    return classes ? sum / classes : 0.0;
}

/* RMSE, MAE (through d->y_scale) and R^2 per target, and their means, from
 * the batches' sums (added in batch order) and d's targets (example order). */
static void regression_metrics(const eval_ctx *x, const dataset *d, int n_batches,
                               eval_result *r)
{
    int T = d->n_targets;
    r->n_targets = T;
    if (d->n == 0)
        return;
    for (int t = 0; t < T; t++) {
        double sse = 0.0, sae = 0.0, mean = 0.0, sst = 0.0;
        for (int bi = 0; bi < n_batches; bi++) {
            sse += x->sse[(size_t)bi * T + t];
            sae += x->sae[(size_t)bi * T + t];
        }
        for (int i = 0; i < d->n; i++)
            mean += d->y[(size_t)i * T + t];
        mean /= d->n;
        for (int i = 0; i < d->n; i++) {
            double c = d->y[(size_t)i * T + t] - mean;
            sst += c * c;
        }
        double scale = d->y_scale ? d->y_scale[t] : 1.0;
        r->rmse[t] = scale * sqrt(sse / d->n);
        r->mae[t] = scale * (sae / d->n);
        r->r2[t] = sst > 0 ? 1.0 - sse / sst : sse == 0 ? 1.0 : 0.0;
        r->mean_rmse += r->rmse[t];
        r->mean_mae += r->mae[t];
        r->mean_r2 += r->r2[t];
    }
    r->mean_rmse /= T;
    r->mean_mae /= T;
    r->mean_r2 /= T;
}

int eval_run(eval_ctx *x, const net_t *net, const dataset *d, int want_confusion,
             eval_result *r, err_t *err)
{
    memset(r, 0, sizeof *r);
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    if (eval_check_data(net, d, "evaluation data", err) != 0)
        return -1;
    if (d->n > x->max_n)
        return err_set(err, ERR_RUNTIME, "evaluation: %d examples, room for %d", d->n, x->max_n);
    if (want_confusion && n_out > EVAL_MAX_CLASSES)
        return err_set(err, ERR_INPUT, "a confusion matrix needs at most %d classes; the network "
                       "has %d outputs", EVAL_MAX_CLASSES, n_out);
    if (d->y && x->n_err != n_out)
        return err_set(err, ERR_RUNTIME, "evaluation: made for %d outputs, not %d", x->n_err, n_out);
    int n_batches = (d->n + EVAL_BATCH - 1) / EVAL_BATCH;

    net_act out_act = net->act[net->n_layers - 1];
    int probs = out_act == ACT_SOFTMAX || out_act == ACT_SIGMOID;

#pragma omp parallel for num_threads(x->threads) schedule(dynamic)
    for (int bi = 0; bi < n_batches; bi++) {
        int t = omp_get_thread_num();
        int start = bi * EVAL_BATCH;
        int B = d->n - start < EVAL_BATCH ? d->n - start : EVAL_BATCH;
        float *in = x->in + (size_t)t * EVAL_BATCH * n_in;
        float *y = x->y + (size_t)t * EVAL_BATCH * n_out;
        dataset_inputs(d, start, B, in);
        eval_targets(d, start, B, n_out, 1.0f, 0.0f, y);
        net_forward(net, &x->ws[t], in, B);
        const float *out = net_output(net, &x->ws[t]);
        for (int i = 0; i < B; i++)
            x->pred[start + i] = eval_argmax(out + (size_t)i * n_out, n_out);
        x->cost[bi] = net_cost_sum(net, &x->ws[t], y, B);
        if (d->labels && probs)
            x->log_loss[bi] = batch_log_loss(out, d->labels + start, B, n_out, out_act);
        if (d->y)
            batch_errors(out, y, B, n_out, x->sse + (size_t)bi * n_out,
                         x->sae + (size_t)bi * n_out);
    }

    r->n = d->n;
    r->n_classes = n_out;
    double total = 0.0;
    for (int bi = 0; bi < n_batches; bi++)
        total += x->cost[bi];
    r->mean_cost = d->n ? total / d->n : 0.0;
    if (d->labels) {
        for (int i = 0; i < d->n; i++)
            r->correct += x->pred[i] == d->labels[i];
        r->accuracy = d->n ? (double)r->correct / d->n : 0.0;
        r->macro_f1 = macro_f1(x, d, n_out);
        double ll = 0.0;
        for (int bi = 0; probs && bi < n_batches; bi++)
            ll += x->log_loss[bi];
        r->log_loss = !probs ? NAN : d->n ? ll / d->n : 0.0;
    } else {
        regression_metrics(x, d, n_batches, r);
    }
    if (want_confusion && d->labels) {
        r->confusion = calloc((size_t)n_out * n_out, sizeof *r->confusion);
        if (!r->confusion)
            return err_set(err, ERR_RUNTIME, "out of memory for the confusion matrix");
        for (int i = 0; i < d->n; i++)
            r->confusion[(size_t)d->labels[i] * n_out + x->pred[i]]++;
    }
    return 0;
}

int eval_dataset(const net_t *net, const dataset *d, int threads,
                 int want_confusion, eval_result *r, err_t *err)
{
    eval_ctx x;
    memset(r, 0, sizeof *r);
    if (eval_check_data(net, d, "evaluation data", err) != 0 ||
        eval_ctx_create(&x, net, threads, d->n, err) != 0)
        return -1;
    int rc = eval_run(&x, net, d, want_confusion, r, err);
    eval_ctx_free(&x);
    return rc;
}
