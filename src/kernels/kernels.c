/* kernels: see include/kernels.h and src/kernels/README.md.
 *
 * The dispatch: one kern_impl table per ISA (portable.c, avx2.c, avx512.c,
 * neon.c, all made from template.h), the best one this CPU runs chosen on
 * first use, or the one NNTRAIN_KERNELS names. Every path gives the same
 * bits, so the choice changes the speed only. */
#include "kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl.h"

/* Best first. */
static const kern_impl *const paths[] = {
#ifdef KERN_HAVE_X86
    &kern_impl_avx512,
    &kern_impl_avx2,
#endif
#ifdef KERN_HAVE_NEON
    &kern_impl_neon,
#endif
    &kern_impl_portable,
};
#define N_PATHS (int)(sizeof paths / sizeof paths[0])

/* Every name NNTRAIN_KERNELS may give, compiled in here or not. */
static const char *const all_names[] = {"avx512", "avx2", "neon", "portable"};

/* The packing buffers: one per thread, allocated at the thread's first
 * gemm that packs, freed when the thread ends (a pthread key's destructor).
 * Not a _Thread_local array: the C library zeroes those in every thread at
 * its start, 64 fresh pages (0.6 ms on a VM where a page costs 10 us) for
 * every thread and every command, packing or not. */
static pthread_key_t pack_key;
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;
static int pack_key_ok;
static _Thread_local float *pack_block;
static atomic_int pack_refused; /* kern_pack_refuse: the tests' switch */

static void pack_key_init(void)
{
    pack_key_ok = pthread_key_create(&pack_key, free) == 0;
}

float *kern_pack_buffer(void)
{
    if (atomic_load_explicit(&pack_refused, memory_order_relaxed))
        return NULL;
    if (!pack_block) {
        pthread_once(&pack_once, pack_key_init);
        if (!pack_key_ok)
            return NULL;
        float *b = aligned_alloc(64, KERN_PACK_FLOATS * sizeof *b);
        if (!b || pthread_setspecific(pack_key, b) != 0) {
            free(b);
            return NULL;
        }
        pack_block = b;
    }
    return pack_block;
}

void kern_pack_refuse(int on)
{
    atomic_store(&pack_refused, on != 0);
}

/* Chosen on first use. Atomic because the first use may come from several
 * threads at once (they all store the same pointer). */
static _Atomic(const kern_impl *) impl;

static const kern_impl *find(const char *name, err_t *err)
{
    for (int i = 0; i < N_PATHS; i++)
        if (strcmp(paths[i]->name, name) == 0) {
            if (paths[i]->cpu_has())
                return paths[i];
            err_set(err, ERR_INPUT, "kernel path %s: this CPU cannot run it (it runs %s)",
                    name, kern_available());
            return NULL;
        }
    for (size_t i = 0; i < sizeof all_names / sizeof all_names[0]; i++)
        if (strcmp(all_names[i], name) == 0) {
            err_set(err, ERR_INPUT, "kernel path %s is not built for this architecture (it runs %s)",
                    name, kern_available());
            return NULL;
        }
    err_set(err, ERR_INPUT, "unknown kernel path '%s' (one of avx512, avx2, neon, portable)", name);
    return NULL;
}

int kern_use(const char *name, err_t *err)
{
    const kern_impl *p = find(name, err);
    if (!p)
        return -1;
    atomic_store_explicit(&impl, p, memory_order_relaxed);
    return 0;
}

int kern_use_env(err_t *err)
{
    const char *want = getenv("NNTRAIN_KERNELS");
    if (!want) /* the best this CPU runs (portable at worst) */
        return kern_use(kern_path_name(0), err);
    if (kern_use(want, err) != 0)
        return err_prefix(err, "NNTRAIN_KERNELS=%s", want);
    return 0;
}

static inline const kern_impl *get(void)
{
    const kern_impl *p = atomic_load_explicit(&impl, memory_order_relaxed);
    if (!p) {
        err_t err;
        if (kern_use_env(&err) != 0) { /* main calls kern_use_env first and reports */
            fprintf(stderr, "nntrain: %s\n", err.msg);
            exit(2);
        }
        p = atomic_load_explicit(&impl, memory_order_relaxed);
    }
    return p;
}

const char *kern_isa(void)
{
    return get()->name;
}

const char *kern_available(void)
{
    static char list[64];
    if (!list[0])
        for (int i = 0; i < N_PATHS; i++)
            if (paths[i]->cpu_has()) {
                if (list[0])
                    strcat(list, ", ");
                strcat(list, paths[i]->name);
            }
    return list;
}

int kern_path_count(void)
{
    int n = 0;
    for (int i = 0; i < N_PATHS; i++)
        n += paths[i]->cpu_has() != 0;
    return n;
}

const char *kern_path_name(int i)
{
    for (int j = 0; j < N_PATHS; j++)
        if (paths[j]->cpu_has() && i-- == 0)
            return paths[j]->name;
    return NULL;
}

/* ---- the products and functions, through the chosen path --------------- */

void kern_gemm_nn(int M, int N, int K, const float *A, const float *B, const kern_epi *e,
                  float *C)
{
    get()->bcast(M, N, K, A, (size_t)K, 1, B, 0, e, C);
}

void kern_gemm_nt(int M, int N, int K, const float *A, const float *B, int packed,
                  const kern_epi *e, float *C)
{
    if (packed)
        get()->bcast(M, N, K, A, (size_t)K, 1, B, 1, e, C);
    else
        get()->nt_lanes(M, N, K, A, B, e, C);
}

void kern_gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, float *C)
{
    get()->bcast(M, N, K, A, 1, (size_t)lda, B, 0, NULL, C);
}

void kern_act_forward(kern_act f, float *x, size_t n)
{
    get()->act_forward(f, x, n);
}

void kern_act_backward(kern_act f, const float *y, float *d, size_t n)
{
    get()->act_backward(f, y, d, n);
}

void kern_exp(float *x, size_t n)
{
    get()->exp(x, n);
}

void kern_softmax_rows(float *z, int B, int n)
{
    get()->softmax_rows(z, B, n);
}

void kern_adam(const kern_adam_args *a, float *p, const float *g, float *m, float *v, size_t n)
{
    get()->adam(a, p, g, m, v, n);
}

/* Plain adds in row order: the compiler may vectorise across j (which
 * reorders nothing), the same in every path. */
void kern_colsum(int rows, int cols, const float *A, int lda, float *out)
{
    memset(out, 0, (size_t)cols * sizeof *out);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            out[j] += A[(size_t)i * lda + j];
}
