/* model: see include/model.h for the file layout.
 *
 * Every multi-byte value is written byte by byte with shifts, so a model
 * saved on one machine loads bitwise-identically on any other, whatever its
 * endianness. Parameters stream through a small buffer in both directions:
 * saving or loading never needs a second copy of a large network. */
#define _POSIX_C_SOURCE 200809L /* fileno, fseeko */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "fsx.h"
#include "le.h"

#define MODEL_MAGIC_LEN 8
#define CHUNK_FLOATS 4096 /* params converted per fwrite/fread (16 KB of stack) */

/* Header bytes (everything before params) for L layers. */
static size_t header_len(int L)
{
    return MODEL_MAGIC_LEN + 4 + 4 + 4 * (size_t)(L + 1) + 4 * (size_t)L + 4 + 8;
}

/* Encodes the header into h (header_len(L) bytes). */
static void encode_header(unsigned char *h, const net_t *net, uint32_t version)
{
    int L = net->n_layers;
    memcpy(h, MODEL_MAGIC, MODEL_MAGIC_LEN);
    unsigned char *p = h + MODEL_MAGIC_LEN;
    le_put_u32(p, version);
    le_put_u32(p + 4, (uint32_t)L);
    p += 8;
    for (int i = 0; i <= L; i++, p += 4)
        le_put_u32(p, (uint32_t)net->sizes[i]);
    for (int l = 0; l < L; l++, p += 4)
        le_put_u32(p, (uint32_t)net->act[l]);
    le_put_u32(p, (uint32_t)net->cost);
    le_put_u64(p + 4, (uint64_t)net->n_params);
}

/* ---- saving -------------------------------------------------------------- */

/* Writes bytes to f, adding them to the running checksums crc[0..n_crc). */
static int put(FILE *f, const void *b, size_t n, uLong *crc, int n_crc)
{
    for (int i = 0; i < n_crc; i++)
        crc[i] = crc32(crc[i], b, (uInt)n);
    return fwrite(b, 1, n, f) == n ? 0 : -1;
}

int model_write_with(FILE *f, const net_t *net, const uint8_t *extra, size_t extra_len,
                     uint32_t *outer_crc)
{
    /* crc[0] is the model's own checksum; crc[1], when asked for, that of
     * an enclosing file (a checkpoint), which covers the tail too. */
    uLong crc[2] = {crc32(0L, Z_NULL, 0), outer_crc ? *outer_crc : 0};
    int n_crc = outer_crc ? 2 : 1;
    unsigned char h[256];
    size_t hl = header_len(net->n_layers);
    /* Version 1 without a section: an image model's bytes never change. */
    encode_header(h, net, extra ? 2 : 1);
    if (put(f, h, hl, crc, n_crc) != 0)
        return -1;

    unsigned char buf[4 * CHUNK_FLOATS];
    for (size_t done = 0; done < net->n_params;) {
        size_t n = net->n_params - done;
        if (n > CHUNK_FLOATS)
            n = CHUNK_FLOATS;
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &net->params[done + i], 4); /* the float's exact bits */
            le_put_u32(buf + 4 * i, bits);
        }
        if (put(f, buf, 4 * n, crc, n_crc) != 0)
            return -1;
        done += n;
    }
    if (extra) {
        unsigned char len[4];
        le_put_u32(len, (uint32_t)extra_len);
        if (put(f, len, 4, crc, n_crc) != 0 || put(f, extra, extra_len, crc, n_crc) != 0)
            return -1;
    }
    unsigned char tail[4];
    le_put_u32(tail, (uint32_t)crc[0]);
    if (fwrite(tail, 1, 4, f) != 4)
        return -1;
    if (outer_crc)
        *outer_crc = (uint32_t)crc32(crc[1], tail, 4);
    return 0;
}

int model_write(FILE *f, const net_t *net, uint32_t *outer_crc)
{
    return model_write_with(f, net, NULL, 0, outer_crc);
}

long long model_file_size(const net_t *net)
{
    return (long long)header_len(net->n_layers) + 4 * (long long)net->n_params + 4;
}

typedef struct {
    const net_t *net;
    const uint8_t *extra;
    size_t extra_len;
} whole_model;

static int write_whole_model(FILE *f, const void *user)
{
    const whole_model *m = user;
    return model_write_with(f, m->net, m->extra, m->extra_len, NULL);
}

int model_save_with(const char *path, const net_t *net, const uint8_t *extra, size_t extra_len,
                    err_t *err)
{
    if (net->n_layers < 1 || net->n_layers > NET_MAX_LAYERS || !net->params)
        return err_set(err, ERR_RUNTIME, "%s: cannot save: the network is not set up", path);
    if (extra && extra_len > MODEL_MAX_EXTRA)
        return err_set(err, ERR_RUNTIME, "%s: cannot save: a %zu-byte data section (at most %d)",
                       path, extra_len, MODEL_MAX_EXTRA);
    whole_model m = {net, extra, extra_len};
    return fsx_write_atomic(path, "model", write_whole_model, &m, err);
}

int model_save(const char *path, const net_t *net, err_t *err)
{
    return model_save_with(path, net, NULL, 0, err);
}

/* ---- loading ------------------------------------------------------------- */

/* The header's fields, decoded and range-checked. */
typedef struct {
    uint32_t version;
    int n_layers;
    int sizes[NET_MAX_LAYERS + 1];
    net_act act[NET_MAX_LAYERS];
    net_cost cost;
    uint64_t n_params;
} header;

/* "784-30-10", for messages. */
static void sizes_str(char *buf, size_t cap, const int *sizes, int L)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i <= L && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? "-%d" : "%d", sizes[i]);
}

static int truncated_header(const char *path, long long size, err_t *err)
{
    return err_set(err, ERR_INPUT, "%s: truncated: the file is %lld bytes and ends inside the header",
                   path, size);
}

/* Decodes and checks the header from the first have bytes of the file (have
 * is all of it when the file is shorter than the longest header). */
static int parse_header(const char *path, const unsigned char *b, size_t have,
                        long long size, header *hd, err_t *err)
{
    size_t magic_have = have < MODEL_MAGIC_LEN ? have : MODEL_MAGIC_LEN;
    if (memcmp(b, MODEL_MAGIC, magic_have) != 0)
        return err_set(err, ERR_INPUT, "%s: not an nntrain model (bad magic)", path);
    if (have < MODEL_MAGIC_LEN + 8)
        return truncated_header(path, size, err);

    uint32_t version = le_get_u32(b + 8);
    if (version > MODEL_VERSION)
        return err_set(err, ERR_INPUT,
                       "%s: model format version %u is newer than this nntrain reads (%d)",
                       path, version, MODEL_VERSION);
    if (version < 1)
        return err_set(err, ERR_INPUT, "%s: model format version %u is invalid (expected 1 to %d)",
                       path, version, MODEL_VERSION);
    hd->version = version;

    uint32_t L = le_get_u32(b + 12);
    if (L < 1 || L > NET_MAX_LAYERS)
        return err_set(err, ERR_INPUT, "%s: the model has %u layers; expected 1 to %d",
                       path, L, NET_MAX_LAYERS);
    hd->n_layers = (int)L;
    size_t hl = header_len((int)L);
    if (have < hl)
        return truncated_header(path, size, err);

    const unsigned char *p = b + 16;
    for (uint32_t i = 0; i <= L; i++, p += 4) {
        uint32_t s = le_get_u32(p);
        if (s < 1 || s > NET_MAX_UNITS)
            return err_set(err, ERR_INPUT, "%s: layer size %u is %u; expected 1 to %d",
                           path, i, s, NET_MAX_UNITS);
        hd->sizes[i] = (int)s;
    }
    for (uint32_t l = 0; l < L; l++, p += 4) {
        uint32_t a = le_get_u32(p);
        if (a >= ACT_COUNT)
            return err_set(err, ERR_INPUT, "%s: layer %u has unknown activation %u (expected 0 to %d)",
                           path, l + 1, a, ACT_COUNT - 1);
        hd->act[l] = (net_act)a;
    }
    uint32_t c = le_get_u32(p);
    p += 4;
    if (c >= COST_COUNT)
        return err_set(err, ERR_INPUT, "%s: unknown cost %u (expected 0 to %d)",
                       path, c, COST_COUNT - 1);
    hd->cost = (net_cost)c;

    /* Sizes are <= NET_MAX_UNITS and there are <= NET_MAX_LAYERS of them:
     * this sum cannot overflow 64 bits. */
    uint64_t want = 0;
    for (int l = 0; l < hd->n_layers; l++)
        want += (uint64_t)hd->sizes[l + 1] * ((uint64_t)hd->sizes[l] + 1);
    hd->n_params = le_get_u64(p);
    if (hd->n_params != want) {
        char ss[256];
        sizes_str(ss, sizeof ss, hd->sizes, hd->n_layers);
        return err_set(err, ERR_INPUT, "%s: n_params is %llu but layer sizes %s need %llu",
                       path, (unsigned long long)hd->n_params, ss, (unsigned long long)want);
    }
    return 0;
}

/* Reads n bytes at the current position into crc. Returns 0, or -1 on a
 * short read. */
static int crc_stream(FILE *f, long long n, uLong *crc)
{
    unsigned char buf[4 * CHUNK_FLOATS];
    while (n > 0) {
        size_t want = n > (long long)sizeof buf ? sizeof buf : (size_t)n;
        if (fread(buf, 1, want, f) != want)
            return -1;
        *crc = crc32(*crc, buf, (uInt)want);
        n -= (long long)want;
    }
    return 0;
}

/* Reads n_params little-endian floats at the current position. */
static int read_params(FILE *f, float *params, size_t n_params)
{
    unsigned char buf[4 * CHUNK_FLOATS];
    for (size_t done = 0; done < n_params;) {
        size_t n = n_params - done;
        if (n > CHUNK_FLOATS)
            n = CHUNK_FLOATS;
        if (fread(buf, 1, 4 * n, f) != 4 * n)
            return -1;
        for (size_t i = 0; i < n; i++) {
            uint32_t bits = le_get_u32(buf + 4 * i);
            memcpy(&params[done + i], &bits, 4);
        }
        done += n;
    }
    return 0;
}

int model_read_with(FILE *f, const char *path, long long size, net_t *net, uint8_t **extra,
                    size_t *extra_len, err_t *err)
{
    memset(net, 0, sizeof *net);
    if (extra)
        *extra = NULL, *extra_len = 0;
    uint8_t *x = NULL;
    off_t base = ftello(f);
    if (base < 0)
        return err_set(err, ERR_RUNTIME, "%s: cannot read: %s", path, strerror(errno));

    /* The header is small: read all of it (or the whole image, if shorter)
     * and check every field before any large allocation. */
    unsigned char hb[256];
    size_t hmax = header_len(NET_MAX_LAYERS);
    size_t have = size < (long long)hmax ? (size_t)size : hmax;
    if (fread(hb, 1, have, f) != have)
        goto read_error;
    header hd;
    if (parse_header(path, hb, have, size, &hd, err) < 0)
        goto fail;

    /* Version 2: the data section's length follows the parameters. */
    size_t hl = header_len(hd.n_layers);
    long long params_end = (long long)hl + 4 * (long long)hd.n_params;
    long long x_len = 0;
    if (hd.version >= 2) {
        unsigned char lb[4];
        if (size < params_end + 8) {
            err_set(err, ERR_INPUT, "%s: truncated: the file is %lld bytes and ends before its "
                    "data section", path, size);
            goto fail;
        }
        if (fseeko(f, base + (off_t)params_end, SEEK_SET) != 0 || fread(lb, 1, 4, f) != 4)
            goto read_error;
        x_len = le_get_u32(lb);
        if (x_len > MODEL_MAX_EXTRA) {
            err_set(err, ERR_INPUT, "%s: a data section of %lld bytes (at most %d): corrupt",
                    path, x_len, MODEL_MAX_EXTRA);
            goto fail;
        }
    }
    /* The length must be exact: a short file is truncated, a long one has
     * something appended, and both mean it is not what was saved. */
    long long want = params_end + (hd.version >= 2 ? 4 + x_len : 0) + 4;
    if (size != want) {
        err_set(err, ERR_INPUT, "%s: %s: header says %llu params = %lld bytes, file has %lld",
                path, size < want ? "truncated" : "trailing bytes",
                (unsigned long long)hd.n_params, want, size);
        goto fail;
    }

    /* Checksum over everything before the stored crc, streamed. */
    uLong crc = crc32(0L, Z_NULL, 0);
    unsigned char tail[4];
    if (fseeko(f, base, SEEK_SET) != 0 || crc_stream(f, want - 4, &crc) < 0 ||
        fread(tail, 1, 4, f) != 4)
        goto read_error;
    if ((uint32_t)crc != le_get_u32(tail)) {
        err_set(err, ERR_INPUT, "%s: checksum mismatch (file is corrupt)", path);
        goto fail;
    }

    /* Fields are each in range; net_create checks how they combine (e.g.
     * softmax on a hidden layer). Its message gets the file name. */
    err_t e;
    err_clear(&e);
    if (net_create(net, hd.n_layers, hd.sizes, hd.act, hd.cost, &e) < 0) {
        err_set(err, e.code, "%s: %s", path, e.msg);
        goto fail;
    }
    if (fseeko(f, base + (off_t)hl, SEEK_SET) != 0 || read_params(f, net->params, net->n_params) < 0)
        goto read_error;
    if (hd.version >= 2 && extra) {
        x = malloc(x_len > 0 ? (size_t)x_len : 1);
        if (!x) {
            err_set(err, ERR_RUNTIME, "%s: out of memory for the data section", path);
            goto fail;
        }
        if (fseeko(f, base + (off_t)params_end + 4, SEEK_SET) != 0 ||
            fread(x, 1, (size_t)x_len, f) != (size_t)x_len)
            goto read_error;
        *extra = x;
        *extra_len = (size_t)x_len;
    }
    if (fseeko(f, base + (off_t)want, SEEK_SET) != 0)
        goto read_error;
    return 0;

read_error:
    /* A short read here means the file changed while we read it. */
    err_set(err, ERR_RUNTIME, "%s: cannot read: %s", path,
            ferror(f) ? strerror(errno) : "file changed size while reading");
fail:
    free(x);
    if (extra)
        *extra = NULL, *extra_len = 0;
    net_free(net);
    memset(net, 0, sizeof *net);
    return -1;
}

int model_read(FILE *f, const char *path, long long size, net_t *net, err_t *err)
{
    return model_read_with(f, path, size, net, NULL, NULL, err);
}

int model_load_with(const char *path, net_t *net, uint8_t **extra, size_t *extra_len,
                    err_t *err)
{
    memset(net, 0, sizeof *net);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));

    struct stat st;
    int rc = -1;
    if (fstat(fileno(f), &st) != 0)
        err_set(err, ERR_RUNTIME, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        err_set(err, ERR_INPUT, "%s: not a regular file (expected an nntrain model file)", path);
    else
        rc = model_read_with(f, path, (long long)st.st_size, net, extra, extra_len, err);
    fclose(f);
    return rc;
}

int model_load(const char *path, net_t *net, err_t *err)
{
    return model_load_with(path, net, NULL, NULL, err);
}
