"""A Gaussian mixture's expected sufficient statistics, in a form that adds across blocks of rows.

The responsibilities reach the M-step only through, for each component k (book eqs.
:eq:`soft-em-nk`, :eq:`soft-em-mu` and :eq:`soft-em-sigma`), with r_nk = w_n γ(z_nk):

- N_k = Σ_n r_nk, the expected count;
- x̄_k = Σ_n r_nk x_n / N_k, the component's mean;
- S_k = Σ_n r_nk (x_n − x̄_k)(x_n − x̄_k)ᵀ, the scatter about *that* mean;

and the total weight W = Σ_n w_n. Kept in this centred form they combine exactly, without ever
forming Σ r x xᵀ (whose difference with N x̄ x̄ᵀ cancels): for two disjoint sets of rows A and B,
with δ = x̄_B − x̄_A (Chan, Golub and LeVeque 1979),

    N = N_A + N_B,   x̄ = x̄_A + (N_B / N) δ,   S = S_A + S_B + (N_A N_B / N) δ δᵀ.

This is what lets one M-step read statistics computed block by block (a Dask array, book
chapter "Variants of EM"), or kept per block and updated one block at a time (incremental EM),
or averaged over a stream (online EM): ``a + b`` is the statistics of the union of the rows,
``c * a`` those of the same rows with every weight multiplied by c.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import _fast
from ._regularisation import RELATIVE_REG_COVAR, Regulariser, scale_from_moments, singular_covariance_error
from .maximization import params_from_moments
from .params import GMMParams, SingularCovarianceError

__all__ = ["GaussianStatistics", "maximize_statistics", "statistics_regulariser"]

#: N_k at or below this counts as no responsibility (as in ``emlib.maximization``).
_EMPTY = np.finfo(np.float64).tiny


@dataclass(frozen=True, eq=False)
class GaussianStatistics:
    """N_k, x̄_k, S_k and W of some rows under some responsibilities; ``+`` pools rows, ``c *`` scales weights.

    Attributes
    ----------
    counts : ndarray of shape (K,)
        N_k = Σ_n r_nk.
    means : ndarray of shape (K, D)
        x̄_k = Σ_n r_nk x_n / N_k (0 where N_k = 0).
    scatter : ndarray of shape (K, D, D)
        S_k = Σ_n r_nk (x_n − x̄_k)(x_n − x̄_k)ᵀ.
    total : float
        W = Σ_n w_n.
    """

    counts: np.ndarray
    means: np.ndarray
    scatter: np.ndarray
    total: float

    @classmethod
    def from_responsibilities(
        cls, X: np.ndarray, responsibilities: np.ndarray, sample_weight: np.ndarray
    ) -> GaussianStatistics:
        """The statistics of validated rows X (N, D) with responsibilities (N, K) and weights (N,).

        The means and scatters are centred on each component by the corrected two-pass formula of
        ``emlib.maximization.moments_formula``, chunk by chunk (``emlib._fast.centred_moments``).
        """
        counts = sample_weight @ responsibilities
        n_components, n_features = responsibilities.shape[1], X.shape[1]
        means = np.zeros((n_components, n_features))
        scatter = np.zeros((n_components, n_features, n_features))
        occupied = np.flatnonzero(counts > _EMPTY)
        if occupied.size:
            with np.errstate(over="ignore", invalid="ignore"):
                means[occupied], scatter[occupied] = _fast.component_moments(
                    X, responsibilities, sample_weight, counts[occupied], False, columns=occupied
                )
        counts = np.where(counts > _EMPTY, counts, 0.0)
        return cls(counts, means, scatter, float(sample_weight.sum()))

    @property
    def n_components(self) -> int:
        return len(self.counts)

    @property
    def n_features(self) -> int:
        return self.means.shape[1]

    def __add__(self, other: GaussianStatistics) -> GaussianStatistics:
        """The statistics of the union of the two sets of rows (the pairwise formula above)."""
        if not isinstance(other, GaussianStatistics):
            return NotImplemented
        if other.means.shape != self.means.shape:
            raise ValueError(
                f"cannot add statistics of {other.n_components} components in {other.n_features} features to"
                f" statistics of {self.n_components} components in {self.n_features} features"
            )
        counts = self.counts + other.counts
        occupied = counts > 0
        share = np.divide(other.counts, counts, out=np.zeros_like(counts), where=occupied)  # N_B / N
        delta = other.means - self.means
        means = self.means + share[:, np.newaxis] * delta
        cross = self.counts * share  # N_A N_B / N
        scatter = self.scatter + other.scatter + cross[:, np.newaxis, np.newaxis] * (delta[:, :, None] * delta[:, None])
        return GaussianStatistics(counts, means, scatter, self.total + other.total)

    def __mul__(self, factor: float) -> GaussianStatistics:
        """The statistics of the same rows with every weight multiplied by ``factor`` ≥ 0."""
        if isinstance(factor, (bool, np.bool_)) or not isinstance(factor, numbers.Real):
            return NotImplemented
        factor = float(factor)
        if not factor >= 0 or not np.isfinite(factor):
            raise ValueError(f"statistics can only be scaled by a finite factor >= 0; got {factor}")
        return GaussianStatistics(self.counts * factor, self.means, self.scatter * factor, self.total * factor)

    __rmul__ = __mul__

    def pooled(self) -> tuple[float, np.ndarray, np.ndarray]:
        """W, the weighted mean (D,) and covariance (D, D) of the rows themselves, whatever the responsibilities.

        Every row's responsibilities sum to one, so pooling the components gives the data's own
        moments: what the default prior's data scale T is computed from.
        """
        pooled = GaussianStatistics(self.counts[:1] * 0, self.means[:1] * 0, self.scatter[:1] * 0, 0.0)
        for k in range(self.n_components):
            pooled = pooled + GaussianStatistics(
                self.counts[k : k + 1], self.means[k : k + 1], self.scatter[k : k + 1], 0.0
            )
        covariance = pooled.scatter[0] / pooled.counts[0]
        return float(pooled.counts[0]), pooled.means[0], 0.5 * (covariance + covariance.T)


def statistics_regulariser(
    statistics: GaussianStatistics, covariance_type: str, reg_covar=None, covariance_prior=None
) -> Regulariser:
    """The regulariser that :class:`emlib.GaussianMixtureModel` would use on the rows the statistics summarise.

    The data scale T comes from the pooled moments (:meth:`GaussianStatistics.pooled`), and the
    default prior is Ψ = ε W T with W the statistics' total weight (book eq. :eq:`soft-em-data-prior`);
    an explicit ``covariance_prior`` Ψ or an absolute ``reg_covar`` is used as given.
    """
    _, mean, covariance = statistics.pooled()
    total = statistics.total
    with np.errstate(over="ignore", invalid="ignore"):
        scale = scale_from_moments(mean, covariance, covariance_type)
    if covariance_prior is not None:
        return Regulariser(scale, 0.0, np.asarray(covariance_prior, dtype=float))
    if reg_covar is None:
        return Regulariser(scale, 0.0, RELATIVE_REG_COVAR * total * scale)
    return Regulariser(scale, float(reg_covar), None)


def maximize_statistics(
    statistics: GaussianStatistics, covariance_type: str, regulariser: Regulariser, previous: GMMParams | None = None
) -> GMMParams:
    """The M-step from statistics: what :func:`emlib.m_step` returns for the rows they summarise.

    A component with no responsibility (N_k = 0) keeps ``previous``'s mean and covariance with
    weight 0, as inside an EM loop (``emlib.maximization``); without ``previous`` it is an error.
    """
    counts, total = statistics.counts, statistics.total
    occupied = np.flatnonzero(counts > _EMPTY)
    if occupied.size < len(counts) and previous is None:
        raise ValueError(
            f"component {np.flatnonzero(counts <= _EMPTY)[0]} has no responsibility (N_k = 0), so its mean and"
            " covariance are undefined; re-initialise or use fewer components"
        )
    scatter = statistics.scatter[occupied]
    if covariance_type in ("diag", "spherical"):
        scatter = np.diagonal(scatter, axis1=1, axis2=2)
    try:
        fitted = params_from_moments(
            counts[occupied], statistics.means[occupied], scatter, total, covariance_type, regulariser
        )
    except SingularCovarianceError as error:  # report the component's index in the full mixture
        raise singular_covariance_error(int(occupied[error.component]), covariance_type, regulariser.additive) from None
    if occupied.size == len(counts):
        return fitted
    weights = np.zeros(len(counts))
    means, covariances = np.array(previous.means), np.array(previous.covariances)
    weights[occupied], means[occupied], covariances[occupied] = fitted.weights, fitted.means, fitted.covariances
    if covariance_type == "tied":
        covariances[:] = fitted.covariances[0]
    return GMMParams(weights, means, covariances)
