/* mem: allocation of the big float buffers (parameters, gradients).
 *
 * They are 64-byte aligned for vector loads and, when at least 2 MB, aligned
 * to 2 MB and offered to the kernel as transparent huge pages: weight
 * matrices are walked down their columns, one row per 4 KB page otherwise,
 * and TLB misses then cost more than the arithmetic. */
#ifndef NNTRAIN_MEM_H
#define NNTRAIN_MEM_H

#include <stddef.h>

/* Zeroed, aligned memory for n floats, or NULL. Free with mem_free. */
float *mem_floats(size_t n);
void mem_free(void *p);

#endif
