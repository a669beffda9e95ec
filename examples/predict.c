/* predict: load an nntrain model and predict rows of numbers read from
 * standard input (one row per line, the model's features separated by
 * spaces or commas), printing each row's outputs and, for a classifier,
 * its class. Built against the installed library:
 *
 *     cc predict.c $(pkg-config --cflags --libs nntrain) -o predict
 *     echo "5.1 3.5 1.4 0.2" | ./predict iris.model
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nntrain.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL < ROWS\n", argv[0]);
        return 2;
    }
    nnt_model *m;
    if (nnt_model_load(argv[1], &m) != NNT_OK) {
        fprintf(stderr, "predict: %s\n", nnt_last_error());
        return 1;
    }
    size_t d = nnt_model_n_features(m), k = nnt_model_n_outputs(m);
    float *x = malloc(d * sizeof *x), *out = malloc(k * sizeof *out);
    char line[1 << 16];
    int rc = 0;
    while (x && out && fgets(line, sizeof line, stdin)) {
        size_t n = 0;
        for (char *tok = strtok(line, " ,\t\n"); tok && n < d; tok = strtok(NULL, " ,\t\n"))
            x[n++] = strtof(tok, NULL);
        if (n != d || nnt_predict(m, x, 1, d, out) != NNT_OK) {
            fprintf(stderr, "predict: %s\n", n != d ? "wrong number of values" : nnt_last_error());
            rc = 1;
            break;
        }
        size_t best = 0;
        for (size_t j = 0; j < k; j++) {
            printf("%s%g", j ? " " : "", out[j]);
            if (out[j] > out[best])
                best = j;
        }
        if (nnt_model_n_classes(m))
            printf("  -> %s", nnt_model_class_name(m, best));
        printf("\n");
    }
    free(x);
    free(out);
    nnt_model_free(m);
    return rc;
}
