/* libFuzzer harness: the checkpoint loader (src/ckpt.c, ckpt_load and
 * ckpt_resolve).
 *
 * Each input is a checkpoint file in a per-process scratch directory:
 *   1. ckpt_load as is, without a config and with a (different) config text
 *      so that the config comparison and its key diff run on fuzzed text;
 *   2. the same after a "fix-up" that walks the layout (include/ckpt.h) as
 *      far as it goes and recomputes the config hash, the embedded model's
 *      crc32 and the outer crc32, so mutations reach the checks behind them;
 *   3. ckpt_resolve on the directory (it peeks at the file's header).
 * Errors must come back as -1 with a message, never as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "ckpt.h"
#include "fuzz_util.h"

static const char *OTHER_CONFIG =
    "network.sizes=4,3,2\nnetwork.activation=sigmoid\nnetwork.output=softmax\n"
    "network.cost=cross_entropy\ntrain.learning_rate=0.5\ntrain.batch_size=2\ntrain.seed=1\n";

static char dir[600], file[700];

static void load_one(void)
{
    for (int with_config = 0; with_config < 2; with_config++) {
        ckpt_t ck;
        err_t err;
        err_clear(&err);
        int rc = ckpt_load(file, with_config ? OTHER_CONFIG : NULL, &ck, &err);
        if (rc != 0) {
            if (rc != -1 || err.msg[0] == '\0') {
                fprintf(stderr, "ckpt_load returned %d without a message\n", rc);
                abort();
            }
            continue;
        }
        /* What loaded must be usable: a permutation of n_train, a net. */
        if (ck.st.n_train < 1 || !ck.st.perm || !ck.net.params) abort();
        volatile long long sum = 0;
        for (int i = 0; i < ck.st.n_train; i++) sum += ck.st.perm[i];
        for (size_t i = 0; i < ck.net.n_params; i++) sum += (long long)(ck.net.params[i] != 0);
        if (ck.st.best) /* early stopping's best weights: as many as the net's */
            for (size_t i = 0; i < ck.net.n_params; i++) sum += (long long)(ck.st.best->params[i] != 0);
        ckpt_free(&ck);
    }
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* Recomputes what the layout lets us; returns 1 if anything changed. */
static int fixup(uint8_t *b, size_t size)
{
    if (size < 4) return 0;
    size_t end = size - 4, p = 8 + 4; /* magic, version */
    if (p + 12 <= end) {
        uint32_t clen = rd32(b + p + 8);
        if (clen < CKPT_CONFIG_MAX && p + 12 + clen <= end) {
            char text[CKPT_CONFIG_MAX];
            memcpy(text, b + p + 12, clen);
            text[clen] = '\0';
            wr64(b + p, ckpt_hash(text));
            p += 12 + clen;
            p += 12 + 8 + 8; /* epoch, step, n_batches, rng, loss */
            if (p + 4 <= end) {
                uint64_t n_train = rd32(b + p);
                p += 4 + 4 * n_train;
                if (p + 36 <= end) { /* optimizer, t, beta powers, n_state */
                    uint64_t n_state = rd64(b + p + 28);
                    if (n_state <= end / 4) {
                        p += 36 + 4 * n_state;
                        if (p + 8 <= end) {
                            uint64_t mlen = rd64(b + p);
                            p += 8;
                            if (mlen >= 4 && mlen <= end - p)
                                wr32(b + p + mlen - 4, (uint32_t)crc32(0L, b + p, (uInt)(mlen - 4)));
                        }
                    }
                }
            }
        }
    }
    wr32(b + end, (uint32_t)crc32(0L, b, (uInt)end));
    return 1;
}

static void cleanup(void)
{
    unlink(file);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/nntrain-fuzz-%ld-ckptdir", tmp && tmp[0] ? tmp : "/tmp",
             (long)getpid());
    mkdir(dir, 0700);
    snprintf(file, sizeof file, "%s/run.ckpt", dir);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write(file, data, size);
    load_one();

    char out[1024];
    err_t err;
    err_clear(&err);
    if (ckpt_resolve(dir, out, sizeof out, &err) == 0 && strcmp(out, file) != 0) {
        fprintf(stderr, "ckpt_resolve chose %s\n", out);
        abort();
    }

    if (size >= 4 && size <= (1u << 24)) {
        uint8_t *fixed = malloc(size);
        if (!fixed) return 0;
        memcpy(fixed, data, size);
        if (fixup(fixed, size) && memcmp(fixed, data, size) != 0) {
            fuzz_write(file, fixed, size);
            load_one();
        }
        free(fixed);
    }
    return 0;
}
