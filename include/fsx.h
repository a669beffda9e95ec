/* fsx: the few filesystem helpers several modules need. */
#ifndef NNTRAIN_FSX_H
#define NNTRAIN_FSX_H

#include "err.h"

/* Creates every directory on the way to path's last '/', like
 * `mkdir -p "$(dirname path)"`; a path ending in '/' is created whole. */
int fsx_make_parents(const char *path, err_t *err);

#endif
