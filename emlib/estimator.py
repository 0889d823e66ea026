"""A scikit-learn-compatible Gaussian-mixture estimator on top of emlib's functional API.

:class:`GaussianMixture` follows scikit-learn's estimator conventions (constructor
parameters stored unchanged, ``get_params`` / ``set_params``, ``fit`` returning ``self``,
fitted attributes ending in ``_``, estimator tags) and the attribute names and shapes of
``sklearn.mixture.GaussianMixture``, so it can be used in pipelines, cross-validation and
grid searches. It fits by :func:`emlib.fit_gmm`, the same code as the functional API, and keeps
the :class:`emlib.EMResult` as ``fit_result_``. Every prediction is a method of that result,
which delegates to its model (:class:`emlib.GaussianMixtureModel`, whose scores
:class:`emlib.MixtureModel` defines): the estimator, ``emlib.fit_gmm(...).predict(X)`` and
``emlib.GaussianMixtureModel().predict(X, params)`` run one implementation and agree bit for bit.
This module adds only scikit-learn's input conventions (feature names, error messages).

scikit-learn is not needed to use it: this module never imports scikit-learn, except inside
``__sklearn_tags__``, which only scikit-learn itself calls.
"""

from __future__ import annotations

import inspect
import sys
import time
import warnings

import numpy as np
from scipy.linalg import solve_triangular

from ._validation import (
    check_count,
    check_covariance_type,
    check_data,
    check_missing,
    check_nonnegative_real,
    check_random_state,
    check_sample_weight,
)
from .blockwise import is_dask_array
from .drivers import has_converged
from .fit import fit_gmm
from .gaussian_mixture import GaussianMixtureModel
from .maximization import m_step
from .missing import MissingGaussianMixtureModel
from .params import GMMParams
from .result import EMResult
from .starts import DEFAULT_START, STARTS
from .variants import OnlineEM

__all__ = ["GaussianMixture", "NotFittedError"]

#: Relative asymmetry tolerated in a precision matrix given as ``precisions_init``.
SYMMETRY_TOLERANCE = 1e-10
#: How far ``weights_init`` may sum from one (scikit-learn's and GMMParams' tolerance).
WEIGHT_SUM_TOLERANCE = 1e-8
#: scikit-learn's ``init_params`` names that are not emlib start names, and the emlib start each means.
SKLEARN_INIT_PARAMS = {"kmeans": "k-means", "random_from_data": "random"}


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted estimator was called before ``fit``.

    A subclass of both ``ValueError`` and ``AttributeError``, like
    ``sklearn.exceptions.NotFittedError``. When scikit-learn has been imported (by the
    caller), the exception raised is also an instance of scikit-learn's ``NotFittedError``, so
    ``except sklearn.exceptions.NotFittedError`` catches it too; emlib itself never imports
    scikit-learn to do this.
    """

    def __reduce__(self):  # the scikit-learn flavoured subclass pickles as this class
        return (NotFittedError, self.args)


_SKLEARN_FLAVOURED: dict[type, type] = {}


def _not_fitted_error(estimator) -> NotFittedError:
    """The NotFittedError for ``estimator``, also a scikit-learn NotFittedError if sklearn is loaded."""
    message = (
        f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with appropriate"
        " arguments before using this estimator."
    )
    exceptions = sys.modules.get("sklearn.exceptions")  # only if the caller imported sklearn
    sklearn_error = getattr(exceptions, "NotFittedError", None)
    if not (isinstance(sklearn_error, type) and issubclass(sklearn_error, BaseException)):
        return NotFittedError(message)
    flavoured = _SKLEARN_FLAVOURED.get(sklearn_error)
    if flavoured is None:
        flavoured = type("NotFittedError", (NotFittedError, sklearn_error), {"__module__": __name__})
        flavoured.__qualname__ = "NotFittedError"
        _SKLEARN_FLAVOURED[sklearn_error] = flavoured
    return flavoured(message)


# ----------------------------------------------------------------------------------------------
# input validation in scikit-learn's terms (messages its common checks look for)
# ----------------------------------------------------------------------------------------------
def _is_sparse(value) -> bool:
    return type(value).__module__.startswith("scipy.sparse")


def _feature_names(X):
    """Column names of a dataframe X (an object with ``columns``, or the interchange protocol).

    scikit-learn's rule: the names are kept only if every one is a string; a mixture of
    strings and non-strings is an error; any other names (integers, say) are ignored.
    """
    if isinstance(X, np.ndarray):
        return None
    if hasattr(X, "columns"):
        names = np.asarray(X.columns, dtype=object)
    elif hasattr(X, "__dataframe__"):
        names = np.asarray(list(X.__dataframe__().column_names()), dtype=object)
    else:
        return None
    if names.ndim != 1 or len(names) == 0:
        return None
    types = sorted(t.__qualname__ for t in {type(name) for name in names})
    if len(types) > 1 and "str" in types:
        raise TypeError(
            "Feature names are only supported if all input features have string names, but your"
            f" input has {types} as feature name / column name types. If you want feature names to"
            " be stored and validated, you must convert them all to strings, by using"
            " X.columns = X.columns.astype(str) for example. Otherwise you can remove feature /"
            " column names from your input data, or convert them all to a non-string data type."
        )
    if types == ["str"]:
        return names
    return None


def _as_data(X, name: str = "X", missing: str | None = None) -> np.ndarray:
    """X as a finite float64 (N, D) array, N, D >= 1, with scikit-learn's error messages (NaN allowed if ``missing="em"``)."""
    if _is_sparse(X):
        raise TypeError(f"{name} is a scipy sparse matrix, but GaussianMixture needs dense data; pass {name}.toarray()")
    if not isinstance(X, np.ndarray):  # lists, dataframes, array-likes (masked arrays stay as they are)
        try:
            X = np.asarray(X)
        except ValueError as error:  # ragged nested sequences
            raise ValueError(f"{name} must be a rectangular 2-D array of numbers: {error}") from None
    if X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {X.dtype}")
    if X.dtype.kind == "O":  # an object array of numbers (a dataframe of mixed dtypes, say) is converted
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{name} has dtype object and could not be converted to numbers: {error}") from None
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D array {name} of shape (n_samples, n_features), got a {X.ndim}-D array"
            f" of shape {X.shape}. Reshape your data either using {name}.reshape(-1, 1) if your data"
            f" has a single feature or {name}.reshape(1, -1) if it contains a single sample."
        )
    if X.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
    if X.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
    return check_data(X, name, missing=missing)  # real numbers (integer or float), finite (or NaN), float64


def _array(value, name: str, shape: tuple) -> np.ndarray:
    """``value`` as a finite float64 array of exactly ``shape``, or an error naming ``name``."""
    if _is_sparse(value):
        raise TypeError(f"{name} is a scipy sparse matrix; pass a dense array")
    try:
        array = np.asarray(value)
    except ValueError as error:
        raise ValueError(f"{name} must be a rectangular array of numbers: {error}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers (integer or float); got an array of dtype {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
    array = np.array(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _random_generator(random_state) -> np.random.Generator:
    """None, a seed or a Generator (as in emlib), or a legacy RandomState, as a Generator.

    A RandomState is drawn from (and so advanced), as scikit-learn's estimators do with one.
    """
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32, size=4, dtype=np.uint64))
    return check_random_state(random_state, "random_state")


def _covariance_from_precision(precision: np.ndarray, name: str) -> np.ndarray:
    """Σ = Λ⁻¹ for a symmetric positive definite Λ, through the Cholesky factor Λ = C Cᵀ."""
    scale = np.max(np.abs(precision))
    if np.max(np.abs(precision - precision.T)) > SYMMETRY_TOLERANCE * scale:
        raise ValueError(f"{name} is not symmetric")
    precision = 0.5 * (precision + precision.T)
    try:
        factor = np.linalg.cholesky(precision)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None
    inverse_factor = solve_triangular(factor, np.eye(len(factor)), lower=True)  # C⁻¹
    covariance = inverse_factor.T @ inverse_factor  # Λ⁻¹ = C⁻ᵀ C⁻¹
    return 0.5 * (covariance + covariance.T)


def _covariances_from_precisions(precisions_init, covariance_type: str, k: int, d: int) -> np.ndarray:
    """scikit-learn's ``precisions_init`` (shape by covariance_type) as (K, D, D) covariances."""
    name = "precisions_init"
    if covariance_type == "full":
        precisions = _array(precisions_init, name, (k, d, d))
        return np.stack([_covariance_from_precision(p, f"{name}[{j}]") for j, p in enumerate(precisions)])
    if covariance_type == "tied":
        covariance = _covariance_from_precision(_array(precisions_init, name, (d, d)), name)
        return np.repeat(covariance[np.newaxis], k, axis=0)
    shape = (k, d) if covariance_type == "diag" else (k,)
    precisions = _array(precisions_init, name, shape)
    if np.any(precisions <= 0):
        raise ValueError(f"{name} must be positive for covariance_type={covariance_type!r}")
    variances = 1.0 / precisions
    if covariance_type == "spherical":
        variances = np.repeat(variances[:, np.newaxis], d, axis=1)
    return variances[:, :, np.newaxis] * np.eye(d)


def _sklearn_covariances(params: GMMParams, covariance_type: str):
    """(covariances_, precisions_, precisions_cholesky_) in scikit-learn's shapes and conventions.

    precisions_cholesky_ is emlib's ``precision_cholesky``: the upper-triangular P_k = L_k⁻ᵀ
    with Σ_k⁻¹ = P_k P_kᵀ (for "diag" and "spherical" its diagonal, 1/σ), and precisions_ is
    P_k P_kᵀ (P² for "diag" and "spherical"), as scikit-learn computes them.
    """
    covariances, factors = params.covariances, params.precision_cholesky
    if covariance_type == "full":
        return covariances, factors @ np.swapaxes(factors, 1, 2), factors
    if covariance_type == "tied":
        return covariances[0], factors[0] @ factors[0].T, factors[0]
    variances = np.diagonal(covariances, axis1=1, axis2=2)
    inverse_deviations = np.diagonal(factors, axis1=1, axis2=2)
    if covariance_type == "spherical":
        variances, inverse_deviations = variances[:, 0], inverse_deviations[:, 0]
    return variances, inverse_deviations**2, inverse_deviations


def _read_only(array) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.flags.writeable = False
    return array


class _Progress:
    """The ``callback`` of :func:`emlib.fit_gmm` for ``verbose > 0``: scikit-learn-style lines, printed live.

    fit_gmm calls it as ``callback(iteration, params, log_likelihood, objective)`` for the start
    (iteration 0) and after every iteration of every one of the ``n_init`` runs, in the units of
    X. A run's last line is printed when the next run starts, or by :meth:`close` after the fit.

    Parameters
    ----------
    verbose : int
        1: a line per run start and end, and one every ``interval`` iterations. 2: the lines
        also give the objective per unit weight, its last change and the time taken.
    interval : int
        Iterations between two progress lines.
    total_weight : float
        Σ_n w_n, the unit the objectives are divided by.
    max_iter, tol : int, float
        The fit's, to say whether a run that stopped converged.
    monotone : bool
        ``GaussianMixtureModel.objective_is_monotone()`` for this fit's ``reg_covar``: the
        stopping rule the drivers apply (:func:`emlib.drivers.has_converged`).
    start : str
        How each run starts (a start name of ``emlib.starts.STARTS``, "means_init" or "warm start").
    """

    def __init__(self, verbose, interval, total_weight, max_iter, tol, monotone, start):
        self.verbose, self.interval, self.total_weight = verbose, interval, total_weight
        self.max_iter, self.tol, self.monotone, self.start = max_iter, tol, monotone, start
        self.runs: list[list[float]] = []  # the objectives per unit weight of each run so far
        self.started = self.lap = self.last = 0.0  # times of the run's start, last line, last call

    def __call__(self, iteration, params, log_likelihood, objective) -> None:
        now = time.perf_counter()
        if iteration == 0:
            self._end_run()
            self.runs.append([])
            self.started = self.lap = now
            print(f"Initialization {len(self.runs) - 1} ({self.start})", flush=True)
        self.last = now
        objectives = self.runs[-1]
        objectives.append(objective / self.total_weight)
        if iteration and iteration % self.interval == 0:
            line = f"  Iteration {iteration}"
            if self.verbose > 1:
                line += (
                    f"\t objective per sample {objectives[-1]:.10g}\t change {objectives[-1] - objectives[-2]:.3g}"
                    f"\t time lapse {now - self.lap:.5f}s"
                )
                self.lap = now
            print(line, flush=True)

    def _converged(self, objectives: list[float]) -> bool:
        """Whether a finished EM run met the stopping rule (EM stops before max_iter only if it did)."""
        n_iter = len(objectives) - 1
        return n_iter < self.max_iter or (n_iter > 0 and has_converged(objectives, self.tol, 1.0, self.monotone))

    def _end_run(self, converged: bool | None = None) -> None:
        if not self.runs:
            return
        objectives = self.runs[-1]
        converged = self._converged(objectives) if converged is None else converged
        line = (
            f"Initialization {len(self.runs) - 1} {'converged' if converged else 'did not converge'}"
            f" after {len(objectives) - 1} iterations: objective per sample {objectives[-1]:.10g}"
        )
        if self.verbose > 1:
            line += f"\t time lapse {self.last - self.started:.5f}s"
        print(line, flush=True)

    def close(self, result: EMResult) -> None:
        """End the last run's report and, after several runs, say which one the fit kept."""
        final = float(result.objectives[-1]) / self.total_weight
        # the kept run's history is the result's (fit_gmm keeps the first of equally good runs)
        kept = [i for i, run in enumerate(self.runs) if len(run) - 1 == result.n_iter and run[-1] == final]
        last_is_kept = len(self.runs) - 1 in kept
        self._end_run(bool(result.converged) if last_is_kept else None)
        if len(self.runs) > 1:
            which = f"initialization {kept[0]}" if kept else "the best initialization"
            state = "converged" if result.converged else "did not converge"
            print(
                f"Kept {which} of {len(self.runs)} ({state} after {result.n_iter} iterations):"
                f" objective per sample {final:.10g}",
                flush=True,
            )


class GaussianMixture:
    """Gaussian mixture fitted by EM, with scikit-learn's estimator API.

    A drop-in for ``sklearn.mixture.GaussianMixture`` (same parameters, methods, fitted
    attributes and shapes) whose fit is :func:`emlib.fit_gmm`, and whose predictions
    (:meth:`predict`, :meth:`predict_proba`, :meth:`score_samples`, :meth:`score`, :meth:`bic`,
    :meth:`aic`, :meth:`sample`) are those of the fitted :class:`emlib.EMResult` (``fit_result_``),
    that is the shared model code of :class:`emlib.GaussianMixtureModel` (the methods of
    :class:`emlib.MixtureModel`): there is no second implementation. It differs from
    scikit-learn in three documented ways:

    - **Regularisation** (``reg_covar``): the default ``None`` is emlib's MAP-EM with a
      data-scaled conjugate prior (book eq. :eq:`soft-em-data-prior`), which does not depend on
      the units of X; scikit-learn's default is ``1e-6`` added to every covariance diagonal.
      A float keeps scikit-learn's meaning.
    - **Stopping rule** (``tol``): emlib stops when the objective (the log-likelihood, plus
      the log-prior under the default) rises by at most ``tol`` per unit of sample weight in one
      iteration (book eq. :eq:`soft-em-stopping`); scikit-learn stops when the mean
      log-likelihood changes by less than its ``tol=1e-3``. The defaults here (``tol=1e-6``,
      ``max_iter=1000``) are emlib's.
    - **Seeding** (``init_params``): the default is emlib's default start (``fit_gmm``'s
      ``init``, ``emlib.starts.DEFAULT_START``), and every start of ``emlib.starts.STARTS`` is
      accepted by name, with the meaning it has in :func:`emlib.fit_gmm` (each seeding runs on X
      whitened by the data scale and ends with one M-step on hard assignments). scikit-learn's
      names ``"kmeans"`` and ``"random_from_data"`` are emlib's ``"k-means"`` and ``"random"``;
      scikit-learn's ``"random"`` (random responsibilities) has no emlib counterpart, and the name
      means emlib's random-rows start here.

    Parameters
    ----------
    n_components : int, default 1
        Number of mixture components K.
    covariance_type : {"full", "diag", "spherical", "tied"}, default "full"
        Covariance structure: a full matrix per component, a diagonal matrix per component, a
        single variance per component, or one full matrix shared by all components.
    tol : float, default 1e-6
        Threshold of emlib's stopping rule: the objective's increase per unit of sample weight
        (per observation without weights).
    reg_covar : float or None, default None
        ``None``: emlib's data-scaled prior. A float >= 0: added to every covariance diagonal in
        each M-step, as in scikit-learn (whose default is 1e-6); 0 is pure maximum likelihood.
    max_iter : int, default 1000
        Maximum number of EM iterations (0 keeps the starting parameters).
    n_init : int, default 1
        Number of initialisations (starts drawn by ``init_params``); the best fit is kept (one without degenerate
        components if there is one, see :func:`emlib.fit_gmm`). Must be 1 when a starting point
        is given (``*_init``); ignored (1) on a warm start.
    init_params : str, default emlib.starts.DEFAULT_START
        Name of the start (a key of ``emlib.starts.STARTS``, or scikit-learn's ``"kmeans"`` or
        ``"random_from_data"``; see above).
    weights_init : array_like of shape (K,), optional
        Starting mixing weights (non-negative, summing to one). Requires ``means_init``.
    means_init : array_like of shape (K, D), optional
        Starting means. With ``means_init`` the fit starts from the given parameters instead of
        a seeding; missing weights are uniform, and missing precisions are the M-step
        covariances (:func:`emlib.m_step`, with this ``reg_covar``) of the hard assignment of
        every row to its nearest mean (Euclidean distance).
    precisions_init : array_like, optional
        Starting precisions (inverse covariances), in scikit-learn's shapes: (K, D, D) for
        "full", (D, D) for "tied", (K, D) for "diag", (K,) for "spherical". Requires
        ``means_init``.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState, default None
        Seed of the initialisation and of :meth:`sample`. An int makes both
        reproducible (each call starts from the same seed, as in scikit-learn).
    warm_start : bool, default False
        If True and the estimator is fitted, ``fit`` starts from the fitted parameters (a
        single run) instead of initialising again.
    verbose : int, default 0
        0: silent. 1: print progress while fitting, as scikit-learn does (through the
        ``callback`` of :func:`emlib.fit_gmm`): a line when each of the ``n_init`` runs starts,
        one every ``verbose_interval`` iterations, one when it stops (converged or not), and,
        after several runs, which one was kept. 2: the lines also give the objective per unit
        of sample weight, its change in the last iteration (which the stopping rule compares
        with ``tol``) and the time taken.
    verbose_interval : int, default 10
        Iterations between two progress lines.
    prior : None, "default" or emlib.priors.ConjugatePrior, default None
        MAP-EM under a conjugate prior (``prior`` of :func:`emlib.fit_gmm`); requires
        ``reg_covar`` None.
    stopping : {"increment", "relative", "aitken"}, default "increment"
        The stopping rule (``stopping`` of :func:`emlib.fit_gmm`, see ``emlib.stopping``).
    missing : {"error", "em"}, default "error"
        What a NaN in X means (``missing`` of :func:`emlib.fit_gmm`): an error, or an entry
        missing at random, marginalised exactly (``emlib.missing``). With ``"em"``, ``fit`` and
        every prediction (:meth:`score`, :meth:`score_samples`, :meth:`predict`,
        :meth:`predict_proba`, :meth:`bic`, :meth:`aic`) accept NaN, and ``fit_result_.model`` is
        an :class:`emlib.missing.MissingGaussianMixtureModel`.
    learning_decay : float, default 0.6
        κ ∈ (0.5, 1] of :meth:`partial_fit`'s step sizes γ_t = (t + τ)^(−κ) (online EM,
        ``emlib.variants.OnlineEM``); ignored by :meth:`fit`.
    learning_offset : float, default 0.0
        τ ≥ 0 of those step sizes; ignored by :meth:`fit`.

    Attributes
    ----------
    weights_ : ndarray of shape (K,)
        Mixing weights π_k.
    means_ : ndarray of shape (K, D)
        Component means μ_k.
    covariances_ : ndarray
        Covariances, shaped by covariance_type: (K, D, D) "full", (D, D) "tied", (K, D) "diag"
        (the diagonals), (K,) "spherical" (the variances).
    precisions_ : ndarray
        Inverse covariances, in the same shapes.
    precisions_cholesky_ : ndarray
        Cholesky factors of the precisions, in the same shapes: the upper-triangular P_k with
        Σ_k⁻¹ = P_k P_kᵀ (``GMMParams.precision_cholesky``) for "full" and "tied", 1/σ for
        "diag" and "spherical" (scikit-learn's convention).
    converged_ : bool
        Whether the stopping rule was met within ``max_iter`` iterations.
    n_iter_ : int
        Number of EM iterations of the kept run.
    lower_bound_ : float
        The final objective per unit of sample weight: the mean log-likelihood of the training
        data under the fitted parameters, plus the log-prior per unit weight under the default
        ``reg_covar=None`` (scikit-learn reports the mean log-likelihood of the last-but-one
        iterate).
    n_features_in_ : int
        Number of features D seen during ``fit``.
    feature_names_in_ : ndarray of shape (D,), dtype object
        Column names of X, when X was a dataframe whose column names are all strings.
    fit_result_ : EMResult
        The result of :func:`emlib.fit_gmm`: the model (``fit_result_.model``, a
        :class:`emlib.GaussianMixtureModel` with the fitted ``covariance_type`` and prior), the
        fitted parameters (``fit_result_.params``), the log-likelihood and objective histories,
        ``degenerate``, and more. Every prediction is a method of it.

    Notes
    -----
    The fitted arrays are read-only copies: predictions use ``fit_result_.params``, so changing
    an attribute would not change the model. ``estimator.predict(X)`` equals
    ``estimator.fit_result_.predict(X)`` and
    ``estimator.fit_result_.model.predict(X, estimator.fit_result_.params)`` exactly, and likewise
    for the other predictions.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0.0, 1.0, (100, 2)), rng.normal(8.0, 1.0, (100, 2))])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> sorted(int(m) for m in gm.means_[:, 0].round(0))
    [0, 8]
    >>> bool(gm.predict([[0.0, 0.0]])[0] != gm.predict([[8.0, 8.0]])[0])
    True
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-6,
        reg_covar=None,
        max_iter=1000,
        n_init=1,
        init_params=DEFAULT_START,
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        prior=None,
        stopping="increment",
        missing="error",
        learning_decay=0.6,
        learning_offset=0.0,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.prior = prior
        self.stopping = stopping
        self.missing = missing
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset

    # ------------------------------------------------------------------------------------------
    # scikit-learn's estimator protocol
    # ------------------------------------------------------------------------------------------
    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The constructor's parameter names, sorted (as scikit-learn's BaseEstimator does)."""
        parameters = inspect.signature(cls.__init__).parameters.values()
        return sorted(
            p.name for p in parameters if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict:
        """Parameters of this estimator.

        Parameters
        ----------
        deep : bool, default True
            Also return the parameters of parameter values that are estimators themselves
            (as ``name__parameter``); none of this estimator's are.

        Returns
        -------
        dict
            Parameter names mapped to their values, exactly as given.
        """
        params = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{key}", item) for key, item in value.get_params().items())
            params[name] = value
        return params

    def set_params(self, **params) -> GaussianMixture:
        """Set parameters (validated only when ``fit`` runs, as scikit-learn asks).

        Parameters
        ----------
        **params
            Constructor parameters by name (``name__parameter`` for a nested estimator).

        Returns
        -------
        GaussianMixture
            This estimator.

        Raises
        ------
        ValueError
            For a name that is not a parameter.
        """
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, delimiter, sub_key = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self!r}. Valid parameters are:"
                    f" {self._get_param_names()!r}."
                )
            if delimiter:
                nested.setdefault(name, {})[sub_key] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub_params in nested.items():
            valid[name].set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items() if name != "self"
        }
        changed = []
        for name in defaults:  # in the constructor's order
            value = getattr(self, name, None)
            if repr(value) != repr(defaults[name]):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        """scikit-learn's estimator tags: a density estimator on dense, finite 2-D data.

        The defaults of ``sklearn.base.BaseEstimator`` with ``estimator_type`` set to
        ``"density_estimator"`` (as ``DensityMixin`` does); it must be fitted before use, and
        its input is a 2-D array, not sparse, without NaN, of any sign. Only scikit-learn calls
        this, so importing scikit-learn here costs nothing to users without it.
        """
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type="density_estimator",
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            classifier_tags=None,
            regressor_tags=None,
            array_api_support=False,
            no_validation=False,
            non_deterministic=False,
            requires_fit=True,
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=self.missing == "em", positive_only=False),
        )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "fit_result_")

    # ------------------------------------------------------------------------------------------
    # input checks
    # ------------------------------------------------------------------------------------------
    def _check_fitted(self) -> EMResult:
        """The fitted result, whose methods every prediction calls; NotFittedError before ``fit``."""
        if not self.__sklearn_is_fitted__():
            raise _not_fitted_error(self)
        return self.fit_result_

    def _validate_X(self, X) -> np.ndarray:
        """X for a fitted estimator: feature names and number of features checked as scikit-learn does."""
        self._check_feature_names(X)
        missing = "em" if isinstance(self.fit_result_.model, MissingGaussianMixtureModel) else "error"
        X = _as_data(X, missing=missing)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting"
                f" {self.n_features_in_} features as input."
            )
        return X

    def _check_feature_names(self, X) -> None:
        """scikit-learn's rules (``sklearn.utils.validation._check_feature_names``, reset=False)."""
        fitted = getattr(self, "feature_names_in_", None)
        given = _feature_names(X)
        if fitted is None and given is None:
            return
        if fitted is None:
            warnings.warn(
                f"X has feature names, but {type(self).__name__} was fitted without feature names", stacklevel=3
            )
            return
        if given is None:
            warnings.warn(
                f"X does not have valid feature names, but {type(self).__name__} was fitted with feature names",
                stacklevel=3,
            )
            return
        if len(fitted) == len(given) and np.all(fitted == given):
            return
        message = "The feature names should match those that were passed during fit.\n"
        unexpected = sorted(set(given) - set(fitted))
        missing = sorted(set(fitted) - set(given))

        def listed(names):
            lines = [f"- {name}\n" for name in names[:5]]
            return "".join(lines) + ("- ...\n" if len(names) > 5 else "")

        if unexpected:
            message += "Feature names unseen at fit time:\n" + listed(unexpected)
        if missing:
            message += "Feature names seen at fit time, yet now missing:\n" + listed(missing)
        if not unexpected and not missing:
            message += "Feature names must be in the same order as they were in fit.\n"
        raise ValueError(message)

    def _check_hyperparameters(self) -> None:
        """The parameters emlib.fit_gmm does not check itself."""
        self._start_name()
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be True or False; got {self.warm_start!r}")
        check_count(self.verbose, "verbose", minimum=0)
        check_count(self.verbose_interval, "verbose_interval", minimum=1)

    def _start_name(self) -> str:
        """The emlib start named by ``init_params`` (scikit-learn's aliases mapped), or a ValueError."""
        name = self.init_params
        if isinstance(name, str) and name in SKLEARN_INIT_PARAMS:
            return SKLEARN_INIT_PARAMS[name]
        if isinstance(name, str) and name in STARTS:
            return name
        names = ", ".join(repr(start) for start in (*STARTS, *SKLEARN_INIT_PARAMS))
        raise ValueError(
            f"init_params must be one of {names}; got {name!r}. To start from given parameters,"
            " pass means_init (and weights_init, precisions_init)."
        )

    def _initial_params(self, X: np.ndarray, weights: np.ndarray, k: int, covariance_type: str) -> GMMParams:
        """The starting GMMParams built from weights_init, means_init and precisions_init."""
        d = X.shape[1]
        if self.means_init is None:
            raise ValueError(
                "means_init is required when weights_init or precisions_init is given: emlib builds"
                " a starting point from the means (uniform weights, and covariances of the"
                " nearest-mean assignment), not from weights or precisions alone"
            )
        means = _array(self.means_init, "means_init", (k, d))
        if self.weights_init is None:
            mixing = np.full(k, 1.0 / k)
        else:
            mixing = _array(self.weights_init, "weights_init", (k,))
            if np.any(mixing < 0):
                raise ValueError("weights_init must be non-negative")
            if abs(mixing.sum() - 1.0) > WEIGHT_SUM_TOLERANCE:
                raise ValueError(f"weights_init must sum to 1; it sums to {mixing.sum():.12g}")
        if self.precisions_init is not None:
            covariances = _covariances_from_precisions(self.precisions_init, covariance_type, k, d)
        else:
            covariances = self._nearest_mean_covariances(X, weights, means, covariance_type)
        return GMMParams(mixing, means, covariances)

    def _nearest_mean_covariances(self, X, weights, means, covariance_type) -> np.ndarray:
        """M-step covariances of the hard assignment of every row to its nearest mean.

        With missing entries (NaN): the distance over each row's observed entries, and the M-step
        on X with each missing entry replaced by its column's weighted mean.
        """
        if np.any(np.isnan(X)):
            distances = np.column_stack([np.nansum((X - mean) ** 2, axis=1) for mean in means])
            present = ~np.isnan(X) * weights[:, np.newaxis]
            X = np.where(np.isnan(X), np.nansum(present * np.nan_to_num(X), axis=0) / present.sum(axis=0), X)
        else:
            distances = np.column_stack([np.sum((X - mean) ** 2, axis=1) for mean in means])
        labels = np.argmin(distances, axis=1)
        assignments = np.zeros((X.shape[0], len(means)))
        assignments[np.arange(X.shape[0]), labels] = 1.0
        empty = np.flatnonzero(weights @ assignments <= 0)
        if empty.size:
            raise ValueError(
                f"means_init[{empty[0]}] is the nearest mean of no row of X (with positive"
                " sample_weight), so its starting covariance cannot be estimated; move it, or give"
                " precisions_init as well"
            )
        try:
            fitted = m_step(
                X, assignments, covariance_type=covariance_type, reg_covar=self.reg_covar, sample_weight=weights
            )
        except ValueError as error:
            raise ValueError(
                f"the starting covariances estimated from the rows nearest each of means_init are not"
                f" usable ({error}); give precisions_init, or a positive reg_covar"
            ) from error
        return np.array(fitted.covariances)

    # ------------------------------------------------------------------------------------------
    # fitting
    # ------------------------------------------------------------------------------------------
    def fit(self, X, y=None, sample_weight=None) -> GaussianMixture:
        """Fit the mixture to X by EM (:func:`emlib.fit_gmm`), keeping its EMResult as ``fit_result_``.

        With ``verbose > 0`` the progress of every run is printed while it runs (through
        fit_gmm's ``callback``). ``lower_bound_`` is the final objective per unit of sample weight.

        Parameters
        ----------
        X : array_like of shape (N, D), or a Dask array
            Training data (a dataframe's string column names are kept as ``feature_names_in_``). A
            Dask array is fitted block by block and never materialised (:func:`emlib.fit_gmm`'s
            blockwise path); :meth:`predict`, :meth:`predict_proba` and :meth:`score_samples` then
            accept a Dask array too and return one, computed lazily block by block.
        y : None
            Ignored; present for scikit-learn's API.
        sample_weight : array_like of shape (N,), optional
            Non-negative row weights with a positive sum (book eq. :eq:`soft-em-sample-weights`);
            integer weights are equivalent to repeating rows.

        Returns
        -------
        GaussianMixture
            This estimator, fitted.

        Warns
        -----
        emlib.ConvergenceWarning
            If the stopping rule was not met within ``max_iter`` iterations.
        emlib.DegenerateFitWarning
            If the fit has a degenerate component (see :func:`emlib.fit_gmm`).
        """
        if is_dask_array(X):
            return self._fit_blockwise(X, sample_weight)
        names = _feature_names(X)
        missing = check_missing(self.missing)
        X = _as_data(X, missing=missing)
        weights = check_sample_weight(None if sample_weight is None else np.asarray(sample_weight), X.shape[0])
        self._check_hyperparameters()
        n_components = check_count(self.n_components, "n_components", minimum=1)
        covariance_type = check_covariance_type(self.covariance_type)
        n_init = check_count(self.n_init, "n_init", minimum=1)
        warm = bool(self.warm_start) and self.__sklearn_is_fitted__()
        if warm:
            init = self.fit_result_.params
            if init.n_features != X.shape[1]:
                raise ValueError(
                    f"warm_start=True: X has {X.shape[1]} features, but the fit to continue has"
                    f" {init.n_features}; set warm_start=False to fit anew"
                )
            if init.n_components != n_components:
                raise ValueError(
                    f"warm_start=True: n_components is {n_components}, but the fit to continue has"
                    f" {init.n_components} components; set warm_start=False to fit anew"
                )
            n_init = 1
        elif any(value is not None for value in (self.weights_init, self.means_init, self.precisions_init)):
            if n_init != 1:
                raise ValueError(
                    f"n_init must be 1 when weights_init, means_init or precisions_init is given (every"
                    f" run would start from the same parameters); got {n_init}"
                )
            init = self._initial_params(X, weights, n_components, covariance_type)
        else:
            init = self._start_name()
        rng = _random_generator(self.random_state)
        total_weight = float(weights.sum())
        progress = self._progress(total_weight, warm) if self.verbose else None
        result = fit_gmm(
            X,
            n_components,
            covariance_type=covariance_type,
            init=init,
            max_iter=self.max_iter,
            tol=self.tol,
            reg_covar=self.reg_covar,
            n_init=n_init,
            random_state=rng,
            sample_weight=weights,
            callback=progress,
            prior=self.prior,
            stopping=self.stopping,
            missing=missing,
        )
        if progress is not None:
            progress.close(result)
        self._set_fitted(result, X.shape[1], names, total_weight)
        self._online = None  # a later partial_fit continues from these parameters with fresh statistics
        return self

    def _fit_blockwise(self, X, sample_weight) -> GaussianMixture:
        """:meth:`fit` on a Dask array: :func:`emlib.fit_gmm`'s blockwise path, the array never materialised.

        A warm start continues from the fitted parameters; ``weights_init``, ``means_init`` and
        ``precisions_init`` are refused (their starting covariances need the rows nearest each mean).
        """
        self._check_hyperparameters()
        if any(value is not None for value in (self.weights_init, self.means_init, self.precisions_init)):
            raise ValueError(
                "weights_init, means_init and precisions_init are not supported for a Dask array X; use"
                " warm_start=True after a fit, or emlib.fit_gmm(X, K, init=GMMParams(...))"
            )
        n_components = check_count(self.n_components, "n_components", minimum=1)
        warm = bool(self.warm_start) and self.__sklearn_is_fitted__()
        init = self.fit_result_.params if warm else self._start_name()
        result = fit_gmm(
            X,
            n_components,
            covariance_type=self.covariance_type,
            init=init,
            max_iter=self.max_iter,
            tol=self.tol,
            reg_covar=self.reg_covar,
            n_init=1 if warm else self.n_init,
            random_state=_random_generator(self.random_state),
            sample_weight=sample_weight,
            prior=self.prior,
            stopping=self.stopping,
            missing=self.missing,
        )
        total_weight = float(X.shape[0] if sample_weight is None else np.asarray(sample_weight.sum()))
        self._set_fitted(result, X.shape[1], None, total_weight)
        self._online = None
        return self

    def _lazily(self, X, method: str, columns: int | None):
        """``method`` of the fitted estimator on each block of rows of a Dask array, as a Dask array."""
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, but {type(self).__name__} is expecting {self.n_features_in_} features"
            )
        X = X.rechunk({1: -1})
        method = getattr(self, method)
        if columns is None:
            return X.map_blocks(method, drop_axis=1, dtype=float if method.__name__ == "score_samples" else np.intp)
        return X.map_blocks(method, chunks=(X.chunks[0], (columns,)), dtype=float)

    def partial_fit(self, X, y=None, sample_weight=None) -> GaussianMixture:
        """One step of online EM on a batch of rows (Cappé and Moulines 2009; ``emlib.variants.OnlineEM``).

        The estimator keeps running sufficient statistics s per unit weight. A batch's E-step at
        the current parameters gives its statistics ŝ; then s ← s + γ_t (ŝ − s) with
        γ_t = (t + ``learning_offset``)^(−``learning_decay``) (γ_1 = 1), and the M-step on s gives
        the new parameters (book chapter "Variants of EM"). The first call starts from the
        estimator's start on that batch (``init_params`` and ``n_init``, or ``means_init`` …), or
        from the parameters of an earlier :meth:`fit`. The default regulariser's data scale is that
        of the running statistics. A later :meth:`fit` starts anew and forgets the statistics.

        ``n_iter_`` counts the batches, ``lower_bound_`` is the last batch's mean log-likelihood
        at the parameters before its step (data the fit had not seen yet), and ``converged_`` is
        False: a stream has no stopping rule. ``fit_result_`` is an EMResult with
        ``method="online"`` whose histories hold those batch log-likelihoods. With
        ``missing="em"`` the batches must be complete (online EM does not marginalise NaN yet).

        Parameters
        ----------
        X : array_like of shape (n, D)
            A batch of rows (at least ``n_components`` on the first call).
        y : None
            Ignored.
        sample_weight : array_like of shape (n,), optional
            Non-negative row weights with a positive sum.

        Returns
        -------
        GaussianMixture
            This estimator, updated.
        """
        names = _feature_names(X)
        missing = check_missing(self.missing)
        if self.prior is not None:
            raise ValueError("partial_fit does not support the conjugate prior (prior=...); use fit")
        X = _as_data(X, missing=missing)
        if np.any(np.isnan(X)):
            raise ValueError(
                "X of partial_fit holds NaN: online EM does not yet marginalise missing entries; use fit with"
                " missing='em'"
            )
        weights = check_sample_weight(None if sample_weight is None else np.asarray(sample_weight), X.shape[0])
        online = getattr(self, "_online", None)
        if online is None:
            if self.__sklearn_is_fitted__():
                self._validate_X(X)
                start = self.fit_result_.params
            else:
                start = self._first_batch_start(X, weights)
            model = GaussianMixtureModel(check_covariance_type(self.covariance_type), self.reg_covar)
            online = OnlineEM(model, start, learning_decay=self.learning_decay, learning_offset=self.learning_offset)
        else:
            self._validate_X(X)
        online.update(X, weights)
        self._online = online
        result = EMResult(
            model=online.model,
            params=online.params,
            log_likelihoods=online.log_likelihoods,
            objectives=online.log_likelihoods,
            n_iter=online.n_batches,
            converged=False,
            posterior=None,
            method="online",
            n_evaluations=online.n_batches,
        )
        self._set_fitted(result, X.shape[1], names, 1.0)
        self._online = online
        return self

    def _first_batch_start(self, X: np.ndarray, weights: np.ndarray) -> GMMParams:
        """The start of :meth:`partial_fit`'s first call: this estimator's start on the first batch."""
        starting = type(self)(**{**self.get_params(), "max_iter": 0, "warm_start": False, "verbose": 0})
        return starting.fit(X, sample_weight=weights).fit_result_.params

    def _progress(self, total_weight: float, warm: bool) -> _Progress:
        """The verbose callback; ``max_iter``, ``tol`` and ``reg_covar`` are checked first, as fit_gmm does."""
        model = GaussianMixtureModel(reg_covar=self.reg_covar)  # validates reg_covar
        max_iter = check_count(self.max_iter, "max_iter", minimum=0)
        tol = check_nonnegative_real(self.tol, "tol")
        start = "warm start" if warm else self._start_name() if self.means_init is None else "means_init"
        monotone = model.objective_is_monotone()
        return _Progress(self.verbose, self.verbose_interval, total_weight, max_iter, tol, monotone, start)

    def _set_fitted(self, result: EMResult, n_features: int, names, total_weight: float) -> None:
        params = result.params
        covariances, precisions, precisions_cholesky = _sklearn_covariances(params, result.model.covariance_type)
        self.weights_ = _read_only(params.weights)
        self.means_ = _read_only(params.means)
        self.covariances_ = _read_only(covariances)
        self.precisions_ = _read_only(precisions)
        self.precisions_cholesky_ = _read_only(precisions_cholesky)
        self.converged_ = bool(result.converged)
        self.n_iter_ = int(result.n_iter)
        self.lower_bound_ = float(result.objectives[-1]) / total_weight
        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):  # refitted on data without names
            del self.feature_names_in_
        self.fit_result_ = result

    def fit_predict(self, X, y=None, sample_weight=None) -> np.ndarray:
        """Fit the mixture to X, then return the most probable component of each row.

        Equal to ``fit(X, sample_weight=sample_weight).predict(X)``.

        Parameters
        ----------
        X : array_like of shape (N, D)
            Training data.
        y : None
            Ignored.
        sample_weight : array_like of shape (N,), optional
            Non-negative row weights.

        Returns
        -------
        ndarray of shape (N,), int
            Labels in 0..K-1.
        """
        return self.fit(X, sample_weight=sample_weight).predict(X)

    # ------------------------------------------------------------------------------------------
    # predictions: the fitted EMResult's methods, i.e. the model's (emlib.MixtureModel), on X as
    # scikit-learn validates it
    # ------------------------------------------------------------------------------------------
    def predict(self, X) -> np.ndarray:
        """The most probable component of each row, argmax_k π_k N(x_n | μ_k, Σ_k).

        This is ``fit_result_.predict(X)``, the shared model code
        (:meth:`emlib.MixtureModel.predict`); on an exact tie the lowest index wins.

        Parameters
        ----------
        X : array_like of shape (N, D)
            Data.

        Returns
        -------
        ndarray of shape (N,), int
            Labels in 0..K-1.
        """
        result = self._check_fitted()
        if is_dask_array(X):  # lazily, block by block
            return self._lazily(X, "predict", None)
        return result.predict(self._validate_X(X))

    def predict_proba(self, X) -> np.ndarray:
        """Posterior probability γ(z_nk) of each component for each row (book eq. :eq:`soft-em-responsibilities`).

        This is ``fit_result_.predict_proba(X)``, the shared model code
        (:meth:`emlib.MixtureModel.predict_proba`, the E-step).

        Parameters
        ----------
        X : array_like of shape (N, D)
            Data.

        Returns
        -------
        ndarray of shape (N, K)
            Responsibilities γ(z_nk); each row sums to one.
        """
        result = self._check_fitted()
        if is_dask_array(X):  # lazily, block by block
            return self._lazily(X, "predict_proba", self.weights_.shape[0])
        return result.predict_proba(self._validate_X(X))

    def score_samples(self, X) -> np.ndarray:
        """Log-density log p(x_n | θ) = log Σ_k π_k N(x_n | μ_k, Σ_k) of each row.

        This is ``fit_result_.score_samples(X)``, the shared model code
        (:meth:`emlib.MixtureModel.score_samples`).

        Parameters
        ----------
        X : array_like of shape (N, D)
            Data.

        Returns
        -------
        ndarray of shape (N,)
        """
        result = self._check_fitted()
        if is_dask_array(X):  # lazily, block by block
            return self._lazily(X, "score_samples", None)
        return result.score_samples(self._validate_X(X))

    def score(self, X, y=None, sample_weight=None) -> float:
        """Mean log-likelihood per sample, Σ_n w_n log p(x_n | θ) / Σ_n w_n.

        The total is ``fit_result_.model.log_likelihood(X, fit_result_.params, sample_weight=...)``,
        the shared model code (:meth:`emlib.LatentVariableModel.log_likelihood`).

        Parameters
        ----------
        X : array_like of shape (N, D)
            Data.
        y : None
            Ignored.
        sample_weight : array_like of shape (N,), optional
            Non-negative row weights (default: all ones, the plain mean).

        Returns
        -------
        float
        """
        result = self._check_fitted()
        X = self._validate_X(X)
        weights = check_sample_weight(None if sample_weight is None else np.asarray(sample_weight), X.shape[0])
        return float(result.model.log_likelihood(X, result.params, sample_weight=weights) / weights.sum())

    def bic(self, X) -> float:
        """Bayesian information criterion on X, −2 ℓ(θ) + p log N (lower is better).

        This is ``fit_result_.bic(X)``, the shared model code (:meth:`emlib.LatentVariableModel.bic`);
        p counts the free parameters of the fitted covariance structure
        (``fit_result_.model.n_parameters(fit_result_.params)``, scikit-learn's count).

        Parameters
        ----------
        X : array_like of shape (N, D)
            Data.

        Returns
        -------
        float
            Lower is better.
        """
        result = self._check_fitted()
        return float(result.bic(self._validate_X(X)))

    def aic(self, X) -> float:
        """Akaike information criterion on X, −2 ℓ(θ) + 2 p (lower is better).

        This is ``fit_result_.aic(X)``, the shared model code (:meth:`emlib.LatentVariableModel.aic`).

        Parameters
        ----------
        X : array_like of shape (N, D)
            Data.

        Returns
        -------
        float
            Lower is better.
        """
        result = self._check_fitted()
        return float(result.aic(self._validate_X(X)))

    def sample(self, n_samples=1) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples from the fitted mixture.

        This is ``fit_result_.sample(n_samples, rng)``, the shared model code
        (:meth:`emlib.MixtureModel.sample`: z_n ~ Categorical(π), then x_n ~ N(μ_{z_n}, Σ_{z_n})).
        The generator comes from ``random_state`` as in scikit-learn: with an int seed every call
        returns the same sample; a Generator (or RandomState) is advanced; ``None`` draws fresh
        entropy. The rows come in random order (scikit-learn groups them by component).

        Parameters
        ----------
        n_samples : int, default 1
            Number of points, >= 1.

        Returns
        -------
        X : ndarray of shape (n_samples, D)
            The sample.
        labels : ndarray of shape (n_samples,), int
            The component of each point, in 0..K-1.
        """
        result = self._check_fitted()
        n_samples = check_count(n_samples, "n_samples", minimum=1)
        return result.sample(n_samples, _random_generator(self.random_state))
