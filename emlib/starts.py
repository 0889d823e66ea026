"""Starting parameters for Gaussian-mixture EM: the seedings :func:`emlib.fit_gmm` takes as ``init``.

EM climbs to the local optimum nearest its start, so the start decides which optimum a fit
reaches. ``STARTS`` maps each name ``fit_gmm`` accepts as ``init`` to a function

    start(data, weights, n_components, model, rng) -> GMMParams

on fit_gmm's internal-unit data (the rows of positive weight, ``emlib._units``), ``model`` the
:class:`emlib.GaussianMixtureModel` being fitted and ``rng`` a numpy Generator. Every start but
"emEM" clusters the rows and ends with one M-step (:func:`emlib.m_step`, book eqs.
:eq:`soft-em-pi` to :eq:`soft-em-sigma`, with the fit's regularisation) on the hard assignments,
so it returns valid parameters with no empty component.

- "random": K distinct rows drawn with probability ∝ weight; each row joins the nearest.
- "k-means++": k-means++ seeding (Arthur and Vassilvitskii 2007); each row joins the nearest centre.
- "greedy-k-means++": greedy k-means++ (2 + ⌊ln K⌋ candidates a step, scikit-learn's ``kmeans_plusplus``).
- "k-means": greedy k-means++, then Lloyd's iterations until no label changes (at most
  ``LLOYD_MAX_ITER``): scikit-learn's default start.
- "k-means-10": k-means++ seeding and ``LLOYD_ITERATIONS`` = 10 Lloyd steps (emlib's first start).
- "hc": Ward's agglomerative clustering (mclust's ``hc(modelName = "EII")``) cut at K clusters.
- "emEM": the best of ``EMEM_STARTS`` short EM runs from "k-means++" starts (Biernacki, Celeux
  and Govaert 2003).

Every clustering is done on the rows whitened by the data scale T (book eq.
:eq:`soft-em-data-scale`), y = L⁻¹(x − x̄) with T = L Lᵀ. Under x ↦ A x + b (any invertible A for
"full" and "tied", diagonal A for "diag", A = c·I for "spherical") T becomes A T Aᵀ, and the
whitened rows an orthogonal map Q y of the old ones, which keeps every distance, so every
choice a start makes, and the start itself is the transformed start: the fit of A x + b is the
transformed fit of x, seeding included. A row of weight w counts as w coincident rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import solve_triangular

from ._kmeans import greedy_kmeans_plus_plus, kmeans_plus_plus, lloyd, random_rows, ward_labels
from .drivers import run
from .gaussian_mixture import GaussianMixtureModel
from .maximization import _map_maximization, _maximization
from .params import GMMParams, SingularCovarianceError

__all__ = [
    "DEFAULT_START",
    "EMEM_SHORT_ITER",
    "EMEM_SHORT_TOL",
    "EMEM_STARTS",
    "HC_SUBSET",
    "KMEANS_ATTEMPTS",
    "LLOYD_ITERATIONS",
    "LLOYD_MAX_ITER",
    "STARTS",
    "emem_start",
    "greedy_kmeans_plus_plus_start",
    "hierarchical_start",
    "kmeans_10_start",
    "kmeans_plus_plus_start",
    "kmeans_start",
    "random_start",
]

#: The start fit_gmm and the estimator use unless told otherwise.
DEFAULT_START = "k-means-10"
#: How many seedings a random start tries before concluding the data cannot fill K clusters.
KMEANS_ATTEMPTS = 10
#: Lloyd iterations of "k-means-10".
LLOYD_ITERATIONS = 10
#: At most this many Lloyd iterations for "k-means" (scikit-learn's KMeans max_iter).
LLOYD_MAX_ITER = 300
#: The most rows the hierarchical start clusters (as mclust's subset option), since Ward's clustering takes O(N²) time.
HC_SUBSET = 2000
#: Short EM runs of "emEM" (Biernacki, Celeux and Govaert 2003).
EMEM_STARTS = 10
#: Iterations at most of each short run of "emEM".
EMEM_SHORT_ITER = 20
#: Each short run of "emEM" stops once its objective per unit of weight rises by at most this much in
#: one iteration (fit_gmm's stopping rule, book eq. (soft-em-stopping), with a loose tol).
EMEM_SHORT_TOL = 1e-3


def _whitened(data: np.ndarray, weights: np.ndarray, model: GaussianMixtureModel) -> np.ndarray:
    """The rows y_n = L⁻¹(x_n − x̄), shape (N, D), with T = L Lᵀ the data scale (book eq. :eq:`soft-em-data-scale`)."""
    regulariser = model.regulariser(data, weights)
    mean = (weights @ data) / weights.sum()  # clusterings are unchanged by a shift: any centre would do
    return solve_triangular(np.linalg.cholesky(regulariser.scale), (data - mean).T, lower=True).T


def _check_distinct_rows(data: np.ndarray, n_components: int) -> None:
    n_distinct = np.unique(data, axis=0).shape[0]
    if n_distinct < n_components:
        raise ValueError(
            f"n_components={n_components} exceeds the number of distinct rows of X with positive"
            f" sample_weight ({n_distinct}, at float64 precision): no start can seed that many clusters"
        )


def _m_step_on_labels(data, weights, labels, n_components, model, fitted=None) -> GMMParams | None:
    """One M-step on the hard assignments ``labels`` (shape (N,)), or None if a cluster is empty.

    The M-step is the model's: the regularised one (:func:`emlib.m_step`), or the MAP M-step
    under a conjugate prior. ``fitted`` is the whole fit's (data, weights) when ``data`` is a
    subset of it (the "hc" start on many rows): the regularisation and the prior are then the
    whole fit's, not the subset's.
    """
    assignments = np.zeros((data.shape[0], n_components))
    assignments[np.arange(data.shape[0]), labels] = 1.0
    if not np.all((weights @ assignments) > 0):
        return None
    fitted_data, fitted_weights = (data, weights) if fitted is None else fitted
    prior = model.conjugate_prior(fitted_data, fitted_weights, n_components)
    if prior is not None:
        return _map_maximization(data, assignments, weights, prior)
    regulariser = model.regulariser(fitted_data, fitted_weights)
    return _maximization(data, assignments, weights, model.covariance_type, regulariser)


def _seeded_start(data, weights, n_components, model, rng, name: str, seeding: Callable, lloyd_steps: int):
    """Centres by ``seeding`` on the whitened rows, ``lloyd_steps`` Lloyd steps, then an M-step on the labels.

    A seeding that cannot place K distinct centres (rows distinct in X but not once whitened),
    or labels that leave a cluster empty, are drawn again, at most ``KMEANS_ATTEMPTS`` times.
    """
    _check_distinct_rows(data, n_components)
    whitened = _whitened(data, weights, model)
    for _ in range(KMEANS_ATTEMPTS):
        try:
            centres = seeding(whitened, weights, n_components, rng)
        except ValueError:  # rows distinct in X but not after whitening: try again
            continue
        labels = lloyd(whitened, weights, centres, max_iter=lloyd_steps)
        params = _m_step_on_labels(data, weights, labels, n_components, model)
        if params is not None:
            return params
    raise ValueError(
        f"init={name!r} could not place n_components={n_components} non-empty clusters in"
        f" {KMEANS_ATTEMPTS} attempts: X (rows with positive sample_weight) has too few distinct"
        " rows for this many components"
    )


def random_start(data, weights, n_components, model, rng) -> GMMParams:
    """The "random" start: K distinct rows drawn ∝ weight, each row labelled by the nearest, then an M-step.

    The draws are successive: each is among the rows not equal to a row drawn before
    (``emlib._kmeans.random_rows``), so that weighted rows are drawn as repeated rows would be.

    Parameters
    ----------
    data : ndarray of shape (N, D)
        The rows of positive weight, in fit_gmm's internal units.
    weights : ndarray of shape (N,)
        Their (positive) weights.
    n_components : int
        K, at most the number of distinct rows.
    model : GaussianMixtureModel
        The model fitted: its covariance type and regularisation shape the M-step.
    rng : numpy.random.Generator
        The random draws.

    Returns
    -------
    GMMParams
        The start θ_0, K components, none of them empty.
    """
    return _seeded_start(data, weights, n_components, model, rng, "random", random_rows, lloyd_steps=0)


def kmeans_plus_plus_start(data, weights, n_components, model, rng) -> GMMParams:
    """The "k-means++" start: k-means++ seeding (Arthur and Vassilvitskii 2007), nearest-centre labels, then an M-step.

    Row n becomes the next centre with probability ∝ w_n D(y_n)², D the whitened distance to the
    nearest centre so far; no Lloyd iteration. Parameters and return as :func:`random_start`.
    """
    return _seeded_start(data, weights, n_components, model, rng, "k-means++", kmeans_plus_plus, lloyd_steps=0)


def greedy_kmeans_plus_plus_start(data, weights, n_components, model, rng) -> GMMParams:
    """The "greedy-k-means++" start: greedy k-means++ seeding, nearest-centre labels, then an M-step.

    Each step draws 2 + ⌊ln K⌋ candidates ∝ w_n D(y_n)² and keeps the one that most lowers the
    weighted potential Σ_n w_n D(y_n)² (Arthur and Vassilvitskii 2007; scikit-learn's
    ``kmeans_plusplus``). Parameters and return as :func:`random_start`.
    """
    return _seeded_start(
        data, weights, n_components, model, rng, "greedy-k-means++", greedy_kmeans_plus_plus, lloyd_steps=0
    )


def kmeans_start(data, weights, n_components, model, rng) -> GMMParams:
    """The "k-means" start: greedy k-means++, then Lloyd's iterations until no label changes, then an M-step.

    At most ``LLOYD_MAX_ITER`` iterations; when they stop early, every row is nearest (whitened)
    to the weighted mean of its cluster, a fixed point of Lloyd's algorithm. This is
    scikit-learn's ``GaussianMixture(init_params="kmeans")``: one ``KMeans`` run from a greedy
    k-means++ seeding. Parameters and return as :func:`random_start`.
    """
    return _seeded_start(
        data, weights, n_components, model, rng, "k-means", greedy_kmeans_plus_plus, lloyd_steps=LLOYD_MAX_ITER
    )


def kmeans_10_start(data, weights, n_components, model, rng) -> GMMParams:
    """The "k-means-10" start: k-means++ seeding, ``LLOYD_ITERATIONS`` (10) Lloyd steps, then an M-step.

    emlib's only start before the registry. Parameters and return as :func:`random_start`.
    """
    return _seeded_start(
        data, weights, n_components, model, rng, "k-means-10", kmeans_plus_plus, lloyd_steps=LLOYD_ITERATIONS
    )


def hierarchical_start(data, weights, n_components, model, rng) -> GMMParams:
    """The "hc" start: Ward's agglomerative clustering of the whitened rows, cut at K clusters, then an M-step.

    Model-based hierarchical clustering for the model "EII" (covariances σ²I) merges the pair of
    clusters that least lowers the classification likelihood, which is Ward's criterion (Fraley
    1998, "Algorithms for model-based Gaussian hierarchical clustering", SIAM J. Sci. Comput. 20,
    270–281; ``emlib._kmeans.ward_labels``). On the rows whitened by T it is R mclust's
    ``hc(X, modelName = "EII", use = "SPH")`` (partitions checked equal in
    ``tests/test_starts.py``). mclust's default transformation, ``use = "SVD"`` (standardised
    principal components each divided by the square root of its singular value), is not
    whitening: it would not be equivariant under a general A, so emlib does not use it.

    Deterministic for N ≤ ``HC_SUBSET`` rows. Unequal weights: Ward's criterion with cluster
    weights W_A = Σ_{n∈A} w_n (a row of integer weight w clusters exactly as w copies would,
    since the copies merge first at no cost). Above ``HC_SUBSET`` rows (Ward needs O(N²) time),
    as mclust's ``subset`` option does: a subset of ``HC_SUBSET`` rows drawn from ``rng`` without
    replacement with probability ∝ weight, clustered with equal weights (the draw already favours
    the heavy rows), and the M-step on that subset's labels (each of its rows carrying
    Σ_n w_n / ``HC_SUBSET``, so the regularisation is the full data's). Parameters and return as
    :func:`random_start`.
    """
    _check_distinct_rows(data, n_components)
    whitened = _whitened(data, weights, model)
    fitted = (data, weights)
    if data.shape[0] > HC_SUBSET:
        subset = np.sort(rng.choice(data.shape[0], size=HC_SUBSET, replace=False, p=weights / weights.sum()))
        data, whitened = data[subset], whitened[subset]
        weights = np.full(HC_SUBSET, weights.sum() / HC_SUBSET)
    labels = ward_labels(whitened, weights, n_components)
    params = _m_step_on_labels(data, weights, labels, n_components, model, fitted)
    if params is None:  # cut_tree leaves no cluster empty
        raise ValueError(f"init='hc' left a cluster empty for n_components={n_components}")
    return params


def emem_start(data, weights, n_components, model, rng) -> GMMParams:
    """The "emEM" start: the best of ``EMEM_STARTS`` short EM runs, each from a "k-means++" start.

    Biernacki, Celeux and Govaert (2003), "Choosing starting values for the EM algorithm for
    getting the highest likelihood in multivariate Gaussian mixture models", CSDA 41, 561–575:
    run EM briefly from several starts and continue ("long run", fit_gmm's ordinary run) from
    the best. Each short run (``emlib.drivers.run``, method "em", the fit's model and
    regularisation) starts from :func:`kmeans_plus_plus_start` with the next draws of ``rng`` and
    stops after ``EMEM_SHORT_ITER`` iterations or once its objective per unit of weight rises
    by at most ``EMEM_SHORT_TOL`` in one iteration. BCG stop a short run by a relative rule,
    (ℓ_t − ℓ_{t−1}) / (ℓ_t − ℓ_0) ≤ 10⁻²; the drivers' rule is absolute per unit of weight, and
    ``EMEM_SHORT_TOL`` = 10⁻³ is where BCG's rule stops in practice: from k-means++ starts on Old
    Faithful and iris (K = 2 to 5, ten seeds each) EM gains a median 0.1 to 0.8 nats per
    observation on its way to the optimum, and the iteration at which the relative rule first
    holds gains a median 5·10⁻⁴ to 5·10⁻³ nats per observation. The parameters returned are
    those of the short run with the highest final objective, preferring runs with no degenerate
    component (as fit_gmm chooses among its ``n_init`` runs). A short run whose covariance
    becomes singular, in its start's M-step or later (possible only with ``reg_covar=0``), is
    dropped. Parameters and return as :func:`random_start`.

    Raises
    ------
    ValueError
        If every short run ended in a singular covariance.
    """
    best, last_error = None, None
    for _ in range(EMEM_STARTS):
        try:
            start = kmeans_plus_plus_start(data, weights, n_components, model, rng)
            short = run(model, data, weights, start, method="em", max_iter=EMEM_SHORT_ITER, tol=EMEM_SHORT_TOL)
        except SingularCovarianceError as error:  # the start's M-step or a short run's collapsed
            last_error = error
            continue
        score = (not np.any(short.degenerate), short.objectives[-1])
        if best is None or score > best[0]:
            best = (score, short.params)
    if best is None:
        raise ValueError(
            f"init='emEM': every one of its {EMEM_STARTS} short EM runs reached a singular covariance"
            f" ({last_error}); use reg_covar=None (the default prior) or reg_covar > 0"
        ) from last_error
    return best[1]


#: fit_gmm's ``init`` names and their start functions, ``start(data, weights, n_components, model, rng)``.
STARTS: dict[str, Callable[..., GMMParams]] = {
    "random": random_start,
    "k-means++": kmeans_plus_plus_start,
    "greedy-k-means++": greedy_kmeans_plus_plus_start,
    "k-means": kmeans_start,
    "k-means-10": kmeans_10_start,
    "hc": hierarchical_start,
    "emEM": emem_start,
}
