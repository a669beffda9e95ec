/* err: see include/err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int err_set(err_t *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return -1;
}

int err_prefix(err_t *e, const char *fmt, ...)
{
    if (e) {
        char prefix[sizeof e->msg], msg[sizeof e->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        snprintf(msg, sizeof msg, "%s", e->msg);
        /* Both halves bounded: a long message is cut, never the prefix. */
        snprintf(e->msg, sizeof e->msg, "%.500s: %.500s", prefix, msg);
    }
    return -1;
}

void err_clear(err_t *e)
{
    if (e) {
        e->code = ERR_OK;
        e->msg[0] = '\0';
    }
}
