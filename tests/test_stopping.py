"""The stopping rules of emlib.stopping, and the drivers that take them (book eq. (soft-em-stopping), (practice-aitken))."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import emlib
from emlib.drivers import has_converged
from emlib.stopping import STOPPING_RULES, aitken, check_stopping, increment, relative


def geometric_objectives(limit: float, first_gap: float, rate: float, n: int) -> list[float]:
    """F_t = limit − first_gap · rate^t: increments that shrink by ``rate``, as EM's do near a maximum."""
    return [limit - first_gap * rate**t for t in range(n)]


# --- the rules on given histories ------------------------------------------------------------------


def test_increment_is_the_per_weight_rise():  # book eq. (soft-em-stopping)
    assert increment([0.0, 1.0], tol=0.01, total_weight=100.0)
    assert not increment([0.0, 1.0], tol=0.0099, total_weight=100.0)
    assert has_converged([0.0, 1.0], 0.01, 100.0) == increment([0.0, 1.0], 0.01, 100.0)


def test_relative_is_mclusts_rule():
    # |F_{t+1} - F_t| / (1 + |F_{t+1}|), mclust's emControl(tol): 1 / 1001 ≈ 9.99e-4
    assert relative([-1001.0, -1000.0], tol=1e-3, total_weight=1.0)
    assert not relative([-1001.0, -1000.0], tol=9.9e-4, total_weight=1.0)
    # it ignores the total weight, and so depends on the units through F itself
    assert relative([-1001.0, -1000.0], 1e-3, 1.0) == relative([-1001.0, -1000.0], 1e-3, 1e6)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9, 0.99])
def test_aitken_estimates_the_remaining_gain_of_geometric_increments(rate):  # book eq. (practice-aitken)
    objectives = geometric_objectives(limit=-500.0, first_gap=10.0, rate=rate, n=6)
    remaining = -500.0 - objectives[-1]  # the exact gain still to come
    assert aitken(objectives, tol=remaining * 1.000001, total_weight=1.0)
    assert not aitken(objectives, tol=remaining * 0.999999, total_weight=1.0)


def test_aitken_does_not_stop_where_the_increment_rule_stops_early():
    # EM at rate 0.999: each increment is tiny, yet a thousand times as much is still to come
    objectives = geometric_objectives(limit=0.0, first_gap=1.0, rate=0.999, n=4)
    gain = objectives[-1] - objectives[-2]
    assert increment(objectives, tol=gain * 1.01, total_weight=1.0)
    assert not aitken(objectives, tol=gain * 1.01, total_weight=1.0)


def test_aitken_needs_shrinking_increments():
    assert not aitken([0.0, 1.0], tol=10.0, total_weight=1.0)  # one increment: no rate yet
    assert not aitken([0.0, 1.0, 3.0], tol=10.0, total_weight=1.0)  # growing increments: a_t = 2
    assert aitken([0.0, 1.0, 1.0], tol=0.0, total_weight=1.0)  # no rise: a fixed point


@pytest.mark.parametrize("rule", list(STOPPING_RULES.values()))
def test_every_rule_stops_at_a_fall_of_a_monotone_objective_and_measures_it_otherwise(rule):
    assert rule([0.0, 1.0, 0.5], tol=0.0, total_weight=1.0, monotone=True)
    assert not rule([0.0, 1.0, 0.5], tol=1e-3, total_weight=1.0, monotone=False)


@given(
    limit=st.floats(-1e6, 1e6),
    gap=st.floats(1e-3, 1e3),
    rate=st.floats(0.01, 0.99),
    n=st.integers(3, 30),
    scale=st.floats(1e-3, 1e3),
)
@settings(max_examples=200, deadline=None)
def test_aitken_is_exact_on_geometric_histories_and_invariant_to_a_shift(limit, gap, rate, n, scale):
    assume(gap * rate ** (n - 1) > 1e-7 * max(1.0, abs(limit)))  # increments well above rounding
    objectives = geometric_objectives(limit, gap, rate, n)
    remaining = limit - objectives[-1]
    shifted = [f + 123.0 for f in objectives]  # a change of units shifts every F_t alike
    for history in (objectives, shifted):
        assert aitken(history, tol=2 * remaining / scale, total_weight=scale)
        assert not aitken(history, tol=0.5 * remaining / scale, total_weight=scale)


def test_check_stopping_names_the_rules():
    assert check_stopping("aitken") == "aitken"
    for bad in ("Aitken", "", None, 1):
        with pytest.raises(ValueError, match="stopping must be one of"):
            check_stopping(bad)


# --- the drivers take them --------------------------------------------------------------------------


def _faithful_fit(stopping: str, tol: float, method: str = "em"):
    X = emlib.datasets.old_faithful()
    start = emlib.fit_gmm(X, 2, max_iter=0, random_state=0).params
    return emlib.fit_em(emlib.GaussianMixtureModel(), X, start, method=method, tol=tol, stopping=stopping)


@pytest.mark.parametrize("method", ["em", "squarem", "hard"])
@pytest.mark.parametrize("stopping", ["increment", "relative", "aitken"])
def test_the_driver_stops_exactly_when_its_rule_first_says_so(method, stopping):
    fit = _faithful_fit(stopping, tol=1e-6, method=method)
    assert fit.converged
    rule = STOPPING_RULES[stopping]
    objectives, weight = list(fit.objectives), 272.0
    if method != "hard":  # hard EM also stops when the assignment no longer changes
        assert rule(objectives, 1e-6, weight, True)
    assert not any(rule(objectives[: t + 1], 1e-6, weight, True) for t in range(1, fit.n_iter))


def test_aitken_stops_once_the_true_remaining_gain_is_within_tol():
    # On Old Faithful EM converges fast (small rate): Aitken's estimate of F_∞ − F_t is then
    # smaller than the last increment, so it may stop sooner than the increment rule, but the
    # gain truly left (against a run to 1e-13) must still be within tol per unit of weight.
    reference = _faithful_fit("increment", tol=1e-13).objectives[-1]
    for tol in (1e-4, 1e-6, 1e-8):
        by_aitken = _faithful_fit("aitken", tol=tol)
        assert 0 <= reference - by_aitken.objectives[-1] <= 272 * tol


def test_fit_em_refuses_an_unknown_rule():
    X = emlib.datasets.old_faithful()
    start = emlib.fit_gmm(X, 2, max_iter=0, random_state=0).params
    with pytest.raises(ValueError, match="stopping must be one of"):
        emlib.fit_em(emlib.GaussianMixtureModel(), X, start, stopping="parameters")


def test_default_rule_is_unchanged():
    X = emlib.datasets.old_faithful()
    start = emlib.fit_gmm(X, 2, max_iter=0, random_state=0).params
    explicit = emlib.fit_em(emlib.GaussianMixtureModel(), X, start, stopping="increment")
    default = emlib.fit_em(emlib.GaussianMixtureModel(), X, start)
    np.testing.assert_array_equal(explicit.objectives, default.objectives)
