/* ckpt: see include/ckpt.h for the file layout.
 *
 * The model inside is written and read by model.c (model_write,
 * model_read), and the file is written whole or not at all by
 * fsx_write_atomic: this file only adds the training state around them. Loading checks in this order, so that each bad file gets the one
 * message that explains it: magic and version (foreign file), structure
 * and lengths (truncated), crc (corrupt), config (a different run), and
 * finally the model's own checks. */
#define _POSIX_C_SOURCE 200809L /* fseeko, ftello */
#include "ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "cores.h"
#include "fsx.h"
#include "le.h"
#include "model.h" /* model_write, model_read: the net inside */

#define MAGIC_LEN 8

/* ---- the config text ----------------------------------------------------- */

uint64_t ckpt_hash(const char *text)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

/* Appends printf output to buf; returns -1 once it no longer fits. */
static int add(char *buf, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len >= n)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= n - *len)
        return -1;
    *len += (size_t)w;
    return 0;
}

/* zlib's crc32 of len bytes, fed in pieces (it takes uInt lengths). */
static uLong crc32_big(uLong crc, const void *p, size_t len)
{
    const Bytef *b = p;
    for (size_t off = 0; off < len;) {
        size_t k = len - off > (1u << 30) ? (1u << 30) : len - off;
        crc = crc32(crc, b + off, (uInt)k);
        off += k;
    }
    return crc;
}

int ckpt_config_text(const cfg_t *c, const dataset *fit, char *buf, size_t n)
{
    /* The config's part is cfg's schema (cfg_identity_text); threads, when
     * they decide the bits, are counted as this run will start them. */
    cfg_t r = *c;
    r.threads = cores_resolve(c->threads);
    if (cfg_identity_text(&r, buf, n) != 0)
        return -1;
    size_t len = strlen(buf);
    int rc = 0;
    /* The training data's bytes: inputs (pixels or features), then labels
     * or targets. */
    size_t in_bytes = fit->images ? 1 : sizeof *fit->x;
    size_t out_bytes = fit->labels ? 1 : (size_t)fit->n_targets * sizeof *fit->y;
    uLong crc = crc32_big(crc32(0L, Z_NULL, 0),
                          fit->images ? (const void *)fit->images : (const void *)fit->x,
                          (size_t)fit->n * fit->n_in * in_bytes);
    crc = crc32_big(crc, fit->labels ? (const void *)fit->labels : (const void *)fit->y,
                    (size_t)fit->n * out_bytes);
    if (fit->images)
        rc |= add(buf, n, &len, "data.train_examples=%d\ndata.image=%dx%d\ndata.train_crc32=%08lx\n",
                  fit->n, fit->rows, fit->cols, (unsigned long)crc);
    else
        rc |= add(buf, n, &len, "data.train_examples=%d\ndata.features=%d\ndata.targets=%d\n"
                  "data.train_crc32=%08lx\n", fit->n, fit->n_in, fit->n_targets, (unsigned long)crc);
    return rc ? -1 : 0;
}

/* The value of key in a "key=value\n" text, as a pointer and length. */
static const char *find_value(const char *text, const char *key, size_t key_len, size_t *vlen)
{
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t line = eol ? (size_t)(eol - p) : strlen(p);
        if (line > key_len && memcmp(p, key, key_len) == 0 && p[key_len] == '=') {
            *vlen = line - key_len - 1;
            return p + key_len + 1;
        }
        p += line + (eol ? 1 : 0);
    }
    return NULL;
}

/* Appends to out "key is A in the checkpoint, B here" for each key of
 * `from` that differs in `other`. from_ckpt says which text is the
 * checkpoint's; the current run's text is only scanned for keys the
 * checkpoint lacks, so that each difference is named once. */
static void diff_keys(const char *from, const char *other, int from_ckpt, char *out, size_t n,
                      size_t *len)
{
    for (const char *p = from; *p;) {
        const char *eol = strchr(p, '\n');
        size_t line = eol ? (size_t)(eol - p) : strlen(p);
        const char *eq = memchr(p, '=', line);
        if (eq) {
            size_t klen = (size_t)(eq - p), vlen = line - klen - 1, olen = 0;
            const char *ov = find_value(other, p, klen, &olen);
            int differs = !ov || olen != vlen || memcmp(ov, eq + 1, vlen) != 0;
            if (differs && (from_ckpt || !ov)) {
                const char *unset = "unset";
                const char *cv = from_ckpt ? eq + 1 : unset, *hv = from_ckpt ? ov : eq + 1;
                size_t cl = from_ckpt ? vlen : strlen(unset), hl = from_ckpt ? olen : vlen;
                if (!hv)
                    hv = unset, hl = strlen(unset);
                add(out, n, len, "%s%.*s is %.*s in the checkpoint, %.*s here", *len ? "; " : "",
                    (int)klen, p, (int)cl, cv, (int)hl, hv);
            }
        }
        p += line + (eol ? 1 : 0);
    }
}

/* ---- saving -------------------------------------------------------------- */

typedef struct {
    const char *config;
    const train_state *st;
    const net_t *net;
} save_args;

/* fwrite that also feeds the file's crc. */
static int put(FILE *f, const void *b, size_t n, uint32_t *crc)
{
    *crc = (uint32_t)crc32(*crc, b, (uInt)n);
    return fwrite(b, 1, n, f) == n ? 0 : -1;
}

static int put32(FILE *f, uint32_t v, uint32_t *crc)
{
    unsigned char b[4];
    le_put_u32(b, v);
    return put(f, b, 4, crc);
}

static int put64(FILE *f, uint64_t v, uint32_t *crc)
{
    unsigned char b[8];
    le_put_u64(b, v);
    return put(f, b, 8, crc);
}

/* Little-endian u32s or f32 bits, through a small buffer. */
static int put_words(FILE *f, const void *words, uint64_t n, uint32_t *crc)
{
    unsigned char buf[4096];
    const unsigned char *src = words;
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done > sizeof buf / 4 ? sizeof buf / 4 : (size_t)(n - done);
        for (size_t i = 0; i < k; i++) {
            uint32_t v;
            memcpy(&v, src + 4 * (done + i), 4);
            le_put_u32(buf + 4 * i, v);
        }
        if (put(f, buf, 4 * k, crc) != 0)
            return -1;
        done += k;
    }
    return 0;
}

/* Early stopping's section, after the model: a flag, then the state. */
static int write_best(FILE *f, const train_best *b, size_t n_params, uint32_t *crc)
{
    if (!b)
        return put32(f, 0, crc);
    uint64_t value_bits;
    memcpy(&value_bits, &b->value, 8);
    return put32(f, 1, crc) || put32(f, (uint32_t)b->epoch, crc) || put32(f, (uint32_t)b->since, crc) ||
                   put64(f, value_bits, crc) || put64(f, (uint64_t)n_params, crc) ||
                   put_words(f, b->params, (uint64_t)n_params, crc)
               ? -1
               : 0;
}

static int write_ckpt(FILE *f, const void *user)
{
    const save_args *a = user;
    const train_state *st = a->st;
    uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
    uint64_t loss_bits, b1_bits, b2_bits;
    memcpy(&loss_bits, &st->loss_sum, 8);
    memcpy(&b1_bits, &st->opt.beta1_pow, 8);
    memcpy(&b2_bits, &st->opt.beta2_pow, 8);
    size_t clen = strlen(a->config);
    if (put(f, CKPT_MAGIC, MAGIC_LEN, &crc) || put32(f, CKPT_VERSION, &crc) ||
        put64(f, ckpt_hash(a->config), &crc) || put32(f, (uint32_t)clen, &crc) ||
        put(f, a->config, clen, &crc) ||
        put32(f, (uint32_t)st->epoch, &crc) || put32(f, (uint32_t)st->step, &crc) ||
        put32(f, (uint32_t)st->n_batches, &crc) || put64(f, st->rng, &crc) ||
        put64(f, loss_bits, &crc) || put32(f, (uint32_t)st->n_train, &crc) ||
        put_words(f, st->perm, (uint64_t)st->n_train, &crc) ||
        put32(f, st->opt.kind, &crc) || put64(f, st->opt.t, &crc) || put64(f, b1_bits, &crc) ||
        put64(f, b2_bits, &crc) || put64(f, st->opt.n_state, &crc) ||
        put_words(f, st->opt.state, st->opt.n_state, &crc) ||
        put64(f, (uint64_t)model_file_size(a->net), &crc) ||
        model_write(f, a->net, &crc) != 0)
        return -1;
    if (write_best(f, st->best, a->net->n_params, &crc) != 0)
        return -1;
    unsigned char tail[4];
    le_put_u32(tail, crc);
    return fwrite(tail, 1, 4, f) == 4 ? 0 : -1;
}

int ckpt_save(const char *path, const char *config_text, const train_state *st,
              const net_t *net, err_t *err)
{
    if (strlen(config_text) >= CKPT_CONFIG_MAX)
        return err_set(err, ERR_RUNTIME, "%s: cannot save checkpoint: config text too long", path);
    if (st->opt.n_state && !st->opt.state)
        return err_set(err, ERR_RUNTIME, "%s: cannot save checkpoint: no optimizer state", path);
    save_args a = {config_text, st, net};
    return fsx_write_atomic(path, "checkpoint", write_ckpt, &a, err);
}

/* ---- loading ------------------------------------------------------------- */

/* Reads the file front to back, feeding the crc and counting what is left
 * before the trailing crc, so that every length is checked against it. */
typedef struct {
    FILE *f;
    const char *path;
    long long left;
    uLong crc;
    err_t *err;
} reader;

static int get(reader *r, void *b, size_t n, const char *what)
{
    if ((long long)n > r->left)
        return err_set(r->err, ERR_INPUT, "%s: truncated: the checkpoint ends inside %s", r->path, what);
    if (fread(b, 1, n, r->f) != n)
        return err_set(r->err, ERR_RUNTIME, "%s: cannot read: %s", r->path,
                       ferror(r->f) ? strerror(errno) : "file changed size while reading");
    r->crc = crc32(r->crc, b, (uInt)n);
    r->left -= (long long)n;
    return 0;
}

static int get32(reader *r, uint32_t *v, const char *what)
{
    unsigned char b[4];
    if (get(r, b, 4, what) != 0)
        return -1;
    *v = le_get_u32(b);
    return 0;
}

static int get64(reader *r, uint64_t *v, const char *what)
{
    unsigned char b[8];
    if (get(r, b, 8, what) != 0)
        return -1;
    *v = le_get_u64(b);
    return 0;
}

static int get_words(reader *r, void *words, uint64_t n, const char *what)
{
    if ((long long)n > r->left / 4) /* before anything is read into words */
        return err_set(r->err, ERR_INPUT, "%s: truncated: the checkpoint ends inside %s", r->path, what);
    unsigned char buf[4096];
    unsigned char *dst = words;
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done > sizeof buf / 4 ? sizeof buf / 4 : (size_t)(n - done);
        if (get(r, buf, 4 * k, what) != 0)
            return -1;
        for (size_t i = 0; i < k; i++) {
            uint32_t v = le_get_u32(buf + 4 * i);
            memcpy(dst + 4 * (done + i), &v, 4);
        }
        done += k;
    }
    return 0;
}

/* Checks magic and version; a model file given by mistake is named so. */
static int read_magic(reader *r)
{
    unsigned char m[MAGIC_LEN];
    size_t have = r->left < MAGIC_LEN ? (size_t)(r->left < 0 ? 0 : r->left) : MAGIC_LEN;
    if (fread(m, 1, have, r->f) != have)
        return err_set(r->err, ERR_RUNTIME, "%s: cannot read: %s", r->path, strerror(errno));
    if (have >= 8 && memcmp(m, "NNTRMODL", 8) == 0)
        return err_set(r->err, ERR_INPUT,
                       "%s: this is a model file, not a checkpoint (set output.checkpoint to get those)",
                       r->path);
    if (memcmp(m, CKPT_MAGIC, have) != 0 || have == 0)
        return err_set(r->err, ERR_INPUT, "%s: not an nntrain checkpoint (bad magic)", r->path);
    if (have < MAGIC_LEN)
        return err_set(r->err, ERR_INPUT, "%s: truncated: the checkpoint ends inside its header", r->path);
    r->crc = crc32(r->crc, m, MAGIC_LEN);
    r->left -= MAGIC_LEN;
    uint32_t version;
    if (get32(r, &version, "its header") != 0)
        return -1;
    if (version != CKPT_VERSION)
        return err_set(r->err, ERR_INPUT, "%s: checkpoint format version %u; this nntrain reads %d",
                       r->path, version, CKPT_VERSION);
    return 0;
}

/* Everything before the model image, checked field by field. */
static int read_state(reader *r, ckpt_t *ck)
{
    uint32_t clen, epoch, step, n_batches, n_train;
    uint64_t loss_bits;
    if (get64(r, &ck->config_hash, "its header") || get32(r, &clen, "its header"))
        return -1;
    if (clen >= CKPT_CONFIG_MAX)
        return err_set(r->err, ERR_INPUT, "%s: config text of %u bytes (at most %d): corrupt",
                       r->path, clen, CKPT_CONFIG_MAX - 1);
    if (get(r, ck->config, clen, "the config text"))
        return -1;
    ck->config[clen] = '\0';
    if (get32(r, &epoch, "the position") || get32(r, &step, "the position") ||
        get32(r, &n_batches, "the position") || get64(r, &ck->st.rng, "the rng state") ||
        get64(r, &loss_bits, "the position") || get32(r, &n_train, "the permutation"))
        return -1;
    if (epoch < 1 || epoch > INT32_MAX || n_batches < 1 || n_batches > INT32_MAX ||
        step > n_batches || n_train < 1 || n_train > INT32_MAX)
        return err_set(r->err, ERR_INPUT,
                       "%s: impossible position (epoch %u, step %u of %u, %u examples): corrupt",
                       r->path, epoch, step, n_batches, n_train);
    ck->st.epoch = (int)epoch;
    ck->st.step = (int)step;
    ck->st.n_batches = (int)n_batches;
    ck->st.n_train = (int)n_train;
    memcpy(&ck->st.loss_sum, &loss_bits, 8);
    if ((long long)n_train > r->left / 4)
        return err_set(r->err, ERR_INPUT, "%s: truncated: the checkpoint ends inside the permutation",
                       r->path);
    ck->st.perm = malloc((size_t)n_train * sizeof *ck->st.perm);
    if (!ck->st.perm)
        return err_set(r->err, ERR_RUNTIME, "%s: out of memory", r->path);
    if (get_words(r, ck->st.perm, n_train, "the permutation"))
        return -1;

    optim_state *o = &ck->st.opt;
    uint64_t b1_bits, b2_bits;
    if (get32(r, &o->kind, "the optimizer section") || get64(r, &o->t, "the optimizer section") ||
        get64(r, &b1_bits, "the optimizer section") || get64(r, &b2_bits, "the optimizer section") ||
        get64(r, &o->n_state, "the optimizer section"))
        return -1;
    memcpy(&o->beta1_pow, &b1_bits, 8);
    memcpy(&o->beta2_pow, &b2_bits, 8);
    if (o->kind >= OPTIM_COUNT)
        return err_set(r->err, ERR_INPUT, "%s: unknown optimizer %u (this nntrain knows 0 to %d): corrupt",
                       r->path, o->kind, OPTIM_COUNT - 1);
    if (!(o->beta1_pow >= 0 && o->beta1_pow <= 1) || !(o->beta2_pow >= 0 && o->beta2_pow <= 1) ||
        (optim_state_per_param((optim_kind)o->kind) == 0) != (o->n_state == 0))
        return err_set(r->err, ERR_INPUT, "%s: impossible %s optimizer state (%llu values): corrupt",
                       r->path, optim_kind_name((optim_kind)o->kind), (unsigned long long)o->n_state);
    if (o->n_state > (uint64_t)(r->left / 4))
        return err_set(r->err, ERR_INPUT, "%s: truncated: the checkpoint ends inside the optimizer state",
                       r->path);
    if (o->n_state) {
        o->state = malloc((size_t)o->n_state * sizeof *o->state);
        if (!o->state)
            return err_set(r->err, ERR_RUNTIME, "%s: out of memory", r->path);
        if (get_words(r, o->state, o->n_state, "the optimizer state"))
            return -1;
    }
    return 0;
}

/* Early stopping's section (write_best). */
static int read_best(reader *r, ckpt_t *ck)
{
    uint32_t has, epoch, since;
    uint64_t value_bits, n;
    if (get32(r, &has, "the early-stopping section"))
        return -1;
    if (has == 0)
        return 0;
    if (has != 1)
        return err_set(r->err, ERR_INPUT, "%s: early-stopping flag %u: corrupt", r->path, has);
    if (get32(r, &epoch, "the early-stopping section") || get32(r, &since, "the early-stopping section") ||
        get64(r, &value_bits, "the early-stopping section") || get64(r, &n, "the early-stopping section"))
        return -1;
    if (epoch > INT32_MAX || since > INT32_MAX || n < 1 || n > (uint64_t)(r->left / 4))
        return err_set(r->err, ERR_INPUT, "%s: %s early-stopping state (epoch %u, %u since, %llu "
                       "weights)", r->path, n > (uint64_t)(r->left / 4) ? "truncated:" : "corrupt:",
                       epoch, since, (unsigned long long)n);
    ck->best.params = malloc((size_t)n * sizeof *ck->best.params);
    if (!ck->best.params)
        return err_set(r->err, ERR_RUNTIME, "%s: out of memory", r->path);
    if (get_words(r, ck->best.params, n, "the best model"))
        return -1;
    ck->best.epoch = (int)epoch;
    ck->best.since = (int)since;
    memcpy(&ck->best.value, &value_bits, 8);
    ck->n_best = n;
    ck->st.best = &ck->best;
    return 0;
}

/* The permutation must be one: its entries index the training set. */
static int check_perm(const ckpt_t *ck, const char *path, err_t *err)
{
    int n = ck->st.n_train;
    unsigned char *seen = calloc((size_t)n, 1);
    if (!seen)
        return err_set(err, ERR_RUNTIME, "%s: out of memory", path);
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        int v = ck->st.perm[i];
        ok = v >= 0 && v < n && !seen[v];
        if (ok)
            seen[v] = 1;
    }
    free(seen);
    return ok ? 0 : err_set(err, ERR_INPUT, "%s: the stored permutation is not one: corrupt", path);
}

static int check_config(const ckpt_t *ck, const char *path, const char *config, err_t *err)
{
    if (ck->config_hash != ckpt_hash(ck->config))
        return err_set(err, ERR_INPUT, "%s: config hash does not match its text: corrupt", path);
    if (strcmp(ck->config, config) == 0)
        return 0;
    char diff[700];
    size_t len = 0;
    diff[0] = '\0';
    diff_keys(ck->config, config, 1, diff, sizeof diff, &len);
    diff_keys(config, ck->config, 0, diff, sizeof diff, &len);
    return err_set(err, ERR_INPUT,
                   "%s: made by a different config (config hash %016llx, this run's %016llx): %s. "
                   "Resume with the config it was made with (only train.epochs, unless "
                   "train.schedule is cosine, train.threads and output.* may change)",
                   path, (unsigned long long)ck->config_hash,
                   (unsigned long long)ckpt_hash(config), diff);
}

static int load_open(FILE *f, const char *path, const char *config, ckpt_t *ck, err_t *err)
{
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0)
        return err_set(err, ERR_RUNTIME, "%s: cannot stat: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return err_set(err, ERR_INPUT, "%s: not a regular file (expected a checkpoint)", path);
    reader r = {f, path, (long long)sb.st_size - 4, crc32(0L, Z_NULL, 0), err};
    uint64_t model_len;
    if (read_magic(&r) || read_state(&r, ck) || get64(&r, &model_len, "the model length"))
        return -1;
    if (r.left < 0 || model_len > (uint64_t)r.left)
        return err_set(err, ERR_INPUT, "%s: truncated: the model inside is %llu bytes, %lld remain",
                       path, (unsigned long long)model_len, r.left);
    off_t model_at = ftello(f);
    unsigned char buf[1 << 14], tail[4];
    for (long long left = (long long)model_len; left > 0;) {
        size_t k = left > (long long)sizeof buf ? sizeof buf : (size_t)left;
        if (get(&r, buf, k, "the model"))
            return -1;
        left -= (long long)k;
    }
    if (read_best(&r, ck) != 0)
        return -1;
    if (r.left != 0)
        return err_set(err, ERR_INPUT, "%s: trailing bytes: %lld after the checkpoint's last "
                       "section", path, r.left);
    if (fread(tail, 1, 4, f) != 4)
        return err_set(err, ERR_RUNTIME, "%s: cannot read: file changed size while reading", path);
    if ((uint32_t)r.crc != le_get_u32(tail))
        return err_set(err, ERR_INPUT, "%s: checksum mismatch (the checkpoint is corrupt)", path);
    if (check_perm(ck, path, err) || (config && check_config(ck, path, config, err)))
        return -1;
    if (fseeko(f, model_at, SEEK_SET) != 0)
        return err_set(err, ERR_RUNTIME, "%s: cannot seek: %s", path, strerror(errno));
    if (model_read(f, path, (long long)model_len, &ck->net, err) != 0)
        return -1;
    if (ck->st.best && ck->n_best != ck->net.n_params)
        return err_set(err, ERR_INPUT, "%s: the best model holds %llu weights, the model %zu: "
                       "corrupt", path, (unsigned long long)ck->n_best, ck->net.n_params);
    uint64_t want = (uint64_t)optim_state_per_param((optim_kind)ck->st.opt.kind) * ck->net.n_params;
    if (ck->st.opt.n_state != want)
        return err_set(err, ERR_INPUT,
                       "%s: %llu optimizer state values for %zu parameters (%s wants %llu): corrupt",
                       path, (unsigned long long)ck->st.opt.n_state, ck->net.n_params,
                       optim_kind_name((optim_kind)ck->st.opt.kind), (unsigned long long)want);
    return 0;
}

int ckpt_load(const char *path, const char *config_text, ckpt_t *ck, err_t *err)
{
    memset(ck, 0, sizeof *ck);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_INPUT, "%s: cannot open checkpoint: %s", path, strerror(errno));
    int rc = load_open(f, path, config_text, ck, err);
    fclose(f);
    if (rc != 0)
        ckpt_free(ck);
    return rc;
}

void ckpt_free(ckpt_t *ck)
{
    free(ck->st.perm);
    free(ck->st.opt.state);
    free(ck->best.params);
    net_free(&ck->net);
    memset(ck, 0, sizeof *ck);
}

/* ---- --resume DIR -------------------------------------------------------- */

/* The (epoch, step) a checkpoint file claims, from its first bytes only;
 * -1 if it does not look like one (it is checked fully when loaded). */
static int peek_position(const char *path, uint32_t *epoch, uint32_t *step)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char h[24], pos[8];
    int rc = -1;
    if (fread(h, 1, sizeof h, f) == sizeof h && memcmp(h, CKPT_MAGIC, MAGIC_LEN) == 0 &&
        fseeko(f, (off_t)le_get_u32(h + 20), SEEK_CUR) == 0 && fread(pos, 1, 8, f) == 8) {
        *epoch = le_get_u32(pos);
        *step = le_get_u32(pos + 4);
        rc = 0;
    }
    fclose(f);
    return rc;
}

int ckpt_resolve(const char *arg, char *out, size_t n, err_t *err)
{
    struct stat sb;
    if (stat(arg, &sb) != 0)
        return err_set(err, ERR_INPUT, "%s: cannot resume: %s", arg, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) {
        if ((size_t)snprintf(out, n, "%s", arg) >= n)
            return err_set(err, ERR_INPUT, "%s: path too long", arg);
        return 0;
    }
    DIR *d = opendir(arg);
    if (!d)
        return err_set(err, ERR_INPUT, "%s: cannot read directory: %s", arg, strerror(errno));
    struct dirent *e;
    char p[CFG_PATH_MAX * 2];
    int found = 0;
    uint32_t best_e = 0, best_s = 0;
    double best_t = 0;
    size_t sl = strlen(CKPT_SUFFIX);
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= sl || strcmp(e->d_name + len - sl, CKPT_SUFFIX) != 0)
            continue; /* also skips a save's leftover NAME.ckpt.tmp.PID */
        snprintf(p, sizeof p, "%s/%s", arg, e->d_name);
        uint32_t ep, st;
        struct stat fs;
        if (stat(p, &fs) != 0 || !S_ISREG(fs.st_mode) || peek_position(p, &ep, &st) != 0)
            continue;
        double t = (double)fs.st_mtime;
        if (!found || ep > best_e || (ep == best_e && (st > best_s || (st == best_s && t > best_t)))) {
            found = 1;
            best_e = ep, best_s = st, best_t = t;
            if ((size_t)snprintf(out, n, "%s", p) >= n) {
                closedir(d);
                return err_set(err, ERR_INPUT, "%s: path too long", p);
            }
        }
    }
    closedir(d);
    if (!found)
        return err_set(err, ERR_INPUT, "%s: no checkpoint (*%s file) in this directory", arg,
                       CKPT_SUFFIX);
    return 0;
}
