/* pgm: reading a greyscale image (Netpbm PGM, P2 or P5, maxval <= 255) for
 * `nntrain predict`. */
#ifndef NNTRAIN_PGM_H
#define NNTRAIN_PGM_H

#include <stdint.h>
#include "err.h"

/* Reads path into *pixels (rows*cols bytes, malloc'ed, scaled to 0..255).
 * Errors name the file and what was expected. */
int pgm_read(const char *path, int *rows, int *cols, uint8_t **pixels, err_t *err);

/* Writes a binary (P5) PGM, atomically (fsx_write_atomic). */
int pgm_write(const char *path, int rows, int cols, const uint8_t *pixels, err_t *err);

#endif
