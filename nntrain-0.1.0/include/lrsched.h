/* lrsched: the learning rate of each mini-batch (train.schedule).
 *
 * A pure function of the run's settings and the step's position, so a
 * resumed run recomputes it from (epoch, step) and nothing about it is
 * checkpointed; no libm, only IEEE +, -, *, / and detmath's dm_cos, so the
 * rate has the same bits on every CPU and for any thread count.
 *
 * Time is counted in mini-batches: step s (0-based, over the whole run) is
 * mini-batch s % n_batches of epoch s / n_batches + 1. With W =
 * warmup_epochs * n_batches warm-up steps (warmup_epochs may be
 * fractional):
 *
 *   s < W:  rate = base * min(1, (s + 1) / W)      linear warm-up
 *   s >= W: u = (s - W) / n_batches, the epochs since the warm-up ended,
 *     constant:    base
 *     step:        base * gamma^floor(u / step_epochs)
 *     exponential: base * gamma^floor(u)
 *     cosine:      min + (base - min) * (1 + cos(pi * u / (epochs - warmup))) / 2
 *
 * so step and exponential change the rate once per epoch (at whole epochs
 * after the warm-up), and cosine anneals it at every mini-batch, from base
 * at the end of the warm-up to min at the end of the run. */
#ifndef NNTRAIN_LRSCHED_H
#define NNTRAIN_LRSCHED_H

typedef enum { SCHED_CONSTANT, SCHED_STEP, SCHED_EXPONENTIAL, SCHED_COSINE, SCHED_COUNT } sched_kind;

typedef struct {
    sched_kind kind;       /* zero: constant */
    int step_epochs;       /* step: epochs between two multiplications by gamma (0 reads as 1) */
    double gamma;          /* step, exponential: the factor (0 reads as 1) */
    double min_rate;       /* cosine: the rate at the end of the run */
    double warmup_epochs;  /* linear warm-up, in epochs; 0 = none */
} sched_t;

/* The rate of step s (0-based over the run) of a run of `epochs` epochs of
 * n_batches mini-batches each, base the base rate (train.learning_rate). */
double sched_rate(const sched_t *s, double base, int epochs, int n_batches, long long step);

/* "constant", "step", ...; NULL past the end. */
const char *sched_name(sched_kind k);
/* 0 and *out set, or -1 for an unknown name. */
int sched_parse(const char *name, sched_kind *out);

#endif
