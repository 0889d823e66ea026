"""Data sets used in the book: Old Faithful, the apple trees, the earthquake counts, the geyser series, the real data sets of the benchmark panel, and samples from a mixture."""

from __future__ import annotations

import csv
import json
from importlib import resources

import numpy as np

from .._validation import check_count, check_seed
from ..params import GMMParams

__all__ = [
    "apple_trees",
    "banknote",
    "crabs",
    "diabetes",
    "earthquakes",
    "earthquakes_em_tables",
    "geyser",
    "iris",
    "old_faithful",
    "panel",
    "sample_gmm",
    "thyroid",
    "wreath",
]


def old_faithful() -> np.ndarray:
    """The Old Faithful geyser data: 272 eruptions, shipped inside emlib.

    The data of R's ``datasets::faithful`` (after Härdle 1991; Azzalini and Bowman 1990),
    which Bishop (2006, ch. 9) uses to illustrate EM. Provenance: ``emlib/datasets/README.md``.

    Returns
    -------
    ndarray of shape (272, 2)
        Column 0: eruption length (minutes); column 1: waiting time to the next eruption
        (minutes).
    """
    with resources.files(__package__).joinpath("old_faithful.csv").open("r") as handle:
        return np.loadtxt(handle, delimiter=",", skiprows=1, dtype=np.float64)


def apple_trees() -> np.ndarray:
    """Little and Rubin's 18 apple trees: crop size and wormy fruit, with 6 entries missing, shipped inside emlib.

    From Snedecor and Cochran (1967), *Statistical Methods*, 6th ed., as used by Little and
    Rubin (1987), *Statistical Analysis with Missing Data*, for maximum likelihood with a
    monotone pattern; exported from R's ``mvnmle`` package. The percentage of wormy fruit is
    missing for the last 6 trees (a monotone pattern: ``size`` is always observed). Provenance:
    ``emlib/datasets/README.md``; the book's chapter on missing data fits it.

    Returns
    -------
    ndarray of shape (18, 2), float64
        Column 0: size of the crop (hundreds of fruit); column 1: percentage of the fruit with
        worms, ``NaN`` where missing (rows 12 to 17).
    """
    with resources.files(__package__).joinpath("apple_trees.csv").open("r", newline="") as handle:
        rows = list(csv.reader(handle))[1:]  # the first row is the header "size","worms"
    return np.array([[np.nan if entry == "NA" else float(entry) for entry in row] for row in rows])


def earthquakes() -> np.ndarray:
    """Annual counts of major earthquakes (magnitude 7 or more) in the world, 1900–2006, shipped inside emlib.

    The series of Zucchini and MacDonald (2009), *Hidden Markov Models for Time Series*, Table
    1.1 (2nd ed. with Langrock, 2016), from the U.S. Geological Survey's earthquake data base:
    the classic example of a Poisson hidden Markov model. Provenance: ``emlib/datasets/README.md``.

    Returns
    -------
    ndarray of shape (107, 2), float64
        Column 0: the year; column 1: the number of earthquakes in it.
    """
    with resources.files(__package__).joinpath("earthquakes.csv").open("r") as handle:
        return np.loadtxt(handle, delimiter=",", skiprows=1, dtype=np.float64)


def earthquakes_em_tables() -> dict:
    """Zucchini and MacDonald's (2009) Tables 4.1 and 4.2: EM for Poisson HMMs of :func:`earthquakes`, as printed.

    Returns
    -------
    dict
        ``"two_states"`` and ``"three_states"``, each with its ``"start"`` (transition matrix,
        rates and start distribution δ), its ``"columns"``, its ``"rows"`` (the iteration number,
        then the printed values as strings, keeping their digits) and the values at
        ``"convergence"``; and ``"source"``, the provenance.
    """
    with resources.files(__package__).joinpath("earthquakes_em.json").open("r") as handle:
        return json.load(handle)


def geyser() -> np.ndarray:
    """299 consecutive eruptions of Old Faithful, August 1–15, 1985 (Azzalini and Bowman 1990), shipped inside emlib.

    R's ``MASS::geyser``, in time order: the series Zucchini, MacDonald and Langrock (2016)
    analyse as a hidden Markov model. Not R's ``faithful`` (:func:`old_faithful`), a different
    recording. Some nocturnal durations were recorded only as short, medium or long and are
    coded 2, 3 or 4 minutes. Provenance: ``emlib/datasets/README.md``.

    Returns
    -------
    ndarray of shape (299, 2), float64
        Column 0: the duration of the eruption (minutes); column 1: the waiting time before it
        (minutes), from the end of the previous eruption's record.
    """
    with resources.files(__package__).joinpath("geyser.csv").open("r") as handle:
        return np.loadtxt(handle, delimiter=",", skiprows=1, dtype=np.float64)


def sample_gmm(params: GMMParams, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Draw n points from a Gaussian mixture, with the component that generated each.

    Each label z_n is drawn from Categorical(π), then x_n = μ_{z_n} + L_{z_n} ε_n with
    ε_n ~ N(0, I) and L the Cholesky factor of Σ_{z_n}.

    Parameters
    ----------
    params : GMMParams
        The mixture (K components, D features).
    n : int
        Number of points (>= 0).
    rng : numpy.random.Generator or int
        Random generator, or a seed for ``numpy.random.default_rng``.

    Returns
    -------
    X : ndarray of shape (n, D)
        The sample.
    labels : ndarray of shape (n,), int
        The component of each point, in 0..K-1.
    """
    if not isinstance(params, GMMParams):
        raise TypeError(f"params must be an emlib.GMMParams; got {type(params).__name__}")
    n = check_count(n, "n", minimum=0)
    rng = check_seed(rng, "rng")  # a sample must be reproducible: no silent fresh entropy here
    labels = rng.choice(params.n_components, size=n, p=params.weights)
    noise = rng.standard_normal((n, params.n_features))
    X = np.empty((n, params.n_features))
    for k in range(params.n_components):
        members = labels == k
        X[members] = params.means[k] + noise[members] @ params.covariance_cholesky[k].T
    return X, labels


# ---------------------------------------------------------------------------------------------
# The real data sets of the benchmark panel (benchmarks/panel.py), exported from R by
# scripts/panel_datasets.R; provenance in emlib/datasets/README.md.


def iris(return_labels: bool = False):
    """Edgar Anderson's iris data: four measurements of 150 flowers, 50 of each of three species.

    R's ``datasets::iris`` (R 4.2.2), after Anderson (1935) and Fisher (1936), "The use of
    multiple measurements in taxonomic problems", *Annals of Eugenics* 7, 179–188.
    Provenance: ``emlib/datasets/README.md``.

    Parameters
    ----------
    return_labels : bool, default False
        Also return the species of each flower.

    Returns
    -------
    X : ndarray of shape (150, 4), float64
        Sepal length, sepal width, petal length, petal width (centimetres).
    labels : ndarray of shape (150,), str
        Only if ``return_labels``: "setosa", "versicolor" or "virginica".
    """
    return _labelled("iris.csv", n_numeric=4, return_labels=return_labels)


def diabetes(return_labels: bool = False):
    """Reaven and Miller's diabetes data as shipped (flawed) in mclust: three measurements of 145 patients.

    mclust's ``diabetes`` (mclust 6.0.0), after Reaven and Miller (1979), "An attempt to define
    the nature of chemical diabetes using a multidimensional analysis", *Diabetologia* 16,
    17–24. mclust marks this version as flawed (one entry differs from the original) and keeps it
    for backward compatibility; it is shipped here unchanged. Provenance:
    ``emlib/datasets/README.md``.

    Parameters
    ----------
    return_labels : bool, default False
        Also return the clinical class of each patient.

    Returns
    -------
    X : ndarray of shape (145, 3), float64
        glucose: area under the plasma glucose curve of a three-hour oral glucose tolerance test;
        insulin: area under the plasma insulin curve of the same test; sspg: steady-state plasma
        glucose (units as in the source; not stated by mclust).
    labels : ndarray of shape (145,), str
        Only if ``return_labels``: "Normal", "Chemical" or "Overt" (diabetes).
    """
    return _labelled("diabetes.csv", n_numeric=3, return_labels=return_labels)


def banknote(return_labels: bool = False):
    """The Swiss banknote data: six measurements of 100 genuine and 100 counterfeit 1000-franc notes.

    mclust's ``banknote`` (mclust 6.0.0), from Flury and Riedwyl (1988), *Multivariate
    Statistics: A Practical Approach*, Chapman & Hall, tables 1.1 and 1.2. Provenance:
    ``emlib/datasets/README.md``.

    Parameters
    ----------
    return_labels : bool, default False
        Also return the status of each note.

    Returns
    -------
    X : ndarray of shape (200, 6), float64
        Length of the bill, width of the left edge, width of the right edge, bottom margin, top
        margin, length of the diagonal (millimetres).
    labels : ndarray of shape (200,), str
        Only if ``return_labels``: "genuine" or "counterfeit".
    """
    return _labelled("banknote.csv", n_numeric=6, return_labels=return_labels)


def thyroid(return_labels: bool = False):
    """The new-thyroid data: five laboratory tests of 215 patients, with their diagnosis.

    mclust's ``thyroid`` (mclust 6.0.0): ``new-thyroid.data`` of the UCI Machine Learning
    Repository's Thyroid Disease data set, after Coomans, Broeckaert, Jonckheer and Massart
    (1983), *Methods of Information in Medicine* 22, 93–101. Provenance:
    ``emlib/datasets/README.md``.

    Parameters
    ----------
    return_labels : bool, default False
        Also return the diagnosis of each patient.

    Returns
    -------
    X : ndarray of shape (215, 5), float64
        RT3U: T3-resin uptake (percent); T4: total serum thyroxin; T3: total serum
        triiodothyronine; TSH: basal thyroid-stimulating hormone; DTSH: maximal absolute
        difference of TSH after an injection of 200 µg of thyrotropin-releasing hormone.
    labels : ndarray of shape (215,), str
        Only if ``return_labels``: "Normal", "Hypo" or "Hyper".
    """
    return _labelled("thyroid.csv", n_numeric=5, return_labels=return_labels)


def wreath() -> np.ndarray:
    """The wreath data: 1000 points in the plane simulated from a 14-component Gaussian mixture.

    mclust's ``wreath`` (mclust 6.0.0), from Fraley, Raftery and Wehrens (2005), "Incremental
    model-based clustering for large datasets with small clusters", *Journal of Computational
    and Graphical Statistics* 14(3), 529–546: components of equal size and shape arranged in a
    ring, differing in orientation. The component of each point is not published. Provenance:
    ``emlib/datasets/README.md``.

    Returns
    -------
    ndarray of shape (1000, 2), float64
        The two coordinates (no units).
    """
    return _labelled("wreath.csv", n_numeric=2, return_labels=False)


def crabs(return_labels: bool = False):
    """Campbell and Mahon's Leptograpsus crabs: five measurements of 200 crabs, 50 per colour form and sex.

    MASS's ``crabs`` (MASS 7.3-58.2; Venables and Ripley 2002, *Modern Applied Statistics with
    S*), from Campbell and Mahon (1974), *Australian Journal of Zoology* 22, 417–425. The column
    ``index`` (the number within each group) is not included. Provenance:
    ``emlib/datasets/README.md``.

    Parameters
    ----------
    return_labels : bool, default False
        Also return the group of each crab.

    Returns
    -------
    X : ndarray of shape (200, 5), float64
        FL: frontal lobe size; RW: rear width; CL: carapace length; CW: carapace width; BD: body
        depth (millimetres).
    labels : ndarray of shape (200,), str
        Only if ``return_labels``: colour form and sex joined by "/": "B/F", "B/M", "O/F" or
        "O/M" (B blue, O orange; F female, M male).
    """
    return _labelled("crabs.csv", n_numeric=5, return_labels=return_labels)


def panel() -> dict:
    """The data sets of the benchmark panel (``benchmarks/panel.py``), in its order.

    Returns
    -------
    dict of str to callable
        A new dict each call, name → loader; every loader called with no argument returns a
        float64 array of shape (N, D): "old_faithful" (272, 2), "iris" (150, 4), "diabetes"
        (145, 3), "banknote" (200, 6), "thyroid" (215, 5), "wreath" (1000, 2), "crabs" (200, 5).
    """
    return {
        "old_faithful": old_faithful,
        "iris": iris,
        "diabetes": diabetes,
        "banknote": banknote,
        "thyroid": thyroid,
        "wreath": wreath,
        "crabs": crabs,
    }


def _labelled(filename: str, n_numeric: int, return_labels):
    """The numeric columns of a shipped CSV as float64 (N, D), and, if asked, its label column(s) joined by "/"."""
    if not isinstance(return_labels, (bool, np.bool_)):
        raise TypeError(f"return_labels must be True or False; got {type(return_labels).__name__}")
    with resources.files(__package__).joinpath(filename).open("r", newline="") as handle:
        rows = list(csv.reader(handle))[1:]  # the first row is the header
    X = np.array([row[:n_numeric] for row in rows], dtype=np.float64)
    if not return_labels:
        return X
    labels = np.array(["/".join(row[n_numeric:]) for row in rows], dtype=str)
    return X, labels
