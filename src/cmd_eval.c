/* cmd_eval: `nntrain eval -m MODEL [FILE...]`: the model's accuracy, mean
 * cost and confusion matrix (a regression: RMSE, MAE, R²) on the config's
 * test set (or --images/--labels), or, for a table model, on each table
 * FILE. The command table in src/main.c has checked the options. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "eval.h"
#include "idx.h"
#include "net.h"
#include "tables.h"

/* Rows: true class, columns: predicted; by name when the model names its
 * classes, else by number. */
static void print_confusion(const eval_result *r, const cli_model *m)
{
    int n = r->n_classes, named = m->has_prep;
    printf("confusion matrix (rows: true class, columns: predicted)\n%*s", named ? 12 : 5, "");
    for (int j = 0; j < n; j++) {
        if (named)
            printf(" %8.8s", prep_class_name(&m->prep, j));
        else
            printf(" %5d", j);
    }
    printf("\n");
    for (int i = 0; i < n; i++) {
        if (named)
            printf("%12.12s", prep_class_name(&m->prep, i));
        else
            printf("%5d", i);
        for (int j = 0; j < n; j++)
            printf(named ? " %8lld" : " %5lld", r->confusion[(size_t)i * n + j]);
        printf("\n");
    }
}

/* What eval prints of r, the model m's results on d. */
static void print_metrics(const eval_result *r, const cli_model *m, const dataset *d)
{
    if (d->labels) {
        printf("accuracy: %.2f%% (%d/%d), mean cost %.4f", 100.0 * r->accuracy, r->correct, r->n,
               r->mean_cost);
        if (m->has_prep)
            printf(", macro F1 %.4f, log loss %.4f", r->macro_f1, r->log_loss);
        printf("\n");
        if (r->n_classes <= 20)
            print_confusion(r, m);
    } else {
        printf("RMSE %.6g, MAE %.6g, R² %.4f (%d examples), mean cost %.6g\n", r->mean_rmse,
               r->mean_mae, r->mean_r2, r->n, r->mean_cost);
        for (int k = 0; r->n_targets > 1 && k < r->n_targets; k++)
            printf("  %s: RMSE %.6g, MAE %.6g, R² %.4f\n",
                   m->has_prep ? m->prep.targets[k] : "?", r->rmse[k], r->mae[k], r->r2[k]);
    }
}

/* One table file through a table model: every row, in the file's order,
 * through the model's preprocessing (columns found by name, the label
 * columns needed), as `eval -c CONFIG -s data.test=FILE` sees it. c says
 * how to read the file and how many threads evaluate. */
static int eval_table(const cli_model *m, const cfg_t *c, const char *path, eval_result *r,
                      dataset *d, err_t *err)
{
    table t;
    if (tables_read(c, path, READER_WITH_LABELS, &t, err) != 0)
        return -1;
    int rc = -1;
    int64_t *rows = NULL;
    for (int j = 0; j < m->prep.n_targets; j++)
        if (table_find(&t, m->prep.targets[j]) < 0) {
            err_set(err, ERR_INPUT, "%s: no column '%s', the model's label: eval compares it "
                    "with the predictions (predict answers rows without labels)", path,
                    m->prep.targets[j]);
            goto done;
        }
    rows = malloc((size_t)(t.n_rows + 1) * sizeof *rows);
    if (!rows) {
        err_set(err, ERR_RUNTIME, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < t.n_rows; i++)
        rows[i] = i;
    prep_source src = tables_source(c, path, 0);
    /* t is not read again: its rows may become the inputs */
    if (prep_apply_consumed(&m->prep, &t, rows, t.n_rows, 1, &src, d, err) != 0 ||
        eval_dataset(&m->net, d, c->threads, d->labels != NULL, r, err) != 0)
        goto done;
    rc = 0;
done:
    free(rows);
    table_free(&t);
    return rc;
}

/* eval -m MODEL FILE...: each table file's metrics, after a line naming
 * the file when there are several. */
static int eval_files(const cli_options *o, err_t *err)
{
    cli_model m = {0};
    int rc = -1;
    cfg_t *c = malloc(sizeof *c);
    if (!c)
        return err_set(err, ERR_RUNTIME, "out of memory");
    /* The config only says how to read the files (delimiter, header...). */
    if (cli_load_config(o->config, o->overrides, o->n_overrides, o->data_dir, c, err) != 0 ||
        cli_load_model(o->model, &m, err) != 0)
        goto done;
    if (!m.has_prep) {
        err_set(err, ERR_INPUT, "%s: an image model: FILE arguments are tables for a table "
                "model (give the images with --images/--labels, or -c CONFIG)", o->model);
        goto done;
    }
    if (o->images) {
        err_set(err, ERR_INPUT, "%s: a table model: --images/--labels are for image models",
                o->model);
        goto done;
    }
    for (int i = 0; i < o->n_files; i++) {
        dataset d = {0};
        eval_result r = {0};
        int failed = eval_table(&m, c, o->files[i], &r, &d, err) != 0;
        if (!failed) {
            if (o->n_files > 1)
                printf("%s:\n", o->files[i]);
            print_metrics(&r, &m, &d);
        }
        eval_result_free(&r);
        dataset_free(&d);
        if (failed)
            goto done;
    }
    rc = 0;
done:
    cli_model_free(&m);
    free(c);
    return rc;
}

int cmd_eval(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    if (o->n_files > 0)
        return eval_files(o, &err) != 0 ? cli_fail(&err) : 0;
    cli_model m = {0};
    dataset d = {0};
    eval_result r = {0};
    int rc = 0, threads = 0;
    if (cli_load_model_and_data(o->config, o->overrides, o->n_overrides, o->data_dir, o->model,
                                o->images, o->labels, &m, &d, &threads, &err) != 0 ||
        eval_dataset(&m.net, &d, threads, d.labels != NULL, &r, &err) != 0)
        goto fail;
    print_metrics(&r, &m, &d);
    goto done;
fail:
    rc = cli_fail(&err);
done:
    eval_result_free(&r);
    cli_model_free(&m);
    dataset_free(&d);
    return rc;
}
