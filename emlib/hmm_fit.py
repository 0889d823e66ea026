"""Fitting a hidden Markov model: checked inputs, starts, restarts and the common drivers (``emlib.hmm``)."""

from __future__ import annotations

import numpy as np

from ._kmeans import kmeans_plus_plus, lloyd
from ._validation import check_count, check_nonnegative_real, check_random_state
from .drivers import _check_callback, _check_method, _warn_if_not_converged, run
from .hmm import EMISSIONS, HiddenMarkovModel, HMMParams, as_sequences
from .result import EMResult
from .stopping import check_stopping

__all__ = ["fit_hmm"]


def fit_hmm(
    X,
    n_states: int,
    *,
    emission: str = "gaussian",
    lengths=None,
    init="k-means",
    n_init: int = 10,
    random_state=None,
    method: str = "em",
    max_iter: int = 1000,
    tol: float = 1e-8,
    covariance_type: str = "full",
    reg_covar: float | None = None,
    n_symbols: int | None = None,
    callback=None,
    trajectory: bool = False,
    stopping: str = "increment",
) -> EMResult:
    """Fit a hidden Markov model by Baum–Welch (EM; book :prf:ref:`hmm-alg-baum-welch`) or a variant.

    The model is :class:`emlib.hmm.HiddenMarkovModel`, run by the drivers every model shares:
    each iteration is the forward–backward E-step (the posterior marginals γ and Σ_t ξ_t) and the
    M-step. ``method="hard"`` is Viterbi training (the hard EM of HMMs: the most probable path
    in place of the posterior), ``"squarem"`` SQUAREM on the raw coordinates (π, A, emissions).

    Parameters
    ----------
    X : array_like of shape (T,) or (T, D)
        The time steps of every sequence, stacked in order.
    n_states : int
        K >= 1, at most the number of time steps.
    emission : {"gaussian", "poisson", "categorical"}, default "gaussian"
        The family of p(x_t | z_t = k): a Gaussian per state (D columns), independent Poisson
        counts per column, or one column of symbols 0 … M − 1.
    lengths : array_like of int, optional
        The length of each sequence, adding up to T (default: one sequence).
    init : HMMParams or "k-means", default "k-means"
        The start. ``"k-means"``: k-means++ seeding and ten Lloyd iterations on the columns of X
        divided by their standard deviations (Gaussian and Poisson emissions), each state's
        emission fitted to its cluster and the transition matrix counted from consecutive labels
        (plus one in every cell); for categorical emissions, whose symbols have no distance,
        each state's probabilities are the symbol frequencies mixed half and half with a draw
        from a flat Dirichlet, and the transitions a flat Dirichlet draw per row. The start
        probabilities are uniform.
    n_init : int, default 10
        Runs from fresh starts drawn from ``random_state``; the one with the highest final
        objective (with no degenerate state, if any) is returned. Must be 1 when ``init`` is an
        HMMParams.
    random_state : None, int or numpy.random.Generator
        Seed of the starts (the iterations are deterministic).
    method : {"em", "hard", "squarem"}, default "em"
        The driver. ECG needs a score, which this model does not supply (a clear TypeError).
    max_iter, tol, stopping, callback, trajectory :
        As for :func:`emlib.fit_em`; the stopping rule is per time step, and its default is
        tighter than ``fit_gmm``'s (1e-8), because EM for HMMs often crawls for many iterations
        with increments near 1e-6 per step before it settles.
    covariance_type, reg_covar :
        Gaussian emissions: as for :func:`emlib.fit_gmm` (``reg_covar=None``: the data-scaled
        prior, so no state collapses onto a point; 0: maximum likelihood).
    n_symbols : int, optional
        Categorical emissions: the number of symbols M (default: the largest symbol in X plus one).

    Returns
    -------
    EMResult
        ``params`` an :class:`emlib.hmm.HMMParams`; ``log_likelihoods`` the total log p(X) of
        each iterate; ``posterior`` the last E-step's :class:`emlib.hmm.HMMStatistics` (its
        ``gamma``, shape (T, K), the state marginals); ``model`` the fitted model, whose
        :meth:`~emlib.HiddenMarkovModel.decode` gives the Viterbi path.
    """
    if emission not in EMISSIONS:
        raise ValueError(f"emission must be one of {', '.join(map(repr, EMISSIONS))}; got {emission!r}")
    gaussian = emission == "gaussian"
    model = HiddenMarkovModel(
        emission,
        covariance_type=covariance_type if gaussian else "full",
        reg_covar=reg_covar if gaussian else None,
    )
    if not gaussian and (covariance_type != "full" or reg_covar is not None):
        raise ValueError(f"covariance_type and reg_covar apply to Gaussian emissions only, not {emission}")
    data = model.check_data(as_sequences(X, lengths))
    n_states = check_count(n_states, "n_states", minimum=1)
    if n_states > len(data):
        raise ValueError(f"n_states ({n_states}) must not exceed the number of time steps of X ({len(data)})")
    method = _check_method(method)
    if method in ("ecg", "hybrid"):
        raise TypeError(f"method {method!r} needs the model's score, which a hidden Markov model does not supply")
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    n_init = check_count(n_init, "n_init", minimum=1)
    rng = check_random_state(random_state, "random_state")
    callback = _check_callback(callback)
    stopping = check_stopping(stopping)
    n_symbols = _check_symbols(n_symbols, data, emission)
    weights = np.ones(len(data))
    if isinstance(init, HMMParams):
        if n_init != 1:
            raise ValueError("n_init must be 1 when init is an HMMParams (every run would be identical)")
        model.check_params(data, init, name="init")
        if init.n_states != n_states:
            raise ValueError(f"init has {init.n_states} states but n_states is {n_states}")
        starts = [init]
    elif isinstance(init, str) and init == "k-means":
        starts = (_start(model, data, weights, n_states, n_symbols, rng) for _ in range(n_init))
    else:
        raise ValueError(f"init must be an emlib.hmm.HMMParams or 'k-means'; got {init!r}")

    best = None
    for start in starts:
        result = run(
            model,
            data,
            weights,
            start,
            method=method,
            max_iter=max_iter,
            tol=tol,
            callback=callback,
            trajectory=bool(trajectory),
            stopping=stopping,
        )
        score = (result.degenerate is None or not np.any(result.degenerate), result.objectives[-1])
        if best is None or score > best[0]:
            best = (score, result)
    result = best[1]
    _warn_if_not_converged(result, tol, max_iter, stacklevel=2)
    return result


def _check_symbols(n_symbols, data, emission: str) -> int | None:
    if emission != "categorical":
        if n_symbols is not None:
            raise ValueError("n_symbols applies to categorical emissions only")
        return None
    largest = int(data.X.max()) + 1
    if n_symbols is None:
        return largest
    n_symbols = check_count(n_symbols, "n_symbols", minimum=1)
    if n_symbols < largest:
        raise ValueError(f"n_symbols ({n_symbols}) must exceed the largest symbol in X ({largest - 1})")
    return n_symbols


def _start(model: HiddenMarkovModel, data, weights, n_states: int, n_symbols, rng) -> HMMParams:
    """One start of ``init="k-means"`` (see :func:`fit_hmm`)."""
    start = np.full(n_states, 1.0 / n_states)
    if model.emission == "categorical":
        frequencies = np.bincount(data.X[:, 0].astype(np.intp), minlength=n_symbols) / len(data)
        probabilities = 0.5 * frequencies + 0.5 * rng.dirichlet(np.ones(n_symbols), size=n_states)
        return HMMParams(start, rng.dirichlet(np.ones(n_states), size=n_states), probabilities=probabilities)
    scale = data.X.std(axis=0)
    whitened = data.X / np.where(scale > 0, scale, 1.0)
    if np.unique(whitened, axis=0).shape[0] < n_states:
        raise ValueError(f"X has fewer distinct time steps than n_states ({n_states}): a k-means start needs that many")
    labels = lloyd(whitened, weights, kmeans_plus_plus(whitened, weights, n_states, rng))
    transition = np.ones((n_states, n_states))
    for first, end in data.bounds():
        np.add.at(transition, (labels[first : end - 1], labels[first + 1 : end]), 1.0)
    transition /= transition.sum(axis=1, keepdims=True)
    one_hot = np.zeros((len(data), n_states))
    one_hot[np.arange(len(data)), labels] = 1.0
    if model.emission == "poisson":
        counts = one_hot.sum(axis=0)
        rates = (one_hot.T @ data.X) / np.maximum(counts, 1)[:, np.newaxis]
        rates[counts == 0] = data.X.mean(axis=0)
        return HMMParams(start, transition, rates=rates)
    overall = model.components.maximization(data.X, weights, np.ones((len(data), 1)), None)  # for an empty cluster
    previous = HMMParams(
        start,
        transition,
        means=np.repeat(overall.means, n_states, axis=0),
        covariances=np.repeat(overall.covariances, n_states, axis=0),
    )
    fitted = model.components.maximization(data.X, weights, one_hot, model._as_mixture(previous))
    return HMMParams(start, transition, means=fitted.means, covariances=fitted.covariances)
