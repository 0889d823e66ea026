"""Fitting a Gaussian mixture: checked inputs, internal units, starts (``emlib.starts``), restarts, the drivers."""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np

from ._missing import MissingData, check_missing_data, check_observed_columns
from ._progress import ProgressLine
from ._units import Units
from ._validation import (
    check_count,
    check_covariance_type,
    check_data,
    check_flag,
    check_missing,
    check_nonnegative_real,
    check_random_state,
    check_sample_weight,
)
from .blockwise import BlockwiseGaussianMixture, check_blockwise_data, is_dask_array, subsample_rows
from .drivers import ConvergenceWarning, _check_callback, _check_method, _warn_if_not_converged, run
from .gaussian_mixture import GaussianMixtureModel
from .missing import MissingGaussianMixtureModel, fill_for_starts
from .params import GMMParams, check_gmm_params
from .priors import check_prior
from .result import EMResult
from .starts import DEFAULT_START, STARTS
from .stopping import check_stopping

__all__ = ["BLOCKWISE_START_ROWS", "DegenerateFitWarning", "fit_gmm"]

#: On a Dask array, a start that is not a GMMParams is a converged in-memory fit on a uniform sample of
#: at most this many rows (``emlib.blockwise.subsample_rows``), whose parameters start the full fit.
BLOCKWISE_START_ROWS = 10_000


class DegenerateFitWarning(UserWarning):
    """The returned fit has a degenerate component (see ``EMResult.degenerate``)."""


def fit_gmm(
    X,
    n_components: int,
    *,
    covariance_type: str = "full",
    method: str = "em",
    init=DEFAULT_START,
    max_iter: int = 1000,
    tol: float = 1e-6,
    reg_covar: float | None = None,
    n_init: int = 1,
    random_state=None,
    sample_weight=None,
    callback=None,
    trajectory: bool = False,
    prior=None,
    stopping: str = "increment",
    verbose: bool = False,
    missing: str = "error",
) -> EMResult:
    """Fit a Gaussian mixture to X by EM (default), hard (classification) EM or SQUAREM.

    The model is :class:`emlib.GaussianMixtureModel`, run by the drivers every model shares
    (``emlib.drivers``). Each EM iteration is one M-step (:func:`emlib.m_step`) on the current
    responsibilities followed by one E-step (:func:`emlib.e_step`), which also yields the new
    log-likelihood.

    **Hard EM** (``method="hard"``, book eq. :eq:`hard-em-e-step` and :eq:`hard-em-m-step`):
    each point is assigned to its most probable component (a point keeps its label on a
    tie), and the M-step is the ordinary one on those one-hot assignments. ``objectives``
    holds the classification log-likelihood log p(X, z* | θ) (plus the log-prior), which the
    stopping rule watches; ``log_likelihoods`` holds log p(X | θ) as for EM. An assignment that
    no longer changes is a fixed point (converged). A component left with no point gets weight
    0 and keeps its previous mean and covariance (it can never win a point again). If
    regularisation makes an earlier assignment come back (a cycle), the loop stops there
    with ``converged=False``.

    **SQUAREM** (``method="squarem"``): squared extrapolation of EM (Varadhan and Roland 2008,
    step length S3), safeguarded so that every accepted iterate is a valid mixture whose
    objective is at least that of two plain EM steps. It reaches the same optimum as EM, in
    fewer E-steps when EM is slow; the histories have one entry per accepted iterate.

    **Regularisation.** ``reg_covar=None`` (default) is MAP-EM with a data-scaled conjugate
    prior (book eq. :eq:`soft-em-data-prior`): p(Σ_k) ∝ exp(−½ tr(Ψ Σ_k⁻¹)) with
    Ψ = 10⁻⁶ (Σ_n w_n) T, where T is the data's own scale (eq. :eq:`soft-em-data-scale`: the
    weighted covariance of X for "full" and "tied", its diagonal for "diag", the mean variance
    times I for "spherical"). The M-step becomes Σ_k = (S_k + Ψ) / N_k (eq.
    :eq:`soft-em-map-sigma`): about 10⁻⁶ T / π_k is added to component k. EM then increases the
    log-posterior (``EMResult.objectives``), which is bounded, so no component can collapse
    onto a point. Because T transforms like a covariance, the default fit is equivariant: the
    fit of A x + b is the transformed fit of x, seeding included, for any invertible A
    ("full", "tied"), diagonal A ("diag") or A = c·I ("spherical"), and its log-likelihoods
    shift by exactly −(Σ_n w_n) log|det A|. A float is an absolute amount added to every
    covariance diagonal, as in scikit-learn (eq. :eq:`soft-em-reg-covar`; not equivariant
    under a change of units, and not the M-step of any prior, so the log-likelihood may fall);
    ``0`` is pure maximum likelihood, which raises :class:`emlib.SingularCovarianceError`
    naming the component that collapsed (singular relative to the data's spread in that
    direction).

    **Missing entries** (``missing="em"``; Ghahramani and Jordan 1994, ``emlib.missing``): a NaN in
    X is an entry missing at random, integrated out exactly. The objective is the observed-data
    log-likelihood Σ_n w_n log Σ_k π_k N(x_n,o; μ_k,o, Σ_k,oo) (book eq.
    :eq:`missing-observed-likelihood`, plus the log-prior), and EM on it is a plain EM whose E-step
    also gives the conditional moments of the missing entries (eq. :eq:`missing-e-step-moments`)
    and whose M-step uses them (eq. :eq:`missing-m-step`); K = 1 is the multivariate normal with
    missing values. The rows are grouped by missingness pattern, one Cholesky factor per pattern
    and component. Every covariance type and every ``method`` works ("hard": the conditional
    moments under the chosen component; "ecg" and "hybrid": the score of the observed-data
    likelihood, by Fisher's identity). Decisions: a row with every entry missing is a ValueError
    naming it (drop it: it carries no information); a column with every entry missing, in the
    rows of positive weight, is a ValueError naming it; ±inf stays an error; a weight counts
    copies of the whole row, missing entries included; the data scale T of the default prior
    comes from the observed entries (per-column variances and pairwise-complete covariances,
    ``emlib._regularisation.observed_data_scale``); the starts run on X with each missing entry
    replaced by its conditional mean under a multivariate normal fitted by a few EM iterations
    (``emlib.missing.fill_for_starts``; the real model is then fitted from there);
    the conjugate ``prior=`` is not available. The fit of A x + b (NaN in the same places) is the
    transformed fit for A diagonal or a permutation (or their product), for every covariance type
    ("spherical": A = c·P); a general A mixes observed and missing entries, so no such promise
    holds. With no NaN in X, ``missing="em"`` is the complete-data fit, bit for bit (only
    ``fit.model`` differs: an :class:`emlib.missing.MissingGaussianMixtureModel`, whose
    predictions accept NaN).

    **A Dask array** X (``pip install emlib[dask]``, ``emlib.blockwise``) is fitted without ever being
    held in memory: each E-step computes, per block of rows, the block's log-likelihood and its
    sufficient statistics N_k, x̄_k, S_k (``emlib.sufficient``), adds them by a tree of tasks and
    runs the M-step on the sum; on a ``dask.distributed`` cluster (a ``Client`` in the session) the
    tasks run on its workers. From the same start the fit is the in-memory fit (EM or SQUAREM), up to
    the order of the floating-point sums. ``sample_weight`` may be a numpy or a Dask array. A start given by name
    is a converged in-memory ``fit_gmm`` (with ``init``, ``n_init``, ``random_state``, ``reg_covar``,
    ``covariance_type``) on a uniform sample of ``BLOCKWISE_START_ROWS`` = 10 000 rows, whose
    parameters start the full fit. Only ``method="em"`` and ``"squarem"`` run there; ``prior`` and
    ``missing="em"`` are refused. ``posterior`` is None (the responsibilities of a larger-than-memory
    array are not materialised: ``fit.model.predict_proba(block, fit.params)`` gives those of a
    block). The fit works in the units of X, so data spreading beyond about 1e±150 (variances outside
    float64) are a ValueError rather than rescaled.

    **Stopping rule** (book eq. :eq:`soft-em-stopping`): stop, and report convergence, as
    soon as the objective per unit of weight rises by no more than ``tol`` in one
    iteration, (ℓ_{t+1} − ℓ_t) / Σ_n w_n ≤ tol (ℓ the log-posterior under the default prior).
    A fall, which only rounding can cause in EM and MAP-EM, also stops. With an absolute
    ``reg_covar``, which can make the log-likelihood fall, the rule asks the absolute change
    per unit of weight to be at most ``tol``. The rule is invariant to rescaling the data. With ``tol=0`` the loop runs until
    ``max_iter`` unless the objective stops rising.

    **Degenerate components** (``EMResult.degenerate``): weight 0, or a covariance that in some
    direction owes at least half its variance to the regulariser. Of the ``n_init`` runs the
    best one with no degenerate component is kept; only if every run is degenerate is the
    best degenerate one returned, with a :class:`emlib.DegenerateFitWarning`.

    Parameters
    ----------
    X : array_like or dask.array.Array of shape (N, D)
        Data (a Dask array: see above).
    n_components : int
        K >= 1, at most the number of rows of X with positive weight.
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Covariance structure (see :func:`emlib.m_step`).
    method : {"em", "hard", "squarem", "ecg", "hybrid"}, default "em"
        The driver (see above; ``"ecg"`` and ``"hybrid"``: :func:`emlib.run_ecg`,
        :func:`emlib.run_hybrid`).
    init : GMMParams or str, default "k-means-10"
        Starting parameters, or the name of a start in ``emlib.starts.STARTS``, each run on the
        rows with positive weight whitened by the data scale T (so the start does not depend on
        the units) and ending with one M-step on hard assignments: ``"random"`` (K distinct
        rows drawn ∝ weight, each row joining the nearest), ``"k-means++"`` (k-means++ seeding,
        nearest-centre labels), ``"greedy-k-means++"`` (greedy k-means++), ``"k-means"``
        (greedy k-means++ and Lloyd's iterations to convergence, scikit-learn's default),
        ``"k-means-10"`` (k-means++ seeding and ten Lloyd iterations), ``"hc"`` (Ward's
        hierarchical clustering, R mclust's ``hc(modelName = "EII")`` start; deterministic up to
        2000 rows) or ``"emEM"`` (the best of ten short EM runs from k-means++ starts, Biernacki,
        Celeux and Govaert 2003). See ``emlib/starts.py``.
    max_iter : int, default 1000
        Maximum number of EM iterations (0 evaluates the initial parameters only).
    tol : float, default 1e-6
        Threshold of the stopping rule, per unit of weight (per observation).
    reg_covar : float or None, default None
        Covariance regularisation (see above).
    n_init : int, default 1
        Number of runs, each from a fresh start drawn from ``random_state`` (see above for which
        run is kept). Must be 1 when ``init`` is a GMMParams.
    random_state : None, int or numpy.random.Generator
        Seed of the initialisation (the EM iterations themselves are deterministic). Checked
        even when ``init`` is given.
    sample_weight : array_like of shape (N,), optional
        Non-negative row weights (book eq. :eq:`soft-em-sample-weights`). Rows of weight zero
        take no part in the fit; their responsibilities are reported.
    callback : callable, optional
        Called after the start and after every iteration of every run as
        ``callback(iteration, params, log_likelihood, objective)``, in the units of X.
    trajectory : bool, default False
        Keep the parameters of every iterate of the returned run in ``EMResult.trajectory``.
    prior : None, "default", emlib.priors.ConjugatePrior or emlib.priors.ResolvedPrior, optional
        MAP-EM under the conjugate prior of Fraley and Raftery (2007) instead of the default
        regulariser: a Dirichlet prior on the weights and a normal–inverse-Wishart prior on the
        means and covariances (``emlib.priors``; ``"default"`` is ``ConjugatePrior()``, mclust's
        ``priorControl()``, its unset fields resolved from the rows of positive weight, for this
        K and ``covariance_type``). ``objectives`` is then ℓ(θ) + log p(θ), every constant
        included, and ``fit.model.prior`` the resolved prior (so ``fit.model.conjugate_prior``
        needs no data). Not together with ``reg_covar`` > 0.
    stopping : {"increment", "relative", "aitken"}, default "increment"
        The stopping rule (``emlib.stopping``), each with threshold ``tol``: the rise of the
        objective per unit of weight (see above), mclust's relative change, or Aitken's estimate
        of the rise still to come, per unit of weight.
    verbose : bool, default False
        Report progress on standard output: a line per run (its iterations, convergence,
        log-likelihood and time) and, on a terminal, a live line per iteration.
    missing : {"error", "em"}, default "error"
        ``"error"``: a NaN in X is a ValueError (which says to pass ``missing="em"``), so a NaN
        never fits silently. ``"em"``: NaN entries are missing at random and marginalised
        exactly (see "Missing entries" above); ``posterior`` then holds p(z_n = k | x_n,o).

    Returns
    -------
    EMResult
        Parameters, log-likelihood and objective histories, iteration count, convergence
        flag, final responsibilities (``posterior``; None for a Dask array), the degenerate components, and the model
        with the regularisation used (``fit.model``; with the default prior,
        ``fit.model.covariance_prior`` is Ψ in the units of X, so
        ``emlib.fit_em(fit.model, X, fit.params)`` continues this fit).

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
    if is_dask_array(X):
        return _fit_gmm_blockwise(
            X,
            n_components,
            covariance_type=covariance_type,
            method=method,
            init=init,
            max_iter=max_iter,
            tol=tol,
            reg_covar=reg_covar,
            n_init=n_init,
            random_state=random_state,
            sample_weight=sample_weight,
            callback=callback,
            trajectory=trajectory,
            prior=prior,
            stopping=stopping,
            verbose=verbose,
            missing=missing,
        )
    missing = check_missing(missing)
    X = check_data(X, missing=missing)
    incomplete = missing == "em" and bool(np.any(np.isnan(X)))
    if incomplete:
        check_missing_data(X)  # no row with every entry missing
    n_components = check_count(n_components, "n_components", minimum=1)
    covariance_type = check_covariance_type(covariance_type)
    method = _check_method(method)
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    n_init = check_count(n_init, "n_init", minimum=1)
    weights = check_sample_weight(sample_weight, X.shape[0])
    reg_covar = None if reg_covar is None else check_nonnegative_real(reg_covar, "reg_covar")
    rng = check_random_state(random_state, "random_state")
    callback = _check_callback(callback)
    prior = check_prior(prior)
    if prior is not None and reg_covar:
        raise ValueError(f"give either prior or reg_covar > 0, not both (reg_covar={reg_covar!r}, prior={prior!r})")
    if prior is not None and missing == "em":
        raise ValueError(
            "prior (the conjugate prior) is not available with missing='em'; use reg_covar=None (the default"
            " data-scaled prior, computed from the observed entries) or a number"
        )
    stopping = check_stopping(stopping)
    verbose = check_flag(verbose, "verbose")
    counted = weights > 0
    if n_components > np.count_nonzero(counted):
        raise ValueError(
            f"n_components ({n_components}) must not exceed the number of rows of X with positive"
            f" sample_weight ({np.count_nonzero(counted)})"
        )
    if incomplete:
        check_observed_columns(~np.isnan(X), counted)
    _check_init(X, init, n_components, n_init)

    # Everything below works in internal units (emlib._units): exact powers of two near the scales of X and w.
    units = Units.of_observed(X[counted], weights[counted]) if incomplete else Units.of(X[counted], weights[counted])
    data, data_weights = units.data(X[counted]), units.weights(weights[counted])
    total_weight = float(data_weights.sum())
    # per row, log p(x_n,o) = log p'(x'_n,o) − |o_n| log s: the change of units counts the observed entries
    n_observed = float(data_weights @ np.sum(~np.isnan(data), axis=1)) / total_weight if incomplete else X.shape[1]
    internal_reg_covar = None if reg_covar is None else units.absolute_reg_covar(reg_covar)
    if incomplete:  # emlib.missing: the starts run on the data with imputed entries (fill_for_starts)
        data = MissingData(data)
        model = MissingGaussianMixtureModel(covariance_type, internal_reg_covar)
        resolved, prior_offset = None, 0.0
    elif prior is None:
        resolved, prior_offset = None, 0.0
        model = GaussianMixtureModel(covariance_type, internal_reg_covar)
    else:  # resolved in the units of X, fitted in internal units (emlib._units)
        resolved = prior.resolve(X[counted], n_components, covariance_type, sample_weight=weights[counted])
        prior_offset = units.log_prior_jacobian(resolved, n_components)
        model = GaussianMixtureModel(covariance_type, prior=units.conjugate_prior_in(resolved))
    regulariser = model.regulariser(data, data_weights)
    if isinstance(init, GMMParams):
        starts = [units.params_in(init)]
    else:
        start = STARTS[init]
        start_data, start_model = _start_data(data, data_weights, model, regulariser) if incomplete else (data, model)
        starts = (start(start_data, data_weights, n_components, start_model, rng) for _ in range(n_init))

    def in_units_of_x(log_likelihood, objective):
        log_likelihood, objective = units.totals_out([log_likelihood, objective], total_weight, n_observed)
        return log_likelihood, objective - prior_offset

    progress = _FitProgress(n_init if not isinstance(init, GMMParams) else 1) if verbose else None

    def monitor(iteration, params, log_likelihood, objective):
        totals = in_units_of_x(log_likelihood, objective)
        if progress is not None:
            progress.iteration(iteration, *totals)
        if callback is not None:
            callback(iteration, units.params_out(params), *totals)

    def runs():
        for start in starts:
            result = run(
                model,
                data,
                data_weights,
                start,
                method=method,
                max_iter=max_iter,
                tol=tol,
                callback=None if callback is None and progress is None else monitor,
                trajectory=trajectory,
                stopping=stopping,
            )
            if progress is not None:
                progress.run_done(result, *in_units_of_x(result.log_likelihoods[-1], result.objectives[-1]))
            yield result

    result = _best(runs())
    if progress is not None:
        progress.close(result, *in_units_of_x(result.log_likelihoods[-1], result.objectives[-1]))
    _warn_if_not_converged(result, tol, max_iter, stacklevel=2)
    _warn_if_degenerate(result.degenerate, prior is not None)

    if np.all(counted):
        posterior = result.posterior.responsibilities if incomplete else result.posterior
    else:  # rows of weight zero: their responsibilities under the fitted parameters
        every_row = MissingData(units.data(X)) if incomplete else units.data(X)
        posterior = _posterior_of_every_row(model, every_row, weights, result.params, method)
    if missing == "em":  # predictions of the fit accept NaN
        fitted_model = MissingGaussianMixtureModel(
            covariance_type, reg_covar, covariance_prior=units.prior_out(regulariser.prior_scale)
        )
    elif resolved is None:
        fitted_model = GaussianMixtureModel(
            covariance_type, reg_covar, covariance_prior=units.prior_out(regulariser.prior_scale)
        )
    else:
        fitted_model = GaussianMixtureModel(covariance_type, prior=resolved)
    return _in_units_of_x(result, units, fitted_model, posterior, total_weight, n_observed, prior_offset)


def _fit_gmm_blockwise(
    X,
    n_components,
    *,
    covariance_type,
    method,
    init,
    max_iter,
    tol,
    reg_covar,
    n_init,
    random_state,
    sample_weight,
    callback,
    trajectory,
    prior,
    stopping,
    verbose,
    missing,
):
    """:func:`fit_gmm` on a Dask array X: the blockwise model (``emlib.blockwise``) run by the same drivers."""
    if check_missing(missing) == "em":
        raise ValueError("missing='em' is not available on a Dask array; drop or fill the rows with NaN")
    if _check_method(method) not in ("em", "squarem"):
        raise ValueError(f"method={method!r} is not available on a Dask array; use method='em' or 'squarem'")
    if check_prior(prior) is not None:
        raise ValueError("prior (the conjugate prior) is not available on a Dask array; use prior=None or reg_covar")
    n_components = check_count(n_components, "n_components", minimum=1)
    covariance_type = check_covariance_type(covariance_type)
    max_iter = check_count(max_iter, "max_iter", minimum=0)
    tol = check_nonnegative_real(tol, "tol")
    n_init = check_count(n_init, "n_init", minimum=1)
    reg_covar = None if reg_covar is None else check_nonnegative_real(reg_covar, "reg_covar")
    rng = check_random_state(random_state, "random_state")
    callback = _check_callback(callback)
    stopping = check_stopping(stopping)
    verbose = check_flag(verbose, "verbose")
    data = check_blockwise_data(X, sample_weight)
    if n_components > data.n_positive:
        raise ValueError(
            f"n_components ({n_components}) must not exceed the number of rows of X with positive"
            f" sample_weight ({data.n_positive})"
        )
    _check_init(data, init, n_components, n_init)
    if isinstance(init, GMMParams):
        start = init
    else:  # a converged fit on a uniform sample of rows; its own warnings do not concern the full fit
        rows, row_weights = subsample_rows(data, BLOCKWISE_START_ROWS, rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", DegenerateFitWarning)
            start = fit_gmm(
                rows,
                n_components,
                covariance_type=covariance_type,
                init=init,
                tol=tol,
                reg_covar=reg_covar,
                n_init=n_init,
                random_state=rng,
                sample_weight=row_weights,
            ).params
    model = BlockwiseGaussianMixture(GaussianMixtureModel(covariance_type, reg_covar))
    progress = _FitProgress(1) if verbose else None

    def monitor(iteration, params, log_likelihood, objective):
        if progress is not None:
            progress.iteration(iteration, log_likelihood, objective)
        if callback is not None:
            callback(iteration, params, log_likelihood, objective)

    result = run(
        model,
        data,
        data.weight_total,
        start,
        method=method,
        max_iter=max_iter,
        tol=tol,
        callback=None if callback is None and progress is None else monitor,
        trajectory=trajectory,
        stopping=stopping,
    )
    if progress is not None:
        progress.run_done(result, result.log_likelihoods[-1], result.objectives[-1])
    _warn_if_not_converged(result, tol, max_iter, stacklevel=3)
    _warn_if_degenerate(result.degenerate)
    return dataclasses.replace(result, model=model.fitted_model(data), posterior=None)


def _check_init(X: np.ndarray, init, n_components: int, n_init: int) -> None:
    if isinstance(init, GMMParams):
        check_gmm_params(X, init, name="init")
        if init.n_components != n_components:
            raise ValueError(f"init has {init.n_components} components but n_components is {n_components}")
        if n_init != 1:
            raise ValueError("n_init must be 1 when init is a GMMParams (every run would be identical)")
    elif not (isinstance(init, str) and init in STARTS):
        names = ", ".join(repr(name) for name in STARTS)
        raise ValueError(f"init must be an emlib.GMMParams or one of {names}; got {init!r}")


def _start_data(data: MissingData, weights: np.ndarray, model, regulariser):
    """The data and the model a start runs on when entries are missing: X with its missing entries imputed.

    Every start needs complete rows, so it runs on the data with each missing entry replaced by
    its conditional mean under a multivariate normal fitted by a few EM iterations
    (``emlib.missing.fill_for_starts``), with the fit's regularisation (the same prior scale Ψ,
    or the same absolute ``reg_covar``); EM then fits the real model from there.
    """
    filled = fill_for_starts(data, weights)
    if regulariser.prior_scale is None:
        return filled, GaussianMixtureModel(model.covariance_type, regulariser.additive)
    return filled, GaussianMixtureModel(model.covariance_type, covariance_prior=regulariser.prior_scale)


def _best(runs) -> EMResult:
    """Of several runs, the best with no degenerate component, else the best: the highest final objective."""
    best = None
    for result in runs:
        score = (not np.any(result.degenerate), result.objectives[-1])
        if best is None or score > best[0]:
            best = (score, result)
    return best[1]


def _posterior_of_every_row(model, X, weights, params, method: str) -> np.ndarray:
    """Responsibilities of every row of X (one-hot for hard EM), rows of weight zero included."""
    if method == "hard":
        statistics = model.classification(X, weights, params).statistics
        return getattr(statistics, "responsibilities", statistics)
    return model.posterior(X, params)[1]


def _in_units_of_x(
    result: EMResult, units: Units, model, posterior, total_weight: float, n_features: float, prior_offset: float
) -> EMResult:
    """A run in internal units, reported in the units of X and of the weights.

    ``prior_offset`` (:meth:`emlib._units.Units.log_prior_jacobian`, 0 without a conjugate prior)
    turns the internal log-posterior into ℓ(θ) + log p(θ) in the units of X. ``n_features`` is D,
    or with missing entries the weighted mean number of observed entries per row.
    """
    return EMResult(
        model=model,
        params=units.params_out(result.params),
        log_likelihoods=units.totals_out(result.log_likelihoods, total_weight, n_features),
        objectives=units.totals_out(result.objectives, total_weight, n_features) - prior_offset,
        n_iter=result.n_iter,
        converged=result.converged,
        posterior=posterior,
        method=result.method,
        n_evaluations=result.n_evaluations,
        degenerate=result.degenerate,
        trajectory=None if result.trajectory is None else tuple(units.params_out(p) for p in result.trajectory),
    )


def _warn_if_degenerate(degenerate: np.ndarray, conjugate_prior: bool = False) -> None:
    if np.any(degenerate):
        owes = (
            "a covariance that in some direction has less spread from its points than from one observation of the prior"
            if conjugate_prior
            else "a covariance that owes at least half its variance in some direction to the regulariser"
        )
        warnings.warn(
            f"the fit has degenerate components {np.flatnonzero(degenerate).tolist()} (weight 0, or {owes}:"
            " a collapse, or data with no spread in that direction); see EMResult.degenerate. Try"
            " n_init > 1, fewer components, or another initialisation.",
            DegenerateFitWarning,
            stacklevel=3,
        )


class _FitProgress:
    """``verbose=True``: a line per run, and on a terminal a live line per iteration."""

    def __init__(self, n_runs: int):
        self.n_runs, self.run, self.line = n_runs, 0, ProgressLine()
        self.started = time.perf_counter()

    def iteration(self, iteration: int, log_likelihood: float, objective: float) -> None:
        if iteration == 0:
            self.run += 1
            self.started = time.perf_counter()
        self.line.report(f"run {self.run}/{self.n_runs}: iteration {iteration}, log-likelihood {log_likelihood:.6f}")

    def run_done(self, result: EMResult, log_likelihood: float, objective: float) -> None:
        state = "converged" if result.converged else "did not converge"
        self.line.keep(
            f"run {self.run}/{self.n_runs}: {state} after {result.n_iter} iterations, log-likelihood"
            f" {log_likelihood:.6f}, objective {objective:.6f} ({time.perf_counter() - self.started:.2f}s)"
        )

    def close(self, result: EMResult, log_likelihood: float, objective: float) -> None:
        if self.n_runs > 1:
            self.line.keep(f"kept the run with objective {objective:.6f} (log-likelihood {log_likelihood:.6f})")
