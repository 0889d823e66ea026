"""Cross-checks against scikit-learn's GaussianMixture (a test-only oracle) and scipy.

Index alignment (sklearn/mixture/_base.py, ``fit_predict``): iteration i = 1..max_iter runs
an E-step on the current parameters θ_{i-1}, records the mean log-likelihood of θ_{i-1}
(``lower_bounds_[i-1]``), then an M-step giving θ_i. So ``lower_bounds_ × N`` equals emlib's
``log_likelihoods[:max_iter]`` (emlib's entry 0 is the initial parameters; its extra last
entry is ℓ(θ_max_iter)), and sklearn's final parameters are θ_max_iter, the same as emlib's
after max_iter iterations.

sklearn's M-step adds 10·eps to every N_k and computes the diagonal and tied covariances in
the uncentred form E[xxᵀ] − μμᵀ; both are harmless at 1e-9 relative for data of unit scale
near the origin, which is what these tests use.
"""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.mixture import GaussianMixture

import emlib

MAX_ITER = 20


def _data_and_start(h, covariance_type, seed=0, n=300, k=3, d=2):
    rng = np.random.default_rng(seed)
    truth = emlib.GMMParams(
        [0.3, 0.3, 0.4] if k == 3 else np.full(k, 1.0 / k),
        [[-2.0, 0.0], [2.0, 0.5], [0.0, 2.5]][:k] if d == 2 else 2.0 * rng.standard_normal((k, d)),
        np.stack([h.random_spd(rng, d, cond=3.0) for _ in range(k)]),
    )
    x, _ = h.sample(truth, n, rng)
    # a poor start with the structure of the covariance type
    init = emlib.GMMParams(
        np.full(k, 1.0 / k),
        x[rng.choice(n, k, replace=False)],
        h.random_covariances(rng, k, d, covariance_type, scale=1.5, cond=3.0),
    )
    return x, init


def _sklearn_fit(h, x, init, covariance_type, reg_covar, max_iter):
    gm = GaussianMixture(
        n_components=init.n_components,
        covariance_type=covariance_type,
        tol=0.0,
        reg_covar=reg_covar,
        max_iter=max_iter,
        n_init=1,
        init_params="random",  # irrelevant: all three *_init are given
        weights_init=np.array(init.weights),
        means_init=np.array(init.means),
        precisions_init=h.sklearn_precisions(init, covariance_type),
        random_state=0,
    )
    with pytest.warns(SkConvergenceWarning):  # tol = 0 never "converges" in sklearn
        gm.fit(x)
    return gm


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
@pytest.mark.parametrize("reg_covar", [1e-6, 1e-2])
def test_log_likelihood_trajectory_matches_sklearn(h, covariance_type, reg_covar):
    x, init = _data_and_start(h, covariance_type)
    n = len(x)
    gm = _sklearn_fit(h, x, init, covariance_type, reg_covar, MAX_ITER)
    with pytest.warns(emlib.ConvergenceWarning):
        fit = emlib.fit_gmm(
            x,
            init.n_components,
            init=init,
            covariance_type=covariance_type,
            reg_covar=reg_covar,
            tol=0.0,
            max_iter=MAX_ITER,
        )
    assert fit.n_iter == MAX_ITER == gm.n_iter_
    assert fit.model.reg_covar == reg_covar
    sk = np.asarray(gm.lower_bounds_) * n
    assert sk.shape == (MAX_ITER,)
    np.testing.assert_allclose(fit.log_likelihoods[:MAX_ITER], sk, rtol=1e-9)
    # the trajectory moves: the comparison is not between constants
    assert fit.log_likelihoods[-1] - fit.log_likelihoods[0] > 10.0
    # final parameters θ_max_iter
    p = fit.params
    np.testing.assert_allclose(p.weights, gm.weights_, rtol=1e-9)
    np.testing.assert_allclose(p.means, gm.means_, rtol=1e-9, atol=1e-11)
    k, d = p.n_components, p.n_features
    sk_cov = h.sklearn_covariances_as_full(gm.covariances_, covariance_type, k, d)
    np.testing.assert_allclose(p.covariances, sk_cov, rtol=1e-9, atol=1e-11)
    # and the final log-likelihood: sklearn's score() is the mean log-likelihood
    np.testing.assert_allclose(fit.log_likelihoods[-1], gm.score(x) * n, rtol=1e-9)
    # responsibilities at the final parameters
    np.testing.assert_allclose(fit.posterior, gm.predict_proba(x), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_trajectory_in_higher_dimension(h, covariance_type):
    x, init = _data_and_start(h, covariance_type, seed=4, n=400, k=2, d=4)
    m = 6  # this start converges quickly: stay clear of the point where ℓ stalls to rounding
    gm = _sklearn_fit(h, x, init, covariance_type, 1e-6, m)
    with pytest.warns(emlib.ConvergenceWarning):
        fit = emlib.fit_gmm(x, 2, init=init, covariance_type=covariance_type, reg_covar=1e-6, tol=0.0, max_iter=m)
    assert fit.n_iter == m
    np.testing.assert_allclose(fit.log_likelihoods[:m], np.asarray(gm.lower_bounds_) * len(x), rtol=1e-9)
    np.testing.assert_allclose(fit.params.means, gm.means_, rtol=1e-9, atol=1e-11)
    sk_cov = h.sklearn_covariances_as_full(gm.covariances_, covariance_type, 2, 4)
    np.testing.assert_allclose(fit.params.covariances, sk_cov, rtol=1e-9, atol=1e-11)


def test_converged_old_faithful_fit_matches_sklearn(h, faithful):
    # a converged fit from the same start: the same local maximum
    init = emlib.GMMParams([0.5, 0.5], [[2.0, 55.0], [4.5, 80.0]], [np.diag([0.5, 50.0])] * 2)
    fit = emlib.fit_gmm(faithful, 2, init=init, reg_covar=1e-6, tol=1e-12, max_iter=2000)
    gm = GaussianMixture(
        2,
        covariance_type="full",
        tol=1e-12,
        reg_covar=1e-6,
        max_iter=2000,
        weights_init=np.array(init.weights),
        means_init=np.array(init.means),
        precisions_init=h.sklearn_precisions(init, "full"),
        init_params="random",
        random_state=0,
    ).fit(faithful)
    assert fit.converged and gm.converged_
    np.testing.assert_allclose(fit.params.means, gm.means_, rtol=1e-6)
    np.testing.assert_allclose(fit.params.covariances, gm.covariances_, rtol=1e-5)
    np.testing.assert_allclose(fit.log_likelihoods[-1], gm.score(faithful) * len(faithful), rtol=1e-10)


def test_component_log_densities_match_scipy_and_sklearn(h):
    rng = np.random.default_rng(9)
    params = h.random_params(rng, 4, 3, cond=30.0)
    x = 3 * rng.standard_normal((100, 3))
    got = emlib.component_log_densities(x, params)
    for k in range(4):
        want = multivariate_normal(mean=params.means[k], cov=params.covariances[k]).logpdf(x)
        np.testing.assert_allclose(got[:, k], want, rtol=1e-11, atol=1e-11)
    # sklearn's weighted log probabilities of a model set to the same parameters
    gm = GaussianMixture(4, covariance_type="full")
    gm.weights_ = np.array(params.weights)
    gm.means_ = np.array(params.means)
    gm.covariances_ = np.array(params.covariances)
    gm.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(params.covariances))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sk_ll = gm.score_samples(x)
        sk_resp = gm.predict_proba(x)
    pointwise = emlib.log_likelihood(x, params, sample_weight=np.eye(100)[0])
    np.testing.assert_allclose(pointwise, sk_ll[0], rtol=1e-10)
    np.testing.assert_allclose(emlib.log_likelihood(x, params), sk_ll.sum(), rtol=1e-10)
    np.testing.assert_allclose(emlib.e_step(x, params), sk_resp, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_m_step_matches_sklearn_estimator(h, covariance_type):
    # one M-step from given responsibilities: sklearn's _estimate_gaussian_parameters
    from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

    rng = np.random.default_rng(1)
    x = rng.standard_normal((80, 3))
    r = rng.dirichlet(np.ones(3), size=80)
    nk, means, covs = _estimate_gaussian_parameters(x, r, 1e-4, covariance_type)
    p = emlib.m_step(x, r, covariance_type=covariance_type, reg_covar=1e-4)
    np.testing.assert_allclose(p.weights, nk / nk.sum(), rtol=1e-12)
    np.testing.assert_allclose(p.means, means, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(
        p.covariances, h.sklearn_covariances_as_full(covs, covariance_type, 3, 3), rtol=1e-10, atol=1e-13
    )
