/* cmd_serve: the `nntrain serve` command (commands.h; its options are in
 * src/main.c's tables): loads
 * the model and a few test digits (an image model) or its preprocessing (a
 * table model: no samples, the API takes features, api.h), starts the HTTP server (serve.h) and
 * waits for SIGINT or SIGTERM. Like main(), a top level: it prints every
 * error once and returns the exit status (0 stopped by a signal as asked,
 * 1 runtime failure, 2 bad usage or input). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cfg.h"
#include "cli.h"
#include "commands.h"
#include "eval.h"
#include "idx.h"
#include "model.h"
#include "net.h"
#include "prep.h"
#include "serve.h"

typedef struct {
    const char *model, *bind, *config, *data_dir, *images, *labels;
    const char *const *overrides; /* -s, in order */
    int n_overrides, port, threads, quiet;
} serve_opts;

/* The digits to pick from: --images/--labels, else the config's test set.
 * Without either option a missing test set only costs the samples (a
 * warning); an explicit one that cannot be read is an error. */
static int load_samples(const serve_opts *o, const net_t *net, dataset *d, err_t *err)
{
    int explicit_data = o->images || o->config || o->data_dir || o->n_overrides;
    int rc;
    if (o->images) {
        rc = idx_load_dataset(o->images, o->labels, API_MAX_SAMPLES, d, err);
    } else {
        cfg_t *c = malloc(sizeof *c);
        if (!c)
            return err_set(err, ERR_RUNTIME, "out of memory");
        rc = cli_load_config(o->config, o->overrides, o->n_overrides, o->data_dir, c, err);
        if (rc == 0)
            rc = cli_load_data(c, c->test_images, c->test_labels, API_MAX_SAMPLES, d, err);
        free(c);
    }
    if (rc == 0 && (rc = eval_check_data(net, d, "samples", err)) != 0)
        dataset_free(d);
    if (rc != 0 && !explicit_data) {
        if (!o->quiet)
            fprintf(stderr, "nntrain: serve: no test digits to pick from (%s)\n", err->msg);
        memset(d, 0, sizeof *d);
        err_clear(err);
        return 0;
    }
    return rc;
}

static int run(const serve_opts *o)
{
    err_t err;
    err_clear(&err);
    cli_model m;
    dataset d = {0};
    serve_t *server = NULL;
    api_t api = {0};
    int rc = 0;
    if (cli_load_model(o->model, &m, &err) != 0)
        return cli_fail(&err);
    if (m.has_prep) {
        if (o->images)
            err_set(&err, ERR_INPUT, "%s: a table model: --images/--labels are for image models",
                    o->model);
        if (o->images || api_init_table(&api, &m.net, &m.prep, &err) != 0)
            goto fail;
    } else {
        if (load_samples(o, &m.net, &d, &err) != 0)
            goto fail;
        api_init(&api, &m.net, &d);
    }

    /* SIGINT and SIGTERM are blocked before the server's threads start, so
     * they inherit the mask and only sigwait below ever takes them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (serve_start(&server, &api, o->bind, o->port, o->threads, &err) != 0)
        goto fail;
    if (o->quiet) {
        printf("%s\n", serve_url(server));
    } else {
        printf("nntrain serve: open %s  (model %s: ", serve_url(server), o->model);
        for (int l = 0; l <= m.net.n_layers; l++)
            printf("%s%d", l ? "-" : "", m.net.sizes[l]);
        if (m.has_prep)
            printf(", a %s table model on %d features; Ctrl-C stops)\n",
                   m.prep.task == PREP_CLASSIFICATION ? "classification" : "regression",
                   m.prep.n_features);
        else
            printf(", %d test digits; Ctrl-C stops)\n", d.n);
    }
    fflush(stdout);
    int sig;
    sigwait(&stop, &sig);
    serve_stop(server);
    if (!o->quiet)
        printf("nntrain serve: stopped by %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    goto done;
fail:
    rc = cli_fail(&err);
done:
    api_free(&api);
    dataset_free(&d);
    cli_model_free(&m);
    return rc;
}

int cmd_serve(const cli_options *c)
{
    serve_opts o = {.model = c->model, .bind = c->bind, .config = c->config,
                    .data_dir = c->data_dir, .images = c->images, .labels = c->labels,
                    .overrides = c->overrides, .n_overrides = c->n_overrides, .port = c->port, .threads = c->threads,
                    .quiet = c->quiet};
    if (!*o.bind)
        return cli_usage_error(&c->command, "--bind needs an address, e.g. 127.0.0.1");
    return run(&o);
}
