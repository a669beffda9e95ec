/* api: see include/api.h. */
#include "api.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "export.h"

void api_init(api_t *a, const net_t *net, const dataset *samples)
{
    int n_in = net->sizes[0];
    a->net = net;
    a->prep = NULL;
    a->by_name = NULL;
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

static const prep_t *sort_prep; /* qsort has no context argument; set under api_init_table */

static int cmp_feature(const void *x, const void *y)
{
    return strcmp(sort_prep->features[*(const int *)x].name,
                  sort_prep->features[*(const int *)y].name);
}

int api_init_table(api_t *a, const net_t *net, const prep_t *prep, err_t *err)
{
    api_init(a, net, NULL);
    a->rows = 1;
    a->cols = net->sizes[0];
    if (export_check_prep(net, prep, "the model", err) != 0)
        return -1;
    int F = prep->n_features;
    a->by_name = malloc((size_t)F * sizeof *a->by_name);
    if (!a->by_name)
        return err_set(err, ERR_RUNTIME, "out of memory");
    for (int i = 0; i < F; i++)
        a->by_name[i] = i;
    sort_prep = prep;
    qsort(a->by_name, (size_t)F, sizeof *a->by_name, cmp_feature);
    sort_prep = NULL;
    a->prep = prep;
    return 0;
}

void api_free(api_t *a)
{
    free(a->by_name);
    a->by_name = NULL;
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

static void put_names(json_buf *out, char *const *names, int n)
{
    json_put_raw(out, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            json_put_raw(out, ",");
        json_put_str(out, names[i]);
    }
    json_put_raw(out, "]");
}

/* A double in JSON: shortest of %.15g/%.17g that reads back; not finite: null. */
static void put_double(json_buf *out, double v)
{
    if (!isfinite(v)) {
        json_put_raw(out, "null");
        return;
    }
    char s[40];
    snprintf(s, sizeof s, "%.15g", v);
    if (strtod(s, NULL) != v)
        snprintf(s, sizeof s, "%.17g", v);
    json_put_raw(out, s);
}

/* A table model's part of api_model (api.h). */
static void model_table(const prep_t *p, json_buf *out)
{
    json_put_fmt(out, ",\"task\":\"%s\",\"features\":[",
                 p->task == PREP_CLASSIFICATION ? "classification" : "regression");
    for (int i = 0; i < p->n_features; i++) {
        const prep_feature *f = &p->features[i];
        json_put_raw(out, i ? ",{\"name\":" : "{\"name\":");
        json_put_str(out, f->name);
        if (f->categorical) {
            json_put_raw(out, ",\"type\":\"categorical\",\"categories\":");
            put_names(out, f->cats, f->n_cats);
            json_put_raw(out, ",\"default\":");
            if (f->n_cats > 0)
                json_put_str(out, f->cats[f->fill_cat >= 0 && f->fill_cat < f->n_cats ? f->fill_cat : 0]);
            else
                json_put_raw(out, "null");
            json_put_fmt(out, ",\"missing\":%s}", f->fill_cat >= 0 ? "true" : "false");
        } else {
            json_put_raw(out, ",\"type\":\"numeric\",\"default\":");
            put_double(out, isnan(f->fill) ? f->offset : f->fill);
            json_put_fmt(out, ",\"missing\":%s}", isnan(f->fill) ? "false" : "true");
        }
    }
    if (p->task == PREP_CLASSIFICATION) {
        json_put_raw(out, "],\"classes\":");
        put_names(out, p->classes, p->n_classes);
    } else {
        json_put_raw(out, "],\"targets\":");
        put_names(out, p->targets, p->n_targets);
    }
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
    json_put_fmt(out, ",\"params\":%zu,\"input\":{\"rows\":%d,\"cols\":%d},\"samples\":%d",
                 net->n_params, a->rows, a->cols,
                 a->samples ? (a->samples->n < API_MAX_SAMPLES ? a->samples->n : API_MAX_SAMPLES) : 0);
    if (a->prep)
        model_table(a->prep, out);
    json_put_raw(out, "}\n");
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

/* The index of feature name in a's table model, or -1. */
static int find_feature(const api_t *a, const char *name)
{
    int lo = 0, hi = a->prep->n_features - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, i = a->by_name[mid];
        int c = strcmp(name, a->prep->features[i].name);
        if (c == 0)
            return i;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

static int find_category(const prep_feature *f, const char *s)
{
    int lo = 0, hi = f->n_cats - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(s, f->cats[mid]);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

/* One feature's value v (a node of d) into its inputs of x; 0 or a 4xx. */
static int read_feature(const prep_feature *f, const json_node *v, int first, float *x,
                        json_buf *out)
{
    if (!f->categorical) {
        double num;
        if (v->type == JSON_NUMBER) {
            num = v->num;
        } else if (v->type == JSON_NULL) {
            if (isnan(f->fill))
                return api_error(out, 400, "features.%s is null (missing) and the model has no "
                                 "value to fill it with (trained with data.missing: error): give a "
                                 "number", f->name);
            num = f->fill;
        } else {
            return api_error(out, 400, "features.%s must be a number (a numeric feature)", f->name);
        }
        x[first] = (float)((num - f->offset) / f->scale);
        return 0;
    }
    int k;
    char buf[40];
    if (v->type == JSON_STRING) {
        k = find_category(f, v->str);
    } else if (v->type == JSON_NUMBER) {
        /* A number names a category as the CSV reader writes it (prep.c). */
        snprintf(buf, sizeof buf, "%.15g", v->num);
        if (strtod(buf, NULL) != v->num)
            snprintf(buf, sizeof buf, "%.17g", v->num);
        k = find_category(f, buf);
    } else if (v->type == JSON_NULL) {
        if (f->fill_cat < 0)
            return api_error(out, 400, "features.%s is null (missing) and the model has no "
                             "category to fill it with (trained with data.missing: error): give "
                             "one of its categories", f->name);
        k = f->fill_cat;
    } else {
        return api_error(out, 400, "features.%s must be a string, one of its categories (a "
                         "categorical feature)", f->name);
    }
    memset(x + first, 0, (size_t)f->n_cats * sizeof *x);
    if (k >= 0) /* a category never seen: all zeros, as predict does */
        x[first + k] = 1.0f;
    return 0;
}

/* A table model's request {"features": {...}} into x (sizes[0] floats);
 * 0, or the 4xx status with the error written. */
static int read_features(const api_t *a, const char *body, size_t len, float *x, json_buf *out)
{
    const prep_t *p = a->prep;
    int F = p->n_features;
    json_doc d;
    err_t err;
    /* The object, its key, the features object, a key and a value per
     * feature, and a few more for a clear message about extra members. */
    int max_nodes = F > (1 << 20) ? (1 << 22) : 2 * F + 8;
    if (json_parse(body, len, max_nodes, &d, &err) != 0)
        return api_error(out, err.code == ERR_RUNTIME ? 500 : 400, "%s", err.msg);
    int status = 0;
    int fo = json_member(&d, 0, "features");
    int *first = NULL;
    unsigned char *seen = NULL;
    if (d.nodes[0].type != JSON_OBJECT)
        status = api_error(out, 400, "expected a JSON object {\"features\": {\"name\": value, ...}}");
    else if (fo < 0)
        status = api_error(out, 400, "missing \"features\": expected {\"features\": {\"name\": "
                           "value, ...}} with the model's %d features", F);
    else if (d.nodes[0].len != 1)
        status = api_error(out, 400, "unknown member: the request has only \"features\"");
    else if (d.nodes[fo].type != JSON_OBJECT)
        status = api_error(out, 400, "\"features\" must be an object {\"name\": value, ...}");
    else if (!(first = malloc((size_t)F * sizeof *first)) || !(seen = calloc((size_t)F, 1)))
        status = api_error(out, 500, "out of memory");
    for (int i = 0, at = 0; status == 0 && i < F; i++) {
        first[i] = at;
        at += p->features[i].categorical ? p->features[i].n_cats : 1;
    }
    for (int m = 0, k = fo + 1; status == 0 && m < d.nodes[fo].len; m++) {
        const json_node *key = &d.nodes[k], *v = &d.nodes[k + 1];
        int i = find_feature(a, key->str);
        if (i < 0)
            status = api_error(out, 400, "unknown feature \"%.200s\" (GET /api/model lists the "
                               "model's features)", key->str);
        else if (seen[i]++)
            status = api_error(out, 400, "feature \"%s\" is given twice", p->features[i].name);
        else
            status = read_feature(&p->features[i], v, first[i], x, out);
        k = v->end;
    }
    for (int i = 0; status == 0 && i < F; i++)
        if (!seen[i])
            status = api_error(out, 400, "missing feature \"%s\" (%s): every feature of the "
                               "model must be given", p->features[i].name,
                               p->features[i].categorical ? "a string, one of its categories"
                                                          : "a number");
    free(first);
    free(seen);
    json_doc_free(&d);
    return status;
}

/* The answer for a table model (api.h). */
static void predict_table(const api_t *a, const float *x, const float *y, json_buf *out)
{
    const prep_t *p = a->prep;
    const net_t *net = a->net;
    int n_out = net->sizes[net->n_layers];
    if (p->task == PREP_CLASSIFICATION) {
        int k = eval_argmax(y, n_out);
        json_put_raw(out, "{\"task\":\"classification\",\"prediction\":");
        json_put_str(out, prep_class_name(p, k));
        json_put_fmt(out, ",\"index\":%d,\"classes\":", k);
        put_names(out, p->classes, p->n_classes);
        json_put_raw(out, ",\"probabilities\":");
        json_put_floats(out, y, n_out);
    } else {
        json_put_raw(out, "{\"task\":\"regression\",\"targets\":");
        put_names(out, p->targets, p->n_targets);
        json_put_raw(out, ",\"values\":[");
        for (int k = 0; k < n_out; k++) {
            if (k)
                json_put_raw(out, ",");
            put_double(out, prep_target_value(p, k, y[k]));
        }
        json_put_raw(out, "]");
    }
    json_put_raw(out, ",\"inputs\":");
    json_put_floats(out, x, net->sizes[0]);
    json_put_raw(out, "}\n");
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
    int status = a->prep ? read_features(a, body, len, x, out) : read_pixels(a, body, len, x, out);
    if (status != 0)
        goto done;
    net_forward(net, &ws, x, 1);
    const float *y = net_output(net, &ws);
    if (a->prep) {
        predict_table(a, x, y, out);
        status = done(out);
        goto done;
    }
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
