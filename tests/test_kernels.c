/* Suite kernels: every product against a double-precision reference, on
 * shapes that hit every vector remainder, bitwise independence from how
 * rows are split (what makes training reproducible across threads), and
 * the same bits on every kernel path, pinned by a golden digest (what makes
 * it reproducible across CPUs). Every test runs on every path the CPU
 * runs (TU_FOREACH_PATH). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
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
                          "%s: M=%d N=%d K=%d C[%d][%d] = %.8g, want %.8g", kern_isa(), M, N, K, i, j, got, want);
        }
}

START_TEST(test_gemm_nt_matches_reference)
{
    TU_FOREACH_PATH(path) {
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
}
END_TEST

START_TEST(test_gemm_nn_matches_reference)
{
    TU_FOREACH_PATH(path) {
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
}
END_TEST

START_TEST(test_gemm_tn_matches_reference)
{
    TU_FOREACH_PATH(path) {
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
}
END_TEST

/* softmax over rows of a few classes runs a lane per row on the vector
 * paths and along the row elsewhere: both must give the portable path's
 * bits (the max and the sum over j in order), for every class count up to
 * past the lane form's limit, row counts that leave rows over, and rows
 * with NaN (first or later), infinities and huge values. */
START_TEST(test_softmax_lanes_same_bits)
{
    enum { B = 37, NMAX = 66 };
    static float z[B * NMAX], want[NMAX + 1][B * NMAX], got[B * NMAX];
    rng_t r;
    rng_seed(&r, 21);
    for (int i = 0; i < B * NMAX; i++)
        z[i] = (float)(60.0 * rng_uniform(&r) - 30.0);
    z[0] = NAN;              /* row 0 starts with NaN */
    z[NMAX + 2] = NAN;       /* a later NaN */
    z[3 * NMAX + 1] = INFINITY;
    z[4 * NMAX] = -INFINITY;
    z[5 * NMAX + 1] = 3e38f;
    err_t err;
    ck_assert_int_eq(kern_use("portable", &err), 0);
    for (int n = 1; n <= NMAX; n++) {
        memcpy(want[n], z, sizeof z);
        kern_softmax_rows(want[n], B, n);
    }
    TU_FOREACH_PATH(path) {
        for (int n = 1; n <= NMAX; n++) {
            memcpy(got, z, sizeof z);
            kern_softmax_rows(got, B, n);
            for (int i = 0; i < B * n; i++)
                ck_assert_msg(f32_bits(got[i]) == f32_bits(want[n][i]) ||
                                  (isnan(got[i]) && isnan(want[n][i])),
                              "%s: n=%d element %d: %a, portable %a", path, n, i, got[i],
                              want[n][i]);
        }
    }
}
END_TEST

/* Computing a product's rows in two calls must give the same bits as one
 * call: the row split (= how examples are grouped) must not change sums.
 * Likewise tn's rows (= weight rows) computed in two calls, from a column
 * range of A. The second shape's one call packs B (more than
 * KERN_PACK_ROWS rows) and its two calls do not: packing changes no bit. */
START_TEST(test_row_split_is_bitwise_identical)
{
    static const int shapes[][4] = {{37, 45, 70, 13}, {300, 45, 300, 100}};
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
    TU_FOREACH_PATH(path) {
        rng_t r;
        rng_seed(&r, 4);
        int M = shapes[sh][0], N = shapes[sh][1], K = shapes[sh][2], cut = shapes[sh][3];
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
    TU_FOREACH_PATH(path) {
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
                    ck_assert_msg(fabs(C[i * N + j] - want) < 1e-5, "%s: nn forward f=%d", path, f);
                }
            for (int packed = 0; packed <= 1; packed++) {
                kern_gemm_nt(M, N, K, A, Bt, packed, &bwd, C);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) {
                        double want = ref_at(A, Bt, i, j, M, N, K, 0, 1) * df_ref((kern_act)f, Y[i * N + j]);
                        ck_assert_msg(fabs(C[i * N + j] - want) < 1e-5, "%s: nt backward f=%d packed=%d", path, f, packed);
                    }
                kern_gemm_nt(M, N, K, A, Bt, packed, &fwd, C);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) {
                        double want = f_ref((kern_act)f, ref_at(A, Bt, i, j, M, N, K, 0, 1) + bias[j]);
                        ck_assert_msg(fabs(C[i * N + j] - want) < 1e-5, "%s: nt forward f=%d packed=%d", path, f, packed);
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
}
END_TEST

START_TEST(test_colsum_in_order)
{
    TU_FOREACH_PATH(path) {
        /* 1e8 + 1 - 1e8 is 0 in float when added in this order. */
        float A[3] = {1e8f, 1.0f, -1e8f}, out[1];
        kern_colsum(3, 1, A, 1, out);
        ck_assert(out[0] == (1e8f + 1.0f) + -1e8f);
        float B[6] = {1, 2, 3, 4, 5, 6}, o2[2];
        kern_colsum(3, 2, B, 2, o2);
        ck_assert(o2[0] == 9.0f && o2[1] == 12.0f);
    }
}
END_TEST

START_TEST(test_paths_listed_and_refused)
{
    /* portable runs everywhere and comes last (best first). */
    int n = kern_path_count();
    ck_assert_int_ge(n, 1);
    ck_assert_str_eq(kern_path_name(n - 1), "portable");
    ck_assert_ptr_null(kern_path_name(n));
    err_t err;
    ck_assert_int_eq(kern_use("portable", &err), 0);
    ck_assert_str_eq(kern_isa(), "portable");
    ck_assert_int_eq(kern_use("sse9", &err), -1);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "unknown kernel path 'sse9'"), "%s", err.msg);
#if defined(__x86_64__)
    ck_assert_int_eq(kern_use("neon", &err), -1);
    ck_assert_msg(strstr(err.msg, "not built for this architecture"), "%s", err.msg);
#else
    ck_assert_int_eq(kern_use("avx2", &err), -1);
    ck_assert_msg(strstr(err.msg, "not built for this architecture"), "%s", err.msg);
#endif
    ck_assert_str_eq(kern_isa(), "portable"); /* a refused switch changes nothing */
}
END_TEST

/* Every kernel entry point on shapes with every kind of edge (K past the k
 * block of 256, N past the column block of 256, M past nt's row block of
 * 64, sizes 1), with every epilogue; one FNV-1a digest per part. */
enum { G_NN, G_NT_LANES, G_NT_PACKED, G_TN, G_COLSUM, G_ACT_FWD, G_ACT_BWD, G_EXP, G_SOFTMAX, G_PARTS };
static const char *g_part[G_PARTS] = {"nn", "nt lanes", "nt packed", "tn", "colsum",
                                      "act forward", "act backward", "exp", "softmax"};

/* FNV-1a of n floats with every NaN as the one quiet NaN 0x7fc00000: a
 * NaN's sign and payload are the CPU's (an invalid operation such as
 * -inf * 0 gives 0xffc00000 on x86, 0x7fc00000 on ARM) and mean nothing;
 * that it is a NaN is what counts (training stops on one). */
static uint64_t nan_free_digest(const float *x, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t b = isnan(x[i]) ? 0x7fc00000u : f32_bits(x[i]);
        h = (h ^ tu_fnv1a(&b, sizeof b)) * 1099511628211ULL;
    }
    return h;
}

static void golden_battery(uint64_t digest[G_PARTS])
{
    static const int gshapes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 65}, {40, 50, 600},
                                     {9, 300, 270}, {70, 20, 40}, {8, 64, 16}, {6, 17, 9}};
    for (int p = 0; p < G_PARTS; p++)
        digest[p] = 1469598103934665603ULL;
#define MIX(part, buf, n) digest[part] = (digest[part] ^ nan_free_digest(buf, n)) * 1099511628211ULL
    rng_t r;
    rng_seed(&r, 77);
    for (size_t s = 0; s < sizeof gshapes / sizeof gshapes[0]; s++) {
        int M = gshapes[s][0], N = gshapes[s][1], K = gshapes[s][2];
        float *A = rand_matrix(&r, M, K), *Bn = rand_matrix(&r, K, N), *Bt = rand_matrix(&r, N, K);
        float *At = rand_matrix(&r, K, M), *bias = rand_matrix(&r, 1, N), *Y = rand_matrix(&r, M, N);
        float *C = malloc((size_t)M * N * sizeof *C);
        for (int f = KERN_LINEAR; f <= KERN_LEAKY_RELU; f++) {
            kern_epi fwd = {bias, (kern_act)f, NULL}, bwd = {NULL, (kern_act)f, Y};
            kern_gemm_nn(M, N, K, A, Bn, &fwd, C);
            MIX(G_NN, C, (size_t)M * N);
            kern_gemm_nn(M, N, K, A, Bn, &bwd, C);
            MIX(G_NN, C, (size_t)M * N);
            for (int packed = 0; packed <= 1; packed++) {
                kern_gemm_nt(M, N, K, A, Bt, packed, &fwd, C);
                MIX(packed ? G_NT_PACKED : G_NT_LANES, C, (size_t)M * N);
                kern_gemm_nt(M, N, K, A, Bt, packed, &bwd, C);
                MIX(packed ? G_NT_PACKED : G_NT_LANES, C, (size_t)M * N);
            }
        }
        kern_gemm_tn(M, N, K, At, M, Bn, C);
        MIX(G_TN, C, (size_t)M * N);
        kern_colsum(K, N, Bn, N, C);
        MIX(G_COLSUM, C, (size_t)N);
        free(A); free(Bn); free(Bt); free(At); free(bias); free(Y); free(C);
    }
    /* Elementwise: z over [-24, 24] (both tails of sigmoid and tanh), and
     * NaN, infinities, signed zeros and the exp clamps. */
    enum { NZ = 4099 };
    static float z[NZ + 10], x[NZ + 10], y[NZ + 10];
    for (int i = 0; i < NZ; i++)
        z[i] = (float)(48.0 * rng_uniform(&r) - 24.0);
    const float special[10] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 88.72f, 88.73f, -103.9f, -104.0f, 1e-30f};
    memcpy(z + NZ, special, sizeof special);
    size_t nz = NZ + 10;
    for (int f = KERN_LINEAR; f <= KERN_LEAKY_RELU; f++) {
        memcpy(x, z, nz * sizeof *x);
        kern_act_forward((kern_act)f, x, nz);
        MIX(G_ACT_FWD, x, nz);
        for (size_t i = 0; i < nz; i++)
            y[i] = 1.0f;
        kern_act_backward((kern_act)f, x, y, nz);
        MIX(G_ACT_BWD, y, nz);
    }
    memcpy(x, z, nz * sizeof *x);
    for (size_t i = 0; i < nz; i++) /* e^x over its whole domain */
        x[i] *= 4.0f;
    kern_exp(x, nz);
    MIX(G_EXP, x, nz);
    memcpy(x, z, NZ * sizeof *x);
    kern_softmax_rows(x, 8, 512); /* rows of 512; then rows of 3 */
    MIX(G_SOFTMAX, x, 8 * 512);
    memcpy(x, z, 30 * sizeof *x);
    kern_softmax_rows(x, 10, 3);
    MIX(G_SOFTMAX, x, 30);
#undef MIX
}

/* The golden digests: computed once (on avx512, avx2 and portable alike)
 * and pinned here, so that a path that drifts fails on any machine,
 * even one where it is the only path. A deliberate change to the kernels'
 * arithmetic changes them: say so in the commit. */
static const uint64_t golden[G_PARTS] = {
    0xfa424a9a32dd4994ULL, /* nn */
    0xc027b231ab08dfaaULL, /* nt lanes */
    0x87ed5f9441e22f86ULL, /* nt packed */
    0x7a7cc8f61bd76918ULL, /* tn */
    0xd54c05bf84e74a84ULL, /* colsum */
    0xe0bddcda4837c48dULL, /* act forward */
    0xa81a12e7fb3e10e3ULL, /* act backward */
    0x5cf321248b8a21afULL, /* exp */
    0xce840e25941a0fdeULL, /* softmax */
};

START_TEST(test_every_path_same_bits_as_golden)
{
    uint64_t first[G_PARTS];
    int n = 0, bad_path = 0, bad_golden = 0;
    TU_FOREACH_PATH(path) {
        uint64_t d[G_PARTS];
        golden_battery(d);
        for (int p = 0; p < G_PARTS; p++) {
            if (n == 0)
                first[p] = d[p];
            if (d[p] != golden[p] || d[p] != first[p])
                printf("kernels golden %-8s %-12s 0x%016llxULL%s\n", path, g_part[p],
                   (unsigned long long)d[p], d[p] == golden[p] ? "" : "  (pinned: differs)");
            bad_path += d[p] != first[p];
            bad_golden += d[p] != golden[p];
        }
        n++;
    }
    ck_assert_msg(bad_path == 0, "%d digests differ between paths (stdout lists them)", bad_path);
    ck_assert_msg(bad_golden == 0, "%d digests differ from the pinned ones (stdout lists them)",
                  bad_golden);
}
END_TEST

/* Without a packing buffer (an allocation refused) every gemm packs one
 * panel at a time on its stack: the pinned digests still, on every path
 * (the battery has N and K past one block's 256). */
START_TEST(test_pack_refused_same_bits)
{
    kern_pack_refuse(1);
    int bad = 0;
    TU_FOREACH_PATH(path) {
        uint64_t d[G_PARTS];
        golden_battery(d);
        for (int p = 0; p < G_PARTS; p++)
            if (d[p] != golden[p]) {
                printf("kernels without a packing buffer %-8s %-12s 0x%016llxULL (pinned: differs)\n",
                       path, g_part[p], (unsigned long long)d[p]);
                bad++;
            }
    }
    kern_pack_refuse(0);
    ck_assert_msg(bad == 0, "%d digests differ without a packing buffer (stdout lists them)", bad);
}
END_TEST

/* The elementwise functions against double libm on a sweep of every
 * 4099th float of their ranges; the bounds are those bench/kmath_ulp
 * measures over every float (src/kernels/README.md), rounded up. */
START_TEST(test_elementwise_accuracy)
{
    static const struct { int f; float lo, hi; double max_ulp; } cases[] = {
        {-1, -103.0f, 88.7f, 1.05}, /* -1: exp */
        {KERN_SIGMOID, -104.0f, 20.0f, 2.5},
        {KERN_TANH, -10.0f, 10.0f, 1.5},
    };
    enum { CH = 4096 };
    static float in[CH], out[CH];
    TU_FOREACH_PATH(path) {
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            double worst = 0;
            float at = 0;
            for (int sign = 0; sign < 2; sign++) {
                float end = sign ? cases[c].hi : -cases[c].lo;
                uint32_t top;
                memcpy(&top, &end, sizeof top);
                for (uint64_t u = 0; u <= top;) {
                    int n = 0;
                    for (; n < CH && u <= top; u += 4099) {
                        uint32_t b = (uint32_t)u | (sign ? 0 : 0x80000000u);
                        memcpy(&in[n++], &b, sizeof b);
                    }
                    memcpy(out, in, (size_t)n * sizeof *out);
                    if (cases[c].f < 0)
                        kern_exp(out, (size_t)n);
                    else
                        kern_act_forward((kern_act)cases[c].f, out, (size_t)n);
                    for (int i = 0; i < n; i++) {
                        double x = in[i];
                        double want = cases[c].f < 0 ? exp(x)
                                      : cases[c].f == KERN_SIGMOID ? 1.0 / (1.0 + exp(-x))
                                                                   : tanh(x);
                        double e = f32_ulps(out[i], want);
                        if (e > worst) {
                            worst = e;
                            at = in[i];
                        }
                    }
                }
            }
            ck_assert_msg(worst <= cases[c].max_ulp, "%s: function %d: %.3f ulps at %.9g (bound %.2f)",
                          path, cases[c].f, worst, at, cases[c].max_ulp);
        }
        /* Special values. */
        float v[6] = {NAN, INFINITY, -INFINITY, 0.0f, 89.0f, -200.0f};
        kern_exp(v, 6);
        ck_assert(isnan(v[0]) && isfinite(v[1]) && v[2] == 0.0f && v[3] == 1.0f);
        ck_assert(isfinite(v[4]) && v[4] > 3e38f && v[5] == 0.0f);
        float sg[4] = {NAN, INFINITY, -INFINITY, 0.0f}, th[4] = {NAN, INFINITY, -INFINITY, 0.0f};
        kern_act_forward(KERN_SIGMOID, sg, 4);
        kern_act_forward(KERN_TANH, th, 4);
        ck_assert(isnan(sg[0]) && sg[1] == 1.0f && sg[2] == 0.0f && sg[3] == 0.5f);
        ck_assert(isnan(th[0]) && th[1] == 1.0f && th[2] == -1.0f && th[3] == 0.0f);
    }
}
END_TEST

TU_MAIN("kernels", test_gemm_nt_matches_reference, test_gemm_nn_matches_reference,
        test_gemm_tn_matches_reference, test_softmax_lanes_same_bits,
        test_row_split_is_bitwise_identical,
        test_fused_activations, test_colsum_in_order, test_paths_listed_and_refused,
        test_every_path_same_bits_as_golden, test_pack_refused_same_bits, test_elementwise_accuracy)
