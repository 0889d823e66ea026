"""Fitting a Gaussian mixture by EM: initialisation, the EM loop, the stopping rule, restarts."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.cluster.vq import ClusterError, kmeans2, vq

from ._validation import (
    check_count,
    check_covariance_type,
    check_data,
    check_nonnegative_real,
    check_params_match,
    check_random_state,
    check_sample_weight,
)
from .expectation import gaussian_log_densities, log_weights, posterior
from .acceleration import run_squarem
from .hard import run_hard_em
from .latent import ConvergenceWarning, LatentVariableModel, run_em, warn_not_converged
from .maximization import maximization, maximization_keeping_empty
from .params import GMMParams

#: The relative default regularisation: reg_covar = RELATIVE_REG_COVAR × mean feature variance.
RELATIVE_REG_COVAR = 1e-6
#: How many k-means++ seedings are tried before concluding the data cannot fill K clusters.
KMEANS_ATTEMPTS = 10


class GaussianMixture(LatentVariableModel):
    """The Gaussian mixture as a :class:`emlib.LatentVariableModel`, for :func:`emlib.fit_em`.

    log p(x_n, z_n = k | θ) = log π_k + log N(x_n | μ_k, Σ_k); the M-step is
    :func:`emlib.m_step`. :func:`fit_gmm` runs this model through the shared EM loop.

    Parameters
    ----------
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Covariance structure imposed by the M-step.
    reg_covar : float, default 0.0
        Absolute amount added to the covariance diagonals in the M-step.
    """

    def __init__(self, covariance_type: str = "full", reg_covar: float = 0.0):
        self.covariance_type = check_covariance_type(covariance_type)
        self.reg_covar = check_nonnegative_real(reg_covar, "reg_covar")

    def check_data(self, X) -> np.ndarray:
        return check_data(X)

    def check_params(self, X: np.ndarray, params, name: str = "params") -> None:
        check_params_match(X, params, name=name)

    def log_prior(self, params: GMMParams) -> np.ndarray:
        return log_weights(params)

    def log_conditional(self, X: np.ndarray, params: GMMParams) -> np.ndarray:
        return gaussian_log_densities(X, params)

    def posterior(self, X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, np.ndarray]:
        """The E-step, chunk by chunk with one exponential pass (``emlib.expectation.posterior``)."""
        return posterior(X, params)

    def maximize(self, X: np.ndarray, posterior: np.ndarray, sample_weight: np.ndarray, previous=None) -> GMMParams:
        if previous is None:
            return maximization(X, posterior, sample_weight, self.covariance_type, self.reg_covar)
        return maximization_keeping_empty(X, posterior, sample_weight, previous, self.covariance_type, self.reg_covar)

    def __repr__(self) -> str:
        return f"GaussianMixture(covariance_type={self.covariance_type!r}, reg_covar={self.reg_covar:g})"


@dataclass(frozen=True, eq=False)
class GMMFit:
    """The result of :func:`fit_gmm`.

    Attributes
    ----------
    params : GMMParams
        The fitted parameters (of the best of the ``n_init`` runs).
    log_likelihoods : ndarray of shape (n_iter + 1,)
        Total log-likelihood log p(X | θ_t) of each iterate: entry 0 for the initial
        parameters, entry t after the t-th EM iteration. Non-decreasing for EM without
        regularisation (up to rounding). For ``method="hard"``, the classification
        log-likelihoods log p(X, z*_t | θ_t) instead.
    n_iter : int
        Number of EM iterations (M-steps) performed.
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    responsibilities : ndarray of shape (N, K)
        Responsibilities γ(z_nk) under the fitted parameters (one-hot assignments for
        ``method="hard"``).
    reg_covar : float
        The absolute regularisation that was added to the covariance diagonals.
    covariance_type : str
        The covariance structure that was fitted.
    method : str
        ``"soft"`` (EM) or ``"hard"`` (classification EM).
    n_evaluations : int
        Number of EM-map evaluations (one E-step and one M-step each) in the kept run: equal
        to ``n_iter`` for plain EM; two or three per iteration with ``accelerate="squarem"``.
    """

    params: GMMParams
    log_likelihoods: np.ndarray
    n_iter: int
    converged: bool
    responsibilities: np.ndarray
    reg_covar: float
    covariance_type: str
    method: str
    n_evaluations: int

    def __repr__(self) -> str:
        return (
            f"GMMFit(n_components={self.params.n_components}, method={self.method!r},"
            f" covariance_type={self.covariance_type!r},"
            f" n_iter={self.n_iter}, converged={self.converged},"
            f" log_likelihood={self.log_likelihoods[-1]:.6f})"
        )


def fit_gmm(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    init="k-means++",
    max_iter: int = 1000,
    tol: float = 1e-6,
    reg_covar: float | None = None,
    n_init: int = 1,
    random_state=None,
    sample_weight=None,
    method: str = "soft",
    accelerate: str | None = None,
) -> GMMFit:
    """Fit a Gaussian mixture to X by soft EM (default) or hard (classification) EM.

    Each soft-EM iteration is one :func:`emlib.m_step` on the current responsibilities
    followed by one E-step (:func:`emlib.e_step`), which also yields the new log-likelihood.

    **Hard EM** (``method="hard"``, book eq. :eq:`hard-em-e-step` and :eq:`hard-em-m-step`):
    each point is assigned to its most probable component (a point keeps its label on a
    tie), and the M-step is the ordinary one on those one-hot assignments. The history holds
    the classification log-likelihood log p(X, z* | θ); the loop stops, with
    ``converged=True``, as soon as the assignments stop changing (``tol`` is not used), which
    must happen in finitely many steps. A component left with no point gets weight 0 and
    keeps its previous mean and covariance (it can never win a point again). If
    regularisation makes an earlier assignment come back (a cycle), the loop stops there
    with ``converged=False``.

    **Stopping rule** (book eq. :eq:`soft-em-stopping`): stop, and report convergence, as
    soon as the log-likelihood per unit of weight rises by no more than ``tol`` in one
    iteration, (ℓ_{t+1} − ℓ_t) / Σ_n w_n ≤ tol. A decrease, which only rounding or
    regularisation can cause, also stops. The rule is invariant to rescaling the data.
    With ``tol=0`` the loop runs until ``max_iter`` unless the log-likelihood stops rising.

    **Regularisation** (eq. :eq:`soft-em-reg-covar`): every covariance gets ``reg_covar``
    added to its diagonal. ``reg_covar=None`` (default) uses 1e-6 times the mean (weighted)
    feature variance of X, so fitting c·X gives exactly the c-scaled fit of X (for data whose
    rows are all identical, 1e-6 times their mean squared value, or 1e-6 if that is zero); a float is an
    absolute amount, as in scikit-learn; ``0`` is pure maximum likelihood, which fails with a
    :class:`emlib.SingularCovarianceError` if a component collapses.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    n_components : int
        K >= 1, at most the number of rows of X.
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Covariance structure (see :func:`emlib.m_step`).
    init : GMMParams or "k-means++", default "k-means++"
        Starting parameters, or the seeding method: k-means++ seeding and Lloyd iterations
        (``scipy.cluster.vq.kmeans2``) on the rows with positive weight, then one M-step on
        the resulting hard assignments.
    max_iter : int, default 1000
        Maximum number of EM iterations (0 evaluates the initial parameters only).
    tol : float, default 1e-6
        Threshold of the stopping rule, per unit of weight (per observation).
    reg_covar : float or None, default None
        Covariance regularisation (see above).
    n_init : int, default 1
        Number of k-means++ initialisations; the run with the highest final log-likelihood
        is kept. Must be 1 when ``init`` is a GMMParams.
    random_state : None, int or numpy.random.Generator
        Seed of the initialisation (the EM iterations themselves are deterministic).
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (book eq. :eq:`soft-em-sample-weights`).
    method : {"soft", "hard"}, default "soft"
        Soft EM, or hard (classification) EM.
    accelerate : {None, "squarem"}, default None
        ``"squarem"``: SQUAREM extrapolation of soft EM (Varadhan and Roland 2008, step length
        S3), safeguarded so that every accepted iterate is a valid mixture whose
        log-likelihood is at least that of two plain EM steps (``emlib/acceleration.py``).
        It reaches the same optimum as plain EM, in fewer EM-map
        evaluations when EM is slow. ``log_likelihoods`` then has one entry per accepted
        iterate.

    Returns
    -------
    GMMFit
        Parameters, log-likelihood history, iteration count, convergence flag, final
        responsibilities and the regularisation used.

    Warns
    -----
    ConvergenceWarning
        If the best run did not meet the stopping rule within ``max_iter`` iterations.

    Raises
    ------
    ValueError, TypeError
        On invalid input; :class:`emlib.SingularCovarianceError` (a ValueError) when a
        covariance becomes singular during fitting.

    Notes
    -----
    Degenerate data, and what happens (each case is a test in ``tests/test_degenerate.py``):

    - *Duplicate rows, more dimensions than rows, a component collapsing onto one point*: with
      the default regularisation the fit is finite and valid (every covariance at least
      ``reg_covar`` on its diagonal); with ``reg_covar=0`` a collapse raises
      :class:`emlib.SingularCovarianceError` naming the component.
    - *All rows identical*: one component fits the point, with the fallback regularisation
      (1e-6 × the mean squared value); more components than distinct rows raise a ValueError
      naming ``n_components``.
    - *A component that loses all its points* (its responsibilities underflow to zero
      everywhere, or in hard EM it wins no point): it gets weight 0 and keeps its previous mean
      and covariance, and the fit continues with fewer effective components.
    - *Points far from every component*: the responsibilities stay finite and sum to one (Bayes'
      theorem is applied to log-densities shifted by their maximum); a point so far that its
      squared Mahalanobis distance overflows float64 raises a ValueError naming the row.
    - *Data scaled by c or shifted by b*: with the default regularisation, fitting c·X + b from
      the transformed start gives the transformed fit and log-likelihoods shifted by
      −N·D·log c, to rounding (tested for c from 1e-8 to 1e8, offsets up to 1e8, and data
      scaled by 1e±150).
    """
    X = check_data(X)
    n_components = check_count(n_components, "n_components", minimum=1)
    if n_components > X.shape[0]:
        raise ValueError(f"n_components ({n_components}) must not exceed the number of rows of X ({X.shape[0]})")
    covariance_type = check_covariance_type(covariance_type)
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    n_init = check_count(n_init, "n_init", minimum=1)
    weights = check_sample_weight(sample_weight, X.shape[0])
    reg_covar = _resolve_reg_covar(reg_covar, X, weights)
    if not isinstance(method, str) or method not in ("soft", "hard"):
        raise ValueError(f"method must be 'soft' or 'hard'; got {method!r}")
    if accelerate is not None and (not isinstance(accelerate, str) or accelerate != "squarem"):
        raise ValueError(f"accelerate must be None or 'squarem'; got {accelerate!r}")
    if accelerate is not None and method == "hard":
        raise ValueError("accelerate='squarem' extrapolates soft EM; it cannot be combined with method='hard'")

    if isinstance(init, GMMParams):
        check_params_match(X, init, name="init")
        if init.n_components != n_components:
            raise ValueError(f"init has {init.n_components} components but n_components is {n_components}")
        if n_init != 1:
            raise ValueError("n_init must be 1 when init is a GMMParams (every run would be identical)")
        starts = [init]
    elif isinstance(init, str) and init == "k-means++":
        rng = check_random_state(random_state, "random_state")
        starts = (
            _kmeans_plus_plus_start(X, weights, n_components, covariance_type, reg_covar, rng)
            for _ in range(n_init)
        )
    else:
        raise ValueError(f"init must be an emlib.GMMParams or 'k-means++'; got {init!r}")

    best = None
    for start in starts:
        if method == "hard":
            result = run_hard_em(X, weights, start, covariance_type, reg_covar, max_iter)
            evaluations = result.n_iter
        elif accelerate == "squarem":
            result, evaluations = run_squarem(X, weights, start, covariance_type, reg_covar, max_iter, tol)
        else:
            result = run_em(GaussianMixture(covariance_type, reg_covar), X, weights, start, max_iter, tol)
            evaluations = result.n_iter
        if best is None or result.log_likelihoods[-1] > best.log_likelihoods[-1]:
            best, best_evaluations = result, evaluations
    if not best.converged and max_iter > 0:
        if method == "soft":
            warn_not_converged(tol, max_iter, stacklevel=3)
        else:
            reason = "returned to an earlier assignment (a cycle)" if best.n_iter < max_iter else f"did not settle within max_iter={max_iter} iterations"
            warnings.warn(f"hard EM's assignments {reason}", ConvergenceWarning, stacklevel=2)
    return GMMFit(
        best.params,
        best.log_likelihoods,
        best.n_iter,
        best.converged,
        best.posterior,
        reg_covar,
        covariance_type,
        method,
        best_evaluations,
    )


def _resolve_reg_covar(reg_covar, X: np.ndarray, weights: np.ndarray) -> float:
    """The absolute regularisation: the given float, or the relative default (eq. soft-em-reg-covar).

    The default is 1e-6 × the mean (weighted) feature variance. Data with no spread at all (every
    row identical) have no variance to be relative to; the default then falls back to 1e-6 × the
    mean squared feature value (still scaling as c² when the data are scaled by c), and for data
    that are all zero to 1e-6.
    """
    if reg_covar is not None:
        return check_nonnegative_real(reg_covar, "reg_covar")
    total = weights.sum()
    with np.errstate(over="ignore", invalid="ignore"):
        mean = (weights @ X) / total
        scales = (np.mean(weights @ (X - mean) ** 2 / total), np.mean(mean**2), 1.0)
    if not np.all(np.isfinite(scales)):
        raise ValueError("X's variance overflows float64 (values near 1e154 or beyond); rescale X")
    for scale in scales:
        if scale > 0:
            return RELATIVE_REG_COVAR * float(scale)


def _kmeans_plus_plus_start(X, weights, n_components, covariance_type, reg_covar, rng) -> GMMParams:
    """k-means++ seeding + Lloyd (scipy's kmeans2), then an M-step on the hard assignments."""
    support = X[weights > 0]
    # k-means is unchanged by a common shift and scale; data near the limits of float64 are
    # standardised first so that squared distances cannot overflow (ordinary data are left as they are).
    with np.errstate(over="ignore"):
        centre = support.mean(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        spread = float(np.max(np.abs(support - centre)))
    if not np.isfinite(spread):
        raise ValueError("X spreads beyond the range of float64 (values near 1e308); rescale X")
    if not 1e-100 < spread < 1e100:
        spread = spread if spread > 0 else 1.0
        support, X_seeding = (support - centre) / spread, (X - centre) / spread
    else:
        X_seeding = X
    n_distinct = np.unique(support, axis=0).shape[0]
    if n_distinct < n_components:
        raise ValueError(
            f"n_components={n_components} exceeds the number of distinct rows of X with positive"
            f" sample_weight ({n_distinct}, at float64 precision): k-means++ cannot seed that many clusters"
        )
    for _ in range(KMEANS_ATTEMPTS):
        try:
            with np.errstate(divide="raise", invalid="raise", over="raise"):
                centroids, _ = kmeans2(support, n_components, minit="++", seed=rng, missing="raise")
        except ClusterError:
            continue
        except FloatingPointError:  # squared distances between distinct rows underflowed to zero
            raise ValueError(
                f"k-means++ cannot seed n_components={n_components} clusters: rows of X differ by less"
                " than float64 can resolve in a squared distance; rescale X or use fewer components"
            ) from None
        labels, _ = vq(X_seeding, centroids, check_finite=False)
        assignments = np.zeros((X.shape[0], n_components))
        assignments[np.arange(X.shape[0]), labels] = 1.0
        if np.all((weights @ assignments) > 0):
            return maximization(X, assignments, weights, covariance_type, reg_covar)
    raise ValueError(
        f"k-means++ could not place n_components={n_components} non-empty clusters in"
        f" {KMEANS_ATTEMPTS} attempts: X (rows with positive sample_weight) has too few distinct"
        " rows for this many components"
    )
