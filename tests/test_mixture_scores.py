"""The scores of a mixture against independent computations: scipy.stats and scikit-learn (a test-only oracle).

What is tested is the one implementation every caller shares: the methods of
:class:`emlib.MixtureModel` (``predict``, ``predict_proba``, ``score_samples``, ``bic``, ``aic``,
``n_parameters``, ``sample``) on :class:`emlib.GaussianMixtureModel`, and the methods of
:class:`emlib.EMResult`, which call them with the fitted parameters (the scikit-learn-style
estimator calls the result's; ``tests/test_estimator.py`` checks that).

scikit-learn's GaussianMixture is given the same parameters by hand (its private
``_compute_precision_cholesky`` and ``_set_parameters``, which are not emlib code), so its
``score_samples``, ``predict_proba``, ``_n_parameters``, ``bic`` and ``aic`` are computed by
scikit-learn alone.
"""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import binom, multivariate_normal
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

import emlib
from emlib.gaussian_mixture import n_parameters

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
METHODS = ("em", "hard", "squarem")


def _sklearn_mixture(params, covariance_type):
    """scikit-learn's GaussianMixture holding ``params`` (whose covariances have that structure)."""
    covariances = np.array(params.covariances)
    reduced = {
        "full": covariances,
        "tied": covariances[0],
        "diag": np.diagonal(covariances, axis1=1, axis2=2).copy(),
        "spherical": covariances[:, 0, 0].copy(),
    }[covariance_type]
    gm = SkGaussianMixture(n_components=params.n_components, covariance_type=covariance_type)
    gm._set_parameters(
        (
            np.array(params.weights),
            np.array(params.means),
            reduced,
            _compute_precision_cholesky(reduced, covariance_type),
        )
    )
    gm.n_features_in_ = params.n_features
    return gm


def _scipy_log_joint(X, params):
    """log π_k + log N(x_n | μ_k, Σ_k) from scipy.stats, shape (N, K)."""
    with np.errstate(divide="ignore"):  # log 0 = -inf for a component of weight zero
        log_weights = np.log(params.weights)
    return np.column_stack(
        [
            log_weights[k] + multivariate_normal(params.means[k], params.covariances[k]).logpdf(X)
            for k in range(params.n_components)
        ]
    ).reshape(len(X), params.n_components)


@pytest.fixture(params=COVARIANCE_TYPES)
def case(request, h):
    """(X, params, model): parameters with the structure of the covariance type, data near them, the model."""
    covariance_type = request.param
    rng = np.random.default_rng(7)
    params = h.random_params(rng, 3, 4, covariance_type, spread=2.0)
    X, _ = h.sample(params, 200, rng)
    return X, params, emlib.GaussianMixtureModel(covariance_type)


@pytest.fixture
def simple():
    """(X, params): three rows and a two-component mixture in two dimensions."""
    params = emlib.GMMParams([0.5, 0.5], [[0.0, 0.0], [3.0, 3.0]], np.stack([np.eye(2)] * 2))
    X = np.array([[0.0, 0.1], [2.9, 3.0], [1.0, 1.0]])
    return X, params


@pytest.fixture(params=COVARIANCE_TYPES, scope="module")
def fitted(request):
    """(X, fit): a fit_gmm result (default prior) on well-separated data, for each covariance type."""
    truth = emlib.GMMParams(
        [0.3, 0.3, 0.4],
        [[-4.0, 0.0], [4.0, 1.0], [0.0, 6.0]],
        [[[1.0, 0.3], [0.3, 0.8]], [[0.7, -0.2], [-0.2, 1.2]], [[1.1, 0.0], [0.0, 0.6]]],
    )
    X, _ = emlib.datasets.sample_gmm(truth, 300, 0)
    return X, emlib.fit_gmm(X, 3, covariance_type=request.param, random_state=0)


# ----------------------------------------------------------------------------------------------
# the model's methods against scipy.stats and scikit-learn
# ----------------------------------------------------------------------------------------------
def test_score_samples_matches_scipy_and_sklearn(case):
    X, params, model = case
    ours = model.score_samples(X, params)
    assert ours.shape == (len(X),)
    np.testing.assert_allclose(ours, logsumexp(_scipy_log_joint(X, params), axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours, _sklearn_mixture(params, model.covariance_type).score_samples(X), rtol=1e-10)
    # summed, it is the log-likelihood (book eq. gmm-log-likelihood), by the model and by the functional API
    assert ours.sum() == pytest.approx(model.log_likelihood(X, params), rel=1e-13)
    assert ours.sum() == pytest.approx(emlib.log_likelihood(X, params), rel=1e-13)


def test_predict_proba_and_predict_match_scipy_and_sklearn(case):
    X, params, model = case
    sk = _sklearn_mixture(params, model.covariance_type)
    proba = model.predict_proba(X, params)
    joint = _scipy_log_joint(X, params)
    expected = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(proba, sk.predict_proba(X), rtol=1e-9, atol=1e-14)
    np.testing.assert_array_equal(proba, model.e_step(X, params))  # the E-step itself
    np.testing.assert_allclose(proba, emlib.e_step(X, params), rtol=1e-14, atol=1e-300)
    labels = model.predict(X, params)
    assert labels.shape == (len(X),) and labels.dtype.kind == "i"
    np.testing.assert_array_equal(labels, np.argmax(joint, axis=1))
    np.testing.assert_array_equal(labels, sk.predict(X))
    assert len(np.unique(labels)) == 3  # the comparison is not between constant labels


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("k, d", [(1, 1), (2, 3), (4, 5)])
def test_n_parameters_matches_sklearn(h, covariance_type, k, d):
    params = h.random_params(np.random.default_rng(k * 10 + d), k, d, covariance_type)
    expected = {"full": k * d * (d + 1) // 2, "diag": k * d, "spherical": k, "tied": d * (d + 1) // 2}
    p = emlib.GaussianMixtureModel(covariance_type).n_parameters(params)
    assert isinstance(p, int)
    assert p == (k - 1) + k * d + expected[covariance_type]
    assert p == n_parameters(k, d, covariance_type)
    assert p == _sklearn_mixture(params, covariance_type)._n_parameters()
    # the count is the model's structure, not the prior's: the same with any reg_covar
    assert emlib.GaussianMixtureModel(covariance_type, reg_covar=0.1).n_parameters(params) == p


def test_bic_and_aic_match_sklearn(case):
    X, params, model = case
    sk = _sklearn_mixture(params, model.covariance_type)
    assert model.bic(X, params) == pytest.approx(sk.bic(X), rel=1e-11)
    assert model.aic(X, params) == pytest.approx(sk.aic(X), rel=1e-11)
    # and the formulas with an independent log-likelihood
    ll = logsumexp(_scipy_log_joint(X, params), axis=1).sum()
    p = model.n_parameters(params)
    assert model.bic(X, params) == pytest.approx(-2 * ll + p * np.log(len(X)), rel=1e-11)
    assert model.aic(X, params) == pytest.approx(-2 * ll + 2 * p, rel=1e-11)


def test_weighted_bic_and_aic_equal_repeated_rows(h):
    """Integer weights give the criteria of the data with each row repeated w_n times."""
    rng = np.random.default_rng(3)
    params = h.random_params(rng, 2, 3, "diag")
    X, _ = h.sample(params, 60, rng)
    w = rng.integers(0, 4, size=len(X))
    repeated = np.repeat(X, w, axis=0)
    model = emlib.GaussianMixtureModel("diag")
    for criterion in (model.bic, model.aic):
        weighted = criterion(X, params, sample_weight=w)
        assert weighted == pytest.approx(criterion(repeated, params), rel=1e-12)
        assert weighted != pytest.approx(criterion(X, params), rel=1e-3)  # the weights matter
    assert model.log_likelihood(X, params, sample_weight=w) == pytest.approx(
        model.score_samples(repeated, params).sum(), rel=1e-12
    )


def test_a_zero_weight_component_contributes_nothing(h):
    rng = np.random.default_rng(5)
    params = h.random_params(rng, 3, 2)
    dropped = emlib.GMMParams([0.4, 0.0, 0.6], params.means, params.covariances)
    kept = emlib.GMMParams([0.4, 0.6], params.means[[0, 2]], params.covariances[[0, 2]])
    X, _ = h.sample(params, 50, rng)
    model = emlib.GaussianMixtureModel()
    np.testing.assert_allclose(model.score_samples(X, dropped), model.score_samples(X, kept), rtol=1e-13)
    np.testing.assert_allclose(
        model.score_samples(X, dropped), logsumexp(_scipy_log_joint(X, dropped), axis=1), rtol=1e-12
    )
    proba = model.predict_proba(X, dropped)
    assert np.all(proba[:, 1] == 0.0)
    np.testing.assert_allclose(proba[:, [0, 2]], model.predict_proba(X, kept), rtol=1e-12, atol=1e-300)
    assert not np.any(model.predict(X, dropped) == 1)
    # it still counts in the parameter count, as in scikit-learn
    assert model.n_parameters(dropped) == model.n_parameters(kept) + 1 + 2 + 3
    assert model.bic(X, dropped) > model.bic(X, kept)
    _, labels = model.sample(dropped, 300, 0)
    assert not np.any(labels == 1)


def test_scores_are_finite_far_from_every_component():
    params = emlib.GMMParams([0.5, 0.5], [[0.0], [1.0]], [[[1e-4]], [[1e-4]]])
    far = np.array([[300.0], [-300.0]])
    model = emlib.GaussianMixtureModel()
    values = model.score_samples(far, params)
    assert np.all(np.isfinite(values))
    # log p is dominated by the nearer component: −½ (299²/1e-4) for x = 300
    assert values[0] == pytest.approx(multivariate_normal(1.0, 1e-4).logpdf(300.0) + np.log(0.5), rel=1e-12)
    assert values[1] == pytest.approx(multivariate_normal(0.0, 1e-4).logpdf(-300.0) + np.log(0.5), rel=1e-12)
    np.testing.assert_array_equal(model.predict(far, params), [1, 0])
    proba = model.predict_proba(far, params)
    assert np.all(np.isfinite(proba))
    np.testing.assert_array_equal(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba, [[0.0, 1.0], [1.0, 0.0]])  # the other is exp(−6e6): zero
    assert np.isfinite(model.bic(far, params)) and np.isfinite(model.aic(far, params))


def test_sample_shapes_labels_and_reproducibility(h):
    params = h.separated_params(np.random.default_rng(0), 3, 2, sep=20.0)
    model = emlib.GaussianMixtureModel()
    X, labels = model.sample(params, 500, 11)
    assert X.shape == (500, 2) and labels.shape == (500,) and labels.dtype.kind == "i"
    assert set(np.unique(labels)) == {0, 1, 2}
    X2, labels2 = model.sample(params, 500, np.random.default_rng(11))  # a seed is its generator
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(labels, labels2)
    assert not np.array_equal(X, model.sample(params, 500, 12)[0])
    generator = np.random.default_rng(4)
    assert not np.array_equal(model.sample(params, 5, generator)[0], model.sample(params, 5, generator)[0])
    # the same draws as the functional API's sampler
    reference, reference_labels = emlib.datasets.sample_gmm(params, 500, 11)
    np.testing.assert_array_equal(X, reference)
    np.testing.assert_array_equal(labels, reference_labels)
    # the labels are the components that generated the points: well separated, predict recovers them
    np.testing.assert_array_equal(model.predict(X, params), labels)
    # and the sample follows the mixture: weights and means
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / 500, params.weights, atol=0.07)
    for k in range(3):
        np.testing.assert_allclose(X[labels == k].mean(axis=0), params.means[k], atol=0.5)
    empty, no_labels = model.sample(params, 0, 1)
    assert empty.shape == (0, 2) and no_labels.shape == (0,)


def test_valid_input_forms_are_accepted(simple):
    """Lists and integer arrays are data too, and give the same answers as float arrays."""
    X, params = simple
    model = emlib.GaussianMixtureModel()
    integers = np.array([[0, 0], [3, 3], [1, 1]])
    np.testing.assert_array_equal(model.predict(integers.tolist(), params), model.predict(integers * 1.0, params))
    assert model.bic(integers, params) == model.bic(integers.astype(float), params)
    np.testing.assert_array_equal(
        model.score_samples(integers.astype(np.float32), params), model.score_samples(integers * 1.0, params)
    )
    assert model.aic(X, params, sample_weight=[1, 2, 0]) == model.aic(X[:2], params, sample_weight=[1.0, 2.0])


# ----------------------------------------------------------------------------------------------
# the fitted result's methods: the model's, with the fitted parameters
# ----------------------------------------------------------------------------------------------
def test_result_methods_are_the_models_with_the_fitted_parameters(fitted):
    X, fit = fitted
    model, params = fit.model, fit.params
    probe = np.vstack([X[:40], [[30.0, -30.0]]])
    for name in ("predict", "predict_proba", "score_samples", "bic", "aic"):
        np.testing.assert_array_equal(getattr(fit, name)(probe), getattr(model, name)(probe, params), err_msg=name)
        # the prior the fit used changes no score: a plain model of that structure gives the same
        plain = emlib.GaussianMixtureModel(model.covariance_type)
        np.testing.assert_array_equal(getattr(fit, name)(probe), getattr(plain, name)(probe, params), err_msg=name)
    w = np.arange(len(probe)) % 3
    assert fit.bic(probe, sample_weight=w) == model.bic(probe, params, sample_weight=w)
    assert fit.aic(probe, sample_weight=w) == model.aic(probe, params, sample_weight=w)
    drawn, labels = fit.sample(20, 5)
    expected, expected_labels = model.sample(params, 20, 5)
    np.testing.assert_array_equal(drawn, expected)
    np.testing.assert_array_equal(labels, expected_labels)


def test_result_methods_match_sklearn_and_the_fit_itself(fitted):
    X, fit = fitted
    sk = _sklearn_mixture(fit.params, fit.model.covariance_type)
    np.testing.assert_allclose(fit.score_samples(X), sk.score_samples(X), rtol=1e-11)
    np.testing.assert_allclose(fit.predict_proba(X), sk.predict_proba(X), rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(fit.predict(X), sk.predict(X))
    assert fit.bic(X) == pytest.approx(sk.bic(X), rel=1e-12)
    assert fit.aic(X) == pytest.approx(sk.aic(X), rel=1e-12)
    # on the training data: the fit's own last log-likelihood and posterior
    assert fit.score_samples(X).sum() == pytest.approx(fit.log_likelihoods[-1], rel=1e-12)
    p = n_parameters(3, 2, fit.model.covariance_type)
    assert fit.bic(X) == pytest.approx(-2 * fit.log_likelihoods[-1] + p * np.log(len(X)), rel=1e-12)
    assert fit.aic(X) == pytest.approx(-2 * fit.log_likelihoods[-1] + 2 * p, rel=1e-12)
    np.testing.assert_allclose(fit.predict_proba(X), fit.posterior, rtol=1e-9, atol=1e-12)


def test_weighted_fit_bic_uses_the_weights_as_repetitions(h):
    rng = np.random.default_rng(2)
    params = h.separated_params(rng, 2, 2, sep=8.0)
    X, _ = h.sample(params, 80, rng)
    w = rng.integers(0, 3, size=len(X))
    fit = emlib.fit_gmm(X, 2, random_state=0, sample_weight=w)
    repeated = np.repeat(X, w, axis=0)
    assert fit.bic(X, sample_weight=w) == pytest.approx(fit.bic(repeated), rel=1e-12)
    assert fit.aic(X, sample_weight=w) == pytest.approx(fit.aic(repeated), rel=1e-12)
    p = fit.model.n_parameters(fit.params)
    assert fit.bic(X, sample_weight=w) == pytest.approx(-2 * fit.log_likelihoods[-1] + p * np.log(w.sum()), rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_every_driver_returns_a_result_with_the_same_scores(h, method):
    """Hard EM's posterior is one-hot, but predict_proba is the model's posterior at the fitted parameters."""
    rng = np.random.default_rng(8)
    params = h.separated_params(rng, 2, 3, sep=6.0)
    X, labels = h.sample(params, 120, rng)
    fit = emlib.fit_gmm(X, 2, method=method, random_state=1)
    assert fit.method == method
    proba = fit.predict_proba(X)
    joint = _scipy_log_joint(X, fit.params)
    np.testing.assert_allclose(proba, np.exp(joint - logsumexp(joint, axis=1, keepdims=True)), rtol=1e-9, atol=1e-14)
    np.testing.assert_array_equal(fit.predict(X), np.argmax(joint, axis=1))
    assert max(np.mean(fit.predict(X) == labels), np.mean(fit.predict(X) != labels)) == 1.0
    again = emlib.fit_em(fit.model, X, fit.params, method=method)  # continuing a fit keeps its scores' model
    assert again.bic(X) == pytest.approx(fit.bic(X), rel=1e-9)


def test_result_methods_of_the_binomial_mixture():
    """EMResult's methods delegate to whatever mixture was fitted: here the binomial one, against scipy.stats."""
    model = emlib.BinomialMixture(n_trials=10)
    truth = emlib.BinomialMixtureParams([0.4, 0.6], [0.2, 0.8])
    heads, _ = model.sample(truth, 400, 3)
    fit = emlib.fit_em(model, heads, emlib.BinomialMixtureParams([0.5, 0.5], [0.4, 0.6]), tol=1e-10)
    assert fit.converged
    pi, p = fit.params.weights, fit.params.probabilities
    joint = np.log(pi) + binom.logpmf(heads[:, None], 10, p[None, :])
    marginal = logsumexp(joint, axis=1)
    np.testing.assert_allclose(fit.score_samples(heads), marginal, rtol=1e-12)
    np.testing.assert_allclose(fit.predict_proba(heads), np.exp(joint - marginal[:, None]), rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(fit.predict(heads), np.argmax(joint, axis=1))
    assert fit.bic(heads) == pytest.approx(-2 * marginal.sum() + 3 * np.log(400), rel=1e-12)
    assert fit.aic(heads) == pytest.approx(-2 * marginal.sum() + 2 * 3, rel=1e-12)
    drawn, drawn_labels = fit.sample(50, 9)
    expected, expected_labels = model.sample(fit.params, 50, 9)
    np.testing.assert_array_equal(drawn, expected)
    np.testing.assert_array_equal(drawn_labels, expected_labels)


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------
_MODEL = emlib.GaussianMixtureModel()


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda X, p: _MODEL.predict(X, "not params"), TypeError, "params must be an emlib.GMMParams; got str"),
        (lambda X, p: _MODEL.score_samples(X, None), TypeError, "params must be an emlib.GMMParams"),
        (lambda X, p: _MODEL.bic(X, emlib.BinomialMixtureParams([1.0], [0.5])), TypeError, "params must be an emlib"),
        (lambda X, p: _MODEL.sample({}, 3, 0), TypeError, "params must be an emlib.GMMParams"),
        (lambda X, p: _MODEL.predict(X[:, :1], p), ValueError, r"params has dimension 2 but X has 1 columns"),
        (lambda X, p: _MODEL.aic(np.hstack([X, X]), p), ValueError, r"params has dimension 2 but X has 4 columns"),
        (lambda X, p: _MODEL.predict_proba(X[0], p), ValueError, "X must be a 2-D array"),
        (lambda X, p: _MODEL.score_samples(np.where(X > 2, np.nan, X), p), ValueError, "X contains NaN"),
        (lambda X, p: _MODEL.predict(np.where(X > 2, np.inf, X), p), ValueError, "X contains NaN or infinite"),
        (lambda X, p: _MODEL.score_samples(X.astype(str), p), TypeError, "X must hold real numbers"),
        (lambda X, p: _MODEL.bic(X[:0], p), ValueError, "X must have at least one row"),
        (lambda X, p: _MODEL.aic(X, p, sample_weight=[1.0, 2.0]), ValueError, "sample_weight must have one entry"),
        (lambda X, p: _MODEL.bic(X, p, sample_weight=[1.0, -1.0, 1.0]), ValueError, "must be non-negative"),
        (lambda X, p: _MODEL.bic(X, p, sample_weight=[0.0, 0.0, 0.0]), ValueError, "sample_weight .* positive sum"),
        (lambda X, p: _MODEL.bic(X, p, [1.0, 1.0, 1.0]), TypeError, "positional argument"),  # keyword-only
        (lambda X, p: _MODEL.sample(p, -1, 0), ValueError, "n_samples must be >= 0"),
        (lambda X, p: _MODEL.sample(p, 2.5, 0), TypeError, "n_samples must be an integer"),
        (lambda X, p: _MODEL.sample(p, 3, None), TypeError, "rng must be a numpy.random.Generator or a non-neg"),
        (lambda X, p: _MODEL.sample(p, 3, -1), ValueError, "rng must be a non-negative integer seed"),
        (lambda X, p: _MODEL.sample(p, 3, "seed"), TypeError, "rng must be"),
        (lambda X, p: emlib.GaussianMixtureModel("banana"), ValueError, "covariance_type must be one of"),
        (lambda X, p: emlib.GaussianMixtureModel(reg_covar=-1.0), ValueError, "reg_covar must be a finite number"),
    ],
)
def test_bad_input_to_the_model_gives_a_clear_error(simple, call, error, match):
    X, params = simple
    with pytest.raises(error, match=match):
        call(X, params)


def test_bad_input_to_the_result_gives_the_models_errors(simple):
    X, _ = simple
    fit = emlib.fit_gmm(np.random.default_rng(0).normal(size=(40, 2)), 2, random_state=0)
    with pytest.raises(ValueError, match="params has dimension 2 but X has 1 columns"):
        fit.predict(X[:, :1])
    with pytest.raises(ValueError, match="X contains NaN"):
        fit.score_samples(np.where(X > 2, np.nan, X))
    with pytest.raises(ValueError, match="sample_weight must have one entry"):
        fit.bic(X, sample_weight=[1.0])
    with pytest.raises(TypeError, match="positional argument"):
        fit.aic(X, [1.0, 1.0, 1.0])  # keyword-only, as on the model
    with pytest.raises(TypeError, match="rng must be"):
        fit.sample(3, None)  # a sample must be reproducible
    with pytest.raises(ValueError, match="n_samples must be >= 0"):
        fit.sample(-2, 0)


def test_result_of_a_model_that_is_not_a_mixture_says_so():
    class Counter:  # any object: the result only forwards to the model's methods
        pass

    result = emlib.EMResult(
        model=Counter(),
        params=None,
        log_likelihoods=[0.0],
        objectives=[0.0],
        n_iter=0,
        converged=False,
        posterior=None,
        method="em",
        n_evaluations=0,
    )
    for name, args in [("predict", ([[0.0]],)), ("sample", (3, 0))]:
        with pytest.raises(TypeError, match=f"{name} is defined for mixture models; Counter has none"):
            getattr(result, name)(*args)
    with pytest.raises(TypeError, match="bic needs the model's n_parameters; Counter has none"):
        result.bic([[0.0]])


def test_n_parameters_of_non_parameters_is_a_clear_error():
    with pytest.raises(TypeError, match="params must be an emlib.GMMParams"):
        emlib.GaussianMixtureModel().n_parameters(np.eye(2))
