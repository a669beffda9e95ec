/* lrsched: see include/lrsched.h. */
#include "lrsched.h"

#include <string.h>

#include "detmath.h"

#define PI 3.14159265358979323846

static const char *const NAMES[SCHED_COUNT] = {"constant", "step", "exponential", "cosine"};

const char *sched_name(sched_kind k)
{
    return k >= 0 && k < SCHED_COUNT ? NAMES[k] : NULL;
}

int sched_parse(const char *name, sched_kind *out)
{
    for (int i = 0; i < SCHED_COUNT; i++)
        if (strcmp(name, NAMES[i]) == 0) {
            *out = (sched_kind)i;
            return 0;
        }
    return -1;
}

/* g^k by squaring: O(log k) multiplications, the same bits everywhere. */
static double power(double g, long long k)
{
    double r = 1.0;
    while (k > 0) {
        if (k & 1)
            r *= g;
        g *= g;
        k >>= 1;
    }
    return r;
}

double sched_rate(const sched_t *s, double base, int epochs, int n_batches, long long step)
{
    if (n_batches < 1)
        n_batches = 1;
    double nb = (double)n_batches;
    double w = s->warmup_epochs > 0 ? s->warmup_epochs * nb : 0.0;
    double sd = (double)step;
    if (sd < w) {
        double f = (sd + 1.0) / w;
        return f < 1.0 ? base * f : base;
    }
    double u = (sd - w) / nb; /* epochs since the warm-up, >= 0 */
    double gamma = s->gamma > 0 ? s->gamma : 1.0;
    int every = s->step_epochs > 0 ? s->step_epochs : 1;
    switch (s->kind) {
    case SCHED_STEP:
        return base * power(gamma, (long long)(u / every));
    case SCHED_EXPONENTIAL:
        return base * power(gamma, (long long)u);
    case SCHED_COSINE: {
        double span = (double)epochs - (s->warmup_epochs > 0 ? s->warmup_epochs : 0.0);
        double x = span > 0 ? u / span : 1.0;
        if (x > 1.0)
            x = 1.0; /* past the end (cannot happen in a run): stay at min */
        return s->min_rate + (base - s->min_rate) * (1.0 + dm_cos(PI * x)) * 0.5;
    }
    default:
        return base;
    }
}
