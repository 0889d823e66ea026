"""The book's Old Faithful fits against R's mixtools and mclust (tests/data/faithful_reference.json).

The values were made once by ``scripts/faithful_reference.R`` (provenance in the JSON): mixtools'
``normalmixEM`` on the waiting times from the start of Benaglia et al. (2009), the example of
latent_mle, and mclust's ``VVV`` fit with two components of both columns, the fit of soft_em.
From the same start (mixtools) or from emlib's own default start (mclust), emlib's EM reaches
the same optimum. No R is needed here.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import emlib

REFERENCE = json.loads((pathlib.Path(__file__).parent / "data" / "faithful_reference.json").read_text())
FITS = REFERENCE["fits"]


def reference_params(name: str) -> emlib.GMMParams:
    fit = FITS[name]
    return emlib.GMMParams(np.array(fit["weights"]), np.array(fit["means"]), np.array(fit["covariances"]))


def in_order_of_first_mean(params: emlib.GMMParams) -> emlib.GMMParams:
    order = np.argsort(params.means[:, -1])
    return emlib.GMMParams(params.weights[order], params.means[order], params.covariances[order])


def assert_same_mixture(ours: emlib.GMMParams, theirs: emlib.GMMParams, rtol: float) -> None:
    ours, theirs = in_order_of_first_mean(ours), in_order_of_first_mean(theirs)
    for name in ("weights", "means", "covariances"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=rtol, err_msg=name)


def test_the_data_are_rs_faithful():
    assert REFERENCE["provenance"]["data"] == "emlib/datasets/old_faithful.csv"
    assert emlib.datasets.old_faithful().shape == (272, 2)


def test_waiting_times_from_the_mixtools_start_reach_the_mixtools_fit():
    # latent_mle: two components, a variance each; mixtools' start λ = 0.5, μ = (55, 80), σ = 5.
    waiting = emlib.datasets.old_faithful()[:, 1:]
    start = emlib.GMMParams(np.array([0.5, 0.5]), np.array([[55.0], [80.0]]), np.full((2, 1, 1), 25.0))
    model = emlib.GaussianMixtureModel("full", reg_covar=0.0)
    fit = emlib.fit_em(model, waiting, start, tol=1e-13, max_iter=10_000)
    assert fit.converged
    assert fit.log_likelihoods[-1] == pytest.approx(FITS["waiting_mixtools"]["loglik"], rel=1e-11)
    assert_same_mixture(fit.params, reference_params("waiting_mixtools"), rtol=1e-6)
    assert round(fit.log_likelihoods[-1], 3) == -1034.002  # the value mixtools prints for this example


def test_both_columns_from_emlibs_default_start_reach_mclusts_vvv_fit():
    # soft_em: two components, a covariance matrix each, both columns; emlib's k-means++ start.
    X = emlib.datasets.old_faithful()
    fit = emlib.fit_gmm(X, 2, reg_covar=0.0, tol=1e-13, max_iter=10_000, random_state=0)
    assert fit.converged
    assert fit.log_likelihoods[-1] == pytest.approx(FITS["faithful_mclust"]["loglik"], rel=1e-11)
    assert_same_mixture(fit.params, reference_params("faithful_mclust"), rtol=1e-6)
    # mclust's BIC is 2ℓ − p log N (larger is better), with p = 11 free parameters here.
    assert -fit.bic(X) == pytest.approx(FITS["faithful_mclust"]["bic_mclust"], rel=1e-6)
