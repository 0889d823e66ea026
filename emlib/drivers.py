"""The EM drivers, written once for every model: EM, classification (hard) EM and SQUAREM.

Each driver alternates a model's E-step and M-step (``emlib.model``) from a start θ_0, and
shares everything else: one signature, one stopping rule (book eq. :eq:`soft-em-stopping`, on
the objective ℓ + log p(θ)), one history of accepted iterates, one result type
(:class:`emlib.EMResult`), an optional callback and an optional parameter trajectory.

- :func:`run_em` — EM: θ_{t+1} = M(θ_t), the M-step on the E-step's statistics at θ_t.
- :func:`run_hard_em` — classification EM: the hard E-step assigns each row its most probable
  latent value z*, and the M-step is the ordinary one on that complete data.
- :func:`run_squarem` — SQUAREM (Varadhan and Roland 2008, step length S3): two EM steps
  θ_1 = M(θ_0), θ_2 = M(θ_1); with r = θ_1 − θ_0 and v = θ_2 − 2θ_1 + θ_0 the extrapolated point
  θ′ = θ_0 − 2α r + α² v, α = −‖r‖/‖v‖ (capped at −1, where θ′ = θ_2), is stabilised by one more EM
  step (book eq. :eq:`em-gradient-squarem`). It is accepted only if it is valid parameters and its
  objective is at least that of θ_2; otherwise the iteration keeps θ_2.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable

import numpy as np

from ._validation import check_count, check_nonnegative_real, check_sample_weight
from .model import EStep, LatentVariableModel
from .result import EMResult

__all__ = ["METHODS", "ConvergenceWarning", "fit_em", "has_converged", "run", "run_em", "run_hard_em", "run_squarem"]

#: The drivers, by the name ``fit_em`` and ``fit_gmm`` take as ``method``.
METHODS = ("em", "hard", "squarem")


class ConvergenceWarning(UserWarning):
    """A driver stopped at ``max_iter`` (or, for hard EM, at a cycle) before meeting its stopping rule."""


def has_converged(objectives: list[float], tol: float, total_weight: float, monotone: bool = True) -> bool:
    """The stopping rule of book eq. :eq:`soft-em-stopping` on the objective's last change per unit of weight.

    For EM and MAP-EM (``monotone``) the objective can fall only by rounding, so a rise of at
    most ``tol``, or any fall, means a fixed point is reached. Without that guarantee (an
    absolute ``reg_covar``) a fall is not convergence: the rule then asks ``|change| ≤ tol``.
    """
    change = (objectives[-1] - objectives[-2]) / total_weight
    return change <= tol if monotone else abs(change) <= tol


class _History:
    """The accepted iterates of one run: their log-likelihoods, objectives and (optionally) parameters."""

    def __init__(self, model, data, weights, tol, callback, keep_trajectory, hard=False):
        self.model, self.data, self.weights = model, data, weights
        self.tol, self.callback, self.hard = tol, callback, hard
        self.total_weight = float(weights.sum())
        self.monotone = model.objective_is_monotone()
        self.log_likelihoods: list[float] = []
        self.objectives: list[float] = []
        self.trajectory = [] if keep_trajectory else None
        self.n_evaluations = 0

    @property
    def n_iter(self) -> int:
        return len(self.objectives) - 1

    def objective(self, params, estep: EStep) -> float:
        """ℓ(θ) + log p(θ), or log p(X, z* | θ) + log p(θ) for hard EM."""
        fit_term = estep.classification_log_likelihood if self.hard else estep.log_likelihood
        return fit_term + self.model.log_parameter_prior(self.data, self.weights, params)

    def accept(self, params, estep: EStep, objective: float | None = None) -> bool:
        """Record an iterate; True if the stopping rule is met."""
        self.log_likelihoods.append(estep.log_likelihood)
        self.objectives.append(self.objective(params, estep) if objective is None else objective)
        if self.trajectory is not None:
            self.trajectory.append(params)
        if self.callback is not None:
            self.callback(self.n_iter, params, self.log_likelihoods[-1], self.objectives[-1])
        return self.n_iter > 0 and has_converged(self.objectives, self.tol, self.total_weight, self.monotone)

    def result(self, params, estep: EStep, converged: bool, method: str) -> EMResult:
        return EMResult(
            model=self.model,
            params=params,
            log_likelihoods=self.log_likelihoods,
            objectives=self.objectives,
            n_iter=self.n_iter,
            converged=converged,
            posterior=estep.statistics,
            method=method,
            n_evaluations=self.n_evaluations,
            degenerate=self.model.degenerate(self.data, self.weights, params),
            trajectory=self.trajectory,
        )


def run_em(model, data, weights, params, *, max_iter, tol, callback=None, trajectory=False) -> EMResult:
    """EM on validated inputs from ``params``: θ_{t+1} = M-step(E-step(θ_t)) until the stopping rule."""
    history = _History(model, data, weights, tol, callback, trajectory)
    estep = model.expectation(data, weights, params)
    converged = history.accept(params, estep)
    while not converged and history.n_iter < max_iter:
        params = model.maximization(data, weights, estep.statistics, params)
        estep = model.expectation(data, weights, params)
        history.n_evaluations += 1
        converged = history.accept(params, estep)
    return history.result(params, estep, converged, "em")


def run_hard_em(model, data, weights, params, *, max_iter, tol, callback=None, trajectory=False) -> EMResult:
    """Classification EM on validated inputs: hard E-step, M-step on the completed data, repeated.

    Both steps can only raise log p(X, z | θ) + log p(θ) (exactly so without an absolute
    regularisation), so the objective rule applies; an assignment that no longer changes is a
    fixed point, and converged. An earlier assignment coming back (a cycle, which only
    regularisation can cause) stops the run with ``converged=False``: it always ends.
    """
    history = _History(model, data, weights, tol, callback, trajectory, hard=True)
    counted = weights > 0  # rows of weight zero cannot affect the fit, nor its stopping
    estep = model.classification(data, weights, params)
    history.accept(params, estep)
    seen = {_fingerprint(estep.assignment[counted])}
    converged = False
    while history.n_iter < max_iter:
        params = model.maximization(data, weights, estep.statistics, params)
        new = model.classification(data, weights, params, estep.assignment)
        history.n_evaluations += 1
        unchanged = np.array_equal(new.assignment[counted], estep.assignment[counted])
        estep = new
        if history.accept(params, estep) or unchanged:
            converged = True
            break
        fingerprint = _fingerprint(estep.assignment[counted])
        if fingerprint in seen:
            break
        seen.add(fingerprint)
    return history.result(params, estep, converged, "hard")


def _fingerprint(assignment: np.ndarray) -> bytes:
    return hashlib.sha1(np.ascontiguousarray(assignment, dtype=np.int64).tobytes()).digest()


def run_squarem(model, data, weights, params, *, max_iter, tol, callback=None, trajectory=False) -> EMResult:
    """SQUAREM on validated inputs (see the module notes); one history entry per accepted iterate."""
    history = _History(model, data, weights, tol, callback, trajectory)

    def em_step(point, estep):
        history.n_evaluations += 1
        new = model.maximization(data, weights, estep.statistics, point)
        return new, model.expectation(data, weights, new)

    estep = model.expectation(data, weights, params)
    converged = history.accept(params, estep)
    while not converged and history.n_iter < max_iter:
        first, first_estep = em_step(params, estep)
        second, second_estep = em_step(first, first_estep)
        accepted = (second, second_estep, history.objective(second, second_estep))
        extrapolated = _extrapolate(model, params, first, second)
        if extrapolated is not None:
            try:
                stabilised, stabilised_estep = em_step(extrapolated, model.expectation(data, weights, extrapolated))
                objective = history.objective(stabilised, stabilised_estep)
                if objective >= accepted[2]:
                    accepted = (stabilised, stabilised_estep, objective)
            except ValueError:  # the extrapolated point led to an invalid M-step: keep θ_2
                pass
        params, estep, objective = accepted
        converged = history.accept(params, estep, objective)
    return history.result(params, estep, converged, "squarem")


def _extrapolate(model, start, first, second):
    """The S3 extrapolation θ_0 − 2α r + α² v, or None if it is not a longer step than θ_2 or not valid."""
    theta, theta1, theta2 = model.flatten(start), model.flatten(first), model.flatten(second)
    with np.errstate(over="ignore", invalid="ignore"):
        r = theta1 - theta
        v = theta2 - 2.0 * theta1 + theta
        r_norm, v_norm = np.linalg.norm(r), np.linalg.norm(v)
    if not (np.isfinite(r_norm) and np.isfinite(v_norm) and v_norm > 0):
        return None
    step_length = min(-r_norm / v_norm, -1.0)
    if step_length == -1.0:  # θ′ = θ_2: nothing to gain
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        candidate = theta - 2.0 * step_length * r + step_length**2 * v
    if not np.all(np.isfinite(candidate)):
        return None
    return model.unflatten(candidate, start)


_DRIVERS = {"em": run_em, "hard": run_hard_em, "squarem": run_squarem}


def _check_method(method) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    return method


def _check_callback(callback):
    if callback is not None and not callable(callback):
        raise TypeError(
            f"callback must be None or callable(iteration, params, log_likelihood, objective); got {callback!r}"
        )
    return callback


def run(model, data, weights, params, *, method="em", max_iter, tol, callback=None, trajectory=False) -> EMResult:
    """The driver named ``method`` on validated inputs."""
    return _DRIVERS[method](
        model, data, weights, params, max_iter=max_iter, tol=tol, callback=callback, trajectory=trajectory
    )


def fit_em(
    model: LatentVariableModel,
    X,
    init,
    *,
    method: str = "em",
    max_iter: int = 1000,
    tol: float = 1e-6,
    sample_weight=None,
    callback: Callable | None = None,
    trajectory: bool = False,
) -> EMResult:
    """Run EM, classification EM or SQUAREM for any :class:`emlib.LatentVariableModel` from ``init``.

    Alternates the model's M-step and E-step and stops by the rule of book eq.
    :eq:`soft-em-stopping`: as soon as the objective (the log-likelihood, plus the log-prior for
    MAP-EM) per unit of weight rises by no more than ``tol`` in one iteration.

    Parameters
    ----------
    model : LatentVariableModel
        The model, for example :class:`emlib.GaussianMixtureModel` or :class:`emlib.BinomialMixture`.
    X : array_like
        Data, in the form the model accepts (first axis: rows).
    init : object
        Starting parameters, of the model's parameter type.
    method : {"em", "hard", "squarem"}, default "em"
        The driver: EM, classification EM (needs ``model.classification``), or SQUAREM (needs
        ``model.flatten`` and ``model.unflatten``).
    max_iter : int, default 1000
        Maximum number of iterations (0 evaluates ``init`` only).
    tol : float, default 1e-6
        Threshold of the stopping rule, per unit of weight.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights.
    callback : callable, optional
        Called after the start and after every iteration as
        ``callback(iteration, params, log_likelihood, objective)``.
    trajectory : bool, default False
        Keep the parameters of every iterate in ``EMResult.trajectory``.

    Returns
    -------
    EMResult

    Warns
    -----
    ConvergenceWarning
        If the stopping rule was not met within ``max_iter`` iterations (or hard EM met a cycle).
    """
    if not isinstance(model, LatentVariableModel):
        raise TypeError(f"model must be an emlib.LatentVariableModel; got {type(model).__name__}")
    data = model.check_data(X)
    model.check_params(data, init, name="init")
    method = _check_method(method)
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    weights = check_sample_weight(sample_weight, len(data))
    callback = _check_callback(callback)
    result = run(
        model,
        data,
        weights,
        init,
        method=method,
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        trajectory=bool(trajectory),
    )
    _warn_if_not_converged(result, tol, max_iter, stacklevel=2)
    return result


def _warn_if_not_converged(result: EMResult, tol: float, max_iter: int, stacklevel: int) -> None:
    """A ConvergenceWarning that says why the run stopped, unless it converged (or max_iter was 0)."""
    if result.converged or max_iter == 0:
        return
    if result.method == "hard" and result.n_iter < max_iter:
        reason = "hard EM's assignment returned to an earlier one (a cycle)"
    else:
        reason = f"{result.method} did not meet the stopping rule (tol={tol:g}) within max_iter={max_iter} iterations"
    warnings.warn(f"{reason}; increase max_iter or tol", ConvergenceWarning, stacklevel=stacklevel + 1)
