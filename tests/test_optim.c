/* Suite optim: one SGD step; every optimizer of the table against
 * hand-computed steps, and the same bits in any split of the parameters. */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "optim.h"
#include "testutil.h"

START_TEST(test_sgd_step)
{
    float p[3] = {1.0f, -2.0f, 0.5f};
    const float g[3] = {0.5f, 1.0f, -4.0f};
    optim_sgd(p, g, 3, 0.25f);
    ck_assert(p[0] == 1.0f - 0.125f);
    ck_assert(p[1] == -2.25f);
    ck_assert(p[2] == 1.5f);
}
END_TEST

START_TEST(test_sgd_in_parallel_region_matches)
{
    enum { N = 5003 };
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *g = malloc(N * sizeof *g);
    for (int i = 0; i < N; i++) {
        a[i] = b[i] = (float)i * 0.01f;
        g[i] = (float)(i % 17) - 8.0f;
    }
    optim_sgd(a, g, N, 0.1f);
    /* Three threads on three disjoint ranges: the same as one pass. */
#pragma omp parallel num_threads(3)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t lo = (size_t)N * t / nt, hi = (size_t)N * (t + 1) / nt;
        optim_sgd(b + lo, g + lo, hi - lo, 0.1f);
    }
    for (int i = 0; i < N; i++)
        ck_assert(a[i] == b[i]);
    free(a);
    free(b);
    free(g);
}
END_TEST


/* ---- the optimizer table: hand-computed steps ----------------------------
 * A net 2-2-1 has 9 parameters: W0 (4), b0 (2), W1 (2), b1 (1). Each test
 * runs a few steps through optim_begin/optim_step/optim_end and compares
 * with the textbook formulas computed here in double. */

#define NP 9
#define STEPS 4
#define BATCH 4

static void tiny_net(net_t *net)
{
    int sizes[] = {2, 2, 1};
    net_act act[] = {ACT_TANH, ACT_SIGMOID};
    ck_assert_int_eq(net_create(net, 2, sizes, act, COST_QUADRATIC, NULL), 0);
    ck_assert_int_eq(net->n_params, NP);
    for (int i = 0; i < NP; i++)
        net->params[i] = 0.5f - 0.125f * (float)i;
}

/* The gradient SUM of step s for parameter i (varied, both signs). */
static float grad_of(int s, int i)
{
    return (float)(((i * 7 + s * 3) % 11) - 5) * 0.375f;
}

static int is_bias(const net_t *net, int i)
{
    for (int l = 0; l < net->n_layers; l++)
        if ((size_t)i >= net->b_off[l] && (size_t)i < net->b_off[l] + (size_t)net->sizes[l + 1])
            return 1;
    return 0;
}

/* Runs STEPS steps of p over [0, NP) in the pieces cut at cuts[] (ascending,
 * ending with NP); the params are left in net, the state in *st. */
static void run_optim(const optim_params *p, net_t *net, optim_state *st, double lr,
                      const size_t *cuts)
{
    err_t err;
    ck_assert_msg(optim_state_create(st, optim_kind_of(p), NP, &err) == 0, "%s", err.msg);
    float g[NP];
    for (int s = 0; s < STEPS; s++) {
        for (int i = 0; i < NP; i++)
            g[i] = grad_of(s, i);
        optim_step_args a;
        optim_begin(p, st, lr, BATCH, NP, &a);
        size_t lo = 0;
        for (int c = 0; lo < NP; c++) {
            optim_step(&a, net, net->params, g, st->state, lo, cuts[c]);
            lo = cuts[c];
        }
        optim_end(p, st);
    }
}

static const size_t WHOLE[] = {NP};
static const size_t PIECES[] = {1, 3, 4, 5, 8, NP}; /* across weights and biases */

/* Expected parameters after STEPS steps, in double. */
static void expect_optim(const optim_params *p, const net_t *net, double lr, double *w)
{
    double m[NP] = {0}, v[NP] = {0};
    for (int i = 0; i < NP; i++)
        w[i] = 0.5 - 0.125 * i;
    for (int s = 0; s < STEPS; s++) {
        int t = s + 1;
        double b1t = 1, b2t = 1;
        for (int k = 0; k < t; k++)
            b1t *= p->beta1, b2t *= p->beta2;
        for (int i = 0; i < NP; i++) {
            double wd = is_bias(net, i) ? 0.0 : p->weight_decay;
            double g = grad_of(s, i) / (double)BATCH;
            if (p->name == OPTIM_NAME_ADAMW) {
                w[i] -= lr * wd * w[i];
            } else {
                g += wd * w[i];
            }
            if (p->name == OPTIM_NAME_SGD && p->momentum == 0) {
                w[i] -= lr * g;
            } else if (p->name == OPTIM_NAME_SGD) {
                m[i] = p->momentum * m[i] + g;
                w[i] -= lr * (p->nesterov ? g + p->momentum * m[i] : m[i]);
            } else {
                m[i] = p->beta1 * m[i] + (1 - p->beta1) * g;
                v[i] = p->beta2 * v[i] + (1 - p->beta2) * g * g;
                double mh = m[i] / (1 - b1t), vh = v[i] / (1 - b2t);
                w[i] -= lr * mh / (sqrt(vh) + p->epsilon);
            }
        }
    }
}

/* Within float rounding of a few steps: 1e-5 relative, or 1e-6 absolute. */
static void check_close(const net_t *net, const double *w, const char *what)
{
    for (int i = 0; i < NP; i++) {
        double d = fabs(net->params[i] - w[i]);
        ck_assert_msg(d <= 1e-5 * fabs(w[i]) + 1e-6, "%s: param %d is %.9g, expected %.9g", what, i,
                      net->params[i], w[i]);
    }
}

/* Hand-computed, then bitwise the same in pieces (any thread split). */
static void check_optimizer(const optim_params *p, double lr, const char *what, double *out)
{
    net_t a, b;
    optim_state sa, sb;
    double w[NP];
    tiny_net(&a);
    tiny_net(&b);
    run_optim(p, &a, &sa, lr, WHOLE);
    run_optim(p, &b, &sb, lr, PIECES);
    expect_optim(p, &a, lr, w);
    check_close(&a, w, what);
    ck_assert_msg(memcmp(a.params, b.params, NP * sizeof(float)) == 0, "%s: pieces differ", what);
    ck_assert_int_eq(sa.n_state, (uint64_t)optim_state_per_param(optim_kind_of(p)) * NP);
    if (sa.n_state)
        ck_assert(memcmp(sa.state, sb.state, (size_t)sa.n_state * sizeof(float)) == 0);
    ck_assert(sa.t == STEPS);
    for (int i = 0; out && i < NP; i++)
        out[i] = a.params[i];
    optim_state_free(&sa);
    optim_state_free(&sb);
    net_free(&a);
    net_free(&b);
}

static optim_params params_of(optim_name n)
{
    optim_params p = {n, 0.0, 0, 0.9, 0.999, 1e-8, 0.0};
    return p;
}

START_TEST(test_table)
{
    ck_assert_int_eq(optim_state_per_param(OPTIM_SGD), 0);
    ck_assert_int_eq(optim_state_per_param(OPTIM_MOMENTUM), 1);
    ck_assert_int_eq(optim_state_per_param(OPTIM_ADAM), 2);
    ck_assert_int_eq(optim_state_per_param(OPTIM_ADAMW), 2);
    optim_params p = params_of(OPTIM_NAME_SGD);
    ck_assert_int_eq(optim_kind_of(&p), OPTIM_SGD);
    p.momentum = 0.5;
    ck_assert_int_eq(optim_kind_of(&p), OPTIM_MOMENTUM);
    p = params_of(OPTIM_NAME_ADAMW);
    ck_assert_int_eq(optim_kind_of(&p), OPTIM_ADAMW);
    optim_name n;
    ck_assert_int_eq(optim_name_parse("adam", &n), 0);
    ck_assert_int_eq(n, OPTIM_NAME_ADAM);
    ck_assert_int_eq(optim_name_parse("Adam", &n), -1);
    ck_assert_str_eq(optim_name_str(OPTIM_NAME_ADAMW), "adamw");
}
END_TEST

START_TEST(test_plain_sgd_is_the_old_update)
{
    /* Bit for bit: p -= (float)(lr / B) * grad. */
    optim_params p = params_of(OPTIM_NAME_SGD);
    net_t a;
    optim_state st;
    tiny_net(&a);
    float want[NP];
    for (int i = 0; i < NP; i++)
        want[i] = a.params[i];
    for (int s = 0; s < STEPS; s++) {
        float g[NP];
        for (int i = 0; i < NP; i++)
            g[i] = grad_of(s, i);
        optim_sgd(want, g, NP, (float)(0.3 / BATCH));
    }
    run_optim(&p, &a, &st, 0.3, PIECES);
    ck_assert(memcmp(a.params, want, sizeof want) == 0);
    ck_assert_ptr_null(st.state);
    optim_state_free(&st);
    net_free(&a);
    check_optimizer(&p, 0.3, "sgd", NULL);
}
END_TEST

START_TEST(test_sgd_weight_decay_skips_biases)
{
    optim_params p = params_of(OPTIM_NAME_SGD);
    p.weight_decay = 0.1;
    check_optimizer(&p, 0.3, "sgd, weight_decay", NULL);
}
END_TEST

START_TEST(test_momentum_and_nesterov)
{
    optim_params p = params_of(OPTIM_NAME_SGD);
    p.momentum = 0.9;
    double plain[NP], nest[NP];
    check_optimizer(&p, 0.1, "momentum", plain);
    p.nesterov = 1;
    check_optimizer(&p, 0.1, "nesterov", nest);
    p.weight_decay = 0.01;
    check_optimizer(&p, 0.1, "nesterov, weight_decay", NULL);
    int differ = 0;
    for (int i = 0; i < NP; i++)
        differ += plain[i] != nest[i];
    ck_assert_int_gt(differ, 0);
}
END_TEST

START_TEST(test_adam_bias_corrected)
{
    optim_params p = params_of(OPTIM_NAME_ADAM);
    check_optimizer(&p, 0.01, "adam", NULL);
    p.beta1 = 0.5;
    p.beta2 = 0.75;
    p.epsilon = 1e-3;
    check_optimizer(&p, 0.01, "adam, other betas", NULL);
    /* The first step of Adam moves every parameter with a non-zero
     * gradient by almost exactly lr (m/sqrt(v) = sign(g) after correction). */
    net_t a;
    optim_state st;
    tiny_net(&a);
    float before[NP];
    memcpy(before, a.params, sizeof before);
    optim_params q = params_of(OPTIM_NAME_ADAM);
    err_t err;
    ck_assert(optim_state_create(&st, OPTIM_ADAM, NP, &err) == 0);
    float g[NP];
    for (int i = 0; i < NP; i++)
        g[i] = grad_of(0, i);
    optim_step_args args;
    optim_begin(&q, &st, 0.01, BATCH, NP, &args);
    optim_step(&args, &a, a.params, g, st.state, 0, NP);
    optim_end(&q, &st);
    for (int i = 0; i < NP; i++)
        if (g[i] != 0)
            ck_assert_msg(fabs(fabs(before[i] - a.params[i]) - 0.01) < 1e-6, "param %d moved %g", i,
                          before[i] - a.params[i]);
    ck_assert(st.t == 1 && st.beta1_pow == 0.9 && st.beta2_pow == 0.999);
    optim_state_free(&st);
    net_free(&a);
}
END_TEST

/* kern_adam on every kernel path gives optim_adam_ref's bits: lengths that
 * leave every tail, adam (L2 decay) and adamw, weights and biases, and
 * awkward values (zeros of both signs, subnormals, huge, a NaN gradient). */
START_TEST(test_adam_kernel_matches_reference)
{
    static const float odd[] = {0.0f, -0.0f, 1e-40f, -3e-39f, 3e38f, -1e30f, 1e-8f, 7.0f};
    err_t err;
    TU_FOREACH_PATH(path) {
        for (int kind = 0; kind < 3; kind++) {
            optim_params q = params_of(kind == 2 ? OPTIM_NAME_ADAMW : OPTIM_NAME_ADAM);
            q.weight_decay = kind ? 0.01 : 0.0;
            optim_state st;
            ck_assert(optim_state_create(&st, kind == 2 ? OPTIM_ADAMW : OPTIM_ADAM, 1, &err) == 0);
            st.beta1_pow = 0.9 * 0.9; /* step 3 */
            st.beta2_pow = 0.999 * 0.999;
            optim_step_args a;
            optim_begin(&q, &st, 0.003, 32, 1, &a);
            optim_state_free(&st);
            for (int n = 0; n <= 70; n += n < 40 ? 1 : 29) {
                for (int decay = 0; decay < 2; decay++) {
                    float p[70], g[70], m[70], v[70], p2[70], m2[70], v2[70];
                    for (int i = 0; i < n; i++) {
                        p[i] = i % 5 == 0 ? odd[i / 5 % 8] : 0.37f * (float)(i - 20);
                        g[i] = i % 7 == 0 ? odd[i / 7 % 8] : 0.11f * (float)(31 - i);
                        m[i] = 0.01f * (float)(i % 9) - 0.04f;
                        v[i] = i % 11 == 0 ? odd[i / 11 % 8] * odd[i / 11 % 8] : 0.002f * (float)i;
                    }
                    if (n > 33)
                        g[33] = NAN;
                    memcpy(p2, p, sizeof p), memcpy(m2, m, sizeof m), memcpy(v2, v, sizeof v);
                    optim_adam_ref(&a, p, g, m, v, (size_t)n, decay);
                    kern_adam_args k = {
                        .inv_b = a.inv_b, .wd = decay ? a.wd : 0.0f, .lr_wd = decay ? a.lr_wd : 0.0f,
                        .b1 = a.b1, .one_minus_b1 = a.one_minus_b1, .b2 = a.b2,
                        .one_minus_b2 = a.one_minus_b2, .c1 = a.c1, .c2 = a.c2, .lr = a.lr,
                        .eps = a.eps,
                    };
                    kern_adam(&k, p2, g, m2, v2, (size_t)n);
                    ck_assert_msg(!memcmp(p, p2, (size_t)n * sizeof *p) &&
                                      !memcmp(m, m2, (size_t)n * sizeof *m) &&
                                      !memcmp(v, v2, (size_t)n * sizeof *v),
                                  "%s: kind %d, n %d, decay %d differs from the reference",
                                  path, kind, n, decay);
                }
            }
        }
    }
    ck_assert_int_eq(kern_use_env(&err), 0);
}
END_TEST

START_TEST(test_coupled_and_decoupled_decay_differ)
{
    optim_params p = params_of(OPTIM_NAME_ADAM);
    double none[NP], coupled[NP], decoupled[NP];
    check_optimizer(&p, 0.01, "adam", none);
    p.weight_decay = 0.5;
    check_optimizer(&p, 0.01, "adam, L2", coupled);
    p.name = OPTIM_NAME_ADAMW;
    check_optimizer(&p, 0.01, "adamw", decoupled);
    p.weight_decay = 0.0;
    double adamw0[NP];
    check_optimizer(&p, 0.01, "adamw, no decay", adamw0);
    net_t net;
    tiny_net(&net);
    for (int i = 0; i < NP; i++) {
        /* Without decay adamw is adam, bit for bit. */
        ck_assert(adamw0[i] == none[i]);
        if (is_bias(&net, i)) { /* no decay on biases, either way */
            ck_assert(coupled[i] == none[i]);
            ck_assert(decoupled[i] == none[i]);
        } else if (net.params[i] != 0) {
            /* Both shrink the weight relative to no decay, by different amounts. */
            ck_assert_msg(coupled[i] != decoupled[i], "param %d: %g both ways", i, coupled[i]);
            ck_assert_msg(coupled[i] != none[i] && decoupled[i] != none[i], "param %d", i);
        }
    }
    net_free(&net);
}
END_TEST

START_TEST(test_beta_powers_by_multiplication)
{
    optim_params p = params_of(OPTIM_NAME_ADAM);
    optim_state st;
    err_t err;
    ck_assert(optim_state_create(&st, OPTIM_ADAM, 3, &err) == 0);
    ck_assert(st.beta1_pow == 1.0 && st.beta2_pow == 1.0 && st.t == 0);
    double b1 = 1, b2 = 1;
    for (int t = 1; t <= 1000; t++) {
        optim_end(&p, &st);
        b1 *= 0.9;
        b2 *= 0.999;
        ck_assert(st.beta1_pow == b1 && st.beta2_pow == b2 && st.t == (uint64_t)t);
    }
    for (int i = 0; i < 6; i++)
        ck_assert(st.state[i] == 0.0f);
    optim_state_free(&st);
}
END_TEST

/* Max-norm: a unit's incoming weights (a column of W) longer than c are
 * scaled onto the ball, shorter ones and all biases untouched; any split
 * of the units gives the same bits. */
START_TEST(test_max_norm)
{
    int sizes[] = {3, 2, 70};
    net_act act[] = {ACT_RELU, ACT_SOFTMAX};
    net_t net;
    ck_assert(net_create(&net, 2, sizes, act, COST_CROSS_ENTROPY, NULL) == 0);
    for (size_t i = 0; i < net.n_params; i++)
        net.params[i] = (float)((int)(i % 7) - 3) * 0.5f;
    /* Layer 0: W (3, 2). Column 0 = (3, 4, 0): norm 5 -> scaled to norm 2;
     * column 1 = (0.1, 0.2, 0.2): norm 0.3, kept. */
    float *W = net.params + net.w_off[0];
    W[0] = 3; W[2] = 4; W[4] = 0;
    W[1] = 0.1f; W[3] = 0.2f; W[5] = 0.2f;
    float *copy = malloc(net.n_params * sizeof *copy);
    memcpy(copy, net.params, net.n_params * sizeof *copy);
    int units = net_units(&net);
    optim_max_norm(&net, net.params, 2.0, 0, units);
    ck_assert(W[0] == (float)(3 * (float)(2.0 / 5.0)) && W[2] == (float)(4 * (float)(2.0 / 5.0)));
    ck_assert(W[4] == 0 && W[1] == 0.1f && W[3] == 0.2f && W[5] == 0.2f);
    ck_assert(memcmp(net.params + net.b_off[0], copy + net.b_off[0], 2 * sizeof(float)) == 0);
    ck_assert(memcmp(net.params + net.b_off[1], copy + net.b_off[1], 70 * sizeof(float)) == 0);
    /* Every column of layer 1 (2 inputs, 70 units, more than one block of
     * columns) now has norm <= 2, within rounding, and was scaled by the
     * hand-computed factor where longer. */
    const float *W1 = net.params + net.w_off[1], *C1 = copy + net.w_off[1];
    for (int j = 0; j < 70; j++) {
        double n2 = (double)C1[j] * C1[j] + (double)C1[70 + j] * C1[70 + j];
        float f = sqrt(n2) > 2.0 ? (float)(2.0 / sqrt(n2)) : 1.0f;
        ck_assert(W1[j] == C1[j] * f && W1[70 + j] == C1[70 + j] * f);
        ck_assert(hypot(W1[j], W1[70 + j]) <= 2.0 + 1e-6);
    }
    /* Units split unevenly across three calls (one straddles the layers). */
    float *once = malloc(net.n_params * sizeof *once);
    memcpy(once, net.params, net.n_params * sizeof *once);
    memcpy(net.params, copy, net.n_params * sizeof *copy);
    optim_max_norm(&net, net.params, 2.0, 0, 1);
    optim_max_norm(&net, net.params, 2.0, 1, 37);
    optim_max_norm(&net, net.params, 2.0, 37, units + 5);
    ck_assert(memcmp(once, net.params, net.n_params * sizeof *once) == 0);
    free(once);
    free(copy);
    net_free(&net);
}
END_TEST

TU_MAIN("optim", test_sgd_step, test_sgd_in_parallel_region_matches, test_table,
        test_plain_sgd_is_the_old_update, test_sgd_weight_decay_skips_biases,
        test_momentum_and_nesterov, test_adam_bias_corrected, test_adam_kernel_matches_reference,
        test_max_norm,
        test_coupled_and_decoupled_decay_differ, test_beta_powers_by_multiplication)
