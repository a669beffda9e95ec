/* Writes the seed corpora under tests/fuzz/corpus/ with the real writers
 * (idx_write, model_save, ckpt_save, pgm_write), plus a few near-valid
 * variants. Built and run by `tests/fuzz/run.sh --corpus`; the output is
 * committed, so this only needs re-running when a format changes.
 *   usage: gen_corpus OUTDIR   (OUTDIR/{idx,model,ckpt,pgm} must exist) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "idx.h"
#include "model.h"
#include "pgm.h"

static void die(const err_t *e)
{
    fprintf(stderr, "gen_corpus: %s\n", e->msg);
    exit(1);
}

/* Copies src to dst, truncated to n bytes (n < 0: whole file), with byte
 * at flip (if >= 0) xor'ed with 0xff. */
static void variant(const char *src, const char *dst, long n, long flip)
{
    FILE *f = fopen(src, "rb");
    if (!f) { perror(src); exit(1); }
    static unsigned char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n >= 0 && (size_t)n < len) len = (size_t)n;
    if (flip >= 0 && (size_t)flip < len) buf[flip] ^= 0xff;
    f = fopen(dst, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) { perror(dst); exit(1); }
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: gen_corpus OUTDIR\n"); return 2; }
    const char *o = argv[1];
    char p[1024], q[1024];
    err_t err;
    err_clear(&err);

    /* IDX: images 3x4x5, labels 3, a 2-d and a 4-d array; raw and gzipped. */
    uint8_t img[3 * 4 * 5], lab[3] = {0, 7, 9}, sq[2 * 3], four[2 * 1 * 2 * 2];
    for (int i = 0; i < (int)sizeof img; i++) img[i] = (uint8_t)(i * 13);
    for (int i = 0; i < (int)sizeof sq; i++) sq[i] = (uint8_t)i;
    for (int i = 0; i < (int)sizeof four; i++) four[i] = (uint8_t)(255 - i);
    int di[3] = {3, 4, 5}, dl[1] = {3}, ds[2] = {2, 3}, d4[4] = {2, 1, 2, 2};
    struct { const char *name; int nd; const int *dims; const uint8_t *data; } ix[] = {
        {"images", 3, di, img}, {"labels", 1, dl, lab}, {"matrix", 2, ds, sq}, {"four", 4, d4, four}};
    for (int i = 0; i < 4; i++)
        for (int gz = 0; gz < 2; gz++) {
            snprintf(p, sizeof p, "%s/idx/%s%s", o, ix[i].name, gz ? ".gz" : ".idx");
            if (idx_write(p, ix[i].nd, ix[i].dims, ix[i].data, gz, &err)) die(&err);
        }
    snprintf(p, sizeof p, "%s/idx/images.idx", o);
    snprintf(q, sizeof q, "%s/idx/images-truncated.idx", o);
    variant(p, q, 30, -1);
    snprintf(q, sizeof q, "%s/idx/images-badtype.idx", o);
    variant(p, q, -1, 2);
    snprintf(p, sizeof p, "%s/idx/images.gz", o);
    snprintf(q, sizeof q, "%s/idx/images-truncated.gz", o);
    variant(p, q, 25, -1);

    /* Models: 4-3-2 sigmoid/softmax cross-entropy, and 2-2-2-1 relu/tanh/sigmoid quadratic. */
    net_t a, b;
    int sa[3] = {4, 3, 2}, sb[4] = {2, 2, 2, 1};
    net_act aa[2] = {ACT_SIGMOID, ACT_SOFTMAX}, ab[3] = {ACT_RELU, ACT_TANH, ACT_SIGMOID};
    if (net_create(&a, 2, sa, aa, COST_CROSS_ENTROPY, &err)) die(&err);
    if (net_create(&b, 3, sb, ab, COST_QUADRATIC, &err)) die(&err);
    for (size_t i = 0; i < a.n_params; i++) a.params[i] = (float)i * 0.25f - 1.0f;
    for (size_t i = 0; i < b.n_params; i++) b.params[i] = (float)i * -0.5f;
    snprintf(p, sizeof p, "%s/model/small.model", o);
    if (model_save(p, &a, &err)) die(&err);
    snprintf(q, sizeof q, "%s/model/deep.model", o);
    if (model_save(q, &b, &err)) die(&err);
    snprintf(q, sizeof q, "%s/model/small-truncated.model", o);
    variant(p, q, 40, -1);
    snprintf(q, sizeof q, "%s/model/small-badcrc.model", o);
    variant(p, q, -1, 60);

    /* Checkpoints: a's weights at epoch 2 step 1 of 2, 4 examples. */
    int perm[4] = {2, 0, 3, 1};
    train_state st = {.epoch = 2, .step = 1, .n_batches = 2, .epochs = 3, .rng = 0x1234567887654321ULL,
                      .n_train = 4, .perm = perm, .loss_sum = 1.5};
    const char *cfgtext = "network.sizes=4,3,2\nnetwork.activation=sigmoid\nnetwork.output=softmax\n"
                          "network.cost=cross_entropy\ntrain.learning_rate=0.5\ntrain.batch_size=2\n"
                          "train.seed=7\ndata.n=4\n";
    snprintf(p, sizeof p, "%s/ckpt/run.ckpt", o);
    if (ckpt_save(p, cfgtext, &st, &a, &err)) die(&err);
    st.step = 2;
    snprintf(q, sizeof q, "%s/ckpt/deep.ckpt", o);
    if (ckpt_save(q, "x=1\n", &st, &b, &err)) die(&err);
    snprintf(q, sizeof q, "%s/ckpt/run-truncated.ckpt", o);
    variant(p, q, 100, -1);
    snprintf(q, sizeof q, "%s/ckpt/run-badcrc.ckpt", o);
    variant(p, q, -1, 150);
    snprintf(q, sizeof q, "%s/ckpt/a.model", o); /* a model given as a checkpoint */
    snprintf(p, sizeof p, "%s/model/small.model", o);
    variant(p, q, -1, -1);
    net_free(&a);
    net_free(&b);

    /* PGM: a P5 written by pgm_write; P2 variants are plain text files. */
    uint8_t px[3 * 4];
    for (int i = 0; i < 12; i++) px[i] = (uint8_t)(i * 20);
    snprintf(p, sizeof p, "%s/pgm/small.pgm", o);
    if (pgm_write(p, 3, 4, px, &err)) die(&err);
    const char *texts[][2] = {
        {"p2.pgm", "P2\n# a comment\n4 3\n255\n0 20 40 60\n80 100 120 140\n160 180 200 220\n"},
        {"p2-maxval15.pgm", "P2 2 2 15 0 5 10 15\n"},
        {"p5-maxval1.pgm", "P5\n2 1\n1\n\x01\x01"},
        {"p2-short.pgm", "P2\n3 3\n255\n1 2 3\n"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        snprintf(p, sizeof p, "%s/pgm/%s", o, texts[i][0]);
        FILE *f = fopen(p, "wb");
        if (!f || fputs(texts[i][1], f) < 0 || fclose(f) != 0) { perror(p); return 1; }
    }
    return 0;
}
