"""The ELBO / KL decomposition, the complete-data log-likelihood, and their input checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

import emlib


def random_problem(seed, n=30, d=2, k=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * 2.0
    factors = rng.normal(size=(k, d, d))
    covariances = factors @ np.swapaxes(factors, 1, 2) + 0.5 * np.eye(d)
    params = emlib.GMMParams(rng.dirichlet(np.ones(k)), rng.normal(size=(k, d)) * 2.0, covariances)
    return rng, X, params


def random_q(rng, n, k, sparsity=0.3):
    q = rng.dirichlet(np.ones(k) * 0.5, size=n)
    q[rng.random((n, k)) < sparsity] = 0.0  # exercise 0 · log 0 = 0
    q[q.sum(axis=1) == 0, 0] = 1.0
    return q / q.sum(axis=1, keepdims=True)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), d=st.integers(1, 3), k=st.integers(1, 4))
def test_log_likelihood_equals_elbo_plus_kl(seed, n, d, k):
    # book eq. (elbo-kl-decomposition): log p(X|θ) = L(q, θ) + KL(q ‖ p(Z|X, θ)) for every q
    rng, X, params = random_problem(seed, n, d, k)
    q = random_q(rng, n, k)
    total = emlib.elbo(X, params, q) + emlib.posterior_kl(X, params, q)
    log_likelihood = emlib.log_likelihood(X, params)
    assert total == pytest.approx(log_likelihood, rel=1e-10, abs=1e-10)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_elbo_is_maximised_at_the_posterior(seed):
    # book eq. (elbo-definition): L(q, θ) ≤ L(posterior, θ) = log p(X|θ)
    rng, X, params = random_problem(seed)
    posterior = emlib.e_step(X, params)
    best = emlib.elbo(X, params, posterior)
    assert best == pytest.approx(emlib.log_likelihood(X, params), rel=1e-12)
    for _ in range(5):
        q = random_q(rng, *posterior.shape)
        assert emlib.elbo(X, params, q) < best
        nearby = 0.99 * posterior + 0.01 * q  # a small step away from the posterior
        assert emlib.elbo(X, params, nearby) <= best + 1e-12 * abs(best)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_kl_is_nonnegative_and_zero_only_at_the_posterior(seed):
    rng, X, params = random_problem(seed)
    posterior = emlib.e_step(X, params)
    assert emlib.posterior_kl(X, params, posterior) == pytest.approx(0.0, abs=1e-10)
    q = random_q(rng, *posterior.shape)
    assert emlib.posterior_kl(X, params, q) > 0.0
    # moving a single row halfway towards its least likely label still gives a positive divergence
    one_row = posterior.copy()
    one_row[0] = 0.5 * posterior[0] + 0.5 * np.eye(3)[np.argmin(posterior[0])]
    assert emlib.posterior_kl(X, params, one_row) > 0.0


def test_kl_matches_its_definition_row_by_row():
    rng, X, params = random_problem(3, n=5)
    q = random_q(rng, 5, 3, sparsity=0.0)
    posterior = emlib.e_step(X, params)
    expected = np.sum(q * np.log(q / posterior))
    assert emlib.posterior_kl(X, params, q) == pytest.approx(expected, rel=1e-12)


def test_zero_entries_of_q_contribute_nothing():
    # 0 · log 0 = 0: a one-hot q gives the complete-data log-likelihood of its labels
    rng, X, params = random_problem(5)
    labels = rng.integers(0, 3, size=X.shape[0])
    one_hot = np.eye(3)[labels]
    assert emlib.elbo(X, params, one_hot) == pytest.approx(emlib.complete_log_likelihood(X, labels, params), rel=1e-13)


def test_complete_log_likelihood_against_scipy():
    # book eq. (complete-log-likelihood): Σ_n log π_{z_n} + log N(x_n | μ_{z_n}, Σ_{z_n})
    rng, X, params = random_problem(11)
    labels = rng.integers(0, 3, size=X.shape[0])
    expected = sum(
        np.log(params.weights[z]) + multivariate_normal.logpdf(x, params.means[z], params.covariances[z])
        for x, z in zip(X, labels)
    )
    assert emlib.complete_log_likelihood(X, labels, params) == pytest.approx(expected, rel=1e-12)


def test_log_likelihood_is_at_least_the_best_complete_log_likelihood():
    # Σ_n log Σ_k p(x_n, k) ≥ Σ_n max_k log p(x_n, k): hard labels never beat the marginal
    rng, X, params = random_problem(13)
    best_labels = np.argmax(emlib.e_step(X, params), axis=1)
    assert emlib.log_likelihood(X, params) >= emlib.complete_log_likelihood(X, best_labels, params)


def test_zero_weight_component():
    params = emlib.GMMParams([1.0, 0.0], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    X = np.array([[0.2], [0.7]])
    assert emlib.elbo(X, params, [[1.0, 0.0], [1.0, 0.0]]) == pytest.approx(emlib.log_likelihood(X, params))
    assert emlib.elbo(X, params, [[0.5, 0.5], [1.0, 0.0]]) == -np.inf
    assert emlib.posterior_kl(X, params, [[0.5, 0.5], [1.0, 0.0]]) == np.inf
    assert emlib.complete_log_likelihood(X, np.array([0, 1]), params) == -np.inf


@pytest.mark.parametrize(
    "q, message",
    [
        (np.full((4, 2), 0.5), "one column per component"),
        (np.full((3, 3), 1 / 3), "one row per row of X"),
        (np.array([[0.5, 0.6, -0.1]] * 4), "non-negative"),
        (np.array([[0.5, 0.6, 0.1]] * 4), "sum to 1"),
        (np.full((4, 3), np.nan), "NaN"),
        (np.full(3, 1 / 3), "2-D"),
    ],
)
def test_bad_q(q, message):
    _, X, params = random_problem(0, n=4)
    for function in (emlib.elbo, emlib.posterior_kl):
        with pytest.raises(ValueError, match=message):
            function(X, params, q)


@pytest.mark.parametrize(
    "z, error, message",
    [
        (np.array([0, 1, 2]), ValueError, "shape"),
        (np.array([0, 1, 2, 3]), ValueError, "labels in 0..2"),
        (np.array([0, 1, -1, 2]), ValueError, "labels in 0..2"),
        (np.array([0.0, 1.0, 2.0, 1.0]), TypeError, "integer labels"),
    ],
)
def test_bad_labels(z, error, message):
    _, X, params = random_problem(0, n=4)
    with pytest.raises(error, match=message):
        emlib.complete_log_likelihood(X, z, params)


# --------------------------------------------------------------------------
# Q(θ, θ_old) and row weights
# --------------------------------------------------------------------------
def _q_problem():
    rng = np.random.default_rng(5)
    truth = emlib.GMMParams([0.4, 0.6], [[0.0, 0.0], [3.0, 1.0]], [np.eye(2), [[2.0, 0.5], [0.5, 1.0]]])
    X, _ = emlib.datasets.sample_gmm(truth, 200, rng)
    old = emlib.GMMParams([0.5, 0.5], [[0.5, 0.0], [2.0, 2.0]], [np.eye(2), np.eye(2)])
    return rng, X, old


def test_q_plus_the_entropy_is_the_elbo_at_the_old_posterior():
    # book eq. (soft-em-q) and (elbo-kl-q-plus-entropy): L(γ(θ_old), θ) = Q(θ, θ_old) + H(γ(θ_old))
    rng, X, old = _q_problem()
    theta = emlib.m_step(X, emlib.e_step(X, old), reg_covar=0.0)
    gamma = emlib.e_step(X, old)
    entropy = -np.sum(gamma * np.log(gamma))
    q = emlib.expected_complete_log_likelihood(X, theta, old)
    assert q + entropy == pytest.approx(emlib.elbo(X, theta, gamma), rel=1e-12)
    # Q from its definition, one component at a time with scipy
    joint = np.column_stack(
        [
            np.log(w) + multivariate_normal(m, c).logpdf(X)
            for w, m, c in zip(theta.weights, theta.means, theta.covariances)
        ]
    )
    assert q == pytest.approx(np.sum(gamma * joint), rel=1e-12)


def test_the_m_step_maximises_q():
    rng, X, old = _q_problem()
    best = emlib.m_step(X, emlib.e_step(X, old), reg_covar=0.0)
    top = emlib.expected_complete_log_likelihood(X, best, old)
    for _ in range(20):
        factor = np.eye(2) + 0.05 * rng.normal(size=(2, 2))
        weights = np.clip(best.weights + 0.05 * rng.normal(size=2), 0.05, None)
        moved = emlib.GMMParams(
            weights / weights.sum(), best.means + 0.1 * rng.normal(size=(2, 2)), factor @ best.covariances @ factor.T
        )
        assert emlib.expected_complete_log_likelihood(X, moved, old) < top


def test_row_weights_are_repeated_rows_for_every_bound():
    rng, X, old = _q_problem()
    X = X[:40]
    w = rng.integers(0, 4, size=40)
    repeated = np.repeat(X, w, axis=0)
    q = rng.dirichlet(np.ones(2), size=40)
    labels = np.argmax(q, axis=1)
    pairs = [
        (emlib.elbo(X, old, q, sample_weight=w), emlib.elbo(repeated, old, np.repeat(q, w, axis=0))),
        (emlib.posterior_kl(X, old, q, sample_weight=w), emlib.posterior_kl(repeated, old, np.repeat(q, w, axis=0))),
        (
            emlib.complete_log_likelihood(X, labels, old, sample_weight=w),
            emlib.complete_log_likelihood(repeated, np.repeat(labels, w), old),
        ),
        (
            emlib.expected_complete_log_likelihood(X, old, old, sample_weight=w),
            emlib.expected_complete_log_likelihood(repeated, old, old),
        ),
    ]
    for weighted, expanded in pairs:
        assert weighted == pytest.approx(expanded, rel=1e-12)
    assert emlib.elbo(X, old, q, sample_weight=w) + emlib.posterior_kl(X, old, q, sample_weight=w) == pytest.approx(
        emlib.log_likelihood(X, old, sample_weight=w), rel=1e-12
    )


def test_q_refuses_mismatched_parameters():
    _, X, old = _q_problem()
    three = emlib.GMMParams([0.3, 0.3, 0.4], np.zeros((3, 2)), np.stack([np.eye(2)] * 3))
    with pytest.raises(ValueError, match="params_old has 2 components but params has 3"):
        emlib.expected_complete_log_likelihood(X, three, old)
    with pytest.raises(TypeError, match="params_old must be an emlib.GMMParams"):
        emlib.expected_complete_log_likelihood(X, old, "old")
