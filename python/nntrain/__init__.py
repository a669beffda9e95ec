"""nntrain: train and run multi-layer perceptrons with nntrain's C library.

    import nntrain
    model = nntrain.load("out/iris.model")       # a model file of `nntrain -c`
    probabilities = model.predict(X)             # X: (rows, features) numbers

    model, history = nntrain.train("configs/tabular/iris.yaml")   # or a dict

    from nntrain import MLPClassifier, MLPRegressor   # scikit-learn estimators
    clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=50).fit(X, y)

The library is found from $NNTRAIN_LIB, the build tree this package sits in,
or the installed libnntrain.so.0. The estimators need scikit-learn."""
from ._lib import Model, NntrainError, load, train, train_arrays, library_path, __version__

__all__ = ["Model", "NntrainError", "load", "train", "train_arrays", "library_path",
           "MLPClassifier", "MLPRegressor", "__version__"]


def __getattr__(name):
    # The estimators import scikit-learn only when asked for.
    if name in ("MLPClassifier", "MLPRegressor"):
        from . import _sklearn
        return getattr(_sklearn, name)
    raise AttributeError(f"module 'nntrain' has no attribute {name!r}")
