"""emlib.datasets: the Old Faithful data, the benchmark panel's data sets, and sampling from a mixture."""

import hashlib
import json
import pathlib
from importlib import resources

import numpy as np
import pytest
from scipy import stats

import emlib


# --------------------------------------------------------------------------
# old_faithful
# --------------------------------------------------------------------------
def test_old_faithful_shape_dtype_and_finiteness():
    x = emlib.datasets.old_faithful()
    assert isinstance(x, np.ndarray)
    assert x.shape == (272, 2)
    assert x.dtype == np.float64
    assert np.all(np.isfinite(x))


def test_old_faithful_plausible_ranges():
    x = emlib.datasets.old_faithful()
    eruptions, waiting = x[:, 0], x[:, 1]
    # eruption length 1.6-5.1 minutes, waiting time 43-96 minutes (R's datasets::faithful)
    assert eruptions.min() == pytest.approx(1.6)
    assert eruptions.max() == pytest.approx(5.1)
    assert waiting.min() == 43
    assert waiting.max() == 96
    # waiting times are whole minutes
    np.testing.assert_array_equal(waiting, np.round(waiting))


def test_old_faithful_known_values():
    x = emlib.datasets.old_faithful()
    # first rows of R's faithful, and its well-known summary statistics
    np.testing.assert_array_equal(x[:3], [[3.6, 79.0], [1.8, 54.0], [3.333, 74.0]])
    np.testing.assert_allclose(x.mean(axis=0), [3.487783, 70.897059], atol=1e-6)
    np.testing.assert_allclose(np.corrcoef(x.T)[0, 1], 0.9008112, atol=1e-7)


def test_old_faithful_is_bimodal():
    # the point of the data set: two clusters of eruption lengths
    e = emlib.datasets.old_faithful()[:, 0]
    short, long = np.sum(e < 3.0), np.sum(e >= 3.0)
    assert 80 <= short <= 110 and 160 <= long <= 190
    assert np.sum((e > 2.5) & (e < 3.2)) < 15  # few eruptions in the gap


def test_old_faithful_returns_an_independent_array():
    a = emlib.datasets.old_faithful()
    if a.flags.writeable:
        a[0, 0] = -1.0
    b = emlib.datasets.old_faithful()
    assert b[0, 0] == 3.6


# --------------------------------------------------------------------------
# sample_gmm
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def params3():
    return emlib.GMMParams(
        [0.2, 0.5, 0.3],
        [[0.0, 0.0, 0.0], [5.0, 5.0, 5.0], [-5.0, 0.0, 5.0]],
        [np.eye(3), np.diag([0.5, 1.0, 2.0]), [[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 0.3]]],
    )


def test_sample_gmm_shapes_and_types(params3):
    x, labels = emlib.datasets.sample_gmm(params3, 500, np.random.default_rng(0))
    assert x.shape == (500, 3)
    assert x.dtype == np.float64
    assert labels.shape == (500,)
    assert np.issubdtype(labels.dtype, np.integer)
    assert labels.min() >= 0 and labels.max() <= 2
    assert np.all(np.isfinite(x))


def test_sample_gmm_zero_and_one_points(params3):
    x, labels = emlib.datasets.sample_gmm(params3, 0, np.random.default_rng(0))
    assert x.shape == (0, 3) and labels.shape == (0,)
    x, labels = emlib.datasets.sample_gmm(params3, 1, np.random.default_rng(0))
    assert x.shape == (1, 3) and labels.shape == (1,)


def test_sample_gmm_label_frequencies_match_weights(params3):
    n = 20_000
    _, labels = emlib.datasets.sample_gmm(params3, n, np.random.default_rng(1))
    counts = np.bincount(labels, minlength=3)
    # within 5 binomial standard deviations
    sd = np.sqrt(n * params3.weights * (1 - params3.weights))
    assert np.all(np.abs(counts - n * params3.weights) < 5 * sd)
    # and a chi-square goodness-of-fit test that only fails with probability 1e-6
    assert stats.chisquare(counts, n * params3.weights).pvalue > 1e-6


def test_sample_gmm_component_moments(params3):
    n = 30_000
    x, labels = emlib.datasets.sample_gmm(params3, n, np.random.default_rng(2))
    for k in range(3):
        g = x[labels == k]
        se = np.sqrt(np.diag(params3.covariances[k]) / len(g))
        assert np.all(np.abs(g.mean(axis=0) - params3.means[k]) < 5 * se)
        np.testing.assert_allclose(np.cov(g.T), params3.covariances[k], atol=0.06)


def test_sample_gmm_marginals_are_gaussian(params3):
    # each component's standardised first coordinate passes a KS test against N(0, 1)
    x, labels = emlib.datasets.sample_gmm(params3, 6000, np.random.default_rng(3))
    for k in range(3):
        z = (x[labels == k, 0] - params3.means[k, 0]) / np.sqrt(params3.covariances[k, 0, 0])
        assert stats.kstest(z, "norm").pvalue > 1e-6


def test_sample_gmm_is_reproducible(params3):
    a = emlib.datasets.sample_gmm(params3, 300, np.random.default_rng(42))
    b = emlib.datasets.sample_gmm(params3, 300, np.random.default_rng(42))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = emlib.datasets.sample_gmm(params3, 300, np.random.default_rng(43))
    assert not np.array_equal(a[0], c[0])


def test_sample_gmm_accepts_an_integer_seed(params3):
    a = emlib.datasets.sample_gmm(params3, 50, 7)
    b = emlib.datasets.sample_gmm(params3, 50, np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_sample_gmm_advances_a_shared_generator(params3):
    g = np.random.default_rng(5)
    a, _ = emlib.datasets.sample_gmm(params3, 20, g)
    b, _ = emlib.datasets.sample_gmm(params3, 20, g)
    assert not np.array_equal(a, b)


def test_sample_gmm_zero_weight_component_never_sampled():
    p = emlib.GMMParams([0.0, 1.0], [[100.0], [0.0]], [[[1.0]], [[1.0]]])
    x, labels = emlib.datasets.sample_gmm(p, 1000, np.random.default_rng(0))
    assert np.all(labels == 1)
    assert np.all(np.abs(x) < 10)


# --------------------------------------------------------------------------
# The benchmark panel: iris, diabetes, banknote, thyroid, wreath, crabs
# --------------------------------------------------------------------------
# R's own summaries of the same data frames (scripts/panel_datasets.R: colMeans, sd, table, md5),
# stored with the R and package versions; these tests never run R.
PANEL_SUMMARY = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "panel_datasets.json"
PANEL_SHAPES = {
    "old_faithful": (272, 2),
    "iris": (150, 4),
    "diabetes": (145, 3),
    "banknote": (200, 6),
    "thyroid": (215, 5),
    "wreath": (1000, 2),
    "crabs": (200, 5),
}
LABELLED = ["iris", "diabetes", "banknote", "thyroid", "crabs"]


@pytest.fixture(scope="module")
def r_summary():
    return json.loads(PANEL_SUMMARY.read_text())["datasets"]


def test_panel_lists_the_data_sets_in_order():
    names = list(emlib.datasets.panel())
    assert names == list(PANEL_SHAPES)
    assert emlib.datasets.panel() is not emlib.datasets.panel()  # a new dict: callers may edit theirs


@pytest.mark.parametrize("name", list(PANEL_SHAPES))
def test_panel_loader_shape_dtype_finite(name):
    X = emlib.datasets.panel()[name]()
    assert isinstance(X, np.ndarray)
    assert X.shape == PANEL_SHAPES[name]
    assert X.dtype == np.float64
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", list(PANEL_SHAPES))
def test_panel_loader_matches_r_summary(name, r_summary):
    X = emlib.datasets.panel()[name]()
    expected = r_summary[name]
    assert X.shape == (expected["n"], len(expected["columns"]))
    # R's colMeans and sd (n - 1), to rounding: the CSV holds R's doubles exactly
    np.testing.assert_allclose(X.mean(axis=0), expected["column_means"], rtol=1e-13)
    np.testing.assert_allclose(X.std(axis=0, ddof=1), expected["column_sds"], rtol=1e-12)
    assert X.shape[0] - np.unique(X, axis=0).shape[0] == expected["n_duplicated_rows"]


@pytest.mark.parametrize("name", list(PANEL_SHAPES))
def test_panel_csv_is_the_file_r_wrote(name, r_summary):
    data = resources.files("emlib.datasets").joinpath(f"{name}.csv").read_bytes()
    assert hashlib.md5(data).hexdigest() == r_summary[name]["md5"]


@pytest.mark.parametrize("name", LABELLED)
def test_panel_label_counts_match_r(name, r_summary):
    X, labels = emlib.datasets.panel()[name](return_labels=True)
    assert labels.shape == (X.shape[0],)
    values, counts = np.unique(labels, return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist())) == r_summary[name]["label_counts"]
    np.testing.assert_array_equal(X, emlib.datasets.panel()[name]())  # the same X with or without labels


def test_iris_equals_scikit_learns_copy():
    # an independent copy of the same data: scikit-learn's, which its description says is R's
    # version (Fisher 1936), not the UCI file's with two wrong points
    from sklearn.datasets import load_iris

    reference = load_iris()
    X, species = emlib.datasets.iris(return_labels=True)
    np.testing.assert_array_equal(X, reference.data)
    np.testing.assert_array_equal(species, reference.target_names[reference.target])


def test_iris_literature_values():
    # the data's well-known summaries: column means, and the species means of sepal length
    # 5.006, 5.936, 6.588 cm (Fisher 1936's data)
    X, species = emlib.datasets.iris(return_labels=True)
    np.testing.assert_allclose(X.mean(axis=0), [5.843333, 3.057333, 3.758, 1.199333], atol=1e-6)
    for name, mean in (("setosa", 5.006), ("versicolor", 5.936), ("virginica", 6.588)):
        assert X[species == name, 0].mean() == pytest.approx(mean, abs=1e-12)


def test_diabetes_keeps_mclusts_flawed_entry():
    # mclust's help page: observation 104 of insulin is 45 (455 in rrcov's version)
    X = emlib.datasets.diabetes()
    assert X[103, 1] == 45.0
    np.testing.assert_array_equal(X[0], [80.0, 356.0, 124.0])


def test_banknote_and_crabs_groups():
    X, status = emlib.datasets.banknote(return_labels=True)
    # Flury and Riedwyl (1988): genuine notes first, the diagonal is shorter on forgeries
    assert np.all(status[:100] == "genuine") and np.all(status[100:] == "counterfeit")
    assert X[status == "genuine", 5].mean() > X[status == "counterfeit", 5].mean() + 1.5
    X, groups = emlib.datasets.crabs(return_labels=True)
    assert set(groups.tolist()) == {"B/F", "B/M", "O/F", "O/M"}
    np.testing.assert_array_equal(X[0], [8.1, 6.7, 16.1, 19.0, 7.0])  # MASS::crabs[1, ]


def test_wreath_is_a_ring():
    # Fraley, Raftery and Wehrens (2005): 14 clusters arranged around the origin
    X = emlib.datasets.wreath()
    radius = np.hypot(X[:, 0] - X[:, 0].mean(), X[:, 1] - X[:, 1].mean())
    assert np.median(radius) > 8 and np.mean(radius < 3) < 0.1


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_return_labels_must_be_a_bool(bad):
    with pytest.raises(TypeError, match="return_labels"):
        emlib.datasets.iris(return_labels=bad)


# --------------------------------------------------------------------------
# apple_trees (Little and Rubin's 18 trees, a monotone missing pattern)
# --------------------------------------------------------------------------
def test_apple_trees_is_the_shared_file():
    # the file copied unchanged from shared/data/apple_trees.csv (md5 in emlib/datasets/README.md)
    data = resources.files("emlib.datasets").joinpath("apple_trees.csv").read_bytes()
    assert hashlib.md5(data).hexdigest() == "de6fe05f76c8ea238b8b873534ea89cd"


def test_apple_trees_shape_and_monotone_pattern():
    X = emlib.datasets.apple_trees()
    assert isinstance(X, np.ndarray)
    assert X.shape == (18, 2)
    assert X.dtype == np.float64
    # size observed for every tree; worms missing exactly for the last 6 (a monotone pattern)
    assert np.all(np.isfinite(X[:, 0]))
    np.testing.assert_array_equal(np.isnan(X[:, 1]), np.arange(18) >= 12)


def test_apple_trees_values():
    X = emlib.datasets.apple_trees()
    # the table of Little and Rubin (1987, after Snedecor and Cochran's 6th edition), as in mvnmle's `apple`
    size = [8, 6, 11, 22, 14, 17, 18, 24, 19, 23, 26, 40, 4, 4, 5, 6, 8, 10]
    worms = [59, 58, 56, 53, 50, 45, 43, 42, 39, 38, 30, 27]
    np.testing.assert_array_equal(X[:, 0], size)
    np.testing.assert_array_equal(X[:12, 1], worms)
    # the summaries: mean size over 18 trees 265/18, mean worms over the 12 complete trees 540/12
    assert X[:, 0].sum() == 265
    assert np.nanmean(X[:, 1]) == 45.0


def test_apple_trees_returns_an_independent_array():
    a = emlib.datasets.apple_trees()
    a[0, 0] = -1.0
    assert emlib.datasets.apple_trees()[0, 0] == 8.0


def test_earthquakes_file_is_the_shared_copy_and_covers_1900_to_2006():
    data = resources.files("emlib.datasets").joinpath("earthquakes.csv").read_bytes()
    assert hashlib.md5(data).hexdigest() == "2b03fe7d97d88a7b211eb636c810eda1"
    series = emlib.datasets.earthquakes()
    assert series.shape == (107, 2) and series.dtype == np.float64
    np.testing.assert_array_equal(series[:, 0], np.arange(1900, 2007))
    counts = series[:, 1]
    assert np.all(counts == np.round(counts)) and np.all(counts >= 0)
    # overdispersed for a Poisson (the reason for a mixture or an HMM): variance well above the mean
    assert counts.var(ddof=1) > 2 * counts.mean()


def test_geyser_file_is_masss_series_in_time_order():
    data = resources.files("emlib.datasets").joinpath("geyser.csv").read_bytes()
    assert hashlib.md5(data).hexdigest() == "9394898cee286be82f7bb7010f494271"
    eruptions = emlib.datasets.geyser()
    assert eruptions.shape == (299, 2) and np.all(np.isfinite(eruptions))
    np.testing.assert_array_equal(eruptions[:3], [[4.0166667, 80.0], [2.15, 71.0], [4.0, 57.0]])  # MASS::geyser
    # the nocturnal durations coded 2, 3 or 4 minutes (MASS's documentation)
    assert {2.0, 3.0, 4.0} <= set(eruptions[:, 0])
