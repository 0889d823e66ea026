"""Fitting a Gaussian mixture by EM: initialisation, the EM loop, the stopping rule, restarts."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from ._kmeans import kmeans_plus_plus, lloyd
from ._regularisation import Regulariser
from ._units import Units
from ._validation import (
    check_count,
    check_covariance_type,
    check_data,
    check_nonnegative_real,
    check_params_match,
    check_random_state,
    check_sample_weight,
)
from .acceleration import run_squarem
from .expectation import gaussian_log_densities, log_weights, posterior
from .hard import run_hard_em
from .latent import ConvergenceWarning, LatentVariableModel, freeze_arrays, rebuilt_by_constructor, run_em, warn_not_converged
from .maximization import maximization, maximization_keeping_empty
from .params import GMMParams

__all__ = ["DegenerateFitWarning", "GMMFit", "GaussianMixture", "fit_gmm"]

#: How many k-means++ seedings are tried before concluding the data cannot fill K clusters.
KMEANS_ATTEMPTS = 10
#: Lloyd iterations after k-means++ seeding.
LLOYD_ITERATIONS = 10


class DegenerateFitWarning(UserWarning):
    """The returned fit has a degenerate component (see ``GMMFit.degenerate``)."""


def _check_reg_covar(reg_covar):
    return None if reg_covar is None else check_nonnegative_real(reg_covar, "reg_covar")


class GaussianMixture(LatentVariableModel):
    """The Gaussian mixture as a :class:`emlib.LatentVariableModel`, for :func:`emlib.fit_em`.

    log p(x_n, z_n = k | θ) = log π_k + log N(x_n | μ_k, Σ_k); the M-step is
    :func:`emlib.m_step`. :func:`fit_gmm` runs this model through the shared EM loop.

    Parameters
    ----------
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Covariance structure imposed by the M-step.
    reg_covar : float or None, default 0.0
        Absolute amount added to the covariance diagonals in the M-step, or ``None`` for the
        data-scaled prior of :func:`fit_gmm` (book eq. :eq:`soft-em-data-prior`). Both
        attributes are validated whenever they are set.
    """

    def __init__(self, covariance_type: str = "full", reg_covar: float | None = 0.0):
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar

    @property
    def covariance_type(self) -> str:
        return self._covariance_type

    @covariance_type.setter
    def covariance_type(self, value) -> None:
        self._covariance_type = check_covariance_type(value)
        self._cache = None

    @property
    def reg_covar(self) -> float | None:
        return self._reg_covar

    @reg_covar.setter
    def reg_covar(self, value) -> None:
        self._reg_covar = _check_reg_covar(value)
        self._cache = None

    def regulariser(self, X: np.ndarray, sample_weight: np.ndarray) -> Regulariser:
        """The regulariser for these (validated) data, computed once per data set and kept."""
        cache = self._cache
        if cache is None or cache[0] is not X or cache[1] is not sample_weight:
            regulariser = Regulariser.for_data(X, sample_weight, self.covariance_type, self.reg_covar)
            self._cache = cache = (X, sample_weight, regulariser)
        return cache[2]

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
        regulariser = self.regulariser(X, sample_weight)
        if previous is None:
            return maximization(X, posterior, sample_weight, self.covariance_type, regulariser)
        return maximization_keeping_empty(X, posterior, sample_weight, previous, self.covariance_type, regulariser)

    def log_parameter_prior(self, X: np.ndarray, sample_weight: np.ndarray, params: GMMParams) -> float:
        return self.regulariser(X, sample_weight).log_prior(params, self.covariance_type)

    def objective_is_monotone(self) -> bool:
        return not self.reg_covar  # None (a prior) or 0 (maximum likelihood)

    def __repr__(self) -> str:
        reg = "None" if self.reg_covar is None else f"{self.reg_covar:g}"
        return f"GaussianMixture(covariance_type={self.covariance_type!r}, reg_covar={reg})"


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
    objectives : ndarray of shape (n_iter + 1,)
        What EM increases and the stopping rule watches: the log-posterior
        ℓ(θ_t) − ½ Σ_k tr(Ψ Σ_k⁻¹) with the default prior (book eq. :eq:`soft-em-map-objective`),
        else the log-likelihood itself (for ``method="hard"``, the classification version).
    n_iter : int
        Number of EM iterations (M-steps) performed.
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    responsibilities : ndarray of shape (N, K)
        Responsibilities γ(z_nk) under the fitted parameters (one-hot assignments for
        ``method="hard"``), for every row of X, rows of weight zero included.
    reg_covar : float
        The absolute amount added to every covariance diagonal (0 with the default prior).
    covariance_prior : ndarray of shape (D, D) or None
        Ψ of the default prior, Σ_k = (S_k + Ψ) / N_k (book eq. :eq:`soft-em-map-sigma`), in the
        units of X and of ``sample_weight``; None when ``reg_covar`` was given.
        ``emlib.m_step(X, r, reg_covar=fit.reg_covar, covariance_prior=fit.covariance_prior)``
        repeats the fit's M-step.
    covariance_type : str
        The covariance structure that was fitted.
    method : str
        ``"soft"`` (EM) or ``"hard"`` (classification EM).
    n_evaluations : int
        Number of EM-map evaluations (one E-step and one M-step each) in the kept run: equal
        to ``n_iter`` for plain EM; two or three per iteration with ``accelerate="squarem"``.
    degenerate : ndarray of shape (K,), bool
        Which components are degenerate: weight 0, or a covariance that in some direction owes
        at least half its variance to the regulariser (a collapse onto a point or a subspace,
        relative to the data's own spread). Restarts prefer a fit with no degenerate component.
    """

    params: GMMParams
    log_likelihoods: np.ndarray
    objectives: np.ndarray
    n_iter: int
    converged: bool
    responsibilities: np.ndarray
    reg_covar: float
    covariance_prior: np.ndarray | None
    covariance_type: str
    method: str
    n_evaluations: int
    degenerate: np.ndarray

    def __post_init__(self):
        freeze_arrays(self, ("log_likelihoods", "objectives", "responsibilities", "covariance_prior", "degenerate"))

    def __reduce__(self):  # copies and pickles are rebuilt by the constructor, read-only again
        return rebuilt_by_constructor(self)

    def __repr__(self) -> str:
        flagged = np.flatnonzero(self.degenerate)
        degenerate = f", degenerate components={flagged.tolist()}" if flagged.size else ""
        return (
            f"GMMFit(n_components={self.params.n_components}, method={self.method!r},"
            f" covariance_type={self.covariance_type!r},"
            f" n_iter={self.n_iter}, converged={self.converged},"
            f" log_likelihood={self.log_likelihoods[-1]:.6f}{degenerate})"
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

    Each soft-EM iteration is one M-step (:func:`emlib.m_step`) on the current
    responsibilities followed by one E-step (:func:`emlib.e_step`), which also yields the new
    log-likelihood.

    **Hard EM** (``method="hard"``, book eq. :eq:`hard-em-e-step` and :eq:`hard-em-m-step`):
    each point is assigned to its most probable component (a point keeps its label on a
    tie), and the M-step is the ordinary one on those one-hot assignments. The history holds
    the classification log-likelihood log p(X, z* | θ); the loop stops, with
    ``converged=True``, as soon as the assignments stop changing (``tol`` is not used), which
    must happen in finitely many steps. A component left with no point gets weight 0 and
    keeps its previous mean and covariance (it can never win a point again). If
    regularisation makes an earlier assignment come back (a cycle), the loop stops there
    with ``converged=False``.

    **Regularisation.** ``reg_covar=None`` (default) is MAP-EM with a data-scaled conjugate
    prior (book eq. :eq:`soft-em-data-prior`): p(Σ_k) ∝ exp(−½ tr(Ψ Σ_k⁻¹)) with
    Ψ = 10⁻⁶ (Σ_n w_n) T, where T is the data's own scale (eq. :eq:`soft-em-data-scale`: the
    weighted covariance of X for "full" and "tied", its diagonal for "diag", the mean variance
    times I for "spherical"). The M-step becomes Σ_k = (S_k + Ψ) / N_k (eq.
    :eq:`soft-em-map-sigma`): about 10⁻⁶ T / π_k is added to component k. EM then increases the
    log-posterior (``GMMFit.objectives``), which is bounded, so no component can collapse
    onto a point. Because T transforms like a covariance, the default fit is equivariant: the
    fit of A x + b is the transformed fit of x, seeding included, for any invertible A
    ("full", "tied"), diagonal A ("diag") or A = c·I ("spherical"), and its log-likelihoods
    shift by exactly −(Σ_n w_n) log|det A|. A float is an absolute amount added to every
    covariance diagonal, as in scikit-learn (eq. :eq:`soft-em-reg-covar`; not equivariant
    under a change of units, and not the M-step of any prior, so the log-likelihood may fall);
    ``0`` is pure maximum likelihood, which raises :class:`emlib.SingularCovarianceError`
    naming the component that collapsed (singular relative to the data's spread in that
    direction).

    **Stopping rule** (book eq. :eq:`soft-em-stopping`): stop, and report convergence, as
    soon as the objective per unit of weight rises by no more than ``tol`` in one
    iteration, (ℓ_{t+1} − ℓ_t) / Σ_n w_n ≤ tol (ℓ the log-posterior under the default prior).
    A fall, which only rounding can cause in EM and MAP-EM, also stops. With an absolute
    ``reg_covar``, which can make the log-likelihood fall, the rule asks the absolute change
    per unit of weight to be at most ``tol``. The rule is invariant to rescaling the data. With ``tol=0`` the loop runs until
    ``max_iter`` unless the objective stops rising.

    **Degenerate components** (``GMMFit.degenerate``): weight 0, or a covariance that in some
    direction owes at least half its variance to the regulariser. Of the ``n_init`` runs the
    best one with no degenerate component is kept; only if every run is degenerate is the
    best degenerate one returned, with a :class:`emlib.DegenerateFitWarning`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    n_components : int
        K >= 1, at most the number of rows of X with positive weight.
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Covariance structure (see :func:`emlib.m_step`).
    init : GMMParams or "k-means++", default "k-means++"
        Starting parameters, or the seeding method: weighted k-means++ seeding and ten Lloyd
        iterations on the rows with positive weight, whitened by the data scale T (so the seed
        does not depend on the units), then one M-step on the resulting hard assignments.
    max_iter : int, default 1000
        Maximum number of EM iterations (0 evaluates the initial parameters only).
    tol : float, default 1e-6
        Threshold of the stopping rule, per unit of weight (per observation).
    reg_covar : float or None, default None
        Covariance regularisation (see above).
    n_init : int, default 1
        Number of k-means++ initialisations (see above for which run is kept). Must be 1 when
        ``init`` is a GMMParams.
    random_state : None, int or numpy.random.Generator
        Seed of the initialisation (the EM iterations themselves are deterministic). Checked
        even when ``init`` is given.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (book eq. :eq:`soft-em-sample-weights`). Rows of weight zero
        take no part in the fit; their responsibilities are reported.
    method : {"soft", "hard"}, default "soft"
        Soft EM, or hard (classification) EM.
    accelerate : {None, "squarem"}, default None
        ``"squarem"``: SQUAREM extrapolation of soft EM (Varadhan and Roland 2008, step length
        S3), safeguarded so that every accepted iterate is a valid mixture whose objective is
        at least that of two plain EM steps (``emlib/acceleration.py``). It reaches the same
        optimum as plain EM, in fewer EM-map evaluations when EM is slow.
        ``log_likelihoods`` then has one entry per accepted iterate.

    Returns
    -------
    GMMFit
        Parameters, log-likelihood and objective histories, iteration count, convergence
        flag, final responsibilities, the regularisation used and the degenerate components.

    Warns
    -----
    ConvergenceWarning
        If the best run did not meet the stopping rule within ``max_iter`` iterations.
    DegenerateFitWarning
        If every run ended with a degenerate component.

    Raises
    ------
    ValueError, TypeError
        On invalid input; :class:`emlib.SingularCovarianceError` (a ValueError) when a
        covariance becomes singular during fitting (only possible with ``reg_covar=0`` or a
        tiny absolute ``reg_covar``).

    Notes
    -----
    Degenerate data, and what happens (each case is a test in ``tests/test_degenerate.py``):

    - *Duplicate rows, more dimensions than rows, a component collapsing onto one point*: with
      the default prior the fit is finite and valid, and the collapsed component is flagged in
      ``degenerate``; with ``reg_covar=0`` a collapse raises :class:`emlib.SingularCovarianceError`.
    - *Collinear or constant columns, all rows identical*: the data have no spread in some
      direction, so T borrows a scale there (``emlib/_regularisation.py``), and every
      component is degenerate in that direction; more components than distinct rows raise a
      ValueError naming ``n_components``.
    - *A component that loses all its points* (its responsibilities underflow to zero
      everywhere, or in hard EM it wins no point): it gets weight 0 and keeps its previous mean
      and covariance, and the fit continues with fewer effective components.
    - *Points far from every component*: the responsibilities stay finite and sum to one; a
      point so far that its squared Mahalanobis distance overflows float64 raises a ValueError
      naming the row. Each component's moments are computed from data centred on it, so one far
      row cannot spoil the digits of the others.
    - *Data at any scale*: X and the weights are divided internally by powers of two near their
      own scale (exact), so fitting c·X gives the c-scaled fit of X, bit for bit when c is a
      power of two. Where the fitted variances themselves cannot be represented in float64
      (X's spread beyond about 1e±150), a ValueError says so.
    """
    X = check_data(X)
    n_components = check_count(n_components, "n_components", minimum=1)
    covariance_type = check_covariance_type(covariance_type)
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    n_init = check_count(n_init, "n_init", minimum=1)
    weights = check_sample_weight(sample_weight, X.shape[0])
    reg_covar = _check_reg_covar(reg_covar)
    rng = check_random_state(random_state, "random_state")
    if not isinstance(method, str) or method not in ("soft", "hard"):
        raise ValueError(f"method must be 'soft' or 'hard'; got {method!r}")
    if accelerate is not None and (not isinstance(accelerate, str) or accelerate != "squarem"):
        raise ValueError(f"accelerate must be None or 'squarem'; got {accelerate!r}")
    if accelerate is not None and method == "hard":
        raise ValueError("accelerate='squarem' extrapolates soft EM; it cannot be combined with method='hard'")
    counted = weights > 0
    if n_components > np.count_nonzero(counted):
        raise ValueError(
            f"n_components ({n_components}) must not exceed the number of rows of X with positive"
            f" sample_weight ({np.count_nonzero(counted)})"
        )
    if isinstance(init, GMMParams):
        check_params_match(X, init, name="init")
        if init.n_components != n_components:
            raise ValueError(f"init has {init.n_components} components but n_components is {n_components}")
        if n_init != 1:
            raise ValueError("n_init must be 1 when init is a GMMParams (every run would be identical)")
    elif not (isinstance(init, str) and init == "k-means++"):
        raise ValueError(f"init must be an emlib.GMMParams or 'k-means++'; got {init!r}")

    # Everything below works in internal units (emlib._units): exact powers of two near the scales of X and w.
    units = Units.of(X[counted], weights[counted])
    data, data_weights = units.data(X[counted]), units.weights(weights[counted])
    internal_reg_covar = None if reg_covar is None else units.absolute_reg_covar(reg_covar)
    model = GaussianMixture(covariance_type, internal_reg_covar)
    regulariser = model.regulariser(data, data_weights)
    if isinstance(init, GMMParams):
        starts = [units.params_in(init)]
    else:
        starts = (_kmeans_plus_plus_start(data, data_weights, n_components, covariance_type, regulariser, rng) for _ in range(n_init))

    total_weight = float(data_weights.sum())
    best = None
    for start in starts:
        result, evaluations = _run(model, regulariser, method, accelerate, data, data_weights, start, max_iter, tol)
        degenerate = regulariser.degenerate(result.params, total_weight, covariance_type)
        score = (not np.any(degenerate), result.objectives[-1])
        if best is None or score > best[0]:
            best = (score, result, evaluations, degenerate)
    _, result, evaluations, degenerate = best
    _warn_about(result, degenerate, method, tol, max_iter)

    params = units.params_out(result.params)
    if np.all(counted):
        responsibilities = result.posterior
    else:  # rows of weight zero: their responsibilities under the fitted parameters
        responsibilities = _responsibilities(units.data(X), result.params, method)
    prior = None if regulariser.prior_scale is None else regulariser.prior_scale * units.weight * units.length**2
    return GMMFit(
        params=params,
        log_likelihoods=units.totals_out(result.log_likelihoods, total_weight, X.shape[1]),
        objectives=units.totals_out(result.objectives, total_weight, X.shape[1]),
        n_iter=result.n_iter,
        converged=result.converged,
        responsibilities=responsibilities,
        reg_covar=0.0 if reg_covar is None else reg_covar,
        covariance_prior=prior,
        covariance_type=covariance_type,
        method=method,
        n_evaluations=evaluations,
        degenerate=degenerate,
    )


def _run(model, regulariser, method, accelerate, X, weights, start, max_iter, tol):
    """One run from ``start``: (EMResult, number of EM-map evaluations)."""
    if method == "hard":
        result = run_hard_em(X, weights, start, model.covariance_type, regulariser, max_iter)
        return result, result.n_iter
    if accelerate == "squarem":
        return run_squarem(X, weights, start, model.covariance_type, regulariser, max_iter, tol)
    result = run_em(model, X, weights, start, max_iter, tol)
    return result, result.n_iter


def _responsibilities(X: np.ndarray, params: GMMParams, method: str) -> np.ndarray:
    """Responsibilities of every row (one-hot for hard EM), e.g. for rows left out of the fit."""
    _, responsibilities = posterior(X, params)
    if method == "hard":
        labels = np.argmax(responsibilities, axis=1)
        responsibilities = np.zeros_like(responsibilities)
        responsibilities[np.arange(X.shape[0]), labels] = 1.0
    return responsibilities


def _warn_about(result, degenerate: np.ndarray, method: str, tol: float, max_iter: int) -> None:
    if not result.converged and max_iter > 0:
        if method == "soft":
            warn_not_converged(tol, max_iter, stacklevel=4)
        else:
            reason = (
                "returned to an earlier assignment (a cycle)"
                if result.n_iter < max_iter
                else f"did not settle within max_iter={max_iter} iterations"
            )
            warnings.warn(f"hard EM's assignments {reason}", ConvergenceWarning, stacklevel=3)
    if np.any(degenerate):
        warnings.warn(
            f"the fit has degenerate components {np.flatnonzero(degenerate).tolist()} (weight 0, or a"
            " covariance that owes at least half its variance in some direction to the regulariser:"
            " a collapse, or data with no spread in that direction); see GMMFit.degenerate. Try"
            " n_init > 1, fewer components, or another initialisation.",
            DegenerateFitWarning,
            stacklevel=3,
        )


def _kmeans_plus_plus_start(X, weights, n_components, covariance_type, regulariser, rng) -> GMMParams:
    """Weighted k-means++ and Lloyd on X whitened by the data scale, then an M-step on the labels.

    Whitening by T (book eq. :eq:`soft-em-data-scale`) makes the seed independent of the units:
    the whitened rows of A x + b are an orthogonal map of those of x, which leaves every
    distance, and so every choice k-means++ and Lloyd make, unchanged.
    """
    n_distinct = np.unique(X, axis=0).shape[0]
    if n_distinct < n_components:
        raise ValueError(
            f"n_components={n_components} exceeds the number of distinct rows of X with positive"
            f" sample_weight ({n_distinct}, at float64 precision): k-means++ cannot seed that many clusters"
        )
    mean = (weights @ X) / weights.sum()  # k-means is unchanged by a shift: any centre would do
    whitened = solve_triangular(np.linalg.cholesky(regulariser.scale), (X - mean).T, lower=True).T
    for _ in range(KMEANS_ATTEMPTS):
        try:
            centres = kmeans_plus_plus(whitened, weights, n_components, rng)
        except ValueError:  # rows distinct in X but not after whitening: try again
            continue
        labels = lloyd(whitened, weights, centres, max_iter=LLOYD_ITERATIONS)
        assignments = np.zeros((X.shape[0], n_components))
        assignments[np.arange(X.shape[0]), labels] = 1.0
        if np.all((weights @ assignments) > 0):
            return maximization(X, assignments, weights, covariance_type, regulariser)
    raise ValueError(
        f"k-means++ could not place n_components={n_components} non-empty clusters in"
        f" {KMEANS_ATTEMPTS} attempts: X (rows with positive sample_weight) has too few distinct"
        " rows for this many components"
    )
