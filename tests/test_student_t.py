"""The mixture of multivariate Student t distributions (emlib/student_t.py), fitted by ECM and ECME.

Every check compares emlib with an independent computation: scipy.stats.multivariate_t's density,
the posterior of the scale u integrated by scipy.integrate.quad from the complete-data model,
each CM-step's objective maximised by scipy.optimize, central finite differences of ℓ written with
scipy.stats, BFGS on the t log-likelihood, emlib.fit_gmm in the Gaussian limit, and a
Kolmogorov–Smirnov test of the samples. McLachlan and Peel (2000), ch. 7, and Peel and
McLachlan (2000) give the model and its ECM; Liu and Rubin (1994) the ECME step for ν.
"""

from __future__ import annotations

import doctest
import functools
import pickle
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from scipy.special import gammaln

import emlib
from emlib import student_t as student_t_module
from emlib.student_t import StudentTMixture, StudentTParams, StudentTStatistics, fit_student_t

#: Two components in 2-D with interior degrees of freedom (3 and 5): ECM and ECME both converge.
TRUTH = StudentTParams([0.4, 0.6], [[0.0, 0.0], [5.0, 1.0]], [np.eye(2), [[2.0, 0.6], [0.6, 1.0]]], [3.0, 5.0])
#: Three components in 2-D; one ν of the fit runs to the cap, where ECM is slow.
TRUTH_3 = StudentTParams(
    [0.3, 0.3, 0.4],
    [[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]],
    [np.eye(2), [[1.0, 0.5], [0.5, 1.0]], 0.5 * np.eye(2)],
    [3.0, 5.0, 10.0],
)
FIXED = StudentTMixture("fixed")


@functools.cache
def _data(name: str) -> np.ndarray:
    truth, n, seed = {"two": (TRUTH, 300, 0), "three": (TRUTH_3, 400, 2)}[name]
    return FIXED.sample(truth, n, seed)[0]


@functools.cache
def _fit(dof: str) -> emlib.EMResult:
    return fit_student_t(_data("two"), 2, dof=dof, tol=1e-12, max_iter=5000)


def _scipy_log_densities(X, params: StudentTParams) -> np.ndarray:
    """log t_D(x_n | μ_k, Σ_k, ν_k), shape (N, K), by scipy.stats.multivariate_t."""
    return np.column_stack(
        [
            stats.multivariate_t(mean, covariance, df=dof).logpdf(X).reshape(-1)
            for mean, covariance, dof in zip(params.means, params.covariances, params.dofs)
        ]
    )


def _scipy_log_likelihood(X, params: StudentTParams) -> float:
    """ℓ = Σ_n log Σ_k π_k t(x_n | θ_k), from scipy.stats."""
    from scipy.special import logsumexp

    return float(logsumexp(_scipy_log_densities(X, params) + np.log(params.weights), axis=1).sum())


def _sorted_means(means: np.ndarray) -> np.ndarray:
    return means[np.argsort(means[:, 0])]


def test_docstring_examples():
    assert doctest.testmod(student_t_module).failed == 0


@pytest.mark.parametrize("n_features", [1, 2, 4])
@pytest.mark.parametrize("dof", [0.5, 3.0, 30.0, 1e4])
def test_log_conditional_equals_scipy_multivariate_t(n_features, dof):
    # the t density of McLachlan and Peel (2000), ch. 7 (module notes of emlib.student_t)
    rng = np.random.default_rng(n_features)
    X = 3.0 * rng.standard_normal((30, n_features))
    A = rng.standard_normal((2, n_features, n_features))
    covariances = A @ np.swapaxes(A, 1, 2) + 0.5 * np.eye(n_features)
    params = StudentTParams([0.3, 0.7], rng.standard_normal((2, n_features)), covariances, [dof, 2.0])
    data = FIXED.check_data(X)
    np.testing.assert_allclose(FIXED.log_conditional(data, params), _scipy_log_densities(X, params), rtol=1e-11)


@pytest.mark.parametrize("dof", [1e7, 1e12])
def test_large_dof_tends_to_the_normal_density(dof):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    covariance = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5]])
    params = StudentTParams([1.0], [[0.1, -0.2, 0.3]], [covariance], [dof])
    ours = FIXED.log_conditional(FIXED.check_data(X), params)[:, 0]
    normal = stats.multivariate_normal([0.1, -0.2, 0.3], covariance).logpdf(X)
    # log t − log N = O(δ⁴/ν): below 1e-5 for ν = 1e7, and our formula keeps its digits at ν = 1e12
    np.testing.assert_allclose(ours, normal, rtol=0, atol=1e-5 if dof == 1e7 else 1e-9)
    if dof == 1e7:  # scipy's gammaln difference still has ~1e-9 of its digits here
        np.testing.assert_allclose(ours, _scipy_log_densities(X, params)[:, 0], rtol=0, atol=1e-7)


def test_e_step_scales_equal_the_quadrature_of_the_posterior_of_u():
    # Peel and McLachlan (2000), E-step: u = (ν + D)/(ν + δ²), E[log u] = ψ((ν + D)/2) − log((ν + δ²)/2);
    # here the posterior p(u | x, z = k) ∝ N(x | μ_k, Σ_k/u) Gamma(u | ν_k/2, rate ν_k/2) is integrated directly
    params = StudentTParams(
        [0.5, 0.5], [[0.0, 0.0, 0.0], [1.0, -1.0, 2.0]], [np.eye(3), np.diag([2.0, 1.0, 0.5])], [3.0, 7.5]
    )
    x = np.array([[1.5, 0.5, -1.0]])
    estep = FIXED.expectation(FIXED.check_data(x), np.ones(1), params)
    assert isinstance(estep.statistics, StudentTStatistics)
    for k in range(2):
        mean, covariance, dof = params.means[k], params.covariances[k], params.dofs[k]
        deviation = x[0] - mean
        squared = deviation @ np.linalg.solve(covariance, deviation)
        log_det = np.linalg.slogdet(covariance)[1]

        def joint(u, squared=squared, log_det=log_det, dof=dof):
            # N(x | μ, Σ/u) and the Gamma(ν/2, rate ν/2) density of u, written out
            log_gaussian = -0.5 * (3 * np.log(2 * np.pi) + log_det - 3 * np.log(u) + u * squared)
            half = 0.5 * dof
            log_gamma = half * np.log(half) - gammaln(half) + (half - 1) * np.log(u) - half * u
            return np.exp(log_gaussian + log_gamma)

        def moment(f):
            return integrate.quad(lambda u: f(u) * joint(u), 0, np.inf, epsabs=0, epsrel=1e-12, limit=200)[0]

        evidence = moment(lambda u: 1.0)
        assert np.log(evidence) == pytest.approx(FIXED.log_conditional(x, params)[0, k], rel=1e-9)
        assert estep.statistics.scales[0, k] == pytest.approx(moment(lambda u: u) / evidence, rel=1e-9)
        assert estep.statistics.log_scales[0, k] == pytest.approx(moment(np.log) / evidence, rel=1e-8)
    joint_k = _scipy_log_densities(x, params)[0] + np.log(params.weights)
    np.testing.assert_allclose(
        estep.statistics.responsibilities[0], np.exp(joint_k - np.logaddexp(*joint_k)), rtol=1e-12
    )


def _q_location_scale(X, statistics, k, mean, cholesky):
    """Σ_n τ_nk [−½ log|Σ| − ½ u_nk δ²(x_n; μ, Σ)]: the (μ, Σ) part of Q for component k."""
    covariance = cholesky @ cholesky.T
    deviations = X - mean
    squared = np.einsum("nd,nd->n", deviations, np.linalg.solve(covariance, deviations.T).T)
    tau, u = statistics.responsibilities[:, k], statistics.scales[:, k]
    return float(tau @ (-0.5 * np.linalg.slogdet(covariance)[1] - 0.5 * u * squared))


def _q_dof(statistics, k, dof):
    """Σ_n τ_nk E[log Gamma(u_n | ν/2, rate ν/2)]: the ν part of Q for component k."""
    tau = statistics.responsibilities[:, k]
    half = 0.5 * dof
    return float(
        tau
        @ (
            half * np.log(half)
            - gammaln(half)
            + (half - 1) * statistics.log_scales[:, k]
            - half * statistics.scales[:, k]
        )
    )


def test_ecm_cm_steps_maximise_q():
    # CM-step 1 (McLachlan and Peel 2000, ch. 7; Peel and McLachlan 2000, M-step for π, μ, Σ) and the
    # ECM CM-step 2 for ν, each checked against a numerical maximisation of its part of Q
    X = _data("two")
    model = StudentTMixture("ecm")
    start = StudentTParams([0.5, 0.5], [[1.0, 1.0], [4.0, 0.0]], [np.eye(2), np.eye(2)], [10.0, 2.0])
    statistics = model.expectation(X, np.ones(len(X)), start).statistics
    fitted = model.maximization(X, np.ones(len(X)), statistics, start)
    np.testing.assert_allclose(fitted.weights, statistics.responsibilities.mean(axis=0), rtol=1e-13)
    for k in range(2):

        def negative_q(v, k=k):
            cholesky = np.array([[np.exp(v[2]), 0.0], [v[3], np.exp(v[4])]])
            return -_q_location_scale(X, statistics, k, v[:2], cholesky)

        found = optimize.minimize(negative_q, np.zeros(5), method="BFGS", options={"gtol": 1e-9}).x
        np.testing.assert_allclose(fitted.means[k], found[:2], atol=1e-6)
        cholesky = np.array([[np.exp(found[2]), 0.0], [found[3], np.exp(found[4])]])
        np.testing.assert_allclose(fitted.covariances[k], cholesky @ cholesky.T, atol=1e-6)
        best = optimize.minimize_scalar(
            lambda t, k=k: -_q_dof(statistics, k, np.exp(t)),
            bounds=(np.log(0.01), np.log(1000)),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert fitted.dofs[k] == pytest.approx(np.exp(best.x), rel=1e-6)


def test_ecme_dof_steps_maximise_the_observed_log_likelihood():
    # Liu and Rubin (1994): after CM-step 1, ν_1 maximises ℓ itself with ν_2 at its old value, then ν_2 with
    # the new ν_1 (one CM-step per component); ℓ from scipy.stats
    X = _data("two")
    model = StudentTMixture("ecme")
    start = StudentTParams([0.5, 0.5], [[1.0, 1.0], [4.0, 0.0]], [np.eye(2), np.eye(2)], [10.0, 2.0])
    statistics = model.expectation(X, np.ones(len(X)), start).statistics
    fitted = model.maximization(X, np.ones(len(X)), statistics, start)

    def log_likelihood(dofs):
        return _scipy_log_likelihood(X, StudentTParams(fitted.weights, fitted.means, fitted.covariances, dofs))

    new_1, new_2 = fitted.dofs
    old_2 = start.dofs[1]
    for factor in (0.99, 1.01, 0.5, 2.0):
        assert log_likelihood([new_1 * factor, old_2]) < log_likelihood([new_1, old_2])
        assert log_likelihood([new_1, new_2 * factor]) < log_likelihood([new_1, new_2])
    # the ECM step from the same statistics maximises Q, not ℓ: its ν give a lower ℓ at the same (π, μ, Σ)
    ecm = StudentTMixture("ecm").maximization(X, np.ones(len(X)), statistics, start)
    np.testing.assert_allclose(ecm.means, fitted.means, rtol=1e-14)
    assert log_likelihood(ecm.dofs) < log_likelihood(fitted.dofs)


@pytest.mark.parametrize("dof", ["ecm", "ecme", "fixed"])
@pytest.mark.parametrize("tied", [False, True])
def test_log_likelihood_never_decreases(dof, tied):
    # ECM is an EM here (Q separates in (π, μ, Σ) and ν), and ECME's CM-steps each raise ℓ (Liu and Rubin 1994)
    X = _data("three")
    start = StudentTParams([1 / 3] * 3, [[1.0, 1.0], [3.0, -1.0], [-1.0, 3.0]], [np.eye(2)] * 3, [20.0] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        fit = emlib.fit_em(StudentTMixture(dof, tied_dof=tied), X, start, tol=0, max_iter=120 if dof == "ecm" else 30)
    steps = np.diff(fit.log_likelihoods)
    assert np.all(steps >= -1e-9 * np.abs(fit.log_likelihoods[1:]))
    assert fit.log_likelihoods[-1] > fit.log_likelihoods[0] + 10


def _log_likelihood_in_free_coordinates(X, theta: np.ndarray) -> float:
    """ℓ with π = (σ(a), 1 − σ(a)), μ, the raw entries of each lower Cholesky factor and log ν (K = 2, D = 2)."""
    share = 1.0 / (1.0 + np.exp(-theta[0]))
    means, triangles, log_dofs = theta[1:5].reshape(2, 2), theta[5:11].reshape(2, 3), theta[11:]
    covariances = [np.array([[a, 0.0], [b, c]]) @ np.array([[a, 0.0], [b, c]]).T for a, b, c in triangles]
    return _scipy_log_likelihood(X, StudentTParams([share, 1 - share], means, covariances, np.exp(log_dofs)))


def _free_coordinates(params: StudentTParams) -> np.ndarray:
    triangles = np.stack([factor[np.tril_indices(2)] for factor in params.covariance_cholesky])
    logit = np.log(params.weights[0] / params.weights[1])
    return np.concatenate([[logit], params.means.ravel(), triangles.ravel(), np.log(params.dofs)])


def _numerical_score(X, params: StudentTParams, step=1e-5) -> np.ndarray:
    theta = _free_coordinates(params)
    return np.array(
        [
            (
                _log_likelihood_in_free_coordinates(X, theta + step * e)
                - _log_likelihood_in_free_coordinates(X, theta - step * e)
            )
            / (2 * step)
            for e in np.eye(theta.size)
        ]
    )


def test_ecm_and_ecme_reach_the_same_maximum_where_the_score_is_zero():
    X = _data("two")
    ecm, ecme = _fit("ecm"), _fit("ecme")
    assert ecm.converged and ecme.converged
    assert ecme.n_iter < ecm.n_iter / 3  # ECME's ν-step on ℓ itself converges much faster
    assert ecm.log_likelihoods[-1] == pytest.approx(ecme.log_likelihoods[-1], rel=1e-7)
    assert ecme.log_likelihoods[-1] == pytest.approx(_scipy_log_likelihood(X, ecme.params), rel=1e-12)
    np.testing.assert_allclose(_sorted_means(ecm.params.means), _sorted_means(ecme.params.means), atol=1e-5)
    np.testing.assert_allclose(np.sort(ecm.params.dofs), np.sort(ecme.params.dofs), rtol=1e-4)
    # the score (by central differences of ℓ from scipy.stats) in π, μ, the Cholesky entries and log ν is zero
    # at the ECME maximum: ten thousand times smaller than at the parameters that drew the data
    at_maximum = np.abs(_numerical_score(X, ecme.params)).max()
    at_truth = np.abs(_numerical_score(X, TRUTH)).max()
    assert at_truth > 5.0
    assert at_maximum < 1e-3


def test_one_component_equals_bfgs_on_the_t_log_likelihood():
    rng = np.random.default_rng(11)
    X = 2.0 + stats.multivariate_t(np.zeros(2), [[1.0, 0.4], [0.4, 0.5]], df=4.0).rvs(size=200, random_state=rng)

    def negative_log_likelihood(v):
        cholesky = np.array([[np.exp(v[2]), 0.0], [v[3], np.exp(v[4])]])
        return -stats.multivariate_t(v[:2], cholesky @ cholesky.T, df=np.exp(v[5])).logpdf(X).sum()

    start = np.array([*X.mean(axis=0), 0.0, 0.0, 0.0, np.log(10.0)])
    bfgs = optimize.minimize(negative_log_likelihood, start, method="BFGS", options={"gtol": 1e-7})
    for dof in ("ecm", "ecme"):
        fit = fit_student_t(X, 1, dof=dof, tol=1e-13, max_iter=5000)
        assert fit.log_likelihoods[-1] == pytest.approx(-bfgs.fun, rel=1e-7)
        assert fit.log_likelihoods[-1] >= -bfgs.fun - 1e-6
        np.testing.assert_allclose(fit.params.means[0], bfgs.x[:2], atol=1e-4)
        assert fit.params.dofs[0] == pytest.approx(np.exp(bfgs.x[5]), rel=1e-3)


def test_a_huge_fixed_dof_gives_the_gaussian_mixture_fit():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal([0.0, 0.0], 1.0, (150, 2)), rng.normal([4.0, 1.0], [1.5, 0.7], (150, 2))])
    weights, means, covariances = [0.5, 0.5], [[1.0, 0.0], [3.0, 2.0]], [np.eye(2), np.eye(2)]
    gaussian = emlib.fit_gmm(X, 2, init=emlib.GMMParams(weights, means, covariances), reg_covar=0, tol=1e-10)
    student = emlib.fit_em(FIXED, X, StudentTParams(weights, means, covariances, [1e7, 1e7]), tol=1e-10)
    np.testing.assert_allclose(student.params.means, gaussian.params.means, atol=1e-4)
    np.testing.assert_allclose(student.params.covariances, gaussian.params.covariances, atol=1e-4)
    np.testing.assert_allclose(student.params.weights, gaussian.params.weights, atol=1e-5)
    assert student.log_likelihoods[-1] == pytest.approx(gaussian.log_likelihoods[-1], abs=1e-3)


def _contaminated(seed=0):
    """Two unit clusters at (±3, 0), 143 points each, and 14 gross outliers (5%) uniform on [−25, 25]²."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-3.0, 0.0], [3.0, 0.0]])
    clean = np.concatenate([rng.normal(centre, 1.0, size=(143, 2)) for centre in centres])
    return np.concatenate([clean, rng.uniform(-25, 25, size=(14, 2))]), centres


def test_outliers_move_the_gaussian_means_but_not_the_t_means():
    # the motivating example of McLachlan and Peel (2000), ch. 7: the t components down-weight atypical points
    X, centres = _contaminated()
    weights, covariances = [0.5, 0.5], [np.eye(2), np.eye(2)]
    gaussian = emlib.fit_gmm(X, 2, init=emlib.GMMParams(weights, centres, covariances), reg_covar=0)
    student = fit_student_t(X, 2, init=StudentTParams(weights, centres, covariances, [30.0, 30.0]))
    gaussian_error = np.abs(_sorted_means(gaussian.params.means) - centres).max()
    student_error = np.abs(_sorted_means(student.params.means) - centres).max()
    assert gaussian_error > 2.5  # one Gaussian component goes to the outliers, the other covers both clusters
    assert student_error < 0.3
    # an outlier's weight in the M-step, Σ_k τ_nk u_nk, is below 0.1, a clean row's median weight near 1
    effective = np.sum(student.posterior.responsibilities * student.posterior.scales, axis=1)
    assert effective[-14:].max() < 0.1 and np.median(effective[:286]) > 0.9
    # fit_student_t's k-means start finds this fit on its own; its Gaussian-fit start inherits the Gaussian's
    assert np.abs(_sorted_means(fit_student_t(X, 2, init="k-means", n_init=3).params.means) - centres).max() < 0.3


def test_squarem_reaches_the_ecm_maximum_in_fewer_e_steps():
    X = _data("two")
    squarem = fit_student_t(X, 2, dof="ecm", method="squarem", tol=1e-12, max_iter=5000)
    assert squarem.log_likelihoods[-1] == pytest.approx(_fit("ecm").log_likelihoods[-1], rel=1e-9)
    assert squarem.n_evaluations < _fit("ecm").n_evaluations / 2
    assert np.all(np.diff(squarem.log_likelihoods) >= -1e-9 * abs(squarem.log_likelihoods[-1]))


@pytest.mark.parametrize("dof", ["ecm", "ecme"])
def test_weights_are_repeated_rows(dof):
    X = _data("two")[:80]
    repeats = np.random.default_rng(4).integers(1, 4, size=80)
    start = StudentTParams([0.5, 0.5], [[0.0, 0.0], [5.0, 1.0]], [np.eye(2), np.eye(2)], [10.0, 10.0])
    model = StudentTMixture(dof)
    weighted = emlib.fit_em(model, X, start, sample_weight=repeats, tol=1e-10)
    repeated = emlib.fit_em(model, np.repeat(X, repeats, axis=0), start, tol=1e-10)
    assert weighted.n_iter == repeated.n_iter
    # rtol 1e-9: ECME's bounded search for ν stops within its tolerance along a different rounding path
    np.testing.assert_allclose(weighted.log_likelihoods, repeated.log_likelihoods, rtol=1e-9)
    np.testing.assert_allclose(weighted.params.dofs, repeated.params.dofs, rtol=1e-6)


def test_tied_dof_shares_one_nu_that_maximises_the_likelihood():
    X = _data("two")
    ecm = fit_student_t(X, 2, dof="ecm", tied_dof=True, tol=1e-12, max_iter=5000)
    ecme = fit_student_t(X, 2, dof="ecme", tied_dof=True, tol=1e-12)
    for fit in (ecm, ecme):
        assert fit.params.dofs[0] == fit.params.dofs[1]
    assert ecm.log_likelihoods[-1] == pytest.approx(ecme.log_likelihoods[-1], rel=1e-7)
    assert ecme.log_likelihoods[-1] <= _fit("ecme").log_likelihoods[-1] + 1e-6  # one constraint more
    best = _scipy_log_likelihood(X, ecme.params)
    for factor in (0.98, 1.02):
        p = ecme.params
        assert _scipy_log_likelihood(X, StudentTParams(p.weights, p.means, p.covariances, p.dofs * factor)) < best


def test_an_empty_component_keeps_its_parameters_with_weight_zero():
    X = _data("two")[:20]
    start = StudentTParams([0.5, 0.5], [[0.0, 0.0], [50.0, 50.0]], [np.eye(2), 2 * np.eye(2)], [4.0, 7.0])
    statistics = StudentTStatistics(np.column_stack([np.ones(20), np.zeros(20)]), np.ones((20, 2)), np.zeros((20, 2)))
    for dof in ("ecm", "ecme", "fixed"):
        fitted = StudentTMixture(dof).maximization(X, np.ones(20), statistics, start)
        assert fitted.weights.tolist() == [1.0, 0.0]
        assert fitted.means[1].tolist() == [50.0, 50.0]
        assert fitted.covariances[1].tolist() == (2 * np.eye(2)).tolist()
        assert fitted.dofs[1] == 7.0
        np.testing.assert_allclose(fitted.means[0], X.mean(axis=0), rtol=1e-12)  # u = 1: the plain mean


def test_reg_covar_adds_to_each_diagonal_and_makes_the_objective_non_monotone():
    X = _data("two")
    statistics = FIXED.expectation(X, np.ones(len(X)), TRUTH).statistics
    plain = FIXED.maximization(X, np.ones(len(X)), statistics, TRUTH)
    regularised = StudentTMixture("fixed", reg_covar=0.25).maximization(X, np.ones(len(X)), statistics, TRUTH)
    np.testing.assert_allclose(regularised.covariances - plain.covariances, [0.25 * np.eye(2)] * 2, atol=1e-14)
    assert FIXED.objective_is_monotone() and not StudentTMixture(reg_covar=0.25).objective_is_monotone()


def test_flatten_and_unflatten():
    model = StudentTMixture("ecme")
    vector = model.flatten(TRUTH)
    assert vector.shape == (2 * (1 + 2 + 3 + 1),)
    back = model.unflatten(vector, TRUTH)
    for name in ("weights", "means", "covariances", "dofs"):
        np.testing.assert_allclose(getattr(back, name), getattr(TRUTH, name), rtol=1e-13, atol=1e-15)
    assert model.unflatten(np.concatenate([[-0.1, 1.1], vector[2:]]), TRUTH) is None  # a negative weight
    assert model.unflatten(vector[:-1], TRUTH) is None
    far = np.array(vector)
    far[-1] = np.log(1e9)
    assert model.unflatten(far, TRUTH).dofs[1] == model.dof_bounds[1]  # an estimated ν is clipped to its bounds
    assert FIXED.unflatten(far, TRUTH).dofs[1] == 5.0  # a fixed ν is kept


def test_params_are_frozen_copies_that_pickle():
    copy = pickle.loads(pickle.dumps(TRUTH))
    assert isinstance(copy, StudentTParams) and repr(copy) == "StudentTParams(n_components=2, n_features=2)"
    np.testing.assert_array_equal(copy.dofs, TRUTH.dofs)
    with pytest.raises(ValueError):
        TRUTH.dofs[0] = 1.0
    np.testing.assert_allclose(TRUTH.covariance_cholesky[1] @ TRUTH.covariance_cholesky[1].T, TRUTH.covariances[1])
    assert repr(StudentTMixture("ecm", tied_dof=True)) == "StudentTMixture(dof='ecm', tied_dof=True, reg_covar=0)"


def test_draw_follows_the_t_distribution():
    X, labels = FIXED.sample(TRUTH, 4000, 3)
    assert X.shape == (4000, 2) and abs(labels.mean() - 0.6) < 0.025  # binomial sd 0.008
    for k in range(2):  # δ²/D of a t_D(μ, Σ, ν) row is F(D, ν)-distributed
        rows = X[labels == k] - TRUTH.means[k]
        squared = np.einsum("nd,nd->n", rows, np.linalg.solve(TRUTH.covariances[k], rows.T).T)
        assert stats.kstest(squared / 2, stats.f(2, TRUTH.dofs[k]).cdf).pvalue > 1e-3


def test_n_parameters():
    assert StudentTMixture("ecme").n_parameters(TRUTH) == 1 + 4 + 6 + 2
    assert StudentTMixture("ecm", tied_dof=True).n_parameters(StudentTParams([1.0], [[0.0]], [[[1.0]]], [3.0])) == 3
    assert FIXED.n_parameters(TRUTH) == 11


X_SMALL = np.random.default_rng(0).standard_normal((20, 2))
GOOD = dict(weights=[0.5, 0.5], means=[[0.0, 0.0], [1.0, 1.0]], covariances=[np.eye(2), np.eye(2)], dofs=[3.0, 4.0])


def _params(**changes):
    return StudentTParams(**{**GOOD, **changes})


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: StudentTMixture(dof="em"), ValueError, "dof must be one of"),
        (lambda: StudentTMixture(tied_dof="yes"), TypeError, "tied_dof must be True or False"),
        (lambda: StudentTMixture(reg_covar=-1.0), ValueError, "reg_covar must be a finite number >= 0"),
        (lambda: StudentTMixture(dof_bounds=(10, 1)), ValueError, "dof_bounds must satisfy"),
        (lambda: StudentTMixture(dof_bounds=5), TypeError, "dof_bounds must be a pair"),
        (lambda: _params(dofs=[0.0, 1.0]), ValueError, "dofs must be > 0"),
        (lambda: _params(dofs=[-1.0, 1.0]), ValueError, "dofs must be > 0"),
        (lambda: _params(dofs=[np.inf, 1.0]), ValueError, "dofs contains NaN or infinite"),
        (lambda: _params(dofs=[3.0]), ValueError, "dofs must have one entry per component"),
        (lambda: _params(dofs=["a", "b"]), TypeError, "dofs must hold real numbers"),
        (lambda: _params(weights=[0.7, 0.7]), ValueError, "weights must sum to 1"),
        (lambda: _params(means=[[0.0, 0.0]]), ValueError, "means must have one row per component"),
        (
            lambda: _params(covariances=[np.eye(2), -np.eye(2)]),
            ValueError,
            r"covariances\[1\] is not positive definite",
        ),
        (lambda: fit_student_t(X_SMALL, 2, dof="ml"), ValueError, "dof must be one of"),
        (lambda: fit_student_t(X_SMALL, 0), ValueError, "n_components must be >= 1"),
        (lambda: fit_student_t(X_SMALL, 2.5), TypeError, "n_components must be an integer"),
        (lambda: fit_student_t(X_SMALL, 2, method="hard"), ValueError, "method must be one of"),
        (lambda: fit_student_t(X_SMALL, 2, init="kmeans"), ValueError, "init must be one of"),
        (lambda: fit_student_t(X_SMALL, 3, init=_params()), ValueError, "init has 2 components but n_components is 3"),
        (lambda: fit_student_t(X_SMALL[:, :1], 2, init=_params()), ValueError, "init has dimension 2 but X has 1"),
        (lambda: fit_student_t(X_SMALL, 2, init=_params(), n_init=2), ValueError, "n_init must be 1"),
        (lambda: fit_student_t(X_SMALL, 2, tol=-1.0), ValueError, "tol must be a finite number >= 0"),
        (lambda: fit_student_t(X_SMALL, 2, max_iter=1.5), TypeError, "max_iter must be an integer"),
        (lambda: fit_student_t(X_SMALL, 2, random_state="a"), TypeError, "random_state must be None"),
        (lambda: fit_student_t(X_SMALL[:, 0], 2), ValueError, "X must be a 2-D array"),
        (lambda: fit_student_t(np.full((5, 2), np.nan), 2), ValueError, "X contains NaN"),
        (
            lambda: fit_student_t(X_SMALL, 2, tied_dof=True, init=_params()),
            ValueError,
            r"init.dofs must all be equal with tied_dof=True",
        ),
        (
            lambda: fit_student_t(X_SMALL, 2, init=_params(dofs=[3.0, 1e7])),
            ValueError,
            r"init.dofs must lie in dof_bounds \[0.01, 1000\]",
        ),
        (
            lambda: emlib.fit_em(StudentTMixture(), X_SMALL, _params(), method="hard"),
            TypeError,
            "StudentTMixture has no classification",
        ),
        (lambda: emlib.fit_em(StudentTMixture(), X_SMALL, _params(), method="ecg"), TypeError, "score"),
        (
            lambda: emlib.fit_em(StudentTMixture(), X_SMALL, emlib.GMMParams([1.0], [[0.0, 0.0]], [np.eye(2)])),
            TypeError,
            "StudentTParams",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_collapsing_component_names_itself_and_the_remedy():
    X = np.concatenate([np.zeros((3, 2)), np.random.default_rng(1).standard_normal((20, 2))])
    statistics = StudentTStatistics(
        np.column_stack([np.r_[np.ones(3), np.zeros(20)], np.r_[np.zeros(3), np.ones(20)]]),
        np.ones((23, 2)),
        np.zeros((23, 2)),
    )
    with pytest.raises(emlib.SingularCovarianceError, match="component 0 is singular.*reg_covar > 0"):
        FIXED.maximization(X, np.ones(23), statistics, _params())
    fitted = StudentTMixture("fixed", reg_covar=1e-3).maximization(X, np.ones(23), statistics, _params())
    np.testing.assert_allclose(fitted.covariances[0], 1e-3 * np.eye(2), atol=1e-15)
