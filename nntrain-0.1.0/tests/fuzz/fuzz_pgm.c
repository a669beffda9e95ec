/* libFuzzer harness: the PGM reader (src/pgm.c, pgm_read), P2 and P5.
 * A successful read must give rows*cols readable bytes, which pgm_write
 * writes and pgm_read reads back identically. Errors must come back as -1
 * with a message, never as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pgm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("pgm"), *again = fuzz_path("resaved");
    fuzz_write(path, data, size);
    int rows = -1, cols = -1;
    uint8_t *px = NULL;
    err_t err;
    err_clear(&err);
    int rc = pgm_read(path, &rows, &cols, &px, &err);
    if (rc != 0) {
        if (rc != -1 || err.msg[0] == '\0') {
            fprintf(stderr, "pgm_read returned %d without a message\n", rc);
            abort();
        }
        return 0;
    }
    if (rows < 1 || cols < 1 || !px) abort();
    if (pgm_write(again, rows, cols, px, &err) != 0) {
        fprintf(stderr, "pgm_write: %s\n", err.msg);
        abort();
    }
    int r2, c2;
    uint8_t *px2 = NULL;
    if (pgm_read(again, &r2, &c2, &px2, &err) != 0 || r2 != rows || c2 != cols ||
        memcmp(px, px2, (size_t)rows * cols) != 0) {
        fprintf(stderr, "a re-written PGM reads back differently (%s)\n", err.msg);
        abort();
    }
    free(px2);
    free(px);
    return 0;
}
