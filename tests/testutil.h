/* Helpers shared by the Check suites. */
#ifndef NNTRAIN_TESTUTIL_H
#define NNTRAIN_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

/* Runs the given tests as one suite; returns the process exit status. */
static inline int tu_run(const char *name, const TTest *const *tests, size_t n)
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create("core");
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
        return tu_run(name, tests, sizeof tests / sizeof tests[0]);     \
    }

#endif
