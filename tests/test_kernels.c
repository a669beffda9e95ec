/* Suite kernels: every product against a double-precision reference, on
 * shapes that hit every vector remainder, and bitwise independence from how
 * rows are split (what makes training reproducible across threads). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "rng.h"
#include "testutil.h"

static float *rand_matrix(rng_t *r, int rows, int cols)
{
    float *m = malloc((size_t)rows * cols * sizeof *m + 4);
    for (int i = 0; i < rows * cols; i++)
        m[i] = (float)(2.0 * rng_uniform(r) - 1.0);
    return m;
}

/* ref[i][j] = sum_k opA(i,k) * opB(k,j), in double. ta/tb: operand stored transposed. */
static double ref_at(const float *A, const float *B, int i, int j, int M, int N, int K,
                     int ta, int tb)
{
    double s = 0.0;
    for (int k = 0; k < K; k++) {
        double a = ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
        double b = tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
        s += a * b;
    }
    return s;
}

static const int shapes[][3] = {
    {1, 1, 1}, {1, 10, 784}, {3, 5, 7}, {10, 30, 784}, {17, 33, 65}, {32, 129, 31},
    {64, 10, 128}, {5, 1, 300}, {100, 100, 1}, {13, 48, 96}, {40, 50, 600},
};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

static void check_close(const float *C, const float *A, const float *B, const float *bias,
                        int M, int N, int K, int ta, int tb)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double want = ref_at(A, B, i, j, M, N, K, ta, tb) + (bias ? bias[j] : 0.0);
            double got = C[(size_t)i * N + j];
            ck_assert_msg(fabs(got - want) <= 1e-5 * (1.0 + sqrt((double)K)),
                          "M=%d N=%d K=%d C[%d][%d] = %.8g, want %.8g", M, N, K, i, j, got, want);
        }
}

START_TEST(test_gemm_nt_matches_reference)
{
    rng_t r;
    rng_seed(&r, 1);
    for (int s = 0; s < N_SHAPES; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = rand_matrix(&r, M, K), *B = rand_matrix(&r, N, K);
        float *C = malloc((size_t)M * N * sizeof *C);
        for (int packed = 0; packed <= 1; packed++) {
            memset(C, 0x7f, (size_t)M * N * sizeof *C); /* garbage must be overwritten */
            kern_gemm_nt(M, N, K, A, B, packed, NULL, C);
            check_close(C, A, B, NULL, M, N, K, 0, 1);
        }
        free(A); free(B); free(C);
    }
}
END_TEST

START_TEST(test_gemm_nn_matches_reference)
{
    rng_t r;
    rng_seed(&r, 2);
    for (int s = 0; s < N_SHAPES; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = rand_matrix(&r, M, K), *B = rand_matrix(&r, K, N), *bias = rand_matrix(&r, 1, N);
        float *C = malloc((size_t)M * N * sizeof *C);
        memset(C, 0x7f, (size_t)M * N * sizeof *C);
        kern_gemm_nn(M, N, K, A, B, NULL, C);
        check_close(C, A, B, NULL, M, N, K, 0, 0);
        kern_epi e = {bias, KERN_LINEAR, NULL};
        kern_gemm_nn(M, N, K, A, B, &e, C);
        check_close(C, A, B, bias, M, N, K, 0, 0);
        free(A); free(B); free(bias); free(C);
    }
}
END_TEST

START_TEST(test_gemm_tn_matches_reference)
{
    rng_t r;
    rng_seed(&r, 3);
    for (int s = 0; s < N_SHAPES; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = rand_matrix(&r, K, M), *B = rand_matrix(&r, K, N);
        float *C = malloc((size_t)M * N * sizeof *C);
        memset(C, 0x7f, (size_t)M * N * sizeof *C);
        kern_gemm_tn(M, N, K, A, M, B, C);
        check_close(C, A, B, NULL, M, N, K, 1, 0);
        free(A); free(B); free(C);
    }
}
END_TEST

/* Computing a product's rows in two calls must give the same bits as one
 * call: the row split (= how examples are grouped) must not change sums.
 * Likewise tn's rows (= weight rows) computed in two calls, from a column
 * range of A. */
START_TEST(test_row_split_is_bitwise_identical)
{
    rng_t r;
    rng_seed(&r, 4);
    int M = 37, N = 45, K = 70, cut = 13;
    float *A = rand_matrix(&r, M, K), *Bt = rand_matrix(&r, N, K), *Bn = rand_matrix(&r, K, N);
    float *bias = rand_matrix(&r, 1, N), *Y = rand_matrix(&r, M, N);
    float *C1 = malloc((size_t)M * N * sizeof *C1), *C2 = malloc((size_t)M * N * sizeof *C2);
    for (int packed = 0; packed <= 1; packed++) {
        kern_epi e = {bias, KERN_TANH, NULL};
        kern_gemm_nt(M, N, K, A, Bt, packed, &e, C1);
        kern_gemm_nt(cut, N, K, A, Bt, packed, &e, C2);
        kern_gemm_nt(M - cut, N, K, A + (size_t)cut * K, Bt, packed, &e, C2 + (size_t)cut * N);
        ck_assert(memcmp(C1, C2, (size_t)M * N * sizeof *C1) == 0);
    }
    kern_epi fwd = {bias, KERN_RELU, NULL};
    kern_gemm_nn(M, N, K, A, Bn, &fwd, C1);
    kern_gemm_nn(cut, N, K, A, Bn, &fwd, C2);
    kern_gemm_nn(M - cut, N, K, A + (size_t)cut * K, Bn, &fwd, C2 + (size_t)cut * N);
    ck_assert(memcmp(C1, C2, (size_t)M * N * sizeof *C1) == 0);
    kern_epi bwd = {NULL, KERN_SIGMOID, Y};
    kern_gemm_nn(M, N, K, A, Bn, &bwd, C1);
    kern_gemm_nn(cut, N, K, A, Bn, &bwd, C2);
    kern_epi bwd2 = {NULL, KERN_SIGMOID, Y + (size_t)cut * N};
    kern_gemm_nn(M - cut, N, K, A + (size_t)cut * K, Bn, &bwd2, C2 + (size_t)cut * N);
    ck_assert(memcmp(C1, C2, (size_t)M * N * sizeof *C1) == 0);
    /* tn: A (K=M rows of examples, K cols), C rows = columns of A. */
    float *T1 = malloc((size_t)K * N * sizeof *T1), *T2 = malloc((size_t)K * N * sizeof *T2);
    float *Bm = rand_matrix(&r, M, N);
    kern_gemm_tn(K, N, M, A, K, Bm, T1);
    kern_gemm_tn(cut, N, M, A, K, Bm, T2);
    kern_gemm_tn(K - cut, N, M, A + cut, K, Bm, T2 + (size_t)cut * N);
    ck_assert(memcmp(T1, T2, (size_t)K * N * sizeof *T1) == 0);
    free(A); free(Bt); free(Bn); free(bias); free(C1); free(C2); free(Y);
    free(T1); free(T2); free(Bm);
}
END_TEST

static double f_ref(kern_act f, double z)
{
    switch (f) {
    case KERN_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case KERN_TANH: return tanh(z);
    case KERN_RELU: return z > 0 ? z : 0;
    case KERN_LEAKY_RELU: return z > 0 ? z : KERN_LEAKY_SLOPE * z;
    default: return z;
    }
}

static double df_ref(kern_act f, double y)
{
    switch (f) {
    case KERN_SIGMOID: return y * (1 - y);
    case KERN_TANH: return 1 - y * y;
    case KERN_RELU: return y > 0;
    case KERN_LEAKY_RELU: return y > 0 ? 1 : KERN_LEAKY_SLOPE;
    default: return 1;
    }
}

/* The fused activation (forward) and derivative (backward) epilogues, on
 * shapes with full and edge tiles. */
START_TEST(test_fused_activations)
{
    rng_t r;
    rng_seed(&r, 6);
    int M = 11, N = 37, K = 19;
    float *A = rand_matrix(&r, M, K), *Bt = rand_matrix(&r, N, K), *Bn = rand_matrix(&r, K, N);
    float *bias = rand_matrix(&r, 1, N), *Y = rand_matrix(&r, M, N);
    float *C = malloc((size_t)M * N * sizeof *C);
    for (int f = KERN_LINEAR; f <= KERN_LEAKY_RELU; f++) {
        kern_epi fwd = {bias, (kern_act)f, NULL}, bwd = {NULL, (kern_act)f, Y};
        kern_gemm_nn(M, N, K, A, Bn, &fwd, C);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double want = f_ref((kern_act)f, ref_at(A, Bn, i, j, M, N, K, 0, 0) + bias[j]);
                ck_assert_msg(fabs(C[i * N + j] - want) < 1e-5, "nn forward f=%d", f);
            }
        for (int packed = 0; packed <= 1; packed++) {
            kern_gemm_nt(M, N, K, A, Bt, packed, &bwd, C);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double want = ref_at(A, Bt, i, j, M, N, K, 0, 1) * df_ref((kern_act)f, Y[i * N + j]);
                    ck_assert_msg(fabs(C[i * N + j] - want) < 1e-5, "nt backward f=%d packed=%d", f, packed);
                }
            kern_gemm_nt(M, N, K, A, Bt, packed, &fwd, C);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double want = f_ref((kern_act)f, ref_at(A, Bt, i, j, M, N, K, 0, 1) + bias[j]);
                    ck_assert_msg(fabs(C[i * N + j] - want) < 1e-5, "nt forward f=%d packed=%d", f, packed);
                }
        }
    }
    /* relu keeps a NaN (training must see it to stop), in both code paths. */
    float An[2 * 3] = {1, 2, NAN, 1, -1, 1}, Wn[3 * 20] = {0}, Cn[2 * 20];
    for (int i = 0; i < 60; i++)
        Wn[i] = 0.1f;
    kern_epi relu = {NULL, KERN_RELU, NULL};
    kern_gemm_nn(2, 20, 3, An, Wn, &relu, Cn);
    ck_assert(isnan(Cn[0]) && isnan(Cn[19]));
    ck_assert(Cn[20] == 0.1f && Cn[39] == 0.1f);
    float x[4] = {-2, 0.5f, 3, -0.25f}, d[4] = {1, 1, 1, 1};
    kern_act_forward(KERN_RELU, x, 4);
    ck_assert(x[0] == 0 && x[1] == 0.5f && x[2] == 3 && x[3] == 0);
    kern_act_backward(KERN_RELU, x, d, 4);
    ck_assert(d[0] == 0 && d[1] == 1 && d[2] == 1 && d[3] == 0);
    free(A); free(Bt); free(Bn); free(bias); free(Y); free(C);
}
END_TEST

START_TEST(test_colsum_in_order)
{
    /* 1e8 + 1 - 1e8 is 0 in float when added in this order. */
    float A[3] = {1e8f, 1.0f, -1e8f}, out[1];
    kern_colsum(3, 1, A, 1, out);
    ck_assert(out[0] == (1e8f + 1.0f) + -1e8f);
    float B[6] = {1, 2, 3, 4, 5, 6}, o2[2];
    kern_colsum(3, 2, B, 2, o2);
    ck_assert(o2[0] == 9.0f && o2[1] == 12.0f);
}
END_TEST

START_TEST(test_isa_named)
{
    const char *isa = kern_isa();
    ck_assert(strcmp(isa, "avx512") == 0 || strcmp(isa, "avx2") == 0 || strcmp(isa, "portable") == 0);
}
END_TEST

TU_MAIN("kernels", test_gemm_nt_matches_reference, test_gemm_nn_matches_reference,
        test_gemm_tn_matches_reference, test_row_split_is_bitwise_identical,
        test_fused_activations, test_colsum_in_order, test_isa_named)
