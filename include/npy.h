/* npy: reading NumPy .npy files and .npz archives (never unpickling).
 *
 * .npy (NEP 1, numpy/lib/format.py): "\x93NUMPY", version major.minor
 * (1.0: a 2-byte little-endian header length; 2.0 and 3.0: 4 bytes), then
 * an ASCII Python dict literal {'descr': '<f8', 'fortran_order': False,
 * 'shape': (n, d), } padded with spaces and '\n', then the data in C order.
 * Taken: descr f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, byte order '<' '>' '|'
 * (or '=', native); 1-D arrays as they are, 2-D and higher as
 * (shape[0], product of the rest). Refused, with a message naming the file:
 * a bad magic or version, a header that is not exactly such a dict (keys
 * missing, repeated or extra), Fortran order, object ('O') and structured
 * (a list) or any other dtype, a 0-d array, a shape whose byte count
 * overflows or disagrees with the file size (truncated or trailing bytes).
 * int64/uint64 values beyond 2^53 are rounded to the nearest double.
 *
 * .npz: a zip archive of .npy members (np.savez: stored; np.savez_compressed:
 * deflated; zip64 records for big members). The central directory is read
 * (zip64 too), the member found by name ("X" finds "X.npy"), inflated with
 * zlib's raw inflate (sizes bounded: at most 1032x the compressed size),
 * and its CRC-32 checked. Encrypted, split or other-method archives are
 * refused. Memory: the member's bytes plus the doubles. */
#ifndef NNTRAIN_NPY_H
#define NNTRAIN_NPY_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "table.h"

#define NPY_MAX_HEADER 65536   /* bytes of header dict accepted */
#define NPY_MAX_DIMS 32
#define NPY_MAX_COLS 100000    /* columns of a table made from X (as CSV_MAX_COLS) */
#define NPZ_MAX_CENTRAL (64L << 20) /* bytes of zip central directory accepted */

/* One array as doubles, row-major: ndim 1 (shape[0] values) or 2
 * (shape[0] x shape[1]). */
typedef struct {
    int ndim;
    int64_t shape[2];
    double *data;          /* [shape[0] * (ndim == 2 ? shape[1] : 1)] */
    char source[512];      /* "FILE" or "FILE:MEMBER", for messages */
} npy_array;

/* Reads a .npy file. */
int npy_read(const char *path, npy_array *out, err_t *err);

/* Parses a .npy image held in memory; label names it in messages. */
int npy_parse(const char *label, const unsigned char *buf, size_t len, npy_array *out, err_t *err);

/* Reads the member called name (or name + ".npy") of the .npz at path. */
int npz_read(const char *path, const char *name, npy_array *out, err_t *err);

/* Whether the .npz at path has a member called name (or name + ".npy"):
 * *has 1 or 0. -1 (the message naming the file) when it cannot be read as
 * a zip archive. */
int npz_has(const char *path, const char *name, int *has, err_t *err);

void npy_array_free(npy_array *a);

/* A table from features X (n x d, or n) and optionally labels y (n, or
 * n x k): numeric columns "x0".."x{d-1}" then "y" (or "y0".."y{k-1}").
 * NaN is a missing cell; an infinite value is an error naming the array,
 * row and column. */
int npy_to_table(const npy_array *X, const npy_array *y, table *out, err_t *err);

/* npz_read of xname and yname (NULL: "X" and "y") then npy_to_table. */
int npz_read_xy(const char *path, const char *xname, const char *yname, table *out, err_t *err);

#endif
