/* csv_libcsv: the same file through Debian's libcsv (libcsv-dev), one
 * thread, to compare tokenizers (bench/csv_read.sh):
 *   csv_libcsv FILE tok     tokenize only (count fields and records)
 *   csv_libcsv FILE num     tokenize and convert every field (strtod into
 *                           a growing row-major double array)
 * libcsv reports no byte offset per field, so it cannot name line:column;
 * this measures only the speed. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

typedef struct {
    int convert;
    long long fields, records;
    double *vals;
    size_t n, cap;
} st;

static void on_field(void *s, size_t len, void *data)
{
    st *x = data;
    x->fields++;
    if (!x->convert)
        return;
    char buf[64];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 1 << 20;
        x->vals = realloc(x->vals, x->cap * sizeof *x->vals);
        if (!x->vals)
            exit(3);
    }
    x->vals[x->n++] = strtod(buf, NULL);
}

static void on_record(int c, void *data)
{
    (void)c;
    ((st *)data)->records++;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    st x = {0};
    x.convert = strcmp(argv[2], "num") == 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    gzFile f = gzopen(argv[1], "rb");
    if (!f)
        return 2;
    static char buf[1 << 20];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0)
        if (csv_parse(&p, buf, (size_t)n, on_field, on_record, &x) != (size_t)n) {
            fprintf(stderr, "libcsv: %s\n", csv_strerror(csv_error(&p)));
            return 2;
        }
    csv_fini(&p, on_field, on_record, &x);
    csv_free(&p);
    gzclose(f);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("libcsv %s: %lld records, %lld fields in %.3f s\n", argv[2], x.records, x.fields,
           (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec));
    free(x.vals);
    return 0;
}
