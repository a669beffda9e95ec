/* cmd_eval: `nntrain eval -m MODEL`: the model's accuracy, mean cost and
 * confusion matrix on the config's test set (or --images/--labels). The
 * command table in src/main.c has checked the options. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "eval.h"
#include "idx.h"
#include "net.h"

static void print_confusion(const eval_result *r)
{
    int n = r->n_classes;
    printf("confusion matrix (rows: true class, columns: predicted)\n     ");
    for (int j = 0; j < n; j++)
        printf(" %5d", j);
    printf("\n");
    for (int i = 0; i < n; i++) {
        printf("%5d", i);
        for (int j = 0; j < n; j++)
            printf(" %5lld", r->confusion[(size_t)i * n + j]);
        printf("\n");
    }
}

int cmd_eval(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    net_t net = {0};
    dataset d = {0};
    eval_result r = {0};
    int rc = 0, threads = 0;
    if (cli_load_model_and_data(o->config, o->overrides, o->n_overrides, o->data_dir, o->model,
                                o->images, o->labels, &net, &d, &threads, &err) != 0 ||
        eval_dataset(&net, &d, threads, 1, &r, &err) != 0)
        goto fail;
    printf("accuracy: %.2f%% (%d/%d), mean cost %.4f\n", 100.0 * r.accuracy, r.correct, r.n,
           r.mean_cost);
    if (r.n_classes <= 20)
        print_confusion(&r);
    goto done;
fail:
    rc = cli_fail(&err);
done:
    eval_result_free(&r);
    net_free(&net);
    dataset_free(&d);
    return rc;
}
