"""emlib.symbolic.gaussian_conditional: the conditional Gaussian of missing entries, against numpy and scipy.

The helper derives E[x_m | x_o] and Cov[x_m | x_o] from the joint and marginal log-densities
(book eq. (missing-e-step-moments)); here they are checked against the partitioned-covariance
formula evaluated with numpy solves, against the inverse of the missing block of the precision
matrix (another identity), and the derived log-density against scipy.stats.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.stats import multivariate_normal

from emlib import symbolic as sym

RNG_SEED = 20261203
X = sp.symbols("x_0:3", real=True)
MU = sp.symbols("mu_0:3", real=True)
SIGMA = sym.symmetric_matrix("sigma", 3)
PATTERNS = ([2], [0], [1, 2], [0, 2])


@pytest.fixture(scope="module")
def derived():
    return {tuple(m): sym.gaussian_conditional(X, MU, SIGMA, m) for m in PATTERNS}


def random_case(rng):
    a = rng.standard_normal((3, 3))
    covariance = a @ a.T + 0.5 * np.eye(3)
    return rng.standard_normal(3), covariance, rng.standard_normal(3) * 2


def substitutions(mean, covariance, point):
    values = {s: v for s, v in zip(MU, mean)} | {s: v for s, v in zip(X, point)}
    values |= {SIGMA[i, j]: covariance[i, j] for i in range(3) for j in range(i, 3)}
    return values


@pytest.mark.parametrize("missing", PATTERNS, ids=str)
def test_moments_equal_the_partitioned_formula_and_the_precision_block(derived, missing):
    # book eq. (missing-e-step-moments): x̂ = μ_m + Σ_mo Σ_oo⁻¹ (x_o − μ_o), C = Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om
    rng = np.random.default_rng(RNG_SEED)
    result = derived[tuple(missing)]
    observed = [i for i in range(3) if i not in missing]
    for _ in range(5):
        mean, covariance, point = random_case(rng)
        values = substitutions(mean, covariance, point)
        got_mean = np.array(result.mean.subs(values).evalf(), dtype=float).ravel()
        got_cov = np.array(result.covariance.subs(values).evalf(), dtype=float)
        s_oo = covariance[np.ix_(observed, observed)]
        s_mo = covariance[np.ix_(missing, observed)]
        expected_mean = mean[missing] + s_mo @ np.linalg.solve(s_oo, point[observed] - mean[observed])
        expected_cov = covariance[np.ix_(missing, missing)] - s_mo @ np.linalg.solve(s_oo, s_mo.T)
        np.testing.assert_allclose(got_mean, expected_mean, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got_cov, expected_cov, rtol=1e-10, atol=1e-12)
        # the conditional precision is the missing block of Σ⁻¹
        precision = np.linalg.inv(covariance)
        np.testing.assert_allclose(np.linalg.inv(got_cov), precision[np.ix_(missing, missing)], rtol=1e-9)


@pytest.mark.parametrize("missing", PATTERNS, ids=str)
def test_log_density_is_the_normalised_conditional(derived, missing):
    rng = np.random.default_rng(RNG_SEED + 1)
    result = derived[tuple(missing)]
    for _ in range(3):
        mean, covariance, point = random_case(rng)
        values = substitutions(mean, covariance, point)
        got = float(result.log_density.subs(values).evalf())
        cond_mean = np.array(result.mean.subs(values).evalf(), dtype=float).ravel()
        cond_cov = np.array(result.covariance.subs(values).evalf(), dtype=float)
        # log N(x | μ, Σ) − log N(x_o | μ_o, Σ_oo), from scipy
        observed = [i for i in range(3) if i not in missing]
        joint = multivariate_normal(mean, covariance).logpdf(point)
        marginal = multivariate_normal(mean[observed], covariance[np.ix_(observed, observed)]).logpdf(point[observed])
        assert got == pytest.approx(joint - marginal, rel=1e-10)
        assert got == pytest.approx(multivariate_normal(cond_mean, cond_cov).logpdf(point[missing]), rel=1e-10)


def test_covariance_does_not_involve_the_observed_entries(derived):
    for result in derived.values():
        assert not (result.covariance.free_symbols & set(X))
        assert result.mean.free_symbols & set(X)  # the mean is a function of x_o


def test_bivariate_regression_coefficients():
    # the factorisation of the monotone bivariate likelihood: x_1 | x_0 has slope σ01/σ00 and
    # variance σ11 − σ01²/σ00
    x, mu, sigma = sp.symbols("x_0:2", real=True), sp.symbols("mu_0:2", real=True), sym.symmetric_matrix("s", 2)
    result = sym.gaussian_conditional(x, mu, sigma, [1])
    slope = sp.diff(result.mean[0], x[0])
    assert sp.simplify(slope - sigma[0, 1] / sigma[0, 0]) == 0
    assert sp.simplify(result.covariance[0, 0] - (sigma[1, 1] - sigma[0, 1] ** 2 / sigma[0, 0])) == 0


@pytest.mark.parametrize("missing", [[], [0, 1, 2], [3], [1, 1], [True]], ids=str)
def test_bad_missing_indices_are_refused(missing):
    with pytest.raises(ValueError, match="missing must be"):
        sym.gaussian_conditional(X, MU, SIGMA, missing)


def test_mismatched_sizes_are_refused():
    with pytest.raises(ValueError, match="sizes"):
        sym.gaussian_conditional(X, MU[:2], SIGMA, [0])
