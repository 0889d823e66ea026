"""The independent Poisson mixture (emlib/poisson.py).

Every check compares emlib with an independent computation: scipy.stats.poisson's densities,
Zucchini and MacDonald's (2009) Table 1.2 for the earthquake counts, the same fit with repeated
rows in place of weights, SQUAREM against EM, and central finite differences of ℓ.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import poisson

import emlib
from emlib import poisson as poisson_module
from emlib.poisson import PoissonMixture, PoissonMixtureParams

MODEL = PoissonMixture()
COUNTS = emlib.datasets.earthquakes()[:, 1]
TABLE = emlib.datasets.earthquakes_em_tables()["mixtures"]


def test_docstring_example():
    assert doctest.testmod(poisson_module).failed == 0


def test_log_conditional_equals_scipy_stats_poisson_over_every_column():
    rng = np.random.default_rng(0)
    X = rng.poisson([3.0, 0.4, 12.0], size=(40, 3)).astype(float)
    params = PoissonMixtureParams([0.2, 0.5, 0.3], [[1.0, 0.0, 10.0], [4.0, 0.5, 11.0], [0.2, 2.0, 30.0]])
    expected = np.column_stack([poisson.logpmf(X, rate).sum(axis=1) for rate in params.rates])
    np.testing.assert_allclose(MODEL.log_conditional(MODEL.check_data(X), params), expected, rtol=1e-13)
    # log p(x_n) is the log-sum-exp over components of log π_k + log f_k(x_n)
    with np.errstate(divide="ignore"):
        marginals = logsumexp(expected + np.log(params.weights), axis=1)
    np.testing.assert_allclose(MODEL.score_samples(X, params), marginals, rtol=1e-13)


def _fit_best(K: int, starts) -> emlib.EMResult:
    fits = [emlib.fit_em(MODEL, COUNTS, start, tol=1e-13, max_iter=20000) for start in starts]
    return max(fits, key=lambda fit: fit.log_likelihoods[-1])


def _starts(K: int, n: int = 8):
    """Rates spread over the quantiles of the counts, with jitter; equal weights."""
    rng = np.random.default_rng(K)
    quantiles = np.quantile(COUNTS, (np.arange(K) + 0.5) / K)
    return [PoissonMixtureParams(np.full(K, 1.0 / K), quantiles * rng.uniform(0.8, 1.2, K)) for _ in range(n)]


@pytest.mark.parametrize("K", [1, 2, 3, 4])
def test_em_reaches_zucchini_and_macdonalds_table_1_2(K):
    # Zucchini & MacDonald (2009), Table 1.2: the ML independent mixtures of the earthquake counts, to the printed digits
    printed_weights, printed_rates, printed_minus_log_l = TABLE["rows"][K - 1]
    fit = _fit_best(K, _starts(K))
    order = np.argsort(fit.params.rates[:, 0])  # label switching: the table lists the rates in increasing order
    assert f"{-fit.log_likelihoods[-1]:.4f}" == printed_minus_log_l
    assert [f"{w:.3f}" for w in fit.params.weights[order]] == printed_weights
    # the printed rates are the book's optimiser's: some sit one unit in the last place from the optimum
    # (31.629 for 31.6298 with three components), whose ℓ is at least as high as that of the printed values
    np.testing.assert_allclose(fit.params.rates[order, 0], np.array(printed_rates, float), rtol=0, atol=1.0005e-3)
    printed = PoissonMixtureParams(
        np.array(printed_weights, float) / sum(map(float, printed_weights)), np.array(printed_rates, float)
    )
    assert fit.log_likelihoods[-1] >= MODEL.log_likelihood(COUNTS, printed)
    # the ML stationarity of one component: λ = the sample mean (book eq. hmm-m-step-poisson with γ = 1)
    if K == 1:
        assert fit.params.rates[0, 0] == pytest.approx(COUNTS.mean(), rel=1e-14)


def test_weights_are_repeated_rows():
    rng = np.random.default_rng(3)
    X = rng.poisson([[2.0, 7.0]], size=(30, 2)) + rng.poisson(5.0, size=(30, 1)) * rng.integers(0, 2, (30, 1))
    repeats = rng.integers(1, 4, size=30)
    start = PoissonMixtureParams([0.4, 0.6], [[1.0, 5.0], [6.0, 12.0]])
    weighted = emlib.fit_em(MODEL, X, start, sample_weight=repeats, tol=1e-12, trajectory=True)
    repeated = emlib.fit_em(MODEL, np.repeat(X, repeats, axis=0), start, tol=1e-12, trajectory=True)
    assert weighted.n_iter == repeated.n_iter
    np.testing.assert_allclose(weighted.log_likelihoods, repeated.log_likelihoods, rtol=1e-12)
    np.testing.assert_allclose(weighted.params.rates, repeated.params.rates, rtol=1e-10)
    np.testing.assert_allclose(weighted.params.weights, repeated.params.weights, rtol=1e-10)


def test_em_never_decreases_and_squarem_reaches_the_em_optimum():
    # book elbo-kl-thm-monotone for EM; SQUAREM extrapolates the same map, so it stops at the same fixed point
    start = PoissonMixtureParams([1 / 3, 1 / 3, 1 / 3], [10.0, 20.0, 30.0])
    em = emlib.fit_em(MODEL, COUNTS, start, tol=1e-14, max_iter=20000)
    squarem = emlib.fit_em(MODEL, COUNTS, start, method="squarem", tol=1e-14, max_iter=20000)
    assert np.all(np.diff(em.log_likelihoods) >= -1e-12)
    assert squarem.log_likelihoods[-1] == pytest.approx(em.log_likelihoods[-1], abs=1e-8)
    np.testing.assert_allclose(np.sort(squarem.params.rates[:, 0]), np.sort(em.params.rates[:, 0]), rtol=1e-5)
    assert squarem.n_evaluations < em.n_evaluations


def test_score_equals_central_finite_differences_of_the_log_likelihood():
    rng = np.random.default_rng(4)
    X = rng.poisson([4.0, 9.0], size=(25, 2)).astype(float)
    weights = rng.uniform(0.5, 2.0, 25)
    params = PoissonMixtureParams([0.3, 0.7], [[3.0, 8.0], [5.0, 11.0]])
    vector = MODEL.flatten(params)

    def log_likelihood(v):  # ℓ written out with scipy.stats, after unflatten's renormalisation of π
        pi, rates = v[:2] / v[:2].sum(), v[2:].reshape(2, 2)
        log_f = np.column_stack([poisson.logpmf(X, rate).sum(axis=1) for rate in rates])
        return weights @ logsumexp(log_f + np.log(pi), axis=1)

    step = 1e-6
    numeric = [
        (log_likelihood(vector + step * e) - log_likelihood(vector - step * e)) / (2 * step)
        for e in np.eye(vector.size)
    ]
    np.testing.assert_allclose(MODEL.score(MODEL.check_data(X), weights, params), numeric, rtol=1e-6, atol=1e-6)


def test_an_empty_component_keeps_its_rates_and_gets_weight_zero():
    X = MODEL.check_data([0, 1, 0, 2])
    start = PoissonMixtureParams([0.5, 0.5], [1.0, 500.0])
    gamma = np.column_stack([np.ones(4), np.zeros(4)])
    fitted = MODEL.maximization(X, np.ones(4), gamma, start)
    assert fitted.weights.tolist() == [1.0, 0.0]
    assert fitted.rates[:, 0].tolist() == [0.75, 500.0]


def test_n_parameters_and_draw():
    params = PoissonMixtureParams([0.2, 0.8], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert MODEL.n_parameters(params) == 1 + 6
    X, labels = MODEL.sample(params, 4000, 7)
    assert X.shape == (4000, 3)
    assert abs(labels.mean() - 0.8) < 0.03  # binomial sd 0.006
    np.testing.assert_allclose(X[labels == 1].mean(axis=0), [4.0, 5.0, 6.0], rtol=0.05)


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        MODEL.check_data([1, -2, 3])
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        MODEL.check_data([1, 2.5])
    with pytest.raises(ValueError, match="rates must be non-negative"):
        PoissonMixtureParams([0.5, 0.5], [1.0, -1.0])
    with pytest.raises(ValueError, match="one row per component"):
        PoissonMixtureParams([0.5, 0.5], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="rates has 2 columns but X has 1"):
        emlib.fit_em(MODEL, [1, 2, 3], PoissonMixtureParams([0.5, 0.5], [[1.0, 1.0], [2.0, 2.0]]))
    with pytest.raises(TypeError, match="PoissonMixtureParams"):
        emlib.fit_em(MODEL, [1, 2, 3], emlib.BinomialMixtureParams([1.0], [0.5]))
