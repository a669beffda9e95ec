/* reduce_bench: what the ordered cross-rank sum costs against MPI_Allreduce.
 *
 *   mpirun -np R bench/reduce_bench [-k K] [-r REPS] [N ...]
 *
 * For each N (floats in a gradient; default the bench networks' parameter
 * counts: 13002, 23860, 101770, 1863690) every rank holds K shard buffers
 * (default 4) of N floats, one allocation with a 64-byte stride as
 * src/train.c has them, and the shards are split in blocks across the
 * ranks with reduce_block, as batch_step does. The contenders, timed per
 * call (a barrier, then the call; a call's time is the slowest rank's),
 * alternate within one run, REPS calls each (default 30) after 5 of
 * warm-up:
 *   chain      reduce_ranks_sum (src/mpi_ranks.c): the ordered chain and
 *              the broadcast, into bufs[0];
 *   allreduce  reduce_sum of this rank's block into bufs[0] (zeros when the
 *              block is empty), then MPI_Allreduce(MPI_IN_PLACE, MPI_SUM);
 *   local      reduce_sum of this rank's block alone: no communication, the
 *              arithmetic floor (not a full sum);
 *   bcast      MPI_Bcast of N floats from the last rank alone: the chain's
 *              second half (no sum).
 * Every chain and allreduce call's result is compared, on every rank,
 * with reduce_sum over all K buffers on one process. The buffers hold
 * splitmix64 floats of mixed signs and magnitudes (2^-10 to 2^11), so that
 * the order of the additions shows in the bits. Prints one line per
 * contender:
 *   ranks n k contender median_us GB/s bitwise same_all max_abs_diff
 * GB/s is N x 4 bytes / the median time; bitwise: every call equal to the
 * one-process sum, on every rank; same_all: the last call's result the
 * same bits on every rank as on rank 0; max_abs_diff: the largest
 * |result - one-process sum| over all calls and ranks; "-" and 0 for local
 * and bcast, which do not make the sum. One thread a rank (the sum runs on
 * the thread that calls MPI, as under `omp master` in batch_step).
 *
 * Only in the MPI build: make bench/reduce_bench; bench/reduce_cost.sh runs
 * it for R = 2, 3, 4. Started without mpirun it runs as one rank. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranks.h"
#include "reduce.h"
#include "rng.h"

#define WARMUP 5
#define N_CONT 4
static const char *const NAMES[N_CONT] = {"chain", "allreduce", "local", "bcast"};

/* Mixed magnitudes: +-[1, 2) x 2^e, e in [-10, 10] (5 bits mod 21). */
static void fill(float *b, size_t n, uint64_t seed)
{
    rng_t r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = rng_next(&r);
        float m = 1.0f + rng_unit24(h);
        int e = (int)(h & 31) % 21 - 10;
        b[i] = ((h >> 5) & 1 ? -1.0f : 1.0f) * ldexpf(m, e);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fail(const char *what)
{
    fprintf(stderr, "reduce_bench: %s\n", what);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

/* One size: every contender REPS times, alternating; rank 0 prints. */
static void bench(size_t n, int k, int reps)
{
    const reduce_group *g = ranks_group();
    int rank = ranks_rank(), size = ranks_size();
    size_t stride = (n + 15) / 16 * 16; /* 64 bytes */
    float *mem = aligned_alloc(64, (size_t)k * stride * sizeof(float));
    float **bufs = malloc((size_t)k * sizeof *bufs);
    float *first = malloc(n * sizeof *first), *ref = malloc(n * sizeof *ref);
    float *root = malloc(n * sizeof *root);
    double *t = malloc((size_t)N_CONT * reps * sizeof *t);
    double *tmax = malloc((size_t)N_CONT * reps * sizeof *tmax);
    if (!mem || !bufs || !first || !ref || !root || !t || !tmax)
        fail("out of memory");
    for (int b = 0; b < k; b++) {
        bufs[b] = mem + (size_t)b * stride;
        fill(bufs[b], n, rng_mix(0x5eed, (uint64_t)b));
    }
    memcpy(first, bufs[0], n * sizeof *first);
    reduce_sum(bufs, k, n, ref);
    int lo, hi;
    reduce_block(g, k, &lo, &hi);

    int equal[N_CONT] = {1, 1, 1, 1}, same[N_CONT] = {1, 1, 1, 1};
    double diff[N_CONT] = {0, 0, 0, 0};
    for (int it = -WARMUP; it < reps; it++) {
        for (int j = 0; j < N_CONT; j++) {
            int c = (j + (it < 0 ? 0 : it)) % N_CONT; /* rotate who goes first */
            float *out = bufs[0];
            memcpy(bufs[0], first, n * sizeof *first); /* the chain and the sums write it */
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            if (c == 0) {
                reduce_ranks_sum(g, bufs, k, n, out);
            } else if (c == 3) {
                MPI_Bcast(out, (int)n, MPI_FLOAT, size - 1, MPI_COMM_WORLD);
            } else {
                if (hi > lo)
                    reduce_sum(bufs + lo, hi - lo, n, out);
                else
                    memset(out, 0, n * sizeof *out);
                if (c == 1)
                    MPI_Allreduce(MPI_IN_PLACE, out, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            }
            double dt = MPI_Wtime() - t0;
            if (it < 0)
                continue;
            t[(size_t)c * reps + it] = dt;
            if (c >= 2)
                continue;
            if (memcmp(out, ref, n * sizeof *out) != 0)
                equal[c] = 0;
            for (size_t i = 0; i < n; i++) {
                double d = fabs((double)out[i] - (double)ref[i]);
                diff[c] = d > diff[c] ? d : diff[c];
            }
            if (it == reps - 1) {
                if (rank == 0)
                    memcpy(root, out, n * sizeof *root);
                MPI_Bcast(root, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
                same[c] = memcmp(out, root, n * sizeof *out) == 0;
            }
        }
    }
    MPI_Reduce(t, tmax, N_CONT * reps, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, equal, N_CONT, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, same, N_CONT, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, diff, N_CONT, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0) {
        for (int c = 0; c < N_CONT; c++) {
            double *tc = tmax + (size_t)c * reps;
            qsort(tc, (size_t)reps, sizeof *tc, cmp_double);
            double med = reps % 2 ? tc[reps / 2] : 0.5 * (tc[reps / 2 - 1] + tc[reps / 2]);
            printf("%d %zu %d %s %.1f %.2f %s %s %.3g\n", size, n, k, NAMES[c], med * 1e6,
                   (double)n * sizeof(float) / med / 1e9, c >= 2 ? "-" : equal[c] ? "yes" : "no",
                   c >= 2 ? "-" : same[c] ? "yes" : "no", c >= 2 ? 0.0 : diff[c]);
        }
        fflush(stdout);
    }
    free(mem);
    free(bufs);
    free(first);
    free(ref);
    free(root);
    free(t);
    free(tmax);
}

int main(int argc, char **argv)
{
    err_t err;
    if (ranks_init(&argc, &argv, &err) != 0) {
        fprintf(stderr, "reduce_bench: %s\n", err.msg);
        return 1;
    }
    int inited = 0, own = 0;
    MPI_Initialized(&inited);
    if (!inited) { /* not under mpirun: a singleton job of one rank */
        int provided;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
        own = 1;
    }
    int k = 4, reps = 30, a = 1;
    for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
        if (!strcmp(argv[a], "-k"))
            k = atoi(argv[a + 1]);
        else if (!strcmp(argv[a], "-r"))
            reps = atoi(argv[a + 1]);
        else
            break;
    }
    if (k < 1 || reps < 1 || (a < argc && argv[a][0] == '-'))
        fail("usage: reduce_bench [-k SHARDS] [-r REPS] [N ...]");
    static const size_t defaults[] = {13002, 23860, 101770, 1863690};
    if (ranks_rank() == 0)
        printf("# ranks n k contender median_us GB/s bitwise same_all max_abs_diff\n");
    if (a == argc) {
        for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
            bench(defaults[i], k, reps);
    } else {
        for (; a < argc; a++) {
            long long n = atoll(argv[a]);
            if (n < 1 || n > 0x7fffffffLL)
                fail("N must be 1 to 2^31-1 floats");
            bench((size_t)n, k, reps);
        }
    }
    if (own)
        MPI_Finalize();
    else
        ranks_finalize();
    return 0;
}
