"""Factor analysis and probabilistic PCA (emlib/factor_analysis.py).

Every check compares emlib with an independent computation: scipy.stats.multivariate_normal for
the likelihood, the posterior by conditioning the joint Gaussian of (z, x) and by numerical
integration, the Q-function's maximiser by least squares on the expected moments, finite
differences of scipy's likelihood for the score, scipy.optimize for the PPCA maximum,
scikit-learn's FactorAnalysis (an SVD-based algorithm) on real data, and R's factanal on
``ability.cov`` (tests/data/factanal_ability.json, written by scripts/factanal_reference.R).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy.stats import multivariate_normal, norm, ortho_group
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.decomposition import FactorAnalysis

import emlib
from emlib.factor_analysis import FactorData

REFERENCE = json.loads((Path(__file__).parent / "data" / "factanal_ability.json").read_text())
FA = emlib.FactorAnalysisModel()
PPCA = emlib.FactorAnalysisModel("isotropic")


def random_params(rng, n_features=5, n_factors=2, isotropic=False):
    noise = np.full(n_features, 0.7) if isotropic else rng.uniform(0.2, 1.5, n_features)
    return emlib.FactorParams(rng.normal(size=n_features), rng.normal(size=(n_features, n_factors)), noise)


def draw(params, n, rng):
    z = rng.standard_normal((n, params.n_factors))
    noise = rng.standard_normal((n, params.n_features)) * np.sqrt(params.noise_variances)
    return params.mean + z @ params.loadings.T + noise


def scipy_log_likelihood(X, mean, covariance, weights=None):
    weights = np.ones(len(X)) if weights is None else weights
    return float(weights @ multivariate_normal(mean, covariance).logpdf(X))


def ml_covariance(X, weights=None):
    weights = np.ones(len(X)) if weights is None else weights
    return np.cov(X.T, aweights=weights, bias=True)


def data_with_covariance(covariance, n, seed=0):
    """n rows whose ML (divisor n) sample covariance is exactly ``covariance`` (to rounding)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, covariance.shape[0]))
    z -= z.mean(axis=0)
    z = np.linalg.solve(np.linalg.cholesky(z.T @ z / n), z.T).T
    return z @ np.linalg.cholesky(covariance).T


def quiet_fit(function, *args, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        return function(*args, **options)


# --- parameters ---------------------------------------------------------------------------------


def test_factor_params_are_validated_read_only_copies():
    loadings = np.ones((3, 1))
    params = emlib.FactorParams([0, 0, 0], loadings, [1, 2, 3])
    loadings[0, 0] = 5.0
    assert params.loadings[0, 0] == 1.0 and not params.loadings.flags.writeable
    assert params.n_features == 3 and params.n_factors == 1
    np.testing.assert_array_equal(params.covariance(), np.ones((3, 3)) + np.diag([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="noise_variances must all be > 0"):
        emlib.FactorParams([0, 0], [[1.0], [1.0]], [1.0, 0.0])
    with pytest.raises(ValueError, match="loadings must have shape"):
        emlib.FactorParams([0, 0], [[1.0], [1.0], [1.0]], [1.0, 1.0])


# --- likelihood and E-step ------------------------------------------------------------------------


@pytest.mark.parametrize("isotropic", [False, True])
def test_log_likelihood_is_scipy_multivariate_normal(isotropic):
    # book eq. (fa-model): x ~ N(μ, W Wᵀ + Ψ)
    rng = np.random.default_rng(1)
    params = random_params(rng, isotropic=isotropic)
    X = draw(params, 40, rng) + 0.3  # μ is not the sample mean
    weights = rng.uniform(0, 3, 40)
    model = PPCA if isotropic else FA
    got = model.log_likelihood(X, params, sample_weight=weights)
    expected = scipy_log_likelihood(X, params.mean, params.covariance(), weights)
    assert got == pytest.approx(expected, rel=1e-12)


def test_log_likelihood_is_invariant_to_rotating_the_loadings():
    rng = np.random.default_rng(2)
    params = random_params(rng, 6, 3)
    X = draw(params, 30, rng)
    rotation = ortho_group.rvs(3, random_state=3)
    rotated = emlib.FactorParams(params.mean, params.loadings @ rotation, params.noise_variances)
    assert FA.log_likelihood(X, rotated) == pytest.approx(FA.log_likelihood(X, params), rel=1e-13)
    assert FA.log_likelihood(X, rotated) == pytest.approx(
        scipy_log_likelihood(X, params.mean, params.covariance()), rel=1e-12
    )


def conditional_of_joint(params, X):
    """p(z | x) from the joint Gaussian of (z, x), conditioned with the Schur complement (plain solves)."""
    W, psi, mu = params.loadings, params.noise_variances, params.mean
    q = W.shape[1]
    joint = np.block([[np.eye(q), W.T], [W, W @ W.T + np.diag(psi)]])
    zz, zx, xx = joint[:q, :q], joint[:q, q:], joint[q:, q:]
    means = np.linalg.solve(xx, (X - mu).T).T @ zx.T
    covariance = zz - zx @ np.linalg.solve(xx, zx.T)
    return means, covariance


def test_posterior_is_the_conditional_of_the_joint_gaussian():
    # book eq. (fa-posterior): z | x ~ N(M⁻¹ Wᵀ Ψ⁻¹ (x − μ), M⁻¹)
    rng = np.random.default_rng(4)
    params = random_params(rng, 6, 2)
    X = draw(params, 25, rng)
    means, covariance = FA.posterior(X, params)
    expected_means, expected_covariance = conditional_of_joint(params, X)
    np.testing.assert_allclose(means, expected_means, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(covariance, expected_covariance, rtol=1e-10, atol=1e-13)
    # and the book's own form, with Ψ⁻¹ and M = I + Wᵀ Ψ⁻¹ W
    W, psi = params.loadings, params.noise_variances
    M = np.eye(2) + W.T @ (W / psi[:, None])
    np.testing.assert_allclose(covariance, np.linalg.inv(M), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(means, np.linalg.solve(M, (W / psi[:, None]).T @ (X - params.mean).T).T, rtol=1e-10)


def test_posterior_moments_by_numerical_integration_for_one_factor():
    # q = 1: E[z | x] and E[z² | x] as ratios of integrals of z^k p(x | z) p(z) over the real line
    rng = np.random.default_rng(5)
    params = random_params(rng, 4, 1)
    x = draw(params, 1, rng)[0]
    w, psi, mu = params.loadings[:, 0], params.noise_variances, params.mean

    def joint(z):
        return norm.pdf(z) * np.prod(norm.pdf(x, mu + w * z, np.sqrt(psi)))

    mass = integrate.quad(joint, -12, 12, epsabs=0, epsrel=1e-13)[0]
    first = integrate.quad(lambda z: z * joint(z), -12, 12, epsabs=0, epsrel=1e-13)[0] / mass
    second = integrate.quad(lambda z: z * z * joint(z), -12, 12, epsabs=0, epsrel=1e-13)[0] / mass
    means, covariance = FA.posterior(x[None, :], params)
    assert means[0, 0] == pytest.approx(first, rel=1e-9)
    assert covariance[0, 0] + means[0, 0] ** 2 == pytest.approx(second, rel=1e-9)


def test_e_step_statistics_are_row_sums_of_the_posterior_moments():
    # book eq. (fa-e-step), with μ_old away from the sample mean and unequal row weights
    rng = np.random.default_rng(6)
    params = random_params(rng, 5, 2)
    X = draw(params, 30, rng) + 1.0
    weights = rng.uniform(0.1, 2.0, 30)
    statistics = FA.expectation(FA.check_data(X), weights, params).statistics
    means, covariance = conditional_of_joint(params, X)
    xbar = weights @ X / weights.sum()
    zbar = weights @ means / weights.sum()
    cross = sum(w * np.outer(x - xbar, m) for w, x, m in zip(weights, X, means))
    second = sum(w * (covariance + np.outer(m - zbar, m - zbar)) for w, m in zip(weights, means))
    np.testing.assert_allclose(statistics.cross_moment, cross, rtol=1e-10)
    np.testing.assert_allclose(statistics.factor_moment, second, rtol=1e-10)
    np.testing.assert_allclose(statistics.sample_mean, xbar, rtol=1e-12)
    np.testing.assert_allclose(statistics.scatter, weights.sum() * ml_covariance(X, weights), rtol=1e-10)
    assert statistics.total_weight == pytest.approx(weights.sum(), rel=1e-14)


# --- M-step ---------------------------------------------------------------------------------------


def test_m_step_is_the_book_update_at_the_sample_mean():
    # book eqs. (fa-m-step-w), (fa-m-step-psi), (ppca-m-step-sigma) with μ = x̄, from plain row sums
    rng = np.random.default_rng(7)
    truth = random_params(rng, 6, 2)
    X = draw(truth, 50, rng)
    weights = rng.uniform(0.5, 1.5, 50)
    xbar = weights @ X / weights.sum()
    for model, isotropic in ((FA, False), (PPCA, True)):
        params = random_params(rng, 6, 2, isotropic=isotropic)
        params = emlib.FactorParams(xbar, params.loadings, params.noise_variances)
        data = model.check_data(X)
        new = model.maximization(data, weights, model.expectation(data, weights, params).statistics, params)
        means, covariance = conditional_of_joint(params, X)
        centred = X - xbar
        xz = sum(w * np.outer(x, m) for w, x, m in zip(weights, centred, means))
        zz = sum(w * (covariance + np.outer(m, m)) for w, m in zip(weights, means))
        W = xz @ np.linalg.inv(zz)
        S = ml_covariance(X, weights)
        residual = np.diag(S - W @ xz.T / weights.sum())
        np.testing.assert_allclose(new.loadings, W, rtol=1e-9)
        expected = np.full(6, residual.mean()) if isotropic else residual
        np.testing.assert_allclose(new.noise_variances, expected, rtol=1e-9)
        np.testing.assert_allclose(new.mean, xbar, rtol=1e-13)


def test_m_step_maximises_q_jointly_then_sets_the_mean():
    # From μ_old ≠ x̄: W and Ψ are those of the joint maximiser of Q over (μ, W, Ψ) — the weighted
    # least-squares regression of x on (E[z], 1) with expected moments — and ℓ does not fall.
    rng = np.random.default_rng(8)
    truth = random_params(rng, 5, 2)
    X = draw(truth, 60, rng)
    weights = rng.uniform(0.5, 1.5, 60)
    params = emlib.FactorParams(truth.mean + 2.0, truth.loadings + 0.3, truth.noise_variances * 2)
    data = FA.check_data(X)
    estep = FA.expectation(data, weights, params)
    new = FA.maximization(data, weights, estep.statistics, params)
    means, covariance = conditional_of_joint(params, X)
    augmented = np.hstack([means, np.ones((60, 1))])
    zz = (augmented * weights[:, None]).T @ augmented
    zz[:2, :2] += weights.sum() * covariance
    xz = (X * weights[:, None]).T @ augmented
    coefficients = xz @ np.linalg.inv(zz)
    W, intercept = coefficients[:, :2], coefficients[:, 2]
    residual = (X * weights[:, None]).T @ X - coefficients @ xz.T
    np.testing.assert_allclose(new.loadings, W, rtol=1e-8)
    np.testing.assert_allclose(new.noise_variances, np.diag(residual) / weights.sum(), rtol=1e-8)
    # the joint maximiser's μ is the intercept; emlib's μ = x̄ is at least as good for ℓ
    joint_optimum = emlib.FactorParams(intercept, W, np.diag(residual) / weights.sum())
    assert FA.log_likelihood(X, new, sample_weight=weights) >= FA.log_likelihood(
        X, joint_optimum, sample_weight=weights
    )
    assert FA.log_likelihood(X, joint_optimum, sample_weight=weights) >= estep.log_likelihood


@pytest.mark.parametrize("isotropic", [False, True])
def test_score_is_the_gradient_of_scipys_likelihood(isotropic):
    # ∂ℓ/∂C = ½ C⁻¹ (S_μ − W C) C⁻¹, chained to (μ, W, ψ): against central differences of scipy's ℓ
    rng = np.random.default_rng(9)
    model = PPCA if isotropic else FA
    params = random_params(rng, 4, 2, isotropic=isotropic)
    X = draw(params, 30, rng) + 0.2
    weights = rng.uniform(0.5, 2, 30)
    data = model.check_data(X)
    score = model.score(data, weights, params)
    vector = model.flatten(params)
    numeric = np.empty_like(vector)
    for i in range(vector.size):
        step = 1e-5 * max(1.0, abs(vector[i]))
        values = []
        for sign in (1, -1):
            moved = vector.copy()
            moved[i] += sign * step
            p = model.unflatten(moved, params)
            values.append(scipy_log_likelihood(X, p.mean, p.covariance(), weights))
        numeric[i] = (values[0] - values[1]) / (2 * step)
    np.testing.assert_allclose(score, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())


def test_n_parameters_counts_free_parameters():
    params = emlib.FactorParams(np.zeros(6), np.ones((6, 2)), np.ones(6))
    assert FA.n_parameters(params) == 6 + 12 - 1 + 6
    assert PPCA.n_parameters(params) == 6 + 12 - 1 + 1


# --- PPCA: EM reaches the closed form -------------------------------------------------------------


def independent_ppca_log_likelihood(theta, X, q):
    D = X.shape[1]
    W, log_sigma2 = theta[: D * q].reshape(D, q), theta[-1]
    return scipy_log_likelihood(X, X.mean(axis=0), W @ W.T + np.exp(log_sigma2) * np.eye(D))


def test_ppca_closed_form_is_the_maximum_found_by_scipy_optimize():
    # book eq. (ppca-closed-form), against BFGS on (W, log σ²) from several random starts
    rng = np.random.default_rng(10)
    X = draw(random_params(rng, 4, 1, isotropic=True), 60, rng)
    closed = emlib.ppca_maximum_likelihood(X, 2)
    best = scipy_log_likelihood(X, closed.mean, closed.covariance())
    for seed in range(3):
        start = np.random.default_rng(seed).normal(size=4 * 2 + 1)
        found = optimize.minimize(lambda t: -independent_ppca_log_likelihood(t, X, 2), start, method="BFGS")
        assert -found.fun <= best + 1e-8 * abs(best)
        assert -found.fun == pytest.approx(best, rel=1e-9)
    # stationary: the finite-difference gradient of scipy's ℓ vanishes there
    theta = np.concatenate([closed.loadings.ravel(), [np.log(closed.noise_variances[0])]])
    gradient = optimize.approx_fprime(theta, independent_ppca_log_likelihood, 1e-7, X, 2)
    assert np.max(np.abs(gradient)) < 1e-4
    # and its σ² is the mean of the discarded eigenvalues of the ML covariance (Tipping and Bishop 1999)
    eigenvalues = np.linalg.eigvalsh(ml_covariance(X))
    assert closed.noise_variances[0] == pytest.approx(eigenvalues[:2].mean(), rel=1e-12)


PPCA_DATA = {
    "wine-standardised": lambda: (lambda A: (A - A.mean(0)) / A.std(0))(load_wine().data),
    "diabetes": lambda: load_diabetes().data,
    "iris": emlib.datasets.iris,
}


@pytest.mark.parametrize("name", PPCA_DATA)
@pytest.mark.parametrize("q", [1, 2])
def test_ppca_em_reaches_the_closed_form_maximum(name, q):
    X = PPCA_DATA[name]()
    closed = emlib.ppca_maximum_likelihood(X, q)
    best = scipy_log_likelihood(X, closed.mean, closed.covariance())
    for method, init in (("em", None), ("em", "random"), ("squarem", "random")):
        fit = emlib.fit_ppca(X, q, method=method, init=init, random_state=0, tol=1e-13)
        assert fit.converged
        assert abs(fit.log_likelihoods[-1] - best) <= 1e-8 * abs(best), (method, init)
        np.testing.assert_allclose(fit.params.noise_variances, closed.noise_variances, rtol=1e-6)
        # W Wᵀ is unique (W only up to rotation)
        np.testing.assert_allclose(
            fit.params.loadings @ fit.params.loadings.T,
            closed.loadings @ closed.loadings.T,
            rtol=0,
            atol=1e-5 * np.abs(closed.loadings).max() ** 2,
        )
        assert np.all(np.diff(fit.log_likelihoods) >= -1e-9 * abs(best))  # EM never lowers ℓ


# --- factor analysis: scikit-learn and R factanal --------------------------------------------------

SKLEARN_DATA = {"wine": load_wine, "breast_cancer": load_breast_cancer, "diabetes": load_diabetes}


def best_fit(X, q, n_random=0):
    """SQUAREM to a tight tolerance from the default start and ``n_random`` random starts: the best."""
    options = {"method": "squarem", "tol": 1e-12, "max_iter": 1000}  # a Heywood solution never meets tol
    fits = [quiet_fit(emlib.fit_factor_analysis, X, q, **options)]
    fits += [
        quiet_fit(emlib.fit_factor_analysis, X, q, init="random", random_state=seed, **options)
        for seed in range(n_random)
    ]
    return max(fits, key=lambda fit: fit.log_likelihoods[-1])


# scikit-learn's iterations are slow to converge too: its tol is set so that each run takes ~2 s
@pytest.mark.parametrize(
    ("name", "q", "sklearn_tol", "n_random"), [("wine", 3, 1e-6, 0), ("diabetes", 2, 1e-4, 0), ("diabetes", 1, 1e-4, 2)]
)
def test_factor_analysis_reaches_scikit_learns_optimum(name, q, sklearn_tol, n_random):
    # diabetes with q = 1 has two maxima: an interior one, which the default start reaches
    # (ℓ = 7793.6), and a higher Heywood solution (ψ of column 8 → 0, ℓ = 7807.98), which
    # scikit-learn and two random starts reach
    X = SKLEARN_DATA[name]().data
    reference = FactorAnalysis(q, svd_method="lapack", tol=sklearn_tol, max_iter=100000).fit(X)
    sklearn_log_likelihood = reference.score(X) * len(X)  # score is the mean log-likelihood per row
    assert sklearn_log_likelihood == pytest.approx(
        scipy_log_likelihood(X, reference.mean_, reference.get_covariance()), rel=1e-10
    )
    fit = best_fit(X, q, n_random)
    ours = scipy_log_likelihood(X, fit.params.mean, fit.params.covariance())
    assert ours == pytest.approx(fit.log_likelihoods[-1], rel=1e-12)
    assert ours >= sklearn_log_likelihood - 1e-10 * abs(sklearn_log_likelihood)


def profile_optimum(X, q, lower):
    """min over ψ of factanal's objective F (the likelihood maximised over W), by scipy's L-BFGS-B."""
    S = ml_covariance(X)
    correlation = S / np.sqrt(np.outer(np.diag(S), np.diag(S)))
    start = (1 - 0.5 * q / len(S)) / np.diag(np.linalg.inv(correlation))
    found = optimize.minimize(
        factanal_objective,
        start,
        args=(correlation, q),
        method="L-BFGS-B",
        bounds=[(lower, 1.0)] * len(S),
        options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 20000},
    )
    return found.fun


@pytest.mark.parametrize(("name", "q"), [("wine", 1), ("wine", 3), ("breast_cancer", 2), ("diabetes", 2)])
def test_factor_analysis_reaches_the_profile_likelihood_optimum(name, q):
    # factanal's objective F(ψ) = log det C − log det S + tr(S C⁻¹) − p at the best W for ψ,
    # minimised by L-BFGS-B over uniquenesses in [1e-4, 1]: EM's F is as low (lower in a Heywood case)
    X = SKLEARN_DATA[name]().data
    fit = best_fit(X, q)
    S = ml_covariance(X)
    C = fit.params.covariance()
    objective = np.linalg.slogdet(C)[1] - np.linalg.slogdet(S)[1] + np.trace(np.linalg.solve(C, S)) - len(S)
    assert objective <= profile_optimum(X, q, 1e-4) + 1e-9


def factanal_objective(psi, correlation, q):
    """factanal.fit.mle's FAfn: −Σ_{j>q} (log e_j − e_j) − q + p, e the eigenvalues of Ψ^{-1/2} R Ψ^{-1/2}."""
    scaled = correlation / np.sqrt(np.outer(psi, psi))
    e = np.linalg.eigvalsh(scaled)[::-1][q:]
    return -(np.sum(np.log(e) - e) - q + len(psi))


def factanal_statistic(S, C, n, q):
    """Bartlett's χ² of factanal: (n − 1 − (2p + 5)/6 − 2q/3) (log det C − log det S + tr(S C⁻¹) − p)."""
    p = S.shape[0]
    objective = np.linalg.slogdet(C)[1] - np.linalg.slogdet(S)[1] + np.trace(np.linalg.solve(C, S)) - p
    return (n - 1 - (2 * p + 5) / 6 - 2 * q / 3) * objective, objective


@pytest.mark.parametrize("fit_index", [0, 1])
def test_factor_analysis_reproduces_r_factanal_on_ability_cov(fit_index):
    reference = REFERENCE["ability"]
    expected = reference["fits"][fit_index]
    covariance, n, q = np.array(reference["covariance"]), reference["n_obs"], expected["factors"]
    X = data_with_covariance(covariance, n)
    np.testing.assert_allclose(ml_covariance(X), covariance, rtol=1e-12)
    fit = emlib.fit_factor_analysis(X, q, tol=1e-13)
    assert fit.converged
    uniquenesses = fit.params.noise_variances / np.diag(covariance)  # on factanal's correlation scale
    # factanal's L-BFGS-B stops when its projected gradient is small: it agrees to 2e-5 here
    np.testing.assert_allclose(uniquenesses, expected["uniquenesses"], rtol=0, atol=3e-5)
    # factanal's own objective, minimised again by scipy's L-BFGS-B to a tight tolerance, agrees to 1e-7
    correlation = covariance / np.sqrt(np.outer(np.diag(covariance), np.diag(covariance)))
    tight = optimize.minimize(
        factanal_objective,
        expected["uniquenesses"],
        args=(correlation, q),
        method="L-BFGS-B",
        bounds=[(0.005, 1.0)] * 6,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000},
    )
    # the objective is flat near its minimum (F changes by 1e-13 when ψ moves by 1e-6), so the
    # uniquenesses are pinned down to about 1e-6: SQUAREM, run to a tight tolerance, gets there
    accelerated = emlib.fit_factor_analysis(X, q, method="squarem", tol=1e-14)
    np.testing.assert_allclose(accelerated.params.noise_variances / np.diag(covariance), tight.x, rtol=0, atol=2e-6)
    assert factanal_objective(uniquenesses, correlation, q) <= tight.fun + 1e-10
    statistic, objective = factanal_statistic(covariance, fit.params.covariance(), n, q)
    assert statistic == pytest.approx(expected["statistic"], rel=1e-6)
    assert objective <= expected["objective"] * (1 + 1e-12)  # EM's optimum is at least as good as optim's
    assert (q, expected["dof"]) in ((1, 9), (2, 4))  # 0.5 ((p − q)² − p − q) for p = 6


def test_heywood_case_em_crawls_towards_a_zero_uniqueness():
    # factanal puts the first uniqueness at its lower bound 0.005; EM decreases it ever more slowly
    reference = REFERENCE["heywood"]
    covariance, n = np.array(reference["covariance"]), reference["n_obs"]
    X = data_with_covariance(covariance, n)
    fit = quiet_fit(emlib.fit_factor_analysis, X, 1, tol=0, max_iter=3000, trajectory=True)
    psi = np.array([p.noise_variances for p in fit.trajectory])
    assert np.all(np.isfinite(psi)) and np.all(psi > 0) and np.all(np.isfinite(fit.log_likelihoods))
    first = psi[:, 0]
    assert np.all(np.diff(first[10:]) < 0)  # keeps falling
    assert first[-1] < reference["fits"][0]["uniquenesses"][0]  # below factanal's bound 0.005
    increments = np.diff(fit.log_likelihoods)
    assert np.all(increments[10:] > 0)
    ratios = increments[1:] / increments[:-1]
    assert ratios[-1] > 0.995  # sublinear: the rate of convergence tends to 1
    assert ratios[-1] > ratios[100]
    # the other uniquenesses approach factanal's (which holds the first at 0.005)
    np.testing.assert_allclose(first[-1:], 0.0, atol=5e-3)
    np.testing.assert_allclose(psi[-1, 1:], reference["fits"][0]["uniquenesses"][1:], atol=2e-3)
    # and its objective is below factanal's, the bound being active there
    objective = factanal_statistic(covariance, fit.params.covariance(), n, 1)[1]
    assert objective < reference["fits"][0]["objective"]


def test_e_and_m_steps_stay_finite_at_a_tiny_uniqueness():
    rng = np.random.default_rng(11)
    params = random_params(rng, 5, 1)
    X = draw(params, 50, rng)
    for tiny in (1e-12, 1e-30, 1e-200):
        near = emlib.FactorParams(params.mean, params.loadings, np.r_[tiny, params.noise_variances[1:]])
        data = FA.check_data(X)
        estep = FA.expectation(data, np.ones(50), near)
        new = FA.maximization(data, np.ones(50), estep.statistics, near)
        assert np.isfinite(estep.log_likelihood)
        assert np.all(np.isfinite(new.loadings)) and np.all(new.noise_variances > 0)
        assert np.isfinite(FA.log_likelihood(X, new))


# --- equivariance, weights, drivers -----------------------------------------------------------------


def test_factor_analysis_is_equivariant_under_diagonal_rescaling():
    X = emlib.datasets.banknote()  # its one-factor fit is interior (no Heywood case)
    scales, shift = np.linspace(0.5, 40.0, X.shape[1]), np.arange(X.shape[1], dtype=float)
    fit = emlib.fit_factor_analysis(X, 1, tol=1e-12)
    moved = emlib.fit_factor_analysis(X * scales + shift, 1, tol=1e-12)
    np.testing.assert_allclose(moved.params.noise_variances, fit.params.noise_variances * scales**2, rtol=1e-6)
    np.testing.assert_allclose(moved.params.covariance(), fit.params.covariance() * np.outer(scales, scales), rtol=1e-6)
    np.testing.assert_allclose(moved.params.mean, fit.params.mean * scales + shift, rtol=1e-12)
    expected = fit.log_likelihoods[-1] - len(X) * np.sum(np.log(scales))
    assert moved.log_likelihoods[-1] == pytest.approx(expected, rel=1e-10)


def test_ppca_is_equivariant_under_scaled_rotations():
    X = emlib.datasets.crabs()
    rotation = ortho_group.rvs(X.shape[1], random_state=12)
    c, shift = -3.5, np.linspace(-1, 1, X.shape[1])
    fit = emlib.fit_ppca(X, 2, tol=1e-13)
    moved = emlib.fit_ppca(c * X @ rotation.T + shift, 2, tol=1e-13)
    assert moved.params.noise_variances[0] == pytest.approx(c**2 * fit.params.noise_variances[0], rel=1e-7)
    np.testing.assert_allclose(
        moved.params.covariance(), c**2 * rotation @ fit.params.covariance() @ rotation.T, rtol=1e-6, atol=1e-9
    )
    expected = fit.log_likelihoods[-1] - len(X) * X.shape[1] * np.log(abs(c))
    assert moved.log_likelihoods[-1] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("function", [emlib.fit_factor_analysis, emlib.fit_ppca])
def test_weights_count_copies_of_rows(function):
    rng = np.random.default_rng(13)
    X = emlib.datasets.banknote()[rng.choice(200, 80, replace=False)]
    counts = rng.integers(0, 4, 80)
    weighted = function(X, 1, sample_weight=counts, tol=1e-13)
    repeated = function(np.repeat(X, counts, axis=0), 1, tol=1e-13)
    assert weighted.log_likelihoods[-1] == pytest.approx(repeated.log_likelihoods[-1], rel=1e-10)
    np.testing.assert_allclose(weighted.params.covariance(), repeated.params.covariance(), rtol=1e-7)
    np.testing.assert_allclose(weighted.params.mean, repeated.params.mean, rtol=1e-12)


def test_every_driver_reaches_the_same_optimum():
    X = emlib.datasets.banknote()
    results = {m: emlib.fit_factor_analysis(X, 1, method=m, tol=1e-11) for m in ("em", "squarem", "ecg", "hybrid")}
    best = max(r.log_likelihoods[-1] for r in results.values())
    for method, result in results.items():
        assert result.converged, method
        assert result.log_likelihoods[-1] == pytest.approx(best, rel=1e-10), method
        np.testing.assert_allclose(result.params.noise_variances, results["em"].params.noise_variances, rtol=1e-4)
    assert results["squarem"].n_evaluations < results["em"].n_evaluations
    # and fit_em continues a fit with the model it returns
    again = emlib.fit_em(results["em"].model, X, results["em"].params, tol=1e-12)
    assert again.log_likelihoods[0] == pytest.approx(results["em"].log_likelihoods[-1], rel=1e-13)


def test_default_start_is_deterministic_and_random_start_uses_the_seed():
    X = load_diabetes().data
    a, b = (quiet_fit(emlib.fit_factor_analysis, X, 2, max_iter=3) for _ in range(2))
    np.testing.assert_array_equal(a.log_likelihoods, b.log_likelihoods)
    c = quiet_fit(emlib.fit_factor_analysis, X, 2, init="random", random_state=1, max_iter=3)
    d = quiet_fit(emlib.fit_factor_analysis, X, 2, init="random", random_state=1, max_iter=3)
    e = quiet_fit(emlib.fit_factor_analysis, X, 2, init="random", random_state=2, max_iter=3)
    np.testing.assert_array_equal(c.log_likelihoods, d.log_likelihoods)
    assert c.log_likelihoods[0] != e.log_likelihoods[0]


def test_convergence_warning_and_refusals():
    X = load_diabetes().data
    with pytest.warns(emlib.ConvergenceWarning, match="max_iter=2"):
        emlib.fit_factor_analysis(X, 2, max_iter=2)
    with pytest.raises(ValueError, match="method 'hard'.*no meaning"):
        emlib.fit_factor_analysis(X, 2, method="hard")
    with pytest.raises(TypeError, match="method 'hard' needs the model's classification"):
        emlib.fit_em(FA, X, emlib.ppca_maximum_likelihood(X, 2), method="hard")
    with pytest.raises(ValueError, match="X column 1 is constant"):
        emlib.fit_factor_analysis(np.c_[X[:, :1], np.ones(len(X)), X[:, 1:]], 2)
    with pytest.raises(ValueError, match=r"n_factors \(7\) is too many factors for 10 columns"):
        emlib.fit_factor_analysis(X, 7)
    assert quiet_fit(emlib.fit_factor_analysis, X, 6, max_iter=2).params.n_factors == 6  # (10 − 6)² >= 16
    with pytest.raises(ValueError, match="must have equal noise_variances"):
        emlib.fit_ppca(X, 1, init=emlib.FactorParams(np.zeros(10), np.ones((10, 1)), np.arange(1.0, 11.0)))


def test_factor_data_caches_moments_per_weights():
    data = FactorData(np.random.default_rng(14).normal(size=(10, 3)))
    first = data.moments(np.ones(10))
    assert data.moments(np.ones(10)) is first
    assert data.moments(np.arange(10.0)) is not first
