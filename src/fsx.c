/* fsx: see include/fsx.h. */
#define _GNU_SOURCE /* fopencookie: the injected full disk of the test seam */
#include "fsx.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int fsx_make_parents(const char *path, err_t *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return err_set(err, ERR_INPUT, "%.200s...: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return err_set(err, ERR_RUNTIME, "%s: cannot create directory %s: %s", path, buf,
                           strerror(errno));
        *p = '/';
    }
    return 0;
}

/* ---- the test seam ---------------------------------------------------------- */

static fsx_fault fault;  /* step FSX_STEP_NONE: off */
static int fault_calls;  /* calls of fsx_write_atomic since it was armed */

void fsx_inject(const fsx_fault *f)
{
    fault = f ? *f : (fsx_fault){FSX_STEP_NONE, 0, 0, 0};
    if (fault.err_no == 0)
        fault.err_no = fault.step == FSX_STEP_WRITE ? ENOSPC
                       : fault.step == FSX_STEP_OPEN ? EACCES
                                                     : EIO;
    fault_calls = 0;
}

/* The step this call is to fail at (FSX_STEP_NONE almost always). */
static fsx_step fault_step(void)
{
    if (fault.step == FSX_STEP_NONE)
        return FSX_STEP_NONE;
    return fault_calls++ < fault.skip ? FSX_STEP_NONE : fault.step;
}

/* A full disk: the temporary file's FILE writes through this cookie, which
 * lets fault.after bytes reach the file and then fails every write, the way
 * write(2) does on a full device (a short count, then errno). */
typedef struct {
    int fd;
    long long left;
} full_disk;

static ssize_t full_disk_write(void *cookie, const char *buf, size_t n)
{
    full_disk *d = cookie;
    size_t ok = (long long)n > d->left ? (size_t)d->left : n;
    size_t done = 0;
    while (done < ok) {
        ssize_t w = write(d->fd, buf + done, ok - done);
        if (w < 0)
            return (ssize_t)done; /* a real error: errno is the kernel's */
        done += (size_t)w;
    }
    d->left -= (long long)done;
    if (done < n)
        errno = fault.err_no;
    return (ssize_t)done; /* short: stdio marks the stream as failed */
}

static int full_disk_close(void *cookie)
{
    return close(((full_disk *)cookie)->fd);
}

/* ---- writing a file atomically --------------------------------------------- */

/* fsync of path's directory, best effort (see fsx.h). */
static void sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int fsx_write_atomic(const char *path, const char *what, fsx_write_fn fill, const void *user,
                     err_t *err)
{
    /* A symbolic link stays: the file it points to is replaced (else
     * -o /dev/stdout, a link to /proc/self/fd/1, would replace /dev's own
     * link when stdout is a file). */
    char target[PATH_MAX];
    struct stat lst;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        if (!realpath(path, target))
            return err_set(err, ERR_INPUT, "%s: cannot save %s: a symbolic link to %s: %s", path,
                           what, "a file that cannot be reached", strerror(errno));
        path = target;
    }
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return err_set(err, ERR_INPUT, "%.200s...: path too long", path);
    /* A device, a FIFO or a socket (output.metrics=/dev/stdout) is no file
     * to replace: renaming over it would remove it from /dev. A directory
     * in the way fails at the rename, as it always has. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return err_set(err, ERR_INPUT, "%s: cannot save %s: not a regular file", path, what);
    fsx_step inject = fault_step();

    /* 0666 less the umask, as fopen(path, "w") would create it. */
    int fd = inject == FSX_STEP_OPEN ? (errno = fault.err_no, -1)
                                     : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return err_set(err, ERR_RUNTIME, "%s: cannot save %s: cannot create %s: %s", path, what,
                       tmp, strerror(errno));
    full_disk disk = {fd, fault.after};
    FILE *f = inject == FSX_STEP_WRITE
                  ? fopencookie(&disk, "wb", (cookie_io_functions_t){NULL, full_disk_write, NULL,
                                                                     full_disk_close})
                  : fdopen(fd, "wb");
    const char *step = "open";
    if (!f)
        goto fail;

    step = "write";
    errno = 0;
    if (fill(f, user) != 0 || ferror(f))
        goto fail;
    step = "flush";
    if (fflush(f) != 0)
        goto fail;
    step = "fsync";
    if (inject == FSX_STEP_FSYNC ? (errno = fault.err_no, 1) : fsync(fd) != 0)
        goto fail;
    step = "close";
    int rc = fclose(f);
    f = NULL;
    fd = -1;
    if (inject == FSX_STEP_CLOSE ? (errno = fault.err_no, 1) : rc != 0)
        goto fail;
    step = "rename";
    if (inject == FSX_STEP_RENAME ? (errno = fault.err_no, 1) : rename(tmp, path) != 0)
        goto fail;
    sync_dir(path);
    return 0;

fail: {
    int saved = errno;
    if (f)
        fclose(f); /* closes fd too */
    else if (fd >= 0)
        close(fd);
    unlink(tmp);
    return err_set(err, ERR_RUNTIME, "%s: cannot save %s: %s of %s failed: %s", path, what, step,
                   tmp, saved ? strerror(saved) : "unknown error");
}
}

typedef struct {
    const void *data;
    size_t n;
} bytes;

static int write_bytes(FILE *f, const void *user)
{
    const bytes *b = user;
    return fwrite(b->data, 1, b->n, f) == b->n ? 0 : -1;
}

int fsx_write_bytes(const char *path, const char *what, const void *data, size_t n, err_t *err)
{
    bytes b = {data, n};
    return fsx_write_atomic(path, what, write_bytes, &b, err);
}
