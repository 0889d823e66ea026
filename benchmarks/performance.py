"""Benchmark: emlib's EM iteration against scikit-learn's GaussianMixture, per iteration and end to end.

What it measures (issue "Performance"), in one process, interleaving the two libraries:

1. **Per EM iteration**, for (N, D, K) in SIZES and every covariance type, from identical
   parameters with tol = 0: one iteration is one M-step followed by one E-step (the body of each
   library's fit loop: emlib's ``GaussianMixtureModel.maximization`` + ``posterior``, scikit-learn's
   ``_m_step`` + ``_e_step``). Reported: min and median seconds per iteration over ``iterations(N, type)``
   iterations, the ratio sklearn / emlib, the peak memory allocated during one iteration
   (tracemalloc, which numpy reports to), and emlib's flop efficiency: the floor of
   2·N·K·D² flops (full and tied; N·K·D for diag and spherical) per iteration divided by the
   time, against the dgemm rate measured in the same run. A speed-up is reported only if the
   two log-likelihood trajectories agree to 1e-10 relative; otherwise the row says MISMATCH.
   Run single-threaded (threadpoolctl) and with the default threads.
2. **End to end**, full covariance, at the sizes of END_TO_END_SIZES: ``emlib.fit_gmm`` (soft and
   hard, k-means++ seeding, default tolerance) against ``GaussianMixture(...).fit`` with
   scikit-learn's defaults on the same data: time to convergence, iterations and final
   log-likelihood. The largest size is left out: emlib's default tolerance takes it through
   hundreds of iterations (minutes), which would keep the benchmark from running in five minutes.

emlib is timed twice per row: with its compiled loops (the optional extra emlib[numba], installed
by requirements.txt) and with them switched off (the numpy reference path).

Usage: ``make bench-performance`` or ``python benchmarks/performance.py [--quick]``. Results go to
``benchmarks/results/performance.json`` (read by the book's Performance appendix) and a table is
printed. ``--quick`` runs only the smallest size (a smoke test).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import platform
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from threadpoolctl import threadpool_info, threadpool_limits

import emlib
from emlib import _fast

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "performance.json"
SIZES = [(1_000, 2, 2), (10_000, 2, 3), (100_000, 8, 8), (200_000, 32, 16)]
COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
ITERATIONS = {1_000: 100, 10_000: 40, 100_000: 12, 200_000: 4}  # minima over more iterations where they are cheap
LARGEST_CHEAP_ITERATIONS = 12  # diag and spherical at the largest size: 0.2 s per scikit-learn iteration, not 1.5-4 s


def iterations(n: int, covariance_type: str) -> int:
    """Iterations timed per row: more where an iteration is cheap, so that the minima are steadier."""
    if n == max(ITERATIONS) and covariance_type in ("diag", "spherical"):
        return LARGEST_CHEAP_ITERATIONS
    return ITERATIONS[n]


END_TO_END_SIZES = SIZES[:-1]
REG_COVAR = 1e-6
TRAJECTORY_RTOL = 1e-10


def make_data(n, d, k, seed=0):
    """A k-component mixture with random means and covariances; the start: k-means++ + one M-step."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=3.0, size=(k, d))
    factors = rng.normal(size=(k, d, d)) / np.sqrt(d)
    covariances = factors @ np.swapaxes(factors, 1, 2) + 0.5 * np.eye(d)
    truth = emlib.GMMParams(rng.dirichlet(np.full(k, 5.0)), means, covariances)
    X, _ = emlib.datasets.sample_gmm(truth, n, rng)
    return X


def sklearn_precisions(params, covariance_type):
    inverse = np.linalg.inv(params.covariances)
    if covariance_type == "full":
        return inverse
    if covariance_type == "tied":
        return inverse[0]
    if covariance_type == "diag":
        return 1.0 / np.diagonal(params.covariances, axis1=1, axis2=2)
    return 1.0 / params.covariances[:, 0, 0]


def blas_libraries():
    """The thread pools' libraries, by file name and version: no path of the machine that ran the benchmark."""
    return [
        {
            **{key: value for key, value in pool.items() if key != "filepath"},
            "library": os.path.basename(pool["filepath"]),
        }
        for pool in threadpool_info()
    ]


def dgemm_rate(n=1500, repeats=3):
    a, b = np.random.default_rng(1).normal(size=(2, n, n))
    best = min(_time(lambda: a @ b) for _ in range(repeats))
    return 2.0 * n**3 / best


def _time(function):
    began = time.perf_counter()
    function()
    return time.perf_counter() - began


def _peak_bytes(function):
    tracemalloc.start()
    tracemalloc.reset_peak()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


class EmlibLoop:
    """emlib's EM iteration: M-step on the current responsibilities, then the E-step.

    ``compiled``: whether emlib's compiled loops run (the optional extra emlib[numba]); False
    times the numpy path, which is emlib's reference where numba is not installed.
    """

    def __init__(self, X, start, covariance_type, compiled):
        self.X, self.weights, self.compiled = X, np.ones(X.shape[0]), compiled
        self.model = emlib.GaussianMixtureModel(covariance_type, REG_COVAR)
        with compiled_loops(compiled):
            self.log_marginals, self.responsibilities = self.model.posterior(X, start)
        self.trajectory = [float(self.log_marginals.sum())]

    def iterate(self):
        with compiled_loops(self.compiled):
            params = self.model.maximization(self.X, self.weights, self.responsibilities, None)
            self.log_marginals, self.responsibilities = self.model.posterior(self.X, params)
        self.trajectory.append(float(self.log_marginals.sum()))


@contextlib.contextmanager
def compiled_loops(enabled):
    """emlib's compiled loops switched on (if numba is installed) or off, for the duration."""
    saved = _fast.USE_COMPILED
    _fast.USE_COMPILED = enabled and _fast.HAVE_NUMBA
    try:
        yield
    finally:
        _fast.USE_COMPILED = saved


class SklearnLoop:
    """scikit-learn's EM iteration (the body of BaseMixture.fit_predict's loop)."""

    def __init__(self, X, start, covariance_type):
        self.X = X
        self.model = SklearnGaussianMixture(
            n_components=start.n_components,
            covariance_type=covariance_type,
            reg_covar=REG_COVAR,
            max_iter=1,
            tol=0.0,
            weights_init=np.array(start.weights),
            means_init=np.array(start.means),
            precisions_init=sklearn_precisions(start, covariance_type),
        )
        self.model._initialize_parameters(X, np.random.RandomState(0))  # sets the *_init parameters
        log_norm, self.log_resp = self.model._e_step(X)
        self.trajectory = [float(log_norm) * X.shape[0]]

    def iterate(self):
        self.model._m_step(self.X, self.log_resp)
        log_norm, self.log_resp = self.model._e_step(self.X)
        self.trajectory.append(float(log_norm) * self.X.shape[0])


def per_iteration(n, d, k, covariance_type, gemm_flops):
    X = make_data(n, d, k)
    start = emlib.fit_gmm(X, k, covariance_type=covariance_type, max_iter=0, reg_covar=REG_COVAR, random_state=0).params
    loops = {
        "sklearn": SklearnLoop(X, start, covariance_type),
        "emlib numpy": EmlibLoop(X, start, covariance_type, False),
    }
    if _fast.HAVE_NUMBA:
        loops["emlib compiled"] = EmlibLoop(X, start, covariance_type, True)
    times = {name: [] for name in loops}
    for _ in range(iterations(n, covariance_type)):  # interleaved, so that every loop sees the same machine load
        for name, loop in loops.items():
            times[name].append(_time(loop.iterate))
    peaks = {name: _peak_bytes(loop.iterate) for name, loop in loops.items()}
    trajectories = {
        name: np.array(loop.trajectory[: iterations(n, covariance_type) + 1]) for name, loop in loops.items()
    }
    floor = 2.0 * n * k * d * d if covariance_type in ("full", "tied") else 2.0 * n * k * d
    row = {"n": n, "d": d, "k": k, "covariance_type": covariance_type}
    row["sklearn_min_s"] = min(times["sklearn"])
    row["sklearn_median_s"] = float(np.median(times["sklearn"]))
    row["sklearn_peak_mib"] = peaks["sklearn"] / 2**20
    for name in loops:
        if name == "sklearn":
            continue
        key = name.replace(" ", "_")
        deviation = float(
            np.max(np.abs(trajectories[name] - trajectories["sklearn"]) / np.abs(trajectories["sklearn"]))
        )
        row[f"{key}_min_s"] = min(times[name])
        row[f"{key}_median_s"] = float(np.median(times[name]))
        row[f"{key}_speedup_min"] = min(times["sklearn"]) / min(times[name]) if deviation <= TRAJECTORY_RTOL else None
        row[f"{key}_peak_mib"] = peaks[name] / 2**20
        row[f"{key}_memory_ratio"] = peaks[name] / peaks["sklearn"]
        row[f"{key}_trajectory_max_rel_deviation"] = deviation
        row[f"{key}_flop_efficiency"] = floor / min(times[name]) / gemm_flops
    return row


def end_to_end(n, d, k):
    X = make_data(n, d, k)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        for name, fit in (
            ("emlib soft", lambda: emlib.fit_gmm(X, k, random_state=0)),
            ("emlib hard", lambda: emlib.fit_gmm(X, k, random_state=0, method="hard")),
            ("sklearn", lambda: SklearnGaussianMixture(k, random_state=0).fit(X)),
        ):
            began = time.perf_counter()
            result = fit()
            seconds = time.perf_counter() - began
            if name == "sklearn":
                iterations, log_likelihood = result.n_iter_, float(result.score(X) * n)
            else:  # log p(X | θ) for every emlib driver
                iterations, log_likelihood = result.n_iter, float(result.log_likelihoods[-1])
            rows.append(
                {
                    "n": n,
                    "d": d,
                    "k": k,
                    "method": name,
                    "seconds": seconds,
                    "iterations": int(iterations),
                    "log_likelihood": log_likelihood,
                }
            )
    return rows


def print_table(rows, title):
    print(f"\n{title}")
    print(
        f"{'N':>7} {'D':>3} {'K':>3} {'type':<9} {'emlib':<9} {'min':>9} {'median':>9} {'sklearn min':>12} {'median':>9}"
        f" {'speed-up':>9} {'memory':>9} {'sklearn':>9} {'ratio':>6} {'flop eff':>8}"
    )
    for r in rows:
        for variant in ("compiled", "numpy"):
            key = f"emlib_{variant}"
            if f"{key}_min_s" not in r:
                continue
            speedup = r[f"{key}_speedup_min"]
            speedup = f"{speedup:.2f}x" if speedup is not None else "MISMATCH"
            print(
                f"{r['n']:>7} {r['d']:>3} {r['k']:>3} {r['covariance_type']:<9} {variant:<9}"
                f" {r[f'{key}_min_s'] * 1e3:>7.2f}ms {r[f'{key}_median_s'] * 1e3:>7.2f}ms"
                f" {r['sklearn_min_s'] * 1e3:>10.2f}ms {r['sklearn_median_s'] * 1e3:>7.2f}ms {speedup:>9}"
                f" {r[f'{key}_peak_mib']:>7.1f}Mi {r['sklearn_peak_mib']:>7.1f}Mi {r[f'{key}_memory_ratio']:>6.2f}"
                f" {r[f'{key}_flop_efficiency']:>7.1%}"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the smallest size")
    arguments = parser.parse_args(argv)
    sizes = SIZES[:1] if arguments.quick else SIZES
    results = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "blas": blas_libraries(),
        "runs": {},
    }
    # "default threads": every core, as BLAS would use by default (set explicitly, because the
    # Makefile exports OPENBLAS_NUM_THREADS=1 for the tests and the notebooks)
    for threads, label in ((1, "single-threaded"), (os.cpu_count(), "default threads")):
        with threadpool_limits(limits=threads):
            gemm_flops = dgemm_rate()
            rows = [per_iteration(n, d, k, ct, gemm_flops) for (n, d, k) in sizes for ct in COVARIANCE_TYPES]
        results["runs"][label] = {"dgemm_gflops": gemm_flops / 1e9, "per_iteration": rows}
        print_table(rows, f"Per EM iteration, {label} (dgemm {gemm_flops / 1e9:.1f} GFLOP/s)")
    with threadpool_limits(limits=1):
        e2e = [row for (n, d, k) in sizes if (n, d, k) in END_TO_END_SIZES for row in end_to_end(n, d, k)]
    results["end_to_end"] = e2e
    print("\nEnd to end, full covariance, single-threaded (emlib defaults vs scikit-learn defaults)")
    print(f"{'N':>7} {'D':>3} {'K':>3} {'method':<11} {'seconds':>8} {'iters':>6} {'log-likelihood':>18}")
    for r in e2e:
        print(
            f"{r['n']:>7} {r['d']:>3} {r['k']:>3} {r['method']:<11} {r['seconds']:>8.2f} {r['iterations']:>6} {r['log_likelihood']:>18.4f}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nresults written to {RESULTS}")
    mismatches = [
        (r["n"], r["covariance_type"], key)
        for run in results["runs"].values()
        for r in run["per_iteration"]
        for key, value in r.items()
        if key.endswith("_speedup_min") and value is None
    ]
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
