/* npy: see include/npy.h. */
#include "npy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

/* ---- the header ----------------------------------------------------------- */

typedef struct {
    char order;   /* '<' or '>' ('|' and '=' resolved) */
    char kind;    /* 'f' 'i' 'u' 'b' */
    int size;     /* bytes per item */
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    int64_t count;
} npy_header;

static int host_big(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 0;
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A quoted Python string at *pp into out (cap bytes); -1 if not one. */
static int py_string(const char **pp, const char *e, char *out, size_t cap)
{
    const char *p = *pp;
    if (p >= e || (*p != '\'' && *p != '"'))
        return -1;
    char q = *p++;
    size_t n = 0;
    while (p < e && *p != q) {
        if (*p == '\\' || n + 1 >= cap)
            return -1;
        out[n++] = *p++;
    }
    if (p >= e)
        return -1;
    out[n] = '\0';
    *pp = p + 1;
    return 0;
}

static int parse_descr(const char *d, npy_header *h, const char *src, err_t *err)
{
    char order = d[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return err_set(err, ERR_INPUT, "%s: dtype '%s' has no byte order ('<', '>' or '|')", src, d);
    char kind = d[1];
    if (kind == 'O')
        return err_set(err, ERR_INPUT,
                       "%s: dtype '%s' is an object array: refused (reading it would mean unpickling "
                       "Python objects; save numbers, e.g. X.astype(float))",
                       src, d);
    char *end;
    errno = 0;
    long size = kind ? strtol(d + 2, &end, 10) : 0;
    int ok = kind && d[2] >= '0' && d[2] <= '9' && *end == '\0' && errno == 0;
    ok = ok && ((kind == 'f' && (size == 4 || size == 8)) ||
                ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                (kind == 'b' && size == 1));
    if (!ok)
        return err_set(err, ERR_INPUT,
                       "%s: dtype '%s' is unsupported; expected float32/64 (f4 f8), int8..64 (i1 i2 i4 "
                       "i8), uint8..64 (u1 u2 u4 u8) or bool (b1)",
                       src, d);
    if (order == '|' && size != 1)
        return err_set(err, ERR_INPUT, "%s: dtype '%s': '|' (no byte order) is only for 1-byte types", src, d);
    if (order == '|' || order == '=')
        order = host_big() ? '>' : '<';
    h->order = order;
    h->kind = kind;
    h->size = (int)size;
    return 0;
}

/* Parses the header dict text[0..n). */
static int parse_dict(const char *text, size_t n, npy_header *h, const char *src, err_t *err)
{
    const char *p = text, *e = text + n;
    int have_descr = 0, have_fortran = 0, have_shape = 0;
    p = skip_ws(p, e);
    if (p >= e || *p != '{')
        return err_set(err, ERR_INPUT, "%s: header is not a Python dict (it does not start with '{')", src);
    p++;
    for (;;) {
        p = skip_ws(p, e);
        if (p < e && *p == '}') {
            p++;
            break;
        }
        char key[32];
        if (py_string(&p, e, key, sizeof key) < 0)
            return err_set(err, ERR_INPUT, "%s: header dict: expected a quoted key at byte %ld", src,
                           (long)(p - text));
        p = skip_ws(p, e);
        if (p >= e || *p != ':')
            return err_set(err, ERR_INPUT, "%s: header dict: expected ':' after '%s'", src, key);
        p = skip_ws(p + 1, e);
        if (strcmp(key, "descr") == 0) {
            if (have_descr++)
                return err_set(err, ERR_INPUT, "%s: header dict: 'descr' given twice", src);
            if (p < e && *p == '[')
                return err_set(err, ERR_INPUT,
                               "%s: structured dtype (a list of fields) is unsupported; save a plain "
                               "numeric array",
                               src);
            char d[64];
            if (py_string(&p, e, d, sizeof d) < 0)
                return err_set(err, ERR_INPUT, "%s: header dict: 'descr' is not a dtype string", src);
            if (parse_descr(d, h, src, err) < 0)
                return -1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (have_fortran++)
                return err_set(err, ERR_INPUT, "%s: header dict: 'fortran_order' given twice", src);
            if ((size_t)(e - p) >= 4 && memcmp(p, "True", 4) == 0)
                return err_set(err, ERR_INPUT,
                               "%s: Fortran-order array refused; save it in C order "
                               "(np.save(f, np.ascontiguousarray(X)))",
                               src);
            if ((size_t)(e - p) < 5 || memcmp(p, "False", 5) != 0)
                return err_set(err, ERR_INPUT, "%s: header dict: 'fortran_order' is not True or False", src);
            p += 5;
        } else if (strcmp(key, "shape") == 0) {
            if (have_shape++)
                return err_set(err, ERR_INPUT, "%s: header dict: 'shape' given twice", src);
            if (p >= e || *p != '(')
                return err_set(err, ERR_INPUT, "%s: header dict: 'shape' is not a tuple", src);
            p++;
            h->ndim = 0;
            for (;;) {
                p = skip_ws(p, e);
                if (p < e && *p == ')') {
                    p++;
                    break;
                }
                if (p >= e || *p < '0' || *p > '9')
                    return err_set(err, ERR_INPUT, "%s: header dict: 'shape' holds something other than sizes", src);
                int64_t v = 0;
                while (p < e && *p >= '0' && *p <= '9') {
                    if (v > (INT64_MAX - 9) / 10)
                        return err_set(err, ERR_INPUT, "%s: shape size too large", src);
                    v = v * 10 + (*p++ - '0');
                }
                if (p < e && *p == 'L')
                    p++;
                if (h->ndim == NPY_MAX_DIMS)
                    return err_set(err, ERR_INPUT, "%s: more than %d dimensions", src, NPY_MAX_DIMS);
                h->shape[h->ndim++] = v;
                p = skip_ws(p, e);
                if (p < e && *p == ',')
                    p++;
                else if (p < e && *p == ')') {
                    p++;
                    break;
                } else
                    return err_set(err, ERR_INPUT, "%s: header dict: bad 'shape' tuple", src);
            }
        } else {
            return err_set(err, ERR_INPUT, "%s: header dict: unexpected key '%s' (expected descr, "
                                           "fortran_order and shape)", src, key);
        }
        p = skip_ws(p, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        if (p < e && *p == '}') {
            p++;
            break;
        }
        return err_set(err, ERR_INPUT, "%s: header dict: expected ',' or '}' at byte %ld", src,
                       (long)(p - text));
    }
    p = skip_ws(p, e);
    if (p != e)
        return err_set(err, ERR_INPUT, "%s: header: text after the dict", src);
    if (!have_descr || !have_fortran || !have_shape)
        return err_set(err, ERR_INPUT, "%s: header dict lacks '%s'", src,
                       !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
    if (h->ndim == 0)
        return err_set(err, ERR_INPUT, "%s: a 0-d (scalar) array; expected 1 or 2 dimensions", src);
    /* count * size must not overflow: keep the byte count below 2^62 */
    int64_t count = 1;
    for (int i = 0; i < h->ndim; i++) {
        if (h->shape[i] != 0 && count > ((int64_t)1 << 62) / h->size / h->shape[i])
            return err_set(err, ERR_INPUT, "%s: shape too large: its byte count overflows", src);
        count *= h->shape[i];
    }
    h->count = count;
    return 0;
}

/* The fixed prefix: magic, version, header length. Returns the prefix
 * length (10 or 12) and sets *hlen, or -1. */
static int parse_prefix(const unsigned char *b, size_t n, uint32_t *hlen, const char *src, err_t *err)
{
    if (n < 10)
        return err_set(err, ERR_INPUT, "%s: truncated: %zu bytes, a .npy header is at least 10", src, n);
    if (memcmp(b, "\x93NUMPY", 6) != 0)
        return err_set(err, ERR_INPUT,
                       "%s: not a .npy file (bad magic: expected \\x93NUMPY, got %02x %02x %02x %02x %02x %02x)",
                       src, b[0], b[1], b[2], b[3], b[4], b[5]);
    int major = b[6], minor = b[7];
    if (minor != 0 || major < 1 || major > 3)
        return err_set(err, ERR_INPUT, "%s: .npy version %d.%d is unsupported (expected 1.0, 2.0 or 3.0)",
                       src, major, minor);
    if (major == 1) {
        *hlen = (uint32_t)b[8] | (uint32_t)b[9] << 8;
        return 10;
    }
    if (n < 12)
        return err_set(err, ERR_INPUT, "%s: truncated: %zu bytes, a version %d header is at least 12",
                       src, n, major);
    *hlen = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
    return 12;
}

static int check_hlen(uint32_t hlen, const char *src, err_t *err)
{
    if (hlen > NPY_MAX_HEADER)
        return err_set(err, ERR_INPUT, "%s: header of %u bytes is longer than the limit (%d)", src, hlen,
                       NPY_MAX_HEADER);
    return 0;
}

/* Converts count items at src into dst. */
static void convert(const npy_header *h, const unsigned char *src, int64_t count, double *dst)
{
    int swap = (h->order == '>') != host_big();
    for (int64_t i = 0; i < count; i++, src += h->size) {
        unsigned char b[8];
        for (int j = 0; j < h->size; j++)
            b[j] = src[swap ? h->size - 1 - j : j];
        double v;
        switch (h->kind * 16 + h->size) {
        case 'f' * 16 + 4: { float x; memcpy(&x, b, 4); v = x; break; }
        case 'f' * 16 + 8: memcpy(&v, b, 8); break;
        case 'i' * 16 + 1: { int8_t x; memcpy(&x, b, 1); v = x; break; }
        case 'i' * 16 + 2: { int16_t x; memcpy(&x, b, 2); v = x; break; }
        case 'i' * 16 + 4: { int32_t x; memcpy(&x, b, 4); v = x; break; }
        case 'i' * 16 + 8: { int64_t x; memcpy(&x, b, 8); v = (double)x; break; }
        case 'u' * 16 + 1: v = b[0]; break;
        case 'u' * 16 + 2: { uint16_t x; memcpy(&x, b, 2); v = x; break; }
        case 'u' * 16 + 4: { uint32_t x; memcpy(&x, b, 4); v = x; break; }
        case 'u' * 16 + 8: { uint64_t x; memcpy(&x, b, 8); v = (double)x; break; }
        default: v = b[0] != 0; break; /* bool */
        }
        dst[i] = v;
    }
}

static void shape_str(const npy_header *h, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < h->ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %lld" : "%lld", (long long)h->shape[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, h->ndim == 1 ? ",)" : ")");
}

/* Checks the data length against the header and sets out's shape and
 * allocates its data. */
static int size_check(const npy_header *h, uint64_t have, npy_array *out, const char *src, err_t *err)
{
    uint64_t want = (uint64_t)h->count * (uint64_t)h->size;
    char ss[128];
    shape_str(h, ss, sizeof ss);
    if (have < want)
        return err_set(err, ERR_INPUT,
                       "%s: truncated: header says shape %s of %d-byte items = %llu data bytes, file has %llu",
                       src, ss, h->size, (unsigned long long)want, (unsigned long long)have);
    if (have > want)
        return err_set(err, ERR_INPUT,
                       "%s: trailing bytes: header says shape %s of %d-byte items = %llu data bytes, file has "
                       "%llu (%llu extra)",
                       src, ss, h->size, (unsigned long long)want, (unsigned long long)have,
                       (unsigned long long)(have - want));
    out->ndim = h->ndim == 1 ? 1 : 2;
    out->shape[0] = h->shape[0];
    int64_t rest = 1;
    for (int i = 1; i < h->ndim; i++) {
        if (h->shape[i] != 0 && rest > INT64_MAX / h->shape[i])
            return err_set(err, ERR_INPUT, "%s: shape %s too large", src, ss);
        rest *= h->shape[i];
    }
    out->shape[1] = rest;
    out->data = malloc(h->count ? (size_t)h->count * sizeof(double) : 1);
    if (!out->data)
        return err_set(err, ERR_RUNTIME, "%s: out of memory for %lld values", src, (long long)h->count);
    return 0;
}

int npy_parse(const char *label, const unsigned char *buf, size_t len, npy_array *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->source, sizeof out->source, "%s", label);
    const char *src = out->source;
    uint32_t hlen;
    int pre = parse_prefix(buf, len, &hlen, src, err);
    if (pre < 0 || check_hlen(hlen, src, err) < 0)
        return -1;
    if (len - (size_t)pre < hlen)
        return err_set(err, ERR_INPUT, "%s: truncated: the header says it is %u bytes, %zu are there", src,
                       hlen, len - (size_t)pre);
    npy_header h;
    memset(&h, 0, sizeof h);
    if (parse_dict((const char *)buf + pre, hlen, &h, src, err) < 0)
        return -1;
    size_t off = (size_t)pre + hlen;
    if (size_check(&h, len - off, out, src, err) < 0)
        return -1;
    convert(&h, buf + off, h.count, out->data);
    return 0;
}

int npy_read(const char *path, npy_array *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->source, sizeof out->source, "%s", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    char *hdr = NULL;
    unsigned char *chunk = NULL;
    int rc = -1;
    if (fseeko(f, 0, SEEK_END) != 0) {
        err_set(err, ERR_INPUT, "%s: cannot seek: %s (a .npy must be a regular file)", path, strerror(errno));
        goto out;
    }
    off_t fsize = ftello(f);
    rewind(f);
    unsigned char pre[12];
    size_t got = fread(pre, 1, 12, f);
    uint32_t hlen;
    int pl = parse_prefix(pre, got, &hlen, path, err);
    if (pl < 0 || check_hlen(hlen, path, err) < 0)
        goto out;
    if ((uint64_t)fsize < (uint64_t)pl + hlen) {
        err_set(err, ERR_INPUT, "%s: truncated: the header says it is %u bytes, %lld are there", path, hlen,
                (long long)fsize - pl);
        goto out;
    }
    hdr = malloc(hlen + 1u);
    if (!hdr || fseeko(f, pl, SEEK_SET) != 0 || fread(hdr, 1, hlen, f) != hlen) {
        err_set(err, ERR_RUNTIME, "%s: cannot read the header", path);
        goto out;
    }
    npy_header h;
    memset(&h, 0, sizeof h);
    if (parse_dict(hdr, hlen, &h, path, err) < 0)
        goto out;
    if (size_check(&h, (uint64_t)fsize - pl - hlen, out, path, err) < 0)
        goto out;
    const int64_t per = (1 << 20) / h.size;
    chunk = malloc((size_t)per * (size_t)h.size);
    if (!chunk) {
        err_set(err, ERR_RUNTIME, "%s: out of memory", path);
        goto out;
    }
    for (int64_t done = 0; done < h.count;) {
        int64_t k = h.count - done < per ? h.count - done : per;
        if (fread(chunk, (size_t)h.size, (size_t)k, f) != (size_t)k) {
            err_set(err, ERR_INPUT, "%s: truncated while reading (the file shrank?)", path);
            goto out;
        }
        convert(&h, chunk, k, out->data + done);
        done += k;
    }
    rc = 0;
out:
    fclose(f);
    free(hdr);
    free(chunk);
    if (rc < 0) {
        free(out->data);
        out->data = NULL;
    }
    return rc;
}

void npy_array_free(npy_array *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- .npz ------------------------------------------------------------------ */

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int read_at(FILE *f, uint64_t off, void *buf, size_t n)
{
    if (off > (uint64_t)INT64_MAX || fseeko(f, (off_t)off, SEEK_SET) != 0)
        return -1;
    return fread(buf, 1, n, f) == n ? 0 : -1;
}

/* Where an archive's central directory lies, from its end record. */
typedef struct {
    uint64_t entries; /* members listed */
    uint64_t size;    /* bytes of the directory */
    uint64_t off;     /* its offset in the file */
} npz_dir;

/* One member as its central directory entry describes it. */
typedef struct {
    uint64_t csize, usize, off; /* compressed and uncompressed bytes; local header offset */
    uint32_t crc;
    int flags, method;
} npz_entry;

/* The file's size in *fsize; -1 unless it is seekable and 22+ bytes (an end record's size). */
static int zip_size(FILE *f, const char *path, uint64_t *fsize, err_t *err)
{
    if (fseeko(f, 0, SEEK_END) != 0)
        return err_set(err, ERR_INPUT, "%s: cannot seek (an .npz must be a regular file)", path);
    *fsize = (uint64_t)ftello(f);
    if (*fsize < 22)
        return err_set(err, ERR_INPUT, "%s: not a zip archive (%llu bytes; an .npz is a zip of .npy files)",
                       path, (unsigned long long)*fsize);
    return 0;
}

/* Finds the end-of-central-directory record in the last 64 KiB + 22 bytes: its 22 bytes into rec,
 * its offset into *eocd. */
static int find_eocd(FILE *f, const char *path, uint64_t fsize, unsigned char rec[22], uint64_t *eocd,
                     err_t *err)
{
    size_t tl = fsize < 65557 ? (size_t)fsize : 65557;
    unsigned char *tail = malloc(tl);
    if (!tail || read_at(f, fsize - tl, tail, tl) < 0) {
        free(tail);
        return err_set(err, ERR_INPUT, "%s: cannot read", path);
    }
    long eo = -1;
    for (long i = (long)tl - 22; i >= 0; i--)
        if (rd32(tail + i) == 0x06054b50 && (size_t)i + 22 + rd16(tail + i + 20) <= tl) {
            eo = i;
            break;
        }
    if (eo >= 0) {
        memcpy(rec, tail + eo, 22);
        *eocd = fsize - tl + (uint64_t)eo;
    }
    free(tail);
    if (eo < 0)
        return err_set(err, ERR_INPUT, "%s: not a zip archive (no end-of-central-directory record)", path);
    return 0;
}

/* Reads the zip64 locator before the end record at eocd and the zip64 record it points to: the
 * directory's 64-bit fields into dir, the zip64 record's offset (where the directory must end)
 * into *cd_end. */
static int read_zip64_dir(FILE *f, const char *path, uint64_t eocd, npz_dir *dir, uint64_t *cd_end,
                          err_t *err)
{
    unsigned char loc[20], z[56];
    if (eocd < 20 || read_at(f, eocd - 20, loc, 20) < 0 || rd32(loc) != 0x07064b50)
        return err_set(err, ERR_INPUT, "%s: zip64 archive without its zip64 locator", path);
    uint64_t zo = rd64(loc + 8);
    if (zo > eocd - 20 || eocd - 20 - zo < 56 || read_at(f, zo, z, 56) < 0 || rd32(z) != 0x06064b50)
        return err_set(err, ERR_INPUT, "%s: zip64 end-of-central-directory record missing or bad", path);
    dir->entries = rd64(z + 32);
    dir->size = rd64(z + 40);
    dir->off = rd64(z + 48);
    *cd_end = zo;
    return 0;
}

/* Locates the central directory (zip or zip64) and checks it lies inside the file and under
 * NPZ_MAX_CENTRAL bytes. */
static int locate_central(FILE *f, const char *path, npz_dir *dir, err_t *err)
{
    uint64_t fsize = 0, eocd = 0;
    unsigned char e[22] = {0};
    if (zip_size(f, path, &fsize, err) < 0 || find_eocd(f, path, fsize, e, &eocd, err) < 0)
        return -1;
    dir->entries = rd16(e + 10);
    dir->size = rd32(e + 12);
    dir->off = rd32(e + 16);
    if (rd16(e + 4) != 0 || rd16(e + 6) != 0)
        return err_set(err, ERR_INPUT, "%s: a split (multi-disk) zip archive is unsupported", path);
    uint64_t cd_end = eocd;
    if ((dir->entries == 0xFFFF || dir->size == 0xFFFFFFFF || dir->off == 0xFFFFFFFF) &&
        read_zip64_dir(f, path, eocd, dir, &cd_end, err) < 0)
        return -1;
    if (dir->off > cd_end || dir->size > cd_end - dir->off)
        return err_set(err, ERR_INPUT, "%s: zip central directory (offset %llu, %llu bytes) lies outside the file",
                       path, (unsigned long long)dir->off, (unsigned long long)dir->size);
    if (dir->size > NPZ_MAX_CENTRAL)
        return err_set(err, ERR_INPUT, "%s: zip central directory of %llu bytes is over the limit", path,
                       (unsigned long long)dir->size);
    return 0;
}

/* Reads the dir->size bytes of the central directory into a new buffer *cd. */
static int load_central(FILE *f, const char *path, const npz_dir *dir, unsigned char **cd, err_t *err)
{
    *cd = malloc(dir->size ? (size_t)dir->size : 1);
    if (!*cd || read_at(f, dir->off, *cd, (size_t)dir->size) < 0) {
        free(*cd);
        *cd = NULL;
        return err_set(err, ERR_INPUT, "%s: cannot read the zip central directory", path);
    }
    return 0;
}

/* The fields of the central directory entry c (46 fixed bytes, name of nl, extra of xl) into m;
 * a zip64 extra gives the 64-bit values of the fields that hold 0xFFFFFFFF. */
static void read_entry(const unsigned char *c, size_t nl, size_t xl, npz_entry *m)
{
    m->flags = rd16(c + 8);
    m->method = rd16(c + 10);
    m->crc = rd32(c + 16);
    m->csize = rd32(c + 20);
    m->usize = rd32(c + 24);
    m->off = rd32(c + 42);
    const unsigned char *x = c + 46 + nl, *xe = x + xl;
    while (xe - x >= 4) {
        unsigned id = rd16(x), sz = rd16(x + 2);
        if ((size_t)(xe - x - 4) < sz)
            break;
        if (id == 1) {
            const unsigned char *v = x + 4, *ve = v + sz;
            if (m->usize == 0xFFFFFFFF && ve - v >= 8) { m->usize = rd64(v); v += 8; }
            if (m->csize == 0xFFFFFFFF && ve - v >= 8) { m->csize = rd64(v); v += 8; }
            if (m->off == 0xFFFFFFFF && ve - v >= 8) { m->off = rd64(v); v += 8; }
        }
        x += 4 + sz;
    }
}

/* Appends the member name nm (nl bytes) to the comma-separated list names (cap bytes, *nn used),
 * ending it with ", ..." once it is full. */
static void note_name(char *names, size_t cap, size_t *nn, const char *nm, size_t nl)
{
    if (*nn + nl + 3 < cap - 4) {
        *nn += (size_t)snprintf(names + *nn, cap - *nn, "%s%.*s", *nn ? ", " : "", (int)nl, nm);
    } else if (*nn < cap - 5 && !strstr(names, "...")) {
        *nn += (size_t)snprintf(names + *nn, cap - *nn, ", ...");
    }
}

/* Takes entry e (named nm, nl bytes) as the member: -1 if one was found before (*found counts),
 * or it is encrypted, or compressed other than stored (0) or deflated (8). */
static int take_member(const npz_entry *e, const char *nm, size_t nl, const char *want, int *found,
                       npz_entry *m, const char *path, err_t *err)
{
    if ((*found)++)
        return err_set(err, ERR_INPUT, "%s: two members named '%.*s'", path, (int)nl, nm);
    if (e->flags & 1)
        return err_set(err, ERR_INPUT, "%s: member '%s' is encrypted", path, want);
    if (e->method != 0 && e->method != 8)
        return err_set(err, ERR_INPUT, "%s: member '%s': zip compression method %d is unsupported "
                                       "(expected 0, stored, or 8, deflated)", path, want, e->method);
    *m = *e;
    return 0;
}

/* Walks the central directory cd for the member named want (name.npy) or name, into m; *found
 * says whether there is one (none is an error only when required). */
static int scan_central(const unsigned char *cd, const npz_dir *dir, const char *name, const char *want,
                        int required, npz_entry *m, int *found, const char *path, err_t *err)
{
    char names[400] = "";
    size_t nn = 0, p = 0;
    *found = 0;
    for (uint64_t i = 0; i < dir->entries; i++) {
        if (dir->size - p < 46 || rd32(cd + p) != 0x02014b50)
            return err_set(err, ERR_INPUT, "%s: zip central directory entry %llu is damaged", path,
                           (unsigned long long)i + 1);
        const unsigned char *c = cd + p;
        size_t nl = rd16(c + 28), xl = rd16(c + 30), cl = rd16(c + 32);
        if (dir->size - p - 46 < (uint64_t)nl + xl + cl)
            return err_set(err, ERR_INPUT, "%s: zip central directory entry %llu runs past its end", path,
                           (unsigned long long)i + 1);
        const char *nm = (const char *)c + 46;
        npz_entry e;
        read_entry(c, nl, xl, &e);
        note_name(names, sizeof names, &nn, nm, nl);
        if (((nl == strlen(want) && memcmp(nm, want, nl) == 0) ||
             (nl == strlen(name) && memcmp(nm, name, nl) == 0)) &&
            take_member(&e, nm, nl, want, found, m, path, err) < 0)
            return -1;
        p += 46 + nl + xl + cl;
    }
    if (!*found && required)
        return err_set(err, ERR_INPUT, "%s: no array named '%s' (members: %s)", path, name, nn ? names : "none");
    return 0;
}

/* Reads m's local header (before the directory at cd_off) and checks its sizes: the offset of its
 * data into *doff. */
static int locate_data(FILE *f, const char *path, const char *want, uint64_t cd_off, const npz_entry *m,
                       uint64_t *doff, err_t *err)
{
    unsigned char lh[30];
    if (m->off > cd_off || cd_off - m->off < 30 || read_at(f, m->off, lh, 30) < 0 || rd32(lh) != 0x04034b50)
        return err_set(err, ERR_INPUT, "%s: member '%s': local header missing or bad", path, want);
    *doff = m->off + 30 + rd16(lh + 26) + rd16(lh + 28);
    if (*doff > cd_off || m->csize > cd_off - *doff)
        return err_set(err, ERR_INPUT, "%s: member '%s': its %llu bytes run past the central directory", path,
                       want, (unsigned long long)m->csize);
    if (m->method == 0 && m->csize != m->usize)
        return err_set(err, ERR_INPUT, "%s: member '%s': stored with sizes that differ (%llu, %llu)", path, want,
                       (unsigned long long)m->csize, (unsigned long long)m->usize);
    if (m->method == 8 && m->usize > m->csize * 1032 + 1024)
        return err_set(err, ERR_INPUT, "%s: member '%s': %llu bytes cannot inflate from %llu (deflate expands at "
                                       "most 1032x)", path, want, (unsigned long long)m->usize,
                       (unsigned long long)m->csize);
    if (m->usize > SIZE_MAX / 2 || m->csize > SIZE_MAX / 2)
        return err_set(err, ERR_INPUT, "%s: member '%s' too large", path, want);
    return 0;
}

/* Runs inflate over comp (csize bytes) into out (usize bytes) in pieces of at most 1 GiB until it
 * stops; the bytes consumed and produced into *in_done, *out_done; zlib's last return. */
static int inflate_all(z_stream *s, unsigned char *comp, uint64_t csize, unsigned char *out, uint64_t usize,
                       uint64_t *in_done, uint64_t *out_done)
{
    int zr = Z_OK;
    while (zr == Z_OK) {
        uint64_t il = csize - *in_done, ol = usize - *out_done;
        s->next_in = comp + *in_done;
        s->avail_in = il > (1u << 30) ? (1u << 30) : (uInt)il;
        s->next_out = out + *out_done;
        s->avail_out = ol > (1u << 30) ? (1u << 30) : (uInt)ol;
        uInt ai = s->avail_in, ao = s->avail_out;
        zr = inflate(s, Z_NO_FLUSH);
        *in_done += ai - s->avail_in;
        *out_done += ao - s->avail_out;
        if (zr == Z_BUF_ERROR && ai == s->avail_in && ao == s->avail_out)
            break;
        if (zr == Z_BUF_ERROR)
            zr = Z_OK;
    }
    return zr;
}

/* Inflates the raw deflate stream comp (m->csize bytes) into a new buffer *out of m->usize bytes. */
static int inflate_member(unsigned char *comp, const npz_entry *m, unsigned char **out, const char *path,
                          const char *want, err_t *err)
{
    *out = malloc(m->usize ? (size_t)m->usize : 1);
    if (!*out)
        return err_set(err, ERR_RUNTIME, "%s: out of memory", path);
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, -15) != Z_OK) {
        free(*out);
        *out = NULL;
        return err_set(err, ERR_RUNTIME, "%s: zlib inflateInit failed", path);
    }
    uint64_t in_done = 0, out_done = 0;
    int zr = inflate_all(&s, comp, m->csize, *out, m->usize, &in_done, &out_done);
    inflateEnd(&s);
    if (zr != Z_STREAM_END || out_done != m->usize || in_done != m->csize) {
        free(*out);
        *out = NULL;
        return err_set(err, ERR_INPUT, "%s: member '%s': corrupt deflate data (%s; %llu of %llu bytes inflated)",
                       path, want,
                       zr == Z_STREAM_END ? "sizes disagree with the directory"
                                          : zr == Z_DATA_ERROR ? "invalid data" : "cut short",
                       (unsigned long long)out_done, (unsigned long long)m->usize);
    }
    return 0;
}

/* Reads m's data at doff and, when deflated, inflates it: its m->usize bytes into a new buffer *out. */
static int load_member(FILE *f, const char *path, const char *want, const npz_entry *m, uint64_t doff,
                       unsigned char **out, err_t *err)
{
    unsigned char *comp = malloc(m->csize ? (size_t)m->csize : 1);
    if (!comp || read_at(f, doff, comp, (size_t)m->csize) < 0) {
        err_set(err, comp ? ERR_INPUT : ERR_RUNTIME, "%s: member '%s': cannot read its data", path, want);
        free(comp);
        return -1;
    }
    if (m->method == 0) {
        *out = comp;
        return 0;
    }
    int rc = inflate_member(comp, m, out, path, want, err);
    free(comp);
    return rc;
}

/* Checks the CRC-32 of data (m->usize bytes, summed in pieces of at most 1 GiB) against m's. */
static int check_crc(const unsigned char *data, const npz_entry *m, const char *path, const char *want,
                     err_t *err)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    for (uint64_t d = 0; d < m->usize;) {
        uint64_t k = m->usize - d > (1u << 30) ? (1u << 30) : m->usize - d;
        crc = crc32(crc, data + d, (uInt)k);
        d += k;
    }
    if ((uint32_t)crc != m->crc)
        return err_set(err, ERR_INPUT, "%s: member '%s': CRC-32 mismatch (stored %08x, data %08lx): the archive is "
                                       "damaged", path, want, m->crc, (unsigned long)crc);
    return 0;
}

/* Reads the archive's central directory and looks in it for the member
 * name (or name.npy: want, wn bytes), into *dir and *m; *found says whether
 * there is one (none is an error only when required). */
static int find_member(FILE *f, const char *path, const char *name, int required, npz_dir *dir,
                       npz_entry *m, int *found, char *want, size_t wn, err_t *err)
{
    unsigned char *cd = NULL;
    *found = 0;
    if (locate_central(f, path, dir, err) < 0 || load_central(f, path, dir, &cd, err) < 0)
        return -1;
    snprintf(want, wn, "%s.npy", name);
    int rc = scan_central(cd, dir, name, want, required, m, found, path, err);
    free(cd);
    return rc;
}

/* Finds the member name (or name.npy) and returns its uncompressed bytes. */
static int npz_member(FILE *f, const char *path, const char *name, unsigned char **data, size_t *len,
                      err_t *err)
{
    npz_dir dir;
    npz_entry m = {0};
    char want[300];
    int found;
    unsigned char *out = NULL;
    uint64_t doff = 0;
    if (find_member(f, path, name, 1, &dir, &m, &found, want, sizeof want, err) < 0 ||
        locate_data(f, path, want, dir.off, &m, &doff, err) < 0 ||
        load_member(f, path, want, &m, doff, &out, err) < 0)
        return -1;
    if (check_crc(out, &m, path, want, err) < 0) {
        free(out);
        return -1;
    }
    *data = out;
    *len = (size_t)m.usize;
    return 0;
}

int npz_has(const char *path, const char *name, int *has, err_t *err)
{
    *has = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    npz_dir dir;
    npz_entry m = {0};
    char want[300];
    int rc = find_member(f, path, name, 0, &dir, &m, has, want, sizeof want, err);
    fclose(f);
    return rc;
}

int npz_read(const char *path, const char *name, npy_array *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = npz_member(f, path, name, &data, &len, err);
    fclose(f);
    if (rc < 0)
        return -1;
    char label[512];
    snprintf(label, sizeof label, "%.300s:%.200s.npy", path, name);
    rc = npy_parse(label, data, len, out, err);
    free(data);
    return rc;
}

/* ---- a table from X and y ---------------------------------------------------- */

static int add_cols(table *t, int32_t *c, const npy_array *a, const char *prefix, int single, err_t *err)
{
    int64_t n = a->shape[0], d = a->ndim == 2 ? a->shape[1] : 1;
    for (int64_t j = 0; j < d; j++, (*c)++) {
        table_col *col = &t->cols[*c];
        col->name = malloc(32);
        col->num = malloc(n ? (size_t)n * sizeof *col->num : 1);
        if (!col->name || !col->num)
            return err_set(err, ERR_RUNTIME, "out of memory for a %lld-row table", (long long)n);
        if (single)
            snprintf(col->name, 32, "%s", prefix);
        else
            snprintf(col->name, 32, "%s%lld", prefix, (long long)j);
        for (int64_t r = 0; r < n; r++) {
            double v = a->data[r * d + j];
            if (isinf(v))
                return err_set(err, ERR_INPUT, "%s: value [%lld, %lld] is infinite; refused", a->source,
                               (long long)r, (long long)j);
            if (isinf((float)v))
                return err_set(err, ERR_INPUT, "%s: value [%lld, %lld] = %g is beyond float32's range "
                               "(the network's numbers); refused", a->source, (long long)r, (long long)j, v);
            col->num[r] = (float)v;
            if (isnan(v) && table_set_missing(t, *c, r, err) < 0)
                return -1;
        }
    }
    return 0;
}

int npy_to_table(const npy_array *X, const npy_array *y, table *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    int64_t n = X->shape[0], d = X->ndim == 2 ? X->shape[1] : 1;
    int64_t k = y ? (y->ndim == 2 ? y->shape[1] : 1) : 0;
    if (n == 0)
        return err_set(err, ERR_INPUT, "%s: no rows (shape[0] is 0)", X->source);
    if (d == 0)
        return err_set(err, ERR_INPUT, "%s: no columns (shape[1] is 0)", X->source);
    if (y && y->shape[0] != n)
        return err_set(err, ERR_INPUT, "%s: %lld rows, but %s has %lld", X->source, (long long)n,
                       y->source, (long long)y->shape[0]);
    if (y && k == 0)
        return err_set(err, ERR_INPUT, "%s: no columns (shape[1] is 0)", y->source);
    if (d + k > NPY_MAX_COLS)
        return err_set(err, ERR_INPUT, "%s: %lld columns is more than the limit (%d)", X->source,
                       (long long)(d + k), NPY_MAX_COLS);
    if (table_init(out, (int32_t)(d + k), err) < 0)
        return -1;
    out->n_rows = n;
    int32_t c = 0;
    if (add_cols(out, &c, X, "x", 0, err) < 0 || (y && add_cols(out, &c, y, "y", k == 1 && y->ndim == 1, err) < 0)) {
        table_free(out);
        return -1;
    }
    return 0;
}

int npz_read_xy(const char *path, const char *xname, const char *yname, table *out, err_t *err)
{
    memset(out, 0, sizeof *out);
    npy_array X, y;
    if (npz_read(path, xname ? xname : "X", &X, err) < 0)
        return -1;
    if (npz_read(path, yname ? yname : "y", &y, err) < 0) {
        npy_array_free(&X);
        return -1;
    }
    int rc = npy_to_table(&X, &y, out, err);
    npy_array_free(&X);
    npy_array_free(&y);
    return rc;
}
