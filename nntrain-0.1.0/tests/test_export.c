/* Tests for export: the ONNX file read back with protobuf-c (nodes, every
 * attribute, shapes, initializers bit for bit, opset and producer), the
 * .npz file read back byte by byte (zip records and CRCs, .npy headers,
 * the arrays), the format from the extension, and failed exports leaving
 * nothing behind. The peer checks (onnx.checker, NumPy, ONNX Runtime on
 * MNIST) are tests/test_peer_numpy.sh and tests/test_peer_ort.sh. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "config.h"
#include "export.h"
#include "le.h"
#include "net.h"
#include "onnx.pb-c.h"
#include "rng.h"
#include "testutil.h"

static char pathbuf[512];

static const char *tpath(const char *name)
{
    snprintf(pathbuf, sizeof pathbuf, "%s/%s", tmpdir, name);
    return pathbuf;
}

/* 5-4-3-3-3-3-2: every hidden activation, then out; random parameters. */
#define L 6
static void make_net(net_t *net, net_act out)
{
    static const int sizes[L + 1] = {5, 4, 3, 3, 3, 3, 2};
    net_act act[L] = {ACT_SIGMOID, ACT_TANH, ACT_RELU, ACT_LEAKY_RELU, ACT_LINEAR, out};
    err_t err;
    ck_assert_int_eq(net_create(net, L, sizes, act, COST_CROSS_ENTROPY, &err), 0);
    rng_t rng;
    rng_seed(&rng, 11);
    net_init_params(net, INIT_NIELSEN, &rng);
}

START_TEST(test_format_of)
{
    export_format f;
    err_t err;
    ck_assert_int_eq(export_format_of("a/b.onnx", &f, &err), 0);
    ck_assert_int_eq(f, EXPORT_ONNX);
    ck_assert_int_eq(export_format_of("B.NPZ", &f, &err), 0);
    ck_assert_int_eq(f, EXPORT_NPZ);
    ck_assert_int_eq(export_format_of("model.pt", &f, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "model.pt: unknown export format"));
    ck_assert_int_eq(export_format_of("dir.onnx/model", &f, &err), -1);
    ck_assert_int_eq(export_format_of("onnx", &f, &err), -1);
}
END_TEST

static const Onnx__AttributeProto *only_attr(const Onnx__NodeProto *n, const char *name)
{
    ck_assert_uint_eq(n->n_attribute, 1);
    ck_assert_str_eq(n->attribute[0]->name, name);
    return n->attribute[0];
}

START_TEST(test_onnx_read_back)
{
    net_t net;
    make_net(&net, ACT_SOFTMAX);
    err_t err;
    ck_assert_int_eq(export_onnx(tpath("m.onnx"), &net, &err), 0);
    size_t n;
    unsigned char *buf = tu_read_file(tpath("m.onnx"), &n);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->ir_version, EXPORT_ONNX_IR);
    ck_assert_uint_eq(m->n_opset_import, 1);
    ck_assert_str_eq(m->opset_import[0]->domain, "");
    ck_assert_int_eq(m->opset_import[0]->version, EXPORT_ONNX_OPSET);
    ck_assert_str_eq(m->producer_name, "nntrain");
    ck_assert_str_eq(m->producer_version, PACKAGE_VERSION);
    ck_assert_ptr_nonnull(strstr(m->doc_string, "5-4-3-3-3-3-2 sigmoid,tanh,relu,leaky_relu,linear,softmax cross_entropy"));

    const Onnx__GraphProto *g = m->graph;
    ck_assert_uint_eq(g->n_input, 1);
    ck_assert_uint_eq(g->n_output, 1);
    const Onnx__ValueInfoProto *io[2] = {g->input[0], g->output[0]};
    ck_assert_str_eq(io[0]->name, "input");
    ck_assert_str_eq(io[1]->name, "output");
    for (int k = 0; k < 2; k++) {
        const Onnx__TypeProto__Tensor *t = io[k]->type->tensor_type;
        ck_assert_int_eq(t->elem_type, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
        ck_assert_uint_eq(t->shape->n_dim, 2);
        ck_assert_str_eq(t->shape->dim[0]->dim_param, "N");
        ck_assert_int_eq(t->shape->dim[1]->dim_value, k == 0 ? 5 : 2);
    }

    static const char *ops[L] = {"Sigmoid", "Tanh", "Relu", "LeakyRelu", "Identity", "Softmax"};
    ck_assert_uint_eq(g->n_node, 2 * L);
    ck_assert_uint_eq(g->n_initializer, 2 * L);
    const char *prev = "input";
    for (int l = 0; l < L; l++) {
        const Onnx__NodeProto *gemm = g->node[2 * l], *act = g->node[2 * l + 1];
        ck_assert_str_eq(gemm->op_type, "Gemm");
        ck_assert_uint_eq(gemm->n_input, 3);
        ck_assert_str_eq(gemm->input[0], prev);
        ck_assert_uint_eq(gemm->n_attribute, 0); /* alpha = beta = 1, no transposes */
        ck_assert_str_eq(act->op_type, ops[l]);
        ck_assert_str_eq(act->input[0], gemm->output[0]);
        if (net.act[l] == ACT_LEAKY_RELU)
            ck_assert_float_eq(only_attr(act, "alpha")->f, NET_LEAKY_SLOPE);
        else if (net.act[l] == ACT_SOFTMAX)
            ck_assert_int_eq(only_attr(act, "axis")->i, 1);
        else
            ck_assert_uint_eq(act->n_attribute, 0);
        prev = act->output[0];
        for (int k = 0; k < 2; k++) {
            const Onnx__TensorProto *t = g->initializer[2 * l + k];
            ck_assert_str_eq(gemm->input[1 + k], t->name);
            ck_assert_int_eq(t->data_type, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
            size_t count = k == 0 ? (size_t)net.sizes[l] * net.sizes[l + 1] : (size_t)net.sizes[l + 1];
            ck_assert_uint_eq(t->n_dims, (size_t)(k == 0 ? 2 : 1));
            ck_assert_int_eq(t->dims[0], k == 0 ? net.sizes[l] : net.sizes[l + 1]);
            if (k == 0)
                ck_assert_int_eq(t->dims[1], net.sizes[l + 1]);
            ck_assert_uint_eq(t->n_float_data, count);
            const float *want = net.params + (k == 0 ? net.w_off[l] : net.b_off[l]);
            ck_assert_mem_eq(t->float_data, want, count * sizeof(float));
        }
    }
    ck_assert_str_eq(prev, "output");
    onnx__model_proto__free_unpacked(m, NULL);
    free(buf);
    net_free(&net);
}
END_TEST

/* ---- reading the .npz back ------------------------------------------------- */

typedef struct {
    char name[32];
    const unsigned char *data; /* the .npy file */
    size_t size;
} member;

static unsigned get16(const unsigned char *p) { return p[0] | p[1] << 8; }

/* Walks the central directory; checks each local header and CRC. */
static int read_zip(const unsigned char *z, size_t n, member *m, int max)
{
    ck_assert_uint_ge(n, 22);
    const unsigned char *end = z + n - 22;
    ck_assert_uint_eq(le_get_u32(end), 0x06054b50);
    int count = (int)get16(end + 10);
    ck_assert_int_le(count, max);
    const unsigned char *c = z + le_get_u32(end + 16);
    ck_assert_uint_eq(le_get_u32(end + 12) + le_get_u32(end + 16), n - 22);
    for (int i = 0; i < count; i++) {
        ck_assert_uint_eq(le_get_u32(c), 0x02014b50);
        ck_assert_uint_eq(get16(c + 10), 0); /* stored */
        unsigned name_len = get16(c + 28);
        uint32_t crc = le_get_u32(c + 16), size = le_get_u32(c + 24), off = le_get_u32(c + 42);
        ck_assert_uint_eq(le_get_u32(c + 20), size);
        const unsigned char *l = z + off;
        ck_assert_uint_eq(le_get_u32(l), 0x04034b50);
        ck_assert_uint_eq(le_get_u32(l + 14), crc);
        ck_assert_uint_eq(le_get_u32(l + 22), size);
        ck_assert_uint_eq(get16(l + 26), name_len);
        ck_assert_mem_eq(l + 30, c + 46, name_len);
        snprintf(m[i].name, sizeof m[i].name, "%.*s", (int)name_len, (const char *)c + 46);
        m[i].data = l + 30 + name_len + get16(l + 28);
        m[i].size = size;
        ck_assert_uint_eq(crc32(0, m[i].data, size), crc);
        c += 46 + name_len + get16(c + 30) + get16(c + 32);
    }
    return count;
}

/* The .npy header's dict; returns the data after it. */
static const unsigned char *npy(const member *m, const char *want_dict, size_t want_bytes)
{
    ck_assert_mem_eq(m->data, "\x93NUMPY\x01\x00", 8);
    size_t hlen = get16(m->data + 8);
    ck_assert_uint_eq((10 + hlen) % 64, 0);
    ck_assert_uint_eq(m->data[10 + hlen - 1], '\n');
    ck_assert_uint_eq(strlen(want_dict) < hlen, 1);
    ck_assert_mem_eq(m->data + 10, want_dict, strlen(want_dict));
    for (size_t i = 10 + strlen(want_dict); i < 10 + hlen - 1; i++)
        ck_assert_uint_eq(m->data[i], ' ');
    ck_assert_uint_eq(m->size, 10 + hlen + want_bytes);
    return m->data + 10 + hlen;
}

START_TEST(test_npz_read_back)
{
    net_t net;
    make_net(&net, ACT_SIGMOID);
    err_t err;
    ck_assert_int_eq(export_npz(tpath("m.npz"), &net, &err), 0);
    size_t n;
    unsigned char *z = tu_read_file(tpath("m.npz"), &n);
    member m[16];
    ck_assert_int_eq(read_zip(z, n, m, 16), 2 * L + 3);
    char dict[128];
    for (int l = 0; l < L; l++) {
        int in = net.sizes[l], out = net.sizes[l + 1];
        char name[16];
        snprintf(name, sizeof name, "W%d.npy", l);
        ck_assert_str_eq(m[2 * l].name, name);
        snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }",
                 in, out);
        const unsigned char *w = npy(&m[2 * l], dict, (size_t)in * out * 4);
        for (int i = 0; i < in * out; i++) {
            uint32_t u = le_get_u32(w + 4 * i);
            float f;
            memcpy(&f, &u, 4);
            ck_assert(f == net.params[net.w_off[l] + (size_t)i]);
        }
        snprintf(name, sizeof name, "b%d.npy", l);
        ck_assert_str_eq(m[2 * l + 1].name, name);
        snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }", out);
        const unsigned char *b = npy(&m[2 * l + 1], dict, (size_t)out * 4);
        for (int i = 0; i < out; i++) {
            uint32_t u = le_get_u32(b + 4 * i);
            float f;
            memcpy(&f, &u, 4);
            ck_assert(f == net.params[net.b_off[l] + (size_t)i]);
        }
    }
    ck_assert_str_eq(m[2 * L].name, "shape.npy");
    const unsigned char *s =
        npy(&m[2 * L], "{'descr': '<i8', 'fortran_order': False, 'shape': (7,), }", 7 * 8);
    for (int i = 0; i <= L; i++)
        ck_assert_uint_eq(le_get_u64(s + 8 * i), (uint64_t)net.sizes[i]);
    /* "leaky_relu" is the longest name: 10 UTF-32 characters each. */
    ck_assert_str_eq(m[2 * L + 1].name, "activations.npy");
    const unsigned char *a =
        npy(&m[2 * L + 1], "{'descr': '<U10', 'fortran_order': False, 'shape': (6,), }", L * 10 * 4);
    static const char *acts[L] = {"sigmoid", "tanh", "relu", "leaky_relu", "linear", "sigmoid"};
    for (int i = 0; i < L; i++)
        for (size_t j = 0; j < 10; j++)
            ck_assert_uint_eq(le_get_u32(a + 4 * (10 * i + j)),
                              j < strlen(acts[i]) ? (uint32_t)acts[i][j] : 0);
    ck_assert_str_eq(m[2 * L + 2].name, "cost.npy");
    const unsigned char *c =
        npy(&m[2 * L + 2], "{'descr': '<U13', 'fortran_order': False, 'shape': (), }", 13 * 4);
    for (size_t j = 0; j < 13; j++)
        ck_assert_uint_eq(le_get_u32(c + 4 * j), (uint32_t)"cross_entropy"[j]);
    free(z);
    net_free(&net);
}
END_TEST

/* The same network gives the same bytes (no time stamps), and export_file
 * picks the format from the extension. */
START_TEST(test_reproducible)
{
    net_t net;
    make_net(&net, ACT_SOFTMAX);
    err_t err;
    static const char *names[][2] = {{"a.onnx", "b.ONNX"}, {"a.npz", "b.Npz"}};
    for (int k = 0; k < 2; k++) {
        char a[512];
        snprintf(a, sizeof a, "%s", tpath(names[k][0]));
        ck_assert_int_eq(k == 0 ? export_onnx(a, &net, &err) : export_npz(a, &net, &err), 0);
        ck_assert_int_eq(export_file(tpath(names[k][1]), &net, &err), 0);
        size_t na, nb;
        unsigned char *ba = tu_read_file(a, &na), *bb = tu_read_file(tpath(names[k][1]), &nb);
        ck_assert_uint_eq(na, nb);
        ck_assert_mem_eq(ba, bb, na);
        free(ba);
        free(bb);
    }
    ck_assert_int_eq(export_file(tpath("c.txt"), &net, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    net_free(&net);
}
END_TEST

/* No file under the final name, nor any temporary file, after a failure;
 * a file already there stays as it was. */
START_TEST(test_failures_leave_nothing)
{
    net_t net;
    make_net(&net, ACT_SOFTMAX);
    err_t err;
    ck_assert_int_eq(export_onnx(tpath("none/m.onnx"), &net, &err), -1);
    ck_assert_int_eq(err.code, ERR_RUNTIME);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot save ONNX model"));
    ck_assert_int_eq(mkdir(tpath("dir.npz"), 0700), 0);
    ck_assert_int_eq(export_npz(tpath("dir.npz"), &net, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "rename"));
    ck_assert_int_eq(export_file(tpath("m.bin"), &net, &err), -1);
    DIR *d = opendir(tmpdir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)))
        ck_assert_msg(e->d_name[0] == '.' || strcmp(e->d_name, "dir.npz") == 0, "left: %s", e->d_name);
    closedir(d);
    net_free(&net);
}
END_TEST

TU_MAIN_TMPDIR("export", test_format_of, test_onnx_read_back, test_npz_read_back, test_reproducible,
               test_failures_leave_nothing)
