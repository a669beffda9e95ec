/* mpi_ranks: ranks.h and reduce.h's cross-rank stage with MPI (the build
 * of ./configure --with-mpi). All of nntrain's MPI calls are here.
 *
 * Failures: MPI_COMM_WORLD keeps MPI's default error handler,
 * MPI_ERRORS_ARE_FATAL, and mpirun ends the whole job when one process
 * dies (killed, out of memory) or calls MPI_Abort, naming that rank. So no
 * rank ever waits forever on one that is gone. Every decision the ranks
 * must share (stop, fail, keep the model) goes through a collective here. */
#include "ranks.h"

#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static reduce_group world = {0, 1, NULL, NULL};
static int joined; /* MPI_Init_thread done */

/* mpirun (Open MPI), or MPICH's and PMIx's launchers, set these. */
static int under_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

int ranks_init(int *argc, char ***argv, err_t *err)
{
    if (!under_mpirun())
        return 0;
#ifdef __linux__
    /* A launcher killed outright (SIGKILL to mpirun) cannot end its ranks.
     * Open MPI 4.1's notice their lost daemon and exit about a second
     * later, and meanwhile a sweep's ranks go on promoting and training
     * trials, which a rerun of the sweep would race. So a rank gets
     * SIGTERM when its parent (mpirun, or the launcher's daemon) dies and
     * stops as it would on mpirun's SIGTERM; a sweep's trials get theirs
     * from their own PR_SET_PDEATHSIG (src/sweep.c). (Their output went
     * through mpirun: the first write after it is gone ends a process
     * with SIGPIPE, so work under way is lost rather than checkpointed,
     * and a rerun redoes it from the last checkpoint.) */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return err_set(err, ERR_RUNTIME, "MPI_Init_thread failed");
    joined = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.size);
    if (provided < MPI_THREAD_FUNNELED) {
        fprintf(stderr, "nntrain: rank %d: this MPI library does not support "
                "MPI_THREAD_FUNNELED (one thread of each rank calling MPI while OpenMP "
                "threads run)\n", world.rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    world.counts = malloc((size_t)world.size * sizeof *world.counts);
    world.displs = malloc((size_t)world.size * sizeof *world.displs);
    if (!world.counts || !world.displs) {
        fprintf(stderr, "nntrain: rank %d: out of memory\n", world.rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return 0;
}

void ranks_finalize(void)
{
    if (!joined)
        return;
    free(world.counts);
    free(world.displs);
    world.counts = world.displs = NULL;
    MPI_Finalize();
    joined = 0;
}

int ranks_rank(void) { return world.rank; }
int ranks_size(void) { return world.size; }
const reduce_group *ranks_group(void) { return world.size > 1 ? &world : NULL; }

int ranks_agree(int rc, uint64_t hash, const char *what, err_t *err, int *print)
{
    *print = rc != 0;
    if (world.size == 1)
        return rc;
    uint64_t mine[2] = {(uint64_t)rc, hash};
    uint64_t *all = malloc((size_t)world.size * sizeof mine);
    if (!all) {
        fprintf(stderr, "nntrain: rank %d: out of memory\n", world.rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
        return 1;
    }
    MPI_Allgather(mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, MPI_COMM_WORLD);
    int worst = 0, n_bad = 0, first_bad = -1, first_diff = -1;
    for (int r = 0; r < world.size; r++) {
        int code = (int)all[2 * r];
        if (code) {
            n_bad++;
            worst = code > worst ? code : worst;
            if (first_bad < 0)
                first_bad = r;
        } else if (all[2 * r + 1] != all[1] && first_diff < 0) {
            first_diff = r;
        }
    }
    free(all);
    if (n_bad == world.size) {
        *print = world.rank == 0; /* all failed, most likely alike: say it once */
        return rc;
    }
    if (n_bad > 0) {
        if (rc)
            return rc; /* printed by this rank, which names itself */
        *print = world.rank == 0;
        err_set(err, worst == 1 ? ERR_RUNTIME : ERR_INPUT,
                "rank %d of %d failed (its message is above): every rank stops", first_bad,
                world.size);
        return worst;
    }
    if (first_diff >= 0) {
        *print = world.rank == 0;
        err_set(err, ERR_INPUT,
                "rank %d's %s differs from rank 0's: every rank must run the same nntrain "
                "version with the same config, overrides and data", first_diff, what);
        return 2;
    }
    return 0;
}

int ranks_sum(int v)
{
    if (world.size == 1)
        return v;
    int sum = 0;
    MPI_Allreduce(&v, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    return sum;
}

/* Chunks of the chain: big enough to amortise a message, small enough that
 * rank r+1 starts adding soon after rank r. */
#define CHAIN_FLOATS (64 * 1024)

void reduce_ranks_sum(const reduce_group *g, float *const *bufs, int n_bufs, size_t n, float *out)
{
    if (!g) {
        reduce_sum(bufs, n_bufs, n, out);
        return;
    }
    int lo, hi;
    reduce_block(g, n_bufs, &lo, &hi);
    /* Rank r holds a partial sum after its block when any shard is at or
     * before its block's end: hi > 0. It receives one when an earlier rank
     * had shards: lo > 0 (then lo is the previous rank's hi). */
    int recv = lo > 0, send = hi > 0 && g->rank + 1 < g->size;
    for (size_t c0 = 0; (recv || hi > lo) && c0 < n; c0 += CHAIN_FLOATS) {
        size_t len = n - c0 < CHAIN_FLOATS ? n - c0 : CHAIN_FLOATS;
        float *o = out + c0;
        if (recv)
            MPI_Recv(o, (int)len, MPI_FLOAT, g->rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (size_t i = 0; i < len; i++) {
            /* The same additions, in the same order, as reduce_sum's. */
            int b = lo;
            float s = recv ? o[i] : bufs[b++][c0 + i];
            for (; b < hi; b++)
                s += bufs[b][c0 + i];
            o[i] = s;
        }
        if (send)
            MPI_Send(o, (int)len, MPI_FLOAT, g->rank + 1, 0, MPI_COMM_WORLD);
    }
    /* The last rank's block ends at n_bufs: it has every shard. */
    for (size_t c0 = 0; c0 < n; c0 += (size_t)1 << 28) {
        size_t len = n - c0 < (size_t)1 << 28 ? n - c0 : (size_t)1 << 28;
        MPI_Bcast(out + c0, (int)len, MPI_FLOAT, g->size - 1, MPI_COMM_WORLD);
    }
}

void reduce_ranks_gather(const reduce_group *g, double *v, int n_bufs, int per, int rows)
{
    if (!g)
        return;
    for (int r = 0; r < g->size; r++) {
        int lo = (int)((long long)n_bufs * r / g->size), hi = (int)((long long)n_bufs * (r + 1) / g->size);
        int a = lo * per < rows ? lo * per : rows, b = hi * per < rows ? hi * per : rows;
        g->displs[r] = a;
        g->counts[r] = b - a;
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, v, g->counts, g->displs, MPI_DOUBLE,
                   MPI_COMM_WORLD);
}

int reduce_ranks_any(const reduce_group *g, int flag)
{
    if (!g)
        return flag != 0;
    int mine = flag != 0, any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return any;
}
