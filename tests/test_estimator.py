"""emlib.estimator.GaussianMixture: scikit-learn's common estimator checks, and cross-checks with
scikit-learn's own GaussianMixture (a test-only oracle).

The estimator does not inherit from ``sklearn.base.BaseEstimator`` (emlib must import without
scikit-learn), so it implements the estimator protocol itself; scikit-learn's common checks
(``parametrize_with_checks``) verify that it does so correctly, one test per check.
"""

import importlib.util
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.exceptions import NotFittedError as SkNotFittedError
from sklearn.exceptions import SkipTestWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

import emlib
from emlib.estimator import GaussianMixture, NotFittedError

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


# ----------------------------------------------------------------------------------------------
# scikit-learn's common checks
# ----------------------------------------------------------------------------------------------
#: Checks whose data make a degenerate fit, which emlib reports with a DegenerateFitWarning (and
#: which pytest's filterwarnings=error would turn into a failure). The warning is right each time.
DEGENERATE_DATA = {
    # 15 rows in 30 dimensions, repeated by integer weights: a 30-D Gaussian fitted to at most
    # 15 distinct points has no spread in at least 15 directions.
    "check_sample_weight_equivalence_on_dense_data",
    # make_classification(n_features=10) has 2 redundant columns, linear combinations of the
    # informative ones: no spread in those directions (the check runs only with SCIPY_ARRAY_API=1).
    "check_array_api_input",
}

# parametrize_with_checks warns (UserWarning) that the estimator does not inherit from
# BaseEstimator, which is deliberate here; the test collection must not fail on it.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r".*does not inherit from\s+`?sklearn\.base\.BaseEstimator", category=UserWarning
    )
    _sklearn_checks = parametrize_with_checks([GaussianMixture()])


def _check_name(check):
    check = getattr(check, "func", check)
    return getattr(check, "__name__", repr(check))


def _run_array_api_check_in_subprocess(check):
    """scikit-learn skips its array-API check unless SCIPY_ARRAY_API=1 was set before scipy was
    imported; run it in a fresh interpreter where it is set, so it is not skipped."""
    keywords = getattr(check, "keywords", {})
    code = (
        "import warnings\n"
        "warnings.simplefilter('error')\n"
        "import emlib\n"
        "warnings.filterwarnings('ignore', category=emlib.DegenerateFitWarning)\n"
        "from sklearn.utils.estimator_checks import check_array_api_input\n"
        "from emlib.estimator import GaussianMixture\n"
        f"check_array_api_input('GaussianMixture', GaussianMixture(), **{keywords!r})\n"
        "print('check passed')\n"
    )
    env = dict(os.environ, SCIPY_ARRAY_API="1", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "check passed" in done.stdout


@_sklearn_checks
def test_sklearn_estimator_check(estimator, check):
    name = _check_name(check)
    if name == "check_array_api_input" and os.environ.get("SCIPY_ARRAY_API") != "1":
        _run_array_api_check_in_subprocess(check)
        return
    if name == "check_sample_weights_pandas_series" and importlib.util.find_spec("pandas") is None:
        # scikit-learn would skip it (pandas is not a dependency): run its substance on a stand-in
        _check_dataframe_and_series_like_inputs(emlib.datasets.sample_gmm(TRUTH, 400, 0)[0])
        return
    with warnings.catch_warnings():
        if name in DEGENERATE_DATA:
            warnings.filterwarnings("ignore", category=emlib.DegenerateFitWarning)
        check(estimator)


def test_the_common_checks_were_all_collected():
    """The parametrisation above holds scikit-learn's full list for a density estimator."""
    checks = [getattr(param, "values", param)[1] for param in _sklearn_checks.args[1]]
    assert not any(hasattr(param, "marks") for param in _sklearn_checks.args[1])  # nothing marked xfail
    names = [_check_name(check) for check in checks]
    assert len(names) == 48
    assert len(names) == len(set(names)) + 1  # check_estimators_pickle runs twice (plain, memmap)
    for expected in (
        "check_estimators_unfitted",
        "check_n_features_in_after_fitting",
        "check_sample_weight_equivalence_on_dense_data",
        "check_fit_idempotent",
        "check_methods_subset_invariance",
        "check_dtype_object",
        "check_estimators_empty_data_messages",
        "check_fit2d_predict1d",
    ):
        assert expected in names
    assert get_tags(GaussianMixture()).estimator_type == "density_estimator"


def test_check_estimator_passes_as_a_whole():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*does not inherit from", category=UserWarning)
        warnings.filterwarnings("ignore", category=emlib.DegenerateFitWarning)  # see DEGENERATE_DATA
        warnings.filterwarnings("ignore", category=SkipTestWarning)  # pandas, SCIPY_ARRAY_API
        check_estimator(GaussianMixture())


def test_the_filtered_warnings_are_real():
    """The DegenerateFitWarning filtered in DEGENERATE_DATA is raised by those checks' data, rightly."""
    rng = np.random.RandomState(42)  # check_sample_weight_equivalence_on_dense_data's data
    X, weights = rng.rand(15, 30), rng.randint(0, 5, size=15)
    with pytest.warns(emlib.DegenerateFitWarning, match="degenerate components \\[0\\]"):
        GaussianMixture(random_state=0).fit(X, sample_weight=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a well-posed fit raises nothing
        GaussianMixture(random_state=0).fit(rng.rand(100, 3))


# ----------------------------------------------------------------------------------------------
# data and helpers
# ----------------------------------------------------------------------------------------------
TRUTH = emlib.GMMParams(
    [0.3, 0.3, 0.4],
    [[-4.0, 0.0], [4.0, 1.0], [0.0, 6.0]],
    [[[1.0, 0.3], [0.3, 0.8]], [[0.7, -0.2], [-0.2, 1.2]], [[1.1, 0.0], [0.0, 0.6]]],
)


@pytest.fixture(scope="module")
def blobs():
    X, _ = emlib.datasets.sample_gmm(TRUTH, 400, 0)
    return X


def _sklearn_precisions(covariances, covariance_type):
    """precisions_init for scikit-learn (and for emlib's estimator) from (K, D, D) covariances."""
    if covariance_type == "full":
        return np.linalg.inv(covariances)
    if covariance_type == "tied":
        return np.linalg.inv(covariances[0])
    variances = np.diagonal(covariances, axis1=1, axis2=2)
    return 1.0 / (variances if covariance_type == "diag" else variances.mean(axis=1))


def _start(covariance_type):
    """A poor starting point with the structure of the covariance type."""
    means = np.array([[-2.0, 1.0], [2.0, 0.0], [1.0, 3.0]])
    covariances = np.stack([np.diag([2.0, 1.5]), np.diag([1.0, 2.5]), np.diag([1.5, 1.5])])
    if covariance_type == "full":
        covariances[0, 0, 1] = covariances[0, 1, 0] = 0.5
    if covariance_type == "tied":
        covariances[:] = [[2.0, 0.4], [0.4, 1.0]]
    if covariance_type == "spherical":
        covariances = np.stack([np.eye(2) * v for v in (1.0, 2.0, 1.5)])
    return np.array([0.2, 0.5, 0.3]), means, _sklearn_precisions(covariances, covariance_type)


def _sklearn_twin(estimator):
    """scikit-learn's GaussianMixture holding this estimator's fitted attributes as they are.

    If the attributes did not follow scikit-learn's conventions (precisions_cholesky_ above all),
    scikit-learn's predictions from them would differ from ours.
    """
    twin = SkGaussianMixture(n_components=estimator.n_components, covariance_type=estimator.covariance_type)
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        setattr(twin, name, np.array(getattr(estimator, name)))
    twin.n_features_in_ = estimator.n_features_in_
    return twin


# ----------------------------------------------------------------------------------------------
# cross-checks with scikit-learn
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_start_reaches_the_same_fit_as_sklearn(blobs, covariance_type):
    weights, means, precisions = _start(covariance_type)
    common = dict(
        n_components=3,
        covariance_type=covariance_type,
        reg_covar=1e-6,
        max_iter=5000,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
    )
    ours = GaussianMixture(tol=1e-13, **common).fit(blobs)
    theirs = SkGaussianMixture(tol=1e-13, **common).fit(blobs)
    assert ours.converged_ and theirs.converged_
    assert ours.n_iter_ > 5  # EM really moved from the poor start
    np.testing.assert_allclose(ours.weights_, theirs.weights_, atol=1e-6)
    np.testing.assert_allclose(ours.means_, theirs.means_, atol=1e-6)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, atol=1e-6)
    np.testing.assert_allclose(ours.precisions_, theirs.precisions_, atol=1e-5)
    np.testing.assert_allclose(ours.precisions_cholesky_, theirs.precisions_cholesky_, atol=1e-5)
    assert ours.score(blobs) == pytest.approx(theirs.score(blobs), abs=1e-9)
    # with an absolute reg_covar the objective is the log-likelihood itself
    assert ours.lower_bound_ == pytest.approx(ours.score(blobs), rel=1e-12)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, abs=1e-9)
    # the fit recovered the truth, so the comparison is not between two failures
    assert np.min(np.linalg.norm(ours.means_[:, None] - TRUTH.means[None], axis=2), axis=0).max() < 0.3


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_few_iterations_from_the_same_start_match_sklearn_exactly(blobs, covariance_type):
    """Not only the optimum: the same iterates (sklearn adds 10 eps to N_k, which is invisible here)."""
    weights, means, precisions = _start(covariance_type)
    common = dict(
        n_components=3,
        covariance_type=covariance_type,
        reg_covar=1e-3,
        max_iter=4,
        tol=0.0,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
    )
    with pytest.warns(emlib.ConvergenceWarning):
        ours = GaussianMixture(**common).fit(blobs)
    with pytest.warns(SkConvergenceWarning):
        theirs = SkGaussianMixture(**common).fit(blobs)
    assert ours.n_iter_ == theirs.n_iter_ == 4
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.precisions_cholesky_, theirs.precisions_cholesky_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fitted_attributes_have_sklearns_shapes(blobs, covariance_type):
    ours = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(blobs)
    theirs = SkGaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(blobs)
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        assert getattr(ours, name).shape == getattr(theirs, name).shape, name
        assert getattr(ours, name).dtype == np.float64
    expected = {"full": (3, 2, 2), "tied": (2, 2), "diag": (3, 2), "spherical": (3,)}[covariance_type]
    assert ours.covariances_.shape == expected
    assert isinstance(ours.converged_, bool) and isinstance(ours.n_iter_, int)
    assert isinstance(ours.lower_bound_, float) and ours.n_features_in_ == 2
    functional = emlib.fit_gmm(blobs, 3, covariance_type=covariance_type, random_state=0)
    assert type(ours.fit_result_) is type(functional)
    assert ours.fit_result_.params.n_components == 3
    if covariance_type in ("full", "tied"):  # upper triangular, Σ⁻¹ = P Pᵀ
        factors = ours.precisions_cholesky_.reshape(-1, 2, 2)
        assert np.all(np.tril(factors, -1) == 0)
        covariances = ours.covariances_.reshape(-1, 2, 2)
        identities = np.broadcast_to(np.eye(2), covariances.shape)
        np.testing.assert_allclose(factors @ np.swapaxes(factors, 1, 2) @ covariances, identities, atol=1e-12)
    else:
        np.testing.assert_allclose(ours.precisions_cholesky_**2 * ours.covariances_, 1.0, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_predictions_agree_with_sklearn_on_the_same_parameters(blobs, covariance_type):
    ours = GaussianMixture(3, covariance_type=covariance_type, random_state=1).fit(blobs)
    twin = _sklearn_twin(ours)
    X = np.vstack([blobs[:50], [[30.0, -30.0]]])  # and a point far from every component
    np.testing.assert_array_equal(ours.predict(X), twin.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), twin.predict_proba(X), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(ours.score_samples(X), twin.score_samples(X), rtol=1e-11)
    assert ours.score(X) == pytest.approx(twin.score(X), rel=1e-12)
    assert ours.bic(X) == pytest.approx(twin.bic(X), rel=1e-12)
    assert ours.aic(X) == pytest.approx(twin.aic(X), rel=1e-12)
    assert ours.bic(X) != pytest.approx(ours.aic(X), rel=1e-3)
    assert len(np.unique(ours.predict(X))) == 3


def test_bic_chooses_the_true_number_of_components(blobs):
    bics = [GaussianMixture(k, random_state=0).fit(blobs).bic(blobs) for k in (1, 2, 3, 4)]
    assert int(np.argmin(bics)) == 2


# ----------------------------------------------------------------------------------------------
# the estimator and the functional API share the fit
# ----------------------------------------------------------------------------------------------
def test_fit_is_fit_gmm(blobs):
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(blobs))
    ours = GaussianMixture(3, covariance_type="diag", n_init=2, random_state=5).fit(blobs, sample_weight=w)
    functional = emlib.fit_gmm(blobs, 3, covariance_type="diag", n_init=2, random_state=5, sample_weight=w)
    np.testing.assert_array_equal(ours.fit_result_.params.means, functional.params.means)
    np.testing.assert_array_equal(ours.means_, functional.params.means)
    np.testing.assert_array_equal(ours.covariances_, np.diagonal(functional.params.covariances, axis1=1, axis2=2))
    assert ours.n_iter_ == functional.n_iter and ours.converged_ == functional.converged
    assert ours.lower_bound_ == functional.objectives[-1] / w.sum()
    # under the default prior the objective is below the log-likelihood (log-prior < 0)
    assert ours.lower_bound_ < functional.log_likelihoods[-1] / w.sum()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_predictions_are_the_fit_results_and_its_models(blobs, covariance_type):
    """One implementation: the estimator, its EMResult and the model give the same numbers, bit for bit."""
    estimator = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(blobs)
    result = estimator.fit_result_
    assert isinstance(result, emlib.EMResult) and isinstance(result.model, emlib.GaussianMixtureModel)
    assert result.model.covariance_type == covariance_type and result.method == "em"
    X = np.vstack([blobs[:60], [[30.0, -30.0]]])
    for name in ("predict", "predict_proba", "score_samples", "bic", "aic"):
        ours = getattr(estimator, name)(X)
        np.testing.assert_array_equal(ours, getattr(result, name)(X), err_msg=name)
        np.testing.assert_array_equal(ours, getattr(result.model, name)(X, result.params), err_msg=name)
    assert isinstance(estimator.bic(X), float) and isinstance(estimator.aic(X), float)
    assert estimator.score(X) == result.model.log_likelihood(X, result.params) / len(X)
    drawn, labels = estimator.sample(7)  # random_state=0: the generator of seed 0
    expected, expected_labels = result.model.sample(result.params, 7, 0)
    np.testing.assert_array_equal(drawn, expected)
    np.testing.assert_array_equal(labels, expected_labels)


def test_every_prediction_calls_the_model(blobs, monkeypatch):
    """The estimator has no scoring code of its own: replace the model's, and its answers change."""
    estimator = GaussianMixture(2, random_state=0).fit(blobs)
    calls = []

    def fake(name, value):
        def method(self, *args, **kwargs):
            calls.append(name)
            return value

        monkeypatch.setattr(emlib.MixtureModel, name, method)

    for name, value in [
        ("predict", "labels"),
        ("predict_proba", "proba"),
        ("score_samples", "scores"),
        ("bic", 1.5),
        ("aic", 2.5),
        ("sample", "drawn"),
        ("log_likelihood", 800.0),
    ]:
        fake(name, value)
    assert estimator.predict(blobs) == "labels"
    assert estimator.predict_proba(blobs) == "proba"
    assert estimator.score_samples(blobs) == "scores"
    assert estimator.bic(blobs) == 1.5 and estimator.aic(blobs) == 2.5
    assert estimator.sample(3) == "drawn"
    assert estimator.score(blobs) == 2.0  # 800 / 400 rows
    assert calls == ["predict", "predict_proba", "score_samples", "bic", "aic", "sample", "log_likelihood"]
    assert importlib.util.find_spec("emlib.scoring") is None  # the old duplicate is gone


def test_fit_predict_is_fit_then_predict(blobs):
    labels = GaussianMixture(3, random_state=2).fit_predict(blobs)
    np.testing.assert_array_equal(labels, GaussianMixture(3, random_state=2).fit(blobs).predict(blobs))
    assert labels.shape == (len(blobs),) and len(np.unique(labels)) == 3


def test_sample_weight_is_repetition(blobs):
    rng = np.random.default_rng(1)
    w = rng.integers(0, 3, len(blobs))
    start = dict(means_init=TRUTH.means + 0.5)
    weighted = GaussianMixture(3, **start).fit(blobs, sample_weight=w)
    repeated = GaussianMixture(3, **start).fit(np.repeat(blobs, w, axis=0))
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-9)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=1e-8)
    unweighted = GaussianMixture(3, **start).fit(blobs)
    assert not np.allclose(weighted.means_, unweighted.means_, rtol=1e-4)
    # score with weights is the weighted mean of score_samples
    assert weighted.score(blobs, sample_weight=w) == pytest.approx(
        np.average(weighted.score_samples(blobs), weights=w), rel=1e-13
    )
    repeated_score = weighted.score(np.repeat(blobs, w, axis=0))
    assert weighted.score(blobs, sample_weight=w) == pytest.approx(repeated_score, rel=1e-12)


def test_means_init_alone_completes_the_start_from_the_nearest_mean_assignment(blobs):
    means = TRUTH.means + np.array([0.7, -0.4])
    for covariance_type in COVARIANCE_TYPES:
        estimator = GaussianMixture(3, covariance_type=covariance_type, means_init=means, max_iter=0).fit(blobs)
        labels = np.argmin(((blobs[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
        expected = emlib.m_step(blobs, np.eye(3)[labels], covariance_type=covariance_type, reg_covar=None)
        start = estimator.fit_result_.params  # max_iter=0: the start itself
        np.testing.assert_array_equal(start.means, means)
        np.testing.assert_allclose(start.weights, 1.0 / 3.0, rtol=1e-15)
        np.testing.assert_allclose(start.covariances, expected.covariances, rtol=1e-12)
        assert estimator.n_iter_ == 0 and not estimator.converged_


def test_all_three_inits_give_exactly_that_start(blobs):
    for covariance_type in COVARIANCE_TYPES:
        weights, means, precisions = _start(covariance_type)
        estimator = GaussianMixture(
            3,
            covariance_type=covariance_type,
            weights_init=weights,
            means_init=means,
            precisions_init=precisions,
            max_iter=0,
        ).fit(blobs)
        np.testing.assert_allclose(estimator.weights_, weights, rtol=1e-15)
        np.testing.assert_allclose(estimator.precisions_, precisions, rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# the estimator protocol
# ----------------------------------------------------------------------------------------------
def test_get_params_set_params_and_repr():
    estimator = GaussianMixture()
    assert repr(estimator) == "GaussianMixture()"
    params = estimator.get_params()
    assert params == {
        "n_components": 1,
        "covariance_type": "full",
        "tol": 1e-6,
        "reg_covar": None,
        "max_iter": 1000,
        "n_init": 1,
        "init_params": emlib.starts.DEFAULT_START,
        "weights_init": None,
        "means_init": None,
        "precisions_init": None,
        "random_state": None,
        "warm_start": False,
        "verbose": 0,
        "verbose_interval": 10,
        "prior": None,
        "stopping": "increment",
        "missing": "error",
        "learning_decay": 0.6,
        "learning_offset": 0.0,
    }
    assert estimator.set_params(n_components=3, covariance_type="tied", reg_covar=1e-3) is estimator
    assert repr(estimator) == "GaussianMixture(n_components=3, covariance_type='tied', reg_covar=0.001)"
    assert estimator.get_params(deep=False)["n_components"] == 3
    with pytest.raises(ValueError, match="Invalid parameter 'n_component' for estimator GaussianMixture"):
        estimator.set_params(n_component=2)
    # nothing is validated before fit (scikit-learn's rule), then the error names the parameter
    estimator.set_params(tol=-1.0)
    with pytest.raises(ValueError, match="tol"):
        estimator.fit(np.random.default_rng(0).normal(size=(20, 2)))


def test_clone_copies_parameters_not_the_fit(blobs):
    estimator = GaussianMixture(3, covariance_type="diag", random_state=4, means_init=TRUTH.means).fit(blobs)
    copy = clone(estimator)
    assert copy.get_params()["covariance_type"] == "diag"
    np.testing.assert_array_equal(copy.means_init, TRUTH.means)
    assert not hasattr(copy, "means_") and not copy.__sklearn_is_fitted__()
    np.testing.assert_allclose(copy.fit(blobs).means_, estimator.means_)


def test_grid_search_over_covariance_type_uses_score(blobs):
    search = GridSearchCV(GaussianMixture(3, random_state=0), {"covariance_type": ["spherical", "full"]}, cv=3)
    search.fit(blobs)
    assert search.best_params_ == {"covariance_type": "full"}  # the truth has full covariances
    assert isinstance(search.best_estimator_, GaussianMixture)


def test_pickle_round_trip(blobs):
    estimator = GaussianMixture(3, covariance_type="tied", random_state=0).fit(blobs)
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(restored.predict_proba(blobs), estimator.predict_proba(blobs))
    np.testing.assert_array_equal(restored.score_samples(blobs), estimator.score_samples(blobs))
    np.testing.assert_array_equal(restored.precisions_cholesky_, estimator.precisions_cholesky_)
    assert restored.get_params() == estimator.get_params()
    assert restored.bic(blobs) == estimator.bic(blobs)


@pytest.mark.parametrize(
    "init_params, start", [("kmeans", "k-means"), ("random_from_data", "random"), ("hc", "hc"), ("emEM", "emEM")]
)
def test_init_params_names_the_start_of_fit_gmm(blobs, init_params, start):
    estimator = GaussianMixture(3, init_params=init_params, random_state=0).fit(blobs)
    direct = emlib.fit_gmm(blobs, 3, init=start, random_state=0)
    np.testing.assert_array_equal(estimator.means_, direct.params.means)


def test_prior_and_stopping_reach_fit_gmm(blobs):
    estimator = GaussianMixture(2, covariance_type="diag", prior="default", stopping="aitken", random_state=0)
    direct = emlib.fit_gmm(blobs, 2, covariance_type="diag", prior="default", stopping="aitken", random_state=0)
    estimator.fit(blobs)
    np.testing.assert_array_equal(estimator.covariances_, direct.params.covariances.diagonal(axis1=1, axis2=2))
    assert estimator.n_iter_ == direct.n_iter
    assert estimator.lower_bound_ == pytest.approx(direct.objectives[-1] / blobs.shape[0], rel=1e-12)


def test_warm_start_continues_the_previous_fit(blobs):
    estimator = GaussianMixture(3, random_state=0, warm_start=True, max_iter=2, tol=0.0)
    with pytest.warns(emlib.ConvergenceWarning):
        estimator.fit(blobs)
    first = estimator.fit_result_
    with pytest.warns(emlib.ConvergenceWarning):
        estimator.fit(blobs)
    second = estimator.fit_result_
    # the second fit starts where the first stopped
    assert second.log_likelihoods[0] == pytest.approx(first.log_likelihoods[-1], rel=1e-12)
    # and two iterations in each of two fits equal four in one
    with pytest.warns(emlib.ConvergenceWarning):
        direct = emlib.fit_gmm(blobs, 3, random_state=0, max_iter=4, tol=0.0)
    np.testing.assert_allclose(second.params.means, direct.params.means, rtol=1e-12)
    assert not np.allclose(first.params.means, direct.params.means, rtol=1e-6)
    # a cold refit forgets the previous fit
    cold = estimator.set_params(warm_start=False)
    with pytest.warns(emlib.ConvergenceWarning):
        cold.fit(blobs)
    np.testing.assert_allclose(cold.fit_result_.params.means, first.params.means, rtol=1e-12)
    # a warm start cannot change the shape of the model
    estimator.set_params(warm_start=True, max_iter=100, tol=1e-6)
    with pytest.raises(ValueError, match="warm_start=True: X has 1 features"):
        estimator.fit(blobs[:, :1])
    with pytest.raises(ValueError, match="warm_start=True: n_components is 2"):
        estimator.set_params(n_components=2).fit(blobs)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score", "bic", "aic"])
def test_methods_before_fit_raise_not_fitted(method):
    estimator = GaussianMixture()
    with pytest.raises(NotFittedError, match="This GaussianMixture instance is not fitted yet"):
        getattr(estimator, method)(np.zeros((3, 2)))
    with pytest.raises(SkNotFittedError):  # scikit-learn is loaded here, so it is also sklearn's
        getattr(estimator, method)(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        getattr(estimator, method)(np.zeros((3, 2)))
    with pytest.raises(AttributeError):
        getattr(estimator, method)(np.zeros((3, 2)))


def test_sample_before_fit_and_not_fitted_error_pickles():
    with pytest.raises(NotFittedError) as caught:
        GaussianMixture().sample(2)
    restored = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(restored, NotFittedError) and str(restored) == str(caught.value)
    with pytest.raises(SkNotFittedError):
        check_is_fitted(GaussianMixture())
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)


def test_sample_shapes_and_reproducibility(blobs):
    estimator = GaussianMixture(3, random_state=3).fit(blobs)
    X, labels = estimator.sample(1000)
    assert X.shape == (1000, 2) and labels.shape == (1000,)
    assert set(np.unique(labels)) == {0, 1, 2}
    again, again_labels = estimator.sample(1000)  # an int seed: the same sample, as in scikit-learn
    np.testing.assert_array_equal(X, again)
    np.testing.assert_array_equal(labels, again_labels)
    # the sample follows the fitted mixture
    np.testing.assert_allclose(np.bincount(labels) / 1000, estimator.weights_, atol=0.05)
    generator = estimator.set_params(random_state=np.random.default_rng(0))
    first, _ = generator.sample(5)
    second, _ = generator.sample(5)
    assert not np.array_equal(first, second)  # a Generator is advanced
    legacy = estimator.set_params(random_state=np.random.RandomState(0))
    assert legacy.sample(3)[0].shape == (3, 2)
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        estimator.sample(0)


def test_wrong_number_of_features_is_named(blobs):
    estimator = GaussianMixture(2, random_state=0).fit(blobs)
    for method in ("predict", "predict_proba", "score_samples", "score", "bic", "aic"):
        with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture is expecting 2 features as input."):
            getattr(estimator, method)(np.zeros((4, 3)))


class _FakeDataFrame:
    """The two things scikit-learn's feature-name rules read from a dataframe: columns and values."""

    def __init__(self, values, columns):
        self.values, self.columns = np.asarray(values), list(columns)

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def test_feature_names_follow_sklearns_rules(blobs):
    names = ["x0", "x1"]
    estimator = GaussianMixture(3, random_state=0).fit(_FakeDataFrame(blobs, names))
    assert estimator.feature_names_in_.dtype == object
    np.testing.assert_array_equal(estimator.feature_names_in_, names)
    np.testing.assert_array_equal(estimator.predict(_FakeDataFrame(blobs, names)), estimator.fit_result_.predict(blobs))
    with pytest.raises(ValueError, match="Feature names must be in the same order as they were in fit"):
        estimator.predict(_FakeDataFrame(blobs, names[::-1]))
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- y0\n"):
        estimator.score(_FakeDataFrame(blobs, ["x0", "y0"]))
    with pytest.warns(UserWarning, match="X does not have valid feature names, but GaussianMixture was fitted with"):
        estimator.predict(blobs)
    # integer column names are not feature names; mixed ones are an error
    unnamed = GaussianMixture(3, random_state=0).fit(_FakeDataFrame(blobs, [0, 1]))
    assert not hasattr(unnamed, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names, but GaussianMixture was fitted without"):
        unnamed.predict(_FakeDataFrame(blobs, names))
    with pytest.raises(TypeError, match="Feature names are only supported if all input features have string names"):
        GaussianMixture().fit(_FakeDataFrame(blobs, ["x0", 1]))
    # refitting on plain arrays forgets the names
    assert not hasattr(estimator.fit(blobs), "feature_names_in_")


def test_dataframe_and_series_like_inputs(blobs):
    _check_dataframe_and_series_like_inputs(blobs)


def _check_dataframe_and_series_like_inputs(blobs):
    """What check_sample_weights_pandas_series does, with a stand-in for pandas (not installed)."""
    weights = np.ones(len(blobs))
    weights[:100] = 3.0
    fitted = GaussianMixture(3, random_state=0).fit(
        _FakeDataFrame(blobs, ["a", "b"]), sample_weight=_FakeDataFrame(weights, ["w"])
    )
    reference = GaussianMixture(3, random_state=0).fit(blobs, sample_weight=weights)
    np.testing.assert_array_equal(fitted.means_, reference.means_)
    assert fitted.score(_FakeDataFrame(blobs, ["a", "b"]), sample_weight=_FakeDataFrame(weights, ["w"])) == (
        reference.score(blobs, sample_weight=weights)
    )


def test_verbose_prints_progress_live_through_the_callback(blobs, capsys, monkeypatch):
    """Lines come while fit_gmm runs (from its callback), for every one of the n_init runs."""
    seen = []

    def fit_gmm_spy(*args, callback=None, **kwargs):
        def spy(iteration, params, log_likelihood, objective):
            seen.append((iteration, capsys.readouterr().out))  # what was printed before this call
            callback(iteration, params, log_likelihood, objective)

        return emlib.fit_gmm(*args, callback=spy, **kwargs)

    monkeypatch.setattr(emlib.estimator, "fit_gmm", fit_gmm_spy)
    estimator = GaussianMixture(3, random_state=0, n_init=2, verbose=2, verbose_interval=2).fit(blobs)
    printed = "".join(out for _, out in seen) + capsys.readouterr().out
    result = estimator.fit_result_
    # live: each line is out before the next call of the callback, long before fit returns
    starts = [t for t, (iteration, _) in enumerate(seen) if iteration == 0]
    assert len(starts) == 2
    assert seen[starts[0] + 1][1] == f"Initialization 0 ({emlib.starts.DEFAULT_START})\n"
    assert seen[starts[0] + 3][1].startswith("  Iteration 2\t objective per sample")
    # the first run's last line is printed when the second run starts
    assert seen[starts[1] + 1][1].startswith("Initialization 0 converged after")
    assert seen[starts[1] + 1][1].endswith(f"Initialization 1 ({emlib.starts.DEFAULT_START})\n")
    lines = printed.splitlines()
    assert lines[0] == f"Initialization 0 ({emlib.starts.DEFAULT_START})"
    iteration_lines = [line for line in lines if line.startswith("  Iteration")]
    assert iteration_lines and all(int(line.split()[1]) % 2 == 0 for line in iteration_lines)
    assert all("\t change " in line and "\t time lapse " in line for line in iteration_lines)
    ends = [line for line in lines if line.startswith("Initialization ") and " after " in line]
    assert len(ends) == 2 and all(" converged after " in line for line in ends)
    assert lines[-1].startswith("Kept initialization ")
    assert f"of 2 (converged after {result.n_iter} iterations): objective per sample" in lines[-1]
    assert lines[-1].endswith(f"{estimator.lower_bound_:.10g}")


def test_verbose_levels_interval_and_starts(blobs, capsys):
    with pytest.warns(emlib.ConvergenceWarning):
        fit = emlib.fit_gmm(blobs, 3, random_state=0, max_iter=7, tol=0.0)
    with pytest.warns(emlib.ConvergenceWarning):
        GaussianMixture(3, random_state=0, verbose=1, verbose_interval=3, max_iter=7, tol=0.0).fit(blobs)
    assert capsys.readouterr().out.splitlines() == [
        f"Initialization 0 ({emlib.starts.DEFAULT_START})",
        "  Iteration 3",
        "  Iteration 6",
        f"Initialization 0 did not converge after 7 iterations: objective per sample {fit.objectives[-1] / 400:.10g}",
    ]
    estimator = GaussianMixture(3, means_init=TRUTH.means, warm_start=True, verbose=1, max_iter=0).fit(blobs)
    assert capsys.readouterr().out.splitlines() == [
        "Initialization 0 (means_init)",
        f"Initialization 0 did not converge after 0 iterations: objective per sample {estimator.lower_bound_:.10g}",
    ]
    estimator.set_params(max_iter=1000).fit(blobs)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Initialization 0 (warm start)"
    assert lines[-1].startswith(f"Initialization 0 converged after {estimator.n_iter_} iterations")
    GaussianMixture(3, random_state=0).fit(blobs)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
_X = np.random.default_rng(0).normal(size=(30, 2))
_M = np.array([[-1.0, 0.0], [1.0, 0.0]])


@pytest.mark.parametrize(
    "params, X, fit_kwargs, error, match",
    [
        ({"n_components": 0}, _X, {}, ValueError, "n_components must be >= 1"),
        ({"n_components": 2.5}, _X, {}, TypeError, "n_components must be an integer"),
        ({"n_components": 31}, _X, {}, ValueError, r"n_components \(31\) must not exceed"),
        ({"covariance_type": "banana"}, _X, {}, ValueError, "covariance_type must be one of"),
        ({"tol": -1.0}, _X, {}, ValueError, "tol must be a finite number >= 0"),
        ({"reg_covar": -1e-6}, _X, {}, ValueError, "reg_covar must be a finite number >= 0"),
        ({"reg_covar": "1e-6"}, _X, {}, TypeError, "reg_covar must be a real number"),
        ({"max_iter": -1}, _X, {}, ValueError, "max_iter must be >= 0"),
        ({"n_init": 0}, _X, {}, ValueError, "n_init must be >= 1"),
        ({"init_params": "banana"}, _X, {}, ValueError, "init_params must be one of 'random'"),
        ({"init_params": 3}, _X, {}, ValueError, "init_params must be one of"),
        ({"prior": "flat"}, _X, {}, ValueError, "prior must be None, 'default'"),
        ({"prior": "default", "reg_covar": 1e-3}, _X, {}, ValueError, "give either prior or reg_covar"),
        ({"stopping": "never"}, _X, {}, ValueError, "stopping must be one of"),
        ({"random_state": "seed"}, _X, {}, TypeError, "random_state must be None"),
        ({"random_state": -3}, _X, {}, ValueError, "random_state must be a non-negative integer seed"),
        ({"warm_start": "yes"}, _X, {}, TypeError, "warm_start must be True or False"),
        ({"verbose": -1}, _X, {}, ValueError, "verbose must be >= 0"),
        ({"verbose_interval": 0}, _X, {}, ValueError, "verbose_interval must be >= 1"),
        ({"n_components": 2, "weights_init": [0.5, 0.5]}, _X, {}, ValueError, "means_init is required"),
        ({"n_components": 2, "means_init": _M[:1]}, _X, {}, ValueError, r"means_init must have shape \(2, 2\)"),
        ({"n_components": 2, "means_init": [["a", "b"], ["c", "d"]]}, _X, {}, TypeError, "means_init must hold real"),
        ({"n_components": 2, "means_init": [[np.nan, 0], [0, 0]]}, _X, {}, ValueError, "means_init contains NaN"),
        ({"n_components": 2, "means_init": _M, "n_init": 2}, _X, {}, ValueError, "n_init must be 1 when"),
        (
            {"n_components": 2, "means_init": [[0.0, 0.0], [1e3, 1e3]]},
            _X,
            {},
            ValueError,
            r"means_init\[1\] is the nearest mean of no row",
        ),
        (
            {"n_components": 2, "means_init": _M, "weights_init": [0.6, 0.6]},
            _X,
            {},
            ValueError,
            "weights_init must sum to 1",
        ),
        (
            {"n_components": 2, "means_init": _M, "weights_init": [1.5, -0.5]},
            _X,
            {},
            ValueError,
            "weights_init must be non-negative",
        ),
        (
            {"n_components": 2, "means_init": _M, "weights_init": [1.0]},
            _X,
            {},
            ValueError,
            r"weights_init must have shape \(2,\)",
        ),
        (
            {"n_components": 2, "means_init": _M, "precisions_init": np.eye(2)},
            _X,
            {},
            ValueError,
            r"precisions_init must have shape \(2, 2, 2\)",
        ),
        (
            {"n_components": 2, "means_init": _M, "precisions_init": np.stack([np.eye(2), -np.eye(2)])},
            _X,
            {},
            ValueError,
            r"precisions_init\[1\] is not positive definite",
        ),
        (
            {"n_components": 2, "means_init": _M, "precisions_init": np.array([[[1.0, 0.5], [0.0, 1.0]]] * 2)},
            _X,
            {},
            ValueError,
            r"precisions_init\[0\] is not symmetric",
        ),
        (
            {"n_components": 2, "means_init": _M, "covariance_type": "tied", "precisions_init": np.ones((2, 2, 2))},
            _X,
            {},
            ValueError,
            r"precisions_init must have shape \(2, 2\)",
        ),
        (
            {"n_components": 2, "means_init": _M, "covariance_type": "diag", "precisions_init": [[1.0, 0.0], [1, 1]]},
            _X,
            {},
            ValueError,
            "precisions_init must be positive",
        ),
        (
            {"n_components": 2, "means_init": _M, "covariance_type": "spherical", "precisions_init": [1.0]},
            _X,
            {},
            ValueError,
            r"precisions_init must have shape \(2,\)",
        ),
        ({}, _X[:, 0], {}, ValueError, "Reshape your data"),
        ({}, _X[:0], {}, ValueError, r"Found array with 0 sample\(s\)"),
        ({}, _X[:, :0], {}, ValueError, r"Found array with 0 feature\(s\)"),
        ({}, np.where(_X > 1, np.inf, _X), {}, ValueError, "X contains NaN or infinite values"),
        ({}, _X + 1j, {}, ValueError, "Complex data not supported"),
        ({}, _X.astype(str), {}, TypeError, "X must hold real numbers"),
        ({}, [[1.0, 2.0], [3.0]], {}, ValueError, "X must be a rectangular 2-D array"),
        ({}, np.array([[1.0, {}]], dtype=object), {}, TypeError, "X has dtype object and could not be converted"),
        ({}, _X, {"sample_weight": np.ones(29)}, ValueError, "sample_weight must have one entry per row"),
        ({}, _X, {"sample_weight": -np.ones(30)}, ValueError, "sample_weight must be non-negative"),
        ({}, _X, {"sample_weight": np.zeros(30)}, ValueError, "sample_weight must have a positive sum"),
    ],
)
def test_bad_input_gives_a_clear_error(params, X, fit_kwargs, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(**params).fit(X, **fit_kwargs)


def test_sparse_input_is_refused_clearly():
    from scipy import sparse

    with pytest.raises(TypeError, match="X is a scipy sparse matrix"):
        GaussianMixture().fit(sparse.csr_array(_X))
    fitted = GaussianMixture().fit(_X)
    with pytest.raises(TypeError, match="sparse"):
        fitted.predict(sparse.csr_matrix(_X))


def test_valid_input_forms_are_accepted():
    """Lists, integers, float32, object arrays of numbers and read-only arrays fit like float64."""
    reference = GaussianMixture(2, random_state=0).fit(_X).means_
    rounded = np.round(_X * 100)
    for X in (_X.tolist(), _X.astype(object), np.asfortranarray(_X)):
        np.testing.assert_array_equal(GaussianMixture(2, random_state=0).fit(X).means_, reference)
    read_only = _X.copy()
    read_only.flags.writeable = False
    np.testing.assert_array_equal(GaussianMixture(2, random_state=0).fit(read_only).means_, reference)
    np.testing.assert_allclose(
        GaussianMixture(2, random_state=0).fit(rounded.astype(np.int32)).means_,
        GaussianMixture(2, random_state=0).fit(rounded).means_,
    )
    assert GaussianMixture(2, random_state=0).fit(_X.astype(np.float32)).means_.dtype == np.float64


# ----------------------------------------------------------------------------------------------
# no scikit-learn at run time
# ----------------------------------------------------------------------------------------------
def test_emlib_works_without_sklearn():
    code = """
import sys
import warnings
sys.modules["sklearn"] = None  # any import of scikit-learn now fails
warnings.simplefilter("error")
import numpy as np
import emlib
from emlib.estimator import GaussianMixture, NotFittedError
params = emlib.GMMParams([0.5, 0.5], [[0.0, 0.0], [6.0, 6.0]], [np.eye(2), np.eye(2)])
X, labels = emlib.datasets.sample_gmm(params, 200, 0)
try:
    GaussianMixture().predict(X)
except NotFittedError as error:
    assert type(error) is NotFittedError, type(error).__mro__
estimator = GaussianMixture(2, random_state=0).fit(X)
predicted = estimator.predict(X)
agreement = max(np.mean(predicted == labels), np.mean(predicted != labels))
assert agreement == 1.0, agreement
assert estimator.sample(5)[0].shape == (5, 2)
assert np.isfinite(estimator.bic(X)) and emlib.GaussianMixtureModel().n_parameters(params) == 11
assert estimator.bic(X) == estimator.fit_result_.bic(X)
loaded = [name for name, module in sys.modules.items() if name.split(".")[0] == "sklearn" and module is not None]
assert not loaded, loaded
print("ok")
"""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
