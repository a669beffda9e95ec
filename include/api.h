/* api: the JSON API of `nntrain serve` over a loaded network. Each call
 * takes one request's parts (already split by the HTTP server, serve.h),
 * appends the JSON reply to out and returns the HTTP status: 200, a 4xx
 * with {"error": "..."} for a bad request, 500 when out of memory. Knows
 * nothing of sockets or HTTP libraries. Calls only read the api_t, so any
 * number of threads may make them at once.
 *
 *   api_model     {"sizes":[784,256,10], "activations":["relu","softmax"],
 *                  "cost":"cross_entropy", "params":203530,
 *                  "input":{"rows":28,"cols":28}, "samples":20}
 *   api_predict   body {"pixels":[784 numbers in 0..1]} ->
 *                  {"prediction":7, "outputs":[10 values],
 *                   "activations":[[layer 1's units], ..., [the outputs]],
 *                   "connections":[[[from,to,contribution], ...] per layer]}
 *                 connections: each weight layer's API_CONNECTIONS strongest
 *                 contributions a_from * w_from,to for this input, strongest first
 *   api_weights   layer L (0-based weight layer), unit U (0-based, in layer
 *                  L's outputs) -> {"layer":L, "unit":U, "bias":b,
 *                  "weights":[sizes[L] values], "max_abs":m}
 *   api_samples   {"rows":28, "cols":28, "samples":[{"label":7,
 *                  "pixels":[784 grey levels 0..255]}, ...]}
 *
 * A table model (api_init_table: a prep_t, prep.h) answers the same calls
 * but these two differently:
 *   api_model     the fields above (input: 1 row of sizes[0]; samples 0)
 *                 and "task":"classification" or "regression",
 *                 "features":[{"name":"a","type":"numeric","default":3.1,
 *                   "missing":true}, {"name":"color","type":"categorical",
 *                   "categories":["blue","red"],"default":"red",
 *                   "missing":false}, ...] in the model's order (default: the
 *                 value a form starts with, the training fill or mean;
 *                 missing: whether null is accepted, i.e. training learned a
 *                 fill), and "classes":[names] or "targets":[names]
 *   api_predict   body {"features":{"a":1.5,"color":"red",...}}: every
 *                 feature by name, once; numeric ones a number (or null
 *                 for a missing value where the model has a fill),
 *                 categorical ones a string (a number is taken as its
 *                 text, e.g. 3 for "3"; a category never seen in training
 *                 gives all its inputs 0, as predict does). A missing,
 *                 unknown or repeated name, or a value of the wrong type:
 *                 400 naming it. The answer:
 *                 classification {"task":"classification","prediction":
 *                   "red","index":1,"classes":[names],"probabilities":[p]}
 *                 regression {"task":"regression","targets":[names],
 *                   "values":[v in the targets' units]}
 *                 both with "inputs":[the network's sizes[0] inputs].
 */
#ifndef NNTRAIN_API_H
#define NNTRAIN_API_H

#include <stddef.h>
#include "idx.h"
#include "json.h"
#include "net.h"
#include "prep.h"

#define API_CONNECTIONS 24  /* strongest connections per layer in a prediction */
#define API_MAX_SAMPLES 20  /* test digits api_samples offers */

typedef struct {
    const net_t *net;
    const dataset *samples; /* NULL: none; else the first API_MAX_SAMPLES are offered */
    int rows, cols;             /* the input as a picture: rows * cols = sizes[0] */
    const prep_t *prep;     /* a table model's preprocessing; NULL: an image model */
    int *by_name;           /* table: feature indexes sorted by name (api_free) */
} api_t;

/* Fills a: samples (may be NULL) must have sizes[0] pixels per image. The
 * input's shape is the samples', else square when sizes[0] is a square,
 * else one row. */
void api_init(api_t *a, const net_t *net, const dataset *samples);

/* Fills a for a table model: prep must fit net (export_check_prep). 0, or
 * -1 with err set (out of memory, a misfit). api_free frees what it took. */
int api_init_table(api_t *a, const net_t *net, const prep_t *prep, err_t *err);
void api_free(api_t *a);

int api_model(const api_t *a, json_buf *out);
int api_predict(const api_t *a, const char *body, size_t len, json_buf *out);
/* layer and unit are the query's text (NULL when absent). */
int api_weights(const api_t *a, const char *layer, const char *unit, json_buf *out);
int api_samples(const api_t *a, json_buf *out);

/* {"error": message} and status, for errors found outside the calls above
 * (the HTTP server's: unknown path, wrong method...). Returns status. */
int api_error(json_buf *out, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
