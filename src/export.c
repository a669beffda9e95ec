/* export: a trained network as an ONNX model or a NumPy .npz archive
 * (formats in include/export.h). Files are written by fsx_write_atomic,
 * so a failure never leaves a partial file under the final name. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "config.h"
#include "export.h"
#include "fsx.h"
#include "json.h"
#include "le.h"
#include "onnx.pb-c.h" /* generated at build time from ONNX's onnx.proto */

int export_format_of(const char *path, export_format *fmt, err_t *err)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash)) {
        if (strcasecmp(dot, ".onnx") == 0) {
            *fmt = EXPORT_ONNX;
            return 0;
        }
        if (strcasecmp(dot, ".npz") == 0) {
            *fmt = EXPORT_NPZ;
            return 0;
        }
    }
    return err_set(err, ERR_INPUT,
                   "%s: unknown export format: the file name must end in .onnx (ONNX) or .npz (NumPy)",
                   path);
}

int export_file(const char *path, const net_t *net, err_t *err)
{
    return export_file_with(path, net, NULL, err);
}

int export_file_with(const char *path, const net_t *net, const prep_t *prep, err_t *err)
{
    export_format fmt;
    if (export_format_of(path, &fmt, err) != 0)
        return -1;
    return fmt == EXPORT_ONNX ? export_onnx_with(path, net, prep, err)
                              : export_npz_with(path, net, prep, err);
}

int export_check_prep(const net_t *net, const prep_t *prep, const char *source, err_t *err)
{
    if (!prep)
        return 0;
    int n_out = net->sizes[net->n_layers];
    int want = prep->task == PREP_CLASSIFICATION ? prep->n_classes : prep->n_targets;
    if (prep->n_features < 1 || prep->n_inputs != net->sizes[0] || want != n_out)
        return err_set(err, ERR_INPUT,
                       "%s: the preprocessing does not fit the network: %d features give %d inputs "
                       "and %d %s, the network takes %d inputs and has %d outputs",
                       source, prep->n_features, prep->n_inputs, want,
                       prep->task == PREP_CLASSIFICATION ? "classes" : "targets", net->sizes[0],
                       n_out);
    return 0;
}

/* "784-256-10 relu,softmax cross_entropy", as the training banner says it. */
static void describe(const net_t *net, char *buf, size_t cap)
{
    size_t len = 0;
    for (int i = 0; i <= net->n_layers && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? "-%d" : "%d", net->sizes[i]);
    for (int l = 0; l < net->n_layers && len < cap; l++)
        len += (size_t)snprintf(buf + len, cap - len, "%c%s", l ? ',' : ' ', net_act_name(net->act[l]));
    if (len < cap)
        snprintf(buf + len, cap - len, " %s", net_cost_name(net->cost));
}

/* ---- ONNX ------------------------------------------------------------------ */

static const char *onnx_op(net_act a)
{
    switch (a) {
    case ACT_SIGMOID: return "Sigmoid";
    case ACT_TANH: return "Tanh";
    case ACT_RELU: return "Relu";
    case ACT_LEAKY_RELU: return "LeakyRelu";
    case ACT_LINEAR: return "Identity";
    case ACT_SOFTMAX: return "Softmax";
    default: return NULL;
    }
}

/* Every message of the model, in one allocation: protobuf-c packs a tree of
 * structs that point to each other; nothing here is allocated per field. */
typedef struct {
    Onnx__ModelProto model;
    Onnx__OperatorSetIdProto opset, *opsets[1];
    Onnx__StringStringEntryProto prop, *props[1];
    Onnx__GraphProto graph;
    Onnx__NodeProto node[2 * NET_MAX_LAYERS], *nodes[2 * NET_MAX_LAYERS];
    char *node_in[2 * NET_MAX_LAYERS][3], *node_out[2 * NET_MAX_LAYERS][1];
    Onnx__AttributeProto attr[NET_MAX_LAYERS], *attrs[NET_MAX_LAYERS];
    Onnx__TensorProto tensor[2 * NET_MAX_LAYERS], *tensors[2 * NET_MAX_LAYERS];
    int64_t dims[2 * NET_MAX_LAYERS][2];
    /* The graph's input [0] and output [1]. */
    Onnx__ValueInfoProto io[2], *ios[2];
    Onnx__TypeProto type[2];
    Onnx__TypeProto__Tensor tensor_type[2];
    Onnx__TensorShapeProto shape[2];
    Onnx__TensorShapeProto__Dimension dim[2][2], *dims_of[2][2];
    /* Per layer: W, b, z (the Gemm's output), a (the activation's), the
     * two node names. */
    char name[NET_MAX_LAYERS][6][24];
    char doc[512];
} onnx_tree;

enum { NM_W, NM_B, NM_Z, NM_A, NM_GEMM, NM_ACT };

static void value_info(onnx_tree *t, int k, const char *name, int64_t n_features)
{
    Onnx__TensorShapeProto__Dimension *d = t->dim[k];
    onnx__tensor_shape_proto__dimension__init(&d[0]);
    d[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
    d[0].dim_param = "N";
    onnx__tensor_shape_proto__dimension__init(&d[1]);
    d[1].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    d[1].dim_value = n_features;
    t->dims_of[k][0] = &d[0];
    t->dims_of[k][1] = &d[1];
    onnx__tensor_shape_proto__init(&t->shape[k]);
    t->shape[k].n_dim = 2;
    t->shape[k].dim = t->dims_of[k];
    onnx__type_proto__tensor__init(&t->tensor_type[k]);
    t->tensor_type[k].has_elem_type = 1;
    t->tensor_type[k].elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->tensor_type[k].shape = &t->shape[k];
    onnx__type_proto__init(&t->type[k]);
    t->type[k].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->type[k].tensor_type = &t->tensor_type[k];
    onnx__value_info_proto__init(&t->io[k]);
    t->io[k].name = (char *)name;
    t->io[k].type = &t->type[k];
    t->ios[k] = &t->io[k];
}

/* A float initializer pointing at the network's own parameters. */
static void initializer(onnx_tree *t, int k, char *name, const float *data, int ndims,
                        int64_t d0, int64_t d1)
{
    Onnx__TensorProto *x = &t->tensor[k];
    onnx__tensor_proto__init(x);
    x->name = name;
    x->has_data_type = 1;
    x->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->dims[k][0] = d0;
    t->dims[k][1] = d1;
    x->n_dims = (size_t)ndims;
    x->dims = t->dims[k];
    x->n_float_data = (size_t)(ndims == 2 ? d0 * d1 : d0);
    x->float_data = (float *)data; /* only read by the packer */
    t->tensors[k] = x;
}

static Onnx__NodeProto *node(onnx_tree *t, int k, char *name, const char *op, int n_in)
{
    Onnx__NodeProto *n = &t->node[k];
    onnx__node_proto__init(n);
    n->name = name;
    n->op_type = (char *)op;
    n->n_input = (size_t)n_in;
    n->input = t->node_in[k];
    n->n_output = 1;
    n->output = t->node_out[k];
    t->nodes[k] = n;
    return n;
}

static void build_onnx(onnx_tree *t, const net_t *net)
{
    int L = net->n_layers;
    const char *prev = EXPORT_ONNX_INPUT;
    for (int l = 0; l < L; l++) {
        char(*nm)[24] = t->name[l];
        snprintf(nm[NM_W], sizeof nm[NM_W], "W%d", l);
        snprintf(nm[NM_B], sizeof nm[NM_B], "b%d", l);
        snprintf(nm[NM_Z], sizeof nm[NM_Z], "z%d", l);
        if (l == L - 1)
            snprintf(nm[NM_A], sizeof nm[NM_A], "%s", EXPORT_ONNX_OUTPUT);
        else
            snprintf(nm[NM_A], sizeof nm[NM_A], "a%d", l);
        snprintf(nm[NM_GEMM], sizeof nm[NM_GEMM], "layer%d_gemm", l);
        snprintf(nm[NM_ACT], sizeof nm[NM_ACT], "layer%d_%s", l, net_act_name(net->act[l]));
        int n_in = net->sizes[l], n_out = net->sizes[l + 1];
        initializer(t, 2 * l, nm[NM_W], net->params + net->w_off[l], 2, n_in, n_out);
        initializer(t, 2 * l + 1, nm[NM_B], net->params + net->b_off[l], 1, n_out, 0);

        Onnx__NodeProto *g = node(t, 2 * l, nm[NM_GEMM], "Gemm", 3);
        g->input[0] = (char *)prev;
        g->input[1] = nm[NM_W];
        g->input[2] = nm[NM_B];
        g->output[0] = nm[NM_Z];

        Onnx__NodeProto *a = node(t, 2 * l + 1, nm[NM_ACT], onnx_op(net->act[l]), 1);
        a->input[0] = nm[NM_Z];
        a->output[0] = nm[NM_A];
        Onnx__AttributeProto *at = &t->attr[l];
        onnx__attribute_proto__init(at);
        t->attrs[l] = at;
        if (net->act[l] == ACT_LEAKY_RELU) {
            at->name = "alpha";
            at->has_type = 1;
            at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
            at->has_f = 1;
            at->f = NET_LEAKY_SLOPE;
            a->n_attribute = 1;
            a->attribute = &t->attrs[l];
        } else if (net->act[l] == ACT_SOFTMAX) {
            at->name = "axis";
            at->has_type = 1;
            at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
            at->has_i = 1;
            at->i = 1;
            a->n_attribute = 1;
            a->attribute = &t->attrs[l];
        }
        prev = nm[NM_A];
    }
    value_info(t, 0, EXPORT_ONNX_INPUT, net->sizes[0]);
    value_info(t, 1, EXPORT_ONNX_OUTPUT, net->sizes[L]);

    Onnx__GraphProto *gr = &t->graph;
    onnx__graph_proto__init(gr);
    gr->name = "nntrain_mlp";
    gr->n_node = (size_t)(2 * L);
    gr->node = t->nodes;
    gr->n_initializer = (size_t)(2 * L);
    gr->initializer = t->tensors;
    gr->n_input = 1;
    gr->input = &t->ios[0];
    gr->n_output = 1;
    gr->output = &t->ios[1];

    onnx__operator_set_id_proto__init(&t->opset);
    t->opset.domain = "";
    t->opset.has_version = 1;
    t->opset.version = EXPORT_ONNX_OPSET;
    t->opsets[0] = &t->opset;

    onnx__string_string_entry_proto__init(&t->prop);
    t->prop.key = "nntrain.cost";
    t->prop.value = (char *)net_cost_name(net->cost);
    t->props[0] = &t->prop;

    char what[400];
    describe(net, what, sizeof what);
    snprintf(t->doc, sizeof t->doc, "%s (exported by nntrain %s)", what, PACKAGE_VERSION);

    Onnx__ModelProto *m = &t->model;
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = EXPORT_ONNX_IR;
    m->n_opset_import = 1;
    m->opset_import = t->opsets;
    m->producer_name = "nntrain";
    m->producer_version = PACKAGE_VERSION;
    m->doc_string = t->doc;
    m->graph = gr;
    m->n_metadata_props = 1;
    m->metadata_props = t->props;
}

/* ---- ONNX: a table model's preprocessing around the network ------------------ */

/* The nodes, initializers and names a table model adds; each allocation is
 * remembered in `mem` and freed at once. Sizes are counted before. */
typedef struct {
    void **mem;
    size_t n_mem, cap_mem;
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **tensors;
    size_t n_tensors, cap_tensors;
    Onnx__StringStringEntryProto **props;
    size_t n_props;
    int oom;
} onnx_extra;

static void *ex_alloc(onnx_extra *e, size_t n)
{
    if (e->oom)
        return NULL;
    if (e->n_mem == e->cap_mem) {
        size_t cap = e->cap_mem ? 2 * e->cap_mem : 64;
        void **m = realloc(e->mem, cap * sizeof *m);
        if (!m) {
            e->oom = 1;
            return NULL;
        }
        e->mem = m;
        e->cap_mem = cap;
    }
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        e->oom = 1;
        return NULL;
    }
    e->mem[e->n_mem++] = p;
    return p;
}

static char *ex_fmt(onnx_extra *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *ex_fmt(onnx_extra *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = ex_alloc(e, (size_t)(n > 0 ? n : 0) + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* A node with n_in inputs and one output, appended to the extra nodes. */
static Onnx__NodeProto *ex_node(onnx_extra *e, const char *name, const char *op, int n_in,
                                const char *out)
{
    Onnx__NodeProto *n = ex_alloc(e, sizeof *n);
    char **in = ex_alloc(e, (size_t)n_in * sizeof *in);
    char **o = ex_alloc(e, sizeof *o);
    if (!n || !in || !o || e->n_nodes == e->cap_nodes) {
        e->oom = 1;
        return NULL;
    }
    onnx__node_proto__init(n);
    n->name = (char *)name;
    n->op_type = (char *)op;
    n->n_input = (size_t)n_in;
    n->input = in;
    n->n_output = 1;
    n->output = o;
    o[0] = (char *)out;
    e->nodes[e->n_nodes++] = n;
    return n;
}

/* A node with two inputs, a and b (names), and one output: Sub, Div, Mul, Add, Equal. */
static Onnx__NodeProto *ex_binary(onnx_extra *e, const char *name, const char *op, const char *a,
                                  const char *b, const char *out)
{
    Onnx__NodeProto *n = ex_node(e, name, op, 2, out);
    if (n) {
        n->input[0] = (char *)a;
        n->input[1] = (char *)b;
    }
    return n;
}

static void ex_attr_int(onnx_extra *e, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = ex_alloc(e, sizeof *a);
    Onnx__AttributeProto **as = ex_alloc(e, sizeof *as);
    if (!n || !a || !as)
        return;
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = v;
    as[0] = a;
    n->n_attribute = 1;
    n->attribute = as;
}

/* A 1-D initializer of n floats (v in double, stored as float) or int64s. */
static Onnx__TensorProto *ex_tensor(onnx_extra *e, const char *name, int is_int, size_t n)
{
    Onnx__TensorProto *x = ex_alloc(e, sizeof *x);
    int64_t *dims = ex_alloc(e, sizeof *dims);
    void *data = ex_alloc(e, (n ? n : 1) * 8);
    if (!x || !dims || !data || e->n_tensors == e->cap_tensors) {
        e->oom = 1;
        return NULL;
    }
    onnx__tensor_proto__init(x);
    x->name = (char *)name;
    x->has_data_type = 1;
    dims[0] = (int64_t)n;
    x->n_dims = 1;
    x->dims = dims;
    if (is_int) {
        x->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
        x->n_int64_data = n;
        x->int64_data = data;
    } else {
        x->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
        x->n_float_data = n;
        x->float_data = data;
    }
    e->tensors[e->n_tensors++] = x;
    return x;
}

static void ex_prop(onnx_extra *e, const char *key, json_buf *value)
{
    Onnx__StringStringEntryProto *p = ex_alloc(e, sizeof *p);
    char *v = value->oom || !value->s ? NULL : ex_fmt(e, "%s", value->s);
    json_buf_free(value);
    if (!p || !v) {
        e->oom = 1;
        return;
    }
    onnx__string_string_entry_proto__init(p);
    p->key = (char *)key;
    p->value = v;
    e->props[e->n_props++] = p;
}

static void json_names(json_buf *b, char *const *names, int n)
{
    json_put_raw(b, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            json_put_raw(b, ",");
        json_put_str(b, names[i]);
    }
    json_put_raw(b, "]");
}

static void ex_free(onnx_extra *e)
{
    for (size_t i = 0; i < e->n_mem; i++)
        free(e->mem[i]);
    free(e->mem);
    free(e->nodes);
    free(e->tensors);
    free(e->props);
}

/* Counts p's categorical features into *n_cat; *any_fill is set when some feature has a fill value. */
static void count_features(const prep_t *p, int *n_cat, int *any_fill)
{
    for (int i = 0; i < p->n_features; i++) {
        const prep_feature *f = &p->features[i];
        *n_cat += f->categorical != 0;
        *any_fill |= f->categorical ? f->fill_cat >= 0 : !isnan(f->fill);
    }
}

/* Allocates e's nodes, initializers and properties for F features around t's network. */
static int table_arrays(onnx_extra *e, const onnx_tree *t, int F)
{
    /* At most: 2 (fill) + 2 (scale) + F slices + 2 per categorical + concat
     * + 2 (regression); initializers: 3 + 3 per slice + 1 per categorical + 2. */
    e->cap_nodes = (size_t)(7 + 3 * F) + t->graph.n_node;
    e->cap_tensors = (size_t)(5 + 4 * F) + t->graph.n_initializer;
    e->nodes = calloc(e->cap_nodes, sizeof *e->nodes);
    e->tensors = calloc(e->cap_tensors, sizeof *e->tensors);
    e->props = calloc(8, sizeof *e->props);
    if (!e->nodes || !e->tensors || !e->props)
        return -1;
    return 0;
}

/* The initializers feature_offset, feature_scale and (when any_fill) feature_fill: [F] floats,
 * categorical columns kept as they are (offset 0, scale 1, their fill a category index or NaN). */
static int scaling_tensors(onnx_extra *e, const prep_t *p, int any_fill)
{
    int F = p->n_features;
    Onnx__TensorProto *fill = NULL, *off = ex_tensor(e, "feature_offset", 0, (size_t)F),
                      *sc = ex_tensor(e, "feature_scale", 0, (size_t)F);
    if (any_fill)
        fill = ex_tensor(e, "feature_fill", 0, (size_t)F);
    if (e->oom)
        return -1;
    for (int i = 0; i < F; i++) {
        const prep_feature *f = &p->features[i];
        off->float_data[i] = f->categorical ? 0.0f : (float)f->offset;
        sc->float_data[i] = f->categorical ? 1.0f : (float)f->scale;
        if (fill)
            fill->float_data[i] = f->categorical ? (f->fill_cat >= 0 ? (float)f->fill_cat : NAN)
                                                 : (float)f->fill;
    }
    return 0;
}

/* The nodes from the input: IsNaN and Where (when any_fill) fill the missing values, then Sub and
 * Div make "scaled". */
static void scaling_nodes(onnx_extra *e, int any_fill)
{
    const char *x = EXPORT_ONNX_FEATURES;
    if (any_fill) {
        Onnx__NodeProto *n = ex_node(e, "prep_isnan", "IsNaN", 1, "missing");
        if (n)
            n->input[0] = (char *)x;
        n = ex_node(e, "prep_fill", "Where", 3, "filled");
        if (n) {
            n->input[0] = "missing";
            n->input[1] = "feature_fill";
            n->input[2] = (char *)x;
        }
        x = "filled";
    }
    ex_binary(e, "prep_sub", "Sub", x, "feature_offset", "centered");
    ex_binary(e, "prep_div", "Div", "centered", "feature_scale", "scaled");
}

/* A Slice node taking columns [i, end) of x (on the slice_axes axis), with its start and end
 * initializers: its output's name, column<i> or columns<i>, into *col. */
static int slice_columns(onnx_extra *e, const char *x, int i, int end, int categorical, char **col)
{
    char *st = ex_fmt(e, "slice%d_start", i), *en = ex_fmt(e, "slice%d_end", i);
    *col = ex_fmt(e, categorical ? "column%d" : "columns%d", i);
    Onnx__TensorProto *ts = ex_tensor(e, st, 1, 1), *te = ex_tensor(e, en, 1, 1);
    Onnx__NodeProto *sl = ex_node(e, ex_fmt(e, "prep_slice%d", i), "Slice", 4, *col);
    if (!ts || !te || !sl)
        return -1;
    ts->int64_data[0] = i;
    te->int64_data[0] = end;
    sl->input[0] = (char *)x;
    sl->input[1] = st;
    sl->input[2] = en;
    sl->input[3] = "slice_axes";
    return 0;
}

/* One-hot for categorical feature f (column i): Equal against categories<i> (0..n_cats-1) and a
 * Cast to float; *col, the column's name, becomes the one-hot's [N, n_cats]. */
static int onehot_column(onnx_extra *e, const prep_feature *f, int i, char **col)
{
    char *cats = ex_fmt(e, "categories%d", i), *eq = ex_fmt(e, "is_category%d", i),
         *oh = ex_fmt(e, "onehot%d", i);
    Onnx__TensorProto *tc = ex_tensor(e, cats, 0, (size_t)f->n_cats);
    Onnx__NodeProto *ne = ex_binary(e, ex_fmt(e, "prep_equal%d", i), "Equal", *col, cats, eq);
    Onnx__NodeProto *nc = ex_node(e, ex_fmt(e, "prep_onehot%d", i), "Cast", 1, oh);
    if (!tc || !ne || !nc)
        return -1;
    for (int k = 0; k < f->n_cats; k++)
        tc->float_data[k] = (float)k;
    nc->input[0] = eq;
    ex_attr_int(e, nc, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    *col = oh;
    return 0;
}

/* Cuts x into pieces in input order, runs of numeric columns as they are and each categorical
 * column one-hot, and concatenates them: the name of the network's input, "inputs"; NULL if out
 * of memory. */
static const char *onehot_inputs(onnx_extra *e, const prep_t *p, const char *x)
{
    int F = p->n_features;
    char **pieces = ex_alloc(e, (size_t)F * sizeof *pieces);
    int n_pieces = 0;
    Onnx__TensorProto *axes = ex_tensor(e, "slice_axes", 1, 1);
    if (!pieces || !axes)
        return NULL;
    axes->int64_data[0] = 1;
    for (int i = 0; i < F && !e->oom;) {
        const prep_feature *f = &p->features[i];
        int end = i + 1;
        if (!f->categorical)
            while (end < F && !p->features[end].categorical)
                end++;
        char *col = NULL;
        if (slice_columns(e, x, i, end, f->categorical, &col) < 0 ||
            (f->categorical && onehot_column(e, f, i, &col) < 0))
            return NULL;
        pieces[n_pieces++] = col;
        i = end;
    }
    Onnx__NodeProto *cc = ex_node(e, "prep_concat", "Concat", n_pieces, "inputs");
    if (!cc)
        return NULL;
    for (int k = 0; k < n_pieces; k++)
        cc->input[k] = pieces[k];
    ex_attr_int(e, cc, "axis", 1);
    return "inputs";
}

/* Feeds x to the network's first Gemm; the network's nodes and initializers follow the
 * preprocessing's in e. */
static void splice_network(onnx_tree *t, onnx_extra *e, const char *x)
{
    t->node[0].input[0] = (char *)x; /* the first Gemm */
    for (size_t k = 0; k < t->graph.n_node; k++)
        e->nodes[e->n_nodes++] = t->graph.node[k];
    for (size_t k = 0; k < t->graph.n_initializer; k++)
        e->tensors[e->n_tensors++] = t->graph.initializer[k];
}

/* For a regression: the network's output (layer L-1) becomes "network_output", and Mul by
 * target_scale then Add of target_offset ([n_out] each) give the output in the targets' units. */
static int unscale_targets(onnx_tree *t, onnx_extra *e, const prep_t *p, int L, int n_out)
{
    snprintf(t->name[L - 1][NM_A], sizeof t->name[L - 1][NM_A], "network_output");
    Onnx__TensorProto *ys = ex_tensor(e, "target_scale", 0, (size_t)n_out),
                      *yo = ex_tensor(e, "target_offset", 0, (size_t)n_out);
    Onnx__NodeProto *mul = ex_binary(e, "target_mul", "Mul", t->name[L - 1][NM_A], "target_scale",
                                     "unscaled");
    Onnx__NodeProto *add = ex_binary(e, "target_add", "Add", "unscaled", "target_offset",
                                     EXPORT_ONNX_OUTPUT);
    if (!ys || !yo || !mul || !add)
        return -1;
    for (int k = 0; k < n_out; k++) {
        ys->float_data[k] = (float)p->y_scale[k];
        yo->float_data[k] = (float)p->y_offset[k];
    }
    return 0;
}

/* The categorical features' categories into b as a JSON object: {"name": ["cat", ...], ...}. */
static void json_categories(json_buf *b, const prep_t *p)
{
    json_put_raw(b, "{");
    for (int i = 0, first = 1; i < p->n_features; i++) {
        const prep_feature *f = &p->features[i];
        if (!f->categorical)
            continue;
        json_put_raw(b, first ? "" : ",");
        first = 0;
        json_put_str(b, f->name);
        json_put_raw(b, ":");
        json_names(b, f->cats, f->n_cats);
    }
    json_put_raw(b, "}");
}

/* The metadata after the network's: nntrain.task, then nntrain.features, .categories and .classes
 * or .targets as JSON. */
static int table_metadata(onnx_tree *t, onnx_extra *e, const prep_t *p)
{
    int F = p->n_features;
    e->props[e->n_props++] = &t->prop;
    json_buf b = {0};
    Onnx__StringStringEntryProto *task = ex_alloc(e, sizeof *task);
    if (!task)
        return -1;
    onnx__string_string_entry_proto__init(task);
    task->key = "nntrain.task";
    task->value = p->task == PREP_CLASSIFICATION ? "classification" : "regression";
    e->props[e->n_props++] = task;

    char **fnames = ex_alloc(e, (size_t)F * sizeof *fnames);
    if (!fnames)
        return -1;
    for (int i = 0; i < F; i++)
        fnames[i] = p->features[i].name;
    json_names(&b, fnames, F);
    ex_prop(e, "nntrain.features", &b);
    json_categories(&b, p);
    ex_prop(e, "nntrain.categories", &b);
    if (p->task == PREP_CLASSIFICATION) {
        json_names(&b, p->classes, p->n_classes);
        ex_prop(e, "nntrain.classes", &b);
    } else {
        json_names(&b, p->targets, p->n_targets);
        ex_prop(e, "nntrain.targets", &b);
    }
    return 0;
}

/* The input "features" [N, F] and its doc string: the features in order, categorical ones as
 * category indices, and what a NaN does. */
static void input_doc(onnx_tree *t, onnx_extra *e, const prep_t *p, int any_fill)
{
    int F = p->n_features;
    json_buf d = {0};
    json_put_fmt(&d, "raw feature values, one column per feature: ");
    for (int i = 0; i < F; i++) {
        const prep_feature *f = &p->features[i];
        json_put_fmt(&d, "%s%s", i ? ", " : "", f->name);
        if (f->categorical)
            json_put_fmt(&d, " (category index 0..%d, see nntrain.categories)", f->n_cats - 1);
    }
    json_put_raw(&d, any_fill ? "; NaN is a missing value, filled as in training"
                              : "; NaN (a missing value) is not handled: it gives NaN");
    value_info(t, 0, EXPORT_ONNX_FEATURES, F);
    t->io[0].doc_string = d.oom || !d.s ? NULL : ex_fmt(e, "%s", d.s);
    json_buf_free(&d);
}

/* Points t's graph at e's nodes and initializers, its model at e's properties, and names the
 * table in the model's doc. */
static void finish_graph(onnx_tree *t, onnx_extra *e, const prep_t *p)
{
    Onnx__GraphProto *gr = &t->graph;
    gr->n_node = e->n_nodes;
    gr->node = e->nodes;
    gr->n_initializer = e->n_tensors;
    gr->initializer = e->tensors;
    t->model.n_metadata_props = e->n_props;
    t->model.metadata_props = e->props;
    size_t len = strlen(t->doc);
    snprintf(t->doc + len, sizeof t->doc - len, "; a %s table model on %d features",
             p->task == PREP_CLASSIFICATION ? "classification" : "regression", p->n_features);
}

/* Wraps the network that build_onnx made in t with p's preprocessing: the
 * nodes and initializers before it (and, for a regression, after it), the
 * input "features", the metadata. Everything new lives in e. */
static int build_onnx_table(onnx_tree *t, const net_t *net, const prep_t *p, onnx_extra *e)
{
    int F = p->n_features, L = net->n_layers, n_out = net->sizes[L];
    int n_cat = 0, any_fill = 0;
    count_features(p, &n_cat, &any_fill);
    if (table_arrays(e, t, F) < 0 || scaling_tensors(e, p, any_fill) < 0)
        return -1;
    scaling_nodes(e, any_fill);
    const char *x = "scaled";
    if (n_cat > 0 && !(x = onehot_inputs(e, p, x)))
        return -1;
    if (e->oom)
        return -1;
    splice_network(t, e, x);
    if (p->task == PREP_REGRESSION && unscale_targets(t, e, p, L, n_out) < 0)
        return -1;
    if (table_metadata(t, e, p) < 0)
        return -1;
    input_doc(t, e, p, any_fill);
    if (e->oom)
        return -1;
    finish_graph(t, e, p);
    return 0;
}

int export_onnx(const char *path, const net_t *net, err_t *err)
{
    return export_onnx_with(path, net, NULL, err);
}

int export_onnx_with(const char *path, const net_t *net, const prep_t *prep, err_t *err)
{
    if (export_check_prep(net, prep, path, err) != 0)
        return -1;
    /* protobuf messages are limited to 2 GiB; ONNX keeps larger weights in
     * external files, which this exporter does not write. */
    if (net->n_params > (size_t)(INT32_MAX - (1 << 20)) / sizeof(float))
        return err_set(err, ERR_INPUT,
                       "%s: the network has %zu parameters; an ONNX file holds at most 2 GiB "
                       "(about 536 million parameters)", path, net->n_params);
    onnx_tree *t = calloc(1, sizeof *t);
    if (!t)
        return err_set(err, ERR_RUNTIME, "%s: out of memory", path);
    build_onnx(t, net);
    onnx_extra e = {0};
    if (prep && build_onnx_table(t, net, prep, &e) != 0) {
        ex_free(&e);
        free(t);
        return err_set(err, ERR_RUNTIME, "%s: out of memory", path);
    }
    size_t len = onnx__model_proto__get_packed_size(&t->model);
    unsigned char *buf = malloc(len);
    int rc = -1;
    if (!buf) {
        err_set(err, ERR_RUNTIME, "%s: out of memory (%zu bytes)", path, len);
    } else {
        onnx__model_proto__pack(&t->model, buf);
        rc = fsx_write_bytes(path, "ONNX model", buf, len, err);
    }
    free(buf);
    ex_free(&e);
    free(t);
    return rc;
}

/* ---- NumPy .npz: a zip (stored, no compression) of .npy files ----------- */

#define ZIP_DOS_DATE 0x0021 /* 1980-01-01, the earliest zip date: no time stamps */
#define NPZ_MAX_MEMBERS (2 * NET_MAX_LAYERS + 3 + 12)

typedef struct {
    char name[32]; /* "W0.npy" */
    uint32_t crc, size, offset;
} zip_member;

typedef struct {
    const net_t *net;
    const prep_t *prep;
    FILE *f;
    uint64_t pos; /* bytes written so far */
    zip_member m[NPZ_MAX_MEMBERS];
    int n;
} npz_writer;

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static int zwrite(npz_writer *w, const void *p, size_t n)
{
    if (fwrite(p, 1, n, w->f) != n)
        return -1;
    w->pos += n;
    return 0;
}

/* One member: the .npy header (magic, version 1.0, a Python dict padded to
 * a multiple of 64 bytes) then len bytes of little-endian data. */
static int npz_member(npz_writer *w, const char *name, const char *descr, const char *shape,
                      const unsigned char *data, size_t len)
{
    unsigned char hdr[256];
    int dict = snprintf((char *)hdr + 10, sizeof hdr - 10,
                        "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t total = (10 + (size_t)dict + 1 + 63) / 64 * 64;
    if (dict < 0 || total > sizeof hdr) {
        errno = EOVERFLOW;
        return -1;
    }
    memset(hdr + 10 + dict, ' ', total - 10 - (size_t)dict - 1);
    hdr[total - 1] = '\n';
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    put16(hdr + 8, (unsigned)(total - 10));

    /* The zip format without its zip64 extension counts in 32 bits. */
    if (w->pos + 30 + 32 + total + len > UINT32_MAX - 65536) {
        errno = EFBIG;
        return -1;
    }
    zip_member *m = &w->m[w->n++];
    snprintf(m->name, sizeof m->name, "%s.npy", name);
    uLong crc = crc32(0L, hdr, (uInt)total);
    for (size_t done = 0; done < len;) {
        uInt chunk = len - done > (1u << 30) ? (1u << 30) : (uInt)(len - done);
        crc = crc32(crc, data + done, chunk);
        done += chunk;
    }
    m->crc = (uint32_t)crc;
    m->size = (uint32_t)(total + len);
    m->offset = (uint32_t)w->pos;

    unsigned char lh[30] = {0};
    size_t name_len = strlen(m->name);
    le_put_u32(lh, 0x04034b50);
    put16(lh + 4, 20); /* version needed: 2.0 */
    put16(lh + 12, ZIP_DOS_DATE);
    le_put_u32(lh + 14, m->crc);
    le_put_u32(lh + 18, m->size); /* stored: compressed size = size */
    le_put_u32(lh + 22, m->size);
    put16(lh + 26, (unsigned)name_len);
    return zwrite(w, lh, sizeof lh) || zwrite(w, m->name, name_len) || zwrite(w, hdr, total) ||
                   zwrite(w, data, len)
               ? -1
               : 0;
}

/* The central directory and its end record, after every member. */
static int npz_finish(npz_writer *w)
{
    uint64_t cd_start = w->pos;
    for (int i = 0; i < w->n; i++) {
        const zip_member *m = &w->m[i];
        unsigned char ch[46] = {0};
        size_t name_len = strlen(m->name);
        le_put_u32(ch, 0x02014b50);
        put16(ch + 4, 20); /* made by: 2.0, MS-DOS attributes */
        put16(ch + 6, 20);
        put16(ch + 14, ZIP_DOS_DATE);
        le_put_u32(ch + 16, m->crc);
        le_put_u32(ch + 20, m->size);
        le_put_u32(ch + 24, m->size);
        put16(ch + 28, (unsigned)name_len);
        le_put_u32(ch + 42, m->offset);
        if (zwrite(w, ch, sizeof ch) || zwrite(w, m->name, name_len))
            return -1;
    }
    unsigned char end[22] = {0};
    le_put_u32(end, 0x06054b50);
    put16(end + 8, (unsigned)w->n);
    put16(end + 10, (unsigned)w->n);
    le_put_u32(end + 12, (uint32_t)(w->pos - cd_start));
    le_put_u32(end + 16, (uint32_t)cd_start);
    return zwrite(w, end, sizeof end);
}

/* The next code point of UTF-8 text at *s, advancing *s; an invalid or
 * overlong sequence is one U+FFFD for its first byte. */
static uint32_t utf8_next(const unsigned char **s)
{
    const unsigned char *c = *s;
    uint32_t u = c[0];
    int more = u < 0x80 ? 0 : u >= 0xc2 && u < 0xe0 ? 1 : u >= 0xe0 && u < 0xf0 ? 2
             : u >= 0xf0 && u < 0xf5 ? 3 : -1;
    *s = c + 1;
    if (more < 0)
        return 0xfffd;
    if (more == 0)
        return u;
    u &= 0x3fu >> more;
    for (int k = 1; k <= more; k++) {
        if ((c[k] & 0xc0) != 0x80)
            return 0xfffd;
        u = u << 6 | (c[k] & 0x3f);
    }
    if ((more == 2 && (u < 0x800 || (u >= 0xd800 && u < 0xe000))) ||
        (more == 3 && (u < 0x10000 || u > 0x10ffff)))
        return 0xfffd;
    *s = c + 1 + more;
    return u;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; n++)
        utf8_next(&c);
    return n;
}

/* n strings as a NumPy unicode array: fixed width (the longest, at least
 * 1), each character a little-endian UTF-32 code unit. */
static unsigned char *utf32_array(const char *const *s, int n, size_t *width, size_t *len)
{
    size_t wd = 1;
    for (int i = 0; i < n; i++)
        if (utf8_chars(s[i]) > wd)
            wd = utf8_chars(s[i]);
    unsigned char *buf = calloc((size_t)(n > 0 ? n : 1) * wd, 4);
    if (!buf)
        return NULL;
    for (int i = 0; i < n; i++) {
        size_t j = 0;
        for (const unsigned char *c = (const unsigned char *)s[i]; *c; j++)
            le_put_u32(buf + 4 * (wd * (size_t)i + j), utf8_next(&c));
    }
    *width = wd;
    *len = (size_t)n * wd * 4;
    return buf;
}

/* A member of n strings ('<U', shape (n,), or 0-d when scalar). */
static int npz_strings(npz_writer *w, const char *name, const char *const *s, int n, int scalar)
{
    size_t width, len;
    unsigned char *u = utf32_array(s, n, &width, &len);
    if (!u)
        return -1;
    char descr[32], shape[32] = "()";
    snprintf(descr, sizeof descr, "<U%zu", width);
    if (!scalar)
        snprintf(shape, sizeof shape, "(%d,)", n);
    int rc = npz_member(w, name, descr, shape, u, len);
    free(u);
    return rc;
}

/* A member of n doubles '<f8' or, with ints, int64s '<i8' (from v). */
static int npz_numbers(npz_writer *w, const char *name, const double *v, int n, int ints)
{
    unsigned char *b = malloc((size_t)(n > 0 ? n : 1) * 8);
    if (!b)
        return -1;
    for (int i = 0; i < n; i++) {
        uint64_t u;
        if (ints) {
            u = (uint64_t)(int64_t)v[i];
        } else {
            memcpy(&u, &v[i], 8);
        }
        le_put_u64(b + 8 * (size_t)i, u);
    }
    char shape[32];
    snprintf(shape, sizeof shape, "(%d,)", n);
    int rc = npz_member(w, name, ints ? "<i8" : "<f8", shape, b, 8 * (size_t)n);
    free(b);
    return rc;
}

/* A table model's preprocessing (export.h lists the arrays). */
static int npz_prep(npz_writer *w, const prep_t *p)
{
    int F = p->n_features, n_cats = 0;
    for (int i = 0; i < F; i++)
        n_cats += p->features[i].categorical ? p->features[i].n_cats : 0;
    double *v = malloc((size_t)(F > p->n_targets ? F : p->n_targets) * 5 * sizeof *v + 8);
    const char **names = malloc((size_t)(F + n_cats + 1) * sizeof *names);
    if (!v || !names) {
        free(v);
        free(names);
        return -1;
    }
    double *off = v, *sc = v + F, *fill = v + 2 * F, *nc = v + 3 * F;
    const char **cats = names + F;
    int k = 0;
    for (int i = 0; i < F; i++) {
        const prep_feature *f = &p->features[i];
        names[i] = f->name;
        off[i] = f->categorical ? 0 : f->offset;
        sc[i] = f->categorical ? 1 : f->scale;
        fill[i] = f->categorical ? (f->fill_cat >= 0 ? f->fill_cat : NAN) : f->fill;
        nc[i] = f->categorical ? f->n_cats : 0;
        for (int c = 0; f->categorical && c < f->n_cats; c++)
            cats[k++] = f->cats[c];
    }
    const char *task = p->task == PREP_CLASSIFICATION ? "classification" : "regression";
    int rc = npz_strings(w, "task", &task, 1, 1);
    if (rc == 0)
        rc = npz_strings(w, "feature_names", names, F, 0);
    if (rc == 0)
        rc = npz_numbers(w, "feature_offset", off, F, 0);
    if (rc == 0)
        rc = npz_numbers(w, "feature_scale", sc, F, 0);
    if (rc == 0)
        rc = npz_numbers(w, "feature_fill", fill, F, 0);
    if (rc == 0)
        rc = npz_numbers(w, "feature_n_cats", nc, F, 1);
    if (rc == 0)
        rc = npz_strings(w, "feature_categories", cats, n_cats, 0);
    if (rc == 0)
        rc = npz_strings(w, "target_names", (const char *const *)p->targets, p->n_targets, 0);
    if (rc == 0 && p->task == PREP_CLASSIFICATION)
        rc = npz_strings(w, "classes", (const char *const *)p->classes, p->n_classes, 0);
    if (rc == 0 && p->task == PREP_REGRESSION) {
        rc = npz_numbers(w, "target_offset", p->y_offset, p->n_targets, 0);
        if (rc == 0)
            rc = npz_numbers(w, "target_scale", p->y_scale, p->n_targets, 0);
    }
    free(v);
    free(names);
    return rc;
}

static int write_npz(FILE *f, const void *user)
{
    const npz_writer *in = user;
    npz_writer w = {.net = in->net, .prep = in->prep, .f = f};
    const net_t *net = w.net;
    int L = net->n_layers;
    /* The floats as little-endian bytes: one buffer of the largest layer. */
    size_t most = 0;
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)net->sizes[l] * (size_t)net->sizes[l + 1];
        most = n > most ? n : most;
    }
    unsigned char *buf = malloc(most * 4);
    if (!buf)
        return -1; /* errno is ENOMEM */
    int rc = 0;
    for (int l = 0; l < L && rc == 0; l++) {
        int n_in = net->sizes[l], n_out = net->sizes[l + 1];
        const float *W = net->params + net->w_off[l], *b = net->params + net->b_off[l];
        char name[16], shape[64];
        size_t n = (size_t)n_in * (size_t)n_out;
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &W[i], 4);
            le_put_u32(buf + 4 * i, u);
        }
        snprintf(name, sizeof name, "W%d", l);
        snprintf(shape, sizeof shape, "(%d, %d)", n_in, n_out);
        rc = npz_member(&w, name, "<f4", shape, buf, 4 * n);
        for (int i = 0; i < n_out && rc == 0; i++) {
            uint32_t u;
            memcpy(&u, &b[i], 4);
            le_put_u32(buf + 4 * (size_t)i, u);
        }
        snprintf(name, sizeof name, "b%d", l);
        snprintf(shape, sizeof shape, "(%d,)", n_out);
        if (rc == 0)
            rc = npz_member(&w, name, "<f4", shape, buf, 4 * (size_t)n_out);
    }
    if (rc == 0) {
        unsigned char sz[8 * (NET_MAX_LAYERS + 1)];
        char shape[32];
        for (int i = 0; i <= L; i++)
            le_put_u64(sz + 8 * i, (uint64_t)net->sizes[i]);
        snprintf(shape, sizeof shape, "(%d,)", L + 1);
        rc = npz_member(&w, "shape", "<i8", shape, sz, 8 * (size_t)(L + 1));
    }
    const char *names[NET_MAX_LAYERS];
    for (int l = 0; l < L; l++)
        names[l] = net_act_name(net->act[l]);
    const char *cost = net_cost_name(net->cost);
    for (int k = 0; k < 2 && rc == 0; k++) {
        size_t width, len;
        unsigned char *u = k == 0 ? utf32_array(names, L, &width, &len)
                                  : utf32_array(&cost, 1, &width, &len);
        if (!u) {
            rc = -1;
            break;
        }
        char descr[32], shape[32] = "()";
        snprintf(descr, sizeof descr, "<U%zu", width);
        if (k == 0)
            snprintf(shape, sizeof shape, "(%d,)", L);
        rc = npz_member(&w, k == 0 ? "activations" : "cost", descr, shape, u, len);
        free(u);
    }
    free(buf);
    if (rc == 0 && w.prep)
        rc = npz_prep(&w, w.prep);
    return rc == 0 ? npz_finish(&w) : -1;
}

int export_npz(const char *path, const net_t *net, err_t *err)
{
    return export_npz_with(path, net, NULL, err);
}

int export_npz_with(const char *path, const net_t *net, const prep_t *prep, err_t *err)
{
    if (export_check_prep(net, prep, path, err) != 0)
        return -1;
    /* Without zip64, a zip file and its members stay under 4 GiB. */
    if (net->n_params > (UINT32_MAX - (1u << 20)) / sizeof(float))
        return err_set(err, ERR_INPUT,
                       "%s: the network has %zu parameters; an .npz file written here holds at "
                       "most 4 GiB (about 1 billion parameters)", path, net->n_params);
    npz_writer w = {.net = net, .prep = prep};
    return fsx_write_atomic(path, "NumPy archive", write_npz, &w, err);
}
