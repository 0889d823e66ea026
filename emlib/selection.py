"""Choosing the number of components and the covariance structure: BIC, ICL and :func:`select_gmm`.

The criteria follow mclust's sign convention, **larger is better** (Fraley and Raftery 2002):

- BIC = 2ℓ − p log n (Schwarz 1978), ℓ the log-likelihood of the fit, p its number of free
  parameters (``emlib.gaussian_mixture.n_parameters``), n the number of observations;
- ICL = BIC + 2 Σ_n Σ_k c_nk log γ_nk (Biernacki, Celeux and Govaert 2000), c the MAP
  classification and γ the responsibilities: BIC penalised by how unsure the fit is of the
  classification, so that it prefers well-separated clusters.

scikit-learn's ``GaussianMixture.bic`` and emlib's :meth:`emlib.EMResult.bic` are −2ℓ + p log n,
the same number with the opposite sign (smaller is better).

:func:`select_gmm` fits every (K, covariance type) of a grid with :func:`emlib.fit_gmm` and
keeps the one with the best criterion, as mclust's ``Mclust`` does; the result, a
:class:`ModelSelection`, holds every fit and a table of their scores.
"""

from __future__ import annotations

import inspect
import numbers
import time
import types
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

import numpy as np

from ._bayes import map_labels, total_log_likelihood
from ._progress import ProgressLine
from ._validation import (
    COVARIANCE_TYPES,
    check_count,
    check_covariance_type,
    check_data,
    check_flag,
    check_sample_weight,
)
from .drivers import ConvergenceWarning
from .fit import DegenerateFitWarning, fit_gmm
from .gaussian_mixture import n_parameters
from .model import MixtureModel
from .result import EMResult

__all__ = ["ModelSelection", "SelectionRow", "SelectionTable", "bic", "icl", "select_gmm"]

#: The criteria :func:`select_gmm` can choose by.
CRITERIA = ("bic", "icl")
#: The covariance types :func:`select_gmm` tries by default, in mclust's order VVV, EEE, VVI, VII.
DEFAULT_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: mclust's name of each covariance type (for labels).
MCLUST_NAMES = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}
#: Criterion values closer than this, relative to the best, are a tie (broken toward fewer parameters).
TIE_TOLERANCE = 1e-10
#: Arguments of fit_gmm that select_gmm sets itself.
_SET_BY_SELECT_GMM = ("n_components", "covariance_type")


# ----------------------------------------------------------------------------------------------
# the criteria
# ----------------------------------------------------------------------------------------------
def bic(result, X=None, *, sample_weight=None) -> float:
    """The Bayesian information criterion of a fit, mclust's sign: BIC = 2ℓ − p log n (larger is better).

    Schwarz (1978); the form and sign of Fraley and Raftery (2002) and mclust's ``mclustBIC``.
    scikit-learn's ``bic()`` and :meth:`emlib.EMResult.bic` return −2ℓ + p log n, the same number
    negated (smaller is better).

    Parameters
    ----------
    result : EMResult
        A fit whose model counts its parameters (``result.model.n_parameters``; for a Gaussian
        mixture p = ``emlib.gaussian_mixture.n_parameters``, so the count depends on the
        covariance type).
    X : array_like of shape (N, D), optional
        The data. Given, ℓ = Σ_n w_n log p(x_n | θ) is computed afresh at ``result.params`` and
        n = Σ_n w_n. Omitted, ℓ is the fit's last log-likelihood (``result.log_likelihoods[-1]``,
        the log-likelihood at ``result.params``, not the log-posterior of a MAP fit) and n is the
        number of rows of ``result.posterior``: right for a fit without ``sample_weight`` only.
    sample_weight : array_like of shape (N,), optional
        Row weights (only with X); n is then their sum.

    Returns
    -------
    float
    """
    model, params = _check_result(result)
    if X is None:
        if sample_weight is not None:
            raise ValueError("sample_weight needs X: pass the data the weights belong to")
        n_rows = np.shape(result.posterior)[0]
        return _bic(float(result.log_likelihoods[-1]), model.n_parameters(params), float(n_rows))
    data = model.check_data(X)
    model.check_params(data, params)
    weights = check_sample_weight(sample_weight, len(data))
    log_likelihood = model.expectation(data, weights, params).log_likelihood
    return _bic(log_likelihood, model.n_parameters(params), float(weights.sum()))


def icl(result, X, *, sample_weight=None) -> float:
    """The integrated completed likelihood of a mixture fit, mclust's ``icl``: BIC + 2 Σ_n Σ_k c_nk log γ_nk.

    Biernacki, Celeux and Govaert (2000, IEEE TPAMI 22:719–725), in mclust's form: γ_nk are the
    responsibilities at ``result.params``, c_nk = 1 for the most probable component of row n
    (the MAP classification, the smallest index on a tie) and 0 otherwise; with row weights each
    row's term is multiplied by w_n. The sum is ≤ 0, so ICL ≤ BIC, with equality when every row is
    classified with certainty. Larger is better (see :func:`emlib.selection.bic` for the BIC and its sign).

    Parameters
    ----------
    result : EMResult
        A mixture fit (a :class:`emlib.MixtureModel`, such as every fit of :func:`emlib.fit_gmm`).
    X : array_like of shape (N, D)
        The data: the responsibilities are recomputed at ``result.params`` (a hard-EM fit's
        ``posterior`` is one-hot, not the γ the criterion needs).
    sample_weight : array_like of shape (N,), optional
        Row weights; n = Σ_n w_n in the BIC.

    Returns
    -------
    float
    """
    model, params = _check_result(result)
    if not isinstance(model, MixtureModel):
        raise TypeError(f"icl is defined for mixture models; {type(model).__name__} is not an emlib.MixtureModel")
    data = model.check_data(X)
    model.check_params(data, params)
    weights = check_sample_weight(sample_weight, len(data))
    return _criteria(model, data, weights, params)[3]


def _check_result(result):
    if not isinstance(result, EMResult):
        raise TypeError(f"result must be an emlib.EMResult; got {type(result).__name__}")
    if getattr(result.model, "n_parameters", None) is None:
        raise TypeError(f"the criteria need the model's n_parameters; {type(result.model).__name__} has none")
    return result.model, result.params


def _bic(log_likelihood: float, n_free: int, n_observations: float) -> float:
    """2ℓ − p log n (Schwarz 1978, mclust's sign)."""
    return 2.0 * log_likelihood - n_free * np.log(n_observations)


def _criteria(model: MixtureModel, data: np.ndarray, weights: np.ndarray, params) -> tuple[float, int, float, float]:
    """ℓ, p, BIC and ICL of a mixture at ``params``, from one E-step (validated inputs).

    At the MAP label the responsibility is at least 1/K, so its logarithm is accurate.
    """
    log_marginals, responsibilities = model.posterior(data, params)
    log_likelihood = total_log_likelihood(weights, log_marginals)
    labels = map_labels(responsibilities)
    at_labels = responsibilities[np.arange(len(labels)), labels]
    counted = weights > 0  # a row of weight zero takes no part (and 0 · log 0 would be NaN)
    entropy_term = float(weights[counted] @ np.log(at_labels[counted]))
    n_free = model.n_parameters(params)
    value = _bic(log_likelihood, n_free, float(weights.sum()))
    return log_likelihood, n_free, value, value + 2.0 * entropy_term


# ----------------------------------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SelectionRow:
    """One (K, covariance type) of a :func:`select_gmm` grid and how its fit scored.

    Attributes
    ----------
    n_components : int
        K.
    covariance_type : str
        One of "full", "tied", "diag", "spherical".
    n_parameters : int
        p, the free parameters (``emlib.gaussian_mixture.n_parameters``).
    log_likelihood, bic, icl : float
        ℓ at the fitted parameters (not the log-posterior), BIC = 2ℓ − p log n and ICL (larger is
        better, see :func:`emlib.selection.bic` and :func:`emlib.selection.icl`); NaN for a failed row.
    degenerate : bool
        Whether some component of the fit is degenerate (``EMResult.degenerate``): such a fit is
        never chosen while a fit without one exists.
    converged : bool
        Whether the fit met its stopping rule (False for a failed row).
    n_iter : int
        EM iterations of the kept run (0 for a failed row).
    failure : str or None
        Why there is no fit (K above the number of distinct rows, a singular covariance under
        ``reg_covar=0``, ...), or None.
    warnings : tuple of str
        The messages of the DegenerateFitWarning and ConvergenceWarning the fit emitted, which
        select_gmm records here instead of repeating them.
    seconds : float
        Time taken by the fit (not compared: two tables with different timings are equal).
    """

    n_components: int
    covariance_type: str
    n_parameters: int
    log_likelihood: float
    bic: float
    icl: float
    degenerate: bool
    converged: bool
    n_iter: int
    failure: str | None = None
    warnings: tuple[str, ...] = ()
    seconds: float = field(default=0.0, compare=False)

    @property
    def failed(self) -> bool:
        """Whether the row has no fit."""
        return self.failure is not None

    def criterion(self, name: str) -> float:
        """The row's value of the criterion ``name`` ("bic" or "icl")."""
        return getattr(self, _check_criterion(name))


#: The columns of a SelectionTable, in order.
_COLUMNS = tuple(f.name for f in fields(SelectionRow))


class SelectionTable(tuple):
    """The rows of a model selection (a tuple of :class:`SelectionRow`), one per (K, covariance type).

    Rows are in the order the grid was searched (K ascending; for each K the covariance types in
    the order given). :meth:`column` gives one field of every row as an array, :meth:`to_text` (also
    ``str`` and ``repr``) an aligned table.
    """

    __slots__ = ()

    def __new__(cls, rows: Iterable[SelectionRow] = ()):
        rows = tuple(rows)
        for row in rows:
            if not isinstance(row, SelectionRow):
                raise TypeError(f"a SelectionTable holds SelectionRow objects; got {type(row).__name__}")
        return super().__new__(cls, rows)

    def column(self, name: str) -> np.ndarray:
        """One field of every row, shape (n_rows,).

        ``n_components``, ``n_parameters``, ``n_iter``: int arrays; ``log_likelihood``, ``bic``,
        ``icl``, ``seconds``: float arrays (NaN for failed rows); ``degenerate``, ``converged``,
        ``failed``: bool arrays; ``covariance_type``: a str array; ``failure``, ``warnings``:
        object arrays.
        """
        if not isinstance(name, str) or name not in _COLUMNS + ("failed",):
            raise ValueError(f"name must be one of {_COLUMNS + ('failed',)}; got {name!r}")
        values = [getattr(row, name) for row in self]
        if name in ("n_components", "n_parameters", "n_iter"):
            return np.array(values, dtype=np.int64)
        if name in ("log_likelihood", "bic", "icl", "seconds"):
            return np.array(values, dtype=np.float64)
        if name in ("degenerate", "converged", "failed"):
            return np.array(values, dtype=bool)
        if name == "covariance_type":
            return np.array(values, dtype=str)
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array

    def to_text(self, chosen: tuple[int, str] | None = None) -> str:
        """The table as aligned text: K, type (mclust's name), p, ℓ, BIC, ICL and the flags.

        ``chosen`` = (K, covariance type) marks that row with ``*``. Timings are left out, so
        the text of a seeded selection is reproducible.
        """
        header = ("", "K", "covariance", "p", "log-likelihood", "BIC", "ICL", "notes")
        lines = [header]
        for row in self:
            mark = "*" if chosen is not None and (row.n_components, row.covariance_type) == chosen else ""
            kind = f"{row.covariance_type} ({MCLUST_NAMES[row.covariance_type]})"
            if row.failed:
                numbers_ = ("—", "—", "—")
                notes = f"failed: {_shortened(row.failure)}"
            else:
                numbers_ = (f"{row.log_likelihood:.4f}", f"{row.bic:.4f}", f"{row.icl:.4f}")
                notes = ", ".join(
                    flag
                    for flag, present in (("degenerate", row.degenerate), ("not converged", not row.converged))
                    if present
                )
            lines.append((mark, str(row.n_components), kind, str(row.n_parameters), *numbers_, notes))
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        left = {1: False, 2: True, 7: True}  # text columns are left-aligned, numbers right-aligned
        rendered = []
        for line in lines:
            cells = [
                cell.ljust(widths[i]) if left.get(i, i == 0) else cell.rjust(widths[i]) for i, cell in enumerate(line)
            ]
            rendered.append("  ".join(cells).rstrip())
        return "\n".join(rendered)

    def __repr__(self) -> str:
        return self.to_text()

    __str__ = __repr__


def _shortened(text: str, limit: int = 72) -> str:
    """At most ``limit`` characters of ``text`` (the whole message stays in ``SelectionRow.failure``)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, kw_only=True, eq=False)
class ModelSelection:
    """The result of :func:`select_gmm`: the chosen fit, every fit, and the table of their scores.

    Attributes
    ----------
    best : EMResult
        The chosen fit.
    best_n_components : int
        Its K.
    best_covariance_type : str
        Its covariance type.
    criterion : {"bic", "icl"}
        The criterion the choice maximised.
    fits : Mapping
        (K, covariance type) → EMResult for every row that did not fail (a read-only mapping).
    table : SelectionTable
        One :class:`SelectionRow` per (K, covariance type) searched.
    n_components : tuple of int
        The K searched, ascending.
    covariance_types : tuple of str
        The covariance types searched, in the order given.
    random_state : int
        The seed every fit used: ``select_gmm(X, ..., random_state=selection.random_state)``
        repeats the selection.
    """

    best: EMResult
    best_n_components: int
    best_covariance_type: str
    criterion: str
    fits: Mapping
    table: SelectionTable
    n_components: tuple
    covariance_types: tuple
    random_state: int

    def __post_init__(self):
        object.__setattr__(self, "fits", types.MappingProxyType(dict(self.fits)))
        object.__setattr__(self, "table", SelectionTable(self.table))

    @property
    def best_row(self) -> SelectionRow:
        """The table's row of the chosen fit."""
        return next(
            row
            for row in self.table
            if (row.n_components, row.covariance_type) == (self.best_n_components, self.best_covariance_type)
        )

    def to_text(self) -> str:
        """The table, with the chosen row marked ``*``."""
        return self.table.to_text((self.best_n_components, self.best_covariance_type))

    def __repr__(self) -> str:
        row = self.best_row
        return (
            f"ModelSelection(criterion={self.criterion!r}, best: K={self.best_n_components},"
            f" covariance_type={self.best_covariance_type!r}, {self.criterion}={row.criterion(self.criterion):.4f})\n"
            + self.to_text()
        )


# ----------------------------------------------------------------------------------------------
# select_gmm
# ----------------------------------------------------------------------------------------------
def select_gmm(
    X,
    n_components=range(1, 10),
    covariance_types=DEFAULT_COVARIANCE_TYPES,
    criterion: str = "bic",
    *,
    verbose: bool = False,
    **fit_kwargs,
) -> ModelSelection:
    """Fit a Gaussian mixture for every K and covariance type, and keep the best by BIC (or ICL).

    mclust's ``Mclust(X, G = n_components, modelNames = ...)`` in emlib: each (K, type) is fitted
    by :func:`emlib.fit_gmm` with ``fit_kwargs``, and scored by :func:`emlib.selection.bic` (2ℓ − p log n,
    Schwarz 1978; Fraley and Raftery 2002) and :func:`emlib.selection.icl` (Biernacki, Celeux and Govaert 2000),
    both **larger is better**, ℓ being the log-likelihood of the fit (not its log-posterior under
    the default prior). emlib's "full", "tied", "diag" and "spherical" are mclust's VVV, EEE, VVI
    and VII.

    **The choice.** The fit with the largest criterion among those with no degenerate
    component (``EMResult.degenerate``). Values within a relative 1e-10 of the best
    (``TIE_TOLERANCE``) tie, and a tie goes to fewer parameters, then fewer components, then the
    covariance type listed first. If every fit is degenerate the best degenerate one is chosen,
    with a :class:`emlib.DegenerateFitWarning` (as :func:`emlib.fit_gmm` does for its runs).

    **Warnings and failures.** The DegenerateFitWarning and ConvergenceWarning of each fit are
    recorded in its row (``degenerate``, ``converged``, ``warnings``) instead of being emitted;
    other warnings pass through. A (K, type) that cannot be fitted is a row marked failed, with
    the reason, instead of an error: K above the number of distinct rows with positive weight, or
    any ValueError of :func:`emlib.fit_gmm` (a covariance that became singular under
    ``reg_covar=0``, k-means++ unable to seed K clusters). If no row can be fitted, a ValueError
    gives the reasons (a bad value in ``fit_kwargs`` fails every row, so it ends up here).

    Parameters
    ----------
    X : array_like of shape (N, D)
        Data.
    n_components : iterable of int, default range(1, 10)
        The K to try, each >= 1, without repeats (mclust's ``G = 1:9``).
    covariance_types : iterable of str, default ("full", "tied", "diag", "spherical")
        The covariance structures to try, without repeats.
    criterion : {"bic", "icl"}, default "bic"
        What the choice maximises.
    verbose : bool, default False
        Print a line per fit (K, type, ℓ, the criterion, time) to standard output, a single
        updating line when it is a terminal; nothing is printed when False.
    **fit_kwargs
        Passed to :func:`emlib.fit_gmm` unchanged for every fit (``init``, ``n_init``,
        ``reg_covar``, ``max_iter``, ``tol``, ``method``, ``sample_weight``, ``prior``, ...), except
        ``random_state``: a single seed is drawn from it once (an int is used as it is; None draws
        from fresh entropy; a Generator is advanced by one draw) and every fit uses that seed, so
        the table is reproducible (``ModelSelection.random_state``). With ``sample_weight``, n in
        the criteria is Σ_n w_n. ``n_components`` and ``covariance_type`` are select_gmm's own.

    Returns
    -------
    ModelSelection

    Warns
    -----
    DegenerateFitWarning
        If every fit that succeeded has a degenerate component.

    Raises
    ------
    ValueError, TypeError
        On an invalid argument, naming it; ValueError if no (K, type) could be fitted.

    Examples
    --------
    >>> import emlib
    >>> selection = emlib.select_gmm(emlib.datasets.old_faithful(), random_state=0)
    >>> selection.best_n_components, selection.best_covariance_type
    (3, 'tied')
    """
    X = check_data(X)
    ks = _check_n_components(n_components)
    kinds = _check_covariance_types(covariance_types)
    criterion = _check_criterion(criterion)
    verbose = check_flag(verbose, "verbose")
    _check_fit_kwargs(fit_kwargs)
    weights = check_sample_weight(fit_kwargs.get("sample_weight"), X.shape[0])
    seed = _one_seed(fit_kwargs.pop("random_state", None))
    n_distinct = np.unique(X[weights > 0], axis=0).shape[0]

    progress = _Progress(len(ks) * len(kinds), criterion) if verbose else None
    rows, fits = [], {}
    for k in ks:
        for kind in kinds:
            row, fit = _fit_one(X, weights, k, kind, n_distinct, seed, fit_kwargs)
            rows.append(row)
            if fit is not None:
                fits[(k, kind)] = fit
            if progress is not None:
                progress.report(row)
    table = SelectionTable(rows)
    try:
        chosen = _choose(table, criterion)
    except ValueError:
        if progress is not None:
            progress.close(None)
        raise
    if progress is not None:
        progress.close(chosen)
    return ModelSelection(
        best=fits[(chosen.n_components, chosen.covariance_type)],
        best_n_components=chosen.n_components,
        best_covariance_type=chosen.covariance_type,
        criterion=criterion,
        fits=fits,
        table=table,
        n_components=ks,
        covariance_types=kinds,
        random_state=seed,
    )


def _fit_one(X, weights, k: int, kind: str, n_distinct: int, seed: int, fit_kwargs) -> tuple[SelectionRow, object]:
    """One (K, type): its row, and its fit (None if it failed)."""
    n_free = n_parameters(k, X.shape[1], kind)
    started = time.perf_counter()
    if k > n_distinct:
        reason = f"n_components={k} exceeds the number of distinct rows of X with positive sample_weight ({n_distinct})"
        return _failed_row(k, kind, n_free, reason, time.perf_counter() - started), None
    recorded = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = fit_gmm(X, k, covariance_type=kind, random_state=seed, **fit_kwargs)
    except ValueError as error:  # SingularCovarianceError included
        _pass_on(caught)
        return _failed_row(k, kind, n_free, str(error), time.perf_counter() - started), None
    for warning in caught:
        if issubclass(warning.category, (DegenerateFitWarning, ConvergenceWarning)):
            recorded.append(f"{warning.category.__name__}: {warning.message}")
    _pass_on([w for w in caught if not issubclass(w.category, (DegenerateFitWarning, ConvergenceWarning))])
    log_likelihood, n_free, bic_value, icl_value = _criteria(fit.model, X, weights, fit.params)
    row = SelectionRow(
        n_components=k,
        covariance_type=kind,
        n_parameters=n_free,
        log_likelihood=log_likelihood,
        bic=bic_value,
        icl=icl_value,
        degenerate=bool(fit.degenerate is not None and np.any(fit.degenerate)),
        converged=bool(fit.converged),
        n_iter=int(fit.n_iter),
        warnings=tuple(recorded),
        seconds=time.perf_counter() - started,
    )
    return row, fit


def _failed_row(k: int, kind: str, n_free: int, reason: str, seconds: float) -> SelectionRow:
    nan = float("nan")
    return SelectionRow(
        n_components=k,
        covariance_type=kind,
        n_parameters=n_free,
        log_likelihood=nan,
        bic=nan,
        icl=nan,
        degenerate=False,
        converged=False,
        n_iter=0,
        failure=reason,
        seconds=seconds,
    )


def _pass_on(caught) -> None:
    """Emit again the warnings select_gmm does not record, under the caller's filters."""
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def _choose(table: SelectionTable, criterion: str) -> SelectionRow:
    """The best row: largest criterion without degeneracy; ties to fewer parameters, then fewer K, then listed first."""
    fitted = [row for row in table if not row.failed]
    if not fitted:
        reasons = "; ".join(f"K={row.n_components} {row.covariance_type}: {row.failure}" for row in table)
        raise ValueError(f"no (n_components, covariance_type) could be fitted: {reasons}")
    candidates = [row for row in fitted if not row.degenerate]
    if not candidates:
        warnings.warn(
            "every fit has a degenerate component (see ModelSelection.table); the best degenerate one is"
            " returned. Try fewer components, another reg_covar, or n_init > 1.",
            DegenerateFitWarning,
            stacklevel=3,
        )
        candidates = fitted
    best = max(row.criterion(criterion) for row in candidates)
    tolerance = TIE_TOLERANCE * max(1.0, abs(best))
    tied = [row for row in candidates if row.criterion(criterion) >= best - tolerance]
    return min(tied, key=lambda row: (row.n_parameters, row.n_components))  # min keeps the first of equals


# ----------------------------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------------------------
def _check_n_components(value) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(
            f"n_components must be an iterable of integers such as range(1, 10) or [3]; got {type(value).__name__}"
            f" {value!r}"
        )
    ks = tuple(check_count(k, "each entry of n_components", minimum=1) for k in value)
    if not ks:
        raise ValueError("n_components must hold at least one number of components")
    if len(set(ks)) != len(ks):
        raise ValueError(f"n_components must not repeat a value; got {list(ks)}")
    return tuple(sorted(ks))


def _check_covariance_types(value) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(
            f"covariance_types must be an iterable of names such as ('full', 'tied'); got the string {value!r}"
            f" (write ({value!r},))"
        )
    if not isinstance(value, Iterable):
        raise TypeError(f"covariance_types must be an iterable of names from {COVARIANCE_TYPES}; got {value!r}")
    kinds = []
    for kind in value:
        try:
            kinds.append(check_covariance_type(kind))
        except ValueError:
            raise ValueError(
                f"each entry of covariance_types must be one of {COVARIANCE_TYPES}; got {kind!r}"
            ) from None
    if not kinds:
        raise ValueError("covariance_types must hold at least one covariance type")
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"covariance_types must not repeat a type; got {kinds}")
    return tuple(kinds)


def _check_criterion(value) -> str:
    if not isinstance(value, str) or value not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}; got {value!r}")
    return value


def _check_fit_kwargs(fit_kwargs: dict) -> None:
    for name in _SET_BY_SELECT_GMM:
        if name in fit_kwargs:
            hint = "; list the types in covariance_types" if name == "covariance_type" else ""
            raise TypeError(f"select_gmm sets {name} itself for every fit; do not pass it{hint}")
    parameters = inspect.signature(fit_gmm).parameters
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters.values()):
        return  # a fit_gmm that takes any keyword (a wrapper) checks its own
    accepted = set(parameters) - {"X", *_SET_BY_SELECT_GMM}
    unknown = sorted(set(fit_kwargs) - accepted)
    if unknown:
        raise TypeError(
            f"select_gmm got unexpected keyword arguments {unknown}: the extra arguments go to emlib.fit_gmm,"
            f" which accepts {sorted(accepted)}"
        )


def _one_seed(random_state) -> int:
    """The seed every fit uses: an int as it is, else one draw from the Generator (or fresh entropy)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, (bool, np.bool_)):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative integer seed; got {random_state}")
        return int(random_state)
    if random_state is None:
        random_state = np.random.default_rng()
    if not isinstance(random_state, np.random.Generator):
        raise TypeError(
            f"random_state must be None, a non-negative integer seed or a numpy.random.Generator; got {random_state!r}"
        )
    return int(random_state.integers(0, 2**63 - 1))


# ----------------------------------------------------------------------------------------------
# progress
# ----------------------------------------------------------------------------------------------
class _Progress:
    """``verbose=True``: a line per fit on standard output, or one updating line on a terminal."""

    def __init__(self, total: int, criterion: str):
        self.total, self.criterion, self.done = total, criterion, 0
        self.line = ProgressLine()

    def report(self, row: SelectionRow) -> None:
        self.done += 1
        head = f"[{self.done}/{self.total}] K={row.n_components} {row.covariance_type:<9}"
        if row.failed:
            line = f"{head} failed: {row.failure}"
        else:
            flags = "".join(
                f", {flag}"
                for flag, present in (("degenerate", row.degenerate), ("not converged", not row.converged))
                if present
            )
            line = (
                f"{head} log-likelihood {row.log_likelihood:.4f}  {self.criterion.upper()}"
                f" {row.criterion(self.criterion):.4f}  ({row.seconds:.2f}s{flags})"
            )
        self.line.report_or_keep(line)

    def close(self, chosen: SelectionRow | None) -> None:
        if chosen is None:
            line = "no fit succeeded"
        else:
            line = (
                f"chosen: K={chosen.n_components} {chosen.covariance_type}"
                f" ({self.criterion.upper()} {chosen.criterion(self.criterion):.4f})"
            )
        self.line.keep(line)
