/* fsx: see include/fsx.h. */
#include "fsx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
