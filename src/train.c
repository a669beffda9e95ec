/* train: see include/train.h. */
#include "train.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "optim.h"
#include "reduce.h"

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

/* Everything a run needs, allocated once before the first step. */
typedef struct {
    int n_shards, shard_size;
    size_t grad_stride;  /* floats between shard gradients (64-byte multiple) */
    net_ws *ws;          /* (n_shards) */
    float *in;           /* (n_shards, shard_size, n_in) */
    float *y;            /* (n_shards, shard_size, n_out) */
    float *grad_mem;     /* (n_shards, grad_stride) */
    float **grad;        /* grad[s] = grad_mem + s * grad_stride */
    double *loss;        /* (n_shards) cost sum of the shard's last step */
    int *perm;           /* (n_train) this epoch's order */
} trainer;

static void trainer_free(trainer *t)
{
    if (t->ws)
        for (int s = 0; s < t->n_shards; s++)
            net_ws_free(&t->ws[s]);
    free(t->ws);
    free(t->in);
    free(t->y);
    free(t->grad_mem);
    free(t->grad);
    free(t->loss);
    free(t->perm);
    memset(t, 0, sizeof *t);
}

static int trainer_create(trainer *t, const net_t *net, int n_train, int n_shards,
                          int batch_size, err_t *err)
{
    memset(t, 0, sizeof *t);
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    t->n_shards = n_shards;
    t->shard_size = (batch_size + n_shards - 1) / n_shards;
    t->grad_stride = (net->n_params + 15) & ~(size_t)15;
    double bytes = (double)n_shards * t->grad_stride * 4.0;
    t->ws = calloc((size_t)n_shards, sizeof *t->ws);
    t->in = malloc((size_t)n_shards * t->shard_size * n_in * sizeof(float));
    t->y = malloc((size_t)n_shards * t->shard_size * n_out * sizeof(float));
    t->grad_mem = aligned_alloc(64, (size_t)n_shards * t->grad_stride * sizeof(float));
    t->grad = malloc((size_t)n_shards * sizeof *t->grad);
    t->loss = calloc((size_t)n_shards, sizeof *t->loss);
    t->perm = malloc((size_t)n_train * sizeof *t->perm);
    if (!t->ws || !t->in || !t->y || !t->grad_mem || !t->grad || !t->loss || !t->perm) {
        trainer_free(t);
        return err_set(err, ERR_RUNTIME, "out of memory for training buffers (%d shards, %.1f MB of gradients)",
                       n_shards, bytes / 1e6);
    }
    for (int s = 0; s < n_shards; s++) {
        t->grad[s] = t->grad_mem + (size_t)s * t->grad_stride;
        if (net_ws_create(&t->ws[s], net, t->shard_size, err) != 0) {
            trainer_free(t);
            return -1;
        }
    }
    for (int i = 0; i < n_train; i++)
        t->perm[i] = i;
    return 0;
}

/* Forward and backward of examples perm[first .. first+B) into shard s's
 * gradient buffer; its cost sum goes to t->loss[s]. */
static void shard_step(const net_t *net, trainer *t, int s, const idx_dataset *d,
                       const int *idx, int B)
{
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    float *x = t->in + (size_t)s * t->shard_size * n_in;
    float *y = t->y + (size_t)s * t->shard_size * n_out;
    for (int i = 0; i < B; i++) {
        int e = idx[i];
        eval_scale_pixels(d->images + (size_t)e * n_in, n_in, x + (size_t)i * n_in);
        float *yi = y + (size_t)i * n_out;
        memset(yi, 0, (size_t)n_out * sizeof *yi);
        yi[d->labels[e]] = 1.0f;
    }
    net_forward(net, &t->ws[s], x, B);
    t->loss[s] = net_cost_sum(net, &t->ws[s], y, B);
    net_backward(net, &t->ws[s], x, y, B, t->grad[s]);
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
    int n_shards = o->deterministic ? (o->shards > 0 ? o->shards : train_auto_shards(B, net->n_params))
                                    : T;
    if (n_shards > B)
        n_shards = B;

    trainer t;
    if (trainer_create(&t, net, train->n, n_shards, B, err) != 0)
        return -1;
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
            /* The batch's split depends only on Bb and the shard count. */
            int S = (Bb + t.n_shards - 1) / t.n_shards;
            int active = (Bb + S - 1) / S;
#pragma omp for schedule(static)
            for (int s = 0; s < active; s++) {
                int lo = s * S, n = Bb - lo < S ? Bb - lo : S;
                shard_step(net, &t, s, train, t.perm + first + lo, n);
            }
            reduce_sum(t.grad, active, net->n_params, t.grad[0]);
            optim_sgd(net->params, t.grad[0], net->n_params, (float)(o->learning_rate / Bb));
#pragma omp master
            {
                for (int s = 0; s < active; s++)
                    loss_sum += t.loss[s];
                if (hooks && hooks->on_progress)
                    hooks->on_progress(hooks->user, epoch, (long long)first + Bb, train->n,
                                       loss_sum / (first + Bb));
            }
            /* The master's read of t.loss must finish before the next
             * batch's shards overwrite it. */
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
