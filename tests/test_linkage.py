"""The genetic-linkage model (emlib/linkage.py): Dempster, Laird and Rubin's (1977) opening example.

Every check compares emlib with an independent computation: the EM map and the likelihood
written out in mpmath at 50 digits, scipy.stats.multinomial, mpmath's numerical derivatives.
"""

from __future__ import annotations

import doctest
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multinomial

import emlib
from emlib.linkage import DLR_TABLE_1, RAO_COUNTS, GeneticLinkage, LinkageParams

mpmath.mp.dps = 50
MODEL = GeneticLinkage()
CELLS = np.arange(4)


def fit(counts=RAO_COUNTS, start=0.5, **options):
    options.setdefault("tol", 1e-15)
    return emlib.fit_em(MODEL, CELLS, LinkageParams(start), sample_weight=counts, **options)


def em_map(pi, counts=RAO_COUNTS):
    """DLR's EM step in mpmath: x2 = y1 π/(2 + π), then π = (x2 + y4)/(x2 + y2 + y3 + y4)."""
    y1, y2, y3, y4 = (mpmath.mpf(c) for c in counts)
    split = y1 * pi / (2 + pi)
    return (split + y4) / (split + y2 + y3 + y4)


def log_likelihood(pi, counts=RAO_COUNTS):
    y1, y2, y3, y4 = (mpmath.mpf(c) for c in counts)
    return y1 * mpmath.log(mpmath.mpf(1) / 2 + pi / 4) + (y2 + y3) * mpmath.log((1 - pi) / 4) + y4 * mpmath.log(pi / 4)


PI_STAR = (15 + mpmath.sqrt(53809)) / 394  # DLR 1977, §1: the root of 197 π² − 15 π − 68 = 0


def test_em_iterates_from_one_half_are_dlr_table_1():
    # DLR 1977, Table 1: the EM sequence from π = 0.5, computed here at 50 digits
    result = fit(trajectory=True)
    expected = [mpmath.mpf("0.5")]
    while len(expected) < len(result.trajectory):
        expected.append(em_map(expected[-1]))
    got = [params.pi for params in result.trajectory]
    np.testing.assert_allclose(got, [float(value) for value in expected], rtol=0, atol=1e-14)
    assert round(got[1], 9) == 0.608247423  # the first step, by hand: (125·0.2 + 34) / (125·0.2 + 72) = 59/97
    assert got[1] == pytest.approx(59 / 97, abs=1e-15)


def _printed_digits(value: mpmath.mpf, like: str) -> int:
    """``value`` rounded to the decimals of the printed string ``like``, in units of its last place."""
    decimals = len(like.split(".")[1])
    return int(mpmath.nint(value * 10**decimals))


def test_dlr_table_1_as_printed_is_the_exact_iteration_up_to_five_last_digits():
    # DLR 1977, Table 1, typed from the paper (emlib.linkage.DLR_TABLE_1), against the exact iteration at
    # 50 digits: every printed entry is the exact value rounded, except five (π^(p) at p = 2, 4 and 7, and its
    # deviation at p = 2 and 7) one unit off in the ninth decimal, the paper's arithmetic; the ratios are exact
    iterates = [mpmath.mpf("0.5")]
    while len(iterates) < len(DLR_TABLE_1) + 1:
        iterates.append(em_map(iterates[-1]))
    deviations = [PI_STAR - value for value in iterates]
    off_by_one = set()
    for p, printed_pi, printed_deviation, printed_ratio in DLR_TABLE_1:
        for column, exact, printed in (
            ("pi", iterates[p], printed_pi),
            ("deviation", deviations[p], printed_deviation),
        ):
            units = _printed_digits(exact, printed) - int(printed.replace(".", ""))
            assert abs(units) <= 1, (p, column, printed, exact)
            if units:
                off_by_one.add((p, column))
        if printed_ratio is not None:
            ratio = deviations[p + 1] / deviations[p]
            assert _printed_digits(ratio, printed_ratio) == int(printed_ratio.replace(".", "")), (p, printed_ratio)
    assert off_by_one == {(2, "pi"), (2, "deviation"), (4, "pi"), (7, "pi"), (7, "deviation")}
    assert all(value < PI_STAR for value in iterates)  # so the printed deviations are π* − π^(p)


def test_the_maximum_is_the_closed_form_root():
    assert MODEL.maximum_likelihood(RAO_COUNTS).pi == pytest.approx(float(PI_STAR), abs=1e-15)
    # ℓ is flat to second order at its maximum: a rise of 1e-15 per animal is a step of about 1e-9 in π
    assert fit().params.pi == pytest.approx(float(PI_STAR), abs=1e-8)
    assert abs(mpmath.diff(lambda p: log_likelihood(p), PI_STAR)) < 1e-30  # a stationary point of ℓ


def test_ratio_of_deviations_settles_at_the_fraction_of_missing_information():
    # DLR 1977, Table 1's last column: (π_{t+1} − π*) / (π_t − π*) → 0.1328
    pi, ratios = mpmath.mpf("0.5"), []
    for _ in range(30):
        following = em_map(pi)
        ratios.append((following - PI_STAR) / (pi - PI_STAR))
        pi = following
    information = MODEL.information(RAO_COUNTS, LinkageParams(float(PI_STAR)))
    rate = information["missing"] / information["complete"]
    assert float(ratios[-1]) == pytest.approx(rate, rel=1e-12)
    assert float(mpmath.diff(em_map, PI_STAR)) == pytest.approx(rate, rel=1e-12)  # DM(π*)
    assert round(rate, 4) == 0.1328


def test_observed_information_is_complete_minus_missing_and_minus_the_second_derivative():
    # Louis (1982): I_obs = I_com − I_mis = −d²ℓ/dπ² at π*
    information = MODEL.information(RAO_COUNTS, LinkageParams(float(PI_STAR)))
    second = mpmath.diff(lambda p: log_likelihood(p), PI_STAR, 2)
    assert information["observed"] == pytest.approx(-float(second), rel=1e-12)
    assert information["observed"] == pytest.approx(information["complete"] - information["missing"], rel=1e-15)
    assert 1 / math.sqrt(information["observed"]) == pytest.approx(0.0515, abs=1e-4)


def test_log_likelihood_is_the_multinomial_without_its_coefficient():
    for pi in (0.1, 0.5, 0.9):
        params = LinkageParams(pi)
        probabilities = GeneticLinkage.cell_probabilities(params)
        coefficient = math.lgamma(198) - sum(math.lgamma(c + 1) for c in RAO_COUNTS)
        expected = multinomial.logpmf(RAO_COUNTS, 197, probabilities) - coefficient
        assert MODEL.log_likelihood(CELLS, params, sample_weight=RAO_COUNTS) == pytest.approx(expected, rel=1e-13)


def test_a_weight_counts_animals_as_repeated_rows_do():
    weighted = fit(trajectory=True)
    animals = np.repeat(CELLS, RAO_COUNTS)
    repeated = emlib.fit_em(MODEL, animals, LinkageParams(0.5), tol=1e-15, trajectory=True)
    np.testing.assert_allclose(
        [p.pi for p in repeated.trajectory], [p.pi for p in weighted.trajectory], rtol=0, atol=1e-15
    )
    np.testing.assert_allclose(repeated.log_likelihoods, weighted.log_likelihoods, rtol=1e-14)


def test_the_likelihood_never_falls():
    result = fit(start=0.05)
    assert np.all(np.diff(result.log_likelihoods) >= -1e-12)


@pytest.mark.parametrize("method", ["squarem", "ecg", "hybrid"])
def test_every_driver_reaches_the_maximum(method):
    result = fit(method=method)
    assert result.converged
    assert result.params.pi == pytest.approx(float(PI_STAR), abs=1e-8)


@settings(max_examples=60, deadline=None)
@given(pi=st.floats(0.01, 0.99), counts=st.lists(st.integers(0, 300), min_size=4, max_size=4))
def test_score_is_the_derivative_of_the_log_likelihood(pi, counts):
    params = LinkageParams(pi)
    derivative = mpmath.diff(lambda p: log_likelihood(p, counts), mpmath.mpf(pi))
    score = MODEL.score(CELLS, np.asarray(counts, dtype=float), params)
    assert score.shape == (1,)
    assert score[0] == pytest.approx(float(derivative), rel=1e-9, abs=1e-9)
    assert MODEL.unflatten(MODEL.flatten(params), params) == params


def _interior(counts) -> bool:
    y1, y2, y3, y4 = counts
    return y2 + y3 > 0 and (y4 > 0 or y1 > 2 * (y2 + y3))


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 500), min_size=4, max_size=4))
def test_closed_form_maximum_for_any_counts(counts):
    if not _interior(counts):  # a bad input: the clear error, naming counts
        with pytest.raises(ValueError, match=r"counts .* put the maximum of the likelihood on the boundary"):
            GeneticLinkage.maximum_likelihood(counts)
        return
    pi = GeneticLinkage.maximum_likelihood(counts).pi  # a valid input: accepted, and a stationary point
    assert 0 < pi < 1
    assert abs(float(mpmath.diff(lambda p: log_likelihood(p, counts), mpmath.mpf(pi)))) <= 1e-7 * sum(counts)
    iterate = mpmath.mpf("0.5")
    for _ in range(5000):  # DLR's map at 50 digits converges to the same root
        iterate, previous = em_map(iterate, counts), iterate
        if abs(iterate - previous) < mpmath.mpf(10) ** -30:
            break
    assert pi == pytest.approx(float(iterate), abs=1e-10)


def test_boundary_counts_stop_the_m_step_with_a_clear_error():
    with pytest.raises(ValueError, match=r"X has no animal \(of positive weight\) in cells 1 and 2"):
        fit(counts=[125, 0, 0, 34])
    with pytest.raises(ValueError, match=r"X has no animal \(of positive weight\) in cells 0 and 3"):
        fit(counts=[0, 18, 20, 0])


def test_the_docstring_examples_run():
    assert doctest.testmod(emlib.linkage).failed == 0


def test_statistics_and_result_print_as_plain_numbers():
    result = fit()
    assert repr(result.posterior).startswith("LinkageStatistics(split=29.82794")
    assert "GeneticLinkage()" in repr(result) and " at 0x" not in repr(result)
