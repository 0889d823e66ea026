"""emlib.fit_gmm and emlib.EMResult: the EM loop, stopping rule, regularisation, restarts."""

import warnings

import numpy as np
import pytest

import emlib


def _faithful_init():
    """A deliberately poor but valid start for the Old Faithful data."""
    return emlib.GMMParams(
        [0.5, 0.5],
        [[2.5, 60.0], [4.0, 75.0]],
        [np.diag([1.0, 100.0]), np.diag([1.0, 100.0])],
    )


def _three_blobs(rng, n=600):
    params = emlib.GMMParams(
        [0.2, 0.3, 0.5],
        [[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]],
        [np.eye(2), [[1.0, 0.5], [0.5, 1.0]], [[0.5, 0.0], [0.0, 2.0]]],
    )
    x, labels = emlib.datasets.sample_gmm(params, n, rng)
    return params, x, labels


# --------------------------------------------------------------------------
# the GMMFit record
# --------------------------------------------------------------------------
def test_fit_record_is_consistent(faithful):
    init = _faithful_init()
    fit = emlib.fit_gmm(faithful, 2, init=init)
    assert isinstance(fit, emlib.EMResult)
    assert isinstance(fit.params, emlib.GMMParams)
    assert fit.params.n_components == 2 and fit.params.n_features == 2
    assert fit.converged is True or fit.converged == np.True_
    assert isinstance(fit.n_iter, (int, np.integer)) and fit.n_iter >= 1
    ll = np.asarray(fit.log_likelihoods)
    assert ll.shape == (fit.n_iter + 1,)
    # entry 0 is the initial parameters, the last one the fitted parameters
    np.testing.assert_allclose(ll[0], emlib.log_likelihood(faithful, init), rtol=1e-13)
    np.testing.assert_allclose(ll[-1], emlib.log_likelihood(faithful, fit.params), rtol=1e-13)
    assert fit.posterior.shape == (272, 2)
    np.testing.assert_allclose(fit.posterior, emlib.e_step(faithful, fit.params), rtol=1e-13, atol=1e-15)
    # the default is a data-scaled prior, Ψ = 1e-6 N T with T the (biased) data covariance,
    # book eq. (soft-em-data-prior) and (soft-em-data-scale); nothing absolute is added
    assert fit.model.reg_covar is None
    np.testing.assert_allclose(
        fit.model.covariance_prior, 1e-6 * len(faithful) * np.cov(faithful.T, bias=True), rtol=1e-12
    )
    # the objective is the log-posterior ℓ − ½ Σ_k tr(Ψ Σ_k⁻¹), book eq. (soft-em-map-objective)
    penalty = sum(np.trace(fit.model.covariance_prior @ np.linalg.inv(c)) for c in fit.params.covariances)
    np.testing.assert_allclose(fit.objectives[-1], ll[-1] - 0.5 * penalty, rtol=1e-13)


def test_fit_result_is_immutable(faithful):
    fit = emlib.fit_gmm(faithful, 2, init=_faithful_init())
    with pytest.raises(AttributeError):
        fit.n_iter = 0
    with pytest.raises(AttributeError):
        fit.params = _faithful_init()


def test_each_iteration_is_an_e_step_then_an_m_step(faithful):
    # θ_{t+1} = m_step(X, e_step(X, θ_t)), ℓ_t = log_likelihood(X, θ_t)
    init = _faithful_init()
    reg = 1e-4
    with pytest.warns(emlib.ConvergenceWarning):
        fit = emlib.fit_gmm(faithful, 2, init=init, max_iter=4, tol=0.0, reg_covar=reg)
    assert fit.n_iter == 4 and not fit.converged
    params = init
    lls = [emlib.log_likelihood(faithful, params)]
    for _ in range(4):
        params = emlib.m_step(faithful, emlib.e_step(faithful, params), reg_covar=reg)
        lls.append(emlib.log_likelihood(faithful, params))
    np.testing.assert_allclose(fit.log_likelihoods, lls, rtol=1e-12)
    np.testing.assert_allclose(fit.params.weights, params.weights, rtol=1e-11)
    np.testing.assert_allclose(fit.params.means, params.means, rtol=1e-11)
    np.testing.assert_allclose(fit.params.covariances, params.covariances, rtol=1e-11)
    assert fit.model.reg_covar == reg


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_fitted_covariances_have_the_requested_structure(rng, covariance_type):
    _, x, _ = _three_blobs(rng, 300)
    fit = emlib.fit_gmm(x, 3, covariance_type=covariance_type, random_state=0, tol=1e-12)
    c = fit.params.covariances
    assert c.shape == (3, 2, 2)
    if covariance_type in ("diag", "spherical"):
        np.testing.assert_array_equal(c[:, 0, 1], 0.0)
        np.testing.assert_array_equal(c[:, 1, 0], 0.0)
    if covariance_type == "spherical":
        np.testing.assert_array_equal(c[:, 0, 0], c[:, 1, 1])
    if covariance_type == "tied":
        np.testing.assert_array_equal(c, np.broadcast_to(c[0], c.shape))
    # the fixed point of the EM map with this structure
    again = emlib.m_step(
        x,
        fit.posterior,
        covariance_type=covariance_type,
        reg_covar=fit.model.reg_covar,
        covariance_prior=fit.model.covariance_prior,
    )
    np.testing.assert_allclose(again.covariances, c, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------
# monotonicity and the stopping rule, book eq. (soft-em-stopping)
# --------------------------------------------------------------------------
def test_log_likelihood_non_decreasing_without_regularisation(faithful):
    fit = emlib.fit_gmm(faithful, 2, init=_faithful_init(), reg_covar=0.0, tol=1e-10)
    ll = fit.log_likelihoods
    assert fit.n_iter > 5
    assert np.all(np.diff(ll) >= -1e-9 * np.abs(ll[1:]))
    assert ll[-1] > ll[0] + 100  # a poor start, a real improvement


@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-8])
def test_stopping_rule(faithful, tol):
    # stop at the first t with (ℓ_{t+1} − ℓ_t) / Σ_n w_n <= tol
    fit = emlib.fit_gmm(faithful, 2, init=_faithful_init(), tol=tol)
    assert fit.converged
    inc = np.diff(fit.objectives) / len(faithful)
    assert inc[-1] <= tol
    assert np.all(inc[:-1] > tol)


def test_stopping_rule_uses_total_weight(faithful):
    # with sample weights, the increment is divided by Σ_n w_n (not by N)
    w = np.full(len(faithful), 3.0)
    fit = emlib.fit_gmm(faithful, 2, init=_faithful_init(), tol=1e-5, sample_weight=w)
    inc = np.diff(fit.objectives) / w.sum()
    assert inc[-1] <= 1e-5
    assert np.all(inc[:-1] > 1e-5)
    plain = emlib.fit_gmm(faithful, 2, init=_faithful_init(), tol=1e-5)
    assert fit.n_iter == plain.n_iter
    np.testing.assert_allclose(fit.log_likelihoods, 3 * plain.log_likelihoods, rtol=1e-12)


def test_smaller_tol_runs_longer_and_gets_higher(faithful):
    loose = emlib.fit_gmm(faithful, 2, init=_faithful_init(), tol=1e-2)
    tight = emlib.fit_gmm(faithful, 2, init=_faithful_init(), tol=1e-9)
    assert tight.n_iter > loose.n_iter
    assert tight.log_likelihoods[-1] >= loose.log_likelihoods[-1]
    np.testing.assert_allclose(tight.log_likelihoods[: loose.n_iter + 1], loose.log_likelihoods, rtol=1e-13)


def test_tol_zero_runs_max_iter(faithful):
    with pytest.warns(emlib.ConvergenceWarning):
        fit = emlib.fit_gmm(faithful, 2, init=_faithful_init(), tol=0.0, max_iter=15)
    assert fit.n_iter == 15
    assert not fit.converged
    assert len(fit.log_likelihoods) == 16


def test_max_iter_zero_evaluates_the_start(faithful):
    init = _faithful_init()
    fit = emlib.fit_gmm(faithful, 2, init=init, max_iter=0)
    assert fit.n_iter == 0
    assert len(fit.log_likelihoods) == 1
    np.testing.assert_array_equal(fit.params.means, init.means)
    np.testing.assert_array_equal(fit.params.covariances, init.covariances)
    np.testing.assert_allclose(fit.log_likelihoods[0], emlib.log_likelihood(faithful, init), rtol=1e-14)


def test_convergence_warning_when_max_iter_too_small(faithful):
    assert issubclass(emlib.ConvergenceWarning, UserWarning)
    with pytest.warns(emlib.ConvergenceWarning, match="max_iter"):
        fit = emlib.fit_gmm(faithful, 2, init=_faithful_init(), max_iter=2, tol=1e-10)
    assert not fit.converged
    assert fit.n_iter == 2


def test_no_warning_when_converged(faithful):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = emlib.fit_gmm(faithful, 2, init=_faithful_init())
    assert fit.converged


# --------------------------------------------------------------------------
# known answers
# --------------------------------------------------------------------------
def test_old_faithful_two_component_mle(faithful):
    # the well-known maximum-likelihood fit (e.g. R mclust, model "VVV", G = 2)
    fit = emlib.fit_gmm(faithful, 2, reg_covar=0.0, tol=1e-12, random_state=0)
    order = np.argsort(fit.params.means[:, 0])
    p = fit.params
    np.testing.assert_allclose(p.weights[order], [0.3559, 0.6441], atol=2e-4)
    np.testing.assert_allclose(p.means[order], [[2.0364, 54.4789], [4.2897, 79.9681]], rtol=1e-4)
    np.testing.assert_allclose(
        p.covariances[order],
        [[[0.0692, 0.4352], [0.4352, 33.6973]], [[0.1700, 0.9406], [0.9406, 36.0462]]],
        rtol=1e-3,
    )
    np.testing.assert_allclose(fit.log_likelihoods[-1], -1130.264, atol=2e-3)


def test_single_component_is_the_sample_mean_and_covariance(rng):
    x = rng.standard_normal((50, 3)) @ np.array([[1.0, 0.2, 0.0], [0.0, 1.0, 0.4], [0.0, 0.0, 0.5]])
    fit = emlib.fit_gmm(x, 1, reg_covar=0.0, random_state=0)
    np.testing.assert_allclose(fit.params.weights, [1.0])
    np.testing.assert_allclose(fit.params.means[0], x.mean(axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fit.params.covariances[0], np.cov(x.T, bias=True), rtol=1e-12)
    np.testing.assert_array_equal(fit.posterior, 1.0)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_recovers_known_parameters_from_sample_gmm(covariance_type):
    rng = np.random.default_rng(7)
    covs = (
        [[[1.0, 0.6], [0.6, 1.0]], [[0.5, -0.2], [-0.2, 0.8]], [[2.0, 0.0], [0.0, 0.3]]]
        if covariance_type == "full"
        else [np.diag([1.0, 0.4]), np.diag([0.5, 0.8]), np.diag([2.0, 0.3])]
    )
    truth = emlib.GMMParams([0.25, 0.35, 0.4], [[-8.0, 0.0], [0.0, 8.0], [8.0, -2.0]], covs)
    n = 4000
    x, labels = emlib.datasets.sample_gmm(truth, n, rng)
    fit = emlib.fit_gmm(x, 3, covariance_type=covariance_type, n_init=2, random_state=1)
    perm = np.argmin(np.linalg.norm(fit.params.means[:, None] - truth.means[None], axis=2), axis=0)
    assert sorted(perm) == [0, 1, 2]  # a one-to-one matching
    p = fit.params
    # standard errors: weights ~ sqrt(π(1-π)/n) ≈ 0.008, means ~ sqrt(σ²/(nπ)) <= 0.05
    np.testing.assert_allclose(p.weights[perm], truth.weights, atol=0.03)
    np.testing.assert_allclose(p.means[perm], truth.means, atol=0.15)
    np.testing.assert_allclose(p.covariances[perm], truth.covariances, atol=0.2)
    # and the hard labels agree with the generating labels almost everywhere
    hard = np.argmax(fit.posterior[:, perm], axis=1)
    assert np.mean(hard == labels) > 0.99


# --------------------------------------------------------------------------
# random_state and n_init
# --------------------------------------------------------------------------
def test_same_random_state_gives_identical_results(rng):
    _, x, _ = _three_blobs(rng, 300)
    a = emlib.fit_gmm(x, 3, random_state=123, n_init=2)
    b = emlib.fit_gmm(x, 3, random_state=123, n_init=2)
    np.testing.assert_array_equal(a.params.means, b.params.means)
    np.testing.assert_array_equal(a.params.covariances, b.params.covariances)
    np.testing.assert_array_equal(a.log_likelihoods, b.log_likelihoods)
    c = emlib.fit_gmm(x, 3, random_state=np.random.default_rng(5))
    d = emlib.fit_gmm(x, 3, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(c.params.means, d.params.means)
    np.testing.assert_array_equal(c.log_likelihoods, d.log_likelihoods)


def test_random_state_none_works(rng):
    _, x, _ = _three_blobs(rng, 200)
    fit = emlib.fit_gmm(x, 3, random_state=None)
    assert np.all(np.isfinite(fit.params.means))
    assert np.isfinite(fit.log_likelihoods[-1])


def _many_local_optima():
    # 8 tight, equal blobs on a ring: k-means++ with K = 4 lands in different optima
    rng = np.random.default_rng(11)
    angles = np.arange(8) * 2 * np.pi / 8
    centres = 10 * np.column_stack([np.cos(angles), np.sin(angles)])
    return np.repeat(centres, 40, axis=0) + 0.8 * rng.standard_normal((320, 2))


def test_n_init_keeps_the_best_run():
    # fit_gmm draws the starts of its n_init runs one after another from the random_state
    # Generator, so m single-run fits sharing one Generator reproduce the m runs.
    x = _many_local_optima()
    m = 6
    shared = np.random.default_rng(2024)
    singles = [emlib.fit_gmm(x, 4, random_state=shared) for _ in range(m)]
    finals = np.array([s.log_likelihoods[-1] for s in singles])
    assert np.ptp(finals) > 1.0, "the runs should reach different optima for the test to mean anything"
    best = emlib.fit_gmm(x, 4, n_init=m, random_state=np.random.default_rng(2024))
    assert best.log_likelihoods[-1] == finals.max()
    winner = singles[int(np.argmax(finals))]
    np.testing.assert_array_equal(best.params.means, winner.params.means)
    np.testing.assert_array_equal(best.log_likelihoods, winner.log_likelihoods)


def test_n_init_never_worse_than_first_run():
    x = _many_local_optima()
    for seed in range(3):
        one = emlib.fit_gmm(x, 4, n_init=1, random_state=seed)
        many = emlib.fit_gmm(x, 4, n_init=5, random_state=seed)
        assert many.log_likelihoods[-1] >= one.log_likelihoods[-1]


# --------------------------------------------------------------------------
# regularisation, book eq. (soft-em-reg-covar)
# --------------------------------------------------------------------------
def test_reg_covar_float_is_absolute_and_zero_is_pure_ml(faithful):
    with pytest.warns(emlib.DegenerateFitWarning):  # 0.5 min² dominates the eruption lengths' spread
        fit = emlib.fit_gmm(faithful, 2, init=_faithful_init(), reg_covar=0.5)
    assert fit.model.reg_covar == 0.5 and fit.model.covariance_prior is None
    again = emlib.m_step(faithful, fit.posterior, reg_covar=0.5)
    np.testing.assert_allclose(again.covariances, fit.params.covariances, rtol=1e-4)
    fit0 = emlib.fit_gmm(faithful, 2, init=_faithful_init(), reg_covar=0)
    assert fit0.model.reg_covar == 0.0 and fit0.model.covariance_prior is None


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_default_prior_uses_the_weighted_data_scale(rng, covariance_type):
    # book eq. (soft-em-data-scale): T is the weighted covariance (full, tied), its diagonal
    # (diag) or the mean variance times I (spherical); Ψ = 1e-6 (Σ w) T, eq. (soft-em-data-prior)
    x = rng.standard_normal((100, 3)) @ [[1.0, 0.3, 0.0], [0.0, 10.0, 2.0], [0.0, 0.0, 0.1]] + [5.0, -3.0, 100.0]
    w = rng.uniform(0.0, 4.0, size=100)
    fit = emlib.fit_gmm(x, 2, sample_weight=w, random_state=0, covariance_type=covariance_type, tol=1e-13)
    covariance = np.cov(x.T, aweights=w, bias=True)
    scale = {
        "full": covariance,
        "tied": covariance,
        "diag": np.diag(np.diag(covariance)),
        "spherical": np.mean(np.diag(covariance)) * np.eye(3),
    }[covariance_type]
    np.testing.assert_allclose(fit.model.covariance_prior, 1e-6 * w.sum() * scale, rtol=1e-10, atol=1e-22)
    # and the fit is a fixed point of the MAP M-step Σ_k = (S_k + Ψ) / N_k, eq. (soft-em-map-sigma)
    r = fit.posterior * w[:, np.newaxis]
    counts = r.sum(axis=0)
    if covariance_type == "full":
        for k in range(2):
            centred = x - fit.params.means[k]
            scatter = (centred * r[:, [k]]).T @ centred
            np.testing.assert_allclose(
                fit.params.covariances[k], (scatter + fit.model.covariance_prior) / counts[k], rtol=1e-4
            )


@pytest.mark.parametrize("c", [1e-3, 1.0, 1e3])
def test_relative_regularisation_is_scale_equivariant(faithful, c):
    # fitting c·X from the c-scaled start with the default reg_covar gives the c-scaled fit,
    # and log p(cX | cθ) = log p(X | θ) − N·D·log c
    init = _faithful_init()
    scaled_init = emlib.GMMParams(init.weights, c * init.means, c**2 * init.covariances)
    base = emlib.fit_gmm(faithful, 2, init=init, tol=1e-8)
    fit = emlib.fit_gmm(c * faithful, 2, init=scaled_init, tol=1e-8)
    n, d = faithful.shape
    np.testing.assert_allclose(fit.model.covariance_prior, c**2 * base.model.covariance_prior, rtol=1e-12)
    assert fit.n_iter == base.n_iter
    np.testing.assert_allclose(fit.params.weights, base.params.weights, rtol=1e-8)
    np.testing.assert_allclose(fit.params.means, c * base.params.means, rtol=1e-8)
    np.testing.assert_allclose(fit.params.covariances, c**2 * base.params.covariances, rtol=1e-8)
    np.testing.assert_allclose(fit.log_likelihoods, base.log_likelihoods - n * d * np.log(c), rtol=1e-8)


# --------------------------------------------------------------------------
# collapse onto a point: a clear error, never a NaN fit
# --------------------------------------------------------------------------
def _duplicated_points_data(rng):
    x = np.concatenate([np.zeros(5), 10 + rng.standard_normal(40)])[:, None]
    init = emlib.GMMParams([0.5, 0.5], [[0.0], [10.0]], [[[0.01]], [[1.0]]])
    return x, init


def test_collapse_onto_duplicated_points_raises(rng):
    x, init = _duplicated_points_data(rng)
    with pytest.raises(ValueError, match=r"(?s)component 0.*reg_covar"):
        emlib.fit_gmm(x, 2, init=init, reg_covar=0.0)
    # the default prior keeps the fit finite, and reports the collapsed component
    with pytest.warns(emlib.DegenerateFitWarning, match=r"components \[0\]"):
        fit = emlib.fit_gmm(x, 2, init=init)
    assert np.all(np.isfinite(fit.params.covariances))
    assert np.isfinite(fit.log_likelihoods).all()
    assert fit.degenerate.tolist() == [True, False]
    floor = fit.model.covariance_prior / (fit.params.weights[0] * len(x))  # Ψ / N_0: all that is left
    assert fit.params.covariances[0, 0, 0] == pytest.approx(floor[0, 0], rel=1e-6)


def test_collapse_onto_single_point_raises(rng):
    x = np.vstack([rng.standard_normal((40, 2)), [[30.0, -30.0]]])
    init = emlib.GMMParams([0.9, 0.1], [[0.0, 0.0], [30.0, -30.0]], [np.eye(2), 0.01 * np.eye(2)])
    with pytest.raises(ValueError, match=r"(?s)component 1.*reg_covar"):
        emlib.fit_gmm(x, 2, init=init, reg_covar=0.0)


def test_collapse_onto_a_line_raises():
    # component 0 starts on 10 (numerically) collinear points and collapses onto that line:
    # pure ML drives its covariance to a singular matrix. This must be reported, not
    # "converge" to a covariance of condition number ~1e16 with a rounding-noise likelihood.
    rng = np.random.default_rng(11)
    t = 3 * rng.standard_normal(10)
    a = rng.uniform(-3, 3)
    x = np.vstack([np.column_stack([t, a * t + 1]), rng.standard_normal((30, 2)) + 8])
    init = emlib.GMMParams([0.3, 0.7], [[0.0, 1.0], [8.0, 8.0]], [[[9, 9 * a], [9 * a, 9 * a * a + 0.01]], np.eye(2)])
    with pytest.raises(ValueError, match=r"(?s)component 0.*reg_covar"):
        emlib.fit_gmm(x, 2, init=init, reg_covar=0.0)


def test_singular_covariance_error_is_a_value_error(rng):
    x, init = _duplicated_points_data(rng)
    with pytest.raises(emlib.SingularCovarianceError) as info:
        emlib.fit_gmm(x, 2, init=init, reg_covar=0.0)
    assert isinstance(info.value, ValueError)
    assert info.value.component == 0


# --------------------------------------------------------------------------
# sample weights, book eq. (soft-em-sample-weights)
# --------------------------------------------------------------------------
def test_zero_weight_rows_are_ignored(faithful):
    w = np.ones(len(faithful))
    w[::7] = 0.0
    x = faithful.copy()
    x[::7] += 1000.0  # outliers that would wreck the fit if they counted
    a = emlib.fit_gmm(x, 2, init=_faithful_init(), sample_weight=w, reg_covar=1e-6)
    b = emlib.fit_gmm(faithful[w > 0], 2, init=_faithful_init(), reg_covar=1e-6)
    assert a.n_iter == b.n_iter
    np.testing.assert_allclose(a.params.means, b.params.means, rtol=1e-10)
    np.testing.assert_allclose(a.params.covariances, b.params.covariances, rtol=1e-9)
    np.testing.assert_allclose(a.log_likelihoods, b.log_likelihoods, rtol=1e-11)


def test_kmeans_init_ignores_zero_weight_rows(faithful):
    w = np.ones(len(faithful))
    x = np.vstack([faithful, [[1e4, 1e4]] * 3])
    w = np.r_[w, 0.0, 0.0, 0.0]
    fit = emlib.fit_gmm(x, 2, sample_weight=w, random_state=0)
    assert np.all(fit.params.means < 100)


def test_a_decrease_caused_by_an_absolute_reg_covar_does_not_stop_the_loop(faithful):
    # An absolute reg_covar is not the M-step of any prior, so EM may lower the log-likelihood;
    # a fall is then no sign of convergence and the rule is |ℓ_{t+1} − ℓ_t| / Σ w_n <= tol
    # (book eq. (soft-em-stopping)). Started from the unregularised optimum, the first step falls.
    ml = emlib.fit_gmm(faithful, 2, init=_faithful_init(), reg_covar=0.0, tol=1e-12).params
    with pytest.warns(emlib.DegenerateFitWarning):  # reg_covar=5 dominates the eruption lengths
        fit = emlib.fit_gmm(faithful, 2, init=ml, reg_covar=5.0, tol=1e-8)
    ll = fit.log_likelihoods
    assert ll[1] < ll[0] - 1.0
    assert fit.converged and fit.n_iter > 1
    assert abs(ll[-1] - ll[-2]) / len(faithful) <= 1e-8
    # the end is a fixed point of the regularised EM map: one more step changes nothing
    step = emlib.m_step(faithful, emlib.e_step(faithful, fit.params), reg_covar=5.0)
    np.testing.assert_allclose(step.means, fit.params.means, rtol=1e-5)


def test_a_rounding_level_fall_stops_maximum_likelihood_and_map_em(faithful):
    # for EM and MAP-EM a fall can only be rounding: run to the optimum with tol=0 and the loop
    # still ends, converged, before max_iter
    for reg_covar in (0.0, None):
        fit = emlib.fit_gmm(faithful, 2, init=_faithful_init(), reg_covar=reg_covar, tol=0.0, max_iter=5000)
        assert fit.converged and fit.n_iter < 5000
        assert np.all(np.diff(fit.objectives) >= -1e-9 * np.abs(fit.objectives[1:]))
