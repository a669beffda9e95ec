"""ctypes bindings of libnntrain (include/nntrain.h), and the Model class."""
import ctypes
import ctypes.util
import json
import math
import os
import tempfile

import numpy as np

__all__ = ["Model", "NntrainError", "load", "train", "library_path"]

NNT_OK, NNT_EINVAL, NNT_EIO, NNT_ENOMEM, NNT_ESTOPPED, NNT_ERUNTIME = range(6)


class NntrainError(RuntimeError):
    """A failed library call: .status is the nnt_status, the message nntrain's."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class _EpochInfo(ctypes.Structure):
    _fields_ = [("epoch", ctypes.c_int), ("epochs", ctypes.c_int),
                ("train_loss", ctypes.c_double), ("eval_loss", ctypes.c_double),
                ("eval_accuracy", ctypes.c_double), ("learning_rate", ctypes.c_double),
                ("seconds", ctypes.c_double),
                # NNT_API_VERSION 2: a regression's figures (-1, -1, NaN: none)
                ("eval_rmse", ctypes.c_double), ("eval_mae", ctypes.c_double),
                ("eval_r2", ctypes.c_double)]


_EPOCH_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_EpochInfo))
_FLOATP = ctypes.POINTER(ctypes.c_float)


def _candidates():
    env = os.environ.get("NNTRAIN_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # The build tree: python/nntrain/ -> the top build directory's .libs/.
    yield os.path.join(here, "..", "..", ".libs", "libnntrain.so")
    try:  # written by `make install-python`: the configured libdir
        from ._paths import LIBDIR
        yield os.path.join(LIBDIR, "libnntrain.so.0")
    except ImportError:
        pass
    found = ctypes.util.find_library("nntrain")
    if found:
        yield found
    for d in ("/usr/local/lib", "/usr/lib"):
        yield os.path.join(d, "libnntrain.so.0")
    yield "libnntrain.so.0"


def _open():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise ImportError("nntrain: cannot load libnntrain (set NNTRAIN_LIB to its path, or "
                      "`make install` nntrain): " + "; ".join(errors))


_lib, library_path = _open()


def _sig(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = argtypes
    return f


_c = ctypes
_last_error = _sig("nnt_last_error", _c.c_char_p)
_version = _sig("nnt_version", _c.c_char_p)
_load = _sig("nnt_model_load", _c.c_int, _c.c_char_p, _c.POINTER(_c.c_void_p))
_save = _sig("nnt_model_save", _c.c_int, _c.c_void_p, _c.c_char_p)
_free = _sig("nnt_model_free", None, _c.c_void_p)
_n_features = _sig("nnt_model_n_features", _c.c_size_t, _c.c_void_p)
_n_outputs = _sig("nnt_model_n_outputs", _c.c_size_t, _c.c_void_p)
_task = _sig("nnt_model_task", _c.c_int, _c.c_void_p)
_is_table = _sig("nnt_model_is_table", _c.c_int, _c.c_void_p)
_feature_name = _sig("nnt_model_feature_name", _c.c_char_p, _c.c_void_p, _c.c_size_t)
_n_categories = _sig("nnt_model_n_categories", _c.c_size_t, _c.c_void_p, _c.c_size_t)
_category_name = _sig("nnt_model_category_name", _c.c_char_p, _c.c_void_p, _c.c_size_t,
                      _c.c_size_t)
_n_classes = _sig("nnt_model_n_classes", _c.c_size_t, _c.c_void_p)
_class_name = _sig("nnt_model_class_name", _c.c_char_p, _c.c_void_p, _c.c_size_t)
_target_name = _sig("nnt_model_target_name", _c.c_char_p, _c.c_void_p, _c.c_size_t)
_predict = _sig("nnt_predict", _c.c_int, _c.c_void_p, _FLOATP, _c.c_size_t, _c.c_size_t,
                _FLOATP)
_train_file = _sig("nnt_train_file", _c.c_int, _c.c_char_p, _EPOCH_FN, _c.c_void_p,
                   _c.POINTER(_c.c_void_p))
_train_yaml = _sig("nnt_train_yaml", _c.c_int, _c.c_char_p, _EPOCH_FN, _c.c_void_p,
                   _c.POINTER(_c.c_void_p))
_train_arrays = _sig("nnt_train_arrays", _c.c_int, _c.c_char_p, _FLOATP, _c.c_size_t,
                     _c.c_size_t, _FLOATP, _c.c_size_t, _EPOCH_FN, _c.c_void_p,
                     _c.POINTER(_c.c_void_p))

__version__ = _version().decode()


def _check(status):
    if status != NNT_OK:
        msg = _last_error().decode("utf-8", "replace")
        if status == NNT_ENOMEM:
            raise MemoryError(msg)
        if status == NNT_EINVAL:
            raise ValueError(msg)
        if status == NNT_EIO:
            raise OSError(msg)
        raise NntrainError(status, msg)


def as_float32_matrix(X, name="X"):
    """X as a C-contiguous float32 2-D array: the same object when it
    already is one (no copy), else converted. Non-numeric arrays:
    TypeError; a wrong number of dimensions: ValueError."""
    if isinstance(X, np.ndarray) and X.dtype == np.float32 and X.ndim == 2 \
            and X.flags.c_contiguous:
        return X
    a = np.asarray(X)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: numbers expected, got an array of dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name}: a 2-D array (rows, features) expected, got {a.ndim}-D")
    return np.ascontiguousarray(a, dtype=np.float32)


CATEGORY_UNSEEN = -1  # NNT_CATEGORY_UNSEEN: a category never seen in training

# The cells `nntrain predict` reads as missing by default (data.missing_values).
_MISSING_TEXT = frozenset(["", "NA", "NaN", "?"])


def _number_name(v):
    """A number as the model names a numeric column's category (prep.c's
    number_name): the value as a float32, as a table holds it, written with
    the fewest of 6 to 9 significant digits that read back to that float."""
    f = np.float32(v)
    for digits in range(6, 10):
        s = "%.*g" % (digits, float(f))
        if np.float32(float(s)) == f:
            break
    return s


def _is_missing(v):
    if v is None:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    # pandas' NA and NaT, without importing pandas
    return type(v).__name__ in ("NAType", "NaTType")


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "iloc") and hasattr(X, "dtypes")


def _fptr(a):
    return a.ctypes.data_as(_FLOATP)


class _Callback:
    """The epoch callback: records the history, calls the user's function
    (which may return True to stop), and keeps any exception to re-raise."""

    def __init__(self, fn=None):
        self.fn = fn
        self.history = []
        self.error = None
        self.c_fn = _EPOCH_FN(self._call)

    def _call(self, _user, info_p):
        try:
            i = info_p.contents
            rec = {"epoch": i.epoch, "epochs": i.epochs, "train_loss": i.train_loss,
                   "eval_loss": None if i.eval_loss < 0 else i.eval_loss,
                   # None without an evaluation set (eval_loss -1): a
                   # regression's R² may itself be below 0
                   "eval_accuracy": None if i.eval_loss < 0 else i.eval_accuracy,
                   "learning_rate": i.learning_rate, "seconds": i.seconds,
                   # a regression's, in the target's units (else None)
                   "eval_rmse": None if i.eval_rmse < 0 else i.eval_rmse,
                   "eval_mae": None if i.eval_mae < 0 else i.eval_mae,
                   "eval_r2": None if math.isnan(i.eval_r2) else i.eval_r2}
            self.history.append(rec)
            if self.fn is not None and self.fn(rec):
                return 1
            return 0
        except BaseException as e:  # KeyboardInterrupt too: abort, re-raised after
            self.error = e
            return -1

    def finish(self, status):
        if self.error is not None:
            raise self.error
        _check(status)


class Model:
    """A trained nntrain model (a handle on the library's nnt_model)."""

    def __init__(self, handle):
        if not handle:
            raise ValueError("Model: a NULL handle")
        self._h = ctypes.c_void_p(handle)

    def __del__(self):
        h = getattr(self, "_h", None)
        if h is not None and h.value:
            _free(h)
            self._h = None

    @classmethod
    def load(cls, path):
        h = ctypes.c_void_p()
        _check(_load(os.fsencode(path), ctypes.byref(h)))
        return cls(h.value)

    def save(self, path):
        _check(_save(self._h, os.fsencode(path)))

    def to_bytes(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "m.model")
            self.save(p)
            with open(p, "rb") as f:
                return f.read()

    @classmethod
    def from_bytes(cls, data):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "m.model")
            with open(p, "wb") as f:
                f.write(data)
            return cls.load(p)

    def __reduce__(self):
        return (Model.from_bytes, (self.to_bytes(),))

    @property
    def n_features(self):
        return int(_n_features(self._h))

    @property
    def n_outputs(self):
        return int(_n_outputs(self._h))

    @property
    def task(self):
        return "regression" if _task(self._h) == 1 else "classification"

    @property
    def is_table(self):
        return bool(_is_table(self._h))

    @property
    def feature_names(self):
        """The feature columns' names (None for an image model)."""
        if not self.is_table:
            return None
        return [_feature_name(self._h, i).decode() for i in range(self.n_features)]

    @property
    def classes(self):
        """A table classifier's class names, in output order (None otherwise)."""
        n = int(_n_classes(self._h))
        return [_class_name(self._h, k).decode() for k in range(n)] if n else None

    @property
    def targets(self):
        """The label columns' names (None for an image model)."""
        if not self.is_table:
            return None
        n = 1 if self.task == "classification" else self.n_outputs
        return [_target_name(self._h, k).decode() for k in range(n)]

    @property
    def categories(self):
        """Each feature's categories in the model's order (the index a
        category has in nnt_predict's input): a list of names for a
        categorical feature, None for a numeric one; None for an image
        model."""
        if not self.is_table:
            return None
        if getattr(self, "_categories", None) is None:  # a model does not change: read once
            cats = []
            for i in range(self.n_features):
                n = int(_n_categories(self._h, i))
                cats.append([_category_name(self._h, i, j).decode() for j in range(n)]
                            if n else None)
            self._categories = cats
        return [None if c is None else list(c) for c in self._categories]

    def _columns(self, X):
        """A DataFrame's feature columns in the model's order: by name when
        it has every feature's (any order, other columns ignored, as
        `nntrain predict` reads a CSV); by position only when its columns
        are not named by strings (a plain RangeIndex). Named columns that
        lack a feature are an error, not a silent fall back to position."""
        names = self.feature_names
        cols = [str(c) for c in X.columns]
        if names and all(isinstance(c, str) for c in X.columns) and len(cols) > 0:
            missing = [n for n in names if n not in cols]
            if missing:
                shown = ", ".join(repr(n) for n in missing[:5]) + (", ..." if len(missing) > 5 else "")
                raise ValueError(f"X has no column {shown}: a DataFrame's columns are matched "
                                 f"by name (the model's features: {', '.join(names[:8])}"
                                 f"{', ...' if len(names) > 8 else ''})")
        if names and all(n in cols for n in names):
            for n in names:
                if cols.count(n) > 1:
                    raise ValueError(f"X: column '{n}' appears {cols.count(n)} times")
            return [X.iloc[:, cols.index(n)] for n in names]
        if len(cols) != self.n_features:
            missing = [n for n in (names or []) if n not in cols]
            raise ValueError(f"X has {len(cols)} columns; the model takes {self.n_features}"
                             + (f" (no column {', '.join(missing)})" if missing else ""))
        return [X.iloc[:, j] for j in range(len(cols))]

    def _encode_numeric(self, values, j, name):
        a = np.asarray(values)
        if a.dtype.kind in "biuf":
            return a.astype(np.float32)
        out = np.empty(len(a), dtype=np.float32)
        for r, v in enumerate(a):
            if isinstance(v, bytes):
                v = v.decode("utf-8", "replace")
            if _is_missing(v) or (isinstance(v, str) and v.strip(" \t") in _MISSING_TEXT):
                out[r] = np.nan
            elif isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
                out[r] = float(v)
            elif isinstance(v, str):
                try:
                    out[r] = float(v)
                except ValueError:
                    raise ValueError(f"X[{r}][{j}] (feature '{name}'): '{v[:64]}' is not a "
                                     "number (the feature is numeric in the model)") from None
            else:
                raise TypeError(f"X[{r}][{j}] (feature '{name}'): a number expected, got "
                                f"{type(v).__name__}")
        return out

    @staticmethod
    def _encode_categorical(values, j, name, cats):
        index = {c: k for k, c in enumerate(cats)}
        out = np.empty(len(values), dtype=np.float32)
        for r, v in enumerate(np.asarray(values, dtype=object)):
            if isinstance(v, bytes):
                v = v.decode("utf-8", "replace")
            if isinstance(v, (bool, np.bool_)):
                v = str(bool(v))  # as a CSV's True / False cell
            if _is_missing(v):
                out[r] = np.nan
            elif isinstance(v, str):
                k = index.get(v)
                if k is None and v.strip(" \t") in _MISSING_TEXT:
                    out[r] = np.nan
                    continue
                if k is None:  # a number as text ("10.0"): the model's name for it
                    try:
                        f = float(v)
                        k = index.get(_number_name(f)) if np.isfinite(f) else None
                    except ValueError:
                        pass
                out[r] = CATEGORY_UNSEEN if k is None else k
            elif isinstance(v, (int, float, np.integer, np.floating)):
                if not np.isfinite(v):
                    out[r] = v  # Inf: refused by the library
                else:
                    k = index.get(_number_name(float(v)))
                    out[r] = CATEGORY_UNSEEN if k is None else k
            else:
                raise TypeError(f"X[{r}][{j}] (feature '{name}'): a category name or a "
                                f"number expected, got {type(v).__name__}")
        return out

    def encode(self, X):
        """X as the float32 matrix (n_rows, n_features) that the library's
        nnt_predict takes (and the ONNX export's `features` input).
        A table model with categorical features takes a DataFrame or a 2-D
        object or str array of raw cells: each categorical cell, a category
        name (or a number, named as in the model), becomes its index in
        `categories[j]`, a category the model never saw becomes -1 (all-zero
        inputs, as `nntrain predict` gives), a missing cell (None, NaN,
        pd.NA, or "", "NA", "NaN", "?") NaN; numeric cells become floats.
        A numeric array is taken as it is: categorical columns then hold
        indices already. A DataFrame's columns are found by name (a missing
        one is a ValueError); only columns not named by strings are taken
        in order."""
        cats = self.categories if self.is_table else None
        categorical = cats is not None and any(c is not None for c in cats)
        if _is_dataframe(X):
            columns = self._columns(X)
            if not categorical:
                return as_float32_matrix(np.column_stack([np.asarray(c) for c in columns])
                                         if columns else np.empty((len(X), 0)))
        else:
            if not categorical or isinstance(X, np.ndarray) and X.dtype.kind in "biuf":
                return as_float32_matrix(X)
            a = np.asarray(X)
            if a.dtype.kind in "biuf":
                return as_float32_matrix(a)
            if a.dtype.kind not in "OUS":
                raise TypeError(f"X: numbers or category names expected, got an array of "
                                f"dtype {a.dtype}")
            if a.ndim == 2 and a.dtype.kind == "U" and not isinstance(X, np.ndarray):
                a = np.array(X, dtype=object)  # a list's numbers stay numbers
            if a.ndim != 2:
                raise ValueError(f"X: a 2-D array (rows, features) expected, got {a.ndim}-D")
            if a.shape[1] != self.n_features:
                raise ValueError(f"X has {a.shape[1]} features; the model takes "
                                 f"{self.n_features}")
            columns = [a[:, j] for j in range(a.shape[1])]
        names = self.feature_names
        out = np.empty((len(columns[0]) if columns else 0, len(columns)), dtype=np.float32)
        for j, col in enumerate(columns):
            out[:, j] = (self._encode_numeric(col, j, names[j]) if cats[j] is None
                         else self._encode_categorical(col, j, names[j], cats[j]))
        return out

    def predict(self, X):
        """Outputs for the rows of X (n_rows, n_features): each class's
        probability, or each target's value (in its units), as float32
        (n_rows, n_outputs). NaN takes the model's fill value or is a
        ValueError. For a model with categorical features X may be a
        DataFrame or an object/str array of raw cells (see encode); the
        answer is the one `nntrain predict` gives for the same rows."""
        X = self.encode(X)
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features; the model takes {self.n_features}")
        out = np.empty((X.shape[0], self.n_outputs), dtype=np.float32)
        _check(_predict(self._h, _fptr(X), X.shape[0], X.shape[1], _fptr(out)))
        return out

    def __repr__(self):
        return (f"<nntrain.Model {self.task}, {self.n_features} features -> "
                f"{self.n_outputs} outputs>")


def load(path):
    """The model in a file (`nntrain -c` writes them: output.model)."""
    return Model.load(path)


def _config_text(config):
    # JSON is YAML (flow style), which the library's config reader takes.
    return json.dumps(config).encode()


def train(config, on_epoch=None):
    """Trains as `nntrain -c CONFIG` does: config is a YAML file's path or a
    dict of the same sections ({"data": {...}, "network": {...}, ...}).
    Returns (model, history): history has one dict per epoch (epoch,
    epochs, train_loss, eval_loss, eval_accuracy, learning_rate, seconds,
    and a regression's eval_rmse, eval_mae and eval_r2 in the target's
    units, as in the metrics CSV; None for a classification or without an
    evaluation set; eval_accuracy is R² for a regression).
    on_epoch(record) may return True to stop early (the model is kept).
    output.model, when the config sets it, is written as by the command,
    the same bytes."""
    cb = _Callback(on_epoch)
    h = ctypes.c_void_p()
    if isinstance(config, dict):
        status = _train_yaml(_config_text(config), cb.c_fn, None, ctypes.byref(h))
    elif isinstance(config, (str, bytes, os.PathLike)):
        status = _train_file(os.fsencode(config), cb.c_fn, None, ctypes.byref(h))
    else:
        raise TypeError("train: a config path or a dict expected, got "
                        f"{type(config).__name__}")
    cb.finish(status)
    return Model(h.value), cb.history


def train_arrays(X, y, config=None, on_epoch=None):
    """Trains on arrays: X (n, d) numbers (NaN: missing cells), y (n,) class
    labels as numbers, or (n,) / (n, k) regression targets with
    config["data"]["task"] = "regression". config: a dict of the config's
    sections (data.test_fraction defaults to 0.2 as for a file). Returns
    (model, history). A float32 C-ordered X is read in place, not copied:
    do not change it until the call returns (on_epoch and other threads
    included)."""
    X = as_float32_matrix(X)
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y: numbers expected, got an array of dtype {y.dtype}")
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y: {X.shape[0]} rows (or a vector) expected, got shape {y.shape}")
    y = np.ascontiguousarray(y, dtype=np.float32)
    cb = _Callback(on_epoch)
    h = ctypes.c_void_p()
    text = _config_text(config) if config else None
    status = _train_arrays(text, _fptr(X), X.shape[0], X.shape[1], _fptr(y), y.shape[1],
                           cb.c_fn, None, ctypes.byref(h))
    cb.finish(status)
    return Model(h.value), cb.history
