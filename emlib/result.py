"""The result of every EM driver: one type, built by keyword."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["EMResult"]

#: EMResult fields that are arrays: stored as read-only copies.
_ARRAY_FIELDS = ("log_likelihoods", "objectives", "posterior", "degenerate")


@dataclass(frozen=True, eq=False, kw_only=True)
class EMResult:
    """The result of :func:`emlib.fit_em` and :func:`emlib.fit_gmm`, whatever the model and the driver.

    Attributes
    ----------
    model : LatentVariableModel
        The model that was fitted, with every setting the fit used (for :func:`emlib.fit_gmm`,
        a :class:`emlib.GaussianMixtureModel` that holds the prior Ψ in the units of X, so that
        ``emlib.fit_em(fit.model, X, fit.params)`` continues the fit).
    params : object
        The final parameters (the model's parameter type).
    log_likelihoods : ndarray of shape (n_iter + 1,)
        log p(X | θ_t) of each accepted iterate: entry 0 for the start, then one per iteration.
        Always the incomplete-data log-likelihood, whatever the driver.
    objectives : ndarray of shape (n_iter + 1,)
        What the driver increases and its stopping rule watches: ℓ(θ_t) + log p(θ_t) for EM and
        SQUAREM (the log-likelihood itself for maximum likelihood, the log-posterior for MAP-EM,
        book eq. :eq:`soft-em-map-objective`), and the classification log-likelihood
        log p(X, z*_t | θ_t) + log p(θ_t) for hard EM (book eq. :eq:`hard-em-objective`). An entry is
        −inf where log p(θ_t) is below the range of float64 (a start far narrower than the prior allows).
    n_iter : int
        Number of iterations (accepted iterates after the start).
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    posterior : object
        The statistics of the last E-step: for a mixture, the responsibilities p(z_n = k | x_n, θ),
        shape (N, K), one-hot for hard EM, for every row of X (rows of weight zero included).
    method : {"em", "hard", "squarem", "ecg", "hybrid"}
        The driver.
    n_evaluations : int
        Number of E-steps after the start's, the unit of work in which the drivers are compared:
        ``n_iter`` for EM and hard EM; for SQUAREM two per iteration, four when it extrapolates
        (the two EM steps, the extrapolated point and its stabilising EM step; three M-steps);
        for ECG and the hybrid every line-search point counts.
    degenerate : ndarray of shape (K,) of bool, or None
        For a Gaussian mixture, which components are degenerate: weight 0, or a covariance that in
        some direction owes at least half its variance to the regulariser. None where the model
        does not judge.
    trajectory : tuple or None
        With ``trajectory=True``, the parameters θ_0, …, θ_{n_iter} of every accepted iterate.
    """

    model: Any
    params: Any
    log_likelihoods: np.ndarray
    objectives: np.ndarray
    n_iter: int
    converged: bool
    posterior: Any
    method: str
    n_evaluations: int
    degenerate: np.ndarray | None = None
    trajectory: tuple | None = None

    def __post_init__(self):
        for name in _ARRAY_FIELDS:
            value = getattr(self, name)
            # histories may come as lists; a model's statistics are frozen only if they are one array
            if isinstance(value, np.ndarray) or (name != "posterior" and isinstance(value, list)):
                value = np.array(value)
                value.flags.writeable = False
                object.__setattr__(self, name, value)
        if self.trajectory is not None:
            object.__setattr__(self, "trajectory", tuple(self.trajectory))

    def __reduce__(self):  # copies and pickles are rebuilt by the constructor, read-only again
        return (_rebuild, (type(self), {name: getattr(self, name) for name in self.__dataclass_fields__}))

    def __repr__(self) -> str:
        degenerate = ""
        if self.degenerate is not None and np.any(self.degenerate):
            degenerate = f", degenerate components={np.flatnonzero(self.degenerate).tolist()}"
        return (
            f"EMResult(model={self.model!r}, method={self.method!r}, n_iter={self.n_iter},"
            f" converged={self.converged}, log_likelihood={self.log_likelihoods[-1]:.6f}{degenerate})"
        )

    # --- the fitted model's scores (for a mixture) -------------------------------------------

    def _mixture_method(self, name: str):
        method = getattr(self.model, name, None)
        if method is None:
            raise TypeError(f"{name} is defined for mixture models; {type(self.model).__name__} has none")
        return method

    def _counted_method(self, name: str):
        """bic and aic: for any model that counts its parameters (``n_parameters``)."""
        if getattr(self.model, "n_parameters", None) is None:
            raise TypeError(f"{name} needs the model's n_parameters; {type(self.model).__name__} has none")
        return getattr(self.model, name)

    def predict(self, X) -> np.ndarray:
        """The most probable component of each row of X under the fitted parameters, shape (N,)."""
        return self._mixture_method("predict")(X, self.params)

    def predict_proba(self, X) -> np.ndarray:
        """The responsibilities of the rows of X under the fitted parameters, shape (N, K)."""
        return self._mixture_method("predict_proba")(X, self.params)

    def score_samples(self, X) -> np.ndarray:
        """log p(x_n | θ) of each row of X under the fitted parameters, shape (N,)."""
        return self._mixture_method("score_samples")(X, self.params)

    def bic(self, X, *, sample_weight=None) -> float:
        """The Bayesian information criterion of the fitted parameters on X (lower is better)."""
        return self._counted_method("bic")(X, self.params, sample_weight=sample_weight)

    def aic(self, X, *, sample_weight=None) -> float:
        """Akaike's information criterion of the fitted parameters on X (lower is better)."""
        return self._counted_method("aic")(X, self.params, sample_weight=sample_weight)

    def sample(self, n_samples: int, rng):
        """``n_samples`` rows drawn from the fitted model, and the component of each."""
        return self._mixture_method("sample")(self.params, n_samples, rng)


def _rebuild(cls, fields: dict):
    return cls(**fields)
