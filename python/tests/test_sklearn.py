"""MLPClassifier and MLPRegressor: scikit-learn's conformance suite
(check_estimator, every check, none skipped), Pipeline, GridSearchCV,
pickling, and the meaning of the shared parameters."""
import pickle
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from nntrain import MLPClassifier, MLPRegressor  # noqa: E402


pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# Default parameters but threads=1: the checks fit tiny data sets hundreds of
# times, where one thread is fastest (and a loaded machine's cores are busy).
@parametrize_with_checks([MLPClassifier(threads=1), MLPRegressor(threads=1)])
def test_check_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def test_digits_accuracy_and_attributes():
    Xtr, Xte, ytr, yte = digits()
    clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=40, batch_size=32,
                        learning_rate_init=0.001, random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) > 0.93
    assert clf.n_features_in_ == 64 and list(clf.classes_) == list(range(10))
    assert clf.n_iter_ <= 40 and len(clf.loss_curve_) == clf.n_iter_
    P = clf.predict_proba(Xte)
    assert P.shape == (len(Xte), 10)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)
    # random_state fixes the result; another seed changes it.
    again = MLPClassifier(hidden_layer_sizes=(64,), max_iter=40, batch_size=32,
                          random_state=0).fit(Xtr, ytr)
    assert np.array_equal(again.predict_proba(Xte), P)
    other = MLPClassifier(hidden_layer_sizes=(64,), max_iter=40, batch_size=32,
                          random_state=1).fit(Xtr, ytr)
    assert not np.array_equal(other.predict_proba(Xte), P)
    # pickled (the model's bytes inside) and back
    back = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(back.predict_proba(Xte), P)


def test_string_labels_sgd_early_stopping():
    Xtr, Xte, ytr, yte = digits()
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), activation="tanh", solver="sgd",
                        learning_rate_init=0.05, batch_size=16, max_iter=100,
                        early_stopping=True, n_iter_no_change=5, random_state=3)
    clf.fit(Xtr, names[ytr])
    assert clf.n_iter_ < 100  # stopped by the validation set
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.9
    assert clf.score(Xte, names[yte]) > 0.9
    assert set(clf.predict(Xte)) <= set(names)


def test_regressor_early_stopping_scores_are_r2():
    """validation_scores_ holds R² each epoch, as scikit-learn's regressor
    does (it held the validation loss, which grows the wrong way)."""
    X, y = make_regression(n_samples=400, n_features=5, noise=1.0, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=200, learning_rate_init=0.01,
                       early_stopping=True, n_iter_no_change=5, random_state=0).fit(X, y)
    scores = reg.validation_scores_
    assert len(scores) == reg.n_iter_
    assert all(s <= 1 for s in scores)
    assert scores[-1] > scores[0] and reg.best_validation_score_ == max(scores) > 0.9


def test_regressor():
    X, y = make_regression(n_samples=400, n_features=5, noise=1.0, random_state=0)
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, learning_rate_init=0.01,
                       random_state=0).fit(X[:300], y[:300])
    assert reg.score(X[300:], y[300:]) > 0.95
    Y = np.stack([y, -2 * y], axis=1)
    reg2 = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, learning_rate_init=0.01,
                        random_state=0).fit(X[:300], Y[:300])
    assert reg2.predict(X[300:]).shape == (100, 2)
    assert reg2.score(X[300:], Y[300:]) > 0.95


def test_pipeline_and_grid_search():
    Xtr, Xte, ytr, yte = digits()
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=30, random_state=0))
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(16,), (48,)],
                               "mlpclassifier__learning_rate_init": [0.001, 0.01]}, cv=3)
    grid.fit(Xtr, ytr)
    assert grid.best_score_ > 0.9
    assert grid.score(Xte, yte) > 0.9
    assert set(grid.best_params_) == {"mlpclassifier__hidden_layer_sizes",
                                      "mlpclassifier__learning_rate_init"}


def test_parameters_refused():
    X, y = load_digits(return_X_y=True)
    for bad in ({"solver": "lbfgs"}, {"activation": "softmax"}, {"learning_rate": "adaptive"},
                {"max_iter": 0}, {"batch_size": 0}, {"hidden_layer_sizes": (0,)}):
        with pytest.raises(ValueError):
            MLPClassifier(**bad).fit(X[:50], y[:50])
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X[:2])
    with pytest.raises(ValueError):
        MLPClassifier(max_iter=2).fit(X[:20], np.zeros(20))  # one class
    with pytest.raises(ValueError):
        MLPClassifier(max_iter=2).fit(X[:20], np.linspace(0, 1, 20))  # continuous labels


def test_nntrain_extras():
    Xtr, Xte, ytr, yte = digits()
    clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=30, dropout=0.2, schedule="cosine",
                        threads=1, config={"train": {"max_norm": 3.0}}, random_state=0)
    assert clf.fit(Xtr, ytr).score(Xte, yte) > 0.9
    assert clf.model_.n_features == 64


def test_scale():
    """scale= is data.scale: "standard" (the default) and "minmax" make a fit
    blind to an affine change of the features' units, "none" gives the
    network the arrays as they are; anything else is refused."""
    Xtr, Xte, ytr, yte = digits()
    Xtr, Xte = Xtr.astype(np.float32), Xte.astype(np.float32)
    assert MLPClassifier().get_params()["scale"] == "standard"
    assert MLPRegressor().get_params()["scale"] == "standard"
    common = dict(hidden_layer_sizes=(32,), max_iter=3, batch_size=32, threads=1,
                  random_state=0)

    def proba(scale, a, b):
        clf = MLPClassifier(scale=scale, **common).fit(Xtr * a + b, ytr)
        return clf.predict_proba(Xte * a + b), clf.model_.to_bytes()

    # The default is "standard", bit for bit.
    assert proba("standard", 1, 0)[1] == MLPClassifier(**common).fit(Xtr, ytr).model_.to_bytes()
    for scale in ("standard", "minmax"):
        p1, _ = proba(scale, 1, 0)
        p2, _ = proba(scale, 4, 3)  # exact in float32: only the rounding of the scaling differs
        assert np.allclose(p1, p2, atol=1e-3), scale
    # "none": the inputs are the arrays, as data.scale: none makes them.
    p1, m1 = proba("none", 1, 0)
    p2, _ = proba("none", 4, 3)
    assert not np.allclose(p1, p2, atol=1e-2)
    ref = MLPClassifier(config={"data": {"scale": "none"}}, **common).fit(Xtr, ytr)
    assert m1 == ref.model_.to_bytes()
    assert m1 != proba("standard", 1, 0)[1]
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    reg = MLPRegressor(scale="minmax", max_iter=5, threads=1, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (200,)
    for bad in ("robust", "Standard", None, 1):
        with pytest.raises(ValueError, match="scale"):
            MLPClassifier(scale=bad, max_iter=1).fit(Xtr[:50], ytr[:50])
        with pytest.raises(ValueError, match="scale"):
            MLPRegressor(scale=bad, max_iter=1).fit(X[:50], y[:50])
