"""emlib.symbolic: every sympy helper of the chapters, checked against an independent computation.

Densities against scipy.stats at random points, derived estimators against the closed forms of
the book (the Gaussian MLE, book eqs. (gaussian-mle-mean), (gaussian-mle-variance); the M-step,
(soft-em-mu), (soft-em-sigma), (soft-em-pi)) evaluated with numpy, the ELBO and KL terms
against their numpy definitions and mpmath, and the import of emlib without sympy.
"""

from __future__ import annotations

import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.special import logsumexp, softmax
from scipy.stats import multivariate_normal, norm

from emlib import symbolic as sym

RNG_SEED = 20260602


@pytest.fixture
def rng():
    return np.random.default_rng(RNG_SEED)


def value(expr, substitutions) -> float:
    return float(sp.N(expr.subs(substitutions), 30))


def random_spd(rng, d):
    a = rng.standard_normal((d, d))
    return a @ a.T + d * np.eye(d)


# --------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------
def test_importing_emlib_and_the_module_does_not_import_sympy():
    code = "import emlib, emlib.symbolic, sys; assert 'sympy' not in sys.modules, 'sympy was imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_all_lists_documented_helpers():
    assert len(set(sym.__all__)) == len(sym.__all__)
    for name in sym.__all__:
        obj = getattr(sym, name)
        assert obj.__doc__ and obj.__doc__.strip(), name
        if callable(obj) and not isinstance(obj, type):
            assert ":eq:`" in obj.__doc__ or name == "agrees_numerically", f"{name} names no book equation"


# --------------------------------------------------------------------------------------
# densities
# --------------------------------------------------------------------------------------
def test_normal_density_and_log_density_match_scipy(rng):
    x, mu, var = sp.symbols("x mu sigma2", real=True)
    for _ in range(10):
        point, mean, variance = rng.normal(), rng.normal(), rng.uniform(0.1, 5.0)
        values = {x: point, mu: mean, var: variance}
        sd = np.sqrt(variance)
        assert np.isclose(value(sym.normal_density(x, mu, var), values), norm.pdf(point, mean, sd), rtol=1e-12)
        assert np.isclose(value(sym.normal_log_density(x, mu, var), values), norm.logpdf(point, mean, sd), rtol=1e-12)


def test_normal_density_is_the_exponential_of_the_log_density():
    x, mu = sp.symbols("x mu", real=True)
    var = sp.Symbol("sigma^2", positive=True)
    assert sp.simplify(sp.log(sym.normal_density(x, mu, var)) - sym.normal_log_density(x, mu, var)) == 0


@pytest.mark.parametrize("dimension", [1, 2, 3])
def test_mvn_log_density_matches_scipy_with_covariance_and_precision(rng, dimension):
    x = sp.symbols(f"x0:{dimension}", real=True)
    mean = sp.symbols(f"m0:{dimension}", real=True)
    sigma = sym.symmetric_matrix("s", dimension)
    by_covariance = sym.mvn_log_density(x, mean, sigma)
    by_precision = sym.mvn_log_density(sp.Matrix(x), sp.Matrix(mean), precision=sigma.inv())
    for _ in range(3):
        point, centre, covariance = rng.normal(size=dimension), rng.normal(size=dimension), random_spd(rng, dimension)
        values = {**dict(zip(x, point)), **dict(zip(mean, centre))}
        values.update({sigma[i, j]: covariance[i, j] for i in range(dimension) for j in range(dimension)})
        expected = multivariate_normal.logpdf(point, centre, covariance)
        assert np.isclose(value(by_covariance, values), expected, rtol=1e-12)
        assert np.isclose(value(by_precision, values), expected, rtol=1e-12)


def test_mvn_log_density_needs_exactly_one_matrix():
    with pytest.raises(ValueError, match="exactly one"):
        sym.mvn_log_density([0, 0], [0, 0])
    with pytest.raises(ValueError, match="exactly one"):
        sym.mvn_log_density([0, 0], [0, 0], sp.eye(2), precision=sp.eye(2))


def test_spherical_normal_density_matches_scipy(rng):
    d, var = sp.symbols("d sigma2", positive=True)
    D = sp.Symbol("D", integer=True, positive=True)
    for dimension in (1, 2, 3):
        point, centre, variance = rng.normal(size=dimension), rng.normal(size=dimension), rng.uniform(0.2, 3.0)
        squared = float(np.sum((point - centre) ** 2))
        expected = multivariate_normal.logpdf(point, centre, variance * np.eye(dimension))
        for size in (dimension, D):
            values = {d: squared, var: variance, D: dimension}
            log_density = sym.spherical_normal_density(d, var, size, log=True)
            assert np.isclose(value(log_density, values), expected, rtol=1e-12)
            assert np.isclose(value(sym.spherical_normal_density(d, var, size), values), np.exp(expected), rtol=1e-12)


def test_quadratic_form_matches_numpy(rng):
    v = rng.normal(size=3)
    a = rng.normal(size=(3, 3))
    assert np.isclose(float(sym.quadratic_form(list(v), sp.Matrix(a))), v @ a @ v, rtol=1e-12)
    assert np.isclose(float(sym.quadratic_form(sp.Matrix([list(v)]))), v @ v, rtol=1e-12)


def test_symmetric_matrix_and_its_entries():
    lam = sym.symmetric_matrix("lambda")
    l00, l11 = sp.symbols("lambda_00 lambda_11", positive=True)
    l01 = sp.Symbol("lambda_01", real=True)
    assert lam == sp.Matrix([[l00, l01], [l01, l11]])
    assert sym.symmetric_entries(lam) == [l00, l01, l11]
    big = sym.symmetric_matrix("s", 3)
    assert big == big.T and len(big.free_symbols) == 6
    assert all(big[i, i].is_positive for i in range(3)) and big[0, 2].is_real and big[0, 2].is_positive is None
    with pytest.raises(ValueError):
        sym.symmetric_matrix("s", 0)
    with pytest.raises(ValueError):
        sym.symmetric_entries(sp.zeros(2, 3))


def test_mixture_symbols_have_the_chapters_names_and_assumptions():
    n, N, k, j, K, x, labels, mu, var, pi = sym.mixture_symbols("z")
    assert (n, k, j) == sp.symbols("n k j", integer=True, nonnegative=True)
    assert (N, K) == sp.symbols("N K", integer=True, positive=True)
    assert labels == sp.IndexedBase("z", nonnegative=True) and str(var) == r"\sigma^{2}"
    assert x == sp.IndexedBase("x", real=True) and mu == sp.IndexedBase("mu", real=True)
    assert pi == sp.IndexedBase("pi", positive=True)


# --------------------------------------------------------------------------------------
# mixtures, Q, the ELBO
# --------------------------------------------------------------------------------------
def test_mixture_density_and_responsibilities_match_scipy(rng):
    x = sp.Symbol("x", real=True)
    weights, means, variances = rng.dirichlet(np.ones(3)), rng.normal(size=3), rng.uniform(0.3, 2.0, size=3)
    parts = sym.mixture(list(weights), [sym.normal_density(x, m, v) for m, v in zip(means, variances)])
    point = rng.normal()
    log_joint = np.log(weights) + norm.logpdf(point, means, np.sqrt(variances))
    assert np.isclose(value(parts.density, {x: point}), np.exp(logsumexp(log_joint)), rtol=1e-12)
    assert np.allclose([value(r, {x: point}) for r in parts.responsibilities], softmax(log_joint), rtol=1e-12)
    assert np.allclose([value(j, {x: point}) for j in parts.joint], np.exp(log_joint), rtol=1e-12)
    with pytest.raises(ValueError):
        sym.mixture([1], [x, x])


def test_q_function_matches_numpy(rng):
    n, N, k, j, K, x, gamma, mu, var, pi = sym.mixture_symbols()
    w = sp.IndexedBase("w", positive=True)  # lambdify would read an argument named pi as the constant
    Q = sym.q_function(gamma, sym.normal_log_density(x[n], mu[k], var[k]), n=n, N=N, weights=w, k=k, K=K)
    data, responsibilities = rng.normal(size=7), rng.dirichlet(np.ones(3), size=7)
    weights, means, variances = rng.dirichlet(np.ones(3)), rng.normal(size=3), rng.uniform(0.3, 2.0, size=3)
    numeric = sp.lambdify((x, gamma, w, mu, var, N, K), Q)
    log_joint = np.log(weights) + norm.logpdf(data[:, None], means, np.sqrt(variances))
    expected = np.sum(responsibilities * log_joint)
    assert np.isclose(numeric(data, responsibilities, weights, means, variances, 7, 3), expected, rtol=1e-12)

    one = sym.q_function(gamma, sym.normal_log_density(x[n], mu[0], var[0]), n=n, N=N)
    got = sp.lambdify((x, gamma, mu, var, N), one)(data, responsibilities[:, 0], means, variances, 7)
    assert np.isclose(got, np.sum(responsibilities[:, 0] * norm.logpdf(data, means[0], np.sqrt(variances[0]))))
    with pytest.raises(ValueError):
        sym.q_function(gamma, x[n], n=n, N=N, k=k, K=K)
    with pytest.raises(ValueError):
        sym.q_function(gamma, x[n], n=n, N=N, weights=pi)


def test_elbo_kl_and_log_evidence_of_one_observation(rng):
    q = sp.symbols("q_1:4", positive=True)
    ells = sp.symbols("ell_1:4", real=True)
    joint = sp.symbols("j_1:4", positive=True)
    q_values, ell_values = rng.dirichlet(np.ones(3)), rng.normal(scale=3.0, size=3)
    values = {**dict(zip(q, q_values)), **dict(zip(ells, ell_values)), **dict(zip(joint, np.exp(ell_values)))}

    elbo = np.sum(q_values * (ell_values - np.log(q_values)))
    evidence = logsumexp(ell_values)
    posterior = softmax(ell_values)
    assert np.isclose(value(sym.observation_elbo(q, log_joint=ells), values), elbo, rtol=1e-12)
    assert np.isclose(value(sym.observation_elbo(q, joint=joint), values), elbo, rtol=1e-12)
    assert np.isclose(value(sym.observation_log_evidence(log_joint=ells), values), evidence, rtol=1e-12)
    assert np.isclose(value(sym.observation_log_evidence(joint=joint), values), evidence, rtol=1e-12)
    kl = sym.observation_kl(q, [j / sum(joint) for j in joint])
    assert np.isclose(value(kl, values), np.sum(q_values * np.log(q_values / posterior)), rtol=1e-12)

    # A log-sum-exp beyond float64 (e^1000), against mpmath:
    huge = {ells[0]: 1000, ells[1]: 999, ells[2]: -5}
    with mpmath.workdps(40):
        exact = mpmath.log(mpmath.exp(1000) + mpmath.exp(999) + mpmath.exp(-5))
        assert abs(sp.N(sym.observation_log_evidence(log_joint=ells).subs(huge), 40) - sp.Float(exact, 40)) < 1e-30
    with pytest.raises(ValueError):
        sym.observation_elbo(q)
    with pytest.raises(ValueError):
        sym.observation_elbo(q, log_joint=ells[:2])


def test_bound_terms_obey_the_kl_decomposition(rng):
    x = sp.Symbol("x", real=True)
    pi_1, pi_2, q_1, q_2 = sp.symbols("pi_1 pi_2 q_1 q_2", positive=True)
    densities = (sym.normal_density(x, -1, sp.Rational(1, 2)), sym.normal_density(x, 1, 2))
    terms = sym.bound_terms((pi_1, pi_2), densities, (q_1, q_2))
    for _ in range(5):
        w, qq, point = rng.uniform(0.1, 0.9), rng.uniform(0.05, 0.95), rng.normal()
        values = {pi_1: w, pi_2: 1 - w, q_1: qq, q_2: 1 - qq, x: point}
        log_joint = np.log([w, 1 - w]) + norm.logpdf(point, [-1, 1], np.sqrt([0.5, 2.0]))
        assert np.isclose(value(terms.log_evidence, values), logsumexp(log_joint), rtol=1e-12)
        assert np.isclose(value(terms.elbo + terms.kl, values), logsumexp(log_joint), rtol=1e-12)
        assert np.isclose(value(terms.posterior[0], values), softmax(log_joint)[0], rtol=1e-12)


# --------------------------------------------------------------------------------------
# sums, stationary points
# --------------------------------------------------------------------------------------
def test_expand_sums_is_linearity(rng):
    n = sp.Symbol("n", integer=True, nonnegative=True)
    N = sp.Symbol("N", integer=True, positive=True)
    x, a = sp.IndexedBase("x", real=True), sp.Symbol("a", real=True)
    expr = sp.Sum(a * x[n] + 3 - (x[n] - a) ** 2, (n, 0, N - 1))
    expanded = sym.expand_sums(expr)
    assert expanded == sp.expand(
        a * sp.Sum(x[n], (n, 0, N - 1))
        + 3 * N
        - sp.Sum(x[n] ** 2, (n, 0, N - 1))
        + 2 * a * sp.Sum(x[n], (n, 0, N - 1))
        - N * a**2
    )
    data = rng.normal(size=6)
    numeric = sp.lambdify((x, a, N), expanded)
    assert np.isclose(numeric(data, 0.7, 6), np.sum(0.7 * data + 3 - (data - 0.7) ** 2), rtol=1e-12)
    assert sym.expand_sums(sp.Matrix([expr])) == sp.Matrix([expanded])


def test_gaussian_mle_from_the_stationary_point(rng):
    n = sp.Symbol("n", integer=True, nonnegative=True)
    N = sp.Symbol("N", integer=True, positive=True)
    x, mu = sp.IndexedBase("x", real=True), sp.Symbol("mu", real=True)
    var = sp.Symbol("sigma^2", positive=True)
    ell = sp.Sum(sym.normal_log_density(x[n], mu, var), (n, 0, N - 1))
    mu_hat = sym.stationary_point(ell, mu)
    assert mu_hat == sp.Sum(x[n], (n, 0, N - 1)) / N  # eq. (gaussian-mle-mean)
    var_hat = sym.weighted_average((x[n] - mu) ** 2, 1, (n, 0, N - 1))
    assert var_hat == sp.Sum((x[n] - mu) ** 2, (n, 0, N - 1)) / N
    assert sym.same_expression(sym.stationary_point(ell, var), var_hat)  # eq. (gaussian-mle-variance)
    assert sym.same_expression(sym.solve_with_sums(sym.expand_sums(sp.diff(ell, var)), var), var_hat)
    joint = sym.stationary_point(ell, [mu, var])
    data = rng.normal(3.0, 2.0, size=11)
    assert np.isclose(sp.lambdify((x, N), joint[mu])(data, 11), data.mean(), rtol=1e-12)
    assert np.isclose(sp.lambdify((x, N), joint[var])(data, 11), data.var(), rtol=1e-12)


def test_solve_with_sums_requires_a_unique_solution():
    t = sp.Symbol("t", real=True)
    with pytest.raises(ValueError, match="exactly one solution"):
        sym.solve_with_sums(t**2 - 1, t)
    a, b = sp.symbols("a b", real=True)
    assert sym.solve_with_sums([a + b - 3, a - b - 1], [a, b]) == {a: 2, b: 1}


def test_component_derivative_and_the_m_step(rng):
    n, N, k, j, K, x, gamma, mu, var, pi = sym.mixture_symbols()
    Q = sym.q_function(gamma, sym.normal_log_density(x[n], mu[k], var[k]), n=n, N=N, weights=pi, k=k, K=K)
    dQ_dmu = sym.component_derivative(Q, mu[j], j, K)
    assert sym.same_expression(dQ_dmu, sp.Sum(gamma[n, j] * (x[n] - mu[j]) / var[j], (n, 0, N - 1)))
    mu_hat = sym.solve_with_sums(dQ_dmu, mu[j])
    assert mu_hat == sym.weighted_average(x[n], gamma[n, j], (n, 0, N - 1))  # eq. (soft-em-mu)
    var_hat = sym.stationary_point(Q, var[j], component=(j, K))
    assert sym.same_expression(var_hat, sym.weighted_average((x[n] - mu[j]) ** 2, gamma[n, j], (n, 0, N - 1)))

    data, responsibilities = rng.normal(size=9), rng.dirichlet(np.ones(3), size=9)
    counts = responsibilities.sum(axis=0)
    means = responsibilities.T @ data / counts
    variances = np.sum(responsibilities * (data[:, None] - means) ** 2, axis=0) / counts
    mean_fn = sp.lambdify((x, gamma, N, j), mu_hat)
    var_fn = sp.lambdify((x, gamma, N, j), var_hat.subs(mu[j], mu_hat))
    assert np.allclose([mean_fn(data, responsibilities, 9, c) for c in range(3)], means, rtol=1e-12)
    assert np.allclose([var_fn(data, responsibilities, 9, c) for c in range(3)], variances, rtol=1e-12)
    second = sym.component_derivative(Q, mu[j], j, K, order=2)
    assert sym.same_expression(second, -sp.Sum(gamma[n, j], (n, 0, N - 1)) / var[j])


def test_select_component_rejects_other_piecewise():
    j, K, t = sp.Symbol("j", integer=True), sp.Symbol("K", integer=True), sp.Symbol("t")
    with pytest.raises(ValueError):
        sym.select_component(sp.Piecewise((1, t > 0), (2, True)), j, K)


def test_lagrange_weights_give_the_weight_update(rng):
    n, N, k, j, K, x, gamma, mu, var, pi = sym.mixture_symbols()
    Q = sym.q_function(gamma, sym.normal_log_density(x[n], mu[k], var[k]), n=n, N=N, weights=pi, k=k, K=K)
    lam = sp.Symbol("lambda", real=True)
    result = sym.lagrange_weights(Q, pi, gamma, n=n, N=N, k=k, j=j, K=K)
    assert result.multiplier == -N
    assert result.weight == sp.Sum(gamma[n, j], (n, 0, N - 1)) / N  # eq. (soft-em-pi)
    assert result.weight_of_multiplier == -sp.Sum(gamma[n, j], (n, 0, N - 1)) / lam
    assert sp.simplify(result.constraint - (-N / lam - 1)) == 0
    assert sym.same_expression(result.stationarity, lam + sp.Sum(gamma[n, j] / pi[j], (n, 0, N - 1)))
    responsibilities = rng.dirichlet(np.ones(4), size=10)
    weight_fn = sp.lambdify((gamma, N, j), result.weight)
    assert np.allclose([weight_fn(responsibilities, 10, c) for c in range(4)], responsibilities.mean(axis=0))
    with pytest.raises(ValueError, match="constraint"):
        sym.lagrange_weights(Q, pi, sp.IndexedBase("z"), n=n, N=N, k=k, j=j, K=K)


def test_lagrange_simplex_gives_the_posterior_and_the_proportions(rng):
    qs, ells = sp.symbols("q_1:4", positive=True), sp.symbols("ell_1:4", real=True)
    result = sym.lagrange_simplex(sym.observation_elbo(qs, log_joint=ells), qs)
    log_joint = rng.normal(size=3)
    got = [value(q, dict(zip(ells, log_joint))) for q in result.maximiser]
    assert np.allclose(got, softmax(log_joint), rtol=1e-12)  # eq. (elbo-kl-max-over-q)
    assert sp.simplify(result.multiplier - (1 - sym.observation_log_evidence(log_joint=ells))) == 0
    counts, weights = sp.symbols("N_0:3", positive=True), sp.symbols("pi_0:3", positive=True)
    proportions = sym.lagrange_simplex(sum(c * sp.log(p) for c, p in zip(counts, weights)), weights)
    assert proportions.maximiser == [c / sum(counts) for c in counts]
    with pytest.raises(ValueError):
        sym.lagrange_simplex(sum(sp.cos(p) for p in weights), weights)  # two roots per condition


def test_stationary_covariance_is_the_scatter_over_the_count(rng):
    lam = sym.symmetric_matrix("lambda")
    scatter, prior = sym.symmetric_matrix("s"), sym.symmetric_matrix("psi")
    count = sp.Symbol("N_k", positive=True)
    objective = count / 2 * sp.log(lam.det()) - (scatter * lam).trace() / 2 - (prior * lam).trace() / 2
    sigma = sp.simplify(sym.stationary_covariance(objective, lam))
    assert sp.simplify(sigma - (scatter + prior) / count) == sp.zeros(2, 2)  # eq. (soft-em-map-sigma)
    # Numerically: at Λ = Σ⁻¹ the concave objective is larger than at random nearby precisions.
    count_value, scatter_value, prior_value = 7.5, random_spd(rng, 2), 1e-2 * random_spd(rng, 2)
    values = {count: count_value}
    for matrix, numbers in ((scatter, scatter_value), (prior, prior_value)):
        values.update({matrix[i, j]: numbers[i, j] for i in range(2) for j in range(2)})
    sigma_value = np.array(sigma.subs(values), dtype=float)

    def objective_at(precision):
        total_scatter = scatter_value + prior_value
        return count_value / 2 * np.linalg.slogdet(precision)[1] - np.trace(total_scatter @ precision) / 2

    best = objective_at(np.linalg.inv(sigma_value))
    for _ in range(50):
        shear = np.eye(2) + 0.05 * rng.standard_normal((2, 2))
        assert objective_at(shear @ np.linalg.inv(sigma_value) @ shear.T) < best


def test_weighted_average_matches_numpy(rng):
    n = sp.Symbol("n", integer=True, nonnegative=True)
    N = sp.Symbol("N", integer=True, positive=True)
    x, w = sp.IndexedBase("x", real=True), sp.IndexedBase("w", positive=True)
    data, weights = rng.normal(size=5), rng.uniform(size=5)
    average = sp.lambdify((x, w, N), sym.weighted_average(x[n] ** 2, w[n], (n, 0, N - 1)))
    assert np.isclose(average(data, weights, 5), np.average(data**2, weights=weights), rtol=1e-12)
    matrix = sym.weighted_average(sp.Matrix([x[n], 1]), w[n], (n, 0, N - 1))
    assert np.allclose(
        np.array(sp.lambdify((x, w, N), matrix)(data, weights, 5), dtype=float).ravel(),
        [np.average(data, weights=weights), 1.0],
    )


def test_same_expression_and_simplify_sums():
    n = sp.Symbol("n", integer=True, nonnegative=True)
    N = sp.Symbol("N", integer=True, positive=True)
    x, g, mu = sp.IndexedBase("x", real=True), sp.IndexedBase("g", positive=True), sp.Symbol("mu", real=True)
    total = sp.Sum(g[n], (n, 0, N - 1))
    average = sp.Sum(g[n] * x[n], (n, 0, N - 1)) / total
    assert sym.same_expression(sp.Sum(g[n] * (x[n] - mu), (n, 0, N - 1)) / total, average - mu)
    assert not sym.same_expression(average, average + 1)
    assert sym.simplify_sums(sp.Sum(g[n] * (x[n] - mu), (n, 0, N - 1)) / total - average + mu) == 0
    step = sym.simplify_sums(sp.Sum(g[n] * (x[n] - mu), (n, 0, N - 1)) / total)
    assert step == (sp.Sum(g[n] * x[n], (n, 0, N - 1)) - mu * total) / total


# --------------------------------------------------------------------------------------
# numerical agreement
# --------------------------------------------------------------------------------------
def test_agrees_numerically(rng):
    x, mu, var = sp.symbols("x mu sigma2", real=True)
    points = [(rng.normal(size=4), rng.normal(), rng.uniform(0.5, 2.0)) for _ in range(3)]
    density = sym.normal_log_density(x, mu, var)
    assert sym.agrees_numerically(density, (x, mu, var), lambda p, m, v: norm.logpdf(p, m, np.sqrt(v)), points)
    expected = [norm.logpdf(p, m, np.sqrt(v)) for p, m, v in points]
    assert sym.agrees_numerically(density, (x, mu, var), expected, points, rtol=1e-12, atol=0)
    assert not sym.agrees_numerically(density, (x, mu, var), [e + 1e-3 for e in expected], points)
    assert sym.agrees_numerically([x, 2 * x], (x,), [np.array([1.0, 2.0])], [(1.0,)])
    with pytest.raises(ValueError):
        sym.agrees_numerically(density, (x, mu, var), expected[:2], points)
    with pytest.raises(ValueError):
        sym.agrees_numerically(density, (x, mu, var), [], [])
