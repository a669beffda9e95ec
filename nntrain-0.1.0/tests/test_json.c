/* Tests for json (reading: values, structure, escapes, every error and
 * limit; writing: escapes and float round trips) and api (predict against
 * net_forward, the strongest connections, weights and bad requests) on a
 * tiny network, no HTTP. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "json.h"
#include "net.h"
#include "testutil.h"

static int parse(const char *s, json_doc *d, err_t *err)
{
    return json_parse(s, strlen(s), 1000, d, err);
}

static void expect_error(const char *s, const char *word)
{
    json_doc d;
    err_t err;
    err_clear(&err);
    ck_assert_msg(parse(s, &d, &err) == -1, "accepted: %s", s);
    ck_assert_msg(strstr(err.msg, word), "'%s': message '%s' lacks '%s'", s, err.msg, word);
    ck_assert_ptr_null(d.nodes);
}

START_TEST(test_values)
{
    json_doc d;
    err_t err;
    ck_assert_int_eq(parse(" {\"a\": [1, -2.5e1, true, false, null], \"b\\u00e9\": \"x\\\"\\n\\ud83d\\ude00\", \"c\": {}} ", &d, &err), 0);
    ck_assert_int_eq(d.nodes[0].type, JSON_OBJECT);
    ck_assert_int_eq(d.nodes[0].len, 3);
    ck_assert_int_eq(d.nodes[0].end, d.n);
    int a = json_member(&d, 0, "a");
    ck_assert_int_eq(d.nodes[a].type, JSON_ARRAY);
    ck_assert_int_eq(d.nodes[a].len, 5);
    int k = a + 1;
    ck_assert(d.nodes[k].num == 1);
    k = d.nodes[k].end;
    ck_assert(d.nodes[k].num == -25);
    ck_assert_int_eq(d.nodes[d.nodes[k].end].type, JSON_TRUE);
    int b = json_member(&d, 0, "b\xc3\xa9");
    ck_assert_int_ge(b, 0);
    ck_assert_str_eq(d.nodes[b].str, "x\"\n\xf0\x9f\x98\x80");
    ck_assert_int_eq(d.nodes[json_member(&d, 0, "c")].type, JSON_OBJECT);
    ck_assert_int_eq(json_member(&d, 0, "zz"), -1);
    ck_assert_int_eq(json_member(&d, a, "a"), -1); /* not an object */
    json_doc_free(&d);
    ck_assert_int_eq(parse("0", &d, &err), 0);
    json_doc_free(&d);
}
END_TEST

START_TEST(test_errors)
{
    expect_error("", "byte 0: expected a value");
    expect_error("[1,]", "byte 3: expected a value");
    expect_error("[1 2]", "expected ',' or ']'");
    expect_error("{\"a\" 1}", "expected ':'");
    expect_error("{1:2}", "expected a string key");
    expect_error("01", "text after the value");
    expect_error("-", "expected a digit");
    expect_error("1.", "after '.'");
    expect_error("1e", "exponent");
    expect_error("1e999", "out of range");
    expect_error("NaN", "expected a value");
    expect_error("\"abc", "unterminated");
    expect_error("\"a\x01\"", "control character");
    expect_error("\"\\x\"", "unknown escape");
    expect_error("\"\\u12zz\"", "bad hex digit");
    expect_error("\"\\u12\"", "truncated");
    expect_error("\"\\ud800\"", "high surrogate");
    expect_error("\"\\udc00\"", "lone low surrogate");
    expect_error("\"\\u0000\"", "\\u0000");
    expect_error("[1] [2]", "text after");
    char deep[200];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    expect_error(deep, "nested deeper than 64");
    char num[100];
    memset(num, '1', sizeof num - 1);
    num[sizeof num - 1] = '\0';
    expect_error(num, "longer than 64");
    json_doc d;
    err_t err;
    ck_assert_int_eq(json_parse("[1,2,3]", 7, 3, &d, &err), -1);
    ck_assert_msg(strstr(err.msg, "more than 3 values"), "%s", err.msg);
    /* Not NUL-terminated: only len bytes are read. */
    ck_assert_int_eq(json_parse("[1]xyz", 3, 10, &d, &err), 0);
    json_doc_free(&d);
}
END_TEST

START_TEST(test_writer)
{
    json_buf b = {0};
    json_put_str(&b, "a\"b\\c\n\x01");
    json_put_raw(&b, " ");
    float v[] = {0.1f, -0.0f, 1e-30f, 3.4e38f, NAN, 1.0f / 3};
    json_put_floats(&b, v, 6);
    ck_assert_str_eq(b.s, "\"a\\\"b\\\\c\\u000a\\u0001\" [0.1,0,1e-30,3.4e+38,null,0.333333343]");
    for (int i = 0; i < 6; i++) {
        if (isnan(v[i])) continue;
        json_buf one = {0};
        json_put_float(&one, v[i]);
        ck_assert(strtof(one.s, NULL) == v[i]);
        json_buf_free(&one);
    }
    json_buf_free(&b);
}
END_TEST

/* A 4-3-2 network with known weights. */
static void tiny(net_t *net)
{
    int sizes[] = {4, 3, 2};
    net_act act[] = {ACT_RELU, ACT_SOFTMAX};
    err_t err;
    ck_assert_int_eq(net_create(net, 2, sizes, act, COST_CROSS_ENTROPY, &err), 0);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = (float)((int)(i * 7 % 11) - 5) / 4;
}

static int call_predict(const api_t *a, const char *body, json_buf *out)
{
    return api_predict(a, body, strlen(body), out);
}

START_TEST(test_api)
{
    net_t net;
    tiny(&net);
    api_t a;
    api_init(&a, &net, NULL);
    ck_assert_int_eq(a.rows, 2);
    ck_assert_int_eq(a.cols, 2);
    json_buf out = {0};
    ck_assert_int_eq(call_predict(&a, "{\"pixels\":[0.5,1,0,0.25]}", &out), 200);
    /* The reply is net_forward's. */
    net_ws ws;
    err_t err;
    ck_assert_int_eq(net_ws_create(&ws, &net, 1, &err), 0);
    float x[] = {0.5f, 1, 0, 0.25f};
    net_forward(&net, &ws, x, 1);
    json_doc d;
    ck_assert_int_eq(json_parse(out.s, out.len, 1000, &d, &err), 0);
    int o = json_member(&d, 0, "outputs");
    ck_assert_int_eq(d.nodes[o].len, 2);
    const float *y = net_output(&net, &ws);
    ck_assert((float)d.nodes[o + 1].num == y[0] && (float)d.nodes[o + 2].num == y[1]);
    ck_assert(d.nodes[json_member(&d, 0, "prediction")].num == (y[1] > y[0]));
    int acts = json_member(&d, 0, "activations");
    ck_assert_int_eq(d.nodes[acts].len, 2);
    ck_assert_int_eq(d.nodes[acts + 1].len, 3);
    /* The strongest connection of layer 0 is the largest |x_i W_ij|. */
    int conn = json_member(&d, 0, "connections");
    int first = conn + 2; /* [[ [from,to,c] */
    int from = (int)d.nodes[first + 1].num, to = (int)d.nodes[first + 2].num;
    float best = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            if (fabsf(x[i] * net.params[i * 3 + j]) > best)
                best = fabsf(x[i] * net.params[i * 3 + j]);
    ck_assert(fabsf(x[from] * net.params[from * 3 + to]) == best);
    ck_assert_int_eq(d.nodes[conn + 1].len, 9); /* x[2] = 0: 3 x 3 nonzero products */
    json_doc_free(&d);
    net_ws_free(&ws);
    json_buf_free(&out);

    static const struct { const char *body, *word; } bad[] = {
        {"[1]", "expected a JSON object"},
        {"{}", "missing \"pixels\""},
        {"{\"pixels\":[0,0,0,0],\"x\":1}", "unknown member"},
        {"{\"pixels\":{}}", "must be an array"},
        {"{\"pixels\":[0,0,0]}", "has 3 values; the model takes 4"},
        {"{\"pixels\":[0,0,0,1.0001]}", "pixels[3] = 1.0001 is outside 0..1"},
        {"{\"pixels\":[0,0,-1e-9,0]}", "outside 0..1"},
        {"{\"pixels\":[0,true,0,0]}", "pixels[1] is not a number"},
        {"{\"pixels\":[0,0,0,0", "malformed JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(call_predict(&a, bad[i].body, &out), 400);
        ck_assert_msg(strstr(out.s, bad[i].word) || strstr(out.s, "\\\"pixels\\\""), "%s: %s", bad[i].body, out.s);
        ck_assert(strncmp(out.s, "{\"error\":", 9) == 0);
        json_buf_free(&out);
    }

    ck_assert_int_eq(api_weights(&a, "1", "1", &out), 200);
    ck_assert_int_eq(json_parse(out.s, out.len, 100, &d, &err), 0);
    int w = json_member(&d, 0, "weights");
    ck_assert_int_eq(d.nodes[w].len, 3);
    for (int i = 0; i < 3; i++) /* W1 is (3, 2): input i -> unit 1 */
        ck_assert((float)d.nodes[w + 1 + i].num == net.params[net.w_off[1] + i * 2 + 1]);
    ck_assert((float)d.nodes[json_member(&d, 0, "bias")].num == net.params[net.b_off[1] + 1]);
    json_doc_free(&d);
    json_buf_free(&out);
    const char *bad_q[][2] = {{"2", "0"}, {"0", "3"}, {"1", "2"}, {"-1", "0"}, {"0", "1x"}, {"", "0"},
                              {"0", "99999999999"}, {NULL, "0"}, {"0", NULL}};
    for (size_t i = 0; i < sizeof bad_q / sizeof bad_q[0]; i++) {
        ck_assert_int_eq(api_weights(&a, bad_q[i][0], bad_q[i][1], &out), 400);
        json_buf_free(&out);
    }
    ck_assert_int_eq(api_model(&a, &out), 200);
    ck_assert_str_eq(out.s, "{\"sizes\":[4,3,2],\"activations\":[\"relu\",\"softmax\"],\"cost\":\"cross_entropy\","
                            "\"params\":23,\"input\":{\"rows\":2,\"cols\":2},\"samples\":0}\n");
    json_buf_free(&out);
    ck_assert_int_eq(api_samples(&a, &out), 200);
    ck_assert_str_eq(out.s, "{\"rows\":2,\"cols\":2,\"samples\":[]}\n");
    json_buf_free(&out);
    net_free(&net);
}
END_TEST

TU_MAIN("json", test_values, test_errors, test_writer, test_api)
