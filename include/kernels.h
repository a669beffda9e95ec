/* kernels: the dense matrix products and activations the network runs on.
 *
 * All matrices are row-major float32. Every product's summation order over
 * k is fixed by the shapes alone (never by threads or alignment), so the
 * same inputs give the same bits on every run. Single-threaded: parallelism
 * lives one level up, across shards. */
#ifndef NNTRAIN_KERNELS_H
#define NNTRAIN_KERNELS_H

/* C = A . B^T (+ bias broadcast over rows, if bias != NULL).
 * A is (M, K), B is (N, K), bias is (N), C is (M, N). Forward: z = a W^T + b. */
void kern_gemm_nt(int M, int N, int K, const float *A, const float *B,
                  const float *bias, float *C);

/* C = A . B.  A is (M, K), B is (K, N), C is (M, N). Backward: da = dz W. */
void kern_gemm_nn(int M, int N, int K, const float *A, const float *B, float *C);

/* C = A^T . B.  A is (K, M), B is (K, N), C is (M, N).
 * Backward: dW = dz^T a_prev, summed over the K examples in order. */
void kern_gemm_tn(int M, int N, int K, const float *A, const float *B, float *C);

/* out[j] = sum over i < rows of A[i][j], i in order. A is (rows, cols). */
void kern_colsum(int rows, int cols, const float *A, float *out);

/* Name of the code path in use ("avx512", "avx2" or "portable"). */
const char *kern_isa(void);

#endif
