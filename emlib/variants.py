"""Variants of EM that see the data a block at a time or draw the latent variables, written once for every model.

Each is a coordinate ascent on Neal and Hinton's free energy F(q, θ) = E_q[log p(X, Z | θ)] + H(q)
(book chapter "Variants of EM"), on the model interface of ``emlib.model``:

- :func:`fit_incremental_em` — incremental EM (Neal and Hinton 1998): the rows are split into B
  blocks; the E-step of one block replaces that block's statistics in the total, and the M-step
  follows at once, so θ moves B times per pass over the data. Needs the model's additive
  statistics (:meth:`~emlib.LatentVariableModel.summarize`, :meth:`~emlib.LatentVariableModel.maximize_summary`).
- :class:`OnlineEM` — online EM by stochastic approximation (Cappé and Moulines 2009): for each
  new batch, s ← s + γ_t (ŝ − s), ŝ the batch's statistics per unit weight, then θ = M-step(s), with
  steps γ_t = (t + τ)^(−κ), κ ∈ (½, 1]. The estimator's ``partial_fit`` runs it.
- :func:`fit_monte_carlo_em` — stochastic EM (Celeux and Diebolt 1985, one draw) and Monte Carlo
  EM (Wei and Tanner 1990, m draws): the M-step reads the statistics of the complete data with
  the latent variables drawn from p(z | x, θ) (:meth:`~emlib.LatentVariableModel.simulated_statistics`).

Generalised EM and ECM need no driver of their own: a model whose ``maximization`` only raises
Q, or maximises it one block of parameters at a time (``emlib.student_t``), runs on
:func:`emlib.fit_em`; variational EM is a model whose "E-step" is the optimal q in a restricted
family (``emlib.variational``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validation import (
    check_count,
    check_nonnegative_real,
    check_positive_real,
    check_sample_weight,
    check_seed,
)
from .drivers import _check_callback, _History, _warn_if_not_converged
from .model import LatentVariableModel
from .result import EMResult
from .stopping import check_stopping

__all__ = ["OnlineEM", "fit_incremental_em", "fit_monte_carlo_em", "step_size"]


def _check_model(model, needs: tuple[str, ...], variant: str) -> None:
    if not isinstance(model, LatentVariableModel):
        raise TypeError(f"model must be an emlib.LatentVariableModel; got {type(model).__name__}")
    for name in needs:
        if getattr(type(model), name) is getattr(LatentVariableModel, name):
            raise TypeError(
                f"{variant} needs the model's {name}; {type(model).__name__} has no {name}"
                f" (see emlib.LatentVariableModel.{name})"
            )


def _blocks(n_rows: int, n_blocks: int) -> list[slice]:
    """B contiguous blocks of rows whose sizes differ by at most one."""
    edges = np.linspace(0, n_rows, n_blocks + 1).round().astype(int)
    return [slice(int(start), int(stop)) for start, stop in zip(edges[:-1], edges[1:])]


def fit_incremental_em(
    model: LatentVariableModel,
    X,
    init,
    *,
    n_blocks: int = 10,
    max_iter: int = 1000,
    tol: float = 1e-6,
    stopping: str = "increment",
    sample_weight=None,
    callback: Callable | None = None,
    trajectory: bool = False,
) -> EMResult:
    """Incremental EM (Neal and Hinton 1998): an M-step after the E-step of each of ``n_blocks`` blocks of rows.

    With s_b the statistics of block b (:meth:`~emlib.LatentVariableModel.summarize`), one
    iteration is a pass over the blocks, b = 1, …, B in turn:

        s_b ← statistics of block b under p(z | x, θ);   θ ← M-step(s_1 + … + s_B).

    Each step raises the free energy F(q, θ) (book chapter "Variants of EM"), so θ moves B times
    per pass; with B = 1 this is EM. After each pass the log-likelihood ℓ(θ) is computed by one
    full E-step (counted in ``n_evaluations``, which is then twice the passes), and the stopping
    rule of :func:`emlib.fit_em` is applied to it.

    Parameters
    ----------
    model : LatentVariableModel
        A model with additive statistics (for example :class:`emlib.GaussianMixtureModel`).
    X : array_like
        Data (first axis: rows). The blocks are contiguous: shuffle X first if its order means something.
    init : object
        Starting parameters, of the model's parameter type.
    n_blocks : int, default 10
        B, between 1 and the number of rows.
    max_iter, tol, stopping, sample_weight, callback, trajectory :
        As for :func:`emlib.fit_em`; ``max_iter`` counts passes.

    Returns
    -------
    EMResult
        With ``method="incremental"``; ``log_likelihoods`` has one entry per pass.
    """
    _check_model(model, ("summarize", "maximize_summary"), "incremental EM")
    data = model.check_data(X)
    model.check_params(data, init, name="init")
    n_blocks = check_count(n_blocks, "n_blocks", minimum=1)
    if n_blocks > len(data):
        raise ValueError(f"n_blocks must be at most the number of rows ({len(data)}); got {n_blocks}")
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    stopping = check_stopping(stopping)
    weights = check_sample_weight(sample_weight, len(data))
    callback = _check_callback(callback)

    blocks = _blocks(len(data), n_blocks)
    history = _History(model, data, weights, tol, callback, bool(trajectory), stopping=stopping)
    params = init
    total = _BlockTotals([_block_summary(model, data[rows], weights[rows], params) for rows in blocks])
    estep = model.expectation(data, weights, params)
    converged = history.accept(params, estep)
    while not converged and history.n_iter < max_iter:
        for index, rows in enumerate(blocks):
            total.replace(index, _block_summary(model, data[rows], weights[rows], params))
            params = model.maximize_summary(total.sum(), params)
        estep = model.expectation(data, weights, params)
        history.n_evaluations += 2  # the pass of block E-steps, and the pass that measures ℓ
        converged = history.accept(params, estep)
    result = history.result(params, estep, converged, "incremental")
    _warn_if_not_converged(result, tol, max_iter, stacklevel=2)
    return result


class _BlockTotals:
    """The sum s_1 + … + s_B of per-block statistics, kept in a binary tree of partial sums.

    Replacing one block's statistics re-adds only the log₂ B partial sums above it, so incremental
    EM's pass costs O(B log B) additions instead of O(B²), and nothing is ever subtracted (a
    difference of centred statistics could cancel). ``0 * s`` is the identity that pads the tree.
    """

    def __init__(self, summaries: list):
        self.size = 1 << max(len(summaries) - 1, 0).bit_length()
        empty = 0.0 * summaries[0]
        self.nodes = [empty] * self.size + list(summaries) + [empty] * (self.size - len(summaries))
        for node in range(self.size - 1, 0, -1):
            self.nodes[node] = self.nodes[2 * node] + self.nodes[2 * node + 1]

    def replace(self, index: int, summary) -> None:
        node = self.size + index
        self.nodes[node] = summary
        while node > 1:
            node //= 2
            self.nodes[node] = self.nodes[2 * node] + self.nodes[2 * node + 1]

    def sum(self):
        return self.nodes[1] if self.size > 1 else self.nodes[self.size]


def _block_summary(model, data, weights, params):
    return model.summarize(data, weights, model.expectation(data, weights, params).statistics)


def step_size(t: int, learning_decay: float = 0.6, learning_offset: float = 0.0) -> float:
    """γ_t of online EM: 1 for the first batch, then (t + τ)^(−κ) (Cappé and Moulines 2009).

    With κ ∈ (½, 1], Σ γ_t = ∞ and Σ γ_t² < ∞: the steps are long enough to reach any point and
    short enough for the noise of the batches to average out (the Robbins–Monro conditions).
    """
    t = check_count(t, "t", minimum=1)
    learning_decay, learning_offset = _check_learning_rate(learning_decay, learning_offset)
    return 1.0 if t == 1 else float((t + learning_offset) ** -learning_decay)


def _check_learning_rate(learning_decay, learning_offset) -> tuple[float, float]:
    learning_decay = check_positive_real(learning_decay, "learning_decay")
    if not 0.5 < learning_decay <= 1.0:
        raise ValueError(f"learning_decay must be in (0.5, 1] (the Robbins–Monro conditions); got {learning_decay}")
    return learning_decay, check_nonnegative_real(learning_offset, "learning_offset")


class OnlineEM:
    """Online EM (Cappé and Moulines 2009) on batches that arrive one at a time.

    The state is the running statistics s, per unit weight, and θ = M-step(s). For batch t:

        ŝ_t = statistics of the batch under p(z | x, θ_{t−1}), divided by its total weight;
        s_t = s_{t−1} + γ_t (ŝ_t − s_{t−1}),   γ_t = :func:`~emlib.variants.step_size` (t, κ, τ);
        θ_t = M-step(s_t).

    Parameters
    ----------
    model : LatentVariableModel
        A model with additive statistics (for example :class:`emlib.GaussianMixtureModel`).
    init : object
        θ_0, of the model's parameter type.
    learning_decay : float, default 0.6
        κ, in (0.5, 1].
    learning_offset : float, default 0.0
        τ ≥ 0: a larger τ makes the early steps shorter.

    Attributes
    ----------
    params : object
        θ after the last batch.
    statistics : object or None
        s after the last batch (None before the first).
    n_batches : int
        Batches seen.
    log_likelihoods : list of float
        Each batch's log-likelihood per unit weight at the θ it was summarised under (a noisy,
        honest measure of progress: the batch had not been fitted to yet).
    """

    def __init__(self, model: LatentVariableModel, init, *, learning_decay: float = 0.6, learning_offset: float = 0.0):
        _check_model(model, ("summarize", "maximize_summary"), "online EM")
        model.check_params(None, init, name="init")
        self.learning_decay, self.learning_offset = _check_learning_rate(learning_decay, learning_offset)
        self.model = model
        self.params = init
        self.statistics = None
        self.n_batches = 0
        self.log_likelihoods: list[float] = []

    def update(self, X, sample_weight=None) -> OnlineEM:
        """One batch: its E-step at the current θ, the stochastic-approximation step, the M-step."""
        data = self.model.check_data(X)
        self.model.check_params(data, self.params, name="init" if self.n_batches == 0 else "params")
        weights = check_sample_weight(sample_weight, len(data))
        total = float(weights.sum())
        estep = self.model.expectation(data, weights, self.params)
        batch = self.model.summarize(data, weights, estep.statistics) * (1.0 / total)
        self.n_batches += 1
        gamma = step_size(self.n_batches, self.learning_decay, self.learning_offset)
        self.statistics = batch if self.statistics is None else (1.0 - gamma) * self.statistics + gamma * batch
        self.params = self.model.maximize_summary(self.statistics, self.params)
        self.log_likelihoods.append(estep.log_likelihood / total)
        return self


def fit_monte_carlo_em(
    model: LatentVariableModel,
    X,
    init,
    *,
    n_draws=1,
    max_iter: int = 100,
    random_state=None,
    sample_weight=None,
    callback: Callable | None = None,
    trajectory: bool = False,
) -> EMResult:
    """Stochastic EM (one draw) and Monte Carlo EM (m draws): the M-step on simulated complete data.

    Iteration t draws the latent variables ``n_draws`` times from p(z | x, θ_t) and runs the
    ordinary M-step on the average of the completed data's statistics
    (:meth:`~emlib.LatentVariableModel.simulated_statistics`):

    - with one draw (Celeux and Diebolt 1985), θ_t is a Markov chain that does not converge to
      a point but fluctuates around the maximum likelihood estimate: average its iterates after
      a burn-in (``trajectory=True`` keeps them);
    - with m draws (Wei and Tanner 1990) the statistics are a Monte Carlo estimate of the
      E-step's, of variance O(1/m): let m grow with t (``n_draws`` a callable) to converge.

    The log-likelihood of every iterate is exact (the E-step's, before the draws). The run lasts
    ``max_iter`` iterations: no stopping rule applies to a noisy sequence, so ``converged`` is False.

    Parameters
    ----------
    model : LatentVariableModel
        A model that can draw its latent variables (every :class:`emlib.MixtureModel`).
    X : array_like
        Data.
    init : object
        θ_0.
    n_draws : int or callable, default 1
        m, or m_t = ``n_draws(t)`` for iteration t = 1, 2, …
    max_iter : int, default 100
    random_state : int or numpy.random.Generator
        The source of the draws (required, None refused: a Monte Carlo run is reproducible only from a seed).
    sample_weight, callback, trajectory :
        As for :func:`emlib.fit_em`.

    Returns
    -------
    EMResult
        With ``method="monte-carlo"``.
    """
    _check_model(model, ("simulated_statistics",), "Monte Carlo EM")
    data = model.check_data(X)
    model.check_params(data, init, name="init")
    draws = n_draws if callable(n_draws) else _constant(check_count(n_draws, "n_draws", minimum=1))
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    rng = check_seed(random_state, "random_state")
    weights = check_sample_weight(sample_weight, len(data))
    callback = _check_callback(callback)

    history = _History(model, data, weights, 0.0, callback, bool(trajectory))
    params = init
    estep = model.expectation(data, weights, params)
    history.accept(params, estep)
    while history.n_iter < max_iter:
        m = check_count(draws(history.n_iter + 1), "n_draws(t)", minimum=1)
        simulated = model.simulated_statistics(data, weights, estep.statistics, m, rng)
        params = model.maximization(data, weights, simulated, params)
        estep = model.expectation(data, weights, params)
        history.n_evaluations += 1
        history.accept(params, estep)
    return history.result(params, estep, False, "monte-carlo")


def _constant(value: int):
    return lambda t: value
