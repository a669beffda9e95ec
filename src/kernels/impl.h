/* The seam between the kernels' dispatch (kernels.c) and the per-ISA
 * files (portable.c, avx2.c, avx512.c, neon.c). Each ISA file defines a
 * thin vector layer and includes template.h, the one source of every
 * kernel; the result is one kern_impl table per ISA. See
 * src/kernels/README.md for the design. */
#ifndef NNTRAIN_KERNELS_IMPL_H
#define NNTRAIN_KERNELS_IMPL_H

#include <stddef.h>
#include "kernels.h"

typedef struct {
    const char *name;
    /* 1 when this CPU can run the path (compiled in is a given). */
    int (*cpu_has)(void);
    /* C (M,N) = e(sum over k of A(i,k) B(k,j)), one FMA chain per output
     * over k = 0..K-1. A(i,k) = A[i*rs + k*cs]. B(k,j) = B[k*N + j], or
     * B[j*K + k] when bt (B stored (N,K)). */
    void (*bcast)(int M, int N, int K, const float *A, size_t rs, size_t cs, const float *B,
                  int bt, const kern_epi *e, float *C);
    /* C (M,N) = e(A (M,K) . B^T), B (N,K): 16 lane sums along k, a fixed
     * tree at the end. */
    void (*nt_lanes)(int M, int N, int K, const float *A, const float *B, const kern_epi *e,
                     float *C);
    void (*act_forward)(kern_act f, float *x, size_t n);
    void (*act_backward)(kern_act f, const float *y, float *d, size_t n);
    void (*exp)(float *x, size_t n);
    void (*softmax_rows)(float *z, int B, int n);
    void (*adam)(const kern_adam_args *a, float *p, const float *g, float *m, float *v,
                 size_t n);
} kern_impl;

/* One per ISA file; the ones this compiler and architecture cannot build
 * are left out (KERN_HAVE_*). */
#if defined(__x86_64__) && defined(__GNUC__)
#define KERN_HAVE_X86 1
extern const kern_impl kern_impl_avx512, kern_impl_avx2;
#endif
#if defined(__aarch64__)
#define KERN_HAVE_NEON 1
extern const kern_impl kern_impl_neon;
#endif
extern const kern_impl kern_impl_portable;

/* The packing buffer of the calling thread: KERN_PACK_FLOATS floats,
 * 64-byte aligned, shared by every path (one per thread, not one per ISA);
 * NULL when it cannot be allocated (or kern_pack_refuse is on): the gemm
 * then packs one panel at a time on its stack, with the same bits. */
#define KERN_KC 256 /* k values per packed block */
#define KERN_NC 256 /* columns per packed block: KC x NC floats = 256 KB, in L2 */
#define KERN_PACK_FLOATS (KERN_KC * KERN_NC)
#define KERN_L1_FLOATS 8192 /* a B of at most this many floats (32 KB) is not packed */
/* B is packed only for a product of more rows than this: each of the 8-row
 * tiles reads all of B, and up to here reading it strided from L2 costs
 * less than the copy (MNIST's first layer, 64 x 128 x 784 on a thread: 69
 * us packed, 64 unpacked; 256 rows: 267 either way; bench/kernels_bench,
 * best of 30, AMD EPYC family 26 model 2, avx512). */
#define KERN_PACK_ROWS 256
float *kern_pack_buffer(void);

#endif
