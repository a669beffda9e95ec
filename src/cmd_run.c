/* cmd_run: one training run as the train command makes it (train_one,
 * commands.h): run.h's steps with what a person sees around them: the
 * banner, a line per epoch and the metrics file (report.h), the final
 * figures; SIGINT/SIGTERM stop it after a mini-batch, and the message says
 * how to resume. src/cmd_train.c runs one, src/cmd_sweep.c one per trial.
 * Errors are printed here, once; train_one returns the exit code. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cfg.h"
#include "cli.h"
#include "commands.h"
#include "cores.h"
#include "kernels.h"
#include "net.h"
#include "ranks.h"
#include "report.h"
#include "run.h"
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

/* ---- signals: stop after the current mini-batch ------------------------- */

static volatile sig_atomic_t stop_signal; /* the signal number, 0 if none */

int train_stop_signal(void)
{
    return stop_signal;
}

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

/* ---- what a run says -------------------------------------------------------- */

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
    int B = c->batch_size < n_fit ? c->batch_size : n_fit;
    int T = train_threads(opts, B, net->n_params);
    describe(net, desc, sizeof desc);
    printf("nntrain %s: %s, %zu parameters\n", PACKAGE_VERSION, desc, net->n_params);
    char sched[160] = "";
    describe_schedule(c, sched, sizeof sched);
    printf("data: %d training, %d %s examples; batch %d, learning rate %g%s, %d epochs, seed %llu\n",
           n_fit, n_eval, cfg_has_validation(c) ? "validation" : "test", c->batch_size,
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
    if (c->class_weights == CFG_CLASS_WEIGHTS_BALANCED && w < (int)sizeof reg)
        w += snprintf(reg + w, sizeof reg - w, ", balanced class weights");
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

/* An error's exit code, as cli_fail would return it. */
static int exit_code(const err_t *e)
{
    return e->code == ERR_RUNTIME ? 1 : 2;
}

/* The message for a run stopped by a signal, with the command to resume. */
static void print_stopped(const cli_options *o, const run_t *r, int sig)
{
    const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (!r->ckpt_saved || !r->ckpt_path[0]) {
        fprintf(stderr,
                "nntrain: interrupted by %s at epoch %d step %d; no checkpoint written "
                "(set output.checkpoint to be able to resume)\n",
                name, r->ckpt_epoch, r->ckpt_step);
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
    add_shell_word(cmd, sizeof cmd, r->ckpt_path);
    fprintf(stderr, "nntrain: interrupted by %s at epoch %d step %d; checkpoint saved to %s; "
            "resume with: %s\n", name, r->ckpt_epoch, r->ckpt_step, r->ckpt_path, cmd);
}

/* Before training: the banner, and where MPI and --resume come in. */
static void print_start(const cli_options *o, const run_t *r)
{
    if (o->quiet)
        return;
    print_banner(r->cfg, &r->net, &r->opts, r->fit.n, r->eval_set->n);
    if (r->args.group)
        printf("MPI: %d ranks share each mini-batch's shards (the same bits as one process)\n",
               r->args.group->size);
    if (r->args.resume)
        printf("resuming from %s: epoch %d, %d of %d mini-batches done\n", r->resume_path,
               r->resumed.st.epoch, r->resumed.st.step, r->resumed.st.n_batches);
    fflush(stdout);
}

/* After run_finish: what it did, as far as it got. */
static void print_finish(const cli_options *o, const run_t *r)
{
    const cfg_t *c = r->cfg;
    int by_loss = c->monitor == CFG_MONITOR_LOSS;
    if (r->best.params && !o->quiet) {
        if (r->best.since >= c->patience)
            printf("early stop: validation %s has not improved for %d epochs; ",
                   by_loss ? "loss" : "accuracy", r->best.since);
        if (by_loss)
            printf("best validation loss %.4f at epoch %d\n", r->best.value, r->best.epoch);
        else
            printf("best validation accuracy %.2f%% at epoch %d\n", 100.0 * r->best.value,
                   r->best.epoch);
    }
    if (r->last_saved && !o->quiet)
        printf("last model saved to %s\n", r->last_path);
    if (r->tested && !o->silent && r->regression) {
        printf("test RMSE %.6g, MAE %.6g, R² %.4f (%d examples", r->test_rmse, r->test_mae,
               r->test_r2, r->test_n);
        for (int k = 0; k < r->prep.n_targets; k++)
            printf("%s'%s'", k ? ", " : "; in the units of ", r->prep.targets[k]);
        printf(")\n");
    } else if (r->tested && !o->silent) {
        printf("test accuracy: %.2f%% (%d/%d)", 100.0 * r->test_accuracy, r->test_correct,
               r->test_n);
        /* A table's classes: the figures a tabular user compares too. */
        if (r->has_prep)
            printf(", macro F1 %.4f, log loss %.4f", r->test_f1, r->test_log_loss);
        printf("\n");
    }
    if (r->model_saved && !o->quiet)
        printf("model saved to %s\n", c->model_path);
}

/* ---- one training run --------------------------------------------------------- */

/* Trains as c says (already loaded and validated): run.h's steps, with
 * the banner, epoch lines and metrics file around them; fills *res (a
 * sweep's trial) when given. Returns the exit code, the error printed.
 * group: the MPI ranks training this model together (NULL: this process
 * alone); all of them run this, rank 0 alone prints and writes files. They
 * meet once before training: every rank must have set up without error,
 * with the same data and starting weights (ranks_agree); after that, every
 * decision inside train_run is shared. */
int train_one(const cli_options *o, const cfg_t *c, const reduce_group *group,
              sweep_result *res)
{
    err_t err;
    err_clear(&err);
    int root = !group || group->rank == 0; /* prints and writes files */
    cli_options others;
    if (!root) {
        others = *o;
        others.quiet = others.silent = 1;
        o = &others;
    }
    run_t r;
    report_t rep = {0};
    run_args args = {.resume = o->resume, .stop = &stop_signal, .group = group, .write_files = root,
                     .pause_after = o->pause_after};

    /* 1. Set up: data, network, output files. */
    int rc = run_setup(&r, c, &args, &err);
    if (rc == 0) {
        print_start(o, &r);
        rc = report_open(&rep, root ? c->metrics_path : "", o->quiet, o->resume != NULL, &err);
    }
    if (group) {
        int print = 0;
        rc = ranks_agree(rc ? exit_code(&err) : 0, rc ? 0 : run_hash(&r),
                         "training data or starting weights", &err, &print);
        if (rc != 0 && print)
            cli_fail(&err);
    } else if (rc != 0) {
        rc = cli_fail(&err);
    }
    if (rc != 0)
        goto done;

    /* 2. Train, stoppable by SIGINT/SIGTERM after any mini-batch. */
    train_hooks hooks = {report_progress, report_epoch, &rep};
    catch_stop_signals(1);
    int trc = run_train(&r, &hooks, &err);
    catch_stop_signals(0); /* from here on, the model is about to be saved */
    if (trc == TRAIN_STOPPED) {
        if (root)
            print_stopped(o, &r, stop_signal);
        /* Another rank's signal may have stopped this one. */
        rc = 128 + (stop_signal ? stop_signal : SIGTERM);
        goto done;
    }
    /* What train_run says, it says on every rank: rank 0 prints it. */
    if (trc != 0 && trc != TRAIN_PAUSED) {
        rc = root ? cli_fail(&err) : exit_code(&err);
        goto done;
    }
    if (!root)
        goto done;
    if (trc == TRAIN_PAUSED) { /* a sweep's rung: it goes on later from the checkpoint */
        if (report_close(&rep, &err) != 0) {
            rc = cli_fail(&err);
            goto done;
        }
        if (res) {
            memset(res, 0, sizeof *res);
            res->paused = 1;
            res->eval_accuracy = r.final_accuracy;
            res->best_accuracy = r.best_accuracy;
            res->best_epoch = r.best_epoch;
            res->final_loss = r.final_loss;
            res->test_accuracy = -1;
        }
        goto done;
    }

    /* 3. Finish: the model kept, tested and saved; then the metrics file's
     * last word (a write that kept failing loses the metrics, never the
     * model). */
    rc = run_finish(&r, &err);
    print_finish(o, &r);
    if (rc == 0)
        rc = report_close(&rep, &err);
    if (rc != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    if (res) {
        res->test_accuracy = r.test_accuracy;
        res->eval_accuracy = r.final_accuracy;
        res->best_accuracy = r.best_accuracy;
        res->best_epoch = r.best_epoch;
        res->final_loss = r.final_loss;
    }
done:
    if (rep.metrics)
        report_close(&rep, NULL);
    run_free(&r);
    return rc;
}
