/* cmd_plot: the `nntrain plot` command (commands.h; its options are in
 * src/main.c's tables).
 *
 *   nntrain plot curves    -o OUT.svg METRICS.csv...
 *   nntrain plot weights   -m MODEL -o OUT.png [--rows N --cols N] [--scale N] [--global]
 *   nntrain plot confusion -m MODEL -o OUT.png [-c CONFIG] [-s KEY=VALUE]... [data options]
 *   nntrain plot errors    -m MODEL -o OUT.png [--max N] [--scale N] [-c CONFIG] ...
 *
 * confusion and errors evaluate the model on the config's test set (or
 * --images/--labels), loaded as `nntrain eval` loads it. Like main(), this
 * is a top level: it prints every error, once, and returns the exit status
 * (0 done, 1 runtime failure, 2 bad usage or input). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cli.h"
#include "commands.h"
#include "curves.h"
#include "eval.h"
#include "idx.h"
#include "image.h"
#include "model.h"
#include "net.h"
#include "plot.h"


typedef struct {
    const char *what;
    const char *output;
    const char *model;
    const char *config;
    const char *data_dir;
    const char *images, *labels;
    const char *const *overrides; /* -s, in order */
    int n_overrides;
    int rows, cols, scale, max_images, global, quiet;
    char **files;
    int n_files;
} plot_opts;


/* A usage error of the command line (its usage text is main's). */
static const cli_command *plot_cmd;

static int usage_error(const char *msg)
{
    return cli_usage_error(plot_cmd, msg);
}

/* The model and the test set (or --images/--labels), as `nntrain eval`. */
static int load_model_and_data(const plot_opts *o, net_t *net, dataset *d, int *threads,
                               err_t *err)
{
    cli_model m;
    if (cli_load_model_and_data(o->config, o->overrides, o->n_overrides, o->data_dir, o->model,
                                o->images, o->labels, &m, d, threads, err) != 0)
        return -1;
    *net = m.net; /* the network is all a picture needs */
    m.net = (net_t){0};
    cli_model_free(&m);
    if (!d->labels || (!d->images && strcmp(o->what, "errors") == 0)) {
        const char *needs = d->labels ? "images" : "classes (a classification model)";
        dataset_free(d);
        net_free(net);
        return err_set(err, ERR_INPUT, "%s: plot %s needs %s", o->model, o->what, needs);
    }
    return 0;
}

/* ---- the four pictures ---------------------------------------------------- */

static int write_png(const plot_opts *o, const img_t *im, const char *what, err_t *err)
{
    if (img_write_png(o->output, im, err) != 0)
        return -1;
    if (!o->quiet)
        printf("%s: %s, %dx%d PNG\n", o->output, what, im->w, im->h);
    return 0;
}

static int plot_curves_cmd(const plot_opts *o)
{
    err_t err;
    err_clear(&err);
    if (o->n_files < 1)
        return usage_error("curves needs at least one metrics CSV file");
    if (o->n_files > CURVES_MAX_RUNS) {
        char m[96];
        snprintf(m, sizeof m, "curves takes at most %d metrics files", CURVES_MAX_RUNS);
        return usage_error(m);
    }
    curves_run *runs = calloc((size_t)o->n_files, sizeof *runs);
    if (!runs) {
        err_set(&err, ERR_RUNTIME, "out of memory");
        return cli_fail(&err);
    }
    int rc = 0, n = 0;
    for (; n < o->n_files; n++)
        if (curves_read_csv(o->files[n], &runs[n], &err) != 0)
            break;
    if (n < o->n_files || curves_write_svg(o->output, runs, n, &err) != 0)
        rc = cli_fail(&err);
    else if (!o->quiet)
        printf("%s: learning curves of %d run%s, SVG\n", o->output, n, n == 1 ? "" : "s");
    for (int k = 0; k < n; k++)
        curves_run_free(&runs[k]);
    free(runs);
    return rc;
}

static int plot_weights_cmd(const plot_opts *o)
{
    err_t err;
    err_clear(&err);
    net_t net = {0};
    img_t im = {0};
    int rc = 0, rows = o->rows, cols = o->cols;
    if (model_load(o->model, &net, &err) != 0)
        goto fail;
    int n_in = net.sizes[0];
    if (!rows && !cols) { /* square images, as MNIST's 28x28 */
        int s = (int)lround(sqrt((double)n_in));
        if (s * s != n_in) {
            err_set(&err, ERR_INPUT, "%s: %d inputs is not a square image: give --rows and --cols",
                    o->model, n_in);
            goto fail;
        }
        rows = cols = s;
    } else if (!rows || !cols) {
        int given = rows ? rows : cols;
        if (n_in % given != 0) {
            err_set(&err, ERR_INPUT, "%s: %d inputs are not a whole number of rows of %d",
                    o->model, n_in, given);
            goto fail;
        }
        if (!rows)
            rows = n_in / cols;
        else
            cols = n_in / rows;
    }
    if (plot_weights(&net, rows, cols, o->scale ? o->scale : 3, o->global, &im, &err) != 0) {
        err_prefix(&err, "%s", o->model);
        goto fail;
    }
    char what[96];
    snprintf(what, sizeof what, "weights of %d units (%dx%d)", net.sizes[1], rows, cols);
    if (write_png(o, &im, what, &err) != 0)
        goto fail;
    goto done;
fail:
    rc = cli_fail(&err);
done:
    img_free(&im);
    net_free(&net);
    return rc;
}

static int plot_confusion_cmd(const plot_opts *o)
{
    err_t err;
    err_clear(&err);
    net_t net = {0};
    dataset d = {0};
    eval_result r = {0};
    img_t im = {0};
    int rc = 0, threads = 0;
    if (load_model_and_data(o, &net, &d, &threads, &err) != 0 ||
        eval_dataset(&net, &d, threads, 1, &r, &err) != 0 ||
        plot_confusion(r.confusion, r.n_classes, &im, &err) != 0)
        goto fail;
    char what[96];
    snprintf(what, sizeof what, "confusion matrix, accuracy %.2f%% (%d/%d)", 100.0 * r.accuracy,
             r.correct, r.n);
    if (write_png(o, &im, what, &err) != 0)
        goto fail;
    goto done;
fail:
    rc = cli_fail(&err);
done:
    img_free(&im);
    eval_result_free(&r);
    dataset_free(&d);
    net_free(&net);
    return rc;
}

static int plot_errors_cmd(const plot_opts *o)
{
    err_t err;
    err_clear(&err);
    net_t net = {0};
    dataset d = {0};
    img_t im = {0};
    int *pred = NULL;
    int rc = 0, threads = 0;
    if (load_model_and_data(o, &net, &d, &threads, &err) != 0)
        goto fail;
    pred = malloc(((size_t)d.n + 1) * sizeof *pred);
    if (!pred) {
        err_set(&err, ERR_RUNTIME, "out of memory");
        goto fail;
    }
    if (plot_predict(&net, &d, pred, &err) != 0 ||
        plot_errors(&d, pred, o->max_images ? o->max_images : 100, o->scale ? o->scale : 2, &im,
                    &err) != 0)
        goto fail;
    int wrong = 0;
    for (int i = 0; i < d.n; i++)
        wrong += pred[i] != d.labels[i];
    char what[96];
    snprintf(what, sizeof what, "%d of %d examples misclassified", wrong, d.n);
    if (write_png(o, &im, what, &err) != 0)
        goto fail;
    goto done;
fail:
    rc = cli_fail(&err);
done:
    free(pred);
    img_free(&im);
    dataset_free(&d);
    net_free(&net);
    return rc;
}

/* ---- the command ------------------------------------------------------------ */

int cmd_plot(const cli_options *c)
{
    plot_cmd = &c->command;
    plot_opts o = {.what = c->files[0], .output = c->output, .model = c->model,
                   .config = c->config, .data_dir = c->data_dir, .images = c->images,
                   .labels = c->labels, .overrides = c->overrides, .n_overrides = c->n_overrides, .rows = c->rows,
                   .cols = c->cols, .scale = c->scale, .max_images = c->max_images,
                   .global = c->global, .quiet = c->quiet, .files = c->files + 1,
                   .n_files = c->n_files - 1};
    int is_curves = strcmp(o.what, "curves") == 0;
    if (!is_curves && strcmp(o.what, "weights") != 0 && strcmp(o.what, "confusion") != 0 &&
        strcmp(o.what, "errors") != 0) {
        char m[160];
        snprintf(m, sizeof m, "unknown picture '%.64s' (curves, weights, confusion, errors)", o.what);
        return usage_error(m);
    }
    if (is_curves)
        return plot_curves_cmd(&o);
    if (o.n_files > 0)
        return usage_error("only curves takes file arguments");
    if (!o.model) {
        char m[64];
        snprintf(m, sizeof m, "%s needs -m MODEL", o.what);
        return usage_error(m);
    }
    if (strcmp(o.what, "weights") == 0)
        return plot_weights_cmd(&o);
    if (strcmp(o.what, "confusion") == 0)
        return plot_confusion_cmd(&o);
    return plot_errors_cmd(&o);
}
