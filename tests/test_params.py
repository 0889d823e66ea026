"""emlib.GMMParams: construction, immutability and validation.

θ = (π, μ, Σ) of book eq. (gmm-density).
"""

import dataclasses

import numpy as np
import pytest

import emlib


def _valid(k=2, d=3):
    rng = np.random.default_rng(0)
    w = np.full(k, 1.0 / k)
    mu = rng.standard_normal((k, d))
    a = rng.standard_normal((k, d, d))
    cov = a @ np.swapaxes(a, 1, 2) + d * np.eye(d)
    return w, mu, cov


# --------------------------------------------------------------------------
# construction
# --------------------------------------------------------------------------
@pytest.mark.parametrize("k,d", [(1, 1), (1, 3), (3, 1), (2, 2), (4, 5)])
def test_attributes_shapes_and_dtype(k, d):
    w, mu, cov = _valid(k, d)
    p = emlib.GMMParams(w, mu, cov)
    assert p.n_components == k
    assert p.n_features == d
    assert p.weights.shape == (k,)
    assert p.means.shape == (k, d)
    assert p.covariances.shape == (k, d, d)
    for a in (p.weights, p.means, p.covariances):
        assert isinstance(a, np.ndarray)
        assert a.dtype == np.float64
    np.testing.assert_array_equal(p.weights, w)
    np.testing.assert_array_equal(p.means, mu)
    np.testing.assert_array_equal(p.covariances, cov)


def test_accepts_lists_and_integer_arrays():
    p = emlib.GMMParams([1, 0], [[0, 0], [1, 2]], [np.eye(2, dtype=int), 2 * np.eye(2, dtype=int)])
    assert p.weights.dtype == p.means.dtype == p.covariances.dtype == np.float64
    np.testing.assert_array_equal(p.weights, [1.0, 0.0])
    np.testing.assert_array_equal(p.covariances[1], 2 * np.eye(2))


def test_zero_weight_is_allowed():
    # weights are only required to be non-negative and to sum to 1
    w, mu, cov = _valid(3, 2)
    p = emlib.GMMParams([0.0, 0.25, 0.75], mu, cov)
    assert p.weights[0] == 0.0


def test_weights_summing_to_one_up_to_rounding_are_accepted():
    k = 7
    w = np.full(k, 1.0 / k)  # sums to 1 only up to rounding
    _, mu, cov = _valid(k, 2)
    emlib.GMMParams(w, mu, cov)
    w = np.random.default_rng(1).dirichlet(np.ones(k))
    emlib.GMMParams(w, mu, cov)


def test_ill_conditioned_but_positive_definite_covariance_is_accepted():
    cov = np.diag([1e-8, 1.0, 1e6])[None]
    p = emlib.GMMParams([1.0], np.zeros((1, 3)), cov)
    np.testing.assert_array_equal(p.covariances[0], np.diag([1e-8, 1.0, 1e6]))


# --------------------------------------------------------------------------
# immutability
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["weights", "means", "covariances"])
def test_attribute_assignment_fails(name):
    p = emlib.GMMParams(*_valid())
    with pytest.raises(AttributeError):  # dataclasses.FrozenInstanceError is an AttributeError
        setattr(p, name, getattr(p, name).copy())
    with pytest.raises(AttributeError):
        delattr(p, name)


def test_new_attribute_cannot_be_added():
    p = emlib.GMMParams(*_valid())
    with pytest.raises(AttributeError):
        p.foo = 1


@pytest.mark.parametrize("name", ["weights", "means", "covariances"])
def test_arrays_are_read_only(name):
    p = emlib.GMMParams(*_valid())
    a = getattr(p, name)
    assert not a.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        a[...] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        a += 1.0


def test_construction_copies_the_inputs():
    # mutating the caller's arrays afterwards must not change the parameters,
    # and the caller's arrays are not frozen as a side effect.
    w, mu, cov = _valid()
    p = emlib.GMMParams(w, mu, cov)
    w_before, mu_before, cov_before = w.copy(), mu.copy(), cov.copy()
    assert w.flags.writeable and mu.flags.writeable and cov.flags.writeable
    w[:] = [1.0, 0.0]
    mu[:] = 123.0
    cov[:] = 7 * np.eye(3)
    np.testing.assert_array_equal(p.weights, w_before)
    np.testing.assert_array_equal(p.means, mu_before)
    np.testing.assert_array_equal(p.covariances, cov_before)


def test_is_a_frozen_dataclass_or_equivalent():
    p = emlib.GMMParams(*_valid())
    if dataclasses.is_dataclass(p):
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.weights = p.weights
    # in any case the documented attributes are there and read-only
    assert {"weights", "means", "covariances"} <= set(dir(p))


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "weights",
    [
        [-0.1, 1.1],  # negative
        [0.5, 0.6],  # does not sum to 1
        [0.2, 0.2],  # does not sum to 1
        [np.nan, 1.0],
        [np.inf, 0.0],
        [1.0],  # wrong length
        [[0.5, 0.5]],  # wrong ndim
    ],
)
def test_invalid_weights(weights):
    _, mu, cov = _valid(2, 3)
    with pytest.raises((ValueError, TypeError), match="weights"):
        emlib.GMMParams(weights, mu, cov)


def test_weights_summing_to_one_only_within_1e_3_are_rejected():
    _, mu, cov = _valid(2, 3)
    with pytest.raises(ValueError, match="weights"):
        emlib.GMMParams([0.5, 0.501], mu, cov)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda mu: mu[:1],  # K mismatch with weights
        lambda mu: mu[0],  # 1-D
        lambda mu: mu[None],  # 3-D
        lambda mu: np.where(np.arange(mu.size).reshape(mu.shape) == 0, np.nan, mu),
        lambda mu: np.where(np.arange(mu.size).reshape(mu.shape) == 0, np.inf, mu),
        lambda mu: np.where(np.arange(mu.size).reshape(mu.shape) == 0, -np.inf, mu),
    ],
    ids=["k-mismatch", "1d", "3d", "nan", "inf", "-inf"],
)
def test_invalid_means(mutate):
    w, mu, cov = _valid(2, 3)
    with pytest.raises((ValueError, TypeError), match="means"):
        emlib.GMMParams(w, mutate(mu), cov)


def _cov_cases():
    w, mu, cov = _valid(2, 3)
    nonsym = cov.copy()
    nonsym[0, 0, 1] += 0.5
    indefinite = cov.copy()
    indefinite[1] = np.diag([1.0, -1.0, 1.0])
    singular = cov.copy()
    singular[0] = np.diag([1.0, 0.0, 1.0])
    rank1 = cov.copy()
    v = np.array([1.0, 2.0, 3.0])
    rank1[1] = np.outer(v, v)
    negdef = -cov
    withnan = cov.copy()
    withnan[0, 1, 1] = np.nan
    withinf = cov.copy()
    withinf[1, 2, 2] = np.inf
    return {
        "non-symmetric": nonsym,
        "indefinite": indefinite,
        "singular": singular,
        "rank-1": rank1,
        "negative-definite": negdef,
        "nan": withnan,
        "inf": withinf,
        "k-mismatch": cov[:1],
        "d-mismatch": cov[:, :2, :2],
        "not-square": cov[:, :, :2],
        "2d": cov[0],
        "diag-vectors": np.ones((2, 3)),
        "4d": cov[None],
    }


@pytest.mark.parametrize("case", list(_cov_cases()))
def test_invalid_covariances(case):
    w, mu, _ = _valid(2, 3)
    with pytest.raises((ValueError, TypeError), match="covariances"):
        emlib.GMMParams(w, mu, _cov_cases()[case])


def test_non_numeric_input_raises_type_or_value_error():
    w, mu, cov = _valid(2, 3)
    with pytest.raises((TypeError, ValueError), match="weights"):
        emlib.GMMParams(["a", "b"], mu, cov)
    with pytest.raises((TypeError, ValueError), match="means"):
        emlib.GMMParams(w, [["a"] * 3] * 2, cov)
    with pytest.raises((TypeError, ValueError), match="covariances"):
        emlib.GMMParams(w, mu, "eye")


def test_complex_input_is_rejected():
    w, mu, cov = _valid(2, 3)
    with pytest.raises((TypeError, ValueError), match="means"):
        emlib.GMMParams(w, mu + 1j, cov)


def test_zero_components_rejected():
    with pytest.raises(ValueError, match="weights|means|n_components"):
        emlib.GMMParams(np.zeros(0), np.zeros((0, 2)), np.zeros((0, 2, 2)))
