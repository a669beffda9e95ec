/* cfg: see include/cfg.h. The schema is documented in configs/README.md.
 *
 * The YAML is read with libyaml's document API (the whole tree in memory;
 * configs are tiny) and then walked against one table, KEYS[], which lists
 * every section.key with its kind, its field in cfg_t and its range. The same
 * table drives error messages ("train keys: ...") and cfg_write_yaml, so a key
 * added there is parsed, checked, listed and written back without more code.
 *
 * Scalars are read by their text, whatever their YAML style: "10" (quoted)
 * is the integer 10 for an integer key, and a plain 123 is the string "123"
 * for a path key. That keeps files and -s overrides consistent, since a shell
 * user cannot easily tell which quotes reach us. */
#include "cfg.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_MAX_BATCH 1000000
#define CFG_MAX_EPOCHS 100000
#define CFG_MAX_THREADS 1024
#define CFG_MAX_SHARDS 4096
/* Room for a section's key list in messages ("train keys: ..."), which
 * grows with every key: the train section is past 250 characters. */
#define KEY_LIST_MAX 640
#define CFG_MAX_FILE (1 << 20) /* a config is a few hundred bytes; refuse junk */
#define CFG_MAX_DEPTH 32       /* mappings and lists inside one another; a config needs 5 */

/* ---- the schema ---------------------------------------------------------- */

typedef enum {
    K_STR,    /* string; "" allowed (data.dir, output paths) */
    K_FILE,   /* string; must not be "" (data file names) */
    K_INT,    /* int in [lo, hi] */
    K_U64,    /* uint64_t, full range */
    K_RATE,   /* double, finite, > 0 */
    K_BOOL,   /* int 0/1 */
    K_SIZES,  /* network.sizes: sets sizes[] and n_layers */
    K_HIDDEN, /* network.activation: sets hidden_act[] and n_hidden_act */
    K_OUTPUT, /* net_act, softmax allowed */
    K_COST,   /* net_cost */
    K_INIT,   /* net_init_kind */
    K_REDUCE, /* train.reduce: "fused" or "shards", stored as int 0/1 */
    K_SCHED,  /* train.schedule: sched_kind */
    K_MONITOR, /* train.monitor: "accuracy" or "loss", stored as int 0/1 */
    K_GAMMA,  /* double in (0, 1]: a decay factor */
    K_OPTIM,  /* train.optimizer: optim_name */
    K_FRAC,   /* double in [0, 1) */
    K_DROPOUT, /* train.dropout: sets dropout[] and n_dropout, each in [0, 1) */
    K_NONNEG, /* double, finite, >= 0 */
    K_UPTO,   /* double in [0, hi] (angles in degrees) */
    K_NAMES,  /* cfg_names: a name, or a list of names (data.label...) */
    K_TASK,   /* data.task: CFG_TASK_* */
    K_SCALE,  /* data.scale: CFG_SCALE_* */
    K_MISSING, /* data.missing: CFG_MISSING_* */
    K_DELIM,  /* data.delimiter: auto, comma, semicolon, tab, pipe */
    K_LAYERS, /* network.hidden: none, or a list of hidden layer sizes */
    K_CLASSW  /* train.class_weights: none, balanced */
} key_kind;

/* Whether a key decides the run's trajectory, so that a checkpoint made with
 * another value must not be resumed (cfg_identity_text); NULL: it does not. */
typedef int (*identity_fn)(const cfg_t *c);

static int always(const cfg_t *c)
{
    (void)c;
    return 1;
}

/* Only train.reduce: shards splits a batch by these. */
static int in_shards_mode(const cfg_t *c) { return c->shard_buffers; }

/* Without determinism the split, so every bit, follows the thread count. */
static int threads_decide(const cfg_t *c) { return c->shard_buffers && !c->deterministic; }

/* The schedule's own keys count only where the schedule reads them; the
 * epoch count decides the trajectory only for cosine, which anneals over
 * the whole run (elsewhere epochs may grow on resume). */
static int is_step(const cfg_t *c) { return c->schedule == SCHED_STEP; }
static int uses_gamma(const cfg_t *c) { return c->schedule == SCHED_STEP || c->schedule == SCHED_EXPONENTIAL; }
static int is_cosine(const cfg_t *c) { return c->schedule == SCHED_COSINE; }
static int early_stopping(const cfg_t *c) { return c->patience > 0; }
/* Each optimizer's own hyperparameters count only with it. */
static int is_sgd(const cfg_t *c) { return c->optimizer == OPTIM_NAME_SGD; }
static int is_adam(const cfg_t *c) { return c->optimizer != OPTIM_NAME_SGD; }
static int has_momentum(const cfg_t *c) { return is_sgd(c) && c->momentum > 0; }
static int augment_elastic(const cfg_t *c) { return c->aug_elastic_alpha > 0; }
static int weighs_classes(const cfg_t *c) { return c->class_weights != CFG_CLASS_WEIGHTS_NONE; }
/* Only when set: configs without it keep their identity (and checkpoints). */
static int holds_out_share(const cfg_t *c) { return c->validation_fraction > 0; }

/* One row per key: everything about it is here, and nowhere else. */
typedef struct {
    const char *section;
    const char *name;
    key_kind kind;
    size_t off;         /* field in cfg_t (unused for K_SIZES, K_HIDDEN, K_DROPOUT) */
    long long lo, hi;   /* K_INT range */
    const char *dflt;   /* the default, as YAML text read like any value */
    identity_fn identity;
} key_spec;

#define F(field) offsetof(cfg_t, field)
static const key_spec KEYS[] = {
    {"data", "dir", K_STR, F(data_dir), 0, 0, "mnist", NULL},
    {"data", "train_images", K_FILE, F(train_images), 0, 0, "train-images-idx3-ubyte.gz", NULL},
    {"data", "train_labels", K_FILE, F(train_labels), 0, 0, "train-labels-idx1-ubyte.gz", NULL},
    {"data", "test_images", K_FILE, F(test_images), 0, 0, "t10k-images-idx3-ubyte.gz", NULL},
    {"data", "test_labels", K_FILE, F(test_labels), 0, 0, "t10k-labels-idx1-ubyte.gz", NULL},
    {"data", "validation", K_INT, F(validation), 0, INT_MAX, "0", always},
    {"data", "validation_fraction", K_FRAC, F(validation_fraction), 0, 0, "0", holds_out_share},
    {"data", "train_limit", K_INT, F(train_limit), 0, INT_MAX, "0", always},
    /* A table's keys: its data's checksum (ckpt.h) covers what they decide. */
    {"data", "train", K_STR, F(train_table), 0, 0, "\"\"", NULL},
    {"data", "test", K_STR, F(test_table), 0, 0, "\"\"", NULL},
    {"data", "label", K_NAMES, F(label), 0, 0, "[]", NULL},
    {"data", "task", K_TASK, F(task), 0, 0, "classification", NULL},
    {"data", "test_fraction", K_FRAC, F(test_fraction), 0, 0, "0.2", NULL},
    {"data", "features", K_NAMES, F(features), 0, 0, "[]", NULL},
    {"data", "ignore", K_NAMES, F(ignore), 0, 0, "[]", NULL},
    {"data", "categorical", K_NAMES, F(categorical), 0, 0, "[]", NULL},
    {"data", "missing", K_MISSING, F(missing), 0, 0, "error", NULL},
    {"data", "missing_values", K_NAMES, F(missing_values), 0, 0, "[\"\", NA, NaN, \"?\"]", NULL},
    {"data", "scale", K_SCALE, F(scale), 0, 0, "standard", NULL},
    {"data", "delimiter", K_DELIM, F(delimiter), 0, 0, "auto", NULL},
    {"data", "header", K_BOOL, F(header), 0, 0, "true", NULL},
    {"data", "x", K_STR, F(npz_x), 0, 0, "X", NULL},
    {"data", "y", K_STR, F(npz_y), 0, 0, "y", NULL},
    {"network", "sizes", K_SIZES, 0, 0, 0, "[784, 30, 10]", always},
    {"network", "activation", K_HIDDEN, 0, 0, 0, "sigmoid", always},
    {"network", "output", K_OUTPUT, F(output_act), 0, 0, "sigmoid", always},
    {"network", "cost", K_COST, F(cost), 0, 0, "quadratic", always},
    {"network", "init", K_INIT, F(init), 0, 0, "nielsen", always},
    {"network", "hidden", K_LAYERS, 0, 0, 0, "none", NULL}, /* network.sizes says it */
    {"train", "learning_rate", K_RATE, F(learning_rate), 0, 0, "3.0", always},
    {"train", "batch_size", K_INT, F(batch_size), 1, CFG_MAX_BATCH, "10", always},
    {"train", "epochs", K_INT, F(epochs), 1, CFG_MAX_EPOCHS, "30", is_cosine},
    {"train", "schedule", K_SCHED, F(schedule), 0, 0, "constant", always},
    {"train", "step_epochs", K_INT, F(step_epochs), 1, CFG_MAX_EPOCHS, "10", is_step},
    {"train", "gamma", K_GAMMA, F(gamma), 0, 0, "0.1", uses_gamma},
    {"train", "min_learning_rate", K_NONNEG, F(min_learning_rate), 0, 0, "0", is_cosine},
    {"train", "warmup_epochs", K_NONNEG, F(warmup_epochs), 0, 0, "0", always},
    {"train", "patience", K_INT, F(patience), 0, CFG_MAX_EPOCHS, "0", always},
    {"train", "monitor", K_MONITOR, F(monitor), 0, 0, "accuracy", early_stopping},
    {"train", "seed", K_U64, F(seed), 0, 0, "1", always},
    {"train", "threads", K_INT, F(threads), 0, CFG_MAX_THREADS, "0", threads_decide},
    {"train", "reduce", K_REDUCE, F(shard_buffers), 0, 0, "fused", always},
    {"train", "shards", K_INT, F(shards), 0, CFG_MAX_SHARDS, "0", in_shards_mode},
    {"train", "deterministic", K_BOOL, F(deterministic), 0, 0, "true", in_shards_mode},
    {"train", "overlap", K_BOOL, F(overlap), 0, 0, "false", NULL},
    {"train", "optimizer", K_OPTIM, F(optimizer), 0, 0, "sgd", always},
    {"train", "momentum", K_FRAC, F(momentum), 0, 0, "0.0", is_sgd},
    {"train", "nesterov", K_BOOL, F(nesterov), 0, 0, "false", has_momentum},
    {"train", "beta1", K_FRAC, F(beta1), 0, 0, "0.9", is_adam},
    {"train", "beta2", K_FRAC, F(beta2), 0, 0, "0.999", is_adam},
    {"train", "epsilon", K_RATE, F(epsilon), 0, 0, "1e-8", is_adam},
    {"train", "weight_decay", K_NONNEG, F(weight_decay), 0, 0, "0.0", always},
    {"train", "dropout", K_DROPOUT, 0, 0, 0, "0.0", always},
    {"train", "input_dropout", K_FRAC, F(input_dropout), 0, 0, "0.0", always},
    {"train", "max_norm", K_NONNEG, F(max_norm), 0, 0, "0", always},
    {"train", "label_smoothing", K_FRAC, F(label_smoothing), 0, 0, "0.0", always},
    {"train", "class_weights", K_CLASSW, F(class_weights), 0, 0, "none", weighs_classes},
    {"augment", "shift", K_NONNEG, F(aug_shift), 0, 0, "0", always},
    {"augment", "rotate", K_UPTO, F(aug_rotate), 0, 180, "0", always},
    {"augment", "scale", K_FRAC, F(aug_scale), 0, 0, "0", always},
    {"augment", "shear", K_UPTO, F(aug_shear), 0, 60, "0", always},
    {"augment", "elastic_alpha", K_NONNEG, F(aug_elastic_alpha), 0, 0, "0", always},
    {"augment", "elastic_sigma", K_RATE, F(aug_elastic_sigma), 0, 0, "4.0", augment_elastic},
    {"output", "model", K_STR, F(model_path), 0, 0, "\"\"", NULL},
    {"output", "metrics", K_STR, F(metrics_path), 0, 0, "\"\"", NULL},
    {"output", "checkpoint", K_STR, F(checkpoint_path), 0, 0, "\"\"", NULL},
    {"output", "checkpoint_every", K_INT, F(checkpoint_every), 0, CFG_MAX_EPOCHS, "1", NULL},
    {"output", "save_last", K_BOOL, F(save_last), 0, 0, "false", NULL},
};
#undef F
#define N_KEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

static const char *const SECTIONS[] = {"data", "network", "train", "augment", "output"};
#define N_SECTIONS 5
#define SECTION_LIST "data, network, train, augment, output"

static int find_section(const char *name)
{
    for (int i = 0; i < N_SECTIONS; i++)
        if (strcmp(SECTIONS[i], name) == 0) return i;
    return -1;
}

static int find_key(const char *section, const char *name)
{
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].section, section) == 0 && strcmp(KEYS[i].name, name) == 0)
            return i;
    return -1;
}

static const char *first_key(const char *section)
{
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].section, section) == 0) return KEYS[i].name;
    return "";
}

/* "learning_rate, batch_size, ..." for messages about unknown keys. */
static void key_list(const char *section, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_KEYS && len < n; i++) {
        if (strcmp(KEYS[i].section, section) != 0) continue;
        len += snprintf(buf + len, n - len, "%s%s", len ? ", " : "", KEYS[i].name);
    }
}

/* ---- names of activations, costs and inits (tables live in net.c) ------- */

typedef enum {
    L_HIDDEN, L_OUTPUT, L_COST, L_INIT, L_REDUCE, L_SCHED, L_MONITOR, L_OPTIM,
    L_TASK, L_SCALE, L_MISSING, L_DELIM, L_CLASSW
} name_list;

static const char *const REDUCE_NAMES[] = {"fused", "shards"};
static const char *const MONITOR_NAMES[] = {"accuracy", "loss"}; /* CFG_MONITOR_* */
static const char *const TASK_NAMES[] = {"classification", "regression"}; /* CFG_TASK_* */
static const char *const SCALE_NAMES[] = {"standard", "minmax", "none"}; /* CFG_SCALE_* */
static const char *const MISSING_NAMES[] = {"error", "mean", "median", "most_frequent"};
static const char *const DELIM_NAMES[] = {"auto", "comma", "semicolon", "tab", "pipe"};
static const char *const CLASSW_NAMES[] = {"none", "balanced"}; /* CFG_CLASS_WEIGHTS_* */

/* The lists of names stored as a plain int: the name's index. */
static const char *const *int_names(name_list l, int *count)
{
    switch (l) {
    case L_REDUCE: *count = 2; return REDUCE_NAMES;
    case L_MONITOR: *count = 2; return MONITOR_NAMES;
    case L_TASK: *count = 2; return TASK_NAMES;
    case L_SCALE: *count = 3; return SCALE_NAMES;
    case L_MISSING: *count = 4; return MISSING_NAMES;
    case L_DELIM: *count = 5; return DELIM_NAMES;
    case L_CLASSW: *count = 2; return CLASSW_NAMES;
    default: *count = 0; return NULL;
    }
}

static int kind_names(key_kind kind);

static int list_count(name_list l)
{
    int n;
    if (int_names(l, &n))
        return n;
    return l == L_COST      ? COST_COUNT
           : l == L_INIT    ? INIT_COUNT
           : l == L_REDUCE  ? 2
           : l == L_SCHED   ? SCHED_COUNT
           : l == L_MONITOR ? 2
           : l == L_OPTIM   ? OPTIM_NAME_COUNT
                            : ACT_COUNT;
}

static const char *list_name(name_list l, int i)
{
    if (l == L_COST) return net_cost_name((net_cost)i);
    if (l == L_INIT) return net_init_name((net_init_kind)i);
    int n;
    const char *const *names = int_names(l, &n);
    if (names) return names[i];
    if (l == L_SCHED) return sched_name((sched_kind)i);
    if (l == L_OPTIM) return optim_name_str((optim_name)i);
    return net_act_name((net_act)i);
}

/* "one of sigmoid, tanh, ..." (softmax left out for hidden layers). */
static void expected_names(name_list l, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "one of");
    for (int i = 0; i < list_count(l) && len < n; i++) {
        if (l == L_HIDDEN && i == ACT_SOFTMAX) continue;
        len += snprintf(buf + len, n - len, "%s %s", i ? "," : "", list_name(l, i));
    }
}

static int parse_name(name_list l, const char *s, int *out)
{
    int rc;
    int n_int;
    if (int_names(l, &n_int) || l == L_SCHED) {
        rc = -1;
        for (int i = 0; i < list_count(l); i++)
            if (strcmp(s, list_name(l, i)) == 0) {
                *out = i;
                rc = 0;
            }
    } else if (l == L_OPTIM) {
        optim_name v;
        rc = optim_name_parse(s, &v);
        *out = (int)v;
    } else if (l == L_COST) {
        net_cost v;
        rc = net_cost_parse(s, &v);
        *out = (int)v;
    } else if (l == L_INIT) {
        net_init_kind v;
        rc = net_init_parse(s, &v);
        *out = (int)v;
    } else {
        net_act v;
        rc = net_act_parse(s, &v);
        *out = (int)v;
    }
    return rc;
}

/* ---- scalar parsing (pure functions of the text) ------------------------- */

/* Decimal digits with an optional sign, nothing else: no hex, no "1e3",
 * no spaces, no "10.0". strtoll alone would accept " 0x1f" or "12abc". */
static int is_decimal(const char *s, int allow_minus)
{
    if (*s == '+' || (allow_minus && *s == '-')) s++;
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

static int parse_ll(const char *s, long long *out)
{
    if (!is_decimal(s, 1)) return -1;
    errno = 0;
    *out = strtoll(s, NULL, 10);
    return errno == ERANGE ? -1 : 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!is_decimal(s, 0)) return -1; /* strtoull would wrap "-1" silently */
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE || v > UINT64_MAX) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    /* strtod skips leading spaces; YAML already trimmed plain scalars, so
     * a space here came from quotes and is junk. */
    if (!*s || *s == ' ' || *s == '\t') return -1;
    errno = 0;
    *out = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(*out)) return -1;
    return 0;
}

/* YAML 1.1 booleans, minus the one-letter y/n forms (too easy to mistype). */
static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(s, yes[i]) == 0) return *out = 1, 0;
        if (strcmp(s, no[i]) == 0) return *out = 0, 0;
    }
    return -1;
}

/* ---- walking the YAML tree ----------------------------------------------- */

/* Where the values being applied come from: a YAML file, or one -s. */
typedef struct {
    cfg_t *c;
    yaml_document_t *doc;
    const char *file;   /* file name for messages; NULL for an override */
    const char *assign; /* the whole "key=value" of an override */
    const char *context; /* after file:line:col in messages: ": sweep", or NULL */
} src_t;

static const char *text(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* A plain empty scalar, `~` or `null`: what YAML gives for `key:` alone. */
static int is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = text(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* "file:line:col" of a node (libyaml counts from 0), or "-s key=value". */
static void where(const src_t *s, const yaml_node_t *n, char *buf, size_t len)
{
    if (s->file)
        snprintf(buf, len, "%s:%lu:%lu%s", s->file, (unsigned long)n->start_mark.line + 1,
                 (unsigned long)n->start_mark.column + 1, s->context ? s->context : "");
    else
        snprintf(buf, len, "-s %s", s->assign);
}

/* What a node holds, as a message says it: "ten" (quoted), a sequence... */
static const char *describe(const yaml_node_t *n, char *buf, size_t len)
{
    if (n->type == YAML_SEQUENCE_NODE) return "a sequence";
    if (n->type == YAML_MAPPING_NODE) return "a mapping";
    if (is_null(n) && !*text(n)) return "nothing";
    snprintf(buf, len, "\"%.64s%s\"", text(n), strlen(text(n)) > 64 ? "..." : "");
    return buf;
}

static int bad_value(const src_t *s, const yaml_node_t *n, const char *key,
                     const char *expected, err_t *err)
{
    char at[CFG_PATH_MAX + 64], got[80];
    where(s, n, at, sizeof at);
    return err_set(err, ERR_INPUT, "%s: %s: expected %s, got %s", at, key, expected,
                   describe(n, got, sizeof got));
}

/* Records (or, for a later override, moves) where key's value came from. */
static void loc_record(cfg_t *c, const char *key, int line, int col)
{
    int i = 0;
    while (i < c->n_locs && strcmp(c->locs[i].key, key) != 0) i++;
    if (i == CFG_MAX_KEYS) return; /* cannot happen: KEYS has fewer entries */
    if (i == c->n_locs) {
        snprintf(c->locs[i].key, sizeof c->locs[i].key, "%s", key);
        c->n_locs++;
    }
    c->locs[i].line = line;
    c->locs[i].col = col;
}

static int apply_string(const src_t *s, const key_spec *k, const char *key,
                        const yaml_node_t *n, err_t *err)
{
    const char *expected = k->kind == K_FILE ? "a file name" : "a path (or \"\" for none)";
    if (n->type != YAML_SCALAR_NODE) return bad_value(s, n, key, expected, err);
    /* A bare `model:` means "no path"; a quoted "~" is a real file name. */
    const char *v = is_null(n) ? "" : text(n);
    if (k->kind == K_FILE && !*v) return bad_value(s, n, key, expected, err);
    if (strlen(v) >= CFG_PATH_MAX) {
        char at[CFG_PATH_MAX + 64];
        where(s, n, at, sizeof at);
        return err_set(err, ERR_INPUT, "%s: %s: path is %zu bytes long, the limit is %d", at,
                       key, strlen(v), CFG_PATH_MAX - 1);
    }
    memcpy((char *)s->c + k->off, v, strlen(v) + 1);
    return 0;
}

static int apply_int(const src_t *s, const key_spec *k, const char *key,
                     const yaml_node_t *n, err_t *err)
{
    char expected[80];
    long long v;
    if (k->hi == INT_MAX)
        snprintf(expected, sizeof expected, "an integer >= %lld", k->lo);
    else
        snprintf(expected, sizeof expected, "an integer from %lld to %lld", k->lo, k->hi);
    if (n->type != YAML_SCALAR_NODE || parse_ll(text(n), &v) || v < k->lo || v > k->hi)
        return bad_value(s, n, key, expected, err);
    *(int *)((char *)s->c + k->off) = (int)v;
    return 0;
}

static int apply_scalar(const src_t *s, const key_spec *k, const char *key,
                        const yaml_node_t *n, err_t *err)
{
    void *p = (char *)s->c + k->off;
    int scalar = n->type == YAML_SCALAR_NODE;
    switch (k->kind) {
    case K_U64: {
        uint64_t v;
        if (!scalar || parse_u64(text(n), &v))
            return bad_value(s, n, key, "an integer from 0 to 18446744073709551615", err);
        *(uint64_t *)p = v;
        return 0;
    }
    case K_RATE: {
        double v;
        if (!scalar || parse_double(text(n), &v) || !(v > 0))
            return bad_value(s, n, key, "a finite number > 0", err);
        *(double *)p = v;
        return 0;
    }
    case K_FRAC: {
        double v;
        if (!scalar || parse_double(text(n), &v) || !(v >= 0 && v < 1))
            return bad_value(s, n, key, "a number >= 0 and < 1", err);
        *(double *)p = v;
        return 0;
    }
    case K_GAMMA:
    case K_NONNEG: {
        double v;
        int frac = k->kind == K_GAMMA;
        if (!scalar || parse_double(text(n), &v) || (frac ? !(v > 0 && v <= 1) : !(v >= 0)))
            return bad_value(s, n, key, frac ? "a number > 0 and <= 1" : "a finite number >= 0", err);
        *(double *)p = v == 0 ? 0.0 : v; /* -0 reads as 0 */
        return 0;
    }
    case K_UPTO: {
        double v;
        char expected[64];
        snprintf(expected, sizeof expected, "a number from 0 to %lld", k->hi);
        if (!scalar || parse_double(text(n), &v) || !(v >= 0 && v <= k->hi))
            return bad_value(s, n, key, expected, err);
        *(double *)p = v == 0 ? 0.0 : v;
        return 0;
    }
    case K_BOOL: {
        int v;
        if (!scalar || parse_bool(text(n), &v))
            return bad_value(s, n, key, "true or false (or yes/no, on/off)", err);
        *(int *)p = v;
        return 0;
    }
    default: { /* K_OUTPUT, K_COST, K_INIT, K_REDUCE, K_SCHED, K_MONITOR, K_OPTIM: a name */
        name_list l = (name_list)kind_names(k->kind);
        char expected[160];
        int v = 0;
        expected_names(l, expected, sizeof expected);
        if (!scalar || parse_name(l, text(n), &v)) return bad_value(s, n, key, expected, err);
        if (l == L_OUTPUT) *(net_act *)p = (net_act)v;
        if (l == L_COST) *(net_cost *)p = (net_cost)v;
        if (l == L_INIT) *(net_init_kind *)p = (net_init_kind)v;
        int n_int;
        if (int_names(l, &n_int)) *(int *)p = v;
        if (l == L_SCHED) *(sched_kind *)p = (sched_kind)v;
        if (l == L_OPTIM) *(optim_name *)p = (optim_name)v;
        return 0;
    }
    }
}

static int apply_sizes(const src_t *s, const char *key, const yaml_node_t *n, err_t *err)
{
    int sizes[NET_MAX_LAYERS + 1];
    char expected[80], at[CFG_PATH_MAX + 64];
    snprintf(expected, sizeof expected, "a sequence of 2 to %d layer sizes, e.g. [784, 30, 10]",
             NET_MAX_LAYERS + 1);
    if (n->type != YAML_SEQUENCE_NODE) return bad_value(s, n, key, expected, err);
    int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count < 2 || count > NET_MAX_LAYERS + 1) {
        where(s, n, at, sizeof at);
        return err_set(err, ERR_INPUT, "%s: %s: expected 2 to %d layer sizes (at most %d weight layers), got %d",
                       at, key, NET_MAX_LAYERS + 1, NET_MAX_LAYERS, count);
    }
    for (int i = 0; i < count; i++) {
        yaml_node_t *item = yaml_document_get_node(s->doc, n->data.sequence.items.start[i]);
        long long v;
        if (item->type != YAML_SCALAR_NODE || parse_ll(text(item), &v) || v < 1 || v > NET_MAX_UNITS) {
            char ikey[80];
            snprintf(ikey, sizeof ikey, "%s[%d]", key, i);
            snprintf(expected, sizeof expected, "an integer from 1 to %d", NET_MAX_UNITS);
            return bad_value(s, item, ikey, expected, err);
        }
        sizes[i] = (int)v;
    }
    /* Commit only now, and clear the tail, so structs compare equal. */
    memset(s->c->sizes, 0, sizeof s->c->sizes);
    memcpy(s->c->sizes, sizes, (size_t)count * sizeof sizes[0]);
    s->c->n_layers = count - 1;
    return 0;
}

/* One hidden activation name, at node n (key names it in messages). */
static int hidden_name(const src_t *s, const char *key, const yaml_node_t *n, net_act *out,
                       err_t *err)
{
    char expected[160];
    int v;
    expected_names(L_HIDDEN, expected, sizeof expected);
    if (n->type != YAML_SCALAR_NODE || parse_name(L_HIDDEN, text(n), &v))
        return bad_value(s, n, key, expected, err);
    if (v == ACT_SOFTMAX) {
        char at[CFG_PATH_MAX + 64];
        where(s, n, at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: %s: softmax is only allowed for the output layer (network.output); "
                       "hidden layers take %s", at, key, expected);
    }
    *out = (net_act)v;
    return 0;
}

static int apply_hidden(const src_t *s, const char *key, const yaml_node_t *n, err_t *err)
{
    net_act acts[NET_MAX_LAYERS];
    int count = 1;
    if (n->type == YAML_SCALAR_NODE) {
        if (hidden_name(s, key, n, &acts[0], err)) return -1;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count < 1 || count > NET_MAX_LAYERS) {
            char at[CFG_PATH_MAX + 64];
            where(s, n, at, sizeof at);
            return err_set(err, ERR_INPUT, "%s: %s: expected 1 to %d activation names, got %d", at,
                           key, NET_MAX_LAYERS, count);
        }
        for (int i = 0; i < count; i++) {
            char ikey[80];
            snprintf(ikey, sizeof ikey, "%s[%d]", key, i);
            yaml_node_t *item = yaml_document_get_node(s->doc, n->data.sequence.items.start[i]);
            if (hidden_name(s, ikey, item, &acts[i], err)) return -1;
        }
    } else {
        return bad_value(s, n, key, "an activation name or a sequence of them", err);
    }
    memset(s->c->hidden_act, 0, sizeof s->c->hidden_act);
    memcpy(s->c->hidden_act, acts, (size_t)count * sizeof acts[0]);
    s->c->n_hidden_act = count;
    return 0;
}

/* train.dropout: one rate for every hidden layer's outputs, or one per
 * hidden layer, each in [0, 1). */
static int apply_dropout(const src_t *s, const char *key, const yaml_node_t *n, err_t *err)
{
    double rates[NET_MAX_LAYERS], v;
    int count = 1;
    const char *expected = "a number >= 0 and < 1";
    if (n->type == YAML_SCALAR_NODE) {
        if (parse_double(text(n), &v) || !(v >= 0 && v < 1)) return bad_value(s, n, key, expected, err);
        rates[0] = v;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count < 1 || count > NET_MAX_LAYERS) {
            char at[CFG_PATH_MAX + 64];
            where(s, n, at, sizeof at);
            return err_set(err, ERR_INPUT, "%s: %s: expected 1 to %d dropout rates, got %d", at, key,
                           NET_MAX_LAYERS, count);
        }
        for (int i = 0; i < count; i++) {
            char ikey[80];
            snprintf(ikey, sizeof ikey, "%s[%d]", key, i);
            yaml_node_t *item = yaml_document_get_node(s->doc, n->data.sequence.items.start[i]);
            if (item->type != YAML_SCALAR_NODE || parse_double(text(item), &v) || !(v >= 0 && v < 1))
                return bad_value(s, item, ikey, expected, err);
            rates[i] = v;
        }
    } else {
        return bad_value(s, n, key, "a number in [0, 1) or a sequence of them", err);
    }
    memset(s->c->dropout, 0, sizeof s->c->dropout);
    for (int i = 0; i < count; i++) s->c->dropout[i] = rates[i] == 0 ? 0.0 : rates[i];
    s->c->n_dropout = count;
    return 0;
}

/* data.label, data.ignore...: a name, or a sequence of names (none: []). */
static int apply_names(const src_t *s, const key_spec *k, const char *key, const yaml_node_t *n,
                       err_t *err)
{
    cfg_names names = {0};
    const char *expected = "a column name, or a sequence of them";
    if (n->type == YAML_SCALAR_NODE) {
        if (!is_null(n)) {
            if (strlen(text(n)) >= CFG_NAME_MAX) return bad_value(s, n, key, "a name of at most 127 bytes", err);
            snprintf(names.v[names.n++], CFG_NAME_MAX, "%s", text(n));
        }
    } else if (n->type == YAML_SEQUENCE_NODE) {
        int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > CFG_MAX_NAMES) {
            char at[CFG_PATH_MAX + 64];
            where(s, n, at, sizeof at);
            return err_set(err, ERR_INPUT, "%s: %s: at most %d names, got %d", at, key, CFG_MAX_NAMES,
                           count);
        }
        for (int i = 0; i < count; i++) {
            char ikey[80];
            snprintf(ikey, sizeof ikey, "%s[%d]", key, i);
            yaml_node_t *item = yaml_document_get_node(s->doc, n->data.sequence.items.start[i]);
            if (item->type != YAML_SCALAR_NODE || strlen(text(item)) >= CFG_NAME_MAX)
                return bad_value(s, item, ikey, "a name of at most 127 bytes", err);
            snprintf(names.v[names.n++], CFG_NAME_MAX, "%s", text(item));
        }
    } else {
        return bad_value(s, n, key, expected, err);
    }
    *(cfg_names *)((char *)s->c + k->off) = names;
    return 0;
}

/* network.hidden: none, or the sizes of the hidden layers ([] for none at
 * all: inputs straight to outputs). */
static int apply_layers(const src_t *s, const char *key, const yaml_node_t *n, err_t *err)
{
    char expected[96];
    snprintf(expected, sizeof expected, "none, or a sequence of at most %d hidden layer sizes, "
             "e.g. [64, 32]", NET_MAX_LAYERS - 1);
    if (n->type == YAML_SCALAR_NODE && strcmp(text(n), "none") == 0) {
        s->c->n_hidden = -1;
        memset(s->c->hidden, 0, sizeof s->c->hidden);
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE) return bad_value(s, n, key, expected, err);
    int count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > NET_MAX_LAYERS - 1) return bad_value(s, n, key, expected, err);
    int hidden[NET_MAX_LAYERS] = {0};
    for (int i = 0; i < count; i++) {
        char ikey[80], want[64];
        long long v;
        snprintf(ikey, sizeof ikey, "%s[%d]", key, i);
        snprintf(want, sizeof want, "an integer from 1 to %d", NET_MAX_UNITS);
        yaml_node_t *item = yaml_document_get_node(s->doc, n->data.sequence.items.start[i]);
        if (item->type != YAML_SCALAR_NODE || parse_ll(text(item), &v) || v < 1 || v > NET_MAX_UNITS)
            return bad_value(s, item, ikey, want, err);
        hidden[i] = (int)v;
    }
    memcpy(s->c->hidden, hidden, sizeof hidden);
    s->c->n_hidden = count;
    return 0;
}

/* Checks and stores one key's value, then records where it came from. */
static int apply_value(const src_t *s, const key_spec *k, const yaml_node_t *n, err_t *err)
{
    char key[sizeof ((cfg_loc *)0)->key]; /* "section.name" fits: names are short */
    int rc;
    snprintf(key, sizeof key, "%s.%s", k->section, k->name);
    switch (k->kind) {
    case K_STR:
    case K_FILE: rc = apply_string(s, k, key, n, err); break;
    case K_INT: rc = apply_int(s, k, key, n, err); break;
    case K_SIZES: rc = apply_sizes(s, key, n, err); break;
    case K_HIDDEN: rc = apply_hidden(s, key, n, err); break;
    case K_DROPOUT: rc = apply_dropout(s, key, n, err); break;
    case K_NAMES: rc = apply_names(s, k, key, n, err); break;
    case K_LAYERS: rc = apply_layers(s, key, n, err); break;
    default: rc = apply_scalar(s, k, key, n, err); break;
    }
    if (rc) return rc;
    if (s->file)
        loc_record(s->c, key, (int)n->start_mark.line + 1, (int)n->start_mark.column + 1);
    else
        loc_record(s->c, key, 0, 0);
    return 0;
}

/* libyaml keeps "\0" escapes inside scalars; C strings cannot, so refuse
 * them once for the whole document instead of at every use. */
static int check_nul(const src_t *s, err_t *err)
{
    for (yaml_node_t *n = s->doc->nodes.start; n < s->doc->nodes.top; n++) {
        if (n->type == YAML_SCALAR_NODE && strlen(text(n)) != n->data.scalar.length) {
            char at[CFG_PATH_MAX + 64];
            where(s, n, at, sizeof at);
            return err_set(err, ERR_INPUT, "%s: a value cannot contain a NUL character", at);
        }
    }
    return 0;
}

static int apply_section(const src_t *s, int sec, const yaml_node_t *map, int *seen_line,
                         err_t *err)
{
    const char *section = SECTIONS[sec];
    char at[CFG_PATH_MAX + 64], keys[KEY_LIST_MAX];
    key_list(section, keys, sizeof keys);
    if (is_null(map)) return 0; /* `train:` with every key commented out */
    if (map->type != YAML_MAPPING_NODE) {
        char expected[KEY_LIST_MAX + 64];
        snprintf(expected, sizeof expected, "a mapping of %s keys (%s)", section, keys);
        return bad_value(s, map, section, expected, err);
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(s->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(s->doc, p->value);
        where(s, kn, at, sizeof at);
        if (kn->type != YAML_SCALAR_NODE)
            return err_set(err, ERR_INPUT, "%s: expected a key name in section '%s' (%s keys: %s)",
                           at, section, section, keys);
        int k = find_key(section, text(kn));
        if (k < 0)
            return err_set(err, ERR_INPUT, "%s: unknown key '%s.%.64s' (%s keys: %s)", at, section,
                           text(kn), section, keys);
        if (seen_line[k])
            return err_set(err, ERR_INPUT, "%s: duplicate key '%s.%s' (first at line %d)", at,
                           section, KEYS[k].name, seen_line[k]);
        seen_line[k] = (int)kn->start_mark.line + 1;
        if (apply_value(s, &KEYS[k], vn, err)) return -1;
    }
    return 0;
}

/* The top level: a mapping of sections, each a mapping of keys. */
static int apply_document(const src_t *s, err_t *err)
{
    yaml_node_t *root = yaml_document_get_root_node(s->doc);
    char at[CFG_PATH_MAX + 64];
    int seen_section[N_SECTIONS] = {0}, seen_key[N_KEYS];
    memset(seen_key, 0, sizeof seen_key);
    if (!root)
        return err_set(err, ERR_INPUT,
                       "%s: empty config: expected a mapping with sections " SECTION_LIST, s->file);
    if (check_nul(s, err)) return -1;
    if (root->type != YAML_MAPPING_NODE) {
        char got[80];
        where(s, root, at, sizeof at);
        return err_set(err, ERR_INPUT, "%s: expected a mapping with sections " SECTION_LIST ", got %s",
                       at, describe(root, got, sizeof got));
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(s->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(s->doc, p->value);
        where(s, kn, at, sizeof at);
        /* The sweep section belongs to the sweep module (sweep.h), which
         * reads the same file; a run's own values are in the other four. */
        if (kn->type == YAML_SCALAR_NODE && strcmp(text(kn), "sweep") == 0)
            continue;
        int sec = kn->type == YAML_SCALAR_NODE ? find_section(text(kn)) : -1;
        if (kn->type != YAML_SCALAR_NODE)
            return err_set(err, ERR_INPUT, "%s: expected a section name (" SECTION_LIST ")", at);
        if (sec < 0)
            return err_set(err, ERR_INPUT, "%s: unknown section '%.64s' (sections: " SECTION_LIST ")",
                           at, text(kn));
        if (seen_section[sec])
            return err_set(err, ERR_INPUT, "%s: duplicate section '%s' (first at line %d)", at,
                           SECTIONS[sec], seen_section[sec]);
        seen_section[sec] = (int)kn->start_mark.line + 1;
        if (apply_section(s, sec, vn, seen_key, err)) return -1;
    }
    return 0;
}

/* libyaml's own words, placed at file:line:col (or in the -s value). */
static int yaml_error(const yaml_parser_t *p, const char *file, const char *assign, err_t *err)
{
    char at[CFG_PATH_MAX + 64], ctx[160] = "";
    if (p->error == YAML_MEMORY_ERROR) return err_set(err, ERR_RUNTIME, "out of memory reading YAML");
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->error == YAML_READER_ERROR) { /* bad encoding: libyaml only knows the byte */
        if (file)
            return err_set(err, ERR_INPUT, "%s: invalid YAML: %s at byte %zu", file, problem,
                           p->problem_offset);
        return err_set(err, ERR_INPUT, "-s %s: invalid YAML value: %s", assign, problem);
    }
    if (p->context)
        snprintf(ctx, sizeof ctx, " (%s at line %lu, column %lu)", p->context,
                 (unsigned long)p->context_mark.line + 1, (unsigned long)p->context_mark.column + 1);
    if (file) {
        snprintf(at, sizeof at, "%s:%lu:%lu", file, (unsigned long)p->problem_mark.line + 1,
                 (unsigned long)p->problem_mark.column + 1);
        return err_set(err, ERR_INPUT, "%s: invalid YAML: %s%s", at, problem, ctx);
    }
    /* Past the end of a one-line value libyaml's mark is on a line of its
     * own; a column is only worth giving inside the value. */
    if (p->problem_mark.line == 0)
        return err_set(err, ERR_INPUT, "-s %s: invalid YAML value: %s at column %lu", assign,
                       problem, (unsigned long)p->problem_mark.column + 1);
    return err_set(err, ERR_INPUT, "-s %s: invalid YAML value: %s (%s)", assign, problem,
                   p->context ? p->context : "at its end");
}

/* libyaml's scanner does work in proportion to the flow nesting depth for
 * every token, and its loader recurses once per level, so a file of 100000
 * '[' took about 45 s to be refused (and a deep enough one would overflow
 * the stack). This first pass reads only events, stops at the first one
 * nested deeper than CFG_MAX_DEPTH, and so never builds or scans a deep
 * tree; it also reports every syntax error, the same way the loader would. */
static int check_depth(const char *yaml, size_t len, const char *file, const char *assign,
                       err_t *err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    int depth = 0, rc = 0, done = 0;
    if (!yaml_parser_initialize(&p)) return err_set(err, ERR_RUNTIME, "out of memory reading YAML");
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    while (!done && rc == 0) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = yaml_error(&p, file, assign, err);
            break;
        }
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
            if (++depth > CFG_MAX_DEPTH && file)
                rc = err_set(err, ERR_INPUT,
                             "%s:%lu:%lu: invalid config: nested more than %d levels deep",
                             file, (unsigned long)ev.start_mark.line + 1,
                             (unsigned long)ev.start_mark.column + 1, CFG_MAX_DEPTH);
            else if (depth > CFG_MAX_DEPTH)
                rc = err_set(err, ERR_INPUT, "-s %.60s%s: the value is nested more than %d levels deep",
                             assign, strlen(assign) > 60 ? "..." : "", CFG_MAX_DEPTH);
        } else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* A config is one document: a second one is almost surely a mistake. */
static int expect_end(yaml_parser_t *p, const char *file, const char *assign, err_t *err)
{
    yaml_document_t doc;
    if (!yaml_parser_load(p, &doc)) return yaml_error(p, file, assign, err);
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = 0;
    if (root && file)
        rc = err_set(err, ERR_INPUT, "%s:%lu:%lu: only one YAML document is allowed in a config",
                     file, (unsigned long)root->start_mark.line + 1,
                     (unsigned long)root->start_mark.column + 1);
    else if (root)
        rc = err_set(err, ERR_INPUT, "-s %s: the value must be a single YAML value", assign);
    yaml_document_delete(&doc);
    return rc;
}

/* Parses len bytes of YAML into *doc (the caller deletes it): the depth
 * cap, libyaml's errors placed at file:line:col, a single document. */
static int parse_memory(const char *yaml, size_t len, const char *name, yaml_document_t *doc,
                        err_t *err)
{
    yaml_parser_t p;
    if (check_depth(yaml, len, name, "", err)) return -1;
    if (!yaml_parser_initialize(&p)) return err_set(err, ERR_RUNTIME, "out of memory reading YAML");
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    int rc = 0;
    if (!yaml_parser_load(&p, doc)) {
        rc = yaml_error(&p, name, "", err); /* libyaml has freed doc */
    } else if (expect_end(&p, name, "", err)) {
        yaml_document_delete(doc);
        rc = -1;
    }
    yaml_parser_delete(&p);
    return rc;
}

/* Parses len bytes of YAML into c (which the caller has filled already). */
static int load_memory(const char *yaml, size_t len, const char *name, cfg_t *c, err_t *err)
{
    yaml_document_t doc;
    if (parse_memory(yaml, len, name, &doc, err)) return -1;
    src_t s = {c, &doc, name, "", NULL};
    int rc = apply_document(&s, err);
    yaml_document_delete(&doc);
    return rc;
}

/* The whole file at path into a malloc'd buffer, at most CFG_MAX_FILE bytes.
 * Read by us, not libyaml: read errors (a directory, EIO) then get strerror
 * instead of libyaml's bare "input error". */
static int read_file(const char *path, char **buf, size_t *len, err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, ERR_INPUT, "%s: cannot open config: %s", path, strerror(errno));
    *buf = malloc(CFG_MAX_FILE + 1);
    if (!*buf) {
        fclose(f);
        return err_set(err, ERR_RUNTIME, "%s: out of memory", path);
    }
    *len = fread(*buf, 1, CFG_MAX_FILE + 1, f);
    int rc = 0;
    if (ferror(f))
        rc = err_set(err, ERR_INPUT, "%s: cannot read config: %s", path, strerror(errno));
    else if (*len > CFG_MAX_FILE)
        rc = err_set(err, ERR_INPUT, "%s: config is larger than %d bytes (1 MiB), the limit",
                     path, CFG_MAX_FILE);
    fclose(f);
    if (rc) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

static int set_source(cfg_t *c, const char *name, err_t *err)
{
    if (strlen(name) >= sizeof c->source)
        return err_set(err, ERR_INPUT, "config path is too long (%zu bytes, the limit is %zu)",
                       strlen(name), sizeof c->source - 1);
    memcpy(c->source, name, strlen(name) + 1);
    return 0;
}

/* Reads value (YAML text) as key k's, the way -s does; assignment is the
 * whole "key=value", for messages. */
static int apply_text(cfg_t *c, const key_spec *k, const char *value, const char *assignment,
                      err_t *err)
{
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p)) return err_set(err, ERR_RUNTIME, "out of memory reading YAML");
    yaml_parser_set_input_string(&p, (const unsigned char *)value, strlen(value));
    int rc = check_depth(value, strlen(value), NULL, assignment, err);
    if (rc) {
        /* reported */
    } else if (!yaml_parser_load(&p, &doc)) {
        rc = yaml_error(&p, NULL, assignment, err);
    } else {
        src_t s = {c, &doc, NULL, assignment, NULL};
        /* "key=" parses to no document at all; read it as an empty value
         * (a plain empty scalar), the same as `key:` in a file. */
        if (!yaml_document_get_root_node(&doc))
            yaml_document_add_scalar(&doc, NULL, (yaml_char_t *)"", 0, YAML_PLAIN_SCALAR_STYLE);
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root)
            rc = err_set(err, ERR_RUNTIME, "out of memory reading YAML");
        else if ((rc = check_nul(&s, err)) == 0)
            rc = apply_value(&s, k, root, err);
        yaml_document_delete(&doc);
        if (rc == 0) rc = expect_end(&p, NULL, assignment, err);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* Resolves act[] (one activation per weight layer) from the hidden and
 * output activations. */
static void resolve_acts(cfg_t *c)
{
    memset(c->act, 0, sizeof c->act);
    for (int l = 0; l < c->n_layers - 1; l++) c->act[l] = c->hidden_act[c->n_hidden_act == 1 ? 0 : l];
    if (c->n_layers >= 1) c->act[c->n_layers - 1] = c->output_act;
}

/* The Type column of configs/README.md, per kind. */
static const char *kind_type(key_kind kind)
{
    switch (kind) {
    case K_STR:
    case K_FILE: return "string";
    case K_INT:
    case K_U64: return "integer";
    case K_RATE:
    case K_GAMMA:
    case K_FRAC:
    case K_UPTO:
    case K_NONNEG: return "number";
    case K_BOOL: return "boolean";
    case K_SIZES: return "list of integers";
    case K_HIDDEN: return "name, or list of names";
    case K_DROPOUT: return "number, or list of numbers";
    case K_NAMES: return "name, or list of names";
    case K_LAYERS: return "none, or list of integers";
    default: return "name";
    }
}

/* ---- public -------------------------------------------------------------- */

int cfg_key_doc_at(int i, cfg_key_doc *out)
{
    if (i < 0 || i >= N_KEYS) return 0;
    out->section = KEYS[i].section;
    out->name = KEYS[i].name;
    out->type = kind_type(KEYS[i].kind);
    out->dflt = KEYS[i].dflt;
    return 1;
}

int cfg_defaults(cfg_t *c, err_t *err)
{
    /* Zero everything first: unused array tails then compare equal. */
    memset(c, 0, sizeof *c);
    for (int i = 0; i < N_KEYS; i++) {
        err_t e;
        if (apply_text(c, &KEYS[i], KEYS[i].dflt, KEYS[i].dflt, &e) != 0) {
            /* A bad default is a bug in KEYS[] (test_cfg's test_defaults
             * reads every one), libyaml out of memory, or numbers read in
             * a locale whose decimal point is not '.' (cfg.h): never the
             * user's input. */
            err_prefix(&e, "%s.%s: built-in default", KEYS[i].section, KEYS[i].name);
            return err_set(err, ERR_RUNTIME, "%s", e.msg);
        }
    }
    memset(c->locs, 0, sizeof c->locs); /* defaults come from nowhere */
    c->n_locs = 0;
    resolve_acts(c);
    return 0;
}

int cfg_load(const char *path, cfg_t *c, err_t *err)
{
    char *buf;
    size_t len;
    if (cfg_defaults(c, err) || set_source(c, path, err) || read_file(path, &buf, &len, err))
        return -1;
    int rc = load_memory(buf, len, path, c, err);
    free(buf);
    return rc;
}

int cfg_parse_file(const char *path, yaml_document_t *doc, err_t *err)
{
    char *buf;
    size_t len;
    if (read_file(path, &buf, &len, err)) return -1;
    int rc = parse_memory(buf, len, path, doc, err);
    free(buf);
    return rc;
}

int cfg_check_value(const char *file, yaml_document_t *doc, const yaml_node_t *key,
                    const yaml_node_t *value, err_t *err)
{
    char section[64], keys[KEY_LIST_MAX];
    const char *name = key->type == YAML_SCALAR_NODE ? text(key) : "";
    const char *dot = strchr(name, '.');
    size_t slen = dot ? (size_t)(dot - name) : strlen(name);
    snprintf(section, sizeof section, "%.*s", (int)(slen < 63 ? slen : 63), name);
    unsigned long line = (unsigned long)key->start_mark.line + 1;
    unsigned long col = (unsigned long)key->start_mark.column + 1;
    if (find_section(section) < 0 || !dot)
        return err_set(err, ERR_INPUT, "%s:%lu:%lu: sweep: unknown key '%.64s' (expected "
                       "section.key, sections: " SECTION_LIST ")", file, line, col, name);
    int k = find_key(section, dot + 1);
    if (k < 0) {
        key_list(section, keys, sizeof keys);
        return err_set(err, ERR_INPUT, "%s:%lu:%lu: sweep: unknown key '%.64s' (%s keys: %s)", file,
                       line, col, name, section, keys);
    }
    cfg_t *scratch = malloc(sizeof *scratch); /* big: off the stack */
    if (!scratch) return err_set(err, ERR_RUNTIME, "out of memory");
    src_t s = {scratch, doc, file, "", ": sweep"};
    int rc = cfg_defaults(scratch, err) ? -1 : apply_value(&s, &KEYS[k], value, err);
    free(scratch);
    return rc;
}

int cfg_load_string(const char *yaml, const char *name, cfg_t *c, err_t *err)
{
    if (cfg_defaults(c, err) || set_source(c, name, err)) return -1;
    return load_memory(yaml, strlen(yaml), name, c, err);
}

int cfg_set(cfg_t *c, const char *assignment, err_t *err)
{
    const char *eq = strchr(assignment, '=');
    char key[64], section[64], keys[KEY_LIST_MAX];
    if (!eq || eq == assignment)
        return err_set(err, ERR_INPUT, "-s %s: expected key=value, e.g. -s train.epochs=10",
                       assignment);
    size_t klen = (size_t)(eq - assignment);
    while (klen > 0 && (assignment[klen - 1] == ' ' || assignment[klen - 1] == '\t')) klen--;
    if (klen >= sizeof key)
        return err_set(err, ERR_INPUT, "-s %s: unknown key (sections: " SECTION_LIST ")", assignment);
    memcpy(key, assignment, klen);
    key[klen] = '\0';

    const char *dot = strchr(key, '.');
    size_t slen = dot ? (size_t)(dot - key) : klen;
    memcpy(section, key, slen);
    section[slen] = '\0';
    int sec = find_section(section);
    if (sec < 0)
        return err_set(err, ERR_INPUT, "-s %s: unknown key '%s' (sections: " SECTION_LIST ")",
                       assignment, key);
    key_list(section, keys, sizeof keys);
    if (!dot)
        return err_set(err, ERR_INPUT,
                       "-s %s: '%s' is a section; set one of its keys, e.g. -s %s.%s=... (%s keys: %s)",
                       assignment, section, section, first_key(section), section, keys);
    int k = find_key(section, dot + 1);
    if (k < 0)
        return err_set(err, ERR_INPUT, "-s %s: unknown key '%s' (%s keys: %s)", assignment, key,
                       section, keys);

    return apply_text(c, &KEYS[k], eq + 1, assignment, err);
}

/* A key that takes one value for every hidden layer or one per hidden layer
 * (network.activation, train.dropout) holds `count` values ("name"s,
 * "rate"s). With one weight layer there are no hidden layers and the key
 * is simply unused, so any count is fine then. */
static int per_hidden_layer(const cfg_t *c, const char *key, const char *what, int count, err_t *err)
{
    int hidden = c->n_layers - 1;
    if (hidden <= 0 || count == 1 || count == hidden)
        return 0;
    char at[CFG_PATH_MAX + 64];
    cfg_where(c, key, at, sizeof at);
    return err_set(err, ERR_INPUT,
                   "%s: %s: %d %ss given for %d hidden layer%s (network.sizes has %d entries); "
                   "give one %s for every hidden layer, or a single %s for all of them",
                   at, key, count, what, hidden, hidden == 1 ? "" : "s", c->n_layers + 1, what, what);
}

/* A table's defaults and sizes, before the checks: network.hidden sets
 * the hidden layers between network.sizes' first and last entries (which
 * the data replaces); without network.output or network.cost, data.task
 * picks them: softmax and cross-entropy for classes, a linear output and
 * the quadratic cost for a regression. */
static void resolve_table(cfg_t *c)
{
    if (c->n_hidden >= 0) {
        int in = c->sizes[0], out = c->sizes[c->n_layers];
        memset(c->sizes, 0, sizeof c->sizes);
        c->sizes[0] = in;
        memcpy(c->sizes + 1, c->hidden, (size_t)c->n_hidden * sizeof c->hidden[0]);
        c->n_layers = c->n_hidden + 1;
        c->sizes[c->n_layers] = out;
    }
    if (!c->train_table[0])
        return;
    int classes = c->task == CFG_TASK_CLASSIFICATION;
    if (!cfg_is_set(c, "network.output"))
        c->output_act = classes ? ACT_SOFTMAX : ACT_LINEAR;
    if (!cfg_is_set(c, "network.cost"))
        c->cost = classes ? COST_CROSS_ENTROPY : COST_QUADRATIC;
}

int cfg_validate(cfg_t *c, err_t *err)
{
    char at[CFG_PATH_MAX + 64];
    resolve_table(c);
    int hidden = c->n_layers - 1;
    if (c->n_layers < 1 || c->n_layers > NET_MAX_LAYERS) {
        cfg_where(c, "network.sizes", at, sizeof at);
        return err_set(err, ERR_INPUT, "%s: network.sizes: expected 2 to %d layer sizes, got %d", at,
                       NET_MAX_LAYERS + 1, c->n_layers + 1);
    }
    /* With one weight layer there are no hidden layers and activation is
     * simply unused, so any count is fine then. */
    if (per_hidden_layer(c, "network.activation", "name", c->n_hidden_act, err) ||
        per_hidden_layer(c, "train.dropout", "rate", c->n_dropout, err))
        return -1;
    for (int l = 0; l < hidden && l < c->n_hidden_act; l++) {
        if (c->hidden_act[l] == ACT_SOFTMAX) { /* only possible if set by hand */
            cfg_where(c, "network.activation", at, sizeof at);
            return err_set(err, ERR_INPUT,
                           "%s: network.activation: softmax is only allowed for the output layer", at);
        }
    }
    if (c->cost == COST_CROSS_ENTROPY && c->output_act != ACT_SIGMOID && c->output_act != ACT_SOFTMAX) {
        cfg_where(c, "network.cost", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: network.cost: cross_entropy needs a sigmoid or softmax output layer, "
                       "but network.output is %s (set network.output: softmax, or use cost: quadratic)",
                       at, net_act_name(c->output_act));
    }
    if ((c->cost == COST_MAE || c->cost == COST_HUBER) && c->output_act == ACT_SOFTMAX) {
        /* net_create refuses it too, but without a place in the config. */
        cfg_where(c, "network.cost", at, sizeof at);
        int by_task = c->train_table[0] && !cfg_is_set(c, "network.output");
        return err_set(err, ERR_INPUT,
                       "%s: network.cost: %s is a regression cost: it needs an output layer other "
                       "than softmax, but network.output is softmax%s", at, net_cost_name(c->cost),
                       by_task ? ", the default for data.task: classification (to predict numbers "
                                 "set data.task: regression, whose output is linear; for classes "
                                 "leave network.cost out)"
                               : " (set network.output: linear, or use cost: cross_entropy for "
                                 "classes)");
    }
    if (c->shards > c->batch_size) {
        cfg_where(c, "train.shards", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: train.shards: %d shards cannot split a mini-batch of %d examples "
                       "(train.batch_size); use at most %d, or 0 for automatic",
                       at, c->shards, c->batch_size, c->batch_size);
    }
    if (c->schedule == SCHED_COSINE && c->min_learning_rate > c->learning_rate) {
        cfg_where(c, "train.min_learning_rate", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: train.min_learning_rate: %g is above train.learning_rate (%g); the "
                       "cosine schedule anneals from learning_rate down to min_learning_rate",
                       at, c->min_learning_rate, c->learning_rate);
    }
    if (c->warmup_epochs >= c->epochs) {
        cfg_where(c, "train.warmup_epochs", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: train.warmup_epochs: a warm-up of %g epochs leaves nothing of a run of "
                       "%d (train.epochs); use fewer than %d", at, c->warmup_epochs, c->epochs,
                       c->epochs);
    }
    if (c->validation > 0 && c->validation_fraction > 0) {
        cfg_where(c, "data.validation_fraction", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: data.validation_fraction: %g, and data.validation is %d: give the "
                       "validation set as a share of the training examples or as a number of "
                       "them, not both (leave the other at 0)", at, c->validation_fraction,
                       c->validation);
    }
    if (c->patience > 0 && !cfg_has_validation(c)) {
        cfg_where(c, "train.patience", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: train.patience: early stopping needs a validation set: set "
                       "data.validation to a number of held-out examples, or "
                       "data.validation_fraction to a share of them (it never looks at "
                       "the test set)", at);
    }
    if (c->save_last && !c->model_path[0]) {
        cfg_where(c, "output.save_last", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: output.save_last: needs output.model (the last model is saved "
                       "next to it, as output.model with .last appended)", at);
    }
    if (c->nesterov && (c->optimizer != OPTIM_NAME_SGD || !(c->momentum > 0))) {
        cfg_where(c, "train.nesterov", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: train.nesterov: Nesterov momentum needs train.optimizer: sgd with "
                       "train.momentum > 0 (optimizer is %s, momentum %g); set momentum, or "
                       "nesterov: false", at, optim_name_str(c->optimizer), c->momentum);
    }
    if (c->momentum > 0 && c->optimizer != OPTIM_NAME_SGD) {
        cfg_where(c, "train.momentum", at, sizeof at);
        return err_set(err, ERR_INPUT,
                       "%s: train.momentum: momentum is for train.optimizer: sgd; %s has its own "
                       "(train.beta1): leave momentum at 0", at, optim_name_str(c->optimizer));
    }
    resolve_acts(c);
    return 0;
}

int cfg_has_validation(const cfg_t *c)
{
    return c->validation > 0 || c->validation_fraction > 0;
}

int64_t cfg_validation_rows(const cfg_t *c, int64_t n_train)
{
    if (c->validation > 0 || n_train <= 0)
        return c->validation;
    return (int64_t)llround(c->validation_fraction * (double)n_train);
}

int cfg_is_set(const cfg_t *c, const char *key)
{
    for (int i = 0; i < c->n_locs; i++)
        if (strcmp(c->locs[i].key, key) == 0)
            return 1;
    return 0;
}

void cfg_where(const cfg_t *c, const char *key, char *buf, size_t n)
{
    if (n == 0) return;
    for (int i = 0; i < c->n_locs; i++) {
        if (strcmp(c->locs[i].key, key) != 0) continue;
        if (c->locs[i].line > 0)
            snprintf(buf, n, "%s:%d:%d", c->source, c->locs[i].line, c->locs[i].col);
        else
            snprintf(buf, n, "-s %s", key);
        return;
    }
    /* Defaulted: the file (which did not set it) is the best we can say. */
    snprintf(buf, n, "%s", c->source[0] ? c->source : "(defaults)");
}

/* A double-quoted YAML string: safe for spaces, colons, '#', quotes, "". */
static void write_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\x%02X", *p);
        /* Escapes ("\x85", "\uFFFE") can put characters in a value that
         * libyaml refuses raw (U+0080..U+009F, U+FFFE, U+FFFF) or reads as
         * line breaks and folds (NEL U+0085, U+2028, U+2029): escape them. */
        else if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) fprintf(f, "\\x%02X", *++p);
        else if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)) {
            fprintf(f, "\\uFF%02X", 0xC0 + (p[2] - 0x80));
            p += 2;
        } else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
            fprintf(f, "\\u20%02X", 0x28 + (p[2] - 0xA8));
            p += 2;
        } else fputc(*p, f); /* other UTF-8 bytes pass through: libyaml read them */
    }
    fputc('"', f);
}

/* How write_value writes: as YAML that reads back the same, or as the
 * checkpoint identity's one-line text (lists without spaces; the hidden
 * activations as they resolve, one per hidden layer, since `relu` and
 * `[relu, relu]` train the same network). */
typedef enum { AS_YAML, AS_IDENTITY } write_mode;

/* The shortest %g text that reads back as the same double: 0.05 rather
 * than 0.050000000000000003. */
static void shortest_double(double v, char *buf, size_t n)
{
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static void write_value(FILE *f, const cfg_t *c, const key_spec *k, write_mode mode)
{
    const char *p = (const char *)c + k->off;
    const char *sep = mode == AS_YAML ? ", " : ",";
    char num[40];
    switch (k->kind) {
    case K_STR:
    case K_FILE: write_quoted(f, p); break;
    case K_INT: fprintf(f, "%d", *(const int *)p); break;
    case K_U64: fprintf(f, "%" PRIu64, *(const uint64_t *)p); break;
    case K_RATE: /* exact round trip */
    case K_GAMMA:
    case K_FRAC:
    case K_UPTO:
    case K_NONNEG:
        shortest_double(*(const double *)p, num, sizeof num);
        fputs(num, f);
        break;
    case K_BOOL: fputs(*(const int *)p ? "true" : "false", f); break;
    case K_SIZES:
        fputc('[', f);
        for (int i = 0; i <= c->n_layers; i++) fprintf(f, "%s%d", i ? sep : "", c->sizes[i]);
        fputc(']', f);
        break;
    case K_HIDDEN:
        if (mode == AS_IDENTITY) {
            fputc('[', f);
            for (int l = 0; l < c->n_layers - 1; l++)
                fprintf(f, "%s%s", l ? sep : "", net_act_name(c->act[l]));
            fputc(']', f);
        } else if (c->n_hidden_act == 1) {
            fputs(net_act_name(c->hidden_act[0]), f);
        } else {
            fputc('[', f);
            for (int i = 0; i < c->n_hidden_act; i++)
                fprintf(f, "%s%s", i ? sep : "", net_act_name(c->hidden_act[i]));
            fputc(']', f);
        }
        break;
    case K_DROPOUT:
        if (mode != AS_IDENTITY && c->n_dropout == 1) {
            shortest_double(c->dropout[0], num, sizeof num);
            fputs(num, f);
        } else {
            /* The identity names each hidden layer's rate, however written. */
            int count = mode == AS_IDENTITY ? c->n_layers - 1 : c->n_dropout;
            fputc('[', f);
            for (int i = 0; i < count; i++) {
                shortest_double(c->dropout[c->n_dropout == 1 ? 0 : i], num, sizeof num);
                fprintf(f, "%s%s", i ? sep : "", num);
            }
            fputc(']', f);
        }
        break;
    case K_OUTPUT: fputs(net_act_name(*(const net_act *)p), f); break;
    case K_COST: fputs(net_cost_name(*(const net_cost *)p), f); break;
    case K_INIT: fputs(net_init_name(*(const net_init_kind *)p), f); break;
    case K_NAMES: {
        const cfg_names *names = (const cfg_names *)p;
        fputc('[', f);
        for (int i = 0; i < names->n; i++) {
            fputs(i ? sep : "", f);
            write_quoted(f, names->v[i]);
        }
        fputc(']', f);
        break;
    }
    case K_LAYERS:
        if (c->n_hidden < 0) {
            fputs("none", f);
        } else {
            fputc('[', f);
            for (int i = 0; i < c->n_hidden; i++) fprintf(f, "%s%d", i ? sep : "", c->hidden[i]);
            fputc(']', f);
        }
        break;
    case K_TASK:
    case K_SCALE:
    case K_MISSING:
    case K_DELIM:
    case K_CLASSW: fputs(list_name((name_list)kind_names(k->kind), *(const int *)p), f); break;
    case K_REDUCE: fputs(REDUCE_NAMES[*(const int *)p != 0], f); break;
    case K_SCHED: fputs(sched_name(*(const sched_kind *)p), f); break;
    case K_MONITOR: fputs(MONITOR_NAMES[*(const int *)p != 0], f); break;
    case K_OPTIM: fputs(optim_name_str(*(const optim_name *)p), f); break;
    }
}

int cfg_write_yaml(const cfg_t *c, FILE *f)
{
    const char *section = "";
    fputs("# nntrain configuration, every key resolved (see configs/README.md)\n", f);
    for (int i = 0; i < N_KEYS; i++) {
        if (strcmp(section, KEYS[i].section) != 0) {
            section = KEYS[i].section;
            fprintf(f, "%s:\n", section);
        }
        fprintf(f, "  %s: ", KEYS[i].name);
        write_value(f, c, &KEYS[i], AS_YAML);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

int cfg_identity_text(const cfg_t *c, char *buf, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return -1;
    for (int i = 0; i < N_KEYS; i++) {
        if (!KEYS[i].identity || !KEYS[i].identity(c)) continue;
        fprintf(f, "%s.%s=", KEYS[i].section, KEYS[i].name);
        write_value(f, c, &KEYS[i], AS_IDENTITY);
        fputc('\n', f);
    }
    int bad = ferror(f);
    bad |= fclose(f);
    int rc = !bad && text && len < n ? 0 : -1;
    if (n > 0) snprintf(buf, n, "%s", rc == 0 ? text : "");
    free(text);
    return rc;
}

/* ---- walking the schema (for tests) ------------------------------------- */

int cfg_key_count(void) { return N_KEYS; }

int cfg_key_name(int i, char *buf, size_t n)
{
    if (i < 0 || i >= N_KEYS) return -1;
    int len = snprintf(buf, n, "%s.%s", KEYS[i].section, KEYS[i].name);
    return len >= 0 && (size_t)len < n ? 0 : -1;
}

/* The list of names a name kind takes; -1 for the other kinds. */
static int kind_names(key_kind kind)
{
    switch (kind) {
    case K_OUTPUT: return L_OUTPUT;
    case K_COST: return L_COST;
    case K_INIT: return L_INIT;
    case K_REDUCE: return L_REDUCE;
    case K_SCHED: return L_SCHED;
    case K_MONITOR: return L_MONITOR;
    case K_OPTIM: return L_OPTIM;
    case K_TASK: return L_TASK;
    case K_SCALE: return L_SCALE;
    case K_MISSING: return L_MISSING;
    case K_DELIM: return L_DELIM;
    case K_CLASSW: return L_CLASSW;
    default: return -1;
    }
}

/* The key's value in c as cfg_write_yaml writes it, into a malloc'd string. */
static char *value_text(const cfg_t *c, const key_spec *k)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    write_value(f, c, k, AS_YAML);
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad) {
        free(text);
        return NULL;
    }
    return text;
}

int cfg_key_example(int i, char *buf, size_t n)
{
    if (i < 0 || i >= N_KEYS || n == 0) return -1;
    const key_spec *k = &KEYS[i];
    cfg_t *d = malloc(sizeof *d); /* big: off the stack */
    if (!d) return -1;
    if (cfg_defaults(d, NULL) != 0) {
        free(d);
        return -1;
    }
    const char *p = (const char *)d + k->off;
    double v = 0.0;
    int len = -1, is_double = 0;
    switch (k->kind) {
    case K_STR:
    case K_FILE: /* characters that plain YAML would misread */
        len = snprintf(buf, n, "\"%s.example: #1 \\\"q\\\"\"", k->name);
        break;
    case K_INT: {
        int x = *(const int *)p;
        len = snprintf(buf, n, "%d", x < k->hi ? x + 1 : x - 1);
        break;
    }
    case K_U64: {
        uint64_t x = *(const uint64_t *)p;
        len = snprintf(buf, n, "%" PRIu64, x == UINT64_MAX ? x - 1 : UINT64_MAX);
        break;
    }
    case K_RATE: v = *(const double *)p * 1.1, is_double = 1; break; /* no short decimal form */
    case K_GAMMA: v = *(const double *)p, v = v == 1 ? 0.5 : (v + 1) / 2, is_double = 1; break;
    case K_FRAC: v = *(const double *)p, v += (1 - v) * 0.3, is_double = 1; break;
    case K_NONNEG: v = *(const double *)p * 1.1 + 0.3, is_double = 1; break;
    case K_UPTO: v = *(const double *)p, v = v < k->hi ? v + (k->hi - v) * 0.3 : v / 2, is_double = 1; break;
    case K_BOOL: len = snprintf(buf, n, "%s", *(const int *)p ? "false" : "true"); break;
    case K_SIZES: /* two hidden layers */
        len = snprintf(buf, n, "[%d, 16, 8, %d]", d->sizes[0], d->sizes[d->n_layers]);
        break;
    case K_HIDDEN: { /* one name per hidden layer of the sizes' example, the last two names
                      * hidden layers take but the default's */
        int names[2], got = 0;
        for (int a = ACT_COUNT - 1; a >= 0 && got < 2; a--)
            if (a != ACT_SOFTMAX && a != (int)d->hidden_act[0]) names[got++] = a;
        if (got == 2)
            len = snprintf(buf, n, "[%s, %s]", net_act_name((net_act)names[0]),
                           net_act_name((net_act)names[1]));
        break;
    }
    case K_NAMES: /* characters that plain YAML would misread, and two names */
        len = snprintf(buf, n, "[\"%s: #1\", \"b\"]", k->name);
        break;
    case K_LAYERS:
        len = snprintf(buf, n, "[16, 8]");
        break;
    case K_DROPOUT: { /* one rate per hidden layer of the sizes' example */
        double r = d->dropout[0];
        len = snprintf(buf, n, "[%.17g, %.17g]", r + (1 - r) * 0.3, r + (1 - r) * 0.6);
        break;
    }
    default: { /* a name kind: the last name other than the default's */
        int l = kind_names(k->kind);
        char *dflt = value_text(d, k);
        for (int j = l < 0 || !dflt ? -1 : list_count((name_list)l) - 1; j >= 0; j--)
            if (strcmp(list_name((name_list)l, j), dflt) != 0) {
                len = snprintf(buf, n, "%s", list_name((name_list)l, j));
                break;
            }
        free(dflt);
        break;
    }
    }
    if (is_double) len = snprintf(buf, n, "%.17g", v);
    free(d);
    return len >= 0 && (size_t)len < n ? 0 : -1;
}

int cfg_get(const cfg_t *c, const char *key, char *buf, size_t n)
{
    char section[64];
    const char *dot = strchr(key, '.');
    if (!dot || (size_t)(dot - key) >= sizeof section) return -1;
    memcpy(section, key, (size_t)(dot - key));
    section[dot - key] = '\0';
    int k = find_key(section, dot + 1);
    if (k < 0) return -1;
    char *text = value_text(c, &KEYS[k]);
    if (!text) return -1;
    int len = snprintf(buf, n, "%s", text);
    free(text);
    return len >= 0 && (size_t)len < n ? 0 : -1;
}

/* Appends "/part" to buf (no doubled slash), truncating to n. */
static void path_append(char *buf, size_t n, const char *part)
{
    size_t len = strlen(buf);
    if (!part[0]) return;
    if (len > 0 && buf[len - 1] != '/' && len + 1 < n) {
        buf[len++] = '/';
        buf[len] = '\0';
    }
    snprintf(buf + len, n - len, "%s", part);
}

void cfg_data_path(const cfg_t *c, const char *file, char *buf, size_t n)
{
    if (n == 0) return;
    buf[0] = '\0';
    if (file[0] == '/') {
        snprintf(buf, n, "%s", file);
        return;
    }
    if (c->data_dir[0] != '/') {
        const char *root = getenv("NNTRAIN_DATA");
        path_append(buf, n, root && *root ? root : "data");
    }
    path_append(buf, n, c->data_dir);
    path_append(buf, n, file);
}
