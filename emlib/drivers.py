"""The EM drivers, written once for every model: EM, classification (hard) EM, SQUAREM, ECG and EM–ECG.

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
- :func:`run_ecg` — Expectation–Conjugate-Gradient (Salakhutdinov, Roweis and Ghahramani 2003;
  book :prf:ref:`em-gradient-alg-ecg`): nonlinear conjugate gradient on the objective,
  with the EM step g̃(θ) = M(θ) − θ = P(θ)∇ℓ(θ) as the preconditioned gradient and a Wolfe line
  search (``scipy.optimize.line_search``) along each direction.
- :func:`run_hybrid` — EM while it converges fast, then ECG from where EM stopped.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable

import numpy as np
from scipy.optimize import line_search

from ._validation import check_count, check_nonnegative_real, check_positive_real, check_sample_weight
from .model import EStep, LatentVariableModel
from .result import EMResult
from .stopping import check_stopping, increment, stopping_rule

__all__ = [
    "METHODS",
    "ConvergenceWarning",
    "fit_em",
    "has_converged",
    "run",
    "run_ecg",
    "run_em",
    "run_hard_em",
    "run_hybrid",
    "run_squarem",
]

#: The drivers, by the name ``fit_em`` and ``fit_gmm`` take as ``method``.
METHODS = ("em", "hard", "squarem", "ecg", "hybrid")


class ConvergenceWarning(UserWarning):
    """A driver stopped at ``max_iter`` (or, for hard EM, at a cycle) before meeting its stopping rule."""


def has_converged(objectives: list[float], tol: float, total_weight: float, monotone: bool = True) -> bool:
    """The stopping rule of book eq. :eq:`soft-em-stopping` on the objective's last change per unit of weight.

    For EM and MAP-EM (``monotone``) the objective can fall only by rounding, so a rise of at
    most ``tol``, or any fall, means a fixed point is reached. Without that guarantee (an
    absolute ``reg_covar``) a fall is not convergence: the rule then asks ``|change| ≤ tol``.
    This is ``emlib.stopping.increment``, the default of every driver (``stopping="increment"``).
    """
    return increment(objectives, tol, total_weight, monotone)


class _History:
    """The accepted iterates of one run: their log-likelihoods, objectives and (optionally) parameters."""

    def __init__(self, model, data, weights, tol, callback, keep_trajectory, hard=False, stopping="increment"):
        self.model, self.data, self.weights = model, data, weights
        self.tol, self.callback, self.hard = tol, callback, hard
        self.stopping = stopping_rule(stopping)
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
        return self.n_iter > 0 and self.stopping(self.objectives, self.tol, self.total_weight, self.monotone)

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


def run_em(
    model, data, weights, params, *, max_iter, tol, callback=None, trajectory=False, stopping="increment"
) -> EMResult:
    """EM on validated inputs from ``params``: θ_{t+1} = M-step(E-step(θ_t)) until the stopping rule."""
    history = _History(model, data, weights, tol, callback, trajectory, stopping=stopping)
    estep = model.expectation(data, weights, params)
    converged = history.accept(params, estep)
    params, estep, converged = _em_steps(history, params, estep, converged, max_iter)
    return history.result(params, estep, converged, "em")


def _em_steps(history: _History, params, estep: EStep, converged: bool, max_iter: int, until=None):
    """EM iterations θ_{t+1} = M-step(E-step(θ_t)) until the stopping rule, ``max_iter``, or ``until(history)``."""
    model, data, weights = history.model, history.data, history.weights
    while not converged and history.n_iter < max_iter:
        params = model.maximization(data, weights, estep.statistics, params)
        estep = model.expectation(data, weights, params)
        history.n_evaluations += 1
        converged = history.accept(params, estep)
        if until is not None and until(history):
            break
    return params, estep, converged


def run_hard_em(
    model, data, weights, params, *, max_iter, tol, callback=None, trajectory=False, stopping="increment"
) -> EMResult:
    """Classification EM on validated inputs: hard E-step, M-step on the completed data, repeated.

    Both steps can only raise log p(X, z | θ) + log p(θ) (exactly so without an absolute
    regularisation), so the objective rule applies; an assignment that no longer changes is a
    fixed point, and converged. An earlier assignment coming back (a cycle, which only
    regularisation can cause) stops the run with ``converged=False``: it always ends.
    """
    history = _History(model, data, weights, tol, callback, trajectory, hard=True, stopping=stopping)
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


def run_squarem(
    model, data, weights, params, *, max_iter, tol, callback=None, trajectory=False, stopping="increment"
) -> EMResult:
    """SQUAREM on validated inputs (see the module notes); one history entry per accepted iterate."""
    history = _History(model, data, weights, tol, callback, trajectory, stopping=stopping)

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
                history.n_evaluations += 1  # the E-step at the extrapolated point
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


# --- ECG and the EM–ECG hybrid ----------------------------------------------------------------

#: Wolfe constants of ECG's line search: sufficient increase (c1) and curvature (c2). c2 = 0.1 is
#: the usual choice for conjugate gradient (Nocedal and Wright 2006, section 5.2).
WOLFE = (1e-4, 0.1)
#: Trial steps per line search (scipy.optimize.line_search's maxiter, for its bracketing phase and
#: again for its zoom phase).
LINE_SEARCH_STEPS = 10


def run_ecg(
    model, data, weights, params, *, max_iter, tol, callback=None, trajectory=False, stopping="increment"
) -> EMResult:
    """Expectation–Conjugate-Gradient (ECG) on validated inputs (book :prf:ref:`em-gradient-alg-ecg`).

    Salakhutdinov, Roweis and Ghahramani (2003) observe that EM's step is a preconditioned gradient,
    g̃(θ) = M(θ) − θ = P(θ) ∇ℓ(θ) (book eq. :eq:`em-gradient-em-step`), and run nonlinear conjugate
    gradient with it. Here, in the model's :meth:`~emlib.LatentVariableModel.flatten` coordinates v,
    for the objective F(θ) = ℓ(θ) + log p(θ) that the other drivers increase (ℓ itself for maximum
    likelihood), with ∇F = ``model.score`` + ``model.log_parameter_prior_score``:

    1. from the E-step at θ_t, one M-step: g̃_t = flatten(M(θ_t)) − flatten(θ_t), and ∇F_t;
    2. the direction d_t = g̃_t + β_t d_{t−1}, with the Polak–Ribière-type, preconditioned
       β_t = max(0, ∇F_tᵀ(g̃_t − g̃_{t−1}) / ∇F_{t−1}ᵀ g̃_{t−1}) (β_t = 0 for t = 0, after a restart,
       or if the denominator is not positive); if d_t is not an ascent direction (∇F_tᵀ d_t ≤ 0)
       the method restarts with d_t = g̃_t;
    3. a line search for a step α along d_t: ``scipy.optimize.line_search`` (strong Wolfe
       conditions, c1 = 1e-4, c2 = 0.1, first trial α = 1, which for d_t = g̃_t is the EM step) on
       α ↦ F(unflatten(v_t + α d_t)), where a point that ``unflatten`` refuses (None) counts as
       F = −∞; θ_{t+1} = unflatten(v_t + α d_t) is accepted only if F rises;
    4. if the search finds no rise (or ∇F_tᵀ g̃_t ≤ 0), the EM step θ_{t+1} = M(θ_t) is taken
       instead, if it does not lower F, and the next direction restarts; if even that lowers F
       (which rounding alone can do, at a fixed point) the iterate is kept, θ_{t+1} = θ_t.

    So F never decreases, and the stopping rule (book eq. :eq:`soft-em-stopping`,
    ``emlib.drivers.has_converged``) is the other drivers'. Each line-search point costs one E-step and each
    iteration one M-step; the score reuses the E-step's statistics.

    Parameters
    ----------
    model : LatentVariableModel
        A model with ``flatten``, ``unflatten`` and ``score`` (and ``log_parameter_prior_score`` if
        it has a prior) whose M-step maximises its objective (``objective_is_monotone()``).
    data : object
        Validated data, as ``model.check_data`` returns them (first axis: rows).
    weights : ndarray of shape (N,)
        Validated row weights.
    params : object
        The start θ_0, of the model's parameter type.
    max_iter : int
        Maximum number of iterations (accepted iterates after the start).
    tol : float
        Threshold of the stopping rule, per unit of weight.
    callback : callable, optional
        Called after the start and after every iteration as
        ``callback(iteration, params, log_likelihood, objective)``.
    trajectory : bool, default False
        Keep every accepted iterate in ``EMResult.trajectory``.

    Returns
    -------
    EMResult
        ``method="ecg"``; ``log_likelihoods`` and ``objectives`` of shape (n_iter + 1,);
        ``n_evaluations`` counts the E-steps after the start's (every line-search point included).

    Raises
    ------
    TypeError
        If the model lacks ``flatten``, ``unflatten``, ``score`` or (with a prior)
        ``log_parameter_prior_score``.
    ValueError
        If the model's M-step does not maximise its objective (an absolute ``reg_covar``).
    """
    _check_gradient_model(model, "ecg")
    history = _History(model, data, weights, tol, callback, trajectory, stopping=stopping)
    estep = model.expectation(data, weights, params)
    converged = history.accept(params, estep)
    params, estep, converged = _conjugate_gradient(history, params, estep, converged, max_iter)
    return history.result(params, estep, converged, "ecg")


def run_hybrid(
    model,
    data,
    weights,
    params,
    *,
    max_iter,
    tol,
    callback=None,
    trajectory=False,
    switch_rate=0.9,
    stopping="increment",
) -> EMResult:
    """EM, then ECG once EM has become slow: Salakhutdinov, Roweis and Ghahramani's EM–ECG switch.

    Book :prf:ref:`em-gradient-alg-ecg`. EM iterates (as ``emlib.drivers.run_em``) while it
    converges fast. Near an optimum its objective increments Δ_t = F_t − F_{t−1} shrink like
    ρ^{2t}, ρ being EM's rate of convergence (book eq. :eq:`em-gradient-rate`), so after every EM
    iteration t ≥ 2 the rate is estimated as ρ̂_t = sqrt(Δ_t / Δ_{t−1}) (when Δ_{t−1} > 0). As
    soon as ρ̂_t ≥ ``switch_rate`` — much missing information, where EM is slow and conjugate
    gradient pays — the run continues by ECG (:func:`run_ecg`) from the current iterate, to the
    end; the history, the stopping rule and the counts are one run's.

    Parameters
    ----------
    model, data, weights, params, max_iter, tol, callback, trajectory :
        As for :func:`run_ecg`.
    switch_rate : float, default 0.9
        The estimated rate ρ̂ at which EM hands over to ECG, in (0, 1].

    Returns
    -------
    EMResult
        ``method="hybrid"``; ``n_evaluations`` counts EM's E-steps and ECG's.
    """
    _check_gradient_model(model, "hybrid")
    switch_rate = check_positive_real(switch_rate, "switch_rate")
    if switch_rate > 1.0:
        raise ValueError(f"switch_rate must lie in (0, 1] (a rate of convergence); got {switch_rate!r}")
    history = _History(model, data, weights, tol, callback, trajectory, stopping=stopping)
    estep = model.expectation(data, weights, params)
    converged = history.accept(params, estep)
    params, estep, converged = _em_steps(
        history, params, estep, converged, max_iter, until=lambda h: _em_rate(h.objectives) >= switch_rate
    )
    params, estep, converged = _conjugate_gradient(history, params, estep, converged, max_iter)
    return history.result(params, estep, converged, "hybrid")


def _em_rate(objectives: list[float]) -> float:
    """ρ̂ = sqrt(Δ_t / Δ_{t−1}) from the last three objectives; 0 while it cannot be estimated."""
    if len(objectives) < 3:
        return 0.0
    last, before = objectives[-1] - objectives[-2], objectives[-2] - objectives[-3]
    if not (before > 0 and last >= 0 and np.isfinite(before) and np.isfinite(last)):
        return 0.0
    return float(np.sqrt(last / before))


def _lacks(model, name: str) -> bool:
    """Whether the model does not supply the optional method ``name`` (absent, or the interface's default)."""
    method = getattr(type(model), name, None)
    return method is None or method is getattr(LatentVariableModel, name, None)


#: The optional methods of the interface that each driver needs (ECG's are checked by _check_gradient_model).
_NEEDS = {"hard": ("classification",), "squarem": ("flatten", "unflatten")}


def _check_model_supports(model, method: str) -> None:
    """A TypeError naming what is missing when ``model`` lacks an optional method that ``method`` needs."""
    missing = [name for name in _NEEDS.get(method, ()) if _lacks(model, name)]
    if missing:
        what = "its hard E-step" if method == "hard" else "flat coordinates to extrapolate in"
        raise TypeError(
            f"method {method!r} needs the model's {', '.join(missing)} ({what}); {type(model).__name__}"
            f" has no {' or '.join(missing)} (see emlib.LatentVariableModel)"
        )


def _check_gradient_model(model, method: str) -> None:
    """ECG needs flat coordinates, the score, the prior's score if there is a prior, and a monotone objective."""
    missing = [name for name in ("flatten", "unflatten", "score") if _lacks(model, name)]
    if not _lacks(model, "log_parameter_prior") and _lacks(model, "log_parameter_prior_score"):
        missing.append("log_parameter_prior_score")
    if missing:
        raise TypeError(
            f"method {method!r} needs the model's {', '.join(missing)}; {type(model).__name__} has no"
            f" {' or '.join(missing)} (see emlib.LatentVariableModel.score)"
        )
    if not model.objective_is_monotone():
        raise ValueError(
            f"method {method!r} needs a model whose M-step maximises its objective; {model!r} has"
            " objective_is_monotone() False (for a GaussianMixtureModel: an absolute reg_covar > 0;"
            " use reg_covar=None, the data-scaled prior, or 0)"
        )


class _LineSearch:
    """The objective along flat coordinates: one counted E-step per new point, kept for reuse."""

    def __init__(self, history: _History):
        self.history = history
        self.points: dict[bytes, tuple] = {}
        self._last = (None, None)  # the last E-step whose gradient was computed, and that gradient

    def evaluate(self, vector: np.ndarray, like):
        """(params, estep, objective) at unflatten(vector); (None, None, −inf) where it is refused."""
        key = vector.tobytes()
        if key not in self.points:
            history = self.history
            params = history.model.unflatten(vector, like) if np.all(np.isfinite(vector)) else None
            if params is None:
                self.points[key] = (None, None, -np.inf)
            else:
                estep = history.model.expectation(history.data, history.weights, params)
                history.n_evaluations += 1
                objective = history.objective(params, estep)
                self.points[key] = (params, estep, objective if not np.isnan(objective) else -np.inf)
        return self.points[key]

    def gradient(self, params, estep) -> np.ndarray:
        """∇F = score + log_parameter_prior_score at ``params`` (with its E-step's statistics)."""
        if self._last[0] is estep:  # the line search's last point, accepted: already computed
            return self._last[1]
        model, data, weights = self.history.model, self.history.data, self.history.weights
        score = model.score(data, weights, params, statistics=estep.statistics)
        gradient = np.asarray(score, dtype=np.float64) + model.log_parameter_prior_score(data, weights, params)
        self._last = (estep, gradient)
        return gradient

    def along(self, origin: np.ndarray, direction: np.ndarray, gradient: np.ndarray, objective: float, like):
        """A Wolfe step from ``origin`` along the ascent ``direction``: (params, estep, objective), or None if F does not rise."""
        self.points = {}

        def negative_objective(vector):
            return -self.evaluate(vector, like)[2]

        def negative_gradient(vector):
            params, estep, _ = self.evaluate(vector, like)
            if params is None:  # never asked: the search tests the value first, and −inf fails it
                return np.full(vector.shape, np.nan)
            return -self.gradient(params, estep)

        c1, c2 = WOLFE
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            # scipy's LineSearchWarning (not exported) says the search failed, which is handled below
            warnings.filterwarnings(
                "ignore", message="(The line search algorithm|Rounding errors prevent the line search)"
            )
            step = line_search(
                negative_objective,
                negative_gradient,
                origin,
                direction,
                gfk=-gradient,
                old_fval=-objective,
                c1=c1,
                c2=c2,
                maxiter=LINE_SEARCH_STEPS,
            )[0]
        if step is None or not np.isfinite(step) or step <= 0:
            return None
        found = self.evaluate(origin + step * direction, like)
        return found if found[0] is not None and found[2] > objective else None


def _conjugate_gradient(history: _History, params, estep, converged: bool, max_iter: int):
    """ECG's iterations (see :func:`run_ecg`) from an accepted iterate, until the stopping rule or ``max_iter``."""
    model, data, weights = history.model, history.data, history.weights
    search = _LineSearch(history)
    previous = None  # (∇F, g̃, d) of the last iteration; None at the start and after a restart
    while not converged and history.n_iter < max_iter:
        objective = history.objectives[-1]
        em_point = model.maximization(data, weights, estep.statistics, params)
        origin = np.asarray(model.flatten(params), dtype=np.float64)
        em_direction = np.asarray(model.flatten(em_point), dtype=np.float64) - origin
        gradient = search.gradient(params, estep)
        direction = em_direction
        if previous is not None:
            last_gradient, last_em_direction, last_direction = previous
            denominator = float(last_gradient @ last_em_direction)
            beta = float(gradient @ (em_direction - last_em_direction)) / denominator if denominator > 0 else 0.0
            if np.isfinite(beta) and beta > 0:
                direction = em_direction + beta * last_direction
            if not gradient @ direction > 0:  # not an ascent direction: restart
                direction = em_direction
        step = search.along(origin, direction, gradient, objective, params) if gradient @ direction > 0 else None
        if step is not None:
            previous = (gradient, em_direction, direction)
        else:  # the EM step, which cannot lower F but by rounding; then restart
            previous = None
            search.points = {}
            em_estep = model.expectation(data, weights, em_point)
            history.n_evaluations += 1
            em_objective = history.objective(em_point, em_estep)
            step = (em_point, em_estep, em_objective) if em_objective >= objective else (params, estep, objective)
        params, estep, objective = step
        converged = history.accept(params, estep, objective)
    return params, estep, converged


_DRIVERS = {"em": run_em, "hard": run_hard_em, "squarem": run_squarem, "ecg": run_ecg, "hybrid": run_hybrid}


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


def run(
    model, data, weights, params, *, method="em", max_iter, tol, callback=None, trajectory=False, stopping="increment"
) -> EMResult:
    """The driver named ``method`` on validated inputs, stopped by the rule named ``stopping`` (``emlib.stopping``)."""
    return _DRIVERS[method](
        model,
        data,
        weights,
        params,
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        trajectory=trajectory,
        stopping=stopping,
    )


def fit_em(
    model: LatentVariableModel,
    X,
    init,
    *,
    method: str = "em",
    max_iter: int = 1000,
    tol: float = 1e-6,
    stopping: str = "increment",
    sample_weight=None,
    callback: Callable | None = None,
    trajectory: bool = False,
) -> EMResult:
    """Run EM, classification EM, SQUAREM, ECG or EM–ECG for any :class:`emlib.LatentVariableModel` from ``init``.

    Alternates the model's M-step and E-step and stops by the rule of book eq.
    :eq:`soft-em-stopping` by default: as soon as the objective (the log-likelihood, plus the
    log-prior for MAP-EM) per unit of weight rises by no more than ``tol`` in one iteration
    (``stopping`` chooses another rule of ``emlib.stopping``).

    Parameters
    ----------
    model : LatentVariableModel
        The model, for example :class:`emlib.GaussianMixtureModel` or :class:`emlib.BinomialMixture`.
    X : array_like
        Data, in the form the model accepts (first axis: rows).
    init : object
        Starting parameters, of the model's parameter type.
    method : {"em", "hard", "squarem", "ecg", "hybrid"}, default "em"
        The driver: EM, classification EM (needs ``model.classification``), SQUAREM (needs
        ``model.flatten`` and ``model.unflatten``), ECG or the EM–ECG hybrid (:func:`run_ecg`,
        :func:`run_hybrid`; they also need ``model.score``).
    max_iter : int, default 1000
        Maximum number of iterations (0 evaluates ``init`` only).
    tol : float, default 1e-6
        Threshold of the stopping rule (per unit of weight for "increment" and "aitken").
    stopping : {"increment", "relative", "aitken"}, default "increment"
        The stopping rule (``emlib.stopping``): the rise per unit of weight, mclust's relative
        change, or Aitken's estimate of the gain still to come.
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
    method = _check_method(method)
    _check_model_supports(model, method)
    data = model.check_data(X)
    model.check_params(data, init, name="init")
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    stopping = check_stopping(stopping)
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
        stopping=stopping,
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
