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


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def compiled(request, monkeypatch):
    """Run the test with emlib's compiled loops (numba) and again with the numpy path."""
    monkeypatch.setattr(_fast, "USE_COMPILED", request.param and _fast.HAVE_NUMBA)
    return request.param


def test_the_compiled_loops_are_tested():
    """numba is pinned in requirements.txt, so that the compiled paths run in the test suite."""
    assert _fast.HAVE_NUMBA and _fast.USE_COMPILED


def test_the_vector_exponential_runs_where_glibc_provides_it():
    """On x86-64 Linux with AVX2 (the CI machine), the compiled loops' exponentials go through libmvec."""
    import platform
    import sys

    import llvmlite.binding

    avx2 = llvmlite.binding.get_host_cpu_features().get("avx2", False)
    assert _fast.HAVE_VECTOR_EXP == (sys.platform == "linux" and platform.machine() == "x86_64" and avx2)
    assert _fast._exp_in_place is (_fast._vector_exp_in_place if _fast.HAVE_VECTOR_EXP else _fast._scalar_exp_in_place)


@pytest.mark.parametrize("name, ulps", [("_exp_in_place", 4), ("_scalar_exp_in_place", 1)])
def test_the_compiled_exponential_is_accurate(name, ulps):
    # Bayes' theorem exponentiates log p(x, z = k) − max_k log p(x, z = k) + log π_k ≤ 0, or −∞ for an
    # impossible component: within `ulps` units in the last place of a 30-digit reference, results
    # below float64's smallest normal number included; lengths 1 to 11 leave every tail of the
    # four-at-a-time loop
    import mpmath

    rng = np.random.default_rng(11)
    exponentiate = getattr(_fast, name)
    for size in range(1, 12):
        values = np.concatenate([[0.0, -np.inf, -708.5, -745.2, -1e-300], -rng.exponential(50.0, size=size * 40)])[
            : size * 40
        ]
        result = values.copy()
        exponentiate(result)
        with mpmath.workdps(30):
            reference = np.array([float(mpmath.exp(mpmath.mpf(float(v)))) for v in values])
        assert result[values == -np.inf].tolist() == [0.0] * int(np.sum(values == -np.inf))
        errors = np.abs(result - reference) / np.spacing(reference)
        assert np.max(errors[np.isfinite(values)]) <= ulps


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
def test_fast_log_densities_agree_with_the_formula(structure, offset, thin, n, d, k, compiled):
    # with numba, the compiled E-step whitens in its loop, except tied covariances in d = 9, which
    # BLAS whitens once per row; 1200 and 3000 rows end in a partial block of ROW_BLOCK rows
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
@pytest.mark.parametrize("n, d, k", [(5, 1, 1), (2500, 2, 3), (2500, 4, 3), (900, 12, 5)])
def test_fast_moments_agree_with_the_formula(offset, n, d, k, compiled):
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
    for fast_means, fast_scatter in (
        _fast.expanded_moments(X, weighted_block, counts, weights),
        _fast.pooled_moments(X, responsibilities, weights, counts),
    ):
        np.testing.assert_allclose(fast_means, means, rtol=1e-12, atol=1e-12 * (1 + offset))
        expected = scatter if fast_scatter.shape[0] == k else scatter.sum(axis=0, keepdims=True)
        np.testing.assert_allclose(fast_scatter, expected, rtol=1e-9, atol=1e-9 * np.abs(scatter).max())
    # the M-step's entry, on a subset of the components (small: the compiled loop when compiled)
    columns = np.arange(k)[::2]
    entry_means, entry_scatter = _fast.component_moments(X, responsibilities, weights, counts[columns], False, columns)
    np.testing.assert_allclose(entry_means, means[columns], rtol=1e-12, atol=1e-12 * (1 + offset))
    np.testing.assert_allclose(entry_scatter, scatter[columns], rtol=1e-9, atol=1e-9 * np.abs(scatter).max())
    assert np.array_equal(entry_scatter, np.swapaxes(entry_scatter, 1, 2))  # exactly symmetric
    entry_means, entry_diagonal = _fast.component_moments(X, responsibilities, weights, counts, True)
    np.testing.assert_allclose(entry_means, means, rtol=1e-12, atol=1e-12 * (1 + offset))
    np.testing.assert_allclose(entry_diagonal, diagonal, rtol=1e-8)
    entry_means, entry_diagonal = _fast.component_moments(X, responsibilities, weights, counts[columns], True, columns)
    np.testing.assert_allclose(entry_means, means[columns], rtol=1e-12, atol=1e-12 * (1 + offset))
    np.testing.assert_allclose(entry_diagonal, diagonal[columns], rtol=1e-8)


@pytest.mark.parametrize("structure", ["full", "diagonal", "tied"])
@pytest.mark.parametrize("d, k", [(2, 5), (4, 8), (9, 5), (33, 3)])
def test_compiled_and_numpy_e_steps_agree(structure, d, k, monkeypatch):
    # k = 5: rows of the blocks' exponentials end in a tail, k = 8: none (libmvec takes 4 at a time)
    rng = np.random.default_rng(d)
    params = _mixture(rng, k, d, structure)
    X, _ = emlib.datasets.sample_gmm(params, 4000, rng)
    log_weights = np.log(params.weights)
    monkeypatch.setattr(_fast, "USE_COMPILED", True)
    compiled = _fast.gaussian_posterior(X, params, log_weights, emlib._bayes.bayes)
    monkeypatch.setattr(_fast, "USE_COMPILED", False)
    reference = _fast.gaussian_posterior(X, params, log_weights, emlib._bayes.bayes)
    np.testing.assert_allclose(compiled[0], reference[0], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(compiled[1], reference[1], rtol=1e-11, atol=1e-15)


def test_compiled_e_step_leaves_a_component_of_weight_zero_out(compiled):
    rng = np.random.default_rng(3)
    params = emlib.GMMParams([0.0, 0.4, 0.6], rng.normal(size=(3, 2)), np.stack([np.eye(2)] * 3))
    X = rng.normal(size=(50, 2))
    log_weights = np.array([-np.inf, np.log(0.4), np.log(0.6)])
    log_marginals, responsibilities = _fast.gaussian_posterior(X, params, log_weights, emlib._bayes.bayes)
    assert np.all(responsibilities[:, 0] == 0.0)
    np.testing.assert_allclose(responsibilities.sum(axis=1), 1.0, rtol=1e-15)
    expected = np.logaddexp.reduce(log_density_formula(X, params)[:, 1:] + log_weights[1:], axis=1)
    np.testing.assert_allclose(log_marginals, expected, rtol=1e-13)


@pytest.mark.parametrize("structure", ["full", "diagonal"])
def test_an_overflowing_row_is_named_on_either_path(structure, compiled):
    covariance = np.eye(2) * 1e-300 if structure == "diagonal" else np.array([[1e-300, 0.5e-300], [0.5e-300, 1e-300]])
    params = emlib.GMMParams([1.0], [[0.0, 0.0]], [covariance])
    X = np.array([[0.0, 0.0], [1e10, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"X\[1\] is too far from component 0"):
        _fast.gaussian_posterior(X, params, np.log(params.weights), emlib._bayes.bayes)


@pytest.mark.parametrize("d", [1, 3])
def test_expanded_and_pooled_moments_fall_back_where_they_would_cancel(d):
    # thin components far from the data's centre: Σ r (x − c)(x − c)ᵀ − N μ'μ'ᵀ keeps almost no digit
    # of the scatter, so both shortcuts must recompute from data centred on each component
    rng = np.random.default_rng(d)
    centres = np.array([np.full(d, 1e4), np.zeros(d)])
    labels = np.repeat([0, 1], 300)
    X = centres[labels] + 1e-3 * rng.normal(size=(600, d)) @ (np.eye(d) + 0.5 * np.tri(d, k=-1))
    responsibilities = np.eye(2)[labels]
    weights = rng.uniform(0.5, 2.0, 600)
    counts, means, scatter = moments_formula(X, responsibilities, weights)
    shifted = X - X.T @ weights / weights.sum()
    raw = np.einsum("n,nk,ni,nj->kij", weights, responsibilities, shifted, shifted)
    assert np.min(np.diagonal(scatter, axis1=1, axis2=2) / np.diagonal(raw, axis1=1, axis2=2)) < 1e-10

    def weighted_block(rows):
        return responsibilities[rows] * weights[rows, None]

    fast_means, fast_scatter = _fast.expanded_moments(X, weighted_block, counts, weights)
    np.testing.assert_allclose(fast_means, means, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(fast_scatter, scatter, rtol=1e-9, atol=1e-9 * np.abs(scatter).max())
    pooled_means, pooled = _fast.pooled_moments(X, responsibilities, weights, counts)
    np.testing.assert_allclose(pooled_means, means, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(pooled[0], scatter.sum(axis=0), rtol=1e-9, atol=1e-9 * np.abs(scatter).max())


@pytest.mark.parametrize("d", [2, 6])
def test_the_tied_e_step_is_exact_where_its_expanded_form_would_cancel(d, compiled):
    # a thin shared covariance, the components far apart in its units: the guard flags the entries
    # near each component and recomputes them centred (d = 6 with numba: the compiled tied pass)
    rng = np.random.default_rng(d)
    factor = np.eye(d) + 0.3 * np.tri(d, k=-1)
    shared = 1e-8 * factor @ factor.T
    means = np.stack([np.full(d, 5.0), np.zeros(d), np.full(d, -3.0)])
    params = emlib.GMMParams([0.3, 0.3, 0.4], means, [shared] * 3)
    labels = rng.integers(0, 3, 500)
    X = means[labels] + 1e-4 * rng.normal(size=(500, d)) @ factor.T
    reference = log_density_formula(X, params) + np.log(params.weights)
    log_marginals, responsibilities = _fast.gaussian_posterior(X, params, np.log(params.weights), emlib._bayes.bayes)
    np.testing.assert_allclose(log_marginals, np.logaddexp.reduce(reference, axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(responsibilities, np.exp(reference - log_marginals[:, None]), rtol=1e-8, atol=1e-300)


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
