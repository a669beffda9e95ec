/* Suite sched: the learning rate at chosen steps of every schedule, with and
 * without warm-up, against the formulas of include/lrsched.h evaluated here in
 * double with libm (the module itself uses none). */
#include <check.h>
#include <math.h>

#include "lrsched.h"
#include "testutil.h"

#define NB 10 /* mini-batches per epoch */
#define PI_ acos(-1.0)

static void near(double got, double want, const char *what, long long step)
{
    double tol = 1e-12 * (fabs(want) > 1e-300 ? fabs(want) : 1.0);
    ck_assert_msg(fabs(got - want) <= tol, "%s, step %lld: %.17g, expected %.17g", what, step, got,
                  want);
}

START_TEST(test_constant)
{
    sched_t s = {0};
    for (long long t = 0; t < 50; t += 7)
        ck_assert(sched_rate(&s, 0.1, 5, NB, t) == 0.1);
}
END_TEST

START_TEST(test_step)
{
    sched_t s = {.kind = SCHED_STEP, .step_epochs = 3, .gamma = 0.5};
    /* epochs 1-3: base, 4-6: base/2, 7-9: base/4 */
    const long long steps[] = {0, 29, 30, 59, 60, 89};
    const double want[] = {0.8, 0.8, 0.4, 0.4, 0.2, 0.2};
    for (int i = 0; i < 6; i++)
        near(sched_rate(&s, 0.8, 9, NB, steps[i]), want[i], "step", steps[i]);
}
END_TEST

START_TEST(test_exponential)
{
    sched_t s = {.kind = SCHED_EXPONENTIAL, .gamma = 0.9};
    for (long long t = 0; t < 200; t += 13)
        near(sched_rate(&s, 0.3, 20, NB, t), 0.3 * pow(0.9, (double)(t / NB)), "exponential", t);
    /* A long run: gamma^k by squaring stays within rounding of pow. */
    near(sched_rate(&s, 1.0, 1000, NB, 999LL * NB + 5), pow(0.9, 999.0), "exponential, late",
         999LL * NB + 5);
}
END_TEST

START_TEST(test_cosine)
{
    sched_t s = {.kind = SCHED_COSINE, .min_rate = 0.01};
    const int epochs = 4;
    for (long long t = 0; t < epochs * NB; t += 3) {
        double u = (double)t / NB;
        double want = 0.01 + (0.5 - 0.01) * (1 + cos(PI_ * u / epochs)) / 2;
        near(sched_rate(&s, 0.5, epochs, NB, t), want, "cosine", t);
    }
    near(sched_rate(&s, 0.5, epochs, NB, 0), 0.5, "cosine start", 0);
    near(sched_rate(&s, 0.5, epochs, NB, 2 * NB), (0.5 + 0.01) / 2, "cosine half-way", 2 * NB);
    /* min 0 (the default): the last step is close to 0, never below. */
    s.min_rate = 0;
    double last = sched_rate(&s, 0.5, epochs, NB, epochs * NB - 1);
    ck_assert(last > 0 && last < 0.001);
}
END_TEST

START_TEST(test_warmup_then_schedule)
{
    /* 1.5 epochs = 15 steps of linear warm-up, then a cosine over the 2.5
     * epochs left: a one-cycle shape. */
    sched_t s = {.kind = SCHED_COSINE, .warmup_epochs = 1.5};
    for (long long t = 0; t < 15; t++)
        near(sched_rate(&s, 0.2, 4, NB, t), 0.2 * (t + 1) / 15.0, "warm-up", t);
    for (long long t = 15; t < 40; t += 4) {
        double u = (t - 15) / (double)NB;
        near(sched_rate(&s, 0.2, 4, NB, t), 0.2 * (1 + cos(PI_ * u / 2.5)) / 2, "after warm-up", t);
    }
    /* A fractional step count: 0.25 epoch of 10 steps is 2.5 steps, so the
     * third step is capped at the base rate. */
    sched_t c = {.kind = SCHED_CONSTANT, .warmup_epochs = 0.25};
    near(sched_rate(&c, 1.0, 3, NB, 0), 1 / 2.5, "short warm-up", 0);
    near(sched_rate(&c, 1.0, 3, NB, 1), 2 / 2.5, "short warm-up", 1);
    near(sched_rate(&c, 1.0, 3, NB, 2), 1.0, "short warm-up", 2);
    near(sched_rate(&c, 1.0, 3, NB, 29), 1.0, "after short warm-up", 29);
    /* Step decay counts whole epochs from the end of the warm-up. */
    sched_t st = {.kind = SCHED_STEP, .step_epochs = 1, .gamma = 0.1, .warmup_epochs = 2};
    near(sched_rate(&st, 1.0, 5, NB, 19), 1.0, "step warm-up end", 19);
    near(sched_rate(&st, 1.0, 5, NB, 20), 1.0, "step first after warm-up", 20);
    near(sched_rate(&st, 1.0, 5, NB, 30), 0.1, "step second epoch after warm-up", 30);
    near(sched_rate(&st, 1.0, 5, NB, 49), 0.01, "step last", 49);
}
END_TEST

START_TEST(test_names)
{
    sched_kind k;
    for (int i = 0; i < SCHED_COUNT; i++) {
        ck_assert_int_eq(sched_parse(sched_name((sched_kind)i), &k), 0);
        ck_assert_int_eq(k, i);
    }
    ck_assert_int_eq(sched_parse("linear", &k), -1);
    ck_assert_ptr_null(sched_name(SCHED_COUNT));
}
END_TEST

TU_MAIN("sched", test_constant, test_step, test_exponential, test_cosine, test_warmup_then_schedule,
        test_names)
