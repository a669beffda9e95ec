/* serve: the HTTP server of `nntrain serve`, on libmicrohttpd (loaded by
 * serve_start at run time: httpd.h; no other command loads it). It routes
 * each request to the page's embedded assets (assets.h) or to the JSON API
 * (api.h), and turns everything else away with a 4xx and a JSON error:
 *
 *   GET  /, /app.js, /style.css        the page
 *   GET  /api/model                    api_model
 *   POST /api/predict                  api_predict (Content-Type: application/json,
 *                                      body at most SERVE_MAX_BODY bytes)
 *   GET  /api/weights?layer=L&unit=U   api_weights
 *   GET  /api/samples                  api_samples
 *
 * A wrong method is 405, a wrong content type 415, a body too large 413,
 * an unknown path 404, an unknown query parameter 400. HEAD works wherever
 * GET does. Requests are served by a pool of threads, one connection each
 * at a time. */
#ifndef NNTRAIN_SERVE_H
#define NNTRAIN_SERVE_H

#include "api.h"
#include "err.h"

#define SERVE_MAX_BODY (64 * 1024)
#define SERVE_MAX_THREADS 16

typedef struct serve serve_t;

/* Listens on bind:port (an IPv4 or IPv6 address, or a host name; port 0
 * picks a free one) and starts serving api, which must outlive the server.
 * threads 0: one per core (at most SERVE_MAX_THREADS). Fails (ERR_RUNTIME)
 * when libmicrohttpd cannot be loaded, naming the package to install. */
int serve_start(serve_t **s, const api_t *api, const char *bind, int port, int threads,
                err_t *err);

/* The URL to open, e.g. "http://127.0.0.1:8080/" (the port really bound). */
const char *serve_url(const serve_t *s);

/* Stops serving (connections in progress are closed) and frees s. */
void serve_stop(serve_t *s);

#endif
