/* idx: reading and writing IDX files (the MNIST format), raw or gzipped.
 *
 * An IDX file is: 2 zero bytes, a type byte (only 0x08 = unsigned byte is
 * used here), a dimension count d, d big-endian uint32 sizes, then the data.
 * Gzip is detected by content (zlib reads raw files transparently), not by
 * the file name. Every header field and the data length are checked. */
#ifndef NNTRAIN_IDX_H
#define NNTRAIN_IDX_H

#include <stdint.h>
#include "dataset.h"
#include "err.h"

#define IDX_MAX_DIMS 4

/* One IDX array of unsigned bytes. */
typedef struct {
    int ndims;
    int dims[IDX_MAX_DIMS];
    long long count; /* product of dims */
    uint8_t *data;   /* count bytes */
} idx_array;


/* Reads path (raw or gzip). Rejects: missing file, bad magic, a type other
 * than 0x08, 0 or > IDX_MAX_DIMS dims, a zero dim, truncated data, trailing
 * bytes. Messages name the file and what was expected. */
int idx_read(const char *path, idx_array *out, err_t *err);
void idx_array_free(idx_array *a);

/* Writes an unsigned-byte IDX file; gzipped when gz is non-zero (the bytes
 * gzopen would write). Atomic: fsx_write_atomic. */
int idx_write(const char *path, int ndims, const int *dims, const uint8_t *data,
              int gz, err_t *err);

/* Reads an image file (3 dims: n, rows, cols) and a label file (1 dim: n)
 * into a dataset of images and labels (dataset.h)
 * and checks they agree (same n) and labels are < 256 classes (any byte).
 * max_n > 0 keeps only the first max_n examples; 0 keeps all. */
int idx_load_dataset(const char *images_path, const char *labels_path,
                     int max_n, dataset *out, err_t *err);

#endif
