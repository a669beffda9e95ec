/* cmd_sweep: `nntrain -c CONFIG` where CONFIG has a sweep: section (the
 * train command hands it over): every trial of the sweep (sweep.h), each
 * a quiet training run as src/cmd_train.c makes them, then the ranked
 * tables, the best config and everyone's learning curves. Errors are
 * printed here, once; the functions return the process's exit code. */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "ckpt.h"
#include "cli.h"
#include "commands.h"
#include "curves.h"
#include "fsx.h"
#include "ranks.h"
#include "report.h"
#include "sweep.h"

/* An error's exit code, as cli_fail would return it. */
static int exit_code(const err_t *e)
{
    return e->code == ERR_RUNTIME ? 1 : 2;
}

/* One trial of a sweep (sweep_run_fn): a quiet training run in its dir. */
typedef struct {
    const cli_options *o;
    int done, total;
    int print; /* sync_ranks: this rank prints the agreed error */
} sweep_ctx;

static int run_trial(const cfg_t *c, const char *dir, sweep_result *r, void *user, err_t *err)
{
    sweep_ctx *x = user;
    cli_options quiet = *x->o;
    quiet.quiet = quiet.silent = 1;
    quiet.resume = NULL;
    double t0 = report_now();
    int rc = train_one(&quiet, c, NULL, r);
    if (rc >= 128)
        return err_set(err, ERR_RUNTIME, "%s: interrupted; run the sweep again to go on "
                       "(finished trials are kept)", dir);
    if (rc != 0)
        return err_set(err, rc == 1 ? ERR_RUNTIME : ERR_INPUT, "%s: the trial failed (see above)", dir);
    r->seconds = report_now() - t0;
    /* One whole line per trial: trials may run in parallel processes. */
    printf("%s: %s accuracy %.2f%% (best %.2f%%, epoch %d), test %.2f%%, %.1f s\n", dir,
           cfg_has_validation(c) ? "validation" : "test", 100 * r->eval_accuracy,
           100 * r->best_accuracy, r->best_epoch, 100 * r->test_accuracy, r->seconds);
    fflush(stdout);
    return 0;
}

/* Keeps metrics.csv's header and its rows up to epoch `done` (the rest
 * were written after the checkpoint resumed from, by a run killed before
 * its next one): the resumed run appends them again. */
typedef struct {
    FILE *in;
    int done;
} trim_args;

static int copy_rows(FILE *out, const void *user)
{
    const trim_args *t = user;
    char line[4096];
    for (int first = 1; fgets(line, sizeof line, t->in); first = 0)
        if (first || atoi(line) <= t->done)
            fputs(line, out);
    return ferror(t->in) ? -1 : 0;
}

static int trim_metrics(const char *path, int done, err_t *err)
{
    trim_args t = {fopen(path, "r"), done};
    if (!t.in)
        return 0; /* the run starts it */
    int rc = fsx_write_atomic(path, "metrics", copy_rows, &t, err);
    fclose(t.in);
    return rc;
}

/* One segment of a halving / hyperband trial (sweep_seg_fn): on from the
 * trial's checkpoint when there is one (an earlier rung's pause, or an
 * interrupted run's), to the rung's epoch. */
static int run_segment(const cfg_t *c, const char *dir, const sweep_segment *g, sweep_result *r,
                       void *user, err_t *err)
{
    sweep_ctx *x = user;
    cli_options quiet = *x->o;
    quiet.quiet = quiet.silent = 1;
    quiet.resume = NULL;
    quiet.pause_after = g->pause_after;
    if (access(g->checkpoint, F_OK) == 0) {
        ckpt_t ck;
        if (ckpt_load(g->checkpoint, NULL, &ck, err) != 0)
            return -1;
        int done = ck.st.step >= ck.st.n_batches ? ck.st.epoch : ck.st.epoch - 1;
        ckpt_free(&ck);
        if (trim_metrics(c->metrics_path, done, err) != 0)
            return -1;
        if (g->pause_after > 0 && done >= g->pause_after) {
            r->paused = 1; /* killed after its pause, before its rung was recorded */
            return 0;
        }
        quiet.resume = g->checkpoint;
    } else if (g->rung > 0) {
        return err_set(err, ERR_RUNTIME, "%s: no checkpoint to go on from at rung %d", dir,
                       g->rung + 1);
    }
    int rc = train_one(&quiet, c, NULL, r);
    if (rc >= 128)
        return err_set(err, ERR_RUNTIME, "%s: interrupted; run the sweep again to go on "
                       "(finished rungs are kept)", dir);
    if (rc != 0)
        return err_set(err, rc == 1 ? ERR_RUNTIME : ERR_INPUT, "%s: the trial failed (see above)", dir);
    return 0;
}

/* Under MPI: the ranks meet after each round of rungs (sweep_sync_fn). */
static int sync_ranks(int rc, void *user, err_t *err)
{
    sweep_ctx *x = user;
    int print = 0;
    rc = ranks_agree(rc, 0, "", err, &print);
    x->print |= print;
    return rc;
}

/* nntrain -c FILE where FILE has a sweep: section. Under mpirun the ranks
 * share the trials (trial i on rank i % R, each a one-process run with the
 * rank's threads, writing its own trial-NNN/), meet when every rank has
 * run its share, and rank 0 writes the tables from every trial's
 * result.csv: sweep.dir must be a directory every rank sees. */
int cmd_sweep(const cli_options *o, const cfg_t *base, const sweep_spec *spec)
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
    sweep_ctx x = {o, 0, 0, 0};
    int n_run, rc = 0, print = 0;
    if (spec->schedule != SWEEP_FULL) {
        if (sweep_run_rungs(spec, base, rank, size, run_segment, size > 1 ? sync_ranks : NULL, &x,
                            &n_run, &err) != 0) {
            int sig = sweep_stop_signal() ? sweep_stop_signal() : train_stop_signal();
            rc = sig ? 128 + sig : exit_code(&err);
            print = size > 1 ? x.print : 1;
        }
        if (size > 1) { /* every rank left the same round */
            n_run = ranks_sum(n_run);
            if (rc != 0 && print)
                cli_fail(&err);
            if (rc != 0)
                return rc;
        }
    } else if (sweep_run_share(spec, base, rank, size, run_trial, &x, &n_run, &err) != 0) {
        int sig = sweep_stop_signal() ? sweep_stop_signal() : train_stop_signal();
        rc = sig ? 128 + sig : exit_code(&err);
        print = 1;
    }
    if (size > 1 && spec->schedule == SWEEP_FULL) {
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
    long spent = 0, full = 0;
    int *stopped = spec->schedule != SWEEP_FULL ? calloc((size_t)n + 1, sizeof *stopped) : NULL;
    if (stopped && sweep_rung_summary(spec, base, &spent, &full, stopped, &err) != 0) {
        free(stopped);
        return cli_fail(&err);
    }
    /* A chart shows at most CURVES_MAX_RUNS runs: the first trials. */
    curves_run *runs = calloc(CURVES_MAX_RUNS, sizeof *runs);
    if (!runs) {
        free(stopped);
        err_set(&err, ERR_RUNTIME, "out of memory for the learning curves");
        return cli_fail(&err);
    }
    for (int i = 0; i < n && n_runs < CURVES_MAX_RUNS; i++) {
        char csv[CFG_PATH_MAX + 64];
        snprintf(csv, sizeof csv, "%.900s/trial-%03d/metrics.csv", spec->dir, i + 1);
        if (curves_read_csv(csv, &runs[n_runs], &err) == 0) {
            snprintf(runs[n_runs].name, sizeof runs[n_runs].name, "trial %d%s", i + 1,
                     stopped && stopped[i] ? " (stopped)" : "");
            runs[n_runs].faded = stopped && stopped[i];
            n_runs++;
        }
    }
    if (n_runs > 0 && curves_write_svg(path, runs, n_runs, &err) != 0)
        rc = cli_fail(&err);
    for (int i = 0; i < n_runs; i++)
        curves_run_free(&runs[i]);
    free(runs);
    int rungs = stopped != NULL;
    free(stopped);
    if (rungs)
        printf("sweep: %d trials (%d rung segments run now); results in %s, best config in "
               "%s/best.yaml, learning curves in %s\n", n, n_run, md, spec->dir, path);
    else
        printf("sweep: %d trials (%d run now, %d done before); results in %s, best config in "
               "%s/best.yaml, learning curves in %s\n", n, n_run, n - n_run, md, spec->dir, path);
    if (rungs)
        printf("sweep: %s spent %ld epochs of the %ld the full sweep would train (%.1f%%)\n",
               spec->schedule == SWEEP_HALVING ? "successive halving" : "hyperband", spent, full,
               full > 0 ? 100.0 * spent / full : 0.0);
    FILE *f = fopen(md, "r");
    char line[4096];
    for (int i = 0; f && i < 8 && fgets(line, sizeof line, f); i++)
        fputs(line, stdout); /* the header and the top of the table */
    if (f)
        fclose(f);
    return rc;
}
