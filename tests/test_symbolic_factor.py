"""emlib.symbolic's helpers for continuous latent variables, against independent computations.

``gaussian_posterior`` (book eq. (fa-posterior)) against the partitioned-Gaussian formulas
evaluated with numpy and against the conjugate normal-mean posterior in closed form;
``matrix_stationary_point`` (book eq. (fa-m-step-w)) against numpy's least squares and the
closed-form maximum of a Gaussian log-likelihood in its variance.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from emlib import symbolic as sym

RNG_SEED = 20261203


@pytest.fixture
def rng():
    return np.random.default_rng(RNG_SEED)


def as_array(matrix) -> np.ndarray:
    return np.array(sp.Matrix(matrix).evalf(30).tolist(), dtype=float)


# --------------------------------------------------------------------------------------
# gaussian_posterior: completing the square
# --------------------------------------------------------------------------------------
def test_gaussian_posterior_of_a_gaussian_log_density_returns_its_mean_and_covariance(rng):
    # book eq. (fa-posterior): a Gaussian log-density in z gives back its own moments
    z = sp.symbols("z0:3", real=True)
    a = rng.standard_normal((3, 3))
    covariance = a @ a.T + np.eye(3)
    mean = rng.standard_normal(3)
    exact_cov = sp.Matrix(3, 3, lambda i, j: sp.Rational(round(covariance[i, j] * 1000), 1000))
    exact_cov = (exact_cov + exact_cov.T) / 2
    exact_mean = [sp.Rational(round(m * 1000), 1000) for m in mean]
    posterior = sym.gaussian_posterior(sym.mvn_log_density(z, exact_mean, exact_cov), z)
    assert posterior.covariance == exact_cov
    assert posterior.mean == sp.Matrix(exact_mean)
    assert posterior.precision * posterior.covariance == sp.eye(3)


def test_gaussian_posterior_of_a_joint_is_the_partitioned_conditional(rng):
    # the conditional of the first two coordinates of a 4-dimensional normal given the last two,
    # by the Schur complement in numpy (an independent formula)
    x = sp.symbols("x0:4", real=True)
    a = rng.standard_normal((4, 4))
    covariance = a @ a.T + 0.5 * np.eye(4)
    mean = rng.standard_normal(4)
    observed_values = rng.standard_normal(2)
    log_joint = sym.mvn_log_density(x, sp.Matrix(mean), sp.Matrix(covariance))
    posterior = sym.gaussian_posterior(log_joint.subs({x[2]: observed_values[0], x[3]: observed_values[1]}), x[:2])
    s11, s12, s22 = covariance[:2, :2], covariance[:2, 2:], covariance[2:, 2:]
    expected_mean = mean[:2] + s12 @ np.linalg.solve(s22, observed_values - mean[2:])
    expected_cov = s11 - s12 @ np.linalg.solve(s22, s12.T)
    np.testing.assert_allclose(as_array(posterior.mean).ravel(), expected_mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(as_array(posterior.covariance), expected_cov, rtol=1e-10, atol=1e-12)


def test_gaussian_posterior_of_a_normal_mean_is_the_conjugate_formula():
    # prior θ ~ N(m, s), data y_i ~ N(θ, v): the posterior precision 1/s + n/v, mean (m/s + Σy/v)/(1/s + n/v)
    theta = sp.Symbol("theta", real=True)
    m, y1, y2, y3 = sp.symbols("m y1 y2 y3", real=True)
    s, v = sp.symbols("s v", positive=True)
    ys = (y1, y2, y3)
    log_joint = sym.normal_log_density(theta, m, s) + sum(sym.normal_log_density(y, theta, v) for y in ys)
    posterior = sym.gaussian_posterior(log_joint, [theta])
    precision = 1 / s + 3 / v
    assert sp.simplify(posterior.precision[0, 0] - precision) == 0
    assert sp.simplify(posterior.covariance[0, 0] - 1 / precision) == 0
    assert sp.simplify(posterior.mean[0, 0] - (m / s + sum(ys) / v) / precision) == 0


def test_gaussian_posterior_rejects_what_is_not_a_gaussian():
    z, w = sp.symbols("z w", real=True)
    with pytest.raises(ValueError, match="not quadratic"):
        sym.gaussian_posterior(-(z**4), [z])
    with pytest.raises(ValueError, match="singular"):
        sym.gaussian_posterior(-((z + w) ** 2) / 2, [z, w])
    with pytest.raises(ValueError, match="distinct"):
        sym.gaussian_posterior(-(z**2), [z, z])
    with pytest.raises(ValueError, match="at least one"):
        sym.gaussian_posterior(-(z**2), [])


# --------------------------------------------------------------------------------------
# matrix_stationary_point: entry-by-entry matrix calculus
# --------------------------------------------------------------------------------------
def test_matrix_stationary_point_of_least_squares_is_numpys_solution(rng):
    # book eq. (fa-m-step-w) has the form of a regression: argmin_B ‖Y − X B‖² = (XᵀX)⁻¹ XᵀY
    X = rng.standard_normal((7, 2))
    Y = rng.standard_normal((7, 3))
    B = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"b_{i}{j}", real=True))
    residual = sp.Matrix(Y) - sp.Matrix(X) * B
    objective = -sum(entry**2 for entry in residual)
    solution = sym.matrix_stationary_point(objective, B)
    expected = np.linalg.lstsq(X, Y, rcond=None)[0]
    np.testing.assert_allclose(as_array(solution), expected, rtol=1e-10, atol=1e-12)


def test_matrix_stationary_point_solves_a_nonlinear_condition():
    # book eq. (fa-m-step-psi) has this form: the maximiser of −(N/2) log ψ − A/(2ψ) is A/N
    psi = sp.Symbol("psi", positive=True)
    A, N = sp.symbols("A N", positive=True)
    solution = sym.matrix_stationary_point(-N * sp.log(psi) / 2 - A / (2 * psi), sp.Matrix([[psi]]))
    assert sp.simplify(solution[0, 0] - A / N) == 0


def test_matrix_stationary_point_rejects_no_unique_solution():
    b0, b1 = sp.symbols("b0 b1", real=True)
    with pytest.raises(ValueError, match="no unique solution"):
        sym.matrix_stationary_point(-((b0 + b1 - 1) ** 2), sp.Matrix([[b0, b1]]))
    with pytest.raises(ValueError, match="distinct symbols"):
        sym.matrix_stationary_point(-(b0**2), sp.Matrix([[b0, 2 * b0]]))
