/* idx: see include/idx.h.
 *
 * Everything is read through zlib's gz* functions, which pass raw files
 * through unchanged, so "is it gzipped?" is decided by the bytes, never by
 * the file name. */
#include "idx.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fsx.h"

/* The largest data section accepted (2 GiB - 1): far beyond any image set
 * this program trains on, and it keeps every dim and count inside an int. */
#define IDX_MAX_BYTES 2147483647LL

/* gzread/gzwrite take an unsigned length; stay well below its limit. */
#define IDX_CHUNK (1u << 30)

/* The data buffer starts at this size (or the whole array, if smaller) and
 * doubles while data keeps coming. */
#define IDX_FIRST_ALLOC (1LL << 20)

/* Formats dims as "60000x28x28" for messages. */
static void dims_str(char *buf, size_t cap, int ndims, const long long *dims)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < ndims && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? "x%lld" : "%lld", dims[i]);
}

/* What an IDX type byte means, to say something useful when it is not 0x08. */
static const char *type_name(int t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default:   return "not a valid IDX type";
    }
}

/* zlib's message for the last gz error, without the "path: " prefix zlib
 * puts on it (our messages name the file already). */
static const char *gz_msg(gzFile f, const char *path, int *zerr)
{
    const char *msg = gzerror(f, zerr);
    size_t n = strlen(path);
    if (msg && strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    return msg && msg[0] ? msg : "unknown zlib error";
}

/* Appended to "truncated" messages: a gzip stream that stops mid-way ends
 * "cleanly" in zlib (a short read with Z_BUF_ERROR), not with an error. */
static const char *gz_cut_note(gzFile f)
{
    int zerr = Z_OK;
    gzerror(f, &zerr);
    return zerr == Z_BUF_ERROR ? " (the gzip stream itself ends early)" : "";
}

/* Reads up to n bytes; returns how many were read (fewer only at end of
 * data), or -1 with err filled when the stream is unreadable or corrupt. */
static long long gz_read_full(gzFile f, const char *path, void *buf, long long n,
                              err_t *err)
{
    long long got = 0;
    while (got < n) {
        long long want = n - got;
        unsigned chunk = want > IDX_CHUNK ? IDX_CHUNK : (unsigned)want;
        int r = gzread(f, (char *)buf + got, chunk);
        if (r < 0) {
            int zerr = Z_OK;
            const char *zmsg = gz_msg(f, path, &zerr);
            if (zerr == Z_ERRNO)
                return err_set(err, ERR_RUNTIME, "%s: cannot read: %s", path, strerror(errno));
            return err_set(err, ERR_INPUT, "%s: corrupt gzip data (zlib: %s)", path, zmsg);
        }
        if (r == 0)
            break;
        got += r;
    }
    return got;
}

/* Counts the bytes left in the stream (to report trailing garbage), or -1
 * with err filled when the rest of the stream is corrupt. Reading to the end
 * also makes zlib verify the gzip trailer's CRC and length. */
static long long gz_count_rest(gzFile f, const char *path, err_t *err)
{
    char buf[4096];
    long long total = 0;
    for (;;) {
        long long r = gz_read_full(f, path, buf, sizeof buf, err);
        if (r < 0)
            return -1;
        total += r;
        if (r < (long long)sizeof buf)
            return total;
    }
}

/* Parses and checks the header. On success fills out's ndims, dims, count. */
static int read_header(gzFile f, const char *path, idx_array *out, err_t *err)
{
    unsigned char magic[4];
    long long got = gz_read_full(f, path, magic, 4, err);
    if (got < 0)
        return -1;
    if (got < 4)
        return err_set(err, ERR_INPUT,
                       "%s: truncated: %lld bytes long, an IDX header is at least 8%s",
                       path, got, gz_cut_note(f));
    if (magic[0] != 0 || magic[1] != 0)
        return err_set(err, ERR_INPUT,
                       "%s: not an IDX file (magic bytes 0x%02x 0x%02x 0x%02x 0x%02x; "
                       "expected 0x00 0x00 0x08 then the dimension count)",
                       path, magic[0], magic[1], magic[2], magic[3]);
    if (magic[2] != 0x08)
        return err_set(err, ERR_INPUT,
                       "%s: IDX data type 0x%02X (%s) is unsupported; expected 0x08 (unsigned byte)",
                       path, magic[2], type_name(magic[2]));
    int ndims = magic[3];
    if (ndims < 1 || ndims > IDX_MAX_DIMS)
        return err_set(err, ERR_INPUT, "%s: IDX header has %d dimensions; expected 1 to %d",
                       path, ndims, IDX_MAX_DIMS);

    unsigned char raw[4 * IDX_MAX_DIMS];
    got = gz_read_full(f, path, raw, 4LL * ndims, err);
    if (got < 0)
        return -1;
    if (got < 4LL * ndims)
        return err_set(err, ERR_INPUT,
                       "%s: truncated: header says %d dimensions (%d bytes of sizes), file has %lld%s",
                       path, ndims, 4 * ndims, got, gz_cut_note(f));

    long long dims[IDX_MAX_DIMS];
    long long count = 1;
    for (int i = 0; i < ndims; i++) {
        const unsigned char *p = raw + 4 * i;
        dims[i] = (long long)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                              (uint32_t)p[2] << 8 | (uint32_t)p[3]);
        if (dims[i] == 0)
            return err_set(err, ERR_INPUT, "%s: IDX dimension %d is 0; expected a size > 0",
                           path, i + 1);
        /* count < 2^31 and dims[i] < 2^32 before the multiply: no overflow. */
        count *= dims[i];
        if (count > IDX_MAX_BYTES) {
            char ds[128];
            dims_str(ds, sizeof ds, i + 1, dims);
            return err_set(err, ERR_INPUT,
                           "%s: IDX array %s%s is too large (limit %lld bytes)",
                           path, ds, i + 1 < ndims ? "x..." : "", IDX_MAX_BYTES);
        }
    }
    out->ndims = ndims;
    for (int i = 0; i < ndims; i++)
        out->dims[i] = (int)dims[i]; /* each dim <= count <= INT_MAX */
    out->count = count;
    return 0;
}

int idx_read(const char *path, idx_array *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: cannot open: %s", path,
                       errno ? strerror(errno) : "out of memory");
    gzbuffer(f, 1 << 17);

    if (read_header(f, path, out, err) < 0)
        goto fail;

    /* The header's size is only a claim: the buffer grows as the data
     * arrives, so a corrupt or cut-off file is reported as truncated after
     * allocating about what it holds, never the (up to 2 GiB) claim. */
    long long cap = out->count < IDX_FIRST_ALLOC ? out->count : IDX_FIRST_ALLOC;
    long long got = 0;
    out->data = malloc((size_t)cap);
    for (;;) {
        if (!out->data) {
            err_set(err, ERR_RUNTIME, "%s: out of memory for %lld data bytes", path, cap);
            goto fail;
        }
        long long r = gz_read_full(f, path, out->data + got, cap - got, err);
        if (r < 0)
            goto fail;
        got += r;
        if (got < cap || cap == out->count)
            break; /* the end of the data, or all of it */
        cap = cap > out->count / 2 ? out->count : 2 * cap;
        uint8_t *p = realloc(out->data, (size_t)cap);
        if (!p)
            free(out->data);
        out->data = p;
    }
    char ds[128];
    long long dl[IDX_MAX_DIMS];
    for (int i = 0; i < out->ndims; i++)
        dl[i] = out->dims[i];
    dims_str(ds, sizeof ds, out->ndims, dl);
    if (got < out->count) {
        err_set(err, ERR_INPUT, "%s: truncated: header says %s = %lld data bytes, file has %lld%s",
                path, ds, out->count, got, gz_cut_note(f));
        goto fail;
    }
    long long extra = gz_count_rest(f, path, err);
    if (extra < 0)
        goto fail;
    if (extra > 0) {
        err_set(err, ERR_INPUT,
                "%s: trailing bytes: header says %s = %lld data bytes, file has %lld (%lld extra)",
                path, ds, out->count, out->count + extra, extra);
        goto fail;
    }
    /* The data is all there, but a gzip stream cut short inside its trailer
     * ends "cleanly" with Z_BUF_ERROR: its CRC was never checked. */
    int zerr = Z_OK;
    const char *zmsg = gz_msg(f, path, &zerr);
    if (zerr != Z_OK) {
        err_set(err, ERR_INPUT, "%s: truncated gzip stream (%s)", path, zmsg);
        goto fail;
    }
    int rc = gzclose(f);
    f = NULL;
    if (rc != Z_OK) {
        err_set(err, ERR_INPUT, "%s: cannot read: gzip close failed (zlib error %d)", path, rc);
        goto fail;
    }
    return 0;

fail:
    if (f)
        gzclose(f);
    idx_array_free(out);
    return -1;
}

void idx_array_free(idx_array *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- writing -------------------------------------------------------------- */

/* The 4 + 4*ndims header bytes; returns their count. */
static int make_header(unsigned char *h, int ndims, const int *dims)
{
    h[0] = 0;
    h[1] = 0;
    h[2] = 0x08;
    h[3] = (unsigned char)ndims;
    for (int i = 0; i < ndims; i++) {
        uint32_t d = (uint32_t)dims[i];
        h[4 + 4 * i + 0] = (unsigned char)(d >> 24);
        h[4 + 4 * i + 1] = (unsigned char)(d >> 16);
        h[4 + 4 * i + 2] = (unsigned char)(d >> 8);
        h[4 + 4 * i + 3] = (unsigned char)d;
    }
    return 4 + 4 * ndims;
}

/* The file idx_write writes: header and data, raw or gzipped. */
typedef struct {
    const unsigned char *h;
    int hlen;
    const uint8_t *data;
    long long count;
} idx_image;

static int write_raw(FILE *f, const void *user)
{
    const idx_image *im = user;
    return fwrite(im->h, 1, (size_t)im->hlen, f) == (size_t)im->hlen &&
                   fwrite(im->data, 1, (size_t)im->count, f) == (size_t)im->count
               ? 0
               : -1;
}

/* Deflates n bytes of in (finishing the stream when last) into f. */
static int deflate_to(z_stream *z, FILE *f, const void *in, size_t n, int last)
{
    unsigned char out[16384];
    z->next_in = (Bytef *)(uintptr_t)in; /* zlib's API is not const */
    z->avail_in = (uInt)n;
    int zrc;
    do {
        z->next_out = out;
        z->avail_out = sizeof out;
        zrc = deflate(z, last ? Z_FINISH : Z_NO_FLUSH);
        if (zrc == Z_STREAM_ERROR) {
            errno = 0;
            return -1;
        }
        size_t have = sizeof out - z->avail_out;
        if (fwrite(out, 1, have, f) != have)
            return -1;
    } while (z->avail_out == 0 || (last && zrc != Z_STREAM_END));
    return 0;
}

/* The gzip file gzopen(path, "wb") would write: default level and
 * strategy, no name, no time stamp. */
static int write_gz(FILE *f, const void *user)
{
    const idx_image *im = user;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, MAX_WBITS + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        errno = ENOMEM;
        return -1;
    }
    int rc = deflate_to(&z, f, im->h, (size_t)im->hlen, 0);
    for (long long done = 0; rc == 0 && done < im->count;) {
        long long left = im->count - done;
        size_t chunk = left > IDX_CHUNK ? IDX_CHUNK : (size_t)left;
        rc = deflate_to(&z, f, im->data + done, chunk, 0);
        done += (long long)chunk;
    }
    if (rc == 0)
        rc = deflate_to(&z, f, NULL, 0, 1);
    int saved = errno;
    deflateEnd(&z);
    errno = saved;
    return rc;
}

int idx_write(const char *path, int ndims, const int *dims, const uint8_t *data,
              int gz, err_t *err)
{
    if (ndims < 1 || ndims > IDX_MAX_DIMS)
        return err_set(err, ERR_INPUT, "%s: cannot write %d dimensions; expected 1 to %d",
                       path, ndims, IDX_MAX_DIMS);
    long long count = 1;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] <= 0)
            return err_set(err, ERR_INPUT, "%s: cannot write dimension %d of size %d; expected > 0",
                           path, i + 1, dims[i]);
        count *= dims[i];
        if (count > IDX_MAX_BYTES)
            return err_set(err, ERR_INPUT, "%s: array too large to write (limit %lld bytes)",
                           path, IDX_MAX_BYTES);
    }
    unsigned char h[4 + 4 * IDX_MAX_DIMS];
    int hlen = make_header(h, ndims, dims);
    idx_image im = {h, hlen, data, count};
    return fsx_write_atomic(path, gz ? "gzipped IDX file" : "IDX file", gz ? write_gz : write_raw,
                            &im, err);
}

/* ---- data sets ------------------------------------------------------------ */

int idx_load_dataset(const char *images_path, const char *labels_path,
                     int max_n, dataset *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    idx_array im, lb;
    if (idx_read(images_path, &im, err) < 0)
        return -1;
    if (idx_read(labels_path, &lb, err) < 0) {
        idx_array_free(&im);
        return -1;
    }
    if (im.ndims != 3) {
        err_set(err, ERR_INPUT,
                "%s: an image file must have 3 dimensions (count, rows, cols); this one has %d",
                images_path, im.ndims);
        goto fail;
    }
    if (lb.ndims != 1) {
        err_set(err, ERR_INPUT,
                "%s: a label file must have 1 dimension (count); this one has %d",
                labels_path, lb.ndims);
        goto fail;
    }
    if (im.dims[0] != lb.dims[0]) {
        err_set(err, ERR_INPUT, "image and label counts differ: %s has %d images, %s has %d labels",
                images_path, im.dims[0], labels_path, lb.dims[0]);
        goto fail;
    }

    int n = im.dims[0];
    size_t per = (size_t)im.dims[1] * (size_t)im.dims[2];
    if (max_n > 0 && max_n < n) {
        /* Shrinking cannot need more memory; if realloc still fails the old,
         * larger block is as good. */
        n = max_n;
        uint8_t *p = realloc(im.data, (size_t)n * per);
        if (p)
            im.data = p;
        p = realloc(lb.data, (size_t)n);
        if (p)
            lb.data = p;
    }
    out->n = n;
    out->rows = im.dims[1];
    out->cols = im.dims[2];
    out->n_in = out->rows * out->cols;
    out->images = im.data; /* ownership moves to out */
    out->labels = lb.data;
    return 0;

fail:
    idx_array_free(&im);
    idx_array_free(&lb);
    return -1;
}

