"""fit_gmm on a Dask array (emlib/blockwise.py): the E-step by blocks of rows, reduced, on threads and on a cluster.

The blockwise E-step's log-likelihood and sufficient statistics are checked against a brute-force
computation with scipy.stats.multivariate_normal and scipy.special.logsumexp (book eqs.
:eq:`soft-em-responsibilities`, :eq:`soft-em-nk`, :eq:`soft-em-mu`, :eq:`soft-em-sigma`); the whole
fit on a Dask array against the in-memory fit_gmm from the same start, which the specification
asks it to equal (to 1e-10 relative), on Dask's threaded scheduler with uneven and column-split
chunks, and on a dask.distributed LocalCluster of two worker processes that this module starts
and stops.
"""

from __future__ import annotations

import subprocess
import sys

import dask
import dask.array as da
import numpy as np
import pytest
from dask.utils import key_split
from distributed import Client, LocalCluster, get_task_stream
from scipy.special import logsumexp
from scipy.stats import kstest, multivariate_normal

import emlib
from emlib.blockwise import (
    BlockwiseGaussianMixture,
    check_blockwise_data,
    is_dask_array,
    subsample_rows,
)

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
RTOL = 1e-10
TRUTH = emlib.GMMParams(
    [0.3, 0.5, 0.2],
    [[0.0, 0.0, 0.0], [4.0, 1.0, -2.0], [-3.0, 3.0, 1.0]],
    [np.eye(3), [[1.0, 0.4, 0.0], [0.4, 0.8, 0.1], [0.0, 0.1, 0.5]], 0.6 * np.eye(3) + 0.1],
)
X, _ = emlib.datasets.sample_gmm(TRUTH, 2000, np.random.default_rng(0))
#: uneven row chunks, the first of them with every weight zero (below), and the columns split (rechunked)
UNEVEN = ((100, 600, 1, 899, 400), (2, 1))
WEIGHTS = np.random.default_rng(1).uniform(0.0, 3.0, len(X))
WEIGHTS[:100] = 0.0
WEIGHTS[1000:1040] = 0.0


def _relative(actual, expected) -> float:
    """max |a − e| / max |e|: the error relative to the array's scale."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def _assert_same_fit(fit, reference):
    assert fit.n_iter == reference.n_iter and fit.converged == reference.converged
    assert fit.method == reference.method and fit.n_evaluations == reference.n_evaluations
    for name in ("log_likelihoods", "objectives"):
        np.testing.assert_allclose(getattr(fit, name), getattr(reference, name), rtol=RTOL, atol=0)
    for name in ("weights", "means", "covariances"):
        assert _relative(getattr(fit.params, name), getattr(reference.params, name)) < RTOL, name
    assert _relative(fit.model.covariance_prior, reference.model.covariance_prior) < RTOL
    np.testing.assert_array_equal(fit.degenerate, reference.degenerate)
    assert fit.posterior is None


def _start(covariance_type: str) -> emlib.GMMParams:
    return emlib.fit_gmm(X, 3, covariance_type=covariance_type, max_iter=0, random_state=2).params


def test_is_dask_array():
    assert is_dask_array(da.from_array(X))
    assert not is_dask_array(X) and not is_dask_array(X.tolist()) and not is_dask_array(None)


def test_numpy_input_does_not_import_dask():
    code = (
        "import sys, numpy as np, emlib\n"
        "emlib.fit_gmm(np.arange(20.0).reshape(10, 2), 1, max_iter=1)\n"
        "assert not any(name == 'dask' or name.startswith('dask.') for name in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_blockwise_e_step_equals_scipy():
    # book eqs. (soft-em-responsibilities), (soft-em-nk), (soft-em-mu), (soft-em-sigma), brute force in scipy
    params = _start("full")
    model = BlockwiseGaussianMixture(emlib.GaussianMixtureModel())
    data = check_blockwise_data(da.from_array(X, chunks=UNEVEN), WEIGHTS)
    with dask.config.set(scheduler="threads"):
        estep = model.expectation(data, data.weight_total, params)
    log_joint = np.column_stack(
        [
            np.log(params.weights[k]) + multivariate_normal(params.means[k], params.covariances[k]).logpdf(X)
            for k in range(3)
        ]
    )
    log_marginal = logsumexp(log_joint, axis=1)
    weighted = WEIGHTS[:, None] * np.exp(log_joint - log_marginal[:, None])
    counts = weighted.sum(axis=0)
    means = weighted.T @ X / counts[:, None]
    scatter = np.stack([(weighted[:, k] * (X - means[k]).T) @ (X - means[k]) for k in range(3)])
    np.testing.assert_allclose(estep.log_likelihood, WEIGHTS @ log_marginal, rtol=1e-12)
    np.testing.assert_allclose(estep.statistics.counts, counts, rtol=1e-12)
    assert _relative(estep.statistics.means, means) < 1e-12
    assert _relative(estep.statistics.scatter, scatter) < 1e-12
    np.testing.assert_allclose(estep.statistics.total, WEIGHTS.sum(), rtol=1e-14)
    assert data.weight_total.sum() == pytest.approx(WEIGHTS.sum(), rel=1e-14) and data.n_positive == 1860


def test_the_default_prior_before_any_e_step_is_the_data_scaled_prior():
    # book eq. (soft-em-data-prior): Ψ = 1e-6 (Σ_n w_n) T, T the weighted covariance of X ("full"), by one pass over X
    model = BlockwiseGaussianMixture(emlib.GaussianMixtureModel())
    data = check_blockwise_data(da.from_array(X, chunks=UNEVEN), WEIGHTS)
    with dask.config.set(scheduler="threads"):
        prior_scale = model.regulariser(data).prior_scale
    expected = 1e-6 * WEIGHTS.sum() * np.cov(X, rowvar=False, aweights=WEIGHTS, bias=True)
    assert _relative(prior_scale, expected) < 1e-12


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_dask_fit_equals_the_in_memory_fit(covariance_type, weighted):
    start, weights = _start(covariance_type), WEIGHTS if weighted else None
    reference = emlib.fit_gmm(X, 3, init=start, covariance_type=covariance_type, sample_weight=weights, tol=1e-9)
    dask_weights = None if weights is None else da.from_array(weights, chunks=700)  # rechunked like X's rows
    with dask.config.set(scheduler="threads"):
        fit = emlib.fit_gmm(
            da.from_array(X, chunks=UNEVEN),
            3,
            init=start,
            covariance_type=covariance_type,
            sample_weight=dask_weights,
            tol=1e-9,
        )
    assert reference.n_iter > 3
    _assert_same_fit(fit, reference)
    # fit.model carries Ψ in the units of X: the in-memory model continues the fit from where it stopped
    resumed = emlib.fit_em(fit.model, X, fit.params, sample_weight=weights, max_iter=0)
    np.testing.assert_allclose(resumed.objectives[0], fit.objectives[-1], rtol=RTOL)


def test_numpy_weights_and_an_absolute_reg_covar():
    start = _start("diag")
    reference = emlib.fit_gmm(X, 3, init=start, covariance_type="diag", sample_weight=WEIGHTS, reg_covar=1e-3)
    with dask.config.set(scheduler="threads"):
        fit = emlib.fit_gmm(
            da.from_array(X, chunks=500), 3, init=start, covariance_type="diag", sample_weight=WEIGHTS, reg_covar=1e-3
        )
    assert fit.model.covariance_prior is None and fit.model.reg_covar == 1e-3
    np.testing.assert_allclose(fit.log_likelihoods, reference.log_likelihoods, rtol=RTOL, atol=0)
    assert _relative(fit.params.covariances, reference.params.covariances) < RTOL


def test_squarem_on_dask_equals_squarem_in_memory():
    start = _start("full")
    reference = emlib.fit_gmm(X, 3, init=start, method="squarem", tol=1e-9)
    with dask.config.set(scheduler="threads"):
        fit = emlib.fit_gmm(da.from_array(X, chunks=UNEVEN), 3, init=start, method="squarem", tol=1e-9)
    assert reference.n_iter > 1
    _assert_same_fit(fit, reference)


def test_subsample_rows_is_a_reproducible_uniform_sample():
    rows = np.arange(30_000.0)[:, None] * [1.0, -1.0]
    data = check_blockwise_data(da.from_array(rows, chunks=(7000, 1)))
    with dask.config.set(scheduler="threads"):
        first, weights = subsample_rows(data, 10_000, 5)
        again, _ = subsample_rows(data, 10_000, np.random.default_rng(5))
        other, _ = subsample_rows(data, 10_000, 6)
        everything, _ = subsample_rows(data, 50_000, 5)
    assert weights is None and first.shape == (10_000, 2)
    index = first[:, 0]
    assert np.all(np.diff(index) > 0) and np.array_equal(first[:, 1], -index)  # distinct rows of X, in order
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    np.testing.assert_array_equal(everything, rows)
    assert kstest(index / 30_000, "uniform").pvalue > 1e-3  # uniform over the rows


def test_the_default_start_reaches_the_in_memory_fit():
    # a start from a converged fit on 10 000 of the 30 000 rows; the full fit reaches the in-memory optimum
    truth = emlib.GMMParams([0.4, 0.6], [[0.0, 0.0], [3.0, 1.0]], [np.eye(2), [[0.5, 0.1], [0.1, 0.3]]])
    Y, _ = emlib.datasets.sample_gmm(truth, 30_000, np.random.default_rng(3))
    reference = emlib.fit_gmm(Y, 2, random_state=0)
    with dask.config.set(scheduler="threads"):
        fit = emlib.fit_gmm(da.from_array(Y, chunks=4000), 2, random_state=0)
    assert fit.converged and 0 < fit.n_iter < reference.n_iter
    np.testing.assert_allclose(fit.log_likelihoods[-1], reference.log_likelihoods[-1], rtol=1e-6)


def test_options_that_need_every_row_are_refused():
    dask_X, start = da.from_array(X, chunks=500), _start("full")
    for method in ("hard", "ecg", "hybrid"):
        with pytest.raises(ValueError, match=f"method='{method}' is not available on a Dask array"):
            emlib.fit_gmm(dask_X, 3, init=start, method=method)
    with pytest.raises(ValueError, match="prior"):
        emlib.fit_gmm(dask_X, 3, init=start, prior="default")
    with pytest.raises(ValueError, match="missing='em' is not available"):
        emlib.fit_gmm(dask_X, 3, init=start, missing="em")
    with pytest.raises(ValueError, match="conjugate prior"):
        BlockwiseGaussianMixture(emlib.GaussianMixtureModel(prior="default"))
    with pytest.raises(TypeError, match="GaussianMixtureModel"):
        BlockwiseGaussianMixture(emlib.PoissonMixture())
    with dask.config.set(scheduler="threads"), pytest.raises(ValueError, match="method='hard'"):
        emlib.fit_em(BlockwiseGaussianMixture(emlib.GaussianMixtureModel()), dask_X, start, method="hard")


def test_bad_input_gets_a_clear_error():
    dask_X, start = da.from_array(X, chunks=500), _start("full")
    with pytest.raises(ValueError, match=r"sample_weight must have one entry per row of X \(2000\); got 1999"):
        emlib.fit_gmm(dask_X, 3, init=start, sample_weight=da.ones(1999))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        emlib.fit_gmm(dask_X, 3, init=start, sample_weight=-da.ones(2000))
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        emlib.fit_gmm(dask_X, 3, init=start, sample_weight=np.full(2000, np.nan))
    with pytest.raises(ValueError, match="2-D"):
        emlib.fit_gmm(dask_X[:, 0], 1)
    with pytest.raises(TypeError, match="real numbers"):
        emlib.fit_gmm(dask_X.astype(complex), 3)
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        emlib.fit_gmm(dask_X[dask_X[:, 0] > 0], 3)
    with pytest.raises(ValueError, match=r"n_components \(3\) must not exceed .* \(2\)"):
        emlib.fit_gmm(dask_X, 3, sample_weight=np.r_[1.0, 1.0, np.zeros(1998)])
    with pytest.raises(ValueError, match="init has dimension 2 but X has 3 columns"):
        emlib.fit_gmm(dask_X, 1, init=emlib.GMMParams([1.0], [[0.0, 0.0]], [np.eye(2)]))
    with_nan = X.copy()
    with_nan[1234, 1] = np.nan
    with dask.config.set(scheduler="threads"), pytest.raises(ValueError, match=r"X contains NaN .*\(row 1234\)"):
        emlib.fit_gmm(da.from_array(with_nan, chunks=UNEVEN), 3, init=start)


# --- on a dask.distributed cluster: the last tests of the module (the client becomes the default scheduler) ----


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


@pytest.mark.parametrize(("covariance_type", "weighted"), [("full", True), ("spherical", False)])
def test_dask_fit_on_a_local_cluster_equals_the_in_memory_fit(client, covariance_type, weighted):
    start, weights = _start(covariance_type), WEIGHTS if weighted else None
    options = dict(init=start, covariance_type=covariance_type, sample_weight=weights, max_iter=4, tol=0.0)
    with pytest.warns(emlib.ConvergenceWarning):  # four iterations, as many E-steps as the cluster need run
        reference = emlib.fit_gmm(X, 3, **options)
    with get_task_stream(client) as stream, pytest.warns(emlib.ConvergenceWarning):
        fit = emlib.fit_gmm(da.from_array(X, chunks=UNEVEN), 3, **options)
    _assert_same_fit(fit, reference)
    block_tasks = [task for task in stream.data if key_split(task["key"]) == "block_expectation"]
    # one task per block of rows per E-step, each run by one of the cluster's two worker processes
    assert len(block_tasks) == len(UNEVEN[0]) * (fit.n_evaluations + 1)
    assert {task["worker"] for task in block_tasks} <= set(client.scheduler_info()["workers"])
    transitions = client.run(lambda dask_worker: dask_worker.state.transition_counter)
    assert len(transitions) == 2 and all(count > 0 for count in transitions.values())


def test_the_estimator_fits_a_dask_array_and_predicts_lazily():
    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(0.0, 1.0, (300, 2)), rng.normal(5.0, 1.0, (200, 2))])
    lazy = da.from_array(X, chunks=(128, 2))
    start = emlib.fit_gmm(X, 2, max_iter=0, random_state=0).params
    in_memory = emlib.GaussianMixture(2).fit(X)  # an independent fit: the estimator's own in-memory path
    estimator = emlib.GaussianMixture(2, random_state=0)
    estimator.fit(lazy)
    assert estimator.fit_result_.posterior is None
    assert estimator.score(X) == pytest.approx(in_memory.score(X), rel=1e-6)
    np.testing.assert_allclose(estimator.predict_proba(lazy).compute(), estimator.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(estimator.predict(lazy).compute(), estimator.predict(X))
    np.testing.assert_allclose(estimator.score_samples(lazy).compute(), estimator.score_samples(X), rtol=1e-13)
    with pytest.raises(ValueError, match="means_init .* not supported for a Dask array"):
        emlib.GaussianMixture(2, means_init=start.means).fit(lazy)
