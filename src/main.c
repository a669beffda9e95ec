/* nntrain: the command line: options, help, and the eval, predict and
 * export commands; train lives in cmd_train.c, plot in cmd_plot.c, serve in
 * cmd_serve.c. Every error is
 * printed once, and picks the exit code: 0 done, 1 runtime failure, 2 bad
 * usage, config, data or model file, 130/143 stopped by SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cfg.h"
#include "cli.h"
#include "eval.h"
#include "export.h"
#include "idx.h"
#include "kernels.h"
#include "model.h"
#include "net.h"
#include "pgm.h"
#include "ranks.h"
#include "plot.h"


static const char usage_text[] =
    "Usage: nntrain [train] -c CONFIG [-s KEY=VALUE]... [--data-dir DIR] [--resume CKPT] [-q]\n"
    "       nntrain eval -m MODEL [-c CONFIG] [-s KEY=VALUE]... [--images F --labels F]\n"
    "       nntrain predict -m MODEL [--all-digits] FILE...\n"
    "       nntrain export -m MODEL -o FILE.onnx|FILE.npz\n"
    "       nntrain plot curves|weights|confusion|errors ... (nntrain plot --help)\n"
    "       nntrain serve -m MODEL [--port N] [--bind ADDR] ... (nntrain serve --help)\n"
    "       nntrain --help | --version\n";

static const char help_text[] =
    "Train fully connected neural networks (multi-layer perceptrons) with\n"
    "mini-batch SGD, data-parallel over every core (OpenMP).\n"
    "\n"
    "Commands:\n"
    "  train (default)  train as CONFIG says; print one line per epoch and the\n"
    "                   final test accuracy; save the model and metrics if the\n"
    "                   config names output paths. A config with a sweep:\n"
    "                   section runs every trial of the sweep and writes a\n"
    "                   ranked results table (configs/README.md, Sweeps)\n"
    "  eval             accuracy and confusion matrix of a saved model on\n"
    "                   the config's test set (or --images/--labels)\n"
    "  predict          the predicted class and the output activations of each\n"
    "                   image of an IDX file or a PGM image\n"
    "  export           the model for other programs: an ONNX model (.onnx: ONNX\n"
    "                   Runtime, PyTorch, browsers...) or NumPy arrays (.npz)\n"
    "  plot             pictures: learning curves (SVG), first-layer weights,\n"
    "                   confusion matrix, misclassified digits (PNG)\n"
    "  serve            a web page to draw digits on and watch every layer of\n"
    "                   the model respond, and its JSON API (127.0.0.1:8080)\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    YAML config (reference: configs/README.md)\n"
    "  -s, --set KEY=VALUE  override one config value, e.g. -s train.learning_rate=0.5\n"
    "                       or -s network.sizes=[784,100,10]; repeatable, applied in order\n"
    "      --resume CKPT    continue training from a checkpoint (output.checkpoint),\n"
    "                       or from the newest *.ckpt in a directory; the config\n"
    "                       must be the one it was made with (epochs, threads,\n"
    "                       output.* and where the data files are may change).\n"
    "                       The result is bitwise the same as\n"
    "                       an uninterrupted run's\n"
    "      --data-dir DIR   directory with the data files (same as -s data.dir=DIR);\n"
    "                       relative data dirs are looked up under $NNTRAIN_DATA,\n"
    "                       else under ./data\n"
    "  -m, --model FILE     model file written by training (eval, predict, export)\n"
    "  -o, --output FILE    the file export writes; its extension picks the format\n"
    "      --all-digits     predict: 9 significant digits per activation (the float\n"
    "                       exactly) instead of 4 decimals\n"
    "      --images FILE    IDX images to evaluate on (eval)\n"
    "      --labels FILE    IDX labels to evaluate on (eval)\n"
    "  -q, --quiet          no progress bar or per-epoch lines\n"
    "  -h, --help           this help\n"
    "  -V, --version        version\n"
    "\n"
    "Environment:\n"
    "  NNTRAIN_DATA         root for relative data.dir values (default ./data)\n"
    "  NNTRAIN_KERNELS      avx512, avx2, neon or portable (default: the best this CPU\n"
    "                       runs; --version lists them); every path gives the same bits\n"
    "  OMP_NUM_THREADS      ignored: set train.threads instead (0 = every core)\n"
    "\n"
    "Signals: SIGINT (Ctrl-C) or SIGTERM stops training after the current\n"
    "mini-batch, writes a checkpoint if output.checkpoint is set and prints how\n"
    "to resume; a second one quits at once. During the last epoch's evaluation\n"
    "a signal is ignored: the run finishes and saves its model (exit 0).\n"
    "\n"
    "Exit status: 0 done, 1 runtime failure (I/O, memory, divergence),\n"
    "2 bad usage, config, data, model or checkpoint file,\n"
    "130 stopped by SIGINT, 143 stopped by SIGTERM.\n"
    "\n"
    "Example:\n"
    "  nntrain -c configs/mnist.yaml -s train.epochs=5\n";



static const cli_command nntrain_cmd = {NULL, usage_text};

static int usage_error(const char *msg)
{
    return cli_usage_error(&nntrain_cmd, msg);
}

static void print_confusion(const eval_result *r)
{
    int n = r->n_classes;
    printf("confusion matrix (rows: true class, columns: predicted)\n     ");
    for (int j = 0; j < n; j++)
        printf(" %5d", j);
    printf("\n");
    for (int i = 0; i < n; i++) {
        printf("%5d", i);
        for (int j = 0; j < n; j++)
            printf(" %5lld", r->confusion[(size_t)i * n + j]);
        printf("\n");
    }
}

static int cmd_eval(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    if (!o->model)
        return usage_error("eval needs -m MODEL");
    if (!o->images != !o->labels)
        return usage_error("--images and --labels go together");
    net_t net = {0};
    idx_dataset d = {0};
    eval_result r = {0};
    int rc = 0, threads = 0;
    if (cli_load_model_and_data(o->config, o->overrides, o->n_overrides, o->data_dir, o->model,
                                o->images, o->labels, &net, &d, &threads, &err) != 0 ||
        eval_dataset(&net, &d, threads, 1, &r, &err) != 0)
        goto fail;
    printf("accuracy: %.2f%% (%d/%d), mean cost %.4f\n", 100.0 * r.accuracy, r.correct, r.n,
           r.mean_cost);
    if (r.n_classes <= 20)
        print_confusion(&r);
    goto done;
fail:
    rc = cli_fail(&err);
done:
    eval_result_free(&r);
    net_free(&net);
    idx_dataset_free(&d);
    return rc;
}

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
        eval_scale_pixels(px, n_in, x);
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
        eval_scale_pixels(a.data + i * n_in, n_in, x);
        net_forward(net, ws, x, 1);
        print_prediction(path, i, net, net_output(net, ws), all_digits);
    }
    idx_array_free(&a);
    return 0;
}

static int cmd_predict(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    if (!o->model)
        return usage_error("predict needs -m MODEL");
    if (o->n_files == 0)
        return usage_error("predict needs at least one IDX or PGM file");
    net_t net = {0};
    net_ws ws = {0};
    float *x = NULL;
    int rc = 0;
    if (model_load(o->model, &net, &err) != 0 || net_ws_create(&ws, &net, 1, &err) != 0)
        goto fail;
    x = malloc((size_t)net.sizes[0] * sizeof *x);
    if (!x) {
        err_set(&err, ERR_RUNTIME, "out of memory");
        goto fail;
    }
    for (int i = 0; i < o->n_files; i++)
        if (predict_file(&net, &ws, x, o->files[i], o->all_digits, &err) != 0)
            goto fail;
    goto done;
fail:
    rc = cli_fail(&err);
done:
    free(x);
    net_ws_free(&ws);
    net_free(&net);
    return rc;
}

/* nntrain export -m MODEL -o FILE: the format from FILE's extension. */
static int cmd_export(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    if (!o->model)
        return usage_error("export needs -m MODEL");
    if (!o->output)
        return usage_error("export needs -o FILE.onnx or -o FILE.npz");
    if (o->n_files > 0)
        return usage_error("export takes no file arguments");
    export_format fmt;
    net_t net = {0};
    if (export_format_of(o->output, &fmt, &err) != 0 || model_load(o->model, &net, &err) != 0 ||
        export_file(o->output, &net, &err) != 0) {
        net_free(&net);
        return cli_fail(&err);
    }
    if (!o->quiet)
        printf("%s: %s model written to %s\n", o->model, fmt == EXPORT_ONNX ? "ONNX" : "NumPy",
               o->output);
    net_free(&net);
    return 0;
}

static int run(int argc, char **argv)
{
    enum { OPT_DATA_DIR = 256, OPT_IMAGES, OPT_LABELS, OPT_RESUME, OPT_ALL_DIGITS };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"model", required_argument, NULL, 'm'},
        {"data-dir", required_argument, NULL, OPT_DATA_DIR},
        {"images", required_argument, NULL, OPT_IMAGES},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"resume", required_argument, NULL, OPT_RESUME},
        {"output", required_argument, NULL, 'o'},
        {"all-digits", no_argument, NULL, OPT_ALL_DIGITS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    /* The kernel path first: NNTRAIN_KERNELS naming a path this machine
     * cannot run is refused before any work, never replaced by another. */
    err_t kerr;
    if (kern_use_env(&kerr) != 0) {
        fprintf(stderr, "nntrain: %s\n", kerr.msg);
        return 2;
    }
    /* plot and serve have options of their own: each parses its whole command line. */
    if (argc > 1 && strcmp(argv[1], "plot") == 0)
        return cmd_plot(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    cli_options o = {0};
    const char *cmd = "train";
    if (argc > 1 && argv[1][0] != '-') {
        cmd = argv[1];
        argv++;
        argc--;
    }
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":c:s:m:o:qhV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o.config = optarg; break;
        case 'm': o.model = optarg; break;
        case 'o': o.output = optarg; break;
        case OPT_ALL_DIGITS: o.all_digits = 1; break;
        case 'q': o.quiet = 1; break;
        case OPT_DATA_DIR: o.data_dir = optarg; break;
        case OPT_IMAGES: o.images = optarg; break;
        case OPT_LABELS: o.labels = optarg; break;
        case OPT_RESUME: o.resume = optarg; break;
        case 's':
            if (cli_add_override(&nntrain_cmd, o.overrides, &o.n_overrides, optarg) != 0)
                return 2;
            break;
        case 'h':
            printf("%s\n%s", usage_text, help_text);
            return 0;
        case 'V':
            printf("nntrain %s (kernels: %s; this CPU runs %s)\n", PACKAGE_VERSION, kern_isa(),
                   kern_available());
            return 0;
        default:
            return cli_option_error(ch, argv[optind - 1], usage_text);
        }
    }
    o.files = argv + optind;
    o.n_files = argc - optind;
    if (strcmp(cmd, "train") == 0) {
        if (!o.config)
            return usage_error("train needs -c CONFIG (try configs/mnist.yaml)");
        if (o.n_files > 0)
            return usage_error("train takes no file arguments");
        return cmd_train(&o);
    }
    if (o.resume)
        return usage_error("--resume is for training");
    if (o.output && strcmp(cmd, "export") != 0)
        return usage_error("-o is for export");
    if (o.all_digits && strcmp(cmd, "predict") != 0)
        return usage_error("--all-digits is for predict");
    if (strcmp(cmd, "eval") == 0) {
        if (o.n_files > 0)
            return usage_error("eval takes no file arguments");
        return cmd_eval(&o);
    }
    if (strcmp(cmd, "predict") == 0)
        return cmd_predict(&o);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(&o);
    char m[256];
    snprintf(m, sizeof m, "unknown command '%s' (commands: train, eval, predict, export, plot, serve)", cmd);
    return usage_error(m);
}

/* Under mpirun (the MPI build), the process first joins its job (ranks.h). */
int main(int argc, char **argv)
{
    err_t err;
    if (ranks_init(&argc, &argv, &err) != 0) {
        fprintf(stderr, "nntrain: %s\n", err.msg);
        return 1;
    }
    int rc = run(argc, argv);
    ranks_finalize();
    return rc;
}
