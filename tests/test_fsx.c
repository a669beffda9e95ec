/* Suite fsx: the one way the program writes a file (fsx_write_atomic) and
 * every writer that goes through it.
 *
 * First fsx_write_atomic itself: success, the callback failing, each step
 * failing through the injection seam (which works as root too, as CI
 * runs), a real size-limit failure from the kernel, a directory in the
 * way, a directory without write permission (skipped as root). Then one
 * table of every writer (model, checkpoint, ONNX, npz, learning-curve SVG,
 * PNG, IDX raw and gzipped, PGM, metrics CSV, the sweep's results.csv,
 * results.md, best.yaml and a trial's config.yaml and result.csv), each
 * saved once, then saved again with a different content under every
 * injected fault. Every failure must: return -1 with one message naming
 * the file, leave the previous file's bytes as they were, and leave no
 * temporary file behind. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "curves.h"
#include "export.h"
#include "fsx.h"
#include "idx.h"
#include "image.h"
#include "model.h"
#include "pgm.h"
#include "report.h"
#include "sweep.h"
#include "testutil.h"

/* dir/name in a buffer of its own per call site (up to 8 at a time). */
static const char *join(const char *dir, const char *name)
{
    static char bufs[8][1024];
    static int k;
    char tmp[1024]; /* dir may be an earlier result */
    snprintf(tmp, sizeof tmp, "%.500s/%.500s", dir, name);
    char *b = bufs[k++ % 8];
    memcpy(b, tmp, sizeof tmp);
    return b;
}

/* Entries of dir (not recursive) whose name contains ".tmp.". */
static int temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "%s: cannot open", dir);
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        k += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return k;
}

/* The directory part of path (a static buffer). */
static const char *dir_of(const char *path)
{
    static char b[1024];
    snprintf(b, sizeof b, "%s", path);
    char *slash = strrchr(b, '/');
    if (slash)
        *slash = '\0';
    return b;
}

static void put_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(s, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- fsx_write_atomic ------------------------------------------------------ */

/* The callback of the unit tests: writes the string user, checking. */
static int write_text(FILE *f, const void *user)
{
    const char *s = user;
    return fputs(s, f) < 0 ? -1 : 0;
}

/* Writes user the way the SVG writer does: no write checked. */
static int write_text_unchecked(FILE *f, const void *user)
{
    fputs(user, f);
    return 0;
}

/* Writes half of user, then fails as a real callback would. */
static int write_half_then_fail(FILE *f, const void *user)
{
    const char *s = user;
    fwrite(s, 1, strlen(s) / 2, f);
    errno = EINVAL;
    return -1;
}

/* A text of n bytes (more than a stdio buffer when n is large), static. */
static const char *big_text(size_t n)
{
    static char b[20001];
    ck_assert_uint_le(n, sizeof b - 1);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)('a' + i % 26);
    b[n] = '\0';
    return b;
}

/* The failure every test below checks: -1, ERR_RUNTIME, path named (and
 * each of the words given), old bytes, no temporary file. */
static void expect_failure(int rc, const err_t *err, const char *path, const char *old,
                           const char *word1, const char *word2)
{
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(err->code, ERR_RUNTIME);
    ck_assert_msg(strstr(err->msg, path) != NULL, "the file is not named: %s", err->msg);
    ck_assert_msg(!word1 || strstr(err->msg, word1), "no \"%s\" in: %s", word1, err->msg);
    ck_assert_msg(!word2 || strstr(err->msg, word2), "no \"%s\" in: %s", word2, err->msg);
    char *now = (char *)tu_read_file(path, NULL);
    ck_assert_str_eq(now, old);
    free(now);
    ck_assert_int_eq(temp_files(dir_of(path)), 0);
}

START_TEST(test_success)
{
    err_t err;
    const char *p = join(tmpdir, "a.txt");
    ck_assert_msg(fsx_write_atomic(p, "text", write_text, "first\n", &err) == 0, "%s", err.msg);
    char *s = (char *)tu_read_file(p, NULL);
    ck_assert_str_eq(s, "first\n");
    free(s);
    /* Over an existing file, a longer one, then a shorter one. */
    ck_assert_msg(fsx_write_atomic(p, "text", write_text, big_text(20000), &err) == 0, "%s", err.msg);
    size_t n;
    s = (char *)tu_read_file(p, &n);
    ck_assert_uint_eq(n, 20000);
    free(s);
    ck_assert(fsx_write_bytes(p, "text", "xy", 2, &err) == 0);
    s = (char *)tu_read_file(p, NULL);
    ck_assert_str_eq(s, "xy");
    free(s);
    ck_assert(fsx_write_bytes(p, "text", "", 0, &err) == 0); /* an empty file */
    free(tu_read_file(p, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(temp_files(tmpdir), 0);
    /* The mode fopen would give: 0666 less the umask. */
    mode_t um = umask(022);
    umask(um);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0666 & ~um);
}
END_TEST

START_TEST(test_callback_fails)
{
    err_t err;
    const char *p = join(tmpdir, "a.txt");
    put_text(p, "old\n");
    int rc = fsx_write_atomic(p, "text", write_half_then_fail, "new contents\n", &err);
    expect_failure(rc, &err, p, "old\n", "cannot save text: write of", strerror(EINVAL));
}
END_TEST

/* Each step failing through the seam, with the message that names it. */
static const struct {
    fsx_fault fault;
    const char *step, *reason;
} FAULTS[] = {
    {{FSX_STEP_OPEN, 0, 0, 0}, "cannot create", "Permission denied"},
    {{FSX_STEP_WRITE, 0, 0, 0}, "of", "No space left on device"}, /* at write or flush */
    {{FSX_STEP_WRITE, 0, 100, 0}, "of", "No space left on device"}, /* a part written */
    {{FSX_STEP_WRITE, 0, 0, EIO}, "of", "Input/output error"},
    {{FSX_STEP_FSYNC, 0, 0, 0}, "fsync of", "Input/output error"},
    {{FSX_STEP_CLOSE, 0, 0, 0}, "close of", "Input/output error"},
    {{FSX_STEP_RENAME, 0, 0, 0}, "rename of", "Input/output error"},
    {{FSX_STEP_RENAME, 0, 0, EXDEV}, "rename of", "Invalid cross-device link"},
};
#define N_FAULTS (int)(sizeof FAULTS / sizeof FAULTS[0])

START_TEST(test_injected_faults)
{
    /* Small and large texts (the write fails in the callback or at the
     * flush), through a checking and an unchecking callback. */
    fsx_write_fn fns[] = {write_text, write_text_unchecked};
    size_t sizes[] = {10, 20000};
    for (int i = 0; i < N_FAULTS; i++)
        for (int k = 0; k < 2; k++)
            for (int z = 0; z < 2; z++) {
                err_t err;
                char name[64];
                snprintf(name, sizeof name, "f%d-%d-%d.txt", i, k, z);
                const char *p = join(tmpdir, name);
                put_text(p, "the previous file\n");
                fsx_inject(&FAULTS[i].fault);
                int rc = fsx_write_atomic(p, "text", fns[k], big_text(sizes[z]), &err);
                fsx_inject(NULL);
                if (FAULTS[i].fault.step == FSX_STEP_WRITE &&
                    FAULTS[i].fault.after >= (long long)sizes[z]) {
                    ck_assert_msg(rc == 0, "%s", err.msg); /* it all fitted */
                    continue;
                }
                expect_failure(rc, &err, p, "the previous file\n", FAULTS[i].step,
                               FAULTS[i].reason);
                if (FAULTS[i].fault.step == FSX_STEP_WRITE)
                    ck_assert_msg(strstr(err.msg, ": write of") || strstr(err.msg, ": flush of"),
                                  "%s", err.msg);
                /* Disarmed, the same save works. */
                ck_assert_msg(fsx_write_atomic(p, "text", fns[k], "new\n", &err) == 0, "%s",
                              err.msg);
                char *s = (char *)tu_read_file(p, NULL);
                ck_assert_str_eq(s, "new\n");
                free(s);
            }
}
END_TEST

/* skip: the first calls run normally; the fault holds until disarmed. */
START_TEST(test_fault_skip)
{
    err_t err;
    const char *p = join(tmpdir, "a.txt");
    fsx_fault f = {FSX_STEP_FSYNC, 2, 0, 0};
    fsx_inject(&f);
    int rc[4];
    for (int i = 0; i < 4; i++)
        rc[i] = fsx_write_atomic(p, "text", write_text, i < 2 ? "ok\n" : "no\n", &err);
    fsx_inject(NULL);
    ck_assert(rc[0] == 0 && rc[1] == 0 && rc[2] == -1 && rc[3] == -1);
    char *s = (char *)tu_read_file(p, NULL);
    ck_assert_str_eq(s, "ok\n");
    free(s);
    ck_assert_int_eq(fsx_write_atomic(p, "text", write_text, "again\n", &err), 0);
}
END_TEST

/* A real failure from the kernel, with no seam: the file size limit makes
 * writes past 4 KB fail with EFBIG (root is bound by it too). */
START_TEST(test_file_size_limit)
{
    err_t err;
    const char *p = join(tmpdir, "a.txt");
    put_text(p, "old\n");
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc1 = fsx_write_atomic(p, "text", write_text, big_text(20000), &err);
    err_t err2;
    int rc2 = fsx_write_atomic(p, "text", write_text_unchecked, big_text(20000), &err2);
    setrlimit(RLIMIT_FSIZE, &old); /* before any assertion: Check writes files */
    signal(SIGXFSZ, old_sig);
    expect_failure(rc1, &err, p, "old\n", "write of", "File too large");
    expect_failure(rc2, &err2, p, "old\n", "of", "File too large");
}
END_TEST

START_TEST(test_real_failures)
{
    err_t err;
    /* No such directory: nothing is created. */
    const char *p = join(tmpdir, "missing/a.txt");
    ck_assert_int_eq(fsx_write_atomic(p, "text", write_text, "x", &err), -1);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "cannot create") &&
                  strstr(err.msg, "No such file or directory"), "%s", err.msg);
    /* A directory in the way: the rename fails, the temporary file goes. */
    p = join(tmpdir, "adir");
    ck_assert_int_eq(mkdir(p, 0700), 0);
    ck_assert_int_eq(fsx_write_atomic(p, "text", write_text, "x", &err), -1);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "rename of"), "%s", err.msg);
    ck_assert_int_eq(temp_files(tmpdir), 0);
    /* A FIFO (as /dev/stdout would be) is refused, not replaced. */
    p = join(tmpdir, "fifo");
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    ck_assert_int_eq(fsx_write_atomic(p, "text", write_text, "x", &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "not a regular file"), "%s", err.msg);
    struct stat st;
    ck_assert(stat(p, &st) == 0 && S_ISFIFO(st.st_mode));
    ck_assert_int_eq(temp_files(tmpdir), 0);
    /* A symbolic link stays a link; the file it points to gets the bytes
     * (-o /dev/stdout once replaced /dev's link with a file). */
    const char *target = join(tmpdir, "target.txt");
    p = join(tmpdir, "link.txt");
    ck_assert(fsx_write_bytes(target, "text", "old", 3, &err) == 0);
    ck_assert_int_eq(symlink("target.txt", p), 0);
    ck_assert_msg(fsx_write_atomic(p, "text", write_text, "new", &err) == 0, "%s", err.msg);
    ck_assert(lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
    char *now = (char *)tu_read_file(target, NULL);
    ck_assert_str_eq(now, "new");
    free(now);
    ck_assert_int_eq(temp_files(tmpdir), 0);
    /* A link to nothing is refused, and stays as it was. */
    p = join(tmpdir, "dangling.txt");
    ck_assert_int_eq(symlink("nowhere/none.txt", p), 0);
    ck_assert_int_eq(fsx_write_atomic(p, "text", write_text, "x", &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, p) && strstr(err.msg, "symbolic link"), "%s", err.msg);
    ck_assert(lstat(p, &st) == 0 && S_ISLNK(st.st_mode));
    ck_assert_int_eq(temp_files(tmpdir), 0);
    /* A path too long for the temporary name. */
    char longp[4200];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    ck_assert_int_eq(fsx_write_atomic(longp, "text", write_text, "x", &err), -1);
    ck_assert_msg(strstr(err.msg, "path too long"), "%s", err.msg);
}
END_TEST

/* A directory without write permission (root may write anyway: skipped,
 * the injected FSX_STEP_OPEN above stands in for it). */
START_TEST(test_read_only_directory)
{
    if (geteuid() == 0)
        return;
    err_t err;
    const char *d = join(tmpdir, "ro");
    ck_assert_int_eq(mkdir(d, 0700), 0);
    const char *p = join(d, "a.txt");
    put_text(p, "old\n");
    ck_assert_int_eq(chmod(d, 0500), 0);
    int rc = fsx_write_atomic(p, "text", write_text, "new\n", &err);
    chmod(d, 0700);
    expect_failure(rc, &err, p, "old\n", "cannot create", "Permission denied");
}
END_TEST

/* ---- every writer ------------------------------------------------------------ */

/* Each saves version v (0 or 1: different bytes) of its file(s) in dir. */

static void make_net(net_t *net, int v)
{
    int sizes[] = {3, 5, 2};
    net_act act[] = {ACT_TANH, ACT_SOFTMAX};
    ck_assert_int_eq(net_create(net, 2, sizes, act, COST_CROSS_ENTROPY, NULL), 0);
    for (size_t i = 0; i < net->n_params; i++)
        net->params[i] = (float)((int)(i % 7) - 3) * 0.25f + (float)v;
}

static int save_model(const char *dir, int v, err_t *err)
{
    net_t net;
    make_net(&net, v);
    int rc = model_save(join(dir, "m.model"), &net, err);
    net_free(&net);
    return rc;
}

static int save_ckpt(const char *dir, int v, err_t *err)
{
    net_t net;
    make_net(&net, v);
    int perm[6] = {5, 4, 3, 2, 1, 0};
    train_state st = {.epoch = 3 + v, .step = 1, .n_batches = 2, .epochs = 9, .rng = 7,
                      .n_train = 6, .perm = perm, .loss_sum = 0.5};
    int rc = ckpt_save(join(dir, "run.ckpt"), "network.sizes=[3,5,2]\n", &st, &net, err);
    net_free(&net);
    return rc;
}

static int save_export(const char *dir, const char *name, int v, err_t *err)
{
    net_t net;
    make_net(&net, v);
    int rc = export_file(join(dir, name), &net, err);
    net_free(&net);
    return rc;
}
static int save_onnx(const char *dir, int v, err_t *err) { return save_export(dir, "m.onnx", v, err); }
static int save_npz(const char *dir, int v, err_t *err) { return save_export(dir, "m.npz", v, err); }

static int save_svg(const char *dir, int v, err_t *err)
{
    int epoch[3] = {1, 2, 3};
    double train[3] = {0.5, 0.4, 0.3 - 0.1 * v}, eval[3] = {0.6, 0.5, 0.45},
           acc[3] = {0.8, 0.85, 0.9};
    curves_run run = {.name = "run", .n = 3, .epoch = epoch, .train_loss = train,
                      .eval_loss = eval, .eval_acc = acc};
    return curves_write_svg(join(dir, "curves.svg"), &run, 1, err);
}

/* Noise, so that the file is larger than a stdio buffer and libpng's own
 * write fails (its error path), not only the final flush. */
static int save_png(const char *dir, int v, err_t *err)
{
    img_t im;
    ck_assert_int_eq(img_create(&im, 96, 96, (img_rgb){0, 0, 0}, NULL), 0);
    uint32_t x = 12345u + (uint32_t)v;
    for (size_t i = 0; i < (size_t)im.w * im.h * 3; i++) {
        x = x * 1664525u + 1013904223u;
        im.px[i] = (uint8_t)(x >> 24);
    }
    int rc = img_write_png(join(dir, "p.png"), &im, err);
    img_free(&im);
    return rc;
}

static int save_idx(const char *dir, const char *name, int gz, int v, err_t *err)
{
    uint8_t data[2 * 3 * 4];
    for (int i = 0; i < (int)sizeof data; i++)
        data[i] = (uint8_t)(i * 11 + v);
    int dims[3] = {2, 3, 4};
    return idx_write(join(dir, name), 3, dims, data, gz, err);
}
static int save_idx_raw(const char *dir, int v, err_t *err) { return save_idx(dir, "i.idx", 0, v, err); }
static int save_idx_gz(const char *dir, int v, err_t *err) { return save_idx(dir, "i.idx.gz", 1, v, err); }

static int save_pgm(const char *dir, int v, err_t *err)
{
    uint8_t px[6] = {0, 50, 100, 150, 200, (uint8_t)(250 - v)};
    return pgm_write(join(dir, "d.pgm"), 2, 3, px, err);
}

/* Version 0 is a run of two epochs; version 1 resumes it for a third. Its
 * saves: the open's rewrite, the epoch's, report_close's retry. */
static int save_metrics(const char *dir, int v, err_t *err)
{
    report_t r;
    if (report_open(&r, join(dir, "m.csv"), 1, v, err) != 0)
        return -1;
    train_epoch_stats s = {.epoch = 1 + 2 * v, .epochs = 3, .train_loss = 0.5, .eval_loss = 0.4,
                           .eval_accuracy = 0.9, .seconds = 1, .examples_per_s = 100,
                           .learning_rate = 0.1};
    for (int i = 0; i < 2 - v; i++, s.epoch++)
        report_epoch(&r, &s);
    return report_close(&r, err);
}

/* A sweep of two trials whose fake scores depend on v: the best trial,
 * and so results.csv, results.md and best.yaml, change with it. */
static int sweep_v;
static int fake_run(const cfg_t *c, const char *tdir, sweep_result *r, void *user, err_t *err)
{
    (void)tdir; (void)user; (void)err;
    int second = c->learning_rate > 0.3;
    r->eval_accuracy = r->best_accuracy = second != sweep_v ? 0.9 : 0.8;
    r->best_epoch = 1;
    r->final_loss = 0.5;
    r->test_accuracy = 0.85;
    r->seconds = 1.0;
    return 0;
}

static int load_sweep(const char *dir, sweep_spec *s, cfg_t *base, err_t *err)
{
    const char *path = join(dir, "sweep.yaml");
    put_text(path, "train:\n  epochs: 1\n  learning_rate: 0.1\n"
                   "network:\n  sizes: [4, 3, 2]\n"
                   "sweep:\n  method: grid\n  params:\n    train.learning_rate: [0.1, 0.5]\n");
    int found;
    if (cfg_load(path, base, err) || cfg_validate(base, err) || sweep_load(path, s, &found, err))
        return -1;
    snprintf(s->dir, sizeof s->dir, "%s", join(dir, "out"));
    s->parallel = 1;
    return 0;
}

/* The tables: version 0 runs the sweep; version 1 rewrites the trials'
 * results (as the test's own fixture) and writes the tables again. */
static int save_tables(const char *dir, int v, err_t *err)
{
    sweep_spec s;
    cfg_t base;
    ck_assert_msg(load_sweep(dir, &s, &base, err) == 0, "%s", err->msg);
    if (v == 0) {
        int ran;
        sweep_v = 0;
        return sweep_run(&s, &base, fake_run, NULL, &ran, err);
    }
    put_text(join(dir, "out/trial-001/result.csv"),
             "eval_accuracy,best_accuracy,best_epoch,final_loss,test_accuracy,seconds\n"
             "0.950000,0.950000,1,0.400000,0.900000,2.00\n");
    return sweep_write_results(&s, &base, err);
}

/* A trial's own files: version 0 runs the sweep, then leaves trial 1 as
 * a crash would (no result.csv; its config.yaml edited by the test, so
 * that the rewrite differs); version 1 runs the sweep again, which runs
 * trial 1 again: its config.yaml, then its result.csv, then the tables. */
static int save_trial(const char *dir, int v, err_t *err)
{
    sweep_spec s;
    cfg_t base;
    ck_assert_msg(load_sweep(dir, &s, &base, err) == 0, "%s", err->msg);
    int ran;
    sweep_v = v;
    int rc = sweep_run(&s, &base, fake_run, NULL, &ran, err);
    if (rc == 0 && v == 0) {
        ck_assert_int_eq(unlink(join(dir, "out/trial-001/result.csv")), 0);
        put_text(join(dir, "out/trial-001/config.yaml"), "# edited\n");
    }
    return rc;
}

typedef struct {
    const char *what;
    int (*save)(const char *dir, int v, err_t *err);
    /* The file that version 1's (k+1)-th fsx_write_atomic writes, for each
     * k tested; NULL ends the list. A file the save has not written yet
     * when that call fails ("-" first) must still not exist after. */
    const char *files[4];
} writer;

static const writer WRITERS[] = {
    {"model", save_model, {"m.model"}},
    {"checkpoint", save_ckpt, {"run.ckpt"}},
    {"ONNX export", save_onnx, {"m.onnx"}},
    {"npz export", save_npz, {"m.npz"}},
    {"learning-curve SVG", save_svg, {"curves.svg"}},
    {"PNG picture", save_png, {"p.png"}},
    {"IDX file", save_idx_raw, {"i.idx"}},
    {"gzipped IDX file", save_idx_gz, {"i.idx.gz"}},
    {"PGM image", save_pgm, {"d.pgm"}},
    /* the rewrite at open; the epoch's rewrite (and close's retry) */
    {"metrics CSV", save_metrics, {"m.csv", "m.csv"}},
    {"sweep tables", save_tables, {"out/results.csv", "out/results.md", "out/best.yaml"}},
    {"sweep trial", save_trial, {"out/trial-001/config.yaml", "-out/trial-001/result.csv"}},
};
#define N_WRITERS (int)(sizeof WRITERS / sizeof WRITERS[0])

/* One fault kind a step, each writer, each of its files in turn. */
START_TEST(test_every_writer_keeps_the_old_file)
{
    static const fsx_step steps[] = {FSX_STEP_OPEN, FSX_STEP_WRITE, FSX_STEP_FSYNC,
                                      FSX_STEP_CLOSE, FSX_STEP_RENAME};
    for (int w = 0; w < N_WRITERS; w++)
        for (int k = 0; WRITERS[w].files[k]; k++)
            for (int j = 0; j < (int)(sizeof steps / sizeof steps[0]); j++) {
                const writer *wr = &WRITERS[w];
                const char *file = wr->files[k];
                int absent = file[0] == '-';
                file += absent;
                char name[32];
                snprintf(name, sizeof name, "w%d-%d-%d", w, k, j);
                char dir[512];
                snprintf(dir, sizeof dir, "%s", join(tmpdir, name));
                ck_assert_int_eq(mkdir(dir, 0700), 0);
                err_t err;
                ck_assert_msg(wr->save(dir, 0, &err) == 0, "%s: %s", wr->what, err.msg);
                char path[1024];
                snprintf(path, sizeof path, "%s", join(dir, file));
                size_t n0 = 0;
                unsigned char *before = absent ? NULL : tu_read_file(path, &n0);
                ck_assert_msg(!absent || access(path, F_OK) != 0, "%s: %s", wr->what, file);

                fsx_fault f = {steps[j], k, 0, 0};
                fsx_inject(&f);
                err_clear(&err);
                int rc = wr->save(dir, 1, &err);
                fsx_inject(NULL);

                ck_assert_msg(rc == -1, "%s, %s, step %d: saved", wr->what, file, j);
                ck_assert_int_eq(err.code, ERR_RUNTIME);
                ck_assert_msg(strstr(err.msg, path) != NULL, "%s: the file is not named: %s",
                              wr->what, err.msg);
                if (absent) {
                    ck_assert_msg(access(path, F_OK) != 0, "%s: %s is there", wr->what, file);
                } else {
                    size_t n1;
                    unsigned char *after = tu_read_file(path, &n1);
                    ck_assert_msg(n1 == n0 && memcmp(after, before, n0) == 0,
                                  "%s, step %d: %s changed", wr->what, j, file);
                    free(after);
                }
                ck_assert_msg(temp_files(dir_of(path)) == 0, "%s: a temporary file is left",
                              wr->what);

                /* The save that failed works once the fault is gone, and
                 * changes the file: the test saw a real difference. */
                ck_assert_msg(wr->save(dir, 1, &err) == 0, "%s: %s", wr->what, err.msg);
                if (!absent) {
                    size_t n1;
                    unsigned char *after = tu_read_file(path, &n1);
                    ck_assert_msg(n1 != n0 || memcmp(after, before, n0) != 0,
                                  "%s: version 1 of %s is the same bytes", wr->what, file);
                    free(after);
                }
                free(before);
            }
}
END_TEST

/* The metrics file: a failed epoch write is retried, at the next epoch or
 * at report_close; when the retry succeeds no row is lost and close
 * succeeds. */
START_TEST(test_metrics_catch_up)
{
    err_t err;
    const char *p = join(tmpdir, "m.csv");
    report_t r;
    ck_assert(report_open(&r, p, 1, 0, &err) == 0);
    train_epoch_stats s = {.epoch = 1, .epochs = 3, .train_loss = 0.5, .eval_loss = 0.4,
                           .eval_accuracy = 0.9, .seconds = 1, .examples_per_s = 100,
                           .learning_rate = 0.1};
    fsx_fault f = {FSX_STEP_WRITE, 0, 0, 0};
    fsx_inject(&f);
    ck_assert_int_eq(report_epoch(&r, &s), 0); /* never "stop early" */
    fsx_inject(NULL);
    ck_assert_int_eq(r.metrics_behind, 1);
    char *text = (char *)tu_read_file(p, NULL);
    ck_assert_str_eq(text, "epoch,train_loss,eval_loss,eval_accuracy,seconds,examples_per_s,"
                           "learning_rate,augment_seconds,eval_rmse,eval_mae,eval_r2\n"); /* the file as it was */
    free(text);
    s.epoch = 2;
    report_epoch(&r, &s); /* catches up */
    ck_assert_int_eq(r.metrics_behind, 0);
    fsx_inject(&f);
    s.epoch = 3;
    report_epoch(&r, &s);
    fsx_inject(NULL);
    ck_assert_msg(report_close(&r, &err) == 0, "%s", err.msg); /* close's retry */
    size_t n;
    text = (char *)tu_read_file(p, &n);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    ck_assert_int_eq(lines, 4);
    ck_assert_ptr_nonnull(strstr(text, "\n3,"));
    free(text);
    ck_assert_int_eq(temp_files(tmpdir), 0);
}
END_TEST

TU_MAIN_TMPDIR("fsx", test_success, test_callback_fails, test_injected_faults, test_fault_skip,
               test_file_size_limit, test_real_failures, test_read_only_directory,
               test_every_writer_keeps_the_old_file, test_metrics_catch_up)
