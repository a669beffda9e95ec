/* cli: see include/cli.h. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "tables.h"
#include "ranks.h"

int cli_load_config(const char *file, const char *const *overrides, int n_overrides,
                    const char *data_dir, cfg_t *c, err_t *err)
{
    if (file) {
        if (cfg_load(file, c, err) != 0)
            return -1;
    } else if (cfg_defaults(c, err) != 0) {
        return -1;
    }
    for (int i = 0; i < n_overrides; i++)
        if (cfg_set(c, overrides[i], err) != 0)
            return -1;
    if (data_dir) {
        if (strlen(data_dir) >= sizeof c->data_dir)
            return err_set(err, ERR_INPUT, "--data-dir: a path of at most %zu bytes expected",
                           sizeof c->data_dir - 1);
        snprintf(c->data_dir, sizeof c->data_dir, "%s", data_dir);
    }
    return cfg_validate(c, err);
}

int cli_load_data(const cfg_t *c, const char *images, const char *labels, int limit,
                  dataset *d, err_t *err)
{
    char ip[CFG_PATH_MAX * 2], lp[CFG_PATH_MAX * 2];
    cfg_data_path(c, images, ip, sizeof ip);
    cfg_data_path(c, labels, lp, sizeof lp);
    if (idx_load_dataset(ip, lp, limit, d, err) != 0) {
        /* Point a first-time user at the fix. */
        size_t len = strlen(err->msg);
        if (strstr(err->msg, "No such file") && len + 80 < sizeof err->msg)
            snprintf(err->msg + len, sizeof err->msg - len,
                     " (run ./setup.sh, or set NNTRAIN_DATA or --data-dir)");
        return -1;
    }
    return 0;
}

int cli_load_model(const char *path, cli_model *m, err_t *err)
{
    memset(m, 0, sizeof *m);
    uint8_t *blob;
    size_t len;
    if (model_load_with(path, &m->net, &blob, &len, err) != 0)
        return -1;
    int rc = 0;
    if (blob) {
        rc = prep_read(&m->prep, blob, len, path, err);
        free(blob);
        m->has_prep = rc == 0;
    }
    int n_out = m->net.sizes[m->net.n_layers];
    if (rc == 0 && m->has_prep &&
        (m->prep.n_inputs != m->net.sizes[0] ||
         n_out != (m->prep.task == PREP_CLASSIFICATION ? m->prep.n_classes : m->prep.n_targets)))
        rc = err_set(err, ERR_INPUT, "%s: the preprocessing does not fit the network (corrupt)",
                     path);
    if (rc != 0)
        cli_model_free(m);
    return rc;
}

void cli_model_free(cli_model *m)
{
    net_free(&m->net);
    if (m->has_prep)
        prep_free(&m->prep);
    memset(m, 0, sizeof *m);
}

int cli_load_model_and_data(const char *config, const char *const *overrides, int n_overrides,
                            const char *data_dir, const char *model, const char *images,
                            const char *labels, cli_model *m, dataset *d, int *threads,
                            err_t *err)
{
    cfg_t *c = malloc(sizeof *c);
    if (!c)
        return err_set(err, ERR_RUNTIME, "out of memory");
    int rc = cli_load_config(config, overrides, n_overrides, data_dir, c, err);
    if (rc == 0)
        rc = cli_load_model(model, m, err);
    if (rc == 0) {
        *threads = c->threads;
        if (m->has_prep && images)
            rc = err_set(err, ERR_INPUT, "%s: a table model: --images/--labels are for image "
                         "models (give the config naming its table with -c)", model);
        else if (m->has_prep && !c->train_table[0])
            rc = err_set(err, ERR_INPUT, "%s: a table model needs -c CONFIG naming its table "
                         "(data.train, data.test)", model);
        else if (m->has_prep)
            rc = tables_load(c, &m->prep, 0, NULL, d, err);
        else
            rc = images ? idx_load_dataset(images, labels, 0, d, err)
                        : cli_load_data(c, c->test_images, c->test_labels, 0, d, err);
        if (rc != 0)
            cli_model_free(m);
    }
    free(c);
    return rc;
}

int cli_usage_error(const cli_command *cmd, const char *msg)
{
    if (cmd->name)
        fprintf(stderr, "nntrain: %s: %s\n%s", cmd->name, msg, cmd->usage);
    else
        fprintf(stderr, "nntrain: %s\n%s", msg, cmd->usage);
    return 2;
}

int cli_parse_int(const cli_command *cmd, const char *opt, const char *s, int lo, int hi,
                  int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < lo || v > hi) {
        char m[160];
        snprintf(m, sizeof m, "%s '%s': expected a whole number %d..%d", opt, s, lo, hi);
        cli_usage_error(cmd, m);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_add_override(const cli_command *cmd, const char **overrides, int *n, const char *value)
{
    if (*n == CLI_MAX_OVERRIDES)
        return cli_usage_error(cmd, "too many -s overrides");
    overrides[(*n)++] = value;
    return 0;
}

int cli_option_error(int ch, const char *option, const char *usage)
{
    if (ch == ':')
        fprintf(stderr, "nntrain: option %s needs a value\n%s", option, usage);
    else
        fprintf(stderr, "nntrain: unknown option %s\n%s", option, usage);
    return 2;
}

int cli_fail(const err_t *e)
{
    if (ranks_size() > 1)
        fprintf(stderr, "nntrain: rank %d: %s\n", ranks_rank(), e->msg);
    else
        fprintf(stderr, "nntrain: %s\n", e->msg);
    return e->code == ERR_RUNTIME ? 1 : 2;
}
