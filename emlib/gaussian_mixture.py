"""The Gaussian mixture as a model for the EM drivers: log π_k + log N(x_n | μ_k, Σ_k), and its M-step."""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve

from . import _fast
from ._regularisation import Regulariser
from ._validation import as_float_array, check_covariance_type, check_data, check_nonnegative_real
from .datasets import sample_gmm
from .expectation import _log_weights, _posterior
from .maximization import _check_prior_scale, _map_maximization, _maximization, _maximization_keeping_empty
from .model import MixtureModel
from .params import GMMParams, check_gmm_params
from .priors import ResolvedPrior, check_prior
from .sufficient import GaussianStatistics, maximize_statistics, statistics_regulariser

__all__ = ["GaussianMixtureModel", "n_parameters"]


def n_parameters(n_components: int, n_features: int, covariance_type: str) -> int:
    """Free parameters of a Gaussian mixture: (K − 1) weights, K·D means, and the covariances.

    Covariance parameters: K·D(D + 1)/2 for "full", D(D + 1)/2 for "tied", K·D for "diag", K for
    "spherical".
    """
    k, d = n_components, n_features
    covariance = {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d, "spherical": k}
    return (k - 1) + k * d + covariance[covariance_type]


class GaussianMixtureModel(MixtureModel):
    """The Gaussian mixture for :func:`emlib.fit_em`: p(x_n, z_n = k | θ) = π_k N(x_n | μ_k, Σ_k).

    The E-step is Bayes' theorem (book eq. :eq:`soft-em-responsibilities`), the M-step
    :func:`emlib.m_step`. :func:`emlib.fit_gmm` runs this model through the same drivers, and
    returns it, with the prior it used, as ``fit.model``.

    Parameters
    ----------
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Covariance structure imposed by the M-step.
    reg_covar : float or None, default None
        ``None`` (emlib's default everywhere): the data-scaled prior of book eq.
        :eq:`soft-em-data-prior`, Ψ = 10⁻⁶ (Σ_n w_n) T computed from the data being fitted. A float
        is an absolute amount added to every covariance diagonal; 0 is maximum likelihood.
    covariance_prior : array_like of shape (D, D), optional
        An explicit prior scale Ψ instead (for example the one :func:`emlib.fit_gmm` used); then
        ``reg_covar`` must be None or 0.
    prior : "default", emlib.priors.ConjugatePrior or emlib.priors.ResolvedPrior, optional
        The conjugate prior of Fraley and Raftery (2007) (``emlib.priors``) instead of the
        default regulariser: MAP-EM with shrunken means, inverse-Wishart (or inverse-gamma)
        covariances and a Dirichlet prior on the weights. ``"default"`` is ``ConjugatePrior()``,
        mclust's ``priorControl()``, whose ``None`` fields are resolved from the data being fitted
        and K; a ``ResolvedPrior`` is used as it is. Then ``reg_covar`` must be None or 0 and
        ``covariance_prior`` None. The objective is the log-posterior ℓ(θ) + log p(θ)
        (:meth:`emlib.priors.ResolvedPrior.log_density`, with every constant).

    All four are validated whenever they are set.
    """

    def __init__(
        self, covariance_type: str = "full", reg_covar: float | None = None, covariance_prior=None, prior=None
    ):
        self._prior = None
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.covariance_prior = covariance_prior
        self.prior = prior

    @property
    def covariance_type(self) -> str:
        return self._covariance_type

    @covariance_type.setter
    def covariance_type(self, value) -> None:
        self._covariance_type = check_covariance_type(value)
        self._cache = self._prior_cache = None

    @property
    def reg_covar(self) -> float | None:
        return self._reg_covar

    @reg_covar.setter
    def reg_covar(self, value) -> None:
        value = None if value is None else check_nonnegative_real(value, "reg_covar")
        if value and getattr(self, "_covariance_prior", None) is not None:
            raise ValueError("give either covariance_prior or reg_covar > 0, not both (covariance_prior is set)")
        if value and getattr(self, "_prior", None) is not None:
            raise ValueError("give either prior or reg_covar > 0, not both (prior is set)")
        self._reg_covar = value
        self._cache = None

    @property
    def covariance_prior(self) -> np.ndarray | None:
        return self._covariance_prior

    @covariance_prior.setter
    def covariance_prior(self, value) -> None:
        if value is not None:
            if self.reg_covar:
                raise ValueError("give either covariance_prior or reg_covar > 0, not both")
            if getattr(self, "_prior", None) is not None:
                raise ValueError("give either covariance_prior or prior, not both (prior is set)")
            value = as_float_array(value, "covariance_prior", ndim=2)
            if value.shape[0] < 1:
                raise ValueError(f"covariance_prior must be a (D, D) matrix with D >= 1; got shape {value.shape}")
            value = _check_prior_scale(value, value.shape[0], "full").copy()
            value.flags.writeable = False
        self._covariance_prior = value
        self._cache = None

    @property
    def prior(self):
        """The conjugate prior (``emlib.priors.ConjugatePrior`` or ``ResolvedPrior``), or None."""
        return self._prior

    @prior.setter
    def prior(self, value) -> None:
        value = check_prior(value)
        if value is not None:
            if self.reg_covar:
                raise ValueError("give either prior or reg_covar > 0, not both")
            if self.covariance_prior is not None:
                raise ValueError("give either prior or covariance_prior, not both")
        self._prior = value
        self._cache = self._prior_cache = None

    def conjugate_prior(self, data: np.ndarray, weights: np.ndarray, n_components: int) -> ResolvedPrior | None:
        """The conjugate prior resolved for these (validated) data and K, kept per data set; None without one."""
        if self.prior is None:
            return None
        cache = self._prior_cache
        if cache is None or cache[0] is not data or cache[1] is not weights or cache[2] != n_components:
            resolved = self.prior.resolve(data, n_components, self.covariance_type, sample_weight=weights)
            self._prior_cache = cache = (data, weights, n_components, resolved)
        return cache[3]

    def regulariser(self, data: np.ndarray, weights: np.ndarray) -> Regulariser:
        """The regulariser for these (validated) data, computed once per data set and kept.

        Under a conjugate ``prior`` it carries the data scale T only (no Ψ, no ``reg_covar``): the
        prior's M-step, log-density and degeneracy are the prior's (:meth:`conjugate_prior`).
        """
        cache = self._cache
        if cache is None or cache[0] is not data or cache[1] is not weights:
            reg_covar = 0.0 if self.prior is not None else self.reg_covar
            regulariser = Regulariser.for_data(data, weights, self.covariance_type, reg_covar)
            if self.covariance_prior is not None:
                if self.covariance_prior.shape[0] != data.shape[1]:
                    raise ValueError(
                        f"covariance_prior has shape {self.covariance_prior.shape} but X has {data.shape[1]} columns"
                    )
                prior = _check_prior_scale(self.covariance_prior, data.shape[1], self.covariance_type)
                regulariser = Regulariser(regulariser.scale, 0.0, prior)
            self._cache = cache = (data, weights, regulariser)
        return cache[2]

    # --- the model interface -------------------------------------------------------------------

    def check_data(self, X) -> np.ndarray:
        return check_data(X)

    def check_params(self, data, params, name: str = "params") -> None:
        if data is None:  # parameters on their own, e.g. for sampling
            if not isinstance(params, GMMParams):
                raise TypeError(f"{name} must be an emlib.GMMParams; got {type(params).__name__}")
            return
        check_gmm_params(data, params, name=name)

    def log_prior(self, params: GMMParams) -> np.ndarray:
        return _log_weights(params)

    def log_conditional(self, data: np.ndarray, params: GMMParams) -> np.ndarray:
        return _fast.gaussian_log_densities(data, params)

    def posterior(self, data: np.ndarray, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
        """The E-step, chunk by chunk with one exponential pass (``emlib._fast.gaussian_posterior``)."""
        return _posterior(data, params)

    def maximization(self, data: np.ndarray, weights: np.ndarray, statistics: np.ndarray, previous) -> GMMParams:
        """:func:`emlib.m_step` on the responsibilities; a component with none keeps ``previous``'s, with weight 0.

        Under a conjugate ``prior``, the MAP M-step (``emlib.maximization._map_maximization``), which is
        defined for a component with no responsibility too (the prior's mode, weight 0 for α = 1).
        """
        prior = self.conjugate_prior(data, weights, statistics.shape[1])
        if prior is not None:
            return _map_maximization(data, statistics, weights, prior)
        regulariser = self.regulariser(data, weights)
        if previous is None:
            return _maximization(data, statistics, weights, self.covariance_type, regulariser)
        return _maximization_keeping_empty(data, statistics, weights, previous, self.covariance_type, regulariser)

    def summarize(self, data: np.ndarray, weights: np.ndarray, statistics: np.ndarray) -> GaussianStatistics:
        """N_k, x̄_k and S_k of these rows under the responsibilities (:class:`emlib.sufficient.GaussianStatistics`)."""
        return GaussianStatistics.from_responsibilities(data, statistics, weights)

    def maximize_summary(self, summary: GaussianStatistics, previous: GMMParams | None) -> GMMParams:
        """The M-step from pooled statistics: :meth:`maximization` on the rows they summarise.

        The default prior's data scale comes from the statistics themselves
        (:func:`emlib.sufficient.statistics_regulariser`), so it is the scale of every row summarised.
        The conjugate ``prior`` is not supported here (its hyper-parameters are resolved from the data).
        """
        if self.prior is not None:
            raise ValueError(
                "the conjugate prior needs the data themselves, so it is not available from pooled statistics"
                " (incremental, online or Dask fits); use prior=None"
            )
        covariance_prior = self.covariance_prior
        if covariance_prior is not None:
            covariance_prior = _check_prior_scale(covariance_prior, summary.n_features, self.covariance_type)
        regulariser = statistics_regulariser(summary, self.covariance_type, self.reg_covar, covariance_prior)
        return maximize_statistics(summary, self.covariance_type, regulariser, previous)

    def log_parameter_prior(self, data: np.ndarray, weights: np.ndarray, params: GMMParams) -> float:
        """log p(θ): −½ Σ_k tr(Ψ Σ_k⁻¹) under the default regulariser, the exact c log p(θ) under a conjugate ``prior``."""
        prior = self.conjugate_prior(data, weights, params.n_components)
        if prior is not None:
            return prior.log_density(params)
        return self.regulariser(data, weights).log_prior(params, self.covariance_type)

    def objective_is_monotone(self) -> bool:
        return not self.reg_covar  # None (a prior) or 0 (maximum likelihood)

    def flatten(self, params: GMMParams) -> np.ndarray:
        """(π, μ, Σ) as raw coordinates, every covariance entry included (SQUAREM's coordinates)."""
        return np.concatenate([params.weights, params.means.ravel(), params.covariances.ravel()])

    def unflatten(self, vector: np.ndarray, like: GMMParams) -> GMMParams | None:
        """The mixture with these raw coordinates, or None if it is not one (negative weight, covariance not positive definite)."""
        k, d = like.n_components, like.n_features
        weights = vector[:k]
        if np.any(weights < 0) or not np.all(np.isfinite(vector)):
            return None
        means = vector[k : k + k * d].reshape(k, d)
        covariances = vector[k + k * d :].reshape(k, d, d)
        try:
            return GMMParams(weights / weights.sum(), means, covariances)
        except ValueError:
            return None

    def score(self, data: np.ndarray, weights: np.ndarray, params: GMMParams, statistics=None) -> np.ndarray:
        """∇ℓ(θ) in the coordinates of :meth:`flatten`: (π, μ, every entry of Σ), shape (K + K·D + K·D²,).

        With r_nk = w_n γ_nk, N_k = Σ_n r_nk, W = Σ_n w_n and d_nk = x_n − μ_k (book eq.
        :eq:`em-gradient-gradient`, which :func:`emlib.gradient.log_likelihood_gradient` computes
        for the free coordinates):

        - weights: g_k − W, where g_k = ∂ℓ/∂π_k = Σ_n w_n p(x_n | z = k)/p(x_n) (N_k / π_k when
          π_k > 0, from the densities when π_k = 0). Subtracting Σ_j π_j g_j = W makes it the
          gradient of ℓ after :meth:`unflatten`'s renormalisation π ↦ π / Σ_j π_j, so it matches
          finite differences along any coordinate;
        - means: Σ_k⁻¹ Σ_n r_nk d_nk;
        - covariances: G_k = ½ Σ_k⁻¹ (Σ_n r_nk d_nk d_nkᵀ − N_k Σ_k) Σ_k⁻¹, a symmetric matrix. The
          covariance coordinates can only move symmetrically (``GMMParams`` refuses a matrix
          asymmetric beyond rounding), and along a symmetric direction E the derivative is ⟨G_k, E⟩ = Σ_ij (G_k)_ij E_ij.

        The score is that of ℓ itself, the same for every ``covariance_type`` (the type constrains
        the M-step, not the likelihood): for "diag", "spherical" or "tied" it gives the exact
        slope along any direction, but only its part along the constrained structure vanishes at
        the constrained optimum. ``statistics`` (the responsibilities at ``params``) spare the
        E-step when every weight is positive. Book :prf:ref:`em-gradient-alg-ecg`.
        """
        empty = params.weights == 0
        if statistics is None or np.any(empty):
            log_marginals, responsibilities = self.posterior(data, params)
        else:
            responsibilities = statistics
        weighted = responsibilities * weights[:, np.newaxis]
        counts = weighted.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            weight_scores = counts / params.weights
        if np.any(empty):  # ∂ℓ/∂π_k = Σ_n w_n N(x_n | μ_k, Σ_k) / p(x_n), finite even at π_k = 0
            log_densities = self.log_conditional(data, params)[:, empty]
            with np.errstate(over="ignore"):
                weight_scores[empty] = weights @ np.exp(log_densities - log_marginals[:, np.newaxis])
        n_components, n_features = params.n_components, params.n_features
        means = np.empty((n_components, n_features))
        covariances = np.empty((n_components, n_features, n_features))
        for k in range(n_components):
            factor = (params.covariance_cholesky[k], True)
            deviations = data - params.means[k]
            means[k] = cho_solve(factor, weighted[:, k] @ deviations, check_finite=False)
            inner = (weighted[:, k] * deviations.T) @ deviations - counts[k] * params.covariances[k]
            half = cho_solve(factor, inner, check_finite=False)
            gradient = 0.5 * cho_solve(factor, half.T, check_finite=False)
            covariances[k] = 0.5 * (gradient + gradient.T)
        return np.concatenate([weight_scores - weights.sum(), means.ravel(), covariances.ravel()])

    def log_parameter_prior_score(self, data: np.ndarray, weights: np.ndarray, params: GMMParams) -> np.ndarray:
        """∇ log p(θ) in the coordinates of :meth:`flatten` (see :meth:`score`), shape (K + K·D + K·D²,).

        Under the conjugate prior log p(θ) = −½ Σ_k tr(Ψ Σ_k⁻¹) (``reg_covar=None`` or a
        ``covariance_prior``), the covariance block k is ½ Σ_k⁻¹ Ψ Σ_k⁻¹; for "tied" the prior counts
        the shared matrix once, as the first component's, so only block 0 is non-zero (along a
        tied direction, which moves every block alike, the slope is the same). Zero without a
        prior (``reg_covar`` a number). Under a conjugate ``prior``:
        :meth:`emlib.priors.ResolvedPrior.score`.
        """
        prior = self.conjugate_prior(data, weights, params.n_components)
        if prior is not None:
            return prior.score(params)
        n_components, n_features = params.n_components, params.n_features
        score = np.zeros(n_components + n_components * n_features + n_components * n_features**2)
        prior_scale = self.regulariser(data, weights).prior_scale
        if prior_scale is None:
            return score
        covariances = score[n_components + n_components * n_features :].reshape(n_components, n_features, n_features)
        for k in range(1 if self.covariance_type == "tied" else n_components):
            factor = (params.covariance_cholesky[k], True)
            half = cho_solve(factor, prior_scale, check_finite=False)
            gradient = 0.5 * cho_solve(factor, half.T, check_finite=False)
            covariances[k] = 0.5 * (gradient + gradient.T)
        return score

    def degenerate(self, data: np.ndarray, weights: np.ndarray, params: GMMParams) -> np.ndarray:
        """Components of weight 0, or whose covariance owes half its variance in some direction to the regulariser.

        Under a conjugate ``prior``: to the prior's scale (:meth:`emlib.priors.ResolvedPrior.degenerate`).
        """
        prior = self.conjugate_prior(data, weights, params.n_components)
        if prior is not None:
            return prior.degenerate(params, float(weights.sum()))
        return self.regulariser(data, weights).degenerate(params, float(weights.sum()), self.covariance_type)

    def n_parameters(self, params: GMMParams) -> int:
        self.check_params(None, params)
        return n_parameters(params.n_components, params.n_features, self.covariance_type)

    def draw(self, params: GMMParams, n: int, rng: np.random.Generator):
        return sample_gmm(params, n, rng)

    def __repr__(self) -> str:
        reg = "None" if self.reg_covar is None else f"{self.reg_covar:g}"
        prior = "" if self.covariance_prior is None else ", covariance_prior=<(D, D) array>"
        if self.prior is not None:
            prior += f", prior=<{type(self.prior).__name__}>"
        return f"GaussianMixtureModel(covariance_type={self.covariance_type!r}, reg_covar={reg}{prior})"
