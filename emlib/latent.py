"""EM for any latent-variable model with a discrete latent label: the general interface and loop.

A model supplies two things: log p(x_n, z_n = k | θ) for every point and label, and the
M-step, argmax_θ Σ_n Σ_k w_n q_nk log p(x_n, z_n = k | θ). Everything else — the E-step
(posterior by Bayes' theorem), the incomplete log-likelihood (a log-sum-exp over labels), the
EM loop and its stopping rule — is the same for every such model and lives here once.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import logsumexp

from ._validation import check_count, check_nonnegative_real, check_sample_weight


def _row_maxima(values: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """max over the given columns of each row, by elementwise maxima of whole columns.

    numpy's row-wise reduction over a short last axis (K components) is several times slower
    than K elementwise passes.
    """
    largest = values[:, columns[0]].copy()
    for column in columns[1:]:
        np.maximum(largest, values[:, column], out=largest)
    return largest


def _shift_by_largest(log_conditional: np.ndarray, log_prior: np.ndarray, out: np.ndarray | None = None, first_row: int = 0):
    """log p(x_n | k) − max_j log p(x_n | j) + log p(k): the joint, shifted row by row.

    Removing each row's largest conditional *before* adding the prior matters: for a point far
    from every component the conditionals are huge and negative, and adding log p(z = k) to
    them (or subtracting the log-marginal from them) would round away the digits that tell
    the labels apart; the posterior must still sum to one. Labels of prior probability zero
    are left out of the maximum.
    """
    possible = np.flatnonzero(~np.isneginf(log_prior))
    largest = _row_maxima(log_conditional, possible)
    impossible = np.flatnonzero(np.isneginf(largest))
    if impossible.size:
        raise ValueError(
            f"X[{first_row + impossible[0]}] has probability zero under every component of the parameters,"
            " so its posterior is undefined"
        )
    shifted = np.subtract(log_conditional, largest[:, np.newaxis], out=out)
    shifted += log_prior
    return largest, shifted


def log_bayes(log_conditional: np.ndarray, log_prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bayes' theorem in log space: the evidence and the log-posterior of every label.

    Parameters
    ----------
    log_conditional : ndarray of shape (N, K)
        log p(x_n | z_n = k, θ).
    log_prior : ndarray of shape (K,)
        log p(z = k | θ); −inf for a label of probability zero.

    Returns
    -------
    log_marginals : ndarray of shape (N,)
        log p(x_n | θ) = logsumexp_k [log p(z = k | θ) + log p(x_n | z_n = k, θ)].
    log_posterior : ndarray of shape (N, K)
        log p(z_n = k | x_n, θ), exact even where the posterior underflows.
    """
    largest, shifted = _shift_by_largest(log_conditional, log_prior)
    log_normalizer = logsumexp(shifted, axis=1)
    return largest + log_normalizer, shifted - log_normalizer[:, np.newaxis]


def bayes(
    log_conditional: np.ndarray, log_prior: np.ndarray, *, overwrite: bool = False, first_row: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Bayes' theorem with one exponential pass: the evidence and the posterior probabilities.

    The same quantities as :func:`log_bayes`, with the posterior as probabilities. The E-step
    of every EM iteration needs the probabilities, so instead of logsumexp (one pass of
    exponentials) followed by exp of the log-posterior (a second pass), the shifted joint is
    exponentiated once and normalised by its row sums (book eq. :eq:`soft-em-responsibilities`).

    Parameters
    ----------
    log_conditional : ndarray of shape (N, K)
        log p(x_n | z_n = k, θ); overwritten by the posterior if ``overwrite`` (no new N × K
        array is then allocated).
    log_prior : ndarray of shape (K,)
        log p(z = k | θ).
    overwrite : bool
        Reuse ``log_conditional``'s memory for the posterior.
    first_row : int
        Index of the first row, when the rows are a chunk of X (for error messages).

    Returns
    -------
    log_marginals : ndarray of shape (N,)
    posterior : ndarray of shape (N, K)
        Rows on the probability simplex.
    """
    largest, shifted = _shift_by_largest(log_conditional, log_prior, out=log_conditional if overwrite else None, first_row=first_row)
    posterior = np.exp(shifted, out=shifted)
    totals = posterior @ np.ones(posterior.shape[1])  # row sums, in [π_max, K]: the largest term is exp(log prior) > 0
    posterior /= totals[:, np.newaxis]
    return largest + np.log(totals), posterior


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before meeting the stopping rule (book eq. :eq:`soft-em-stopping`)."""


class LatentVariableModel(ABC):
    """A model p(x, z | θ) whose latent variable z takes one of K values.

    The joint factorises as p(x, z = k | θ) = p(z = k | θ) p(x | z = k, θ). Subclasses implement
    :meth:`log_prior`, :meth:`log_conditional`, :meth:`maximize` and the two input checks;
    :meth:`log_joint`, :meth:`e_step`, :meth:`log_likelihood` and :func:`fit_em` then work
    unchanged.
    """

    @abstractmethod
    def check_data(self, X) -> np.ndarray:
        """Validate and convert the data; return an array whose first axis indexes points."""

    @abstractmethod
    def check_params(self, X: np.ndarray, params, name: str = "params") -> None:
        """Raise TypeError/ValueError, naming the argument ``name``, unless ``params`` are parameters of this model fitting X."""

    @abstractmethod
    def log_prior(self, params) -> np.ndarray:
        """log p(z = k | θ), shape (K,) (−inf for a label of probability zero)."""

    @abstractmethod
    def log_conditional(self, X: np.ndarray, params) -> np.ndarray:
        """log p(x_n | z_n = k, θ), shape (N, K), for validated X and params."""

    def log_joint(self, X: np.ndarray, params) -> np.ndarray:
        """log p(x_n, z_n = k | θ) = log p(z = k | θ) + log p(x_n | z_n = k, θ), shape (N, K)."""
        return self.log_conditional(X, params) + self.log_prior(params)

    @abstractmethod
    def maximize(self, X: np.ndarray, posterior: np.ndarray, sample_weight: np.ndarray, previous=None):
        """The M-step: argmax_θ Σ_n w_n Σ_k q_nk log p(x_n, z_n = k | θ), for validated inputs.

        ``previous`` (the parameters the posterior was computed from) lets a component that
        received no responsibility keep its parameters with weight zero; without it, such a
        component is an error.
        """

    def log_parameter_prior(self, X: np.ndarray, sample_weight: np.ndarray, params) -> float:
        """log p(θ) up to a constant, for MAP-EM; 0 for maximum likelihood (the default).

        EM then increases the log-posterior ℓ(θ) + log p(θ) (book eq. :eq:`soft-em-map-objective`).
        """
        return 0.0

    def objective_is_monotone(self) -> bool:
        """Whether the M-step maximises ℓ + log p(θ) exactly, so that EM can never lower it.

        A regularisation that is not the M-step of any prior (an absolute ``reg_covar``) returns
        False: the loop then stops only when the objective stops changing, not when it falls.
        """
        return True

    def posterior(self, X: np.ndarray, params) -> tuple[np.ndarray, np.ndarray]:
        """log p(x_n | θ), shape (N,), and the posterior p(z_n = k | x_n, θ), shape (N, K): the E-step."""
        return bayes(self.log_conditional(X, params), self.log_prior(params), overwrite=True)

    def e_step(self, X, params) -> np.ndarray:
        """Posterior p(z_n = k | x_n, θ) of every label, shape (N, K) (book eq. :eq:`soft-em-responsibilities`)."""
        X = self.check_data(X)
        self.check_params(X, params)
        return self.posterior(X, params)[1]

    def log_likelihood(self, X, params, *, sample_weight=None) -> float:
        """The incomplete-data log-likelihood Σ_n w_n log Σ_k p(x_n, z_n = k | θ)."""
        X = self.check_data(X)
        self.check_params(X, params)
        weights = check_sample_weight(sample_weight, X.shape[0])
        return _total(weights, self.posterior(X, params)[0])


@dataclass(frozen=True, eq=False)
class EMResult:
    """The result of :func:`fit_em`.

    Attributes
    ----------
    params : object
        The final parameters (the model's parameter type).
    log_likelihoods : ndarray of shape (n_iter + 1,)
        log p(X | θ_t): entry 0 for the initial parameters, then one per iteration.
    n_iter : int
        Number of EM iterations performed.
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    posterior : ndarray of shape (N, K)
        p(z_n = k | x_n, θ) at the final parameters.
    objectives : ndarray of shape (n_iter + 1,)
        ℓ(θ_t) + log p(θ_t), what the stopping rule watches: equal to ``log_likelihoods``
        for maximum likelihood, the log-posterior for MAP-EM.
    """

    params: Any
    log_likelihoods: np.ndarray
    n_iter: int
    converged: bool
    posterior: np.ndarray
    objectives: np.ndarray | None = None

    def __post_init__(self):
        freeze_arrays(self, ("log_likelihoods", "posterior", "objectives"))
        if self.objectives is None:
            object.__setattr__(self, "objectives", self.log_likelihoods)

    def __reduce__(self):  # copies and pickles are rebuilt by the constructor, read-only again
        return rebuilt_by_constructor(self)


def freeze_arrays(result, names) -> None:
    """Replace the named fields of a frozen dataclass by read-only array copies (None stays None)."""
    for name in names:
        value = getattr(result, name)
        if value is not None:
            value = np.array(value)
            value.flags.writeable = False
            object.__setattr__(result, name, value)


def rebuilt_by_constructor(result):
    """``__reduce__`` for a frozen result: copies and pickles call the constructor with every field."""
    return (_rebuild, (type(result), {name: getattr(result, name) for name in result.__dataclass_fields__}))


def _rebuild(cls, fields: dict):
    return cls(**fields)


def fit_em(model: LatentVariableModel, X, init, *, max_iter: int = 1000, tol: float = 1e-6, sample_weight=None) -> EMResult:
    """Run EM for any :class:`LatentVariableModel` from the parameters ``init``.

    Alternates the M-step (``model.maximize``) with the E-step, and stops by the rule of book
    eq. :eq:`soft-em-stopping`: as soon as the log-likelihood per unit of weight rises by no
    more than ``tol`` in one iteration.

    Parameters
    ----------
    model : LatentVariableModel
        The model, for example :class:`emlib.GaussianMixture` or :class:`emlib.BinomialMixture`.
    X : array_like
        Data, in the form the model accepts (first axis: points).
    init : object
        Starting parameters, of the model's parameter type.
    max_iter : int, default 1000
        Maximum number of iterations (0 evaluates ``init`` only).
    tol : float, default 1e-6
        Threshold of the stopping rule, per unit of weight.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights.

    Returns
    -------
    EMResult

    Warns
    -----
    ConvergenceWarning
        If the stopping rule was not met within ``max_iter`` iterations.
    """
    if not isinstance(model, LatentVariableModel):
        raise TypeError(f"model must be an emlib.LatentVariableModel; got {type(model).__name__}")
    X = model.check_data(X)
    model.check_params(X, init, name="init")
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    weights = check_sample_weight(sample_weight, X.shape[0])
    result = run_em(model, X, weights, init, max_iter, tol)
    if not result.converged and max_iter > 0:
        warn_not_converged(tol, max_iter, stacklevel=3)
    return result


def run_em(model: LatentVariableModel, X, weights: np.ndarray, params, max_iter: int, tol: float) -> EMResult:
    """The EM loop on validated inputs; shared by :func:`fit_em` and :func:`emlib.fit_gmm`."""
    total_weight = weights.sum()
    monotone = model.objective_is_monotone()
    log_marginals, posterior = model.posterior(X, params)
    history = [_total(weights, log_marginals)]
    objectives = [history[-1] + model.log_parameter_prior(X, weights, params)]
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        params = model.maximize(X, posterior, weights, previous=params)
        log_marginals, posterior = model.posterior(X, params)
        history.append(_total(weights, log_marginals))
        objectives.append(history[-1] + model.log_parameter_prior(X, weights, params))
        n_iter += 1
        if has_converged(objectives, tol, total_weight, monotone):
            converged = True
            break
    return frozen_result(params, history, n_iter, converged, posterior, objectives)


def _total(weights: np.ndarray, log_marginals: np.ndarray) -> float:
    """Σ_n w_n log p(x_n | θ), or a ValueError if the sum is beyond the range of float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(weights @ log_marginals)
    if not np.isfinite(total):
        raise ValueError(f"the log-likelihood of X is beyond the range of float64 ({total}); rescale X or sample_weight")
    return total


def has_converged(history: list[float], tol: float, total_weight: float, monotone: bool = True) -> bool:
    """The stopping rule of book eq. :eq:`soft-em-stopping` on the objective's last change per unit of weight.

    For EM and MAP-EM (``monotone``) the objective can fall only by rounding, so a rise of at
    most ``tol``, or any fall, means a fixed point is reached. Without that guarantee (an
    absolute ``reg_covar``) a fall is not convergence: the rule then asks |change| ≤ tol.
    """
    change = (history[-1] - history[-2]) / total_weight
    return change <= tol if monotone else abs(change) <= tol


def frozen_result(
    params, history: list[float], n_iter: int, converged: bool, posterior: np.ndarray, objectives=None
) -> EMResult:
    """An EMResult whose arrays are read-only, so a result cannot be changed after the fact."""
    return EMResult(params, history, n_iter, converged, posterior, objectives)


def warn_not_converged(tol: float, max_iter: int, stacklevel: int) -> None:
    warnings.warn(
        f"EM did not meet the stopping rule (tol={tol:g}) within max_iter={max_iter} iterations;"
        " increase max_iter or tol",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )
