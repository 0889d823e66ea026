"""emlib.symbolic's helpers of the chapter "Variants of EM", against sympy's own series tests, scipy and quadrature.

- robbins_monro_region: the κ for which γ_t = (t + τ)^(−κ) has Σ γ_t = ∞ and Σ γ_t² < ∞ (book eq.
  (variants-robbins-monro)), found by the integral test; checked against sympy's Sum.is_convergent
  (other tests: p-series, ratio, Raabe) at rational points, and the convergent sum against scipy's
  Hurwitz zeta.
- student_t_scale_q: the ν part of Q of a t component and its CM-step condition (book eq.
  (variants-t-dof-condition)); the log-density against scipy.stats.gamma, the expectation and its
  ν-derivative against numerical quadrature over a Gamma posterior of u.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, special, stats

from emlib import symbolic as sym

KAPPA = sp.Symbol("kappa", positive=True)
TAU = sp.Symbol("tau", nonnegative=True)
RATIONALS = [sp.Rational(1, 4), sp.Rational(1, 2), sp.Rational(3, 5), sp.Rational(3, 4), 1, sp.Rational(6, 5), 2]


@pytest.fixture(scope="module")
def regions():
    return {offset: sym.robbins_monro_region(KAPPA, offset) for offset in (0, 10, TAU)}


@pytest.mark.parametrize("offset", [0, 10, TAU], ids=["tau=0", "tau=10", "tau symbolic"])
def test_region_is_the_half_open_interval(regions, offset):
    # the step sizes of online EM (Cappé and Moulines 2009) meet Robbins and Monro's conditions for κ ∈ (1/2, 1], any τ
    result = regions[offset]
    assert result.region == sp.Interval.Lopen(sp.Rational(1, 2), 1)
    assert result.steps_diverge == sp.Interval.Lopen(0, 1)
    assert result.squares_converge == sp.Interval.open(sp.Rational(1, 2), sp.oo)


@pytest.mark.parametrize("kappa", RATIONALS, ids=str)
def test_membership_agrees_with_sympys_series_tests(regions, kappa):
    t = sp.Symbol("t", integer=True, positive=True)
    diverges = sp.Sum(t ** (-kappa), (t, 1, sp.oo)).is_convergent() is sp.false
    squares = sp.Sum(t ** (-2 * kappa), (t, 1, sp.oo)).is_convergent() is sp.true
    result = regions[0]
    assert (kappa in result.steps_diverge) == diverges
    assert (kappa in result.squares_converge) == squares
    assert (kappa in result.region) == (diverges and squares)


@pytest.mark.parametrize("kappa, tau", [(0.6, 0.0), (0.6, 10.0), (1.0, 3.0)])
def test_the_convergent_sum_is_hurwitz_zeta(kappa, tau):
    # Σ_{t≥1} (t + τ)^(−2κ) = ζ(2κ, 1 + τ); the partial sum up to T plus the integral estimate of its tail
    T = 200_000
    t = np.arange(1, T + 1, dtype=float)
    partial = np.sum((t + tau) ** (-2 * kappa))
    tail = (T + tau + 0.5) ** (1 - 2 * kappa) / (2 * kappa - 1)  # ∫_{T+½}^∞ (s + τ)^(−2κ) ds
    assert np.isclose(partial + tail, special.zeta(2 * kappa, 1 + tau), rtol=1e-7)
    # ... while the partial sums of γ_t grow without bound: Σ_{T < t ≤ 4T} γ_t stays above a fixed amount
    grow = np.sum((np.arange(T + 1, 4 * T + 1) + tau) ** (-kappa))
    assert grow > np.log(3.0)  # ≥ ∫_{T+1}^{4T+1} ds / (s + τ) ≈ log 4 for κ = 1, more for κ < 1


def test_region_rejects_bad_symbols():
    with pytest.raises(ValueError, match="decay"):
        sym.robbins_monro_region(sp.Symbol("kappa"))
    with pytest.raises(ValueError, match="decay"):
        sym.robbins_monro_region(0.6)
    with pytest.raises(ValueError, match="offset"):
        sym.robbins_monro_region(KAPPA, -1)
    with pytest.raises(ValueError, match="offset"):
        sym.robbins_monro_region(KAPPA, sp.Symbol("tau"))


NU, U = sp.symbols("nu u", positive=True)
E_LOG_U, E_U = sp.symbols("E_log_u E_u", real=True)


@pytest.fixture(scope="module")
def scale_q():
    return sym.student_t_scale_q(NU, U, E_LOG_U, E_U)


def test_log_density_is_the_gamma_prior_of_the_scale(scale_q):
    # u ~ Gamma(ν/2, rate ν/2): scipy's shape ν/2, scale 2/ν
    f = sp.lambdify((U, NU), scale_q.log_density, modules="scipy")
    rng = np.random.default_rng(0)
    for nu, u in zip(rng.uniform(0.5, 40.0, 8), rng.uniform(0.05, 4.0, 8)):
        assert np.isclose(f(u, nu), stats.gamma.logpdf(u, nu / 2, scale=2 / nu), rtol=1e-12, atol=1e-12)


def _expected_by_quadrature(nu, shape, rate):
    """E[log p(u | ν)] for u ~ Gamma(shape, rate), the E-step's posterior of the scale, by quadrature."""
    posterior = stats.gamma(shape, scale=1 / rate)

    def integrand(u):
        return stats.gamma.logpdf(u, nu / 2, scale=2 / nu) * posterior.pdf(u)

    value, _ = integrate.quad(integrand, 0, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
    return value


@pytest.mark.parametrize("nu, dimension, distance", [(4.0, 2, 0.7), (12.0, 3, 9.0), (1.5, 1, 30.0)])
def test_expectation_and_condition_against_quadrature(scale_q, nu, dimension, distance):
    # the t posterior of u given x: Gamma((ν + D)/2, rate (ν + δ²)/2), E[log u] = ψ(a) − log b, E[u] = a/b
    shape, rate = (nu + dimension) / 2, (nu + distance) / 2
    moments = {E_LOG_U: special.digamma(shape) - np.log(rate), E_U: shape / rate}
    expected = sp.lambdify(NU, scale_q.expected.subs(moments), modules="scipy")
    condition = sp.lambdify(NU, scale_q.condition.subs(moments), modules="scipy")
    assert np.isclose(expected(nu), _expected_by_quadrature(nu, shape, rate), rtol=1e-9, atol=1e-10)
    h = 1e-4 * nu  # the condition is 2 ∂/∂ν of the expectation (the posterior of u held fixed)
    slope = (_expected_by_quadrature(nu + h, shape, rate) - _expected_by_quadrature(nu - h, shape, rate)) / (2 * h)
    assert np.isclose(condition(nu), 2 * slope, rtol=1e-5, atol=1e-8)


def test_condition_is_the_ecm_equation(scale_q):
    # the CM-step for ν of Liu and Rubin (1995) and McLachlan and Peel (2000, ch. 7), with the E-step's moments
    target = 1 + sp.log(NU / 2) - sp.digamma(NU / 2) + E_LOG_U - E_U
    assert sp.simplify(sp.expand_log(scale_q.condition - target, force=True)) == 0


def test_scale_q_rejects_bad_symbols():
    with pytest.raises(ValueError, match="dof"):
        sym.student_t_scale_q(sp.Symbol("nu"), U, E_LOG_U, E_U)
    with pytest.raises(ValueError, match="scale"):
        sym.student_t_scale_q(NU, sp.Symbol("u", real=True), E_LOG_U, E_U)
