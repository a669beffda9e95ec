/* cmd_serve: the `nntrain serve` command (declared in include/cli.h): loads
 * the model and a few test digits, starts the HTTP server (serve.h) and
 * waits for SIGINT or SIGTERM. Like main(), a top level: it prints every
 * error once and returns the exit status (0 stopped by a signal as asked,
 * 1 runtime failure, 2 bad usage or input). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cfg.h"
#include "cli.h"
#include "eval.h"
#include "idx.h"
#include "model.h"
#include "net.h"
#include "serve.h"

static const char serve_usage[] =
    "Usage: nntrain serve -m MODEL [--port N] [--bind ADDR] [--threads N]\n"
    "                     [-c CONFIG] [-s KEY=VALUE]... [--data-dir DIR] [--images F --labels F]\n";

static const char serve_help[] =
    "Serve a page where you draw a digit and watch every layer of MODEL\n"
    "respond, and its JSON API (doc/serve.md). Stop it with\n"
    "Ctrl-C (SIGINT) or SIGTERM; it then exits 0.\n"
    "\n"
    "Options:\n"
    "  -m, --model FILE     model file written by training (required)\n"
    "      --port N         TCP port, 0..65535; 0 picks a free one (default 8080)\n"
    "      --bind ADDR      address to listen on (default 127.0.0.1: this machine\n"
    "                       only; 0.0.0.0 or :: opens it to the network)\n"
    "      --threads N      threads answering requests (default: one per core, up to 16)\n"
    "  -c, --config FILE    config whose test set gives the digits to pick from\n"
    "                       (default: the built-in defaults, data/mnist)\n"
    "  -s, --set KEY=VALUE  override one config value; repeatable\n"
    "      --data-dir DIR   directory with the data files\n"
    "      --images FILE    IDX images to pick digits from instead of the test set\n"
    "      --labels FILE    IDX labels that go with --images\n"
    "  -q, --quiet          print only the address\n";

typedef struct {
    const char *model, *bind, *config, *data_dir, *images, *labels;
    const char *overrides[CLI_MAX_OVERRIDES];
    int n_overrides, port, threads, quiet;
} serve_opts;

static const cli_command serve_cmd = {"serve", serve_usage};

static int usage_error(const char *msg)
{
    return cli_usage_error(&serve_cmd, msg);
}

/* The digits to pick from: --images/--labels, else the config's test set.
 * Without either option a missing test set only costs the samples (a
 * warning); an explicit one that cannot be read is an error. */
static int load_samples(const serve_opts *o, const net_t *net, idx_dataset *d, err_t *err)
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
        idx_dataset_free(d);
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
    net_t net = {0};
    idx_dataset d = {0};
    serve_t *server = NULL;
    api_t api;
    int rc = 0;
    if (model_load(o->model, &net, &err) != 0 || load_samples(o, &net, &d, &err) != 0)
        goto fail;
    api_init(&api, &net, &d);

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
        for (int l = 0; l <= net.n_layers; l++)
            printf("%s%d", l ? "-" : "", net.sizes[l]);
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
    idx_dataset_free(&d);
    net_free(&net);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    enum { OPT_PORT = 256, OPT_BIND, OPT_THREADS, OPT_DATA_DIR, OPT_IMAGES, OPT_LABELS };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},
        {"port", required_argument, NULL, OPT_PORT},
        {"bind", required_argument, NULL, OPT_BIND},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"data-dir", required_argument, NULL, OPT_DATA_DIR},
        {"images", required_argument, NULL, OPT_IMAGES},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    serve_opts o = {.bind = "127.0.0.1", .port = 8080};
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":m:c:s:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm': o.model = optarg; break;
        case 'c': o.config = optarg; break;
        case 'q': o.quiet = 1; break;
        case OPT_BIND: o.bind = optarg; break;
        case OPT_DATA_DIR: o.data_dir = optarg; break;
        case OPT_IMAGES: o.images = optarg; break;
        case OPT_LABELS: o.labels = optarg; break;
        case OPT_PORT:
            if (cli_parse_int(&serve_cmd, "--port", optarg, 0, 65535, &o.port) != 0)
                return 2;
            break;
        case OPT_THREADS:
            if (cli_parse_int(&serve_cmd, "--threads", optarg, 1, SERVE_MAX_THREADS,
                              &o.threads) != 0)
                return 2;
            break;
        case 's':
            if (cli_add_override(&serve_cmd, o.overrides, &o.n_overrides, optarg) != 0)
                return 2;
            break;
        case 'h':
            printf("%s\n%s", serve_usage, serve_help);
            return 0;
        default:
            return cli_option_error(ch, argv[optind - 1], serve_usage);
        }
    }
    if (optind < argc)
        return usage_error("serve takes no file arguments (the model is -m MODEL)");
    if (!o.model)
        return usage_error("serve needs -m MODEL");
    if (!o.images != !o.labels)
        return usage_error("--images and --labels go together");
    if (!*o.bind)
        return usage_error("--bind needs an address, e.g. 127.0.0.1");
    return run(&o);
}
