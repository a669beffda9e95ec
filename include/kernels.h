/* kernels: the dense matrix products and activations the network runs on.
 *
 * All matrices are row-major float32. Every product's summation order over
 * k is fixed by the shapes alone (never by threads, alignment or how rows
 * are grouped), so the same inputs give the same bits on every run.
 * Single-threaded: parallelism lives one level up (train.c splits rows,
 * weight rows or shards across threads).
 * Knows nothing of layers: only matrices and elementwise functions. */
#ifndef NNTRAIN_KERNELS_H
#define NNTRAIN_KERNELS_H

#include <stddef.h>

/* Elementwise functions that can be fused into a product. */
typedef enum {
    KERN_LINEAR,     /* f(z) = z */
    KERN_SIGMOID,    /* 1 / (1 + e^-z) */
    KERN_TANH,
    KERN_RELU,       /* max(z, 0) */
    KERN_LEAKY_RELU  /* z > 0 ? z : KERN_LEAKY_SLOPE z */
} kern_act;

#define KERN_LEAKY_SLOPE 0.01f

/* What becomes of each output c[i][j] of a product as it is finished:
 *   forward (y == NULL):  c = f(c + bias[j])   (bias may be NULL)
 *   backward (y != NULL): c = c * f'(y[i][j])  (y: f's outputs, shaped like C)
 * A NULL kern_epi leaves c as it is. Fusing this saves a pass over C. */
typedef struct {
    const float *bias;
    kern_act f;
    const float *y;
} kern_epi;

/* C = e(A . B). A is (M, K), B is (K, N), C is (M, N).
 * The forward pass: a = f(a_prev W + b), W stored (n_in, n_out). */
void kern_gemm_nn(int M, int N, int K, const float *A, const float *B, const kern_epi *e,
                  float *C);

/* C = e(A . B^T). A is (M, K), B is (N, K), C is (M, N). The backward step to
 * the layer below: d_prev = (d W^T) * f'(a_prev). Two algorithms: packed = 0
 * keeps 16 lane sums per output along k (good for few rows); packed = 1
 * turns panels of B around and runs one FMA chain per output (good for many
 * rows). Their low bits differ: a caller picks one for a whole run, never
 * by M, so that how rows are split never changes a result. */
void kern_gemm_nt(int M, int N, int K, const float *A, const float *B, int packed,
                  const kern_epi *e, float *C);

/* C = A^T . B.  A is (K, M) with rows lda >= M floats apart (so A can be a
 * column range of a wider matrix), B is (K, N), C is (M, N); the sum runs
 * over k = 0..K-1 in order. The weight gradient: dW = d^T a_prev summed
 * over the K examples of a mini-batch. */
void kern_gemm_tn(int M, int N, int K, const float *A, int lda, const float *B, float *C);

/* out[j] = sum over i < rows of A[i][j], i in order, for j < cols; A's rows
 * are lda floats apart. The bias gradient: db = column sums of d. */
void kern_colsum(int rows, int cols, const float *A, int lda, float *out);

/* x[i] = f(x[i]) for i < n. */
void kern_act_forward(kern_act f, float *x, size_t n);

/* d[i] *= f'(y[i]) for i < n, with y = f's output. */
void kern_act_backward(kern_act f, const float *y, float *d, size_t n);

/* Name of the code path in use: "avx512" or "portable". */
const char *kern_isa(void);

#endif
