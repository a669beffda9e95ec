/* Tests for ckpt: exact round trips, every damaged file refused (each byte
 * flipped, each truncation), a different config named, atomic saving (the
 * old checkpoint survives a failed save), --resume DIR, and train_run's
 * resume being bitwise exact, at an epoch boundary and mid-epoch, in both
 * gradient modes and across thread counts. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "ckpt.h"
#include "le.h"
#include "model.h"
#include "rng.h"
#include "testutil.h"

static const char CONFIG[] = "network.sizes=[3,5,2]\ntrain.learning_rate=0.5\ntrain.batch_size=4\n";

static char pathbuf[512];

static const char *tpath(const char *name)
{
    snprintf(pathbuf, sizeof pathbuf, "%s/%s", tmpdir, name);
    return pathbuf;
}

/* A small network with random weights and a mid-epoch state. */
static void make_fixture(net_t *net, train_state *st, int *perm, int n)
{
    int sizes[] = {3, 5, 2};
    net_act act[] = {ACT_TANH, ACT_SOFTMAX};
    ck_assert_int_eq(net_create(net, 2, sizes, act, COST_CROSS_ENTROPY, NULL), 0);
    rng_t r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = (float)rng_normal(&r);
    net->params[0] = -0.0f; /* bits, not values, must survive */
    for (int i = 0; i < n; i++)
        perm[i] = i;
    rng_shuffle(&r, perm, n);
    train_state s = {.epoch = 3, .step = 2, .n_batches = 4, .epochs = 9, .rng = r.state,
                     .n_train = n, .perm = perm, .loss_sum = 1.0 / 3.0};
    *st = s;
}

static long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static unsigned char *read_all(const char *p, long *n)
{
    *n = file_size(p);
    ck_assert_int_gt(*n, 0);
    unsigned char *b = malloc((size_t)*n);
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fread(b, 1, (size_t)*n, f), *n);
    fclose(f);
    return b;
}

static void write_all(const char *p, const unsigned char *b, long n)
{
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(b, 1, (size_t)n, f), n);
    fclose(f);
}

/* Saves the fixture to name; returns the net for comparisons. */
static void save_fixture(const char *name, net_t *net, train_state *st, int *perm)
{
    make_fixture(net, st, perm, 13);
    err_t err;
    ck_assert_msg(ckpt_save(tpath(name), CONFIG, st, net, &err) == 0,
                  "%s", err.msg);
}

START_TEST(round_trip_exact)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    save_fixture("a.ckpt", &net, &st, perm);
    ckpt_t ck;
    err_t err;
    ck_assert_msg(ckpt_load(tpath("a.ckpt"), CONFIG, &ck, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(ck.config, CONFIG);
    ck_assert(ck.config_hash == ckpt_hash(CONFIG));
    ck_assert_int_eq(ck.st.epoch, 3);
    ck_assert_int_eq(ck.st.step, 2);
    ck_assert_int_eq(ck.st.n_batches, 4);
    ck_assert(ck.st.rng == st.rng);
    ck_assert_int_eq(ck.st.n_train, 13);
    ck_assert_mem_eq(ck.st.perm, perm, sizeof perm);
    ck_assert_mem_eq(&ck.st.loss_sum, &st.loss_sum, sizeof(double));
    ck_assert_int_eq(ck.st.opt.kind, CKPT_OPTIM_SGD);
    ck_assert_int_eq(ck.net.n_params, net.n_params);
    ck_assert_mem_eq(ck.net.params, net.params, net.n_params * sizeof(float));
    ck_assert_int_eq(ck.net.act[1], ACT_SOFTMAX);
    /* No config given: loads anything well-formed. */
    ckpt_free(&ck);
    ck_assert_int_eq(ckpt_load(tpath("a.ckpt"), NULL, &ck, &err), 0);
    ckpt_free(&ck);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

START_TEST(round_trip_optimizer_state)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    make_fixture(&net, &st, perm, 13);
    err_t err;
    ck_assert(optim_state_create(&st.opt, OPTIM_ADAMW, net.n_params, &err) == 0);
    ck_assert_int_eq(st.opt.n_state, 2 * net.n_params);
    for (uint64_t i = 0; i < st.opt.n_state; i++)
        st.opt.state[i] = (float)i * 0.37f - 3.0f;
    st.opt.state[1] = -0.0f;
    st.opt.t = 7;
    st.opt.beta1_pow = 0.4782969;
    st.opt.beta2_pow = 0.993020965034979;
    ck_assert_msg(ckpt_save(tpath("o.ckpt"), CONFIG, &st, &net, &err) == 0, "%s", err.msg);
    ckpt_t ck;
    ck_assert_msg(ckpt_load(tpath("o.ckpt"), CONFIG, &ck, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(ck.st.opt.kind, OPTIM_ADAMW);
    ck_assert(ck.st.opt.t == 7);
    ck_assert_mem_eq(&ck.st.opt.beta1_pow, &st.opt.beta1_pow, sizeof(double));
    ck_assert_mem_eq(&ck.st.opt.beta2_pow, &st.opt.beta2_pow, sizeof(double));
    ck_assert_int_eq(ck.st.opt.n_state, st.opt.n_state);
    ck_assert_mem_eq(ck.st.opt.state, st.opt.state, (size_t)st.opt.n_state * sizeof(float));
    ckpt_free(&ck);
    /* A state that does not fit the network is refused. */
    st.opt.n_state -= 2;
    ck_assert(ckpt_save(tpath("bad.ckpt"), CONFIG, &st, &net, &err) == 0);
    ck_assert_int_eq(ckpt_load(tpath("bad.ckpt"), CONFIG, &ck, &err), -1);
    ck_assert_msg(strstr(err.msg, "optimizer state values") && strstr(err.msg, "corrupt"), "%s", err.msg);
    st.opt.n_state += 2;
    optim_state_free(&st.opt);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

/* Every copy of file with one byte's bits flipped by mask is refused
 * (ERR_INPUT, naming the file, nothing left allocated). */
static void assert_every_flip_refused(const char *file, unsigned char mask)
{
    long n;
    unsigned char *good = read_all(tpath(file), &n);
    for (long i = 0; i < n; i++) {
        good[i] ^= mask;
        write_all(tpath("bad.ckpt"), good, n);
        good[i] ^= mask;
        ckpt_t ck;
        err_t err;
        err_clear(&err);
        ck_assert_msg(ckpt_load(tpath("bad.ckpt"), CONFIG, &ck, &err) == -1,
                      "byte %ld flipped was accepted", i);
        ck_assert_int_eq(err.code, ERR_INPUT);
        ck_assert_ptr_nonnull(strstr(err.msg, "bad.ckpt"));
        ck_assert_ptr_null(ck.st.perm); /* nothing left allocated */
    }
    free(good);
}

/* Every copy of file cut short is refused (ERR_INPUT): cut to each length
 * below its size, or (last > 0) to each of the last `last` of them. */
static void assert_every_truncation_refused(const char *file, long last)
{
    long n;
    unsigned char *good = read_all(tpath(file), &n);
    for (long len = last > 0 && last < n ? n - last : 0; len < n; len++) {
        write_all(tpath("short.ckpt"), good, len);
        ckpt_t ck;
        err_t err;
        ck_assert_msg(ckpt_load(tpath("short.ckpt"), CONFIG, &ck, &err) == -1,
                      "truncated to %ld bytes was accepted", len);
        ck_assert_int_eq(err.code, ERR_INPUT);
    }
    free(good);
}

START_TEST(every_flipped_byte_is_refused)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    save_fixture("a.ckpt", &net, &st, perm);
    assert_every_flip_refused("a.ckpt", 0x10);
    long n;
    unsigned char *good = read_all(tpath("a.ckpt"), &n);
    /* A flipped weight (the last ones, before the two crcs) says "corrupt". */
    good[n - 12] ^= 1;
    write_all(tpath("bad.ckpt"), good, n);
    ckpt_t ck;
    err_t err;
    ck_assert_int_eq(ckpt_load(tpath("bad.ckpt"), CONFIG, &ck, &err), -1);
    ck_assert_msg(strstr(err.msg, "corrupt") != NULL, "%s", err.msg);
    free(good);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

START_TEST(every_truncation_is_refused)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    save_fixture("a.ckpt", &net, &st, perm);
    assert_every_truncation_refused("a.ckpt", 0);
    long n;
    unsigned char *good = read_all(tpath("a.ckpt"), &n);
    write_all(tpath("short.ckpt"), good, n - 10);
    ckpt_t ck;
    err_t err;
    ck_assert_int_eq(ckpt_load(tpath("short.ckpt"), CONFIG, &ck, &err), -1);
    ck_assert_msg(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
    /* Appended bytes too. */
    unsigned char *longer = calloc((size_t)n + 3, 1);
    memcpy(longer, good, (size_t)n);
    write_all(tpath("long.ckpt"), longer, n + 3);
    ck_assert_int_eq(ckpt_load(tpath("long.ckpt"), CONFIG, &ck, &err), -1);
    free(longer);
    free(good);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

START_TEST(other_config_is_named)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    save_fixture("a.ckpt", &net, &st, perm);
    const char *other = "network.sizes=[3,5,2]\ntrain.learning_rate=0.1\ntrain.batch_size=4\n"
                        "train.seed=9\n";
    ckpt_t ck;
    err_t err;
    ck_assert_int_eq(ckpt_load(tpath("a.ckpt"), other, &ck, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "different config") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "train.learning_rate is 0.5 in the checkpoint, 0.1 here"), "%s",
                  err.msg);
    ck_assert_msg(strstr(err.msg, "train.seed is unset in the checkpoint, 9 here"), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "batch_size") == NULL, "%s", err.msg);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

START_TEST(foreign_files_are_refused)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    make_fixture(&net, &st, perm, 13);
    ck_assert_int_eq(model_save(tpath("m.model"), &net, NULL), 0);
    ckpt_t ck;
    err_t err;
    ck_assert_int_eq(ckpt_load(tpath("m.model"), CONFIG, &ck, &err), -1);
    ck_assert_msg(strstr(err.msg, "model file, not a checkpoint"), "%s", err.msg);
    write_all(tpath("t.ckpt"), (const unsigned char *)"hello\n", 6);
    ck_assert_int_eq(ckpt_load(tpath("t.ckpt"), CONFIG, &ck, &err), -1);
    ck_assert_msg(strstr(err.msg, "not an nntrain checkpoint"), "%s", err.msg);
    ck_assert_int_eq(ckpt_load(tpath("none.ckpt"), CONFIG, &ck, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_int_eq(ckpt_load(tmpdir, CONFIG, &ck, &err), -1);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

/* A save that dies half-way (the file size limit stops it mid-write)
 * leaves the previous checkpoint byte for byte, and no temporary file. */
START_TEST(failed_save_keeps_the_old_checkpoint)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    save_fixture("a.ckpt", &net, &st, perm);
    long n;
    unsigned char *before = read_all(tpath("a.ckpt"), &n);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN); /* get EFBIG instead of dying */
        struct rlimit rl = {(rlim_t)(n / 2), (rlim_t)(n / 2)};
        setrlimit(RLIMIT_FSIZE, &rl);
        st.epoch = 4; /* different contents */
        err_t err;
        int rc = ckpt_save(tpath("a.ckpt"), CONFIG, &st, &net, &err);
        _exit(rc == -1 && strstr(err.msg, "cannot save checkpoint") ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    long n2;
    unsigned char *after = read_all(tpath("a.ckpt"), &n2);
    ck_assert_int_eq(n2, n);
    ck_assert_mem_eq(after, before, (size_t)n);
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while ((e = readdir(d)))
        ck_assert_msg(strstr(e->d_name, ".tmp") == NULL, "left behind: %s", e->d_name);
    closedir(d);
    free(before);
    free(after);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

START_TEST(resume_dir_picks_the_latest)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    make_fixture(&net, &st, perm, 13);
    struct { const char *name; int epoch, step; } files[] = {
        {"b.ckpt", 5, 1}, {"a.ckpt", 2, 4}, {"c.ckpt", 5, 3}, {"d.ckpt", 4, 4}};
    for (int i = 0; i < 4; i++) {
        st.epoch = files[i].epoch;
        st.step = files[i].step;
        ck_assert_int_eq(ckpt_save(tpath(files[i].name), CONFIG, &st, &net, NULL), 0);
    }
    write_all(tpath("z.ckpt.tmp.123"), (const unsigned char *)"NNTRCKPT", 8); /* a leftover */
    char out[600];
    err_t err;
    ck_assert_msg(ckpt_resolve(tmpdir, out, sizeof out, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(out, tpath("c.ckpt"));
    ck_assert_int_eq(ckpt_resolve(tpath("a.ckpt"), out, sizeof out, &err), 0);
    ck_assert_str_eq(out, tpath("a.ckpt"));
    ck_assert_int_eq(ckpt_resolve(tpath("nope"), out, sizeof out, &err), -1);
    for (int i = 0; i < 4; i++)
        unlink(tpath(files[i].name));
    ck_assert_int_eq(ckpt_resolve(tmpdir, out, sizeof out, &err), -1);
    ck_assert_msg(strstr(err.msg, "no checkpoint"), "%s", err.msg);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

START_TEST(config_text_covers_the_trajectory)
{
    cfg_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    ck_assert_int_eq(cfg_defaults(a, NULL), 0);
    uint8_t img[2 * 784] = {0}, lab[2] = {1, 7};
    dataset d = {.n = 2, .n_in = 28 * 28, .rows = 28, .cols = 28, .images = img, .labels = lab};
    char ta[CKPT_CONFIG_MAX], tb[CKPT_CONFIG_MAX];
    ck_assert_int_eq(ckpt_config_text(a, &d, ta, sizeof ta), 0);
    /* Not part of the trajectory: may change on resume. */
    *b = *a;
    b->epochs = 99;
    b->threads = 7;
    b->checkpoint_every = 3;
    ck_assert_int_eq(ckpt_config_text(b, &d, tb, sizeof tb), 0);
    ck_assert_str_eq(ta, tb);
    /* Part of it. */
    const char *keys[] = {"learning_rate", "batch_size", "seed", "sizes", "data", "reduce",
                          "activation", "output", "cost", "init", "validation", "train_limit"};
    for (int i = 0; i < 12; i++) {
        *b = *a;
        uint8_t lab2[2] = {1, 8};
        dataset d2 = d;
        switch (i) {
        case 0: b->learning_rate = 0.25; break;
        case 1: b->batch_size = 3; break;
        case 2: b->seed = 2; break;
        case 3: b->sizes[1] = 31; break;
        case 4: d2.labels = lab2; break;
        case 5: b->shard_buffers = 1; break;
        case 6: b->act[0] = ACT_RELU; break;
        case 7: b->act[1] = ACT_SOFTMAX, b->output_act = ACT_SOFTMAX; break;
        case 8: b->cost = COST_CROSS_ENTROPY; break;
        case 9: b->init = INIT_HE; break;
        case 10: b->validation = 1; break;
        case 11: b->train_limit = 1; break;
        }
        ck_assert_int_eq(ckpt_config_text(b, &d2, tb, sizeof tb), 0);
        ck_assert_msg(strcmp(ta, tb) != 0, "%s does not change the config text", keys[i]);
    }
    /* Shards and determinism count only in shards mode; threads only
     * without determinism (cfg's schema says so, row by row). */
    ck_assert_ptr_null(strstr(ta, "train.shards="));
    ck_assert_ptr_null(strstr(ta, "train.deterministic="));
    *b = *a;
    b->shard_buffers = 1;
    ck_assert_int_eq(ckpt_config_text(b, &d, tb, sizeof tb), 0);
    ck_assert_msg(strstr(tb, "train.shards=0\n") && strstr(tb, "train.deterministic=true\n"), "%s", tb);
    ck_assert_ptr_null(strstr(tb, "train.threads="));
    b->deterministic = 0;
    b->threads = 3;
    ck_assert_int_eq(ckpt_config_text(b, &d, tb, sizeof tb), 0);
    ck_assert_msg(strstr(tb, "train.threads=3\n") != NULL, "%s", tb);
    ck_assert_msg(strstr(ta, "network.sizes=[784,30,10]\n") && strstr(ta, "train.learning_rate=3\n"),
                  "%s", ta);
    /* Each optimizer's own keys count only with it. */
    ck_assert_msg(strstr(ta, "train.optimizer=sgd\n") && strstr(ta, "train.momentum=0\n") &&
                  strstr(ta, "train.weight_decay=0\n") && !strstr(ta, "train.beta1=") &&
                  !strstr(ta, "train.nesterov="), "%s", ta);
    *b = *a;
    b->optimizer = OPTIM_NAME_ADAM;
    ck_assert_int_eq(ckpt_config_text(b, &d, tb, sizeof tb), 0);
    ck_assert_msg(strstr(tb, "train.optimizer=adam\n") && strstr(tb, "train.beta1=0.9\n") &&
                  strstr(tb, "train.beta2=0.999\n") && strstr(tb, "train.epsilon=1e-08\n") &&
                  !strstr(tb, "train.momentum="), "%s", tb);
    *b = *a;
    b->momentum = 0.5;
    ck_assert_int_eq(ckpt_config_text(b, &d, tb, sizeof tb), 0);
    ck_assert_msg(strstr(tb, "train.momentum=0.5\n") && strstr(tb, "train.nesterov=false\n"), "%s", tb);
    b->weight_decay = 0.25;
    ck_assert_int_eq(ckpt_config_text(b, &d, tb, sizeof tb), 0);
    ck_assert_msg(strstr(tb, "train.weight_decay=0.25\n"), "%s", tb);
    ck_assert_int_eq(ckpt_config_text(a, &d, ta, 20), -1); /* too small */
    free(a);
    free(b);
}
END_TEST

/* ---- train_run resumes exactly --------------------------------------------- */

#define N_EX 60

static void toy_data(dataset *d, uint8_t *img, uint8_t *lab)
{
    rng_t r;
    rng_seed(&r, 5);
    for (int i = 0; i < N_EX; i++) {
        lab[i] = (uint8_t)(i % 3);
        for (int p = 0; p < 9; p++)
            img[i * 9 + p] = (uint8_t)((p / 3 == lab[i] ? 180 : 20) + rng_below(&r, 60));
    }
    dataset s = {.n = N_EX, .n_in = 3 * 3, .rows = 3, .cols = 3, .images = img, .labels = lab};
    *d = s;
}

static void toy_net(net_t *net)
{
    int sizes[] = {9, 40, 3};
    net_act act[] = {ACT_SIGMOID, ACT_SOFTMAX};
    ck_assert_int_eq(net_create(net, 2, sizes, act, COST_CROSS_ENTROPY, NULL), 0);
    rng_t r;
    rng_seed(&r, 11);
    net_init_params(net, INIT_XAVIER, &r);
}

/* The checkpoint hook's copy of the last state it was given. */
typedef struct {
    train_state st;
    int perm[N_EX];
    float params[1000];
    float opt_state[2000]; /* the optimizer's (Adam: m then v) */
    int calls;
} saved_state;

static int keep_state(void *user, const net_t *net, const train_state *s, err_t *err)
{
    saved_state *k = user;
    k->st = *s;
    memcpy(k->perm, s->perm, sizeof k->perm);
    k->st.perm = k->perm;
    memcpy(k->params, net->params, net->n_params * sizeof(float));
    ck_assert_uint_le(s->opt.n_state, sizeof k->opt_state / sizeof(float));
    if (s->opt.n_state) {
        memcpy(k->opt_state, s->opt.state, s->opt.n_state * sizeof(float));
        k->st.opt.state = k->opt_state;
    }
    k->calls++;
    return 0;
}

static volatile sig_atomic_t stop_flag;
static long long stop_after; /* examples into the epoch at which to raise stop_flag */
static int stop_epoch;

static void stopper(void *user, int epoch, long long done, long long total, double loss)
{
    if (epoch == stop_epoch && done >= stop_after)
        stop_flag = 1;
}

/* Trains 5 epochs straight; then again stopping at stop_epoch/stop_after
 * (threads1) and resuming from the saved state (threads2): same bits. */
static void check_resume(int shard_buffers, int threads1, int threads2, int epoch, long long after)
{
    dataset d;
    uint8_t img[N_EX * 9], lab[N_EX];
    toy_data(&d, img, lab);
    train_opts o = {.learning_rate = 0.7, .batch_size = 8, .epochs = 5, .seed = 3,
                    .threads = threads1, .shard_buffers = shard_buffers, .deterministic = 1};
    net_t ref, run;
    toy_net(&ref);
    ck_assert_int_eq(train_run(&ref, &d, NULL, &o, NULL, NULL), 0);

    saved_state *k = calloc(1, sizeof *k);
    toy_net(&run);
    stop_flag = 0;
    stop_epoch = epoch;
    stop_after = after;
    train_hooks h = {stopper, NULL, NULL};
    o.stop = &stop_flag;
    o.on_checkpoint = keep_state;
    o.ckpt_user = k;
    err_t err;
    ck_assert_int_eq(train_run(&run, &d, NULL, &o, &h, &err), TRAIN_STOPPED);
    ck_assert_int_eq(k->calls, 1);
    ck_assert(k->st.stopping);
    ck_assert_int_eq(k->st.epoch, epoch);

    /* Resume into a fresh network holding only the saved weights. */
    net_t res;
    toy_net(&res);
    memcpy(res.params, k->params, res.n_params * sizeof(float));
    stop_flag = 0;
    o.stop = NULL;
    o.threads = threads2;
    o.resume = &k->st;
    ck_assert_msg(train_run(&res, &d, NULL, &o, NULL, &err) == 0, "%s", err.msg);
    ck_assert_mem_eq(res.params, ref.params, ref.n_params * sizeof(float));
    net_free(&ref);
    net_free(&run);
    net_free(&res);
    free(k);
}

START_TEST(resume_mid_epoch_fused)
{
    check_resume(0, 2, 1, 2, 24); /* epoch 2 after 3 of 8 batches */
}
END_TEST

START_TEST(resume_mid_epoch_shards)
{
    check_resume(1, 1, 3, 3, 8);
}
END_TEST

START_TEST(resume_at_epoch_end)
{
    /* The last batch of epoch 1: the stop waits for the epoch's end. */
    check_resume(0, 1, 2, 1, N_EX);
}
END_TEST

/* A pause after epoch k (a sweep's rung) checkpoints at the epoch's end;
 * resumed, with a cosine schedule over all epochs and Adam, the run ends
 * bitwise as one never paused, for other thread counts too. */
START_TEST(pause_then_resume_is_bitwise)
{
    dataset d;
    uint8_t img[N_EX * 9], lab[N_EX];
    toy_data(&d, img, lab);
    for (int pause = 1; pause <= 4; pause++) {
        train_opts o = {.learning_rate = 0.05, .batch_size = 8, .epochs = 5, .seed = 3,
                        .threads = 1, .deterministic = 1,
                        .sched = {.kind = SCHED_COSINE, .min_rate = 0.001},
                        .optim = {.name = OPTIM_NAME_ADAM, .beta1 = 0.9, .beta2 = 0.999,
                                  .epsilon = 1e-8}};
        net_t ref, run, res;
        toy_net(&ref);
        ck_assert_int_eq(train_run(&ref, &d, NULL, &o, NULL, NULL), 0);
        saved_state *k = calloc(1, sizeof *k);
        toy_net(&run);
        o.pause_after = pause;
        o.on_checkpoint = keep_state;
        o.ckpt_user = k;
        err_t err;
        ck_assert_int_eq(train_run(&run, &d, NULL, &o, NULL, &err), TRAIN_PAUSED);
        ck_assert_int_eq(k->calls, 1);
        ck_assert_int_eq(k->st.epoch, pause);
        ck_assert_int_eq(k->st.step, k->st.n_batches);
        ck_assert(memcmp(run.params, ref.params, ref.n_params * sizeof(float)) != 0);

        toy_net(&res);
        memcpy(res.params, k->params, res.n_params * sizeof(float));
        o.pause_after = 0;
        o.threads = 3;
        o.resume = &k->st;
        ck_assert_msg(train_run(&res, &d, NULL, &o, NULL, &err) == 0, "%s", err.msg);
        ck_assert_mem_eq(res.params, ref.params, ref.n_params * sizeof(float));
        net_free(&ref);
        net_free(&run);
        net_free(&res);
        free(k);
    }
}
END_TEST

START_TEST(periodic_checkpoints)
{
    dataset d;
    uint8_t img[N_EX * 9], lab[N_EX];
    toy_data(&d, img, lab);
    saved_state *k = calloc(1, sizeof *k);
    train_opts o = {.learning_rate = 0.7, .batch_size = 8, .epochs = 7, .seed = 3, .threads = 2,
                    .deterministic = 1, .checkpoint_every = 3, .on_checkpoint = keep_state,
                    .ckpt_user = k};
    net_t net;
    toy_net(&net);
    ck_assert_int_eq(train_run(&net, &d, NULL, &o, NULL, NULL), 0);
    ck_assert_int_eq(k->calls, 2); /* after epochs 3 and 6 */
    ck_assert_int_eq(k->st.epoch, 6);
    ck_assert_int_eq(k->st.step, k->st.n_batches);
    ck_assert(!k->st.stopping);
    net_free(&net);
    free(k);
}
END_TEST

START_TEST(divergence_names_epoch_and_step)
{
    dataset d;
    uint8_t img[N_EX * 9], lab[N_EX];
    toy_data(&d, img, lab);
    int sizes[] = {9, 3};
    net_act act[] = {ACT_LINEAR};
    net_t net;
    ck_assert_int_eq(net_create(&net, 1, sizes, act, COST_QUADRATIC, NULL), 0);
    rng_t r;
    rng_seed(&r, 1);
    net_init_params(&net, INIT_XAVIER, &r);
    saved_state *k = calloc(1, sizeof *k);
    train_opts o = {.learning_rate = 1e30, .batch_size = 8, .epochs = 3, .seed = 3, .threads = 1,
                    .deterministic = 1, .checkpoint_every = 1, .on_checkpoint = keep_state,
                    .ckpt_user = k};
    err_t err;
    ck_assert_int_eq(train_run(&net, &d, NULL, &o, NULL, &err), -1);
    ck_assert_int_eq(err.code, ERR_RUNTIME);
    ck_assert_msg(strstr(err.msg, "diverged at epoch 1 step "), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "lower learning rate"), "%s", err.msg);
    ck_assert_int_eq(k->calls, 0); /* nothing bad was checkpointed */
    net_free(&net);
    free(k);
}
END_TEST

START_TEST(memory_check_refuses_huge_sizes)
{
    train_opts o = {.learning_rate = 1, .batch_size = 100, .epochs = 1, .threads = 1,
                    .deterministic = 1};
    int big[] = {1000000, 1000000, 1000000, 10};
    err_t err;
    ck_assert_int_eq(train_check_memory(3, big, &o, 1000, 0, &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "GB"), "%s", err.msg);
    int small[] = {784, 30, 10};
    ck_assert_int_eq(train_check_memory(2, small, &o, 60000, 50e6, &err), 0);
    ck_assert(train_memory_bytes(2, small, &o, 60000) > 23860 * 4.0);
}
END_TEST

/* Early stopping's state (best weights, epoch, counter, value) survives
 * exactly; a file with it is still refused on every flipped byte. */
START_TEST(round_trip_early_stopping_state)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    make_fixture(&net, &st, perm, 13);
    float *w = malloc(net.n_params * sizeof *w);
    for (size_t i = 0; i < net.n_params; i++)
        w[i] = (float)i * 0.25f - 1.0f;
    train_best best = {w, 2, 1, 0.9375};
    st.best = &best;
    err_t err;
    ck_assert_msg(ckpt_save(tpath("b.ckpt"), CONFIG, &st, &net, &err) == 0,
                  "%s", err.msg);
    ckpt_t ck;
    ck_assert_msg(ckpt_load(tpath("b.ckpt"), CONFIG, &ck, &err) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(ck.st.best);
    ck_assert_int_eq(ck.st.best->epoch, 2);
    ck_assert_int_eq(ck.st.best->since, 1);
    ck_assert(ck.st.best->value == 0.9375);
    ck_assert_mem_eq(ck.st.best->params, w, net.n_params * sizeof *w);
    ck_assert_mem_eq(ck.net.params, net.params, net.n_params * sizeof(float));
    ckpt_free(&ck);
    assert_every_flip_refused("b.ckpt", 0x04);
    assert_every_truncation_refused("b.ckpt", 200);
    /* Without it: no state. */
    st.best = NULL;
    ck_assert(ckpt_save(tpath("c.ckpt"), CONFIG, &st, &net, &err) == 0);
    ck_assert(ckpt_load(tpath("c.ckpt"), CONFIG, &ck, &err) == 0);
    ck_assert_ptr_null(ck.st.best);
    ckpt_free(&ck);
    free(w);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

/* A whole checkpoint of another format version, its crc made valid again
 * the way ckpt.c computes it (zlib crc32 of every byte before it), is
 * refused for its version, config or none, and not as corrupt. */
START_TEST(other_version_is_refused)
{
    tmpdir_setup();
    net_t net;
    train_state st;
    int perm[13];
    save_fixture("a.ckpt", &net, &st, perm);
    long n;
    unsigned char *good = read_all(tpath("a.ckpt"), &n);
    unsigned char *b = malloc((size_t)n);
    ck_assert_ptr_nonnull(b);
    /* "NNTRCKPT", then the u32 version. */
    ck_assert_int_eq(memcmp(good, CKPT_MAGIC, 8), 0);
    ck_assert_uint_eq(le_get_u32(good + 8), CKPT_VERSION);
    ck_assert_uint_eq(le_get_u32(good + n - 4), (uint32_t)crc32(0L, good, (uInt)(n - 4)));
    const uint32_t versions[] = {CKPT_VERSION, CKPT_VERSION - 1, CKPT_VERSION + 1, 0, 1,
                                 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        memcpy(b, good, (size_t)n);
        le_put_u32(b + 8, versions[i]);
        le_put_u32(b + n - 4, (uint32_t)crc32(0L, b, (uInt)(n - 4)));
        write_all(tpath("v.ckpt"), b, n);
        ckpt_t ck;
        err_t err;
        if (versions[i] == CKPT_VERSION) { /* the rewrite itself leaves a good file */
            ck_assert_int_eq(memcmp(b, good, (size_t)n), 0);
            ck_assert_msg(ckpt_load(tpath("v.ckpt"), CONFIG, &ck, &err) == 0, "%s", err.msg);
            ckpt_free(&ck);
            continue;
        }
        char want[128];
        snprintf(want, sizeof want, "v.ckpt: checkpoint format version %u; this nntrain reads %d",
                 versions[i], CKPT_VERSION);
        for (int with_config = 0; with_config < 2; with_config++) {
            err_clear(&err);
            ck_assert_msg(ckpt_load(tpath("v.ckpt"), with_config ? CONFIG : NULL, &ck, &err) == -1,
                          "version %u was loaded", versions[i]);
            ck_assert_int_eq(err.code, ERR_INPUT);
            ck_assert_msg(strstr(err.msg, want) != NULL, "expected \"%s\" in \"%s\"", want, err.msg);
        }
    }
    free(b);
    free(good);
    net_free(&net);
    tmpdir_teardown();
}
END_TEST

TU_MAIN("ckpt", round_trip_exact, round_trip_early_stopping_state, round_trip_optimizer_state, every_flipped_byte_is_refused, every_truncation_is_refused,
        other_config_is_named, foreign_files_are_refused, failed_save_keeps_the_old_checkpoint,
        resume_dir_picks_the_latest, config_text_covers_the_trajectory, resume_mid_epoch_fused,
        resume_mid_epoch_shards, resume_at_epoch_end, pause_then_resume_is_bitwise, periodic_checkpoints,
        divergence_names_epoch_and_step, memory_check_refuses_huge_sizes, other_version_is_refused)
