"""A mixture of binomials: runs of coin tosses, each run made with one of K coins of unknown bias.

The second :class:`emlib.MixtureModel`, to show that EM is a general method: only the
conditional density and the M-step differ from the Gaussian mixture; the E-step and every
driver (EM, hard EM, SQUAREM) are shared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from ._validation import as_float_array, check_count, check_mixture_weights, input_precision
from .model import MixtureModel

__all__ = ["BinomialMixture", "BinomialMixtureParams"]


@dataclass(frozen=True, eq=False)
class BinomialMixtureParams:
    """Parameters of a K-coin binomial mixture (book eq. :eq:`binomial-mixture`).

    Parameters
    ----------
    weights : array_like of shape (K,)
        Probability π_k that a run is made with coin k: non-negative, summing to one.
    probabilities : array_like of shape (K,)
        Head probability p_k of coin k, in [0, 1].
    """

    weights: np.ndarray
    probabilities: np.ndarray

    def __post_init__(self):
        precision = input_precision(self.weights)
        weights = check_mixture_weights(as_float_array(self.weights, "weights", ndim=1, copy=True), precision)
        probabilities = as_float_array(self.probabilities, "probabilities", ndim=1, copy=True)
        if probabilities.shape != weights.shape:
            raise ValueError(
                f"probabilities must have one entry per component ({weights.shape[0]}); got {probabilities.shape[0]}"
            )
        if np.any((probabilities < 0) | (probabilities > 1)):
            raise ValueError("probabilities must lie in [0, 1]")
        for name, value in (("weights", weights), ("probabilities", probabilities)):
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    def __reduce__(self):
        """Copies and pickles are rebuilt by the constructor: validated, with read-only arrays."""
        return (type(self), (np.array(self.weights), np.array(self.probabilities)))

    @property
    def n_components(self) -> int:
        return self.weights.shape[0]

    def __repr__(self) -> str:
        return f"BinomialMixtureParams(n_components={self.n_components})"


class BinomialMixture(MixtureModel):
    """Runs of ``n_trials`` tosses, each run made with one of K coins (a binomial mixture).

    With z_n the coin of run n and x_n its number of heads,
    p(x_n, z_n = k | θ) = π_k Binomial(x_n | n_trials, p_k). The M-step (book eq.
    :eq:`binomial-mixture-m-step`) is π_k = N_k / Σ_n w_n and
    p_k = Σ_n w_n γ_nk x_n / (n_trials N_k), with N_k = Σ_n w_n γ_nk.

    Parameters
    ----------
    n_trials : int
        Number of tosses in every run (>= 1).

    Examples
    --------
    >>> import numpy as np, emlib
    >>> model = emlib.BinomialMixture(n_trials=10)
    >>> start = emlib.BinomialMixtureParams([0.5, 0.5], [0.6, 0.5])
    >>> heads = np.array([5, 9, 8, 4, 7])
    >>> result = emlib.fit_em(model, heads, start, tol=1e-10)
    >>> bool(result.converged)
    True
    """

    def __init__(self, n_trials: int):
        self.n_trials = check_count(n_trials, "n_trials", minimum=1)

    def check_data(self, X) -> np.ndarray:
        """Head counts: a 1-D array of N >= 1 whole numbers in 0..n_trials."""
        counts = as_float_array(X, "X", ndim=1)
        if counts.shape[0] < 1:
            raise ValueError("X must hold at least one run (head count)")
        if np.any(counts != np.round(counts)) or np.any(counts < 0) or np.any(counts > self.n_trials):
            raise ValueError(f"X must hold whole numbers of heads between 0 and n_trials={self.n_trials}")
        return counts

    def check_params(self, X: np.ndarray, params, name: str = "params") -> None:
        if not isinstance(params, BinomialMixtureParams):
            raise TypeError(f"{name} must be an emlib.BinomialMixtureParams; got {type(params).__name__}")

    def log_prior(self, params: BinomialMixtureParams) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(params.weights)

    def log_conditional(self, X: np.ndarray, params: BinomialMixtureParams) -> np.ndarray:
        """log Binomial(x_n | n_trials, p_k), shape (N, K)."""
        return binom.logpmf(X[:, np.newaxis], self.n_trials, params.probabilities[np.newaxis, :])

    def maximization(
        self, X: np.ndarray, weights: np.ndarray, statistics: np.ndarray, previous
    ) -> BinomialMixtureParams:
        """π_k = N_k / Σ_n w_n, p_k = Σ_n w_n γ_nk x_n / (n_trials N_k); a coin with N_k = 0 keeps ``previous``'s p_k, with weight 0."""
        weighted = statistics * weights[:, np.newaxis]
        counts = weighted.sum(axis=0)  # N_k
        empty = counts <= np.finfo(np.float64).tiny
        if np.any(empty) and previous is None:
            raise ValueError(
                f"component {np.flatnonzero(empty)[0]} has no responsibility (N_k = 0), so its head"
                " probability is undefined; re-initialise or use fewer components"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            probabilities = np.clip((weighted.T @ X) / (self.n_trials * counts), 0.0, 1.0)
        if np.any(empty):  # as for the Gaussian mixture: weight 0, previous parameter kept
            probabilities = np.where(empty, previous.probabilities, probabilities)
        return BinomialMixtureParams(np.where(empty, 0.0, counts) / weights.sum(), probabilities)

    def flatten(self, params: BinomialMixtureParams) -> np.ndarray:
        return np.concatenate([params.weights, params.probabilities])

    def unflatten(self, vector: np.ndarray, like: BinomialMixtureParams) -> BinomialMixtureParams | None:
        k = like.n_components
        weights, probabilities = vector[:k], vector[k:]
        if np.any(weights < 0) or np.any((probabilities < 0) | (probabilities > 1)):
            return None
        return BinomialMixtureParams(weights / weights.sum(), probabilities)

    def score(self, X: np.ndarray, weights: np.ndarray, params: BinomialMixtureParams, statistics=None) -> np.ndarray:
        """∇ℓ(θ) in the flat coordinates (π, p) of :meth:`~emlib.LatentVariableModel.flatten`, shape (2K,).

        With b_k(x) = Binomial(x | n_trials, p_k), p(x_n) = Σ_j π_j b_j(x_n) and W = Σ_n w_n:

        - weights: Σ_n w_n b_k(x_n)/p(x_n) − W, the gradient of ℓ after ``unflatten``'s
          renormalisation π ↦ π / Σ_j π_j (as for :meth:`emlib.GaussianMixtureModel.score`);
        - head probabilities: Σ_n w_n π_k ∂b_k(x_n)/∂p_k / p(x_n), with
          ∂b/∂p = n_trials [Binomial(x − 1 | n_trials − 1, p) − Binomial(x | n_trials − 1, p)]
          (which equals γ_nk (x_n/p_k − (n_trials − x_n)/(1 − p_k)) / π_k inside (0, 1), and stays
          finite at p_k = 0 or 1 and for a coin of weight 0).

        Everything is computed in log space from the densities (``statistics`` are not needed).
        Book :prf:ref:`em-gradient-alg-ecg`.
        """
        log_marginals, _ = self.posterior(X, params)
        heads = X[:, np.newaxis]
        probabilities = params.probabilities[np.newaxis, :]
        log_ratio = self.log_conditional(X, params) - log_marginals[:, np.newaxis]  # log b_k(x_n) / p(x_n)
        with np.errstate(over="ignore", divide="ignore"):
            weight_scores = weights @ np.exp(log_ratio) - weights.sum()
            scale = np.log(self.n_trials) + self.log_prior(params) - log_marginals[:, np.newaxis]
            fewer = np.exp(binom.logpmf(heads - 1, self.n_trials - 1, probabilities) + scale)
            same = np.exp(binom.logpmf(heads, self.n_trials - 1, probabilities) + scale)
        return np.concatenate([weight_scores, weights @ (fewer - same)])

    def n_parameters(self, params: BinomialMixtureParams) -> int:
        """(K − 1) weights and K head probabilities."""
        self.check_params(None, params)
        return 2 * params.n_components - 1

    def draw(self, params: BinomialMixtureParams, n: int, rng: np.random.Generator):
        """n head counts and the coin of each: z_n ~ Categorical(π), x_n ~ Binomial(n_trials, p_{z_n})."""
        labels = rng.choice(params.n_components, size=n, p=params.weights)
        return rng.binomial(self.n_trials, params.probabilities[labels]), labels

    def __repr__(self) -> str:
        return f"BinomialMixture(n_trials={self.n_trials})"
