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

TU_MAIN_TMPDIR("sweep", test_grid_counts_and_order, test_random_is_seeded_and_in_range, test_rejects_bad_keys_and_values,
        test_run_tables_resume_and_best, test_parallel_matches_sequential, test_shares_match_one_process,
        test_failed_trial,
        test_no_sweep_section)
