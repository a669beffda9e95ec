/* template.h: the one source of every kernel, over a thin vector layer.
 *
 * Included once by each ISA file (portable.c, avx2.c, avx512.c, neon.c)
 * after it has defined its layer:
 *
 *   KATTR                 the target attribute of every function here
 *   VW                    lanes per vector (1, 4, 8 or 16)
 *   vf, vm, vi            vector of floats, of compare results, of 32-bit ints
 *   v_zero() v_set1(x) v_load(p) v_loadn(p, n) v_store(p, v) v_storen(p, v, n)
 *                         loadn reads lanes 0..n-1 and zeroes the rest;
 *                         storen writes lanes 0..n-1 (0 <= n <= VW)
 *   v_add v_sub v_mul v_div v_sqrt, v_fma(a, b, c) = a*b + c rounded once
 *   v_gt(a, b) v_lt(a, b) (false when either is NaN), v_sel(m, a, b) = m ? a : b
 *   v_bits(vf) v_float(vi) (reinterpret), v_iadd v_isub v_iset1, v_isra1 (>> 1,
 *                         arithmetic), v_ishl23 (<< 23)
 *   v_sum16(acc)          acc[16/VW] holds lanes 0..15; returns them added in
 *                         one fixed tree: t8[i] = l[i] + l[i+8], t4[i] = t8[i] +
 *                         t8[i+4], t2[i] = t4[i] + t4[i+2], t2[0] + t2[1]
 *                         (portable.c spells it out; the others match it)
 *   v_transpose(r)        r[VW] (VW rows of VW floats) becomes its transpose
 *   MR, NV                the register tile of the one-chain products: MR rows
 *                         by NV vectors (NR = NV * VW columns)
 *   NT_MI, NT_NJ          the tile of the lane-sum nt product
 *   KIMPL, KNAME, KCPU_HAS  the kern_impl to define, its name, its CPU test
 *
 * Why the bits are the same in every path: each operation below is an IEEE
 * add, sub, mul, div or fma, done lane by lane, and which lanes exist is a
 * matter of speed only. A product's output is one FMA chain over k = 0..K-1
 * (blocked in k by continuing from the stored partial sum), vectorised
 * across output columns, never across k; the lane-sum nt product keeps 16
 * lanes along k whatever VW is, and adds them in one tree. Edges use loadn
 * (zeros) or narrower tiles with the same chains. The elementwise functions
 * are polynomials written once here. The build has -ffp-contract=off, so
 * the compiler fuses or reorders nothing. */

#define NR (NV * VW)
#define NC (KERN_NC / NR * NR) /* columns packed per block: whole panels */
#define NL (16 / VW) /* vectors per 16-lane sum */
#define KFN static inline __attribute__((always_inline)) KATTR
#define KOUT static KATTR


/* ---- elementwise functions --------------------------------------------- */

/* e^x. Range reduction x = n ln2 + r, |r| <= ln2/2 (ln2 in two parts,
 * Cody-Waite); e^r by Cephes' degree-7 polynomial (1 + r + r^2 P(r));
 * times 2^n as two powers of two, so results from 2^-150 (0) to FLT_MAX
 * round once, at the end. Inputs are clamped to [-104, 88.72]: below,
 * 0; above, FLT_MAX's neighbourhood (never inf). NaN stays NaN. Max error:
 * src/kernels/README.md (bench/kmath_ulp). */
KFN vf v_exp(vf x)
{
    const vf lo = v_set1(-104.0f), hi = v_set1(88.7228317f);
    const vf shift = v_set1(12582912.0f); /* 1.5 * 2^23: adding it rounds to an integer */
    x = v_sel(v_lt(x, lo), lo, x);
    x = v_sel(v_gt(x, hi), hi, x);
    vf t = v_fma(x, v_set1(1.44269504f), shift); /* round(x log2 e) + shift */
    vf n = v_sub(t, shift);
    vi ni = v_isub(v_bits(t), v_bits(shift));
    vf r = v_fma(n, v_set1(-0.693359375f), x);
    r = v_fma(n, v_set1(2.12194440e-4f), r);
    vf p = v_set1(1.9875691500e-4f);
    p = v_fma(p, r, v_set1(1.3981999507e-3f));
    p = v_fma(p, r, v_set1(8.3334519073e-3f));
    p = v_fma(p, r, v_set1(4.1665795894e-2f));
    p = v_fma(p, r, v_set1(1.6666665459e-1f));
    p = v_fma(p, r, v_set1(5.0000001201e-1f));
    p = v_fma(p, v_mul(r, r), r);
    p = v_add(p, v_set1(1.0f));
    vi n1 = v_isra1(ni), n2 = v_isub(ni, n1); /* n = n1 + n2, each in [-75, 64] */
    vf s1 = v_float(v_ishl23(v_iadd(n1, v_iset1(127))));
    vf s2 = v_float(v_ishl23(v_iadd(n2, v_iset1(127))));
    return v_mul(v_mul(p, s1), s2);
}

/* 1 / (1 + e^-z), as e^-|z| / (1 + e^-|z|) for z < 0: e^-|z| <= 1 never
 * overflows, and tiny sigmoids keep their precision. */
KFN vf v_sigmoid(vf z)
{
    const vf one = v_set1(1.0f), zero = v_zero();
    vm is_neg = v_lt(z, zero);
    vf e = v_exp(v_sel(is_neg, z, v_sub(zero, z))); /* e^-|z| */
    return v_div(v_sel(is_neg, e, one), v_add(one, e));
}

/* tanh z: for |z| < 0.625, Cephes' odd polynomial z + z^3 P(z^2); else
 * 1 - 2 / (e^2|z| + 1) with z's sign. */
KFN vf v_tanh(vf z)
{
    const vf one = v_set1(1.0f), zero = v_zero();
    vf neg = v_sub(zero, z);
    vm is_neg = v_lt(z, zero);
    vf a = v_sel(is_neg, neg, z);
    vf big = v_sub(one, v_div(v_set1(2.0f), v_add(v_exp(v_add(a, a)), one)));
    big = v_sel(is_neg, v_sub(zero, big), big);
    vf s = v_mul(z, z);
    vf p = v_set1(-5.70498872745e-3f);
    p = v_fma(p, s, v_set1(2.06390887954e-2f));
    p = v_fma(p, s, v_set1(-5.37397155531e-2f));
    p = v_fma(p, s, v_set1(1.33314422036e-1f));
    p = v_fma(p, s, v_set1(-3.33332819422e-1f));
    vf small = v_fma(v_mul(p, s), z, z);
    return v_sel(v_lt(a, v_set1(0.625f)), small, big);
}

/* f(z). relu and leaky relu multiply where they zero or scale, so that a
 * NaN stays NaN (training must see it to stop). */
KFN vf v_act(kern_act f, vf z)
{
    const vf zero = v_zero();
    switch (f) {
    case KERN_SIGMOID: return v_sigmoid(z);
    case KERN_TANH: return v_tanh(z);
    case KERN_RELU: return v_sel(v_gt(z, zero), z, v_mul(z, zero));
    case KERN_LEAKY_RELU: return v_sel(v_gt(z, zero), z, v_mul(z, v_set1(KERN_LEAKY_SLOPE)));
    case KERN_LINEAR:
    default: return z;
    }
}

/* c * f'(z), f'(z) written in terms of y = f(z). */
KFN vf v_times_dact(kern_act f, vf c, vf y)
{
    const vf one = v_set1(1.0f), zero = v_zero();
    switch (f) {
    case KERN_SIGMOID: return v_mul(c, v_mul(y, v_sub(one, y)));
    case KERN_TANH: return v_mul(c, v_sub(one, v_mul(y, y)));
    case KERN_RELU: return v_mul(c, v_sel(v_gt(y, zero), one, zero));
    case KERN_LEAKY_RELU:
        return v_mul(c, v_sel(v_gt(y, zero), one, v_set1(KERN_LEAKY_SLOPE)));
    case KERN_LINEAR:
    default: return c;
    }
}

KFN vf v_loadc(const float *p, int n) { return n == VW ? v_load(p) : v_loadn(p, n); }
KFN void v_storec(float *p, vf v, int n)
{
    if (n == VW)
        v_store(p, v);
    else
        v_storen(p, v, n);
}

/* epi_tile's loop for one activation f and one direction, both constants
 * where it is inlined, so that no switch or test is left per vector. */
KFN void epi_rows(int rows, int cols, float *C, size_t ldc, kern_act f, int back,
                  const float *Y, const float *bias)
{
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j += VW) {
            int n = cols - j < VW ? cols - j : VW;
            float *c = C + r * ldc + j;
            vf v = v_loadc(c, n);
            if (back)
                v = v_times_dact(f, v, v_loadc(Y + r * ldc + j, n));
            else {
                if (bias)
                    v = v_add(v, v_loadc(bias + j, n));
                v = v_act(f, v);
            }
            v_storec(c, v, n);
        }
}

/* The epilogue of a finished tile, in place: each of the rows x cols
 * outputs C[r][c] (rows ldc apart) becomes C * f'(Y) when e->y is set (Y:
 * e's y at the tile's corner, rows ldc apart), else f(C + bias) (bias at
 * the tile's first column, may be NULL). Not inlined: the tiles store raw
 * sums and call this once, which keeps the FMA loops small. */
KOUT __attribute__((noinline)) void epi_tile(int rows, int cols, float *C, size_t ldc,
                                            const kern_epi *e, const float *Y,
                                            const float *bias)
{
#define EPI_CASE(F)                                                                        \
    case F:                                                                                \
        if (e->y)                                                                          \
            epi_rows(rows, cols, C, ldc, F, 1, Y, bias);                                   \
        else                                                                               \
            epi_rows(rows, cols, C, ldc, F, 0, Y, bias);                                   \
        break;
    switch (e->f) {
        EPI_CASE(KERN_SIGMOID)
        EPI_CASE(KERN_TANH)
        EPI_CASE(KERN_RELU)
        EPI_CASE(KERN_LEAKY_RELU)
    default:
        EPI_CASE(KERN_LINEAR)
    }
#undef EPI_CASE
}

KOUT void act_forward(kern_act f, float *x, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        v_store(x + i, v_act(f, v_load(x + i)));
    if (i < n)
        v_storen(x + i, v_act(f, v_loadn(x + i, (int)(n - i))), (int)(n - i));
}

KOUT void act_backward(kern_act f, const float *y, float *d, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        v_store(d + i, v_times_dact(f, v_load(d + i), v_load(y + i)));
    if (i < n) {
        int r = (int)(n - i);
        v_storen(d + i, v_times_dact(f, v_loadn(d + i, r), v_loadn(y + i, r)), r);
    }
}

KOUT void exp_n(float *x, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        v_store(x + i, v_exp(v_load(x + i)));
    if (i < n)
        v_storen(x + i, v_exp(v_loadn(x + i, (int)(n - i))), (int)(n - i));
}

/* One row v (n) -> softmax(v), in place: e^(v - max) / sum. The max and
 * the sum run over j in order, in scalar code; e^ VW at a time. */
KFN void softmax_row(float *v, int n)
{
    float m = v[0];
    for (int j = 1; j < n; j++)
        m = v[j] > m ? v[j] : m;
    int j = 0;
    for (; j + VW <= n; j += VW)
        v_store(v + j, v_exp(v_sub(v_load(v + j), v_set1(m))));
    if (j < n)
        v_storen(v + j, v_exp(v_sub(v_loadn(v + j, n - j), v_set1(m))), n - j);
    float s = 0.0f;
    for (j = 0; j < n; j++)
        s += v[j];
    vf inv = v_set1(1.0f / s);
    for (j = 0; j + VW <= n; j += VW)
        v_store(v + j, v_mul(v_load(v + j), inv));
    if (j < n)
        v_storen(v + j, v_mul(v_loadn(v + j, n - j), inv), n - j);
}

#define SOFTMAX_LANES_MAX 64 /* widest row done a lane per row */

/* VW rows at once, lane l holding row l: the same operations as
 * softmax_row, each lane's max and sum still over j in order, so the same
 * bits. For rows of a few classes, where softmax_row's vectors along j
 * would be mostly empty. n <= SOFTMAX_LANES_MAX. */
KFN void softmax_rows_lanes(float *z, int n)
{
    /* t[j] lane l = z[l][j]: the VW rows turned into n vectors, VW
     * columns at a time in registers (v_transpose). Scalar copies through
     * memory cost more: a vector load of a run of scalar stores waits for
     * them all to reach the cache. */
    vf t[SOFTMAX_LANES_MAX];
    for (int j0 = 0; j0 < n; j0 += VW) {
        int nj = n - j0 < VW ? n - j0 : VW;
        vf r[VW];
        for (int l = 0; l < VW; l++)
            r[l] = v_loadc(z + (size_t)l * n + j0, nj);
        v_transpose(r);
        for (int j = 0; j < nj; j++)
            t[j0 + j] = r[j];
    }
    vf m = t[0];
    for (int j = 1; j < n; j++)
        m = v_sel(v_gt(t[j], m), t[j], m);
    vf s = v_zero();
    for (int j = 0; j < n; j++) {
        t[j] = v_exp(v_sub(t[j], m));
        s = v_add(s, t[j]);
    }
    vf inv = v_div(v_set1(1.0f), s);
    for (int j0 = 0; j0 < n; j0 += VW) {
        int nj = n - j0 < VW ? n - j0 : VW;
        vf r[VW];
        for (int j = 0; j < VW; j++)
            r[j] = j < nj ? v_mul(t[j0 + j], inv) : v_zero();
        v_transpose(r);
        for (int l = 0; l < VW; l++)
            v_storec(z + (size_t)l * n + j0, r[l], nj);
    }
}

/* z (B, n) -> softmax(z) row by row, in place. */
KOUT void softmax_rows(float *z, int B, int n)
{
    int r = 0;
    if (VW > 1 && n <= SOFTMAX_LANES_MAX)
        for (; r + VW <= B; r += VW)
            softmax_rows_lanes(z + (size_t)r * n, n);
    for (; r < B; r++)
        softmax_row(z + (size_t)r * n, n);
}

/* ---- nt with 16 lane sums: C = e(A . B^T), A (M,K), B (N,K) ------------ */

/* A tile of ni (<= NT_MI) rows of A against nj (<= NT_NJ) rows of B. Lane
 * l (0..15) of an output adds k = l, l+16, l+32, ... as one FMA chain; the
 * last K % 16 columns come through loadn (zeros in the missing lanes, which
 * add nothing). Full tiles pass the constants NT_MI, NT_NJ. */
KFN void nt_tile(int ni, int nj, int K, const float *A, const float *B, const kern_epi *e,
                 const float *Y, const float *bias, float *C, int ldc)
{
    vf acc[NT_MI][NT_NJ][NL];
    for (int r = 0; r < NT_MI; r++)
        for (int c = 0; c < NT_NJ; c++)
            for (int l = 0; l < NL; l++)
                acc[r][c][l] = v_zero();
    int k = 0;
    for (; k + 16 <= K; k += 16)
        for (int r = 0; r < ni; r++)
            for (int l = 0; l < NL; l++) {
                vf a = v_load(A + (size_t)r * K + k + l * VW);
                for (int c = 0; c < nj; c++)
                    acc[r][c][l] = v_fma(a, v_load(B + (size_t)c * K + k + l * VW), acc[r][c][l]);
            }
    if (k < K)
        for (int r = 0; r < ni; r++)
            for (int l = 0; l < NL; l++) {
                int n = K - k - l * VW;
                n = n < 0 ? 0 : n > VW ? VW : n;
                vf a = v_loadn(A + (size_t)r * K + k + l * VW, n);
                for (int c = 0; c < nj; c++)
                    acc[r][c][l] = v_fma(a, v_loadn(B + (size_t)c * K + k + l * VW, n),
                                         acc[r][c][l]);
            }
    for (int r = 0; r < ni; r++)
        for (int c = 0; c < nj; c++)
            C[(size_t)r * ldc + c] = v_sum16(acc[r][c]);
    if (e)
        epi_tile(ni, nj, C, (size_t)ldc, e, Y, bias);
}

#define NT_ROW_BLOCK 64 /* rows of A kept hot in L2 while B's rows stream past */

KOUT void nt_lanes(int M, int N, int K, const float *A, const float *B, const kern_epi *e,
                   float *C)
{
    for (int i1 = 0; i1 < M; i1 += NT_ROW_BLOCK) {
        int i_end = i1 + NT_ROW_BLOCK < M ? i1 + NT_ROW_BLOCK : M;
        for (int j = 0; j < N; j += NT_NJ) {
            int nj = N - j < NT_NJ ? N - j : NT_NJ;
            const float *b = B + (size_t)j * K;
            const float *bias = e && !e->y && e->bias ? e->bias + j : NULL;
            for (int i = i1; i < i_end; i += NT_MI) {
                int ni = i_end - i < NT_MI ? i_end - i : NT_MI;
                const float *a = A + (size_t)i * K, *Y = e && e->y ? e->y + (size_t)i * N + j : NULL;
                float *c = C + (size_t)i * N + j;
                if (ni == NT_MI && nj == NT_NJ)
                    nt_tile(NT_MI, NT_NJ, K, a, b, e, Y, bias, c, N);
                else
                    nt_tile(ni, nj, K, a, b, e, Y, bias, c, N);
            }
        }
    }
}

/* ---- one FMA chain per output: nn, tn and packed nt -------------------- */

/* A register tile: ni (<= MR) rows by nv (<= NV) vectors of columns, the
 * last vector holding nlast (1..VW) columns. kc steps of k: the chain of
 * each output starts from C as the block before left it (zero when first),
 * so K blocked into kc-sized pieces is still one chain k = 0..K-1. B's rows
 * are ldb floats apart; bpart says the last vector of B must be loaded
 * partially (B itself at its right edge; a packed panel is zero-filled and
 * loads whole). The epilogue runs when last. Called with constant ni, nv
 * and bpart (bcast_tile_any), so the accumulators live in registers. */
KFN void bcast_tile(int ni, int nv, int nlast, int kc, const float *A, size_t rs, size_t cs,
                    const float *B, size_t ldb, int bpart, float *C, size_t ldc, int first,
                    int last, const kern_epi *e, const float *Y, const float *bias)
{
    vf acc[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < ni && r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv && v < NV; v++)
            acc[r][v] = first ? v_zero()
                              : v_loadc(C + r * ldc + v * VW, v == nv - 1 ? nlast : VW);
    for (int k = 0; k < kc; k++) {
        const float *bk = B + (size_t)k * ldb, *ak = A + k * cs;
        vf b[NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv && v < NV; v++)
            b[v] = bpart && v == nv - 1 ? v_loadn(bk + v * VW, nlast) : v_load(bk + v * VW);
#pragma GCC unroll 8
        for (int r = 0; r < ni && r < MR; r++) {
            vf a = v_set1(ak[r * rs]);
#pragma GCC unroll 4
            for (int v = 0; v < nv && v < NV; v++)
                acc[r][v] = v_fma(a, b[v], acc[r][v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < ni && r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv && v < NV; v++)
            v_storec(C + r * ldc + v * VW, acc[r][v], v == nv - 1 ? nlast : VW);
    if (last && e)
        epi_tile(ni, (nv - 1) * VW + nlast, C, ldc, e, Y, bias);
}

/* bcast_tile with ni and nv turned into constants: one case per shape. */
KFN void bcast_tile_any(int ni, int nv, int nlast, int kc, const float *A, size_t rs,
                        size_t cs, const float *B, size_t ldb, int bpart, float *C, size_t ldc,
                        int first, int last, const kern_epi *e, const float *Y,
                        const float *bias)
{
#define TILE(R, V)                                                                          \
    case (R) * 8 + (V):                                                                     \
        if ((R) <= MR && (V) <= NV) {                                                       \
            if (bpart)                                                                      \
                bcast_tile(R, V, nlast, kc, A, rs, cs, B, ldb, 1, C, ldc, first, last, e, Y, \
                           bias);                                                           \
            else                                                                            \
                bcast_tile(R, V, nlast, kc, A, rs, cs, B, ldb, 0, C, ldc, first, last, e, Y, \
                           bias);                                                           \
        }                                                                                   \
        break;
#define TILE_ROWS(V) TILE(1, V) TILE(2, V) TILE(3, V) TILE(4, V) TILE(5, V) TILE(6, V) \
    TILE(7, V) TILE(8, V)
    switch (ni * 8 + nv) {
        TILE_ROWS(1) TILE_ROWS(2) TILE_ROWS(3) TILE_ROWS(4)
    default: break;
    }
#undef TILE_ROWS
#undef TILE
}

#if MR > 8 || NV > 4
#error "bcast_tile_any covers tiles of up to 8 rows by 4 vectors"
#endif

/* The panel of a transposed B: P (kc, NR) = rows 0..nj-1 of B (rows ldk
 * floats apart), columns 0..kc-1, turned around VW x VW at a time; zero
 * past nj. */
KFN void pack_panel_t(int kc, int nj, const float *B, size_t ldk, float *P)
{
    for (int h = 0; h < NR; h += VW)
        for (int k = 0; k < kc; k += VW) {
            int nk = kc - k < VW ? kc - k : VW;
            vf r[VW];
            for (int i = 0; i < VW; i++)
                r[i] = h + i < nj ? v_loadc(B + (size_t)(h + i) * ldk + k, nk) : v_zero();
            v_transpose(r);
            for (int i = 0; i < nk; i++)
                v_store(P + (size_t)(k + i) * NR + h, r[i]);
        }
}

/* Packs B rows 0..kc-1, columns 0..nc-1 (rows N floats apart) into dense
 * (kc, NR) panels, KERN_KC * NR floats apart, zero past nc. Reads each row
 * of B as one contiguous run, which the hardware prefetcher follows. */
KFN void pack_block(int kc, int nc, const float *B, size_t N, float *P)
{
    for (int k = 0; k < kc; k++)
        for (int p = 0; p * NR < nc; p++)
            for (int v = 0; v < NV; v++) {
                int n = nc - p * NR - v * VW;
                n = n < 0 ? 0 : n > VW ? VW : n;
                v_store(P + (size_t)p * KERN_KC * NR + (size_t)k * NR + v * VW,
                        v_loadc(B + (size_t)k * N + p * NR + v * VW, n));
            }
}

/* bcast with block holding up to ncols packed columns (NC, or NR for one
 * panel). How many columns a block holds changes no result: each output
 * tile takes its k in the same KERN_KC steps. Out of line: one copy of
 * the tiles for both callers. */
static __attribute__((noinline)) KATTR void bcast_in(int M, int N, int K, const float *A, size_t rs,
                                                     size_t cs, const float *B, int bt,
                                                     const kern_epi *e, float *C, float *block,
                                                     int ncols)
{
    /* A few row tiles read each panel a few times: packing would only add
     * a copy (up to KERN_PACK_ROWS rows, B read strided from L2 was as
     * fast), unless B comes transposed and must be turned around anyway.
     * Nor does a B that stays in L1 need it (KERN_L1_FLOATS): the row
     * tiles read it there, strided or not. */
    int pack = (M > KERN_PACK_ROWS && (size_t)K * (size_t)N > KERN_L1_FLOATS) || bt;
    for (int j0 = 0; j0 < N; j0 += ncols) {
        int nc = N - j0 < ncols ? N - j0 : ncols;
        for (int k0 = 0; k0 < K || k0 == 0; k0 += KERN_KC) {
            int kc = K - k0 < KERN_KC ? K - k0 : KERN_KC;
            int first = k0 == 0, last = k0 + kc >= K;
            if (bt)
                for (int p = 0; p * NR < nc; p++)
                    pack_panel_t(kc, nc - p * NR < NR ? nc - p * NR : NR,
                                 B + (size_t)(j0 + p * NR) * K + k0, (size_t)K,
                                 block + (size_t)p * KERN_KC * NR);
            else if (pack)
                pack_block(kc, nc, B + (size_t)k0 * N + j0, (size_t)N, block);
            for (int i = 0; i < M; i += MR) {
                int ni = M - i < MR ? M - i : MR;
                const float *a = A + (size_t)i * rs + (size_t)k0 * cs;
                for (int j = j0; j < j0 + nc; j += NR) {
                    int nj = j0 + nc - j < NR ? j0 + nc - j : NR;
                    int nv = (nj + VW - 1) / VW;
                    const float *bp = pack ? block + (size_t)(j - j0) / NR * KERN_KC * NR
                                           : B + (size_t)k0 * N + j;
                    int nlast = nj - (nv - 1) * VW;
                    bcast_tile_any(ni, nv, nlast, kc, a, rs, cs, bp,
                                   pack ? (size_t)NR : (size_t)N, !pack && nlast < VW,
                                   C + (size_t)i * N + j,
                                   (size_t)N, first, last, e,
                                   e && e->y ? e->y + (size_t)i * N + j : NULL,
                                   e && !e->y && e->bias ? e->bias + j : NULL);
                }
            }
            if (K == 0)
                break;
        }
    }
}

/* Without the thread's packing buffer: one panel at a time, packed on the
 * stack (KERN_KC * NR floats, 32 KB at most). Out of line, so that bcast's
 * own frame stays small. */
static __attribute__((noinline)) KATTR void bcast_on_stack(int M, int N, int K, const float *A,
                                                           size_t rs, size_t cs, const float *B,
                                                           int bt, const kern_epi *e, float *C)
{
    _Alignas(64) float panel[KERN_KC * NR];
    bcast_in(M, N, K, A, rs, cs, B, bt, e, C, panel, NR);
}

KOUT void bcast(int M, int N, int K, const float *A, size_t rs, size_t cs, const float *B,
                int bt, const kern_epi *e, float *C)
{
    float *block = kern_pack_buffer();
    if (block)
        bcast_in(M, N, K, A, rs, cs, B, bt, e, C, block, NC);
    else
        bcast_on_stack(M, N, K, A, rs, cs, B, bt, e, C);
}

/* ---- the Adam step -------------------------------------------------------- */

/* One lane group of kern_adam: the scalar reference's operations, in its
 * order, lane by lane (optim.c: step_adam_ref). */
KFN void adam_lanes(const kern_adam_args *a, float *p, const float *g, float *m, float *v,
                    int n)
{
    vf pv = n == VW ? v_load(p) : v_loadn(p, n);
    vf gv = n == VW ? v_load(g) : v_loadn(g, n);
    vf mv = n == VW ? v_load(m) : v_loadn(m, n);
    vf vv = n == VW ? v_load(v) : v_loadn(v, n);
    vf pi = pv;
    if (a->lr_wd != 0.0f)
        pi = v_sub(pi, v_mul(v_set1(a->lr_wd), pi));
    vf d = v_add(v_mul(gv, v_set1(a->inv_b)), v_mul(v_set1(a->wd), pv));
    vf mi = v_add(v_mul(v_set1(a->b1), mv), v_mul(v_set1(a->one_minus_b1), d));
    vf vi = v_add(v_mul(v_set1(a->b2), vv), v_mul(v_set1(a->one_minus_b2), v_mul(d, d)));
    vf mhat = v_mul(mi, v_set1(a->c1)), vhat = v_mul(vi, v_set1(a->c2));
    vf step = v_div(mhat, v_add(v_sqrt(vhat), v_set1(a->eps)));
    vf out = v_sub(pi, v_mul(v_set1(a->lr), step));
    if (n == VW) {
        v_store(m, mi), v_store(v, vi), v_store(p, out);
    } else {
        v_storen(m, mi, n), v_storen(v, vi, n), v_storen(p, out, n);
    }
}

KOUT void adam(const kern_adam_args *a, float *p, const float *g, float *m, float *v, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        adam_lanes(a, p + i, g + i, m + i, v + i, VW);
    if (i < n)
        adam_lanes(a, p + i, g + i, m + i, v + i, (int)(n - i));
}

const kern_impl KIMPL = {KNAME, KCPU_HAS, bcast, nt_lanes, act_forward, act_backward,
                         exp_n, softmax_rows, adam};
