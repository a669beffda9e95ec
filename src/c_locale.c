/* c_locale: see include/c_locale.h. */
#include "c_locale.h"

#include <stdatomic.h>

static _Atomic(locale_t) made; /* kept for the process */

locale_t c_locale(void)
{
    locale_t c = atomic_load(&made);
    if (c)
        return c;
    c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c)
        return (locale_t)0;
    locale_t none = (locale_t)0;
    if (!atomic_compare_exchange_strong(&made, &none, c)) { /* another thread's won */
        freelocale(c);
        c = none;
    }
    return c;
}
