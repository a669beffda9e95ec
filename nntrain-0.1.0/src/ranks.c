/* ranks: see include/ranks.h. The build without MPI: one process, rank 0
 * of 1; the cross-rank stage of reduce.h is never reached (no group
 * exists), and does what one rank would. */
#include "ranks.h"

int ranks_init(int *argc, char ***argv, err_t *err)
{
    (void)argc, (void)argv, (void)err;
    return 0;
}

void ranks_finalize(void) {}
int ranks_rank(void) { return 0; }
int ranks_size(void) { return 1; }
const reduce_group *ranks_group(void) { return NULL; }

int ranks_agree(int rc, uint64_t hash, const char *what, err_t *err, int *print)
{
    (void)hash, (void)what, (void)err;
    *print = rc != 0;
    return rc;
}

int ranks_sum(int v) { return v; }

void reduce_ranks_sum(const reduce_group *g, float *const *bufs, int n_bufs, size_t n, float *out)
{
    (void)g;
    reduce_sum(bufs, n_bufs, n, out);
}

void reduce_ranks_gather(const reduce_group *g, double *v, int n_bufs, int per, int rows)
{
    (void)g, (void)v, (void)n_bufs, (void)per, (void)rows;
}

int reduce_ranks_any(const reduce_group *g, int flag)
{
    (void)g;
    return flag != 0;
}
