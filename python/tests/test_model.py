"""nntrain.load / train / train_arrays / Model over libnntrain."""
import os
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest

import nntrain
from nntrain._lib import as_float32_matrix


def table(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randint(-64, 64, size=(n, 3)).astype(np.float32) / 16  # exact in float and CSV
    y = (X[:, 0] + X[:, 1] > X[:, 2]).astype(np.float32) * 2 + 3     # classes 3 and 5
    return X, y


CONFIG = {"data": {"test_fraction": 0.25},
          "network": {"hidden": [8], "activation": "tanh"},
          "train": {"learning_rate": 0.2, "batch_size": 8, "epochs": 15, "seed": 4,
                    "threads": 2}}


def write_csv(path, X, y):
    with open(path, "w") as f:
        f.write("x0,x1,x2,y\n")
        for row, label in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{float(label)!r}\n")


def test_train_arrays_predict_save_load(tmp_path):
    X, y = table()
    model, history = nntrain.train_arrays(X, y, CONFIG)
    assert [h["epoch"] for h in history] == list(range(1, 16))
    assert all(np.isfinite(h["train_loss"]) for h in history)
    assert model.task == "classification" and model.is_table
    assert model.n_features == 3 and model.n_outputs == 2
    assert model.classes == ["3", "5"]
    assert model.feature_names == ["x0", "x1", "x2"] and model.targets == ["y"]
    P = model.predict(X)
    assert P.shape == (120, 2) and P.dtype == np.float32
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)
    accuracy = np.mean(np.array([3, 5])[P.argmax(axis=1)] == y)
    assert accuracy > 0.85
    path = tmp_path / "m.model"
    model.save(path)
    again = nntrain.load(str(path))
    assert np.array_equal(again.predict(X), P)
    assert np.array_equal(pickle.loads(pickle.dumps(model)).predict(X), P)
    assert "classification" in repr(model)


def test_same_bits_as_command(tmp_path, nntrain_bin):
    """A config file through the command, through nntrain.train (path and
    dict) and the same values as arrays: the same model bytes."""
    X, y = table()
    csv = tmp_path / "t.csv"
    write_csv(csv, X, y)
    cfg = {**CONFIG, "data": {**CONFIG["data"], "train": str(csv)}}
    files = {}
    for how in ("command", "path", "dict"):
        c = {**cfg, "output": {"model": str(tmp_path / f"{how}.model")}}
        if how == "dict":
            nntrain.train(c)
        else:
            p = tmp_path / f"{how}.yaml"
            p.write_text(__import__("json").dumps(c))
            if how == "command":
                subprocess.run([nntrain_bin, "-q", "-c", str(p)], check=True,
                               stdout=subprocess.DEVNULL)
            else:
                model, history = nntrain.train(str(p))
                assert len(history) == 15
        files[how] = (tmp_path / f"{how}.model").read_bytes()
    model, _ = nntrain.train_arrays(X, y, CONFIG)
    model.save(tmp_path / "arrays.model")
    files["arrays"] = (tmp_path / "arrays.model").read_bytes()
    assert files["command"] == files["path"] == files["dict"] == files["arrays"]


def test_regression_missing_and_targets():
    rng = np.random.RandomState(1)
    X = rng.uniform(-1, 1, size=(300, 2)).astype(np.float32)
    Y = np.stack([3 * X[:, 0] - X[:, 1] + 10, X[:, 0] * 2], axis=1)
    X[5, 1] = np.nan  # a missing cell, filled with the median
    cfg = {"data": {"task": "regression", "missing": "median", "test_fraction": 0},
           "network": {"hidden": [32], "activation": "tanh"},
           "train": {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 16,
                     "epochs": 100, "seed": 2, "threads": 1}}
    model, _ = nntrain.train_arrays(X, Y, cfg)
    assert model.task == "regression" and model.classes is None
    assert model.targets == ["y0", "y1"]
    out = model.predict(np.array([[0.5, 0.5], [np.nan, 0.0]], dtype=np.float32))
    assert abs(out[0, 0] - 11.0) < 0.3 and abs(out[0, 1] - 1.0) < 0.2
    assert np.isfinite(out[1]).all()


def test_regression_history_has_the_metrics_csv_figures(tmp_path, nntrain_bin):
    """A regression's history carries eval_rmse, eval_mae and eval_r2, the
    figures of the command's metrics CSV (in the targets' units: the means
    over two targets); a classification's are None."""
    rng = np.random.RandomState(3)
    X = rng.randint(-64, 64, size=(160, 2)).astype(np.float32) / 16
    csv = tmp_path / "r.csv"
    with open(csv, "w") as f:
        f.write("a,b,t0,t1\n")
        for a, b in X:
            f.write(f"{a!r},{b!r},{300 * a - 100 * b + 1000!r},{50 * a!r}\n")
    cfg = {"data": {"train": str(csv), "task": "regression", "label": ["t0", "t1"],
                    "test_fraction": 0.25},
           "network": {"hidden": [8], "activation": "tanh"},
           "train": {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 16,
                     "epochs": 6, "seed": 3, "threads": 1}}
    metrics = tmp_path / "metrics.csv"
    p = tmp_path / "r.yaml"
    p.write_text(__import__("json").dumps({**cfg, "output": {"metrics": str(metrics)}}))
    subprocess.run([nntrain_bin, "-q", "-c", str(p)], check=True, stdout=subprocess.DEVNULL)
    lines = metrics.read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]

    _, history = nntrain.train(cfg)
    assert len(history) == len(rows) == 6
    for h, row in zip(history, rows):
        # The CSV's %.6g (RMSE, MAE) and %.6f (R²) of the same doubles.
        assert h["eval_rmse"] == pytest.approx(float(row["eval_rmse"]), rel=1e-5)
        assert h["eval_mae"] == pytest.approx(float(row["eval_mae"]), rel=1e-5)
        assert h["eval_r2"] == pytest.approx(float(row["eval_r2"]), abs=1e-6)
        assert h["eval_accuracy"] == h["eval_r2"]
        assert h["eval_rmse"] > 1  # the targets' units, not the standardised ones
    assert history[-1]["eval_rmse"] < history[0]["eval_rmse"]

    X, y = table()
    _, history = nntrain.train_arrays(X, y, CONFIG)
    assert all(h["eval_rmse"] is None and h["eval_mae"] is None and h["eval_r2"] is None
               for h in history)
    assert history[-1]["eval_accuracy"] > 0.5


def test_epoch_callback_stops_and_aborts():
    X, y = table()
    model, history = nntrain.train_arrays(X, y, CONFIG, on_epoch=lambda r: r["epoch"] == 4)
    assert len(history) == 4 and model.n_outputs == 2

    def boom(rec):
        raise KeyError("from the callback")
    with pytest.raises(KeyError):
        nntrain.train_arrays(X, y, CONFIG, on_epoch=boom)


def test_arrays_zero_copy_or_converted():
    X = np.zeros((4, 3), dtype=np.float32)
    assert as_float32_matrix(X) is X  # C-contiguous float32: passed as it is
    F = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(4, 3))
    C = as_float32_matrix(F)
    assert C.flags.c_contiguous and C.dtype == np.float32 and np.array_equal(C, F)
    S = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2]  # strided view
    assert np.array_equal(as_float32_matrix(S), S)
    X, y = table()
    model, _ = nntrain.train_arrays(X, y, CONFIG)
    np.testing.assert_array_equal(model.predict(np.asfortranarray(X.astype(np.float64))),
                                  model.predict(X))
    np.testing.assert_array_equal(model.predict(X.tolist()), model.predict(X))


def test_bad_input():
    X, y = table()
    model, _ = nntrain.train_arrays(X, y, CONFIG)
    with pytest.raises(TypeError):
        model.predict(np.array([["a", "b", "c"]]))
    with pytest.raises(TypeError):
        model.predict(np.array([[1, 2, 3]], dtype=object))
    with pytest.raises(ValueError):
        model.predict(np.zeros(3))            # 1-D
    with pytest.raises(ValueError):
        model.predict(np.zeros((2, 4)))       # wrong width
    with pytest.raises(ValueError, match="NaN"):
        model.predict(np.full((1, 3), np.nan))  # no fill value in this model
    with pytest.raises(ValueError, match="infinite"):
        model.predict(np.array([[np.inf, 0, 0]]))
    with pytest.raises(ValueError, match="infinite"):
        nntrain.train_arrays(np.where(X == X[0, 0], np.inf, X), y, CONFIG)
    with pytest.raises(TypeError):
        nntrain.train_arrays(X, np.array(["a"] * len(X)), CONFIG)
    with pytest.raises(ValueError):
        nntrain.train_arrays(X, y[:-1], CONFIG)
    with pytest.raises(ValueError, match="train.epochs"):
        nntrain.train({"train": {"epochs": 0}})
    with pytest.raises(TypeError):
        nntrain.train(42)


def test_not_a_model(tmp_path):
    p = tmp_path / "x.model"
    p.write_bytes(b"NNTRMODL" + b"\0" * 40)
    with pytest.raises(OSError):
        nntrain.load(str(p))
    with pytest.raises(OSError):
        nntrain.load(str(tmp_path / "missing.model"))
    with pytest.raises(ValueError):
        nntrain.Model(0)


# ---- categorical features ----------------------------------------------------------

COLORS = ["red", "green", "blue"]
SIZES = [1, 2, 10]  # data.categorical: named "1" < "10" < "2" in the model


def categorical_csv(path, n=150):
    """x (multiples of 1/8), color (text), size (numbers trained as
    categories), y (yes / no)."""
    with open(path, "w") as f:
        f.write("x,color,size,y\n")
        for i in range(n):
            c, z = i % 3, (i // 3) % 3
            x = ((i * 7) % 16 - 8) / 8
            yes = (c == 0) != (x + (0.5 if z == 2 else 0) > 0.25)
            f.write(f"{x!r},{COLORS[c]},{SIZES[z]},{'yes' if yes else 'no'}\n")


def train_categorical(tmp_path, missing="mean"):
    csv = tmp_path / "cat.csv"
    categorical_csv(csv)
    path = tmp_path / f"cat-{missing}.model"
    cfg = {"data": {"train": str(csv), "test_fraction": 0, "categorical": ["size"],
                    "missing": missing},
           "network": {"hidden": [8], "activation": "tanh"},
           "train": {"learning_rate": 0.1, "batch_size": 8, "epochs": 8, "seed": 3,
                     "threads": 2},
           "output": {"model": str(path)}}
    nntrain.train(cfg)
    return nntrain.load(str(path)), path


# Raw rows: known, unseen (purple, size 3) and missing cells.
RAW = [[0.5, "red", 1], [-0.25, "green", 10], [0.0, "blue", 2], [0.125, "purple", 2],
       [None, "green", 1], [0.25, None, 10], [-0.5, "blue", None], [0.75, "red", 3],
       [1.0, None, None]]
# The same by index (nnt_predict's encoding): blue 0, green 1, red 2; "1" 0, "10" 1, "2" 2.
NAN = float("nan")
ENCODED = np.array([[0.5, 2, 0], [-0.25, 1, 1], [0, 0, 2], [0.125, -1, 2], [NAN, 1, 0],
                    [0.25, NAN, 1], [-0.5, 0, NAN], [0.75, 2, -1], [1, NAN, NAN]],
                   dtype=np.float32)


def command_predictions(nntrain_bin, model_path, rows, tmp_path):
    """`nntrain predict --all-digits` on rows written as a CSV: (n, classes)."""
    csv = tmp_path / "rows.csv"
    with open(csv, "w") as f:
        f.write("x,color,size\n")
        for row in rows:
            f.write(",".join("" if v is None else str(v) for v in row) + "\n")
    out = subprocess.run([nntrain_bin, "predict", "-m", str(model_path), "--all-digits",
                          str(csv)], check=True, capture_output=True, text=True).stdout
    P = []
    for line in out.splitlines():
        cells = dict(tok.split("=") for tok in line.split() if "=" in tok)
        P.append([np.float32(cells["no"]), np.float32(cells["yes"])])
    return np.array(P, dtype=np.float32)


def test_categorical_names_and_indices(tmp_path, nntrain_bin):
    model, path = train_categorical(tmp_path)
    assert model.feature_names == ["x", "color", "size"]
    assert model.categories == [None, ["blue", "green", "red"], ["1", "10", "2"]]
    assert model.classes == ["no", "yes"]
    np.testing.assert_array_equal(model.encode(np.array(RAW, dtype=object)), ENCODED)
    P = model.predict(ENCODED)  # indices: the C API's encoding, as before
    # The same rows as CSV text through the command: the same floats.
    np.testing.assert_array_equal(command_predictions(nntrain_bin, path, RAW, tmp_path), P)
    # Raw cells in every form give the same answer.
    np.testing.assert_array_equal(model.predict(np.array(RAW, dtype=object)), P)
    np.testing.assert_array_equal(model.predict(RAW), P)  # a list of lists
    text = np.array([["" if v is None else str(v) for v in row] for row in RAW])
    assert text.dtype.kind == "U"  # sizes as "10", x as "0.5", missing as ""
    np.testing.assert_array_equal(model.predict(text), P)
    # Unseen categories: all-zero inputs, as -1 (NNT_CATEGORY_UNSEEN) gives.
    assert np.array_equal(model.predict([[0.125, "mauve", 2]]), P[3:4])
    assert np.array_equal(model.predict([[0.75, "red", 3.0]]), P[7:8])


def test_categorical_dataframe(tmp_path):
    pd = pytest.importorskip("pandas")
    model, _ = train_categorical(tmp_path)
    P = model.predict(ENCODED)
    df = pd.DataFrame(RAW, columns=["x", "color", "size"])
    assert df["size"].dtype.kind == "f"  # numbers with NaN: float64 categories by value
    np.testing.assert_array_equal(model.predict(df), P)
    # Columns by name, in any order, other columns ignored (as the command reads a CSV).
    shuffled = df[["size", "color", "x"]].assign(y="yes")
    np.testing.assert_array_equal(model.predict(shuffled), P)
    # pandas' own types: categorical dtype, nullable integers, strings.
    typed = df.astype({"color": "category", "size": "Int64"})
    np.testing.assert_array_equal(model.predict(typed), P)
    typed = df.astype({"color": "string"})
    np.testing.assert_array_equal(model.predict(typed), P)
    # By position only when the columns are not named by strings; other
    # names are an error (as scikit-learn refuses names unseen in fit).
    np.testing.assert_array_equal(model.predict(pd.DataFrame(RAW)), P)
    with pytest.raises(ValueError, match="no column 'x', 'color', 'size'"):
        model.predict(df.set_axis(["a", "b", "c"], axis=1))
    with pytest.raises(ValueError, match="no column"):
        model.predict(df[["x", "color"]])
    with pytest.raises(ValueError, match="appears 2 times"):
        model.predict(pd.concat([df, df[["x"]]], axis=1))


def test_categorical_bad_cells(tmp_path):
    model, _ = train_categorical(tmp_path, missing="error")
    good = np.array([[0.5, 2, 0]], dtype=np.float32)
    model.predict(good)
    for bad in (1.5, 3, -2, np.inf):
        X = good.copy()
        X[0, 1] = bad
        with pytest.raises(ValueError, match=r"X\[0\]\[1\] \(categorical feature 'color'\)"):
            model.predict(X)
    with pytest.raises(ValueError, match="0..2 expected"):
        model.predict(np.array([[0.5, 1.5, 0]]))
    # Missing cells without a fill in the model: the library's NaN error.
    with pytest.raises(ValueError, match="NaN"):
        model.predict([[0.5, None, 1]])
    with pytest.raises(ValueError, match="NaN"):
        model.predict([[None, "red", 1]])
    with pytest.raises(ValueError, match=r"X\[0\]\[0\] \(feature 'x'\): 'abc' is not a number"):
        model.predict([["abc", "red", 1]])
    with pytest.raises(TypeError, match="category name"):
        model.predict(np.array([[0.5, object(), 1]], dtype=object))
    with pytest.raises(ValueError, match="model takes 3"):
        model.predict(np.array([[0.5, "red"]], dtype=object))
    with pytest.raises(ValueError, match="2-D"):
        model.predict(np.array(["0.5", "red", "1"]))
    with pytest.raises(TypeError):
        model.predict(np.array([[1 + 2j, 0, 0]]))


def test_dataframe_numeric_model():
    pd = pytest.importorskip("pandas")
    X, y = table()
    model, _ = nntrain.train_arrays(X, y, CONFIG)
    P = model.predict(X)
    df = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    np.testing.assert_array_equal(model.predict(df), P)
    np.testing.assert_array_equal(model.predict(df[["x2", "x0", "x1"]].assign(y=y)), P)
    np.testing.assert_array_equal(model.predict(pd.DataFrame(X)), P)  # by position
    # named columns that miss a feature: an error, not a fall back to position
    with pytest.raises(ValueError, match="no column 'x1'"):
        model.predict(df.rename(columns={"x1": "x1_typo"}))
    with pytest.raises(TypeError):
        model.predict(df.assign(x1="a"))


# Run in a process of its own (setlocale is the whole process's): trains
# in the "C" locale, then in de_DE (a decimal comma), and checks the same
# model bytes, the process's locale kept, and the callback run in it.
LOCALE_SCRIPT = r"""
import locale, os, sys
import numpy as np
import nntrain

d = sys.argv[1]
rng = np.random.RandomState(1)
X = rng.randint(-64, 64, size=(80, 3)).astype(np.float32) / 16
y = (X[:, 0] > X[:, 1]).astype(np.float32)
csv = os.path.join(d, "t.csv")
with open(csv, "w") as f:
    f.write("x0,x1,x2,y\n")
    for row, label in zip(X, y):
        f.write(",".join(repr(float(v)) for v in row) + f",{float(label)!r}\n")
cfg = {"data": {"test_fraction": 0.25}, "network": {"hidden": [4]},
       "train": {"learning_rate": 0.3, "batch_size": 8, "epochs": 3, "seed": 2}}


def models():
    points = []
    on_epoch = lambda rec: points.append(locale.localeconv()["decimal_point"])
    a, _ = nntrain.train_arrays(X, y, cfg, on_epoch=on_epoch)
    t, _ = nntrain.train(dict(cfg, data={"train": csv, "test_fraction": 0.25}), on_epoch=on_epoch)
    p = os.path.join(d, "f.yaml")
    with open(p, "w") as f:
        f.write("data:\n  train: %s\n  test_fraction: 0.25\nnetwork:\n  hidden: [4]\n"
                "train:\n  learning_rate: 0.3\n  batch_size: 8\n  epochs: 3\n  seed: 2\n" % csv)
    f, _ = nntrain.train(p, on_epoch=on_epoch)
    return [m.to_bytes() for m in (a, t, f)], a.predict(X), points


c_models, c_pred, c_points = models()
assert set(c_points) == {"."}, c_points
locale.setlocale(locale.LC_ALL, "de_DE.UTF-8")
assert locale.localeconv()["decimal_point"] == ","
de_models, de_pred, de_points = models()
assert locale.localeconv()["decimal_point"] == ",", "the library changed the caller's locale"
assert set(de_points) == {","}, de_points
assert de_models[0] == de_models[1] == de_models[2], "arrays, dict and file differ"
for what, a, b in zip(("arrays", "dict", "file"), c_models, de_models):
    assert a == b, what + ": a decimal comma gives another model"
assert np.array_equal(c_pred, de_pred)
print("ok")
"""


def test_caller_locale_decimal_comma(tmp_path):
    """A process whose locale has a decimal comma gets the models the "C"
    locale gives, byte for byte: the library reads and writes numbers in
    "C" whatever the caller's locale."""
    localedef = shutil.which("localedef")
    if not localedef:
        pytest.skip("no localedef (Debian's 'locales' package)")
    r = subprocess.run([localedef, "-i", "de_DE", "-f", "UTF-8", str(tmp_path / "de_DE.UTF-8")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        pytest.skip("localedef -i de_DE -f UTF-8 failed (Debian's 'locales' package has the "
                    "de_DE source)")
    env = dict(os.environ, LOCPATH=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", LOCALE_SCRIPT, str(tmp_path)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]


def test_number_names_match_the_library():
    """A numeric category is named from its float32 value, as the library
    (prep.c) names it: 3.14159265 and 0.1 as a double are the categories
    "3.1415927" and "0.1" that a CSV holding those numbers gives (the
    expected names are what prep.c's loop prints for these values)."""
    from nntrain._lib import _number_name
    assert _number_name(3.14159265) == "3.1415927"
    assert _number_name(0.1) == "0.1"
    assert _number_name(10.0) == "10"
    assert _number_name(1234567) == "1234567"
    assert _number_name(16777217) == "16777216"  # float32's nearest
    assert _number_name(np.float32(1) / 3) == "0.33333334"
    assert _number_name(1 / 3) == "0.33333334"
    assert _number_name(1.0000001) == "1.0000001"
