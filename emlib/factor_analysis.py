"""Factor analysis and probabilistic PCA: a Gaussian latent variable z in place of a label.

The model (book eq. :eq:`fa-model`): each row is x_n = μ + W z_n + ε_n with z_n ~ N(0, I_q)
and ε_n ~ N(0, Ψ) independent, Ψ = diag(ψ) (factor analysis) or Ψ = σ² I (probabilistic PCA,
Tipping and Bishop 1999). So x_n ~ N(μ, C) with C = W Wᵀ + Ψ, and the posterior of z_n is
Gaussian (book eq. :eq:`fa-posterior`):

    z_n | x_n ~ N(M⁻¹ Wᵀ Ψ⁻¹ (x_n − μ), M⁻¹),   M = I + Wᵀ Ψ⁻¹ W,

computed here as β (x_n − μ) with β = Wᵀ C⁻¹ and M⁻¹ = I − Wᵀ C⁻¹ W (the Woodbury identity),
through a Cholesky factor of C: nothing divides by ψ_j, so an iterate near a Heywood case (a
uniqueness ψ_j → 0) stays finite.

The log-likelihood depends on the data only through the total weight, the weighted mean x̄ and
the weighted scatter about it, so the validated data (``emlib.factor_analysis.FactorData``) compute those once per
set of row weights and every E-step costs O(D³) (the Cholesky factor of C), whatever N.

On emlib's model interface (:class:`emlib.LatentVariableModel`) every driver runs:
EM, SQUAREM and ECG / the EM–ECG hybrid (flat coordinates (μ, W, ψ) and the score ∇ℓ);
classification EM has no meaning for a continuous z and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh, solve_triangular
from scipy.linalg.lapack import dpotrf as _potrf
from scipy.linalg.lapack import dtrtrs as _trtrs

from ._validation import (
    as_float_array,
    check_count,
    check_data,
    check_nonnegative_real,
    check_random_state,
    check_sample_weight,
)
from .drivers import _check_callback, _check_method, _warn_if_not_converged, run
from .model import EStep, LatentVariableModel
from .result import EMResult
from .stopping import check_stopping

__all__ = [
    "NOISE_TYPES",
    "FactorAnalysisModel",
    "FactorData",
    "FactorParams",
    "FactorStatistics",
    "fit_factor_analysis",
    "fit_ppca",
    "ppca_maximum_likelihood",
]

#: The noise models: a uniqueness ψ_j per column (factor analysis) or one σ² (probabilistic PCA).
NOISE_TYPES = ("diagonal", "isotropic")
#: Default threshold of the stopping rule of fit_factor_analysis and fit_ppca, per unit of weight.
DEFAULT_TOL = 1e-8
#: Default iteration cap of fit_factor_analysis and fit_ppca (EM for factor analysis is slow).
DEFAULT_MAX_ITER = 20000
_LOG_2PI = float(np.log(2.0 * np.pi))
_EPS = float(np.finfo(np.float64).eps)


# --- parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FactorParams:
    """The parameters θ = (μ, W, ψ) of a factor model (book eq. :eq:`fa-model`).

    The object is immutable: its arrays are read-only float64 copies, validated on construction.

    Parameters
    ----------
    mean : array_like of shape (D,)
        μ, the mean of x.
    loadings : array_like of shape (D, q)
        W, the factor loadings, q >= 1.
    noise_variances : array_like of shape (D,)
        ψ, the noise variances (uniquenesses), all > 0; for probabilistic PCA all equal to σ².
    """

    mean: np.ndarray
    loadings: np.ndarray
    noise_variances: np.ndarray

    def __post_init__(self):
        mean = as_float_array(self.mean, "mean", ndim=1, copy=True)
        loadings = as_float_array(self.loadings, "loadings", ndim=2, copy=True)
        noise = as_float_array(self.noise_variances, "noise_variances", ndim=1, copy=True)
        n_features = mean.shape[0]
        if n_features < 1:
            raise ValueError("mean must have at least one entry (one per column of X)")
        if loadings.shape[0] != n_features or loadings.shape[1] < 1:
            raise ValueError(
                f"loadings must have shape (D, q) = ({n_features}, q) with q >= 1, one row per entry of mean;"
                f" got shape {loadings.shape}"
            )
        if noise.shape != (n_features,):
            raise ValueError(
                f"noise_variances must have shape ({n_features},), one per entry of mean; got shape {noise.shape}"
            )
        if np.any(noise <= 0):
            raise ValueError(f"noise_variances must all be > 0; got minimum {noise.min()!r}")
        for name, array in (("mean", mean), ("loadings", loadings), ("noise_variances", noise)):
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    @classmethod
    def _trusted(cls, mean: np.ndarray, loadings: np.ndarray, noise_variances: np.ndarray) -> FactorParams:
        """Parameters computed by emlib itself (finite float64 arrays of matching shapes, ψ > 0), unchecked."""
        params = object.__new__(cls)
        for name, array in (("mean", mean), ("loadings", loadings), ("noise_variances", noise_variances)):
            array = np.array(array, dtype=np.float64)
            array.flags.writeable = False
            object.__setattr__(params, name, array)
        return params

    @property
    def n_features(self) -> int:
        """D, the number of columns of x."""
        return self.mean.shape[0]

    @property
    def n_factors(self) -> int:
        """q, the number of factors (columns of W)."""
        return self.loadings.shape[1]

    def covariance(self) -> np.ndarray:
        """C = W Wᵀ + diag(ψ), the covariance of x, shape (D, D)."""
        covariance = self.loadings @ self.loadings.T
        covariance[np.diag_indices_from(covariance)] += self.noise_variances
        return covariance

    def __repr__(self) -> str:
        return f"FactorParams(n_features={self.n_features}, n_factors={self.n_factors})"


# --- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Moments:
    total_weight: float
    mean: np.ndarray  # (D,)
    scatter: np.ndarray  # (D, D): Σ_n w_n (x_n − x̄)(x_n − x̄)ᵀ
    root: np.ndarray  # (D, r): G with G Gᵀ = scatter (its eigenvectors times the square roots of its eigenvalues)


class FactorData:
    """Validated rows for :class:`FactorAnalysisModel`: X of shape (N, D), and its weighted moments.

    The first axis indexes rows (``len`` is N). :meth:`moments` computes the total weight, the
    weighted mean and the weighted scatter about it once per set of row weights (it keeps the
    last), so that EM's iterations do not pass over the rows again.
    """

    def __init__(self, X: np.ndarray):
        self.X = X
        self._last = None  # (weights, moments)

    def __len__(self) -> int:
        return self.X.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return self.X.shape

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def moments(self, weights: np.ndarray) -> _Moments:
        """Total weight Σ w_n, weighted mean x̄ (D,) and scatter Σ w_n (x_n − x̄)(x_n − x̄)ᵀ (D, D), checked."""
        if self._last is not None and np.array_equal(self._last[0], weights):
            return self._last[1]
        moments = _weighted_moments(self.X, weights)
        self._last = (weights.copy(), moments)
        return moments


def _weighted_moments(X: np.ndarray, weights: np.ndarray) -> _Moments:
    """The moments of the rows of positive weight, with the checks a factor model needs of them."""
    counted = weights > 0
    if np.count_nonzero(counted) < 2:
        raise ValueError(
            f"X must have at least 2 rows of positive sample_weight for a factor model; got {np.count_nonzero(counted)}"
        )
    rows, row_weights = X[counted], weights[counted]
    total = float(row_weights.sum())
    with np.errstate(over="ignore", invalid="ignore"):
        mean = (row_weights @ rows) / total
        centred = rows - mean
        scatter = (centred * row_weights[:, np.newaxis]).T @ centred
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scatter))):
        raise ValueError("X's spread is beyond the range of float64 (its scatter overflows); rescale X")
    scatter = 0.5 * (scatter + scatter.T)
    variances = np.diag(scatter) / total
    # a column whose variance is zero, or only rounding of its values, has no noise to estimate
    level = 16.0 * _EPS * np.hypot(mean, np.sqrt(variances))  # the rounding level of the column's values
    flat = np.flatnonzero(~(np.sqrt(variances) > level))
    if flat.size:
        raise ValueError(
            f"X column {int(flat[0])} is constant over the rows of positive weight (variance"
            f" {variances[flat[0]]:.3g}): a factor model needs spread in every column (its noise variance would be 0);"
            " drop the column"
        )
    if np.any(variances < np.finfo(np.float64).tiny / _EPS):
        raise ValueError("X's spread is too small for float64 (its variances underflow); rescale X")
    values, vectors = eigh(scatter)
    kept = values > 0
    return _Moments(total, mean, scatter, vectors[:, kept] * np.sqrt(values[kept]))


# --- the E-step's statistics -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FactorStatistics:
    """The expected sufficient statistics of the complete data (x, z) at θ_old (book eq. :eq:`fa-e-step`).

    Sums over rows with their weights, centred on the weighted sample mean x̄ (which is also the
    M-step's μ, so after the first iteration, where μ_old = x̄, they are exactly the sums of book
    eqs. :eq:`fa-m-step-w` and :eq:`fa-m-step-psi`).

    Attributes
    ----------
    total_weight : float
        Σ_n w_n.
    sample_mean : ndarray of shape (D,)
        x̄ = Σ_n w_n x_n / Σ_n w_n.
    scatter : ndarray of shape (D, D)
        Σ_n w_n (x_n − x̄)(x_n − x̄)ᵀ.
    cross_moment : ndarray of shape (D, q)
        Σ_n w_n (x_n − x̄) E[z_n]ᵀ, with E[z_n] = β (x_n − μ_old) (book eq. :eq:`fa-posterior`).
    factor_moment : ndarray of shape (q, q)
        Σ_n w_n E[(z_n − z̄)(z_n − z̄)ᵀ] = Σ_n w_n (M⁻¹ + β (x_n − x̄)(x_n − x̄)ᵀ βᵀ), z̄ the weighted mean
        of the E[z_n] (zero when μ_old = x̄, and then this is Σ_n w_n E[z_n z_nᵀ]).
    posterior_covariance : ndarray of shape (q, q)
        M⁻¹ = Cov(z_n | x_n), the same for every row.
    projection : ndarray of shape (q, D)
        β = Wᵀ C⁻¹ at θ_old: E[z_n | x_n] = β (x_n − μ_old).
    scatter_root : ndarray of shape (D, r)
        G with G Gᵀ = ``scatter`` (r its rank), for the M-step's ψ as a sum of squares.
    """

    total_weight: float
    sample_mean: np.ndarray
    scatter: np.ndarray
    cross_moment: np.ndarray
    factor_moment: np.ndarray
    posterior_covariance: np.ndarray
    projection: np.ndarray
    scatter_root: np.ndarray


# --- the model ------------------------------------------------------------------------------------


def _cholesky_of_covariance(params: FactorParams) -> np.ndarray:
    """The lower Cholesky factor L of C = W Wᵀ + diag(ψ) (book eq. :eq:`fa-model`), C = L Lᵀ."""
    factor, info = _potrf(params.covariance(), lower=1, clean=1, overwrite_a=1)
    if info != 0:
        raise ValueError(
            "the covariance W W^T + diag(noise_variances) is not numerically positive definite"
            " (noise variances at the rounding level of the loadings); rescale or restart"
        )
    return factor


def _solve_lower(factor: np.ndarray, right: np.ndarray, transpose: bool = False) -> np.ndarray:
    """L⁻¹ B (or L⁻ᵀ B) for the lower-triangular L, by LAPACK's triangular solve."""
    solution, info = _trtrs(factor, right, lower=1, trans=1 if transpose else 0)
    if info != 0:  # a zero on L's diagonal: impossible for a successful Cholesky factor
        raise ValueError("the Cholesky factor of W W^T + diag(noise_variances) is singular")
    return solution


def _posterior_and_log_likelihood(moments: _Moments, params: FactorParams):
    """β = Wᵀ C⁻¹ (q, D), M⁻¹ = I − Wᵀ C⁻¹ W (q, q) (book eq. :eq:`fa-posterior`) and ℓ(θ).

    With C = L Lᵀ, one triangular solve gives A = L⁻¹ W, H = L⁻¹ G (G Gᵀ the scatter about x̄) and
    o = L⁻¹ (x̄ − μ): Wᵀ C⁻¹ W = AᵀA, tr(C⁻¹ · scatter) = ‖H‖², and

        ℓ = −½ [Σw (D log 2π + log det C + ‖o‖²) + ‖H‖²] = Σ_n w_n log N(x_n; μ, C).
    """
    factor = _cholesky_of_covariance(params)
    n_factors = params.n_factors
    offset = moments.mean - params.mean
    solved = _solve_lower(factor, np.column_stack([params.loadings, moments.root, offset]))
    whitened, root, offset = solved[:, :n_factors], solved[:, n_factors:-1], solved[:, -1]
    projection = _solve_lower(factor, whitened, transpose=True).T  # (C⁻¹ W)ᵀ
    covariance = np.eye(n_factors) - whitened.T @ whitened
    total = moments.total_weight
    log_det = 2.0 * float(np.sum(np.log(np.diag(factor))))
    with np.errstate(over="ignore", invalid="ignore"):
        log_likelihood = -0.5 * (
            total * (params.n_features * _LOG_2PI + log_det + float(offset @ offset)) + float(np.sum(root * root))
        )
    if not (np.isfinite(log_likelihood) and np.all(np.isfinite(projection))):
        raise ValueError(
            "the log-likelihood of X under these parameters is beyond the range of float64: X's spread or"
            " distance from the mean is too large for the covariance W W^T + diag(noise_variances); rescale X"
        )
    return projection, 0.5 * (covariance + covariance.T), log_likelihood


class FactorAnalysisModel(LatentVariableModel):
    """Factor analysis (``noise="diagonal"``) or probabilistic PCA (``noise="isotropic"``) on the common interface.

    The model of book eq. :eq:`fa-model`: x = μ + W z + ε, z ~ N(0, I_q), ε ~ N(0, Ψ) with
    Ψ = diag(ψ) or Ψ = σ² I. Parameters are :class:`FactorParams`; the data, validated by
    :meth:`check_data`, are a ``emlib.factor_analysis.FactorData``.

    - E-step (:meth:`expectation`): the posterior of book eq. :eq:`fa-posterior` and the expected
      sufficient statistics of book eq. :eq:`fa-e-step` (:class:`FactorStatistics`), with
      ℓ(θ) = Σ_n w_n log N(x_n; μ, W Wᵀ + Ψ).
    - M-step (:meth:`maximization`): W from book eq. :eq:`fa-m-step-w`, ψ from
      :eq:`fa-m-step-psi` (σ² from :eq:`ppca-m-step-sigma`), and μ = x̄. The joint maximiser of
      Q over (μ, W, Ψ) has these W and Ψ for any μ_old (centring the statistics on x̄ makes them
      independent of μ_old) and μ = x̄ − W β (x̄ − μ_old); setting μ = x̄ instead maximises ℓ
      itself over μ for the new W and Ψ (a conditional maximisation, as in ECME, Liu and Rubin
      1994), so the step cannot lower ℓ either, and μ = x̄ from the first iteration on. The new ψ
      is computed as diag(R S Rᵀ + W M⁻¹ Wᵀ)/Σw with R = I − W β, which equals book eq.
      :eq:`fa-m-step-psi` at the new W and, being a sum of squares, never falls below 0; each
      ψ_j is kept at least (4ε)² times its column's variance (ε the machine epsilon), the
      rounding level, so C stays positive definite when EM approaches a Heywood case.
    - Flat coordinates (μ, vec W, ψ) — for PPCA (μ, vec W, σ²) — for SQUAREM, and the score
      ∇ℓ in them for ECG: with G = ∂ℓ/∂C = ½ C⁻¹ (S_μ − W_tot C) C⁻¹ (S_μ = Σ_n w_n (x_n − μ)(x_n − μ)ᵀ),
      ∂ℓ/∂μ = C⁻¹ Σ_n w_n (x_n − μ), ∂ℓ/∂W = 2 G W, ∂ℓ/∂ψ_j = G_jj (∂ℓ/∂σ² = tr G).

    Parameters
    ----------
    noise : {"diagonal", "isotropic"}, default "diagonal"
        Ψ = diag(ψ) (factor analysis) or Ψ = σ² I (probabilistic PCA; every ψ_j equal).
    """

    def __init__(self, noise: str = "diagonal"):
        if not isinstance(noise, str) or noise not in NOISE_TYPES:
            raise ValueError(f"noise must be one of {NOISE_TYPES}; got {noise!r}")
        self.noise = noise

    def __repr__(self) -> str:
        return f"FactorAnalysisModel(noise={self.noise!r})"

    @property
    def isotropic(self) -> bool:
        return self.noise == "isotropic"

    # --- checks --------------------------------------------------------------------------------

    def check_data(self, X) -> FactorData:
        """X as a finite float64 array of shape (N, D), wrapped in a ``emlib.factor_analysis.FactorData``."""
        if isinstance(X, FactorData):
            return X
        return FactorData(check_data(X))

    def check_params(self, data, params, name: str = "params") -> None:
        if not isinstance(params, FactorParams):
            raise TypeError(f"{name} must be an emlib.FactorParams; got {type(params).__name__}")
        if data is not None and params.n_features != data.n_features:
            raise ValueError(f"{name} has dimension {params.n_features} but X has {data.n_features} columns")
        if self.isotropic and np.any(params.noise_variances != params.noise_variances[0]):
            raise ValueError(
                f"{name} must have equal noise_variances (sigma^2 for every column) for isotropic noise"
                " (probabilistic PCA); pass noise_variances=np.full(D, sigma2)"
            )

    # --- the model ------------------------------------------------------------------------------

    def expectation(self, data: FactorData, weights: np.ndarray, params: FactorParams) -> EStep:
        """The E-step (book eqs. :eq:`fa-posterior`, :eq:`fa-e-step`): :class:`FactorStatistics` and ℓ(θ)."""
        moments = data.moments(weights)
        projection, posterior_covariance, log_likelihood = _posterior_and_log_likelihood(moments, params)
        cross = moments.scatter @ projection.T  # Σ w (x − x̄)(x − x̄)ᵀ βᵀ
        factor_moment = moments.total_weight * posterior_covariance + projection @ cross
        statistics = FactorStatistics(
            total_weight=moments.total_weight,
            sample_mean=moments.mean,
            scatter=moments.scatter,
            cross_moment=cross,
            factor_moment=0.5 * (factor_moment + factor_moment.T),
            posterior_covariance=posterior_covariance,
            projection=projection,
            scatter_root=moments.root,
        )
        return EStep(statistics, log_likelihood)

    def maximization(self, data, weights: np.ndarray, statistics: FactorStatistics, previous) -> FactorParams:
        """W (book eq. :eq:`fa-m-step-w`), ψ (:eq:`fa-m-step-psi`, or σ², :eq:`ppca-m-step-sigma`) and μ = x̄."""
        s = statistics
        try:
            loadings = np.linalg.solve(s.factor_moment, s.cross_moment.T).T
        except np.linalg.LinAlgError:
            raise ValueError(
                "the M-step cannot solve for the loadings: the factors' expected second moment is singular"
            ) from None
        # diag(R S Rᵀ) with R = I − W β and S = G Gᵀ: the squared rows of G − W (β G)
        residual = s.scatter_root - loadings @ (s.projection @ s.scatter_root)
        spread = np.sum(residual * residual, axis=1)
        posterior = np.sum((loadings @ s.posterior_covariance) * loadings, axis=1) * s.total_weight
        noise = (spread + np.maximum(posterior, 0.0)) / s.total_weight
        floor = (4.0 * _EPS) ** 2 * np.diag(s.scatter) / s.total_weight
        if self.isotropic:
            noise = np.full(noise.shape, max(float(noise.mean()), float(floor.mean())))
        else:
            noise = np.maximum(noise, floor)
        if not (np.all(np.isfinite(loadings)) and np.all(np.isfinite(noise))):
            raise ValueError("the M-step's loadings are not finite (the factors' second moment is singular)")
        return FactorParams._trusted(s.sample_mean, loadings, noise)

    def posterior(self, X, params: FactorParams) -> tuple[np.ndarray, np.ndarray]:
        """p(z_n | x_n, θ) = N(means[n], covariance) (book eq. :eq:`fa-posterior`).

        Parameters
        ----------
        X : array_like of shape (N, D)
        params : FactorParams

        Returns
        -------
        means : ndarray of shape (N, q)
            E[z_n | x_n] = M⁻¹ Wᵀ Ψ⁻¹ (x_n − μ), computed as Wᵀ C⁻¹ (x_n − μ).
        covariance : ndarray of shape (q, q)
            Cov(z_n | x_n) = M⁻¹, M = I + Wᵀ Ψ⁻¹ W, computed as I − Wᵀ C⁻¹ W; the same for every row.
        """
        data = self.check_data(X)
        self.check_params(data, params)
        zero = np.zeros((params.n_features, 0))
        moments = _Moments(1.0, params.mean, np.zeros((params.n_features, params.n_features)), zero)
        projection, covariance, _ = _posterior_and_log_likelihood(moments, params)
        with np.errstate(over="ignore", invalid="ignore"):
            means = (data.X - params.mean) @ projection.T
        if not np.all(np.isfinite(means)):
            raise ValueError("X is too far from the mean for float64: the posterior means overflow; rescale X")
        return means, covariance

    # --- pieces for SQUAREM and ECG --------------------------------------------------------------

    def flatten(self, params: FactorParams) -> np.ndarray:
        """(μ, W row by row, ψ), or (μ, W, σ²) for isotropic noise."""
        noise = params.noise_variances[:1] if self.isotropic else params.noise_variances
        return np.concatenate([params.mean, params.loadings.ravel(), noise])

    def unflatten(self, vector: np.ndarray, like: FactorParams) -> FactorParams | None:
        n_features, n_factors = like.n_features, like.n_factors
        mean = vector[:n_features]
        loadings = vector[n_features : n_features * (1 + n_factors)].reshape(n_features, n_factors)
        noise = vector[n_features * (1 + n_factors) :]
        if not (np.all(np.isfinite(vector)) and np.all(noise > 0)):
            return None
        if self.isotropic:
            noise = np.full(n_features, noise[0])
        return FactorParams(mean, loadings, noise)

    def score(self, data: FactorData, weights: np.ndarray, params: FactorParams, statistics=None) -> np.ndarray:
        """∇ℓ in the :meth:`flatten` coordinates (see the class notes), shape (D + D q + D,) or (D + D q + 1,)."""
        moments = data.moments(weights)
        factor = _cholesky_of_covariance(params)
        offset = moments.mean - params.mean
        about_mean = moments.scatter + moments.total_weight * np.outer(offset, offset)
        excess = about_mean - moments.total_weight * params.covariance()
        inner = _solve_lower(factor, _solve_lower(factor, excess), transpose=True)  # C⁻¹ (S_μ − W C)
        gradient_c = 0.5 * _solve_lower(factor, _solve_lower(factor, inner.T), transpose=True)
        gradient_c = 0.5 * (gradient_c + gradient_c.T)
        mean_score = moments.total_weight * _solve_lower(factor, _solve_lower(factor, offset), transpose=True)
        loadings_score = 2.0 * gradient_c @ params.loadings
        noise_score = np.diag(gradient_c)
        if self.isotropic:
            noise_score = np.array([noise_score.sum()])
        return np.concatenate([mean_score, loadings_score.ravel(), noise_score])

    def n_parameters(self, params: FactorParams) -> int:
        """D (μ) + D q − q (q − 1)/2 (W up to rotation) + D (ψ) or 1 (σ²)."""
        n_features, n_factors = params.n_features, params.n_factors
        noise = 1 if self.isotropic else n_features
        return n_features + n_features * n_factors - n_factors * (n_factors - 1) // 2 + noise


# --- closed form for PPCA --------------------------------------------------------------------------


def _eigen_of_covariance(moments: _Moments) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvectors of the weighted ML covariance S = scatter / Σw."""
    values, vectors = eigh(moments.scatter / moments.total_weight)
    return values[::-1], vectors[:, ::-1]


def _ppca_from_eigen(mean, values, vectors, n_components) -> FactorParams:
    """Tipping and Bishop's (1999) closed form (book eq. :eq:`ppca-closed-form`) from S's eigenpairs."""
    n_features = values.shape[0]
    sigma2 = float(np.mean(np.maximum(values[n_components:], 0.0)))
    floor = (4.0 * _EPS) ** 2 * float(np.mean(np.maximum(values, 0.0)))
    sigma2 = max(sigma2, floor)
    scales = np.sqrt(np.maximum(values[:n_components] - sigma2, 0.0))
    loadings = vectors[:, :n_components] * scales
    return FactorParams(mean, loadings, np.full(n_features, sigma2))


def ppca_maximum_likelihood(X, n_components: int, *, sample_weight=None) -> FactorParams:
    """The maximum-likelihood PPCA parameters in closed form (Tipping and Bishop 1999; book eq. :eq:`ppca-closed-form`).

    With S = Σ_n w_n (x_n − x̄)(x_n − x̄)ᵀ / Σ_n w_n (the weighted maximum-likelihood covariance)
    and its eigenvalues λ_1 ≥ … ≥ λ_D with eigenvectors U: μ = x̄, σ² = the mean of the D − q
    discarded eigenvalues λ_{q+1}, …, λ_D, and W = U_q (Λ_q − σ² I)^{1/2} (the rotation R of
    Tipping and Bishop's W = U_q (Λ_q − σ² I)^{1/2} R taken as I). When λ_q = λ_{q+1} the
    principal subspace, and so W, is not unique.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data, N >= 2 rows of positive weight, no constant column.
    n_components : int
        q, 1 <= q <= D − 1.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (a weight counts copies of a row).

    Returns
    -------
    FactorParams
        noise_variances all equal to σ².
    """
    data, weights, n_components = _check_fit_inputs(X, n_components, sample_weight, "n_components", "isotropic")
    moments = data.moments(weights)
    values, vectors = _eigen_of_covariance(moments)
    return _ppca_from_eigen(moments.mean, values, vectors, n_components)


# --- the fitting front doors -----------------------------------------------------------------------


def _max_factors(n_features: int, noise: str) -> int:
    """The most factors the model identifies: D − 1 for PPCA; for FA the largest q with (D − q)² >= D + q."""
    if noise == "isotropic":
        return n_features - 1
    q = 0
    while (n_features - q - 1) ** 2 >= n_features + q + 1:
        q += 1
    return q


def _check_fit_inputs(X, n_factors, sample_weight, name: str, noise: str):
    data = FactorData(check_data(X))
    n_factors = check_count(n_factors, name, minimum=1)
    n_features = data.n_features
    limit = _max_factors(n_features, noise)
    if n_factors > limit:
        if noise == "isotropic":
            raise ValueError(f"{name} ({n_factors}) must be less than the number of columns of X ({n_features})")
        raise ValueError(
            f"{name} ({n_factors}) is too many factors for {n_features} columns of X: the model would have more"
            f" free parameters than the covariance has entries, (D - q)^2 < D + q; at most {limit} for D = {n_features}"
            + (" (factor analysis needs D >= 3 columns)" if limit == 0 else "")
        )
    weights = check_sample_weight(sample_weight, len(data))
    data.moments(weights)  # the data checks that need the weights: rows of positive weight, constant columns
    return data, weights, n_factors


def _default_start(moments: _Moments, n_factors: int, noise: str) -> FactorParams:
    """R factanal's start for ψ and the best W given it; for PPCA the principal axes.

    Factor analysis: ψ_j = (1 − q/(2D)) / (S⁻¹)_jj (factanal's start; (1 − q/(2D)) S_jj where S is
    singular), then W = Ψ^{1/2} U_q (Λ_q − I)^{1/2} from the eigenpairs of Ψ^{-1/2} S Ψ^{-1/2},
    the W that maximises ℓ for that ψ, with each Λ_j − 1 kept at least 0.1 Λ_j so that no column
    of W starts at zero (EM would keep it there). PPCA: W = U_q (Λ_q − σ² I)^{1/2}, 0.1 Λ_j at
    least, with σ² the mean of all D eigenvalues of S (so EM still has σ² to find).
    """
    total = moments.total_weight
    covariance = moments.scatter / total
    n_features = covariance.shape[0]
    variances = np.diag(covariance)
    if noise == "isotropic":
        values, vectors = _eigen_of_covariance(moments)
        sigma2 = float(np.mean(values))
        scales = np.sqrt(np.maximum(values[:n_factors] - sigma2, 0.1 * values[:n_factors]))
        return FactorParams(moments.mean, vectors[:, :n_factors] * scales, np.full(n_features, sigma2))
    shrink = 1.0 - 0.5 * n_factors / n_features
    try:
        factor = np.linalg.cholesky(covariance)
        inverse_diagonal = np.sum(solve_triangular(factor, np.eye(n_features), lower=True) ** 2, axis=0)
        psi = shrink / inverse_diagonal
        if not np.all(np.isfinite(psi) & (psi > 1e-8 * variances)):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        psi = shrink * variances
    root = np.sqrt(psi)
    values, vectors = eigh(covariance / np.outer(root, root))
    values, vectors = values[::-1][:n_factors], vectors[:, ::-1][:, :n_factors]
    scales = np.sqrt(np.maximum(values - 1.0, 0.1 * np.maximum(values, 0.0)) + _EPS)
    return FactorParams(moments.mean, root[:, np.newaxis] * vectors * scales, psi)


def _random_start(moments: _Moments, n_factors: int, noise: str, rng: np.random.Generator) -> FactorParams:
    """W with independent N(0, S_jj / q) entries in row j, ψ_j = S_jj / 2 (σ² their mean for PPCA), μ = x̄."""
    variances = np.diag(moments.scatter) / moments.total_weight
    n_features = variances.shape[0]
    loadings = rng.standard_normal((n_features, n_factors)) * np.sqrt(variances / n_factors)[:, np.newaxis]
    psi = 0.5 * variances
    if noise == "isotropic":
        psi = np.full(n_features, float(psi.mean()))
    return FactorParams(moments.mean, loadings, psi)


def _fit(
    X,
    n_factors,
    name,
    noise,
    *,
    method,
    init,
    max_iter,
    tol,
    random_state,
    sample_weight,
    callback,
    trajectory,
    stopping,
) -> EMResult:
    data, weights, n_factors = _check_fit_inputs(X, n_factors, sample_weight, name, noise)
    model = FactorAnalysisModel(noise)
    method = _check_method(method)
    if method == "hard":
        raise ValueError(
            "method 'hard' (classification EM) has no meaning for a factor model: its latent z is continuous,"
            " so there is no most probable label to assign; use 'em', 'squarem', 'ecg' or 'hybrid'"
        )
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    stopping = check_stopping(stopping)
    callback = _check_callback(callback)
    rng = check_random_state(random_state, "random_state")
    moments = data.moments(weights)
    if isinstance(init, FactorParams):
        model.check_params(data, init, name="init")
        if init.n_factors != n_factors:
            raise ValueError(f"init has {init.n_factors} factors but {name} is {n_factors}")
        start = init
    elif init is None:
        start = _default_start(moments, n_factors, noise)
    elif isinstance(init, str) and init == "random":
        start = _random_start(moments, n_factors, noise, rng)
    else:
        raise ValueError(f"init must be None, 'random' or an emlib.FactorParams; got {init!r}")
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
    _warn_if_not_converged(result, tol, max_iter, stacklevel=3)
    return result


def fit_factor_analysis(
    X,
    n_factors: int,
    *,
    method: str = "em",
    init=None,
    max_iter: int = DEFAULT_MAX_ITER,
    tol: float = DEFAULT_TOL,
    random_state=None,
    sample_weight=None,
    callback=None,
    trajectory: bool = False,
    stopping: str = "increment",
) -> EMResult:
    """Maximum-likelihood factor analysis by EM (book eqs. :eq:`fa-model` to :eq:`fa-m-step-psi`).

    Runs :class:`FactorAnalysisModel` ``(noise="diagonal")`` with the drivers every model shares.
    ℓ is invariant to W → W R for orthogonal R (the loadings are identified up to rotation;
    no rotation is applied). The fit is equivariant under x → A x + b for diagonal A: the fit of the
    rescaled data is the rescaled fit (μ → A μ + b, W → A W, ψ → A² ψ) and its log-likelihoods shift
    by −(Σ_n w_n) log|det A|. A uniqueness can tend to 0 (a Heywood case): EM then approaches the
    boundary ever more slowly, ψ_j stays positive and every quantity finite.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data: N >= 2 rows of positive weight, no constant column.
    n_factors : int
        q >= 1, at most the largest q with (D − q)² >= D + q: no more free parameters than the
        covariance has entries (R factanal's rule; so D >= 3).
    method : {"em", "squarem", "ecg", "hybrid"}, default "em"
        The driver (``emlib.drivers``); ``"hard"`` is refused (z is continuous).
    init : None, "random" or FactorParams, default None
        The start. None: a deterministic start, R factanal's ψ_j = (1 − q/(2D)) / (S⁻¹)_jj and
        the W that maximises ℓ for it. ``"random"``: μ = x̄, W with independent N(0, S_jj / q)
        entries in row j, ψ_j = S_jj / 2, drawn from ``random_state``.
    max_iter : int, default 20000
        Maximum number of iterations (EM for a factor model can be slow; see the book chapter).
    tol : float, default 1e-8
        Threshold of the stopping rule per unit of weight (book eq. :eq:`soft-em-stopping`).
    random_state : None, int or numpy.random.Generator
        Seed of ``init="random"`` (checked, and otherwise unused, for the other starts).
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights: a weight counts copies of a row.
    callback : callable, optional
        ``callback(iteration, params, log_likelihood, objective)`` after the start and every iteration.
    trajectory : bool, default False
        Keep every accepted iterate in ``EMResult.trajectory``.
    stopping : {"increment", "relative", "aitken"}, default "increment"
        The stopping rule (``emlib.stopping``).

    Returns
    -------
    EMResult
        ``params`` a :class:`FactorParams`; ``log_likelihoods`` the history of
        ℓ(θ_t) = Σ_n w_n log N(x_n; μ_t, W_t W_tᵀ + Ψ_t), totals over rows; ``posterior`` the last
        E-step's :class:`FactorStatistics`; ``model`` the :class:`FactorAnalysisModel`, so that
        ``emlib.fit_em(fit.model, X, fit.params)`` continues the fit.

    Warns
    -----
    ConvergenceWarning
        If the stopping rule was not met within ``max_iter`` iterations.
    """
    return _fit(
        X,
        n_factors,
        "n_factors",
        "diagonal",
        method=method,
        init=init,
        max_iter=max_iter,
        tol=tol,
        random_state=random_state,
        sample_weight=sample_weight,
        callback=callback,
        trajectory=trajectory,
        stopping=stopping,
    )


def fit_ppca(
    X,
    n_components: int,
    *,
    method: str = "em",
    init=None,
    max_iter: int = DEFAULT_MAX_ITER,
    tol: float = DEFAULT_TOL,
    random_state=None,
    sample_weight=None,
    callback=None,
    trajectory: bool = False,
    stopping: str = "increment",
) -> EMResult:
    """Probabilistic PCA by EM (Tipping and Bishop 1999; book eqs. :eq:`fa-e-step`, :eq:`ppca-m-step-sigma`).

    Runs :class:`FactorAnalysisModel` ``(noise="isotropic")``: Ψ = σ² I. Its maximum is known in
    closed form (:func:`ppca_maximum_likelihood`), which EM reaches. The fit is equivariant under
    x → c R x + b (R orthogonal, c ≠ 0): μ → c R μ + b, W → c R W, σ² → c² σ², and the
    log-likelihoods shift by −(Σ_n w_n) D log|c|.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data: N >= 2 rows of positive weight, no constant column.
    n_components : int
        q >= 1; at most D − 1.
    method : {"em", "squarem", "ecg", "hybrid"}, default "em"
        The driver (``emlib.drivers``); ``"hard"`` is refused (z is continuous).
    init : None, "random" or FactorParams, default None
        The start. None: a deterministic start, the principal axes of S with σ² the mean of all
        its eigenvalues. ``"random"``: μ = x̄, W with independent N(0, S_jj / q) entries in row j,
        σ² the mean of S_jj / 2, drawn from ``random_state``.
    max_iter : int, default 20000
        Maximum number of iterations (EM for a factor model can be slow; see the book chapter).
    tol : float, default 1e-8
        Threshold of the stopping rule per unit of weight (book eq. :eq:`soft-em-stopping`).
    random_state : None, int or numpy.random.Generator
        Seed of ``init="random"`` (checked, and otherwise unused, for the other starts).
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights: a weight counts copies of a row.
    callback : callable, optional
        ``callback(iteration, params, log_likelihood, objective)`` after the start and every iteration.
    trajectory : bool, default False
        Keep every accepted iterate in ``EMResult.trajectory``.
    stopping : {"increment", "relative", "aitken"}, default "increment"
        The stopping rule (``emlib.stopping``).

    Returns
    -------
    EMResult
        ``params`` a :class:`FactorParams`; ``log_likelihoods`` the history of
        ℓ(θ_t) = Σ_n w_n log N(x_n; μ_t, W_t W_tᵀ + Ψ_t), totals over rows; ``posterior`` the last
        E-step's :class:`FactorStatistics`; ``model`` the :class:`FactorAnalysisModel`, so that
        ``emlib.fit_em(fit.model, X, fit.params)`` continues the fit.

    Warns
    -----
    ConvergenceWarning
        If the stopping rule was not met within ``max_iter`` iterations.
    """
    return _fit(
        X,
        n_components,
        "n_components",
        "isotropic",
        method=method,
        init=init,
        max_iter=max_iter,
        tol=tol,
        random_state=random_state,
        sample_weight=sample_weight,
        callback=callback,
        trajectory=trajectory,
        stopping=stopping,
    )
