/* libFuzzer harness: the model file loader (src/model.c, model_load).
 *
 * Each input is loaded as a model file twice: as is, and with its trailing
 * crc32 recomputed over the bytes before it (so that mutations get past the
 * checksum to the checks after it: net_create, the params). A loaded model
 * is written again with model_write (in memory) and must read back
 * (model_read) bitwise identical.
 * Errors must come back as -1 with a message, never as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_util.h"
#include "model.h"

/* Loads path, whose bytes are data[0..size). */
static void load_one(const char *path, const uint8_t *data, size_t size)
{
    net_t net;
    err_t err;
    err_clear(&err);
    int rc = model_load(path, &net, &err);
    if (rc != 0) {
        if (rc != -1 || err.msg[0] == '\0') {
            fprintf(stderr, "model_load returned %d without a message\n", rc);
            abort();
        }
        return;
    }
    /* Round trip: what loads must write (model_write, what model_save
     * writes, minus the fsync'ed temporary file) and read back the same. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f || model_write(f, &net, NULL) != 0 || fclose(f) != 0) abort();
    if ((long long)len != model_file_size(&net)) {
        fprintf(stderr, "model_write wrote %zu bytes, model_file_size says %lld\n", len,
                model_file_size(&net));
        abort();
    }
    /* The format has one encoding: a model that loads is its own image. */
    if (len != size || memcmp(buf, data, size) != 0) {
        fprintf(stderr, "a loaded model writes back different bytes\n");
        abort();
    }
    f = fmemopen(buf, len, "rb");
    if (!f) abort();
    net_t back;
    if (model_read(f, "rewritten", (long long)len, &back, &err) != 0) {
        fprintf(stderr, "a re-written model does not read: %s\n", err.msg);
        abort();
    }
    fclose(f);
    free(buf);
    if (back.n_layers != net.n_layers || back.cost != net.cost || back.n_params != net.n_params ||
        memcmp(back.sizes, net.sizes, sizeof net.sizes) != 0 ||
        memcmp(back.act, net.act, sizeof net.act) != 0 ||
        memcmp(back.params, net.params, net.n_params * sizeof *net.params) != 0) {
        fprintf(stderr, "a re-written model reads differently\n");
        abort();
    }
    net_free(&back);
    net_free(&net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("model");
    fuzz_write(path, data, size);
    load_one(path, data, size);

    if (size >= 4 && size <= (1u << 24)) {
        uint8_t *fixed = malloc(size);
        if (!fixed) return 0;
        memcpy(fixed, data, size);
        uint32_t crc = (uint32_t)crc32(0L, fixed, (uInt)(size - 4));
        for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
        if (memcmp(fixed, data, size) != 0) {
            fuzz_write(path, fixed, size);
            load_one(path, fixed, size);
        }
        free(fixed);
    }
    return 0;
}
