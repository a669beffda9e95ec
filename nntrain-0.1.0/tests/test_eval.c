/* Suite eval: accuracy, cost and confusion matrix of a known network. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "rng.h"
#include "testutil.h"

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
    for (int threads = 1; threads <= 3; threads++) {
        eval_result r;
        err_t err;
        ck_assert_msg(eval_dataset(&net, &d, threads, 1, &r, &err) == 0, "%s", err.msg);
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

TU_MAIN("eval", test_accuracy_and_confusion, test_rejects_bad_shapes, test_argmax_and_scale,
        test_mean_cost_and_accuracy_against_reference)
