"""Benchmark: how close fit strategies come to the best optima known on a panel of real data sets (issue 15).

The panel: the seven real data sets of ``emlib.datasets.panel()`` (Old Faithful, iris, diabetes,
banknote, thyroid, wreath, crabs) × K = 2, 3, 4, 5 × covariance type "full", "tied", "diag",
"spherical": 112 cases. For each case ``benchmarks/data/panel_reference.json`` (made by
``benchmarks/panel_reference.py``) holds the best optimum known: the highest log-likelihood ℓ of an
ADMISSIBLE fit among mclust's fit, 100 scikit-learn runs and 25 emlib runs, each run on by maximum-
likelihood EM to convergence.

**Admissible** (:func:`admissibility`; McLachlan and Peel 2000, §3.10 on spurious maximisers): the
likelihood of a Gaussian mixture is unbounded (a component can shrink onto a point, a line, or a set
of rows that share a rounded value), so the highest ℓ is only meaningful among fits whose every
component k

1. is supported by enough rows to estimate a covariance: effective size n π_k ≥ D + 1, and
2. is not degenerate relative to the data: every generalised eigenvalue λ of (Σ_k, S), i.e.
   min over directions u of uᵀΣ_k u / uᵀ S u with S the data's covariance, is at least
   ``MIN_RELATIVE_EIGENVALUE`` = 1e-4: in no direction is the component's variance below 10⁻⁴ of
   the data's variance in that direction (its standard deviation below 1 % of the data's).
   The generalised eigenvalues are unchanged by any affine change of units x → A x + b. The
   floor is a hundred times the regularisation the fits use (10⁻⁶ of the data's variance), so a
   component that collapsed onto the regulariser never passes, while no fit that passes has an
   eigenvalue near the floor (see the reference's provenance for the measured margins).

The same rule is applied to every candidate of the reference and to every fit here; an
inadmissible fit counts as a miss, whatever its ℓ.

For each case and strategy this script records ℓ/n, the gap (ℓ_best − ℓ)/n in nats per sample
(negative: better than the best known, which the script reports loudly, because the reference must
then be regenerated), whether the fit is admissible, the time, the iterations and the E-steps.
Summary per strategy: the share of cases within 1e-3 nats/sample of the best, the share within
0.1, the worst gap, the misses, the total time. The issue's target for the default fit
(``random_state=0``): within 1e-3 in at least 90 % of cases and never more than 0.1 below.

Strategies (``STRATEGIES``, a plain dict): a name and the keyword arguments of ``emlib.fit_gmm``
(``random_state=0`` is always added); the entry ``{"library": "scikit-learn"}`` is scikit-learn's
``GaussianMixture(K, covariance_type=..., random_state=0)`` with every other setting at its default.
A strategy whose arguments this emlib's ``fit_gmm`` rejects (an ``init`` name it does not know yet)
is reported as "unavailable", not run.

Usage: ``python benchmarks/panel.py [--strategies NAME ...] [--json PATH]``. Results go to
``benchmarks/results/panel.json`` unless ``--json`` says otherwise. Exit status 2 if a fit beat
the reference. Run time: about a minute for the two default strategies on one BLAS thread.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import pathlib
import platform
import sys
import time
import warnings

import numpy as np
import scipy
import scipy.linalg
import sklearn
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

import emlib

HERE = pathlib.Path(__file__).resolve().parent
REFERENCE = HERE / "data" / "panel_reference.json"
RESULTS = HERE / "results" / "panel.json"

#: The strategies: name -> keyword arguments of emlib.fit_gmm (random_state=0 is added).
#: {"library": "scikit-learn"} is sklearn's GaussianMixture at its defaults (random_state=0).
STRATEGIES = {
    "emlib-default": {},
    "sklearn-default": {"library": "scikit-learn"},
    "random": {"init": "random"},
    "k-means++": {"init": "k-means++"},
    "greedy-k-means++": {"init": "greedy-k-means++"},
    "k-means": {"init": "k-means"},
    "k-means-10": {"init": "k-means-10"},
    "hc": {"init": "hc"},
    "emEM": {"init": "emEM"},
    "k-means++ n_init=10": {"init": "k-means++", "n_init": 10},
}
#: What runs without --strategies.
DEFAULT_STRATEGIES = tuple(STRATEGIES)

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
N_COMPONENTS = (2, 3, 4, 5)

#: Gaps in nats per sample: "within" the best, and "near" it (the issue's two thresholds).
WITHIN = 1e-3
NEAR = 0.1
#: A gap below this (nats per sample) means the fit beat the best optimum known.
BEATEN = -1e-6
#: The admissibility rule (module docstring).
MIN_RELATIVE_EIGENVALUE = 1e-4
#: Effective size n π_k must be at least D + EXTRA_ROWS.
EXTRA_ROWS = 1
#: The issue's target for the default strategy.
TARGET_SHARE_WITHIN = 0.9


# ---------------------------------------------------------------------------------------------
# Pure functions (tests/test_panel.py)


def case_key(dataset: str, covariance_type: str, n_components: int) -> str:
    """The name of a case, as in the reference file: "<dataset>/<covariance_type>/<K>"."""
    return f"{dataset}/{covariance_type}/{n_components}"


def cases(datasets) -> list[tuple[str, str, int]]:
    """Every (dataset, covariance_type, K) of the panel, data set by data set."""
    return [(name, ct, k) for name in datasets for ct in COVARIANCE_TYPES for k in N_COMPONENTS]


def data_covariance(X: np.ndarray) -> np.ndarray:
    """The data's covariance S (maximum likelihood, divisor N), shape (D, D)."""
    centred = X - X.mean(axis=0)
    return centred.T @ centred / X.shape[0]


def relative_eigenvalues(covariances: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Generalised eigenvalues of (Σ_k, S) per component, shape (K, D), ascending.

    λ solves Σ_k u = λ S u: the extreme values of uᵀ Σ_k u / uᵀ S u over directions u, so the
    smallest is the component's smallest variance relative to the data's in the same direction.
    Invariant to x → A x + b (both matrices become A · Aᵀ).
    """
    return np.array([scipy.linalg.eigh(sigma, S, eigvals_only=True) for sigma in covariances])


def admissibility(params: emlib.GMMParams, X: np.ndarray) -> dict:
    """Whether a fit of X is admissible (module docstring), with the two figures that decide it.

    Returns
    -------
    dict
        ``admissible`` (bool), ``min_effective_size`` (min_k n π_k), ``min_relative_eigenvalue``
        (the smallest generalised eigenvalue of (Σ_k, S) over k), and ``reasons`` (a list of
        strings, empty when admissible).
    """
    n, d = X.shape
    sizes = n * np.asarray(params.weights)
    eigenvalues = relative_eigenvalues(np.asarray(params.covariances), data_covariance(X))
    smallest = float(eigenvalues.min())
    reasons = []
    if sizes.min() < d + EXTRA_ROWS:
        reasons.append(f"component {int(sizes.argmin())} has effective size {sizes.min():.3g} < D + {EXTRA_ROWS}")
    if not smallest >= MIN_RELATIVE_EIGENVALUE:
        k = int(np.unravel_index(np.argmin(eigenvalues), eigenvalues.shape)[0])
        reasons.append(f"component {k} has relative eigenvalue {smallest:.3g} < {MIN_RELATIVE_EIGENVALUE:g}")
    return {
        "admissible": not reasons,
        "min_effective_size": float(sizes.min()),
        "min_relative_eigenvalue": smallest,
        "reasons": reasons,
    }


def gap_per_sample(log_likelihood: float, best: float, n: int) -> float:
    """(ℓ_best − ℓ) / n: how far below the best known, in nats per sample (negative: above it)."""
    return (best - log_likelihood) / n


def params_to_json(params: emlib.GMMParams) -> dict:
    """weights (K,), means (K, D), covariances (K, D, D) as nested lists (floats round-trip exactly)."""
    return {
        "weights": np.asarray(params.weights).tolist(),
        "means": np.asarray(params.means).tolist(),
        "covariances": np.asarray(params.covariances).tolist(),
    }


def params_from_json(entry: dict) -> emlib.GMMParams:
    return emlib.GMMParams(entry["weights"], entry["means"], entry["covariances"])


def full_covariances(covariances: np.ndarray, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """scikit-learn's ``covariances_`` in any of its four layouts as (K, D, D) matrices."""
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type == "full":
        return covariances.copy()
    if covariance_type == "tied":
        return np.repeat(covariances[None], n_components, axis=0)
    if covariance_type == "diag":
        return np.array([np.diag(row) for row in covariances])
    if covariance_type == "spherical":
        return covariances[:, None, None] * np.eye(n_features)
    raise ValueError(f"unknown covariance_type {covariance_type!r}")


def sklearn_params(model, shift=None, scale=None) -> emlib.GMMParams:
    """A fitted sklearn GaussianMixture as GMMParams, mapped from z = (x − shift) / scale back to x.

    ``scale`` is a vector (one factor per column) or a scalar; without ``shift`` and ``scale`` the
    parameters are taken as they are.
    """
    k, d = model.means_.shape
    means = np.asarray(model.means_, dtype=float)
    covariances = full_covariances(model.covariances_, model.covariance_type, k, d)
    if scale is not None:
        factor = np.broadcast_to(np.asarray(scale, dtype=float), (d,))
        means = means * factor + shift
        covariances = covariances * factor[:, None] * factor[None, :]
    return emlib.GMMParams(np.asarray(model.weights_, dtype=float), means, covariances)


def summarise(rows: list[dict]) -> dict:
    """Per strategy: shares of cases within WITHIN and NEAR of the best, the worst gap, the misses, the time.

    A row counts as a hit only if it ran, is admissible and its gap is at most the threshold; a row
    that raised or is inadmissible is a miss at both thresholds. ``worst_gap`` is the largest gap
    among admissible fits (inf if any fit missed by raising or being inadmissible:
    ``worst_admissible_gap`` then still gives the finite figure).
    """
    ran = [row for row in rows if row["status"] != "unavailable"]
    if not ran:
        return {"n_cases": 0, "status": "unavailable"}
    good = [row for row in ran if row["status"] == "ok" and row["admissible"]]
    gaps = [row["gap"] for row in good]
    n_missed = len(ran) - len(good)
    worst_admissible = max(gaps) if gaps else math.nan
    return {
        "n_cases": len(ran),
        "share_within_1e-3": sum(gap <= WITHIN for gap in gaps) / len(ran),
        "share_within_0.1": sum(gap <= NEAR for gap in gaps) / len(ran),
        "worst_gap": math.inf if n_missed else worst_admissible,
        "worst_admissible_gap": worst_admissible,
        "n_inadmissible": sum(1 for row in ran if row["status"] == "ok" and not row["admissible"]),
        "n_raised": sum(1 for row in ran if row["status"] == "raised"),
        "n_beat_reference": sum(gap < BEATEN for gap in gaps),
        "total_seconds": sum(row["seconds"] for row in ran if row.get("seconds") is not None),
        "total_iterations": sum(row["n_iter"] for row in ran if row.get("n_iter") is not None),
    }


def meets_target(summary: dict) -> bool:
    """The issue's target: within 1e-3 nats/sample in ≥ 90 % of cases and never more than 0.1 below."""
    return summary.get("n_cases", 0) > 0 and (
        summary["share_within_1e-3"] >= TARGET_SHARE_WITHIN and summary["share_within_0.1"] == 1.0
    )


def is_unavailable(error: BaseException, kwargs: dict) -> bool:
    """Whether fit_gmm rejected a strategy's arguments themselves (an unknown keyword or init name)."""
    if isinstance(error, TypeError) and "unexpected keyword" in str(error):
        return True
    return isinstance(error, ValueError) and "init" in kwargs and "init" in str(error)


# ---------------------------------------------------------------------------------------------
# Running a strategy


def _fit_emlib(X, covariance_type, n_components, kwargs):
    began = time.perf_counter()
    fit = emlib.fit_gmm(X, n_components, covariance_type=covariance_type, random_state=0, **kwargs)
    seconds = time.perf_counter() - began
    return (
        fit.params,
        seconds,
        {
            "n_iter": int(fit.n_iter),
            "n_estep": int(fit.n_evaluations) + 1,  # the start's E-step, then one per evaluation
            "converged": bool(fit.converged),
            "degenerate_flagged": bool(np.any(fit.degenerate)) if fit.degenerate is not None else None,
        },
    )


def _fit_sklearn(X, covariance_type, n_components):
    began = time.perf_counter()
    model = SklearnGaussianMixture(n_components, covariance_type=covariance_type, random_state=0).fit(X)
    seconds = time.perf_counter() - began
    # sklearn's loop: E-step + M-step per iteration, then one more E-step for the labels
    return (
        sklearn_params(model),
        seconds,
        {
            "n_iter": int(model.n_iter_),
            "n_estep": int(model.n_iter_) + 1,
            "converged": bool(model.converged_),
        },
    )


def run_strategy_case(kwargs: dict, X: np.ndarray, covariance_type: str, n_components: int, best: float) -> dict:
    """One fit of one case: its figures, or status "raised" / "unavailable" with the message."""
    n = X.shape[0]
    row = {"status": "ok"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if kwargs.get("library") == "scikit-learn":
                params, seconds, figures = _fit_sklearn(X, covariance_type, n_components)
            else:
                params, seconds, figures = _fit_emlib(X, covariance_type, n_components, kwargs)
        except Exception as error:  # noqa: BLE001 - every failure is a measured outcome here
            status = "unavailable" if is_unavailable(error, kwargs) else "raised"
            return {"status": status, "error": f"{type(error).__name__}: {str(error)[:200]}"}
    log_likelihood = float(emlib.log_likelihood(X, params))
    verdict = admissibility(params, X)
    row.update(
        loglik=log_likelihood,
        loglik_per_sample=log_likelihood / n,
        gap=gap_per_sample(log_likelihood, best, n),
        admissible=verdict["admissible"],
        min_effective_size=verdict["min_effective_size"],
        min_relative_eigenvalue=verdict["min_relative_eigenvalue"],
        reasons=verdict["reasons"],
        seconds=seconds,
        **figures,
    )
    counts = {}
    for item in caught:
        counts[item.category.__name__] = counts.get(item.category.__name__, 0) + 1
    row["warnings"] = counts
    return row


def probe(kwargs: dict) -> str | None:
    """None if fit_gmm accepts a strategy's arguments, else why not (checked once, on Old Faithful)."""
    if kwargs.get("library") == "scikit-learn":
        return None
    X = emlib.datasets.old_faithful()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            emlib.fit_gmm(X, 2, random_state=0, max_iter=0, **kwargs)
        except Exception as error:  # noqa: BLE001
            if is_unavailable(error, kwargs):
                return f"{type(error).__name__}: {str(error)[:200]}"
    return None


# ---------------------------------------------------------------------------------------------
# Reporting


def software() -> dict:
    """The machine, the versions and the date: the provenance both panel scripts record."""
    return {
        "machine": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit_learn": sklearn.__version__,
        "emlib_version": getattr(emlib, "__version__", None),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def provenance(reference: dict) -> dict:
    from threadpoolctl import threadpool_info

    return {
        **software(),
        "blas": [
            {key: value for key, value in pool.items() if key != "filepath"}
            | {"library": os.path.basename(pool["filepath"])}
            for pool in threadpool_info()
        ],
        "command": "python benchmarks/panel.py " + " ".join(sys.argv[1:]),
        "reference": {
            "file": "benchmarks/data/panel_reference.json",
            "sha256": hashlib.sha256(REFERENCE.read_bytes()).hexdigest(),
            "date": reference["provenance"]["date"],
        },
        "rule": {
            "min_relative_eigenvalue": MIN_RELATIVE_EIGENVALUE,
            "min_effective_size": f"D + {EXTRA_ROWS}",
            "within": WITHIN,
            "near": NEAR,
            "beaten_below": BEATEN,
        },
    }


def print_summary(summaries: dict) -> None:
    print(
        f"\n{'strategy':<22} {'cases':>5} {'≤1e-3':>7} {'≤0.1':>7} {'worst gap':>10} {'inadm.':>6}"
        f" {'raised':>6} {'seconds':>8} {'target':>6}"
    )
    for name, summary in summaries.items():
        if summary.get("status") == "unavailable":
            print(f"{name:<22} unavailable: {summary.get('reason', '')[:80]}")
            continue
        worst = summary["worst_gap"]
        worst_text = f"{worst:.3g}" if math.isfinite(worst) else f"inf ({summary['worst_admissible_gap']:.3g})"
        print(
            f"{name:<22} {summary['n_cases']:>5} {summary['share_within_1e-3']:>7.1%} {summary['share_within_0.1']:>7.1%}"
            f" {worst_text:>10} {summary['n_inadmissible']:>6} {summary['n_raised']:>6}"
            f" {summary['total_seconds']:>8.1f} {'met' if meets_target(summary) else 'no':>6}"
        )


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", nargs="+", default=list(DEFAULT_STRATEGIES), choices=list(STRATEGIES))
    parser.add_argument("--json", type=pathlib.Path, default=RESULTS, help="where to write the results")
    arguments = parser.parse_args(argv)

    reference = json.loads(REFERENCE.read_text())
    loaders = emlib.datasets.panel()
    data = {name: loaders[name]() for name in reference["datasets"]}
    results = {
        "issue": "15: a panel of real data sets, the best optima known, and the defaults benchmark",
        "provenance": provenance(reference),
        "strategies": {},
    }
    beaten = []
    summaries = {}
    for name in arguments.strategies:
        kwargs = STRATEGIES[name]
        reason = probe(kwargs)
        entry = {"kwargs": kwargs, "random_state": 0}
        if reason is not None:
            entry.update(status="unavailable", reason=reason)
            summaries[name] = {"status": "unavailable", "reason": reason}
            results["strategies"][name] = entry
            continue
        rows = {}
        for dataset, covariance_type, k in cases(data):
            key = case_key(dataset, covariance_type, k)
            best = reference["cases"][key]["best_loglik"]
            row = run_strategy_case(kwargs, data[dataset], covariance_type, k, best)
            rows[key] = row
            if row["status"] == "ok" and row["admissible"] and row["gap"] < BEATEN:
                beaten.append((name, key, row["gap"]))
                print(f"!!! {name} BEAT THE BEST KNOWN on {key} by {-row['gap']:.3g} nats/sample", flush=True)
        summary = summarise(list(rows.values()))
        if summary.get("status") == "unavailable":  # accepted by the probe, rejected on every case
            summary["reason"] = next(iter(rows.values())).get("error", "")
        summary["meets_target"] = meets_target(summary)
        summaries[name] = summary
        entry.update(status="ran", summary=summary, cases=rows)
        results["strategies"][name] = entry
        print(f"{name}: {summary}", flush=True)
    results["beat_reference"] = [{"strategy": s, "case": c, "gap": g} for s, c, g in beaten]
    print_summary(summaries)
    if beaten:
        print(
            f"\n!!! {len(beaten)} fit(s) beat the best optimum known: the reference is out of date."
            " Regenerate it: python benchmarks/panel_reference.py",
            flush=True,
        )
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(results, indent=2, default=_plain) + "\n")
    print(f"results written to {arguments.json}")
    return 2 if beaten else 0


if __name__ == "__main__":
    sys.exit(main())
