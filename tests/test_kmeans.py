"""emlib._kmeans: the weighted seedings, Lloyd's iterations and Ward's agglomeration behind emlib.starts.

Each is checked against an independent computation: exact draw probabilities, scikit-learn's
greedy k-means++, scipy's Ward linkage (unit weights, and rows repeated as often as their
integer weight).
"""

import numpy as np
import pytest
from scipy import stats
from scipy.cluster.hierarchy import cut_tree, is_valid_linkage, linkage
from scipy.spatial.distance import cdist
from sklearn.cluster import kmeans_plusplus

from emlib._kmeans import (
    _weighted_ward_linkage,
    greedy_kmeans_plus_plus,
    kmeans_plus_plus,
    lloyd,
    potential,
    random_rows,
    ward_labels,
)


def same_partition(a, b) -> bool:
    """Whether two labellings are the same partition, up to renaming the labels."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def blobs(seed=7, k=8, per=40, d=2):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    return np.concatenate([c + rng.normal(size=(per, d)) for c in centres])


def test_random_rows_draw_distinct_rows_in_proportion_to_their_weight():
    # the first draw ∝ w_n; the second ∝ w_n among the rows not equal to the first
    Y = np.array([[0.0], [1.0], [1.0], [2.0]])  # rows 1 and 2 are the same point
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    rng = np.random.default_rng(0)
    draws = [tuple(random_rows(Y, weights, 2, rng)[:, 0]) for _ in range(20_000)]
    counts = {pair: draws.count(pair) for pair in set(draws)}
    values, mass = np.array([0.0, 1.0, 2.0]), np.array([1.0, 5.0, 4.0])  # the point 1 carries 2 + 3
    expected = {}
    for i in range(3):
        for j in range(3):
            if i != j:
                expected[(values[i], values[j])] = mass[i] / 10 * mass[j] / (10 - mass[i])
    assert set(counts) == set(expected)  # never the same point twice
    keys = sorted(expected)
    observed = np.array([counts[key] for key in keys])
    assert stats.chisquare(observed, 20_000 * np.array([expected[key] for key in keys])).pvalue > 1e-3
    with pytest.raises(ValueError, match="fewer distinct rows than clusters"):
        random_rows(Y, weights, 4, rng)


def test_kmeans_plus_plus_draws_the_second_centre_in_proportion_to_w_d_squared():
    # Arthur and Vassilvitskii (2007): P(c_2 = x_j | c_1 = x_i) = w_j D² / Σ_n w_n D²
    Y = np.array([[0.0], [1.0], [3.0], [7.0]])
    weights = np.array([2.0, 1.0, 1.0, 0.5])
    rng = np.random.default_rng(1)
    draws = [tuple(kmeans_plus_plus(Y, weights, 2, rng)[:, 0]) for _ in range(20_000)]
    keys, probabilities = [], []
    for i in range(4):
        d2 = (Y[:, 0] - Y[i, 0]) ** 2
        for j in range(4):
            if j != i:
                keys.append((Y[i, 0], Y[j, 0]))
                probabilities.append(weights[i] / weights.sum() * weights[j] * d2[j] / (weights @ d2))
    observed = np.array([draws.count(key) for key in keys])
    assert observed.sum() == len(draws)
    assert stats.chisquare(observed, 20_000 * np.array(probabilities)).pvalue > 1e-3


def test_greedy_kmeans_plus_plus_matches_scikit_learn_in_distribution_and_beats_plain_seeding():
    # scikit-learn's kmeans_plusplus is greedy k-means++ with 2 + ⌊ln K⌋ candidates: the same
    # distribution of potentials; plain k-means++ has a clearly larger mean potential
    Y = blobs()
    weights = np.ones(len(Y))
    seeds = range(150)
    greedy = np.array(
        [potential(Y, weights, greedy_kmeans_plus_plus(Y, weights, 8, np.random.default_rng(s))) for s in seeds]
    )
    plain = np.array([potential(Y, weights, kmeans_plus_plus(Y, weights, 8, np.random.default_rng(s))) for s in seeds])
    sklearn = np.array([potential(Y, weights, kmeans_plusplus(Y, 8, random_state=s)[0]) for s in seeds])
    assert stats.ks_2samp(greedy, sklearn).pvalue > 1e-3
    assert greedy.mean() < 0.8 * plain.mean()
    assert stats.ttest_ind(greedy, plain, alternative="less").pvalue < 1e-6


def test_greedy_kmeans_plus_plus_keeps_the_candidate_of_least_potential():
    # with one candidate a step it is plain k-means++, draw for draw; with many, every step's
    # potential is at most that of any single draw, so the K = N seeding reaches potential 0
    Y = blobs(seed=3, k=3, per=5)
    weights = np.linspace(0.5, 2.0, len(Y))
    one = greedy_kmeans_plus_plus(Y, weights, 4, np.random.default_rng(5), n_candidates=1)
    plain = kmeans_plus_plus(Y, weights, 4, np.random.default_rng(5))
    np.testing.assert_array_equal(one, plain)
    everything = greedy_kmeans_plus_plus(Y, weights, len(Y), np.random.default_rng(5), n_candidates=200)
    assert potential(Y, weights, everything) == 0.0
    assert np.unique(everything, axis=0).shape[0] == len(Y)


def test_potential_is_the_weighted_sum_of_squared_distances_to_the_nearest_centre():
    Y = blobs(seed=1, k=2, per=6)
    weights = np.arange(1.0, len(Y) + 1.0)
    centres = Y[[0, 7]]
    expected = sum(w * min(np.sum((y - c) ** 2) for c in centres) for y, w in zip(Y, weights))
    assert potential(Y, weights, centres) == pytest.approx(expected, rel=1e-12)


def test_lloyd_converges_to_a_fixed_point_of_weighted_means():
    Y = blobs(seed=2, k=4, per=30)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(Y))
    labels = lloyd(Y, weights, Y[[0, 1, 2, 3]], max_iter=300)
    means = np.array([np.average(Y[labels == k], axis=0, weights=weights[labels == k]) for k in range(4)])
    np.testing.assert_array_equal(np.argmin(cdist(Y, means, "sqeuclidean"), axis=1), labels)
    # max_iter=0: the labels of the nearest centre
    np.testing.assert_array_equal(lloyd(Y, weights, Y[:3], max_iter=0), np.argmin(cdist(Y, Y[:3]), axis=1))


@pytest.mark.parametrize("n", [2, 3, 40, 300])
def test_weighted_ward_with_unit_weights_is_scipys_ward(n):
    # the nearest-neighbour chain on cluster means gives scipy's tree: its heights, its partitions
    Y = np.random.default_rng(n).normal(size=(n, 3))
    ours, scipys = _weighted_ward_linkage(Y, np.ones(n)), linkage(Y, "ward")
    assert is_valid_linkage(ours)
    np.testing.assert_allclose(ours[:, 2], scipys[:, 2], rtol=1e-10)
    np.testing.assert_array_equal(ours[:, 3], scipys[:, 3])
    for k in sorted({1, 2, min(5, n), n}):
        assert same_partition(cut_tree(ours, n_clusters=k)[:, 0], cut_tree(scipys, n_clusters=k)[:, 0])


def test_weighted_ward_clusters_a_row_of_weight_w_as_w_copies_of_it():
    # Ward (1963) on rows repeated by their integer weights merges the copies first, at no cost,
    # and then goes on exactly as Ward with cluster weights
    rng = np.random.default_rng(4)
    Y = rng.normal(size=(60, 2))
    weights = rng.integers(1, 5, size=60)
    repeated = np.repeat(Y, weights, axis=0)
    for k in (1, 2, 3, 4, 6, 60):
        labels = ward_labels(Y, weights.astype(float), k)
        assert len(set(labels.tolist())) == k
        assert same_partition(np.repeat(labels, weights), cut_tree(linkage(repeated, "ward"), n_clusters=k)[:, 0])
        # scaling every weight leaves the tree alone (every Δ scales with them)
        np.testing.assert_array_equal(ward_labels(Y, 0.37 * weights, k), labels)


def test_ward_labels_of_one_row_and_of_equal_weights():
    assert ward_labels(np.zeros((1, 2)), np.ones(1), 1).tolist() == [0]
    Y = np.random.default_rng(5).normal(size=(30, 2))
    assert same_partition(ward_labels(Y, np.full(30, 3.5), 4), cut_tree(linkage(Y, "ward"), n_clusters=4)[:, 0])
