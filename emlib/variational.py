"""The variational Bayesian Gaussian mixture: variational EM on the common interface (Bishop 2006, §10.2).

The model (Bishop eqs. 10.37-10.40): a Gaussian mixture whose parameters are themselves random,

    π ~ Dirichlet(α₀, …, α₀),   Λ_k ~ Wishart(W₀, ν₀),   μ_k | Λ_k ~ N(m₀, (β₀ Λ_k)⁻¹),
    z_n | π ~ Categorical(π),     x_n | z_n = k ~ N(μ_k, Λ_k⁻¹).

The posterior p(z, π, μ, Λ | X) has no closed form. Variational Bayes approximates it by the
q that maximises the evidence lower bound (ELBO)

    L(q) = E_q[log p(X, z, π, μ, Λ)] − E_q[log q(z, π, μ, Λ)] = log p(X) − KL(q ‖ p(· | X)) ≤ log p(X)

over the mean-field family q(z) q(π) Π_k q(μ_k, Λ_k) (Bishop eq. 10.42). Coordinate ascent on L
alternates two exact maximisations, and has the shape of EM:

- the **variational E-step** (:meth:`~emlib.VariationalGaussianMixture.expectation`): q(z) given q(θ),
  the responsibilities r_nk ∝ exp(E[log π_k] + ½ E[log det Λ_k] − D/2 log 2π − ½ E[(x_n − μ_k)ᵀ Λ_k (x_n − μ_k)])
  (Bishop eqs. 10.46-10.49 and 10.64-10.66): Bayes' theorem with expected log-parameters in
  place of log-parameters;
- the **variational M-step** (:meth:`~emlib.VariationalGaussianMixture.maximization`): q(θ) given q(z),
  a Dirichlet and K Gaussian-Wishart distributions whose hyper-parameters are the prior's updated
  by the expected counts, means and scatters of the components (Bishop eqs. 10.51-10.63).

Neither step can lower L, so **the ELBO is non-decreasing** along the iterations, exactly as the
log-likelihood is along EM's. On emlib's interface the model's E-step reports L(q) where other
models report log p(X | θ): **for this model ``EMResult.log_likelihoods`` and
``EMResult.objectives`` hold the ELBO, a lower bound on the log evidence log p(X), not a
log-likelihood**, and the drivers' stopping rule watches its increments. The parameters the
drivers carry (:class:`VariationalParams`) are those of q(θ), not a point estimate θ.

Contrary to maximum likelihood, a component that explains no data is no singularity: its q
falls back to the prior. With α₀ < 1 the surplus components of a fit are emptied (E[π_k] → α₀ /
(K α₀ + N)), the automatic choice of the number of components of Bishop's Figure 10.6.

The defaults of the prior (:class:`VariationalPrior`) are those of scikit-learn's
``BayesianGaussianMixture(weight_concentration_prior_type="dirichlet_distribution")``, and from
the same responsibilities both fits compute the same q; scikit-learn's lower bound drops the
terms that depend on the prior and the data only, so its increments, not its values, equal those of L.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import digamma, gammaln, multigammaln, xlogy

from ._bayes import bayes, map_labels, total_log_likelihood
from ._validation import (
    as_float_array,
    check_count,
    check_data,
    check_positive_real,
    check_random_state,
    check_responsibilities,
    check_sample_weight,
)
from .drivers import fit_em
from .fit import DegenerateFitWarning, fit_gmm
from .model import EStep, LatentVariableModel
from .result import EMResult

__all__ = [
    "DEFAULT_TOL",
    "VariationalGaussianMixture",
    "VariationalParams",
    "VariationalPrior",
    "fit_variational_gmm",
]

#: Default threshold of fit_variational_gmm's stopping rule, on the ELBO's rise per unit of weight.
DEFAULT_TOL = 1e-8
#: How far a scale matrix may be from symmetric (relative to its largest entry) before it is refused.
_SYMMETRY_TOLERANCE = 1e-10

_LOG_2PI = np.log(2.0 * np.pi)


def _cholesky(matrix: np.ndarray, name: str) -> np.ndarray:
    """The lower Cholesky factor of a symmetric positive definite (D, D) matrix, or a ValueError naming it."""
    scale = np.max(np.abs(matrix))
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=_SYMMETRY_TOLERANCE * scale):
        raise ValueError(f"{name} must be a symmetric matrix; it is not")
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite; it is not (its Cholesky factorisation fails)") from None


def _check_degrees_of_freedom(value, n_features: int, name: str) -> None:
    """ν > D − 1, the condition for a Wishart distribution on D × D matrices to exist."""
    if np.any(value <= n_features - 1):
        raise ValueError(
            f"{name} must be > D − 1 = {n_features - 1} for D = {n_features} features (a Wishart"
            f" distribution needs ν > D − 1); got {np.min(value)!r}"
        )


# --- q(θ) ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class VariationalParams:
    """The variational posterior q(π) Π_k q(μ_k, Λ_k) of a Gaussian mixture (Bishop eqs. 10.57 and 10.59).

    q(π) = Dirichlet(π | α) and q(μ_k, Λ_k) = N(μ_k | m_k, (β_k Λ_k)⁻¹) Wishart(Λ_k | W_k, ν_k).
    The Wishart scale W_k is held through the Cholesky factor of its inverse, W_k⁻¹ = L_k L_kᵀ
    (W_k⁻¹ is a scatter matrix, the quantity the M-step computes, eq. 10.62): the E-step's
    Mahalanobis terms are then triangular solves, and log det W_k = −2 Σ_d log (L_k)_dd.

    Parameters
    ----------
    concentration : array_like of shape (K,)
        α_k > 0, the Dirichlet's parameters (scikit-learn's ``weight_concentration_``).
    mean_precision : array_like of shape (K,)
        β_k > 0, the precision of μ_k in units of Λ_k (``mean_precision_``).
    means : array_like of shape (K, D)
        m_k, the mean of q(μ_k) (``means_``).
    degrees_of_freedom : array_like of shape (K,)
        ν_k > D − 1, the Wishart's degrees of freedom (``degrees_of_freedom_``).
    scale_inverse_cholesky : array_like of shape (K, D, D)
        L_k, lower triangular with a positive diagonal, L_k L_kᵀ = W_k⁻¹. (scikit-learn stores
        the covariance W_k⁻¹ / ν_k, ``covariances_``; see :attr:`expected_covariances`.)

    See Also
    --------
    VariationalParams.from_scale_inverse : the same from W_k⁻¹ itself.
    """

    concentration: np.ndarray
    mean_precision: np.ndarray
    means: np.ndarray
    degrees_of_freedom: np.ndarray
    scale_inverse_cholesky: np.ndarray

    def __post_init__(self):
        concentration = as_float_array(self.concentration, "concentration", ndim=1, copy=True)
        n_components = concentration.shape[0]
        if n_components < 1:
            raise ValueError("concentration must have at least one entry (one per component)")
        means = as_float_array(self.means, "means", ndim=2, copy=True)
        if means.shape[0] != n_components or means.shape[1] < 1:
            raise ValueError(
                f"means must have shape (K, D) with K = {n_components} (the length of concentration)"
                f" and D >= 1; got {means.shape}"
            )
        n_features = means.shape[1]
        mean_precision = as_float_array(self.mean_precision, "mean_precision", ndim=1, copy=True)
        degrees_of_freedom = as_float_array(self.degrees_of_freedom, "degrees_of_freedom", ndim=1, copy=True)
        for name, value in (("mean_precision", mean_precision), ("degrees_of_freedom", degrees_of_freedom)):
            if value.shape != (n_components,):
                raise ValueError(
                    f"{name} must have shape ({n_components},), one entry per component; got {value.shape}"
                )
        if np.any(concentration <= 0):
            raise ValueError("concentration (α) must be positive")
        if np.any(mean_precision <= 0):
            raise ValueError("mean_precision (β) must be positive")
        _check_degrees_of_freedom(degrees_of_freedom, n_features, "degrees_of_freedom (ν)")
        factors = as_float_array(self.scale_inverse_cholesky, "scale_inverse_cholesky", ndim=3, copy=True)
        if factors.shape != (n_components, n_features, n_features):
            raise ValueError(
                f"scale_inverse_cholesky must have shape (K, D, D) = {(n_components, n_features, n_features)};"
                f" got {factors.shape}"
            )
        if np.any(np.triu(factors, 1) != 0):
            raise ValueError("scale_inverse_cholesky must be lower triangular (Cholesky factors of W_k⁻¹)")
        if not np.all(np.diagonal(factors, axis1=1, axis2=2) > 0):
            raise ValueError("scale_inverse_cholesky must have a positive diagonal (Cholesky factors of W_k⁻¹)")
        for name, value in (
            ("concentration", concentration),
            ("mean_precision", mean_precision),
            ("means", means),
            ("degrees_of_freedom", degrees_of_freedom),
            ("scale_inverse_cholesky", factors),
        ):
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    @classmethod
    def from_scale_inverse(
        cls, concentration, mean_precision, means, degrees_of_freedom, scale_inverse
    ) -> VariationalParams:
        """The parameters with Wishart scales given by their inverses W_k⁻¹, shape (K, D, D), symmetric positive definite."""
        matrices = as_float_array(scale_inverse, "scale_inverse", ndim=3)
        factors = np.array([_cholesky(matrix, f"scale_inverse[{k}]") for k, matrix in enumerate(matrices)])
        return cls(concentration, mean_precision, means, degrees_of_freedom, factors.reshape(matrices.shape))

    def __reduce__(self):
        """Copies and pickles are rebuilt by the constructor: validated, with read-only arrays."""
        fields = (self.concentration, self.mean_precision, self.means, self.degrees_of_freedom)
        return (type(self), (*(np.array(value) for value in fields), np.array(self.scale_inverse_cholesky)))

    @property
    def n_components(self) -> int:
        """K, the number of components."""
        return self.concentration.shape[0]

    @property
    def n_features(self) -> int:
        """D, the dimension of the data."""
        return self.means.shape[1]

    @property
    def scale_inverse(self) -> np.ndarray:
        """W_k⁻¹ = L_k L_kᵀ, shape (K, D, D)."""
        return self.scale_inverse_cholesky @ np.swapaxes(self.scale_inverse_cholesky, 1, 2)

    @property
    def expected_weights(self) -> np.ndarray:
        """E[π_k] = α_k / Σ_j α_j under q(π) (Bishop eq. B.17), shape (K,)."""
        return self.concentration / self.concentration.sum()

    @property
    def expected_covariances(self) -> np.ndarray:
        """E[Λ_k]⁻¹ = W_k⁻¹ / ν_k (E[Λ_k] = ν_k W_k, Bishop eq. B.80), shape (K, D, D); scikit-learn's ``covariances_``."""
        return self.scale_inverse / self.degrees_of_freedom[:, np.newaxis, np.newaxis]

    def __repr__(self) -> str:
        return f"VariationalParams(n_components={self.n_components}, n_features={self.n_features})"


# --- the prior ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class VariationalPrior:
    """The conjugate prior p(π) Π_k p(μ_k, Λ_k) of the variational mixture (Bishop eqs. 10.39-10.40).

    p(π) = Dirichlet(π | α₀, …, α₀) and p(μ_k, Λ_k) = N(μ_k | m₀, (β₀ Λ_k)⁻¹) Wishart(Λ_k | W₀, ν₀).
    A hyper-parameter left as None takes its data-driven default when the prior meets the data
    (:meth:`resolve`), the defaults of scikit-learn's
    ``BayesianGaussianMixture(weight_concentration_prior_type="dirichlet_distribution")``.

    Parameters
    ----------
    concentration : float, optional
        α₀ > 0 (``weight_concentration_prior``). Default 1/K. Below 1 it favours sparse weights,
        so that surplus components are emptied.
    mean_precision : float, optional
        β₀ > 0 (``mean_precision_prior``). Default 1.
    mean : array_like of shape (D,), optional
        m₀ (``mean_prior``). Default the (weighted) mean of X.
    degrees_of_freedom : float, optional
        ν₀ > D − 1 (``degrees_of_freedom_prior``). Default D.
    scale_inverse : array_like of shape (D, D), optional
        W₀⁻¹, symmetric positive definite (scikit-learn's ``covariance_prior``). Default the
        covariance of X, Σ_n w_n (x_n − x̄)(x_n − x̄)ᵀ / (Σ_n w_n − 1) (``np.cov(X.T)`` without weights).
    """

    concentration: float | None = None
    mean_precision: float | None = None
    mean: np.ndarray | None = None
    degrees_of_freedom: float | None = None
    scale_inverse: np.ndarray | None = None

    def __post_init__(self):
        for name in ("concentration", "mean_precision", "degrees_of_freedom"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_positive_real(value, name))
        n_features = None
        if self.mean is not None:
            mean = as_float_array(self.mean, "mean", ndim=1, copy=True)
            if mean.shape[0] < 1:
                raise ValueError("mean (m₀) must have at least one entry")
            mean.flags.writeable = False
            object.__setattr__(self, "mean", mean)
            n_features = mean.shape[0]
        if self.scale_inverse is not None:
            matrix = as_float_array(self.scale_inverse, "scale_inverse", ndim=2, copy=True)
            if matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 1:
                raise ValueError(f"scale_inverse (W₀⁻¹) must be a square (D, D) matrix; got shape {matrix.shape}")
            if n_features is not None and matrix.shape[0] != n_features:
                raise ValueError(
                    f"scale_inverse (W₀⁻¹) has shape {matrix.shape} but mean (m₀) has {n_features} entries"
                )
            _cholesky(matrix, "scale_inverse (W₀⁻¹)")
            matrix.flags.writeable = False
            object.__setattr__(self, "scale_inverse", matrix)
            n_features = matrix.shape[0]
        if n_features is not None and self.degrees_of_freedom is not None:
            _check_degrees_of_freedom(self.degrees_of_freedom, n_features, "degrees_of_freedom (ν₀)")

    def resolve(self, X, n_components: int, *, sample_weight=None) -> VariationalPrior:
        """This prior with every default filled in from the data X and the number of components K.

        Parameters
        ----------
        X : array_like of shape (N, D)
            The data.
        n_components : int
            K >= 1 (the default α₀ is 1/K).
        sample_weight : array_like of shape (N,), optional
            Row weights, counting copies of a row (they weigh the default mean and covariance).

        Returns
        -------
        VariationalPrior
            With no field None.
        """
        data = check_data(X)
        n_components = check_count(n_components, "n_components", minimum=1)
        weights = check_sample_weight(sample_weight, len(data))
        return self._resolved(data, weights, n_components)

    def _resolved(self, data: np.ndarray, weights: np.ndarray, n_components: int) -> VariationalPrior:
        n_features = data.shape[1]
        total = weights.sum()
        centre = (weights @ data) / total
        mean = centre if self.mean is None else self.mean
        if mean.shape != (n_features,):
            raise ValueError(f"mean (m₀) must have shape ({n_features},), one entry per column of X; got {mean.shape}")
        scale_inverse = self.scale_inverse
        if scale_inverse is None:
            if not total > 1:
                raise ValueError(
                    "the default scale_inverse (W₀⁻¹), the covariance of X, needs a total weight above 1;"
                    f" got {total:g}: pass VariationalPrior(scale_inverse=...)"
                )
            centred = data - centre
            scale_inverse = (centred.T * weights) @ centred / (total - 1.0)
            try:
                np.linalg.cholesky(scale_inverse)
            except np.linalg.LinAlgError:
                raise ValueError(
                    "the default scale_inverse (W₀⁻¹), the covariance of X, is singular (too few rows, or"
                    " a constant or collinear column): pass VariationalPrior(scale_inverse=...)"
                ) from None
        elif scale_inverse.shape != (n_features, n_features):
            raise ValueError(
                f"scale_inverse (W₀⁻¹) must have shape {(n_features, n_features)} for X with {n_features}"
                f" columns; got {scale_inverse.shape}"
            )
        return VariationalPrior(
            concentration=1.0 / n_components if self.concentration is None else self.concentration,
            mean_precision=1.0 if self.mean_precision is None else self.mean_precision,
            mean=mean,
            degrees_of_freedom=float(n_features) if self.degrees_of_freedom is None else self.degrees_of_freedom,
            scale_inverse=scale_inverse,
        )

    def __repr__(self) -> str:
        shown = []
        for name in ("concentration", "mean_precision", "degrees_of_freedom"):
            value = getattr(self, name)
            shown.append(f"{name}={'default' if value is None else f'{value:g}'}")
        for name in ("mean", "scale_inverse"):
            value = getattr(self, name)
            shown.append(f"{name}={'default' if value is None else f'array of shape {value.shape}'}")
        return f"VariationalPrior({', '.join(shown)})"


class _Hyper(NamedTuple):
    """A resolved prior as the formulas use it: α₀, β₀, m₀, ν₀, W₀⁻¹, its Cholesky factor L₀ and log |W₀|."""

    concentration: float
    mean_precision: float
    mean: np.ndarray
    degrees_of_freedom: float
    scale_inverse: np.ndarray
    scale_inverse_cholesky: np.ndarray
    log_det_scale: float


def _hyper(prior: VariationalPrior, data: np.ndarray, weights: np.ndarray, n_components: int) -> _Hyper:
    resolved = prior._resolved(data, weights, n_components)
    _check_degrees_of_freedom(resolved.degrees_of_freedom, data.shape[1], "degrees_of_freedom (ν₀)")
    factor = np.linalg.cholesky(resolved.scale_inverse)
    return _Hyper(
        resolved.concentration,
        resolved.mean_precision,
        resolved.mean,
        resolved.degrees_of_freedom,
        resolved.scale_inverse,
        factor,
        -2.0 * float(np.sum(np.log(np.diag(factor)))),
    )


# --- expectations under q(θ) and normalisers ----------------------------------------------------


def _log_det_scales(params: VariationalParams) -> np.ndarray:
    """log |W_k| = −2 Σ_d log (L_k)_dd, shape (K,)."""
    return -2.0 * np.sum(np.log(np.diagonal(params.scale_inverse_cholesky, axis1=1, axis2=2)), axis=1)


def _expected_log_weights(concentration: np.ndarray) -> np.ndarray:
    """E[log π_k] = ψ(α_k) − ψ(Σ_j α_j) (Bishop eq. 10.66), shape (K,)."""
    return digamma(concentration) - digamma(concentration.sum())


def _expected_log_det_precision(degrees_of_freedom: np.ndarray, log_det_scale: np.ndarray, n_features: int):
    """E[log |Λ_k|] = Σ_{i=1}^{D} ψ((ν_k + 1 − i)/2) + D log 2 + log |W_k| (Bishop eq. 10.65), shape (K,)."""
    halves = 0.5 * (np.asarray(degrees_of_freedom)[..., np.newaxis] - np.arange(n_features))
    return digamma(halves).sum(axis=-1) + n_features * np.log(2.0) + log_det_scale


def _squared_whitened_norms(rows: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """‖L⁻¹ rowᵀ‖² for each row of ``rows`` (shape (M, D)): rowᵀ (L Lᵀ)⁻¹ row, shape (M,)."""
    return np.square(solve_triangular(factor, rows.T, lower=True)).sum(axis=0)


def _expected_mahalanobis(data: np.ndarray, params: VariationalParams) -> np.ndarray:
    """E[(x_n − μ_k)ᵀ Λ_k (x_n − μ_k)] = D/β_k + ν_k (x_n − m_k)ᵀ W_k (x_n − m_k) (Bishop eq. 10.64), shape (N, K)."""
    distances = np.column_stack(
        [
            _squared_whitened_norms(data - params.means[k], params.scale_inverse_cholesky[k])
            for k in range(params.n_components)
        ]
    )
    return params.n_features / params.mean_precision + params.degrees_of_freedom * distances


def _log_dirichlet_normaliser(concentration: np.ndarray) -> float:
    """log C(α) = log Γ(Σ_k α_k) − Σ_k log Γ(α_k) (Bishop eq. B.23)."""
    return float(gammaln(concentration.sum()) - gammaln(concentration).sum())


def _log_wishart_normaliser(degrees_of_freedom, log_det_scale, n_features: int):
    """log B(W, ν) = −(ν/2) log |W| − (ν D/2) log 2 − log Γ_D(ν/2) (Bishop eq. B.79; Γ_D the multivariate gamma)."""
    degrees_of_freedom = np.asarray(degrees_of_freedom, dtype=np.float64)
    return (
        -0.5 * degrees_of_freedom * log_det_scale
        - 0.5 * degrees_of_freedom * n_features * np.log(2.0)
        - multigammaln(0.5 * degrees_of_freedom[..., np.newaxis], n_features)[..., 0]
    )


def _wishart_entropy(degrees_of_freedom, log_det_scale, expected_log_det, n_features: int):
    """H[Wishart(W, ν)] = −log B(W, ν) − ((ν − D − 1)/2) E[log |Λ|] + ν D/2 (Bishop eq. B.82)."""
    return (
        -_log_wishart_normaliser(degrees_of_freedom, log_det_scale, n_features)
        - 0.5 * (degrees_of_freedom - n_features - 1.0) * expected_log_det
        + 0.5 * degrees_of_freedom * n_features
    )


def _log_rho(data: np.ndarray, params: VariationalParams) -> tuple[np.ndarray, np.ndarray]:
    """The E-step's log ρ_nk without its E[log π_k]: ½ E[log |Λ_k|] − D/2 log 2π − ½ E[Mahalanobis], shape (N, K).

    Bishop eq. 10.46 with 10.64 and 10.65; returned with E[log π_k] (eq. 10.66), shape (K,), so
    that log ρ_nk is their sum.
    """
    expected_log_det = _expected_log_det_precision(
        params.degrees_of_freedom, _log_det_scales(params), params.n_features
    )
    log_gaussian = 0.5 * (expected_log_det - params.n_features * _LOG_2PI - _expected_mahalanobis(data, params))
    return log_gaussian, _expected_log_weights(params.concentration)


# --- the ELBO's parameter terms (Bishop eqs. 10.73, 10.74, 10.76, 10.77) ------------------------


def _weights_term(params: VariationalParams, hyper: _Hyper) -> float:
    """E[log p(π)] − E[log q(π)] = −KL(q(π) ‖ p(π)) (Bishop eqs. 10.73 and 10.76)."""
    alpha, alpha0 = params.concentration, hyper.concentration
    expected_log_weights = _expected_log_weights(alpha)
    prior_normaliser = _log_dirichlet_normaliser(np.full(params.n_components, alpha0))
    prior = prior_normaliser + (alpha0 - 1.0) * float(expected_log_weights.sum())  # eq. 10.73
    posterior = float((alpha - 1.0) @ expected_log_weights) + _log_dirichlet_normaliser(alpha)  # eq. 10.76
    return prior - posterior


def _components_term(params: VariationalParams, hyper: _Hyper) -> float:
    """E[log p(μ, Λ)] − E[log q(μ, Λ)] = −Σ_k KL(q(μ_k, Λ_k) ‖ p(μ_k, Λ_k)) (Bishop eqs. 10.74 and 10.77)."""
    D, K = params.n_features, params.n_components
    beta, nu = params.mean_precision, params.degrees_of_freedom
    log_det_scale = _log_det_scales(params)
    expected_log_det = _expected_log_det_precision(nu, log_det_scale, D)  # log Λ̃_k
    # (m_k − m₀)ᵀ W_k (m_k − m₀) and Tr(W₀⁻¹ W_k) = ‖L_k⁻¹ L₀‖²_F, both by triangular solves with L_k
    offsets = np.array(
        [
            _squared_whitened_norms((params.means[k] - hyper.mean)[np.newaxis], params.scale_inverse_cholesky[k])[0]
            for k in range(K)
        ]
    )
    traces = np.array(
        [
            np.square(
                solve_triangular(params.scale_inverse_cholesky[k], hyper.scale_inverse_cholesky, lower=True)
            ).sum()
            for k in range(K)
        ]
    )
    prior = (
        0.5
        * np.sum(
            D * np.log(hyper.mean_precision / (2.0 * np.pi))
            + expected_log_det
            - D * hyper.mean_precision / beta
            - hyper.mean_precision * nu * offsets
        )
        + K * _log_wishart_normaliser(hyper.degrees_of_freedom, hyper.log_det_scale, D)
        + 0.5 * (hyper.degrees_of_freedom - D - 1.0) * np.sum(expected_log_det)
        - 0.5 * np.sum(nu * traces)
    )  # eq. 10.74
    posterior = np.sum(
        0.5 * expected_log_det
        + 0.5 * D * np.log(beta / (2.0 * np.pi))
        - 0.5 * D
        - _wishart_entropy(nu, log_det_scale, expected_log_det, D)
    )  # eq. 10.77
    return float(prior - posterior)


# --- the model ----------------------------------------------------------------------------------


class VariationalGaussianMixture(LatentVariableModel):
    """The Bayesian Gaussian mixture fitted by variational EM (Bishop 2006, §10.2), on emlib's interface.

    **Its "log-likelihood" is the ELBO.** What :meth:`expectation` reports, and so what
    :func:`emlib.fit_em` records in ``EMResult.log_likelihoods`` and ``EMResult.objectives``
    and what its stopping rule watches, is the evidence lower bound L(q) (Bishop eqs.
    10.70-10.77), at most the log evidence log p(X). Each E-step and each M-step maximises L
    over one factor of q, so coordinate ascent can only raise it: the recorded sequence is
    non-decreasing, as EM's log-likelihood is.

    The parameters the drivers carry are those of q(θ) (:class:`VariationalParams`); the E-step's
    statistics are the responsibilities r_nk = q(z_n = k), shape (N, K). This is a
    :class:`emlib.LatentVariableModel`, not a :class:`emlib.MixtureModel`: its E-step is Bayes'
    theorem with *expected* log-parameters under q(θ), not with the log-parameters of a point θ.

    Parameters
    ----------
    prior : VariationalPrior, optional
        The prior; default ``VariationalPrior()``, every hyper-parameter data-driven.

    Examples
    --------
    >>> import numpy as np, emlib
    >>> from emlib.variational import fit_variational_gmm
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
    >>> fit = fit_variational_gmm(X, 4)
    >>> int(np.sum(fit.params.expected_weights > 0.01))
    2
    """

    def __init__(self, prior: VariationalPrior | None = None):
        if prior is None:
            prior = VariationalPrior()
        if not isinstance(prior, VariationalPrior):
            raise TypeError(f"prior must be None or an emlib VariationalPrior; got {type(prior).__name__}")
        self.prior = prior

    def check_data(self, X) -> np.ndarray:
        """Real data of shape (N, D), N >= 1, finite."""
        return check_data(X)

    def check_params(self, data, params, name: str = "params") -> None:
        if not isinstance(params, VariationalParams):
            raise TypeError(f"{name} must be an emlib VariationalParams; got {type(params).__name__}")
        if data is not None:
            if data.shape[1] != params.n_features:
                raise ValueError(f"{name} has {params.n_features} features (means.shape[1]) but X has {data.shape[1]}")
            _hyper(self.prior, data, np.ones(len(data)), params.n_components)  # the prior fits X: errors name it

    def expectation(self, data: np.ndarray, weights: np.ndarray, params: VariationalParams) -> EStep:
        """The variational E-step: q(z) given q(θ), and the ELBO L(q) at the new q(z) and the given q(θ).

        r_nk = ρ_nk / Σ_j ρ_nj with log ρ_nk = E[log π_k] + ½ E[log det Λ_k] − (D/2) log 2π
        − ½ E[(x_n − μ_k)ᵀ Λ_k (x_n − μ_k)] (Bishop eqs. 10.46, 10.49, 10.64-10.66), normalised in
        log space. For this r the terms of L that involve q(z) (eqs. 10.71, 10.72 and 10.75) add
        up to Σ_n w_n log Σ_k ρ_nk, to which the parameters' terms (:meth:`lower_bound`) are added.

        Returns
        -------
        EStep
            ``statistics``: the responsibilities, shape (N, K); ``log_likelihood``: the ELBO.
        """
        hyper = _hyper(self.prior, data, weights, params.n_components)
        log_gaussian, expected_log_weights = _log_rho(data, params)
        log_normalisers, responsibilities = bayes(log_gaussian, expected_log_weights, overwrite=True)
        data_term = total_log_likelihood(weights, log_normalisers, "the ELBO of X")
        return EStep(responsibilities, data_term + _weights_term(params, hyper) + _components_term(params, hyper))

    def maximization(
        self, data: np.ndarray, weights: np.ndarray, responsibilities: np.ndarray, previous
    ) -> VariationalParams:
        """The variational M-step: q(π) and q(μ_k, Λ_k) given q(z) (Bishop eqs. 10.51-10.53, 10.58, 10.60-10.63).

        With N_k = Σ_n w_n r_nk, x̄_k = Σ_n w_n r_nk x_n / N_k and the scatter about x̄_k,
        N_k S_k = Σ_n w_n r_nk (x_n − x̄_k)(x_n − x̄_k)ᵀ (two passes: centred on each component):

            α_k = α₀ + N_k,   β_k = β₀ + N_k,   m_k = (β₀ m₀ + N_k x̄_k) / β_k,   ν_k = ν₀ + N_k,
            W_k⁻¹ = W₀⁻¹ + N_k S_k + (β₀ N_k / (β₀ + N_k)) (x̄_k − m₀)(x̄_k − m₀)ᵀ.

        ν_k = ν₀ + N_k is the conjugate update: the Wishart's degrees of freedom grow by one per
        (expected) observation, as in scikit-learn. A component with N_k = 0 gets the prior's q. ``previous`` is not needed.
        """
        hyper = _hyper(self.prior, data, weights, responsibilities.shape[1])
        weighted = responsibilities * weights[:, np.newaxis]
        counts = weighted.sum(axis=0)  # N_k, eq. 10.51
        D = data.shape[1]
        component_means = np.empty((len(counts), D))
        factors = np.empty((len(counts), D, D))
        for k, count in enumerate(counts):
            centre = (weighted[:, k] @ data) / count if count > 0 else hyper.mean  # x̄_k, eq. 10.52
            centred = data - centre
            scatter = (centred.T * weighted[:, k]) @ centred  # N_k S_k, eq. 10.53
            offset = centre - hyper.mean
            shrinkage = hyper.mean_precision * count / (hyper.mean_precision + count)
            scale_inverse = hyper.scale_inverse + scatter + shrinkage * np.outer(offset, offset)  # eq. 10.62
            factors[k] = np.linalg.cholesky(0.5 * (scale_inverse + scale_inverse.T))
            component_means[k] = centre
        mean_precision = hyper.mean_precision + counts  # eq. 10.60
        means = hyper.mean_precision * hyper.mean + counts[:, np.newaxis] * component_means
        means /= mean_precision[:, np.newaxis]  # eq. 10.61
        return VariationalParams(
            hyper.concentration + counts,  # eq. 10.58
            mean_precision,
            means,
            hyper.degrees_of_freedom + counts,  # eq. 10.63
            factors,
        )

    # --- on raw inputs -------------------------------------------------------------------

    def _checked(self, X, params, sample_weight=None):
        data = self.check_data(X)
        self.check_params(data, params)
        return data, check_sample_weight(sample_weight, len(data))

    def lower_bound(self, X, responsibilities, params: VariationalParams, *, sample_weight=None) -> float:
        """The ELBO L(q) at any q(z) (``responsibilities``) and q(θ) (``params``) (Bishop eqs. 10.70-10.77).

        L = Σ_n w_n Σ_k r_nk (log ρ_nk − log r_nk)   (eqs. 10.71 + 10.72 − 10.75)
            + E[log p(π)] − E[log q(π)]             (eqs. 10.73 − 10.76)
            + E[log p(μ, Λ)] − E[log q(μ, Λ)]       (eqs. 10.74 − 10.77),

        with log ρ_nk as in :meth:`expectation`. At the E-step's r it equals the E-step's
        ``log_likelihood``; elsewhere it is lower.

        Parameters
        ----------
        X : array_like of shape (N, D)
        responsibilities : array_like of shape (N, K)
            q(z_n = k), rows on the probability simplex.
        params : VariationalParams
            q(θ), K components.
        sample_weight : array_like of shape (N,), optional

        Returns
        -------
        float
        """
        data, weights = self._checked(X, params, sample_weight)
        responsibilities = check_responsibilities(responsibilities, len(data))
        if responsibilities.shape[1] != params.n_components:
            raise ValueError(
                f"responsibilities have {responsibilities.shape[1]} columns but params has {params.n_components} components"
            )
        hyper = _hyper(self.prior, data, weights, params.n_components)
        log_gaussian, expected_log_weights = _log_rho(data, params)
        per_row = np.sum(
            responsibilities * (log_gaussian + expected_log_weights) - xlogy(responsibilities, responsibilities), axis=1
        )
        data_term = total_log_likelihood(weights, per_row, "the ELBO of X")
        return data_term + _weights_term(params, hyper) + _components_term(params, hyper)

    def predict_proba(self, X, params: VariationalParams) -> np.ndarray:
        """The responsibilities q(z_n = k) of the rows of X under q(θ), shape (N, K) (the E-step's, eq. 10.49)."""
        data, weights = self._checked(X, params)
        return self.expectation(data, weights, params).statistics

    def predict(self, X, params: VariationalParams) -> np.ndarray:
        """The component of largest responsibility of each row, shape (N,)."""
        return map_labels(self.predict_proba(X, params))

    def __repr__(self) -> str:
        return f"VariationalGaussianMixture(prior={self.prior!r})"


# --- the fit ------------------------------------------------------------------------------------


def fit_variational_gmm(
    X,
    n_components: int,
    *,
    prior: VariationalPrior | None = None,
    init=None,
    max_iter: int = 1000,
    tol: float = DEFAULT_TOL,
    random_state=0,
    sample_weight=None,
) -> EMResult:
    """Fit the variational Bayesian Gaussian mixture by variational EM (Bishop 2006, §10.2).

    Runs :class:`VariationalGaussianMixture` on emlib's EM driver (:func:`emlib.fit_em`) from a
    start q(θ)_0, until the ELBO rises by at most ``tol`` per unit of weight in one iteration.

    Parameters
    ----------
    X : array_like of shape (N, D)
        The data.
    n_components : int
        K >= 1, the number of components (an upper bound: surplus ones are emptied when α₀ < 1).
    prior : VariationalPrior, optional
        The prior; its defaults are filled in from X (:meth:`VariationalPrior.resolve`).
    init : None, VariationalParams or array_like of shape (N, K)
        The start. None: the responsibilities of emlib's k-means start
        (``emlib.fit_gmm(X, K, max_iter=0, random_state=random_state).posterior``), then one
        variational M-step. An (N, K) array: responsibilities, then one M-step (scikit-learn's
        ``_initialize``). A VariationalParams: q(θ)_0 itself.
    max_iter : int, default 1000
        Maximum number of iterations.
    tol : float, default 1e-8
        Threshold of the stopping rule, per unit of weight (book eq. :eq:`soft-em-stopping`).
    random_state : None, int or numpy.random.Generator, default 0
        Seed of the default start (checked, and otherwise unused, for the others).
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights, counting copies of a row.

    Returns
    -------
    EMResult
        ``params`` the final :class:`VariationalParams`; ``log_likelihoods`` and ``objectives``
        the ELBO of every iterate (non-decreasing), **not** log-likelihoods; ``posterior`` the
        responsibilities, shape (N, K); ``model`` a :class:`VariationalGaussianMixture` holding the
        resolved prior, so that ``emlib.fit_em(fit.model, X, fit.params)`` continues the fit.

    Warns
    -----
    ConvergenceWarning
        If the stopping rule was not met within ``max_iter`` iterations.
    """
    data = check_data(X)
    n_components = check_count(n_components, "n_components", minimum=1)
    weights = check_sample_weight(sample_weight, len(data))
    rng = check_random_state(random_state, "random_state")
    if prior is not None and not isinstance(prior, VariationalPrior):
        raise TypeError(f"prior must be None or an emlib VariationalPrior; got {type(prior).__name__}")
    model = VariationalGaussianMixture((prior or VariationalPrior())._resolved(data, weights, n_components))
    start = _start(model, data, weights, n_components, init, rng)
    return fit_em(model, data, start, max_iter=max_iter, tol=tol, sample_weight=weights)


def _start(model, data, weights, n_components, init, rng) -> VariationalParams:
    """q(θ)_0 from ``init`` (see :func:`fit_variational_gmm`)."""
    if isinstance(init, VariationalParams):
        model.check_params(data, init, name="init")
        if init.n_components != n_components:
            raise ValueError(f"init has {init.n_components} components but n_components is {n_components}")
        return init
    if init is None:
        with warnings.catch_warnings():  # an empty or collapsed start component is no trouble here: q gets the prior
            warnings.simplefilter("ignore", DegenerateFitWarning)
            start = fit_gmm(data, n_components, max_iter=0, random_state=rng, sample_weight=weights)
        responsibilities = start.posterior
    elif not isinstance(init, (np.ndarray, list, tuple)):
        raise TypeError(
            f"init must be None, an emlib VariationalParams or an (N, K) array of responsibilities; got {init!r}"
        )
    else:
        responsibilities = check_responsibilities(init, len(data), "init")
        if responsibilities.shape[1] != n_components:
            raise ValueError(
                f"init has {responsibilities.shape[1]} columns (components) but n_components is {n_components}"
            )
    return model.maximization(data, weights, responsibilities, None)
