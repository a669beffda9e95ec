/* blas_bench: nntrain's kernels against OpenBLAS's sgemm on the products
 * training runs, one thread each, alternating in one process, and whether
 * OpenBLAS's bits change with its thread count (nntrain's must not).
 *
 * OpenBLAS is loaded at run time (dlopen), so nothing is needed to build:
 *   gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude bench/blas_bench.c \
 *       .libs/libnntrain_core.a -fopenmp -lm -ldl -o blas_bench
 *   OPENBLAS_CORETYPE=SkylakeX ./blas_bench [path/to/libopenblas.so.0 [B,in,out ...]]
 * (Debian: libopenblas0-openmp; bench/run.sh installs it.) */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
typedef void (*sgemm_fn)(int order, int ta, int tb, int M, int N, int K, float alpha,
                         const float *A, int lda, const float *B, int ldb, float beta, float *C,
                         int ldc);
typedef void (*threads_fn)(int);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *mat(size_t n, unsigned seed)
{
    float *m = malloc(n * sizeof *m);
    for (size_t i = 0; i < n; i++)
        m[i] = (float)(((i + seed) * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return m;
}

/* The three products of a layer, as nntrain calls them (W is (n_in, n_out)):
 *   'f' forward   C(B, out)  = A(B, in) . W(in, out)
 *   'b' backward  C(B, in)   = D(B, out) . W(in, out)^T
 *   'g' gradient  C(in, out) = A(B, in)^T . D(B, out)          */
static void ours(char form, int B, int in, int out, const float *A, const float *W,
                 const float *D, float *C)
{
    if (form == 'f')
        kern_gemm_nn(B, out, in, A, W, NULL, C);
    else if (form == 'b')
        kern_gemm_nt(B, in, out, D, W, 1, NULL, C);
    else
        kern_gemm_tn(in, out, B, A, in, D, C);
}

static void theirs(sgemm_fn gemm, char form, int B, int in, int out, const float *A,
                   const float *W, const float *D, float *C)
{
    if (form == 'f')
        gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, B, out, in, 1, A, in, W, out, 0, C, out);
    else if (form == 'b')
        gemm(ROW_MAJOR, NO_TRANS, TRANS, B, in, out, 1, D, out, W, out, 0, C, in);
    else
        gemm(ROW_MAJOR, TRANS, NO_TRANS, in, out, B, 1, A, in, D, out, 0, C, out);
}

int main(int argc, char **argv)
{
    const char *lib = argc > 1 ? argv[1] : "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0";
    void *h = dlopen(lib, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "blas_bench: %s\n", dlerror());
        return 1;
    }
    sgemm_fn gemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
    threads_fn set_threads = (threads_fn)dlsym(h, "openblas_set_num_threads");
    const char *(*corename)(void) = (const char *(*)(void))dlsym(h, "openblas_get_corename");
    if (!gemm || !set_threads) {
        fprintf(stderr, "blas_bench: %s lacks cblas_sgemm or openblas_set_num_threads\n", lib);
        return 1;
    }
    printf("nntrain kernels: %s; OpenBLAS core: %s; one thread each\n", kern_isa(),
           corename ? corename() : "?");
    printf("%-9s %-22s %12s %12s %7s\n", "product", "shape (B, in, out)", "nntrain", "OpenBLAS", "ratio");
    /* The MNIST benches' shapes, or those named as B,in,out after the
     * library (bench/tabular_torch.sh's network: 256,50,256 256,256,256
     * 256,256,1). */
    static int shapes[16][3] = {{128, 784, 1024}, {128, 1024, 1024}, {64, 784, 128},
                                {10, 784, 30}};
    size_t n_shapes = 4;
    if (argc > 2) {
        n_shapes = 0;
        for (int i = 2; i < argc && n_shapes < 16; i++)
            if (sscanf(argv[i], "%d,%d,%d", &shapes[n_shapes][0], &shapes[n_shapes][1],
                       &shapes[n_shapes][2]) == 3 && shapes[n_shapes][0] > 0 &&
                shapes[n_shapes][1] > 0 && shapes[n_shapes][2] > 0)
                n_shapes++;
            else {
                fprintf(stderr, "blas_bench: '%s' is not B,in,out\n", argv[i]);
                return 2;
            }
    }
    const char forms[] = {'f', 'b', 'g'};
    const char *names[] = {"forward", "backward", "gradient"};
    for (size_t s = 0; s < n_shapes; s++) {
        int B = shapes[s][0], in = shapes[s][1], out = shapes[s][2];
        float *A = mat((size_t)B * in, 1), *W = mat((size_t)in * out, 2), *D = mat((size_t)B * out, 3);
        float *C = malloc((size_t)(in > B ? in : B) * (in > out ? in : out) * sizeof *C);
        for (int f = 0; f < 3; f++) {
            double best[2] = {1e30, 1e30};
            long reps = 1;
            /* Alternate the two, 5 rounds; keep each one's fastest. */
            for (int round = 0; round < 5; round++)
                for (int who = 0; who < 2; who++) {
                    set_threads(1);
                    double t0 = now();
                    for (long r = 0; r < reps; r++)
                        who ? theirs(gemm, forms[f], B, in, out, A, W, D, C)
                            : ours(forms[f], B, in, out, A, W, D, C);
                    double t = (now() - t0) / reps;
                    if (t < best[who])
                        best[who] = t;
                    if (round == 0 && who == 1 && t * reps < 0.05)
                        reps = (long)(0.05 / t) + 1; /* about 50 ms a measurement */
                }
            double flops = 2.0 * B * in * out;
            char shape[32];
            snprintf(shape, sizeof shape, "(%d, %d, %d)", B, in, out);
            printf("%-9s %-22s %8.1f GF/s %8.1f GF/s %6.2fx\n", names[f], shape,
                   flops / best[0] / 1e9, flops / best[1] / 1e9, best[1] / best[0]);
        }
        free(A); free(W); free(D); free(C);
    }
    /* Does OpenBLAS give the same bits with 1 and 2 threads? */
    int B = 128, in = 1024, out = 1024, same = 1;
    float *A = mat((size_t)B * in, 1), *D = mat((size_t)B * out, 3);
    float *C1 = malloc((size_t)in * out * sizeof *C1), *C2 = malloc((size_t)in * out * sizeof *C2);
    set_threads(1);
    theirs(gemm, 'g', B, in, out, A, NULL, D, C1);
    set_threads(2);
    theirs(gemm, 'g', B, in, out, A, NULL, D, C2);
    same = memcmp(C1, C2, (size_t)in * out * sizeof *C1) == 0;
    printf("OpenBLAS gradient product, 1 vs 2 threads: %s\n", same ? "identical bits" : "bits differ");
    free(A); free(D); free(C1); free(C2);
    return 0;
}
