/* mem: allocation of the big float buffers (parameters, gradients, the
 * tables' and datasets' numbers).
 *
 * They are 64-byte aligned for vector loads and, when at least 2 MB, aligned
 * to 2 MB and offered to the kernel as transparent huge pages: weight
 * matrices are walked down their columns, one row per 4 KB page otherwise,
 * and TLB misses then cost more than the arithmetic; and filling fresh
 * memory takes one page fault per 2 MB instead of one per 4 KB (on the VMs
 * measured, a 4 KB fault cost more than parsing the numbers that fill it). */
#ifndef NNTRAIN_MEM_H
#define NNTRAIN_MEM_H

#include <stddef.h>

/* Zeroed, aligned memory for n floats, or NULL. Free with mem_free. */
float *mem_floats(size_t n);
/* The same, not zeroed: for buffers whose every float is written before
 * it is read (no memset to fault every page in up front). */
float *mem_floats_raw(size_t n);
/* Gives the whole pages inside [p, p + bytes) of such a buffer back to the
 * kernel (they read as zero if touched again; pages of a file mapped
 * privately and only read, as the file's bytes again); a hint: may do
 * nothing.
 * Returns the end of the pages given back (p when none): where the next,
 * adjacent range should start so that no page between them is left out. */
void *mem_release(void *p, size_t bytes);
void mem_free(void *p);

#endif
