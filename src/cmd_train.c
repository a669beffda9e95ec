/* cmd_train: `nntrain [train] -c CONFIG`: the config loaded and, under
 * mpirun, checked to be the same on every rank; then one training run
 * (train_one, src/cmd_run.c) or, for a config with a sweep: section, the
 * sweep (src/cmd_sweep.c). Returns the process's exit code, the error
 * printed once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cfg.h"
#include "cli.h"
#include "commands.h"
#include "ranks.h"
#include "sweep.h"

/* An error's exit code, as cli_fail would return it. */
static int exit_code(const err_t *e)
{
    return e->code == ERR_RUNTIME ? 1 : 2;
}

/* What the ranks of a job compare at start: the resolved config (every
 * key, as cfg_write_yaml writes it), the config file's bytes (a sweep:
 * section is not in the resolved config) and the version. */
static uint64_t config_hash(const cfg_t *c, const char *path)
{
    uint64_t h = ranks_hash(RANKS_HASH0, PACKAGE_STRING, sizeof PACKAGE_STRING);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f && cfg_write_yaml(c, f) == 0 && fflush(f) == 0)
        h = ranks_hash(h, text, len);
    if (f)
        fclose(f);
    free(text);
    f = fopen(path, "rb");
    char buf[4096];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
        h = ranks_hash(h, buf, n);
    if (f)
        fclose(f);
    return h;
}

int cmd_train(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    cfg_t *c = malloc(sizeof *c);
    sweep_spec *spec = malloc(sizeof *spec);
    int rc, found = 0;
    if (!c || !spec) {
        free(c);
        free(spec);
        fprintf(stderr, "nntrain: out of memory\n");
        return 1;
    }
    if (cli_load_config(o->config, o->overrides, o->n_overrides, o->data_dir, c, &err) != 0 ||
        sweep_load(o->config, spec, &found, &err) != 0)
        rc = exit_code(&err);
    else
        rc = 0;
    /* Under mpirun: every rank must run the same binary on the same config. */
    int print = rc != 0;
    if (ranks_size() > 1)
        rc = ranks_agree(rc, rc ? 0 : config_hash(c, o->config), "config or nntrain version", &err,
                         &print);
    if (rc != 0) {
        if (print)
            cli_fail(&err);
    } else if (found) {
        rc = cmd_sweep(o, c, spec);
    } else {
        rc = train_one(o, c, ranks_group(), NULL);
    }
    free(spec);
    free(c);
    return rc;
}
