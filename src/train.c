/* train: see include/train.h. */
#include "train.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "mem.h"
#include "optim.h"
#include "reduce.h"

/* From this batch size on, the backward d W^T products use the packed
 * algorithm (net.h, packed), whose per-call packing is paid back by many
 * rows. */
#define PACKED_MIN_BATCH 32

#define AUTO_MAX_SHARDS 16
#define AUTO_MIN_SHARD 8                      /* examples, when the batch allows */
#define AUTO_GRAD_BYTES (32u * 1024 * 1024)  /* all shard gradients together */

int train_resolve_threads(int threads)
{
    if (threads > 0)
        return threads;
    int n = omp_get_num_procs();
    return n > 0 ? n : 1;
}

/* Enough shards to keep 2..16 cores busy, few enough that each shard's
 * matrices stay reasonably tall and that summing the shard gradients (one
 * buffer each) stays cheap next to computing them. */
int train_auto_shards(int batch_size, size_t n_params)
{
    int n = batch_size / AUTO_MIN_SHARD;
    if (n < 2)
        n = 2;
    if (n > AUTO_MAX_SHARDS)
        n = AUTO_MAX_SHARDS;
    size_t by_memory = AUTO_GRAD_BYTES / (n_params * sizeof(float) + 1);
    if (by_memory < 1)
        by_memory = 1;
    if ((size_t)n > by_memory)
        n = (int)by_memory;
    if (n > batch_size)
        n = batch_size;
    return n;
}

int train_parts(const train_opts *o, int batch_size, size_t n_params)
{
    int n;
    if (!o->shard_buffers || !o->deterministic)
        n = train_resolve_threads(o->threads);
    else
        n = o->shards > 0 ? o->shards : train_auto_shards(batch_size, n_params);
    return n < batch_size ? n : batch_size;
}

/* Everything a run needs, allocated once before the first step. */
typedef struct {
    int shard_buffers;   /* 1: shards mode; 0: fused mode */
    int n_parts;         /* shards mode: shards; fused mode: row parts (one per thread) */
    int max_b;           /* mini-batch size */
    size_t grad_stride;  /* floats between gradient buffers (64-byte multiple) */
    net_ws *ws;          /* shards mode: one per shard; fused mode: ws[0] for the batch */
    float *in;           /* (max_b, n_in) the batch's inputs, scaled to 0..1 */
    float *y;            /* (max_b, n_out) one-hot targets */
    float *grad_mem;     /* shards mode: (n_parts, grad_stride); fused: (grad_stride) */
    float **grad;        /* grad[s] = grad_mem + s * grad_stride */
    double *loss;        /* (max_b) each example's cost, summed in order */
    int *perm;           /* (n_train) this epoch's order */
    int n_chunks;        /* fused mode: unit ranges for the gradient products */
    int (*chunks)[2];
} trainer;

static void trainer_free(trainer *t)
{
    if (t->ws)
        for (int s = 0; s < (t->shard_buffers ? t->n_parts : 1); s++)
            net_ws_free(&t->ws[s]);
    free(t->ws);
    free(t->in);
    free(t->y);
    mem_free(t->grad_mem);
    free(t->grad);
    free(t->loss);
    free(t->perm);
    free(t->chunks);
    memset(t, 0, sizeof *t);
}

/* Splits the network's weight rows into ranges of about equal work for the
 * fused gradient products (a row of layer l costs sizes[l+1] per example).
 * Results never depend on this split; only the balance between threads does. */
static int plan_chunks(trainer *t, const net_t *net, int T)
{
    double total = 0;
    for (int l = 0; l < net->n_layers; l++)
        total += (double)net->sizes[l + 1] * net->sizes[l];
    double target = total / (4.0 * T) + 1;
    int max_chunks = net_weight_rows(net) / 8 + net->n_layers + 1;
    t->chunks = malloc((size_t)max_chunks * sizeof *t->chunks);
    if (!t->chunks)
        return -1;
    int first = 0;
    t->n_chunks = 0;
    for (int l = 0; l < net->n_layers; l++) {
        int rows = net->sizes[l];
        int size = (int)(target / net->sizes[l + 1]);
        size = size < 8 ? 8 : (size + 7) / 8 * 8; /* whole 8-row tiles */
        for (int u = 0; u < rows; u += size) {
            t->chunks[t->n_chunks][0] = first + u;
            t->chunks[t->n_chunks][1] = first + (u + size < rows ? u + size : rows);
            t->n_chunks++;
        }
        first += rows;
    }
    return 0;
}

static int trainer_create(trainer *t, const net_t *net, int n_train, int shard_buffers,
                          int n_parts, int batch_size, int T, err_t *err)
{
    memset(t, 0, sizeof *t);
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    int n_ws = shard_buffers ? n_parts : 1;
    int ws_rows = shard_buffers ? (batch_size + n_parts - 1) / n_parts : batch_size;
    int n_grads = shard_buffers ? n_parts : 1;
    t->shard_buffers = shard_buffers;
    t->n_parts = n_parts;
    t->max_b = batch_size;
    t->grad_stride = (net->n_params + 15) & ~(size_t)15;
    t->ws = calloc((size_t)n_ws, sizeof *t->ws);
    t->in = malloc((size_t)batch_size * n_in * sizeof(float));
    t->y = malloc((size_t)batch_size * n_out * sizeof(float));
    t->grad_mem = mem_floats((size_t)n_grads * t->grad_stride);
    t->grad = malloc((size_t)n_grads * sizeof *t->grad);
    t->loss = calloc((size_t)batch_size, sizeof *t->loss);
    t->perm = malloc((size_t)n_train * sizeof *t->perm);
    if (!t->ws || !t->in || !t->y || !t->grad_mem || !t->grad || !t->loss || !t->perm ||
        (!shard_buffers && plan_chunks(t, net, T) != 0)) {
        trainer_free(t);
        return err_set(err, ERR_RUNTIME, "out of memory for training buffers (%d gradient buffers of %.1f MB)",
                       n_grads, net->n_params * 4.0 / 1e6);
    }
    for (int s = 0; s < n_grads; s++)
        t->grad[s] = t->grad_mem + (size_t)s * t->grad_stride;
    for (int s = 0; s < n_ws; s++)
        if (net_ws_create(&t->ws[s], net, ws_rows, err) != 0) {
            trainer_free(t);
            return -1;
        }
    for (int i = 0; i < n_train; i++)
        t->perm[i] = i;
    return 0;
}

/* Rows [lo, lo+n) of the batch: inputs and targets of examples idx[0..n),
 * forward, each example's cost into t->loss[lo..], and every layer's delta.
 * view holds these rows from its own row 0. */
static void rows_forward_deltas(const net_t *net, trainer *t, net_ws *view,
                                const idx_dataset *d, const int *idx, int lo, int n)
{
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    float *x = t->in + (size_t)lo * n_in;
    float *y = t->y + (size_t)lo * n_out;
    for (int i = 0; i < n; i++) {
        int e = idx[i];
        eval_scale_pixels(d->images + (size_t)e * n_in, n_in, x + (size_t)i * n_in);
        float *yi = y + (size_t)i * n_out;
        memset(yi, 0, (size_t)n_out * sizeof *yi);
        yi[d->labels[e]] = 1.0f;
    }
    net_forward(net, view, x, n);
    /* Per example, so the epoch's loss is the same sum for any split. */
    for (int i = 0; i < n; i++) {
        net_ws one;
        net_ws_rows(net, view, i, 1, &one);
        t->loss[lo + i] = net_cost_sum(net, &one, y + (size_t)i * n_out, 1);
    }
    net_backward_deltas(net, view, y, n);
}

/* One mini-batch's gradient SUM into t->grad[0], called by every thread of
 * a parallel region. Fused mode: threads run the forward and deltas of
 * their own rows, then the weight gradients of their own units, each summed
 * over the whole batch in example order. Shards mode: each shard's full
 * gradient goes to its own buffer, then reduce_sum adds the buffers in
 * shard order. Both give the same bits for any thread count. */
static void batch_gradient(const net_t *net, trainer *t, const idx_dataset *d,
                           const int *idx, int Bb)
{
    int P = t->n_parts;
    if (!t->shard_buffers) {
#pragma omp for schedule(static)
        for (int p = 0; p < P; p++) {
            int lo = (int)((long long)Bb * p / P), hi = (int)((long long)Bb * (p + 1) / P);
            net_ws view;
            net_ws_rows(net, &t->ws[0], lo, hi - lo, &view);
            if (hi > lo)
                rows_forward_deltas(net, t, &view, d, idx + lo, lo, hi - lo);
        }
#pragma omp for schedule(dynamic, 1)
        for (int c = 0; c < t->n_chunks; c++)
            net_param_grads(net, &t->ws[0], t->in, Bb, t->chunks[c][0], t->chunks[c][1],
                            t->grad[0]);
        return;
    }
    /* The batch's split depends only on Bb and the shard count. */
    int S = (Bb + P - 1) / P;
    int active = (Bb + S - 1) / S;
#pragma omp for schedule(static)
    for (int s = 0; s < active; s++) {
        int lo = s * S, n = Bb - lo < S ? Bb - lo : S;
        rows_forward_deltas(net, t, &t->ws[s], d, idx + lo, lo, n);
        net_param_grads(net, &t->ws[s], t->in + (size_t)lo * net->sizes[0], n, 0,
                        net_weight_rows(net), t->grad[s]);
    }
    reduce_sum(t->grad, active, net->n_params, t->grad[0]);
}

static int check_data(const net_t *net, const idx_dataset *d, const char *what, err_t *err)
{
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    if (d->rows * d->cols != n_in)
        return err_set(err, ERR_INPUT, "the network takes %d inputs but the %s images have %dx%d = %d pixels",
                       n_in, what, d->rows, d->cols, d->rows * d->cols);
    for (int i = 0; i < d->n; i++)
        if (d->labels[i] >= n_out)
            return err_set(err, ERR_INPUT, "%s label %d (example %d) does not fit the network's %d outputs",
                           what, d->labels[i], i, n_out);
    return 0;
}

int train_run(net_t *net, const idx_dataset *train, const idx_dataset *eval_set,
              const train_opts *o, const train_hooks *hooks, err_t *err)
{
    if (check_data(net, train, "training", err) != 0)
        return -1;
    if (eval_set && check_data(net, eval_set, "evaluation", err) != 0)
        return -1;
    if (train->n < 1)
        return err_set(err, ERR_INPUT, "no training examples");

    int T = train_resolve_threads(o->threads);
    int B = o->batch_size < train->n ? o->batch_size : train->n;
    int parts = train_parts(o, B, net->n_params);

    trainer t;
    if (trainer_create(&t, net, train->n, o->shard_buffers, parts, B, T, err) != 0)
        return -1;
    net->packed = B >= PACKED_MIN_BATCH;
    rng_t rng;
    rng_seed(&rng, o->seed);
    int n_batches = (train->n + B - 1) / B;
    int rc = 0;

    for (int epoch = 1; epoch <= o->epochs && rc == 0; epoch++) {
        rng_shuffle(&rng, t.perm, train->n);
        double t0 = omp_get_wtime(), loss_sum = 0.0;

#pragma omp parallel num_threads(T)
        for (int b = 0; b < n_batches; b++) {
            int first = b * B;
            int Bb = train->n - first < B ? train->n - first : B;
            batch_gradient(net, &t, train, t.perm + first, Bb);
            optim_sgd(net->params, t.grad[0], net->n_params, (float)(o->learning_rate / Bb));
#pragma omp master
            {
                for (int i = 0; i < Bb; i++)
                    loss_sum += t.loss[i];
                if (hooks && hooks->on_progress)
                    hooks->on_progress(hooks->user, epoch, (long long)first + Bb, train->n,
                                       loss_sum / (first + Bb));
            }
            /* The master's read of t.loss must finish before the next
             * batch overwrites it. */
#pragma omp barrier
        }


        train_epoch_stats st = {0};
        st.epoch = epoch;
        st.epochs = o->epochs;
        st.seconds = omp_get_wtime() - t0;
        st.n_examples = train->n;
        st.examples_per_s = st.seconds > 0 ? train->n / st.seconds : 0.0;
        st.train_loss = loss_sum / train->n;
        st.eval_loss = st.eval_accuracy = -1.0;
        if (!isfinite(st.train_loss)) {
            rc = err_set(err, ERR_RUNTIME,
                         "training diverged in epoch %d (loss is %g): try a lower learning rate",
                         epoch, st.train_loss);
            break;
        }
        if (eval_set) {
            eval_result r;
            if (eval_dataset(net, eval_set, o->threads, 0, &r, err) != 0) {
                rc = -1;
                break;
            }
            st.eval_loss = r.mean_cost;
            st.eval_accuracy = r.accuracy;
        }
        if (hooks && hooks->on_epoch && hooks->on_epoch(hooks->user, &st) != 0)
            break;
    }
    trainer_free(&t);
    return rc;
}
