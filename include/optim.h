/* optim: one update of the flat parameter buffer from the flat gradient.
 *
 * The optimizers (train.optimizer, configs/README.md):
 *   sgd        p -= lr * g                       (no state)
 *   sgd, momentum mu > 0 (PyTorch's form):
 *              v = mu*v + g;  p -= lr * v        (nesterov: p -= lr * (g + mu*v))
 *   adam       Kingma & Ba, with bias correction:
 *              m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g
 *              p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 *   adamw      adam with decoupled weight decay (Loshchilov & Hutter):
 *              p -= lr*wd*p first, then the adam step without decay
 * where g is the batch's MEAN gradient (grad / batch_size). Weight decay wd
 * is coupled for sgd and adam (g += wd*p before the update: L2
 * regularisation) and decoupled for adamw. It applies to the weights only,
 * never to the biases (net.h's b_off ranges).
 *
 * Determinism: every update is elementwise, in float, with the same
 * operations in the same order for every parameter; the only run-level
 * values (the step count t and b1^t, b2^t, kept by repeated multiplication
 * in double) are in optim_state, so any split of the parameters over
 * threads gives the same bits. The only libm call is sqrtf (IEEE-exact). */
#ifndef NNTRAIN_OPTIM_H
#define NNTRAIN_OPTIM_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "net.h"

/* Names in configs: train.optimizer. */
typedef enum { OPTIM_NAME_SGD, OPTIM_NAME_ADAM, OPTIM_NAME_ADAMW, OPTIM_NAME_COUNT } optim_name;
const char *optim_name_str(optim_name n);
int optim_name_parse(const char *s, optim_name *out);

/* The rows of the optimizer table (optim.c); their index is the optimizer
 * id in checkpoints (ckpt.h). */
typedef enum {
    OPTIM_SGD = 0,      /* plain SGD, no state (checkpoints before optimizers: 0) */
    OPTIM_MOMENTUM = 1, /* SGD with momentum > 0: 1 float per parameter */
    OPTIM_ADAM = 2,     /* 2 floats per parameter: m, v */
    OPTIM_ADAMW = 3,    /* 2 floats per parameter: m, v */
    OPTIM_COUNT
} optim_kind;

/* The hyperparameters, as in the config. */
typedef struct {
    optim_name name;
    double momentum;     /* sgd only; 0 = none */
    int nesterov;        /* sgd with momentum > 0 only */
    double beta1, beta2, epsilon; /* adam, adamw */
    double weight_decay; /* >= 0 */
} optim_params;

/* What optim_params selects. */
optim_kind optim_kind_of(const optim_params *p);
const char *optim_kind_name(optim_kind k);     /* "sgd", "momentum", "adam", "adamw" */
int optim_state_per_param(optim_kind k);      /* 0, 1, 2, 2 */

/* Everything an optimizer keeps between steps: with the weights, all the
 * run needs to continue (checkpoints save it whole). */
typedef struct {
    uint32_t kind;      /* optim_kind */
    uint64_t t;         /* steps done */
    double beta1_pow;   /* beta1^t (1 when t = 0), by repeated multiplication */
    double beta2_pow;
    uint64_t n_state;   /* state_per_param * n_params */
    float *state;       /* (n_state): momentum v, or adam's m then v (n_params each) */
} optim_state;

/* Zeroed state for kind over n_params parameters (one allocation, made once
 * per run). Returns 0, or -1 with err filled. */
int optim_state_create(optim_state *s, optim_kind kind, size_t n_params, err_t *err);
void optim_state_free(optim_state *s);

/* One step's run-level scalars, computed from the state before the step
 * (optim_begin, by every thread that steps: it only reads s) and then
 * passed to optim_step for each range of parameters. */
typedef struct {
    optim_kind kind;
    size_t n_params;
    float scale;   /* lr / batch_size (plain SGD: p -= scale * grad) */
    float inv_b;   /* 1 / batch_size */
    float lr;
    float wd;      /* coupled decay (sgd, momentum, adam), else 0 */
    float lr_wd;   /* adamw: lr * wd, else 0 */
    float mu;      /* momentum */
    int nesterov;
    float b1, one_minus_b1, b2, one_minus_b2, eps;
    float c1, c2;  /* adam: 1/(1-beta1^t), 1/(1-beta2^t) for this step's t */
} optim_step_args;

void optim_begin(const optim_params *p, const optim_state *s, double lr, int batch_size,
                 size_t n_params, optim_step_args *a);

/* Updates params[begin, end) (any range; weight decay skips the biases of
 * net's layout) from grad (the batch's SUM, params' layout) and s->state.
 * Disjoint ranges may run on different threads at once. */
void optim_step(const optim_step_args *a, const net_t *net, float *params, const float *grad,
                float *state, size_t begin, size_t end);

/* After every range of a step is done (one thread): t += 1, the powers. */
void optim_end(const optim_params *p, optim_state *s);

/* Max-norm (Srivastava et al. 2014), after a step: each unit's incoming
 * weight vector, column j of its layer's W (n_in, n_out), is scaled back
 * onto the ball of radius c when it is longer (its bias is left alone).
 * Units [u_lo, u_hi) are counted across layers as net_units() counts them,
 * so disjoint ranges may run on different threads; each column's norm is
 * summed in row order, in double, whatever the ranges. */
void optim_max_norm(const net_t *net, float *params, double c, int u_lo, int u_hi);

/* The plain reference of one Adam/AdamW step over n parameters (decay: a
 * weight run, 0 for biases), element by element; optim_step runs
 * kern_adam (kernels.h), which must give its bits on every path. */
void optim_adam_ref(const optim_step_args *a, float *p, const float *g, float *m, float *v,
                    size_t n, int decay);

/* Plain SGD: params[i] -= scale * grad[i] for i < n, where scale is
 * learning_rate / batch_size (grad holds the batch's SUM). Threads may
 * update disjoint ranges at the same time. */
void optim_sgd(float *params, const float *grad, size_t n, float scale);

#endif
