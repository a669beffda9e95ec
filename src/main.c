/* nntrain: the command line. Two tables drive it, one row each, as the
 * config keys are in src/cfg.c:
 *
 *   OPTIONS[]   every option of every command: its names, its value and
 *               where that goes in cli_options, its range, its help line;
 *   COMMANDS[]  every command: its function (src/cmd_*.c), summary, usage,
 *               the options it takes and needs, its operands.
 *
 * From them come the dispatch, `--help` and `nntrain CMD --help`, and every
 * usage check (an option another command's, a required one missing,
 * operands where none go, --images without --labels). The commands print
 * their own errors once and return the exit code: 0 done, 1 runtime
 * failure, 2 bad usage, config, data or model file, 130/143 stopped by
 * SIGINT/SIGTERM. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cli.h"
#include "commands.h"
#include "kernels.h"
#include "net.h"
#include "ranks.h"
#include "serve.h"

/* ---- options -------------------------------------------------------------- */

typedef enum {
    O_CONFIG, O_SET, O_MODEL, O_OUTPUT, O_DATA_DIR, O_IMAGES, O_LABELS, O_RESUME,
    O_ALL_DIGITS, O_PORT, O_BIND, O_THREADS, O_ROWS, O_COLS, O_SCALE, O_GLOBAL, O_MAX,
    O_QUIET, O_HELP, O_VERSION, N_OPTIONS
} option_id;

#define OPT(id) (1u << (id))

typedef enum {
    V_STRING, /* const char * field = the value */
    V_LIST,   /* appended to overrides (-s) */
    V_INT,    /* int field = the value, a whole number lo..hi */
    V_FLAG,   /* int field = 1 */
    V_ACTION  /* --help, --version: handled by main */
} value_kind;

typedef struct {
    char short_name;      /* 0: none */
    const char *name;     /* --NAME */
    value_kind kind;
    size_t field;         /* offsetof(cli_options, ...) */
    const char *arg;      /* the value's name in help and messages ("FILE") */
    int lo, hi;           /* V_INT's range */
    option_id pair;       /* given only together with this one (N_OPTIONS: no rule) */
    const char *help;
} option_row;

#define F(x) offsetof(cli_options, x)
static const option_row OPTIONS[N_OPTIONS] = {
    [O_CONFIG] = {'c', "config", V_STRING, F(config), "CONFIG", 0, 0, N_OPTIONS,
                  "YAML config (reference: configs/README.md)"},
    [O_SET] = {'s', "set", V_LIST, 0, "KEY=VALUE", 0, 0, N_OPTIONS,
               "override one config value, e.g. -s train.learning_rate=0.5 or\n"
               "-s network.sizes=[784,100,10]; repeatable, applied in order"},
    [O_MODEL] = {'m', "model", V_STRING, F(model), "MODEL", 0, 0, N_OPTIONS,
                 "model file written by training"},
    [O_OUTPUT] = {'o', "output", V_STRING, F(output), "FILE", 0, 0, N_OPTIONS,
                  "the file to write: export's extension picks the format (.onnx,\n"
                  ".npz); plot's picture (.svg for curves, else .png); predict's CSV"},
    [O_DATA_DIR] = {0, "data-dir", V_STRING, F(data_dir), "DIR", 0, 0, N_OPTIONS,
                    "directory with the data files (same as -s data.dir=DIR);\n"
                    "relative data dirs are looked up under $NNTRAIN_DATA, else ./data"},
    [O_IMAGES] = {0, "images", V_STRING, F(images), "FILE", 0, 0, O_LABELS,
                  "IDX images to use instead of the config's test set"},
    [O_LABELS] = {0, "labels", V_STRING, F(labels), "FILE", 0, 0, O_IMAGES,
                  "IDX labels that go with --images"},
    [O_RESUME] = {0, "resume", V_STRING, F(resume), "CKPT", 0, 0, N_OPTIONS,
                  "continue training from a checkpoint (output.checkpoint), or the\n"
                  "newest *.ckpt in a directory; the config must be the one it was\n"
                  "made with (epochs, threads, output.* and the data's location may\n"
                  "change). The result is bitwise an uninterrupted run's"},
    [O_ALL_DIGITS] = {0, "all-digits", V_FLAG, F(all_digits), NULL, 0, 0, N_OPTIONS,
                      "9 significant digits per activation (the float exactly)\n"
                      "instead of 4 decimals"},
    [O_PORT] = {0, "port", V_INT, F(port), "N", 0, 65535, N_OPTIONS,
                "TCP port; 0 picks a free one (default 8080)"},
    [O_BIND] = {0, "bind", V_STRING, F(bind), "ADDR", 0, 0, N_OPTIONS,
                "address to listen on (default 127.0.0.1: this machine only;\n"
                "0.0.0.0 or :: opens it to the network)"},
    [O_THREADS] = {0, "threads", V_INT, F(threads), "N", 1, SERVE_MAX_THREADS, N_OPTIONS,
                   "threads answering requests (default: one per core, up to 16)"},
    [O_ROWS] = {0, "rows", V_INT, F(rows), "N", 1, NET_MAX_UNITS, N_OPTIONS,
                "weights: image rows (default: square, from the input size)"},
    [O_COLS] = {0, "cols", V_INT, F(cols), "N", 1, NET_MAX_UNITS, N_OPTIONS,
                "weights: image columns"},
    [O_SCALE] = {0, "scale", V_INT, F(scale), "N", 1, 64, N_OPTIONS,
                 "pixels per weight or image pixel (weights 3, errors 2)"},
    [O_GLOBAL] = {0, "global", V_FLAG, F(global), NULL, 0, 0, N_OPTIONS,
                  "weights: one colour scale for the whole layer"},
    [O_MAX] = {0, "max", V_INT, F(max_images), "N", 1, 100000, N_OPTIONS,
               "errors: at most N images (default 100)"},
    [O_QUIET] = {'q', "quiet", V_FLAG, F(quiet), NULL, 0, 0, N_OPTIONS,
                 "print less: no progress bar or per-epoch lines; serve prints\n"
                 "only its address; plot and export nothing on success"},
    [O_HELP] = {'h', "help", V_ACTION, 0, NULL, 0, 0, N_OPTIONS, "this help"},
    [O_VERSION] = {'V', "version", V_ACTION, 0, NULL, 0, 0, N_OPTIONS,
                   "version, and the kernel paths this CPU runs"},
};
#undef F

/* ---- commands -------------------------------------------------------------- */

typedef struct {
    const char *name;
    int (*run)(const cli_options *o);
    const char *summary;  /* for --help: what it does */
    const char *usage;    /* its arguments, after "nntrain NAME " */
    unsigned options;     /* the options it takes (OPT bits) */
    unsigned required;    /* of which it needs */
    const char *operands; /* its arguments' name: "FILE..." needed, "[FILE...]" optional;
                           * NULL: it takes none */
    const char *more;     /* further help for `nntrain NAME --help`, or NULL */
} command_row;

#define COMMON (OPT(O_QUIET) | OPT(O_HELP))
#define CONFIG_OPTS (OPT(O_CONFIG) | OPT(O_SET) | OPT(O_DATA_DIR))
#define DATA_OPTS (OPT(O_IMAGES) | OPT(O_LABELS))

static const command_row COMMANDS[] = {
    {"train", cmd_train,
     "(the default) train as CONFIG says; print one line per epoch and the\n"
     "final test accuracy; save the model and metrics if the config names\n"
     "output paths. A config with a sweep: section runs every trial of the\n"
     "sweep and writes a ranked results table (configs/README.md, Sweeps)",
     "-c CONFIG [-s KEY=VALUE]... [--data-dir DIR] [--resume CKPT] [-q]",
     COMMON | CONFIG_OPTS | OPT(O_RESUME), OPT(O_CONFIG), NULL,
     "Signals: SIGINT (Ctrl-C) or SIGTERM stops training after the current\n"
     "mini-batch, writes a checkpoint if output.checkpoint is set and prints how\n"
     "to resume; a second one quits at once. During the last epoch's evaluation\n"
     "a signal is ignored: the run finishes and saves its model (exit 0).\n"},
    {"eval", cmd_eval,
     "accuracy and confusion matrix of a saved model on the config's test set\n"
     "(or --images/--labels), or on table files",
     "-m MODEL [-c CONFIG] [-s KEY=VALUE]... [--data-dir DIR] [--images F --labels F]\n"
     "                    [FILE...]",
     COMMON | CONFIG_OPTS | DATA_OPTS | OPT(O_MODEL), OPT(O_MODEL), "[FILE...]",
     "FILE (a table model): a table (CSV, TSV, .npy, .npz) with the model's\n"
     "feature and label columns, by name, in any order (other columns are left\n"
     "out); every row is evaluated, as -c CONFIG -s data.test=FILE would. For a\n"
     "classification: accuracy, macro F1, log loss and the confusion matrix by\n"
     "class name; for a regression: RMSE, MAE and R² in the target's units.\n"
     "-c CONFIG then says how to read a CSV (data.delimiter, data.header,\n"
     "data.missing_values; data.y for a .npy file's labels).\n"},
    {"predict", cmd_predict,
     "the predicted class and the output activations of each image of an IDX\n"
     "file or a PGM image, or of each row of a table",
     "-m MODEL [--all-digits] [-c CONFIG] [-o OUT.csv] FILE...",
     COMMON | CONFIG_OPTS | OPT(O_MODEL) | OPT(O_ALL_DIGITS) | OPT(O_OUTPUT), OPT(O_MODEL),
     "FILE...",
     "FILE: for an image model, IDX images or PGM images; for a table model, a\n"
     "table (CSV, TSV, .npy, .npz) with the model's feature columns, by name (a\n"
     "label column there is left out), read a chunk at a time: any size works.\n"
     "-o OUT.csv (a table model, one FILE): a CSV in the rows' order, column\n"
     "'prediction' (the class, or the value), then each class's probability\n"
     "(or each target's value when there are several), written whole or not\n"
     "at all; -o - writes it to standard output as it goes. -c CONFIG says how to\n"
     "read a CSV (its data.delimiter, data.header, data.missing_values).\n"},
    {"describe", cmd_describe,
     "what a table file (CSV, TSV, .npy, .npz) holds: rows, columns, each\n"
     "column's kind, missing cells, range and mean or categories",
     "[-c CONFIG] [-q] FILE...",
     COMMON | CONFIG_OPTS, 0, "FILE...",
     "-c CONFIG says how to read a CSV (data.delimiter, data.header,\n"
     "data.missing_values); -q prints only the size and the time it took.\n"
     "A .npy is described alone (columns x0, x1...), an .npz as its X and,\n"
     "when it has one, its y.\n"},
    {"export", cmd_export,
     "the model for other programs: an ONNX model (.onnx: ONNX Runtime,\n"
     "PyTorch, browsers...) or NumPy arrays (.npz)",
     "-m MODEL -o FILE.onnx|FILE.npz",
     COMMON | OPT(O_MODEL) | OPT(O_OUTPUT), OPT(O_MODEL) | OPT(O_OUTPUT), NULL, NULL},
    {"plot", cmd_plot,
     "pictures: learning curves (SVG), first-layer weights, confusion matrix,\n"
     "misclassified digits (PNG)",
     "curves -o OUT.svg METRICS.csv...\n"
     "       nntrain plot weights -m MODEL -o OUT.png [--rows N --cols N] [--scale N] [--global]\n"
     "       nntrain plot confusion -m MODEL -o OUT.png [-c CONFIG] [-s KEY=VALUE]...\n"
     "                              [--data-dir DIR] [--images F --labels F]\n"
     "       nntrain plot errors -m MODEL -o OUT.png [--max N] [--scale N] [-c CONFIG] ...",
     COMMON | CONFIG_OPTS | DATA_OPTS | OPT(O_MODEL) | OPT(O_OUTPUT) | OPT(O_ROWS) |
         OPT(O_COLS) | OPT(O_SCALE) | OPT(O_GLOBAL) | OPT(O_MAX),
     OPT(O_OUTPUT), "a picture: curves, weights, confusion or errors",
     "Pictures:\n"
     "  curves     SVG learning curves of one or more metrics CSV files (output.metrics):\n"
     "             training and evaluation loss, and evaluation accuracy, per epoch\n"
     "  weights    PNG of each first-layer unit's incoming weights as a rows x cols\n"
     "             image: blue positive, red negative, scaled per unit (--global: per layer)\n"
     "  confusion  PNG of the confusion matrix on the test set (rows: true class)\n"
     "  errors     PNG sheet of misclassified test images, with predicted (P) and\n"
     "             true (T) labels\n"},
    {"serve", cmd_serve,
     "a web page to draw digits on and watch every layer of the model respond,\n"
     "and its JSON API (127.0.0.1:8080; doc/serve.md)",
     "-m MODEL [--port N] [--bind ADDR] [--threads N]\n"
     "                     [-c CONFIG] [-s KEY=VALUE]... [--data-dir DIR] [--images F --labels F]",
     COMMON | CONFIG_OPTS | DATA_OPTS | OPT(O_MODEL) | OPT(O_PORT) | OPT(O_BIND) |
         OPT(O_THREADS),
     OPT(O_MODEL), NULL,
     "The config's test set (or --images/--labels) gives the digits to pick from.\n"
     "Stop it with Ctrl-C (SIGINT) or SIGTERM; it then exits 0.\n"},
};
#define N_COMMANDS ((int)(sizeof COMMANDS / sizeof COMMANDS[0]))

static const char about_text[] =
    "Train fully connected neural networks (multi-layer perceptrons) with\n"
    "mini-batch SGD, data-parallel over every core (OpenMP).\n";

static const char environment_text[] =
    "Environment:\n"
    "  NNTRAIN_DATA         root for relative data.dir values (default ./data)\n"
    "  NNTRAIN_KERNELS      avx512, avx2, neon or portable (default: the best this CPU\n"
    "                       runs; --version lists them); every path gives the same bits\n"
    "  OMP_NUM_THREADS      ignored: set train.threads instead (0 = every core)\n"
    "\n"
    "Exit status: 0 done, 1 runtime failure (I/O, memory, divergence),\n"
    "2 bad usage, config, data, model or checkpoint file,\n"
    "130 stopped by SIGINT, 143 stopped by SIGTERM.\n"
    "\n"
    "Example:\n"
    "  nntrain -c configs/mnist.yaml -s train.epochs=5\n";

/* ---- help and usage, from the tables --------------------------------------- */

/* "-c, --config FILE" or "    --port N" */
static void option_label(option_id id, char *buf, size_t n)
{
    const option_row *r = &OPTIONS[id];
    int w = r->short_name ? snprintf(buf, n, "-%c, --%s", r->short_name, r->name)
                          : snprintf(buf, n, "    --%s", r->name);
    if (r->arg && w >= 0 && (size_t)w < n)
        snprintf(buf + w, n - w, " %s", r->arg);
}

/* "-c FILE" or "--port N": how a message names an option. */
static void option_name(option_id id, char *buf, size_t n)
{
    const option_row *r = &OPTIONS[id];
    if (r->short_name)
        snprintf(buf, n, "-%c%s%s", r->short_name, r->arg ? " " : "", r->arg ? r->arg : "");
    else
        snprintf(buf, n, "--%s%s%s", r->name, r->arg ? " " : "", r->arg ? r->arg : "");
}

static void print_options(FILE *f, unsigned mask)
{
    fprintf(f, "Options:\n");
    for (int id = 0; id < N_OPTIONS; id++) {
        if (!(mask & OPT(id)))
            continue;
        char label[64];
        option_label(id, label, sizeof label);
        fprintf(f, "  %-22s", label);
        for (const char *p = OPTIONS[id].help; *p; p++)
            fputs(*p == '\n' ? "\n                        " : (char[]){*p, 0}, f);
        fputc('\n', f);
    }
}

static void print_usage(FILE *f, const command_row *only)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (!only || only == &COMMANDS[i])
            fprintf(f, "%s nntrain %s %s\n", only || i == 0 ? "Usage:" : "      ",
                    i == 0 && !only ? "[train]" : COMMANDS[i].name, COMMANDS[i].usage);
    if (!only)
        fprintf(f, "       nntrain --help | --version | COMMAND --help\n");
}

static void print_help(const command_row *cmd)
{
    print_usage(stdout, cmd);
    printf("\n");
    if (cmd) {
        printf("%s.\n\n", cmd->summary);
        if (cmd->more)
            printf("%s\n", cmd->more);
        print_options(stdout, cmd->options);
        return;
    }
    printf("%s\nCommands:\n", about_text);
    for (int i = 0; i < N_COMMANDS; i++) {
        printf("  %-9s ", COMMANDS[i].name);
        for (const char *p = COMMANDS[i].summary; *p; p++)
            fputs(*p == '\n' ? "\n            " : (char[]){*p, 0}, stdout);
        printf("\n");
    }
    printf("\n");
    unsigned all = 0;
    for (int i = 0; i < N_COMMANDS; i++)
        all |= COMMANDS[i].options;
    print_options(stdout, all | OPT(O_VERSION));
    printf("\n%s", environment_text);
}

/* A command's usage text, for its usage errors: "Usage: nntrain NAME ...". */
static void usage_of(const command_row *cmd, char *buf, size_t n)
{
    snprintf(buf, n, "Usage: nntrain %s %s\n       nntrain %s --help\n", cmd->name, cmd->usage,
             cmd->name);
}

static int usage_error(const command_row *cmd, const char *fmt, const char *a, const char *b)
{
    char msg[512], usage[1024];
    snprintf(msg, sizeof msg, fmt, a, b);
    usage_of(cmd, usage, sizeof usage);
    cli_command c = {NULL, usage};
    return cli_usage_error(&c, msg);
}

/* ---- parsing and checking ------------------------------------------------------ */

static const command_row *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

/* Stores one option's value where its row says. */
static int set_option(cli_options *o, option_id id, const char *arg, const cli_command *c)
{
    const option_row *r = &OPTIONS[id];
    char *field = (char *)o + r->field;
    char opt[48];
    switch (r->kind) {
    case V_STRING: *(const char **)field = arg; return 0;
    case V_FLAG: *(int *)field = 1; return 0;
    case V_LIST: return cli_add_override(c, o->overrides, &o->n_overrides, arg) != 0 ? -1 : 0;
    case V_INT:
        snprintf(opt, sizeof opt, "--%s", r->name);
        return cli_parse_int(c, opt, arg, r->lo, r->hi, (int *)field);
    case V_ACTION: return 0;
    }
    return 0;
}

/* "--resume is for train": the commands that take an option. */
static int not_for(const command_row *cmd, option_id id)
{
    char who[256] = "", name[64];
    for (int i = 0; i < N_COMMANDS; i++)
        if (COMMANDS[i].options & OPT(id)) {
            size_t len = strlen(who);
            snprintf(who + len, sizeof who - len, "%s%s", len ? ", " : "", COMMANDS[i].name);
        }
    const option_row *r = &OPTIONS[id];
    if (r->short_name)
        snprintf(name, sizeof name, "-%c", r->short_name);
    else
        snprintf(name, sizeof name, "--%s", r->name);
    return usage_error(cmd, "%s is for %s", name, who);
}

/* The table's rules: the options given must be the command's, its
 * required ones there, pairs together, operands only where it takes them. */
static int check_command_line(const command_row *cmd, unsigned given, int n_files)
{
    char name[64], other[64];
    for (int id = 0; id < N_OPTIONS; id++)
        if ((given & OPT(id)) && !(cmd->options & OPT(id)))
            return not_for(cmd, id);
    if (!cmd->operands && n_files > 0)
        return usage_error(cmd, "%s takes no file arguments", cmd->name, NULL);
    if (cmd->operands && cmd->operands[0] != '[' && n_files == 0)
        return usage_error(cmd, "%s needs %s", cmd->name, cmd->operands);
    for (int id = 0; id < N_OPTIONS; id++)
        if ((cmd->required & OPT(id)) && !(given & OPT(id))) {
            option_name(id, name, sizeof name);
            return usage_error(cmd, "%s needs %s", cmd->name, name);
        }
    for (int id = 0; id < N_OPTIONS; id++) {
        int pair = (int)OPTIONS[id].pair;
        if (pair != N_OPTIONS && (given & OPT(id)) && !(given & OPT(pair))) {
            snprintf(name, sizeof name, "--%s", OPTIONS[id < pair ? id : pair].name);
            snprintf(other, sizeof other, "--%s", OPTIONS[id < pair ? pair : id].name);
            return usage_error(cmd, "%s and %s go together", name, other);
        }
    }
    return 0;
}

static int run(int argc, char **argv)
{
    /* The kernel path first: NNTRAIN_KERNELS naming a path this machine
     * cannot run is refused before any work, never replaced by another. */
    err_t kerr;
    if (kern_use_env(&kerr) != 0) {
        fprintf(stderr, "nntrain: %s\n", kerr.msg);
        return 2;
    }
    const command_row *cmd = &COMMANDS[0]; /* train */
    int named = argc > 1 && argv[1][0] != '-';
    if (named && !(cmd = find_command(argv[1]))) {
        char names[256] = "";
        for (int i = 0; i < N_COMMANDS; i++) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", COMMANDS[i].name);
        }
        usage_error(&COMMANDS[0], "unknown command '%.64s' (commands: %s)", argv[1], names);
        return 2;
    }
    if (named) {
        argv++;
        argc--;
    }

    /* getopt_long's tables, from OPTIONS[]. */
    struct option longopts[N_OPTIONS + 1];
    char shortopts[3 * N_OPTIONS + 2] = ":";
    for (int id = 0; id < N_OPTIONS; id++) {
        const option_row *r = &OPTIONS[id];
        int has_arg = r->kind == V_FLAG || r->kind == V_ACTION ? no_argument : required_argument;
        longopts[id] = (struct option){r->name, has_arg, NULL, 256 + id};
        if (r->short_name) {
            size_t len = strlen(shortopts);
            shortopts[len] = r->short_name;
            shortopts[len + 1] = has_arg == required_argument ? ':' : '\0';
            shortopts[len + 2] = '\0';
        }
    }
    longopts[N_OPTIONS] = (struct option){NULL, 0, NULL, 0};

    char usage[1024];
    usage_of(cmd, usage, sizeof usage);
    cli_options o = {.command = {cmd->name, usage}, .port = 8080, .bind = "127.0.0.1"};
    unsigned given = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        option_id id = N_OPTIONS;
        if (ch >= 256)
            id = (option_id)(ch - 256);
        for (int i = 0; i < N_OPTIONS && id == N_OPTIONS && ch != ':' && ch != '?'; i++)
            if (OPTIONS[i].short_name == ch)
                id = (option_id)i;
        if (id == N_OPTIONS)
            return cli_option_error(ch, argv[optind - 1], usage);
        if (id == O_HELP) {
            print_help(named ? cmd : NULL);
            return 0;
        }
        if (id == O_VERSION) {
            printf("nntrain %s (kernels: %s; this CPU runs %s)\n", PACKAGE_VERSION, kern_isa(),
                   kern_available());
            return 0;
        }
        given |= OPT(id);
        if (set_option(&o, id, optarg, &o.command) != 0)
            return 2;
    }
    o.files = argv + optind;
    o.n_files = argc - optind;
    if (check_command_line(cmd, given, o.n_files) != 0)
        return 2;
    return cmd->run(&o);
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
