"""The M-step of a Gaussian mixture: closed-form maximisers of Q(θ, θ_old) (plus a log-prior).

Each component's mean and scatter are computed from the data centred on *that component*
(a first mean, then the centred scatter with its two-pass correction), never as
E[xxᵀ] − μμᵀ nor about a global centre: a row far from the others cannot spoil the digits of
a component it hardly belongs to.
"""

from __future__ import annotations

import numpy as np

from . import _fast
from ._regularisation import Regulariser, singular_covariance_error
from ._validation import (
    as_float_array,
    check_covariance_type,
    check_data,
    check_nonnegative_real,
    check_responsibilities,
    check_sample_weight,
)
from .params import GMMParams, SingularCovarianceError
from .priors import ResolvedPrior, check_prior

__all__ = ["m_step", "moments_formula", "params_from_moments"]


def m_step(
    X,
    responsibilities,
    *,
    covariance_type: str = "full",
    reg_covar: float | None = None,
    covariance_prior=None,
    sample_weight=None,
    prior=None,
) -> GMMParams:
    """The M-step: the parameters that maximise Q(θ, θ_old) for fixed responsibilities.

    With r_nk = w_n γ(z_nk) (w_n = 1 without sample weights, book eq.
    :eq:`soft-em-sample-weights`) and N_k = Σ_n r_nk (eq. :eq:`soft-em-nk`):

    - weights π_k = N_k / Σ_n w_n (eq. :eq:`soft-em-pi`),
    - means μ_k = Σ_n r_nk x_n / N_k (eq. :eq:`soft-em-mu`),
    - covariances, by ``covariance_type``, from the scatter S_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ:

      - ``"full"``: Σ_k = S_k / N_k (eq. :eq:`soft-em-sigma`);
      - ``"diag"``: the diagonal of the full update (eq. :eq:`soft-em-sigma-diag`);
      - ``"spherical"``: σ_k² I with σ_k² the mean of the diagonal (eq. :eq:`soft-em-sigma-spherical`);
      - ``"tied"``: one Σ = Σ_k S_k / Σ_n w_n shared by all components (eq. :eq:`soft-em-sigma-tied`);

      plus the regularisation: ``reg_covar`` on every diagonal (eq. :eq:`soft-em-reg-covar`), or,
      with a prior scale Ψ, Σ_k = (S_k + Ψ) / N_k (the MAP update, eq. :eq:`soft-em-map-sigma`,
      applied likewise to the diagonal, spherical and tied forms);

    - or, with ``prior``, the MAP M-step of the conjugate prior of Fraley and Raftery (2007)
      (``emlib.priors``: shrunken means, the inverse-Wishart or inverse-gamma covariance updates,
      and a Dirichlet prior on the weights).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    responsibilities : array_like of shape (N, K)
        Non-negative, each row summing to one (for example from :func:`emlib.e_step`, or
        one-hot rows for hard assignments).
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Structure imposed on the covariances. The result always stores full (K, D, D)
        matrices.
    reg_covar : float or None, default None
        ``None`` (the default everywhere in emlib) is the data-scaled prior
        Ψ = 10⁻⁶ (Σ_n w_n) T of eq. :eq:`soft-em-data-prior`, T computed from this X and
        ``sample_weight``. A float is an absolute amount added to every covariance diagonal;
        ``0`` is the pure maximum-likelihood update.
    covariance_prior : array_like of shape (D, D), optional
        An explicit prior scale Ψ (symmetric positive definite; for example
        ``fit.model.covariance_prior`` of a :func:`emlib.fit_gmm` result), instead of ``reg_covar``. For "diag" and "spherical"
        covariances only its diagonal, respectively the mean of its diagonal, acts.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (default: all ones).
    prior : "default", emlib.priors.ConjugatePrior or emlib.priors.ResolvedPrior, optional
        The conjugate prior of Fraley and Raftery (2007) (``"default"``: mclust's
        ``defaultPrior``, resolved from this X, ``sample_weight`` and K); then ``reg_covar``
        must be None or 0 and ``covariance_prior`` None.

    Returns
    -------
    GMMParams
        The updated parameters θ_new.

    Raises
    ------
    ValueError
        On invalid input, when a component receives no responsibility at all (N_k = 0), or
        (:class:`emlib.SingularCovarianceError`) when a covariance is singular relative to the
        data's spread, e.g. a component that has collapsed onto a single point with
        ``reg_covar=0``.
    """
    X = check_data(X)
    responsibilities = check_responsibilities(responsibilities, X.shape[0])
    covariance_type = check_covariance_type(covariance_type)
    if reg_covar is not None:
        reg_covar = check_nonnegative_real(reg_covar, "reg_covar")
    weights = check_sample_weight(sample_weight, X.shape[0])
    prior = check_prior(prior)
    if prior is not None:
        if reg_covar or covariance_prior is not None:
            raise ValueError("give prior, or reg_covar > 0 or covariance_prior, not both")
        resolved = prior.resolve(X, responsibilities.shape[1], covariance_type, sample_weight=weights)
        return _map_maximization(X, responsibilities, weights, resolved)
    regulariser = Regulariser.for_data(X, weights, covariance_type, reg_covar)
    if covariance_prior is not None:
        if reg_covar is not None and reg_covar != 0.0:
            raise ValueError("give either covariance_prior or reg_covar > 0, not both")
        prior = _check_prior_scale(covariance_prior, X.shape[1], covariance_type)
        regulariser = Regulariser(regulariser.scale, 0.0, prior)
    return _maximization(X, responsibilities, weights, covariance_type, regulariser)


def _check_prior_scale(covariance_prior, n_features: int, covariance_type: str) -> np.ndarray:
    """Ψ as a symmetric positive definite (D, D) array, reduced to the structure of ``covariance_type``."""
    prior = as_float_array(covariance_prior, "covariance_prior", ndim=2)
    if prior.shape != (n_features, n_features):
        raise ValueError(f"covariance_prior must have shape ({n_features}, {n_features}); got {prior.shape}")
    if not np.allclose(prior, prior.T, rtol=1e-10, atol=0):
        raise ValueError("covariance_prior must be symmetric")
    prior = 0.5 * (prior + prior.T)
    if covariance_type == "diag":
        prior = np.diag(np.diag(prior))
    elif covariance_type == "spherical":
        prior = np.mean(np.diag(prior)) * np.eye(n_features)
    try:
        np.linalg.cholesky(prior)
    except np.linalg.LinAlgError:
        raise ValueError("covariance_prior must be positive definite") from None
    return prior


def _maximization(
    X: np.ndarray,
    responsibilities: np.ndarray,
    sample_weight: np.ndarray,
    covariance_type: str,
    regulariser: Regulariser,
) -> GMMParams:
    """:func:`m_step` on inputs that are already validated (used inside the EM loop).

    The moments are those of :func:`moments_formula`, computed with no (N, D) temporary
    (``emlib._fast.component_moments``: compiled loops with numba; otherwise chunk by chunk in
    numpy, and for diagonal and spherical covariances one pass of matrix products with a
    cancellation guard).
    """
    counts = sample_weight @ responsibilities  # N_k, book eq. (soft-em-nk)
    empty = np.flatnonzero(counts <= np.finfo(np.float64).tiny)
    if empty.size:
        raise ValueError(
            f"component {empty[0]} has no responsibility (N_k = 0), so its mean and covariance"
            " are undefined; re-initialise or use fewer components"
        )
    total = sample_weight.sum()
    diagonal = covariance_type in ("diag", "spherical")
    with np.errstate(over="ignore", invalid="ignore"):  # checked below: an overflow is an error, not inf
        if covariance_type == "tied":  # only Σ_k S_k is needed: the total scatter less the between-component one
            means, scatter = _fast.pooled_moments(X, responsibilities, sample_weight, counts)
        else:
            means, scatter = _fast.component_moments(X, responsibilities, sample_weight, counts, diagonal)
    return params_from_moments(counts, means, scatter, total, covariance_type, regulariser)


def params_from_moments(
    counts: np.ndarray,
    means: np.ndarray,
    scatter: np.ndarray,
    total: float,
    covariance_type: str,
    regulariser: Regulariser,
) -> GMMParams:
    """The M-step's parameters from each component's N_k, mean and centred scatter.

    ``scatter`` is S_k, shape (K, D, D), or for "diag" and "spherical" covariances its diagonal,
    shape (K, D), or for "tied" possibly only Σ_k S_k, shape (1, D, D); ``total`` is Σ_n w_n. The covariance update of ``covariance_type`` (eqs.
    :eq:`soft-em-sigma` to :eq:`soft-em-sigma-tied`), the regulariser's floor and the singularity
    check follow; π_k = N_k / Σ_n w_n (eq. :eq:`soft-em-pi`).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # checked below: an overflow is an error, not inf
        covariances = _COVARIANCE_UPDATES[covariance_type](scatter, counts, total)
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(covariances))):
        raise ValueError("the M-step means or covariances overflow float64 (X spreads near 1e154 or beyond); rescale X")
    covariances += regulariser.floors(counts, total, covariance_type)  # eq. (soft-em-reg-covar), (soft-em-map-sigma)
    regulariser.check_not_singular(means, covariances, covariance_type)
    return GMMParams._from_m_step(counts / total, means, covariances)  # π_k = N_k / Σ_n w_n, eq. (soft-em-pi)


def moments_formula(X: np.ndarray, responsibilities: np.ndarray, sample_weight: np.ndarray):
    """Each component's mean and scatter as the book writes them (eqs. :eq:`soft-em-nk`, :eq:`soft-em-mu`, :eq:`soft-em-sigma`).

    With r_nk = w_n γ(z_nk): N_k = Σ_n r_nk, μ_k = Σ_n r_nk x_n / N_k and
    S_k = Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ, the scatter about the component's own mean (never
    E[xxᵀ] − μμᵀ, which cancels), with the two-pass correction: a first mean m_k, then
    d_k = Σ_n r_nk (x_n − m_k) / N_k corrects both, μ_k = m_k + d_k and
    S_k = Σ_n r_nk (x_n − m_k)(x_n − m_k)ᵀ − N_k d_k d_kᵀ. The M-step computes the same numbers
    chunk by chunk (``emlib._fast``).

    Returns
    -------
    counts : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    scatter : ndarray of shape (K, D, D)
    """
    weighted = responsibilities * sample_weight[:, np.newaxis]  # r_nk
    counts = weighted.sum(axis=0)
    means = np.empty((len(counts), X.shape[1]))
    scatter = np.empty((len(counts), X.shape[1], X.shape[1]))
    for k in range(len(counts)):
        first_mean = weighted[:, k] @ X / counts[k]
        deviations = X - first_mean
        correction = weighted[:, k] @ deviations / counts[k]
        means[k] = first_mean + correction
        scatter[k] = (weighted[:, k] * deviations.T) @ deviations - counts[k] * np.outer(correction, correction)
    return counts, means, scatter


def _full(scatter, counts, total):  # eq. (soft-em-sigma)
    return scatter / counts[:, np.newaxis, np.newaxis]


def _tied(scatter, counts, total):  # eq. (soft-em-sigma-tied)
    shared = scatter.sum(axis=0) / total
    return np.broadcast_to(shared, (len(counts),) + shared.shape).copy()


def _diag(variances_times_counts, counts, total):  # eq. (soft-em-sigma-diag)
    variances = variances_times_counts / counts[:, np.newaxis]
    return variances[:, :, np.newaxis] * np.eye(variances.shape[1])


def _spherical(variances_times_counts, counts, total):  # eq. (soft-em-sigma-spherical)
    variances = np.mean(variances_times_counts, axis=1) / counts
    return variances[:, np.newaxis, np.newaxis] * np.eye(variances_times_counts.shape[1])


_COVARIANCE_UPDATES = {"full": _full, "tied": _tied, "diag": _diag, "spherical": _spherical}


def _maximization_keeping_empty(
    X: np.ndarray,
    responsibilities: np.ndarray,
    sample_weight: np.ndarray,
    previous: GMMParams,
    covariance_type: str,
    regulariser: Regulariser,
) -> GMMParams:
    """:func:`maximization` inside an EM loop, where a component may have lost every point.

    A component whose responsibilities are all zero (N_k ≤ the smallest normal float: its
    densities underflowed everywhere, or, in hard EM, it won no point) gets weight π_k = 0,
    the maximiser of Σ_k N_k log π_k, and keeps its previous mean and covariance (for "tied",
    the covariance shared by the others). With log π_k = −∞ it takes no responsibility again,
    so the fit continues, deterministically and without NaN, with fewer effective components.
    """
    occupied = np.flatnonzero(sample_weight @ responsibilities > np.finfo(np.float64).tiny)
    if occupied.size == previous.n_components:
        return _maximization(X, responsibilities, sample_weight, covariance_type, regulariser)
    try:
        fitted = _maximization(X, responsibilities[:, occupied], sample_weight, covariance_type, regulariser)
    except SingularCovarianceError as error:  # report the component's index in the full mixture
        raise singular_covariance_error(int(occupied[error.component]), covariance_type, regulariser.additive) from None
    weights = np.zeros(previous.n_components)
    means, covariances = np.array(previous.means), np.array(previous.covariances)
    weights[occupied] = fitted.weights
    means[occupied] = fitted.means
    covariances[occupied] = fitted.covariances
    if covariance_type == "tied":
        covariances[:] = fitted.covariances[0]
    return GMMParams(weights, means, covariances)


def _map_maximization(
    X: np.ndarray, responsibilities: np.ndarray, sample_weight: np.ndarray, prior: ResolvedPrior
) -> GMMParams:
    """The MAP M-step of the conjugate prior (Fraley and Raftery 2007, table 2; ``emlib.priors``) on validated inputs.

    With r_nk = w_n γ_nk, N_k, x̄_k and S_k centred on each component (as :func:`_maximization`),
    d_k = x̄_k − μ_P, h_k = N_k cκ / (N_k + cκ) and the denominators of
    :meth:`emlib.priors.ResolvedPrior.denominators`:

    - π_k = (N_k + c(α − 1)) / (W + cK(α − 1));
    - μ_k = (N_k x̄_k + cκ μ_P) / (N_k + cκ), computed as x̄_k − cκ / (N_k + cκ) · d_k;
    - "full": Σ_k = (cΛ + S_k + h_k d_k d_kᵀ) / (N_k + c(ν + D + 2));
    - "tied": Σ = (cΛ + Σ_k [S_k + h_k d_k d_kᵀ]) / (W + c(ν + D + 1 + K));
    - "diag": σ²_kd = (cλ_d + (S_k)_dd + h_k d_kd²) / (N_k + c(ν + 3));
    - "spherical": σ²_k = (cς² + tr S_k + h_k ‖d_k‖²) / (D N_k + c(ν + D + 2)).

    A component with no responsibility (N_k at most the smallest normal float) counts as N_k = 0:
    μ_k = μ_P and the prior's mode cΛ / denominator_k, with weight c(α − 1) / (W + cK(α − 1)),
    which is 0 for α = 1. The covariances are at least cΛ / denominator_k, never singular.
    """
    covariance_type = prior.covariance_type
    n_components, n_features = responsibilities.shape[1], X.shape[1]
    counts = sample_weight @ responsibilities  # N_k, book eq. (soft-em-nk)
    occupied = np.flatnonzero(counts > np.finfo(np.float64).tiny)
    counts[counts <= np.finfo(np.float64).tiny] = 0.0
    total = float(sample_weight.sum())
    diagonal = covariance_type in ("diag", "spherical")
    centres = np.broadcast_to(prior.mean, (n_components, n_features)).copy()  # x̄_k (μ_P where N_k = 0)
    scatter = np.zeros((n_components, n_features) if diagonal else (n_components, n_features, n_features))
    with np.errstate(over="ignore", invalid="ignore"):  # checked below: an overflow is an error, not inf
        if occupied.size:
            centres[occupied], scatter[occupied] = _fast.component_moments(
                X, responsibilities, sample_weight, counts[occupied], diagonal, columns=occupied
            )
        pseudo = prior.weight * prior.shrinkage  # cκ
        offsets = centres - prior.mean  # d_k
        means = centres - (pseudo / (counts + pseudo))[:, np.newaxis] * offsets
        shrunk = counts * pseudo / (counts + pseudo)  # h_k
        covariances = _map_covariances(prior, scatter, offsets, shrunk, counts, total)
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(covariances))):
        raise ValueError("the M-step means or covariances overflow float64 (X spreads near 1e154 or beyond); rescale X")
    return GMMParams(prior.weights_update(counts, total), means, covariances)


def _map_covariances(prior: ResolvedPrior, scatter, offsets, shrunk, counts, total) -> np.ndarray:
    """The covariance updates of :func:`_map_maximization`, shape (K, D, D)."""
    covariance_type, c = prior.covariance_type, prior.weight
    denominators = prior.denominators(counts, total)
    n_components, n_features = offsets.shape
    if covariance_type in ("full", "tied"):
        numerators = scatter + shrunk[:, np.newaxis, np.newaxis] * (
            offsets[:, :, np.newaxis] * offsets[:, np.newaxis, :]
        )
        if covariance_type == "tied":
            shared = (c * prior.scale + numerators.sum(axis=0)) / denominators[0]
            return np.broadcast_to(shared, (n_components, n_features, n_features)).copy()
        return (c * prior.scale + numerators) / denominators[:, np.newaxis, np.newaxis]
    scales = np.diagonal(prior.scale)  # λ_d, or ς² on every entry for "spherical"
    if covariance_type == "diag":
        variances = (c * scales + scatter + shrunk[:, np.newaxis] * offsets**2) / denominators[:, np.newaxis]
    else:
        numerators = c * scales[0] + np.sum(scatter, axis=1) + shrunk * np.sum(offsets**2, axis=1)
        variances = np.broadcast_to((numerators / denominators)[:, np.newaxis], (n_components, n_features))
    return variances[:, :, np.newaxis] * np.eye(n_features)
