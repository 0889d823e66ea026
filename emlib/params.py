"""The parameters θ = (π, μ, Σ) of a Gaussian mixture, as one immutable, validated object."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.lapack import dtrtri

from ._validation import as_float_array, check_mixture_weights, input_precision

__all__ = ["GMMParams", "SingularCovarianceError", "check_gmm_params", "cholesky_factors", "precision_factors"]

#: Relative asymmetry of a covariance matrix tolerated (and removed by symmetrising).
SYMMETRY_TOLERANCE = 1e-10


class SingularCovarianceError(ValueError):
    """A covariance matrix is not (numerically) positive definite.

    Attributes
    ----------
    component : int
        Index of the offending component.
    """

    def __init__(self, message: str, component: int):
        super().__init__(message)
        self.component = component


def cholesky_factors(covariances: np.ndarray, name: str = "covariances") -> np.ndarray:
    """Lower Cholesky factors L_k with Σ_k = L_k L_kᵀ, for a stack of matrices.

    Parameters
    ----------
    covariances : ndarray of shape (K, D, D)
        Symmetric matrices.
    name : str
        How the matrices are named in an error message.

    Returns
    -------
    ndarray of shape (K, D, D)
        Lower-triangular factors with positive diagonals.

    Raises
    ------
    SingularCovarianceError
        Naming the first component whose matrix is not positive definite.
    """
    try:
        return np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        pass
    for component, matrix in enumerate(covariances):
        try:
            np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:
            raise SingularCovarianceError(
                f"{name}[{component}] is not positive definite", component=component
            ) from None
    raise AssertionError("unreachable: the batched Cholesky failed but every single one succeeded")


def precision_factors(cholesky: np.ndarray) -> np.ndarray:
    """Upper-triangular P_k = L_k⁻ᵀ from lower Cholesky factors L_k, shape (K, D, D), so Σ_k⁻¹ = P_k P_kᵀ.

    Each L_k⁻¹ comes from LAPACK's triangular inversion (``dtrtri``: K·D³/3 work, once per
    parameter set): the X with L_k X = I, with no general matrix inverse.
    """
    precision = np.empty_like(cholesky)
    for k, factor in enumerate(cholesky):
        inverse, info = dtrtri(factor, lower=1)
        if info != 0:  # pragma: no cover - a Cholesky factor has a positive diagonal
            raise SingularCovarianceError(f"the Cholesky factor of component {k} is singular", component=k)
        precision[k] = inverse.T
    return precision


@dataclass(frozen=True, eq=False)
class GMMParams:
    """Parameters of a K-component Gaussian mixture in D dimensions (book eq. :eq:`gmm-density`).

    The object is immutable: its arrays are read-only copies, validated on construction.
    Covariances are always stored as full matrices, whatever covariance structure the
    M-step imposed (a diagonal covariance is a full matrix with zeros off the diagonal).

    Parameters
    ----------
    weights : array_like of shape (K,)
        Mixing proportions π_k: non-negative, summing to one (to 1e-8; they are then
        renormalised exactly).
    means : array_like of shape (K, D)
        Component means μ_k.
    covariances : array_like of shape (K, D, D)
        Component covariances Σ_k: symmetric (to 1e-10 relative; they are then symmetrised
        exactly) and positive definite.

    Attributes
    ----------
    n_components : int
        Number of components, K.
    n_features : int
        Dimension of the data, D.
    covariance_cholesky : ndarray of shape (K, D, D)
        Lower Cholesky factors L_k of the covariances, Σ_k = L_k L_kᵀ, computed once here and
        used by every density evaluation.
    precision_cholesky : ndarray of shape (K, D, D)
        Upper-triangular P_k = L_k⁻ᵀ, so that Σ_k⁻¹ = P_k P_kᵀ and the Mahalanobis distance
        is ‖(x − μ_k)ᵀ P_k‖². It is obtained from L_k by a triangular solve (K·D³/3 work,
        once), so that the per-row work of the E-step is a matrix product.

    Raises
    ------
    TypeError
        If an argument does not hold real numbers.
    ValueError
        If shapes disagree, values are not finite, the weights are not a probability vector,
        or a covariance is not symmetric (:class:`SingularCovarianceError` if it is not
        positive definite).

    Examples
    --------
    >>> import numpy as np
    >>> params = GMMParams([0.3, 0.7], [[0.0], [4.0]], [[[1.0]], [[2.0]]])
    >>> params.n_components, params.n_features
    (2, 1)
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_cholesky: np.ndarray = field(init=False, repr=False)
    precision_cholesky: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        precision = input_precision(self.weights)
        weights = as_float_array(self.weights, "weights", copy=True, ndim=1)
        means = as_float_array(self.means, "means", copy=True, ndim=2)
        covariances = as_float_array(self.covariances, "covariances", copy=True, ndim=3)
        weights = check_mixture_weights(weights, precision)
        n_components = weights.shape[0]
        if means.shape[0] != n_components:
            raise ValueError(
                f"means must have one row per component: weights has {n_components} entries,"
                f" means has shape {means.shape}"
            )
        n_features = means.shape[1]
        if n_features < 1:
            raise ValueError(f"means must have at least one column; got shape {means.shape}")
        if covariances.shape != (n_components, n_features, n_features):
            raise ValueError(
                f"covariances must have shape (K, D, D) = ({n_components}, {n_features}, {n_features});"
                f" got {covariances.shape}"
            )

        transposed = np.swapaxes(covariances, 1, 2)
        # Halved before they are combined, so that entries near the float64 limit cannot overflow.
        half, half_transposed = 0.5 * covariances, 0.5 * transposed
        scale = np.max(np.abs(half), axis=(1, 2))
        asymmetry = np.max(np.abs(half - half_transposed), axis=(1, 2))
        bad = np.flatnonzero(asymmetry > SYMMETRY_TOLERANCE * scale)
        if bad.size:
            raise ValueError(f"covariances[{bad[0]}] is not symmetric")
        self._store(weights, means, half + half_transposed)

    @classmethod
    def _from_m_step(cls, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> GMMParams:
        """Parameters from an M-step's own arrays, without the checks of the constructor.

        For emlib's M-steps only, whose weights are N_k / Σ_n w_n, whose means and covariances
        are finite float64 arrays of the right shapes (``params_from_moments`` checks) and whose
        covariances are symmetric up to rounding: the arrays are taken over (not copied), the
        weights renormalised and the covariances symmetrised exactly as the constructor does,
        and the Cholesky factors computed (a covariance that is not positive definite still
        raises :class:`SingularCovarianceError`).
        """
        params = object.__new__(cls)
        params._store(weights / weights.sum(), means, 0.5 * covariances + 0.5 * np.swapaxes(covariances, 1, 2))
        return params

    def _store(self, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> None:
        """Factorise the (symmetric) covariances and keep every array read-only."""
        cholesky = cholesky_factors(covariances)
        for name, value in (
            ("weights", weights),
            ("means", means),
            ("covariances", covariances),
            ("covariance_cholesky", cholesky),
            ("precision_cholesky", precision_factors(cholesky)),
        ):
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    def __reduce__(self):
        """Copies (``copy``, ``deepcopy``, ``pickle``) are rebuilt by the constructor.

        They are validated again, their arrays are read-only, and the Cholesky factors are
        recomputed, so a copy can never hold factors that disagree with its covariances.
        """
        return (type(self), (np.array(self.weights), np.array(self.means), np.array(self.covariances)))

    @property
    def n_components(self) -> int:
        return self.weights.shape[0]

    @property
    def n_features(self) -> int:
        return self.means.shape[1]

    def __repr__(self) -> str:
        return f"GMMParams(n_components={self.n_components}, n_features={self.n_features})"


def check_gmm_params(X: np.ndarray, params, name: str = "params") -> None:
    """Raise unless ``params`` is a GMMParams whose dimension equals X's number of columns."""
    if not isinstance(params, GMMParams):
        raise TypeError(f"{name} must be an emlib.GMMParams; got {type(params).__name__}")
    if params.n_features != X.shape[1]:
        raise ValueError(f"{name} has dimension {params.n_features} but X has {X.shape[1]} columns (features)")
