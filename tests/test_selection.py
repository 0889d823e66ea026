"""Choosing K and the covariance structure: emlib.selection's BIC, ICL and select_gmm.

Reference values: tests/data/mclust_bic_faithful.json, made once by
``scripts/mclust_bic_reference.R`` (provenance in the JSON): mclust 6.0.0's BIC and ICL tables of
``Mclust(faithful, G = 1:9, modelNames = c("VVV", "EEE", "VVI", "VII"))``, the parameters and
classification of each fit, and the criteria recomputed in R (``estep``) from those parameters.
No R is needed here. Sign convention, mclust's: larger is better,
BIC = 2ℓ − p log n (Schwarz 1978; Fraley & Raftery 2002), ICL = BIC + 2 Σ_n Σ_k c_nk log γ_nk
(Biernacki, Celeux & Govaert 2000).
"""

from __future__ import annotations

import io
import json
import pathlib
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import emlib
from emlib import selection as sel
from emlib.gaussian_mixture import n_parameters

REFERENCE = json.loads((pathlib.Path(__file__).parent / "data" / "mclust_bic_faithful.json").read_text())
FITS = REFERENCE["fits"]
FAITHFUL = emlib.datasets.old_faithful()


def reference_result(fit: dict) -> emlib.EMResult:
    """An EMResult holding mclust's parameters for one (G, model), to be re-scored by emlib."""
    params = emlib.GMMParams(np.array(fit["weights"]), np.array(fit["means"]), np.array(fit["covariances"]))
    return _result_at(params, fit["emlib"])


def _result_at(params: emlib.GMMParams, covariance_type: str, log_likelihood: float = 0.0, n_rows: int = 0):
    return emlib.EMResult(
        model=emlib.GaussianMixtureModel(covariance_type, reg_covar=0.0),
        params=params,
        log_likelihoods=[log_likelihood],
        objectives=[log_likelihood],
        n_iter=0,
        converged=True,
        posterior=np.full((n_rows, params.n_components), 1.0 / params.n_components),
        method="em",
        n_evaluations=0,
    )


def scipy_criteria(X, params: emlib.GMMParams, covariance_type: str, weights=None):
    """BIC and ICL of a Gaussian mixture from scipy's densities, written out from the definitions."""
    weights = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=float)
    log_joint = np.column_stack(
        [
            np.log(params.weights[k]) + multivariate_normal(params.means[k], params.covariances[k]).logpdf(X)
            for k in range(params.n_components)
        ]
    ).reshape(len(X), -1)
    log_marginal = logsumexp(log_joint, axis=1)
    log_posterior = log_joint - log_marginal[:, None]
    p = n_parameters(params.n_components, X.shape[1], covariance_type)
    bic_value = 2 * weights @ log_marginal - p * np.log(weights.sum())
    labels = np.argmax(log_posterior, axis=1)
    return bic_value, bic_value + 2 * weights @ log_posterior[np.arange(len(X)), labels]


@pytest.fixture(scope="module")
def faithful_selection():
    """select_gmm(faithful) with the default grid and settings, seeded (about 8 s, run once)."""
    return emlib.selection.select_gmm(FAITHFUL, random_state=0)


def three_clusters(seed: int, n: int = 300) -> np.ndarray:
    """Data from a known, well-separated three-component mixture in two dimensions."""
    params = emlib.GMMParams(
        [0.3, 0.3, 0.4],
        [[0.0, 0.0], [6.0, 0.0], [3.0, 6.0]],
        [[[1.0, 0.3], [0.3, 1.0]], [[1.0, -0.2], [-0.2, 0.8]], [[0.8, 0.0], [0.0, 1.2]]],
    )
    return emlib.datasets.sample_gmm(params, n, seed)[0]


def collapsing_data() -> np.ndarray:
    """40 Gaussian rows and five identical rows far away: a second component collapses onto them."""
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(size=(40, 2)), np.tile([[8.0, 8.0]], (5, 1))])


# ----------------------------------------------------------------------------------------------
# (a) the criteria at mclust's parameters
# ----------------------------------------------------------------------------------------------
def test_the_reference_is_mclusts_on_emlibs_faithful():
    assert REFERENCE["provenance"]["data"] == "emlib/datasets/old_faithful.csv"
    assert REFERENCE["provenance"]["mclust_version"] == "6.0.0"
    assert (REFERENCE["n"], REFERENCE["d"]) == FAITHFUL.shape
    assert len(FITS) == 36


@pytest.mark.parametrize("fit", FITS, ids=lambda f: f"{f['mclust']}-{f['G']}")
def test_bic_and_icl_at_mclusts_parameters_equal_mclusts_values_at_those_parameters(fit):
    # What matches exactly (to rounding): emlib's bic/icl of mclust's returned parameters and the
    # criteria R computes from the same parameters with estep() (bic_rescored, icl_rescored). The
    # values of mclust's own table lag by one M-step (below).
    result = reference_result(fit)
    assert sel.bic(result, FAITHFUL) == pytest.approx(fit["bic_rescored"], rel=1e-10)
    assert sel.icl(result, FAITHFUL) == pytest.approx(fit["icl_rescored"], rel=1e-10)


@pytest.mark.parametrize("fit", FITS, ids=lambda f: f"{f['mclust']}-{f['G']}")
def test_mclusts_table_lags_its_parameters_by_at_most_one_em_step(fit):
    # mclust's table BIC is 2ℓ − p log n with the log-likelihood of the E-step before its last
    # M-step: EM cannot lower ℓ, so re-scoring the returned parameters gives at least as much, and
    # the same where mclust's loglik is already at its parameters (e.g. VVV, G = 2).
    ours = sel.bic(reference_result(fit), FAITHFUL)
    assert ours >= fit["bic_mclust"] - 1e-9
    assert ours - fit["bic_mclust"] < 0.05
    if abs(fit["loglik_mclust"] - fit["loglik_rescored"]) <= 1e-11 * abs(fit["loglik_rescored"]):
        assert ours == pytest.approx(fit["bic_mclust"], rel=1e-10)
        assert sel.icl(reference_result(fit), FAITHFUL) == pytest.approx(fit["icl_mclust"], rel=1e-10)


@pytest.mark.parametrize("fit", FITS, ids=lambda f: f"{f['mclust']}-{f['G']}")
def test_the_map_classification_at_mclusts_parameters_is_mclusts(fit):
    # mclust's classification comes from its last (lagged) posterior: a point or two on a boundary may differ.
    labels = reference_result(fit).predict(FAITHFUL)
    assert np.count_nonzero(labels != np.array(fit["classification"])) <= 2


def test_mclusts_best_model_on_faithful_is_eee_with_three_components():
    assert (REFERENCE["best"]["mclust"], REFERENCE["best"]["G"]) == ("EEE", 3)
    assert REFERENCE["best"]["emlib"] == "tied"


# ----------------------------------------------------------------------------------------------
# (b) the free-parameter counts
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fit", FITS, ids=lambda f: f"{f['mclust']}-{f['G']}")
def test_free_parameters_equal_mclusts_nMclustParams(fit):
    assert n_parameters(fit["G"], REFERENCE["d"], fit["emlib"]) == fit["n_parameters"]


def test_the_table_counts_parameters_as_mclust_does(faithful_selection):
    counts = {(f["G"], f["emlib"]): f["n_parameters"] for f in FITS}
    for row in faithful_selection.table:
        assert row.n_parameters == counts[(row.n_components, row.covariance_type)]


# ----------------------------------------------------------------------------------------------
# (c) select_gmm on faithful chooses mclust's model, at least as well fitted
# ----------------------------------------------------------------------------------------------
def test_select_gmm_on_faithful_chooses_mclusts_eee_with_three_components(faithful_selection):
    assert (faithful_selection.best_n_components, faithful_selection.best_covariance_type) == (3, "tied")
    assert faithful_selection.criterion == "bic"
    best_row = faithful_selection.best_row
    # emlib's fit is at least as good as mclust's (whose table value lags, see above)
    assert best_row.bic >= REFERENCE["best"]["bic"] - 1e-6
    assert best_row.bic == max(row.bic for row in faithful_selection.table if not row.degenerate)
    # and the table's value is the criterion of the chosen fit, recomputed independently
    expected_bic, expected_icl = scipy_criteria(FAITHFUL, faithful_selection.best.params, "tied")
    assert best_row.bic == pytest.approx(expected_bic, rel=1e-10)
    assert best_row.icl == pytest.approx(expected_icl, rel=1e-10)


def test_the_faithful_table_has_every_row_and_the_fits(faithful_selection):
    table = faithful_selection.table
    assert len(table) == 36
    assert [(row.n_components, row.covariance_type) for row in table] == [
        (k, kind) for k in range(1, 10) for kind in ("full", "tied", "diag", "spherical")
    ]
    assert set(faithful_selection.fits) == {(row.n_components, row.covariance_type) for row in table}
    assert faithful_selection.best is faithful_selection.fits[(3, "tied")]
    assert not any(row.failed for row in table)
    # each row is its fit's log-likelihood and the criteria computed from it
    for row in table:
        fit = faithful_selection.fits[(row.n_components, row.covariance_type)]
        assert row.log_likelihood == pytest.approx(fit.log_likelihoods[-1], rel=1e-12)
        assert row.bic == pytest.approx(2 * row.log_likelihood - row.n_parameters * np.log(272), rel=1e-13)
        assert row.icl <= row.bic + 1e-9
    # ICL = BIC for K = 1 (every point is classified with certainty)
    for row in table[:4]:
        assert row.icl == row.bic


def test_the_table_prints_aligned_with_the_chosen_row_marked(faithful_selection):
    text = faithful_selection.to_text()
    lines = text.splitlines()
    assert len(lines) == 37 and "BIC" in lines[0] and "ICL" in lines[0]
    marked = [line for line in lines if line.startswith("*")]
    assert len(marked) == 1 and "tied (EEE)" in marked[0] and " 3 " in marked[0]
    assert repr(faithful_selection).startswith("ModelSelection(criterion='bic', best: K=3, covariance_type='tied'")
    assert str(faithful_selection.table) == faithful_selection.table.to_text()


def test_columns_are_arrays_of_the_rows(faithful_selection):
    table = faithful_selection.table
    bic_column = table.column("bic")
    assert bic_column.dtype == np.float64 and bic_column.shape == (36,)
    assert np.array_equal(bic_column, [row.bic for row in table])
    assert table.column("n_components").dtype == np.int64
    assert table.column("degenerate").dtype == bool
    assert list(table.column("covariance_type")[:4]) == ["full", "tied", "diag", "spherical"]
    assert not table.column("failed").any()
    with pytest.raises(ValueError, match="name must be one of"):
        table.column("BIC")


def test_the_selection_is_read_only(faithful_selection):
    with pytest.raises(TypeError):
        faithful_selection.fits[(1, "full")] = None
    with pytest.raises(AttributeError):
        faithful_selection.criterion = "icl"
    with pytest.raises(AttributeError):
        faithful_selection.table[0].bic = 0.0


# ----------------------------------------------------------------------------------------------
# (d) on data from a known mixture, BIC finds K
# ----------------------------------------------------------------------------------------------
def test_bic_finds_the_three_components_of_a_known_mixture_for_most_seeds():
    chosen = [
        emlib.selection.select_gmm(
            three_clusters(seed), n_components=range(1, 6), covariance_types=("full",), random_state=seed
        ).best_n_components
        for seed in range(6)
    ]
    assert chosen.count(3) >= 5, chosen


def test_icl_also_finds_three_well_separated_components():
    selection = emlib.selection.select_gmm(three_clusters(1), n_components=range(1, 6), criterion="icl", random_state=1)
    assert selection.criterion == "icl" and selection.best_n_components == 3


# ----------------------------------------------------------------------------------------------
# bic and icl on their own
# ----------------------------------------------------------------------------------------------
def test_bic_without_x_uses_the_fits_last_log_likelihood():
    fit = emlib.fit_gmm(FAITHFUL, 2, random_state=0)
    assert sel.bic(fit) == pytest.approx(sel.bic(fit, FAITHFUL), rel=1e-12)


def test_bic_is_minus_scikit_learns_bic():
    from sklearn.mixture import GaussianMixture  # a test dependency, installed in .venv

    sk = GaussianMixture(3, covariance_type="full", random_state=0).fit(FAITHFUL)
    params = emlib.GMMParams(sk.weights_, sk.means_, sk.covariances_)
    assert sel.bic(_result_at(params, "full"), FAITHFUL) == pytest.approx(-sk.bic(FAITHFUL), rel=1e-10)


def test_weighted_criteria_count_n_as_the_sum_of_the_weights():
    # integer weights are repeated rows: the same ℓ, the same n = Σ w, the same MAP term
    rng = np.random.default_rng(3)
    X = three_clusters(3, n=60)
    weights = rng.integers(0, 4, size=60)
    fit = emlib.fit_gmm(X, 3, random_state=0, sample_weight=weights)
    repeated = np.repeat(X, weights, axis=0)
    assert sel.bic(fit, X, sample_weight=weights) == pytest.approx(sel.bic(fit, repeated), rel=1e-12)
    assert sel.icl(fit, X, sample_weight=weights) == pytest.approx(sel.icl(fit, repeated), rel=1e-12)
    expected_bic, expected_icl = scipy_criteria(X, fit.params, "full", weights)
    assert sel.bic(fit, X, sample_weight=weights) == pytest.approx(expected_bic, rel=1e-10)
    assert sel.icl(fit, X, sample_weight=weights) == pytest.approx(expected_icl, rel=1e-10)


def test_icl_of_a_hard_em_fit_uses_the_responsibilities_not_the_one_hot_posterior():
    fit = emlib.fit_gmm(FAITHFUL, 3, method="hard", random_state=0)
    expected_bic, expected_icl = scipy_criteria(FAITHFUL, fit.params, "full")
    assert sel.icl(fit, FAITHFUL) == pytest.approx(expected_icl, rel=1e-10)
    assert sel.icl(fit, FAITHFUL) < expected_bic


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: sel.bic("fit"), TypeError, "result must be an emlib.EMResult"),
        (lambda: sel.icl(None, FAITHFUL), TypeError, "result must be an emlib.EMResult"),
        (lambda: sel.bic(reference_result(FITS[1]), sample_weight=np.ones(272)), ValueError, "sample_weight needs X"),
        (lambda: sel.bic(reference_result(FITS[1]), FAITHFUL[:, :1]), ValueError, "columns"),
        (lambda: sel.icl(reference_result(FITS[1]), FAITHFUL, sample_weight=np.ones(3)), ValueError, "sample_weight"),
        (lambda: sel.icl(reference_result(FITS[1]), np.full((3, 2), np.nan)), ValueError, "NaN"),
    ],
)
def test_the_criteria_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------------------------------------
# select_gmm's rules: degenerate fits, failures, ties, seeds, pass-through
# ----------------------------------------------------------------------------------------------
def test_degenerate_fits_are_marked_and_not_chosen_and_their_warnings_recorded():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may escape
        selection = emlib.selection.select_gmm(
            collapsing_data(), n_components=[1, 2, 3], covariance_types=("full",), random_state=0
        )
    flags = selection.table.column("degenerate")
    assert list(flags) == [False, True, True]
    # the collapsed fits have the higher BIC, but are excluded from the choice
    assert selection.table.column("bic")[1:].min() > selection.table.column("bic")[0]
    assert selection.best_n_components == 1
    assert all(w.startswith("DegenerateFitWarning") for w in selection.table[1].warnings)
    assert "degenerate" in selection.to_text().splitlines()[2]


def test_if_every_fit_is_degenerate_the_best_is_returned_with_a_warning():
    t = np.linspace(0.0, 1.0, 30)
    constant_column = np.column_stack([t, np.ones(30)])  # no spread in one direction: every component is degenerate
    with pytest.warns(emlib.DegenerateFitWarning, match="every fit has a degenerate component"):
        selection = emlib.selection.select_gmm(
            constant_column, n_components=[1, 2], covariance_types=("full", "diag"), random_state=0
        )
    assert selection.table.column("degenerate").all()
    bics = selection.table.column("bic")
    assert selection.best_row.bic == bics.max()


def test_too_many_components_and_singular_fits_are_failed_rows():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]] * 4)  # three distinct rows
    selection = emlib.selection.select_gmm(X, n_components=range(1, 6), covariance_types=("spherical",), random_state=0)
    failed = selection.table.column("failed")
    assert list(failed) == [False, False, False, True, True]
    assert "exceeds the number of distinct rows" in selection.table[3].failure
    assert np.isnan(selection.table[3].bic) and (4, "spherical") not in selection.fits
    singular = emlib.selection.select_gmm(
        collapsing_data(), n_components=[1, 2], covariance_types=("full",), reg_covar=0.0, random_state=0
    )
    assert singular.table[1].failed and "singular" in singular.table[1].failure
    assert singular.best_n_components == 1


def test_no_fit_at_all_is_an_error_with_the_reasons():
    X = np.array([[0.0, 0.0], [1.0, 1.0]] * 3)
    with pytest.raises(ValueError, match="no \\(n_components, covariance_type\\) could be fitted.*distinct rows"):
        emlib.selection.select_gmm(X, n_components=[3, 4], random_state=0)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        emlib.selection.select_gmm(X, n_components=[1], tol=-1.0, random_state=0)


def test_convergence_warnings_are_recorded_not_emitted():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        selection = emlib.selection.select_gmm(FAITHFUL, n_components=[2, 3], max_iter=2, random_state=0)
    assert selection.table.column("converged").sum() <= 2  # two EM iterations rarely meet the stopping rule
    for row in selection.table:
        assert row.converged == (not any(w.startswith("ConvergenceWarning") for w in row.warnings))
    assert "not converged" in selection.to_text()


def test_ties_go_to_fewer_parameters_then_fewer_components_then_the_type_listed_first():
    def row(k, kind, value, p=None):
        return sel.SelectionRow(
            n_components=k,
            covariance_type=kind,
            n_parameters=n_parameters(k, 2, kind) if p is None else p,
            log_likelihood=0.0,
            bic=value,
            icl=value,
            degenerate=False,
            converged=True,
            n_iter=1,
        )

    # within TIE_TOLERANCE (1e-10 relative) of the best: the spherical fit, 8 parameters against 11
    table = sel.SelectionTable([row(2, "full", -100.0), row(2, "spherical", -100.0 - 1e-9), row(2, "diag", -101.0)])
    assert sel._choose(table, "bic").covariance_type == "spherical"
    beyond_a_tie = sel.SelectionTable([row(2, "full", -100.0), row(2, "spherical", -100.0 - 1e-7)])
    assert sel._choose(beyond_a_tie, "bic").covariance_type == "full"
    equal_p = sel.SelectionTable([row(1, "full", -50.0), row(1, "tied", -50.0)])
    assert sel._choose(equal_p, "bic").covariance_type == "full"
    assert sel._choose(sel.SelectionTable(equal_p[::-1]), "bic").covariance_type == "tied"
    fewer_k = sel.SelectionTable([row(3, "full", -50.0, p=9), row(2, "full", -50.0, p=9)])
    assert sel._choose(fewer_k, "bic").n_components == 2
    clearly_better = sel.SelectionTable([row(1, "spherical", -50.0), row(2, "full", -49.0)])
    assert sel._choose(clearly_better, "bic").n_components == 2


def test_k_equal_one_full_and_tied_are_the_same_model_and_the_first_listed_wins():
    X = three_clusters(0)[:100]
    selection = emlib.selection.select_gmm(X, n_components=[1], covariance_types=("tied", "full"), random_state=0)
    assert selection.table[0].bic == pytest.approx(selection.table[1].bic, rel=1e-12)
    assert selection.best_covariance_type == "tied"


def test_every_fit_uses_the_same_seed_and_the_table_is_reproducible():
    X = three_clusters(2, n=120)
    first = emlib.selection.select_gmm(X, n_components=[2, 3], covariance_types=("full", "diag"), random_state=7)
    assert first.random_state == 7
    for (k, kind), fit in first.fits.items():
        alone = emlib.fit_gmm(X, k, covariance_type=kind, random_state=7)
        assert np.array_equal(fit.params.means, alone.params.means)
    again = emlib.selection.select_gmm(X, n_components=[2, 3], covariance_types=("full", "diag"), random_state=7)
    assert again.table == first.table
    assert again.to_text() == first.to_text()


def test_a_generator_gives_one_seed_for_all_fits():
    X = three_clusters(2, n=120)
    selection = emlib.selection.select_gmm(X, n_components=[2, 3], random_state=np.random.default_rng(11))
    assert selection.random_state == int(np.random.default_rng(11).integers(0, 2**63 - 1))
    repeated = emlib.selection.select_gmm(X, n_components=[2, 3], random_state=selection.random_state)
    assert repeated.table == selection.table
    fresh = emlib.selection.select_gmm(X, n_components=[1])  # None: a fresh seed, recorded
    assert isinstance(fresh.random_state, int) and fresh.random_state >= 0


def test_fit_keywords_reach_fit_gmm_untouched(monkeypatch):
    seen = []
    real = emlib.selection.fit_gmm
    prior = object()

    def recording_fit_gmm(X, n_components, *, covariance_type="full", random_state=None, prior=None, **kwargs):
        seen.append((n_components, covariance_type, random_state, prior, kwargs))
        return real(X, n_components, covariance_type=covariance_type, random_state=random_state, **kwargs)

    monkeypatch.setattr(emlib.selection, "fit_gmm", recording_fit_gmm)
    X = three_clusters(4, n=90)
    emlib.selection.select_gmm(
        X, n_components=[1, 2], covariance_types=("diag",), prior=prior, n_init=2, reg_covar=1e-3, random_state=5
    )
    assert [(k, kind, seed) for k, kind, seed, _, _ in seen] == [(1, "diag", 5), (2, "diag", 5)]
    assert all(entry[3] is prior for entry in seen)
    assert all(entry[4] == {"n_init": 2, "reg_covar": 1e-3} for entry in seen)


def test_reg_covar_and_sample_weight_are_used_by_the_fits():
    X = three_clusters(5, n=90)
    weights = np.linspace(0.5, 2.0, 90)
    selection = emlib.selection.select_gmm(
        X, n_components=[3], covariance_types=("full",), reg_covar=0.0, sample_weight=weights, random_state=0
    )
    assert selection.best.model.reg_covar == 0.0
    expected_bic, _ = scipy_criteria(X, selection.best.params, "full", weights)
    assert selection.best_row.bic == pytest.approx(expected_bic, rel=1e-10)


# ----------------------------------------------------------------------------------------------
# progress
# ----------------------------------------------------------------------------------------------
def test_quiet_by_default(capsys):
    emlib.selection.select_gmm(three_clusters(0, n=60), n_components=[1, 2], random_state=0)
    assert capsys.readouterr() == ("", "")


def test_verbose_prints_a_line_per_fit_and_the_choice(capsys):
    emlib.selection.select_gmm(
        three_clusters(0, n=60), n_components=[1, 2], covariance_types=("full", "tied"), verbose=True, random_state=0
    )
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == "" and len(lines) == 5
    assert lines[0].startswith("[1/4] K=1 full") and "log-likelihood" in lines[0] and "BIC" in lines[0]
    assert lines[0].rstrip().endswith("s)")
    assert lines[-1].startswith("chosen: K=")


def test_verbose_on_a_terminal_updates_one_line(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    emlib.selection.select_gmm(three_clusters(0, n=60), n_components=[1, 2, 3], verbose=True, random_state=0)
    text = terminal.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.count("\r") == 13  # twelve fits and the choice, each overwriting the last
    assert "chosen: K=" in text.rsplit("\r", 1)[1]


# ----------------------------------------------------------------------------------------------
# argument validation
# ----------------------------------------------------------------------------------------------
SMALL = three_clusters(0, n=30)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_components": 3}, TypeError, "n_components must be an iterable of integers"),
        ({"n_components": "123"}, TypeError, "n_components must be an iterable"),
        ({"n_components": []}, ValueError, "at least one"),
        ({"n_components": [0, 1]}, ValueError, "each entry of n_components must be >= 1"),
        ({"n_components": [1, 2.5]}, TypeError, "each entry of n_components must be an integer"),
        ({"n_components": [1, True]}, TypeError, "each entry of n_components must be an integer"),
        ({"n_components": [2, 2]}, ValueError, "must not repeat"),
        ({"covariance_types": "full"}, TypeError, "covariance_types must be an iterable of names"),
        ({"covariance_types": ()}, ValueError, "at least one covariance type"),
        ({"covariance_types": ("full", "VVV")}, ValueError, "each entry of covariance_types must be one of"),
        ({"covariance_types": ("full", "full")}, ValueError, "must not repeat"),
        ({"covariance_types": 3}, TypeError, "covariance_types must be an iterable"),
        ({"criterion": "aic"}, ValueError, "criterion must be one of"),
        ({"criterion": None}, ValueError, "criterion must be one of"),
        ({"verbose": 1}, TypeError, "verbose must be True or False"),
        ({"covariance_type": "full"}, TypeError, "select_gmm sets covariance_type itself"),
        ({"n_component": [1]}, TypeError, "unexpected keyword arguments \\['n_component'\\]"),
        ({"random_state": -1}, ValueError, "random_state must be a non-negative integer seed"),
        ({"random_state": 1.5}, TypeError, "random_state must be None"),
        ({"sample_weight": np.ones(3)}, ValueError, "sample_weight must have one entry per row"),
    ],
)
def test_select_gmm_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        emlib.selection.select_gmm(SMALL, **kwargs)


def test_select_gmm_rejects_bad_data():
    with pytest.raises(ValueError, match="X contains NaN"):
        emlib.selection.select_gmm(np.full((5, 2), np.nan))
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        emlib.selection.select_gmm(np.ones(5))


_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.text(max_size=4),
    st.integers(-3, 3),
    st.lists(st.one_of(st.floats(), st.text(max_size=2), st.none()), min_size=1, max_size=3),
)
_bad_counts = st.one_of(
    _junk,
    st.lists(st.integers(-5, 0), min_size=1, max_size=3),
    st.lists(st.integers(1, 3), min_size=2, max_size=4).filter(lambda ks: len(set(ks)) < len(ks)),
)
_bad_types = st.one_of(
    _junk.filter(lambda v: not (isinstance(v, list) and v and all(t in sel.DEFAULT_COVARIANCE_TYPES for t in v))),
    st.lists(st.sampled_from(sel.DEFAULT_COVARIANCE_TYPES), min_size=2, max_size=4).filter(
        lambda ts: len(set(ts)) < len(ts)
    ),
)


@given(n_components=_bad_counts)
def test_fuzz_n_components(n_components):
    with pytest.raises((TypeError, ValueError), match="n_components"):
        emlib.selection.select_gmm(SMALL, n_components=n_components)


@given(covariance_types=_bad_types)
def test_fuzz_covariance_types(covariance_types):
    with pytest.raises((TypeError, ValueError), match="covariance_types"):
        emlib.selection.select_gmm(SMALL, n_components=[1], covariance_types=covariance_types)


@given(criterion=_junk.filter(lambda v: v not in sel.CRITERIA))
def test_fuzz_criterion(criterion):
    with pytest.raises(ValueError, match="criterion must be one of"):
        emlib.selection.select_gmm(SMALL, n_components=[1], criterion=criterion)


@given(verbose=_junk.filter(lambda v: not isinstance(v, bool)))
def test_fuzz_verbose(verbose):
    with pytest.raises(TypeError, match="verbose must be True or False"):
        emlib.selection.select_gmm(SMALL, n_components=[1], verbose=verbose)
