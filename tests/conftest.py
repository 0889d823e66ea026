"""Shared fixtures and helpers for the emlib test-suite.

Helpers are exposed through the session-scoped ``h`` fixture (a namespace of
plain functions) so that the test modules do not need to import ``conftest``
(which would depend on pytest's import mode).  Session scope also keeps the
fixture usable inside hypothesis ``@given`` tests.

Book equation labels are cited in the test modules as ``# book eq. (label)``.
"""

from __future__ import annotations

import itertools
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import emlib

# Deterministic hypothesis runs (the book's CI must not be flaky), no example
# database written into the repository, no per-example deadline (the first
# call of a numpy/scipy routine can be slow).  Each test chooses its own
# ``max_examples`` so that the whole suite stays fast.
settings.register_profile(
    "emlib",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("emlib")

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def random_spd(rng, d, *, scale=1.0, cond=10.0):
    """A random symmetric positive-definite (d, d) matrix.

    Eigenvalues are spread log-uniformly over ``scale * [1/sqrt(cond), sqrt(cond)]``
    and the eigenvectors are a random orthogonal matrix.
    """
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))
    lo, hi = np.log(scale / np.sqrt(cond)), np.log(scale * np.sqrt(cond))
    eig = np.exp(rng.uniform(lo, hi, size=d))
    a = (q * eig) @ q.T
    return (a + a.T) / 2


def random_covariances(rng, k, d, covariance_type="full", *, scale=1.0, cond=10.0):
    """(k, d, d) covariances with the structure of ``covariance_type``."""
    if covariance_type == "full":
        return np.stack([random_spd(rng, d, scale=scale, cond=cond) for _ in range(k)])
    if covariance_type == "diag":
        v = scale * np.exp(rng.uniform(-0.5, 0.5, size=(k, d)) * np.log(cond))
        return np.stack([np.diag(row) for row in v])
    if covariance_type == "spherical":
        v = scale * np.exp(rng.uniform(-0.5, 0.5, size=k) * np.log(cond))
        return v[:, None, None] * np.eye(d)
    if covariance_type == "tied":
        c = random_spd(rng, d, scale=scale, cond=cond)
        return np.repeat(c[None], k, axis=0)
    raise ValueError(covariance_type)


def random_weights(rng, k, *, min_weight=0.1):
    """Random mixing weights, each at least ``min_weight / k``-ish."""
    w = rng.dirichlet(np.full(k, 5.0))
    w = (1 - min_weight) * w + min_weight / k
    return w / w.sum()


def random_params(rng, k, d, covariance_type="full", *, spread=3.0, scale=1.0, cond=10.0):
    """A random valid GMMParams with means ~ N(0, spread^2 I)."""
    return emlib.GMMParams(
        random_weights(rng, k),
        spread * rng.standard_normal((k, d)),
        random_covariances(rng, k, d, covariance_type, scale=scale, cond=cond),
    )


def separated_params(rng, k, d, *, sep=10.0, covariance_type="full"):
    """GMMParams whose means are at least ``sep`` apart (unit-scale covariances)."""
    means = np.zeros((k, d))
    for j in range(k):
        for _ in range(10_000):
            cand = rng.uniform(-sep * k, sep * k, size=d)
            if j == 0 or np.min(np.linalg.norm(means[:j] - cand, axis=1)) >= sep:
                means[j] = cand
                break
        else:  # pragma: no cover - never happens for the sizes used
            raise RuntimeError("could not place separated means")
    return emlib.GMMParams(
        random_weights(rng, k, min_weight=0.5),
        means,
        random_covariances(rng, k, d, covariance_type, scale=1.0, cond=4.0),
    )


def sample(params, n, rng):
    """Independent sampler (does not use emlib.datasets): returns (X, labels).

    Every component gets at least one point per feature + 1 so that per-group
    covariances are non-singular.
    """
    k, d = params.n_components, params.n_features
    labels = rng.choice(k, size=n, p=params.weights)
    labels[: k * (d + 2)] = np.repeat(np.arange(k), d + 2)
    rng.shuffle(labels)
    x = np.empty((n, d))
    for j in range(k):
        m = labels == j
        chol = np.linalg.cholesky(params.covariances[j])
        x[m] = params.means[j] + rng.standard_normal((m.sum(), d)) @ chol.T
    return x, labels


def best_permutation(means_est, means_ref):
    """Permutation ``p`` minimising sum ||means_est[p[j]] - means_ref[j]||."""
    k = len(means_ref)
    best, best_cost = None, np.inf
    for p in itertools.permutations(range(k)):
        cost = np.linalg.norm(np.asarray(means_est)[list(p)] - means_ref, axis=1).sum()
        if cost < best_cost:
            best, best_cost = list(p), cost
    return np.array(best)


def sklearn_precisions(params, covariance_type):
    """``precisions_init`` for sklearn.mixture.GaussianMixture in its per-type format."""
    cov = np.asarray(params.covariances)
    if covariance_type == "full":
        return np.linalg.inv(cov)  # (K, D, D)
    if covariance_type == "diag":
        return 1.0 / np.diagonal(cov, axis1=1, axis2=2)  # (K, D)
    if covariance_type == "spherical":
        return 1.0 / cov[:, 0, 0]  # (K,)
    if covariance_type == "tied":
        return np.linalg.inv(cov[0])  # (D, D)
    raise ValueError(covariance_type)


def sklearn_covariances_as_full(covariances, covariance_type, k, d):
    """sklearn's ``covariances_`` (per-type format) as (K, D, D) matrices."""
    c = np.asarray(covariances)
    if covariance_type == "full":
        return c
    if covariance_type == "diag":
        return np.stack([np.diag(row) for row in c])
    if covariance_type == "spherical":
        return c[:, None, None] * np.eye(d)
    if covariance_type == "tied":
        return np.repeat(c[None], k, axis=0)
    raise ValueError(covariance_type)


def log_mixture_pointwise(x, params):
    """Independent oracle for log p(x_n | θ) via scipy (book eq. (gmm-density))."""
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    comp = np.column_stack(
        [
            multivariate_normal(mean=params.means[k], cov=params.covariances[k]).logpdf(x)
            for k in range(params.n_components)
        ]
    ).reshape(len(x), params.n_components)
    with np.errstate(divide="ignore"):
        logw = np.log(params.weights)
    return logsumexp(comp + logw, axis=1), comp


@pytest.fixture(scope="session")
def h():
    """Namespace of helper functions (see module docstring)."""
    return types.SimpleNamespace(
        COVARIANCE_TYPES=COVARIANCE_TYPES,
        random_spd=random_spd,
        random_covariances=random_covariances,
        random_weights=random_weights,
        random_params=random_params,
        separated_params=separated_params,
        sample=sample,
        best_permutation=best_permutation,
        sklearn_precisions=sklearn_precisions,
        sklearn_covariances_as_full=sklearn_covariances_as_full,
        log_mixture_pointwise=log_mixture_pointwise,
    )


@pytest.fixture(scope="session")
def faithful():
    """The Old Faithful data (272, 2) as a read-only array."""
    x = np.array(emlib.datasets.old_faithful(), dtype=float)
    x.setflags(write=False)
    return x


@pytest.fixture
def rng():
    """A fresh, seeded Generator per test."""
    return np.random.default_rng(20240601)
