#!/usr/bin/env python3
"""bench/sklearn_compare.py: nntrain.MLPClassifier against scikit-learn's
MLPClassifier, side by side (same architecture, solver, batch size and
epochs), on digits and on MNIST loaded as arrays; then the library against
the command on one job.

Both contenders see identical inputs: nntrain runs with scale="none" (its
data.scale: the features as given), since scikit-learn's MLPClassifier
scales nothing itself. Digits is standardised here, once, by
StandardScaler fitted on its training rows; MNIST is pixels / 255. (nntrain
computes in float32: it takes the same values rounded to float32; MNIST's
arrays are float32 for both already.)

    PYTHONPATH=python NNTRAIN_LIB=.libs/libnntrain.so /usr/bin/python3 bench/sklearn_compare.py

Environment: MNIST_EPOCHS (default 5), DIGITS_EPOCHS (default 50),
NNTRAIN (the command, default ./nntrain), NNTRAIN_DATA (default ./data)."""
import gzip
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.preprocessing import StandardScaler

import nntrain

warnings.simplefilter("ignore", ConvergenceWarning)


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def compare(name, Xtr, ytr, Xte, yte, hidden, batch, epochs, lr):
    common = dict(hidden_layer_sizes=hidden, solver="adam", batch_size=batch, max_iter=epochs,
                  learning_rate_init=lr, alpha=0.0001, tol=0, n_iter_no_change=epochs + 1,
                  random_state=0)
    rows = []
    # scale="none": nntrain's network gets these very arrays, as scikit-learn's does.
    for label, est in (("nntrain", nntrain.MLPClassifier(scale="none", **common)),
                       ("scikit-learn", SkMLP(**common))):
        t = time.perf_counter()
        est.fit(Xtr, ytr)
        secs = time.perf_counter() - t
        rows.append((label, secs, est.score(Xte, yte), est.n_iter_))
    print(f"{name}: {Xtr.shape[0]} x {Xtr.shape[1]}, hidden {hidden}, adam, batch {batch}, "
          f"{epochs} epochs, lr {lr}, the same inputs (nntrain scale=none)")
    for label, secs, acc, n in rows:
        print(f"  {label:13s} fit {secs:8.2f} s   test accuracy {100 * acc:6.2f}%   epochs {n}")
    print(f"  speed-up {rows[1][1] / rows[0][1]:.1f}x, accuracy difference "
          f"{100 * (rows[0][2] - rows[1][2]):+.2f} points")


def main():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    sc = StandardScaler().fit(Xtr)
    compare("digits", sc.transform(Xtr), ytr, sc.transform(Xte), yte, (100,), 32,
            int(os.environ.get("DIGITS_EPOCHS", 50)), 0.001)

    data = os.path.join(os.environ.get("NNTRAIN_DATA", "data"), "mnist")
    if not os.path.exists(os.path.join(data, "train-images-idx3-ubyte.gz")):
        print("MNIST: not in", data, "(./setup.sh); skipped")
        return
    Xtr = idx(os.path.join(data, "train-images-idx3-ubyte.gz")).reshape(60000, -1) / 255.0
    ytr = idx(os.path.join(data, "train-labels-idx1-ubyte.gz"))
    Xte = idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")).reshape(10000, -1) / 255.0
    yte = idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz"))
    compare("MNIST", Xtr.astype(np.float32), ytr, Xte.astype(np.float32), yte, (100,), 128,
            int(os.environ.get("MNIST_EPOCHS", 5)), 0.001)

    # The library against the command: one config, the same job.
    nntrain_bin = os.environ.get("NNTRAIN", "./nntrain")
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "c.yaml")
        with open(cfg, "w") as f:
            f.write(f"data: {{dir: {os.path.abspath(data)}}}\n"
                    "network: {sizes: [784, 100, 10], activation: relu, output: softmax, "
                    "cost: cross_entropy, init: he}\n"
                    "train: {epochs: 3, batch_size: 128, learning_rate: 0.001, optimizer: adam,"
                    " seed: 1}\n"
                    f"output: {{model: {d}/m.model}}\n")
        t = time.perf_counter()
        subprocess.run([nntrain_bin, "-q", "-c", cfg], check=True, stdout=subprocess.DEVNULL)
        cmd = time.perf_counter() - t
        a = open(f"{d}/m.model", "rb").read()
        t = time.perf_counter()
        nntrain.train(cfg)
        lib = time.perf_counter() - t
        b = open(f"{d}/m.model", "rb").read()
        print(f"MNIST config, 3 epochs: command {cmd:.2f} s, library (nntrain.train) {lib:.2f} s "
              f"({100 * (lib / cmd - 1):+.1f}%), same model bytes: {a == b}")


if __name__ == "__main__":
    sys.exit(main())
