/* Tests for cfg: every accepted form, defaults, every rejected form (with
 * the message's file, line:col and key), overrides, round trip, data paths. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, setenv, fdopen, open_memstream */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------- */

#define ck_assert_has(msg, needle) \
    ck_assert_msg(strstr((msg), (needle)) != NULL, "expected \"%s\" in \"%s\"", (needle), (msg))

/* Writes text to a fresh file under /tmp; path receives its name. */
static void write_tmp(const char *text, char *path, size_t n)
{
    snprintf(path, n, "/tmp/test_cfg_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
    size_t len = strlen(text);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* Loads yaml as "x.yaml" and insists it works. */
static void load_ok(const char *yaml, cfg_t *c)
{
    err_t err;
    err_clear(&err);
    int rc = cfg_load_string(yaml, "x.yaml", c, &err);
    ck_assert_msg(rc == 0, "unexpected error: %s", err.msg);
}

/* Loads yaml as "x.yaml", insists it fails with ERR_INPUT; returns the message. */
static const char *load_err(const char *yaml, err_t *err)
{
    cfg_t c;
    err_clear(err);
    ck_assert_int_eq(cfg_load_string(yaml, "x.yaml", &c, err), -1);
    ck_assert_int_eq(err->code, ERR_INPUT);
    ck_assert_str_ne(err->msg, "");
    return err->msg;
}

/* Loads yaml (must work), then cfg_validate must fail; returns the message. */
static const char *validate_err(const char *yaml, err_t *err)
{
    cfg_t c;
    load_ok(yaml, &c);
    err_clear(err);
    ck_assert_int_eq(cfg_validate(&c, err), -1);
    ck_assert_int_eq(err->code, ERR_INPUT);
    return err->msg;
}

static void set_ok(cfg_t *c, const char *assignment)
{
    err_t err;
    err_clear(&err);
    int rc = cfg_set(c, assignment, &err);
    ck_assert_msg(rc == 0, "cfg_set(%s): %s", assignment, err.msg);
}

static const char *set_err(cfg_t *c, const char *assignment, err_t *err)
{
    err_clear(err);
    ck_assert_int_eq(cfg_set(c, assignment, err), -1);
    ck_assert_int_eq(err->code, ERR_INPUT);
    return err->msg;
}

static const char *FULL =
    "data:\n"
    "  dir: /srv/mnist\n"
    "  train_images: a.gz\n"
    "  train_labels: b.gz\n"
    "  test_images: c.gz\n"
    "  test_labels: d.gz\n"
    "  validation: 10000\n"
    "  train_limit: 50000\n"
    "network:\n"
    "  sizes: [784, 100, 50, 10]\n"
    "  activation: [relu, tanh]\n"
    "  output: softmax\n"
    "  cost: cross_entropy\n"
    "  init: he\n"
    "train:\n"
    "  learning_rate: 0.1\n"
    "  batch_size: 32\n"
    "  epochs: 5\n"
    "  seed: 18446744073709551615\n"
    "  threads: 8\n"
    "  shards: 16\n"
    "  deterministic: no\n"
    "output:\n"
    "  model: out/model.bin\n"
    "  metrics: out/metrics.csv\n";

/* Every key's value, as cfg_get renders it, compared key by key over the
 * schema (so a key added to it is compared too); then every byte of the
 * values, the resolved act[] included (the strings' unused tails match:
 * both sides start from cfg_defaults). source and locs may differ. */
static void assert_same(const cfg_t *a, const cfg_t *b)
{
    static char va[8192], vb[8192]; /* a 1023-byte path, every byte escaped */
    char name[64];
    int n = cfg_key_count();
    ck_assert_int_gt(n, 0);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(cfg_key_name(i, name, sizeof name), 0);
        ck_assert_msg(cfg_get(a, name, va, sizeof va) == 0, "cfg_get(%s) failed", name);
        ck_assert_msg(cfg_get(b, name, vb, sizeof vb) == 0, "cfg_get(%s) failed", name);
        ck_assert_msg(strcmp(va, vb) == 0, "%s: %s, then %s", name, va, vb);
    }
    size_t from = offsetof(cfg_t, data_dir), to = offsetof(cfg_t, n_locs);
    ck_assert_msg(memcmp((const char *)a + from, (const char *)b + from, to - from) == 0,
                  "the two configs render the same but differ in memory");
}

/* Writes c as YAML to a temp file, loads it back into out, validates both. */
static void round_trip(cfg_t *c, cfg_t *out)
{
    char path[64];
    err_t err;
    snprintf(path, sizeof path, "/tmp/test_cfg_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(cfg_write_yaml(c, f), 0);
    fclose(f);
    int rc = cfg_load(path, out, &err);
    unlink(path);
    ck_assert_msg(rc == 0, "reloading the written YAML: %s", err.msg);
    ck_assert_int_eq(cfg_validate(c, &err), 0);
    ck_assert_int_eq(cfg_validate(out, &err), 0);
    assert_same(c, out);
}

/* ---- accepted forms ------------------------------------------------------ */

START_TEST(test_defaults)
{
    cfg_t c;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert_str_eq(c.source, "");
    ck_assert_str_eq(c.data_dir, "mnist");
    ck_assert_str_eq(c.train_images, "train-images-idx3-ubyte.gz");
    ck_assert_str_eq(c.train_labels, "train-labels-idx1-ubyte.gz");
    ck_assert_str_eq(c.test_images, "t10k-images-idx3-ubyte.gz");
    ck_assert_str_eq(c.test_labels, "t10k-labels-idx1-ubyte.gz");
    ck_assert_int_eq(c.validation, 0);
    ck_assert_int_eq(c.train_limit, 0);
    ck_assert_int_eq(c.n_layers, 2);
    ck_assert_int_eq(c.sizes[0], 784);
    ck_assert_int_eq(c.sizes[1], 30);
    ck_assert_int_eq(c.sizes[2], 10);
    ck_assert_int_eq(c.n_hidden_act, 1);
    ck_assert_int_eq(c.hidden_act[0], ACT_SIGMOID);
    ck_assert_int_eq(c.output_act, ACT_SIGMOID);
    ck_assert_int_eq(c.cost, COST_QUADRATIC);
    ck_assert_int_eq(c.init, INIT_NIELSEN);
    ck_assert(c.learning_rate == 3.0);
    ck_assert_int_eq(c.batch_size, 10);
    ck_assert_int_eq(c.epochs, 30);
    ck_assert_uint_eq(c.seed, 1);
    ck_assert_int_eq(c.threads, 0);
    ck_assert_int_eq(c.shards, 0);
    ck_assert_int_eq(c.deterministic, 1);
    ck_assert_str_eq(c.model_path, "");
    ck_assert_str_eq(c.metrics_path, "");
    ck_assert_int_eq(c.n_locs, 0);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(c.act[0], ACT_SIGMOID);
    ck_assert_int_eq(c.act[1], ACT_SIGMOID);
}
END_TEST

/* cfg reads numbers with strtod, in the calling thread's locale (cfg.h:
 * the library's entry points switch to "C"). In one with a decimal comma
 * a built-in default ("0.2") does not read: an error to return, never a
 * message printed or an abort. */
START_TEST(test_defaults_comma_locale)
{
    tmpdir_setup();
    if (tu_comma_locale(tmpdir, "test_defaults_comma_locale")) {
        cfg_t *c = malloc(sizeof *c);
        err_t err;
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(cfg_defaults(c, &err), -1);
        ck_assert_int_eq(err.code, ERR_RUNTIME);
        ck_assert_has(err.msg, "built-in default");
        ck_assert_int_eq(cfg_load_string("train:\n  epochs: 3\n", "x.yaml", c, &err), -1);
        ck_assert_has(err.msg, "built-in default");
        tu_c_locale();
        ck_assert_int_eq(cfg_defaults(c, &err), 0);
        ck_assert(c->test_fraction == 0.2);
        free(c);
    }
    tmpdir_teardown();
}
END_TEST

START_TEST(test_full_file)
{
    char path[64], where[256], expect[128];
    cfg_t c;
    err_t err;
    write_tmp(FULL, path, sizeof path);
    int rc = cfg_load(path, &c, &err);
    unlink(path);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_str_eq(c.source, path);
    ck_assert_str_eq(c.data_dir, "/srv/mnist");
    ck_assert_str_eq(c.train_images, "a.gz");
    ck_assert_str_eq(c.train_labels, "b.gz");
    ck_assert_str_eq(c.test_images, "c.gz");
    ck_assert_str_eq(c.test_labels, "d.gz");
    ck_assert_int_eq(c.validation, 10000);
    ck_assert_int_eq(c.train_limit, 50000);
    ck_assert_int_eq(c.n_layers, 3);
    ck_assert_int_eq(c.sizes[0], 784);
    ck_assert_int_eq(c.sizes[1], 100);
    ck_assert_int_eq(c.sizes[2], 50);
    ck_assert_int_eq(c.sizes[3], 10);
    ck_assert_int_eq(c.n_hidden_act, 2);
    ck_assert_int_eq(c.hidden_act[0], ACT_RELU);
    ck_assert_int_eq(c.hidden_act[1], ACT_TANH);
    ck_assert_int_eq(c.output_act, ACT_SOFTMAX);
    ck_assert_int_eq(c.cost, COST_CROSS_ENTROPY);
    ck_assert_int_eq(c.init, INIT_HE);
    ck_assert(c.learning_rate == 0.1);
    ck_assert_int_eq(c.batch_size, 32);
    ck_assert_int_eq(c.epochs, 5);
    ck_assert_uint_eq(c.seed, UINT64_MAX);
    ck_assert_int_eq(c.threads, 8);
    ck_assert_int_eq(c.shards, 16);
    ck_assert_int_eq(c.deterministic, 0);
    ck_assert_str_eq(c.model_path, "out/model.bin");
    ck_assert_str_eq(c.metrics_path, "out/metrics.csv");

    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(c.act[0], ACT_RELU);
    ck_assert_int_eq(c.act[1], ACT_TANH);
    ck_assert_int_eq(c.act[2], ACT_SOFTMAX);

    /* Locations point at the value: "  batch_size: 32" is line 17, col 15. */
    cfg_where(&c, "train.batch_size", where, sizeof where);
    snprintf(expect, sizeof expect, "%s:17:15", path);
    ck_assert_str_eq(where, expect);
    cfg_where(&c, "network.sizes", where, sizeof where);
    snprintf(expect, sizeof expect, "%s:10:10", path);
    ck_assert_str_eq(where, expect);
}
END_TEST

START_TEST(test_minimal_one_section)
{
    cfg_t c, d;
    char where[64];
    load_ok("train:\n  epochs: 3\n", &c);
    ck_assert_int_eq(cfg_defaults(&d, NULL), 0);
    d.epochs = 3;
    ck_assert_int_eq(c.epochs, 3);
    ck_assert_str_eq(c.source, "x.yaml");
    assert_same(&c, &d);
    /* A defaulted key is placed at the file; a set one at its line:col. */
    cfg_where(&c, "data.dir", where, sizeof where);
    ck_assert_str_eq(where, "x.yaml");
    cfg_where(&c, "train.epochs", where, sizeof where);
    ck_assert_str_eq(where, "x.yaml:2:11");
}
END_TEST

START_TEST(test_empty_section)
{
    cfg_t c;
    load_ok("train:\noutput:\n  model: m.bin\n", &c);
    ck_assert_int_eq(c.epochs, 30);
    ck_assert_str_eq(c.model_path, "m.bin");
}
END_TEST

START_TEST(test_activation_scalar)
{
    cfg_t c;
    err_t err;
    load_ok("network:\n  sizes: [2, 3, 4, 5]\n  activation: relu\n  output: linear\n", &c);
    ck_assert_int_eq(c.n_layers, 3);
    ck_assert_int_eq(c.n_hidden_act, 1);
    ck_assert_int_eq(c.hidden_act[0], ACT_RELU);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(c.act[0], ACT_RELU);
    ck_assert_int_eq(c.act[1], ACT_RELU);
    ck_assert_int_eq(c.act[2], ACT_LINEAR);
}
END_TEST

START_TEST(test_activation_list)
{
    cfg_t c;
    err_t err;
    load_ok("network:\n  sizes: [2, 3, 4, 5, 6]\n"
            "  activation:\n    - leaky_relu\n    - linear\n    - sigmoid\n"
            "  output: tanh\n", &c);
    ck_assert_int_eq(c.n_hidden_act, 3);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(c.act[0], ACT_LEAKY_RELU);
    ck_assert_int_eq(c.act[1], ACT_LINEAR);
    ck_assert_int_eq(c.act[2], ACT_SIGMOID);
    ck_assert_int_eq(c.act[3], ACT_TANH);
}
END_TEST

START_TEST(test_one_layer_ignores_activation)
{
    /* No hidden layers: activation's count cannot be wrong. */
    cfg_t c;
    err_t err;
    load_ok("network:\n  sizes: [784, 10]\n  activation: [relu, relu, relu]\n  output: softmax\n", &c);
    ck_assert_int_eq(c.n_layers, 1);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(c.act[0], ACT_SOFTMAX);
}
END_TEST

START_TEST(test_bools)
{
    static const struct { const char *text; int value; } cases[] = {
        {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"True", 1}, {"FALSE", 0},
        {"Yes", 1}, {"NO", 0}, {"on", 1}, {"off", 0}, {"\"yes\"", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[128];
        cfg_t c;
        snprintf(yaml, sizeof yaml, "train:\n  deterministic: %s\n", cases[i].text);
        load_ok(yaml, &c);
        ck_assert_msg(c.deterministic == cases[i].value, "%s", cases[i].text);
    }
}
END_TEST

START_TEST(test_bool_rejected)
{
    err_t err;
    const char *m = load_err("train:\n  deterministic: maybe\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:18: train.deterministic: expected true or false "
                        "(or yes/no, on/off), got \"maybe\"");
    load_err("train:\n  deterministic: 1\n", &err);
    load_err("train:\n  deterministic: y\n", &err);
}
END_TEST

START_TEST(test_quoted_scalars)
{
    /* Scalars are read by their text whatever the quoting. */
    cfg_t c;
    load_ok("train:\n  batch_size: \"12\"\n  learning_rate: '0.5'\n"
            "data:\n  dir: 123\n  train_images: 'my file: #1.gz'\n"
            "output:\n  model: ~\n  metrics:\n", &c);
    ck_assert_int_eq(c.batch_size, 12);
    ck_assert(c.learning_rate == 0.5);
    ck_assert_str_eq(c.data_dir, "123");
    ck_assert_str_eq(c.train_images, "my file: #1.gz");
    ck_assert_str_eq(c.model_path, "");   /* plain ~ is YAML's null: no path */
    ck_assert_str_eq(c.metrics_path, "");
    load_ok("output:\n  model: \"~\"\n", &c); /* quoted: a real name */
    ck_assert_str_eq(c.model_path, "~");
}
END_TEST

START_TEST(test_numbers_accepted)
{
    cfg_t c;
    load_ok("train:\n  learning_rate: 1e-3\n  seed: 0\n  threads: 1024\n  shards: +4\n"
            "  epochs: 100000\n  batch_size: 1000000\n", &c);
    ck_assert(c.learning_rate == 1e-3);
    ck_assert_uint_eq(c.seed, 0);
    ck_assert_int_eq(c.threads, 1024);
    ck_assert_int_eq(c.shards, 4);
    ck_assert_int_eq(c.epochs, 100000);
    ck_assert_int_eq(c.batch_size, 1000000);
    load_ok("train:\n  learning_rate: 3\n", &c); /* an integer is a fine float */
    ck_assert(c.learning_rate == 3.0);
}
END_TEST

/* ---- -s overrides -------------------------------------------------------- */

START_TEST(test_set_each_type)
{
    cfg_t c;
    err_t err;
    char where[64];
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    set_ok(&c, "data.dir=/abs/dir");
    set_ok(&c, "data.train_images=x y.gz");
    set_ok(&c, "data.validation=5000");
    set_ok(&c, "network.sizes=[784,100,10]");
    set_ok(&c, "network.activation=relu");
    set_ok(&c, "network.output=softmax");
    set_ok(&c, "network.cost=cross_entropy");
    set_ok(&c, "network.init=xavier");
    set_ok(&c, "train.learning_rate=0.5");
    set_ok(&c, "train.seed=12345678901234567890");
    set_ok(&c, "train.deterministic=false");
    set_ok(&c, "output.model='out dir/m.bin'");
    ck_assert_str_eq(c.data_dir, "/abs/dir");
    ck_assert_str_eq(c.train_images, "x y.gz");
    ck_assert_int_eq(c.validation, 5000);
    ck_assert_int_eq(c.n_layers, 2);
    ck_assert_int_eq(c.sizes[1], 100);
    ck_assert_int_eq(c.hidden_act[0], ACT_RELU);
    ck_assert_int_eq(c.output_act, ACT_SOFTMAX);
    ck_assert_int_eq(c.cost, COST_CROSS_ENTROPY);
    ck_assert_int_eq(c.init, INIT_XAVIER);
    ck_assert(c.learning_rate == 0.5);
    ck_assert_uint_eq(c.seed, 12345678901234567890ULL);
    ck_assert_int_eq(c.deterministic, 0);
    ck_assert_str_eq(c.model_path, "out dir/m.bin");
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    cfg_where(&c, "train.learning_rate", where, sizeof where);
    ck_assert_str_eq(where, "-s train.learning_rate");
}
END_TEST

/* data.validation_fraction: a share in [0, 1), resolved against the
 * training examples by cfg_validation_rows; exclusive with a count (the
 * rule is in RULES); in the checkpoint identity only when set. */
START_TEST(test_validation_fraction)
{
    cfg_t c;
    err_t err;
    char before[4096], after[4096];
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert(c.validation_fraction == 0);
    ck_assert(!cfg_has_validation(&c));
    ck_assert_int_eq(cfg_validation_rows(&c, 60), 0);
    ck_assert_int_eq(cfg_identity_text(&c, before, sizeof before), 0);
    ck_assert_ptr_null(strstr(before, "validation_fraction"));
    set_ok(&c, "data.validation_fraction=0.1");
    ck_assert(c.validation_fraction == 0.1);
    ck_assert(cfg_has_validation(&c));
    ck_assert_int_eq(cfg_validation_rows(&c, 60), 6);
    ck_assert_int_eq(cfg_validation_rows(&c, 55), 6); /* 5.5 rounds away from 0 */
    ck_assert_int_eq(cfg_validation_rows(&c, 4), 0);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(cfg_identity_text(&c, after, sizeof after), 0);
    ck_assert_ptr_nonnull(strstr(after, "data.validation_fraction=0.1"));
    static const char *const bad[] = {"data.validation_fraction=1", "data.validation_fraction=-0.1",
                                      "data.validation_fraction=10%", "data.validation_fraction=nan",
                                      "data.validation_fraction=[0.1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_has(set_err(&c, bad[i], &err), "a number >= 0 and < 1");
    /* A count alone, as before. */
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    set_ok(&c, "data.validation=7");
    ck_assert(cfg_has_validation(&c));
    ck_assert_int_eq(cfg_validation_rows(&c, 60), 7);
}
END_TEST

START_TEST(test_set_sequences)
{
    cfg_t c;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    set_ok(&c, "network.sizes=[784, 100, 50, 10]");
    set_ok(&c, "network.activation=[relu, tanh]");
    ck_assert_int_eq(c.n_layers, 3);
    ck_assert_int_eq(c.sizes[3], 10);
    ck_assert_int_eq(c.n_hidden_act, 2);
    ck_assert_int_eq(c.hidden_act[1], ACT_TANH);
    /* A shorter list afterwards clears what the longer one left behind. */
    set_ok(&c, "network.sizes=[4,2]");
    set_ok(&c, "network.activation=[linear]");
    ck_assert_int_eq(c.n_layers, 1);
    ck_assert_int_eq(c.sizes[2], 0);
    ck_assert_int_eq(c.sizes[3], 0);
    ck_assert_int_eq(c.n_hidden_act, 1);
    ck_assert_int_eq(c.hidden_act[1], ACT_SIGMOID);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
}
END_TEST

START_TEST(test_set_order)
{
    cfg_t c;
    char where[64];
    load_ok("train:\n  learning_rate: 2.0\n  epochs: 7\n", &c);
    set_ok(&c, "train.learning_rate=0.5");
    set_ok(&c, "train.learning_rate=0.25");
    ck_assert(c.learning_rate == 0.25); /* the last override wins */
    ck_assert_int_eq(c.epochs, 7);      /* the file still counts for the rest */
    cfg_where(&c, "train.learning_rate", where, sizeof where);
    ck_assert_str_eq(where, "-s train.learning_rate");
    cfg_where(&c, "train.epochs", where, sizeof where);
    ck_assert_str_eq(where, "x.yaml:3:11");
}
END_TEST

START_TEST(test_set_empty_value)
{
    cfg_t c;
    err_t err;
    load_ok("output:\n  model: m.bin\n", &c);
    set_ok(&c, "output.model=");
    ck_assert_str_eq(c.model_path, "");
    const char *m = set_err(&c, "train.epochs=", &err);
    ck_assert_str_eq(m, "-s train.epochs=: train.epochs: expected an integer from 1 to 100000, got nothing");
    set_err(&c, "data.train_images=", &err);
}
END_TEST

START_TEST(test_set_unknown_key)
{
    cfg_t c;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    const char *m = set_err(&c, "train.lr=0.5", &err);
    ck_assert_has(m, "-s train.lr=0.5: unknown key 'train.lr' (train keys: learning_rate, batch_size, ");
    ck_assert_has(m, "deterministic, overlap, optimizer, momentum, nesterov, beta1, beta2, epsilon, weight_decay, "
                     "dropout, input_dropout, max_norm, label_smoothing, class_weights)");
    m = set_err(&c, "bogus.x=1", &err);
    ck_assert_has(m, "unknown key 'bogus.x'");
    ck_assert_has(m, "data, network, train, augment, output");
    m = set_err(&c, "epochs=1", &err);
    ck_assert_has(m, "unknown key 'epochs'");
    m = set_err(&c, "train.epochs.x=1", &err);
    ck_assert_has(m, "unknown key 'train.epochs.x'");
}
END_TEST

START_TEST(test_set_section)
{
    cfg_t c;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    const char *m = set_err(&c, "train=3", &err);
    ck_assert_has(m, "-s train=3: 'train' is a section");
    ck_assert_has(m, "learning_rate");
}
END_TEST

START_TEST(test_set_missing_equals)
{
    cfg_t c;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    const char *m = set_err(&c, "train.epochs", &err);
    ck_assert_has(m, "-s train.epochs: expected key=value");
    set_err(&c, "=5", &err);
}
END_TEST

START_TEST(test_set_bad_values)
{
    cfg_t c;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    const char *m = set_err(&c, "train.batch_size=ten", &err);
    ck_assert_str_eq(m, "-s train.batch_size=ten: train.batch_size: expected an integer "
                        "from 1 to 1000000, got \"ten\"");
    m = set_err(&c, "network.sizes=[784,30", &err);
    ck_assert_has(m, "-s network.sizes=[784,30: invalid YAML value: ");
    m = set_err(&c, "network.sizes=784", &err);
    ck_assert_has(m, "network.sizes: expected a sequence");
    m = set_err(&c, "network.activation=[relu, softmax]", &err);
    ck_assert_has(m, "network.activation[1]: softmax is only allowed for the output layer");
    /* A failed override leaves the value as it was. */
    ck_assert_int_eq(c.batch_size, 10);
    ck_assert_int_eq(c.n_layers, 2);
    ck_assert_int_eq(c.n_hidden_act, 1);
}
END_TEST

/* ---- rejected files ------------------------------------------------------ */

START_TEST(test_unknown_section)
{
    err_t err;
    const char *m = load_err("train:\n  epochs: 3\ntraining:\n  epochs: 4\n", &err);
    ck_assert_str_eq(m, "x.yaml:3:1: unknown section 'training' (sections: data, network, train, augment, output)");
}
END_TEST

START_TEST(test_unknown_key)
{
    err_t err;
    const char *m = load_err("train:\n  epochs: 3\n  lr: 0.5\n", &err);
    ck_assert_has(m, "x.yaml:3:3: unknown key 'train.lr' (train keys: learning_rate, batch_size, epochs");
    m = load_err("network:\n  layers: [1, 2]\n", &err);
    ck_assert_has(m, "x.yaml:2:3: unknown key 'network.layers' (network keys: sizes, activation, output, cost, init, hidden)");
}
END_TEST

START_TEST(test_unknown_key_real_file)
{
    char path[64], expect[128];
    cfg_t c;
    err_t err;
    write_tmp("data:\n  dir: mnist\n  images: x.gz\n", path, sizeof path);
    ck_assert_int_eq(cfg_load(path, &c, &err), -1);
    unlink(path);
    snprintf(expect, sizeof expect, "%s:3:3: unknown key 'data.images'", path);
    ck_assert_has(err.msg, expect);
}
END_TEST

START_TEST(test_duplicate_key)
{
    err_t err;
    const char *m = load_err("train:\n  epochs: 3\n  seed: 2\n  epochs: 4\n", &err);
    ck_assert_str_eq(m, "x.yaml:4:3: duplicate key 'train.epochs' (first at line 2)");
    m = load_err("train:\n  epochs: 3\ndata:\n  dir: d\ntrain:\n  seed: 1\n", &err);
    ck_assert_str_eq(m, "x.yaml:5:1: duplicate section 'train' (first at line 1)");
}
END_TEST

START_TEST(test_string_for_int)
{
    err_t err;
    const char *m = load_err("train:\n  batch_size: ten\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:15: train.batch_size: expected an integer from 1 to 1000000, got \"ten\"");
}
END_TEST

START_TEST(test_float_for_int)
{
    err_t err;
    const char *m = load_err("train:\n  epochs: 2.5\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:11: train.epochs: expected an integer from 1 to 100000, got \"2.5\"");
    load_err("train:\n  epochs: 1e3\n", &err);
    load_err("train:\n  epochs: 0x10\n", &err);
    load_err("train:\n  epochs: 10abc\n", &err);
    load_err("train:\n  epochs: \" 10\"\n", &err);
}
END_TEST

START_TEST(test_negative)
{
    err_t err;
    const char *m = load_err("train:\n  threads: -1\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:12: train.threads: expected an integer from 0 to 1024, got \"-1\"");
    m = load_err("train:\n  seed: -1\n", &err);
    ck_assert_has(m, "x.yaml:2:9: train.seed: expected an integer from 0 to 18446744073709551615, got \"-1\"");
    m = load_err("data:\n  validation: -5\n", &err);
    ck_assert_has(m, "x.yaml:2:15: data.validation: expected an integer >= 0, got \"-5\"");
}
END_TEST

START_TEST(test_overflow)
{
    err_t err;
    const char *m = load_err("train:\n  batch_size: 99999999999999999999\n", &err);
    ck_assert_has(m, "x.yaml:2:15: train.batch_size: expected an integer from 1 to 1000000");
    m = load_err("train:\n  seed: 18446744073709551616\n", &err);
    ck_assert_has(m, "x.yaml:2:9: train.seed:");
    m = load_err("data:\n  train_limit: 2147483648\n", &err);
    ck_assert_has(m, "x.yaml:2:16: data.train_limit:");
    load_err("train:\n  threads: 1025\n", &err);
    load_err("train:\n  shards: 4097\n", &err);
    load_err("train:\n  epochs: 100001\n", &err);
}
END_TEST

START_TEST(test_list_for_scalar)
{
    err_t err;
    const char *m = load_err("train:\n  learning_rate: [1, 2]\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:18: train.learning_rate: expected a finite number > 0, got a sequence");
    m = load_err("output:\n  model: {a: 1}\n", &err);
    ck_assert_has(m, "x.yaml:2:10: output.model: expected a path");
    ck_assert_has(m, "got a mapping");
    m = load_err("network:\n  output: [softmax]\n", &err);
    ck_assert_has(m, "x.yaml:2:11: network.output: expected one of sigmoid, tanh, relu, "
                     "leaky_relu, linear, softmax, got a sequence");
}
END_TEST

START_TEST(test_mapping_for_list)
{
    err_t err;
    const char *m = load_err("network:\n  sizes: {a: 1}\n", &err);
    ck_assert_has(m, "x.yaml:2:10: network.sizes: expected a sequence of 2 to 17 layer sizes");
    ck_assert_has(m, "got a mapping");
    m = load_err("network:\n  sizes: 784\n", &err);
    ck_assert_has(m, "got \"784\"");
    m = load_err("network:\n  sizes: [784, [30], 10]\n", &err);
    ck_assert_has(m, "x.yaml:2:16: network.sizes[1]: expected an integer from 1 to 1000000, got a sequence");
    m = load_err("train: 3\n", &err);
    ck_assert_has(m, "x.yaml:1:8: train: expected a mapping of train keys (learning_rate, ");
}
END_TEST

START_TEST(test_layer_size_zero)
{
    err_t err;
    const char *m = load_err("network:\n  sizes: [784, 0, 10]\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:16: network.sizes[1]: expected an integer from 1 to 1000000, got \"0\"");
    load_err("network:\n  sizes: [784, 1000001]\n", &err);
}
END_TEST

START_TEST(test_batch_zero)
{
    err_t err;
    const char *m = load_err("train:\n  batch_size: 0\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:15: train.batch_size: expected an integer from 1 to 1000000, got \"0\"");
    load_err("train:\n  epochs: 0\n", &err);
}
END_TEST

START_TEST(test_layer_count)
{
    err_t err;
    char yaml[256];
    size_t len = (size_t)snprintf(yaml, sizeof yaml, "network:\n  sizes: [1");
    for (int i = 1; i < NET_MAX_LAYERS + 2; i++) /* 18 entries: one too many */
        len += (size_t)snprintf(yaml + len, sizeof yaml - len, ", 1");
    snprintf(yaml + len, sizeof yaml - len, "]\n");
    const char *m = load_err(yaml, &err);
    ck_assert_has(m, "x.yaml:2:10: network.sizes: expected 2 to 17 layer sizes");
    ck_assert_has(m, "got 18");
    m = load_err("network:\n  sizes: [784]\n", &err);
    ck_assert_has(m, "got 1");
    /* Exactly 17 entries (16 weight layers) is fine. */
    cfg_t c;
    yaml[len - 3] = '\0'; /* drop the last ", 1" */
    strcat(yaml, "]\n");
    load_ok(yaml, &c);
    ck_assert_int_eq(c.n_layers, NET_MAX_LAYERS);
}
END_TEST

START_TEST(test_learning_rate_bad)
{
    err_t err;
    const char *m = load_err("train:\n  learning_rate: 0\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:18: train.learning_rate: expected a finite number > 0, got \"0\"");
    load_err("train:\n  learning_rate: -0.5\n", &err);
    load_err("train:\n  learning_rate: nan\n", &err);
    load_err("train:\n  learning_rate: .nan\n", &err);
    load_err("train:\n  learning_rate: inf\n", &err);
    load_err("train:\n  learning_rate: 1e400\n", &err);
    load_err("train:\n  learning_rate: 0.5x\n", &err);
    load_err("train:\n  learning_rate:\n", &err);
}
END_TEST

START_TEST(test_bad_names)
{
    err_t err;
    const char *m = load_err("network:\n  cost: l2\n", &err);
    ck_assert_str_eq(m, "x.yaml:2:9: network.cost: expected one of quadratic, cross_entropy, mae, "
                        "huber, got \"l2\"");
    /* "mse" is a second name for quadratic, which configs write back as
     * "quadratic" (net_cost_name). */
    cfg_t c;
    load_ok("network:\n  cost: mse\n", &c);
    ck_assert_int_eq(c.cost, COST_QUADRATIC);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(cfg_write_yaml(&c, f), 0);
    fclose(f);
    ck_assert_has(text, "  cost: quadratic\n");
    ck_assert(strstr(text, "mse") == NULL);
    free(text);
    m = load_err("network:\n  init: glorot\n", &err);
    ck_assert_has(m, "expected one of nielsen, xavier, he, got \"glorot\"");
    m = load_err("network:\n  activation: gelu\n", &err);
    ck_assert_has(m, "x.yaml:2:15: network.activation: expected one of sigmoid, tanh, relu, "
                     "leaky_relu, linear, got \"gelu\"");
    m = load_err("network:\n  activation: []\n", &err);
    ck_assert_has(m, "expected 1 to 16 activation names, got 0");
    m = load_err("data:\n  train_images: \"\"\n", &err);
    ck_assert_has(m, "x.yaml:2:17: data.train_images: expected a file name");
}
END_TEST

START_TEST(test_softmax_hidden)
{
    err_t err;
    const char *m = load_err("network:\n  activation: softmax\n", &err);
    ck_assert_has(m, "x.yaml:2:15: network.activation: softmax is only allowed for the output layer");
    m = load_err("network:\n  sizes: [4, 3, 3, 2]\n  activation: [relu, softmax]\n", &err);
    ck_assert_has(m, "x.yaml:3:22: network.activation[1]: softmax is only allowed");
}
END_TEST

START_TEST(test_malformed_yaml)
{
    err_t err;
    const char *m = load_err("network:\n  sizes: [784, 30\ntrain:\n  epochs: 3\n", &err);
    ck_assert_has(m, "x.yaml:");
    ck_assert_has(m, "invalid YAML: ");
    ck_assert_has(m, "flow sequence at line 2, column 10");
    m = load_err("train:\n  epochs: 3\n   seed: 1\n", &err);
    ck_assert_has(m, "x.yaml:3:");
    ck_assert_has(m, "invalid YAML: mapping values are not allowed");
    m = load_err("train:\n\tepochs: 3\n", &err);
    ck_assert_has(m, "x.yaml:2:");
}
END_TEST

START_TEST(test_empty_file)
{
    err_t err;
    const char *m = load_err("", &err);
    ck_assert_str_eq(m, "x.yaml: empty config: expected a mapping with sections data, network, train, augment, output");
    m = load_err("# nothing but a comment\n", &err);
    ck_assert_has(m, "empty config");
    m = load_err("just a string\n", &err);
    ck_assert_str_eq(m, "x.yaml:1:1: expected a mapping with sections data, network, train, augment, output, "
                        "got \"just a string\"");
    m = load_err("- train\n", &err);
    ck_assert_has(m, "got a sequence");
}
END_TEST

START_TEST(test_missing_file)
{
    cfg_t c;
    err_t err;
    const char *path = "/tmp/test_cfg_no_such_dir/none.yaml";
    ck_assert_int_eq(cfg_load(path, &c, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_has(err.msg, path);
    ck_assert_has(err.msg, strerror(ENOENT));
    ck_assert_int_eq(cfg_load("/tmp", &c, &err), -1); /* a directory */
    ck_assert_has(err.msg, "/tmp");
}
END_TEST

START_TEST(test_two_documents)
{
    err_t err;
    const char *m = load_err("train:\n  epochs: 3\n---\ntrain:\n  epochs: 4\n", &err);
    ck_assert_has(m, "x.yaml:4:1: only one YAML document");
}
END_TEST

START_TEST(test_nul_in_string)
{
    err_t err;
    const char *m = load_err("output:\n  model: \"a\\0b\"\n", &err);
    ck_assert_has(m, "x.yaml:2:10: a value cannot contain a NUL character");
}
END_TEST

START_TEST(test_path_too_long)
{
    err_t err;
    char *yaml = malloc(CFG_PATH_MAX + 64);
    ck_assert_ptr_nonnull(yaml);
    size_t len = (size_t)snprintf(yaml, CFG_PATH_MAX + 64, "output:\n  model: ");
    memset(yaml + len, 'a', CFG_PATH_MAX);
    strcpy(yaml + len + CFG_PATH_MAX, "\n");
    const char *m = load_err(yaml, &err);
    free(yaml);
    ck_assert_has(m, "x.yaml:2:10: output.model: path is 1024 bytes long, the limit is 1023");
}
END_TEST

/* 100000 '[' took libyaml about 45 s to refuse; the depth cap refuses it
 * at the 33rd level, at once. */
START_TEST(test_deep_nesting)
{
    enum { DEPTH = 100000 };
    char path[64];
    cfg_t c;
    err_t err;
    char *yaml = malloc(2 * DEPTH + 64);
    ck_assert_ptr_nonnull(yaml);
    size_t len = (size_t)snprintf(yaml, 64, "train:\n  epochs: ");
    memset(yaml + len, '[', DEPTH);
    memset(yaml + len + DEPTH, ']', DEPTH);
    strcpy(yaml + len + 2 * DEPTH, "\n");
    ck_assert_int_gt(strlen(yaml), 200000);
    write_tmp(yaml, path, sizeof path);
    ck_assert_int_eq(cfg_load(path, &c, &err), -1);
    unlink(path);
    ck_assert_int_eq(err.code, ERR_INPUT);
    char expect[128];
    snprintf(expect, sizeof expect, "%s:2:41: invalid config: nested more than 32 levels deep", path);
    ck_assert_str_eq(err.msg, expect);
    /* The same in an override, and in a mapping; 32 levels are fine. */
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    strcpy(yaml, "network.sizes=");
    memset(yaml + 14, '[', DEPTH);
    memset(yaml + 14 + DEPTH, ']', DEPTH);
    yaml[14 + 2 * DEPTH] = '\0';
    ck_assert_int_eq(cfg_set(&c, yaml, &err), -1);
    ck_assert_has(err.msg, "the value is nested more than 32 levels deep");
    len = 0;
    for (int i = 0; i < 40; i++) len += (size_t)sprintf(yaml + len, "{a: ");
    strcpy(yaml + len, "1");
    ck_assert_has(load_err(yaml, &err), "x.yaml:1:129: invalid config: nested more than 32 levels deep");
    len = (size_t)sprintf(yaml, "train:\n  epochs: ");
    memset(yaml + len, '[', 30); /* 32 with the two mappings */
    memset(yaml + len + 30, ']', 30);
    yaml[len + 60] = '\0';
    ck_assert_has(load_err(yaml, &err), "train.epochs: expected an integer");
    free(yaml);
}
END_TEST

/* ---- cfg_validate -------------------------------------------------------- */

START_TEST(test_activation_count_mismatch)
{
    err_t err;
    const char *m = validate_err("network:\n  sizes: [4, 3, 3, 2]\n  activation: [relu, relu, relu]\n", &err);
    ck_assert_has(m, "x.yaml:3:15: network.activation: 3 names given for 2 hidden layers");
    /* Found even when the sizes come later, from -s. */
    cfg_t c;
    load_ok("network:\n  activation: [relu, tanh]\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), -1);
    ck_assert_has(err.msg, "x.yaml:2:15: network.activation: 2 names given for 1 hidden layer ");
    set_ok(&c, "network.sizes=[4,3,3,2]");
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(c.act[1], ACT_TANH);
}
END_TEST

START_TEST(test_cross_entropy_relu)
{
    err_t err;
    const char *m = validate_err("network:\n  output: relu\n  cost: cross_entropy\n", &err);
    ck_assert_has(m, "x.yaml:3:9: network.cost: cross_entropy needs a sigmoid or softmax output layer");
    ck_assert_has(m, "network.output is relu");
    ck_assert_has(m, "network.output: softmax");
    cfg_t c;
    load_ok("network:\n  output: sigmoid\n  cost: cross_entropy\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
}
END_TEST

START_TEST(test_optimizer_keys)
{
    cfg_t c, d;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert_int_eq(c.optimizer, OPTIM_NAME_SGD);
    ck_assert(c.momentum == 0 && !c.nesterov && c.beta1 == 0.9 && c.beta2 == 0.999 &&
              c.epsilon == 1e-8 && c.weight_decay == 0);
    load_ok("train:\n  optimizer: adamw\n  beta1: 0.8\n  beta2: 0.98765\n  epsilon: 1e-7\n"
            "  weight_decay: 0.05\n", &c);
    ck_assert_int_eq(c.optimizer, OPTIM_NAME_ADAMW);
    ck_assert(c.beta1 == 0.8 && c.beta2 == 0.98765 && c.epsilon == 1e-7 && c.weight_decay == 0.05);
    round_trip(&c, &d);
    load_ok("train:\n  momentum: 0.9\n  nesterov: true\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    round_trip(&c, &d);
    /* Ranges, each at its value's file:line:col. */
    ck_assert_has(load_err("train:\n  optimizer: rmsprop\n", &err),
                  "x.yaml:2:14: train.optimizer: expected one of sgd, adam, adamw, got \"rmsprop\"");
    ck_assert_has(load_err("train:\n  momentum: 1\n", &err),
                  "x.yaml:2:13: train.momentum: expected a number >= 0 and < 1, got \"1\"");
    ck_assert_has(load_err("train:\n  momentum: -0.5\n", &err), "train.momentum: expected a number >= 0 and < 1");
    ck_assert_has(load_err("train:\n  beta1: 1.0\n", &err), "x.yaml:2:10: train.beta1: expected a number >= 0 and < 1");
    ck_assert_has(load_err("train:\n  beta2: nan\n", &err), "train.beta2: expected a number >= 0 and < 1");
    ck_assert_has(load_err("train:\n  epsilon: 0\n", &err), "train.epsilon: expected a finite number > 0");
    ck_assert_has(load_err("train:\n  weight_decay: -0.1\n", &err),
                  "x.yaml:2:17: train.weight_decay: expected a finite number >= 0, got \"-0.1\"");
    ck_assert_has(load_err("train:\n  weight_decay: inf\n", &err), "train.weight_decay: expected a finite number >= 0");
    ck_assert_has(load_err("train:\n  nesterov: maybe\n", &err), "train.nesterov: expected true or false");
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert_has(set_err(&c, "train.beta2=1", &err), "-s train.beta2=1: train.beta2: expected a number >= 0 and < 1");
    /* Combinations, at the offending key. */
    ck_assert_has(validate_err("train:\n  nesterov: true\n", &err),
                  "x.yaml:2:13: train.nesterov: Nesterov momentum needs train.optimizer: sgd with "
                  "train.momentum > 0 (optimizer is sgd, momentum 0)");
    ck_assert_has(validate_err("train:\n  optimizer: adam\n  momentum: 0.9\n  nesterov: yes\n", &err),
                  "x.yaml:4:13: train.nesterov: Nesterov momentum needs train.optimizer: sgd");
    ck_assert_has(validate_err("train:\n  optimizer: adam\n  momentum: 0.9\n", &err),
                  "x.yaml:3:13: train.momentum: momentum is for train.optimizer: sgd; adam has its own (train.beta1)");
}
END_TEST

START_TEST(test_regularisation_keys)
{
    cfg_t c, d;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert(c.n_dropout == 1 && c.dropout[0] == 0 && c.input_dropout == 0 && c.max_norm == 0 &&
              c.label_smoothing == 0);
    load_ok("network:\n  sizes: [784, 100, 50, 10]\ntrain:\n  dropout: [0.5, 0.25]\n"
            "  input_dropout: 0.2\n  max_norm: 3.5\n  label_smoothing: 0.1\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert(c.n_dropout == 2 && c.dropout[0] == 0.5 && c.dropout[1] == 0.25);
    ck_assert(c.input_dropout == 0.2 && c.max_norm == 3.5 && c.label_smoothing == 0.1);
    round_trip(&c, &d);
    load_ok("train:\n  dropout: 0.5\n", &c);
    ck_assert(c.n_dropout == 1 && c.dropout[0] == 0.5);
    round_trip(&c, &d);
    /* The identity names each hidden layer's rate however it was written. */
    char one[4096], two[4096];
    load_ok("network:\n  sizes: [4, 3, 3, 2]\ntrain:\n  dropout: 0.5\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(cfg_identity_text(&c, one, sizeof one), 0);
    load_ok("network:\n  sizes: [4, 3, 3, 2]\ntrain:\n  dropout: [0.5, 0.5]\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(cfg_identity_text(&c, two, sizeof two), 0);
    ck_assert_str_eq(one, two);
    ck_assert_has(one, "train.dropout=[0.5,0.5]");
    ck_assert_has(one, "train.input_dropout=0");
    /* Bad values, each at its value's file:line:col. */
    ck_assert_has(load_err("train:\n  dropout: 1\n", &err),
                  "x.yaml:2:12: train.dropout: expected a number >= 0 and < 1, got \"1\"");
    ck_assert_has(load_err("train:\n  dropout: [0.5, -0.1]\n", &err),
                  "x.yaml:2:18: train.dropout[1]: expected a number >= 0 and < 1, got \"-0.1\"");
    ck_assert_has(load_err("train:\n  dropout: {a: 1}\n", &err),
                  "x.yaml:2:12: train.dropout: expected a number in [0, 1) or a sequence of them");
    ck_assert_has(load_err("train:\n  dropout: []\n", &err), "train.dropout: expected 1 to 16 dropout rates, got 0");
    ck_assert_has(load_err("train:\n  dropout: nan\n", &err), "train.dropout: expected a number >= 0 and < 1");
    ck_assert_has(load_err("train:\n  input_dropout: 1.5\n", &err),
                  "x.yaml:2:18: train.input_dropout: expected a number >= 0 and < 1, got \"1.5\"");
    ck_assert_has(load_err("train:\n  max_norm: -1\n", &err),
                  "x.yaml:2:13: train.max_norm: expected a finite number >= 0, got \"-1\"");
    ck_assert_has(load_err("train:\n  max_norm: inf\n", &err), "train.max_norm: expected a finite number >= 0");
    ck_assert_has(load_err("train:\n  label_smoothing: 1\n", &err),
                  "x.yaml:2:20: train.label_smoothing: expected a number >= 0 and < 1, got \"1\"");
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert_has(set_err(&c, "train.dropout=[0.1,2]", &err),
                  "train.dropout[1]: expected a number >= 0 and < 1, got \"2\"");
    /* One rate per hidden layer, or one for all. */
    ck_assert_has(validate_err("network:\n  sizes: [784, 30, 10]\ntrain:\n  dropout: [0.5, 0.5]\n", &err),
                  "x.yaml:4:12: train.dropout: 2 rates given for 1 hidden layer (network.sizes has 3 "
                  "entries); give one rate for every hidden layer, or a single rate for all of them");
}
END_TEST

START_TEST(test_augment_keys)
{
    cfg_t c, d;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert(c.aug_shift == 0 && c.aug_rotate == 0 && c.aug_scale == 0 && c.aug_shear == 0 &&
              c.aug_elastic_alpha == 0 && c.aug_elastic_sigma == 4.0);
    load_ok("augment:\n  shift: 2\n  rotate: 12.5\n  scale: 0.1\n  shear: 15\n"
            "  elastic_alpha: 34\n  elastic_sigma: 4.5\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert(c.aug_shift == 2 && c.aug_rotate == 12.5 && c.aug_scale == 0.1 && c.aug_shear == 15 &&
              c.aug_elastic_alpha == 34 && c.aug_elastic_sigma == 4.5);
    round_trip(&c, &d);
    ck_assert(d.aug_rotate == 12.5 && d.aug_elastic_sigma == 4.5);
    /* Each in the identity; sigma only where the elastic field is on. */
    char id[4096];
    ck_assert_int_eq(cfg_identity_text(&c, id, sizeof id), 0);
    ck_assert_has(id, "augment.rotate=12.5\n");
    ck_assert_has(id, "augment.elastic_sigma=4.5\n");
    load_ok("augment:\n  elastic_sigma: 4.5\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(cfg_identity_text(&c, id, sizeof id), 0);
    ck_assert(strstr(id, "elastic_sigma") == NULL);
    ck_assert_has(load_err("augment:\n  rotate: 181\n", &err),
                  "x.yaml:2:11: augment.rotate: expected a number from 0 to 180, got \"181\"");
    ck_assert_has(load_err("augment:\n  shear: -5\n", &err),
                  "x.yaml:2:10: augment.shear: expected a number from 0 to 60, got \"-5\"");
    ck_assert_has(load_err("augment:\n  scale: 1\n", &err),
                  "x.yaml:2:10: augment.scale: expected a number >= 0 and < 1, got \"1\"");
    ck_assert_has(load_err("augment:\n  shift: nan\n", &err), "augment.shift: expected a finite number >= 0");
    ck_assert_has(load_err("augment:\n  elastic_alpha: [1]\n", &err), "augment.elastic_alpha: expected a finite number >= 0");
    ck_assert_has(load_err("augment:\n  elastic_sigma: 0\n", &err),
                  "x.yaml:2:18: augment.elastic_sigma: expected a finite number > 0, got \"0\"");
    ck_assert_has(load_err("augment:\n  flip: true\n", &err),
                  "x.yaml:2:3: unknown key 'augment.flip' (augment keys: shift, rotate, scale, shear, "
                  "elastic_alpha, elastic_sigma)");
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert_has(set_err(&c, "augment.rotate=inf", &err), "-s augment.rotate=inf: augment.rotate: expected a number from 0 to 180");
}
END_TEST

START_TEST(test_shards_over_batch)
{
    err_t err;
    const char *m = validate_err("train:\n  batch_size: 8\n  shards: 9\n", &err);
    ck_assert_has(m, "x.yaml:3:11: train.shards: 9 shards cannot split a mini-batch of 8 examples");
    cfg_t c;
    load_ok("train:\n  batch_size: 8\n  shards: 8\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    set_ok(&c, "train.shards=16");
    ck_assert_int_eq(cfg_validate(&c, &err), -1);
    ck_assert_has(err.msg, "-s train.shards: train.shards: 16 shards");
}
END_TEST

/* ---- cfg_write_yaml ------------------------------------------------------ */

START_TEST(test_round_trip_full)
{
    cfg_t a, b;
    load_ok(FULL, &a);
    round_trip(&a, &b);
}
END_TEST

START_TEST(test_round_trip_defaults)
{
    cfg_t a, b;
    ck_assert_int_eq(cfg_defaults(&a, NULL), 0);
    round_trip(&a, &b);
}
END_TEST

START_TEST(test_round_trip_tricky)
{
    /* Strings YAML could misread, and a float with no short decimal form. */
    cfg_t a, b;
    ck_assert_int_eq(cfg_defaults(&a, NULL), 0);
    set_ok(&a, "data.dir='with space/and: colon #hash'");
    set_ok(&a, "data.train_images=\"quote\\\" and back\\\\slash\"");
    set_ok(&a, "data.train_labels='- dash'");
    set_ok(&a, "data.test_images=\"tab\\there\"");
    set_ok(&a, "data.test_labels='yes'");
    set_ok(&a, "output.model=\"\"");
    set_ok(&a, "output.metrics='~'");
    set_ok(&a, "train.learning_rate=0.30000000000000004");
    set_ok(&a, "network.sizes=[3, 5, 4, 2]");
    set_ok(&a, "network.activation=[leaky_relu, linear]");
    set_ok(&a, "network.init=he");
    ck_assert_str_eq(a.train_images, "quote\" and back\\slash");
    ck_assert_str_eq(a.test_images, "tab\there");
    round_trip(&a, &b);
    set_ok(&a, "train.learning_rate=1e-300");
    round_trip(&a, &b);
}
END_TEST

START_TEST(test_round_trip_escaped_unicode)
{
    /* Found by tests/fuzz/fuzz_cfg.c: escapes can put characters in a value
     * that libyaml refuses raw (C1 controls, U+FFFE, U+FFFF) or reads as a
     * line break (NEL, U+0085); cfg_write_yaml must write them escaped. */
    cfg_t a, b;
    ck_assert_int_eq(cfg_defaults(&a, NULL), 0);
    set_ok(&a, "data.dir=\"a\\x80b\\x9F\"");
    set_ok(&a, "output.model=\"line\\x85next\"");
    set_ok(&a, "output.metrics=\"x\\uFFFEy\\uFFFF\"");
    set_ok(&a, "data.train_images=\"caf\\xE9 \\u2028 \\U0001F600\"");
    ck_assert_str_eq(a.data_dir, "a\xC2\x80" "b\xC2\x9F");
    ck_assert_str_eq(a.model_path, "line\xC2\x85next");
    ck_assert_str_eq(a.metrics_path, "x\xEF\xBF\xBEy\xEF\xBF\xBF");
    round_trip(&a, &b);
}
END_TEST

START_TEST(test_write_layout)
{
    /* Sections in schema order, two-space keys, a scalar activation. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cfg_t c;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert_int_eq(cfg_write_yaml(&c, f), 0);
    fclose(f);
    ck_assert_has(text, "data:\n  dir: \"mnist\"\n");
    ck_assert_has(text, "network:\n  sizes: [784, 30, 10]\n  activation: sigmoid\n");
    ck_assert_has(text, "train:\n  learning_rate: 3\n");
    ck_assert_has(text, "  deterministic: true\n  overlap: false\n  optimizer: sgd\n  momentum: 0\n");
    ck_assert_has(text, "  weight_decay: 0\n  dropout: 0\n  input_dropout: 0\n");
    ck_assert_has(text, "  label_smoothing: 0\n  class_weights: none\naugment:\n  shift: 0\n  rotate: 0\n");
    ck_assert_has(text, "  elastic_sigma: 4\noutput:\n  model: \"\"\n  metrics: \"\"\n");
    free(text);
}
END_TEST

/* ---- the round trip over every key of the schema ------------------------ */

/* What a key's example (cfg_key_example) needs of other keys to pass
 * cfg_validate's rules across keys: those keys' own examples. */
static const struct {
    const char *key, *needs;
} NEEDS[] = {
    {"network.activation", "network.sizes"}, /* one name per hidden layer of its example */
    {"train.dropout", "network.sizes"},      /* one rate per hidden layer */
    {"train.patience", "data.validation"},
    {"output.save_last", "output.model"},
    {"train.nesterov", "train.momentum"},
};

static int key_index(const char *key)
{
    char name[64];
    for (int i = 0; i < cfg_key_count(); i++)
        if (cfg_key_name(i, name, sizeof name) == 0 && strcmp(name, key) == 0)
            return i;
    ck_abort_msg("%s is not in the schema", key);
    return -1;
}

/* Sets the i-th key to its example, through cfg_set as -s would. */
static void set_example(cfg_t *c, int i)
{
    char name[64], value[512], assign[600];
    ck_assert_int_eq(cfg_key_name(i, name, sizeof name), 0);
    ck_assert_msg(cfg_key_example(i, value, sizeof value) == 0,
                  "%s has no example value: give its kind one in cfg_key_example", name);
    snprintf(assign, sizeof assign, "%s=%s", name, value);
    set_ok(c, assign);
}

/* cfg_write_yaml's text of c (malloc'd). */
static char *yaml_text(const cfg_t *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(cfg_write_yaml(c, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    return text;
}

/* Validates a, writes it to memory, reads it back into b, validates b and
 * compares every key; the text b writes is a's. what names the case. */
static void round_trip_text(cfg_t *a, cfg_t *b, const char *what)
{
    err_t err;
    ck_assert_msg(cfg_validate(a, &err) == 0, "%s: %s (if a rule across keys refuses the "
                  "example, list what it needs in NEEDS)", what, err.msg);
    char *text = yaml_text(a);
    ck_assert_msg(cfg_load_string(text, "rt.yaml", b, &err) == 0, "%s: reading back: %s\n%s",
                  what, err.msg, text);
    ck_assert_msg(cfg_validate(b, &err) == 0, "%s: read back: %s", what, err.msg);
    assert_same(a, b);
    char *again = yaml_text(b);
    ck_assert_msg(strcmp(text, again) == 0, "%s: written again differently:\n%s\nthen\n%s", what,
                  text, again);
    free(again);
    free(text);
}

/* Each key alone (with what its rules need) at a value other than its
 * default survives cfg_write_yaml and cfg_load_string: a key added to the
 * schema without a way to write it back fails here. */
START_TEST(test_round_trip_every_key)
{
    cfg_t *def = malloc(sizeof *def), *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    char name[64], v0[8192], v1[8192];
    ck_assert(def && a && b);
    ck_assert_int_eq(cfg_defaults(def, NULL), 0);
    int n = cfg_key_count();
    ck_assert_int_ge(n, 50);
    ck_assert_int_eq(cfg_key_example(n, v0, sizeof v0), -1);
    ck_assert_int_eq(cfg_key_name(n, name, sizeof name), -1);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(cfg_key_name(i, name, sizeof name), 0);
        ck_assert_int_eq(cfg_defaults(a, NULL), 0);
        for (size_t j = 0; j < sizeof NEEDS / sizeof NEEDS[0]; j++)
            if (strcmp(NEEDS[j].key, name) == 0) set_example(a, key_index(NEEDS[j].needs));
        set_example(a, i);
        /* The example is not the default, as cfg_get renders it. */
        ck_assert_int_eq(cfg_get(def, name, v0, sizeof v0), 0);
        ck_assert_int_eq(cfg_get(a, name, v1, sizeof v1), 0);
        ck_assert_msg(strcmp(v0, v1) != 0, "%s: the example renders as the default, %s", name, v0);
        round_trip_text(a, b, name);
        ck_assert_int_eq(cfg_get(b, name, v0, sizeof v0), 0);
        ck_assert_str_eq(v0, v1);
    }
    free(def);
    free(a);
    free(b);
}
END_TEST

/* Every key at once at its example. train.momentum and train.nesterov are
 * for sgd only, network.cost's example (huber) is a regression cost
 * that network.output's (softmax) refuses, and data.validation and
 * data.validation_fraction exclude each other, so once with every key but
 * train.optimizer, network.output and data.validation_fraction, once with
 * every key but the other four. */
START_TEST(test_round_trip_every_key_at_once)
{
    /* data.validation and data.validation_fraction exclude each other: one
     * in each pass (patience takes either). */
    static const char *const skip[2][4] = {
        {"train.optimizer", "network.output", "data.validation_fraction", NULL},
        {"train.momentum", "train.nesterov", "network.cost", "data.validation"}};
    cfg_t *def = malloc(sizeof *def), *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    char name[64], v0[8192], v1[8192];
    ck_assert(def && a && b);
    ck_assert_int_eq(cfg_defaults(def, NULL), 0);
    int n = cfg_key_count();
    for (int pass = 0; pass < 2; pass++) {
        int skipped = 0, changed = 0;
        ck_assert_int_eq(cfg_defaults(a, NULL), 0);
        for (int i = 0; i < n; i++) {
            ck_assert_int_eq(cfg_key_name(i, name, sizeof name), 0);
            int skip_it = 0;
            for (int j = 0; j < 4; j++) skip_it |= skip[pass][j] && strcmp(skip[pass][j], name) == 0;
            if (skip_it) skipped++;
            else set_example(a, i);
        }
        ck_assert_int_eq(skipped, pass == 0 ? 3 : 4);
        for (int i = 0; i < n; i++) {
            ck_assert_int_eq(cfg_key_name(i, name, sizeof name), 0);
            ck_assert_int_eq(cfg_get(def, name, v0, sizeof v0), 0);
            ck_assert_int_eq(cfg_get(a, name, v1, sizeof v1), 0);
            changed += strcmp(v0, v1) != 0;
        }
        ck_assert_int_eq(changed, n - skipped);
        round_trip_text(a, b, pass == 0 ? "every key but train.optimizer, network.output and "
                                          "data.validation_fraction"
                                        : "every key but train.momentum, train.nesterov, "
                                          "data.validation and "
                                          "network.cost");
    }
    free(def);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_get_and_examples)
{
    cfg_t c;
    char buf[64];
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert_int_eq(cfg_get(&c, "train.learning_rate", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "3");
    ck_assert_int_eq(cfg_get(&c, "network.sizes", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "[784, 30, 10]");
    ck_assert_int_eq(cfg_get(&c, "data.dir", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "\"mnist\"");
    ck_assert_int_eq(cfg_get(&c, "output.save_last", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "false");
    ck_assert_int_eq(cfg_get(&c, "train.nope", buf, sizeof buf), -1);
    ck_assert_int_eq(cfg_get(&c, "train", buf, sizeof buf), -1);
    ck_assert_int_eq(cfg_get(&c, "network.sizes", buf, 5), -1); /* does not fit */
    ck_assert_int_eq(cfg_key_name(0, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "data.dir");
    ck_assert_int_eq(cfg_key_name(-1, buf, sizeof buf), -1);
    ck_assert_int_eq(cfg_key_example(key_index("network.sizes"), buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "[784, 16, 8, 10]");
    ck_assert_int_eq(cfg_key_example(key_index("train.optimizer"), buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "adamw");
    ck_assert_int_eq(cfg_key_example(key_index("train.seed"), buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "18446744073709551615");
}
END_TEST

/* ---- cfg_validate's rules across keys ------------------------------------ */

/* Each rule: a config that breaks it, the message (at the value's
 * file:line:col, naming the key), the nearest config that keeps it, and
 * -s assignments that break it (the message then starts "-s KEY: KEY:"). */
static const struct {
    const char *bad, *msg, *good, *sets[3];
} RULES[] = {
    {"network:\n  sizes: [4, 3, 3, 2]\n  activation: [relu, tanh, relu]\n",
     "x.yaml:3:15: network.activation: 3 names given for 2 hidden layers (network.sizes has 4 "
     "entries); give one name for every hidden layer",
     "network:\n  sizes: [4, 3, 3, 2]\n  activation: [relu, tanh]\n",
     {"network.sizes=[4,3,2]", "network.activation=[relu,tanh]"}},
    {"network:\n  sizes: [4, 3, 3, 2]\ntrain:\n  dropout: [0.5, 0.5, 0.5]\n",
     "x.yaml:4:12: train.dropout: 3 rates given for 2 hidden layers (network.sizes has 4 entries)",
     "network:\n  sizes: [4, 3, 3, 2]\ntrain:\n  dropout: [0.5, 0.25]\n",
     {"train.dropout=[0.1,0.2]"}},
    {"network:\n  output: relu\n  cost: cross_entropy\n",
     "x.yaml:3:9: network.cost: cross_entropy needs a sigmoid or softmax output layer, but "
     "network.output is relu",
     "network:\n  output: softmax\n  cost: cross_entropy\n",
     {"network.output=tanh", "network.cost=cross_entropy"}},
    {"network:\n  output: linear\n  cost: cross_entropy\n",
     "x.yaml:3:9: network.cost: cross_entropy needs a sigmoid or softmax output layer, but "
     "network.output is linear",
     "network:\n  output: sigmoid\n  cost: cross_entropy\n", {NULL}},
    {"network:\n  output: softmax\n  cost: mae\n",
     "x.yaml:3:9: network.cost: mae is a regression cost: it needs an output layer other than "
     "softmax, but network.output is softmax (set network.output: linear, or use cost: "
     "cross_entropy for classes)",
     "network:\n  output: linear\n  cost: mae\n",
     {"network.output=softmax", "network.cost=huber"}},
    /* A table's classes default to a softmax output: huber is refused before any data. */
    {"data:\n  train: none.csv\nnetwork:\n  cost: huber\n",
     "x.yaml:4:9: network.cost: huber is a regression cost: it needs an output layer other than "
     "softmax, but network.output is softmax, the default for data.task: classification (to "
     "predict numbers set data.task: regression, whose output is linear; for classes leave "
     "network.cost out)",
     "data:\n  train: none.csv\n  task: regression\nnetwork:\n  cost: huber\n",
     {"data.train=t.csv", "network.cost=mae"}},
    {"data:\n  validation: 10\n  validation_fraction: 0.1\n",
     "x.yaml:3:24: data.validation_fraction: 0.1, and data.validation is 10: give the validation "
     "set as a share of the training examples or as a number of them, not both",
     "data:\n  validation: 0\n  validation_fraction: 0.1\ntrain:\n  patience: 2\n",
     {"data.validation=10", "data.validation_fraction=0.25"}},
    {"train:\n  batch_size: 8\n  shards: 9\n",
     "x.yaml:3:11: train.shards: 9 shards cannot split a mini-batch of 8 examples "
     "(train.batch_size); use at most 8",
     "train:\n  batch_size: 8\n  shards: 8\n", {"train.shards=11"}},
    {"train:\n  learning_rate: 0.1\n  schedule: cosine\n  min_learning_rate: 0.2\n",
     "x.yaml:4:22: train.min_learning_rate: 0.2 is above train.learning_rate (0.1)",
     "train:\n  learning_rate: 0.1\n  schedule: cosine\n  min_learning_rate: 0.1\n",
     {"train.schedule=cosine", "train.min_learning_rate=4"}},
    {"train:\n  epochs: 3\n  warmup_epochs: 3\n",
     "x.yaml:3:18: train.warmup_epochs: a warm-up of 3 epochs leaves nothing of a run of 3 "
     "(train.epochs); use fewer than 3",
     "train:\n  epochs: 3\n  warmup_epochs: 2.99\n", {"train.warmup_epochs=30"}},
    {"train:\n  patience: 3\n",
     "x.yaml:2:13: train.patience: early stopping needs a validation set: set data.validation",
     "data:\n  validation: 1\ntrain:\n  patience: 3\n", {"train.patience=1"}},
    {"output:\n  save_last: true\n",
     "x.yaml:2:14: output.save_last: needs output.model",
     "output:\n  save_last: true\n  model: m.bin\n", {"output.save_last=yes"}},
    {"train:\n  nesterov: true\n",
     "x.yaml:2:13: train.nesterov: Nesterov momentum needs train.optimizer: sgd with "
     "train.momentum > 0 (optimizer is sgd, momentum 0)",
     "train:\n  nesterov: true\n  momentum: 0.5\n", {"train.nesterov=on"}},
    {"train:\n  optimizer: adam\n  momentum: 0.5\n  nesterov: true\n",
     "x.yaml:4:13: train.nesterov: Nesterov momentum needs train.optimizer: sgd with "
     "train.momentum > 0 (optimizer is adam, momentum 0.5)",
     "train:\n  optimizer: sgd\n  momentum: 0.5\n  nesterov: true\n", {NULL}},
    {"train:\n  optimizer: adamw\n  momentum: 0.5\n",
     "x.yaml:3:13: train.momentum: momentum is for train.optimizer: sgd; adamw has its own "
     "(train.beta1)",
     "train:\n  optimizer: adamw\n  momentum: 0\n",
     {"train.optimizer=adam", "train.momentum=0.9"}},
};

START_TEST(test_cross_field_rules)
{
    for (size_t r = 0; r < sizeof RULES / sizeof RULES[0]; r++) {
        cfg_t c;
        err_t err;
        ck_assert_has(validate_err(RULES[r].bad, &err), RULES[r].msg);
        load_ok(RULES[r].good, &c);
        ck_assert_msg(cfg_validate(&c, &err) == 0, "%s: %s", RULES[r].good, err.msg);
        if (!RULES[r].sets[0]) continue;
        /* The same rule broken by -s: placed at the last -s of its key. */
        const char *last = RULES[r].sets[0];
        ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
        for (int i = 0; i < 3 && RULES[r].sets[i]; i++) set_ok(&c, last = RULES[r].sets[i]);
        char key[64], want[128];
        const char *colon = strchr(RULES[r].msg, ' ') + 1; /* after "x.yaml:L:C: " */
        snprintf(key, sizeof key, "%.*s", (int)(strchr(colon, ':') - colon), colon);
        ck_assert_msg(strncmp(last, key, strlen(key)) == 0, "rule %zu: put %s's -s last", r, key);
        snprintf(want, sizeof want, "-s %s: %s: ", key, key);
        ck_assert_int_eq(cfg_validate(&c, &err), -1);
        ck_assert_int_eq(err.code, ERR_INPUT);
        ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "expected \"%s...\", got \"%s\"",
                      want, err.msg);
    }
}
END_TEST

/* The rule on mae and huber is the one net_create keeps (which names no
 * place): the quadratic cost (mse) through softmax trains, so it passes;
 * mae and huber pass on every other output. */
START_TEST(test_regression_costs_and_outputs)
{
    cfg_t c;
    err_t err;
    load_ok("network:\n  output: softmax\n  cost: mse\n", &c);
    ck_assert_msg(cfg_validate(&c, &err) == 0, "%s", err.msg);
    static const char *const outs[] = {"linear", "sigmoid", "tanh", "relu", "leaky_relu"};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
        for (int huber = 0; huber < 2; huber++) {
            char yaml[128];
            snprintf(yaml, sizeof yaml, "network:\n  output: %s\n  cost: %s\n", outs[i],
                     huber ? "huber" : "mae");
            load_ok(yaml, &c);
            ck_assert_msg(cfg_validate(&c, &err) == 0, "%s: %s", yaml, err.msg);
        }
    /* Whatever passes builds: net_create agrees with the rule. */
    for (int out = 0; out < ACT_COUNT; out++)
        for (int cost = 0; cost < COST_COUNT; cost++) {
            ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
            c.output_act = (net_act)out;
            c.cost = (net_cost)cost;
            c.sizes[0] = 4;
            c.sizes[1] = 3;
            c.sizes[2] = 2;
            int ok = cfg_validate(&c, &err) == 0;
            net_t net;
            int built = ok && net_create(&net, c.n_layers, c.sizes, c.act, c.cost, &err) == 0;
            ck_assert_msg(!ok || built, "%s with %s passes cfg_validate but net_create says: %s",
                          net_cost_name(c.cost), net_act_name(c.output_act), err.msg);
            if (built)
                net_free(&net);
        }
}
END_TEST

/* The rules only a caller that fills cfg_t by hand can break: the loader
 * refuses these forms itself. */
START_TEST(test_validate_rules_set_by_hand)
{
    cfg_t c;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    c.hidden_act[0] = ACT_SOFTMAX;
    ck_assert_int_eq(cfg_validate(&c, &err), -1);
    ck_assert_str_eq(err.msg, "(defaults): network.activation: softmax is only allowed for the "
                              "output layer");
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    c.n_layers = 0;
    ck_assert_int_eq(cfg_validate(&c, &err), -1);
    ck_assert_str_eq(err.msg, "(defaults): network.sizes: expected 2 to 17 layer sizes, got 1");
    load_ok("network:\n  sizes: [4, 3, 2]\n", &c);
    c.n_layers = NET_MAX_LAYERS + 1;
    ck_assert_int_eq(cfg_validate(&c, &err), -1);
    ck_assert_str_eq(err.msg, "x.yaml:2:10: network.sizes: expected 2 to 17 layer sizes, got 18");
}
END_TEST

/* ---- cfg_data_path ------------------------------------------------------- */

START_TEST(test_data_path)
{
    cfg_t c;
    char buf[256];
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    unsetenv("NNTRAIN_DATA");
    cfg_data_path(&c, "a.gz", buf, sizeof buf);
    ck_assert_str_eq(buf, "data/mnist/a.gz");
    cfg_data_path(&c, "/abs/a.gz", buf, sizeof buf);
    ck_assert_str_eq(buf, "/abs/a.gz");

    setenv("NNTRAIN_DATA", "/srv/data/", 1);
    cfg_data_path(&c, "a.gz", buf, sizeof buf);
    ck_assert_str_eq(buf, "/srv/data/mnist/a.gz");
    setenv("NNTRAIN_DATA", "rel", 1);
    cfg_data_path(&c, "sub/a.gz", buf, sizeof buf);
    ck_assert_str_eq(buf, "rel/mnist/sub/a.gz");
    setenv("NNTRAIN_DATA", "", 1); /* empty counts as unset */
    cfg_data_path(&c, "a.gz", buf, sizeof buf);
    ck_assert_str_eq(buf, "data/mnist/a.gz");

    setenv("NNTRAIN_DATA", "/srv/data", 1);
    set_ok(&c, "data.dir=/opt/fashion/");
    cfg_data_path(&c, "a.gz", buf, sizeof buf); /* absolute dir ignores the root */
    ck_assert_str_eq(buf, "/opt/fashion/a.gz");
    set_ok(&c, "data.dir=''");
    cfg_data_path(&c, "a.gz", buf, sizeof buf);
    ck_assert_str_eq(buf, "/srv/data/a.gz");
    unsetenv("NNTRAIN_DATA");

    cfg_data_path(&c, "a.gz", buf, 5); /* truncates, still terminated */
    ck_assert_str_eq(buf, "data");
}
END_TEST

START_TEST(test_where_defaults_only)
{
    cfg_t c;
    char where[64];
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    cfg_where(&c, "train.epochs", where, sizeof where);
    ck_assert_str_eq(where, "(defaults)");
}
END_TEST

/* ---- learning-rate schedules --------------------------------------------- */

START_TEST(test_schedule_keys)
{
    cfg_t c;
    err_t err;
    ck_assert_int_eq(cfg_defaults(&c, NULL), 0);
    ck_assert_int_eq(c.schedule, SCHED_CONSTANT);
    ck_assert(c.gamma == 0.1 && c.step_epochs == 10 && c.min_learning_rate == 0 &&
              c.warmup_epochs == 0);
    load_ok("train:\n  schedule: cosine\n  min_learning_rate: 0.001\n  warmup_epochs: 0.5\n"
            "  gamma: 1\n  step_epochs: 3\n", &c);
    ck_assert_int_eq(c.schedule, SCHED_COSINE);
    ck_assert(c.min_learning_rate == 0.001 && c.warmup_epochs == 0.5 && c.gamma == 1.0 &&
              c.step_epochs == 3);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_str_eq(load_err("train:\n  schedule: linear\n", &err),
                     "x.yaml:2:13: train.schedule: expected one of constant, step, exponential, "
                     "cosine, got \"linear\"");
    ck_assert_str_eq(load_err("train:\n  gamma: 0\n", &err),
                     "x.yaml:2:10: train.gamma: expected a number > 0 and <= 1, got \"0\"");
    load_err("train:\n  gamma: 1.5\n", &err);
    load_err("train:\n  gamma: nan\n", &err);
    ck_assert_str_eq(load_err("train:\n  min_learning_rate: -1\n", &err),
                     "x.yaml:2:22: train.min_learning_rate: expected a finite number >= 0, got \"-1\"");
    ck_assert_str_eq(load_err("train:\n  warmup_epochs: inf\n", &err),
                     "x.yaml:2:18: train.warmup_epochs: expected a finite number >= 0, got \"inf\"");
    ck_assert_str_eq(load_err("train:\n  step_epochs: 0\n", &err),
                     "x.yaml:2:16: train.step_epochs: expected an integer from 1 to 100000, got \"0\"");
    ck_assert_str_eq(validate_err("train:\n  learning_rate: 0.1\n  schedule: cosine\n"
                                  "  min_learning_rate: 0.2\n", &err),
                     "x.yaml:4:22: train.min_learning_rate: 0.2 is above train.learning_rate (0.1); "
                     "the cosine schedule anneals from learning_rate down to min_learning_rate");
    ck_assert_has(validate_err("train:\n  epochs: 3\n  warmup_epochs: 3\n", &err),
                  "x.yaml:3:18: train.warmup_epochs: a warm-up of 3 epochs leaves nothing");
    /* min_learning_rate above the rate is harmless without cosine. */
    load_ok("train:\n  learning_rate: 0.1\n  min_learning_rate: 0.2\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
}
END_TEST

/* The schedule's keys are in the checkpoint identity where they decide the
 * trajectory, and train.epochs only with cosine. */
START_TEST(test_schedule_identity)
{
    cfg_t c;
    err_t err;
    char id[4096];
    load_ok("train:\n  epochs: 7\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(cfg_identity_text(&c, id, sizeof id), 0);
    ck_assert_has(id, "train.schedule=constant\n");
    ck_assert_has(id, "train.warmup_epochs=0\n");
    ck_assert(strstr(id, "train.epochs=") == NULL);
    ck_assert(strstr(id, "train.gamma=") == NULL);
    ck_assert(strstr(id, "train.min_learning_rate=") == NULL);
    load_ok("train:\n  epochs: 7\n  schedule: step\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(cfg_identity_text(&c, id, sizeof id), 0);
    ck_assert_has(id, "train.step_epochs=10\n");
    ck_assert_has(id, "train.gamma=0.1\n");
    ck_assert(strstr(id, "train.epochs=") == NULL);
    load_ok("train:\n  epochs: 7\n  schedule: cosine\n", &c);
    ck_assert_int_eq(cfg_validate(&c, &err), 0);
    ck_assert_int_eq(cfg_identity_text(&c, id, sizeof id), 0);
    ck_assert_has(id, "train.epochs=7\n");
    ck_assert_has(id, "train.min_learning_rate=0\n");
    ck_assert(strstr(id, "train.gamma=") == NULL);
}
END_TEST

/* configs/README.md's "Every key" table lists exactly the schema's keys,
 * each with its type and default. */
START_TEST(test_readme_lists_every_key)
{
    const char *dir = getenv("NNTRAIN_SRCDIR");
    char path[1024], line[4096];
    snprintf(path, sizeof path, "%s/configs/README.md", dir && *dir ? dir : ".");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    char doc_keys[CFG_MAX_KEYS][64];
    int n_doc = 0, problems = 0;
    while (fgets(line, sizeof line, f)) {
        /* | `section.key` | type | `default` | allowed | meaning | */
        char key[64], type[64], dflt[128];
        if (sscanf(line, "| `%63[^`]` | %63[^|]| `%127[^`]` |", key, type, dflt) != 3) continue;
        for (char *e = type + strlen(type); e > type && e[-1] == ' ';) *--e = '\0';
        ck_assert_int_lt(n_doc, CFG_MAX_KEYS);
        snprintf(doc_keys[n_doc++], sizeof doc_keys[0], "%s", key);
        cfg_key_doc k;
        int i = 0, found = 0;
        char full[64];
        while (!found && cfg_key_doc_at(i++, &k)) {
            snprintf(full, sizeof full, "%s.%s", k.section, k.name);
            found = strcmp(full, key) == 0;
        }
        if (!found) {
            fprintf(stderr, "%s: %s is documented but not in cfg's schema\n", path, key);
            problems++;
        } else if (strcmp(k.type, type) != 0 || strcmp(k.dflt, dflt) != 0) {
            fprintf(stderr, "%s: %s: documented as %s, default %s; the schema says %s, default %s\n",
                    path, key, type, dflt, k.type, k.dflt);
            problems++;
        }
    }
    fclose(f);
    cfg_key_doc k;
    for (int i = 0; cfg_key_doc_at(i, &k); i++) {
        char full[64];
        int found = 0;
        snprintf(full, sizeof full, "%s.%s", k.section, k.name);
        for (int j = 0; j < n_doc && !found; j++) found = strcmp(doc_keys[j], full) == 0;
        if (!found) {
            fprintf(stderr, "%s: %s is in cfg's schema but not documented\n", path, full);
            problems++;
        }
    }
    ck_assert_int_gt(n_doc, 20); /* the table was found at all */
    ck_assert_msg(problems == 0, "configs/README.md and cfg's schema differ (see above)");
}
END_TEST

TU_MAIN("cfg", test_optimizer_keys, test_regularisation_keys, test_augment_keys, test_defaults,
        test_defaults_comma_locale, test_full_file, test_minimal_one_section,
        test_empty_section, test_activation_scalar, test_activation_list,
        test_one_layer_ignores_activation, test_bools, test_bool_rejected,
        test_quoted_scalars, test_numbers_accepted, test_set_each_type,
        test_validation_fraction, test_set_sequences, test_set_order, test_set_empty_value,
        test_set_unknown_key, test_set_section, test_set_missing_equals,
        test_set_bad_values, test_unknown_section, test_unknown_key,
        test_unknown_key_real_file, test_duplicate_key, test_string_for_int,
        test_float_for_int, test_negative, test_overflow,
        test_list_for_scalar, test_mapping_for_list, test_layer_size_zero,
        test_batch_zero, test_layer_count, test_learning_rate_bad,
        test_bad_names, test_softmax_hidden, test_malformed_yaml,
        test_empty_file, test_missing_file, test_two_documents,
        test_nul_in_string, test_path_too_long, test_deep_nesting, test_activation_count_mismatch,
        test_cross_entropy_relu, test_shards_over_batch, test_round_trip_full,
        test_round_trip_defaults, test_round_trip_tricky, test_round_trip_escaped_unicode,
        test_write_layout, test_data_path, test_where_defaults_only, test_schedule_keys,
        test_schedule_identity, test_readme_lists_every_key, test_round_trip_every_key,
        test_round_trip_every_key_at_once, test_get_and_examples, test_cross_field_rules,
        test_validate_rules_set_by_hand, test_regression_costs_and_outputs)
