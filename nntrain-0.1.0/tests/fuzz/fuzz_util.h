/* Shared by the file-reading harnesses: the input is written to a
 * per-process scratch file under $TMPDIR (or /tmp), overwritten for every
 * input and removed at exit. */
#ifndef NNTRAIN_FUZZ_UTIL_H
#define NNTRAIN_FUZZ_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_MAX_PATHS 4
static char fuzz_paths_[FUZZ_MAX_PATHS][512];
static const char *fuzz_tags_[FUZZ_MAX_PATHS];

static void fuzz_cleanup_(void)
{
    for (int i = 0; i < FUZZ_MAX_PATHS && fuzz_tags_[i]; i++)
        unlink(fuzz_paths_[i]);
}

/* The scratch file for tag (a string literal), e.g. fuzz_path("images"). */
static const char *fuzz_path(const char *tag)
{
    for (int i = 0; i < FUZZ_MAX_PATHS; i++) {
        if (fuzz_tags_[i] && strcmp(fuzz_tags_[i], tag) == 0) return fuzz_paths_[i];
        if (!fuzz_tags_[i]) {
            const char *dir = getenv("TMPDIR");
            snprintf(fuzz_paths_[i], sizeof fuzz_paths_[i], "%s/nntrain-fuzz-%ld-%s",
                     dir && dir[0] ? dir : "/tmp", (long)getpid(), tag);
            if (i == 0) atexit(fuzz_cleanup_);
            fuzz_tags_[i] = tag;
            return fuzz_paths_[i];
        }
    }
    abort();
}

static void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}
#endif
