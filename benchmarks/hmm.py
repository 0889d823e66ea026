"""Benchmark: one Baum–Welch E-step (forward–backward and the posterior marginals), emlib against hmmlearn.

The goal (issue "hidden Markov models and the Baum–Welch algorithm"): emlib's forward–backward
pass at least as fast as hmmlearn's C-accelerated one at T = 10⁵ time steps and K = 10 states.
Both compute the same E-step from the same parameters: the log-likelihood, the state marginals
γ_t(k) and the summed pairwise marginals Σ_t ξ_t(j, k). emlib runs its compiled recursions
(``emlib._fast.scaled_recursions``, numba) and, for the record, its numpy reference loop;
hmmlearn runs both of its implementations, ``"scaling"`` (its fastest) and ``"log"``. The
emissions are Poisson (one column), so that the emission densities cost little beside the
recursions in both libraries. Timings are interleaved (each repeat runs every contender once),
on one BLAS thread, after a warm-up call that compiles numba's kernel; reported is the minimum
over the repeats. Checked: the log-likelihoods and Σ_t ξ_t of every contender agree to 1e-8.

Usage: ``make bench-hmm`` (or ``python benchmarks/hmm.py``). Results are printed and written to
``benchmarks/results/hmm.json``.
"""

from __future__ import annotations

import json
import pathlib
import platform
import time

import hmmlearn
import numpy as np
import scipy
from hmmlearn import hmm as hmmlearn_hmm
from threadpoolctl import threadpool_limits

import emlib
from emlib import _fast
from emlib.hmm import HiddenMarkovModel, HMMParams

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "hmm.json"
SIZES = [(10_000, 4), (100_000, 10)]  # (T, K); the goal is stated at the last
REPEATS = 5


def problem(T: int, K: int, seed: int = 0):
    """A Poisson HMM with sticky transitions and rates 1 to 30, and a sequence drawn from it."""
    rng = np.random.default_rng(seed)
    transition = 0.8 * np.eye(K) + 0.2 * rng.dirichlet(np.ones(K), size=K)
    params = HMMParams(np.full(K, 1.0 / K), transition, rates=np.linspace(1.0, 30.0, K)[:, np.newaxis])
    states = np.empty(T, dtype=int)
    states[0] = rng.integers(K)
    uniforms = rng.random(T)
    cumulative = np.cumsum(transition, axis=1)
    for t in range(1, T):
        states[t] = min(int(np.searchsorted(cumulative[states[t - 1]], uniforms[t])), K - 1)
    return params, rng.poisson(params.rates[states, 0])[:, np.newaxis].astype(float)


def emlib_e_step(model, data, weights, params, compiled: bool):
    _fast.HAVE_NUMBA = compiled and _fast.numba is not None
    estep = model.expectation(data, weights, params)
    return estep.log_likelihood, estep.statistics.gamma, estep.statistics.transitions


def hmmlearn_e_step(reference, X):
    """hmmlearn's E-step as its fit loop runs it: the forward–backward pass and the sufficient statistics."""
    stats, log_likelihood = reference._do_estep(X, np.array([X.shape[0]]))
    return log_likelihood, stats["trans"]


def time_once(function) -> tuple[float, object]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def run_size(T: int, K: int) -> dict:
    params, X = problem(T, K)
    model = HiddenMarkovModel("poisson")
    data, weights = model.check_data(X), np.ones(T)
    references = {}
    for implementation in ("scaling", "log"):
        reference = hmmlearn_hmm.PoissonHMM(n_components=K, init_params="", implementation=implementation)
        reference.startprob_, reference.transmat_, reference.lambdas_ = params.start, params.transition, params.rates
        reference.n_features = 1
        references[implementation] = reference
    contenders = {
        "emlib (numba)": lambda: emlib_e_step(model, data, weights, params, compiled=True),
        "emlib (numpy reference)": lambda: emlib_e_step(model, data, weights, params, compiled=False),
        "hmmlearn (scaling)": lambda: hmmlearn_e_step(references["scaling"], X),
        "hmmlearn (log)": lambda: hmmlearn_e_step(references["log"], X),
    }
    if _fast.numba is None:
        del contenders["emlib (numba)"]
    values = {name: contender() for name, contender in contenders.items()}  # warm-up: numba compiles here
    times = {name: [] for name in contenders}
    for _ in range(REPEATS):
        for name, contender in contenders.items():
            elapsed, values[name] = time_once(contender)
            times[name].append(elapsed)
    check_agreement(values)
    return {"T": T, "K": K, "seconds": {name: min(spent) for name, spent in times.items()}}


def check_agreement(values: dict) -> None:
    reference_ll, reference_pairs = values["hmmlearn (scaling)"]
    for name, value in values.items():
        log_likelihood, pairs = value[0], value[-1]
        assert np.isclose(log_likelihood, reference_ll, rtol=1e-8, atol=0), (name, log_likelihood, reference_ll)
        assert np.allclose(pairs, reference_pairs, rtol=1e-8, atol=1e-8 * reference_pairs.max()), name


def main() -> None:
    compiled = _fast.HAVE_NUMBA
    rows = []
    with threadpool_limits(1):
        for T, K in SIZES:
            rows.append(run_size(T, K))
    _fast.HAVE_NUMBA = compiled
    print(f"{'T':>8} {'K':>3}  " + "  ".join(f"{name:>24}" for name in rows[0]["seconds"]))
    for row in rows:
        print(
            f"{row['T']:>8} {row['K']:>3}  " + "  ".join(f"{seconds:>22.4f} s" for seconds in row["seconds"].values())
        )
    goal = rows[-1]["seconds"]
    fastest_reference = min(goal["hmmlearn (scaling)"], goal["hmmlearn (log)"])
    if "emlib (numba)" in goal:
        ratio = fastest_reference / goal["emlib (numba)"]
        print(f"at T={rows[-1]['T']}, K={rows[-1]['K']}: emlib (numba) is {ratio:.2f}x hmmlearn's fastest")
    environment = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "hmmlearn": hmmlearn.__version__,
        "numba": None if _fast.numba is None else _fast.numba.__version__,
        "emlib": emlib.__version__,
        "machine": platform.machine(),
        "blas_threads": 1,
        "repeats": REPEATS,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"environment": environment, "sizes": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(pathlib.Path.cwd()) if RESULTS.is_relative_to(pathlib.Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
