"""Gaussian mixtures (and, with K = 1, the multivariate normal) with entries missing at random.

A NaN in X marks a missing entry. Under missing at random (Rubin 1976) the missing entries can be
integrated out of the likelihood, which for a Gaussian mixture is exact: the observed-data
log-likelihood is (book eq. :eq:`missing-observed-likelihood`)

    ℓ(θ) = Σ_n w_n log Σ_k π_k N(x_n,o; μ_k,o, Σ_k,oo),

o the observed entries of row n. EM for it (Ghahramani and Jordan 1994; for K = 1 Dempster, Laird
and Rubin 1977's multivariate normal) treats the labels *and* the missing entries as the latent
variables. Its E-step gives, besides the responsibilities r_nk = w_n γ_nk, the conditional moments
of the missing entries under each component (eq. :eq:`missing-e-step-moments`),

    x̂_nk = E[x_n | x_n,o, z_n = k]: x_n,o on the observed entries, μ_k,m + Σ_k,mo Σ_k,oo⁻¹ (x_n,o − μ_k,o) on the missing ones,
    C_nk = Cov[x_n | x_n,o, z_n = k]: Σ_k,mm − Σ_k,mo Σ_k,oo⁻¹ Σ_k,om on the missing block, 0 elsewhere,

and its M-step is the complete-data one on the expected sufficient statistics (eq.
:eq:`missing-m-step`): N_k = Σ_n r_nk, μ_k = Σ_n r_nk x̂_nk / N_k and
Σ_k = Σ_n r_nk [(x̂_nk − μ_k)(x̂_nk − μ_k)ᵀ + C_nk] / N_k, with the covariance structures and the
regularisation of :func:`emlib.m_step` (for "diag" and "spherical" the diagonal of that expected
scatter, and then x̂ on a missing entry is simply μ_km and its variance σ²_km).

How it is computed (``emlib._missing``): the rows are grouped by missingness pattern once per data
set; for each pattern and component one Cholesky factor of Σ_k,oo serves all the pattern's rows.
C_nk depends only on the pattern and the component, so the M-step adds it once per pattern,
weighted by the pattern's Σ_n r_nk. Every density stays in log space.

What is decided here, and where it is documented (:func:`emlib.fit_gmm`):

- a row with every entry missing is an error naming it (drop it: it carries no information);
  a column with every entry missing (among the rows of positive weight) is an error naming it;
- ±inf stays an error: only NaN means missing;
- a ``sample_weight`` counts copies of the whole row, its missing entries included;
- the data scale T of the default prior is computed from the observed entries
  (``emlib._regularisation.observed_data_scale``);
- the starts of :func:`emlib.fit_gmm` cluster X with its missing entries imputed by a
  multivariate normal (:func:`fill_for_starts`); EM then fits the real model;
- the conjugate ``prior=`` (``emlib.priors``) is not available with missing entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve

from ._bayes import bayes, map_labels, total_log_likelihood
from ._missing import MissingData, check_missing_data, observed_log_densities, posterior_with_moments
from ._regularisation import RELATIVE_REG_COVAR, Regulariser, observed_data_scale, singular_covariance_error
from .expectation import _log_weights
from .gaussian_mixture import GaussianMixtureModel
from .maximization import _COVARIANCE_UPDATES, _check_prior_scale
from .model import EStep, LatentVariableModel
from .params import GMMParams, SingularCovarianceError, check_gmm_params

__all__ = [
    "START_FILL_ITERATIONS",
    "ConditionalMoments",
    "MissingGaussianMixtureModel",
    "MissingStatistics",
    "conditional_moments",
    "fill_for_starts",
    "fill_with_column_means",
]

#: EM iterations of the multivariate normal (K = 1) whose conditional means fill the missing
#: entries for the starts (:func:`fill_for_starts`).
START_FILL_ITERATIONS = 20


@dataclass(frozen=True)
class ConditionalMoments:
    """E[x_n | x_n,o, z_n = k] and Cov[x_n | x_n,o, z_n = k] for every row and component (book eq. :eq:`missing-e-step-moments`).

    Attributes
    ----------
    means : ndarray of shape (N, K, D)
        The observed entries as given; on the missing ones μ_k,m + Σ_k,mo Σ_k,oo⁻¹ (x_n,o − μ_k,o).
    covariances : ndarray of shape (N, K, D, D)
        Zero on every row and column of an observed entry; Σ_k,mm − Σ_k,mo Σ_k,oo⁻¹ Σ_k,om on the
        missing block.
    """

    means: np.ndarray
    covariances: np.ndarray


@dataclass(frozen=True, eq=False)
class MissingStatistics:
    """What the E-step of :class:`MissingGaussianMixtureModel` hands its M-step.

    Attributes
    ----------
    responsibilities : ndarray of shape (N, K)
        γ_nk = p(z_n = k | x_n,o, θ) (one-hot for the hard E-step).
    moments : tuple of emlib._missing.GroupMoments
        For each group of missingness patterns of the data (``MissingData.groups``, same order):
        the conditional means of the missing entries of its R rows under each component, shape
        (K, R, M), and the conditional covariance of each of its P patterns, shape (K, P, M, M)
        (book eq. :eq:`missing-e-step-moments`).
    """

    responsibilities: np.ndarray
    moments: tuple

    @property
    def shape(self) -> tuple[int, int]:
        """The shape of the responsibilities, (N, K)."""
        return self.responsibilities.shape


def _completed(data: MissingData, statistics: MissingStatistics, k: int) -> np.ndarray:
    """x̂_nk for every row: X with its missing entries replaced by their conditional means under component k, (N, D)."""
    completed = data.zero_filled()
    for group, moments in zip(data.groups, statistics.moments):
        completed[group.rows[:, np.newaxis], group.missing[group.pattern]] = moments.means[k]
    return completed


def _expected_covariance(data: MissingData, statistics: MissingStatistics, responsibility, k: int, diagonal: bool):
    """Σ_n r_nk C_nk, the conditional covariances weighted by the responsibilities: (D, D), or its diagonal (D,).

    C_nk depends only on row n's pattern, so each pattern's C_k is added once, times Σ_{n in it} r_nk.
    """
    n_features = data.shape[1]
    total = np.zeros(n_features if diagonal else n_features * n_features)
    for group, moments in zip(data.groups, statistics.moments):
        shares = np.bincount(group.pattern, weights=responsibility[group.rows], minlength=len(group.missing))
        covariances = moments.covariances[k]  # (P, M, M)
        if diagonal:
            index, values = group.missing, np.diagonal(covariances, axis1=1, axis2=2)
        else:
            index = group.missing[:, :, np.newaxis] * n_features + group.missing[:, np.newaxis, :]
            values = covariances
        total += np.bincount(
            index.ravel(),
            weights=(shares.reshape((-1,) + (1,) * (values.ndim - 1)) * values).ravel(),
            minlength=total.size,
        )
    return total if diagonal else total.reshape(n_features, n_features)


def _expected_moments(data, statistics, weighted, k, centre=None, diagonal=False):
    """Σ_n r_nk, the mean μ_k and the expected scatter Σ_n r_nk [(x̂_nk − c)(x̂_nk − c)ᵀ + C_nk] of component k.

    ``centre`` c: the component's new mean (None: the M-step, computed two-pass as
    ``emlib.maximization.moments_formula`` does) or a given point (the score). The scatter is the
    (D,) diagonal if ``diagonal``, else (D, D). Book eq. :eq:`missing-m-step`.
    """
    responsibility = weighted[:, k]
    count = float(responsibility.sum())
    completed = _completed(data, statistics, k)
    if centre is None:
        first = responsibility @ completed / count
        deviations = completed - first
        correction = responsibility @ deviations / count
        mean = first + correction
    else:
        deviations = completed - centre
        correction = np.zeros(completed.shape[1])
        mean = responsibility @ deviations  # Σ_n r_nk (x̂_nk − c)
    if diagonal:
        scatter = responsibility @ deviations**2 - count * correction**2
    else:
        scatter = (responsibility * deviations.T) @ deviations - count * np.outer(correction, correction)
    return count, mean, scatter + _expected_covariance(data, statistics, responsibility, k, diagonal)


def fill_with_column_means(data: MissingData, weights: np.ndarray) -> np.ndarray:
    """X with each missing entry replaced by its column's weighted mean over the observed rows, shape (N, D)."""
    return np.where(data.observed, data.values, _column_means(data, weights))


def fill_for_starts(data: MissingData, weights: np.ndarray) -> np.ndarray:
    """The complete rows :func:`emlib.fit_gmm`'s starts cluster: X with each missing entry imputed, shape (N, D).

    The starts (``emlib.starts``) need complete rows. Each missing entry is replaced by its
    conditional mean E[x_m | x_o] under a multivariate normal (K = 1) fitted to the observed
    entries by ``START_FILL_ITERATIONS`` EM iterations with the default data-scaled prior, started
    from the column means and the data scale T (book eq. :eq:`missing-e-step-moments`): a
    regression imputation, which keeps a row with a missing coordinate near the rows it
    resembles (the column mean would put it between clusters). EM then fits the real model
    from the start. Under x ↦ A x + b with A diagonal or a permutation the filled values move
    with the data, so the starts stay equivariant.
    """
    normal = MissingGaussianMixtureModel("full")
    scale = normal.regulariser(data, weights).scale
    params = GMMParams([1.0], _column_means(data, weights)[np.newaxis], scale[np.newaxis])
    for _ in range(START_FILL_ITERATIONS):
        params = normal.maximization(data, weights, normal.expectation(data, weights, params).statistics, params)
    return _completed(data, normal.expectation(data, weights, params).statistics, 0)


def _column_means(data: MissingData, weights: np.ndarray) -> np.ndarray:
    present = data.observed * weights[:, np.newaxis]
    return (present * data.zero_filled()).sum(axis=0) / present.sum(axis=0)


class MissingGaussianMixtureModel(GaussianMixtureModel):
    """The Gaussian mixture with entries missing at random (NaN in X), as a model for the EM drivers.

    A :class:`emlib.GaussianMixtureModel` (same parameters, covariance types, regularisation,
    flat coordinates and prior) whose data may hold NaN: the E-step marginalises the missing
    entries exactly (book eq. :eq:`missing-observed-likelihood`) and returns, with the
    responsibilities, the conditional moments of the missing entries (:class:`MissingStatistics`,
    eq. :eq:`missing-e-step-moments`); the M-step is eq. :eq:`missing-m-step`. See the module
    notes. ``prior`` (the conjugate prior) must be None. On data with nothing missing every
    quantity equals :class:`emlib.GaussianMixtureModel`'s up to rounding.

    ``score`` is the gradient of the observed-data log-likelihood, by Fisher's identity the
    expected complete-data score: the complete-data formula of
    :meth:`emlib.GaussianMixtureModel.score` with x_n replaced by x̂_nk and the scatter by the
    expected scatter (so ECG and the EM–ECG hybrid run on it too).
    """

    def __init__(
        self, covariance_type: str = "full", reg_covar: float | None = None, covariance_prior=None, prior=None
    ):
        super().__init__(covariance_type, reg_covar, covariance_prior, prior)

    @property
    def prior(self):
        """The conjugate prior, always None here (it is not available with missing entries)."""
        return self._prior

    @prior.setter
    def prior(self, value) -> None:
        if value is not None:
            raise ValueError(
                "prior (the conjugate prior) is not available with missing entries (missing='em'); use"
                " reg_covar=None, the default data-scaled prior, or a covariance_prior"
            )
        self._prior = None
        self._cache = self._prior_cache = None

    def regulariser(self, data: MissingData, weights: np.ndarray) -> Regulariser:
        """The regulariser, its data scale T computed from the observed entries (``observed_data_scale``); kept per data set."""
        cache = self._cache
        if cache is None or cache[0] is not data or cache[1] is not weights:
            scale = observed_data_scale(data, weights, self.covariance_type)
            if self.covariance_prior is not None:
                if self.covariance_prior.shape[0] != data.shape[1]:
                    raise ValueError(
                        f"covariance_prior has shape {self.covariance_prior.shape} but X has {data.shape[1]} columns"
                    )
                prior = _check_prior_scale(self.covariance_prior, data.shape[1], self.covariance_type)
                regulariser = Regulariser(scale, 0.0, prior)
            elif self.reg_covar is None:
                regulariser = Regulariser(scale, 0.0, RELATIVE_REG_COVAR * weights.sum() * scale)
            else:
                regulariser = Regulariser(scale, float(self.reg_covar), None)
            self._cache = cache = (data, weights, regulariser)
        return cache[2]

    # --- the model interface -------------------------------------------------------------------

    def check_data(self, X) -> MissingData:
        """X, NaN marking missing entries, as an ``emlib._missing.MissingData`` (a row all NaN is an error)."""
        if isinstance(X, MissingData):
            return X
        return check_missing_data(X)

    def check_params(self, data, params, name: str = "params") -> None:
        if data is None:
            super().check_params(None, params, name)
            return
        check_gmm_params(data.values, params, name=name)

    def log_conditional(self, data: MissingData, params: GMMParams) -> np.ndarray:
        """log N(x_n,o; μ_k,o, Σ_k,oo), shape (N, K) (book eq. :eq:`missing-observed-likelihood`)."""
        return observed_log_densities(data, params)

    def posterior(self, data: MissingData, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
        """log p(x_n,o | θ), shape (N,), and γ_nk = p(z_n = k | x_n,o, θ), shape (N, K)."""
        return bayes(self.log_conditional(data, params), _log_weights(params), overwrite=True)

    def expectation(self, data: MissingData, weights: np.ndarray, params: GMMParams) -> EStep:
        """The E-step: responsibilities and conditional moments (:class:`MissingStatistics`), and ℓ(θ)."""
        log_marginals, responsibilities, moments = posterior_with_moments(data, params, _log_weights(params))
        return EStep(MissingStatistics(responsibilities, moments), total_log_likelihood(weights, log_marginals))

    def classification(self, data: MissingData, weights: np.ndarray, params: GMMParams, previous=None) -> EStep:
        """The hard E-step: each row to its most probable component, the conditional moments under that component."""
        log_marginals, posterior, moments = posterior_with_moments(data, params, _log_weights(params))
        labels = map_labels(posterior, previous)
        rows = np.arange(len(labels))
        at_labels = log_marginals + np.log(posterior[rows, labels])
        one_hot = np.zeros_like(posterior)
        one_hot[rows, labels] = 1.0
        return EStep(
            MissingStatistics(one_hot, moments),
            total_log_likelihood(weights, log_marginals),
            total_log_likelihood(weights, at_labels, "the classification log-likelihood of X"),
            labels,
        )

    def maximization(
        self, data: MissingData, weights: np.ndarray, statistics: MissingStatistics, previous
    ) -> GMMParams:
        """The M-step on the expected sufficient statistics (book eq. :eq:`missing-m-step`), regularised as :func:`emlib.m_step`.

        A component with no responsibility (N_k at most the smallest normal float) keeps
        ``previous``'s mean and covariance with weight 0, as in
        :meth:`emlib.GaussianMixtureModel.maximization`.
        """
        regulariser = self.regulariser(data, weights)
        covariance_type = self.covariance_type
        weighted = statistics.responsibilities * weights[:, np.newaxis]  # r_nk = w_n γ_nk
        counts = weights @ statistics.responsibilities
        occupied = np.flatnonzero(counts > np.finfo(np.float64).tiny)
        if occupied.size < counts.size and previous is None:
            empty = int(np.flatnonzero(counts <= np.finfo(np.float64).tiny)[0])
            raise ValueError(
                f"component {empty} has no responsibility (N_k = 0), so its mean and covariance"
                " are undefined; re-initialise or use fewer components"
            )
        total = weights.sum()
        diagonal = covariance_type in ("diag", "spherical")
        n_features = data.shape[1]
        means = np.empty((occupied.size, n_features))
        scatter = np.empty((occupied.size, n_features) if diagonal else (occupied.size, n_features, n_features))
        with np.errstate(over="ignore", invalid="ignore"):  # checked below: an overflow is an error, not inf
            for index, k in enumerate(occupied):
                _, means[index], scatter[index] = _expected_moments(data, statistics, weighted, k, diagonal=diagonal)
            covariances = _COVARIANCE_UPDATES[covariance_type](scatter, counts[occupied], total)
        if not (np.all(np.isfinite(means)) and np.all(np.isfinite(covariances))):
            raise ValueError(
                "the M-step means or covariances overflow float64 (X spreads near 1e154 or beyond); rescale X"
            )
        covariances += regulariser.floors(counts[occupied], total, covariance_type)
        try:
            regulariser.check_not_singular(means, covariances, covariance_type)
        except SingularCovarianceError as error:
            raise singular_covariance_error(
                int(occupied[error.component]), covariance_type, regulariser.additive
            ) from None
        if occupied.size == counts.size:
            return GMMParams(counts / total, means, covariances)
        fitted_weights = np.zeros(counts.size)
        fitted_means, fitted_covariances = np.array(previous.means), np.array(previous.covariances)
        fitted_weights[occupied] = counts[occupied] / total
        fitted_means[occupied] = means
        fitted_covariances[occupied] = covariances
        if covariance_type == "tied":
            fitted_covariances[:] = covariances[0]
        return GMMParams(fitted_weights, fitted_means, fitted_covariances)

    def score(
        self, data: MissingData, weights: np.ndarray, params: GMMParams, statistics: MissingStatistics | None = None
    ) -> np.ndarray:
        """∇ℓ(θ) of the observed-data log-likelihood in the coordinates of :meth:`~emlib.GaussianMixtureModel.flatten`, shape (K + K·D + K·D²,).

        By Fisher's identity ∇ℓ(θ) = E[∇ log p(X, X_mis, Z | θ) | X_obs, θ]: the formula of
        :meth:`emlib.GaussianMixtureModel.score` with r_nk = w_n γ_nk, d_nk = x̂_nk − μ_k and the
        scatter Σ_n r_nk (d_nk d_nkᵀ + C_nk) (book eqs. :eq:`missing-e-step-moments`, :eq:`em-gradient-gradient`).
        """
        empty = params.weights == 0
        if statistics is None or np.any(empty):
            estep = self.expectation(data, weights, params)
            statistics = estep.statistics
        responsibilities = statistics.responsibilities
        weighted = responsibilities * weights[:, np.newaxis]
        counts = weighted.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            weight_scores = counts / params.weights
        if np.any(empty):  # ∂ℓ/∂π_k = Σ_n w_n N(x_n,o | μ_k,o, Σ_k,oo) / p(x_n,o)
            log_marginals, _ = self.posterior(data, params)
            log_densities = self.log_conditional(data, params)[:, empty]
            with np.errstate(over="ignore"):
                weight_scores[empty] = weights @ np.exp(log_densities - log_marginals[:, np.newaxis])
        n_components, n_features = params.n_components, params.n_features
        means = np.empty((n_components, n_features))
        covariances = np.empty((n_components, n_features, n_features))
        for k in range(n_components):
            factor = (params.covariance_cholesky[k], True)
            count, first, scatter = _expected_moments(data, statistics, weighted, k, centre=params.means[k])
            means[k] = cho_solve(factor, first, check_finite=False)
            half = cho_solve(factor, scatter - count * params.covariances[k], check_finite=False)
            gradient = 0.5 * cho_solve(factor, half.T, check_finite=False)
            covariances[k] = 0.5 * (gradient + gradient.T)
        return np.concatenate([weight_scores - weights.sum(), means.ravel(), covariances.ravel()])

    # the additive statistics and the draws of a complete-data mixture do not apply to data with holes:
    # incremental, online and Monte Carlo EM refuse this model by name
    summarize = LatentVariableModel.summarize
    maximize_summary = LatentVariableModel.maximize_summary
    simulated_statistics = LatentVariableModel.simulated_statistics

    def __repr__(self) -> str:
        return "Missing" + super().__repr__()


def conditional_moments(X, params: GMMParams) -> ConditionalMoments:
    """The E-step's conditional moments of every row under every component (book eq. :eq:`missing-e-step-moments`).

    For row n, with observed entries o and missing entries m, and component k:
    E[x_n | x_n,o, z_n = k] is x_n,o on the observed entries and μ_k,m + Σ_k,mo Σ_k,oo⁻¹ (x_n,o − μ_k,o)
    on the missing ones; Cov[x_n | x_n,o, z_n = k] is zero on every row and column of an observed
    entry and Σ_k,mm − Σ_k,mo Σ_k,oo⁻¹ Σ_k,om on the missing block. Computed pattern by pattern
    with one Cholesky factor of Σ_k,oo each (``emlib._missing``).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data, NaN marking a missing entry (no row may be all NaN; ±inf is an error).
    params : GMMParams
        Mixture parameters with D features.

    Returns
    -------
    ConditionalMoments
        ``means`` of shape (N, K, D) and ``covariances`` of shape (N, K, D, D) (that is N·K·D²
        numbers: for large data use the per-pattern moments of
        :meth:`MissingGaussianMixtureModel.expectation`).
    """
    data = check_missing_data(X)
    check_gmm_params(data.values, params)
    n_rows, n_features = data.shape
    n_components = params.n_components
    statistics = MissingStatistics(
        np.empty((n_rows, n_components)),
        posterior_with_moments(data, params, _log_weights(params))[2],
    )
    means = np.empty((n_rows, n_components, n_features))
    covariances = np.zeros((n_rows, n_components, n_features, n_features))
    for k in range(n_components):
        means[:, k] = _completed(data, statistics, k)
    components = np.arange(n_components)[np.newaxis, :, np.newaxis, np.newaxis]
    for group, moments in zip(data.groups, statistics.moments):
        missing = group.missing[group.pattern]  # (R, M)
        covariances[
            group.rows[:, np.newaxis, np.newaxis, np.newaxis],
            components,
            missing[:, np.newaxis, :, np.newaxis],
            missing[:, np.newaxis, np.newaxis, :],
        ] = np.swapaxes(moments.covariances[:, group.pattern], 0, 1)
    return ConditionalMoments(means, covariances)
