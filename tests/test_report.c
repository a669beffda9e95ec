/* Suite report: the epoch line, the CSV metrics file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "testutil.h"

static train_epoch_stats sample(void)
{
    train_epoch_stats s = {0};
    s.epoch = 3;
    s.epochs = 30;
    s.train_loss = 0.08125;
    s.eval_loss = 0.1;
    s.eval_accuracy = 0.9531;
    s.learning_rate = 0.0125;
    s.seconds = 12.44;
    s.examples_per_s = 48211.4;
    s.n_examples = 60000;
    return s;
}

START_TEST(test_epoch_line)
{
    train_epoch_stats s = sample();
    char buf[256];
    report_format_epoch(&s, buf, sizeof buf);
    ck_assert_str_eq(buf, "epoch  3/30  loss 0.0813  accuracy  95.31%  lr 0.0125  12.4 s  48211 ex/s");
    s.eval_accuracy = -1;
    report_format_epoch(&s, buf, sizeof buf);
    ck_assert(strstr(buf, "accuracy") == NULL);
    /* Augmentation's cost, only when it ran. */
    ck_assert(strstr(buf, "augment") == NULL);
    s.augment_seconds = 1.5;
    report_format_epoch(&s, buf, sizeof buf);
    ck_assert_str_eq(buf, "epoch  3/30  loss 0.0813  lr 0.0125  12.4 s  48211 ex/s  augment 1.5 s");
    /* A regression: its error in the target's units and R², line and row. */
    s = sample();
    s.regression = 1;
    s.eval_rmse = 12.5;
    s.eval_mae = 9.25;
    s.eval_r2 = s.eval_accuracy = 0.75;
    report_format_epoch(&s, buf, sizeof buf);
    ck_assert_str_eq(buf, "epoch  3/30  loss 0.0813  rmse 12.5  r2 0.7500  lr 0.0125  12.4 s  48211 ex/s");
    report_format_csv(&s, buf, sizeof buf);
    ck_assert_str_eq(buf, "3,0.081250,0.100000,0.750000,12.4400,48211.4,0.0125,0.0000,12.5,9.25,0.750000");
}
END_TEST

START_TEST(test_metrics_file)
{
    char path[] = "/tmp/nntrain_report_XXXXXX";
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    report_t r;
    err_t err;
    ck_assert(report_open(&r, path, 1, 0, &err) == 0);
    ck_assert_int_eq(r.progress, 0); /* quiet: no bar */
    train_epoch_stats s = sample();
    report_epoch(&r, &s);
    s.epoch = 4;
    report_epoch(&r, &s);
    ck_assert(report_close(&r, &err) == 0);
    FILE *f = fopen(path, "r");
    char line[256];
    ck_assert(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "epoch,train_loss,eval_loss,eval_accuracy,seconds,examples_per_s,learning_rate,augment_seconds,"
                           "eval_rmse,eval_mae,eval_r2\n");
    ck_assert(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "3,0.081250,0.100000,0.953100,12.4400,48211.4,0.0125,0.0000,,,\n");
    ck_assert(fgets(line, sizeof line, f));
    ck_assert(strncmp(line, "4,", 2) == 0);
    ck_assert(fgets(line, sizeof line, f) == NULL);
    fclose(f);
    /* A resumed run appends its rows, under the one header. */
    ck_assert(report_open(&r, path, 1, 1, &err) == 0);
    s.epoch = 5;
    report_epoch(&r, &s);
    ck_assert(report_close(&r, &err) == 0);
    f = fopen(path, "r");
    int lines = 0, headers = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        headers += strncmp(line, "epoch,", 6) == 0;
    }
    fclose(f);
    ck_assert_int_eq(lines, 4);
    ck_assert_int_eq(headers, 1);
    unlink(path);
}
END_TEST

START_TEST(test_unwritable_metrics_path)
{
    report_t r;
    err_t err;
    ck_assert_int_eq(report_open(&r, "/nonexistent-dir/m.csv", 1, 0, &err), -1);
    ck_assert(strstr(err.msg, "/nonexistent-dir/m.csv") != NULL);
    ck_assert_int_eq(err.code, ERR_RUNTIME);
}
END_TEST

TU_MAIN("report", test_epoch_line, test_metrics_file, test_unwritable_metrics_path)
