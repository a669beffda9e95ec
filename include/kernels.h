/* kernels: the dense matrix products and activations the network runs on.
 *
 * All matrices are row-major float32. Every product's summation order over
 * k is fixed by the shapes alone (never by threads, alignment, how rows
 * are grouped or the CPU), and the elementwise functions are the project's
 * own polynomials, so the same inputs give the same bits on every run and
 * on every kernel path: avx512, avx2, neon or portable (src/kernels/).
 * Single-threaded: parallelism lives one level up (train.c splits rows,
 * weight rows or shards across threads).
 * Knows nothing of layers: only matrices and elementwise functions. */
#ifndef NNTRAIN_KERNELS_H
#define NNTRAIN_KERNELS_H

#include <stddef.h>
#include "err.h"

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
 * keeps 16 lane sums per output along k (lane l adds k = l, l+16, ...; the
 * 16 are added in one fixed tree, in every path, whatever its vector
 * width), good for few rows; packed = 1 turns panels of B around and runs
 * one FMA chain per output, good for many rows. Their low bits differ: a
 * caller picks one for a whole run, never by M, so that how rows are split
 * never changes a result. */
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

/* For the tests: on, every gemm runs as when its thread's packing buffer
 * (256 KB, allocated at the thread's first packing gemm) cannot be had:
 * one panel at a time, packed on the stack. The same bits either way. */
void kern_pack_refuse(int on);

/* x[i] = f(x[i]) for i < n. */
void kern_act_forward(kern_act f, float *x, size_t n);

/* d[i] *= f'(y[i]) for i < n, with y = f's output. */
void kern_act_backward(kern_act f, const float *y, float *d, size_t n);

/* x[i] = e^x[i] for i < n: the polynomial under sigmoid, tanh and softmax
 * (clamped to [-103.97, 88.72]; accuracy in src/kernels/README.md). */
void kern_exp(float *x, size_t n);

/* z (B, n) -> softmax of each row, in place: e^(z - max) / sum, the max
 * and sum taken over the row in order. */
void kern_softmax_rows(float *z, int B, int n);

/* One Adam (or AdamW) step over n parameters, element by element, in this
 * order (each operation one IEEE float operation, so every path gives the
 * reference's bits; optim.c's step_adam_ref is that reference):
 *   q = p                       then, if lr_wd != 0: q = q - lr_wd * q
 *   d = g * inv_b + wd * p      (g: the gradient SUM over the batch)
 *   m = b1 * m + one_minus_b1 * d
 *   v = b2 * v + one_minus_b2 * (d * d)
 *   p = q - lr * ((m * c1) / (sqrt(v * c2) + eps))
 * p, g, m, v hold n floats each. Adam has lr_wd = 0, AdamW wd = 0. */
typedef struct {
    float inv_b, wd, lr_wd;       /* 1 / batch; L2 decay; decoupled decay lr * wd */
    float b1, one_minus_b1;       /* the first moment's decay */
    float b2, one_minus_b2;       /* the second moment's */
    float c1, c2;                 /* bias corrections 1 / (1 - beta^t) */
    float lr, eps;
} kern_adam_args;

void kern_adam(const kern_adam_args *a, float *p, const float *g, float *m, float *v, size_t n);

/* ---- kernel paths ----------------------------------------------------------
 * The best path the CPU runs is used unless NNTRAIN_KERNELS names one. */

/* Chooses the path from NNTRAIN_KERNELS (avx512, avx2, neon or portable) or,
 * unset, the best this CPU runs. A path that is unknown, not built for this
 * architecture or not run by this CPU is an ERR_INPUT error (never replaced
 * by another). Call it first: a kernel used before it chooses the same way
 * and, on such an error, prints it and exits with status 2. */
int kern_use_env(err_t *err);

/* Switches to the named path; -1 and err as kern_use_env. Not while other
 * threads run kernels. */
int kern_use(const char *name, err_t *err);

/* The path in use: "avx512", "avx2", "neon" or "portable". */
const char *kern_isa(void);

/* The paths this CPU runs, best first: i in 0..kern_path_count()-1;
 * kern_available() lists them as "avx512, avx2, portable". */
int kern_path_count(void);
const char *kern_path_name(int i);
const char *kern_available(void);

#endif
