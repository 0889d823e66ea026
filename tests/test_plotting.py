"""emlib.plotting: the criterion against K, and a fitted mixture's points, means and ellipses (Agg backend).

The ellipses are checked against their definition, {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = r²} (the contour of
the Gaussian density of book eq. (gmm-density) at Mahalanobis radius r), on the points of the
drawn path; the colours against the MAP labels computed with scipy.
"""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402
from scipy.stats import multivariate_normal  # noqa: E402

import emlib  # noqa: E402
from emlib import plotting, selection  # noqa: E402

FAITHFUL = emlib.datasets.old_faithful()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def faithful_fit():
    return emlib.fit_gmm(FAITHFUL, 3, covariance_type="tied", random_state=0)


@pytest.fixture(scope="module")
def four_d():
    params = emlib.GMMParams(
        [0.5, 0.5],
        [[0.0, 0.0, 0.0, 0.0], [4.0, 3.0, -2.0, 1.0]],
        [np.eye(4), np.array([[2.0, 0.5, 0.0, 0.3], [0.5, 1.0, 0.2, 0.0], [0.0, 0.2, 1.5, 0.4], [0.3, 0.0, 0.4, 1.0]])],
    )
    X = emlib.datasets.sample_gmm(params, 200, 0)[0]
    return X, emlib.fit_gmm(X, 2, random_state=0)


def by_gid(ax, prefix: str, kind=None):
    artists = list(ax.patches) + list(ax.lines) + list(ax.collections)
    return [a for a in artists if (a.get_gid() or "").startswith(prefix) and (kind is None or isinstance(a, kind))]


def mahalanobis_on_boundary(ellipse: Ellipse, mean, covariance) -> np.ndarray:
    """The Mahalanobis distance from the mean of points of the drawn ellipse, in data coordinates.

    An Ellipse patch is the unit circle (its path) under its patch transform: the images of points of
    the unit circle are points of the ellipse matplotlib draws.
    """
    angles = np.linspace(0.0, 2.0 * np.pi, 50)
    vertices = ellipse.get_patch_transform().transform(np.column_stack([np.cos(angles), np.sin(angles)]))
    deviations = vertices - mean
    return np.sqrt(np.einsum("ni,ij,nj->n", deviations, np.linalg.inv(covariance), deviations))


def scipy_map_labels(X, params: emlib.GMMParams) -> np.ndarray:
    log_joint = np.column_stack(
        [
            np.log(params.weights[k]) + multivariate_normal(params.means[k], params.covariances[k]).logpdf(X)
            for k in range(params.n_components)
        ]
    )
    return np.argmax(log_joint, axis=1)


# ----------------------------------------------------------------------------------------------
# plot_gmm
# ----------------------------------------------------------------------------------------------
def test_two_features_one_panel_with_k_ellipses_per_radius_centred_on_the_means(faithful_fit):
    ax = plotting.plot_gmm(faithful_fit, FAITHFUL, feature_names=["eruptions", "waiting"])
    params = faithful_fit.params
    for radius in plotting.RADII:
        ellipses = [by_gid(ax, f"ellipse {k} {radius:g}", Ellipse) for k in range(3)]
        assert [len(e) for e in ellipses] == [1, 1, 1]
        for k, (ellipse,) in enumerate(ellipses):
            np.testing.assert_allclose(ellipse.center, params.means[k], rtol=1e-12)
            # the boundary is the contour at Mahalanobis distance r (checked on the drawn path)
            distances = mahalanobis_on_boundary(ellipse, params.means[k], params.covariances[k])
            np.testing.assert_allclose(distances, radius, rtol=1e-9)
            # semi-axes r √λ, λ the eigenvalues of Σ_k
            eigenvalues = np.linalg.eigvalsh(params.covariances[k])
            np.testing.assert_allclose(
                sorted([ellipse.width / 2, ellipse.height / 2]), radius * np.sqrt(eigenvalues), rtol=1e-12
            )
    assert len([p for p in ax.patches if isinstance(p, Ellipse)]) == 3 * len(plotting.RADII)
    for k in range(3):
        (mean,) = by_gid(ax, f"mean {k}")
        np.testing.assert_allclose(np.column_stack(mean.get_data())[0], params.means[k])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("eruptions", "waiting")


def test_points_are_coloured_by_their_map_component(faithful_fit):
    ax = plotting.plot_gmm(faithful_fit, FAITHFUL)
    labels = scipy_map_labels(FAITHFUL, faithful_fit.params)
    total = 0
    for k in range(3):
        (points,) = by_gid(ax, f"points {k}")
        offsets = np.asarray(points.get_offsets())
        np.testing.assert_array_equal(offsets, FAITHFUL[labels == k])
        assert matplotlib.colors.same_color(points.get_facecolor()[0][:3], plotting.PALETTE[k])
        total += len(offsets)
    assert total == len(FAITHFUL)


def test_the_figure_sets_no_background_colour(faithful_fit):
    with plt.style.context("dark_background"):
        ax = plotting.plot_gmm(faithful_fit, FAITHFUL)
        assert matplotlib.colors.same_color(ax.figure.get_facecolor(), plt.rcParams["figure.facecolor"])
        assert matplotlib.colors.same_color(ax.get_facecolor(), plt.rcParams["axes.facecolor"])


def test_more_features_give_a_lower_triangle_of_marginal_panels(four_d):
    X, fit = four_d
    figure = plotting.plot_gmm(fit, X)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(figure.axes) == 9 and len(visible) == 6
    pairs = {(ax.get_xlabel() or None, ax.get_ylabel() or None) for ax in visible}
    assert ("feature 0", "feature 3") in pairs  # the bottom-left panel keeps both labels
    # panel (row i, column j) shows feature j across and feature i + 1 up, for j <= i
    rows = np.array(figure.axes).reshape(3, 3)
    for i in range(3):
        for j in range(3):
            ax = rows[i, j]
            assert ax.get_visible() == (j <= i)
            if j > i:
                continue
            across, up = j, i + 1
            block = np.ix_([across, up], [across, up])
            for k in range(2):
                for radius in plotting.RADII:
                    (ellipse,) = by_gid(ax, f"ellipse {k} {radius:g}", Ellipse)
                    mean = fit.params.means[k, [across, up]]
                    np.testing.assert_allclose(ellipse.center, mean, rtol=1e-12)
                    distances = mahalanobis_on_boundary(ellipse, mean, fit.params.covariances[k][block])
                    np.testing.assert_allclose(distances, radius, rtol=1e-9)
            assert len(by_gid(ax, "ellipse", Ellipse)) == 2 * len(plotting.RADII)


def test_chosen_features_and_the_default_of_five(four_d):
    X, fit = four_d
    ax = plotting.plot_gmm(fit, X, features=[2, 0], feature_names=["a", "b", "c", "d"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("c", "a")
    (points,) = by_gid(ax, "points 0")
    labels = scipy_map_labels(X, fit.params)
    np.testing.assert_array_equal(np.asarray(points.get_offsets()), X[labels == 0][:, [2, 0]])
    wide = np.column_stack([X, X[:, :3] * 2.0 + 1.0])  # seven features
    wide_fit = emlib.fit_gmm(wide, 2, covariance_type="diag", random_state=0)
    figure = plotting.plot_gmm(wide_fit, wide)
    assert len(figure.axes) == 16 and sum(ax.get_visible() for ax in figure.axes) == 10  # features 0..4


def test_an_axes_can_be_given_for_two_features(faithful_fit):
    figure, ax = plt.subplots()
    assert plotting.plot_gmm(faithful_fit, FAITHFUL, ax=ax) is ax


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"result": "fit"}, TypeError, "result must be an emlib.EMResult"),
        ({"X": FAITHFUL[:, :1]}, ValueError, "X has 1 columns but the fit has dimension 2"),
        ({"X": np.full((3, 2), np.inf)}, ValueError, "X contains NaN"),
        ({"features": [0]}, ValueError, "at least two columns"),
        ({"features": [0, 0]}, ValueError, "must not repeat"),
        ({"features": [0, 2]}, ValueError, "column indices in 0..1"),
        ({"features": [0, 1.0]}, TypeError, "integer column indices"),
        ({"features": "01"}, TypeError, "features must be a sequence"),
        ({"feature_names": ["a"]}, ValueError, "feature_names must be 2 strings"),
        ({"feature_names": "ab"}, TypeError, "feature_names must be a sequence"),
        ({"ax": "axes"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_plot_gmm_rejects_bad_input(faithful_fit, kwargs, error, match):
    arguments = {"result": faithful_fit, "X": FAITHFUL, **kwargs}
    with pytest.raises(error, match=match):
        plotting.plot_gmm(arguments.pop("result"), arguments.pop("X"), **arguments)


def test_plot_gmm_rejects_one_feature_and_an_axes_for_a_grid(four_d):
    waiting = FAITHFUL[:, 1:]
    with pytest.raises(ValueError, match="at least two features"):
        plotting.plot_gmm(emlib.fit_gmm(waiting, 2, random_state=0), waiting)
    X, fit = four_d
    with pytest.raises(ValueError, match="ax is for two features"):
        plotting.plot_gmm(fit, X, ax=plt.subplots()[1])


def test_ellipse_axes_rejects_other_shapes():
    with pytest.raises(ValueError, match="shape"):
        plotting.ellipse_axes(np.zeros(3), np.eye(3))


# ----------------------------------------------------------------------------------------------
# plot_selection
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_selection():
    return selection.select_gmm(FAITHFUL, n_components=range(1, 5), random_state=0)


def test_one_line_per_covariance_type_through_the_table(small_selection):
    ax = plotting.plot_selection(small_selection)
    for kind in small_selection.covariance_types:
        (line,) = by_gid(ax, f"criterion {kind}")
        rows = [r for r in small_selection.table if r.covariance_type == kind and not r.degenerate]
        np.testing.assert_array_equal(line.get_xdata(), [r.n_components for r in rows])
        np.testing.assert_array_equal(line.get_ydata(), [r.bic for r in rows])
        assert line.get_marker() == "o"
    (ring,) = by_gid(ax, "chosen")
    assert (ring.get_xdata()[0], ring.get_ydata()[0]) == (3, small_selection.best_row.bic)
    assert ax.get_ylabel() == "BIC (2ℓ − p log n, larger is better)"
    assert ax.get_xlabel() == "number of components K"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "full (VVV)",
        "tied (EEE)",
        "diag (VVI)",
        "spherical (VII)",
    ]
    assert list(ax.get_xticks()) == [1, 2, 3, 4]


def test_degenerate_fits_are_crosses_off_the_lines():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(40, 2)), np.tile([[8.0, 8.0]], (5, 1))])
    chosen = selection.select_gmm(
        X, n_components=[1, 2, 3], covariance_types=("full",), criterion="icl", random_state=0
    )
    ax = plotting.plot_selection(chosen)
    (line,) = by_gid(ax, "criterion full")
    np.testing.assert_array_equal(line.get_xdata(), [1])
    (crosses,) = by_gid(ax, "degenerate full")
    assert crosses.get_marker() == "x" and crosses.get_linestyle() == "None"
    np.testing.assert_array_equal(crosses.get_xdata(), [2, 3])
    np.testing.assert_array_equal(crosses.get_ydata(), chosen.table.column("icl")[1:])
    assert ax.get_ylabel().startswith("ICL") and "larger is better" in ax.get_ylabel()
    (ring,) = by_gid(ax, "chosen")
    assert ring.get_xdata()[0] == 1


def test_plot_selection_rejects_bad_input(small_selection):
    with pytest.raises(TypeError, match="selection must be an emlib.ModelSelection"):
        plotting.plot_selection(small_selection.table)
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plotting.plot_selection(small_selection, ax=plt.figure())


# ----------------------------------------------------------------------------------------------
# matplotlib stays optional
# ----------------------------------------------------------------------------------------------
def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch, small_selection, faithful_fit):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install emlib\[plot\]"):
        plotting.plot_selection(small_selection)
    with pytest.raises(ImportError, match=r"pip install emlib\[plot\]"):
        plotting.plot_gmm(faithful_fit, FAITHFUL)


def test_importing_emlib_and_its_plotting_module_does_not_import_matplotlib():
    code = "import sys, emlib, emlib.selection, emlib.plotting; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
