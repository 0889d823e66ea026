"""When to stop EM: three stopping rules on the history of the objective F_t = ℓ(θ_t) + log p(θ_t).

Every driver (``emlib.drivers``) accepts ``stopping`` and ``tol`` and asks its rule, after each
iteration, whether to stop. Each rule looks only at the objectives so far, F_0, …, F_{t+1}, with
Δ_{t+1} = F_{t+1} − F_t and W = Σ_n w_n the total weight:

- ``"increment"`` (book eq. :eq:`soft-em-stopping`, emlib's default): stop when the rise per unit
  of weight is small, Δ_{t+1} / W ≤ tol. Invariant to the data's units (a change of units shifts
  every F_t by the same amount).
- ``"relative"`` (R's mclust, ``emControl(tol)``): stop when the rise is small relative to the
  objective itself, ``|Δ_{t+1}| / (1 + |F_{t+1}|) ≤ tol``. Not invariant to the units: rescaling X
  shifts F_{t+1}, and with it the threshold.
- ``"aitken"`` (Böhning, Dietz, Schaub, Schlattmann and Lindsay 1994; McLachlan and Peel 2000,
  §2.11; book eq. :eq:`practice-aitken`): near a maximum EM's increments shrink geometrically,
  Δ_{t+1} ≈ a Δ_t with a ∈ (0, 1) its rate (book eq. :eq:`em-gradient-rate`), so the limit is
  estimated by Aitken's Δ² extrapolation, F_∞ ≈ F_t + Δ_{t+1} / (1 − a_t) with
  a_t = Δ_{t+1} / Δ_t, and the run stops when the gain still to come is small,
  (F_∞ − F_{t+1}) / W = Δ_{t+1} a_t / ((1 − a_t) W) ≤ tol. Where the increments do not shrink
  (a_t ∉ [0, 1)) no limit is estimated and the run goes on. Unlike the increment rule it does
  not stop early when EM is slow (a close to 1), where a small increment hides a long way to go.

For EM and MAP-EM the objective cannot fall except by rounding (``monotone``), so under every
rule a fall means a fixed point has been reached, and stops. Without that guarantee (an absolute
``reg_covar``) a fall is not convergence: the rules then measure ``|Δ|``.
"""

from __future__ import annotations

import math

__all__ = ["STOPPING_RULES", "aitken", "check_stopping", "increment", "relative", "stopping_rule"]


def increment(objectives, tol: float, total_weight: float, monotone: bool = True) -> bool:
    """Book eq. :eq:`soft-em-stopping`: the last rise per unit of weight is at most ``tol``."""
    change = (objectives[-1] - objectives[-2]) / total_weight
    return change <= tol if monotone else abs(change) <= tol


def relative(objectives, tol: float, total_weight: float, monotone: bool = True) -> bool:
    """mclust's rule: ``|F_{t+1} − F_t| / (1 + |F_{t+1}|) ≤ tol`` (``total_weight`` is unused)."""
    change = objectives[-1] - objectives[-2]
    if monotone and change <= 0:
        return True
    return abs(change) / (1.0 + abs(objectives[-1])) <= tol


def aitken(objectives, tol: float, total_weight: float, monotone: bool = True) -> bool:
    """Aitken's rule (book eq. :eq:`practice-aitken`): the estimated gain F_∞ − F_{t+1} per unit of weight is at most ``tol``.

    Needs two increments; after the first iteration it stops only at a fixed point (no rise).
    """
    change = objectives[-1] - objectives[-2]
    if monotone and change <= 0:
        return True
    if not monotone and change == 0:
        return True
    if len(objectives) < 3:
        return False
    previous = objectives[-2] - objectives[-3]
    if previous == 0 or not (math.isfinite(change) and math.isfinite(previous)):
        return False
    rate = change / previous
    if not 0 <= rate < 1:
        return False  # the increments are not shrinking: no limit to extrapolate to
    remaining = abs(change) * rate / (1.0 - rate)
    return remaining / total_weight <= tol


#: The rules by the name the drivers, ``fit_em`` and ``fit_gmm`` take as ``stopping``.
STOPPING_RULES = {"increment": increment, "relative": relative, "aitken": aitken}


def check_stopping(stopping) -> str:
    """``stopping`` if it names a rule, else a ValueError listing the names."""
    if not isinstance(stopping, str) or stopping not in STOPPING_RULES:
        raise ValueError(f"stopping must be one of {tuple(STOPPING_RULES)}; got {stopping!r}")
    return stopping


def stopping_rule(stopping: str):
    """The rule named ``stopping``: a function ``(objectives, tol, total_weight, monotone) -> bool``."""
    return STOPPING_RULES[check_stopping(stopping)]
