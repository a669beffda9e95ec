/* csv_gen: writes the two CSVs of bench/csv_read.sh (never committed).
 *
 *   csv_gen mnist IMAGES.gz LABELS.gz OUT.csv   MNIST as CSV: label,p0..p783
 *                                               (60,000 x 785, integers)
 *   csv_gen numeric ROWS COLS OUT.csv           ROWS x COLS random numbers
 *                                               like "-1.234567" (seeded) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "idx.h"

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "mnist") == 0) {
        dataset d;
        err_t err;
        if (idx_load_dataset(argv[2], argv[3], 0, &d, &err) < 0) {
            fprintf(stderr, "csv_gen: %s\n", err.msg);
            return 2;
        }
        FILE *f = fopen(argv[4], "w");
        if (!f)
            return 2;
        fputs("label", f);
        for (int j = 0; j < d.rows * d.cols; j++)
            fprintf(f, ",p%d", j);
        fputc('\n', f);
        for (int i = 0; i < d.n; i++) {
            fprintf(f, "%d", d.labels[i]);
            const unsigned char *p = d.images + (size_t)i * d.rows * d.cols;
            for (int j = 0; j < d.rows * d.cols; j++)
                fprintf(f, ",%d", p[j]);
            fputc('\n', f);
        }
        dataset_free(&d);
        return fclose(f) != 0;
    }
    if (argc == 5 && strcmp(argv[1], "numeric") == 0) {
        long rows = atol(argv[2]), cols = atol(argv[3]);
        FILE *f = fopen(argv[4], "w");
        if (!f)
            return 2;
        for (long j = 0; j < cols; j++)
            fprintf(f, j ? ",c%ld" : "c%ld", j);
        fputc('\n', f);
        unsigned long long s = 42;
        for (long i = 0; i < rows; i++) {
            for (long j = 0; j < cols; j++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                double v = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 20.0;
                fprintf(f, j ? ",%.6f" : "%.6f", v);
            }
            fputc('\n', f);
        }
        return fclose(f) != 0;
    }
    fprintf(stderr, "usage: csv_gen mnist IMAGES LABELS OUT | csv_gen numeric ROWS COLS OUT\n");
    return 2;
}
