"""emlib.starts: every start fit_gmm takes by name (``init``), checked against independent computations.

For each start: a valid mixture with no empty component, reproducible from its seed, affine
equivariant (the fit of A x + b is the transformed fit of x, book eq. (soft-em-data-scale)),
integer weights acting as repeated rows (exactly for "hc", in distribution for the random
starts), K = 1 and K = the number of distinct rows. Then what each start is: "random" and
"k-means++" draw with their exact probabilities, "k-means" ends at a Lloyd fixed point, "hc" is R
mclust's hierarchical clustering (tests/data/mclust_hc_reference.json, made by
scripts/mclust_hc_reference.R), "emEM" returns the best of its short runs (Biernacki, Celeux and
Govaert 2003). The greedy k-means++ seeding itself is checked in tests/test_kmeans.py.
"""

import inspect
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.cluster.hierarchy import cut_tree, linkage
from scipy.spatial.distance import cdist

import emlib
from emlib import starts
from emlib.drivers import run
from emlib.starts import STARTS

DATA = Path(__file__).resolve().parent / "data"
NAMES = list(STARTS)
RANDOM_NAMES = [name for name in NAMES if name != "hc"]
COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


def start_of(X, n_components, init, seed=0, **kwargs):
    """The start fit_gmm draws (max_iter=0 evaluates it and stops), in the units of X."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.DegenerateFitWarning)
        return emlib.fit_gmm(X, n_components, init=init, random_state=seed, max_iter=0, **kwargs).params


def blobs(seed=0, n=120):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 5.0]])
    return centres[rng.integers(0, 3, size=n)] + rng.normal(size=(n, 2)) @ [[1.0, 0.3], [0.0, 0.7]]


def same_partition(a, b) -> bool:
    """Whether two labellings are the same partition, up to renaming the labels."""
    pairs = set(zip(np.asarray(a).tolist(), np.asarray(b).tolist()))
    return len(pairs) == len(set(np.asarray(a).tolist())) == len(set(np.asarray(b).tolist()))


def assert_same_mixture(actual, expected, rtol=1e-7):
    """Equal mixtures up to the order of the components (matched by weight, then mean)."""
    order_a = np.lexsort(np.column_stack([actual.means, actual.weights]).T[::-1])
    order_e = np.lexsort(np.column_stack([expected.means, expected.weights]).T[::-1])
    scale = np.abs(expected.means).max() + 1.0
    np.testing.assert_allclose(actual.weights[order_a], expected.weights[order_e], rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(actual.means[order_a], expected.means[order_e], rtol=rtol, atol=rtol * scale)
    cov_scale = np.abs(expected.covariances).max()
    np.testing.assert_allclose(
        actual.covariances[order_a], expected.covariances[order_e], rtol=1e-6, atol=1e-9 * cov_scale
    )


def group_moments(X, labels, weights=None):
    """Weights, means and (biased) covariances of the groups of ``labels``, by numpy."""
    weights = np.ones(len(X)) if weights is None else weights
    groups = np.unique(labels)
    total = weights.sum()
    pis = np.array([weights[labels == g].sum() / total for g in groups])
    means = np.array([np.average(X[labels == g], axis=0, weights=weights[labels == g]) for g in groups])
    covariances = np.array(
        [np.atleast_2d(np.cov(X[labels == g].T, aweights=weights[labels == g], bias=True)) for g in groups]
    )
    return emlib.GMMParams(pis, means, covariances)


# --------------------------------------------------------------------------------------------
# every start
# --------------------------------------------------------------------------------------------
def test_the_registry_and_fit_gmms_default():
    assert NAMES == ["random", "k-means++", "greedy-k-means++", "k-means", "k-means-10", "hc", "emEM"]
    # the default stays today's start (k-means++ and ten Lloyd steps) until it is chosen from measurements
    assert inspect.signature(emlib.fit_gmm).parameters["init"].default == "k-means-10"
    X = blobs()
    default = emlib.fit_gmm(X, 3, random_state=4, max_iter=0).params
    assert_same_mixture(default, start_of(X, 3, "k-means-10", seed=4), rtol=0)


def test_an_unknown_name_lists_every_start():
    for bad in ("kmeans", "K-means++", "", 3, None):
        with pytest.raises(
            ValueError, match=r"init must be an emlib\.GMMParams or one of 'random', 'k-means\+\+'"
        ) as e:
            emlib.fit_gmm(blobs(), 2, init=bad)
        assert all(repr(name) in str(e.value) for name in NAMES)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("name", NAMES)
def test_every_start_is_a_valid_mixture_with_no_empty_component(name, covariance_type):
    X = blobs(1, n=90)
    weights = np.random.default_rng(2).uniform(0.2, 3.0, size=len(X))
    for sample_weight in (None, weights):
        params = start_of(X, 3, name, seed=3, covariance_type=covariance_type, sample_weight=sample_weight)
        assert isinstance(params, emlib.GMMParams) and params.n_components == 3 and params.n_features == 2
        assert np.all(params.weights > 0) and params.weights.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(np.isfinite(params.covariances))
        if name != "emEM" and sample_weight is None:  # an M-step on hard labels: π_k N is a count of rows
            np.testing.assert_allclose(params.weights * len(X), np.round(params.weights * len(X)), atol=1e-9)
        c = params.covariances
        if covariance_type in ("diag", "spherical"):
            np.testing.assert_array_equal(c[:, 0, 1], 0.0)
        if covariance_type == "spherical":
            np.testing.assert_allclose(c[:, 0, 0], c[:, 1, 1], rtol=1e-12)
        if covariance_type == "tied":
            np.testing.assert_allclose(c, np.broadcast_to(c[0], c.shape), rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_every_start_is_reproducible_from_its_seed(name):
    X = blobs(2, n=80)
    first, again = start_of(X, 3, name, seed=11), start_of(X, 3, name, seed=11)
    for a, b in zip((first.weights, first.means, first.covariances), (again.weights, again.means, again.covariances)):
        np.testing.assert_array_equal(a, b)
    others = [start_of(X, 4, name, seed=seed).means for seed in range(6)]
    distinct = len({np.round(np.sort(m, axis=0), 8).tobytes() for m in others})
    if name == "hc":
        assert distinct == 1  # deterministic up to HC_SUBSET rows
    else:
        assert distinct > 1


def transformed(params, A, b):
    """The mixture of A x + b when x follows ``params``."""
    return emlib.GMMParams(params.weights, params.means @ A.T + b, A @ params.covariances @ A.T)


@pytest.mark.parametrize("name", NAMES)
def test_every_start_is_affine_equivariant(name):
    # book eq. (soft-em-data-scale): every start clusters the rows whitened by T, which A x + b maps to
    # an orthogonal transform of themselves, so the start (and the fit) of A x + b is the transformed one
    rng = np.random.default_rng(5)
    X = np.column_stack([blobs(3, n=150), rng.normal(size=150)])
    A = rng.normal(size=(3, 3)) * 10.0 ** rng.uniform(-2, 2, size=(3, 1))
    b = rng.normal(size=3) * 10.0
    moved = start_of(X @ A.T + b, 3, name, seed=2)
    assert_same_mixture(moved, transformed(start_of(X, 3, name, seed=2), A, b), rtol=1e-6)
    reference = emlib.fit_gmm(X, 3, init=name, random_state=2, tol=1e-10)
    fit = emlib.fit_gmm(X @ A.T + b, 3, init=name, random_state=2, tol=1e-10)
    assert fit.n_iter == reference.n_iter
    shift = -len(X) * np.log(abs(np.linalg.det(A)))
    np.testing.assert_allclose(fit.log_likelihoods, reference.log_likelihoods + shift, rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_one_component_is_the_weighted_mean_and_covariance(name):
    X = blobs(4, n=50)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(X))
    params = start_of(X, 1, name, sample_weight=weights, reg_covar=0)
    np.testing.assert_allclose(params.weights, [1.0])
    np.testing.assert_allclose(params.means[0], np.average(X, axis=0, weights=weights), rtol=1e-12)
    np.testing.assert_allclose(params.covariances[0], np.cov(X.T, aweights=weights, bias=True), rtol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_as_many_components_as_distinct_rows(name):
    # five distinct points, repeated: K = 5 puts a component on each; K = 6 cannot be seeded;
    # with reg_covar=0 every component of the K = 5 start is a single point, which says so
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [5.0, -1.0]])
    X = np.repeat(points, [1, 2, 3, 2, 1], axis=0)
    params = start_of(X, 5, name)
    np.testing.assert_allclose(np.sort(params.means, axis=0), np.sort(points, axis=0), atol=1e-12)
    np.testing.assert_allclose(np.sort(params.weights), np.sort([1, 2, 3, 2, 1]) / 9, rtol=1e-12)
    with pytest.raises(ValueError, match=r"n_components=6 exceeds the number of distinct rows of X"):
        start_of(X, 6, name)
    with pytest.raises(ValueError, match="singular"):
        start_of(X, 5, name, reg_covar=0)


# --------------------------------------------------------------------------------------------
# weights as repeated rows
# --------------------------------------------------------------------------------------------
VALUES = np.array([0.0, 1.0, 3.0, 7.0, 8.0, 12.0])  # no midpoint of two values is a value: no ties
COUNTS = np.array([1, 3, 2, 1, 2, 1])


def split_of(params) -> int:
    """1-D, K = 2: how many of the distinct VALUES the lower component holds (from its weight)."""
    lower = params.weights[np.argmin(params.means[:, 0])]
    return int(np.searchsorted(np.cumsum(COUNTS), round(lower * COUNTS.sum())) + 1)


def exact_split_probabilities(name: str) -> np.ndarray:
    """P(split) for K = 2 on VALUES with weights COUNTS: c₁ ∝ w; c₂ ∝ w among the others ("random") or ∝ w D² ("k-means++")."""
    total = COUNTS.sum()
    probabilities = np.zeros(len(VALUES))
    for i, first in enumerate(VALUES):
        mass = COUNTS * ((VALUES != first) if name == "random" else (VALUES - first) ** 2)
        for j, second in enumerate(VALUES):
            if mass[j] == 0:
                continue
            lower, upper = min(first, second), max(first, second)
            split = np.count_nonzero(np.abs(VALUES - lower) < np.abs(VALUES - upper))
            probabilities[split] += COUNTS[i] / total * mass[j] / mass.sum()
    return probabilities[1:]


def draw_splits(name, X, weights, n_draws, seed):
    model = emlib.GaussianMixtureModel("full")
    rng = np.random.default_rng(seed)
    return np.array([split_of(STARTS[name](X, weights, 2, model, rng)) for _ in range(n_draws)])


@pytest.mark.parametrize("name", ["random", "k-means++"])
def test_random_and_kmeans_plus_plus_draw_with_their_exact_probabilities_weighted_or_repeated(name):
    # Arthur and Vassilvitskii (2007) for k-means++; the weighted data and the same rows repeated
    # must both follow the exact distribution of the partition
    expected = exact_split_probabilities(name)
    weighted = draw_splits(name, VALUES[:, np.newaxis], COUNTS.astype(float), 1500, seed=1)
    repeated = draw_splits(name, np.repeat(VALUES, COUNTS)[:, np.newaxis], np.ones(COUNTS.sum()), 1500, seed=2)
    for splits in (weighted, repeated):
        observed = np.bincount(splits, minlength=len(VALUES))[1:]
        assert stats.chisquare(observed, len(splits) * expected).pvalue > 1e-3


def draw_outcomes(name, X, weights, n_components, n_draws, seed):
    """The starts drawn, each as its weights in the order of its means (rounded: one key per partition)."""
    model = emlib.GaussianMixtureModel("full")
    rng = np.random.default_rng(seed)
    outcomes = []
    for _ in range(n_draws):
        params = STARTS[name](X, weights, n_components, model, rng)
        outcomes.append(tuple(np.round(params.weights[np.argsort(params.means[:, 0])], 4).tolist()))
    return outcomes


@pytest.mark.parametrize(
    ("name", "n_draws"), [("greedy-k-means++", 1000), ("k-means", 1000), ("k-means-10", 1000), ("emEM", 100)]
)
def test_the_other_random_starts_treat_integer_weights_as_repeated_rows(name, n_draws):
    # K = 3 on the six values: the start (for emEM, its best short run) has one distribution for the
    # weighted values and for the same values repeated (a chi-squared test of homogeneity)
    weighted = draw_outcomes(name, VALUES[:, np.newaxis], COUNTS.astype(float), 3, n_draws, seed=3)
    repeated = draw_outcomes(name, np.repeat(VALUES, COUNTS)[:, np.newaxis], np.ones(COUNTS.sum()), 3, n_draws, seed=4)
    keys = sorted(set(weighted) | set(repeated))
    assert len(keys) > 1  # several local optima: the test can fail
    table = np.array([[outcomes.count(key) for key in keys] for outcomes in (weighted, repeated)])
    assert stats.chi2_contingency(table).pvalue > 1e-3


def test_hc_on_integer_weights_is_hc_on_repeated_rows():
    # Ward with cluster weights: a row of weight w merges as w copies of it would (they merge first, at no cost)
    rng = np.random.default_rng(6)
    X = blobs(5, n=60)
    counts = rng.integers(1, 5, size=len(X))
    for k in (2, 3, 5):
        weighted = start_of(X, k, "hc", sample_weight=counts)
        repeated = start_of(np.repeat(X, counts, axis=0), k, "hc")
        assert_same_mixture(weighted, repeated, rtol=1e-9)


# --------------------------------------------------------------------------------------------
# what each start is
# --------------------------------------------------------------------------------------------
def whitening(X, weights, *others):
    """y = L⁻¹(x − x̄) with T = L Lᵀ the weighted (biased) covariance of X, for X and any ``others``, by numpy."""
    mean = np.average(X, axis=0, weights=weights)
    factor = np.linalg.cholesky(np.cov(X.T, aweights=weights, bias=True))
    whitened = [np.linalg.solve(factor, (Z - mean).T).T for Z in (X, *others)]
    return whitened[0] if not others else tuple(whitened)


@pytest.mark.parametrize("seed", range(5))
def test_kmeans_ends_at_a_lloyd_fixed_point(seed):
    # every row is nearest (in whitened distance) to the weighted mean of its own cluster, and the
    # start is the M-step on those clusters
    X = blobs(seed, n=200)
    weights = np.random.default_rng(seed).uniform(0.5, 2.0, size=len(X))
    params = start_of(X, 4, "k-means", seed=seed, sample_weight=weights, reg_covar=0)
    Y, centres = whitening(X, weights, params.means)
    labels = np.argmin(cdist(Y, centres, "sqeuclidean"), axis=1)
    assert len(set(labels.tolist())) == 4
    assert_same_mixture(params, group_moments(X, labels, weights), rtol=1e-9)


def mclust_hc():
    return json.loads((DATA / "mclust_hc_reference.json").read_text(encoding="utf-8"))["data_sets"]


DATA_SETS = {"faithful": emlib.datasets.old_faithful, "iris": emlib.datasets.iris}
# emlib whitens by T: for "full" and "tied" mclust's use = "SPH", for "diag" its "STD", for "spherical" "VARS"
MCLUST_USE = {"full": "SPH", "tied": "SPH", "diag": "STD", "spherical": "VARS"}
HC_CASES = [
    (data_set, covariance_type)
    for data_set in ("faithful", "iris")
    for covariance_type in COVARIANCE_TYPES
    # faithful, standardised, has an exact tie of merge costs (merge 131) that mclust's Fortran and
    # scipy break differently (same partition for K = 2, not for K >= 3): only iris is compared for "diag"
    if not (data_set == "faithful" and covariance_type == "diag")
]


@pytest.mark.parametrize(("data_set", "covariance_type"), HC_CASES)
def test_hc_is_mclusts_hierarchical_clustering(data_set, covariance_type):
    # Fraley (1998): model-based agglomeration for "EII" is Ward's criterion. emlib's "hc" start is the
    # M-step on mclust's hclass(hc(X, "EII", use = U), K) partition, K = 2..5
    X = np.asarray(DATA_SETS[data_set](), dtype=float)
    reference = mclust_hc()[data_set]["use"][MCLUST_USE[covariance_type]]["classification"]
    for k in range(2, 6):
        labels = np.array(reference[str(k)])
        params = start_of(X, k, "hc", covariance_type=covariance_type, reg_covar=0)
        groups = group_moments(X, labels)
        order_p, order_g = np.lexsort(params.means.T[::-1]), np.lexsort(groups.means.T[::-1])
        np.testing.assert_allclose(params.weights[order_p], groups.weights[order_g], rtol=1e-12)
        np.testing.assert_allclose(params.means[order_p], groups.means[order_g], rtol=1e-10)
        if covariance_type == "full":
            np.testing.assert_allclose(params.covariances[order_p], groups.covariances[order_g], rtol=1e-8)


@pytest.mark.parametrize("data_set", ["faithful", "iris"])
def test_wards_clustering_of_mclusts_svd_data_is_mclusts_default_partition(data_set):
    # mclust's default transformation (use = "SVD": standardised principal components divided by the
    # square roots of their singular values) is not whitening, so emlib's "hc" does not use it; on
    # the data mclust clustered, emlib's Ward gives mclust's partitions
    reference = mclust_hc()[data_set]["use"]["SVD"]
    Z = np.array(reference["transformed_data"])
    for k in range(2, 6):
        ours = emlib._kmeans.ward_labels(Z, np.ones(len(Z)), k)
        assert same_partition(ours, reference["classification"][str(k)])


def test_hc_clusters_a_subset_drawn_by_weight_above_hc_subset_rows(monkeypatch):
    # above HC_SUBSET rows (mclust.options("subset")): Ward on HC_SUBSET rows drawn without
    # replacement ∝ weight, whitened by the full data's T, and the M-step on their labels
    monkeypatch.setattr(starts, "HC_SUBSET", 40)
    X = blobs(7, n=150)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=len(X))
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        subset = np.sort(rng.choice(len(X), size=40, replace=False, p=weights / weights.sum()))
        Y = whitening(X, weights)[subset]
        labels = cut_tree(linkage(Y, "ward"), n_clusters=3)[:, 0]
        params = start_of(X, 3, "hc", seed=seed, sample_weight=weights, reg_covar=0)
        assert_same_mixture(params, group_moments(X[subset], labels), rtol=1e-8)
    assert not np.array_equal(start_of(X, 3, "hc", seed=0).means, start_of(X, 3, "hc", seed=1).means)


def test_hc_on_more_than_hc_subset_rows():
    X = np.tile(blobs(8, n=300), (8, 1)) + np.random.default_rng(0).normal(scale=0.05, size=(2400, 2))
    assert len(X) > starts.HC_SUBSET
    first = start_of(X, 3, "hc", seed=4)
    np.testing.assert_array_equal(first.means, start_of(X, 3, "hc", seed=4).means)
    assert first.n_components == 3 and np.all(first.weights > 0.05)


def emem_by_hand(X, weights, k, model, seed):
    """BCG's emEM replayed: the k-means++ starts from one generator, the short runs, the best of them."""
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(starts.EMEM_STARTS):
        start = STARTS["k-means++"](X, weights, k, model, rng)
        results.append(run(model, X, weights, start, max_iter=starts.EMEM_SHORT_ITER, tol=starts.EMEM_SHORT_TOL))
    return results


@pytest.mark.parametrize("seed", range(3))
def test_emem_returns_the_best_of_its_short_runs(seed):
    X = blobs(seed, n=100)
    weights = np.ones(len(X))
    model = emlib.GaussianMixtureModel("full")
    short_runs = emem_by_hand(X, weights, 4, model, seed)
    assert all(r.n_iter <= starts.EMEM_SHORT_ITER for r in short_runs)
    assert all(r.converged or r.n_iter == starts.EMEM_SHORT_ITER for r in short_runs)
    best = max(short_runs, key=lambda r: (not np.any(r.degenerate), r.objectives[-1]))
    chosen = STARTS["emEM"](X, weights, 4, model, np.random.default_rng(seed))
    for a, b in zip(
        (chosen.weights, chosen.means, chosen.covariances),
        (best.params.weights, best.params.means, best.params.covariances),
    ):
        np.testing.assert_array_equal(a, b)
    assert len({r.objectives[-1] for r in short_runs}) > 1  # the short runs differ: the choice matters


def test_emem_drops_short_runs_that_collapse(monkeypatch):
    X = blobs(1, n=80)
    weights = np.ones(len(X))
    model = emlib.GaussianMixtureModel("full")
    short_runs = emem_by_hand(X, weights, 3, model, seed=5)
    calls = []

    def collapsing_every_other_run(*args, **kwargs):
        calls.append(None)
        if len(calls) % 2 == 1:
            raise emlib.SingularCovarianceError("collapsed", component=0)
        return run(*args, **kwargs)

    monkeypatch.setattr(starts, "run", collapsing_every_other_run)
    chosen = STARTS["emEM"](X, weights, 3, model, np.random.default_rng(5))
    best = max(short_runs[1::2], key=lambda r: (not np.any(r.degenerate), r.objectives[-1]))
    np.testing.assert_array_equal(chosen.means, best.params.means)
    assert len(calls) == starts.EMEM_STARTS


def test_emem_says_so_when_every_short_run_collapses():
    # three copies of a far point: with reg_covar=0 every k-means++ start gives them a component
    # of their own, whose covariance is singular
    X = np.concatenate([np.random.default_rng(0).normal(size=(40, 1)), np.full((3, 1), 50.0)])
    with pytest.raises(
        ValueError, match=r"init='emEM': every one of its 10 short EM runs reached a singular covariance"
    ):
        emlib.fit_gmm(X, 2, init="emEM", reg_covar=0, random_state=0)
    assert start_of(X, 2, "emEM").n_components == 2  # under the default prior it starts


def test_restarts_draw_fresh_starts_from_one_generator():
    # n_init runs from successive starts of the same generator; the best objective is kept (here the
    # second run's: three different optima, none degenerate)
    X = blobs(12, n=120)
    rng = np.random.default_rng(21)
    model = emlib.GaussianMixtureModel("full")
    fits = [emlib.fit_gmm(X, 4, init=STARTS["random"](X, np.ones(len(X)), 4, model, rng)) for _ in range(3)]
    assert not any(np.any(f.degenerate) for f in fits)
    finals = [f.log_likelihoods[-1] for f in fits]
    assert len({round(v, 6) for v in finals}) == 3 and int(np.argmax(finals)) == 1
    together = emlib.fit_gmm(X, 4, init="random", n_init=3, random_state=21)
    np.testing.assert_allclose(together.log_likelihoods[-1], max(finals), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# fuzz: any small data set, any K, every name
# --------------------------------------------------------------------------------------------
@settings(max_examples=150)
@given(
    name=st.sampled_from(NAMES),
    n=st.integers(1, 25),
    d=st.integers(1, 3),
    n_values=st.integers(1, 6),
    k=st.integers(1, 6),
    weighted=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
)
def test_every_start_on_small_random_data(name, n, d, n_values, k, weighted, seed, covariance_type):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, n_values, size=(n, d)) * rng.choice([1e-3, 1.0, 1e4]) + rng.normal(size=d)
    weights = rng.uniform(0.1, 5.0, size=n) if weighted else None
    if k > n:
        with pytest.raises(ValueError, match="must not exceed the number of rows"):
            start_of(X, k, name, sample_weight=weights)
        return
    n_distinct = np.unique(X, axis=0).shape[0]
    if k > n_distinct:
        with pytest.raises(ValueError, match="exceeds the number of distinct rows"):
            start_of(X, k, name, sample_weight=weights)
        return
    params = start_of(X, k, name, covariance_type=covariance_type, sample_weight=weights)
    assert params.n_components == k and params.n_features == d
    assert np.all(params.weights > 0) and np.all(np.isfinite(params.means))
    assert np.all(np.isfinite(params.covariances))
