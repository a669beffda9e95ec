/* c_locale: the "C" locale, for the text that must read and print the same
 * under any locale the caller set (numbers in CSV cells, category names,
 * the library's whole calls).
 *
 * strtod, strtof and printf follow LC_NUMERIC: under de_DE they read "0.5"
 * as 0 and print "0,5". uselocale(c_locale()) switches one thread to "C"
 * and back without touching the others. */
#ifndef NNTRAIN_C_LOCALE_H
#define NNTRAIN_C_LOCALE_H

#include <locale.h>

/* The "C" locale object, made at the first call and kept for the process;
 * (locale_t)0, errno set by newlocale (ENOMEM), when it cannot be made (a
 * later call tries again). Safe from any thread. */
locale_t c_locale(void);

#endif
