#!/usr/bin/env python3
"""Train an MLP on MNIST with PyTorch: the reference side of bench/run.sh.

A plain, idiomatic PyTorch loop (nn.Sequential, torch.optim.SGD, a
torch.randperm shuffle per epoch, mini-batches by index) on the whole
training set preloaded as one float32 tensor.  Only the training loop of each
epoch is timed.  Output, one machine-readable line each:

    torch_version 1.13.1 threads 1 params 23860 train_examples 60000
    epoch 1 examples_per_s 74000.0 seconds 0.81 loss 0.09 cpu_per_wall 1.00
    ...
    blas sgemm_=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 corename=Haswell ...
    test_accuracy 0.9512

Costs follow Nielsen's conventions so the numbers match nntrain's:
  quadratic      0.5 * sum_j (a_j - y_j)^2, mean over the mini-batch
  cross_entropy  softmax output: F.cross_entropy on the logits (the model has
                 no explicit softmax layer; same math, same gradient);
                 sigmoid output: -sum_j [y ln a + (1-y) ln(1-a)], batch mean.
"""

import argparse
import gzip
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_peer import blas_report, timed_epochs

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"


def read_idx(path):
    """Reads a (possibly gzipped) IDX file of unsigned bytes into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        sys.exit(f"torch_mlp: {path}: too short for an IDX file")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"torch_mlp: {path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        sys.exit(f"torch_mlp: {path}: size does not match its header {dims}")
    return data.reshape(dims)


def load_split(data_dir, images, labels, limit=0):
    x = read_idx(os.path.join(data_dir, images))
    y = read_idx(os.path.join(data_dir, labels))
    if limit > 0:
        x, y = x[:limit], y[:limit]
    x = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(y.astype(np.int64))
    return x, y


# ---- model and training --------------------------------------------------------

ACTS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}


def build_model(sizes, hidden, output, cost):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        last = i == len(sizes) - 2
        if not last:
            layers.append(ACTS[hidden]())
        elif output == "sigmoid" and cost == "quadratic":
            layers.append(nn.Sigmoid())
        elif output == "softmax" and cost == "quadratic":
            layers.append(nn.Softmax(dim=1))
        # cross_entropy: logits out; the loss applies softmax / sigmoid itself
    return nn.Sequential(*layers)


def make_loss(output, cost):
    if cost == "quadratic":
        return lambda out, y: 0.5 * ((out - y) ** 2).sum(1).mean()
    if output == "softmax":
        return lambda logits, y: F.cross_entropy(logits, y)
    # sigmoid + cross_entropy (Nielsen's): per-example sum over outputs, batch mean
    return lambda logits, y: F.binary_cross_entropy_with_logits(
        logits, y, reduction="sum") / logits.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="784,30,10")
    ap.add_argument("--hidden", choices=sorted(ACTS), default="sigmoid")
    ap.add_argument("--output", choices=["sigmoid", "softmax"], default="sigmoid")
    ap.add_argument("--cost", choices=["quadratic", "cross_entropy"], default="quadratic")
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--lr", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0,
                    help="use only the first N training examples (0 = all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default="data/mnist",
                    help="directory holding the four MNIST IDX .gz files")
    args = ap.parse_args()

    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) < 2 or sizes[0] != 784 or sizes[-1] != 10 or min(sizes) < 1:
        sys.exit("torch_mlp: --sizes must look like 784,...,10")
    for f in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS):
        if not os.path.isfile(os.path.join(args.data, f)):
            sys.exit(f"torch_mlp: {os.path.join(args.data, f)}: no such file "
                     "(run ./setup.sh, or pass --data DIR)")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    x_train, labels = load_split(args.data, TRAIN_IMAGES, TRAIN_LABELS, args.limit)
    x_test, y_test = load_split(args.data, TEST_IMAGES, TEST_LABELS)
    n = x_train.shape[0]
    index_targets = args.cost == "cross_entropy" and args.output == "softmax"
    y_train = labels if index_targets else F.one_hot(labels, 10).to(torch.float32)

    model = build_model(sizes, args.hidden, args.output, args.cost)
    loss_fn = make_loss(args.output, args.cost)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    n_params = sum(p.numel() for p in model.parameters())

    print(f"torch_version {torch.__version__} threads {torch.get_num_threads()} "
          f"params {n_params} train_examples {n}", flush=True)

    timed_epochs(model, opt, loss_fn, x_train, y_train, args.epochs, args.batch)

    print(blas_report(), flush=True)

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x_test.shape[0], 1000):
            out = model(x_test[i:i + 1000])
            correct += (out.argmax(1) == y_test[i:i + 1000]).sum().item()
    print(f"test_accuracy {correct / x_test.shape[0]:.4f}", flush=True)


if __name__ == "__main__":
    main()
