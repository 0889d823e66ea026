"""emlib.information: the observed information by Louis' identity (Louis 1982), and standard errors.

Every check compares with an independent computation: finite differences of scipy's log-densities
or of emlib.gradient's analytic score (itself checked against differences of the log-likelihood
in tests/test_gradient.py), the Gaussian's textbook information, and a parametric bootstrap.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import emlib
from emlib import gradient, information
from emlib.gaussian_mixture import n_parameters

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


# --------------------------------------------------------------------------
# the free coordinates, written out here independently of emlib.information
# --------------------------------------------------------------------------
def raw_from_free(theta, k, d, covariance_type):
    """(weights, means, covariances) from (π_1..π_{K−1}, means, covariance coordinates); no validation."""
    theta = np.asarray(theta, dtype=float)
    weights = np.append(theta[: k - 1], 1.0 - theta[: k - 1].sum())
    means = theta[k - 1 : k - 1 + k * d].reshape(k, d)
    rest = theta[k - 1 + k * d :]
    if covariance_type in ("full", "tied"):
        rows, columns = np.tril_indices(d)
        blocks = rest.reshape(-1, rows.size)
        matrices = np.zeros((blocks.shape[0], d, d))
        matrices[:, rows, columns] = blocks
        matrices[:, columns, rows] = blocks
        covariances = np.repeat(matrices, k, axis=0) if covariance_type == "tied" else matrices
    elif covariance_type == "diag":
        covariances = np.stack([np.diag(row) for row in rest.reshape(k, d)])
    else:
        covariances = rest[:, np.newaxis, np.newaxis] * np.eye(d)
    return weights, means, covariances


def params_from_free(theta, k, d, covariance_type):
    return emlib.GMMParams(*raw_from_free(theta, k, d, covariance_type))


def raw_jacobian(k, d, covariance_type):
    """∂(π, μ, vec Σ)/∂θ: the raw coordinates are affine in θ, so the columns are exact differences."""
    p = n_parameters(k, d, covariance_type)

    def flat(theta):
        return np.concatenate([part.ravel() for part in raw_from_free(theta, k, d, covariance_type)])

    origin = flat(np.zeros(p))
    return np.stack([flat(np.eye(p)[i]) - origin for i in range(p)], axis=1)


def coordinate_scales(params, jacobian):
    """The natural size of each free coordinate: π_k, a standard deviation, or sqrt(Σ_aa Σ_bb)."""
    variances = np.diagonal(params.covariances, axis1=1, axis2=2)
    raw = np.concatenate(
        [params.weights, np.sqrt(variances).ravel(), np.sqrt(variances[:, :, None] * variances[:, None, :]).ravel()]
    )
    return np.array([raw[np.flatnonzero(jacobian[:, i])[0]] for i in range(jacobian.shape[1])])


def central_differences(function, theta, steps):
    columns = []
    for i, h in enumerate(steps):
        step = np.zeros_like(theta)
        step[i] = h
        columns.append((function(theta + step) - function(theta - step)) / (2.0 * h))
    return np.stack(columns, axis=-1)


def second_differences(function, theta, steps):
    """Hessian of a scalar function by the four-point formula (the diagonal by the three-point one)."""
    p = theta.size
    hessian = np.empty((p, p))
    centre = function(theta)
    for i, j in itertools.combinations_with_replacement(range(p), 2):
        ei, ej = np.eye(p)[i] * steps[i], np.eye(p)[j] * steps[j]
        if i == j:
            value = (function(theta + ei) - 2.0 * centre + function(theta - ei)) / steps[i] ** 2
        else:
            value = (
                function(theta + ei + ej)
                - function(theta + ei - ej)
                - function(theta - ei + ej)
                + function(theta - ei - ej)
            ) / (4.0 * steps[i] * steps[j])
        hessian[i, j] = hessian[j, i] = value
    return hessian


def scipy_log_likelihood(X, theta, k, d, covariance_type, sample_weight=None):
    """ℓ(θ) = Σ_n w_n log Σ_k π_k N(x_n | μ_k, Σ_k) from scipy alone (book eq. (gmm-log-likelihood))."""
    weights, means, covariances = raw_from_free(theta, k, d, covariance_type)
    joint = np.column_stack(
        [np.log(weights[j]) + multivariate_normal(means[j], covariances[j]).logpdf(X).reshape(-1) for j in range(k)]
    )
    rows = logsumexp(joint, axis=1)
    return float(rows.sum() if sample_weight is None else sample_weight @ rows)


def hessian_from_gradient(params, X, covariance_type, sample_weight=None, step=1e-5):
    """−∇²ℓ in the free coordinates: central differences of emlib.gradient's analytic score, by the chain rule."""
    k, d = params.n_components, params.n_features
    jacobian = raw_jacobian(k, d, covariance_type)

    def score(theta):
        g = gradient.log_likelihood_gradient(
            X, params_from_free(theta, k, d, covariance_type), sample_weight=sample_weight
        )
        return jacobian.T @ np.concatenate([g.weights, g.means.ravel(), g.covariances.ravel()])

    theta = information.free_coordinates(params, covariance_type)
    hessian = central_differences(score, theta, step * coordinate_scales(params, jacobian))
    return -0.5 * (hessian + hessian.T)


def assert_information_close(actual, expected, tolerance):
    """Agreement relative to the geometric mean of the two coordinates' diagonal entries (unit-free)."""
    scale = np.sqrt(np.abs(np.diagonal(expected)))
    unit = np.outer(scale, scale)
    np.testing.assert_allclose(actual / unit, expected / unit, rtol=tolerance, atol=tolerance)


#: A start far from the Old Faithful fit, with each type's structure.
START_COVARIANCES = {
    "full": [[[0.5, 2.0], [2.0, 60.0]], [[0.8, -1.0], [-1.0, 90.0]]],
    "tied": [[[0.5, 2.0], [2.0, 60.0]]] * 2,
    "diag": [np.diag([0.5, 60.0]), np.diag([0.8, 90.0])],
    "spherical": [30.0 * np.eye(2), 50.0 * np.eye(2)],
}


def faithful_fit(faithful, covariance_type):
    return emlib.fit_gmm(faithful, 2, covariance_type=covariance_type, random_state=0, tol=1e-10)


def structured_params(h, rng, k, d, covariance_type):
    return emlib.GMMParams(
        h.random_weights(rng, k), 2.0 * rng.standard_normal((k, d)), h.random_covariances(rng, k, d, covariance_type)
    )


# --------------------------------------------------------------------------
# coordinates and names
# --------------------------------------------------------------------------
@settings(max_examples=30)
@given(
    k=st.integers(1, 4),
    d=st.integers(1, 4),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    seed=st.integers(0, 2**16),
)
def test_free_coordinates_and_names_follow_n_parameters(h, k, d, covariance_type, seed):
    params = structured_params(h, np.random.default_rng(seed), k, d, covariance_type)
    theta = information.free_coordinates(params, covariance_type)
    names = information.parameter_names(k, d, covariance_type)
    assert theta.shape == (n_parameters(k, d, covariance_type),) and len(names) == theta.size
    assert len(set(names)) == len(names)
    # the layout written out in this file (raw_from_free) is the one emlib.information uses
    weights, means, covariances = raw_from_free(theta, k, d, covariance_type)
    np.testing.assert_allclose(weights, params.weights, rtol=1e-14)
    np.testing.assert_array_equal(means, params.means)
    np.testing.assert_allclose(covariances, params.covariances, rtol=1e-14, atol=0)


def test_names_read_like_the_coordinates():
    assert information.parameter_names(2, 2, "full") == (
        "pi[0]",
        "mu[0,0]",
        "mu[0,1]",
        "mu[1,0]",
        "mu[1,1]",
        "Sigma[0][0,0]",
        "Sigma[0][1,0]",
        "Sigma[0][1,1]",
        "Sigma[1][0,0]",
        "Sigma[1][1,0]",
        "Sigma[1][1,1]",
    )
    assert information.parameter_names(2, 2, "tied")[-3:] == ("Sigma[0,0]", "Sigma[1,0]", "Sigma[1,1]")
    assert information.parameter_names(2, 2, "diag")[-2:] == ("Sigma[1][0,0]", "Sigma[1][1,1]")
    assert information.parameter_names(3, 2, "spherical")[-3:] == ("sigma2[0]", "sigma2[1]", "sigma2[2]")


# --------------------------------------------------------------------------
# the complete-data score and Hessian of one component
# --------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_component_score_and_hessian_match_differences_of_scipy_logpdf(h, covariance_type):
    # s_k and h_k of log π_k + log N(x | μ_k, Σ_k) (book eq. (em-gradient-gradient), one row, one component)
    rng = np.random.default_rng(11)
    k, d = 2, 3
    params = structured_params(h, rng, k, d, covariance_type)
    theta = information.free_coordinates(params, covariance_type)
    scales = coordinate_scales(params, raw_jacobian(k, d, covariance_type))
    X = params.means[1] + rng.standard_normal((2, d)) * 1.5
    for component in range(k):

        def complete(point, x, component=component):
            weights, means, covariances = raw_from_free(point, k, d, covariance_type)
            return np.log(weights[component]) + multivariate_normal.logpdf(x, means[component], covariances[component])

        scores = information.complete_data_score(params, X, covariance_type, component)
        assert scores.shape == (X.shape[0], theta.size)
        for n, x in enumerate(X):
            numeric_score = central_differences(lambda point, x=x: complete(point, x), theta, 1e-6 * scales)
            np.testing.assert_allclose(scores[n], numeric_score, rtol=1e-6, atol=1e-7 * np.max(np.abs(numeric_score)))
            hessian = information.complete_data_hessian(params, x[np.newaxis], covariance_type, component)
            numeric = second_differences(lambda point, x=x: complete(point, x), theta, 1e-4 * scales)
            unit = np.outer(scales, scales)  # in units of each coordinate's scale
            np.testing.assert_allclose(
                hessian * unit, numeric * unit, rtol=1e-5, atol=1e-5 * np.max(np.abs(numeric * unit))
            )


def test_component_hessian_is_a_weighted_sum_over_rows(h):
    rng = np.random.default_rng(12)
    params = structured_params(h, rng, 2, 2, "full")
    X = rng.standard_normal((5, 2))
    w = rng.uniform(0.0, 2.0, size=5)
    summed = sum(w[n] * information.complete_data_hessian(params, X[n : n + 1], "full", 1) for n in range(5))
    np.testing.assert_allclose(
        information.complete_data_hessian(params, X, "full", 1, sample_weight=w), summed, rtol=1e-12
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_posterior_mean_score_is_the_gradient_fisher_identity(faithful, covariance_type):
    # book eq. (em-gradient-fisher): Σ_n Σ_k γ_nk s_k(x_n) = ∇ℓ, here against emlib.gradient (any θ)
    params = emlib.GMMParams([0.4, 0.6], [[2.5, 60.0], [4.0, 75.0]], START_COVARIANCES[covariance_type])
    gamma = emlib.e_step(faithful, params)
    posterior_mean = sum(
        gamma[:, [k]] * information.complete_data_score(params, faithful, covariance_type, k) for k in range(2)
    ).sum(axis=0)
    g = gradient.log_likelihood_gradient(faithful, params)
    expected = raw_jacobian(2, 2, covariance_type).T @ np.concatenate(
        [g.weights, g.means.ravel(), g.covariances.ravel()]
    )
    np.testing.assert_allclose(posterior_mean, expected, rtol=1e-9, atol=1e-9 * np.max(np.abs(expected)))


# --------------------------------------------------------------------------
# I_obs = −∇²ℓ, at the fit and anywhere else
# --------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_information_is_minus_the_hessian_of_scipy_log_likelihood_on_old_faithful(faithful, covariance_type):
    # Louis (1982) eq. 3.1 against second differences of ℓ computed by scipy alone, at the K = 2 fit
    params = faithful_fit(faithful, covariance_type).params
    theta = information.free_coordinates(params, covariance_type)
    steps = 3e-4 * coordinate_scales(params, raw_jacobian(2, 2, covariance_type))
    numeric = -second_differences(
        lambda point: scipy_log_likelihood(faithful, point, 2, 2, covariance_type), theta, steps
    )
    assert_information_close(information.observed_information(params, faithful, covariance_type), numeric, 1e-5)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("at", ["fit", "start"])
def test_information_is_minus_the_hessian_on_old_faithful(faithful, covariance_type, at):
    # at the fit and at a start far from it: Louis' identity holds at every θ
    if at == "fit":
        params = faithful_fit(faithful, covariance_type).params
    else:
        params = emlib.GMMParams([0.6, 0.4], [[2.5, 60.0], [4.0, 75.0]], START_COVARIANCES[covariance_type])
    louis = information.observed_information(params, faithful, covariance_type)
    assert_information_close(louis, hessian_from_gradient(params, faithful, covariance_type), 1e-5)
    if covariance_type == "full":  # and emlib.gradient's own differences, in the same coordinates
        assert_information_close(louis, gradient.observed_information(faithful, params), 1e-5)


@settings(max_examples=25)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 3),
    d=st.integers(1, 3),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    weighted=st.booleans(),
)
def test_information_is_minus_the_hessian_at_random_points(h, seed, k, d, covariance_type, weighted):
    rng = np.random.default_rng(seed)
    truth = structured_params(h, rng, k, d, covariance_type)
    X, _ = h.sample(truth, 40, rng)
    params = structured_params(h, rng, k, d, covariance_type)  # an arbitrary θ, not the MLE
    w = rng.uniform(0.0, 3.0, size=X.shape[0]) if weighted else None
    louis = information.observed_information(params, X, covariance_type, sample_weight=w)
    np.testing.assert_allclose(louis, louis.T, rtol=0, atol=1e-12 * np.max(np.abs(louis)))
    assert_information_close(louis, hessian_from_gradient(params, X, covariance_type, sample_weight=w), 1e-5)


def test_integer_weights_are_repeated_rows(h):
    # book eq. (soft-em-sample-weights): w_n = 3 is the row three times
    rng = np.random.default_rng(13)
    params = structured_params(h, rng, 2, 2, "full")
    X = rng.standard_normal((30, 2)) * 2.0
    w = rng.integers(0, 4, size=30)
    repeated = np.repeat(X, w, axis=0)
    np.testing.assert_allclose(
        information.observed_information(params, X, "full", sample_weight=w),
        information.observed_information(params, repeated, "full"),
        rtol=1e-10,
        atol=1e-10,
    )


# --------------------------------------------------------------------------
# standard errors
# --------------------------------------------------------------------------
def gaussian_mle(X, covariance_type):
    mean = X.mean(axis=0)
    scatter = (X - mean).T @ (X - mean) / X.shape[0]
    if covariance_type == "diag":
        scatter = np.diag(np.diag(scatter))
    elif covariance_type == "spherical":
        scatter = np.mean(np.diag(scatter)) * np.eye(X.shape[1])
    return emlib.GMMParams([1.0], mean[np.newaxis], scatter[np.newaxis])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_component_gives_the_gaussian_standard_errors(covariance_type):
    # K = 1 at the MLE: SE(μ_d) = sqrt(σ_dd / n), SE(Σ_ab) = sqrt((σ_aa σ_bb + σ_ab²) / n) (Wishart),
    # SE(σ²) = sqrt(2 σ⁴ / (n D)) for a spherical covariance
    rng = np.random.default_rng(14)
    n, d = 150, 3
    X = rng.standard_normal((n, d)) @ np.array([[1.0, 0.0, 0.0], [0.6, 2.0, 0.0], [-0.3, 0.4, 0.5]]).T + 5.0
    params = gaussian_mle(X, covariance_type)
    se = information.standard_errors(params, X, covariance_type)
    sigma = params.covariances[0]
    variances = np.diag(sigma)
    np.testing.assert_allclose(se.weights, [0.0], atol=0)
    np.testing.assert_allclose(se.means[0], np.sqrt(variances / n), rtol=1e-10)
    if covariance_type in ("full", "tied"):
        expected = np.sqrt((np.outer(variances, variances) + sigma**2) / n)
    elif covariance_type == "diag":
        expected = np.diag(np.sqrt(2.0 * variances**2 / n))
    else:
        expected = np.sqrt(2.0 * variances[0] ** 2 / (n * d)) * np.eye(d)
    np.testing.assert_allclose(se.covariances[0], expected, rtol=1e-10, atol=1e-15)
    assert se.covariance.shape == (n_parameters(1, d, covariance_type),) * 2


def test_one_dimension_one_component():
    # the textbook case: SE(x̄) = σ̂/√n, SE(σ̂²) = σ̂² √(2/n)
    x = np.random.default_rng(15).normal(3.0, 2.0, size=(400, 1))
    params = gaussian_mle(x, "full")
    se = information.standard_errors(params, x, "full")
    variance = params.covariances[0, 0, 0]
    assert se.means[0, 0] == pytest.approx(np.sqrt(variance / 400), rel=1e-12)
    assert se.covariances[0, 0, 0] == pytest.approx(variance * np.sqrt(2 / 400), rel=1e-12)


def test_standard_errors_are_the_inverse_information(faithful):
    params = faithful_fit(faithful, "full").params
    se = information.standard_errors(params, faithful, "full")
    np.testing.assert_allclose(se.covariance @ se.information, np.eye(11), atol=1e-9)
    np.testing.assert_allclose(se.errors, np.sqrt(np.diag(np.linalg.inv(se.information))), rtol=1e-10)
    assert se.weights[0] == pytest.approx(se.weights[1], rel=1e-12)  # π_2 = 1 − π_1
    np.testing.assert_array_equal(se.covariances, np.swapaxes(se.covariances, 1, 2))
    np.testing.assert_array_equal(se.estimates, information.free_coordinates(params, "full"))
    assert list(se.names) == list(information.parameter_names(2, 2, "full"))
    assert not se.covariance.flags.writeable and not se.names.flags.writeable
    assert "Sigma[1][1,1]" in se.table() and "StandardErrors(K=2" in repr(se)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical", "tied"])
def test_entries_the_type_fixes_have_zero_error_and_shared_ones_share_it(faithful, covariance_type):
    params = faithful_fit(faithful, covariance_type).params
    se = information.standard_errors(params, faithful, covariance_type)
    if covariance_type == "tied":
        np.testing.assert_array_equal(se.covariances[0], se.covariances[1])
        assert np.all(se.covariances > 0)
    else:
        assert np.all(se.covariances[:, 0, 1] == 0) and np.all(se.covariances[:, 1, 0] == 0)
        if covariance_type == "spherical":
            np.testing.assert_array_equal(se.covariances[:, 0, 0], se.covariances[:, 1, 1])


def test_standard_errors_scale_with_the_data(faithful):
    # x ↦ c x scales the means' SEs by c and the covariances' by c² (the weights' are unchanged)
    params = faithful_fit(faithful, "full").params
    c = 3.7
    scaled = emlib.GMMParams(params.weights, c * params.means, c * c * params.covariances)
    se, se_scaled = (
        information.standard_errors(params, faithful, "full"),
        information.standard_errors(scaled, c * faithful, "full"),
    )
    np.testing.assert_allclose(se_scaled.weights, se.weights, rtol=1e-8)
    np.testing.assert_allclose(se_scaled.means, c * se.means, rtol=1e-8)
    np.testing.assert_allclose(se_scaled.covariances, c * c * se.covariances, rtol=1e-8)


def test_parametric_bootstrap_agrees_with_louis_on_old_faithful(faithful):
    # The Louis SEs are large-sample SDs of the estimator: refits of B samples drawn from the fit
    # must scatter as much. With B = 400 the bootstrap SD of a near-normal estimate has relative
    # standard error 1/sqrt(2(B − 1)) ≈ 3.5%, so ±15% is more than four of those (the 12 SDs come
    # from the same samples). Measured ratios: 0.93–1.03 with this seed, 0.96–1.01 with B = 2000 (the
    # remaining shortfall is the O(1/n) bias of the asymptotic variance at n = 272).
    fit = emlib.fit_gmm(faithful, 2, random_state=0, tol=1e-10)
    se = fit.standard_errors(faithful)
    rng = np.random.default_rng(20240)
    spread = np.sqrt(np.diagonal(fit.params.covariances, axis1=1, axis2=2))
    estimates = []
    for _ in range(400):
        sample, _ = emlib.datasets.sample_gmm(fit.params, faithful.shape[0], rng)
        refit = emlib.fit_gmm(sample, 2, init=fit.params, tol=1e-10).params
        order = min(
            itertools.permutations(range(2)),
            key=lambda o: np.sum(((refit.means[list(o)] - fit.params.means) / spread) ** 2),
        )
        order = list(order)
        aligned = emlib.GMMParams(refit.weights[order], refit.means[order], refit.covariances[order])
        estimates.append(np.append(information.free_coordinates(aligned, "full"), aligned.weights[-1]))
    bootstrap = np.std(estimates, axis=0, ddof=1)
    louis = np.append(se.errors, se.weights[-1])
    np.testing.assert_allclose(bootstrap / louis, 1.0, atol=0.15)


# --------------------------------------------------------------------------
# EMResult.standard_errors, and the prior
# --------------------------------------------------------------------------
def test_fit_standard_errors_use_the_fitted_type(faithful):
    for covariance_type in ("full", "spherical"):
        fit = faithful_fit(faithful, covariance_type)
        se = fit.standard_errors(faithful)
        direct = information.standard_errors(fit.params, faithful, covariance_type)
        np.testing.assert_array_equal(se.covariance, direct.covariance)
        assert se.covariance_type == covariance_type


def log_prior(theta, k, d, covariance_type, prior):
    """−½ Σ_k tr(Ψ Σ_k⁻¹), once for a tied covariance (book eq. (soft-em-data-prior)), by numpy solves."""
    _, _, covariances = raw_from_free(theta, k, d, covariance_type)
    blocks = covariances[:1] if covariance_type == "tied" else covariances
    return -0.5 * sum(np.trace(np.linalg.solve(block, prior)) for block in blocks)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_include_prior_adds_the_exact_curvature_of_the_prior(faithful, covariance_type):
    fit = faithful_fit(faithful, covariance_type)
    prior = fit.model.regulariser(faithful, np.ones(faithful.shape[0])).prior_scale
    with_prior = fit.standard_errors(faithful, include_prior=True).information
    without = fit.standard_errors(faithful).information
    theta = information.free_coordinates(fit.params, covariance_type)
    steps = 1e-3 * coordinate_scales(fit.params, raw_jacobian(2, 2, covariance_type))
    numeric = -second_differences(lambda point: log_prior(point, 2, 2, covariance_type, prior), theta, steps)
    difference = with_prior - without
    np.testing.assert_allclose(difference, numeric, rtol=1e-5, atol=1e-5 * np.max(np.abs(numeric)))
    relative = np.diagonal(difference) / np.diagonal(without)
    assert np.all(relative >= 0) and 0 < np.max(relative) < 1e-3  # there, and tiny


def test_fit_standard_errors_refuse_what_they_cannot_use(faithful):
    fit = faithful_fit(faithful, "full")
    with pytest.raises(ValueError, match="X has 100 rows but the fit saw 272"):
        fit.standard_errors(faithful[:100])
    with pytest.raises(TypeError, match="include_prior must be True or False"):
        fit.standard_errors(faithful, include_prior="yes")
    absolute = emlib.fit_gmm(faithful, 2, random_state=0, reg_covar=1e-6)
    with pytest.raises(ValueError, match="no prior"):
        absolute.standard_errors(faithful, include_prior=True)
    counts = np.random.default_rng(16).binomial(10, 0.3, size=50).astype(float)
    binomial = emlib.fit_em(emlib.BinomialMixture(10), counts, emlib.BinomialMixtureParams([0.5, 0.5], [0.2, 0.6]))
    with pytest.raises(TypeError, match="defined for Gaussian mixtures"):
        binomial.standard_errors(counts)


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
def test_bad_input_is_refused_with_a_clear_message(faithful):
    params = faithful_fit(faithful, "full").params
    with pytest.raises(TypeError, match="params must be an emlib.GMMParams; got an ndarray"):
        information.observed_information(faithful, params, "full")
    with pytest.raises(TypeError, match="params must be an emlib.GMMParams"):
        information.standard_errors({"weights": [1.0]}, faithful, "full")
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        information.observed_information(params, faithful, "banded")
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        information.observed_information(params, faithful[:, 0], "full")
    with pytest.raises(ValueError, match="params has dimension 2 but X has 3 columns"):
        information.observed_information(params, np.ones((5, 3)), "full")
    with pytest.raises(ValueError, match="sample_weight must have one entry per row"):
        information.standard_errors(params, faithful, "full", sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="not diagonal, so params is not a 'diag' mixture"):
        information.observed_information(params, faithful, "diag")
    with pytest.raises(ValueError, match="differs from params.covariances\\[0\\], so params is not a 'tied'"):
        information.standard_errors(params, faithful, "tied")
    diagonal = emlib.GMMParams([0.5, 0.5], params.means, [np.diag([1.0, 2.0]), np.eye(2)])
    with pytest.raises(ValueError, match="unequal variances, so params is not a 'spherical'"):
        information.free_coordinates(diagonal, "spherical")
    empty = emlib.GMMParams([1.0, 0.0], params.means, params.covariances)
    with pytest.raises(ValueError, match="component 1 has weight 0"):
        information.observed_information(empty, faithful, "full")
    with pytest.raises(ValueError, match="component must be in 0..1"):
        information.complete_data_score(params, faithful, "full", 2)
    with pytest.raises(TypeError, match="component must be an integer"):
        information.complete_data_hessian(params, faithful, "full", 0.5)
    with pytest.raises(ValueError, match="covariance_prior must have shape"):
        information.observed_information(params, faithful, "full", covariance_prior=np.eye(3))
    with pytest.raises(ValueError, match="n_features must be >= 1"):
        information.parameter_names(2, 0, "full")


def test_a_saddle_point_is_refused_naming_the_reason(faithful):
    # two identical components at the one-component MLE: EM's fixed point, a saddle of ℓ on these
    # bimodal data (ℓ rises along a split of the components), where the weight does not matter at all
    one = gaussian_mle(faithful, "full")
    saddle = emlib.GMMParams([0.5, 0.5], np.repeat(one.means, 2, axis=0), np.repeat(one.covariances, 2, axis=0))
    louis = information.observed_information(saddle, faithful, "full")
    np.testing.assert_allclose(
        louis, hessian_from_gradient(saddle, faithful, "full"), atol=1e-5 * np.max(np.abs(louis))
    )
    assert np.min(np.linalg.eigvalsh(louis)) < 0  # a saddle, and Louis' matrix says so
    with pytest.raises(ValueError, match="not positive definite: it is indefinite.*saddle point"):
        information.standard_errors(saddle, faithful, "full")


def test_too_few_points_are_refused_naming_the_reason():
    # one row cannot determine a mean and a variance: at μ = x, ℓ curves upwards in σ²
    params = emlib.GMMParams([1.0], [[1.0]], [[[2.0]]])
    with pytest.raises(
        ValueError, match=r"indefinite: ℓ curves upwards along a direction made mostly of Sigma\[0\]\[0,0\]"
    ):
        information.standard_errors(params, [[1.0]], "full")
    with pytest.raises(ValueError, match="X has 1 row of positive weight"):
        information.standard_errors(params, [[1.0], [5.0]], "full", sample_weight=[1.0, 0.0])


def test_a_flat_direction_is_reported_as_singular():
    # two identical unit components on the rows ±1 (whose MLE they are): the weight is irrelevant, so
    # ℓ is exactly flat in π (Louis: complete information 8 = missing information 8 for π_1)
    X = np.array([[-1.0], [1.0]])
    params = emlib.GMMParams([0.5, 0.5], [[0.0], [0.0]], [[[1.0]], [[1.0]]])
    complete = -sum(
        information.complete_data_hessian(params, X, "full", k, sample_weight=emlib.e_step(X, params)[:, k])
        for k in range(2)
    )
    assert complete[0, 0] == pytest.approx(8.0)
    assert abs(information.observed_information(params, X, "full")[0, 0]) < 1e-12
    with pytest.raises(
        ValueError, match=r"it is singular: ℓ is flat, to rounding, along a direction made mostly of pi\[0\]"
    ):
        information.standard_errors(params, X, "full")
