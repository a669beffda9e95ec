/* cli: what the commands of the program share (src/main.c and the
 * src/cmd_*.c files; commands.h declares them): the config as it resolves it, data
 * with a hint for first-time users, usage errors and option values, and
 * printing an error once with its exit code. */
#ifndef NNTRAIN_CLI_H
#define NNTRAIN_CLI_H

#include "cfg.h"
#include "err.h"
#include "idx.h"
#include "net.h"
#include "prep.h"

#define CLI_MAX_OVERRIDES 256 /* -s options on one command line */

/* Defaults, then the file (NULL: none), then each "key=value" override in
 * order, then data_dir (NULL: none) as data.dir; then validated. */
int cli_load_config(const char *file, const char *const *overrides, int n_overrides,
                    const char *data_dir, cfg_t *c, err_t *err);

/* The data set of c's files images/labels (relative to the data dir);
 * limit > 0 keeps the first limit examples. A missing file's message says
 * how to get the data. */
int cli_load_data(const cfg_t *c, const char *images, const char *labels, int limit,
                  dataset *d, err_t *err);

/* A model file: the network, and a table model's preprocessing (has_prep). */
typedef struct {
    net_t net;
    prep_t prep;
    int has_prep;
} cli_model;

int cli_load_model(const char *path, cli_model *m, err_t *err);
void cli_model_free(cli_model *m);

/* What eval and plot work on: the model file, and the config's test set,
 * or images/labels when given (both or neither). A table model's test set
 * is its config's table split as training split it (tables.h), through
 * the model's own preprocessing. *threads gets the config's train.threads.
 * On error nothing stays allocated. */
int cli_load_model_and_data(const char *config, const char *const *overrides, int n_overrides,
                            const char *data_dir, const char *model, const char *images,
                            const char *labels, cli_model *m, dataset *d, int *threads,
                            err_t *err);

/* A command's name in its messages and its usage text: what its usage
 * errors print. name NULL: nntrain itself ("nntrain: MESSAGE"). */
typedef struct {
    const char *name;  /* "serve", "plot" */
    const char *usage; /* printed after the message */
} cli_command;

/* Prints "nntrain: NAME: MESSAGE" (or "nntrain: MESSAGE"), then the usage
 * text, on stderr; returns exit code 2. */
int cli_usage_error(const cli_command *cmd, const char *msg);

/* An option's value s as a whole number in lo..hi: *out and 0; otherwise
 * a usage error "OPT 'S': expected a whole number LO..HI" and -1. */
int cli_parse_int(const cli_command *cmd, const char *opt, const char *s, int lo, int hi,
                  int *out);

/* -s KEY=VALUE: value appended to overrides (*n of them so far, at most
 * CLI_MAX_OVERRIDES): 0; when full, the usage error "too many -s
 * overrides" and its exit code 2. */
int cli_add_override(const cli_command *cmd, const char **overrides, int *n, const char *value);

/* For getopt_long's ':' (missing value) and '?' (unknown option) answers:
 * prints which option was wrong, then usage; returns exit code 2. */
int cli_option_error(int ch, const char *option, const char *usage);

/* Prints "nntrain: MESSAGE" on stderr; returns the exit code: 1 for a
 * runtime failure, 2 for bad input. */
int cli_fail(const err_t *e);

#endif
