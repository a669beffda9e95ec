/* cores: how many threads a `threads` setting means (0 = one per core).
 *
 * The lowest layer, next to err and mem: train, eval, ckpt and the
 * commands all ask it, so none of them needs another for this. */
#ifndef NNTRAIN_CORES_H
#define NNTRAIN_CORES_H

/* threads if it is > 0, else the processors this process may run on
 * (OpenMP's count; without OpenMP, the online processors), at least 1. */
int cores_resolve(int threads);

#endif
