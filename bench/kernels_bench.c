/* kernels_bench: GFLOP/s of each matrix product at the shapes training uses.
 * Build and run by hand, from a built tree:
 *   gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude bench/kernels_bench.c \
 *       .libs/libnntrain_core.a -fopenmp -lm -o kernels_bench && ./kernels_bench */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *mat(size_t n)
{
    float *m = malloc(n * sizeof *m);
    for (size_t i = 0; i < n; i++)
        m[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return m;
}

/* Runs product `form` on (M,N,K) for ~0.3 s; returns GFLOP/s. */
static double run(char form, int M, int N, int K)
{
    float *A = mat((size_t)M * K), *B = mat((size_t)N * K), *C = mat((size_t)M * N);
    float *bias = mat((size_t)N);
    long reps = 0;
    double t0 = now(), t;
    do {
        for (int r = 0; r < 10; r++) {
            kern_epi e = {bias, KERN_RELU, NULL};
            if (form == 't' || form == 'f')
                kern_gemm_nt(M, N, K, A, B, form == 'f', &e, C);
            else if (form == 'n')
                kern_gemm_nn(M, N, K, A, B, &e, C);
            else
                kern_gemm_tn(M, N, K, A, M, B, C);
        }
        reps += 10;
        t = now() - t0;
    } while (t < 0.3);
    free(A); free(B); free(C); free(bias);
    return 2.0 * M * N * K * reps / t / 1e9;
}

int main(int argc, char **argv)
{
    static const int shapes[][3] = {
        {128, 1024, 784}, {128, 1024, 1024}, {128, 10, 1024}, /* (d), one thread */
        {64, 1024, 784}, {64, 1024, 1024},                    /* (d), two threads */
        {5, 30, 784}, {64, 128, 784},                         /* (a), (c) */
    };
    (void)argc; (void)argv;
    printf("kernels: %s\n", kern_isa());
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        printf("nt  C(%4d,%4d) = A(%4d,%4d) B(%4d,%4d)^T  %6.1f GFLOP/s\n", M, N, M, K, N, K, run('t', M, N, K));
        printf("ntp C(%4d,%4d) = A(%4d,%4d) B(%4d,%4d)^T  %6.1f GFLOP/s\n", M, N, M, K, N, K, run('f', M, N, K));
        /* backward: da = dz W is nn (M, K) = (M, N) (N, K); dW = dz^T a is tn (N, K) over M */
        printf("nn  C(%4d,%4d) = A(%4d,%4d) B(%4d,%4d)    %6.1f GFLOP/s\n", M, K, M, N, N, K, run('n', M, K, N));
        printf("tn  C(%4d,%4d) = A(%4d,%4d)^T B(%4d,%4d)  %6.1f GFLOP/s\n", N, K, M, N, M, K, run('m', N, K, M));
    }
    return 0;
}
