"""A mixture of multivariate Student t distributions, fitted by ECM or ECME: an M-step with no closed form.

The model (McLachlan and Peel 2000, *Finite Mixture Models*, ch. 7; Peel and McLachlan 2000,
"Robust mixture modelling using the t distribution") is

    p(x | θ) = Σ_k π_k t_D(x | μ_k, Σ_k, ν_k),

    t_D(x | μ, Σ, ν) = Γ((ν + D)/2) / (Γ(ν/2) (νπ)^{D/2} (det Σ)^{1/2}) · (1 + δ²/ν)^{−(ν + D)/2},

with δ² = (x − μ)ᵀ Σ⁻¹ (x − μ) the Mahalanobis distance. Each t is a scale mixture of normals,
which gives EM its complete data: a label z_n and a scale u_n with

    u_n | z_n = k ~ Gamma(ν_k/2, rate ν_k/2),    x_n | u_n, z_n = k ~ N(μ_k, Σ_k / u_n).

A row far from μ_k (large δ²) gets a small expected scale u_nk, so it weighs little in μ_k and Σ_k:
the mixture is robust to outliers where a Gaussian mixture is not.

**E-step.** The responsibilities τ_nk by Bayes' theorem, and, since u | x, z = k is
Gamma((ν_k + D)/2, rate (ν_k + δ²_nk)/2),

    u_nk = E[u_n | x_n, z_n = k] = (ν_k + D) / (ν_k + δ²_nk),
    E[log u_n | x_n, z_n = k] = ψ((ν_k + D)/2) − log((ν_k + δ²_nk)/2).

**CM-step 1** (π, μ, Σ at fixed ν; with r_nk = w_n τ_nk and N_k = Σ_n r_nk):
π_k = N_k / Σ_n w_n, μ_k = Σ_n r_nk u_nk x_n / Σ_n r_nk u_nk,
Σ_k = Σ_n r_nk u_nk (x_n − μ_k)(x_n − μ_k)ᵀ / N_k (the weighted moments, centred on each component
as emlib's Gaussian M-step computes them).

**CM-step 2** (ν), as ``dof`` says:

- ``"ecm"``: ν_k maximises Q(θ, θ_old), the root of
  1 − ψ(ν/2) + log(ν/2) + (1/N_k) Σ_n r_nk (E[log u_nk] − u_nk) = 0 with the E-step's u and E[log u].
  Q separates into a (π, μ, Σ) part and a ν part, so the two CM-steps together maximise Q: this
  ECM (Meng and Rubin 1993) is in fact an EM here.
- ``"ecme"`` (Liu and Rubin 1994): ν_k maximises the *observed* log-likelihood ℓ at the new π, μ, Σ
  (each ν_k in turn, the others held), a one-dimensional search; usually fewer iterations.
- ``"fixed"``: ν is kept as given.

Every CM-step raises ℓ (ECME's ν-step is kept only if it does not lower ℓ), so ℓ never falls
(with ``reg_covar=0``). An estimated ν is kept in ``dof_bounds``, by default [0.01, 1000]
(:data:`DOF_BOUNDS`): as ν → ∞ the t tends to the Gaussian and ℓ flattens, so Gaussian-looking data
push ν to the cap, where a component is a normal up to an excess kurtosis of about 6/ν.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import brentq, minimize_scalar
from scipy.special import betaln, digamma, gammaln

from ._bayes import bayes, total_log_likelihood
from ._validation import (
    as_float_array,
    check_count,
    check_data,
    check_flag,
    check_nonnegative_real,
    check_random_state,
)
from .drivers import fit_em
from .fit import DegenerateFitWarning, fit_gmm
from .model import EStep, LatentVariableModel, MixtureModel
from .params import GMMParams, SingularCovarianceError, cholesky_factors
from .result import EMResult

__all__ = [
    "DEFAULT_START_DOF",
    "DOF_BOUNDS",
    "DOF_METHODS",
    "STARTS",
    "StudentTMixture",
    "StudentTParams",
    "StudentTStatistics",
    "fit_student_t",
]

#: How the degrees of freedom are updated, "ecm" (the CM equation), "ecme" (maximise ℓ) or "fixed".
DOF_METHODS = ("ecm", "ecme", "fixed")
#: [ν_min, ν_max], where an estimated ν is kept. Below 0.01 a component's tails are so heavy that
#: no moment of order ν or more exists (it fits isolated points rather than a cluster); above 1000
#: it is a normal up to an excess kurtosis of about 6/ν.
DOF_BOUNDS = (1e-2, 1e3)
#: ν of :func:`~emlib.fit_student_t`'s default start (the Gaussian fit's π, μ, Σ), with tails slightly heavier
#: than a normal's, from which ν moves either way.
DEFAULT_START_DOF = 30.0
#: The drivers :func:`fit_student_t` offers (hard EM and ECG need pieces this model lacks).
FIT_METHODS = ("em", "squarem")
#: Tolerance of ECME's search for log ν (scipy.optimize.minimize_scalar's ``xatol``).
LOG_DOF_TOLERANCE = 1e-10


@dataclass(frozen=True, eq=False)
class StudentTParams:
    """Parameters θ = (π, μ, Σ, ν) of a K-component mixture of D-variate Student t distributions.

    Immutable: the arrays are read-only copies, validated on construction (as
    :class:`emlib.GMMParams` validates π, μ and Σ).

    Parameters
    ----------
    weights : array_like of shape (K,)
        Mixing proportions π_k: non-negative, summing to one.
    means : array_like of shape (K, D)
        Locations μ_k (the means where ν_k > 1).
    covariances : array_like of shape (K, D, D)
        Scale matrices Σ_k, symmetric positive definite (the covariance of component k is
        ν_k Σ_k / (ν_k − 2) where ν_k > 2).
    dofs : array_like of shape (K,)
        Degrees of freedom ν_k: finite and positive.

    Attributes
    ----------
    covariance_cholesky : ndarray of shape (K, D, D)
        Lower Cholesky factors L_k, Σ_k = L_k L_kᵀ.

    Raises
    ------
    TypeError, ValueError
        Naming the argument that is wrong (``SingularCovarianceError`` if a Σ_k is not positive definite).
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    dofs: np.ndarray
    covariance_cholesky: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        gaussian = GMMParams(self.weights, self.means, self.covariances)  # checks π, μ, Σ and factors Σ
        dofs = as_float_array(self.dofs, "dofs", ndim=1, copy=True)
        if dofs.shape != (gaussian.n_components,):
            raise ValueError(
                f"dofs must have one entry per component ({gaussian.n_components}); got shape {dofs.shape}"
            )
        if np.any(dofs <= 0):
            raise ValueError(f"dofs must be > 0 (degrees of freedom); got {dofs.tolist()}")
        dofs.flags.writeable = False
        for name in ("weights", "means", "covariances", "covariance_cholesky"):
            object.__setattr__(self, name, getattr(gaussian, name))
        object.__setattr__(self, "dofs", dofs)

    def __reduce__(self):
        """Copies and pickles are rebuilt by the constructor: validated, with read-only arrays."""
        return (
            type(self),
            (np.array(self.weights), np.array(self.means), np.array(self.covariances), np.array(self.dofs)),
        )

    @property
    def n_components(self) -> int:
        return self.weights.shape[0]

    @property
    def n_features(self) -> int:
        return self.means.shape[1]

    def __repr__(self) -> str:
        return f"StudentTParams(n_components={self.n_components}, n_features={self.n_features})"


@dataclass(frozen=True, eq=False)
class StudentTStatistics:
    """What the E-step hands the CM-steps: the posterior of (z_n, u_n) given x_n at θ_old.

    Attributes
    ----------
    responsibilities : ndarray of shape (N, K)
        τ_nk = p(z_n = k | x_n, θ_old).
    scales : ndarray of shape (N, K)
        u_nk = E[u_n | x_n, z_n = k] = (ν_k + D) / (ν_k + δ²_nk).
    log_scales : ndarray of shape (N, K)
        E[log u_n | x_n, z_n = k] = ψ((ν_k + D)/2) − log((ν_k + δ²_nk)/2).
    """

    responsibilities: np.ndarray
    scales: np.ndarray
    log_scales: np.ndarray


# --- the density and the posterior of the scales ---------------------------------------------------


def _squared_distances(X: np.ndarray, means: np.ndarray, cholesky: np.ndarray) -> np.ndarray:
    """δ²_nk = ‖L_k⁻¹ (x_n − μ_k)‖², shape (N, K), by triangular solves (no inverse)."""
    distances = np.empty((X.shape[0], means.shape[0]))
    for k, (mean, factor) in enumerate(zip(means, cholesky)):
        whitened = solve_triangular(factor, (X - mean).T, lower=True, check_finite=False)
        distances[:, k] = np.einsum("dn,dn->n", whitened, whitened)
    return distances


def _log_determinants(cholesky: np.ndarray) -> np.ndarray:
    """log |Σ_k| = 2 Σ_d log (L_k)_dd, shape (K,)."""
    return 2.0 * np.log(np.diagonal(cholesky, axis1=1, axis2=2)).sum(axis=1)


def _log_t_densities(squared: np.ndarray, log_determinants: np.ndarray, dofs: np.ndarray, n_features: int):
    """log t_D(x_n | μ_k, Σ_k, ν_k) from δ²_nk, shape (N, K) (the columns of ``squared``, ``dofs`` broadcast).

    log Γ((ν + D)/2) − log Γ(ν/2) − (D/2) log(νπ) − ½ log|Σ| − ((ν + D)/2) log(1 + δ²/ν). The
    ratio of gamma functions is written log Γ(D/2) − log B(ν/2, D/2), which scipy's betaln
    evaluates without the cancellation of two large log-gammas when ν is large.
    """
    half_d = 0.5 * n_features
    log_gamma_ratio = gammaln(half_d) - betaln(0.5 * dofs, half_d)
    constant = log_gamma_ratio - half_d * np.log(np.pi * dofs) - 0.5 * log_determinants
    return constant - 0.5 * (dofs + n_features) * np.log1p(squared / dofs)


def _scale_moments(squared: np.ndarray, dofs: np.ndarray, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """E[u | x, z = k] and E[log u | x, z = k] of u ~ Gamma((ν + D)/2, rate (ν + δ²)/2), each (N, K)."""
    shape = 0.5 * (dofs + n_features)
    rate = 0.5 * (dofs + squared)
    return shape / rate, digamma(shape) - np.log(rate)


# --- the CM-steps for ν ---------------------------------------------------------------------------


def _dof_equation_root(excess: float, bounds: tuple[float, float]) -> float:
    """The ν in ``bounds`` with log(ν/2) − ψ(ν/2) = ``excess`` (≥ 0), clipped to ``bounds``.

    The ECM equation for ν. h(ν) = log(ν/2) − ψ(ν/2) falls from +∞ to 0, and from
    1/(2x) < log x − ψ(x) < 1/x (x > 0) with x = ν/2 comes 1/ν < h(ν) < 2/ν: the root lies in
    [1/a, 2/a] for a = ``excess``, the bracket for brentq (within ``bounds``). As h is decreasing,
    Q is concave in ν, and the clipped root is Q's maximiser over ``bounds``.
    """
    low, high = bounds
    if not excess > 0:  # every u_n = 1: the normal, ν → ∞
        return high
    lower, upper = max(1.0 / excess, low), min(2.0 / excess, high)
    if lower >= upper:  # the whole bracket lies outside the bounds
        return low if 2.0 / excess <= low else high

    def equation(dof):
        return np.log(0.5 * dof) - digamma(0.5 * dof) - excess

    if equation(lower) <= 0:
        return lower
    if equation(upper) >= 0:
        return upper
    return brentq(equation, lower, upper, xtol=1e-14, rtol=4 * np.finfo(float).eps)


def _ecm_dofs(weighted, statistics: StudentTStatistics, counts, groups, dofs, bounds) -> np.ndarray:
    """ν maximising Q: for each group g of components sharing ν, the root of

    log(ν/2) − ψ(ν/2) = Σ_{k∈g} Σ_n r_nk (u_nk − 1 − E[log u_nk]) / Σ_{k∈g} N_k

    (the CM equation 1 − ψ(ν/2) + log(ν/2) + (1/N_k) Σ_n r_nk (E[log u_nk] − u_nk) = 0, summed over the group).
    Each term u − 1 − E[log u] ≥ 0 (E[log u] ≤ log E[u] ≤ E[u] − 1), so the right-hand side is ≥ 0.
    """
    dofs = np.array(dofs)
    terms = statistics.scales - 1.0 - statistics.log_scales
    for group in groups:
        excess = float(np.sum(weighted[:, group] * terms[:, group]) / counts[group].sum())
        dofs[group] = _dof_equation_root(excess, bounds)
    return dofs


def _ecme_dofs(X, sample_weight, weights, means, cholesky, groups, dofs, bounds) -> np.ndarray:
    """ν maximising the observed ℓ at the new (π, μ, Σ), one group of components at a time (ECME).

    For group g, ℓ(ν) = Σ_n w_n log(Σ_{j∉g} π_j t(x_n | θ_j) + Σ_{k∈g} π_k t(x_n | μ_k, Σ_k, ν)) is
    maximised over log ν in log ``bounds`` by scipy.optimize.minimize_scalar (bounded Brent); the result
    replaces ν only if ℓ is at least its value at the current ν, so that the step never lowers ℓ.
    """
    n_features = X.shape[1]
    squared = _squared_distances(X, means, cholesky)
    log_determinants = _log_determinants(cholesky)
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)
    dofs = np.array(dofs)
    log_joint = _log_t_densities(squared, log_determinants, dofs, n_features) + log_weights
    for group in groups:
        others = np.delete(log_joint, group, axis=1)
        rest = np.logaddexp.reduce(others, axis=1) if others.shape[1] else np.full(X.shape[0], -np.inf)

        def group_log_joint(log_dof, group=group):
            dof = np.exp(log_dof)
            return _log_t_densities(squared[:, group], log_determinants[group], dof, n_features) + log_weights[group]

        def negative_log_likelihood(log_dof, group=group, rest=rest):
            inner = np.logaddexp.reduce(group_log_joint(log_dof), axis=1)  # numpy's: scipy's logsumexp costs more here
            return -float(sample_weight @ np.logaddexp(rest, inner))

        current = np.log(dofs[group[0]])
        search = minimize_scalar(
            negative_log_likelihood,
            bounds=(np.log(bounds[0]), np.log(bounds[1])),
            method="bounded",
            options={"xatol": LOG_DOF_TOLERANCE},
        )
        best = float(search.x) if search.fun < negative_log_likelihood(current) else current
        dofs[group] = np.clip(np.exp(best), *bounds)  # exp(log ν_max) may round just above ν_max
        log_joint[:, group] = group_log_joint(np.log(dofs[group[0]]))
    return dofs


# --- the model -------------------------------------------------------------------------------------


def _check_dof_bounds(dof_bounds) -> tuple[float, float]:
    try:
        low, high = dof_bounds
    except (TypeError, ValueError):
        raise TypeError(f"dof_bounds must be a pair (nu_min, nu_max); got {dof_bounds!r}") from None
    for value in (low, high):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"dof_bounds must hold two real numbers; got {dof_bounds!r}")
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high) and 0 < low < high):
        raise ValueError(f"dof_bounds must satisfy 0 < nu_min < nu_max < inf; got {dof_bounds!r}")
    return low, high


class StudentTMixture(MixtureModel):
    """A mixture of multivariate Student t distributions, fitted by ECM or ECME (see the module notes).

    Parameters
    ----------
    dof : {"ecme", "ecm", "fixed"}, default "ecme"
        How the M-step updates the degrees of freedom ν_k: maximise the observed log-likelihood over
        ν (ECME, Liu and Rubin 1994), solve the CM equation of Q (ECM, Meng and Rubin 1993; here an
        EM), or keep them (``"fixed"``).
    tied_dof : bool, default False
        One ν shared by every component (its CM equation sums over components; ECME searches ℓ over
        the common ν).
    reg_covar : float, default 0.0
        Added to every diagonal entry of each Σ_k after CM-step 1. 0 is maximum likelihood; a positive
        amount keeps a collapsing component non-singular but is not the M-step of any prior, so ℓ may
        then fall and the drivers stop only when it stops changing.
    dof_bounds : (float, float), default (0.01, 1000)
        [ν_min, ν_max] for an estimated ν (:data:`~emlib.student_t.DOF_BOUNDS`); parameters of a model with ``dof``
        "ecm" or "ecme" must have their ν in it. Unused for ``"fixed"``.

    Examples
    --------
    >>> import numpy as np, emlib
    >>> from emlib.student_t import StudentTMixture, StudentTParams
    >>> X = np.random.default_rng(0).standard_t(4, size=(500, 1))
    >>> start = StudentTParams([1.0], [[0.0]], [[[1.0]]], [30.0])
    >>> fit = emlib.fit_em(StudentTMixture(dof="ecme"), X, start, tol=1e-10)
    >>> bool(2 < fit.params.dofs[0] < 8)
    True
    """

    def __init__(self, dof: str = "ecme", *, tied_dof: bool = False, reg_covar: float = 0.0, dof_bounds=DOF_BOUNDS):
        if not isinstance(dof, str) or dof not in DOF_METHODS:
            raise ValueError(f"dof must be one of {DOF_METHODS}; got {dof!r}")
        self.dof = dof
        self.tied_dof = check_flag(tied_dof, "tied_dof")
        self.reg_covar = check_nonnegative_real(reg_covar, "reg_covar")
        self.dof_bounds = _check_dof_bounds(dof_bounds)

    # --- the model interface ------------------------------------------------------------------------

    def check_data(self, X) -> np.ndarray:
        """X: a finite array of shape (N, D), N, D >= 1 (``emlib._validation.check_data``)."""
        return check_data(X)

    def check_params(self, data, params, name: str = "params") -> None:
        if not isinstance(params, StudentTParams):
            raise TypeError(f"{name} must be an emlib.student_t.StudentTParams; got {type(params).__name__}")
        if data is not None and data.shape[1] != params.n_features:
            raise ValueError(f"{name} has dimension {params.n_features} but X has {data.shape[1]} columns (features)")
        if self.tied_dof and np.any(params.dofs != params.dofs[0]):
            raise ValueError(f"{name}.dofs must all be equal with tied_dof=True; got {params.dofs.tolist()}")
        low, high = self.dof_bounds
        if self.dof != "fixed" and np.any((params.dofs < low) | (params.dofs > high)):
            raise ValueError(
                f"{name}.dofs must lie in dof_bounds [{low:g}, {high:g}] when dof={self.dof!r} estimates them;"
                f" got {params.dofs.tolist()} (widen dof_bounds, or use dof='fixed')"
            )

    def log_prior(self, params: StudentTParams) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(params.weights)

    def log_conditional(self, data: np.ndarray, params: StudentTParams) -> np.ndarray:
        """log t_D(x_n | μ_k, Σ_k, ν_k), shape (N, K): the formula of the module notes, δ² by triangular solves."""
        squared = _squared_distances(data, params.means, params.covariance_cholesky)
        log_determinants = _log_determinants(params.covariance_cholesky)
        return _log_t_densities(squared, log_determinants, params.dofs, data.shape[1])

    def expectation(self, data: np.ndarray, weights: np.ndarray, params: StudentTParams) -> EStep:
        """τ_nk, u_nk and E[log u_nk] (:class:`StudentTStatistics`) and ℓ(θ) at ``params``."""
        squared = _squared_distances(data, params.means, params.covariance_cholesky)
        log_determinants = _log_determinants(params.covariance_cholesky)
        log_densities = _log_t_densities(squared, log_determinants, params.dofs, data.shape[1])
        log_marginals, responsibilities = bayes(log_densities, self.log_prior(params), overwrite=True)
        scales, log_scales = _scale_moments(squared, params.dofs, data.shape[1])
        statistics = StudentTStatistics(responsibilities, scales, log_scales)
        return EStep(statistics, total_log_likelihood(weights, log_marginals))

    def maximization(
        self, data: np.ndarray, weights: np.ndarray, statistics: StudentTStatistics, previous
    ) -> StudentTParams:
        """CM-step 1 (π, μ, Σ at the old ν), then CM-step 2 (ν by ``dof``); see the module notes.

        A component with no responsibility (N_k at most the smallest normal float) gets weight 0
        and keeps ``previous``'s μ, Σ and ν, as the Gaussian mixture's M-step does.
        """
        weighted = statistics.responsibilities * weights[:, np.newaxis]  # r_nk = w_n τ_nk
        counts = weighted.sum(axis=0)  # N_k
        occupied = counts > np.finfo(np.float64).tiny
        if not isinstance(previous, StudentTParams):
            raise TypeError(
                "previous must be the StudentTParams the statistics were computed from (the M-step keeps"
                f" their ν where it does not estimate it); got {type(previous).__name__}"
            )
        if not np.any(occupied):
            raise ValueError("no component has any responsibility (every N_k = 0); re-initialise")
        n_features = data.shape[1]
        means, covariances = np.array(previous.means), np.array(previous.covariances)
        for k in np.flatnonzero(occupied):
            means[k], covariances[k] = _weighted_moments(data, weighted[:, k], statistics.scales[:, k], counts[k])
            covariances[k][np.diag_indices(n_features)] += self.reg_covar
        mixing = np.where(occupied, counts, 0.0) / weights.sum()
        cholesky = _checked_cholesky(covariances, self.reg_covar)
        dofs = np.array(previous.dofs)
        groups = self._dof_groups(occupied)
        if self.dof == "ecm":
            dofs = _ecm_dofs(weighted, statistics, counts, groups, dofs, self.dof_bounds)
        elif self.dof == "ecme":
            dofs = _ecme_dofs(data, weights, mixing, means, cholesky, groups, dofs, self.dof_bounds)
        if self.tied_dof:  # a component of weight 0 shares the estimate too
            dofs[:] = dofs[np.flatnonzero(occupied)[0]]
        return StudentTParams(mixing, means, covariances, dofs)

    def _dof_groups(self, occupied: np.ndarray) -> list[np.ndarray]:
        """The occupied components that share one ν: all of them if ``tied_dof``, else each alone."""
        indices = np.flatnonzero(occupied)
        return [indices] if self.tied_dof else [indices[i : i + 1] for i in range(indices.size)]

    def objective_is_monotone(self) -> bool:
        return not self.reg_covar

    # its latent scales u_n are continuous: no hard E-step, and no draws of (z, u) yet, so the drivers that
    # need them (hard EM, stochastic and Monte Carlo EM) refuse this model by name
    classification = LatentVariableModel.classification
    simulated_statistics = LatentVariableModel.simulated_statistics

    def flatten(self, params: StudentTParams) -> np.ndarray:
        """(π, μ, the lower triangle of each L_k with its diagonal as log L_k,dd, log ν), shape (K (1 + D + D(D+1)/2 + 1),).

        Unconstrained coordinates for Σ_k and ν_k, so that SQUAREM's extrapolation stays a valid
        scale matrix and a positive ν.
        """
        rows, cols = np.tril_indices(params.n_features)
        triangles = np.array(params.covariance_cholesky)[:, rows, cols]
        diagonal = rows == cols
        triangles[:, diagonal] = np.log(triangles[:, diagonal])
        return np.concatenate([params.weights, params.means.ravel(), triangles.ravel(), np.log(params.dofs)])

    def unflatten(self, vector: np.ndarray, like: StudentTParams) -> StudentTParams | None:
        """The parameters with these coordinates (π renormalised), or None if they are not valid.

        An estimated ν is clipped to ``dof_bounds`` (and, with ``tied_dof``, the components' log ν are
        averaged); with ``dof="fixed"`` ν is ``like``'s.
        """
        k, d = like.n_components, like.n_features
        size = d * (d + 1) // 2
        if vector.shape != (k * (2 + d + size),) or not np.all(np.isfinite(vector)):
            return None
        weights = vector[:k]
        if np.any(weights < 0) or not weights.sum() > 0:
            return None
        means = vector[k : k + k * d].reshape(k, d)
        triangles = vector[k + k * d : k + k * d + k * size].reshape(k, size)
        log_dofs = vector[k + k * d + k * size :]
        rows, cols = np.tril_indices(d)
        cholesky = np.zeros((k, d, d))
        with np.errstate(over="ignore"):
            cholesky[:, rows, cols] = np.where(rows == cols, np.exp(triangles), triangles)
            covariances = cholesky @ np.swapaxes(cholesky, 1, 2)
            dofs = np.exp(log_dofs)
        if self.dof == "fixed":
            dofs = np.array(like.dofs)
        else:
            if self.tied_dof:
                dofs = np.full(k, np.exp(np.mean(log_dofs)))
            dofs = np.clip(dofs, *self.dof_bounds)
        try:
            return StudentTParams(weights / weights.sum(), means, covariances, dofs)
        except ValueError:
            return None

    def n_parameters(self, params: StudentTParams) -> int:
        """(K − 1) weights, K D means, K D (D + 1)/2 scale entries and the estimated ν (K, 1 if tied, 0 if fixed)."""
        self.check_params(None, params)
        k, d = params.n_components, params.n_features
        dofs = 0 if self.dof == "fixed" else (1 if self.tied_dof else k)
        return k - 1 + k * d + k * d * (d + 1) // 2 + dofs

    def draw(self, params: StudentTParams, n: int, rng: np.random.Generator):
        """n rows and their labels: z ~ Categorical(π), u ~ Gamma(ν_z/2, rate ν_z/2), x = μ_z + L_z ε / √u, ε ~ N(0, I)."""
        labels = rng.choice(params.n_components, size=n, p=params.weights)
        dofs = params.dofs[labels]
        scales = rng.gamma(shape=0.5 * dofs, scale=2.0 / dofs)
        noise = rng.standard_normal((n, params.n_features))
        steps = np.einsum("nij,nj->ni", params.covariance_cholesky[labels], noise)
        return params.means[labels] + steps / np.sqrt(scales)[:, np.newaxis], labels

    def __repr__(self) -> str:
        tied = ", tied_dof=True" if self.tied_dof else ""
        return f"StudentTMixture(dof={self.dof!r}{tied}, reg_covar={self.reg_covar:g})"


def _weighted_moments(X: np.ndarray, weighted: np.ndarray, scales: np.ndarray, count: float):
    """μ_k = Σ r u x / Σ r u and Σ_k = Σ r u (x − μ_k)(x − μ_k)ᵀ / N_k, centred on the component in two passes.

    With s_n = r_nk u_nk, a first mean m = Σ s x / Σ s, then d = Σ s (x − m) / Σ s corrects both:
    μ_k = m + d and Σ s (x − μ_k)(x − μ_k)ᵀ = Σ s (x − m)(x − m)ᵀ − (Σ s) d dᵀ (as
    ``emlib.maximization.moments_formula``, with the scales in the weights).
    """
    products = weighted * scales
    total = products.sum()
    first_mean = products @ X / total
    deviations = X - first_mean
    correction = products @ deviations / total
    scatter = (products * deviations.T) @ deviations - total * np.outer(correction, correction)
    covariance = scatter / count
    return first_mean + correction, 0.5 * (covariance + covariance.T)


def _checked_cholesky(covariances: np.ndarray, reg_covar: float) -> np.ndarray:
    """The Cholesky factors of the new Σ_k, or a SingularCovarianceError naming the component that collapsed."""
    try:
        return cholesky_factors(covariances)
    except SingularCovarianceError as error:
        raise SingularCovarianceError(
            f"the M-step scale matrix of component {error.component} is singular (reg_covar={reg_covar:g}):"
            " the component has collapsed onto a point or a subspace of the data. Use reg_covar > 0,"
            " fewer components, or another start.",
            component=error.component,
        ) from None


# --- the fit ---------------------------------------------------------------------------------------


#: The named starts of :func:`~emlib.fit_student_t` (see its ``init``).
STARTS = ("gmm", "k-means")


def fit_student_t(
    X,
    n_components: int,
    *,
    dof: str = "ecme",
    tied_dof: bool = False,
    init="k-means",
    n_init: int = 1,
    max_iter: int = 1000,
    tol: float = 1e-8,
    reg_covar: float = 0.0,
    random_state=0,
    method: str = "em",
    sample_weight=None,
    callback=None,
    trajectory: bool = False,
) -> EMResult:
    """Fit a mixture of multivariate Student t distributions by ECME (default) or ECM.

    Runs :class:`StudentTMixture` with the drivers every model shares (``emlib.drivers.fit_em``),
    from ``n_init`` starts, and returns the run of highest final log-likelihood.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    n_components : int
        K >= 1.
    dof : {"ecme", "ecm", "fixed"}, default "ecme"
        The CM-step for ν (see :class:`StudentTMixture`).
    tied_dof : bool, default False
        One ν for every component.
    init : "k-means", "gmm" or StudentTParams, default "k-means"
        The start, every ν = 30 (:data:`~emlib.student_t.DEFAULT_START_DOF`; with ``dof="fixed"`` that is the ν
        fitted, so pass a StudentTParams to fix another) and the π, μ and Σ (as scale matrices) of:

        - ``"gmm"``: the Gaussian mixture fitted by ``emlib.fit_gmm(X, K, random_state=...)``;
        - ``"k-means"``: ``fit_gmm``'s own start, before any Gaussian EM (k-means++ seeding, ten
          Lloyd iterations and one M-step: ``fit_gmm(..., max_iter=0)``). With gross outliers the
          Gaussian EM often spends a component on them and merges two clusters, a fit the t
          mixture then inherits; from the k-means start the t mixture can down-weight them instead
          (on a 5 %-outlier example, "gmm" left mean errors of 3 to 7 in 4 seeds of 6, "k-means"
          stayed within 0.25 in all 6, and on clean data both reached the same ℓ): hence the default.
    n_init : int, default 1
        Number of runs from a named start, each drawn from ``random_state``'s stream (the first
        is ``fit_gmm(..., random_state=random_state)``'s); the run of highest ℓ is returned, and a
        run whose scale matrix collapses (``SingularCovarianceError``) is dropped unless every run
        does. Must be 1 when ``init`` is a StudentTParams.
    max_iter : int, default 1000
        Maximum number of iterations of each run.
    tol : float, default 1e-8
        Threshold of the stopping rule per unit of weight (book eq. :eq:`soft-em-stopping`).
    reg_covar : float, default 0.0
        Added to every diagonal of each Σ_k in the M-step.
    random_state : None, int or numpy.random.Generator, default 0
        Seed of the named starts (checked, and otherwise unused, when ``init`` is a StudentTParams).
    method : {"em", "squarem"}, default "em"
        The driver: the ECM/ECME iteration itself, or SQUAREM's extrapolation of it.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights.
    callback : callable, optional
        ``callback(iteration, params, log_likelihood, objective)`` after the start and every
        iteration of every run.
    trajectory : bool, default False
        Keep every accepted iterate of the returned run in ``EMResult.trajectory``.

    Returns
    -------
    EMResult
        ``params`` a :class:`StudentTParams`; ``posterior`` the last E-step's :class:`StudentTStatistics`;
        ``model`` the :class:`StudentTMixture`, so that ``emlib.fit_em(fit.model, X, fit.params)``
        continues the fit.

    Warns
    -----
    ConvergenceWarning
        If a run did not meet the stopping rule within ``max_iter`` iterations.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.standard_t(3, size=(200, 2)), 6 + rng.standard_t(3, size=(200, 2))])
    >>> fit = fit_student_t(X, 2)
    >>> np.round(np.sort(fit.params.means[:, 0])).tolist(), bool(np.all(fit.params.dofs < 10))
    ([0.0, 6.0], True)
    """
    model = StudentTMixture(dof, tied_dof=tied_dof, reg_covar=reg_covar)
    data = model.check_data(X)
    n_components = check_count(n_components, "n_components", minimum=1)
    n_init = check_count(n_init, "n_init", minimum=1)
    if not isinstance(method, str) or method not in FIT_METHODS:
        raise ValueError(f"method must be one of {FIT_METHODS} for a Student t mixture; got {method!r}")
    check_count(max_iter, "max_iter", minimum=0)
    check_nonnegative_real(tol, "tol")
    rng = check_random_state(random_state, "random_state")
    if isinstance(init, StudentTParams):
        if n_init != 1:
            raise ValueError(f"n_init must be 1 when init is a StudentTParams (one start); got {n_init}")
        if init.n_components != n_components:
            raise ValueError(f"init has {init.n_components} components but n_components is {n_components}")
        starts = [init]
    elif isinstance(init, str) and init in STARTS:
        starts = (_named_start(data, n_components, init, rng, sample_weight) for _ in range(n_init))
    else:
        raise ValueError(f"init must be one of {STARTS} or an emlib.student_t.StudentTParams; got {init!r}")
    best, collapse = None, None
    for start in starts:
        try:
            result = fit_em(
                model,
                data,
                start,
                method=method,
                max_iter=max_iter,
                tol=tol,
                sample_weight=sample_weight,
                callback=callback,
                trajectory=trajectory,
            )
        except SingularCovarianceError as error:  # a run that collapsed: another start may not
            collapse = error
            continue
        if best is None or result.log_likelihoods[-1] > best.log_likelihoods[-1]:
            best = result
    if best is None:
        raise collapse
    return best


def _named_start(data: np.ndarray, n_components: int, name: str, rng, sample_weight) -> StudentTParams:
    """The Gaussian mixture of ``init=name`` (fitted, or fit_gmm's start before EM) with every ν = 30."""
    if name == "gmm":
        gaussian = fit_gmm(data, n_components, random_state=rng, sample_weight=sample_weight).params
    else:
        with warnings.catch_warnings():  # a start component on few rows is the t fit's business, not a Gaussian fit's
            warnings.simplefilter("ignore", DegenerateFitWarning)
            gaussian = fit_gmm(data, n_components, random_state=rng, sample_weight=sample_weight, max_iter=0).params
    dofs = np.full(n_components, DEFAULT_START_DOF)
    return StudentTParams(gaussian.weights, gaussian.means, gaussian.covariances, dofs)
