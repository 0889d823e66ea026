"""Variants of EM (emlib.variants): incremental EM, online EM and partial_fit, stochastic and Monte Carlo EM."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import binom

import emlib
from emlib.factor_analysis import FactorAnalysisModel
from emlib.gaussian_mixture import GaussianMixtureModel
from emlib.variants import OnlineEM, fit_incremental_em, fit_monte_carlo_em, step_size

TRUTH = emlib.GMMParams(
    [0.5, 0.3, 0.2], [[0.0, 0.0], [3.0, 1.0], [0.0, 4.0]], [np.eye(2), [[1.0, 0.4], [0.4, 0.8]], 0.5 * np.eye(2)]
)


def _data(n=1500, seed=0):
    X, _ = emlib.datasets.sample_gmm(TRUTH, n, np.random.default_rng(seed))
    return X


def _start(X):
    return emlib.fit_gmm(X, 3, max_iter=0, random_state=0).params


def test_incremental_em_with_one_block_is_em():
    X = _data()
    start = _start(X)
    with pytest.warns(emlib.ConvergenceWarning):
        em = emlib.fit_em(GaussianMixtureModel(), X, start, max_iter=15, tol=0.0)
    with pytest.warns(emlib.ConvergenceWarning):
        incremental = fit_incremental_em(GaussianMixtureModel(), X, start, n_blocks=1, max_iter=15, tol=0.0)
    np.testing.assert_allclose(incremental.log_likelihoods, em.log_likelihoods, rtol=1e-13)
    np.testing.assert_allclose(incremental.params.means, em.params.means, rtol=1e-12)
    assert incremental.method == "incremental" and incremental.n_evaluations == 30


@pytest.mark.parametrize("n_blocks", [5, 30])
def test_incremental_em_reaches_em_maximum(n_blocks):
    X = _data()
    start = _start(X)
    em = emlib.fit_em(GaussianMixtureModel(), X, start, tol=1e-10, max_iter=5000)
    incremental = fit_incremental_em(GaussianMixtureModel(), X, start, n_blocks=n_blocks, tol=1e-10, max_iter=5000)
    assert incremental.converged
    assert incremental.log_likelihoods[-1] == pytest.approx(em.log_likelihoods[-1], rel=1e-8)
    np.testing.assert_allclose(np.sort(incremental.params.means[:, 0]), np.sort(em.params.means[:, 0]), atol=1e-3)
    assert incremental.n_iter < em.n_iter  # θ moves n_blocks times per pass (Neal and Hinton 1998)


def test_step_sizes_follow_the_schedule():
    assert step_size(1, 0.6, 5.0) == 1.0
    assert step_size(4, 0.6, 0.0) == pytest.approx(4**-0.6, rel=1e-15)
    assert step_size(4, 1.0, 2.0) == pytest.approx(1 / 6, rel=1e-15)


def test_online_em_on_one_batch_is_one_em_step():
    X = _data()
    start = _start(X)
    online = OnlineEM(GaussianMixtureModel(), start).update(X)
    # the E-step and M-step written with the public functions: book eqs. (soft-em-responsibilities) and (soft-em-pi)…(soft-em-sigma)
    expected = emlib.m_step(X, emlib.e_step(X, start))
    np.testing.assert_allclose(online.params.means, expected.means, rtol=1e-12)
    np.testing.assert_allclose(online.params.covariances, expected.covariances, rtol=1e-11, atol=1e-14)
    assert online.log_likelihoods[0] == pytest.approx(emlib.log_likelihood(X, start) / len(X), rel=1e-13)


def test_online_em_on_a_stream_approaches_the_batch_maximum():
    X = _data(12000, seed=3)
    start = _start(X[:500])
    online = OnlineEM(GaussianMixtureModel(), start, learning_decay=0.6)
    for batch in np.array_split(X, 120):
        online.update(batch)
    batch_fit = emlib.fit_em(GaussianMixtureModel(), X, start, tol=1e-9)
    model = GaussianMixtureModel()
    gap = (batch_fit.log_likelihoods[-1] - model.log_likelihood(X, online.params)) / len(X)
    assert 0 <= gap < 2e-3  # a single pass: within the noise of the last steps of the batch maximum


def test_online_em_refuses_bad_settings():
    start = _start(_data())
    with pytest.raises(ValueError, match=r"learning_decay must be in \(0.5, 1\]"):
        OnlineEM(GaussianMixtureModel(), start, learning_decay=0.5)
    with pytest.raises(ValueError, match="learning_offset must be"):
        OnlineEM(GaussianMixtureModel(), start, learning_offset=-1.0)
    with pytest.raises(TypeError, match="online EM needs the model's summarize; FactorAnalysisModel has no summarize"):
        OnlineEM(FactorAnalysisModel(), start)
    with pytest.raises(ValueError, match="sample_weight must have a positive sum"):
        OnlineEM(GaussianMixtureModel(), start).update(_data()[:10], sample_weight=np.zeros(10))


def test_drawn_labels_follow_the_responsibilities():
    X = _data(200)
    model = GaussianMixtureModel()
    responsibilities = emlib.e_step(X, TRUTH)
    responsibilities[:, 2] = 0.0
    responsibilities /= responsibilities.sum(axis=1, keepdims=True)
    one = model.simulated_statistics(X, np.ones(len(X)), responsibilities, 1, np.random.default_rng(0))
    assert np.all(one.sum(axis=1) == 1.0) and set(np.unique(one)) <= {0.0, 1.0}
    m = 20000
    shares = model.simulated_statistics(X, np.ones(len(X)), responsibilities, m, np.random.default_rng(1))
    assert np.all(shares[:, 2] == 0.0)  # a label of probability zero is never drawn
    counts = np.rint(shares * m)
    low, high = binom.ppf(1e-7, m, responsibilities), binom.isf(1e-7, m, responsibilities)
    assert np.all((low <= counts) & (counts <= high))  # each count within its binomial distribution's 1e-7 tails


def test_stochastic_em_fluctuates_around_the_maximum_and_monte_carlo_em_converges():
    X = _data()
    start = _start(X)
    em = emlib.fit_em(GaussianMixtureModel(), X, start, tol=1e-10)
    sem = fit_monte_carlo_em(GaussianMixtureModel(), X, start, n_draws=1, max_iter=300, random_state=0, trajectory=True)
    assert sem.method == "monte-carlo" and not sem.converged
    order = np.argsort(em.params.means[:, 0])
    after_burn_in = np.array([params.means for params in sem.trajectory[100:]])
    average = after_burn_in.mean(axis=0)[np.argsort(average_first := after_burn_in.mean(axis=0)[:, 0])]
    assert average_first.size == 3
    np.testing.assert_allclose(average, em.params.means[order], atol=0.05)
    assert np.std(after_burn_in[:, :, 0], axis=0).max() > 1e-3  # it does not settle on a point
    mcem = fit_monte_carlo_em(GaussianMixtureModel(), X, start, n_draws=lambda t: 20 * t, max_iter=60, random_state=0)
    assert mcem.log_likelihoods[-1] == pytest.approx(em.log_likelihoods[-1], abs=0.05)


def test_monte_carlo_em_refuses_bad_settings():
    X = _data(100)
    start = _start(X)
    with pytest.raises(TypeError, match="random_state must be"):
        fit_monte_carlo_em(GaussianMixtureModel(), X, start, random_state=None)
    with pytest.raises(ValueError, match="n_draws must be >= 1"):
        fit_monte_carlo_em(GaussianMixtureModel(), X, start, n_draws=0, random_state=0)
    with pytest.raises(TypeError, match="FactorAnalysisModel has no simulated_statistics"):
        fit_monte_carlo_em(FactorAnalysisModel(), X, start, random_state=0)
    with pytest.raises(ValueError, match="n_blocks must be at most"):
        fit_incremental_em(GaussianMixtureModel(), X, start, n_blocks=101)


def test_partial_fit_streams_to_the_batch_fit():
    X = _data(6000, seed=5)
    estimator = emlib.GaussianMixture(3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            for batch in np.array_split(X, 60):
                estimator.partial_fit(batch)
    batch_fit = emlib.GaussianMixture(3, random_state=0).fit(X)
    assert estimator.n_iter_ == 180 and not estimator.converged_
    assert estimator.fit_result_.method == "online"
    assert batch_fit.score(X) - estimator.score(X) < 1e-3
    with pytest.raises(ValueError, match="X has 1 features"):
        estimator.partial_fit(X[:, :1])


def test_partial_fit_after_fit_takes_one_em_step_from_the_fitted_parameters():
    X = _data()
    estimator = emlib.GaussianMixture(3, random_state=0, max_iter=3, tol=0.0)
    with pytest.warns(emlib.ConvergenceWarning):
        estimator.fit(X)
    fitted = estimator.fit_result_.params
    estimator.partial_fit(X[:700])
    expected = emlib.m_step(X[:700], emlib.e_step(X[:700], fitted))
    np.testing.assert_allclose(estimator.means_, expected.means, rtol=1e-12)
    holed = X.copy()
    holed[0, 0] = np.nan
    with pytest.raises(ValueError, match="X of partial_fit holds NaN"):
        emlib.GaussianMixture(3, missing="em").partial_fit(holed)
