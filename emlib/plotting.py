"""Plots of a model selection and of a fitted Gaussian mixture (matplotlib, imported only when a plot is drawn).

``import emlib`` never imports matplotlib; these functions do, and say how to install it
(``pip install emlib[plot]``) when it is missing. The colours are the Okabe–Ito palette, which
colour-blind readers can tell apart, and no background colour is set, so a figure follows the
style (light or dark) it is drawn in.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from ._validation import check_data
from .params import GMMParams
from .result import EMResult
from .selection import MCLUST_NAMES, ModelSelection

__all__ = ["PALETTE", "RADII", "ellipse_axes", "plot_gmm", "plot_selection"]

#: Okabe and Ito's colour-blind-safe palette (black left out, for dark backgrounds; yellow last).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
#: The Mahalanobis radii of the ellipses :func:`plot_gmm` draws: the 1σ and 2σ contours.
RADII = (1.0, 2.0)
#: At most this many features in plot_gmm's default grid.
MAX_DEFAULT_FEATURES = 5
#: What each criterion is, for the axis label.
_CRITERION_LABELS = {
    "bic": "BIC (2ℓ − p log n, larger is better)",
    "icl": "ICL (BIC + 2 Σ c log γ, larger is better)",
}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "emlib's plots need matplotlib, which is not installed: pip install emlib[plot] (or pip install matplotlib)"
        ) from error
    return plt


def _colour(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


# ----------------------------------------------------------------------------------------------
# the criterion against K
# ----------------------------------------------------------------------------------------------
def plot_selection(selection, ax=None):
    """The criterion of a :func:`emlib.selection.select_gmm` search against K, one line per covariance type.

    Like mclust's ``plot(mclustBIC(...))``: larger is better (BIC = 2ℓ − p log n, Schwarz 1978;
    Fraley and Raftery 2002). Each line joins the fits with no degenerate component; a degenerate
    fit is drawn as a cross of the line's colour, not joined (the choice excludes it); a failed
    fit is left out. The chosen (K, type) is ringed and labelled.

    Parameters
    ----------
    selection : ModelSelection
        The result of :func:`emlib.selection.select_gmm`; its criterion is plotted.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
        Its artists carry ``gid`` labels: ``"criterion <type>"`` for each line,
        ``"degenerate <type>"`` for the crosses, ``"chosen"`` for the ring.
    """
    if not isinstance(selection, ModelSelection):
        raise TypeError(f"selection must be an emlib.ModelSelection (from select_gmm); got {type(selection).__name__}")
    plt = _pyplot()
    ax = _axes(plt, ax)
    criterion = selection.criterion
    for index, kind in enumerate(selection.covariance_types):
        rows = [row for row in selection.table if row.covariance_type == kind and not row.failed]
        colour = _colour(index)
        kept = [row for row in rows if not row.degenerate]
        (line,) = ax.plot(
            [row.n_components for row in kept],
            [row.criterion(criterion) for row in kept],
            marker="o",
            markersize=5,
            color=colour,
            label=f"{kind} ({MCLUST_NAMES[kind]})",
        )
        line.set_gid(f"criterion {kind}")
        degenerate = [row for row in rows if row.degenerate]
        if degenerate:
            (crosses,) = ax.plot(
                [row.n_components for row in degenerate],
                [row.criterion(criterion) for row in degenerate],
                linestyle="none",
                marker="x",
                markersize=7,
                color=colour,
            )
            crosses.set_gid(f"degenerate {kind}")
    if any(row.degenerate and not row.failed for row in selection.table):
        ax.plot([], [], linestyle="none", marker="x", color="grey", label="degenerate (not chosen)")
    best = selection.best_row
    colour = _colour(selection.covariance_types.index(best.covariance_type))
    value = best.criterion(criterion)
    (ring,) = ax.plot(
        [best.n_components],
        [value],
        linestyle="none",
        marker="o",
        markersize=13,
        markerfacecolor="none",
        markeredgecolor=colour,
        markeredgewidth=2,
    )
    ring.set_gid("chosen")
    ax.annotate(
        f"chosen: K = {best.n_components}, {best.covariance_type}",
        (best.n_components, value),
        xytext=(8, -14),
        textcoords="offset points",
        color=colour,
    )
    ax.set_xticks(list(selection.n_components))
    ax.set_xlabel("number of components K")
    ax.set_ylabel(_CRITERION_LABELS[criterion])
    ax.legend(title="covariance (mclust)")
    return ax


def _axes(plt, ax):
    if ax is None:
        return plt.subplots()[1]
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


# ----------------------------------------------------------------------------------------------
# the fitted mixture
# ----------------------------------------------------------------------------------------------
def ellipse_axes(mean, covariance, radius: float = 1.0):
    """The ellipse {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = r²} of a 2-D Gaussian: centre, full axis lengths and angle.

    From the eigendecomposition Σ = V Λ Vᵀ (``numpy.linalg.eigh``): the semi-axes are
    r √λ along the eigenvectors. Returns (centre, width, height, angle): width = 2 r √λ_max
    along the leading eigenvector, height = 2 r √λ_min, angle in degrees from the x axis (the
    arguments of ``matplotlib.patches.Ellipse``).
    """
    mean = np.asarray(mean, dtype=float)
    covariance = np.asarray(covariance, dtype=float)
    if mean.shape != (2,) or covariance.shape != (2, 2):
        raise ValueError(
            f"ellipse_axes needs a mean of shape (2,) and a covariance (2, 2); got {mean.shape}, {covariance.shape}"
        )
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    leading = eigenvectors[:, -1]
    angle = float(np.degrees(np.arctan2(leading[1], leading[0])))
    width, height = 2.0 * radius * np.sqrt(eigenvalues[::-1])
    return mean, float(width), float(height), angle


def plot_gmm(result, X, ax=None, features=None, *, feature_names=None):
    """The data coloured by their most probable component, with each component's 1σ and 2σ ellipses.

    For two features, one panel: every row of X at its two coordinates, in the colour of its MAP
    component (:meth:`emlib.EMResult.predict`), each component's mean (a cross) and the contours
    of Mahalanobis distance 1 and 2 of its Gaussian (book eq. :eq:`gmm-density`), from the
    eigendecomposition of Σ_k (:func:`ellipse_axes`). For more, a grid of pairwise panels (the
    lower triangle: feature j across, feature i up, for j < i), each with the marginal
    ellipses, those of the 2 × 2 block of Σ_k (a marginal of a Gaussian is the Gaussian of the
    same block).

    Parameters
    ----------
    result : EMResult
        A Gaussian-mixture fit (``result.params`` a :class:`emlib.GMMParams`).
    X : array_like of shape (N, D)
        Data, D = ``result.params.n_features`` >= 2.
    ax : matplotlib.axes.Axes, optional
        Where to draw, for two features only; a new figure by default.
    features : sequence of int, optional
        The columns to show, at least two, without repeats; default the first
        min(D, 5).
    feature_names : sequence of str, optional
        A name for each of the D columns, for the axis labels (default "feature 0", ...).

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes for two features, else the Figure of the grid. Artists carry ``gid`` labels:
        ``"points k"``, ``"mean k"``, ``"ellipse k r"`` (r = 1, 2).
    """
    if not isinstance(result, EMResult) or not isinstance(result.params, GMMParams):
        raise TypeError(f"result must be an emlib.EMResult of a Gaussian mixture; got {type(result).__name__}")
    params = result.params
    X = check_data(X)
    if X.shape[1] != params.n_features:
        raise ValueError(f"X has {X.shape[1]} columns but the fit has dimension {params.n_features}")
    if params.n_features < 2:
        raise ValueError("plot_gmm needs at least two features (columns); for one, plot a histogram")
    features = _check_features(features, params.n_features)
    names = _check_feature_names(feature_names, params.n_features)
    labels = result.predict(X)
    plt = _pyplot()
    if len(features) == 2:
        ax = _axes(plt, ax)
        _panel(ax, params, X, labels, features[0], features[1], names)
        return ax
    if ax is not None:
        raise ValueError(f"ax is for two features; {len(features)} features make a grid, drawn in a new figure")
    size = len(features) - 1
    figure, axes = plt.subplots(size, size, figsize=(2.8 * size, 2.8 * size), squeeze=False, layout="constrained")
    for i in range(1, len(features)):
        for j in range(size):
            panel = axes[i - 1, j]
            if j >= i:
                panel.set_visible(False)
                continue
            _panel(panel, params, X, labels, features[j], features[i], names)
            if i < size:
                panel.set_xlabel("")
            if j > 0:
                panel.set_ylabel("")
    return figure


def _panel(ax, params: GMMParams, X: np.ndarray, labels: np.ndarray, across: int, up: int, names) -> None:
    """One panel: the points of each component, its mean and its marginal ellipses in features (across, up)."""
    from matplotlib.patches import Ellipse

    block = np.ix_([across, up], [across, up])
    for k in range(params.n_components):
        colour = _colour(k)
        mine = labels == k
        points = ax.scatter(X[mine, across], X[mine, up], s=9, color=colour, alpha=0.55, linewidths=0)
        points.set_gid(f"points {k}")
        mean = params.means[k, [across, up]]
        for radius in RADII:
            centre, width, height, angle = ellipse_axes(mean, params.covariances[k][block], radius)
            ellipse = Ellipse(
                centre,
                width,
                height,
                angle=angle,
                fill=False,
                edgecolor=colour,
                linewidth=1.6 if radius == RADII[0] else 1.0,
                linestyle="-" if radius == RADII[0] else "--",
            )
            ellipse.set_gid(f"ellipse {k} {radius:g}")
            ax.add_patch(ellipse)
        (marker,) = ax.plot([mean[0]], [mean[1]], linestyle="none", marker="X", markersize=9, color=colour)
        marker.set_gid(f"mean {k}")
    ax.autoscale_view()
    ax.set_xlabel(names[across])
    ax.set_ylabel(names[up])


def _check_features(features, n_features: int) -> tuple[int, ...]:
    if features is None:
        return tuple(range(min(n_features, MAX_DEFAULT_FEATURES)))
    if isinstance(features, (str, bytes)) or not isinstance(features, Iterable):
        raise TypeError(f"features must be a sequence of column indices; got {type(features).__name__}")
    chosen = []
    for feature in features:
        if isinstance(feature, (bool, np.bool_)) or not isinstance(feature, numbers.Integral):
            raise TypeError(f"features must hold integer column indices; got {feature!r}")
        if not 0 <= feature < n_features:
            raise ValueError(f"features must hold column indices in 0..{n_features - 1}; got {feature}")
        chosen.append(int(feature))
    if len(chosen) < 2:
        raise ValueError(f"features must name at least two columns; got {chosen}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"features must not repeat a column; got {chosen}")
    return tuple(chosen)


def _check_feature_names(feature_names, n_features: int) -> tuple[str, ...]:
    if feature_names is None:
        return tuple(f"feature {i}" for i in range(n_features))
    if isinstance(feature_names, str) or not isinstance(feature_names, Iterable):
        raise TypeError(f"feature_names must be a sequence of strings; got {type(feature_names).__name__}")
    names = tuple(feature_names)
    if len(names) != n_features or not all(isinstance(name, str) for name in names):
        raise ValueError(f"feature_names must be {n_features} strings, one per column of X; got {names!r}")
    return names
