"""Data sets used in the book: the Old Faithful eruptions, and samples drawn from a mixture."""

from __future__ import annotations

from importlib import resources

import numpy as np

from .._validation import check_count, check_seed
from ..params import GMMParams

__all__ = ["old_faithful", "sample_gmm"]


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
