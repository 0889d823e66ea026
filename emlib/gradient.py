"""EM as a projected gradient method: the gradient, Xu and Jordan's projection, the EM map and its rate.

An EM step for a Gaussian mixture is θ_{t+1} − θ_t = P(θ_t) ∇ℓ(θ_t) (Xu and Jordan 1996), up to
one second-order term in the covariance block, and near an optimum θ* the EM map M behaves
like θ ↦ θ* + M′(θ*)(θ − θ*) with M′(θ*) = I − I_c⁻¹ I_o (Dempster, Laird and Rubin 1977).
This module computes every object in those statements for full covariances and
``reg_covar = 0`` (pure maximum likelihood, where the statements hold exactly).

**Flat parametrisation** (used by :func:`em_map_jacobian`, :func:`observed_information`,
:func:`complete_information`): θ = (π_1, …, π_{K−1}, μ_1, …, μ_K, vech Σ_1, …, vech Σ_K), with
π_K = 1 − Σ_{k<K} π_k and vech Σ the entries on and below the diagonal, row by row
(``numpy.tril_indices``). Its length is (K − 1) + K·D + K·D(D + 1)/2.

**Row weights.** Every function takes ``sample_weight`` (book eq. :eq:`soft-em-sample-weights`):
ℓ = Σ_n w_n log p(x_n | θ), so the statistics below use r_nk = w_n γ_nk, N_k = Σ_n r_nk, and N is
replaced by W = Σ_n w_n.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, is_dataclass

import numpy as np
from scipy.linalg import cho_solve

from ._regularisation import Regulariser
from ._validation import as_float_array, check_count, check_data, check_positive_real, check_sample_weight
from .expectation import _posterior
from .maximization import _maximization
from .params import GMMParams, check_gmm_params

__all__ = [
    "GMMGradient",
    "MAX_DENSE_BYTES",
    "ProjectionBlocks",
    "complete_information",
    "convergence_rate",
    "duplication_matrix",
    "em_map",
    "em_map_jacobian",
    "flatten_gradient",
    "flatten_params",
    "log_likelihood_gradient",
    "observed_information",
    "projected_gradient",
    "projection_matrix",
    "unflatten_params",
]


@dataclass(frozen=True, eq=False)
class GMMGradient:
    """A tangent vector of the mixture parameters, block by block (every entry a free coordinate).

    Attributes
    ----------
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    covariances : ndarray of shape (K, D, D)
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


@dataclass(frozen=True, eq=False)
class ProjectionBlocks:
    """Xu and Jordan's P(θ), block by block (book eq. :eq:`em-gradient-projection`).

    Attributes
    ----------
    weights : ndarray of shape (K, K)
        P_π = (diag π − π πᵀ) / N.
    means : ndarray of shape (K, D, D)
        P_μk = Σ_k / N_k.
    covariances : ndarray of shape (K, D², D²)
        P_Σk = (2 / N_k) Σ_k ⊗ Σ_k, acting on vec(∂ℓ/∂Σ_k) (row-major vec), i.e.
        G ↦ (2 / N_k) Σ_k G Σ_k.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


def _finite_result(function):
    """Run ``function`` with floating-point warnings off and refuse a non-finite result.

    At extreme scales (covariances near the limits of float64) or for a component that takes no
    responsibility at all, the gradient, the projection and the information matrices are not
    representable; the caller gets a ValueError that says so instead of inf or NaN.
    """

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            result = function(*args, **kwargs)
        parts = [getattr(result, f.name) for f in fields(result)] if is_dataclass(result) else [result]
        if not all(np.all(np.isfinite(part)) for part in parts):
            raise ValueError(
                f"{function.__name__}: the result is not representable in float64 for these X and params"
                " (a component with no responsibility, or values at an extreme scale); rescale X or"
                " check params"
            )
        return result

    return guarded


#: The largest dense matrix the diagnostics here will build (P_Σ has K·D⁴ entries, the information
#: matrices P² with P ≈ K·D²/2): they are tools for small D, and a clear error beats a MemoryError.
MAX_DENSE_BYTES = 256 * 2**20


def _check_dense_size(n_entries: int, what: str, params: GMMParams) -> None:
    needed = 8 * n_entries
    if needed > MAX_DENSE_BYTES:
        raise ValueError(
            f"{what} for params with K={params.n_components}, D={params.n_features} would need {needed / 2**20:,.0f} MiB ({n_entries:,} float64 entries), more than"
            f" the {MAX_DENSE_BYTES / 2**20:.0f} MiB these diagnostics allow (emlib.gradient.MAX_DENSE_BYTES);"
            " they are meant for few features: reduce D or K"
        )


def _flat_size(params: GMMParams) -> int:
    """P = (K − 1) + K·D + K·D(D + 1)/2, the length of the flat parametrisation."""
    k, d = params.n_components, params.n_features
    return (k - 1) + k * d + k * d * (d + 1) // 2


def _checked(X, params: GMMParams, sample_weight=None, dense: str | None = None):
    """Validated X, and params that match it with every weight positive (the gradient involves 1/π_k).

    ``dense`` names a result of shape (P, P) (or, for ``"projection"``, K blocks of D² × D²),
    whose size is checked before anything is computed. Returns X and the row weights.
    """
    X = check_data(X)
    check_gmm_params(X, params)
    weights = check_sample_weight(sample_weight, X.shape[0])
    if dense == "projection":
        _check_dense_size(
            params.n_components * params.n_features**4, "the projection matrix's covariance blocks", params
        )
    elif dense is not None:  # the covariance blocks are built from D² × D² Kronecker products
        _check_dense_size(max(_flat_size(params) ** 2, params.n_features**4), dense, params)
    if np.any(params.weights <= 0):
        raise ValueError(
            "params.weights must all be positive here: the gradient involves 1/π_k and the EM map is"
            " undefined for a component with no responsibility"
        )
    return X, weights


def _posterior_statistics(X: np.ndarray, params: GMMParams, weights: np.ndarray):
    """Weighted responsibilities r_nk = w_n γ_nk under ``params``, and N_k = Σ_n r_nk."""
    _, responsibilities = _posterior(X, params)
    responsibilities *= weights[:, np.newaxis]
    return responsibilities, responsibilities.sum(axis=0)


def _precision_times(params: GMMParams, k: int, matrix: np.ndarray) -> np.ndarray:
    """Σ_k⁻¹ · matrix by a Cholesky solve."""
    return cho_solve((params.covariance_cholesky[k], True), matrix, check_finite=False)


@_finite_result
def log_likelihood_gradient(X, params: GMMParams, *, sample_weight=None) -> GMMGradient:
    """∇ℓ(θ) with respect to the weights, means and covariances, every entry a free coordinate.

    Book eq. :eq:`em-gradient-gradient`. With γ_nk the responsibilities, N_k = Σ_n γ_nk and
    d_nk = x_n − μ_k:

    - ∂ℓ/∂π_k = N_k / π_k (the constraint Σ π_k = 1 is not applied),
    - ∂ℓ/∂μ_k = Σ_k⁻¹ Σ_n γ_nk d_nk,
    - ∂ℓ/∂Σ_k = ½ Σ_k⁻¹ (Σ_n γ_nk d_nk d_nkᵀ − N_k Σ_k) Σ_k⁻¹, the derivative with respect to
      each of the D² entries as an independent coordinate (a symmetric perturbation E
      changes ℓ by ⟨∂ℓ/∂Σ_k, E⟩ to first order).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        The point θ, with every weight positive.

    Returns
    -------
    GMMGradient
    """
    X, sample_weight = _checked(X, params, sample_weight)
    responsibilities, counts = _posterior_statistics(X, params, sample_weight)
    n_components, n_features = params.n_components, params.n_features
    weights = counts / params.weights
    means = np.empty((n_components, n_features))
    covariances = np.empty((n_components, n_features, n_features))
    for k in range(n_components):
        deviations = X - params.means[k]
        first_moment = responsibilities[:, k] @ deviations
        scatter = (responsibilities[:, k] * deviations.T) @ deviations
        means[k] = _precision_times(params, k, first_moment)
        inner = scatter - counts[k] * params.covariances[k]
        half = _precision_times(params, k, inner)
        covariances[k] = 0.5 * _precision_times(params, k, half.T).T
    return GMMGradient(weights, means, covariances)


@_finite_result
def projection_matrix(X, params: GMMParams, *, sample_weight=None) -> ProjectionBlocks:
    """Xu and Jordan's projection P(θ) such that the EM step is P(θ) ∇ℓ(θ) (book eq. :eq:`em-gradient-projection`).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        The point θ.

    Returns
    -------
    ProjectionBlocks
        P_π = (diag π − π πᵀ)/N, P_μk = Σ_k/N_k, P_Σk = (2/N_k) Σ_k ⊗ Σ_k. All three are
        symmetric positive (semi-)definite, so P ∇ℓ is an ascent direction.
    """
    X, sample_weight = _checked(X, params, sample_weight, dense="projection")
    _, counts = _posterior_statistics(X, params, sample_weight)
    weights = (np.diag(params.weights) - np.outer(params.weights, params.weights)) / sample_weight.sum()
    means = params.covariances / counts[:, np.newaxis, np.newaxis]
    covariances = np.stack(
        [2.0 / counts[k] * np.kron(params.covariances[k], params.covariances[k]) for k in range(params.n_components)]
    )
    return ProjectionBlocks(weights, means, covariances)


@_finite_result
def projected_gradient(X, params: GMMParams, *, sample_weight=None) -> GMMGradient:
    """P(θ) ∇ℓ(θ), block by block: the EM step up to one second-order term.

    Book eq. :eq:`em-gradient-em-step`. With Δπ, Δμ_k, ΔΣ_k the blocks of P∇ℓ, one EM step
    (:func:`em_map`, the standard covariance update that uses the *new* mean) is exactly

    - π_new = π + Δπ and μ_new,k = μ_k + Δμ_k,
    - Σ_new,k = Σ_k + ΔΣ_k − Δμ_k Δμ_kᵀ.

    So θ_{t+1} − θ_t = P ∇ℓ holds exactly for the weights and means, and for the covariances
    exactly when the update uses the old mean, or when Δμ_k = 0 (for example at a fixed
    point); with the new mean the term −Δμ_k Δμ_kᵀ, quadratic in the gradient, must be added.

    Returns
    -------
    GMMGradient
        The blocks (Δπ, Δμ, ΔΣ) of P(θ) ∇ℓ(θ).
    """
    X, sample_weight = _checked(X, params, sample_weight)
    gradient = log_likelihood_gradient(X, params, sample_weight=sample_weight)
    projection = projection_matrix(X, params, sample_weight=sample_weight)
    n_features = params.n_features
    weights = projection.weights @ gradient.weights
    means = np.einsum("kij,kj->ki", projection.means, gradient.means)
    covariances = np.einsum("kab,kb->ka", projection.covariances, gradient.covariances.reshape(params.n_components, -1))
    return GMMGradient(weights, means, covariances.reshape(params.n_components, n_features, n_features))


def em_map(X, params: GMMParams, *, sample_weight=None) -> GMMParams:
    """One EM step M(θ) for a full-covariance mixture without regularisation.

    The E-step (book eq. :eq:`soft-em-responsibilities`) followed by the M-step (eqs.
    :eq:`soft-em-mu`, :eq:`soft-em-sigma`, :eq:`soft-em-pi`).
    """
    X, weights = _checked(X, params, sample_weight)
    _, responsibilities = _posterior(X, params)
    return _maximization(X, responsibilities, weights, "full", Regulariser.for_data(X, weights, "full", 0.0))


def flatten_params(params: GMMParams) -> np.ndarray:
    """θ as a flat vector (π_1..π_{K−1}, means, vech of each covariance): see the module notes."""
    if not isinstance(params, GMMParams):
        raise TypeError(f"params must be an emlib.GMMParams; got {type(params).__name__}")
    rows, columns = np.tril_indices(params.n_features)
    return np.concatenate([params.weights[:-1], params.means.ravel(), params.covariances[:, rows, columns].ravel()])


def unflatten_params(theta, n_components: int, n_features: int) -> GMMParams:
    """The inverse of :func:`flatten_params` (validated: raises if θ is not a valid mixture)."""
    n_components = check_count(n_components, "n_components", minimum=1)
    n_features = check_count(n_features, "n_features", minimum=1)
    theta = as_float_array(theta, "theta", ndim=1)
    n_tril = n_features * (n_features + 1) // 2
    expected = (n_components - 1) + n_components * n_features + n_components * n_tril
    if theta.shape != (expected,):
        raise ValueError(f"theta must have shape ({expected},) for K={n_components}, D={n_features}; got {theta.shape}")
    free_weights = theta[: n_components - 1]
    weights = np.append(free_weights, 1.0 - free_weights.sum())
    offset = n_components - 1
    means = theta[offset : offset + n_components * n_features].reshape(n_components, n_features)
    offset += n_components * n_features
    lower = theta[offset:].reshape(n_components, n_tril)
    rows, columns = np.tril_indices(n_features)
    covariances = np.zeros((n_components, n_features, n_features))
    covariances[:, rows, columns] = lower
    covariances[:, columns, rows] = lower
    return GMMParams(weights, means, covariances)


@_finite_result
def em_map_jacobian(X, params: GMMParams, *, step: float = 1e-5, sample_weight=None) -> np.ndarray:
    """M′(θ): the Jacobian of the EM map in the flat parametrisation, by central differences.

    Book eq. :eq:`em-gradient-rate`. Column i is [flat M(θ + h e_i) − flat M(θ − h e_i)] / 2h
    with h = step × the natural scale of coordinate i (π_k for a weight, the component's
    standard deviation for a mean, sqrt(Σ_ii Σ_jj) for a covariance entry); the error is O(h²).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    params : GMMParams
        The point θ (typically a fixed point of EM).
    step : float, default 1e-5
        Finite-difference step, relative to each coordinate's natural scale.

    Returns
    -------
    ndarray of shape (P, P)
        P = (K − 1) + K·D + K·D(D + 1)/2.
    """
    X, weights = _checked(X, params, sample_weight, dense="the Jacobian of the EM map")
    step = check_positive_real(step, "step")
    return _flat_derivative(lambda point: flatten_params(em_map(X, point, sample_weight=weights)), params, step)


@_finite_result
def convergence_rate(X, params: GMMParams, *, sample_weight=None) -> float:
    """Spectral radius of M′(θ*) at a fixed point θ*: the linear rate of EM near θ*.

    Book eq. :eq:`em-gradient-rate`: ‖θ_{t+1} − θ*‖ ≈ ρ ‖θ_t − θ*‖ for the slowest direction.
    It equals the largest fraction of missing information, the largest eigenvalue of
    I_c⁻¹ (I_c − I_o).
    """
    return float(np.max(np.abs(np.linalg.eigvals(em_map_jacobian(X, params, sample_weight=sample_weight)))))


@_finite_result
def observed_information(X, params: GMMParams, *, step: float = 1e-5, sample_weight=None) -> np.ndarray:
    """I_o(θ) = −∇²ℓ(θ) in the flat parametrisation.

    Central differences of the analytic gradient (:func:`log_likelihood_gradient`, carried to
    the flat coordinates by the chain rule), symmetrised.

    Returns
    -------
    ndarray of shape (P, P)
    """
    X, weights = _checked(X, params, sample_weight, dense="the observed information matrix")
    step = check_positive_real(step, "step")
    gradient = lambda point: flatten_gradient(log_likelihood_gradient(X, point, sample_weight=weights))  # noqa: E731
    hessian = _flat_derivative(gradient, params, step)
    return -0.5 * (hessian + hessian.T)


@_finite_result
def complete_information(X, params: GMMParams, *, sample_weight=None) -> np.ndarray:
    """I_c(θ) = −∂²Q(θ′ | θ)/∂θ′² at θ′ = θ, in the flat parametrisation (analytic).

    The information the data would carry if the labels were observed, averaged over their
    posterior under θ (book eq. :eq:`em-gradient-information`). Blocks, with N_k = Σ_n γ_nk,
    s_k = Σ_n γ_nk (x_n − μ_k), S_k = Σ_n γ_nk (x_n − μ_k)(x_n − μ_k)ᵀ, A_k = Σ_k⁻¹ and
    C_k = A_k S_k A_k:

    - weights: N_i/π_i² δ_ij + N_K/π_K²;
    - means: N_k A_k; mean–covariance: the symmetric perturbation E and direction u give
      uᵀ A_k E A_k s_k (zero at a fixed point, where s_k = 0);
    - covariances: the quadratic form vec(E)ᵀ [½ (C_k ⊗ A_k + A_k ⊗ C_k) − (N_k/2) A_k ⊗ A_k] vec(E),
      which is (N_k/2) A_k ⊗ A_k at a fixed point.

    Returns
    -------
    ndarray of shape (P, P)
    """
    X, sample_weight = _checked(X, params, sample_weight, dense="the complete-data information matrix")
    responsibilities, counts = _posterior_statistics(X, params, sample_weight)
    n_components, n_features = params.n_components, params.n_features
    rows, columns = np.tril_indices(n_features)
    n_tril = rows.size
    duplication = duplication_matrix(n_features)
    size = (n_components - 1) + n_components * n_features + n_components * n_tril
    information = np.zeros((size, size))

    last = n_components - 1
    weight_block = np.full((last, last), counts[last] / params.weights[last] ** 2)
    weight_block[np.diag_indices(last)] += counts[:last] / params.weights[:last] ** 2
    information[:last, :last] = weight_block

    identity = np.eye(n_features)
    for k in range(n_components):
        precision = _precision_times(params, k, identity)
        precision = 0.5 * (precision + precision.T)
        deviations = X - params.means[k]
        first_moment = responsibilities[:, k] @ deviations
        scatter = (responsibilities[:, k] * deviations.T) @ deviations
        curvature = precision @ scatter @ precision
        mean_slice = slice(last + k * n_features, last + (k + 1) * n_features)
        cov_start = last + n_components * n_features + k * n_tril
        cov_slice = slice(cov_start, cov_start + n_tril)
        information[mean_slice, mean_slice] = counts[k] * precision
        quadratic = 0.5 * (np.kron(curvature, precision) + np.kron(precision, curvature))
        quadratic -= 0.5 * counts[k] * np.kron(precision, precision)
        information[cov_slice, cov_slice] = duplication.T @ quadratic @ duplication
        # mean–covariance: ∂²/∂u∂E of −Q is uᵀ A E A s; as a D × D² map, row a is vec(A e_a sᵀ A)ᵀ
        weighted_first = precision @ first_moment
        cross = np.stack([np.outer(precision[a], weighted_first).ravel() for a in range(n_features)])
        cross = 0.5 * (cross + np.stack([np.outer(weighted_first, precision[a]).ravel() for a in range(n_features)]))
        information[mean_slice, cov_slice] = cross @ duplication
        information[cov_slice, mean_slice] = (cross @ duplication).T
    return information


def flatten_gradient(gradient: GMMGradient) -> np.ndarray:
    """∇ℓ in the flat parametrisation (see the module notes), from the free-coordinate blocks.

    The chain rule: ∂ℓ/∂π_k − ∂ℓ/∂π_K for the K − 1 free weights (π_K = 1 − Σ_{k<K} π_k), the
    means unchanged, and for vech Σ_k the diagonal entries of ∂ℓ/∂Σ_k and, below the diagonal,
    (∂ℓ/∂Σ_k)_ij + (∂ℓ/∂Σ_k)_ji (both entries move together).

    Parameters
    ----------
    gradient : GMMGradient
        From :func:`log_likelihood_gradient`.

    Returns
    -------
    ndarray of shape (P,)
    """
    if not isinstance(gradient, GMMGradient):
        raise TypeError(f"gradient must be an emlib.gradient.GMMGradient; got {type(gradient).__name__}")
    n_features = gradient.means.shape[1]
    rows, columns = np.tril_indices(n_features)
    weights = gradient.weights[:-1] - gradient.weights[-1]
    symmetric = gradient.covariances + np.swapaxes(gradient.covariances, 1, 2)
    off_diagonal = rows != columns
    covariances = np.where(off_diagonal, symmetric[:, rows, columns], gradient.covariances[:, rows, columns])
    return np.concatenate([weights, gradient.means.ravel(), covariances.ravel()])


def duplication_matrix(n_features: int) -> np.ndarray:
    """D with vec(Σ) = D vech(Σ) (row-major vec, vech in numpy.tril_indices order)."""
    rows, columns = np.tril_indices(n_features)
    duplication = np.zeros((n_features * n_features, rows.size))
    for index, (i, j) in enumerate(zip(rows, columns)):
        duplication[i * n_features + j, index] = 1.0
        duplication[j * n_features + i, index] = 1.0
    return duplication


def _coordinate_scales(params: GMMParams) -> np.ndarray:
    """The natural size of each flat coordinate: π_k for a weight, the component's standard
    deviation for a mean, sqrt(Σ_ii Σ_jj) for a covariance entry. Finite-difference steps
    proportional to these are invariant to rescaling the data and safe for thin components."""
    rows, columns = np.tril_indices(params.n_features)
    variances = np.diagonal(params.covariances, axis1=1, axis2=2)
    return np.concatenate(
        [
            params.weights[:-1],
            np.sqrt(variances).ravel(),
            (np.sqrt(variances[:, rows]) * np.sqrt(variances[:, columns])).ravel(),
        ]
    )


def _flat_derivative(function, params: GMMParams, step: float) -> np.ndarray:
    """Jacobian of ``function`` (GMMParams → flat vector) in the flat parametrisation, by central differences."""
    shape = (params.n_components, params.n_features)
    return _central_differences(
        lambda theta: function(unflatten_params(theta, *shape)),
        flatten_params(params),
        _coordinate_scales(params),
        step,
    )


def _central_differences(function, theta: np.ndarray, scales: np.ndarray, step: float) -> np.ndarray:
    columns = []
    for i in range(theta.size):
        h = step * scales[i]
        forward, backward = theta.copy(), theta.copy()
        forward[i] += h
        backward[i] -= h
        columns.append((function(forward) - function(backward)) / (2.0 * h))
    return np.stack(columns, axis=1)
