"""The M-step of a Gaussian mixture: closed-form maximisers of Q(θ, θ_old).

Covariances are accumulated from centred data, Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ / N_k, never
as E[xxᵀ] − μμᵀ, whose cancellation loses every digit when the data sit far from the origin.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    check_covariance_type,
    check_data,
    check_nonnegative_real,
    check_responsibilities,
    check_sample_weight,
)
from .expectation import chunk_size, chunks
from .params import GMMParams, SingularCovarianceError, cholesky_factors

#: A covariance is numerically singular when a squared Cholesky pivot is below this many units of
#: rounding (D·eps) of its largest variance: the rounding in its own entries is then as large as
#: the spread in that direction, so it is a point or subspace collapse, not a real thin component.
RELATIVE_PIVOT_UNITS = 100.0


def m_step(
    X,
    responsibilities,
    *,
    covariance_type: str = "full",
    reg_covar: float = 0.0,
    sample_weight=None,
) -> GMMParams:
    """The M-step: the parameters that maximise Q(θ, θ_old) for fixed responsibilities.

    With r_nk = w_n γ(z_nk) (w_n = 1 without sample weights, book eq.
    :eq:`soft-em-sample-weights`) and N_k = Σ_n r_nk (eq. :eq:`soft-em-nk`):

    - weights π_k = N_k / Σ_n w_n (eq. :eq:`soft-em-pi`),
    - means μ_k = Σ_n r_nk x_n / N_k (eq. :eq:`soft-em-mu`),
    - covariances, by ``covariance_type``:

      - ``"full"``: Σ_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ / N_k (eq. :eq:`soft-em-sigma`);
      - ``"diag"``: the diagonal of the full update (eq. :eq:`soft-em-sigma-diag`);
      - ``"spherical"``: σ_k² I with σ_k² the mean of the diagonal (eq. :eq:`soft-em-sigma-spherical`);
      - ``"tied"``: one Σ = Σ_k Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ / Σ_n w_n shared by all
        components (eq. :eq:`soft-em-sigma-tied`);

      plus ``reg_covar`` on every diagonal (eq. :eq:`soft-em-reg-covar`).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    responsibilities : array_like of shape (N, K)
        Non-negative, each row summing to one (for example from :func:`emlib.e_step`, or
        one-hot rows for hard assignments).
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Structure imposed on the covariances. The result always stores full (K, D, D)
        matrices.
    reg_covar : float, default 0.0
        Absolute amount added to every covariance diagonal. The default 0 is the pure
        maximum-likelihood update; :func:`emlib.fit_gmm` defaults to a relative amount.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (default: all ones).

    Returns
    -------
    GMMParams
        The updated parameters θ_new.

    Raises
    ------
    ValueError
        On invalid input, when a component receives no responsibility at all (N_k = 0), or
        (:class:`emlib.SingularCovarianceError`) when a covariance is singular, e.g. a
        component that has collapsed onto a single point with ``reg_covar=0``.
    """
    X = check_data(X)
    responsibilities = check_responsibilities(responsibilities, X.shape[0])
    covariance_type = check_covariance_type(covariance_type)
    reg_covar = check_nonnegative_real(reg_covar, "reg_covar")
    weights = check_sample_weight(sample_weight, X.shape[0])
    return maximization(X, responsibilities, weights, covariance_type, reg_covar)


def maximization(
    X: np.ndarray,
    responsibilities: np.ndarray,
    sample_weight: np.ndarray,
    covariance_type: str,
    reg_covar: float,
) -> GMMParams:
    """:func:`m_step` on inputs that are already validated (used inside the EM loop).

    Two passes over the rows, chunk by chunk (no (N, D) or (N, K) temporary): the first
    accumulates Σ_n r_nk (x_n − c) for the means, the second the centred scatter
    Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ, with r_nk = w_n γ(z_nk) and c the weighted data mean.
    """
    counts = sample_weight @ responsibilities  # N_k, book eq. (soft-em-nk)
    empty = np.flatnonzero(counts <= np.finfo(np.float64).tiny)
    if empty.size:
        raise ValueError(
            f"component {empty[0]} has no responsibility (N_k = 0), so its mean and covariance"
            " are undefined; re-initialise or use fewer components"
        )
    total = sample_weight.sum()
    unit_weights = bool(np.all(sample_weight == 1.0))

    def weighted_block(rows):  # r_nk = w_n γ(z_nk) for a chunk of rows
        block = responsibilities[rows]
        return block if unit_weights else block * sample_weight[rows, np.newaxis]

    # Means relative to the weighted data mean c, which keeps their full relative precision
    # when the data sit far from the origin: μ_k = c + Σ_n r_nk (x_n − c) / N_k (eq. soft-em-mu).
    # Diagonal structures also collect Σ_n r_nk (x_n − c)² in the same pass.
    diagonal = covariance_type in ("diag", "spherical")
    with np.errstate(over="ignore", invalid="ignore"):  # checked below: an overflow is an error, not inf
        means, covariances = _moments(X, weighted_block, counts, total, covariance_type, diagonal, sample_weight)
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(covariances))):
        raise ValueError("the M-step means or covariances overflow float64 (X spreads near 1e154 or beyond); rescale X")
    covariances += reg_covar * np.eye(X.shape[1])  # eq. (soft-em-reg-covar)
    _check_not_singular(covariances, covariance_type, reg_covar)
    return GMMParams(counts / total, means, covariances)  # π_k = N_k / Σ_n w_n, eq. (soft-em-pi)


def _moments(X, weighted_block, counts, total, covariance_type, diagonal, sample_weight):
    """The new means and (unregularised) covariances, from one or two chunked passes over X."""
    origin = (sample_weight @ X) / total
    sums = np.zeros((len(counts), X.shape[1]))
    squares = np.zeros_like(sums) if diagonal else None
    for rows in chunks(*X.shape):
        weighted, shifted = weighted_block(rows), X[rows] - origin
        sums += weighted.T @ shifted
        if diagonal:
            squares += weighted.T @ (shifted * shifted)
    means = origin + sums / counts[:, np.newaxis]

    if diagonal:
        variances = _diagonal_variances(X, weighted_block, means, counts, sums, squares)
        if covariance_type == "spherical":  # eq. (soft-em-sigma-spherical)
            variances = np.repeat(variances.mean(axis=1, keepdims=True), X.shape[1], axis=1)
        covariances = variances[:, :, np.newaxis] * np.eye(X.shape[1])  # eq. (soft-em-sigma-diag)
    else:
        covariances = _COVARIANCE_UPDATES[covariance_type](X, weighted_block, means, counts, total)
    return means, covariances


def maximization_keeping_empty(
    X: np.ndarray,
    responsibilities: np.ndarray,
    sample_weight: np.ndarray,
    previous: GMMParams,
    covariance_type: str,
    reg_covar: float,
) -> GMMParams:
    """:func:`maximization` inside an EM loop, where a component may have lost every point.

    A component whose responsibilities are all zero (N_k ≤ the smallest normal float: its
    densities underflowed everywhere, or, in hard EM, it won no point) gets weight π_k = 0,
    the maximiser of Σ_k N_k log π_k, and keeps its previous mean and covariance (for "tied",
    the covariance shared by the others). With log π_k = −∞ it takes no responsibility again,
    so the fit continues, deterministically and without NaN, with fewer effective components.
    """
    occupied = np.flatnonzero(sample_weight @ responsibilities > np.finfo(np.float64).tiny)
    if occupied.size == previous.n_components:
        return maximization(X, responsibilities, sample_weight, covariance_type, reg_covar)
    try:
        fitted = maximization(X, responsibilities[:, occupied], sample_weight, covariance_type, reg_covar)
    except SingularCovarianceError as error:  # report the component's index in the full mixture
        raise singular_covariance_error(int(occupied[error.component]), covariance_type, reg_covar) from None
    weights = np.zeros(previous.n_components)
    means, covariances = np.array(previous.means), np.array(previous.covariances)
    weights[occupied] = fitted.weights
    means[occupied] = fitted.means
    covariances[occupied] = fitted.covariances
    if covariance_type == "tied":
        covariances[:] = fitted.covariances[0]
    return GMMParams(weights, means, covariances)


class _CentredChunks:
    """x_n − μ_k for each chunk of rows and every component, shape (K, m, D), in a reused buffer."""

    def __init__(self, X: np.ndarray, means: np.ndarray):
        self.X, self.means = X, means
        self.buffer = np.empty((means.shape[0], chunk_size(X.shape[1]), X.shape[1]))

    def __iter__(self):
        for rows in chunks(*self.X.shape):
            block = self.X[rows]
            yield rows, np.subtract(block[np.newaxis], self.means[:, np.newaxis, :], out=self.buffer[:, : block.shape[0]])


def _scatter(X, weighted_block, means):
    """S_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ, shape (K, D, D), accumulated chunk by chunk.

    Each chunk's centred rows are scaled by sqrt(r_nk), so S_k is a sum of products AᵀA, all K
    of them in one batched product per chunk.
    """
    n_components, n_features = means.shape
    scatter = np.zeros((n_components, n_features, n_features))
    for rows, scaled in _CentredChunks(X, means):
        scaled *= np.sqrt(weighted_block(rows)).T[:, :, np.newaxis]
        scatter += np.matmul(scaled.transpose(0, 2, 1), scaled)
    return scatter


def _squared_deviations(X, weighted_block, means):
    """Σ_n r_nk (x_nd − μ_kd)², shape (K, D): the diagonal of S_k without its off-diagonal work."""
    sums = np.zeros(means.shape)
    for rows, squared in _CentredChunks(X, means):
        squared *= squared
        sums += np.matmul(weighted_block(rows).T[:, np.newaxis, :], squared)[:, 0, :]
    return sums


def _diagonal_variances(X, weighted_block, means, counts, sums, squares):
    """σ_kd² = Σ_n r_nk (x_nd − μ_kd)² / N_k, from first and second moments about c, exact where they cancel.

    With x' = x − c, σ² = E[x'²] − E[x']², which costs nothing beyond the means pass but loses
    about log10(E[x'²] / σ²) digits when a component is narrow compared with its distance from c.
    Components that would lose more than four digits are recomputed from centred deviations.
    """
    second_moments = squares / counts[:, np.newaxis]
    variances = second_moments - (sums / counts[:, np.newaxis]) ** 2
    cancelled = np.flatnonzero(np.any(variances <= 1e-4 * second_moments, axis=1))
    if cancelled.size:
        exact = _squared_deviations(X, lambda rows: weighted_block(rows)[:, cancelled], means[cancelled])
        variances[cancelled] = exact / counts[cancelled, np.newaxis]
    return variances


def _full(X, weighted_block, means, counts, total):  # eq. (soft-em-sigma)
    return _scatter(X, weighted_block, means) / counts[:, np.newaxis, np.newaxis]


def _tied(X, weighted_block, means, counts, total):  # eq. (soft-em-sigma-tied)
    shared = _scatter(X, weighted_block, means).sum(axis=0) / total
    return np.broadcast_to(shared, (len(counts),) + shared.shape).copy()


_COVARIANCE_UPDATES = {"full": _full, "tied": _tied}


def _check_not_singular(covariances, covariance_type, reg_covar):
    """Raise SingularCovarianceError for a covariance that is singular to within its own rounding."""
    n_features = covariances.shape[1]
    try:
        cholesky = cholesky_factors(covariances)
        squared_pivots = np.diagonal(cholesky, axis1=1, axis2=2) ** 2
        largest_variance = np.max(np.diagonal(covariances, axis1=1, axis2=2), axis=1)
        floor = RELATIVE_PIVOT_UNITS * n_features * np.finfo(np.float64).eps * largest_variance
        collapsed = np.flatnonzero(np.any(squared_pivots <= floor[:, np.newaxis], axis=1))
        if collapsed.size == 0:
            return
        component = int(collapsed[0])
    except SingularCovarianceError as error:
        component = error.component
    raise singular_covariance_error(component, covariance_type, reg_covar)


def singular_covariance_error(component: int, covariance_type: str, reg_covar: float) -> SingularCovarianceError:
    """The error for an M-step covariance that collapsed, naming the component and the remedy."""
    which = "the shared (tied) covariance" if covariance_type == "tied" else f"component {component}"
    return SingularCovarianceError(
        f"the M-step covariance of {which} is singular (reg_covar={reg_covar:.3g}): the component"
        " has collapsed onto a point or a lower-dimensional subspace of the data. Use reg_covar > 0"
        " (fit_gmm's default, reg_covar=None, adds 1e-6 times the mean feature variance), fewer"
        " components, or another initialisation.",
        component=component,
    )
