/* cfg: the run's configuration, read from YAML (libyaml) into a plain struct.
 *
 * Order of precedence, lowest first: built-in defaults, the YAML file, then
 * each `-s key=value` override in the order given. Every value is checked
 * as it is read (type, range, known key) and errors name file:line:col.
 * cfg knows nothing of training: it only fills and checks this struct.
 * The schema is documented in configs/README.md. */
#ifndef NNTRAIN_CFG_H
#define NNTRAIN_CFG_H

#include <stdint.h>
#include <stdio.h>
#include <yaml.h>
#include "err.h"
#include "net.h"
#include "lrsched.h"
#include "optim.h"

#define CFG_PATH_MAX 1024
#define CFG_MAX_KEYS 96

/* data.label, data.ignore, data.categorical, data.missing_values: lists of names */
#define CFG_MAX_NAMES 32
#define CFG_NAME_MAX 128
typedef struct {
    int n;
    char v[CFG_MAX_NAMES][CFG_NAME_MAX];
} cfg_names;

/* data.task, data.scale, data.missing, data.delimiter: the names' indexes */
#define CFG_TASK_CLASSIFICATION 0
#define CFG_TASK_REGRESSION 1
#define CFG_SCALE_STANDARD 0
#define CFG_SCALE_MINMAX 1
#define CFG_SCALE_NONE 2
#define CFG_MISSING_ERROR 0
#define CFG_MISSING_MEAN 1
#define CFG_MISSING_MEDIAN 2
#define CFG_MISSING_MOST_FREQUENT 3
#define CFG_DELIM_AUTO 0 /* then comma, semicolon, tab, pipe */
#define CFG_CLASS_WEIGHTS_NONE 0
#define CFG_CLASS_WEIGHTS_BALANCED 1

/* train.monitor */
#define CFG_MONITOR_ACCURACY 0
#define CFG_MONITOR_LOSS 1

/* Where a key's value came from, for error messages. */
typedef struct {
    char key[48];  /* dotted key, e.g. "train.learning_rate" */
    int line, col; /* 1-based position in the YAML file; 0 if from -s */
} cfg_loc;

typedef struct {
    char source[CFG_PATH_MAX]; /* the YAML file ("" when none) */

    /* data: */
    char data_dir[CFG_PATH_MAX];     /* relative: to $NNTRAIN_DATA, else to ./data */
    char train_images[CFG_PATH_MAX]; /* relative: to data_dir */
    char train_labels[CFG_PATH_MAX];
    char test_images[CFG_PATH_MAX];
    char test_labels[CFG_PATH_MAX];
    int validation;                  /* last N training examples held out */
    double validation_fraction;      /* or that share of them (exclusive with validation) */
    int train_limit;                 /* use only the first N training examples; 0 = all */
    /* data: a table instead of IDX files (data.train set) */
    char train_table[CFG_PATH_MAX];  /* data.train: .csv .tsv (.gz), .npy, .npz; "" = IDX */
    char test_table[CFG_PATH_MAX];   /* data.test: "" = data.test_fraction of data.train */
    cfg_names label;                 /* data.label: label columns by name or index; none: the last */
    int task;                        /* data.task: CFG_TASK_* */
    double test_fraction;            /* data.test_fraction: held out of data.train without data.test */
    cfg_names ignore;                /* data.ignore: columns neither feature nor label */
    cfg_names features;              /* data.features: the only feature columns (none: all
                                        but the labels and data.ignore) */
    cfg_names categorical;           /* data.categorical: numeric columns taken as categories */
    int missing;                     /* data.missing: CFG_MISSING_* */
    cfg_names missing_values;        /* data.missing_values: cell texts that mean "missing" */
    int scale;                       /* data.scale: CFG_SCALE_* */
    int delimiter;                   /* data.delimiter: CFG_DELIM_AUTO, or 1.. comma, semicolon, tab, pipe */
    int header;                      /* data.header: the first CSV record names the columns */
    char npz_x[CFG_PATH_MAX];        /* data.x, data.y: the arrays of a .npz (or .npy files: data.y) */
    char npz_y[CFG_PATH_MAX];

    /* network: */
    int n_layers;                    /* weight layers = len(sizes) - 1 */
    int sizes[NET_MAX_LAYERS + 1];
    int n_hidden_act;                /* network.activation: 1 name (every hidden layer) or one per hidden layer */
    net_act hidden_act[NET_MAX_LAYERS];
    net_act output_act;              /* network.output */
    net_act act[NET_MAX_LAYERS];     /* per weight layer, resolved by cfg_validate */
    net_cost cost;
    net_init_kind init;
    int n_hidden;                    /* network.hidden: -1 not given; else hidden[0..n_hidden) */
    int hidden[NET_MAX_LAYERS];      /*   (a table's input and output sizes come from the data) */

    /* train: */
    double learning_rate;
    int batch_size;
    int epochs;
    uint64_t seed;
    int threads;                     /* 0 = every core */
    int shard_buffers;               /* train.reduce: "fused" (0) or "shards" (1) */
    int shards;                      /* shards mode: the split; 0 = automatic (never from threads) */
    int deterministic;               /* 1: bitwise identical for any thread count */
    int overlap;                     /* under mpirun: sum a layer while the next computes */
    sched_kind schedule;             /* train.schedule (lrsched.h) */
    int step_epochs;                 /* step: epochs between decays */
    double gamma;                    /* step, exponential: the decay factor */
    double min_learning_rate;        /* cosine: the rate at the end */
    double warmup_epochs;            /* linear warm-up, in epochs (fractional allowed) */
    int patience;                    /* early stopping: epochs without improvement; 0 = off */
    int monitor;                     /* CFG_MONITOR_*: what "improvement" means */
    optim_name optimizer;            /* train.optimizer: sgd, adam, adamw */
    double momentum;                 /* sgd: in [0, 1); 0 = none */
    int nesterov;                    /* sgd with momentum > 0 */
    double beta1, beta2, epsilon;    /* adam, adamw */
    double weight_decay;             /* >= 0: coupled (sgd, adam) or decoupled (adamw) */
    int n_dropout;                   /* train.dropout: 1 rate (every hidden layer) or one per hidden layer */
    double dropout[NET_MAX_LAYERS];  /* of each hidden layer's outputs, in [0, 1) */
    double input_dropout;            /* of the pixels, in [0, 1) */
    double max_norm;                 /* > 0: each unit's incoming weights within this norm; 0 = off */
    double label_smoothing;          /* in [0, 1): targets (1 - s) one-hot + s / classes */
    int class_weights;               /* train.class_weights: CFG_CLASS_WEIGHTS_* */

    /* augment: (augment.h) each 0 = off */
    double aug_shift;                /* pixels */
    double aug_rotate;               /* degrees, 0..180 */
    double aug_scale;                /* zoom in [1 - s, 1 + s] */
    double aug_shear;                /* degrees, 0..60 */
    double aug_elastic_alpha;        /* pixels; 0 = no elastic distortion */
    double aug_elastic_sigma;        /* pixels, > 0 */

    /* output: */
    char model_path[CFG_PATH_MAX];   /* "" = do not save */
    char metrics_path[CFG_PATH_MAX]; /* "" = do not write */
    char checkpoint_path[CFG_PATH_MAX]; /* "" = no checkpoints */
    int checkpoint_every;            /* epochs between checkpoints; 0 = only on SIGINT/SIGTERM */
    int save_last;                   /* with early stopping: also save the last model (MODEL.last) */

    int n_locs;
    cfg_loc locs[CFG_MAX_KEYS];
} cfg_t;

/* Fills every field with its documented default; 0, or -1 with err set
 * (ERR_RUNTIME: out of memory, or a default that does not read back, a
 * bug). Numbers in configs are read with strtod and written with %g:
 * the calling thread's locale must be "C" or have '.' for a decimal point
 * (the library's entry points switch to "C"; nnt.c). */
int cfg_defaults(cfg_t *c, err_t *err);

/* cfg_defaults, then the YAML file at path. */
int cfg_load(const char *path, cfg_t *c, err_t *err);

/* Same, from a string in memory; `name` stands for the file in messages. */
int cfg_load_string(const char *yaml, const char *name, cfg_t *c, err_t *err);

/* Applies one "key=value" override (e.g. "train.learning_rate=0.5",
 * "network.sizes=[784,30,10]"); the value is read as a YAML value. */
int cfg_set(cfg_t *c, const char *assignment, err_t *err);

/* Checks the values together (activations vs layers, cost vs output
 * activation...) and resolves act[] for every layer. Call once after all
 * loads and overrides. */
int cfg_validate(cfg_t *c, err_t *err);

/* Writes "file:line:col" (or "file", or "-s key" for an override) for key
 * into buf, for messages about values checked outside cfg (data sizes). */
void cfg_where(const cfg_t *c, const char *key, char *buf, size_t n);

/* Writes the resolved configuration as YAML that cfg_load reads back to the
 * same struct. */
int cfg_write_yaml(const cfg_t *c, FILE *f);

/* Writes "section.key=value\n" for every key that decides the run's
 * trajectory, as its row in the schema says (some only in some modes:
 * train.shards only with reduce: shards...); c must be validated. The
 * checkpoint's identity (ckpt.h). Returns 0, or -1 if it does not fit
 * in n bytes. */
int cfg_identity_text(const cfg_t *c, char *buf, size_t n);

/* The YAML file at path as a libyaml document (the caller deletes it),
 * read exactly as cfg_load reads it: the same size and nesting limits and
 * the same file:line:col messages. For the sweep module, which reads its
 * own section of the same file. */
int cfg_parse_file(const char *path, yaml_document_t *doc, err_t *err);

/* Checks value, a node of doc, as a value of the config key named by the
 * scalar node key ("train.learning_rate"), by the key's own row of the
 * schema: the same checks and messages as in the main config, placed at
 * file:line:col of the value ("...: sweep: train.batch_size: expected ..."). */
int cfg_check_value(const char *file, yaml_document_t *doc, const yaml_node_t *key,
                    const yaml_node_t *value, err_t *err);

/* What configs/README.md says of a key, from the schema: for its test. */
typedef struct {
    const char *section, *name; /* "train", "learning_rate" */
    const char *type;           /* "integer", "number", "name", ... */
    const char *dflt;           /* the default as YAML text: "3.0", "[784, 30, 10]" */
} cfg_key_doc;

/* Fills out with the i-th key of the schema and returns 1; 0 past the last. */
int cfg_key_doc_at(int i, cfg_key_doc *out);

/* Walking the schema, for tests (test_cfg's round trip over every key). */

/* How many keys the schema has; i in cfg_key_doc_at, cfg_key_example and
 * cfg_key_name runs from 0 to this, less one. */
int cfg_key_count(void);

/* Writes "section.name" of the i-th key into buf. Returns 0, or -1 past the
 * last key or if it does not fit in n bytes. */
int cfg_key_name(int i, char *buf, size_t n);

/* Writes a valid value of the i-th key other than its default, as YAML text
 * that cfg_set takes ("3.3000000000000003", "[784, 16, 8, 10]"), derived
 * from the key's kind, range and names. The value is valid on its own
 * except where cfg_validate's rules across keys say otherwise: the lists
 * (network.activation, train.dropout) have one entry per hidden layer of
 * network.sizes' example (two), and a key that needs another (patience
 * needs data.validation...) needs that key's example too. Returns 0, or -1
 * past the last key, for a kind with no example, or if it does not fit. */
int cfg_key_example(int i, char *buf, size_t n);

/* Writes key's ("train.learning_rate") value in c as cfg_write_yaml writes
 * it ("3", "[784, 30, 10]", "\"mnist\""). Returns 0, or -1 for an unknown
 * key or if it does not fit in n bytes. */
int cfg_get(const cfg_t *c, const char *key, char *buf, size_t n);

/* Whether key ("network.output") was given by the file or an override,
 * rather than left at its default. */
int cfg_is_set(const cfg_t *c, const char *key);

/* Whether the config holds out a validation set: data.validation or
 * data.validation_fraction above 0. */
int cfg_has_validation(const cfg_t *c);

/* The validation set's size out of n_train training examples (the rows
 * left once the test set is out): data.validation, or
 * round(data.validation_fraction * n_train) (which may be 0 for a small
 * n_train: run.c refuses that). */
int64_t cfg_validation_rows(const cfg_t *c, int64_t n_train);

/* Joins data_dir (resolved against $NNTRAIN_DATA) and a data file name. */
void cfg_data_path(const cfg_t *c, const char *file, char *buf, size_t n);

#endif
