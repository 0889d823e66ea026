"""Bad input, row by row, for every public function that takes it.

``ROWS`` is the table of the API page of the book (``book/api.md``, section "What emlib does
with bad input"): each row says how to break one argument, which exception must follow, and a
regular expression that the message must match. The regular expression names the argument
(``{arg}`` stands for its name in the function called: ``params`` is ``init`` in ``fit_gmm`` and
``fit_em``, ``responsibilities`` is ``q`` in ``elbo`` and ``posterior_kl``, ``rng`` is
``random_state`` in ``fit_gmm``, ``z`` is ``previous`` in ``hard_assignments``, ``n`` is
``n_samples`` in the models' and the result's ``sample``). ``TARGETS`` lists the public functions
with the arguments each takes; every row is run against every function that takes its argument,
and each case checks that the function did receive the bad argument.

A row whose ``error`` is ``None`` is input that must be *accepted*: the call must succeed and
give the same result as the float64 array it stands for.

The book's table and this one are checked against each other (``test_book_table_lists_every_row``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.sparse

import emlib
from emlib import gradient
from emlib.priors import ConjugatePrior

# ---------------------------------------------------------------------------------------------
# Good arguments: two clusters of four points in 2-D (integer-valued, so that the integer-array
# row is exact), K = 2 components. Every call is cheap, including the finite-difference Jacobian.
# ---------------------------------------------------------------------------------------------
X_INT = np.array([[0, 0], [1, 2], [2, 0], [0, 1], [10, 10], [11, 12], [12, 10], [10, 11]])
X = X_INT.astype(np.float64)
N = X.shape[0]
WEIGHTS = np.array([0.5, 0.5])
MEANS = np.array([[1.0, 1.0], [11.0, 11.0]])
COVARIANCES = np.stack([1.5 * np.eye(2), 1.5 * np.eye(2)])
PARAMS = emlib.GMMParams(WEIGHTS, MEANS, COVARIANCES)
PARAMS_1D = emlib.GMMParams(WEIGHTS, [[1.0], [11.0]], [[[1.5]], [[1.5]]])
PARAMS_ZERO_WEIGHT = emlib.GMMParams([1.0, 0.0], MEANS, COVARIANCES)
PARAMS_ONE = emlib.GMMParams([1.0], [[6.0, 6.0]], [30.0 * np.eye(2)])
PARAMS_101D = emlib.GMMParams(WEIGHTS, np.zeros((2, 101)), np.stack([np.eye(101)] * 2))
ONE_HOT_INT = np.repeat(np.eye(2, dtype=int), N // 2, axis=0)
RESPONSIBILITIES = emlib.e_step(X, PARAMS)
LABELS = np.repeat([0, 1], N // 2)
SAMPLE_WEIGHT_INT = np.array([1, 2, 1, 1, 3, 1, 1, 2])
MODEL = emlib.GaussianMixtureModel("full", reg_covar=1e-3)
FIT = emlib.fit_gmm(X, 2, init=PARAMS, reg_covar=1e-3)  # an EMResult, for its methods
COINS = emlib.BinomialMixture(n_trials=10)
COIN_PARAMS = emlib.BinomialMixtureParams([0.5, 0.5], [0.3, 0.7])
# factor analysis and PPCA (emlib.factor_analysis): 8 rows (so the sample_weight rows apply), 4 columns
FA_X_INT = np.array(
    [
        [-7, -5, -7, -5],
        [-9, -4, -5, -3],
        [-3, -2, -5, 0],
        [-3, 3, 1, -1],
        [2, 0, 1, 0],
        [5, 4, 1, 0],
        [7, 4, 1, 5],
        [6, 3, 4, 4],
    ]
)
FA_X = FA_X_INT.astype(np.float64)
FA_PARAMS = emlib.FactorParams(FA_X.mean(axis=0), np.ones((4, 1)), np.full(4, 2.0))
LINKAGE = emlib.GeneticLinkage()
RAO_COUNTS = np.array(emlib.linkage.RAO_COUNTS)
X_MISSING = X.copy()
X_MISSING[1, 1] = np.nan  # X with one entry missing (for missing="em")

GOOD: dict[str, Any] = {
    "X": X,
    "params": PARAMS,
    "params_old": PARAMS,
    "responsibilities": RESPONSIBILITIES,
    "z": LABELS,
    "n_components": 2,
    "covariance_type": "full",
    "reg_covar": 1e-3,
    "sample_weight": None,
    "tol": 1e-6,
    "max_iter": 100,
    "method": "em",
    "callback": None,
    "init": "k-means++",
    "step": 1e-5,
    "model": MODEL,
    "n": 5,  # n_samples in the sample methods
    "rng": 0,  # random_state in fit_gmm
    "n_init": 1,
    "covariance_prior": None,
    "weights": WEIGHTS,
    "means": MEANS,
    "covariances": COVARIANCES,
    "prior": None,
    "stopping": "increment",
    "verbose": False,
    "grid": [1, 2],  # n_components of select_gmm
    "covariance_types": ("full", "diag"),
    "criterion": "bic",
    "extra": {},  # select_gmm's keyword arguments for fit_gmm
    "prior_mean": None,
    "shrinkage": 0.01,
    "dof": None,
    "prior_scale": None,
    "dirichlet": 1.0,
    # factor analysis and PPCA (fit_factor_analysis, fit_ppca, FactorParams, FactorAnalysisModel)
    "fa_X": FA_X,
    "n_factors": 1,
    "fa_method": "em",
    "fa_init": None,
    "fa_rng": 0,
    "fa_params": FA_PARAMS,
    "fa_mean": np.zeros(4),
    "loadings": np.ones((4, 1)),
    "noise_variances": np.ones(4),
    "noise": "diagonal",
    "cells": np.repeat(np.arange(4), RAO_COUNTS),  # X of GeneticLinkage: Rao's 197 animals
    "pi": 0.5,
    "counts": RAO_COUNTS,
    # entries missing at random (emlib.missing)
    "missing": "error",
    "X_missing": X_MISSING,
}


# ---------------------------------------------------------------------------------------------
# The public functions, and the arguments (and tags) each takes
# ---------------------------------------------------------------------------------------------
class Target(NamedTuple):
    call: Callable[[dict], Any]
    takes: frozenset
    names: dict  # argument -> its name in this function, where it differs


def target(call, *takes, **names):
    return Target(call, frozenset(takes), names)


def _set_model_attributes(a: dict) -> emlib.GaussianMixtureModel:
    model = emlib.GaussianMixtureModel()
    model.covariance_type = a["covariance_type"]
    model.reg_covar = a["reg_covar"]
    model.covariance_prior = a["covariance_prior"]
    return model


def _fit_model_with_prior(a: dict) -> emlib.EMResult:
    """fit_em of a GaussianMixtureModel built from reg_covar and covariance_prior: Ψ meets X."""
    model = emlib.GaussianMixtureModel(reg_covar=a["reg_covar"], covariance_prior=a["covariance_prior"])
    return emlib.fit_em(model, X, PARAMS)


def _gradient_target(name: str, *, step: bool = False) -> Target:
    function = getattr(gradient, name)
    if step:
        return target(
            lambda a: function(a["X"], a["params"], step=a["step"], sample_weight=a["sample_weight"]),
            "X",
            "params",
            "step",
            "sample_weight",
            "derivative",
        )
    return target(
        lambda a: function(a["X"], a["params"], sample_weight=a["sample_weight"]),
        "X",
        "params",
        "sample_weight",
        "derivative",
    )


def _fa_summary(result: emlib.EMResult) -> tuple:
    """What a factor-model fit is compared by: its parameters, log-likelihoods and iteration count."""
    return (result.params, result.log_likelihoods, result.n_iter)


TARGETS: dict[str, Target] = {
    "log_likelihood": target(
        lambda a: emlib.log_likelihood(a["X"], a["params"], sample_weight=a["sample_weight"], missing=a["missing"]),
        "X",
        "params",
        "sample_weight",
        "missing",
    ),
    "component_log_densities": target(lambda a: emlib.component_log_densities(a["X"], a["params"]), "X", "params"),
    "e_step": target(lambda a: emlib.e_step(a["X"], a["params"], missing=a["missing"]), "X", "params", "missing"),
    "m_step": target(
        lambda a: emlib.m_step(
            a["X"],
            a["responsibilities"],
            covariance_type=a["covariance_type"],
            reg_covar=a["reg_covar"],
            covariance_prior=a["covariance_prior"],
            sample_weight=a["sample_weight"],
        ),
        "X",
        "responsibilities",
        "covariance_type",
        "reg_covar",
        "covariance_prior",
        "sample_weight",
        "prior meets X",
    ),
    # fit_gmm from given parameters (init=params) ...
    "fit_gmm": target(
        lambda a: emlib.fit_gmm(
            a["X"],
            a["n_components"],
            covariance_type=a["covariance_type"],
            init=a["params"],
            max_iter=a["max_iter"],
            tol=a["tol"],
            reg_covar=a["reg_covar"],
            sample_weight=a["sample_weight"],
            method=a["method"],
            callback=a["callback"],
            random_state=a["rng"],  # checked even though init is given
            n_init=a["n_init"],
            prior=a["prior"],
            stopping=a["stopping"],
            verbose=a["verbose"],
            missing=a["missing"],
        ),
        "X",
        "params",
        "missing",
        "n_components",
        "covariance_type",
        "max_iter",
        "tol",
        "reg_covar",
        "sample_weight",
        "method",
        "callback",
        "rng",
        "n_init",
        "prior",
        "stopping",
        "verbose",
        params="init",
        rng="random_state",
    ),
    # ... and from k-means++ seeding, where init and random_state are used.
    "fit_gmm[k-means++]": target(
        lambda a: emlib.fit_gmm(a["X"], a["n_components"], init=a["init"], random_state=a["rng"], n_init=a["n_init"]),
        "X",
        "n_components",
        "init",
        "rng",
        "n_init",
        "seeding",
        rng="random_state",
    ),
    "elbo": target(
        lambda a: emlib.elbo(a["X"], a["params"], a["responsibilities"], sample_weight=a["sample_weight"]),
        "X",
        "params",
        "responsibilities",
        "sample_weight",
        responsibilities="q",
    ),
    "posterior_kl": target(
        lambda a: emlib.posterior_kl(a["X"], a["params"], a["responsibilities"], sample_weight=a["sample_weight"]),
        "X",
        "params",
        "responsibilities",
        "sample_weight",
        responsibilities="q",
    ),
    "complete_log_likelihood": target(
        lambda a: emlib.complete_log_likelihood(a["X"], a["z"], a["params"], sample_weight=a["sample_weight"]),
        "X",
        "params",
        "z",
        "sample_weight",
    ),
    "expected_complete_log_likelihood": target(
        lambda a: emlib.expected_complete_log_likelihood(
            a["X"], a["params"], a["params_old"], sample_weight=a["sample_weight"]
        ),
        "X",
        "params",
        "params_old",
        "sample_weight",
    ),
    "hard_assignments": target(
        lambda a: emlib.hard_assignments(a["X"], a["params"], previous=a["z"]), "X", "params", "z", z="previous"
    ),
    "log_likelihood_gradient": _gradient_target("log_likelihood_gradient"),
    "projection_matrix": _gradient_target("projection_matrix"),
    "projected_gradient": _gradient_target("projected_gradient"),
    "em_map": _gradient_target("em_map"),
    "em_map_jacobian": _gradient_target("em_map_jacobian", step=True),
    "convergence_rate": _gradient_target("convergence_rate"),
    "observed_information": _gradient_target("observed_information", step=True),
    "complete_information": _gradient_target("complete_information"),
    "GMMParams": target(
        lambda a: emlib.GMMParams(a["weights"], a["means"], a["covariances"]), "weights", "means", "covariances"
    ),
    "GaussianMixtureModel": target(
        lambda a: emlib.GaussianMixtureModel(
            a["covariance_type"], a["reg_covar"], a["covariance_prior"], prior=a["prior"]
        ),
        "covariance_type",
        "reg_covar",
        "covariance_prior",
        "prior",
    ),
    # the model's attributes are validated whenever they are set, not only by the constructor
    "GaussianMixtureModel attributes": target(
        _set_model_attributes, "covariance_type", "reg_covar", "covariance_prior"
    ),
    "fit_em": target(
        lambda a: emlib.fit_em(
            a["model"],
            a["X"],
            a["params"],
            method=a["method"],
            max_iter=a["max_iter"],
            tol=a["tol"],
            sample_weight=a["sample_weight"],
            callback=a["callback"],
            stopping=a["stopping"],
        ),
        "model",
        "X",
        "params",
        "method",
        "max_iter",
        "tol",
        "sample_weight",
        "callback",
        "stopping",
        params="init",
    ),
    # a GaussianMixtureModel's covariance_prior is checked against X when the model is fitted
    "fit_em[GaussianMixtureModel(covariance_prior)]": target(
        _fit_model_with_prior, "reg_covar", "covariance_prior", "prior meets X"
    ),
    "GaussianMixtureModel.sample": target(
        lambda a: MODEL.sample(a["params"], a["n"], a["rng"]), "params", "n", "rng", n="n_samples"
    ),
    "BinomialMixture.sample": target(lambda a: COINS.sample(COIN_PARAMS, a["n"], a["rng"]), "n", "rng", n="n_samples"),
    "EMResult.predict": target(lambda a: FIT.predict(a["X"]), "X", "fitted"),
    "EMResult.bic": target(lambda a: FIT.bic(a["X"], sample_weight=a["sample_weight"]), "X", "sample_weight", "fitted"),
    "EMResult.sample": target(lambda a: FIT.sample(a["n"], a["rng"]), "n", "rng", n="n_samples"),
    "select_gmm": target(
        lambda a: emlib.select_gmm(
            a["X"],
            a["grid"],
            a["covariance_types"],
            a["criterion"],
            verbose=a["verbose"],
            sample_weight=a["sample_weight"],
            random_state=0,
            **a["extra"],
        ),
        "X",
        "grid",
        "covariance_types",
        "criterion",
        "verbose",
        "sample_weight",
        "extra",
        grid="n_components",
        extra="select_gmm",
    ),
    "ConjugatePrior": target(
        lambda a: ConjugatePrior(
            mean=a["prior_mean"],
            shrinkage=a["shrinkage"],
            dof=a["dof"],
            scale=a["prior_scale"],
            dirichlet=a["dirichlet"],
        ),
        "prior_mean",
        "shrinkage",
        "dof",
        "prior_scale",
        "dirichlet",
        prior_mean="ConjugatePrior mean",
        shrinkage="ConjugatePrior shrinkage",
        dof="ConjugatePrior dof",
        prior_scale="ConjugatePrior scale",
        dirichlet="ConjugatePrior dirichlet",
    ),
    # a ConjugatePrior's mean and scale are checked against X when it is resolved for a fit
    "fit_em[GeneticLinkage]": target(
        lambda a: emlib.fit_em(LINKAGE, a["cells"], emlib.LinkageParams(a["pi"])), "cells", "pi", cells="X"
    ),
    "LinkageParams": target(lambda a: emlib.LinkageParams(a["pi"]), "pi"),
    "GeneticLinkage.maximum_likelihood": target(
        lambda a: emlib.GeneticLinkage.maximum_likelihood(a["counts"]), "counts"
    ),
    "GeneticLinkage.information": target(
        lambda a: emlib.GeneticLinkage.information(a["counts"], emlib.LinkageParams(a["pi"])), "counts", "pi"
    ),
    # factor analysis and PPCA: results compared through their parameters and log-likelihoods
    **{
        name: target(
            lambda a, function=function: _fa_summary(
                function(
                    a["fa_X"],
                    a["n_factors"],
                    method=a["fa_method"],
                    init=a["fa_init"],
                    max_iter=a["max_iter"],
                    tol=a["tol"],
                    random_state=a["fa_rng"],
                    sample_weight=a["sample_weight"],
                    callback=a["callback"],
                    stopping=a["stopping"],
                )
            ),
            "fa_X",
            "n_factors",
            "fa_method",
            "fa_init",
            "max_iter",
            "tol",
            "fa_rng",
            "sample_weight",
            "callback",
            "stopping",
            "factor fit",
            fa_X="X",
            n_factors=factors,
            fa_method="method",
            fa_init="init",
            fa_rng="random_state",
        )
        for name, function, factors in (
            ("fit_factor_analysis", emlib.fit_factor_analysis, "n_factors"),
            ("fit_ppca", emlib.fit_ppca, "n_components"),
        )
    },
    "ppca_maximum_likelihood": target(
        lambda a: emlib.ppca_maximum_likelihood(a["fa_X"], a["n_factors"], sample_weight=a["sample_weight"]),
        "fa_X",
        "n_factors",
        "sample_weight",
        fa_X="X",
        n_factors="n_components",
    ),
    "FactorParams": target(
        lambda a: emlib.FactorParams(a["fa_mean"], a["loadings"], a["noise_variances"]),
        "fa_mean",
        "loadings",
        "noise_variances",
        fa_mean="mean",
    ),
    "FactorAnalysisModel": target(lambda a: emlib.FactorAnalysisModel(a["noise"]), "noise"),
    "FactorAnalysisModel.log_likelihood": target(
        lambda a: emlib.FactorAnalysisModel().log_likelihood(
            a["fa_X"], a["fa_params"], sample_weight=a["sample_weight"]
        ),
        "fa_X",
        "fa_params",
        "sample_weight",
        fa_X="X",
        fa_params="params",
    ),
    "FactorAnalysisModel.posterior": target(
        lambda a: emlib.FactorAnalysisModel().posterior(a["fa_X"], a["fa_params"]),
        "fa_X",
        "fa_params",
        fa_X="X",
        fa_params="params",
    ),
    "fit_em[FactorAnalysisModel]": target(
        lambda a: _fa_summary(emlib.fit_em(emlib.FactorAnalysisModel(), a["fa_X"], a["fa_params"], max_iter=200)),
        "fa_X",
        "fa_params",
        fa_X="X",
        fa_params="init",
    ),
    "ConjugatePrior.resolve": target(
        lambda a: ConjugatePrior(mean=a["prior_mean"], scale=a["prior_scale"]).resolve(X, 2, "full"),
        "prior_mean",
        "prior_scale",
        "conjugate prior meets X",
        prior_mean="ConjugatePrior mean",
        prior_scale="ConjugatePrior scale",
    ),
    "datasets.sample_gmm": target(
        lambda a: emlib.datasets.sample_gmm(a["params"], a["n"], a["rng"]), "params", "n", "rng"
    ),
    # entries missing at random: X_missing is X with NaN entries, passed with missing="em"
    "fit_gmm[missing]": target(
        lambda a: emlib.fit_gmm(a["X_missing"], 2, init=PARAMS, max_iter=0, missing="em"),
        "X_missing",
        "fitting with missing",
        X_missing="X",
    ),
    "log_likelihood[missing]": target(
        lambda a: emlib.log_likelihood(a["X_missing"], PARAMS, missing="em"), "X_missing", X_missing="X"
    ),
    "e_step[missing]": target(lambda a: emlib.e_step(a["X_missing"], PARAMS, missing="em"), "X_missing", X_missing="X"),
    "missing.conditional_moments": target(
        lambda a: emlib.missing.conditional_moments(a["X_missing"], PARAMS), "X_missing", X_missing="X"
    ),
    "GaussianMixture.fit": target(
        lambda a: emlib.GaussianMixture(2, missing=a["missing"], random_state=0).fit(a["X"]), "missing"
    ),
    "GaussianMixture(missing).fit": target(
        lambda a: emlib.GaussianMixture(1, missing="em", random_state=0).fit(a["X_missing"]),
        "X_missing",
        "fitting with missing",
        X_missing="X",
    ),
}


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Row:
    id: str
    book: str  # the "input" cell of the book's table that this row belongs to
    description: str
    argument: str  # the argument that is bad: its name must appear in the message
    bad: Callable[[], dict]  # the arguments to change, as {argument: bad value}
    error: type | None  # None: the input is accepted (and converted)
    match: str = ""  # regular expression for the message; {arg} is the argument's name
    needs: frozenset = frozenset()  # what a function must take for the row to apply (default: argument)
    exclude: tuple = ()  # functions the row does not apply to
    same_as: Callable[[], dict] = dict  # accepted rows: the float64 arguments they stand for

    def applies_to(self, name: str) -> bool:
        needs = self.needs or frozenset([self.argument])
        return needs <= TARGETS[name].takes and name not in self.exclude


def _with(array, index, value):
    array = np.array(array, dtype=np.float64)
    array[index] = value
    return array


def _ignore(*args):
    """A callback that does nothing."""


# The "input" cells of the book's table.
B_NONFINITE_X = "NaN, `inf` or `-inf` in `X`"
B_NDIM_X = "`X` with 0, 1 or 3 dimensions"
B_MISSING_VALUE = 'An unknown `missing` (`"drop"`, `None` or `True`)'
B_MISSING_NAN = 'NaN in `X` with `missing="em"`'
B_MISSING_INF = '`inf` or `-inf` in `X` with `missing="em"`'
B_MISSING_ROW = 'A row of `X` with every entry NaN, with `missing="em"`'
B_MISSING_COLUMN = 'A column of `X` with every entry NaN (in the rows of positive weight), with `missing="em"`'
B_MISSING_PRIOR = '`prior` given with `missing="em"`'
B_EMPTY_X = "An empty `X` (no rows or no columns)"
B_RAGGED_X = "`X` a ragged nested list"
B_CONVERTED_X = "`X` a list of lists, an integer array or a Fortran-ordered array"
B_DTYPE_X = "`X` complex, object, boolean or string"
B_MASKED_X = "`X` a masked array with masked entries"
B_SPARSE_X = "`X` a scipy sparse matrix"
B_SCALE_X = "`X` whose spread is beyond about 1e±150"
B_FIT_X = "`X` with another number of columns than the fitted parameters"
B_PARAMS_TYPE = "`params` or `params_old` not an `emlib.GMMParams`"
B_PARAMS_DIM = "`params` or `params_old` whose dimension is not the number of columns of `X`"
B_PARAMS_OLD_K = "`params_old` with another number of components than `params`"
B_PARAMS_ZERO = "`params` with a component of weight 0"
B_INIT = "`init` neither a `GMMParams` nor the name of a start in `emlib.starts.STARTS`"
B_INIT_K = "`init` with another number of components than `n_components`, or with `n_init` > 1"
B_K_VALUE = "`n_components` of 0 or −1"
B_K_TYPE = '`n_components` of 2.5, `True`, `"2"` or `None`'
B_K_NUMPY = "`n_components` a NumPy integer"
B_K_ROWS = "Fewer rows in `X` than `n_components`"
B_K_DISTINCT = "Fewer distinct rows in `X` than `n_components` (constant data, for example)"
B_N_INIT = "`n_init` of 0, 2.5 or `True`"
B_W_NEGATIVE = "`weights` negative"
B_W_SUM = "`weights` not summing to one (by more than 1e-8)"
B_W_FLOAT32 = "`weights` normalised in float32"
B_P_NONFINITE = "NaN or `inf` in `weights`, `means` or `covariances`"
B_P_SHAPE = "`weights`, `means` or `covariances` of the wrong shape"
B_C_ASYMMETRIC = "`covariances` not symmetric"
B_C_NOT_PD = "`covariances` not positive definite"
B_P_CONVERTED = "`weights`, `means`, `covariances` nested lists or integer arrays"
B_SW_LENGTH = "`sample_weight` of the wrong length"
B_SW_NEGATIVE = "`sample_weight` negative"
B_SW_NONFINITE = "`sample_weight` NaN or `inf`"
B_SW_ZERO = "`sample_weight` all zero"
B_SW_NDIM = "`sample_weight` not 1-D"
B_SW_CONVERTED = "`sample_weight` a list or an integer array"
B_SW_OVERFLOW = "`sample_weight` summing beyond the range of float64"
B_R_ROWS = "`responsibilities` or `q` with a row count other than `X`'s"
B_R_SIMPLEX = "`responsibilities` or `q` negative, NaN, or with rows not summing to one"
B_R_COLUMNS = "`q` with a column count other than `params.n_components`"
B_R_CONVERTED = "`responsibilities` or `q` one-hot integer arrays"
B_Z_TYPE = "`z` not integer labels"
B_Z_VALUE = "`z` out of range or of the wrong length"
B_TOL_REG = "`tol` or `reg_covar` negative or NaN"
B_REAL_TYPE = "`tol` or `reg_covar` not a number"
B_PRIOR_SHAPE = "`covariance_prior` not a 2-D array, or not of shape (D, D)"
B_PRIOR_VALUE = "`covariance_prior` NaN, not symmetric or not positive definite"
B_PRIOR_REG = "`covariance_prior` given with `reg_covar` > 0"
B_REG_NONE = "`reg_covar=None` in `m_step`"
B_MAX_ITER = "`max_iter` negative"
B_MAX_ITER_TYPE = "`max_iter` of 2.5 or `True`"
B_COV_TYPE = "An unknown `covariance_type`"
B_METHOD = 'An unknown `method` (`"soft"`, its name before 0.2.0, included)'
B_CALLBACK = "`callback` not callable"
B_CALLBACK_OK = "`callback` a callable"
B_RNG_TYPE = "`random_state` or `rng` not a Generator or an integer seed"
B_RNG_NEGATIVE = "`random_state` or `rng` a negative seed"
B_N = "`n` or `n_samples` of −1"
B_N_TYPE = "`n` or `n_samples` of 2.5 or `True`"
B_MODEL = "`model` not an `emlib.LatentVariableModel`"
B_STEP = "`step` 0, negative, NaN or `inf`"
B_STEP_TYPE = "`step` not a number"
B_DENSE = "`params` too large for the dense diagnostics (more than 256 MiB)"
B_GRADIENT_MONOTONE = (
    '`method="ecg"` or `"hybrid"` with an absolute `reg_covar` (an M-step that maximises no objective)'
)
B_PRIOR_ARG = '`prior` not `None`, `"default"` or a `ConjugatePrior`'
B_PRIOR_BOTH = "`prior` given with `reg_covar` > 0"
B_STOPPING = "An unknown `stopping` rule"
B_VERBOSE = "`verbose` not `True` or `False` (`fit_gmm`, `select_gmm`)"
B_GRID_TYPE = "`n_components` of `select_gmm` not an iterable of integers"
B_GRID_VALUE = "`n_components` of `select_gmm` empty, repeating a value, or with an entry below 1"
B_TYPES_TYPE = '`covariance_types` a string such as `"full"`'
B_TYPES_VALUE = "`covariance_types` empty, repeating a type, or with an unknown type"
B_CRITERION = "An unknown `criterion`"
B_EXTRA = "A keyword of `select_gmm` that it sets itself (`covariance_type`) or that `fit_gmm` does not take"
B_CP_POSITIVE = "`ConjugatePrior` `shrinkage` or `dof` zero, negative, NaN or `inf`"
B_CP_TYPE = "`ConjugatePrior` `shrinkage`, `dof` or `dirichlet` not a number"
B_CP_DIRICHLET = "`ConjugatePrior` `dirichlet` below 1"
B_CP_SCALE = "`ConjugatePrior` `scale` not symmetric or not positive definite"
B_CP_MEETS_X = "`ConjugatePrior` `mean` or `scale` of another dimension than `X`"
B_GRADIENT_SCORE = '`method="ecg"` or `"hybrid"` with a `model` that has no `score`'
B_METHOD_PIECES = (
    '`method="hard"` or `"squarem"` with a `model` that has no hard E-step (`classification`) or no'
    " `flatten` and `unflatten`"
)
B_LK_CELLS = "`X` of `GeneticLinkage` not cell indices 0 to 3 (4, −1 or 0.5), or empty"
B_LK_BOUNDARY = "`X` of `GeneticLinkage` with no animal in cells 1 and 2, or none in cells 0 and 3"
B_LK_PI = "`pi` of `LinkageParams` 0, 1, negative or NaN"
B_LK_PI_TYPE = "`pi` of `LinkageParams` not a number"
B_LK_COUNTS_SHAPE = "`counts` not the four cell counts"
B_LK_COUNTS_VALUE = "`counts` negative, NaN, or with the maximum of the likelihood at π = 0 or 1"
B_FA_X = "`X` of a factor model (`fit_factor_analysis`, `fit_ppca`, `ppca_maximum_likelihood`, `FactorAnalysisModel`) NaN or `inf`, not 2-D, or not real numbers"
B_FA_X_CONVERTED = "`X` of a factor model a list of lists or an integer array"
B_FA_X_ROWS = "`X` of a factor model with fewer than 2 rows of positive weight, or a constant column"
B_FA_Q = "`n_factors` or `n_components` below 1, or more than the model identifies: (D − q)² < D + q for factor analysis, q ≥ D for PPCA"
B_FA_Q_TYPE = "`n_factors` or `n_components` of 2.5 or `True`"
B_FA_METHOD = '`method` of `fit_factor_analysis` or `fit_ppca` `"hard"` (z is continuous) or unknown'
B_FA_INIT = '`init` of `fit_factor_analysis` or `fit_ppca` not `None`, `"random"` or a `FactorParams`, or of another dimension or number of factors'
B_FA_INIT_PPCA = (
    "`init` of `fit_ppca` (or `params` of an isotropic `FactorAnalysisModel`) with unequal `noise_variances`"
)
B_FA_RNG = (
    "`random_state` of `fit_factor_analysis` or `fit_ppca` not `None`, a non-negative integer seed or a Generator"
)
B_FA_PARAMS = (
    "`mean`, `loadings` or `noise_variances` of `FactorParams` of mismatched shapes or NaN, or `noise_variances` <= 0"
)
B_FA_PARAMS_TYPE = "`params` of a `FactorAnalysisModel` not a `FactorParams`, or of another dimension than `X`"
B_FA_NOISE = '`noise` of `FactorAnalysisModel` not `"diagonal"` or `"isotropic"`'


class _GaussianMixtureWithoutOptionalPieces(emlib.GaussianMixtureModel):
    """A model with the interface's defaults for the hard E-step and the flat coordinates (none)."""

    classification = emlib.LatentVariableModel.classification
    flatten = emlib.LatentVariableModel.flatten
    unflatten = emlib.LatentVariableModel.unflatten


class _GaussianMixtureWithoutScore(emlib.GaussianMixtureModel):
    """A model that keeps the interface's default score (none): ECG and the hybrid cannot run it."""

    score = emlib.LatentVariableModel.score


def rows_for(book, argument, error, match, cases, **options):
    """One Row per (id, description, bad arguments) of ``cases``, all sharing the rest."""
    return [Row(id_, book, description, argument, bad, error, match, **options) for id_, description, bad in cases]


#: The methods fit_gmm and fit_em accept, as their error message lists them.
METHODS = r"must be one of \('em', 'hard', 'squarem', 'ecg', 'hybrid'\)"

ROWS: list[Row] = [
    # --- X, for every function that takes it --------------------------------------------------
    *rows_for(
        B_NONFINITE_X,
        "X",
        ValueError,
        r"\b{arg}\b.*NaN or infinite",
        [
            ("X-nan", "NaN in X", lambda: {"X": _with(X, (3, 1), np.nan)}),
            ("X-inf", "inf in X", lambda: {"X": _with(X, (0, 0), np.inf)}),
            ("X-neginf", "-inf in X", lambda: {"X": _with(X, (7, 1), -np.inf)}),
        ],
    ),
    # --- entries missing at random (missing="em", emlib.missing) ---------------------------------
    *rows_for(
        B_MISSING_VALUE,
        "missing",
        ValueError,
        r"\b{arg}\b must be one of \('error', 'em'\)",
        [
            ("missing-drop", "missing 'drop'", lambda: {"missing": "drop"}),
            ("missing-none", "missing None", lambda: {"missing": None}),
            ("missing-true", "missing True", lambda: {"missing": True}),
        ],
    ),
    *rows_for(
        B_MISSING_NAN,
        "X_missing",
        None,
        "",
        [("X_missing-list", "X with NaN as a list of lists", lambda: {"X_missing": X_MISSING.tolist()})],
        same_as=lambda: {"X_missing": X_MISSING},
        exclude=("GaussianMixture(missing).fit",),
    ),
    *rows_for(
        B_MISSING_INF,
        "X_missing",
        ValueError,
        r"\b{arg}\b contains infinite values \(at index \(\d+, \d+\)\); with missing='em' only NaN marks a missing",
        [
            ("X_missing-inf", "inf beside a NaN", lambda: {"X_missing": _with(X_MISSING, (0, 0), np.inf)}),
            ("X_missing-neginf", "-inf beside a NaN", lambda: {"X_missing": _with(X_MISSING, (5, 1), -np.inf)}),
        ],
    ),
    *rows_for(
        B_MISSING_ROW,
        "X_missing",
        ValueError,
        r"\b{arg}\b has 1 row\(s\) with every entry missing \(NaN\): rows 6\. .*drop it",
        [("X_missing-row", "row 6 all NaN", lambda: {"X_missing": _with(X_MISSING, 6, np.nan)})],
    ),
    *rows_for(
        B_MISSING_COLUMN,
        "X_missing",
        ValueError,
        r"column 0 of \b{arg}\b has every entry missing \(NaN\) in the rows of positive sample_weight.*drop the column",
        [
            (
                "X_missing-column",
                "column 0 all NaN",
                lambda: {"X_missing": np.column_stack([np.full(N, np.nan), X[:, 1]])},
            )
        ],
        needs=frozenset({"X_missing", "fitting with missing"}),
    ),
    *rows_for(
        B_MISSING_PRIOR,
        "prior",
        ValueError,
        r"\b{arg}\b \(the conjugate prior\) is not available with missing='em'",
        [
            (
                "prior-missing",
                "prior 'default' with missing='em'",
                lambda: {"prior": "default", "missing": "em", "reg_covar": None},
            )
        ],
        needs=frozenset({"prior", "missing"}),
        exclude=("fit_gmm[dask]",),  # on a Dask array neither is available: B_DASK_OPTIONS
    ),
    *rows_for(
        B_NDIM_X,
        "X",
        ValueError,
        r"\b{arg}\b must be a 2-D array",
        [
            ("X-0d", "X a scalar", lambda: {"X": 1.0}),
            ("X-1d", "X 1-D", lambda: {"X": X[:, 0]}),
            ("X-3d", "X 3-D", lambda: {"X": X[np.newaxis]}),
        ],
    ),
    *rows_for(
        B_EMPTY_X,
        "X",
        ValueError,
        r"\b{arg}\b must have at least one row and one column",
        [
            ("X-no-rows", "X with no rows", lambda: {"X": np.empty((0, 2))}),
            ("X-no-columns", "X with no columns", lambda: {"X": np.empty((N, 0))}),
        ],
    ),
    *rows_for(
        B_RAGGED_X,
        "X",
        ValueError,
        r"\b{arg}\b must be a rectangular",
        [
            ("X-ragged", "X a ragged list of lists", lambda: {"X": [[1.0, 2.0], [3.0]]}),
        ],
    ),
    *rows_for(
        B_CONVERTED_X,
        "X",
        None,
        "",
        [
            ("X-list", "X a list of lists", lambda: {"X": X.tolist()}),
            ("X-int", "X an integer array", lambda: {"X": X_INT}),
            ("X-fortran", "X a Fortran-ordered array", lambda: {"X": np.asfortranarray(X)}),
        ],
    ),
    *rows_for(
        B_DTYPE_X,
        "X",
        TypeError,
        r"\b{arg}\b must hold real numbers",
        [
            ("X-complex", "X complex", lambda: {"X": X + 0j}),
            ("X-object", "X an object array", lambda: {"X": X.astype(object)}),
            ("X-bool", "X boolean", lambda: {"X": X > 5}),
            ("X-str", "X strings", lambda: {"X": X.astype(str)}),
        ],
    ),
    *rows_for(
        B_MASKED_X,
        "X",
        ValueError,
        r"\b{arg}\b is a masked array with masked entries",
        [
            ("X-masked", "a masked -999 in X", lambda: {"X": np.ma.masked_equal(_with(X, (2, 1), -999.0), -999.0)}),
        ],
    ),
    *rows_for(
        B_SPARSE_X,
        "X",
        TypeError,
        r"\b{arg}\b is a scipy sparse matrix",
        [
            ("X-sparse", "X a CSR matrix", lambda: {"X": scipy.sparse.csr_matrix(X)}),
        ],
    ),
    *rows_for(
        B_SCALE_X,
        "X",
        ValueError,
        r"\b{arg}\b's spread is about .* beyond the range of float64",
        [
            ("X-tiny", "X scaled by 1e-200", lambda: {"X": X * 1e-200}),
            ("X-huge", "X scaled by 1e200", lambda: {"X": X * 1e200}),
        ],
        needs=frozenset({"X", "seeding"}),
    ),
    *rows_for(
        B_FIT_X,
        "X",
        ValueError,
        r"has dimension 2 but \b{arg}\b has 3 columns",
        [
            ("X-columns-fit", "X with 3 columns for a fit with D = 2", lambda: {"X": np.hstack([X, X[:, :1]])}),
        ],
        needs=frozenset({"X", "fitted"}),
    ),
    # --- params ------------------------------------------------------------------------------
    *rows_for(
        B_PARAMS_TYPE,
        "params",
        TypeError,
        r"\b{arg}\b must be an emlib\.GMMParams",
        [
            (
                "params-tuple",
                "params a tuple (weights, means, covariances)",
                lambda: {"params": (WEIGHTS, MEANS, COVARIANCES)},
            ),
            ("params-none", "params None", lambda: {"params": None}),
        ],
        exclude=("fit_gmm", "fit_gmm[dask]"),
    ),  # fit_gmm's init also takes a string: see the init rows
    *rows_for(
        B_PARAMS_TYPE,
        "params_old",
        TypeError,
        r"\b{arg}\b must be an emlib\.GMMParams",
        [
            (
                "params_old-tuple",
                "params_old a tuple (weights, means, covariances)",
                lambda: {"params_old": (WEIGHTS, MEANS, COVARIANCES)},
            ),
            ("params_old-none", "params_old None", lambda: {"params_old": None}),
        ],
    ),
    *rows_for(
        B_PARAMS_DIM,
        "params",
        ValueError,
        r"\b{arg}\b has dimension 1 but X has 2 columns",
        [
            ("params-dimension", "params with D = 1 for X with 2 columns", lambda: {"params": PARAMS_1D}),
        ],
        needs=frozenset({"X", "params"}),
        exclude=("OnlineEM",),  # init meets X in update, named OnlineEM.params there: the B_FIT_X row
    ),
    *rows_for(
        B_PARAMS_DIM,
        "params_old",
        ValueError,
        r"\b{arg}\b has dimension 1 but X has 2 columns",
        [
            ("params_old-dimension", "params_old with D = 1 for X with 2 columns", lambda: {"params_old": PARAMS_1D}),
        ],
        needs=frozenset({"X", "params_old"}),
    ),
    *rows_for(
        B_PARAMS_OLD_K,
        "params_old",
        ValueError,
        r"\b{arg}\b has 1 components but params has 2",
        [
            ("params_old-components", "params_old with K = 1, params with K = 2", lambda: {"params_old": PARAMS_ONE}),
        ],
        needs=frozenset({"params", "params_old"}),
    ),
    *rows_for(
        B_PARAMS_ZERO,
        "params",
        ValueError,
        r"\b{arg}\b.*weights must all be positive",
        [
            ("params-zero-weight", "params with a component of weight 0", lambda: {"params": PARAMS_ZERO_WEIGHT}),
        ],
        needs=frozenset({"derivative"}),
    ),
    *rows_for(
        B_INIT,
        "init",
        ValueError,
        r"\b{arg}\b must be an emlib\.GMMParams or one of 'random', 'k-means\+\+', 'greedy-k-means\+\+',"
        r" 'k-means', 'k-means-10', 'hc', 'emEM'; got",
        [
            ("init-unknown", "init an unknown string", lambda: {"init": "kmeans"}),
            ("init-case", "init 'K-means++' (names are case-sensitive)", lambda: {"init": "K-means++"}),
            ("init-number", "init 3", lambda: {"init": 3}),
            (
                "init-tuple",
                "init a tuple (weights, means, covariances)",
                lambda: {"init": (WEIGHTS, MEANS, COVARIANCES)},
            ),
        ],
    ),
    *rows_for(
        B_INIT_K,
        "params",
        ValueError,
        r"\b{arg}\b has 1 components but n_components is 2",
        [
            ("init-components", "a one-component init for n_components 2", lambda: {"params": PARAMS_ONE}),
        ],
        needs=frozenset({"params", "n_components"}),
    ),
    *rows_for(
        B_INIT_K,
        "n_init",
        ValueError,
        r"\b{arg}\b must be 1 when init is a GMMParams",
        [
            ("n_init-with-init", "n_init 2 with init=params", lambda: {"n_init": 2}),
        ],
        needs=frozenset({"params", "n_init"}),
    ),
    # --- n_components ------------------------------------------------------------------------
    *rows_for(
        B_K_VALUE,
        "n_components",
        ValueError,
        r"\b{arg}\b must be >= 1",
        [
            ("n_components-0", "n_components 0", lambda: {"n_components": 0}),
            ("n_components-neg", "n_components -1", lambda: {"n_components": -1}),
        ],
    ),
    *rows_for(
        B_K_TYPE,
        "n_components",
        TypeError,
        r"\b{arg}\b must be an integer",
        [
            ("n_components-2.5", "n_components 2.5", lambda: {"n_components": 2.5}),
            ("n_components-True", "n_components True", lambda: {"n_components": True}),
            ("n_components-str", "n_components '2'", lambda: {"n_components": "2"}),
            ("n_components-None", "n_components None", lambda: {"n_components": None}),
        ],
    ),
    *rows_for(
        B_K_NUMPY,
        "n_components",
        None,
        "",
        [
            ("n_components-int64", "n_components np.int64(2)", lambda: {"n_components": np.int64(2)}),
        ],
    ),
    *rows_for(
        B_K_ROWS,
        "n_components",
        ValueError,
        r"\b{arg}\b \(2\) must not exceed the number of rows of X with positive sample_weight \(1\)",
        [("n_components-rows", "one row of X, two components", lambda: {"X": X[:1]})],
        needs=frozenset({"X", "n_components"}),
        exclude=("fit_variational_gmm",),  # its default prior needs a total weight above 1 first: B_VB_DEFAULT_SCALE
    ),
    *rows_for(
        B_K_DISTINCT,
        "n_components",
        ValueError,
        r"\b{arg}\b=2 exceeds the number of distinct rows of X",
        [
            ("n_components-distinct", "eight identical rows, two components", lambda: {"X": np.ones((N, 2))}),
        ],
        needs=frozenset({"X", "seeding"}),
    ),
    *rows_for(
        B_N_INIT,
        "n_init",
        ValueError,
        r"\b{arg}\b must be >= 1",
        [
            ("n_init-0", "n_init 0", lambda: {"n_init": 0}),
        ],
    ),
    *rows_for(
        B_N_INIT,
        "n_init",
        TypeError,
        r"\b{arg}\b must be an integer",
        [
            ("n_init-2.5", "n_init 2.5", lambda: {"n_init": 2.5}),
            ("n_init-True", "n_init True", lambda: {"n_init": True}),
        ],
    ),
    # --- GMMParams(weights, means, covariances) ----------------------------------------------
    *rows_for(
        B_W_NEGATIVE,
        "weights",
        ValueError,
        r"\b{arg}\b must be non-negative",
        [
            ("weights-negative", "weights (-0.5, 1.5)", lambda: {"weights": [-0.5, 1.5]}),
        ],
    ),
    *rows_for(
        B_W_SUM,
        "weights",
        ValueError,
        r"\b{arg}\b must sum to 1",
        [
            ("weights-sum-0.9", "weights (0.5, 0.4)", lambda: {"weights": [0.5, 0.4]}),
            ("weights-sum-2", "weights (1, 1)", lambda: {"weights": [1.0, 1.0]}),
        ],
    ),
    *rows_for(
        B_W_FLOAT32,
        "weights",
        None,
        "",
        [
            (
                "weights-float32",
                "weights (1, 1, 1) / 3 in float32",
                lambda: {
                    "weights": np.full(3, np.float32(1) / np.float32(3)),
                    "means": np.zeros((3, 2)),
                    "covariances": np.stack([np.eye(2)] * 3),
                },
            ),
        ],
        needs=frozenset({"weights", "means", "covariances"}),
        same_as=lambda: {
            "weights": np.full(3, 1.0 / 3.0),
            "means": np.zeros((3, 2)),
            "covariances": np.stack([np.eye(2)] * 3),
        },
    ),
    *rows_for(
        B_P_NONFINITE,
        "weights",
        ValueError,
        r"\b{arg}\b contains NaN or infinite",
        [
            ("weights-nan", "weights (NaN, 0.5)", lambda: {"weights": [np.nan, 0.5]}),
            ("weights-inf", "weights (inf, 0.5)", lambda: {"weights": [np.inf, 0.5]}),
        ],
    ),
    *rows_for(
        B_P_NONFINITE,
        "means",
        ValueError,
        r"\b{arg}\b contains NaN or infinite",
        [
            ("means-nan", "a NaN mean", lambda: {"means": _with(MEANS, (1, 0), np.nan)}),
        ],
    ),
    *rows_for(
        B_P_NONFINITE,
        "covariances",
        ValueError,
        r"\b{arg}\b contains NaN or infinite",
        [
            ("covariances-nan", "a NaN variance", lambda: {"covariances": _with(COVARIANCES, (0, 0, 0), np.nan)}),
        ],
    ),
    *rows_for(
        B_P_SHAPE,
        "weights",
        ValueError,
        r"\b{arg}\b must be a 1-D array",
        [
            ("weights-2d", "weights of shape (1, 2)", lambda: {"weights": [[0.5, 0.5]]}),
        ],
    ),
    *rows_for(
        B_P_SHAPE,
        "means",
        ValueError,
        r"\b{arg}\b must (be a 2-D array|have one row per component)",
        [
            ("means-1d", "means 1-D", lambda: {"means": MEANS[:, 0]}),
            ("means-rows", "three weights, two means", lambda: {"weights": [0.5, 0.25, 0.25]}),
        ],
    ),
    *rows_for(
        B_P_SHAPE,
        "covariances",
        ValueError,
        r"\b{arg}\b must (be a 3-D array|have shape \(K, D, D\))",
        [
            ("covariances-2d", "covariances of shape (K, D)", lambda: {"covariances": np.ones((2, 2))}),
            (
                "covariances-not-square",
                "covariances of shape (K, D, D + 1)",
                lambda: {"covariances": np.ones((2, 2, 3))},
            ),
            (
                "covariances-too-many",
                "covariances of shape (K + 1, D, D)",
                lambda: {"covariances": np.stack([np.eye(2)] * 3)},
            ),
        ],
    ),
    *rows_for(
        B_C_ASYMMETRIC,
        "covariances",
        ValueError,
        r"\b{arg}\[1\] is not symmetric",
        [
            (
                "covariances-asymmetric",
                "covariances[1] not symmetric",
                lambda: {"covariances": _with(COVARIANCES, (1, 0, 1), 0.5)},
            ),
        ],
    ),
    *rows_for(
        B_C_NOT_PD,
        "covariances",
        emlib.SingularCovarianceError,
        r"\b{arg}\[1\] is not positive definite",
        [
            (
                "covariances-indefinite",
                "covariances[1] indefinite",
                lambda: {"covariances": [np.eye(2), [[1.0, 2.0], [2.0, 1.0]]]},
            ),
            ("covariances-zero", "covariances[1] zero", lambda: {"covariances": [np.eye(2), np.zeros((2, 2))]}),
        ],
    ),
    *rows_for(
        B_P_CONVERTED,
        "weights",
        None,
        "",
        [
            (
                "params-lists",
                "weights, means, covariances as nested lists",
                lambda: {"weights": WEIGHTS.tolist(), "means": MEANS.tolist(), "covariances": COVARIANCES.tolist()},
            ),
        ],
        needs=frozenset({"weights", "means", "covariances"}),
    ),
    *rows_for(
        B_P_CONVERTED,
        "weights",
        None,
        "",
        [
            (
                "params-int",
                "integer arrays: weights (1,), means, covariances",
                lambda: {
                    "weights": np.array([1]),
                    "means": np.array([[1, 2]]),
                    "covariances": np.array([[[2, 1], [1, 2]]]),
                },
            ),
        ],
        needs=frozenset({"weights", "means", "covariances"}),
        same_as=lambda: {
            "weights": np.array([1.0]),
            "means": np.array([[1.0, 2.0]]),
            "covariances": np.array([[[2.0, 1.0], [1.0, 2.0]]]),
        },
    ),
    # --- sample_weight -------------------------------------------------------------------------
    *rows_for(
        B_SW_LENGTH,
        "sample_weight",
        ValueError,
        r"\b{arg}\b must have one entry per row of X \(8\)",
        [
            ("sample_weight-short", "N - 1 weights", lambda: {"sample_weight": np.ones(N - 1)}),
            ("sample_weight-long", "N + 1 weights", lambda: {"sample_weight": np.ones(N + 1)}),
        ],
    ),
    *rows_for(
        B_SW_NEGATIVE,
        "sample_weight",
        ValueError,
        r"\b{arg}\b must be non-negative",
        [
            ("sample_weight-negative", "one weight -1", lambda: {"sample_weight": _with(np.ones(N), 2, -1.0)}),
        ],
    ),
    *rows_for(
        B_SW_NONFINITE,
        "sample_weight",
        ValueError,
        r"\b{arg}\b contains NaN or infinite",
        [
            ("sample_weight-nan", "one weight NaN", lambda: {"sample_weight": _with(np.ones(N), 2, np.nan)}),
            ("sample_weight-inf", "one weight inf", lambda: {"sample_weight": _with(np.ones(N), 2, np.inf)}),
        ],
    ),
    *rows_for(
        B_SW_ZERO,
        "sample_weight",
        ValueError,
        r"\b{arg}\b must have a positive sum",
        [
            ("sample_weight-zero", "all weights zero", lambda: {"sample_weight": np.zeros(N)}),
        ],
    ),
    *rows_for(
        B_SW_NDIM,
        "sample_weight",
        ValueError,
        r"\b{arg}\b must be a 1-D array",
        [
            ("sample_weight-2d", "weights of shape (N, 1)", lambda: {"sample_weight": np.ones((N, 1))}),
            ("sample_weight-scalar", "a scalar weight", lambda: {"sample_weight": 1.0}),
        ],
    ),
    *rows_for(
        B_SW_CONVERTED,
        "sample_weight",
        None,
        "",
        [
            ("sample_weight-list", "weights a list", lambda: {"sample_weight": SAMPLE_WEIGHT_INT.tolist()}),
            ("sample_weight-int", "weights an integer array", lambda: {"sample_weight": SAMPLE_WEIGHT_INT}),
        ],
        same_as=lambda: {"sample_weight": SAMPLE_WEIGHT_INT.astype(np.float64)},
    ),
    *rows_for(
        B_SW_OVERFLOW,
        "sample_weight",
        ValueError,
        r"\b{arg}\b sums beyond the range of float64",
        [
            ("sample_weight-overflow", "every weight 1e308", lambda: {"sample_weight": np.full(N, 1e308)}),
        ],
    ),
    # --- responsibilities, q, z ------------------------------------------------------------------
    *rows_for(
        B_R_ROWS,
        "responsibilities",
        ValueError,
        r"\b{arg}\b must have one row per row of X \(8\)",
        [
            ("responsibilities-short", "N - 1 rows", lambda: {"responsibilities": RESPONSIBILITIES[:-1]}),
        ],
    ),
    *rows_for(
        B_R_SIMPLEX,
        "responsibilities",
        ValueError,
        r"\b{arg}\b (must be non-negative|contains NaN|must sum to 1)",
        [
            (
                "responsibilities-negative",
                "a row (1.5, -0.5)",
                lambda: {"responsibilities": _with(_with(ONE_HOT_INT, (0, 0), 1.5), (0, 1), -0.5)},
            ),
            (
                "responsibilities-nan",
                "a NaN entry",
                lambda: {"responsibilities": _with(RESPONSIBILITIES, (2, 0), np.nan)},
            ),
            ("responsibilities-sum", "rows summing to 0.5", lambda: {"responsibilities": 0.5 * RESPONSIBILITIES}),
        ],
    ),
    *rows_for(
        B_R_COLUMNS,
        "responsibilities",
        ValueError,
        r"\b{arg}\b must have one column per component \(2\)",
        [
            ("q-columns", "q with 3 columns for K = 2", lambda: {"responsibilities": np.full((N, 3), 1.0 / 3.0)}),
        ],
        needs=frozenset({"responsibilities", "params"}),
    ),
    *rows_for(
        B_R_CONVERTED,
        "responsibilities",
        None,
        "",
        [
            ("responsibilities-int", "one-hot integer array", lambda: {"responsibilities": ONE_HOT_INT}),
            ("responsibilities-list", "one-hot list of lists", lambda: {"responsibilities": ONE_HOT_INT.tolist()}),
        ],
        same_as=lambda: {"responsibilities": ONE_HOT_INT.astype(np.float64)},
    ),
    *rows_for(
        B_Z_TYPE,
        "z",
        TypeError,
        r"\b{arg}\b must be an array of integer labels",
        [
            ("z-float", "float labels", lambda: {"z": LABELS.astype(np.float64)}),
            ("z-bool", "boolean labels", lambda: {"z": LABELS.astype(bool)}),
        ],
    ),
    *rows_for(
        B_Z_VALUE,
        "z",
        ValueError,
        r"\b{arg}\b must (hold labels in 0\.\.1|have shape \(8,\))",
        [
            ("z-range", "a label 2 for K = 2", lambda: {"z": _with(LABELS, 0, 2).astype(int)}),
            ("z-negative", "a label -1", lambda: {"z": _with(LABELS, 0, -1).astype(int)}),
            ("z-length", "N - 1 labels", lambda: {"z": LABELS[:-1]}),
        ],
    ),
    # --- tol, reg_covar, covariance_prior, max_iter -------------------------------------------
    *rows_for(
        B_TOL_REG,
        "tol",
        ValueError,
        r"\b{arg}\b must be a finite number >= 0",
        [
            ("tol-negative", "tol -1e-3", lambda: {"tol": -1e-3}),
            ("tol-nan", "tol NaN", lambda: {"tol": np.nan}),
        ],
    ),
    *rows_for(
        B_TOL_REG,
        "reg_covar",
        ValueError,
        r"\b{arg}\b must be a finite number >= 0",
        [
            ("reg_covar-negative", "reg_covar -1e-3", lambda: {"reg_covar": -1e-3}),
            ("reg_covar-nan", "reg_covar NaN", lambda: {"reg_covar": np.nan}),
        ],
    ),
    *rows_for(
        B_REAL_TYPE,
        "tol",
        TypeError,
        r"\b{arg}\b must be a real number",
        [
            ("tol-str", "tol '1e-3'", lambda: {"tol": "1e-3"}),
        ],
    ),
    *rows_for(
        B_REAL_TYPE,
        "reg_covar",
        TypeError,
        r"\b{arg}\b must be a real number",
        [
            ("reg_covar-str", "reg_covar '1e-3'", lambda: {"reg_covar": "1e-3"}),
        ],
    ),
    # (the prior rows set reg_covar=None, so that only the prior is wrong)
    *rows_for(
        B_PRIOR_SHAPE,
        "covariance_prior",
        ValueError,
        r"\b{arg}\b must be a 2-D array",
        [
            (
                "covariance_prior-1d",
                "a 1-D prior (the diagonal only)",
                lambda: {"covariance_prior": np.ones(2), "reg_covar": None},
            ),
            ("covariance_prior-scalar", "a scalar prior 1e-3", lambda: {"covariance_prior": 1e-3, "reg_covar": None}),
        ],
    ),
    *rows_for(
        B_PRIOR_SHAPE,
        "covariance_prior",
        ValueError,
        r"\b{arg}\b must have shape \(2, 2\); got \(2, 3\)",
        [
            (
                "covariance_prior-not-square",
                "a (2, 3) prior",
                lambda: {"covariance_prior": np.ones((2, 3)), "reg_covar": None},
            ),
        ],
    ),
    *rows_for(
        B_PRIOR_SHAPE,
        "covariance_prior",
        ValueError,
        r"\b{arg}\b (must have shape \(2, 2\)|has shape \(3, 3\) but X has 2 columns)",
        [
            (
                "covariance_prior-shape",
                "a (3, 3) prior for D = 2",
                lambda: {"covariance_prior": np.eye(3), "reg_covar": None},
            )
        ],
        needs=frozenset({"covariance_prior", "prior meets X"}),
    ),
    *rows_for(
        B_PRIOR_VALUE,
        "covariance_prior",
        ValueError,
        r"\b{arg}\b contains NaN or infinite",
        [
            (
                "covariance_prior-nan",
                "a NaN in the prior",
                lambda: {"covariance_prior": _with(np.eye(2), (0, 0), np.nan), "reg_covar": None},
            ),
        ],
    ),
    *rows_for(
        B_PRIOR_VALUE,
        "covariance_prior",
        ValueError,
        r"\b{arg}\b must be symmetric",
        [
            (
                "covariance_prior-asymmetric",
                "a prior [[1, 0.5], [0, 1]]",
                lambda: {"covariance_prior": [[1.0, 0.5], [0.0, 1.0]], "reg_covar": None},
            ),
        ],
    ),
    *rows_for(
        B_PRIOR_VALUE,
        "covariance_prior",
        ValueError,
        r"\b{arg}\b must be positive definite",
        [
            (
                "covariance_prior-indefinite",
                "an indefinite prior",
                lambda: {"covariance_prior": [[1.0, 2.0], [2.0, 1.0]], "reg_covar": None},
            ),
            (
                "covariance_prior-zero",
                "a zero prior",
                lambda: {"covariance_prior": np.zeros((2, 2)), "reg_covar": None},
            ),
        ],
    ),
    *rows_for(
        B_PRIOR_REG,
        "covariance_prior",
        ValueError,
        r"give either \b{arg}\b or reg_covar > 0, not both",
        [
            ("covariance_prior-with-reg_covar", "a prior and reg_covar 1e-3", lambda: {"covariance_prior": np.eye(2)}),
        ],
        needs=frozenset({"covariance_prior", "reg_covar"}),
    ),
    *rows_for(
        B_REG_NONE,
        "reg_covar",
        None,
        "",
        [
            ("reg_covar-None", "reg_covar None: the data-scaled prior", lambda: {"reg_covar": None}),
        ],
        needs=frozenset({"reg_covar", "covariance_prior", "responsibilities"}),
        same_as=lambda: {"reg_covar": 0.0, "covariance_prior": 1e-6 * N * np.cov(X.T, bias=True)},
    ),
    *rows_for(
        B_MAX_ITER,
        "max_iter",
        ValueError,
        r"\b{arg}\b must be >= 0",
        [
            ("max_iter-negative", "max_iter -1", lambda: {"max_iter": -1}),
        ],
    ),
    *rows_for(
        B_MAX_ITER_TYPE,
        "max_iter",
        TypeError,
        r"\b{arg}\b must be an integer",
        [
            ("max_iter-2.5", "max_iter 2.5", lambda: {"max_iter": 2.5}),
            ("max_iter-True", "max_iter True", lambda: {"max_iter": True}),
        ],
    ),
    # --- options -------------------------------------------------------------------------------
    *rows_for(
        B_COV_TYPE,
        "covariance_type",
        ValueError,
        r"\b{arg}\b must be one of \('full', 'diag', 'spherical', 'tied'\)",
        [
            ("covariance_type-unknown", "covariance_type 'diagonal'", lambda: {"covariance_type": "diagonal"}),
            ("covariance_type-None", "covariance_type None", lambda: {"covariance_type": None}),
        ],
    ),
    *rows_for(
        B_METHOD,
        "method",
        ValueError,
        r"\b{arg}\b " + METHODS,
        [
            ("method-unknown", "method 'medium'", lambda: {"method": "medium"}),
            ("method-None", "method None", lambda: {"method": None}),
            ("method-soft", "method 'soft' (0.1's name of 'em')", lambda: {"method": "soft"}),
            ("method-SQUAREM", "method 'SQUAREM' (the names are lower case)", lambda: {"method": "SQUAREM"}),
            ("method-True", "method True", lambda: {"method": True}),
        ],
    ),
    *rows_for(
        B_CALLBACK,
        "callback",
        TypeError,
        r"\b{arg}\b must be None or callable",
        [
            ("callback-str", "callback 'print'", lambda: {"callback": "print"}),
            ("callback-True", "callback True", lambda: {"callback": True}),
        ],
    ),
    *rows_for(
        B_CALLBACK_OK,
        "callback",
        None,
        "",
        [
            ("callback-callable", "a callback that does nothing", lambda: {"callback": _ignore}),
        ],
    ),
    # --- random generators -------------------------------------------------------------------
    *rows_for(
        B_RNG_TYPE,
        "rng",
        TypeError,
        r"\b{arg}\b must be .*(Generator|seed)",
        [
            ("rng-str", "a string seed", lambda: {"rng": "seed"}),
            ("rng-float", "seed 1.5", lambda: {"rng": 1.5}),
            ("rng-True", "seed True", lambda: {"rng": True}),
        ],
    ),
    *rows_for(
        B_RNG_TYPE,
        "rng",
        TypeError,
        r"\b{arg}\b must be a numpy\.random\.Generator or .* seed; got None",
        [
            ("rng-None", "rng None: a sample must be reproducible", lambda: {"rng": None}),
        ],
        exclude=(
            "fit_gmm",
            "fit_gmm[k-means++]",
            "fit_gmm[dask]",
            "fit_gmm[dask, k-means++]",
            "fit_student_t",
            "fit_variational_gmm",
        ),
    ),  # random_state=None is a fresh seed
    *rows_for(
        B_RNG_NEGATIVE,
        "rng",
        ValueError,
        r"\b{arg}\b.*non-negative",
        [
            ("rng-negative", "seed -1", lambda: {"rng": -1}),
        ],
    ),
    # --- sample sizes, fit_em's model, the finite-difference step ---------------------------------
    *rows_for(
        B_N,
        "n",
        ValueError,
        r"\b{arg}\b must be >= 0",
        [
            ("n-negative", "n -1", lambda: {"n": -1}),
        ],
    ),
    *rows_for(
        B_N_TYPE,
        "n",
        TypeError,
        r"\b{arg}\b must be an integer",
        [
            ("n-2.5", "n 2.5", lambda: {"n": 2.5}),
            ("n-True", "n True", lambda: {"n": True}),
        ],
    ),
    *rows_for(
        B_MODEL,
        "model",
        TypeError,
        r"\b{arg}\b must be an emlib\.LatentVariableModel",
        [
            ("model-str", "model 'gmm'", lambda: {"model": "gmm"}),
            ("model-params", "model a GMMParams", lambda: {"model": PARAMS}),
        ],
    ),
    *rows_for(
        B_STEP,
        "step",
        ValueError,
        r"\b{arg}\b must be a finite number > 0",
        [
            ("step-zero", "step 0", lambda: {"step": 0.0}),
            ("step-negative", "step -1e-5", lambda: {"step": -1e-5}),
            ("step-nan", "step NaN", lambda: {"step": np.nan}),
            ("step-inf", "step inf", lambda: {"step": np.inf}),
        ],
    ),
    *rows_for(
        B_STEP_TYPE,
        "step",
        TypeError,
        r"\b{arg}\b must be a real number",
        [
            ("step-str", "step '1e-5'", lambda: {"step": "1e-5"}),
        ],
    ),
    *rows_for(
        B_DENSE,
        "params",
        ValueError,
        r"for \b{arg}\b with K=2, D=101 would need .* MiB",
        [
            ("params-dense", "D = 101 features", lambda: {"X": np.ones((N, 101)), "params": PARAMS_101D}),
        ],
        needs=frozenset({"derivative"}),
        exclude=("log_likelihood_gradient", "projected_gradient", "em_map"),
    ),
    # --- MAP-EM, stopping rules and progress (fit_gmm, fit_em, the model) -------------------
    *rows_for(
        B_PRIOR_ARG,
        "prior",
        ValueError,
        r"\b{arg}\b must be None, 'default', an emlib ConjugatePrior or ResolvedPrior; got 'flat'",
        [("prior-unknown-string", "prior 'flat'", lambda: {"prior": "flat", "reg_covar": None})],
    ),
    *rows_for(
        B_PRIOR_ARG,
        "prior",
        TypeError,
        r"\b{arg}\b must be None, 'default', an emlib ConjugatePrior or ResolvedPrior; got int",
        [("prior-number", "prior 3", lambda: {"prior": 3, "reg_covar": None})],
    ),
    *rows_for(
        B_PRIOR_BOTH,
        "prior",
        ValueError,
        r"give either \b{arg}\b or reg_covar > 0, not both",
        [
            ("prior-with-reg_covar", "prior 'default' with reg_covar 1e-3", lambda: {"prior": "default"}),
            (
                "conjugate-prior-with-reg_covar",
                "a ConjugatePrior with reg_covar 1e-3",
                lambda: {"prior": ConjugatePrior(shrinkage=0.1)},
            ),
        ],
        exclude=("fit_gmm[dask]",),  # no conjugate prior on a Dask array: B_DASK_OPTIONS
    ),
    *rows_for(
        B_STOPPING,
        "stopping",
        ValueError,
        r"\b{arg}\b must be one of \('increment', 'relative', 'aitken'\); got",
        [
            ("stopping-unknown", "stopping 'never'", lambda: {"stopping": "never"}),
            ("stopping-case", "stopping 'Aitken' (names are case-sensitive)", lambda: {"stopping": "Aitken"}),
            ("stopping-number", "stopping 3", lambda: {"stopping": 3}),
        ],
    ),
    *rows_for(
        B_VERBOSE,
        "verbose",
        TypeError,
        r"\b{arg}\b must be True or False; got",
        [
            ("verbose-int", "verbose 1", lambda: {"verbose": 1}),
            ("verbose-str", "verbose 'yes'", lambda: {"verbose": "yes"}),
        ],
    ),
    # --- select_gmm ------------------------------------------------------------------------
    *rows_for(
        B_GRID_TYPE,
        "grid",
        TypeError,
        r"\b{arg}\b must be an iterable of integers|each entry of \b{arg}\b must be an integer",
        [
            ("grid-int", "n_components 3", lambda: {"grid": 3}),
            ("grid-float-entry", "n_components [1.5]", lambda: {"grid": [1.5]}),
            ("grid-str-entry", "n_components ['2']", lambda: {"grid": ["2"]}),
        ],
    ),
    *rows_for(
        B_GRID_VALUE,
        "grid",
        ValueError,
        r"\b{arg}\b must hold at least one|\b{arg}\b must not repeat a value|each entry of \b{arg}\b must be >= 1",
        [
            ("grid-empty", "n_components []", lambda: {"grid": []}),
            ("grid-repeat", "n_components [1, 1]", lambda: {"grid": [1, 1]}),
            ("grid-zero", "n_components [0, 1]", lambda: {"grid": [0, 1]}),
        ],
    ),
    *rows_for(
        B_TYPES_TYPE,
        "covariance_types",
        TypeError,
        r"\b{arg}\b must be an iterable of names such as \('full', 'tied'\); got the string 'full'",
        [("covariance_types-string", "covariance_types 'full'", lambda: {"covariance_types": "full"})],
    ),
    *rows_for(
        B_TYPES_VALUE,
        "covariance_types",
        ValueError,
        r"\b{arg}\b must hold at least one|\b{arg}\b must not repeat a type|each entry of \b{arg}\b must be one of",
        [
            ("covariance_types-empty", "covariance_types ()", lambda: {"covariance_types": ()}),
            ("covariance_types-repeat", "covariance_types full twice", lambda: {"covariance_types": ("full", "full")}),
            ("covariance_types-unknown", "covariance_types ('banana',)", lambda: {"covariance_types": ("banana",)}),
        ],
    ),
    *rows_for(
        B_CRITERION,
        "criterion",
        ValueError,
        r"\b{arg}\b must be one of \('bic', 'icl'\); got 'aic'",
        [("criterion-aic", "criterion 'aic'", lambda: {"criterion": "aic"})],
    ),
    *rows_for(
        B_EXTRA,
        "extra",
        TypeError,
        r"\b{arg}\b sets covariance_type itself|\b{arg}\b got unexpected keyword arguments \['banana'\]",
        [
            ("extra-covariance_type", "covariance_type='full'", lambda: {"extra": {"covariance_type": "full"}}),
            ("extra-unknown", "banana=1", lambda: {"extra": {"banana": 1}}),
        ],
    ),
    # --- ConjugatePrior ----------------------------------------------------------------------
    *[
        row
        for argument in ("shrinkage", "dof")
        for row in rows_for(
            B_CP_POSITIVE,
            argument,
            ValueError,
            r"\b{arg}\b must be a finite number > 0; got",
            [
                (f"{argument}-{label}", f"{argument} {label}", lambda argument=argument, value=value: {argument: value})
                for label, value in (("0", 0.0), ("neg", -1.0), ("nan", np.nan), ("inf", np.inf))
            ],
        )
    ],
    *[
        row
        for argument in ("shrinkage", "dof", "dirichlet")
        for row in rows_for(
            B_CP_TYPE,
            argument,
            TypeError,
            r"\b{arg}\b must be a real number; got str",
            [(f"{argument}-str", f"{argument} '1'", lambda argument=argument: {argument: "1"})],
        )
    ],
    *rows_for(
        B_CP_DIRICHLET,
        "dirichlet",
        ValueError,
        r"\b{arg}\b must be >= 1 \(a Dirichlet",
        [
            ("dirichlet-half", "dirichlet 0.5", lambda: {"dirichlet": 0.5}),
            ("dirichlet-zero", "dirichlet 0", lambda: {"dirichlet": 0.0}),
        ],
    ),
    *rows_for(
        B_CP_SCALE,
        "prior_scale",
        ValueError,
        r"\b{arg}\b must be (symmetric|positive definite)",
        [
            (
                "scale-asymmetric",
                "scale [[1, .5], [0, 1]]",
                lambda: {"prior_scale": np.array([[1.0, 0.5], [0.0, 1.0]])},
            ),
            ("scale-indefinite", "scale [[1, 2], [2, 1]]", lambda: {"prior_scale": np.array([[1.0, 2.0], [2.0, 1.0]])}),
        ],
    ),
    *rows_for(
        B_CP_MEETS_X,
        "prior_scale",
        ValueError,
        r"\b{arg}\b is for D = 3 but X has 2 columns",
        [("scale-3d", "scale I_3 for 2 columns", lambda: {"prior_scale": np.eye(3)})],
        needs=frozenset({"prior_scale", "conjugate prior meets X"}),
    ),
    *rows_for(
        B_CP_MEETS_X,
        "prior_mean",
        ValueError,
        r"\b{arg}\b has 3 entries but X has 2 columns",
        [("mean-3d", "mean of 3 entries for 2 columns", lambda: {"prior_mean": [1.0, 2.0, 3.0]})],
        needs=frozenset({"prior_mean", "conjugate prior meets X"}),
    ),
    # --- ECG and the EM–ECG hybrid: what the model must supply ------------------------------------
    *rows_for(
        B_GRADIENT_MONOTONE,
        "method",
        ValueError,
        r"\b{arg}\b '(ecg|hybrid)' needs a model whose M-step maximises its objective",
        [
            ("method-ecg-absolute-reg_covar", "method 'ecg' with reg_covar=1e-3", lambda: {"method": "ecg"}),
            ("method-hybrid-absolute-reg_covar", "method 'hybrid' with reg_covar=1e-3", lambda: {"method": "hybrid"}),
        ],
        exclude=("fit_gmm[dask]",),  # no ECG on a Dask array: B_DASK_OPTIONS
    ),
    *rows_for(
        B_GRADIENT_SCORE,
        "model",
        TypeError,
        r"needs the \b{arg}\b's score; _GaussianMixtureWithoutScore has no score",
        [
            (
                f"model-no-score-{method}",
                f"method {method!r} with a model without score",
                lambda method=method: {"model": _GaussianMixtureWithoutScore(), "method": method},
            )
            for method in ("ecg", "hybrid")
        ],
        needs=frozenset({"model", "method"}),
    ),
    *rows_for(
        B_METHOD_PIECES,
        "model",
        TypeError,
        r"method '(hard|squarem)' needs the \b{arg}\b's (classification|flatten, unflatten) \(.*\);"
        r" _GaussianMixtureWithoutOptionalPieces has no",
        [
            (
                f"model-no-pieces-{method}",
                f"method {method!r} with a model without them",
                lambda method=method: {"model": _GaussianMixtureWithoutOptionalPieces(), "method": method},
            )
            for method in ("hard", "squarem")
        ],
        needs=frozenset({"model", "method"}),
    ),
    # --- the genetic-linkage model -------------------------------------------------------------
    *rows_for(
        B_LK_CELLS,
        "cells",
        ValueError,
        r"\b{arg}\b must hold (cell indices|at least one animal)",
        [
            ("cells-4", "a cell 4", lambda: {"cells": np.array([0, 1, 4])}),
            ("cells-negative", "a cell -1", lambda: {"cells": np.array([0, 1, -1])}),
            ("cells-half", "a cell 0.5", lambda: {"cells": np.array([0.5, 1.0, 3.0])}),
            ("cells-empty", "no animal", lambda: {"cells": np.array([], dtype=np.intp)}),
        ],
    ),
    *rows_for(
        B_LK_BOUNDARY,
        "cells",
        ValueError,
        r"\b{arg}\b has no animal \(of positive weight\) in cells (1 and 2|0 and 3)",
        [
            ("cells-no-1-2", "cells 0 and 3 only", lambda: {"cells": np.array([0, 0, 3])}),
            ("cells-no-0-3", "cells 1 and 2 only", lambda: {"cells": np.array([1, 2, 2])}),
        ],
    ),
    *rows_for(
        B_LK_PI,
        "pi",
        ValueError,
        r"\b{arg}\b must lie strictly between 0 and 1",
        [
            (f"pi-{label}", f"pi {label}", lambda value=value: {"pi": value})
            for label, value in (("0", 0.0), ("1", 1.0), ("negative", -0.5), ("nan", np.nan))
        ],
    ),
    *rows_for(
        B_LK_PI_TYPE,
        "pi",
        TypeError,
        r"\b{arg}\b must be a real number",
        [("pi-str", "pi '0.5'", lambda: {"pi": "0.5"}), ("pi-bool", "pi True", lambda: {"pi": True})],
    ),
    *rows_for(
        B_LK_COUNTS_SHAPE,
        "counts",
        ValueError,
        r"\b{arg}\b must (hold the 4 cell counts|be a 1-D array)",
        [
            ("counts-three", "three counts", lambda: {"counts": np.array([125, 18, 20])}),
            ("counts-2d", "a 1 x 4 array", lambda: {"counts": RAO_COUNTS[np.newaxis, :]}),
        ],
    ),
    *rows_for(
        B_LK_COUNTS_VALUE,
        "counts",
        ValueError,
        r"\b{arg}\b (must be non-negative|contains NaN|\[.*\] put the maximum of the likelihood on the boundary)",
        [
            ("counts-negative", "a count -1", lambda: {"counts": np.array([125, -1, 20, 34])}),
            ("counts-nan", "a count NaN", lambda: {"counts": np.array([125, np.nan, 20, 34])}),
            ("counts-at-1", "no animal in cells 1, 2", lambda: {"counts": np.array([125, 0, 0, 34])}),
            ("counts-at-0", "none in cell 3, y1 <= 2 (y2 + y3)", lambda: {"counts": np.array([10, 3, 2, 0])}),
        ],
    ),
    # --- factor analysis and probabilistic PCA (emlib.factor_analysis) ---------------------------------
    *rows_for(
        B_FA_X,
        "fa_X",
        ValueError,
        r"\b{arg}\b (contains NaN or infinite|must be a 2-D array)",
        [
            ("fa_X-nan", "NaN in X", lambda: {"fa_X": _with(FA_X, (2, 1), np.nan)}),
            ("fa_X-inf", "inf in X", lambda: {"fa_X": _with(FA_X, (0, 3), np.inf)}),
            ("fa_X-1d", "X 1-D", lambda: {"fa_X": FA_X[:, 0]}),
        ],
    ),
    *rows_for(
        B_FA_X,
        "fa_X",
        TypeError,
        r"\b{arg}\b must hold real numbers",
        [
            ("fa_X-complex", "X complex", lambda: {"fa_X": FA_X + 0j}),
            ("fa_X-str", "X strings", lambda: {"fa_X": FA_X.astype(str)}),
        ],
    ),
    *rows_for(
        B_FA_X_CONVERTED,
        "fa_X",
        None,
        "",
        [
            ("fa_X-list", "X a list of lists", lambda: {"fa_X": FA_X.tolist()}),
            ("fa_X-int", "X an integer array", lambda: {"fa_X": FA_X_INT}),
        ],
        same_as=lambda: {"fa_X": FA_X},
    ),
    *rows_for(
        B_FA_X_ROWS,
        "fa_X",
        ValueError,
        r"\b{arg}\b (must have at least 2 rows of positive sample_weight|column 2 is constant)",
        [
            ("fa_X-one-row", "one row of positive weight", lambda: {"fa_X": FA_X, "sample_weight": np.eye(8)[3]}),
            ("fa_X-constant", "column 2 constant", lambda: {"fa_X": _with(FA_X, (slice(None), 2), 4.0)}),
        ],
        needs=frozenset({"fa_X", "sample_weight"}),
    ),
    *rows_for(
        B_FA_Q,
        "n_factors",
        ValueError,
        r"\b{arg}\b (must be >= 1|\(\d\) is too many factors for 4 columns|\(\d\) must be less than the number of columns)",
        [
            ("n_factors-0", "q 0", lambda: {"n_factors": 0}),
            ("n_factors-4", "q 4 for 4 columns", lambda: {"n_factors": 4}),
        ],
    ),
    *rows_for(
        B_FA_Q,
        "n_factors",
        ValueError,
        r"\b{arg}\b \(2\) is too many factors for 4 columns of X.*\(D - q\)\^2 < D \+ q; at most 1",
        [("n_factors-ledermann", "q 2 for 4 columns: (4 - 2)² < 6", lambda: {"n_factors": 2})],
        exclude=("fit_ppca", "ppca_maximum_likelihood"),
    ),
    *rows_for(
        B_FA_Q_TYPE,
        "n_factors",
        TypeError,
        r"\b{arg}\b must be an integer",
        [
            ("n_factors-2.5", "q 2.5", lambda: {"n_factors": 2.5}),
            ("n_factors-True", "q True", lambda: {"n_factors": True}),
        ],
    ),
    *rows_for(
        B_FA_METHOD,
        "fa_method",
        ValueError,
        r"\b{arg}\b ('hard' \(classification EM\) has no meaning for a factor model|" + METHODS + ")",
        [
            ("fa_method-hard", "method 'hard'", lambda: {"fa_method": "hard"}),
            ("fa_method-unknown", "method 'fast'", lambda: {"fa_method": "fast"}),
        ],
    ),
    *rows_for(
        B_FA_INIT,
        "fa_init",
        ValueError,
        r"\b{arg}\b (must be None, 'random' or an emlib\.FactorParams|has dimension 3 but X has 4 columns|has 2 factors but)",
        [
            ("fa_init-str", "init 'pca'", lambda: {"fa_init": "pca"}),
            (
                "fa_init-dimension",
                "init with D = 3",
                lambda: {"fa_init": emlib.FactorParams(np.zeros(3), np.ones((3, 1)), np.ones(3))},
            ),
            (
                "fa_init-factors",
                "init with q = 2, n_factors 1",
                lambda: {"fa_init": emlib.FactorParams(np.zeros(4), np.ones((4, 2)), np.ones(4))},
            ),
        ],
    ),
    *rows_for(
        B_FA_INIT_PPCA,
        "fa_init",
        ValueError,
        r"\b{arg}\b must have equal noise_variances",
        [
            (
                "fa_init-unequal",
                "init with noise variances 1, 2, 3, 4",
                lambda: {"fa_init": emlib.FactorParams(np.zeros(4), np.ones((4, 1)), [1.0, 2.0, 3.0, 4.0])},
            )
        ],
        exclude=("fit_factor_analysis",),
    ),
    *rows_for(
        B_FA_RNG,
        "fa_rng",
        TypeError,
        r"\b{arg}\b must be None, a non-negative integer seed or a numpy\.random\.Generator",
        [
            ("fa_rng-str", "a string seed", lambda: {"fa_rng": "seed"}),
            ("fa_rng-float", "seed 1.5", lambda: {"fa_rng": 1.5}),
        ],
    ),
    *rows_for(
        B_FA_RNG,
        "fa_rng",
        ValueError,
        r"\b{arg}\b must be a non-negative integer seed",
        [("fa_rng-negative", "seed -1", lambda: {"fa_rng": -1})],
    ),
    *rows_for(
        B_FA_PARAMS,
        "loadings",
        ValueError,
        r"\b{arg}\b (must have shape \(D, q\)|contains NaN|must be a 2-D array)",
        [
            ("loadings-rows", "loadings with 3 rows for D = 4", lambda: {"loadings": np.ones((3, 1))}),
            ("loadings-no-factor", "loadings with no column", lambda: {"loadings": np.ones((4, 0))}),
            ("loadings-nan", "a NaN loading", lambda: {"loadings": _with(np.ones((4, 1)), (1, 0), np.nan)}),
            ("loadings-1d", "loadings 1-D", lambda: {"loadings": np.ones(4)}),
        ],
    ),
    *rows_for(
        B_FA_PARAMS,
        "noise_variances",
        ValueError,
        r"\b{arg}\b (must have shape \(4,\)|must all be > 0|contains NaN)",
        [
            ("noise_variances-short", "3 noise variances", lambda: {"noise_variances": np.ones(3)}),
            ("noise_variances-zero", "a noise variance 0", lambda: {"noise_variances": _with(np.ones(4), 2, 0.0)}),
            (
                "noise_variances-negative",
                "a noise variance -1",
                lambda: {"noise_variances": _with(np.ones(4), 0, -1.0)},
            ),
            ("noise_variances-nan", "a NaN noise variance", lambda: {"noise_variances": _with(np.ones(4), 1, np.nan)}),
        ],
    ),
    *rows_for(
        B_FA_PARAMS,
        "fa_mean",
        ValueError,
        r"\b{arg}\b (contains NaN|must be a 1-D array)",
        [
            ("fa_mean-nan", "a NaN mean", lambda: {"fa_mean": _with(np.zeros(4), 0, np.nan)}),
            ("fa_mean-2d", "mean of shape (1, 4)", lambda: {"fa_mean": np.zeros((1, 4))}),
        ],
    ),
    *rows_for(
        B_FA_PARAMS_TYPE,
        "fa_params",
        TypeError,
        r"\b{arg}\b must be an emlib\.FactorParams",
        [
            ("fa_params-gmm", "a GMMParams", lambda: {"fa_params": PARAMS}),
            ("fa_params-none", "None", lambda: {"fa_params": None}),
        ],
    ),
    *rows_for(
        B_FA_PARAMS_TYPE,
        "fa_params",
        ValueError,
        r"\b{arg}\b has dimension 3 but X has 4 columns",
        [
            (
                "fa_params-dimension",
                "params with D = 3",
                lambda: {"fa_params": emlib.FactorParams(np.zeros(3), np.ones((3, 1)), np.ones(3))},
            )
        ],
    ),
    *rows_for(
        B_FA_NOISE,
        "noise",
        ValueError,
        r"\b{arg}\b must be one of \('diagonal', 'isotropic'\)",
        [
            ("noise-diag", "noise 'diag'", lambda: {"noise": "diag"}),
            ("noise-none", "noise None", lambda: {"noise": None}),
        ],
    ),
]

# --- hidden Markov models (emlib.hmm, fit_hmm) and the independent Poisson mixture (emlib.poisson) ---
HMM_COUNTS = np.array([1.0, 0.0, 2.0, 1.0, 9.0, 11.0, 8.0, 10.0, 1.0, 2.0, 12.0, 9.0])  # Poisson X, T = 12
HMM_SYMBOLS = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 2.0, 1.0, 0.0, 0.0, 1.0, 2.0])  # categorical X, M = 3
HMM_START = np.array([0.5, 0.5])
HMM_TRANSITION = np.array([[0.9, 0.1], [0.2, 0.8]])
HMM_PARAMS = emlib.HMMParams(HMM_START, HMM_TRANSITION, rates=[[1.0], [10.0]])
POISSON_MIXTURE = emlib.PoissonMixture()

GOOD.update(
    {
        "hmm_X": HMM_COUNTS,
        "n_states": 2,
        "hmm_emission": "poisson",
        "lengths": None,
        "hmm_init": "k-means",
        "hmm_method": "em",
        "hmm_sample_weight": None,
        "start": HMM_START,
        "transition": HMM_TRANSITION,
        "hmm_emission_params": {"rates": [[1.0], [10.0]]},  # the emission family's keyword arguments of HMMParams
        "pm_X": HMM_COUNTS,
        "pm_rates": [1.0, 10.0],
    }
)

TARGETS.update(
    {
        "fit_hmm": target(
            lambda a: emlib.fit_hmm(
                a["hmm_X"],
                a["n_states"],
                emission=a["hmm_emission"],
                lengths=a["lengths"],
                init=a["hmm_init"],
                n_init=1,
                random_state=0,
                method=a["hmm_method"],
            ),
            "hmm_X",
            "n_states",
            "hmm_emission",
            "lengths",
            "hmm_init",
            "hmm_method",
            hmm_X="X",
            hmm_emission="emission",
            hmm_init="init",
            hmm_method="method",
        ),
        "fit_em[HiddenMarkovModel]": target(
            lambda a: emlib.fit_em(
                emlib.HiddenMarkovModel("poisson"), a["hmm_X"], HMM_PARAMS, sample_weight=a["hmm_sample_weight"]
            ),
            "hmm_X",
            "hmm_sample_weight",
            hmm_X="X",
            hmm_sample_weight="sample_weight",
        ),
        "HiddenMarkovModel": target(
            lambda a: emlib.HiddenMarkovModel(a["hmm_emission"]), "hmm_emission", hmm_emission="emission"
        ),
        "HMMParams": target(
            lambda a: emlib.HMMParams(a["start"], a["transition"], **a["hmm_emission_params"]),
            "start",
            "transition",
            "hmm_emission_params",
        ),
        "fit_em[PoissonMixture]": target(
            lambda a: emlib.fit_em(POISSON_MIXTURE, a["pm_X"], emlib.PoissonMixtureParams(a["weights"], a["pm_rates"])),
            "pm_X",
            "weights",
            "pm_rates",
            pm_X="X",
            pm_rates="rates",
        ),
        "PoissonMixtureParams": target(
            lambda a: emlib.PoissonMixtureParams(a["weights"], a["pm_rates"]), "weights", "pm_rates", pm_rates="rates"
        ),
        "PoissonMixture.sample": target(
            lambda a: POISSON_MIXTURE.sample(emlib.PoissonMixtureParams(WEIGHTS, [1.0, 10.0]), a["n"], a["rng"]),
            "n",
            "rng",
            n="n_samples",
        ),
    }
)

B_HMM_LENGTHS = (
    "`lengths` of `fit_hmm` not adding up to the number of time steps, not positive whole numbers, or not 1-D"
)
B_HMM_STATES = "`n_states` of `fit_hmm` below 1 or above the number of time steps"
B_HMM_STATES_TYPE = "`n_states` of 2.5 or `True`"
B_HMM_SYMBOLS = (
    "Categorical `X` of `fit_hmm` negative, not whole, not one column, or a symbol beyond `init`'s probabilities"
)
B_HMM_COUNTS = "Poisson `X` of a hidden Markov model negative or fractional"
B_HMM_WEIGHT = "`sample_weight` given to a hidden Markov model"
B_HMM_PROBABILITIES = "`start`, `transition` or `probabilities` of `HMMParams` not summing to one, or negative"
B_HMM_SHAPE = "`start`, `transition`, `rates` or `probabilities` of `HMMParams` of the wrong shape"
B_HMM_RATES = "`rates` of `HMMParams` negative or NaN"
B_HMM_FAMILY = "`HMMParams` with no emission family, or two (or `means` without `covariances`)"
B_HMM_EMISSION = '`emission` of `fit_hmm` or `HiddenMarkovModel` unknown (`"normal"`, `None`)'
B_HMM_METHOD = '`method` of `fit_hmm` `"ecg"` or `"hybrid"` (no score), or unknown'
B_HMM_INIT = '`init` of `fit_hmm` not an `HMMParams` or `"k-means"`, or of another number of states, emission family or dimension'
B_PM_X = "`X` of `PoissonMixture` negative or fractional counts"
B_PM_RATES = "`rates` of `PoissonMixtureParams` negative, NaN, or not one row per component"
B_PM_COLUMNS = "`rates` of the `init` of a `PoissonMixture` with another number of columns than `X`"

_HMM_TWO_SYMBOLS = emlib.HMMParams(HMM_START, HMM_TRANSITION, probabilities=np.full((2, 2), 0.5))

ROWS.extend(
    [
        *rows_for(
            B_HMM_LENGTHS,
            "lengths",
            ValueError,
            r"\b{arg}\b (must add up to the number of time steps of X \(12\); they add up to \d+"
            r"|must be positive whole numbers|must be a 1-D array)",
            [
                ("lengths-short", "lengths (5, 5) for 12 time steps", lambda: {"lengths": [5, 5]}),
                ("lengths-long", "lengths (6, 7)", lambda: {"lengths": [6, 7]}),
                ("lengths-zero", "a length 0", lambda: {"lengths": [12, 0]}),
                ("lengths-negative", "a length -1", lambda: {"lengths": [13, -1]}),
                ("lengths-half", "lengths (6.5, 5.5)", lambda: {"lengths": [6.5, 5.5]}),
                ("lengths-empty", "no lengths", lambda: {"lengths": []}),
                ("lengths-2d", "lengths of shape (1, 2)", lambda: {"lengths": [[6, 6]]}),
                ("lengths-scalar", "lengths 12, a number", lambda: {"lengths": 12}),
            ],
        ),
        *rows_for(
            B_HMM_STATES,
            "n_states",
            ValueError,
            r"\b{arg}\b (must be >= 1|\(13\) must not exceed the number of time steps of X \(12\))",
            [
                ("n_states-0", "K 0", lambda: {"n_states": 0}),
                ("n_states-negative", "K -1", lambda: {"n_states": -1}),
                ("n_states-13", "K 13 for 12 time steps", lambda: {"n_states": 13}),
            ],
        ),
        *rows_for(
            B_HMM_STATES_TYPE,
            "n_states",
            TypeError,
            r"\b{arg}\b must be an integer",
            [
                ("n_states-2.5", "K 2.5", lambda: {"n_states": 2.5}),
                ("n_states-True", "K True", lambda: {"n_states": True}),
                ("n_states-float", "K 2.0", lambda: {"n_states": 2.0}),
            ],
        ),
        *rows_for(
            B_HMM_SYMBOLS,
            "hmm_X",
            ValueError,
            r"\b{arg}\b (of a categorical HMM must hold non-negative whole numbers"
            r"|of a categorical HMM must be one column of symbols; got 2 columns"
            r"|holds symbol 2 but init\.probabilities has only 2 symbols \(0 to 1\))",
            [
                (
                    "hmm_X-symbol-negative",
                    "a symbol -1",
                    lambda: {"hmm_X": _with(HMM_SYMBOLS, 3, -1.0), "hmm_emission": "categorical"},
                ),
                (
                    "hmm_X-symbol-half",
                    "a symbol 1.5",
                    lambda: {"hmm_X": _with(HMM_SYMBOLS, 3, 1.5), "hmm_emission": "categorical"},
                ),
                (
                    "hmm_X-symbol-columns",
                    "two columns of symbols",
                    lambda: {"hmm_X": np.column_stack([HMM_SYMBOLS, HMM_SYMBOLS]), "hmm_emission": "categorical"},
                ),
                (
                    "hmm_X-symbol-range",
                    "symbol 2 with init for 2 symbols",
                    lambda: {"hmm_X": HMM_SYMBOLS, "hmm_emission": "categorical", "hmm_init": _HMM_TWO_SYMBOLS},
                ),
            ],
            needs=frozenset({"hmm_X", "hmm_emission", "hmm_init"}),
        ),
        *rows_for(
            B_HMM_COUNTS,
            "hmm_X",
            ValueError,
            r"\b{arg}\b of a poisson HMM must hold non-negative whole numbers",
            [
                ("hmm_X-count-negative", "a count -1", lambda: {"hmm_X": _with(HMM_COUNTS, 2, -1.0)}),
                ("hmm_X-count-half", "a count 2.5", lambda: {"hmm_X": _with(HMM_COUNTS, 2, 2.5)}),
            ],
        ),
        *rows_for(
            B_HMM_WEIGHT,
            "hmm_sample_weight",
            ValueError,
            r"\b{arg}\b must be None for a hidden Markov model",
            [
                (
                    "hmm_sample_weight-counts",
                    "weights 1, 2, …, 12",
                    lambda: {"hmm_sample_weight": np.arange(1.0, 13.0)},
                ),
                ("hmm_sample_weight-zero", "a weight 0", lambda: {"hmm_sample_weight": _with(np.ones(12), 4, 0.0)}),
            ],
        ),
        *rows_for(
            B_HMM_PROBABILITIES,
            "transition",
            ValueError,
            r"\b{arg}\b (must sum to one along its last axis; got sums \[1\.1, 1\.0\]"
            r"|must hold finite, non-negative probabilities|contains NaN or infinite values)",
            [
                ("transition-sum", "a row summing to 1.1", lambda: {"transition": [[0.9, 0.2], [0.2, 0.8]]}),
                ("transition-negative", "an entry -0.1", lambda: {"transition": [[1.1, -0.1], [0.2, 0.8]]}),
                ("transition-nan", "an entry NaN", lambda: {"transition": [[np.nan, 0.1], [0.2, 0.8]]}),
            ],
        ),
        *rows_for(
            B_HMM_PROBABILITIES,
            "start",
            ValueError,
            r"\b{arg}\b must (sum to one along its last axis|hold finite, non-negative probabilities)",
            [
                ("start-sum", "start (0.5, 0.6)", lambda: {"start": [0.5, 0.6]}),
                ("start-negative", "start (1.5, -0.5)", lambda: {"start": [1.5, -0.5]}),
            ],
        ),
        *rows_for(
            B_HMM_PROBABILITIES,
            "hmm_emission_params",
            ValueError,
            r"\bprobabilities\b must (sum to one along its last axis|hold finite, non-negative probabilities)",
            [
                (
                    "probabilities-sum",
                    "a row of probabilities summing to 1.1",
                    lambda: {"hmm_emission_params": {"probabilities": [[0.5, 0.6], [0.5, 0.5]]}},
                ),
                (
                    "probabilities-negative",
                    "a probability -0.5",
                    lambda: {"hmm_emission_params": {"probabilities": [[1.5, -0.5], [0.5, 0.5]]}},
                ),
            ],
        ),
        *rows_for(
            B_HMM_SHAPE,
            "transition",
            ValueError,
            r"\b{arg}\b must (have shape \(2, 2\); got \(3, 3\)|be a 2-D array)",
            [
                ("transition-3x3", "a 3 x 3 transition for 2 states", lambda: {"transition": np.eye(3)}),
                ("transition-1d", "transition 1-D", lambda: {"transition": [0.9, 0.1]}),
            ],
        ),
        *rows_for(
            B_HMM_SHAPE,
            "start",
            ValueError,
            r"\b{arg}\b must be a 1-D array",
            [("start-2d", "start of shape (1, 2)", lambda: {"start": [[0.5, 0.5]]})],
        ),
        *rows_for(
            B_HMM_SHAPE,
            "hmm_emission_params",
            ValueError,
            r"\b(rates|probabilities)\b must (be a 2-D array|be finite, non-negative, with one row per state \(2\)"
            r"|have one row per state \(2\); got 3)",
            [
                ("rates-1d", "rates 1-D", lambda: {"hmm_emission_params": {"rates": [1.0, 10.0]}}),
                (
                    "rates-rows",
                    "three rows of rates",
                    lambda: {"hmm_emission_params": {"rates": [[1.0], [2.0], [3.0]]}},
                ),
                (
                    "probabilities-rows",
                    "three rows of probabilities",
                    lambda: {"hmm_emission_params": {"probabilities": np.full((3, 2), 0.5)}},
                ),
            ],
        ),
        *rows_for(
            B_HMM_RATES,
            "hmm_emission_params",
            ValueError,
            r"\brates\b (must be finite, non-negative|contains NaN or infinite)",
            [
                ("rates-negative", "a rate -1", lambda: {"hmm_emission_params": {"rates": [[-1.0], [10.0]]}}),
                ("rates-nan", "a rate NaN", lambda: {"hmm_emission_params": {"rates": [[np.nan], [10.0]]}}),
            ],
        ),
        *rows_for(
            B_HMM_FAMILY,
            "hmm_emission_params",
            ValueError,
            r"HMMParams needs the parameters of one emission family: means and covariances \(Gaussian\), rates"
            r" \(Poisson\) or probabilities \(categorical\); got (none|\['rates', 'probabilities'\]|\['means'\])",
            [
                ("family-none", "no emission parameters", lambda: {"hmm_emission_params": {}}),
                (
                    "family-two",
                    "rates and probabilities",
                    lambda: {"hmm_emission_params": {"rates": [[1.0], [2.0]], "probabilities": np.full((2, 2), 0.5)}},
                ),
                ("family-means", "means only", lambda: {"hmm_emission_params": {"means": [[0.0], [1.0]]}}),
            ],
        ),
        *rows_for(
            B_HMM_EMISSION,
            "hmm_emission",
            ValueError,
            r"\b{arg}\b must be one of 'gaussian', 'poisson', 'categorical'; got",
            [
                ("emission-normal", "emission 'normal'", lambda: {"hmm_emission": "normal"}),
                ("emission-none", "emission None", lambda: {"hmm_emission": None}),
            ],
        ),
        *rows_for(
            B_HMM_METHOD,
            "hmm_method",
            TypeError,
            r"\b{arg}\b '(ecg|hybrid)' needs the model's score, which a hidden Markov model does not supply",
            [
                ("hmm_method-ecg", "method 'ecg'", lambda: {"hmm_method": "ecg"}),
                ("hmm_method-hybrid", "method 'hybrid'", lambda: {"hmm_method": "hybrid"}),
            ],
        ),
        *rows_for(
            B_HMM_METHOD,
            "hmm_method",
            ValueError,
            r"\b{arg}\b " + METHODS,
            [("hmm_method-fast", "method 'fast'", lambda: {"hmm_method": "fast"})],
        ),
        *rows_for(
            B_HMM_INIT,
            "hmm_init",
            ValueError,
            r"\b{arg}\b( must be an emlib\.hmm\.HMMParams or 'k-means'; got| has 3 states but n_states is 2"
            r"| has categorical emissions but the model's are poisson|\.rates has 2 columns but X has 1)",
            [
                ("hmm_init-str", "init 'random'", lambda: {"hmm_init": "random"}),
                (
                    "hmm_init-states",
                    "init with 3 states",
                    lambda: {
                        "hmm_init": emlib.HMMParams(
                            np.full(3, 1 / 3), np.full((3, 3), 1 / 3), rates=[[1.0], [2.0], [3.0]]
                        )
                    },
                ),
                ("hmm_init-family", "a categorical init", lambda: {"hmm_init": _HMM_TWO_SYMBOLS}),
                (
                    "hmm_init-columns",
                    "init with 2 columns of rates",
                    lambda: {"hmm_init": emlib.HMMParams(HMM_START, HMM_TRANSITION, rates=[[1.0, 1.0], [2.0, 2.0]])},
                ),
            ],
        ),
        *rows_for(
            B_PM_X,
            "pm_X",
            ValueError,
            r"\b{arg}\b of a Poisson mixture must hold non-negative whole numbers",
            [
                ("pm_X-negative", "a count -1", lambda: {"pm_X": _with(HMM_COUNTS, 0, -1.0)}),
                ("pm_X-half", "a count 0.5", lambda: {"pm_X": _with(HMM_COUNTS, 0, 0.5)}),
            ],
        ),
        *rows_for(
            B_PM_RATES,
            "pm_rates",
            ValueError,
            r"\b{arg}\b (must be non-negative|contains NaN or infinite|must have one row per component \(2\))",
            [
                ("pm_rates-negative", "a rate -1", lambda: {"pm_rates": [-1.0, 10.0]}),
                ("pm_rates-nan", "a rate NaN", lambda: {"pm_rates": [np.nan, 10.0]}),
                ("pm_rates-rows", "three rates for two weights", lambda: {"pm_rates": [1.0, 2.0, 3.0]}),
            ],
        ),
        *rows_for(
            B_PM_COLUMNS,
            "pm_rates",
            ValueError,
            r"init\.\b{arg}\b has 2 columns but X has 1",
            [("pm_rates-columns", "two columns of rates", lambda: {"pm_rates": [[1.0, 1.0], [10.0, 10.0]]})],
            exclude=("PoissonMixtureParams",),
        ),
    ]
)


# --- variants of EM (emlib.variants, GaussianMixture.partial_fit, emlib.sufficient), the Student t mixture
# (emlib.student_t) and the variational Bayesian Gaussian mixture (emlib.variational) -----------------------
STATISTICS = emlib.GaussianStatistics.from_responsibilities(X, RESPONSIBILITIES, np.ones(N))
STATISTICS_3 = emlib.GaussianStatistics.from_responsibilities(X, np.full((N, 3), 1.0 / 3.0), np.ones(N))
T_PARAMS = emlib.StudentTParams(WEIGHTS, MEANS, COVARIANCES, [5.0, 5.0])
# q(θ) of the variational mixture: α, β, m, ν and the Cholesky factors of W⁻¹ (here W⁻¹ = I)
Q_FIELDS = {
    "q_concentration": np.array([4.5, 4.5]),
    "q_mean_precision": np.array([5.0, 5.0]),
    "q_means": MEANS,
    "q_dof": np.array([6.0, 6.0]),
    "q_cholesky": np.stack([np.eye(2)] * 2),
}
Q_PARAMS = emlib.VariationalParams(*Q_FIELDS.values())
Q_PARAMS_3 = emlib.VariationalParams(
    np.full(3, 3.0), np.full(3, 3.0), np.zeros((3, 2)), np.full(3, 5.0), np.stack([np.eye(2)] * 3)
)
Q_PARAMS_1D = emlib.VariationalParams([4.5, 4.5], [5.0, 5.0], [[1.0], [11.0]], [6.0, 6.0], np.ones((2, 1, 1)))

GOOD.update(
    {
        "n_blocks": 2,  # fit_incremental_em
        "learning_decay": 0.6,  # OnlineEM and GaussianMixture.partial_fit
        "learning_offset": 0.0,
        "n_draws": 1,  # fit_monte_carlo_em
        "pf_prior": None,  # the prior of GaussianMixture.partial_fit
        "pf_batch": X,  # partial_fit's second batch
        "statistics_other": STATISTICS,  # GaussianStatistics: STATISTICS + statistics_other, factor * STATISTICS
        "factor": 2.0,
        "t_dof": "ecme",  # the Student t mixture
        "tied_dof": False,
        "dof_bounds": (0.01, 1000.0),
        "t_init": "k-means",
        "t_method": "em",
        "t_dofs": None,  # the dofs of StudentTParams; None: 5 for each entry of weights
        "vb_prior": None,  # the variational mixture: fit_variational_gmm's prior and init
        "vb_init": None,
        "vb_concentration": None,  # VariationalPrior's hyper-parameters
        "vb_mean_precision": None,
        "vb_mean": None,
        "vb_dof": None,
        "vb_scale_inverse": None,
        **Q_FIELDS,  # VariationalParams
    }
)


def _online_summary(online: emlib.OnlineEM) -> tuple:
    """What an online EM is compared by: its parameters, running statistics and batch log-likelihoods."""
    return (online.params, online.statistics, tuple(online.log_likelihoods), online.n_batches)


def _partial_fit(a: dict) -> emlib.EMResult:
    """Two batches of GaussianMixture.partial_fit, X (weighted by sample_weight) then pf_batch."""
    estimator = emlib.GaussianMixture(
        2,
        missing=a["missing"],
        prior=a["pf_prior"],
        learning_decay=a["learning_decay"],
        learning_offset=a["learning_offset"],
        random_state=0,
    )
    estimator.partial_fit(X, sample_weight=a["sample_weight"])
    return estimator.partial_fit(a["pf_batch"]).fit_result_


def _t_dofs(a: dict):
    """StudentTParams' dofs: t_dofs, or by default 5 for each weight (so that the GMMParams rows keep one ν each)."""
    return np.full(np.shape(a["weights"])[0], 5.0) if a["t_dofs"] is None else a["t_dofs"]


def _student_t_model(a: dict) -> tuple:
    model = emlib.StudentTMixture(
        a["t_dof"], tied_dof=a["tied_dof"], reg_covar=a["reg_covar"], dof_bounds=a["dof_bounds"]
    )
    return (model.dof, model.tied_dof, model.reg_covar, model.dof_bounds)


def _variational_prior(a: dict) -> emlib.VariationalPrior:
    return emlib.VariationalPrior(
        concentration=a["vb_concentration"],
        mean_precision=a["vb_mean_precision"],
        mean=a["vb_mean"],
        degrees_of_freedom=a["vb_dof"],
        scale_inverse=a["vb_scale_inverse"],
    )


def _prior_fields(prior: emlib.VariationalPrior) -> tuple:
    return tuple(getattr(prior, field.name) for field in dataclasses.fields(prior))


#: VariationalPrior's arguments, and their names in its messages.
_VB_NAMES = {
    "vb_concentration": "concentration",
    "vb_mean_precision": "mean_precision",
    "vb_mean": "mean",
    "vb_dof": "degrees_of_freedom",
    "vb_scale_inverse": "scale_inverse",
}
#: VariationalParams' arguments, and their names.
_Q_NAMES = {
    "q_concentration": "concentration",
    "q_mean_precision": "mean_precision",
    "q_means": "means",
    "q_dof": "degrees_of_freedom",
    "q_cholesky": "scale_inverse_cholesky",
}

TARGETS.update(
    {
        "fit_incremental_em": target(
            lambda a: emlib.fit_incremental_em(
                a["model"],
                a["X"],
                a["params"],
                n_blocks=a["n_blocks"],
                max_iter=a["max_iter"],
                tol=a["tol"],
                stopping=a["stopping"],
                sample_weight=a["sample_weight"],
                callback=a["callback"],
            ),
            "model",
            "X",
            "params",
            "n_blocks",
            "max_iter",
            "tol",
            "stopping",
            "sample_weight",
            "callback",
            "needs additive statistics",
            params="init",
        ),
        # the constructor and one batch; the batch X meets the parameters as a fit's X does ("fitted")
        "OnlineEM": target(
            lambda a: _online_summary(
                emlib.OnlineEM(
                    a["model"], a["params"], learning_decay=a["learning_decay"], learning_offset=a["learning_offset"]
                ).update(a["X"], sample_weight=a["sample_weight"])
            ),
            "model",
            "params",
            "learning_decay",
            "learning_offset",
            "X",
            "sample_weight",
            "fitted",
            "needs additive statistics",
            params="init",
        ),
        "fit_monte_carlo_em": target(
            lambda a: emlib.fit_monte_carlo_em(
                a["model"],
                a["X"],
                a["params"],
                n_draws=a["n_draws"],
                max_iter=a["max_iter"],
                random_state=a["rng"],
                sample_weight=a["sample_weight"],
                callback=a["callback"],
            ),
            "model",
            "X",
            "params",
            "n_draws",
            "max_iter",
            "rng",
            "sample_weight",
            "callback",
            "needs simulated statistics",
            params="init",
            rng="random_state",
        ),
        "GaussianMixture.partial_fit": target(
            _partial_fit,
            "missing",
            "pf_prior",
            "learning_decay",
            "learning_offset",
            "sample_weight",
            "pf_batch",
            "partial_fit",
            pf_prior="prior",
            pf_batch="X",
        ),
        "GaussianStatistics +": target(lambda a: STATISTICS + a["statistics_other"], "statistics_other"),
        "GaussianStatistics *": target(lambda a: a["factor"] * STATISTICS, "factor"),
        # fit_student_t: the k-means start is fit_gmm's ("seeding")
        "fit_student_t": target(
            lambda a: emlib.fit_student_t(
                a["X"],
                a["n_components"],
                dof=a["t_dof"],
                tied_dof=a["tied_dof"],
                init=a["t_init"],
                n_init=a["n_init"],
                max_iter=a["max_iter"],
                tol=a["tol"],
                reg_covar=a["reg_covar"],
                random_state=a["rng"],
                method=a["t_method"],
                sample_weight=a["sample_weight"],
                callback=a["callback"],
            ),
            "X",
            "n_components",
            "t_dof",
            "tied_dof",
            "t_init",
            "n_init",
            "max_iter",
            "tol",
            "reg_covar",
            "rng",
            "t_method",
            "sample_weight",
            "callback",
            "seeding",
            t_dof="dof",
            t_init="init",
            rng="random_state",
            t_method="method",
        ),
        "StudentTMixture": target(_student_t_model, "t_dof", "tied_dof", "reg_covar", "dof_bounds", t_dof="dof"),
        "StudentTParams": target(
            lambda a: emlib.StudentTParams(a["weights"], a["means"], a["covariances"], _t_dofs(a)),
            "weights",
            "means",
            "covariances",
            "t_dofs",
            t_dofs="dofs",
        ),
        "fit_variational_gmm": target(
            lambda a: emlib.fit_variational_gmm(
                a["X"],
                a["n_components"],
                prior=a["vb_prior"],
                init=a["vb_init"],
                max_iter=a["max_iter"],
                tol=a["tol"],
                random_state=a["rng"],
                sample_weight=a["sample_weight"],
            ),
            "X",
            "n_components",
            "vb_prior",
            "vb_init",
            "max_iter",
            "tol",
            "rng",
            "sample_weight",
            "variational fit",
            vb_prior="prior",
            vb_init="init",
            rng="random_state",
        ),
        "VariationalGaussianMixture": target(
            lambda a: emlib.VariationalGaussianMixture(a["vb_prior"]).prior, "vb_prior", vb_prior="prior"
        ),
        "VariationalPrior": target(lambda a: _prior_fields(_variational_prior(a)), *_VB_NAMES, **_VB_NAMES),
        # a VariationalPrior's mean, scale_inverse and degrees_of_freedom are checked against X when it is resolved
        "VariationalPrior.resolve": target(
            lambda a: _prior_fields(_variational_prior(a).resolve(X, 2)),
            *_VB_NAMES,
            "variational prior meets X",
            **_VB_NAMES,
        ),
        "fit_variational_gmm[prior]": target(
            lambda a: emlib.fit_variational_gmm(X, 2, prior=_variational_prior(a), max_iter=100, tol=1e-6),
            *_VB_NAMES,
            "variational prior meets X",
            **_VB_NAMES,
        ),
        "VariationalParams": target(
            lambda a: emlib.VariationalParams(*(a[name] for name in _Q_NAMES)), *_Q_NAMES, **_Q_NAMES
        ),
    }
)

B_N_BLOCKS = "`n_blocks` of `fit_incremental_em` of 0, 2.5 or `True`, or more than the rows of `X`"
B_LEARNING_DECAY = "`learning_decay` (κ) of online EM outside (0.5, 1], or not a number"
B_LEARNING_OFFSET = "`learning_offset` (τ) of online EM negative, NaN or `inf`, or not a number"
B_N_DRAWS = "`n_draws` of `fit_monte_carlo_em` (or what a callable `n_draws` returns) of 0, 2.5 or `True`"
B_N_DRAWS_CALLABLE = "`n_draws` of `fit_monte_carlo_em` a callable of the iteration t"
B_PF_OPTIONS = 'A batch of `GaussianMixture.partial_fit` holding NaN (with `missing="em"`), or a conjugate `prior`'
B_PF_FEATURES = "A batch of `GaussianMixture.partial_fit` with another number of columns than the first"
B_STATISTICS = (
    "`GaussianStatistics` added to statistics of another shape, or scaled by a negative, NaN or infinite factor"
)
B_T_DOF = '`dof` of `fit_student_t` or `StudentTMixture` not `"ecme"`, `"ecm"` or `"fixed"`'
B_T_TIED = "`tied_dof` of `fit_student_t` or `StudentTMixture` not `True` or `False`"
B_T_BOUNDS = "`dof_bounds` of `StudentTMixture` not a pair 0 < ν_min < ν_max < ∞ of real numbers"
B_T_BOUNDS_LIST = "`dof_bounds` of `StudentTMixture` a list, or holding integers"
B_T_INIT = (
    '`init` of `fit_student_t` not `"k-means"`, `"gmm"` or a `StudentTParams`, or of another number of components'
    " or dimension, or with `n_init` > 1"
)
B_T_INIT_DOFS = "`init` of `fit_student_t` whose `dofs` lie outside `dof_bounds`, or differ with `tied_dof=True`"
B_T_METHOD = '`method` of `fit_student_t` not `"em"` or `"squarem"`'
B_T_DOFS = "`dofs` of `StudentTParams` not one positive, finite number per component"
B_T_DOFS_CONVERTED = "`dofs` of `StudentTParams` a list or an integer array"
B_VB_PRIOR = "`prior` of `fit_variational_gmm` or `VariationalGaussianMixture` not `None` or a `VariationalPrior`"
B_VB_HYPER = (
    "`concentration`, `mean_precision` or `degrees_of_freedom` of `VariationalPrior` zero, negative, NaN, `inf`"
    " or not a number"
)
B_VB_ARRAYS = (
    "`mean` or `scale_inverse` of `VariationalPrior` of the wrong shape, NaN, not symmetric or not positive definite,"
    " or `degrees_of_freedom` ≤ D − 1"
)
B_VB_MEETS_X = "`mean`, `scale_inverse` or `degrees_of_freedom` of `VariationalPrior` for another dimension than `X`"
B_VB_DEFAULT_SCALE = (
    "`X` of `fit_variational_gmm` with a total weight of 1 or less, or a singular covariance, for the default"
    " `scale_inverse`"
)
B_VB_INIT = (
    "`init` of `fit_variational_gmm` not `None`, a `VariationalParams` or (N, K) responsibilities, or of another"
    " number of rows, components or dimension"
)
B_VB_INIT_CONVERTED = "`init` of `fit_variational_gmm` one-hot responsibilities as a list of integer lists"
B_Q_VALUES = (
    "`concentration` or `mean_precision` of `VariationalParams` not positive, `degrees_of_freedom` ≤ D − 1, or NaN"
    " in any of its arrays"
)
B_Q_SHAPES = (
    "`VariationalParams` arrays of mismatched shapes, or `scale_inverse_cholesky` not lower triangular with a"
    " positive diagonal"
)
B_Q_CONVERTED = "`VariationalParams` arrays given as nested lists"

_ONE_HOT = np.repeat(np.eye(2), N // 2, axis=0)

ROWS.extend(
    [
        # --- incremental, online and Monte Carlo EM ----------------------------------------------------
        *rows_for(
            B_N_BLOCKS,
            "n_blocks",
            ValueError,
            r"\b{arg}\b must be (>= 1; got|at most the number of rows \(8\); got 9)",
            [
                ("n_blocks-0", "B 0", lambda: {"n_blocks": 0}),
                ("n_blocks-negative", "B -1", lambda: {"n_blocks": -1}),
                ("n_blocks-9", "B 9 for 8 rows", lambda: {"n_blocks": 9}),
            ],
        ),
        *rows_for(
            B_N_BLOCKS,
            "n_blocks",
            TypeError,
            r"\b{arg}\b must be an integer",
            [
                ("n_blocks-2.5", "B 2.5", lambda: {"n_blocks": 2.5}),
                ("n_blocks-True", "B True", lambda: {"n_blocks": True}),
            ],
        ),
        *rows_for(
            B_LEARNING_DECAY,
            "learning_decay",
            ValueError,
            r"\b{arg}\b must (be in \(0\.5, 1\] \(the Robbins–Monro conditions\)|be a finite number > 0); got",
            [
                ("learning_decay-0.5", "κ 0.5", lambda: {"learning_decay": 0.5}),
                ("learning_decay-1.5", "κ 1.5", lambda: {"learning_decay": 1.5}),
                ("learning_decay-0", "κ 0", lambda: {"learning_decay": 0.0}),
                ("learning_decay-nan", "κ NaN", lambda: {"learning_decay": np.nan}),
            ],
        ),
        *rows_for(
            B_LEARNING_DECAY,
            "learning_decay",
            TypeError,
            r"\b{arg}\b must be a real number",
            [
                ("learning_decay-str", "κ '0.6'", lambda: {"learning_decay": "0.6"}),
                ("learning_decay-True", "κ True", lambda: {"learning_decay": True}),
            ],
        ),
        *rows_for(
            B_LEARNING_OFFSET,
            "learning_offset",
            ValueError,
            r"\b{arg}\b must be a finite number >= 0; got",
            [
                ("learning_offset-negative", "τ -1", lambda: {"learning_offset": -1.0}),
                ("learning_offset-nan", "τ NaN", lambda: {"learning_offset": np.nan}),
                ("learning_offset-inf", "τ inf", lambda: {"learning_offset": np.inf}),
            ],
        ),
        *rows_for(
            B_LEARNING_OFFSET,
            "learning_offset",
            TypeError,
            r"\b{arg}\b must be a real number",
            [("learning_offset-str", "τ '1'", lambda: {"learning_offset": "1"})],
        ),
        *rows_for(
            B_N_DRAWS,
            "n_draws",
            ValueError,
            r"\b{arg}\b(\(t\))? must be >= 1; got 0",
            [
                ("n_draws-0", "m 0", lambda: {"n_draws": 0}),
                ("n_draws-callable-0", "m_t = 0", lambda: {"n_draws": lambda t: 0}),
            ],
        ),
        *rows_for(
            B_N_DRAWS,
            "n_draws",
            TypeError,
            r"\b{arg}\b(\(t\))? must be an integer",
            [
                ("n_draws-2.5", "m 2.5", lambda: {"n_draws": 2.5}),
                ("n_draws-True", "m True", lambda: {"n_draws": True}),
                ("n_draws-callable-2.5", "m_t = 2.5", lambda: {"n_draws": lambda t: 2.5}),
            ],
        ),
        *rows_for(
            B_N_DRAWS_CALLABLE,
            "n_draws",
            None,
            "",
            [("n_draws-callable", "m_t = 3, a callable", lambda: {"n_draws": lambda t: 3})],
            same_as=lambda: {"n_draws": 3},
        ),
        # --- GaussianMixture.partial_fit -----------------------------------------------------------------
        *rows_for(
            B_PF_OPTIONS,
            "pf_batch",
            ValueError,
            r"\b{arg}\b of partial_fit holds NaN: online EM does not yet marginalise missing entries",
            [("partial_fit-missing", "missing='em' and a NaN", lambda: {"missing": "em", "pf_batch": X_MISSING})],
            needs=frozenset({"missing", "partial_fit"}),
        ),
        *rows_for(
            B_PF_OPTIONS,
            "pf_prior",
            ValueError,
            r"partial_fit does not support the conjugate prior \(\b{arg}\b=\.\.\.\); use fit",
            [
                ("partial_fit-prior-default", "prior 'default'", lambda: {"pf_prior": "default"}),
                ("partial_fit-prior", "a ConjugatePrior", lambda: {"pf_prior": ConjugatePrior(shrinkage=0.1)}),
            ],
        ),
        *rows_for(
            B_PF_FEATURES,
            "pf_batch",
            ValueError,
            r"\b{arg}\b has 3 features, but GaussianMixture is expecting 2 features",
            [("partial_fit-columns", "a second batch with 3 columns", lambda: {"pf_batch": np.hstack([X, X[:, :1]])})],
        ),
        # --- GaussianStatistics ---------------------------------------------------------------------------
        *rows_for(
            B_STATISTICS,
            "statistics_other",
            ValueError,
            r"cannot add statistics of 3 components in 2 features to statistics of 2 components in 2 features",
            [("statistics-add-3", "statistics of 3 components", lambda: {"statistics_other": STATISTICS_3})],
        ),
        *rows_for(
            B_STATISTICS,
            "factor",
            ValueError,
            r"statistics can only be scaled by a finite factor >= 0; got",
            [
                ("factor-negative", "factor -1", lambda: {"factor": -1.0}),
                ("factor-nan", "factor NaN", lambda: {"factor": np.nan}),
                ("factor-inf", "factor inf", lambda: {"factor": np.inf}),
            ],
        ),
        # --- the Student t mixture ------------------------------------------------------------------------
        *rows_for(
            B_T_DOF,
            "t_dof",
            ValueError,
            r"\b{arg}\b must be one of \('ecm', 'ecme', 'fixed'\); got",
            [
                ("t_dof-case", "dof 'ECM' (names are lower case)", lambda: {"t_dof": "ECM"}),
                ("t_dof-em", "dof 'em'", lambda: {"t_dof": "em"}),
                ("t_dof-None", "dof None", lambda: {"t_dof": None}),
                ("t_dof-number", "dof 3 (a number of degrees of freedom)", lambda: {"t_dof": 3}),
            ],
        ),
        *rows_for(
            B_T_TIED,
            "tied_dof",
            TypeError,
            r"\b{arg}\b must be True or False; got",
            [
                ("tied_dof-int", "tied_dof 1", lambda: {"tied_dof": 1}),
                ("tied_dof-str", "tied_dof 'yes'", lambda: {"tied_dof": "yes"}),
                ("tied_dof-None", "tied_dof None", lambda: {"tied_dof": None}),
            ],
        ),
        *rows_for(
            B_T_BOUNDS,
            "dof_bounds",
            TypeError,
            r"\b{arg}\b must (be a pair \(nu_min, nu_max\)|hold two real numbers); got",
            [
                ("dof_bounds-three", "three bounds", lambda: {"dof_bounds": (1.0, 2.0, 3.0)}),
                ("dof_bounds-number", "a number 5", lambda: {"dof_bounds": 5.0}),
                ("dof_bounds-None", "None", lambda: {"dof_bounds": None}),
                ("dof_bounds-str", "a string bound", lambda: {"dof_bounds": ("1", 10.0)}),
                ("dof_bounds-bool", "a bound True", lambda: {"dof_bounds": (True, 10.0)}),
            ],
        ),
        *rows_for(
            B_T_BOUNDS,
            "dof_bounds",
            ValueError,
            r"\b{arg}\b must satisfy 0 < nu_min < nu_max < inf; got",
            [
                ("dof_bounds-reversed", "(2, 1)", lambda: {"dof_bounds": (2.0, 1.0)}),
                ("dof_bounds-zero", "(0, 10)", lambda: {"dof_bounds": (0.0, 10.0)}),
                ("dof_bounds-inf", "(1, inf)", lambda: {"dof_bounds": (1.0, np.inf)}),
                ("dof_bounds-nan", "(NaN, 3)", lambda: {"dof_bounds": (np.nan, 3.0)}),
            ],
        ),
        *rows_for(
            B_T_BOUNDS_LIST,
            "dof_bounds",
            None,
            "",
            [("dof_bounds-list", "a list [0.01, 1000] of integers and floats", lambda: {"dof_bounds": [0.01, 1000]})],
        ),
        *rows_for(
            B_T_INIT,
            "t_init",
            ValueError,
            r"\b{arg}\b (must be one of \('gmm', 'k-means'\) or an emlib\.student_t\.StudentTParams; got"
            r"|has 1 components but n_components is 2|has dimension 1 but X has 2 columns)",
            [
                ("t_init-unknown", "init 'kmeans'", lambda: {"t_init": "kmeans"}),
                ("t_init-number", "init 3", lambda: {"t_init": 3}),
                ("t_init-gmm-params", "init a GMMParams", lambda: {"t_init": PARAMS}),
                (
                    "t_init-components",
                    "init with K = 1",
                    lambda: {"t_init": emlib.StudentTParams([1.0], [[6.0, 6.0]], [30.0 * np.eye(2)], [5.0])},
                ),
                (
                    "t_init-dimension",
                    "init with D = 1",
                    lambda: {"t_init": emlib.StudentTParams(WEIGHTS, [[1.0], [11.0]], [[[1.5]], [[1.5]]], [5.0, 5.0])},
                ),
            ],
        ),
        *rows_for(
            B_T_INIT,
            "n_init",
            ValueError,
            r"\b{arg}\b must be 1 when init is a StudentTParams",
            [("t_init-n_init", "n_init 2 with a StudentTParams init", lambda: {"t_init": T_PARAMS, "n_init": 2})],
            needs=frozenset({"t_init", "n_init"}),
        ),
        *rows_for(
            B_T_INIT_DOFS,
            "t_init",
            ValueError,
            r"\b{arg}\.dofs must (lie in dof_bounds \[0\.01, 1000\] when dof='ecme' estimates them"
            r"|all be equal with tied_dof=True)",
            [
                (
                    "t_init-dofs-high",
                    "a ν of 5000",
                    lambda: {"t_init": emlib.StudentTParams(WEIGHTS, MEANS, COVARIANCES, [5000.0, 5.0])},
                ),
                (
                    "t_init-dofs-low",
                    "a ν of 0.001",
                    lambda: {"t_init": emlib.StudentTParams(WEIGHTS, MEANS, COVARIANCES, [0.001, 5.0])},
                ),
                (
                    "t_init-dofs-tied",
                    "ν 5 and 6 with tied_dof=True",
                    lambda: {"t_init": emlib.StudentTParams(WEIGHTS, MEANS, COVARIANCES, [5.0, 6.0]), "tied_dof": True},
                ),
            ],
            needs=frozenset({"t_init", "tied_dof"}),
        ),
        *rows_for(
            B_T_METHOD,
            "t_method",
            ValueError,
            r"\b{arg}\b must be one of \('em', 'squarem'\) for a Student t mixture; got",
            [
                ("t_method-hard", "method 'hard'", lambda: {"t_method": "hard"}),
                ("t_method-ecg", "method 'ecg'", lambda: {"t_method": "ecg"}),
                ("t_method-None", "method None", lambda: {"t_method": None}),
            ],
        ),
        *rows_for(
            B_T_DOFS,
            "t_dofs",
            ValueError,
            r"\b{arg}\b (must be > 0|contains NaN or infinite|must have one entry per component \(2\)|must be a 1-D array)",
            [
                ("t_dofs-zero", "a ν 0", lambda: {"t_dofs": [0.0, 5.0]}),
                ("t_dofs-negative", "a ν -1", lambda: {"t_dofs": [-1.0, 5.0]}),
                ("t_dofs-nan", "a ν NaN", lambda: {"t_dofs": [np.nan, 5.0]}),
                ("t_dofs-inf", "a ν inf", lambda: {"t_dofs": [np.inf, 5.0]}),
                ("t_dofs-short", "one ν for two components", lambda: {"t_dofs": [5.0]}),
                ("t_dofs-2d", "dofs of shape (1, 2)", lambda: {"t_dofs": [[5.0, 5.0]]}),
                ("t_dofs-scalar", "dofs 5, a number", lambda: {"t_dofs": 5.0}),
            ],
        ),
        *rows_for(
            B_T_DOFS,
            "t_dofs",
            TypeError,
            r"\b{arg}\b must hold real numbers",
            [("t_dofs-str", "dofs strings", lambda: {"t_dofs": ["5", "5"]})],
        ),
        *rows_for(
            B_T_DOFS_CONVERTED,
            "t_dofs",
            None,
            "",
            [("t_dofs-int", "dofs [5, 3], integers", lambda: {"t_dofs": [5, 3]})],
            same_as=lambda: {"t_dofs": np.array([5.0, 3.0])},
        ),
        # --- the variational Bayesian Gaussian mixture -----------------------------------------------------
        *rows_for(
            B_VB_PRIOR,
            "vb_prior",
            TypeError,
            r"\b{arg}\b must be None or an emlib VariationalPrior; got (ConjugatePrior|str)",
            [
                ("vb_prior-conjugate", "a ConjugatePrior", lambda: {"vb_prior": ConjugatePrior()}),
                ("vb_prior-str", "prior 'default'", lambda: {"vb_prior": "default"}),
            ],
        ),
        *[
            row
            for argument in ("vb_concentration", "vb_mean_precision", "vb_dof")
            for row in rows_for(
                B_VB_HYPER,
                argument,
                ValueError,
                r"\b{arg}\b must be a finite number > 0; got",
                [
                    (
                        f"{argument}-{label}",
                        f"{argument} {label}",
                        lambda argument=argument, value=value: {argument: value},
                    )
                    for label, value in (("0", 0.0), ("negative", -1.0), ("nan", np.nan), ("inf", np.inf))
                ],
            )
        ],
        *[
            row
            for argument in ("vb_concentration", "vb_mean_precision", "vb_dof")
            for row in rows_for(
                B_VB_HYPER,
                argument,
                TypeError,
                r"\b{arg}\b must be a real number; got (str|bool|list)",
                [
                    (
                        f"{argument}-{label}",
                        f"{argument} {label}",
                        lambda argument=argument, value=value: {argument: value},
                    )
                    for label, value in (("str", "1"), ("True", True), ("list", [1.0, 2.0]))
                ],
            )
        ],
        *rows_for(
            B_VB_ARRAYS,
            "vb_mean",
            ValueError,
            r"\b{arg}\b (must be a 1-D array|\(m₀\) must have at least one entry|contains NaN or infinite)",
            [
                ("vb_mean-2d", "mean of shape (1, 2)", lambda: {"vb_mean": [[0.0, 0.0]]}),
                ("vb_mean-empty", "mean []", lambda: {"vb_mean": []}),
                ("vb_mean-nan", "a NaN mean", lambda: {"vb_mean": [np.nan, 0.0]}),
            ],
        ),
        *rows_for(
            B_VB_ARRAYS,
            "vb_scale_inverse",
            ValueError,
            r"\b{arg}\b (must be a 2-D array|\(W₀⁻¹\) must be a square \(D, D\) matrix; got shape \(2, 3\)"
            r"|\(W₀⁻¹\) must be a symmetric matrix|\(W₀⁻¹\) must be positive definite|contains NaN or infinite"
            r"|\(W₀⁻¹\) has shape \(2, 2\) but mean \(m₀\) has 3 entries)",
            [
                ("vb_scale_inverse-1d", "the diagonal only", lambda: {"vb_scale_inverse": np.ones(2)}),
                ("vb_scale_inverse-not-square", "shape (2, 3)", lambda: {"vb_scale_inverse": np.ones((2, 3))}),
                (
                    "vb_scale_inverse-asymmetric",
                    "[[1, 0.5], [0, 1]]",
                    lambda: {"vb_scale_inverse": [[1.0, 0.5], [0.0, 1.0]]},
                ),
                (
                    "vb_scale_inverse-indefinite",
                    "[[1, 2], [2, 1]]",
                    lambda: {"vb_scale_inverse": [[1.0, 2.0], [2.0, 1.0]]},
                ),
                ("vb_scale_inverse-nan", "a NaN entry", lambda: {"vb_scale_inverse": _with(np.eye(2), (0, 0), np.nan)}),
                (
                    "vb_scale_inverse-mean",
                    "I_2 with a mean of 3 entries",
                    lambda: {"vb_scale_inverse": np.eye(2), "vb_mean": [0.0, 0.0, 0.0]},
                ),
            ],
        ),
        *rows_for(
            B_VB_ARRAYS,
            "vb_dof",
            ValueError,
            r"\b{arg}\b \(ν₀\) must be > D − 1 = 1 for D = 2 features",
            [
                ("vb_dof-mean", "ν₀ 1 with a mean of 2 entries", lambda: {"vb_dof": 1.0, "vb_mean": [0.0, 0.0]}),
                ("vb_dof-scale", "ν₀ 0.5 with W₀⁻¹ = I_2", lambda: {"vb_dof": 0.5, "vb_scale_inverse": np.eye(2)}),
            ],
            needs=frozenset({"vb_dof", "vb_mean", "vb_scale_inverse"}),
        ),
        *rows_for(
            B_VB_MEETS_X,
            "vb_mean",
            ValueError,
            r"\b{arg}\b \(m₀\) must have shape \(2,\), one entry per column of X; got \(3,\)",
            [("vb_mean-3d", "mean of 3 entries for 2 columns", lambda: {"vb_mean": [1.0, 2.0, 3.0]})],
            needs=frozenset({"vb_mean", "variational prior meets X"}),
        ),
        *rows_for(
            B_VB_MEETS_X,
            "vb_scale_inverse",
            ValueError,
            r"\b{arg}\b \(W₀⁻¹\) must have shape \(2, 2\) for X with 2 columns; got \(3, 3\)",
            [("vb_scale_inverse-3d", "I_3 for 2 columns", lambda: {"vb_scale_inverse": np.eye(3)})],
            needs=frozenset({"vb_scale_inverse", "variational prior meets X"}),
        ),
        *rows_for(
            B_VB_MEETS_X,
            "vb_dof",
            ValueError,
            r"\b{arg}\b \(ν₀\) must be > D − 1 = 1 for D = 2 features",
            [("vb_dof-1", "ν₀ 1 for 2 columns", lambda: {"vb_dof": 1.0})],
            needs=frozenset({"vb_dof", "variational prior meets X"}),
        ),
        *rows_for(
            B_VB_DEFAULT_SCALE,
            "X",
            ValueError,
            r"the default scale_inverse \(W₀⁻¹\), the covariance of \b{arg}\b, (needs a total weight above 1; got 1"
            r"|is singular)",
            [
                ("vb_X-one-row", "one row", lambda: {"X": X[:1]}),
                ("vb_X-one-weight", "one row of weight 1, the others 0", lambda: {"sample_weight": np.eye(N)[3]}),
                ("vb_X-constant", "a constant column", lambda: {"X": _with(X, (slice(None), 1), 4.0)}),
            ],
            needs=frozenset({"X", "sample_weight", "variational fit"}),
        ),
        *rows_for(
            B_VB_INIT,
            "vb_init",
            TypeError,
            r"\b{arg}\b must be None, an emlib VariationalParams or an \(N, K\) array of responsibilities; got",
            [
                ("vb_init-gmm-params", "init a GMMParams", lambda: {"vb_init": PARAMS}),
                ("vb_init-str", "init 'random'", lambda: {"vb_init": "random"}),
                ("vb_init-number", "init 3", lambda: {"vb_init": 3}),
            ],
        ),
        *rows_for(
            B_VB_INIT,
            "vb_init",
            ValueError,
            r"\b{arg}\b (must have one row per row of X \(8\)|has 3 columns \(components\) but n_components is 2"
            r"|must be non-negative|contains NaN|must be a 2-D array|has 3 components but n_components is 2"
            r"|has 1 features \(means\.shape\[1\]\) but X has 2)|each row of \b{arg}\b must sum to 1",
            [
                ("vb_init-rows", "responsibilities of 7 rows", lambda: {"vb_init": RESPONSIBILITIES[:-1]}),
                ("vb_init-columns", "responsibilities of 3 columns", lambda: {"vb_init": np.full((N, 3), 1.0 / 3.0)}),
                ("vb_init-negative", "negative responsibilities", lambda: {"vb_init": 2.0 * _ONE_HOT - 0.5}),
                ("vb_init-sum", "rows summing to 0.5", lambda: {"vb_init": 0.5 * RESPONSIBILITIES}),
                ("vb_init-nan", "a NaN", lambda: {"vb_init": _with(RESPONSIBILITIES, (2, 0), np.nan)}),
                ("vb_init-1d", "one row of responsibilities, 1-D", lambda: {"vb_init": RESPONSIBILITIES[0]}),
                ("vb_init-components", "a q(θ) of 3 components", lambda: {"vb_init": Q_PARAMS_3}),
                ("vb_init-dimension", "a q(θ) with D = 1", lambda: {"vb_init": Q_PARAMS_1D}),
            ],
        ),
        *rows_for(
            B_VB_INIT_CONVERTED,
            "vb_init",
            None,
            "",
            [("vb_init-list", "one-hot integer lists", lambda: {"vb_init": _ONE_HOT.astype(int).tolist()})],
            same_as=lambda: {"vb_init": _ONE_HOT},
        ),
        *[
            row
            for argument, greek in (("q_concentration", "α"), ("q_mean_precision", "β"))
            for row in rows_for(
                B_Q_VALUES,
                argument,
                ValueError,
                rf"\b{{arg}}\b \({greek}\) must be positive",
                [
                    (f"{argument}-zero", f"{argument} (0, 1)", lambda argument=argument: {argument: [0.0, 1.0]}),
                    (f"{argument}-negative", f"{argument} (-1, 1)", lambda argument=argument: {argument: [-1.0, 1.0]}),
                ],
            )
        ],
        *rows_for(
            B_Q_VALUES,
            "q_dof",
            ValueError,
            r"\b{arg}\b \(ν\) must be > D − 1 = 1 for D = 2 features",
            [
                ("q_dof-1", "a ν of 1 for D = 2", lambda: {"q_dof": [1.0, 6.0]}),
                ("q_dof-half", "a ν of 0.5", lambda: {"q_dof": [0.5, 6.0]}),
            ],
        ),
        *[
            row
            for argument, value in (
                ("q_concentration", [np.nan, 1.0]),
                ("q_mean_precision", [np.nan, 1.0]),
                ("q_means", _with(MEANS, (0, 1), np.nan)),
                ("q_dof", [np.nan, 6.0]),
            )
            for row in rows_for(
                B_Q_VALUES,
                argument,
                ValueError,
                r"\b{arg}\b contains NaN or infinite",
                [(f"{argument}-nan", f"a NaN in {argument}", lambda argument=argument, value=value: {argument: value})],
            )
        ],
        *rows_for(
            B_Q_SHAPES,
            "q_means",
            ValueError,
            r"\b{arg}\b (must be a 2-D array|must have shape \(K, D\) with K = 2 \(the length of concentration\))",
            [
                ("q_means-1d", "means 1-D", lambda: {"q_means": MEANS[:, 0]}),
                ("q_means-rows", "three means for two concentrations", lambda: {"q_means": np.zeros((3, 2))}),
            ],
        ),
        *[
            row
            for argument in ("q_mean_precision", "q_dof")
            for row in rows_for(
                B_Q_SHAPES,
                argument,
                ValueError,
                r"\b{arg}\b must have shape \(2,\), one entry per component; got \(3,\)",
                [
                    (
                        f"{argument}-long",
                        f"three entries of {argument}",
                        lambda argument=argument: {argument: np.full(3, 6.0)},
                    )
                ],
            )
        ],
        *rows_for(
            B_Q_SHAPES,
            "q_concentration",
            ValueError,
            r"\b{arg}\b (must be a 1-D array|must have at least one entry)",
            [
                ("q_concentration-2d", "concentration of shape (1, 2)", lambda: {"q_concentration": [[4.5, 4.5]]}),
                ("q_concentration-empty", "no concentration", lambda: {"q_concentration": []}),
            ],
        ),
        *rows_for(
            B_Q_SHAPES,
            "q_cholesky",
            ValueError,
            r"\b{arg}\b (must have shape \(K, D, D\) = \(2, 2, 2\)|must be a 3-D array|must be lower triangular"
            r"|must have a positive diagonal)",
            [
                ("q_cholesky-3x3", "3 x 3 factors for D = 2", lambda: {"q_cholesky": np.stack([np.eye(3)] * 2)}),
                ("q_cholesky-2d", "one factor, 2-D", lambda: {"q_cholesky": np.eye(2)}),
                ("q_cholesky-upper", "an entry above the diagonal", lambda: {"q_cholesky": np.ones((2, 2, 2))}),
                ("q_cholesky-negative", "a diagonal -1", lambda: {"q_cholesky": np.stack([-np.eye(2)] * 2)}),
                ("q_cholesky-zero", "a zero factor", lambda: {"q_cholesky": np.zeros((2, 2, 2))}),
            ],
        ),
        *rows_for(
            B_Q_CONVERTED,
            "q_concentration",
            None,
            "",
            [
                (
                    "q-lists",
                    "every array a nested list",
                    lambda: {name: np.asarray(value).tolist() for name, value in Q_FIELDS.items()},
                )
            ],
            needs=frozenset(_Q_NAMES),
        ),
    ]
)


# --- fit_gmm on a Dask array (emlib.blockwise): X a dask.array.Array, read block by block ---------------------
def _dask(array, chunks=(4, -1)):
    return da.from_array(np.asarray(array), chunks=chunks)


GOOD["dask_X"] = _dask(X)  # two blocks of four rows


def _fit_gmm_dask(a: dict, **start) -> emlib.EMResult:
    """fit_gmm on dask_X, on Dask's synchronous scheduler (the threaded and distributed ones: tests/test_blockwise.py)."""
    with dask.config.set(scheduler="synchronous"):
        return emlib.fit_gmm(a["dask_X"], a["n_components"], **start)


TARGETS.update(
    {
        "fit_gmm[dask]": target(
            lambda a: _fit_gmm_dask(
                a,
                covariance_type=a["covariance_type"],
                init=a["params"],
                max_iter=a["max_iter"],
                tol=a["tol"],
                reg_covar=a["reg_covar"],
                sample_weight=a["sample_weight"],
                method=a["method"],
                callback=a["callback"],
                random_state=a["rng"],
                n_init=a["n_init"],
                prior=a["prior"],
                stopping=a["stopping"],
                verbose=a["verbose"],
                missing=a["missing"],
            ),
            "dask_X",
            "params",
            "n_components",
            "covariance_type",
            "max_iter",
            "tol",
            "reg_covar",
            "sample_weight",
            "method",
            "callback",
            "rng",
            "n_init",
            "prior",
            "stopping",
            "verbose",
            "missing",
            dask_X="X",
            params="init",
            rng="random_state",
        ),
        # a named start: a converged in-memory fit on a sample of the rows
        "fit_gmm[dask, k-means++]": target(
            lambda a: _fit_gmm_dask(a, init=a["init"], random_state=a["rng"], n_init=a["n_init"]),
            "dask_X",
            "n_components",
            "init",
            "rng",
            "n_init",
            dask_X="X",
            rng="random_state",
        ),
    }
)

B_DASK_CHUNKS = "A Dask array `X` with unknown chunk sizes (after boolean indexing, for example)"
B_DASK_OPTIONS = '`method="hard"`, `"ecg"` or `"hybrid"`, a conjugate `prior` or `missing="em"` with a Dask array `X`'
B_DASK_SAMPLE_WEIGHT = "`sample_weight` a Dask array, with a Dask array `X`"

ROWS.extend(
    [
        # the rows of the X groups above, for a Dask array X
        *rows_for(
            B_NONFINITE_X,
            "dask_X",
            ValueError,
            r"\b{arg}\b contains NaN or infinite values \(row 5\); on a Dask array a NaN is an error",
            [
                ("dask_X-nan", "NaN in X", lambda: {"dask_X": _dask(_with(X, (5, 1), np.nan))}),
                ("dask_X-inf", "inf in X", lambda: {"dask_X": _dask(_with(X, (5, 0), np.inf))}),
            ],
            # with a named start the in-memory fit of a sample of the rows meets the NaN first, and its message
            # suggests missing='em', which a Dask array refuses: not that target until fit_gmm gives this message
            exclude=("fit_gmm[dask, k-means++]",),
        ),
        *rows_for(
            B_NDIM_X,
            "dask_X",
            ValueError,
            r"\b{arg}\b must be a 2-D array",
            [
                ("dask_X-1d", "X 1-D", lambda: {"dask_X": _dask(X[:, 0], (4,))}),
                ("dask_X-3d", "X 3-D", lambda: {"dask_X": _dask(X[np.newaxis], (1, 4, -1))}),
            ],
        ),
        *rows_for(
            B_EMPTY_X,
            "dask_X",
            ValueError,
            r"\b{arg}\b must have at least one row and one column",
            [
                ("dask_X-no-rows", "X with no rows", lambda: {"dask_X": _dask(np.empty((0, 2)))}),
                ("dask_X-no-columns", "X with no columns", lambda: {"dask_X": _dask(np.empty((N, 0)))}),
            ],
        ),
        *rows_for(
            B_CONVERTED_X,
            "dask_X",
            None,
            "",
            [
                ("dask_X-int", "X an integer Dask array", lambda: {"dask_X": _dask(X_INT)}),
                ("dask_X-chunks", "uneven row chunks and the columns split", lambda: {"dask_X": _dask(X, (3, 1))}),
            ],
        ),
        *rows_for(
            B_DTYPE_X,
            "dask_X",
            TypeError,
            r"\b{arg}\b must hold real numbers",
            [
                ("dask_X-complex", "X complex", lambda: {"dask_X": _dask(X + 0j)}),
                ("dask_X-bool", "X boolean", lambda: {"dask_X": _dask(X > 5)}),
                ("dask_X-str", "X strings", lambda: {"dask_X": _dask(X.astype(str))}),
            ],
        ),
        *rows_for(
            B_PARAMS_DIM,
            "params",
            ValueError,
            r"\b{arg}\b has dimension 2 but X has 3 columns",
            [
                (
                    "dask-init-dimension",
                    "init with D = 2 for 3 columns",
                    lambda: {"dask_X": _dask(np.hstack([X, X[:, :1]]))},
                )
            ],
            needs=frozenset({"dask_X", "params"}),
        ),
        *rows_for(
            B_K_ROWS,
            "n_components",
            ValueError,
            r"\b{arg}\b \(2\) must not exceed the number of rows of X with positive sample_weight \(1\)",
            [("dask-n_components-rows", "one row of X, two components", lambda: {"dask_X": _dask(X[:1])})],
            needs=frozenset({"dask_X", "n_components"}),
        ),
        *rows_for(
            B_DASK_CHUNKS,
            "dask_X",
            ValueError,
            r"\b{arg}\b has unknown chunk sizes \(NaN\); call X\.compute_chunk_sizes\(\) first",
            [
                (
                    "dask_X-unknown-chunks",
                    "X[X[:, 0] > -1]",
                    lambda: {"dask_X": GOOD["dask_X"][GOOD["dask_X"][:, 0] > -1]},
                )
            ],
        ),
        *rows_for(
            B_DASK_OPTIONS,
            "method",
            ValueError,
            r"\b{arg}\b='(hard|ecg|hybrid)' is not available on a Dask array; use method='em' or 'squarem'",
            [
                (f"dask-method-{method}", f"method {method!r}", lambda method=method: {"method": method})
                for method in ("hard", "ecg", "hybrid")
            ],
            needs=frozenset({"dask_X", "method"}),
        ),
        *rows_for(
            B_DASK_OPTIONS,
            "prior",
            ValueError,
            r"\b{arg}\b \(the conjugate prior\) is not available on a Dask array",
            [
                ("dask-prior-default", "prior 'default'", lambda: {"prior": "default", "reg_covar": None}),
                ("dask-prior", "a ConjugatePrior", lambda: {"prior": ConjugatePrior(shrinkage=0.1), "reg_covar": None}),
            ],
            needs=frozenset({"dask_X", "prior"}),
        ),
        *rows_for(
            B_DASK_OPTIONS,
            "missing",
            ValueError,
            r"\b{arg}\b='em' is not available on a Dask array",
            [("dask-missing", "missing='em'", lambda: {"missing": "em"})],
            needs=frozenset({"dask_X", "missing"}),
        ),
        *rows_for(
            B_DASK_SAMPLE_WEIGHT,
            "sample_weight",
            None,
            "",
            [
                (
                    "dask-sample_weight",
                    "weights 1, 2, 1, … as a Dask array",
                    lambda: {"sample_weight": _dask(SAMPLE_WEIGHT_INT, (4,))},
                )
            ],
            needs=frozenset({"dask_X", "sample_weight"}),
            same_as=lambda: {"sample_weight": SAMPLE_WEIGHT_INT.astype(np.float64)},
        ),
    ]
)


# --- the pieces a variant needs from its model, and the step sizes of online EM ---

# (1) emlib/variants.py _check_model (line 51): a model without the needed method, TypeError naming the model;
#     emlib/student_t.py: no override of classification / simulated_statistics (lines 444-454);
#     emlib/missing.py: MissingGaussianMixtureModel refuses the variants (the interface defaults).
B_MODEL_PIECES = (
    "`model` of `fit_incremental_em` or `OnlineEM` without additive statistics (`summarize`), or of"
    " `fit_monte_carlo_em` without `simulated_statistics`"
)
# (2) emlib/variants.py step_size (line 137): t, learning_decay and learning_offset validated.
B_STEP_T = "`t` of `emlib.variants.step_size` of 0, 2.5 or `True`"
GOOD.update({"t": 2})
TARGETS.update(
    {
        "variants.step_size": target(
            lambda a: emlib.variants.step_size(a["t"], a["learning_decay"], a["learning_offset"]),
            "t",
            "learning_decay",
            "learning_offset",
        ),
    }
)
ROWS.extend(
    [
        *rows_for(
            B_MODEL_PIECES,
            "model",
            TypeError,
            r"(incremental|online) EM needs the \b{arg}\b's summarize; (BinomialMixture|StudentTMixture"
            r"|MissingGaussianMixtureModel) has no summarize",
            [
                ("model-no-summarize", "a BinomialMixture", lambda: {"model": COINS}),
                ("model-t-no-summarize", "a StudentTMixture", lambda: {"model": emlib.StudentTMixture()}),
                (
                    "model-missing-no-summarize",
                    "a MissingGaussianMixtureModel",
                    lambda: {"model": emlib.MissingGaussianMixtureModel(reg_covar=1e-3)},
                ),
            ],
            needs=frozenset({"model", "needs additive statistics"}),
        ),
        *rows_for(
            B_MODEL_PIECES,
            "model",
            TypeError,
            r"Monte Carlo EM needs the \b{arg}\b's simulated_statistics; (FactorAnalysisModel|StudentTMixture"
            r"|MissingGaussianMixtureModel) has no simulated_statistics",
            [
                ("model-no-draws", "a FactorAnalysisModel", lambda: {"model": emlib.FactorAnalysisModel()}),
                ("model-t-no-draws", "a StudentTMixture", lambda: {"model": emlib.StudentTMixture()}),
                (
                    "model-missing-no-draws",
                    "a MissingGaussianMixtureModel",
                    lambda: {"model": emlib.MissingGaussianMixtureModel(reg_covar=1e-3)},
                ),
            ],
            needs=frozenset({"model", "needs simulated statistics"}),
        ),
        *rows_for(
            B_STEP_T,
            "t",
            ValueError,
            r"\b{arg}\b must be >= 1",
            [("t-0", "t 0", lambda: {"t": 0}), ("t-negative", "t -1", lambda: {"t": -1})],
        ),
        *rows_for(
            B_STEP_T,
            "t",
            TypeError,
            r"\b{arg}\b must be an integer",
            [("t-2.5", "t 2.5", lambda: {"t": 2.5}), ("t-True", "t True", lambda: {"t": True})],
        ),
    ]
)


CASES = [pytest.param(row, name, id=f"{row.id}-{name}") for row in ROWS for name in TARGETS if row.applies_to(name)]


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------
def assert_same(actual, expected, path="result"):
    """Equal results, down to rounding: arrays, numbers, result dataclasses and the models they hold."""
    assert type(actual) is type(expected), f"{path}: {type(actual).__name__} != {type(expected).__name__}"
    if isinstance(expected, tuple):
        assert len(actual) == len(expected), path
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{path}[{index}]")
    elif dataclasses.is_dataclass(expected):
        for field in dataclasses.fields(expected):
            if field.name == "seconds":  # a timing (select_gmm's table), not a result
                continue
            assert_same(getattr(actual, field.name), getattr(expected, field.name), f"{path}.{field.name}")
    elif isinstance(expected, Mapping):
        assert list(actual) == list(expected), path
        for key in expected:
            assert_same(actual[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, emlib.GaussianMixtureModel):  # EMResult.model: the same settings
        for name in ("covariance_type", "reg_covar", "covariance_prior"):
            assert_same(getattr(actual, name), getattr(expected, name), f"{path}.{name}")
    elif isinstance(expected, emlib.LatentVariableModel):  # another model (Student t, variational): its settings
        assert_same(vars(actual), vars(expected), path)
    elif expected is None or isinstance(expected, (str, bool, np.bool_)):
        assert actual == expected, path
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-13, atol=0, err_msg=path)


def test_every_row_applies_somewhere():
    unused = [row.id for row in ROWS if not any(row.applies_to(name) for name in TARGETS)]
    assert not unused
    assert len({row.id for row in ROWS}) == len(ROWS)


def test_good_arguments_are_accepted():
    for spec in TARGETS.values():
        spec.call(dict(GOOD))


class Recording(dict):
    """The arguments of a call, remembering which ones the call read."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize(("row", "function"), CASES)
def test_bad_input(row: Row, function: str):
    spec = TARGETS[function]
    bad = row.bad()
    arguments = Recording({**GOOD, **bad})
    if row.error is None:
        expected = spec.call({**GOOD, **row.same_as()})
        assert_same(spec.call(arguments), expected)
    else:
        name = spec.names.get(row.argument, row.argument)
        pattern = row.match.replace("{arg}", re.escape(name))
        with pytest.raises(row.error, match=pattern) as caught:
            spec.call(arguments)
        # raised by emlib itself (or a builtin error it raised), not by numpy or scipy on the way
        assert caught.type.__module__.split(".")[0] in ("builtins", "emlib"), caught.type
    assert set(bad) <= arguments.read, f"{function} never received {set(bad) - arguments.read}"


def _book_table_inputs() -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "book" / "api.md").read_text(encoding="utf-8")
    section = text.split("## What emlib does with bad input", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [line.split("|")[1].strip() for line in lines[2:]]  # skip the header and the rule


def test_book_table_lists_every_row():
    """The book's table has one line per group of ROWS, in the same order, and nothing else."""
    groups = list(dict.fromkeys(row.book for row in ROWS))
    assert _book_table_inputs() == groups
