/* json: see include/json.h. A recursive-descent reader with a depth limit,
 * and an append-only writer. */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---------------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t len, pos;
    json_node *nodes;
    int n, cap, max_nodes;
    char *strings;
    size_t str_len;
    err_t *err;
} parser;

static int fail(parser *p, const char *what)
{
    return err_set(p->err, ERR_INPUT, "malformed JSON at byte %zu: %s", p->pos, what);
}

static void skip_space(parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

/* A new node of type t; its index, or -1. */
static int new_node(parser *p, json_type t)
{
    if (p->n == p->max_nodes)
        return err_set(p->err, ERR_INPUT, "JSON has more than %d values", p->max_nodes);
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 64;
        if (cap > p->max_nodes)
            cap = p->max_nodes;
        json_node *nn = realloc(p->nodes, (size_t)cap * sizeof *nn);
        if (!nn)
            return err_set(p->err, ERR_RUNTIME, "out of memory for JSON");
        p->nodes = nn;
        p->cap = cap;
    }
    json_node *nd = &p->nodes[p->n];
    memset(nd, 0, sizeof *nd);
    nd->type = t;
    return p->n++;
}

/* Is text at pos the literal word w? Consumes it if so. */
static int literal(parser *p, const char *w)
{
    size_t k = strlen(w);
    if (p->len - p->pos < k || memcmp(p->s + p->pos, w, k) != 0)
        return 0;
    p->pos += k;
    return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser *p, int node)
{
    size_t start = p->pos;
    const char *s = p->s;
    if (p->pos < p->len && s[p->pos] == '-')
        p->pos++;
    if (p->pos < p->len && s[p->pos] == '0')
        p->pos++;
    else if (p->pos < p->len && is_digit(s[p->pos]))
        while (p->pos < p->len && is_digit(s[p->pos]))
            p->pos++;
    else
        return fail(p, "expected a digit");
    if (p->pos < p->len && s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->len || !is_digit(s[p->pos]))
            return fail(p, "expected a digit after '.'");
        while (p->pos < p->len && is_digit(s[p->pos]))
            p->pos++;
    }
    if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || !is_digit(s[p->pos]))
            return fail(p, "expected a digit in the exponent");
        while (p->pos < p->len && is_digit(s[p->pos]))
            p->pos++;
    }
    size_t k = p->pos - start;
    if (k > JSON_MAX_NUMBER) {
        p->pos = start;
        return err_set(p->err, ERR_INPUT, "malformed JSON at byte %zu: number longer than %d characters",
                       p->pos, JSON_MAX_NUMBER);
    }
    char buf[JSON_MAX_NUMBER + 1];
    memcpy(buf, s + start, k);
    buf[k] = '\0';
    double v = strtod(buf, NULL);
    if (!isfinite(v)) {
        p->pos = start;
        return fail(p, "number out of range");
    }
    p->nodes[node].num = v;
    return 0;
}

static int hex4(parser *p, unsigned *out)
{
    if (p->len - p->pos < 4)
        return fail(p, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + i];
        v <<= 4;
        if (is_digit(c))
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fail(p, "bad hex digit in \\u escape");
    }
    p->pos += 4;
    *out = v;
    return 0;
}

static void put_utf8(char *o, size_t *k, unsigned cp)
{
    if (cp < 0x80) {
        o[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | cp >> 6);
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xE0 | cp >> 12);
        o[(*k)++] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xF0 | cp >> 18);
        o[(*k)++] = (char)(0x80 | (cp >> 12 & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* A string at pos (the opening quote), decoded into p->strings. A decoded
 * string (plus its NUL) is never longer than its quoted text, so the store,
 * as long as the whole text, always has room. */
static int parse_string(parser *p, int node)
{
    p->pos++; /* the quote */
    char *o = p->strings + p->str_len;
    size_t k = 0;
    for (;;) {
        if (p->pos >= p->len)
            return fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20)
            return fail(p, "control character in a string");
        if (c != '\\') {
            o[k++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        if (p->pos >= p->len)
            return fail(p, "unterminated string");
        char e = p->s[p->pos++];
        switch (e) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '/': o[k++] = '/'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(p, &cp) != 0)
                return -1;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(p, "lone low surrogate in \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (!literal(p, "\\u") || hex4(p, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(p, "high surrogate without a low one in \\u escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0)
                return fail(p, "\\u0000 in a string");
            put_utf8(o, &k, cp);
            break;
        }
        default:
            p->pos--;
            return fail(p, "unknown escape in a string");
        }
    }
    o[k] = '\0';
    p->nodes[node].len = (int)k;
    p->nodes[node].str = o; /* the store is allocated once: it never moves */
    p->str_len += k + 1;
    return 0;
}

static int parse_value(parser *p, int depth);

/* '[' or '{' at pos: the elements or members up to the closing bracket. */
static int parse_container(parser *p, int node, int depth, int object)
{
    char close = object ? '}' : ']';
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    for (;;) {
        skip_space(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail(p, "expected a string key");
            int key = new_node(p, JSON_STRING);
            if (key < 0 || parse_string(p, key) != 0)
                return -1;
            p->nodes[key].end = p->n;
            skip_space(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return fail(p, "expected ':'");
            p->pos++;
        }
        if (parse_value(p, depth + 1) != 0)
            return -1;
        p->nodes[node].len++;
        skip_space(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return 0;
        }
        return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(parser *p, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return err_set(p->err, ERR_INPUT, "malformed JSON at byte %zu: nested deeper than %d levels",
                       p->pos, JSON_MAX_DEPTH);
    skip_space(p);
    if (p->pos >= p->len)
        return fail(p, "expected a value");
    char c = p->s[p->pos];
    int node, rc = 0;
    if (c == '{' || c == '[') {
        if ((node = new_node(p, c == '{' ? JSON_OBJECT : JSON_ARRAY)) < 0)
            return -1;
        rc = parse_container(p, node, depth, c == '{');
    } else if (c == '"') {
        if ((node = new_node(p, JSON_STRING)) < 0)
            return -1;
        rc = parse_string(p, node);
    } else if (c == '-' || is_digit(c)) {
        if ((node = new_node(p, JSON_NUMBER)) < 0)
            return -1;
        rc = parse_number(p, node);
    } else if (literal(p, "true")) {
        node = new_node(p, JSON_TRUE);
    } else if (literal(p, "false")) {
        node = new_node(p, JSON_FALSE);
    } else if (literal(p, "null")) {
        node = new_node(p, JSON_NULL);
    } else {
        return fail(p, "expected a value");
    }
    if (node < 0 || rc != 0)
        return -1;
    p->nodes[node].end = p->n;
    return 0;
}

int json_parse(const char *text, size_t len, int max_nodes, json_doc *doc, err_t *err)
{
    memset(doc, 0, sizeof *doc);
    parser p = {.s = text, .len = len, .max_nodes = max_nodes > 0 ? max_nodes : 1, .err = err};
    p.strings = malloc(len + 1);
    if (!p.strings)
        return err_set(err, ERR_RUNTIME, "out of memory for JSON");
    int rc = parse_value(&p, 1);
    if (rc == 0) {
        skip_space(&p);
        if (p.pos != p.len)
            rc = fail(&p, "text after the value");
    }
    if (rc != 0) {
        free(p.nodes);
        free(p.strings);
        return -1;
    }
    doc->nodes = p.nodes;
    doc->n = p.n;
    doc->strings = p.strings;
    return 0;
}

void json_doc_free(json_doc *doc)
{
    free(doc->nodes);
    free(doc->strings);
    memset(doc, 0, sizeof *doc);
}

int json_member(const json_doc *d, int obj, const char *key)
{
    if (obj < 0 || obj >= d->n || d->nodes[obj].type != JSON_OBJECT)
        return -1;
    for (int k = obj + 1; k < d->nodes[obj].end; k = d->nodes[k + 1].end)
        if (strcmp(d->nodes[k].str, key) == 0)
            return k + 1;
    return -1;
}

/* ---- writing ---------------------------------------------------------------- */

/* Room for n more bytes and the NUL; 0 or -1 (oom set). */
static int reserve(json_buf *b, size_t n)
{
    if (b->oom)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

static void put_bytes(json_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void json_buf_free(json_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

void json_put_raw(json_buf *b, const char *s)
{
    put_bytes(b, s, strlen(s));
}

void json_put_fmt(json_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void json_put_str(json_buf *b, const char *s)
{
    put_bytes(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            char e[2] = {'\\', (char)*c};
            put_bytes(b, e, 2);
        } else if (*c < 0x20) {
            json_put_fmt(b, "\\u%04x", *c);
        } else {
            put_bytes(b, (const char *)c, 1);
        }
    }
    put_bytes(b, "\"", 1);
}

void json_put_float(json_buf *b, float v)
{
    if (!isfinite(v)) {
        put_bytes(b, "null", 4);
        return;
    }
    if (v == 0) { /* -0 too: relu's zeros print as 0 */
        put_bytes(b, "0", 1);
        return;
    }
    char s[32];
    snprintf(s, sizeof s, "%.6g", v);
    if (strtof(s, NULL) != v)
        snprintf(s, sizeof s, "%.9g", v);
    put_bytes(b, s, strlen(s));
}

void json_put_floats(json_buf *b, const float *v, int n)
{
    put_bytes(b, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i)
            put_bytes(b, ",", 1);
        json_put_float(b, v[i]);
    }
    put_bytes(b, "]", 1);
}
