/* run: see include/run.h. */
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fsx.h"
#include "tables.h"
#include "model.h"
#include "ranks.h"
#include "rng.h"

/* ---- config to training options ------------------------------------------ */

void run_train_opts(const cfg_t *c, train_opts *o)
{
    *o = (train_opts){
        .learning_rate = c->learning_rate,
        .sched = {.kind = c->schedule,
                  .step_epochs = c->step_epochs,
                  .gamma = c->gamma,
                  .min_rate = c->min_learning_rate,
                  .warmup_epochs = c->warmup_epochs},
        .batch_size = c->batch_size,
        .epochs = c->epochs,
        .seed = c->seed,
        .threads = c->threads,
        .shards = c->shards,
        .shard_buffers = c->shard_buffers,
        .deterministic = c->deterministic,
        .overlap = c->overlap,
        .optim = {.name = c->optimizer,
                  .momentum = c->momentum,
                  .nesterov = c->nesterov,
                  .beta1 = c->beta1,
                  .beta2 = c->beta2,
                  .epsilon = c->epsilon,
                  .weight_decay = c->weight_decay},
        .max_norm = c->max_norm,
        .label_smoothing = c->label_smoothing,
        .augment = {.shift = c->aug_shift,
                    .rotate = c->aug_rotate,
                    .scale = c->aug_scale,
                    .shear = c->aug_shear,
                    .elastic_alpha = c->aug_elastic_alpha,
                    .elastic_sigma = c->aug_elastic_sigma},
        .checkpoint_every = c->checkpoint_path[0] ? c->checkpoint_every : 0,
        .patience = c->patience,
        .monitor_loss = c->monitor == CFG_MONITOR_LOSS,
    };
    /* Dropout of each weight layer's inputs: the pixels, then each hidden
     * layer's outputs (one train.dropout value for all, or one each). */
    o->dropout[0] = (float)c->input_dropout;
    for (int l = 1; l < c->n_layers; l++)
        o->dropout[l] = (float)c->dropout[c->n_dropout == 1 ? 0 : l - 1];
}

/* ---- data ------------------------------------------------------------------ */

/* The set's images must fit network.sizes' input layer and its labels its
 * output layer. Errors name the file and the config line. */
static int check_set(const cfg_t *c, const dataset *d, const char *images,
                     const char *labels, err_t *err)
{
    char where[CFG_PATH_MAX + 64], path[CFG_PATH_MAX * 2];
    int n_out = c->sizes[c->n_layers];
    cfg_where(c, "network.sizes", where, sizeof where);
    if (c->sizes[0] != d->n_in) {
        cfg_data_path(c, images, path, sizeof path);
        return err_set(err, ERR_INPUT, "%s: network.sizes: the input layer has %d units but the "
                       "images of %s are %dx%d = %d pixels", where, c->sizes[0], path, d->rows,
                       d->cols, d->n_in);
    }
    for (int i = 0; d->labels && i < d->n; i++)
        if (d->labels[i] >= n_out) {
            cfg_data_path(c, labels, path, sizeof path);
            return err_set(err, ERR_INPUT, "%s: network.sizes: the output layer has %d units but "
                           "%s has label %d (example %d)", where, n_out, path, d->labels[i], i);
        }
    return 0;
}

/* A table's sizes: network.hidden takes the input and output layers from
 * the data; else network.sizes must fit it. */
static int table_sizes(run_t *r, cfg_t *c, err_t *err)
{
    const prep_t *p = &r->prep;
    int n_out = p->task == PREP_CLASSIFICATION ? p->n_classes : p->n_targets;
    if (c->n_hidden >= 0) {
        c->sizes[0] = p->n_inputs;
        c->sizes[c->n_layers] = n_out;
        return 0;
    }
    char where[CFG_PATH_MAX + 64], path[CFG_PATH_MAX * 2];
    cfg_where(c, "network.sizes", where, sizeof where);
    cfg_data_path(c, c->train_table, path, sizeof path);
    if (c->sizes[0] != p->n_inputs)
        return err_set(err, ERR_INPUT, "%s: network.sizes: the input layer has %d units but %s "
                       "gives %d inputs (%d feature columns, categories one-hot); set "
                       "network.hidden instead to take the sizes from the data", where,
                       c->sizes[0], path, p->n_inputs, p->n_features);
    if (c->sizes[c->n_layers] != n_out)
        return err_set(err, ERR_INPUT, "%s: network.sizes: the output layer has %d units but %s "
                       "has %d %s; set network.hidden instead to take the sizes from the data",
                       where, c->sizes[c->n_layers], path, n_out,
                       p->task == PREP_CLASSIFICATION ? "classes" : "targets");
    return 0;
}

/* A table: read, split, preprocessing fitted on the training rows. */
static int load_table(run_t *r, cfg_t *c, err_t *err)
{
    const run_args *a = &r->args;
    if (a->train_table ? tables_load_table(c, a->train_table, a->test_table, &r->prep, 1,
                                           &r->train, &r->test, err) != 0
                       : tables_load(c, &r->prep, 1, &r->train, &r->test, err) != 0)
        return -1;
    r->has_prep = 1;
    return table_sizes(r, c, err);
}

/* Training and test sets read and checked against the network's sizes;
 * fit and val are views of the training set, val its last data.validation
 * examples (or data.validation_fraction of them: cfg_validation_rows). */
static int load_data(run_t *r, cfg_t *own, err_t *err)
{
    const cfg_t *c = r->cfg;
    if (c->train_table[0] || r->args.train_table) {
        if (load_table(r, own, err) != 0)
            return -1;
    } else if (cli_load_data(c, c->train_images, c->train_labels, c->train_limit, &r->train, err) != 0 ||
               cli_load_data(c, c->test_images, c->test_labels, 0, &r->test, err) != 0 ||
               check_set(c, &r->train, c->train_images, c->train_labels, err) != 0 ||
               check_set(c, &r->test, c->test_images, c->test_labels, err) != 0) {
        return -1;
    }
    /* A table's split put the validation rows last, as many as this. */
    int64_t n_val = cfg_validation_rows(c, r->train.n);
    char where[CFG_PATH_MAX + 64];
    if (c->validation_fraction > 0 && (n_val == 0 || n_val >= r->train.n)) {
        cfg_where(c, "data.validation_fraction", where, sizeof where);
        return err_set(err, ERR_INPUT, "%s: data.validation_fraction: %g of the %d training "
                       "examples is %lld held out, which leaves %s", where,
                       c->validation_fraction, r->train.n, (long long)n_val,
                       n_val ? "none to train on" : "no validation set (give a larger share)");
    }
    if (n_val >= r->train.n) {
        cfg_where(c, "data.validation", where, sizeof where);
        return err_set(err, ERR_INPUT, "%s: data.validation: %d held-out examples leave none "
                       "of the %d to train on", where, c->validation, r->train.n);
    }
    int n_fit = r->train.n - (int)n_val;
    r->fit = dataset_view(&r->train, 0, n_fit);
    r->val = dataset_view(&r->train, n_fit, (int)n_val);
    r->eval_set = n_val > 0 ? &r->val : &r->test;
    return 0;
}

/* Refuses sizes whose memory this machine cannot give, before any large
 * allocation and before any output file. */
static int check_memory(const run_t *r, err_t *err)
{
    const cfg_t *c = r->cfg;
    const dataset *tr = &r->train, *te = &r->test;
    /* Pixels are bytes, features floats; a label a byte, targets floats. */
    double per_in = tr->images ? 1 : sizeof(float);
    double per_out = tr->labels ? 1 : tr->n_targets * sizeof(float);
    double data_bytes = ((double)tr->n + te->n) * (tr->n_in * per_in + per_out);
    if (train_check_memory(c->n_layers, c->sizes, &r->opts, r->fit.n, data_bytes, err) == 0)
        return 0;
    char where[CFG_PATH_MAX + 64];
    cfg_where(c, "network.sizes", where, sizeof where);
    return err_prefix(err, "%s", where);
}

/* ---- output files ---------------------------------------------------------- */

/* Makes sure files can be created in path's directory (creating it if
 * missing) before any work is done, so that a read-only or impossible
 * output path fails at once and leaves nothing behind. key names the
 * config key in messages. */
static int check_output(const char *key, const char *path, err_t *err)
{
    if (!path[0])
        return 0;
    if (fsx_make_parents(path, err) != 0)
        return err_prefix(err, "%s", key);
    char probe[CFG_PATH_MAX + 64];
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path) + 1 : 0;
    snprintf(probe, sizeof probe, "%.*s.nntrain-probe.%ld", dir_len, path, (long)getpid());
    FILE *f = fopen(probe, "wb");
    if (!f)
        return err_set(err, ERR_RUNTIME, "%s: %s: cannot write in %s: %s", key, path,
                       dir_len ? "its directory" : "the current directory", strerror(errno));
    fclose(f);
    unlink(probe);
    return 0;
}

/* output.checkpoint: a directory (an existing one, or a path ending in
 * '/') holds the checkpoint as checkpoint.ckpt. */
static void checkpoint_file(const char *cfg_path, char *out, size_t n)
{
    struct stat sb;
    size_t len = strlen(cfg_path);
    if (len && (cfg_path[len - 1] == '/' || (stat(cfg_path, &sb) == 0 && S_ISDIR(sb.st_mode))))
        snprintf(out, n, "%s%scheckpoint%s", cfg_path, cfg_path[len - 1] == '/' ? "" : "/",
                 CKPT_SUFFIX);
    else
        snprintf(out, n, "%s", cfg_path);
}

static int check_outputs(run_t *r, err_t *err)
{
    const cfg_t *c = r->cfg;
    checkpoint_file(c->checkpoint_path, r->ckpt_path, sizeof r->ckpt_path);
    if (!r->args.write_files)
        return 0;
    if (check_output("output.model", c->model_path, err) != 0 ||
        check_output("output.metrics", c->metrics_path, err) != 0 ||
        check_output("output.checkpoint", r->ckpt_path, err) != 0)
        return -1;
    return 0;
}

/* train_opts.on_checkpoint: the position always, the file when this
 * process writes one. */
static int save_checkpoint(void *user, const net_t *net, const train_state *st, err_t *err)
{
    run_t *r = user;
    r->ckpt_epoch = st->epoch;
    r->ckpt_step = st->step;
    if (!r->ckpt_path[0] || !r->args.write_files)
        return 0;
    if (ckpt_save(r->ckpt_path, r->config_text, st, net, err) != 0)
        return -1;
    r->ckpt_saved = 1;
    return 0;
}

/* ---- the network: fresh, or from a checkpoint ----------------------------- */

static int create_net(run_t *r, err_t *err)
{
    const cfg_t *c = r->cfg;
    if (net_create(&r->net, c->n_layers, c->sizes, c->act, c->cost, err) == 0)
        return 0;
    char where[CFG_PATH_MAX + 64];
    cfg_where(c, "network.sizes", where, sizeof where);
    return err_prefix(err, "%s", where);
}

/* Loads the checkpoint to resume from and its weights into r->net (whose
 * config the checkpoint must match). */
static int load_resume(run_t *r, err_t *err)
{
    ckpt_t *ck = &r->resumed;
    net_t *net = &r->net;
    if (ckpt_resolve(r->args.resume, r->resume_path, sizeof r->resume_path, err) != 0 ||
        ckpt_load(r->resume_path, r->config_text, ck, err) != 0)
        return -1;
    /* Same config text means the same shape; a file that passes every check
     * but still differs has been tampered with. */
    int same = ck->net.n_layers == net->n_layers && ck->net.cost == net->cost;
    for (int i = 0; same && i <= net->n_layers; i++)
        same = ck->net.sizes[i] == net->sizes[i] &&
               (i == net->n_layers || ck->net.act[i] == net->act[i]);
    if (!same)
        return err_set(err, ERR_INPUT, "%s: the network inside does not match its config text",
                       r->resume_path);
    memcpy(net->params, ck->net.params, net->n_params * sizeof *net->params);
    r->opts.resume = &ck->st;
    /* Until this run writes its own, the one resumed from is the last good one. */
    r->ckpt_saved = strcmp(r->resume_path, r->ckpt_path) == 0;
    return 0;
}

/* train.class_weights: balanced over the training rows' classes. */
static int class_weights(run_t *r, err_t *err)
{
    if (r->cfg->class_weights != CFG_CLASS_WEIGHTS_BALANCED)
        return 0;
    if (!r->fit.labels) {
        char where[CFG_PATH_MAX + 64];
        cfg_where(r->cfg, "train.class_weights", where, sizeof where);
        return err_set(err, ERR_INPUT, "%s: train.class_weights: balanced weighs classes, and "
                       "this data has regression targets", where);
    }
    int n_out = r->net.sizes[r->net.n_layers];
    if (!(r->class_w = malloc((size_t)n_out * sizeof *r->class_w)))
        return err_set(err, ERR_RUNTIME, "out of memory");
    train_balanced_weights(&r->fit, n_out, r->class_w);
    r->opts.class_weights = r->class_w;
    return 0;
}

static int init_weights(run_t *r, err_t *err)
{
    const cfg_t *c = r->cfg;
    if (c->patience > 0) {
        r->best.params = malloc(r->net.n_params * sizeof *r->best.params);
        if (!r->best.params)
            return err_set(err, ERR_RUNTIME, "out of memory for the best model (%zu weights)",
                           r->net.n_params);
        r->opts.best = &r->best;
    }
    if (r->args.resume)
        return load_resume(r, err);
    rng_t init_rng;
    rng_seed(&init_rng, c->seed ^ 0x5851f42d4c957f2dULL);
    net_init_params(&r->net, c->init, &init_rng);
    return 0;
}

/* ---- the steps ------------------------------------------------------------- */

int run_setup(run_t *r, const cfg_t *c, const run_args *args, err_t *err)
{
    memset(r, 0, sizeof *r);
    cfg_t *own = malloc(sizeof *own);
    if (!own)
        return err_set(err, ERR_RUNTIME, "out of memory");
    *own = *c;
    r->cfg = c = own;
    r->args = *args;
    run_train_opts(c, &r->opts);
    r->opts.group = args->group;
    r->opts.stop = args->stop;
    r->opts.pause_after = args->pause_after;
    r->opts.on_checkpoint = save_checkpoint;
    r->opts.ckpt_user = r;
    if (load_data(r, own, err) != 0 || check_memory(r, err) != 0 || check_outputs(r, err) != 0)
        return -1;
    /* The run's identity (the config, and a CRC of every training byte:
     * MNIST as CSV, 188 MB, 0.04 s) only where something compares it: a
     * checkpoint written or resumed, or the ranks of an MPI job. */
    if (r->ckpt_path[0] || args->resume || args->group) {
        r->config_text = malloc(CKPT_CONFIG_MAX);
        if (!r->config_text || ckpt_config_text(c, &r->fit, r->config_text, CKPT_CONFIG_MAX) != 0)
            return err_set(err, ERR_RUNTIME, "out of memory, or a config too long to checkpoint");
    }
    return create_net(r, err) != 0 || class_weights(r, err) != 0 || init_weights(r, err) != 0 ? -1 : 0;
}

uint64_t run_hash(const run_t *r)
{
    uint64_t h = ranks_hash(RANKS_HASH0, r->config_text, strlen(r->config_text));
    return ranks_hash(h, r->net.params, r->net.n_params * sizeof *r->net.params);
}

/* The caller's hooks, with what a run keeps of each epoch on the way. */
typedef struct {
    run_t *r;
    const train_hooks *caller;
} run_hooks;

static void hook_progress(void *user, int epoch, long long done, long long total, double loss)
{
    const run_hooks *h = user;
    if (h->caller && h->caller->on_progress)
        h->caller->on_progress(h->caller->user, epoch, done, total, loss);
}

static int hook_epoch(void *user, const train_epoch_stats *st)
{
    const run_hooks *h = user;
    run_t *r = h->r;
    if (st->eval_accuracy > r->best_accuracy || r->best_epoch == 0) {
        r->best_accuracy = st->eval_accuracy;
        r->best_epoch = st->epoch;
    }
    r->final_loss = st->train_loss;
    r->final_accuracy = st->eval_accuracy;
    if (h->caller && h->caller->on_epoch)
        return h->caller->on_epoch(h->caller->user, st);
    return 0;
}

int run_train(run_t *r, const train_hooks *hooks, err_t *err)
{
    run_hooks h = {r, hooks};
    train_hooks own = {hook_progress, hook_epoch, &h};
    int rc = train_run(&r->net, &r->fit, r->eval_set, &r->opts, &own, err);
    if (rc != -1)
        return rc;
    /* Bad input now can only be the checkpoint not fitting this run. */
    if (r->args.resume && err->code == ERR_INPUT)
        err_prefix(err, "%s", r->resume_path);
    if (r->ckpt_saved && r->args.write_files) {
        /* Truncation only shortens the message; the error still stands. */
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        int room = (int)(sizeof err->msg / 2);
        err_set(err, err->code, "%.*s; the last checkpoint, %.*s, is unchanged", room, m,
                room - 40, r->ckpt_path);
    }
    return -1;
}

/* Early stopping: the model chosen by validation, never by the test set
 * (the last epoch's is saved beside it only if output.save_last asks). */
static int keep_best(run_t *r, err_t *err)
{
    memcpy(r->net.params, r->best.params, r->net.n_params * sizeof *r->net.params);
    /* A sweep ranks the model kept, not the last epoch's. */
    eval_result v;
    if (eval_dataset(&r->net, &r->val, r->cfg->threads, 0, &v, err) != 0)
        return -1;
    r->final_accuracy = v.accuracy;
    return 0;
}

/* The model file: the weights, and a table's preprocessing. */
static int save_model(const run_t *r, const char *path, err_t *err)
{
    if (!r->has_prep)
        return model_save(path, &r->net, err);
    uint8_t *blob;
    size_t len;
    if (prep_write(&r->prep, &blob, &len, err) != 0)
        return -1;
    int rc = model_save_with(path, &r->net, blob, len, err);
    free(blob);
    return rc;
}

static int save_last(run_t *r, err_t *err)
{
    snprintf(r->last_path, sizeof r->last_path, "%s.last", r->cfg->model_path);
    if (save_model(r, r->last_path, err) != 0)
        return -1;
    r->last_saved = 1;
    return 0;
}

static int test_model(run_t *r, err_t *err)
{
    eval_result t;
    if (eval_dataset(&r->net, &r->test, r->cfg->threads, 0, &t, err) != 0)
        return -1;
    r->test_accuracy = t.accuracy;
    r->test_correct = t.correct;
    r->test_n = t.n;
    r->test_f1 = t.macro_f1;
    r->test_log_loss = t.log_loss;
    r->regression = r->test.y != NULL;
    if (r->regression) {
        r->test_rmse = t.mean_rmse;
        r->test_mae = t.mean_mae;
        r->test_r2 = r->test_accuracy = t.mean_r2;
    }
    r->tested = 1;
    return 0;
}

int run_finish(run_t *r, err_t *err)
{
    const cfg_t *c = r->cfg;
    if (c->save_last && c->model_path[0] && save_last(r, err) != 0)
        return -1;
    if (r->best.params && keep_best(r, err) != 0)
        return -1;
    if (test_model(r, err) != 0)
        return -1;
    if (c->model_path[0]) {
        if (save_model(r, c->model_path, err) != 0)
            return -1;
        r->model_saved = 1;
    }
    return 0;
}

void run_free(run_t *r)
{
    if (r->has_prep)
        prep_free(&r->prep);
    free((cfg_t *)r->cfg);
    ckpt_free(&r->resumed);
    free(r->best.params);
    free(r->class_w);
    free(r->config_text);
    net_free(&r->net);
    dataset_free(&r->train);
    dataset_free(&r->test);
    memset(r, 0, sizeof *r);
}
