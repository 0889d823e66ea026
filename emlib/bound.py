"""The evidence lower bound L(q, θ), the posterior KL divergence, and the complete-data likelihood.

For any distribution q over the latent labels, log p(X | θ) = L(q, θ) + KL(q ‖ p(Z | X, θ)):
these functions compute each term for a Gaussian mixture, so the decomposition can be checked
on data, and Q(θ, θ_old), the expected complete-data log-likelihood that the M-step maximises.
Every sum over rows takes the row weights w_n (book eq. :eq:`soft-em-sample-weights`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from ._validation import check_data, check_labels, check_representable, check_responsibilities, check_sample_weight
from .expectation import _log_joint, _log_posterior, _posterior
from .params import GMMParams, check_gmm_params

__all__ = ["complete_log_likelihood", "elbo", "expected_complete_log_likelihood", "posterior_kl"]


def _weighted_sum(weights: np.ndarray, per_row: np.ndarray) -> float:
    """Σ_n w_n v_n over the rows of positive weight (a row of weight zero contributes nothing, even if v_n = ±inf)."""
    counted = weights > 0
    return float(weights[counted] @ per_row[counted])


def _weighted_log(q: np.ndarray, log_values: np.ndarray) -> np.ndarray:
    """q · log_values elementwise, with 0 · log 0 = 0 (and 0 · (−inf) = 0)."""
    return np.where(q > 0, q * np.where(q > 0, log_values, 0.0), 0.0)


def elbo(X, params: GMMParams, q, *, sample_weight=None) -> float:
    """The evidence lower bound L(q, θ) = Σ_n w_n Σ_k q_nk [log p(x_n, z_n = k | θ) − log q_nk].

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
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (default: all ones).

    Returns
    -------
    float
        L(q, θ); −inf if q puts mass on a component of zero weight.
    """
    X = check_data(X)
    check_gmm_params(X, params)
    q = _check_q(q, X, params)
    weights = check_sample_weight(sample_weight, X.shape[0])
    joint = _log_joint(X, params)
    with np.errstate(over="ignore"):
        value = _weighted_sum(weights, np.sum(_weighted_log(q, joint), axis=1) - np.sum(xlogy(q, q), axis=1))
    if value == -np.inf and _mass_on_empty_components(q, params):
        return value  # documented: q puts mass where the model has none
    return check_representable(value, "the evidence lower bound")


def posterior_kl(X, params: GMMParams, q, *, sample_weight=None) -> float:
    """Σ_n w_n KL(q_n ‖ p(z_n | x_n, θ)), the gap between log p(X | θ) and L(q, θ).

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
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (default: all ones).

    Returns
    -------
    float
        The summed Kullback–Leibler divergence; +inf if q puts mass where the posterior
        has none.
    """
    X = check_data(X)
    check_gmm_params(X, params)
    q = _check_q(q, X, params)
    weights = check_sample_weight(sample_weight, X.shape[0])
    _, log_posterior = _log_posterior(X, params)
    with np.errstate(over="ignore"):
        divergence = _weighted_sum(
            weights, np.sum(xlogy(q, q), axis=1) - np.sum(_weighted_log(q, log_posterior), axis=1)
        )
    if divergence == np.inf and _mass_on_empty_components(q, params):
        return divergence  # documented: q puts mass where the posterior has none
    return max(check_representable(divergence, "the posterior KL divergence"), 0.0)


def complete_log_likelihood(X, z, params: GMMParams, *, sample_weight=None) -> float:
    """log p(X, z | θ) = Σ_n w_n [log π_{z_n} + log N(x_n | μ_{z_n}, Σ_{z_n})] for hard labels z.

    Book eq. :eq:`complete-log-likelihood`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    z : array_like of int, shape (N,)
        The label of each point, in 0, …, K − 1.
    params : GMMParams
        Mixture parameters θ.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (default: all ones).

    Returns
    -------
    float
        The complete-data log-likelihood; −inf if a label points at a component of weight 0.
    """
    X = check_data(X)
    check_gmm_params(X, params)
    labels = check_labels(z, X.shape[0], params.n_components)
    weights = check_sample_weight(sample_weight, X.shape[0])
    joint = _log_joint(X, params)
    with np.errstate(over="ignore"):
        value = _weighted_sum(weights, joint[np.arange(X.shape[0]), labels])
    if value == -np.inf and np.any(params.weights[labels] == 0):
        return value  # documented: a label points at a component of weight zero
    return check_representable(value, "the complete-data log-likelihood")


def expected_complete_log_likelihood(X, params: GMMParams, params_old: GMMParams, *, sample_weight=None) -> float:
    """Q(θ, θ_old) = Σ_n w_n Σ_k γ_nk(θ_old) log p(x_n, z_n = k | θ), the quantity the M-step maximises.

    Book eq. :eq:`soft-em-q`: the complete-data log-likelihood averaged over the posterior of
    the labels under θ_old (the E-step's responsibilities γ). The M-step
    (:func:`emlib.m_step` with ``reg_covar=0``) returns its maximiser over θ, and
    L(γ(θ_old), θ) = Q(θ, θ_old) + H(γ(θ_old)) (:func:`elbo`).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        θ, where Q is evaluated.
    params_old : GMMParams
        θ_old, whose responsibilities weight the complete-data log-likelihood.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (default: all ones).

    Returns
    -------
    float
        Q(θ, θ_old); −inf if θ gives weight 0 to a component that θ_old makes responsible.
    """
    X = check_data(X)
    check_gmm_params(X, params)
    check_gmm_params(X, params_old, name="params_old")
    if params_old.n_components != params.n_components:
        raise ValueError(f"params_old has {params_old.n_components} components but params has {params.n_components}")
    weights = check_sample_weight(sample_weight, X.shape[0])
    _, responsibilities = _posterior(X, params_old)
    with np.errstate(over="ignore"):
        value = _weighted_sum(weights, np.sum(_weighted_log(responsibilities, _log_joint(X, params)), axis=1))
    if value == -np.inf and _mass_on_empty_components(responsibilities, params):
        return value  # documented: θ_old makes a component responsible that θ gives weight zero
    return check_representable(value, "Q(params, params_old)")


def _mass_on_empty_components(q: np.ndarray, params: GMMParams) -> bool:
    return bool(np.any(q[:, params.weights == 0] > 0))


def _check_q(q, X: np.ndarray, params: GMMParams) -> np.ndarray:
    q = check_responsibilities(q, X.shape[0], name="q")
    if q.shape[1] != params.n_components:
        raise ValueError(f"q must have one column per component ({params.n_components}); got {q.shape[1]}")
    return q
