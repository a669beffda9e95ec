/* export: a trained network in the files other programs read.
 *
 * ONNX (.onnx): an ONNX model (IR version EXPORT_ONNX_IR, opset
 * EXPORT_ONNX_OPSET of the default domain, producer "nntrain" and its
 * version), encoded with protobuf-c from ONNX's own onnx.proto. The graph:
 *     input "input"   float [N, sizes[0]], N dynamic
 *     layer l:        Gemm(a, W<l>, b<l>) -> z<l>, then one of Sigmoid,
 *                     Tanh, Relu, LeakyRelu (alpha NET_LEAKY_SLOPE),
 *                     Identity (linear), Softmax (axis 1) -> a<l>
 *     output "output" float [N, sizes[L]]: the last layer's activations
 * with initializers W<l> (sizes[l], sizes[l+1]) and b<l> (sizes[l+1]),
 * the same row-major layout as net.h, so Gemm needs no transpose.
 *
 * NumPy (.npz): an uncompressed zip of .npy arrays (format 1.0), as
 * numpy.savez writes:
 *     W0, b0, W1, b1, ...   float32 '<f4', shapes as above
 *     shape                 int64 '<i8' (L+1): sizes[0] ... sizes[L]
 *     activations           unicode '<U..' (L): "relu", ..., "softmax"
 *     cost                  unicode '<U..' 0-d: "cross_entropy"
 * The names are net.h's (net_act_name, net_cost_name).
 *
 * A table model (one with a prep_t, prep.h) carries its preprocessing:
 *
 * ONNX: the graph's input is "features" float [N, n_features]: the RAW
 * values, one column per feature in the model's order (metadata
 * "nntrain.features"). A numeric column is a number in the data's units; a
 * categorical column is the index of its category in the model's sorted
 * list (metadata "nntrain.categories"; an index outside 0..n_cats-1, e.g.
 * -1, is a category never seen in training: all its inputs 0, as predict
 * does). Nodes before the network:
 *     IsNaN(features) -> missing; Where(missing, fill, features) -> filled
 *         only when some feature has a fill value (data.missing); a NaN
 *         in a column without one stays NaN (predict refuses such a cell)
 *     Sub(filled, offset) -> centered; Div(centered, scale) -> scaled
 *         (categorical columns: offset 0, scale 1)
 *     with categorical features: per run of numeric columns
 *         Slice(scaled, [first], [end], [1]); per categorical column
 *         Slice -> Equal(column, [0, 1, ..., n_cats-1]) -> Cast(FLOAT),
 *         the one-hot inputs; Concat(axis 1) of the pieces -> inputs
 * then the network's Gemm and activation nodes as above. Its output
 * "output" float [N, n_out] is, for a classification, the class
 * probabilities (class k is "nntrain.classes"[k]); for a regression the
 * network's output goes through Mul(y_scale) and Add(y_offset): the
 * targets ("nntrain.targets") in their own units. metadata_props:
 * nntrain.cost, nntrain.task ("classification" or "regression"),
 * nntrain.features, nntrain.categories, nntrain.classes or
 * nntrain.targets, each a JSON text (arrays of names; categories an object
 * feature name -> array). The input's doc_string says the same in words.
 *
 * .npz, beside the arrays above:
 *     task                  '<U..' 0-d: "classification" or "regression"
 *     feature_names         '<U..' (F)
 *     feature_offset        '<f8' (F)  input = (v - offset) / scale
 *     feature_scale         '<f8' (F)  (categorical: 0 and 1)
 *     feature_fill          '<f8' (F)  a missing value's replacement, NaN:
 *                                      none (categorical: the category's index)
 *     feature_n_cats        '<i8' (F)  0: numeric; else one-hot width
 *     feature_categories    '<U..' (sum of n_cats): every categorical
 *                                      feature's categories, in feature order
 *     target_names          '<U..' (T) the label column(s)
 *     classes               '<U..' (C) classification only
 *     target_offset         '<f8' (T)  regression only: value =
 *     target_scale          '<f8' (T)  output * scale + offset
 * Strings are UTF-32 as NumPy's unicode dtype (names are UTF-8 in the
 * model; an invalid byte becomes U+FFFD).
 *
 * Both files are written by fsx_write_atomic: to a temporary file
 * next to the final name, renamed over it only when complete. The bytes
 * depend only on the network (no time stamps). */
#ifndef NNTRAIN_EXPORT_H
#define NNTRAIN_EXPORT_H

#include "err.h"
#include "net.h"
#include "prep.h"

#define EXPORT_ONNX_IR 7     /* the IR version of opset 13 (ONNX 1.8) */
#define EXPORT_ONNX_OPSET 13
#define EXPORT_ONNX_INPUT "input"
#define EXPORT_ONNX_OUTPUT "output"
#define EXPORT_ONNX_FEATURES "features" /* a table model's input */

typedef enum { EXPORT_ONNX, EXPORT_NPZ } export_format;

/* The format a file name asks for by its extension (.onnx or .npz, any
 * case). Anything else: ERR_INPUT naming the extensions, -1. */
int export_format_of(const char *path, export_format *fmt, err_t *err);

int export_onnx(const char *path, const net_t *net, err_t *err);
int export_npz(const char *path, const net_t *net, err_t *err);

/* export_onnx or export_npz, as the extension of path says. */
int export_file(const char *path, const net_t *net, err_t *err);

/* The same for a table model: prep (NULL: an image model, as above) must
 * fit net (n_inputs = sizes[0]; classes or targets = the output size),
 * else ERR_INPUT. */
int export_onnx_with(const char *path, const net_t *net, const prep_t *prep, err_t *err);
int export_npz_with(const char *path, const net_t *net, const prep_t *prep, err_t *err);
int export_file_with(const char *path, const net_t *net, const prep_t *prep, err_t *err);

/* 0 when prep fits net (see above), else ERR_INPUT naming source. */
int export_check_prep(const net_t *net, const prep_t *prep, const char *source, err_t *err);

#endif
