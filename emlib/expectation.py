"""The Gaussian mixture's densities, log-likelihood and E-step, all in log space.

Nothing here exponentiates a density before normalising: every component density is kept as a
logarithm, computed from the Cholesky factor of its covariance, and the sum over components is
a log-sum-exp (``emlib._bayes``). A point far from every component therefore still gets finite
responsibilities that sum to one.

:func:`log_density_formula` is the book's formula, one component at a time. The E-step of every
fit computes the same numbers faster, chunk by chunk (``emlib._fast``); ``tests/test_fast.py``
checks that the two agree.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from . import _fast
from ._bayes import bayes, log_bayes, map_labels, total_log_likelihood
from ._missing import check_missing_data, observed_log_densities
from ._validation import check_data, check_labels, check_missing, check_sample_weight
from .params import GMMParams, check_gmm_params

__all__ = [
    "component_log_densities",
    "e_step",
    "hard_assignments",
    "log_density_formula",
    "log_likelihood",
]

LOG_2PI = np.log(2.0 * np.pi)


def log_density_formula(X: np.ndarray, params: GMMParams) -> np.ndarray:
    """log N(x_n | μ_k, Σ_k) as the book writes it, one component at a time (book eq. :eq:`gmm-density`).

    With Σ_k = L_k L_kᵀ (Cholesky), log N = −½ [D log 2π + log det Σ_k + ‖L_k⁻¹(x_n − μ_k)‖²],
    where the Mahalanobis term comes from a triangular solve (no matrix inverse) and
    log det Σ_k = 2 Σ_i log (L_k)_ii. Each row is centred at μ_k *before* the solve: the expanded
    quadratic xᵀΣ⁻¹x − 2 xᵀΣ⁻¹μ + μᵀΣ⁻¹μ would cancel catastrophically for data far from the origin.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Validated data.
    params : GMMParams
        Mixture parameters with D features.

    Returns
    -------
    ndarray of shape (N, K)
    """
    log_densities = np.empty((X.shape[0], params.n_components))
    for k in range(params.n_components):
        factor = params.covariance_cholesky[k]
        whitened = solve_triangular(factor, (X - params.means[k]).T, lower=True)
        log_determinant = 2.0 * np.sum(np.log(np.diagonal(factor)))
        log_densities[:, k] = -0.5 * (params.n_features * LOG_2PI + log_determinant + np.sum(whitened**2, axis=0))
    return log_densities


def _log_weights(params) -> np.ndarray:
    """log π_k, shape (K,); −inf where π_k = 0."""
    with np.errstate(divide="ignore"):
        return np.log(params.weights)


def _log_joint(X: np.ndarray, params: GMMParams) -> np.ndarray:
    """log π_k + log N(x_n | μ_k, Σ_k) for validated inputs, shape (N, K); −inf where π_k = 0."""
    return _fast.gaussian_log_densities(X, params) + _log_weights(params)


def _log_posterior(X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
    """log p(x_n | θ), shape (N,), and log γ(z_nk), shape (N, K), for validated inputs."""
    return log_bayes(_fast.gaussian_log_densities(X, params), _log_weights(params))


def _posterior(X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
    """The E-step on validated data: log p(x_n | θ), shape (N,), and γ(z_nk), shape (N, K)."""
    return _fast.gaussian_posterior(X, params, _log_weights(params), bayes)


def component_log_densities(X, params: GMMParams) -> np.ndarray:
    """Log density of every point under every component, log N(x_n | μ_k, Σ_k) (book eq. :eq:`gmm-density`).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data, one row per observation.
    params : GMMParams
        Mixture parameters with D features.

    Returns
    -------
    ndarray of shape (N, K)
        Entry (n, k) is log N(x_n | μ_k, Σ_k) (the values of ``emlib.expectation.log_density_formula``).
    """
    X = check_data(X)
    check_gmm_params(X, params)
    return _fast.gaussian_log_densities(X, params)


def _missing_posterior(X, params: GMMParams):
    """log p(x_n,o | θ) and the responsibilities of data with missing entries (book eq. :eq:`missing-observed-likelihood`)."""
    data = check_missing_data(X)
    check_gmm_params(data.values, params)
    return data, bayes(observed_log_densities(data, params), _log_weights(params), overwrite=True)


def log_likelihood(X, params: GMMParams, *, sample_weight=None, missing: str = "error") -> float:
    """Total log-likelihood log p(X | θ) = Σ_n w_n log Σ_k π_k N(x_n | μ_k, Σ_k).

    Book eq. :eq:`gmm-log-likelihood` (with weights, eq. :eq:`soft-em-sample-weights`).
    The inner sum is a log-sum-exp of log π_k + log N(x_n | μ_k, Σ_k), so it neither
    underflows nor overflows. With ``missing="em"`` a NaN entry is missing at random and
    integrated out: the observed-data log-likelihood Σ_n w_n log Σ_k π_k N(x_n,o; μ_k,o, Σ_k,oo)
    of book eq. :eq:`missing-observed-likelihood` (``emlib.missing``).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Mixture parameters with D features.
    sample_weight : array_like of shape (N,), optional
        Non-negative weight w_n of each row (default: all ones). Integer weights give the
        log-likelihood of the data with each row repeated w_n times (missing entries included).
    missing : {"error", "em"}, default "error"
        ``"error"``: a NaN in X is an error. ``"em"``: NaN entries are missing at random and
        marginalised (a row with every entry missing is an error naming it).

    Returns
    -------
    float
        The total (not the mean) log-likelihood.
    """
    missing = check_missing(missing)
    X = check_data(X, missing=missing)
    if missing == "em" and np.any(np.isnan(X)):
        data, (log_marginals, _) = _missing_posterior(X, params)
    else:
        check_gmm_params(X, params)
        log_marginals, _ = _posterior(X, params)
    weights = check_sample_weight(sample_weight, X.shape[0])
    return total_log_likelihood(weights, log_marginals, "the log-likelihood of X under params")


def e_step(X, params: GMMParams, *, missing: str = "error") -> np.ndarray:
    """The E-step: responsibilities γ(z_nk) = p(z_n = k | x_n, θ) by Bayes' theorem.

    Book eq. :eq:`soft-em-responsibilities`:
    γ(z_nk) = π_k N(x_n | μ_k, Σ_k) / Σ_j π_j N(x_n | μ_j, Σ_j), evaluated as
    exp(log π_k + log N_k − max_j) / Σ_j exp(log π_j + log N_j − max_j), with one exponential
    per entry and the largest log-density removed first (``emlib._bayes.bayes``). With
    ``missing="em"``, NaN entries are missing at random and marginalised:
    γ(z_nk) = p(z_n = k | x_n,o, θ) with N(x_n,o; μ_k,o, Σ_k,oo) in place of N(x_n | μ_k, Σ_k)
    (book eq. :eq:`missing-observed-likelihood`; the conditional moments of the missing entries
    are :func:`emlib.missing.conditional_moments`).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Current mixture parameters θ.
    missing : {"error", "em"}, default "error"
        ``"error"``: a NaN in X is an error. ``"em"``: NaN entries are missing at random (a row
        with every entry missing is an error naming it).

    Returns
    -------
    ndarray of shape (N, K)
        Non-negative responsibilities; each row sums to one.
    """
    missing = check_missing(missing)
    X = check_data(X, missing=missing)
    if missing == "em" and np.any(np.isnan(X)):
        return _missing_posterior(X, params)[1][1]
    check_gmm_params(X, params)
    return _posterior(X, params)[1]


def hard_assignments(X, params: GMMParams, previous=None) -> np.ndarray:
    """The hard E-step: z*_n = argmax_k log π_k + log N(x_n | μ_k, Σ_k) (book eq. :eq:`hard-em-e-step`).

    Each point goes to the component with the largest joint density p(x_n, z_n = k | θ), that
    is, the largest responsibility :func:`e_step` would give it. ``fit_gmm(...,
    method="hard")`` alternates this step with :func:`emlib.m_step` on one-hot responsibilities.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Current mixture parameters θ.
    previous : array_like of shape (N,), int, optional
        The current assignments, labels in 0..K−1. A point keeps its label unless another
        component is strictly more probable, so ties never make the assignments oscillate.
        Without it, a tie goes to the component with the smallest index.

    Returns
    -------
    ndarray of shape (N,), int
        The label of each point.
    """
    X = check_data(X)
    check_gmm_params(X, params)
    if previous is not None:
        previous = check_labels(previous, X.shape[0], params.n_components, name="previous")
    return map_labels(_log_joint(X, params), previous)
