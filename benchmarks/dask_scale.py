"""Benchmark: fit_gmm on a chunked on-disk Dask array larger than the memory it may use, against the in-memory fit.

The data: N = 2·10⁷ rows, D = 8, drawn from a K = 8 Gaussian mixture block by block (never whole in
memory) into a Dask npy stack (``dask.array.to_npy_stack``: one ``.npy`` file per block of
``CHUNK_ROWS`` rows, 1.28 GB of float64 in all) under a temporary directory (or ``--data-dir``,
where a stack written by an earlier run is reused),
and read back with ``dask.array.from_npy_stack(directory, mmap_mode=None)``, so that each task
loads its block from disk. Every fit starts from the same parameters (the generating mixture
moved and widened) and runs ``N_ITER`` iterations (``tol=0``).

Each case runs in a fresh process, whose peak resident memory (``resource.getrusage``'s
``ru_maxrss``, the interpreter and its libraries included) is reported:

- the Dask fit of all N rows on Dask's threaded scheduler (one thread per core), whose peak must be
  under a quarter of the data (320 MB);
- the in-memory fit (numpy X) and the Dask fit of the first N_SMALL = 2·10⁶ rows, which fit in memory,
  and the agreement of the two (log-likelihood history and parameters, relative);
- with ``--distributed``, the Dask fit of all N rows on a ``dask.distributed.LocalCluster`` of two
  single-threaded worker processes (the peak of the client and of each worker).

Reported: seconds per iteration (one E-step and one M-step: the time between successive
callbacks, the median over the iterations), the machine's load average (other processes slow the
timings; the memory figures do not depend on it), and peak memory. Written to
``benchmarks/results/dask_scale.json``.

Usage: ``make bench-dask`` (or ``python benchmarks/dask_scale.py [--data-dir DIR] [--distributed]``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import pathlib
import platform
import resource
import tempfile
import time
import warnings

import numpy as np

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "dask_scale.json"
N_LARGE = 20_000_000
N_SMALL = 2_000_000
N_FEATURES = 8
N_COMPONENTS = 8
CHUNK_ROWS = 125_000  # 8 MB of float64 a block
N_ITER = 5
SEED = 2026
DATA_BYTES = N_LARGE * N_FEATURES * 8
MEMORY_LIMIT = DATA_BYTES / 4


def truth():
    """The generating mixture: K = 8 correlated components whose means lie on a spread-out simplex of directions."""
    import emlib

    rng = np.random.default_rng(SEED)
    means = 4.0 * rng.normal(size=(N_COMPONENTS, N_FEATURES))
    covariances = []
    for _ in range(N_COMPONENTS):
        factor = rng.normal(size=(N_FEATURES, N_FEATURES)) / np.sqrt(N_FEATURES)
        covariances.append(factor @ factor.T + 0.5 * np.eye(N_FEATURES))
    weights = rng.uniform(0.5, 1.5, N_COMPONENTS)
    return emlib.GMMParams(weights / weights.sum(), means, np.array(covariances))


def start():
    """The start of every fit: the truth with its means moved by one unit and its covariances doubled, equal weights."""
    import emlib

    true = truth()
    shift = np.random.default_rng(SEED + 1).normal(size=true.means.shape)
    return emlib.GMMParams(np.full(N_COMPONENTS, 1.0 / N_COMPONENTS), true.means + shift, 2.0 * true.covariances)


def _generate_block(block_info=None):
    import emlib

    (first, last), _ = block_info[None]["array-location"]
    index = block_info[None]["chunk-location"][0]
    rows, _ = emlib.datasets.sample_gmm(truth(), last - first, np.random.default_rng([SEED, index]))
    return rows


def generate(directory: str) -> float:
    """Write the N × D data to an npy stack under ``directory``, one block at a time; the seconds it took."""
    import dask
    import dask.array as da

    began = time.perf_counter()
    chunks = ((CHUNK_ROWS,) * (N_LARGE // CHUNK_ROWS), (N_FEATURES,))
    X = da.map_blocks(_generate_block, chunks=chunks, dtype=np.float64, meta=np.empty((0, N_FEATURES)))
    with dask.config.set(scheduler="threads"):
        da.to_npy_stack(directory, X, axis=0)
    return time.perf_counter() - began


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def _timed_fit(X) -> tuple[dict, object]:
    import emlib

    stamps = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)  # a fixed number of iterations, on purpose
        began = time.perf_counter()
        fit = emlib.fit_gmm(
            X,
            N_COMPONENTS,
            init=start(),
            max_iter=N_ITER,
            tol=0.0,
            callback=lambda *_: stamps.append(time.perf_counter()),
        )
        total = time.perf_counter() - began
    per_iteration = np.diff(stamps)
    row = {
        "seconds_per_iteration": float(np.median(per_iteration)),
        "seconds_per_iteration_all": per_iteration.tolist(),
        "seconds_total": total,
        "n_iter": fit.n_iter,
        "final_log_likelihood": float(fit.log_likelihoods[-1]),
        "load_average_1min": os.getloadavg()[0],  # other processes on the machine slow the timings
    }
    return row, fit


def _fit_summary(fit) -> dict:
    return {
        "log_likelihoods": np.asarray(fit.log_likelihoods).tolist(),
        "weights": np.asarray(fit.params.weights).tolist(),
        "means": np.asarray(fit.params.means).tolist(),
        "covariances": np.asarray(fit.params.covariances).tolist(),
    }


def case_dask(directory: str, n_rows: int) -> dict:
    """Fresh process: the Dask fit of the first ``n_rows`` rows of the stack, on the threaded scheduler."""
    import dask
    import dask.array as da

    X = da.from_npy_stack(directory, mmap_mode=None)[:n_rows]
    with dask.config.set(scheduler="threads"):
        row, fit = _timed_fit(X)
    row["threads"] = os.cpu_count()
    row["peak_rss_mb"] = _peak_mb()
    row["fit"] = _fit_summary(fit)
    return row


def case_in_memory(directory: str, n_rows: int) -> dict:
    """Fresh process: the in-memory fit of the first ``n_rows`` rows (a numpy array)."""
    import dask
    import dask.array as da

    with dask.config.set(scheduler="threads"):
        X = np.ascontiguousarray(da.from_npy_stack(directory, mmap_mode=None)[:n_rows].compute())
    row, fit = _timed_fit(X)
    row["peak_rss_mb"] = _peak_mb()
    row["fit"] = _fit_summary(fit)
    return row


def case_distributed(directory: str, n_rows: int) -> dict:
    """Fresh process: the Dask fit on a LocalCluster of two single-threaded worker processes."""
    import dask.array as da
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            X = da.from_npy_stack(directory, mmap_mode=None)[:n_rows]
            row, fit = _timed_fit(X)
            workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
    row["peak_rss_mb"] = _peak_mb()
    row["worker_peak_rss_mb"] = sorted(workers.values())
    row["fit"] = _fit_summary(fit)
    return row


def _in_fresh_process(function, *args):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def _relative(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _versions() -> dict:
    from importlib.metadata import version

    return {name: version(name) for name in ("emlib", "numpy", "scipy", "dask", "distributed")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="where to write the npy stack (default: a temporary directory, removed)")
    parser.add_argument("--distributed", action="store_true", help="also fit on a two-worker LocalCluster")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="emlib-dask-scale-") as scratch:
        directory = arguments.data_dir or os.path.join(scratch, "X")
        if os.path.exists(os.path.join(directory, "info")):
            generated = None
        else:
            generated = _in_fresh_process(generate, directory)
        cases = {
            "dask_large": _in_fresh_process(case_dask, directory, N_LARGE),
            "dask_small": _in_fresh_process(case_dask, directory, N_SMALL),
            "in_memory_small": _in_fresh_process(case_in_memory, directory, N_SMALL),
        }
        if arguments.distributed:
            cases["distributed_large"] = _in_fresh_process(case_distributed, directory, N_LARGE)
    small, reference = cases["dask_small"]["fit"], cases["in_memory_small"]["fit"]
    agreement = {name: _relative(small[name], reference[name]) for name in small}
    for row in cases.values():
        del row["fit"]
    large = cases["dask_large"]
    memory_met = large["peak_rss_mb"] * 2**20 < MEMORY_LIMIT
    if "distributed_large" in cases:
        distributed = cases["distributed_large"]
        memory_met = memory_met and all(peak * 2**20 < MEMORY_LIMIT for peak in distributed["worker_peak_rss_mb"])

    print(
        f"N = {N_LARGE:.0e}, D = {N_FEATURES}, K = {N_COMPONENTS} (full covariances), {DATA_BYTES / 1e9:.2f} GB of"
        f" float64 in blocks of {CHUNK_ROWS} rows; {N_ITER} iterations from the same start; {os.cpu_count()} cores"
    )
    if generated is not None:
        print(f"generated the npy stack in {generated:.1f} s")
    print(f"{'case':<34} {'rows':>10} {'s / iteration':>14} {'load':>6} {'peak RSS (MB)':>14}")
    labels = {
        "dask_large": "Dask, threaded scheduler",
        "dask_small": "Dask, threaded scheduler",
        "in_memory_small": "in memory (numpy)",
        "distributed_large": "Dask, LocalCluster 2 workers",
    }
    for name, row in cases.items():
        rows = N_LARGE if name.endswith("large") else N_SMALL
        peak = f"{row['peak_rss_mb']:.0f}"
        if "worker_peak_rss_mb" in row:
            peak += " (workers " + ", ".join(f"{p:.0f}" for p in row["worker_peak_rss_mb"]) + ")"
        load = row["load_average_1min"]
        print(f"{labels[name]:<34} {rows:>10.0e} {row['seconds_per_iteration']:>14.2f} {load:>6.1f} {peak:>14}")
    print(
        f"Dask vs in-memory at N = {N_SMALL:.0e}: log-likelihoods differ by {agreement['log_likelihoods']:.1e},"
        f" parameters by {max(agreement[n] for n in ('weights', 'means', 'covariances')):.1e} (relative)"
    )
    print(
        f"peak memory of the N = {N_LARGE:.0e} fit under a quarter of the data ({MEMORY_LIMIT / 2**20:.0f} MB):"
        f" {'met' if memory_met else 'NOT met'}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "python": platform.python_version(),
                "cores": os.cpu_count(),
                "versions": _versions(),
                "config": {
                    "n_rows": N_LARGE,
                    "n_rows_small": N_SMALL,
                    "n_features": N_FEATURES,
                    "n_components": N_COMPONENTS,
                    "chunk_rows": CHUNK_ROWS,
                    "n_iter": N_ITER,
                    "data_bytes": DATA_BYTES,
                    "memory_limit_bytes": MEMORY_LIMIT,
                },
                "generate_seconds": generated,
                "cases": cases,
                "agreement_small": agreement,
                "memory_target_met": memory_met,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS.relative_to(RESULTS.parents[2])}")
    return 0 if memory_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
