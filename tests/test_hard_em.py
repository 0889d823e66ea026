"""Hard (classification) EM: fit_gmm(..., method="hard")."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.cluster.vq import vq

import emlib
from emlib import hard_assignments

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


def blobs(seed, n_per=40, k=3, d=2, spread=4.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * spread
    X = np.vstack([centre + rng.normal(size=(n_per, d)) for centre in centres])
    return rng, X


def start_from_rows(rng, X, k, scale=1.0):
    d = X.shape[1]
    return emlib.GMMParams(
        np.full(k, 1.0 / k), X[rng.choice(len(X), k, replace=False)], np.stack([np.eye(d) * scale] * k)
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), covariance_type=st.sampled_from(COVARIANCE_TYPES))
def test_classification_log_likelihood_never_decreases(seed, covariance_type):
    # book eq. (hard-em-e-step), (hard-em-m-step): both steps maximise log p(X, z | θ), so without
    # regularisation the recorded classification log-likelihood can only rise
    rng, X = blobs(seed)
    start = start_from_rows(rng, X, 3)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", emlib.DegenerateFitWarning)  # a cluster may win no point
            fit = emlib.fit_gmm(X, 3, init=start, method="hard", covariance_type=covariance_type, reg_covar=0.0)
    except emlib.SingularCovarianceError:
        assume(False)  # a cluster of fewer than D + 1 distinct points: pure ML is undefined there
    steps = np.diff(fit.objectives)  # the classification log-likelihood, what hard EM increases
    assert np.all(steps >= -1e-9 * np.abs(fit.objectives[1:]))
    assert fit.converged


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(5, 60),
    d=st.integers(1, 3),
    k=st.integers(1, 4),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
)
def test_terminates_in_finitely_many_iterations_on_random_data(seed, n, d, k, covariance_type):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10.0, size=d)
    assume(len(np.unique(X, axis=0)) >= k)
    with warnings.catch_warnings():
        warnings.simplefilter("error", emlib.ConvergenceWarning)
        warnings.simplefilter("ignore", emlib.DegenerateFitWarning)  # random data: clusters may empty
        fit = emlib.fit_gmm(X, k, method="hard", covariance_type=covariance_type, random_state=seed, max_iter=10_000)
    assert fit.converged and fit.n_iter < 10_000
    assert np.all(np.isfinite(fit.log_likelihoods))
    assert np.all(np.isfinite(fit.params.means)) and np.all(np.isfinite(fit.params.covariances))
    # stopping means a fixed point: one more hard E-step keeps every label
    labels = np.argmax(fit.posterior, axis=1)
    np.testing.assert_array_equal(hard_assignments(X, fit.params, previous=labels), labels)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 5), variance=st.floats(1e-3, 1e3))
def test_equal_weights_shared_spherical_covariance_assign_like_lloyd(seed, k, variance):
    # k-means as a special case: with π_k = 1/K and Σ_k = σ² I for all k, argmax_k log p(x, k)
    # is the nearest centre, Lloyd's assignment step
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 2)) * 3.0
    centres = rng.normal(size=(k, 2)) * 3.0
    params = emlib.GMMParams(np.full(k, 1.0 / k), centres, np.stack([np.eye(2) * variance] * k))
    nearest, _ = vq(X, centres)
    np.testing.assert_array_equal(hard_assignments(X, params), nearest)
    # and the hard M-step's means are Lloyd's update: each cluster's mean
    labels = hard_assignments(X, params)
    if len(np.unique(labels)) == k:
        updated = emlib.m_step(X, np.eye(k)[labels], covariance_type="tied", reg_covar=1.0)
        for cluster in range(k):
            np.testing.assert_allclose(
                updated.means[cluster], X[labels == cluster].mean(axis=0), rtol=1e-12, atol=1e-12
            )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_marginal_likelihood_exceeds_best_complete_likelihood_by_the_posterior_gap(seed):
    # log p(X|θ) ≥ max_z log p(X, z|θ), and the gap is −Σ_n log max_k γ_nk
    rng, X = blobs(seed, n_per=15)
    params = start_from_rows(rng, X, 3, scale=2.0)
    responsibilities = emlib.e_step(X, params)
    best_labels = np.argmax(responsibilities, axis=1)
    marginal = emlib.log_likelihood(X, params)
    best_complete = emlib.complete_log_likelihood(X, best_labels, params)
    assert marginal >= best_complete
    gap = -np.sum(np.log(np.max(responsibilities, axis=1)))
    assert marginal - best_complete == pytest.approx(gap, rel=1e-9, abs=1e-9)


def test_objective_is_the_classification_log_likelihood_and_the_history_the_likelihood():
    # book eq. (hard-em-objective): hard EM increases log p(X, z* | θ); log_likelihoods is log p(X | θ) as for EM
    rng, X = blobs(1)
    fit = emlib.fit_gmm(X, 3, init=start_from_rows(rng, X, 3), method="hard", reg_covar=1e-6)
    labels = np.argmax(fit.posterior, axis=1)
    assert fit.objectives[-1] == pytest.approx(emlib.complete_log_likelihood(X, labels, fit.params), rel=1e-12)
    assert fit.log_likelihoods[-1] == pytest.approx(emlib.log_likelihood(X, fit.params), rel=1e-12)
    assert fit.log_likelihoods[-1] > fit.objectives[-1]  # log p(X | θ) ≥ log p(X, z* | θ), eq. (hard-em-gap)
    assert set(np.unique(fit.posterior)) <= {0.0, 1.0}
    assert fit.method == "hard"


def test_a_component_that_loses_every_point_gets_weight_zero_and_keeps_its_parameters():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 6.0])
    far_mean, far_covariance = [50.0, 50.0], np.eye(2) * 0.5
    start = emlib.GMMParams([0.4, 0.4, 0.2], [[0.0, 0.0], [6.0, 6.0], far_mean], [np.eye(2), np.eye(2), far_covariance])
    with pytest.warns(emlib.DegenerateFitWarning, match=r"components \[2\]"):
        fit = emlib.fit_gmm(X, 3, init=start, method="hard")
    assert fit.converged and fit.degenerate.tolist() == [False, False, True]
    assert fit.params.weights[2] == 0.0
    np.testing.assert_array_equal(fit.params.means[2], far_mean)
    np.testing.assert_array_equal(fit.params.covariances[2], far_covariance)
    assert np.all(fit.posterior[:, 2] == 0.0)
    assert np.all(np.isfinite(fit.log_likelihoods))
    # deterministic: the same call gives the same result, bit for bit
    with pytest.warns(emlib.DegenerateFitWarning):
        again = emlib.fit_gmm(X, 3, init=start, method="hard")
    np.testing.assert_array_equal(again.params.means, fit.params.means)


def test_an_empty_component_under_tied_covariance_shares_the_fitted_covariance():
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 6.0])
    start = emlib.GMMParams([0.4, 0.4, 0.2], [[0.0, 0.0], [6.0, 6.0], [60.0, 60.0]], np.stack([np.eye(2)] * 3))
    with pytest.warns(emlib.DegenerateFitWarning, match=r"components \[2\]"):
        fit = emlib.fit_gmm(X, 3, init=start, method="hard", covariance_type="tied")
    assert fit.params.weights[2] == 0.0
    np.testing.assert_allclose(fit.params.covariances[2], fit.params.covariances[0], rtol=1e-15)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_integer_sample_weights_equal_repeated_rows(covariance_type):
    rng, X = blobs(5, n_per=20)
    counts = rng.integers(0, 4, size=len(X))
    counts[:3] = 1  # keep a few rows in every cluster
    start = start_from_rows(rng, X, 3, scale=2.0)
    weighted = emlib.fit_gmm(
        X, 3, init=start, method="hard", covariance_type=covariance_type, reg_covar=1e-4, sample_weight=counts
    )
    repeated = emlib.fit_gmm(
        np.repeat(X, counts, axis=0), 3, init=start, method="hard", covariance_type=covariance_type, reg_covar=1e-4
    )
    np.testing.assert_allclose(weighted.params.means, repeated.params.means, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.params.covariances, repeated.params.covariances, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.log_likelihoods, repeated.log_likelihoods, rtol=1e-10)


def test_singular_cluster_names_the_component_in_the_full_mixture():
    # component 0 is emptied, component 2 is a single point: the error must say "component 2"
    X = np.vstack([np.random.default_rng(6).normal(size=(20, 2)), [[30.0, 30.0]]])
    start = emlib.GMMParams([0.2, 0.6, 0.2], [[-40.0, -40.0], [0.0, 0.0], [30.0, 30.0]], np.stack([np.eye(2)] * 3))
    with pytest.raises(emlib.SingularCovarianceError, match="component 2") as error:
        emlib.fit_gmm(X, 3, init=start, method="hard", reg_covar=0.0)
    assert error.value.component == 2


def test_hard_em_reaches_at_most_the_soft_log_likelihood_but_not_more():
    # soft EM maximises log p(X|θ); hard EM's parameters can only do as well or worse on it
    rng, X = blobs(7)
    start = start_from_rows(rng, X, 3)
    soft = emlib.fit_gmm(X, 3, init=start, tol=1e-10)
    hard = emlib.fit_gmm(X, 3, init=start, method="hard")
    assert emlib.log_likelihood(X, hard.params) <= soft.log_likelihoods[-1] + 1e-9


@pytest.mark.parametrize("method", ["Hard", "kmeans", 1, None])
def test_unknown_method(method):
    with pytest.raises(ValueError, match="method"):
        emlib.fit_gmm(np.random.default_rng(0).normal(size=(10, 2)), 2, method=method)
