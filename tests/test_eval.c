/* Suite eval: accuracy, cost, confusion matrix, macro F1, log loss and
 * the regression metrics (RMSE, MAE, R^2) of known networks, each against
 * a value the test computes itself in double by a plain loop. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cores.h"
#include "eval.h"
#include "rng.h"
#include "testutil.h"

/* An n-input, n-output one-layer network with W = identity and b = 0: its
 * output is act(input), exactly act(x) for a linear output. */
static void identity_act_net(net_t *net, int n, net_act act, net_cost cost)
{
    int sizes[] = {n, n};
    net_act a[] = {act};
    ck_assert(net_create(net, 1, sizes, a, cost, NULL) == 0);
    for (int i = 0; i < n; i++)
        net->params[net->w_off[0] + (size_t)i * n + i] = 1.0f;
}

static int close_to(double got, double want, double rel)
{
    return fabs(got - want) <= rel * fmax(1.0, fabs(want));
}

/* The same bits in every figure of two results (a thread count must not
 * change any). */
static void same_bits(const eval_result *a, const eval_result *b)
{
    ck_assert_int_eq(a->n, b->n);
    ck_assert_int_eq(a->correct, b->correct);
    ck_assert_int_eq(a->n_targets, b->n_targets);
    ck_assert(memcmp(&a->accuracy, &b->accuracy, sizeof a->accuracy) == 0);
    ck_assert(memcmp(&a->mean_cost, &b->mean_cost, sizeof a->mean_cost) == 0);
    ck_assert(memcmp(&a->macro_f1, &b->macro_f1, sizeof a->macro_f1) == 0);
    ck_assert(memcmp(&a->log_loss, &b->log_loss, sizeof a->log_loss) == 0);
    ck_assert(memcmp(a->rmse, b->rmse, sizeof a->rmse) == 0);
    ck_assert(memcmp(a->mae, b->mae, sizeof a->mae) == 0);
    ck_assert(memcmp(a->r2, b->r2, sizeof a->r2) == 0);
    ck_assert(memcmp(&a->mean_rmse, &b->mean_rmse, sizeof a->mean_rmse) == 0);
    ck_assert(memcmp(&a->mean_mae, &b->mean_mae, sizeof a->mean_mae) == 0);
    ck_assert(memcmp(&a->mean_r2, &b->mean_r2, sizeof a->mean_r2) == 0);
}

/* The regression metrics of outputs out (n, T) against targets y (n, T),
 * straight from their definitions: two passes, one target at a time. */
typedef struct {
    double rmse[8], mae[8], r2[8], mean_rmse, mean_mae, mean_r2, sse_all, sae_all;
} ref_reg;

static ref_reg reference_regression(const double *out, const float *y, int n, int T,
                                    const double *scale)
{
    ref_reg w;
    memset(&w, 0, sizeof w);
    for (int t = 0; t < T; t++) {
        double sse = 0, sae = 0, sum = 0, sst = 0;
        for (int i = 0; i < n; i++) {
            double e = out[i * T + t] - (double)y[i * T + t];
            sse += e * e;
            sae += fabs(e);
            sum += y[i * T + t];
        }
        double mean = sum / n;
        for (int i = 0; i < n; i++)
            sst += (y[i * T + t] - mean) * (y[i * T + t] - mean);
        double s = scale ? scale[t] : 1.0;
        w.rmse[t] = sqrt(sse / n) * s;
        w.mae[t] = sae / n * s;
        w.r2[t] = 1.0 - sse / sst;
        w.mean_rmse += w.rmse[t] / T;
        w.mean_mae += w.mae[t] / T;
        w.mean_r2 += w.r2[t] / T;
        w.sse_all += sse;
        w.sae_all += sae;
    }
    return w;
}

static void check_regression(const eval_result *r, const ref_reg *w, int T)
{
    ck_assert_int_eq(r->n_targets, T);
    ck_assert_int_eq(r->correct, 0);
    for (int t = 0; t < T; t++) {
        ck_assert_msg(close_to(r->rmse[t], w->rmse[t], 1e-12), "rmse[%d] %.17g, want %.17g", t,
                      r->rmse[t], w->rmse[t]);
        ck_assert_msg(close_to(r->mae[t], w->mae[t], 1e-12), "mae[%d] %.17g, want %.17g", t,
                      r->mae[t], w->mae[t]);
        ck_assert_msg(close_to(r->r2[t], w->r2[t], 1e-12), "r2[%d] %.17g, want %.17g", t,
                      r->r2[t], w->r2[t]);
    }
    ck_assert(close_to(r->mean_rmse, w->mean_rmse, 1e-12));
    ck_assert(close_to(r->mean_mae, w->mean_mae, 1e-12));
    ck_assert(close_to(r->mean_r2, w->mean_r2, 1e-12));
}

/* A 3-input, 3-output linear network with W = identity: it predicts the
 * brightest pixel. */
static void identity_net(net_t *net)
{
    int sizes[] = {3, 3};
    net_act act[] = {ACT_LINEAR};
    ck_assert(net_create(net, 1, sizes, act, COST_QUADRATIC, NULL) == 0);
    for (int i = 0; i < 3; i++)
        net->params[net->w_off[0] + i * 3 + i] = 1.0f;
}

START_TEST(test_accuracy_and_confusion)
{
    /* 600 examples (more than one eval batch): the brightest pixel is
     * (i % 3); every 4th label is wrong on purpose, claiming (i+1) % 3. */
    enum { N = 600 };
    uint8_t *img = calloc(N * 3, 1), *lab = malloc(N);
    int expect_correct = 0;
    for (int i = 0; i < N; i++) {
        img[i * 3 + i % 3] = 200;
        lab[i] = (uint8_t)(i % 4 == 0 ? (i + 1) % 3 : i % 3);
        expect_correct += i % 4 != 0;
    }
    dataset d = {.n = N, .n_in = 1 * 3, .rows = 1, .cols = 3, .images = img, .labels = lab};
    net_t net;
    identity_net(&net);
    eval_result first;
    for (int threads = 1; threads <= 3; threads++) {
        eval_result r;
        err_t err;
        ck_assert_msg(eval_dataset(&net, &d, threads, 1, &r, &err) == 0, "%s", err.msg);
        if (threads == 1)
            first = r;
        same_bits(&first, &r);
        ck_assert(isnan(r.log_loss)); /* a linear output gives no probabilities */
        ck_assert_int_eq(r.n_targets, 0);
        ck_assert_int_eq(r.n, N);
        ck_assert_int_eq(r.correct, expect_correct);
        ck_assert(fabs(r.accuracy - (double)expect_correct / N) < 1e-12);
        ck_assert_int_eq(r.n_classes, 3);
        long long total = 0, diag = 0;
        for (int t = 0; t < 3; t++)
            for (int p = 0; p < 3; p++) {
                total += r.confusion[t * 3 + p];
                diag += t == p ? r.confusion[t * 3 + p] : 0;
            }
        ck_assert_int_eq(total, N);
        ck_assert_int_eq(diag, expect_correct);
        /* Wrong labels: true (i+1)%3, predicted i%3. Example 0: true 1, predicted 0. */
        ck_assert_int_gt(r.confusion[1 * 3 + 0], 0);
        ck_assert(r.mean_cost > 0);
        eval_result_free(&r);
    }
    net_free(&net);
    free(img);
    free(lab);
}
END_TEST

/* Regression on float features: 600 examples (three eval batches) of 3
 * targets, each target its own noise, offset and scale; the identity
 * network predicts x exactly, so the test knows every output. RMSE and
 * MAE come in the target's own units (y_scale), R^2 is scale-free; the
 * figures are the same bits on 1 and 3 threads; the mean cost is each
 * cost's own figure in the network's units. */
START_TEST(test_regression_metrics_features)
{
    enum { N = 600, T = 3 };
    float *x = malloc(N * T * sizeof *x), *y = malloc(N * T * sizeof *y);
    double *out = malloc(N * T * sizeof *out);
    const double noise[T] = {0.1, 0.7, 2.0}, offset[T] = {0.0, 0.3, -1.0};
    const double scale[T] = {2.0, 0.5, 10.0};
    rng_t g;
    rng_seed(&g, 20);
    for (int i = 0; i < N; i++)
        for (int t = 0; t < T; t++) {
            x[i * T + t] = (float)rng_normal(&g);
            y[i * T + t] = (float)(x[i * T + t] + offset[t] + noise[t] * rng_normal(&g));
            out[i * T + t] = x[i * T + t];
        }
    ref_reg scaled = reference_regression(out, y, N, T, scale);
    ref_reg plain = reference_regression(out, y, N, T, NULL);
    for (int c = 0; c < 3; c++) {
        const net_cost cost = c == 0 ? COST_QUADRATIC : c == 1 ? COST_MAE : COST_HUBER;
        net_t net;
        identity_act_net(&net, T, ACT_LINEAR, cost);
        dataset d = {.n = N, .n_in = T, .x = x, .y = y, .n_targets = T, .y_scale = scale};
        eval_result r[3];
        err_t err;
        for (int threads = 1; threads <= 3; threads += 2) {
            eval_result *ri = &r[threads == 1 ? 0 : 1];
            ck_assert_msg(eval_dataset(&net, &d, threads, 1, ri, &err) == 0, "%s", err.msg);
            check_regression(ri, &scaled, T);
            ck_assert(ri->confusion == NULL); /* a regression has none */
        }
        same_bits(&r[0], &r[1]);
        /* Without y_scale: the network's units; R^2 the same bits. */
        d.y_scale = NULL;
        ck_assert(eval_dataset(&net, &d, 2, 0, &r[2], &err) == 0);
        check_regression(&r[2], &plain, T);
        ck_assert(memcmp(r[2].r2, r[0].r2, sizeof r[0].r2) == 0);
        for (int t = 0; t < T; t++)
            ck_assert(r[0].rmse[t] == scale[t] * r[2].rmse[t]);
        if (cost == COST_QUADRATIC)
            ck_assert(close_to(r[0].mean_cost, 0.5 * plain.sse_all / N, 1e-12));
        if (cost == COST_MAE)
            ck_assert(close_to(r[0].mean_cost, plain.sae_all / N, 1e-12));
        ck_assert(r[0].mean_rmse > 1.0 && r[0].mean_r2 > 0.0 && r[0].mean_r2 < 1.0);
        net_free(&net);
    }
    free(x);
    free(y);
    free(out);
}
END_TEST

/* Regression on image inputs (pixels scaled by 1/255 on the way in): two
 * targets, the outputs px/255, on 1 and 3 threads. */
START_TEST(test_regression_metrics_images)
{
    enum { N = 520, T = 2 };
    uint8_t *px = malloc(N * T);
    float *y = malloc(N * T * sizeof *y);
    double *out = malloc(N * T * sizeof *out);
    const double scale[T] = {3.0, 0.25};
    rng_t g;
    rng_seed(&g, 21);
    for (int i = 0; i < N * T; i++) {
        px[i] = (uint8_t)(rng_uniform(&g) * 256);
        out[i] = px[i] * (1.0f / 255.0f); /* the float the network sees */
        y[i] = (float)(out[i] * (i % 2 ? -1.0 : 0.8) + 0.2 * rng_normal(&g));
    }
    ref_reg w = reference_regression(out, y, N, T, scale);
    net_t net;
    identity_act_net(&net, T, ACT_LINEAR, COST_HUBER);
    dataset d = {.n = N, .n_in = T, .rows = 1, .cols = T, .images = px, .y = y, .n_targets = T,
                 .y_scale = scale};
    eval_result r1, r3;
    err_t err;
    ck_assert_msg(eval_dataset(&net, &d, 1, 0, &r1, &err) == 0, "%s", err.msg);
    ck_assert(eval_dataset(&net, &d, 3, 0, &r3, &err) == 0);
    check_regression(&r1, &w, T);
    same_bits(&r1, &r3);
    ck_assert(r1.r2[1] < 0.0); /* target 1 runs against its input: worse than its mean */
    net_free(&net);
    free(px);
    free(y);
    free(out);
}
END_TEST

/* R^2 of a constant target (SST = 0): 1 when predicted exactly, else 0. */
START_TEST(test_r2_of_a_constant_target)
{
    float x[4] = {0.5f, 1.0f, 0.5f, 2.0f}, y[4] = {0.5f, 1.0f, 0.5f, 3.0f};
    /* Target 0: 0.5 both times, predicted exactly; target 1: 1 then 3. */
    const float yc[4] = {0.5f, 1.0f, 0.5f, 1.0f};
    net_t net;
    identity_act_net(&net, 2, ACT_LINEAR, COST_QUADRATIC);
    dataset d = {.n = 2, .n_in = 2, .x = x, .y = y, .n_targets = 2};
    eval_result r;
    ck_assert(eval_dataset(&net, &d, 1, 0, &r, NULL) == 0);
    ck_assert(r.r2[0] == 1.0 && r.rmse[0] == 0.0 && r.mae[0] == 0.0);
    ck_assert(r.r2[1] == 1.0 - 1.0 / 2.0); /* SSE 1, SST 2 about the mean 2 */
    memcpy(y, yc, sizeof y);
    x[3] = 1.5f;                            /* target 1 constant at 1, predicted 1 then 1.5 */
    ck_assert(eval_dataset(&net, &d, 1, 0, &r, NULL) == 0);
    ck_assert(r.r2[0] == 1.0 && r.r2[1] == 0.0);
    ck_assert(r.rmse[1] == sqrt(0.25 / 2) && r.mae[1] == 0.25);
    net_free(&net);
}
END_TEST

/* Macro F1 and per-class F1 from precision and recall, the textbook way:
 * P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2 P R / (P + R) (0 when
 * TP = 0), averaged over the classes that are true or predicted. */
static double reference_macro_f1(const int *truth, const int *pred, int n, int classes,
                                 int *present)
{
    double sum = 0;
    *present = 0;
    for (int c = 0; c < classes; c++) {
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < n; i++) {
            tp += truth[i] == c && pred[i] == c;
            fp += truth[i] != c && pred[i] == c;
            fn += truth[i] == c && pred[i] != c;
        }
        if (tp + fp + fn == 0)
            continue;
        (*present)++;
        double p = tp + fp ? (double)tp / (tp + fp) : 0, rc = tp + fn ? (double)tp / (tp + fn) : 0;
        sum += p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
    }
    return sum / *present;
}

/* -ln p(true class) from the logits z, in double: softmax, or sigmoid
 * normalised to sum 1; p clamped below at FLT_MIN. */
static double reference_nll(const double *z, int k, int label, net_act act)
{
    double p;
    if (act == ACT_SOFTMAX) {
        double m = z[0], s = 0;
        for (int j = 1; j < k; j++)
            m = fmax(m, z[j]);
        for (int j = 0; j < k; j++)
            s += exp(z[j] - m);
        p = exp(z[label] - m) / s;
    } else {
        double s = 0;
        for (int j = 0; j < k; j++)
            s += 1.0 / (1.0 + exp(-z[j]));
        p = 1.0 / (1.0 + exp(-z[label])) / s;
    }
    return -log(fmax(p, FLT_MIN));
}

/* Classification on features, 5 outputs: the labels are 0, 1 or 2, the
 * predictions 0, 1, 2 or 3 (3 never true), class 4 neither (left out of
 * the mean: counting it would give another figure, checked); one example
 * has a true-class probability below FLT_MIN (clamped). Softmax and
 * sigmoid outputs; a linear output has no log loss. */
START_TEST(test_f1_and_log_loss_features)
{
    enum { N = 1500, K = 5 }; /* six eval batches */
    float *x = malloc(N * K * sizeof *x);
    double *z = malloc(N * K * sizeof *z);
    uint8_t *lab = malloc(N);
    int truth[N], pred[N];
    rng_t g;
    rng_seed(&g, 22);
    for (int i = 0; i < N; i++) {
        truth[i] = lab[i] = (uint8_t)(i % 3);
        /* Predicted: usually the truth, sometimes another of 0..3. */
        double u = rng_uniform(&g);
        pred[i] = u < 0.6 ? truth[i] : u < 0.75 ? (truth[i] + 1) % 3 : u < 0.85 ? 3 : i % 2;
        for (int j = 0; j < K; j++)
            x[i * K + j] = (float)(j == 4 ? -6.0 : rng_uniform(&g) * 2.0 - 1.0);
        x[i * K + pred[i]] = 2.5f;
    }
    /* Example 5 (label 2), predicted 0: its true class far below the others. */
    ck_assert_int_eq(truth[5], 2);
    pred[5] = 0;
    const float row5[K] = {2.5f, 0.5f, -200.0f, 0.0f, -6.0f};
    memcpy(x + 5 * K, row5, sizeof row5);
    for (int i = 0; i < N * K; i++)
        z[i] = x[i];
    int present;
    double f1 = reference_macro_f1(truth, pred, N, K, &present);
    ck_assert_int_eq(present, 4);
    ck_assert(fabs(f1 - f1 * 4 / 5) > 0.05); /* class 4 in the mean would show */
    int correct = 0;
    for (int i = 0; i < N; i++)
        correct += truth[i] == pred[i];
    dataset d = {.n = N, .n_in = K, .x = x, .labels = lab};
    const net_act outs[] = {ACT_SOFTMAX, ACT_SIGMOID, ACT_LINEAR};
    for (int o = 0; o < 3; o++) {
        net_t net;
        identity_act_net(&net, K, outs[o], o == 2 ? COST_QUADRATIC : COST_CROSS_ENTROPY);
        double nll = 0;
        for (int i = 0; i < N; i++)
            nll += reference_nll(z + i * K, K, lab[i], outs[o]);
        nll /= N;
        eval_result r1, r3;
        err_t err;
        ck_assert_msg(eval_dataset(&net, &d, 1, 1, &r1, &err) == 0, "%s", err.msg);
        ck_assert(eval_dataset(&net, &d, 3, 0, &r3, &err) == 0);
        same_bits(&r1, &r3);
        ck_assert_int_eq(r1.correct, correct);
        ck_assert_int_eq(r1.n_targets, 0);
        ck_assert_msg(close_to(r1.macro_f1, f1, 1e-12), "%s: macro F1 %.17g, want %.17g",
                      net_act_name(outs[o]), r1.macro_f1, f1);
        if (outs[o] == ACT_LINEAR)
            ck_assert(isnan(r1.log_loss));
        else
            ck_assert_msg(close_to(r1.log_loss, nll, 1e-6), "%s: log loss %.17g, want %.17g",
                          net_act_name(outs[o]), r1.log_loss, nll);
        /* The confusion matrix holds the same predictions. */
        long long cm[K * K] = {0};
        for (int i = 0; i < N; i++)
            cm[truth[i] * K + pred[i]]++;
        ck_assert(memcmp(cm, r1.confusion, sizeof cm) == 0);
        eval_result_free(&r1);
        net_free(&net);
    }
    /* The clamp: -ln FLT_MIN is in the softmax figure (87.3), not 200. */
    ck_assert(reference_nll(z + 5 * K, K, 2, ACT_SOFTMAX) == -log(FLT_MIN));
    free(x);
    free(z);
    free(lab);
}
END_TEST

/* Classification on images: softmax over px/255, macro F1 and log loss. */
START_TEST(test_f1_and_log_loss_images)
{
    enum { N = 300, K = 3 };
    uint8_t *px = malloc(N * K), *lab = malloc(N);
    int truth[N], pred[N];
    double *z = malloc(N * K * sizeof *z);
    rng_t g;
    rng_seed(&g, 23);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < K; j++)
            px[i * K + j] = (uint8_t)(j * 50 + rng_uniform(&g) * 100); /* distinct: no ties */
        px[i * K + i % K] = 255;
        truth[i] = lab[i] = (uint8_t)(i % 4 == 0 ? (i + 1) % K : i % K);
        pred[i] = i % K;
        for (int j = 0; j < K; j++)
            z[i * K + j] = px[i * K + j] * (1.0f / 255.0f);
    }
    int present;
    double f1 = reference_macro_f1(truth, pred, N, K, &present), nll = 0;
    for (int i = 0; i < N; i++)
        nll += reference_nll(z + i * K, K, lab[i], ACT_SOFTMAX) / N;
    net_t net;
    identity_act_net(&net, K, ACT_SOFTMAX, COST_CROSS_ENTROPY);
    dataset d = {.n = N, .n_in = K, .rows = 1, .cols = K, .images = px, .labels = lab};
    eval_result r1, r3;
    ck_assert(eval_dataset(&net, &d, 1, 0, &r1, NULL) == 0);
    ck_assert(eval_dataset(&net, &d, 3, 0, &r3, NULL) == 0);
    same_bits(&r1, &r3);
    ck_assert(close_to(r1.macro_f1, f1, 1e-12));
    ck_assert(close_to(r1.log_loss, nll, 1e-6));
    ck_assert(r1.macro_f1 > 0.5 && r1.macro_f1 < 1.0);
    net_free(&net);
    free(px);
    free(lab);
    free(z);
}
END_TEST

/* Regression data that does not fit: targets other than the outputs, more
 * than EVAL_MAX_TARGETS, a scale that is not positive and finite. */
START_TEST(test_regression_rejects_bad_targets)
{
    float x[3] = {1, 2, 3}, y[2] = {1, 2};
    net_t net;
    identity_act_net(&net, 3, ACT_LINEAR, COST_QUADRATIC);
    dataset d = {.n = 1, .n_in = 3, .x = x, .y = y, .n_targets = 2};
    eval_result r;
    err_t err;
    ck_assert_int_eq(eval_dataset(&net, &d, 1, 0, &r, &err), -1);
    ck_assert_msg(strstr(err.msg, "2 targets") && strstr(err.msg, "3 outputs"), "%s", err.msg);
    float y3[3] = {1, 2, 3};
    double bad[3] = {1.0, 0.0, 1.0};
    dataset d3 = {.n = 1, .n_in = 3, .x = x, .y = y3, .n_targets = 3, .y_scale = bad};
    ck_assert_int_eq(eval_dataset(&net, &d3, 1, 0, &r, &err), -1);
    ck_assert_msg(strstr(err.msg, "scale"), "%s", err.msg);
    bad[1] = NAN;
    ck_assert_int_eq(eval_dataset(&net, &d3, 1, 0, &r, &err), -1);
    bad[1] = 2.0;
    ck_assert_int_eq(eval_dataset(&net, &d3, 1, 0, &r, &err), 0);
    net_free(&net);
    enum { W = EVAL_MAX_TARGETS + 1 };
    float xw[W] = {0}, yw[W] = {0};
    identity_act_net(&net, W, ACT_LINEAR, COST_QUADRATIC);
    dataset dw = {.n = 1, .n_in = W, .x = xw, .y = yw, .n_targets = W};
    ck_assert_int_eq(eval_dataset(&net, &dw, 1, 0, &r, &err), -1);
    ck_assert_msg(strstr(err.msg, "at most"), "%s", err.msg);
    net_free(&net);
}
END_TEST

START_TEST(test_rejects_bad_shapes)
{
    uint8_t img[4] = {0}, lab[1] = {5};
    dataset d = {.n = 1, .n_in = 2 * 2, .rows = 2, .cols = 2, .images = img, .labels = lab};
    net_t net;
    identity_net(&net);
    eval_result r;
    err_t err;
    ck_assert_int_eq(eval_dataset(&net, &d, 1, 0, &r, &err), -1);
    ck_assert(strstr(err.msg, "inputs") != NULL);
    dataset d3 = {.n = 1, .n_in = 1 * 3, .rows = 1, .cols = 3, .images = img, .labels = lab};
    ck_assert_int_eq(eval_dataset(&net, &d3, 1, 0, &r, &err), -1);
    ck_assert(strstr(err.msg, "label") != NULL);
    net_free(&net);
}
END_TEST

START_TEST(test_argmax_and_scale)
{
    float v[5] = {0.1f, 0.7f, 0.7f, -1.0f, 0.2f};
    ck_assert_int_eq(eval_argmax(v, 5), 1); /* first of a tie */
    uint8_t px[3] = {0, 255, 51};
    float out[3];
    dataset_scale_pixels(px, 3, out);
    ck_assert(out[0] == 0.0f && out[1] == 1.0f && fabsf(out[2] - 0.2f) < 1e-7f);
}
END_TEST

/* ---- mean cost and accuracy against a forward pass written out here ----- */

static double act_ref(net_act a, double z)
{
    switch (a) {
    case ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case ACT_TANH: return tanh(z);
    case ACT_RELU: return z > 0 ? z : 0.0;
    case ACT_LINEAR: return z;
    default: ck_abort_msg("act_ref: no %s here", net_act_name(a)); return 0;
    }
}

/* One example through net in double: pixels / 255, then per layer
 * z_j = b_j + sum_i a_i W[i][j] (W_l is (n_in, n_out), row-major) and the
 * activation. Returns the cost against the one-hot label (the same clamps
 * as net.c: a at least FLT_MIN, and a sigmoid output at most 1 - 1e-7);
 * the output in out. */
static double forward_ref(const net_t *net, const uint8_t *px, int label, double *out)
{
    double a[64], z[64];
    int n_in = net->sizes[0];
    for (int i = 0; i < n_in; i++) a[i] = px[i] / 255.0;
    for (int l = 0; l < net->n_layers; l++) {
        int ni = net->sizes[l], no = net->sizes[l + 1];
        const float *W = net->params + net->w_off[l], *b = net->params + net->b_off[l];
        double zmax = -INFINITY, sum = 0;
        for (int j = 0; j < no; j++) {
            z[j] = b[j];
            for (int i = 0; i < ni; i++) z[j] += a[i] * W[(size_t)i * no + j];
            zmax = fmax(zmax, z[j]);
        }
        for (int j = 0; j < no; j++) {
            if (net->act[l] == ACT_SOFTMAX) sum += a[j] = exp(z[j] - zmax);
            else a[j] = act_ref(net->act[l], z[j]);
        }
        for (int j = 0; j < no && net->act[l] == ACT_SOFTMAX; j++) a[j] /= sum;
    }
    int n_out = net->sizes[net->n_layers];
    net_act out_act = net->act[net->n_layers - 1];
    double cost = 0;
    for (int j = 0; j < n_out; j++) {
        double y = j == label, aj = a[j];
        out[j] = aj;
        if (net->cost == COST_QUADRATIC) {
            cost += 0.5 * (aj - y) * (aj - y);
        } else if (out_act == ACT_SOFTMAX) {
            if (y != 0) cost -= log(fmax(aj, FLT_MIN));
        } else {
            aj = fmin(fmax(aj, FLT_MIN), 1.0 - 1e-7);
            cost -= y * log(aj) + (1 - y) * log(1 - aj);
        }
    }
    return cost;
}

/* Random weights and data; eval_dataset on 1 to 4 threads must give the
 * accuracy of the forward pass written out above exactly, and its mean
 * cost to float rounding, the same bits on every thread count. Sizes of
 * 1, 256 (one full eval batch) and 600 (a partial third batch). */
static void check_against_reference(int n_layers, const int *sizes, const net_act *act,
                                    net_cost cost, uint64_t seed)
{
    net_t net;
    rng_t r;
    ck_assert(net_create(&net, n_layers, sizes, act, cost, NULL) == 0);
    rng_seed(&r, seed);
    for (size_t i = 0; i < net.n_params; i++) net.params[i] = (float)(1.5 * rng_normal(&r));
    enum { N = 600 };
    int n_in = sizes[0], n_out = sizes[n_layers];
    uint8_t *img = malloc((size_t)N * n_in), *lab = malloc(N);
    for (int i = 0; i < N * n_in; i++) img[i] = (uint8_t)rng_below(&r, 256);
    for (int i = 0; i < N; i++) lab[i] = (uint8_t)rng_below(&r, (uint64_t)n_out);
    static const int counts[] = {1, 256, N};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        int n = counts[c], correct = 0;
        double total = 0, out[64];
        for (int i = 0; i < n; i++) {
            total += forward_ref(&net, img + (size_t)i * n_in, lab[i], out);
            int best = 0, second = -1;
            for (int j = 1; j < n_out; j++)
                if (out[j] > out[best]) second = best, best = j;
                else if (second < 0 || out[j] > out[second]) second = j;
            /* No near-ties, so float and double agree on every prediction. */
            ck_assert_msg(out[best] - out[second] > 1e-4, "seed %llu: example %d is a near-tie",
                          (unsigned long long)seed, i);
            correct += best == lab[i];
        }
        double mean = total / n;
        if (n > 1) { /* right and wrong predictions both */
            ck_assert_int_gt(correct, 0);
            ck_assert_int_lt(correct, n);
        }
        dataset d = {.n = n, .n_in = n_in, .rows = 1, .cols = n_in, .images = img, .labels = lab};
        eval_result first;
        for (int threads = 1; threads <= 4; threads++) {
            eval_result e;
            err_t err;
            ck_assert_msg(eval_dataset(&net, &d, threads, 0, &e, &err) == 0, "%s", err.msg);
            ck_assert_int_eq(e.n, n);
            ck_assert_msg(e.correct == correct, "%s/%s, %d examples, %d threads: %d correct, "
                          "expected %d", net_act_name(act[n_layers - 1]), net_cost_name(cost), n,
                          threads, e.correct, correct);
            ck_assert(e.accuracy == (double)correct / n);
            ck_assert_msg(fabs(e.mean_cost - mean) <= 2e-6 * mean,
                          "%s/%s, %d examples, %d threads: mean cost %.9g, expected %.9g (%.2g)",
                          net_act_name(act[n_layers - 1]), net_cost_name(cost), n, threads,
                          e.mean_cost, mean, fabs(e.mean_cost - mean) / mean);
            if (threads == 1) first = e;
            ck_assert_mem_eq(&e.mean_cost, &first.mean_cost, sizeof(double));
        }
    }
    free(img);
    free(lab);
    net_free(&net);
}

START_TEST(test_mean_cost_and_accuracy_against_reference)
{
    int s3[] = {4, 7, 3}, s4[] = {6, 9, 5, 4};
    net_act softmax[] = {ACT_TANH, ACT_SOFTMAX}, sigmoid[] = {ACT_RELU, ACT_SIGMOID};
    net_act deep[] = {ACT_SIGMOID, ACT_TANH, ACT_LINEAR};
    check_against_reference(2, s3, softmax, COST_CROSS_ENTROPY, 1);
    check_against_reference(2, s3, softmax, COST_QUADRATIC, 2);
    check_against_reference(2, s3, sigmoid, COST_CROSS_ENTROPY, 3);
    check_against_reference(2, s3, sigmoid, COST_QUADRATIC, 6);
    check_against_reference(3, s4, deep, COST_QUADRATIC, 5);
}
END_TEST

/* threads 0 wakes a thread per EVAL_WORK_PER_THREAD of work; a count
 * given is taken as it is (up to the batches). */
START_TEST(test_threads_follow_the_work)
{
    int small[] = {64, 64, 10}, big[] = {784, 1024, 10};
    net_act act[] = {ACT_RELU, ACT_SOFTMAX};
    net_t a, b;
    err_t err;
    ck_assert(net_create(&a, 2, small, act, COST_CROSS_ENTROPY, &err) == 0);
    ck_assert(net_create(&b, 2, big, act, COST_CROSS_ENTROPY, &err) == 0);
    eval_ctx x;
    ck_assert(eval_ctx_create(&x, &a, 0, 359, &err) == 0); /* digits' test set */
    ck_assert_int_eq(x.threads, 1);
    eval_ctx_free(&x);
    ck_assert(eval_ctx_create(&x, &a, 2, 359, &err) == 0);
    ck_assert_int_eq(x.threads, 2);
    eval_ctx_free(&x);
    ck_assert(eval_ctx_create(&x, &a, 3, 300, &err) == 0); /* two batches */
    ck_assert_int_eq(x.threads, 2);
    eval_ctx_free(&x);
    /* 10,000 x 814,090 multiply-adds: as many threads as cores, to 121 */
    int cores = cores_resolve(0);
    ck_assert(eval_ctx_create(&x, &b, 0, 10000, &err) == 0);
    ck_assert_int_eq(x.threads, cores < 40 ? cores : 40); /* 40 batches */
    eval_ctx_free(&x);
    net_free(&a);
    net_free(&b);
}
END_TEST

TU_MAIN("eval", test_accuracy_and_confusion, test_regression_metrics_features,
        test_regression_metrics_images, test_r2_of_a_constant_target, test_f1_and_log_loss_features,
        test_f1_and_log_loss_images, test_regression_rejects_bad_targets, test_rejects_bad_shapes,
        test_argmax_and_scale, test_mean_cost_and_accuracy_against_reference,
        test_threads_follow_the_work)
