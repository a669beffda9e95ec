/* cmd_predict: `nntrain predict -m MODEL FILE...`: the predicted class and
 * the output activations of each image of an IDX file or a PGM image. The
 * command table in src/main.c has checked the options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "eval.h"
#include "idx.h"
#include "model.h"
#include "net.h"
#include "pgm.h"

static void print_prediction(const char *name, long long i, const net_t *net, const float *out,
                             int all_digits)
{
    int n = net->sizes[net->n_layers];
    if (i >= 0)
        printf("%s[%lld]: %d ", name, i, eval_argmax(out, n));
    else
        printf("%s: %d ", name, eval_argmax(out, n));
    for (int j = 0; j < n; j++)
        printf(all_digits ? " %.9g" : " %.4f", out[j]);
    printf("\n");
}

/* One file: a PGM image (starts with 'P') or an IDX file of images. */
static int predict_file(const net_t *net, net_ws *ws, float *x, const char *path, int all_digits,
                        err_t *err)
{
    int n_in = net->sizes[0];
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: %s", path, strerror(errno));
    int first = fgetc(f);
    fclose(f);
    if (first == 'P') {
        int rows, cols;
        uint8_t *px;
        if (pgm_read(path, &rows, &cols, &px, err) != 0)
            return -1;
        if (rows * cols != n_in) {
            free(px);
            return err_set(err, ERR_INPUT, "%s: image is %dx%d = %d pixels; the model takes %d inputs",
                           path, rows, cols, rows * cols, n_in);
        }
        dataset_scale_pixels(px, n_in, x);
        free(px);
        net_forward(net, ws, x, 1);
        print_prediction(path, -1, net, net_output(net, ws), all_digits);
        return 0;
    }
    idx_array a;
    if (idx_read(path, &a, err) != 0)
        return -1;
    long long per = a.ndims > 1 ? a.count / a.dims[0] : a.count;
    if (per != n_in) {
        idx_array_free(&a);
        return err_set(err, ERR_INPUT, "%s: each image has %lld values; the model takes %d inputs",
                       path, per, n_in);
    }
    long long n = a.ndims > 1 ? a.dims[0] : 1;
    for (long long i = 0; i < n; i++) {
        dataset_scale_pixels(a.data + i * n_in, n_in, x);
        net_forward(net, ws, x, 1);
        print_prediction(path, i, net, net_output(net, ws), all_digits);
    }
    idx_array_free(&a);
    return 0;
}

int cmd_predict(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    net_t net = {0};
    net_ws ws = {0};
    float *x = NULL;
    int rc = 0;
    if (model_load(o->model, &net, &err) != 0 || net_ws_create(&ws, &net, 1, &err) != 0)
        goto fail;
    x = malloc((size_t)net.sizes[0] * sizeof *x);
    if (!x) {
        err_set(&err, ERR_RUNTIME, "out of memory");
        goto fail;
    }
    for (int i = 0; i < o->n_files; i++)
        if (predict_file(&net, &ws, x, o->files[i], o->all_digits, &err) != 0)
            goto fail;
    goto done;
fail:
    rc = cli_fail(&err);
done:
    free(x);
    net_ws_free(&ws);
    net_free(&net);
    return rc;
}

