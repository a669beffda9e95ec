/* fma_peak: this machine's fp32 FMA peak, the yardstick for bench/run.sh.
 *
 * Each thread runs a loop of independent fused multiply-adds on ACC vector
 * accumulators held in registers (more than latency x pipes, so the FMA
 * units never wait on a result), long enough for about half a second, and
 * the best of a few tries is kept. Uses AVX-512 when the CPU has it, else
 * AVX2+FMA, else plain C (which the compiler may or may not vectorise).
 *
 * Build: gcc -O2 -fopenmp bench/fma_peak.c -o fma_peak
 * Run:   fma_peak [THREADS...]
 * Output (one line each, for a script):
 *   isa avx512f
 *   peak_gflops threads=1 238.1
 *   peak_gflops threads=2 470.3
 * Thread counts: the arguments (fma_peak 1 2 4), or by default 1, the powers
 * of two below omp_get_max_threads() (OMP_NUM_THREADS), and that maximum.
 * The accumulated sums are printed (as "checksum") so no loop can be dropped. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
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

__attribute__((target("avx2,fma"))) static float kern_avx2(long iters, float seed, double *flops)
{
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
    __m256 v[ACC];
    for (int k = 0; k < ACC; k++)
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
        v[12] = _mm256_fmadd_ps(v[12], a, b);
        v[13] = _mm256_fmadd_ps(v[13], a, b);
        v[14] = _mm256_fmadd_ps(v[14], a, b);
        v[15] = _mm256_fmadd_ps(v[15], a, b);
    }
    __m256 s = v[0];
    for (int k = 1; k < ACC; k++)
        s = _mm256_add_ps(s, v[k]);
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    *flops = 2.0 * 8 * ACC * (double)iters;
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}

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

int main(int argc, char **argv)
{
    kern_fn kern = kern_scalar;
    const char *isa = "scalar";
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        kern = kern_avx512;
        isa = "avx512f";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        kern = kern_avx2;
        isa = "avx2+fma";
    }
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

    int counts[64], n = 0;
    if (argc > 1) {
        for (int i = 1; i < argc && n < 64; i++) {
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
