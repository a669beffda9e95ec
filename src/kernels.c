/* kernels: see include/kernels.h.
 *
 * Plain loops written so that the compiler vectorises the innermost one
 * over contiguous memory. The k order of every sum is fixed by the loop
 * structure, which is what makes results reproducible bit for bit. */
#include "kernels.h"

#include <string.h>

/* C = A . B^T + bias. A (M,K), B (N,K), bias (N) or NULL, C (M,N).
 * Each C[i][j] is a dot product of two contiguous rows; sum order k = 0..K-1. */
void kern_gemm_nt(int M, int N, int K, const float *A, const float *B,
                  const float *bias, float *C)
{
    for (int i = 0; i < M; i++) {
        const float *a = A + (size_t)i * K;
        float *c = C + (size_t)i * N;
        for (int j = 0; j < N; j++) {
            const float *b = B + (size_t)j * K;
            float s = 0.0f;
            for (int k = 0; k < K; k++)
                s += a[k] * b[k];
            c[j] = s + (bias ? bias[j] : 0.0f);
        }
    }
}

/* C = A . B. A (M,K), B (K,N), C (M,N). Row i of C accumulates rows of B
 * scaled by A[i][k], k in order. */
void kern_gemm_nn(int M, int N, int K, const float *A, const float *B, float *C)
{
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * N;
        memset(c, 0, (size_t)N * sizeof *c);
        for (int k = 0; k < K; k++) {
            float a = A[(size_t)i * K + k];
            const float *b = B + (size_t)k * N;
            for (int j = 0; j < N; j++)
                c[j] += a * b[j];
        }
    }
}

/* C = A^T . B. A (K,M), B (K,N), C (M,N). Example k's outer product is
 * added for k = 0..K-1 in order. */
void kern_gemm_tn(int M, int N, int K, const float *A, const float *B, float *C)
{
    memset(C, 0, (size_t)M * N * sizeof *C);
    for (int k = 0; k < K; k++) {
        const float *a = A + (size_t)k * M;
        const float *b = B + (size_t)k * N;
        for (int i = 0; i < M; i++) {
            float ai = a[i];
            float *c = C + (size_t)i * N;
            for (int j = 0; j < N; j++)
                c[j] += ai * b[j];
        }
    }
}

void kern_colsum(int rows, int cols, const float *A, float *out)
{
    memset(out, 0, (size_t)cols * sizeof *out);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            out[j] += A[(size_t)i * cols + j];
}

const char *kern_isa(void)
{
    return "portable";
}
