/* ckpt: checkpoint files, from which a run resumes exactly.
 *
 * Layout (all integers little-endian, like the model file):
 *   "NNTRCKPT"            8 bytes magic
 *   u32 version           1
 *   u64 config_hash       FNV-1a 64 of the config text below
 *   u32 config_len, config text   "key=value\n" lines: every config value
 *                         that decides the run's trajectory (ckpt_config_text)
 *   u32 epoch, u32 step, u32 n_batches   train_state's position
 *   u64 rng               the shuffling rng's state
 *   u64 loss_sum          the epoch's loss so far, a double's bits
 *   u32 n_train, u32 perm[n_train]       the epoch's order
 *   u32 optimizer         optim_kind: 0 sgd, 1 sgd with momentum, 2 adam, 3 adamw
 *   u64 t                 optimizer steps done
 *   u64 beta1_pow, u64 beta2_pow         beta1^t, beta2^t, doubles' bits (1 for sgd)
 *   u64 n_state, f32 state[n_state]      its state (optim_state: momentum, or
 *                         adam's m then v): per-parameter floats * n_params
 *   u64 model_len, model image            a whole model file (model.h)
 *   u32 has_best          1: early stopping's state follows; 0: none (patience 0)
 *     u32 best_epoch, u32 since, u64 best_value (a double's bits)
 *     u64 n, f32 best[n]  the best epoch's weights (n: the model's parameters)
 *   u32 crc32             zlib crc32 of every byte before it
 * Saving is atomic (fsx_write_atomic): a crash or a kill mid-write leaves
 * the previous checkpoint whole. Loading checks structure, length and crc
 * before anything is used, and refuses a checkpoint made with a different
 * config, naming the keys that differ. */
#ifndef NNTRAIN_CKPT_H
#define NNTRAIN_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include "cfg.h"
#include "err.h"
#include "idx.h"
#include "net.h"
#include "train.h"

#define CKPT_MAGIC "NNTRCKPT"
#define CKPT_VERSION 4 /* 2: the config text is cfg_identity_text; 3: optimizer t, powers; 4: early stopping's state */
#define CKPT_OPTIM_SGD 0 /* OPTIM_SGD */
#define CKPT_CONFIG_MAX 4096 /* bytes of config text */
#define CKPT_SUFFIX ".ckpt"  /* what --resume DIR looks for */

typedef struct {
    char config[CKPT_CONFIG_MAX]; /* the text it was made with */
    uint64_t config_hash;
    train_state st;               /* st.perm and st.opt.state (NULL when
                                   * st.opt.n_state is 0) are owned (ckpt_free) */
    net_t net;                    /* the weights */
    train_best best;              /* st.best points here when the file has it; params owned */
    uint64_t n_best;              /* floats in best.params */
} ckpt_t;

/* The config text of a run: the keys that decide its trajectory
 * (cfg_identity_text: cfg's schema says which), then the training data's
 * sizes and checksum (fit is the part trained on).
 * Returns 0, or -1 if it does not fit in n bytes. */
int ckpt_config_text(const cfg_t *c, const dataset *fit, char *buf, size_t n);

uint64_t ckpt_hash(const char *text);

/* Writes the checkpoint atomically, with the optimizer's state st->opt
 * (st->opt.state may be NULL when st->opt.n_state is 0). */
int ckpt_save(const char *path, const char *config_text, const train_state *st,
              const net_t *net, err_t *err);

/* Reads and checks path. If config_text is not NULL, the checkpoint must
 * have been made with the same text (else ERR_INPUT naming the keys that
 * differ). On error nothing is allocated. */
int ckpt_load(const char *path, const char *config_text, ckpt_t *ck, err_t *err);
void ckpt_free(ckpt_t *ck);

/* --resume's argument: a file is used as is; in a directory, the *.ckpt
 * file furthest into training (epoch, then step; then the newest) is
 * chosen. Writes the chosen path to out. */
int ckpt_resolve(const char *file_or_dir, char *out, size_t n, err_t *err);

#endif
