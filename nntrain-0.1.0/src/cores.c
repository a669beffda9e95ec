/* cores: see include/cores.h. */
#include "cores.h"

#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

int cores_resolve(int threads)
{
    if (threads > 0)
        return threads;
#ifdef _OPENMP
    int n = omp_get_num_procs();
#else
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n > 0 ? (int)n : 1;
}
