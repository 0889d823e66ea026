"""Bad input to every public function: a ValueError/TypeError whose message names the argument.

A NaN result, a raw numpy LinAlgError/IndexError, or a silent broadcast would all fail here.
"""

import numpy as np
import pytest

import emlib

ERR = (ValueError, TypeError)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.standard_normal((20, 2)), rng.standard_normal((20, 2)) + 4])
    params = emlib.GMMParams([0.5, 0.5], [[0.0, 0.0], [4.0, 4.0]], [np.eye(2), np.eye(2)])
    resp = emlib.e_step(x, params)
    return x, params, resp


def _with(x, idx, value):
    y = np.array(x, dtype=float)
    y[idx] = value
    return y


BAD_X = {
    "nan": lambda x: _with(x, (3, 1), np.nan),
    "inf": lambda x: _with(x, (0, 0), np.inf),
    "-inf": lambda x: _with(x, (5, 0), -np.inf),
    "1-D": lambda x: x[:, 0],
    "3-D": lambda x: x[None],
    "0-D": lambda x: np.float64(1.0),
    "no rows": lambda x: x[:0],
    "no columns": lambda x: x[:, :0],
    "complex": lambda x: x + 0j,
    "strings": lambda x: x.astype(str),
    "ragged list": lambda x: [[1.0, 2.0], [3.0]],
}


# --------------------------------------------------------------------------
# X, for every function that takes it
# --------------------------------------------------------------------------
@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_x_log_likelihood(data, case):
    x, params, _ = data
    with pytest.raises(ERR, match=r"\bX\b"):
        emlib.log_likelihood(BAD_X[case](x), params)


@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_x_component_log_densities(data, case):
    x, params, _ = data
    with pytest.raises(ERR, match=r"\bX\b"):
        emlib.component_log_densities(BAD_X[case](x), params)


@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_x_e_step(data, case):
    x, params, _ = data
    with pytest.raises(ERR, match=r"\bX\b"):
        emlib.e_step(BAD_X[case](x), params)


@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_x_m_step(data, case):
    x, _, resp = data
    with pytest.raises(ERR, match=r"\bX\b"):
        emlib.m_step(BAD_X[case](x), resp)


@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_x_fit_gmm(data, case):
    x, _, _ = data
    with pytest.raises(ERR, match=r"\bX\b"):
        emlib.fit_gmm(BAD_X[case](x), 2, random_state=0)


def test_nan_x_is_not_silently_fitted(data):
    x, params, _ = data
    y = _with(x, (0, 0), np.nan)
    with pytest.raises(ValueError, match="X.*NaN|NaN.*X"):
        emlib.fit_gmm(y, 2, init=params)


# --------------------------------------------------------------------------
# params / init mismatches
# --------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [emlib.log_likelihood, emlib.component_log_densities, emlib.e_step])
def test_params_dimension_mismatch(data, fn):
    x, params, _ = data
    x3 = np.column_stack([x, x[:, 0]])
    with pytest.raises(ValueError, match="params"):
        fn(x3, params)
    with pytest.raises(ValueError, match="params"):
        fn(x[:, :1], params)


@pytest.mark.parametrize("fn", [emlib.log_likelihood, emlib.component_log_densities, emlib.e_step])
def test_params_wrong_type(data, fn):
    x, params, _ = data
    with pytest.raises(TypeError, match="params"):
        fn(x, (params.weights, params.means, params.covariances))
    with pytest.raises(TypeError, match="params"):
        fn(x, None)


def test_fit_init_dimension_mismatch(data):
    x, _, _ = data
    init3 = emlib.GMMParams([0.5, 0.5], np.zeros((2, 3)), np.stack([np.eye(3)] * 2))
    with pytest.raises(ValueError, match="init"):
        emlib.fit_gmm(x, 2, init=init3)


def test_fit_init_component_count_mismatch(data):
    x, params, _ = data
    with pytest.raises(ValueError, match="init|n_components"):
        emlib.fit_gmm(x, 3, init=params)


@pytest.mark.parametrize("init", ["kmeans", "random", None, 3, ("a", "b")])
def test_fit_unknown_init(data, init):
    x, _, _ = data
    with pytest.raises(ERR, match="init"):
        emlib.fit_gmm(x, 2, init=init)


def test_n_init_with_explicit_init_rejected(data):
    # every run would start from the same parameters
    x, params, _ = data
    with pytest.raises(ValueError, match="n_init"):
        emlib.fit_gmm(x, 2, init=params, n_init=3)


# --------------------------------------------------------------------------
# n_components
# --------------------------------------------------------------------------
@pytest.mark.parametrize("k", [0, -1])
def test_n_components_below_one(data, k):
    x, _, _ = data
    with pytest.raises(ValueError, match="n_components"):
        emlib.fit_gmm(x, k)


@pytest.mark.parametrize("k", [2.5, 2.0, "2", None, True])
def test_n_components_not_an_integer(data, k):
    x, _, _ = data
    with pytest.raises(ERR, match="n_components"):
        emlib.fit_gmm(x, k)


def test_fewer_rows_than_components(data):
    x, _, _ = data
    with pytest.raises(ValueError, match="n_components"):
        emlib.fit_gmm(x[:3], 4)


def test_fewer_distinct_rows_than_components():
    x = np.vstack([np.zeros((10, 2)), np.ones((10, 2))])
    with pytest.raises(ValueError, match="n_components"):
        emlib.fit_gmm(x, 3, reg_covar=1e-3, random_state=0)


def test_constant_data_with_relative_default_reg_covar():
    # no spread to be relative to: the default falls back to 1e-6 × the mean squared value
    fit = emlib.fit_gmm(np.full((10, 2), 3.0), 1)
    assert fit.reg_covar == pytest.approx(9e-6, rel=1e-12)
    np.testing.assert_allclose(fit.params.covariances[0], 9e-6 * np.eye(2), rtol=1e-12)
    fit = emlib.fit_gmm(np.ones((10, 2)), 1, reg_covar=1e-3)
    np.testing.assert_allclose(fit.params.covariances[0], 1e-3 * np.eye(2))


# --------------------------------------------------------------------------
# scalar options
# --------------------------------------------------------------------------
@pytest.mark.parametrize("tol", [-1e-3, np.nan, np.inf, -np.inf])
def test_bad_tol(data, tol):
    x, params, _ = data
    with pytest.raises(ValueError, match="tol"):
        emlib.fit_gmm(x, 2, init=params, tol=tol)


@pytest.mark.parametrize("tol", ["1e-3", None, [1e-3]])
def test_tol_wrong_type(data, tol):
    x, params, _ = data
    with pytest.raises(ERR, match="tol"):
        emlib.fit_gmm(x, 2, init=params, tol=tol)


@pytest.mark.parametrize("reg", [-1e-6, np.nan, np.inf])
def test_bad_reg_covar_fit(data, reg):
    x, params, _ = data
    with pytest.raises(ValueError, match="reg_covar"):
        emlib.fit_gmm(x, 2, init=params, reg_covar=reg)


@pytest.mark.parametrize("reg", [-1e-6, np.nan, np.inf, "0.1", None])
def test_bad_reg_covar_m_step(data, reg):
    x, _, resp = data
    with pytest.raises(ERR, match="reg_covar"):
        emlib.m_step(x, resp, reg_covar=reg)


@pytest.mark.parametrize("max_iter", [-1, -100])
def test_negative_max_iter(data, max_iter):
    x, params, _ = data
    with pytest.raises(ValueError, match="max_iter"):
        emlib.fit_gmm(x, 2, init=params, max_iter=max_iter)


@pytest.mark.parametrize("max_iter", [1.5, 10.0, "10", None])
def test_max_iter_not_an_integer(data, max_iter):
    x, params, _ = data
    with pytest.raises(ERR, match="max_iter"):
        emlib.fit_gmm(x, 2, init=params, max_iter=max_iter)


@pytest.mark.parametrize("n_init", [0, -1, 1.5])
def test_bad_n_init(data, n_init):
    x, _, _ = data
    with pytest.raises(ERR, match="n_init"):
        emlib.fit_gmm(x, 2, n_init=n_init)


@pytest.mark.parametrize("ct", ["ful", "Full", "", None, 1, "diagonal"])
def test_unknown_covariance_type(data, ct):
    x, params, resp = data
    with pytest.raises(ValueError, match="covariance_type"):
        emlib.m_step(x, resp, covariance_type=ct)
    with pytest.raises(ValueError, match="covariance_type"):
        emlib.fit_gmm(x, 2, init=params, covariance_type=ct)


@pytest.mark.parametrize("state", ["seed", 1.5, [object()]])
def test_bad_random_state(data, state):
    x, _, _ = data
    with pytest.raises(ERR):
        emlib.fit_gmm(x, 2, random_state=state)


# --------------------------------------------------------------------------
# sample_weight
# --------------------------------------------------------------------------
BAD_W = {
    "negative": lambda n: np.r_[-1.0, np.ones(n - 1)],
    "nan": lambda n: np.r_[np.nan, np.ones(n - 1)],
    "inf": lambda n: np.r_[np.inf, np.ones(n - 1)],
    "too short": lambda n: np.ones(n - 1),
    "too long": lambda n: np.ones(n + 1),
    "2-D": lambda n: np.ones((n, 1)),
    "scalar": lambda n: 1.0,
    "all zero": lambda n: np.zeros(n),
    "complex": lambda n: np.ones(n) + 0j,
}


@pytest.mark.parametrize("case", list(BAD_W))
def test_bad_sample_weight_log_likelihood(data, case):
    x, params, _ = data
    with pytest.raises(ERR, match="sample_weight"):
        emlib.log_likelihood(x, params, sample_weight=BAD_W[case](len(x)))


@pytest.mark.parametrize("case", list(BAD_W))
def test_bad_sample_weight_m_step(data, case):
    x, _, resp = data
    with pytest.raises(ERR, match="sample_weight"):
        emlib.m_step(x, resp, sample_weight=BAD_W[case](len(x)))


@pytest.mark.parametrize("case", list(BAD_W))
def test_bad_sample_weight_fit_gmm(data, case):
    x, params, _ = data
    with pytest.raises(ERR, match="sample_weight"):
        emlib.fit_gmm(x, 2, init=params, sample_weight=BAD_W[case](len(x)))
    with pytest.raises(ERR, match="sample_weight"):
        emlib.fit_gmm(x, 2, sample_weight=BAD_W[case](len(x)), random_state=0)


# --------------------------------------------------------------------------
# responsibilities (m_step)
# --------------------------------------------------------------------------
BAD_R = {
    "too few rows": lambda r: r[:-1],
    "too many rows": lambda r: np.vstack([r, r[:1]]),
    "1-D": lambda r: r[:, 0],
    "3-D": lambda r: r[None],
    "negative": lambda r: _with(np.c_[r[:, :1] + 0.5, r[:, 1:] - 0.5], (0, 1), -0.5),
    "rows not summing to one": lambda r: 0.5 * r,
    "nan": lambda r: _with(r, (2, 0), np.nan),
    "no columns": lambda r: r[:, :0],
}


@pytest.mark.parametrize("case", list(BAD_R))
def test_bad_responsibilities(data, case):
    x, _, resp = data
    with pytest.raises(ERR, match="responsibilities"):
        emlib.m_step(x, BAD_R[case](resp))


# --------------------------------------------------------------------------
# datasets.sample_gmm
# --------------------------------------------------------------------------
def test_sample_gmm_bad_arguments(data):
    _, params, _ = data
    with pytest.raises(ERR, match=r"\bn\b"):
        emlib.datasets.sample_gmm(params, -1, np.random.default_rng(0))
    with pytest.raises(ERR, match=r"\bn\b"):
        emlib.datasets.sample_gmm(params, 2.5, np.random.default_rng(0))
    with pytest.raises(TypeError, match="params"):
        emlib.datasets.sample_gmm((params.weights, params.means, params.covariances), 10, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        emlib.datasets.sample_gmm(params, 10, "seed")
