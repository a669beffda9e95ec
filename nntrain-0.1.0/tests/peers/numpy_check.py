"""numpy_check.py: exported models against the ONNX checker and NumPy.

  python3 numpy_check.py onnx MODEL.onnx
      onnx.checker.check_model (with shape inference) accepts the model, and
      it has what nntrain export promises: opset, producer, a float input
      "input" [N, n_in] with N dynamic, an output "output".

  python3 numpy_check.py npz MODEL.npz IMAGES.idx PREDICTIONS.txt [TOLERANCE]
      The forward pass in NumPy from the .npz alone (the README's snippet),
      on every image of IMAGES.idx, against the activations that
      `nntrain predict --all-digits` printed. Prints the largest absolute
      difference; exit 0 when it is <= TOLERANCE (default 1e-5), 1 when not.

Exit status 2 on bad input or a failed onnx check.
"""
import gzip
import sys

import numpy as np


def die(msg):
    print("numpy_check: " + msg, file=sys.stderr)
    sys.exit(2)


def check_onnx(path):
    import onnx

    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        die(f"{path}: onnx.checker rejects it: {e}")
    opsets = {o.domain: o.version for o in model.opset_import}
    g = model.graph
    problems = []
    if opsets.get("", 0) < 13:
        problems.append(f"opset {opsets}")
    if model.producer_name != "nntrain" or not model.producer_version:
        problems.append(f"producer {model.producer_name!r} {model.producer_version!r}")
    if [i.name for i in g.input] != ["input"] or [o.name for o in g.output] != ["output"]:
        problems.append("inputs/outputs are not 'input'/'output'")
    else:
        dims = g.input[0].type.tensor_type.shape.dim
        if len(dims) != 2 or not dims[0].dim_param or dims[1].dim_value <= 0:
            problems.append(f"input shape {dims}")
    if problems:
        die(f"{path}: " + "; ".join(problems))
    ops = " ".join(n.op_type for n in g.node)
    print(f"onnx {onnx.__version__} check_model: {path} OK (ir {model.ir_version}, "
          f"opset {opsets['']}, producer {model.producer_name} {model.producer_version}; {ops})")


def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        b = f.read()
    if b[:3] != b"\0\0\x08":
        die(f"{path}: not a uint8 IDX file")
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    px = np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd)
    return px.reshape(dims[0], -1)


def read_predictions(path):
    rows = {}
    with open(path) as f:
        for line in f:
            head, _, rest = line.partition("]: ")
            i = int(head.rsplit("[", 1)[1])
            rows[i] = [float(v) for v in rest.split()[1:]]
    return np.array([rows[i] for i in range(len(rows))], dtype=np.float64)


# The README's snippet: everything the forward pass needs is in the .npz.
def forward(npz, x):
    acts = {
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "leaky_relu": lambda z: np.where(z > 0, z, np.float32(0.01) * z),
        "linear": lambda z: z,
        "softmax": lambda z: np.exp(z - z.max(1, keepdims=True))
        / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True),
    }
    a = x
    for l, act in enumerate(npz["activations"]):
        a = acts[str(act)](a @ npz[f"W{l}"] + npz[f"b{l}"])
    return a


def check_npz(path, images, predictions, tol):
    npz = np.load(path)
    px = read_idx_images(images)
    x = px.astype(np.float32) * (np.float32(1) / np.float32(255))
    want = read_predictions(predictions)
    got = forward(npz, x)
    if got.dtype != np.float32 or got.shape != want.shape:
        die(f"{path}: forward pass gives {got.dtype} {got.shape}, predict printed {want.shape}")
    diff = np.abs(got.astype(np.float64) - want)
    i, j = np.unravel_index(np.argmax(diff), diff.shape)
    worst = float(diff.max())
    ok = worst <= tol
    shape = "-".join(str(int(s)) for s in npz["shape"])
    print(f"numpy {np.__version__} {path} ({shape} {','.join(map(str, npz['activations']))} "
          f"{npz['cost']}): {len(x)} images, max |numpy - nntrain| = {worst:.3e} "
          f"(image {i} output {j}) {'<=' if ok else '>'} {tol:g}")
    sys.exit(0 if ok else 1)


def main(argv):
    if len(argv) == 2 and argv[0] == "onnx":
        check_onnx(argv[1])
    elif len(argv) in (4, 5) and argv[0] == "npz":
        check_npz(argv[1], argv[2], argv[3], float(argv[4]) if len(argv) == 5 else 1e-5)
    else:
        die("usage: numpy_check.py onnx MODEL.onnx | npz MODEL.npz IMAGES.idx PREDICTIONS.txt [TOL]")


if __name__ == "__main__":
    main(sys.argv[1:])
