/* sweep: see include/sweep.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "sweep.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

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
    int have_params = 0;
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
                   (!strcmp(text(v), "grid") || !strcmp(text(v), "random"))) {
            s->random = !strcmp(text(v), "random");
        } else if (!strcmp(name, "samples")) {
            const char *want = "samples: expected an integer from 1 to 10000";
            if (scalar_count(d, v, SWEEP_MAX_TRIALS, &num, want, err))
                return -1;
            if (num < 1)
                return fail_at(d, v, err, want);
            s->samples = (int)num;
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
                           "unknown key or bad value (sweep keys: dir (a path), method (grid or "
                           "random), samples, seed, parallel, params)");
        }
    }
    if (!have_params || s->n_params == 0)
        return fail_at(d, n, err, "params: nothing to sweep");
    for (int i = 0; i < s->n_params; i++)
        if (s->params[i].is_range && !s->random)
            return err_set(err, ERR_INPUT, "%s:%d:%d: sweep: %s: a {min, max} range needs method: random",
                           d->file, s->params[i].line, s->params[i].col, s->params[i].key);
    return 0;
}

int sweep_load(const char *path, sweep_spec *s, int *found, err_t *err)
{
    memset(s, 0, sizeof *s);
    *found = 0;
    snprintf(s->source, sizeof s->source, "%s", path);
    snprintf(s->dir, sizeof s->dir, "runs/sweep");
    s->samples = 10;
    s->seed = 1;
    s->parallel = 0;
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
        if (sweep_apply(s, &t[i], base, &c, err)) {
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
static int run_forked(const sweep_spec *s, const sweep_trial *t, const cfg_t *base,
                      int *todo, int n_todo, int parallel, sweep_run_fn run, void *user,
                      int *n_run, err_t *err)
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
            pid_t pid = fork();
            if (pid < 0) {
                failed = ERR_RUNTIME;
                break;
            }
            if (pid == 0) {
                /* A group of its own: Ctrl-C at a terminal reaches only the
                 * parent, which passes it on once (a second SIGINT would
                 * make the trial quit without its checkpoint). */
                setpgid(0, 0);
                int trial = todo[k];
                free(pids); /* the parent's bookkeeping (valgrind would call it lost) */
                free(todo);
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGTERM, &old_term, NULL);
                sweep_result r;
                err_t e;
                err_clear(&e);
                int rc = run_one(s, &t[trial], base, trial, threads, run, user, &r, &e);
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
        rc = run_forked(s, t, base, todo, n_todo, parallel, run, user, n_run, err);
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

int sweep_write_results(const sweep_spec *s, const cfg_t *base, err_t *err)
{
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
