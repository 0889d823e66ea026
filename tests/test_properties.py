"""Property-based tests (hypothesis) of the EM building blocks and of fit_gmm.

Data are generated from a numpy seed drawn by hypothesis rather than element by element:
hypothesis' element strategies love exactly repeated values, which make a pure
maximum-likelihood (reg_covar=0) fit collapse onto duplicated points -- a legitimate error
(tested in test_fit.py) but not the property under test here.
"""

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import emlib

seeds = st.integers(0, 2**32 - 1)
cov_types = st.sampled_from(["full", "diag", "spherical", "tied"])


def _problem(h, seed, k, d, sep, covariance_type="full", per_dim=10):
    """Data from a mixture with well-separated components, and a perturbed start.

    Every component has at least ``per_dim * d`` points on average (and never fewer than
    d + 2), the start has unit covariances and means within about one standard deviation of
    the truth: with this design the covariances stay well conditioned during EM, so pure
    maximum-likelihood EM (reg_covar=0) never hits a singular covariance (checked on 3000
    seeds while writing the test), yet the start is poor enough for EM to do real work.
    """
    rng = np.random.default_rng(seed)
    truth = h.separated_params(rng, k, d, sep=sep, covariance_type=covariance_type)
    n = per_dim * k * d + int(rng.integers(0, 20 * k)) + k * (d + 2)
    x, labels = h.sample(truth, n, rng)
    init = emlib.GMMParams(
        np.full(k, 1.0 / k),
        truth.means + rng.standard_normal((k, d)),
        np.repeat(np.eye(d)[None], k, axis=0),
    )
    return x, labels, init, rng


def _quiet_fit(*args, **kwargs):
    """fit_gmm with ConvergenceWarning silenced (tol=0 runs are not meant to converge)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        return emlib.fit_gmm(*args, **kwargs)


# --------------------------------------------------------------------------
# EM never decreases the log-likelihood (book eqs. (soft-em-q), (gmm-log-likelihood))
# --------------------------------------------------------------------------
@settings(max_examples=60)
@given(seed=seeds, k=st.integers(1, 3), d=st.integers(1, 3), sep=st.floats(3.0, 8.0), ct=cov_types)
def test_em_log_likelihood_never_decreases(h, seed, k, d, sep, ct):
    # reg_covar = 0: pure ML EM is guaranteed monotone (the regularised update is not an exact
    # maximiser of Q, so it is not guaranteed to be). Tolerance: 1e-9 relative (rounding).
    x, _, init, _ = _problem(h, seed, k, d, sep, ct)
    # (a) the building blocks, for a fixed number of iterations, independent of any stopping rule
    params = init
    lls = [emlib.log_likelihood(x, params)]
    for _ in range(12):
        params = emlib.m_step(x, emlib.e_step(x, params), covariance_type=ct, reg_covar=0.0)
        lls.append(emlib.log_likelihood(x, params))
    lls = np.array(lls)
    assert np.all(np.diff(lls) >= -1e-9 * np.abs(lls[1:]))
    # (b) fit_gmm's recorded history
    fit = _quiet_fit(x, k, init=init, covariance_type=ct, reg_covar=0.0, tol=0.0, max_iter=12)
    ll = fit.log_likelihoods
    assert len(ll) == fit.n_iter + 1
    assert np.all(np.diff(ll) >= -1e-9 * np.abs(ll[1:]))
    np.testing.assert_allclose(ll, lls[: len(ll)], rtol=1e-10)


# --------------------------------------------------------------------------
# responsibilities are probability vectors, even far from every component
# --------------------------------------------------------------------------
@settings(max_examples=100)
@given(
    seed=seeds,
    k=st.integers(1, 4),
    d=st.integers(1, 3),
    log_scale=st.floats(-3, 3),
    x=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=12),
)
def test_responsibilities_are_probability_vectors(h, seed, k, d, log_scale, x):
    # book eq. (soft-em-responsibilities). For |x| >> σ every density underflows to 0 in
    # linear space; the log-space E-step must still give rows that sum to 1.
    rng = np.random.default_rng(seed)
    params = h.random_params(rng, k, d, scale=10.0**log_scale, spread=10.0)
    xs = np.resize(np.asarray(x, dtype=float), (len(x), d)) + rng.standard_normal((len(x), d))
    r = emlib.e_step(xs, params)
    assert r.shape == (len(x), k)
    assert np.all(np.isfinite(r))
    assert np.all(r >= 0.0)
    assert np.all(r <= 1.0)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@settings(max_examples=60)
@given(
    seed=seeds,
    k=st.integers(2, 4),
    d=st.integers(1, 3),
    x=st.lists(st.floats(-1e7, 1e7, allow_nan=False), min_size=1, max_size=8),
)
def test_duplicated_component_splits_by_weight(h, seed, k, d, x):
    # If components 0 and 1 have the same (μ, Σ), then for EVERY x the responsibilities satisfy
    # γ_n0 / γ_n1 = π_0 / π_1, and the row still sums to 1. Far from the components the two
    # log-joints are equal, huge and negative: the case where subtracting a rounded
    # log-normaliser breaks the normalisation.
    rng = np.random.default_rng(seed)
    base = h.random_params(rng, k, d, spread=3.0)
    means = np.array(base.means)
    covs = np.array(base.covariances)
    means[1], covs[1] = means[0], covs[0]
    params = emlib.GMMParams(base.weights, means, covs)
    xs = np.resize(np.asarray(x, dtype=float), (len(x), d))
    r = emlib.e_step(xs, params)
    assert np.all(np.isfinite(r)) and np.all(r >= 0)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r[:, 0] * params.weights[1], r[:, 1] * params.weights[0], rtol=1e-10, atol=1e-300)


@settings(max_examples=60)
@given(seed=seeds, k=st.integers(2, 4), d=st.integers(1, 3), far=st.floats(50.0, 1e7))
def test_far_points_are_normalised(h, seed, k, d, far):
    # a point at distance `far` (in units of σ) from all components: all densities underflow
    rng = np.random.default_rng(seed)
    params = h.random_params(rng, k, d, spread=3.0, cond=2.0)
    direction = rng.standard_normal(d)
    direction /= np.linalg.norm(direction)
    xs = far * direction[None] + rng.standard_normal((3, d))
    comp = emlib.component_log_densities(xs, params)
    assert np.all(np.exp(comp) == 0.0) or far < 100  # the regime under test
    r = emlib.e_step(xs, params)
    assert np.all(np.isfinite(r)) and np.all(r >= 0)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # and they equal the softmax of the log-joint, computed stably
    logj = comp + np.log(params.weights)
    want = np.exp(logj - logj.max(axis=1, keepdims=True))
    want /= want.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(r, want, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------
# M-step with one-hot responsibilities = per-group sample mean and biased covariance
# --------------------------------------------------------------------------
@settings(max_examples=60)
@given(
    seed=seeds,
    sizes=st.lists(st.integers(0, 15), min_size=1, max_size=4),
    d=st.integers(1, 3),
    log_scale=st.floats(-3, 3),
    offset=st.floats(-1e3, 1e3),
)
def test_m_step_one_hot_gives_group_moments(seed, sizes, d, log_scale, offset):
    # book eqs. (soft-em-nk), (soft-em-pi), (soft-em-mu), (soft-em-sigma) with γ_nk ∈ {0, 1}
    rng = np.random.default_rng(seed)
    k = len(sizes)
    sizes = np.array(sizes) + d + 2  # enough points for a non-singular covariance
    labels = rng.permutation(np.repeat(np.arange(k), sizes))
    scale = 10.0**log_scale
    x = offset + scale * (rng.standard_normal((len(labels), d)) + 3 * labels[:, None])
    p = emlib.m_step(x, np.eye(k)[labels], reg_covar=0.0)
    for j in range(k):
        g = x[labels == j]
        np.testing.assert_allclose(p.weights[j], len(g) / len(x), rtol=1e-13)
        np.testing.assert_allclose(p.means[j], g.mean(axis=0), rtol=1e-10, atol=1e-12 * (abs(offset) + scale))
        want = np.atleast_2d(np.cov(g.T, bias=True))
        np.testing.assert_allclose(p.covariances[j], want, rtol=1e-8, atol=1e-9 * scale**2)


# --------------------------------------------------------------------------
# the fit does not depend on the order of the rows
# --------------------------------------------------------------------------
@settings(max_examples=30)
@given(seed=seeds, k=st.integers(1, 3), d=st.integers(1, 3), sep=st.floats(3.0, 8.0), ct=cov_types)
def test_row_permutation_does_not_change_the_fit(h, seed, k, d, sep, ct):
    x, _, init, rng = _problem(h, seed, k, d, sep, ct)
    perm = rng.permutation(len(x))
    kw = dict(init=init, covariance_type=ct, reg_covar=1e-6, tol=1e-8, max_iter=500)
    a = emlib.fit_gmm(x, k, **kw)
    b = emlib.fit_gmm(x[perm], k, **kw)
    assert a.n_iter == b.n_iter
    np.testing.assert_allclose(b.params.weights, a.params.weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.params.means, a.params.means, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.params.covariances, a.params.covariances, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b.log_likelihoods, a.log_likelihoods, rtol=1e-11)
    np.testing.assert_allclose(b.posterior, a.posterior[perm], rtol=1e-7, atol=1e-10)


# --------------------------------------------------------------------------
# integer sample weights = repeated rows, book eq. (soft-em-sample-weights)
# --------------------------------------------------------------------------
@settings(max_examples=30)
@given(seed=seeds, k=st.integers(1, 3), d=st.integers(1, 3), sep=st.floats(3.0, 8.0), ct=cov_types)
def test_integer_sample_weights_equal_repeated_rows(h, seed, k, d, sep, ct):
    x, labels, init, rng = _problem(h, seed, k, d, sep, ct)
    w = rng.integers(1, 4, size=len(x))
    # drop about 20% of the rows (weight 0), keeping at least d + 2 rows per component
    for j in range(k):
        rows = np.flatnonzero(labels == j)
        drop = rows[rng.random(len(rows)) < 0.2][: max(0, len(rows) - (d + 2))]
        w[drop] = 0
    xr = np.repeat(x, w, axis=0)
    kw = dict(init=init, covariance_type=ct, tol=1e-8, max_iter=500)
    a = emlib.fit_gmm(x, k, sample_weight=w, reg_covar=1e-6, **kw)
    b = emlib.fit_gmm(xr, k, reg_covar=1e-6, **kw)
    assert a.n_iter == b.n_iter
    np.testing.assert_allclose(a.log_likelihoods, b.log_likelihoods, rtol=1e-10)
    np.testing.assert_allclose(a.params.weights, b.params.weights, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(a.params.means, b.params.means, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(a.params.covariances, b.params.covariances, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.repeat(a.posterior, w, axis=0), b.posterior, rtol=1e-8, atol=1e-12)
    # the relative default regularisation uses the weighted variance: the same on both sides
    ra = emlib.fit_gmm(x, k, sample_weight=w, max_iter=0, init=init).model.covariance_prior
    rb = emlib.fit_gmm(xr, k, max_iter=0, init=init).model.covariance_prior
    np.testing.assert_allclose(ra, rb, rtol=1e-12)


# --------------------------------------------------------------------------
# log_likelihood agrees with the definition, for random mixtures
# --------------------------------------------------------------------------
@settings(max_examples=40)
@given(seed=seeds, k=st.integers(1, 4), d=st.integers(1, 4), n=st.integers(1, 30))
def test_log_likelihood_matches_scipy(h, seed, k, d, n):
    # book eq. (gmm-log-likelihood)
    rng = np.random.default_rng(seed)
    params = h.random_params(rng, k, d, cond=50.0)
    x = 3 * rng.standard_normal((n, d))
    pointwise, comp = h.log_mixture_pointwise(x, params)
    np.testing.assert_allclose(emlib.component_log_densities(x, params), comp, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(emlib.log_likelihood(x, params), pointwise.sum(), rtol=1e-11, atol=1e-11)
    w = rng.uniform(0, 2, size=n) + 0.01
    np.testing.assert_allclose(emlib.log_likelihood(x, params, sample_weight=w), w @ pointwise, rtol=1e-11, atol=1e-11)


def test_hypothesis_profile_is_deterministic():
    # the suite relies on the 'emlib' profile registered in conftest.py
    assert settings().derandomize is True
    assert settings().deadline is None
