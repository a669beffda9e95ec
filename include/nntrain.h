/* nntrain.h: the nntrain library (libnntrain), its one public header.
 *
 * Load a model and predict, or train one from a config (YAML, as the
 * nntrain command reads it) on the config's data files or on arrays in
 * memory. The same config and data give the same model file, byte for
 * byte, as `nntrain -c CONFIG`.
 *
 *     #include <nntrain.h>
 *     cc prog.c $(pkg-config --cflags --libs nntrain)
 *
 * Conventions:
 *   - every name is prefixed nnt_ (NNT_ for macros and constants);
 *   - handles are opaque (nnt_model);
 *   - functions that can fail return an nnt_status (NNT_OK = 0); then
 *     nnt_last_error() gives the calling thread's message (one line);
 *     getters return 0 or NULL for a NULL handle or an index out of range;
 *   - the library never prints, never exits and never installs a signal
 *     handler; it allocates with malloc and frees all it allocated;
 *   - numbers (in configs, data files, model files, messages) are read
 *     and written in the "C" locale whatever the caller's: a call switches
 *     its thread to "C" (uselocale) and back before it returns, and the
 *     epoch callback runs in the caller's locale.
 *
 * Thread safety: nnt_predict may run on one shared model from any number
 * of threads at once (each call has its own workspace); a model must not
 * be freed while another thread uses it. Training uses train.threads
 * OpenMP threads (0: every core). */
#ifndef NNTRAIN_H
#define NNTRAIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define NNT_API __attribute__((visibility("default")))
#else
#define NNT_API
#endif

/* The interface this header describes (the library's is nnt_version()).
 * 2: nnt_epoch_info has a regression's eval_rmse, eval_mae and eval_r2,
 * appended, so a program built for 1 reads the fields it knows as before. */
#define NNT_API_VERSION 2

typedef enum {
    NNT_OK = 0,
    NNT_EINVAL = 1,   /* a wrong argument: a NULL pointer, a wrong shape, NaN or Inf
                       * where a number is needed, a bad config, bad data, a model
                       * that cannot do what was asked */
    NNT_EIO = 2,      /* a file cannot be read or written, or is not a model file */
    NNT_ENOMEM = 3,   /* out of memory */
    NNT_ESTOPPED = 4, /* the epoch callback aborted training (returned < 0) */
    NNT_ERUNTIME = 5  /* the work failed: training diverged, or another failure */
} nnt_status;

typedef enum {
    NNT_CLASSIFICATION = 0, /* outputs: one probability (softmax) per class */
    NNT_REGRESSION = 1      /* outputs: one value per target, in the target's units */
} nnt_task;

typedef struct nnt_model nnt_model;

/* "0.1.0": the library's version. */
NNT_API const char *nnt_version(void);

/* The message of the calling thread's last failed call ("" if none). */
NNT_API const char *nnt_last_error(void);

/* "NNT_EINVAL"...: a status's name. */
NNT_API const char *nnt_status_name(int status);

/* ---- models ------------------------------------------------------------ */

/* Reads a model file (`nntrain -c` writes them: output.model). *out is
 * set to the model, or to NULL on error (NNT_EIO: missing, unreadable,
 * not a model file, corrupt). */
NNT_API int nnt_model_load(const char *path, nnt_model **out);

/* Writes m to path (atomically: a temporary file renamed). */
NNT_API int nnt_model_save(const nnt_model *m, const char *path);

/* Frees m (NULL: nothing). */
NNT_API void nnt_model_free(nnt_model *m);

/* What predict takes per row: a table model's feature columns, or an
 * image model's pixels. */
NNT_API size_t nnt_model_n_features(const nnt_model *m);
/* What predict gives per row: classes (probabilities), targets, or an
 * image model's output units. */
NNT_API size_t nnt_model_n_outputs(const nnt_model *m);
/* NNT_CLASSIFICATION or NNT_REGRESSION (an image model classifies); -1
 * for NULL. */
NNT_API int nnt_model_task(const nnt_model *m);
/* 1 for a model trained on a table (it carries its preprocessing and
 * names), 0 for an image model (IDX), -1 for NULL. */
NNT_API int nnt_model_is_table(const nnt_model *m);
/* Feature column i's name (a table model; NULL for an image model). */
NNT_API const char *nnt_model_feature_name(const nnt_model *m, size_t i);
/* 1 if feature i is categorical (one-hot encoded in the model), else 0. */
NNT_API int nnt_model_feature_is_categorical(const nnt_model *m, size_t i);
/* A categorical feature i's categories, those seen in training, sorted by
 * their bytes as the model keeps them: how many (0 for a numeric feature,
 * an image model, or i out of range), and category j's name (NULL when j
 * or i is out of range). Category j is the value j in nnt_predict's X.
 * A numeric column trained as categorical (data.categorical) names its
 * categories by the numbers' shortest round-trip text ("3", "0.5"). */
NNT_API size_t nnt_model_n_categories(const nnt_model *m, size_t i);
NNT_API const char *nnt_model_category_name(const nnt_model *m, size_t i, size_t j);
/* A table classifier's classes: how many (0 for an image model or a
 * regression), and class k's name (output k of predict). */
NNT_API size_t nnt_model_n_classes(const nnt_model *m);
NNT_API const char *nnt_model_class_name(const nnt_model *m, size_t k);
/* The label columns' names (a table model: 1 for a classifier, one per
 * target for a regression); NULL for an image model. */
NNT_API const char *nnt_model_target_name(const nnt_model *m, size_t k);

/* ---- prediction ---------------------------------------------------------- */

/* A categorical cell of nnt_predict's X that holds a category never seen
 * in training: the feature's inputs are all zeros, as `nntrain predict`
 * gives for an unseen category in a file. */
#define NNT_CATEGORY_UNSEEN (-1)

/* Predicts n_rows rows of X (row-major, n_rows x n_cols floats; n_cols
 * must be nnt_model_n_features(m)) into out (n_rows x n_outputs floats,
 * row-major), the model's preprocessing applied as in training:
 *   a table model's numeric feature: scaled as fitted (data.scale); a NaN
 *     is a missing cell and takes the model's fill value (data.missing),
 *     or is NNT_EINVAL when the model was trained without one;
 *   a table model's categorical feature (nnt_model_feature_is_categorical):
 *     the cell is the category's index j in the model's list (0 ..
 *     nnt_model_n_categories(m, i) - 1, nnt_model_category_name), one-hot
 *     encoded as in training; NNT_CATEGORY_UNSEEN (-1) is a category not
 *     seen in training (all-zero inputs); NaN is a missing cell and takes
 *     the model's fill category, or is NNT_EINVAL without one; any other
 *     value (not a whole number, out of range) is NNT_EINVAL, the message
 *     naming the row, the feature and the range;
 *   Inf is NNT_EINVAL in any feature;
 *   the answer is the one `nntrain predict --all-digits` gives for the
 *     same rows written as a CSV file (categories by name, numbers as the
 *     floats of X);
 *   a classifier gives each class's probability, a regression each
 *     target's value in its own units;
 *   an image model takes pixel values 0..255 (scaled by 1/255 as in
 *     training) and gives its output units.
 * n_rows 0 is allowed (nothing is written). out is left undefined on
 * error. Thread-safe on a shared model. */
NNT_API int nnt_predict(const nnt_model *m, const float *X, size_t n_rows, size_t n_cols,
                        float *out);

/* ---- training ---------------------------------------------------------------- */

/* What one epoch did, handed to the epoch callback (which only reads it:
 * the library owns it, so fields are only ever appended). */
typedef struct {
    int epoch;            /* 1-based */
    int epochs;           /* train.epochs */
    double train_loss;    /* mean cost over the epoch's training examples */
    double eval_loss;     /* mean cost on the evaluation set (the validation set,
                           * else the test set); -1 without one */
    double eval_accuracy; /* fraction correct there (classification), or a
                           * regression's R² (as eval_r2, which may be below 0:
                           * eval_loss -1 tells there is none); -1 without one */
    double learning_rate; /* the rate of the epoch's last mini-batch */
    double seconds;       /* wall time of the epoch's training */
    /* Since NNT_API_VERSION 2: a regression's figures on the evaluation
     * set, the metrics CSV's eval_rmse, eval_mae and eval_r2 (in the
     * target's own units; with several targets, the means over them). */
    double eval_rmse;     /* -1 for a classification or without an evaluation set */
    double eval_mae;      /* -1 likewise */
    double eval_r2;       /* NaN likewise (R² itself may be negative) */
} nnt_epoch_info;

/* Called after every epoch (from the thread that called nnt_train_*).
 * Returns 0 to go on; > 0 to stop training now and keep the model as it
 * is (the call then succeeds, as early stopping does); < 0 to abort (the
 * call returns NNT_ESTOPPED and no model). */
typedef int (*nnt_epoch_fn)(void *user, const nnt_epoch_info *info);

/* Trains as `nntrain -c path` does: the config file (relative data paths
 * as the command resolves them), written to output.model when the config
 * sets it, and also handed back in *out (NULL: not wanted). on_epoch may
 * be NULL. */
NNT_API int nnt_train_file(const char *path, nnt_epoch_fn on_epoch, void *user,
                           nnt_model **out);

/* The same from a config's YAML text (NULL or "": every default). */
NNT_API int nnt_train_yaml(const char *yaml, nnt_epoch_fn on_epoch, void *user,
                           nnt_model **out);

/* Trains on arrays instead of the config's data files, as if they were a
 * table file (data.train): X (n_rows x n_cols floats, row-major; NaN is a
 * missing cell, Inf is NNT_EINVAL) has feature columns "x0".."x{n_cols-1}",
 * y (n_rows x y_cols floats) the label column "y" (or "y0".."y{k-1}").
 * data.task (default classification) says what y is: class labels (any
 * numbers: 0, 1, 2, or 3, 7; y_cols 1; the classes are sorted by value,
 * class k is output k), or regression targets (y_cols 1..64). The split
 * (data.test_fraction, data.validation or data.validation_fraction),
 * preprocessing (data.scale, data.missing) and network.hidden work as for
 * a table file: a config of
 *     data: {test_fraction: 0}
 *     network: {hidden: [64]}
 * trains on every row. The same values in a CSV or .npy file give the
 * same model bytes. yaml may be NULL (every default). X and y are read,
 * not copied, while the call runs (training reads X itself under
 * data.scale: none): they must not change until it returns. */
NNT_API int nnt_train_arrays(const char *yaml, const float *X, size_t n_rows, size_t n_cols,
                             const float *y, size_t y_cols, nnt_epoch_fn on_epoch, void *user,
                             nnt_model **out);

#ifdef __cplusplus
}
#endif

#endif
