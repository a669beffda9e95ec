/* page_touch: what a first touch of fresh memory costs on this machine, in
 * microseconds per 4 KB, for 4 KB pages and for 2 MB transparent huge
 * pages (doc/performance.md, "Short runs": why the big buffers come from
 * mem_floats_raw). Not part of make check.
 *
 *   gcc -O2 -o /tmp/page_touch bench/page_touch.c && /tmp/page_touch [MB]
 *
 * Each round maps MB megabytes (default 64) both ways, writes one byte per
 * 4 KB page, and times the first pass and a second one (a mapped page: the
 * floor). Rounds reuse memory the kernel just got back, so the later rounds
 * show the cost when the host already backs the pages, the first when it
 * may not. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096
#define HUGE (2u << 20)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Microseconds per page of writing one byte into each page of p[0..n). */
static double touch(volatile char *p, size_t n, char v)
{
    double t = now();
    for (size_t i = 0; i < n; i += PAGE)
        p[i] = v;
    return (now() - t) / (double)(n / PAGE) * 1e6;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 64;
    size_t n = (mb ? mb : 64) << 20;
    printf("%zu MB, us per 4 KB page: first touch, then touched again\n", n >> 20);
    for (int round = 1; round <= 3; round++) {
        char *small = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *huge = aligned_alloc(HUGE, n);
        if (small == MAP_FAILED || !huge) {
            fprintf(stderr, "page_touch: out of memory\n");
            return 1;
        }
        madvise(small, n, MADV_NOHUGEPAGE);
        madvise(huge, n, MADV_HUGEPAGE);
        double s1 = touch(small, n, 1), s2 = touch(small, n, 2);
        double h1 = touch(huge, n, 1), h2 = touch(huge, n, 2);
        printf("round %d: 4 KB pages %.2f then %.3f; huge pages %.2f then %.3f\n", round, s1, s2,
               h1, h2);
        munmap(small, n);
        free(huge);
    }
    return 0;
}
