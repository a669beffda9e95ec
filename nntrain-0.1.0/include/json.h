/* json: reading and writing JSON text (RFC 8259) for the API of
 * `nntrain serve` (api.h). Knows nothing of HTTP or networks.
 *
 * Reading: json_parse turns a text into a flat array of nodes in document
 * order. A node's children follow it: the first is at index i + 1, each
 * next one at the previous one's `end`, and `end` of the node itself is
 * where its subtree stops. An object's children alternate key (a string
 * node) and value. Numbers are doubles and must be finite (1e999 is an
 * error, not infinity); strings are decoded into UTF-8 (escapes, \u with
 * surrogate pairs). Hostile text is bounded: at most max_nodes nodes,
 * JSON_MAX_DEPTH levels of nesting, JSON_MAX_NUMBER characters per number.
 *
 * Writing: json_buf is a growing string; the json_put_* calls append to it.
 * Running out of memory sets buf->oom and makes every later call a no-op,
 * so writers check once at the end. */
#ifndef NNTRAIN_JSON_H
#define NNTRAIN_JSON_H

#include <stddef.h>
#include "err.h"

#define JSON_MAX_DEPTH 64
#define JSON_MAX_NUMBER 64

typedef enum { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct {
    json_type type;
    int end;         /* index just past this node's subtree (its next sibling) */
    int len;         /* array: elements; object: members; string: bytes */
    double num;      /* JSON_NUMBER */
    const char *str; /* JSON_STRING: decoded, NUL-terminated (in json_doc.strings) */
} json_node;

typedef struct {
    json_node *nodes; /* nodes[0] is the top-level value */
    int n;
    char *strings;    /* every decoded string, one allocation */
} json_doc;

/* Parses text[0..len) (need not be NUL-terminated). On error nothing is
 * allocated and err says what was wrong at which byte (ERR_INPUT; out of
 * memory is ERR_RUNTIME). */
int json_parse(const char *text, size_t len, int max_nodes, json_doc *doc, err_t *err);
void json_doc_free(json_doc *doc);

/* The index of the value of member key of object node obj, or -1. */
int json_member(const json_doc *d, int obj, const char *key);

/* ---- writing ---- */

typedef struct {
    char *s;   /* NUL-terminated text, or NULL before the first write */
    size_t len, cap;
    int oom;   /* an allocation failed: s is incomplete */
} json_buf;

void json_buf_free(json_buf *b);
void json_put_raw(json_buf *b, const char *s);
void json_put_fmt(json_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quoted and escaped. */
void json_put_str(json_buf *b, const char *s);
/* Shortest "%.9g" that reads back as the same float; NaN and infinities as null. */
void json_put_float(json_buf *b, float v);
/* [v0,v1,...] with json_put_float. */
void json_put_floats(json_buf *b, const float *v, int n);

#endif
