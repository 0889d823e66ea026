"""The data's own scale, and the regulariser that keeps the M-step's covariances non-singular.

Two things in a Gaussian-mixture fit need a sense of "small": the regularisation that keeps a
covariance away from singularity, and the test that says a covariance *is* singular (at the
rounding level of the data's coordinates, :meth:`Regulariser.check_not_singular`). Neither
depends on the units of X:

- the **data scale** T (book eq. :eq:`soft-em-data-scale`): the weighted covariance of X for
  full and tied covariances, its diagonal for diagonal ones, the mean variance times I for
  spherical ones. Under x ↦ A x + b it becomes A T Aᵀ (any invertible A for full and tied,
  diagonal A for diag, A = c·I for spherical), like every covariance fitted to the data;
- the **default regulariser**, a data-scaled conjugate prior (book eq. :eq:`soft-em-map-sigma`):
  p(Σ_k) ∝ exp(−½ tr(Ψ Σ_k⁻¹)) with Ψ = ε (Σ_n w_n) T, ε = 10⁻⁶, whose MAP M-step is
  Σ_k = (S_k + Ψ) / N_k. EM then increases the log-posterior ℓ(θ) − ½ Σ_k tr(Ψ Σ_k⁻¹), which
  is bounded above: the singularity of the likelihood is gone;
- an **absolute** ``reg_covar`` r (scikit-learn's), r·I added to every covariance: not the
  M-step of any fixed prior, so it carries no objective that EM is guaranteed to increase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from ._missing import MissingData, check_observed_columns
from .params import GMMParams, SingularCovarianceError

__all__ = [
    "RELATIVE_REG_COVAR",
    "Regulariser",
    "data_scale",
    "observed_data_scale",
    "scale_from_moments",
    "singular_covariance_error",
]

#: ε of the default prior: Ψ = ε (Σ_n w_n) T, so a component of weight π_k gets about ε T / π_k.
RELATIVE_REG_COVAR = 1e-6
#: A covariance is singular when its variance in a feature is at the rounding level of the data's
#: coordinates there, or a feature is a combination of the others to within this many units of
#: rounding (D·eps): see Regulariser.check_not_singular.
SINGULAR_UNITS = 100.0


def _weighted_moments(X: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weighted mean and covariance of the rows of X, shapes (D,) and (D, D).

    Two passes: a first mean, then the scatter about it with the corrected two-pass formula
    (Chan, Golub and LeVeque 1983), Σ w (x − m)(x − m)ᵀ / W − d dᵀ with d = Σ w (x − m) / W.
    """
    total = weights.sum()
    mean = (weights @ X) / total
    centred = X - mean
    correction = (weights @ centred) / total
    covariance = (centred * weights[:, np.newaxis]).T @ centred / total - np.outer(correction, correction)
    return mean + correction, 0.5 * (covariance + covariance.T)


def data_scale(X: np.ndarray, weights: np.ndarray, covariance_type: str) -> np.ndarray:
    """The data scale T of book eq. :eq:`soft-em-data-scale`, a positive definite (D, D) matrix.

    - ``"full"``, ``"tied"``: the weighted covariance C of X;
    - ``"diag"``: diag(v), v the per-feature variances;
    - ``"spherical"``: the mean variance times I.

    Data with no spread in some direction have no scale there. A feature of zero variance then
    borrows the mean of the positive variances (all zero: the mean squared value, or 1); data
    whose covariance is rank-deficient (collinear columns) get T = C + diag(v). These fallbacks
    are equivariant under c·I but, having no intrinsic scale to follow, not under general maps.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean, covariance = _weighted_moments(X, weights)
    return scale_from_moments(mean, covariance, covariance_type)


def scale_from_moments(mean: np.ndarray, covariance: np.ndarray, covariance_type: str) -> np.ndarray:
    """The data scale T of :func:`data_scale` from the data's weighted mean (D,) and covariance (D, D).

    For statistics that arrive block by block (``emlib.sufficient``): the same T as
    :func:`data_scale` on the rows the moments summarise.
    """
    if not (np.all(np.isfinite(covariance)) and np.all(np.isfinite(mean))):
        raise ValueError("X's variance overflows float64 (values near 1e154 or beyond); rescale X")
    with np.errstate(over="ignore", under="ignore"):
        variances = _variances_with_fallback(np.diagonal(covariance).copy(), mean)
    if not np.all(np.isfinite(variances)):
        raise ValueError(
            "X has no spread and its values overflow float64 when squared (near 1e154 or beyond); rescale X"
        )
    if not np.all(variances >= np.finfo(np.float64).tiny):
        raise ValueError(
            "X's variances underflow float64 (its spread is near 1e-154 or below, so its variances are below"
            " 1e-308); rescale X"
        )
    n_features = len(mean)
    if covariance_type == "spherical":
        return float(np.mean(variances)) * np.eye(n_features)
    if covariance_type == "diag":
        return np.diag(variances)
    if _has_full_rank(covariance, variances):
        return covariance
    return covariance + np.diag(variances)


def _pairwise_moments(data: MissingData, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column means and the pairwise-complete covariance of data with missing entries, shapes (D,) and (D, D).

    Entry (i, j) is the weighted covariance of columns i and j over the rows where both are
    observed (0 where no row observes both); its diagonal is each column's variance over its
    observed rows. Each column is first centred on its own observed mean.
    """
    observed = data.observed.astype(np.float64)
    present = observed * weights[:, np.newaxis]  # w_n on the observed entries
    totals = weights @ observed  # Σ_n w_n over the rows observing column i
    mean = (present * data.zero_filled()).sum(axis=0) / totals
    centred = np.where(data.observed, data.values - mean, 0.0)
    shared = present.T @ observed  # Σ w over the rows observing both i and j
    sums = (centred * weights[:, np.newaxis]).T @ observed  # (i, j): Σ w x_i over the rows observing both
    products = (centred * weights[:, np.newaxis]).T @ centred
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = np.where(shared > 0, products / shared - (sums / shared) * (sums.T / shared), 0.0)
        column_mean = mean + np.diagonal(sums) / totals
    return column_mean, 0.5 * (covariance + covariance.T)


def observed_data_scale(data: MissingData, weights: np.ndarray, covariance_type: str) -> np.ndarray:
    """The data scale T of book eq. :eq:`soft-em-data-scale` from the observed entries of data with missing values.

    With nothing missing, :func:`data_scale` itself. Otherwise T is built as :func:`data_scale`
    builds it, from the per-column variances over each column's observed rows and, for "full"
    and "tied", the pairwise-complete covariance (each pair of columns over the rows observing
    both). That matrix need not be positive definite; when it is not of full rank (by the test
    of :func:`data_scale`), T is C + diag(v) if that is, else diag(v). Under x ↦ A x + b with A
    diagonal or a permutation (and the missing entries moving with their columns) every one of
    these transforms as A T Aᵀ, so the fit stays equivariant under those maps.

    Raises
    ------
    ValueError
        If a column has no observed entry among the rows of positive weight (naming it).
    """
    if data.complete:
        return data_scale(data.values, weights, covariance_type)
    check_observed_columns(data.observed, weights > 0)
    with np.errstate(over="ignore", invalid="ignore"):
        mean, covariance = _pairwise_moments(data, weights)
    if not (np.all(np.isfinite(covariance)) and np.all(np.isfinite(mean))):
        raise ValueError("X's variance overflows float64 (values near 1e154 or beyond); rescale X")
    with np.errstate(over="ignore", under="ignore"):
        variances = _variances_with_fallback(np.diagonal(covariance).copy(), mean)
    if not np.all(np.isfinite(variances)):
        raise ValueError(
            "X has no spread and its values overflow float64 when squared (near 1e154 or beyond); rescale X"
        )
    if not np.all(variances >= np.finfo(np.float64).tiny):
        raise ValueError(
            "X's variances underflow float64 (its spread is near 1e-154 or below, so its variances are below"
            " 1e-308); rescale X"
        )
    n_features = data.shape[1]
    if covariance_type == "spherical":
        return float(np.mean(variances)) * np.eye(n_features)
    if covariance_type == "diag":
        return np.diag(variances)
    if _has_full_rank(covariance, variances):
        return covariance
    widened = covariance + np.diag(variances)
    if _has_full_rank(widened, np.diagonal(widened)):
        return widened
    return np.diag(variances)


def _variances_with_fallback(variances: np.ndarray, mean: np.ndarray) -> np.ndarray:
    positive = variances > 0
    if np.all(positive):
        return variances
    if np.any(positive):
        fallback = np.mean(variances[positive])
    else:  # every row identical
        fallback = np.mean(mean**2) if np.any(mean != 0) else 1.0
    return np.where(positive, variances, fallback)


def _has_full_rank(covariance: np.ndarray, variances: np.ndarray) -> bool:
    """Whether every feature keeps more than rounding of its variance after regressing on the others.

    The squared Cholesky pivots of the correlation matrix are 1 − R²_d, the share of feature d's
    variance not explained by the features before it: unchanged by the units of each feature.
    """
    if np.any(np.diagonal(covariance) <= 0):
        return False
    deviations = np.sqrt(variances)
    correlation = covariance / np.outer(deviations, deviations)
    try:
        pivots = np.diagonal(np.linalg.cholesky(correlation)) ** 2
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(pivots > SINGULAR_UNITS * len(variances) * np.finfo(np.float64).eps))


@dataclass(frozen=True, eq=False)
class Regulariser:
    """How the M-step keeps covariances non-singular, and how singularity is judged.

    Attributes
    ----------
    scale : ndarray of shape (D, D)
        The data scale T (:func:`data_scale`), the scale of the prior and of the rounding test
        of :meth:`check_not_singular`.
    additive : float
        Absolute ``reg_covar`` r: r·I is added to every covariance (0: none).
    prior_scale : ndarray of shape (D, D) or None
        Ψ of the conjugate prior p(Σ_k) ∝ exp(−½ tr(Ψ Σ_k⁻¹)); the M-step adds Ψ / N_k to
        component k's covariance (Ψ / Σ_n w_n to a tied one).
    """

    scale: np.ndarray
    additive: float = 0.0
    prior_scale: np.ndarray | None = None

    @classmethod
    def for_data(cls, X: np.ndarray, weights: np.ndarray, covariance_type: str, reg_covar) -> Regulariser:
        """The default prior (``reg_covar=None``) or an absolute ``reg_covar`` for validated X."""
        scale = data_scale(X, weights, covariance_type)
        if reg_covar is None:
            return cls(scale, 0.0, RELATIVE_REG_COVAR * weights.sum() * scale)
        return cls(scale, float(reg_covar), None)

    def _prior_factor(self) -> np.ndarray:
        """L_Ψ with Ψ = L_Ψ L_Ψᵀ, computed once (the log-prior is evaluated every iteration)."""
        if "_factor" not in self.__dict__:
            object.__setattr__(self, "_factor", np.linalg.cholesky(self.prior_scale))
        return self.__dict__["_factor"]

    @property
    def monotone(self) -> bool:
        """Whether EM provably increases the objective (no absolute reg_covar)."""
        return self.additive == 0.0

    def floors(self, counts: np.ndarray, total: float, covariance_type: str) -> np.ndarray:
        """What the M-step adds to each component's covariance, shape (K, D, D)."""
        n_features = self.scale.shape[0]
        floors = np.broadcast_to(self.additive * np.eye(n_features), (len(counts), n_features, n_features)).copy()
        if self.prior_scale is not None:
            shares = np.full(len(counts), total) if covariance_type == "tied" else counts
            floors += self.prior_scale / shares[:, np.newaxis, np.newaxis]  # eq. (soft-em-map-sigma)
        return floors

    def log_prior(self, params: GMMParams, covariance_type: str) -> float:
        """log p(Σ) up to a constant: −½ Σ_k tr(Ψ Σ_k⁻¹), once for a tied covariance; 0 without a prior.

        tr(Ψ Σ⁻¹) = ‖Pᵀ L_Ψ‖²_F with Σ⁻¹ = P Pᵀ (``params.precision_cholesky``).
        """
        if self.prior_scale is None:
            return 0.0
        factor = self._prior_factor()
        components = params.precision_cholesky[:1] if covariance_type == "tied" else params.precision_cholesky
        with np.errstate(over="ignore"):
            traces = np.sum(np.matmul(np.swapaxes(components, 1, 2), factor) ** 2, axis=(1, 2))
        return float(-0.5 * np.sum(traces))

    def check_not_singular(self, means: np.ndarray, covariances: np.ndarray, covariance_type: str) -> None:
        """Raise SingularCovarianceError for a covariance that is singular to within rounding.

        Not needed under the prior (every covariance is at least ε T / π_k). Otherwise component
        k is singular when, for some feature d, (a) its variance is at the rounding level of the
        data's coordinates there, σ²_kd ≤ c (ε M_kd)² with M_kd = |μ_kd| + √(ε T_dd) (a collapse
        onto a point), or (b) the feature is, within the component, a linear combination of the
        others up to rounding, 1 − R²_kd ≤ c ε (a collapse onto a subspace); c = SINGULAR_UNITS·D.
        Both are unchanged by the units of each feature, and neither flags a narrow component far
        from the others: rounding is judged where the component is.
        """
        if self.prior_scale is not None:
            return
        eps = np.finfo(np.float64).eps
        units = SINGULAR_UNITS * self.scale.shape[0]
        variances = np.diagonal(covariances, axis1=1, axis2=2)
        magnitudes = np.abs(means) + np.sqrt(eps * np.diagonal(self.scale))
        with np.errstate(over="ignore"):
            at_rounding = ~(variances > units * (eps * magnitudes) ** 2)
        collapsed = np.any(at_rounding, axis=1)
        if covariance_type not in ("diag", "spherical"):  # a diagonal covariance's correlations are the identity
            collapsed |= ~_independent_features(covariances, variances, units * eps)
        if np.any(collapsed):
            raise singular_covariance_error(int(np.flatnonzero(collapsed)[0]), covariance_type, self.additive)

    def degenerate(self, params: GMMParams, total: float, covariance_type: str) -> np.ndarray:
        """Which components are degenerate, shape (K,) of bool.

        A component is degenerate when it has weight 0, or when in some direction the
        regulariser contributes at least as much variance as the data it is responsible for:
        Σ_k = U_k + F_k with λ_min(F_k^{-1/2} U_k F_k^{-1/2}) ≤ 1, i.e. λ_min(F_k^{-1/2} Σ_k
        F_k^{-1/2}) ≤ 2, where F_k is the floor the M-step added.
        """
        empty = params.weights == 0
        if self.additive == 0.0 and self.prior_scale is None:
            return empty
        counts = np.where(empty, 1.0, params.weights * total)
        floors = self.floors(counts, total, covariance_type)
        relative = _relative_eigenvalues(params.covariances, floors)
        return empty | (np.min(relative, axis=1) <= 2.0)


def _independent_features(covariances: np.ndarray, variances: np.ndarray, tolerance: float) -> np.ndarray:
    """Per component: whether every squared pivot of its correlation matrix (1 − R²) exceeds ``tolerance``.

    One batched Cholesky factorisation for all components; only if some correlation matrix is
    not positive definite are they factorised one at a time (that component fails).
    """
    independent = np.all(variances > 0, axis=1)
    judged = np.flatnonzero(independent)
    deviations = np.sqrt(variances[judged])
    correlations = covariances[judged] / (deviations[:, :, np.newaxis] * deviations[:, np.newaxis, :])
    try:
        pivots = np.diagonal(np.linalg.cholesky(correlations), axis1=1, axis2=2) ** 2
    except np.linalg.LinAlgError:
        pivots = np.stack([_squared_pivots(correlation) for correlation in correlations])
    independent[judged] = np.all(pivots > tolerance, axis=1)
    return independent


def _squared_pivots(correlation: np.ndarray) -> np.ndarray:
    """The squared Cholesky pivots of one correlation matrix; zeros if it is not positive definite."""
    try:
        return np.diagonal(np.linalg.cholesky(correlation)) ** 2
    except np.linalg.LinAlgError:
        return np.zeros(correlation.shape[0])


def _relative_eigenvalues(covariances: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Eigenvalues of S_k^{-1/2} Σ_k S_k^{-1/2} (generalised eigenvalues of (Σ_k, S_k)), shape (K, D)."""
    eigenvalues = np.empty(covariances.shape[:2])
    with np.errstate(over="ignore", invalid="ignore"):
        for k, (covariance, scale) in enumerate(zip(covariances, scales)):
            factor = np.linalg.cholesky(scale)
            half = solve_triangular(factor, covariance, lower=True, check_finite=False)
            whitened = solve_triangular(factor, half.T, lower=True, check_finite=False)
            eigenvalues[k] = np.linalg.eigvalsh(0.5 * (whitened + whitened.T))
    return eigenvalues


def singular_covariance_error(component: int, covariance_type: str, reg_covar: float) -> SingularCovarianceError:
    """The error for an M-step covariance that collapsed, naming the component and the remedy."""
    which = "the shared (tied) covariance" if covariance_type == "tied" else f"component {component}"
    return SingularCovarianceError(
        f"the M-step covariance of {which} is singular (reg_covar={reg_covar:.3g}): to within the"
        " rounding of the data's coordinates, the component has collapsed onto a point or a"
        " lower-dimensional subspace of the data. Use fit_gmm's default regulariser"
        " (reg_covar=None, a data-scaled prior), reg_covar > 0, fewer components, or another"
        " initialisation.",
        component=component,
    )
