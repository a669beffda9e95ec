/* err: errors as values.
 *
 * A module that can fail takes an `err_t *` as its last argument, fills it
 * with one complete message (naming the file, and line:col where there is
 * one) and returns -1. Nothing below main() prints an error: main prints
 * err->msg once and exits with err->code. */
#ifndef NNTRAIN_ERR_H
#define NNTRAIN_ERR_H

enum {
    ERR_OK = 0,
    ERR_RUNTIME = 1, /* the work failed: I/O error, out of memory, divergence */
    ERR_INPUT = 2    /* the user's input is wrong: usage, config, data, model file */
};

typedef struct {
    int code;       /* ERR_RUNTIME or ERR_INPUT; ERR_OK when no error */
    char msg[1024]; /* one line, no trailing newline */
} err_t;

/* Fills e (if not NULL) with code and a printf-style message; returns -1 so
 * that callers can write `return err_set(e, ERR_INPUT, "...")`. */
int err_set(err_t *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts a printf-style prefix and ": " before e's message (e.g. the file or
 * config line a lower-level message is about), keeping its code; returns
 * -1 like err_set. */
int err_prefix(err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears e to "no error". */
void err_clear(err_t *e);

#endif
