/* cmd_sweep: `nntrain -c CONFIG` where CONFIG has a sweep: section (the
 * train command hands it over): every trial of the sweep (sweep.h), each
 * a quiet training run as src/cmd_train.c makes them, then the ranked
 * tables, the best config and everyone's learning curves. Errors are
 * printed here, once; the functions return the process's exit code. */
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "cli.h"
#include "commands.h"
#include "curves.h"
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
    sweep_ctx x = {o, 0, 0};
    int n_run, rc = 0, print = 0;
    if (sweep_run_share(spec, base, rank, size, run_trial, &x, &n_run, &err) != 0) {
        int sig = sweep_stop_signal() ? sweep_stop_signal() : train_stop_signal();
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
