/* net: see include/net.h. */
#include "net.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detmath.h"
#include "kernels.h"
#include "mem.h"
#include "rng.h"

/* ---- names ------------------------------------------------------------- */

static const char *act_names[ACT_COUNT] = {
    "sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"};
static const char *cost_names[COST_COUNT] = {"quadratic", "cross_entropy", "mae", "huber"};
/* Other names a config may use; net_cost_name never returns them. */
static const struct {
    const char *name;
    net_cost cost;
} cost_aliases[] = {{"mse", COST_QUADRATIC}};
static const char *init_names[INIT_COUNT] = {"nielsen", "xavier", "he"};

static int parse_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *net_act_name(net_act a) { return (unsigned)a < ACT_COUNT ? act_names[a] : "?"; }
const char *net_cost_name(net_cost c) { return (unsigned)c < COST_COUNT ? cost_names[c] : "?"; }
const char *net_init_name(net_init_kind k) { return (unsigned)k < INIT_COUNT ? init_names[k] : "?"; }

int net_act_parse(const char *s, net_act *out)
{
    int i = parse_name(s, act_names, ACT_COUNT);
    if (i < 0)
        return -1;
    *out = (net_act)i;
    return 0;
}

int net_cost_parse(const char *s, net_cost *out)
{
    int i = parse_name(s, cost_names, COST_COUNT);
    for (size_t k = 0; i < 0 && k < sizeof cost_aliases / sizeof cost_aliases[0]; k++)
        if (strcmp(s, cost_aliases[k].name) == 0)
            i = (int)cost_aliases[k].cost;
    if (i < 0)
        return -1;
    *out = (net_cost)i;
    return 0;
}

int net_init_parse(const char *s, net_init_kind *out)
{
    int i = parse_name(s, init_names, INIT_COUNT);
    if (i < 0)
        return -1;
    *out = (net_init_kind)i;
    return 0;
}

/* ---- creation ---------------------------------------------------------- */

int net_create(net_t *net, int n_layers, const int *sizes, const net_act *act,
               net_cost cost, err_t *err)
{
    memset(net, 0, sizeof *net);
    if (n_layers < 1 || n_layers > NET_MAX_LAYERS)
        return err_set(err, ERR_INPUT, "a network needs 1 to %d weight layers (2 to %d sizes), got %d",
                       NET_MAX_LAYERS, NET_MAX_LAYERS + 1, n_layers);
    if ((unsigned)cost >= COST_COUNT)
        return err_set(err, ERR_INPUT, "unknown cost %d", (int)cost);
    for (int i = 0; i <= n_layers; i++)
        if (sizes[i] < 1 || sizes[i] > NET_MAX_UNITS)
            return err_set(err, ERR_INPUT, "layer size %d is %d; expected 1 to %d",
                           i, sizes[i], NET_MAX_UNITS);
    for (int l = 0; l < n_layers; l++) {
        if ((unsigned)act[l] >= ACT_COUNT)
            return err_set(err, ERR_INPUT, "unknown activation %d in layer %d", (int)act[l], l + 1);
        if (act[l] == ACT_SOFTMAX && l != n_layers - 1)
            return err_set(err, ERR_INPUT, "softmax is only allowed on the output layer (found on hidden layer %d)", l + 1);
    }
    net_act out = act[n_layers - 1];
    if (cost == COST_CROSS_ENTROPY && out != ACT_SIGMOID && out != ACT_SOFTMAX)
        return err_set(err, ERR_INPUT, "cross_entropy needs a sigmoid or softmax output layer, not %s",
                       net_act_name(out));
    if ((cost == COST_MAE || cost == COST_HUBER) && out == ACT_SOFTMAX)
        return err_set(err, ERR_INPUT, "%s is a regression cost: it needs an output layer other "
                       "than softmax (linear, usually)", net_cost_name(cost));

    net->n_layers = n_layers;
    net->cost = cost;
    size_t off = 0;
    for (int l = 0; l < n_layers; l++) {
        net->act[l] = act[l];
        net->w_off[l] = off;
        off += (size_t)sizes[l + 1] * sizes[l];
        net->b_off[l] = off;
        off += (size_t)sizes[l + 1];
    }
    for (int i = 0; i <= n_layers; i++)
        net->sizes[i] = sizes[i];
    net->n_params = off;
    net->params = mem_floats(off);
    if (!net->params)
        return err_set(err, ERR_RUNTIME, "out of memory for %zu parameters (%.1f MB)",
                       off, off * 4.0 / 1e6);
    return 0;
}

void net_free(net_t *net)
{
    mem_free(net->params);
    net->params = NULL;
}

void net_init_params(net_t *net, net_init_kind scheme, rng_t *rng)
{
    for (int l = 0; l < net->n_layers; l++) {
        int fan_in = net->sizes[l], fan_out = net->sizes[l + 1];
        float *W = net->params + net->w_off[l];
        float *b = net->params + net->b_off[l];
        size_t nw = (size_t)fan_in * fan_out;
        switch (scheme) {
        case INIT_NIELSEN: {
            double sd = 1.0 / sqrt((double)fan_in);
            for (size_t i = 0; i < nw; i++)
                W[i] = (float)(sd * rng_normal(rng));
            for (int j = 0; j < fan_out; j++)
                b[j] = (float)rng_normal(rng);
            break;
        }
        case INIT_XAVIER: {
            double r = sqrt(6.0 / (fan_in + fan_out));
            for (size_t i = 0; i < nw; i++)
                W[i] = (float)(r * (2.0 * rng_uniform(rng) - 1.0));
            memset(b, 0, (size_t)fan_out * sizeof *b);
            break;
        }
        case INIT_HE:
        default: {
            double sd = sqrt(2.0 / fan_in);
            for (size_t i = 0; i < nw; i++)
                W[i] = (float)(sd * rng_normal(rng));
            memset(b, 0, (size_t)fan_out * sizeof *b);
            break;
        }
        }
    }
}

/* ---- workspace --------------------------------------------------------- */

int net_ws_create(net_ws *ws, const net_t *net, int max_b, err_t *err)
{
    memset(ws, 0, sizeof *ws);
    size_t units = (size_t)net_units(net);
    /* Activations and deltas: two floats per unit per example. */
    ws->mem = mem_floats(2 * units * (size_t)max_b);
    if (!ws->mem)
        return err_set(err, ERR_RUNTIME, "out of memory for a %d-example workspace (%.1f MB)",
                       max_b, 2.0 * units * max_b * 4.0 / 1e6);
    ws->max_b = max_b;
    float *p = ws->mem;
    for (int l = 0; l < net->n_layers; l++) {
        ws->act[l + 1] = p;
        p += (size_t)max_b * net->sizes[l + 1];
        ws->delta[l] = p;
        p += (size_t)max_b * net->sizes[l + 1];
    }
    return 0;
}

void net_ws_free(net_ws *ws)
{
    mem_free(ws->mem);
    mem_free(ws->drop_mem);
    ws->mem = ws->drop_mem = NULL;
}

int net_ws_dropout(net_ws *ws, const net_t *net, const float *rate, err_t *err)
{
    size_t floats = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (rate[l] > 0)
            floats += (size_t)ws->max_b * net->sizes[l];
    mem_free(ws->drop_mem);
    ws->drop_mem = floats ? mem_floats(floats) : NULL;
    if (floats && !ws->drop_mem)
        return err_set(err, ERR_RUNTIME, "out of memory for dropout's masked inputs (%.1f MB)",
                       floats * 4.0 / 1e6);
    float *p = ws->drop_mem;
    for (int l = 0; l < net->n_layers; l++) {
        ws->drop.rate[l] = rate[l] > 0 ? rate[l] : 0.0f;
        ws->in[l] = rate[l] > 0 ? p : NULL;
        if (rate[l] > 0)
            p += (size_t)ws->max_b * net->sizes[l];
    }
    return 0;
}

void net_ws_rows(const net_t *net, const net_ws *ws, int lo, int n, net_ws *view)
{
    memset(view, 0, sizeof *view);
    view->max_b = n;
    view->drop = ws->drop;
    if (ws->drop.example)
        view->drop.example = ws->drop.example + lo;
    for (int l = 0; l < net->n_layers; l++) {
        view->act[l + 1] = ws->act[l + 1] + (size_t)lo * net->sizes[l + 1];
        view->delta[l] = ws->delta[l] + (size_t)lo * net->sizes[l + 1];
        if (ws->in[l])
            view->in[l] = ws->in[l] + (size_t)lo * net->sizes[l];
    }
}

int net_weight_rows(const net_t *net)
{
    int r = 0;
    for (int l = 0; l < net->n_layers; l++)
        r += net->sizes[l];
    return r;
}

void net_rows_span(const net_t *net, int row_lo, int row_hi, size_t *begin, size_t *end)
{
    int l = 0, first = 0;
    while (l + 1 < net->n_layers && row_lo >= first + net->sizes[l]) {
        first += net->sizes[l];
        l++;
    }
    int n_in = net->sizes[l], n_out = net->sizes[l + 1];
    *begin = net->w_off[l] + (size_t)(row_lo - first) * n_out;
    *end = row_hi - first >= n_in ? net->b_off[l] + n_out
                                  : net->w_off[l] + (size_t)(row_hi - first) * n_out;
}

int net_units(const net_t *net)
{
    int u = 0;
    for (int l = 0; l < net->n_layers; l++)
        u += net->sizes[l + 1];
    return u;
}

/* ---- activations ------------------------------------------------------- */

/* The kernels' name for a layer's elementwise function (softmax is not
 * elementwise: it is applied here, after a linear product). */
static kern_act kact(net_act a)
{
    switch (a) {
    case ACT_SIGMOID: return KERN_SIGMOID;
    case ACT_TANH: return KERN_TANH;
    case ACT_RELU: return KERN_RELU;
    case ACT_LEAKY_RELU: return KERN_LEAKY_RELU;
    default: return KERN_LINEAR;
    }
}

/* ---- dropout ------------------------------------------------------------- */

/* Keep unit u when its 24-bit draw is at least rate * 2^24 (exact in float,
 * then truncated: the same threshold everywhere). */
static uint32_t drop_threshold(float rate) { return (uint32_t)(rate * 16777216.0f); }
static uint64_t drop_row_key(uint64_t key, int e, int l) { return rng_mix(rng_mix(key, (uint64_t)e), (uint64_t)l); }
static int drop_keeps(uint64_t row_key, int u, uint32_t thresh) { return (rng_mix(row_key, (uint64_t)u) >> 40) >= thresh; }

int net_dropout_keeps(uint64_t key, int e, int l, int u, float rate)
{
    return drop_keeps(drop_row_key(key, e, l), u, drop_threshold(rate));
}

/* m is ws's masks for layer l's inputs, scale 1/(1-rate) where kept, 0
 * where dropped: out (B, n) = x (B, n) * m. */
static void drop_apply(const net_ws *ws, int l, const float *x, int B, int n, float *out)
{
    float rate = ws->drop.rate[l], scale = 1.0f / (1.0f - rate);
    uint32_t thresh = drop_threshold(rate);
    for (int r = 0; r < B; r++) {
        uint64_t k = drop_row_key(ws->drop.key, ws->drop.example[r], l);
        const float *xr = x + (size_t)r * n;
        float *o = out + (size_t)r * n;
        for (int u = 0; u < n; u++)
            o[u] = drop_keeps(k, u, thresh) ? xr[u] * scale : 0.0f;
    }
}

/* ---- forward, cost, backward ------------------------------------------ */

void net_forward(const net_t *net, net_ws *ws, const float *in, int B)
{
    const float *a = in;
    for (int l = 0; l < net->n_layers; l++) {
        int n_in = net->sizes[l], n_out = net->sizes[l + 1];
        float *z = ws->act[l + 1];
        if (ws->in[l]) {
            drop_apply(ws, l, a, B, n_in, ws->in[l]);
            a = ws->in[l];
        }
        /* The activation is applied inside the product, as each output is
         * finished, except softmax, which needs the whole row. */
        kern_epi e = {net->params + net->b_off[l], kact(net->act[l]), NULL};
        kern_gemm_nn(B, n_out, n_in, a, net->params + net->w_off[l], &e, z);
        if (net->act[l] == ACT_SOFTMAX)
            kern_softmax_rows(z, B, n_out);
        a = z;
    }
}

const float *net_output(const net_t *net, const net_ws *ws)
{
    return ws->act[net->n_layers];
}

#define LOG_BLOCK 64 /* terms whose logs are taken at once */

/* Softmax cross-entropy: -y ln a, for the outputs whose target y is not 0,
 * subtracted in order from sum[i / per] (per outputs to one sum). A row's
 * nonzero targets are found as a bit mask (no branch per output: a
 * softmax's y is mostly 0, at places no predictor guesses), and the logs
 * are taken LOG_BLOCK at a time by dm_log_n, which overlaps them: the
 * same bits as one dm_log per term. */
static void softmax_flush(const float *a, const float *y, const size_t *at, const size_t *row, int m,
                          double *sum)
{
    double x[LOG_BLOCK], lx[LOG_BLOCK];
    for (int j = 0; j < m; j++) {
        double v = a[at[j]];
        x[j] = v > FLT_MIN ? v : FLT_MIN; /* fmax(a, FLT_MIN), NaN too */
    }
    dm_log_n(x, lx, m);
    for (int j = 0; j < m; j++)
        sum[row[j]] -= y[at[j]] * lx[j];
}

static void softmax_terms(const float *a, const float *y, size_t len, size_t per, double *sum)
{
    size_t at[LOG_BLOCK], row[LOG_BLOCK];
    int m = 0;
    for (size_t r = 0, i = 0; i < len; r++, i += per)
        for (size_t k0 = 0; k0 < per; k0 += 64) {
            size_t nk = per - k0 < 64 ? per - k0 : 64;
            uint64_t nonzero = 0;
            for (size_t k = 0; k < nk; k++)
                nonzero |= (uint64_t)(y[i + k0 + k] != 0.0f) << k;
            for (; nonzero; nonzero &= nonzero - 1) {
                at[m] = i + k0 + (size_t)__builtin_ctzll(nonzero);
                row[m] = r;
                if (++m == LOG_BLOCK) {
                    softmax_flush(a, y, at, row, m, sum);
                    m = 0;
                }
            }
        }
    softmax_flush(a, y, at, row, m, sum);
}

/* Binary cross-entropy per output unit (Nielsen, chapter 3):
 * -(y ln a + (1 - y) ln(1 - a)), a clamped to [FLT_MIN, 1 - 1e-7],
 * subtracted in order from sum[i / per]; the logs LOG_BLOCK at a time. */
static void sigmoid_terms(const float *a, const float *y, size_t len, size_t per, double *sum)
{
    double x[2 * LOG_BLOCK], lx[2 * LOG_BLOCK];
    size_t row[LOG_BLOCK];
    int m = 0;
    for (size_t r = 0, i = 0; i < len; r++)
        for (size_t end = i + per; i < end; i++) {
            double ai = a[i] > FLT_MIN ? a[i] : FLT_MIN;
            ai = ai < 1.0 - 1e-7 ? ai : 1.0 - 1e-7;
            x[2 * m] = ai;
            x[2 * m + 1] = 1.0 - ai;
            row[m++] = r;
            if (m == LOG_BLOCK || i + 1 == len) {
                dm_log_n(x, lx, 2 * m);
                for (int j = 0; j < m; j++) {
                    double yj = y[i + 1 - (size_t)m + (size_t)j];
                    sum[row[j]] -= yj * lx[2 * j] + (1.0 - yj) * lx[2 * j + 1];
                }
                m = 0;
            }
        }
}

/* The cost of len outputs a against targets y, added in order into
 * sum[r], r = i / per: per = len gives one sum, per = n_out one per
 * example. */
static void cost_terms(const net_t *net, const float *a, const float *y, size_t len, size_t per,
                       double *sum)
{
    if (net->cost == COST_CROSS_ENTROPY) {
        if (net->act[net->n_layers - 1] == ACT_SOFTMAX)
            softmax_terms(a, y, len, per, sum);
        else
            sigmoid_terms(a, y, len, per, sum);
        return;
    }
    for (size_t r = 0; r * per < len; r++)
        for (size_t i = r * per; i < (r + 1) * per; i++) {
            double d = (double)a[i] - y[i];
            if (net->cost == COST_QUADRATIC) {
                sum[r] += 0.5 * d * d;
            } else if (net->cost == COST_MAE) {
                sum[r] += fabs(d);
            } else { /* COST_HUBER */
                d = fabs(d);
                sum[r] += d <= NET_HUBER_DELTA ? 0.5 * d * d : NET_HUBER_DELTA * (d - 0.5 * NET_HUBER_DELTA);
            }
        }
}

double net_cost_sum(const net_t *net, const net_ws *ws, const float *y, int B)
{
    size_t len = (size_t)B * net->sizes[net->n_layers];
    double s = 0.0;
    if (len > 0)
        cost_terms(net, net_output(net, ws), y, len, len, &s);
    return s;
}

void net_cost_rows(const net_t *net, const net_ws *ws, const float *y, int B, double *cost)
{
    size_t n = (size_t)net->sizes[net->n_layers];
    for (int i = 0; i < B; i++)
        cost[i] = 0.0;
    cost_terms(net, net_output(net, ws), y, (size_t)B * n, n, cost);
}

/* dC/dz of the output layer into d (B, n). Cross-entropy with a sigmoid or
 * softmax output simplifies to a - y: the activation's derivative cancels,
 * which is why it learns fast from saturated outputs. The other costs give
 * dC/da (quadratic a - y; mae sign(a - y), 0 where a = y; huber a - y
 * clipped to +-delta), then times the activation's derivative. */
static void output_delta(const net_t *net, const float *a, const float *y,
                         float *d, int B, int n)
{
    size_t len = (size_t)B * n;
    net_act act = net->act[net->n_layers - 1];
    for (size_t i = 0; i < len; i++)
        d[i] = a[i] - y[i];
    if (net->cost == COST_CROSS_ENTROPY)
        return;
    if (net->cost == COST_MAE) {
        /* d * 0 where d is neither > 0 nor < 0: 0 at d = 0, and a NaN stays
         * NaN (training must see it to stop). */
        for (size_t i = 0; i < len; i++)
            d[i] = d[i] > 0.0f ? 1.0f : d[i] < 0.0f ? -1.0f : d[i] * 0.0f;
    } else if (net->cost == COST_HUBER) {
        const float delta = (float)NET_HUBER_DELTA;
        for (size_t i = 0; i < len; i++)
            d[i] = d[i] > delta ? delta : d[i] < -delta ? -delta : d[i];
    }
    if (act == ACT_SOFTMAX) {
        /* Quadratic cost through softmax: dz_j = a_j (g_j - sum_k g_k a_k). */
        for (int r = 0; r < B; r++) {
            float *g = d + (size_t)r * n;
            const float *ar = a + (size_t)r * n;
            float dot = 0.0f;
            for (int k = 0; k < n; k++)
                dot += g[k] * ar[k];
            for (int j = 0; j < n; j++)
                g[j] = ar[j] * (g[j] - dot);
        }
    } else {
        kern_act_backward(kact(act), a, d, len);
    }
}

void net_backward_deltas(const net_t *net, net_ws *ws, const float *y, int B)
{
    net_backward_deltas_weighted(net, ws, y, NULL, B);
}

void net_backward_deltas_weighted(const net_t *net, net_ws *ws, const float *y, const float *w,
                                  int B)
{
    int L = net->n_layers, n = net->sizes[L];
    output_delta(net, ws->act[L], y, ws->delta[L - 1], B, n);
    for (int r = 0; w && r < B; r++)
        for (int j = 0; j < n; j++)
            ws->delta[L - 1][(size_t)r * n + j] *= w[r];
    for (int l = L - 1; l > 0; l--) {
        /* delta[l-1] (B, n_in) = delta[l] (B, n_out) . W_l^T * f'(a_prev),
         * W_l being (n_in, n_out). */
        kern_epi e = {NULL, kact(net->act[l - 1]), ws->act[l]};
        kern_gemm_nt(B, net->sizes[l], net->sizes[l + 1], ws->delta[l],
                     net->params + net->w_off[l], net->packed, &e, ws->delta[l - 1]);
        /* Dropped, layer l-1's output a reached layer l as a*m: its delta
         * takes the same mask. */
        if (ws->in[l])
            drop_apply(ws, l, ws->delta[l - 1], B, net->sizes[l], ws->delta[l - 1]);
    }
}

void net_param_grads(const net_t *net, const net_ws *ws, const float *in, int B,
                     int row_lo, int row_hi, float *grad)
{
    int first = 0; /* global index of layer l's first weight row */
    for (int l = 0; l < net->n_layers; l++) {
        int n_in = net->sizes[l], n_out = net->sizes[l + 1];
        int lo = row_lo - first > 0 ? row_lo - first : 0;
        int hi = row_hi - first < n_in ? row_hi - first : n_in;
        first += n_in;
        if (lo >= hi)
            continue;
        const float *a_prev = ws->in[l] ? ws->in[l] : l > 0 ? ws->act[l] : in;
        /* dW rows lo..hi (hi-lo, n_out) = a_prev[:, lo..hi]^T (hi-lo, B) . delta (B, n_out). */
        kern_gemm_tn(hi - lo, n_out, B, a_prev + lo, n_in, ws->delta[l],
                     grad + net->w_off[l] + (size_t)lo * n_out);
        if (hi == n_in)
            kern_colsum(B, n_out, ws->delta[l], n_out, grad + net->b_off[l]);
    }
}

void net_backward(const net_t *net, net_ws *ws, const float *in,
                  const float *y, int B, float *grad)
{
    net_backward_deltas(net, ws, y, B);
    net_param_grads(net, ws, in, B, 0, net_weight_rows(net), grad);
}
