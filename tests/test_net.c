/* Suite net: backpropagation against finite differences for every
 * activation x cost, plus shapes, names and initialisation. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detmath.h"
#include "net.h"
#include "rng.h"
#include "testutil.h"

#define B_EX 3 /* examples per check */

/* Cost sum of the network on (x, y), in double. */
static double cost_at(net_t *net, net_ws *ws, const float *x, const float *y)
{
    net_forward(net, ws, x, B_EX);
    return net_cost_sum(net, ws, y, B_EX);
}

/* Does any layer have a kink (relu, leaky_relu)? */
static int has_kinks(int n_layers, const net_act *act)
{
    for (int l = 0; l < n_layers; l++)
        if (act[l] == ACT_RELU || act[l] == ACT_LEAKY_RELU)
            return 1;
    return 0;
}

/* Bit pattern of "unit > 0" over every unit: relu and leaky_relu
 * have kinks, where a finite difference across the kink means nothing.
 * So do the regression costs, in the output: mae where a crosses y, huber
 * (its second derivative) where |a - y| crosses delta. */
static unsigned long long kink_pattern(const net_t *net, const net_ws *ws, const float *y)
{
    unsigned long long h = 1469598103934665603ULL;
    for (int l = 0; l < net->n_layers; l++)
        for (int i = 0; has_kinks(1, &net->act[l]) && i < B_EX * net->sizes[l + 1]; i++)
            h = (h ^ (ws->act[l + 1][i] > 0.0f)) * 1099511628211ULL;
    const float *a = ws->act[net->n_layers];
    for (int i = 0; i < B_EX * net->sizes[net->n_layers]; i++) {
        double d = (double)a[i] - y[i];
        if (net->cost == COST_MAE)
            h = (h ^ (d > 0)) * 1099511628211ULL;
        else if (net->cost == COST_HUBER)
            h = (h ^ (fabs(d) > NET_HUBER_DELTA)) * 1099511628211ULL;
    }
    return h;
}

/* Central difference with actual (rounded) steps. */
static double diff(net_t *net, net_ws *ws, const float *x, const float *y, size_t p, double h,
                   int *crossed)
{
    float keep = net->params[p];
    float xp = (float)(keep + h), xm = (float)(keep - h);
    net->params[p] = keep;
    cost_at(net, ws, x, y);
    unsigned long long k0 = kink_pattern(net, ws, y);
    net->params[p] = xp;
    double fp = cost_at(net, ws, x, y);
    *crossed |= kink_pattern(net, ws, y) != k0;
    net->params[p] = xm;
    double fm = cost_at(net, ws, x, y);
    *crossed |= kink_pattern(net, ws, y) != k0;
    net->params[p] = keep;
    return (fp - fm) / ((double)xp - (double)xm);
}

/* Smooth networks allow a wide step (little float rounding in the
 * difference) and a tight bound; networks with relu kinks (or mae's and
 * huber's kinks in the cost) need a narrow step
 * so that few differences straddle a kink, and float rounding then bounds
 * the accuracy. Either bound is far below the error of any real mistake
 * (a wrong factor or sign gives errors of order 1). */
#define TOL_SMOOTH 2e-4
#define TOL_KINKED 1e-3

static double tolerance(int n_layers, const net_act *act)
{
    return has_kinks(n_layers, act) ? TOL_KINKED : TOL_SMOOTH;
}

/* mae and huber are kinked in the output whatever the layers. */
static double cost_tolerance(int n_layers, const net_act *act, net_cost cost)
{
    return cost == COST_MAE || cost == COST_HUBER ? TOL_KINKED : tolerance(n_layers, act);
}

/* Largest error of backprop against Richardson-extrapolated central
 * differences, relative to max(1, |gradient|), over every parameter. */
static const int EXAMPLE_IDS[B_EX] = {17, 4, 123456};

/* Regression targets spread over [-spread/2, spread/2): 1 for quadratic,
 * 4 for mae and huber, so that sigmoid and tanh outputs (and linear ones)
 * land both within and beyond huber's delta of their targets. */
static double target_spread(net_cost cost)
{
    return cost == COST_MAE || cost == COST_HUBER ? 4.0 : 1.0;
}

/* drop: NULL, or each layer's input dropout rate (the masks stay fixed
 * while the differences are taken: they are a function of the key and the
 * example ids, not of the weights). regions: NULL, or [2] counting the
 * outputs within (|a - y| <= NET_HUBER_DELTA) and beyond delta at the
 * point checked. */
static double grad_check_at(int n_layers, const int *sizes, const net_act *act, net_cost cost,
                            uint64_t seed, const float *drop, int *regions)
{
    net_t net;
    net_ws ws;
    err_t err;
    ck_assert_msg(net_create(&net, n_layers, sizes, act, cost, &err) == 0, "%s", err.msg);
    ck_assert(net_ws_create(&ws, &net, B_EX, &err) == 0);
    if (drop) {
        ck_assert(net_ws_dropout(&ws, &net, drop, &err) == 0);
        ws.drop.key = seed * 31 + 7;
        ws.drop.example = EXAMPLE_IDS;
    }
    rng_t r;
    rng_seed(&r, seed);
    net_init_params(&net, INIT_XAVIER, &r);
    for (size_t i = 0; i < net.n_params; i++) /* biases non-zero too */
        net.params[i] += (float)(0.3 * (rng_uniform(&r) - 0.5));
    int n_in = sizes[0], n_out = sizes[n_layers];
    float x[B_EX * 8], y[B_EX * 8];
    for (int i = 0; i < B_EX * n_in; i++)
        x[i] = (float)rng_uniform(&r);
    int classify = act[n_layers - 1] == ACT_SOFTMAX || act[n_layers - 1] == ACT_SIGMOID;
    for (int b = 0; b < B_EX; b++)
        for (int j = 0; j < n_out; j++)
            y[b * n_out + j] = classify && (cost == COST_CROSS_ENTROPY || cost == COST_QUADRATIC)
                                   ? (j == (b + 1) % n_out)
                                   : (float)(target_spread(cost) * (rng_uniform(&r) - 0.5));

    float *grad = malloc(net.n_params * sizeof *grad);
    cost_at(&net, &ws, x, y);
    for (int i = 0; regions && i < B_EX * n_out; i++)
        regions[fabs((double)net_output(&net, &ws)[i] - y[i]) > NET_HUBER_DELTA]++;
    net_backward(&net, &ws, x, y, B_EX, grad);

    /* mae and huber have kinks in the output (where |a - y| crosses 0 or
     * delta): the narrow step too. */
    int kinked = has_kinks(n_layers, act) || cost == COST_MAE || cost == COST_HUBER;
    double worst = 0.0, h = kinked ? 1.0 / 256 : 1.0 / 64;
    int skipped = 0;
    for (size_t p = 0; p < net.n_params; p++) {
        int crossed = 0;
        double d1 = diff(&net, &ws, x, y, p, h, &crossed);
        double d2 = diff(&net, &ws, x, y, p, h / 2, &crossed);
        if (crossed) {
            skipped++;
            continue;
        }
        double num = (4.0 * d2 - d1) / 3.0;
        double e = fabs(num - grad[p]) / fmax(1.0, fabs(num));
        if (e > worst)
            worst = e;
    }
    if (getenv("GRADCHECK_VERBOSE")) fprintf(stderr, "%s/%s %s worst %.3g skipped %d\n", net_act_name(act[0]), net_act_name(act[n_layers-1]), net_cost_name(cost), worst, skipped);
    ck_assert_msg(skipped <= (int)net.n_params / 5, "too many kinks crossed (%d)", skipped);
    free(grad);
    net_ws_free(&ws);
    net_free(&net);
    return worst;
}

static double grad_check_drop(int n_layers, const int *sizes, const net_act *act, net_cost cost,
                              uint64_t seed, const float *drop)
{
    return grad_check_at(n_layers, sizes, act, cost, seed, drop, NULL);
}

static double grad_check(int n_layers, const int *sizes, const net_act *act, net_cost cost,
                         uint64_t seed)
{
    return grad_check_drop(n_layers, sizes, act, cost, seed, NULL);
}

/* Dropout on the inputs and on both hidden layers: backprop through the
 * masks agrees with finite differences, for smooth and kinked layers. */
START_TEST(test_gradients_with_dropout)
{
    int sizes[] = {8, 7, 6, 4};
    float drop[] = {0.25f, 0.5f, 0.3f};
    net_act smooth[] = {ACT_SIGMOID, ACT_TANH, ACT_SOFTMAX};
    net_act kinked[] = {ACT_RELU, ACT_LEAKY_RELU, ACT_SOFTMAX};
    for (uint64_t seed = 1; seed <= 4; seed++) {
        double e1 = grad_check_drop(3, sizes, smooth, COST_CROSS_ENTROPY, seed, drop);
        double e2 = grad_check_drop(3, sizes, kinked, COST_CROSS_ENTROPY, seed + 10, drop);
        double e3 = grad_check_drop(3, sizes, smooth, COST_QUADRATIC, seed + 20, drop);
        ck_assert_msg(e1 < TOL_SMOOTH && e2 < TOL_KINKED && e3 < TOL_SMOOTH,
                      "relative errors %.3g %.3g %.3g", e1, e2, e3);
    }
}
END_TEST

/* The masks: about rate of the units dropped, the kept ones scaled by
 * 1/(1-rate); each example's mask the same wherever it sits in a batch
 * and whichever view runs it; rate 0 and a workspace without dropout give
 * the plain forward pass. */
START_TEST(test_dropout_masks)
{
    int kept = 0, n = 0;
    for (int e = 0; e < 200; e++)
        for (int u = 0; u < 100; u++, n++)
            kept += net_dropout_keeps(99, e, 1, u, 0.3f);
    ck_assert_msg(fabs((double)kept / n - 0.7) < 0.02, "kept %d of %d", kept, n);
    ck_assert(net_dropout_keeps(99, 5, 1, 7, 0.0f));
    /* A pure function: the same answer twice, and a different key, example,
     * layer or unit draws anew (some of 64 differ). */
    int differ[4] = {0};
    for (int u = 0; u < 64; u++) {
        int k = net_dropout_keeps(5, 3, 2, u, 0.5f);
        ck_assert_int_eq(k, net_dropout_keeps(5, 3, 2, u, 0.5f));
        differ[0] += k != net_dropout_keeps(6, 3, 2, u, 0.5f);
        differ[1] += k != net_dropout_keeps(5, 4, 2, u, 0.5f);
        differ[2] += k != net_dropout_keeps(5, 3, 1, u, 0.5f);
        differ[3] += k != net_dropout_keeps(5, 3, 2, (u + 1) % 64, 0.5f);
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_gt(differ[i], 10);

    int sizes[] = {6, 9, 3};
    net_act a[] = {ACT_RELU, ACT_SOFTMAX};
    net_t net;
    net_ws ws, ws2, plain;
    ck_assert(net_create(&net, 2, sizes, a, COST_CROSS_ENTROPY, NULL) == 0);
    rng_t r;
    rng_seed(&r, 4);
    net_init_params(&net, INIT_HE, &r);
    float x[4 * 6], xr[4 * 6];
    for (int i = 0; i < 4 * 6; i++)
        x[i] = (float)rng_uniform(&r);
    /* The same four examples in the opposite order. */
    for (int i = 0; i < 4; i++)
        memcpy(xr + i * 6, x + (3 - i) * 6, 6 * sizeof *x);
    int ids[4] = {10, 11, 12, 13}, rids[4] = {13, 12, 11, 10};
    float drop[] = {0.2f, 0.5f};
    ck_assert(net_ws_create(&ws, &net, 4, NULL) == 0 && net_ws_dropout(&ws, &net, drop, NULL) == 0);
    ck_assert(net_ws_create(&ws2, &net, 4, NULL) == 0 && net_ws_dropout(&ws2, &net, drop, NULL) == 0);
    ck_assert(net_ws_create(&plain, &net, 4, NULL) == 0);
    ws.drop.key = ws2.drop.key = 77;
    ws.drop.example = ids;
    ws2.drop.example = rids;
    net_forward(&net, &ws, x, 4);
    net_forward(&net, &ws2, xr, 4);
    for (int i = 0; i < 4; i++)
        ck_assert(memcmp(ws.act[2] + i * 3, ws2.act[2] + (3 - i) * 3, 3 * sizeof(float)) == 0);
    /* Rows 2..3 run alone through a view: the same bits as in the batch. */
    net_ws view;
    float out23[2 * 3];
    memcpy(out23, ws.act[2] + 2 * 3, sizeof out23);
    net_ws_rows(&net, &ws, 2, 2, &view);
    net_forward(&net, &view, x + 2 * 6, 2);
    ck_assert(memcmp(out23, ws.act[2] + 2 * 3, sizeof out23) == 0);
    /* The masked inputs: zero or scaled by 1/(1-rate) exactly. */
    int zeros = 0;
    for (int i = 0; i < 4 * 6; i++) {
        float m = ws.in[0][i];
        ck_assert(m == 0.0f || m == x[i] * (1.0f / (1.0f - 0.2f)));
        zeros += m == 0.0f;
    }
    ck_assert(zeros > 0 && zeros < 4 * 6);
    /* Evaluation: a workspace without dropout is the plain network; so is
     * one whose rates are all 0. */
    float none[] = {0, 0};
    net_forward(&net, &plain, x, 4);
    ck_assert(memcmp(plain.act[2], ws.act[2], 4 * 3 * sizeof(float)) != 0);
    ck_assert(net_ws_dropout(&ws2, &net, none, NULL) == 0);
    ck_assert(ws2.in[0] == NULL && ws2.in[1] == NULL);
    net_forward(&net, &ws2, x, 4);
    ck_assert(memcmp(plain.act[2], ws2.act[2], 4 * 3 * sizeof(float)) == 0);
    net_ws_free(&ws);
    net_ws_free(&ws2);
    net_ws_free(&plain);
    net_free(&net);
}
END_TEST

START_TEST(test_gradients_every_activation_and_cost)
{
    const net_act hidden[] = {ACT_SIGMOID, ACT_TANH, ACT_RELU, ACT_LEAKY_RELU, ACT_LINEAR};
    const net_act output[] = {ACT_SIGMOID, ACT_TANH, ACT_RELU, ACT_LEAKY_RELU, ACT_LINEAR, ACT_SOFTMAX};
    int checked = 0;
    for (int c = 0; c < COST_COUNT; c++)
        for (size_t h = 0; h < sizeof hidden / sizeof hidden[0]; h++)
            for (size_t o = 0; o < sizeof output / sizeof output[0]; o++) {
                net_act out = output[o];
                if (c == COST_CROSS_ENTROPY && out != ACT_SIGMOID && out != ACT_SOFTMAX)
                    continue;
                if ((c == COST_MAE || c == COST_HUBER) && out == ACT_SOFTMAX)
                    continue;
                int sizes2[] = {6, 5, 4}, sizes3[] = {5, 4, 3, 4};
                net_act a2[] = {hidden[h], out}, a3[] = {hidden[h], hidden[(h + 1) % 5], out};
                double e2 = grad_check(2, sizes2, a2, (net_cost)c, 11 + h * 7 + o);
                double e3 = grad_check(3, sizes3, a3, (net_cost)c, 99 + h * 7 + o);
                ck_assert_msg(e2 < cost_tolerance(2, a2, (net_cost)c) &&
                                  e3 < cost_tolerance(3, a3, (net_cost)c), "%s/%s/%s: relative error %.3g, %.3g",
                              net_act_name(hidden[h]), net_act_name(out),
                              net_cost_name((net_cost)c), e2, e3);
                checked++;
            }
    /* quadratic: 6 outputs; cross_entropy: 2; mae and huber: 5 each */
    ck_assert_int_eq(checked, 5 * 6 + 5 * 2 + 2 * 5 * 5);
}
END_TEST

/* mae and huber against finite differences with linear, sigmoid and tanh
 * outputs (the outputs a regression takes), one and two hidden layers of
 * smooth and kinked units; the targets put outputs both within and beyond
 * huber's delta, which is counted so that both branches are exercised. */
START_TEST(test_regression_cost_gradients)
{
    const net_cost costs[] = {COST_MAE, COST_HUBER};
    const net_act outs[] = {ACT_LINEAR, ACT_SIGMOID, ACT_TANH};
    const net_act hidden[] = {ACT_TANH, ACT_RELU};
    for (int c = 0; c < 2; c++)
        for (int o = 0; o < 3; o++) {
            int regions[2] = {0, 0};
            for (int h = 0; h < 2; h++)
                for (uint64_t seed = 1; seed <= 3; seed++) {
                    int s1[] = {5, 4}, s2[] = {6, 5, 4}, s3[] = {5, 4, 3, 4};
                    net_act a1[] = {outs[o]}, a2[] = {hidden[h], outs[o]},
                            a3[] = {hidden[h], hidden[1 - h], outs[o]};
                    uint64_t k = 1000 * (c + 1) + 100 * o + 10 * h + seed;
                    double e1 = grad_check_at(1, s1, a1, costs[c], k, NULL, regions);
                    double e2 = grad_check_at(2, s2, a2, costs[c], k + 7, NULL, regions);
                    double e3 = grad_check_at(3, s3, a3, costs[c], k + 13, NULL, regions);
                    ck_assert_msg(e1 < TOL_KINKED && e2 < TOL_KINKED && e3 < TOL_KINKED,
                                  "%s, %s hidden, %s output, seed %d: relative errors %.3g %.3g %.3g",
                                  net_cost_name(costs[c]), net_act_name(hidden[h]),
                                  net_act_name(outs[o]), (int)seed, e1, e2, e3);
                }
            ck_assert_msg(regions[0] > 10 && regions[1] > 10,
                          "%s/%s: %d outputs within delta, %d beyond: both branches need checking",
                          net_cost_name(costs[c]), net_act_name(outs[o]), regions[0], regions[1]);
        }
    /* With dropout too. */
    int sizes[] = {8, 7, 6, 4};
    float drop[] = {0.25f, 0.5f, 0.3f};
    net_act a[] = {ACT_SIGMOID, ACT_TANH, ACT_LINEAR};
    ck_assert(grad_check_drop(3, sizes, a, COST_MAE, 5, drop) < TOL_KINKED);
    ck_assert(grad_check_drop(3, sizes, a, COST_HUBER, 6, drop) < TOL_KINKED);
}
END_TEST

/* The costs' values and output gradients at pinned points, worked out by
 * hand: a one-layer linear network with W = identity and b = 0 outputs its
 * input exactly, so a is what we give it. With B = 1 the output bias's
 * gradient is dC/dz = dC/da (linear), one per unit. */
START_TEST(test_cost_values_pinned)
{
    int sizes[] = {5, 5};
    net_act act[] = {ACT_LINEAR};
    /*                 d = a - y:  0.5  -2.5   0   1 (= delta)  -0.25 */
    const float a[5] = {0.5f, -2.0f, 3.0f, 1.0f, -0.25f};
    const float y[5] = {0.0f, 0.5f, 3.0f, 0.0f, 0.0f};
    const struct {
        net_cost cost;
        double value;
        float grad[5];
    } want[] = {
        /* 1/2 (0.25 + 6.25 + 0 + 1 + 0.0625) */
        {COST_QUADRATIC, 3.78125, {0.5f, -2.5f, 0.0f, 1.0f, -0.25f}},
        /* 0.5 + 2.5 + 0 + 1 + 0.25 */
        {COST_MAE, 4.25, {1.0f, -1.0f, 0.0f, 1.0f, -1.0f}},
        /* 0.125 + 1 (2.5 - 0.5) + 0 + 0.5 + 0.03125: |d| = delta is quadratic's 0.5,
         * linear's 1 - 0.5 = 0.5 too (continuous) */
        {COST_HUBER, 2.65625, {0.5f, -1.0f, 0.0f, 1.0f, -0.25f}},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        net_t net;
        net_ws ws;
        ck_assert(net_create(&net, 1, sizes, act, want[k].cost, NULL) == 0);
        ck_assert(net_ws_create(&ws, &net, 1, NULL) == 0);
        for (int i = 0; i < 5; i++)
            net.params[net.w_off[0] + i * 5 + i] = 1.0f;
        net_forward(&net, &ws, a, 1);
        ck_assert(memcmp(net_output(&net, &ws), a, sizeof a) == 0);
        double c = net_cost_sum(&net, &ws, y, 1);
        ck_assert_msg(c == want[k].value, "%s: cost %.17g, want %.17g",
                      net_cost_name(want[k].cost), c, want[k].value);
        float *g = malloc(net.n_params * sizeof *g);
        net_backward(&net, &ws, a, y, 1, g);
        for (int i = 0; i < 5; i++)
            ck_assert_msg(g[net.b_off[0] + i] == want[k].grad[i], "%s: dC/da[%d] = %g, want %g",
                          net_cost_name(want[k].cost), i, g[net.b_off[0] + i], want[k].grad[i]);
        free(g);
        net_ws_free(&ws);
        net_free(&net);
    }
    /* Far beyond delta huber grows like mae less delta/2 per unit. */
    {
        net_t net;
        net_ws ws;
        ck_assert(net_create(&net, 1, sizes, act, COST_HUBER, NULL) == 0);
        ck_assert(net_ws_create(&ws, &net, 1, NULL) == 0);
        for (int i = 0; i < 5; i++)
            net.params[net.w_off[0] + i * 5 + i] = 1.0f;
        const float far[5] = {100.0f, -50.0f, 7.0f, -3.0f, 2.0f}, zero[5] = {0};
        net_forward(&net, &ws, far, 1);
        ck_assert(net_cost_sum(&net, &ws, zero, 1) == 162.0 - 5 * 0.5);
        net_ws_free(&ws);
        net_free(&net);
    }
}
END_TEST

START_TEST(test_single_layer_gradient)
{
    int sizes[] = {7, 3};
    net_act a[] = {ACT_SOFTMAX};
    ck_assert(grad_check(1, sizes, a, COST_CROSS_ENTROPY, 5) < TOL_SMOOTH);
    net_act b[] = {ACT_SIGMOID};
    ck_assert(grad_check(1, sizes, b, COST_QUADRATIC, 6) < TOL_SMOOTH);
}
END_TEST

/* The checker must be able to fail: a wrong gradient is caught. */
START_TEST(test_checker_catches_a_wrong_gradient)
{
    int sizes[] = {4, 3, 2};
    net_act a[] = {ACT_SIGMOID, ACT_SIGMOID};
    net_t net;
    net_ws ws;
    ck_assert(net_create(&net, 2, sizes, a, COST_QUADRATIC, NULL) == 0);
    ck_assert(net_ws_create(&ws, &net, B_EX, NULL) == 0);
    rng_t r;
    rng_seed(&r, 9);
    net_init_params(&net, INIT_NIELSEN, &r);
    float x[B_EX * 4], y[B_EX * 2] = {1, 0, 0, 1, 1, 0};
    for (int i = 0; i < B_EX * 4; i++)
        x[i] = (float)rng_uniform(&r);
    float *g = malloc(net.n_params * sizeof *g);
    cost_at(&net, &ws, x, y);
    net_backward(&net, &ws, x, y, B_EX, g);
    int crossed = 0;
    double num = diff(&net, &ws, x, y, net.w_off[1], 1.0 / 128, &crossed);
    ck_assert(fabs(num - g[net.w_off[1]]) < 1e-3);
    ck_assert(fabs(num - 2 * g[net.w_off[1]]) > 1e-3); /* a factor 2 off would show */
    free(g);
    net_ws_free(&ws);
    net_free(&net);
}
END_TEST

START_TEST(test_layout_and_param_count)
{
    int sizes[] = {784, 30, 10};
    net_act a[] = {ACT_SIGMOID, ACT_SIGMOID};
    net_t net;
    ck_assert(net_create(&net, 2, sizes, a, COST_QUADRATIC, NULL) == 0);
    ck_assert_uint_eq(net.n_params, 784 * 30 + 30 + 30 * 10 + 10);
    ck_assert_uint_eq(net.w_off[0], 0);
    ck_assert_uint_eq(net.b_off[0], 784 * 30);
    ck_assert_uint_eq(net.w_off[1], 784 * 30 + 30);
    ck_assert_uint_eq(net.b_off[1], 784 * 30 + 30 + 300);
    net_free(&net);
}
END_TEST

/* Row spans tile the whole parameter buffer, in order, biases included;
 * per-row gradients computed in pieces equal the whole. */
START_TEST(test_rows_span_and_partial_grads)
{
    int sizes[] = {7, 5, 3};
    net_act a[] = {ACT_TANH, ACT_SOFTMAX};
    net_t net;
    net_ws ws;
    ck_assert(net_create(&net, 2, sizes, a, COST_CROSS_ENTROPY, NULL) == 0);
    ck_assert_int_eq(net_weight_rows(&net), 12);
    size_t b, e, next = 0;
    const int cuts[][2] = {{0, 3}, {3, 7}, {7, 9}, {9, 12}};
    for (int i = 0; i < 4; i++) {
        net_rows_span(&net, cuts[i][0], cuts[i][1], &b, &e);
        ck_assert_uint_eq(b, next);
        next = e;
    }
    ck_assert_uint_eq(next, net.n_params);
    net_rows_span(&net, 0, 7, &b, &e);
    ck_assert_uint_eq(e, net.b_off[0] + 5); /* layer 0's bias comes with its last row */

    ck_assert(net_ws_create(&ws, &net, 4, NULL) == 0);
    rng_t r;
    rng_seed(&r, 2);
    net_init_params(&net, INIT_XAVIER, &r);
    float x[4 * 7], y[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0};
    for (int i = 0; i < 4 * 7; i++)
        x[i] = (float)rng_uniform(&r);
    float *whole = calloc(net.n_params, sizeof *whole), *parts = calloc(net.n_params, sizeof *parts);
    net_forward(&net, &ws, x, 4);
    net_backward(&net, &ws, x, y, 4, whole);
    for (int i = 0; i < 4; i++)
        net_param_grads(&net, &ws, x, 4, cuts[i][0], cuts[i][1], parts);
    ck_assert(memcmp(whole, parts, net.n_params * sizeof *whole) == 0);
    free(whole);
    free(parts);
    net_ws_free(&ws);
    net_free(&net);
}
END_TEST

START_TEST(test_create_rejects_bad_shapes)
{
    net_t net;
    err_t err;
    int sizes[] = {4, 0, 2};
    net_act a[] = {ACT_RELU, ACT_SOFTMAX};
    ck_assert_int_eq(net_create(&net, 2, sizes, a, COST_CROSS_ENTROPY, &err), -1);
    ck_assert(strstr(err.msg, "size") != NULL);
    int ok[] = {4, 3, 2};
    net_act hidden_softmax[] = {ACT_SOFTMAX, ACT_SOFTMAX};
    ck_assert_int_eq(net_create(&net, 2, ok, hidden_softmax, COST_CROSS_ENTROPY, &err), -1);
    ck_assert(strstr(err.msg, "softmax") != NULL);
    net_act relu_out[] = {ACT_RELU, ACT_RELU};
    ck_assert_int_eq(net_create(&net, 2, ok, relu_out, COST_CROSS_ENTROPY, &err), -1);
    ck_assert(strstr(err.msg, "cross_entropy") != NULL);
    net_act softmax_out[] = {ACT_RELU, ACT_SOFTMAX};
    ck_assert_int_eq(net_create(&net, 2, ok, softmax_out, COST_MAE, &err), -1);
    ck_assert(strstr(err.msg, "mae") != NULL && strstr(err.msg, "softmax") != NULL);
    ck_assert_int_eq(net_create(&net, 2, ok, softmax_out, COST_HUBER, &err), -1);
    ck_assert(strstr(err.msg, "huber") != NULL);
    /* Every other output takes them. */
    for (int o = 0; o < ACT_COUNT; o++) {
        net_act out[] = {ACT_RELU, (net_act)o};
        for (int c = COST_MAE; c <= COST_HUBER && o != ACT_SOFTMAX; c++) {
            ck_assert_int_eq(net_create(&net, 2, ok, out, (net_cost)c, &err), 0);
            net_free(&net);
        }
    }
    ck_assert_int_eq(net_create(&net, 0, ok, a, COST_QUADRATIC, &err), -1);
    ck_assert_int_eq(net_create(&net, NET_MAX_LAYERS + 1, ok, a, COST_QUADRATIC, &err), -1);
}
END_TEST

START_TEST(test_names_round_trip)
{
    for (int i = 0; i < ACT_COUNT; i++) {
        net_act a;
        ck_assert_int_eq(net_act_parse(net_act_name((net_act)i), &a), 0);
        ck_assert_int_eq(a, i);
    }
    for (int i = 0; i < COST_COUNT; i++) {
        net_cost c;
        ck_assert_int_eq(net_cost_parse(net_cost_name((net_cost)i), &c), 0);
        ck_assert_int_eq(c, i);
    }
    for (int i = 0; i < INIT_COUNT; i++) {
        net_init_kind k;
        ck_assert_int_eq(net_init_parse(net_init_name((net_init_kind)i), &k), 0);
        ck_assert_int_eq(k, i);
    }
    /* The names are fixed: configs and model files print them. "mse" is a
     * second name for quadratic, which keeps its own. */
    const char *const costs[] = {"quadratic", "cross_entropy", "mae", "huber"};
    ck_assert_int_eq(COST_COUNT, 4);
    for (int i = 0; i < COST_COUNT; i++)
        ck_assert_str_eq(net_cost_name((net_cost)i), costs[i]);
    net_cost c = COST_HUBER;
    ck_assert_int_eq(net_cost_parse("mse", &c), 0);
    ck_assert_int_eq(c, COST_QUADRATIC);
    ck_assert_str_eq(net_cost_name(COST_QUADRATIC), "quadratic");
    ck_assert_int_eq(net_cost_parse("MSE", &c), -1);
    ck_assert_int_eq(net_cost_parse("huber_loss", &c), -1);
    net_act a;
    ck_assert_int_eq(net_act_parse("Sigmoid", &a), -1);
    ck_assert_int_eq(net_act_parse("", &a), -1);
}
END_TEST

/* Weight spread follows the scheme: std of W1 for a 400-wide input. */
START_TEST(test_init_scales)
{
    int sizes[] = {400, 300, 10};
    net_act a[] = {ACT_RELU, ACT_SOFTMAX};
    const net_init_kind kinds[] = {INIT_NIELSEN, INIT_XAVIER, INIT_HE};
    const double want[] = {1.0 / sqrt(400.0), sqrt(6.0 / 700.0) / sqrt(3.0), sqrt(2.0 / 400.0)};
    for (int k = 0; k < 3; k++) {
        net_t net;
        ck_assert(net_create(&net, 2, sizes, a, COST_CROSS_ENTROPY, NULL) == 0);
        rng_t r;
        rng_seed(&r, 1);
        net_init_params(&net, kinds[k], &r);
        double s2 = 0;
        size_t n = 400 * 300;
        for (size_t i = 0; i < n; i++)
            s2 += (double)net.params[i] * net.params[i];
        double sd = sqrt(s2 / n);
        ck_assert_msg(fabs(sd / want[k] - 1.0) < 0.02, "%s: sd %g want %g",
                      net_init_name(kinds[k]), sd, want[k]);
        net_free(&net);
    }
}
END_TEST

START_TEST(test_softmax_outputs_sum_to_one)
{
    int sizes[] = {3, 5};
    net_act a[] = {ACT_SOFTMAX};
    net_t net;
    net_ws ws;
    ck_assert(net_create(&net, 1, sizes, a, COST_CROSS_ENTROPY, NULL) == 0);
    ck_assert(net_ws_create(&ws, &net, 2, NULL) == 0);
    for (size_t i = 0; i < net.n_params; i++)
        net.params[i] = (float)(i % 7) * 30.0f; /* large logits: no overflow */
    float x[6] = {1, 1, 1, 0.5f, 0, 1};
    net_forward(&net, &ws, x, 2);
    for (int b = 0; b < 2; b++) {
        double s = 0;
        for (int j = 0; j < 5; j++) {
            ck_assert(isfinite(net_output(&net, &ws)[b * 5 + j]));
            s += net_output(&net, &ws)[b * 5 + j];
        }
        ck_assert(fabs(s - 1.0) < 1e-5);
    }
    net_ws_free(&ws);
    net_free(&net);
}
END_TEST

/* Both algorithms of the backward d W^T product give the same gradient up
 * to float rounding. */
START_TEST(test_packed_backward_matches)
{
    int sizes[] = {20, 33, 17, 5};
    net_act a[] = {ACT_RELU, ACT_SIGMOID, ACT_SOFTMAX};
    net_t net;
    net_ws ws;
    ck_assert(net_create(&net, 3, sizes, a, COST_CROSS_ENTROPY, NULL) == 0);
    ck_assert(net_ws_create(&ws, &net, 9, NULL) == 0);
    rng_t r;
    rng_seed(&r, 12);
    net_init_params(&net, INIT_HE, &r);
    float x[9 * 20], y[9 * 5] = {0};
    for (int i = 0; i < 9 * 20; i++)
        x[i] = (float)rng_uniform(&r);
    for (int b = 0; b < 9; b++)
        y[b * 5 + b % 5] = 1.0f;
    float *g0 = malloc(net.n_params * sizeof *g0), *g1 = malloc(net.n_params * sizeof *g1);
    net_forward(&net, &ws, x, 9);
    net_backward(&net, &ws, x, y, 9, g0);
    net.packed = 1;
    net_forward(&net, &ws, x, 9);
    net_backward(&net, &ws, x, y, 9, g1);
    for (size_t i = 0; i < net.n_params; i++)
        ck_assert(fabsf(g0[i] - g1[i]) < 1e-5f * (1.0f + fabsf(g0[i])));
    free(g0);
    free(g1);
    net_ws_free(&ws);
    net_free(&net);
}
END_TEST

/* ---- the cost's value at saturated outputs -------------------------------- */

/* The cost of one example, written out here in double from the outputs a
 * the network gave (n units, targets y): quadratic 1/2 sum (a - y)^2;
 * cross-entropy with softmax -sum y ln a, with sigmoid outputs
 * -sum [y ln a + (1 - y) ln(1 - a)] (Nielsen, chapter 3). A unit's a is kept
 * at least FLT_MIN (ln 0 is -inf) and, for sigmoid, at most 1 - 1e-7, so a
 * saturated wrong unit costs -ln(FLT_MIN) = 87.3 or -ln(1e-7) = 16.1. */
static double cost_ref(net_cost cost, net_act out, const float *a, const float *y, int n)
{
    double s = 0.0;
    for (int j = 0; j < n; j++) {
        double aj = a[j], yj = y[j];
        if (cost == COST_QUADRATIC) {
            s += 0.5 * (aj - yj) * (aj - yj);
        } else if (cost == COST_MAE) {
            s += fabs(aj - yj);
        } else if (cost == COST_HUBER) {
            double d = fabs(aj - yj);
            s += d <= NET_HUBER_DELTA ? 0.5 * d * d : NET_HUBER_DELTA * (d - 0.5 * NET_HUBER_DELTA);
        } else if (out == ACT_SOFTMAX) {
            if (yj != 0.0) s -= yj * log(fmax(aj, FLT_MIN));
        } else {
            aj = fmin(fmax(aj, FLT_MIN), 1.0 - 1e-7);
            s -= yj * log(aj) + (1.0 - yj) * log(1.0 - aj);
        }
    }
    return s;
}

/* The cost as the network computed it before net_cost_rows: one dm_log
 * per term, in order, one running sum. Bit for bit what both of
 * net_cost_sum and net_cost_rows must give. */
static double cost_exact(net_cost cost, net_act out, const float *a, const float *y, size_t n)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++) {
        if (cost == COST_QUADRATIC) {
            double d = (double)a[j] - y[j];
            s += 0.5 * d * d;
        } else if (cost == COST_MAE) {
            s += fabs((double)a[j] - y[j]);
        } else if (cost == COST_HUBER) {
            double d = fabs((double)a[j] - y[j]);
            s += d <= NET_HUBER_DELTA ? 0.5 * d * d : NET_HUBER_DELTA * (d - 0.5 * NET_HUBER_DELTA);
        } else if (out == ACT_SOFTMAX) {
            if (y[j] != 0.0f)
                s -= y[j] * dm_log(fmax(a[j], FLT_MIN));
        } else {
            double aj = fmin(fmax(a[j], FLT_MIN), 1.0 - 1e-7);
            s -= y[j] * dm_log(aj) + (1.0 - y[j]) * dm_log(1.0 - aj);
        }
    }
    return s;
}

/* net_cost_sum over B rows and net_cost_rows per row, against one dm_log
 * per term in order (the logs are taken in blocks of 64: B * n_out runs
 * past several), for every output and cost, with saturated and NaN
 * outputs and one-hot, smoothed and zero targets. */
START_TEST(test_cost_rows_same_bits)
{
    static const struct {
        net_act out;
        net_cost cost;
    } cases[] = {
        {ACT_SOFTMAX, COST_CROSS_ENTROPY}, {ACT_SOFTMAX, COST_QUADRATIC},
        {ACT_SIGMOID, COST_CROSS_ENTROPY}, {ACT_SIGMOID, COST_QUADRATIC},
        {ACT_SIGMOID, COST_MAE},           {ACT_LINEAR, COST_QUADRATIC},
        {ACT_LINEAR, COST_MAE},            {ACT_LINEAR, COST_HUBER},
    };
    static const int outs[] = {1, 3, 10}, bs[] = {1, 7, 64, 150};
    rng_t r;
    rng_seed(&r, 5);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t o = 0; o < sizeof outs / sizeof outs[0]; o++)
            for (size_t b = 0; b < sizeof bs / sizeof bs[0]; b++) {
                int n = outs[o], B = bs[b], sizes[] = {4, n};
                net_t net;
                net_ws ws;
                ck_assert(net_create(&net, 1, sizes, &cases[c].out, cases[c].cost, NULL) == 0);
                ck_assert(net_ws_create(&ws, &net, B, NULL) == 0);
                for (size_t p = 0; p < net.n_params; p++)
                    net.params[p] = (float)(rng_uniform(&r) * 40.0 - 20.0); /* saturates */
                float *x = malloc((size_t)B * 4 * sizeof *x), *y = malloc((size_t)B * n * sizeof *y);
                double *rows = malloc((size_t)B * sizeof *rows);
                for (int i = 0; i < B * 4; i++)
                    x[i] = (float)(rng_uniform(&r) * 2.0 - 1.0);
                x[(B / 2) * 4] = NAN; /* a NaN row */
                for (int i = 0; i < B; i++)
                    for (int k = 0; k < n; k++) {
                        float *yk = &y[(size_t)i * n + k];
                        int hot = k == i % n;
                        if (cases[c].out == ACT_SOFTMAX)
                            *yk = i % 5 == 4 ? 0.0f : i % 3 == 2 ? (hot ? 0.9f : 0.1f / n) : (float)hot;
                        else
                            *yk = (float)rng_uniform(&r);
                    }
                net_forward(&net, &ws, x, B);
                const float *a = net_output(&net, &ws);
                double all = net_cost_sum(&net, &ws, y, B);
                double want = cost_exact(cases[c].cost, cases[c].out, a, y, (size_t)B * n);
                ck_assert_msg(memcmp(&all, &want, sizeof all) == 0,
                              "%s %s, %d outputs, %d rows: sum %.17g, want %.17g",
                              net_act_name(cases[c].out), net_cost_name(cases[c].cost), n, B, all, want);
                net_cost_rows(&net, &ws, y, B, rows);
                for (int i = 0; i < B; i++) {
                    double wi = cost_exact(cases[c].cost, cases[c].out, a + (size_t)i * n,
                                           y + (size_t)i * n, (size_t)n);
                    ck_assert_msg(memcmp(&rows[i], &wi, sizeof wi) == 0,
                                  "%s %s, %d outputs, row %d of %d: %.17g, want %.17g",
                                  net_act_name(cases[c].out), net_cost_name(cases[c].cost), n, i, B,
                                  rows[i], wi);
                }
                free(x);
                free(y);
                free(rows);
                net_ws_free(&ws);
                net_free(&net);
            }
}
END_TEST

/* One example through a one-layer network whose outputs' inputs z are its
 * biases (input 1, weights 0): the outputs into a, the cost returned. */
static double saturated_cost(net_act out, net_cost cost, const float *z, const float *y, int n,
                             float *a)
{
    int sizes[] = {1, n};
    net_t net;
    net_ws ws;
    ck_assert(net_create(&net, 1, sizes, &out, cost, NULL) == 0);
    ck_assert(net_ws_create(&ws, &net, 1, NULL) == 0);
    memset(net.params, 0, net.n_params * sizeof(float));
    for (int j = 0; j < n; j++) net.params[net.b_off[0] + j] = z[j];
    float x = 1.0f;
    net_forward(&net, &ws, &x, 1);
    memcpy(a, net_output(&net, &ws), (size_t)n * sizeof *a);
    double c = net_cost_sum(&net, &ws, y, 1);
    net_ws_free(&ws);
    net_free(&net);
    return c;
}

#define ck_assert_cost(got, want, what)                                                    \
    ck_assert_msg(fabs((got) - (want)) <= 1e-12 * fabs(want) + 1e-300, "%s: cost %.17g, expected %.17g", \
                  (what), (got), (want))

/* The cost's value, not only its gradient, at outputs near and at
 * saturation, for every cost and output: a clamp moved (1 - 1e-7 to
 * 1 - 1e-3, FLT_MIN to 1e-30) changes these. */
START_TEST(test_cost_value_at_saturation)
{
    float a[4];
    char what[128];
    /* Sigmoid outputs, cross-entropy: one unit, from barely to fully
     * saturated, each way, with targets 0, 1 and a smoothed 0.05. */
    static const float zs[] = {-200, -88, -30, -16, -9.21f, -2, 0, 2, 9.21f, 14, 15, 16, 17, 30, 200};
    static const float ys[] = {0.0f, 1.0f, 0.05f, 0.95f};
    for (size_t i = 0; i < sizeof zs / sizeof zs[0]; i++)
        for (size_t k = 0; k < sizeof ys / sizeof ys[0]; k++)
            for (int c = 0; c < COST_COUNT; c++) {
                double got = saturated_cost(ACT_SIGMOID, (net_cost)c, &zs[i], &ys[k], 1, a);
                snprintf(what, sizeof what, "sigmoid %s, z %g, y %g (a = %.9g)",
                         net_cost_name((net_cost)c), zs[i], ys[k], a[0]);
                ck_assert_cost(got, cost_ref((net_cost)c, ACT_SIGMOID, a, &ys[k], 1), what);
            }
    /* The values themselves where the clamps decide them. */
    float y0 = 0.0f, y1 = 1.0f;
    double got = saturated_cost(ACT_SIGMOID, COST_CROSS_ENTROPY, &zs[13], &y0, 1, a);
    ck_assert(a[0] == 1.0f);
    ck_assert_cost(got, -log(1.0 - (1.0 - 1e-7)), "sigmoid cross_entropy, a = 1, y = 0"); /* 16.118 */
    got = saturated_cost(ACT_SIGMOID, COST_CROSS_ENTROPY, &zs[11], &y0, 1, a);
    ck_assert(a[0] < 1.0f && a[0] > 1.0f - 2e-7f);
    ck_assert_cost(got, -log(1.0 - (double)a[0]), "sigmoid cross_entropy, z = 16, y = 0");
    got = saturated_cost(ACT_SIGMOID, COST_CROSS_ENTROPY, &zs[8], &y0, 1, a);
    ck_assert_msg(fabs(got - 9.21) < 0.01, "sigmoid cross_entropy, z = 9.21, y = 0: %.17g", got);
    got = saturated_cost(ACT_SIGMOID, COST_CROSS_ENTROPY, &zs[0], &y1, 1, a);
    ck_assert(a[0] < FLT_MIN);
    ck_assert_cost(got, -log(FLT_MIN), "sigmoid cross_entropy, a = 0, y = 1"); /* 87.34 */
    got = saturated_cost(ACT_SIGMOID, COST_CROSS_ENTROPY, &zs[2], &y1, 1, a);
    ck_assert_msg(fabs(got - 30.0) < 1e-5, "sigmoid cross_entropy, z = -30, y = 1: %.17g", got);
    got = saturated_cost(ACT_SIGMOID, COST_QUADRATIC, &zs[14], &y0, 1, a);
    ck_assert_cost(got, 0.5, "sigmoid quadratic, a = 1, y = 0");

    /* Softmax outputs: the target's probability from 1e-13 down to 0. */
    static const float zz[][3] = {{0, 30, -30}, {0, 60, 0}, {0, 88, 0}, {0, 200, -200},
                                  {30, 0, 0}, {200, 0, 0}, {0, 0, 0}};
    static const float yy[][3] = {{1, 0, 0}, {0.9f, 0.05f, 0.05f}, {0, 0.5f, 0.5f}};
    for (size_t i = 0; i < sizeof zz / sizeof zz[0]; i++)
        for (size_t k = 0; k < sizeof yy / sizeof yy[0]; k++)
            for (int c = 0; c <= COST_CROSS_ENTROPY; c++) { /* mae, huber: not with softmax */
                got = saturated_cost(ACT_SOFTMAX, (net_cost)c, zz[i], yy[k], 3, a);
                snprintf(what, sizeof what, "softmax %s, z (%g, %g, %g), y (%g, %g, %g)",
                         net_cost_name((net_cost)c), zz[i][0], zz[i][1], zz[i][2], yy[k][0],
                         yy[k][1], yy[k][2]);
                ck_assert_cost(got, cost_ref((net_cost)c, ACT_SOFTMAX, a, yy[k], 3), what);
            }
    got = saturated_cost(ACT_SOFTMAX, COST_CROSS_ENTROPY, zz[0], yy[0], 3, a);
    ck_assert_msg(fabs(got - 30.0) < 1e-5, "softmax cross_entropy, target at -30: %.17g", got);
    got = saturated_cost(ACT_SOFTMAX, COST_CROSS_ENTROPY, zz[3], yy[0], 3, a);
    ck_assert(a[0] < FLT_MIN);
    ck_assert_cost(got, -log(FLT_MIN), "softmax cross_entropy, target's a = 0");
    got = saturated_cost(ACT_SOFTMAX, COST_QUADRATIC, zz[3], yy[0], 3, a);
    ck_assert_cost(got, 1.0, "softmax quadratic, (0, 1, 0) for (1, 0, 0)");

    /* Other outputs, quadratic only (cross-entropy needs sigmoid or
     * softmax): far from the target, nothing clamps. */
    static const net_act others[] = {ACT_TANH, ACT_RELU, ACT_LEAKY_RELU, ACT_LINEAR};
    static const float zo[] = {-1000, -30, 30, 1000};
    static const float yo[] = {0, 1, 0, 1};
    for (size_t o = 0; o < sizeof others / sizeof others[0]; o++) {
        got = saturated_cost(others[o], COST_QUADRATIC, zo, yo, 4, a);
        snprintf(what, sizeof what, "%s quadratic", net_act_name(others[o]));
        ck_assert_cost(got, cost_ref(COST_QUADRATIC, others[o], a, yo, 4), what);
    }
    got = saturated_cost(ACT_LINEAR, COST_QUADRATIC, zo, yo, 4, a);
    ck_assert_cost(got, 0.5 * (1000.0 * 1000 + 31.0 * 31 + 30.0 * 30 + 999.0 * 999), "linear quadratic");
}
END_TEST

TU_MAIN("net", test_gradients_every_activation_and_cost, test_regression_cost_gradients,
        test_cost_values_pinned, test_single_layer_gradient,
        test_checker_catches_a_wrong_gradient, test_layout_and_param_count,
        test_rows_span_and_partial_grads, test_create_rejects_bad_shapes, test_names_round_trip, test_init_scales,
        test_softmax_outputs_sum_to_one, test_packed_backward_matches, test_gradients_with_dropout,
        test_dropout_masks, test_cost_value_at_saturation, test_cost_rows_same_bits)
