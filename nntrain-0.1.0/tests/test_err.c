/* Suite err: messages and codes travel as values. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "testutil.h"

START_TEST(test_set_formats_and_returns_minus_one)
{
    err_t e;
    err_clear(&e);
    ck_assert_int_eq(e.code, ERR_OK);
    ck_assert_int_eq(err_set(&e, ERR_INPUT, "%s:%d: bad %s", "f.yaml", 3, "key"), -1);
    ck_assert_int_eq(e.code, ERR_INPUT);
    ck_assert_str_eq(e.msg, "f.yaml:3: bad key");
}
END_TEST

START_TEST(test_set_null_and_truncation)
{
    ck_assert_int_eq(err_set(NULL, ERR_RUNTIME, "ignored"), -1);
    err_t e;
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    err_set(&e, ERR_RUNTIME, "%s", big);
    ck_assert_uint_eq(strlen(e.msg), sizeof e.msg - 1);
}
END_TEST

START_TEST(test_prefix_keeps_code)
{
    err_t e;
    err_set(&e, ERR_RUNTIME, "disk full");
    ck_assert_int_eq(err_prefix(&e, "%s:%d", "out/m.model", 3), -1);
    ck_assert_str_eq(e.msg, "out/m.model:3: disk full");
    ck_assert_int_eq(e.code, ERR_RUNTIME);
    ck_assert_int_eq(err_prefix(NULL, "x"), -1);
}
END_TEST

TU_MAIN("err", test_set_formats_and_returns_minus_one, test_set_null_and_truncation, test_prefix_keeps_code)
