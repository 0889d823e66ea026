"""Hidden Markov models (emlib/hmm.py, emlib/hmm_fit.py): forward–backward, Baum–Welch, Viterbi.

Every check compares emlib with an independent computation: enumeration of every state path,
hmmlearn (C-accelerated, a test-only dependency) from the same start, sympy's solution of the
M-step's stationarity conditions, and direct evaluation of the densities with scipy.stats.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import sympy as sp
from hmmlearn import hmm as hmmlearn
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, poisson

import emlib
from emlib.hmm import HiddenMarkovModel, HMMParams, Sequences, forward_backward, scaled_forward_backward, viterbi

TRANSITION = np.array([[0.7, 0.2, 0.1], [0.15, 0.8, 0.05], [0.3, 0.3, 0.4]])
START = np.array([0.5, 0.3, 0.2])
GAUSSIAN = HMMParams(
    START,
    TRANSITION,
    means=[[0.0, 0.0], [2.0, 1.0], [-1.0, 3.0]],
    covariances=[[[1.0, 0.3], [0.3, 0.5]], [[0.6, -0.2], [-0.2, 1.2]], [[2.0, 0.0], [0.0, 0.4]]],
)
POISSON = HMMParams(START, TRANSITION, rates=[[1.0, 4.0], [6.0, 0.5], [12.0, 3.0]])
CATEGORICAL = HMMParams(START, TRANSITION, probabilities=[[0.6, 0.3, 0.1, 0.0], [0.1, 0.2, 0.3, 0.4], [0.25] * 4])


def draw(params: HMMParams, T: int, seed: int = 0):
    """A state path and its emissions, drawn from the model (each test its own seed, so order does not matter)."""
    rng = np.random.default_rng(seed)
    states = np.empty(T, dtype=int)
    states[0] = rng.choice(params.n_states, p=params.start)
    for t in range(1, T):
        states[t] = rng.choice(params.n_states, p=params.transition[states[t - 1]])
    if params.emission == "gaussian":
        X = np.array([rng.multivariate_normal(params.means[k], params.covariances[k]) for k in states])
    elif params.emission == "poisson":
        X = rng.poisson(params.rates[states]).astype(float)
    else:
        X = np.array([[rng.choice(4, p=params.probabilities[k])] for k in states], dtype=float)
    return states, X


def emission_log_densities(params: HMMParams, X: np.ndarray) -> np.ndarray:
    """log p(x_t | z_t = k) from scipy.stats, shape (T, K)."""
    if params.emission == "gaussian":
        return np.column_stack([multivariate_normal(m, c).logpdf(X) for m, c in zip(params.means, params.covariances)])
    if params.emission == "poisson":
        return np.column_stack([poisson.logpmf(X, rate).sum(axis=1) for rate in params.rates])
    with np.errstate(divide="ignore"):
        return np.log(params.probabilities[:, X[:, 0].astype(int)].T)


def enumerate_paths(params: HMMParams, X: np.ndarray):
    """log p(x), γ and Σ_t ξ_t by summing over all K^T state paths (book eq. hmm-complete-likelihood)."""
    K, T = params.n_states, X.shape[0]
    paths = np.array(list(itertools.product(range(K), repeat=T)))
    log_b = emission_log_densities(params, X)
    with np.errstate(divide="ignore"):
        log_joint = (
            np.log(params.start[paths[:, 0]])
            + np.log(params.transition[paths[:, :-1], paths[:, 1:]]).sum(axis=1)
            + log_b[np.arange(T), paths].sum(axis=1)
        )
    log_likelihood = logsumexp(log_joint)
    weights = np.exp(log_joint - log_likelihood)
    gamma = np.stack([weights @ (paths == k) for k in range(K)], axis=1)
    pairs = np.array(
        [[weights @ np.sum((paths[:, :-1] == j) & (paths[:, 1:] == k), axis=1) for k in range(K)] for j in range(K)]
    )
    best = paths[np.argmax(log_joint)]
    return log_likelihood, gamma, pairs, best, log_joint.max()


@pytest.mark.parametrize("params", [GAUSSIAN, POISSON, CATEGORICAL], ids=lambda p: p.emission)
def test_forward_backward_equals_enumeration_of_every_path(params):
    # book eq. (hmm-forward), (hmm-marginals): the recursions replace the sum over K^T paths
    _, X = draw(params, 7)
    model = HiddenMarkovModel(params.emission)
    log_likelihood, gamma, pairs, best, best_joint = enumerate_paths(params, X)
    estep = model.expectation(model.check_data(X), np.ones(7), params)
    assert estep.log_likelihood == pytest.approx(log_likelihood, rel=1e-13)
    np.testing.assert_allclose(estep.statistics.gamma, gamma, rtol=0, atol=1e-13)
    np.testing.assert_allclose(estep.statistics.transitions, pairs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(estep.statistics.starts, gamma[0], rtol=0, atol=1e-13)
    log_b = model.log_emissions(model.check_data(X), params)
    np.testing.assert_allclose(log_b, emission_log_densities(params, X), rtol=1e-12, atol=1e-12)
    log_alpha, log_beta, log_space = forward_backward(log_b, params.start, params.transition)
    assert log_space == pytest.approx(log_likelihood, rel=1e-13)
    np.testing.assert_allclose(np.exp(log_alpha + log_beta - log_space), gamma, rtol=0, atol=1e-13)
    with np.errstate(divide="ignore"):
        path, joint = viterbi(log_b, np.log(params.start), np.log(params.transition))
    np.testing.assert_array_equal(path, best)  # book eq. (hmm-viterbi)
    assert joint == pytest.approx(best_joint, rel=1e-13)


def test_several_sequences_are_independent_chains():
    _, X = draw(POISSON, 9)
    model = HiddenMarkovModel("poisson")
    together = model.expectation(model.check_data(Sequences(X, (4, 5))), np.ones(9), POISSON)
    first, second = enumerate_paths(POISSON, X[:4]), enumerate_paths(POISSON, X[4:])
    assert together.log_likelihood == pytest.approx(first[0] + second[0], rel=1e-13)
    np.testing.assert_allclose(together.statistics.gamma, np.vstack([first[1], second[1]]), atol=1e-13)
    np.testing.assert_allclose(together.statistics.transitions, first[2] + second[2], atol=1e-12)
    np.testing.assert_allclose(together.statistics.starts, first[1][0] + second[1][0], atol=1e-13)


def test_log_space_takes_over_when_the_scaled_recursion_underflows():
    # state 1 explains x_2 = 60 far better, but the chain cannot reach it: the scaled normaliser is 0
    params = HMMParams([1.0, 0.0], [[1.0, 0.0], [0.5, 0.5]], means=[[0.0], [60.0]], covariances=[[[1.0]], [[1.0]]])
    X = np.array([[0.0], [60.0]])
    model = HiddenMarkovModel("gaussian", reg_covar=0)
    log_b = model.log_emissions(model.check_data(X), params)
    assert scaled_forward_backward(log_b, params.start, params.transition) is None
    estep = model.expectation(model.check_data(X), np.ones(2), params)
    direct = multivariate_normal(0.0, 1.0).logpdf(0.0) + multivariate_normal(0.0, 1.0).logpdf(60.0)
    assert estep.log_likelihood == pytest.approx(direct, rel=1e-13)
    np.testing.assert_array_equal(estep.statistics.gamma, [[1.0, 0.0], [1.0, 0.0]])


def _hmmlearn_model(params: HMMParams, covariance_type="full"):
    common = {"n_components": params.n_states, "init_params": "", "n_iter": 1, "tol": 0, "implementation": "log"}
    if params.emission == "gaussian":
        model = hmmlearn.GaussianHMM(covariance_type=covariance_type, covars_prior=0, covars_weight=0, **common)
        model.means_ = np.array(params.means)
        covariances = np.array(params.covariances)
        model.covars_ = covariances if covariance_type == "full" else np.array([np.diag(c) for c in covariances])
    elif params.emission == "poisson":
        model = hmmlearn.PoissonHMM(**common)
        model.lambdas_ = np.array(params.rates)
    else:
        model = hmmlearn.CategoricalHMM(n_features=params.probabilities.shape[1], **common)
        model.emissionprob_ = np.array(params.probabilities)
    model.startprob_, model.transmat_ = np.array(params.start), np.array(params.transition)
    return model


def _hmmlearn_history(model, X, lengths, n_iter):
    """ℓ of hmmlearn's Baum–Welch iterates: score, then one iteration of fit, n_iter times."""
    history = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hmmlearn warns that one iteration does not converge
        for _ in range(n_iter + 1):
            history.append(model.score(X, lengths))
            model.fit(X, lengths)
    return np.array(history)


@pytest.mark.parametrize(
    "params, covariance_type",
    [(GAUSSIAN, "full"), (GAUSSIAN, "diag"), (POISSON, "full"), (CATEGORICAL, "full")],
    ids=["gaussian-full", "gaussian-diag", "poisson", "categorical"],
)
def test_baum_welch_history_equals_hmmlearn_from_the_same_start(params, covariance_type):
    # book alg. (hmm-alg-baum-welch): the same iterates as hmmlearn, two sequences
    if covariance_type == "diag":
        diagonal = [np.diag(np.diag(c)) for c in params.covariances]
        params = HMMParams(params.start, params.transition, means=params.means, covariances=diagonal)
    _, X = draw(params, 120)
    lengths = (50, 70)
    options = {"covariance_type": covariance_type, "reg_covar": 0} if params.emission == "gaussian" else {}
    model = HiddenMarkovModel(params.emission, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        fit = emlib.fit_em(model, Sequences(X, lengths), params, max_iter=25, tol=0)
    reference = _hmmlearn_history(
        _hmmlearn_model(params, covariance_type),
        X.astype(int) if params.emission == "categorical" else X,
        lengths,
        fit.n_iter,
    )
    np.testing.assert_allclose(fit.log_likelihoods, reference, rtol=1e-8, atol=0)
    assert np.all(np.diff(fit.log_likelihoods) >= -1e-9 * abs(fit.log_likelihoods[-1]))  # never decreasing


def test_m_step_equals_the_sympy_solution_of_its_stationarity_conditions():
    # book eq. (hmm-m-step-transition): maximise Σ_k n_jk log A_jk subject to Σ_k A_jk = 1 (Lagrange)
    K = 3
    counts = sp.symbols(f"n0:{K}", positive=True)
    entries = sp.symbols(f"a0:{K}", positive=True)
    multiplier = sp.Symbol("lambda")
    lagrangian = sum(n * sp.log(a) for n, a in zip(counts, entries)) - multiplier * (sum(entries) - 1)
    solution = sp.solve(
        [sp.diff(lagrangian, a) for a in entries] + [sum(entries) - 1], [*entries, multiplier], dict=True
    )[0]
    # book eq. (hmm-m-step-poisson): maximise Σ_t γ_t (x_t log λ − λ)
    rate = sp.Symbol("lambda_k", positive=True)
    weights, values = sp.symbols("g0:4", positive=True), sp.symbols("x0:4", positive=True)
    (rate_solution,) = sp.solve(
        sp.diff(sum(g * (x * sp.log(rate) - rate) for g, x in zip(weights, values)), rate), rate
    )

    model = HiddenMarkovModel("poisson")
    _, X = draw(POISSON, 4)
    data = model.check_data(X)
    rng = np.random.default_rng(1)
    gamma = rng.dirichlet(np.ones(K), size=4)
    transitions = rng.uniform(0.1, 3.0, size=(K, K))
    statistics = emlib.hmm.HMMStatistics(gamma, transitions, gamma[0])
    updated = model.maximization(data, np.ones(4), statistics, POISSON)
    for j in range(K):
        expected = [float(solution[a].subs(dict(zip(counts, transitions[j])))) for a in entries]
        np.testing.assert_allclose(updated.transition[j], expected, rtol=1e-13)
    for k in range(K):
        for d in range(2):
            substitutions = {**dict(zip(weights, gamma[:, k])), **dict(zip(values, X[:, d] + 0.0))}
            substitutions = {symbol: value for symbol, value in substitutions.items()}
            expected = float(rate_solution.subs(substitutions)) if np.any(X[:, d] > 0) else 0.0
            assert updated.rates[k, d] == pytest.approx(expected, rel=1e-13, abs=1e-15)
    np.testing.assert_allclose(updated.start, gamma[0] / gamma[0].sum(), rtol=1e-14)


def test_viterbi_equals_hmmlearn_decode_and_viterbi_training_raises_its_objective():
    _, X = draw(CATEGORICAL, 200)
    model = HiddenMarkovModel("categorical")
    path, log_joint = model.decode(X, CATEGORICAL)
    reference = _hmmlearn_model(CATEGORICAL)
    reference_joint, reference_path = reference.decode(X.astype(int), algorithm="viterbi")
    np.testing.assert_array_equal(path, reference_path)
    assert log_joint == pytest.approx(reference_joint, rel=1e-12)
    # hard EM of HMMs (book alg. hard-em-alg): log p(x, z*) never falls, and stays at most ℓ
    hard = emlib.fit_em(model, X, CATEGORICAL, method="hard")
    assert hard.converged
    assert np.all(np.diff(hard.objectives) >= -1e-9)
    assert np.all(hard.objectives <= hard.log_likelihoods + 1e-9 * np.abs(hard.log_likelihoods))


def test_squarem_reaches_the_em_optimum_in_fewer_e_steps_where_em_is_slow():
    # two overlapping states: much of the information is missing, so EM is slow (book eq. em-gradient-rate)
    truth = HMMParams([0.5, 0.5], [[0.95, 0.05], [0.05, 0.95]], rates=[[3.0], [5.0]])
    _, X = draw(truth, 500, seed=1)
    model = HiddenMarkovModel("poisson")
    start = HMMParams([0.5, 0.5], [[0.5, 0.5], [0.5, 0.5]], rates=[[3.8], [4.2]])
    em = emlib.fit_em(model, X, start, tol=1e-12, max_iter=5000)
    squarem = emlib.fit_em(model, X, start, tol=1e-12, max_iter=5000, method="squarem")
    assert em.converged and squarem.converged
    assert squarem.log_likelihoods[-1] == pytest.approx(em.log_likelihoods[-1], rel=1e-11)
    assert squarem.n_evaluations < 0.75 * em.n_evaluations


def test_time_steps_cannot_be_weighted():
    _, X = draw(POISSON, 10)
    with pytest.raises(ValueError, match="sample_weight must be None for a hidden Markov model"):
        emlib.fit_em(HiddenMarkovModel("poisson"), X, POISSON, sample_weight=np.full(10, 2.0))


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "numba"])
def test_scaled_recursions_equal_log_space_reference(compiled, monkeypatch):
    # emlib._fast.scaled_recursions (numba) and the numpy loop of scaled_forward_backward: book eq. (hmm-scaled)
    if compiled:
        assert emlib._fast.HAVE_NUMBA, "numba is pinned in requirements.txt: the compiled path must be tested"
    else:
        monkeypatch.setattr(emlib._fast, "HAVE_NUMBA", False)
    _, X = draw(GAUSSIAN, 400, seed=5)
    model = HiddenMarkovModel("gaussian", reg_covar=0)
    log_b = model.log_emissions(model.check_data(X), GAUSSIAN)
    alpha, beta, log_normalisers, _ = scaled_forward_backward(log_b, GAUSSIAN.start, GAUSSIAN.transition)
    log_alpha, log_beta, log_likelihood = forward_backward(log_b, GAUSSIAN.start, GAUSSIAN.transition)
    assert log_normalisers.sum() == pytest.approx(log_likelihood, rel=1e-13)
    np.testing.assert_allclose(alpha * beta, np.exp(log_alpha + log_beta - log_likelihood), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        np.log(alpha), log_alpha - np.cumsum(log_normalisers)[:, np.newaxis], rtol=1e-11, atol=1e-9
    )
    estep = model.expectation(model.check_data(X), np.ones(400), GAUSSIAN)
    assert estep.log_likelihood == pytest.approx(log_likelihood, rel=1e-13)


def _hmmlearn_best(make, X, seeds=range(3)):
    """hmmlearn's best log-likelihood over several seeds of its own default start, run to convergence."""
    best = -np.inf
    for seed in seeds:
        reference = make(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference.fit(X)
        best = max(best, reference.score(X))
    return best


@pytest.mark.parametrize("emission", ["gaussian", "poisson"])
def test_fit_hmm_with_defaults_reaches_hmmlearns_best_optimum_over_several_seeds(emission):
    params = GAUSSIAN if emission == "gaussian" else POISSON
    _, X = draw(params, 400, seed=2)
    common = {"n_components": 3, "n_iter": 300, "tol": 1e-7}
    if emission == "gaussian":

        def make(seed):
            return hmmlearn.GaussianHMM(covariance_type="full", random_state=seed, **common)
    else:

        def make(seed):
            return hmmlearn.PoissonHMM(random_state=seed, **common)

    best = _hmmlearn_best(make, X)
    fit = emlib.fit_hmm(X, 3, emission=emission, random_state=0)
    assert fit.converged
    # the default Gaussian fit is MAP under the data-scaled prior: its ℓ may sit a hair below the ML optimum
    assert fit.log_likelihoods[-1] >= best - 1e-7 * abs(best) - (1e-5 * abs(best) if emission == "gaussian" else 0)


def test_fit_hmm_refuses_what_it_cannot_fit():
    _, X = draw(POISSON, 20)
    with pytest.raises(ValueError, match="lengths must add up to the number of time steps of X"):
        emlib.fit_hmm(X, 2, emission="poisson", lengths=[10, 5])
    with pytest.raises(ValueError, match=r"n_states \(25\) must not exceed the number of time steps of X \(20\)"):
        emlib.fit_hmm(X, 25, emission="poisson")
    with pytest.raises(TypeError, match="method 'ecg' needs the model's score"):
        emlib.fit_hmm(X, 2, emission="poisson", method="ecg")
    _, symbols = draw(CATEGORICAL, 20)
    too_few = HMMParams(START, TRANSITION, probabilities=np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="X holds symbol 3 but init.probabilities has only 2 symbols"):
        emlib.fit_hmm(symbols, 3, emission="categorical", init=too_few, n_init=1)


def _rounded_like(value: float, printed: str) -> str:
    return f"{value:.{len(printed.split('.')[1])}f}"


def test_earthquakes_em_iterates_are_zucchini_and_macdonalds_tables_4_1_and_4_2():
    # the book's starting values; every printed iterate and −log L, to the printed digits
    counts = emlib.datasets.earthquakes()[:, 1]
    tables = emlib.datasets.earthquakes_em_tables()
    model = HiddenMarkovModel("poisson")
    for name, K in (("two_states", 2), ("three_states", 3)):
        table = tables[name]
        start = table["start"]
        init = HMMParams(start["delta"], start["transition"], rates=np.array(start["rates"])[:, np.newaxis])
        fit = emlib.fit_em(model, counts, init, tol=0, max_iter=2000, trajectory=True)
        rows = [*table["rows"], ["convergence", *table["convergence"]]]
        for iteration, *printed in rows:
            t = fit.n_iter if iteration == "convergence" else iteration
            params = fit.trajectory[t]
            rates = list(params.rates[:, 0])
            if K == 2:
                ours = [params.transition[0, 1], params.transition[1, 0], *rates, params.start[0]]
            else:
                ours = [*rates, params.start[0], params.start[1]]
            ours.append(-fit.log_likelihoods[t])
            assert [_rounded_like(value, text) for value, text in zip(ours, printed)] == printed, (name, iteration)
    # the optima the issue names: −log L = 341.87870 (two states) and 328.52748 (three)
    assert round(-fit.log_likelihoods[-1], 5) == 328.52748
