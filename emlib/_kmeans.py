"""Weighted k-means++ seeding and Lloyd's iterations, for starting EM.

scipy's ``kmeans2`` takes no row weights, and a weighted data set must seed as the same data
with rows repeated would: row n is drawn with probability proportional to w_n D(x_n)², where
D(x_n) is its distance to the nearest centre chosen so far (Arthur and Vassilvitskii 2007),
and each Lloyd step moves a centre to the weighted mean of its rows.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

__all__ = ["kmeans_plus_plus", "lloyd"]


def _draw(probabilities: np.ndarray, rng: np.random.Generator) -> int:
    """One index drawn with probability proportional to the non-negative ``probabilities``."""
    cumulative = np.cumsum(probabilities)
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(index, len(probabilities) - 1)


def kmeans_plus_plus(Y: np.ndarray, weights: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ centres, shape (K, D), for rows Y of shape (N, D) with positive ``weights``.

    Raises ValueError if fewer than ``n_clusters`` rows are distinct (every remaining distance is 0).
    """
    centres = [Y[_draw(weights, rng)]]
    nearest = cdist(Y, centres[0][np.newaxis], "sqeuclidean")[:, 0]
    for _ in range(1, n_clusters):
        scores = weights * nearest
        if not scores.sum() > 0:
            raise ValueError("fewer distinct rows than clusters")
        centres.append(Y[_draw(scores, rng)])
        np.minimum(nearest, cdist(Y, centres[-1][np.newaxis], "sqeuclidean")[:, 0], out=nearest)
    return np.array(centres)


def lloyd(Y: np.ndarray, weights: np.ndarray, centres: np.ndarray, max_iter: int = 10) -> np.ndarray:
    """Labels, shape (N,), after at most ``max_iter`` Lloyd steps from ``centres``.

    Each step assigns every row to its nearest centre (the first on a tie) and moves each centre
    to the weighted mean of its rows; a centre that receives no row stays where it is.
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
