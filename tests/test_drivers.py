"""The model interface and the drivers written once over it (emlib.model, emlib.drivers, emlib.result).

Every driver runs every model that supplies the pieces it needs: a Gaussian mixture, a binomial
mixture, and here a model that is not a mixture at all (the genetic-linkage multinomial of
Dempster, Laird and Rubin 1977), whose E-step is one expected count.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import emlib


# --------------------------------------------------------------------------
# A model that is not a mixture: Rao's genetic-linkage data (DLR 1977, section 1)
# --------------------------------------------------------------------------
class Linkage(emlib.LatentVariableModel):
    """197 animals in four cells with probabilities (1/2 + π/4, (1 − π)/4, (1 − π)/4, π/4).

    The latent variable splits the first cell into parts of probability 1/2 and π/4; the E-step's
    statistic is the expected count of the second part, the M-step a closed-form ratio.
    """

    def check_data(self, X):
        counts = np.asarray(X, dtype=float)
        if counts.shape != (4,):
            raise ValueError("X must hold the four cell counts")
        return counts[np.newaxis]  # one row: the whole table

    def check_params(self, data, params, name="params"):
        if not 0.0 < float(params) < 1.0:
            raise ValueError(f"{name} must lie in (0, 1)")

    def expectation(self, data, weights, params):
        y1, y2, y3, y4 = data[0]
        split = y1 * (params / 4) / (0.5 + params / 4)  # E[x_2 | y_1, π]
        probabilities = np.array([0.5 + params / 4, (1 - params) / 4, (1 - params) / 4, params / 4])
        return emlib.EStep(split, float(weights[0] * data[0] @ np.log(probabilities)))

    def maximization(self, data, weights, statistics, previous):
        y1, y2, y3, y4 = data[0]
        return (statistics + y4) / (statistics + y2 + y3 + y4)

    def flatten(self, params):
        return np.array([params])

    def unflatten(self, vector, like):
        return float(vector[0]) if 0.0 < vector[0] < 1.0 else None


LINKAGE = np.array([125.0, 18.0, 20.0, 34.0])
LINKAGE_MLE = (15 + np.sqrt(53809)) / 394  # the root of 197π² − 15π − 68 = 0


@pytest.mark.parametrize("method", ["em", "squarem"])
def test_a_model_that_is_not_a_mixture_runs_on_the_same_drivers(method):
    result = emlib.fit_em(Linkage(), LINKAGE, 0.5, method=method, tol=0.0)  # until the likelihood stops rising
    assert result.converged and result.method == method
    # the likelihood is flat to rounding within ~1e-8 of π* (a quadratic maximum), where the rule stops
    assert result.params == pytest.approx(LINKAGE_MLE, rel=1e-7)
    assert np.all(np.diff(result.log_likelihoods) >= -1e-12)
    assert result.degenerate is None


def test_dlr_iterates_contract_at_the_rate_of_missing_information():
    # DLR's Table 1: from π = 0.5 the deviations from π* shrink by a ratio settling at 0.1328
    with pytest.warns(emlib.ConvergenceWarning, match="max_iter=8"):
        result = emlib.fit_em(Linkage(), LINKAGE, 0.5, max_iter=8, tol=0.0, trajectory=True)
    deviations = np.array(result.trajectory) - LINKAGE_MLE
    assert deviations[-1] / deviations[-2] == pytest.approx(0.1328, abs=5e-4)


def test_drivers_say_which_piece_a_model_lacks():
    with pytest.raises(TypeError, match=r"method 'hard' needs the model's classification \(its hard E-step\); Linkage"):
        emlib.fit_em(Linkage(), LINKAGE, 0.5, method="hard")
    with pytest.raises(TypeError, match=r"method 'ecg' needs the model's score; Linkage has no score"):
        emlib.fit_em(Linkage(), LINKAGE, 0.5, method="ecg")
    with pytest.raises(TypeError, match="model must be an emlib.LatentVariableModel"):
        emlib.fit_em(object(), LINKAGE, 0.5)
    with pytest.raises(ValueError, match="method must be one of"):
        emlib.fit_em(Linkage(), LINKAGE, 0.5, method="newton")
    with pytest.raises(TypeError, match="callback must be None or callable"):
        emlib.fit_em(Linkage(), LINKAGE, 0.5, callback=3)


# --------------------------------------------------------------------------
# The binomial mixture: every driver
# --------------------------------------------------------------------------
HEADS = np.array([5, 9, 8, 4, 7, 9, 9, 8, 2, 3, 1, 8])
COINS = emlib.BinomialMixtureParams([0.5, 0.5], [0.6, 0.4])


def test_binomial_mixture_em_and_squarem_reach_the_same_optimum():
    model = emlib.BinomialMixture(n_trials=10)
    em = emlib.fit_em(model, HEADS, COINS, tol=1e-13)
    squarem = emlib.fit_em(model, HEADS, COINS, method="squarem", tol=1e-13)
    assert em.converged and squarem.converged
    np.testing.assert_allclose(squarem.params.probabilities, em.params.probabilities, rtol=1e-6)
    assert squarem.log_likelihoods[-1] >= em.log_likelihoods[-1] - 1e-9
    # at the optimum the M-step returns its input: p_k = Σ γ x / (n N_k)
    gamma = model.e_step(HEADS, em.params)
    np.testing.assert_allclose(em.params.probabilities, gamma.T @ HEADS / (10 * gamma.sum(axis=0)), rtol=1e-6)


def test_binomial_mixture_hard_em_increases_the_classification_likelihood():
    model = emlib.BinomialMixture(n_trials=10)
    result = emlib.fit_em(model, HEADS, COINS, method="hard")
    assert result.converged
    assert np.all(np.diff(result.objectives) >= 0)
    labels = np.argmax(result.posterior, axis=1)
    joint = model.log_joint(model.check_data(HEADS), result.params)
    assert result.objectives[-1] == pytest.approx(joint[np.arange(len(HEADS)), labels].sum(), rel=1e-12)
    assert result.log_likelihoods[-1] == pytest.approx(model.log_likelihood(HEADS, result.params), rel=1e-12)
    # hard EM's labels separate the coins: heads 1..4 against 5..9
    assert len(set(labels[HEADS <= 4])) == 1 and len(set(labels[HEADS >= 5])) == 1
    assert labels[HEADS <= 4][0] != labels[HEADS >= 5][0]


def test_binomial_mixture_scores_and_samples():
    model = emlib.BinomialMixture(n_trials=10)
    result = emlib.fit_em(model, HEADS, COINS, tol=1e-12)
    from scipy.stats import binom

    mixture = sum(w * binom.pmf(HEADS, 10, p) for w, p in zip(result.params.weights, result.params.probabilities))
    np.testing.assert_allclose(result.score_samples(HEADS), np.log(mixture), rtol=1e-12)
    assert result.bic(HEADS) == pytest.approx(-2 * np.log(mixture).sum() + 3 * np.log(len(HEADS)), rel=1e-12)
    assert result.aic(HEADS) == pytest.approx(-2 * np.log(mixture).sum() + 6, rel=1e-12)
    heads, labels = result.sample(50, 3)
    again, _ = result.sample(50, np.random.default_rng(3))
    np.testing.assert_array_equal(heads, again)
    assert heads.shape == labels.shape == (50,) and heads.min() >= 0 and heads.max() <= 10


# --------------------------------------------------------------------------
# Trajectory, callback, one result type
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def faithful():
    return emlib.datasets.old_faithful()


@pytest.mark.parametrize("method", ["em", "hard", "squarem"])
def test_trajectory_holds_every_accepted_iterate(faithful, method):
    fit = emlib.fit_gmm(faithful, 2, method=method, random_state=1, trajectory=True, tol=1e-8)
    assert len(fit.trajectory) == fit.n_iter + 1
    assert fit.trajectory[-1].means == pytest.approx(fit.params.means)
    for t in (0, fit.n_iter):
        assert fit.log_likelihoods[t] == pytest.approx(emlib.log_likelihood(faithful, fit.trajectory[t]), rel=1e-11)
    if method == "em":  # θ_{t+1} = M-step(E-step(θ_t)), with the fit's own prior
        prior = fit.model.covariance_prior
        for before, after in zip(fit.trajectory[:3], fit.trajectory[1:4]):
            step = emlib.m_step(faithful, emlib.e_step(faithful, before), covariance_prior=prior)
            np.testing.assert_allclose(step.covariances, after.covariances, rtol=1e-9)


def test_callback_sees_every_iterate_in_the_units_of_x(faithful):
    seen = []
    fit = emlib.fit_gmm(1000.0 * faithful, 2, random_state=0, callback=lambda *args: seen.append(args))
    assert [entry[0] for entry in seen] == list(range(fit.n_iter + 1))
    np.testing.assert_allclose([entry[2] for entry in seen], fit.log_likelihoods, rtol=1e-12)
    np.testing.assert_allclose([entry[3] for entry in seen], fit.objectives, rtol=1e-12)
    np.testing.assert_allclose(seen[-1][1].means, fit.params.means, rtol=1e-12)


def test_a_fit_continues_from_its_own_model(faithful):
    # the model in the result carries the prior Ψ, so fit_em from the optimum neither raises nor loses ground
    fit = emlib.fit_gmm(faithful, 3, random_state=0, tol=1e-9)
    again = emlib.fit_em(fit.model, faithful, fit.params, tol=1e-9)
    assert again.objectives[0] == pytest.approx(fit.objectives[-1], rel=1e-12)
    assert again.objectives[-1] >= fit.objectives[-1] - 1e-9 * abs(fit.objectives[-1])
    assert again.n_iter <= 3


def test_results_are_one_type_built_by_keyword_and_read_only(faithful):
    fit = emlib.fit_gmm(faithful, 2, random_state=0)
    assert type(fit) is emlib.EMResult
    with pytest.raises(TypeError):
        emlib.EMResult(fit.model, fit.params)  # keyword-only
    assert not fit.posterior.flags.writeable and not fit.objectives.flags.writeable
    copy = pickle.loads(pickle.dumps(fit))
    np.testing.assert_array_equal(copy.posterior, fit.posterior)
    assert not copy.log_likelihoods.flags.writeable
    np.testing.assert_array_equal(fit.predict(faithful), np.argmax(fit.posterior, axis=1))
    np.testing.assert_allclose(fit.predict_proba(faithful), fit.posterior, rtol=1e-12)
    assert fit.score_samples(faithful).sum() == pytest.approx(fit.log_likelihoods[-1], rel=1e-12)


def test_hard_em_cycle_and_max_iter_warn_with_the_reason(faithful):
    with pytest.warns(emlib.ConvergenceWarning, match="within max_iter=1"):
        emlib.fit_gmm(faithful, 3, method="hard", random_state=0, max_iter=1, tol=0.0)


def test_ascent_is_checked_on_every_driver_for_a_gaussian_mixture(faithful):
    for method in ("em", "squarem"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fit = emlib.fit_gmm(faithful, 3, method=method, random_state=2, tol=1e-10)
        assert np.all(np.diff(fit.objectives) >= -1e-9 * np.abs(fit.objectives[1:]))


def test_any_model_that_counts_its_parameters_has_bic_and_aic():
    class CountedLinkage(Linkage):
        def n_parameters(self, params):
            return 1

    result = emlib.fit_em(CountedLinkage(), LINKAGE, 0.5, tol=0.0)
    assert result.bic(LINKAGE) == pytest.approx(-2 * result.log_likelihoods[-1] + np.log(1.0), rel=1e-12)
    assert result.aic(LINKAGE) == pytest.approx(-2 * result.log_likelihoods[-1] + 2.0, rel=1e-12)
    with pytest.raises(NotImplementedError, match="does not count its parameters"):
        emlib.fit_em(Linkage(), LINKAGE, 0.5, tol=0.0).bic(LINKAGE)


def test_statistics_of_any_shape_are_kept_as_the_model_returned_them():
    class PairedLinkage(Linkage):  # statistics as a list of arrays of different shapes
        def expectation(self, data, weights, params):
            estep = super().expectation(data, weights, params)
            return emlib.EStep([np.array([estep.statistics]), np.zeros((2, 2))], estep.log_likelihood)

        def maximization(self, data, weights, statistics, previous):
            return super().maximization(data, weights, statistics[0][0], previous)

    result = emlib.fit_em(PairedLinkage(), LINKAGE, 0.5, tol=0.0)
    assert isinstance(result.posterior, list) and result.posterior[1].shape == (2, 2)
    assert result.params == pytest.approx(LINKAGE_MLE, rel=1e-7)
