/* test_lib: the public C API (include/nntrain.h): training on arrays and
 * from configs, prediction, the model's names, the same bytes as the
 * command, and every bad call answered with an error code. */
#include <math.h>
#include <omp.h>

#include "testutil.h"
#include "cfg.h"
#include "cli.h"
#include "model.h"
#include "net.h"
#include "nntrain.h"
#include "prep.h"
#include "tables.h"

/* A 3-class table: class k's points around centre k, from a fixed
 * sequence; values are multiples of 1/64, exact in a float and in a CSV. */
#define N_ROWS 90
#define N_COLS 3
static void make_table(float *X, float *y)
{
    uint32_t s = 12345;
    for (int i = 0; i < N_ROWS; i++) {
        int k = i % 3;
        for (int j = 0; j < N_COLS; j++) {
            s = s * 1103515245u + 12345u;
            int noise = (int)((s >> 16) % 64) - 32;           /* -32..31 */
            X[i * N_COLS + j] = (float)((j == k ? 128 : 0) + noise) / 64.0f;
        }
        y[i] = (float)(k * 2 + 1); /* labels 1, 3, 5 */
    }
}

static const char *CONFIG_BODY =
    "  test_fraction: 0.2\n"
    "network:\n"
    "  hidden: [8]\n"
    "  activation: tanh\n"
    "train:\n"
    "  learning_rate: 0.1\n"
    "  batch_size: 8\n"
    "  epochs: 12\n"
    "  seed: 5\n"
    "  threads: 2\n";

static char *config_text(const char *data_lines)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "data:\n%s%s", data_lines, CONFIG_BODY);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void write_csv(const char *path, const float *X, const float *y)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "x0,x1,x2,y\n");
    for (int i = 0; i < N_ROWS; i++)
        fprintf(f, "%.9g,%.9g,%.9g,%.9g\n", X[i * 3], X[i * 3 + 1], X[i * 3 + 2], y[i]);
    fclose(f);
}

static int same_files(const char *a, const char *b)
{
    size_t na, nb;
    unsigned char *pa = tu_read_file(a, &na), *pb = tu_read_file(b, &nb);
    int same = na == nb && memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

/* The epochs seen, and when to stop (> 0 keep, < 0 abort). */
typedef struct {
    int seen;
    int stop_at;
    int stop_with;
    double last_loss;
} epochs_seen;

static int count_epochs(void *user, const nnt_epoch_info *e)
{
    epochs_seen *s = user;
    s->seen++;
    ck_assert_int_eq(e->epoch, s->seen);
    ck_assert(isfinite(e->train_loss));
    s->last_loss = e->train_loss;
    return s->seen == s->stop_at ? s->stop_with : 0;
}

START_TEST(test_train_arrays_predict)
{
    float X[N_ROWS * N_COLS], y[N_ROWS];
    make_table(X, y);
    nnt_model *m = NULL;
    epochs_seen es = {0};
    int rc = nnt_train_arrays(config_text(""), X, N_ROWS, N_COLS, y, 1, count_epochs, &es, &m);
    ck_assert_msg(rc == NNT_OK, "%s: %s", nnt_status_name(rc), nnt_last_error());
    ck_assert_int_eq(es.seen, 12);
    ck_assert_int_eq(nnt_model_is_table(m), 1);
    ck_assert_int_eq(nnt_model_task(m), NNT_CLASSIFICATION);
    ck_assert_uint_eq(nnt_model_n_features(m), 3);
    ck_assert_uint_eq(nnt_model_n_outputs(m), 3);
    ck_assert_uint_eq(nnt_model_n_classes(m), 3);
    ck_assert_str_eq(nnt_model_class_name(m, 0), "1");
    ck_assert_str_eq(nnt_model_class_name(m, 2), "5");
    ck_assert_ptr_null(nnt_model_class_name(m, 3));
    ck_assert_str_eq(nnt_model_feature_name(m, 1), "x1");
    ck_assert_ptr_null(nnt_model_feature_name(m, 3));
    ck_assert_str_eq(nnt_model_target_name(m, 0), "y");
    ck_assert_int_eq(nnt_model_feature_is_categorical(m, 0), 0);

    float P[N_ROWS * 3];
    ck_assert_int_eq(nnt_predict(m, X, N_ROWS, N_COLS, P), NNT_OK);
    int correct = 0;
    for (int i = 0; i < N_ROWS; i++) {
        float sum = P[i * 3] + P[i * 3 + 1] + P[i * 3 + 2];
        ck_assert_float_eq_tol(sum, 1.0f, 1e-5f);
        int best = 0;
        for (int k = 1; k < 3; k++)
            if (P[i * 3 + k] > P[i * 3 + best])
                best = k;
        correct += best * 2 + 1 == (int)y[i];
    }
    ck_assert_msg(correct >= N_ROWS * 9 / 10, "%d of %d right", correct, N_ROWS);

    /* Saved and loaded: the same predictions, bit for bit. */
    char path[512];
    snprintf(path, sizeof path, "%s/m.model", tmpdir);
    ck_assert_int_eq(nnt_model_save(m, path), NNT_OK);
    nnt_model *back = NULL;
    ck_assert_int_eq(nnt_model_load(path, &back), NNT_OK);
    float Q[N_ROWS * 3];
    ck_assert_int_eq(nnt_predict(back, X, N_ROWS, N_COLS, Q), NNT_OK);
    ck_assert_mem_eq(P, Q, sizeof P);
    /* Zero rows: nothing to do. */
    ck_assert_int_eq(nnt_predict(back, NULL, 0, N_COLS, NULL), NNT_OK);

    /* Thread-safe on one shared model: row by row from many threads. */
    float R[N_ROWS * 3];
    int bad = 0;
#pragma omp parallel for num_threads(4) reduction(+ : bad)
    for (int i = 0; i < N_ROWS; i++)
        bad += nnt_predict(back, X + i * N_COLS, 1, N_COLS, R + i * 3) != NNT_OK;
    ck_assert_int_eq(bad, 0);
    ck_assert_mem_eq(P, R, sizeof P);
    nnt_model_free(back);
    nnt_model_free(m);
}
END_TEST

/* The same config and data: the command, the library from the file and
 * the library from arrays give the same model bytes. */
START_TEST(test_same_bytes_as_command)
{
    float X[N_ROWS * N_COLS], y[N_ROWS];
    make_table(X, y);
    char csv[512], cfg_a[512], cfg_b[512], model_a[512], model_b[512], model_c[512],
        data[1024], cmd[4096];
    snprintf(csv, sizeof csv, "%s/t.csv", tmpdir);
    snprintf(cfg_a, sizeof cfg_a, "%s/a.yaml", tmpdir);
    snprintf(cfg_b, sizeof cfg_b, "%s/b.yaml", tmpdir);
    snprintf(model_a, sizeof model_a, "%s/a.model", tmpdir);
    snprintf(model_b, sizeof model_b, "%s/b.model", tmpdir);
    snprintf(model_c, sizeof model_c, "%s/c.model", tmpdir);
    write_csv(csv, X, y);
    char text[8192];
    snprintf(data, sizeof data, "  train: %s\n", csv);
    snprintf(text, sizeof text, "%soutput:\n  model: %s\n", config_text(data), model_a);
    write_text(cfg_a, text);
    snprintf(text, sizeof text, "%soutput:\n  model: %s\n", config_text(data), model_b);
    write_text(cfg_b, text);

    /* The library from the config file: written to output.model. */
    int rc = nnt_train_file(cfg_b, NULL, NULL, NULL);
    ck_assert_msg(rc == NNT_OK, "%s: %s", nnt_status_name(rc), nnt_last_error());
    /* The library from arrays. */
    nnt_model *m = NULL;
    rc = nnt_train_arrays(config_text(""), X, N_ROWS, N_COLS, y, 1, NULL, NULL, &m);
    ck_assert_msg(rc == NNT_OK, "%s: %s", nnt_status_name(rc), nnt_last_error());
    ck_assert_int_eq(nnt_model_save(m, model_c), NNT_OK);
    nnt_model_free(m);
    ck_assert_msg(same_files(model_b, model_c), "file and arrays give different models");

    /* The command (make check sets NNTRAIN; valgrind's run of the suite
     * alone does not). */
    const char *nntrain = getenv("NNTRAIN");
    if (nntrain && nntrain[0]) {
        snprintf(cmd, sizeof cmd, "'%s' -q -c '%s' >/dev/null", nntrain, cfg_a);
        ck_assert_int_eq(system(cmd), 0);
        ck_assert_msg(same_files(model_a, model_b), "the command and the library differ");
    }
}
END_TEST

/* test_same_bytes_as_command's check over the data keys whose arrays take
 * other paths in the library: data.scale none (training reads the
 * caller's X itself), minmax, a validation set (rows not consecutive) and
 * missing cells filled (NaN in X, an empty field in the CSV). */
START_TEST(test_same_bytes_data_keys)
{
    static const char *const keys[] = {
        "  scale: none\n  test_fraction: 0\n",
        "  scale: none\n  test_fraction: 0.2\n",
        "  scale: minmax\n  test_fraction: 0\n",
        "  scale: none\n  validation: 10\n  test_fraction: 0\n",
        "  scale: standard\n  missing: median\n  test_fraction: 0.2\n",
        "  scale: none\n  missing: most_frequent\n  test_fraction: 0\n",
    };
    float X[N_ROWS * N_COLS], y[N_ROWS];
    make_table(X, y);
    X[7 * N_COLS + 1] = NAN; /* only the configs with data.missing take these rows */
    X[40 * N_COLS + 2] = NAN;
    char csv[512], csv_full[512], cfg[512], model_a[512], model_b[512], model_c[512],
        data[1024], cmd[4096], text[8192];
    snprintf(csv, sizeof csv, "%s/k.csv", tmpdir);
    snprintf(csv_full, sizeof csv_full, "%s/kf.csv", tmpdir);
    snprintf(cfg, sizeof cfg, "%s/k.yaml", tmpdir);
    snprintf(model_a, sizeof model_a, "%s/ka.model", tmpdir);
    snprintf(model_b, sizeof model_b, "%s/kb.model", tmpdir);
    snprintf(model_c, sizeof model_c, "%s/kc.model", tmpdir);
    FILE *f = fopen(csv, "w"), *g = fopen(csv_full, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(g);
    fprintf(f, "x0,x1,x2,y\n");
    fprintf(g, "x0,x1,x2,y\n");
    for (int i = 0; i < N_ROWS; i++) {
        for (int j = 0; j < N_COLS; j++) {
            float v = X[i * N_COLS + j];
            if (isnan(v))
                fprintf(f, ",");
            else
                fprintf(f, "%.9g,", v);
            fprintf(g, "%.9g,", isnan(v) ? 0.5f : v);
        }
        fprintf(f, "%.9g\n", y[i]);
        fprintf(g, "%.9g\n", y[i]);
    }
    fclose(f);
    fclose(g);
    float Xfull[N_ROWS * N_COLS];
    memcpy(Xfull, X, sizeof X);
    Xfull[7 * N_COLS + 1] = Xfull[40 * N_COLS + 2] = 0.5f;
    const char *nntrain = getenv("NNTRAIN");
    /* CONFIG_BODY but its test_fraction, which each of keys gives. */
    const char *body = strchr(CONFIG_BODY, '\n') + 1;
    char lib_cfg[4096];
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int with_missing = strstr(keys[k], "missing") != NULL;
        snprintf(data, sizeof data, "  train: %s\n%s", with_missing ? csv : csv_full, keys[k]);
        snprintf(text, sizeof text, "data:\n%s%soutput:\n  model: %s\n", data, body, model_a);
        write_text(cfg, text);
        int rc = nnt_train_file(cfg, NULL, NULL, NULL);
        ck_assert_msg(rc == NNT_OK, "%s%s: %s", keys[k], nnt_status_name(rc), nnt_last_error());
        nnt_model *m = NULL;
        snprintf(lib_cfg, sizeof lib_cfg, "data:\n%s%s", keys[k], body);
        rc = nnt_train_arrays(lib_cfg, with_missing ? X : Xfull, N_ROWS, N_COLS, y, 1, NULL, NULL,
                              &m);
        ck_assert_msg(rc == NNT_OK, "%s%s: %s", keys[k], nnt_status_name(rc), nnt_last_error());
        ck_assert_int_eq(nnt_model_save(m, model_c), NNT_OK);
        nnt_model_free(m);
        ck_assert_msg(same_files(model_a, model_c), "%sfile and arrays give different models",
                      keys[k]);
        if (nntrain && nntrain[0]) {
            snprintf(text, sizeof text, "data:\n%s%soutput:\n  model: %s\n", data, body,
                     model_b);
            write_text(cfg, text);
            snprintf(cmd, sizeof cmd, "'%s' -q -c '%s' >/dev/null", nntrain, cfg);
            ck_assert_int_eq(system(cmd), 0);
            ck_assert_msg(same_files(model_a, model_b), "%sthe command and the library differ",
                          keys[k]);
        }
    }
}
END_TEST

START_TEST(test_regression_and_missing)
{
    /* y = 2 x0 - x1 + 3; one missing cell, filled with the mean. */
    enum { N = 200 };
    float X[N * 2], y[N];
    for (int i = 0; i < N; i++) {
        X[i * 2] = (float)(i % 20) / 10.0f;
        X[i * 2 + 1] = (float)(i / 20) / 5.0f;
        y[i] = 2 * X[i * 2] - X[i * 2 + 1] + 3;
    }
    X[7] = NAN;
    const char *cfg = "data:\n  task: regression\n  missing: mean\n  test_fraction: 0\n"
                      "network:\n  hidden: [16]\n  activation: tanh\n"
                      "train:\n  optimizer: adam\n  learning_rate: 0.01\n  batch_size: 16\n"
                      "  epochs: 150\n  seed: 1\n  threads: 1\n";
    nnt_model *m = NULL;
    int rc = nnt_train_arrays(cfg, X, N, 2, y, 1, NULL, NULL, &m);
    ck_assert_msg(rc == NNT_OK, "%s: %s", nnt_status_name(rc), nnt_last_error());
    ck_assert_int_eq(nnt_model_task(m), NNT_REGRESSION);
    ck_assert_uint_eq(nnt_model_n_classes(m), 0);
    ck_assert_uint_eq(nnt_model_n_outputs(m), 1);
    float row[2] = {1.0f, 1.0f}, out;
    ck_assert_int_eq(nnt_predict(m, row, 1, 2, &out), NNT_OK);
    ck_assert_msg(fabsf(out - 4.0f) < 0.3f, "predicted %g for 4", out);
    row[0] = NAN; /* takes the mean */
    ck_assert_int_eq(nnt_predict(m, row, 1, 2, &out), NNT_OK);
    ck_assert(isfinite(out));
    row[0] = INFINITY;
    ck_assert_int_eq(nnt_predict(m, row, 1, 2, &out), NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "infinite"));
    nnt_model_free(m);

    /* Two targets. */
    float Y2[N * 2];
    for (int i = 0; i < N; i++)
        Y2[i * 2] = y[i], Y2[i * 2 + 1] = -y[i];
    X[7] = 0.5f;
    ck_assert_int_eq(nnt_train_arrays(cfg, X, N, 2, Y2, 2, NULL, NULL, &m), NNT_OK);
    ck_assert_uint_eq(nnt_model_n_outputs(m), 2);
    ck_assert_str_eq(nnt_model_target_name(m, 1), "y1");
    nnt_model_free(m);
}
END_TEST

START_TEST(test_callback_stops)
{
    float X[N_ROWS * N_COLS], y[N_ROWS];
    make_table(X, y);
    nnt_model *m = NULL;
    epochs_seen keep = {.stop_at = 3, .stop_with = 1};
    ck_assert_int_eq(nnt_train_arrays(config_text(""), X, N_ROWS, N_COLS, y, 1, count_epochs,
                                      &keep, &m), NNT_OK);
    ck_assert_int_eq(keep.seen, 3);
    ck_assert_ptr_nonnull(m);
    nnt_model_free(m);
    epochs_seen abort_run = {.stop_at = 2, .stop_with = -1};
    m = (nnt_model *)1;
    ck_assert_int_eq(nnt_train_arrays(config_text(""), X, N_ROWS, N_COLS, y, 1, count_epochs,
                                      &abort_run, &m), NNT_ESTOPPED);
    ck_assert_int_eq(abort_run.seen, 2);
    ck_assert_ptr_null(m);
}
END_TEST

/* An image model (no preprocessing in the file): pixels 0..255 in,
 * scaled by 1/255 as in training; no names. */
START_TEST(test_image_model)
{
    net_t net;
    err_t err;
    int sizes[] = {4, 3, 2};
    net_act act[] = {ACT_RELU, ACT_SOFTMAX};
    ck_assert_int_eq(net_create(&net, 2, sizes, act, COST_CROSS_ENTROPY, &err), 0);
    rng_t r;
    rng_seed(&r, 3);
    net_init_params(&net, INIT_HE, &r);
    char path[512];
    snprintf(path, sizeof path, "%s/img.model", tmpdir);
    ck_assert_int_eq(model_save(path, &net, &err), 0);
    nnt_model *m;
    ck_assert_int_eq(nnt_model_load(path, &m), NNT_OK);
    ck_assert_int_eq(nnt_model_is_table(m), 0);
    ck_assert_uint_eq(nnt_model_n_features(m), 4);
    ck_assert_uint_eq(nnt_model_n_outputs(m), 2);
    ck_assert_uint_eq(nnt_model_n_classes(m), 0);
    ck_assert_ptr_null(nnt_model_feature_name(m, 0));
    ck_assert_ptr_null(nnt_model_class_name(m, 0));
    ck_assert_ptr_null(nnt_model_target_name(m, 0));
    float px[4] = {0, 64, 128, 255}, out[2], in[4];
    ck_assert_int_eq(nnt_predict(m, px, 1, 4, out), NNT_OK);
    for (int i = 0; i < 4; i++)
        in[i] = px[i] * (1.0f / 255.0f);
    net_ws ws;
    ck_assert_int_eq(net_ws_create(&ws, &net, 1, &err), 0);
    net_forward(&net, &ws, in, 1);
    ck_assert_mem_eq(out, net_output(&net, &ws), sizeof out);
    /* Saved through the library: the same bytes (a version 1 file). */
    char again[512];
    snprintf(again, sizeof again, "%s/img2.model", tmpdir);
    ck_assert_int_eq(nnt_model_save(m, again), NNT_OK);
    ck_assert(same_files(path, again));
    px[1] = NAN;
    ck_assert_int_eq(nnt_predict(m, px, 1, 4, out), NNT_EINVAL);
    net_ws_free(&ws);
    net_free(&net);
    nnt_model_free(m);
}
END_TEST

/* Every wrong call: an error code and a message, never a crash. */
START_TEST(test_bad_calls)
{
    float X[N_ROWS * N_COLS], y[N_ROWS], out[N_ROWS * 3];
    make_table(X, y);
    nnt_model *m = (nnt_model *)1;
    /* NULL handles and pointers. */
    ck_assert_int_eq(nnt_model_load(NULL, &m), NNT_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(nnt_model_load("x", NULL), NNT_EINVAL);
    ck_assert_int_eq(nnt_model_save(NULL, "x"), NNT_EINVAL);
    ck_assert_int_eq(nnt_predict(NULL, X, 1, 3, out), NNT_EINVAL); /* predict before training */
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "NULL"));
    ck_assert_uint_eq(nnt_model_n_features(NULL), 0);
    ck_assert_uint_eq(nnt_model_n_outputs(NULL), 0);
    ck_assert_int_eq(nnt_model_task(NULL), -1);
    ck_assert_int_eq(nnt_model_is_table(NULL), -1);
    ck_assert_ptr_null(nnt_model_feature_name(NULL, 0));
    ck_assert_ptr_null(nnt_model_class_name(NULL, 0));
    nnt_model_free(NULL);
    ck_assert_int_eq(nnt_train_file(NULL, NULL, NULL, &m), NNT_EINVAL);
    ck_assert_int_eq(nnt_train_arrays(NULL, NULL, 3, 3, y, 1, NULL, NULL, &m), NNT_EINVAL);
    ck_assert_int_eq(nnt_train_arrays(NULL, X, 3, 3, NULL, 1, NULL, NULL, &m), NNT_EINVAL);
    ck_assert_str_eq(nnt_status_name(NNT_EIO), "NNT_EIO");
    ck_assert_str_eq(nnt_status_name(99), "unknown status");
    ck_assert_str_ne(nnt_version(), "");

    /* Files that are not models. */
    char path[512];
    snprintf(path, sizeof path, "%s/none.model", tmpdir);
    ck_assert_int_eq(nnt_model_load(path, &m), NNT_EIO);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "none.model"));
    snprintf(path, sizeof path, "%s/text.model", tmpdir);
    write_text(path, "this is not a model file, but it is long enough to be read as one\n");
    ck_assert_int_eq(nnt_model_load(path, &m), NNT_EIO);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(nnt_model_load(tmpdir, &m), NNT_EIO); /* a directory */

    /* Wrong shapes, NaN and Inf. */
    ck_assert_int_eq(nnt_train_arrays(NULL, X, 0, 3, y, 1, NULL, NULL, &m), NNT_EINVAL);
    ck_assert_int_eq(nnt_train_arrays(NULL, X, N_ROWS, 0, y, 1, NULL, NULL, &m), NNT_EINVAL);
    ck_assert_int_eq(nnt_train_arrays(NULL, X, N_ROWS, 3, y, 0, NULL, NULL, &m), NNT_EINVAL);
    ck_assert_int_eq(nnt_train_arrays(NULL, X, N_ROWS, 3, y, 2, NULL, NULL, &m), NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "one label column"));
    float Xi[N_ROWS * N_COLS];
    memcpy(Xi, X, sizeof X);
    Xi[5] = INFINITY;
    ck_assert_int_eq(nnt_train_arrays(config_text(""), Xi, N_ROWS, 3, y, 1, NULL, NULL, &m),
                     NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "infinite"));
    Xi[5] = NAN; /* a missing cell, refused by data.missing: error (the default) */
    ck_assert_int_eq(nnt_train_arrays(config_text(""), Xi, N_ROWS, 3, y, 1, NULL, NULL, &m),
                     NNT_EINVAL);
    float yn[N_ROWS];
    memcpy(yn, y, sizeof y);
    yn[3] = NAN;
    ck_assert_int_eq(nnt_train_arrays(config_text(""), X, N_ROWS, 3, yn, 1, NULL, NULL, &m),
                     NNT_EINVAL);
    /* Bad configs. */
    ck_assert_int_eq(nnt_train_arrays("train: {epochs: -1}\n", X, N_ROWS, 3, y, 1, NULL, NULL, &m),
                     NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "train.epochs"));
    ck_assert_int_eq(nnt_train_yaml("data: [unclosed\n", NULL, NULL, &m), NNT_EINVAL);
    ck_assert_int_eq(nnt_train_yaml("nope: 1\n", NULL, NULL, &m), NNT_EINVAL);
    ck_assert_int_eq(nnt_train_file(path, NULL, NULL, &m), NNT_EINVAL); /* not YAML */
    /* network.sizes that do not fit the arrays. */
    ck_assert_int_eq(nnt_train_arrays("network: {sizes: [5, 3]}\n", X, N_ROWS, 3, y, 1, NULL,
                                      NULL, &m), NNT_EINVAL);
    ck_assert_ptr_null(m);

    /* A good model, then bad predict calls. */
    ck_assert_int_eq(nnt_train_arrays(config_text(""), X, N_ROWS, 3, y, 1, NULL, NULL, &m),
                     NNT_OK);
    ck_assert_int_eq(nnt_predict(m, X, N_ROWS, 2, out), NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "columns"));
    ck_assert_int_eq(nnt_predict(m, NULL, 2, 3, out), NNT_EINVAL);
    ck_assert_int_eq(nnt_predict(m, X, 2, 3, NULL), NNT_EINVAL);
    Xi[5] = NAN; /* no fill value in this model */
    ck_assert_int_eq(nnt_predict(m, Xi, N_ROWS, 3, out), NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "NaN"));
    ck_assert_int_eq(nnt_model_save(m, NULL), NNT_EINVAL);
    snprintf(path, sizeof path, "%s/no/such/dir/x.model", tmpdir);
    ck_assert_int_eq(nnt_model_save(m, path), NNT_EIO);
    nnt_model_free(m);

    /* A numeric column trained as categorical: its cells are category
     * indices now, and its raw values are refused (not whole numbers). */
    ck_assert_int_eq(nnt_train_arrays("data: {categorical: [x2], test_fraction: 0}\n"
                                      "network: {hidden: [4]}\ntrain: {epochs: 1}\n",
                                      X, N_ROWS, 3, y, 1, NULL, NULL, &m), NNT_OK);
    ck_assert_int_eq(nnt_model_feature_is_categorical(m, 2), 1);
    ck_assert_uint_gt(nnt_model_n_categories(m, 2), 1);
    float row[3] = {X[0], X[1], 0.25f};
    ck_assert_int_eq(nnt_predict(m, row, 1, 3, out), NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "category index"));
    row[2] = 1;
    ck_assert_int_eq(nnt_predict(m, row, 1, 3, out), NNT_OK);
    nnt_model_free(m);
}
END_TEST

/* ---- categorical features ------------------------------------------------------ */

/* A table with a text column (color), a numeric column trained as
 * categorical (size: 1, 2, 10, whose names sort as "1" < "10" < "2") and
 * a numeric one (x, multiples of 1/8: exact in a float and a CSV). */
static void write_categorical_csv(const char *path)
{
    static const char *const colors[] = {"red", "green", "blue"};
    static const int sizes[] = {1, 2, 10};
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "x,color,size,y\n");
    for (int i = 0; i < 150; i++) {
        int c = i % 3, z = (i / 3) % 3;
        double x = (double)((i * 7) % 16 - 8) / 8.0;
        int yes = (c == 0) != (x + (z == 2 ? 0.5 : 0) > 0.25);
        fprintf(f, "%g,%s,%d,%s\n", x, colors[c], sizes[z], yes ? "yes" : "no");
    }
    fclose(f);
}

/* Trains on write_categorical_csv's table (missing: data.missing), the
 * model also written to model_path. */
static nnt_model *train_categorical(const char *csv, const char *missing, const char *model_path)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "data:\n  train: %s\n  test_fraction: 0\n  categorical: [size]\n  missing: %s\n"
             "network:\n  hidden: [8]\n  activation: tanh\n"
             "train:\n  learning_rate: 0.1\n  batch_size: 8\n  epochs: 8\n  seed: 3\n"
             "  threads: 2\noutput:\n  model: %s\n", csv, missing, model_path);
    nnt_model *m = NULL;
    int rc = nnt_train_yaml(yaml, NULL, NULL, &m);
    ck_assert_msg(rc == NNT_OK, "%s: %s", nnt_status_name(rc), nnt_last_error());
    return m;
}

/* The index of category name in feature i of m; "" is missing (NaN), a
 * name the model does not list NNT_CATEGORY_UNSEEN. */
static float category_index(const nnt_model *m, size_t i, const char *name)
{
    if (!name[0])
        return NAN;
    for (size_t j = 0; j < nnt_model_n_categories(m, i); j++)
        if (strcmp(nnt_model_category_name(m, i, j), name) == 0)
            return (float)j;
    return (float)NNT_CATEGORY_UNSEEN;
}

/* Rows to predict: known, unseen and missing categories, a missing number. */
enum { CAT_ROWS = 9 };
static const char *const CAT_CELLS[CAT_ROWS][3] = {
    {"0.5", "red", "1"},     {"-0.25", "green", "10"}, {"0", "blue", "2"},
    {"0.125", "purple", "2"}, /* a color never seen */
    {"", "green", "1"},       /* x missing: the mean */
    {"0.25", "", "10"},       /* color missing: the most frequent */
    {"-0.5", "blue", ""},     /* size missing */
    {"0.75", "red", "3"},     /* a size never seen */
    {"1", "", ""},
};

START_TEST(test_categorical_predict)
{
    char csv[512], model_path[512], rows_csv[512];
    snprintf(csv, sizeof csv, "%s/cat.csv", tmpdir);
    snprintf(model_path, sizeof model_path, "%s/cat.model", tmpdir);
    snprintf(rows_csv, sizeof rows_csv, "%s/rows.csv", tmpdir);
    write_categorical_csv(csv);
    nnt_model *m = train_categorical(csv, "mean", model_path);

    /* The accessors. */
    ck_assert_uint_eq(nnt_model_n_features(m), 3);
    ck_assert_str_eq(nnt_model_feature_name(m, 1), "color");
    ck_assert_int_eq(nnt_model_feature_is_categorical(m, 0), 0);
    ck_assert_int_eq(nnt_model_feature_is_categorical(m, 1), 1);
    ck_assert_int_eq(nnt_model_feature_is_categorical(m, 2), 1);
    ck_assert_uint_eq(nnt_model_n_categories(m, 0), 0);
    ck_assert_uint_eq(nnt_model_n_categories(m, 1), 3);
    ck_assert_uint_eq(nnt_model_n_categories(m, 2), 3);
    ck_assert_uint_eq(nnt_model_n_categories(m, 3), 0);
    ck_assert_str_eq(nnt_model_category_name(m, 1, 0), "blue");
    ck_assert_str_eq(nnt_model_category_name(m, 1, 1), "green");
    ck_assert_str_eq(nnt_model_category_name(m, 1, 2), "red");
    ck_assert_str_eq(nnt_model_category_name(m, 2, 0), "1");
    ck_assert_str_eq(nnt_model_category_name(m, 2, 1), "10");
    ck_assert_str_eq(nnt_model_category_name(m, 2, 2), "2");
    ck_assert_ptr_null(nnt_model_category_name(m, 1, 3));
    ck_assert_ptr_null(nnt_model_category_name(m, 0, 0));
    ck_assert_ptr_null(nnt_model_category_name(m, 3, 0));

    /* The rows by index through the library... */
    float X[CAT_ROWS * 3], P[CAT_ROWS * 2];
    FILE *f = fopen(rows_csv, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "x,color,size\n");
    for (int i = 0; i < CAT_ROWS; i++) {
        const char *const *c = CAT_CELLS[i];
        fprintf(f, "%s,%s,%s\n", c[0], c[1], c[2]);
        X[i * 3] = c[0][0] ? strtof(c[0], NULL) : NAN;
        X[i * 3 + 1] = category_index(m, 1, c[1]);
        X[i * 3 + 2] = category_index(m, 2, c[2]);
    }
    fclose(f);
    ck_assert(X[3 * 3 + 1] == NNT_CATEGORY_UNSEEN && X[7 * 3 + 2] == NNT_CATEGORY_UNSEEN);
    int rc = nnt_predict(m, X, CAT_ROWS, 3, P);
    ck_assert_msg(rc == NNT_OK, "%s: %s", nnt_status_name(rc), nnt_last_error());
    for (int i = 0; i < CAT_ROWS; i++)
        ck_assert_float_eq_tol(P[i * 2] + P[i * 2 + 1], 1.0f, 1e-5f);

    /* ... equal the same rows as CSV text through the command's own steps
     * (tables_read, prep_apply, the network: cmd_predict's predict_table),
     * bit for bit. */
    cli_model cm;
    err_t err;
    ck_assert_msg(cli_load_model(model_path, &cm, &err) == 0, "%s", err.msg);
    cfg_t *cfg = malloc(sizeof *cfg);
    ck_assert_ptr_nonnull(cfg);
    ck_assert_int_eq(cfg_defaults(cfg, NULL), 0);
    table t;
    ck_assert_msg(tables_read(cfg, rows_csv, 0, &t, &err) == 0, "%s", err.msg);
    int64_t rows[CAT_ROWS];
    for (int i = 0; i < CAT_ROWS; i++)
        rows[i] = i;
    dataset d;
    ck_assert_msg(prep_apply(&cm.prep, &t, rows, CAT_ROWS, 0, &(prep_source){.name = rows_csv}, &d, &err) == 0, "%s",
                  err.msg);
    net_ws ws;
    ck_assert_int_eq(net_ws_create(&ws, &cm.net, CAT_ROWS, &err), 0);
    net_forward(&cm.net, &ws, d.x, CAT_ROWS);
    ck_assert_mem_eq(P, net_output(&cm.net, &ws), sizeof P);
    net_ws_free(&ws);
    dataset_free(&d);
    table_free(&t);
    free(cfg);
    cli_model_free(&cm);

    /* ... and `nntrain predict --all-digits` (%.9g: a float's exact value). */
    const char *nntrain = getenv("NNTRAIN");
    if (nntrain && nntrain[0]) {
        char cmd[2048], line[1024];
        snprintf(cmd, sizeof cmd, "'%s' predict -m '%s' --all-digits '%s'", nntrain, model_path,
                 rows_csv);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        int n = 0;
        while (fgets(line, sizeof line, p)) {
            ck_assert_int_lt(n, CAT_ROWS);
            for (int k = 0; k < 2; k++) {
                char key[64];
                snprintf(key, sizeof key, " %s=", nnt_model_class_name(m, (size_t)k));
                const char *at = strstr(line, key);
                ck_assert_msg(at != NULL, "no '%s' in %s", key, line);
                float v = strtof(at + strlen(key), NULL);
                ck_assert_msg(v == P[n * 2 + k], "row %d class %d: the command %.9g, the "
                              "library %.9g", n, k, v, P[n * 2 + k]);
            }
            n++;
        }
        ck_assert_int_eq(pclose(p), 0);
        ck_assert_int_eq(n, CAT_ROWS);
    }

    nnt_model_free(m);
}
END_TEST

/* Wrong categorical cells: an error naming the row, the feature and the
 * range; NaN without a fill category; NULL pointers. */
START_TEST(test_categorical_bad)
{
    char csv[512], model_path[512];
    snprintf(csv, sizeof csv, "%s/cat.csv", tmpdir);
    snprintf(model_path, sizeof model_path, "%s/cat.model", tmpdir);
    write_categorical_csv(csv);
    nnt_model *m = train_categorical(csv, "error", model_path);
    float X[3 * 3] = {0.5f, 2, 0, -0.25f, 1, 2, 0, 0, 1}, out[3 * 2];
    ck_assert_int_eq(nnt_predict(m, X, 3, 3, out), NNT_OK);
    static const float bad[] = {1.5f, 3, -2, 1e9f, -0.5f};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        X[2 * 3 + 1] = bad[b];
        ck_assert_int_eq(nnt_predict(m, X, 3, 3, out), NNT_EINVAL);
        const char *e = nnt_last_error();
        ck_assert_msg(strstr(e, "X[2][1]") && strstr(e, "'color'") && strstr(e, "0..2") &&
                      strstr(e, "-1"), "%s", e);
    }
    X[2 * 3 + 1] = INFINITY;
    ck_assert_int_eq(nnt_predict(m, X, 3, 3, out), NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "infinite"));
    X[2 * 3 + 1] = NAN; /* missing, and this model has no fill category */
    ck_assert_int_eq(nnt_predict(m, X, 3, 3, out), NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "NaN"));
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "'color'"));
    X[2 * 3 + 1] = -0.0f; /* a whole number: category 0 */
    ck_assert_int_eq(nnt_predict(m, X, 3, 3, out), NNT_OK);
    X[2 * 3 + 1] = (float)NNT_CATEGORY_UNSEEN;
    ck_assert_int_eq(nnt_predict(m, X, 3, 3, out), NNT_OK);
    X[2 * 3 + 2] = 3; /* size: 0..2 as well */
    ck_assert_int_eq(nnt_predict(m, X, 3, 3, out), NNT_EINVAL);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "'size'"));

    /* NULL pointers and handles. */
    ck_assert_int_eq(nnt_predict(m, NULL, 3, 3, out), NNT_EINVAL);
    ck_assert_int_eq(nnt_predict(m, X, 3, 3, NULL), NNT_EINVAL);
    ck_assert_uint_eq(nnt_model_n_categories(NULL, 1), 0);
    ck_assert_ptr_null(nnt_model_category_name(NULL, 1, 0));

    /* A model file whose preprocessing does not fit its network (a
     * network one input wider): refused at load, never read past. */
    cli_model cm;
    err_t err;
    ck_assert_int_eq(cli_load_model(model_path, &cm, &err), 0);
    uint8_t *blob;
    size_t len;
    ck_assert_int_eq(prep_write(&cm.prep, &blob, &len, &err), 0);
    net_t net;
    int sizes[] = {cm.net.sizes[0] + 1, 4, 2};
    net_act act[] = {ACT_TANH, ACT_SOFTMAX};
    ck_assert_int_eq(net_create(&net, 2, sizes, act, COST_CROSS_ENTROPY, &err), 0);
    char bad_path[600];
    snprintf(bad_path, sizeof bad_path, "%s/unfit.model", tmpdir);
    ck_assert_int_eq(model_save_with(bad_path, &net, blob, len, &err), 0);
    nnt_model *u = (nnt_model *)1;
    ck_assert_int_eq(nnt_model_load(bad_path, &u), NNT_EIO);
    ck_assert_ptr_null(u);
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "does not fit"));
    free(blob);
    net_free(&net);
    cli_model_free(&cm);
    nnt_model_free(m);
}
END_TEST

/* nnt_last_error is the calling thread's. */
START_TEST(test_error_per_thread)
{
    int other_set = 0;
    ck_assert_int_eq(nnt_predict(NULL, NULL, 0, 0, NULL), NNT_EINVAL);
    const char *mine = nnt_last_error();
#pragma omp parallel num_threads(2) reduction(+ : other_set)
    {
        if (omp_get_thread_num() == 1)
            other_set += nnt_last_error() == mine || strstr(nnt_last_error(), "the model") != NULL;
    }
    ck_assert_ptr_nonnull(strstr(nnt_last_error(), "the model is NULL"));
    ck_assert_int_eq(other_set, 0);
}
END_TEST

/* ---- the caller's locale --------------------------------------------------------- */

/* Counts the epochs whose callback ran in a locale with a decimal comma
 * (the caller's, given back to it for the callback). */
static int comma_epochs(void *user, const nnt_epoch_info *e)
{
    (void)e;
    *(int *)user += strcmp(localeconv()->decimal_point, ",") == 0;
    return 0;
}

/* Rows for a numeric column trained as categorical (data.categorical: x0,
 * category names such as "0.5") and x1 numeric: enough cells (rows x 17
 * inputs >= 2^20, all of them training rows) that prep_apply one-hot
 * encodes them on every thread. */
#define LOC_CAT_ROWS 65536
static void make_categorical_arrays(float *X, float *y)
{
    for (int i = 0; i < LOC_CAT_ROWS; i++) {
        int k = (i * 7) % 16;
        X[i * 2] = (float)k + 0.5f;                     /* 0.5 .. 15.5 */
        X[i * 2 + 1] = (float)((i * 13) % 64) / 64.0f;
        y[i] = (float)(k % 3 == 0);
    }
}

/* Everything the library reads and writes in one place per tag: a config
 * file and YAML text naming the CSV, arrays, and arrays with a numeric
 * column as categories; the models written to tmpdir/<what>-<tag>.model.
 * Each call leaves the caller's locale as it found it: decimal_point is
 * want_point again after it, and in the epoch callback. */
static void train_everywhere(const char *tag, const char *want_point, const float *X,
                             const float *y, const float *CX, const float *cy)
{
    char csv[512], cfg[512], model[512], data[1024], text[8192];
    snprintf(csv, sizeof csv, "%s/t.csv", tmpdir);
    snprintf(data, sizeof data, "  train: %s\n", csv);
    int commas = 0, rc;
    int comma = strcmp(want_point, ",") == 0;

    /* A config file, and the same as YAML text. */
    snprintf(cfg, sizeof cfg, "%s/f-%s.yaml", tmpdir, tag);
    snprintf(text, sizeof text, "%soutput:\n  model: %s/file-%s.model\n", config_text(data),
             tmpdir, tag);
    write_text(cfg, text);
    rc = nnt_train_file(cfg, comma_epochs, &commas, NULL);
    ck_assert_msg(rc == NNT_OK, "%s: file: %s: %s", tag, nnt_status_name(rc), nnt_last_error());
    ck_assert_str_eq(localeconv()->decimal_point, want_point);
    ck_assert_int_eq(commas, comma ? 12 : 0);
    snprintf(text, sizeof text, "%soutput:\n  model: %s/yaml-%s.model\n", config_text(data),
             tmpdir, tag);
    rc = nnt_train_yaml(text, comma_epochs, &commas, NULL);
    ck_assert_msg(rc == NNT_OK, "%s: yaml: %s: %s", tag, nnt_status_name(rc), nnt_last_error());
    ck_assert_str_eq(localeconv()->decimal_point, want_point);
    ck_assert_int_eq(commas, comma ? 24 : 0);

    /* Arrays, saved with nnt_model_save, loaded and predicting. */
    nnt_model *m = NULL;
    rc = nnt_train_arrays(config_text(""), X, N_ROWS, N_COLS, y, 1, comma_epochs, &commas, &m);
    ck_assert_msg(rc == NNT_OK, "%s: arrays: %s: %s", tag, nnt_status_name(rc), nnt_last_error());
    ck_assert_str_eq(localeconv()->decimal_point, want_point);
    ck_assert_int_eq(commas, comma ? 36 : 0);
    snprintf(model, sizeof model, "%s/arrays-%s.model", tmpdir, tag);
    ck_assert_int_eq(nnt_model_save(m, model), NNT_OK);
    ck_assert_str_eq(localeconv()->decimal_point, want_point);
    nnt_model_free(m);
    ck_assert_int_eq(nnt_model_load(model, &m), NNT_OK);
    ck_assert_str_eq(localeconv()->decimal_point, want_point);
    float P[N_ROWS * 3];
    ck_assert_int_eq(nnt_predict(m, X, N_ROWS, N_COLS, P), NNT_OK);
    ck_assert_str_eq(localeconv()->decimal_point, want_point);
    nnt_model_free(m);

    /* A numeric column as categories: names such as "0.5", made on the
     * calling thread when fitted and again on every thread when encoded. */
    rc = nnt_train_arrays("data: {categorical: [x0], test_fraction: 0}\n"
                          "network: {hidden: [4]}\n"
                          "train: {epochs: 1, batch_size: 256, seed: 3, threads: 2}\n",
                          CX, LOC_CAT_ROWS, 2, cy, 1, NULL, NULL, &m);
    ck_assert_msg(rc == NNT_OK, "%s: categorical: %s: %s", tag, nnt_status_name(rc),
                  nnt_last_error());
    ck_assert_str_eq(localeconv()->decimal_point, want_point);
    ck_assert_uint_eq(nnt_model_n_categories(m, 0), 16);
    ck_assert_str_eq(nnt_model_category_name(m, 0, 0), "0.5");
    snprintf(model, sizeof model, "%s/cat-%s.model", tmpdir, tag);
    ck_assert_int_eq(nnt_model_save(m, model), NNT_OK);
    nnt_model_free(m);
}

/* A caller whose locale has a decimal comma (setlocale: de_DE, compiled
 * as test_data's test_csv_comma_locale does) gets the models the "C"
 * locale gives, byte for byte, and its own locale back after each call:
 * the library reads and writes numbers in "C" whatever the caller's. */
START_TEST(test_caller_locale)
{
    float X[N_ROWS * N_COLS], y[N_ROWS];
    make_table(X, y);
    float *CX = malloc(sizeof *CX * LOC_CAT_ROWS * 2), *cy = malloc(sizeof *cy * LOC_CAT_ROWS);
    ck_assert(CX && cy);
    make_categorical_arrays(CX, cy);
    char csv[512];
    snprintf(csv, sizeof csv, "%s/t.csv", tmpdir);
    write_csv(csv, X, y);

    train_everywhere("c", ".", X, y, CX, cy);
    if (tu_comma_locale(tmpdir, "test_caller_locale")) {
        train_everywhere("de", ",", X, y, CX, cy);
        static const char *const what[] = {"file", "yaml", "arrays", "cat"};
        for (size_t i = 0; i < sizeof what / sizeof what[0]; i++) {
            char a[512], b[512];
            snprintf(a, sizeof a, "%s/%s-c.model", tmpdir, what[i]);
            snprintf(b, sizeof b, "%s/%s-de.model", tmpdir, what[i]);
            ck_assert_msg(same_files(a, b), "%s: a decimal comma gives another model", what[i]);
        }
        tu_c_locale();
    }
    free(CX);
    free(cy);
}
END_TEST

TU_MAIN_TMPDIR("lib", test_train_arrays_predict, test_same_bytes_as_command,
               test_same_bytes_data_keys, test_regression_and_missing, test_callback_stops, test_image_model,
               test_bad_calls, test_categorical_predict, test_categorical_bad,
               test_error_per_thread, test_caller_locale)
