"""The variational Bayesian Gaussian mixture (emlib/variational.py; Bishop 2006, §10.2).

Every check is against an independent computation: scikit-learn's BayesianGaussianMixture
(dirichlet_distribution, full covariances) stepped by hand from the same responsibilities; the
closed-form evidence of the Normal-Wishart model (Murphy 2012, eq. 4.215) and the chain of its
Student-t predictive densities (scipy.stats.multivariate_t); a Monte Carlo KL divergence with
scipy.stats.wishart; the exact evidence of a small mixture by summing over every labelling; the
same fit with repeated rows in place of weights.
"""

from __future__ import annotations

import doctest
import itertools
import warnings

import numpy as np
import pytest
from scipy.special import gammaln, logsumexp, multigammaln
from scipy.stats import multivariate_t, wishart
from sklearn.mixture import BayesianGaussianMixture

import emlib
from emlib import variational
from emlib.variational import VariationalGaussianMixture, VariationalParams, VariationalPrior, fit_variational_gmm


def _three_clusters(seed=1, n=(80, 70, 50)):
    rng = np.random.default_rng(seed)
    return np.vstack(
        [
            rng.normal([0.0, 0.0], 1.0, (n[0], 2)),
            rng.normal([3.0, 1.0], 0.7, (n[1], 2)),
            rng.normal([-2.0, 4.0], [1.0, 0.5], (n[2], 2)),
        ]
    )


def _unconverged(function, *args, **kwargs):
    """A run with tol=0 and a few iterations, which is not meant to meet the stopping rule."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        return function(*args, **kwargs)


def _relative_error(ours, theirs):
    return float(np.max(np.abs(np.asarray(ours) - np.asarray(theirs)) / np.maximum(np.abs(theirs), 1e-300)))


def test_docstring_example():
    assert doctest.testmod(variational).failed == 0


# --- scikit-learn ---------------------------------------------------------------------------------

X_SK = _three_clusters()
EXPLICIT = dict(
    concentration=0.3,
    mean_precision=0.5,
    mean=[0.5, 1.0],
    degrees_of_freedom=4.5,
    scale_inverse=[[2.0, 0.3], [0.3, 1.0]],
)
SKLEARN_NAMES = dict(
    concentration="weight_concentration_prior",
    mean_precision="mean_precision_prior",
    mean="mean_prior",
    degrees_of_freedom="degrees_of_freedom_prior",
    scale_inverse="covariance_prior",
)


def _sklearn(K, prior_arguments):
    sk = BayesianGaussianMixture(
        n_components=K,
        weight_concentration_prior_type="dirichlet_distribution",
        covariance_type="full",
        reg_covar=0.0,
        **{SKLEARN_NAMES[name]: value for name, value in prior_arguments.items()},
    )
    sk._check_parameters(X_SK)
    return sk


def _sklearn_params(sk):
    return (sk.weight_concentration_, sk.mean_precision_, sk.means_, sk.degrees_of_freedom_, sk.covariances_)


def _emlib_params(params: VariationalParams):
    return (
        params.concentration,
        params.mean_precision,
        params.means,
        params.degrees_of_freedom,
        params.expected_covariances,
    )


def test_default_prior_is_scikit_learns():
    sk = _sklearn(4, {})
    prior = VariationalPrior().resolve(X_SK, 4)
    assert prior.concentration == sk.weight_concentration_prior_ == 0.25
    assert prior.mean_precision == sk.mean_precision_prior_ == 1.0
    assert prior.degrees_of_freedom == sk.degrees_of_freedom_prior_ == 2.0
    np.testing.assert_allclose(prior.mean, sk.mean_prior_, rtol=1e-14)
    np.testing.assert_allclose(prior.scale_inverse, sk.covariance_prior_, rtol=1e-13)  # np.cov(X.T), ddof=1


@pytest.mark.parametrize("prior_arguments", [{}, EXPLICIT], ids=["default prior", "explicit prior"])
def test_iterations_match_scikit_learn(prior_arguments):
    # Bishop eqs. 10.46-10.66 (both steps) and 10.70-10.77 (the bound): sklearn stepped by hand from the same resp
    K, n_iter = 4, 25
    rng = np.random.default_rng(7)
    responsibilities = rng.dirichlet(np.ones(K), size=len(X_SK))
    sk = _sklearn(K, prior_arguments)
    sk._initialize(X_SK, responsibilities)
    model = VariationalGaussianMixture(VariationalPrior(**prior_arguments))
    weights = np.ones(len(X_SK))
    start = model.maximization(X_SK, weights, responsibilities, None)
    for ours, theirs in zip(_emlib_params(start), _sklearn_params(sk), strict=True):
        assert _relative_error(ours, theirs) < 1e-13

    sk_bounds, our_bounds = [], []
    params = start
    for _ in range(n_iter):
        _, log_resp = sk._e_step(X_SK)
        sk._m_step(X_SK, log_resp)
        sk_bounds.append(sk._compute_lower_bound(log_resp, None))  # at (q(z), q(θ) updated from it)
        estep = model.expectation(X_SK, weights, params)
        params = model.maximization(X_SK, weights, estep.statistics, params)
        our_bounds.append(model.lower_bound(X_SK, estep.statistics, params))
    for ours, theirs in zip(_emlib_params(params), _sklearn_params(sk), strict=True):
        assert _relative_error(ours, theirs) < 1e-10  # measured ≤ 5e-12
    # sklearn drops the terms that depend only on the data and the prior: the increments must agree
    assert np.max(np.abs(np.diff(our_bounds) - np.diff(sk_bounds))) < 1e-8  # measured ≤ 1.5e-12
    assert np.ptp(np.array(our_bounds) - np.array(sk_bounds)) < 1e-8
    assert np.any(np.abs(np.diff(sk_bounds)) > 1.0)  # the increments compared are not all negligible

    # the common driver from the same start takes the same steps
    fit = _unconverged(emlib.fit_em, model, X_SK, start, max_iter=n_iter, tol=0.0)
    for ours, theirs in zip(_emlib_params(fit.params), _sklearn_params(sk), strict=True):
        assert _relative_error(ours, theirs) < 1e-10
    np.testing.assert_allclose(fit.predict_proba(X_SK), sk.predict_proba(X_SK), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(fit.predict(X_SK), sk.predict(X_SK))


# --- K = 1: the mean-field family holds the exact posterior -----------------------------------------


def _normal_wishart_evidence(X, beta0, m0, nu0, scale_inverse0):
    """log p(X) of x_n ~ N(μ, Λ⁻¹), (μ, Λ) ~ NW(m₀, β₀, W₀, ν₀): Murphy (2012) eq. 4.215, S₀ = W₀⁻¹."""
    N, D = X.shape
    mean = X.mean(axis=0)
    scatter = (X - mean).T @ (X - mean)
    offset = mean - m0
    beta_n, nu_n = beta0 + N, nu0 + N
    scale_n = scale_inverse0 + scatter + beta0 * N / beta_n * np.outer(offset, offset)
    return (
        -0.5 * N * D * np.log(np.pi)
        + multigammaln(nu_n / 2, D)
        - multigammaln(nu0 / 2, D)
        + 0.5 * nu0 * np.linalg.slogdet(scale_inverse0)[1]
        - 0.5 * nu_n * np.linalg.slogdet(scale_n)[1]
        + 0.5 * D * np.log(beta0 / beta_n)
    )


def _sequential_posterior(X, beta, m, nu, scale_inverse):
    """log p(X) = Σ_n log p(x_n | x_<n) by Student-t predictives, and the posterior NW, by rank-one updates."""
    D = X.shape[1]
    m, scale_inverse = np.array(m, float), np.array(scale_inverse, float)
    total = 0.0
    for x in X:
        df = nu - D + 1  # Bishop eq. 10.81 with one component; Murphy eq. 4.214
        total += multivariate_t(loc=m, shape=scale_inverse * (beta + 1) / (beta * df), df=df).logpdf(x)
        scale_inverse = scale_inverse + beta / (beta + 1) * np.outer(x - m, x - m)
        m = (beta * m + x) / (beta + 1)
        beta, nu = beta + 1, nu + 1
    return total, (beta, m, nu, scale_inverse)


@pytest.mark.parametrize(
    "prior_arguments", [{}, EXPLICIT | {"mean": [0.5, 1.0, -1.0], "scale_inverse": np.diag([2.0, 1.0, 0.5])}]
)
def test_one_component_elbo_is_the_normal_wishart_evidence(prior_arguments):
    rng = np.random.default_rng(2)
    X = rng.multivariate_normal([1.0, -1.0, 0.5], [[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 0.5]], size=40)
    beta0 = prior_arguments.get("mean_precision", 1.0)
    m0 = np.asarray(prior_arguments.get("mean", X.mean(axis=0)))
    nu0 = prior_arguments.get("degrees_of_freedom", 3.0)
    scale_inverse0 = np.asarray(prior_arguments.get("scale_inverse", np.cov(X.T)))
    closed_form = _normal_wishart_evidence(X, beta0, m0, nu0, scale_inverse0)
    sequential, _ = _sequential_posterior(X, beta0, m0, nu0, scale_inverse0)
    assert sequential == pytest.approx(closed_form, rel=1e-12)

    prior = None if not prior_arguments else VariationalPrior(**prior_arguments)
    fit = _unconverged(fit_variational_gmm, X, 1, prior=prior, tol=0.0, max_iter=3)
    # the start (one M-step on r = 1) already is the exact posterior: every ELBO equals log p(X)
    np.testing.assert_allclose(fit.log_likelihoods, closed_form, rtol=1e-10)  # measured ≤ 1e-15


def test_one_component_elbo_from_another_q_is_the_evidence_less_a_monte_carlo_kl():
    # L(q) = log p(X) − KL(q(μ, Λ) ‖ p(μ, Λ | X)) (Bishop eq. 10.2-10.4); the KL by sampling from q with scipy
    rng = np.random.default_rng(5)
    X = rng.multivariate_normal([0.0, 2.0], [[1.0, 0.4], [0.4, 0.8]], size=30)
    prior = VariationalPrior(mean_precision=0.5, mean=[0.0, 0.0], degrees_of_freedom=3.0, scale_inverse=np.eye(2))
    evidence, (beta_n, m_n, nu_n, scale_inverse_n) = _sequential_posterior(X, 0.5, [0.0, 0.0], 3.0, np.eye(2))
    q_beta, q_m, q_nu, q_scale_inverse = 20.0, m_n + [0.1, -0.15], 40.0, scale_inverse_n * 1.3
    q = VariationalParams.from_scale_inverse([1.0], [q_beta], [q_m], [q_nu], [q_scale_inverse])
    fit = _unconverged(emlib.fit_em, VariationalGaussianMixture(prior), X, q, max_iter=1, tol=0.0)

    S = 200_000
    q_wishart = wishart(df=q_nu, scale=np.linalg.inv(q_scale_inverse))
    precisions = q_wishart.rvs(size=S, random_state=np.random.default_rng(0))
    mean_factors = np.linalg.cholesky(np.linalg.inv(q_beta * precisions))
    means = q_m + np.einsum("sij,sj->si", mean_factors, np.random.default_rng(1).standard_normal((S, 2)))

    log_det = np.linalg.slogdet(precisions)[1]

    def log_wishart(nu, scale_inverse, matrices, log_dets):
        # the density of a Wishart(W, ν) on 2 × 2 matrices, vectorised (scipy's logpdf loops; checked against it below)
        traces = np.einsum("ij,sji->s", scale_inverse, matrices)
        return (
            0.5 * (nu - 3) * log_dets
            - 0.5 * traces
            + 0.5 * nu * np.linalg.slogdet(scale_inverse)[1]
            - nu * np.log(2.0)
            - multigammaln(nu / 2, 2)
        )

    def log_normal_wishart(beta, m, nu, scale_inverse):
        deviations = means - m
        quadratic = np.einsum("si,sij,sj->s", deviations, precisions, deviations)
        log_normal = np.log(beta / (2 * np.pi)) + 0.5 * log_det - 0.5 * beta * quadratic  # D = 2
        return log_normal + log_wishart(nu, scale_inverse, precisions, log_det)

    for nu, scale_inverse in ((q_nu, q_scale_inverse), (nu_n, scale_inverse_n)):
        scipy_density = wishart(df=nu, scale=np.linalg.inv(scale_inverse)).logpdf(np.moveaxis(precisions[:5], 0, -1))
        np.testing.assert_allclose(
            log_wishart(nu, scale_inverse, precisions[:5], log_det[:5]), scipy_density, rtol=1e-12
        )

    log_ratio = log_normal_wishart(q_beta, q_m, q_nu, q_scale_inverse) - log_normal_wishart(
        beta_n, m_n, nu_n, scale_inverse_n
    )
    kl, standard_error = log_ratio.mean(), log_ratio.std() / np.sqrt(S)
    assert kl > 0.5 and standard_error < 0.01
    assert fit.log_likelihoods[0] == pytest.approx(evidence - kl, abs=5 * standard_error)
    assert fit.log_likelihoods[1] == pytest.approx(evidence, rel=1e-10)  # one E- and M-step: exact


# --- K >= 2: a lower bound, non-decreasing ---------------------------------------------------------


def _mixture_evidence(X, K, alpha0, beta0, m0, nu0, scale_inverse0):
    """log p(X) of the Bayesian mixture, exactly: log Σ_z p(z) Π_k p(X_k) over all K^N labellings."""
    N = len(X)
    terms = []
    for labels in itertools.product(range(K), repeat=N):
        labels = np.array(labels)
        counts = np.bincount(labels, minlength=K)
        # p(z) = ∫ Π_n π_{z_n} Dir(π | α₀) dπ, the Dirichlet-multinomial of one labelled sequence
        term = gammaln(K * alpha0) - gammaln(N + K * alpha0) + np.sum(gammaln(counts + alpha0) - gammaln(alpha0))
        for k in range(K):
            if counts[k]:
                term += _normal_wishart_evidence(X[labels == k], beta0, m0, nu0, scale_inverse0)
        terms.append(term)
    return logsumexp(terms)


def test_two_components_elbo_is_below_the_exact_evidence_and_never_falls():
    rng = np.random.default_rng(11)
    X = np.vstack([rng.normal(-1.5, 0.6, (5, 2)), rng.normal(1.5, 0.6, (5, 2))])
    arguments = dict(
        concentration=0.7, mean_precision=0.2, mean=[0.0, 0.0], degrees_of_freedom=3.0, scale_inverse=np.eye(2)
    )
    evidence = _mixture_evidence(X, 2, 0.7, 0.2, np.zeros(2), 3.0, np.eye(2))
    model = VariationalGaussianMixture(VariationalPrior(**arguments))
    for seed in range(3):
        start = np.random.default_rng(seed).dirichlet([1.0, 1.0], size=len(X))
        fit = fit_variational_gmm(X, 2, prior=model.prior, init=start, tol=1e-13)
        assert fit.converged
        assert np.all(fit.log_likelihoods <= evidence)
        # mean field cannot hold the posterior's label symmetry: a gap stays (measured ≈ 0.69 ≈ log 2)
        assert evidence - fit.log_likelihoods[-1] > 1e-3
        assert np.all(np.diff(fit.log_likelihoods) >= -1e-12 * np.abs(fit.log_likelihoods[1:]))


def test_elbo_never_falls_on_old_faithful():
    X = emlib.datasets.old_faithful()
    X = np.asarray(getattr(X, "values", X), dtype=float)
    fit = fit_variational_gmm(X, 6, tol=1e-10, max_iter=3000)
    increments = np.diff(fit.log_likelihoods)
    assert fit.n_iter >= 10
    assert np.all(increments >= -1e-11 * np.abs(fit.log_likelihoods[1:]))  # every iteration, up to rounding
    assert increments.max() > 1.0


def test_surplus_components_are_emptied():
    # Bishop §10.2.1, Figure 10.6: with α₀ = 1/K < 1 the components not needed get E[π_k] → α₀ / (K α₀ + N)
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]])
    X = np.vstack([rng.normal(centre, 0.5, (100, 2)) for centre in centres])
    fit = fit_variational_gmm(X, 6)
    assert fit.converged
    weights = np.sort(fit.params.expected_weights)
    assert np.all(weights[:3] < 1e-3) and np.all(weights[3:] > 0.3)
    kept = fit.params.means[np.argsort(fit.params.expected_weights)[3:]]
    assert np.max(np.min(np.linalg.norm(kept[:, None] - centres[None], axis=2), axis=0)) < 0.2
    np.testing.assert_allclose(weights[:3], (1 / 6) / (6 * (1 / 6) + 300), rtol=1e-2)


def test_weights_are_repeated_rows():
    X = _three_clusters(seed=4, n=(15, 12, 10))
    repeats = np.random.default_rng(3).integers(1, 4, size=len(X))
    start = np.random.default_rng(4).dirichlet(np.ones(3), size=len(X))
    weighted = fit_variational_gmm(X, 3, init=start, sample_weight=repeats, tol=1e-12)
    repeated = fit_variational_gmm(np.repeat(X, repeats, axis=0), 3, init=np.repeat(start, repeats, axis=0), tol=1e-12)
    np.testing.assert_allclose(weighted.log_likelihoods, repeated.log_likelihoods, rtol=1e-10)
    for ours, theirs in zip(_emlib_params(weighted.params), _emlib_params(repeated.params), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_fit_continues_from_its_result_and_is_reproducible():
    X = _three_clusters(seed=6)
    first = fit_variational_gmm(X, 4, random_state=3)
    again = fit_variational_gmm(X, 4, random_state=3)
    np.testing.assert_array_equal(first.log_likelihoods, again.log_likelihoods)
    more = emlib.fit_em(first.model, X, first.params, tol=1e-8)
    assert more.log_likelihoods[0] == pytest.approx(first.log_likelihoods[-1], rel=1e-13)
    assert more.log_likelihoods[-1] - more.log_likelihoods[0] <= 1e-8 * len(X) * (more.n_iter + 1)


# --- bad input --------------------------------------------------------------------------------------

X_BAD = _three_clusters(seed=8, n=(10, 10, 10))


@pytest.mark.parametrize(
    "arguments, error, match",
    [
        (dict(degrees_of_freedom=1.0), ValueError, "degrees_of_freedom"),  # ν₀ ≤ D − 1 = 1
        (dict(degrees_of_freedom=0.5), ValueError, "degrees_of_freedom"),
        (dict(mean_precision=0.0), ValueError, "mean_precision"),
        (dict(mean_precision=-1.0), ValueError, "mean_precision"),
        (dict(concentration=0.0), ValueError, "concentration"),
        (dict(concentration=np.inf), ValueError, "concentration"),
        (dict(concentration="1"), TypeError, "concentration"),
        (dict(scale_inverse=[[1.0, 2.0], [2.0, 1.0]]), ValueError, "scale_inverse.*positive definite"),
        (dict(scale_inverse=[[1.0, 0.5], [0.0, 1.0]]), ValueError, "scale_inverse.*symmetric"),
        (dict(scale_inverse=np.eye(3)), ValueError, "scale_inverse"),
        (dict(mean=[0.0, 0.0, 0.0]), ValueError, "mean"),
        (dict(mean=[[0.0, 0.0]]), ValueError, "mean"),
    ],
)
def test_bad_prior_is_refused_naming_the_argument(arguments, error, match):
    with pytest.raises(error, match=match):
        fit_variational_gmm(X_BAD, 2, prior=VariationalPrior(**arguments))  # refused at once or once D is known


def test_degrees_of_freedom_against_the_dimension_are_checked_when_it_is_known():
    with pytest.raises(ValueError, match="degrees_of_freedom"):
        VariationalPrior(degrees_of_freedom=2.0, scale_inverse=np.eye(3))
    VariationalPrior(degrees_of_freedom=2.0)  # D not known yet
    model = VariationalGaussianMixture(VariationalPrior(degrees_of_freedom=0.9))
    good = _unconverged(fit_variational_gmm, X_BAD, 2, max_iter=1).params
    with pytest.raises(ValueError, match="degrees_of_freedom"):
        emlib.fit_em(model, X_BAD, good)


def test_default_prior_needs_a_nonsingular_data_covariance():
    X = np.column_stack([np.arange(10.0), np.ones(10)])  # a constant column
    with pytest.raises(ValueError, match="scale_inverse"):
        fit_variational_gmm(X, 2)
    _unconverged(fit_variational_gmm, X, 1, prior=VariationalPrior(scale_inverse=np.eye(2)), max_iter=2)


@pytest.mark.parametrize(
    "arguments, error, match",
    [
        (dict(n_components=0), ValueError, "n_components"),
        (dict(n_components=2.0), TypeError, "n_components"),
        (dict(prior={"concentration": 1.0}), TypeError, "prior"),
        (dict(init=np.full((30, 3), 1 / 3)), ValueError, "init"),  # 3 columns for K = 2
        (dict(init=np.full((29, 2), 0.5)), ValueError, "init"),
        (dict(init=np.full((30, 2), 0.6)), ValueError, "init"),
        (dict(init="k-means"), TypeError, "init"),
        (dict(max_iter=-1), ValueError, "max_iter"),
        (dict(tol=-1.0), ValueError, "tol"),
        (dict(random_state="seed"), TypeError, "random_state"),
        (dict(sample_weight=np.ones(5)), ValueError, "sample_weight"),
    ],
)
def test_bad_arguments_are_refused_naming_them(arguments, error, match):
    arguments = dict(n_components=2) | arguments
    with pytest.raises(error, match=match):
        fit_variational_gmm(X_BAD, **arguments)


def test_bad_params_are_refused_naming_the_field():
    good = dict(
        concentration=[1.0, 2.0],
        mean_precision=[1.0, 1.0],
        means=[[0.0, 0.0], [1.0, 1.0]],
        degrees_of_freedom=[3.0, 3.0],
        scale_inverse_cholesky=[np.eye(2), np.eye(2)],
    )
    VariationalParams(**good)
    for field, value, match in [
        ("concentration", [1.0, 0.0], "concentration"),
        ("mean_precision", [1.0, -1.0], "mean_precision"),
        ("mean_precision", [1.0], "mean_precision"),
        ("means", [[0.0, 0.0]], "means"),
        ("degrees_of_freedom", [1.0, 3.0], "degrees_of_freedom"),
        ("scale_inverse_cholesky", [np.eye(2), [[1.0, 1.0], [0.0, 1.0]]], "lower triangular"),
        ("scale_inverse_cholesky", [np.eye(2), -np.eye(2)], "positive diagonal"),
        ("scale_inverse_cholesky", [np.eye(3), np.eye(3)], "scale_inverse_cholesky"),
        ("means", [[0.0, np.nan], [1.0, 1.0]], "means"),
    ]:
        with pytest.raises(ValueError, match=match):
            VariationalParams(**(good | {field: value}))
    with pytest.raises(ValueError, match="scale_inverse\\[1\\]"):
        VariationalParams.from_scale_inverse([1, 1], [1, 1], [[0, 0], [1, 1]], [3, 3], [np.eye(2), -np.eye(2)])
    params = VariationalParams(**good)
    with pytest.raises(ValueError, match="init"):
        emlib.fit_em(VariationalGaussianMixture(), np.ones((5, 3)) + np.eye(5, 3), params)
    with pytest.raises(TypeError, match="init"):
        emlib.fit_em(VariationalGaussianMixture(), X_BAD, emlib.GMMParams([1.0], [[0.0, 0.0]], [np.eye(2)]))
    with pytest.raises(ValueError, match="init has 2 components"):
        fit_variational_gmm(X_BAD, 3, init=params)
    with pytest.raises(TypeError, match="prior"):
        VariationalGaussianMixture(prior=1.0)


def test_params_properties():
    params = VariationalParams.from_scale_inverse(
        [1.0, 3.0], [2.0, 5.0], [[0.0, 0.0], [1.0, 1.0]], [4.0, 8.0], [[[2.0, 0.5], [0.5, 1.0]], np.eye(2)]
    )
    np.testing.assert_allclose(params.expected_weights, [0.25, 0.75])
    np.testing.assert_allclose(params.expected_covariances[0], [[0.5, 0.125], [0.125, 0.25]])
    # E[Λ] = ν W (Bishop eq. B.80), against scipy's Wishart mean
    np.testing.assert_allclose(
        np.linalg.inv(params.expected_covariances[0]),
        wishart(df=4.0, scale=np.linalg.inv([[2.0, 0.5], [0.5, 1.0]])).mean(),
    )
    assert repr(params) == "VariationalParams(n_components=2, n_features=2)"
    assert (params.n_components, params.n_features) == (2, 2)
    with pytest.raises(ValueError):
        params.means[0, 0] = 1.0
    import copy
    import pickle

    for clone in (copy.deepcopy(params), pickle.loads(pickle.dumps(params))):
        np.testing.assert_array_equal(clone.scale_inverse_cholesky, params.scale_inverse_cholesky)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "VariationalPrior(" in repr(VariationalGaussianMixture())
