/* train: see include/train.h. */
#include "train.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cores.h"
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

int train_threads(const train_opts *o, int batch_size, size_t n_params)
{
    int T = cores_resolve(o->threads);
    if (o->shard_buffers && !o->deterministic)
        return T; /* the split, so every bit, follows the threads: as asked */
    double per = o->work_per_thread > 0 ? o->work_per_thread : TRAIN_WORK_PER_THREAD;
    double useful = (double)batch_size * (double)n_params / per;
    return useful < 1 ? 1 : useful < T ? (int)useful : T;
}

int train_parts(const train_opts *o, int batch_size, size_t n_params)
{
    int n;
    if (!o->shard_buffers || !o->deterministic)
        n = train_threads(o, batch_size, n_params);
    else
        n = o->shards > 0 ? o->shards : train_auto_shards(batch_size, n_params);
    return n < batch_size ? n : batch_size;
}

/* Everything a run needs, allocated once before the first step. */
typedef struct {
    int shard_buffers;   /* 1: shards mode; 0: fused mode */
    int n_parts;         /* shards mode: shards; fused mode: row parts (one per thread) */
    int n_bufs;          /* workspaces and shard gradients: this rank's most shards (rank_bufs) */
    int max_b;           /* mini-batch size */
    size_t grad_stride;  /* floats between gradient buffers (64-byte multiple) */
    net_ws *ws;          /* shards mode: one per shard; fused mode: ws[0] for the batch */
    float *in;           /* (max_b, n_in) the batch's inputs, scaled to 0..1 */
    float *y;            /* (max_b, n_out) one-hot targets */
    float *grad_mem;     /* (n_bufs, or n_bufs + 1 across ranks; grad_stride) */
    float **grad;        /* grad[k] = grad_mem + k * grad_stride: the batch's shard s0 + k */
    float *sum;          /* the batch's gradient: grad[0], or across ranks grad[n_bufs] */
    double *loss;        /* (max_b) each example's cost, summed in order */
    const float *class_w; /* (outputs) class weights (train_opts.class_weights), or NULL */
    float *w;            /* (max_b) with class_w: each row's weight */
    int *perm;           /* (n_train) this epoch's order */
    int n_chunks;        /* fused mode: weight-row ranges for the gradient products */
    int (*chunks)[2];
    optim_params optim;  /* the update rule */
    optim_state opt;     /* its state (moments, step count), made once */
    float y_on, y_off;   /* the targets: y_on for the label, y_off elsewhere */
    int dropout;         /* any dropout rate > 0 */
    /* Augmentation (when aug.active): one scratch and one timer per part,
     * each used by the one thread that runs that part. */
    aug_params aug;
    int aug_on;
    uint64_t aug_key;    /* this epoch's: rng_mix(rng_mix(seed, AUG_DOMAIN), epoch) */
    size_t aug_stride;   /* floats of scratch per part */
    float *aug_scratch;  /* (n_parts, aug_stride) */
    double *aug_seconds; /* (n_parts) this epoch's time in aug_image */
    const reduce_group *group; /* the ranks sharing each batch's shards; NULL: none */
    int overlap;         /* with group: sum a layer across ranks while the next computes */
    float **span;        /* (n_parts) scratch of ranks_grads: shard s's gradient, or a layer of it */
} trainer;

/* Separates the dropout masks' draws from every other use of the seed. */
#define DROPOUT_DOMAIN 0x64726f706f7574ULL /* "dropout" */

static void trainer_free(trainer *t)
{
    if (t->ws)
        for (int k = 0; k < t->n_bufs; k++)
            net_ws_free(&t->ws[k]);
    free(t->ws);
    free(t->in);
    free(t->y);
    mem_free(t->grad_mem);
    free(t->grad);
    free(t->span);
    free(t->loss);
    free(t->w);
    free(t->perm);
    free(t->chunks);
    free(t->aug_scratch);
    free(t->aug_seconds);
    optim_state_free(&t->opt);
    memset(t, 0, sizeof *t);
}

#define CHUNK_MIN_WEIGHTS 16384 /* a chunk's gradient is 64 KB at least (in L2 for its step) */

/* Splits the network's weight rows into ranges of about equal work for the
 * fused gradient products (a row of layer l costs sizes[l+1] per example):
 * four per thread, of CHUNK_MIN_WEIGHTS weights at least (a small
 * network's step is short: each chunk adds a product and an optimizer
 * call). Results never depend on this split; only the balance between
 * threads does. */
static int plan_chunks(trainer *t, const net_t *net, int T)
{
    double total = 0;
    for (int l = 0; l < net->n_layers; l++)
        total += (double)net->sizes[l + 1] * net->sizes[l];
    double target = total / (4.0 * T) + 1;
    target = target < CHUNK_MIN_WEIGHTS ? CHUNK_MIN_WEIGHTS : target;
    int max_chunks = net_weight_rows(net) / 8 + net->n_layers + 1;
    t->chunks = malloc((size_t)max_chunks * sizeof *t->chunks);
    if (!t->chunks)
        return -1;
    int first = 0;
    t->n_chunks = 0;
    for (int l = 0; l < net->n_layers; l++) {
        int rows = net->sizes[l];
        double want = target / net->sizes[l + 1];
        int size = want < rows ? (int)want : rows; /* in double: huge layers overflow int */
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

/* Workspaces and shard gradient buffers one rank of `group` (NULL: this
 * process alone) needs: in shards mode a rank computes at most
 * ceil(n_parts / ranks) shards of a batch (reduce_block), the short last
 * batch included; fused mode has one. */
static int rank_bufs(int shard_buffers, int n_parts, const reduce_group *group)
{
    int ranks = group ? group->size : 1;
    return shard_buffers ? (n_parts + ranks - 1) / ranks : 1;
}

static int trainer_create(trainer *t, const net_t *net, int n_train, int shard_buffers,
                          int n_parts, const reduce_group *group, int batch_size, int T,
                          err_t *err)
{
    memset(t, 0, sizeof *t);
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    int n_ws = rank_bufs(shard_buffers, n_parts, group);
    int ws_rows = shard_buffers ? (batch_size + n_parts - 1) / n_parts : batch_size;
    /* Across ranks the sum has its own buffer: reduce_ranks_sum receives
     * the earlier ranks' partial sum into it while this rank's first shard
     * is still to be added. */
    int n_grads = n_ws + (group != NULL);
    t->group = group;
    t->shard_buffers = shard_buffers;
    t->n_parts = n_parts;
    t->n_bufs = n_ws;
    t->max_b = batch_size;
    t->grad_stride = (net->n_params + 15) & ~(size_t)15;
    t->ws = calloc((size_t)n_ws, sizeof *t->ws);
    t->in = malloc((size_t)batch_size * n_in * sizeof(float));
    t->y = malloc((size_t)batch_size * n_out * sizeof(float));
    t->grad_mem = mem_floats((size_t)n_grads * t->grad_stride);
    t->grad = malloc((size_t)n_grads * sizeof *t->grad);
    t->span = malloc((size_t)n_parts * sizeof *t->span);
    t->loss = calloc((size_t)batch_size, sizeof *t->loss);
    t->perm = malloc((size_t)n_train * sizeof *t->perm);
    if (!t->ws || !t->in || !t->y || !t->grad_mem || !t->grad || !t->span || !t->loss || !t->perm ||
        (!shard_buffers && plan_chunks(t, net, T) != 0)) {
        trainer_free(t);
        return err_set(err, ERR_RUNTIME, "out of memory for training buffers (%d gradient buffers of %.1f MB)",
                       n_grads, net->n_params * 4.0 / 1e6);
    }
    for (int s = 0; s < n_grads; s++)
        t->grad[s] = t->grad_mem + (size_t)s * t->grad_stride;
    t->sum = group ? t->grad[n_ws] : t->grad[0];
    for (int s = 0; s < n_ws; s++)
        if (net_ws_create(&t->ws[s], net, ws_rows, err) != 0) {
            trainer_free(t);
            return -1;
        }
    for (int i = 0; i < n_train; i++)
        t->perm[i] = i;
    return 0;
}

/* The optimizer's state, zeroed, once per run; the targets, the
 * workspaces' dropout and augmentation's scratch (for rows x cols images)
 * from the regularisation options. */
static int trainer_setup(trainer *t, const net_t *net, const train_opts *o, int rows, int cols,
                         err_t *err)
{
    t->optim = o->optim;
    if (optim_state_create(&t->opt, optim_kind_of(&o->optim), net->n_params, err) != 0) {
        trainer_free(t);
        return -1;
    }
    int classes = net->sizes[net->n_layers];
    t->y_off = (float)(o->label_smoothing / classes);
    t->y_on = (float)(1.0 - o->label_smoothing + o->label_smoothing / classes);
    t->class_w = o->class_weights;
    if (t->class_w && !(t->w = malloc((size_t)t->max_b * sizeof *t->w))) {
        trainer_free(t);
        return err_set(err, ERR_RUNTIME, "out of memory for the class weights");
    }
    for (int l = 0; l < net->n_layers; l++)
        t->dropout |= o->dropout[l] > 0;
    for (int k = 0; t->dropout && k < t->n_bufs; k++)
        if (net_ws_dropout(&t->ws[k], net, o->dropout, err) != 0) {
            trainer_free(t);
            return -1;
        }
    t->aug = o->augment;
    t->aug_on = aug_active(&o->augment);
    if (t->aug_on) {
        t->aug_stride = (aug_scratch_floats(rows, cols) + 15) & ~(size_t)15;
        t->aug_scratch = malloc((size_t)t->n_parts * t->aug_stride * sizeof *t->aug_scratch);
        t->aug_seconds = calloc((size_t)t->n_parts, sizeof *t->aug_seconds);
        if (!t->aug_scratch || !t->aug_seconds) {
            trainer_free(t);
            return err_set(err, ERR_RUNTIME, "out of memory for augmentation's scratch");
        }
    }
    return 0;
}

#define PREFETCH_AHEAD 4 /* examples fetched ahead of the one being converted */

/* Rows [lo, lo+n) of the batch, part `part` of it: inputs (augmented when
 * on) and targets of examples idx[0..n), forward, each example's cost into
 * t->loss[lo..], and every layer's delta. view holds these rows from its
 * own row 0. */
static void rows_forward_deltas(const net_t *net, trainer *t, net_ws *view,
                                const dataset *d, const int *idx, int lo, int n, int part)
{
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    float *x = t->in + (size_t)lo * n_in;
    float *y = t->y + (size_t)lo * n_out;
    double t0 = t->aug_on ? omp_get_wtime() : 0;
    for (int i = 0; i < n && i < PREFETCH_AHEAD; i++)
        dataset_prefetch(d, idx[i]);
    for (int i = 0; i < n; i++) {
        int e = idx[i];
        if (i + PREFETCH_AHEAD < n)
            dataset_prefetch(d, idx[i + PREFETCH_AHEAD]);
        if (t->aug_on)
            aug_image(&t->aug, rng_mix(t->aug_key, (uint64_t)e), d->images + (size_t)e * n_in,
                      d->rows, d->cols, t->aug_scratch + (size_t)part * t->aug_stride,
                      x + (size_t)i * n_in);
        else
            dataset_input(d, e, x + (size_t)i * n_in);
    }
    if (t->aug_on)
        t->aug_seconds[part] += omp_get_wtime() - t0;
    for (int i = 0; i < n; i++)
        eval_targets(d, idx[i], 1, n_out, t->y_on, t->y_off, y + (size_t)i * n_out);
    view->drop.example = idx; /* masks follow the examples, not the rows */
    net_forward(net, view, x, n);
    /* Per example, so the epoch's loss is the same sum for any split. */
    float *w = t->class_w ? t->w + lo : NULL; /* each example's class weight */
    for (int i = 0; w && i < n; i++)
        w[i] = t->class_w[d->labels[idx[i]]];
    net_cost_rows(net, view, y, n, t->loss + lo);
    for (int i = 0; w && i < n; i++)
        t->loss[lo + i] *= w[i];
    net_backward_deltas_weighted(net, view, y, w, n);
}

#define SGD_BLOCK 16384 /* floats per work item of a shared optimizer pass */
#define MAXNORM_UNITS 64 /* units per work item of the max-norm pass */

#define OVERLAP_ROWS 64 /* weight rows per work item of ranks_grads */

/* Shards mode across the ranks of an MPI job (t->group): this rank's
 * shards [s0, s1) of the batch have their deltas (shard s in slot s - s0
 * of t->ws and t->grad); afterwards t->sum holds the sum of every rank's
 * shard gradients in shard order (reduce_ranks_sum) and t->loss every
 * example's cost. Called by every
 * thread; only the master thread talks to MPI (MPI_THREAD_FUNNELED).
 * Without t->overlap the gradients are already in t->grad and are
 * summed in one go. With it they are computed here a layer at a time, top
 * layer first: once every thread has finished layer l's, the master sums
 * layer l across the ranks while the other threads compute layer l-1's, so
 * the talking hides behind their work (with one thread a rank nothing
 * hides: the layers go in turn). Each element gets the same additions
 * either way: the same bits. */
static void ranks_grads(const net_t *net, trainer *t, int s0, int s1, int active, int S, int Bb)
{
    if (t->overlap) {
        int last = net_weight_rows(net); /* layer l's rows: [first, last) */
        for (int l = net->n_layers - 1; l >= 0; l--) {
            int first = last - net->sizes[l];
            int per = (net->sizes[l] + OVERLAP_ROWS - 1) / OVERLAP_ROWS;
            int items = (s1 - s0) * per;
#pragma omp for schedule(dynamic, 1) nowait
            for (int it = 0; it < items; it++) {
                int s = s0 + it / per, r0 = first + it % per * OVERLAP_ROWS;
                int r1 = r0 + OVERLAP_ROWS < last ? r0 + OVERLAP_ROWS : last;
                int lo = s * S, n = Bb - lo < S ? Bb - lo : S;
                net_param_grads(net, &t->ws[s - s0], t->in + (size_t)lo * net->sizes[0], n, r0,
                                r1, t->grad[s - s0]);
            }
#pragma omp barrier
#pragma omp master
            {
                size_t begin, end;
                net_rows_span(net, first, last, &begin, &end);
                for (int s = s0; s < s1; s++)
                    t->span[s] = t->grad[s - s0] + begin;
                reduce_ranks_sum(t->group, t->span, active, end - begin, t->sum + begin);
            }
            last = first;
        }
    } else {
#pragma omp master
        {
            for (int s = s0; s < s1; s++)
                t->span[s] = t->grad[s - s0];
            reduce_ranks_sum(t->group, t->span, active, net->n_params, t->sum);
        }
    }
#pragma omp master
    reduce_ranks_gather(t->group, t->loss, active, S, Bb);
#pragma omp barrier
}

/* One mini-batch: its gradient SUM into t->sum, then the optimizer's
 * step at learning rate lr (optim_step); called by every thread of a
 * parallel region, which must pass a barrier before the next step reads
 * the parameters. Each thread reads the optimizer's run-level values
 * (optim_begin) before the first barrier in here; the master advances them
 * (optim_end) after this returns, before the step's closing barrier.
 * Fused mode: threads run the forward and deltas of their own rows, then the
 * weight gradients of their own weight rows, each summed over the whole
 * batch in example order, and step those rows at once, while their gradient
 * is still in cache. Shards mode: each shard's full gradient goes to its
 * own buffer, reduce_sum adds the buffers in shard order, then the step.
 * Both give the same bits for any thread count. */
static void batch_step(net_t *net, trainer *t, const dataset *d, const int *idx, int Bb,
                       double lr)
{
    int P = t->n_parts;
    optim_step_args oa;
    optim_begin(&t->optim, &t->opt, lr, Bb, net->n_params, &oa);
    if (!t->shard_buffers) {
#pragma omp for schedule(static)
        for (int p = 0; p < P; p++) {
            int lo = (int)((long long)Bb * p / P), hi = (int)((long long)Bb * (p + 1) / P);
            net_ws view;
            net_ws_rows(net, &t->ws[0], lo, hi - lo, &view);
            if (hi > lo)
                rows_forward_deltas(net, t, &view, d, idx + lo, lo, hi - lo, p);
        }
        /* nowait: the caller's barrier ends the step. */
#pragma omp for schedule(dynamic, 1) nowait
        for (int c = 0; c < t->n_chunks; c++) {
            size_t begin, end;
            net_param_grads(net, &t->ws[0], t->in, Bb, t->chunks[c][0], t->chunks[c][1],
                            t->grad[0]);
            net_rows_span(net, t->chunks[c][0], t->chunks[c][1], &begin, &end);
            optim_step(&oa, net, net->params, t->grad[0], t->opt.state, begin, end);
        }
        return;
    }
    /* The batch's split depends only on Bb and the shard count. */
    int S = (Bb + P - 1) / P;
    int active = (Bb + S - 1) / S;
    int s0, s1; /* this rank's shards: all of them without MPI */
    reduce_block(t->group, active, &s0, &s1);
    int grads_now = !t->group || !t->overlap; /* else ranks_grads computes them */
#pragma omp for schedule(static)
    for (int s = s0; s < s1; s++) {
        int lo = s * S, n = Bb - lo < S ? Bb - lo : S;
        rows_forward_deltas(net, t, &t->ws[s - s0], d, idx + lo, lo, n, s);
        if (grads_now)
            net_param_grads(net, &t->ws[s - s0], t->in + (size_t)lo * net->sizes[0], n, 0,
                            net_weight_rows(net), t->grad[s - s0]);
    }
    if (t->group)
        ranks_grads(net, t, s0, s1, active, S, Bb);
    else
        reduce_sum(t->grad, active, net->n_params, t->sum); /* s0 = 0 */
    long long blocks = (long long)((net->n_params + SGD_BLOCK - 1) / SGD_BLOCK);
#pragma omp for schedule(static) nowait
    for (long long b = 0; b < blocks; b++) {
        size_t begin = (size_t)b * SGD_BLOCK;
        size_t n = net->n_params - begin < SGD_BLOCK ? net->n_params - begin : SGD_BLOCK;
        optim_step(&oa, net, net->params, t->sum, t->opt.state, begin, begin + n);
    }
}


/* Whether every parameter is a finite number. */
static int params_finite(const net_t *net)
{
    for (size_t i = 0; i < net->n_params; i++)
        if (!isfinite(net->params[i]))
            return 0;
    return 1;
}

static int diverged(err_t *err, const train_opts *o, int epoch, int step, const char *what, double v)
{
    return err_set(err, ERR_RUNTIME,
                   "training diverged at epoch %d step %d (%s is %g): try a lower learning rate "
                   "(train.learning_rate is %g)",
                   epoch, step, what, v, o->learning_rate);
}

/* Sets up t->perm and *rng from a checkpointed state. Returns the epoch to
 * continue (its shuffle already done when *mid_epoch). */
static int restore(trainer *t, rng_t *rng, const train_state *r, int n_train, int n_batches,
                   int *mid_epoch, err_t *err)
{
    if (r->n_train != n_train || r->n_batches != n_batches || r->step < 0 ||
        r->step > n_batches || r->epoch < 1)
        return err_set(err, ERR_INPUT,
                       "the checkpoint is for %d examples in %d mini-batches (at step %d), "
                       "this run has %d in %d", r->n_train, r->n_batches, r->step, n_train, n_batches);
    if (r->opt.kind != t->opt.kind || r->opt.n_state != t->opt.n_state ||
        (r->opt.n_state && !r->opt.state))
        return err_set(err, ERR_INPUT,
                       "the checkpoint's optimizer is %s with %llu state values, this run's %s "
                       "with %llu", optim_kind_name((optim_kind)r->opt.kind),
                       (unsigned long long)r->opt.n_state, optim_kind_name((optim_kind)t->opt.kind),
                       (unsigned long long)t->opt.n_state);
    t->opt.t = r->opt.t;
    t->opt.beta1_pow = r->opt.beta1_pow;
    t->opt.beta2_pow = r->opt.beta2_pow;
    if (t->opt.n_state)
        memcpy(t->opt.state, r->opt.state, (size_t)t->opt.n_state * sizeof *t->opt.state);
    memcpy(t->perm, r->perm, (size_t)n_train * sizeof *t->perm);
    rng->state = r->rng;
    *mid_epoch = r->step < n_batches;
    return *mid_epoch ? r->epoch : r->epoch + 1;
}

/* The hook runs on every rank (rank 0 writes); a failure anywhere stops all. */
static int checkpoint(const net_t *net, const train_opts *o, const train_state *st, err_t *err)
{
    int rc = o->on_checkpoint ? o->on_checkpoint(o->ckpt_user, net, st, err) : 0;
    if (reduce_ranks_any(o->group, rc != 0) && rc == 0)
        return err_set(err, ERR_RUNTIME, "another rank could not save the checkpoint");
    return rc;
}

/* How run_steps ended: the epoch's loss so far, and the step after which
 * a stop signal (stop_at) or a non-finite loss (bad_at) ended it early. */
typedef struct {
    double loss_sum;
    int stop_at, bad_at;
    double bad_loss;
} steps_out;

/* Mini-batches b0.. of one epoch, all the threads of the enclosing
 * parallel region together (or one thread alone): each step is
 * batch_step, then the master sums the batch's loss, checks it, reports
 * progress and looks at the stop flag. The flags are read by every thread
 * after the barrier that ends the step, so all leave the loop together. */
static void steps_loop(net_t *net, trainer *t, const dataset *train, const train_opts *o,
                       const train_hooks *hooks, int epoch, int b0, int n_batches, int B,
                       steps_out *out)
{
    for (int b = b0; b < n_batches; b++) {
        int first = b * B;
        int Bb = train->n - first < B ? train->n - first : B;
        double lr = sched_rate(&o->sched, o->learning_rate, o->epochs, n_batches,
                               (long long)(epoch - 1) * n_batches + b);
        batch_step(net, t, train, t->perm + first, Bb, lr);
        if (o->max_norm > 0) {
            /* After every range of the step: a unit's column spans them all. */
#pragma omp barrier
            int units = net_units(net);
#pragma omp for schedule(static) nowait
            for (int u = 0; u < units; u += MAXNORM_UNITS)
                optim_max_norm(net, net->params, o->max_norm, u, u + MAXNORM_UNITS);
        }
#pragma omp master
        {
            optim_end(&t->optim, &t->opt);
            double batch_loss = 0.0;
            for (int i = 0; i < Bb; i++)
                batch_loss += t->loss[i];
            /* A cheap per-step check: the loss is already summed, and a
             * diverging run is stopped near where it went wrong. */
            if (!isfinite(batch_loss)) {
                out->bad_at = b + 1;
                out->bad_loss = batch_loss;
            }
            out->loss_sum += batch_loss;
            if (hooks && hooks->on_progress)
                hooks->on_progress(hooks->user, epoch, (long long)first + Bb, train->n,
                                   out->loss_sum / (first + Bb));
            /* Every rank stops after the same step. */
            int stop = reduce_ranks_any(t->group, o->stop && *o->stop);
            if (stop && b + 1 < n_batches)
                out->stop_at = b + 1;
        }
        /* The master's read of t->loss must finish before the next batch
         * overwrites it, and its flags must be seen by all. */
#pragma omp barrier
        if (out->bad_at || out->stop_at)
            break;
    }
}

/* One thread runs the steps outside any parallel region: its barriers and
 * work-sharing loops are then plain code, where in a team (even of one)
 * libgomp's every barrier makes a futex system call, a few microseconds
 * that a small network's step (digits: ~15 us) cannot afford. */
static void run_steps(net_t *net, trainer *t, const dataset *train, const train_opts *o,
                      const train_hooks *hooks, int epoch, int b0, int n_batches, int B, int T,
                      steps_out *out)
{
    if (T == 1) {
        steps_loop(net, t, train, o, hooks, epoch, b0, n_batches, B, out);
        return;
    }
#pragma omp parallel num_threads(T)
    steps_loop(net, t, train, o, hooks, epoch, b0, n_batches, B, out);
}

/* ---- the run: named steps ------------------------------------------------- */

/* What train_run carries from one step to the next. */
typedef struct {
    net_t *net;
    const dataset *train, *eval_set;
    const train_opts *o;
    const train_hooks *hooks;
    trainer t;
    eval_ctx ev;
    rng_t rng;           /* the shuffling rng */
    train_best *best;    /* early stopping's state; NULL when off */
    train_state st;      /* where the run stands, for checkpoints */
    int T, B, n_batches; /* threads, mini-batch size, mini-batches per epoch */
    int first_epoch;     /* 1, or where a resumed run goes on */
    int mid_epoch;       /* the resumed checkpoint stopped inside first_epoch */
} run_loop;

/* A step's answer when the run goes on; anything else is train_run's
 * return value (0 done, TRAIN_STOPPED, TRAIN_PAUSED, -1 error). */
#define GO_ON 2

/* Refuses arguments that cannot make a run. */
static int check_args(const net_t *net, const dataset *train, const dataset *eval_set,
                      const train_opts *o, err_t *err)
{
    if (eval_check_data(net, train, "training data", err) != 0)
        return -1;
    if (eval_set && eval_check_data(net, eval_set, "evaluation data", err) != 0)
        return -1;
    if (train->n < 1)
        return err_set(err, ERR_INPUT, "no training examples");
    if (o->class_weights && !train->labels)
        return err_set(err, ERR_INPUT, "class weights are for classes; this data has targets");
    if (aug_active(&o->augment) && !train->images)
        return err_set(err, ERR_INPUT, "augmentation distorts images; this training data is a "
                       "table of features");
    if (o->patience > 0 && (!eval_set || !o->best || !o->best->params))
        return err_set(err, ERR_INPUT, "early stopping needs an evaluation set and a buffer "
                       "for the best weights");
    if (o->group && (!o->shard_buffers || !o->deterministic))
        return err_set(err, ERR_INPUT, "%s splits a batch by threads, which cannot be shared "
                       "across %d MPI ranks: set train.reduce: shards (and keep "
                       "train.deterministic: true)",
                       o->shard_buffers ? "train.deterministic: false" : "train.reduce: fused",
                       o->group->size);
    return 0;
}

/* Early stopping's state at the start: the checkpoint's, or none yet. */
static void begin_best(run_loop *L)
{
    const train_opts *o = L->o;
    train_best *best = L->best;
    if (!best)
        return;
    if (o->resume && o->resume->best) {
        const train_best *rb = o->resume->best;
        if (rb != best) {
            memcpy(best->params, rb->params, L->net->n_params * sizeof *best->params);
            best->epoch = rb->epoch;
            best->since = rb->since;
            best->value = rb->value;
        }
    } else {
        /* A fresh run, or (cannot happen: patience is in the checkpoint's
         * identity) a checkpoint without the state: start counting now. */
        best->epoch = best->since = 0;
        best->value = 0;
    }
}

/* Every buffer of the run, made once; then the rng and, on a resume, the
 * position, the optimizer's and early stopping's state. */
static int begin(run_loop *L, err_t *err)
{
    const train_opts *o = L->o;
    net_t *net = L->net;
    L->B = o->batch_size < L->train->n ? o->batch_size : L->train->n;
    L->T = train_threads(o, L->B, net->n_params);
    int parts = train_parts(o, L->B, net->n_params);
    int failed =
        trainer_create(&L->t, net, L->train->n, o->shard_buffers, parts, o->group, L->B, L->T, err) != 0 ||
        trainer_setup(&L->t, net, o, L->train->rows, L->train->cols, err) != 0 ||
        /* Evaluation runs on as many threads as training: a net too small
         * to train on two is too small to evaluate on two (and a second
         * thread woken every epoch spins between epochs). */
        (L->eval_set && eval_ctx_create(&L->ev, net, L->T, L->eval_set->n, err) != 0);
    if (reduce_ranks_any(o->group, failed)) {
        if (!failed)
            err_set(err, ERR_RUNTIME, "another rank could not allocate its training buffers");
        return -1;
    }
    L->t.overlap = o->overlap;
    net->packed = L->B >= PACKED_MIN_BATCH;
    rng_seed(&L->rng, o->seed);
    L->n_batches = (L->train->n + L->B - 1) / L->B;
    L->first_epoch = 1;
    if (o->resume) {
        L->first_epoch = restore(&L->t, &L->rng, o->resume, L->train->n, L->n_batches,
                                 &L->mid_epoch, err);
        if (L->first_epoch < 0)
            return -1;
    }
    L->best = o->patience > 0 ? o->best : NULL;
    begin_best(L);
    L->st = (train_state){.n_batches = L->n_batches, .epochs = o->epochs,
                          .n_train = L->train->n, .perm = L->t.perm, .best = L->best};
    return 0;
}

/* The epoch's order (shuffled, or the checkpoint's on a resume) and its
 * dropout and augmentation keys; *b0 is the first mini-batch to run. */
static void start_epoch(run_loop *L, int epoch, int *b0, double *loss_sum)
{
    const train_opts *o = L->o;
    trainer *t = &L->t;
    *b0 = 0;
    *loss_sum = 0.0;
    if (L->mid_epoch && epoch == L->first_epoch) {
        *b0 = o->resume->step; /* the permutation came with the checkpoint */
        *loss_sum = o->resume->loss_sum;
    } else {
        rng_shuffle(&L->rng, t->perm, L->train->n);
    }
    for (int k = 0; t->dropout && k < t->n_bufs; k++)
        t->ws[k].drop.key = rng_mix(rng_mix(o->seed, DROPOUT_DOMAIN), (uint64_t)epoch);
    t->aug_key = rng_mix(rng_mix(o->seed, AUG_DOMAIN), (uint64_t)epoch);
    for (int p = 0; t->aug_on && p < t->n_parts; p++)
        t->aug_seconds[p] = 0;
}

/* After the epoch's mini-batches: a non-finite loss ends the run with an
 * error; a stop signal mid-epoch with a checkpoint of where it is. */
static int end_steps(run_loop *L, int epoch, const steps_out *out, err_t *err)
{
    train_state *st = &L->st;
    st->epoch = epoch;
    st->rng = L->rng.state;
    st->loss_sum = out->loss_sum;
    if (out->bad_at)
        return diverged(err, L->o, epoch, out->bad_at, "the mini-batch loss", out->bad_loss);
    if (out->stop_at) {
        /* Mid-epoch: save where we are; the epoch's report is for the
         * resumed run to print. */
        st->step = out->stop_at;
        st->stopping = 1;
        st->opt = L->t.opt;
        if (!params_finite(L->net))
            return diverged(err, L->o, epoch, out->stop_at, "a weight", NAN);
        return checkpoint(L->net, L->o, st, err) != 0 ? -1 : TRAIN_STOPPED;
    }
    st->step = L->n_batches;
    return GO_ON;
}

/* The epoch's figures, checked: a non-finite mean loss or weight ends the
 * run with an error. */
static int epoch_stats(run_loop *L, int epoch, int b0, double t0, double loss_sum,
                       train_epoch_stats *es, err_t *err)
{
    const train_opts *o = L->o;
    int n = L->train->n;
    *es = (train_epoch_stats){.epoch = epoch, .epochs = o->epochs, .n_examples = n};
    es->learning_rate = sched_rate(&o->sched, o->learning_rate, o->epochs, L->n_batches,
                                   (long long)epoch * L->n_batches - 1);
    es->seconds = omp_get_wtime() - t0;
    for (int p = 0; L->t.aug_on && p < L->t.n_parts; p++)
        es->augment_seconds += L->t.aug_seconds[p];
    /* A resumed epoch only ran its remaining mini-batches. */
    int done = n - (b0 * L->B < n ? b0 * L->B : n);
    es->examples_per_s = es->seconds > 0 ? done / es->seconds : 0.0;
    es->train_loss = loss_sum / n;
    es->eval_loss = es->eval_accuracy = -1.0;
    if (!isfinite(es->train_loss))
        return diverged(err, o, epoch, L->n_batches, "the epoch's mean loss", es->train_loss);
    if (!params_finite(L->net))
        return diverged(err, o, epoch, L->n_batches, "a weight", NAN);
    return GO_ON;
}

/* The evaluation set's accuracy and mean cost, when there is one. */
static int evaluate(run_loop *L, train_epoch_stats *es, err_t *err)
{
    if (!L->eval_set)
        return GO_ON;
    eval_result r;
    if (eval_run(&L->ev, L->net, L->eval_set, 0, &r, err) != 0)
        return -1;
    es->eval_loss = r.mean_cost;
    es->eval_accuracy = r.accuracy;
    if (L->eval_set->y) {
        es->regression = 1;
        es->eval_rmse = r.mean_rmse;
        es->eval_mae = r.mean_mae;
        es->eval_r2 = es->eval_accuracy = r.mean_r2;
    }
    return GO_ON;
}

/* Early stopping: keeps the best epoch's weights; 1 when patience is out. */
static int update_best(run_loop *L, const train_epoch_stats *es)
{
    const train_opts *o = L->o;
    train_best *best = L->best;
    if (!best)
        return 0;
    double v = o->monitor_loss ? es->eval_loss : es->eval_accuracy;
    if (best->epoch == 0 || (o->monitor_loss ? v < best->value : v > best->value)) {
        best->epoch = es->epoch;
        best->value = v;
        best->since = 0;
        memcpy(best->params, L->net->params, L->net->n_params * sizeof *best->params);
    } else {
        best->since++;
    }
    return best->since >= o->patience;
}

/* The end of an epoch, decided alike on every rank: the caller's hook or
 * early stopping may end the run; a stop signal (except during the last
 * epoch: the model is about to be saved anyway), pause_after or
 * checkpoint_every saves a checkpoint. */
static int end_epoch(run_loop *L, const train_epoch_stats *es, int out_of_patience, err_t *err)
{
    const train_opts *o = L->o;
    const train_hooks *hooks = L->hooks;
    int epoch = es->epoch;
    int early = hooks && hooks->on_epoch && hooks->on_epoch(hooks->user, es) != 0;
    early = reduce_ranks_any(o->group, early) | out_of_patience;
    L->st.stopping = reduce_ranks_any(o->group, o->stop && *o->stop) && epoch < o->epochs && !early;
    int pause = epoch == o->pause_after && epoch < o->epochs && !early && !L->st.stopping;
    if (L->st.stopping || pause || (o->checkpoint_every > 0 && epoch % o->checkpoint_every == 0)) {
        L->st.opt = L->t.opt;
        if (checkpoint(L->net, o, &L->st, err) != 0)
            return -1;
    }
    if (L->st.stopping)
        return TRAIN_STOPPED;
    if (pause)
        return TRAIN_PAUSED;
    return early ? 0 : GO_ON;
}

/* One epoch: its mini-batches, then its figures, evaluation, early
 * stopping, report and checkpoint. */
static int run_epoch(run_loop *L, int epoch, err_t *err)
{
    int b0;
    double loss_sum, t0 = omp_get_wtime();
    start_epoch(L, epoch, &b0, &loss_sum);
    steps_out out = {loss_sum, 0, 0, 0.0};
    run_steps(L->net, &L->t, L->train, L->o, L->hooks, epoch, b0, L->n_batches, L->B, L->T, &out);
    int rc = end_steps(L, epoch, &out, err);
    train_epoch_stats es;
    if (rc == GO_ON)
        rc = epoch_stats(L, epoch, b0, t0, out.loss_sum, &es, err);
    if (rc == GO_ON)
        rc = evaluate(L, &es, err);
    if (rc == GO_ON)
        rc = end_epoch(L, &es, update_best(L, &es), err);
    return rc;
}

int train_run(net_t *net, const dataset *train, const dataset *eval_set,
              const train_opts *o, const train_hooks *hooks, err_t *err)
{
    if (check_args(net, train, eval_set, o, err) != 0)
        return -1;
    run_loop L = {.net = net, .train = train, .eval_set = eval_set, .o = o, .hooks = hooks};
    int rc = begin(&L, err) != 0 ? -1 : GO_ON;
    for (int epoch = L.first_epoch; rc == GO_ON && epoch <= o->epochs; epoch++) {
        if (L.best && L.best->since >= o->patience)
            rc = 0; /* resumed from the checkpoint of the epoch that stopped it */
        else
            rc = run_epoch(&L, epoch, err);
    }
    trainer_free(&L.t);
    eval_ctx_free(&L.ev);
    return rc == GO_ON ? 0 : rc;
}

void train_balanced_weights(const dataset *d, int n_classes, float *w)
{
    long long count[256] = {0};
    for (int i = 0; i < d->n; i++)
        count[d->labels[i]]++;
    for (int c = 0; c < n_classes; c++)
        w[c] = count[c] ? (float)((double)d->n / ((double)n_classes * (double)count[c])) : 0.0f;
}

/* ---- memory estimate ----------------------------------------------------- */

double train_memory_bytes(int n_layers, const int *sizes, const train_opts *o, int n_train)
{
    double n_params = 0, units = 0;
    for (int l = 0; l < n_layers; l++) {
        n_params += (double)sizes[l + 1] * ((double)sizes[l] + 1);
        units += sizes[l + 1];
    }
    int B = o->batch_size < n_train ? o->batch_size : n_train;
    if (B < 1)
        B = 1;
    /* train_parts wants a size_t: clamp, it only matters for small nets. */
    size_t np = n_params < 1e15 ? (size_t)n_params : (size_t)1e15;
    int parts = train_parts(o, B, np);
    double n_ws = rank_bufs(o->shard_buffers, parts, o->group); /* this rank's */
    double n_grads = n_ws + (o->group != NULL);
    double ws_rows = o->shard_buffers ? (B + parts - 1) / parts : B;
    double f = sizeof(float);
    double dropped = 0; /* masked inputs, per workspace row */
    for (int l = 0; l < n_layers; l++)
        dropped += o->dropout[l] > 0 ? sizes[l] : 0;
    double bytes = n_params * f                      /* the weights */
                   + (o->patience > 0 ? n_params * f : 0) /* early stopping's best weights */
                   + n_ws * ws_rows * dropped * f    /* dropout's masked inputs */
                   + n_grads * (n_params + 16) * f   /* gradient buffers */
                   + optim_state_per_param(optim_kind_of(&o->optim)) * n_params * f /* moments */
                   + n_ws * ws_rows * 2 * units * f  /* activations and deltas */
                   + (double)B * (sizes[0] + sizes[n_layers]) * f + B * 8.0 /* batch */
                   + (double)n_train * sizeof(int);  /* the permutation */
    /* Evaluation: one workspace of 256 rows per thread, at most. */
    bytes += (double)cores_resolve(o->threads) * 256 * 2 * (units + sizes[0]) * f;
    return bytes;
}

/* Physical memory in bytes, or 0 when the system will not say. */
static double physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? (double)pages * (double)page : 0.0;
}

int train_check_memory(int n_layers, const int *sizes, const train_opts *o, int n_train,
                       double data_bytes, err_t *err)
{
    double need = train_memory_bytes(n_layers, sizes, o, n_train);
    double n_params = 0;
    for (int l = 0; l < n_layers; l++)
        n_params += (double)sizes[l + 1] * ((double)sizes[l] + 1);
    if (n_params * sizeof(float) >= (double)SIZE_MAX / 4 || need >= (double)SIZE_MAX / 4)
        return err_set(err, ERR_INPUT,
                       "network.sizes: %.0f parameters need about %.3g GB, more than this "
                       "machine can address", n_params, need / 1e9);
    double have = physical_memory();
    if (have > 0 && need + data_bytes > have)
        return err_set(err, ERR_INPUT,
                       "network.sizes, train.batch_size: training needs about %.2f GB "
                       "(%.0f parameters: %.2f GB of weights; gradients, workspaces and "
                       "%.2f GB of data besides), but this machine has %.2f GB of memory: "
                       "use smaller layers or a smaller batch",
                       (need + data_bytes) / 1e9, n_params, n_params * 4 / 1e9, data_bytes / 1e9,
                       have / 1e9);
    return 0;
}
