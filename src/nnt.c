/* nnt: the public C API of libnntrain (include/nntrain.h) over the
 * modules the command uses: cfg for configs, run for a training run
 * (run_setup, run_train, run_finish: the command's own steps, so the
 * same config gives the same bits), model and prep for model files,
 * net for prediction. Every exported function is marked NNT_API; the
 * rest of the library is compiled with hidden visibility.
 *
 * Numbers are read and written in the "C" locale whatever the caller's
 * (setlocale to one with a decimal comma would make strtod stop at "0.2"):
 * each entry point that reads, writes or formats a number switches its
 * thread to "C" (uselocale: that thread alone) for the call, and back to
 * the caller's before it returns and around the epoch callback. */
#include "nntrain.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cfg.h"
#include "c_locale.h"
#include "err.h"
#include "kernels.h"
#include "model.h"
#include "net.h"
#include "prep.h"
#include "run.h"
#include "table.h"
#include "train.h"

struct nnt_model {
    net_t net;
    prep_t prep;   /* a table model's preprocessing (has_prep) */
    int has_prep;
};

/* ---- errors ------------------------------------------------------------------- */

static _Thread_local char last_error[sizeof ((err_t *)0)->msg];

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

/* An err_t from the modules: ERR_INPUT is the caller's input, ERR_RUNTIME
 * the work (out of memory told apart by its message). */
static int fail_err(const err_t *e, int input_status)
{
    snprintf(last_error, sizeof last_error, "%s", e->msg);
    if (strstr(e->msg, "out of memory"))
        return NNT_ENOMEM;
    return e->code == ERR_INPUT ? input_status : NNT_ERUNTIME;
}

NNT_API const char *nnt_last_error(void)
{
    return last_error;
}

NNT_API const char *nnt_status_name(int status)
{
    static const char *const names[] = {"NNT_OK", "NNT_EINVAL", "NNT_EIO", "NNT_ENOMEM",
                                        "NNT_ESTOPPED", "NNT_ERUNTIME"};
    return status >= 0 && status < (int)(sizeof names / sizeof names[0]) ? names[status]
                                                                        : "unknown status";
}

NNT_API const char *nnt_version(void)
{
    return PACKAGE_VERSION;
}

/* The kernels are chosen (NNTRAIN_KERNELS, else the best this CPU runs)
 * before any computation, so that a bad choice is an error here and
 * never the kernels' own exit on first use. */
static int kernels_ready(void)
{
    static atomic_int ready;
    if (atomic_load(&ready))
        return NNT_OK;
    err_t err;
    if (kern_use_env(&err) != 0)
        return fail_err(&err, NNT_EINVAL);
    atomic_store(&ready, 1);
    return NNT_OK;
}

/* ---- the C locale --------------------------------------------------------------- */

/* Switches the calling thread to the "C" locale; *old is the locale to
 * give back to leave_c. NNT_OK, or an error when there is no "C" locale
 * object (newlocale out of memory); the thread's locale is then as it was. */
static int enter_c(locale_t *old)
{
    locale_t c = c_locale();
    if (!c)
        return errno == ENOMEM ? fail(NNT_ENOMEM, "out of memory (newlocale)")
                               : fail(NNT_ERUNTIME, "newlocale(\"C\") failed");
    *old = uselocale(c);
    if (!*old) /* uselocale fails only on a bad argument */
        return fail(NNT_ERUNTIME, "uselocale(\"C\") failed");
    return NNT_OK;
}

/* Gives the thread back the caller's locale; returns rc. */
static int leave_c(locale_t old, int rc)
{
    uselocale(old);
    return rc;
}

/* ---- models ------------------------------------------------------------------- */

NNT_API void nnt_model_free(nnt_model *m)
{
    if (!m)
        return;
    if (m->has_prep)
        prep_free(&m->prep);
    net_free(&m->net);
    free(m);
}

static int load_model(const char *path, nnt_model **out)
{
    if (!path || !out)
        return fail(NNT_EINVAL, "nnt_model_load: %s is NULL", path ? "out" : "path");
    nnt_model *m = calloc(1, sizeof *m);
    if (!m)
        return fail(NNT_ENOMEM, "out of memory");
    err_t err;
    uint8_t *extra = NULL;
    size_t len = 0;
    if (model_load_with(path, &m->net, &extra, &len, &err) != 0) {
        free(m);
        return fail_err(&err, NNT_EIO) == NNT_ENOMEM ? NNT_ENOMEM : NNT_EIO;
    }
    if (extra) {
        int rc = prep_read(&m->prep, extra, len, path, &err);
        free(extra);
        if (rc != 0) {
            net_free(&m->net);
            free(m);
            return fail_err(&err, NNT_EIO) == NNT_ENOMEM ? NNT_ENOMEM : NNT_EIO;
        }
        m->has_prep = 1;
        /* As cli_load_model checks: predict relies on the sizes agreeing. */
        const prep_t *pp = &m->prep;
        int n_out = m->net.sizes[m->net.n_layers];
        if (pp->n_inputs != m->net.sizes[0] ||
            n_out != (pp->task == PREP_CLASSIFICATION ? pp->n_classes : pp->n_targets)) {
            nnt_model_free(m);
            return fail(NNT_EIO, "%s: the preprocessing does not fit the network (corrupt)",
                        path);
        }
    }
    *out = m;
    return NNT_OK;
}

NNT_API int nnt_model_load(const char *path, nnt_model **out)
{
    if (out)
        *out = NULL;
    locale_t old;
    int rc = enter_c(&old);
    return rc != NNT_OK ? rc : leave_c(old, load_model(path, out));
}

static int save_model(const nnt_model *m, const char *path)
{
    if (!m || !path)
        return fail(NNT_EINVAL, "nnt_model_save: %s is NULL", m ? "path" : "the model");
    err_t err;
    int rc;
    if (!m->has_prep) {
        rc = model_save(path, &m->net, &err);
    } else {
        uint8_t *blob;
        size_t len;
        if (prep_write(&m->prep, &blob, &len, &err) != 0)
            return fail_err(&err, NNT_EINVAL);
        rc = model_save_with(path, &m->net, blob, len, &err);
        free(blob);
    }
    return rc != 0 ? (fail_err(&err, NNT_EIO) == NNT_ENOMEM ? NNT_ENOMEM : NNT_EIO) : NNT_OK;
}

NNT_API int nnt_model_save(const nnt_model *m, const char *path)
{
    locale_t old;
    int rc = enter_c(&old);
    return rc != NNT_OK ? rc : leave_c(old, save_model(m, path));
}

NNT_API size_t nnt_model_n_features(const nnt_model *m)
{
    if (!m)
        return 0;
    return m->has_prep ? (size_t)m->prep.n_features : (size_t)m->net.sizes[0];
}

NNT_API size_t nnt_model_n_outputs(const nnt_model *m)
{
    return m ? (size_t)m->net.sizes[m->net.n_layers] : 0;
}

NNT_API int nnt_model_task(const nnt_model *m)
{
    if (!m)
        return -1;
    return m->has_prep && m->prep.task == PREP_REGRESSION ? NNT_REGRESSION : NNT_CLASSIFICATION;
}

NNT_API int nnt_model_is_table(const nnt_model *m)
{
    return m ? m->has_prep : -1;
}

NNT_API const char *nnt_model_feature_name(const nnt_model *m, size_t i)
{
    return m && m->has_prep && i < (size_t)m->prep.n_features ? m->prep.features[i].name : NULL;
}

NNT_API int nnt_model_feature_is_categorical(const nnt_model *m, size_t i)
{
    return m && m->has_prep && i < (size_t)m->prep.n_features && m->prep.features[i].categorical;
}

/* Feature i's prep_feature when it is categorical, else NULL. */
static const prep_feature *categorical_feature(const nnt_model *m, size_t i)
{
    if (!m || !m->has_prep || i >= (size_t)m->prep.n_features ||
        !m->prep.features[i].categorical)
        return NULL;
    return &m->prep.features[i];
}

NNT_API size_t nnt_model_n_categories(const nnt_model *m, size_t i)
{
    const prep_feature *f = categorical_feature(m, i);
    return f ? (size_t)f->n_cats : 0;
}

NNT_API const char *nnt_model_category_name(const nnt_model *m, size_t i, size_t j)
{
    const prep_feature *f = categorical_feature(m, i);
    return f && j < (size_t)f->n_cats ? f->cats[j] : NULL;
}

NNT_API size_t nnt_model_n_classes(const nnt_model *m)
{
    return m && m->has_prep && m->prep.task == PREP_CLASSIFICATION ? (size_t)m->prep.n_classes
                                                                   : 0;
}

NNT_API const char *nnt_model_class_name(const nnt_model *m, size_t k)
{
    return k < nnt_model_n_classes(m) ? m->prep.classes[k] : NULL;
}

NNT_API const char *nnt_model_target_name(const nnt_model *m, size_t k)
{
    return m && m->has_prep && k < (size_t)m->prep.n_targets ? m->prep.targets[k] : NULL;
}

/* ---- prediction --------------------------------------------------------------- */

#define PREDICT_ROWS 256 /* rows per forward pass */

/* Row i of X (n_cols values) as the network's inputs: an image's pixels
 * scaled; a table's numeric features as prep_apply computes them (the
 * same expression, so the same bits as evaluation on a file), and each
 * categorical feature's cell, a category index (NNT_CATEGORY_UNSEEN: all
 * zeros; NaN: the fill category), one-hot as prep_apply makes it. */
static int prepare_row(const nnt_model *m, const float *row, size_t i, float *in)
{
    if (!m->has_prep) {
        for (int j = 0; j < m->net.sizes[0]; j++) {
            if (!isfinite(row[j]))
                return fail(NNT_EINVAL, "nnt_predict: X[%zu][%d] is %s", i, j,
                            isnan(row[j]) ? "NaN" : "infinite");
            in[j] = row[j] * (1.0f / 255.0f);
        }
        return NNT_OK;
    }
    const prep_t *p = &m->prep;
    int first = 0; /* the feature's first input */
    for (int j = 0; j < p->n_features; j++) {
        const prep_feature *f = &p->features[j];
        double v = row[j];
        if (isinf(v))
            return fail(NNT_EINVAL, "nnt_predict: X[%zu][%d] (%sfeature '%s') is infinite", i, j,
                        f->categorical ? "categorical " : "", f->name);
        if (f->categorical) {
            int k;
            if (isnan(v)) {
                if (f->fill_cat < 0)
                    return fail(NNT_EINVAL, "nnt_predict: X[%zu][%d] (categorical feature '%s') "
                                "is NaN (missing), and the model has no fill category for it "
                                "(trained with data.missing: error)", i, j, f->name);
                k = f->fill_cat;
            } else if (v != floor(v) || v < NNT_CATEGORY_UNSEEN || v >= f->n_cats) {
                return fail(NNT_EINVAL, "nnt_predict: X[%zu][%d] (categorical feature '%s') is "
                            "%.9g: a category index 0..%d expected, or %d for a category not "
                            "seen in training", i, j, f->name, v, f->n_cats - 1,
                            NNT_CATEGORY_UNSEEN);
            } else {
                k = (int)v;
            }
            memset(in + first, 0, (size_t)f->n_cats * sizeof *in);
            if (k >= 0) /* NNT_CATEGORY_UNSEEN: all zeros, as for an unseen category in a file */
                in[first + k] = 1.0f;
            first += f->n_cats;
            continue;
        }
        if (isnan(v)) {
            if (isnan(f->fill))
                return fail(NNT_EINVAL, "nnt_predict: X[%zu][%d] (feature '%s') is NaN (missing), "
                            "and the model has no fill value for it (trained with data.missing: "
                            "error)", i, j, f->name);
            v = f->fill;
        }
        in[first++] = (float)((v - f->offset) / f->scale);
    }
    return NNT_OK;
}

static int predict(const nnt_model *m, const float *X, size_t n_rows, size_t n_cols, float *out)
{
    if (!m || (!X && n_rows) || (!out && n_rows))
        return fail(NNT_EINVAL, "nnt_predict: %s is NULL", !m ? "the model" : !X ? "X" : "out");
    size_t d = nnt_model_n_features(m);
    if (n_cols != d)
        return fail(NNT_EINVAL, "nnt_predict: X has %zu columns; the model takes %zu", n_cols, d);
    if (n_rows == 0)
        return NNT_OK;
    int rc = kernels_ready();
    if (rc != NNT_OK)
        return rc;
    const net_t *net = &m->net;
    int n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    net_ws ws;
    err_t err;
    if (net_ws_create(&ws, net, PREDICT_ROWS, &err) != 0)
        return fail_err(&err, NNT_EINVAL);
    float *in = malloc((size_t)PREDICT_ROWS * n_in * sizeof *in);
    if (!in) {
        net_ws_free(&ws);
        return fail(NNT_ENOMEM, "out of memory");
    }
    int regression = nnt_model_task(m) == NNT_REGRESSION;
    for (size_t r0 = 0; r0 < n_rows && rc == NNT_OK; r0 += PREDICT_ROWS) {
        int B = n_rows - r0 < PREDICT_ROWS ? (int)(n_rows - r0) : PREDICT_ROWS;
        for (int i = 0; i < B && rc == NNT_OK; i++)
            rc = prepare_row(m, X + (r0 + i) * n_cols, r0 + i, in + (size_t)i * n_in);
        if (rc != NNT_OK)
            break;
        net_forward(net, &ws, in, B);
        const float *o = net_output(net, &ws);
        float *dst = out + r0 * n_out;
        if (!regression) {
            memcpy(dst, o, (size_t)B * n_out * sizeof *dst);
        } else {
            for (int i = 0; i < B; i++)
                for (int k = 0; k < n_out; k++)
                    dst[(size_t)i * n_out + k] =
                        (float)prep_target_value(&m->prep, k, o[(size_t)i * n_out + k]);
        }
    }
    free(in);
    net_ws_free(&ws);
    return rc;
}

/* In "C" too: its messages give numbers (%.9g). */
NNT_API int nnt_predict(const nnt_model *m, const float *X, size_t n_rows, size_t n_cols,
                        float *out)
{
    locale_t old;
    int rc = enter_c(&old);
    return rc != NNT_OK ? rc : leave_c(old, predict(m, X, n_rows, n_cols, out));
}

/* ---- training ------------------------------------------------------------------ */

typedef struct {
    nnt_epoch_fn fn;
    void *user;
    int aborted;
    locale_t caller; /* the caller's locale, the callback's while it runs */
} epoch_hook;

static int on_epoch(void *user, const train_epoch_stats *s)
{
    epoch_hook *h = user;
    if (!h->fn)
        return 0;
    nnt_epoch_info info = {
        .epoch = s->epoch,
        .epochs = s->epochs,
        .train_loss = s->train_loss,
        .eval_loss = s->eval_loss,
        .eval_accuracy = s->eval_accuracy,
        .learning_rate = s->learning_rate,
        .seconds = s->seconds,
        .eval_rmse = s->regression ? s->eval_rmse : -1,
        .eval_mae = s->regression ? s->eval_mae : -1,
        .eval_r2 = s->regression ? s->eval_r2 : NAN,
    };
    locale_t c = uselocale(h->caller);
    int rc = h->fn(h->user, &info);
    uselocale(c);
    if (rc < 0)
        h->aborted = 1;
    return rc != 0;
}

/* One run of a validated config, as the command's train_one runs it
 * (run.h's steps), on the config's data files or on tt. */
static int train_config(cfg_t *c, const table *tt, nnt_epoch_fn fn, void *user, locale_t caller,
                        nnt_model **out)
{
    int rc = kernels_ready();
    if (rc != NNT_OK)
        return rc;
    /* The metrics file is the command's report (report.h), not a run's. */
    c->metrics_path[0] = '\0';
    nnt_model *m = calloc(1, sizeof *m);
    if (!m)
        return fail(NNT_ENOMEM, "out of memory");
    err_t err;
    err_clear(&err);
    run_t r;
    run_args args = {.write_files = 1, .train_table = tt};
    epoch_hook h = {fn, user, 0, caller};
    train_hooks hooks = {NULL, on_epoch, &h};
    if (run_setup(&r, c, &args, &err) != 0) {
        rc = fail_err(&err, NNT_EINVAL);
        goto done;
    }
    int trc = run_train(&r, &hooks, &err);
    if (trc == -1) {
        rc = fail_err(&err, NNT_EINVAL);
        goto done;
    }
    if (h.aborted) {
        rc = fail(NNT_ESTOPPED, "training aborted by the epoch callback");
        goto done;
    }
    if (trc != 0) { /* no stop flag, no pause: cannot happen */
        rc = fail(NNT_ERUNTIME, "training ended early (status %d)", trc);
        goto done;
    }
    if (run_finish(&r, &err) != 0) {
        rc = fail_err(&err, NNT_EIO);
        goto done;
    }
    /* The model: the run's network and preprocessing, moved out of it. */
    m->net = r.net;
    memset(&r.net, 0, sizeof r.net);
    if (r.has_prep) {
        m->prep = r.prep;
        m->has_prep = 1;
        r.has_prep = 0;
    }
    if (out) {
        *out = m;
        m = NULL;
    }
    rc = NNT_OK;
done:
    run_free(&r);
    nnt_model_free(m);
    return rc;
}

static int train_loaded(cfg_t *c, int load_rc, const err_t *err, const table *tt,
                        nnt_epoch_fn fn, void *user, locale_t caller, nnt_model **out)
{
    err_t verr;
    int rc;
    if (load_rc != 0)
        rc = fail_err(err, NNT_EINVAL);
    else if (cfg_validate(c, &verr) != 0)
        rc = fail_err(&verr, NNT_EINVAL);
    else
        rc = train_config(c, tt, fn, user, caller, out);
    free(c);
    return rc;
}

static int train_file(const char *path, nnt_epoch_fn on_epoch_fn, void *user, locale_t caller,
                      nnt_model **out)
{
    if (!path)
        return fail(NNT_EINVAL, "nnt_train_file: path is NULL");
    cfg_t *c = malloc(sizeof *c);
    if (!c)
        return fail(NNT_ENOMEM, "out of memory");
    err_t err;
    int lrc = cfg_load(path, c, &err);
    return train_loaded(c, lrc, &err, NULL, on_epoch_fn, user, caller, out);
}

NNT_API int nnt_train_file(const char *path, nnt_epoch_fn on_epoch_fn, void *user,
                           nnt_model **out)
{
    if (out)
        *out = NULL;
    locale_t old;
    int rc = enter_c(&old);
    return rc != NNT_OK ? rc : leave_c(old, train_file(path, on_epoch_fn, user, old, out));
}

/* Defaults, then yaml when given. */
static int load_yaml(const char *yaml, cfg_t *c, err_t *err)
{
    if (!yaml || !yaml[0])
        return cfg_defaults(c, err);
    return cfg_load_string(yaml, "<config>", c, err);
}

static int train_yaml(const char *yaml, nnt_epoch_fn on_epoch_fn, void *user, locale_t caller,
                      nnt_model **out)
{
    cfg_t *c = malloc(sizeof *c);
    if (!c)
        return fail(NNT_ENOMEM, "out of memory");
    err_t err;
    int lrc = load_yaml(yaml, c, &err);
    return train_loaded(c, lrc, &err, NULL, on_epoch_fn, user, caller, out);
}

NNT_API int nnt_train_yaml(const char *yaml, nnt_epoch_fn on_epoch_fn, void *user,
                           nnt_model **out)
{
    if (out)
        *out = NULL;
    locale_t old;
    int rc = enter_c(&old);
    return rc != NNT_OK ? rc : leave_c(old, train_yaml(yaml, on_epoch_fn, user, old, out));
}

/* 1 when every one of v[0..n) is finite. An exponent of all ones (NaN,
 * infinity) plus one carries into the sign bit: integer operations only,
 * which the compiler vectorises. */
static int all_finite(const float *v, size_t n)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &v[i], sizeof b);
        acc |= (b & 0x7f800000u) + 0x00800000u;
    }
    return !(acc & 0x80000000u);
}

/* X and y as the table a reader would make of them (npy_to_table's
 * names): "x0".."x{d-1}", then "y" or "y0".."y{k-1}"; NaN in X missing.
 * The columns borrow the arrays (table.h: column j of X is X + j, a row
 * every d floats): nothing is copied, and t must not outlive X and y. */
static int arrays_table(const float *X, size_t n, size_t d, const float *y, size_t k, table *t)
{
    err_t err;
    if (table_init(t, (int32_t)(d + k), &err) != 0)
        return fail_err(&err, NNT_EINVAL);
    t->n_rows = (int64_t)n;
    for (size_t j = 0; j < d + k; j++) {
        table_col *col = &t->cols[j];
        char name[32];
        if (j < d)
            snprintf(name, sizeof name, "x%zu", j);
        else if (k == 1)
            snprintf(name, sizeof name, "y");
        else
            snprintf(name, sizeof name, "y%zu", j - d);
        col->kind = TABLE_NUMERIC;
        col->name = strdup(name);
        col->num = (float *)(j < d ? X + j : y + (j - d)); /* read only: borrowed */
        col->stride = (int64_t)(j < d ? d : k);
        col->borrowed = 1;
        if (!col->name)
            return fail(NNT_ENOMEM, "out of memory for a table of %zu x %zu", n, d + k);
    }
    /* Non-finite cells: a block of rows at a time, and only a block that
     * has one is looked at cell by cell, in the order (block, column, row)
     * that names the first bad cell. */
    enum { BLOCK = 128 };
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t i1 = n - i0 < BLOCK ? n : i0 + BLOCK;
        if (all_finite(X + i0 * d, (i1 - i0) * d) && all_finite(y + i0 * k, (i1 - i0) * k))
            continue;
        for (size_t j = 0; j < d + k; j++) {
            for (size_t i = i0; i < i1; i++) {
                float v = j < d ? X[i * d + j] : y[i * k + (j - d)];
                if (isinf(v) || (j >= d && isnan(v)))
                    return fail(NNT_EINVAL, "nnt_train_arrays: %s[%zu][%zu] is %s",
                                j < d ? "X" : "y", i, j < d ? j : j - d,
                                isnan(v) ? "NaN" : "infinite");
                if (isnan(v) && table_set_missing(t, (int32_t)j, (int64_t)i, &err) != 0)
                    return fail_err(&err, NNT_EINVAL);
            }
        }
    }
    return NNT_OK;
}

static int train_arrays(const char *yaml, const float *X, size_t n_rows, size_t n_cols,
                        const float *y, size_t y_cols, nnt_epoch_fn on_epoch_fn, void *user,
                        locale_t caller, nnt_model **out)
{
    if (!X || !y)
        return fail(NNT_EINVAL, "nnt_train_arrays: %s is NULL", !X ? "X" : "y");
    if (n_rows < 1 || n_rows > INT32_MAX)
        return fail(NNT_EINVAL, "nnt_train_arrays: %zu rows; 1 to %d expected", n_rows, INT32_MAX);
    if (n_cols < 1 || n_cols > 100000)
        return fail(NNT_EINVAL, "nnt_train_arrays: X has %zu columns; 1 to 100000 expected",
                    n_cols);
    if (y_cols < 1 || y_cols > PREP_MAX_TARGETS)
        return fail(NNT_EINVAL, "nnt_train_arrays: y has %zu columns; 1 to %d expected", y_cols,
                    PREP_MAX_TARGETS);
    cfg_t *c = malloc(sizeof *c);
    if (!c)
        return fail(NNT_ENOMEM, "out of memory");
    err_t err;
    if (load_yaml(yaml, c, &err) != 0) {
        free(c);
        return fail_err(&err, NNT_EINVAL);
    }
    if (c->task == CFG_TASK_CLASSIFICATION && y_cols != 1) {
        free(c);
        return fail(NNT_EINVAL, "nnt_train_arrays: a classifier takes one label column; y has "
                    "%zu (data.task: regression for several targets)", y_cols);
    }
    /* The arrays stand for data.train: a table's defaults (cfg_validate:
     * softmax and cross-entropy, or linear and quadratic, by data.task). */
    snprintf(c->train_table, sizeof c->train_table, "(arrays)");
    c->test_table[0] = '\0';
    c->label.n = 0;
    c->ignore.n = 0;
    c->features.n = 0;
    table t;
    memset(&t, 0, sizeof t);
    int rc = arrays_table(X, n_rows, n_cols, y, y_cols, &t);
    if (rc == NNT_OK) {
        c->label.n = (int)y_cols;
        for (size_t j = 0; j < y_cols; j++)
            snprintf(c->label.v[j], sizeof c->label.v[j], "%s", t.cols[n_cols + j].name);
        rc = train_loaded(c, 0, &err, &t, on_epoch_fn, user, caller, out);
    } else {
        free(c);
    }
    table_free(&t);
    return rc;
}

NNT_API int nnt_train_arrays(const char *yaml, const float *X, size_t n_rows, size_t n_cols,
                             const float *y, size_t y_cols, nnt_epoch_fn on_epoch_fn, void *user,
                             nnt_model **out)
{
    if (out)
        *out = NULL;
    locale_t old;
    int rc = enter_c(&old);
    return rc != NNT_OK ? rc
                        : leave_c(old, train_arrays(yaml, X, n_rows, n_cols, y, y_cols, on_epoch_fn,
                                                    user, old, out));
}
