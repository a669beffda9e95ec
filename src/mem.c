/* mem: see include/mem.h. */
/* MADV_HUGEPAGE is a Linux extension, outside POSIX. */
#define _DEFAULT_SOURCE
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE (2u * 1024 * 1024)

#if defined(MADV_DONTNEED) || defined(MADV_POPULATE_WRITE)
/* madvise(advice) over the whole pages inside [p, p + bytes), a hint (its
 * failure changes nothing); returns the end of those pages, p when none. */
static void *advise_pages(void *p, size_t bytes, int advice)
{
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t b = ((uintptr_t)p + bytes) & ~(page - 1);
    if (b <= a)
        return p;
    madvise((void *)a, b - a, advice);
    return (char *)p + (b - (uintptr_t)p);
}
#endif

float *mem_floats_raw(size_t n)
{
    size_t bytes = n * sizeof(float);
    size_t align = bytes >= HUGE_PAGE ? HUGE_PAGE : 64;
    if (n > SIZE_MAX / sizeof(float) - align)
        return NULL;
    bytes = (bytes + align - 1) / align * align; /* aligned_alloc wants a multiple */
    if (bytes == 0)
        bytes = align;
    float *p = aligned_alloc(align, bytes);
    if (!p)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (align == HUGE_PAGE)
        madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#endif
#ifdef MADV_POPULATE_WRITE
    /* Under a huge page: its every float is to be written, so map its
     * fresh pages now, in one call, rather than one fault per 4 KB as they
     * are first written (4 against 10 us a page on the VM measured). */
    if (align != HUGE_PAGE)
        advise_pages(p, bytes, MADV_POPULATE_WRITE);
#endif
    return p;
}

float *mem_floats(size_t n)
{
    float *p = mem_floats_raw(n);
    if (p)
        memset(p, 0, n ? n * sizeof(float) : 1);
    return p;
}

void *mem_release(void *p, size_t bytes)
{
#ifdef MADV_DONTNEED
    return advise_pages(p, bytes, MADV_DONTNEED);
#else
    (void)bytes;
#endif
    return p;
}

void mem_free(void *p)
{
    free(p);
}
