#!/usr/bin/python3
"""A table regression with PyTorch: the reference side of bench/tabular_torch.sh.

    tabular_torch.py gen ROWS COLS DIR
        DIR/reg-train.npz (ROWS x COLS) and DIR/reg-test.npz (10,000 rows):
        arrays X (float32, standard normal) and y (float32, one target),
        y = tanh(X A) b + 0.1 noise, standardised (seed 1). Uncompressed
        .npz, read by nntrain (data.train/data.test) and by this script.
    tabular_torch.py train --data DIR/reg-train.npz [--test ...] --threads 2
                           --epochs 3 --batch 256 --lr 0.001 --hidden 256,256
        A plain PyTorch loop: nn.Sequential(Linear, ReLU, ..., Linear),
        torch.optim.Adam, MSELoss, a torch.randperm shuffle per epoch,
        mini-batches indexed out of the whole set preloaded as one float32
        tensor, torch.set_num_threads(T). Only each epoch's loop is timed.
        Prints `epoch E examples_per_s R seconds S loss L cpu_per_wall C`
        per epoch, then the `blas ...` line (torch_peer.py) and `test_r2 R`.
"""

import argparse
import os
import sys

import numpy as np


def gen(rows, cols, out_dir):
    rng = np.random.RandomState(1)
    a = rng.standard_normal((cols, 32)).astype(np.float32) / np.sqrt(cols)
    b = rng.standard_normal(32).astype(np.float32)
    os.makedirs(out_dir, exist_ok=True)
    stats = None
    for name, n in (("reg-train", rows), ("reg-test", 10000)):
        x = rng.standard_normal((n, cols)).astype(np.float32)
        y = np.tanh(x @ a) @ b + 0.1 * rng.standard_normal(n).astype(np.float32)
        if stats is None:
            stats = (float(y.mean()), float(y.std()))
        y = ((y - stats[0]) / stats[1]).astype(np.float32)
        np.savez(os.path.join(out_dir, name + ".npz"), X=x, y=y)
        print(f"{os.path.join(out_dir, name + '.npz')}: X {x.shape} float32, y {y.shape} float32")


def train(a):
    import torch
    import torch.nn as nn
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_peer import blas_report, timed_epochs

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = np.load(a.data)
    x = torch.from_numpy(np.ascontiguousarray(d["X"], dtype=np.float32))
    y = torch.from_numpy(np.ascontiguousarray(d["y"], dtype=np.float32)).reshape(len(x), -1)
    if a.limit > 0:
        x, y = x[:a.limit], y[:a.limit]
    n, cols = x.shape
    sizes = [cols] + [int(h) for h in a.hidden.split(",")] + [y.shape[1]]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.MSELoss()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"torch_version {torch.__version__} threads {torch.get_num_threads()} "
          f"params {n_params} train_examples {n} sizes {','.join(map(str, sizes))}", flush=True)
    timed_epochs(model, opt, loss_fn, x, y, a.epochs, a.batch)
    print(blas_report(), flush=True)
    if a.test:
        t = np.load(a.test)
        model.eval()
        with torch.no_grad():
            p = model(torch.from_numpy(t["X"])).numpy().reshape(-1)
        yt = t["y"].astype(np.float64).reshape(-1)
        r2 = 1.0 - ((yt - p) ** 2).sum() / ((yt - yt.mean()) ** 2).sum()
        print(f"test_r2 {r2:.4f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("rows", type=int)
    g.add_argument("cols", type=int)
    g.add_argument("dir")
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--test")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--batch", type=int, default=256)
    t.add_argument("--lr", type=float, default=0.001)
    t.add_argument("--hidden", default="256,256")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--limit", type=int, default=0,
                   help="train on the first N rows only (0 = all)")
    a = ap.parse_args()
    if a.cmd == "gen":
        gen(a.rows, a.cols, a.dir)
    else:
        train(a)


if __name__ == "__main__":
    main()
