/* model: the versioned binary model file.
 *
 * Layout (all integers little-endian):
 *   "NNTRMODL"           8 bytes magic
 *   u32 version          1, or 2 when a data section follows the parameters
 *   u32 n_layers         L
 *   u32 sizes[L+1]
 *   u32 act[L]           net_act values
 *   u32 cost             net_cost value
 *   u64 n_params
 *   f32 params[n_params] IEEE-754 binary32, little-endian
 *   (version 2:) u32 len, len bytes: the data section, opaque here: a table
 *                        model's preprocessing (prep.h's prep_write)
 *   u32 crc32            zlib crc32 of every byte before it
 * An image model is written as version 1, so its bytes never changed;
 * both versions load.
 * Saving is atomic (fsx_write_atomic: temporary file, fsync, rename): a
 * crash never leaves a half-written file under the final name. Loading
 * checks every field. */
#ifndef NNTRAIN_MODEL_H
#define NNTRAIN_MODEL_H

#include <stdint.h>
#include <stdio.h>
#include "err.h"
#include "net.h"

#define MODEL_MAGIC "NNTRMODL"
#define MODEL_VERSION 2 /* the newest this reads */
#define MODEL_MAX_EXTRA (64 << 20) /* bytes of data section */

int model_save(const char *path, const net_t *net, err_t *err);
/* Creates *net (net_create) from the file; on error nothing is allocated. */
int model_load(const char *path, net_t *net, err_t *err);

/* The same with a data section: extra (extra_len bytes; NULL: none, a
 * version 1 file). Loading hands a file's section back in a malloc'd
 * *extra (NULL, 0 when it has none); on error nothing is allocated. */
int model_save_with(const char *path, const net_t *net, const uint8_t *extra, size_t extra_len,
                    err_t *err);
int model_load_with(const char *path, net_t *net, uint8_t **extra, size_t *extra_len,
                    err_t *err);

/* ---- for files that embed a model (checkpoints, src/ckpt.c) ---- */

/* Writes the model's whole file image (the layout above) to f. If outer_crc
 * is not NULL, every byte written is also added to that running crc32.
 * Returns 0, or -1 with errno set. */
int model_write(FILE *f, const net_t *net, uint32_t *outer_crc);
int model_write_with(FILE *f, const net_t *net, const uint8_t *extra, size_t extra_len,
                     uint32_t *outer_crc);

/* Bytes model_write writes for net. */
long long model_file_size(const net_t *net);

/* Reads a model image of exactly size bytes at f's current position, with
 * every check model_load makes (messages name path); leaves f just after it.
 * On error nothing is allocated. */
int model_read(FILE *f, const char *path, long long size, net_t *net, err_t *err);
int model_read_with(FILE *f, const char *path, long long size, net_t *net, uint8_t **extra,
                    size_t *extra_len, err_t *err);

#endif
