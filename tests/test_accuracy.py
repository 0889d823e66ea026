"""Accuracy is not traded for speed: log-likelihoods against a 50-digit mpmath reference.

The fast E-step centres each row at μ_k before multiplying by the precision's Cholesky factor,
so data far from the origin, and thin components far from the origin, keep full relative
precision (book eq. (gmm-log-likelihood)). Every density path (full, equal and diagonal
covariances) is checked.
"""

import mpmath
import numpy as np
import pytest

import emlib
from emlib import _fast

mpmath.mp.dps = 50


def reference_log_likelihood(X, params):
    """log p(X | θ) in 50-digit arithmetic from the exact values of the float64 inputs."""
    dimension = X.shape[1]
    total = mpmath.mpf(0)
    for row in X:
        terms = []
        for weight, mean, covariance in zip(params.weights, params.means, params.covariances):
            sigma = mpmath.matrix([[mpmath.mpf(float(v)) for v in line] for line in covariance])
            deviation = mpmath.matrix([mpmath.mpf(float(a)) - mpmath.mpf(float(b)) for a, b in zip(row, mean)])
            quadratic = (deviation.T * mpmath.lu_solve(sigma, deviation))[0]
            log_density = -(dimension * mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.det(sigma)) + quadratic) / 2
            terms.append(mpmath.log(mpmath.mpf(float(weight))) + log_density)
        largest = max(terms)
        total += largest + mpmath.log(mpmath.fsum(mpmath.exp(t - largest) for t in terms))
    return total


def mpmath_mahalanobis(x, mean, covariance):
    """(x − μ)ᵀ Σ⁻¹ (x − μ) in 50 digits."""
    sigma = mpmath.matrix([[mpmath.mpf(float(v)) for v in line] for line in covariance])
    deviation = mpmath.matrix([mpmath.mpf(float(a)) - mpmath.mpf(float(b)) for a, b in zip(x, mean)])
    return (deviation.T * mpmath.lu_solve(sigma, deviation))[0]


def rotation(angle):
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def covariance(structure, scale, angle):
    base = np.diag([1.0, 0.3]) * scale
    return base if structure == "diagonal" else rotation(angle) @ base @ rotation(angle).T


@pytest.mark.parametrize("structure", ["full", "tied", "diagonal"])
def test_data_offset_by_1e8(structure):
    rng = np.random.default_rng(1)
    offset = 1e8
    covariances = [covariance(structure, 1.0, 0.4), covariance(structure, 2.0, 0.4 if structure == "tied" else 1.1)]
    if structure == "tied":
        covariances[1] = covariances[0]
    params = emlib.GMMParams([0.4, 0.6], [[offset, offset], [offset + 3.0, offset - 1.0]], covariances)
    assert _fast.is_diagonal(params.covariances) == (structure == "diagonal")
    X = params.means[rng.integers(0, 2, size=40)] + rng.normal(size=(40, 2))
    exact = reference_log_likelihood(X, params)
    assert emlib.log_likelihood(X, params) == pytest.approx(float(exact), rel=1e-10)


@pytest.mark.parametrize("structure", ["full", "tied", "diagonal"])
def test_thin_component_ten_units_from_the_origin(structure):
    rng = np.random.default_rng(2)
    spread = 1e-5
    thin = covariance(structure, spread**2, 0.7)
    wide = thin if structure == "tied" else covariance(structure, 1.0, 0.2)
    params = emlib.GMMParams([0.5, 0.5], [[10.0, 10.0], [0.0, 0.0]], [thin, wide])
    assert _fast.is_diagonal(params.covariances) == (structure == "diagonal")
    near_thin = params.means[0] + spread * rng.normal(size=(20, 2))
    near_wide = params.means[1] + np.sqrt(np.diag(wide)) * rng.normal(size=(20, 2))
    X = np.vstack([near_thin, near_wide])
    exact = reference_log_likelihood(X, params)
    assert emlib.log_likelihood(X, params) == pytest.approx(float(exact), rel=1e-10)


def test_chunk_boundaries_do_not_matter():
    # more rows than one chunk: the chunked E-step equals the densities computed row by row
    rng = np.random.default_rng(3)
    X = rng.normal(size=(10_007, 3)) * 2.0
    params = emlib.fit_gmm(X, 3, random_state=0, max_iter=0).params
    chunked = emlib.component_log_densities(X, params)
    one_by_one = np.vstack([emlib.component_log_densities(X[i : i + 1], params) for i in range(0, X.shape[0], 997)])
    np.testing.assert_allclose(chunked[::997], one_by_one, rtol=1e-14)
    responsibilities = emlib.e_step(X, params)
    np.testing.assert_allclose(responsibilities.sum(axis=1), 1.0, rtol=1e-14)


def thin_far_diagonal_problem():
    rng = np.random.default_rng(4)
    params = emlib.GMMParams([0.5, 0.5], [[10.0, 10.0], [0.0, 0.0]], [np.diag([1e-10, 2e-10]), np.eye(2)])
    X = np.vstack([params.means[0] + 1e-5 * rng.normal(size=(20, 2)), rng.normal(size=(20, 2))])
    return X, params


def test_the_rounding_guard_keeps_the_expanded_diagonal_form_exact():
    # the expanded quadratic alone cancels for a thin component far from the mixture mean; the
    # guard recomputes those entries from centred deviations (book eq. (gmm-log-likelihood))
    from emlib._fast import GaussianDensities

    X, params = thin_far_diagonal_problem()
    densities = GaussianDensities(params)
    shifted = X - densities.reference
    unguarded = (
        (shifted * shifted) @ densities.inverse_variances.T
        - 2 * shifted @ densities.scaled_means.T
        + densities.mean_terms
    )
    exact = np.array([[np.sum((x - m) ** 2 / np.diag(c)) for m, c in zip(params.means, params.covariances)] for x in X])
    assert np.max(np.abs(unguarded - exact)[:20, 0]) > 1e-8  # the shortcut really would be wrong here
    np.testing.assert_allclose(densities._diagonal_mahalanobis(X).T, exact, rtol=1e-12, atol=1e-12)
    assert emlib.log_likelihood(X, params) == pytest.approx(float(reference_log_likelihood(X, params)), rel=1e-10)


def test_the_rounding_guard_keeps_the_expanded_tied_form_exact():
    # one shared, thin, correlated covariance, components far from the mixture mean in its units:
    # ‖y'‖² − 2 y'·b' + ‖b'‖² alone cancels; the guard recomputes from x − μ_k (book eq. (gmm-density))
    from emlib._fast import GaussianDensities

    rng = np.random.default_rng(5)
    shared = 1e-10 * np.array([[1.0, 0.6], [0.6, 2.0]])
    params = emlib.GMMParams([0.5, 0.5], [[10.0, 10.0], [0.0, 0.0]], [shared, shared])
    X = np.vstack([params.means[0] + 1e-5 * rng.normal(size=(20, 2)), 1e-5 * rng.normal(size=(20, 2))])
    densities = GaussianDensities(params)
    assert densities.tied
    whitened = (X - densities.reference) @ params.precision_cholesky[0]
    unguarded = np.sum(whitened**2, axis=1)[:, None] - 2 * whitened @ densities.whitened_means.T + densities.mean_terms
    exact = np.array([[float(mpmath_mahalanobis(x, m, shared)) for m in params.means] for x in X])
    assert np.max(np.abs(unguarded - exact) / (1 + exact)) > 1e-8  # the shortcut really would be wrong here
    np.testing.assert_allclose(densities._tied_mahalanobis(X).T, exact, rtol=1e-12, atol=1e-12)
    assert emlib.log_likelihood(X, params) == pytest.approx(float(reference_log_likelihood(X, params)), rel=1e-10)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_diagonal_m_step_is_exact_for_a_thin_component_far_away(covariance_type):
    # σ² = E[x'²] − E[x']² cancels for the thin component; m_step falls back to centred sums
    X, _ = thin_far_diagonal_problem()
    labels = np.repeat([0, 1], 20)
    params = emlib.m_step(X, np.eye(2)[labels], covariance_type=covariance_type, reg_covar=0.0)
    for k in range(2):
        variances = X[labels == k].var(axis=0)
        expected = variances.mean() if covariance_type == "spherical" else variances
        np.testing.assert_allclose(np.diag(params.covariances[k]), expected, rtol=1e-12)
