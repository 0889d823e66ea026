"""Hidden Markov models on the common interface: the forward–backward E-step and Baum–Welch's M-step.

A hidden Markov model (HMM) for sequences x_1, …, x_T has a latent state z_t ∈ {0, …, K−1} at
every time step, a Markov chain with start probabilities π_k = p(z_1 = k) and transition matrix
A_jk = p(z_{t+1} = k | z_t = j), and an emission density p(x_t | z_t = k) of one family: Gaussian
(a mean and a full covariance per state), Poisson (a rate per state and column) or categorical
(a probability per state and symbol). The complete-data log-likelihood is

    log p(x, z) = log π_{z_1} + Σ_t log A_{z_t z_{t+1}} + Σ_t log p(x_t | z_t),

linear in the indicators of z_1, of each pair (z_t, z_{t+1}) and of each z_t, so the E-step needs
the posterior marginals γ_t(k) = p(z_t = k | x) and ξ_t(j, k) = p(z_t = j, z_{t+1} = k | x). The
forward–backward recursions compute them in O(T K²), in log space here: α_t(k) = p(x_1..x_t, z_t = k)
and β_t(j) = p(x_{t+1}..x_T | z_t = j). The M-step (Baum–Welch) is π = the mean of γ_1 over the
sequences, A_jk ∝ Σ_t ξ_t(j, k) row by row, and each state's emission parameters fitted to the
data with weights γ_t(k) — for Gaussian emissions the M-step of a Gaussian mixture
(:func:`emlib.m_step`), whose derivation is not repeated.

The rows the drivers see are the time steps of all sequences, stacked; ``lengths`` says where
each sequence ends (:class:`Sequences`). Time steps are not exchangeable, so the model refuses
row weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from . import _fast
from ._fast import gaussian_log_densities
from ._validation import as_float_array, check_count
from .gaussian_mixture import GaussianMixtureModel
from .model import EStep, LatentVariableModel
from .params import GMMParams

__all__ = [
    "EMISSIONS",
    "HMMParams",
    "HMMStatistics",
    "HiddenMarkovModel",
    "Sequences",
    "forward_backward",
    "viterbi",
]

#: The emission families, by the name :class:`HiddenMarkovModel` takes.
EMISSIONS = ("gaussian", "poisson", "categorical")

_CHUNK = 1024  # time steps per block when the pairwise marginals are summed


@dataclass(frozen=True)
class Sequences:
    """One or more sequences stacked along the first axis: X of shape (T, D) and their lengths.

    ``len(Sequences)`` is T, the number of time steps (the rows the drivers see).
    """

    X: np.ndarray
    lengths: tuple[int, ...]

    def __len__(self) -> int:
        return self.X.shape[0]

    def bounds(self):
        """(first, last + 1) of every sequence, in order."""
        ends = np.cumsum(self.lengths)
        return list(zip((ends - np.asarray(self.lengths)).tolist(), ends.tolist()))


def as_sequences(X, lengths=None) -> Sequences:
    """Validated sequences: X of shape (T,) or (T, D), finite; lengths positive integers adding up to T."""
    if isinstance(X, Sequences):
        if lengths is not None:
            raise ValueError("give lengths either in the Sequences or as lengths, not both")
        return X
    values = as_float_array(X, "X", ndim=2 if np.ndim(X) == 2 else 1)
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.shape[0] < 1:
        raise ValueError("X must hold at least one time step")
    if not np.all(np.isfinite(values)):
        raise ValueError("X contains NaN or infinite values")
    if lengths is None:
        return Sequences(values, (values.shape[0],))
    counts = as_float_array(lengths, "lengths", ndim=1)
    if counts.size < 1 or np.any(counts != np.round(counts)) or np.any(counts < 1):
        raise ValueError(f"lengths must be positive whole numbers; got {np.asarray(lengths).tolist()}")
    if counts.sum() != values.shape[0]:
        raise ValueError(
            f"lengths must add up to the number of time steps of X ({values.shape[0]}); they add up to {int(counts.sum())}"
        )
    return Sequences(values, tuple(int(n) for n in counts))


@dataclass(frozen=True, eq=False)
class HMMParams:
    """Parameters of a hidden Markov model with K states.

    Parameters
    ----------
    start : array_like of shape (K,)
        π_k = p(z_1 = k): non-negative, summing to one.
    transition : array_like of shape (K, K)
        A_jk = p(z_{t+1} = k | z_t = j): non-negative rows summing to one.
    means, covariances : array_like of shape (K, D) and (K, D, D), Gaussian emissions only
        μ_k and Σ_k (symmetric positive definite).
    rates : array_like of shape (K, D), Poisson emissions only
        λ_kd ≥ 0, the rate of column d in state k.
    probabilities : array_like of shape (K, M), categorical emissions only
        p(x_t = m | z_t = k): non-negative rows summing to one.
    """

    start: np.ndarray
    transition: np.ndarray
    means: np.ndarray | None = None
    covariances: np.ndarray | None = None
    rates: np.ndarray | None = None
    probabilities: np.ndarray | None = None

    def __post_init__(self):
        start = _probability_vector(self.start, "start")
        transition = _stochastic_rows(self.transition, "transition", ndim=2)
        if transition.shape != (start.size, start.size):
            raise ValueError(f"transition must have shape ({start.size}, {start.size}); got {transition.shape}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "transition", transition)
        given = [name for name in ("means", "covariances", "rates", "probabilities") if getattr(self, name) is not None]
        if given not in (["means", "covariances"], ["rates"], ["probabilities"]):
            raise ValueError(
                "HMMParams needs the parameters of one emission family: means and covariances (Gaussian),"
                f" rates (Poisson) or probabilities (categorical); got {given or 'none'}"
            )
        if self.means is not None:
            gaussian = GMMParams(np.full(start.size, 1.0 / start.size), self.means, self.covariances)
            object.__setattr__(self, "_mixture", gaussian)  # validated once, with its Cholesky factors
            object.__setattr__(self, "means", gaussian.means)
            object.__setattr__(self, "covariances", gaussian.covariances)
        elif self.rates is not None:
            rates = _read_only(as_float_array(self.rates, "rates", ndim=2))
            if rates.shape[0] != start.size or np.any(rates < 0) or not np.all(np.isfinite(rates)):
                raise ValueError(f"rates must be finite, non-negative, with one row per state ({start.size})")
            object.__setattr__(self, "rates", rates)
        else:
            probabilities = _stochastic_rows(self.probabilities, "probabilities", ndim=2)
            if probabilities.shape[0] != start.size:
                raise ValueError(
                    f"probabilities must have one row per state ({start.size}); got {probabilities.shape[0]}"
                )
            object.__setattr__(self, "probabilities", probabilities)

    @property
    def n_states(self) -> int:
        return self.start.size

    @property
    def emission(self) -> str:
        """The name of the emission family, "gaussian", "poisson" or "categorical"."""
        return "gaussian" if self.means is not None else "poisson" if self.rates is not None else "categorical"

    def __repr__(self) -> str:
        return f"HMMParams(n_states={self.n_states}, emission={self.emission!r})"


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.flags.writeable = False
    return array


def _probability_vector(value, name: str) -> np.ndarray:
    return _stochastic_rows(value, name, ndim=1)


def _stochastic_rows(value, name: str, ndim: int) -> np.ndarray:
    """Non-negative finite entries whose last axis sums to one (to 1e-8), renormalised exactly."""
    array = as_float_array(value, name, ndim=ndim)
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must hold finite, non-negative probabilities")
    totals = array.sum(axis=-1, keepdims=True)
    if np.any(np.abs(totals - 1) > 1e-8):
        raise ValueError(f"{name} must sum to one along its last axis; got sums {np.ravel(totals).tolist()}")
    return _read_only(array / totals)


@dataclass(frozen=True, eq=False)
class HMMStatistics:
    """The E-step's posterior marginals (book eq. :eq:`hmm-marginals`).

    Attributes
    ----------
    gamma : ndarray of shape (T, K)
        γ_t(k) = p(z_t = k | x), every time step of every sequence.
    transitions : ndarray of shape (K, K)
        Σ_t ξ_t(j, k), the expected number of transitions from j to k (within sequences).
    starts : ndarray of shape (K,)
        Σ over sequences of γ at each sequence's first step.
    """

    gamma: np.ndarray
    transitions: np.ndarray
    starts: np.ndarray


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):  # a probability of 0 has logarithm −inf, which the recursions handle
        return np.log(values)


def forward_backward(log_emissions: np.ndarray, start: np.ndarray, transition: np.ndarray):
    """The forward–backward recursions of one sequence, in log space (book eq. :eq:`hmm-forward`).

    log α_1(k) = log π_k + log b_1(k);  log α_t(k) = log b_t(k) + log Σ_j α_{t−1}(j) A_jk;
    log β_T(j) = 0;  log β_t(j) = log Σ_k A_jk b_{t+1}(k) β_{t+1}(k), with b_t(k) = p(x_t | z_t = k).
    Every sum is a log-sum-exp over the K terms log α_{t−1}(j) + log A_jk (each k its own
    maximum), so no term under- or overflows whatever the zeros of A and the range of b.
    The reference for :func:`scaled_forward_backward`, and its fallback.

    Parameters
    ----------
    log_emissions : ndarray of shape (T, K)
        log b_t(k).
    start, transition : ndarray of shape (K,) and (K, K)
        π and A.

    Returns
    -------
    log_alpha, log_beta : ndarray of shape (T, K)
    log_likelihood : float
        log p(x_1, …, x_T) = log Σ_k α_T(k) (−inf if every state path has probability 0).
    """
    T = log_emissions.shape[0]
    log_start, log_transition = _log(start), _log(transition)
    log_alpha = np.empty_like(log_emissions)
    log_beta = np.zeros_like(log_emissions)
    log_alpha[0] = log_start + log_emissions[0]
    for t in range(1, T):
        log_alpha[t] = _logsumexp(log_alpha[t - 1][:, np.newaxis] + log_transition, axis=0) + log_emissions[t]
    for t in range(T - 2, -1, -1):
        log_beta[t] = _logsumexp(log_transition + (log_emissions[t + 1] + log_beta[t + 1]), axis=1)
    return log_alpha, log_beta, float(_logsumexp(log_alpha[-1], axis=0))


def _logsumexp(terms: np.ndarray, axis: int) -> np.ndarray:
    """log Σ exp(terms) along ``axis``; −inf (not NaN) where every term is −inf."""
    largest = terms.max(axis=axis, keepdims=True)
    largest = np.where(np.isfinite(largest), largest, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(terms - largest).sum(axis=axis)) + np.squeeze(largest, axis=axis)


def scaled_forward_backward(log_emissions: np.ndarray, start: np.ndarray, transition: np.ndarray):
    """Forward–backward with scaling factors (book eq. :eq:`hmm-scaled`): the same marginals, fewer operations.

    With b̃_t(k) = exp(log b_t(k) − s_t), s_t = max_k log b_t(k), the normalised forward variables
    α̂_t = α_t / p(x_1..x_t) follow α̂_t ∝ (α̂_{t−1} A) ∘ b̃_t with normaliser c̃_t, and
    β̂_t = A (b̃_{t+1} ∘ β̂_{t+1}) / c̃_{t+1}; then γ_t = α̂_t ∘ β̂_t and
    log p(x) = Σ_t (log c̃_t + s_t). Every quantity lies in [0, 1] up to the factor K, so the
    recursion cannot overflow; it returns None when a normaliser underflows to zero (the states
    the chain can reach explain x_t worse than an unreachable one by more than float64 can
    hold), and the caller then uses the log-space :func:`forward_backward`.

    Returns
    -------
    alpha_hat, beta_hat : ndarray of shape (T, K)
    log_normalisers : ndarray of shape (T,)
        log c̃_t + s_t, which sum to log p(x).
    emissions : ndarray of shape (T, K)
        b̃_t, for the pairwise marginals.
    """
    shifts = log_emissions.max(axis=1, keepdims=True)
    if not np.all(np.isfinite(shifts)):
        return None
    emissions = np.exp(log_emissions - shifts)
    if _fast.HAVE_NUMBA:  # the same loops, compiled (emlib._fast)
        recursions = _fast.scaled_recursions(emissions, start, transition)
        if recursions is None:
            return None
        alpha, beta, normalisers = recursions
        return alpha, beta, np.log(normalisers) + shifts[:, 0], emissions
    T = emissions.shape[0]
    alpha = np.empty_like(emissions)
    beta = np.ones_like(emissions)
    normalisers = np.empty(T)
    forward = start * emissions[0]
    for t in range(T):
        if t:
            forward = (alpha[t - 1] @ transition) * emissions[t]
        normalisers[t] = forward.sum()
        if not normalisers[t] > np.finfo(np.float64).tiny:
            return None
        alpha[t] = forward / normalisers[t]
    for t in range(T - 2, -1, -1):
        beta[t] = transition @ (emissions[t + 1] * beta[t + 1]) / normalisers[t + 1]
    return alpha, beta, np.log(normalisers) + shifts[:, 0], emissions


def _pairwise_sum(log_alpha, log_beta, log_emissions, log_transition, log_likelihood) -> np.ndarray:
    """Σ_t ξ_t(j, k) = Σ_t α_t(j) A_jk b_{t+1}(k) β_{t+1}(k) / p(x), summed in blocks of time steps."""
    K = log_transition.shape[0]
    total = np.zeros((K, K))
    ahead = log_emissions[1:] + log_beta[1:]
    for first in range(0, log_alpha.shape[0] - 1, _CHUNK):
        block = slice(first, min(first + _CHUNK, log_alpha.shape[0] - 1))
        log_xi = log_alpha[block, :, np.newaxis] + log_transition + ahead[block, np.newaxis, :] - log_likelihood
        total += np.exp(log_xi).sum(axis=0)
    return total


def _marginals(log_emissions: np.ndarray, params: HMMParams, log_transition: np.ndarray):
    """γ (T, K), Σ_t ξ_t (K, K) and log p(x) of one sequence: scaled recursions, log space if they underflow."""
    scaled = scaled_forward_backward(log_emissions, params.start, params.transition)
    if scaled is not None:
        alpha, beta, log_normalisers, emissions = scaled
        ahead = emissions[1:] * beta[1:] / np.exp(log_normalisers[1:] - (log_emissions[1:].max(axis=1)))[:, np.newaxis]
        pairs = params.transition * (alpha[:-1].T @ ahead)  # Σ_t α̂_t(j) A_jk b̃_{t+1}(k) β̂_{t+1}(k) / c̃_{t+1}
        return alpha * beta, pairs, float(log_normalisers.sum())
    log_alpha, log_beta, log_likelihood = forward_backward(log_emissions, params.start, params.transition)
    gamma = np.exp(log_alpha + log_beta - log_likelihood)
    return gamma, _pairwise_sum(log_alpha, log_beta, log_emissions, log_transition, log_likelihood), log_likelihood


def viterbi(log_emissions: np.ndarray, log_start: np.ndarray, log_transition: np.ndarray):
    """The most probable state path of one sequence and log p(x, z*) (book eq. :eq:`hmm-viterbi`).

    δ_1(k) = log π_k + log b_1(k);  δ_t(k) = log b_t(k) + max_j [δ_{t−1}(j) + log A_jk]; the path is
    read back from the arg-maxima (the lowest state index on a tie).

    Returns
    -------
    path : ndarray of shape (T,), int
    log_joint : float
    """
    T, K = log_emissions.shape
    delta = log_start + log_emissions[0]
    pointers = np.empty((T, K), dtype=np.intp)
    for t in range(1, T):
        scores = delta[:, np.newaxis] + log_transition  # (j, k)
        pointers[t] = np.argmax(scores, axis=0)
        delta = scores[pointers[t], np.arange(K)] + log_emissions[t]
    path = np.empty(T, dtype=np.intp)
    path[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        path[t - 1] = pointers[t, path[t]]
    return path, float(delta[path[-1]])


class HiddenMarkovModel(LatentVariableModel):
    """A hidden Markov model with Gaussian, Poisson or categorical emissions, on the common drivers.

    Parameters
    ----------
    emission : {"gaussian", "poisson", "categorical"}, default "gaussian"
        The family of p(x_t | z_t = k).
    covariance_type, reg_covar, covariance_prior :
        Gaussian emissions only: the covariance structure and its regularisation, exactly as for
        :class:`emlib.GaussianMixtureModel`, whose M-step the states' Gaussians share (the
        responsibilities are γ). ``reg_covar=None`` (default) is the data-scaled prior of book
        eq. :eq:`soft-em-data-prior`, so that no state can collapse onto a point, and the
        objective is ℓ + log p(Σ); ``reg_covar=0`` is maximum likelihood.

    Data (``check_data``): an array of shape (T,) or (T, D), or :class:`Sequences` for several
    sequences. Poisson data are non-negative whole numbers; categorical data one column of
    symbols 0, 1, …, M − 1.
    """

    def __init__(
        self, emission: str = "gaussian", covariance_type: str = "full", reg_covar=None, covariance_prior=None
    ):
        if emission not in EMISSIONS:
            raise ValueError(f"emission must be one of {', '.join(map(repr, EMISSIONS))}; got {emission!r}")
        if emission != "gaussian" and (
            covariance_type != "full" or reg_covar is not None or covariance_prior is not None
        ):
            raise ValueError(
                f"covariance_type, reg_covar and covariance_prior apply to Gaussian emissions only, not {emission}"
            )
        self.emission = emission
        self.components = (
            GaussianMixtureModel(covariance_type, reg_covar, covariance_prior) if emission == "gaussian" else None
        )

    def __repr__(self) -> str:
        if self.components is None:
            return f"HiddenMarkovModel(emission={self.emission!r})"
        return f"HiddenMarkovModel(emission='gaussian', components={self.components!r})"

    def _as_mixture(self, params: HMMParams, weights=None) -> GMMParams:
        """The states' Gaussians as a mixture (uniform weights unless given), for the shared M-step."""
        if weights is None:
            return params._mixture
        return GMMParams(weights, params.means, params.covariances)

    # --- checks ----------------------------------------------------------------------------

    def check_data(self, X) -> Sequences:
        data = as_sequences(X)
        values = data.X
        if self.emission in ("poisson", "categorical"):
            if np.any(values < 0) or np.any(values != np.round(values)):
                raise ValueError(f"X of a {self.emission} HMM must hold non-negative whole numbers")
        if self.emission == "categorical" and values.shape[1] != 1:
            raise ValueError(f"X of a categorical HMM must be one column of symbols; got {values.shape[1]} columns")
        return data

    def check_params(self, data, params, name: str = "params") -> None:
        if not isinstance(params, HMMParams):
            raise TypeError(f"{name} must be an emlib.hmm.HMMParams; got {type(params).__name__}")
        if params.emission != self.emission:
            raise ValueError(f"{name} has {params.emission} emissions but the model's are {self.emission}")
        if data is None:
            return
        columns = data.X.shape[1]
        if self.emission == "gaussian" and params.means.shape[1] != columns:
            raise ValueError(f"{name} has dimension {params.means.shape[1]} but X has {columns} columns")
        if self.emission == "poisson" and params.rates.shape[1] != columns:
            raise ValueError(f"{name}.rates has {params.rates.shape[1]} columns but X has {columns}")
        if self.emission == "categorical" and data.X.max() >= params.probabilities.shape[1]:
            raise ValueError(
                f"X holds symbol {int(data.X.max())} but {name}.probabilities has only"
                f" {params.probabilities.shape[1]} symbols (0 to {params.probabilities.shape[1] - 1})"
            )

    # --- the model -------------------------------------------------------------------------

    def log_emissions(self, data: Sequences, params: HMMParams) -> np.ndarray:
        """log p(x_t | z_t = k), shape (T, K)."""
        X = data.X
        if self.emission == "gaussian":
            return gaussian_log_densities(X, self._as_mixture(params))
        if self.emission == "poisson":  # Σ_d x_td log λ_kd − λ_kd − log x_td!
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = np.where(X[:, np.newaxis, :] > 0, X[:, np.newaxis, :] * _log(params.rates), 0.0)
            return terms.sum(axis=2) - params.rates.sum(axis=1) - gammaln(X + 1).sum(axis=1, keepdims=True)
        return _log(params.probabilities[:, X[:, 0].astype(np.intp)]).T

    def _check_unweighted(self, weights: np.ndarray) -> None:
        if not np.all(weights == 1):
            raise ValueError(
                "sample_weight must be None for a hidden Markov model: the time steps of a sequence are not"
                " exchangeable rows, so they cannot be weighted"
            )

    def expectation(self, data: Sequences, weights: np.ndarray, params: HMMParams) -> EStep:
        """γ, Σ_t ξ_t and the first-step posteriors by forward–backward per sequence, and ℓ = Σ log p(x)."""
        self._check_unweighted(weights)
        log_b = self.log_emissions(data, params)
        log_transition = _log(params.transition)
        gamma = np.empty_like(log_b)
        transitions = np.zeros((params.n_states, params.n_states))
        starts = np.zeros(params.n_states)
        total = 0.0
        for first, end in data.bounds():
            gamma[first:end], pairs, log_likelihood = _marginals(log_b[first:end], params, log_transition)
            if not np.isfinite(log_likelihood):
                raise ValueError(
                    f"the sequence starting at time step {first} has probability zero under the parameters"
                    " (every state path is excluded by a zero in start, transition or the emissions)"
                )
            transitions += pairs
            starts += gamma[first]
            total += log_likelihood
        return EStep(HMMStatistics(gamma, transitions, starts), total)

    def classification(self, data: Sequences, weights: np.ndarray, params: HMMParams, previous=None) -> EStep:
        """Viterbi training's hard E-step: the most probable path z* of each sequence, one-hot statistics."""
        self._check_unweighted(weights)
        log_b = self.log_emissions(data, params)
        log_start, log_transition = _log(params.start), _log(params.transition)
        K = params.n_states
        path = np.empty(len(data), dtype=np.intp)
        joint = 0.0
        for first, end in data.bounds():
            path[first:end], log_joint = viterbi(log_b[first:end], log_start, log_transition)
            joint += log_joint
        gamma = np.zeros((len(data), K))
        gamma[np.arange(len(data)), path] = 1.0
        transitions = np.zeros((K, K))
        starts = np.zeros(K)
        for first, end in data.bounds():
            np.add.at(transitions, (path[first : end - 1], path[first + 1 : end]), 1.0)
            starts[path[first]] += 1.0
        log_likelihood = self.expectation(data, weights, params).log_likelihood
        return EStep(HMMStatistics(gamma, transitions, starts), log_likelihood, joint, path)

    def maximization(self, data: Sequences, weights: np.ndarray, statistics: HMMStatistics, previous: HMMParams):
        """Baum–Welch: π = starts / (number of sequences); A_jk ∝ Σ_t ξ_t(j, k); emissions fitted with weights γ.

        A state with no expected transition out of it keeps its previous row of A, and one with no
        posterior mass keeps its previous emission parameters.
        """
        start = statistics.starts / statistics.starts.sum()
        outgoing = statistics.transitions.sum(axis=1, keepdims=True)
        transition = np.where(
            outgoing > 0, statistics.transitions / np.where(outgoing > 0, outgoing, 1), previous.transition
        )
        emissions = self._emission_m_step(data.X, weights, statistics.gamma, previous)
        return HMMParams(start, transition, **emissions)

    def _emission_m_step(self, X: np.ndarray, weights: np.ndarray, gamma: np.ndarray, previous: HMMParams) -> dict:
        if self.emission == "gaussian":  # the Gaussian mixture's M-step with responsibilities γ (book eq. soft-em-mu)
            fitted = self.components.maximization(X, weights, gamma, self._as_mixture(previous))
            return {"means": fitted.means, "covariances": fitted.covariances}
        occupancy = gamma.sum(axis=0)
        occupied = occupancy > np.finfo(np.float64).tiny
        weighted = gamma[:, occupied].T @ X  # Σ_t γ_t(k) x_t
        if self.emission == "poisson":
            rates = np.array(previous.rates)
            rates[occupied] = weighted / occupancy[occupied, np.newaxis]
            return {"rates": rates}
        probabilities = np.array(previous.probabilities)
        symbols = np.zeros((X.shape[0], probabilities.shape[1]))
        symbols[np.arange(X.shape[0]), X[:, 0].astype(np.intp)] = 1.0
        counts = gamma[:, occupied].T @ symbols
        probabilities[occupied] = counts / counts.sum(axis=1, keepdims=True)
        return {"probabilities": probabilities}

    def log_parameter_prior(self, data: Sequences, weights: np.ndarray, params: HMMParams) -> float:
        """The Gaussian states' log p(Σ) (:meth:`emlib.GaussianMixtureModel.log_parameter_prior`); 0 otherwise."""
        if self.components is None:
            return 0.0
        return self.components.log_parameter_prior(data.X, weights, self._as_mixture(params))

    def objective_is_monotone(self) -> bool:
        return self.components is None or self.components.objective_is_monotone()

    def degenerate(self, data: Sequences, weights: np.ndarray, params: HMMParams) -> np.ndarray | None:
        """Gaussian states that are degenerate as mixture components (:meth:`emlib.GaussianMixtureModel.degenerate`).

        A state's weight is its share of the time steps, Σ_t γ_t(k) / T, at ``params``.
        """
        if self.components is None:
            return None
        occupancy = self.expectation(data, weights, params).statistics.gamma.mean(axis=0)
        return self.components.degenerate(data.X, weights, self._as_mixture(params, occupancy / occupancy.sum()))

    # --- pieces for the other drivers -------------------------------------------------------

    def flatten(self, params: HMMParams) -> np.ndarray:
        """(π, A, emission parameters) as raw coordinates (SQUAREM's; covariances with every entry)."""
        emission = (
            [params.means.ravel(), params.covariances.ravel()]
            if self.emission == "gaussian"
            else [params.rates.ravel()]
            if self.emission == "poisson"
            else [params.probabilities.ravel()]
        )
        return np.concatenate([params.start, params.transition.ravel(), *emission])

    def unflatten(self, vector: np.ndarray, like: HMMParams) -> HMMParams | None:
        """The parameters with these coordinates, probabilities renormalised, or None if they are not valid.

        Invalid: a negative probability or rate, a rate 0 where ``like``'s is positive, a covariance
        that is not positive definite, a non-finite entry.
        """
        K = like.n_states
        if not np.all(np.isfinite(vector)):
            return None
        start, transition, rest = vector[:K], vector[K : K + K * K].reshape(K, K), vector[K + K * K :]
        if np.any(start < 0) or np.any(transition < 0) or start.sum() <= 0 or np.any(transition.sum(axis=1) <= 0):
            return None
        probabilities = {"start": start / start.sum(), "transition": transition / transition.sum(axis=1, keepdims=True)}
        if self.emission == "gaussian":
            D = like.means.shape[1]
            emission = {"means": rest[: K * D].reshape(K, D), "covariances": rest[K * D :].reshape(K, D, D)}
        elif self.emission == "poisson":
            rates = rest.reshape(like.rates.shape)
            if np.any(rates < 0) or np.any((rates == 0) & (like.rates > 0)):
                return None
            emission = {"rates": rates}
        else:
            table = rest.reshape(like.probabilities.shape)
            if np.any(table < 0) or np.any(table.sum(axis=1) <= 0):
                return None
            emission = {"probabilities": table / table.sum(axis=1, keepdims=True)}
        try:
            return HMMParams(**probabilities, **emission)
        except ValueError:
            return None

    def n_parameters(self, params: HMMParams) -> int:
        K = params.n_states
        if self.emission == "gaussian":  # the mixture's count less its K − 1 weights
            emission = self.components.n_parameters(self._as_mixture(params)) - (K - 1)
        elif self.emission == "poisson":
            emission = params.rates.size
        else:
            emission = K * (params.probabilities.shape[1] - 1)
        return (K - 1) + K * (K - 1) + emission

    # --- on raw inputs -------------------------------------------------------------------

    def posterior(self, X, params: HMMParams) -> np.ndarray:
        """γ_t(k) = p(z_t = k | x), shape (T, K)."""
        data = self.check_data(X)
        self.check_params(data, params)
        return self.expectation(data, np.ones(len(data)), params).statistics.gamma

    def decode(self, X, params: HMMParams) -> tuple[np.ndarray, float]:
        """The Viterbi path, shape (T,), and log p(x, z*) summed over the sequences."""
        data = self.check_data(X)
        self.check_params(data, params)
        estep = self.classification(data, np.ones(len(data)), params)
        return estep.assignment, estep.classification_log_likelihood


def check_n_states(n_states, data: Sequences) -> int:
    """K >= 1 and at most the number of time steps."""
    n_states = check_count(n_states, "n_states", minimum=1)
    if n_states > len(data):
        raise ValueError(f"n_states ({n_states}) must not exceed the number of time steps of X ({len(data)})")
    return n_states
