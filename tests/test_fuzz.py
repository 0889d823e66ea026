"""Fuzz test (hypothesis) of every public emlib function.

Inputs of random shapes (0-D to 3-D, no rows, one row, fewer rows than components), dtypes
(float64, float32, integers, booleans, complex, objects, strings, nested and ragged lists),
scales (values times 10^e, e in -150..150, plus offsets up to 1e10) and contents (NaN, inf,
duplicated rows, constant columns, identical rows, outliers), with random parameters (valid:
Dirichlet weights, SPD covariances A Aᵀ + εI; invalid: negative or NaN weights, asymmetric or
indefinite covariances, wrong shapes), responsibilities, labels, sample weights and
hyperparameters.

The property, for every call: exactly one of

(a) a ValueError or TypeError (subclasses such as emlib.SingularCovarianceError count, but not
    numpy's LinAlgError or AxisError, which also subclass ValueError) with a non-empty message;
(b) a valid result: every float finite (except the documented infinities: elbo,
    complete_log_likelihood and expected_complete_log_likelihood are -inf, posterior_kl +inf,
    exactly when q, z or the posterior under params_old puts mass on a component of weight zero;
    and the objective of fit_em's own start under a prior may be -inf when its log-prior is below
    the range of float64), arrays of the documented shapes, responsibilities on the simplex,
    GMMParams with weights on the simplex and positive-definite covariances, fit results whose
    fields agree with each other, with the driver (method, EM-map evaluations, one-hot posterior
    for hard EM), with the callback's calls and with the trajectory.

Any other exception type, any warning other than emlib.ConvergenceWarning (and
DegenerateFitWarning) from the fitting functions (which is legitimate with a small max_iter), and
any change to an input array fails the test. A keyword argument drawn invalid (INVALID) must be
rejected, whatever the other arguments are.

Covered: GMMParams, component_log_densities, log_likelihood, e_step, m_step, fit_gmm (methods
"em", "hard" and "squarem", every covariance type, k-means++ or GMMParams start, callback,
trajectory), elbo, posterior_kl, complete_log_likelihood, expected_complete_log_likelihood (with
sample_weight), hard_assignments; emlib.gradient's log_likelihood_gradient, projection_matrix,
projected_gradient, em_map, em_map_jacobian, observed_information, complete_information,
convergence_rate, flatten_params, flatten_gradient, unflatten_params (the finite-difference ones
with D, K <= 2); fit_em with BinomialMixture and GaussianMixtureModel (every method, callback,
trajectory; the model's covariance_type, reg_covar and covariance_prior), the models' e_step,
log_likelihood and sample, the results' predict, score_samples, bic and sample,
BinomialMixtureParams; fit_em with GeneticLinkage (every method, "hard" refused), LinkageParams,
GeneticLinkage.maximum_likelihood and GeneticLinkage.information; fit_factor_analysis and fit_ppca
(every method, "hard" refused, both starts), ppca_maximum_likelihood, FactorParams and the
FactorAnalysisModel's log_likelihood and posterior; fit_hmm (every emission, lengths, "em", "hard"
and "squarem", "ecg" refused) with the fitted model's decode, HMMParams; fit_em with PoissonMixture,
PoissonMixtureParams and PoissonMixture.sample; datasets.sample_gmm and
datasets.old_faithful.

The tests at the end draw only valid input, which must be accepted; the known emlib issues that
the fuzzing found are tests there.
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import emlib
from emlib import gradient, hard_assignments

# --------------------------------------------------------------------------
# the two accepted outcomes
# --------------------------------------------------------------------------
REJECTED = object()
#: ValueError subclasses that are not an input check but a numerical failure leaking out.
LEAKED_ERRORS = (np.linalg.LinAlgError, np.exceptions.AxisError)


def outcome(function, *args, convergence_warning_ok=False, **kwargs):
    """Call ``function``; return its result, or REJECTED if it raised ValueError/TypeError.

    Every warning is an error here, except emlib.ConvergenceWarning when
    ``convergence_warning_ok`` (fit_gmm/fit_em with a small max_iter). Any exception other
    than ValueError/TypeError (and the numerical-failure subclasses in LEAKED_ERRORS)
    propagates and fails the test.
    """
    arrays = [
        value for value in (*args, *kwargs.values()) if isinstance(value, np.ndarray) and value.dtype.kind in "biufc"
    ]
    copies = [value.copy() for value in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if convergence_warning_ok:  # the fitting functions' own, documented warnings
            warnings.simplefilter("ignore", emlib.ConvergenceWarning)
            warnings.simplefilter("ignore", emlib.DegenerateFitWarning)
        try:
            return function(*args, **kwargs)
        except LEAKED_ERRORS:
            raise
        except (ValueError, TypeError) as error:
            message = error.args[0] if error.args else None
            assert isinstance(message, str) and message.strip(), (
                f"{type(error).__name__} raised by {function.__qualname__} without a message: {error!r}"
            )
            outcome.error = error
            return REJECTED
        finally:
            for value, copy in zip(arrays, copies):
                assert np.array_equal(value, copy, equal_nan=value.dtype.kind in "fc"), (
                    f"{function.__qualname__} changed its input"
                )


# --------------------------------------------------------------------------
# validity of results
# --------------------------------------------------------------------------
def check_finite(value, shape, name):
    array = np.asarray(value)
    assert array.shape == shape, f"{name} has shape {array.shape}, expected {shape}"
    assert array.dtype.kind == "f", f"{name} has dtype {array.dtype}, expected float"
    assert np.all(np.isfinite(array)), f"{name} has non-finite entries: {array}"
    return array


def check_simplex_rows(value, n, k, name):
    rows = check_finite(value, (n, k), name)
    assert np.all(rows >= 0), f"{name} has negative entries: {rows}"
    assert np.allclose(rows.sum(axis=1), 1.0, rtol=0.0, atol=1e-9), f"{name} rows do not sum to 1: {rows.sum(axis=1)}"
    return rows


def check_simplex(value, k, name):
    weights = check_finite(value, (k,), name)
    assert np.all(weights >= 0), f"{name} has negative entries: {weights}"
    assert abs(weights.sum() - 1.0) <= 1e-9, f"{name} sums to {weights.sum()!r}"
    return weights


def check_real(value, name):
    assert isinstance(value, float), f"{name} is a {type(value).__name__}, expected float"
    assert math.isfinite(value), f"{name} is {value}"


def check_gmm_params(params, k=None, d=None, covariance_type=None):
    assert isinstance(params, emlib.GMMParams), f"expected GMMParams, got {type(params).__name__}"
    K, D = params.n_components, params.n_features
    assert isinstance(K, int) and isinstance(D, int) and K >= 1 and D >= 1, (K, D)
    assert k is None or K == k, f"{K} components, expected {k}"
    assert d is None or D == d, f"{D} features, expected {d}"
    check_simplex(params.weights, K, "weights")
    check_finite(params.means, (K, D), "means")
    covariances = check_finite(params.covariances, (K, D, D), "covariances")
    assert np.array_equal(covariances, np.swapaxes(covariances, 1, 2)), "covariances are not symmetric"
    for index, matrix in enumerate(covariances):
        try:
            np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:  # pragma: no cover - only on a bug
            raise AssertionError(f"covariances[{index}] is not positive definite: {matrix}") from None
    check_finite(params.covariance_cholesky, (K, D, D), "covariance_cholesky")
    check_finite(params.precision_cholesky, (K, D, D), "precision_cholesky")
    if covariance_type is not None:
        check_structure(covariances[params.weights > 0] if covariance_type != "tied" else covariances, covariance_type)


def check_structure(covariances, covariance_type):
    """The structure the M-step imposes (the result always stores full matrices).

    In an EM loop a component that lost every point keeps its previous covariance with weight 0
    (for "tied", the shared one): callers pass only the components of positive weight, except
    for "tied".
    """
    off_diagonal = covariances * (1.0 - np.eye(covariances.shape[1]))
    if covariance_type in ("diag", "spherical"):
        assert not np.any(off_diagonal), f"{covariance_type} covariances with off-diagonal entries: {covariances}"
    if covariance_type == "spherical":
        diagonals = np.diagonal(covariances, axis1=1, axis2=2)
        assert np.all(diagonals == diagonals[:, :1]), f"spherical covariances with unequal variances: {diagonals}"
    if covariance_type == "tied":
        assert np.all(covariances == covariances[0]), "tied covariances differ between components"


def check_binomial_params(params, k=None):
    assert isinstance(params, emlib.BinomialMixtureParams), type(params).__name__
    K = params.n_components
    assert k is None or K == k
    check_simplex(params.weights, K, "weights")
    probabilities = check_finite(params.probabilities, (K,), "probabilities")
    assert np.all((probabilities >= 0) & (probabilities <= 1)), probabilities


def check_history(log_likelihoods, n_iter, max_iter, converged):
    assert isinstance(n_iter, int) and 0 <= n_iter <= max_iter, (n_iter, max_iter)
    assert isinstance(converged, (bool, np.bool_)), type(converged)
    check_finite(log_likelihoods, (n_iter + 1,), "log_likelihoods")


def check_evaluations(result):
    """EM and hard EM evaluate the EM map once per iteration, SQUAREM two or three times."""
    assert isinstance(result.n_evaluations, int), type(result.n_evaluations)
    if result.method == "squarem":
        assert 2 * result.n_iter <= result.n_evaluations <= 4 * result.n_iter, (result.n_iter, result.n_evaluations)
    else:
        assert result.n_evaluations == result.n_iter, (result.n_iter, result.n_evaluations)


def check_regularisation(model, reg_covar, d):
    """A fit's model holds the regularisation used: the reg_covar given, or (None) the prior Ψ in X's units."""
    assert isinstance(model, emlib.GaussianMixtureModel), type(model).__name__
    if reg_covar is None:
        assert model.reg_covar is None, model.reg_covar
        prior = check_finite(model.covariance_prior, (d, d), "covariance_prior")
        assert np.array_equal(prior, prior.T), "covariance_prior is not symmetric"
        try:
            np.linalg.cholesky(prior)
        except np.linalg.LinAlgError:  # pragma: no cover - only on a bug
            raise AssertionError(f"covariance_prior is not positive definite: {prior}") from None
    else:
        check_real(model.reg_covar, "reg_covar")
        assert model.reg_covar == float(reg_covar) >= 0, (model.reg_covar, reg_covar)
        assert model.covariance_prior is None, "covariance_prior set with an absolute reg_covar"


class Recorder:
    """A callback for fit_gmm and fit_em that keeps what it was called with."""

    def __init__(self):
        self.calls = []

    def __call__(self, iteration, params, log_likelihood, objective):
        self.calls.append((iteration, params, log_likelihood, objective))

    def __repr__(self) -> str:
        return "Recorder()"


def same_params(actual, expected) -> bool:
    """Parameter objects of one type whose arrays are equal, field by field."""
    fields = [field.name for field in dataclasses.fields(expected) if field.init]
    return type(actual) is type(expected) and all(
        np.array_equal(getattr(actual, name), getattr(expected, name)) for name in fields
    )


def check_em_result(result, method, max_iter, n, k, callback=None, trajectory=False, runs=1, prior_of_start=False):
    """An EMResult whose fields agree with each other, with the driver, and with what the callback saw.

    ``runs``: how many runs called the callback (fit_gmm's n_init); with one, the callback saw
    exactly the returned history. ``prior_of_start``: the start was the caller's, under a prior
    (fit_em of a GaussianMixtureModel): its log-prior −½ tr(Ψ Σ⁻¹) may be below the range of
    float64 (a covariance far smaller than Ψ), and its objective −inf; every iterate after it is
    an M-step's, whose objective is finite.
    """
    assert isinstance(result, emlib.EMResult), type(result).__name__
    assert result.method == method, (result.method, method)
    check_history(result.log_likelihoods, result.n_iter, max_iter, result.converged)
    objectives = np.asarray(result.objectives)
    assert objectives.shape == result.log_likelihoods.shape and objectives.dtype.kind == "f", objectives
    if prior_of_start and objectives[0] == -math.inf:
        objectives = objectives[1:]
    check_finite(objectives, objectives.shape, "objectives")
    check_evaluations(result)
    posterior = check_simplex_rows(result.posterior, n, k, "posterior")
    if method == "hard":
        assert np.all((posterior == 0) | (posterior == 1)), "hard EM posterior is not one-hot"
    if trajectory:
        assert isinstance(result.trajectory, tuple) and len(result.trajectory) == result.n_iter + 1, result.trajectory
        assert same_params(result.trajectory[-1], result.params), "the trajectory does not end at params"
    else:
        assert result.trajectory is None, "a trajectory that was not asked for"
    if isinstance(callback, Recorder):
        iterations = [call[0] for call in callback.calls]
        assert all(isinstance(iteration, int) for iteration in iterations), iterations
        if runs == 1:
            assert iterations == list(range(result.n_iter + 1)), (iterations, result.n_iter)
            assert [call[2] for call in callback.calls] == result.log_likelihoods.tolist()
            assert [call[3] for call in callback.calls] == result.objectives.tolist()
            assert same_params(callback.calls[-1][1], result.params), "the callback's last params are not params"
        else:
            assert iterations.count(0) == runs, (iterations, runs)
    assert isinstance(repr(result), str)


def check_labels_of(labels, n, params):
    """Labels of n rows, each a component of positive weight of ``params``."""
    assert isinstance(labels, np.ndarray) and labels.shape == (n,) and labels.dtype.kind in "iu", labels
    assert np.all((labels >= 0) & (labels < params.n_components)), labels
    assert np.all(params.weights[labels] > 0), "a row was given a component of weight zero"


# --------------------------------------------------------------------------
# strategies: data
# --------------------------------------------------------------------------
SEEDS = st.integers(0, 2**32 - 1)
EXPONENTS = st.one_of(st.just(0), st.integers(-150, 150))
OFFSETS = st.one_of(
    st.just(0.0),
    st.sampled_from([1.0, -3.5, 1e4, 1e10, -1e10]),
    st.floats(-1e10, 1e10, allow_nan=False, allow_infinity=False),
)
EDITS = ["non-finite", "constant column", "identical rows", "duplicated rows", "outliers"]


def quietly():
    """numpy error state for building inputs (overflow to inf, NaN casts are intended there)."""
    return np.errstate(all="ignore")


@dataclass
class Data:
    """A float64 (N, D) array (possibly with NaN/inf) and the scale and offset it was made at."""

    X: np.ndarray
    scale: float
    offset: float

    @property
    def finite(self) -> bool:
        return self.X.size > 0 and bool(np.all(np.isfinite(self.X)))


@st.composite
def real_data(draw, n=None, d=None, max_rows=40, max_features=4):
    n = draw(st.integers(0, max_rows)) if n is None else n
    d = draw(st.integers(1, max_features)) if d is None else d
    source = draw(st.sampled_from(["clusters", "elements", "small integers"]))
    if source == "clusters":
        rng = np.random.default_rng(draw(SEEDS))
        k = int(rng.integers(1, 4))
        centres = rng.normal(0.0, 5.0, size=(k, d))
        X = centres[rng.integers(0, k, size=n)] + rng.normal(size=(n, d)) * rng.uniform(0.1, 2.0, size=d)
    elif source == "elements":
        X = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-1e3, 1e3, allow_nan=False)))
    else:
        X = draw(hnp.arrays(np.int64, (n, d), elements=st.integers(-3, 3))).astype(np.float64)
    scale = 10.0 ** draw(EXPONENTS)
    offset = draw(OFFSETS)
    with quietly():
        X = X * scale + offset
        for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
            edit = draw(st.sampled_from(EDITS))
            if n == 0:
                break
            row, column = draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))
            if edit == "non-finite":
                X[row, column] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
            elif edit == "constant column":
                X[:, column] = X[row, column]
            elif edit == "identical rows":
                X[:] = X[row]
            elif edit == "duplicated rows":
                X[draw(st.lists(st.integers(0, n - 1), max_size=n))] = X[row]
            else:  # huge values, in some rows
                rows = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
                sign, exponent = draw(st.sampled_from([1.0, -1.0])), draw(st.integers(20, 308))
                X[rows, column] = sign * draw(st.sampled_from([1.0, 1.7])) * 10.0**exponent
    return Data(X, scale, offset)


VALID_X_FORMS = ["float64", "float64", "float32", "int64", "uint8", "list", "fortran", "strided view", "read-only"]
INVALID_X_FORMS = ["bool", "complex", "object", "strings", "ragged list", "0-D", "1-D", "3-D", "None"]


@st.composite
def container(draw, X):
    """X (a float64 2-D array) in one of many forms: four times in five an accepted one."""
    invalid = draw(st.integers(0, 4)) == 4
    form = draw(st.sampled_from(INVALID_X_FORMS if invalid else VALID_X_FORMS))
    with quietly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if form == "float64":
            return X
        if form == "float32":
            return X.astype(np.float32)
        if form == "int64":
            return np.nan_to_num(np.round(X)).clip(-(2**62), 2**62).astype(np.int64)
        if form == "uint8":
            return np.nan_to_num(np.round(X)).clip(0, 255).astype(np.uint8)
        if form == "list":
            return X.tolist()
        if form == "fortran":
            return np.asfortranarray(X)
        if form == "strided view":
            return np.repeat(X, 2, axis=0)[::2]
        if form == "read-only":
            X = X.copy()
            X.flags.writeable = False
            return X
        if form == "bool":
            return X != 0
        if form == "complex":
            return X + 0j
        if form == "object":
            return X.astype(object)
        if form == "strings":
            return X.astype(str)
        if form == "ragged list":
            rows = X.tolist()
            if rows:
                rows[-1] = rows[-1][:-1] if len(rows[-1]) > 1 else rows[-1] + [1.0]
            return rows
        if form == "0-D":
            return X.flat[0] if X.size else np.float64(1.0)
        if form == "1-D":
            return X.ravel()
        if form == "3-D":
            return X[np.newaxis] if draw(st.booleans()) else X[:, :, np.newaxis]
        return None


# --------------------------------------------------------------------------
# strategies: parameters
# --------------------------------------------------------------------------
PARAM_CORRUPTIONS = [
    "negative weight", "NaN weight", "weights sum to 1.1", "weights off by 1e-9", "no weights",
    "asymmetric covariance", "asymmetric by 1e-13", "indefinite covariance", "negated covariance",
    "zero covariance", "NaN mean", "inf covariance", "means with K+1 rows", "covariances with D+1",
    "2-D covariances", "1-D means", "2-D weights", "complex weights", "object covariances",
    "lists", "bool means",
]  # fmt: skip


@dataclass
class RawParams:
    weights: object
    means: object
    covariances: object
    corruption: str | None


@st.composite
def raw_params(draw, k, d, data=None, corruption_rate=6):
    """weights, means and covariances at a scale matching ``data``: valid, or (one time in
    ``corruption_rate``) changed in one way, usually to something invalid."""
    rng = np.random.default_rng(draw(SEEDS))
    scale = data.scale if data is not None else 1.0
    offset = data.offset if data is not None else 0.0

    mode = draw(st.sampled_from(["dirichlet", "uniform", "zeros", "tiny", "hypothesis"]))
    if mode == "uniform":
        weights = np.full(k, 1.0 / k)
    elif mode == "hypothesis":
        weights = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k)))
        weights = weights / weights.sum() if weights.sum() > 0 else np.full(k, 1.0 / k)
    else:
        weights = rng.dirichlet(np.full(k, draw(st.sampled_from([1.0, 0.05, 10.0]))))
        if mode == "zeros" and k > 1:
            weights[rng.permutation(k)[: int(rng.integers(1, k))]] = 0.0
            weights = weights / weights.sum() if weights.sum() > 0 else np.eye(k)[0]
        elif mode == "tiny" and k > 1:
            tiny = 10.0 ** -draw(st.integers(1, 323))
            weights = (1.0 - tiny) * np.append(rng.dirichlet(np.ones(k - 1)), 0.0) + tiny * np.eye(k)[-1]

    with quietly():
        spread = scale * 10.0 ** draw(st.integers(-2, 2))
        if data is not None and data.finite and data.X.shape[1] == d and draw(st.booleans()):
            means = data.X[rng.integers(0, data.X.shape[0], size=k)] + 0.1 * spread * rng.normal(size=(k, d))
        else:
            means = 3.0 * spread * rng.normal(size=(k, d)) + offset

        cov_mode = draw(st.sampled_from(["matched", "matched", "mismatched", "borderline"]))
        if cov_mode == "matched":
            cov_scale = scale * 10.0 ** draw(st.integers(-2, 2))
        elif cov_mode == "mismatched":
            cov_scale = 10.0 ** draw(EXPONENTS)
        else:  # squared Mahalanobis distances near the float64 limit
            cov_scale = scale * 10.0 ** -draw(st.integers(150, 156))
        ridge = draw(st.sampled_from([0.0, 1e-300, 1e-16, 1e-8, 1.0]))
        structure = draw(st.sampled_from(["full", "diag", "spherical", "tied"]))

        def full():  # rank-deficient A (singular without the ridge) one time in four
            rank = int(rng.integers(1, d + 1)) if rng.random() < 0.25 else d
            factor = cov_scale * rng.normal(size=(d, rank))
            return factor @ factor.T + ridge * cov_scale**2 * np.eye(d)

        if structure == "full":
            covariances = np.stack([full() for _ in range(k)])
        elif structure == "diag":
            covariances = np.stack([np.diag(cov_scale**2 * (rng.gamma(1.0, size=d) + ridge)) for _ in range(k)])
        elif structure == "spherical":
            covariances = (cov_scale**2 * (rng.gamma(1.0, size=k) + ridge))[:, None, None] * np.eye(d)
        else:
            covariances = np.repeat(full()[np.newaxis], k, axis=0)

    corrupt = draw(st.integers(0, corruption_rate - 1)) == corruption_rate - 1
    corruption = draw(st.sampled_from(PARAM_CORRUPTIONS)) if corrupt else None
    weights, means, covariances = weights.copy(), means.copy(), covariances.copy()
    j = draw(st.integers(0, k - 1))
    if corruption == "negative weight":
        weights[j] = -0.25
    elif corruption == "NaN weight":
        weights[j] = np.nan
    elif corruption == "weights sum to 1.1":
        weights = weights * 1.1
    elif corruption == "weights off by 1e-9":  # within the documented tolerance: accepted
        weights = weights * (1 + 1e-9)
    elif corruption == "no weights":
        weights = weights[:0]
    elif corruption == "asymmetric covariance" and d > 1:
        covariances[j, 0, 1] += 0.5 * abs(covariances[j, 0, 0]) + 1.0
    elif corruption == "asymmetric by 1e-13" and d > 1:  # within tolerance: symmetrised
        covariances[j, 0, 1] *= 1 + 1e-13
    elif corruption == "indefinite covariance":
        covariances[j, -1, -1] = -covariances[j, -1, -1]
    elif corruption == "negated covariance":
        covariances[j] = -covariances[j]
    elif corruption == "zero covariance":
        covariances[j] = 0.0
    elif corruption == "NaN mean":
        means[j, 0] = np.nan
    elif corruption == "inf covariance":
        covariances[j, 0, 0] = np.inf
    elif corruption == "means with K+1 rows":
        means = np.vstack([means, means[:1]])
    elif corruption == "covariances with D+1":
        covariances = np.tile(np.eye(d + 1), (k, 1, 1))
    elif corruption == "2-D covariances":
        covariances = covariances[0]
    elif corruption == "1-D means":
        means = means.ravel()
    elif corruption == "2-D weights":
        weights = weights[np.newaxis]
    elif corruption == "complex weights":
        weights = weights + 0j
    elif corruption == "object covariances":
        covariances = covariances.astype(object)
    elif corruption == "lists":  # valid, as nested lists
        weights, means, covariances = weights.tolist(), means.tolist(), covariances.tolist()
    elif corruption == "bool means":
        means = means > 0
    return RawParams(weights, means, covariances, corruption)


def make_params(raw: RawParams, k=None, d=None):
    """GMMParams(raw) -- itself fuzzed: valid or rejected. If rejected, returns the raw tuple,
    which every function must then reject with a TypeError (it is not a GMMParams)."""
    params = outcome(emlib.GMMParams, raw.weights, raw.means, raw.covariances)
    if params is REJECTED:
        return (raw.weights, raw.means, raw.covariances)
    check_gmm_params(params, k=k, d=d)
    return params


@st.composite
def gmm_case(draw, max_rows=40, max_features=4, max_components=5):
    """Data X (in some form) and parameters (usually with X's dimension)."""
    data = draw(real_data(max_rows=max_rows, max_features=max_features))
    n, d = data.X.shape
    k = draw(st.integers(1, max_components))
    d_params = draw(st.sampled_from([d] * 8 + [d + 1, max(d - 1, 1)]))
    raw = draw(raw_params(k, d_params, data))
    return data, draw(container(data.X)), raw


# --------------------------------------------------------------------------
# strategies: the other arguments
# --------------------------------------------------------------------------
@st.composite
def sample_weights(draw, n):
    mode = draw(st.sampled_from([
        "None", "None", "None", "ones", "uniform", "integers", "some zeros", "all zeros", "negative",
        "NaN", "inf", "too long", "too short", "2-D", "bool", "list", "scaled",
    ]))  # fmt: skip
    rng = np.random.default_rng(draw(SEEDS))
    if mode == "None":
        return None
    if mode == "ones":
        return np.ones(n)
    if mode == "uniform":
        return rng.uniform(0.0, 3.0, size=n)
    if mode == "integers":
        return rng.integers(0, 4, size=n)
    if mode == "some zeros":
        weights = rng.uniform(0.5, 2.0, size=n)
        weights[rng.random(n) < 0.5] = 0.0
        return weights
    if mode == "all zeros":
        return np.zeros(n)
    if mode == "negative":
        return rng.uniform(-1.0, 1.0, size=n)
    if mode in ("NaN", "inf"):
        weights = np.ones(n)
        if n:
            weights[rng.integers(0, n)] = float(mode.lower())
        return weights
    if mode == "too long":
        return np.ones(n + 1)
    if mode == "too short":
        return np.ones(max(n - 1, 0))
    if mode == "2-D":
        return np.ones((n, 1))
    if mode == "bool":
        return np.ones(n, dtype=bool)
    if mode == "list":
        return [1.0] * n
    return rng.uniform(0.5, 2.0, size=n) * 10.0 ** draw(EXPONENTS)


@st.composite
def simplex_rows(draw, n, k):
    """(N, K) responsibilities: valid (Dirichlet, one-hot, with zeros) or invalid."""
    mode = draw(st.sampled_from([
        "dirichlet", "dirichlet", "one-hot", "zeros", "uniform", "hypothesis", "off by 1e-7",
        "negative", "NaN", "rows sum to 0.9", "wrong N", "wrong K", "no columns", "1-D", "bool", "list",
    ]))  # fmt: skip
    rng = np.random.default_rng(draw(SEEDS))
    rows = rng.dirichlet(np.full(k, draw(st.sampled_from([1.0, 0.1, 10.0]))), size=n)
    if mode == "one-hot":
        rows = np.eye(k)[rng.integers(0, k, size=n)]
    elif mode == "zeros" and k > 1:
        rows[:, rng.integers(0, k)] = 0.0
        rows = rows / rows.sum(axis=1, keepdims=True)
        rows[~np.isfinite(rows)] = 1.0 / k  # (a row that was all zeros)
        rows = rows / rows.sum(axis=1, keepdims=True)
    elif mode == "uniform":
        rows = np.full((n, k), 1.0 / k)
    elif mode == "hypothesis":
        values = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(0.0, 1.0)))
        totals = values.sum(axis=1, keepdims=True)
        rows = np.where(totals > 0, values / np.where(totals > 0, totals, 1.0), 1.0 / k)
    elif mode == "off by 1e-7":  # within check_responsibilities' tolerance (1e-6)
        rows = rows * (1 + 1e-7)
    elif mode == "negative" and n:
        rows[0, 0] = -0.5
    elif mode == "NaN" and n:
        rows[0, 0] = np.nan
    elif mode == "rows sum to 0.9":
        rows = 0.9 * rows
    elif mode == "wrong N":
        rows = np.vstack([rows, rows[:1] if n else np.full((1, k), 1.0 / k)])
    elif mode == "wrong K":  # an extra, empty column (valid rows), or one column fewer (invalid rows)
        rows = np.hstack([rows, np.zeros((n, 1))]) if k == 1 or draw(st.booleans()) else rows[:, 1:]
    elif mode == "no columns":
        rows = np.zeros((n, 0))
    elif mode == "1-D":
        rows = rows[:, 0]
    elif mode == "bool":
        rows = rows > 0.5
    elif mode == "list":
        rows = rows.tolist()
    return rows


@st.composite
def hard_labels(draw, n, k):
    mode = draw(st.sampled_from([
        "valid", "valid", "valid", "list", "uint8", "too large", "negative", "float", "bool", "wrong N", "2-D",
    ]))  # fmt: skip
    rng = np.random.default_rng(draw(SEEDS))
    z = rng.integers(0, k, size=n)
    if mode == "list":
        return z.tolist()
    if mode == "uint8":
        return z.astype(np.uint8)
    if mode == "too large" and n:
        z[0] = k
    elif mode == "negative" and n:
        z[0] = -1
    elif mode == "float":
        return z.astype(float)
    elif mode == "bool":
        return z > 0
    elif mode == "wrong N":
        return np.append(z, 0)
    elif mode == "2-D":
        return z[:, np.newaxis]
    return z


@st.composite
def keyword_arguments(draw, valid, invalid, broken_rate=4):
    """Keyword arguments drawn from ``valid``; one time in ``broken_rate``, exactly one of them
    drawn from ``invalid`` instead (so that most calls get past the argument checks).

    Every INVALID value is invalid whatever the other arguments are, so a call with a broken
    argument must be rejected: its name is ``kwargs.broken`` (None if every argument is valid).
    """
    broken = None
    if draw(st.integers(0, broken_rate - 1)) == broken_rate - 1:
        broken = draw(st.sampled_from(sorted(invalid)))
    kwargs = Drawn(
        {name: draw(invalid[name] if name == broken else strategy, label=name) for name, strategy in valid.items()}
    )
    kwargs.broken = broken
    return kwargs


class Drawn(dict):
    """Keyword arguments, and the name of the one drawn invalid (``broken``), if any."""

    broken: str | None = None


def check_rejected_if_broken(result, kwargs):
    """A call with an invalid keyword argument was rejected."""
    if kwargs.broken is not None:
        assert result is REJECTED, f"{kwargs.broken}={kwargs.get(kwargs.broken)!r} was accepted"


VALID = {
    "covariance_type": st.sampled_from(["full", "diag", "spherical", "tied"]),
    "tol": st.sampled_from([1e-6, 1e-3, 0.0, 1.0, 1e300, 1e-12, 0, np.float32(1e-4)]),
    "reg_covar": st.one_of(
        st.sampled_from([None, 1e-6, 1e-3, 0.0, 1.0, 1e10, 0, np.float64(1e-6)]), st.floats(0.0, 1.0)
    ),
    "max_iter": st.one_of(st.integers(0, 20), st.just(np.int64(3))),
    "n_init": st.sampled_from([1, 2]),
    "random_state": st.one_of(SEEDS, SEEDS.map(np.random.default_rng)),
    "method": st.sampled_from(["em", "hard", "squarem"]),
    "callback": st.one_of(st.none(), st.builds(Recorder)),
    "trajectory": st.booleans(),  # coerced by bool: no invalid value
}
INVALID = {
    "covariance_type": st.sampled_from(["FULL", "", None, 0, ("full",)]),
    "tol": st.sampled_from([-1.0, math.nan, math.inf, True, "1e-3", None]),
    "reg_covar": st.sampled_from([-1e-6, math.nan, math.inf, True, "1e-6"]),
    "max_iter": st.sampled_from([-1, True, 2.0, "5", None]),
    "n_init": st.sampled_from([0, -1, True, 1.0]),
    "random_state": st.sampled_from([-1, "seed", 1.5]),
    "method": st.sampled_from(["soft", "Soft", "SQUAREM", None, True]),  # "soft": the name before 0.2.0
    "callback": st.sampled_from(["print", True, 1]),
}


def pick(names, **overrides):
    """The VALID and INVALID strategies of ``names`` (``overrides``: name -> (valid, invalid)).

    A name without an INVALID strategy (or with an invalid of None) is never the broken one.
    """
    valid = {name: VALID[name] for name in names}
    invalid = {name: INVALID[name] for name in names if name in INVALID}
    for name, (good, bad) in overrides.items():
        valid[name] = good
        if bad is None:
            invalid.pop(name, None)
        else:
            invalid[name] = bad
    return valid, invalid


def max_iter_of(value):
    return int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else None


# --------------------------------------------------------------------------
# GMMParams
# --------------------------------------------------------------------------
@st.composite
def params_case(draw):
    data = draw(real_data(max_rows=3))
    k, d = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    return draw(raw_params(k, d, data, corruption_rate=2)), k, d


@settings(max_examples=300)
@given(case=params_case())
def test_gmm_params(case):
    raw, k, d = case
    params = outcome(emlib.GMMParams, raw.weights, raw.means, raw.covariances)
    if params is not REJECTED:
        check_gmm_params(params)
    if raw.corruption in (None, "weights off by 1e-9", "asymmetric by 1e-13", "lists") and params is not REJECTED:
        check_gmm_params(params, k=k, d=d)


# --------------------------------------------------------------------------
# densities, log-likelihood, E-step
# --------------------------------------------------------------------------
@settings(max_examples=300)
@given(case=gmm_case())
def test_component_log_densities(case):
    base, X, raw = case
    params = make_params(raw)
    result = outcome(emlib.component_log_densities, X, params)
    if result is not REJECTED:
        check_finite(result, (base.X.shape[0], params.n_components), "component_log_densities")


@settings(max_examples=500)
@given(case=gmm_case(), data=st.data())
def test_log_likelihood(case, data):
    base, X, raw = case
    params = make_params(raw)
    sample_weight = data.draw(sample_weights(base.X.shape[0]), label="sample_weight")
    result = outcome(emlib.log_likelihood, X, params, sample_weight=sample_weight)
    if result is not REJECTED:
        check_real(result, "log_likelihood")


@settings(max_examples=300)
@given(case=gmm_case())
def test_e_step(case):
    base, X, raw = case
    params = make_params(raw)
    result = outcome(emlib.e_step, X, params)
    if result is not REJECTED:
        rows = check_simplex_rows(result, base.X.shape[0], params.n_components, "responsibilities")
        assert np.all(rows[:, params.weights == 0] == 0), "a component of weight zero has responsibility"


# --------------------------------------------------------------------------
# M-step
# --------------------------------------------------------------------------
@settings(max_examples=500)
@given(data_=real_data(), k=st.integers(1, 5), data=st.data())
def test_m_step(data_, k, data):
    n, d = data_.X.shape
    X = data.draw(container(data_.X), label="X")
    responsibilities = data.draw(simplex_rows(n, k), label="responsibilities")
    reg_covar = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1e-6, 1.0, 1e-6 * data_.scale**2]))
    kwargs = data.draw(keyword_arguments(*pick(["covariance_type"], reg_covar=(reg_covar, INVALID["reg_covar"]))))
    sample_weight = data.draw(sample_weights(n), label="sample_weight")
    result = outcome(emlib.m_step, X, responsibilities, sample_weight=sample_weight, **kwargs)
    check_rejected_if_broken(result, kwargs)
    if result is not REJECTED:
        check_gmm_params(result, k=np.shape(responsibilities)[1], d=d, covariance_type=kwargs["covariance_type"])


# --------------------------------------------------------------------------
# fit_gmm: soft and hard, with and without SQUAREM, every covariance type
# --------------------------------------------------------------------------
@settings(max_examples=700)
@given(case=gmm_case(max_components=4), data=st.data())
def test_fit_gmm(case, data):
    base, X, raw = case
    n, d = base.X.shape
    draw = data.draw
    params = make_params(raw)
    valid_k = st.integers(1, max(1, min(n, 4)))
    if isinstance(params, emlib.GMMParams):
        valid_k = st.one_of(valid_k, st.just(params.n_components))
    bad_k = st.one_of(st.integers(-2, 0), st.integers(n + 1, n + 3), st.sampled_from([True, 2.0, 2.5, None, "2"]))
    valid_init = st.sampled_from([*emlib.starts.STARTS] + ([params] if isinstance(params, emlib.GMMParams) else []))
    kwargs = draw(
        keyword_arguments(
            *pick(
                ["covariance_type", "max_iter", "tol", "n_init", "random_state", "method", "callback", "trajectory"],
                n_components=(st.one_of(valid_k, valid_k.map(np.int64)), bad_k),
                init=(valid_init, st.sampled_from(["kmeans", "K-means++", None, raw])),
                reg_covar=(st.one_of(VALID["reg_covar"], st.just(1e-6 * base.scale**2)), INVALID["reg_covar"]),
            ),
            broken_rate=3,
        )
    )
    sample_weight = draw(sample_weights(n), label="sample_weight")
    fit = outcome(emlib.fit_gmm, X, sample_weight=sample_weight, convergence_warning_ok=True, **kwargs)
    check_rejected_if_broken(fit, kwargs)
    if fit is REJECTED:
        return
    init, covariance_type = kwargs["init"], kwargs["covariance_type"]
    k = int(kwargs["n_components"])
    structured = isinstance(init, str) or fit.n_iter > 0
    check_gmm_params(fit.params, k=k, d=d, covariance_type=covariance_type if structured else None)
    runs = 1 if isinstance(init, emlib.GMMParams) else int(kwargs["n_init"])
    check_em_result(
        fit, kwargs["method"], max_iter_of(kwargs["max_iter"]), n, k, kwargs["callback"], kwargs["trajectory"], runs
    )
    check_regularisation(fit.model, kwargs["reg_covar"], d)
    assert fit.model.covariance_type == covariance_type
    assert fit.degenerate.shape == (k,) and fit.degenerate.dtype == bool


# --------------------------------------------------------------------------
# the bound: elbo, posterior_kl, complete_log_likelihood
# --------------------------------------------------------------------------
def with_components(case, data):
    """(base, X, params, K) of a gmm_case; K is drawn when params is not a GMMParams (fuzzed type)."""
    base, X, raw = case
    params = make_params(raw)
    k = params.n_components if isinstance(params, emlib.GMMParams) else data.draw(st.integers(1, 5))
    return base, X, params, k


@settings(max_examples=400)
@given(case=gmm_case(), data=st.data())
def test_elbo_and_posterior_kl(case, data):
    base, X, params, k = with_components(case, data)
    q = data.draw(simplex_rows(base.X.shape[0], k), label="q")
    for function in (emlib.elbo, emlib.posterior_kl):
        result = outcome(function, X, params, q)
        if result is REJECTED:
            continue
        assert isinstance(result, float), type(result)
        on_zero_weight = bool(np.any(np.asarray(q, dtype=float)[:, params.weights == 0] > 0))
        if function is emlib.elbo:
            # documented: -inf exactly when q puts mass on a component of zero weight
            assert result == -math.inf if on_zero_weight else math.isfinite(result), (result, on_zero_weight)
        else:
            # documented: non-negative; +inf exactly when q puts mass where the posterior is zero
            expected = result == math.inf if on_zero_weight else math.isfinite(result) and result >= 0
            assert expected, (result, on_zero_weight)


@settings(max_examples=250)
@given(case=gmm_case(), data=st.data())
def test_complete_log_likelihood(case, data):
    base, X, params, k = with_components(case, data)
    z = data.draw(hard_labels(base.X.shape[0], k), label="z")
    result = outcome(emlib.complete_log_likelihood, X, z, params)
    if result is not REJECTED:
        assert isinstance(result, float), type(result)
        # documented: -inf exactly when a label points at a component of zero weight
        on_zero_weight = bool(np.any(params.weights[np.asarray(z, dtype=np.intp)] == 0))
        assert result == -math.inf if on_zero_weight else math.isfinite(result), (result, on_zero_weight)


@settings(max_examples=200)
@given(case=gmm_case(), data=st.data())
def test_expected_complete_log_likelihood(case, data):
    base, X, params, k = with_components(case, data)
    n, d = base.X.shape
    # θ_old: θ itself, or another mixture (usually with K components and X's dimension; fuzzed as params are)
    if isinstance(params, emlib.GMMParams) and data.draw(st.booleans(), label="params_old is params"):
        params_old = params
    else:
        k_old = data.draw(st.sampled_from([k] * 4 + [k + 1]), label="K of params_old")
        d_old = data.draw(st.sampled_from([d] * 8 + [d + 1]), label="D of params_old")
        params_old = make_params(data.draw(raw_params(k_old, d_old, base), label="params_old"))
    sample_weight = data.draw(sample_weights(n), label="sample_weight")
    result = outcome(emlib.expected_complete_log_likelihood, X, params, params_old, sample_weight=sample_weight)
    if result is REJECTED:
        return
    assert isinstance(result, float), type(result)
    # documented: -inf exactly when θ gives weight zero to a component that θ_old makes responsible
    # for a row of positive weight
    responsibilities = outcome(emlib.e_step, X, params_old)
    assert responsibilities is not REJECTED, "Q accepted params_old, but e_step rejected it"
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    on_zero_weight = bool(np.any(responsibilities[weights > 0][:, params.weights == 0] > 0))
    assert result == -math.inf if on_zero_weight else math.isfinite(result), (result, on_zero_weight)


@settings(max_examples=250)
@given(case=gmm_case(), data=st.data())
def test_hard_assignments(case, data):
    base, X, params, k = with_components(case, data)
    previous = data.draw(st.one_of(st.none(), hard_labels(base.X.shape[0], k)), label="previous")
    result = outcome(hard_assignments, X, params, previous=previous)
    if result is not REJECTED:
        n = base.X.shape[0]
        assert isinstance(result, np.ndarray) and result.shape == (n,) and result.dtype.kind == "i", result
        assert np.all((result >= 0) & (result < k)), result
        # the hard E-step picks a most probable component: its responsibility is the row maximum
        responsibilities = emlib.e_step(X, params)
        chosen = responsibilities[np.arange(n), result]
        assert np.all(chosen >= responsibilities.max(axis=1) * (1 - 1e-12)), "not a most probable component"


# --------------------------------------------------------------------------
# emlib.gradient
# --------------------------------------------------------------------------
def check_tangent(result, k, d, name):
    assert isinstance(result, gradient.GMMGradient), type(result)
    check_finite(result.weights, (k,), f"{name}.weights")
    check_finite(result.means, (k, d), f"{name}.means")
    check_finite(result.covariances, (k, d, d), f"{name}.covariances")


@settings(max_examples=250)
@given(case=gmm_case())
def test_gradient_projection_and_em_map(case):
    base, X, raw = case
    params = make_params(raw)
    d = base.X.shape[1]
    for function in (gradient.log_likelihood_gradient, gradient.projected_gradient):
        result = outcome(function, X, params)
        if result is not REJECTED:
            check_tangent(result, params.n_components, d, function.__name__)
    projection = outcome(gradient.projection_matrix, X, params)
    if projection is not REJECTED:
        k = params.n_components
        assert isinstance(projection, gradient.ProjectionBlocks)
        check_finite(projection.weights, (k, k), "projection.weights")
        check_finite(projection.means, (k, d, d), "projection.means")
        check_finite(projection.covariances, (k, d * d, d * d), "projection.covariances")
    result = outcome(gradient.em_map, X, params)
    if result is not REJECTED:
        check_gmm_params(result, k=params.n_components, d=d, covariance_type="full")


@settings(max_examples=200)
@given(case=gmm_case(max_rows=25, max_features=2, max_components=2))
def test_jacobian_and_information(case):
    # D, K <= 2: P = (K - 1) + K D + K D (D + 1) / 2 <= 11 flat coordinates
    base, X, raw = case
    params = make_params(raw)
    k, d = (params.n_components, params.n_features) if isinstance(params, emlib.GMMParams) else (None, None)
    size = None if k is None else (k - 1) + k * d + k * d * (d + 1) // 2
    for function in (gradient.em_map_jacobian, gradient.observed_information, gradient.complete_information):
        result = outcome(function, X, params)
        if result is not REJECTED:
            check_finite(result, (size, size), function.__name__)
    rate = outcome(gradient.convergence_rate, X, params)
    if rate is not REJECTED:
        check_real(rate, "convergence_rate")
        assert rate >= 0


@settings(max_examples=200)
@given(case=gmm_case(max_rows=12, max_features=3, max_components=3), data=st.data())
def test_flat_parametrisation(case, data):
    base, X, raw = case
    params = make_params(raw)
    flat = outcome(gradient.flatten_params, params)
    if flat is REJECTED:
        return
    k, d = params.n_components, params.n_features
    size = (k - 1) + k * d + k * d * (d + 1) // 2
    check_finite(flat, (size,), "flatten_params")
    gradient_blocks = outcome(gradient.log_likelihood_gradient, X, params)
    if gradient_blocks is not REJECTED:
        check_finite(outcome(gradient.flatten_gradient, gradient_blocks), (size,), "flatten_gradient")
    # a fuzzed flat vector: the flattened params, perturbed ones, or anything
    theta = data.draw(
        st.one_of(
            st.just(flat),
            hnp.arrays(np.float64, size, elements=st.floats(-1e3, 1e3)).map(lambda delta: flat + delta),
            hnp.arrays(np.float64, st.integers(0, size + 1), elements=st.floats(allow_nan=True)),
            st.sampled_from(["flat as list", "complex", "2-D", "None"]),
        ),
        label="theta",
    )
    if isinstance(theta, str):
        theta = {"flat as list": flat.tolist(), "complex": flat + 0j, "2-D": flat[np.newaxis], "None": None}[theta]
    shape = data.draw(st.sampled_from([(k, d)] * 4 + [(0, d), (k, 0), (-1, d), (True, d), (k + 1, d)]), label="shape")
    result = outcome(gradient.unflatten_params, theta, *shape)
    if result is not REJECTED:
        check_gmm_params(result, k=int(shape[0]), d=shape[1])


# --------------------------------------------------------------------------
# fit_em with both models; the models' own methods
# --------------------------------------------------------------------------
@st.composite
def binomial_case(draw):
    n_trials = draw(st.one_of(st.integers(1, 30), st.sampled_from([0, -1, True, 2.0, "3", None])))
    trials = n_trials if isinstance(n_trials, int) and not isinstance(n_trials, bool) and n_trials > 0 else 10
    n = draw(st.integers(0, 40))
    heads = draw(hnp.arrays(np.int64, n, elements=st.integers(0, trials)))
    form = draw(st.sampled_from([
        "int", "int", "int", "float", "list", "too many heads", "negative", "fractional", "NaN", "2-D", "bool",
        "complex", "0-D",
    ]))  # fmt: skip
    if form == "float":
        heads = heads.astype(float)
    elif form == "list":
        heads = heads.tolist()
    elif form == "too many heads" and n:
        heads[0] = trials + 1
    elif form == "negative" and n:
        heads[0] = -1
    elif form == "fractional" and n:
        heads = heads.astype(float)
        heads[0] += 0.5
    elif form == "NaN" and n:
        heads = heads.astype(float)
        heads[0] = np.nan
    elif form == "2-D":
        heads = heads[:, np.newaxis]
    elif form == "bool":
        heads = heads > 0
    elif form == "complex":
        heads = heads + 0j
    elif form == "0-D":
        heads = heads[0] if n else np.int64(0)

    k = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(SEEDS))
    weights = rng.dirichlet(np.ones(k))
    probabilities = rng.uniform(size=k)
    edit = draw(st.sampled_from([
        None, None, None, None, "zero weight", "coins at 0 and 1", "coins at 0", "identical coins", "negative weight",
        "NaN probability", "probability 1.5", "wrong K", "weights sum to 2", "lists",
    ]))  # fmt: skip
    j = draw(st.integers(0, k - 1))
    if edit == "zero weight" and k > 1:
        weights[j] = 0.0
        weights = weights / weights.sum()
    elif edit == "coins at 0 and 1":
        probabilities = np.where(probabilities < 0.5, 0.0, 1.0)
    elif edit == "coins at 0":
        probabilities[:] = 0.0
    elif edit == "identical coins":
        probabilities[:] = probabilities[0]
    elif edit == "negative weight":
        weights[j] = -0.1
    elif edit == "NaN probability":
        probabilities[j] = np.nan
    elif edit == "probability 1.5":
        probabilities[j] = 1.5
    elif edit == "wrong K":
        probabilities = np.append(probabilities, 0.5)
    elif edit == "weights sum to 2":
        weights = 2 * weights
    elif edit == "lists":
        weights, probabilities = weights.tolist(), probabilities.tolist()
    return n_trials, heads, weights, probabilities, n


@settings(max_examples=300)
@given(case=binomial_case(), data=st.data())
def test_fit_em_binomial_mixture(case, data):
    n_trials, heads, weights, probabilities, n = case
    model = outcome(emlib.BinomialMixture, n_trials)
    init = outcome(emlib.BinomialMixtureParams, weights, probabilities)
    if init is not REJECTED:
        check_binomial_params(init)
    if model is REJECTED:
        return
    if init is REJECTED:
        init = (weights, probabilities)
    kwargs = data.draw(keyword_arguments(*pick(["max_iter", "tol", "method", "callback", "trajectory"])))
    sample_weight = data.draw(sample_weights(n), label="sample_weight")
    result = outcome(
        emlib.fit_em, model, heads, init, sample_weight=sample_weight, convergence_warning_ok=True, **kwargs
    )
    check_rejected_if_broken(result, kwargs)
    if result is not REJECTED:
        k = init.n_components
        check_binomial_params(result.params, k=k)
        check_em_result(
            result, kwargs["method"], max_iter_of(kwargs["max_iter"]), n, k, kwargs["callback"], kwargs["trajectory"]
        )
        assert result.model is model and result.degenerate is None
        labels = outcome(result.predict, heads)
        if labels is not REJECTED:
            check_labels_of(labels, n, result.params)
    posterior = outcome(model.e_step, heads, init)
    if posterior is not REJECTED:
        check_simplex_rows(posterior, n, init.n_components, "e_step")
    log_likelihood = outcome(model.log_likelihood, heads, init, sample_weight=sample_weight)
    if log_likelihood is not REJECTED:
        check_real(log_likelihood, "log_likelihood")
    size = data.draw(st.one_of(st.integers(0, 30), st.sampled_from([-1, True, 2.0])), label="n_samples")
    rng = data.draw(st.one_of(SEEDS, SEEDS.map(np.random.default_rng), st.sampled_from([-1, None, 1.5])), label="rng")
    samplers = [(lambda: model.sample(init, n_samples=size, rng=rng), init)]
    if result is not REJECTED:
        samplers.append((lambda: result.sample(size, rng), result.params))
    for sampler, params in samplers:
        drawn = outcome(sampler)
        if drawn is not REJECTED:
            sampled_heads, labels = drawn
            assert sampled_heads.shape == (size,) and sampled_heads.dtype.kind in "iu", sampled_heads
            assert np.all((sampled_heads >= 0) & (sampled_heads <= model.n_trials))
            check_labels_of(labels, size, params)  # no run made with a coin of weight zero


#: A valid prior scale, then malformed ones (a string or a complex Ψ: tests at the end).
PRIOR_FORMS = ["(D, D)", "1-D", "(D, D + 1)", "(D + 1, D + 1)", "asymmetric", "indefinite", "NaN"]


def covariance_prior(form, d, scale, seed):
    """A prior scale Ψ for a GaussianMixtureModel: None, SPD at the data's scale, or malformed."""
    if form is None:
        return None
    rng = np.random.default_rng(seed)
    with quietly():
        factor = rng.normal(size=(d, d))
        spd = 1e-6 * scale**2 * (factor @ factor.T + np.eye(d))
        if form == "(D, D)":
            return spd
        if form == "1-D":
            return np.diag(spd)
        if form == "(D, D + 1)" or (form == "asymmetric" and d == 1):
            return np.ones((d, d + 1))
        if form == "(D + 1, D + 1)":  # accepted by the model, rejected when it meets X
            return np.eye(d + 1)
        if form == "asymmetric":
            spd[0, -1] += spd[0, 0] + 1.0
        elif form == "indefinite":
            spd = -spd
        elif form == "NaN":
            spd[0, 0] = np.nan
    return spd


@settings(max_examples=500)
@given(case=gmm_case(max_components=4), data=st.data())
def test_fit_em_gaussian_mixture(case, data):
    base, X, raw = case
    n, d = base.X.shape
    params = make_params(raw)
    reg_covar = st.sampled_from([None, None, 0.0, 1e-6, 1.0, 1e-6 * base.scale**2])
    prior = st.sampled_from([None, None, None, "(D, D)"])
    kwargs = data.draw(
        keyword_arguments(
            *pick(
                ["covariance_type", "max_iter", "tol", "method", "callback", "trajectory"],
                reg_covar=(reg_covar, INVALID["reg_covar"]),
                covariance_prior=(prior, st.sampled_from(PRIOR_FORMS[1:])),
            )
        )
    )
    broken = kwargs.broken
    covariance_type, reg_covar = kwargs.pop("covariance_type"), kwargs.pop("reg_covar")
    prior = covariance_prior(kwargs.pop("covariance_prior"), d, base.scale, data.draw(SEEDS, label="prior seed"))
    model = outcome(emlib.GaussianMixtureModel, covariance_type, reg_covar, prior)
    if model is REJECTED:
        # one argument of the three is broken, or reg_covar > 0 meets a prior: the message names it
        message = str(outcome.error)
        if broken in ("covariance_type", "reg_covar", "covariance_prior"):
            assert broken in message, (broken, message)
        else:
            assert reg_covar and prior is not None, message
            assert "covariance_prior" in message and "reg_covar" in message, message
        return
    assert broken not in ("covariance_type", "reg_covar"), f"GaussianMixtureModel accepted a broken {broken}"
    assert model.covariance_type == covariance_type
    assert model.reg_covar == (None if reg_covar is None else float(reg_covar))
    assert (model.covariance_prior is None) if prior is None else np.array_equal(model.covariance_prior, prior)
    assert isinstance(repr(model), str)
    sample_weight = data.draw(sample_weights(n), label="sample_weight")
    result = outcome(emlib.fit_em, model, X, params, sample_weight=sample_weight, convergence_warning_ok=True, **kwargs)
    if broken == "covariance_prior":  # one of shape (D + 1, D + 1): the model accepts it, fit_em must not
        assert result is REJECTED, f"fit_em accepted a model with covariance_prior {prior!r}"
    check_rejected_if_broken(result, kwargs)
    if result is not REJECTED:
        k = params.n_components
        check_gmm_params(result.params, k=k, d=d, covariance_type=covariance_type if result.n_iter else None)
        check_em_result(
            result, kwargs["method"], max_iter_of(kwargs["max_iter"]), n, k, kwargs["callback"], kwargs["trajectory"],
            prior_of_start=model.reg_covar is None or model.covariance_prior is not None,
        )  # fmt: skip
        assert result.model is model
        assert result.degenerate.shape == (k,) and result.degenerate.dtype == bool
        # the result's scores, on the data it was fitted to
        labels = outcome(result.predict, X)
        if labels is not REJECTED:
            check_labels_of(labels, n, result.params)
        scores = outcome(result.score_samples, X)
        if scores is not REJECTED:
            check_finite(scores, (n,), "score_samples")
        bic = outcome(result.bic, X, sample_weight=sample_weight)
        if bic is not REJECTED:
            check_real(bic, "bic")
    posterior = outcome(model.e_step, X, params)
    if posterior is not REJECTED:
        check_simplex_rows(posterior, n, params.n_components, "e_step")
    log_likelihood = outcome(model.log_likelihood, X, params, sample_weight=sample_weight)
    if log_likelihood is not REJECTED:
        check_real(log_likelihood, "log_likelihood")
    size = data.draw(st.one_of(st.integers(0, 30), st.sampled_from([-1, True, 2.0])), label="n_samples")
    rng = data.draw(st.one_of(SEEDS, SEEDS.map(np.random.default_rng), st.sampled_from([-1, None, 1.5])), label="rng")
    drawn = outcome(model.sample, params, n_samples=size, rng=rng)
    if drawn is not REJECTED:
        sample, labels = drawn
        check_finite(sample, (size, params.n_features), "sample")
        check_labels_of(labels, size, params)


# --------------------------------------------------------------------------
# emlib.datasets
# --------------------------------------------------------------------------
@settings(max_examples=250)
@given(
    data_=real_data(max_rows=2),
    k=st.integers(1, 5),
    d=st.integers(1, 4),
    size=st.one_of(st.integers(0, 50), st.sampled_from([-1, True, 2.0, None, "3", np.int64(4)])),
    rng=st.one_of(SEEDS, SEEDS.map(np.random.default_rng), st.sampled_from([-1, None, True, 1.5, "seed"])),
    data=st.data(),
)
def test_sample_gmm(data_, k, d, size, rng, data):
    raw = data.draw(raw_params(k, d, data_), label="params")
    params = make_params(raw)
    if data.draw(st.booleans(), label="not a GMMParams"):
        params = (raw.weights, raw.means, raw.covariances)
    result = outcome(emlib.datasets.sample_gmm, params, size, rng)
    if result is not REJECTED:
        X, labels = result
        check_finite(X, (int(size), d), "sample")
        assert labels.shape == (int(size),) and labels.dtype.kind in "iu"
        assert np.all((labels >= 0) & (labels < k))
        assert np.all(params.weights[labels] > 0), "a point was drawn from a component of weight zero"


def test_old_faithful():
    X = outcome(emlib.datasets.old_faithful)
    check_finite(X, (272, 2), "old_faithful")


# --------------------------------------------------------------------------
# valid input must be accepted: a rejection above counts as a valid outcome, so these tests draw
# only valid input and fail on any rejection that the documentation does not promise
# --------------------------------------------------------------------------
@st.composite
def valid_mixture_data(draw):
    """Well-posed data for a K-component fit: clusters at a scale 10^e (|e| <= 140), offset, weights."""
    rng = np.random.default_rng(draw(SEEDS))
    n, d, k = draw(st.integers(12, 60)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    centres = rng.normal(0.0, 5.0, size=(k, d))
    spreads = rng.uniform(0.1, 2.0, size=d) * 10.0 ** rng.uniform(-3, 3, size=d)  # mixed units
    X = (centres[rng.integers(0, k, size=n)] + rng.normal(size=(n, d))) * spreads
    scale, offset = 10.0 ** draw(st.integers(-140, 140)), draw(st.sampled_from([0.0, 1.0, 1e4]))
    X = X * scale + offset * scale
    weights = draw(st.sampled_from([None, "uniform", "integers", "some zeros"]))
    if weights == "uniform":
        weights = rng.uniform(0.5, 3.0, size=n)
    elif weights == "integers":
        weights = rng.integers(1, 4, size=n)
    elif weights == "some zeros":
        weights = np.where(np.arange(n) % 3 == 0, 0.0, rng.uniform(0.5, 2.0, size=n))
    return X, weights, k


@settings(max_examples=150, deadline=None)
@given(
    case=valid_mixture_data(),
    covariance_type=st.sampled_from(["full", "diag", "spherical", "tied"]),
    method=st.sampled_from(["em", "em", "em", "em", "squarem", "squarem", "hard", "hard", "hard"]),
    n_init=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_valid_input_is_accepted_by_fit_gmm(case, covariance_type, method, n_init, seed):
    X, weights, k = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        warnings.simplefilter("ignore", emlib.DegenerateFitWarning)
        fit = emlib.fit_gmm(
            X, k, covariance_type=covariance_type, method=method,
            n_init=n_init, random_state=seed, sample_weight=weights, max_iter=50,
        )  # fmt: skip
    check_gmm_params(fit.params, k=k, d=X.shape[1], covariance_type=covariance_type)
    check_simplex_rows(fit.posterior, X.shape[0], k, "responsibilities")
    check_finite(fit.log_likelihoods, (fit.n_iter + 1,), "log_likelihoods")


@settings(max_examples=150, deadline=None)
@given(
    k=st.integers(1, 4),
    d=st.integers(1, 4),
    exponent=st.integers(-150, 150),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=SEEDS,
)
def test_valid_parameters_are_accepted_by_gmm_params(k, d, exponent, dtype, seed):
    # Dirichlet weights normalised in their own precision, SPD covariances at any scale
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(k)).astype(dtype)
    weights = weights / weights.sum()
    factors = rng.normal(size=(k, d, d)) * 10.0**exponent
    covariances = factors @ np.swapaxes(factors, 1, 2) + 10.0 ** (2 * exponent) * np.eye(d)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        params = emlib.GMMParams(weights, rng.normal(size=(k, d)) * 10.0**exponent, covariances)
    check_gmm_params(params, k=k, d=d)


def gaussian_start(X, weights, k, rng) -> emlib.GMMParams:
    """A valid start for fit_em: Dirichlet weights, means at k rows of positive weight, the data's covariance."""
    counted = X if weights is None else X[np.asarray(weights) > 0]
    means = counted[rng.choice(counted.shape[0], size=k, replace=False)]
    covariance = np.atleast_2d(np.cov(counted.T, bias=True))
    return emlib.GMMParams(rng.dirichlet(np.full(k, 5.0)), means, np.repeat(covariance[np.newaxis], k, axis=0))


@settings(max_examples=75, deadline=None)
@given(
    case=valid_mixture_data(),
    covariance_type=st.sampled_from(["full", "diag", "spherical", "tied"]),
    method=st.sampled_from(["em", "hard", "squarem"]),
    trajectory=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_valid_input_is_accepted_by_fit_em_gaussian_mixture(case, covariance_type, method, trajectory, seed):
    X, weights, k = case
    n, d = X.shape
    init = gaussian_start(X, weights, k, np.random.default_rng(seed))
    model = emlib.GaussianMixtureModel(covariance_type)  # the default, data-scaled prior
    callback = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        result = emlib.fit_em(
            model, X, init, method=method, sample_weight=weights, max_iter=50, callback=callback, trajectory=trajectory
        )
        check_gmm_params(result.params, k=k, d=d, covariance_type=covariance_type if result.n_iter else None)
        check_em_result(result, method, 50, n, k, callback, trajectory)
        check_labels_of(result.predict(X), n, result.params)
        check_finite(result.score_samples(X), (n,), "score_samples")
        check_real(result.bic(X, sample_weight=weights), "bic")
        sample, labels = result.sample(10, seed)
    check_finite(sample, (10, d), "sample")
    check_labels_of(labels, 10, result.params)


@st.composite
def valid_binomial_data(draw):
    """Head counts of runs made with one of k coins, in an accepted form, with valid row weights and start."""
    rng = np.random.default_rng(draw(SEEDS))
    n_trials, n, k = draw(st.integers(1, 30)), draw(st.integers(1, 60)), draw(st.integers(1, 3))
    heads = rng.binomial(n_trials, rng.uniform(size=k)[rng.integers(0, k, size=n)])
    weights = draw(st.sampled_from([None, "uniform", "integers", "some zeros"]))
    if weights == "uniform":
        weights = rng.uniform(0.5, 3.0, size=n)
    elif weights == "integers":
        weights = rng.integers(1, 4, size=n)
    elif weights == "some zeros":  # zero only where the count also has a positive weight (see the tests at the end)
        kept = np.arange(n) % 3 != 1
        zero = ~kept & np.isin(heads, heads[kept])
        weights = np.where(zero, 0.0, rng.uniform(0.5, 2.0, size=n))
    init = emlib.BinomialMixtureParams(rng.dirichlet(np.full(k, 5.0)), rng.uniform(0.05, 0.95, size=k))
    form = draw(st.sampled_from(["int64", "float64", "list"]))
    heads = heads.astype(float) if form == "float64" else heads.tolist() if form == "list" else heads
    return n_trials, heads, weights, init


@settings(max_examples=75, deadline=None)
@given(
    case=valid_binomial_data(),
    method=st.sampled_from(["em", "hard", "squarem"]),
    trajectory=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_valid_input_is_accepted_by_fit_em_binomial_mixture(case, method, trajectory, seed):
    n_trials, heads, weights, init = case
    n, k = len(heads), init.n_components
    model = emlib.BinomialMixture(n_trials)
    callback = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        result = emlib.fit_em(
            model, heads, init, method=method, sample_weight=weights, max_iter=50, callback=callback,
            trajectory=trajectory,
        )  # fmt: skip
        check_binomial_params(result.params, k=k)
        check_em_result(result, method, 50, n, k, callback, trajectory)
        check_labels_of(result.predict(heads), n, result.params)
        check_real(result.bic(heads, sample_weight=weights), "bic")
        for params, (sample, labels) in [
            (result.params, result.sample(10, seed)),
            (init, model.sample(init, n_samples=10, rng=np.random.default_rng(seed))),
        ]:
            assert sample.shape == (10,) and np.all((sample >= 0) & (sample <= n_trials)), sample
            check_labels_of(labels, 10, params)


@settings(max_examples=75, deadline=None)
@given(case=valid_mixture_data(), seed=st.integers(0, 2**16))
def test_valid_input_is_accepted_by_expected_complete_log_likelihood(case, seed):
    X, weights, k = case
    rng = np.random.default_rng(seed)
    params, params_old = gaussian_start(X, weights, k, rng), gaussian_start(X, weights, k, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = emlib.expected_complete_log_likelihood(X, params, params_old, sample_weight=weights)
        check_real(value, "expected_complete_log_likelihood")
        if weights is not None and weights.dtype.kind == "i":  # integer weights: rows repeated
            repeated = np.repeat(X, weights, axis=0)
            unweighted = emlib.expected_complete_log_likelihood(repeated, params, params_old)
            assert math.isclose(value, unweighted, rel_tol=1e-9, abs_tol=1e-6), (value, unweighted)


# --------------------------------------------------------------------------
# edge cases the fuzzing found, each now a clear error or a documented value
# --------------------------------------------------------------------------
HUGE_IDENTICAL_ROWS = np.full((2, 1), 1.7e154)
HUGE_PARAMS = emlib.GMMParams([1.0], [[1.7e154]], [[[0.3]]])
TINY_ROW = np.array([[3.75573426e-190]])
UNIT_PARAMS = emlib.GMMParams([1.0], [[-0.4]], [[[0.011]]])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: emlib.m_step(HUGE_IDENTICAL_ROWS, np.ones((2, 1))), "overflow float64 when squared"),
        (lambda: gradient.em_map(HUGE_IDENTICAL_ROWS, HUGE_PARAMS), "overflow float64 when squared"),
        (lambda: emlib.fit_em(emlib.GaussianMixtureModel(), HUGE_IDENTICAL_ROWS, HUGE_PARAMS), "overflow float64"),
        (lambda: emlib.fit_em(emlib.GaussianMixtureModel(), TINY_ROW, UNIT_PARAMS), "variances underflow float64"),
    ],
    ids=["m_step-huge", "gradient.em_map-huge", "fit_em-huge", "fit_em-tiny"],
)
def test_data_without_spread_beyond_float64_is_a_clear_error(call, message):
    """The data scale of data with no spread falls back to the mean square, which float64 may not hold."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"^X.*{message}.*rescale X"):
            call()
    # fit_gmm works in internal units, so the same data fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.DegenerateFitWarning)
        assert emlib.fit_gmm(HUGE_IDENTICAL_ROWS, 1).params.means[0, 0] == 1.7e154


def test_a_row_of_weight_zero_still_needs_a_posterior():
    """fit_em's E-step covers every row (a model's rows need not be exchangeable, so none is dropped).

    Both coins are fitted to the one run of weight 1 (one head in one toss), p = 1, under which the
    run of weight zero (no head) has probability zero: the E-step says so, naming the row.
    (fit_gmm, which knows its rows are independent, leaves rows of weight zero out of the fit.)
    """
    init = emlib.BinomialMixtureParams([0.75, 0.25], [0.05, 0.8])
    with pytest.raises(ValueError, match=r"X\[1\] has probability zero under every component"):
        emlib.fit_em(emlib.BinomialMixture(1), np.array([1, 0]), init, sample_weight=np.array([1.9, 0.0]))


@pytest.mark.parametrize("prior", ["eye", np.eye(2) + 0j], ids=["string", "complex"])
def test_covariance_prior_of_strings_or_complex_numbers(prior):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match=r"covariance_prior must hold real numbers"):
            emlib.GaussianMixtureModel(covariance_prior=prior)


# --------------------------------------------------------------------------
# the genetic-linkage model (emlib.linkage): drawn inputs, valid or not
# --------------------------------------------------------------------------
LINKAGE_FORMS = [
    "ints", "ints", "ints", "floats", "list", "cell 4", "cell -1", "half", "NaN", "2-D", "strings", "empty",
    "cells 0 and 3 only", "cells 1 and 2 only",
]  # fmt: skip
LINKAGE_PI = st.one_of(
    st.floats(1e-6, 1 - 1e-6),
    st.sampled_from([0.0, 1.0, -0.1, 1.5, math.nan, math.inf, "0.5", None, True, np.float32(0.3), 1, [0.5]]),
)


@st.composite
def linkage_cells(draw):
    """Cell indices of some animals, in one of ``LINKAGE_FORMS``; returns (cells, number of rows)."""
    n = draw(st.integers(1, 40))
    cells = np.random.default_rng(draw(SEEDS)).integers(0, 4, size=n)
    form = draw(st.sampled_from(LINKAGE_FORMS))
    if form == "floats":
        cells = cells.astype(float)
    elif form == "list":
        cells = cells.tolist()
    elif form == "cell 4":
        cells[0] = 4
    elif form == "cell -1":
        cells[-1] = -1
    elif form == "half":
        cells = cells + 0.5
    elif form == "NaN":
        cells = cells.astype(float)
        cells[0] = np.nan
    elif form == "2-D":
        cells = cells[:, np.newaxis]
    elif form == "strings":
        cells = cells.astype(str)
    elif form == "empty":
        cells, n = np.array([], dtype=int), 0
    elif form == "cells 0 and 3 only":
        cells = 3 * (cells % 2)
    elif form == "cells 1 and 2 only":
        cells = 1 + cells % 2
    return cells, n


@settings(max_examples=300, deadline=None)
@given(case=linkage_cells(), pi=LINKAGE_PI, data=st.data())
def test_fit_em_genetic_linkage(case, pi, data):
    cells, n = case
    model = emlib.GeneticLinkage()
    init = outcome(emlib.LinkageParams, pi)
    valid_pi = isinstance(pi, (float, np.floating, int)) and not isinstance(pi, bool) and 0 < pi < 1
    assert (init is not REJECTED) == valid_pi, (pi, init)
    if init is REJECTED:
        return
    methods = st.sampled_from(["em", "squarem", "ecg", "hybrid", "hard"])  # "hard": a clear TypeError
    kwargs = data.draw(
        keyword_arguments(
            *pick(["max_iter", "tol", "method", "callback", "trajectory"], method=(methods, INVALID["method"]))
        )
    )
    sample_weight = data.draw(sample_weights(n), label="sample_weight")
    result = outcome(
        emlib.fit_em, model, cells, init, sample_weight=sample_weight, convergence_warning_ok=True, **kwargs
    )
    check_rejected_if_broken(result, kwargs)
    if kwargs["method"] == "hard":
        assert result is REJECTED and "needs the model's classification" in str(outcome.error)
    if result is REJECTED:
        return
    assert isinstance(result.params, emlib.LinkageParams) and 0 < result.params.pi < 1
    check_history(result.log_likelihoods, result.n_iter, max_iter_of(kwargs["max_iter"]), result.converged)
    if kwargs["method"] == "em":
        assert np.all(np.diff(result.log_likelihoods) >= -1e-9 * np.maximum(1.0, np.abs(result.log_likelihoods[1:])))
    if kwargs["trajectory"]:
        assert len(result.trajectory) == result.n_iter + 1 and result.trajectory[-1] == result.params
    if isinstance(kwargs["callback"], Recorder):
        assert [call[0] for call in kwargs["callback"].calls] == list(range(result.n_iter + 1))


@settings(max_examples=200, deadline=None)
@given(
    counts=st.one_of(
        st.lists(st.integers(0, 10**6), min_size=4, max_size=4), st.lists(st.floats(0, 1e6), min_size=4, max_size=4)
    ),
    pi=st.floats(1e-6, 1 - 1e-6),
)
def test_valid_counts_are_accepted_by_the_closed_forms(counts, pi):
    y1, y2, y3, y4 = counts
    interior = y2 + y3 > 0 and (y4 > 0 or y1 > 2 * (y2 + y3))
    estimate = outcome(emlib.GeneticLinkage.maximum_likelihood, counts)
    information = outcome(emlib.GeneticLinkage.information, counts, emlib.LinkageParams(pi))
    assert (information is not REJECTED) == interior, counts
    if interior and estimate is REJECTED:  # an interior maximum too close to 0 or 1 for float64
        assert "which float64 cannot hold strictly between 0 and 1" in str(outcome.error), counts
        # near π = 1 the maximum is lost once 1 − π* falls below float64's spacing at 1 (y2 + y3 ≲ ε · n);
        # near π = 0 only once π* underflows (y4 ≲ 1e-250 · n)
        assert counts[1] + counts[2] < 1e-15 * max(counts) or counts[3] < 1e-250 * max(counts), counts
        return
    assert (estimate is not REJECTED) == interior, counts
    if interior:
        assert 0 < estimate.pi < 1
        assert all(math.isfinite(value) for value in information.values())
        assert information["complete"] > 0 and information["missing"] >= 0
        assert information["observed"] == pytest.approx(information["complete"] - information["missing"])


# --------------------------------------------------------------------------
# factor analysis and probabilistic PCA (emlib.factor_analysis): drawn inputs, valid or not
# --------------------------------------------------------------------------
FA_FUNCTIONS = {"fit_factor_analysis": emlib.fit_factor_analysis, "fit_ppca": emlib.fit_ppca}
FA_FACTORS = st.one_of(st.integers(-1, 5), st.sampled_from([2.5, True, "1", None, np.int64(1)]))
#: Why a factor-model call with valid arguments may still refuse its data (the message says which).
FA_DATA_ERRORS = (
    r"beyond the range of float64|too far from the mean|"
    r"contains NaN or infinite|must be a 2-D array|must hold real numbers|must be a rectangular|must have at least one"
    r"|must have at least 2 rows of positive sample_weight|X column \d+ is constant|spread is (beyond|too small)"
    r"|too many factors|must be less than the number of columns|sample_weight|n_(factors|components) must be"
)


def fa_limit(d: int, function_name: str) -> int:
    """The most factors fit_factor_analysis (the largest q with (D − q)² >= D + q) or fit_ppca (D − 1) takes."""
    if function_name == "fit_ppca":
        return d - 1
    return max([q for q in range(d) if (d - q) ** 2 >= d + q], default=0)


def check_factor_params(params, d, q, isotropic):
    assert isinstance(params, emlib.FactorParams), type(params).__name__
    check_finite(params.mean, (d,), "mean")
    check_finite(params.loadings, (d, q), "loadings")
    noise = check_finite(params.noise_variances, (d,), "noise_variances")
    assert np.all(noise > 0), noise
    if isotropic:
        assert np.all(noise == noise[0]), noise


@settings(max_examples=250, deadline=None)
@given(data=real_data(max_rows=30, max_features=6), q=FA_FACTORS, draw=st.data())
def test_fit_factor_analysis_and_ppca(data, q, draw):
    name = draw.draw(st.sampled_from(sorted(FA_FUNCTIONS)), label="function")
    X = draw.draw(container(data.X), label="X")
    n, d = data.X.shape
    methods = st.sampled_from(["em", "squarem", "ecg", "hybrid", "hard"])  # "hard": refused, z is continuous
    kwargs = draw.draw(
        keyword_arguments(
            *pick(
                ["max_iter", "tol", "method", "callback", "trajectory", "random_state"],
                method=(methods, INVALID["method"]),
                random_state=(st.one_of(st.none(), SEEDS), INVALID["random_state"]),
            )
        )
    )
    init = draw.draw(st.sampled_from([None, "random"]), label="init")
    sample_weight = draw.draw(sample_weights(n), label="sample_weight")
    result = outcome(
        FA_FUNCTIONS[name], X, q, init=init, sample_weight=sample_weight, convergence_warning_ok=True, **kwargs
    )
    check_rejected_if_broken(result, kwargs)
    if kwargs["method"] == "hard":
        assert result is REJECTED
        return
    if result is REJECTED:
        assert re.search(FA_DATA_ERRORS, str(outcome.error)), outcome.error
        return
    assert isinstance(q, (int, np.integer)) and 1 <= q <= fa_limit(d, name), (q, d)
    check_factor_params(result.params, d, int(q), name == "fit_ppca")
    check_history(result.log_likelihoods, result.n_iter, max_iter_of(kwargs["max_iter"]), result.converged)
    if kwargs["method"] == "em":  # EM never lowers ℓ (beyond rounding)
        lls = np.asarray(result.log_likelihoods)
        assert np.all(np.diff(lls) >= -1e-8 * np.maximum(1.0, np.abs(lls[1:]))), lls
    if kwargs["trajectory"]:
        assert len(result.trajectory) == result.n_iter + 1 and result.trajectory[-1] is result.params
    if isinstance(kwargs["callback"], Recorder):
        assert [call[0] for call in kwargs["callback"].calls] == list(range(result.n_iter + 1))


@st.composite
def valid_factor_data(draw):
    """Data a factor model must accept: N >= D + 2 rows from q factors plus noise, at any scale."""
    d = draw(st.integers(3, 6))
    q = draw(st.integers(1, max(1, fa_limit(d, "fit_factor_analysis"))))
    n = draw(st.integers(d + 2, 40))
    rng = np.random.default_rng(draw(SEEDS))
    X = rng.normal(size=(n, q)) @ rng.normal(size=(q, d)) + rng.normal(size=(n, d)) * rng.uniform(0.1, 1.0, d)
    scale = 10.0 ** draw(st.integers(-100, 100))
    offset = draw(st.sampled_from([0.0, 1.0, 1e3])) * scale
    return X * scale + offset, q


@settings(max_examples=100, deadline=None)
@given(case=valid_factor_data(), seed=SEEDS, data=st.data())
def test_valid_input_is_accepted_by_the_factor_models(case, seed, data):
    X, q = case
    n, d = X.shape
    method = data.draw(st.sampled_from(["em", "squarem", "ecg", "hybrid"]), label="method")
    weights = data.draw(st.sampled_from([None, "uniform", "integers"]), label="sample_weight")
    rng = np.random.default_rng(seed)
    sample_weight = (
        None
        if weights is None
        else rng.uniform(0.2, 2.0, n)
        if weights == "uniform"
        else np.r_[1, 1, rng.integers(0, 3, n - 2)]
    )
    for name, function in FA_FUNCTIONS.items():
        result = outcome(
            function,
            X,
            q,
            method=method,
            init=data.draw(st.sampled_from([None, "random"])),
            random_state=seed,
            max_iter=30,
            sample_weight=sample_weight,
            convergence_warning_ok=True,
        )
        assert result is not REJECTED, outcome.error
        check_factor_params(result.params, d, q, name == "fit_ppca")
        check_finite(result.log_likelihoods, (result.n_iter + 1,), "log_likelihoods")
    closed = outcome(emlib.ppca_maximum_likelihood, X, q, sample_weight=sample_weight)
    assert closed is not REJECTED, outcome.error
    check_factor_params(closed, d, q, True)
    model = emlib.FactorAnalysisModel()
    check_real(outcome(model.log_likelihood, X, closed, sample_weight=sample_weight), "log_likelihood")
    means, covariance = outcome(model.posterior, X, closed)
    check_finite(means, (n, q), "posterior means")
    check_finite(covariance, (q, q), "posterior covariance")


FA_ARRAYS = st.sampled_from(
    [
        "valid",
        "valid",
        "valid",
        "NaN",
        "inf",
        "zero noise",
        "negative noise",
        "list",
        "int",
        "wrong rows",
        "no factor",
        "1-D loadings",
        "strings",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    d=st.integers(1, 5), q=st.integers(1, 3), form=FA_ARRAYS, seed=SEEDS, data=real_data(max_rows=10, max_features=5)
)
def test_factor_params_and_the_models_methods(d, q, form, seed, data):
    rng = np.random.default_rng(seed)
    mean, loadings, noise = rng.normal(size=d), rng.normal(size=(d, q)), rng.uniform(0.1, 2.0, d)
    valid = form in ("valid", "list", "int")
    if form == "NaN":
        loadings[0, 0] = np.nan
    elif form == "inf":
        mean[-1] = np.inf
    elif form == "zero noise":
        noise[0] = 0.0
    elif form == "negative noise":
        noise[-1] = -1.0
    elif form == "list":
        mean, loadings, noise = mean.tolist(), loadings.tolist(), noise.tolist()
    elif form == "int":
        mean, loadings, noise = np.round(mean).astype(int), np.round(loadings).astype(int), np.ones(d, dtype=int)
    elif form == "wrong rows":
        loadings = loadings[:-1]
    elif form == "no factor":
        loadings = loadings[:, :0]
    elif form == "1-D loadings":
        loadings = loadings[:, 0]
    elif form == "strings":
        noise = noise.astype(str)
    params = outcome(emlib.FactorParams, mean, loadings, noise)
    assert (params is not REJECTED) == valid, (form, getattr(outcome, "error", None))
    if params is REJECTED:
        return
    check_factor_params(params, d, q, False)
    covariance = check_finite(params.covariance(), (d, d), "covariance")
    assert np.array_equal(covariance, covariance.T)
    for noise_type in ("diagonal", "isotropic"):
        model = emlib.FactorAnalysisModel(noise_type)
        value = outcome(model.log_likelihood, data.X, params)
        posterior = outcome(model.posterior, data.X, params)
        if value is REJECTED or posterior is REJECTED:
            assert re.search(
                FA_DATA_ERRORS + r"|has dimension|equal noise_variances|not numerically positive definite",
                str(outcome.error),
            ), outcome.error
            continue
        assert data.X.shape[1] == d and data.finite
        check_real(value, "log_likelihood") if np.isfinite(value) else None
        check_finite(posterior[1], (q, q), "posterior covariance")
    assert outcome(emlib.FactorAnalysisModel, form) is REJECTED  # no noise type is named like a form


# --------------------------------------------------------------------------
# entries missing at random (missing="em", emlib.missing): drawn data with drawn NaN masks
# --------------------------------------------------------------------------
MISSING_MASKS = ["MAR", "MAR", "MAR", "none", "monotone", "row all NaN", "inf beside NaN", "column all NaN"]


@st.composite
def missing_case(draw, max_rows=25, max_features=4):
    """(X with NaN, its mask form, K, parameters with X's dimension)."""
    n, d = draw(st.integers(1, max_rows)), draw(st.integers(1, max_features))
    rng = np.random.default_rng(draw(SEEDS))
    X = rng.normal(0.0, draw(st.sampled_from([1e-3, 1.0, 1e3])), size=(n, d)) + draw(st.sampled_from([0.0, 50.0]))
    form = draw(st.sampled_from(MISSING_MASKS))
    mask = rng.random((n, d)) < draw(st.floats(0.0, 0.6))
    if form == "monotone":
        mask = np.arange(d) >= rng.integers(1, d + 1, size=n)[:, np.newaxis]
    elif form == "none":
        mask[:] = False
    mask[mask.all(axis=1), 0] = False  # no row all NaN unless drawn so
    if form == "row all NaN":
        mask[rng.integers(0, n)] = True
    if form == "column all NaN":
        mask[:, rng.integers(0, d)] = True
        mask[mask.all(axis=1), :] = False
        mask[:, rng.integers(0, d)] = True
    X[mask] = np.nan
    if form == "inf beside NaN":
        X[rng.integers(0, n), rng.integers(0, d)] = rng.choice([np.inf, -np.inf])
    k = draw(st.integers(1, 3))
    finite = np.isfinite(X)
    centre = np.where(finite, X, 0.0).sum(axis=0) / np.maximum(finite.sum(axis=0), 1)
    means = rng.normal(centre, 1.0, size=(k, d))
    factors = rng.normal(size=(k, d, d))
    spread = float(np.var(X[finite])) if finite.sum() > 1 else 0.0
    scale = spread if spread > 0 else 1.0
    covariances = scale * (factors @ np.swapaxes(factors, 1, 2) + d * np.eye(d)) / d
    weights = rng.dirichlet(np.ones(k))
    return X, form, k, emlib.GMMParams(np.nan_to_num(weights / weights.sum(), nan=1.0 / k), means, covariances)


def _missing_error(form: str) -> str | None:
    """The message a drawn bad mask must give (None: the input is valid)."""
    return {
        "row all NaN": r"has \d+ row\(s\) with every entry missing \(NaN\)",
        "inf beside NaN": r"X contains infinite values .*only NaN marks a missing entry",
    }.get(form)


@settings(max_examples=150, deadline=None)
@given(case=missing_case())
def test_missing_data_likelihood_e_step_and_moments(case):
    X, form, k, params = case
    n, d = X.shape
    all_nan_row = bool(np.any(np.all(np.isnan(X), axis=1)))
    expected = _missing_error(form) if form != "column all NaN" or all_nan_row else None
    if form == "column all NaN" and all_nan_row:
        expected = _missing_error("row all NaN")
    for function in (emlib.log_likelihood, emlib.e_step):
        result = outcome(function, X, params, missing="em")
        if expected is not None:
            assert result is REJECTED and re.search(expected, str(outcome.error)), (form, outcome.error)
            continue
        if result is REJECTED:  # only a row too far from a component for float64
            assert "too far from component" in str(outcome.error), outcome.error
            return
        if function is emlib.e_step:
            check_simplex_rows(result, n, k, "e_step")
        else:
            assert math.isfinite(result)
    if expected is not None:
        assert outcome(emlib.missing.conditional_moments, X, params) is REJECTED
        return
    moments = emlib.missing.conditional_moments(X, params)
    check_finite(moments.means, (n, k, d), "conditional means")
    observed = ~np.isnan(X)
    assert np.array_equal(moments.means[:, 0][observed], X[observed])
    # the conditional covariance of the missing block is a covariance: symmetric, positive semi-definite
    for row in range(n):
        missing = ~observed[row]
        for component in range(k):
            block = moments.covariances[row, component][np.ix_(missing, missing)]
            assert np.allclose(block, block.T)
            assert np.all(np.linalg.eigvalsh(block) >= -1e-9 * max(1.0, np.abs(block).max())) if block.size else True
    # without missing="em" a NaN is the error that says to pass it
    if np.any(np.isnan(X)):
        assert outcome(emlib.log_likelihood, X, params) is REJECTED
        assert "missing='em'" in str(outcome.error)


@settings(max_examples=60, deadline=None)
@given(case=missing_case(max_rows=20, max_features=3), data=st.data())
def test_fit_gmm_with_missing_entries(case, data):
    X, form, k, params = case
    covariance_type = data.draw(st.sampled_from(["full", "diag", "spherical", "tied"]), label="covariance_type")
    method = data.draw(st.sampled_from(["em", "squarem", "hard"]), label="method")
    result = outcome(
        emlib.fit_gmm,
        X,
        k,
        covariance_type=covariance_type,
        method=method,
        missing="em",
        max_iter=30,
        random_state=0,
        convergence_warning_ok=True,
    )
    all_nan_row = bool(np.any(np.all(np.isnan(X), axis=1)))
    if form in ("row all NaN", "inf beside NaN") or (form == "column all NaN" and all_nan_row):
        expected = _missing_error("row all NaN" if all_nan_row else form)
        assert result is REJECTED and re.search(expected, str(outcome.error)), (form, outcome.error)
        return
    column_all_nan = bool(np.any(np.all(np.isnan(X), axis=0)))  # drawn so, or by chance on few rows
    if column_all_nan and k <= X.shape[0]:
        assert result is REJECTED and "has every entry missing (NaN) in the rows" in str(outcome.error)
        return
    if result is REJECTED:  # K more than the rows, or than the distinct (filled) rows
        assert re.search(r"n_components|distinct rows|non-empty clusters", str(outcome.error)), outcome.error
        return
    assert not column_all_nan
    check_simplex_rows(result.posterior, X.shape[0], k, "posterior")
    check_finite(result.params.covariances, (k, X.shape[1], X.shape[1]), "covariances")
    if method == "em":
        objectives = np.asarray(result.objectives)
        assert np.all(np.diff(objectives) >= -1e-9 * np.maximum(1.0, np.abs(objectives[1:])))
    predicted = result.predict_proba(X)
    check_simplex_rows(predicted, X.shape[0], k, "predict_proba")


# --------------------------------------------------------------------------
# hidden Markov models (emlib.hmm: fit_hmm, HMMParams) and the Poisson mixture (emlib.poisson)
# --------------------------------------------------------------------------
HMM_X_FORMS = [
    "valid", "valid", "valid", "valid", "list", "integers", "negative", "fractional", "NaN", "two columns",
]  # fmt: skip
HMM_LENGTH_FORMS = ["None", "None", "split", "split", "one", "short", "zero", "fractional", "2-D"]


@st.composite
def hmm_case(draw):
    """(X, emission, lengths, n_states, the messages it may be refused with, empty if valid) for fit_hmm."""
    emission = draw(st.sampled_from(["gaussian", "poisson", "categorical"]))
    T = draw(st.integers(1, 25))
    rng = np.random.default_rng(draw(SEEDS))
    if emission == "gaussian":
        X = rng.normal(size=(T, draw(st.integers(1, 2)))) * 10.0 ** draw(st.integers(-3, 3))
    elif emission == "poisson":
        X = rng.poisson(rng.choice([0.5, 3.0, 20.0], size=(T, 1))).astype(float)
    else:
        X = rng.integers(0, draw(st.integers(1, 4)), size=T).astype(float)
    wrong = []
    form = draw(st.sampled_from(HMM_X_FORMS))
    if form == "list":
        X = X.tolist()
    elif form == "integers" and emission != "gaussian":
        X = X.astype(int)
    elif form == "NaN":
        X = np.array(X, dtype=float)
        X.flat[0] = np.nan
        wrong.append("NaN or infinite")
    elif form in ("negative", "fractional") and emission != "gaussian":
        X = np.array(X, dtype=float)
        X.flat[-1] = -1.0 if form == "negative" else 0.5
        wrong.append("non-negative whole numbers")
    elif form == "two columns" and emission == "categorical":
        X = np.column_stack([X, X])
        wrong.append("one column of symbols")
    lengths = None
    shape = draw(st.sampled_from(HMM_LENGTH_FORMS))
    cut = draw(st.integers(1, max(T - 1, 1)))
    if shape == "split" and T >= 2:
        lengths = [cut, T - cut]
    elif shape == "one":
        lengths = [T]
    elif shape == "short":
        lengths = [T, 1]
        wrong.append("lengths must add up")
    elif shape == "zero":
        lengths = [T, 0]
        wrong.append("lengths must be positive")
    elif shape == "fractional":
        lengths = [T - 0.5, 0.5]
        wrong.append("lengths must be positive")
    elif shape == "2-D":
        lengths = [[T]]
        wrong.append("lengths must be a 1-D")
    n_states = draw(st.one_of(st.integers(1, 3), st.sampled_from([0, -1, T + 1, 2.5, True])))
    if isinstance(n_states, bool) or not isinstance(n_states, int) or not 1 <= n_states <= T:
        wrong.append("n_states")
    return X, emission, lengths, n_states, wrong


def check_hmm_params(params, k, emission, d=None):
    assert isinstance(params, emlib.HMMParams) and params.n_states == k and params.emission == emission, params
    check_simplex(params.start, k, "start")
    check_simplex_rows(params.transition, k, k, "transition")
    if emission == "poisson":
        assert np.all(check_finite(params.rates, (k, d), "rates") >= 0)
    elif emission == "categorical":
        check_simplex_rows(params.probabilities, k, params.probabilities.shape[1], "probabilities")
    else:
        check_finite(params.means, (k, d), "means")
        assert np.all(np.linalg.eigvalsh(check_finite(params.covariances, (k, d, d), "covariances")) > 0)


@settings(max_examples=150, deadline=None)
@given(case=hmm_case(), data=st.data())
def test_fit_hmm(case, data):
    X, emission, lengths, n_states, wrong = case
    methods = st.sampled_from(["em", "em", "hard", "squarem"])
    invalid_methods = st.sampled_from(["ecg", "hybrid", "soft", None])
    kwargs = data.draw(
        keyword_arguments(
            *pick(
                ["max_iter", "tol", "method", "n_init", "random_state", "trajectory"],
                method=(methods, invalid_methods),
                max_iter=(st.integers(0, 15), INVALID["max_iter"]),
                n_init=(st.integers(1, 2), INVALID["n_init"]),
            )
        )
    )
    result = outcome(
        emlib.fit_hmm, X, n_states, emission=emission, lengths=lengths, convergence_warning_ok=True, **kwargs
    )
    check_rejected_if_broken(result, kwargs)
    if wrong:
        assert result is REJECTED, f"{wrong}: accepted"
        if kwargs.broken is None:
            assert any(message in str(outcome.error) for message in wrong), (wrong, outcome.error)
        return
    if result is REJECTED:
        # the one refusal of valid input: a k-means start needs K distinct time steps
        assert kwargs.broken is not None or "fewer distinct time steps than n_states" in str(outcome.error), (
            outcome.error
        )
        return
    T = len(X)
    d = None if emission == "categorical" else np.asarray(X, dtype=float).reshape(T, -1).shape[1]
    check_hmm_params(result.params, n_states, emission, d)
    check_history(result.log_likelihoods, result.n_iter, max_iter_of(kwargs["max_iter"]), result.converged)
    check_simplex_rows(result.posterior.gamma, T, n_states, "gamma")
    assert result.posterior.transitions.shape == (n_states, n_states) and np.all(result.posterior.transitions >= 0)
    if kwargs["method"] == "em" and emission != "gaussian":  # Baum–Welch never lowers ℓ (book elbo-kl-thm-monotone)
        history = result.log_likelihoods
        assert np.all(np.diff(history) >= -1e-9 * np.maximum(1.0, np.abs(history[1:]))), history
    path, log_joint = outcome(
        result.model.decode,
        X if lengths is None else emlib.Sequences(np.asarray(X, dtype=float).reshape(T, -1), tuple(lengths)),
        result.params,
    )
    assert path.shape == (T,) and np.all((path >= 0) & (path < n_states)) and math.isfinite(log_joint)
    assert log_joint <= result.log_likelihoods[-1] + 1e-9 * max(1.0, abs(log_joint))  # p(x, z*) <= p(x)


HMM_PARAMS_FORMS = [
    "valid", "valid", "valid", "lists", "start sums to 1.1", "negative transition", "transition row sums to 0.9",
    "NaN start", "transition (K + 1, K + 1)", "start 2-D", "no family", "two families", "negative rate",
    "rates 1-D", "probabilities row sums to 2",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(1, 4),
    family=st.sampled_from(["gaussian", "poisson", "categorical"]),
    form=st.sampled_from(HMM_PARAMS_FORMS),
    seed=SEEDS,
)
def test_hmm_params(k, family, form, seed):
    rng = np.random.default_rng(seed)
    start, transition = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k), size=k)
    emission = {
        "gaussian": {"means": rng.normal(size=(k, 2)), "covariances": np.stack([np.eye(2)] * k)},
        "poisson": {"rates": rng.exponential(5.0, size=(k, 2))},
        "categorical": {"probabilities": rng.dirichlet(np.ones(3), size=k)},
    }[family]
    valid = form in ("valid", "lists")
    if form == "lists":
        start, transition = start.tolist(), transition.tolist()
    elif form == "start sums to 1.1":
        start = start * 1.1
    elif form == "negative transition":
        transition[0, 0] -= 1.0
    elif form == "transition row sums to 0.9":
        transition[-1] *= 0.9
    elif form == "NaN start":
        start[0] = np.nan
    elif form == "transition (K + 1, K + 1)":
        transition = np.full((k + 1, k + 1), 1.0 / (k + 1))
    elif form == "start 2-D":
        start = start[np.newaxis, :]
    elif form == "no family":
        emission = {}
    elif form == "two families":
        emission = (
            {**emission, "rates": np.ones((k, 1))} if family != "poisson" else {**emission, "means": np.ones((k, 1))}
        )
    elif form == "negative rate" and family == "poisson":
        emission["rates"][0, 0] = -1.0
    elif form == "rates 1-D" and family == "poisson":
        emission["rates"] = emission["rates"][:, 0]
    elif form == "probabilities row sums to 2" and family == "categorical":
        emission["probabilities"][0] *= 2.0
    else:
        valid = True  # the edit does not apply to this family
    params = outcome(emlib.HMMParams, start, transition, **emission)
    assert (params is not REJECTED) == valid, (form, family, outcome.__dict__.get("error"))
    if valid:
        check_hmm_params(params, k, family, 2)


@st.composite
def poisson_mixture_case(draw):
    """(counts, weights, rates, number of rows, the messages it may be refused with, empty if valid) for fit_em with a PoissonMixture."""
    n, k, d = draw(st.integers(1, 30)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(SEEDS))
    counts = rng.poisson(rng.choice([0.2, 4.0, 30.0], size=(n, d))).astype(float)
    weights, rates = rng.dirichlet(np.ones(k)), rng.exponential(5.0, size=(k, d)) + 0.01
    wrong = []
    form = draw(
        st.sampled_from(["valid", "valid", "valid", "1-D", "integers", "list", "negative", "fractional", "NaN"])
    )
    if form == "1-D" and d == 1:
        counts, rates = counts[:, 0], rates[:, 0]
    elif form == "integers":
        counts = counts.astype(int)
    elif form == "list":
        counts = counts.tolist()
    elif form in ("negative", "fractional", "NaN"):
        counts[0, 0] = {"negative": -2.0, "fractional": 1.5, "NaN": np.nan}[form]
        wrong.append("NaN or infinite" if form == "NaN" else "non-negative whole numbers")
    edit = draw(st.sampled_from(["none", "none", "none", "negative rate", "zero rate", "weights sum to 2", "columns"]))
    if edit == "negative rate":
        rates = np.array(rates)
        rates.flat[0] = -1.0
        wrong.append("rates must be non-negative")
    elif edit == "zero rate":  # valid: a component that cannot explain a positive count
        rates = np.array(rates)
        rates.flat[0] = 0.0
    elif edit == "weights sum to 2":
        weights = 2 * weights
        wrong.append("weights must sum to 1")
    elif edit == "columns":
        rates = np.ones((k, d + 1))
        wrong.append("columns but X has")
    return counts, weights, rates, n, wrong


@settings(max_examples=200, deadline=None)
@given(case=poisson_mixture_case(), data=st.data())
def test_fit_em_poisson_mixture(case, data):
    counts, weights, rates, n, wrong = case
    model = emlib.PoissonMixture()
    init = outcome(emlib.PoissonMixtureParams, weights, rates)
    kwargs = data.draw(keyword_arguments(*pick(["max_iter", "tol", "method", "callback", "trajectory"])))
    result = (
        outcome(emlib.fit_em, model, counts, init, convergence_warning_ok=True, **kwargs)
        if init is not REJECTED
        else REJECTED
    )
    if init is REJECTED:
        assert any(message in str(outcome.error) for message in wrong), (wrong, outcome.error)
        return
    check_rejected_if_broken(result, kwargs)
    if wrong:
        assert result is REJECTED, f"{wrong}: accepted"
        if kwargs.broken is None:
            assert any(message in str(outcome.error) for message in wrong), (wrong, outcome.error)
        return
    if result is REJECTED:  # valid input refused: only when the start explains no component of some row
        assert (
            kwargs.broken is not None
            or "probability zero" in str(outcome.error)
            or "log-likelihood" in str(outcome.error)
        ), outcome.error
        return
    k = init.n_components
    assert isinstance(result.params, emlib.PoissonMixtureParams) and result.params.n_components == k
    check_simplex(result.params.weights, k, "weights")
    assert np.all(check_finite(result.params.rates, init.rates.shape, "rates") >= 0)
    check_em_result(
        result, kwargs["method"], max_iter_of(kwargs["max_iter"]), n, k, kwargs["callback"], kwargs["trajectory"]
    )
    if kwargs["method"] == "em":
        history = result.log_likelihoods
        assert np.all(np.diff(history) >= -1e-9 * np.maximum(1.0, np.abs(history[1:]))), history
    size = data.draw(st.integers(0, 20), label="n_samples")
    drawn, labels = model.sample(result.params, size, 0)
    assert drawn.shape == (size, init.n_features) and drawn.dtype.kind in "iu"
    check_labels_of(labels, size, result.params)
