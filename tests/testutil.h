/* Helpers shared by the Check suites. */
#ifndef NNTRAIN_TESTUTIL_H
#define NNTRAIN_TESTUTIL_H

#include <check.h>
#include <zlib.h>
#include <dirent.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
/* ck_assert_msg for loops over millions of cells: only a failure goes
 * through Check. Check records every passing ck_assert too (a mark point:
 * with CK_FORK=no, as under tests/memcheck.sh, one message per assertion
 * written to a file and read back), and valgrind's run of test_data spent
 * over half an hour on the passing asserts of one table comparison. */
#define TU_CHECK(expr, ...)                                              \
    do {                                                                 \
        if (!(expr))                                                     \
            ck_abort_msg(__VA_ARGS__);                                   \
    } while (0)

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

/* A path inside tmpdir; slot (0..3) keeps up to four alive at once. */
static char tu_paths[4][512] __attribute__((unused));
static inline const char *tu_path(int slot, const char *name)
{
    snprintf(tu_paths[slot], sizeof tu_paths[slot], "%s/%s", tmpdir, name);
    return tu_paths[slot];
}

/* Writes n bytes to path (replacing it), checked. */
static inline void tu_write_file(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: cannot create", path);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes n bytes to path gzipped (zlib), checked. */
static inline void tu_write_gz(const char *path, const void *buf, size_t n)
{
    gzFile f = gzopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: cannot create", path);
    ck_assert_int_eq(gzwrite(f, buf, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(f), Z_OK);
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

/* Sets the process's locale (setlocale LC_ALL) to de_DE.UTF-8, whose
 * decimal point is a comma, compiled into dir with localedef (LOCPATH):
 * 1, or 0 after a SKIPPED line on stderr when localedef or its de_DE
 * source is missing. tu_c_locale sets "C" back (Check may run every test
 * in one process: CK_FORK=no, as tests/memcheck.sh does). */
static inline int tu_comma_locale(const char *dir, const char *test)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%.900s/de_DE.UTF-8' >/dev/null 2>&1",
             dir);
    int rc = system(cmd);
    if (rc != 0 || !(WIFEXITED(rc) && WEXITSTATUS(rc) == 0)) {
        fprintf(stderr, "%s: SKIPPED: localedef -i de_DE -f UTF-8 failed (install Debian's "
                        "'locales' package, which has localedef and the de_DE source)\n", test);
        return 0;
    }
    setenv("LOCPATH", dir, 1);
    const char *loc = setlocale(LC_ALL, "de_DE.UTF-8");
    ck_assert_msg(loc != NULL, "setlocale(de_DE.UTF-8) failed with LOCPATH=%s", dir);
    ck_assert_str_eq(localeconv()->decimal_point, ",");
    ck_assert(strtod("1.5", NULL) == 1.0); /* the locale really is in force */
    return 1;
}

static inline void tu_c_locale(void)
{
    setlocale(LC_ALL, "C");
    unsetenv("LOCPATH");
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
