/* cli: what the commands of the program share (main.c, cmd_plot.c): the
 * config as the command line resolves it, data with a hint for first-time
 * users, and printing an error once with its exit code. */
#ifndef NNTRAIN_CLI_H
#define NNTRAIN_CLI_H

#include "cfg.h"
#include "err.h"
#include "idx.h"

/* Defaults, then the file (NULL: none), then each "key=value" override in
 * order, then data_dir (NULL: none) as data.dir; then validated. */
int cli_load_config(const char *file, const char *const *overrides, int n_overrides,
                    const char *data_dir, cfg_t *c, err_t *err);

/* The data set of c's files images/labels (relative to the data dir);
 * limit > 0 keeps the first limit examples. A missing file's message says
 * how to get the data. */
int cli_load_data(const cfg_t *c, const char *images, const char *labels, int limit,
                  idx_dataset *d, err_t *err);

/* Prints "nntrain: MESSAGE" on stderr; returns the exit code: 1 for a
 * runtime failure, 2 for bad input. */
int cli_fail(const err_t *e);

#endif
