"""emlib._fast computes the book's formulas faster: each speed-up agrees with its reference.

The references are the readable formulas, ``emlib.expectation.log_density_formula`` (book eq.
(gmm-density)) and ``emlib.maximization.moments_formula`` (book eqs. (soft-em-nk), (soft-em-mu),
(soft-em-sigma)); tests/test_accuracy.py checks both paths against mpmath where they could cancel.
"""

from __future__ import annotations

import numpy as np
import pytest

import emlib
from emlib import _fast
from emlib.expectation import log_density_formula
from emlib.maximization import moments_formula


def _mixture(rng, k, d, structure, offset=0.0, thin=1.0):
    means = rng.normal(scale=3.0, size=(k, d)) + offset
    if structure == "diagonal":
        covariances = np.stack([np.diag(rng.uniform(0.5, 2.0, d)) for _ in range(k)])
    else:
        factors = rng.normal(size=(k, d, d))
        covariances = factors @ np.swapaxes(factors, 1, 2) + 0.5 * np.eye(d)
        if structure == "tied":
            covariances[:] = covariances[0]
    covariances[0] *= thin
    return emlib.GMMParams(rng.dirichlet(np.ones(k)), means, covariances)


CASES = [
    ("full", 0.0, 1.0),
    ("tied", 0.0, 1.0),
    ("diagonal", 0.0, 1.0),
    ("diagonal", 1e6, 1.0),  # far from the origin: the expanded diagonal form must fall back
    ("diagonal", 0.0, 1e-10),  # a thin component among wide ones
    ("full", 1e6, 1e-6),
]


@pytest.mark.parametrize("structure, offset, thin", CASES)
@pytest.mark.parametrize("n, d, k", [(7, 1, 1), (3000, 3, 4), (1200, 9, 2)])  # 3000 rows span several chunks
def test_fast_log_densities_agree_with_the_formula(structure, offset, thin, n, d, k):
    rng = np.random.default_rng(n + d + k)
    params = _mixture(rng, k, d, structure, offset, thin)
    X, _ = emlib.datasets.sample_gmm(params, n, rng)
    reference = log_density_formula(X, params)
    fast = _fast.gaussian_log_densities(X, params)
    np.testing.assert_allclose(fast, reference, rtol=1e-10, atol=1e-10 * np.abs(reference).max())
    log_marginals, responsibilities = _fast.gaussian_posterior(X, params, np.log(params.weights), emlib._bayes.bayes)
    joint = reference + np.log(params.weights)
    np.testing.assert_allclose(log_marginals, np.logaddexp.reduce(joint, axis=1), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(responsibilities, np.exp(joint - log_marginals[:, None]), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("offset", [0.0, 1e7])
@pytest.mark.parametrize("n, d, k", [(5, 1, 1), (2500, 4, 3), (900, 12, 5)])
def test_fast_moments_agree_with_the_formula(offset, n, d, k):
    rng = np.random.default_rng(7 * n + d)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10.0, d) + offset
    responsibilities = rng.dirichlet(np.ones(k), size=n)
    weights = rng.uniform(0.0, 3.0, n)
    counts, means, scatter = moments_formula(X, responsibilities, weights)

    def weighted_block(rows):
        return responsibilities[rows] * weights[rows, None]

    fast_means, fast_scatter = _fast.centred_moments(X, weighted_block, counts, diagonal=False)
    np.testing.assert_allclose(fast_means, means, rtol=1e-12, atol=1e-12 * (1 + offset))
    np.testing.assert_allclose(fast_scatter, scatter, rtol=1e-9, atol=1e-9 * np.abs(scatter).max())
    diagonal = np.diagonal(scatter, axis1=1, axis2=2)
    for fast_means, fast_diagonal in (
        _fast.centred_moments(X, weighted_block, counts, diagonal=True),
        _fast.diagonal_moments(X, weighted_block, counts, weights),
    ):
        np.testing.assert_allclose(fast_means, means, rtol=1e-12, atol=1e-12 * (1 + offset))
        np.testing.assert_allclose(fast_diagonal, diagonal, rtol=1e-8)


def test_row_maxima_is_the_row_maximum_over_the_columns():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 6))
    values[3, 2] = -np.inf
    columns = np.array([0, 2, 5])
    np.testing.assert_array_equal(_fast.row_maxima(values, columns), values[:, columns].max(axis=1))


def test_is_diagonal():
    assert _fast.is_diagonal(np.stack([np.eye(3), 2 * np.eye(3)]))
    full = np.stack([np.eye(3), [[1.0, 0.1, 0.0], [0.1, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    assert not _fast.is_diagonal(full)
