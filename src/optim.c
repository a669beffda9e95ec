/* optim: see include/optim.h.
 *
 * One table row per optimizer: its name, its state floats per parameter and
 * its step function over a run of parameters that all do, or all do not,
 * take weight decay. Every step function is a plain loop, element by
 * element, the same float operations in the same order for each. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "mem.h"

/* n parameters p[0..n) with gradient SUMs g, state s0 (and s1), decay:
 * whether weight decay applies to them (weights yes, biases no). */
typedef void (*step_fn)(const optim_step_args *a, float *p, const float *g, float *s0,
                        float *s1, size_t n, int decay);

static void step_sgd(const optim_step_args *a, float *p, const float *g, float *s0, float *s1,
                     size_t n, int decay)
{
    (void)s0, (void)s1;
    if (!decay || a->wd == 0.0f) { /* the original update, bit for bit */
        optim_sgd(p, g, n, a->scale);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float d = g[i] * a->inv_b + a->wd * p[i];
        p[i] -= a->lr * d;
    }
}

static void step_momentum(const optim_step_args *a, float *p, const float *g, float *v,
                          float *s1, size_t n, int decay)
{
    (void)s1;
    float wd = decay ? a->wd : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = g[i] * a->inv_b + wd * p[i];
        float vi = a->mu * v[i] + d;
        v[i] = vi;
        float u = a->nesterov ? d + a->mu * vi : vi;
        p[i] -= a->lr * u;
    }
}

/* adam and adamw: a->wd is 0 for adamw, a->lr_wd 0 for adam. The plain
 * reference: step_adam runs the same operations as kern_adam, a vector of
 * parameters at a time (tests/test_optim compares their bits). */
void optim_adam_ref(const optim_step_args *a, float *p, const float *g, float *m, float *v,
                    size_t n, int decay)
{
    float wd = decay ? a->wd : 0.0f, lr_wd = decay ? a->lr_wd : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float pi = p[i];
        if (lr_wd != 0.0f)
            pi -= lr_wd * pi; /* decoupled (adamw) */
        float d = g[i] * a->inv_b + wd * p[i];
        float mi = a->b1 * m[i] + a->one_minus_b1 * d;
        float vi = a->b2 * v[i] + a->one_minus_b2 * (d * d);
        m[i] = mi;
        v[i] = vi;
        float mhat = mi * a->c1, vhat = vi * a->c2;
        p[i] = pi - a->lr * (mhat / (sqrtf(vhat) + a->eps));
    }
}

static void step_adam(const optim_step_args *a, float *p, const float *g, float *m, float *v,
                      size_t n, int decay)
{
    kern_adam_args k = {
        .inv_b = a->inv_b, .wd = decay ? a->wd : 0.0f, .lr_wd = decay ? a->lr_wd : 0.0f,
        .b1 = a->b1, .one_minus_b1 = a->one_minus_b1, .b2 = a->b2, .one_minus_b2 = a->one_minus_b2,
        .c1 = a->c1, .c2 = a->c2, .lr = a->lr, .eps = a->eps,
    };
    kern_adam(&k, p, g, m, v, n);
}

static const struct {
    const char *name;
    int state_per_param;
    step_fn step;
} TABLE[OPTIM_COUNT] = {
    [OPTIM_SGD] = {"sgd", 0, step_sgd},
    [OPTIM_MOMENTUM] = {"momentum", 1, step_momentum},
    [OPTIM_ADAM] = {"adam", 2, step_adam},
    [OPTIM_ADAMW] = {"adamw", 2, step_adam},
};

static const char *const NAMES[OPTIM_NAME_COUNT] = {"sgd", "adam", "adamw"};

const char *optim_name_str(optim_name n)
{
    return (unsigned)n < OPTIM_NAME_COUNT ? NAMES[n] : "?";
}

int optim_name_parse(const char *s, optim_name *out)
{
    for (int i = 0; i < OPTIM_NAME_COUNT; i++)
        if (strcmp(s, NAMES[i]) == 0) {
            *out = (optim_name)i;
            return 0;
        }
    return -1;
}

optim_kind optim_kind_of(const optim_params *p)
{
    switch (p->name) {
    case OPTIM_NAME_ADAM: return OPTIM_ADAM;
    case OPTIM_NAME_ADAMW: return OPTIM_ADAMW;
    default: return p->momentum > 0 ? OPTIM_MOMENTUM : OPTIM_SGD;
    }
}

const char *optim_kind_name(optim_kind k)
{
    return (unsigned)k < OPTIM_COUNT ? TABLE[k].name : "?";
}

int optim_state_per_param(optim_kind k)
{
    return (unsigned)k < OPTIM_COUNT ? TABLE[k].state_per_param : -1;
}

int optim_state_create(optim_state *s, optim_kind kind, size_t n_params, err_t *err)
{
    memset(s, 0, sizeof *s);
    s->kind = (uint32_t)kind;
    s->beta1_pow = s->beta2_pow = 1.0;
    s->n_state = (uint64_t)optim_state_per_param(kind) * n_params;
    if (s->n_state) {
        s->state = mem_floats((size_t)s->n_state);
        if (!s->state)
            return err_set(err, ERR_RUNTIME, "out of memory for the %s optimizer's state (%.1f MB)",
                           optim_kind_name(kind), s->n_state * 4.0 / 1e6);
        memset(s->state, 0, (size_t)s->n_state * sizeof *s->state);
    }
    return 0;
}

void optim_state_free(optim_state *s)
{
    mem_free(s->state);
    memset(s, 0, sizeof *s);
}

void optim_begin(const optim_params *p, const optim_state *s, double lr, int batch_size,
                 size_t n_params, optim_step_args *a)
{
    memset(a, 0, sizeof *a);
    a->kind = (optim_kind)s->kind;
    a->n_params = n_params;
    a->scale = (float)(lr / batch_size);
    a->inv_b = (float)(1.0 / batch_size);
    a->lr = (float)lr;
    if (a->kind == OPTIM_ADAMW)
        a->lr_wd = (float)(lr * p->weight_decay);
    else
        a->wd = (float)p->weight_decay;
    a->mu = (float)p->momentum;
    a->nesterov = p->nesterov;
    a->b1 = (float)p->beta1;
    a->b2 = (float)p->beta2;
    a->one_minus_b1 = (float)(1.0 - p->beta1);
    a->one_minus_b2 = (float)(1.0 - p->beta2);
    a->eps = (float)p->epsilon;
    /* This step is number t + 1: beta^(t+1), from the kept power. */
    a->c1 = (float)(1.0 / (1.0 - s->beta1_pow * p->beta1));
    a->c2 = (float)(1.0 / (1.0 - s->beta2_pow * p->beta2));
}

void optim_end(const optim_params *p, optim_state *s)
{
    s->t++;
    s->beta1_pow *= p->beta1;
    s->beta2_pow *= p->beta2;
}

void optim_step(const optim_step_args *a, const net_t *net, float *params, const float *grad,
                float *state, size_t begin, size_t end)
{
    step_fn f = TABLE[a->kind].step;
    int per = TABLE[a->kind].state_per_param;
    size_t np = a->n_params;
    /* Layer by layer: its weights (decay), then its biases (none). */
    for (int l = 0; l < net->n_layers && begin < end; l++) {
        size_t seg[3] = {net->w_off[l], net->b_off[l], net->b_off[l] + (size_t)net->sizes[l + 1]};
        for (int k = 0; k < 2; k++) {
            size_t lo = seg[k] > begin ? seg[k] : begin, hi = seg[k + 1] < end ? seg[k + 1] : end;
            if (lo >= hi)
                continue;
            float *s0 = per >= 1 ? state + lo : NULL, *s1 = per >= 2 ? state + np + lo : NULL;
            f(a, params + lo, grad + lo, s0, s1, hi - lo, k == 0);
        }
    }
}

void optim_sgd(float *params, const float *grad, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        params[i] -= scale * grad[i];
}

/* ---- max-norm ------------------------------------------------------------ */

#define MAXNORM_COLS 64 /* columns at a time: each row's piece is one contiguous run */

void optim_max_norm(const net_t *net, float *params, double c, int u_lo, int u_hi)
{
    int first = 0; /* global index of layer l's first unit */
    for (int l = 0; l < net->n_layers; l++) {
        int n_in = net->sizes[l], n_out = net->sizes[l + 1];
        int lo = u_lo - first > 0 ? u_lo - first : 0;
        int hi = u_hi - first < n_out ? u_hi - first : n_out;
        first += n_out;
        float *W = params + net->w_off[l]; /* (n_in, n_out) */
        for (int j0 = lo; j0 < hi; j0 += MAXNORM_COLS) {
            int nj = hi - j0 < MAXNORM_COLS ? hi - j0 : MAXNORM_COLS;
            double sq[MAXNORM_COLS] = {0};
            for (int i = 0; i < n_in; i++) {
                const float *w = W + (size_t)i * n_out + j0;
                for (int j = 0; j < nj; j++)
                    sq[j] += (double)w[j] * w[j];
            }
            float f[MAXNORM_COLS];
            int any = 0;
            for (int j = 0; j < nj; j++) {
                double norm = sqrt(sq[j]);
                f[j] = norm > c ? (float)(c / norm) : 1.0f;
                any |= norm > c;
            }
            if (!any)
                continue;
            for (int i = 0; i < n_in; i++) {
                float *w = W + (size_t)i * n_out + j0;
                for (int j = 0; j < nj; j++)
                    w[j] *= f[j];
            }
        }
    }
}
