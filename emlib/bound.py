"""The evidence lower bound L(q, θ), the posterior KL divergence, and the complete-data likelihood.

For any distribution q over the latent labels, log p(X | θ) = L(q, θ) + KL(q ‖ p(Z | X, θ)):
these functions compute each term for a Gaussian mixture, so the decomposition can be checked
on data.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from ._validation import check_data, check_labels, check_params_match, check_responsibilities
from .expectation import expectation, log_joint, representable
from .params import GMMParams


def _weighted_log(q: np.ndarray, log_values: np.ndarray) -> np.ndarray:
    """q · log_values elementwise, with 0 · log 0 = 0 (and 0 · (−inf) = 0)."""
    return np.where(q > 0, q * np.where(q > 0, log_values, 0.0), 0.0)


def elbo(X, params: GMMParams, q) -> float:
    """The evidence lower bound L(q, θ) = Σ_n Σ_k q_nk [log p(x_n, z_n = k | θ) − log q_nk].

    Book eq. :eq:`elbo-definition`. By Jensen's inequality L(q, θ) ≤ log p(X | θ) for every q,
    with equality exactly when q is the posterior (the E-step's responsibilities).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Mixture parameters θ.
    q : array_like of shape (N, K)
        A distribution over the K labels for each point: non-negative rows summing to one.
        Zeros are allowed (0 · log 0 = 0).

    Returns
    -------
    float
        L(q, θ); −inf if q puts mass on a component of zero weight.
    """
    X = check_data(X)
    check_params_match(X, params)
    q = _check_q(q, X, params)
    joint = log_joint(X, params)
    with np.errstate(over="ignore"):
        value = float(np.sum(_weighted_log(q, joint)) - np.sum(xlogy(q, q)))
    if value == -np.inf and _mass_on_empty_components(q, params):
        return value  # documented: q puts mass where the model has none
    return representable(value, "the evidence lower bound")


def posterior_kl(X, params: GMMParams, q) -> float:
    """Σ_n KL(q_n ‖ p(z_n | x_n, θ)), the gap between log p(X | θ) and L(q, θ).

    Book eq. :eq:`elbo-kl-decomposition`. Non-negative, and zero exactly when each q_n
    equals the posterior p(z_n | x_n, θ) given by :func:`emlib.e_step`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Mixture parameters θ.
    q : array_like of shape (N, K)
        Non-negative rows summing to one; zeros allowed.

    Returns
    -------
    float
        The summed Kullback–Leibler divergence; +inf if q puts mass where the posterior
        has none.
    """
    X = check_data(X)
    check_params_match(X, params)
    q = _check_q(q, X, params)
    _, log_posterior = expectation(X, params)
    with np.errstate(over="ignore"):
        divergence = float(np.sum(xlogy(q, q)) - np.sum(_weighted_log(q, log_posterior)))
    if divergence == np.inf and _mass_on_empty_components(q, params):
        return divergence  # documented: q puts mass where the posterior has none
    return max(representable(divergence, "the posterior KL divergence"), 0.0)


def complete_log_likelihood(X, z, params: GMMParams) -> float:
    """log p(X, z | θ) = Σ_n [log π_{z_n} + log N(x_n | μ_{z_n}, Σ_{z_n})] for hard labels z.

    Book eq. :eq:`complete-log-likelihood`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    z : array_like of int, shape (N,)
        The label of each point, in 0, …, K − 1.
    params : GMMParams
        Mixture parameters θ.

    Returns
    -------
    float
        The complete-data log-likelihood; −inf if a label points at a component of weight 0.
    """
    X = check_data(X)
    check_params_match(X, params)
    labels = check_labels(z, X.shape[0], params.n_components)
    joint = log_joint(X, params)
    with np.errstate(over="ignore"):
        value = float(np.sum(joint[np.arange(X.shape[0]), labels]))
    if value == -np.inf and np.any(params.weights[labels] == 0):
        return value  # documented: a label points at a component of weight zero
    return representable(value, "the complete-data log-likelihood")


def _mass_on_empty_components(q: np.ndarray, params: GMMParams) -> bool:
    return bool(np.any(q[:, params.weights == 0] > 0))


def _check_q(q, X: np.ndarray, params: GMMParams) -> np.ndarray:
    q = check_responsibilities(q, X.shape[0], name="q")
    if q.shape[1] != params.n_components:
        raise ValueError(f"q must have one column per component ({params.n_components}); got {q.shape[1]}")
    return q
