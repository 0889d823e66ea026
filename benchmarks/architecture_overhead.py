"""Benchmark: one EM iteration of emlib now against emlib at an earlier commit, interleaved in one process.

Issue "One EM for every model" asked that the new architecture (the model interface, the shared
drivers, the speed-ups moved to ``emlib._fast``) cost no more than 10 % per iteration. Comparing two
runs of ``benchmarks/performance.py`` on a shared machine mixes the change with the machine's
noise, so this script loads both versions of emlib into one process (the earlier one under the
name ``emlib_before``) and times their iterations alternately, from identical parameters, single-
threaded: one iteration is the M-step on the current responsibilities followed by the E-step (the
body of every EM loop). Reported: the minimum over the repetitions, and after / before.

Usage::

    git worktree add /tmp/emlib-before 8537048   # the commit before the architecture issue
    python benchmarks/architecture_overhead.py --before /tmp/emlib-before

Results go to ``benchmarks/results/architecture_overhead.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import emlib

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results" / "architecture_overhead.json"
SIZES = [(10_000, 2, 3, 15), (100_000, 8, 8, 15), (200_000, 32, 16, 5)]  # (N, D, K, repetitions)
COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
REG_COVAR = 1e-6


def load_before(checkout: pathlib.Path):
    """The emlib package of an earlier checkout, imported as ``emlib_before``."""
    package = checkout / "emlib"
    spec = importlib.util.spec_from_file_location(
        "emlib_before", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["emlib_before"] = module
    spec.loader.exec_module(module)
    return module


def iteration_before(before, X, weights, covariance_type, start):
    """emlib 0.1's loop body: ``GaussianMixture.maximize`` then ``posterior``."""
    model = before.fit.GaussianMixture(covariance_type, REG_COVAR)
    state = {"r": model.posterior(X, before.GMMParams(start.weights, start.means, start.covariances))[1]}

    def step():
        params = model.maximize(X, state["r"], weights)
        state["r"] = model.posterior(X, params)[1]

    return step, state


def iteration_now(X, weights, covariance_type, start):
    """emlib 0.2's loop body: ``GaussianMixtureModel.maximization`` then ``posterior``."""
    model = emlib.GaussianMixtureModel(covariance_type, REG_COVAR)
    state = {"r": model.posterior(X, start)[1]}

    def step():
        params = model.maximization(X, weights, state["r"], None)
        state["r"] = model.posterior(X, params)[1]

    return step, state


def make_data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(k, d, d)) / np.sqrt(d)
    truth = emlib.GMMParams(
        rng.dirichlet(np.full(k, 5.0)),
        rng.normal(scale=3.0, size=(k, d)),
        factors @ np.swapaxes(factors, 1, 2) + 0.5 * np.eye(d),
    )
    return emlib.datasets.sample_gmm(truth, n, rng)[0]


def compare(before, n, d, k, repetitions, covariance_type):
    X, weights = make_data(n, d, k), np.ones(n)
    start = emlib.fit_gmm(X, k, covariance_type=covariance_type, max_iter=0, reg_covar=REG_COVAR, random_state=0).params
    (old, old_state), (new, new_state) = (
        iteration_before(before, X, weights, covariance_type, start),
        iteration_now(X, weights, covariance_type, start),
    )
    times = {"before": [], "after": []}
    for _ in range(repetitions):  # interleaved, so both see the same machine
        for name, step in (("before", old), ("after", new)):
            began = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - began)
    agree = float(np.max(np.abs(old_state["r"] - new_state["r"])))
    return {
        "n": n,
        "d": d,
        "k": k,
        "covariance_type": covariance_type,
        "before_ms": 1e3 * min(times["before"]),
        "after_ms": 1e3 * min(times["after"]),
        "after_over_before": min(times["after"]) / min(times["before"]),
        "responsibilities_max_abs_difference": agree,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=pathlib.Path, required=True, help="a checkout of the earlier commit")
    arguments = parser.parse_args(argv)
    before = load_before(arguments.before)
    rows = []
    with threadpool_limits(limits=1):
        for n, d, k, repetitions in SIZES:
            for covariance_type in COVARIANCE_TYPES:
                row = compare(before, n, d, k, repetitions, covariance_type)
                rows.append(row)
                print(
                    f"{n:>7} {d:>3} {k:>3} {covariance_type:<9} before {row['before_ms']:8.1f} ms"
                    f"  after {row['after_ms']:8.1f} ms  after/before {row['after_over_before']:.3f}",
                    flush=True,
                )
    results = {"before": before.__version__, "after": emlib.__version__, "per_iteration": rows}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {RESULTS}")
    return 0 if all(row["responsibilities_max_abs_difference"] < 1e-10 for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
