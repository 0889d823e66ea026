"""Densities, the log-likelihood and the E-step of a Gaussian mixture, all in log space.

Nothing here ever exponentiates a density before normalising: every component density is
kept as a logarithm, computed from the Cholesky factor of its covariance, and the sum over
components is a log-sum-exp. A point far from every component therefore still gets finite
responsibilities that sum to one.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

from ._validation import check_data, check_params_match, check_sample_weight
from .latent import log_bayes
from .params import GMMParams

LOG_2PI = np.log(2.0 * np.pi)


def component_log_densities(X, params: GMMParams) -> np.ndarray:
    """Log density of every point under every component, log N(x_n | μ_k, Σ_k).

    With Σ_k = L_k L_kᵀ (Cholesky), the Mahalanobis term is ‖L_k⁻¹(x_n − μ_k)‖², obtained by
    a triangular solve (no matrix inverse), and log det Σ_k = 2 Σ_i log (L_k)_ii.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data, one row per observation.
    params : GMMParams
        Mixture parameters with D features.

    Returns
    -------
    ndarray of shape (N, K)
        Entry (n, k) is log N(x_n | μ_k, Σ_k).
    """
    X = check_data(X)
    check_params_match(X, params)
    return gaussian_log_densities(X, params)


def gaussian_log_densities(X: np.ndarray, params: GMMParams) -> np.ndarray:
    n_samples, n_features = X.shape
    log_densities = np.empty((n_samples, params.n_components))
    for k, (mean, cholesky) in enumerate(zip(params.means, params.covariance_cholesky)):
        whitened = solve_triangular(cholesky, (X - mean).T, lower=True, check_finite=False)
        with np.errstate(over="ignore"):
            mahalanobis = np.einsum("ij,ij->j", whitened, whitened)
        if not np.all(np.isfinite(mahalanobis)):
            row = int(np.flatnonzero(~np.isfinite(mahalanobis))[0])
            raise ValueError(
                f"X[{row}] is too far from component {k}: its squared Mahalanobis distance"
                " overflows float64, so its density cannot be represented even in log space"
            )
        log_det = 2.0 * np.sum(np.log(np.diag(cholesky)))
        log_densities[:, k] = -0.5 * (n_features * LOG_2PI + log_det + mahalanobis)
    return log_densities


def log_weights(params: GMMParams) -> np.ndarray:
    """log π_k, shape (K,); −inf where π_k = 0."""
    with np.errstate(divide="ignore"):
        return np.log(params.weights)


def log_joint(X: np.ndarray, params: GMMParams) -> np.ndarray:
    """log π_k + log N(x_n | μ_k, Σ_k), shape (N, K); −inf where π_k = 0."""
    return gaussian_log_densities(X, params) + log_weights(params)


def expectation(X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
    """One pass over validated data: per-point log-likelihoods and log-responsibilities.

    Returns
    -------
    log_marginals : ndarray of shape (N,)
        log p(x_n | θ).
    log_responsibilities : ndarray of shape (N, K)
        log γ(z_nk).
    """
    return log_bayes(gaussian_log_densities(X, params), log_weights(params))


def log_likelihood(X, params: GMMParams, *, sample_weight=None) -> float:
    """Total log-likelihood log p(X | θ) = Σ_n w_n log Σ_k π_k N(x_n | μ_k, Σ_k).

    Book eq. :eq:`gmm-log-likelihood` (with weights, eq. :eq:`soft-em-sample-weights`).
    The inner sum is a log-sum-exp of log π_k + log N(x_n | μ_k, Σ_k), so it neither
    underflows nor overflows.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Mixture parameters with D features.
    sample_weight : array_like of shape (N,), optional
        Non-negative weight w_n of each row (default: all ones). Integer weights give the
        log-likelihood of the data with each row repeated w_n times.

    Returns
    -------
    float
        The total (not the mean) log-likelihood.
    """
    X = check_data(X)
    check_params_match(X, params)
    weights = check_sample_weight(sample_weight, X.shape[0])
    log_marginals, _ = expectation(X, params)
    return float(weights @ log_marginals)


def e_step(X, params: GMMParams) -> np.ndarray:
    """The E-step: responsibilities γ(z_nk) = p(z_n = k | x_n, θ) by Bayes' theorem.

    Book eq. :eq:`soft-em-responsibilities`:
    γ(z_nk) = π_k N(x_n | μ_k, Σ_k) / Σ_j π_j N(x_n | μ_j, Σ_j), evaluated as
    exp(log π_k + log N_k − logsumexp_j(log π_j + log N_j)).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Current mixture parameters θ.

    Returns
    -------
    ndarray of shape (N, K)
        Non-negative responsibilities; each row sums to one.
    """
    X = check_data(X)
    check_params_match(X, params)
    _, log_responsibilities = expectation(X, params)
    return np.exp(log_responsibilities)
