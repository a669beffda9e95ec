/* Helpers shared by the Check suites. */
#ifndef NNTRAIN_TESTUTIL_H
#define NNTRAIN_TESTUTIL_H

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels.h"

/* The fixture of TU_MAIN_TMPDIR suites (defined below). */
static inline void tmpdir_setup(void);
static inline void tmpdir_teardown(void);

/* Runs the given tests as one suite, each in a fresh tmpdir if asked;
 * returns the process exit status. */
static inline int tu_run(const char *name, const TTest *const *tests, size_t n, int with_tmpdir)
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create("core");
    if (with_tmpdir)
        tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    for (size_t i = 0; i < n; i++)
        tcase_add_test(tc, tests[i]);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* main() for a suite: TU_MAIN("net", test_a, test_b, ...) */
#define TU_MAIN(name, ...)                                              \
    int main(void)                                                      \
    {                                                                   \
        const TTest *tests[] = {__VA_ARGS__};                           \
        return tu_run(name, tests, sizeof tests / sizeof tests[0], 0);  \
    }

/* ---- a temporary directory per test ---------------------------------------- */

/* The current test's directory, under $TMPDIR (default /tmp). */
static char tmpdir[256] __attribute__((unused));

/* Removes dir and everything in it (making read-only subdirectories
 * writable first, as tests of unwritable outputs leave them). */
static inline void tu_rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%.700s/%.255s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(p, 0700);
            tu_rm_tree(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* The whole of the file at path, in malloc'd memory with a NUL after it
 * (so a text file is a string); *n gets its size unless n is NULL. */
static inline unsigned char *tu_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: cannot open", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    buf[len] = '\0';
    if (n)
        *n = (size_t)len;
    return buf;
}

/* A Check fixture: tmpdir_setup makes tmpdir, tmpdir_teardown removes it. */
static inline void tmpdir_setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/nntrain_test.XXXXXX", base && base[0] ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static inline void tmpdir_teardown(void)
{
    tu_rm_tree(tmpdir);
}

/* ---- every kernel path ------------------------------------------------------
 * TU_FOREACH_PATH(path) { ... } runs the block once per kernel path this CPU
 * runs (avx512, avx2, neon, portable; best first), with that path in use
 * and its name in path, so one test checks one behaviour on every path. */
static inline const char *tu_use_path(int i)
{
    const char *name = kern_path_name(i);
    err_t err;
    ck_assert_msg(name && kern_use(name, &err) == 0, "kernel path %d: %s", i,
                  name ? err.msg : "none");
    return name;
}

#define TU_FOREACH_PATH(path)                                                    \
    for (int tu_p_ = 0; tu_p_ < kern_path_count(); tu_p_++)                      \
        for (const char *path = tu_use_path(tu_p_); path; path = NULL)

/* FNV-1a over n bytes: the digest golden values are pinned as. */
static inline uint64_t tu_fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* main() for a suite whose tests each get a fresh tmpdir. */
#define TU_MAIN_TMPDIR(name, ...)                                       \
    int main(void)                                                      \
    {                                                                   \
        const TTest *tests[] = {__VA_ARGS__};                           \
        return tu_run(name, tests, sizeof tests / sizeof tests[0], 1);  \
    }

#endif
