/* ranks: the processes of one job, and what each one does.
 *
 * Built with MPI (./configure --with-mpi) and started by mpirun, nntrain
 * runs as R ranks: every rank trains (train.h, with reduce.h's group),
 * rank 0 alone prints and writes files; or, for a sweep, each rank runs its
 * share of the trials and rank 0 writes the tables. Built without MPI, or started
 * without mpirun, there is one rank: rank 0 of 1, and nothing here
 * communicates. src/mpi_ranks.c is the MPI side, src/ranks.c the other. */
#ifndef NNTRAIN_RANKS_H
#define NNTRAIN_RANKS_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "reduce.h"

/* Joins the job when mpirun started this process (MPI_Init_thread with
 * MPI_THREAD_FUNNELED: only the thread that calls MPI talks to it); a
 * no-op otherwise. Returns 0, or -1 with err filled. */
int ranks_init(int *argc, char ***argv, err_t *err);

/* Leaves the job (MPI_Finalize); a no-op when ranks_init joined none. */
void ranks_finalize(void);

int ranks_rank(void); /* 0..ranks_size()-1 */
int ranks_size(void); /* 1 without MPI */

/* The whole job as a reduce group; NULL when it is this process alone. */
const reduce_group *ranks_group(void);

/* A check that every rank passes through: rc is this rank's exit code so
 * far (0: fine), hash a digest of what must be the same on every rank
 * (the config, the data, the binary's version), what names it. Returns 0
 * when every rank is fine and every hash equals rank 0's; else the exit
 * code to leave with, the same on every rank. Then *print says whether
 * this rank prints err: a rank that failed prints its own message (only
 * rank 0 when every rank failed, as they then usually say the same); rank
 * 0 says which rank failed, or which rank's `what` differs. */
int ranks_agree(int rc, uint64_t hash, const char *what, err_t *err, int *print);

/* The sum of v over the ranks, returned on every rank (every rank calls
 * it, like ranks_agree); v itself when this process is alone. */
int ranks_sum(int v);

/* 64-bit FNV-1a of n bytes, continuing from h (start with RANKS_HASH0). */
#define RANKS_HASH0 0xcbf29ce484222325ULL
static inline uint64_t ranks_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

#endif
