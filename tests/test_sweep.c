/* Suite sweep: expansion (grid counts, random sampling determinism, key
 * checks), resuming, the results table, and best.yaml round trip. The
 * trials are "run" by a fake that derives a score from the config. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep.h"
#include "testutil.h"

/* Writes text to tmpdir/name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(text, f);
    fclose(f);
    return path;
}

static int load(const char *yaml, sweep_spec *s, cfg_t *base, err_t *err)
{
    const char *path = write_file("sweep.yaml", yaml);
    int found;
    if (cfg_load(path, base, err) || cfg_validate(base, err))
        return -1;
    if (sweep_load(path, s, &found, err))
        return -1;
    ck_assert_int_eq(found, 1);
    snprintf(s->dir, sizeof s->dir, "%s/out", tmpdir);
    return 0;
}

/* The fake trial: accuracy rises with the learning rate, so the ranking is
 * known. Counts calls. */
static int calls;
static int fake_run(const cfg_t *c, const char *tdir, sweep_result *r, void *user, err_t *err)
{
    (void)tdir; (void)user; (void)err;
    calls++;
    r->eval_accuracy = 0.5 + c->learning_rate / 10 + c->sizes[1] / 1e5;
    r->best_accuracy = r->eval_accuracy;
    r->best_epoch = c->epochs;
    r->final_loss = 1.0 / c->learning_rate;
    r->test_accuracy = r->eval_accuracy - 0.01;
    r->seconds = 1.5;
    return 0;
}

static const char *GRID =
    "train:\n  epochs: 2\n  learning_rate: 0.1\n"
    "network:\n  sizes: [784, 30, 10]\n"
    "sweep:\n  method: grid\n  params:\n"
    "    train.learning_rate: [0.1, 0.5, 2]\n"
    "    network.sizes: [[784, 30, 10], [784, 100, 10]]\n";

START_TEST(test_grid_counts_and_order)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    ck_assert_msg(load(GRID, &s, &base, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(s.n_params, 2);
    sweep_trial *t;
    int n;
    ck_assert_msg(sweep_expand(&s, &base, &t, &n, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(n, 6);
    cfg_t c;
    ck_assert(sweep_apply(&s, &t[5], &base, &c, &err) == 0);
    ck_assert(c.learning_rate == 2.0 && c.sizes[1] == 100);
    ck_assert(sweep_apply(&s, &t[0], &base, &c, &err) == 0);
    ck_assert(c.learning_rate == 0.1 && c.sizes[1] == 30);
    ck_assert_int_eq(c.epochs, 2); /* the base's other values stay */
    free(t);
}
END_TEST

START_TEST(test_random_is_seeded_and_in_range)
{
    const char *yaml =
        "sweep:\n  method: random\n  samples: 25\n  seed: 7\n  params:\n"
        "    train.learning_rate: {min: 0.001, max: 1, scale: log}\n"
        "    train.batch_size: {min: 8, max: 64, int: true}\n"
        "    network.activation: [relu, tanh]\n";
    sweep_spec s;
    cfg_t base;
    err_t err;
    ck_assert_msg(load(yaml, &s, &base, &err) == 0, "%s", err.msg);
    sweep_trial *a, *b;
    int na, nb;
    ck_assert_msg(sweep_expand(&s, &base, &a, &na, &err) == 0, "%s", err.msg);
    ck_assert(sweep_expand(&s, &base, &b, &nb, &err) == 0);
    ck_assert_int_eq(na, 25);
    ck_assert(memcmp(a, b, sizeof *a * 25) == 0); /* same seed, same trials */
    int below_01 = 0, relu = 0;
    for (int i = 0; i < na; i++) {
        cfg_t c;
        ck_assert(sweep_apply(&s, &a[i], &base, &c, &err) == 0);
        ck_assert(c.learning_rate >= 0.001 && c.learning_rate <= 1.0);
        ck_assert(c.batch_size >= 8 && c.batch_size <= 64);
        below_01 += c.learning_rate < 0.01;
        relu += c.hidden_act[0] == ACT_RELU;
    }
    /* Log-uniform: a third of the draws fall in [0.001, 0.01). */
    ck_assert_int_gt(below_01, 2);
    ck_assert(relu > 0 && relu < 25);
    free(b);
    s.seed = 8; /* another seed, other trials */
    ck_assert(sweep_expand(&s, &base, &b, &nb, &err) == 0);
    ck_assert(memcmp(a, b, sizeof *a * 25) != 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_rejects_bad_keys_and_values)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    sweep_trial *t;
    int n;
    /* Keys and values are checked as the file is read, by cfg's schema,
     * with the main config's messages, at the value's own place. */
    ck_assert_int_eq(load("sweep:\n  params:\n    train.learnin_rate: [0.1]\n", &s, &base, &err), -1);
    ck_assert_msg(strstr(err.msg, "sweep.yaml:3:5: sweep: unknown key 'train.learnin_rate' (train keys: "
                          "learning_rate, batch_size"), "%s", err.msg);
    ck_assert_int_eq(load("sweep:\n  params:\n    train.batch_size: [10, zero]\n", &s, &base, &err), -1);
    ck_assert_msg(strstr(err.msg, "sweep.yaml:3:28: sweep: train.batch_size: expected an integer from 1 "
                          "to 1000000, got \"zero\""), "%s", err.msg);
    ck_assert_int_eq(load("sweep:\n  params:\n    train.learning_rate: [0.1, -1]\n", &s, &base, &err), -1);
    ck_assert_msg(strstr(err.msg, "sweep.yaml:3:32: sweep: train.learning_rate: expected a finite number "
                          "> 0, got \"-1\""), "%s", err.msg);
    ck_assert_int_eq(load("sweep:\n  method: random\n  params:\n    train.batch_size: {min: 0, max: 8, int: true}\n",
                          &s, &base, &err), -1);
    ck_assert_msg(strstr(err.msg, "sweep.yaml:4:29: sweep: train.batch_size: expected an integer"), "%s", err.msg);
    ck_assert_int_eq(load("sweep:\n  params:\n    network.sizes: [[784, 0, 10]]\n", &s, &base, &err), -1);
    ck_assert_msg(strstr(err.msg, "sweep.yaml:3:27: sweep: network.sizes[1]: expected an integer from 1"), "%s", err.msg);
    /* The main config's reader: its nesting limit too. */
    char deep[256] = "sweep:\n  params:\n    network.sizes: ";
    for (int i = 0; i < 40; i++) strcat(deep, "[");
    ck_assert_int_eq(load(deep, &s, &base, &err), -1);
    ck_assert_msg(strstr(err.msg, "nested more than 32 levels deep"), "%s", err.msg);
    /* Cross-field checks still come when the trials are built. */
    ck_assert(load("train:\n  batch_size: 4\nsweep:\n  params:\n    train.shards: [2, 8]\n", &s, &base, &err) == 0);
    ck_assert_int_eq(sweep_expand(&s, &base, &t, &n, &err), -1);
    ck_assert_msg(strstr(err.msg, "8 shards cannot split"), "%s", err.msg);
    ck_assert_int_eq(load("sweep:\n  methd: grid\n  params:\n    train.epochs: [1]\n", &s, &base, &err), -1);
    ck_assert_msg(strstr(err.msg, "sweep.yaml:2:3") && strstr(err.msg, "unknown key"), "%s", err.msg);
    ck_assert_int_eq(load("sweep:\n  params:\n    train.learning_rate: {min: 1, max: 2}\n", &s, &base, &err), -1);
    ck_assert_msg(strstr(err.msg, "random") != NULL, "%s", err.msg);
    ck_assert_int_eq(load("sweep:\n  method: random\n  params:\n    train.learning_rate: {min: 0, max: 2, scale: log}\n", &s, &base, &err), -1);
    ck_assert_int_eq(load("sweep:\n  params: {}\n", &s, &base, &err), -1);
    /* Counts are plain decimal integers, as cfg reads them. */
    const char *bad_counts[] = {"samples: 1e1", "samples: 0", "samples: 10.0", "seed: -1",
                                "seed: +3", "parallel: 300", "parallel: two"};
    for (size_t i = 0; i < sizeof bad_counts / sizeof bad_counts[0]; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml, "sweep:\n  method: random\n  %s\n  params:\n"
                 "    train.epochs: [1]\n", bad_counts[i]);
        ck_assert_msg(load(yaml, &s, &base, &err) == -1, "%s accepted", bad_counts[i]);
        ck_assert_msg(strstr(err.msg, "sweep.yaml:3:") != NULL, "%s", err.msg);
    }
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s missing", path);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

START_TEST(test_run_tables_resume_and_best)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    ck_assert(load(GRID, &s, &base, &err) == 0);
    s.parallel = 1; /* in this process, so that calls can be counted */
    int ran;
    calls = 0;
    ck_assert_msg(sweep_run(&s, &base, fake_run, NULL, &ran, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(ran, 6);
    ck_assert_int_eq(calls, 6);
    char path[512];
    snprintf(path, sizeof path, "%s/out/results.csv", tmpdir);
    char *csv = slurp(path);
    /* Best first: learning rate 2 with the 100-unit layer (trial 6). */
    ck_assert_msg(strstr(csv, "\n1,6,\"2\",\"[784, 100, 10]\",0.701000") != NULL, "%s", csv);
    ck_assert(strstr(csv, "\n6,1,\"0.1\"") != NULL);
    snprintf(path, sizeof path, "%s/out/results.md", tmpdir);
    ck_assert(strstr(slurp(path), "| 1 | 6 | 2 | [784, 100, 10] | 70.10% |") != NULL);
    snprintf(path, sizeof path, "%s/out/trial-003/config.yaml", tmpdir);
    ck_assert(strstr(slurp(path), "learning_rate: 0.5") != NULL);

    /* Resume: finished trials are skipped; a removed result runs again. */
    snprintf(path, sizeof path, "%s/out/trial-004/result.csv", tmpdir);
    ck_assert_int_eq(unlink(path), 0);
    calls = 0;
    ck_assert(sweep_run(&s, &base, fake_run, NULL, &ran, &err) == 0);
    ck_assert_int_eq(ran, 1);
    ck_assert_int_eq(calls, 1);

    /* best.yaml is the best trial's whole config. */
    snprintf(path, sizeof path, "%s/out/best.yaml", tmpdir);
    cfg_t best;
    ck_assert_msg(cfg_load(path, &best, &err) == 0 && cfg_validate(&best, &err) == 0, "%s", err.msg);
    ck_assert(best.learning_rate == 2.0 && best.sizes[1] == 100 && best.epochs == 2);
    ck_assert(strstr(best.model_path, "trial-006/model") != NULL);
}
END_TEST

/* Trials in 3 child processes at a time give the very same tables. */
START_TEST(test_parallel_matches_sequential)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    int ran;
    char a[8192], b[8192], path[512];
    ck_assert(load(GRID, &s, &base, &err) == 0);
    s.parallel = 1;
    ck_assert(sweep_run(&s, &base, fake_run, NULL, &ran, &err) == 0);
    snprintf(path, sizeof path, "%s/out/results.csv", tmpdir);
    snprintf(a, sizeof a, "%s", slurp(path));
    snprintf(s.dir, sizeof s.dir, "%s/par", tmpdir);
    s.parallel = 3;
    ck_assert_msg(sweep_run(&s, &base, fake_run, NULL, &ran, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(ran, 6);
    snprintf(path, sizeof path, "%s/par/results.csv", tmpdir);
    snprintf(b, sizeof b, "%s", slurp(path));
    ck_assert_str_eq(a, b);
}
END_TEST

/* Shared by 3 processes (as the ranks of an MPI job share it): each runs
 * trials i with i % 3 == rank, none twice; the tables, written once all
 * are done, are the one-process sweep's. Until then a table would lack
 * trials, and says which. */
START_TEST(test_shares_match_one_process)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    int ran, total = 0;
    char a[8192], path[512];
    ck_assert(load(GRID, &s, &base, &err) == 0);
    s.parallel = 1;
    ck_assert(sweep_run(&s, &base, fake_run, NULL, &ran, &err) == 0);
    snprintf(path, sizeof path, "%s/out/results.csv", tmpdir);
    snprintf(a, sizeof a, "%s", slurp(path));
    snprintf(s.dir, sizeof s.dir, "%s/shared", tmpdir);
    s.parallel = 4; /* not used by a share of several */
    calls = 0;
    for (int rank = 0; rank < 3; rank++) {
        ck_assert_msg(sweep_run_share(&s, &base, rank, 3, fake_run, NULL, &ran, &err) == 0,
                      "%s", err.msg);
        ck_assert_int_eq(ran, 2);
        ck_assert_int_eq(calls, 2 * (rank + 1)); /* in this process */
        total += ran;
        snprintf(path, sizeof path, "%s/shared/trial-%03d/result.csv", tmpdir, rank + 4);
        ck_assert_int_eq(access(path, F_OK), 0);
        if (rank == 1) {
            ck_assert_int_eq(sweep_write_results(&s, &base, &err), -1);
            ck_assert_msg(strstr(err.msg, "trial-003/result.csv: no result") != NULL, "%s", err.msg);
        }
    }
    ck_assert_int_eq(total, 6);
    ck_assert_msg(sweep_write_results(&s, &base, &err) == 0, "%s", err.msg);
    snprintf(path, sizeof path, "%s/shared/results.csv", tmpdir);
    ck_assert_str_eq(a, slurp(path));
    /* Run again: every share is done. */
    ck_assert(sweep_run_share(&s, &base, 1, 3, fake_run, NULL, &ran, &err) == 0);
    ck_assert_int_eq(ran, 0);
}
END_TEST

static int failing_run(const cfg_t *c, const char *tdir, sweep_result *r, void *user, err_t *err)
{
    if (c->learning_rate == 0.5)
        return err_set(err, ERR_RUNTIME, "trial broke");
    return fake_run(c, tdir, r, user, err);
}

/* A failed trial stops the sweep with an error, in a process or not; the
 * trials that finished keep their results. */
START_TEST(test_failed_trial)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    int ran;
    ck_assert(load(GRID, &s, &base, &err) == 0);
    for (int p = 1; p <= 2; p++) {
        s.parallel = p;
        snprintf(s.dir, sizeof s.dir, "%s/fail%d", tmpdir, p);
        ck_assert_int_eq(sweep_run(&s, &base, failing_run, NULL, &ran, &err), -1);
        ck_assert_msg(strstr(err.msg, p == 1 ? "trial broke" : "a trial failed") != NULL, "%s", err.msg);
        char path[512];
        snprintf(path, sizeof path, "%s/fail%d/trial-001/result.csv", tmpdir, p);
        ck_assert_int_eq(access(path, F_OK), 0);
    }
}
END_TEST

START_TEST(test_no_sweep_section)
{
    const char *path = write_file("plain.yaml", "train:\n  epochs: 1\n");
    sweep_spec s;
    err_t err;
    int found = 1;
    ck_assert(sweep_load(path, &s, &found, &err) == 0);
    ck_assert_int_eq(found, 0);
}
END_TEST

/* ---- successive halving and Hyperband ------------------------------------ */

static const char *HALVING =
    "data:\n  validation: 100\n"
    "train:\n  epochs: 9\n  learning_rate: 0.1\n"
    "network:\n  sizes: [784, 30, 10]\n"
    "sweep:\n  method: halving\n  min_epochs: 1\n  params:\n"
    "    train.learning_rate: [0.1, 0.2, 0.3, 0.4, 0.5]\n"
    "    network.sizes: [[784, 30, 10], [784, 100, 10]]\n";

START_TEST(test_halving_plan)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    sweep_plan p;
    ck_assert_msg(load(HALVING, &s, &base, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(s.schedule, SWEEP_HALVING);
    ck_assert_int_eq(s.eta, 3); /* the default */
    ck_assert_int_eq(s.random, 0); /* no samples: the grid */
    ck_assert_int_eq(sweep_trial_count(&s), 10);
    ck_assert_msg(sweep_make_plan(&s, &base, 10, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.n_brackets, 1);
    ck_assert_int_eq(p.b[0].n_rungs, 3);
    int e[] = {1, 3, 9}, k[] = {10, 3, 1};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(p.b[0].epochs[i], e[i]);
        ck_assert_int_eq(p.b[0].keep[i], k[i]);
    }
    sweep_plan_free(&p);
    /* configs/sweep-mnist.yaml's shape: 24 trials of 5 epochs, rungs 1, 3, 5. */
    base.epochs = 5;
    ck_assert(sweep_make_plan(&s, &base, 24, &p, &err) == 0);
    ck_assert_int_eq(p.b[0].n_rungs, 3);
    ck_assert_int_eq(p.b[0].epochs[2], 5);
    ck_assert_int_eq(p.b[0].keep[1], 8);
    ck_assert_int_eq(p.b[0].keep[2], 2);
    sweep_plan_free(&p);
}
END_TEST

/* The paper's example (Li et al. 2018, table 1): R = 81, eta = 3. */
START_TEST(test_hyperband_plan)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    sweep_plan p;
    ck_assert(load(HALVING, &s, &base, &err) == 0);
    s.schedule = SWEEP_HYPERBAND;
    base.epochs = 81;
    int n_s[] = {81, 34, 15, 8, 5}, total = 143;
    ck_assert_msg(sweep_make_plan(&s, &base, total, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.n_brackets, 5);
    int count[5] = {0};
    for (int i = 0; i < total; i++)
        count[p.of_trial[i]]++;
    for (int b = 0; b < 5; b++) {
        int sb = 4 - b;
        ck_assert_int_eq(p.b[b].n_rungs, sb + 1);
        ck_assert_int_eq(p.b[b].keep[0], n_s[b]);
        ck_assert_int_eq(count[b], n_s[b]);
        ck_assert_int_eq(p.b[b].epochs[sb], 81);
        int r = 81;
        for (int q = 0; q < sb; q++)
            r /= 3;
        ck_assert_int_eq(p.b[b].epochs[0], r); /* 1, 3, 9, 27, 81 */
    }
    ck_assert_int_eq(p.b[0].keep[1], 27);
    ck_assert_int_eq(p.b[0].keep[4], 1);
    ck_assert_int_eq(p.b[1].keep[1], 11);
    /* Interleaved: the first trials go to different brackets. */
    ck_assert(p.of_trial[0] != p.of_trial[1] || p.of_trial[1] != p.of_trial[2]);
    sweep_plan_free(&p);
    /* Fewer trials than brackets. */
    ck_assert_int_eq(sweep_make_plan(&s, &base, 4, &p, &err), -1);
    ck_assert_msg(strstr(err.msg, "4 trials for 5 brackets") != NULL, "%s", err.msg);
    sweep_plan_free(&p);
}
END_TEST

/* The epochs a plan spends when no trial stops early: keep[k] trials train
 * rung k's epochs beyond rung k - 1's, in every bracket. */
static long plan_epochs(const sweep_plan *p)
{
    long spent = 0;
    for (int b = 0; b < p->n_brackets; b++)
        for (int k = 0; k < p->b[b].n_rungs; k++)
            spent += (long)p->b[b].keep[k] * (p->b[b].epochs[k] - (k ? p->b[b].epochs[k - 1] : 0));
    return spent;
}

/* bench/halving.sh's preset (BENCH_PRESET=third): train.epochs 16,
 * min_epochs 1, eta 4, on the grid's 24 trials and the random sweep's 27.
 * Hyperband spends under a third of the full sweep's epochs (brackets
 * s = 2, 1, 0 from 1, 4 and 16 epochs), halving about a seventh. */
START_TEST(test_plan_budget_third)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    sweep_plan p;
    ck_assert(load(HALVING, &s, &base, &err) == 0);
    base.epochs = 16;
    s.min_epochs = 1;
    s.eta = 4;
    static const struct {
        int schedule, n;
        long spent;
    } cases[] = {
        {SWEEP_HALVING, 24, 54},    /* 24 x 1 + 6 x 3 + 1 x 12 of 384: 14.1% */
        {SWEEP_HALVING, 27, 57},    /* 27 x 1 + 6 x 3 + 1 x 12 of 432: 13.2% */
        {SWEEP_HYPERBAND, 24, 120}, /* brackets of 15, 6, 3 trials: 36 + 36 + 48 of 384: 31.2% */
        {SWEEP_HYPERBAND, 27, 129}, /* brackets of 17, 7, 3 trials: 41 + 40 + 48 of 432: 29.9% */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        s.schedule = cases[c].schedule;
        ck_assert_msg(sweep_make_plan(&s, &base, cases[c].n, &p, &err) == 0, "%s", err.msg);
        long spent = plan_epochs(&p), full = (long)cases[c].n * base.epochs;
        ck_assert_msg(spent == cases[c].spent, "case %zu: %ld epochs, expected %ld", c, spent,
                      cases[c].spent);
        ck_assert(3 * spent < full);
        sweep_plan_free(&p);
    }
    /* At today's budget (5 epochs, eta 3) the grid's hyperband spends 80 of 120. */
    base.epochs = 5;
    s.eta = 3;
    s.schedule = SWEEP_HYPERBAND;
    ck_assert(sweep_make_plan(&s, &base, 24, &p, &err) == 0);
    ck_assert_int_eq(plan_epochs(&p), 80);
    sweep_plan_free(&p);
}
END_TEST

/* Each bad input names its place, before any trial runs. */
START_TEST(test_rung_bad_input)
{
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"data:\n  validation: 10\ntrain:\n  epochs: 9\nsweep:\n  method: halving\n  eta: 1\n"
         "  params:\n    train.learning_rate: [0.1, 0.2]\n", "sweep.yaml:7:8: sweep: eta: expected an integer of at least 2"},
        {"data:\n  validation: 10\ntrain:\n  epochs: 9\nsweep:\n  method: halving\n  min_epochs: 0\n"
         "  params:\n    train.learning_rate: [0.1, 0.2]\n", "sweep.yaml:7:15: sweep: min_epochs: expected"},
        {"data:\n  validation: 10\ntrain:\n  epochs: 9\nsweep:\n  method: halving\n  min_epochs: 10\n"
         "  params:\n    train.learning_rate: [0.1, 0.2]\n", "sweep.yaml:7:15: sweep: min_epochs 10 is more than train.epochs (9)"},
        {"data:\n  validation: 10\ntrain:\n  epochs: 9\nsweep:\n  method: halving\n"
         "  params:\n    train.learning_rate: [0.1]\n", "sweep.yaml:6:11: sweep: halving needs at least 2 trials"},
        {"train:\n  epochs: 9\nsweep:\n  method: hyperband\n"
         "  params:\n    train.learning_rate: [0.1, 0.2, 0.3]\n", "sweep.yaml:4:11: sweep: halving and hyperband rank trials by train.monitor (accuracy) on a validation split"},
        {"data:\n  validation: 10\ntrain:\n  epochs: 9\nsweep:\n  method: grid\n  eta: 2\n"
         "  params:\n    train.learning_rate: [0.1, 0.2]\n", "sweep.yaml:7:8: sweep: eta is for method: halving or hyperband"},
        {"data:\n  validation: 10\ntrain:\n  epochs: 9\nsweep:\n  method: halving\n"
         "  params:\n    train.epochs: [3, 9]\n", "sweep.yaml:6:11: sweep: train.epochs is the budget"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sweep_spec s;
        cfg_t base;
        err_t err;
        err_clear(&err);
        int rc = load(cases[c].yaml, &s, &base, &err);
        sweep_trial *t = NULL;
        sweep_plan p;
        memset(&p, 0, sizeof p);
        int n = 0;
        if (rc == 0)
            rc = sweep_expand(&s, &base, &t, &n, &err);
        if (rc == 0)
            rc = sweep_make_plan(&s, &base, n, &p, &err);
        ck_assert_msg(rc == -1, "case %zu accepted", c);
        ck_assert_msg(strstr(err.msg, cases[c].want) != NULL, "case %zu: %s", c, err.msg);
        free(t);
        sweep_plan_free(&p);
    }
}
END_TEST

/* The fake segment: metrics.csv rows 1..target, accuracy rising with the
 * learning rate and the epoch, except that the 0.5 trials start slow (late
 * bloomers, that halving drops at rung 1 although they would win). */
static int segments;
static int fake_segment(const cfg_t *c, const char *tdir, const sweep_segment *g,
                        sweep_result *r, void *user, err_t *err)
{
    (void)user;
    segments++;
    int target = g->pause_after > 0 ? g->pause_after : c->epochs;
    char path[1200];
    snprintf(path, sizeof path, "%s/metrics.csv", tdir);
    FILE *f = fopen(path, "w");
    if (!f)
        return err_set(err, ERR_RUNTIME, "%s", path);
    fprintf(f, "epoch,train_loss,eval_loss,eval_accuracy,seconds,examples_per_s,learning_rate,augment_seconds\n");
    for (int e = 1; e <= target; e++) {
        double a = c->learning_rate == 0.5 && e < 3 ? 0.1 : 0.5 + c->learning_rate / 2 + e / 100.0 + c->sizes[1] / 1e4;
        fprintf(f, "%d,%.6f,%.6f,%.6f,0.1,100,0.1,0\n", e, 1 - a, 1 - a, a);
    }
    fclose(f);
    memset(r, 0, sizeof *r);
    r->paused = g->pause_after > 0;
    r->test_accuracy = r->paused ? -1 : 0.9;
    return 0;
}

START_TEST(test_halving_runs_deterministic)
{
    sweep_spec s;
    cfg_t base;
    err_t err;
    int ran;
    char a[8192], path[512];
    ck_assert(load(HALVING, &s, &base, &err) == 0);
    for (int p = 1; p <= 2; p++) {
        s.parallel = p;
        snprintf(s.dir, sizeof s.dir, "%s/halving%d", tmpdir, p);
        segments = 0;
        ck_assert_msg(sweep_run_rungs(&s, &base, 0, 1, fake_segment, NULL, NULL, &ran, &err) == 0,
                      "%s", err.msg);
        ck_assert_int_eq(ran, 10 + 3 + 1);
        if (p == 1)
            ck_assert_int_eq(segments, 14);
        ck_assert_msg(sweep_write_results(&s, &base, &err) == 0, "%s", err.msg);
        snprintf(path, sizeof path, "%s/halving%d/results.csv", tmpdir, p);
        /* minus the seconds column */
        char text[8192], *w = text;
        const char *src = slurp(path);
        for (const char *line = src; *line;) {
            const char *nl = strchr(line, '\n'), *cut = nl;
            while (cut > line && cut[-1] != ',')
                cut--;
            w += snprintf(w, sizeof text - (size_t)(w - text), "%.*s\n", (int)(cut - line), line);
            line = nl + 1;
        }
        if (p == 1)
            snprintf(a, sizeof a, "%s", text);
        else
            ck_assert_str_eq(a, text);
    }
    /* Trials 8, 7 (0.4) and 6 (0.3, 100 wide) reach rung 2, 8 wins; the
     * slow starters 9 and 10 (0.5) are halved at rung 1, ranked last. */
    ck_assert_msg(strstr(a, "\n1,8,\"0.4\",\"[784, 100, 10]\",") != NULL, "%s", a);
    ck_assert_msg(strstr(a, ",3,9,completed,\n2,7,") != NULL, "%s", a);
    ck_assert_msg(strstr(a, "\n3,6,") != NULL, "%s", a);
    ck_assert_msg(strstr(a, ",2,3,halved,") != NULL, "%s", a);
    ck_assert_msg(strstr(a, "\n10,10,\"0.5\",\"[784, 100, 10]\",0.100000") != NULL, "%s", a);
    long spent, full;
    int stopped[10];
    ck_assert(sweep_rung_summary(&s, &base, &spent, &full, stopped, &err) == 0);
    ck_assert_int_eq(spent, 7 * 1 + 2 * 3 + 1 * 9); /* 7 stopped at 1 epoch, 2 at 3, 1 at 9 */
    ck_assert_int_eq(full, 90);
    ck_assert_int_eq(stopped[7], 0);
    ck_assert_int_eq(stopped[9], 1);
    /* Run again: nothing left to do. */
    ck_assert(sweep_run_rungs(&s, &base, 0, 1, fake_segment, NULL, NULL, &ran, &err) == 0);
    ck_assert_int_eq(ran, 0);
    /* A rung lost (a kill before it was recorded) is run again, alone. */
    snprintf(path, sizeof path, "%s/halving2/trial-008/rung-3.csv", tmpdir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert(sweep_run_rungs(&s, &base, 0, 1, fake_segment, NULL, NULL, &ran, &err) == 0);
    ck_assert_int_eq(ran, 1);
}
END_TEST

TU_MAIN_TMPDIR("sweep", test_grid_counts_and_order, test_random_is_seeded_and_in_range, test_rejects_bad_keys_and_values,
        test_run_tables_resume_and_best, test_parallel_matches_sequential, test_shares_match_one_process,
        test_failed_trial,
        test_no_sweep_section, test_halving_plan, test_hyperband_plan, test_plan_budget_third, test_rung_bad_input,
        test_halving_runs_deterministic)
