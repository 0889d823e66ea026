"""Gaussian mixtures and the multivariate normal with entries missing at random (``emlib.missing``).

Every check compares emlib with an independent computation: scipy.optimize on the observed-data
log-likelihood written row by row with scipy.stats, numerical integration of the joint density
over the missing coordinate (scipy.integrate.quad), Anderson's (1957) factored likelihood for the
apple trees, explicit-inverse formulas for the conditional moments and the M-step, finite
differences for the score, and the complete-data code where nothing is missing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, stats

import emlib
from emlib.missing import MissingGaussianMixtureModel, conditional_moments


def _mar_normal(n=60, seed=0):
    """A 3-D normal sample with about 30 % of its entries missing at random (column 0 always observed)."""
    rng = np.random.default_rng(seed)
    covariance = np.array([[2.0, 0.8, 0.4], [0.8, 1.5, -0.3], [0.4, -0.3, 1.0]])
    X = rng.multivariate_normal([1.0, -2.0, 0.5], covariance, size=n)
    # MAR: whether columns 1 and 2 are missing depends on the always-observed column 0
    probability = 1.0 / (1.0 + np.exp(-(X[:, 0] - 1.0)))
    missing = np.zeros(X.shape, dtype=bool)
    missing[:, 1] = rng.random(n) < 0.9 * probability
    missing[:, 2] = rng.random(n) < 0.9 * (1.0 - probability)
    Y = X.copy()
    Y[missing] = np.nan
    return Y


def _mixture_with_missing(seed=1, n=120, fraction=0.25):
    rng = np.random.default_rng(seed)
    X = np.vstack(
        [
            rng.multivariate_normal([0.0, 0.0, 0.0], [[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]], n // 2),
            rng.multivariate_normal([4.0, 3.0, -2.0], [[1.0, -0.4, 0.0], [-0.4, 0.8, 0.1], [0.0, 0.1, 0.6]], n // 2),
        ]
    )
    mask = rng.random(X.shape) < fraction
    mask[mask.all(axis=1), 0] = False
    Y = X.copy()
    Y[mask] = np.nan
    return Y


def _observed_log_likelihood_rowwise(X, mean, covariance):
    """Σ_n log N(x_n,o; μ_o, Σ_oo), row by row with scipy.stats (book eq. (missing-observed-likelihood), K = 1)."""
    total = 0.0
    for row in X:
        o = ~np.isnan(row)
        total += stats.multivariate_normal(mean[o], covariance[np.ix_(o, o)]).logpdf(row[o])
    return total


def _observed_log_likelihood_by_pattern(X, mean, covariance):
    """The same sum, one scipy.stats call per missingness pattern (for the optimiser's many evaluations)."""
    masks, inverse = np.unique(~np.isnan(X), axis=0, return_inverse=True)
    total = 0.0
    for index, o in enumerate(masks):
        rows = X[inverse.reshape(-1) == index][:, o]
        total += np.sum(stats.multivariate_normal(mean[o], covariance[np.ix_(o, o)]).logpdf(rows))
    return total


def test_normal_reaches_the_numerical_maximum_of_the_observed_likelihood():
    # book eq. (missing-observed-likelihood), K = 1: EM's fixed point is the maximum scipy.optimize finds
    X = _mar_normal()
    assert 0.25 < np.isnan(X).mean() < 0.35
    fit = emlib.fit_gmm(X, 1, missing="em", reg_covar=0, tol=1e-14, max_iter=5000)
    d = X.shape[1]
    rows, columns = np.tril_indices(d)

    def unpack(theta):
        factor = np.zeros((d, d))
        factor[rows, columns] = theta[d:]
        factor[np.diag_indices(d)] = np.exp(np.diagonal(factor))
        return theta[:d], factor @ factor.T

    def negative(theta):
        mean, covariance = unpack(theta)
        return -_observed_log_likelihood_by_pattern(X, mean, covariance)

    start = np.concatenate([np.nanmean(X, axis=0), np.zeros(len(rows))])
    found = optimize.minimize(negative, start, method="BFGS", options={"gtol": 1e-9, "maxiter": 2000})
    best = _observed_log_likelihood_rowwise(X, *unpack(found.x))
    ours = fit.log_likelihoods[-1]
    gap = abs(ours - best) / abs(best)
    assert ours >= best - 1e-8 * abs(best)
    assert gap <= 1e-8, gap
    mean, covariance = unpack(found.x)
    np.testing.assert_allclose(fit.params.means[0], mean, atol=2e-5)
    np.testing.assert_allclose(fit.params.covariances[0], covariance, atol=2e-5)
    # and emlib's log-likelihood is the row-by-row one at its own parameters
    direct = _observed_log_likelihood_rowwise(X, fit.params.means[0], fit.params.covariances[0])
    assert abs(direct - ours) <= 1e-10 * abs(ours)


def test_em_log_likelihood_is_monotone():
    # EM never lowers the observed-data log-likelihood (nor the log-posterior under the default prior)
    X = _mar_normal(seed=3)
    fit = emlib.fit_gmm(X, 1, missing="em", reg_covar=0, tol=1e-12, max_iter=500)
    assert np.all(np.diff(fit.log_likelihoods) >= -1e-10 * abs(fit.log_likelihoods[-1]))
    Y = _mixture_with_missing()
    for covariance_type in ("full", "diag", "spherical", "tied"):
        fit = emlib.fit_gmm(Y, 2, missing="em", covariance_type=covariance_type, random_state=0, tol=1e-10)
        assert np.all(np.diff(fit.objectives) >= -1e-10 * abs(fit.objectives[-1])), covariance_type


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_nothing_missing_equals_the_complete_data_model(covariance_type):
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(3, 0.7, (40, 3))])
    start = emlib.GMMParams([0.4, 0.6], [[0.5, 0.0, 0.0], [2.5, 3.0, 2.0]], np.stack([np.eye(3), 2 * np.eye(3)]))
    for reg_covar in (None, 0.0):
        complete = emlib.fit_em(
            emlib.GaussianMixtureModel(covariance_type, reg_covar), X, start, tol=1e-10, max_iter=200
        )
        ours = emlib.fit_em(MissingGaussianMixtureModel(covariance_type, reg_covar), X, start, tol=1e-10, max_iter=200)
        assert ours.n_iter == complete.n_iter
        np.testing.assert_allclose(ours.objectives, complete.objectives, rtol=1e-12)
        np.testing.assert_allclose(ours.params.means, complete.params.means, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours.params.covariances, complete.params.covariances, rtol=1e-12, atol=1e-12)
    # fit_gmm(missing="em") on complete data is the complete-data fit, bit for bit
    plain = emlib.fit_gmm(X, 2, covariance_type=covariance_type, random_state=0)
    marked = emlib.fit_gmm(X, 2, covariance_type=covariance_type, random_state=0, missing="em")
    assert np.array_equal(plain.params.means, marked.params.means)
    assert np.array_equal(plain.params.covariances, marked.params.covariances)
    assert np.array_equal(plain.log_likelihoods, marked.log_likelihoods)
    assert isinstance(marked.model, MissingGaussianMixtureModel)


PARAMS_2D = emlib.GMMParams(
    [0.5, 0.3, 0.2],
    [[0.0, 0.0], [2.0, -1.0], [-1.5, 2.5]],
    [[[1.0, 0.6], [0.6, 2.0]], [[0.5, -0.2], [-0.2, 0.8]], [[1.5, 0.0], [0.0, 0.4]]],
)


def _brute_force(row, params):
    """Per component: the marginal density of the observed entry, E[x_m] and E[x_m²], by quad over the missing one."""
    missing = int(np.flatnonzero(np.isnan(row))[0])
    value = row[1 - missing]
    densities, first, second = [], [], []
    for mean, covariance in zip(params.means, params.covariances):
        joint = stats.multivariate_normal(mean, covariance)

        def at(t, value=value, joint=joint):
            point = np.empty(2)
            point[missing], point[1 - missing] = t, value
            return joint.pdf(point)

        mass = integrate.quad(at, -np.inf, np.inf, epsabs=0, epsrel=1e-12)[0]
        densities.append(mass)
        first.append(integrate.quad(lambda t: t * at(t), -np.inf, np.inf, epsabs=0, epsrel=1e-12)[0] / mass)
        second.append(integrate.quad(lambda t: t * t * at(t), -np.inf, np.inf, epsabs=0, epsrel=1e-12)[0] / mass)
    return missing, np.array(densities), np.array(first), np.array(second)


def test_e_step_equals_brute_force_marginalisation():
    # book eqs. (missing-observed-likelihood) and (missing-e-step-moments), by numerical integration
    X = np.array([[0.3, np.nan], [np.nan, -0.7], [1.8, np.nan], [np.nan, 2.2], [0.5, 0.5], [-1.0, np.nan]])
    responsibilities = emlib.e_step(X, PARAMS_2D, missing="em")
    moments = conditional_moments(X, PARAMS_2D)
    total = 0.0
    for n, row in enumerate(X):
        if not np.any(np.isnan(row)):
            joint = np.array(
                [stats.multivariate_normal(m, c).pdf(row) for m, c in zip(PARAMS_2D.means, PARAMS_2D.covariances)]
            )
            np.testing.assert_allclose(
                responsibilities[n], PARAMS_2D.weights * joint / (PARAMS_2D.weights @ joint), rtol=1e-12
            )
            total += np.log(PARAMS_2D.weights @ joint)
            assert np.all(moments.covariances[n] == 0)
            continue
        missing, densities, first, second = _brute_force(row, PARAMS_2D)
        weighted = PARAMS_2D.weights * densities
        np.testing.assert_allclose(responsibilities[n], weighted / weighted.sum(), rtol=1e-9)
        np.testing.assert_allclose(moments.means[n, :, missing], first, rtol=1e-9, atol=1e-10)
        second_moment = moments.covariances[n, :, missing, missing] + moments.means[n, :, missing] ** 2
        np.testing.assert_allclose(second_moment, second, rtol=1e-9)
        np.testing.assert_array_equal(moments.means[n, :, 1 - missing], row[1 - missing])
        assert np.all(moments.covariances[n, :, 1 - missing, :] == 0)
        total += np.log(weighted.sum())
    ours = emlib.log_likelihood(X, PARAMS_2D, missing="em")
    assert abs(ours - total) <= 1e-10 * abs(total)


def test_conditional_moments_in_three_dimensions_equal_the_regression_formula():
    # book eq. (missing-e-step-moments) with an explicit inverse, several patterns
    params = emlib.GMMParams(
        [0.6, 0.4],
        [[0.0, 1.0, -1.0], [2.0, 0.0, 1.0]],
        [[[2.0, 0.5, 0.3], [0.5, 1.0, 0.2], [0.3, 0.2, 1.5]], [[1.0, -0.3, 0.1], [-0.3, 0.7, 0.0], [0.1, 0.0, 0.9]]],
    )
    X = np.array(
        [[0.5, np.nan, np.nan], [np.nan, 0.2, -0.4], [1.0, 2.0, np.nan], [np.nan, np.nan, 3.0], [0.1, 0.2, 0.3]]
    )
    moments = conditional_moments(X, params)
    for n, row in enumerate(X):
        o, m = ~np.isnan(row), np.isnan(row)
        for k in range(2):
            mu, sigma = params.means[k], params.covariances[k]
            gain = sigma[np.ix_(m, o)] @ np.linalg.inv(sigma[np.ix_(o, o)])
            np.testing.assert_allclose(moments.means[n, k, m], mu[m] + gain @ (row[o] - mu[o]), rtol=1e-12, atol=1e-12)
            conditional = sigma[np.ix_(m, m)] - gain @ sigma[np.ix_(o, m)]
            np.testing.assert_allclose(moments.covariances[n, k][np.ix_(m, m)], conditional, rtol=1e-12, atol=1e-13)


def test_apple_trees_equal_andersons_factored_likelihood():
    # Anderson (1957): size is complete, worms is missing for a monotone subset; the MLE factors
    X = emlib.datasets.apple_trees()
    assert X.shape == (18, 2) and np.isnan(X).sum() == 6
    fit = emlib.fit_gmm(X, 1, missing="em", reg_covar=0, tol=1e-12)
    # EM's map, iterated to its fixed point (the log-likelihood is too flat there to stop on it)
    model = MissingGaussianMixtureModel(reg_covar=0.0)
    data, weights, params = model.check_data(X), np.ones(len(X)), fit.params
    for _ in range(200):
        params = model.maximization(data, weights, model.expectation(data, weights, params).statistics, params)
    size, worms = X[:, 0], X[:, 1]
    complete = ~np.isnan(worms)
    size_mean, size_variance = size.mean(), size.var()
    slope, intercept = np.polyfit(size[complete], worms[complete], 1)
    residual = np.mean((worms[complete] - intercept - slope * size[complete]) ** 2)
    worms_mean = intercept + slope * size_mean
    covariance = slope * size_variance
    worms_variance = residual + slope**2 * size_variance
    anderson = np.array([[size_variance, covariance], [covariance, worms_variance]])
    np.testing.assert_allclose(params.means[0], [size_mean, worms_mean], rtol=1e-12)
    np.testing.assert_allclose(params.covariances[0], anderson, rtol=1e-12)
    np.testing.assert_allclose(fit.params.means[0], [size_mean, worms_mean], rtol=1e-5)
    np.testing.assert_allclose(fit.params.covariances[0], anderson, rtol=1e-5)
    best = _observed_log_likelihood_rowwise(X, np.array([size_mean, worms_mean]), anderson)
    assert abs(fit.log_likelihoods[-1] - best) <= 1e-8 * abs(best)


def _transformed(X, scale, permutation, shift):
    return (X * scale)[:, permutation] + shift


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_fit_is_equivariant_under_diagonal_maps_and_permutations(covariance_type):
    # x -> A x + b with A = P·diag(s): the fit of the mapped data (NaN in the same places) is the mapped fit
    X = _mixture_with_missing(seed=7)
    scale = np.array([3.0, -0.5, 7.0]) if covariance_type != "spherical" else np.full(3, -2.5)
    permutation, shift = np.array([2, 0, 1]), np.array([10.0, -4.0, 1.0])
    fit = emlib.fit_gmm(X, 2, missing="em", covariance_type=covariance_type, random_state=3, tol=1e-10)
    mapped = emlib.fit_gmm(
        _transformed(X, scale, permutation, shift),
        2,
        missing="em",
        covariance_type=covariance_type,
        random_state=3,
        tol=1e-10,
    )
    A = np.diag(scale)[permutation]
    np.testing.assert_allclose(mapped.params.weights, fit.params.weights, rtol=1e-8)
    np.testing.assert_allclose(mapped.params.means, fit.params.means @ A.T + shift, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(mapped.params.covariances, A @ fit.params.covariances @ A.T, rtol=1e-7, atol=1e-7)
    observed = ~np.isnan(X)
    # each observed entry's density picks up 1/|s_d|: the log-likelihood shifts by −Σ_n Σ_{d observed} log|s_d|
    offset = -np.sum(observed * np.log(np.abs(scale)))
    np.testing.assert_allclose(mapped.log_likelihoods[-1], fit.log_likelihoods[-1] + offset, rtol=1e-9)


def test_weights_count_copies_of_rows_missing_entries_included():
    X = _mixture_with_missing(seed=11, n=60)
    counts = np.random.default_rng(0).integers(0, 4, len(X))
    start = emlib.GMMParams([0.5, 0.5], [[0.0, 0.0, 0.0], [4.0, 3.0, -2.0]], np.stack([np.eye(3)] * 2))
    weighted = emlib.fit_gmm(X, 2, missing="em", sample_weight=counts, init=start, tol=1e-12)
    repeated = emlib.fit_gmm(np.repeat(X, counts, axis=0), 2, missing="em", init=start, tol=1e-12)
    np.testing.assert_allclose(weighted.params.means, repeated.params.means, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(weighted.params.covariances, repeated.params.covariances, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(weighted.log_likelihoods[-1], repeated.log_likelihoods[-1], rtol=1e-10)
    # rows of weight zero take no part, and get the responsibilities the E-step gives them
    np.testing.assert_allclose(
        weighted.posterior, emlib.e_step(X, weighted.params, missing="em"), rtol=1e-10, atol=1e-14
    )
    assert np.isclose(
        emlib.log_likelihood(X, weighted.params, sample_weight=counts, missing="em"),
        emlib.log_likelihood(np.repeat(X, counts, axis=0), weighted.params, missing="em"),
        rtol=1e-12,
    )


@pytest.mark.parametrize("method", ["squarem", "ecg", "hybrid"])
def test_accelerated_drivers_reach_ems_optimum(method):
    X = _mixture_with_missing(seed=13)
    start = emlib.GMMParams([0.5, 0.5], [[0.5, 0.5, 0.5], [3.0, 2.0, -1.0]], np.stack([np.eye(3)] * 2))
    em = emlib.fit_gmm(X, 2, missing="em", init=start, tol=1e-12, max_iter=5000)
    fast = emlib.fit_gmm(X, 2, missing="em", init=start, tol=1e-12, max_iter=5000, method=method)
    assert abs(fast.objectives[-1] - em.objectives[-1]) <= 1e-8 * abs(em.objectives[-1])
    np.testing.assert_allclose(fast.params.means, em.params.means, atol=1e-4)


def test_hard_em_runs_and_never_lowers_the_classification_objective():
    X = _mixture_with_missing(seed=17)
    fit = emlib.fit_gmm(X, 2, missing="em", method="hard", random_state=0)
    assert fit.converged
    assert np.all(np.diff(fit.objectives) >= -1e-10 * abs(fit.objectives[-1]))
    assert set(np.unique(fit.posterior)) <= {0.0, 1.0}


def test_score_is_the_gradient_of_the_observed_log_likelihood():
    # Fisher's identity: the model's score equals finite differences of log_likelihood(missing="em")
    X = _mixture_with_missing(seed=19, n=40)
    params = emlib.GMMParams(
        [0.45, 0.55],
        [[0.2, 0.1, 0.0], [3.5, 2.5, -1.5]],
        [[[1.2, 0.3, 0.1], [0.3, 1.1, 0.2], [0.1, 0.2, 0.9]], [[0.9, -0.2, 0.05], [-0.2, 0.7, 0.1], [0.05, 0.1, 0.5]]],
    )
    model = MissingGaussianMixtureModel(reg_covar=0.0)
    data = model.check_data(X)
    score = model.score(data, np.ones(len(X)), params)
    vector = model.flatten(params)
    rng = np.random.default_rng(0)
    for _ in range(5):
        direction = rng.normal(size=vector.size)
        covariances = direction[2 + 6 :].reshape(2, 3, 3)
        direction[2 + 6 :] = (0.5 * (covariances + np.swapaxes(covariances, 1, 2))).ravel()
        h = 1e-6

        def along(t, direction=direction):
            return emlib.log_likelihood(X, model.unflatten(vector + t * direction, params), missing="em")

        slope = (along(h) - along(-h)) / (2 * h)
        assert abs(score @ direction - slope) <= 1e-5 * max(1.0, abs(slope))


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_m_step_equals_the_expected_sufficient_statistics_formula(covariance_type):
    # book eq. (missing-m-step), with the conditional moments computed by explicit inverses here
    X = _mixture_with_missing(seed=23, n=30)
    params = emlib.GMMParams(
        [0.5, 0.5],
        [[0.0, 0.0, 0.0], [4.0, 3.0, -2.0]],
        [[[1.0, 0.4, 0.1], [0.4, 1.2, 0.2], [0.1, 0.2, 0.8]], [[0.8, -0.3, 0.0], [-0.3, 0.9, 0.1], [0.0, 0.1, 0.6]]],
    )
    model = MissingGaussianMixtureModel(covariance_type, reg_covar=0.0)
    data = model.check_data(X)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    estep = model.expectation(data, weights, params)
    updated = model.maximization(data, weights, estep.statistics, params)
    gamma = emlib.e_step(X, params, missing="em")
    r = gamma * weights[:, np.newaxis]
    n_k = r.sum(axis=0)
    scatters, means = [], []
    for k in range(2):
        mu, sigma = params.means[k], params.covariances[k]
        completed = np.empty_like(X)
        extra = np.zeros((len(X), 3, 3))
        for n, row in enumerate(X):
            o, m = ~np.isnan(row), np.isnan(row)
            completed[n] = row
            if m.any():
                gain = sigma[np.ix_(m, o)] @ np.linalg.inv(sigma[np.ix_(o, o)])
                completed[n, m] = mu[m] + gain @ (row[o] - mu[o])
                extra[n][np.ix_(m, m)] = sigma[np.ix_(m, m)] - gain @ sigma[np.ix_(o, m)]
        mean = r[:, k] @ completed / n_k[k]
        deviations = completed - mean
        scatters.append(
            np.einsum("n,ni,nj->ij", r[:, k], deviations, deviations) + np.einsum("n,nij->ij", r[:, k], extra)
        )
        means.append(mean)
    expected = {
        "full": [s / c for s, c in zip(scatters, n_k)],
        "diag": [np.diag(np.diag(s)) / c for s, c in zip(scatters, n_k)],
        "spherical": [np.trace(s) / (3 * c) * np.eye(3) for s, c in zip(scatters, n_k)],
        "tied": [sum(scatters) / weights.sum()] * 2,
    }[covariance_type]
    np.testing.assert_allclose(updated.weights, n_k / weights.sum(), rtol=1e-12)
    np.testing.assert_allclose(updated.means, means, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(updated.covariances, expected, rtol=1e-11, atol=1e-12)


def test_diagonal_conditional_moments_are_the_component_moments():
    # for a diagonal Σ_k the missing entries are independent of the observed ones: mean μ_km, variance σ²_km
    params = emlib.GMMParams(
        [0.3, 0.7], [[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]], [np.diag([1.0, 2.0, 3.0]), np.diag([0.5, 0.6, 0.7])]
    )
    X = np.array([[np.nan, 5.0, np.nan], [0.0, np.nan, 1.0]])
    moments = conditional_moments(X, params)
    np.testing.assert_allclose(moments.means[0, :, 0], params.means[:, 0], rtol=0, atol=0)
    np.testing.assert_allclose(moments.means[1, :, 1], params.means[:, 1], rtol=0, atol=0)
    np.testing.assert_allclose(moments.covariances[0, :, 2, 2], params.covariances[:, 2, 2], rtol=1e-15)
    np.testing.assert_allclose(moments.covariances[0, :, 0, 2], 0.0, atol=0)


def test_estimator_agrees_with_the_functions():
    X = _mixture_with_missing(seed=29)
    estimator = emlib.GaussianMixture(2, missing="em", random_state=0).fit(X)
    params = estimator.fit_result_.params
    np.testing.assert_allclose(estimator.score(X) * len(X), emlib.log_likelihood(X, params, missing="em"), rtol=1e-12)
    np.testing.assert_allclose(estimator.predict_proba(X), emlib.e_step(X, params, missing="em"), rtol=1e-12)
    np.testing.assert_array_equal(estimator.predict(X), np.argmax(emlib.e_step(X, params, missing="em"), axis=1))
    samples = estimator.score_samples(X)
    rowwise = [
        np.log(
            sum(
                w
                * stats.multivariate_normal(m[~np.isnan(x)], c[np.ix_(~np.isnan(x), ~np.isnan(x))]).pdf(x[~np.isnan(x)])
                for w, m, c in zip(params.weights, params.means, params.covariances)
            )
        )
        for x in X
    ]
    np.testing.assert_allclose(samples, rowwise, rtol=1e-10)
    assert np.isfinite(estimator.bic(X))
    with pytest.raises(ValueError, match="missing='em'"):
        emlib.GaussianMixture(2, random_state=0).fit(X)


def test_callback_verbose_n_init_and_degenerate_components_keep_working(capsys):
    X = _mixture_with_missing(seed=31)
    seen = []
    fit = emlib.fit_gmm(
        X, 3, missing="em", n_init=2, random_state=0, verbose=True, callback=lambda *args: seen.append(args[0])
    )
    assert seen[0] == 0 and len(seen) >= fit.n_iter + 1
    assert "run 2/2" in capsys.readouterr().out
    # a duplicated cluster of identical rows collapses under the default prior: flagged, finite
    Y = np.vstack([X, np.tile([[9.0, 9.0, 9.0]], (3, 1))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = emlib.fit_gmm(Y, 3, missing="em", random_state=0)
    assert np.all(np.isfinite(fit.params.covariances))


def test_bad_missing_input_gets_a_clear_error():
    X = _mixture_with_missing(seed=37, n=20)
    with pytest.raises(ValueError, match=r"X contains NaN.*missing='em'"):
        emlib.fit_gmm(X, 2)
    with pytest.raises(ValueError, match="missing must be one of"):
        emlib.fit_gmm(X, 2, missing="drop")
    all_missing_row = X.copy()
    all_missing_row[4] = np.nan
    with pytest.raises(ValueError, match=r"every entry missing.*rows 4.*drop"):
        emlib.fit_gmm(all_missing_row, 2, missing="em")
    with pytest.raises(ValueError, match=r"rows 4"):
        emlib.log_likelihood(all_missing_row, PARAMS_3D, missing="em")
    all_missing_column = np.where(np.isnan(X), 1.0, X)
    all_missing_column[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"column 1 of X has every entry missing"):
        emlib.fit_gmm(all_missing_column, 2, missing="em")
    infinite = X.copy()
    infinite[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"X contains infinite values.*only NaN"):
        emlib.fit_gmm(infinite, 2, missing="em")
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        emlib.fit_gmm(X, 2, missing="em", sample_weight=np.r_[np.nan, np.ones(len(X) - 1)])
    with pytest.raises(ValueError, match="prior.*not available with missing"):
        emlib.fit_gmm(X, 2, missing="em", prior="default")


PARAMS_3D = emlib.GMMParams([0.5, 0.5], [[0.0, 0.0, 0.0], [4.0, 3.0, -2.0]], np.stack([np.eye(3)] * 2))


def test_estimator_with_missing_em_passes_scikit_learns_checks():
    # the tag allow_nan is then True (scikit-learn no longer demands that NaN be refused); every other check holds
    from sklearn.exceptions import SkipTestWarning
    from sklearn.utils import get_tags
    from sklearn.utils.estimator_checks import check_estimator

    estimator = emlib.GaussianMixture(missing="em")
    assert get_tags(estimator).input_tags.allow_nan and not get_tags(emlib.GaussianMixture()).input_tags.allow_nan
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*does not inherit from", category=UserWarning)
        warnings.filterwarnings("ignore", category=emlib.DegenerateFitWarning)
        warnings.filterwarnings("ignore", category=SkipTestWarning)
        check_estimator(estimator)
