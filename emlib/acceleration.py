"""SQUAREM: squared extrapolation of the EM map (Varadhan and Roland 2008, step length S3).

From θ_0, two EM steps give θ_1 = M(θ_0) and θ_2 = M(θ_1). With r = θ_1 − θ_0 and
v = θ_2 − 2θ_1 + θ_0, the extrapolated point is θ′ = θ_0 − 2α r + α² v with the S3 step length
α = −‖r‖/‖v‖ (capped at −1, where θ′ = θ_2), and one more EM step θ_new = M(θ′) stabilises it
(book eq. :eq:`em-gradient-squarem`).

Safeguard: the extrapolated point is used only if it is a valid mixture (weights on the simplex,
covariances positive definite) and its stabilised successor has a log-likelihood at least that
of θ_2; otherwise the iteration falls back to θ_2, two plain EM steps. So every accepted iterate
is a valid mixture and the log-likelihood never drops between accepted iterates (as far as
plain EM does not).
"""

from __future__ import annotations

import numpy as np

from .expectation import posterior
from .latent import frozen_result, has_converged
from .maximization import maximization_keeping_empty
from .params import GMMParams

__all__: list[str] = []


def _pack(params: GMMParams) -> np.ndarray:
    return np.concatenate([params.weights, params.means.ravel(), params.covariances.ravel()])


def _unpack(theta: np.ndarray, n_components: int, n_features: int) -> GMMParams | None:
    """The mixture with these raw coordinates, or None if it is not a valid mixture."""
    weights = theta[:n_components]
    means = theta[n_components : n_components + n_components * n_features].reshape(n_components, n_features)
    covariances = theta[n_components + n_components * n_features :].reshape(n_components, n_features, n_features)
    if np.any(weights < 0) or not np.all(np.isfinite(theta)):
        return None
    try:
        return GMMParams(weights / weights.sum(), means, covariances)
    except ValueError:  # a covariance is no longer positive definite
        return None


def run_squarem(X, sample_weight, params, covariance_type, regulariser, max_iter, tol):
    """SQUAREM on validated inputs; returns (EMResult, number of EM-map evaluations).

    ``log_likelihoods`` has one entry per accepted iterate (entry 0: the start). The safeguard
    and the stopping rule of book eq. :eq:`soft-em-stopping` compare the objective,
    ℓ + log p(θ) (the log-likelihood itself unless the regulariser is a prior), between
    accepted iterates.
    """
    total_weight = sample_weight.sum()
    shape = (params.n_components, params.n_features)

    def e_step(point):
        log_marginals, responsibilities = posterior(X, point)
        log_likelihood = float(sample_weight @ log_marginals)
        return log_likelihood + regulariser.log_prior(point, covariance_type), responsibilities, log_likelihood

    def m_step(responsibilities, previous):
        return maximization_keeping_empty(X, responsibilities, sample_weight, previous, covariance_type, regulariser)

    objective, responsibilities, log_likelihood = e_step(params)
    history, objectives = [log_likelihood], [objective]
    evaluations = 0
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        first = m_step(responsibilities, params)
        first_responsibilities = e_step(first)[1]
        second = m_step(first_responsibilities, first)
        accepted = (second, *e_step(second))
        evaluations += 2

        with np.errstate(over="ignore", invalid="ignore"):
            r = _pack(first) - _pack(params)
            v = _pack(second) - 2.0 * _pack(first) + _pack(params)
            r_norm, v_norm = np.linalg.norm(r), np.linalg.norm(v)
        if np.isfinite(r_norm) and np.isfinite(v_norm) and v_norm > 0:  # else: keep the two plain steps
            step_length = min(-r_norm / v_norm, -1.0)
            candidate = _unpack(_pack(params) - 2.0 * step_length * r + step_length**2 * v, *shape)
            if candidate is not None and step_length < -1.0:
                try:
                    stabilised = m_step(e_step(candidate)[1], candidate)
                    evaluations += 1
                    stabilised_scores = e_step(stabilised)
                    if stabilised_scores[0] >= accepted[1]:
                        accepted = (stabilised, *stabilised_scores)
                except ValueError:  # the extrapolated point led to a singular M-step: keep θ_2
                    pass

        params, objective, responsibilities, log_likelihood = accepted
        history.append(log_likelihood)
        objectives.append(objective)
        n_iter += 1
        if has_converged(objectives, tol, total_weight, regulariser.monotone):
            converged = True
            break
    return frozen_result(params, history, n_iter, converged, responsibilities, objectives), evaluations
