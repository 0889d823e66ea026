"""emlib.component_log_densities and emlib.log_likelihood.

Oracles are independent of emlib: scipy.stats.multivariate_normal (eigen-decomposition
based), closed forms, and mpmath at high precision.
"""

import mpmath
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import emlib


# --------------------------------------------------------------------------
# component_log_densities: log N(x_n | μ_k, Σ_k), book eq. (gmm-density)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("k,d", [(1, 1), (2, 1), (3, 2), (2, 4), (4, 6)])
def test_component_log_densities_match_scipy(h, rng, k, d):
    params = h.random_params(rng, k, d, cond=100.0)
    x = 3 * rng.standard_normal((50, d))
    got = emlib.component_log_densities(x, params)
    assert got.shape == (50, k)
    assert got.dtype == np.float64
    for j in range(k):
        want = multivariate_normal(mean=params.means[j], cov=params.covariances[j]).logpdf(x)
        np.testing.assert_allclose(got[:, j], want, rtol=1e-11, atol=1e-11)


def test_component_log_densities_single_row_keeps_2d_shape(h, rng):
    params = h.random_params(rng, 3, 2)
    got = emlib.component_log_densities(np.zeros((1, 2)), params)
    assert got.shape == (1, 3)


def test_standard_normal_closed_form():
    # log N(0 | 0, I_D) = -D/2 log(2π); log N(x | 0, I) = -D/2 log 2π - |x|²/2
    for d in (1, 2, 5):
        p = emlib.GMMParams([1.0], np.zeros((1, d)), np.eye(d)[None])
        x = np.vstack([np.zeros(d), np.arange(d, dtype=float)])
        got = emlib.component_log_densities(x, p)[:, 0]
        want = -0.5 * d * np.log(2 * np.pi) - 0.5 * np.sum(x**2, axis=1)
        np.testing.assert_allclose(got, want, rtol=1e-14)


def test_log_densities_far_from_every_component_are_finite():
    # densities underflow to exactly 0 in linear space; log space must stay exact
    p = emlib.GMMParams([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[4.0]]])
    x = np.array([[1e5], [-1e7]])
    got = emlib.component_log_densities(x, p)
    assert np.all(np.isfinite(got))
    want0 = -0.5 * np.log(2 * np.pi) - 0.5 * x[:, 0] ** 2
    want1 = -0.5 * np.log(2 * np.pi * 4.0) - 0.5 * (x[:, 0] - 1.0) ** 2 / 4.0
    np.testing.assert_allclose(got[:, 0], want0, rtol=1e-14)
    np.testing.assert_allclose(got[:, 1], want1, rtol=1e-14)


@pytest.mark.parametrize("cond", [1e4, 1e8, 1e12])
def test_log_densities_ill_conditioned_covariance_against_mpmath(cond):
    # Σ with correlated axes and condition number `cond`; oracle at 50 significant digits.
    # A backward-stable (Cholesky) evaluation is accurate to about cond(Σ)·eps relative.
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    cov = (q * np.array([1 / np.sqrt(cond), 1.0, np.sqrt(cond)])) @ q.T
    cov = (cov + cov.T) / 2
    mean = np.array([1.0, -2.0, 0.5])
    p = emlib.GMMParams([1.0], mean[None], cov[None])
    x = mean + rng.standard_normal((5, 3))
    got = emlib.component_log_densities(x, p)[:, 0]

    with mpmath.workdps(50):
        s = mpmath.matrix(cov.tolist())
        s_inv = s**-1
        logdet = mpmath.log(mpmath.det(s))
        want = []
        for n in range(5):
            dx = mpmath.matrix((x[n] - mean).tolist())
            maha = (dx.T * s_inv * dx)[0]
            want.append(float(-0.5 * (3 * mpmath.log(2 * mpmath.pi) + logdet + maha)))
    np.testing.assert_allclose(got, want, rtol=10 * cond * np.finfo(float).eps)


# --------------------------------------------------------------------------
# log_likelihood: Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k), book eq. (gmm-log-likelihood)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("k,d", [(1, 1), (2, 2), (3, 3), (5, 2)])
def test_log_likelihood_matches_scipy(h, rng, k, d):
    params = h.random_params(rng, k, d)
    x = 4 * rng.standard_normal((80, d))
    pointwise, _ = h.log_mixture_pointwise(x, params)
    got = emlib.log_likelihood(x, params)
    assert isinstance(got, float)
    np.testing.assert_allclose(got, pointwise.sum(), rtol=1e-12)


def test_log_likelihood_linear_space_small_example():
    # direct evaluation where nothing underflows
    p = emlib.GMMParams(
        [0.3, 0.7],
        [[0.0, 0.0], [2.0, 1.0]],
        [[[1.0, 0.3], [0.3, 2.0]], [[0.5, 0.0], [0.0, 0.5]]],
    )
    x = np.array([[0.1, 0.2], [1.5, 1.0], [3.0, -1.0]])
    dens = 0.3 * multivariate_normal([0, 0], [[1, 0.3], [0.3, 2]]).pdf(x) + 0.7 * multivariate_normal(
        [2, 1], 0.5 * np.eye(2)
    ).pdf(x)
    np.testing.assert_allclose(emlib.log_likelihood(x, p), np.sum(np.log(dens)), rtol=1e-13)


def test_log_likelihood_is_consistent_with_component_log_densities(h, rng):
    params = h.random_params(rng, 3, 2)
    x = rng.standard_normal((40, 2))
    comp = emlib.component_log_densities(x, params)
    want = logsumexp(comp + np.log(params.weights), axis=1).sum()
    np.testing.assert_allclose(emlib.log_likelihood(x, params), want, rtol=1e-13)


def test_log_likelihood_far_points_no_underflow():
    # every density underflows in linear space (exp(-5e9) == 0) but the log-likelihood is exact
    p = emlib.GMMParams([0.25, 0.75], [[0.0], [10.0]], [[[1.0]], [[1.0]]])
    x = np.array([[1e5]])
    got = emlib.log_likelihood(x, p)
    # the nearer component dominates completely: log 0.75 + log N(1e5 | 10, 1)
    want = np.log(0.75) - 0.5 * np.log(2 * np.pi) - 0.5 * (1e5 - 10.0) ** 2
    assert np.isfinite(got)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_log_likelihood_zero_weight_component_is_ignored(rng):
    p0 = emlib.GMMParams([0.0, 1.0], [[100.0], [0.0]], [[[1.0]], [[2.0]]])
    p1 = emlib.GMMParams([1.0], [[0.0]], [[[2.0]]])
    x = rng.standard_normal((30, 1))
    assert np.isfinite(emlib.log_likelihood(x, p0))
    np.testing.assert_allclose(emlib.log_likelihood(x, p0), emlib.log_likelihood(x, p1), rtol=1e-14)


def test_log_likelihood_is_total_not_mean(h, rng):
    params = h.random_params(rng, 2, 2)
    x = rng.standard_normal((10, 2))
    doubled = np.vstack([x, x])
    np.testing.assert_allclose(emlib.log_likelihood(doubled, params), 2 * emlib.log_likelihood(x, params), rtol=1e-13)


def test_log_likelihood_accepts_lists_and_integers():
    p = emlib.GMMParams([1.0], [[0.0, 0.0]], [np.eye(2)])
    got = emlib.log_likelihood([[0, 0], [1, 1]], p)
    want = 2 * (-np.log(2 * np.pi)) - 1.0
    np.testing.assert_allclose(got, want, rtol=1e-14)


# --------------------------------------------------------------------------
# weighted log-likelihood Σ_n w_n log p(x_n), book eq. (soft-em-sample-weights)
# --------------------------------------------------------------------------
def test_weighted_log_likelihood_definition(h, rng):
    params = h.random_params(rng, 3, 2)
    x = 2 * rng.standard_normal((25, 2))
    w = rng.uniform(0, 3, size=25)
    pointwise, _ = h.log_mixture_pointwise(x, params)
    np.testing.assert_allclose(emlib.log_likelihood(x, params, sample_weight=w), w @ pointwise, rtol=1e-12)


def test_unit_weights_equal_unweighted(h, rng):
    params = h.random_params(rng, 2, 3)
    x = rng.standard_normal((20, 3))
    assert emlib.log_likelihood(x, params, sample_weight=np.ones(20)) == pytest.approx(
        emlib.log_likelihood(x, params), rel=1e-14
    )


def test_integer_weights_equal_repeated_rows(h, rng):
    params = h.random_params(rng, 2, 2)
    x = rng.standard_normal((15, 2))
    w = rng.integers(0, 4, size=15)
    w[0] = 2
    np.testing.assert_allclose(
        emlib.log_likelihood(x, params, sample_weight=w),
        emlib.log_likelihood(np.repeat(x, w, axis=0), params),
        rtol=1e-12,
    )


def test_zero_weight_rows_do_not_contribute(h, rng):
    params = h.random_params(rng, 2, 2)
    x = rng.standard_normal((10, 2))
    w = np.ones(10)
    w[[2, 5]] = 0.0
    x_far = x.copy()
    x_far[[2, 5]] = 1e6  # would dominate the sum if they counted
    np.testing.assert_allclose(
        emlib.log_likelihood(x_far, params, sample_weight=w),
        emlib.log_likelihood(np.delete(x, [2, 5], axis=0), params),
        rtol=1e-12,
    )


def test_overflowing_distance_gives_minus_inf_not_nan():
    # log p(x) for |x| = 1e200 is about -5e399: below the float range, so -inf (or a
    # ValueError naming X) -- but never NaN.
    p = emlib.GMMParams([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    x = np.array([[1e200], [0.0]])
    try:
        ll = emlib.log_likelihood(x, p)
    except ValueError as error:
        assert "X" in str(error)
    else:
        assert ll == -np.inf
