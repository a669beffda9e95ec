/* Suite eval: accuracy, cost and confusion matrix of a known network. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
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

TU_MAIN("eval", test_accuracy_and_confusion, test_rejects_bad_shapes, test_argmax_and_scale)
