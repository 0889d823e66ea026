"""emlib.e_step: responsibilities γ(z_nk), book eq. (soft-em-responsibilities)."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import emlib


@pytest.mark.parametrize("k,d", [(1, 2), (2, 1), (3, 2), (4, 3)])
def test_responsibilities_match_bayes_rule(h, rng, k, d):
    params = h.random_params(rng, k, d)
    x = 3 * rng.standard_normal((60, d))
    r = emlib.e_step(x, params)
    assert r.shape == (60, k)
    assert r.dtype == np.float64
    # γ(z_nk) = π_k N(x_n|μ_k,Σ_k) / Σ_j π_j N(x_n|μ_j,Σ_j), computed in linear space
    joint = np.column_stack(
        [params.weights[j] * multivariate_normal(params.means[j], params.covariances[j]).pdf(x) for j in range(k)]
    ).reshape(60, k)
    want = joint / joint.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(r, want, rtol=1e-10, atol=1e-14)


def test_rows_are_probability_vectors(h, rng):
    params = h.random_params(rng, 3, 2)
    r = emlib.e_step(5 * rng.standard_normal((100, 2)), params)
    assert np.all(r >= 0)
    assert np.all(r <= 1)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_single_component_gives_all_ones(h, rng):
    params = h.random_params(rng, 1, 3)
    r = emlib.e_step(rng.standard_normal((7, 3)), params)
    np.testing.assert_array_equal(r, np.ones((7, 1)))


def test_far_points_still_normalised_and_go_to_the_right_component():
    # log N(x|0,1) - log N(x|1,1) = -(x - 1/2): for x = 1e5 component 1 wins by e^{1e5};
    # all linear-space densities underflow to 0, so a naive ratio would be 0/0.
    p = emlib.GMMParams([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    x = np.array([[1e5], [-1e5], [1e8], [0.5]])
    r = emlib.e_step(x, p)
    assert np.all(np.isfinite(r))
    np.testing.assert_allclose(r.sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_array_equal(r[0], [0.0, 1.0])
    np.testing.assert_array_equal(r[1], [1.0, 0.0])
    np.testing.assert_array_equal(r[2], [0.0, 1.0])
    # exactly midway with equal weights and covariances
    np.testing.assert_allclose(r[3], [0.5, 0.5], rtol=1e-15)


def test_far_point_with_equal_log_joints_is_split_evenly():
    # two components symmetric about 0, point far along the symmetry axis:
    # identical (huge negative) log-joint for both -> (1/2, 1/2), not NaN
    p = emlib.GMMParams([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.0]], [np.eye(2), np.eye(2)])
    r = emlib.e_step(np.array([[0.0, 1e6]]), p)
    np.testing.assert_allclose(r, [[0.5, 0.5]], rtol=1e-14)


def test_far_points_weight_ratio_decides_when_densities_tie():
    # same component density everywhere (same μ, Σ): responsibilities equal the weights, even
    # where the densities underflow
    p = emlib.GMMParams([0.2, 0.8], [[0.0], [0.0]], [[[1.0]], [[1.0]]])
    r = emlib.e_step(np.array([[0.0], [1e4], [-1e6]]), p)
    np.testing.assert_allclose(r, np.tile([0.2, 0.8], (3, 1)), rtol=1e-14)


def test_zero_weight_component_gets_zero_responsibility(rng):
    p = emlib.GMMParams([0.0, 1.0], [[0.0], [5.0]], [[[1.0]], [[1.0]]])
    r = emlib.e_step(rng.standard_normal((20, 1)), p)
    np.testing.assert_array_equal(r[:, 0], 0.0)
    np.testing.assert_array_equal(r[:, 1], 1.0)


def test_e_step_consistent_with_component_log_densities(h, rng):
    params = h.random_params(rng, 3, 3)
    x = rng.standard_normal((30, 3))
    logj = emlib.component_log_densities(x, params) + np.log(params.weights)
    want = np.exp(logj - logj.max(axis=1, keepdims=True))
    want /= want.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(emlib.e_step(x, params), want, rtol=1e-12, atol=1e-15)


def test_row_order_equivariance(h, rng):
    params = h.random_params(rng, 3, 2)
    x = rng.standard_normal((25, 2))
    perm = rng.permutation(25)
    np.testing.assert_allclose(emlib.e_step(x[perm], params), emlib.e_step(x, params)[perm], rtol=1e-14)


def test_overflowing_distance_never_gives_nan():
    # |x| = 1e200: the squared Mahalanobis distance overflows to inf for every component.
    # Acceptable: finite responsibilities summing to one, or a ValueError naming X.
    # Not acceptable: NaN responsibilities (or a RuntimeWarning on the way to them).
    p = emlib.GMMParams([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    x = np.array([[1e200], [0.0]])
    try:
        r = emlib.e_step(x, p)
    except ValueError as error:
        assert "X" in str(error)
    else:
        assert np.all(np.isfinite(r))
        np.testing.assert_allclose(r.sum(axis=1), 1.0, atol=1e-12)
