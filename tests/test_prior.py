"""MAP-EM under the conjugate prior of Fraley and Raftery (2007) (emlib.priors), against R's mclust.

Fraley, C. and Raftery, A. E. (2007), "Bayesian regularization for normal mixture estimation and
model-based clustering", J. Classification 24, 155–181: mclust's priorControl() / defaultPrior().
Oracles: tests/data/mclust_prior_reference.json (scripts/mclust_prior_reference.R: defaultPrior,
mstep and me from fixed responsibilities, on Old Faithful and iris), scipy.stats densities
(dirichlet, multivariate_normal, invwishart, invgamma), scipy.optimize, and finite differences.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

import emlib
from emlib._units import Units
from emlib.priors import ConjugatePrior, ResolvedPrior, check_prior

REFERENCE = json.loads((pathlib.Path(__file__).parent / "data" / "mclust_prior_reference.json").read_text())
DATA = {"faithful": emlib.datasets.old_faithful(), "iris": emlib.datasets.iris()}
CASES = REFERENCE["cases"]
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def _case_id(case):
    return f"{case['data']}-G{case['G']}-{case['mclust_model']}"


def _mclust_params(parameters):
    return np.array(parameters["pro"]), np.array(parameters["mean"]), np.array(parameters["sigma"])


def _start(case):
    return DATA[case["data"]], np.array(REFERENCE["starts"][case["start"]])


def _assert_params_close(params, reference, rtol, weights_atol=None):
    pro, mean, sigma = _mclust_params(reference)
    np.testing.assert_allclose(params.weights, pro, rtol=rtol, atol=weights_atol or 0.0)
    np.testing.assert_allclose(params.means, mean, rtol=rtol, atol=0)
    # covariances relative to their largest entry: the zeros off a diagonal have no relative error
    np.testing.assert_allclose(params.covariances, sigma, rtol=0, atol=rtol * np.max(np.abs(sigma)))


def _random_prior(rng, d, covariance_type, dirichlet=1.0, weight=1.0):
    a = rng.standard_normal((d, d))
    return ResolvedPrior(
        covariance_type,
        rng.standard_normal(d),
        shrinkage=float(rng.uniform(0.05, 2.0)),
        dof=float(d + rng.uniform(0.5, 4.0)),
        scale=a @ a.T + d * np.eye(d),
        dirichlet=dirichlet,
        weight=weight,
    )


def _structured_params(rng, k, d, covariance_type):
    weights = rng.dirichlet(np.full(k, 3.0))
    means = rng.standard_normal((k, d))
    a = rng.standard_normal((k, d, d))
    full = a @ np.swapaxes(a, 1, 2) + d * np.eye(d)
    if covariance_type == "tied":
        covariances = np.repeat(full[:1], k, axis=0)
    elif covariance_type == "diag":
        covariances = np.stack([np.diag(rng.uniform(0.3, 3.0, d)) for _ in range(k)])
    elif covariance_type == "spherical":
        covariances = rng.uniform(0.3, 3.0, k)[:, None, None] * np.eye(d)
    else:
        covariances = full
    return emlib.GMMParams(weights, means, covariances)


# --------------------------------------------------------------------------
# against mclust (tests/data/mclust_prior_reference.json)
# --------------------------------------------------------------------------
def test_the_reference_records_its_provenance():
    provenance = REFERENCE["provenance"]
    assert provenance["mclust_version"] == "6.0.0" and provenance["R_version"].startswith("R version 4.2")
    assert "priorControl()" in provenance["calls"]["mstep"] and len(CASES) == 16


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_the_default_hyperparameters_are_mclusts_default_prior(case):
    # Fraley and Raftery (2007), section 4.2; mclust's defaultPrior(X, G, modelName)
    X, _ = _start(case)
    resolved = ConjugatePrior().resolve(X, case["G"], case["covariance_type"])
    reference = case["prior"]
    assert resolved.shrinkage == reference["shrinkage"] == 0.01
    assert resolved.dof == reference["dof"] == X.shape[1] + 2
    np.testing.assert_allclose(resolved.mean, reference["mean"], rtol=1e-15)
    scale = reference["scale"]
    expected = np.array(scale) if isinstance(scale, list) else scale * np.eye(X.shape[1])
    np.testing.assert_allclose(resolved.scale, expected, rtol=4e-15, atol=0)
    assert resolved.dirichlet == 1.0 and resolved.weight == 1.0  # mclust: no prior on the weights


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_one_map_m_step_equals_mclusts_mstep(case):
    # Fraley and Raftery (2007), table 2: the MAP M-step of each model from fixed z
    X, z = _start(case)
    params = emlib.m_step(X, z, covariance_type=case["covariance_type"], prior="default")
    _assert_params_close(params, case["mstep"], rtol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_five_map_em_iterations_equal_mclusts_me(case):
    # me(z, itmax = 5): five M-steps (the first from z); emlib: the M-step from z, then four EM iterations
    X, z = _start(case)
    model = emlib.GaussianMixtureModel(case["covariance_type"], prior="default")
    start = emlib.m_step(X, z, covariance_type=case["covariance_type"], prior="default")
    # By the fourth iteration the log-posterior can be within rounding of its fixed point, so
    # whether tol=0 counts as met there (no ConvergenceWarning) depends on its last bit: not asserted.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        fit = emlib.fit_em(model, X, start, max_iter=case["me_fixed"]["itmax"] - 1, tol=0.0)
    assert fit.n_iter == 4
    _assert_params_close(fit.params, case["me_fixed"]["parameters"], rtol=1e-12)
    assert fit.log_likelihoods[-1] == pytest.approx(case["me_fixed"]["loglik"], rel=1e-13)
    assert fit.log_likelihoods[-1] == pytest.approx(case["me_fixed"]["loglik_rescored"], rel=1e-13)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_map_em_reaches_mclusts_fixed_point(case):
    # me(z, tol = 0) iterates until its log-likelihood no longer changes: the MAP fixed point
    X, z = _start(case)
    model = emlib.GaussianMixtureModel(case["covariance_type"], prior="default")
    start = emlib.m_step(X, z, covariance_type=case["covariance_type"], prior="default")
    reference = case["me_converged"]
    fit = emlib.fit_em(model, X, start, max_iter=100_000, tol=0.0)
    assert fit.converged and reference["residual"] < 1e-12
    assert fit.log_likelihoods[-1] == pytest.approx(reference["loglik_rescored"], rel=1e-8)
    # EM stops where the log-posterior no longer rises in float64, about √ε from the fixed point
    _assert_params_close(fit.params, reference["parameters"], rtol=1e-6, weights_atol=1e-7)
    # the objective is the log-posterior ℓ + log p(θ), and MAP-EM never lowers it
    data, weights = model.check_data(X), np.ones(len(X))
    last = fit.objectives[-1] - fit.log_likelihoods[-1]
    assert last == pytest.approx(model.log_parameter_prior(data, weights, fit.params), rel=1e-12, abs=1e-12)
    assert np.all(np.diff(fit.objectives) >= -1e-12 * np.abs(fit.objectives[1:]))
    # SQUAREM (same fixed point) gets closer. Where either stops depends on the sign of a last
    # increment at the rounding level (1e-13 here), so "closer" is asserted, not a fixed distance.
    squarem = emlib.fit_em(model, X, start, max_iter=100_000, tol=0.0, method="squarem")
    distance = abs(squarem.log_likelihoods[-1] - reference["loglik_rescored"])
    assert distance <= abs(fit.log_likelihoods[-1] - reference["loglik_rescored"])
    assert distance <= 1e-9 * abs(reference["loglik_rescored"])
    _assert_params_close(squarem.params, reference["parameters"], rtol=1e-7, weights_atol=5e-8)
    assert not np.any(fit.degenerate) or case["G"] == 3  # well-supported components are not degenerate


def test_ecg_under_the_prior_reaches_the_same_fixed_point():
    # ECG ascends ℓ + log p with score + log_parameter_prior_score (book em-gradient-alg-ecg)
    case = next(c for c in CASES if _case_id(c) == "faithful-G2-VVV")
    X, z = _start(case)
    model = emlib.GaussianMixtureModel("full", prior="default")
    start = emlib.m_step(X, z, covariance_type="full", prior="default")
    fit = emlib.fit_em(model, X, start, max_iter=10_000, tol=0.0, method="ecg")
    assert fit.log_likelihoods[-1] == pytest.approx(case["me_converged"]["loglik_rescored"], rel=1e-9)
    _assert_params_close(fit.params, case["me_converged"]["parameters"], rtol=1e-6, weights_atol=1e-7)


# --------------------------------------------------------------------------
# the MAP M-step maximises Q + log p (any weight c, any α): scipy.stats and scipy.optimize
# --------------------------------------------------------------------------
def _q_plus_log_prior(X, responsibilities, sample_weight, prior, params):
    """Σ_nk w_n γ_nk [log π_k + log N(x_n | μ_k, Σ_k)] + c log p(θ), every density from scipy.stats."""
    value = 0.0
    for k in range(params.n_components):
        log_density = stats.multivariate_normal(params.means[k], params.covariances[k]).logpdf(X)
        value += np.sum(sample_weight * responsibilities[:, k] * (np.log(params.weights[k]) + log_density))
    return value + prior.weight * _scipy_log_prior(prior, params)


def _scipy_log_prior(prior, params):
    """log p(θ) of emlib.priors' module notes, written with scipy.stats."""
    k, d = params.n_components, params.n_features
    total = stats.dirichlet(np.full(k, prior.dirichlet)).logpdf(params.weights)
    scale, kappa, nu = prior.scale, prior.shrinkage, prior.dof
    if prior.covariance_type in ("full", "tied"):
        blocks = params.covariances[:1] if prior.covariance_type == "tied" else params.covariances
        total += sum(stats.invwishart(df=nu, scale=scale).logpdf(sigma) for sigma in blocks)
        for j in range(k):
            sigma = params.covariances[0 if prior.covariance_type == "tied" else j]
            total += stats.multivariate_normal(prior.mean, sigma / kappa).logpdf(params.means[j])
    elif prior.covariance_type == "diag":
        for j in range(k):
            variances = np.diag(params.covariances[j])
            total += np.sum(stats.invgamma(a=nu / 2, scale=np.diag(scale) / 2).logpdf(variances))
            total += stats.multivariate_normal(prior.mean, np.diag(variances) / kappa).logpdf(params.means[j])
    else:
        for j in range(k):
            variance = np.trace(params.covariances[j]) / d
            total += stats.invgamma(a=nu / 2, scale=scale[0, 0] / 2).logpdf(variance)
            total += stats.multivariate_normal(prior.mean, variance * np.eye(d) / kappa).logpdf(params.means[j])
    return float(total)


def _perturbed(params, covariance_type, rng, size):
    """params moved a little along a random direction that keeps the covariance structure."""
    k, d = params.n_components, params.n_features
    logits = np.log(params.weights) + size * rng.standard_normal(k)
    weights = np.exp(logits - logits.max())
    means = params.means + size * rng.standard_normal((k, d))
    e = rng.standard_normal((k, d, d))
    if covariance_type == "tied":
        e = np.repeat(e[:1], k, axis=0)
    elif covariance_type == "diag":
        e = e * np.eye(d)
    elif covariance_type == "spherical":
        e = rng.standard_normal(k)[:, None, None] * np.eye(d)
    e = 0.5 * (e + np.swapaxes(e, 1, 2))
    return emlib.GMMParams(weights / weights.sum(), means, params.covariances + 0.1 * size * e)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dirichlet,weight", [(1.0, 1.0), (2.5, 1.0), (3.0, 0.25)])
def test_the_map_m_step_maximises_q_plus_the_log_prior(rng, covariance_type, dirichlet, weight):
    X = rng.standard_normal((40, 3)) * [1.0, 2.0, 0.5] + [0.0, 5.0, -1.0]
    responsibilities = rng.dirichlet(np.full(3, 0.7), size=40)
    sample_weight = rng.uniform(0.2, 2.0, 40)
    prior = _random_prior(rng, 3, covariance_type, dirichlet=dirichlet, weight=weight)
    best = emlib.m_step(X, responsibilities, covariance_type=covariance_type, sample_weight=sample_weight, prior=prior)
    top = _q_plus_log_prior(X, responsibilities, sample_weight, prior, best)
    for _ in range(12):
        moved = _perturbed(best, covariance_type, rng, 1e-3)
        assert _q_plus_log_prior(X, responsibilities, sample_weight, prior, moved) < top


def test_the_dirichlet_weights_update_is_the_numerical_maximiser(rng):
    counts = np.array([3.0, 0.5, 11.0, 0.0])
    alpha, c = 2.5, 0.5

    def negative(logits):
        weights = np.exp(logits - logits.max())
        weights /= weights.sum()
        return -(counts @ np.log(weights) + c * stats.dirichlet(np.full(4, alpha)).logpdf(weights))

    found = optimize.minimize(negative, np.zeros(4), method="BFGS", options={"gtol": 1e-10}).x
    numerical = np.exp(found - found.max())
    prior = _random_prior(rng, 2, "full", dirichlet=alpha, weight=c)
    np.testing.assert_allclose(prior.weights_update(counts, counts.sum()), numerical / numerical.sum(), rtol=1e-6)


def test_a_component_with_no_responsibility_gets_the_prior_mode(rng):
    X = rng.standard_normal((30, 2))
    responsibilities = np.zeros((30, 2))
    responsibilities[:, 0] = 1.0
    prior = _random_prior(rng, 2, "full")
    params = emlib.m_step(X, responsibilities, prior=prior)
    assert params.weights[1] == 0.0  # α = 1: no prior on the weights
    np.testing.assert_allclose(params.means[1], prior.mean, rtol=1e-15)
    np.testing.assert_allclose(params.covariances[1], prior.scale / (prior.dof + 2 + 2), rtol=1e-14)
    with_alpha = emlib.m_step(X, responsibilities, prior=_random_prior(rng, 2, "full", dirichlet=3.0))
    assert with_alpha.weights[1] == pytest.approx(2.0 / (30 + 2 * 2.0), rel=1e-14)  # (N_k + α − 1)/(W + K(α − 1))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_weights_equal_repeated_rows(rng, covariance_type):
    # the defaults use frequency weights (var with denominator Σ w − 1), so the whole MAP fit agrees
    X = rng.standard_normal((25, 2)) * [1.0, 3.0]
    w = rng.integers(0, 4, 25)
    w[:3] = 1
    r = rng.dirichlet(np.ones(3), size=25)
    weighted = ConjugatePrior(dirichlet=1.5).resolve(X, 3, covariance_type, sample_weight=w)
    repeated = ConjugatePrior(dirichlet=1.5).resolve(np.repeat(X, w, axis=0), 3, covariance_type)
    np.testing.assert_allclose(weighted.mean, repeated.mean, rtol=1e-13)
    np.testing.assert_allclose(weighted.scale, repeated.scale, rtol=1e-12)
    p = emlib.m_step(X, r, covariance_type=covariance_type, sample_weight=w, prior=weighted)
    q = emlib.m_step(np.repeat(X, w, axis=0), np.repeat(r, w, axis=0), covariance_type=covariance_type, prior=repeated)
    np.testing.assert_allclose(p.weights, q.weights, rtol=1e-12)
    np.testing.assert_allclose(p.means, q.means, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(p.covariances, q.covariances, rtol=1e-11, atol=1e-13)


# --------------------------------------------------------------------------
# the log prior against scipy.stats; its gradient against finite differences
# --------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dirichlet,weight", [(1.0, 1.0), (2.0, 0.3)])
def test_the_log_prior_is_the_scipy_density(rng, covariance_type, dirichlet, weight):
    # emlib.priors module notes: exact log densities, no constant dropped
    prior = _random_prior(rng, 3, covariance_type, dirichlet=dirichlet, weight=weight)
    first, second = (_structured_params(rng, 3, 3, covariance_type) for _ in range(2))
    values = [prior.log_density(p) for p in (first, second)]
    expected = [weight * _scipy_log_prior(prior, p) for p in (first, second)]
    np.testing.assert_allclose(values, expected, rtol=1e-12)
    assert values[0] - values[1] == pytest.approx(expected[0] - expected[1], rel=1e-10, abs=1e-10)


def _admissible_directions(params, covariance_type):
    k, d = params.n_components, params.n_features
    size = k + k * d + k * d * d
    directions = list(np.eye(size)[: k + k * d])
    blocks = []
    for i in range(d):
        for j in range(i + 1):
            if covariance_type in ("diag", "spherical") and i != j:
                continue
            block = np.zeros((d, d))
            block[i, j] = block[j, i] = 1.0
            blocks.append(block)
    if covariance_type == "spherical":
        blocks = [np.eye(d)]
    for block in blocks:
        if covariance_type == "tied":
            u = np.zeros(size)
            u[k + k * d :] = np.tile(block.ravel(), k)
            directions.append(u)
            continue
        for component in range(k):
            u = np.zeros(size)
            start = k + k * d + component * d * d
            u[start : start + d * d] = block.ravel()
            directions.append(u)
    return directions


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_prior_score_matches_central_differences(rng, covariance_type):
    # ∇ c log p(θ) in GaussianMixtureModel.flatten's coordinates (emlib.priors.ResolvedPrior.score)
    model = emlib.GaussianMixtureModel(covariance_type)
    prior = _random_prior(rng, 2, covariance_type, dirichlet=2.5, weight=0.7)
    params = _structured_params(rng, 3, 2, covariance_type)
    score = prior.score(params)
    vector = model.flatten(params)
    assert score.shape == vector.shape
    for direction in _admissible_directions(params, covariance_type):
        step = 1e-6

        def at(h, direction=direction):
            return prior.log_density(model.unflatten(vector + h * direction, params))

        slope = (at(step) - at(-step)) / (2 * step)
        assert score @ direction == pytest.approx(slope, rel=1e-6, abs=1e-7)


def test_the_model_uses_the_prior_for_its_objective_score_and_m_step(faithful):
    model = emlib.GaussianMixtureModel("full", prior="default")
    data, weights = model.check_data(faithful), np.ones(len(faithful))
    params = _structured_params(np.random.default_rng(1), 2, 2, "full")
    resolved = ConjugatePrior().resolve(faithful, 2, "full")
    assert model.log_parameter_prior(data, weights, params) == pytest.approx(
        _scipy_log_prior(resolved, params), rel=1e-12
    )
    np.testing.assert_allclose(model.log_parameter_prior_score(data, weights, params), resolved.score(params))
    assert model.objective_is_monotone() and "prior=<ConjugatePrior>" in repr(model)
    # a resolved prior continues on any data, as it is
    fixed = emlib.GaussianMixtureModel("full", prior=resolved)
    other = faithful[:100] * 1.5
    assert fixed.log_parameter_prior(other, np.ones(100), params) == pytest.approx(
        _scipy_log_prior(resolved, params), rel=1e-12
    )


# --------------------------------------------------------------------------
# EM increases the log-posterior; collapses stay finite and bounded
# --------------------------------------------------------------------------
@settings(max_examples=40)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(4, 40),
    d=st.integers(1, 3),
    k=st.integers(1, 4),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    dirichlet=st.sampled_from([1.0, 1.5, 4.0]),
    shrinkage=st.sampled_from([0.01, 1.0]),
    method=st.sampled_from(["em", "hard", "squarem"]),
)
def test_map_em_never_lowers_the_log_posterior(seed, n, d, k, covariance_type, dirichlet, shrinkage, method):
    # book prf:ref soft-em-monotone with log p(θ) added to both sides (Fraley and Raftery 2007, section 3)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10.0, d) + rng.uniform(-50, 50, d)
    X[: n // 3] = X[0]  # duplicated rows
    sample_weight = rng.uniform(0.5, 2.0, n)
    prior = ConjugatePrior(shrinkage=shrinkage, dirichlet=dirichlet)
    model = emlib.GaussianMixtureModel(covariance_type, prior=prior)
    start = emlib.m_step(X, rng.dirichlet(np.full(k, 0.3), size=n), covariance_type=covariance_type, prior=prior)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        fit = emlib.fit_em(model, X, start, method=method, max_iter=30, tol=0.0, sample_weight=sample_weight)
    objectives = np.asarray(fit.objectives)
    assert np.all(np.isfinite(objectives))
    assert np.all(np.diff(objectives) >= -1e-9 * np.maximum(1.0, np.abs(objectives[1:])))
    assert np.all(np.isfinite(fit.params.covariances))


def _collapse_cases():
    rng = np.random.default_rng(7)
    isolated = np.vstack([rng.standard_normal((40, 2)), [[8.0, 8.0]]])
    duplicated = np.vstack([rng.standard_normal((30, 2)) * 2.0, np.repeat([[5.0, -3.0]], 12, axis=0)])
    wide = rng.standard_normal((8, 6))  # two groups of four points in D = 6 dimensions
    wide[4:] += 10.0
    return {
        "one point": (isolated, [[8.0, 8.0], [0.0, 0.0]], 1e-3),
        "duplicated rows": (duplicated, [[5.0, -3.0], [0.0, 0.0]], 1e-3),
        "D > N_k": (wide, [wide[:4].mean(axis=0), wide[4:].mean(axis=0)], 5.0),
    }


@pytest.mark.parametrize("name", list(_collapse_cases()))
def test_a_collapse_that_maximum_likelihood_makes_stays_finite_and_bounded(name):
    X, means, width = _collapse_cases()[name]
    d = X.shape[1]
    start = emlib.GMMParams([0.5, 0.5], means, [width * np.eye(d), np.cov(X.T) + np.eye(d)])
    with pytest.raises(emlib.SingularCovarianceError):
        emlib.fit_em(emlib.GaussianMixtureModel(reg_covar=0.0), X, start)
    model = emlib.GaussianMixtureModel(prior="default")
    fit = emlib.fit_em(model, X, start, max_iter=5000, tol=1e-12)
    assert fit.converged and np.all(np.isfinite(fit.objectives))
    assert np.all(np.diff(fit.objectives) >= -1e-10 * np.abs(fit.objectives[1:]))
    # every covariance is at least the prior's share cΛ / denominator_k (positive definite)
    data, weights = model.check_data(X), np.ones(len(X))
    prior = model.conjugate_prior(data, weights, 2)
    floors = prior.floors(prior.counts_from_weights(fit.params.weights, len(X)), len(X))
    for covariance, floor in zip(fit.params.covariances, floors):
        assert np.min(np.linalg.eigvalsh(covariance - floor)) >= -1e-12 * np.max(np.abs(covariance))
    if name != "D > N_k":
        assert fit.degenerate.tolist() == [True, False]  # the data of component 0 have no spread
    else:  # both components hold fewer than D + 1 points: their scatter is singular
        assert np.all(fit.params.weights * len(X) < d + 1) and np.all(fit.degenerate)
    # bounded: a spike of width σ → 0 on a data point raises ℓ without bound but the posterior falls
    spikes = [
        emlib.GMMParams([0.5, 0.5], means, [s**2 * np.eye(d), np.cov(X.T) + np.eye(d)])
        for s in 10.0 ** -np.arange(2, 12)
    ]
    posteriors = [emlib.log_likelihood(X, p) + model.log_parameter_prior(data, weights, p) for p in spikes]
    assert np.all(np.diff(posteriors) < 0) and max(posteriors) < fit.objectives[-1]


def test_well_supported_components_are_not_degenerate_and_the_criterion_is_one_pseudo_observation():
    # iris, K = 2, "full": setosa owes about two-thirds of its petal-width variance to mclust's prior,
    # yet it holds 50 flowers; degenerate means less spread than one observation of the prior
    case = next(c for c in CASES if _case_id(c) == "iris-G2-VVV")
    X, z = _start(case)
    model = emlib.GaussianMixtureModel("full", prior="default")
    fit = emlib.fit_em(model, X, emlib.m_step(X, z, prior="default"), max_iter=10_000, tol=0.0, method="squarem")
    assert not np.any(fit.degenerate)
    prior = model.conjugate_prior(model.check_data(X), np.ones(len(X)), 2)
    assert prior.pseudo_observations(2) == 4 + 2 + 4 + 2  # ν + D + 2 with ν = D + 2
    floors = prior.floors(prior.counts_from_weights(fit.params.weights, len(X)), len(X))
    ratios = [np.min(np.linalg.eigvals(np.linalg.solve(f, s - f)).real) for s, f in zip(fit.params.covariances, floors)]
    assert 1 / 12 < min(ratios) < 1  # more than one pseudo-observation, less than the prior's whole share


# --------------------------------------------------------------------------
# internal units (emlib._units): the same MAP, the objective up to the Jacobian
# --------------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_prior_in_internal_units_gives_the_same_map_and_posterior(rng, covariance_type):
    X = rng.standard_normal((30, 2)) * [3.0, 0.2] + [100.0, -4.0]
    w = rng.uniform(0.5, 3.0, 30)
    r = rng.dirichlet(np.ones(3), size=30)
    units = Units(length=2.0**5, weight=2.0**-3)
    prior = ConjugatePrior(dirichlet=2.0, shrinkage=0.5).resolve(X, 3, covariance_type, sample_weight=w)
    internal = units.conjugate_prior_in(prior)
    assert internal.weight == 8.0 and internal.shrinkage == prior.shrinkage and internal.dof == prior.dof
    outside = emlib.m_step(X, r, covariance_type=covariance_type, sample_weight=w, prior=prior)
    inside = emlib.m_step(
        units.data(X), r, covariance_type=covariance_type, sample_weight=units.weights(w), prior=internal
    )
    back = units.params_out(inside)
    np.testing.assert_allclose(back.weights, outside.weights, rtol=1e-13)
    np.testing.assert_allclose(back.means, outside.means, rtol=1e-13)
    np.testing.assert_allclose(back.covariances, outside.covariances, rtol=1e-12, atol=1e-14)
    # u · c' log p'(θ') = c log p(θ) + c log|∂θ/∂θ'|, and the objective comes back through totals_out
    jacobian = units.log_prior_jacobian(prior, 3)
    assert units.weight * internal.log_density(inside) == pytest.approx(
        prior.log_density(outside) + jacobian, rel=1e-12
    )
    model_in = emlib.GaussianMixtureModel(covariance_type, prior=internal)
    data_in, weights_in = model_in.check_data(units.data(X)), units.weights(w)
    objective_in = emlib.log_likelihood(data_in, inside, sample_weight=weights_in) + model_in.log_parameter_prior(
        data_in, weights_in, inside
    )
    reported = units.totals_out([objective_in], float(weights_in.sum()), 2)[0] - jacobian
    expected = emlib.log_likelihood(X, outside, sample_weight=w) + prior.log_density(outside)
    assert reported == pytest.approx(expected, rel=1e-12)
    again = units.conjugate_prior_out(internal)
    np.testing.assert_allclose(again.scale, prior.scale, rtol=1e-15)
    np.testing.assert_allclose(again.mean, prior.mean, rtol=1e-15)
    assert again.weight == 1.0


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fields,error,match",
    [
        ({"mean": [[1.0, 2.0]]}, ValueError, "mean"),
        ({"mean": ["a", "b"]}, TypeError, "mean"),
        ({"mean": [np.nan, 1.0]}, ValueError, "mean"),
        ({"mean": []}, ValueError, "mean"),
        ({"shrinkage": 0.0}, ValueError, "shrinkage"),
        ({"shrinkage": -1.0}, ValueError, "shrinkage"),
        ({"shrinkage": np.inf}, ValueError, "shrinkage"),
        ({"shrinkage": "0.01"}, TypeError, "shrinkage"),
        ({"shrinkage": True}, TypeError, "shrinkage"),
        ({"dof": 0.0}, ValueError, "dof"),
        ({"dof": -2.0}, ValueError, "dof"),
        ({"dof": "4"}, TypeError, "dof"),
        ({"scale": 0.0}, ValueError, "scale"),
        ({"scale": -1.0}, ValueError, "scale"),
        ({"scale": [1.0, -1.0]}, ValueError, "scale"),
        ({"scale": [[1.0, 2.0], [0.0, 1.0]]}, ValueError, "symmetric"),
        ({"scale": [[1.0, 2.0], [2.0, 1.0]]}, ValueError, "positive definite"),
        ({"scale": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]}, ValueError, "scale"),
        ({"scale": [[[1.0]]]}, ValueError, "scale"),
        ({"scale": "big"}, TypeError, "scale"),
        ({"scale": [[np.nan, 0.0], [0.0, 1.0]]}, ValueError, "scale"),
        ({"dirichlet": 0.5}, ValueError, "dirichlet"),
        ({"dirichlet": 0.0}, ValueError, "dirichlet"),
        ({"dirichlet": "1"}, TypeError, "dirichlet"),
        ({"dirichlet": np.nan}, ValueError, "dirichlet"),
    ],
)
def test_bad_fields_are_refused(fields, error, match):
    with pytest.raises(error, match=match):
        ConjugatePrior(**fields)


def test_fields_that_do_not_fit_the_data_are_refused(faithful):
    with pytest.raises(ValueError, match="mean has 3 entries"):
        ConjugatePrior(mean=[1.0, 2.0, 3.0]).resolve(faithful, 2, "full")
    with pytest.raises(ValueError, match="scale is for D = 3"):
        ConjugatePrior(scale=np.eye(3)).resolve(faithful, 2, "full")
    with pytest.raises(ValueError, match="dof must exceed D − 1 = 1"):
        ConjugatePrior(dof=0.5).resolve(faithful, 2, "tied")
    assert ConjugatePrior(dof=0.5).resolve(faithful, 2, "diag").dof == 0.5  # inverse-gamma: ν > 0 suffices
    with pytest.raises(ValueError, match="Σ sample_weight > 1"):
        ConjugatePrior().resolve(faithful, 2, "full", sample_weight=np.full(len(faithful), 1e-3))
    with pytest.raises(ValueError, match="n_components"):
        ConjugatePrior().resolve(faithful, 0, "full")
    with pytest.raises(ValueError, match="covariance_type"):
        ConjugatePrior().resolve(faithful, 2, "banana")
    resolved = ConjugatePrior().resolve(faithful, 2, "full")
    with pytest.raises(ValueError, match="resolved for covariance_type 'full'"):
        emlib.m_step(faithful, np.full((len(faithful), 2), 0.5), covariance_type="diag", prior=resolved)
    with pytest.raises(ValueError, match="D = 2 features"):
        emlib.m_step(faithful[:, :1], np.full((len(faithful), 2), 0.5), prior=resolved)
    with pytest.raises(ValueError, match="weight"):
        ResolvedPrior("full", [0.0], 0.01, 3.0, [[1.0]], weight=0.0)
    with pytest.raises(ValueError, match="covariance_type"):
        ResolvedPrior("round", [0.0], 0.01, 3.0, [[1.0]])


def test_the_prior_excludes_the_other_regularisers(faithful):
    r = np.full((len(faithful), 2), 0.5)
    with pytest.raises(ValueError, match="not both"):
        emlib.GaussianMixtureModel(reg_covar=0.1, prior="default")
    with pytest.raises(ValueError, match="not both"):
        emlib.GaussianMixtureModel(covariance_prior=np.eye(2), prior="default")
    model = emlib.GaussianMixtureModel(prior="default")
    with pytest.raises(ValueError, match="not both"):
        model.reg_covar = 0.1
    with pytest.raises(ValueError, match="not both"):
        model.covariance_prior = np.eye(2)
    with pytest.raises(ValueError, match="not both"):
        emlib.m_step(faithful, r, reg_covar=0.1, prior="default")
    with pytest.raises(ValueError, match="not both"):
        emlib.m_step(faithful, r, covariance_prior=np.eye(2), prior="default")
    with pytest.raises(ValueError, match="'default'"):
        emlib.GaussianMixtureModel(prior="mclust")
    with pytest.raises(TypeError, match="ConjugatePrior"):
        emlib.GaussianMixtureModel(prior=0.01)
    assert isinstance(check_prior("default"), ConjugatePrior) and check_prior(None) is None
    # reg_covar=0 (maximum likelihood otherwise) is compatible: the prior is the only regulariser
    assert emlib.GaussianMixtureModel(reg_covar=0.0, prior="default").objective_is_monotone()
