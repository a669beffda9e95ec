/* sweep: see include/sweep.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "sweep.h"

#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

#include "curves.h"
#include "detmath.h"
#include "fsx.h"
#include "rng.h"

#define SWEEP_DIR_MAX 900 /* leaves room for "/trial-NNN/metrics.csv" in a path */

/* ---- reading the sweep section ------------------------------------------ */

typedef struct {
    const char *file;
    yaml_document_t *doc;
} doc_t;

static const char *text(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static yaml_node_t *node(const doc_t *d, int id) { return yaml_document_get_node(d->doc, id); }

static int fail_at(const doc_t *d, const yaml_node_t *n, err_t *err, const char *what)
{
    return err_set(err, ERR_INPUT, "%s:%lu:%lu: sweep: %s", d->file,
                   (unsigned long)n->start_mark.line + 1, (unsigned long)n->start_mark.column + 1,
                   what);
}

/* A node back to YAML flow text: a scalar as is, a sequence as [a, b, ...]
 * (nested). Enough for every config value (numbers, names, lists). */
static int to_text(const doc_t *d, const yaml_node_t *n, char *buf, size_t len, err_t *err)
{
    if (n->type == YAML_SCALAR_NODE) {
        /* Single-quoted (quotes doubled inside) so that the text reaches
         * cfg_set unchanged; cfg reads a value by its text. */
        size_t w = 0;
        buf[w++] = '\'';
        for (const char *c = text(n); *c; c++) {
            if (w + 4 >= len)
                return fail_at(d, n, err, "value too long");
            if (*c == '\'')
                buf[w++] = '\'';
            buf[w++] = *c;
        }
        buf[w++] = '\'';
        buf[w] = '\0';
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return fail_at(d, n, err, "expected a value or a list of values, not a mapping");
    size_t w = (size_t)snprintf(buf, len, "[");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        char item[SWEEP_VALUE_MAX];
        if (to_text(d, node(d, *it), item, sizeof item, err))
            return -1;
        if (w + strlen(item) + 3 >= len)
            return fail_at(d, n, err, "value too long");
        w += (size_t)snprintf(buf + w, len - w, "%s%s", it == n->data.sequence.items.start ? "" : ", ",
                              item);
    }
    snprintf(buf + w, len - w, "]");
    return 0;
}

static int scalar_number(const doc_t *d, const yaml_node_t *n, double *out, err_t *err)
{
    char *end;
    if (n->type != YAML_SCALAR_NODE)
        return fail_at(d, n, err, "expected a number");
    errno = 0;
    *out = strtod(text(n), &end);
    if (end == text(n) || *end || errno || !isfinite(*out))
        return fail_at(d, n, err, "expected a number");
    return 0;
}

/* A whole number written as decimal digits only (as cfg reads integers:
 * no sign, exponent or fraction), at most max. */
static int scalar_count(const doc_t *d, const yaml_node_t *n, uint64_t max, uint64_t *out,
                        const char *what, err_t *err)
{
    const char *t = n->type == YAML_SCALAR_NODE ? text(n) : "";
    uint64_t v = 0;
    int ok = *t != '\0';
    for (; ok && *t; t++) {
        ok = *t >= '0' && *t <= '9' && v <= (UINT64_MAX - (uint64_t)(*t - '0')) / 10;
        v = v * 10 + (uint64_t)(*t - '0');
    }
    if (!ok || v > max)
        return fail_at(d, n, err, what);
    *out = v;
    return 0;
}

/* {min: A, max: B, scale: log|linear, int: true|false} */
static int read_range(const doc_t *d, const yaml_node_t *key, const yaml_node_t *n, sweep_param *p,
                      err_t *err)
{
    int have_min = 0, have_max = 0;
    p->is_range = 1;
    for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top; q++) {
        yaml_node_t *k = node(d, q->key), *v = node(d, q->value);
        const char *name = k->type == YAML_SCALAR_NODE ? text(k) : "";
        /* min and max must be values of the key, as cfg checks them. */
        if (!strcmp(name, "min")) {
            if (cfg_check_value(d->file, d->doc, key, v, err) || scalar_number(d, v, &p->lo, err))
                return -1;
            have_min = 1;
        } else if (!strcmp(name, "max")) {
            if (cfg_check_value(d->file, d->doc, key, v, err) || scalar_number(d, v, &p->hi, err))
                return -1;
            have_max = 1;
        } else if (!strcmp(name, "scale") && v->type == YAML_SCALAR_NODE &&
                   (!strcmp(text(v), "log") || !strcmp(text(v), "linear"))) {
            p->log_scale = !strcmp(text(v), "log");
        } else if (!strcmp(name, "int") && v->type == YAML_SCALAR_NODE &&
                   (!strcmp(text(v), "true") || !strcmp(text(v), "false"))) {
            p->integer = !strcmp(text(v), "true");
        } else {
            return fail_at(d, k, err, "a range takes min, max, scale (log or linear), int (true or false)");
        }
    }
    if (!have_min || !have_max || p->lo > p->hi)
        return fail_at(d, n, err, "a range needs min <= max");
    if (p->log_scale && p->lo <= 0)
        return fail_at(d, n, err, "a log-scale range needs min > 0");
    return 0;
}

static int read_params(const doc_t *d, const yaml_node_t *n, sweep_spec *s, err_t *err)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail_at(d, n, err, "params: expected a mapping of config keys to values");
    for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top; q++) {
        yaml_node_t *k = node(d, q->key), *v = node(d, q->value);
        if (k->type != YAML_SCALAR_NODE || strlen(text(k)) >= sizeof s->params[0].key)
            return fail_at(d, k, err, "params: expected a config key such as train.learning_rate");
        if (s->n_params == SWEEP_MAX_KEYS)
            return fail_at(d, k, err, "too many swept keys");
        for (int i = 0; i < s->n_params; i++)
            if (!strcmp(s->params[i].key, text(k)))
                return fail_at(d, k, err, "key swept twice");
        sweep_param *p = &s->params[s->n_params++];
        memset(p, 0, sizeof *p);
        snprintf(p->key, sizeof p->key, "%s", text(k));
        p->line = (int)k->start_mark.line + 1;
        p->col = (int)k->start_mark.column + 1;
        if (v->type == YAML_MAPPING_NODE) {
            if (read_range(d, k, v, p, err)) return -1;
            continue;
        }
        if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top)
            return fail_at(d, v, err, "expected a list of candidate values or {min, max}");
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            if (p->n_values == SWEEP_MAX_VALUES)
                return fail_at(d, v, err, "too many candidate values");
            /* Each candidate is checked now by the key's own row of cfg's
             * schema, at its own file:line:col, as in the main config. */
            if (cfg_check_value(d->file, d->doc, k, node(d, *it), err) ||
                to_text(d, node(d, *it), p->values[p->n_values++], SWEEP_VALUE_MAX, err))
                return -1;
        }
    }
    return 0;
}

static int read_sweep(const doc_t *d, const yaml_node_t *n, sweep_spec *s, err_t *err)
{
    int have_params = 0, have_samples = 0;
    if (n->type != YAML_MAPPING_NODE)
        return fail_at(d, n, err, "expected a mapping (dir, method, samples, seed, params)");
    for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top; q++) {
        yaml_node_t *k = node(d, q->key), *v = node(d, q->value);
        const char *name = k->type == YAML_SCALAR_NODE ? text(k) : "";
        uint64_t num = 0;
        if (!strcmp(name, "params")) {
            if (read_params(d, v, s, err)) return -1;
            have_params = 1;
        } else if (!strcmp(name, "dir") && v->type == YAML_SCALAR_NODE && *text(v) &&
                   strlen(text(v)) <= SWEEP_DIR_MAX) {
            snprintf(s->dir, sizeof s->dir, "%s", text(v));
        } else if (!strcmp(name, "method") && v->type == YAML_SCALAR_NODE &&
                   (!strcmp(text(v), "grid") || !strcmp(text(v), "random") ||
                    !strcmp(text(v), "halving") || !strcmp(text(v), "hyperband"))) {
            s->random = !strcmp(text(v), "random");
            s->schedule = !strcmp(text(v), "halving")     ? SWEEP_HALVING
                          : !strcmp(text(v), "hyperband") ? SWEEP_HYPERBAND
                                                          : SWEEP_FULL;
            s->method_line = (int)v->start_mark.line + 1;
            s->method_col = (int)v->start_mark.column + 1;
        } else if (!strcmp(name, "min_epochs")) {
            const char *want = "min_epochs: expected an integer from 1 to train.epochs (the "
                               "first rung's epochs)";
            if (scalar_count(d, v, 1000000, &num, want, err))
                return -1;
            if (num < 1)
                return fail_at(d, v, err, want);
            s->min_epochs = (int)num;
            s->min_line = (int)v->start_mark.line + 1;
            s->min_col = (int)v->start_mark.column + 1;
        } else if (!strcmp(name, "eta")) {
            const char *want = "eta: expected an integer of at least 2 (1/eta of each rung go on)";
            if (scalar_count(d, v, 1000, &num, want, err))
                return -1;
            if (num < 2)
                return fail_at(d, v, err, want);
            s->eta = (int)num;
            s->eta_line = (int)v->start_mark.line + 1;
            s->eta_col = (int)v->start_mark.column + 1;
        } else if (!strcmp(name, "samples")) {
            const char *want = "samples: expected an integer from 1 to 10000";
            if (scalar_count(d, v, SWEEP_MAX_TRIALS, &num, want, err))
                return -1;
            if (num < 1)
                return fail_at(d, v, err, want);
            s->samples = (int)num;
            have_samples = 1;
        } else if (!strcmp(name, "parallel")) {
            if (scalar_count(d, v, 256, &num, "parallel: expected an integer from 0 (one per "
                             "core) to 256", err))
                return -1;
            s->parallel = (int)num;
        } else if (!strcmp(name, "seed")) {
            if (scalar_count(d, v, UINT64_MAX, &s->seed, "seed: expected an integer from 0 to "
                             "18446744073709551615", err))
                return -1;
        } else {
            return fail_at(d, k, err,
                           "unknown key or bad value (sweep keys: dir (a path), method (grid, "
                           "random, halving or hyperband), samples, seed, parallel, min_epochs, "
                           "eta, params)");
        }
    }
    if (s->schedule != SWEEP_FULL) {
        /* halving, hyperband: the trials are random draws when samples is
         * given, else the grid. */
        s->random = have_samples;
        if (!s->eta)
            s->eta = 3;
        if (!s->min_epochs)
            s->min_epochs = 1;
    } else if (s->min_line || s->eta_line) {
        return err_set(err, ERR_INPUT, "%s:%d:%d: sweep: %s is for method: halving or hyperband",
                       d->file, s->min_line ? s->min_line : s->eta_line,
                       s->min_line ? s->min_col : s->eta_col, s->min_line ? "min_epochs" : "eta");
    }
    if (!have_params || s->n_params == 0)
        return fail_at(d, n, err, "params: nothing to sweep");
    for (int i = 0; i < s->n_params; i++)
        if (s->params[i].is_range && !s->random)
            return err_set(err, ERR_INPUT, "%s:%d:%d: sweep: %s: a {min, max} range needs method: "
                           "random (or halving / hyperband with samples)",
                           d->file, s->params[i].line, s->params[i].col, s->params[i].key);
    return 0;
}

/* s's defaults, before the `sweep:` section is read into it. Only for a
 * file that has one: the struct is big (256 KB: every value of every key
 * as text), and zeroing it is 64 fresh pages for every training run. */
static void spec_init(sweep_spec *s, const char *path)
{
    memset(s, 0, sizeof *s);
    snprintf(s->source, sizeof s->source, "%s", path);
    snprintf(s->dir, sizeof s->dir, "runs/sweep");
    s->samples = 10;
    s->seed = 1;
    s->parallel = 0;
}

int sweep_load(const char *path, sweep_spec *s, int *found, err_t *err)
{
    *found = 0;
    /* The same reader as cfg_load's: its limits and its messages. */
    yaml_document_t ydoc;
    if (cfg_parse_file(path, &ydoc, err))
        return -1;
    doc_t d = {path, &ydoc};
    yaml_node_t *root = yaml_document_get_root_node(&ydoc);
    int rc = 0;
    if (root && root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *q = root->data.mapping.pairs.start;
             q < root->data.mapping.pairs.top && rc == 0; q++) {
            yaml_node_t *k = node(&d, q->key);
            if (k->type == YAML_SCALAR_NODE && !strcmp(text(k), "sweep")) {
                *found = 1;
                spec_init(s, path);
                rc = read_sweep(&d, node(&d, q->value), s, err);
            }
        }
    yaml_document_delete(&ydoc);
    return rc;
}

/* ---- trials --------------------------------------------------------------- */

int sweep_apply(const sweep_spec *s, const sweep_trial *t, const cfg_t *base, cfg_t *out,
                err_t *err)
{
    *out = *base;
    for (int i = 0; i < s->n_params; i++) {
        char assign[SWEEP_VALUE_MAX + 64];
        snprintf(assign, sizeof assign, "%s=%s", s->params[i].key, t->values[i]);
        if (cfg_set(out, assign, err)) {
            err->code = ERR_INPUT;
            return err_prefix(err, "%s:%d:%d: sweep", s->source, s->params[i].line,
                              s->params[i].col);
        }
    }
    if (cfg_validate(out, err)) {
        err->code = ERR_INPUT;
        return err_prefix(err, "%s: sweep: a trial is invalid", s->source);
    }
    return 0;
}

/* A draw from a range: uniform, or uniform in log space (learning rates).
 * dm_exp/dm_log, not libm's: the same trials on every CPU. */
static void draw(const sweep_param *p, rng_t *r, char *buf, size_t len)
{
    double u = rng_uniform(r);
    double v = p->log_scale ? dm_exp(dm_log(p->lo) + u * (dm_log(p->hi) - dm_log(p->lo)))
                            : p->lo + u * (p->hi - p->lo);
    if (p->integer)
        snprintf(buf, len, "%lld", (long long)llround(v));
    else
        snprintf(buf, len, "%.6g", v);
}

int sweep_trial_count(const sweep_spec *s)
{
    if (s->random)
        return s->samples;
    long long count = 1;
    for (int i = 0; i < s->n_params && count <= SWEEP_MAX_TRIALS; i++)
        count *= s->params[i].n_values;
    return count <= SWEEP_MAX_TRIALS ? (int)count : -1;
}

static int check_rung_trial(const sweep_spec *s, const cfg_t *base, const cfg_t *c, err_t *err);

int sweep_expand(const sweep_spec *s, const cfg_t *base, sweep_trial **trials, int *n,
                 err_t *err)
{
    int count = sweep_trial_count(s);
    if (count < 0)
        return err_set(err, ERR_INPUT, "%s: sweep: the grid has more than %d trials",
                       s->source, SWEEP_MAX_TRIALS);
    sweep_trial *t = calloc((size_t)count, sizeof *t);
    if (!t)
        return err_set(err, ERR_RUNTIME, "out of memory for %d sweep trials", count);
    rng_t r;
    rng_seed(&r, s->seed);
    for (int i = 0; i < count; i++) {
        long long rest = i; /* grid: trial i's digits, last key fastest */
        for (int k = s->n_params - 1; k >= 0; k--) {
            const sweep_param *p = &s->params[k];
            if (!s->random) {
                snprintf(t[i].values[k], SWEEP_VALUE_MAX, "%s", p->values[rest % p->n_values]);
                rest /= p->n_values;
            }
        }
        for (int k = 0; s->random && k < s->n_params; k++) {
            const sweep_param *p = &s->params[k];
            if (p->is_range)
                draw(p, &r, t[i].values[k], SWEEP_VALUE_MAX);
            else
                snprintf(t[i].values[k], SWEEP_VALUE_MAX, "%s",
                         p->values[rng_below(&r, (uint64_t)p->n_values)]);
        }
        cfg_t c;
        if (sweep_apply(s, &t[i], base, &c, err) ||
            (s->schedule != SWEEP_FULL && check_rung_trial(s, base, &c, err))) {
            free(t);
            return -1;
        }
    }
    *trials = t;
    *n = count;
    return 0;
}

/* ---- running ---------------------------------------------------------------- */

/* mkdir -p path */
static int make_dirs(const char *path, err_t *err)
{
    char dir[CFG_PATH_MAX + 2];
    snprintf(dir, sizeof dir, "%s/", path);
    return fsx_make_parents(dir, err);
}

#define RESULT_HEADER "eval_accuracy,best_accuracy,best_epoch,final_loss,test_accuracy,seconds"

static int write_result_csv(FILE *f, const void *user)
{
    const sweep_result *r = user;
    return fprintf(f, RESULT_HEADER "\n%.6f,%.6f,%d,%.6f,%.6f,%.2f\n", r->eval_accuracy,
                   r->best_accuracy, r->best_epoch, r->final_loss, r->test_accuracy, r->seconds) < 0
               ? -1
               : 0;
}

/* Atomic, so that a trial's result.csv, whose presence means "finished",
 * is never half there after a crash. */
static int write_result(const char *path, const sweep_result *r, err_t *err)
{
    return fsx_write_atomic(path, "trial result", write_result_csv, r, err);
}

/* 1 and *r filled if path holds a finished trial's result, else 0. */
static int read_result(const char *path, sweep_result *r)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    int ok = fgets(line, sizeof line, f) && !strncmp(line, RESULT_HEADER, strlen(RESULT_HEADER)) &&
             fscanf(f, "%lf,%lf,%d,%lf,%lf,%lf", &r->eval_accuracy, &r->best_accuracy,
                    &r->best_epoch, &r->final_loss, &r->test_accuracy, &r->seconds) == 6;
    fclose(f);
    return ok;
}

typedef struct {
    int trial;
    sweep_result r;
} ranked;

static int by_accuracy(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->r.eval_accuracy != y->r.eval_accuracy)
        return x->r.eval_accuracy < y->r.eval_accuracy ? 1 : -1;
    return x->trial - y->trial; /* ties: the earlier trial first */
}

static void trial_dir(const sweep_spec *s, int i, char *buf, size_t n)
{
    snprintf(buf, n, "%.900s/trial-%03d", s->dir, i + 1);
}

/* The trial's config with its outputs inside its directory. */
static int trial_config(const sweep_spec *s, const sweep_trial *t, const cfg_t *base,
                        const char *dir, cfg_t *c, err_t *err)
{
    if (sweep_apply(s, t, base, c, err))
        return -1;
    snprintf(c->model_path, sizeof c->model_path, "%.960s/model", dir);
    snprintf(c->metrics_path, sizeof c->metrics_path, "%.960s/metrics.csv", dir);
    if (c->checkpoint_path[0]) /* one per trial: trials may run at once */
        snprintf(c->checkpoint_path, sizeof c->checkpoint_path, "%.960s/checkpoint.ckpt", dir);
    return 0;
}

static int write_cfg_yaml(FILE *f, const void *c)
{
    return cfg_write_yaml(c, f);
}

static int write_yaml(const char *path, const cfg_t *c, err_t *err)
{
    return fsx_write_atomic(path, "config", write_cfg_yaml, c, err);
}

/* The results tables: the trials ranked best first. */
typedef struct {
    const sweep_spec *s;
    const sweep_trial *t;
    const ranked *rk;
    int n;
} tables;

/* Trial i's value of parameter k as the tables show it: bare (values are
 * kept quoted for cfg_set). */
static void bare_value(const tables *tb, int i, int k, char *v, size_t cap)
{
    size_t w = 0;
    for (const char *p = tb->t[tb->rk[i].trial].values[k]; *p && w + 1 < cap; p++)
        if (*p != '\'')
            v[w++] = *p;
    v[w] = '\0';
}

/* results.csv: fsx_write_atomic's callback (fsx checks ferror after). */
static int write_results_csv(FILE *f, const void *user)
{
    const tables *tb = user;
    const sweep_spec *s = tb->s;
    fprintf(f, "rank,trial");
    for (int k = 0; k < s->n_params; k++)
        fprintf(f, ",%s", s->params[k].key);
    fprintf(f, ",%s\n", RESULT_HEADER);
    for (int i = 0; i < tb->n; i++) {
        const sweep_result *r = &tb->rk[i].r;
        fprintf(f, "%d,%d", i + 1, tb->rk[i].trial + 1);
        for (int k = 0; k < s->n_params; k++) {
            char v[SWEEP_VALUE_MAX];
            bare_value(tb, i, k, v, sizeof v);
            fprintf(f, ",\"%s\"", v);
        }
        fprintf(f, ",%.6f,%.6f,%d,%.6f,%.6f,%.2f\n", r->eval_accuracy, r->best_accuracy,
                r->best_epoch, r->final_loss, r->test_accuracy, r->seconds);
    }
    return 0;
}

/* results.md: fsx_write_atomic's callback (fsx checks ferror after). */
static int write_results_md(FILE *f, const void *user)
{
    const tables *tb = user;
    const sweep_spec *s = tb->s;
    fprintf(f, "| rank | trial |");
    for (int k = 0; k < s->n_params; k++)
        fprintf(f, " %s |", s->params[k].key);
    fprintf(f, " accuracy | best (epoch) | final loss | test accuracy | seconds |\n|---|---|");
    for (int k = 0; k < s->n_params; k++)
        fprintf(f, "---|");
    fprintf(f, "---|---|---|---|---|\n");
    for (int i = 0; i < tb->n; i++) {
        const sweep_result *r = &tb->rk[i].r;
        fprintf(f, "| %d | %d |", i + 1, tb->rk[i].trial + 1);
        for (int k = 0; k < s->n_params; k++) {
            char v[SWEEP_VALUE_MAX];
            bare_value(tb, i, k, v, sizeof v);
            fprintf(f, " %s |", v);
        }
        fprintf(f, " %.2f%% | %.2f%% (%d) | %.4f | %.2f%% | %.1f |\n", 100 * r->eval_accuracy,
                100 * r->best_accuracy, r->best_epoch, r->final_loss, 100 * r->test_accuracy,
                r->seconds);
    }
    return 0;
}

/* results.csv, results.md, best.yaml from the finished trials, each
 * written whole or not at all. */
static int write_tables(const sweep_spec *s, const sweep_trial *t, const cfg_t *base,
                        ranked *rk, int n, err_t *err)
{
    char path[CFG_PATH_MAX + 32];
    qsort(rk, (size_t)n, sizeof *rk, by_accuracy);
    tables tb = {s, t, rk, n};
    snprintf(path, sizeof path, "%s/results.csv", s->dir);
    if (fsx_write_atomic(path, "sweep results", write_results_csv, &tb, err) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/results.md", s->dir);
    if (fsx_write_atomic(path, "sweep results", write_results_md, &tb, err) != 0)
        return -1;
    if (n == 0)
        return 0;
    /* The best trial's whole config: `nntrain -c best.yaml` trains it again,
     * the same bits (its outputs go to the trial's directory). */
    char dir[CFG_PATH_MAX];
    cfg_t c;
    trial_dir(s, rk[0].trial, dir, sizeof dir);
    if (trial_config(s, &t[rk[0].trial], base, dir, &c, err))
        return -1;
    snprintf(path, sizeof path, "%s/best.yaml", s->dir);
    return write_yaml(path, &c, err);
}

/* Prepares trial i (its directory and config.yaml) and runs it; writes
 * result.csv last, so that its presence means "finished". threads > 0
 * overrides the trial's thread count for this run only: results do not
 * depend on it, and config.yaml keeps the base's. */
static int run_one(const sweep_spec *s, const sweep_trial *t, const cfg_t *base, int i,
                   int threads, sweep_run_fn run, void *user, sweep_result *r, err_t *err)
{
    char dir[CFG_PATH_MAX], path[CFG_PATH_MAX + 32];
    cfg_t c;
    trial_dir(s, i, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    if (trial_config(s, t, base, dir, &c, err) || make_dirs(dir, err) || write_yaml(path, &c, err))
        return -1;
    if (threads > 0)
        c.threads = threads;
    if (run(&c, dir, r, user, err))
        return -1;
    snprintf(path, sizeof path, "%s/result.csv", dir);
    return write_result(path, r, err);
}

/* SIGINT/SIGTERM reaching the parent of forked trials: remembered here,
 * then passed on to the trials, which stop as a single run does. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

int sweep_stop_signal(void)
{
    return stop_signal;
}

/* CPUs this process may run on (a container's cpuset may allow fewer than
 * the machine has). */
static int usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Trials in child processes, `parallel` at a time, each with its share of
 * the threads. The parent starts no OpenMP threads of its own, so forking
 * is safe; each child reports through its result.csv and exit status
 * (2: bad input, 1: any other failure). */
typedef int (*pool_job_fn)(void *ctx, int k, int threads, err_t *err);

static int run_pool(const sweep_spec *s, const cfg_t *base, int n_todo, int parallel,
                    pool_job_fn job, void *ctx, void *owned, int *n_run, err_t *err)
{
    int threads = base->threads > 0 ? base->threads : usable_cpus();
    threads = threads / parallel > 0 ? threads / parallel : 1;
    int running = 0, failed = 0, forwarded = 0;
    pid_t *pids = calloc((size_t)parallel, sizeof *pids);
    if (!pids)
        return err_set(err, ERR_RUNTIME, "out of memory");
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop; /* no SA_RESTART: wait() returns to look */
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    fflush(NULL); /* nothing buffered may be written twice */
    for (int k = 0; k < n_todo || running > 0;) {
        if (stop_signal && !forwarded) {
            for (int i = 0; i < parallel; i++)
                if (pids[i] > 0)
                    kill(pids[i], stop_signal);
            forwarded = 1;
        }
        if (k < n_todo && running < parallel && !failed && !stop_signal) {
            pid_t parent = getpid(), pid = fork();
            (void)parent;
            if (pid < 0) {
                failed = ERR_RUNTIME;
                break;
            }
            if (pid == 0) {
                /* A group of its own: Ctrl-C at a terminal reaches only the
                 * parent, which passes it on once (a second SIGINT would
                 * make the trial quit without its checkpoint). */
                setpgid(0, 0);
#ifdef __linux__
                /* A parent killed outright (SIGKILL) stops its trials too, as
                 * SIGTERM does (checkpoint, then exit), so that a rerun never
                 * races an orphan writing the same trial. */
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() != parent)
                    _exit(1); /* it died before prctl */
#endif
                free(pids); /* the parent's bookkeeping (valgrind would call it lost) */
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGTERM, &old_term, NULL);
                err_t e;
                err_clear(&e);
                int rc = job(ctx, k, threads, &e);
                free(owned);
                if (rc)
                    fprintf(stderr, "nntrain: %s\n", e.msg);
                fflush(NULL);
                _exit(rc ? (e.code == ERR_INPUT ? 2 : 1) : 0);
            }
            for (int i = 0; i < parallel; i++)
                if (pids[i] == 0) {
                    pids[i] = pid;
                    break;
                }
            running++;
            k++;
            continue;
        }
        if (running == 0)
            break; /* a failure or a signal stopped new starts, and everyone is done */
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR)
                continue; /* a signal: pass it on, above */
            failed = ERR_RUNTIME;
            break;
        }
        for (int i = 0; i < parallel; i++)
            if (pids[i] == pid)
                pids[i] = 0;
        running--;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            ++*n_run;
        else if (!failed)
            failed = WIFEXITED(status) && WEXITSTATUS(status) == 2 ? ERR_INPUT : ERR_RUNTIME;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(pids);
    if (stop_signal)
        return err_set(err, ERR_RUNTIME, "%s: interrupted by %s; run the sweep again to go on "
                       "(finished trials are kept)", s->dir,
                       stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    if (failed)
        return err_set(err, failed, "%s: a trial failed (see above); run the sweep again "
                       "to go on (finished trials are kept)", s->dir);
    return 0;
}

/* run_pool's job for sweep_run_share: todo[k]'s trial. */
typedef struct {
    const sweep_spec *s;
    const sweep_trial *t;
    const cfg_t *base;
    const int *todo;
    sweep_run_fn run;
    void *user;
} trial_job;

static int trial_job_run(void *ctx, int k, int threads, err_t *err)
{
    const trial_job *j = ctx;
    sweep_result r;
    int trial = j->todo[k];
    return run_one(j->s, &j->t[trial], j->base, trial, threads, j->run, j->user, &r, err);
}

static void result_path(const sweep_spec *s, int i, char *buf, size_t n)
{
    trial_dir(s, i, buf, n);
    strncat(buf, "/result.csv", n - strlen(buf) - 1);
}

int sweep_run_share(const sweep_spec *s, const cfg_t *base, int rank, int n_ranks,
                    sweep_run_fn run, void *user, int *n_run, err_t *err)
{
    sweep_trial *t;
    int n;
    *n_run = 0;
    if (sweep_expand(s, base, &t, &n, err))
        return -1;
    int *todo = calloc((size_t)n, sizeof *todo);
    int n_todo = 0;
    int rc = todo ? make_dirs(s->dir, err) : err_set(err, ERR_RUNTIME, "out of memory");
    for (int i = rank; rc == 0 && i < n; i += n_ranks) {
        char path[CFG_PATH_MAX + 32];
        sweep_result r;
        result_path(s, i, path, sizeof path);
        if (!read_result(path, &r))
            todo[n_todo++] = i; /* not finished in an earlier run of this sweep */
    }
    int parallel = n_ranks > 1 ? 1 : s->parallel > 0 ? s->parallel : usable_cpus();
    if (parallel > n_todo)
        parallel = n_todo;
    if (rc == 0 && parallel > 1) {
        trial_job j = {s, t, base, todo, run, user};
        rc = run_pool(s, base, n_todo, parallel, trial_job_run, &j, todo, n_run, err);
    } else {
        for (int k = 0; rc == 0 && k < n_todo; k++) {
            sweep_result r;
            rc = run_one(s, &t[todo[k]], base, todo[k], 0, run, user, &r, err);
            *n_run += rc == 0;
        }
    }
    free(todo);
    free(t);
    return rc;
}

static int write_rung_tables(const sweep_spec *s, const cfg_t *base, err_t *err);

int sweep_write_results(const sweep_spec *s, const cfg_t *base, err_t *err)
{
    if (s->schedule != SWEEP_FULL)
        return write_rung_tables(s, base, err);
    sweep_trial *t;
    int n;
    if (sweep_expand(s, base, &t, &n, err))
        return -1;
    ranked *rk = calloc((size_t)n, sizeof *rk);
    int rc = rk ? 0 : err_set(err, ERR_RUNTIME, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        char path[CFG_PATH_MAX + 32];
        result_path(s, i, path, sizeof path);
        rk[i].trial = i;
        if (!read_result(path, &rk[i].r))
            rc = err_set(err, ERR_RUNTIME, "%s: no result (the trial did not finish; under "
                         "mpirun, sweep.dir must be on a file system every rank shares)", path);
    }
    if (rc == 0)
        rc = write_tables(s, t, base, rk, n, err);
    free(rk);
    free(t);
    return rc;
}

int sweep_run(const sweep_spec *s, const cfg_t *base, sweep_run_fn run, void *user,
              int *n_run, err_t *err)
{
    if (sweep_run_share(s, base, 0, 1, run, user, n_run, err))
        return -1;
    return sweep_write_results(s, base, err);
}

/* ---- successive halving and Hyperband (see sweep.h) ---------------------- */

static int plan_fail(const sweep_spec *s, int line, int col, err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* An error at the sweep key's line:col (line 0: at method's value). */
static int plan_fail(const sweep_spec *s, int line, int col, err_t *err, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return err_set(err, ERR_INPUT, "%s:%d:%d: sweep: %s", s->source, line ? line : s->method_line,
                   line ? col : s->method_col, what);
}

/* What halving and hyperband need of every trial's config: a validation
 * split to rank on, and train.epochs (the budget) left alone. */
static int check_rung_trial(const sweep_spec *s, const cfg_t *base, const cfg_t *c, err_t *err)
{
    if (!cfg_has_validation(c))
        return plan_fail(s, 0, 0, err,
                         "halving and hyperband rank trials by train.monitor (%s) on a "
                         "validation split, and data.validation is 0: set it to a number of "
                         "held-out examples, or data.validation_fraction to a share of them "
                         "(the test set never chooses)",
                         c->monitor == CFG_MONITOR_LOSS ? "loss" : "accuracy");
    if (c->epochs != base->epochs)
        return plan_fail(s, 0, 0, err, "train.epochs is the budget of halving and hyperband "
                         "(the last rung ends there): do not sweep it");
    return 0;
}

void sweep_plan_free(sweep_plan *p)
{
    free(p->of_trial);
    p->of_trial = NULL;
}

int sweep_make_plan(const sweep_spec *s, const cfg_t *base, int n, sweep_plan *p, err_t *err)
{
    memset(p, 0, sizeof *p);
    int E = base->epochs, eta = s->eta, m = s->min_epochs;
    p->epochs = E;
    p->n_trials = n;
    if (m > E)
        return plan_fail(s, s->min_line, s->min_col, err,
                         "min_epochs %d is more than train.epochs (%d): the first rung must fit "
                         "in the budget", m, E);
    if (s->schedule == SWEEP_HALVING) {
        if (n < 2)
            return plan_fail(s, 0, 0, err, "halving needs at least 2 trials (this sweep makes "
                             "%d): there is nothing to choose between", n);
        sweep_bracket *b = &p->b[0];
        p->n_brackets = 1;
        int e = m, keep = n;
        for (;;) {
            b->epochs[b->n_rungs] = e;
            b->keep[b->n_rungs++] = keep;
            if (e >= E)
                break;
            e = e > E / eta ? E : e * eta;
            keep = keep / eta > 0 ? keep / eta : 1;
        }
    } else {
        int smax = 0;
        for (long r = m; r * eta <= E; r *= eta)
            smax++;
        p->n_brackets = smax + 1;
        if (n < p->n_brackets)
            return plan_fail(s, 0, 0, err, "hyperband: %d trials for %d brackets (one at least "
                             "each): sweep more values or lower eta / raise min_epochs", n,
                             p->n_brackets);
        /* The paper's bracket sizes n_s, then the trials shared out in
         * proportion (largest remainder, each bracket at least one). */
        long ns[SWEEP_MAX_RUNGS], total = 0;
        int share[SWEEP_MAX_RUNGS], given = 0;
        for (int j = 0; j <= smax; j++) {
            int sb = smax - j; /* bracket j is s = smax - j */
            long pw = 1;
            for (int i = 0; i < sb; i++)
                pw *= eta;
            ns[j] = ((long)(smax + 1) * pw + sb) / (sb + 1); /* ceil */
            total += ns[j];
        }
        for (int j = 0; j <= smax; j++) {
            share[j] = (int)((long)n * ns[j] / total);
            if (share[j] < 1)
                share[j] = 1;
            given += share[j];
        }
        while (given != n) { /* to the largest remainder, or from the largest share */
            int best = -1;
            for (int j = 0; j <= smax; j++) {
                double want = (double)n * ns[j] / total - share[j];
                if (given < n && (best < 0 || want > (double)n * ns[best] / total - share[best]))
                    best = j;
                if (given > n && share[j] > 1 && (best < 0 || share[j] > share[best]))
                    best = j;
            }
            share[best] += given < n ? 1 : -1;
            given += given < n ? 1 : -1;
        }
        for (int j = 0; j <= smax; j++) {
            sweep_bracket *b = &p->b[j];
            int sb = smax - j;
            b->n_rungs = sb + 1;
            for (int i = 0; i <= sb; i++) {
                long pw = 1, keep = share[j];
                for (int q = 0; q < sb - i; q++)
                    pw *= eta;
                for (int q = 0; q < i; q++)
                    keep /= eta;
                b->epochs[i] = (int)(E / pw);
                b->keep[i] = keep > 0 ? (int)keep : 1;
            }
        }
    }
    p->of_trial = calloc((size_t)n, sizeof *p->of_trial);
    if (!p->of_trial)
        return err_set(err, ERR_RUNTIME, "out of memory");
    /* Trial i to the bracket furthest behind its share (ties: the first). */
    int got[SWEEP_MAX_RUNGS] = {0};
    for (int i = 0; i < n; i++) {
        int best = -1;
        long best_lag = 0;
        for (int j = 0; j < p->n_brackets; j++) {
            if (got[j] >= p->b[j].keep[0])
                continue;
            long lag = (long)p->b[j].keep[0] * (i + 1) - (long)got[j] * n;
            if (best < 0 || lag > best_lag)
                best = j, best_lag = lag;
        }
        p->of_trial[i] = best;
        got[best]++;
    }
    return 0;
}

/* One finished segment: trial-NNN/rung-K.csv. */
#define RUNG_HEADER "rung,epochs,status,eval_accuracy,eval_loss,best_accuracy,best_epoch," \
                    "final_loss,test_accuracy,seconds,start,end"

enum { SEG_PAUSED, SEG_COMPLETED, SEG_EARLY };
static const char *const SEG_STATUS[] = {"paused", "completed", "early"};

typedef struct {
    int have;
    int rung, epochs, status;
    double eval_accuracy, eval_loss, best_accuracy;
    int best_epoch;
    double final_loss, test_accuracy, seconds, start, end;
} rung_rec;

static void rung_path(const sweep_spec *s, int i, int k, char *buf, size_t n)
{
    trial_dir(s, i, buf, n);
    size_t w = strlen(buf);
    snprintf(buf + w, n - w, "/rung-%d.csv", k + 1);
}

static int write_rung_csv(FILE *f, const void *user)
{
    const rung_rec *r = user;
    fprintf(f, RUNG_HEADER "\n%d,%d,%s,%.6f,%.6f,%.6f,%d,%.6f,%.6f,%.3f,%.3f,%.3f\n", r->rung + 1,
            r->epochs, SEG_STATUS[r->status], r->eval_accuracy, r->eval_loss, r->best_accuracy,
            r->best_epoch, r->final_loss, r->test_accuracy, r->seconds, r->start, r->end);
    return 0;
}

/* Atomic: a kill leaves the rung recorded whole or not at all. */
static int write_rung(const char *path, const rung_rec *r, err_t *err)
{
    return fsx_write_atomic(path, "rung record", write_rung_csv, r, err);
}

static void read_rung(const char *path, rung_rec *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512], status[16];
    if (fgets(line, sizeof line, f) && !strncmp(line, RUNG_HEADER, strlen(RUNG_HEADER)) &&
        fscanf(f, "%d,%d,%15[a-z],%lf,%lf,%lf,%d,%lf,%lf,%lf,%lf,%lf", &r->rung, &r->epochs, status,
               &r->eval_accuracy, &r->eval_loss, &r->best_accuracy, &r->best_epoch, &r->final_loss,
               &r->test_accuracy, &r->seconds, &r->start, &r->end) == 12) {
        for (int q = 0; q < 3; q++)
            if (!strcmp(status, SEG_STATUS[q]))
                r->have = 1, r->status = q;
        r->rung--;
    }
    fclose(f);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Everything a halving / hyperband sweep knows: trials, plan, records. */
typedef struct {
    const sweep_spec *s;
    const cfg_t *base;
    sweep_trial *t;
    int n;
    sweep_plan plan;
    rung_rec *rec; /* [n][SWEEP_MAX_RUNGS] */
    int loss;      /* rank by the validation loss (train.monitor: loss) */
} rung_state;

static void rungs_free(rung_state *st)
{
    free(st->t);
    free(st->rec);
    sweep_plan_free(&st->plan);
}

static int rungs_load(const sweep_spec *s, const cfg_t *base, rung_state *st, err_t *err)
{
    memset(st, 0, sizeof *st);
    st->s = s;
    st->base = base;
    st->loss = base->monitor == CFG_MONITOR_LOSS;
    if (sweep_expand(s, base, &st->t, &st->n, err))
        return -1;
    if (sweep_make_plan(s, base, st->n, &st->plan, err))
        return -1;
    st->rec = calloc((size_t)st->n * SWEEP_MAX_RUNGS, sizeof *st->rec);
    if (!st->rec)
        return err_set(err, ERR_RUNTIME, "out of memory");
    return 0;
}

static rung_rec *rec_of(rung_state *st, int i, int k)
{
    return &st->rec[(size_t)i * SWEEP_MAX_RUNGS + k];
}

static void reload(rung_state *st, int i, int k)
{
    char path[CFG_PATH_MAX + 64];
    rung_path(st->s, i, k, path, sizeof path);
    read_rung(path, rec_of(st, i, k));
}

/* Better first: the rung's metric, then the trial number. */
static rung_state *cmp_state;
static int cmp_rung;

static int by_metric(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    const rung_rec *x = rec_of(cmp_state, i, cmp_rung), *y = rec_of(cmp_state, j, cmp_rung);
    double u = cmp_state->loss ? -x->eval_loss : x->eval_accuracy;
    double v = cmp_state->loss ? -y->eval_loss : y->eval_accuracy;
    if (u != v)
        return u < v ? 1 : -1;
    return i - j;
}

/* The trials at rung k (trial order) in *out; the rung-(k-1) records must
 * be loaded. -1 (err) if rung k-1 is not complete. */
static int rung_members(rung_state *st, int k, int *out, int *n_out, err_t *err)
{
    *n_out = 0;
    for (int b = 0; b < st->plan.n_brackets; b++) {
        const sweep_bracket *br = &st->plan.b[b];
        if (k >= br->n_rungs)
            continue;
        int n_prev = 0, n_cand = 0, start = *n_out;
        int *cand = out + start;
        for (int i = 0; i < st->n; i++) {
            if (st->plan.of_trial[i] != b)
                continue;
            if (k == 0) {
                out[(*n_out)++] = i;
                continue;
            }
            /* A member of rung k-1 is a trial with a record there. */
            const rung_rec *r = rec_of(st, i, k - 1);
            if (!r->have)
                continue;
            n_prev++;
            if (r->status == SEG_PAUSED)
                cand[n_cand++] = i;
        }
        if (k == 0)
            continue;
        (void)n_prev;
        cmp_state = st;
        cmp_rung = k - 1;
        qsort(cand, (size_t)n_cand, sizeof *cand, by_metric);
        int keep = br->keep[k] < n_cand ? br->keep[k] : n_cand;
        /* back to trial order */
        for (int a = 1; a < keep; a++)
            for (int c = a; c > 0 && cand[c - 1] > cand[c]; c--) {
                int x = cand[c];
                cand[c] = cand[c - 1];
                cand[c - 1] = x;
            }
        *n_out = start + keep;
    }
    (void)err;
    return 0;
}

/* The rung k members of round k; those whose rung k-1 is not on disk yet
 * do not count (rounds run in order, so after rung k-1's barrier all are). */
static int rung_complete(rung_state *st, int k)
{
    int *m = calloc((size_t)st->n + 1, sizeof *m), nm = 0, ok = 1;
    if (!m)
        return 0;
    rung_members(st, k, m, &nm, NULL);
    for (int q = 0; q < nm; q++)
        ok &= rec_of(st, m[q], k)->have;
    free(m);
    return ok;
}

/* Metrics of one trial, as its metrics.csv has them. */
static int read_metrics(const char *dir, curves_run *run, err_t *err)
{
    char path[CFG_PATH_MAX + 64];
    snprintf(path, sizeof path, "%.960s/metrics.csv", dir);
    return curves_read_csv(path, run, err);
}

typedef struct {
    rung_state *st;
    const int *jobs; /* trial numbers */
    int k;
    sweep_seg_fn run;
    void *user;
} seg_job;

static int seg_job_run(void *ctx, int q, int threads, err_t *err)
{
    const seg_job *j = ctx;
    rung_state *st = j->st;
    const sweep_spec *s = st->s;
    int i = j->jobs[q], k = j->k, b = st->plan.of_trial[i];
    int ek = st->plan.b[b].epochs[k], E = st->plan.epochs;
    char dir[CFG_PATH_MAX], path[CFG_PATH_MAX + 64];
    cfg_t c;
    trial_dir(s, i, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    if (trial_config(s, &st->t[i], st->base, dir, &c, err))
        return -1;
    /* Every trial checkpoints in its own directory: the rungs resume from it. */
    snprintf(c.checkpoint_path, sizeof c.checkpoint_path, "%.960s/checkpoint.ckpt", dir);
    if (make_dirs(dir, err) || write_yaml(path, &c, err))
        return -1;
    if (threads > 0)
        c.threads = threads;
    sweep_segment g = {ek < E ? ek : 0, c.checkpoint_path, k};
    sweep_result r;
    memset(&r, 0, sizeof r);
    rung_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.start = wall_now();
    if (j->run(&c, dir, &g, &r, j->user, err))
        return -1;
    rec.end = wall_now();
    curves_run m;
    if (read_metrics(dir, &m, err))
        return -1;
    int last = -1;
    for (int e = 0; e < m.n; e++) {
        if (m.epoch[e] > ek)
            break;
        last = e;
        if (m.eval_acc[e] > rec.best_accuracy || rec.best_epoch == 0) {
            rec.best_accuracy = m.eval_acc[e];
            rec.best_epoch = m.epoch[e];
        }
    }
    if (last < 0 || (r.paused && m.epoch[last] != ek)) {
        curves_run_free(&m);
        return err_set(err, ERR_RUNTIME, "%s/metrics.csv: no row for epoch %d after the trial's "
                       "rung %d", dir, ek, k + 1);
    }
    rec.have = 1;
    rec.rung = k;
    rec.epochs = m.epoch[last];
    rec.status = r.paused ? SEG_PAUSED : rec.epochs < E ? SEG_EARLY : SEG_COMPLETED;
    rec.eval_accuracy = r.paused || c.patience == 0 ? m.eval_acc[last] : r.eval_accuracy;
    rec.eval_loss = m.eval_loss[last];
    rec.final_loss = m.train_loss[last];
    rec.test_accuracy = r.paused ? -1 : r.test_accuracy;
    rec.seconds = rec.end - rec.start;
    curves_run_free(&m);
    rung_path(s, i, k, path, sizeof path);
    if (write_rung(path, &rec, err))
        return -1;
    printf("%s: rung %d (%d epochs): validation accuracy %.2f%%, loss %.4f, %s, %.1f s\n", dir,
           k + 1, ek, 100 * rec.eval_accuracy, rec.eval_loss, SEG_STATUS[rec.status], rec.seconds);
    fflush(stdout);
    return 0;
}

static rung_state *seg_state;
static int seg_rung;

static int seg_epochs(int i)
{
    const sweep_bracket *b = &seg_state->plan.b[seg_state->plan.of_trial[i]];
    return b->epochs[seg_rung] - (seg_rung > 0 ? b->epochs[seg_rung - 1] : 0);
}

static int by_segment(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    int x = seg_epochs(i), y = seg_epochs(j);
    return x != y ? y - x : i - j;
}

int sweep_run_rungs(const sweep_spec *s, const cfg_t *base, int rank, int n_ranks,
                    sweep_seg_fn run, sweep_sync_fn sync, void *user, int *n_run, err_t *err)
{
    rung_state st;
    *n_run = 0;
    int rc = rungs_load(s, base, &st, err);
    if (rc == 0)
        rc = make_dirs(s->dir, err);
    int max_rungs = 0;
    for (int b = 0; rc == 0 && b < st.plan.n_brackets; b++)
        if (st.plan.b[b].n_rungs > max_rungs)
            max_rungs = st.plan.b[b].n_rungs;
    int *members = calloc((size_t)st.n + 1, sizeof *members);
    int *todo = calloc((size_t)st.n + 1, sizeof *todo);
    if (rc == 0 && (!members || !todo))
        rc = err_set(err, ERR_RUNTIME, "out of memory");
    /* A sweep that fails to set up fails on every rank alike (the same
     * files and config), so no rank waits at a barrier for another. */
    for (int k = 0; rc == 0 && k < max_rungs; k++) {
        int nm = 0, n_todo = 0;
        for (int i = 0; i < st.n; i++)
            reload(&st, i, k);
        rung_members(&st, k, members, &nm, err);
        /* Longest segments first (then by trial), so that a round's short
         * segments fill in around its long ones (hyperband mixes brackets):
         * the order changes when a segment runs, never what it computes. */
        seg_state = &st;
        seg_rung = k;
        qsort(members, (size_t)nm, sizeof *members, by_segment);
        /* The j-th member of the round is rank j % n_ranks's, whatever is
         * already done: every rank computes the same list. */
        for (int q = rank; q < nm; q += n_ranks)
            if (!rec_of(&st, members[q], k)->have)
                todo[n_todo++] = members[q];
        int parallel = n_ranks > 1 ? 1 : s->parallel > 0 ? s->parallel : usable_cpus();
        if (parallel > n_todo)
            parallel = n_todo;
        seg_job j = {&st, todo, k, run, user};
        if (parallel > 1) {
            rc = run_pool(s, base, n_todo, parallel, seg_job_run, &j, NULL, n_run, err);
        } else {
            for (int q = 0; rc == 0 && q < n_todo; q++) {
                rc = seg_job_run(&j, q, 0, err);
                *n_run += rc == 0;
            }
        }
        if (sync)
            rc = sync(rc, user, err);
        if (rc == 0) {
            for (int i = 0; i < st.n; i++)
                reload(&st, i, k);
            if (!rung_complete(&st, k))
                rc = err_set(err, ERR_RUNTIME, "%s: rung %d is not complete after its round "
                             "(under mpirun, sweep.dir must be on a file system every rank "
                             "shares)", s->dir, k + 1);
        }
    }
    free(members);
    free(todo);
    rungs_free(&st);
    return rc ? -1 : 0;
}

/* Loads every record; *reached[i]: the trial's last rung on disk (-1: none). */
static int load_all(rung_state *st, int *reached)
{
    for (int i = 0; i < st->n; i++) {
        reached[i] = -1;
        int b = st->plan.of_trial[i];
        for (int k = 0; k < st->plan.b[b].n_rungs; k++) {
            reload(st, i, k);
            if (rec_of(st, i, k)->have)
                reached[i] = k;
        }
    }
    return 0;
}

int sweep_rung_summary(const sweep_spec *s, const cfg_t *base, long *spent, long *full,
                       int *stopped, err_t *err)
{
    rung_state st;
    if (rungs_load(s, base, &st, err)) {
        rungs_free(&st);
        return -1;
    }
    int *reached = calloc((size_t)st.n + 1, sizeof *reached);
    if (!reached) {
        rungs_free(&st);
        return err_set(err, ERR_RUNTIME, "out of memory");
    }
    load_all(&st, reached);
    *spent = 0;
    *full = (long)st.n * st.plan.epochs;
    for (int i = 0; i < st.n; i++) {
        const rung_rec *r = reached[i] >= 0 ? rec_of(&st, i, reached[i]) : NULL;
        *spent += r ? r->epochs : 0;
        if (stopped)
            stopped[i] = !r || r->status != SEG_COMPLETED;
    }
    free(reached);
    rungs_free(&st);
    return 0;
}

typedef struct {
    int trial, rung, budget;
    const rung_rec *r;
    double metric;
    double seconds;
} rung_row;

static int by_rung_then_metric(const void *a, const void *b)
{
    const rung_row *x = a, *y = b;
    if (x->budget != y->budget)
        return x->budget < y->budget ? 1 : -1;
    if (x->metric != y->metric)
        return x->metric < y->metric ? 1 : -1;
    return x->trial - y->trial;
}

/* The tables of a halving / hyperband sweep, rows ranked. */
typedef struct {
    const sweep_spec *s;
    rung_state *st;
    const rung_row *rows;
} rung_tables;

static const char *why_stopped(const rung_rec *r)
{
    return r->status == SEG_COMPLETED ? "completed" : r->status == SEG_EARLY ? "early stop" : "halved";
}

static void bare(const char *quoted, char *v, size_t cap)
{
    size_t w = 0;
    for (const char *p = quoted; *p && w + 1 < cap; p++)
        if (*p != '\'')
            v[w++] = *p;
    v[w] = '\0';
}

/* results.csv: fsx_write_atomic's callback. */
static int write_rung_results_csv(FILE *f, const void *user)
{
    const rung_tables *tb = user;
    const sweep_spec *s = tb->s;
    int hb = s->schedule == SWEEP_HYPERBAND;
    fprintf(f, "rank,trial%s", hb ? ",bracket" : "");
    for (int k = 0; k < s->n_params; k++)
        fprintf(f, ",%s", s->params[k].key);
    fprintf(f, ",eval_accuracy,eval_loss,best_accuracy,best_epoch,final_loss,test_accuracy,rung,"
               "epochs,stopped,seconds\n");
    for (int q = 0; q < tb->st->n; q++) {
        const rung_row *w = &tb->rows[q];
        const rung_rec *r = w->r;
        fprintf(f, "%d,%d", q + 1, w->trial + 1);
        if (hb)
            fprintf(f, ",%d", tb->st->plan.of_trial[w->trial] + 1);
        for (int k = 0; k < s->n_params; k++) {
            char v[SWEEP_VALUE_MAX];
            bare(tb->st->t[w->trial].values[k], v, sizeof v);
            fprintf(f, ",\"%s\"", v);
        }
        char test[32] = ""; /* a stopped trial has no final model to test */
        if (r->test_accuracy >= 0)
            snprintf(test, sizeof test, "%.6f", r->test_accuracy);
        fprintf(f, ",%.6f,%.6f,%.6f,%d,%.6f,%s,%d,%d,%s,%.2f\n", r->eval_accuracy, r->eval_loss,
                r->best_accuracy, r->best_epoch, r->final_loss, test, w->rung + 1, r->epochs,
                why_stopped(r), w->seconds);
    }
    return 0;
}

/* results.md: fsx_write_atomic's callback. */
static int write_rung_results_md(FILE *f, const void *user)
{
    const rung_tables *tb = user;
    const sweep_spec *s = tb->s;
    int hb = s->schedule == SWEEP_HYPERBAND;
    fprintf(f, "| rank | trial |%s", hb ? " bracket |" : "");
    for (int k = 0; k < s->n_params; k++)
        fprintf(f, " %s |", s->params[k].key);
    fprintf(f, " accuracy | loss | best (epoch) | final loss | test accuracy | rung | epochs "
               "| stopped | seconds |\n|---|---|%s", hb ? "---|" : "");
    for (int k = 0; k < s->n_params; k++)
        fprintf(f, "---|");
    fprintf(f, "---|---|---|---|---|---|---|---|---|\n");
    for (int q = 0; q < tb->st->n; q++) {
        const rung_row *w = &tb->rows[q];
        const rung_rec *r = w->r;
        int b = tb->st->plan.of_trial[w->trial];
        fprintf(f, "| %d | %d |", q + 1, w->trial + 1);
        if (hb)
            fprintf(f, " %d |", b + 1);
        for (int k = 0; k < s->n_params; k++) {
            char v[SWEEP_VALUE_MAX];
            bare(tb->st->t[w->trial].values[k], v, sizeof v);
            fprintf(f, " %s |", v);
        }
        char test[32] = "-";
        if (r->test_accuracy >= 0)
            snprintf(test, sizeof test, "%.2f%%", 100 * r->test_accuracy);
        fprintf(f, " %.2f%% | %.4f | %.2f%% (%d) | %.4f | %s | %d of %d | %d | %s | %.1f |\n",
                100 * r->eval_accuracy, r->eval_loss, 100 * r->best_accuracy, r->best_epoch,
                r->final_loss, test, w->rung + 1, tb->st->plan.b[b].n_rungs, r->epochs,
                why_stopped(r), w->seconds);
    }
    return 0;
}

/* Tables of a halving / hyperband sweep: ranked by the rung reached (its
 * epochs), then the validation metric there, then trial number. */
static int write_rung_tables(const sweep_spec *s, const cfg_t *base, err_t *err)
{
    rung_state st;
    int rc = rungs_load(s, base, &st, err);
    int *reached = rc == 0 ? calloc((size_t)st.n + 1, sizeof *reached) : NULL;
    rung_row *rows = rc == 0 ? calloc((size_t)st.n + 1, sizeof *rows) : NULL;
    if (rc == 0 && (!reached || !rows))
        rc = err_set(err, ERR_RUNTIME, "out of memory");
    if (rc == 0)
        load_all(&st, reached);
    for (int i = 0; rc == 0 && i < st.n; i++) {
        int b = st.plan.of_trial[i], k = reached[i];
        const rung_rec *r = k >= 0 ? rec_of(&st, i, k) : NULL;
        /* Finished: completed, stopped early, or paused at a rung whose
         * decision is made (the next rung of its bracket is complete). */
        int done = r && (r->status != SEG_PAUSED ||
                         (k + 1 < st.plan.b[b].n_rungs && rung_complete(&st, k + 1)));
        if (!done) {
            char path[CFG_PATH_MAX + 64];
            rung_path(s, i, k + 1 > 0 ? k + 1 : 0, path, sizeof path);
            rc = err_set(err, ERR_RUNTIME, "%s: no result (the trial did not finish its rung; "
                         "under mpirun, sweep.dir must be on a file system every rank shares)",
                         path);
            break;
        }
        rows[i].trial = i;
        rows[i].rung = k;
        rows[i].budget = st.plan.b[b].epochs[k];
        rows[i].r = r;
        rows[i].metric = st.loss ? -r->eval_loss : r->eval_accuracy;
        for (int q = 0; q <= k; q++)
            rows[i].seconds += rec_of(&st, i, q)->seconds;
    }
    char path[CFG_PATH_MAX + 32];
    rung_tables tb = {s, &st, rows};
    if (rc == 0) {
        qsort(rows, (size_t)st.n, sizeof *rows, by_rung_then_metric);
        snprintf(path, sizeof path, "%s/results.csv", s->dir);
        rc = fsx_write_atomic(path, "sweep results", write_rung_results_csv, &tb, err);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/results.md", s->dir);
        rc = fsx_write_atomic(path, "sweep results", write_rung_results_md, &tb, err);
    }
    if (rc == 0 && st.n > 0) {
        char dir[CFG_PATH_MAX];
        cfg_t c;
        trial_dir(s, rows[0].trial, dir, sizeof dir);
        if (trial_config(s, &st.t[rows[0].trial], base, dir, &c, err))
            rc = -1;
        snprintf(path, sizeof path, "%s/best.yaml", s->dir);
        if (rc == 0)
            rc = write_yaml(path, &c, err);
    }
    free(reached);
    free(rows);
    rungs_free(&st);
    return rc ? -1 : 0;
}
