/* csv: see include/csv.h.
 *
 * How it reads (own tokenizer, not libcsv: libcsv reports no positions, so
 * no error could name line:column, and it cannot start mid-file; with the
 * numbers converted it is no faster: src/data/README.md):
 *
 *   pass 1  the text is taken in chunks (chunk_bytes, grown up to
 *           max_record when one record is longer; a plain file is mapped
 *           and a chunk is a window on it, a gzipped one is decompressed
 *           into a buffer: see the reader), each cut at its last
 *           record boundary (a newline outside quotes). A chunk is split at
 *           record boundaries into four parts per thread; the threads count
 *           the records of the parts (count_records), which places each
 *           part's rows in the table, then parse their parts at once
 *           (OpenMP) straight into the table's rows. A plain decimal
 *           cell takes a fast path (fast_cell, csv_plain_float: the same
 *           bits as csv_parse_float); any other goes through next_field
 *           and csv_parse_float. Every column starts NUMERIC; a cell that
 *           is neither a missing token nor a number turns its column TEXT
 *           from then on. The numeric cells share one slab in 2 MB huge
 *           pages, row by row (grow_rows): on a VM a page fault per 4 KB
 *           costs more than parsing the page, and rows are what training
 *           reads (preprocessing writes the inputs over them in place).
 *           The slab is sized once from the file's size when it is not
 *           gzipped, else it doubles.
 *   pass 2  only when some column is TEXT: the file is read again by one
 *           thread and those columns' cells are validated (UTF-8) and
 *           interned into their categories.
 *
 * Errors found by a thread carry a byte offset into the chunk; the message
 * is composed (line and column counted) only for the first of them. */
#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "c_locale.h"
#include "cores.h"
#include "mem.h"

#define CSV_DEFAULT_CHUNK (8L << 20)
#define READ_STEP (1u << 16) /* bytes per gzread call */
#define SMALL_CHUNK (1u << 16) /* text parsed by one thread */
/* The same when the threads were not set (csv_opts.threads 0): a woken
 * thread spins for milliseconds after the parse (libgomp's default wait),
 * which on the 2-core VM measured slowed what ran next on one thread more
 * than the parse gained (digits, 398 KB: the whole run 40-49 ms instead of
 * 33-36; a MiB parses in about 2 ms). */
#define AUTO_SMALL_CHUNK (1u << 20)

void csv_opts_default(csv_opts *o)
{
    memset(o, 0, sizeof *o);
    o->header = 1;
    o->missing[0] = "";
    o->missing[1] = "NA";
    o->missing[2] = "NaN";
    o->missing[3] = "?";
    o->max_record = CSV_MAX_RECORD;
    o->max_cols = CSV_MAX_COLS;
    o->chunk_bytes = CSV_DEFAULT_CHUNK;
}

/* ---- numbers ----------------------------------------------------------- */

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int lower_eq(const char *s, size_t n, const char *word)
{
    size_t m = strlen(word);
    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return 1;
}

/* The slow path: strtod (strtof when as_float) in the "C" locale on a
 * NUL-terminated copy. glibc's strtod and strtof are correctly rounded;
 * uselocale makes them ignore LC_NUMERIC. */
static int slow_number(const char *s, size_t len, int as_float, double *v)
{
    char small[128];
    char *b = len < sizeof small ? small : malloc(len + 1);
    if (!b)
        return 0;
    memcpy(b, s, len);
    b[len] = '\0';
    locale_t c = c_locale();
    locale_t old = c ? uselocale(c) : (locale_t)0;
    char *end;
    double x = as_float ? (double)strtof(b, &end) : strtod(b, &end);
    if (old)
        uselocale(old);
    int ok = end == b + len;
    if (b != small)
        free(b);
    if (!ok)
        return 0; /* the syntax check passed, so this would be a libc bug */
    if (isinf(x))
        return -1;
    *v = x;
    return 1;
}

int csv_parse_double(const char *s, size_t len, double *v)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    int nd = 0;       /* significant digits taken into m */
    int dropped = 0;  /* nonzero digits past the 19th */
    long e10 = 0;
    int digits = 0;
    size_t i0 = i;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        digits = 1;
        if (nd < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            if (m)
                nd++;
        } else {
            e10++;
            dropped |= s[i] != '0';
        }
    }
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            digits = 1;
            if (nd < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                if (m)
                    nd++;
                e10--;
            } else {
                dropped |= s[i] != '0';
            }
        }
    }
    if (!digits) {
        /* inf / infinity / nan, any case, with a sign: a number, not finite */
        if (lower_eq(s + i0, len - i0, "inf") || lower_eq(s + i0, len - i0, "infinity") ||
            lower_eq(s + i0, len - i0, "nan"))
            return -1;
        return 0;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= len || s[i] < '0' || s[i] > '9')
            return 0;
        long ex = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (ex < 1000000)
                ex = ex * 10 + (s[i] - '0');
        e10 += eneg ? -ex : ex;
    }
    if (i != len)
        return 0;
    /* Clinger's fast path: m and 10^|e| are exact doubles, so one IEEE
     * multiply or divide is the correctly rounded result. */
    if (!dropped && m <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
        double x = (double)m;
        x = e10 < 0 ? x / pow10_exact[-e10] : x * pow10_exact[e10];
        *v = neg ? -x : x;
        return 1;
    }
    if (m == 0 && !dropped) {
        *v = neg ? -0.0 : 0.0;
        return 1;
    }
    return slow_number(s, len, 0, v);
}

/* d, the correctly rounded double of the number s[0..len), to the nearest
 * float32 as csv_parse_float gives it: 1 and *v, or -1 beyond float32. */
static int float_from_double(const char *s, size_t len, double d, float *v)
{
    float f = (float)d;
    if (isinf(f))
        return -1; /* beyond float32 */
    if ((double)f != d) {
        /* d is the number rounded once; rounding it again to a float is
         * right unless d sits exactly halfway between two floats (then
         * the text, not d, says which side): ask strtof. */
        float g = nextafterf(f, d > (double)f ? INFINITY : -INFINITY);
        if (d == ((double)f + (double)g) * 0.5) {
            double x;
            if (slow_number(s, len, 1, &x) != 1 || isinf(x))
                return -1;
            f = (float)x;
        }
    }
    *v = f;
    return 1;
}

int csv_parse_float(const char *s, size_t len, float *v)
{
    double d;
    int r = csv_parse_double(s, len, &d);
    if (r != 1)
        return r;
    return float_from_double(s, len, d, v);
}

/* csv_plain_float, inlined into the reader's loop (fast_cell). */
static inline size_t plain_float(const char *s, const char *end, float *v)
{
    const char *p = s;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    uint64_t m = 0;
    int digits = 0, frac = 0;
    for (; p < end && (unsigned)(*p - '0') < 10; p++, digits++)
        m = m * 10 + (uint64_t)(*p - '0');
    if (p < end && *p == '.')
        for (p++; p < end && (unsigned)(*p - '0') < 10; p++, digits++, frac++)
            m = m * 10 + (uint64_t)(*p - '0');
    /* no digit, too many for exact doubles, or an exponent: not plain */
    if (digits == 0 || digits > CSV_PLAIN_DIGITS || (p < end && (*p == 'e' || *p == 'E')))
        return 0;
    /* csv_parse_double's Clinger path, step for step: m < 10^15 < 2^53 and
     * 10^frac are exact doubles, so this one division is the correctly
     * rounded double, and float_from_double rounds it as csv_parse_float
     * does (the halfway case included). */
    double d = (double)m;
    if (frac)
        d /= pow10_exact[frac];
    if (neg)
        d = -d;
    size_t len = (size_t)(p - s);
    return float_from_double(s, len, d, v) == 1 ? len : 0;
}

size_t csv_plain_float(const char *s, const char *end, float *v)
{
    return plain_float(s, end, v);
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Offset of the first byte of s[0..n) that is not valid UTF-8, or -1. */
static long utf8_bad(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else
            return (long)i;
        if (i + k >= n)
            return (long)i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return (long)i;
        for (size_t j = 2; j <= k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xBF)
                return (long)i;
        i += k + 1;
    }
    return -1;
}

/* ---- the reader -------------------------------------------------------- */

/* The text comes one of two ways. A plain regular file is mapped whole
 * (mmap): buf is a window into it that fill widens and consume moves on, no
 * byte copied, and the pages consumed are given back (MAP_FILE_RELEASE at a
 * time) so that memory stays bounded by the window. Anything else (gzip, a
 * pipe, a file that cannot be mapped) streams through zlib into a buffer
 * of our own. The mapping saves a copy of the text and, where a fresh page
 * costs 10 us (a VM), most of a small file's reading time: the kernel maps
 * 16 cached pages per fault, a buffer faults one page at a time. (Should
 * another process truncate the file while it is read, the next page read
 * beyond its new end raises SIGBUS, as with any mapped file.) */
#define MAP_FILE_RELEASE (8u << 20)

typedef struct {
    gzFile gz;          /* streamed: the zlib stream (plain text too); NULL when mapped */
    const char *map;    /* mapped: the whole file, map_len bytes; NULL when streamed */
    size_t map_len;
    const char *text;   /* mapped: the text, past any BOM, text_len bytes */
    size_t text_len;
    size_t released;    /* mapped: bytes at map's front given back */
    const char *path;
    char *own;          /* streamed: our buffer, cap bytes; buf == own */
    const char *buf;    /* the window: buf[0..len) */
    size_t len, cap;
    int eof;            /* no text beyond buf[len - 1] */
    long long line;     /* line number of buf[0] */
    long long base;     /* offset of buf[0] in the text (after a BOM) */
} reader;

/* Reads until len >= want or the end of the data. */
static int fill(reader *r, size_t want, err_t *err)
{
    if (r->map) {
        size_t rest = r->text_len - (size_t)r->base;
        size_t n = want < rest ? want : rest;
        if (n > r->len)
            r->len = n;
        r->buf = r->text + r->base;
        r->eof = r->len == rest;
        return 0;
    }
    while (!r->eof && r->len < want) {
        if (r->cap - r->len < READ_STEP) {
            size_t cap = r->cap ? r->cap * 2 : 2 * READ_STEP;
            while (cap - r->len < READ_STEP)
                cap *= 2;
            char *b = realloc(r->own, cap + 1);
            if (!b)
                return err_set(err, ERR_RUNTIME, "%s: out of memory for a %zu-byte read buffer",
                               r->path, cap);
            r->own = b;
            r->buf = b;
            r->cap = cap;
        }
        /* no more than asked for: tiny chunks (tests) then really are
         * tiny, so the seams between chunks get exercised */
        size_t step = want - r->len < READ_STEP ? want - r->len : READ_STEP;
        int got = gzread(r->gz, r->own + r->len, (unsigned)step);
        if (got < 0) {
            int zerr = Z_OK;
            const char *m = gzerror(r->gz, &zerr);
            if (zerr == Z_ERRNO)
                return err_set(err, ERR_RUNTIME, "%s: cannot read: %s", r->path, strerror(errno));
            return err_set(err, ERR_INPUT, "%s: corrupt gzip data (zlib: %s)", r->path, m);
        }
        if (got == 0)
            r->eof = 1;
        r->len += (size_t)got;
    }
    return 0;
}

/* Drops buf[0..n), counting its lines. */
static void consume(reader *r, size_t n)
{
    for (const char *p = r->buf, *e = r->buf + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        r->line++;
    r->len -= n;
    r->base += (long long)n;
    if (!r->map) {
        memmove(r->own, r->own + n, r->len);
        return;
    }
    r->buf = r->text + r->base;
    /* give back the whole pages behind the window */
    size_t behind = (size_t)(r->buf - r->map);
    if (behind - r->released >= MAP_FILE_RELEASE)
        r->released = (size_t)((char *)mem_release((void *)(r->map + r->released), behind - r->released) -
                               r->map);
}

/* Line and column (1-based, bytes) of buf[off], buf[0] being at the start
 * of line r->line. */
static void position(const reader *r, size_t off, long long *line, long long *col)
{
    long long ln = r->line;
    size_t ls = 0;
    for (const char *p = r->buf, *e = r->buf + off; (p = memchr(p, '\n', (size_t)(e - p))); p++) {
        ln++;
        ls = (size_t)(p - r->buf) + 1;
    }
    *line = ln;
    *col = (long long)(off - ls) + 1;
}

/* Sets err to "PATH:LINE:COL: msg" for buf[off]. */
static int fail_at(const reader *r, size_t off, err_t *err, const char *msg)
{
    long long line, col;
    position(r, off, &line, &col);
    return err_set(err, ERR_INPUT, "%s:%lld:%lld: %s", r->path, line, col, msg);
}

/* Scans buf[from..n) with the quote rules (from at a field start, outside
 * quotes) for record boundaries: returns the offset just past the last
 * newline outside quotes, or 0 when there is none. If split is not NULL,
 * split[k] (k < nsplit) gets the first boundary at or after target[k] (or
 * n when there is none). *open_quote gets the offset of a quote still open
 * at n, or -1. */
static size_t scan_bounds(const char *buf, size_t from, size_t n, char delim,
                          const size_t *target, size_t *split, int nsplit, long *open_quote)
{
    size_t last = 0;
    int k = 0;
    *open_quote = -1;
    if (!memchr(buf + from, '"', n - from)) {
        const char *p = buf + n;
        while (p > buf + from && p[-1] != '\n')
            p--;
        last = p > buf + from ? (size_t)(p - buf) : 0;
        for (; k < nsplit; k++) {
            size_t t = target[k] < from ? from : target[k];
            if (k > 0 && split[k - 1] > t)
                t = split[k - 1];
            if (t >= n)
                split[k] = n;
            else if (t == from || buf[t - 1] == '\n')
                split[k] = t;
            else {
                const char *q = memchr(buf + t, '\n', n - t);
                split[k] = q ? (size_t)(q - buf) + 1 : n;
            }
        }
        return last;
    }
    int at_start = 1;
    for (size_t i = from; i < n; i++) {
        while (k < nsplit && target[k] <= i && at_start && (i == from || buf[i - 1] == '\n'))
            split[k++] = i;
        char c = buf[i];
        if (at_start && c == '"') {
            size_t q = i;
            for (i++;; i++) {
                const char *p = memchr(buf + i, '"', n - i);
                if (!p) {
                    *open_quote = (long)q;
                    i = n;
                    goto done;
                }
                i = (size_t)(p - buf);
                if (i + 1 < n && buf[i + 1] == '"') {
                    i++;
                    continue;
                }
                if (i + 1 == n) {
                    /* closing or the first of "" cut by the end of the data:
                     * the caller reads more or treats it as closing at EOF */
                    *open_quote = (long)q;
                    i = n;
                    goto done;
                }
                break;
            }
            at_start = 0;
            continue;
        }
        if (c == delim)
            at_start = 1;
        else if (c == '\n') {
            at_start = 1;
            last = i + 1;
        } else
            at_start = 0;
    }
done:
    for (; k < nsplit; k++)
        split[k] = n;
    return last;
}

/* One thread's part of a chunk in pass 1. Its records were counted first
 * (count_records), so it knows the table row of each and parses straight
 * into the columns. */
typedef struct {
    long long row0;      /* the table row of the part's first record */
    long long count;     /* its records, as counted before parsing */
    long long rows;      /* records parsed */
    long long *missing;  /* [n_cols] missing cells in this part */
    uint8_t *flip;       /* [n_cols] 1: a cell here is text */
    long *nonfinite;     /* [n_cols] offset of the first inf/nan cell, -1 none */
    uint32_t *nonfinite_len;
    long err_off;        /* -1: no error */
    char err_msg[512];
} part;

typedef struct {
    const csv_opts *o;
    const char *path;
    char delim;
    int n_cols;
    const char *miss[CSV_MAX_MISSING + 1];
    size_t miss_len[CSV_MAX_MISSING];
    int n_miss;
    int miss_numeric;    /* some missing token parses as a number */
    table_kind *kind;    /* [n_cols] as known before this chunk */
    table *t;
    table_intern *interns; /* pass 2: [n_cols] */
    char *scratch;       /* pass 2: unescaped field */
    size_t scratch_cap;
    err_t *err;
} ctx;

static int is_missing(const ctx *x, const char *s, size_t n)
{
    for (int i = 0; i < x->n_miss; i++)
        if (x->miss_len[i] == n && memcmp(x->miss[i], s, n) == 0)
            return 1;
    return 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

int csv_cell_is_number(const char *s, size_t len)
{
    float v;
    trim(&s, &len);
    return csv_parse_float(s, len, &v) == 1;
}

/* A field: content span (raw, "" not yet unescaped when esc) and how it
 * ended. */
typedef struct {
    const char *s;
    size_t n;
    int quoted, esc;
    int end_of_record;
} field;

/* Tokenizes the field at buf[*pos] (inside [.., n)), advancing *pos past its
 * terminator. last: the chunk ends the data (an open quote is then
 * unterminated). Returns 0, or -1 with *eoff and *emsg. */
static int next_field(const char *buf, size_t n, size_t *pos, char delim, field *f,
                      size_t *eoff, const char **emsg)
{
    size_t i = *pos;
    f->quoted = f->esc = 0;
    if (i < n && buf[i] == '"') {
        size_t q = i;
        f->quoted = 1;
        size_t s = i + 1;
        for (i = s;; i++) {
            const char *p = memchr(buf + i, '"', n - i);
            if (!p) {
                *eoff = q;
                *emsg = "unterminated quoted field (this quote is never closed)";
                return -1;
            }
            i = (size_t)(p - buf);
            if (i + 1 < n && buf[i + 1] == '"') {
                f->esc = 1;
                i++;
                continue;
            }
            break;
        }
        const char *z = memchr(buf + s, '\0', i - s);
        if (z) {
            *eoff = (size_t)(z - buf);
            *emsg = "NUL byte (is this a binary or UTF-16 file?)";
            return -1;
        }
        f->s = buf + s;
        f->n = i - s;
        i++; /* past the closing quote */
        if (i >= n) {
            f->end_of_record = 1;
        } else if (buf[i] == delim) {
            f->end_of_record = 0;
            i++;
        } else if (buf[i] == '\n') {
            f->end_of_record = 1;
            i++;
        } else if (buf[i] == '\r' && (i + 1 == n || buf[i + 1] == '\n')) {
            f->end_of_record = 1;
            i += i + 1 == n ? 1 : 2;
        } else {
            *eoff = i;
            *emsg = "unexpected character after a closing quote (expected the delimiter or the end of the record)";
            return -1;
        }
        *pos = i;
        return 0;
    }
    size_t s = i;
    for (; i < n; i++) {
        char c = buf[i];
        if (c == delim || c == '\n')
            break;
        if (c == '\0') {
            *eoff = i;
            *emsg = "NUL byte (is this a binary or UTF-16 file?)";
            return -1;
        }
    }
    f->s = buf + s;
    f->n = i - s;
    if (i < n && buf[i] == delim) {
        f->end_of_record = 0;
        i++;
    } else {
        f->end_of_record = 1;
        if (f->n && f->s[f->n - 1] == '\r')
            f->n--;
        if (i < n)
            i++;
    }
    *pos = i;
    return 0;
}

/* 1 if buf[i..) starts a blank line (LF or CRLF, or a lone CR at the end);
 * sets *next past it. */
static int blank_line(const char *buf, size_t n, size_t i, size_t *next)
{
    if (buf[i] == '\n') {
        *next = i + 1;
        return 1;
    }
    if (buf[i] == '\r' && (i + 1 == n || buf[i + 1] == '\n')) {
        *next = i + 1 == n ? n : i + 2;
        return 1;
    }
    return 0;
}

static void part_error(part *w, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void part_error(part *w, size_t off, const char *fmt, ...)
{
    w->err_off = (long)off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err_msg, sizeof w->err_msg, fmt, ap);
    va_end(ap);
}

/* The records in buf[from..to) (from at a record start) as parse_part will
 * find them: lines, except blank ones and newlines inside quoted fields.
 * Counted before parsing so that each part knows where its rows go in the
 * table. On malformed text the count may be off; parse_part then stops
 * with an error anyway. */
static long long count_records(const char *buf, size_t from, size_t to, char delim)
{
    const int quotes = memchr(buf + from, '"', to - from) != NULL;
    long long n = 0;
    size_t i = from;
    while (i < to) {
        size_t nx;
        if (blank_line(buf, to, i, &nx)) {
            i = nx;
            continue;
        }
        n++;
        if (!quotes) {
            const char *p = memchr(buf + i, '\n', to - i);
            i = p ? (size_t)(p - buf) + 1 : to;
            continue;
        }
        /* field by field: a field that starts with '"' runs to its
         * closing quote (as in next_field), newlines included */
        int at_start = 1;
        while (i < to && buf[i] != '\n') {
            if (at_start && buf[i] == '"') {
                for (i++; i < to; i++) {
                    if (buf[i] != '"')
                        continue;
                    if (i + 1 < to && buf[i + 1] == '"') {
                        i++; /* "" */
                        continue;
                    }
                    break; /* the closing quote */
                }
                at_start = 0;
            } else {
                at_start = buf[i] == delim;
            }
            if (i < to)
                i++;
        }
        if (i < to)
            i++; /* the newline */
    }
    return n;
}

/* The common cell, fast: a plain number (csv_plain_float) in a numeric
 * column, unquoted and unspaced, then the delimiter, LF, CRLF or the end of
 * the part. Sets row[c] and *eor (it ended the record), moves *i past the
 * cell and returns 1; returns 0, doing nothing, for any other cell. Not
 * used when a missing token is itself a number (-999 must read as
 * missing). */
static int fast_cell(const ctx *x, const char *buf, size_t to, size_t *i, int c, float *row, int *eor)
{
    if (c >= x->n_cols || x->kind[c] != TABLE_NUMERIC || x->miss_numeric)
        return 0;
    float v;
    size_t j = *i + plain_float(buf + *i, buf + to, &v);
    if (j == *i)
        return 0;
    if (j == to) {
        *eor = 1;
    } else if (buf[j] == x->delim) {
        *eor = 0;
        j++;
    } else if (buf[j] == '\n') {
        *eor = 1;
        j++;
    } else if (buf[j] == '\r' && (j + 1 == to || buf[j + 1] == '\n')) {
        *eor = 1; /* next_field drops the CR of a CRLF (or a CR at the end) */
        j += j + 1 == to ? 1 : 2;
    } else {
        return 0; /* e.g. "1.5 ", "12abc": the general path decides */
    }
    row[c] = v;
    *i = j;
    return 1;
}

/* The numeric column c's cell f into row[c]: its number, or NaN when it is
 * missing (counted), not finite (the first such cell remembered) or text
 * (the column flips). */
static void numeric_cell(const ctx *x, const char *buf, const field *f, int c, float *row, part *w)
{
    const char *s = f->s;
    size_t n = f->n;
    float v;
    int r = 0;
    if (!f->esc) {
        trim(&s, &n);
        /* numbers first (the common case), unless a missing token is
         * itself a number (e.g. -999) */
        if (n == 0)
            r = is_missing(x, s, 0) ? 2 : 0;
        else if (x->miss_numeric && is_missing(x, s, n))
            r = 2;
        else if ((r = csv_parse_float(s, n, &v)) != 1 && is_missing(x, s, n))
            r = 2;
    } else if (is_missing(x, s, n)) {
        r = 2;
    }
    if (r == 1) {
        row[c] = v;
    } else if (r == 2) {
        row[c] = NAN;
        w->missing[c]++;
    } else {
        row[c] = NAN;
        if (r == -1 && w->nonfinite[c] < 0) {
            w->nonfinite[c] = (long)(s - buf);
            w->nonfinite_len[c] = (uint32_t)(n > 40 ? 40 : n);
        }
        if (r == 0)
            w->flip[c] = 1;
    }
}

/* Any cell, the general way: tokenized by next_field (quotes, spaces,
 * errors), then numeric_cell when column c is numeric. Moves *i past the
 * cell and sets *eor; returns 0, or -1 with the part's error set. */
static int general_cell(const ctx *x, const char *buf, size_t to, size_t *i, int c, float *row,
                        part *w, int *eor)
{
    size_t fstart = *i;
    field f;
    size_t eoff;
    const char *emsg;
    if (next_field(buf, to, i, x->delim, &f, &eoff, &emsg) < 0) {
        part_error(w, eoff, "%s", emsg);
        return -1;
    }
    if (c >= x->n_cols) {
        part_error(w, fstart, "ragged record: more than the %d fields of the first record", x->n_cols);
        return -1;
    }
    if (x->kind[c] == TABLE_NUMERIC)
        numeric_cell(x, buf, &f, c, row, w);
    *eor = f.end_of_record;
    return 0;
}

/* Pass 1 over the records in buf[from..to): their numbers into t's slab,
 * row by row from row w->row0 on (a text column's cells are left as they
 * are: nobody reads them). */
static void parse_part(const ctx *x, table *t, const char *buf, size_t from, size_t to, part *w)
{
    const int nc = x->n_cols;
    size_t i = from;
    w->rows = 0;
    w->err_off = -1;
    while (i < to) {
        size_t nx;
        if (blank_line(buf, to, i, &nx)) {
            i = nx;
            continue;
        }
        size_t rec = i;
        if (w->rows == w->count) {
            part_error(w, rec, "internal error: more records than counted");
            return;
        }
        float *row = t->slab + (size_t)(w->row0 + w->rows) * (size_t)nc;
        int c = 0, eor = 0;
        for (;; c++) {
            if (!fast_cell(x, buf, to, &i, c, row, &eor) &&
                general_cell(x, buf, to, &i, c, row, w, &eor) < 0)
                return;
            if (eor)
                break;
        }
        if (c + 1 < nc) {
            size_t e = i;
            while (e > rec && (buf[e - 1] == '\n' || buf[e - 1] == '\r'))
                e--;
            part_error(w, e, "ragged record: %d field%s, expected %d as in the first record", c + 1,
                       c ? "s" : "", nc);
            return;
        }
        if ((long)(i - rec) > x->o->max_record) {
            part_error(w, rec, "record longer than %ld bytes (the limit)", x->o->max_record);
            return;
        }
        w->rows++;
    }
    if (w->rows != w->count)
        part_error(w, to, "internal error: fewer records than counted");
}

/* Pass 2 over records in buf[from..to): text columns into codes, from row
 * *row on. Returns 0, or -1 with *eoff and msg. */
static int parse_text(ctx *x, const char *buf, size_t from, size_t to, long long *row,
                      size_t *eoff, char *msg, size_t msgcap)
{
    const int nc = x->n_cols;
    size_t i = from;
    table *t = x->t;
    while (i < to) {
        size_t nx;
        if (blank_line(buf, to, i, &nx)) {
            i = nx;
            continue;
        }
        for (int c = 0;; c++) {
            field f;
            const char *emsg;
            if (next_field(buf, to, &i, x->delim, &f, eoff, &emsg) < 0) {
                snprintf(msg, msgcap, "%s", emsg);
                return -1;
            }
            if (c >= nc || *row >= t->n_rows) {
                *eoff = (size_t)(f.s - buf);
                snprintf(msg, msgcap, "the file changed while it was read");
                return -1;
            }
            if (x->kind[c] == TABLE_TEXT) {
                const char *s = f.s;
                size_t n = f.n;
                if (f.esc) {
                    if (x->scratch_cap < n + 1) {
                        char *b = realloc(x->scratch, n + 1);
                        if (!b) {
                            *eoff = (size_t)(f.s - buf);
                            snprintf(msg, msgcap, "out of memory");
                            return -1;
                        }
                        x->scratch = b;
                        x->scratch_cap = n + 1;
                    }
                    size_t k = 0;
                    for (size_t j = 0; j < n; j++) {
                        x->scratch[k++] = s[j];
                        if (s[j] == '"')
                            j++;
                    }
                    s = x->scratch;
                    n = k;
                }
                const char *ts = s;
                size_t tn = n;
                trim(&ts, &tn);
                if (is_missing(x, ts, tn)) {
                    if (table_set_missing(t, c, *row, x->err) < 0)
                        return -2;
                } else {
                    long bad = utf8_bad((const unsigned char *)s, n);
                    if (bad >= 0) {
                        /* position in the file: map back through "" */
                        size_t off = (size_t)(f.s - buf);
                        if (!f.esc)
                            off += (size_t)bad;
                        *eoff = off;
                        snprintf(msg, msgcap, "invalid UTF-8 in a text cell of column %d (\"%s\")",
                                 c + 1, t->cols[c].name);
                        return -1;
                    }
                    if (n > UINT32_MAX / 2) {
                        *eoff = (size_t)(f.s - buf);
                        snprintf(msg, msgcap, "text cell too long");
                        return -1;
                    }
                    int32_t k = table_intern_add(&x->interns[c], s, (uint32_t)n);
                    if (k < 0) {
                        err_set(x->err, ERR_RUNTIME, "%s: out of memory for the categories of column %d",
                                x->path, c + 1);
                        return -2;
                    }
                    t->cols[c].code[*row] = k;
                }
            }
            if (f.end_of_record)
                break;
        }
        (*row)++;
    }
    return 0;
}

/* Whether s[0..n) starts with UTF-8's byte-order mark (3 bytes). */
static int has_bom(const char *s, size_t n)
{
    return n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0;
}

/* Opens path and reads up to the start of the first record (BOM and blank
 * lines skipped), with at least one whole record in the buffer (or EOF). */
static int open_reader(reader *r, const char *path, int stream, err_t *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->line = 1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    unsigned char magic[2];
    if (!stream && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (unsigned long long)st.st_size <= SIZE_MAX / 2 &&
        !(pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            close(fd);
            r->map = m;
            r->map_len = (size_t)st.st_size;
            r->text = r->map;
            r->text_len = r->map_len;
            if (has_bom(r->text, r->text_len)) {
                r->text += 3;
                r->text_len -= 3;
            }
            return fill(r, 3, err);
        }
    }
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        close(fd);
        return err_set(err, ERR_INPUT, "%s: cannot open: out of memory", path);
    }
    gzbuffer(r->gz, 1 << 16);
    if (fill(r, 3, err) < 0)
        return -1;
    if (has_bom(r->buf, r->len)) {
        memmove(r->own, r->own + 3, r->len - 3);
        r->len -= 3;
    }
    return 0;
}

static void close_reader(reader *r)
{
    if (r->gz)
        gzclose(r->gz);
    if (r->map)
        munmap((void *)r->map, r->map_len);
    free(r->own);
    memset(r, 0, sizeof *r);
}

/* Skips blank lines at the front of the buffer, reading more as needed. */
static int skip_blank(reader *r, err_t *err)
{
    for (;;) {
        if (fill(r, 2, err) < 0)
            return -1;
        if (r->len == 0)
            return 0;
        size_t nx;
        if (!blank_line(r->buf, r->len, 0, &nx) || (r->buf[0] == '\r' && r->len == 1 && !r->eof))
            return 0;
        consume(r, nx);
    }
}

/* Makes the buffer hold at least chunk bytes (or the rest of the data) and
 * finds the last record boundary: *end (0 with no data left). */
static int next_chunk(reader *r, const ctx *x, size_t chunk, size_t *end, err_t *err)
{
    size_t want = chunk;
    for (;;) {
        if (fill(r, want, err) < 0)
            return -1;
        if (r->len == 0) {
            *end = 0;
            return 0;
        }
        long open_quote;
        size_t last = scan_bounds(r->buf, 0, r->len, x->delim, NULL, NULL, 0, &open_quote);
        if (r->eof) {
            *end = r->len;
            return 0;
        }
        if (last > 0) {
            *end = last;
            return 0;
        }
        if ((long)r->len > x->o->max_record) {
            char msg[256];
            if (open_quote >= 0) {
                long long ql, qc;
                position(r, (size_t)open_quote, &ql, &qc);
                snprintf(msg, sizeof msg,
                         "record longer than %ld bytes (the limit); the quote opened at line %lld, column %lld is still open: an unterminated quote?",
                         x->o->max_record, ql, qc);
            } else {
                snprintf(msg, sizeof msg, "record longer than %ld bytes (the limit)", x->o->max_record);
            }
            return fail_at(r, 0, err, msg);
        }
        /* no boundary yet: read more, at least doubling (each try scans
         * the buffer again, so growth must be geometric) */
        want = r->len + (chunk > r->len ? chunk : r->len);
    }
}

/* Detects the delimiter from the first line: the candidate seen most often
 * outside quotes (ties: , ; TAB |). */
static char detect_delim(const char *buf, size_t n)
{
    static const char cand[4] = {',', ';', '\t', '|'};
    long count[4] = {0, 0, 0, 0};
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '"')
            inq = !inq;
        else if (!inq && c == '\n')
            break;
        else if (!inq)
            for (int k = 0; k < 4; k++)
                count[k] += c == cand[k];
    }
    int best = 0;
    for (int k = 1; k < 4; k++)
        if (count[k] > count[best])
            best = k;
    return cand[best];
}

/* Grows the column names and their lengths (*cap of each) to twice as many, 64 at first. */
static int grow_names(char ***names, size_t **lens, int *cap, err_t *err)
{
    *cap = *cap ? 2 * *cap : 64;
    char **nn = realloc(*names, (size_t)*cap * sizeof *nn);
    if (!nn)
        return err_set(err, ERR_RUNTIME, "out of memory");
    *names = nn;
    size_t *nl = realloc(*lens, (size_t)*cap * sizeof *nl);
    if (!nl)
        return err_set(err, ERR_RUNTIME, "out of memory");
    *lens = nl;
    return 0;
}

/* Column nc's name from header field f (starting at buf[fs]), unescaped, into names[nc] and
 * lens[nc]: valid UTF-8, its index when empty, unlike the names before it (seen). */
static int header_name(const reader *r, const field *f, size_t fs, int nc, table_intern *seen,
                       char **names, size_t *lens, err_t *err)
{
    char *s = malloc(f->n + 16);
    if (!s)
        return err_set(err, ERR_RUNTIME, "out of memory");
    size_t k = 0;
    for (size_t j = 0; j < f->n; j++) {
        s[k++] = f->s[j];
        if (f->esc && f->s[j] == '"')
            j++;
    }
    s[k] = '\0';
    names[nc] = s;
    lens[nc] = k;
    long bad = utf8_bad((unsigned char *)s, k);
    if (bad >= 0)
        return fail_at(r, (size_t)(f->s - r->buf) + (f->esc ? 0 : (size_t)bad), err,
                       "invalid UTF-8 in a column name");
    if (k == 0)
        snprintf(s, 16, "%d", nc); /* unnamed: its 0-based index */
    lens[nc] = strlen(s);
    int32_t j = table_intern_add(seen, s, (uint32_t)lens[nc]);
    if (j < 0)
        return err_set(err, ERR_RUNTIME, "out of memory");
    if (j != nc) {
        char msg[600];
        snprintf(msg, sizeof msg, "duplicate column name \"%.500s\" (also column %d)", s, j + 1);
        return fail_at(r, fs, err, msg);
    }
    return 0;
}

/* Makes t's nc columns, named from the header (names[c], taken) or by their 0-based index. */
static int name_columns(table *t, const ctx *x, char **names, int nc, err_t *err)
{
    if (table_init(t, nc, err) < 0)
        return -1;
    for (int c = 0; c < nc; c++) {
        if (x->o->header) {
            t->cols[c].name = names[c];
            names[c] = NULL;
        } else {
            t->cols[c].name = malloc(16);
            if (!t->cols[c].name)
                return err_set(err, ERR_RUNTIME, "out of memory");
            snprintf(t->cols[c].name, 16, "%d", c);
        }
    }
    return 0;
}

/* Consumes the header record, buf[0..len), unless it is longer than max_record. */
static int consume_header(reader *r, const ctx *x, size_t len, err_t *err)
{
    if ((long)len > x->o->max_record) {
        char msg[128];
        snprintf(msg, sizeof msg, "record longer than %ld bytes (the limit)", x->o->max_record);
        return fail_at(r, 0, err, msg);
    }
    consume(r, len);
    return 0;
}

/* Reads the first record: the number of columns and (with a header) the
 * names; the header record is consumed. */
static int first_record(reader *r, ctx *x, table *t, err_t *err)
{
    size_t end;
    if (next_chunk(r, x, 1, &end, err) < 0)
        return -1;
    /* the record is buf[0..end') where end' is its own end */
    size_t i = 0;
    int nc = 0, cap = 0, rc = -1;
    char **names = NULL;
    size_t *lens = NULL;
    table_intern seen;
    memset(&seen, 0, sizeof seen);
    for (;;) {
        field f;
        size_t eoff;
        const char *emsg;
        size_t fs = i;
        if (next_field(r->buf, end, &i, x->delim, &f, &eoff, &emsg) < 0) {
            fail_at(r, eoff, err, emsg);
            goto out;
        }
        if (nc >= x->o->max_cols) {
            char msg[128];
            snprintf(msg, sizeof msg, "more than %d columns (the limit)", x->o->max_cols);
            fail_at(r, fs, err, msg);
            goto out;
        }
        if (nc == cap && grow_names(&names, &lens, &cap, err) < 0)
            goto out;
        names[nc++] = NULL; /* counted now: freed at out */
        if (x->o->header && header_name(r, &f, fs, nc - 1, &seen, names, lens, err) < 0)
            goto out;
        if (f.end_of_record)
            break;
    }
    if (name_columns(t, x, names, nc, err) < 0)
        goto out;
    x->n_cols = nc;
    if (x->o->header && consume_header(r, x, i, err) < 0)
        goto out;
    rc = 0;
out:
    for (int c = 0; c < nc; c++)
        free(names ? names[c] : NULL);
    free(names);
    free(lens);
    table_intern_free(&seen);
    return rc;
}

/* A pending "not a finite number" per column, the first in the file. */
typedef struct {
    long long off; /* offset in the text (after a BOM); -1: none */
    char text[48];
} nonfinite_at;

/* Line and column of offset off of the text of path (after a BOM). */
static int text_position(const char *path, int stream, long long off, long long *line, long long *col,
                         err_t *err)
{
    reader r;
    int rc = -1;
    if (open_reader(&r, path, stream, err) < 0)
        goto out;
    *line = 1;
    long long ls = 0; /* offset where the current line starts */
    while (r.base + (long long)r.len <= off) {
        size_t want = r.len + READ_STEP;
        if (fill(&r, want, err) < 0)
            goto out;
        if (r.base + (long long)r.len <= off && r.eof) {
            err_set(err, ERR_INPUT, "%s: the file changed while it was read", path);
            goto out;
        }
        if (r.base + (long long)r.len > off)
            break;
        for (size_t i = 0; i < r.len; i++)
            if (r.buf[i] == '\n') {
                (*line)++;
                ls = r.base + (long long)i + 1;
            }
        r.base += (long long)r.len;
        r.len = 0;
    }
    for (long long i = r.base; i < off; i++)
        if (r.buf[i - r.base] == '\n') {
            (*line)++;
            ls = i + 1;
        }
    *col = off - ls + 1;
    rc = 0;
out:
    close_reader(&r);
    return rc;
}

/* Pass 1's working state for a chunk: np parts, taken by threads threads. */
typedef struct {
    part *parts;        /* [np] */
    int np, threads;
    int team;           /* threads for this chunk: 1 for a small one */
    size_t *target;     /* [np + 1] where part k + 1 should start, roughly */
    size_t *split;      /* [np + 1] part k is buf[split[k]..split[k + 1]) */
    long long file_bytes; /* the file's size when it is not gzipped, else 0 */
    size_t small;         /* a chunk of fewer bytes is parsed by one thread */
} pass1_work;

/* Frees w's parts and split points. */
static void work_free(pass1_work *w)
{
    for (int k = 0; w->parts && k < w->np; k++) {
        free(w->parts[k].missing);
        free(w->parts[k].flip);
        free(w->parts[k].nonfinite);
        free(w->parts[k].nonfinite_len);
    }
    free(w->parts);
    free(w->target);
    free(w->split);
}

/* Allocates w for nc columns: a few parts per thread, taken dynamically, so
 * a thread slowed by another process does not hold the chunk up. */
static int work_init(pass1_work *w, int threads_opt, int nc, err_t *err)
{
    memset(w, 0, sizeof *w);
    int threads = cores_resolve(threads_opt);
    w->threads = threads;
    w->small = threads_opt > 0 ? SMALL_CHUNK : AUTO_SMALL_CHUNK;
    w->np = threads > 1 ? 4 * threads : 1;
    w->parts = calloc((size_t)w->np, sizeof *w->parts);
    if (!w->parts)
        return err_set(err, ERR_RUNTIME, "out of memory");
    for (int k = 0; k < w->np; k++) {
        part *pk = &w->parts[k];
        pk->missing = calloc((size_t)nc, sizeof *pk->missing);
        pk->flip = calloc((size_t)nc, 1);
        pk->nonfinite = malloc((size_t)nc * sizeof *pk->nonfinite);
        pk->nonfinite_len = calloc((size_t)nc, sizeof *pk->nonfinite_len);
        if (!pk->missing || !pk->flip || !pk->nonfinite || !pk->nonfinite_len)
            return err_set(err, ERR_RUNTIME, "out of memory");
    }
    w->target = malloc((size_t)(w->np + 1) * sizeof *w->target);
    w->split = malloc((size_t)(w->np + 1) * sizeof *w->split);
    if (!w->target || !w->split)
        return err_set(err, ERR_RUNTIME, "out of memory");
    return 0;
}

/* Splits buf[0..end) into w->np parts at record boundaries near equal shares: w->split. */
static void split_chunk(const char *buf, size_t end, char delim, pass1_work *w)
{
    const int np = w->np;
    w->split[0] = 0;
    if (np > 1) {
        for (int k = 1; k < np; k++)
            w->target[k - 1] = end / (size_t)np * (size_t)k;
        long oq;
        scan_bounds(buf, 0, end, delim, w->target, w->split + 1, np - 1, &oq);
        for (int k = 1; k < np; k++)
            if (w->split[k] > end)
                w->split[k] = end;
    }
    w->split[np] = end;
}

/* Counts the records of each part of buf, in parallel, and places the
 * parts in the table one after the other from row n0: their row0. Returns
 * the chunk's records. */
static long long count_parts(const char *buf, char delim, long long n0, pass1_work *w)
{
    part *parts = w->parts;
    const size_t *split = w->split;
#pragma omp parallel for num_threads(w->team) schedule(dynamic, 1)
    for (int k = 0; k < w->np; k++)
        parts[k].count = count_records(buf, split[k], split[k + 1], delim);
    long long row = n0;
    for (int k = 0; k < w->np; k++) {
        parts[k].row0 = row;
        row += parts[k].count;
    }
    return row - n0;
}

/* Parses the parts of buf in parallel, each into its rows of t. */
static void parse_parts(const ctx *x, table *t, const char *buf, pass1_work *w)
{
    const int nc = x->n_cols, np = w->np;
    part *parts = w->parts;
    const size_t *split = w->split;
#pragma omp parallel for num_threads(w->team) schedule(dynamic, 1)
    for (int k = 0; k < np; k++) {
        for (int c = 0; c < nc; c++)
            parts[k].nonfinite[c] = -1;
        parse_part(x, t, buf, split[k], split[k + 1], &parts[k]);
    }
}

/* -1 with the parts' first error in the file, if any. */
static int part_failure(const reader *r, const ctx *x, const pass1_work *w, err_t *err)
{
    for (int k = 0; k < w->np; k++) {
        if (w->parts[k].err_off == -2)
            return err_set(err, ERR_RUNTIME, "%s: out of memory", x->path);
        if (w->parts[k].err_off >= 0)
            return fail_at(r, (size_t)w->parts[k].err_off, err, w->parts[k].err_msg);
    }
    return 0;
}

/* The size of r's file when it is read as it is (not gzipped), else 0. */
static long long plain_size(const reader *r)
{
    struct stat st;
    if (r->map)
        return (long long)r->map_len;
    if (!gzdirect(r->gz) || stat(r->path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    return (long long)st.st_size;
}

/* Rows to make room for when the columns must grow to hold rows rows (the
 * text up to end of r's buffer): at the first growth, when the file's size
 * is known, the rows the whole file will hold at the rate so far, 1/16
 * more, so that the slab is allocated once (each growth copies the rows
 * so far into a new one); else rows, which grow_rows rounds up to a power
 * of two. settle_columns gives back what is left over when it is much. */
static long long rows_to_hold(const reader *r, const table *t, const pass1_work *w, long long rows,
                              size_t end)
{
    long long seen = r->base + (long long)end;
    if (t->slab_rows > 0 || w->file_bytes <= seen || seen <= 0)
        return rows;
    double expect = (double)rows * (double)w->file_bytes / (double)seen;
    return (long long)(expect + expect / 16) + 1;
}

/* Grows t's nc numeric columns to hold rows rows: at first to rows (64 at
 * least), then doubling (t->slab_rows: the rows it has room for). They
 * live in one slab, t->slab, row by row (row r
 * at slab + r * nc: column c is slab + c, a cell every nc floats): one
 * allocation in huge pages, not one per column in 4 KB pages, and rows in
 * the order training reads them (prep_apply_consumed turns them into the
 * network's inputs where they lie). Growing moves the rows so far to a new
 * slab (threads threads, 2 MB pieces in order), each old piece given back
 * to the kernel once copied: else both slabs are whole at once (MNIST
 * gzipped: 354 MB at the peak, 1.9 times the table). */
#define GROW_PIECE (2L << 20)
static int grow_rows(table *t, int nc, long long rows, int threads, const char *path,
                     err_t *err)
{
    long long nc_rows = t->slab_rows ? t->slab_rows : rows > 64 ? rows : 64;
    while (nc_rows < rows)
        nc_rows *= 2;
    float *slab = NULL;
    if ((unsigned long long)nc_rows <= SIZE_MAX / sizeof *slab / (size_t)nc)
        slab = mem_floats_raw((size_t)nc * (size_t)nc_rows);
    if (!slab)
        return err_set(err, ERR_RUNTIME, "%s: out of memory for %lld rows", path, nc_rows);
    const size_t keep = (size_t)t->n_rows * (size_t)nc * sizeof *slab;
    const long pieces = (long)((keep + GROW_PIECE - 1) / GROW_PIECE);
    char *const old = (char *)t->slab;
#pragma omp parallel for num_threads(threads) schedule(static) if (pieces > 1)
    for (long k = 0; k < pieces; k++) {
        size_t at = (size_t)k * GROW_PIECE, n = keep - at < GROW_PIECE ? keep - at : GROW_PIECE;
        memcpy((char *)slab + at, old + at, n);
        mem_release(old + at, n);
    }
    for (int c = 0; c < nc; c++) {
        t->cols[c].num = slab + c;
        t->cols[c].stride = nc;
        t->cols[c].in_slab = 1;
    }
    mem_free(t->slab);
    t->slab = slab;
    t->slab_cols = nc;
    t->slab_rows = nc_rows;
    return 0;
}

/* Merges the parts' findings into miss, flipped and nf (the first non-finite value per column),
 * clearing them for the next chunk; a flipped column is text from now on. */
static void merge_findings(const reader *r, ctx *x, pass1_work *w, nonfinite_at *nf, uint8_t *flipped,
                           long long *miss)
{
    const int nc = x->n_cols;
    for (int k = 0; k < w->np; k++)
        for (int c = 0; c < nc; c++) {
            part *pk = &w->parts[k];
            miss[c] += pk->missing[c];
            pk->missing[c] = 0;
            if (pk->flip[c]) {
                flipped[c] = 1;
                pk->flip[c] = 0;
            }
            if (pk->nonfinite[c] >= 0 && nf[c].off < 0) {
                nf[c].off = r->base + pk->nonfinite[c];
                snprintf(nf[c].text, sizeof nf[c].text, "%.*s", (int)pk->nonfinite_len[c],
                         r->buf + pk->nonfinite[c]);
            }
        }
    for (int c = 0; c < nc; c++)
        if (flipped[c])
            x->kind[c] = TABLE_TEXT;
}

/* Pass 1 over the chunk buf[0..end): its records' numbers appended to t. */
static int pass1_chunk(reader *r, ctx *x, table *t, size_t end, pass1_work *w, nonfinite_at *nf,
                       uint8_t *flipped, long long *miss, err_t *err)
{
    const int nc = x->n_cols;
    split_chunk(r->buf, end, x->delim, w);
    /* a small chunk (tests, or the last bytes of a file) is not worth
     * waking threads for; its parts are still made, and parsed in turn */
    w->team = end < w->small ? 1 : w->threads;
    long long n0 = t->n_rows;
    long long add = count_parts(r->buf, x->delim, n0, w);
    if (n0 + add > t->slab_rows &&
        grow_rows(t, nc, rows_to_hold(r, t, w, n0 + add, end), w->team, x->path, err) < 0)
        return -1;
    parse_parts(x, t, r->buf, w);
    /* the first error in the file wins */
    if (part_failure(r, x, w, err) < 0)
        return -1;
    t->n_rows = n0 + add;
    merge_findings(r, x, w, nf, flipped, miss);
    return 0;
}

/* Pass 1: every record, numbers into t. */
static int pass1(reader *r, ctx *x, table *t, int threads_opt, nonfinite_at *nf, uint8_t *flipped,
                 long long *miss, err_t *err)
{
    const size_t chunk = (size_t)(x->o->chunk_bytes > 0 ? x->o->chunk_bytes : CSV_DEFAULT_CHUNK);
    pass1_work w;
    int rc = -1;
    if (work_init(&w, threads_opt, x->n_cols, err) < 0) {
        work_free(&w);
        return -1;
    }
    w.file_bytes = plain_size(r);
    for (;;) {
        size_t end;
        if (next_chunk(r, x, chunk, &end, err) < 0)
            break;
        if (end == 0) {
            rc = 0;
            break;
        }
        if (pass1_chunk(r, x, t, end, &w, nf, flipped, miss, err) < 0)
            break;
        consume(r, end);
    }
    work_free(&w);
    return rc;
}

/* Pass 2: the text columns, from a fresh read of the file. */
static int pass2(ctx *x, table *t, err_t *err)
{
    reader r;
    int rc = -1;
    if (open_reader(&r, x->path, x->o->stream, err) < 0)
        goto out;
    if (skip_blank(&r, err) < 0)
        goto out;
    if (x->o->header) {
        size_t end;
        if (next_chunk(&r, x, 1, &end, err) < 0)
            goto out;
        size_t i = 0;
        for (;;) {
            field f;
            size_t eoff;
            const char *emsg;
            if (next_field(r.buf, end, &i, x->delim, &f, &eoff, &emsg) < 0) {
                fail_at(&r, eoff, err, emsg);
                goto out;
            }
            if (f.end_of_record)
                break;
        }
        consume(&r, i);
    }
    const size_t chunk = (size_t)(x->o->chunk_bytes > 0 ? x->o->chunk_bytes : CSV_DEFAULT_CHUNK);
    long long row = 0;
    for (;;) {
        size_t end;
        if (next_chunk(&r, x, chunk, &end, err) < 0)
            goto out;
        if (end == 0)
            break;
        size_t eoff = 0;
        char msg[600];
        int e = parse_text(x, r.buf, 0, end, &row, &eoff, msg, sizeof msg);
        if (e == -2)
            goto out;
        if (e < 0) {
            fail_at(&r, eoff, err, msg);
            goto out;
        }
        consume(&r, end);
    }
    if (row != t->n_rows) {
        err_set(err, ERR_INPUT, "%s: the file changed while it was read", x->path);
        goto out;
    }
    rc = 0;
out:
    close_reader(&r);
    return rc;
}

/* The missing-value tokens of o into x (their lengths; whether one parses as a number). */
static void missing_tokens(ctx *x, const csv_opts *o)
{
    for (int i = 0; i < CSV_MAX_MISSING && o->missing[i]; i++) {
        x->miss[x->n_miss] = o->missing[i];
        x->miss_len[x->n_miss] = strlen(o->missing[i]);
        double v;
        if (csv_parse_double(x->miss[x->n_miss], x->miss_len[x->n_miss], &v) == 1)
            x->miss_numeric = 1;
        x->n_miss++;
    }
}

/* -1 unless o's delimiter is automatic (0) or one of , ; TAB | and its limits are > 0. */
static int check_opts(const csv_opts *o, const char *path, err_t *err)
{
    if (o->delim && o->delim != ',' && o->delim != ';' && o->delim != '\t' && o->delim != '|')
        return err_set(err, ERR_INPUT, "%s: delimiter '%c' is not one of , ; TAB |", path, o->delim);
    if (o->max_record <= 0 || o->max_cols <= 0)
        return err_set(err, ERR_INPUT, "%s: max_record and max_cols must be > 0", path);
    return 0;
}

/* Opens path, finds the delimiter (unless set) and reads the first record into t's columns: r is
 * left at the first data record (the header consumed). */
static int open_table(reader *r, ctx *x, table *t, err_t *err)
{
    if (open_reader(r, x->path, x->o->stream, err) < 0 || skip_blank(r, err) < 0)
        return -1;
    if (r->len == 0)
        return err_set(err, ERR_INPUT, "%s:%lld:1: empty file: no header and no records", x->path, r->line);
    if (fill(r, 1 << 16, err) < 0)
        return -1;
    x->delim = x->o->delim ? x->o->delim : detect_delim(r->buf, r->len);
    return first_record(r, x, t, err);
}

/* Pass 1's per-column findings for n_cols columns: x->kind, and *nf (none yet), *flipped and
 * *miss zeroed. */
static int column_findings(ctx *x, nonfinite_at **nf, uint8_t **flipped, long long **miss, err_t *err)
{
    const int nc = x->n_cols;
    x->kind = calloc((size_t)nc, sizeof *x->kind);
    *nf = calloc((size_t)nc, sizeof **nf);
    *flipped = calloc((size_t)nc, 1);
    *miss = calloc((size_t)nc, sizeof **miss);
    if (!x->kind || !*nf || !*flipped || !*miss)
        return err_set(err, ERR_RUNTIME, "out of memory");
    for (int c = 0; c < nc; c++)
        (*nf)[c].off = -1;
    return 0;
}

/* -1 with its line and column when a column that stayed numeric holds inf, nan or an out-of-range
 * value: the first in the file. */
static int refuse_nonfinite(const ctx *x, const table *t, const nonfinite_at *nf, const uint8_t *flipped,
                            err_t *err)
{
    int worst = -1;
    for (int c = 0; c < x->n_cols; c++)
        if (!flipped[c] && nf[c].off >= 0 && (worst < 0 || nf[c].off < nf[worst].off))
            worst = c;
    if (worst < 0)
        return 0;
    /* its line and column: read the text again up to it (once, on the
     * error path, so the parse loop keeps no line numbers) */
    long long line = 0, col = 0;
    if (text_position(x->path, x->o->stream, nf[worst].off, &line, &col, err) < 0)
        return -1;
    return err_set(err, ERR_INPUT,
                   "%s:%lld:%lld: column %d (\"%s\"): \"%s\" is not a finite number (inf, nan and "
                   "out-of-range values are refused; write a missing value as one of the missing tokens)",
                   x->path, line, col, worst + 1, t->cols[worst].name, nf[worst].text);
}

/* Fills in the numeric columns' missing flags (miss[c] of them); the
 * flipped columns become text, with room for n_rows codes. *any_text: some
 * column did. The slab then keeps the numeric columns only: each row's
 * numbers move to the front of its place (row r to slab + r * kept, in
 * order: a cell never lands on one not yet moved, since r * kept + k <=
 * r * nc + the k-th kept column), and what is past the rows goes back to
 * the kernel when the text columns left room or growth by doubling
 * overshot by more than an eighth (the file-size estimate's 1/16 is left:
 * its pages are touched anyway, 2 MB at a time). */
static int settle_columns(table *t, int nc, const uint8_t *flipped, const long long *miss,
                          int *any_text, err_t *err)
{
    int32_t *keep = malloc((size_t)nc * sizeof *keep);
    if (!keep)
        return err_set(err, ERR_RUNTIME, "out of memory");
    int kept = 0;
    for (int c = 0; c < nc; c++)
        if (!flipped[c])
            keep[kept++] = c;
    if (t->slab && kept < nc) {
        for (long long r = 0; r < t->n_rows; r++) {
            float *dst = t->slab + (size_t)r * (size_t)kept;
            const float *src = t->slab + (size_t)r * (size_t)nc;
            for (int k = 0; k < kept; k++)
                dst[k] = src[keep[k]];
        }
        t->slab_cols = kept;
        for (int k = 0; k < kept; k++) {
            t->cols[keep[k]].num = t->slab + k;
            t->cols[keep[k]].stride = kept;
        }
    }
    free(keep);
    const long long cap_rows = t->slab_rows;
    if (t->slab && (kept < nc || (cap_rows - t->n_rows) * 8 > cap_rows)) {
        size_t used = (size_t)t->n_rows * (size_t)kept;
        mem_release(t->slab + used, ((size_t)cap_rows * (size_t)nc - used) * sizeof *t->slab);
    }
    for (int c = 0; c < nc; c++) {
        table_col *col = &t->cols[c];
        if (flipped[c]) {
            *any_text = 1;
            if (!col->in_slab)
                free(col->num);
            col->num = NULL;
            col->stride = 0;
            col->in_slab = 0;
            col->kind = TABLE_TEXT;
            col->code = malloc((size_t)t->n_rows * sizeof *col->code);
            if (!col->code)
                return err_set(err, ERR_RUNTIME, "out of memory");
        } else if (miss[c]) {
            const int64_t s = table_stride(col);
            col->missing = calloc((size_t)t->n_rows, 1);
            if (!col->missing)
                return err_set(err, ERR_RUNTIME, "out of memory");
            for (long long i = 0; i < t->n_rows; i++)
                col->missing[i] = isnan(col->num[i * s]) != 0;
            col->n_missing = miss[c];
        }
    }
    return 0;
}

/* Pass 2 with an intern table per column: the flipped columns keep their categories. */
static int text_columns(ctx *x, table *t, const uint8_t *flipped, err_t *err)
{
    x->interns = calloc((size_t)x->n_cols, sizeof *x->interns);
    if (!x->interns)
        return err_set(err, ERR_RUNTIME, "out of memory");
    int e = pass2(x, t, err);
    for (int c = 0; c < x->n_cols; c++) {
        if (e == 0 && flipped[c])
            table_intern_move(&x->interns[c], &t->cols[c]);
        else
            table_intern_free(&x->interns[c]);
    }
    return e < 0 ? -1 : 0;
}

/* x for reading path with opts (NULL: the defaults, kept in *def): its
 * missing tokens; -1 when the options are refused. */
static int ctx_init(ctx *x, const char *path, const csv_opts *opts, csv_opts *def, err_t *err)
{
    if (!opts) {
        csv_opts_default(def);
        opts = def;
    }
    memset(x, 0, sizeof *x);
    x->o = opts;
    x->path = path;
    x->err = err;
    missing_tokens(x, opts);
    return check_opts(opts, path, err);
}

/* A fresh table for the next chunk: the header's column names, no rows. */
static int chunk_table(const table *head, table *t, err_t *err)
{
    if (table_init(t, head->n_cols, err) < 0)
        return -1;
    for (int c = 0; c < head->n_cols; c++)
        if (!(t->cols[c].name = strdup(head->cols[c].name))) {
            table_free(t);
            return err_set(err, ERR_RUNTIME, "out of memory");
        }
    return 0;
}

/* The chunk buf[0..end) of r into t: pass 1's numbers, then the text
 * columns' cells from the same bytes (no second read of the file). */
static int read_chunk(reader *r, ctx *x, table *t, size_t end, pass1_work *w, nonfinite_at *nf,
                      uint8_t *flipped, long long *miss, err_t *err)
{
    const int nc = x->n_cols;
    for (int c = 0; c < nc; c++)
        miss[c] = 0, nf[c].off = -1;
    x->t = t;
    int any_text = 0;
    if (pass1_chunk(r, x, t, end, w, nf, flipped, miss, err) < 0 ||
        refuse_nonfinite(x, t, nf, flipped, err) < 0 ||
        settle_columns(t, nc, flipped, miss, &any_text, err) < 0)
        return -1;
    if (!any_text)
        return 0;
    x->interns = calloc((size_t)nc, sizeof *x->interns);
    if (!x->interns)
        return err_set(err, ERR_RUNTIME, "out of memory");
    long long row = 0;
    size_t eoff = 0;
    char msg[600];
    int e = parse_text(x, r->buf, 0, end, &row, &eoff, msg, sizeof msg);
    if (e == -1)
        fail_at(r, eoff, err, msg);
    for (int c = 0; c < nc; c++) {
        if (e == 0 && flipped[c])
            table_intern_move(&x->interns[c], &t->cols[c]);
        else
            table_intern_free(&x->interns[c]);
    }
    free(x->interns);
    x->interns = NULL;
    return e < 0 ? -1 : 0;
}

int csv_read_each(const char *path, const csv_opts *opts, csv_rows_fn fn, void *user, err_t *err)
{
    csv_opts def;
    ctx x;
    if (ctx_init(&x, path, opts, &def, err) < 0)
        return -1;
    opts = x.o;
    reader r;
    table head, t;
    memset(&head, 0, sizeof head);
    memset(&t, 0, sizeof t);
    x.t = &head;
    pass1_work w;
    memset(&w, 0, sizeof w);
    nonfinite_at *nf = NULL;
    uint8_t *flipped = NULL;
    long long *miss = NULL, rows = 0;
    int rc = -1;
    const size_t chunk = (size_t)(opts->chunk_bytes > 0 ? opts->chunk_bytes : CSV_DEFAULT_CHUNK);
    if (open_table(&r, &x, &head, err) < 0 || column_findings(&x, &nf, &flipped, &miss, err) < 0 ||
        work_init(&w, opts->threads, x.n_cols, err) < 0)
        goto out;
    long long header_line = r.line;
    for (;;) {
        size_t end;
        if (next_chunk(&r, &x, chunk, &end, err) < 0)
            goto out;
        if (end == 0)
            break;
        if (chunk_table(&head, &t, err) < 0 ||
            read_chunk(&r, &x, &t, end, &w, nf, flipped, miss, err) < 0)
            goto out;
        consume(&r, end);
        rows += t.n_rows;
        if (t.n_rows > 0 && fn(user, &t, err) != 0)
            goto out;
        table_free(&t);
    }
    if (rows == 0) {
        err_set(err, ERR_INPUT, "%s:%lld:1: a header and no data records", path,
                header_line > 1 ? header_line - 1 : 1);
        goto out;
    }
    rc = 0;
out:
    table_free(&t);
    table_free(&head);
    work_free(&w);
    close_reader(&r);
    free(x.kind);
    free(x.scratch);
    free(nf);
    free(flipped);
    free(miss);
    return rc;
}

int csv_read(const char *path, const csv_opts *opts, table *out, err_t *err)
{
    csv_opts def;
    ctx x;
    memset(out, 0, sizeof *out);
    if (ctx_init(&x, path, opts, &def, err) < 0)
        return -1;
    opts = x.o;
    x.t = out;

    reader r;
    nonfinite_at *nf = NULL;
    uint8_t *flipped = NULL;
    long long *miss = NULL;
    int rc = -1, any_text = 0;
    if (open_table(&r, &x, out, err) < 0 || column_findings(&x, &nf, &flipped, &miss, err) < 0)
        goto out;
    long long header_line = r.line;
    if (pass1(&r, &x, out, opts->threads, nf, flipped, miss, err) < 0)
        goto out;
    if (out->n_rows == 0) {
        err_set(err, ERR_INPUT, "%s:%lld:1: a header and no data records", path,
                header_line > 1 ? header_line - 1 : 1);
        goto out;
    }
    if (refuse_nonfinite(&x, out, nf, flipped, err) < 0 ||
        settle_columns(out, x.n_cols, flipped, miss, &any_text, err) < 0)
        goto out;
    if (any_text) {
        close_reader(&r);
        if (text_columns(&x, out, flipped, err) < 0)
            goto out;
    }
    rc = 0;
out:
    close_reader(&r);
    free(x.kind);
    free(x.interns);
    free(x.scratch);
    free(nf);
    free(flipped);
    free(miss);
    if (rc < 0)
        table_free(out);
    return rc;
}

int csv_locate(const char *path, const csv_opts *opts, long long record, int column,
               long long *line, long long *col, err_t *err)
{
    csv_opts def;
    ctx x;
    if (ctx_init(&x, path, opts, &def, err) < 0)
        return -1;
    reader r;
    table head;
    memset(&head, 0, sizeof head);
    int rc = -1;
    const size_t chunk = (size_t)(x.o->chunk_bytes > 0 ? x.o->chunk_bytes : CSV_DEFAULT_CHUNK);
    if (open_table(&r, &x, &head, err) < 0)
        goto out;
    /* Whole chunks before the record's are skipped by counting their
     * records; in its chunk, record by record, field by field. */
    for (long long rec = 0;;) {
        size_t end, i = 0;
        if (next_chunk(&r, &x, chunk, &end, err) < 0)
            goto out;
        if (end == 0)
            break;
        long long in_chunk = count_records(r.buf, 0, end, x.delim);
        if (rec + in_chunk <= record) {
            rec += in_chunk;
            consume(&r, end);
            continue;
        }
        while (i < end) {
            size_t nx;
            if (blank_line(r.buf, end, i, &nx)) {
                i = nx;
                continue;
            }
            for (int c = 0;; c++) {
                if (rec == record && c == column) {
                    position(&r, i, line, col);
                    rc = 0;
                    goto out;
                }
                field f;
                size_t eoff;
                const char *emsg;
                if (next_field(r.buf, end, &i, x.delim, &f, &eoff, &emsg) < 0) {
                    fail_at(&r, eoff, err, emsg);
                    goto out;
                }
                if (f.end_of_record)
                    break;
            }
            if (rec++ == record)
                break; /* the record has no such field */
        }
        if (rec > record)
            break;
        consume(&r, end);
    }
    err_set(err, ERR_INPUT, "%s: no field %d in record %lld (the file changed?)", path, column + 1,
            record + 1);
out:
    close_reader(&r);
    table_free(&head);
    free(x.kind);
    return rc;
}
