/* cmd_train: `nntrain [train] -c CONFIG`. Composes the modules into one
 * training run (data, network, training with checkpoints and signals,
 * evaluation, model file) or, for a config with a sweep: section, into a
 * sweep of such runs. Errors are printed here, once; the functions return
 * the process's exit code. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cfg.h"
#include "ckpt.h"
#include "cli.h"
#include "cores.h"
#include "curves.h"
#include "eval.h"
#include "fsx.h"
#include "idx.h"
#include "kernels.h"
#include "model.h"
#include "net.h"
#include "ranks.h"
#include "report.h"
#include "sweep.h"
#include "train.h"

static void describe(const net_t *net, char *buf, size_t n)
{
    int w = 0;
    for (int i = 0; i <= net->n_layers && (size_t)w < n; i++)
        w += snprintf(buf + w, n - w, "%s%d", i ? "-" : "", net->sizes[i]);
    for (int l = 0; l < net->n_layers && (size_t)w < n; l++)
        w += snprintf(buf + w, n - w, "%s%s", l ? "," : " ", net_act_name(net->act[l]));
    if ((size_t)w < n)
        snprintf(buf + w, n - w, " %s", net_cost_name(net->cost));
}

/* Makes sure files can be created in path's directory (creating it if
 * missing) before any work is done, so that a read-only or impossible
 * output path fails at once and leaves nothing behind. key names the
 * config key in messages. */
static int check_output(const char *key, const char *path, err_t *err)
{
    if (!path[0])
        return 0;
    if (fsx_make_parents(path, err) != 0) {
        return err_prefix(err, "%s", key);
    }
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

/* ---- signals: stop after the current mini-batch ------------------------- */

static volatile sig_atomic_t stop_signal; /* the signal number, 0 if none */

static void on_stop_signal(int sig)
{
    static const char msg[] =
        "\nnntrain: stopping after this mini-batch (again to quit at once)\n";
    int saved = errno; /* the interrupted code may be about to read it */
    stop_signal = sig;
    /* write() is async-signal-safe; printf is not. */
    ssize_t rc = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)rc;
    errno = saved;
}

/* SA_RESETHAND: the first signal asks politely, a second one kills.
 * SA_RESTART: writes to a pipe are not cut short by the signal. */
static void catch_stop_signals(int on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on ? on_stop_signal : SIG_DFL;
    sa.sa_flags = on ? SA_RESETHAND | SA_RESTART : 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- checkpoints ---------------------------------------------------------- */

typedef struct {
    char path[CFG_PATH_MAX + 32]; /* "" = none */
    const char *config;           /* the run's config text (ckpt_config_text) */
    int epoch, step;              /* the last position handed over */
    int saved;                    /* a checkpoint exists at path (this run or resumed) */
} ckpt_ctx;

static int save_checkpoint(void *user, const net_t *net, const train_state *st, err_t *err)
{
    ckpt_ctx *k = user;
    k->epoch = st->epoch;
    k->step = st->step;
    if (!k->path[0])
        return 0;
    if (ckpt_save(k->path, k->config, st, net, err) != 0)
        return -1;
    k->saved = 1;
    return 0;
}

/* A directory (an existing one, or a path ending in '/') holds the
 * checkpoint as checkpoint.ckpt. */
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

/* Appends s to buf as one shell word, quoted when it needs to be. */
static void add_shell_word(char *buf, size_t n, const char *s)
{
    size_t len = strlen(buf);
    int plain = s[0] != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/=:+@%", *p))
            plain = 0;
    if (plain) {
        snprintf(buf + len, n - len, " %s", s);
        return;
    }
    if (len + 3 < n)
        buf[len++] = ' ', buf[len++] = '\'';
    for (const char *p = s; *p && len + 6 < n; p++) {
        if (*p == '\'') {
            memcpy(buf + len, "'\\''", 4); /* close, escaped quote, reopen */
            len += 4;
        } else {
            buf[len++] = *p;
        }
    }
    if (len + 1 < n)
        buf[len++] = '\'';
    buf[len] = '\0';
}

/* The message for a run stopped by a signal, with the command to resume. */
static void print_stopped(const cli_options *o, const ckpt_ctx *k, int sig)
{
    if (!k->saved || !k->path[0]) {
        fprintf(stderr,
                "nntrain: interrupted by %s at epoch %d step %d; no checkpoint written "
                "(set output.checkpoint to be able to resume)\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT", k->epoch, k->step);
        return;
    }
    char cmd[8192] = "nntrain -c";
    add_shell_word(cmd, sizeof cmd, o->config);
    for (int i = 0; i < o->n_overrides; i++) {
        strncat(cmd, " -s", sizeof cmd - strlen(cmd) - 1);
        add_shell_word(cmd, sizeof cmd, o->overrides[i]);
    }
    if (o->data_dir) {
        strncat(cmd, " --data-dir", sizeof cmd - strlen(cmd) - 1);
        add_shell_word(cmd, sizeof cmd, o->data_dir);
    }
    strncat(cmd, " --resume", sizeof cmd - strlen(cmd) - 1);
    add_shell_word(cmd, sizeof cmd, k->path);
    fprintf(stderr, "nntrain: interrupted by %s at epoch %d step %d; checkpoint saved to %s; "
            "resume with: %s\n", sig == SIGTERM ? "SIGTERM" : "SIGINT", k->epoch, k->step,
            k->path, cmd);
}

/* Loads the checkpoint to resume from into *ck and its weights into net
 * (created from the config, which the checkpoint must match). */
static int load_resume(const char *arg, const char *config, net_t *net, ckpt_t *ck,
                       char *path, size_t n, err_t *err)
{
    if (ckpt_resolve(arg, path, n, err) != 0 || ckpt_load(path, config, ck, err) != 0)
        return -1;
    /* Same config text means the same shape; a file that passes every check
     * but still differs has been tampered with. */
    int same = ck->net.n_layers == net->n_layers && ck->net.cost == net->cost;
    for (int i = 0; same && i <= net->n_layers; i++)
        same = ck->net.sizes[i] == net->sizes[i] && (i == net->n_layers || ck->net.act[i] == net->act[i]);
    if (!same)
        return err_set(err, ERR_INPUT, "%s: the network inside does not match its config text", path);
    memcpy(net->params, ck->net.params, net->n_params * sizeof *net->params);
    return 0;
}

/* Before any training: the set's images must fit network.sizes' input
 * layer and its labels its output layer. Errors name the file and the
 * config line. */
static int check_set(const cfg_t *c, const idx_dataset *d, const char *images,
                     const char *labels, err_t *err)
{
    char where[CFG_PATH_MAX + 64], path[CFG_PATH_MAX * 2];
    int n_out = c->sizes[c->n_layers];
    cfg_where(c, "network.sizes", where, sizeof where);
    if (c->sizes[0] != d->rows * d->cols) {
        cfg_data_path(c, images, path, sizeof path);
        return err_set(err, ERR_INPUT, "%s: network.sizes: the input layer has %d units but the "
                       "images of %s are %dx%d = %d pixels", where, c->sizes[0], path, d->rows,
                       d->cols, d->rows * d->cols);
    }
    for (int i = 0; i < d->n; i++)
        if (d->labels[i] >= n_out) {
            cfg_data_path(c, labels, path, sizeof path);
            return err_set(err, ERR_INPUT, "%s: network.sizes: the output layer has %d units but "
                           "%s has label %d (example %d)", where, n_out, path, d->labels[i], i);
        }
    return 0;
}

/* The run's data: training and test sets read and checked against the
 * network's sizes; fit and val are views of the training set, val its last
 * data.validation examples. */
static int load_run_data(const cfg_t *c, idx_dataset *train, idx_dataset *test,
                         idx_dataset *fit, idx_dataset *val, err_t *err)
{
    if (cli_load_data(c, c->train_images, c->train_labels, c->train_limit, train, err) != 0 ||
        cli_load_data(c, c->test_images, c->test_labels, 0, test, err) != 0 ||
        check_set(c, train, c->train_images, c->train_labels, err) != 0 ||
        check_set(c, test, c->test_images, c->test_labels, err) != 0)
        return -1;
    if (c->validation >= train->n) {
        char where[CFG_PATH_MAX + 64];
        cfg_where(c, "data.validation", where, sizeof where);
        return err_set(err, ERR_INPUT, "%s: data.validation: %d held-out examples leave none "
                       "of the %d to train on", where, c->validation, train->n);
    }
    *fit = *val = *train;
    fit->n = train->n - c->validation;
    val->n = c->validation;
    val->images = train->images + (size_t)fit->n * train->rows * train->cols;
    val->labels = train->labels + fit->n;
    return 0;
}

/* " (cosine to 0, warm-up 2 epochs)", or "" for a constant rate. */
static void describe_schedule(const cfg_t *c, char *buf, size_t n)
{
    int w = 0;
    if (c->schedule == SCHED_STEP)
        w = snprintf(buf, n, " (x%g every %d epochs", c->gamma, c->step_epochs);
    else if (c->schedule == SCHED_EXPONENTIAL)
        w = snprintf(buf, n, " (x%g every epoch", c->gamma);
    else if (c->schedule == SCHED_COSINE)
        w = snprintf(buf, n, " (cosine to %g", c->min_learning_rate);
    if (c->warmup_epochs > 0 && w >= 0 && (size_t)w < n)
        w += snprintf(buf + w, n - w, "%swarm-up %g epochs", w ? ", " : " (", c->warmup_epochs);
    if (w > 0 && (size_t)w < n)
        snprintf(buf + w, n - w, ")");
}

/* What is about to run, in three lines. */
static void print_banner(const cfg_t *c, const net_t *net, const train_opts *opts, int n_fit,
                         int n_eval)
{
    char desc[512];
    int T = cores_resolve(c->threads);
    int B = c->batch_size < n_fit ? c->batch_size : n_fit;
    describe(net, desc, sizeof desc);
    printf("nntrain %s: %s, %zu parameters\n", PACKAGE_VERSION, desc, net->n_params);
    char sched[160] = "";
    describe_schedule(c, sched, sizeof sched);
    printf("data: %d training, %d %s examples; batch %d, learning rate %g%s, %d epochs, seed %llu\n",
           n_fit, n_eval, c->validation > 0 ? "validation" : "test", c->batch_size,
           c->learning_rate, sched, c->epochs, (unsigned long long)c->seed);
    if (c->shard_buffers)
        printf("threads %d, gradient by shards: %d shard buffers%s, kernels %s\n", T,
               train_parts(opts, B, net->n_params),
               c->deterministic ? " (deterministic)" : " (one per thread, not deterministic)",
               kern_isa());
    else
        printf("threads %d, gradient fused (deterministic), kernels %s\n", T, kern_isa());
    /* Plain SGD says nothing: the line is for the optimizers with knobs. */
    if (c->optimizer == OPTIM_NAME_SGD && c->momentum > 0)
        printf("optimizer sgd, %smomentum %g, weight decay %g (L2)\n", c->nesterov ? "Nesterov " : "",
               c->momentum, c->weight_decay);
    else if (c->optimizer == OPTIM_NAME_SGD && c->weight_decay > 0)
        printf("optimizer sgd, weight decay %g (L2)\n", c->weight_decay);
    else if (c->optimizer != OPTIM_NAME_SGD)
        printf("optimizer %s, beta1 %g, beta2 %g, epsilon %g, weight decay %g (%s)\n",
               optim_name_str(c->optimizer), c->beta1, c->beta2, c->epsilon, c->weight_decay,
               c->optimizer == OPTIM_NAME_ADAMW ? "decoupled" : "L2");
    /* Regularisation, when any is on. */
    char reg[256] = "";
    int w = 0, any_drop = 0;
    for (int l = 1; l < c->n_layers; l++)
        any_drop |= opts->dropout[l] > 0;
    if (opts->dropout[0] > 0)
        w += snprintf(reg + w, sizeof reg - w, ", input dropout %g", opts->dropout[0]);
    if (any_drop) {
        w += snprintf(reg + w, sizeof reg - w, ", dropout");
        for (int l = 1; l < c->n_layers && w < (int)sizeof reg; l++)
            w += snprintf(reg + w, sizeof reg - w, "%s%g", l > 1 ? "/" : " ", opts->dropout[l]);
    }
    if (c->max_norm > 0 && w < (int)sizeof reg)
        w += snprintf(reg + w, sizeof reg - w, ", max-norm %g", c->max_norm);
    if (c->label_smoothing > 0 && w < (int)sizeof reg)
        w += snprintf(reg + w, sizeof reg - w, ", label smoothing %g", c->label_smoothing);
    if (w > 0)
        printf("regularisation: %s\n", reg + 2);
    const aug_params *a = &opts->augment;
    if (aug_active(a)) {
        char els[64] = "";
        if (a->elastic_alpha > 0)
            snprintf(els, sizeof els, ", elastic alpha %g sigma %g", a->elastic_alpha, a->elastic_sigma);
        printf("augment: shift %g px, rotate %g deg, scale %g, shear %g deg%s\n", a->shift, a->rotate,
               a->scale, a->shear, els);
    }
}

/* What one training run reached, for sweeps' results tables. */
typedef struct {
    report_t *rep;          /* epoch lines and metrics go on to it */
    double best_accuracy;
    int best_epoch;
    double final_loss, final_accuracy;
} run_summary;

static int summary_epoch(void *user, const train_epoch_stats *st)
{
    run_summary *s = user;
    if (st->eval_accuracy > s->best_accuracy || s->best_epoch == 0) {
        s->best_accuracy = st->eval_accuracy;
        s->best_epoch = st->epoch;
    }
    s->final_loss = st->train_loss;
    s->final_accuracy = st->eval_accuracy;
    return report_epoch(s->rep, st);
}

static void summary_progress(void *user, int epoch, long long done, long long total, double loss)
{
    report_progress(((run_summary *)user)->rep, epoch, done, total, loss);
}

/* An error's exit code, as cli_fail would return it. */
static int exit_code(const err_t *e)
{
    return e->code == ERR_RUNTIME ? 1 : 2;
}

/* Trains as c says (already loaded and validated); prints, saves; fills
 * *sum and *test_acc when given. Returns the exit code, the error printed.
 * group: the MPI ranks training this model together (NULL: this process
 * alone); all of them run this, rank 0 alone prints and writes files. They
 * meet once before training: every rank must have set up without error,
 * with the same data and starting weights (ranks_agree); after that, every
 * decision inside train_run is shared. */
static int train_config(const cli_options *o, const cfg_t *c, const reduce_group *group,
                        run_summary *sum, double *test_acc)
{
    err_t err;
    err_clear(&err);
    net_t net = {0};
    idx_dataset train = {0}, test = {0};
    int rc = 0;
    report_t rep = {0};
    char where[CFG_PATH_MAX + 64];
    char *config_text = NULL;
    ckpt_t ck = {0};
    ckpt_ctx k = {{0}, NULL, 0, 0, 0};
    train_best best = {0};
    char last_path[CFG_PATH_MAX + 8];
    run_summary own = {0};
    if (!sum)
        sum = &own;
    sum->rep = &rep;
    int root = !group || group->rank == 0; /* prints and writes files */
    int agreed = !group; /* passed the ranks' check (or has none to pass) */
    int speak = 1;       /* an error is this rank's to print */
    int print = 0;
    cli_options others;
    if (!root) {
        others = *o;
        others.quiet = others.silent = 1;
        o = &others;
    }

    idx_dataset fit, val;
    if (load_run_data(c, &train, &test, &fit, &val, &err) != 0)
        goto fail;
    const idx_dataset *eval_set = c->validation > 0 ? &val : &test;

    train_opts opts = {.learning_rate = c->learning_rate,
                       .sched = {.kind = c->schedule, .step_epochs = c->step_epochs,
                                 .gamma = c->gamma, .min_rate = c->min_learning_rate,
                                 .warmup_epochs = c->warmup_epochs},
                       .batch_size = c->batch_size,
                       .epochs = c->epochs, .seed = c->seed, .threads = c->threads,
                       .shards = c->shards, .shard_buffers = c->shard_buffers,
                       .deterministic = c->deterministic,
                       .overlap = c->overlap,
                       .patience = c->patience, .monitor_loss = c->monitor == CFG_MONITOR_LOSS,
                       .checkpoint_every = c->checkpoint_path[0] ? c->checkpoint_every : 0,
                       .stop = &stop_signal, .on_checkpoint = save_checkpoint, .ckpt_user = &k};
    opts.optim = (optim_params){c->optimizer, c->momentum, c->nesterov, c->beta1, c->beta2,
                                c->epsilon, c->weight_decay};
    /* Dropout of each weight layer's inputs: the pixels, then each hidden
     * layer's outputs. */
    opts.dropout[0] = (float)c->input_dropout;
    for (int l = 1; l < c->n_layers; l++)
        opts.dropout[l] = (float)c->dropout[c->n_dropout == 1 ? 0 : l - 1];
    opts.max_norm = c->max_norm;
    opts.label_smoothing = c->label_smoothing;
    opts.augment = (aug_params){c->aug_shift, c->aug_rotate, c->aug_scale, c->aug_shear,
                                c->aug_elastic_alpha, c->aug_elastic_sigma};
    /* Before any allocation that size decides, and before any output file. */
    double data_bytes = ((double)train.n * train.rows * train.cols + train.n) +
                        ((double)test.n * test.rows * test.cols + test.n);
    if (train_check_memory(c->n_layers, c->sizes, &opts, fit.n, data_bytes, &err) != 0) {
        cfg_where(c, "network.sizes", where, sizeof where);
        err_prefix(&err, "%s", where);
        goto fail;
    }
    if (root) {
        checkpoint_file(c->checkpoint_path, k.path, sizeof k.path);
        if (check_output("output.model", c->model_path, &err) != 0 ||
            check_output("output.metrics", c->metrics_path, &err) != 0 ||
            check_output("output.checkpoint", k.path, &err) != 0)
            goto fail;
    }
    config_text = malloc(CKPT_CONFIG_MAX);
    if (!config_text || ckpt_config_text(c, &fit, config_text, CKPT_CONFIG_MAX) != 0) {
        err_set(&err, ERR_RUNTIME, "out of memory, or a config too long to checkpoint");
        goto fail;
    }
    k.config = config_text;

    if (net_create(&net, c->n_layers, c->sizes, c->act, c->cost, &err) != 0) {
        cfg_where(c, "network.sizes", where, sizeof where);
        err_prefix(&err, "%s", where);
        goto fail;
    }
    if (c->patience > 0) {
        best.params = malloc(net.n_params * sizeof *best.params);
        if (!best.params) {
            err_set(&err, ERR_RUNTIME, "out of memory for the best model (%zu weights)", net.n_params);
            goto fail;
        }
        opts.best = &best;
    }
    char resume_path[CFG_PATH_MAX * 2];
    if (o->resume) {
        if (load_resume(o->resume, config_text, &net, &ck, resume_path, sizeof resume_path, &err) != 0)
            goto fail;
        opts.resume = &ck.st;
        /* Until this run writes its own, the one resumed from is the last good one. */
        k.saved = strcmp(resume_path, k.path) == 0;
    } else {
        rng_t init_rng;
        rng_seed(&init_rng, c->seed ^ 0x5851f42d4c957f2dULL);
        net_init_params(&net, c->init, &init_rng);
    }

    if (!o->quiet) {
        print_banner(c, &net, &opts, fit.n, eval_set->n);
        if (group)
            printf("MPI: %d ranks share each mini-batch's shards (the same bits as one process)\n",
                   group->size);
        if (o->resume)
            printf("resuming from %s: epoch %d, %d of %d mini-batches done\n", resume_path,
                   ck.st.epoch, ck.st.step, ck.st.n_batches);
        fflush(stdout);
    }
    if (report_open(&rep, root ? c->metrics_path : "", o->quiet, o->resume != NULL, &err) != 0)
        goto fail;
    if (group) {
        /* The config text holds the training data's checksum; the weights
         * are the checkpoint's on --resume. */
        uint64_t h = ranks_hash(RANKS_HASH0, config_text, strlen(config_text));
        h = ranks_hash(h, net.params, net.n_params * sizeof *net.params);
        agreed = 1;
        rc = ranks_agree(0, h, "training data or starting weights", &err, &print);
        if (rc != 0) {
            if (print)
                cli_fail(&err);
            report_close(&rep, NULL);
            goto done;
        }
    }
    train_hooks hooks = {summary_progress, summary_epoch, sum};
    opts.group = group;
    catch_stop_signals(1);
    int trc = train_run(&net, &fit, eval_set, &opts, &hooks, &err);
    catch_stop_signals(0); /* from here on, the model is about to be saved */
    if (trc == TRAIN_STOPPED) {
        report_close(&rep, NULL);
        if (root)
            print_stopped(o, &k, stop_signal);
        /* Another rank's signal may have stopped this one. */
        rc = 128 + (stop_signal ? stop_signal : SIGTERM);
        goto done;
    }
    speak = root; /* what train_run says, it says on every rank */
    if (trc != 0) {
        /* Bad input now can only be the checkpoint not fitting this run. */
        if (o->resume && err.code == ERR_INPUT)
            err_prefix(&err, "%s", resume_path);
        if (k.saved) {
            /* Truncation only shortens the message; the error still stands. */
            char m[sizeof err.msg];
            snprintf(m, sizeof m, "%s", err.msg);
            int room = (int)(sizeof err.msg / 2);
            err_set(&err, err.code, "%.*s; the last checkpoint, %.*s, is unchanged", room, m,
                    room - 40, k.path);
        }
        goto fail;
    }
    if (report_close(&rep, &err) != 0)
        goto fail;
    if (!root)
        goto done; /* rank 0 evaluates and saves the model */

    if (best.params) {
        /* The model chosen by validation, never by the test set; the last
         * one only if asked for. */
        if (!o->quiet) {
            if (best.since >= c->patience)
                printf("early stop: validation %s has not improved for %d epochs; ",
                       c->monitor == CFG_MONITOR_LOSS ? "loss" : "accuracy", best.since);
            if (c->monitor == CFG_MONITOR_LOSS)
                printf("best validation loss %.4f at epoch %d\n", best.value, best.epoch);
            else
                printf("best validation accuracy %.2f%% at epoch %d\n", 100.0 * best.value,
                       best.epoch);
        }
    }
    if (c->save_last && c->model_path[0]) {
        snprintf(last_path, sizeof last_path, "%s.last", c->model_path);
        if (model_save(last_path, &net, &err) != 0)
            goto fail;
        if (!o->quiet)
            printf("last model saved to %s\n", last_path);
    }
    if (best.params) {
        memcpy(net.params, best.params, net.n_params * sizeof *net.params);
        /* A sweep ranks the model kept, not the last epoch's. */
        eval_result v;
        if (eval_dataset(&net, &val, c->threads, 0, &v, &err) != 0)
            goto fail;
        sum->final_accuracy = v.accuracy;
    }

    eval_result r;
    if (eval_dataset(&net, &test, c->threads, 0, &r, &err) != 0)
        goto fail;
    if (!o->silent)
        printf("test accuracy: %.2f%% (%d/%d)\n", 100.0 * r.accuracy, r.correct, r.n);
    if (test_acc)
        *test_acc = r.accuracy;
    if (c->model_path[0]) {
        if (model_save(c->model_path, &net, &err) != 0)
            goto fail;
        if (!o->quiet)
            printf("model saved to %s\n", c->model_path);
    }
    goto done;
fail:
    if (!agreed) {
        /* The other ranks are waiting at the check before training. */
        rc = ranks_agree(exit_code(&err), 0, "", &err, &print);
        if (print)
            cli_fail(&err);
    } else {
        rc = speak ? cli_fail(&err) : exit_code(&err);
    }
    if (rep.metrics)
        report_close(&rep, NULL);
done:
    ckpt_free(&ck);
    free(best.params);
    free(config_text);
    net_free(&net);
    idx_dataset_free(&train);
    idx_dataset_free(&test);
    return rc;
}

/* One trial of a sweep (sweep_run_fn): a quiet training run in its dir. */
typedef struct {
    const cli_options *o;
    int done, total;
} sweep_ctx;

static int run_trial(const cfg_t *c, const char *dir, sweep_result *r, void *user, err_t *err)
{
    sweep_ctx *x = user;
    cli_options quiet = *x->o;
    quiet.quiet = quiet.silent = 1;
    quiet.resume = NULL;
    run_summary sum = {0};
    double t0 = report_now();
    int rc = train_config(&quiet, c, NULL, &sum, &r->test_accuracy);
    if (rc >= 128)
        return err_set(err, ERR_RUNTIME, "%s: interrupted; run the sweep again to go on "
                       "(finished trials are kept)", dir);
    if (rc != 0)
        return err_set(err, rc == 1 ? ERR_RUNTIME : ERR_INPUT, "%s: the trial failed (see above)", dir);
    r->seconds = report_now() - t0;
    r->eval_accuracy = sum.final_accuracy;
    r->best_accuracy = sum.best_accuracy;
    r->best_epoch = sum.best_epoch;
    r->final_loss = sum.final_loss;
    /* One whole line per trial: trials may run in parallel processes. */
    printf("%s: %s accuracy %.2f%% (best %.2f%%, epoch %d), test %.2f%%, %.1f s\n", dir,
           c->validation > 0 ? "validation" : "test", 100 * r->eval_accuracy,
           100 * r->best_accuracy, r->best_epoch, 100 * r->test_accuracy, r->seconds);
    fflush(stdout);
    return 0;
}

/* nntrain -c FILE where FILE has a sweep: section. Under mpirun the ranks
 * share the trials (trial i on rank i % R, each a one-process run with the
 * rank's threads, writing its own trial-NNN/), meet when every rank has
 * run its share, and rank 0 writes the tables from every trial's
 * result.csv: sweep.dir must be a directory every rank sees. */
static int cmd_sweep(const cli_options *o, const cfg_t *base, const sweep_spec *spec)
{
    err_t err;
    err_clear(&err);
    int rank = ranks_rank(), size = ranks_size();
    if (o->resume) {
        if (rank == 0)
            fprintf(stderr, "nntrain: --resume is for a single run; run the sweep again to "
                            "resume it (finished trials are skipped)\n");
        return 2;
    }
    if (size > 1 && rank == 0 && !o->quiet) {
        printf("MPI: %d ranks share the sweep's trials (trial i on rank i %% %d)\n", size, size);
        fflush(stdout);
    }
    sweep_ctx x = {o, 0, 0};
    int n_run, rc = 0, print = 0;
    if (sweep_run_share(spec, base, rank, size, run_trial, &x, &n_run, &err) != 0) {
        int sig = sweep_stop_signal() ? sweep_stop_signal() : stop_signal;
        rc = sig ? 128 + sig : exit_code(&err);
        print = 1;
    }
    if (size > 1) {
        /* No rank goes on before all are done; a failure anywhere stops all. */
        rc = ranks_agree(rc, 0, "", &err, &print);
        n_run = ranks_sum(n_run);
    }
    if (rc != 0) {
        if (print)
            cli_fail(&err);
        return rc;
    }
    if (rank != 0)
        return 0; /* rank 0 writes the tables and the chart */
    if (sweep_write_results(spec, base, &err) != 0)
        return cli_fail(&err);
    /* Everyone's learning curves on one chart. */
    char path[CFG_PATH_MAX + 64], md[CFG_PATH_MAX + 64];
    snprintf(md, sizeof md, "%s/results.md", spec->dir);
    snprintf(path, sizeof path, "%s/curves.svg", spec->dir);
    int n = sweep_trial_count(spec), n_runs = 0;
    /* A chart shows at most CURVES_MAX_RUNS runs: the first trials. */
    curves_run *runs = calloc(CURVES_MAX_RUNS, sizeof *runs);
    if (!runs) {
        err_set(&err, ERR_RUNTIME, "out of memory for the learning curves");
        return cli_fail(&err);
    }
    for (int i = 0; i < n && n_runs < CURVES_MAX_RUNS; i++) {
        char csv[CFG_PATH_MAX + 64];
        snprintf(csv, sizeof csv, "%.900s/trial-%03d/metrics.csv", spec->dir, i + 1);
        if (curves_read_csv(csv, &runs[n_runs], &err) == 0) {
            snprintf(runs[n_runs].name, sizeof runs[n_runs].name, "trial %d", i + 1);
            n_runs++;
        }
    }
    if (n_runs > 0 && curves_write_svg(path, runs, n_runs, &err) != 0)
        rc = cli_fail(&err);
    for (int i = 0; i < n_runs; i++)
        curves_run_free(&runs[i]);
    free(runs);
    printf("sweep: %d trials (%d run now, %d done before); results in %s, best config in "
           "%s/best.yaml, learning curves in %s\n", n, n_run, n - n_run, md, spec->dir, path);
    FILE *f = fopen(md, "r");
    char line[4096];
    for (int i = 0; f && i < 8 && fgets(line, sizeof line, f); i++)
        fputs(line, stdout); /* the header and the top of the table */
    if (f)
        fclose(f);
    return rc;
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
        rc = train_config(o, c, ranks_group(), NULL, NULL);
    }
    free(spec);
    free(c);
    return rc;
}
