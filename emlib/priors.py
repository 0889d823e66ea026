"""The conjugate prior of Fraley and Raftery (2007) for a Gaussian mixture: mclust's ``priorControl()``.

Fraley, C. and Raftery, A. E. (2007), "Bayesian regularization for normal mixture estimation and
model-based clustering", *Journal of Classification* 24, 155–181; the prior of R's mclust
(``priorControl()``, hyperparameters from ``defaultPrior``). For each component k, with μ_P the
prior mean, κ > 0 the shrinkage, ν the degrees of freedom and Λ the scale:

- ``"full"``: μ_k | Σ_k ~ N(μ_P, Σ_k / κ) and Σ_k ~ inverse-Wishart(ν, Λ), the density
  ∝ |Σ|^{−(ν+D+1)/2} exp(−½ tr(Λ Σ⁻¹)) of ``scipy.stats.invwishart(df=ν, scale=Λ)`` (mclust's
  ``scale`` is this Λ; its mean is Λ / (ν − D − 1));
- ``"tied"``: one Σ ~ inverse-Wishart(ν, Λ), and every μ_k | Σ ~ N(μ_P, Σ / κ) (mclust's EEE);
- ``"diag"``: each variance σ²_kd ~ inverse-gamma(ν/2, λ_d/2), the density
  ∝ (σ²)^{−(ν/2+1)} exp(−λ_d / (2σ²)) of ``scipy.stats.invgamma(a=ν/2, scale=λ_d/2)``, and
  μ_k | Σ_k ~ N(μ_P, Σ_k / κ) (mclust's VVI, whose λ_d is one number for every feature);
- ``"spherical"``: σ²_k ~ inverse-gamma(ν/2, ς²/2) and μ_k | σ²_k ~ N(μ_P, σ²_k I / κ) (VII);
- the weights: π ~ Dirichlet(α, …, α); α = 1, mclust's choice, is a flat prior on the weights.

**Defaults** (mclust's ``defaultPrior``; W = Σ_n w_n, every weighted statistic over the rows of
positive weight, and V = Σ_n w_n (x_n − x̄)(x_n − x̄)ᵀ / (W − 1), R's ``var``, the denominator
W − 1 making integer weights equal to repeated rows): μ_P = x̄, the weighted column means;
κ = 0.01; ν = D + 2; Λ = K^{−2/D} V for "full" and "tied" (K^{−2/D} diag(V) if there are no more
rows of positive weight than D, mclust's rule, or if V is singular); ς² = λ_d = K^{−2/D} tr(V) / D
for "spherical" and "diag". The prior is then worth about κ + ν + D + 2 ≈ 2D + 4 observations per
component. Unlike emlib's default regulariser (``emlib._regularisation``), the "diag" default
puts one variance on every feature, so a diagonal fit under it depends on the relative units of
the features (as mclust's does); give ``scale`` per feature to avoid that.

**The prior's weight** c: a fit that works in internal units (``emlib._units``) divides the row
weights by u, and then maximises ℓ' + c log p(θ') with c = 1/u, the same posterior. Every
formula below carries c; a prior made by the user has c = 1.

**MAP M-step** (Fraley and Raftery 2007, table 2, with c; checked against mclust's ``mstep`` in
``tests/test_prior.py``). With r_nk = w_n γ_nk, N_k = Σ_n r_nk, x̄_k = Σ_n r_nk x_n / N_k,
S_k = Σ_n r_nk (x_n − x̄_k)(x_n − x̄_k)ᵀ (centred on the component), d_k = x̄_k − μ_P and
h_k = N_k cκ / (N_k + cκ):

- π_k = (N_k + c(α − 1)) / (W + cK(α − 1));
- μ_k = (N_k x̄_k + cκ μ_P) / (N_k + cκ);
- "full": Σ_k = (cΛ + S_k + h_k d_k d_kᵀ) / (N_k + c(ν + D + 2));
- "tied": Σ = (cΛ + Σ_k [S_k + h_k d_k d_kᵀ]) / (W + c(ν + D + 1 + K));
- "diag": σ²_kd = (cλ_d + (S_k)_dd + h_k d_kd²) / (N_k + c(ν + 3));
- "spherical": σ²_k = (cς² + tr S_k + h_k ‖d_k‖²) / (D N_k + c(ν + D + 2)).

A component with N_k = 0 gets μ_k = μ_P and the prior's mode for its covariance; with α = 1 its
weight is 0.

**Degenerate components** (:meth:`ResolvedPrior.degenerate`): weight 0, or data with less spread in
some direction than one of the prior's pseudo-observations (a collapse onto a point or a subspace).

**Relation to emlib's default regulariser** (book eq. :eq:`soft-em-data-prior`,
Σ_k = (S_k + Ψ) / N_k with Ψ = 10⁻⁶ W T and no prior on the means): it is the limit κ → 0 (so
h_k → 0 and μ_k = x̄_k) with c = 1, α = 1, Λ = Ψ and the improper ν that cancels the determinant
terms of the denominators: ν = −(D + 2) ("full", "spherical", whose ς² is then tr Ψ), −(D + 1 + K)
("tied"), −3 ("diag", λ_d = Ψ_dd). Then both the M-step and, up to a constant, the log-prior
−½ Σ_k tr(Ψ Σ_k⁻¹) agree. :class:`ResolvedPrior` accepts only proper priors (κ > 0, ν > D − 1 or
ν > 0), so the default regulariser stays ``emlib._regularisation``'s.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve
from scipy.special import gammaln, multigammaln

from ._regularisation import _has_full_rank, _relative_eigenvalues, _variances_with_fallback, _weighted_moments
from ._validation import (
    as_float_array,
    check_count,
    check_covariance_type,
    check_data,
    check_nonnegative_real,
    check_positive_real,
    check_sample_weight,
)
from .params import GMMParams

__all__ = ["ConjugatePrior", "ResolvedPrior", "check_prior"]

#: mclust's default shrinkage κ (``defaultPrior``).
DEFAULT_SHRINKAGE = 0.01
LOG_2PI = np.log(2.0 * np.pi)


def _check_dirichlet(value, name: str) -> float:
    value = check_nonnegative_real(value, name)  # finite; then the bound that matters
    if value < 1.0:
        raise ValueError(
            f"{name} must be >= 1 (a Dirichlet(α) prior with α < 1 has no maximum in the interior of the"
            f" simplex, so the MAP M-step has no closed form); got {value}"
        )
    return value


def _check_dof(dof: float, n_features: int, covariance_type: str, name: str) -> float:
    """ν > D − 1 for an inverse-Wishart prior ("full", "tied"), ν > 0 for an inverse-gamma one."""
    if covariance_type in ("full", "tied") and not dof > n_features - 1:
        raise ValueError(
            f"{name} must exceed D − 1 = {n_features - 1} for a proper inverse-Wishart prior on a"
            f" {covariance_type!r} covariance; got {dof}"
        )
    return dof


def _scale_matrix(scale, n_features: int | None, name: str) -> np.ndarray:
    """A scale given as a number (λ I), a vector of D positive numbers (diag) or a (D, D) SPD matrix, as (D, D)."""
    if isinstance(scale, numbers.Real) and not isinstance(scale, (bool, np.bool_)):
        value = check_positive_real(scale, name)
        return value * np.eye(1 if n_features is None else n_features)
    array = np.asarray(scale) if not isinstance(scale, np.ndarray) else scale
    if array.ndim == 0:
        return _scale_matrix(float(as_float_array(array.reshape(1), name, ndim=1)[0]), n_features, name)
    if array.ndim == 1:
        vector = as_float_array(array, name, ndim=1)
        if vector.size < 1 or not np.all(vector > 0):
            raise ValueError(f"{name} given as a vector must hold D >= 1 positive variances; got {vector}")
        return np.diag(vector)
    matrix = as_float_array(array, name, ndim=2)
    if matrix.shape[0] < 1 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            f"{name} must be a number, a vector of D variances or a (D, D) matrix; got shape {matrix.shape}"
        )
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=0):
        raise ValueError(f"{name} must be symmetric")
    matrix = 0.5 * (matrix + matrix.T)
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite") from None
    return matrix


def _reduced_scale(scale: np.ndarray, covariance_type: str) -> np.ndarray:
    """Λ for "full" and "tied"; its diagonal (λ_d) for "diag"; the mean of its diagonal (ς²) times I for "spherical"."""
    if covariance_type == "diag":
        return np.diag(np.diag(scale))
    if covariance_type == "spherical":
        return float(np.mean(np.diag(scale))) * np.eye(scale.shape[0])
    return scale


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class ConjugatePrior:
    """The conjugate prior of Fraley and Raftery (2007), mclust's ``priorControl()`` (module notes).

    ``None`` means "from the data, as mclust's ``defaultPrior``" (module notes); :meth:`resolve`
    fills those in for given data, number of components and covariance type. Use it as
    ``GaussianMixtureModel(prior=ConjugatePrior(...))`` or ``m_step(..., prior=...)``; the string
    ``"default"`` stands for ``ConjugatePrior()`` wherever a ``prior`` is taken (:func:`emlib.priors.check_prior`).

    Parameters
    ----------
    mean : array_like of shape (D,), optional
        μ_P, the prior mean of every component mean. Default: the weighted column means of X.
    shrinkage : float, default 0.01
        κ > 0: μ_k | Σ_k ~ N(μ_P, Σ_k / κ), worth κ observations.
    dof : float, optional
        ν: > D − 1 for "full" and "tied" (inverse-Wishart), > 0 for "diag" and "spherical"
        (inverse-gamma). Default D + 2.
    scale : float, array_like of shape (D,) or (D, D), optional
        Λ: a number λ (λ I), D positive variances (diag), or a symmetric positive definite matrix.
        For "diag" only its diagonal acts, for "spherical" the mean of its diagonal (ς²).
        Default: K^{−2/D} var(X) (full, tied) or K^{−2/D} tr(var(X)) / D · I (diag, spherical).
    dirichlet : float, default 1.0
        α >= 1 of a symmetric Dirichlet(α) prior on the weights; 1 is no prior (mclust's choice).

    Raises
    ------
    TypeError, ValueError
        For a field that is not of the kind above, naming it.
    """

    mean: np.ndarray | None = None
    shrinkage: float = DEFAULT_SHRINKAGE
    dof: float | None = None
    scale: np.ndarray | float | None = None
    dirichlet: float = 1.0

    def __post_init__(self):
        if self.mean is not None:
            mean = as_float_array(self.mean, "ConjugatePrior mean", ndim=1)
            if mean.size < 1:
                raise ValueError("ConjugatePrior mean must have D >= 1 entries")
            object.__setattr__(self, "mean", _read_only(mean))
        object.__setattr__(self, "shrinkage", check_positive_real(self.shrinkage, "ConjugatePrior shrinkage"))
        if self.dof is not None:
            object.__setattr__(self, "dof", check_positive_real(self.dof, "ConjugatePrior dof"))
        if self.scale is not None:
            matrix = _scale_matrix(self.scale, None, "ConjugatePrior scale")
            kept = float(matrix[0, 0]) if np.ndim(self.scale) == 0 else _read_only(matrix)
            object.__setattr__(self, "scale", kept)
        object.__setattr__(self, "dirichlet", _check_dirichlet(self.dirichlet, "ConjugatePrior dirichlet"))

    def resolve(self, X, n_components: int, covariance_type: str, sample_weight=None) -> ResolvedPrior:
        """Every hyperparameter for these data: ``None`` fields from X and the row weights (module notes).

        Parameters
        ----------
        X : array_like of shape (N, D)
            The data the defaults are computed from (in the units of the fit: see ``emlib._units``).
        n_components : int
            K, which the default scale depends on (K^{−2/D}).
        covariance_type : {"full", "diag", "spherical", "tied"}
            Which conjugate form; "diag" and "spherical" reduce the scale.
        sample_weight : array_like of shape (N,), optional
            Row weights w_n (default all ones), frequency weights: V has the denominator Σ w − 1.

        Returns
        -------
        ResolvedPrior
            With weight c = 1.

        Raises
        ------
        ValueError
            If a given field does not match D, ν is too small for the type, or a default cannot
            be computed (Σ_n w_n <= 1, or X's variance beyond float64).
        """
        X = check_data(X)
        n_components = check_count(n_components, "n_components", minimum=1)
        covariance_type = check_covariance_type(covariance_type)
        weights = check_sample_weight(sample_weight, X.shape[0])
        n_features = X.shape[1]
        if self.mean is not None and self.mean.shape != (n_features,):
            raise ValueError(f"ConjugatePrior mean has {self.mean.shape[0]} entries but X has {n_features} columns")
        if self.scale is None:
            scale = default_scale(X, weights, n_components, covariance_type)
        elif np.ndim(self.scale) == 0:
            scale = self.scale * np.eye(n_features)
        else:
            scale = self.scale
            if scale.shape != (n_features, n_features):
                raise ValueError(f"ConjugatePrior scale is for D = {scale.shape[0]} but X has {n_features} columns")
        mean = self.mean if self.mean is not None else (weights @ X) / weights.sum()
        dof = float(n_features + 2) if self.dof is None else self.dof
        return ResolvedPrior(covariance_type, mean, self.shrinkage, dof, scale, self.dirichlet)


def default_scale(X: np.ndarray, weights: np.ndarray, n_components: int, covariance_type: str) -> np.ndarray:
    """mclust's ``defaultPrior`` scale for validated inputs, shape (D, D) (module notes).

    K^{−2/D} V for "full" and "tied" (K^{−2/D} diag(V) when there are at most D rows of positive
    weight or V is singular), K^{−2/D} tr(V)/D · I for "diag" and "spherical"; V is R's ``var``
    with weights, denominator Σ w − 1. A feature without spread borrows a variance as in
    :func:`emlib._regularisation.data_scale`.
    """
    counted = weights > 0
    total = float(weights.sum())
    if not total > 1.0:
        raise ValueError(
            "the default prior scale is var(X) with the denominator Σ sample_weight − 1 (mclust's"
            f" defaultPrior), which needs Σ sample_weight > 1; got {total:g}: give ConjugatePrior(scale=...)"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        mean, covariance = _weighted_moments(X[counted], weights[counted])
        variance = covariance * (total / (total - 1.0))
    if not (np.all(np.isfinite(variance)) and np.all(np.isfinite(mean))):
        raise ValueError("X's variance overflows float64 (values near 1e154 or beyond); rescale X")
    n_features = X.shape[1]
    factor = float(n_components) ** (-2.0 / n_features)
    variances = np.diagonal(variance).copy()
    if covariance_type in ("diag", "spherical"):
        average = float(np.mean(variances))
        if not average > 0:  # every row identical
            average = float(np.mean(_variances_with_fallback(variances, mean)))
        scale = factor * average * np.eye(n_features)
    elif np.count_nonzero(counted) > n_features and _has_full_rank(variance, variances):
        scale = factor * variance
    else:
        with np.errstate(over="ignore", under="ignore"):
            scale = factor * np.diag(_variances_with_fallback(variances, mean))
    if not (np.all(np.isfinite(scale)) and np.all(np.diagonal(scale) >= np.finfo(np.float64).tiny)):
        raise ValueError("X's variances are beyond the range of float64 (its spread near 1e±154 or beyond); rescale X")
    return scale


@dataclass(frozen=True, eq=False)
class ResolvedPrior:
    """A :class:`ConjugatePrior` with every hyperparameter explicit, for one covariance type.

    What a model holds (``GaussianMixtureModel(prior=...)`` also takes one directly, for example
    ``fit.model.prior`` of a fit, to continue it on any data). The log-posterior that EM increases
    is ℓ(θ) + c log p(θ) (:meth:`log_density`).

    Parameters
    ----------
    covariance_type : {"full", "diag", "spherical", "tied"}
    mean : array_like of shape (D,)
        μ_P.
    shrinkage : float
        κ > 0.
    dof : float
        ν (> D − 1 for "full" and "tied", > 0 otherwise).
    scale : array_like of shape (D, D)
        Λ, symmetric positive definite; stored reduced to the type (its diagonal for "diag", the
        mean of its diagonal times I for "spherical").
    dirichlet : float, default 1.0
        α >= 1.
    weight : float, default 1.0
        c > 0, the power of the prior (1/u in internal units whose row weights are divided by u).
    """

    covariance_type: str
    mean: np.ndarray
    shrinkage: float
    dof: float
    scale: np.ndarray
    dirichlet: float = 1.0
    weight: float = 1.0

    def __post_init__(self):
        covariance_type = check_covariance_type(self.covariance_type)
        mean = as_float_array(self.mean, "ResolvedPrior mean", ndim=1)
        if mean.size < 1:
            raise ValueError("ResolvedPrior mean must have D >= 1 entries")
        scale = _scale_matrix(as_float_array(self.scale, "ResolvedPrior scale", ndim=2), None, "ResolvedPrior scale")
        if scale.shape != (mean.size, mean.size):
            raise ValueError(f"ResolvedPrior scale must have shape ({mean.size}, {mean.size}); got {scale.shape}")
        dof = _check_dof(
            check_positive_real(self.dof, "ResolvedPrior dof"), mean.size, covariance_type, "ResolvedPrior dof"
        )
        for name, value in (
            ("covariance_type", covariance_type),
            ("mean", _read_only(mean)),
            ("shrinkage", check_positive_real(self.shrinkage, "ResolvedPrior shrinkage")),
            ("dof", dof),
            ("scale", _read_only(_reduced_scale(scale, covariance_type))),
            ("dirichlet", _check_dirichlet(self.dirichlet, "ResolvedPrior dirichlet")),
            ("weight", check_positive_real(self.weight, "ResolvedPrior weight")),
        ):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_scale_factor", np.linalg.cholesky(self.scale))

    @property
    def n_features(self) -> int:
        return self.mean.shape[0]

    def resolve(self, X, n_components: int, covariance_type: str, sample_weight=None) -> ResolvedPrior:
        """Itself, after checking that it fits X's columns and ``covariance_type`` (the interface of :meth:`emlib.priors.ConjugatePrior.resolve`)."""
        n_features = np.shape(X)[1] if np.ndim(X) == 2 else None
        if n_features != self.n_features:
            raise ValueError(f"the prior is for D = {self.n_features} features but X has shape {np.shape(X)}")
        if check_covariance_type(covariance_type) != self.covariance_type:
            raise ValueError(
                f"the prior was resolved for covariance_type {self.covariance_type!r}, not {covariance_type!r}"
            )
        return self

    def check_params(self, params: GMMParams) -> None:
        if params.n_features != self.n_features:
            raise ValueError(f"params have dimension {params.n_features} but the prior is for D = {self.n_features}")

    # --- the MAP M-step's pieces ---------------------------------------------------------------

    def weights_update(self, counts: np.ndarray, total: float) -> np.ndarray:
        """π_k = (N_k + c(α − 1)) / (W + cK(α − 1)), shape (K,)."""
        extra = self.weight * (self.dirichlet - 1.0)
        return (counts + extra) / (total + len(counts) * extra)

    def counts_from_weights(self, weights: np.ndarray, total: float) -> np.ndarray:
        """The N_k that :meth:`weights_update` turns into these weights (clipped at 0), shape (K,)."""
        extra = self.weight * (self.dirichlet - 1.0)
        return np.maximum(weights * (total + len(weights) * extra) - extra, 0.0)

    def denominators(self, counts: np.ndarray, total: float) -> np.ndarray:
        """The denominators of the covariance updates (module notes), shape (K,)."""
        c, nu, d = self.weight, self.dof, self.n_features
        if self.covariance_type == "full":
            return counts + c * (nu + d + 2)
        if self.covariance_type == "tied":
            return np.full(len(counts), total + c * (nu + d + 1 + len(counts)))
        if self.covariance_type == "diag":
            return counts + c * (nu + 3)
        return d * counts + c * (nu + d + 2)

    def floors(self, counts: np.ndarray, total: float) -> np.ndarray:
        """cΛ / denominator_k: what the prior's scale contributes to each covariance, shape (K, D, D)."""
        shares = self.weight / self.denominators(counts, total)
        return shares[:, np.newaxis, np.newaxis] * self.scale

    def pseudo_observations(self, n_components: int) -> float:
        """m_0: how many observations the covariance prior is worth in the M-step (for c = 1).

        The covariance update is a weighted mean, Σ_k = (N_k · S_k/N_k + n_0 · Λ/n_0) / (N_k + n_0)
        with n_0 the prior's share of the denominator: ν + D + 2 ("full"), ν + D + 1 + K ("tied"),
        ν + 3 ("diag"); for "spherical" the denominator counts coordinates (D per observation), so
        m_0 = (ν + D + 2) / D observations.
        """
        d, nu = self.n_features, self.dof
        counts = {"full": nu + d + 2, "tied": nu + d + 1 + n_components, "diag": nu + 3, "spherical": (nu + d + 2) / d}
        return float(counts[self.covariance_type])

    def degenerate(self, params: GMMParams, total: float) -> np.ndarray:
        """Components of weight 0, or whose data have less spread in some direction than one observation of the prior.

        The MAP covariance is Σ_k = F_k + U_k: F_k = cΛ / denominator_k (:meth:`floors`) is the
        prior's scale, U_k (positive semi-definite) the data's part (S_k + h_k d_k d_kᵀ over the same denominator). The
        prior acts as m_0 pseudo-observations (:meth:`pseudo_observations`), each contributing
        cΛ / m_0 to the numerator. Component k is degenerate when, in some direction, the N_k
        observations it is responsible for contribute at most that much,
        U_k <= F_k / m_0, i.e. λ_min(F_k^{-1/2} Σ_k F_k^{-1/2}) <= 1 + 1/m_0: it has collapsed onto
        a point or a subspace (one point, duplicated rows, fewer points than D + 1), whatever the
        prior then makes of its covariance. This prior is informative (worth m_0 ≈ 2D + 4
        observations, with mclust's defaults): a tight cluster of many points may well owe half its
        variance to it in some direction, which is why the criterion of the default regulariser
        (``emlib._regularisation.Regulariser.degenerate``, U_k <= F_k) is not used here.
        """
        empty = params.weights == 0
        floors = self.floors(self.counts_from_weights(params.weights, total), total)
        relative = _relative_eigenvalues(params.covariances, floors)
        threshold = 1.0 + 1.0 / self.pseudo_observations(params.n_components)
        return empty | (np.min(relative, axis=1) <= threshold)

    # --- log p(θ) and its gradient -------------------------------------------------------------

    def log_density(self, params: GMMParams) -> float:
        """c log p(θ), the exact log density (no constant dropped), shape ().

        log p(θ) = log Dirichlet(π | α) + Σ_k log N(μ_k | μ_P, Σ_k / κ) + the covariance prior:
        Σ_k log inverse-Wishart(Σ_k | ν, Λ) ("full"); once, for the shared Σ = Σ_0 ("tied", whose
        mean priors also use Σ_0); Σ_kd log inverse-gamma(σ²_kd | ν/2, λ_d/2) of the diagonal ("diag",
        whose mean priors use diag(σ²_k)); Σ_k log inverse-gamma(σ²_k | ν/2, ς²/2) with
        σ²_k = tr(Σ_k)/D ("spherical", mean priors N(μ_P, σ²_k I / κ)). The densities are those of
        ``scipy.stats`` (``dirichlet`` on the first K − 1 weights, ``multivariate_normal``,
        ``invwishart``, ``invgamma``), so the difference between two θ is exact.
        """
        self.check_params(params)
        with np.errstate(over="ignore", divide="ignore"):
            total = self._log_dirichlet(params.weights)
            if self.covariance_type in ("full", "tied"):
                total += self._log_wishart_part(params)
            else:
                total += self._log_gamma_part(params)
        return float(self.weight * total)

    def _log_dirichlet(self, weights: np.ndarray) -> float:
        k, alpha = len(weights), self.dirichlet
        constant = gammaln(k * alpha) - k * gammaln(alpha)
        if alpha == 1.0:
            return float(constant)
        return float(constant + (alpha - 1.0) * np.sum(np.log(weights)))

    def _log_wishart_part(self, params: GMMParams) -> float:
        d, nu, kappa = self.n_features, self.dof, self.shrinkage
        blocks = 1 if self.covariance_type == "tied" else params.n_components
        log_dets = 2.0 * np.sum(np.log(np.diagonal(params.covariance_cholesky[:blocks], axis1=1, axis2=2)), axis=1)
        precisions = params.precision_cholesky[:blocks]
        traces = np.sum(np.matmul(np.swapaxes(precisions, 1, 2), self._scale_factor) ** 2, axis=(1, 2))
        log_det_scale = 2.0 * np.sum(np.log(np.diagonal(self._scale_factor)))
        wishart = 0.5 * nu * log_det_scale - 0.5 * nu * d * np.log(2.0) - multigammaln(0.5 * nu, d)
        covariance_part = np.sum(wishart - 0.5 * (nu + d + 1) * log_dets - 0.5 * traces)
        which = np.zeros(params.n_components, dtype=int) if blocks == 1 else np.arange(params.n_components)
        offsets = params.means - self.mean
        whitened = np.einsum("kd,kde->ke", offsets, precisions[which])  # Pᵀ d, with Σ⁻¹ = P Pᵀ
        mean_part = np.sum(
            -0.5 * d * (LOG_2PI - np.log(kappa)) - 0.5 * log_dets[which] - 0.5 * kappa * np.sum(whitened**2, axis=1)
        )
        return float(covariance_part + mean_part)

    def _variances(self, params: GMMParams) -> np.ndarray:
        """σ²_kd ("diag", shape (K, D)) or σ²_k = tr(Σ_k)/D ("spherical", shape (K, 1))."""
        diagonals = np.diagonal(params.covariances, axis1=1, axis2=2)
        if self.covariance_type == "diag":
            return diagonals
        return np.mean(diagonals, axis=1, keepdims=True)

    def _gamma_scales(self) -> np.ndarray:
        """λ_d ("diag", shape (D,)) or ς² ("spherical", shape (1,))."""
        diagonal = np.diagonal(self.scale)
        return diagonal if self.covariance_type == "diag" else diagonal[:1]

    def _log_gamma_part(self, params: GMMParams) -> float:
        d, nu, kappa = self.n_features, self.dof, self.shrinkage
        variances, rate = self._variances(params), 0.5 * self._gamma_scales()
        shape = 0.5 * nu
        covariance_part = np.sum(
            shape * np.log(rate) - gammaln(shape) - (shape + 1.0) * np.log(variances) - rate / variances
        )
        per_feature = np.broadcast_to(variances, params.means.shape)
        offsets = params.means - self.mean
        mean_part = np.sum(
            -0.5 * d * (LOG_2PI - np.log(kappa))
            - 0.5 * np.sum(np.log(per_feature), axis=1)
            - 0.5 * kappa * np.sum(offsets**2 / per_feature, axis=1)
        )
        return float(covariance_part + mean_part)

    def score(self, params: GMMParams) -> np.ndarray:
        """∇ c log p(θ) in the coordinates of ``GaussianMixtureModel.flatten``, shape (K + K·D + K·D²,).

        With d_k = μ_k − μ_P, in the sense of ``GaussianMixtureModel.score`` (renormalised weights,
        symmetric covariance directions):

        - weights: g_k − Σ_j π_j g_j with g_k = c(α − 1)/π_k (zero for α = 1);
        - means: −cκ Σ_k⁻¹ d_k (diag(σ²_k)⁻¹ d_k for "diag", d_k / σ²_k for "spherical");
        - "full": ½c [Σ_k⁻¹ (Λ + κ d_k d_kᵀ) Σ_k⁻¹ − (ν + D + 2) Σ_k⁻¹];
        - "tied": block 0 only (the prior reads the shared matrix there), ½c [Σ⁻¹ (Λ + κ Σ_k d_k d_kᵀ) Σ⁻¹
          − (ν + D + 1 + K) Σ⁻¹]; along a tied direction, which moves every block alike, the slope is the same;
        - "diag": on the diagonal, ½c [(λ_d + κ d_kd²)/σ⁴_kd − (ν + 3)/σ²_kd];
        - "spherical": (1/D) I times ½c [(ς² + κ ‖d_k‖²)/σ⁴_k − (ν + D + 2)/σ²_k].
        """
        self.check_params(params)
        k, d, c, kappa = params.n_components, self.n_features, self.weight, self.shrinkage
        offsets = params.means - self.mean
        weights_part = np.zeros(k)
        if self.dirichlet != 1.0:
            with np.errstate(divide="ignore"):
                gradient = c * (self.dirichlet - 1.0) / params.weights
            weights_part = gradient - c * (self.dirichlet - 1.0) * np.count_nonzero(params.weights)
        means = np.empty((k, d))
        covariances = np.zeros((k, d, d))
        if self.covariance_type in ("full", "tied"):
            tied = self.covariance_type == "tied"
            for j in range(k):
                factor = (params.covariance_cholesky[0 if tied else j], True)
                means[j] = -c * kappa * cho_solve(factor, offsets[j], check_finite=False)
            blocks = [(0, offsets)] if tied else [(j, offsets[j : j + 1]) for j in range(k)]
            count = (self.dof + d + 1 + k) if tied else (self.dof + d + 2)
            for j, block_offsets in blocks:
                factor = (params.covariance_cholesky[j], True)
                inner = self.scale + kappa * block_offsets.T @ block_offsets
                half = cho_solve(factor, inner, check_finite=False)
                sandwich = cho_solve(factor, half.T, check_finite=False)
                precision = cho_solve(factor, np.eye(d), check_finite=False)
                gradient = 0.5 * c * (sandwich - count * precision)
                covariances[j] = 0.5 * (gradient + gradient.T)
        else:
            variances, scales = self._variances(params), self._gamma_scales()
            per_feature = np.broadcast_to(variances, (k, d))
            means[:] = -c * kappa * offsets / per_feature
            if self.covariance_type == "diag":
                numerators, count = scales + kappa * offsets**2, self.dof + 3
            else:
                numerators, count = scales + kappa * np.sum(offsets**2, axis=1, keepdims=True), self.dof + d + 2
            slopes = 0.5 * c * (numerators / variances**2 - count / variances)
            if self.covariance_type == "spherical":
                slopes = np.broadcast_to(slopes / d, (k, d))
            covariances[:, np.arange(d), np.arange(d)] = slopes
        return np.concatenate([weights_part, means.ravel(), covariances.ravel()])


def check_prior(prior, name: str = "prior"):
    """``prior`` as None, a :class:`ConjugatePrior` or a :class:`ResolvedPrior`; ``"default"`` is ``ConjugatePrior()``."""
    if prior is None or isinstance(prior, (ConjugatePrior, ResolvedPrior)):
        return prior
    if isinstance(prior, str):
        if prior == "default":
            return ConjugatePrior()
        raise ValueError(f"{name} must be None, 'default', an emlib ConjugatePrior or ResolvedPrior; got {prior!r}")
    raise TypeError(
        f"{name} must be None, 'default', an emlib ConjugatePrior or ResolvedPrior; got {type(prior).__name__}"
    )
