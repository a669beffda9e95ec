/* serve: see include/serve.h. The listening socket is made here (so that
 * errors say exactly why, and port 0 can be read back), then handed to
 * libmicrohttpd, which runs the connections on its own thread pool. Its
 * functions are called through mhd, the table httpd_load gives (httpd.h:
 * the program does not link the library, serve_start loads it). */
#include "serve.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "assets.h"
#include "httpd.h"

/* libmicrohttpd's functions: set by serve_start before the server's
 * threads start, never changed after. */
static const httpd_t *mhd;

struct serve {
    struct MHD_Daemon *daemon;
    const api_t *api;
    char url[128];
};

/* One request's state, kept by libmicrohttpd between calls of on_request. */
typedef struct {
    char *body;
    size_t len;
    int too_big;  /* the body passed SERVE_MAX_BODY: it is dropped */
    int answered; /* the reply is queued already (a body announced too large) */
} request;

/* ---- replies ---------------------------------------------------------------- */

static enum MHD_Result queue(struct MHD_Connection *c, int status, struct MHD_Response *r,
                             const char *type, const char *allow)
{
    if (!r)
        return MHD_NO;
    mhd->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    mhd->add_response_header(r, "X-Content-Type-Options", "nosniff");
    mhd->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        mhd->add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = mhd->queue_response(c, (unsigned)status, r);
    mhd->destroy_response(r);
    return ok;
}

/* Sends out (and takes its text) with status. */
static enum MHD_Result reply_json(struct MHD_Connection *c, int status, json_buf *out,
                                  const char *allow)
{
    static const char oom[] = "{\"error\":\"out of memory\"}\n";
    struct MHD_Response *r;
    if (out->oom || !out->s) {
        json_buf_free(out);
        status = 500;
        r = mhd->create_response_from_buffer(sizeof oom - 1, (void *)oom,
                                             MHD_RESPMEM_PERSISTENT);
    } else {
        r = mhd->create_response_from_buffer(out->len, out->s, MHD_RESPMEM_MUST_FREE);
        if (!r)
            json_buf_free(out);
    }
    return queue(c, status, r, "application/json", allow);
}

static enum MHD_Result reply_error(struct MHD_Connection *c, int status, const char *allow,
                                   const char *msg)
{
    json_buf out = {0};
    api_error(&out, status, "%s", msg);
    return reply_json(c, status, &out, allow);
}

static enum MHD_Result reply_asset(struct MHD_Connection *c, const asset_t *a)
{
    struct MHD_Response *r =
        mhd->create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (r)
        mhd->add_response_header(r, "Content-Security-Policy",
                                 "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    return queue(c, 200, r, a->type, NULL);
}

/* ---- routing ------------------------------------------------------------------ */

/* get_connection_values' iterator: counts the query keys that are not
 * in the NULL-terminated list cls[1..] (cls[0] counts them). */
typedef struct {
    const char *const *allowed;
    int unknown;
} query_check;

static enum MHD_Result check_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    (void)value;
    query_check *q = cls;
    for (const char *const *a = q->allowed; *a; a++)
        if (strcmp(*a, key) == 0)
            return MHD_YES;
    q->unknown++;
    return MHD_YES;
}

static int unknown_params(struct MHD_Connection *c, const char *const *allowed)
{
    query_check q = {allowed, 0};
    mhd->get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_key, &q);
    return q.unknown;
}

/* "application/json", optionally followed by parameters (";charset=utf-8"). */
static int is_json(const char *type)
{
    size_t k = strlen("application/json");
    return type && strncasecmp(type, "application/json", k) == 0 &&
           (type[k] == '\0' || type[k] == ';' || type[k] == ' ');
}

static enum MHD_Result route(const serve_t *s, struct MHD_Connection *c, const char *url,
                             const char *method, const request *rq)
{
    static const char *const no_params[] = {NULL};
    static const char *const weight_params[] = {"layer", "unit", NULL};
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    json_buf out = {0};
    int status;

    if (strncmp(url, "/api/", 5) != 0) {
        const asset_t *a = asset_find(url);
        if (!a)
            return reply_error(c, 404, NULL, "no such path: the page is at /, the API under /api/");
        if (!get)
            return reply_error(c, 405, "GET, HEAD", "the page takes GET");
        return reply_asset(c, a);
    }
    if (strcmp(url, "/api/predict") == 0) {
        if (strcmp(method, "POST") != 0)
            return reply_error(c, 405, "POST", s->api->prep
                                                   ? "/api/predict takes POST {\"features\": {...}}"
                                                   : "/api/predict takes POST {\"pixels\": [...]}");
        if (!is_json(
                mhd->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
            return reply_error(c, 415, NULL, "/api/predict takes Content-Type: application/json");
        if (rq->too_big)
            return reply_error(c, 413, NULL, "request body over the limit of 65536 bytes");
        if (unknown_params(c, no_params))
            return reply_error(c, 400, NULL, "/api/predict takes no query parameters");
        status = api_predict(s->api, rq->body ? rq->body : "", rq->len, &out);
        return reply_json(c, status, &out, NULL);
    }
    const char *const *allowed = strcmp(url, "/api/weights") == 0 ? weight_params : no_params;
    if (strcmp(url, "/api/model") == 0 || strcmp(url, "/api/samples") == 0 ||
        strcmp(url, "/api/weights") == 0) {
        if (!get)
            return reply_error(c, 405, "GET, HEAD", "this API path takes GET");
        if (unknown_params(c, allowed))
            return reply_error(c, 400, NULL,
                               allowed == no_params ? "this API path takes no query parameters"
                                                    : "/api/weights takes only layer and unit");
    }
    if (strcmp(url, "/api/model") == 0)
        status = api_model(s->api, &out);
    else if (strcmp(url, "/api/samples") == 0)
        status = api_samples(s->api, &out);
    else if (strcmp(url, "/api/weights") == 0)
        status = api_weights(
            s->api, mhd->lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "layer"),
            mhd->lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit"), &out);
    else
        return reply_error(c, 404, NULL,
                           "no such API path (there are /api/model, /api/predict, /api/weights, "
                           "/api/samples)");
    return reply_json(c, status, &out, NULL);
}

/* libmicrohttpd calls this once when the headers are in, then once per
 * piece of the body, then once more with nothing left to upload. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    request *rq = *con_cls;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        *con_cls = rq;
        const char *cl =
            mhd->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > SERVE_MAX_BODY) {
            /* Answered now: the body is never read. */
            rq->too_big = rq->answered = 1;
            return route(cls, c, url, method, rq);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big && rq->len + *upload_size > SERVE_MAX_BODY) {
            rq->too_big = 1;
            free(rq->body);
            rq->body = NULL;
            rq->len = 0;
        }
        if (!rq->too_big) {
            char *b = realloc(rq->body, rq->len + *upload_size);
            if (!b)
                return MHD_NO;
            memcpy(b + rq->len, upload, *upload_size);
            rq->body = b;
            rq->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->answered)
        return MHD_YES;
    return route(cls, c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* ---- the listening socket ---------------------------------------------------------- */

static int listen_on(const char *bind_addr, int port, int *fd_out, char *url, size_t url_size,
                     err_t *err)
{
    struct addrinfo hints = {0}, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(bind_addr, ps, &hints, &ai);
    if (rc != 0)
        return err_set(err, ERR_INPUT, "--bind %s: %s", bind_addr, gai_strerror(rc));
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol), one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return err_set(err, ERR_RUNTIME, "cannot listen on %s port %d: %s%s", bind_addr, port,
                       strerror(e), e == EADDRINUSE ? " (--port N picks another, 0 any free one)" : "");
    }
    freeaddrinfo(ai);
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    char host[64], serv[16]; /* INET6_ADDRSTRLEN is 46 */
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&sa, sl, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        close(fd);
        return err_set(err, ERR_RUNTIME, "cannot read back the address bound on %s", bind_addr);
    }
    snprintf(url, url_size, sa.ss_family == AF_INET6 ? "http://[%s]:%s/" : "http://%s:%s/", host,
             serv);
    *fd_out = fd;
    return 0;
}

int serve_start(serve_t **out, const api_t *api, const char *bind_addr, int port, int threads,
                err_t *err)
{
    *out = NULL;
    if (!(mhd = httpd_load(err)))
        return -1;
    serve_t *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(err, ERR_RUNTIME, "out of memory");
    s->api = api;
    int fd;
    if (listen_on(bind_addr, port, &fd, s->url, sizeof s->url, err) != 0) {
        free(s);
        return -1;
    }
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 1 : n > SERVE_MAX_THREADS ? SERVE_MAX_THREADS : (int)n;
    }
    s->daemon = mhd->start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, on_request, s,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_END);
    if (!s->daemon) {
        close(fd);
        free(s);
        return err_set(err, ERR_RUNTIME, "cannot start the HTTP server (libmicrohttpd) on %s",
                       bind_addr);
    }
    *out = s;
    return 0;
}

const char *serve_url(const serve_t *s)
{
    return s->url;
}

void serve_stop(serve_t *s)
{
    if (!s)
        return;
    mhd->stop_daemon(s->daemon);
    free(s);
}
