"""Hard (classification) EM: block-coordinate ascent on the complete-data log-likelihood.

Alternate z* = argmax_z log p(X, z | θ), which assigns each point to its most probable
component, and θ = argmax_θ log p(X, z* | θ), the ordinary M-step on one-hot
responsibilities. Both steps can only raise log p(X, z | θ) (exactly so without
regularisation), and there are finitely many assignments, so the loop stops.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ._regularisation import Regulariser
from ._validation import check_data, check_labels, check_params_match
from .expectation import log_joint
from .latent import EMResult, frozen_result
from .maximization import maximization_keeping_empty
from .params import GMMParams

__all__ = ["hard_assignments"]


def hard_assignments(X, params: GMMParams, previous=None) -> np.ndarray:
    """The hard E-step: z*_n = argmax_k log π_k + log N(x_n | μ_k, Σ_k) (book eq. :eq:`hard-em-e-step`).

    Each point goes to the component with the largest joint density p(x_n, z_n = k | θ),
    that is, the largest responsibility :func:`emlib.e_step` would give it. ``fit_gmm(...,
    method="hard")`` alternates this step with :func:`emlib.m_step` on one-hot
    responsibilities.

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
    check_params_match(X, params)
    if previous is not None:
        previous = check_labels(previous, X.shape[0], params.n_components, name="previous")
    return _hard_e_step(X, params, previous)[0]


def _hard_e_step(X: np.ndarray, params: GMMParams, previous: np.ndarray | None = None):
    """Labels z*_n and the log-joint of each point at its label, log p(x_n, z*_n | θ), from one density pass."""
    scores = log_joint(X, params)
    rows = np.arange(X.shape[0])
    labels = np.argmax(scores, axis=1)
    if previous is not None:
        keep = scores[rows, previous] >= scores[rows, labels]
        labels = np.where(keep, previous, labels)
    return labels, scores[rows, labels]


def hard_maximization(
    X: np.ndarray,
    labels: np.ndarray,
    sample_weight: np.ndarray,
    previous: GMMParams,
    covariance_type: str,
    regulariser: Regulariser,
) -> GMMParams:
    """The M-step on one-hot assignments: per-cluster weighted MLE (book eq. :eq:`hard-em-m-step`).

    **Empty components.** A component that received no point (no positive weight) gets weight
    π_k = 0, which is what maximising log p(X, z* | θ) over π gives, and keeps its previous
    mean and covariance (see ``emlib.maximization.maximization_keeping_empty``). With
    log π_k = −∞ it can never win a point again: the fit continues with fewer effective
    components, deterministically, with no NaN.
    """
    one_hot = np.zeros((X.shape[0], previous.n_components))
    one_hot[np.arange(X.shape[0]), labels] = 1.0
    return maximization_keeping_empty(X, one_hot, sample_weight, previous, covariance_type, regulariser)


def run_hard_em(
    X: np.ndarray,
    sample_weight: np.ndarray,
    params: GMMParams,
    covariance_type: str,
    regulariser: Regulariser,
    max_iter: int,
) -> EMResult:
    """Hard EM on validated inputs, from ``params``; stops when the assignments stop changing.

    Returns an :class:`emlib.EMResult` whose ``log_likelihoods`` are the classification
    log-likelihoods log p(X, z*_t | θ_t) and whose ``posterior`` is one-hot. ``converged`` is
    False if ``max_iter`` ran out, or if an earlier assignment came back (a cycle, which only
    regularisation can cause): the loop stops there with a :class:`emlib.ConvergenceWarning`,
    so it always ends in finitely many steps.
    """
    counted = sample_weight > 0  # rows of weight zero cannot affect the fit, nor its stopping
    labels, joint_at_labels = _hard_e_step(X, params)
    history = [float(sample_weight @ joint_at_labels)]
    objectives = [history[-1] + regulariser.log_prior(params, covariance_type)]
    seen = {_fingerprint(labels[counted])}
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        params = hard_maximization(X, labels, sample_weight, params, covariance_type, regulariser)
        new_labels, joint_at_labels = _hard_e_step(X, params, previous=labels)
        history.append(float(sample_weight @ joint_at_labels))  # log p(X, z* | θ), eq. (hard-em-objective)
        objectives.append(history[-1] + regulariser.log_prior(params, covariance_type))
        n_iter += 1
        unchanged = np.array_equal(new_labels[counted], labels[counted])
        labels = new_labels
        if unchanged:
            converged = True
            break
        fingerprint = _fingerprint(labels[counted])
        if fingerprint in seen:
            break
        seen.add(fingerprint)
    assignments = np.zeros((X.shape[0], params.n_components))
    assignments[np.arange(X.shape[0]), labels] = 1.0
    return frozen_result(params, history, n_iter, converged, assignments, objectives)


def _fingerprint(labels: np.ndarray) -> bytes:
    return hashlib.sha1(np.ascontiguousarray(labels, dtype=np.int64).tobytes()).digest()
