/* mem: see include/mem.h. */
/* MADV_HUGEPAGE is a Linux extension, outside POSIX. */
#define _DEFAULT_SOURCE
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u * 1024 * 1024)

float *mem_floats(size_t n)
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
    memset(p, 0, bytes);
    return p;
}

void mem_free(void *p)
{
    free(p);
}
