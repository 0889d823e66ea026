"""Benchmark: the cases of the issue "Correct fits at default settings", before and after the fix.

Each case below is one function that runs emlib's public API (``fit_gmm``, ``GMMParams``,
``log_likelihood``, ``e_step``, ``m_step``, ``GaussianMixture`` + ``fit_em``, ``emlib.gradient``)
on fixed, seeded data and returns the measured figures and a short verdict. Run against the
code before the fix and against the fixed code, the two outputs show what the fix changed.

1. WDBC (scikit-learn's breast-cancer data, variances over eleven decades): mean log-likelihood
   per sample of the default fit, and the per-sample gap between the fit of the z-scored data
   (mapped back by the Jacobian) and the fit of the original data.
2. Two columns with spreads 100 and 0.01: fitted / sample variance of the small column.
3. Old Faithful with eruptions in seconds instead of minutes: log-likelihood and means, corrected.
4. Old Faithful under an anisotropic affine map: log-likelihood corrected by log|det A|.
5. A row at (F, F), F up to 1e20, next to three clusters: error of the M-step's cluster means.
6. Two 1-D clusters scaled by 1e-150 ... 1e-300: the distance between the fitted means / c.
7. A component collapsing onto one point with reg_covar=0 (spherical).
8. n_init=10, K=6 on standardised Old Faithful: the smallest covariance eigenvalue kept.
9. GMMParams after deepcopy / pickle: still read-only, and consistent if edited?
10. A zero-weight row at 1e200 (reg_covar=1e-6): does the fit run?
11. Sample weights vs. repeated rows (k-means++ seeding with weights).
12. GaussianMixture with an invalid covariance_type / negative reg_covar set after construction.
13. reg_covar=1: where the default stopping rule stops, and how far that is from a fixed point.
14. A covariance entry of 9.5e307 (symmetrising overflows).
15. reg_covar=0 with two columns on scales 1 and 1e8.
16. Miscellaneous inputs: masked array, float32-normalised weights, a bad random_state next to
    a GMMParams init, a sparse matrix, sample weights of 1e308, and the memory that
    ``emlib.gradient`` would allocate for D=100.

Every case is wrapped so that an exception is recorded as "raised <Type>: <message>" instead of
stopping the script; attributes that only a newer emlib has are read with ``getattr``. The script
imports whichever emlib comes first on ``sys.path`` and prints its location on the first line
(that line is not written to the JSON). Run time: well under two minutes, on one BLAS thread.

Usage: ``python benchmarks/default_settings.py [--json PATH]``. Results go to
``benchmarks/results/default_settings.json`` unless ``--json`` says otherwise.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import math
import pathlib
import pickle
import platform
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy
import scipy.sparse

import emlib

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "default_settings.json"
TOLERANCE = 1e-6  # per-sample log-likelihood gap (nats) or relative error counted as "equal"
GIB = 2**30


# ---------------------------------------------------------------------------------------------
# Helpers


def raised(error: BaseException) -> str:
    """How an exception is recorded: its type and the first 120 characters of its message."""
    return f"raised {type(error).__name__}: {str(error)[:120]}"


def attempt(function, *args, **kwargs):
    """(result, None) if the call returns, (None, "raised ...") if it raises."""
    try:
        return function(*args, **kwargs), None
    except Exception as error:  # noqa: BLE001 - every failure is a measured outcome here
        return None, raised(error)


def old_faithful() -> np.ndarray:
    return emlib.datasets.old_faithful()


def standardise(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column z-scores of X, and the column standard deviations (ddof=0)."""
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / std, std


def log_lik(X, params, sample_weight=None) -> float:
    return float(emlib.log_likelihood(X, params, sample_weight=sample_weight))


def matched_mean_error(means_a: np.ndarray, means_b: np.ndarray) -> float:
    """max |μ_a − μ_b| over components, under the component order that matches them best."""
    best = math.inf
    for order in itertools.permutations(range(means_a.shape[0])):
        best = min(best, float(np.max(np.abs(means_a - means_b[list(order)]))))
    return best


def min_eigenvalue(params) -> float:
    return float(np.min(np.linalg.eigvalsh(params.covariances)))


def two_cluster_init(D: int = 2):
    """A fixed two-component start for standardised data: means at ∓1, identity covariances."""
    return emlib.GMMParams([0.5, 0.5], [np.full(D, -1.0), np.full(D, 1.0)], np.stack([np.eye(D)] * 2))


# ---------------------------------------------------------------------------------------------
# The cases


def case_wdbc():
    """1. WDBC: default fits of the original and the z-scored data, seeds 0..4."""
    from sklearn.datasets import load_breast_cancer

    X = load_breast_cancer().data
    N = X.shape[0]
    Z, std = standardise(X)
    jacobian = N * float(np.sum(np.log(std)))
    figures = {"variance_decades": float(np.log10(X.var(axis=0).max() / X.var(axis=0).min()))}
    worst = 0.0
    for covariance_type in ("full", "tied", "diag"):
        per_sample, gaps, errors = [], [], []
        for seed in range(5):
            try:
                fit = emlib.fit_gmm(X, 2, covariance_type=covariance_type, random_state=seed)
                fit_z = emlib.fit_gmm(Z, 2, covariance_type=covariance_type, random_state=seed)
            except Exception as error:  # noqa: BLE001
                errors.append(f"seed {seed}: {raised(error)}")
                continue
            original = log_lik(X, fit.params)
            mapped_back = log_lik(Z, fit_z.params) - jacobian
            per_sample.append(original / N)
            gaps.append((mapped_back - original) / N)
        entry = {"mean_loglik_per_sample": per_sample}
        if gaps:
            entry.update(gap_min=min(gaps), gap_max=max(gaps))
            worst = max(worst, *(abs(gap) for gap in gaps))
        if errors:
            entry["errors"] = errors
            worst = math.inf
        figures[covariance_type] = entry
    if worst <= TOLERANCE:
        verdict = "unit-equivariant: z-scored fits map back to the original fits"
    elif math.isinf(worst):
        verdict = "some fits raised"
    else:
        verdict = f"NOT unit-equivariant: per-sample gap up to {worst:.3g} nats"
    return figures, verdict


def case_two_spreads():
    """2. Columns with spreads 100 and 0.01: one default component; fitted/sample variance of the small one."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(0.0, 100.0, 2000), rng.normal(0.0, 0.01, 2000)])
    fit = emlib.fit_gmm(X, 1, random_state=0)
    ratio = float(fit.params.covariances[0, 1, 1] / X[:, 1].var())
    figures = {"variance_ratio_small_column": ratio, "reg_covar": fit.model.reg_covar}
    verdict = "OK" if abs(ratio - 1.0) <= 1e-3 else f"small column's variance inflated x{ratio:.3g}"
    return figures, verdict


def case_change_of_units():
    """3. Old Faithful, eruptions in minutes vs. seconds: K=2 default full, random_state=0."""
    X = old_faithful()
    N = X.shape[0]
    seconds = X * np.array([60.0, 1.0])
    fit_minutes = emlib.fit_gmm(X, 2, random_state=0)
    fit_seconds = emlib.fit_gmm(seconds, 2, random_state=0)
    gap = log_lik(seconds, fit_seconds.params) + N * math.log(60.0) - log_lik(X, fit_minutes.params)
    mean_error = matched_mean_error(fit_minutes.params.means, fit_seconds.params.means / np.array([60.0, 1.0]))
    figures = {"loglik_gap": gap, "loglik_gap_per_sample": gap / N, "max_abs_mean_diff_minutes": mean_error}
    failed = []
    if abs(gap) / N > TOLERANCE:
        failed.append("log-likelihood")
    if mean_error > TOLERANCE * np.abs(X).max():
        failed.append(f"means (by {mean_error:.3g} min)")
    return figures, "unit-equivariant" if not failed else f"NOT unit-equivariant: {', '.join(failed)} differ"


def case_affine_map():
    """4. Old Faithful under x -> A x + b, A = [[3, 1], [0, 0.02]], b = [5, -7]."""
    X = old_faithful()
    N = X.shape[0]
    A = np.array([[3.0, 1.0], [0.0, 0.02]])
    b = np.array([5.0, -7.0])
    Y = X @ A.T + b
    fit_x = emlib.fit_gmm(X, 2, random_state=0)
    fit_y = emlib.fit_gmm(Y, 2, random_state=0)
    gap = log_lik(Y, fit_y.params) + N * math.log(abs(np.linalg.det(A))) - log_lik(X, fit_x.params)
    means_back = np.linalg.solve(A, (fit_y.params.means - b).T).T
    figures = {"loglik_gap": gap, "max_abs_mean_diff": matched_mean_error(fit_x.params.means, means_back)}
    return figures, "affine-equivariant" if abs(gap) / N <= TOLERANCE else "NOT affine-equivariant"


def far_row_data(F: float):
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    clusters = np.vstack([centre + rng.normal(size=(100, 2)) for centre in centres])
    X = np.vstack([clusters, [[F, F]]])
    init = emlib.GMMParams(np.full(4, 0.25), np.vstack([centres, [[F, F]]]), np.stack([np.eye(2)] * 4))
    return X, init


def exact_cluster_means(X: np.ndarray, responsibilities: np.ndarray, n_clusters: int = 3) -> np.ndarray:
    """mean_k = fsum(r_nk x_n) / fsum(r_nk), per cluster and column, with exactly rounded sums."""
    means = np.empty((n_clusters, X.shape[1]))
    for k in range(n_clusters):
        total = math.fsum(responsibilities[:, k])
        for d in range(X.shape[1]):
            means[k, d] = math.fsum(responsibilities[:, k] * X[:, d]) / total
    return means


def _one_m_step(X, init, responsibilities, reg_covar):
    """The parameters after one M-step: m_step for a float reg_covar, fit_gmm(max_iter=1) for None (default)."""
    if reg_covar is None:
        return emlib.fit_gmm(X, init.n_components, init=init, max_iter=1).params
    return emlib.m_step(X, responsibilities, reg_covar=reg_covar)


def case_far_row():
    """5. Three clusters + one row at (F, F): one M-step from the true centres; error of the cluster means.

    With reg_covar=0 the far row's own component is a single point (singular), so the M-step is
    also run with reg_covar=1e-6, and as fit_gmm(max_iter=1) with the default regularisation; the
    means do not depend on reg_covar.
    """
    figures, errors = {}, []
    for F in (1e16, 1e18, 1e20):
        X, init = far_row_data(F)
        responsibilities, error = attempt(emlib.e_step, X, init)
        if error:
            figures[f"F={F:g}"] = {"e_step": error}
            continue
        exact = exact_cluster_means(X, responsibilities)
        entry = {}
        for reg_covar in (0.0, 1e-6, None):
            label = "fit_gmm default reg, max_iter=1" if reg_covar is None else f"m_step reg_covar={reg_covar:g}"
            params, error = attempt(_one_m_step, X, init, responsibilities, reg_covar)
            if error:
                entry[label] = error
                continue
            errors.append(float(np.max(np.abs(params.means[:3] - exact))))
            entry[label] = {"max_abs_mean_error": errors[-1]}
        figures[f"F={F:g}"] = entry
    if not errors:
        verdict = "every M-step raised: no mean measured"
    elif max(errors) <= 1e-9:
        verdict = "cluster means exact to 1e-9 where measured"
    else:
        verdict = f"cluster means off by up to {max(errors):.3g}"
    return figures, verdict


def case_tiny_scale():
    """6. Two 1-D clusters (centres 0 and 10) scaled by c: distance between the fitted means / c."""
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(0.0, 1.0, 100), rng.normal(10.0, 1.0, 100)]).reshape(-1, 1)
    figures, distances = {}, {}
    for c in (1.0, 1e-150, 1e-160, 1e-200, 1e-300):
        fit, error = attempt(emlib.fit_gmm, c * x, 2, random_state=0)
        if error:
            figures[f"c={c:g}"] = error
            continue
        means = fit.params.means[:, 0]
        if means[0] == means[1]:
            figures[f"c={c:g}"] = "both means equal"
            continue
        distances[c] = float(abs(means[1] - means[0]) / c)
        figures[f"c={c:g}"] = {"distance_over_c": distances[c]}
    reference = distances.get(1.0)
    good = [c for c, d in distances.items() if reference and abs(d / reference - 1.0) <= 1e-6]
    verdict = (
        "scale-equivariant down to 1e-300" if len(good) == 5 else f"correct only for c in {sorted(good, reverse=True)}"
    )
    return figures, verdict


def case_spherical_collapse():
    """7. reg_covar=0, spherical: one start component on a data point with variance 1e-4."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 2))
    init = emlib.GMMParams([0.5, 0.5], [X[0], X.mean(axis=0)], [1e-4 * np.eye(2), np.eye(2)])
    try:
        fit = emlib.fit_gmm(X, 2, covariance_type="spherical", init=init, reg_covar=0)
    except emlib.SingularCovarianceError as error:
        return {"outcome": raised(error)}, "raised SingularCovarianceError (as documented for a collapse)"
    variance = float(np.min(fit.params.covariances[:, 0, 0]))
    figures = {"min_variance": variance, "converged": bool(fit.converged), "n_iter": int(fit.n_iter)}
    collapsed = variance < 1e-10
    return figures, "collapsed fit returned without an error" if collapsed else "no collapse"


def case_n_init_collapse():
    """8. Standardised Old Faithful, K=6 full, default reg, n_init=10: the smallest eigenvalue kept."""
    Z, _ = standardise(old_faithful())
    fit = emlib.fit_gmm(Z, 6, n_init=10, random_state=0)
    smallest = min_eigenvalue(fit.params)
    degenerate = getattr(fit, "degenerate", None)
    figures = {
        "min_eigenvalue_relative": smallest,
        "degenerate": None if degenerate is None else _plain(degenerate),
        "loglik": log_lik(Z, fit.params),
        "smallest_weight_times_N": float(fit.params.weights.min() * Z.shape[0]),
    }
    floor = 100.0 * float(getattr(fit, "reg_covar", 1e-6))  # a collapsed component sits near reg_covar
    verdict = "kept a collapsed component" if smallest < floor else "no component within 100x of reg_covar"
    return figures, verdict


def _plain(value):
    """A JSON-friendly version of an attribute of unknown type."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, (bool, int, float, str, list, tuple, dict)) or value is None:
        return value
    return repr(value)


def _copy_then_edit(q) -> dict:
    entry = {"covariances_writeable": bool(q.covariances.flags.writeable)}
    try:
        q.covariances[0, 0, 0] = 4.0
    except Exception as error:  # noqa: BLE001
        entry["edit"] = raised(error)
        return entry
    entry["edit"] = "succeeded"
    loglik, error = attempt(log_lik, [[0.0]], q)
    entry["loglik_at_0"] = error or loglik
    entry["expected_for_variance_4"] = -0.5 * math.log(2 * math.pi * 4.0)
    return entry


def case_copies():
    """9. GMMParams after copy.deepcopy and a pickle round-trip: read-only? consistent if edited?"""
    p = emlib.GMMParams([1.0], [[0.0]], [[[1.0]]])
    figures = {
        "deepcopy": _copy_then_edit(copy.deepcopy(p)),
        "pickle": _copy_then_edit(pickle.loads(pickle.dumps(p))),
    }
    mutable = [name for name, entry in figures.items() if entry["edit"] == "succeeded"]
    inconsistent = [
        name
        for name in mutable
        if not (
            isinstance(figures[name]["loglik_at_0"], float)
            and abs(figures[name]["loglik_at_0"] - figures[name]["expected_for_variance_4"]) <= 1e-12
        )
    ]
    if not mutable:
        verdict = "copies stay read-only"
    elif inconsistent:
        verdict = f"copies are writeable and stale after an edit ({', '.join(inconsistent)})"
    else:
        verdict = "copies are writeable (but consistent after an edit)"
    return figures, verdict


def case_zero_weight_far_row():
    """10. 20 normal rows + a zero-weight row at 1e200, reg_covar=1e-6, K=2, random_state 0..4."""
    rng = np.random.default_rng(10)
    X = np.vstack([rng.normal(size=(20, 1)), [[1e200]]])
    weights = np.ones(21)
    weights[-1] = 0.0
    outcomes = []
    for seed in range(5):
        _, error = attempt(emlib.fit_gmm, X, 2, reg_covar=1e-6, sample_weight=weights, random_state=seed)
        outcomes.append(error.split(":")[0].removeprefix("raised ") if error else "OK")
    figures = {"outcomes": outcomes}
    n_raised = sum(outcome != "OK" for outcome in outcomes)
    return figures, "the zero-weight row is ignored" if n_raised == 0 else f"{n_raised} of 5 seeds raised"


def case_weighted_seeding():
    """11. Weights 200 on the cluster at 100 vs. the same rows repeated: seeds 0..19."""
    rng = np.random.default_rng(11)
    X = np.concatenate([centre + rng.normal(size=5) for centre in (0.0, 50.0, 100.0)]).reshape(-1, 1)
    weights = np.array([1.0] * 10 + [200.0] * 5)
    repeated = np.repeat(X, weights.astype(int), axis=0)
    gaps, errors = [], []
    for seed in range(20):
        try:
            weighted = emlib.fit_gmm(X, 3, sample_weight=weights, random_state=seed)
            copies = emlib.fit_gmm(repeated, 3, random_state=seed)
        except Exception as error:  # noqa: BLE001
            errors.append(f"seed {seed}: {raised(error)}")
            continue
        gaps.append(
            log_lik(X, copies.params, sample_weight=weights) - log_lik(X, weighted.params, sample_weight=weights)
        )
    n_worse = sum(gap > 1.0 for gap in gaps)
    figures = {"n_seeds_weighted_worse_by_1_nat": n_worse, "mean_gap": float(np.mean(gaps)) if gaps else None}
    if errors:
        figures["errors"] = errors
    verdict = (
        "weights seed like repeated rows"
        if n_worse == 0 and not errors
        else f"weighted fit worse in {n_worse}/20 seeds"
    )
    return figures, verdict


def _fit_with_attribute(name: str, value) -> dict:
    """Set one attribute of a GaussianMixtureModel after construction, then run fit_em.

    ``validated`` is true when the outcome is a ValueError or TypeError that names the attribute
    (a SingularCovarianceError or a KeyError from inside the M-step is not a validation).
    """
    Z, _ = standardise(old_faithful())
    model = emlib.GaussianMixtureModel("full", 0.0)
    try:
        setattr(model, name, value)
        result = emlib.fit_em(model, Z, two_cluster_init())
    except Exception as error:  # noqa: BLE001
        validated = (
            isinstance(error, (ValueError, TypeError))
            and not isinstance(error, emlib.SingularCovarianceError)
            and name in str(error)
        )
        return {"outcome": raised(error), "validated": validated}
    decreased = bool(np.any(np.diff(result.log_likelihoods) < 0))
    return {"outcome": "OK", "converged": bool(result.converged), "loglik_decreased": decreased, "validated": False}


def case_model_attributes():
    """12. GaussianMixture attributes changed after construction: covariance_type="bogus", reg_covar=-0.5."""
    figures = {
        "covariance_type=bogus": _fit_with_attribute("covariance_type", "bogus"),
        "reg_covar=-0.5": _fit_with_attribute("reg_covar", -0.5),
    }
    unchecked = [key.split("=")[0] for key, entry in figures.items() if not entry["validated"]]
    verdict = (
        "both invalid attributes rejected by validation" if not unchecked else f"not validated: {', '.join(unchecked)}"
    )
    return figures, verdict


def case_regularised_stop():
    """13. reg_covar=1, standardised Old Faithful, K=2: the stop, and 1000 more EM steps from there."""
    Z, _ = standardise(old_faithful())
    N = Z.shape[0]
    fit = emlib.fit_gmm(Z, 2, reg_covar=1.0, random_state=0)
    history = np.asarray(fit.log_likelihoods)
    last_step_decrease = bool(fit.n_iter > 0 and history[-1] < history[-2])
    params = fit.params
    for _ in range(1000):
        params = emlib.m_step(Z, emlib.e_step(Z, params), reg_covar=1.0)
    change = log_lik(Z, params) - log_lik(Z, fit.params)
    figures = {
        "n_iter": int(fit.n_iter),
        "converged": bool(fit.converged),
        "last_step_decrease": last_step_decrease,
        "loglik_change_after_1000_more": change,
        "max_abs_mean_change": float(np.max(np.abs(params.means - fit.params.means))),
    }
    if abs(change) / N <= TOLERANCE:
        verdict = "stopped at a fixed point"
    else:
        verdict = f"stopped {abs(change) / N:.3g} nats/sample from the fixed point"
    return figures, verdict


def case_huge_covariance():
    """14. GMMParams with a variance of 9.5e307 (twice that overflows)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        params, error = attempt(emlib.GMMParams, [1.0], [[0.0, 0.0]], [[[9.5e307, 0.0], [0.0, 1.0]]])
    runtime_warning = any(issubclass(item.category, RuntimeWarning) for item in caught)
    if error:
        return {"outcome": error, "runtime_warning": runtime_warning}, "rejected"
    has_inf = bool(np.any(np.isinf(params.covariances)))
    figures = {"covariances_contain_inf": has_inf, "runtime_warning": runtime_warning}
    if not has_inf:
        verdict = "OK"
    else:
        verdict = "inf in covariances, only a RuntimeWarning" if runtime_warning else "silent inf in covariances"
    return figures, verdict


def case_two_scales_unregularised():
    """15. reg_covar=0, one component, columns on scales 1 and 1e8."""
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(size=500), 1e8 * rng.normal(size=500)])
    fit, error = attempt(emlib.fit_gmm, X, 1, reg_covar=0, random_state=0)
    if error:
        return {"outcome": error}, "raised on a well-conditioned problem"
    ratio = np.diag(fit.params.covariances[0]) / X.var(axis=0)
    return {"outcome": "OK", "variance_ratios": ratio.tolist()}, "OK"


def case_masked_array():
    """16a. A masked array whose masked entry is -999."""
    X = old_faithful()
    X[0, 0] = -999.0
    mask = np.zeros(X.shape, dtype=bool)
    mask[0, 0] = True
    fit, error = attempt(emlib.fit_gmm, np.ma.masked_array(X, mask=mask), 2, random_state=0)
    if error:
        return {"raises": True, "outcome": error}, "rejected"
    plain = emlib.fit_gmm(X, 2, random_state=0)
    used = bool(np.allclose(fit.params.means, plain.params.means))
    figures = {"raises": False, "masked_value_used": used, "min_mean_col0": float(fit.params.means[:, 0].min())}
    return figures, "mask silently ignored (-999 used as data)" if used else "accepted"


def case_float32_weights():
    """16b. 100 Dirichlet(1,...,1) weight vectors renormalised in float32: how many GMMParams rejects."""
    rng = np.random.default_rng(16)
    means, covariances = np.arange(5.0).reshape(5, 1), np.ones((5, 1, 1))
    rejected = []
    for _ in range(100):
        w32 = rng.dirichlet(np.ones(5)).astype(np.float32)
        _, error = attempt(emlib.GMMParams, w32 / w32.sum(), means, covariances)
        if error:
            rejected.append(error)
    figures = {"rejected": len(rejected), "example": rejected[0] if rejected else None}
    return figures, "all accepted" if not rejected else f"{len(rejected)}/100 rejected"


def case_bad_random_state():
    """16c. fit_gmm(X, 2, init=params, random_state="bad")."""
    Z, _ = standardise(old_faithful())
    _, error = attempt(emlib.fit_gmm, Z, 2, init=two_cluster_init(), random_state="bad")
    if not error:
        return {"raises": False, "outcome": "OK"}, "bad random_state ignored"
    named = "random_state" in error
    return {
        "raises": True,
        "outcome": error,
    }, "rejected, naming random_state" if named else "raised, but not about random_state"


def case_sparse():
    """16d. A scipy.sparse.csr_matrix X."""
    _, error = attempt(emlib.fit_gmm, scipy.sparse.csr_matrix(old_faithful()), 2, random_state=0)
    message = error or "no exception"
    mentions = "sparse" in message.lower()
    return {"message": message}, "message names sparse input" if mentions else "message does not say 'sparse'"


def case_huge_weights():
    """16e. sample_weight = 1e308 for every row of Old Faithful."""
    X = old_faithful()
    _, error = attempt(emlib.fit_gmm, X, 2, sample_weight=np.full(X.shape[0], 1e308), random_state=0)
    message = error or "no exception"
    names = "sample_weight" in message
    return {
        "message": message,
        "names_sample_weight": names,
    }, "names sample_weight" if names else "blames X, not sample_weight"


GRADIENT_CHILD = """
import json, resource, sys, numpy as np
sys.path.insert(0, sys.argv[1])
import emlib, emlib.gradient
D, K, name = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
X = rng.normal(size=(200, D))
params = emlib.GMMParams(np.full(K, 1.0 / K), 0.1 * rng.normal(size=(K, D)), np.stack([np.eye(D)] * K))
limit = int(sys.argv[5])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    getattr(emlib.gradient, name)(X, params)
    print(json.dumps("OK"))
except Exception as error:
    print(json.dumps(f"raised {type(error).__name__}: {str(error)[:120]}"))
"""


def _gradient_in_subprocess(D: int, K: int, name: str) -> str:
    """Call emlib.gradient.<name> in a child process limited to 3 GiB of address space, 60 s."""
    package_parent = str(pathlib.Path(emlib.__file__).resolve().parent.parent)
    command = [sys.executable, "-c", GRADIENT_CHILD, package_parent, str(D), str(K), name, str(3 * GIB)]
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "timeout after 60 s"
    if done.returncode != 0 or not done.stdout.strip():
        return f"child exited with {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def case_gradient_memory():
    """16f. emlib.gradient's K·D⁴ arrays: D=40, K=2 in process; D=100, K=1 under a 3 GiB limit."""
    import emlib.gradient

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 40))
    params = emlib.GMMParams([0.5, 0.5], 0.1 * rng.normal(size=(2, 40)), np.stack([np.eye(40)] * 2))
    figures = {"D=100,K=1 bytes (K*D^4*8)": 1 * 100**4 * 8}
    for name in ("projection_matrix", "complete_information"):
        _, error = attempt(getattr(emlib.gradient, name), X, params)
        figures[f"{name} D=40,K=2"] = error or "OK"
        figures[f"{name} D=100,K=1 (3 GiB limit)"] = _gradient_in_subprocess(100, 1, name)
    outcomes = [value for key, value in figures.items() if "D=100" in key and isinstance(value, str)]
    if all("ValueError" in outcome for outcome in outcomes):
        verdict = "clear ValueError before allocating"
    elif any("MemoryError" in outcome for outcome in outcomes):
        verdict = "MemoryError (allocates first)"
    else:
        verdict = "no ValueError for D=100"
    return figures, verdict


CASES = [
    ("1 WDBC default fits vs z-scores", case_wdbc),
    ("2 spreads 100 and 0.01", case_two_spreads),
    ("3 minutes vs seconds", case_change_of_units),
    ("4 anisotropic affine map", case_affine_map),
    ("5 far row (m_step means)", case_far_row),
    ("6 tiny scale", case_tiny_scale),
    ("7 spherical collapse, reg_covar=0", case_spherical_collapse),
    ("8 n_init=10 picks collapsed optimum", case_n_init_collapse),
    ("9 deepcopy / pickle", case_copies),
    ("10 zero-weight row at 1e200", case_zero_weight_far_row),
    ("11 weighted k-means++", case_weighted_seeding),
    ("12 GaussianMixture attributes", case_model_attributes),
    ("13 reg_covar=1 stopping", case_regularised_stop),
    ("14 covariance 9.5e307", case_huge_covariance),
    ("15 reg_covar=0, scales 1 and 1e8", case_two_scales_unregularised),
    ("16a masked array", case_masked_array),
    ("16b float32 weights", case_float32_weights),
    ("16c random_state='bad' with init", case_bad_random_state),
    ("16d sparse X", case_sparse),
    ("16e sample_weight 1e308", case_huge_weights),
    ("16f gradient memory", case_gradient_memory),
]


# ---------------------------------------------------------------------------------------------
# Running and reporting


def run_case(function) -> dict:
    """Run one case; an exception becomes the verdict, warnings are counted by category."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            figures, verdict = function()
        except Exception as error:  # noqa: BLE001
            figures, verdict = {}, raised(error)
    counts = {}
    for item in caught:
        counts[item.category.__name__] = counts.get(item.category.__name__, 0) + 1
    return {"figures": figures, "verdict": verdict, "warnings": counts, "seconds": time.perf_counter() - start}


def format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {format_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    return str(value)


def format_line(name: str, result: dict) -> str:
    figures = "; ".join(f"{key}={format_value(value)}" for key, value in result["figures"].items())
    warned = ", ".join(f"{category} x{count}" for category, count in result["warnings"].items())
    suffix = f" [warnings: {warned}]" if warned else ""
    return f"{name}: {figures} -> {result['verdict']}{suffix}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=pathlib.Path, default=RESULTS, help="where to write the results")
    arguments = parser.parse_args(argv)

    print(f"emlib imported from: {emlib.__file__}")  # not written to the JSON (a machine path)
    results = {
        "issue": "Correct fits at default settings",
        "emlib_version": getattr(emlib, "__version__", None),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "cases": {},
    }
    start = time.perf_counter()
    for name, function in CASES:
        result = run_case(function)
        results["cases"][name] = result
        print(format_line(name, result), flush=True)
    results["total_seconds"] = time.perf_counter() - start
    print(f"total: {results['total_seconds']:.1f} s")

    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(results, indent=2, default=_plain) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
