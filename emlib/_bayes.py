"""Bayes' theorem in log space, and the weighted total of per-row log-likelihoods.

The E-step of every model whose latent variable is one of K labels per row is Bayes' theorem,
p(z_n = k | x_n) = p(z_n = k) p(x_n | z_n = k) / Σ_j p(z_n = j) p(x_n | z_n = j) (book eq.
:eq:`soft-em-responsibilities`), and every model's log-likelihood is a weighted sum of per-row
log-likelihoods. Both live here once, below every model.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ._fast import row_maxima

__all__ = ["bayes", "log_bayes", "map_labels", "total_log_likelihood"]


def _shift_by_largest(
    log_conditional: np.ndarray, log_prior: np.ndarray, out: np.ndarray | None = None, first_row: int = 0
):
    """log p(x_n | k) − max_j log p(x_n | j) + log p(k): the joint, shifted row by row.

    Removing each row's largest conditional *before* adding the prior matters: for a point far
    from every component the conditionals are huge and negative, and adding log p(z = k) to
    them (or subtracting the log-marginal from them) would round away the digits that tell
    the labels apart; the posterior must still sum to one. Labels of prior probability zero
    are left out of the maximum.
    """
    possible = np.flatnonzero(~np.isneginf(log_prior))
    largest = row_maxima(log_conditional, possible)  # log_conditional[:, possible].max(axis=1), faster
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

    The same quantities as :func:`log_bayes`, with the posterior as probabilities: the shifted
    joint is exponentiated once and normalised by its row sums, instead of logsumexp (one pass
    of exponentials) followed by exp of the log-posterior (a second pass).

    Parameters
    ----------
    log_conditional : ndarray of shape (N, K)
        log p(x_n | z_n = k, θ); overwritten by the posterior if ``overwrite``.
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
    out = log_conditional if overwrite else None
    largest, shifted = _shift_by_largest(log_conditional, log_prior, out=out, first_row=first_row)
    posterior = np.exp(shifted, out=shifted)
    totals = posterior @ np.ones(posterior.shape[1])  # row sums, in [π_max, K]: the largest term is exp(log prior) > 0
    posterior /= totals[:, np.newaxis]
    return largest + np.log(totals), posterior


def total_log_likelihood(
    weights: np.ndarray, log_marginals: np.ndarray, what: str = "the log-likelihood of X"
) -> float:
    """Σ_n w_n log p(x_n | θ), or a ValueError if the sum is beyond the range of float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(weights @ log_marginals)
    if not np.isfinite(total):
        raise ValueError(f"{what} is beyond the range of float64 ({total}); rescale X or sample_weight")
    return total


def map_labels(log_joint: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """The most probable label of each row, argmax_k log p(x_n, z_n = k | θ), shape (N,).

    With ``previous`` (labels of shape (N,)), a row keeps its label unless another is strictly
    more probable, so ties never make a hard-EM assignment oscillate; without it a tie goes to
    the smallest index.
    """
    rows = np.arange(log_joint.shape[0])
    labels = np.argmax(log_joint, axis=1)
    if previous is not None:
        keep = log_joint[rows, previous] >= log_joint[rows, labels]
        labels = np.where(keep, previous, labels)
    return labels
