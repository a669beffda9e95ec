/* eval: see include/eval.h. */
#include "eval.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

#define EVAL_BATCH 256

int eval_argmax(const float *v, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

void eval_scale_pixels(const uint8_t *px, int n, float *out)
{
    for (int i = 0; i < n; i++)
        out[i] = px[i] * (1.0f / 255.0f);
}

void eval_result_free(eval_result *r)
{
    free(r->confusion);
    r->confusion = NULL;
}

int eval_dataset(const net_t *net, const idx_dataset *d, int threads,
                 int want_confusion, eval_result *r, err_t *err)
{
    memset(r, 0, sizeof *r);
    err_clear(err);
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    if (d->rows * d->cols != n_in)
        return err_set(err, ERR_INPUT, "the network takes %d inputs but the images have %dx%d = %d pixels",
                       n_in, d->rows, d->cols, d->rows * d->cols);
    for (int i = 0; i < d->n; i++)
        if (d->labels[i] >= n_out)
            return err_set(err, ERR_INPUT, "label %d of example %d does not fit the network's %d outputs",
                           d->labels[i], i, n_out);

    int n_batches = (d->n + EVAL_BATCH - 1) / EVAL_BATCH;
    int T = train_resolve_threads(threads);
    if (T > n_batches)
        T = n_batches > 0 ? n_batches : 1;
    /* Per-thread scratch; per-example predictions and per-batch costs so the
     * totals are summed in example order whatever the thread count. */
    net_ws *ws = calloc((size_t)T, sizeof *ws);
    float *in = malloc((size_t)T * EVAL_BATCH * n_in * sizeof *in);
    float *y = malloc((size_t)T * EVAL_BATCH * n_out * sizeof *y);
    int *pred = malloc(((size_t)d->n + 1) * sizeof *pred);
    double *cost = malloc(((size_t)n_batches + 1) * sizeof *cost);
    int ok = ws && in && y && pred && cost;
    for (int t = 0; ok && t < T; t++)
        if (net_ws_create(&ws[t], net, EVAL_BATCH, err) != 0)
            ok = 0;
    if (!ok) {
        if (ws)
            for (int t = 0; t < T; t++)
                net_ws_free(&ws[t]);
        free(ws); free(in); free(y); free(pred); free(cost);
        if (!err || err->code == ERR_OK) /* net_ws_create has not said why */
            err_set(err, ERR_RUNTIME, "out of memory for evaluation");
        return -1;
    }

#pragma omp parallel for num_threads(T) schedule(dynamic)
    for (int bi = 0; bi < n_batches; bi++) {
        int t = omp_get_thread_num();
        int start = bi * EVAL_BATCH;
        int B = d->n - start < EVAL_BATCH ? d->n - start : EVAL_BATCH;
        float *x = in + (size_t)t * EVAL_BATCH * n_in;
        float *yt = y + (size_t)t * EVAL_BATCH * n_out;
        eval_scale_pixels(d->images + (size_t)start * n_in, B * n_in, x);
        memset(yt, 0, (size_t)B * n_out * sizeof *yt);
        for (int i = 0; i < B; i++)
            yt[(size_t)i * n_out + d->labels[start + i]] = 1.0f;
        net_forward(net, &ws[t], x, B);
        const float *out = net_output(net, &ws[t]);
        for (int i = 0; i < B; i++)
            pred[start + i] = eval_argmax(out + (size_t)i * n_out, n_out);
        cost[bi] = net_cost_sum(net, &ws[t], yt, B);
    }

    r->n = d->n;
    r->n_classes = n_out;
    double total = 0.0;
    for (int bi = 0; bi < n_batches; bi++)
        total += cost[bi];
    for (int i = 0; i < d->n; i++)
        r->correct += pred[i] == d->labels[i];
    r->accuracy = d->n ? (double)r->correct / d->n : 0.0;
    r->mean_cost = d->n ? total / d->n : 0.0;
    int rc = 0;
    if (want_confusion) {
        r->confusion = calloc((size_t)n_out * n_out, sizeof *r->confusion);
        if (!r->confusion)
            rc = err_set(err, ERR_RUNTIME, "out of memory for the confusion matrix");
        else
            for (int i = 0; i < d->n; i++)
                r->confusion[(size_t)d->labels[i] * n_out + pred[i]]++;
    }
    for (int t = 0; t < T; t++)
        net_ws_free(&ws[t]);
    free(ws); free(in); free(y); free(pred); free(cost);
    return rc;
}
