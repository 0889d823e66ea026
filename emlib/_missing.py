"""Data with entries missing at random: rows grouped by missingness pattern, and the per-pattern Gaussian algebra.

Under missing at random (MAR) the observed-data likelihood of a Gaussian mixture integrates each
missing entry out, and for a Gaussian that integral is exact: row n, whose observed entries are
o and missing entries m, has log p(x_n,o | z_n = k) = log N(x_n,o; μ_k,o, Σ_k,oo) (book eq.
:eq:`missing-observed-likelihood`), and given its observed entries the missing ones are Gaussian
with mean μ_k,m + Σ_k,mo Σ_k,oo⁻¹ (x_n,o − μ_k,o) and covariance Σ_k,mm − Σ_k,mo Σ_k,oo⁻¹ Σ_k,om
(eq. :eq:`missing-e-step-moments`).

Both depend on the row only through its pattern (which entries are missing) and its observed
values. So the rows are grouped by pattern once per data set (:class:`MissingData`), and for each
pattern and component one Cholesky factor Σ_k,oo = L Lᵀ serves every row of the pattern: the
whitened rows L⁻¹(x_o − μ_o), the log-determinant, and B = L⁻¹ Σ_k,om, from which the conditional
mean is μ_m + Bᵀ L⁻¹(x_o − μ_o) and the conditional covariance Σ_mm − Bᵀ B (no inverse). The
patterns with the same number of observed entries form one :class:`PatternGroup`, computed in
one batch over its patterns, rows and components (batched Cholesky factors, and triangular
solves by forward substitution vectorised over all of them), so the Python work grows with D,
not with the number of patterns or rows. Rows with no missing entry go through the
complete-data densities (``emlib._fast``). ``emlib.missing`` builds the model and the M-step on
this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _fast
from ._bayes import bayes
from ._validation import check_data

__all__ = [
    "GroupMoments",
    "MissingData",
    "PatternGroup",
    "check_missing_data",
    "check_observed_columns",
    "group_moments",
    "observed_log_densities",
    "posterior_with_moments",
]

LOG_2PI = np.log(2.0 * np.pi)


@dataclass(frozen=True, eq=False)
class PatternGroup:
    """The rows whose patterns have the same number c of observed entries (and some missing).

    Attributes
    ----------
    rows : ndarray of shape (R,), int
        Their indices in X.
    pattern : ndarray of shape (R,), int
        The pattern of each row, an index into ``observed`` and ``missing``.
    observed : ndarray of shape (P, c), int
        The observed columns of each of the P patterns, increasing.
    missing : ndarray of shape (P, D − c), int
        Their missing columns, increasing.
    values : ndarray of shape (R, c)
        The observed entries of each row.
    """

    rows: np.ndarray
    pattern: np.ndarray
    observed: np.ndarray
    missing: np.ndarray
    values: np.ndarray


class MissingData:
    """X with NaN marking missing entries, its rows grouped by missingness pattern (validated).

    Attributes
    ----------
    values : ndarray of shape (N, D)
        X, NaN where an entry is missing (read-only).
    observed : ndarray of shape (N, D), bool
        Which entries are observed.
    complete_rows : ndarray of int
        The rows with nothing missing.
    groups : tuple of PatternGroup
        The other rows, by number of observed entries.
    complete : bool
        Whether nothing is missing.
    """

    def __init__(self, values: np.ndarray):
        values = np.array(values, dtype=np.float64, copy=True)
        values.flags.writeable = False
        self.values = values
        observed = ~np.isnan(values)
        observed.flags.writeable = False
        self.observed = observed
        self.complete = bool(np.all(observed))
        self.complete_rows, self.groups = _groups(values, observed)

    def __len__(self) -> int:
        return self.values.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def n_patterns(self) -> int:
        """The number of distinct missingness patterns (the complete rows counting as one)."""
        return int(self.complete_rows.size > 0) + sum(len(group.observed) for group in self.groups)

    def zero_filled(self) -> np.ndarray:
        """X with its missing entries set to 0, shape (N, D) (a new array)."""
        return np.where(self.observed, self.values, 0.0)


def _groups(values: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, tuple[PatternGroup, ...]]:
    n_rows, n_features = observed.shape
    counts = observed.sum(axis=1)
    complete_rows = np.flatnonzero(counts == n_features)
    groups = []
    for count in np.unique(counts[counts < n_features]):
        rows = np.flatnonzero(counts == count)
        masks, pattern = np.unique(observed[rows], axis=0, return_inverse=True)
        columns = np.broadcast_to(np.arange(n_features), masks.shape)
        observed_columns = columns[masks].reshape(len(masks), count)
        missing_columns = columns[~masks].reshape(len(masks), n_features - count)
        pattern = pattern.reshape(-1)
        groups.append(
            PatternGroup(
                rows, pattern, observed_columns, missing_columns, values[rows[:, np.newaxis], observed_columns[pattern]]
            )
        )
    return complete_rows, tuple(groups)


def check_missing_data(X, name: str = "X") -> MissingData:
    """X as :class:`MissingData`: finite or NaN, 2-D, and no row with every entry missing.

    A row with every entry missing carries no information about θ: under MAR its likelihood is 1
    whatever the parameters, so it could only slow EM. It is an error, naming the rows.
    """
    array = check_data(X, name, missing="em")
    empty = np.flatnonzero(np.all(np.isnan(array), axis=1))
    if empty.size:
        shown = ", ".join(str(int(row)) for row in empty[:10]) + (", ..." if empty.size > 10 else "")
        raise ValueError(
            f"{name} has {empty.size} row(s) with every entry missing (NaN): rows {shown}. Such a row carries no"
            " information about the parameters (under missing at random its likelihood is 1 whatever they"
            f" are): drop it, e.g. {name}[~np.isnan({name}).all(axis=1)]"
        )
    return MissingData(array)


def check_observed_columns(observed: np.ndarray, counted: np.ndarray) -> None:
    """A ValueError naming the first column with no observed entry among the rows ``counted`` (positive weight)."""
    unobserved = np.flatnonzero(~np.any(observed[counted], axis=0))
    if unobserved.size:
        raise ValueError(
            f"column {int(unobserved[0])} of X has every entry missing (NaN) in the rows of positive sample_weight:"
            " nothing about it can be estimated; drop the column"
        )


@dataclass(frozen=True, eq=False)
class GroupMoments:
    """One :class:`PatternGroup`'s E-step quantities under every component.

    Attributes
    ----------
    log_densities : ndarray of shape (R, K)
        log N(x_n,o; μ_k,o, Σ_k,oo) for the R rows of the group (book eq. :eq:`missing-observed-likelihood`).
    means : ndarray of shape (K, R, M)
        E[x_n,m | x_n,o, z_n = k] on the M = D − c missing columns of each row (eq.
        :eq:`missing-e-step-moments`), in the order of ``PatternGroup.missing``.
    covariances : ndarray of shape (K, P, M, M)
        Cov[x_n,m | x_n,o, z_n = k] = Σ_k,mm − Σ_k,mo Σ_k,oo⁻¹ Σ_k,om for each of the P patterns.
    """

    log_densities: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


def _forward_substitution(factors: np.ndarray, right: np.ndarray, rows=None) -> np.ndarray:
    """x with L x = b for lower-triangular L, batched: (K, P, c, c) factors and b of shape (K, P, c, n).

    With ``rows`` (an index into P for each of R rows), b has shape (K, R, c) and row r is solved
    with factor ``rows[r]``. One vectorised step per column: x_i = (b_i − Σ_{j<i} L_ij x_j) / L_ii.
    """
    solution = np.empty_like(right)
    for i in range(factors.shape[-1]):
        if rows is None:
            line = factors[:, :, i, : i + 1]  # (K, P, i + 1)
            inner = np.einsum("kpj,kpjn->kpn", line[..., :i], solution[:, :, :i])
            solution[:, :, i] = (right[:, :, i] - inner) / line[..., i, np.newaxis]
        else:
            line = factors[:, rows, i, : i + 1]  # (K, R, i + 1)
            inner = np.einsum("krj,krj->kr", line[..., :i], solution[..., :i])
            solution[..., i] = (right[..., i] - inner) / line[..., i]
    return solution


def group_moments(group: PatternGroup, params, moments: bool = True) -> GroupMoments:
    """:class:`GroupMoments` of one group (without the conditional moments if not ``moments``)."""
    covariances, means = params.covariances, params.means
    observed, missing, pattern = group.observed, group.missing, group.pattern
    n_components, (n_patterns, count), n_rows = params.n_components, observed.shape, group.rows.size
    # Σ_k,oo = L L ᵀ for every component and pattern, shape (K, P, c, c)
    factors = np.linalg.cholesky(covariances[:, observed[:, :, np.newaxis], observed[:, np.newaxis, :]])
    deviations = group.values - means[:, observed[pattern]]  # (K, R, c)
    with np.errstate(over="ignore", invalid="ignore"):
        whitened = _forward_substitution(factors, deviations, rows=pattern)  # L⁻¹(x_o − μ_o)
        distances = np.sum(whitened**2, axis=2)  # (K, R)
    log_determinants = 2.0 * np.sum(np.log(np.diagonal(factors, axis1=2, axis2=3)), axis=2)  # (K, P)
    log_densities = -0.5 * (count * LOG_2PI + log_determinants[:, pattern] + distances).T
    far = ~np.isfinite(log_densities)
    if np.any(far):
        row, k = np.argwhere(far)[0]
        raise ValueError(
            f"X[{group.rows[row]}] is too far from component {k}: its squared Mahalanobis distance on its observed"
            " entries overflows float64, so its density cannot be represented even in log space"
        )
    if not moments:
        return GroupMoments(
            log_densities, np.empty((n_components, n_rows, 0)), np.empty((n_components, n_patterns, 0, 0))
        )
    cross = covariances[:, observed[:, :, np.newaxis], missing[:, np.newaxis, :]]  # Σ_k,om, (K, P, c, M)
    regressions = _forward_substitution(factors, cross)  # B = L⁻¹ Σ_k,om
    conditional_means = means[:, missing[pattern]] + np.einsum("krc,krcm->krm", whitened, regressions[:, pattern])
    conditional = covariances[:, missing[:, :, np.newaxis], missing[:, np.newaxis, :]] - np.einsum(
        "kpcm,kpcl->kpml", regressions, regressions
    )
    return GroupMoments(log_densities, conditional_means, 0.5 * (conditional + np.swapaxes(conditional, 2, 3)))


def observed_log_densities(data: MissingData, params) -> np.ndarray:
    """log p(x_n,o | z_n = k, θ) = log N(x_n,o; μ_k,o, Σ_k,oo) of every row, shape (N, K).

    Book eq. :eq:`missing-observed-likelihood`; for a row with nothing missing it is the
    complete-data density.
    """
    log_densities = np.empty((len(data), params.n_components))
    if data.complete_rows.size:
        log_densities[data.complete_rows] = _fast.gaussian_log_densities(data.values[data.complete_rows], params)
    for group in data.groups:
        log_densities[group.rows] = group_moments(group, params, moments=False).log_densities
    return log_densities


def posterior_with_moments(data: MissingData, params, log_weights: np.ndarray):
    """The E-step: log p(x_n,o | θ) (N,), the responsibilities (N, K), and every group's :class:`GroupMoments`."""
    log_joint = np.empty((len(data), params.n_components))
    if data.complete_rows.size:
        log_joint[data.complete_rows] = _fast.gaussian_log_densities(data.values[data.complete_rows], params)
    moments = []
    for group in data.groups:
        found = group_moments(group, params)
        log_joint[group.rows] = found.log_densities
        moments.append(found)
    log_marginals, responsibilities = bayes(log_joint, log_weights, overwrite=True)
    return log_marginals, responsibilities, tuple(moments)
