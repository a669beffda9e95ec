/* A zip archive built in memory, for the tests that feed .npz files to the
 * readers: tests/test_data.c and the fuzz harness tests/fuzz/fuzz_npy.c.
 *
 * ziptest_zip(n, names, data, lens, level, &len): n members, in order, each
 * a local header (version 2.0, no flags, no time, CRC-32 and both sizes
 * filled in, no extra field), then its bytes: stored when level is 0, else
 * a raw deflate stream (window 2^15) at that zlib level; then the central
 * directory and the end record (no comment, no zip64). Returns the archive
 * (malloc'd; the caller frees it) and its length in *len, or NULL when
 * memory runs out or zlib fails. Nothing here writes a file or aborts, so
 * either side checks and writes the way its framework does. */
#ifndef NNTRAIN_ZIPTEST_H
#define NNTRAIN_ZIPTEST_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void ziptest_put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void ziptest_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The raw deflate stream of data at level (1-9): malloc'd, its length in
 * *clen; NULL on failure. */
static unsigned char *ziptest_deflate(const unsigned char *data, size_t len, int level, size_t *clen)
{
    uLong bound = compressBound((uLong)len) + 64;
    unsigned char *out = malloc(bound);
    if (!out) return NULL;
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(out);
        return NULL;
    }
    s.next_in = (unsigned char *)data;
    s.avail_in = (uInt)len;
    s.next_out = out;
    s.avail_out = (uInt)bound;
    int rc = deflate(&s, Z_FINISH);
    *clen = s.total_out;
    deflateEnd(&s);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static unsigned char *ziptest_zip(int n, const char *const *names, const unsigned char *const *data,
                                  const size_t *lens, int level, size_t *len)
{
    size_t cap = 22, cdcap = 0;
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        cap += 30 + nl + compressBound((uLong)lens[i]) + 64 + 46 + nl;
        cdcap += 46 + nl;
    }
    unsigned char *z = calloc(cap, 1), *cd = calloc(cdcap ? cdcap : 1, 1);
    size_t zn = 0, cdn = 0;
    if (!z || !cd) goto fail;
    for (int i = 0; i < n; i++) {
        uint32_t crc = (uint32_t)crc32(0, data[i], (uInt)lens[i]);
        const unsigned char *comp = data[i];
        size_t clen = lens[i];
        unsigned char *tmp = NULL;
        if (level) {
            tmp = ziptest_deflate(data[i], lens[i], level, &clen);
            if (!tmp) goto fail;
            comp = tmp;
        }
        size_t nl = strlen(names[i]);
        size_t off = zn;
        unsigned char *h = z + zn;
        ziptest_put32(h, 0x04034b50);
        ziptest_put16(h + 4, 20);
        ziptest_put16(h + 8, level ? 8 : 0);
        ziptest_put32(h + 14, crc);
        ziptest_put32(h + 18, (uint32_t)clen);
        ziptest_put32(h + 22, (uint32_t)lens[i]);
        ziptest_put16(h + 26, (unsigned)nl);
        memcpy(h + 30, names[i], nl);
        zn += 30 + nl;
        memcpy(z + zn, comp, clen);
        zn += clen;
        unsigned char *c = cd + cdn;
        ziptest_put32(c, 0x02014b50);
        ziptest_put16(c + 4, 20);
        ziptest_put16(c + 6, 20);
        ziptest_put16(c + 10, level ? 8 : 0);
        ziptest_put32(c + 16, crc);
        ziptest_put32(c + 20, (uint32_t)clen);
        ziptest_put32(c + 24, (uint32_t)lens[i]);
        ziptest_put16(c + 28, (unsigned)nl);
        ziptest_put32(c + 42, (uint32_t)off);
        memcpy(c + 46, names[i], nl);
        cdn += 46 + nl;
        free(tmp);
    }
    size_t cdoff = zn;
    memcpy(z + zn, cd, cdn);
    zn += cdn;
    unsigned char *e = z + zn;
    ziptest_put32(e, 0x06054b50);
    ziptest_put16(e + 8, (unsigned)n);
    ziptest_put16(e + 10, (unsigned)n);
    ziptest_put32(e + 12, (uint32_t)cdn);
    ziptest_put32(e + 16, (uint32_t)cdoff);
    zn += 22;
    free(cd);
    *len = zn;
    return z;
fail:
    free(z);
    free(cd);
    return NULL;
}
#endif
