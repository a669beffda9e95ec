/* fma_peak: this machine's fp32 FMA peak, the yardstick for bench/run.sh.
 *
 * Each thread runs a loop of independent fused multiply-adds on vector
 * accumulators held in registers (16; 12 for AVX2, which has only 16
 * registers; more than latency x pipes, so the FMA units never wait on a
 * result), long enough for about half a second, and
 * the best of a few tries is kept.
 *
 * The vector width is chosen by the name of an nntrain kernel path, so the
 * peak matches the path being measured (--path, or auto):
 *   avx512    512-bit AVX-512F FMAs (target attribute avx512f)
 *   avx2      256-bit AVX2 FMAs (target attribute avx2,fma)
 *   neon      128-bit NEON FMAs (aarch64 only)
 *   portable  no width of its own (nntrain's portable loops are compiled for
 *             the baseline ISA): the AVX2 peak where the CPU has AVX2+FMA,
 *             else NEON on aarch64, else plain C (which the compiler may or
 *             may not vectorise; isa says "scalar")
 *   auto      the widest this CPU has (the default)
 * A path the CPU (or this architecture) lacks is refused with exit status 2.
 *
 * Build: gcc -O2 -fopenmp bench/fma_peak.c -o fma_peak
 * Run:   fma_peak [--path NAME] [THREADS...]
 * Output (one line each, for a script):
 *   path avx2
 *   isa avx2+fma
 *   peak_gflops threads=1 119.0
 *   peak_gflops threads=2 235.2
 * Thread counts: the arguments (fma_peak 1 2 4), or by default 1, the powers
 * of two below omp_get_max_threads() (OMP_NUM_THREADS), and that maximum.
 * The accumulated sums are printed (as "checksum") so no loop can be dropped. */
#if defined(__x86_64__) || defined(__i386__)
#define FMA_X86 1
#include <immintrin.h>
#elif defined(__aarch64__)
#define FMA_NEON 1
#include <arm_neon.h>
#endif
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACC 16 /* independent accumulators per thread */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Every kernel: acc = acc * a + b, `iters` times on ACC accumulators, with
 * a just below 1 and b tiny so the values settle and never go denormal.
 * Returns the sum of all lanes; *flops gets the flops done. */

#ifdef FMA_X86
__attribute__((target("avx512f"))) static float kern_avx512(long iters, float seed, double *flops)
{
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
    __m512 v[ACC];
    for (int k = 0; k < ACC; k++)
        v[k] = _mm512_set1_ps(seed + 0.001f * (float)k);
    for (long i = 0; i < iters; i++) {
        v[0] = _mm512_fmadd_ps(v[0], a, b);
        v[1] = _mm512_fmadd_ps(v[1], a, b);
        v[2] = _mm512_fmadd_ps(v[2], a, b);
        v[3] = _mm512_fmadd_ps(v[3], a, b);
        v[4] = _mm512_fmadd_ps(v[4], a, b);
        v[5] = _mm512_fmadd_ps(v[5], a, b);
        v[6] = _mm512_fmadd_ps(v[6], a, b);
        v[7] = _mm512_fmadd_ps(v[7], a, b);
        v[8] = _mm512_fmadd_ps(v[8], a, b);
        v[9] = _mm512_fmadd_ps(v[9], a, b);
        v[10] = _mm512_fmadd_ps(v[10], a, b);
        v[11] = _mm512_fmadd_ps(v[11], a, b);
        v[12] = _mm512_fmadd_ps(v[12], a, b);
        v[13] = _mm512_fmadd_ps(v[13], a, b);
        v[14] = _mm512_fmadd_ps(v[14], a, b);
        v[15] = _mm512_fmadd_ps(v[15], a, b);
    }
    __m512 s = v[0];
    for (int k = 1; k < ACC; k++)
        s = _mm512_add_ps(s, v[k]);
    *flops = 2.0 * 16 * ACC * (double)iters;
    return _mm512_reduce_add_ps(s);
}

/* AVX2 has only 16 vector registers: 16 accumulators plus a and b would
 * spill three of them to the stack on every iteration (GCC 12 does), and the
 * store-to-load round trip, not the FMA units, would then set the pace
 * (about half the true peak on Zen 4). 12 accumulators + a + b fit, and 12
 * still exceeds FMA latency x pipes (4 x 2) on current x86 cores. */
#define ACC_AVX2 12

__attribute__((target("avx2,fma"))) static float kern_avx2(long iters, float seed, double *flops)
{
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
    __m256 v[ACC_AVX2];
    for (int k = 0; k < ACC_AVX2; k++)
        v[k] = _mm256_set1_ps(seed + 0.001f * (float)k);
    for (long i = 0; i < iters; i++) {
        v[0] = _mm256_fmadd_ps(v[0], a, b);
        v[1] = _mm256_fmadd_ps(v[1], a, b);
        v[2] = _mm256_fmadd_ps(v[2], a, b);
        v[3] = _mm256_fmadd_ps(v[3], a, b);
        v[4] = _mm256_fmadd_ps(v[4], a, b);
        v[5] = _mm256_fmadd_ps(v[5], a, b);
        v[6] = _mm256_fmadd_ps(v[6], a, b);
        v[7] = _mm256_fmadd_ps(v[7], a, b);
        v[8] = _mm256_fmadd_ps(v[8], a, b);
        v[9] = _mm256_fmadd_ps(v[9], a, b);
        v[10] = _mm256_fmadd_ps(v[10], a, b);
        v[11] = _mm256_fmadd_ps(v[11], a, b);
    }
    __m256 s = v[0];
    for (int k = 1; k < ACC_AVX2; k++)
        s = _mm256_add_ps(s, v[k]);
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    *flops = 2.0 * 8 * ACC_AVX2 * (double)iters;
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}
#endif

#ifdef FMA_NEON
static float kern_neon(long iters, float seed, double *flops)
{
    float32x4_t a = vdupq_n_f32(0.999999f), b = vdupq_n_f32(1e-6f);
    float32x4_t v[ACC];
    for (int k = 0; k < ACC; k++)
        v[k] = vdupq_n_f32(seed + 0.001f * (float)k);
    for (long i = 0; i < iters; i++) {
        v[0] = vfmaq_f32(b, v[0], a);
        v[1] = vfmaq_f32(b, v[1], a);
        v[2] = vfmaq_f32(b, v[2], a);
        v[3] = vfmaq_f32(b, v[3], a);
        v[4] = vfmaq_f32(b, v[4], a);
        v[5] = vfmaq_f32(b, v[5], a);
        v[6] = vfmaq_f32(b, v[6], a);
        v[7] = vfmaq_f32(b, v[7], a);
        v[8] = vfmaq_f32(b, v[8], a);
        v[9] = vfmaq_f32(b, v[9], a);
        v[10] = vfmaq_f32(b, v[10], a);
        v[11] = vfmaq_f32(b, v[11], a);
        v[12] = vfmaq_f32(b, v[12], a);
        v[13] = vfmaq_f32(b, v[13], a);
        v[14] = vfmaq_f32(b, v[14], a);
        v[15] = vfmaq_f32(b, v[15], a);
    }
    float32x4_t s = v[0];
    for (int k = 1; k < ACC; k++)
        s = vaddq_f32(s, v[k]);
    *flops = 2.0 * 4 * ACC * (double)iters;
    return vaddvq_f32(s);
}
#endif

static float kern_scalar(long iters, float seed, double *flops)
{
    float v[ACC];
    for (int k = 0; k < ACC; k++)
        v[k] = seed + 0.001f * (float)k;
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < ACC; k++)
            v[k] = v[k] * 0.999999f + 1e-6f;
    float s = 0.0f;
    for (int k = 0; k < ACC; k++)
        s += v[k];
    *flops = 2.0 * ACC * (double)iters;
    return s;
}

typedef float (*kern_fn)(long, float, double *);

/* Runs kern on `threads` threads at once for `iters` iterations each;
 * returns GFLOP/s over the slowest thread's span. */
static double run(kern_fn kern, int threads, long iters, double *checksum)
{
    double total_flops = 0.0, sum = 0.0, t0 = 0.0, t1 = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : total_flops, sum)
    {
        double flops;
#pragma omp barrier
#pragma omp master
        t0 = now();
        sum += kern(iters, 1.0f + 0.01f * (float)omp_get_thread_num(), &flops);
        total_flops += flops;
#pragma omp barrier
#pragma omp master
        t1 = now();
    }
    *checksum += sum;
    return total_flops / (t1 - t0) / 1e9;
}

/* The kernel for an nntrain path name; NULL (after saying why) when this CPU
 * or architecture has none. */
static kern_fn pick(const char *path, const char **isa)
{
    int avx512 = 0, avx2 = 0, neon = 0;
#ifdef FMA_X86
    __builtin_cpu_init();
    avx512 = __builtin_cpu_supports("avx512f");
    avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#ifdef FMA_NEON
    neon = 1; /* Advanced SIMD is part of every AArch64 CPU */
#endif
    if (strcmp(path, "auto") == 0)
        path = avx512 ? "avx512" : avx2 ? "avx2" : neon ? "neon" : "scalar";
    else if (strcmp(path, "portable") == 0)
        path = avx2 ? "avx2" : neon ? "neon" : "scalar";
#ifdef FMA_X86
    if (strcmp(path, "avx512") == 0 && avx512) {
        *isa = "avx512f";
        return kern_avx512;
    }
    if (strcmp(path, "avx2") == 0 && avx2) {
        *isa = "avx2+fma";
        return kern_avx2;
    }
#endif
#ifdef FMA_NEON
    if (strcmp(path, "neon") == 0) {
        *isa = "neon";
        return kern_neon;
    }
#endif
    if (strcmp(path, "scalar") == 0) {
        *isa = "scalar";
        return kern_scalar;
    }
    fprintf(stderr, "fma_peak: this CPU has no %s FMAs\n", path);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *path = "auto", *isa = NULL;
    int argi = 1;
    if (argi < argc && strncmp(argv[argi], "--path", 6) == 0) {
        if (argv[argi][6] == '=')
            path = argv[argi] + 7;
        else if (argv[argi][6] == '\0' && argi + 1 < argc)
            path = argv[++argi];
        else {
            fprintf(stderr, "usage: fma_peak [--path avx512|avx2|neon|portable|auto] [THREADS...]\n");
            return 2;
        }
        argi++;
    }
    if (strcmp(path, "avx512") != 0 && strcmp(path, "avx2") != 0 && strcmp(path, "neon") != 0 &&
        strcmp(path, "portable") != 0 && strcmp(path, "auto") != 0) {
        fprintf(stderr, "fma_peak: unknown path '%s' (known: avx512 avx2 neon portable auto)\n",
                path);
        return 2;
    }
    int counts[64], n = 0;
    if (argi < argc) {
        for (int i = argi; i < argc && n < 64; i++) {
            char *end;
            long t = strtol(argv[i], &end, 10);
            if (*end != '\0' || t < 1 || t > 1024) {
                fprintf(stderr, "fma_peak: '%s' is not a thread count\n", argv[i]);
                return 2;
            }
            counts[n++] = (int)t;
        }
    } else {
        int maxt = omp_get_max_threads();
        for (int t = 1; t < maxt && n < 63; t *= 2)
            counts[n++] = t;
        counts[n++] = maxt;
    }

    kern_fn kern = pick(path, &isa);
    if (!kern)
        return 2;
    printf("path %s\n", path);
    printf("isa %s\n", isa);

    /* Calibrate on one thread: grow iters until a run takes >= 0.1 s, then
     * scale to about 0.5 s. */
    double checksum = 0.0, flops;
    long iters = 1L << 16;
    for (;;) {
        double t0 = now();
        checksum += kern(iters, 1.0f, &flops);
        double dt = now() - t0;
        if (dt >= 0.1) {
            iters = (long)((double)iters * 0.5 / dt);
            break;
        }
        iters *= 2;
    }

    for (int i = 0; i < n; i++) {
        double best = 0.0;
        for (int r = 0; r < 3; r++) {
            double g = run(kern, counts[i], iters, &checksum);
            if (g > best)
                best = g;
        }
        printf("peak_gflops threads=%d %.1f\n", counts[i], best);
        fflush(stdout);
    }
    printf("checksum %g\n", checksum);
    return 0;
}
