"""The general latent-variable interface: the Gaussian mixture through fit_em, and the binomial mixture."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

import emlib


def test_fit_em_with_gaussian_mixture_equals_fit_gmm():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(60, 2)), rng.normal(size=(40, 2)) + 3.0])
    start = emlib.GMMParams([0.5, 0.5], [[-1.0, 0.0], [1.0, 1.0]], np.stack([np.eye(2)] * 2))
    fit = emlib.fit_gmm(X, 2, init=start, reg_covar=1e-6, tol=1e-10)
    result = emlib.fit_em(emlib.GaussianMixtureModel(reg_covar=1e-6), X, start, tol=1e-10)
    # fit_gmm works in units scaled by a power of two (emlib/_units.py): equal to rounding
    assert result.n_iter == fit.n_iter
    np.testing.assert_allclose(result.log_likelihoods, fit.log_likelihoods, rtol=1e-12)
    np.testing.assert_allclose(result.params.means, fit.params.means, rtol=1e-10)
    np.testing.assert_allclose(result.posterior, fit.posterior, rtol=1e-10, atol=1e-14)


def test_gaussian_mixture_model_methods_match_the_functions():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    params = emlib.fit_gmm(X, 2, random_state=0).params
    model = emlib.GaussianMixtureModel()
    np.testing.assert_allclose(model.e_step(X, params), emlib.e_step(X, params), rtol=1e-14)
    assert model.log_likelihood(X, params) == pytest.approx(emlib.log_likelihood(X, params), rel=1e-14)


def binomial_log_likelihood(heads, n_trials, params):
    # book eq. (binomial-mixture), written out with scipy.stats
    per_run = [np.log(np.sum(params.weights * binom.pmf(h, n_trials, params.probabilities))) for h in heads]
    return float(np.sum(per_run))


def test_binomial_log_likelihood_against_scipy():
    model = emlib.BinomialMixture(n_trials=10)
    params = emlib.BinomialMixtureParams([0.4, 0.6], [0.3, 0.8])
    heads = np.array([0, 3, 5, 8, 10])
    assert model.log_likelihood(heads, params) == pytest.approx(binomial_log_likelihood(heads, 10, params), rel=1e-13)


def test_binomial_m_step_formula():
    # book eq. (binomial-mixture-m-step): p_k = Σ γ_nk x_n / (n_trials Σ γ_nk), π_k = N_k / N
    model = emlib.BinomialMixture(n_trials=10)
    heads = np.array([5.0, 9.0, 8.0, 4.0, 7.0])
    posterior = np.array([[0.2, 0.8], [0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    params = model.maximization(heads, np.ones(5), posterior, None)
    np.testing.assert_allclose(params.weights, posterior.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(params.probabilities, posterior.T @ heads / (10 * posterior.sum(axis=0)), rtol=1e-14)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 3), n_trials=st.integers(1, 30))
def test_binomial_em_never_decreases_the_likelihood(seed, k, n_trials):
    rng = np.random.default_rng(seed)
    model = emlib.BinomialMixture(n_trials)
    truth = emlib.BinomialMixtureParams(rng.dirichlet(np.ones(k)), rng.uniform(0.05, 0.95, size=k))
    heads, _ = model.sample(truth, 50, rng)
    start = emlib.BinomialMixtureParams(np.ones(k) / k, rng.uniform(0.1, 0.9, size=k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        result = emlib.fit_em(model, heads, start, max_iter=100, tol=0.0)
    steps = np.diff(result.log_likelihoods)
    assert np.all(steps >= -1e-9 * np.abs(result.log_likelihoods[1:]))


def test_binomial_em_recovers_known_coins():
    rng = np.random.default_rng(2026)
    model = emlib.BinomialMixture(n_trials=30)
    truth = emlib.BinomialMixtureParams([0.35, 0.65], [0.25, 0.7])
    heads, labels = model.sample(truth, 4000, rng)
    start = emlib.BinomialMixtureParams([0.5, 0.5], [0.4, 0.6])
    result = emlib.fit_em(model, heads, start, tol=1e-10)
    assert result.converged
    np.testing.assert_allclose(result.params.weights, truth.weights, atol=0.03)
    np.testing.assert_allclose(result.params.probabilities, truth.probabilities, atol=0.02)
    # the posterior labels agree with the true coins for almost every run
    assert np.mean(np.argmax(result.posterior, axis=1) == labels) > 0.97


def test_binomial_sampling_is_reproducible_and_in_range():
    model = emlib.BinomialMixture(n_trials=12)
    params = emlib.BinomialMixtureParams([0.5, 0.5], [0.1, 0.9])
    heads_a, labels_a = model.sample(params, 500, np.random.default_rng(7))
    heads_b, labels_b = model.sample(params, 500, 7)
    np.testing.assert_array_equal(heads_a, heads_b)
    np.testing.assert_array_equal(labels_a, labels_b)
    assert heads_a.min() >= 0 and heads_a.max() <= 12
    assert abs(np.mean(labels_a) - 0.5) < 0.1


@pytest.mark.parametrize(
    "weights, probabilities, message",
    [
        ([0.5, 0.5], [0.2, 1.2], r"\[0, 1\]"),
        ([0.5, 0.6], [0.2, 0.3], "sum to 1"),
        ([0.5, 0.5], [0.2], "one entry per component"),
        ([1.0], [np.nan], "NaN"),
    ],
)
def test_bad_binomial_params(weights, probabilities, message):
    with pytest.raises(ValueError, match=message):
        emlib.BinomialMixtureParams(weights, probabilities)


@pytest.mark.parametrize("heads", [[1, 2, 11], [1, 2.5, 3], [-1, 2], [[1, 2]], []])
def test_bad_head_counts(heads):
    model = emlib.BinomialMixture(n_trials=10)
    params = emlib.BinomialMixtureParams([1.0], [0.5])
    with pytest.raises(ValueError, match="X"):
        model.log_likelihood(np.array(heads), params)


def test_fit_em_argument_checks():
    model = emlib.BinomialMixture(n_trials=4)
    params = emlib.BinomialMixtureParams([1.0], [0.5])
    with pytest.raises(TypeError, match="model"):
        emlib.fit_em("not a model", [1, 2], params)
    with pytest.raises(TypeError, match="BinomialMixtureParams"):
        emlib.fit_em(model, [1, 2], emlib.GMMParams([1.0], [[0.0]], [[[1.0]]]))
    with pytest.raises(ValueError, match="tol"):
        emlib.fit_em(model, [1, 2], params, tol=-1.0)
    with pytest.raises(ValueError, match="max_iter"):
        emlib.fit_em(model, [1, 2], params, max_iter=-1)
    with pytest.raises(TypeError, match="n_trials"):
        emlib.BinomialMixture(n_trials=2.5)


def test_fit_em_warns_when_not_converged():
    model = emlib.BinomialMixture(n_trials=10)
    heads = np.array([1, 2, 8, 9, 5, 5])
    with pytest.warns(emlib.ConvergenceWarning):
        emlib.fit_em(model, heads, emlib.BinomialMixtureParams([0.5, 0.5], [0.45, 0.55]), max_iter=1, tol=0.0)
