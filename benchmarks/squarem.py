"""Benchmark: plain EM, SQUAREM and scikit-learn's GaussianMixture from the same start.

For two-component mixtures in 2-D with weak, moderate and strong overlap, each method runs
from identical initial parameters, with the same absolute ``reg_covar`` and the same stopping
tolerance on the per-observation log-likelihood change, on one BLAS thread. Reported: E-steps
(``n_evaluations``: one per EM map, and for SQUAREM one more at each extrapolated point, so at
least its EM maps), wall time (minimum over repeats), final log-likelihood. The issue's target,
checked at the end: with strong overlap SQUAREM needs at least 5x fewer EM-map evaluations (it
is checked on E-steps, which is stricter) and at least 3x less wall time than plain EM, at the
same final log-likelihood (1e-6 relative).

Usage: ``make bench-squarem`` (or ``python benchmarks/squarem.py``). Results are printed as a
table and written to ``benchmarks/results/squarem.json``.
"""

from __future__ import annotations

import json
import pathlib
import platform
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

import emlib

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "squarem.json"
N_PER_COMPONENT = 5000
SEPARATIONS = {"weak": 4.0, "moderate": 2.0, "strong": 1.0}  # distance between means, in sd
TOL = 1e-8  # per-observation log-likelihood change
REG_COVAR = 1e-6
MAX_ITER = 200_000
REPEATS = 3


def overlapping_sample(separation: float, seed: int = 2026) -> np.ndarray:
    """Two correlated 2-D Gaussians, ``separation`` sd apart, N_PER_COMPONENT points each (also benchmarks/ecg.py's)."""
    rng = np.random.default_rng(seed)
    truth = emlib.GMMParams(
        [0.5, 0.5],
        [[0.0, 0.0], [separation, 0.0]],
        [[[1.0, 0.3], [0.3, 1.0]], [[1.0, -0.2], [-0.2, 0.8]]],
    )
    X, _ = emlib.datasets.sample_gmm(truth, 2 * N_PER_COMPONENT, rng)
    return X


def problem(separation: float, seed: int = 2026):
    X = overlapping_sample(separation, seed)
    # the same start for every method: k-means++ seeding followed by one M-step
    start = emlib.fit_gmm(X, 2, max_iter=0, reg_covar=REG_COVAR, random_state=seed).params
    return X, start


def run_emlib(X, start, method):
    fit = emlib.fit_gmm(X, 2, init=start, reg_covar=REG_COVAR, tol=TOL, max_iter=MAX_ITER, method=method)
    return fit.n_evaluations, float(fit.log_likelihoods[-1]), fit.converged


def run_sklearn(X, start):
    model = GaussianMixture(
        n_components=2,
        covariance_type="full",
        tol=TOL,
        reg_covar=REG_COVAR,
        max_iter=MAX_ITER,
        weights_init=np.array(start.weights),
        means_init=np.array(start.means),
        precisions_init=np.linalg.inv(start.covariances),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", SklearnConvergenceWarning)
        model.fit(X)
    # sklearn's score is the mean log-likelihood of the final parameters
    return model.n_iter_, float(model.score(X) * X.shape[0]), bool(model.converged_)


def timed(function, *args):
    best, result = np.inf, None
    for _ in range(REPEATS):
        began = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - began)
    return best, result


def main() -> int:
    rows = []
    with threadpool_limits(limits=1):
        for overlap, separation in SEPARATIONS.items():
            X, start = problem(separation)
            for method, function, args in (
                ("plain EM (emlib)", run_emlib, (X, start, "em")),
                ("SQUAREM (emlib)", run_emlib, (X, start, "squarem")),
                ("scikit-learn", run_sklearn, (X, start)),
            ):
                seconds, (evaluations, log_likelihood, converged) = timed(function, *args)
                rows.append(
                    {
                        "overlap": overlap,
                        "separation_sd": separation,
                        "method": method,
                        "e_steps": int(evaluations),
                        "seconds": seconds,
                        "final_log_likelihood": log_likelihood,
                        "converged": bool(converged),
                    }
                )
    print(
        f"N = {2 * N_PER_COMPONENT}, D = 2, K = 2, tol = {TOL:g} per observation, reg_covar = {REG_COVAR:g}, 1 BLAS thread"
    )
    print(f"{'overlap':<9} {'method':<18} {'E-steps':>9} {'seconds':>9} {'final log-lik':>18} {'conv':>5}")
    for row in rows:
        print(
            f"{row['overlap']:<9} {row['method']:<18} {row['e_steps']:>9d} {row['seconds']:>9.3f}"
            f" {row['final_log_likelihood']:>18.8f} {str(row['converged']):>5}"
        )
    checks = []
    for overlap in SEPARATIONS:
        plain, squarem = (
            next(r for r in rows if r["overlap"] == overlap and r["method"] == m)
            for m in ("plain EM (emlib)", "SQUAREM (emlib)")
        )
        fewer = plain["e_steps"] / squarem["e_steps"]
        faster = plain["seconds"] / squarem["seconds"]
        agreement = abs(squarem["final_log_likelihood"] - plain["final_log_likelihood"]) / abs(
            plain["final_log_likelihood"]
        )
        checks.append(
            {"overlap": overlap, "fewer_evaluations": fewer, "less_time": faster, "log_likelihood_rel_diff": agreement}
        )
        print(
            f"{overlap:<9} SQUAREM vs plain EM: {fewer:6.1f}x fewer E-steps, {faster:6.1f}x less time, log-likelihoods differ by {agreement:.1e} (relative)"
        )
    strong = next(c for c in checks if c["overlap"] == "strong")
    target_met = (
        strong["fewer_evaluations"] >= 5 and strong["less_time"] >= 3 and strong["log_likelihood_rel_diff"] <= 1e-6
    )
    print(
        f"target (strong overlap: >= 5x fewer E-steps, >= 3x less time, same log-likelihood to 1e-6): {'met' if target_met else 'NOT met'}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "python": platform.python_version(),
                "rows": rows,
                "checks": checks,
                "target_met": target_met,
            },
            indent=2,
        )
        + "\n"
    )
    print(
        f"written to {RESULTS.relative_to(pathlib.Path.cwd()) if RESULTS.is_relative_to(pathlib.Path.cwd()) else RESULTS}"
    )
    return 0 if target_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
