/* cmd_eval: `nntrain eval -m MODEL`: the model's accuracy, mean cost and
 * confusion matrix on the config's test set (or --images/--labels). The
 * command table in src/main.c has checked the options. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "eval.h"
#include "idx.h"
#include "net.h"

/* Rows: true class, columns: predicted; by name when the model names its
 * classes, else by number. */
static void print_confusion(const eval_result *r, const cli_model *m)
{
    int n = r->n_classes, named = m->has_prep;
    printf("confusion matrix (rows: true class, columns: predicted)\n%*s", named ? 12 : 5, "");
    for (int j = 0; j < n; j++) {
        if (named)
            printf(" %8.8s", prep_class_name(&m->prep, j));
        else
            printf(" %5d", j);
    }
    printf("\n");
    for (int i = 0; i < n; i++) {
        if (named)
            printf("%12.12s", prep_class_name(&m->prep, i));
        else
            printf("%5d", i);
        for (int j = 0; j < n; j++)
            printf(named ? " %8lld" : " %5lld", r->confusion[(size_t)i * n + j]);
        printf("\n");
    }
}

int cmd_eval(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    cli_model m = {0};
    dataset d = {0};
    eval_result r = {0};
    int rc = 0, threads = 0;
    if (cli_load_model_and_data(o->config, o->overrides, o->n_overrides, o->data_dir, o->model,
                                o->images, o->labels, &m, &d, &threads, &err) != 0 ||
        eval_dataset(&m.net, &d, threads, d.labels != NULL, &r, &err) != 0)
        goto fail;
    if (d.labels) {
        printf("accuracy: %.2f%% (%d/%d), mean cost %.4f\n", 100.0 * r.accuracy, r.correct, r.n,
               r.mean_cost);
        if (r.n_classes <= 20)
            print_confusion(&r, &m);
    } else {
        printf("examples: %d, mean cost %.6g\n", r.n, r.mean_cost);
    }
    goto done;
fail:
    rc = cli_fail(&err);
done:
    eval_result_free(&r);
    cli_model_free(&m);
    dataset_free(&d);
    return rc;
}
