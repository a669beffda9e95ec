/* httpd: see include/httpd.h. */
#include "httpd.h"

#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* Each pointer has the type of the function <microhttpd.h> declares: a
 * header whose signatures change fails the build here instead of calling
 * through a wrong type at run time. (typeof only names the functions: it
 * makes no reference for the linker.) */
#define HTTPD_SAME_TYPE(field, fn)                                                       \
    _Static_assert(__builtin_types_compatible_p(__typeof__(((httpd_t *)0)->field),      \
                                                __typeof__(&fn)),                        \
                   "httpd_t." #field " is not the type of " #fn)
HTTPD_SAME_TYPE(start_daemon, MHD_start_daemon);
HTTPD_SAME_TYPE(stop_daemon, MHD_stop_daemon);
HTTPD_SAME_TYPE(create_response_from_buffer, MHD_create_response_from_buffer);
HTTPD_SAME_TYPE(add_response_header, MHD_add_response_header);
HTTPD_SAME_TYPE(queue_response, MHD_queue_response);
HTTPD_SAME_TYPE(destroy_response, MHD_destroy_response);
HTTPD_SAME_TYPE(lookup_connection_value, MHD_lookup_connection_value);
HTTPD_SAME_TYPE(get_connection_values, MHD_get_connection_values);

static httpd_t loaded;
static int is_loaded;

/* dlsym's object pointer into a function pointer field: POSIX guarantees
 * the two have the same representation; memcpy says so without the cast
 * ISO C does not define. */
static int bind_sym(void *lib, const char *name, void *field, size_t size)
{
    void *p = dlsym(lib, name);
    if (!p || size != sizeof p)
        return -1;
    memcpy(field, &p, sizeof p);
    return 0;
}

const httpd_t *httpd_load(err_t *err)
{
    if (is_loaded)
        return &loaded;
    const char *file = getenv("NNTRAIN_HTTPD_LIB");
    if (!file || !*file)
        file = NNT_MHD_SONAME;
    void *lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        /* dlerror's text starts with the file name, already said. */
        const char *why = dlerror();
        size_t n = strlen(file);
        if (why && strncmp(why, file, n) == 0 && strncmp(why + n, ": ", 2) == 0)
            why += n + 2;
        err_set(err, ERR_RUNTIME,
                "serve: cannot load %s (%s): the HTTP server needs libmicrohttpd "
                "(Debian: apt-get install %s)",
                file, why ? why : "no reason given", NNT_MHD_PACKAGE);
        return NULL;
    }
    httpd_t h;
    const char *missing = NULL;
#define HTTPD_BIND(field, name)                                                          \
    if (!missing && bind_sym(lib, name, &h.field, sizeof h.field) != 0)                  \
        missing = name;
    HTTPD_BIND(start_daemon, "MHD_start_daemon")
    HTTPD_BIND(stop_daemon, "MHD_stop_daemon")
    HTTPD_BIND(create_response_from_buffer, "MHD_create_response_from_buffer")
    HTTPD_BIND(add_response_header, "MHD_add_response_header")
    HTTPD_BIND(queue_response, "MHD_queue_response")
    HTTPD_BIND(destroy_response, "MHD_destroy_response")
    HTTPD_BIND(lookup_connection_value, "MHD_lookup_connection_value")
    HTTPD_BIND(get_connection_values, "MHD_get_connection_values")
#undef HTTPD_BIND
    if (missing) {
        dlclose(lib);
        err_set(err, ERR_RUNTIME,
                "serve: %s has no %s: not the libmicrohttpd nntrain was built for "
                "(Debian: apt-get install %s)",
                file, missing, NNT_MHD_PACKAGE);
        return NULL;
    }
    loaded = h;
    is_loaded = 1;
    return &loaded;
}
