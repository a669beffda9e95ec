/* cmd_predict: `nntrain predict -m MODEL FILE...`: for an image model, the
 * predicted class and the output activations of each image of an IDX file
 * or a PGM image; for a table model, each row of a table file (CSV or
 * NumPy; the label columns, if there, are left out) as a class name and
 * every class's probability, or the targets in their own units. The
 * command table in src/main.c has checked the options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cli.h"
#include "commands.h"
#include "eval.h"
#include "fsx.h"
#include "idx.h"
#include "model.h"
#include "net.h"
#include "pgm.h"
#include "tables.h"

static void print_prediction(const char *name, long long i, const net_t *net, const float *out,
                             int all_digits)
{
    int n = net->sizes[net->n_layers];
    if (i >= 0)
        printf("%s[%lld]: %d ", name, i, eval_argmax(out, n));
    else
        printf("%s: %d ", name, eval_argmax(out, n));
    for (int j = 0; j < n; j++)
        printf(all_digits ? " %.9g" : " %.4f", out[j]);
    printf("\n");
}

/* One file: a PGM image (starts with 'P') or an IDX file of images. */
static int predict_file(const net_t *net, net_ws *ws, float *x, const char *path, int all_digits,
                        err_t *err)
{
    int n_in = net->sizes[0];
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: %s", path, strerror(errno));
    int first = fgetc(f);
    fclose(f);
    if (first == 'P') {
        int rows, cols;
        uint8_t *px;
        if (pgm_read(path, &rows, &cols, &px, err) != 0)
            return -1;
        if (rows * cols != n_in) {
            free(px);
            return err_set(err, ERR_INPUT, "%s: image is %dx%d = %d pixels; the model takes %d inputs",
                           path, rows, cols, rows * cols, n_in);
        }
        dataset_scale_pixels(px, n_in, x);
        free(px);
        net_forward(net, ws, x, 1);
        print_prediction(path, -1, net, net_output(net, ws), all_digits);
        return 0;
    }
    idx_array a;
    if (idx_read(path, &a, err) != 0)
        return -1;
    long long per = a.ndims > 1 ? a.count / a.dims[0] : a.count;
    if (per != n_in) {
        idx_array_free(&a);
        return err_set(err, ERR_INPUT, "%s: each image has %lld values; the model takes %d inputs",
                       path, per, n_in);
    }
    long long n = a.ndims > 1 ? a.dims[0] : 1;
    for (long long i = 0; i < n; i++) {
        dataset_scale_pixels(a.data + i * n_in, n_in, x);
        net_forward(net, ws, x, 1);
        print_prediction(path, i, net, net_output(net, ws), all_digits);
    }
    idx_array_free(&a);
    return 0;
}

/* One row's answer: "FILE[i]: CLASS  name=p ..." or "FILE[i]: v ...". */
static void print_table_row(const char *name, long long i, const prep_t *p, const float *out,
                            int all_digits)
{
    printf("%s[%lld]:", name, i);
    if (p->task == PREP_CLASSIFICATION) {
        printf(" %s ", prep_class_name(p, eval_argmax(out, p->n_classes)));
        for (int k = 0; k < p->n_classes; k++)
            printf(all_digits ? " %s=%.9g" : " %s=%.4f", prep_class_name(p, k), out[k]);
    } else {
        for (int k = 0; k < p->n_targets; k++)
            printf(all_digits ? " %.17g" : " %.6g", prep_target_value(p, k, out[k]));
    }
    printf("\n");
}

/* A CSV field: quoted when it holds a delimiter, quote or line break. */
static void put_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* -o's header: prediction, then one probability column per class (named
 * by the class), or one value per target (named by the target). */
static void write_csv_header(FILE *f, const prep_t *p)
{
    fputs("prediction", f);
    int n = p->task == PREP_CLASSIFICATION ? p->n_classes : p->n_targets > 1 ? p->n_targets : 0;
    for (int k = 0; k < n; k++) {
        fputc(',', f);
        put_field(f, p->task == PREP_CLASSIFICATION ? prep_class_name(p, k) : p->targets[k]);
    }
    fputc('\n', f);
}

/* One row of -o's CSV: the class name and each class's probability, or
 * the first target's value (and every target's, when there are several). */
static void write_csv_row(FILE *f, const prep_t *p, const float *out, int all_digits)
{
    if (p->task == PREP_CLASSIFICATION) {
        put_field(f, prep_class_name(p, eval_argmax(out, p->n_classes)));
        for (int k = 0; k < p->n_classes; k++)
            fprintf(f, all_digits ? ",%.9g" : ",%.6g", out[k]);
    } else {
        fprintf(f, all_digits ? "%.17g" : "%.8g", prep_target_value(p, 0, out[0]));
        for (int k = 0; p->n_targets > 1 && k < p->n_targets; k++)
            fprintf(f, all_digits ? ",%.17g" : ",%.8g", prep_target_value(p, k, out[k]));
    }
    fputc('\n', f);
}

/* What predicting a table carries from one piece of the file to the next. */
typedef struct {
    const cli_model *m;
    const cfg_t *cfg;
    const char *path;
    int all_digits;
    FILE *csv;        /* -o's file, or NULL: lines on stdout */
    net_ws ws;
    long long done;   /* rows answered so far (the next row's index) */
    err_t data_err;   /* a failure that is not a write's */
    int failed;
} predict_run;

/* One piece of the table (tables_each): the model's preprocessing, then the
 * network EVAL_BATCH rows at a time, each row's answer written in order. */
static int predict_rows(void *user, table *t, err_t *err)
{
    predict_run *r = user;
    dataset d;
    int64_t *rows = malloc((size_t)(t->n_rows + 1) * sizeof *rows);
    if (!rows)
        return err_set(err, ERR_RUNTIME, "out of memory");
    for (int64_t i = 0; i < t->n_rows; i++)
        rows[i] = i;
    prep_source src = tables_source(r->cfg, r->path, r->done); /* this piece's first record */
    int rc = prep_apply(&r->m->prep, t, rows, t->n_rows, 0, &src, &d, err);
    free(rows);
    if (rc != 0)
        return -1;
    const net_t *net = &r->m->net;
    int n_out = net->sizes[net->n_layers];
    for (int b = 0; b < d.n; b += EVAL_BATCH) {
        int B = d.n - b < EVAL_BATCH ? d.n - b : EVAL_BATCH;
        net_forward(net, &r->ws, d.x + (size_t)b * d.n_in, B);
        for (int i = 0; i < B; i++) {
            const float *out = net_output(net, &r->ws) + (size_t)i * n_out;
            if (r->csv)
                write_csv_row(r->csv, &r->m->prep, out, r->all_digits);
            else
                print_table_row(r->path, r->done + b + i, &r->m->prep, out, r->all_digits);
        }
    }
    r->done += d.n;
    dataset_free(&d);
    return 0;
}

/* fsx_write_fn for -o: the whole table streamed into the new file. A data
 * error is kept aside (fsx reports only write errors). */
static int write_predictions(FILE *f, const void *user)
{
    predict_run *r = (predict_run *)user;
    r->csv = f;
    write_csv_header(f, &r->m->prep);
    err_clear(&r->data_err);
    if (tables_each(r->cfg, r->path, READER_FEATURES_ONLY, predict_rows, r, &r->data_err) != 0) {
        r->failed = 1;
        errno = 0;
        return -1;
    }
    return 0;
}

/* A table file's rows through the model, a chunk of the file at a time
 * (tables_each), so a file larger than memory works: each row's answer on
 * stdout, or with out, a CSV (prediction, then per class or target). c
 * says how to read the file (CSV options). */
static int predict_table(const cli_model *m, const cfg_t *c, const char *path, const char *out,
                         int all_digits, err_t *err)
{
    predict_run r = {.m = m, .cfg = c, .path = path, .all_digits = all_digits};
    if (net_ws_create(&r.ws, &m->net, EVAL_BATCH, err) != 0)
        return -1;
    int rc;
    if (out && strcmp(out, "-") == 0) {
        /* -o -: the CSV on standard output as it is made (not atomic). */
        rc = write_predictions(stdout, &r);
        if (rc != 0)
            *err = r.data_err;
        else if (fflush(stdout) != 0 || ferror(stdout))
            rc = err_set(err, ERR_RUNTIME, "standard output: cannot write the predictions");
    } else if (out) {
        rc = fsx_write_atomic(out, "predictions", write_predictions, &r, err);
        if (rc != 0 && r.failed)
            *err = r.data_err;
    } else {
        rc = tables_each(c, path, READER_FEATURES_ONLY, predict_rows, &r, err);
    }
    net_ws_free(&r.ws);
    return rc;
}

int cmd_predict(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    cli_model m = {0};
    net_ws ws = {0};
    float *x = NULL;
    cfg_t *c = malloc(sizeof *c);
    int rc = 0;
    if (!c) {
        err_set(&err, ERR_RUNTIME, "out of memory");
        goto fail;
    }
    /* The config only says how to read table files (delimiter, header...). */
    if (cli_load_config(o->config, o->overrides, o->n_overrides, o->data_dir, c, &err) != 0 ||
        cli_load_model(o->model, &m, &err) != 0 || net_ws_create(&ws, &m.net, 1, &err) != 0)
        goto fail;
    x = malloc((size_t)m.net.sizes[0] * sizeof *x);
    if (!x) {
        err_set(&err, ERR_RUNTIME, "out of memory");
        goto fail;
    }
    if (o->output && (!m.has_prep || o->n_files != 1)) {
        err_set(&err, ERR_INPUT, "predict: -o writes one table file's predictions as CSV (%s)",
                m.has_prep ? "give one FILE" : "this is an image model: its answers go to stdout");
        goto fail;
    }
    for (int i = 0; i < o->n_files; i++)
        if ((m.has_prep ? predict_table(&m, c, o->files[i], o->output, o->all_digits, &err)
                        : predict_file(&m.net, &ws, x, o->files[i], o->all_digits, &err)) != 0)
            goto fail;
    goto done;
fail:
    rc = cli_fail(&err);
done:
    free(c);
    free(x);
    net_ws_free(&ws);
    cli_model_free(&m);
    return rc;
}
