/* Suite train: learning happens where it must (XOR, a separable set), and
 * the trained weights are bitwise identical for 1, 2, 3 and 4 threads. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "train.h"
#include "testutil.h"

/* A 2-class set of 4x4 images: class 0 has its ink on the left half,
 * class 1 on the right, with noise. Linearly separable. */
static void make_halves(dataset *d, int n, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    memset(d, 0, sizeof *d);
    d->n = n;
    d->rows = d->cols = 4;
    d->n_in = 16;
    d->images = malloc((size_t)n * 16);
    d->labels = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        int c = (int)rng_below(&r, 2);
        d->labels[i] = (uint8_t)c;
        for (int p = 0; p < 16; p++) {
            int left = (p % 4) < 2;
            int ink = (left == (c == 0)) ? 150 : 0;
            d->images[i * 16 + p] = (uint8_t)(ink + rng_below(&r, 100));
        }
    }
}

static void free_set(dataset *d)
{
    free(d->images);
    free(d->labels);
}

typedef struct {
    double first_loss, last_loss, last_acc;
    int epochs_seen;
} history;

static int record(void *user, const train_epoch_stats *s)
{
    history *h = user;
    if (s->epoch == 1)
        h->first_loss = s->train_loss;
    h->last_loss = s->train_loss;
    h->last_acc = s->eval_accuracy;
    h->epochs_seen++;
    return 0;
}

static void make_net(net_t *net, int n_layers, const int *sizes, const net_act *act,
                     net_cost cost, net_init_kind init, uint64_t seed)
{
    err_t err;
    ck_assert_msg(net_create(net, n_layers, sizes, act, cost, &err) == 0, "%s", err.msg);
    rng_t r;
    rng_seed(&r, seed);
    net_init_params(net, init, &r);
}

START_TEST(test_learns_xor)
{
    /* 1x2 "images": XOR of two pixels, each 0 or 255. */
    uint8_t img[8] = {0, 0, 0, 255, 255, 0, 255, 255}, lab[4] = {0, 1, 1, 0};
    dataset d = {.n = 4, .n_in = 1 * 2, .rows = 1, .cols = 2, .images = img, .labels = lab};
    int sizes[] = {2, 8, 2};
    net_act act[] = {ACT_TANH, ACT_SOFTMAX};
    net_t net;
    make_net(&net, 2, sizes, act, COST_CROSS_ENTROPY, INIT_XAVIER, 3);
    train_opts o = {.learning_rate = 0.5, .batch_size = 4, .epochs = 1500, .seed = 1,
                    .threads = 1, .shards = 0, .deterministic = 1};
    history h = {0};
    train_hooks hooks = {NULL, record, &h};
    err_t err;
    ck_assert_msg(train_run(&net, &d, &d, &o, &hooks, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(h.epochs_seen, 1500);
    ck_assert_msg(h.last_loss < 0.05 && h.last_loss < h.first_loss / 10, "loss %g -> %g",
                  h.first_loss, h.last_loss);
    ck_assert(h.last_acc == 1.0);
    net_free(&net);
}
END_TEST

START_TEST(test_loss_falls_accuracy_rises_on_separable_set)
{
    dataset tr, te;
    make_halves(&tr, 400, 1);
    make_halves(&te, 200, 2);
    int sizes[] = {16, 10, 2};
    net_act act[] = {ACT_SIGMOID, ACT_SIGMOID};
    net_t net;
    make_net(&net, 2, sizes, act, COST_QUADRATIC, INIT_NIELSEN, 4);
    eval_result before;
    ck_assert(eval_dataset(&net, &te, 1, 0, &before, NULL) == 0);
    train_opts o = {.learning_rate = 3.0, .batch_size = 10, .epochs = 10, .seed = 7,
                    .threads = 2, .work_per_thread = 1, .deterministic = 1};
    history h = {0};
    train_hooks hooks = {NULL, record, &h};
    ck_assert(train_run(&net, &tr, &te, &o, &hooks, NULL) == 0);
    ck_assert_msg(h.last_loss < h.first_loss * 0.5, "loss %g -> %g", h.first_loss, h.last_loss);
    ck_assert_msg(h.last_acc >= 0.97 && h.last_acc > before.accuracy, "accuracy %g -> %g",
                  before.accuracy, h.last_acc);
    net_free(&net);
    free_set(&tr);
    free_set(&te);
}
END_TEST

/* Trains o on 203 examples of make_halves (the last batch is short) with
 * the 16-12-7-2 network; returns a copy of the weights. */
static float *train_weights(const train_opts *o, net_cost cost, const net_act *act,
                            net_init_kind init, size_t *n)
{
    dataset tr;
    make_halves(&tr, 203, 11);
    int sizes[] = {16, 12, 7, 2};
    net_t net;
    make_net(&net, 3, sizes, act, cost, init, 5);
    ck_assert(train_run(&net, &tr, NULL, o, NULL, NULL) == 0);
    float *w = malloc(net.n_params * sizeof *w);
    memcpy(w, net.params, net.n_params * sizeof *w);
    *n = net.n_params;
    net_free(&net);
    free_set(&tr);
    return w;
}

/* 3 epochs with `threads` threads. shards < 0: fused mode; else shards mode
 * with that many shards (0 = auto). */
static train_opts opts_for(int threads, int shards, int deterministic, int batch, double lr)
{
    return (train_opts){.learning_rate = lr, .batch_size = batch, .epochs = 3, .seed = 9,
                        .threads = threads, .work_per_thread = 1, /* really that many */
                        .shards = shards < 0 ? 0 : shards,
                        .shard_buffers = shards >= 0, .deterministic = deterministic};
}

static float *train_copy_o(int threads, int shards, int deterministic, net_cost cost,
                           const net_act *act, int batch, net_init_kind init,
                           const optim_params *op, double lr, size_t *n)
{
    train_opts o = opts_for(threads, shards, deterministic, batch, lr);
    o.optim = *op;
    return train_weights(&o, cost, act, init, n);
}

/* The regularisers of train_opts, for train_copy_r. */
typedef struct {
    float dropout[NET_MAX_LAYERS];
    double max_norm, label_smoothing;
    optim_params optim;
    double lr;
    aug_params augment;
} reg_case;

/* The relu/tanh/softmax network with the case's regularisers. */
static float *train_copy_r(int threads, int shards, int batch, const reg_case *rc, size_t *n)
{
    train_opts o = opts_for(threads, shards, 1, batch, rc->lr);
    o.optim = rc->optim;
    o.max_norm = rc->max_norm;
    o.label_smoothing = rc->label_smoothing;
    memcpy(o.dropout, rc->dropout, sizeof o.dropout);
    o.augment = rc->augment;
    net_act act[] = {ACT_RELU, ACT_TANH, ACT_SOFTMAX};
    return train_weights(&o, COST_CROSS_ENTROPY, act, INIT_HE, n);
}

static float *train_copy_b(int threads, int shards, int deterministic, net_cost cost,
                           const net_act *act, int batch, net_init_kind init, size_t *n)
{
    optim_params sgd = {0};
    return train_copy_o(threads, shards, deterministic, cost, act, batch, init, &sgd, 0.2, n);
}

/* Batch 24: the forward pass uses the dot-product kernel; batch 40 (>= 32):
 * the packed one. */
static float *train_copy(int threads, int shards, int deterministic, net_cost cost,
                         const net_act *act, size_t *n)
{
    return train_copy_b(threads, shards, deterministic, cost, act, 24, INIT_HE, n);
}

START_TEST(test_bitwise_identical_with_packed_backward)
{
    net_act act[] = {ACT_RELU, ACT_LEAKY_RELU, ACT_SOFTMAX};
    const int modes[] = {-1, 4};
    for (int m = 0; m < 2; m++) {
        size_t n;
        float *ref = train_copy_b(1, modes[m], 1, COST_CROSS_ENTROPY, act, 40, INIT_HE, &n);
        for (int t = 2; t <= 3; t++) {
            float *w = train_copy_b(t, modes[m], 1, COST_CROSS_ENTROPY, act, 40, INIT_HE, &n);
            ck_assert_msg(memcmp(ref, w, n * sizeof *w) == 0, "%d threads differ", t);
            free(w);
        }
        free(ref);
    }
}
END_TEST

START_TEST(test_bitwise_identical_for_any_thread_count)
{
    net_act relu_sm[] = {ACT_RELU, ACT_TANH, ACT_SOFTMAX};
    net_act sig[] = {ACT_SIGMOID, ACT_SIGMOID, ACT_SIGMOID};
    const int modes[] = {-1, 0, 5}; /* fused; shards mode with auto and 5 shards */
    for (int m = 0; m < 3; m++) {
        int shards = modes[m];
        size_t n;
        float *ref = train_copy(1, shards, 1, COST_CROSS_ENTROPY, relu_sm, &n);
        for (int t = 2; t <= 4; t++) {
            size_t m;
            float *w = train_copy(t, shards, 1, COST_CROSS_ENTROPY, relu_sm, &m);
            ck_assert_uint_eq(n, m);
            ck_assert_msg(memcmp(ref, w, n * sizeof *w) == 0, "%d threads, %d shards differ", t, shards);
            free(w);
        }
        free(ref);
        ref = train_copy(1, shards, 1, COST_QUADRATIC, sig, &n);
        float *w = train_copy(3, shards, 1, COST_QUADRATIC, sig, &n);
        ck_assert(memcmp(ref, w, n * sizeof *w) == 0);
        free(w);
        free(ref);
    }
}
END_TEST

/* Momentum, Nesterov, Adam and AdamW (with weight decay) give the same bits
 * for 1, 2 and 3 threads, in fused mode and in shards mode, each with both
 * backward products (batch 24 and 40); and each differs from plain SGD. */
START_TEST(test_optimizers_bitwise_identical_for_any_thread_count)
{
    net_act act[] = {ACT_RELU, ACT_TANH, ACT_SOFTMAX};
    const struct {
        optim_params p;
        double lr;
    } cases[] = {
        {{OPTIM_NAME_SGD, 0.9, 0, 0.9, 0.999, 1e-8, 0.0}, 0.05},
        {{OPTIM_NAME_SGD, 0.8, 1, 0.9, 0.999, 1e-8, 0.01}, 0.05},
        {{OPTIM_NAME_ADAM, 0.0, 0, 0.9, 0.999, 1e-8, 0.0}, 0.01},
        {{OPTIM_NAME_ADAM, 0.0, 0, 0.8, 0.99, 1e-6, 0.01}, 0.01},
        {{OPTIM_NAME_ADAMW, 0.0, 0, 0.9, 0.999, 1e-8, 0.1}, 0.01},
    };
    const int modes[] = {-1, 5};
    const int batches[] = {24, 40};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int m = 0; m < 2; m++)
            for (int bi = 0; bi < 2; bi++) {
                size_t n, k;
                float *ref = train_copy_o(1, modes[m], 1, COST_CROSS_ENTROPY, act, batches[bi],
                                          INIT_HE, &cases[c].p, cases[c].lr, &n);
                optim_params sgd = {0};
                float *plain = train_copy_o(1, modes[m], 1, COST_CROSS_ENTROPY, act, batches[bi],
                                            INIT_HE, &sgd, cases[c].lr, &k);
                ck_assert_msg(memcmp(ref, plain, n * sizeof *ref) != 0, "case %zu is plain SGD", c);
                free(plain);
                for (int t = 2; t <= 3; t++) {
                    float *w = train_copy_o(t, modes[m], 1, COST_CROSS_ENTROPY, act, batches[bi],
                                            INIT_HE, &cases[c].p, cases[c].lr, &k);
                    ck_assert_msg(memcmp(ref, w, n * sizeof *w) == 0,
                                  "case %zu (%s), mode %d, batch %d: %d threads differ", c,
                                  optim_name_str(cases[c].p.name), modes[m], batches[bi], t);
                    free(w);
                }
                free(ref);
            }
}
END_TEST

/* Adam learns: the separable set, from a poor start, in a few epochs. */
START_TEST(test_adam_learns_separable_set)
{
    dataset tr, te;
    make_halves(&tr, 400, 3);
    make_halves(&te, 200, 4);
    int sizes[] = {16, 8, 2};
    net_act act[] = {ACT_RELU, ACT_SOFTMAX};
    net_t net;
    make_net(&net, 2, sizes, act, COST_CROSS_ENTROPY, INIT_HE, 7);
    train_opts o = {.learning_rate = 0.01, .batch_size = 16, .epochs = 5, .seed = 2,
                    .threads = 2, .work_per_thread = 1, .deterministic = 1,
                    .optim = {OPTIM_NAME_ADAMW, 0.0, 0, 0.9, 0.999, 1e-8, 0.01}};
    history h = {0};
    train_hooks hooks = {NULL, record, &h};
    ck_assert(train_run(&net, &tr, &te, &o, &hooks, NULL) == 0);
    ck_assert_msg(h.last_loss < h.first_loss * 0.5, "loss %g -> %g", h.first_loss, h.last_loss);
    ck_assert_msg(h.last_acc >= 0.97, "accuracy %g", h.last_acc);
    net_free(&net);
    free_set(&tr);
    free_set(&te);
}
END_TEST

/* The same bits on every kernel path and every thread count, pinned: a few
 * epochs of a 16-12-7-2 network from a fixed seed, for every activation
 * and cost, with the lane-sum (batch < 32) and the packed (batch >= 32)
 * backward product. The digest is FNV-1a over the trained parameters. A
 * path that drifts fails here on any machine, even where it is the only
 * path (an aarch64 machine runs neon and portable). */
static const struct {
    net_act act[3];
    net_cost cost;
    net_init_kind init;
    int batch;
    uint64_t golden;
} gcases[] = {
    {{ACT_SIGMOID, ACT_SIGMOID, ACT_SIGMOID}, COST_QUADRATIC, INIT_NIELSEN, 10, 0x8993360acea55181ULL},
    {{ACT_TANH, ACT_TANH, ACT_SOFTMAX}, COST_CROSS_ENTROPY, INIT_XAVIER, 40, 0xbb2b2c9cb100ca51ULL},
    {{ACT_RELU, ACT_RELU, ACT_SOFTMAX}, COST_CROSS_ENTROPY, INIT_HE, 5, 0xe43c4c4001de329dULL},
    {{ACT_LEAKY_RELU, ACT_TANH, ACT_SIGMOID}, COST_CROSS_ENTROPY, INIT_HE, 33, 0xcc7228af4d162303ULL},
    {{ACT_LINEAR, ACT_SIGMOID, ACT_SOFTMAX}, COST_QUADRATIC, INIT_XAVIER, 7, 0x0330ad13d4056128ULL},
    {{ACT_RELU, ACT_LEAKY_RELU, ACT_LINEAR}, COST_QUADRATIC, INIT_HE, 64, 0x6b7e29b49e0d232bULL},
};

START_TEST(test_golden_digests_on_every_path)
{
    int bad = 0;
    for (size_t c = 0; c < sizeof gcases / sizeof gcases[0]; c++) {
        uint64_t first = 0;
        int runs = 0;
        TU_FOREACH_PATH(path) {
            for (int t = 1; t <= 3; t += 2) {
                size_t n;
                float *w = train_copy_b(t, -1, 1, gcases[c].cost, gcases[c].act, gcases[c].batch,
                                        gcases[c].init, &n);
                uint64_t d = tu_fnv1a(w, n * sizeof *w);
                free(w);
                if (runs++ == 0)
                    first = d;
                if (d != first || d != gcases[c].golden) {
                    printf("train golden case %zu %s %d threads: 0x%016llxULL%s\n", c, path, t,
                           (unsigned long long)d, d != first ? " (differs from the first path)" : "");
                    bad++;
                }
            }
        }
    }
    ck_assert_msg(bad == 0, "%d runs differ from the pinned digests (stdout lists them)", bad);
}
END_TEST

/* The invariance test must be able to fail: in shards mode a different
 * shard count groups the sum differently and gives different bits, while
 * fused mode sums every example in order and equals shards mode with one
 * shard. */
START_TEST(test_shard_count_changes_bits)
{
    net_act act[] = {ACT_RELU, ACT_TANH, ACT_SOFTMAX};
    size_t n;
    float *a = train_copy(1, 1, 1, COST_CROSS_ENTROPY, act, &n);
    float *b = train_copy(1, 6, 1, COST_CROSS_ENTROPY, act, &n);
    float *f = train_copy(2, -1, 1, COST_CROSS_ENTROPY, act, &n);
    ck_assert(memcmp(a, b, n * sizeof *a) != 0);
    ck_assert(memcmp(a, f, n * sizeof *a) == 0);
    free(a);
    free(b);
    free(f);
}
END_TEST

START_TEST(test_auto_shards_depends_on_batch_and_size_only)
{
    ck_assert_int_eq(train_auto_shards(10, 24000), 2);
    ck_assert_int_eq(train_auto_shards(64, 100000), 8);
    ck_assert_int_eq(train_auto_shards(1, 100), 1);
    ck_assert_int_eq(train_auto_shards(1024, 100), 16);
    /* Huge networks: fewer shards, so the gradient buffers stay small. */
    ck_assert_int_le(train_auto_shards(128, 1863690), 4);
    ck_assert_int_ge(train_auto_shards(128, 1863690), 1);
}
END_TEST

START_TEST(test_rejects_mismatched_data)
{
    dataset tr;
    make_halves(&tr, 20, 1);
    int sizes[] = {9, 2}; /* images have 16 pixels */
    net_act act[] = {ACT_SOFTMAX};
    net_t net;
    make_net(&net, 1, sizes, act, COST_CROSS_ENTROPY, INIT_HE, 1);
    train_opts o = {.learning_rate = 0.1, .batch_size = 4, .epochs = 1, .seed = 1, .threads = 1,
                    .deterministic = 1};
    err_t err;
    ck_assert_int_eq(train_run(&net, &tr, NULL, &o, NULL, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert(strstr(err.msg, "16") && strstr(err.msg, "9"));
    net_free(&net);

    int sizes1[] = {16, 1}; /* labels 0 and 1 need 2 outputs */
    net_act sig[] = {ACT_SIGMOID};
    make_net(&net, 1, sizes1, sig, COST_QUADRATIC, INIT_HE, 1);
    ck_assert_int_eq(train_run(&net, &tr, NULL, &o, NULL, &err), -1);
    ck_assert(strstr(err.msg, "label") != NULL);
    net_free(&net);
    free_set(&tr);
}
END_TEST

START_TEST(test_divergence_is_an_error)
{
    dataset tr;
    make_halves(&tr, 100, 1);
    int sizes[] = {16, 8, 2};
    net_act act[] = {ACT_LINEAR, ACT_LINEAR};
    net_t net;
    make_net(&net, 2, sizes, act, COST_QUADRATIC, INIT_HE, 1);
    train_opts o = {.learning_rate = 1e4, .batch_size = 5, .epochs = 5, .seed = 1, .threads = 1,
                    .deterministic = 1};
    err_t err;
    ck_assert_int_eq(train_run(&net, &tr, NULL, &o, NULL, &err), -1);
    ck_assert_int_eq(err.code, ERR_RUNTIME);
    ck_assert(strstr(err.msg, "learning rate") != NULL);
    net_free(&net);
    free_set(&tr);
}
END_TEST

/* Early stopping: the run stops `patience` epochs after its best one, and
 * the weights it keeps are exactly those a run of best.epoch epochs ends
 * with; net itself ends with the last epoch's. */
static void early_case(int monitor_loss, double lr)
{
    dataset tr, va;
    make_halves(&tr, 300, 1);
    make_halves(&va, 60, 2);
    /* A fifth of the validation labels wrong: the more confident the net
     * grows, the worse its validation loss, which so turns back up. */
    for (int i = 0; i < va.n; i += 5)
        va.labels[i] ^= 1;
    int sizes[] = {16, 8, 2};
    net_act act[] = {ACT_TANH, ACT_SOFTMAX};
    net_t net, ref;
    make_net(&net, 2, sizes, act, COST_CROSS_ENTROPY, INIT_XAVIER, 4);
    train_best best = {malloc(net.n_params * sizeof(float)), 0, 0, 0};
    train_opts o = {.learning_rate = lr, .batch_size = 10, .epochs = 80, .seed = 7, .threads = 2,
                    .work_per_thread = 1,
                    .deterministic = 1, .patience = 3, .monitor_loss = monitor_loss, .best = &best};
    history h = {0};
    train_hooks hooks = {NULL, record, &h};
    err_t err;
    ck_assert_msg(train_run(&net, &tr, &va, &o, &hooks, &err) == 0, "%s", err.msg);
    ck_assert_int_ge(best.epoch, 2); /* not trivially the first */
    ck_assert_msg(h.epochs_seen == best.epoch + 3 && h.epochs_seen < 80,
                  "monitor %d: best epoch %d, %d epochs run", monitor_loss, best.epoch, h.epochs_seen);
    ck_assert_int_eq(best.since, 3);
    make_net(&ref, 2, sizes, act, COST_CROSS_ENTROPY, INIT_XAVIER, 4);
    train_opts plain = o;
    plain.patience = 0;
    plain.best = NULL;
    plain.epochs = best.epoch;
    ck_assert(train_run(&ref, &tr, &va, &plain, NULL, NULL) == 0);
    ck_assert_msg(memcmp(ref.params, best.params, net.n_params * sizeof(float)) == 0,
                  "the kept weights are not those of epoch %d", best.epoch);
    ck_assert(memcmp(ref.params, net.params, net.n_params * sizeof(float)) != 0);
    eval_result r;
    ck_assert(eval_dataset(&ref, &va, 1, 0, &r, NULL) == 0);
    ck_assert(monitor_loss ? r.mean_cost == best.value : r.accuracy == best.value);
    net_free(&ref);
    net_free(&net);
    free(best.params);
    free_set(&tr);
    free_set(&va);
}

START_TEST(test_early_stopping_keeps_the_best_epoch)
{
    early_case(0, 0.003); /* best epoch 4 */
    early_case(1, 0.003); /* best epoch 11 */
}
END_TEST

START_TEST(test_early_stopping_needs_an_evaluation_set)
{
    dataset tr;
    make_halves(&tr, 50, 1);
    int sizes[] = {16, 2};
    net_act act[] = {ACT_SOFTMAX};
    net_t net;
    make_net(&net, 1, sizes, act, COST_CROSS_ENTROPY, INIT_XAVIER, 4);
    float buf[64];
    train_best best = {buf, 0, 0, 0};
    train_opts o = {.learning_rate = 0.1, .batch_size = 10, .epochs = 3, .threads = 1,
                    .patience = 2, .best = &best};
    err_t err;
    ck_assert_int_eq(train_run(&net, &tr, NULL, &o, NULL, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    net_free(&net);
    free_set(&tr);
}
END_TEST

/* Dropout (input and hidden), max-norm, label smoothing, augmentation, each
 * alone and all with Adam: the same bits on every kernel path, for 1, 2 and 3 threads,
 * in fused mode and in shards mode, batch 24 and 40 (both backward
 * products); pinned, so that other CPUs (aarch64 in CI) must match too; and
 * each differs from the run without it. */
#define ADAM_L2 {.name = OPTIM_NAME_ADAM, .beta1 = 0.9, .beta2 = 0.999, .epsilon = 1e-8, .weight_decay = 0.01}
#define AUG_ALL {.shift = 0.5, .rotate = 20, .scale = 0.1, .shear = 10, .elastic_alpha = 2, .elastic_sigma = 1}
static const struct {
    reg_case r;
    uint64_t golden[2]; /* fused, shards(5); batch 24 */
} rcases[] = {
    {{.dropout = {0.2f, 0.5f, 0.3f}, .lr = 0.2}, {0xf67c5dd9d9a3c966ULL, 0xf1eddfd1d5498ef7ULL}},
    {{.max_norm = 0.5, .lr = 0.2}, {0x43cd8a2722ea245cULL, 0x5bd1785ae30564aeULL}},
    {{.label_smoothing = 0.2, .lr = 0.2}, {0x1d488b087aa6fe8eULL, 0xf3fb6a86d4975c49ULL}},
    {{.dropout = {0.1f, 0.3f, 0.3f}, .max_norm = 1.5, .label_smoothing = 0.1, .optim = ADAM_L2, .lr = 0.01},
     {0xda5d12ce12bb83a5ULL, 0x10dd761f3db3338fULL}},
    /* Augmentation of the 4x4 images: every distortion, elastic included. */
    {{.augment = AUG_ALL, .lr = 0.2}, {0x9ec8645b769ee2ddULL, 0x351204d75c8797d5ULL}},
    {{.dropout = {0.1f, 0.3f, 0.3f}, .max_norm = 1.5, .label_smoothing = 0.1, .optim = ADAM_L2, .lr = 0.01,
      .augment = AUG_ALL}, {0xd0695322d6dcdabaULL, 0x88d8c130510081b5ULL}},
};

START_TEST(test_regularisation_same_bits_everywhere)
{
    int bad = 0;
    for (size_t c = 0; c < sizeof rcases / sizeof rcases[0]; c++) {
        const int modes[] = {-1, 5};
        for (int m = 0; m < 2; m++)
            for (int batch = 24; batch <= 40; batch += 16) {
                size_t n;
                reg_case none = {.optim = rcases[c].r.optim, .lr = rcases[c].r.lr};
                float *plain = train_copy_r(1, modes[m], batch, &none, &n);
                float *ref = train_copy_r(1, modes[m], batch, &rcases[c].r, &n);
                ck_assert_msg(memcmp(plain, ref, n * sizeof *ref) != 0, "case %zu changes nothing", c);
                uint64_t d0 = tu_fnv1a(ref, n * sizeof *ref);
                if (batch == 24 && d0 != rcases[c].golden[m]) {
                    printf("regularisation case %zu mode %d: 0x%016llxULL\n", c, modes[m],
                           (unsigned long long)d0);
                    bad++;
                }
                TU_FOREACH_PATH(path) {
                    for (int t = 1; t <= 3; t += 2) {
                        float *w = train_copy_r(t, modes[m], batch, &rcases[c].r, &n);
                        if (memcmp(ref, w, n * sizeof *w) != 0) {
                            printf("regularisation case %zu mode %d batch %d: %s, %d threads differ\n",
                                   c, modes[m], batch, path, t);
                            bad++;
                        }
                        free(w);
                    }
                }
                free(plain);
                free(ref);
            }
    }
    ck_assert_msg(bad == 0, "%d runs differ (stdout lists them)", bad);
}
END_TEST

/* Max-norm holds after training: every unit's incoming weights within c. */
START_TEST(test_max_norm_holds_after_training)
{
    dataset tr;
    make_halves(&tr, 203, 11);
    int sizes[] = {16, 12, 7, 2};
    net_act act[] = {ACT_RELU, ACT_TANH, ACT_SOFTMAX};
    net_t net;
    make_net(&net, 3, sizes, act, COST_CROSS_ENTROPY, INIT_HE, 5);
    train_opts o = {.learning_rate = 0.5, .batch_size = 10, .epochs = 3, .seed = 9, .threads = 2,
                    .deterministic = 1, .max_norm = 0.8};
    ck_assert(train_run(&net, &tr, NULL, &o, NULL, NULL) == 0);
    int at_bound = 0;
    for (int l = 0; l < 3; l++)
        for (int j = 0; j < sizes[l + 1]; j++) {
            double s = 0;
            for (int i = 0; i < sizes[l]; i++) {
                double w = net.params[net.w_off[l] + (size_t)i * sizes[l + 1] + j];
                s += w * w;
            }
            ck_assert_msg(sqrt(s) <= 0.8 * (1 + 1e-6), "layer %d unit %d: norm %g", l, j, sqrt(s));
            at_bound += sqrt(s) > 0.8 * (1 - 1e-5);
        }
    ck_assert_int_gt(at_bound, 0); /* the constraint was active */
    net_free(&net);
    free_set(&tr);
}
END_TEST

/* Label smoothing s with 2 classes: the best output for the label is
 * 1 - s/2, so a well-trained network's outputs stop short of 1, which
 * without smoothing they approach. */
START_TEST(test_label_smoothing_targets)
{
    double top[2];
    for (int k = 0; k < 2; k++) {
        dataset tr;
        make_halves(&tr, 200, 3);
        int sizes[] = {16, 2};
        net_act act[] = {ACT_SOFTMAX};
        net_t net;
        make_net(&net, 1, sizes, act, COST_CROSS_ENTROPY, INIT_XAVIER, 5);
        train_opts o = {.learning_rate = 0.5, .batch_size = 10, .epochs = 60, .seed = 9,
                        .threads = 1, .deterministic = 1, .label_smoothing = k ? 0.2 : 0.0};
        ck_assert(train_run(&net, &tr, NULL, &o, NULL, NULL) == 0);
        eval_ctx ev = {0};
        eval_result r;
        ck_assert(eval_ctx_create(&ev, &net, 1, tr.n, NULL) == 0);
        ck_assert(eval_run(&ev, &net, &tr, 0, &r, NULL) == 0);
        ck_assert(r.accuracy == 1.0);
        /* Mean output for the right class, from the mean cross-entropy. */
        top[k] = exp(-r.mean_cost);
        eval_result_free(&r);
        eval_ctx_free(&ev);
        net_free(&net);
        free_set(&tr);
    }
    ck_assert_msg(top[0] > 0.97, "without smoothing: %g", top[0]);
    ck_assert_msg(top[1] < 0.92 && top[1] > 0.8, "with smoothing 0.2: %g", top[1]);
}
END_TEST

/* Every schedule gives the same weights for 1 and 3 threads. */
START_TEST(test_schedules_same_bits_for_any_thread_count)
{
    const sched_t scheds[] = {
        {.kind = SCHED_STEP, .step_epochs = 1, .gamma = 0.5},
        {.kind = SCHED_EXPONENTIAL, .gamma = 0.7, .warmup_epochs = 0.5},
        {.kind = SCHED_COSINE, .min_rate = 0.01, .warmup_epochs = 1.25},
    };
    for (int k = 0; k < 3; k++) {
        float *w[2];
        size_t n = 0;
        for (int t = 0; t < 2; t++) {
            dataset tr;
            make_halves(&tr, 203, 11);
            int sizes[] = {16, 12, 2};
            net_act act[] = {ACT_RELU, ACT_SOFTMAX};
            net_t net;
            make_net(&net, 2, sizes, act, COST_CROSS_ENTROPY, INIT_HE, 5);
            train_opts o = {.learning_rate = 0.3, .sched = scheds[k], .batch_size = 24,
                            .epochs = 4, .seed = 9, .threads = t ? 3 : 1, .deterministic = 1};
            ck_assert(train_run(&net, &tr, NULL, &o, NULL, NULL) == 0);
            n = net.n_params;
            w[t] = malloc(n * sizeof(float));
            memcpy(w[t], net.params, n * sizeof(float));
            net_free(&net);
            free_set(&tr);
        }
        ck_assert_msg(memcmp(w[0], w[1], n * sizeof(float)) == 0, "schedule %d differs", k);
        free(w[0]);
        free(w[1]);
    }
}
END_TEST

/* The data seam: the same examples as images (bytes, scaled on the way
 * in) or as a table of features (floats) train bitwise the same weights;
 * and labels given as one-hot regression targets with the quadratic cost
 * train the same weights as the labels themselves. */
START_TEST(test_features_and_targets_train_like_images_and_labels)
{
    dataset img;
    make_halves(&img, 150, 21);
    dataset tab = img;
    tab.images = NULL;
    tab.rows = tab.cols = 0;
    tab.x = malloc((size_t)img.n * img.n_in * sizeof(float));
    dataset_inputs(&img, 0, img.n, tab.x);
    dataset reg = tab;
    reg.labels = NULL;
    reg.n_targets = 2;
    reg.y = calloc((size_t)img.n * 2, sizeof(float));
    for (int i = 0; i < img.n; i++)
        reg.y[i * 2 + img.labels[i]] = 1.0f;
    const dataset *sets[] = {&img, &tab, &reg};
    float *w[3];
    size_t n = 0;
    for (int k = 0; k < 3; k++) {
        int sizes[] = {16, 8, 2};
        net_act act[] = {ACT_TANH, ACT_SIGMOID};
        net_t net;
        make_net(&net, 2, sizes, act, COST_QUADRATIC, INIT_XAVIER, 4);
        train_opts o = {.learning_rate = 0.5, .batch_size = 16, .epochs = 3, .seed = 8,
                        .threads = k + 1, .deterministic = 1};
        err_t err;
        ck_assert_msg(train_run(&net, sets[k], sets[k], &o, NULL, &err) == 0, "%s", err.msg);
        n = net.n_params;
        w[k] = malloc(n * sizeof(float));
        memcpy(w[k], net.params, n * sizeof(float));
        net_free(&net);
    }
    ck_assert_mem_eq(w[0], w[1], n * sizeof(float));
    ck_assert_mem_eq(w[0], w[2], n * sizeof(float));
    /* Augmentation is for images: a table is refused. */
    int sizes[] = {16, 8, 2};
    net_act act[] = {ACT_TANH, ACT_SIGMOID};
    net_t net;
    make_net(&net, 2, sizes, act, COST_QUADRATIC, INIT_XAVIER, 4);
    train_opts o = {.learning_rate = 0.5, .batch_size = 16, .epochs = 1, .seed = 8,
                    .augment = {.shift = 1}};
    err_t err;
    ck_assert_int_eq(train_run(&net, &tab, NULL, &o, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "augmentation distorts images"));
    net_free(&net);
    for (int k = 0; k < 3; k++)
        free(w[k]);
    free(tab.x);
    free(reg.y);
    free_set(&img);
}
END_TEST

/* Class weights: all 1 gives the unweighted bits; all 2 under plain SGD is
 * the learning rate doubled, bit for bit (2x is exact in floating point);
 * "balanced" is n / (classes x n_c). */
START_TEST(test_class_weights)
{
    dataset tr;
    make_halves(&tr, 90, 4);
    static const float ones[2] = {1, 1}, twos[2] = {2, 2};
    const struct {
        const float *w;
        double lr;
    } runs[] = {{NULL, 0.4}, {ones, 0.4}, {NULL, 0.8}, {twos, 0.4}};
    float *p[4];
    size_t n = 0;
    for (int k = 0; k < 4; k++) {
        int sizes[] = {16, 6, 2};
        net_act act[] = {ACT_TANH, ACT_SOFTMAX};
        net_t net;
        make_net(&net, 2, sizes, act, COST_CROSS_ENTROPY, INIT_XAVIER, 2);
        train_opts o = {.learning_rate = runs[k].lr, .batch_size = 8, .epochs = 3, .seed = 6,
                        .threads = 2, .deterministic = 1, .class_weights = runs[k].w};
        err_t err;
        ck_assert_msg(train_run(&net, &tr, NULL, &o, NULL, &err) == 0, "%s", err.msg);
        n = net.n_params;
        p[k] = malloc(n * sizeof(float));
        memcpy(p[k], net.params, n * sizeof(float));
        net_free(&net);
    }
    ck_assert_mem_eq(p[0], p[1], n * sizeof(float));
    ck_assert_mem_eq(p[2], p[3], n * sizeof(float));
    ck_assert(memcmp(p[0], p[2], n * sizeof(float)) != 0);
    for (int k = 0; k < 4; k++)
        free(p[k]);
    int ones_label = 0;
    for (int i = 0; i < tr.n; i++)
        ones_label += tr.labels[i] == 1;
    float w[3];
    train_balanced_weights(&tr, 3, w);
    ck_assert(w[1] == (float)(90.0 / (3.0 * ones_label)));
    ck_assert(w[0] == (float)(90.0 / (3.0 * (90 - ones_label))));
    ck_assert(w[2] == 0.0f);
    free_set(&tr);
}
END_TEST

TU_MAIN("train", test_optimizers_bitwise_identical_for_any_thread_count,
        test_adam_learns_separable_set, test_learns_xor, test_loss_falls_accuracy_rises_on_separable_set,
        test_bitwise_identical_for_any_thread_count, test_bitwise_identical_with_packed_backward,
        test_golden_digests_on_every_path,
        test_shard_count_changes_bits,
        test_auto_shards_depends_on_batch_and_size_only, test_rejects_mismatched_data,
        test_divergence_is_an_error, test_early_stopping_keeps_the_best_epoch,
        test_early_stopping_needs_an_evaluation_set, test_schedules_same_bits_for_any_thread_count,
        test_regularisation_same_bits_everywhere, test_max_norm_holds_after_training,
        test_label_smoothing_targets, test_features_and_targets_train_like_images_and_labels,
        test_class_weights)
