"""Weighted clustering for starting EM: seedings, Lloyd's iterations and Ward's agglomeration.

scipy's ``kmeans2`` and ``linkage`` take no row weights, and a weighted data set must start as
the same data with rows repeated would:

- :func:`random_rows` draws rows with probability proportional to w_n among the rows not equal
  to one drawn before;
- :func:`kmeans_plus_plus` draws row n with probability proportional to w_n D(x_n)², where
  D(x_n) is its distance to the nearest centre chosen so far (Arthur and Vassilvitskii 2007);
- :func:`greedy_kmeans_plus_plus` draws 2 + ⌊ln K⌋ such candidates at each step and keeps the
  one that most lowers the weighted potential Σ_n w_n D(x_n)² (as scikit-learn's
  ``kmeans_plusplus``);
- :func:`lloyd` moves each centre to the weighted mean of its rows;
- :func:`ward_labels` merges, at each step, the two clusters whose union least increases the
  weighted within-cluster sum of squares (Ward 1963): a row of weight w is w coincident rows.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import cut_tree, linkage
from scipy.spatial.distance import cdist

__all__ = ["greedy_kmeans_plus_plus", "kmeans_plus_plus", "lloyd", "potential", "random_rows", "ward_labels"]


def _draw(probabilities: np.ndarray, rng: np.random.Generator) -> int:
    """One index drawn with probability proportional to the non-negative ``probabilities``."""
    cumulative = np.cumsum(probabilities)
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    if index >= len(probabilities):  # u·total rounded up to the total: the last row with mass
        index = int(np.flatnonzero(probabilities)[-1])
    return index


def _squared_distances(Y: np.ndarray, centre: np.ndarray) -> np.ndarray:
    return cdist(Y, centre[np.newaxis], "sqeuclidean")[:, 0]


def _seeding(Y, weights, n_clusters, rng, mass) -> np.ndarray:
    """Centres drawn one by one, row n with probability ∝ w_n · mass(D²(x_n)); the first ∝ w_n."""
    centres = [Y[_draw(weights, rng)]]
    nearest = _squared_distances(Y, centres[0])
    for _ in range(1, n_clusters):
        scores = weights * mass(nearest)
        if not scores.sum() > 0:
            raise ValueError("fewer distinct rows than clusters")
        centres.append(Y[_draw(scores, rng)])
        np.minimum(nearest, _squared_distances(Y, centres[-1]), out=nearest)
    return np.array(centres)


def random_rows(Y: np.ndarray, weights: np.ndarray, n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """``n_rows`` distinct rows of Y, shape (K, D), drawn one by one with probability ∝ weight.

    Each draw is among the rows not equal to one drawn before, so that a row of weight w is
    drawn as w copies of it would be. Raises ValueError if fewer than ``n_rows`` rows are distinct.
    """
    return _seeding(Y, weights, n_rows, rng, lambda nearest: nearest > 0)


def kmeans_plus_plus(Y: np.ndarray, weights: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ centres, shape (K, D), for rows Y of shape (N, D) with positive ``weights``.

    Raises ValueError if fewer than ``n_clusters`` rows are distinct (every remaining distance is 0).
    """
    return _seeding(Y, weights, n_clusters, rng, lambda nearest: nearest)


def greedy_kmeans_plus_plus(
    Y: np.ndarray, weights: np.ndarray, n_clusters: int, rng: np.random.Generator, n_candidates: int | None = None
) -> np.ndarray:
    """Greedy k-means++ centres, shape (K, D): the best of ``n_candidates`` D²-draws at each step.

    The first centre is drawn with probability ∝ w_n. Each further step draws ``n_candidates``
    rows (default 2 + ⌊ln K⌋, Arthur and Vassilvitskii 2007, section 5, and scikit-learn's
    ``kmeans_plusplus``), each with probability ∝ w_n D(x_n)², and keeps the one after which the
    potential Σ_n w_n D(x_n)² is least (the first of equals). Raises ValueError if fewer than
    ``n_clusters`` rows are distinct.
    """
    if n_candidates is None:
        n_candidates = 2 + int(np.log(n_clusters))
    centres = [Y[_draw(weights, rng)]]
    nearest = _squared_distances(Y, centres[0])
    for _ in range(1, n_clusters):
        scores = weights * nearest
        if not scores.sum() > 0:
            raise ValueError("fewer distinct rows than clusters")
        candidates = [_draw(scores, rng) for _ in range(n_candidates)]
        after = np.minimum(nearest, cdist(Y[candidates], Y, "sqeuclidean"))  # (candidates, N)
        best = int(np.argmin(after @ weights))
        centres.append(Y[candidates[best]])
        nearest = after[best]
    return np.array(centres)


def potential(Y: np.ndarray, weights: np.ndarray, centres: np.ndarray) -> float:
    """The weighted k-means potential Σ_n w_n min_k ‖y_n − c_k‖² of ``centres``."""
    return float(weights @ np.min(cdist(Y, centres, "sqeuclidean"), axis=1))


def lloyd(Y: np.ndarray, weights: np.ndarray, centres: np.ndarray, max_iter: int = 10) -> np.ndarray:
    """Labels, shape (N,), after at most ``max_iter`` Lloyd steps from ``centres``.

    Each step assigns every row to its nearest centre (the first on a tie) and moves each centre
    to the weighted mean of its rows; a centre that receives no row stays where it is. The loop
    stops early when the labels no longer change: the labels returned are then a fixed point,
    every row nearest to the weighted mean of its cluster. ``max_iter=0``: the nearest-centre labels.
    """
    centres = np.array(centres)
    labels = np.argmin(cdist(Y, centres, "sqeuclidean"), axis=1)
    for _ in range(max_iter):
        one_hot = np.zeros((Y.shape[0], centres.shape[0]))
        one_hot[np.arange(Y.shape[0]), labels] = weights
        totals = one_hot.sum(axis=0)
        occupied = totals > 0
        centres[occupied] = (one_hot.T @ Y)[occupied] / totals[occupied, np.newaxis]
        new_labels = np.argmin(cdist(Y, centres, "sqeuclidean"), axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return labels


def ward_labels(Y: np.ndarray, weights: np.ndarray, n_clusters: int) -> np.ndarray:
    """Labels in 0..K−1, shape (N,), of Ward's agglomerative clustering of the rows Y cut at K clusters.

    Ward's criterion (Ward 1963; for a Gaussian mixture with covariances σ²I, the model "EII" of
    Fraley 1998, "Algorithms for model-based Gaussian hierarchical clustering", SIAM J. Sci.
    Comput. 20, 270–281): starting from one cluster per row, merge the two clusters A, B whose
    union least increases the weighted within-cluster sum of squares, by
    Δ(A, B) = W_A W_B / (W_A + W_B) ‖m_A − m_B‖² (W the clusters' total weights, m their
    weighted means). Equal weights: ``scipy.cluster.hierarchy.linkage(Y, "ward")``. Unequal
    weights, which scipy does not take: the same criterion by the nearest-neighbour chain
    (:func:`_weighted_ward_linkage`), so that a row of integer weight w clusters as w copies of
    it would (the copies merge first, at no cost). The tree is cut where K clusters remain
    (``scipy.cluster.hierarchy.cut_tree``).
    """
    if Y.shape[0] == 1:
        return np.zeros(1, dtype=np.intp)
    if np.all(weights == weights[0]):
        tree = linkage(Y, method="ward")
    else:
        tree = _weighted_ward_linkage(Y, weights)
    return cut_tree(tree, n_clusters=n_clusters)[:, 0].astype(np.intp)


def _weighted_ward_linkage(Y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The linkage matrix (scipy's format) of weighted Ward clustering, by the nearest-neighbour chain.

    Ward's Δ is reducible (a merge never brings the union closer to a third cluster than the
    nearer of its parts was), so the chain — follow nearest neighbours until two clusters are
    each other's nearest, merge them, continue from the rest of the chain — finds the same
    merges as merging the globally closest pair each time (Murtagh 1983); sorting them by Δ
    gives the tree. The merge costs are computed from the clusters' weighted means, so memory is
    O(N D) and time O(N² D). The height stored is √(2Δ), scipy's Ward distance (for single rows
    of weight 1, their Euclidean distance).
    """
    n = Y.shape[0]
    means, masses = np.array(Y, dtype=np.float64), np.array(weights, dtype=np.float64)
    active = np.ones(n, dtype=bool)
    members = np.ones(n, dtype=np.intp)
    cluster_of_slot = np.arange(n)  # the id of the cluster each slot holds: n + i for the i-th merge
    merges = []  # in the order made: (Δ, id, id, number of rows in the union)
    chain: list[int] = []
    for _ in range(n - 1):
        while True:
            if not chain:
                chain.append(int(np.flatnonzero(active)[0]))
            top = chain[-1]
            costs = masses[top] * masses / (masses[top] + masses) * _squared_distances(means, means[top])
            costs[~active] = np.inf
            costs[top] = np.inf
            nearest = int(np.argmin(costs))
            if len(chain) > 1 and costs[chain[-2]] <= costs[nearest]:  # a tie keeps the chain's pair
                nearest = chain[-2]
            if len(chain) > 1 and nearest == chain[-2]:
                break
            chain.append(nearest)
        chain.pop()
        chain.pop()
        kept, removed = min(top, nearest), max(top, nearest)
        total = masses[kept] + masses[removed]
        means[kept] = (masses[kept] * means[kept] + masses[removed] * means[removed]) / total
        masses[kept] = total
        members[kept] += members[removed]
        active[removed] = False
        merges.append((float(costs[nearest]), cluster_of_slot[kept], cluster_of_slot[removed], int(members[kept])))
        cluster_of_slot[kept] = n + len(merges) - 1
    return _as_linkage(merges, n)


def _as_linkage(merges: list, n: int) -> np.ndarray:
    """Merges (Δ, id, id, size) in the order made (id n + i: the i-th merge) as scipy's linkage matrix.

    The rows are sorted by height, a merge never below the merges it contains (rounding could
    put it there), and the ids renumbered to the sorted rows.
    """
    heights = np.empty(len(merges))
    for i, (cost, first, second, _) in enumerate(merges):
        below = [heights[c - n] for c in (first, second) if c >= n]
        heights[i] = max([np.sqrt(2.0 * max(cost, 0.0)), *below])
    order = np.argsort(heights, kind="stable")  # ties keep the order made: a part before its union
    renumbered = np.arange(n + len(merges))
    renumbered[n + order] = n + np.arange(len(merges))
    tree = np.empty((len(merges), 4))
    for row, i in enumerate(order):
        _, first, second, size = merges[i]
        tree[row] = (*sorted((renumbered[first], renumbered[second])), heights[i], size)
    return tree
