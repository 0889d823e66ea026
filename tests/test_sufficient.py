"""Additive sufficient statistics of a Gaussian mixture (emlib.sufficient): exact pooling, and the M-step they feed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emlib
from emlib.gaussian_mixture import GaussianMixtureModel
from emlib.sufficient import GaussianStatistics, maximize_statistics, statistics_regulariser

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


def _mixed_scale_data(seed: int = 0, n: int = 600):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0.0, 1.0, (n // 2, 3)), rng.normal(3.0, 2.0, (n - n // 2, 3))])
    return X * np.array([1.0, 1e3, 1e-3]) + np.array([0.0, 1e6, 0.0]), rng.random(n) + 0.1


def _responsibilities(X, seed=1, k=3):
    raw = np.random.default_rng(seed).random((len(X), k)) + 1e-3
    return raw / raw.sum(axis=1, keepdims=True)


def _independent_moments(X, responsibilities, weights):
    """N_k, the weighted mean and the scatter about it by numpy's own weighted covariance (book eqs. soft-em-nk, -mu, -sigma)."""
    r = responsibilities * weights[:, np.newaxis]
    counts = r.sum(axis=0)
    means = np.array([np.average(X, axis=0, weights=r[:, k]) for k in range(r.shape[1])])
    scatter = np.array([np.cov(X.T, aweights=r[:, k], bias=True) * counts[k] for k in range(r.shape[1])])
    return counts, means, scatter


def _close(actual, expected, rtol):
    scale = np.maximum(np.abs(expected), 1e-300)
    return np.all(np.abs(actual - expected) <= rtol * scale)


def _scatter_close(actual, expected, rtol):
    """Entries compared relative to √(S_ii S_jj): the scale each entry has, whatever the units of each feature."""
    diagonal = np.sqrt(np.abs(np.diagonal(expected, axis1=1, axis2=2)))
    scale = diagonal[:, :, np.newaxis] * diagonal[:, np.newaxis, :]
    return np.all(np.abs(actual - expected) <= rtol * scale)


def test_statistics_are_the_weighted_moments_of_each_component():
    X, w = _mixed_scale_data()
    r = _responsibilities(X)
    statistics = GaussianStatistics.from_responsibilities(X, r, w)
    counts, means, scatter = _independent_moments(X, r, w)
    assert _close(statistics.counts, counts, 1e-13)
    assert _close(statistics.means, means, 1e-13)
    assert _scatter_close(statistics.scatter, scatter, 1e-11)
    assert statistics.total == pytest.approx(w.sum(), rel=1e-15)


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(1, 599), min_size=1, max_size=6, unique=True), seed=st.integers(0, 2**16))
def test_pooling_blocks_gives_the_statistics_of_their_union(cuts, seed):
    # the pairwise formula of Chan, Golub and LeVeque: any partition of the rows pools to the whole
    X, w = _mixed_scale_data(seed)
    r = _responsibilities(X, seed + 1)
    edges = [0, *sorted(cuts), len(X)]
    pooled = None
    for start, stop in zip(edges[:-1], edges[1:]):
        block = GaussianStatistics.from_responsibilities(X[start:stop], r[start:stop], w[start:stop])
        pooled = block if pooled is None else pooled + block
    counts, means, scatter = _independent_moments(X, r, w)
    assert _close(pooled.counts, counts, 1e-12)
    assert _close(pooled.means, means, 1e-12)
    assert _scatter_close(pooled.scatter, scatter, 1e-10)
    assert pooled.total == pytest.approx(w.sum(), rel=1e-13)


def test_scaling_multiplies_every_weight():
    X, w = _mixed_scale_data()
    r = _responsibilities(X)
    scaled = 2.5 * GaussianStatistics.from_responsibilities(X, r, w)
    direct = GaussianStatistics.from_responsibilities(X, r, 2.5 * w)
    assert _close(scaled.counts, direct.counts, 1e-14)
    assert _close(scaled.means, direct.means, 1e-13)
    assert _scatter_close(scaled.scatter, direct.scatter, 1e-11)
    assert scaled.total == pytest.approx(direct.total, rel=1e-15)


def test_a_component_without_rows_pools_as_nothing():
    X, w = _mixed_scale_data()
    r = np.zeros((len(X), 2))
    r[:, 0] = 1.0
    empty = GaussianStatistics.from_responsibilities(X[:10], r[:10], w[:10])
    assert empty.counts[1] == 0.0 and np.all(empty.scatter[1] == 0.0)
    pooled = empty + GaussianStatistics.from_responsibilities(X[10:], r[10:], w[10:])
    counts, means, _ = _independent_moments(X, r[:, :1], w)
    assert _close(pooled.means[:1], means, 1e-12) and pooled.counts[1] == 0.0


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_from_pooled_statistics_equals_the_in_memory_m_step(covariance_type):
    # book eqs. (soft-em-pi), (soft-em-mu), (soft-em-sigma)…(soft-em-sigma-tied), with the default prior of (soft-em-data-prior)
    X, w = _mixed_scale_data()
    model = GaussianMixtureModel(covariance_type)
    r = _responsibilities(X)
    expected = emlib.m_step(X, r, covariance_type=covariance_type, sample_weight=w)
    blocks = np.array_split(np.arange(len(X)), 7)
    pooled = sum(
        (model.summarize(X[rows], w[rows], r[rows]) for rows in blocks[1:]),
        start=model.summarize(X[blocks[0]], w[blocks[0]], r[blocks[0]]),
    )
    actual = model.maximize_summary(pooled, None)
    assert _close(actual.weights, expected.weights, 1e-13)
    assert _close(actual.means, expected.means, 1e-12)
    assert _scatter_close(actual.covariances, expected.covariances, 1e-10)


@pytest.mark.parametrize("reg_covar", [None, 0.0, 1e-3])
def test_the_regulariser_is_the_one_the_model_computes_from_the_rows(reg_covar):
    X, w = _mixed_scale_data()
    model = GaussianMixtureModel("full", reg_covar)
    statistics = GaussianStatistics.from_responsibilities(X, _responsibilities(X), w)
    from_statistics = statistics_regulariser(statistics, "full", reg_covar)
    from_rows = model.regulariser(X, w)
    assert _scatter_close(from_statistics.scale[np.newaxis], from_rows.scale[np.newaxis], 1e-11)
    assert from_statistics.additive == from_rows.additive
    if reg_covar is None:
        assert _scatter_close(from_statistics.prior_scale[np.newaxis], from_rows.prior_scale[np.newaxis], 1e-11)
    else:
        assert from_statistics.prior_scale is None


def test_an_empty_component_keeps_its_previous_parameters_with_weight_zero():
    X, w = _mixed_scale_data()
    r = np.zeros((len(X), 2))
    r[:, 0] = 1.0
    previous = emlib.GMMParams([0.5, 0.5], [X.mean(axis=0), X.mean(axis=0) + 1.0], [np.cov(X.T)] * 2)
    statistics = GaussianStatistics.from_responsibilities(X, r, w)
    regulariser = statistics_regulariser(statistics, "full")
    fitted = maximize_statistics(statistics, "full", regulariser, previous)
    assert fitted.weights[1] == 0.0
    np.testing.assert_array_equal(fitted.means[1], previous.means[1])
    with pytest.raises(ValueError, match="component 1 has no responsibility"):
        maximize_statistics(statistics, "full", regulariser, None)


def test_bad_operands_are_refused_by_name():
    X, w = _mixed_scale_data()
    statistics = GaussianStatistics.from_responsibilities(X, _responsibilities(X, k=2), w)
    other = GaussianStatistics.from_responsibilities(X, _responsibilities(X, k=3), w)
    with pytest.raises(ValueError, match="cannot add statistics of 3 components"):
        statistics + other
    with pytest.raises(ValueError, match="finite factor >= 0"):
        -1.0 * statistics
    with pytest.raises(TypeError):
        statistics + 1.0
    with pytest.raises(ValueError, match="conjugate prior needs the data"):
        GaussianMixtureModel(prior="default").maximize_summary(statistics, None)
