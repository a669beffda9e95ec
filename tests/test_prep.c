/* Suite prep: what a table model learns of its data, checked against
 * values computed here by hand: standardisation and min-max on the
 * training rows only, one-hot categories (sorted; unseen ones all zeros),
 * each fill policy, class names in numeric order, regression targets and
 * their units; the model file's copy round-trips and refuses damage. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "prep.h"
#include "testutil.h"

/* A table of 6 rows: x numeric (row 4 missing), c text, k numeric class. */
static void make_table(table *t)
{
    static const float x[6] = {1, 2, 3, 4, NAN, 10};
    static const int32_t code[6] = {0, 1, 0, 2, 1, 0}; /* pear, apple, pear, fig, apple, pear */
    static const char *cats[3] = {"pear", "apple", "fig"};
    static const float k[6] = {10, 2, 10, 2, 2, 10};
    err_t err;
    ck_assert_int_eq(table_init(t, 3, &err), 0);
    t->n_rows = 6;
    t->cols[0].name = strdup("x");
    t->cols[0].num = malloc(sizeof x);
    memcpy(t->cols[0].num, x, sizeof x);
    t->cols[1].name = strdup("c");
    t->cols[1].kind = TABLE_TEXT;
    t->cols[1].code = malloc(6 * sizeof(int32_t));
    memcpy(t->cols[1].code, code, sizeof code);
    t->cols[1].n_cats = 3;
    t->cols[1].cats = malloc(3 * sizeof(char *));
    for (int i = 0; i < 3; i++)
        t->cols[1].cats[i] = strdup(cats[i]);
    t->cols[2].name = strdup("k");
    t->cols[2].num = malloc(sizeof k);
    memcpy(t->cols[2].num, k, sizeof k);
    ck_assert_int_eq(table_set_missing(t, 0, 4, &err), 0);
}

static const int64_t ALL[6] = {0, 1, 2, 3, 4, 5};
static const int64_t FIT[4] = {0, 1, 2, 3}; /* rows 4, 5 held out */

START_TEST(standard_scaling_on_the_training_rows_only)
{
    table t;
    make_table(&t);
    prep_t p;
    err_t err;
    prep_opts o = {.task = PREP_CLASSIFICATION, .scale = PREP_SCALE_STANDARD,
                   .missing = PREP_MISSING_MEDIAN};
    ck_assert_msg(prep_fit(&p, &t, FIT, 4, &o, &(prep_source){.name = "t.csv"}, &err) == 0, "%s", err.msg);
    /* x: mean 2.5, population sd sqrt(1.25) over rows 0..3; the 10 of row 5 unseen. */
    ck_assert_int_eq(p.n_features, 2);
    ck_assert_int_eq(p.n_inputs, 1 + 3);
    ck_assert(p.features[0].offset == 2.5);
    ck_assert(p.features[0].scale == sqrt(1.25));
    ck_assert(p.features[0].fill == 2.5); /* the median of 1, 2, 3, 4 */
    /* c: categories sorted by bytes; k: classes by value, 2 before 10. */
    ck_assert_int_eq(p.features[1].n_cats, 3);
    ck_assert_str_eq(p.features[1].cats[0], "apple");
    ck_assert_str_eq(p.features[1].cats[2], "pear");
    ck_assert_int_eq(p.n_classes, 2);
    ck_assert_str_eq(p.classes[0], "2");
    ck_assert_str_eq(p.classes[1], "10");

    dataset d;
    ck_assert_msg(prep_apply(&p, &t, ALL, 6, 1, &(prep_source){.name = "t.csv"}, &d, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(d.n, 6);
    ck_assert_int_eq(d.n_in, 4);
    const float *r4 = d.x + 4 * 4, *r5 = d.x + 5 * 4;
    ck_assert(r4[0] == (float)((2.5 - 2.5) / sqrt(1.25))); /* filled with the median */
    ck_assert(r5[0] == (float)((10 - 2.5) / sqrt(1.25)));
    ck_assert(r4[1] == 1 && r4[2] == 0 && r4[3] == 0);     /* apple */
    ck_assert(r5[1] == 0 && r5[2] == 0 && r5[3] == 1);     /* pear */
    ck_assert_int_eq(d.labels[0], 1);                      /* "10" */
    ck_assert_int_eq(d.labels[1], 0);                      /* "2" */
    dataset_free(&d);
    prep_free(&p);
    table_free(&t);
}
END_TEST

START_TEST(fill_policies_and_minmax)
{
    table t;
    make_table(&t);
    err_t err;
    prep_t p;
    prep_opts o = {.task = PREP_CLASSIFICATION, .scale = PREP_SCALE_MINMAX,
                   .missing = PREP_MISSING_ERROR};
    /* Refused by default, naming the file, the record and the column. */
    ck_assert_int_eq(prep_fit(&p, &t, ALL, 6, &o, &(prep_source){.name = "t.csv"}, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "t.csv: record 5, column 'x': missing value"));
    const struct {
        prep_missing m;
        double fill;
    } cases[] = {{PREP_MISSING_MEAN, 4.0}, {PREP_MISSING_MEDIAN, 3.0}, {PREP_MISSING_MOST_FREQUENT, 1.0}};
    for (int i = 0; i < 3; i++) {
        o.missing = cases[i].m;
        ck_assert_msg(prep_fit(&p, &t, ALL, 6, &o, &(prep_source){.name = "t.csv"}, &err) == 0, "%s", err.msg);
        ck_assert_msg(p.features[0].fill == cases[i].fill, "policy %d: fill %g", i, p.features[0].fill);
        ck_assert(p.features[0].offset == 1 && p.features[0].scale == 9); /* min 1, range 9 */
        ck_assert_int_eq(p.features[1].fill_cat, 2); /* pear, the most frequent */
        prep_free(&p);
    }
    table_free(&t);
}
END_TEST

START_TEST(regression_targets_in_their_units)
{
    table t;
    make_table(&t);
    err_t err;
    prep_t p;
    const char *labels[] = {"k"};
    const char *ignore[] = {"c"};
    prep_opts o = {.task = PREP_REGRESSION, .scale = PREP_SCALE_NONE, .missing = PREP_MISSING_MEAN,
                   .labels = labels, .n_labels = 1, .ignore = ignore, .n_ignore = 1};
    ck_assert_msg(prep_fit(&p, &t, FIT, 4, &o, &(prep_source){.name = "t.csv"}, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p.n_inputs, 1);
    ck_assert(p.y_offset[0] == 6 && p.y_scale[0] == 4); /* 10, 2, 10, 2 */
    dataset d;
    ck_assert_int_eq(prep_apply(&p, &t, ALL, 6, 1, &(prep_source){.name = "t.csv"}, &d, &err), 0);
    ck_assert(d.y[0] == 1.0f && d.y[1] == -1.0f);
    ck_assert(d.y_scale == p.y_scale);
    ck_assert(prep_target_value(&p, 0, 1.0) == 10.0);
    dataset_free(&d);
    prep_free(&p);
    /* Text is no regression target; a label column may be named by index. */
    const char *text[] = {"1"};
    o.labels = text;
    o.n_ignore = 0;
    ck_assert_int_eq(prep_fit(&p, &t, FIT, 4, &o, &(prep_source){.name = "t.csv"}, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "t.csv: record 1, column 'c': 'pear' is not a number "
                                          "(a regression target must be numbers"));
    table_free(&t);
}
END_TEST

START_TEST(bad_labels_and_columns)
{
    table t;
    make_table(&t);
    err_t err;
    prep_t p;
    prep_opts o = {.task = PREP_CLASSIFICATION, .missing = PREP_MISSING_MEAN};
    const int64_t same[2] = {0, 2}; /* both class 10 */
    ck_assert_int_eq(prep_fit(&p, &t, same, 2, &o, &(prep_source){.name = "t.csv"}, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "column 'k' has a single class 10"));
    const char *none[] = {"nope"};
    o.labels = none;
    o.n_labels = 1;
    ck_assert_int_eq(prep_fit(&p, &t, ALL, 6, &o, &(prep_source){.name = "t.csv"}, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "data.label 'nope': no such column (the columns: x, c, k)"));
    /* A class never seen in training, at apply. */
    o.labels = NULL;
    o.n_labels = 0;
    ck_assert_int_eq(prep_fit(&p, &t, FIT, 4, &o, &(prep_source){.name = "t.csv"}, &err), 0);
    t.cols[2].num[5] = 7;
    dataset d;
    ck_assert_int_eq(prep_apply(&p, &t, ALL, 6, 1, &(prep_source){.name = "u.csv"}, &d, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "u.csv: record 6, column 'k': class '7' was not seen"));
    ck_assert_ptr_null(d.x);
    /* Without the targets, the label column is not needed at all. */
    ck_assert_int_eq(prep_apply(&p, &t, ALL, 6, 0, &(prep_source){.name = "u.csv"}, &d, &err), 0);
    ck_assert_ptr_null(d.labels);
    dataset_free(&d);
    prep_free(&p);
    table_free(&t);
}
END_TEST

START_TEST(model_copy_round_trips_and_refuses_damage)
{
    table t;
    make_table(&t);
    err_t err;
    prep_t p, q;
    prep_opts o = {.task = PREP_CLASSIFICATION, .missing = PREP_MISSING_MOST_FREQUENT};
    ck_assert_int_eq(prep_fit(&p, &t, ALL, 6, &o, &(prep_source){.name = "t.csv"}, &err), 0);
    uint8_t *b, *b2;
    size_t n, n2;
    ck_assert_int_eq(prep_write(&p, &b, &n, &err), 0);
    ck_assert_msg(prep_read(&q, b, n, "m", &err) == 0, "%s", err.msg);
    ck_assert_int_eq(prep_write(&q, &b2, &n2, &err), 0);
    ck_assert_uint_eq(n, n2);
    ck_assert_mem_eq(b, b2, n);
    free(b2);
    prep_free(&q);
    /* Every truncation is refused; so is a byte too many. */
    for (size_t cut = 0; cut < n; cut++) {
        ck_assert_int_eq(prep_read(&q, b, cut, "m", &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "m: the preprocessing section is corrupt"));
    }
    uint8_t *longer = calloc(n + 1, 1);
    memcpy(longer, b, n);
    ck_assert_int_eq(prep_read(&q, longer, n + 1, "m", &err), -1);
    free(longer);
    /* Flipped bytes: refused, or (a name's letter) read as another valid
     * section; never a crash (the model file's crc refuses both first). */
    for (size_t i = 0; i < n; i++) {
        b[i] ^= 0x80;
        if (prep_read(&q, b, n, "m", &err) == 0)
            prep_free(&q);
        b[i] ^= 0x80;
    }
    free(b);
    prep_free(&p);
    table_free(&t);
}
END_TEST

/* prep_apply_consumed writes the inputs over the CSV reader's own rows
 * (its slab becomes the inputs: no fresh memory) when every feature is a
 * numeric column with no cell missing and the rows ascend, at least their
 * first half (a validation tail is made aside), and copies as prep_apply
 * does otherwise: the same inputs and targets, bit for bit, either way.
 * The label is the first column, as in MNIST written as CSV, and a
 * regression target sits between the features: the inputs are written
 * over both, so the targets must be taken first. Over a million cells,
 * so the threads share the work. */
START_TEST(consumed_tables_give_the_same_inputs)
{
    enum { R = 160000 };
    char *text = malloc((size_t)R * 112 + 64);
    size_t n = (size_t)sprintf(text, "label,a,y,b,c,t,m\n");
    for (int r = 0; r < R; r++) {
        char m[16] = "";
        if (r != 17)
            snprintf(m, sizeof m, "%d", r % 13);
        n += (size_t)sprintf(text + n, "%d,%.3f,%.4g,%d,%.6g,%s,%s\n", r % 3, r * 0.5 - 3.25,
                             r * 0.01 + (r % 5), (r * 7) % 11, (double)r * r * 1e-3, r % 2 ? "x" : "y", m);
    }
    const char *path = tu_path(0, "consumed.csv");
    tu_write_file(path, text, n);
    free(text);
    static const char *const label[] = {"label"}, *const target[] = {"y"},
                             *const abc[] = {"a", "b", "c"}, *const abcm[] = {"a", "b", "c", "m"},
                             *const at[] = {"a", "t"};
    int64_t *up = malloc(R * sizeof *up), *gaps = malloc(R * sizeof *gaps), *down = malloc(R * sizeof *down),
            *tail = malloc(R * sizeof *tail), *short_run = malloc(R * sizeof *short_run);
    int64_t n_gaps = 0, n_tail = 0;
    for (int r = 0; r < R; r++) {
        up[r] = r;
        down[r] = R - 1 - r;
        if (r % 3 != 1)
            gaps[n_gaps++] = r;
        if (r % 5 != 2) /* the training rows, then every fifth row: a validation tail */
            tail[n_tail++] = r;
        short_run[r] = r < R / 3 ? r : R - 1 - (r - R / 3); /* ascending for a third only */
    }
    for (int r = 2; r < R; r += 5)
        tail[n_tail++] = r;
    struct {
        const char *const *features;
        int n_features;
        const int64_t *rows;
        int64_t n;
        int regression;
        int in_place; /* the inputs take the slab's place */
    } cases[] = {
        {abc, 3, up, R, 0, 1},       {abc, 3, gaps, 0, 0, 1},  {abc, 3, down, R, 0, 0},
        {abcm, 4, up, R, 0, 0},      {at, 2, up, R, 0, 0},     {abc, 3, up + 5, 40, 0, 1},
        {abc, 3, tail, 0, 0, 1},     {abc, 3, short_run, R, 0, 0}, {abc, 3, up, R, 1, 1},
        {abc, 3, tail, 0, 1, 1},
    };
    cases[1].n = n_gaps;
    cases[6].n = cases[9].n = n_tail;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        table t, u;
        err_t err;
        ck_assert_msg(csv_read(path, NULL, &t, &err) == 0, "%s", err.msg);
        ck_assert_msg(csv_read(path, NULL, &u, &err) == 0, "%s", err.msg);
        prep_opts o = {.task = cases[k].regression ? PREP_REGRESSION : PREP_CLASSIFICATION,
                       .scale = PREP_SCALE_STANDARD, .missing = PREP_MISSING_MEAN,
                       .labels = cases[k].regression ? target : label, .n_labels = 1,
                       .features = cases[k].features, .n_features = cases[k].n_features};
        prep_t p;
        prep_source src = {.name = "consumed.csv"};
        ck_assert_msg(prep_fit(&p, &t, up, R, &o, &src, &err) == 0, "%s", err.msg);
        dataset want, got;
        ck_assert_msg(prep_apply(&p, &t, cases[k].rows, cases[k].n, 1, &src, &want, &err) == 0, "%s",
                      err.msg);
        const float *slab = u.slab;
        ck_assert_msg(prep_apply_consumed(&p, &u, cases[k].rows, cases[k].n, 1, &src, &got, &err) == 0,
                      "%s", err.msg);
        ck_assert_msg((got.x == slab) == cases[k].in_place, "case %zu: in place %d, want %d", k,
                      got.x == slab, cases[k].in_place);
        ck_assert_int_eq(got.n, want.n);
        ck_assert_int_eq(got.n_in, want.n_in);
        ck_assert_int_eq(got.n_targets, want.n_targets);
        ck_assert_mem_eq(got.x, want.x, (size_t)want.n * (size_t)want.n_in * sizeof *want.x);
        if (cases[k].regression)
            ck_assert_mem_eq(got.y, want.y, (size_t)want.n * (size_t)want.n_targets * sizeof *want.y);
        else
            ck_assert_mem_eq(got.labels, want.labels, (size_t)want.n);
        dataset_free(&want);
        dataset_free(&got);
        prep_free(&p);
        table_free(&t);
        table_free(&u);
    }
    free(up);
    free(gaps);
    free(down);
    free(tail);
    free(short_run);
}
END_TEST

TU_MAIN("prep", standard_scaling_on_the_training_rows_only, fill_policies_and_minmax,
        regression_targets_in_their_units, bad_labels_and_columns,
        model_copy_round_trips_and_refuses_damage, consumed_tables_give_the_same_inputs)
