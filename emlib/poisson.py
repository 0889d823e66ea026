"""A mixture of Poisson distributions: counts, each row drawn with one of K rates (an independent mixture).

The i.i.d. counterpart of the Poisson hidden Markov model (:class:`emlib.HiddenMarkovModel` with
``emission="poisson"``): the same state-wise rates, but each row's component drawn afresh, with
no memory of the previous row. Rows may hold several counts (columns), independent given the
component: p(x_n | z_n = k) = Π_d Poisson(x_nd | λ_kd).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy

from ._validation import as_float_array, check_mixture_weights, input_precision
from .model import MixtureModel

__all__ = ["PoissonMixture", "PoissonMixtureParams"]


@dataclass(frozen=True, eq=False)
class PoissonMixtureParams:
    """Parameters of a K-component Poisson mixture (book eq. :eq:`hmm-m-step-poisson` for its M-step).

    Parameters
    ----------
    weights : array_like of shape (K,)
        Probability π_k that a row is drawn from component k: non-negative, summing to one.
    rates : array_like of shape (K,) or (K, D)
        λ_kd ≥ 0, the Poisson rate of column d in component k (shape (K,): one column). Stored
        with shape (K, D).
    """

    weights: np.ndarray
    rates: np.ndarray

    def __post_init__(self):
        precision = input_precision(self.weights)
        weights = check_mixture_weights(as_float_array(self.weights, "weights", ndim=1, copy=True), precision)
        rates = as_float_array(self.rates, "rates", ndim=2 if np.ndim(self.rates) == 2 else 1, copy=True)
        if rates.ndim == 1:
            rates = rates[:, np.newaxis]
        if rates.shape[0] != weights.shape[0] or rates.shape[1] < 1:
            raise ValueError(
                f"rates must have one row per component ({weights.shape[0]}) and at least one column;"
                f" got shape {rates.shape}"
            )
        if np.any(rates < 0):
            raise ValueError("rates must be non-negative")
        for name, value in (("weights", weights), ("rates", rates)):
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    def __reduce__(self):
        """Copies and pickles are rebuilt by the constructor: validated, with read-only arrays."""
        return (type(self), (np.array(self.weights), np.array(self.rates)))

    @property
    def n_components(self) -> int:
        return self.weights.shape[0]

    @property
    def n_features(self) -> int:
        """D, the number of count columns."""
        return self.rates.shape[1]

    def __repr__(self) -> str:
        return f"PoissonMixtureParams(n_components={self.n_components}, n_features={self.n_features})"


class PoissonMixture(MixtureModel):
    """Counts, each row drawn with one of K sets of Poisson rates (an independent Poisson mixture).

    With z_n the component of row n, p(x_n, z_n = k | θ) = π_k Π_d Poisson(x_nd | λ_kd). The
    M-step is π_k = N_k / Σ_n w_n and λ_kd = Σ_n w_n γ_nk x_nd / N_k, with N_k = Σ_n w_n γ_nk:
    the weighted means of book eq. :eq:`hmm-m-step-poisson`, with responsibilities in place of
    the HMM's γ_t(k).

    Data (``check_data``): an array of shape (N,) or (N, D) of non-negative whole numbers.

    Examples
    --------
    >>> import numpy as np, emlib
    >>> counts = np.array([2, 3, 1, 9, 12, 10, 2, 11])
    >>> start = emlib.PoissonMixtureParams([0.5, 0.5], [1.0, 5.0])
    >>> result = emlib.fit_em(emlib.PoissonMixture(), counts, start, tol=1e-12)
    >>> np.round(result.params.rates[:, 0], 1).tolist()
    [2.0, 10.4]
    """

    def check_data(self, X) -> np.ndarray:
        """Counts: shape (N,) or (N, D), N >= 1 rows of non-negative whole numbers; returned with shape (N, D)."""
        counts = as_float_array(X, "X", ndim=2 if np.ndim(X) == 2 else 1)
        if counts.ndim == 1:
            counts = counts[:, np.newaxis]
        if counts.shape[0] < 1 or counts.shape[1] < 1:
            raise ValueError("X must hold at least one row of counts")
        if np.any(counts < 0) or np.any(counts != np.round(counts)):
            raise ValueError("X of a Poisson mixture must hold non-negative whole numbers (counts)")
        return counts

    def check_params(self, X: np.ndarray, params, name: str = "params") -> None:
        if not isinstance(params, PoissonMixtureParams):
            raise TypeError(f"{name} must be an emlib.PoissonMixtureParams; got {type(params).__name__}")
        if X is not None and X.shape[1] != params.n_features:
            raise ValueError(f"{name}.rates has {params.n_features} columns but X has {X.shape[1]}")

    def log_prior(self, params: PoissonMixtureParams) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(params.weights)

    def log_conditional(self, X: np.ndarray, params: PoissonMixtureParams) -> np.ndarray:
        """Σ_d log Poisson(x_nd | λ_kd) = Σ_d x_nd log λ_kd − λ_kd − log x_nd!, shape (N, K)."""
        with np.errstate(divide="ignore"):  # a rate 0 gives −inf for a positive count (and 0 log 0 = 0)
            terms = xlogy(X[:, np.newaxis, :], params.rates[np.newaxis, :, :])
        return terms.sum(axis=2) - params.rates.sum(axis=1) - gammaln(X + 1).sum(axis=1, keepdims=True)

    def maximization(
        self, X: np.ndarray, weights: np.ndarray, statistics: np.ndarray, previous
    ) -> PoissonMixtureParams:
        """π_k = N_k / Σ_n w_n, λ_k = Σ_n w_n γ_nk x_n / N_k; a component with N_k = 0 keeps ``previous``'s rates, with weight 0."""
        weighted = statistics * weights[:, np.newaxis]
        counts = weighted.sum(axis=0)  # N_k
        empty = counts <= np.finfo(np.float64).tiny
        if np.any(empty) and previous is None:
            raise ValueError(
                f"component {np.flatnonzero(empty)[0]} has no responsibility (N_k = 0), so its rates"
                " are undefined; re-initialise or use fewer components"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            rates = (weighted.T @ X) / counts[:, np.newaxis]
        if np.any(empty):  # as for the Gaussian mixture: weight 0, previous parameters kept
            rates = np.where(empty[:, np.newaxis], previous.rates, rates)
        return PoissonMixtureParams(np.where(empty, 0.0, counts) / weights.sum(), rates)

    def flatten(self, params: PoissonMixtureParams) -> np.ndarray:
        return np.concatenate([params.weights, params.rates.ravel()])

    def unflatten(self, vector: np.ndarray, like: PoissonMixtureParams) -> PoissonMixtureParams | None:
        """The parameters with these coordinates (weights renormalised), or None if they are not valid.

        Invalid: a non-finite entry, a negative weight or rate, a rate 0 where ``like``'s is positive.
        """
        k = like.n_components
        weights, rates = vector[:k], vector[k:].reshape(like.rates.shape)
        if not np.all(np.isfinite(vector)) or np.any(weights < 0) or weights.sum() <= 0:
            return None
        if np.any(rates < 0) or np.any((rates == 0) & (like.rates > 0)):
            return None
        return PoissonMixtureParams(weights / weights.sum(), rates)

    def score(self, X: np.ndarray, weights: np.ndarray, params: PoissonMixtureParams, statistics=None) -> np.ndarray:
        """∇ℓ(θ) in the flat coordinates (π, λ) of :meth:`flatten`, shape (K + K D,).

        With f_k(x) = Π_d Poisson(x_d | λ_kd), p(x_n) = Σ_j π_j f_j(x_n) and W = Σ_n w_n:

        - weights: Σ_n w_n f_k(x_n)/p(x_n) − W, the gradient of ℓ after ``unflatten``'s
          renormalisation π ↦ π / Σ_j π_j (as for :meth:`emlib.GaussianMixtureModel.score`);
        - rates: Σ_n w_n γ_nk (x_nd / λ_kd − 1), with γ_nk = π_k f_k(x_n)/p(x_n) (a component of
          weight 0 has gradient 0; a rate 0 has gradient −Σ_n w_n γ_nk, or +inf where it
          would have to explain a positive count).

        Computed from the log densities (``statistics`` are not needed).
        Book :prf:ref:`em-gradient-alg-ecg`.
        """
        log_marginals, responsibilities = self.posterior(X, params)
        log_ratio = self.log_conditional(X, params) - log_marginals[:, np.newaxis]  # log f_k(x_n) / p(x_n)
        with np.errstate(over="ignore"):
            weight_scores = weights @ np.exp(log_ratio) - weights.sum()
        weighted = responsibilities * weights[:, np.newaxis]  # w_n γ_nk
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(weighted.T @ X > 0, (weighted.T @ X) / params.rates, 0.0)
        rate_scores = ratio - weighted.sum(axis=0)[:, np.newaxis]
        return np.concatenate([weight_scores, rate_scores.ravel()])

    def n_parameters(self, params: PoissonMixtureParams) -> int:
        """(K − 1) weights and K D rates."""
        self.check_params(None, params)
        return params.n_components - 1 + params.rates.size

    def draw(self, params: PoissonMixtureParams, n: int, rng: np.random.Generator):
        """n rows of counts, shape (n, D), and the component of each: z_n ~ Categorical(π), x_nd ~ Poisson(λ_{z_n d})."""
        labels = rng.choice(params.n_components, size=n, p=params.weights)
        return rng.poisson(params.rates[labels]), labels

    def __repr__(self) -> str:
        return "PoissonMixture()"
