"""ECG and the EM–ECG hybrid (emlib.run_ecg, emlib.run_hybrid) and the models' score.

Salakhutdinov, Roweis and Ghahramani (2003): the EM step g̃ = M(θ) − θ = P(θ)∇ℓ(θ) is a
preconditioned gradient, so nonlinear conjugate gradient with g̃ as that gradient (ECG) needs only
the E-step, the M-step and ∇ℓ, the model's ``score``. Book algorithm (em-gradient-alg-ecg).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emlib
from emlib import drivers, gradient

GRADIENT_METHODS = ("ecg", "hybrid")


@pytest.fixture(scope="module")
def faithful():
    return emlib.datasets.old_faithful()


def _fit(model, X, start, method, **options):
    options.setdefault("tol", 1e-12)
    options.setdefault("max_iter", 100_000)
    return emlib.fit_em(model, X, start, method=method, **options)


def _early(X, n_components, n_iter):
    """The parameters after ``n_iter`` EM iterations from k-means++ (a point that is not an optimum)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        return emlib.fit_gmm(X, n_components, max_iter=n_iter, random_state=0, reg_covar=0.0).params


def _sorted_gmm(params: emlib.GMMParams):
    order = np.lexsort(params.means.T[::-1])
    return params.weights[order], params.means[order], params.covariances[order]


def _sorted_coins(params: emlib.BinomialMixtureParams):
    order = np.argsort(params.probabilities)
    return params.weights[order], params.probabilities[order]


# --------------------------------------------------------------------------
# the score: ∇ℓ in the flatten coordinates, against finite differences and emlib.gradient
# --------------------------------------------------------------------------
def _admissible_directions(model, params):
    """Unit directions in the flat coordinates that unflatten accepts: every weight and mean
    coordinate, and each covariance entry moved together with its mirror image."""
    vector = model.flatten(params)
    k, d = params.n_components, params.n_features
    directions = list(np.eye(vector.size)[: k + k * d])
    for component in range(k):
        for i in range(d):
            for j in range(i + 1):
                u = np.zeros(vector.size)
                u[k + k * d + component * d * d + i * d + j] = 1.0
                u[k + k * d + component * d * d + j * d + i] = 1.0
                directions.append(u)
    return directions


def _central_slope(objective, model, vector, like, direction, step):
    forward = model.unflatten(vector + step * direction, like)
    backward = model.unflatten(vector - step * direction, like)
    return (objective(forward) - objective(backward)) / (2.0 * step)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "tied"])
def test_gaussian_score_matches_central_differences_of_the_log_likelihood(faithful, covariance_type):
    # book eq. (em-gradient-gradient), carried to flatten's coordinates as unflatten reads them
    model = emlib.GaussianMixtureModel(covariance_type, reg_covar=0.0)
    data, weights = model.check_data(faithful), np.linspace(0.5, 1.5, len(faithful))
    params = emlib.GMMParams(
        [0.3, 0.7], [[2.0, 55.0], [4.3, 80.0]], [[[0.1, 0.5], [0.5, 40.0]], [[0.2, 0.3], [0.3, 35.0]]]
    )
    score = model.score(data, weights, params)
    assert score.shape == model.flatten(params).shape
    vector = model.flatten(params)

    def objective(point):
        return model.expectation(data, weights, point).log_likelihood

    for direction in _admissible_directions(model, params):
        step = 1e-6 * max(1.0, float(np.abs(vector @ direction)))
        slope = _central_slope(objective, model, vector, params, direction, step)
        assert score @ direction == pytest.approx(slope, rel=1e-5, abs=1e-4)
    # the score is that of ℓ, whatever the structure the M-step imposes
    full = emlib.GaussianMixtureModel("full", reg_covar=0.0).score(data, weights, params)
    np.testing.assert_array_equal(score, full)


def test_gaussian_score_agrees_with_emlib_gradient(faithful):
    # emlib.gradient.log_likelihood_gradient: ∂ℓ/∂π_k = N_k/π_k without the constraint; the score
    # subtracts W = Σ_n w_n, the renormalisation's term, and keeps the mean and covariance blocks
    model = emlib.GaussianMixtureModel(reg_covar=0.0)
    params = _early(faithful, 3, 2)
    sample_weight = np.linspace(0.2, 2.0, len(faithful))
    score = model.score(model.check_data(faithful), sample_weight, params)
    reference = gradient.log_likelihood_gradient(faithful, params, sample_weight=sample_weight)
    k, d = params.n_components, params.n_features
    np.testing.assert_allclose(score[:k], reference.weights - sample_weight.sum(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(score[k : k + k * d], reference.means.ravel(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(score[k + k * d :], reference.covariances.ravel(), rtol=1e-10, atol=1e-12)
    # and the free coordinates of emlib.gradient's flat parametrisation follow by the chain rule
    free = gradient.flatten_gradient(reference)
    np.testing.assert_allclose(free[: k - 1], score[: k - 1] - score[k - 1], rtol=1e-10, atol=1e-8)
    # orthogonal to π: the score never moves the scale that the renormalisation ignores
    assert params.weights @ score[:k] == pytest.approx(0.0, abs=1e-9 * sample_weight.sum())


def test_gaussian_score_reuses_the_statistics_and_handles_a_component_of_weight_zero(faithful):
    model = emlib.GaussianMixtureModel(reg_covar=0.0)
    data, weights = model.check_data(faithful), np.ones(len(faithful))
    params = _early(faithful, 2, 3)
    statistics = model.expectation(data, weights, params).statistics
    np.testing.assert_allclose(
        model.score(data, weights, params, statistics=statistics), model.score(data, weights, params), rtol=1e-13
    )
    # π_2 = 0: ∂ℓ/∂π_2 = Σ_n N(x_n | μ_2, Σ_2)/p(x_n) is finite; a forward difference checks it
    spread = np.cov(faithful.T)
    empty = emlib.GMMParams([1.0, 0.0], [[3.5, 71.0], [2.0, 55.0]], [spread, 0.5 * spread])
    score = model.score(data, weights, empty, statistics=model.expectation(data, weights, empty).statistics)
    assert np.all(np.isfinite(score))
    vector, h = model.flatten(empty), 1e-7
    values = [
        model.expectation(data, weights, model.unflatten(vector + j * h * np.eye(vector.size)[1], empty)).log_likelihood
        for j in range(3)
    ]
    assert score[1] == pytest.approx((-3 * values[0] + 4 * values[1] - values[2]) / (2 * h), rel=1e-5)
    np.testing.assert_array_equal(score[2 + 2 : 4], 0.0)  # μ_2 does not change ℓ when π_2 = 0
    np.testing.assert_array_equal(score[-4:], 0.0)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_prior_score_matches_central_differences_of_the_log_prior(faithful, covariance_type):
    # book eq. (soft-em-map-sigma): log p(θ) = −½ Σ_k tr(Ψ Σ_k⁻¹), counted once for a tied covariance
    model = emlib.GaussianMixtureModel(covariance_type)  # reg_covar=None: the data-scaled prior
    data, weights = model.check_data(faithful), np.ones(len(faithful))
    shared = [[0.2, 0.4], [0.4, 30.0]]
    covariances = [shared, shared] if covariance_type == "tied" else [[[0.1, 0.5], [0.5, 40.0]], shared]
    params = emlib.GMMParams([0.4, 0.6], [[2.0, 55.0], [4.3, 80.0]], covariances)
    score = model.log_parameter_prior_score(data, weights, params)
    vector = model.flatten(params)
    directions = _admissible_directions(model, params)
    if covariance_type == "tied":  # the tied structure moves both blocks together
        tail = slice(2 + 4, None)
        directions = [u for u in directions if not u[tail].any()] + [
            np.concatenate([np.zeros(6), block, block]) for block in (u[6:10] for u in directions if u[6:10].any())
        ]
    for direction in directions:
        step = 1e-6 * max(1.0, float(np.abs(vector @ direction)))
        slope = _central_slope(
            lambda p: model.log_parameter_prior(data, weights, p), model, vector, params, direction, step
        )
        assert score @ direction == pytest.approx(slope, rel=1e-5, abs=1e-9)
    zero = emlib.GaussianMixtureModel(reg_covar=0.0).log_parameter_prior_score(data, weights, params)
    np.testing.assert_array_equal(zero, 0.0)


def test_binomial_score_matches_central_differences_and_stays_finite_at_the_boundary():
    model = emlib.BinomialMixture(n_trials=12)
    heads = np.array([0, 3, 5, 6, 7, 9, 11, 12, 4, 8], dtype=float)
    weights = np.linspace(0.5, 2.0, heads.size)
    params = emlib.BinomialMixtureParams([0.2, 0.5, 0.3], [0.25, 0.5, 0.8])
    score = model.score(heads, weights, params)
    vector = model.flatten(params)
    for direction in np.eye(vector.size):
        slope = _central_slope(
            lambda p: model.expectation(heads, weights, p).log_likelihood, model, vector, params, direction, 1e-7
        )
        assert score @ direction == pytest.approx(slope, rel=1e-6)
    # inside (0, 1): the responsibility form γ_nk (x_n/p_k − (n − x_n)/(1 − p_k)) / π_k · π_k
    responsibilities = model.e_step(heads, params)
    p = params.probabilities
    expected = (weights[:, None] * responsibilities * (heads[:, None] / p - (12 - heads[:, None]) / (1 - p))).sum(0)
    np.testing.assert_allclose(score[3:], expected, rtol=1e-12)
    # a coin at p = 0 (only zero heads possible) and a coin of weight 0: still finite
    edge = emlib.BinomialMixtureParams([0.5, 0.5, 0.0], [0.0, 0.5, 0.9])
    assert np.all(np.isfinite(model.score(heads, weights, edge)))


# --------------------------------------------------------------------------
# the drivers reach EM's optimum, never lowering the objective
# --------------------------------------------------------------------------
@pytest.mark.parametrize("reg_covar", [0.0, None])
@pytest.mark.parametrize("n_components", [2, 3])
def test_ecg_and_hybrid_reach_the_em_optimum_on_old_faithful(faithful, reg_covar, n_components):
    # book (em-gradient-alg-ecg): the same fixed point as EM (book eq. (soft-em-stopping) stops all three)
    model = emlib.GaussianMixtureModel(reg_covar=reg_covar)
    start = emlib.fit_gmm(faithful, n_components, max_iter=0, random_state=1, reg_covar=reg_covar).params
    em = _fit(model, faithful, start, "em", tol=1e-14)
    assert em.converged
    for method in GRADIENT_METHODS:
        fit = _fit(model, faithful, start, method)
        assert fit.converged and fit.method == method
        assert fit.objectives[-1] == pytest.approx(em.objectives[-1], rel=1e-10)
        assert fit.log_likelihoods[-1] == pytest.approx(em.log_likelihoods[-1], rel=1e-8)
        for ours, theirs in zip(_sorted_gmm(fit.params), _sorted_gmm(em.params)):
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
        assert np.all(np.diff(fit.objectives) >= 0)  # the line search only accepts a rise
        if reg_covar == 0.0:  # maximum likelihood: the objective is ℓ itself
            assert np.all(np.diff(fit.log_likelihoods) >= 0)


@pytest.fixture(scope="module")
def coins():
    """Three overlapping coins: the model, 400 runs of 20 tosses, a start, and EM run far from there."""
    model = emlib.BinomialMixture(n_trials=20)
    heads, _ = model.sample(emlib.BinomialMixtureParams([0.4, 0.35, 0.25], [0.35, 0.5, 0.6]), 400, 5)
    start = emlib.BinomialMixtureParams([0.3, 0.3, 0.4], [0.2, 0.5, 0.9])
    em = _fit(model, heads, start, "em", tol=1e-15)  # slow (about a thousand iterations)
    return model, heads, start, em


def test_ecg_and_hybrid_reach_the_em_optimum_of_a_binomial_mixture(coins):
    model, heads, start, em = coins
    assert em.converged and em.n_iter > 500
    for method in GRADIENT_METHODS:
        fit = _fit(model, heads, start, method)
        assert fit.converged
        assert fit.log_likelihoods[-1] == pytest.approx(em.log_likelihoods[-1], rel=1e-10)
        for ours, theirs in zip(_sorted_coins(fit.params), _sorted_coins(em.params)):
            np.testing.assert_allclose(ours, theirs, atol=2e-3)  # a flat optimum: ℓ pins it loosely
        assert np.all(np.diff(fit.log_likelihoods) >= 0)
        assert fit.n_iter * 10 < em.n_iter


def test_ecg_needs_far_fewer_iterations_than_em_where_the_components_overlap():
    # much missing information, EM's rate near 1 (book eq. (em-gradient-rate)): where ECG pays
    truth = emlib.GMMParams(
        [0.5, 0.5], [[0.0, 0.0], [1.0, 0.0]], [[[1.0, 0.3], [0.3, 1.0]], [[1.0, -0.2], [-0.2, 0.8]]]
    )
    X, _ = emlib.datasets.sample_gmm(truth, 600, np.random.default_rng(0))
    start = emlib.GMMParams([0.5, 0.5], [[-0.5, 0.5], [1.5, -0.5]], [np.eye(2), np.eye(2)])
    model = emlib.GaussianMixtureModel(reg_covar=0.0)
    em = _fit(model, X, start, "em", tol=1e-9)
    ecg = _fit(model, X, start, "ecg", tol=1e-9)
    hybrid = _fit(model, X, start, "hybrid", tol=1e-9)
    assert em.n_iter > 250 and ecg.n_iter < 40 and hybrid.n_iter < 50  # measured: 301, 23 and 31
    assert ecg.n_iter * 5 < em.n_iter and hybrid.n_iter * 5 < em.n_iter
    assert ecg.n_evaluations * 2 < em.n_evaluations  # and fewer E-steps, line searches included
    # EM stops short on its slow approach; the others end at least as high
    assert ecg.log_likelihoods[-1] >= em.log_likelihoods[-1] and hybrid.log_likelihoods[-1] >= em.log_likelihoods[-1]


def test_every_covariance_type_under_the_default_prior(faithful):
    for covariance_type in ("full", "diag", "spherical", "tied"):
        model = emlib.GaussianMixtureModel(covariance_type)
        start = emlib.fit_gmm(faithful, 3, max_iter=0, random_state=1, covariance_type=covariance_type).params
        em = _fit(model, faithful, start, "em", tol=1e-13)
        fit = _fit(model, faithful, start, "ecg")
        assert fit.converged and np.all(np.diff(fit.objectives) >= 0)
        assert fit.objectives[-1] == pytest.approx(em.objectives[-1], rel=1e-9), covariance_type
        assert fit.n_iter < em.n_iter


def test_n_evaluations_counts_every_e_step():
    class Counting(emlib.BinomialMixture):
        calls = 0

        def expectation(self, data, weights, params):
            type(self).calls += 1
            return super().expectation(data, weights, params)

    model = Counting(n_trials=20)
    heads, _ = model.sample(emlib.BinomialMixtureParams([0.5, 0.5], [0.4, 0.55]), 300, 1)
    Counting.calls = 0
    for method in ("em", "squarem", *GRADIENT_METHODS):  # one unit of work for every driver
        before = Counting.calls
        fit = _fit(model, heads, emlib.BinomialMixtureParams([0.5, 0.5], [0.2, 0.8]), method, tol=1e-10)
        assert fit.n_evaluations == Counting.calls - before - 1  # every E-step after the start's
        assert fit.n_evaluations >= fit.n_iter


def test_at_a_fixed_point_ecg_stays_put_and_converges(faithful):
    model = emlib.GaussianMixtureModel(reg_covar=0.0)
    start = emlib.fit_gmm(faithful, 2, max_iter=0, random_state=1, reg_covar=0.0).params
    optimum = _fit(model, faithful, start, "ecg", tol=0.0)  # until no step can raise ℓ, even by rounding
    assert optimum.converged and np.all(np.diff(optimum.log_likelihoods) >= 0)
    again = _fit(model, faithful, optimum.params, "ecg", tol=0.0)
    assert again.converged and again.n_iter <= 3
    assert again.log_likelihoods[-1] >= optimum.log_likelihoods[-1]


def test_hybrid_runs_em_until_its_rate_estimate_reaches_switch_rate_then_ecg(coins):
    model, heads, start, em = coins
    data, weights = model.check_data(heads), np.ones(heads.size)
    for switch_rate in (0.3, 0.9, 0.99):
        hybrid = drivers.run_hybrid(model, data, weights, start, max_iter=100_000, tol=1e-12, switch_rate=switch_rate)
        # ρ̂_t = sqrt(Δ_t / Δ_{t−1}) on EM's own history: the first t where it reaches switch_rate
        switch = next(
            t for t in range(2, em.n_iter + 1) if drivers._em_rate(list(em.objectives[: t + 1])) >= switch_rate
        )
        np.testing.assert_array_equal(hybrid.objectives[: switch + 1], em.objectives[: switch + 1])
        assert hybrid.method == "hybrid" and hybrid.converged
        assert not np.array_equal(hybrid.objectives[: switch + 2], em.objectives[: switch + 2])  # then ECG
        assert hybrid.n_iter * 5 < em.n_iter


# --------------------------------------------------------------------------
# the shared machinery: dispatch, callback, trajectory, units, warnings
# --------------------------------------------------------------------------
def test_the_methods_are_listed_and_dispatched(faithful):
    assert drivers.METHODS == ("em", "hard", "squarem", "ecg", "hybrid")
    assert emlib.run_ecg is drivers.run_ecg and emlib.run_hybrid is drivers.run_hybrid
    model = emlib.GaussianMixtureModel()
    data, weights = model.check_data(faithful), np.ones(len(faithful))
    start = emlib.fit_gmm(faithful, 2, max_iter=0, random_state=1).params
    for method in GRADIENT_METHODS:
        direct = getattr(drivers, f"run_{method}")(model, data, weights, start, max_iter=500, tol=1e-8)
        dispatched = drivers.run(model, data, weights, start, method=method, max_iter=500, tol=1e-8)
        np.testing.assert_array_equal(direct.objectives, dispatched.objectives)
        assert dispatched.method == method


@pytest.mark.parametrize("method", GRADIENT_METHODS)
def test_callback_and_trajectory_see_every_accepted_iterate(faithful, method):
    seen = []
    fit = emlib.fit_gmm(
        faithful, 3, method=method, random_state=1, tol=1e-8, trajectory=True, callback=lambda *a: seen.append(a)
    )
    assert fit.method == method and fit.converged
    assert [entry[0] for entry in seen] == list(range(fit.n_iter + 1))
    np.testing.assert_allclose([entry[2] for entry in seen], fit.log_likelihoods, rtol=1e-12)
    np.testing.assert_allclose([entry[3] for entry in seen], fit.objectives, rtol=1e-12)
    assert len(fit.trajectory) == fit.n_iter + 1
    np.testing.assert_allclose(fit.trajectory[-1].means, fit.params.means, rtol=1e-12)
    for t in (0, fit.n_iter // 2, fit.n_iter):  # in the units of X, like every other driver's
        assert fit.log_likelihoods[t] == pytest.approx(emlib.log_likelihood(faithful, fit.trajectory[t]), rel=1e-11)


def test_max_iter_and_the_convergence_warning(faithful):
    start = emlib.fit_gmm(faithful, 3, max_iter=0, random_state=1).params
    for method in GRADIENT_METHODS:
        fit = emlib.fit_gmm(faithful, 3, init=start, method=method, max_iter=0)
        assert fit.n_iter == 0 and fit.n_evaluations == 0 and not fit.converged
        with pytest.warns(emlib.ConvergenceWarning, match=f"{method} did not meet the stopping rule"):
            fit = emlib.fit_gmm(faithful, 3, init=start, method=method, max_iter=2, tol=0.0)
        assert fit.n_iter == 2


def test_no_warning_escapes_a_line_search_through_invalid_points():
    # coins near p = 0 and 1: long trial steps leave [0, 1] (unflatten says None, F = −∞)
    model = emlib.BinomialMixture(n_trials=30)
    heads, _ = model.sample(emlib.BinomialMixtureParams([0.5, 0.5], [0.02, 0.97]), 200, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = _fit(model, heads, emlib.BinomialMixtureParams([0.5, 0.5], [0.3, 0.6]), "ecg", tol=1e-10)
    assert fit.converged and np.all(np.diff(fit.log_likelihoods) >= 0)


# --------------------------------------------------------------------------
# bad input (the cases the book's table also lists are in tests/test_bad_input.py)
# --------------------------------------------------------------------------
class _NoScore(emlib.GaussianMixtureModel):
    score = emlib.LatentVariableModel.score


class _PriorWithoutItsScore(emlib.BinomialMixture):
    def log_parameter_prior(self, data, weights, params):
        return float(np.sum(np.log(params.probabilities * (1 - params.probabilities))))


class _Linkage(emlib.LatentVariableModel):  # no flat coordinates, no score
    def check_data(self, X):
        return np.asarray(X, dtype=float)[np.newaxis]

    def check_params(self, data, params, name="params"):
        pass

    def expectation(self, data, weights, params):
        return emlib.EStep(0.0, 0.0)

    def maximization(self, data, weights, statistics, previous):
        return previous


@pytest.mark.parametrize("method", GRADIENT_METHODS)
def test_a_model_without_the_pieces_gets_a_type_error_naming_them(faithful, method):
    start = emlib.fit_gmm(faithful, 2, max_iter=0, random_state=1).params
    with pytest.raises(TypeError, match=rf"method '{method}' needs the model's score; _NoScore has no score"):
        emlib.fit_em(_NoScore(), faithful, start, method=method)
    with pytest.raises(TypeError, match="needs the model's flatten, unflatten, score; _Linkage has no flatten or"):
        emlib.fit_em(_Linkage(), [1.0, 2.0], 0.5, method=method)
    coins = emlib.BinomialMixtureParams([0.5, 0.5], [0.3, 0.6])
    with pytest.raises(TypeError, match="needs the model's log_parameter_prior_score"):
        emlib.fit_em(_PriorWithoutItsScore(10), [1, 5, 9], coins, method=method)
    with pytest.raises(NotImplementedError, match="has no score"):  # the interface's default, called directly
        _NoScore().score(faithful, np.ones(len(faithful)), start)


@pytest.mark.parametrize("method", GRADIENT_METHODS)
def test_an_m_step_that_maximises_no_objective_is_refused(faithful, method):
    start = emlib.fit_gmm(faithful, 2, max_iter=0, random_state=1).params
    with pytest.raises(ValueError, match=rf"method '{method}' needs a model whose M-step maximises its objective"):
        emlib.fit_em(emlib.GaussianMixtureModel(reg_covar=1e-3), faithful, start, method=method)
    with pytest.raises(ValueError, match="objective_is_monotone"):
        emlib.fit_gmm(faithful, 2, method=method, reg_covar=1e-3, random_state=0)


@pytest.mark.parametrize(
    ("switch_rate", "error", "message"),
    [
        (0.0, ValueError, r"switch_rate must be a finite number > 0"),
        (-0.5, ValueError, r"switch_rate must be a finite number > 0"),
        (np.nan, ValueError, r"switch_rate must be a finite number > 0"),
        (1.5, ValueError, r"switch_rate must lie in \(0, 1\]"),
        ("0.9", TypeError, r"switch_rate must be a real number"),
        (True, TypeError, r"switch_rate must be a real number"),
    ],
)
def test_hybrid_checks_its_switch_rate(faithful, switch_rate, error, message):
    model = emlib.GaussianMixtureModel()
    data, weights = model.check_data(faithful), np.ones(len(faithful))
    start = emlib.fit_gmm(faithful, 2, max_iter=0, random_state=1).params
    with pytest.raises(error, match=message):
        drivers.run_hybrid(model, data, weights, start, max_iter=10, tol=1e-6, switch_rate=switch_rate)


# --------------------------------------------------------------------------
# property: on random coin data, ECG never lowers ℓ, counts its E-steps and ends where EM ends
# --------------------------------------------------------------------------
@settings(max_examples=25)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_trials=st.integers(1, 40),
    n_components=st.integers(1, 3),
)
def test_ecg_on_random_binomial_mixtures(seed, n_trials, n_components):
    rng = np.random.default_rng(seed)
    model = emlib.BinomialMixture(n_trials=n_trials)
    truth = emlib.BinomialMixtureParams(rng.dirichlet(np.ones(n_components)), rng.uniform(0, 1, n_components))
    heads, _ = model.sample(truth, 60, rng)
    start = emlib.BinomialMixtureParams(rng.dirichlet(np.full(n_components, 5.0)), rng.uniform(0.1, 0.9, n_components))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy or scipy warning on the way
        fit = emlib.fit_em(model, heads, start, method="ecg", tol=1e-10, max_iter=5000)
    assert fit.converged
    assert np.all(np.diff(fit.log_likelihoods) >= 0)
    assert fit.n_evaluations >= fit.n_iter
    assert np.all(np.isfinite(model.score(heads, np.ones(heads.size), fit.params)))
    # ECG ends (near) a fixed point of EM: one more EM step hardly raises ℓ
    data, weights = model.check_data(heads), np.ones(heads.size)
    end = model.expectation(data, weights, fit.params)
    step = model.expectation(data, weights, model.maximization(data, weights, end.statistics, fit.params))
    assert step.log_likelihood - end.log_likelihood <= 1e-6 * heads.size
