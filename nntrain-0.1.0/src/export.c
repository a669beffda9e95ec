/* export: a trained network as an ONNX model or a NumPy .npz archive
 * (formats in include/export.h). Files are written by fsx_write_atomic,
 * so a failure never leaves a partial file under the final name. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "config.h"
#include "export.h"
#include "fsx.h"
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
    export_format fmt;
    if (export_format_of(path, &fmt, err) != 0)
        return -1;
    return fmt == EXPORT_ONNX ? export_onnx(path, net, err) : export_npz(path, net, err);
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

int export_onnx(const char *path, const net_t *net, err_t *err)
{
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
    free(t);
    return rc;
}

/* ---- NumPy .npz: a zip (stored, no compression) of .npy files ----------- */

#define ZIP_DOS_DATE 0x0021 /* 1980-01-01, the earliest zip date: no time stamps */
#define NPZ_MAX_MEMBERS (2 * NET_MAX_LAYERS + 3)

typedef struct {
    char name[32]; /* "W0.npy" */
    uint32_t crc, size, offset;
} zip_member;

typedef struct {
    const net_t *net;
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

/* n strings as a NumPy unicode array: fixed width (the longest), each
 * character a little-endian UTF-32 code unit (the names are ASCII). */
static unsigned char *utf32_array(const char *const *s, int n, size_t *width, size_t *len)
{
    size_t wd = 1;
    for (int i = 0; i < n; i++)
        if (strlen(s[i]) > wd)
            wd = strlen(s[i]);
    unsigned char *buf = calloc((size_t)n * wd, 4);
    if (!buf)
        return NULL;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; s[i][j]; j++)
            le_put_u32(buf + 4 * (wd * (size_t)i + j), (unsigned char)s[i][j]);
    *width = wd;
    *len = (size_t)n * wd * 4;
    return buf;
}

static int write_npz(FILE *f, const void *user)
{
    npz_writer w = {.net = user, .f = f};
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
    return rc == 0 ? npz_finish(&w) : -1;
}

int export_npz(const char *path, const net_t *net, err_t *err)
{
    /* Without zip64, a zip file and its members stay under 4 GiB. */
    if (net->n_params > (UINT32_MAX - (1u << 20)) / sizeof(float))
        return err_set(err, ERR_INPUT,
                       "%s: the network has %zu parameters; an .npz file written here holds at "
                       "most 4 GiB (about 1 billion parameters)", path, net->n_params);
    return fsx_write_atomic(path, "NumPy archive", write_npz, net, err);
}
