"""Where one EM iteration's time goes: a profile per phase, for every covariance type and size.

The phases of emlib's iteration (``GaussianMixtureModel.maximization`` then ``posterior``):

- ``m: counts``      N_k = Σ_n w_n γ(z_nk);
- ``m: moments``     each component's mean and centred scatter (``emlib._fast``);
- ``m: parameters``  the covariance update, the floor, the singularity check, and the
  parameters' Cholesky factors (``params_from_moments``, ``GMMParams``);
- ``e: densities``   log N(x_n | μ_k, Σ_k) for every row and component (numpy);
- ``e: bayes``       Bayes' theorem on them: the evidence and the responsibilities (numpy);
- ``e: posterior``   the whole E-step as the fit runs it (with numba: the compiled pass, which
  fuses the two phases above, or numpy's densities and a compiled Bayes' theorem);
- ``iteration``      the whole iteration, as ``benchmarks/performance.py`` times it.

Each phase is timed on its own (best of REPEATS, single-threaded), so the phases need not add up
to the iteration exactly; every row is profiled with emlib's compiled loops and without them
(numpy). Usage: ``python benchmarks/performance_phases.py [--out FILE]``; a table is printed and,
with ``--out``, written as JSON.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from performance import COVARIANCE_TYPES, REG_COVAR, SIZES, make_data  # noqa: E402

import emlib  # noqa: E402
from emlib import _fast  # noqa: E402
from emlib._bayes import bayes  # noqa: E402
from emlib.maximization import params_from_moments  # noqa: E402

REPEATS = 5


def best_of(function, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return min(times)


def moments(X, responsibilities, weights, counts, covariance_type):
    """The M-step's moments, as ``emlib.maximization._maximization`` computes them."""
    if covariance_type == "tied":
        return _fast.pooled_moments(X, responsibilities, weights, counts)
    return _fast.component_moments(X, responsibilities, weights, counts, covariance_type in ("diag", "spherical"))


def profile(n, d, k, covariance_type):
    X = make_data(n, d, k)
    start = emlib.fit_gmm(X, k, covariance_type=covariance_type, max_iter=0, reg_covar=REG_COVAR, random_state=0)
    model = emlib.GaussianMixtureModel(covariance_type, REG_COVAR)
    weights = np.ones(n)
    _, responsibilities = model.posterior(X, start.params)
    params = model.maximization(X, weights, responsibilities, None)
    counts = weights @ responsibilities
    means, scatter = moments(X, responsibilities, weights, counts, covariance_type)
    regulariser = model.regulariser(X, weights)
    log_weights = np.log(params.weights)
    log_densities = _fast.gaussian_log_densities(X, params)

    def iteration():
        model.posterior(X, model.maximization(X, weights, responsibilities, None))

    return {
        "m: counts": best_of(lambda: weights @ responsibilities),
        "m: moments": best_of(lambda: moments(X, responsibilities, weights, counts, covariance_type)),
        "m: parameters": best_of(
            lambda: params_from_moments(counts, means, scatter, float(n), covariance_type, regulariser)
        ),
        "e: densities": best_of(lambda: _fast.gaussian_log_densities(X, params)),
        "e: bayes": best_of(lambda: bayes(log_densities.copy(), log_weights, overwrite=True)),
        "e: posterior": best_of(lambda: model.posterior(X, params)),
        "iteration": best_of(iteration),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, help="write the profile as JSON here")
    parser.add_argument("--size", action="append", help="N,D,K to profile (repeatable; default: every size)")
    parser.add_argument("--type", action="append", choices=COVARIANCE_TYPES, help="covariance type (repeatable)")
    arguments = parser.parse_args(argv)
    sizes = [tuple(int(v) for v in size.split(",")) for size in arguments.size] if arguments.size else SIZES
    types = arguments.type or COVARIANCE_TYPES
    rows = []
    variants = (("compiled", True), ("numpy", False)) if _fast.HAVE_NUMBA else (("numpy", False),)
    with threadpool_limits(limits=1):
        for n, d, k in sizes:
            for covariance_type in types:
                for variant, compiled in variants:
                    _fast.USE_COMPILED = compiled
                    phases = profile(n, d, k, covariance_type)
                    row = {"n": n, "d": d, "k": k, "covariance_type": covariance_type, "variant": variant}
                    rows.append({**row, "seconds": phases})
                    cells = "  ".join(f"{name} {seconds * 1e3:8.2f}" for name, seconds in phases.items())
                    print(f"{n:>7} {d:>3} {k:>3} {covariance_type:<9} {variant:<8} {cells}  (ms)", flush=True)
    _fast.USE_COMPILED = _fast.HAVE_NUMBA
    if arguments.out:
        arguments.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
