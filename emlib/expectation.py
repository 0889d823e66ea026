"""Densities, the log-likelihood and the E-step of a Gaussian mixture, all in log space.

Nothing here ever exponentiates a density before normalising: every component density is
kept as a logarithm, computed from the Cholesky factor of its covariance, and the sum over
components is a log-sum-exp. A point far from every component therefore still gets finite
responsibilities that sum to one.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_data, check_params_match, check_sample_weight
from .latent import bayes, log_bayes
from .params import GMMParams

LOG_2PI = np.log(2.0 * np.pi)


def component_log_densities(X, params: GMMParams) -> np.ndarray:
    """Log density of every point under every component, log N(x_n | μ_k, Σ_k).

    With Σ_k = L_k L_kᵀ (Cholesky), the Mahalanobis term is ‖L_k⁻¹(x_n − μ_k)‖², obtained by
    a triangular solve (no matrix inverse), and log det Σ_k = 2 Σ_i log (L_k)_ii.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data, one row per observation.
    params : GMMParams
        Mixture parameters with D features.

    Returns
    -------
    ndarray of shape (N, K)
        Entry (n, k) is log N(x_n | μ_k, Σ_k).
    """
    X = check_data(X)
    check_params_match(X, params)
    return gaussian_log_densities(X, params)


#: Rows are processed in chunks of about this many numbers per component, so that every
#: temporary stays in cache and no (N, D) temporary is ever allocated.
CHUNK_ELEMENTS = 1 << 13


def chunk_size(n_features: int) -> int:
    """Rows per chunk: about CHUNK_ELEMENTS numbers per component."""
    return max(64, CHUNK_ELEMENTS // n_features)


def chunks(n_rows: int, n_features: int):
    """Consecutive row slices of chunk_size(n_features) rows."""
    step = chunk_size(n_features)
    return (slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step))


class GaussianDensities:
    """log N(x_n | μ_k, Σ_k) for all components, a chunk of rows at a time (book eq. :eq:`gmm-density`).

    log N = −½ [D log 2π + log det Σ_k + ‖(x_n − μ_k)ᵀ P_k‖²], with P_k = L_k⁻ᵀ the Cholesky
    factor of the precision (``params.precision_cholesky``) and log det Σ_k = 2 Σ_i log (L_k)_ii.
    Each row is centred at μ_k *before* the product: the expanded quadratic
    xᵀΣ⁻¹x − 2 xᵀΣ⁻¹μ + μᵀΣ⁻¹μ would cancel catastrophically for data far from the origin.
    All K components of a chunk are handled by one batched matrix product. Diagonal
    covariances (``params.structure``) take a cheaper path: an expanded form with a rounding
    guard that falls back to the centred deviations wherever it could lose accuracy. (Whitening the rows once and subtracting whitened means,
    a shortcut for equal covariances, is *not* used: it cancels for data far from the origin.)
    """

    def __init__(self, params: GMMParams):
        self.params = params
        # Reused for every chunk: allocating fresh (K, m, D) temporaries costs more than the arithmetic.
        shape = (params.n_components, chunk_size(params.n_features), params.n_features)
        self.centred, self.whitened = np.empty(shape), np.empty(shape)
        diagonals = np.diagonal(params.covariance_cholesky, axis1=1, axis2=2)
        self.constants = -0.5 * (params.n_features * LOG_2PI + 2.0 * np.sum(np.log(diagonals), axis=1))
        self.ones = np.ones((params.n_features, 1))
        self.expanded = False
        if params.structure == "diagonal":
            self.inverse_deviations = (1.0 / diagonals)[:, np.newaxis, :]  # 1/σ_kd, (K, 1, D)
            # Expanded around a reference point c near the data (the mixture mean), with x' = x − c
            # and μ'_k = μ_k − c: Σ_d (x'_d − μ'_kd)² w_kd = x'² · w_k − 2 x' · (μ'_k w_k) + μ'_k² · w_k
            # with w_kd = 1/σ_kd², which is two matrix products for all components at once.
            with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
                self.inverse_variances = 1.0 / diagonals**2  # (K, D)
                self.reference = params.weights @ params.means
                centred_means = params.means - self.reference
                self.scaled_means = centred_means * self.inverse_variances  # μ'_k w_k, (K, D)
                self.mean_terms = np.sum(centred_means * self.scaled_means, axis=1)  # μ'_k² · w_k, (K,)
            # Extreme scales (1/σ² or μ'² w beyond float64) leave only the centred path.
            self.expanded = all(np.all(np.isfinite(a)) for a in (self.inverse_variances, self.scaled_means, self.mean_terms))
            # Rounding bound of the expanded sum: |error| ≤ γ (x'² · w_k + 2|x' · μ'_k w_k| + μ'_k² · w_k)
            # ≤ 2γ (x'² · w_k + μ'_k² · w_k), with γ = (D + 3) eps for D-term dot products.
            self.rounding = 2.0 * (params.n_features + 3) * np.finfo(np.float64).eps

    def block(self, rows: np.ndarray, first_row: int = 0) -> np.ndarray:
        """Log densities of a chunk of validated rows, shape (m, K)."""
        params = self.params
        size = rows.shape[0]
        centred, whitened = self.centred[:, :size], self.whitened[:, :size]
        with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN are caught below, with the row named
            if self.expanded:
                mahalanobis = self._diagonal_mahalanobis(rows)
            else:  # ‖(x_n − μ_k)ᵀ P_k‖², rows centred at μ_k first
                np.subtract(rows[np.newaxis], params.means[:, np.newaxis, :], out=centred)
                if params.structure == "diagonal":
                    np.multiply(centred, self.inverse_deviations, out=whitened)
                else:
                    np.matmul(centred, params.precision_cholesky, out=whitened)
                whitened *= whitened
                mahalanobis = np.matmul(whitened, self.ones)[:, :, 0].T
        if not np.all(np.isfinite(mahalanobis)):
            row, k = (int(index[0]) for index in np.nonzero(~np.isfinite(mahalanobis)))
            raise ValueError(
                f"X[{first_row + row}] is too far from component {k}: its squared Mahalanobis"
                " distance overflows float64, so its density cannot be represented even in log space"
            )
        return self.constants - 0.5 * mahalanobis

    def _diagonal_mahalanobis(self, rows: np.ndarray) -> np.ndarray:
        """Σ_d (x_nd − μ_kd)² / σ_kd², shape (m, K): expanded products, exact where they could cancel.

        The expanded form costs two matrix products instead of K passes over the centred rows,
        but cancels when a point and a component are both far from the reference point in units
        of the component's width (a thin component far from the others). Every entry whose
        rounding bound exceeds 1e-12 (1 + value) is recomputed from the centred deviations, so
        the result keeps the accuracy of the centred formula.
        """
        params = self.params
        shifted = rows - self.reference
        squares = (shifted * shifted) @ self.inverse_variances.T
        mahalanobis = squares - 2.0 * (shifted @ self.scaled_means.T) + self.mean_terms
        np.maximum(mahalanobis, 0.0, out=mahalanobis)
        suspect = self.rounding * (squares + self.mean_terms) > 1e-12 * (1.0 + mahalanobis)
        if np.any(suspect):
            row, k = np.nonzero(suspect)
            deviations = rows[row] - params.means[k]
            mahalanobis[row, k] = np.sum(deviations * deviations * self.inverse_variances[k], axis=1)
        return mahalanobis


def gaussian_log_densities(X: np.ndarray, params: GMMParams) -> np.ndarray:
    """log N(x_n | μ_k, Σ_k) for validated inputs, shape (N, K): see :class:`GaussianDensities`."""
    densities = GaussianDensities(params)
    log_densities = np.empty((X.shape[0], params.n_components))
    for rows in chunks(*X.shape):
        log_densities[rows] = densities.block(X[rows], rows.start)
    return log_densities


def log_weights(params: GMMParams) -> np.ndarray:
    """log π_k, shape (K,); −inf where π_k = 0."""
    with np.errstate(divide="ignore"):
        return np.log(params.weights)


def log_joint(X: np.ndarray, params: GMMParams) -> np.ndarray:
    """log π_k + log N(x_n | μ_k, Σ_k), shape (N, K); −inf where π_k = 0."""
    return gaussian_log_densities(X, params) + log_weights(params)


def expectation(X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
    """One pass over validated data: per-point log-likelihoods and log-responsibilities.

    Returns
    -------
    log_marginals : ndarray of shape (N,)
        log p(x_n | θ).
    log_responsibilities : ndarray of shape (N, K)
        log γ(z_nk).
    """
    return log_bayes(gaussian_log_densities(X, params), log_weights(params))


def posterior(X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
    """The E-step on validated data: log p(x_n | θ), shape (N,), and γ(z_nk), shape (N, K).

    Densities and Bayes' theorem (``emlib.latent.bayes``, one exponential per entry) are
    applied chunk by chunk while the chunk is in cache; the responsibilities are the only
    (N, K) array allocated.
    """
    densities = GaussianDensities(params)
    prior = log_weights(params)
    log_marginals = np.empty(X.shape[0])
    responsibilities = np.empty((X.shape[0], params.n_components))
    for rows in chunks(*X.shape):
        block = densities.block(X[rows], rows.start)
        log_marginals[rows], responsibilities[rows] = bayes(block, prior, overwrite=True, first_row=rows.start)
    return log_marginals, responsibilities


def representable(value: float, what: str) -> float:
    """``value`` if it is finite; a ValueError saying so if a sum of finite terms overflowed float64."""
    if not np.isfinite(value):
        raise ValueError(f"{what} is beyond the range of float64 ({value}); rescale X")
    return value


def log_likelihood(X, params: GMMParams, *, sample_weight=None) -> float:
    """Total log-likelihood log p(X | θ) = Σ_n w_n log Σ_k π_k N(x_n | μ_k, Σ_k).

    Book eq. :eq:`gmm-log-likelihood` (with weights, eq. :eq:`soft-em-sample-weights`).
    The inner sum is a log-sum-exp of log π_k + log N(x_n | μ_k, Σ_k), so it neither
    underflows nor overflows.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Mixture parameters with D features.
    sample_weight : array_like of shape (N,), optional
        Non-negative weight w_n of each row (default: all ones). Integer weights give the
        log-likelihood of the data with each row repeated w_n times.

    Returns
    -------
    float
        The total (not the mean) log-likelihood.
    """
    X = check_data(X)
    check_params_match(X, params)
    weights = check_sample_weight(sample_weight, X.shape[0])
    log_marginals, _ = posterior(X, params)
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(weights @ log_marginals)
    return representable(total, "the log-likelihood of X under params")


def e_step(X, params: GMMParams) -> np.ndarray:
    """The E-step: responsibilities γ(z_nk) = p(z_n = k | x_n, θ) by Bayes' theorem.

    Book eq. :eq:`soft-em-responsibilities`:
    γ(z_nk) = π_k N(x_n | μ_k, Σ_k) / Σ_j π_j N(x_n | μ_j, Σ_j), evaluated as
    exp(log π_k + log N_k − max_j) / Σ_j exp(log π_j + log N_j − max_j), with one exponential
    per entry and the largest log-density removed first (see ``emlib.latent.bayes``).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        Current mixture parameters θ.

    Returns
    -------
    ndarray of shape (N, K)
        Non-negative responsibilities; each row sums to one.
    """
    X = check_data(X)
    check_params_match(X, params)
    return posterior(X, params)[1]
