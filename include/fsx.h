/* fsx: the few filesystem helpers several modules need, and the one way
 * the program writes a file.
 *
 * A low module: it includes err.h only. */
#ifndef NNTRAIN_FSX_H
#define NNTRAIN_FSX_H

#include <stddef.h>
#include <stdio.h>
#include "err.h"

/* Creates every directory on the way to path's last '/', like
 * `mkdir -p "$(dirname path)"`; a path ending in '/' is created whole. */
int fsx_make_parents(const char *path, err_t *err);

/* ---- writing a file atomically ------------------------------------------- */

/* Fills f with a file's bytes. Returns 0, or -1 when a write failed (with
 * errno as the failing call left it; 0 if there is no errno to give). A
 * write it does not check is caught anyway: fsx checks ferror after. */
typedef int (*fsx_write_fn)(FILE *f, const void *user);

/* Writes the file at path whole or not at all:
 *   1. creates the temporary file PATH.tmp.PID beside path (same directory,
 *      so that the rename stays within one file system),
 *   2. fill(f, user) writes its bytes,
 *   3. fflush, then ferror (a write the callback did not check),
 *   4. fsync, 5. fclose (checked),
 *   6. rename over path,
 *   7. fsync of the directory, so that the new name survives a crash too
 *      (best effort: the new file is already in place, and some file
 *      systems refuse fsync on a directory).
 * Every failure of steps 1-6 (permission, disk full, I/O error) returns -1
 * with one ERR_RUNTIME message naming path, `what` (the kind of file, as
 * in "model", "checkpoint") and the step, e.g.
 *   "out/m.bin: cannot save model: fsync of out/m.bin.tmp.123 failed: Input/output error"
 * and removes the temporary file; the previous file at path, if any, is
 * untouched (its bytes, and it stays). A path that names a device, FIFO
 * or socket is refused (ERR_INPUT, "not a regular file"): it would be
 * replaced, not written to. A symbolic link at path is followed: the link
 * stays and the file it points to is replaced (then named in messages);
 * a link to nothing is refused (ERR_INPUT). */
int fsx_write_atomic(const char *path, const char *what, fsx_write_fn fill, const void *user,
                     err_t *err);

/* fsx_write_atomic of n bytes from memory. */
int fsx_write_bytes(const char *path, const char *what, const void *data, size_t n, err_t *err);

/* ---- a test seam: failures on demand ------------------------------------- */

/* The steps of fsx_write_atomic a fault can be injected at. */
typedef enum {
    FSX_STEP_NONE = 0, /* no fault: the default */
    FSX_STEP_OPEN,     /* creating the temporary file (default errno EACCES) */
    FSX_STEP_WRITE,    /* the device fills up: writes fail (default ENOSPC) */
    FSX_STEP_FSYNC,    /* fsync (default EIO) */
    FSX_STEP_CLOSE,    /* fclose; the file is closed all the same (default EIO) */
    FSX_STEP_RENAME    /* rename, not done (default EIO) */
} fsx_step;

typedef struct {
    fsx_step step;
    int skip;        /* calls of fsx_write_atomic that run normally first */
    long long after; /* FSX_STEP_WRITE: bytes that reach the file before
                      * every further write fails */
    int err_no;      /* the errno the step fails with; 0: the default above */
} fsx_fault;

/* Arms fault (NULL disarms): from the (skip+1)-th call of fsx_write_atomic
 * on, each call fails at fault->step, until disarmed. For the tests of
 * every writer: it makes disk-full, I/O and permission failures happen on
 * demand, even as root. Not thread-safe: arm it with no saves in flight.
 * Compiled in always; nothing in the program arms it. */
void fsx_inject(const fsx_fault *fault);

#endif
