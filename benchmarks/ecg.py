"""Benchmark: EM, SQUAREM, ECG and the EM–ECG hybrid from the same start.

Salakhutdinov, Roweis and Ghahramani (2003) predict that ECG (conjugate gradient with the EM step
as preconditioned gradient, book algorithm ``em-gradient-alg-ecg``) beats EM where EM is slow,
when the components overlap and much information is missing, and that the hybrid, which runs EM
until EM's rate of convergence is estimated above 0.9, keeps EM's speed where EM is fast.

Problems: two-component mixtures in 2-D with weak, moderate and strong overlap (the data of
``benchmarks/squarem.py``) and the Old Faithful eruptions with K = 2 and K = 3. Every method runs
``emlib.fit_em`` on the same ``GaussianMixtureModel`` (the default data-scaled prior: ECG needs an
M-step that maximises an objective, which an absolute ``reg_covar`` is not), from the same start,
with the same stopping rule, on one BLAS thread. Reported: E-steps and M-steps (counted on the
model, the start's E-step excluded), iterations, wall time (minimum over repeats), final
log-likelihood and log-posterior. Checked at the end: every method ends at EM's log-posterior
(1e-6 relative), and with strong overlap ECG needs at least 5x fewer iterations than EM.

Usage: ``make bench-ecg`` (or ``python benchmarks/ecg.py``). Results are printed as a table and
written to ``benchmarks/results/ecg.json``.
"""

from __future__ import annotations

import json
import pathlib
import platform
import time

import numpy as np
import scipy
from squarem import N_PER_COMPONENT, overlapping_sample  # benchmarks/squarem.py, beside this script
from threadpoolctl import threadpool_limits

import emlib

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "ecg.json"
SEPARATIONS = {"weak": 4.0, "moderate": 2.0, "strong": 1.0}  # distance between means, in sd
TOL = 1e-8  # per-observation change of the objective
MAX_ITER = 200_000
REPEATS = 3
METHODS = {"EM": "em", "SQUAREM": "squarem", "ECG": "ecg", "EM-ECG hybrid": "hybrid"}


class CountingModel(emlib.GaussianMixtureModel):
    """The Gaussian mixture, counting its E-steps and M-steps."""

    def __init__(self):
        super().__init__()
        self.e_steps = self.m_steps = 0

    def expectation(self, data, weights, params):
        self.e_steps += 1
        return super().expectation(data, weights, params)

    def maximization(self, data, weights, statistics, previous):
        self.m_steps += 1
        return super().maximization(data, weights, statistics, previous)


def mixture_problem(separation: float, seed: int = 2026):
    X = overlapping_sample(separation, seed)  # the data of benchmarks/squarem.py
    return X, seeded_start(X, 2, seed)


def seeded_start(X, n_components: int, seed: int):
    """k-means++ seeding followed by one M-step (fit_gmm with max_iter=0), the same for every method."""
    return emlib.fit_gmm(X, n_components, max_iter=0, random_state=seed).params


def run(X, start, method):
    model = CountingModel()
    fit = emlib.fit_em(model, X, start, method=method, tol=TOL, max_iter=MAX_ITER)
    return {
        "e_steps": model.e_steps - 1,
        "m_steps": model.m_steps,
        "iterations": fit.n_iter,
        "final_log_likelihood": float(fit.log_likelihoods[-1]),
        "final_objective": float(fit.objectives[-1]),
        "converged": bool(fit.converged),
    }


def timed(X, start, method):
    best, result = np.inf, None
    for _ in range(REPEATS):
        began = time.perf_counter()
        result = run(X, start, method)
        best = min(best, time.perf_counter() - began)
    return best, result


def problems():
    for overlap, separation in SEPARATIONS.items():
        X, start = mixture_problem(separation)
        yield f"{overlap} overlap", f"{overlap} overlap ({separation:g} sd apart), N = {X.shape[0]}, K = 2", X, start
    faithful = emlib.datasets.old_faithful()
    for k in (2, 3):
        yield (
            f"Old Faithful K={k}",
            f"Old Faithful, N = {faithful.shape[0]}, K = {k}",
            faithful,
            seeded_start(faithful, k, 1),
        )


def main() -> int:
    rows = []
    with threadpool_limits(limits=1):
        for problem, description, X, start in problems():
            for name, method in METHODS.items():
                seconds, result = timed(X, start, method)
                rows.append(
                    {"problem": problem, "description": description, "method": name, **result, "seconds": seconds}
                )
    print(f"D = 2, tol = {TOL:g} per observation, reg_covar = None (the data-scaled prior), 1 BLAS thread")
    header = f"{'problem':<20} {'method':<14} {'E-steps':>8} {'M-steps':>8} {'iter':>7} {'seconds':>8} {'final log-lik':>18} {'conv':>5}"
    print(header)
    for row in rows:
        print(
            f"{row['problem']:<20} {row['method']:<14} {row['e_steps']:>8d} {row['m_steps']:>8d} {row['iterations']:>7d}"
            f" {row['seconds']:>8.3f} {row['final_log_likelihood']:>18.8f} {str(row['converged']):>5}"
        )
    checks = []
    for problem in dict.fromkeys(row["problem"] for row in rows):
        em = next(r for r in rows if r["problem"] == problem and r["method"] == "EM")
        for row in (r for r in rows if r["problem"] == problem and r["method"] != "EM"):
            check = {
                "problem": problem,
                "method": row["method"],
                "fewer_iterations": em["iterations"] / row["iterations"],
                "fewer_e_steps": em["e_steps"] / row["e_steps"],
                "less_time": em["seconds"] / row["seconds"],
                "objective_rel_diff": abs(row["final_objective"] - em["final_objective"]) / abs(em["final_objective"]),
            }
            checks.append(check)
            print(
                f"{problem:<20} {row['method']:<14} vs EM: {check['fewer_iterations']:6.1f}x fewer iterations,"
                f" {check['fewer_e_steps']:6.1f}x fewer E-steps, {check['less_time']:6.1f}x less time,"
                f" log-posteriors differ by {check['objective_rel_diff']:.1e} (relative)"
            )
    strong_ecg = next(c for c in checks if c["problem"] == "strong overlap" and c["method"] == "ECG")
    target_met = (
        all(row["converged"] for row in rows)
        and all(c["objective_rel_diff"] <= 1e-6 for c in checks)
        and strong_ecg["fewer_iterations"] >= 5
    )
    print(
        "target (every method at EM's log-posterior to 1e-6; strong overlap: ECG >= 5x fewer iterations):"
        f" {'met' if target_met else 'NOT met'}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "scipy": scipy.__version__,
                "settings": {
                    "tol": TOL,
                    "max_iter": MAX_ITER,
                    "repeats": REPEATS,
                    "reg_covar": None,
                    "n_per_component": N_PER_COMPONENT,
                    "separations_sd": SEPARATIONS,
                    "blas_threads": 1,
                },
                "rows": rows,
                "checks": checks,
                "target_met": target_met,
            },
            indent=2,
        )
        + "\n"
    )
    print("written to benchmarks/results/ecg.json")
    return 0 if target_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
