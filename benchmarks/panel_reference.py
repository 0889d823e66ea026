"""The best optima known for the benchmark panel: writes benchmarks/data/panel_reference.json (issue 15).

For each data set of ``emlib.datasets.panel()`` × K = 2, 3, 4, 5 × covariance type ("full",
"tied", "diag", "spherical"; mclust's VVV, EEE, VVI, VII) the candidates are

- **mclust**: ``Mclust(X, G = K, modelNames = m)`` with its default start (hierarchical
  agglomeration), read from ``benchmarks/data/panel_mclust.json`` (``Rscript
  scripts/panel_mclust.R``; this script never runs R). Its parameters are re-scored with
  ``emlib.log_likelihood`` (Mclust's reported loglik can lag its parameters by one M-step);
- **scikit-learn**: ``GaussianMixture(K, covariance_type, init_params=p, random_state=s, n_init=1,
  tol=1e-10, max_iter=10000, reg_covar=1e-6)`` for p in "kmeans", "k-means++", "random",
  "random_from_data" and s = 0..24 (100 runs), fitted to z = (x − mean) / scale, where scale is
  the column standard deviations ("full", "tied", "diag") or the root mean column variance
  ("spherical"): a change of units under which each model is closed, so that reg_covar = 1e-6
  (absolute in scikit-learn) is 10⁻⁶ of the data's variance in every coordinate, as emlib's
  default prior. The parameters are mapped back to x and ℓ is computed on the original X;
- **emlib**: ``fit_gmm(X, K, covariance_type, init=i, random_state=s, tol=1e-10, max_iter=10000)``
  for s = 0..24 and i in ``EMLIB_INITS`` (the default start and "emEM"), and s = 0..2 for every
  other start of ``emlib.starts.STARTS``.

The best optimum known is the highest ℓ (the log-likelihood, not a log-posterior) among the
ADMISSIBLE candidates (``benchmarks/panel.py``, ``admissibility``: every component has effective size
n π_k ≥ D + 1 and no generalised eigenvalue of (Σ_k, S) below 1e-4, S the data's covariance).
So that it is an actual maximum of the likelihood, and not of a regularised objective, the best
admissible candidate of each method (and mclust's fit in any case) is run on by maximum-likelihood
EM to convergence (``emlib.fit_em`` with ``GaussianMixtureModel(type, reg_covar=0)``, tol 1e-12
per sample, up to 100 000 iterations); if that run raises (a collapse) or ends inadmissible, the next
best candidate of the method is tried (up to five). ℓ never falls under ML EM, so the polished
best is at least every unpolished candidate of its method.

Stored per case: the best ℓ and ℓ/n, which method(s) reached it (within 1e-6 nats per sample after
polishing), its parameters, mclust's ℓ (reported, re-scored, converged), scikit-learn's best and the
share of its runs within 1e-3 nats per sample of the best (inadmissible or failed runs count as
misses; also per init_params), emlib's, and the highest inadmissible ℓ when the rule excluded a
higher fit. Provenance: versions, date, machine, seeds, settings, the rule, the run time.

Usage: ``python benchmarks/panel_reference.py [--datasets NAME ...] [--seeds N] [--cache PATH]
[--json PATH]``. ``--cache`` keeps the raw fits (a pickle) so that the selection can be redone
without refitting; ``--seeds`` fewer than 25 is for trying the script out. Run time: about an hour on
one BLAS thread (most of it in the 11 200 scikit-learn runs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import pickle
import sys
import time
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

import emlib
import emlib.starts

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import panel  # noqa: E402 - the benchmark's rule and helpers, next to this script

HERE = pathlib.Path(__file__).resolve().parent
MCLUST = HERE / "data" / "panel_mclust.json"
OUTPUT = HERE / "data" / "panel_reference.json"

SEEDS = 25
SKLEARN_INITS = ("kmeans", "k-means++", "random", "random_from_data")
SKLEARN_SETTINGS = {"n_init": 1, "tol": 1e-10, "max_iter": 10_000, "reg_covar": 1e-6}
EMLIB_SETTINGS = {"tol": 1e-10, "max_iter": 10_000}
#: emlib's starts among the candidates, each with ``--seeds`` seeds: the default, and emEM (its short
#: runs explore more basins).
EMLIB_INITS = (emlib.starts.DEFAULT_START, "emEM")
#: The other starts of emlib.starts.STARTS, each with this many seeds (so that no strategy of the
#: panel benchmark finds an optimum that no candidate found).
OTHER_INIT_SEEDS = 3
POLISH_SETTINGS = {"tol": 1e-12, "max_iter": 100_000}
POLISH_TRIES = 5
#: Two optima closer than this (nats per sample) are the same for "found_by".
SAME_OPTIMUM = 1e-6
MCLUST_MODELS = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}


# ---------------------------------------------------------------------------------------------
# Candidates


def _candidate(method, detail, params, X, **figures):
    """One fit: its method, how it was made, its parameters and ℓ on X."""
    return {
        "method": method,
        "detail": detail,
        "params": None if params is None else panel.params_to_json(params),
        "loglik": None if params is None else float(emlib.log_likelihood(X, params)),
        **figures,
    }


def mclust_candidate(entry: dict, X: np.ndarray) -> dict:
    if "error" in entry:
        return _candidate("mclust", {"call": "Mclust default"}, None, X, error=entry["error"])
    params = emlib.GMMParams(entry["pro"], entry["mean"], entry["sigma"])
    return _candidate(
        "mclust",
        {"call": "Mclust default"},
        params,
        X,
        loglik_reported=entry["loglik_reported"],
        loglik_rescored_R=entry["loglik_rescored"],
        bic=entry["bic"],
    )


def standardisation(X: np.ndarray, covariance_type: str) -> tuple[np.ndarray, np.ndarray | float]:
    """The shift and scale of z = (x − shift) / scale: column sds, or one scale for "spherical"."""
    shift = X.mean(axis=0)
    if covariance_type == "spherical":
        return shift, float(np.sqrt(X.var(axis=0).mean()))
    return shift, X.std(axis=0)


def sklearn_candidates(X: np.ndarray, covariance_type: str, k: int, seeds: int) -> list[dict]:
    shift, scale = standardisation(X, covariance_type)
    Z = (X - shift) / scale
    out = []
    for init in SKLEARN_INITS:
        for seed in range(seeds):
            detail = {"init_params": init, "random_state": seed}
            began = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = SklearnGaussianMixture(
                        k, covariance_type=covariance_type, init_params=init, random_state=seed, **SKLEARN_SETTINGS
                    ).fit(Z)
                params = panel.sklearn_params(model, shift, scale)
            except Exception as error:  # noqa: BLE001 - a failed run is a miss, recorded
                out.append(_candidate("sklearn", detail, None, X, error=f"{type(error).__name__}: {error}"[:200]))
                continue
            out.append(
                _candidate(
                    "sklearn",
                    detail,
                    params,
                    X,
                    n_iter=int(model.n_iter_),
                    converged=bool(model.converged_),
                    seconds=time.perf_counter() - began,
                )
            )
    return out


def emlib_candidates(X: np.ndarray, covariance_type: str, k: int, seeds: int, skip=()) -> list[dict]:
    """emlib's candidates from every start of emlib.starts.STARTS but those in ``skip``."""
    out = []
    for init in emlib.starts.STARTS:
        if init not in skip:
            count = seeds if init in EMLIB_INITS else min(seeds, OTHER_INIT_SEEDS)
            out.extend(_emlib_candidates_from(init, X, covariance_type, k, count))
    return out


def _emlib_inits(candidates: list[dict]) -> set[str]:
    return {c["detail"].get("init") for c in candidates if c["method"] == "emlib"}


def _emlib_candidates_from(init: str, X: np.ndarray, covariance_type: str, k: int, seeds: int) -> list[dict]:
    out = []
    for seed in range(seeds):
        detail = {"init": init, "random_state": seed}
        began = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = emlib.fit_gmm(
                    X, k, covariance_type=covariance_type, init=init, random_state=seed, **EMLIB_SETTINGS
                )
        except Exception as error:  # noqa: BLE001
            out.append(_candidate("emlib", detail, None, X, error=f"{type(error).__name__}: {error}"[:200]))
            continue
        out.append(
            _candidate(
                "emlib",
                detail,
                fit.params,
                X,
                n_iter=int(fit.n_iter),
                converged=bool(fit.converged),
                degenerate_flagged=bool(np.any(fit.degenerate)),
                seconds=time.perf_counter() - began,
            )
        )
    return out


def generate(X, covariance_type, k, mclust_entry, seeds) -> list[dict]:
    return [
        mclust_candidate(mclust_entry, X),
        *sklearn_candidates(X, covariance_type, k, seeds),
        *emlib_candidates(X, covariance_type, k, seeds),
    ]


# ---------------------------------------------------------------------------------------------
# Selection


def polish(candidate: dict, X: np.ndarray, covariance_type: str) -> dict:
    """Maximum-likelihood EM (reg_covar=0) to convergence from a candidate's parameters."""
    model = emlib.GaussianMixtureModel(covariance_type, 0.0)
    start = panel.params_from_json(candidate["params"])
    detail = {**candidate["detail"], "from": candidate["method"], "polished": "ML EM"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = emlib.fit_em(model, X, start, **POLISH_SETTINGS)
    except Exception as error:  # noqa: BLE001 - a collapse under ML EM: the candidate is not kept
        return _candidate(candidate["method"] + "+EM", detail, None, X, error=f"{type(error).__name__}: {error}"[:200])
    return _candidate(
        candidate["method"] + "+EM", detail, fit.params, X, n_iter=int(fit.n_iter), converged=bool(fit.converged)
    )


def judge(candidate: dict, X: np.ndarray) -> dict:
    """The candidate with its admissibility (panel.admissibility) attached."""
    if candidate["params"] is None:
        return {**candidate, "admissible": False, "reasons": ["failed"]}
    verdict = panel.admissibility(panel.params_from_json(candidate["params"]), X)
    return {**candidate, **verdict}


def polished_best(candidates: list[dict], X, covariance_type) -> list[dict]:
    """Per method, ML EM from its best admissible candidate (the next ones if that collapses)."""
    out = []
    for method in ("mclust", "sklearn", "emlib"):
        own = sorted((c for c in candidates if c["method"] == method and c["admissible"]), key=lambda c: -c["loglik"])
        if method == "mclust" and not own:  # polish mclust's own fit even if it is inadmissible
            own = [c for c in candidates if c["method"] == method and c["params"] is not None]
        for candidate in own[:POLISH_TRIES]:
            polished = judge(polish(candidate, X, covariance_type), X)
            out.append(polished)
            if polished["admissible"]:
                break
    return out


def share_within(candidates: list[dict], best: float, n: int) -> float:
    """Share of runs admissible and within panel.WITHIN nats per sample of the best."""
    hits = [c for c in candidates if c["admissible"] and panel.gap_per_sample(c["loglik"], best, n) <= panel.WITHIN]
    return len(hits) / len(candidates) if candidates else float("nan")


def _best_loglik(candidates: list[dict]):
    admissible = [c["loglik"] for c in candidates if c["admissible"]]
    return max(admissible) if admissible else None


def _method_summary(candidates, polished, method, best, n) -> dict:
    own = [c for c in candidates if c["method"] == method]
    mine = [c for c in polished if c["method"] == method + "+EM" and c["admissible"]]
    summary = {
        "n_runs": len(own),
        "n_failed": sum(c["params"] is None for c in own),
        "n_inadmissible": sum(c["params"] is not None and not c["admissible"] for c in own),
        "best_loglik": _best_loglik(own),
        "best_loglik_polished": mine[0]["loglik"] if mine else None,
        "share_within_1e-3": share_within(own, best, n),
    }
    return summary


def select(key: str, candidates: list[dict], X: np.ndarray, covariance_type: str) -> dict:
    n, d = X.shape
    candidates = [judge(c, X) for c in candidates]
    polished = polished_best(candidates, X, covariance_type)
    pool = [c for c in candidates + polished if c["admissible"]]
    if not pool:
        raise RuntimeError(f"{key}: no admissible candidate")
    best = max(pool, key=lambda c: c["loglik"])
    best_loglik = best["loglik"]
    found_by = sorted(
        {
            c["method"]
            for c in pool
            if panel.gap_per_sample(c["loglik"], best_loglik, n) <= SAME_OPTIMUM and c["method"].endswith("+EM")
        }
        | {best["method"]}
    )
    mclust = next(c for c in candidates if c["method"] == "mclust")
    mclust_polished = next((c for c in polished if c["method"] == "mclust+EM"), None)
    mclust_summary = {
        "error": mclust.get("error"),
        "loglik_reported": mclust.get("loglik_reported"),
        "loglik_rescored_R": mclust.get("loglik_rescored_R"),
        "loglik_rescored": mclust["loglik"],
        "bic": mclust.get("bic"),
        "admissible": mclust["admissible"],
        "gap_rescored": None if mclust["loglik"] is None else panel.gap_per_sample(mclust["loglik"], best_loglik, n),
    }
    if mclust_polished is not None:
        mclust_summary.update(
            loglik_converged=mclust_polished["loglik"],
            converged_admissible=mclust_polished["admissible"],
            em_iterations=mclust_polished.get("n_iter"),
            gap_converged=None
            if mclust_polished["loglik"] is None
            else panel.gap_per_sample(mclust_polished["loglik"], best_loglik, n),
        )
    sklearn_runs = [c for c in candidates if c["method"] == "sklearn"]
    sklearn_summary = _method_summary(candidates, polished, "sklearn", best_loglik, n)
    sklearn_summary["share_within_1e-3_by_init_params"] = {
        init: share_within([c for c in sklearn_runs if c["detail"]["init_params"] == init], best_loglik, n)
        for init in SKLEARN_INITS
    }
    emlib_runs = [c for c in candidates if c["method"] == "emlib"]
    emlib_summary = _method_summary(candidates, polished, "emlib", best_loglik, n)
    emlib_summary["n_degenerate_flagged"] = sum(bool(c.get("degenerate_flagged")) for c in emlib_runs)
    inadmissible = [c for c in candidates + polished if c["params"] is not None and not c["admissible"]]
    higher = max(inadmissible, key=lambda c: c["loglik"]) if inadmissible else None
    return {
        "dataset": key.split("/")[0],
        "covariance_type": covariance_type,
        "n_components": int(key.split("/")[2]),
        "n": n,
        "d": d,
        "best_loglik": best_loglik,
        "best_loglik_per_sample": best_loglik / n,
        "found_by": found_by,
        "best_source": {"method": best["method"], **best["detail"]},
        "best_converged": best.get("converged"),
        "best_min_effective_size": best["min_effective_size"],
        "best_min_relative_eigenvalue": best["min_relative_eigenvalue"],
        "best_params": best["params"],
        "mclust": mclust_summary,
        "sklearn": sklearn_summary,
        "emlib": emlib_summary,
        "highest_inadmissible": None
        if higher is None or higher["loglik"] <= best_loglik
        else {
            "loglik": higher["loglik"],
            "gap": panel.gap_per_sample(higher["loglik"], best_loglik, n),
            "method": higher["method"],
            "detail": higher["detail"],
            "reasons": higher["reasons"],
        },
    }


# ---------------------------------------------------------------------------------------------


def _case_line(key: str, case: dict) -> str:
    gap = case["mclust"].get("gap_converged")
    return (
        f"{key:<24} best ℓ/n {case['best_loglik_per_sample']:+.6f} by {','.join(case['found_by']):<30}"
        f" mclust gap {'failed' if gap is None else format(gap, '.2e'):>9}"
        f"  sklearn share {case['sklearn']['share_within_1e-3']:.2f}  emlib share {case['emlib']['share_within_1e-3']:.2f}"
    )


def _margins(cases: dict, all_judged: list[dict]) -> dict:
    """How far the rule's thresholds are from the figures of the chosen optima and of the rejected fits."""
    eigen = [case["best_min_relative_eigenvalue"] for case in cases.values()]
    sizes = [case["best_min_effective_size"] for case in cases.values()]
    return {
        "smallest_relative_eigenvalue_of_a_best_fit": min(eigen),
        "smallest_effective_size_of_a_best_fit": min(sizes),
        "n_cases_where_the_rule_excluded_a_higher_fit": sum(
            case["highest_inadmissible"] is not None for case in cases.values()
        ),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(emlib.datasets.panel()))
    parser.add_argument("--seeds", type=int, default=SEEDS, help="seeds per method (25)")
    parser.add_argument("--cache", type=pathlib.Path, help="pickle of the raw fits: read if present, else written")
    parser.add_argument("--json", type=pathlib.Path, default=OUTPUT)
    arguments = parser.parse_args(argv)

    mclust = json.loads(MCLUST.read_text())
    loaders = emlib.datasets.panel()
    raw = pickle.loads(arguments.cache.read_bytes()) if arguments.cache and arguments.cache.exists() else {}
    began = time.perf_counter()
    fit_seconds = raw.get("_seconds", 0.0)
    cases = {}
    for name in arguments.datasets:
        X = loaders[name]()
        for _, covariance_type, k in panel.cases([name]):
            key = panel.case_key(name, covariance_type, k)
            if key not in raw:
                started = time.perf_counter()
                entry = mclust["datasets"][name]["cases"][f"{covariance_type}/{k}"]
                raw[key] = generate(X, covariance_type, k, entry, arguments.seeds)
                fit_seconds += time.perf_counter() - started
                raw["_seconds"] = fit_seconds
                if arguments.cache:
                    arguments.cache.write_bytes(pickle.dumps(raw))
            elif missing := set(emlib.starts.STARTS) - _emlib_inits(raw[key]):  # a cache from fewer starts
                started = time.perf_counter()
                skip = set(emlib.starts.STARTS) - missing
                raw[key] = raw[key] + emlib_candidates(X, covariance_type, k, arguments.seeds, skip=skip)
                fit_seconds += time.perf_counter() - started
                raw["_seconds"] = fit_seconds
                if arguments.cache:
                    arguments.cache.write_bytes(pickle.dumps(raw))
            cases[key] = select(key, raw[key], X, covariance_type)
            print(_case_line(key, cases[key]), flush=True)
    seconds = time.perf_counter() - began
    data_files = {name: f"emlib/datasets/{name}.csv" for name in arguments.datasets}
    result = {
        "provenance": {
            "description": (
                "Best optima known for the benchmark panel (benchmarks/panel.py): per case, the highest"
                " log-likelihood among admissible fits by mclust (default hc start), scikit-learn (4 init_params"
                " x seeds) and emlib's fit_gmm (seeds), the best of each method run on by maximum-likelihood EM."
                " Cases keyed '<dataset>/<covariance_type>/<K>'. Log-likelihoods in nats, of the original data."
            ),
            "rule": {
                "admissible": (
                    "every component k has effective size n*pi_k >= D + 1 and every generalised eigenvalue of"
                    " (Sigma_k, S) >= min_relative_eigenvalue, S the data's covariance (divisor n): in no"
                    " direction is a component's variance below that fraction of the data's variance in the"
                    " same direction. Affine-invariant. Applied to every candidate, polished or not."
                ),
                "min_relative_eigenvalue": panel.MIN_RELATIVE_EIGENVALUE,
                "min_effective_size": f"D + {panel.EXTRA_ROWS}",
                "why": (
                    "The Gaussian-mixture likelihood is unbounded: a component can collapse onto a point, a"
                    " subspace or rows sharing a rounded value (the panel's data are rounded to 0.1 or to whole"
                    " units), and such spurious maximisers (McLachlan and Peel 2000, s. 3.10) must not become the"
                    " target. The regularised fits (sklearn reg_covar 1e-6 of the variance, emlib's 1e-6 T prior)"
                    " put a collapsed component's eigenvalue near 1e-6 of the data's variance (1e-6/pi_k for"
                    " emlib); the floor 1e-4 is 100 times that, and below every eigenvalue of the chosen optima"
                    " (margins below). n*pi_k >= D + 1 is the fewest rows that determine a D-dimensional"
                    " covariance."
                ),
            },
            "margins": _margins(cases, []),
            "seeds": f"0..{arguments.seeds - 1} for each sklearn init_params and for emlib",
            "sklearn_settings": {**SKLEARN_SETTINGS, "init_params": list(SKLEARN_INITS)},
            "sklearn_units": (
                "fitted to z = (x - mean) / scale, scale = column sds (full, tied, diag) or the root mean column"
                " variance (spherical), parameters mapped back to x"
            ),
            "emlib_settings": {
                **EMLIB_SETTINGS,
                "init": list(emlib.starts.STARTS),
                "seeds_of_other_inits": OTHER_INIT_SEEDS,
                "inits_with_all_seeds": list(EMLIB_INITS),
            },
            "polish": {**POLISH_SETTINGS, "model": "GaussianMixtureModel(type, reg_covar=0)", "tries": POLISH_TRIES},
            "same_optimum_per_sample": SAME_OPTIMUM,
            "mclust": {
                "file": "benchmarks/data/panel_mclust.json",
                "sha256": hashlib.sha256(MCLUST.read_bytes()).hexdigest(),
                **{key: mclust["provenance"][key] for key in ("call", "R_version", "mclust_version", "date")},
            },
            "data": {
                name: hashlib.sha256((HERE.parent / path).read_bytes()).hexdigest() for name, path in data_files.items()
            },
            **panel.software(),
            "command": "python benchmarks/panel_reference.py " + " ".join(sys.argv[1:]),
            "fit_seconds": fit_seconds,
            "selection_seconds": seconds,
        },
        "datasets": list(arguments.datasets),
        "cases": cases,
    }
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {arguments.json} ({len(cases)} cases; fits {fit_seconds:.0f} s, selection {seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
