/* reader: see include/reader.h. */
#include "reader.h"

#include <string.h>

#include "npy.h"

/* Whether name ends with suffix. */
static int ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && strcmp(name + n - k, suffix) == 0;
}

static int read_csv(const char *path, const reader_opts *o, table *out, err_t *err)
{
    return csv_read(path, &o->csv, out, err);
}

/* X from a .npy file; y (when asked for and named) from another. */
static int read_npy(const char *path, const reader_opts *o, table *out, err_t *err)
{
    npy_array x = {0}, y = {0};
    int want_y = o->with_labels == READER_WITH_LABELS && o->y_name && *o->y_name;
    int rc = npy_read(path, &x, err);
    if (rc == 0 && want_y)
        rc = npy_read(o->y_name, &y, err);
    if (rc == 0)
        rc = npy_to_table(&x, want_y ? &y : NULL, out, err);
    npy_array_free(&x);
    npy_array_free(&y);
    return rc;
}

/* X and y, members of one .npz. */
static int read_npz(const char *path, const reader_opts *o, table *out, err_t *err)
{
    npy_array x = {0}, y = {0};
    const char *y_name = o->y_name && *o->y_name ? o->y_name : "y";
    int want_y = o->with_labels == READER_WITH_LABELS;
    int rc = npz_read(path, o->x_name ? o->x_name : "X", &x, err);
    if (rc == 0 && o->with_labels == READER_LABELS_IF_PRESENT)
        rc = npz_has(path, y_name, &want_y, err);
    if (rc == 0 && want_y)
        rc = npz_read(path, y_name, &y, err);
    if (rc == 0)
        rc = npy_to_table(&x, want_y ? &y : NULL, out, err);
    npy_array_free(&x);
    npy_array_free(&y);
    return rc;
}

/* One row per format: the name's ending and its reader. */
static const struct {
    const char *suffix;
    int (*read)(const char *path, const reader_opts *o, table *out, err_t *err);
} READERS[] = {
    {".csv", read_csv}, {".csv.gz", read_csv}, {".tsv", read_csv}, {".tsv.gz", read_csv},
    {".txt", read_csv}, {".txt.gz", read_csv}, {".npy", read_npy}, {".npz", read_npz},
};

/* Whether path is read as CSV. */
static int is_csv(const char *path)
{
    for (size_t i = 0; i < sizeof READERS / sizeof READERS[0]; i++)
        if (ends_with(path, READERS[i].suffix) && READERS[i].read == read_csv)
            return 1;
    return 0;
}

int reader_each(const char *path, const reader_opts *o, csv_rows_fn fn, void *user, err_t *err)
{
    if (is_csv(path))
        return csv_read_each(path, &o->csv, fn, user, err);
    table t;
    if (reader_read(path, o, &t, err) != 0)
        return -1;
    int rc = fn(user, &t, err);
    table_free(&t);
    return rc;
}

int reader_read(const char *path, const reader_opts *o, table *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof READERS / sizeof READERS[0]; i++)
        if (ends_with(path, READERS[i].suffix))
            return READERS[i].read(path, o, out, err);
    return err_set(err, ERR_INPUT, "%s: unknown table format: expected a name ending in .csv, "
                   ".tsv, .txt (each also .gz), .npy or .npz", path);
}

int reader_locate(const char *path, const reader_opts *o, long long record, int32_t column,
                  long long *line, long long *col, err_t *err)
{
    if (!is_csv(path))
        return err_set(err, ERR_INPUT, "%s: not a text file: no lines to name", path);
    return csv_locate(path, &o->csv, record, column, line, col, err);
}
