#!/usr/bin/python3
"""nntrain against scikit-learn's MLPClassifier/MLPRegressor on tables: the
Python side of bench/tabular_sklearn.sh (which writes the files and says how
to run it). Standard library, numpy, pandas and scikit-learn (Debian's).

    tabular_sklearn.py split SRC.csv OUT_DIR NAME SEED
        NAME-train.csv and NAME-test.csv: 20% of SRC's rows (a seeded
        permutation) are the test set; each line is copied byte for byte,
        so both contenders read the very same text.
    tabular_sklearn.py sklearn --train F --test F --label COL --task T
                               --hidden 64,32 --lr X --batch N --epochs N --seed N
        One scikit-learn run (wall seconds, and cpu_s: the process's CPU
        seconds over all its threads for the same span, a figure that a
        shared machine disturbs less): pandas.read_csv of both files (timed: the
        training file's read counts in the fit time), then a Pipeline of
        StandardScaler and MLPClassifier (or, for regression,
        TransformedTargetRegressor(StandardScaler) around the Pipeline with
        MLPRegressor, so the target is standardised as nntrain does) on
        float32 arrays, solver adam, relu, alpha 0 (nntrain's weight decay
        is 0), tol 0, n_iter_no_change = max_iter = epochs,
        early_stopping False: every epoch runs. Prints one line
        `sklearn read_s R fit_s F metric M n_iter K convergence_warning W
        blas ...`.
    tabular_sklearn.py params CONFIG.yaml
        label task hidden lr batch epochs of a configs/tabular file.
    tabular_sklearn.py summary RESULTS [OUT.md]
        The Markdown table of the runs' medians.
    tabular_sklearn.py nntrain NNTRAIN CONFIG_ARGS...
        One nntrain run, timed from outside the process (start, reading,
        training, test evaluation, saving the model). Prints `nntrain wall_s
        W cpu_s C metric M` (cpu_s: user + system seconds of the process,
        all threads; classification: its "test accuracy"; regression: R2 of
        `nntrain predict --all-digits` on the test file against its labels;
        the prediction run is not timed).
"""

import argparse
import os
import re
import subprocess
import sys
import time
import warnings


def split(src, out_dir, name, seed):
    import numpy as np
    with open(src, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    perm = np.random.RandomState(seed).permutation(len(rows))
    n_test = int(round(0.2 * len(rows)))
    test_idx = sorted(perm[:n_test])
    train_idx = sorted(perm[n_test:])
    for part, idx in (("train", train_idx), ("test", test_idx)):
        with open(os.path.join(out_dir, f"{name}-{part}.csv"), "wb") as f:
            f.write(header)
            for i in idx:
                f.write(rows[i])
    print(f"{name}: {len(train_idx)} training rows, {len(test_idx)} test rows")


def blas_info():
    try:
        import threadpoolctl
        infos = threadpoolctl.threadpool_info()
    except Exception as e:  # not installed, or cannot read this process
        return f"threadpoolctl=unavailable:{type(e).__name__}"
    return "threadpoolctl=" + ",".join(
        f"{i.get('internal_api')}:{i.get('version')}:{i.get('architecture', '-')}:"
        f"{i.get('num_threads')}threads" for i in infos)


def r2(y, p):
    import numpy as np
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    return 1.0 - float(((y - p) ** 2).sum()) / float(((y - y.mean()) ** 2).sum())


def run_sklearn(a):
    import numpy as np
    t0 = time.perf_counter()
    import pandas as pd
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    t_import = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    train = pd.read_csv(a.train, engine="c")
    read_s = time.perf_counter() - t0
    read_cpu = time.process_time() - c0
    test = pd.read_csv(a.test, engine="c")
    label = a.label
    x_train = train.drop(columns=[label]).to_numpy(dtype=np.float32)
    x_test = test.drop(columns=[label]).to_numpy(dtype=np.float32)
    if a.task == "classification":
        y_train = train[label].to_numpy()
        y_test = test[label].to_numpy()
    else:
        y_train = train[label].to_numpy(dtype=np.float32)
        y_test = test[label].to_numpy(dtype=np.float64)

    hidden = tuple(int(h) for h in a.hidden.split(","))
    common = dict(hidden_layer_sizes=hidden, activation="relu", solver="adam",
                  alpha=0.0, batch_size=a.batch, learning_rate_init=a.lr,
                  max_iter=a.epochs, tol=0.0, n_iter_no_change=a.epochs,
                  early_stopping=False, shuffle=True, random_state=a.seed)
    if a.task == "classification":
        model = make_pipeline(StandardScaler(), MLPClassifier(**common))
    else:
        model = TransformedTargetRegressor(
            regressor=make_pipeline(StandardScaler(), MLPRegressor(**common)),
            transformer=StandardScaler())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(x_train, y_train)
        fit_s = time.perf_counter() - t0
        fit_cpu = time.process_time() - c0
    conv = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    pred = model.predict(x_test)
    if a.task == "classification":
        metric = 100.0 * float((pred == y_test).mean())
        mlp = model[-1]
    else:
        metric = r2(y_test, pred)
        mlp = model.regressor_[-1]
    print(f"sklearn read_s {read_s:.4f} fit_s {fit_s:.4f} cpu_s {read_cpu + fit_cpu:.4f} metric {metric:.4f} "
          f"n_iter {mlp.n_iter_} convergence_warning {'yes' if conv else 'no'} "
          f"import_s {t_import:.3f} dtype {x_train.dtype} blas {blas_info()}", flush=True)


def run_nntrain(a):
    import numpy as np
    args = [a.nntrain] + a.args
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if p.returncode != 0:
        sys.stderr.write(p.stdout)
        sys.exit(f"tabular_sklearn: nntrain exited {p.returncode}: {' '.join(args)}")
    kernels = re.search(r"kernels (\w+)", p.stdout)
    threads = re.search(r"threads (\d+)", p.stdout)
    if a.task == "classification":
        m = re.search(r"test accuracy: ([0-9.]+)%", p.stdout)
        if not m:
            sys.stderr.write(p.stdout)
            sys.exit("tabular_sklearn: no 'test accuracy' in nntrain's output")
        metric = float(m.group(1))
    else:
        q = subprocess.run([a.nntrain, "predict", "-m", a.model, "--all-digits", a.test],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if q.returncode != 0:
            sys.stderr.write(q.stderr)
            sys.exit(f"tabular_sklearn: nntrain predict exited {q.returncode}")
        pred = [float(line.split()[-1]) for line in q.stdout.splitlines() if line.strip()]
        import pandas as pd
        y = pd.read_csv(a.test, engine="c")[a.label].to_numpy(dtype=np.float64)
        if len(pred) != len(y):
            sys.exit(f"tabular_sklearn: nntrain predict printed {len(pred)} values for {len(y)} rows")
        metric = r2(y, pred)
    print(f"nntrain wall_s {wall:.4f} cpu_s {cpu:.4f} metric {metric:.4f} "
          f"kernels {kernels.group(1) if kernels else '?'} threads {threads.group(1) if threads else '?'}",
          flush=True)


def params(config):
    """label task hidden lr batch epochs of a configs/tabular YAML file."""
    import yaml
    with open(config) as f:
        c = yaml.safe_load(f)
    d, n, t = c.get("data", {}), c.get("network", {}), c.get("train", {})
    hidden = ",".join(str(h) for h in n["hidden"])
    print(d["label"], d.get("task", "classification"), hidden, t["learning_rate"],
          t["batch_size"], t["epochs"])


def median(v):
    v = sorted(v)
    n = len(v)
    return float("nan") if n == 0 else (v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2)


def summary(path, out_md):
    """The table: per data set and contender, medians over the runs."""
    rows = {}
    order = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 3:
                continue
            name, who, seed = w[0], w[1], w[2]
            kv = dict(zip(w[3::2], w[4::2]))
            if name not in rows:
                rows[name] = {}
                order.append(name)
            rows[name].setdefault(who, []).append(kv)
    out = ["| data set | metric | contender | metric (median) | metric min..max | seconds (median) | "
           "sklearn seconds / these | CPU seconds (median) | sklearn CPU s / these | load (median) | runs |",
           "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for name in order:
        r = rows[name]
        reg = name.startswith("diabetes")
        fmt = (lambda x: f"{x:.3f}") if reg else (lambda x: f"{x:.2f}%")
        sk = median([float(kv["read_s"]) + float(kv["fit_s"]) for kv in r.get("sklearn", [])])
        skc = median([float(kv["cpu_s"]) for kv in r.get("sklearn", []) if "cpu_s" in kv])
        for who in sorted(r, key=lambda w: (w == "sklearn", w)):
            kvs = r[who]
            ms = [float(kv["metric"]) for kv in kvs]
            if who == "sklearn":
                secs = median([float(kv["read_s"]) + float(kv["fit_s"]) for kv in kvs])
                warn = "/".join(sorted({kv.get("convergence_warning", "?") for kv in kvs}))
                label = (f"scikit-learn (read {median([float(kv['read_s']) for kv in kvs]):.2f} s + fit; "
                         f"ConvergenceWarning: {warn})")
            else:
                secs = median([float(kv["wall_s"]) for kv in kvs])
                label = who
            load = median([float(kv["load"]) for kv in kvs if "load" in kv])
            cpu = median([float(kv["cpu_s"]) for kv in kvs if "cpu_s" in kv])
            out.append(f"| {name} | {'R2' if reg else 'test accuracy'} | {label} | {fmt(median(ms))} | "
                       f"{fmt(min(ms))}..{fmt(max(ms))} | {secs:.2f} | {sk / secs:.1f}x | {cpu:.2f} | {skc / cpu:.1f}x | "
                       f"{load:.1f} | {len(kvs)} |")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if out_md:
        with open(out_md, "w") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("params")
    pp.add_argument("config")
    sm = sub.add_parser("summary")
    sm.add_argument("results")
    sm.add_argument("out_md", nargs="?")
    s = sub.add_parser("split")
    s.add_argument("src")
    s.add_argument("out_dir")
    s.add_argument("name")
    s.add_argument("seed", type=int)
    k = sub.add_parser("sklearn")
    for opt in ("--train", "--test", "--label", "--hidden"):
        k.add_argument(opt, required=True)
    k.add_argument("--task", choices=["classification", "regression"], required=True)
    k.add_argument("--lr", type=float, required=True)
    k.add_argument("--batch", type=int, required=True)
    k.add_argument("--epochs", type=int, required=True)
    k.add_argument("--seed", type=int, default=1)
    n = sub.add_parser("nntrain")
    n.add_argument("--task", choices=["classification", "regression"], required=True)
    n.add_argument("--model", help="regression: the model file the run writes")
    n.add_argument("--test", help="regression: the test CSV")
    n.add_argument("--label", help="regression: the target column")
    n.add_argument("nntrain")
    n.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.cmd == "params":
        params(a.config)
    elif a.cmd == "summary":
        summary(a.results, a.out_md)
    elif a.cmd == "split":
        split(a.src, a.out_dir, a.name, a.seed)
    elif a.cmd == "sklearn":
        run_sklearn(a)
    else:
        run_nntrain(a)


if __name__ == "__main__":
    main()
