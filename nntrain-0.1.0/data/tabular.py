#!/usr/bin/python3
"""Writes the small real tables that ship with scikit-learn (Debian's
python3-sklearn: iris, wine, breast cancer, digits, diabetes) as CSV files
with a header row, the label in the last column, for configs/tabular/.

    /usr/bin/python3 data/tabular.py [OUT_DIR]      (default: data/tabular)

Debian's interpreter is named on purpose: a python3 earlier on PATH may not
see Debian's packages. The files are data: never committed (.gitignore)."""
import csv
import os
import sys

from sklearn import datasets

SETS = {
    # name: (loader, label column name, label values as class names?)
    "iris": (datasets.load_iris, "species", True),
    "wine": (datasets.load_wine, "cultivar", True),
    "breast_cancer": (datasets.load_breast_cancer, "diagnosis", True),
    "digits": (datasets.load_digits, "digit", False),
    "diabetes": (datasets.load_diabetes, "progression", False),
}


def write(name, out_dir):
    loader, label, named = SETS[name]
    d = loader()
    features = [str(f).replace(" ", "_") for f in d.feature_names]
    path = os.path.join(out_dir, name + ".csv")
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(features + [label])
        for x, y in zip(d.data, d.target):
            value = d.target_names[y] if named else (int(y) if float(y).is_integer() else repr(float(y)))
            w.writerow([repr(float(v)) for v in x] + [value])
    os.replace(tmp, path)
    return path, len(d.data)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "tabular")
    os.makedirs(out_dir, exist_ok=True)
    for name in SETS:
        path, n = write(name, out_dir)
        print(f"{path}: {n} rows")


if __name__ == "__main__":
    main()
