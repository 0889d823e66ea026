"""Default fits that do not depend on units: affine equivariance, every scale, exact moments.

Book eq. (soft-em-data-scale) and (soft-em-data-prior): the default prior scale Ψ = 1e-6 (Σ w) T
transforms like a covariance, and k-means++ seeds on data whitened by T, so the default fit of
A x + b is the transformed default fit of x, and its log-likelihoods shift by −(Σ w) log|det A|.
"""

import json
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import emlib

DATA = Path(__file__).resolve().parent / "data"


def mixed_scale_data(seed=0, n=300):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [4.0, 1.0, -2.0], [-3.0, 4.0, 1.0]])
    X = centres[rng.integers(0, 3, size=n)] + rng.normal(size=(n, 3)) @ [
        [1.0, 0.4, 0.0],
        [0.0, 0.8, 0.3],
        [0.0, 0.0, 0.6],
    ]
    return X * [100.0, 0.01, 3.0] + [5e3, -2.0, 0.5]


def transformed(params, A, b):
    """The mixture of A x + b when x follows ``params``."""
    return emlib.GMMParams(params.weights, params.means @ A.T + b, A @ params.covariances @ A.T)


def assert_fits_match(moved, reference, A, b, n_weight):
    expected = transformed(reference.params, A, b)
    assert moved.n_iter == reference.n_iter
    np.testing.assert_allclose(moved.params.weights, expected.weights, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(moved.params.means, expected.means, rtol=1e-7, atol=1e-9 * np.abs(expected.means).max())
    scale = np.abs(expected.covariances).max()
    np.testing.assert_allclose(moved.params.covariances, expected.covariances, rtol=1e-6, atol=1e-9 * scale)
    shift = -n_weight * np.log(abs(np.linalg.det(A)))
    np.testing.assert_allclose(
        moved.log_likelihoods, reference.log_likelihoods + shift, rtol=1e-9, atol=1e-9 * n_weight
    )
    np.testing.assert_allclose(moved.posterior, reference.posterior, atol=1e-7)


def random_map(covariance_type, rng, d=3):
    if covariance_type in ("full", "tied"):  # any invertible A, far from orthogonal
        # rows in different units (10^±2); the fit is equal up to rounding amplified by cond(A)
        return rng.normal(size=(d, d)) * 10.0 ** rng.uniform(-2, 2, size=(d, 1))
    if covariance_type == "diag":  # a change of units in each feature, signs included
        return np.diag(rng.choice([-1.0, 1.0], size=d) * 10.0 ** rng.uniform(-6, 6, size=d))
    return 10.0 ** rng.uniform(-6, 6) * np.eye(d)  # spherical: c I


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_fit_is_equivariant_seeding_included(covariance_type, seed):
    # from k-means++ (same random_state), not from a transformed start: the seed is equivariant too
    rng = np.random.default_rng(seed)
    X = mixed_scale_data(seed)
    if covariance_type in ("full", "tied"):
        # a general A mixes the features: in features of comparable units the transformed data
        # keep their digits (mixed units are the diagonal maps' and the WDBC test's business)
        X = X / [100.0, 0.01, 3.0]
    A, b = random_map(covariance_type, rng), rng.normal(size=3) * 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.DegenerateFitWarning)
        reference = emlib.fit_gmm(X, 3, covariance_type=covariance_type, random_state=seed, tol=1e-10)
        moved = emlib.fit_gmm(X @ A.T + b, 3, covariance_type=covariance_type, random_state=seed, tol=1e-10)
    assert_fits_match(moved, reference, A, b, len(X))
    np.testing.assert_allclose(
        moved.model.covariance_prior,
        A @ reference.model.covariance_prior @ A.T,
        rtol=1e-8,
        atol=1e-12 * np.abs(moved.model.covariance_prior).max(),
    )
    np.testing.assert_array_equal(moved.degenerate, reference.degenerate)


def test_weighted_fits_are_equivariant_and_shift_by_the_total_weight():
    rng = np.random.default_rng(5)
    X = mixed_scale_data(5) / [100.0, 0.01, 3.0]
    weights = rng.uniform(0.2, 3.0, size=len(X))
    A, b = random_map("full", rng), rng.normal(size=3)
    reference = emlib.fit_gmm(X, 3, random_state=1, sample_weight=weights, tol=1e-10)
    moved = emlib.fit_gmm(X @ A.T + b, 3, random_state=1, sample_weight=weights, tol=1e-10)
    assert_fits_match(moved, reference, A, b, weights.sum())


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_a_change_of_units_on_real_data_with_eleven_decades_of_variance(covariance_type):
    # WDBC's 30 features have variances from 7e-6 to 3e5: z-scores are a diagonal change of
    # units, so the fit of the z-scores, mapped back, is the fit of the original data
    X = np.loadtxt(DATA / "wdbc.csv", delimiter=",", skiprows=1)
    mean, std = X.mean(axis=0), X.std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.DegenerateFitWarning)
        original = emlib.fit_gmm(X, 2, covariance_type=covariance_type, random_state=0)
        standardised = emlib.fit_gmm((X - mean) / std, 2, covariance_type=covariance_type, random_state=0)
    assert standardised.n_iter == original.n_iter
    gap = (standardised.log_likelihoods[-1] - len(X) * np.sum(np.log(std)) - original.log_likelihoods[-1]) / len(X)
    assert abs(gap) < 1e-9  # before the data-scaled default: 27 to 45 nats per sample
    np.testing.assert_allclose(standardised.params.means * std + mean, original.params.means, rtol=1e-6)


def mclust_reference():
    return json.loads((DATA / "mclust_wdbc.json").read_text(encoding="utf-8"))["models"]


@pytest.mark.parametrize("model", ["EEE", "VVV", "VVI", "VII"])
def test_wdbc_fits_reach_mclusts_optimum_from_its_start(model):
    # from mclust's own fit (tests/data/mclust_wdbc.json, scripts/mclust_reference.R), emlib's
    # maximum-likelihood EM lands on mclust's converged optimum, and the default prior costs
    # less than 1e-5 nats per sample (before: 27 to 45 nats per sample, from every start)
    reference = mclust_reference()[model]
    X = np.loadtxt(DATA / "wdbc.csv", delimiter=",", skiprows=1)
    start = reference["parameters_after_em"]
    init = emlib.GMMParams(start["pro"], start["mean"], start["sigma"])
    covariance_type = reference["covariance_type"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        ml = emlib.fit_gmm(X, 2, init=init, covariance_type=covariance_type, reg_covar=0, tol=1e-14, max_iter=5000)
        default = emlib.fit_gmm(X, 2, init=init, covariance_type=covariance_type, tol=1e-12, max_iter=5000)
    target = reference["loglik_converged"]
    assert ml.log_likelihoods[-1] == pytest.approx(target, rel=1e-9, abs=1e-6)
    assert not np.any(default.degenerate)
    assert 0 <= (target - default.log_likelihoods[-1]) / len(X) < 1e-5


@pytest.mark.parametrize("exponent", [-300, -200, -160, -150, -100, -8, 0, 8, 100, 150, 160, 200, 300])
def test_every_scale_fits_or_says_why(exponent):
    X = np.concatenate(
        [np.random.default_rng(2).normal(size=(100, 1)), np.random.default_rng(3).normal(size=(100, 1)) + 10.0]
    )
    reference = emlib.fit_gmm(X, 2, random_state=0)
    c = 10.0**exponent
    try:
        fit = emlib.fit_gmm(c * X, 2, random_state=0)
    except ValueError as error:
        assert abs(exponent) > 150  # only where the variances are beyond float64
        assert "beyond the range of float64" in str(error) and "spread" in str(error)
        return
    np.testing.assert_allclose(fit.params.means, c * reference.params.means, rtol=1e-10)
    np.testing.assert_allclose(fit.params.covariances, c**2 * reference.params.covariances, rtol=1e-10)
    np.testing.assert_allclose(fit.log_likelihoods, reference.log_likelihoods - len(X) * np.log(c), rtol=1e-10)


@pytest.mark.parametrize("power", [-500, -480, -100, -1, 1, 100, 480])
def test_a_power_of_two_scale_gives_the_same_fit_bit_for_bit(power):
    X = np.random.default_rng(4).normal(size=(120, 2)) @ [[1.0, 0.5], [0.0, 2.0]]
    X[60:] += 5.0
    c = 2.0**power
    reference = emlib.fit_gmm(X, 2, random_state=3)
    fit = emlib.fit_gmm(c * X, 2, random_state=3)
    np.testing.assert_array_equal(fit.params.means, c * reference.params.means)
    np.testing.assert_array_equal(fit.params.covariances, c * c * reference.params.covariances)
    np.testing.assert_array_equal(fit.posterior, reference.posterior)


def per_cluster_two_pass(X, responsibilities):
    """Each column's weighted mean and scatter of the float data, in exact rational arithmetic."""
    rows = [[Fraction(v) for v in row] for row in X]
    means, scatters = [], []
    for r in responsibilities.T:
        weights = [Fraction(v) for v in r]
        total = sum(weights)
        mean = [sum(w * row[d] for w, row in zip(weights, rows)) / total for d in range(X.shape[1])]
        scatter = [
            [
                sum(w * (row[a] - mean[a]) * (row[b] - mean[b]) for w, row in zip(weights, rows)) / total
                for b in range(X.shape[1])
            ]
            for a in range(X.shape[1])
        ]
        means.append([float(v) for v in mean])
        scatters.append([[float(v) for v in line] for line in scatter])
    return np.array(means), np.array(scatters)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
@pytest.mark.parametrize("far", [1e16, 1e18, 1e20])
def test_each_component_is_centred_on_itself(covariance_type, far):
    # three clusters, one of them 1e16 or more away: the others' moments keep every digit (the
    # far one is 1e-10 of its distance wide, so that its own coordinates resolve its spread)
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [far, far]])
    widths = [1.0, 1.0, 1e-10 * far]
    X = np.vstack([c + w * rng.normal(size=(100, 2)) @ [[1.0, 0.3], [0.0, 0.7]] for c, w in zip(centres, widths)])
    labels = np.repeat(np.arange(3), 100)
    responsibilities = np.full((300, 3), 1e-9)
    responsibilities[np.arange(300), labels] = 1.0
    responsibilities /= responsibilities.sum(axis=1, keepdims=True)
    responsibilities[200:] = np.eye(3)[2]  # the far cluster takes no part in the others
    responsibilities[:200, 2] = 0.0
    responsibilities /= responsibilities.sum(axis=1, keepdims=True)
    params = emlib.m_step(X, responsibilities, covariance_type=covariance_type, reg_covar=0.0)
    means, scatters = per_cluster_two_pass(X, responsibilities)
    for k in range(3):
        spread = np.sqrt(np.diag(scatters[k]))
        np.testing.assert_allclose(params.means[k], means[k], rtol=0, atol=1e-10 * spread.max())
        expected = scatters[k] if covariance_type == "full" else np.diag(np.diag(scatters[k]))
        np.testing.assert_allclose(params.covariances[k], expected, rtol=1e-10, atol=1e-10 * spread.max() ** 2)


def test_data_far_from_the_origin_relative_to_their_spread():
    # offsets of 1e12 standard deviations: the per-component two-pass formula still gives 1e-10
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 2)) + 1e12
    responsibilities = rng.dirichlet(np.ones(2), size=200)
    means, scatters = per_cluster_two_pass(X, responsibilities)
    for covariance_type in ("full", "diag", "spherical", "tied"):
        params = emlib.m_step(X, responsibilities, covariance_type=covariance_type, reg_covar=0.0)
        np.testing.assert_allclose(params.means - 1e12, means - 1e12, rtol=0, atol=1e-3)  # ulp(1e12) = 1.2e-4
    full = emlib.m_step(X, responsibilities, reg_covar=0.0)
    np.testing.assert_allclose(full.covariances, scatters, rtol=1e-10)
