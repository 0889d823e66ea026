"""The result of every EM driver: one type, built by keyword."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import check_data, check_sample_weight
from .information import standard_errors as _standard_errors
from .params import GMMParams

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
    method : {"em", "hard", "squarem", "ecg", "hybrid", "incremental", "monte-carlo"}
        The driver (the last two from ``emlib.variants``).
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

    def standard_errors(self, X, *, sample_weight=None, include_prior: bool = False):
        """Standard errors of a Gaussian-mixture fit, from the observed information by Louis' identity.

        :func:`emlib.information.standard_errors` at ``self.params`` with
        ``self.model.covariance_type``: V = I_obs⁻¹, I_obs = −∇²ℓ in the free coordinates of that
        type (Louis 1982; book eq. :eq:`em-gradient-information`). The fit does not keep its data,
        so pass the X (and ``sample_weight``) that were fitted. The usual large-sample standard
        errors of a maximum-likelihood estimate: they presuppose a converged EM, SQUAREM, ECG or
        hybrid fit in the interior of the parameter space (a hard-EM fit is not a maximum of ℓ).

        Under emlib's default prior (book eq. :eq:`soft-em-data-prior`) the fit is a MAP estimate.
        By default the information is that of the log-likelihood ℓ alone: the prior's curvature,
        about 10⁻⁶ T / (π_k Σ_k) of the likelihood's (it moves the Old Faithful K = 2 standard errors
        by at most 6·10⁻⁵ of themselves), is left out. With ``include_prior=True`` the prior's exact
        curvature −∇² log p(θ) is added (Ψ from ``self.model``, as the fit used it), and V is the
        Laplace approximation of the posterior covariance.

        Parameters
        ----------
        X : array_like of shape (N, D)
            The data that were fitted.
        sample_weight : array_like of shape (N,), optional
            The row weights of the fit (book eq. :eq:`soft-em-sample-weights`).
        include_prior : bool, default False
            Add the curvature of the fit's prior (a ValueError if it had none: an absolute
            ``reg_covar``).

        Returns
        -------
        emlib.information.StandardErrors
            SEs of ``weights`` (K,), ``means`` (K, D) and ``covariances`` (K, D, D), the covariance
            of the free coordinates (``covariance``, (p, p)) and their labels (``names``).

        Raises
        ------
        TypeError
            For a fit of a model that is not a Gaussian mixture.
        ValueError
            If X does not have one row per row the fit saw, or the information is not positive
            definite (the message names the reason).
        """
        covariance_type = getattr(self.model, "covariance_type", None)
        if covariance_type is None or not isinstance(self.params, GMMParams):
            raise TypeError(f"standard_errors is defined for Gaussian mixtures; {type(self.model).__name__} is not one")
        if not isinstance(include_prior, (bool, np.bool_)):
            raise TypeError(f"include_prior must be True or False; got {include_prior!r}")
        X = check_data(X)
        n_rows = np.shape(self.posterior)[0] if isinstance(self.posterior, np.ndarray) else None
        if n_rows is not None and X.shape[0] != n_rows:
            raise ValueError(f"X has {X.shape[0]} rows but the fit saw {n_rows}: pass the data that were fitted")
        weights = check_sample_weight(sample_weight, X.shape[0])
        prior = None
        if include_prior:
            prior = self.model.regulariser(X, weights).prior_scale
            if prior is None:
                raise ValueError("include_prior=True, but this fit had no prior (an absolute reg_covar)")
        return _standard_errors(self.params, X, covariance_type, sample_weight=weights, covariance_prior=prior)


def _rebuild(cls, fields: dict):
    return cls(**fields)
