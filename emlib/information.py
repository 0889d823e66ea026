"""Standard errors of a Gaussian mixture: the observed information by Louis' identity.

Louis (1982), "Finding the observed information matrix when using the EM algorithm", J. R.
Statist. Soc. B 44:226–233, computes the curvature of the incomplete-data log-likelihood
ℓ(θ) = Σ_n w_n log p(x_n | θ) from complete-data quantities, which for a mixture are closed
forms: the score and Hessian of one component's log π_k + log N(x | μ_k, Σ_k).

**Louis' identity, row by row.** Write c_k(x) = log π_k + log N(x | μ_k, Σ_k) = log p(x, z = k | θ),
s_k = ∇c_k and h_k = ∇²c_k. As log p(x_n | θ) = log Σ_k exp c_k(x_n) and
∇γ_nk = γ_nk (s_k − s̄_n) (γ_nk the responsibilities, book eq. :eq:`soft-em-responsibilities`),

- ∇ log p(x_n | θ) = Σ_k γ_nk s_k(x_n) = s̄_n, the posterior mean of the complete-data score
  (Fisher's identity, book eq. :eq:`em-gradient-fisher`);
- −∇² log p(x_n | θ) = Σ_k γ_nk (−h_k(x_n)) − [Σ_k γ_nk s_k s_kᵀ − s̄_n s̄_nᵀ]
  = E[−∇² log p(x_n, z_n | θ) | x_n] − Var[∇ log p(x_n, z_n | θ) | x_n].

Summed with the row weights, I_obs(θ) = −∇²ℓ(θ) = I_c(θ) − I_m(θ): the complete information of
book eq. :eq:`em-gradient-information` minus the *missing information*, the posterior covariance
of the complete-data score (Louis' eq. 3.1). Louis writes the second term for the whole sample,
E[S Sᵀ | X] − S* S*ᵀ with S = Σ_n s_{z_n}(x_n) and S* = Σ_n s̄_n; the labels of different rows
are independent given X, so E[s_{z_n} s_{z_m}ᵀ | X] = s̄_n s̄_mᵀ for n ≠ m and those cross terms
cancel against S* S*ᵀ, leaving the sum of the per-row variances above. Nothing here assumes
∇ℓ(θ) = 0: the identity holds at every θ (and equals ``−∇²ℓ`` there); only its use for standard
errors needs θ to be a maximum.

**Free coordinates.** θ = (π_1, …, π_{K−1}, μ_1, …, μ_K, then the covariance coordinates), with
π_K = 1 − Σ_{k<K} π_k, and covariances Σ_k = Σ_j θ_j B_j for the symmetric directions B_j of
``covariance_type``:

- ``"full"``: per component the lower triangle (``numpy.tril_indices`` order, row by row),
  B = e_a e_bᵀ + e_b e_aᵀ for a ≠ b, e_a e_aᵀ on the diagonal (the coordinates of
  :func:`emlib.gradient.flatten_params`);
- ``"tied"``: one lower triangle, shared by every component;
- ``"diag"``: per component the D variances (B = e_d e_dᵀ);
- ``"spherical"``: per component one variance σ²_k (Σ_k = σ²_k I, B = I).

The length p is ``emlib.gaussian_mixture.n_parameters``.

**Row weights.** ℓ = Σ_n w_n log p(x_n | θ) (book eq. :eq:`soft-em-sample-weights`), so every row's
term is multiplied by w_n. The standard errors then treat w_n as a frequency weight (an integer
w_n is w_n copies of the row); they are not a sandwich (robust) variance for sampling weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ._validation import check_count, check_covariance_type, check_data, check_sample_weight
from .expectation import _posterior
from .gradient import MAX_DENSE_BYTES
from .maximization import _check_prior_scale
from .params import GMMParams, check_gmm_params

__all__ = [
    "STRUCTURE_TOLERANCE",
    "StandardErrors",
    "complete_data_hessian",
    "complete_data_score",
    "free_coordinates",
    "observed_information",
    "parameter_names",
    "standard_errors",
]

#: How far (relative to the largest entry) a covariance may depart from the structure of its
#: ``covariance_type`` (off-diagonal entries for "diag", unequal variances for "spherical",
#: unequal components for "tied") and still be read in that type's free coordinates.
STRUCTURE_TOLERANCE = 1e-10
#: Rows per block when the per-row complete-data scores, shape (rows, K, p), are formed.
_SCORE_BLOCK_ENTRIES = 2**21


@dataclass(frozen=True, eq=False)
class _Layout:
    """Where each free coordinate sits in θ, and the symmetric directions B_j of one covariance block."""

    n_components: int
    n_features: int
    covariance_type: str
    basis: np.ndarray  # (q, D, D): Σ_k = Σ_j θ_j B_j over the block's q coordinates

    @classmethod
    def of(cls, n_components: int, n_features: int, covariance_type: str) -> _Layout:
        return cls(n_components, n_features, covariance_type, _covariance_basis(n_features, covariance_type))

    @property
    def n_weights(self) -> int:
        return self.n_components - 1

    @property
    def block_size(self) -> int:
        return self.basis.shape[0]

    @property
    def size(self) -> int:
        n_blocks = 1 if self.covariance_type == "tied" else self.n_components
        return self.n_weights + self.n_components * self.n_features + n_blocks * self.block_size

    def means(self, k: int) -> slice:
        start = self.n_weights + k * self.n_features
        return slice(start, start + self.n_features)

    def covariance(self, k: int) -> slice:
        """Component k's covariance coordinates (the same shared block for every k when tied)."""
        block = 0 if self.covariance_type == "tied" else k
        start = self.n_weights + self.n_components * self.n_features + block * self.block_size
        return slice(start, start + self.block_size)


def _covariance_basis(n_features: int, covariance_type: str) -> np.ndarray:
    """The directions B_j, shape (q, D, D), with Σ = Σ_j θ_j B_j (see the module notes)."""
    identity = np.eye(n_features)
    if covariance_type == "spherical":
        return identity[np.newaxis]
    if covariance_type == "diag":
        return np.einsum("da,db->dab", identity, identity)
    rows, columns = np.tril_indices(n_features)
    basis = np.zeros((rows.size, n_features, n_features))
    index = np.arange(rows.size)
    basis[index, rows, columns] = 1.0
    basis[index, columns, rows] = 1.0
    return basis


def _trace_form(basis: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """tr(B_i L B_j R) for every pair of directions, shape (q, q)."""
    return np.einsum("iab,bc,jcd,da->ij", basis, left, basis, right, optimize=True)


# --- validation ------------------------------------------------------------------------------


def _check_structure(params: GMMParams, covariance_type: str) -> None:
    """Raise unless params' covariances have the structure that ``covariance_type``'s coordinates describe."""
    covariances = params.covariances
    for k, covariance in enumerate(covariances):
        scale = np.max(np.abs(covariance))
        variances = np.diagonal(covariance)
        off_diagonal = covariance - np.diag(variances)
        if covariance_type in ("diag", "spherical") and np.max(np.abs(off_diagonal)) > STRUCTURE_TOLERANCE * scale:
            raise ValueError(
                f"params.covariances[{k}] is not diagonal, so params is not a {covariance_type!r} mixture;"
                " pass the covariance_type it was fitted with"
            )
        if covariance_type == "spherical" and np.ptp(variances) > STRUCTURE_TOLERANCE * scale:
            raise ValueError(
                f"params.covariances[{k}] has unequal variances, so params is not a 'spherical' mixture;"
                " pass the covariance_type it was fitted with"
            )
        if covariance_type == "tied" and np.max(np.abs(covariance - covariances[0])) > STRUCTURE_TOLERANCE * scale:
            raise ValueError(
                f"params.covariances[{k}] differs from params.covariances[0], so params is not a 'tied' mixture;"
                " pass the covariance_type it was fitted with"
            )


def _check_params(params, covariance_type) -> tuple[GMMParams, str]:
    if isinstance(params, np.ndarray):
        raise TypeError(
            "params must be an emlib.GMMParams; got an ndarray (the arguments are params, X, covariance_type)"
        )
    if not isinstance(params, GMMParams):
        raise TypeError(f"params must be an emlib.GMMParams; got {type(params).__name__}")
    covariance_type = check_covariance_type(covariance_type)
    _check_structure(params, covariance_type)
    if np.any(params.weights <= 0):
        raise ValueError(
            f"params.weights must all be positive: component {int(np.argmin(params.weights))} has weight 0,"
            " where the complete-data score 1/π_k and the information are undefined"
        )
    return params, covariance_type


def _checked(params, X, covariance_type, sample_weight):
    """Validated params, covariance_type, X and row weights, with the layout of the free coordinates."""
    params, covariance_type = _check_params(params, covariance_type)
    X = check_data(X)
    check_gmm_params(X, params)
    weights = check_sample_weight(sample_weight, X.shape[0])
    layout = _Layout.of(params.n_components, params.n_features, covariance_type)
    needed = 8 * max(layout.size**2, layout.block_size**2 * params.n_features**2)
    if needed > MAX_DENSE_BYTES:
        raise ValueError(
            f"the information matrix for K={params.n_components}, D={params.n_features} ({covariance_type!r}, p ="
            f" {layout.size} free parameters) would need {needed / 2**20:,.0f} MiB, more than the"
            f" {MAX_DENSE_BYTES / 2**20:.0f} MiB allowed (emlib.gradient.MAX_DENSE_BYTES); reduce D or K"
        )
    return params, covariance_type, X, weights, layout


def _check_component(component, n_components: int) -> int:
    component = check_count(component, "component", minimum=0)
    if component >= n_components:
        raise ValueError(f"component must be in 0..{n_components - 1}; got {component}")
    return component


# --- the complete-data score and Hessian of one component -----------------------------------


def _precision(params: GMMParams, k: int) -> np.ndarray:
    """A_k = Σ_k⁻¹ by a Cholesky solve, symmetrised."""
    precision = cho_solve((params.covariance_cholesky[k], True), np.eye(params.n_features), check_finite=False)
    return 0.5 * (precision + precision.T)


def _whitened_deviations(X: np.ndarray, params: GMMParams, k: int) -> np.ndarray:
    """u_n = Σ_k⁻¹ (x_n − μ_k), shape (N, D): centred first, then a Cholesky solve."""
    return cho_solve((params.covariance_cholesky[k], True), (X - params.means[k]).T, check_finite=False).T


def _weight_score(params: GMMParams, k: int) -> np.ndarray:
    """∂ log π_k / ∂(π_1, …, π_{K−1}): e_k / π_k for k < K, −1 / π_K for the last (π_K = 1 − Σ others)."""
    score = np.zeros(params.n_components - 1)
    if k < params.n_components - 1:
        score[k] = 1.0 / params.weights[k]
    else:
        score[:] = -1.0 / params.weights[k]
    return score


def _component_scores(X: np.ndarray, params: GMMParams, layout: _Layout, k: int, precision: np.ndarray) -> np.ndarray:
    """s_k(x_n) = ∇[log π_k + log N(x_n | μ_k, Σ_k)] in the free coordinates, shape (N, p).

    With u = Σ_k⁻¹ (x − μ_k): the weights as :func:`_weight_score`, u for μ_k, and
    ½ (uᵀ B_j u − tr(Σ_k⁻¹ B_j)) for each covariance coordinate (book eq. :eq:`em-gradient-gradient`
    for one row and one component, taken along B_j).
    """
    n_rows, n_features = X.shape
    scores = np.zeros((n_rows, layout.size))
    scores[:, : layout.n_weights] = _weight_score(params, k)
    whitened = _whitened_deviations(X, params, k)
    scores[:, layout.means(k)] = whitened
    outer = (whitened[:, :, np.newaxis] * whitened[:, np.newaxis, :]).reshape(n_rows, n_features * n_features)
    quadratic = outer @ layout.basis.reshape(layout.block_size, -1).T
    traces = np.einsum("jab,ab->j", layout.basis, precision)
    scores[:, layout.covariance(k)] = 0.5 * (quadratic - traces)
    return scores


def _component_negative_hessian(
    X: np.ndarray, params: GMMParams, layout: _Layout, k: int, precision: np.ndarray, row_weights: np.ndarray
) -> np.ndarray:
    """−Σ_n r_n h_k(x_n), shape (p, p), from three centred statistics of component k.

    With u_n = Σ_k⁻¹ (x_n − μ_k), A = Σ_k⁻¹, N = Σ_n r_n, ū = Σ_n r_n u_n and C = Σ_n r_n u_n u_nᵀ:

    - weights: N / π_k² at (k, k) for k < K; N / π_K² at every weight pair for the last component;
    - μ_k, μ_k: N A;
    - μ_k, covariance coordinate j: A B_j ū (−∂u/∂θ_j = A B_j u);
    - covariance coordinates i, j: tr(B_i A B_j C) − (N/2) tr(B_i A B_j A), the second derivative
      of ½ log det Σ + ½ (x − μ)ᵀ Σ⁻¹ (x − μ) along B_i and B_j.

    At r_n = w_n γ_nk and summed over k this is the complete information I_c of book eq.
    :eq:`em-gradient-information` (``emlib.gradient.complete_information`` for "full").
    """
    whitened = _whitened_deviations(X, params, k)
    count = float(row_weights.sum())
    first = row_weights @ whitened
    curvature = (whitened * row_weights[:, np.newaxis]).T @ whitened
    information = np.zeros((layout.size, layout.size))
    last = layout.n_weights
    if k < last:
        information[k, k] = count / params.weights[k] ** 2
    else:
        information[:last, :last] = count / params.weights[k] ** 2
    means, covariance = layout.means(k), layout.covariance(k)
    information[means, means] = count * precision
    cross = np.einsum("ab,jbc,c->aj", precision, layout.basis, first)
    information[means, covariance] = cross
    information[covariance, means] = cross.T
    block = _trace_form(layout.basis, precision, curvature) - 0.5 * count * _trace_form(
        layout.basis, precision, precision
    )
    information[covariance, covariance] = 0.5 * (block + block.T)
    return information


def _prior_information(params: GMMParams, layout: _Layout, prior_scale: np.ndarray) -> np.ndarray:
    """−∇² log p(θ) for log p(θ) = −½ Σ_k tr(Ψ Σ_k⁻¹) (once for a tied covariance), shape (p, p).

    Along B_i and B_j, −∂² log p = ½ [tr(B_i A B_j AΨA) + tr(B_j A B_i AΨA)] with A = Σ_k⁻¹: the
    default prior of book eq. :eq:`soft-em-data-prior` (its M-step, eq. :eq:`soft-em-map-sigma`).
    """
    information = np.zeros((layout.size, layout.size))
    for k in range(1 if layout.covariance_type == "tied" else layout.n_components):
        factor = (params.covariance_cholesky[k], True)
        precision = _precision(params, k)
        half = cho_solve(factor, prior_scale, check_finite=False)
        sandwich = cho_solve(factor, half.T, check_finite=False)  # A Ψ A
        block = _trace_form(layout.basis, precision, 0.5 * (sandwich + sandwich.T))
        information[layout.covariance(k), layout.covariance(k)] += 0.5 * (block + block.T)
    return information


def _information_parts(params: GMMParams, X: np.ndarray, weights: np.ndarray, layout: _Layout):
    """I_c = Σ_n w_n Σ_k γ_nk (−h_k(x_n)) and I_m = Σ_n w_n Σ_k γ_nk (s_k − s̄_n)(s_k − s̄_n)ᵀ (module notes).

    I_obs = I_c − I_m. The missing information I_m is formed from the centred scores s_k − s̄_n,
    so it carries no cancellation between Σ_k γ_nk s_k s_kᵀ and s̄_n s̄_nᵀ; the rows go through in
    blocks of bounded size.
    """
    _, responsibilities = _posterior(X, params)
    weighted = responsibilities * weights[:, np.newaxis]
    precisions = [_precision(params, k) for k in range(params.n_components)]
    complete = sum(
        _component_negative_hessian(X, params, layout, k, precisions[k], weighted[:, k])
        for k in range(params.n_components)
    )
    missing = np.zeros((layout.size, layout.size))
    rows_per_block = max(1, _SCORE_BLOCK_ENTRIES // (params.n_components * layout.size))
    for start in range(0, X.shape[0], rows_per_block):
        block = slice(start, start + rows_per_block)
        scores = np.stack(
            [_component_scores(X[block], params, layout, k, precisions[k]) for k in range(params.n_components)], axis=1
        )
        mean_score = np.einsum("nk,nkp->np", responsibilities[block], scores)
        centred = (scores - mean_score[:, np.newaxis, :]) * np.sqrt(weighted[block])[:, :, np.newaxis]
        centred = centred.reshape(-1, layout.size)
        missing += centred.T @ centred
    return 0.5 * (complete + complete.T), 0.5 * (missing + missing.T)


def _observed_and_complete(params, X, covariance_type, sample_weight, covariance_prior):
    """I_obs (with the prior's curvature if Ψ is given) and the complete information I_c it came from."""
    params, covariance_type, X, weights, layout = _checked(params, X, covariance_type, sample_weight)
    prior = None
    if covariance_prior is not None:
        prior = _check_prior_scale(covariance_prior, params.n_features, covariance_type)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        complete, missing = _information_parts(params, X, weights, layout)
        if prior is not None:
            complete = complete + _prior_information(params, layout, prior)
        observed = complete - missing
    return _finite(observed, "the observed information"), complete


def _finite(value: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(value)):
        raise ValueError(
            f"{what} is not representable in float64 for these X and params (values at an extreme scale,"
            " or a component of negligible weight); rescale X or check params"
        )
    return value


# --- public functions ------------------------------------------------------------------------


def free_coordinates(params: GMMParams, covariance_type: str) -> np.ndarray:
    """θ in the free coordinates of ``covariance_type`` (see the module notes), shape (p,).

    Parameters
    ----------
    params : GMMParams
        A mixture whose covariances have the structure of ``covariance_type``.
    covariance_type : {"full", "diag", "spherical", "tied"}

    Returns
    -------
    ndarray of shape (p,)
        (π_1, …, π_{K−1}, μ_1, …, μ_K, covariance coordinates), p =
        ``emlib.gaussian_mixture.n_parameters``.
    """
    if not isinstance(params, GMMParams):
        raise TypeError(f"params must be an emlib.GMMParams; got {type(params).__name__}")
    covariance_type = check_covariance_type(covariance_type)
    _check_structure(params, covariance_type)
    covariances = params.covariances
    if covariance_type == "spherical":
        covariance = np.mean(np.diagonal(covariances, axis1=1, axis2=2), axis=1)
    elif covariance_type == "diag":
        covariance = np.diagonal(covariances, axis1=1, axis2=2).ravel()
    else:
        rows, columns = np.tril_indices(params.n_features)
        covariance = (covariances[:1] if covariance_type == "tied" else covariances)[:, rows, columns].ravel()
    return np.concatenate([params.weights[:-1], params.means.ravel(), covariance])


def parameter_names(n_components: int, n_features: int, covariance_type: str) -> tuple[str, ...]:
    """Labels of the free coordinates, in order: "pi[k]", "mu[k,d]", then the covariances.

    Covariance labels: "Sigma[k][a,b]" (a ≥ b) for "full", "Sigma[a,b]" for the one shared matrix
    of "tied", "Sigma[k][d,d]" for "diag", "sigma2[k]" (Σ_k = σ²_k I) for "spherical".
    """
    n_components = check_count(n_components, "n_components", minimum=1)
    n_features = check_count(n_features, "n_features", minimum=1)
    covariance_type = check_covariance_type(covariance_type)
    names = [f"pi[{k}]" for k in range(n_components - 1)]
    names += [f"mu[{k},{d}]" for k in range(n_components) for d in range(n_features)]
    tril = list(zip(*np.tril_indices(n_features)))
    if covariance_type == "full":
        names += [f"Sigma[{k}][{a},{b}]" for k in range(n_components) for a, b in tril]
    elif covariance_type == "tied":
        names += [f"Sigma[{a},{b}]" for a, b in tril]
    elif covariance_type == "diag":
        names += [f"Sigma[{k}][{d},{d}]" for k in range(n_components) for d in range(n_features)]
    else:
        names += [f"sigma2[{k}]" for k in range(n_components)]
    return tuple(names)


def complete_data_score(params: GMMParams, X, covariance_type: str, component: int) -> np.ndarray:
    """s_k(x_n) = ∇ log p(x_n, z_n = k | θ) in the free coordinates, one row per row of X.

    The gradient of c_k(x) = log π_k + log N(x | μ_k, Σ_k) (book eq. :eq:`em-gradient-gradient`,
    one row and one component) with u = Σ_k⁻¹ (x − μ_k): e_k / π_k for the weights (−1/π_K in
    every weight coordinate for the last component, as π_K = 1 − Σ others), u for μ_k, and
    ½ (uᵀ B_j u − tr(Σ_k⁻¹ B_j)) for each covariance coordinate B_j; zero elsewhere. Its
    responsibility-weighted mean over k is ∇ log p(x_n | θ) (Fisher's identity, book eq.
    :eq:`em-gradient-fisher`).

    Parameters
    ----------
    params : GMMParams
        θ, every weight positive, covariances with the structure of ``covariance_type``.
    X : array_like of shape (N, D)
        Data.
    covariance_type : {"full", "diag", "spherical", "tied"}
        Which free coordinates (module notes).
    component : int
        k, in 0..K−1.

    Returns
    -------
    ndarray of shape (N, p)
    """
    params, _, X, _, layout = _checked(params, X, covariance_type, None)
    k = _check_component(component, params.n_components)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        scores = _component_scores(X, params, layout, k, _precision(params, k))
    return _finite(scores, "the complete-data score")


def complete_data_hessian(params: GMMParams, X, covariance_type: str, component: int, *, sample_weight=None):
    """Σ_n w_n h_k(x_n), the Hessian of Σ_n w_n log p(x_n, z_n = k | θ) in the free coordinates.

    With A = Σ_k⁻¹, u_n = A (x_n − μ_k), N = Σ_n w_n, ū = Σ_n w_n u_n, C = Σ_n w_n u_n u_nᵀ, the
    negative Hessian −Σ_n w_n h_k(x_n) has blocks N / π_k² (weights; N / π_K² in every weight
    pair for the last component), N A (μ_k), A B_j ū (μ_k with covariance coordinate j), and
    tr(B_i A B_j C) − (N/2) tr(B_i A B_j A) (covariance coordinates i, j). For a single row (N = 1)
    it is h_k(x) itself.

    Parameters
    ----------
    params, X, covariance_type, component
        As for :func:`complete_data_score`.
    sample_weight : array_like of shape (N,), optional
        Row weights w_n (default: ones).

    Returns
    -------
    ndarray of shape (p, p)
    """
    params, _, X, weights, layout = _checked(params, X, covariance_type, sample_weight)
    k = _check_component(component, params.n_components)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        hessian = -_component_negative_hessian(X, params, layout, k, _precision(params, k), weights)
    return _finite(hessian, "the complete-data Hessian")


def observed_information(
    params: GMMParams, X, covariance_type: str, *, sample_weight=None, covariance_prior=None
) -> np.ndarray:
    """I_obs(θ) = −∇²ℓ(θ) in the free coordinates, by Louis' identity (Louis 1982, eq. 3.1).

    I_obs = Σ_n w_n { E[−∇² log p(x_n, z_n | θ) | x_n] − Var[∇ log p(x_n, z_n | θ) | x_n] }
    = Σ_n w_n [Σ_k γ_nk (−h_k(x_n)) − (Σ_k γ_nk s_k s_kᵀ − s̄_n s̄_nᵀ)], s̄_n = Σ_k γ_nk s_k(x_n),
    with s_k and h_k the closed forms of :func:`complete_data_score` and
    :func:`complete_data_hessian` (the derivation is in the module notes): the complete
    information of book eq. :eq:`em-gradient-information` minus the missing information. It holds
    at every θ, not only at a maximum. Unlike :func:`emlib.gradient.observed_information`
    (differences of the gradient, "full" only), it is analytic and covers every covariance type.

    Parameters
    ----------
    params : GMMParams
        θ, every weight positive, covariances with the structure of ``covariance_type``.
    X : array_like of shape (N, D)
        Data.
    covariance_type : {"full", "diag", "spherical", "tied"}
        Which free coordinates (module notes): the structure the fit imposed.
    sample_weight : array_like of shape (N,), optional
        Row weights w_n (book eq. :eq:`soft-em-sample-weights`): row n's term is multiplied by w_n.
    covariance_prior : array_like of shape (D, D), optional
        Ψ of the conjugate prior p(Σ_k) ∝ exp(−½ tr(Ψ Σ_k⁻¹)) (book eq. :eq:`soft-em-data-prior`;
        ``fit.model.covariance_prior``): then −∇² log p(θ), computed exactly, is added, giving the
        curvature of the log-posterior (book eq. :eq:`soft-em-map-objective`). Default: ℓ alone.

    Returns
    -------
    ndarray of shape (p, p)
        Symmetric; p = ``emlib.gaussian_mixture.n_parameters``, coordinates labelled by
        :func:`parameter_names`.
    """
    return _observed_and_complete(params, X, covariance_type, sample_weight, covariance_prior)[0]


@dataclass(frozen=True, eq=False)
class StandardErrors:
    """Standard errors of a Gaussian mixture's parameters, from the inverse observed information.

    Attributes
    ----------
    weights : ndarray of shape (K,)
        SE of each π_k; π_K = 1 − Σ_{k<K} π_k by the delta method, sqrt(1ᵀ V_ππ 1) (0 when K = 1).
    means : ndarray of shape (K, D)
        SE of each μ_kd.
    covariances : ndarray of shape (K, D, D)
        SE of every entry of Σ_k, symmetric: sqrt(Σ_ij (B_i)_ab V_ij (B_j)_ab) over the block's
        coordinates. Entries the covariance type fixes have SE 0 (off the diagonal for "diag" and
        "spherical"); for "spherical" every diagonal entry carries the SE of σ²_k, for "tied" every
        component carries the SE of the shared matrix.
    covariance : ndarray of shape (p, p)
        V = I_obs⁻¹, the estimated covariance of the free coordinates.
    information : ndarray of shape (p, p)
        I_obs, the matrix that was inverted.
    estimates : ndarray of shape (p,)
        The free coordinates of the parameters (:func:`free_coordinates`).
    errors : ndarray of shape (p,)
        Their standard errors, sqrt(diag V).
    names : ndarray of shape (p,) of str
        Their labels (:func:`parameter_names`).
    covariance_type : str
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance: np.ndarray
    information: np.ndarray
    estimates: np.ndarray
    errors: np.ndarray
    names: np.ndarray
    covariance_type: str

    def __post_init__(self):
        for name in ("weights", "means", "covariances", "covariance", "information", "estimates", "errors", "names"):
            value = np.array(getattr(self, name))
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    def table(self) -> str:
        """One line per free coordinate: name, estimate, standard error."""
        width = max(len(name) for name in self.names)
        lines = [f"{'parameter':<{width}}  {'estimate':>12}  {'std. error':>12}"]
        lines += [
            f"{name:<{width}}  {value:>12.6g}  {error:>12.6g}"
            for name, value, error in zip(self.names, self.estimates, self.errors)
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        k, d = self.means.shape
        return f"StandardErrors(K={k}, D={d}, covariance_type={self.covariance_type!r}, p={self.names.size})"


def _not_positive_definite(reason: str, n_rows: int, size: int) -> ValueError:
    return ValueError(
        f"the observed information is not positive definite: {reason}. Standard errors need params to be a"
        " strict local maximum of the likelihood; this one is not: a saddle point (for example two identical"
        " components), a point that is not a converged fit, or data that do not determine all"
        f" p={size} free parameters (X has {n_rows} row{'' if n_rows == 1 else 's'} of positive weight)"
    )


def _leading_names(direction: np.ndarray, names: tuple[str, ...]) -> str:
    """The coordinates that make up most of a direction, largest first (at most three)."""
    magnitudes = np.abs(direction)
    order = [i for i in np.argsort(-magnitudes) if magnitudes[i] >= 0.3 * magnitudes.max()][:3]
    return ", ".join(names[i] for i in order)


def _inverse_information(information: np.ndarray, complete: np.ndarray, names: tuple[str, ...], n_rows: int):
    """V = I_obs⁻¹ by a Cholesky solve of R = S I_obs S, S = diag(max(|I_obs,ii|, |I_c,ii|))^(−1/2).

    R is unchanged by the units of each coordinate, and its entries are at most one in size, so
    its smallest eigenvalue judges definiteness scale-free: negative means ℓ curves upwards along
    that eigenvector (indefinite), one at the rounding level (1000 p ε) means ℓ is flat along it
    (singular). The message names the coordinates that eigenvector is made of.
    """
    size = information.shape[0]
    sizes = np.maximum(np.abs(np.diagonal(information)), np.abs(np.diagonal(complete)))
    if np.any(sizes == 0):
        worst = int(np.argmin(sizes))
        raise _not_positive_definite(f"the data carry no information about {names[worst]} at all", n_rows, size)
    scale = 1.0 / np.sqrt(sizes)
    scaled = information * np.outer(scale, scale)
    eigenvalues, eigenvectors = np.linalg.eigh(scaled)
    floor = 1e3 * size * np.finfo(np.float64).eps * max(1.0, float(np.max(np.abs(eigenvalues))))
    direction = _leading_names(eigenvectors[:, 0], names)
    if eigenvalues[0] < -floor:
        raise _not_positive_definite(
            f"it is indefinite: ℓ curves upwards along a direction made mostly of {direction} (eigenvalue"
            f" {eigenvalues[0]:.3g} of the information in units of each coordinate's own curvature)",
            n_rows,
            size,
        )
    if eigenvalues[0] <= floor:
        raise _not_positive_definite(
            f"it is singular: ℓ is flat, to rounding, along a direction made mostly of {direction} (eigenvalue"
            f" {eigenvalues[0]:.3g} in units of each coordinate's own curvature)",
            n_rows,
            size,
        )
    factor = cho_factor(scaled, lower=True, check_finite=False)
    inverse = cho_solve(factor, np.eye(size), check_finite=False)
    covariance = inverse * np.outer(scale, scale)
    return 0.5 * (covariance + covariance.T)


def standard_errors(
    params: GMMParams, X, covariance_type: str, *, sample_weight=None, covariance_prior=None
) -> StandardErrors:
    """Standard errors of a fitted mixture: V = I_obs⁻¹, with I_obs by Louis' identity.

    The observed information of :func:`observed_information` (Louis 1982; book eq.
    :eq:`em-gradient-information`), inverted by a Cholesky solve; the standard errors are the
    square roots of its diagonal, π_K's by the delta method. They are the usual large-sample
    ones for a maximum-likelihood estimate: params should be a converged fit (EM, SQUAREM, ECG)
    in the interior of the parameter space. Under emlib's default prior (book eq.
    :eq:`soft-em-data-prior`) a fit is a MAP estimate; by default the information is that of ℓ
    alone: the prior's curvature, about 10⁻⁶ T / (π_k Σ_k) relative to the likelihood's (at most
    1.1·10⁻⁴ of a diagonal entry, 6·10⁻⁵ of a standard error, on Old Faithful with K = 2), is left out; with
    ``covariance_prior`` the prior's exact curvature is included, and V is the Laplace
    approximation of the posterior covariance.

    Parameters
    ----------
    params, X, covariance_type, sample_weight, covariance_prior
        As for :func:`observed_information`.

    Returns
    -------
    StandardErrors

    Raises
    ------
    ValueError
        If I_obs is not positive definite (the message says whether it is indefinite, as at a
        saddle point, or singular, as with too few points or coinciding components), or on
        invalid input.
    """
    information, complete = _observed_and_complete(params, X, covariance_type, sample_weight, covariance_prior)
    X = check_data(X)
    positive_rows = int(np.count_nonzero(check_sample_weight(sample_weight, X.shape[0])))
    layout = _Layout.of(params.n_components, params.n_features, covariance_type)
    names = parameter_names(params.n_components, params.n_features, covariance_type)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        covariance = _inverse_information(information, complete, names, positive_rows)
    covariance = _finite(covariance, "the inverse of the observed information")
    variances = np.clip(np.diagonal(covariance), 0.0, None)
    last = layout.n_weights
    weight_block = covariance[:last, :last]
    weights = np.append(np.sqrt(variances[:last]), np.sqrt(max(float(weight_block.sum()), 0.0)))
    means = np.sqrt(variances[last : last + params.n_components * params.n_features]).reshape(
        params.n_components, params.n_features
    )
    covariances = np.empty((params.n_components, params.n_features, params.n_features))
    for k in range(params.n_components):
        block = covariance[layout.covariance(k), layout.covariance(k)]
        entries = np.einsum("iab,ij,jab->ab", layout.basis, block, layout.basis)
        covariances[k] = np.sqrt(np.clip(0.5 * (entries + entries.T), 0.0, None))
    return StandardErrors(
        weights=weights,
        means=means,
        covariances=covariances,
        covariance=covariance,
        information=information,
        estimates=free_coordinates(params, covariance_type),
        errors=np.sqrt(variances),
        names=np.array(names),
        covariance_type=covariance_type,
    )
