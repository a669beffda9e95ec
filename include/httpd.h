/* httpd: the libmicrohttpd functions `nntrain serve` calls (serve.h),
 * loaded at run time with dlopen. The program does not link libmicrohttpd:
 * it brings GnuTLS and eight more libraries whose constructors cost every
 * command 5-7 ms of start-up, and only serve uses it (doc/design.md).
 * <microhttpd.h> still gives the types and constants; the functions are
 * reached through this table, one pointer per function, with the
 * signatures of that header (src/httpd.c checks them at compile time). */
#ifndef NNTRAIN_HTTPD_H
#define NNTRAIN_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "err.h"

typedef struct {
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *daemon);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                        enum MHD_ResponseMemoryMode mode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header,
                                           const char *content);
    enum MHD_Result (*queue_response)(struct MHD_Connection *connection,
                                      unsigned int status_code, struct MHD_Response *response);
    void (*destroy_response)(struct MHD_Response *response);
    const char *(*lookup_connection_value)(struct MHD_Connection *connection,
                                           enum MHD_ValueKind kind, const char *key);
    int (*get_connection_values)(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                                 MHD_KeyValueIterator iterator, void *iterator_cls);
} httpd_t;

/* Loads libmicrohttpd by the SONAME configure found (libmicrohttpd.so.12),
 * or by the file NNTRAIN_HTTPD_LIB names when that is set (a test seam),
 * and returns its functions; the library stays loaded until the process
 * exits, and later calls return the same table. NULL with err set
 * (ERR_RUNTIME) when the library or one of the functions is missing: the
 * message names the file, says why, and the package that installs it.
 * Call it from one thread, before any server starts. */
const httpd_t *httpd_load(err_t *err);

#endif
