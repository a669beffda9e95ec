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
 * Both files are written by fsx_write_atomic: to a temporary file
 * next to the final name, renamed over it only when complete. The bytes
 * depend only on the network (no time stamps). */
#ifndef NNTRAIN_EXPORT_H
#define NNTRAIN_EXPORT_H

#include "err.h"
#include "net.h"

#define EXPORT_ONNX_IR 7     /* the IR version of opset 13 (ONNX 1.8) */
#define EXPORT_ONNX_OPSET 13
#define EXPORT_ONNX_INPUT "input"
#define EXPORT_ONNX_OUTPUT "output"

typedef enum { EXPORT_ONNX, EXPORT_NPZ } export_format;

/* The format a file name asks for by its extension (.onnx or .npz, any
 * case). Anything else: ERR_INPUT naming the extensions, -1. */
int export_format_of(const char *path, export_format *fmt, err_t *err);

int export_onnx(const char *path, const net_t *net, err_t *err);
int export_npz(const char *path, const net_t *net, err_t *err);

/* export_onnx or export_npz, as the extension of path says. */
int export_file(const char *path, const net_t *net, err_t *err);

#endif
