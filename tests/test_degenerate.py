"""Degenerate data: handled, documented, tested; and exact scale and translation equivariance."""

import warnings

import numpy as np
import pytest

import emlib


def assert_valid_fit(fit, n_samples, n_components):
    params = fit.params
    assert np.all(np.isfinite(fit.log_likelihoods))
    assert params.weights.sum() == pytest.approx(1.0, abs=1e-12) and np.all(params.weights >= 0)
    assert np.all(np.isfinite(params.means)) and np.all(np.isfinite(params.covariances))
    np.linalg.cholesky(params.covariances)  # positive definite
    assert fit.posterior.shape == (n_samples, n_components)
    np.testing.assert_allclose(fit.posterior.sum(axis=1), 1.0, rtol=1e-12)


def two_blobs(seed=0, n=60, d=2):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(size=(n // 2, d)), rng.normal(size=(n // 2, d)) + 4.0])


def test_duplicate_rows():
    X = np.repeat(two_blobs(), 3, axis=0)
    assert_valid_fit(emlib.fit_gmm(X, 2, random_state=0), X.shape[0], 2)


def test_all_rows_identical():
    # one distinct point: a single component at the point with the fallback data scale, flagged
    # degenerate (the data have no spread at all); more components than distinct rows is refused
    # with a message naming n_components
    X = np.tile([2.0, -1.0], (25, 1))
    with pytest.warns(emlib.DegenerateFitWarning, match="degenerate components"):
        fit = emlib.fit_gmm(X, 1)
    assert_valid_fit(fit, 25, 1)
    assert fit.degenerate.tolist() == [True]
    np.testing.assert_allclose(fit.params.means[0], [2.0, -1.0])
    # the borrowed scale is the mean squared value: Ψ = 1e-6 N (mean x²) I, so Σ = Ψ / N
    np.testing.assert_allclose(fit.params.covariances[0], 1e-6 * 2.5 * np.eye(2), rtol=1e-12)
    # an explicit absolute reg_covar is all the covariance there is
    with pytest.warns(emlib.DegenerateFitWarning):
        absolute = emlib.fit_gmm(X, 1, reg_covar=1e-3)
    np.testing.assert_allclose(absolute.params.covariances[0], 1e-3 * np.eye(2), rtol=1e-12)
    with pytest.raises(ValueError, match="n_components"):
        emlib.fit_gmm(X, 2)


def test_more_dimensions_than_rows():
    X = np.random.default_rng(1).normal(size=(6, 10))
    with pytest.warns(emlib.DegenerateFitWarning):  # six rows span five of the ten dimensions
        fit = emlib.fit_gmm(X, 2, random_state=0)
    assert_valid_fit(fit, 6, 2)  # the default prior keeps Σ_k definite
    assert np.all(fit.degenerate)
    with pytest.raises(emlib.SingularCovarianceError, match="component"):
        emlib.fit_gmm(X, 1, reg_covar=0.0)


def test_a_component_collapsing_onto_one_point():
    # a start that puts a narrow component on one isolated point
    X = np.vstack([two_blobs(), [[20.0, 20.0]]])
    start = emlib.GMMParams(
        [0.45, 0.45, 0.1], [[0.0, 0.0], [4.0, 4.0], [20.0, 20.0]], [np.eye(2), np.eye(2), 0.01 * np.eye(2)]
    )
    with pytest.warns(emlib.DegenerateFitWarning, match=r"components \[2\]"):
        fit = emlib.fit_gmm(X, 3, init=start)
    assert_valid_fit(fit, X.shape[0], 3)
    assert fit.degenerate.tolist() == [False, False, True]  # reported, not silent
    with pytest.raises(emlib.SingularCovarianceError, match="component 2") as error:
        emlib.fit_gmm(X, 3, init=start, reg_covar=0.0)
    assert error.value.component == 2 and "reg_covar" in str(error.value)


def test_a_component_that_loses_all_its_points_in_soft_em():
    # a component so far away that its responsibilities underflow to exactly 0: it gets weight 0
    # and keeps its parameters (book: the empty-component rule), instead of a NaN or an error
    X = two_blobs()
    start = emlib.GMMParams([0.4, 0.4, 0.2], [[0.0, 0.0], [4.0, 4.0], [1e4, 1e4]], np.stack([np.eye(2)] * 3))
    with pytest.warns(emlib.DegenerateFitWarning):
        fit = emlib.fit_gmm(X, 3, init=start)
        squarem = emlib.fit_gmm(X, 3, init=start, method="squarem")
    assert_valid_fit(fit, X.shape[0], 3)
    assert fit.params.weights[2] == 0.0 and fit.degenerate.tolist() == [False, False, True]
    np.testing.assert_array_equal(fit.params.means[2], [1e4, 1e4])
    assert_valid_fit(squarem, X.shape[0], 3)
    assert squarem.params.weights[2] == 0.0
    # the public m_step, which has no previous parameters, says what is wrong
    with pytest.raises(ValueError, match="component 2 has no responsibility"):
        emlib.m_step(X, emlib.e_step(X, start), reg_covar=0.0)


def test_a_binomial_component_that_loses_all_its_runs():
    model = emlib.BinomialMixture(n_trials=10)
    heads = np.array([0, 1, 0, 1, 0, 2])
    start = emlib.BinomialMixtureParams([0.5, 0.5], [0.1, 1.0])  # the second coin cannot give a tail
    result = emlib.fit_em(model, heads, start)
    assert result.params.weights[1] == 0.0 and result.params.probabilities[1] == 1.0
    assert np.all(np.isfinite(result.log_likelihoods))


def test_points_far_from_every_component():
    params = emlib.GMMParams([0.5, 0.5], [[0.0, 0.0], [1.0, 0.0]], np.stack([np.eye(2)] * 2))
    X = np.array([[1e5, 1e5], [-3e7, 2e7], [0.5, 1e6]])
    responsibilities = emlib.e_step(X, params)
    assert np.all(np.isfinite(responsibilities))
    np.testing.assert_allclose(responsibilities.sum(axis=1), 1.0, rtol=1e-14)
    assert np.isfinite(emlib.log_likelihood(X, params))


@pytest.mark.parametrize("transform", ["scale 1e-150", "scale 1e150", "offset 1e10"])
def test_extreme_scales_and_offsets_fit(transform):
    X = two_blobs(2)
    kind, amount = transform.split()
    data = X * float(amount) if kind == "scale" else X + float(amount)
    fit = emlib.fit_gmm(data, 2, random_state=0)
    assert_valid_fit(fit, X.shape[0], 2)


SCALES = [1e-8, 1e-3, 1.0, 1e3, 1e8]
OFFSETS = [0.0, 1e3, 1e8]  # in the data's own units: the transformed data are c (X + o)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_scale_and_translation_equivariance(scale, offset, covariance_type):
    # fitting c (X + o) from the transformed start gives the transformed fit, and log-likelihoods
    # shifted by exactly −N D log c (book eq. (soft-em-data-prior): the default prior scale is
    # the data's, so it transforms too). X is dyadic, so X + o is exact.
    X = np.round(two_blobs(3, n=80) * 64) / 64
    start = emlib.GMMParams([0.3, 0.7], [[-1.0, 0.5], [3.0, 3.5]], [np.diag([2.0, 1.0]), np.diag([1.5, 0.5])])
    transformed_start = emlib.GMMParams(start.weights, scale * (start.means + offset), scale**2 * start.covariances)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        # five iterations, short of convergence, so that both runs do the same number of steps
        reference = emlib.fit_gmm(X, 2, init=start, covariance_type=covariance_type, tol=0.0, max_iter=5)
        moved = emlib.fit_gmm(
            scale * (X + offset), 2, init=transformed_start, covariance_type=covariance_type, tol=0.0, max_iter=5
        )
    assert moved.n_iter == reference.n_iter == 5
    np.testing.assert_allclose(moved.model.covariance_prior, scale**2 * reference.model.covariance_prior, rtol=1e-8)
    np.testing.assert_allclose(moved.params.weights, reference.params.weights, rtol=1e-8)
    np.testing.assert_allclose(moved.params.means, scale * (reference.params.means + offset), rtol=1e-8)
    np.testing.assert_allclose(
        moved.params.covariances, scale**2 * reference.params.covariances, rtol=1e-8, atol=1e-8 * scale**2
    )
    shift = -X.size * np.log(scale)
    np.testing.assert_allclose(moved.log_likelihoods, reference.log_likelihoods + shift, rtol=1e-8)


def test_same_random_state_gives_bit_identical_fits():
    X = two_blobs(4, n=200)
    first = emlib.fit_gmm(X, 3, random_state=7, n_init=3)
    second = emlib.fit_gmm(X, 3, random_state=7, n_init=3)
    for name in ("weights", "means", "covariances"):
        np.testing.assert_array_equal(getattr(first.params, name), getattr(second.params, name))
    np.testing.assert_array_equal(first.log_likelihoods, second.log_likelihoods)
    np.testing.assert_array_equal(first.posterior, second.posterior)
    hard = [emlib.fit_gmm(X, 3, random_state=7, method="hard") for _ in range(2)]
    np.testing.assert_array_equal(hard[0].params.means, hard[1].params.means)


# Regressions found by wider random runs of tests/test_fuzz.py: each raised a warning, returned
# -inf, or was wrongly refused.
def test_history_beyond_float64_is_an_error_not_minus_infinity():
    params = emlib.GMMParams([1.0], [[0.0]], [[[1.0]]])
    with pytest.raises(ValueError, match="beyond the range of float64"):
        emlib.GaussianMixtureModel().log_likelihood([[1e150]], params, sample_weight=[1e10])
    with pytest.raises(ValueError, match="beyond the range of float64"):
        emlib.fit_em(
            emlib.GaussianMixtureModel(),
            [[2.2]],
            emlib.GMMParams([1.0], [[-0.4]], [[[1e-302]]]),
            max_iter=3,
            sample_weight=[1.5e6],
        )


def test_huge_tolerance_and_weights_do_not_overflow_the_stopping_rule():
    fit = emlib.fit_gmm([[0.0], [1.0], [2.0]], 1, tol=1e300, sample_weight=[1e9] * 3, random_state=0)
    assert fit.converged and fit.n_iter == 1


def test_squarem_at_extreme_scale_falls_back_to_plain_steps():
    X = np.random.default_rng(0).normal(size=(20, 1)) * 1e78
    with pytest.warns(emlib.DegenerateFitWarning):  # one component ends on a single point, at any scale
        fast = emlib.fit_gmm(X, 2, method="squarem", random_state=0)
    assert np.all(np.isfinite(fast.log_likelihoods))


def test_rows_closer_than_float64_resolves_cannot_seed_separate_clusters():
    with pytest.raises(ValueError, match="n_components=3"):
        emlib.fit_gmm([[1e-187], [0.0], [1.0]], 3, random_state=0)


def test_jacobian_at_huge_covariance_scale():
    from emlib import gradient

    X = np.array([[-1e80], [0.0], [1e80]])
    jacobian = gradient.em_map_jacobian(X, emlib.GMMParams([1.0], [[0.0]], [[[1e160]]]))
    assert np.all(np.isfinite(jacobian))


def test_m_step_accepts_rows_within_the_documented_tolerance():
    X = np.random.default_rng(0).normal(size=(10, 2))
    params = emlib.m_step(X, np.full((10, 2), 0.5) * (1 + 1e-7), reg_covar=0.0)
    np.testing.assert_allclose(params.weights, [0.5, 0.5], rtol=1e-15)


# Regressions of the issue "Correct fits at default settings" (benchmarks/default_settings.py
# measures each case before and after).
def test_a_spherical_component_on_one_point_is_singular_without_regularisation():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 2))
    start = emlib.GMMParams([0.5, 0.5], [X[0], X.mean(axis=0)], [1e-4 * np.eye(2), np.eye(2)])
    with pytest.raises(emlib.SingularCovarianceError, match="component 0") as error:
        emlib.fit_gmm(X, 2, covariance_type="spherical", init=start, reg_covar=0)
    assert error.value.component == 0
    with pytest.warns(emlib.DegenerateFitWarning):
        fit = emlib.fit_gmm(X, 2, covariance_type="spherical", init=start)
    assert fit.degenerate.tolist() == [True, False]


def test_a_well_posed_fit_with_features_1e8_apart_is_not_called_singular():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 2)) * [1.0, 1e8]
    fit = emlib.fit_gmm(X, 1, reg_covar=0)
    np.testing.assert_allclose(fit.params.covariances[0], np.cov(X.T, bias=True), rtol=1e-12)


def test_restarts_prefer_a_fit_with_no_degenerate_component():
    # two identical rows between three blobs invite a collapse whose objective beats the sensible
    # fits; n_init runs the same starts as n_init single fits drawing from one generator
    rng = np.random.default_rng(0)
    blobs = [rng.normal(size=(30, 2)) + centre for centre in ([0, 0], [6, 0], [0, 6])]
    X = np.vstack([*blobs, np.tile([[3.0, 3.0]], (2, 1))])
    for seed in (0, 1, 2):
        generator = np.random.default_rng(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", emlib.DegenerateFitWarning)
            singles = [emlib.fit_gmm(X, 4, random_state=generator) for _ in range(8)]
            best = emlib.fit_gmm(X, 4, random_state=np.random.default_rng(seed), n_init=8)
        sound = [fit.objectives[-1] for fit in singles if not np.any(fit.degenerate)]
        collapsed = [fit.objectives[-1] for fit in singles if np.any(fit.degenerate)]
        assert sound and collapsed and max(collapsed) > max(sound)  # the case in point
        assert not np.any(best.degenerate)
        assert best.objectives[-1] == pytest.approx(max(sound), rel=1e-12)


def test_rows_of_weight_zero_take_no_part_in_the_fit():
    rng = np.random.default_rng(10)
    X = np.vstack([rng.normal(size=(20, 1)), rng.normal(size=(20, 1)) + 6.0])
    weights = np.ones(41)
    weights[-1] = 0.0
    for far in (1e6, 1e100):
        with_row = emlib.fit_gmm(np.vstack([X, [[far]]]), 2, random_state=1, sample_weight=weights, reg_covar=1e-6)
        without = emlib.fit_gmm(X, 2, random_state=1, reg_covar=1e-6)
        np.testing.assert_array_equal(with_row.params.means, without.params.means)
        np.testing.assert_array_equal(with_row.log_likelihoods, without.log_likelihoods)
        assert with_row.posterior.shape == (41, 2)
    # a zero-weight row so far that its density overflows: a clear error naming it
    with pytest.raises(ValueError, match=r"X\[40\] is too far"):
        emlib.fit_gmm(np.vstack([X, [[1e200]]]), 2, random_state=1, sample_weight=weights, reg_covar=1e-6)


def test_weighted_seeding_draws_rows_in_proportion_to_their_weight():
    from emlib._kmeans import kmeans_plus_plus

    Y = np.arange(5.0)[:, np.newaxis]
    weights = np.array([1.0, 0.0, 3.0, 0.0, 6.0])
    rng = np.random.default_rng(0)
    draws = np.array([kmeans_plus_plus(Y, weights, 1, rng)[0, 0] for _ in range(20_000)])
    frequencies = np.bincount(draws.astype(int), minlength=5) / draws.size
    np.testing.assert_allclose(frequencies, weights / weights.sum(), atol=0.015)
    assert frequencies[1] == frequencies[3] == 0.0


def test_weighted_fits_start_like_the_same_rows_repeated():
    # rows of weight 200 must pull seeds as 200 copies would: over 20 seeds, the weighted fit
    # never ends more than a nat below the repeated-row fit (before: 11 of 20 seeds, by ~7,200)
    rng = np.random.default_rng(11)
    X = np.concatenate([c + rng.normal(size=5) for c in (0.0, 50.0, 100.0)])[:, np.newaxis]
    weights = np.repeat([1.0, 1.0, 200.0], 5)
    repeated = np.repeat(X, weights.astype(int), axis=0)
    for seed in range(20):
        weighted = emlib.fit_gmm(X, 3, sample_weight=weights, random_state=seed)
        copies = emlib.fit_gmm(repeated, 3, random_state=seed)
        assert weighted.log_likelihoods[-1] > copies.log_likelihoods[-1] - 1.0


def test_gaussian_mixture_validates_attributes_whenever_they_are_set():
    model = emlib.GaussianMixtureModel()
    with pytest.raises(ValueError, match="covariance_type"):
        model.covariance_type = "bogus"
    with pytest.raises(ValueError, match="reg_covar"):
        model.reg_covar = -0.5
    assert model.covariance_type == "full" and model.reg_covar is None
    with pytest.raises(ValueError, match="covariance_prior must be positive definite"):
        model.covariance_prior = -np.eye(2)
    with pytest.raises(ValueError, match="not both"):
        emlib.GaussianMixtureModel(reg_covar=0.5, covariance_prior=np.eye(2))
    assert model.covariance_prior is None


def test_copies_of_results_stay_read_only_and_consistent():
    import copy
    import pickle

    fit = emlib.fit_gmm(two_blobs(), 2, random_state=0)
    for duplicate in (copy.deepcopy(fit), pickle.loads(pickle.dumps(fit))):
        for array in (
            duplicate.params.covariances,
            duplicate.params.precision_cholesky,
            duplicate.log_likelihoods,
            duplicate.posterior,
            duplicate.degenerate,
        ):
            assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            duplicate.params.covariances[0, 0, 0] = 4.0
        np.testing.assert_array_equal(duplicate.params.precision_cholesky, fit.params.precision_cholesky)
    result = emlib.fit_em(emlib.GaussianMixtureModel(), two_blobs(), fit.params, max_iter=2)
    assert not pickle.loads(pickle.dumps(result)).posterior.flags.writeable


def test_covariances_near_the_float64_limit_do_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        params = emlib.GMMParams([1.0], [[0.0, 0.0]], [[[9.5e307, 0.0], [0.0, 1.0]]])
    assert np.all(np.isfinite(params.covariances)) and params.covariances[0, 0, 0] == 9.5e307
