"""scikit-learn estimators over libnntrain: MLPClassifier and MLPRegressor.

The parameters scikit-learn's own MLPClassifier/MLPRegressor share mean the
same here; training runs in nntrain's C library (the same code and bits
as `nntrain -c`). Not supported: solver="lbfgs", learning_rate other than
"constant", shuffle=False, warm_start, partial_fit, sample_weight."""
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from . import _lib

_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "linear",
                "leaky_relu": "leaky_relu"}
_SCHEDULES = ("constant", "step", "exponential", "cosine")
_SCALES = ("standard", "minmax", "none")


class _BaseMLP(BaseEstimator):
    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, max_iter=200, random_state=None, tol=1e-4,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, threads=0, dropout=0.0, schedule="constant",
                 scale="standard", config=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.threads = threads
        self.dropout = dropout
        self.schedule = schedule
        self.scale = scale
        self.config = config

    # ---- the config ---------------------------------------------------------

    def _hidden(self):
        h = self.hidden_layer_sizes
        if isinstance(h, numbers.Integral):
            h = [h]
        h = [int(v) for v in h]
        if not h or any(v < 1 for v in h):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {h}")
        return h

    def _config(self, n_samples, task, seed):
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation '{self.activation}' is not one of "
                             f"{sorted(_ACTIVATIONS)}")
        if self.solver not in ("sgd", "adam"):
            raise ValueError(f"solver '{self.solver}': nntrain supports 'sgd' and 'adam'")
        if self.learning_rate != "constant":
            raise ValueError("learning_rate: only 'constant' (see schedule= for nntrain's "
                             "schedules)")
        if self.schedule not in _SCHEDULES:
            raise ValueError(f"schedule '{self.schedule}' is not one of {_SCHEDULES}")
        if not isinstance(self.scale, str) or self.scale not in _SCALES:
            raise ValueError(f"scale {self.scale!r} is not one of {_SCALES}")
        if not (isinstance(self.max_iter, numbers.Integral) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1, got {self.max_iter}")
        if not self.learning_rate_init > 0:
            raise ValueError(f"learning_rate_init must be > 0, got {self.learning_rate_init}")
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha}")
        if self.batch_size == "auto":
            batch = min(200, n_samples)
        elif isinstance(self.batch_size, numbers.Integral) and self.batch_size >= 1:
            batch = min(int(self.batch_size), n_samples)
        else:
            raise ValueError(f"batch_size must be 'auto' or an integer >= 1, got "
                             f"{self.batch_size}")
        train = {"learning_rate": float(self.learning_rate_init), "batch_size": batch,
                 "epochs": int(self.max_iter), "seed": int(seed), "threads": int(self.threads),
                 # scikit-learn's alpha penalises alpha/2 ||W||^2 summed over a batch
                 # and divided by its size; nntrain's coupled decay is per example.
                 "weight_decay": float(self.alpha) / batch,
                 "schedule": self.schedule}
        if self.solver == "sgd":
            train.update(optimizer="sgd", momentum=float(self.momentum),
                         nesterov=bool(self.nesterovs_momentum) and self.momentum > 0)
        else:
            train.update(optimizer="adam", beta1=float(self.beta_1), beta2=float(self.beta_2),
                         epsilon=float(self.epsilon))
        if self.dropout:
            train["dropout"] = float(self.dropout)
        data = {"task": task, "test_fraction": 0, "scale": self.scale}
        if self.early_stopping:
            n_val = int(round(self.validation_fraction * n_samples))
            if not 0 < self.validation_fraction < 1 or n_val < 1 or n_val >= n_samples:
                raise ValueError(f"early_stopping: validation_fraction {self.validation_fraction}"
                                 f" of {n_samples} samples leaves no validation or training set")
            data["validation"] = n_val
            train["patience"] = int(self.n_iter_no_change)
            train["monitor"] = "accuracy" if task == "classification" else "loss"
        cfg = {"data": data,
               "network": {"hidden": self._hidden(),
                           "activation": _ACTIVATIONS[self.activation],
                           "init": "xavier"},
               "train": train}
        for section, keys in (self.config or {}).items():
            cfg.setdefault(section, {}).update(keys)
        return cfg

    def _fit_arrays(self, X, Y, task):
        seed = self.random_state
        if not isinstance(seed, numbers.Integral) or seed < 0 or seed >= 2**63:
            seed = check_random_state(seed).randint(0, 2**31 - 1)
        cfg = self._config(X.shape[0], task, seed)
        best = [np.inf, 0]

        # scikit-learn's stopping rule without early_stopping: the training
        # loss has not improved by tol for n_iter_no_change epochs.
        def on_epoch(rec):
            if self.early_stopping:
                return False
            loss = rec["train_loss"]
            if loss > best[0] - self.tol:
                best[1] += 1
            else:
                best[1] = 0
            best[0] = min(best[0], loss)
            return best[1] >= self.n_iter_no_change

        model, history = _lib.train_arrays(X, Y, cfg, on_epoch)
        self._model = model
        self.n_iter_ = len(history)
        self.loss_curve_ = [h["train_loss"] for h in history]
        self.loss_ = self.loss_curve_[-1]
        if self.early_stopping:
            # scikit-learn's: the score on the validation set each epoch
            # (accuracy, or R² for a regressor: the history's eval_accuracy)
            self.validation_scores_ = [h["eval_accuracy"] for h in history]
            self.best_validation_score_ = max(self.validation_scores_)
        elif self.n_iter_ == self.max_iter and best[1] < self.n_iter_no_change:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning)
        return self

    def _outputs(self, X):
        check_is_fitted(self, "_model")
        X = self._validate_data(X, reset=False, dtype=np.float32, order="C")
        return self._model.predict(X)

    def _more_tags(self):
        return {"preserves_dtype": []}

    @property
    def model_(self):
        """The trained nntrain.Model (save it with .save(path))."""
        check_is_fitted(self, "_model")
        return self._model


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier trained by nntrain (softmax output,
    cross-entropy), with scikit-learn's MLPClassifier parameters; plus
    threads (0: every core), dropout (of the hidden layers' outputs),
    schedule (nntrain's learning-rate schedule), scale and config (a dict
    of further nntrain config keys by section, e.g.
    {"train": {"max_norm": 3}}).

    scale: how each feature is scaled before it reaches the network, fitted
    on the training rows and kept in the model (so predict takes raw rows
    too); nntrain's data.scale:
      "standard" (the default): (x - mean) / standard deviation;
      "minmax": (x - min) / (max - min);
      "none": x as given, the very floats scikit-learn's MLPClassifier
              (which does no scaling of its own) would see.
    A constant feature's divisor is 1."""

    def fit(self, X, y):
        X, y = self._validate_data(X, y, dtype=np.float32, order="C")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError("MLPClassifier needs samples of at least 2 classes in the data, "
                             f"but the data contains only one class: {self.classes_[0]!r}")
        codes = self._label_encoder.transform(y).astype(np.float32)
        self._fit_arrays(X, codes, "classification")
        if len(self._model.classes or []) != len(self.classes_):
            raise ValueError("a class has no example among the training rows (early_stopping's "
                             "validation set holds them all)")
        return self

    def predict_proba(self, X):
        return self._outputs(X).astype(np.float64)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        out = self._outputs(X)  # checks that the estimator is fitted first
        return self.classes_[np.argmax(out, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor trained by nntrain (linear output,
    squared error, targets standardised inside and answered in their own
    units), with scikit-learn's MLPRegressor parameters and nntrain's
    extras (see MLPClassifier): threads, dropout, schedule, config, and
    scale ("standard", the default; "minmax"; "none"), the features'
    scaling (the targets are standardised whatever it is)."""

    def fit(self, X, y):
        X, y = self._validate_data(X, y, dtype=np.float32, order="C", multi_output=True,
                                   y_numeric=True)
        self._y_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if Y.shape[1] > 64:
            raise ValueError(f"at most 64 targets, got {Y.shape[1]}")
        return self._fit_arrays(X, Y.astype(np.float32), "regression")

    def predict(self, X):
        out = self._outputs(X).astype(np.float64)
        return out.ravel() if self._y_1d else out

    def _more_tags(self):
        return {"multioutput": True, "preserves_dtype": []}
