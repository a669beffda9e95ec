/* api: see include/api.h. */
#include "api.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

void api_init(api_t *a, const net_t *net, const dataset *samples)
{
    int n_in = net->sizes[0];
    a->net = net;
    a->samples = samples && samples->n > 0 ? samples : NULL;
    if (a->samples) {
        a->rows = samples->rows;
        a->cols = samples->cols;
        return;
    }
    int r = (int)sqrt((double)n_in);
    while (r * r > n_in)
        r--;
    while ((r + 1) * (r + 1) <= n_in)
        r++;
    a->rows = r * r == n_in ? r : 1;
    a->cols = n_in / a->rows;
}

int api_error(json_buf *out, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    out->len = 0; /* replaces whatever a failed call had begun to write */
    if (out->s)
        out->s[0] = '\0';
    json_put_raw(out, "{\"error\":");
    json_put_str(out, msg);
    json_put_raw(out, "}\n");
    return status;
}

/* 200, or 500 when the reply could not be written. */
static int done(json_buf *out)
{
    if (!out->oom)
        return 200;
    json_buf_free(out);
    return api_error(out, 500, "out of memory");
}

int api_model(const api_t *a, json_buf *out)
{
    const net_t *net = a->net;
    json_put_raw(out, "{\"sizes\":[");
    for (int l = 0; l <= net->n_layers; l++)
        json_put_fmt(out, "%s%d", l ? "," : "", net->sizes[l]);
    json_put_raw(out, "],\"activations\":[");
    for (int l = 0; l < net->n_layers; l++) {
        if (l)
            json_put_raw(out, ",");
        json_put_str(out, net_act_name(net->act[l]));
    }
    json_put_raw(out, "],\"cost\":");
    json_put_str(out, net_cost_name(net->cost));
    json_put_fmt(out, ",\"params\":%zu,\"input\":{\"rows\":%d,\"cols\":%d},\"samples\":%d}\n",
                 net->n_params, a->rows, a->cols,
                 a->samples ? (a->samples->n < API_MAX_SAMPLES ? a->samples->n : API_MAX_SAMPLES) : 0);
    return done(out);
}

/* ---- predict ---------------------------------------------------------------- */

/* The request's pixels into x (sizes[0] floats); 0, or the 4xx status
 * with the error written. */
static int read_pixels(const api_t *a, const char *body, size_t len, float *x, json_buf *out)
{
    int n_in = a->net->sizes[0];
    json_doc d;
    err_t err;
    /* The object, its key, the array and its numbers, and a few more for a
     * clear message about an extra member: anything more is not a request
     * this API takes. */
    if (json_parse(body, len, n_in + 8, &d, &err) != 0)
        return api_error(out, err.code == ERR_RUNTIME ? 500 : 400, "%s", err.msg);
    int status = 0;
    int px = json_member(&d, 0, "pixels");
    if (d.nodes[0].type != JSON_OBJECT)
        status = api_error(out, 400, "expected a JSON object {\"pixels\": [%d numbers in 0..1]}", n_in);
    else if (px < 0)
        status = api_error(out, 400, "missing \"pixels\": expected %d numbers in 0..1", n_in);
    else if (d.nodes[0].len != 1)
        status = api_error(out, 400, "unknown member: the request has only \"pixels\"");
    else if (d.nodes[px].type != JSON_ARRAY)
        status = api_error(out, 400, "\"pixels\" must be an array of %d numbers in 0..1", n_in);
    else if (d.nodes[px].len != n_in)
        status = api_error(out, 400, "\"pixels\" has %d values; the model takes %d", d.nodes[px].len,
                           n_in);
    for (int i = 0, k = px + 1; status == 0 && i < n_in; i++, k = d.nodes[k].end) {
        const json_node *v = &d.nodes[k];
        if (v->type != JSON_NUMBER)
            status = api_error(out, 400, "pixels[%d] is not a number", i);
        else if (!(v->num >= 0 && v->num <= 1))
            status = api_error(out, 400, "pixels[%d] = %g is outside 0..1", i, v->num);
        else
            x[i] = (float)v->num;
    }
    json_doc_free(&d);
    return status;
}

typedef struct {
    int from, to;
    float c; /* a_from * w_from,to */
} link_t;

/* The API_CONNECTIONS largest |a_i * W[i][j]| of one layer, strongest first,
 * ties in (i, j) order. in is (n_in), W is (n_in, n_out) row-major. */
static int strongest(const float *in, const float *W, int n_in, int n_out, link_t *top)
{
    int k = 0, weakest = 0;
    for (int i = 0; i < n_in; i++) {
        if (in[i] == 0)
            continue;
        for (int j = 0; j < n_out; j++) {
            float c = in[i] * W[(size_t)i * n_out + j];
            if (k < API_CONNECTIONS) {
                top[k++] = (link_t){i, j, c};
            } else if (fabsf(c) > fabsf(top[weakest].c)) {
                top[weakest] = (link_t){i, j, c};
            } else {
                continue;
            }
            for (int m = 0; m < k; m++)
                if (fabsf(top[m].c) < fabsf(top[weakest].c))
                    weakest = m;
        }
    }
    /* Insertion sort, strongest first; stable, so ties keep (i, j) order. */
    for (int m = 1; m < k; m++) {
        link_t t = top[m];
        int q = m;
        for (; q > 0 && (fabsf(top[q - 1].c) < fabsf(t.c) ||
                         (fabsf(top[q - 1].c) == fabsf(t.c) &&
                          (top[q - 1].from > t.from || (top[q - 1].from == t.from && top[q - 1].to > t.to))));
             q--)
            top[q] = top[q - 1];
        top[q] = t;
    }
    return k;
}

int api_predict(const api_t *a, const char *body, size_t len, json_buf *out)
{
    const net_t *net = a->net;
    int L = net->n_layers, n_out = net->sizes[L];
    net_ws ws = {0};
    err_t err;
    float *x = malloc((size_t)net->sizes[0] * sizeof *x);
    if (!x || net_ws_create(&ws, net, 1, &err) != 0) {
        free(x);
        return api_error(out, 500, "out of memory");
    }
    int status = read_pixels(a, body, len, x, out);
    if (status != 0)
        goto done;
    net_forward(net, &ws, x, 1);
    const float *y = net_output(net, &ws);
    json_put_fmt(out, "{\"prediction\":%d,\"outputs\":", eval_argmax(y, n_out));
    json_put_floats(out, y, n_out);
    json_put_raw(out, ",\"activations\":[");
    for (int l = 0; l < L; l++) {
        if (l)
            json_put_raw(out, ",");
        json_put_floats(out, ws.act[l + 1], net->sizes[l + 1]);
    }
    json_put_raw(out, "],\"connections\":[");
    for (int l = 0; l < L; l++) {
        link_t top[API_CONNECTIONS];
        const float *in = l == 0 ? x : ws.act[l];
        int k = strongest(in, net->params + net->w_off[l], net->sizes[l], net->sizes[l + 1], top);
        json_put_raw(out, l ? ",[" : "[");
        for (int m = 0; m < k; m++) {
            json_put_fmt(out, "%s[%d,%d,", m ? "," : "", top[m].from, top[m].to);
            json_put_float(out, top[m].c);
            json_put_raw(out, "]");
        }
        json_put_raw(out, "]");
    }
    json_put_raw(out, "]}\n");
    status = done(out);
done:
    net_ws_free(&ws);
    free(x);
    return status;
}

/* ---- weights, samples --------------------------------------------------------- */

/* A query value: a whole number 0..hi-1 in plain decimal digits. */
static int parse_index(const char *s, int hi, int *out)
{
    if (!s || !*s || strlen(s) > 9)
        return -1;
    long v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (*c - '0');
    }
    if (v >= hi)
        return -1;
    *out = (int)v;
    return 0;
}

int api_weights(const api_t *a, const char *layer, const char *unit, json_buf *out)
{
    const net_t *net = a->net;
    int l, u;
    if (!layer || !unit)
        return api_error(out, 400, "expected ?layer=L&unit=U");
    if (parse_index(layer, net->n_layers, &l) != 0)
        return api_error(out, 400, "layer must be a whole number 0..%d", net->n_layers - 1);
    if (parse_index(unit, net->sizes[l + 1], &u) != 0)
        return api_error(out, 400, "unit must be a whole number 0..%d for layer %d",
                         net->sizes[l + 1] - 1, l);
    int n_in = net->sizes[l], n_out = net->sizes[l + 1];
    const float *W = net->params + net->w_off[l];
    float max_abs = 0;
    json_put_fmt(out, "{\"layer\":%d,\"unit\":%d,\"bias\":", l, u);
    json_put_float(out, net->params[net->b_off[l] + u]);
    json_put_raw(out, ",\"weights\":[");
    for (int i = 0; i < n_in; i++) {
        float w = W[(size_t)i * n_out + u];
        if (fabsf(w) > max_abs)
            max_abs = fabsf(w);
        if (i)
            json_put_raw(out, ",");
        json_put_float(out, w);
    }
    json_put_raw(out, "],\"max_abs\":");
    json_put_float(out, max_abs);
    json_put_raw(out, "}\n");
    return done(out);
}

int api_samples(const api_t *a, json_buf *out)
{
    const dataset *d = a->samples;
    int n = d ? (d->n < API_MAX_SAMPLES ? d->n : API_MAX_SAMPLES) : 0;
    int n_in = a->rows * a->cols;
    json_put_fmt(out, "{\"rows\":%d,\"cols\":%d,\"samples\":[", a->rows, a->cols);
    for (int s = 0; s < n; s++) {
        const uint8_t *px = d->images + (size_t)s * n_in;
        json_put_fmt(out, "%s{\"label\":%d,\"pixels\":[", s ? "," : "", d->labels[s]);
        for (int i = 0; i < n_in; i++)
            json_put_fmt(out, i ? ",%d" : "%d", px[i]);
        json_put_raw(out, "]}");
    }
    json_put_raw(out, "]}\n");
    return done(out);
}
