/* net: a fully connected network (multi-layer perceptron).
 *
 * Layer l (0 <= l < n_layers) maps sizes[l] inputs to sizes[l+1] outputs:
 *     z = a_prev . W + b,   a = act(z)
 * with W (sizes[l], sizes[l+1]) row-major: row i holds input i's weights to
 * every unit, so the forward product streams W row by row. (The textbook's
 * W_jk, unit j from input k, is W[k][j] here.) b is (sizes[l+1]).
 *
 * All parameters live in one float buffer, params, laid out
 *     W0 b0 W1 b1 ...          (w_off[l], b_off[l] index into it)
 * so saving, reducing and updating are each one loop over n_params floats.
 * Gradients use exactly the same layout.
 *
 * The network knows nothing of files, threads or data sets: it runs forward
 * and backward over a shard of B examples given as flat float arrays. */
#ifndef NNTRAIN_NET_H
#define NNTRAIN_NET_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "rng.h"

#define NET_MAX_LAYERS 16     /* weight layers */
#define NET_MAX_UNITS 1000000 /* units in one layer */
#define NET_LEAKY_SLOPE 0.01f /* leaky_relu's slope for z < 0 */

typedef enum {
    ACT_SIGMOID,
    ACT_TANH,
    ACT_RELU,
    ACT_LEAKY_RELU,
    ACT_LINEAR,
    ACT_SOFTMAX, /* output layer only */
    ACT_COUNT
} net_act;

typedef enum {
    COST_QUADRATIC,     /* C = 1/2 ||a - y||^2 per example */
    COST_CROSS_ENTROPY, /* softmax: -sum y ln a; sigmoid: -sum [y ln a + (1-y) ln(1-a)] */
    COST_MAE,           /* C = sum |a - y| per example (regression) */
    COST_HUBER,         /* C = sum h(a - y), h below (Huber 1964; regression) */
    COST_COUNT
} net_cost;
/* The values are stored in model files (src/model.c writes the enum as a
 * number): new costs go at the end, never in between. */

/* Huber's threshold delta: h(d) = d^2 / 2 for |d| <= delta, else
 * delta (|d| - delta / 2): quadratic near the target, linear (like mae,
 * robust to outliers) beyond, with a continuous derivative (P. J. Huber,
 * "Robust estimation of a location parameter", Ann. Math. Statist. 35,
 * 1964). 1.0 in units of the (standardised) target, as Keras' and
 * PyTorch's default. */
#define NET_HUBER_DELTA 1.0

typedef enum {
    INIT_NIELSEN, /* W ~ N(0, 1/fan_in), b ~ N(0, 1) (Nielsen, chapter 3) */
    INIT_XAVIER,  /* W ~ U(-r, r), r = sqrt(6/(fan_in+fan_out)), b = 0 */
    INIT_HE,      /* W ~ N(0, 2/fan_in), b = 0 */
    INIT_COUNT
} net_init_kind;

/* Names as written in configs and model files ("sigmoid", "cross_entropy",
 * "he"...). *_parse return 0 and set *out, or -1 for an unknown name.
 * net_cost_parse also takes "mse" for COST_QUADRATIC (the regression
 * name; 1/2 ||a - y||^2 as always), while net_cost_name(COST_QUADRATIC)
 * stays "quadratic", which configs and model files print. */
const char *net_act_name(net_act a);
const char *net_cost_name(net_cost c);
const char *net_init_name(net_init_kind k);
int net_act_parse(const char *s, net_act *out);
int net_cost_parse(const char *s, net_cost *out);
int net_init_parse(const char *s, net_init_kind *out);

typedef struct {
    int n_layers;                   /* weight layers L; sizes has L+1 entries */
    int sizes[NET_MAX_LAYERS + 1];  /* sizes[0] inputs ... sizes[L] outputs */
    net_act act[NET_MAX_LAYERS];    /* activation of each weight layer */
    net_cost cost;
    size_t n_params;
    size_t w_off[NET_MAX_LAYERS];   /* offset of W_l in params */
    size_t b_off[NET_MAX_LAYERS];   /* offset of b_l in params */
    float *params;                  /* n_params floats, one allocation */
    /* The algorithm of the backward d W^T products (kern_gemm_nt's packed
     * argument). Both are exact to float rounding but their bits differ:
     * the owner fixes it for a whole run from the batch size, never from
     * the number of rows a thread gets. */
    int packed;
} net_t;

/* Checks the shape (1..NET_MAX_LAYERS layers, sizes 1..NET_MAX_UNITS,
 * softmax only on the output, cross_entropy only with a sigmoid or softmax
 * output, mae and huber with any output but softmax: they are regression
 * costs, and a linear output is their usual partner) and allocates params
 * (zeroed). On error fills err, returns -1. */
int net_create(net_t *net, int n_layers, const int *sizes, const net_act *act,
               net_cost cost, err_t *err);
void net_free(net_t *net);

/* Fills params from rng according to the scheme. */
void net_init_params(net_t *net, net_init_kind scheme, rng_t *rng);

/* Dropout while training (Srivastava et al. 2014), "inverted": each input
 * of layer l is kept with probability 1 - rate[l] and then scaled by
 * 1/(1 - rate[l]), or else zeroed, so that nothing changes at evaluation,
 * which simply runs without it. rate[0] drops pixels (input dropout),
 * rate[l] layer l-1's outputs. Whether unit u of layer l's input is kept
 * for example e is a pure function of (key, e, l, u) (net_dropout_keeps),
 * never of the row the example sits in, so no split of a batch among
 * threads or shards can change a mask. */
typedef struct {
    float rate[NET_MAX_LAYERS]; /* in [0, 1); 0 = off for that layer's inputs */
    uint64_t key;               /* this epoch's draws (the caller mixes seed and epoch) */
    const int *example;         /* (rows) the example id of each row */
} net_dropout;

/* Whether input unit u of layer l is kept for example e, at rate rate. */
int net_dropout_keeps(uint64_t key, int e, int l, int u, float rate);

/* Scratch memory for forward and backward over up to max_b examples, made
 * once per run and reused: each layer's activations and deltas. One
 * allocation. A view (net_ws_rows) addresses a range of its rows, so that
 * threads can each run their own rows of one mini-batch. */
typedef struct {
    int max_b;
    float *act[NET_MAX_LAYERS + 1]; /* act[l+1] is (max_b, sizes[l+1]); act[0] unused */
    float *delta[NET_MAX_LAYERS];   /* delta[l] = dC/dz of layer l, (max_b, sizes[l+1]) */
    float *mem;                     /* NULL in a view */
    /* Dropout (net_ws_dropout): in[l] (max_b, sizes[l]) is layer l's input
     * after its mask, where drop.rate[l] > 0, else NULL. act[] keeps the
     * outputs before the masks, which the derivatives need. */
    net_dropout drop;
    float *in[NET_MAX_LAYERS];
    float *drop_mem;                /* NULL in a view */
} net_ws;

int net_ws_create(net_ws *ws, const net_t *net, int max_b, err_t *err);
void net_ws_free(net_ws *ws);

/* Turns dropout on in ws at rate[l] for each layer's inputs (rate has
 * n_layers entries), allocating the masked inputs. Before each forward
 * pass the caller sets ws->drop.key and ws->drop.example (views copy
 * them, example offset to their rows). */
int net_ws_dropout(net_ws *ws, const net_t *net, const float *rate, err_t *err);

/* view = rows [lo, lo + n) of ws (n <= ws->max_b - lo). Not to be freed. */
void net_ws_rows(const net_t *net, const net_ws *ws, int lo, int n, net_ws *view);

/* Forward pass. in is (B, sizes[0]); afterwards ws->act[l+1] holds layer
 * l's output (B, sizes[l+1]) and net_output() the network's. B <= max_b.
 * With dropout in ws, each layer reads its masked input ws->in[l]. */
void net_forward(const net_t *net, net_ws *ws, const float *in, int B);
const float *net_output(const net_t *net, const net_ws *ws);

/* Sum over the B examples of the cost, for targets y (B, sizes[L]).
 * Call after net_forward. Returned in double for accurate epoch sums. */
double net_cost_sum(const net_t *net, const net_ws *ws, const float *y, int B);

/* Each example's cost: cost[i] for row i of the B, the same bits as
 * net_cost_sum over that row alone. */
void net_cost_rows(const net_t *net, const net_ws *ws, const float *y, int B, double *cost);

/* Backward, part 1, after net_forward: every layer's delta (dC/dz) for the
 * B examples, from the targets y (B, sizes[L]). Rows are independent, so
 * views of different rows may run on different threads. */
void net_backward_deltas(const net_t *net, net_ws *ws, const float *y, int B);

/* The same with each example's weight w[r] (B of them; NULL: all 1): its
 * cost, so its delta, multiplied by it (class weights). A weight of 1
 * gives net_backward_deltas' bits. */
void net_backward_deltas_weighted(const net_t *net, net_ws *ws, const float *y, const float *w,
                                  int B);

/* Backward, part 2, after part 1 on all B rows: the gradients of the weight
 * rows [row_lo, row_hi), counting rows across layers (layer 0's sizes[0]
 * rows first, then layer 1's...; net_weight_rows() in all); a layer's bias
 * goes with its last row (it follows that row in params). Each is
 * overwritten in grad (n_params, params' layout) with the SUM over the B
 * examples, added in example order. Disjoint row ranges may run on
 * different threads, and the result never depends on how the rows were
 * split. in is (B, sizes[0]). */
void net_param_grads(const net_t *net, const net_ws *ws, const float *in, int B,
                     int row_lo, int row_hi, float *grad);
int net_weight_rows(const net_t *net);

/* The parameters that weight rows [row_lo, row_hi) of one layer own (with
 * the bias when the last row is among them): params[*begin .. *end), one
 * contiguous run. */
void net_rows_span(const net_t *net, int row_lo, int row_hi, size_t *begin, size_t *end);

/* Units (outputs) of all layers together: sizes[1] + ... + sizes[L]. */
int net_units(const net_t *net);

/* Both parts over all weight rows: grad = sum over the B examples of
 * dC/dparams (the caller divides by the batch size). The whole backward
 * pass of one thread; the gradient checks in tests/test_net.c use it. */
void net_backward(const net_t *net, net_ws *ws, const float *in,
                  const float *y, int B, float *grad);

#endif
