"""EM as a projected gradient method: gradient, projection, EM map, Jacobian, information, rate."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emlib
from emlib import gradient


def random_problem(seed, n=80, d=2, k=2):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 2.0
    X = np.vstack([centre + rng.normal(size=(n // k, d)) for centre in centres])
    factors = rng.normal(size=(k, d, d)) * 0.3
    covariances = factors @ np.swapaxes(factors, 1, 2) + np.eye(d)
    params = emlib.GMMParams(rng.dirichlet(np.ones(k) * 3), centres + rng.normal(size=(k, d)) * 0.5, covariances)
    return X, params


def flat_finite_difference_gradient(X, params, h=1e-6):
    theta = gradient.flatten_params(params)
    shape = (params.n_components, params.n_features)
    columns = []
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        upper = emlib.log_likelihood(X, gradient.unflatten_params(theta + step, *shape))
        lower = emlib.log_likelihood(X, gradient.unflatten_params(theta - step, *shape))
        columns.append((upper - lower) / (2 * h))
    return np.array(columns)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 3), k=st.integers(1, 3))
def test_gradient_matches_finite_differences(seed, d, k):
    # book eq. (em-gradient-gradient), checked along every flat coordinate (symmetric perturbations)
    X, params = random_problem(seed, d=d, k=k)
    analytic = gradient.flatten_gradient(gradient.log_likelihood_gradient(X, params))
    numeric = flat_finite_difference_gradient(X, params)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * np.max(np.abs(numeric)))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 3), k=st.integers(1, 4))
def test_em_step_is_the_projected_gradient_plus_the_new_mean_term(seed, d, k):
    # book eq. (em-gradient-em-step): π and μ exactly; Σ with −Δμ Δμᵀ
    X, params = random_problem(seed, n=60, d=d, k=k)
    step = gradient.projected_gradient(X, params)
    new = gradient.em_map(X, params)
    scale = lambda a: 1e-10 * max(1.0, np.max(np.abs(a)))  # noqa: E731
    np.testing.assert_allclose(new.weights - params.weights, step.weights, rtol=1e-10, atol=scale(step.weights))
    np.testing.assert_allclose(new.means - params.means, step.means, rtol=1e-10, atol=scale(params.means))
    correction = -np.einsum("ki,kj->kij", step.means, step.means)
    np.testing.assert_allclose(
        new.covariances - params.covariances, step.covariances + correction, rtol=1e-10, atol=scale(params.covariances)
    )


def test_without_the_correction_the_covariance_step_differs():
    # the −Δμ Δμᵀ term is real: leaving it out is wrong whenever the means move
    X, params = random_problem(1)
    step = gradient.projected_gradient(X, params)
    new = gradient.em_map(X, params)
    assert np.max(np.abs(step.means)) > 1e-3
    assert not np.allclose(new.covariances - params.covariances, step.covariances, rtol=1e-6, atol=1e-8)


def test_projection_blocks_are_symmetric_positive_semidefinite():
    X, params = random_problem(2, d=3, k=3)
    projection = gradient.projection_matrix(X, params)
    for block in [projection.weights, *projection.means, *projection.covariances]:
        np.testing.assert_allclose(block, block.T, rtol=1e-12, atol=1e-15)
        assert np.min(np.linalg.eigvalsh(block)) > -1e-12 * np.max(np.abs(block))
    # P_π annihilates the all-ones direction: steps keep Σπ = 1
    np.testing.assert_allclose(projection.weights @ np.ones(3), 0.0, atol=1e-15)


def test_flatten_round_trip_and_size():
    _, params = random_problem(3, d=3, k=4)
    theta = gradient.flatten_params(params)
    assert theta.shape == ((4 - 1) + 4 * 3 + 4 * 6,)
    again = gradient.unflatten_params(theta, 4, 3)
    np.testing.assert_array_equal(again.means, params.means)
    np.testing.assert_allclose(again.covariances, params.covariances, rtol=0, atol=0)
    np.testing.assert_allclose(again.weights, params.weights, rtol=1e-15)
    with pytest.raises(ValueError, match="theta must have shape"):
        gradient.unflatten_params(theta[:-1], 4, 3)


def converged_fit(seed, d=2, k=2, n=200):
    X, params = random_problem(seed, n=n, d=d, k=k)
    fit = emlib.fit_gmm(X, k, init=params, reg_covar=0.0, tol=0.0, max_iter=20000, method="squarem")
    return X, fit.params


def test_complete_information_is_minus_the_hessian_of_q():
    # book eq. (em-gradient-information): I_c(θ) = −∂²Q(θ'|θ)/∂θ'² at θ' = θ; Q differs from the
    # ELBO with q = posterior(θ) by a constant, so take second differences of emlib.elbo
    X, params = random_problem(4, n=60)
    q = emlib.e_step(X, params)
    theta = gradient.flatten_params(params)
    size, h = theta.size, 1e-4

    def bound(point):
        return emlib.elbo(X, gradient.unflatten_params(point, 2, 2), q)

    hessian = np.empty((size, size))
    for i in range(size):
        for j in range(size):
            ei, ej = np.eye(size)[i] * h, np.eye(size)[j] * h
            hessian[i, j] = (
                bound(theta + ei + ej) - bound(theta + ei - ej) - bound(theta - ei + ej) + bound(theta - ei - ej)
            ) / (4 * h * h)
    information = gradient.complete_information(X, params)
    np.testing.assert_allclose(information, -hessian, rtol=1e-5, atol=1e-5 * np.max(np.abs(information)))


@pytest.mark.parametrize("seed, d, k", [(5, 1, 2), (6, 2, 2), (7, 2, 3)])
def test_jacobian_equals_one_minus_missing_information_at_the_optimum(seed, d, k):
    # Dempster, Laird and Rubin: M′(θ*) = I − I_c⁻¹ I_o (book eq. (em-gradient-rate))
    X, optimum = converged_fit(seed, d=d, k=k)
    jacobian = gradient.em_map_jacobian(X, optimum)
    predicted = np.eye(jacobian.shape[0]) - np.linalg.solve(
        gradient.complete_information(X, optimum), gradient.observed_information(X, optimum)
    )
    np.testing.assert_allclose(jacobian, predicted, atol=1e-5)


def test_convergence_rate_is_the_observed_linear_rate():
    # ‖θ_{t+1} − θ*‖ / ‖θ_t − θ*‖ → ρ(M′(θ*)) along EM's own trajectory
    X, optimum = converged_fit(8, n=300)
    rate = gradient.convergence_rate(X, optimum)
    assert 0.0 < rate < 1.0
    theta_star = gradient.flatten_params(optimum)
    point = gradient.unflatten_params(theta_star + 1e-3 * np.random.default_rng(0).normal(size=theta_star.size), 2, 2)
    errors = []
    for _ in range(60):
        point = gradient.em_map(X, point)
        errors.append(np.linalg.norm(gradient.flatten_params(point) - theta_star))
    ratios = np.array(errors[1:]) / np.array(errors[:-1])
    assert ratios[-1] == pytest.approx(rate, abs=0.02)


def test_gradient_vanishes_at_the_optimum_on_the_simplex():
    # at θ*, the projected gradient (the EM step) is zero, although ∂ℓ/∂π_k = N_k/π_k = N is not
    X, optimum = converged_fit(9)
    step = gradient.projected_gradient(X, optimum)
    assert np.max(np.abs(step.means)) < 1e-8
    assert np.max(np.abs(step.covariances)) < 1e-8
    np.testing.assert_allclose(gradient.log_likelihood_gradient(X, optimum).weights, X.shape[0], rtol=1e-8)


def test_zero_weight_is_refused_where_the_gradient_needs_one_over_pi():
    X, _ = random_problem(10)
    params = emlib.GMMParams([1.0, 0.0], [[0.0, 0.0], [1.0, 1.0]], np.stack([np.eye(2)] * 2))
    with pytest.raises(ValueError, match="weights"):
        gradient.log_likelihood_gradient(X, params)


# ---------------------------------------------------------------- SQUAREM


def overlapping_data(seed=0, n=1500):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) * 1.1 + [0.9, 0.3]])


def test_squarem_reaches_the_plain_em_optimum_with_fewer_evaluations():
    X = overlapping_data()
    start = emlib.fit_gmm(X, 2, random_state=0, max_iter=0).params
    plain = emlib.fit_gmm(X, 2, init=start, reg_covar=0.0, tol=1e-9, max_iter=100_000)
    fast = emlib.fit_gmm(X, 2, init=start, reg_covar=0.0, tol=1e-9, max_iter=100_000, method="squarem")
    assert plain.converged and fast.converged
    # the same optimum; where they differ, plain EM's change-based stop halted short of it
    assert fast.log_likelihoods[-1] == pytest.approx(plain.log_likelihoods[-1], rel=1e-6)
    assert fast.log_likelihoods[-1] >= plain.log_likelihoods[-1] - 1e-9 * abs(plain.log_likelihoods[-1])
    assert fast.n_evaluations * 5 <= plain.n_evaluations
    assert plain.n_evaluations == plain.n_iter
    # accepted iterates never lose likelihood (pure ML EM is monotone, and the safeguard keeps it)
    assert np.all(np.diff(fast.log_likelihoods) >= -1e-9 * np.abs(fast.log_likelihoods[1:]))


def test_squarem_safeguard_rejects_invalid_extrapolations():
    model = emlib.GaussianMixtureModel()
    params = emlib.GMMParams([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[2.0]]])
    theta = model.flatten(params)
    assert model.unflatten(theta, params) is not None
    negative_weight = theta.copy()
    negative_weight[0] = -0.1
    assert model.unflatten(negative_weight, params) is None
    not_positive_definite = theta.copy()
    not_positive_definite[-1] = -1.0
    assert model.unflatten(not_positive_definite, params) is None


def test_squarem_argument_checks():
    X = overlapping_data(n=20)
    with pytest.raises(ValueError, match="method must be one of"):
        emlib.fit_gmm(X, 2, method="anderson")
    with pytest.raises(NotImplementedError, match="cannot run SQUAREM"):
        emlib.fit_em(_NoFlatModel(), X, emlib.fit_gmm(X, 2, max_iter=0, random_state=0).params, method="squarem")


class _NoFlatModel(emlib.GaussianMixtureModel):
    """A model without a flat parametrisation: SQUAREM must say it cannot run."""

    def flatten(self, params):
        return emlib.LatentVariableModel.flatten(self, params)


def test_gradient_tools_take_row_weights_as_repeated_rows():
    # every function of emlib.gradient with integer weights equals the same data with rows repeated
    rng = np.random.default_rng(3)
    X = rng.normal(size=(25, 2)) + np.repeat([[0.0, 0.0], [3.0, 1.0]], [12, 13], axis=0)
    w = rng.integers(1, 4, size=25)
    repeated = np.repeat(X, w, axis=0)
    params = emlib.GMMParams([0.5, 0.5], [[0.0, 0.0], [3.0, 1.0]], [np.eye(2), np.eye(2)])
    weighted = gradient.flatten_gradient(gradient.log_likelihood_gradient(X, params, sample_weight=w))
    expanded = gradient.flatten_gradient(gradient.log_likelihood_gradient(repeated, params))
    np.testing.assert_allclose(weighted, expanded, rtol=1e-10)
    np.testing.assert_allclose(
        gradient.projection_matrix(X, params, sample_weight=w).weights,
        gradient.projection_matrix(repeated, params).weights,
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        gradient.flatten_params(gradient.em_map(X, params, sample_weight=w)),
        gradient.flatten_params(gradient.em_map(repeated, params)),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        gradient.complete_information(X, params, sample_weight=w),
        gradient.complete_information(repeated, params),
        rtol=1e-10,
    )
